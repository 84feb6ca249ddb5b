//! The audit log as the owner reads it: `GET /v1/programs/{id}/audit-log`.

use super::{model, store};
use crate::context::Cx;
use crate::error::{ApiError, ApiResult};
use crate::http::{json, limit_param, query_param};
use serde_json::json;
use worker::{Request, Response};

/// `GET /v1/programs/{id}/audit-log?actor=&action=&target_type=&target_id=&limit=&cursor=`, newest first.
pub async fn list(req: &Request, cx: &Cx, program_id: &str) -> ApiResult<Response> {
    let before = match query_param(req, "cursor") {
        None => 0,
        Some(c) => c.parse::<i64>().ok().filter(|n| *n > 0).ok_or_else(|| ApiError::invalid("cursor", "is not a cursor from this API"))?,
    };
    let (actor, action) = (query_param(req, "actor"), query_param(req, "action"));
    let (target_type, target_id) = (query_param(req, "target_type"), query_param(req, "target_id"));
    let f = store::Filter {
        actor: actor.as_deref(),
        action: action.as_deref(),
        target_type: target_type.as_deref(),
        target_id: target_id.as_deref(),
        before,
        limit: limit_param(req, 50)?,
    };
    let mut rows = store::page(&cx.db, program_id, &f).await?;
    let more = rows.len() as i64 > f.limit;
    rows.truncate(f.limit as usize);
    let next = more.then(|| rows.last().map(|r| r.id.to_string())).flatten();
    json(200, &json!({"data": rows.iter().map(model::AuditRow::view).collect::<Vec<_>>(), "next_cursor": next}))
}
