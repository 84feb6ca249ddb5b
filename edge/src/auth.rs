//! Who is calling: the owner (admin token) or a merchant backend (program API key).

use crate::error::{ApiError, ApiResult};
use crate::http::bearer;
use crate::{db, ids, sql};
use edgeref_shared::apikey;
use serde::Deserialize;
use worker::{Context, D1Database, Env, Request};

/// Checks the owner's admin token (`ADMIN_TOKEN` secret) in constant time.
pub fn require_owner(req: &Request, env: &Env) -> ApiResult<()> {
    let expected = env.secret("ADMIN_TOKEN").map(|s| s.to_string()).unwrap_or_default();
    let presented = bearer(req).ok_or_else(ApiError::unauthorized)?;
    apikey::token_matches(&presented, &expected).then_some(()).ok_or_else(ApiError::unauthorized)
}

#[derive(Deserialize)]
struct KeyRow {
    id: String,
    program_id: String,
    hash: String,
    last_used_at: Option<i64>,
}

/// Resolves a program API key to its program id. Unknown and revoked keys are
/// both plain 401s. `last_used_at` is refreshed at most once a minute, after
/// the response, so key checks add no write to the request.
pub async fn require_program_key(req: &Request, db: &D1Database, ctx: &Context) -> ApiResult<String> {
    let presented = bearer(req).ok_or_else(ApiError::unauthorized)?;
    if !presented.starts_with(apikey::KEY_PREFIX) {
        return Err(ApiError::unauthorized());
    }
    let hash = apikey::hash(&presented);
    let row: KeyRow = db::first(sql!(db, "SELECT id, program_id, hash, last_used_at FROM api_keys WHERE hash = ?1 AND revoked_at IS NULL", &hash))
        .await?
        .ok_or_else(ApiError::unauthorized)?;
    if !apikey::matches(&presented, &row.hash) {
        return Err(ApiError::unauthorized());
    }
    let now = ids::now_ms();
    if row.last_used_at.is_none_or(|t| now - t > 60_000) {
        let stmt = sql!(db, "UPDATE api_keys SET last_used_at = ?1 WHERE id = ?2", now, &row.id);
        ctx.wait_until(async move {
            let _ = db::run(stmt).await;
        });
    }
    Ok(row.program_id)
}
