//! A merchant's backend as a Rust Worker: its own signup and checkout endpoints
//! tell Edgeref about customers and sales through the `EDGEREF` service binding,
//! with `edgeref-client`. Tested end to end by tests/edge_consumer.test.mjs.
//!
//! * `POST /signup {"key", "email", "name"?, "referred_by"?}` → Edgeref's customer
//! * `POST /orders {"id", "customer", "amount", "currency"}` → Edgeref's transaction
//!   (the order id is the idempotency key, so a retried checkout is recorded once)
//! * `GET /customers/{key}` → the customer, with the reward balance it has earned
//! * `GET /customers/{key}/referrals` → everyone it referred, walked page by page
//!
//! Failures answer `{"error": {"kind", "code", "message", "field"}}` where `kind`
//! names the client's error variant, so callers see what the client saw.

use edgeref_client::types::{CreateCustomer, CreateTransaction, CustomerRef};
use edgeref_client::{Client, Error, FetcherTransport, ListQuery};
use serde_json::{json, Value};
use worker::{event, Context, Env, Request, Response, Result, RouteContext, Router};

#[event(fetch)]
async fn fetch(req: Request, env: Env, _ctx: Context) -> Result<Response> {
    Router::new()
        .get("/health", |_, _| Response::from_json(&json!({"ok": true})))
        .post_async("/signup", signup)
        .post_async("/orders", order)
        .get_async("/customers/:key", customer)
        .get_async("/customers/:key/referrals", referrals)
        .run(req, env)
        .await
}

/// Edgeref's program API through the service binding, as this shop's API key.
fn edgeref(env: &Env) -> Result<Client<FetcherTransport>> {
    let key = env.secret("EDGEREF_API_KEY").or_else(|_| env.var("EDGEREF_API_KEY"))?.to_string();
    Ok(Client::new(FetcherTransport::new(env.service("EDGEREF")?), key))
}

/// A JSON string field of the shop's own request body.
fn text(body: &Value, field: &str) -> Option<String> {
    body.get(field).and_then(Value::as_str).map(str::to_owned)
}

async fn signup(mut req: Request, cx: RouteContext<()>) -> Result<Response> {
    let body: Value = req.json().await?;
    let (Some(key), Some(email)) = (text(&body, "key"), text(&body, "email")) else {
        return Response::error("key and email are required", 400);
    };
    let mut customer = CreateCustomer::new(key, email);
    customer.name = text(&body, "name");
    customer.referring_customer = text(&body, "referred_by").map(CustomerRef::key);
    match edgeref(&cx.env)?.create_customer(&customer).await {
        Ok(c) => Ok(Response::from_json(&c)?.with_status(201)),
        Err(e) => failure(e),
    }
}

async fn order(mut req: Request, cx: RouteContext<()>) -> Result<Response> {
    let body: Value = req.json().await?;
    let (Some(id), Some(customer), Some(amount), Some(currency)) =
        (text(&body, "id"), text(&body, "customer"), body.get("amount").and_then(Value::as_i64), text(&body, "currency"))
    else {
        return Response::error("id, customer, amount and currency are required", 400);
    };
    let sale = CreateTransaction::new(id, CustomerRef::key(customer), amount, currency);
    match edgeref(&cx.env)?.create_transaction(&sale).await {
        Ok(t) => Response::from_json(&t),
        Err(e) => failure(e),
    }
}

async fn customer(_req: Request, cx: RouteContext<()>) -> Result<Response> {
    let key = cx.param("key").cloned().unwrap_or_default();
    match edgeref(&cx.env)?.get_customer(&key).await {
        Ok(c) => Response::from_json(&c),
        Err(e) => failure(e),
    }
}

async fn referrals(_req: Request, cx: RouteContext<()>) -> Result<Response> {
    let key = cx.param("key").cloned().unwrap_or_default();
    let client = edgeref(&cx.env)?;
    // One per page, to show cursor iteration; a real shop would ask for up to 250.
    let mut pages = client.referrals(&key, ListQuery::limit(1));
    let (mut keys, mut page_count) = (Vec::new(), 0);
    loop {
        match pages.next_page().await {
            Ok(Some(page)) => {
                page_count += 1;
                keys.extend(page.into_iter().map(|c| c.key));
            }
            Ok(None) => break,
            Err(e) => return failure(e),
        }
    }
    Response::from_json(&json!({"keys": keys, "pages": page_count}))
}

/// The client's error, told apart by variant: what a shop would branch on.
fn failure(e: Error) -> Result<Response> {
    let kind = match &e {
        Error::Validation(_) => "validation",
        Error::IdempotencyConflict(_) => "idempotency_conflict",
        Error::Conflict(_) => "conflict",
        Error::NotFound(_) => "not_found",
        Error::Unauthorized(_) => "unauthorized",
        Error::RateLimited(_) | Error::Unavailable(_) => "retry_later",
        Error::Network(_) => "network",
        _ => "other",
    };
    let api = e.api();
    // Edgeref's own status when it answered; 502 when it could not be reached or read.
    let status = api.map_or(502, |a| a.status);
    let body = json!({"error": {"kind": kind, "code": api.map(|a| a.code.as_str()), "message": e.to_string(), "field": e.field()}});
    Ok(Response::from_json(&body)?.with_status(status))
}
