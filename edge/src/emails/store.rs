//! E-mail in D1 besides the outbox: the delivery log's view, suppressions,
//! friend invitations and the messages kept for `/__dev/mail`.

use crate::db::{self, DbResult, Stmt};
use crate::error::ApiResult;
use crate::sql;
use serde::Deserialize;
use worker::D1Database;

/// One e-mail delivery as its log shows it.
#[derive(Debug, Deserialize)]
pub struct LogRow {
    pub seq: i64,
    pub id: String,
    pub integration: String,
    pub recipient: Option<String>,
    pub status: String,
    pub attempts: i64,
    pub last_code: Option<i64>,
    /// The latest attempt's error, or the provider's (or our "not sent: …") answer.
    pub note: Option<String>,
    pub created_at: i64,
    pub updated_at: i64,
}

/// The program's e-mail deliveries, newest first, older than `before` (0: from the newest).
pub async fn log(db: &D1Database, program_id: &str, before: i64, limit: i64) -> ApiResult<Vec<LogRow>> {
    db::all(sql!(
        db,
        "SELECT d.rowid AS seq, d.id, d.integration, d.recipient, d.status, d.attempts, d.last_code, d.created_at, d.updated_at,
                (SELECT COALESCE(a.error, a.response_body) FROM delivery_attempts a WHERE a.delivery_id = d.id
                 ORDER BY a.attempted_at DESC, a.id DESC LIMIT 1) AS note
         FROM deliveries d WHERE d.program_id = ?1 AND d.integration LIKE 'email:%' AND (?2 = 0 OR d.rowid < ?2)
         ORDER BY d.rowid DESC LIMIT ?3",
        program_id,
        before,
        limit + 1
    ))
    .await
}

/// Whether `delivery_id` is one of the program's e-mail deliveries.
pub async fn is_email_delivery(db: &D1Database, program_id: &str, delivery_id: &str) -> ApiResult<bool> {
    #[derive(Deserialize)]
    struct Found {}
    let found: Option<Found> =
        db::first(sql!(db, "SELECT 1 AS one FROM deliveries WHERE id = ?1 AND program_id = ?2 AND integration LIKE 'email:%'", delivery_id, program_id)).await?;
    Ok(found.is_some())
}

#[derive(Debug, Deserialize)]
pub struct SuppressionRow {
    pub seq: i64,
    pub address: String,
    pub reason: String,
    pub created_at: i64,
}

/// Suppressed addresses, newest first.
pub async fn suppressions(db: &D1Database, program_id: &str, before: i64, limit: i64) -> ApiResult<Vec<SuppressionRow>> {
    db::all(sql!(
        db,
        "SELECT rowid AS seq, address, reason, created_at FROM email_suppressions WHERE program_id = ?1 AND (?2 = 0 OR rowid < ?2)
         ORDER BY rowid DESC LIMIT ?3",
        program_id,
        before,
        limit + 1
    ))
    .await
}

/// Suppresses an address (lower-cased); an address already suppressed keeps its first reason.
pub fn suppress(db: &D1Database, program_id: &str, address: &str, reason: &str, now: i64) -> Stmt {
    sql!(
        db,
        "INSERT INTO email_suppressions (program_id, address, reason, created_at) VALUES (?1, lower(?2), ?3, ?4) ON CONFLICT DO NOTHING",
        program_id,
        address,
        reason,
        now
    )
}

pub async fn get_suppression(db: &D1Database, program_id: &str, address: &str) -> ApiResult<Option<SuppressionRow>> {
    db::first(sql!(db, "SELECT rowid AS seq, address, reason, created_at FROM email_suppressions WHERE program_id = ?1 AND address = lower(?2)", program_id, address)).await
}

/// Lifts a suppression.
pub fn unsuppress(db: &D1Database, program_id: &str, address: &str) -> Stmt {
    sql!(db, "DELETE FROM email_suppressions WHERE program_id = ?1 AND address = lower(?2)", program_id, address)
}

/// Whether the program may invite `address` now: not suppressed, not a customer, not invited since `since`.
pub async fn invitable(db: &D1Database, program_id: &str, address: &str, since: i64) -> ApiResult<bool> {
    #[derive(Deserialize)]
    struct Blocked {
        blocked: i64,
    }
    let row: Option<Blocked> = db::first(sql!(
        db,
        "SELECT EXISTS (SELECT 1 FROM email_suppressions WHERE program_id = ?1 AND address = lower(?2))
             OR EXISTS (SELECT 1 FROM customers WHERE program_id = ?1 AND email = ?2 COLLATE NOCASE)
             OR EXISTS (SELECT 1 FROM email_invites WHERE program_id = ?1 AND address = lower(?2) AND created_at >= ?3) AS blocked",
        program_id,
        address,
        since
    ))
    .await?;
    Ok(row.is_none_or(|r| r.blocked == 0))
}

/// How many addresses the referrer has invited since `since`.
pub async fn invites_since(db: &D1Database, program_id: &str, referrer_key: &str, since: i64) -> ApiResult<i64> {
    #[derive(Deserialize)]
    struct Count {
        n: i64,
    }
    let row: Option<Count> =
        db::first(sql!(db, "SELECT COUNT(*) AS n FROM email_invites WHERE program_id = ?1 AND referrer_key = ?2 AND created_at >= ?3", program_id, referrer_key, since)).await?;
    Ok(row.map_or(0, |r| r.n))
}

pub fn record_invite(db: &D1Database, program_id: &str, address: &str, referrer_key: &str, now: i64) -> Stmt {
    sql!(db, "INSERT INTO email_invites (program_id, address, referrer_key, created_at) VALUES (?1, lower(?2), ?3, ?4)", program_id, address, referrer_key, now)
}

/// A message kept by `EMAIL_PROVIDER=dev`.
#[derive(Debug, Deserialize, serde::Serialize)]
pub struct DevMailRow {
    pub id: i64,
    pub delivery_id: String,
    pub program_id: Option<String>,
    pub message: String,
    #[serde(rename(serialize = "from"))]
    pub from_header: String,
    #[serde(rename(serialize = "to"))]
    pub to_address: String,
    pub reply_to: Option<String>,
    pub subject: String,
    #[serde(rename(serialize = "text"))]
    pub text_body: String,
    #[serde(rename(serialize = "html"))]
    pub html_body: String,
    pub headers: String,
    pub created_at: i64,
}

/// The newest kept messages.
pub async fn dev_mail(db: &D1Database, limit: i64) -> ApiResult<Vec<DevMailRow>> {
    db::all(sql!(
        db,
        "SELECT id, delivery_id, program_id, message, from_header, to_address, reply_to, subject, text_body, html_body, headers, created_at
         FROM dev_mail ORDER BY id DESC LIMIT ?1",
        limit
    ))
    .await
}

pub async fn batch(db: &D1Database, stmts: Vec<Stmt>) -> DbResult<()> {
    db::batch(db, stmts).await
}
