//! Visits and dead-lettered visits in D1.

use super::model::VisitMsg;
use crate::db::{self, Stmt};
use crate::error::ApiResult;
use crate::sql;
use serde::Deserialize;
use worker::D1Database;

/// `INSERT OR IGNORE` on the visit's id: a redelivered batch is a no-op. Only while the
/// referrer still holds the code: a visit queued before its referrer was deleted must not
/// count for a customer created later under the same key.
pub fn insert_visit(db: &D1Database, v: &VisitMsg) -> Stmt {
    sql!(
        db,
        "INSERT OR IGNORE INTO visits (id, program_id, code, referrer_key, url, referrer, created_at, bot)
         SELECT ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8 WHERE EXISTS (SELECT 1 FROM customers WHERE program_id = ?2 AND referral_code = ?3 AND key = ?4)",
        &v.id,
        &v.program_id,
        &v.code,
        &v.referrer_key,
        &v.url,
        &v.referrer,
        v.created_at,
        v.bot as i64
    )
}

/// A visit the queue gave up on, kept where the owner can see it.
pub fn insert_dead(db: &D1Database, v: &VisitMsg, now: i64) -> Stmt {
    sql!(
        db,
        "INSERT OR IGNORE INTO dead_visits (id, program_id, body, created_at) VALUES (?1, ?2, ?3, ?4)",
        &v.id,
        &v.program_id,
        &serde_json::to_string(v).unwrap_or_default(),
        now
    )
}

/// How many visits were dead-lettered, and the newest 20 of them (as queued).
pub async fn dead_visits(db: &D1Database, program_id: &str) -> ApiResult<(i64, Vec<String>)> {
    #[derive(Deserialize)]
    struct Count {
        n: i64,
    }
    #[derive(Deserialize)]
    struct Dead {
        body: String,
    }
    let count: Option<Count> = db::first(sql!(db, "SELECT COUNT(*) AS n FROM dead_visits WHERE program_id = ?1", program_id)).await?;
    let recent: Vec<Dead> = db::all(sql!(db, "SELECT body FROM dead_visits WHERE program_id = ?1 ORDER BY created_at DESC LIMIT 20", program_id)).await?;
    Ok((count.map_or(0, |c| c.n), recent.into_iter().map(|d| d.body).collect()))
}
