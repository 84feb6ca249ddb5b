//! Stripe in: `POST /integrations/stripe/{public_id}` turns paid checkouts and
//! invoices into transactions and refunds into reversals, without merchant code.
//!
//! The buyer is matched by `metadata.edgeref_customer` (a customer key), then by
//! email; a buyer who is not a customer yet but carries a referral code
//! (`client_reference_id` or `metadata.edgeref_code`, from `edgeref('referral')`)
//! becomes a referred customer first. Transactions are keyed by the payment
//! intent (or the object id), so a checkout and its first invoice count once.

use super::store;
use crate::context::Cx;
use crate::customers::model::CustomerRow;
use crate::customers::store as customer_store;
use crate::customers::service::{self as customers, NewCustomerInput};
use crate::error::{ApiError, ApiResult};
use crate::http::json;
use crate::programs::model::Program;
use crate::transactions::service::{self as transactions, Recorded, Sale};
use crate::programs::store as programs;
use crate::{codes, ids};
use edgeref_shared::attribution::{attribute, Referrer, SignupFacts};
use edgeref_shared::signature::verify_stripe;
use edgeref_shared::{validate, ReferralCode};
use serde_json::{json, Value};
use worker::{Request, Response};

/// Stripe's API, unless the integration names another (`api_base`; tests use a local server).
pub const DEFAULT_API_BASE: &str = "https://api.stripe.com";

/// The integrations row holding the sealed Stripe API key (`secret_key`) and `api_base`;
/// a row of its own, so the key is sealed, re-sealed and deleted like every other secret.
pub const API_ROW: &str = "stripe_api";

/// Stripe events can be large (invoices with many lines); still bounded.
const MAX_EVENT: usize = 512 * 1024;

pub fn endpoint_url(edge_origin: &str, program: &Program) -> String {
    format!("{edge_origin}/integrations/stripe/{}", program.public_id)
}

fn text<'a>(v: &'a Value, path: &[&str]) -> Option<&'a str> {
    path.iter().try_fold(v, |v, k| v.get(k)).and_then(Value::as_str).filter(|s| !s.is_empty())
}

pub async fn receive(mut req: Request, cx: &Cx, public_id: &str) -> ApiResult<Response> {
    let config = programs::tracking_config(&cx.env, public_id).await?.ok_or_else(|| ApiError::not_found("program"))?;
    let program = programs::get(&cx.db, &config.id).await?;
    let integration = store::get(&cx.db, &program.id, "stripe").await?.ok_or_else(|| ApiError::not_found("stripe integration"))?;
    let secret = crate::sealed::open(&cx.env, &integration.secret)?;
    let body = crate::http::capped_body_of(&mut req, MAX_EVENT, "Stripe events are limited to 512 KiB").await?;
    // Verified over the raw bytes, before anything is parsed.
    let header = req.headers().get("stripe-signature").ok().flatten().unwrap_or_default();
    verify_stripe(&secret, &header, &body, ids::now_ms() / 1000)
        .map_err(|e| ApiError::new(400, "invalid_signature", format!("Stripe-Signature does not verify: {e:?}")))?;
    let event: Value = serde_json::from_slice(&body).map_err(|_| ApiError::malformed("the event is not JSON"))?;
    let outcome = handle(cx, &program, event["type"].as_str().unwrap_or(""), &event["data"]["object"]).await?;
    let mut answer = json!({"received": true});
    answer.as_object_mut().expect("object").extend(outcome.as_object().cloned().unwrap_or_default());
    json(200, &answer)
}

/// What one verified event does: a paid checkout or invoice is a sale, a refunded charge a refund.
async fn handle(cx: &Cx, program: &Program, kind: &str, object: &Value) -> ApiResult<Value> {
    match kind {
        "checkout.session.completed" | "checkout.session.async_payment_succeeded" if text(object, &["payment_status"]) == Some("paid") => {
            let email = text(object, &["customer_details", "email"]).or_else(|| text(object, &["customer_email"]));
            sale(cx, program, &payment(object, object["amount_total"].as_i64(), email)).await
        }
        "invoice.paid" => sale(cx, program, &payment(object, object["amount_paid"].as_i64(), text(object, &["customer_email"]))).await,
        "charge.refunded" => match object["amount_refunded"].as_i64() {
            Some(total) => refund(cx, program, &transaction_key(object), total).await,
            None => Ok(json!({"ignored": "no amount_refunded"})),
        },
        _ => Ok(json!({"ignored": "event type not used by Edgeref"})),
    }
}

/// A paid checkout or invoice as a payment any billing provider reports.
fn payment<'a>(object: &'a Value, amount: Option<i64>, email: Option<&'a str>) -> Payment<'a> {
    Payment {
        key: transaction_key(object),
        amount,
        currency: text(object, &["currency"]).unwrap_or(""),
        email,
        name: text(object, &["customer_details", "name"]),
        customer_key: text(object, &["metadata", "edgeref_customer"]),
        code: text(object, &["metadata", "edgeref_code"]).or_else(|| text(object, &["client_reference_id"])),
        new_key: text(object, &["customer"]),
        stripe_customer: stripe_customer(object),
    }
}

/// A refund reported as the payment's cumulative refunded amount: reverses that share of its rewards once.
pub async fn refund(cx: &Cx, program: &Program, key: &str, total: i64) -> ApiResult<Value> {
    match transactions::refund(cx, program, key, total).await {
        Ok(true) => Ok(json!({"refunded": key})),
        Ok(false) => Ok(json!({"ignored": "refund already applied"})),
        Err(e) if e.status == 404 => Ok(json!({"ignored": "no transaction for this payment"})),
        Err(e) => Err(e),
    }
}

