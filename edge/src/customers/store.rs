//! Customers in D1: every query about a customer lives here.

use super::model::{CustomerRow, CustomerStats};
use crate::db::{self, Stmt};
use crate::error::{ApiError, ApiResult};
use crate::sql;
use edgeref_shared::attribution::normalize_email;
use worker::D1Database;

/// A customer row as `CustomerRow` reads it, with its pending and paid totals.
const COLUMNS: &str = "id AS row_id, key, email, name, surname, referral_code, referred_by, friend_reward, balance, referrals_count, created_at, updated_at, fraud_flags, stripe_customer_id, promotion_code,
    (SELECT COALESCE(SUM(r.amount), 0) FROM rewards r WHERE r.program_id = customers.program_id AND r.customer_key = customers.key AND r.status = 'pending') AS pending_balance,
    (SELECT COALESCE(SUM(p.amount), 0) FROM payouts p WHERE p.program_id = customers.program_id AND p.customer_key = customers.key) AS paid_total";

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

/// The statements that create a customer and, when referred, count the
/// referral on the referrer; run them in one batch with whatever else the
/// change needs (rewards, the signup record, its event).
pub fn insert_statements(db: &D1Database, program_id: &str, c: &CustomerRow) -> Vec<Stmt> {
    let mut stmts = vec![sql!(
        db,
        "INSERT INTO customers (program_id, key, email, email_norm, name, surname, referral_code, referred_by, friend_reward, balance, created_at, updated_at, fraud_flags, stripe_customer_id)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?11, ?12, ?13)",
        program_id,
        &c.key,
        &c.email,
        &normalize_email(&c.email),
        c.name.as_ref(),
        c.surname.as_ref(),
        &c.referral_code,
        c.referred_by.as_ref(),
        c.friend_reward.as_ref(),
        c.balance,
        c.created_at,
        &c.fraud_flags,
        c.stripe_customer_id.as_ref(),
    )];
    if let Some(referrer) = &c.referred_by {
        stmts.push(sql!(
            db,
            "UPDATE customers SET referrals_count = referrals_count + 1 WHERE program_id = ?1 AND key = ?2",
            program_id,
            referrer
        ));
    }
    stmts
}

/// Saves the editable fields of `c` (email, name, surname, Stripe customer id).
pub fn update(db: &D1Database, program_id: &str, c: &CustomerRow) -> Stmt {
    sql!(
        db,
        "UPDATE customers SET email = ?3, email_norm = ?4, name = ?5, surname = ?6, updated_at = ?7, stripe_customer_id = ?8 WHERE program_id = ?1 AND key = ?2",
        program_id,
        &c.key,
        &c.email,
        &normalize_email(&c.email),
        c.name.as_ref(),
        c.surname.as_ref(),
        c.updated_at,
        c.stripe_customer_id.as_ref()
    )
}

/// Links a customer to their Stripe customer unless they are linked already (a paid checkout's buyer).
pub async fn link_stripe(db: &D1Database, program_id: &str, key: &str, stripe_customer_id: &str, now: i64) -> ApiResult<()> {
    db::run(sql!(
        db,
        "UPDATE customers SET stripe_customer_id = ?3, updated_at = ?4 WHERE program_id = ?1 AND key = ?2 AND stripe_customer_id IS NULL",
        program_id,
        key,
        stripe_customer_id,
        now
    ))
    .await?;
    Ok(())
}

/// One page of customers (optionally only those referred by `referred_by`), in creation order.
pub async fn page(db: &D1Database, program_id: &str, referred_by: Option<&str>, after_id: i64, limit: i64) -> ApiResult<Vec<(i64, CustomerRow)>> {
    let rows: Vec<CustomerRow> = db::all(sql!(
        db,
        &format!("SELECT {COLUMNS} FROM customers WHERE program_id = ?1 AND id > ?2 AND (?3 IS NULL OR referred_by = ?3) ORDER BY id LIMIT ?4"),
        program_id,
        after_id,
        referred_by,
        limit + 1
    ))
    .await?;
    Ok(rows.into_iter().map(|c| (c.row_id, c)).collect())
}

