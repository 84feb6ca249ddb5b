//! The browser-facing endpoints: the snippet and its beacons (`/s/*`, `/t/*`)
//! and redirect links (`/r/*`). Public, so every input is validated against the
//! program, and CORS is limited to the program's website.

pub mod assets;
pub mod cookies;
pub mod cors;
pub mod dedupe;
pub mod limits;
pub mod redirect;
pub mod signup;
pub mod snippet;
pub mod store;

use crate::context::Cx;
use crate::error::{ApiError, ApiResult};
use crate::http::{self, capped_body_of, json, parse_json};
use crate::ingest::{self, VisitMsg};
use crate::programs::model::{Program, TrackingConfig};
use crate::programs::store as programs;
use crate::{codes, ids};
use cors::{check_origin, with_cors};
use limits::{header, rate_limit};
use edgeref_shared::ReferralCode;
use serde::Deserialize;
use serde_json::json;
use edgeref_shared::api::ServerSignup;
use signup::{attribute_signup, SignupCustomer};
use worker::{Request, Response};

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

async fn read_beacon<T: for<'de> Deserialize<'de>>(req: &mut Request) -> ApiResult<T> {
    parse_json(&capped_body_of(req, MAX_BEACON, "beacons are limited to 8 KiB").await?)
}

async fn config_for(cx: &Cx, public_id: &str) -> ApiResult<TrackingConfig> {
    programs::tracking_config(&cx.env, public_id).await?.ok_or_else(|| ApiError::not_found("program"))
}

/// Answers a CORS preflight for `/t/*` (the snippet avoids them with text/plain,
/// but other callers may send JSON). A preflight names no program, so the
/// origin is allowed if some program allows it; the request itself is checked
/// against its own program.
pub async fn preflight(req: &Request, cx: &Cx) -> ApiResult<Response> {
    let origin = cors::allowed_by_some_program(req, cx).await?;
    with_cors(http::preflight("POST", "content-type")?, origin.as_deref())
}

/// `{"visit_id", "valid"}`, the visit beacon's answer.
fn visit_answer(visit_id: Option<&str>, origin: Option<&str>) -> ApiResult<Response> {
    with_cors(json(202, &json!({"visit_id": visit_id, "valid": visit_id.is_some()}))?, origin)
}

/// `POST /t/visit`: config from the isolate/KV, code from KV, no D1 query: the
/// visit goes to the ingest queue. On a first-party host the answer sets the cookies.
pub async fn visit(mut req: Request, cx: &Cx) -> ApiResult<Response> {
    let beacon: VisitBeacon = read_beacon(&mut req).await?;
    let config = config_for(cx, &beacon.program).await?;
    let origin = check_origin(&req, cx, &config)?;
    rate_limit(&req, cx, &config.id).await?;
    let owner = match ReferralCode::parse(&beacon.code) {
        Ok(code) => codes::owner_of(cx, &config.id, &code).await?.map(|key| (code, key)),
        Err(_) => None,
    };
    let Some((code, referrer_key)) = owner else { return visit_answer(None, origin.as_deref()) };
    let landing = Landing { code: &code, referrer_key, url: &beacon.url, referrer: &beacon.referrer };
    let visit_id = record_visit(&req, cx, &config, landing).await?;
    let mut answer = visit_answer(Some(&visit_id), origin.as_deref())?;
    cookies::attach(&mut answer, &req, &config, &code, Some(&visit_id))?;
    Ok(answer)
}

/// A visit about to be recorded: the code, whose it is, where it landed, where from.
pub struct Landing<'a> {
    pub code: &'a ReferralCode,
    pub referrer_key: String,
    pub url: &'a str,
    pub referrer: &'a str,
}

/// Records a visit once (a repeat within the dedupe window answers the first
/// visit's id) and queues it for ingest; bots are recorded flagged, never
/// counted. The visit's id. Shared by the beacon and redirect links.
pub async fn record_visit(req: &Request, cx: &Cx, config: &TrackingConfig, landing: Landing<'_>) -> ApiResult<String> {
    let user_agent = header(req, "user-agent");
    let fingerprint = dedupe::fingerprint(&config.id, landing.code.as_str(), &header(req, "cf-connecting-ip"), &user_agent, landing.url);
    if let Some(id) = dedupe::recent_visit(&fingerprint) {
        return Ok(id);
    }
    let clip = |s: &str| s.chars().take(2048).collect::<String>();
    let visit = VisitMsg {
        id: ids::new_id("vis"),
        program_id: config.id.clone(),
        code: landing.code.as_str().to_owned(),
        referrer_key: landing.referrer_key,
        url: clip(landing.url),
        referrer: clip(landing.referrer),
        created_at: ids::now_ms(),
        bot: edgeref_shared::bot::is_bot(&user_agent),
    };
    // Remembered before the queue send, so a repeat arriving meanwhile folds in too.
    dedupe::remember_visit(&fingerprint, &visit.id);
    if let Err(e) = ingest::accept(&cx.env, &visit).await {
        dedupe::forget_visit(&fingerprint);
        return Err(e);
    }
    if !visit.bot {
        ingest::to_analytics(&cx.env, &visit, req.cf().and_then(|cf| cf.country()));
    }
    Ok(visit.id)
}

/// `POST /t/signup`: attributes a signup to the code's referrer, or records why not.
/// Idempotent per customer key: a repeat answers with the first result.
pub async fn signup(mut req: Request, cx: &Cx) -> ApiResult<Response> {
    let beacon: SignupBeacon = read_beacon(&mut req).await?;
    let config = config_for(cx, &beacon.program).await?;
    let origin = check_origin(&req, cx, &config)?;
    rate_limit(&req, cx, &config.id).await?;
    let program = programs::get(&cx.db, &config.id).await?;
    let ip_hash = cx.ip_hash(&header(&req, "cf-connecting-ip"));
    let body = attribute_signup(cx, &program, &beacon.code, beacon.visit_id.as_deref(), ip_hash.as_deref(), &beacon.customer).await?;
    with_cors(json(200, &body)?, origin.as_deref())
}

/// `POST /v1/signups` (API key): the same attribution, called by the merchant's
/// backend with the code it captured, for flows where the browser cannot
/// (OAuth redirects, Safari capping script-written cookies, native apps).
pub async fn server_signup(mut req: Request, cx: &Cx, program: &Program) -> ApiResult<Response> {
    let body: ServerSignup = crate::http::json_body(&mut req).await?;
    // The merchant's server calls this: its IP says nothing about the visitor.
    json(200, &attribute_signup(cx, program, &body.code, body.visit_id.as_deref(), None, &body.customer).await?)
}

