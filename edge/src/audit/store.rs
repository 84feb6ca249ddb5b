//! The audit log in D1: appended in the change's own batch, read newest first, pruned by age.

use super::model::{AuditRow, NewEntry};
use crate::db::{self, Stmt};
use crate::error::ApiResult;
use crate::sql;
use worker::D1Database;

pub fn insert(db: &D1Database, e: &NewEntry) -> Stmt {
    sql!(
        db,
        "INSERT INTO audit_log (program_id, actor, actor_name, action, target_type, target_id, diff, ip_hash, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
        e.program_id,
        e.actor.id(),
        e.actor.name(),
        e.action,
        e.target_type,
        e.target_id,
        &e.diff.to_string(),
        e.ip_hash,
        e.at
    )
}

/// What a page of the log is narrowed to; `None` matches anything.
pub struct Filter<'a> {
    pub actor: Option<&'a str>,
    pub action: Option<&'a str>,
    pub target_type: Option<&'a str>,
    pub target_id: Option<&'a str>,
    /// Rows older than this id (the previous page's cursor); 0 for the newest.
    pub before: i64,
    pub limit: i64,
}

/// One page, newest first, plus one row to tell whether another follows.
pub async fn page(db: &D1Database, program_id: &str, f: &Filter<'_>) -> ApiResult<Vec<AuditRow>> {
    db::all(sql!(
        db,
        "SELECT id, actor, actor_name, action, target_type, target_id, diff, ip_hash, created_at FROM audit_log
         WHERE program_id = ?1 AND (?2 = 0 OR id < ?2) AND (?3 IS NULL OR actor = ?3) AND (?4 IS NULL OR action = ?4)
           AND (?5 IS NULL OR target_type = ?5) AND (?6 IS NULL OR target_id = ?6)
         ORDER BY id DESC LIMIT ?7",
        program_id,
        f.before,
        f.actor,
        f.action,
        f.target_type,
        f.target_id,
        f.limit + 1
    ))
    .await
}

/// Deletes at most `limit` rows older than `before` (ms), oldest first: set-based,
/// bounded so one scheduled run stays short however much has piled up.
pub fn prune(db: &D1Database, before: i64, limit: i64) -> Stmt {
    sql!(db, "DELETE FROM audit_log WHERE id IN (SELECT id FROM audit_log WHERE created_at < ?1 ORDER BY created_at LIMIT ?2)", before, limit)
}

/// One `reward.auto_approved` row per program for the rewards a scheduled batch
/// approved (`decision = token`), with their number: never a row per reward.
pub fn approvals_summary(db: &D1Database, token: &str, now: i64) -> Stmt {
    sql!(
        db,
        "INSERT INTO audit_log (program_id, actor, action, target_type, target_id, diff, created_at)
         SELECT program_id, 'system', 'reward.auto_approved', 'reward_batch', ?1,
                json_object('status', json_object('from', 'pending', 'to', 'approved'), 'count', json_object('to', COUNT(*))), ?2
         FROM rewards WHERE decision = ?1 GROUP BY program_id",
        token,
        now
    )
}
