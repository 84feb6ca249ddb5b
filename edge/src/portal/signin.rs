//! Signing into the hosted portal without a token: a six-digit code (and a
//! one-click link) by e-mail, exchanged for a 30-day session cookie scoped to the
//! portal's path. With open sign-up, signing in creates a referring customer.
//! Nothing here tells anyone whether an address is a customer.

use super::store;
use crate::context::{worker_secret, Cx};
use crate::customers::service::{self as customers, NewCustomerInput};
use crate::customers::store as customer_rows;
use crate::error::{ApiError, ApiResult};
use crate::http::{self, json, json_body};
use crate::programs::model::Program;
use crate::tracking::limits;
use crate::{ids, outbox, sealed};
use edgeref_shared::email::Message;
use edgeref_shared::portal::{self, Claims, Signup, CODE_TRIES, CODE_TTL_MS, SESSION_TTL_SECS};
use edgeref_shared::validate;
use serde::Deserialize;
use serde_json::json;
use worker::{Request, Response};

/// Limits per 10-minute window: code requests per IP and per address, sign-in attempts per IP.
const WINDOW_MS: i64 = 10 * 60 * 1000;
const CODES_PER_IP: i64 = 20;
const CODES_PER_ADDRESS: i64 = 5;
const ATTEMPTS_PER_IP: i64 = 40;

fn window_no() -> i64 {
    ids::now_ms() / WINDOW_MS
}

/// Drops expired codes and the counters of windows gone by (the scheduled run).
pub async fn prune(db: &worker::D1Database) -> ApiResult<()> {
    store::prune(db, ids::now_ms(), window_no()).await
}

/// Counts one more under `what` and refuses once over `limit`.
async fn limit(cx: &Cx, what: &str, program: &Program, who: &str, limit: i64) -> ApiResult<()> {
    let n = store::count(&cx.db, &format!("{what}:{}:{who}", program.id), window_no()).await?;
    if n > limit {
        return Err(ApiError::new(429, "rate_limited", "too many tries; wait ten minutes and try again"));
    }
    Ok(())
}

fn client_ip(req: &Request, cx: &Cx) -> String {
    cx.ip_hash(&limits::header(req, "cf-connecting-ip")).unwrap_or_default()
}