/// A payment as every billing provider's receiver reads it (Stripe, Paddle, Lemon Squeezy).
pub struct Payment<'a> {
    /// The transaction key: the provider's payment id with its prefix (`stripe_pi_…`, `paddle_txn_…`).
    pub key: String,
    pub amount: Option<i64>,
    pub currency: &'a str,
    pub email: Option<&'a str>,
    pub name: Option<&'a str>,
    /// The buyer's customer key the page passed along (`edgeref_customer`).
    pub customer_key: Option<&'a str>,
    /// The referral code the page passed along (`edgeref('referral')`).
    pub code: Option<&'a str>,
    /// The key a new referred buyer gets (the provider's customer id), else their e-mail.
    pub new_key: Option<&'a str>,
    pub stripe_customer: Option<String>,
}

/// The transaction key for a Stripe payment: its payment intent when there is one.
fn transaction_key(object: &Value) -> String {
    let id = text(object, &["payment_intent"]).or_else(|| text(object, &["id"])).unwrap_or("unknown");
    format!("stripe_{id}")
}

/// Records a payment as a sale of its buyer (found, or made a referred customer by its code);
/// a redelivery of the same payment is the same transaction, counted once.
pub async fn sale(cx: &Cx, program: &Program, p: &Payment<'_>) -> ApiResult<Value> {
    let Some(amount) = p.amount.filter(|a| *a > 0) else { return Ok(json!({"ignored": "nothing was paid"})) };
    let Some(customer) = buyer(cx, program, p).await? else {
        return Ok(json!({"ignored": "the buyer is not a customer and carries no referral code"}));
    };
    link_stripe_customer(cx, program, &customer, p.stripe_customer.as_deref()).await?;
    let key = p.key.clone();
    let currency = validate::currency("currency", p.currency)?;
    let sale = Sale {
        request_hash: edgeref_shared::apikey::sha256_hex(&format!("{key}|{amount}|{currency}")),
        key,
        customer,
        amount,
        currency,
        product_id: None,
    };
    Ok(match transactions::record(cx, program, sale).await {
        Ok(Recorded::Created(t)) => json!({"transaction": t.key, "reward": t.reward}),
        Ok(Recorded::Replayed(t)) => json!({"transaction": t.key, "duplicate": true}),
        // Same payment reported with another amount (a checkout and its invoice): keep the first.
        Err(e) if e.status == 409 => json!({"ignored": "payment already recorded"}),
        Err(e) if e.code == "currency_mismatch" => json!({"ignored": e.message}),
        Err(e) => return Err(e),
    })
}

/// The buyer's Stripe customer id (`customer` on a checkout session or an invoice), when valid.
fn stripe_customer(object: &Value) -> Option<String> {
    text(object, &["customer"]).and_then(|id| validate::stripe_customer_id("customer", id).ok())
}

/// Remembers the buyer's Stripe customer on a customer not linked yet, so their rewards can be
/// credited there (docs/fulfilment.md); a link set by the owner is never replaced.
async fn link_stripe_customer(cx: &Cx, program: &Program, customer: &CustomerRow, stripe_customer: Option<&str>) -> ApiResult<()> {
    match (&customer.stripe_customer_id, stripe_customer) {
        (None, Some(id)) => customer_store::link_stripe(&cx.db, &program.id, &customer.key, id, ids::now_ms()).await,
        _ => Ok(()),
    }
}

/// Finds the buyer among the program's customers, or makes them a referred
/// customer when the payment carries a valid referral code.
async fn buyer(cx: &Cx, program: &Program, p: &Payment<'_>) -> ApiResult<Option<CustomerRow>> {
    if let Some(key) = p.customer_key {
        if let Some(c) = customer_store::by_key(&cx.db, &program.id, key).await? {
            return Ok(Some(c));
        }
    }
    let email = p.email;
    if let Some(email) = email {
        if let Some(c) = customer_store::by_email(&cx.db, &program.id, email).await? {
            return Ok(Some(c));
        }
    }
    let (Some(code), Some(email)) = (p.code.and_then(|c| ReferralCode::parse(c).ok()), email) else { return Ok(None) };
    let Some(referrer_key) = codes::owner_of(cx, &program.id, &code).await? else { return Ok(None) };
    let Some(referrer) = customer_store::by_key(&cx.db, &program.id, &referrer_key).await? else { return Ok(None) };
    let key = p.new_key.unwrap_or(email);
    let facts = SignupFacts {
        referrer: Some(Referrer { key: &referrer.key, email: &referrer.email }),
        signup_key: key,
        signup_email: email,
        visit_at_ms: None,
        signup_at_ms: ids::now_ms(),
        window: program.tracking.cookie,
        already_referred: false,
    };
    if attribute(&facts).is_err() {
        return Ok(None);
    }
    let mut input = NewCustomerInput::validated(key, email, p.name, None)?;
    input.referrer = Some(referrer);
    input.stripe_customer_id = p.stripe_customer.clone();
    match customers::create_customer(cx, program, &input, &Vec::new).await {
        Ok(c) => Ok(Some(c)),
        // Created by a concurrent delivery of the same event.
        Err(e) if e.status == 409 => customer_store::by_key(&cx.db, &program.id, key).await,
        Err(e) => Err(e),
    }
}
