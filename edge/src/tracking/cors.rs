//! Which browser origins may call `/t/*` for a program, and the CORS headers that say so.

use crate::context::Cx;
use crate::error::{ApiError, ApiResult};
use crate::programs::model::TrackingConfig;
use edgeref_shared::origin;
use worker::{Request, Response};

/// The request's `Origin`, if it may call this program; `Err` (403) if a browser
/// on another site sent it. No `Origin` (server-side callers) is allowed.
pub fn check_origin(req: &Request, cx: &Cx, config: &TrackingConfig) -> ApiResult<Option<String>> {
    let Some(origin) = req.headers().get("origin").ok().flatten() else { return Ok(None) };
    if origin::allowed(&config.website_url, &config.tracking, &origin, cx.dev_mode()) {
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
