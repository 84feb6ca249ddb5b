//! Signups and visits in D1, as the tracking endpoints read and write them.

use crate::db::{self, Stmt};
use crate::error::ApiResult;
use crate::sql;
use serde::Deserialize;
use worker::D1Database;

/// The first recorded outcome of a customer's signup: its attribution is decided once.
#[derive(Debug, Deserialize)]
pub struct PastSignup {
    pub attributed: i64,
    pub reason: Option<String>,
}

pub async fn past_signup(db: &D1Database, program_id: &str, customer_key: &str) -> ApiResult<Option<PastSignup>> {
    db::first(sql!(db, "SELECT attributed, reason FROM signups WHERE program_id = ?1 AND customer_key = ?2 ORDER BY id LIMIT 1", program_id, customer_key)).await
}

/// A signup's outcome, as recorded.
pub struct SignupRecord<'a> {
    pub customer_key: &'a str,
    pub code: &'a str,
    pub visit_id: Option<&'a str>,
    pub referrer_key: Option<&'a str>,
    pub attributed: bool,
    pub reason: Option<&'a str>,
    /// Keyed hash of the client IP (browser signups only).
    pub ip_hash: Option<&'a str>,
    pub at: i64,
}

pub fn insert_signup(db: &D1Database, program_id: &str, s: &SignupRecord) -> Stmt {
    sql!(
        db,
        "INSERT INTO signups (program_id, customer_key, code, visit_id, referrer_key, attributed, reason, created_at, ip_hash) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
        program_id,
        s.customer_key,
        s.code,
        s.visit_id,
        s.referrer_key,
        s.attributed as i64,
        s.reason,
        s.at,
        s.ip_hash
    )
}

/// Where a customer's own tracked signup came from, for fraud review.
#[derive(Debug, Default, Deserialize)]
pub struct SignupOrigin {
    pub ip_hash: Option<String>,
    pub visit_id: Option<String>,
}

pub async fn signup_origin(db: &D1Database, program_id: &str, customer_key: &str) -> ApiResult<SignupOrigin> {
    let row: Option<SignupOrigin> = db::first(sql!(db, "SELECT ip_hash, visit_id FROM signups WHERE program_id = ?1 AND customer_key = ?2 ORDER BY id LIMIT 1", program_id, customer_key)).await?;
    Ok(row.unwrap_or_default())
}

/// When the visit happened, if it is this program's.
pub async fn visit_time(db: &D1Database, program_id: &str, visit_id: &str) -> ApiResult<Option<i64>> {
    #[derive(Deserialize)]
    struct Row {
        created_at: i64,
    }
    let row: Option<Row> = db::first(sql!(db, "SELECT created_at FROM visits WHERE id = ?1 AND program_id = ?2", visit_id, program_id)).await?;
    Ok(row.map(|r| r.created_at))
}
