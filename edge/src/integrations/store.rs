//! Integration settings in D1: public settings as JSON, the secret sealed.

use crate::db::{self, Stmt};
use crate::error::ApiResult;
use crate::sql;
use serde::Deserialize;
use worker::D1Database;

#[derive(Debug, Deserialize)]
pub struct IntegrationRow {
    pub name: String,
    pub settings: String,
    /// Sealed (`edgeref_shared::seal`); opened only to use it.
    pub secret: String,
}

pub async fn get(db: &D1Database, program_id: &str, name: &str) -> ApiResult<Option<IntegrationRow>> {
    db::first(sql!(db, "SELECT name, settings, secret FROM integrations WHERE program_id = ?1 AND name = ?2", program_id, name)).await
}

pub async fn list(db: &D1Database, program_id: &str) -> ApiResult<Vec<IntegrationRow>> {
    db::all(sql!(db, "SELECT name, settings, secret FROM integrations WHERE program_id = ?1", program_id)).await
}

pub fn save(db: &D1Database, program_id: &str, name: &str, settings: &str, sealed_secret: &str, now: i64) -> Stmt {
    sql!(
        db,
        "INSERT INTO integrations (program_id, name, settings, secret, created_at, updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?5)
         ON CONFLICT (program_id, name) DO UPDATE SET settings = excluded.settings, secret = excluded.secret, updated_at = excluded.updated_at",
        program_id,
        name,
        settings,
        sealed_secret,
        now
    )
}

pub fn delete(db: &D1Database, program_id: &str, name: &str) -> Stmt {
    sql!(db, "DELETE FROM integrations WHERE program_id = ?1 AND name = ?2", program_id, name)
}

/// One Stripe credit delivery as its log shows it.
#[derive(Debug, Deserialize)]
pub struct CreditLogRow {
    pub seq: i64,
    pub id: String,
    pub reward_id: Option<String>,
    pub customer_key: Option<String>,
    pub amount: Option<i64>,
    pub status: String,
    pub attempts: i64,
    pub last_code: Option<i64>,
    /// The latest attempt's error, or Stripe's answer.
    pub note: Option<String>,
    pub created_at: i64,
    pub updated_at: i64,
}

/// The program's Stripe credit deliveries, newest first, older than `before` (0: from the newest).
pub async fn credit_log(db: &D1Database, program_id: &str, before: i64, limit: i64) -> ApiResult<Vec<CreditLogRow>> {
    db::all(sql!(
        db,
        "SELECT d.rowid AS seq, d.id, json_extract(e.payload, '$.data.id') AS reward_id, json_extract(e.payload, '$.data.customer.key') AS customer_key,
                json_extract(e.payload, '$.data.amount') AS amount, d.status, d.attempts, d.last_code, d.created_at, d.updated_at,
                (SELECT COALESCE(a.error, a.response_body) FROM delivery_attempts a WHERE a.delivery_id = d.id
                 ORDER BY a.attempted_at DESC, a.id DESC LIMIT 1) AS note
         FROM deliveries d JOIN events e ON e.id = d.event_id
         WHERE d.program_id = ?1 AND d.integration = 'stripe_credit' AND (?2 = 0 OR d.rowid < ?2)
         ORDER BY d.rowid DESC LIMIT ?3",
        program_id,
        before,
        limit + 1
    ))
    .await
}

/// A Stripe credit delivery, found by its id or its reward's.
#[derive(Debug, Deserialize)]
pub struct CreditRef {
    pub id: String,
    pub reward_id: Option<String>,
    pub status: String,
}

/// The program's Stripe credit with this delivery id, or the latest one of the reward with this id.
pub async fn find_credit(db: &D1Database, program_id: &str, id: &str) -> ApiResult<Option<CreditRef>> {
    db::first(sql!(
        db,
        "SELECT d.id, json_extract(e.payload, '$.data.id') AS reward_id, d.status FROM deliveries d JOIN events e ON e.id = d.event_id
         WHERE d.program_id = ?1 AND d.integration = 'stripe_credit' AND (d.id = ?2 OR json_extract(e.payload, '$.data.id') = ?2)
         ORDER BY d.rowid DESC LIMIT 1",
        program_id,
        id
    ))
    .await
}

/// Counts an owner's retry of a failed credit: its next request to Stripe takes a new `Idempotency-Key`.
pub fn count_retry(db: &D1Database, program_id: &str, delivery_id: &str) -> Stmt {
    sql!(db, "UPDATE deliveries SET retries = retries + 1 WHERE program_id = ?1 AND id = ?2 AND status = 'failed'", program_id, delivery_id)
}

/// Takes the flag `fulfilment_failed` and its reason off an approved reward, before its credit is
/// sent again (a new refusal puts them back).
pub fn unflag_fulfilment(db: &D1Database, program_id: &str, reward_id: &str) -> Stmt {
    sql!(
        db,
        "UPDATE rewards SET reason = NULL, flags = (SELECT json_group_array(value) FROM json_each(rewards.flags) WHERE value != 'fulfilment_failed')
         WHERE program_id = ?1 AND id = ?2 AND status = 'approved' AND EXISTS (SELECT 1 FROM json_each(rewards.flags) WHERE value = 'fulfilment_failed')",
        program_id,
        reward_id
    )
}

/// Marks a billing provider's refund (Paddle's adjustment) as applied, in the refund's batch: a
/// redelivery conflicts on it and changes nothing.
pub fn refund_applied(db: &D1Database, program_id: &str, refund_id: &str, now: i64) -> Stmt {
    sql!(db, "INSERT INTO billing_refunds (program_id, refund_id, created_at) VALUES (?1, ?2, ?3)", program_id, refund_id, now)
}

/// A sealed secret with the integration it belongs to.
#[derive(Debug, Deserialize)]
pub struct SealedRow {
    pub program_id: String,
    pub name: String,
    pub secret: String,
}

/// Every stored secret (a handful per program), for re-sealing after a key rotation.
pub async fn all_sealed(db: &D1Database) -> ApiResult<Vec<SealedRow>> {
    db::all(sql!(db, "SELECT program_id, name, secret FROM integrations")).await
}

/// Swaps a sealed secret for its re-sealed twin, unless it changed meanwhile.
pub fn replace_secret(db: &D1Database, program_id: &str, name: &str, old: &str, new: &str) -> Stmt {
    sql!(db, "UPDATE integrations SET secret = ?4 WHERE program_id = ?1 AND name = ?2 AND secret = ?3", program_id, name, old, new)
}