/// Everything that belongs to a customer goes with it; its referrals stay but
/// are no longer linked, so their future sales credit no one. Nothing keyed by
/// the customer's key is left to a customer created later under the same key: the
/// sales it referred stay (their keys keep them idempotent) but name no referrer.
/// The program's counters follow the rows (the `program_days` triggers): what the
/// customer referred leaves the totals with it (docs/decisions.md).
pub fn delete_statements(db: &D1Database, program_id: &str, c: &CustomerRow) -> Vec<Stmt> {
    let mut stmts = vec![
        sql!(db, "DELETE FROM customers WHERE program_id = ?1 AND key = ?2", program_id, &c.key),
        sql!(db, "DELETE FROM ledger WHERE program_id = ?1 AND customer_key = ?2", program_id, &c.key),
        sql!(db, "DELETE FROM rewards WHERE program_id = ?1 AND customer_key = ?2", program_id, &c.key),
        sql!(db, "DELETE FROM payouts WHERE program_id = ?1 AND customer_key = ?2", program_id, &c.key),
        sql!(db, "DELETE FROM signups WHERE program_id = ?1 AND customer_key = ?2", program_id, &c.key),
        sql!(db, "UPDATE signups SET referrer_key = NULL WHERE program_id = ?1 AND referrer_key = ?2", program_id, &c.key),
        sql!(db, "DELETE FROM visits WHERE program_id = ?1 AND referrer_key = ?2", program_id, &c.key),
        // What is left of the referrer's daily counts now is what the retention roll-up kept of
        // visits it deleted (the triggers took the rest out): the program's days give it back too.
        sql!(
            db,
            "UPDATE program_days SET visits = visits - (SELECT vc.visits FROM visit_counts vc WHERE vc.program_id = ?1 AND vc.referrer_key = ?2 AND vc.day = program_days.day)
             WHERE program_id = ?1 AND day IN (SELECT day FROM visit_counts WHERE program_id = ?1 AND referrer_key = ?2)",
            program_id,
            &c.key
        ),
        sql!(db, "DELETE FROM visit_counts WHERE program_id = ?1 AND referrer_key = ?2", program_id, &c.key),
        sql!(db, "UPDATE transactions SET referrer_key = NULL WHERE program_id = ?1 AND referrer_key = ?2", program_id, &c.key),
        sql!(db, "UPDATE customers SET referred_by = NULL WHERE program_id = ?1 AND referred_by = ?2", program_id, &c.key),
    ];
    if let Some(referrer) = &c.referred_by {
        stmts.push(sql!(
            db,
            "UPDATE customers SET referrals_count = referrals_count - 1 WHERE program_id = ?1 AND key = ?2",
            program_id,
            referrer
        ));
    }
    stmts
}

pub async fn stats(db: &D1Database, program_id: &str, key: &str) -> ApiResult<CustomerStats> {
    let stats = db::first::<CustomerStats>(sql!(
        db,
        "SELECT
           (SELECT COALESCE(SUM(visits), 0) FROM visit_counts WHERE program_id = ?1 AND referrer_key = ?2) AS visits,
           (SELECT COUNT(*) FROM customers WHERE program_id = ?1 AND referred_by = ?2) AS signups,
           (SELECT COUNT(DISTINCT customer_key) FROM transactions WHERE program_id = ?1 AND referrer_key = ?2 AND refunded < amount) AS paying_referrals,
           (SELECT COALESCE(SUM(amount - refunded), 0) FROM transactions WHERE program_id = ?1 AND referrer_key = ?2) AS revenue,
           (SELECT COALESCE(SUM(amount), 0) FROM ledger WHERE program_id = ?1 AND customer_key = ?2 AND kind IN ('reward', 'reversal', 'refund')) AS rewards",
        program_id,
        key
    ))
    .await?;
    Ok(stats.unwrap_or_default())
}
