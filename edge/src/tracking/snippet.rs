//! `/s/{public_id}.js` (the loader, with the program's config inlined, every page
//! view's one request) and the module it loads only when there may be something to
//! track: `/s/snippet_bg.js` and `/s/snippet_bg.wasm` (content-hashed, cached forever);
//! and the referrer widget's script, `/s/widget.js`, loaded only by `edgeref('widget', …)`.

use crate::error::{ApiError, ApiResult};
use crate::programs::model::{tracking_base, TrackingConfig};
use edgeref_shared::{Attribution, CookieLifetime, LinkFormat};
use serde_json::json;
use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;
use worker::{Headers, Request, Response};

/// The loader (snippet/core.js, minified) and the module (snippet/loader.js with the
/// Rust wasm), from `make snippet`.
static LOADER: &str = include_str!(concat!(env!("OUT_DIR"), "/snippet.js"));
static MODULE_JS: &str = include_str!(concat!(env!("OUT_DIR"), "/snippet_bg.js"));
static WASM: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/snippet_bg.wasm"));
const MODULE_HASH: &str = env!("SNIPPET_MODULE_HASH");
/// The referrer widget (snippet/widget.js, minified): its own file, never in the loader's budget.
static WIDGET: &str = include_str!(concat!(env!("OUT_DIR"), "/widget.js"));
const WIDGET_HASH: &str = env!("SNIPPET_WIDGET_HASH");
/// Where the loader takes the program's config.
const CONFIG_SLOT: &str = "__EDGEREF_CONFIG__";
/// Short: settings changes reach visitors within minutes; the module it names is immutable.
const LOADER_CACHE: &str = "public, max-age=300";

/// A program's loader as last served by this isolate, with what it was built from.
struct Rendered {
    origin: String,
    config: TrackingConfig,
    body: Rc<str>,
    etag: Rc<str>,
}

thread_local! {
    /// By public id. Built once per settings change (the config compared field by field
    /// is far cheaper than building its JSON and the loader on every page view).
    static RENDERED: RefCell<HashMap<String, Rendered>> = RefCell::new(HashMap::new());
}

fn same(a: &TrackingConfig, b: &TrackingConfig) -> bool {
    a.id == b.id && a.public_id == b.public_id && a.website_url == b.website_url && a.tracking == b.tracking && a.friend_reward == b.friend_reward
}

/// The loader, or `304` when the browser's copy (`If-None-Match`) is this one.
pub fn loader(req: &Request, config: &TrackingConfig) -> ApiResult<Response> {
    let origin = crate::http::self_origin(req);
    let cached = RENDERED.with(|r| {
        r.borrow().get(&config.public_id).filter(|c| c.origin == origin && same(&c.config, config)).map(|c| (c.body.clone(), c.etag.clone()))
    });
    let (body, etag) = match cached {
        Some(hit) => hit,
        None => {
            let body: Rc<str> = render(&origin, config).into();
            let etag: Rc<str> = format!("\"{:016x}\"", fnv1a(body.as_bytes())).into();
            let entry = Rendered { origin, config: config.clone(), body: body.clone(), etag: etag.clone() };
            RENDERED.with(|r| r.borrow_mut().insert(config.public_id.clone(), entry));
            (body, etag)
        }
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

fn render(edge_origin: &str, config: &TrackingConfig) -> String {
    let t = &config.tracking;
    // The PSL registrable domain (or the owner's override), also for a bare host: the same cookie the Worker sets.
    let cookie_domain = t.effective_cookie_domain(&config.website_url);
    // Beacons and the module through the first-party endpoint when the owner set one.
    let base = tracking_base(t, edge_origin);
    let c = json!({
        "e": base,
        "p": config.public_id,
        "w": format!("{base}/s/snippet_bg.wasm?v={MODULE_HASH}"),
        "m": format!("{base}/s/snippet_bg.js?v={MODULE_HASH}"),
        "g": format!("{base}{}", widget_path()),
        "f": t.link_format == LinkFormat::Path,
        "n": t.param.as_str(),
        "d": match t.cookie { CookieLifetime::Days(d) => d, CookieLifetime::Lifetime => 0 },
        "a": t.attribution == Attribution::FirstClick,
        "o": cookie_domain,
        "r": config.friend_reward,
    });
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

/// Where the widget's script is, below a tracking base (this version's, cached forever).
pub fn widget_path() -> String {
    format!("/s/widget.js?v={WIDGET_HASH}")
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
