//! The audit log: who changed what, recorded in the same D1 batch as the change.
//! A handler adds one line to its batch:
//!
//! ```ignore
//! stmts.extend(audit::record(cx, &program.id, "customer.updated", ("customer", &key), audit::changed(&before, &after)));
//! ```
//!
//! `record` yields nothing when nobody authenticated (tracking beacons, Stripe,
//! the scheduled run): those changes are not the audit log's (`docs/records.md`).
//! `GET /v1/programs/{id}/audit-log` (owner only) reads it newest first.

pub mod model;
pub mod store;

use crate::context::Cx;
use crate::db::Stmt;
use crate::error::{ApiError, ApiResult};
use crate::http::{json, limit_param, query_param};
use crate::ids;
use edgeref_shared::audit::diff;
use model::NewEntry;
use serde_json::{json, Value};
use worker::{D1Database, Request, Response};

/// How long entries are kept.
pub const RETENTION_DAYS: i64 = 400;
/// How many old entries one scheduled run deletes at most.
pub const PRUNE_PER_RUN: i64 = 5_000;

/// The statement recording `action` on `target` (type, id) by the request's
/// caller, to append to the change's batch; `None` without an authenticated caller.
pub fn record(cx: &Cx, program_id: &str, action: &str, target: (&str, &str), diff: Value) -> Option<Stmt> {
    let caller = cx.caller()?;
    let entry = NewEntry {
        program_id,
        actor: &caller.actor,
        action,
        target_type: target.0,
        target_id: target.1,
        diff,
        ip_hash: caller.ip_hash.as_deref(),
        at: ids::now_ms(),
    };
    Some(store::insert(&cx.db, &entry))
}

/// Records, on its own and before it is answered, a read that can carry data away
/// (an export, a portal token); nothing without an authenticated caller.
pub async fn record_read(cx: &Cx, program_id: &str, action: &str, target: (&str, &str), diff: Value) -> ApiResult<()> {
    if let Some(entry) = record(cx, program_id, action, target, diff) {
        crate::db::run(entry).await?;
    }
    Ok(())
}

/// The diff of a changed object (only its changed fields; secrets redacted).
pub fn changed<T: serde::Serialize>(before: &T, after: &T) -> Value {
    diff(Some(&to_json(before)), Some(&to_json(after)))
}

/// The diff of a new object: each field's value.
pub fn created<T: serde::Serialize>(after: &T) -> Value {
    diff(None, Some(&to_json(after)))
}

/// The diff of a deleted object: each field's last value.
pub fn deleted<T: serde::Serialize>(before: &T) -> Value {
    diff(Some(&to_json(before)), None)
}

fn to_json<T: serde::Serialize>(v: &T) -> Value {
    serde_json::to_value(v).unwrap_or(Value::Null)
}

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

/// The scheduled run's share: deletes entries older than `RETENTION_DAYS`, at most `PRUNE_PER_RUN`.
pub async fn prune(db: &D1Database, now: i64) -> ApiResult<()> {
    crate::db::run(store::prune(db, now - RETENTION_DAYS * 86_400_000, PRUNE_PER_RUN)).await.map_err(Into::into)
}
