//! Who holds a referral code, in D1 (the source the KV and isolate caches of `codes` fall back on).

use crate::db;
use crate::error::ApiResult;
use crate::sql;
use serde::Deserialize;
use worker::D1Database;

/// Who holds a code, in every program (a code is unique per program only):
/// `(program_id, customer key)` pairs, by the `customers_referral_code` index.
pub async fn holders_of_code(db: &D1Database, code: &str) -> ApiResult<Vec<(String, String)>> {
    #[derive(Deserialize)]
    struct Row {
        program_id: String,
        key: String,
    }
    let rows: Vec<Row> = db::all(sql!(db, "SELECT program_id, key FROM customers WHERE referral_code = ?1 LIMIT 100", code)).await?;
    Ok(rows.into_iter().map(|r| (r.program_id, r.key)).collect())
}

pub async fn key_by_code(db: &D1Database, program_id: &str, code: &str) -> ApiResult<Option<String>> {
    #[derive(Deserialize)]
    struct Row {
        key: String,
    }
    let row: Option<Row> = db::first(sql!(db, "SELECT key FROM customers WHERE program_id = ?1 AND referral_code = ?2", program_id, code)).await?;
    Ok(row.map(|r| r.key))
}
