//! The browser-facing endpoints: the snippet and its beacons (`/s/*`, `/t/*`).
//! Public, so every input is validated against the program, and CORS is
//! limited to the program's website.

pub mod snippet;

use crate::customers::{self, model::CustomerRow, NewCustomerInput};
use crate::error::{ApiError, ApiResult};
use crate::http::{capped_body, json, parse_json};
use crate::programs::model::{Program, TrackingConfig};
use crate::programs::store as programs;
use crate::{codes, db, ids, sql};
use edgeref_shared::attribution::{attribute, Referrer, SignupFacts};
use edgeref_shared::{origin, ReferralCode};
use serde::Deserialize;
use serde_json::json;
use worker::{Context, D1Database, Env, Request, Response};

/// Beacons are small; anything bigger is not from our snippet.
const MAX_BEACON: usize = 8 * 1024;

#[derive(Deserialize)]
struct VisitBeacon {
    program: String,
    code: String,
    #[serde(default)]
    url: String,
    #[serde(default)]
    referrer: String,
}

#[derive(Deserialize)]
struct SignupBeacon {
    program: String,
    code: String,
    visit_id: Option<String>,
    customer: SignupCustomer,
}

/// What the page passes to `edgeref('signup', …)`; other fields it may add are ignored.
#[derive(Deserialize)]
struct SignupCustomer {
    key: String,
    email: String,
    name: Option<String>,
}

/// The request's `Origin`, if it may call this program; `Err` (403) if a browser
/// on another site sent it. No `Origin` (server-side callers) is allowed.
fn check_origin(req: &Request, env: &Env, config: &TrackingConfig) -> ApiResult<Option<String>> {
    let Some(origin) = req.headers().get("origin").ok().flatten() else { return Ok(None) };
    if origin::allowed(&config.website_url, &config.tracking, &origin, crate::dev_mode(env)) {
        Ok(Some(origin))
    } else {
        Err(ApiError::new(403, "origin_not_allowed", "this origin may not track for this program"))
    }
}

pub fn with_cors(mut response: Response, origin: Option<&str>) -> ApiResult<Response> {
    if let Some(o) = origin {
        let h = response.headers_mut();
        h.set("access-control-allow-origin", o)?;
        h.set("vary", "Origin")?;
    }
    Ok(response)
}

/// Answers a CORS preflight for `/t/*` (the snippet avoids them with text/plain,
/// but other callers may send JSON).
pub fn preflight(req: &Request) -> ApiResult<Response> {
    let origin = req.headers().get("origin").ok().flatten();
    let mut r = Response::empty()?.with_status(204);
    let h = r.headers_mut();
    h.set("access-control-allow-methods", "POST")?;
    h.set("access-control-allow-headers", "content-type")?;
    h.set("access-control-max-age", "86400")?;
    with_cors(r, origin.as_deref())
}

async fn read_beacon<T: for<'de> Deserialize<'de>>(req: &mut Request) -> ApiResult<T> {
    let body = capped_body(req).await?;
    if body.len() > MAX_BEACON {
        return Err(ApiError::new(413, "payload_too_large", "beacons are limited to 8 KiB"));
    }
    parse_json(&body)
}

async fn config_for(env: &Env, public_id: &str) -> ApiResult<TrackingConfig> {
    programs::tracking_config(env, public_id).await?.ok_or_else(|| ApiError::not_found("program"))
}

/// How long a repeat of the same visit is folded into the first (per isolate:
/// a repeat that reaches another data centre counts again, which is rare and harmless).
const DEDUPE_MS: i64 = 10 * 60_000;
const DEDUPE_MAX: usize = 20_000;

thread_local! {
    static RECENT_VISITS: std::cell::RefCell<std::collections::HashMap<String, (i64, String)>> = Default::default();
}

fn recent_visit(fingerprint: &str) -> Option<String> {
    let now = ids::now_ms();
    RECENT_VISITS.with(|r| r.borrow().get(fingerprint).filter(|(at, _)| now - at < DEDUPE_MS).map(|(_, id)| id.clone()))
}

fn remember_visit(fingerprint: String, id: &str) {
    RECENT_VISITS.with(|r| {
        let mut r = r.borrow_mut();
        if r.len() >= DEDUPE_MAX {
            let now = ids::now_ms();
            r.retain(|_, (at, _)| now - *at < DEDUPE_MS);
            if r.len() >= DEDUPE_MAX {
                r.clear();
            }
        }
        r.insert(fingerprint, (ids::now_ms(), id.to_owned()));
    });
}

