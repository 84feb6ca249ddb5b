//! What the ingest queue gave up on, for the owner: `GET /v1/programs/{id}/ingest`.

use super::store;
use crate::error::ApiResult;

pub async fn dead_visits(db: &worker::D1Database, program_id: &str) -> ApiResult<worker::Response> {
    let (count, recent) = store::dead_visits(db, program_id).await?;
    let recent: Vec<serde_json::Value> = recent.iter().filter_map(|body| serde_json::from_str(body).ok()).collect();
    crate::http::json(200, &serde_json::json!({"dead_visits": count, "recent_dead": recent}))
}
