//! Customers in D1: every query about a customer lives here.

use super::model::{CustomerRow, CustomerStats, COLUMNS};
use crate::error::{ApiError, ApiResult};
use crate::{db, sql};
use edgeref_shared::attribution::normalize_email;
use edgeref_shared::reward::FriendReward;
use worker::{D1Database, D1PreparedStatement};

pub async fn by_key(db: &D1Database, program_id: &str, key: &str) -> ApiResult<Option<CustomerRow>> {
    db::first(sql!(db, &format!("SELECT {COLUMNS} FROM customers WHERE program_id = ?1 AND key = ?2"), program_id, key)).await
}

pub async fn by_email(db: &D1Database, program_id: &str, email: &str) -> ApiResult<Option<CustomerRow>> {
    db::first(sql!(
        db,
        &format!("SELECT {COLUMNS} FROM customers WHERE program_id = ?1 AND email = ?2 COLLATE NOCASE ORDER BY id LIMIT 1"),
        program_id,
        email
    ))
    .await
}

pub async fn require(db: &D1Database, program_id: &str, key: &str) -> ApiResult<CustomerRow> {
    by_key(db, program_id, key).await?.ok_or_else(|| ApiError::not_found("customer"))
}

/// A new customer about to be written.
pub struct NewCustomer<'a> {
    pub program_id: &'a str,
    pub key: &'a str,
    pub email: &'a str,
    pub name: Option<&'a str>,
    pub surname: Option<&'a str>,
    pub referral_code: &'a str,
    pub referred_by: Option<&'a str>,
    pub friend_reward: Option<&'a FriendReward>,
    pub now: i64,
}

/// The statements that create a customer and, when referred, count the
/// referral on the referrer; run them in one batch with whatever else the
/// change needs (rewards, the signup record, its event).
pub fn insert_statements(db: &D1Database, c: &NewCustomer) -> Vec<ApiResult<D1PreparedStatement>> {
    let friend_reward = c.friend_reward.map(|f| serde_json::to_string(f).expect("reward serializes"));
    let mut stmts = vec![sql!(
        db,
        "INSERT INTO customers (program_id, key, email, email_norm, name, surname, referral_code, referred_by, friend_reward, created_at, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?10)",
        c.program_id,
        c.key,
        c.email,
        &normalize_email(c.email),
        c.name,
        c.surname,
        c.referral_code,
        c.referred_by,
        friend_reward.as_ref(),
        c.now,
    )];
    if let Some(referrer) = c.referred_by {
        stmts.push(sql!(
            db,
            "UPDATE customers SET referrals_count = referrals_count + 1 WHERE program_id = ?1 AND key = ?2",
            c.program_id,
            referrer
        ));
    }
    stmts
}

/// A ledger entry and the matching balance change, as two statements for the caller's batch.
pub fn ledger_statements(
    db: &D1Database,
    program_id: &str,
    customer_key: &str,
    amount: i64,
    kind: &str,
    transaction_key: Option<&str>,
    note: Option<&str>,
    now: i64,
) -> Vec<ApiResult<D1PreparedStatement>> {
    vec![
        sql!(
            db,
            "INSERT INTO ledger (program_id, customer_key, amount, kind, transaction_key, note, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            program_id,
            customer_key,
            amount,
            kind,
            transaction_key,
            note,
            now,
        ),
        sql!(
            db,
            "UPDATE customers SET balance = balance + ?3, updated_at = ?4 WHERE program_id = ?1 AND key = ?2",
            program_id,
            customer_key,
            amount,
            now,
        ),
    ]
}

pub async fn stats(db: &D1Database, program_id: &str, key: &str) -> ApiResult<CustomerStats> {
    let stats = db::first::<CustomerStats>(sql!(
        db,
        "SELECT
           (SELECT COUNT(*) FROM visits WHERE program_id = ?1 AND referrer_key = ?2) AS visits,
           (SELECT COUNT(*) FROM customers WHERE program_id = ?1 AND referred_by = ?2) AS signups,
           (SELECT COUNT(DISTINCT customer_key) FROM transactions WHERE program_id = ?1 AND referrer_key = ?2 AND refunded < amount) AS paying_referrals,
           (SELECT COALESCE(SUM(amount - refunded), 0) FROM transactions WHERE program_id = ?1 AND referrer_key = ?2) AS revenue,
           (SELECT COALESCE(SUM(amount), 0) FROM ledger WHERE program_id = ?1 AND customer_key = ?2 AND kind IN ('reward', 'reversal')) AS rewards",
        program_id,
        key
    ))
    .await?;
    Ok(stats.unwrap_or_default())
}
