//! The referrer's side: portal tokens minted by the merchant's server
//! (`POST /v1/customers/{key}/portal-token`) and what a token lets the
//! referrer's browser read about themself (`GET /w/me`, with the QR code of
//! their link from `qr`); `page` is the hosted portal, `/portal/{public_id}`.

pub mod invite;
pub mod page;
pub mod qr;
pub mod signin;
pub mod store;

use crate::context::{worker_secret, Cx};
use crate::customers::{model::CustomerRow, store as customers};
use crate::error::{ApiError, ApiResult};
use crate::http::{self, bearer, json, optional_json_body};
use crate::programs::{model::Program, store as programs};
use crate::tracking::{cors, limits};
use crate::{audit, ids};
use edgeref_shared::portal::{self, Claims, DEFAULT_TTL_SECS, MAX_TTL_SECS, MIN_TTL_SECS};
use edgeref_shared::{origin, time};
use futures_util::future::join;
use serde::Deserialize;
use serde_json::{json, Value};
use worker::{Request, Response};

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct TokenRequest {
    ttl_seconds: Option<i64>,
}

/// The signing key: from `SECRETS_KEY`, else the admin token, under the portal's
/// own label (`portal::key_from_secret`), so a token reveals neither secret.
fn signing_key(cx: &Cx) -> Option<[u8; 32]> {
    worker_secret(&cx.env).map(|secret| portal::key_from_secret(&secret))
}

fn ttl(requested: Option<i64>) -> ApiResult<i64> {
    match requested.unwrap_or(DEFAULT_TTL_SECS) {
        t @ MIN_TTL_SECS..=MAX_TTL_SECS => Ok(t),
        _ => Err(ApiError::invalid("ttl_seconds", format!("must be an integer from {MIN_TTL_SECS} to {MAX_TTL_SECS} (seconds)"))),
    }
}

/// `POST /v1/customers/{key}/portal-token`: a token for the customer's browser.
pub async fn create_token(mut req: Request, cx: &Cx, program: &Program, key: &str) -> ApiResult<Response> {
    let body: TokenRequest = optional_json_body(&mut req).await?;
    let ttl = ttl(body.ttl_seconds)?;
    let customer = customers::require(&cx.db, &program.id, key).await?;
    let signing_key = signing_key(cx).ok_or_else(|| ApiError::unavailable("portal tokens", "neither SECRETS_KEY nor ADMIN_TOKEN is set"))?;
    let expires_at = ids::now_ms() / 1000 + ttl;
    let claims = Claims { program_id: program.id.clone(), customer_key: customer.key.clone(), expires_at };
    let token = portal::issue(&signing_key, &claims, customer.row_id);
    let portal_url = format!("{}/portal/{}?token={token}", cx.origin, program.public_id);
    let expires = time::rfc3339(expires_at * 1000);
    // A token reads the customer's data: who minted one, for whom and until when, is audited.
    audit::record_read(cx, &program.id, "customer.portal_token_created", ("customer", &customer.key), audit::created(&json!({"expires_at": expires}))).await?;
    json(201, &json!({"token": token, "expires_at": expires, "portal_url": portal_url}))
}

/// The one answer for every token that does not let its bearer in, whatever the reason.
fn invalid_token() -> ApiError {
    ApiError::new(401, "unauthorized", "missing, invalid or expired portal token: ask the site for a new link")
}

/// The program and customer a request's token was signed for, if it is genuine and current.
async fn token_holder(req: &Request, cx: &Cx) -> ApiResult<(Program, CustomerRow)> {
    let token = bearer(req).ok_or_else(invalid_token)?;
    let claims = portal::read(&token).ok_or_else(invalid_token)?;
    // Both at once: one wait on D1 instead of two.
    let (program, customer) = join(programs::get(&cx.db, &claims.program_id), customers::by_key(&cx.db, &claims.program_id, &claims.customer_key)).await;
    let program = match program {
        Err(e) if e.status == 404 => return Err(invalid_token()),
        found => found?,
    };
    let customer = customer?;
    let key = signing_key(cx).ok_or_else(invalid_token)?;
    // Checked even for a missing customer (row 0: never valid), so the time taken does not tell which keys exist.
    let row = customer.as_ref().map_or(0, |c| c.row_id);
    match (customer, portal::verify(&key, &token, row, ids::now_ms() / 1000)) {
        (Some(customer), Some(_)) => Ok((program, customer)),
        _ => Err(invalid_token()),
    }
}

