//! Which browser origins may call `/t/*` for a program, and the CORS headers
//! that say so. Credentialed (the loader sends cookies, so a first-party
//! endpoint can set them), hence always the exact origin, never `*`.

use crate::context::Cx;
use crate::error::{ApiError, ApiResult};
use crate::programs::model::TrackingConfig;
use crate::programs::store as programs;
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
        h.set("access-control-allow-credentials", "true")?;
        h.set("vary", "Origin")?;
    }
    Ok(response)
}

/// Answers a CORS preflight for `/t/*` (the snippet avoids them with text/plain,
/// but other callers may send JSON). A preflight names no program, so the
/// origin is allowed if some program allows it; the request itself is checked
/// against its own program.
pub async fn preflight(req: &Request, cx: &Cx) -> ApiResult<Response> {
    let origin = req.headers().get("origin").ok().flatten();
    let allowed = match &origin {
        Some(o) => programs::all_configs(&cx.db, false).await?.iter().any(|c| origin::allowed(&c.website_url, &c.tracking, o, cx.dev_mode())),
        None => false,
    };
    let origin = origin.filter(|_| allowed);
    let mut r = Response::empty()?.with_status(204);
    let h = r.headers_mut();
    h.set("access-control-allow-methods", "POST")?;
    h.set("access-control-allow-headers", "content-type")?;
    h.set("access-control-max-age", "86400")?;
    with_cors(r, origin.as_deref())
}
