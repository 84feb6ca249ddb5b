//! `/s/{public_id}.js` (the loader, with the program's config inlined) and
//! `/s/snippet_bg.wasm` (the Rust snippet, content-hashed, cached forever).

use crate::error::{ApiError, ApiResult};
use crate::programs::model::{tracking_base, TrackingConfig};
use edgeref_shared::{CookieLifetime, LinkFormat, Attribution};
use serde_json::json;
use worker::{Headers, Response};

/// The loader (snippet/loader.js with wasm-bindgen's glue, minified) and the module, from `make snippet`.
static LOADER: &str = include_str!(concat!(env!("OUT_DIR"), "/snippet.js"));
static WASM: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/snippet_bg.wasm"));
const WASM_HASH: &str = env!("SNIPPET_WASM_HASH");
/// Where the loader takes the program's config.
const CONFIG_SLOT: &str = "__EDGEREF_CONFIG__";

pub fn loader(edge_origin: &str, config: &TrackingConfig) -> ApiResult<Response> {
    let t = &config.tracking;
    // The PSL registrable domain (or the owner's override), also for a bare host: the same cookie the Worker sets.
    let cookie_domain = t.effective_cookie_domain(&config.website_url);
    // Beacons and the module through the first-party endpoint when the owner set one.
    let base = tracking_base(t, edge_origin);
    let c = json!({
        "e": base,
        "p": config.public_id,
        "w": format!("{base}/s/snippet_bg.wasm?v={WASM_HASH}"),
        "f": t.link_format == LinkFormat::Path,
        "n": t.param.as_str(),
        "d": match t.cookie { CookieLifetime::Days(d) => d, CookieLifetime::Lifetime => 0 },
        "a": t.attribution == Attribution::FirstClick,
        "o": cookie_domain,
        "r": config.friend_reward,
    });
    let body = LOADER.replacen(CONFIG_SLOT, &c.to_string(), 1);
    let headers = Headers::new();
    headers.set("content-type", "text/javascript; charset=utf-8")?;
    // Short: settings changes reach visitors within minutes; the wasm it names is immutable.
    headers.set("cache-control", "public, max-age=300")?;
    headers.set("access-control-allow-origin", "*")?;
    Ok(Response::ok(body)?.with_headers(headers))
}

pub fn wasm() -> ApiResult<Response> {
    if WASM.is_empty() {
        return Err(ApiError::new(503, "unavailable", "the snippet was not built: run `make snippet`"));
    }
    let headers = Headers::new();
    headers.set("content-type", "application/wasm")?;
    headers.set("cache-control", "public, max-age=31536000, immutable")?;
    // Fetched cross-origin from merchants' pages; it is public code.
    headers.set("access-control-allow-origin", "*")?;
    Ok(Response::from_bytes(WASM.to_vec())?.with_headers(headers))
}
