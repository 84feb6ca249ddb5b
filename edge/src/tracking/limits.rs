//! What a beacon (or a portal request) may spend: the `BEACONS` rate limiter, per
//! visitor IP and program.

use crate::context::Cx;
use crate::error::{ApiError, ApiResult};
use worker::Request;

/// Beacons per visitor (IP) and program in the limiter's window: far above what
/// a person clicking around makes, far below a script hammering one code.
pub async fn rate_limit(req: &Request, cx: &Cx, program_id: &str) -> ApiResult<()> {
    let Ok(limiter) = cx.env.rate_limiter("BEACONS") else { return Ok(()) };
    let ip = header(req, "cf-connecting-ip");
    match limiter.limit(format!("{program_id}:{ip}")).await {
        Ok(outcome) if !outcome.success => Err(ApiError::new(429, "rate_limited", "too many beacons from this visitor; slow down")),
        _ => Ok(()),
    }
}

pub fn header(req: &Request, name: &str) -> String {
    req.headers().get(name).ok().flatten().unwrap_or_default()
}