/// Beacons per visitor (IP) and program in the limiter's window: far above what
/// a person clicking around makes, far below a script hammering one code.
async fn rate_limit(req: &Request, env: &Env, program_id: &str) -> ApiResult<()> {
    let Ok(limiter) = env.rate_limiter("BEACONS") else { return Ok(()) };
    let ip = req.headers().get("cf-connecting-ip").ok().flatten().unwrap_or_default();
    match limiter.limit(format!("{program_id}:{ip}")).await {
        Ok(outcome) if !outcome.success => Err(ApiError::new(429, "rate_limited", "too many beacons from this visitor; slow down")),
        _ => Ok(()),
    }
}

/// `POST /t/visit`: config from the isolate/KV, code from KV, no D1 query: the
/// visit goes to the ingest queue.
pub async fn visit(mut req: Request, env: &Env, db: &D1Database) -> ApiResult<Response> {
    let beacon: VisitBeacon = read_beacon(&mut req).await?;
    let config = config_for(env, &beacon.program).await?;
    let origin = check_origin(&req, env, &config)?;
    rate_limit(&req, env, &config.id).await?;
    let owner = match ReferralCode::parse(&beacon.code) {
        Ok(code) => codes::owner_of(env, db, &config.id, &code).await?.map(|key| (code, key)),
        Err(_) => None,
    };
    let Some((code, referrer_key)) = owner else {
        return with_cors(json(202, &json!({"visit_id": null, "valid": false}))?, origin.as_deref());
    };
    let header = |name: &str| req.headers().get(name).ok().flatten().unwrap_or_default();
    let clip = |s: &str| s.chars().take(2048).collect::<String>();
    // The same visitor landing on the same link again soon (a reload, a back
    // button, a double fire) is the same visit.
    let fingerprint = [config.id.as_str(), code.as_str(), &header("cf-connecting-ip"), &header("user-agent"), &beacon.url].join("\u{1f}");
    if let Some(id) = recent_visit(&fingerprint) {
        return with_cors(json(202, &json!({"visit_id": id, "valid": true}))?, origin.as_deref());
    }
    let id = ids::new_id("vis");
    let visit = crate::ingest::VisitMsg {
        id: id.clone(),
        program_id: config.id.clone(),
        code: code.as_str().to_owned(),
        referrer_key,
        url: clip(&beacon.url),
        referrer: clip(&beacon.referrer),
        created_at: ids::now_ms(),
        bot: edgeref_shared::bot::is_bot(&header("user-agent")),
    };
    // Remembered before the queue send, so a repeat arriving meanwhile folds in too.
    remember_visit(fingerprint.clone(), &id);
    if let Err(e) = crate::ingest::accept(env, &visit).await {
        RECENT_VISITS.with(|r| r.borrow_mut().remove(&fingerprint));
        return Err(e);
    }
    with_cors(json(202, &json!({"visit_id": id, "valid": true}))?, origin.as_deref())
}

#[derive(Deserialize)]
struct PastSignup {
    attributed: i64,
    reason: Option<String>,
}

