//! Transactions in D1, with their refunds and deletions (kept so statistics and audits can replay them).

use super::model::{TransactionRow, COLUMNS};
use crate::db::{self, Stmt};
use crate::error::ApiResult;
use crate::sql;
use serde::Deserialize;
use worker::D1Database;

pub async fn by_key(db: &D1Database, program_id: &str, key: &str) -> ApiResult<Option<TransactionRow>> {
    db::first(sql!(db, &format!("SELECT {COLUMNS} FROM transactions WHERE program_id = ?1 AND key = ?2"), program_id, key)).await
}

pub fn insert(db: &D1Database, program_id: &str, t: &TransactionRow) -> Stmt {
    sql!(
        db,
        "INSERT INTO transactions (program_id, key, customer_key, referrer_key, amount, currency, product_id, reward, friend_reward, request_hash, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
        program_id,
        &t.key,
        &t.customer_key,
        t.referrer_key.as_ref(),
        t.amount,
        &t.currency,
        t.product_id.as_ref(),
        t.reward,
        t.friend_reward,
        &t.request_hash,
        t.created_at
    )
}

/// A refund as a compare-and-set on the refunded amount read before: the
/// `transaction_refunds` row's key (transaction, refunded_before) makes a
/// concurrent refund of the same state conflict instead of applying twice.
pub fn refund(db: &D1Database, program_id: &str, t: &TransactionRow, refunded_after: i64, now: i64) -> Vec<Stmt> {
    vec![
        sql!(
            db,
            "INSERT INTO transaction_refunds (transaction_id, refunded_before, refunded_after, program_id, created_at) VALUES (?1, ?2, ?3, ?4, ?5)",
            t.id,
            t.refunded,
            refunded_after,
            program_id,
            now
        ),
        sql!(db, "UPDATE transactions SET refunded = ?3 WHERE program_id = ?1 AND id = ?2", program_id, t.id, refunded_after),
    ]
}

/// Deletes a transaction, leaving a record of the deletion (one per transaction: a second conflicts).
pub fn delete(db: &D1Database, program_id: &str, t: &TransactionRow, now: i64) -> Vec<Stmt> {
    vec![
        sql!(db, "INSERT INTO transaction_deletions (transaction_id, program_id, key, deleted_at) VALUES (?1, ?2, ?3, ?4)", t.id, program_id, &t.key, now),
        sql!(db, "DELETE FROM transactions WHERE program_id = ?1 AND id = ?2", program_id, t.id),
    ]
}

/// Which transactions to list.
pub struct Filter<'a> {
    pub customer: Option<&'a str>,
    pub from: Option<i64>,
    pub to: Option<i64>,
    pub after_id: i64,
    pub limit: i64,
}

/// One page (plus one row, to tell whether another page exists), oldest first.
pub async fn page(db: &D1Database, program_id: &str, f: &Filter<'_>) -> ApiResult<Vec<TransactionRow>> {
    db::all(sql!(
        db,
        &format!(
            "SELECT {COLUMNS} FROM transactions WHERE program_id = ?1 AND id > ?2 AND (?3 IS NULL OR customer_key = ?3)
             AND (?4 IS NULL OR created_at >= ?4) AND (?5 IS NULL OR created_at < ?5) ORDER BY id LIMIT ?6"
        ),
        program_id,
        f.after_id,
        f.customer,
        f.from,
        f.to,
        f.limit + 1
    ))
    .await
}

/// What a referred friend's sale needs for a limited rule and milestones: the friend's earlier
/// sales and when the first was, the referrer's paying friends (referred customers with a sale)
/// and the milestones already paid them (a JSON array of their numbers of friends).
#[derive(Debug, Default, Deserialize)]
pub struct History {
    pub friend_sales: u32,
    pub first_sale_at: Option<i64>,
    pub paying_friends: u32,
    pub paid_milestones: String,
}

pub async fn history(db: &D1Database, program_id: &str, friend: &str, referrer: &str) -> ApiResult<History> {
    let row = db::first(sql!(
        db,
        "SELECT (SELECT COUNT(*) FROM transactions WHERE program_id = ?1 AND customer_key = ?2) AS friend_sales,
                (SELECT MIN(created_at) FROM transactions WHERE program_id = ?1 AND customer_key = ?2) AS first_sale_at,
                (SELECT COUNT(DISTINCT customer_key) FROM transactions WHERE program_id = ?1 AND referrer_key = ?3) AS paying_friends,
                (SELECT json_group_array(milestone) FROM rewards WHERE program_id = ?1 AND customer_key = ?3 AND milestone IS NOT NULL) AS paid_milestones",
        program_id,
        friend,
        referrer
    ))
    .await?;
    Ok(row.unwrap_or_default())
}

/// Rolls the batch back unless, with the new sale in, the friend has `friend_sales` sales and the
/// referrer `paying_friends` paying friends: what the sale's reward and milestones were computed
/// from. A concurrent sale of the same referrer's friends makes one of them read again.
pub fn history_guard(db: &D1Database, program_id: &str, friend: &str, referrer: &str, friend_sales: u32, paying_friends: u32) -> Stmt {
    db::guard(
        db,
        "(SELECT COUNT(*) FROM transactions WHERE program_id = ?1 AND customer_key = ?2) = ?4
         AND (SELECT COUNT(DISTINCT customer_key) FROM transactions WHERE program_id = ?1 AND referrer_key = ?3) = ?5",
        &[program_id.into(), friend.into(), referrer.into(), i64::from(friend_sales).into(), i64::from(paying_friends).into()],
    )
}

/// Rolls the batch back unless the program's currency is still `currency` (what the sale was checked against).
pub fn currency_guard(db: &D1Database, program_id: &str, currency: &str) -> Stmt {
    db::guard(db, "(SELECT currency FROM programs WHERE id = ?1) = ?2", &[program_id.into(), currency.into()])
}