/// Only the portal's own page may ask (no other site can sign a visitor in or spend their codes).
fn same_origin(req: &Request, cx: &Cx) -> ApiResult<()> {
    match req.headers().get("origin").ok().flatten() {
        Some(o) if o != cx.origin => Err(ApiError::new(403, "forbidden", "cross-origin request refused")),
        _ => Ok(()),
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CodeRequest {
    email: String,
}

/// Whether the portal offers sign-in by code at all: the program sends the message.
pub fn offers_sign_in(program: &Program) -> bool {
    program.emails.sends(Message::SignInCode)
}

/// `POST /portal/{public_id}/code {"email"}`: always `202`; a customer (or anyone, with open
/// sign-up) gets a code. Transactional: sent even to an unsubscribed address.
pub async fn send_code(mut req: Request, cx: &Cx, program: &Program) -> ApiResult<Response> {
    same_origin(&req, cx)?;
    let body: CodeRequest = json_body(&mut req).await?;
    let address = validate::email("email", &body.email)?;
    limit(cx, "code-ip", program, &client_ip(&req, cx), CODES_PER_IP).await?;
    limit(cx, "code-address", program, &address.to_lowercase(), CODES_PER_ADDRESS).await?;
    let accepted = json(202, &json!({"ok": true}));
    if !offers_sign_in(program) {
        return accepted;
    }
    if customer_rows::by_email(&cx.db, &program.id, &address).await?.is_none() {
        if program.portal.signup != Signup::Open {
            return accepted;
        }
        if crate::disposable::is_disposable(cx, &address).await {
            return Err(ApiError::invalid("email", "disposable addresses cannot join; use an address you keep"));
        }
    }
    let secret = worker_secret(&cx.env).ok_or_else(|| ApiError::unavailable("sign-in codes", "neither SECRETS_KEY nor ADMIN_TOKEN is set"))?;
    let code = portal::six_digits(u64::from_le_bytes(ids::random::<8>()));
    let hash = portal::code_hash(&secret, &program.id, &address, &code);
    // The code sealed: the outbox holds nothing to type in.
    let out = outbox::email(&cx.db, &program.id, Message::SignInCode, &json!({"to": address, "code": sealed::seal(&cx.env, &code)?}));
    let mut stmts = vec![store::put_code(&cx.db, &program.id, &address, &hash, CODE_TRIES, ids::now_ms() + CODE_TTL_MS)];
    stmts.extend(out.statements);
    crate::db::batch(&cx.db, stmts).await?;
    outbox::dispatch(cx, vec![out.id]);
    accepted
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SessionRequest {
    email: String,
    code: String,
}

fn invalid_code() -> ApiError {
    ApiError::new(400, "invalid_code", "wrong or expired code: ask for a new one")
}

/// `POST /portal/{public_id}/session {"email", "code"}`: the portal session cookie.
pub async fn sign_in(mut req: Request, cx: &Cx, program: &Program) -> ApiResult<Response> {
    same_origin(&req, cx)?;
    let body: SessionRequest = json_body(&mut req).await?;
    limit(cx, "sign-in-ip", program, &client_ip(&req, cx), ATTEMPTS_PER_IP).await?;
    let address = validate::email("email", &body.email).map_err(|_| invalid_code())?;
    let secret = worker_secret(&cx.env).ok_or_else(invalid_code)?;
    let stored = store::spend_try(&cx.db, &program.id, &address, ids::now_ms()).await?.ok_or_else(invalid_code)?;
    if !portal::code_matches(&secret, &program.id, &address, &body.code, &stored) || !store::consume(&cx.db, &program.id, &address, &stored).await? {
        return Err(invalid_code());
    }
    let customer = match customer_rows::by_email(&cx.db, &program.id, &address).await? {
        Some(c) => c,
        None if program.portal.signup == Signup::Open => join(cx, program, &address).await?,
        None => return Err(invalid_code()),
    };
    let claims = Claims { program_id: program.id.clone(), customer_key: customer.key.clone(), expires_at: ids::now_ms() / 1000 + SESSION_TTL_SECS };
    let token = portal::issue(&portal::session_key_from_secret(&secret), &claims, customer.row_id);
    let mut response = json(200, &json!({"ok": true}))?;
    response.headers_mut().set("set-cookie", &portal::session_cookie(&program.public_id, &token, SESSION_TTL_SECS, secure(&req)))?;
    Ok(response)
}

/// Open sign-up: the address becomes a referring customer (its `customer.created` sends `referrer_welcome`).
async fn join(cx: &Cx, program: &Program, address: &str) -> ApiResult<crate::customers::model::CustomerRow> {
    let input = NewCustomerInput::validated(&ids::new_id("cus"), address, None, None)?;
    customers::create_customer(cx, program, &input, &Vec::new).await
}

fn secure(req: &Request) -> bool {
    req.url().map(|u| portal::needs_secure(u.scheme(), u.host_str().unwrap_or(""))).unwrap_or(true)
}

/// `POST /portal/{public_id}/logout`: the session cookie, expired.
pub fn sign_out(req: &Request, program: &Program) -> ApiResult<Response> {
    let mut response = json(200, &json!({"ok": true}))?;
    response.headers_mut().set("set-cookie", &portal::session_cookie(&program.public_id, "", 0, secure(req)))?;
    Ok(response)
}

/// The customer a request's portal session cookie is for, if it is genuine and current.
pub async fn session_holder(req: &Request, cx: &Cx, program: &Program) -> ApiResult<Option<crate::customers::model::CustomerRow>> {
    let (Some(value), Some(secret)) = (http::cookie(req, portal::SESSION_COOKIE), worker_secret(&cx.env)) else { return Ok(None) };
    let Some(claims) = portal::read(&value).filter(|c| c.program_id == program.id) else { return Ok(None) };
    let customer = customer_rows::by_key(&cx.db, &program.id, &claims.customer_key).await?;
    let row = customer.as_ref().map_or(0, |c| c.row_id);
    Ok(customer.filter(|_| portal::verify(&portal::session_key_from_secret(&secret), &value, row, ids::now_ms() / 1000).is_some()))
}
