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

/// The request's `Origin` if some program's website may use it (a preflight,
/// or an answer about no program in particular), else `None`.
pub async fn allowed_by_some_program(req: &Request, cx: &Cx) -> ApiResult<Option<String>> {
    let Some(o) = req.headers().get("origin").ok().flatten() else { return Ok(None) };
    let configs = programs::all_configs(&cx.db, false).await?;
    Ok(configs.iter().any(|c| origin::allowed(&c.website_url, &c.tracking, &o, cx.dev_mode())).then_some(o))
}