/// `POST /t/signup`: attributes a signup to the code's referrer, or records why not.
/// Idempotent per customer key: a repeat answers with the first result.
pub async fn signup(mut req: Request, env: &Env, ctx: &Context, db: &D1Database) -> ApiResult<Response> {
    let beacon: SignupBeacon = read_beacon(&mut req).await?;
    let config = config_for(env, &beacon.program).await?;
    let origin = check_origin(&req, env, &config)?;
    rate_limit(&req, env, &config.id).await?;
    let program = programs::get(db, &config.id).await?;
    let body = attribute_signup(env, ctx, db, &program, &beacon.code, beacon.visit_id.as_deref(), &beacon.customer).await?;
    with_cors(json(200, &body)?, origin.as_deref())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ServerSignup {
    code: String,
    visit_id: Option<String>,
    customer: SignupCustomer,
}

/// `POST /v1/signups` (API key): the same attribution, called by the merchant's
/// backend with the code it captured, for flows where the browser cannot
/// (OAuth redirects, Safari capping script-written cookies, native apps).
pub async fn server_signup(mut req: Request, env: &Env, ctx: &Context, db: &D1Database, program: &Program) -> ApiResult<Response> {
    let body: ServerSignup = crate::http::json_body(&mut req).await?;
    json(200, &attribute_signup(env, ctx, db, program, &body.code, body.visit_id.as_deref(), &body.customer).await?)
}

/// Attributes a signup to the code's referrer, or records why not. Idempotent
/// per customer key: a repeat answers with the first result.
async fn attribute_signup(
    env: &Env,
    ctx: &Context,
    db: &D1Database,
    program: &Program,
    raw_code: &str,
    visit_id: Option<&str>,
    c: &SignupCustomer,
) -> ApiResult<serde_json::Value> {
    let input = NewCustomerInput::validated(&c.key, &c.email, c.name.as_deref(), None)?;
    let past: Option<PastSignup> = db::first(sql!(
        db,
        "SELECT attributed, reason FROM signups WHERE program_id = ?1 AND customer_key = ?2 ORDER BY id LIMIT 1",
        &program.id,
        &input.key
    ))
    .await?;
    if let Some(past) = past {
        let customer = customers::store::by_key(db, &program.id, &input.key).await?;
        return Ok(answer(past.attributed == 1, past.reason.as_deref(), customer.as_ref(), program));
    }

    let code = ReferralCode::parse(raw_code).ok();
    let referrer_key = match &code {
        Some(code) => codes::owner_of(env, db, &program.id, code).await?,
        None => None,
    };
    let referrer: Option<CustomerRow> = match &referrer_key {
        Some(key) => customers::store::by_key(db, &program.id, key).await?,
        None => None,
    };
    let visit_at = match visit_id {
        Some(id) => visit_time(db, &program.id, id).await?,
        None => None,
    };
    let existing = customers::store::by_key(db, &program.id, &input.key).await?;
    let facts = SignupFacts {
        referrer: referrer.as_ref().map(|r| Referrer { key: &r.key, email: &r.email }),
        signup_key: &input.key,
        signup_email: &input.email,
        visit_at_ms: visit_at,
        signup_at_ms: ids::now_ms(),
        window: program.tracking.cookie,
        already_referred: existing.is_some(),
    };
    let verdict = attribute(&facts);
    let code_text = code.as_ref().map_or(raw_code.chars().take(64).collect(), |c| c.as_str().to_owned());
    let customer_key = input.key.clone();
    let record = |attributed: bool, reason: Option<&str>| {
        sql!(
            db,
            "INSERT INTO signups (program_id, customer_key, code, visit_id, referrer_key, attributed, reason, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
            &program.id,
            &customer_key,
            &code_text,
            visit_id,
            referrer.as_ref().map(|r| r.key.as_str()),
            attributed as i64,
            reason,
            ids::now_ms()
        )
    };
    match verdict {
        Ok(()) => {
            let input = NewCustomerInput { referrer: referrer.clone(), ..input };
            match customers::create_customer(env, ctx, db, program, &input, &|| vec![record(true, None)]).await {
                Ok(customer) => Ok(answer(true, None, Some(&customer), program)),
                // A concurrent signup for the same key won the race: answer with its result.
                Err(e) if e.status == 409 => {
                    let customer = customers::store::require(db, &program.id, &customer_key).await?;
                    Ok(answer(customer.referred_by.is_some(), None, Some(&customer), program))
                }
                Err(e) => Err(e),
            }
        }
        Err(refusal) => {
            db::run(record(false, Some(refusal.as_str()))).await?;
            Ok(answer(false, Some(refusal.as_str()), existing.as_ref(), program))
        }
    }
}

async fn visit_time(db: &D1Database, program_id: &str, visit_id: &str) -> ApiResult<Option<i64>> {
    #[derive(Deserialize)]
    struct Row {
        created_at: i64,
    }
    let row: Option<Row> = db::first(sql!(db, "SELECT created_at FROM visits WHERE id = ?1 AND program_id = ?2", visit_id, program_id)).await?;
    Ok(row.map(|r| r.created_at))
}

/// The answer shows only what the visitor may know: whether the signup was
/// credited (or why not), their own referral link, and their friend reward.
/// Never emails, balances or who referred them.
fn answer(attributed: bool, reason: Option<&str>, customer: Option<&CustomerRow>, program: &Program) -> serde_json::Value {
    let view = customer.map(|c| c.view(&program.website_url, &program.tracking));
    json!({
        "attributed": attributed,
        "reason": reason,
        "referral_code": view.as_ref().map(|v| v.referral_code),
        "referral_link": view.as_ref().map(|v| v.referral_link.as_str()),
        "friend_reward": view.as_ref().and_then(|v| v.friend_reward.as_ref()),
    })
}
