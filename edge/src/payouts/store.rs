//! Payouts in D1, and who is owed one.

use crate::db::{self, Stmt};
use crate::error::ApiResult;
use crate::sql;
use edgeref_shared::reward::PayoutMethod;
use edgeref_shared::time;
use serde::Deserialize;
use serde_json::{json, Value};
use worker::D1Database;

const COLUMNS: &str = "id, customer_key, amount, currency, reference, note, reward_ids, created_at, method";

#[derive(Debug, Clone, Deserialize)]
pub struct PayoutRow {
    pub id: String,
    pub customer_key: String,
    pub amount: i64,
    pub currency: String,
    pub reference: Option<String>,
    pub note: Option<String>,
    /// JSON array of the reward ids it covered in full.
    pub reward_ids: String,
    pub created_at: i64,
    /// How it was paid: recorded by the owner, or a Stripe credit (`outbox::senders::stripe_credit`).
    #[serde(default)]
    pub method: PayoutMethod,
}

impl PayoutRow {
    /// The API's payout object (also the `payout.created` webhook payload).
    pub fn view(&self) -> Value {
        json!({
            "id": self.id,
            "customer": {"key": self.customer_key},
            "amount": self.amount,
            "currency": self.currency,
            "reference": self.reference,
            "note": self.note,
            "reward_ids": serde_json::from_str::<Vec<String>>(&self.reward_ids).unwrap_or_default(),
            "method": self.method,
            "created_at": time::rfc3339(self.created_at),
        })
    }
}

pub fn insert(db: &D1Database, program_id: &str, p: &PayoutRow) -> Stmt {
    sql!(
        db,
        "INSERT INTO payouts (id, program_id, customer_key, amount, currency, reference, note, reward_ids, created_at, method) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
        &p.id,
        program_id,
        &p.customer_key,
        p.amount,
        &p.currency,
        p.reference.as_ref(),
        p.note.as_ref(),
        &p.reward_ids,
        p.created_at,
        p.method.as_str()
    )
}

/// One page of payouts, oldest first, optionally one customer's.
pub async fn page(db: &D1Database, program_id: &str, customer: Option<&str>, after: i64, limit: i64) -> ApiResult<Vec<(i64, PayoutRow)>> {
    #[derive(Deserialize)]
    struct Row {
        seq: i64,
        #[serde(flatten)]
        payout: PayoutRow,
    }
    let rows: Vec<Row> = db::all(sql!(
        db,
        &format!("SELECT rowid AS seq, {COLUMNS} FROM payouts WHERE program_id = ?1 AND rowid > ?2 AND (?3 IS NULL OR customer_key = ?3) ORDER BY rowid LIMIT ?4"),
        program_id,
        after,
        customer,
        limit + 1
    ))
    .await?;
    Ok(rows.into_iter().map(|r| (r.seq, r.payout)).collect())
}

/// A customer the merchant owes money to now.
#[derive(Debug, Deserialize)]
pub struct Payable {
    pub id: i64,
    pub key: String,
    pub email: String,
    pub name: Option<String>,
    pub balance: i64,
    pub approved_rewards: i64,
}

/// Customers with an approved, unpaid balance, in creation order (a balance from
/// manual credits alone is not a payable: a payout pays rewards).
pub async fn payables(db: &D1Database, program_id: &str, after: i64, limit: i64) -> ApiResult<Vec<Payable>> {
    db::all(sql!(
        db,
        "SELECT c.id, c.key, c.email, c.name, c.balance,
                (SELECT COUNT(*) FROM rewards r WHERE r.program_id = c.program_id AND r.customer_key = c.key AND r.status = 'approved') AS approved_rewards
         FROM customers c WHERE c.program_id = ?1 AND c.id > ?2 AND c.balance > 0
           AND EXISTS (SELECT 1 FROM rewards r WHERE r.program_id = c.program_id AND r.customer_key = c.key AND r.status = 'approved')
         ORDER BY c.id LIMIT ?3",
        program_id,
        after,
        limit + 1
    ))
    .await
}

/// Rolls the batch back if the customer's balance went below zero (another payout took it first).
pub fn balance_guard(db: &D1Database, program_id: &str, customer_key: &str) -> Stmt {
    db::guard(db, "NOT EXISTS (SELECT 1 FROM customers WHERE program_id = ?1 AND key = ?2 AND balance < 0)", &[program_id.into(), customer_key.into()])
}
