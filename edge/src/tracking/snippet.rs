//! `/s/{public_id}.js` (the loader, with the program's config inlined, every page
//! view's one request) and the module it loads only when there may be something to
//! track: `/s/snippet_bg.js` and `/s/snippet_bg.wasm` (content-hashed, cached forever);
//! and the referrer widget's script, `/s/widget.js`, loaded only by `edgeref('widget', …)`.

use super::assets::{LOADER, MODULE_JS, VERSION, WASM, WIDGET};
use crate::context::Cx;
use crate::error::{ApiError, ApiResult};
use crate::programs::model::{tracking_base, TrackingConfig};
use crate::programs::store as programs;
use edgeref_shared::{Attribution, CookieLifetime, LinkFormat};
use serde_json::json;
use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;
use worker::{Headers, Request, Response};

/// Where the loader takes the program's config.
const CONFIG_SLOT: &str = "__EDGEREF_CONFIG__";
/// Short: settings changes reach visitors within minutes; the module it names is immutable.
const LOADER_CACHE: &str = "public, max-age=300";

/// A program's loader as last served by this isolate, with what it was built from.
struct Rendered {
    origin: String,
    /// The isolate's copy of the config it was built from (`programs::store::held_version`).
    version: u64,
    body: Rc<str>,
    etag: Rc<str>,
}

thread_local! {
    /// By public id. Built once per copy of the config this isolate holds: a page view
    /// checks one number instead of building JSON and the loader (or even reading the config).
    static RENDERED: RefCell<HashMap<String, Rendered>> = RefCell::new(HashMap::new());
}

/// The loader, or `304` when the browser's copy (`If-None-Match`) is this one.
pub async fn loader(req: &Request, cx: &Cx, public_id: &str) -> ApiResult<Response> {
    let (body, etag) = match current(cx, public_id) {
        Some(hit) => hit,
        None => rendered(cx, public_id).await?,
    };
    let headers = Headers::new();
    headers.set("cache-control", LOADER_CACHE)?;
    headers.set("etag", &etag)?;
    headers.set("access-control-allow-origin", "*")?;
    let fresh = req.headers().get("if-none-match")?.is_some_and(|tags| tags.split(',').any(|t| t.trim().trim_start_matches("W/") == &*etag));
    if fresh {
        return Ok(Response::empty()?.with_status(304).with_headers(headers));
    }
    headers.set("content-type", "text/javascript; charset=utf-8")?;
    Ok(Response::ok(String::from(&*body))?.with_headers(headers))
}

/// This isolate's rendering, if it was built from the config copy it holds now.
fn current(cx: &Cx, public_id: &str) -> Option<(Rc<str>, Rc<str>)> {
    let version = programs::held_version(public_id)?;
    RENDERED.with(|r| r.borrow().get(public_id).filter(|c| c.version == version && c.origin == cx.origin).map(|c| (c.body.clone(), c.etag.clone())))
}

/// Reads the config (isolate, else KV), renders the loader and keeps it.
async fn rendered(cx: &Cx, public_id: &str) -> ApiResult<(Rc<str>, Rc<str>)> {
    let config = programs::tracking_config(&cx.env, public_id).await?.ok_or_else(|| ApiError::not_found("program"))?;
    let body: Rc<str> = render(&cx.origin, &config).into();
    let etag: Rc<str> = format!("\"{:016x}\"", fnv1a(body.as_bytes())).into();
    // Held just now by `tracking_config`; a config KV does not know is not kept.
    if let Some(version) = programs::held_version(public_id) {
        let entry = Rendered { origin: cx.origin.clone(), version, body: body.clone(), etag: etag.clone() };
        RENDERED.with(|r| r.borrow_mut().insert(public_id.to_owned(), entry));
    }
    Ok((body, etag))
}

fn render(edge_origin: &str, config: &TrackingConfig) -> String {
    let t = &config.tracking;
    // The PSL registrable domain (or the owner's override), also for a bare host: the same cookie the Worker sets.
    let cookie_domain = t.effective_cookie_domain(&config.website_url);
    // Beacons and the module through the first-party endpoint when the owner set one.
    let base = tracking_base(t, edge_origin);
    // Short: this is part of every page view. What is false or absent is left out (`f` path
    // links, `a` first click, `o` the cookie domain, `r` the friend reward): the module reads
    // a missing key as no.
    let mut c = json!({"e": base, "p": config.public_id, "v": VERSION, "n": t.param.as_str()});
    c["d"] = json!(match t.cookie { CookieLifetime::Days(d) => d, CookieLifetime::Lifetime => 0 });
    if t.link_format == LinkFormat::Path {
        c["f"] = json!(1);
    }
    if t.attribution == Attribution::FirstClick {
        c["a"] = json!(1);
    }
    if let Some(domain) = cookie_domain {
        c["o"] = json!(domain);
    }
    // `k` the consent mode (1 required, 2 Google Consent Mode): absent when none is needed.
    if t.consent.waits() {
        c["k"] = json!(t.consent.loader_flag());
    }
    if let Some(reward) = &config.friend_reward {
        // A promotion code is each friend's own, known after signup: the page learns only its kind.
        c["r"] = match reward {
            edgeref_shared::reward::FriendReward::StripePromotionCode { .. } => json!({"type": "stripe_promotion_code"}),
            other => json!(other),
        };
    }
    LOADER.replacen(CONFIG_SLOT, &c.to_string(), 1)
}

fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, b| (h ^ *b as u64).wrapping_mul(0x100_0000_01b3))
}

/// The module's JS: the same for every program, fetched with the wasm.
pub fn module_js() -> ApiResult<Response> {
    immutable(MODULE_JS.as_bytes(), "text/javascript; charset=utf-8")
}

/// The widget's script, content-hashed like the module.
pub fn widget_js() -> ApiResult<Response> {
    immutable(WIDGET.as_bytes(), "text/javascript; charset=utf-8")
}

pub fn wasm() -> ApiResult<Response> {
    immutable(WASM, "application/wasm")
}

fn immutable(bytes: &[u8], content_type: &str) -> ApiResult<Response> {
    if bytes.is_empty() {
        return Err(ApiError::new(503, "unavailable", "the snippet was not built: run `make snippet`"));
    }
    let headers = Headers::new();
    headers.set("content-type", content_type)?;
    headers.set("cache-control", "public, max-age=31536000, immutable")?;
    // Fetched cross-origin from merchants' pages; it is public code.
    headers.set("access-control-allow-origin", "*")?;
    Ok(Response::from_bytes(bytes.to_vec())?.with_headers(headers))
}
