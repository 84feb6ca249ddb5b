//! The audit log: who changed what, recorded in the same D1 batch as the change.
//! A handler adds one line to its batch:
//!
//! ```ignore
//! stmts.extend(audit::record(cx, &program.id, "customer.updated", ("customer", &key), audit::changed(&before, &after)));
//! ```
//!
//! `record` yields nothing when nobody authenticated (tracking beacons, Stripe,
//! the scheduled run): those changes are not the audit log's (`docs/records.md`).
//! `GET /v1/programs/{id}/audit-log` (owner only, `log.rs`) reads it newest first.

pub mod log;
pub mod model;
pub mod store;

use crate::context::Cx;
use crate::db::Stmt;
use crate::error::ApiResult;
use crate::ids;
use edgeref_shared::audit::{diff, Actor};
use model::NewEntry;
use serde_json::Value;
use worker::D1Database;

/// How long entries are kept.
pub const RETENTION_DAYS: i64 = 400;
/// How many old entries one scheduled run deletes at most.
pub const PRUNE_PER_RUN: i64 = 5_000;

/// The statement recording `action` on `target` (type, id) by the request's
/// caller, to append to the change's batch; `None` without an authenticated caller.
pub fn record(cx: &Cx, program_id: &str, action: &str, target: (&str, &str), diff: Value) -> Option<Stmt> {
    let caller = cx.caller()?;
    Some(record_as(cx, program_id, &caller.actor, caller.ip_hash.as_deref(), action, target, diff))
}

/// The same for a named actor, where no caller is authenticated yet (a sign-in, a failed one).
pub fn record_as(cx: &Cx, program_id: &str, actor: &Actor, ip_hash: Option<&str>, action: &str, target: (&str, &str), diff: Value) -> Stmt {
    let entry = NewEntry { program_id, actor, action, target_type: target.0, target_id: target.1, diff, ip_hash, at: ids::now_ms() };
    store::insert(&cx.db, &entry)
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

/// The scheduled run's share: deletes entries older than `RETENTION_DAYS`, at most `PRUNE_PER_RUN`.
pub async fn prune(db: &D1Database, now: i64) -> ApiResult<()> {
    crate::db::run(store::prune(db, now - RETENTION_DAYS * edgeref_shared::time::DAY_MS, PRUNE_PER_RUN)).await.map_err(Into::into)
}
