//! Imports and exports in D1: set-based reads and writes over JSON arrays
//! (`json_each`), so a chunk of a thousand customers is one statement.

use crate::db::{self, Stmt};
use crate::error::ApiResult;
use crate::sql;
use edgeref_shared::records::{ExportTable, Stored};
use serde::Deserialize;
use serde_json::Value;
use std::collections::HashMap;
use worker::D1Database;

/// The stored customers among `keys_json` (a JSON array of keys) and, for
/// cycle checks, every customer up their chains of stored referrers.
pub async fn customers_and_referrers(db: &D1Database, program_id: &str, keys_json: &str) -> ApiResult<HashMap<String, Stored>> {
    #[derive(Deserialize)]
    struct Row {
        key: String,
        email: String,
        name: Option<String>,
        surname: Option<String>,
        referral_code: String,
        referred_by: Option<String>,
        stripe_customer_id: Option<String>,
    }
    let rows: Vec<Row> = db::all(sql!(
        db,
        "WITH RECURSIVE chain(key) AS (
           SELECT value FROM json_each(?2)
           UNION
           SELECT c.referred_by FROM chain JOIN customers c ON c.program_id = ?1 AND c.key = chain.key WHERE c.referred_by IS NOT NULL
         )
         SELECT c.key, c.email, c.name, c.surname, c.referral_code, c.referred_by, c.stripe_customer_id FROM customers c
         WHERE c.program_id = ?1 AND c.key IN (SELECT key FROM chain)",
        program_id,
        keys_json
    ))
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| (r.key, Stored { email: r.email, name: r.name, surname: r.surname, referral_code: r.referral_code, referred_by: r.referred_by, stripe_customer_id: r.stripe_customer_id }))
        .collect())
}

/// Who holds each of `codes_json` (a JSON array of codes) in the program: code → key.
pub async fn code_holders(db: &D1Database, program_id: &str, codes_json: &str) -> ApiResult<HashMap<String, String>> {
    #[derive(Deserialize)]
    struct Row {
        referral_code: String,
        key: String,
    }
    let rows: Vec<Row> = db::all(sql!(
        db,
        "SELECT referral_code, key FROM customers WHERE program_id = ?1 AND referral_code IN (SELECT value FROM json_each(?2))",
        program_id,
        codes_json
    ))
    .await?;
    Ok(rows.into_iter().map(|r| (r.referral_code, r.key)).collect())
}

/// Creates or updates the customers of `rows_json`, a JSON array of
/// `{key, email, email_norm, name, surname, referral_code, referred_by, created_at, stripe_customer_id}`.
/// A stored customer keeps its code, its creation time and any referrer it already has.
pub fn upsert_customers(db: &D1Database, program_id: &str, rows_json: &str, now: i64) -> Stmt {
    sql!(
        db,
        "INSERT INTO customers (program_id, key, email, email_norm, name, surname, referral_code, referred_by, friend_reward, balance, created_at, updated_at, fraud_flags, stripe_customer_id)
         SELECT ?1, json_extract(j.value, '$.key'), json_extract(j.value, '$.email'), json_extract(j.value, '$.email_norm'),
                json_extract(j.value, '$.name'), json_extract(j.value, '$.surname'), json_extract(j.value, '$.referral_code'),
                json_extract(j.value, '$.referred_by'), NULL, 0, json_extract(j.value, '$.created_at'), ?3, '[]', json_extract(j.value, '$.stripe_customer_id')
         FROM json_each(?2) j WHERE true
         ON CONFLICT (program_id, key) DO UPDATE SET email = excluded.email, email_norm = excluded.email_norm, name = excluded.name,
           surname = excluded.surname, stripe_customer_id = COALESCE(excluded.stripe_customer_id, customers.stripe_customer_id), referred_by = COALESCE(customers.referred_by, excluded.referred_by), updated_at = excluded.updated_at",
        program_id,
        rows_json,
        now
    )
}

/// Recounts the referrals of the customers in `keys_json` (a JSON array of keys).
pub fn recount_referrals(db: &D1Database, program_id: &str, keys_json: &str) -> Stmt {
    sql!(
        db,
        "UPDATE customers SET referrals_count = (SELECT COUNT(*) FROM customers r WHERE r.program_id = customers.program_id AND r.referred_by = customers.key)
         WHERE program_id = ?1 AND key IN (SELECT value FROM json_each(?2))",
        program_id,
        keys_json
    )
}

/// One page of an export after row `after`, each row a JSON object with its `rowid`.
pub async fn export_page(db: &D1Database, table: &ExportTable, program_id: &str, after: i64, limit: i64) -> ApiResult<Vec<Value>> {
    let columns = table.columns.iter().map(|c| c.name).collect::<Vec<_>>().join(", ");
    db::all(sql!(
        db,
        &format!("SELECT rowid AS rowid, {columns} FROM {} WHERE program_id = ?1 AND rowid > ?2 ORDER BY rowid LIMIT ?3", table.table),
        program_id,
        after,
        limit
    ))
    .await
}