/// What the referrer sees: their link, code, stats, balances and friends
/// (first name and masked email only: never a friend's key or address).
async fn me_json(cx: &Cx, program: &Program, c: &CustomerRow) -> ApiResult<Value> {
    let view = c.view(&program.website_url, &program.tracking, &cx.origin);
    let (stats, referrals) = join(customers::stats(&cx.db, &program.id, &c.key), store::referrals(&cx.db, &program.id, &c.key)).await;
    let (stats, referrals) = (stats?, referrals?);
    let referrals: Vec<Value> = referrals
        .iter()
        .map(|r| json!({"name": r.name, "email": portal::mask_email(&r.email), "joined_at": time::rfc3339(r.created_at), "purchased": r.purchased != 0}))
        .collect();
    Ok(json!({
        "program": {"name": program.name},
        "name": c.name,
        "referral_code": view.referral_code,
        "referral_link": view.referral_link,
        "short_link": view.short_link,
        "qr_svg": qr::cached(&view.referral_link).as_deref(),
        "stats": stats,
        "balance": c.balance,
        "pending_balance": c.pending_balance,
        "paid_total": c.paid_total,
        "currency": program.currency,
        "friend_reward": program.rewards.friend,
        "promotion_code": c.promotion_code,
        "referrals": referrals,
        "can_invite": invite::offered(program),
    }))
}

/// `GET /w/me`: CORS for the token's program's website; errors (401, 429)
/// readable by any program's website, so the widget can say the link expired.
pub async fn me(req: Request, cx: &Cx) -> ApiResult<Response> {
    let answer = async {
        limits::rate_limit(&req, cx, "portal").await?;
        let (program, customer) = token_holder(&req, cx).await?;
        let body = me_json(cx, &program, &customer).await?;
        ApiResult::Ok((program, body))
    }
    .await;
    answer_with_cors(&req, cx, answer).await
}

/// `POST /w/invite {"emails"}`: the token's referrer invites friends (`invite`).
pub async fn invite(mut req: Request, cx: &Cx) -> ApiResult<Response> {
    let answer = async {
        limits::rate_limit(&req, cx, "portal").await?;
        let (program, customer) = token_holder(&req, cx).await?;
        let body = invite::invite(&mut req, cx, &program, &customer).await?;
        ApiResult::Ok((program, body))
    }
    .await;
    answer_with_cors(&req, cx, answer).await
}

/// A `/w/*` answer: readable by the token's program's website; an error by any program's.
async fn answer_with_cors(req: &Request, cx: &Cx, answer: ApiResult<(Program, Value)>) -> ApiResult<Response> {
    match answer {
        Ok((program, body)) => {
            let origin = request_origin(req).filter(|o| origin::allowed(&program.website_url, &program.tracking, o, cx.dev_mode()));
            with_cors(json(200, &body)?, origin.as_deref())
        }
        Err(e) => {
            let origin = cors::allowed_by_some_program(req, cx).await.ok().flatten();
            with_cors(e.into_response()?, origin.as_deref())
        }
    }
}

/// The preflight for `/w/me` (a GET) and `/w/invite` (a JSON POST): the widget sends `Authorization`.
pub async fn preflight(req: &Request, cx: &Cx, method: &str) -> ApiResult<Response> {
    let origin = cors::allowed_by_some_program(req, cx).await?;
    let headers = if method == "POST" { "authorization, content-type" } else { "authorization" };
    with_cors(http::preflight(method, headers)?, origin.as_deref())
}

/// `GET /portal/{public_id}`: the widget for a token in the address or a portal session, else sign-in.
pub async fn hosted(req: &Request, cx: &Cx, program: &Program) -> ApiResult<Response> {
    if http::query_param(req, "token").is_some() {
        return page::respond(program, &page::View::Widget { token: None });
    }
    let Some(customer) = signin::session_holder(req, cx, program).await? else {
        return page::respond(program, &page::View::SignIn { offered: signin::offers_sign_in(program) });
    };
    // The widget reads `/w/me` with a token as ever: a short one, made for this page view.
    let key = signing_key(cx).ok_or_else(invalid_token)?;
    let claims = Claims { program_id: program.id.clone(), customer_key: customer.key.clone(), expires_at: ids::now_ms() / 1000 + DEFAULT_TTL_SECS };
    let token = portal::issue(&key, &claims, customer.row_id);
    page::respond(program, &page::View::Widget { token: Some(&token) })
}

fn request_origin(req: &Request) -> Option<String> {
    req.headers().get("origin").ok().flatten()
}

/// Not credentialed (the token travels in a header, not a cookie); never cached.
fn with_cors(mut response: Response, origin: Option<&str>) -> ApiResult<Response> {
    let h = response.headers_mut();
    h.set("cache-control", "no-store")?;
    h.set("vary", "Origin")?;
    if let Some(o) = origin {
        h.set("access-control-allow-origin", o)?;
    }
    Ok(response)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ttl_defaults_to_an_hour_and_stays_within_a_minute_and_a_day() {
        assert_eq!(ttl(None).unwrap(), 3_600);
        assert_eq!(ttl(Some(60)).unwrap(), 60);
        assert_eq!(ttl(Some(86_400)).unwrap(), 86_400);
        for bad in [59, 86_401, 0, -1, i64::MIN, i64::MAX] {
            assert_eq!(ttl(Some(bad)).unwrap_err().field.as_deref(), Some("ttl_seconds"), "{bad}");
        }
    }
}
