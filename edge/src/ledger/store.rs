//! Ledger rows in D1, and the balance each one moves.

use crate::db::Stmt;
use crate::sql;
use edgeref_shared::reward::LedgerKind;
use worker::D1Database;

/// One movement of a customer's balance, as the ledger records it.
#[derive(Debug, Clone, PartialEq)]
pub struct LedgerEntry<'a> {
    pub customer_key: &'a str,
    pub amount: i64,
    pub kind: LedgerKind,
    /// The sale it came from, if any.
    pub transaction_key: Option<&'a str>,
    pub note: Option<&'a str>,
    pub at: i64,
}

/// The ledger row alone.
fn row(db: &D1Database, program_id: &str, e: &LedgerEntry) -> Stmt {
    sql!(
        db,
        "INSERT INTO ledger (program_id, customer_key, amount, kind, transaction_key, note, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        program_id,
        e.customer_key,
        e.amount,
        e.kind.as_str(),
        e.transaction_key,
        e.note,
        e.at,
    )
}

/// The ledger row and the matching balance change: the balance is always the
/// sum of the ledger because both change in the same batch.
pub fn statements(db: &D1Database, program_id: &str, e: &LedgerEntry) -> Vec<Stmt> {
    vec![
        row(db, program_id, e),
        sql!(db, "UPDATE customers SET balance = balance + ?3, updated_at = ?4 WHERE program_id = ?1 AND key = ?2", program_id, e.customer_key, e.amount, e.at),
    ]
}
