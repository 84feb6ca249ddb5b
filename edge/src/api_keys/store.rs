//! Program API keys in D1: only their hash and a display prefix are stored.

use crate::db::{self, Stmt};
use crate::error::ApiResult;
use crate::sql;
use serde::Deserialize;
use worker::D1Database;

#[derive(Debug, Deserialize)]
pub struct KeyRow {
    pub id: String,
    pub name: String,
    pub prefix: String,
    pub created_at: i64,
    pub last_used_at: Option<i64>,
    pub scopes: String,
    pub expires_at: Option<i64>,
}

/// What authenticating a key needs.
#[derive(Debug, Deserialize)]
pub struct KeyAuth {
    pub id: String,
    pub name: String,
    pub program_id: String,
    pub hash: String,
    pub last_used_at: Option<i64>,
    pub scopes: String,
    pub expires_at: Option<i64>,
}

/// A new key's row: what it is called and may do, and its hash.
pub struct NewKeyRow<'a> {
    pub id: &'a str,
    pub program_id: &'a str,
    pub name: &'a str,
    pub prefix: &'a str,
    pub hash: &'a str,
    pub scopes: &'a str,
    pub expires_at: Option<i64>,
    pub now: i64,
}

pub fn insert(db: &D1Database, k: &NewKeyRow) -> Stmt {
    sql!(
        db,
        "INSERT INTO api_keys (id, program_id, name, prefix, hash, scopes, expires_at, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
        k.id,
        k.program_id,
        k.name,
        k.prefix,
        k.hash,
        k.scopes,
        k.expires_at,
        k.now
    )
}

/// The program's live keys, oldest first.
pub async fn list(db: &D1Database, program_id: &str) -> ApiResult<Vec<KeyRow>> {
    db::all(sql!(db, "SELECT id, name, prefix, created_at, last_used_at, scopes, expires_at FROM api_keys WHERE program_id = ?1 AND revoked_at IS NULL ORDER BY created_at, id", program_id)).await
}

/// The live key with this id, if any.
pub async fn live(db: &D1Database, program_id: &str, key_id: &str) -> ApiResult<Option<KeyRow>> {
    db::first(sql!(db, "SELECT id, name, prefix, created_at, last_used_at, scopes, expires_at FROM api_keys WHERE program_id = ?1 AND id = ?2 AND revoked_at IS NULL", program_id, key_id)).await
}

/// Revokes a key; the row stays so audits can still name it. With `live_guard`
/// in the same batch, a key revoked meanwhile rolls the batch back.
pub fn revoke(db: &D1Database, program_id: &str, key_id: &str, now: i64) -> Stmt {
    sql!(db, "UPDATE api_keys SET revoked_at = ?3 WHERE program_id = ?1 AND id = ?2 AND revoked_at IS NULL", program_id, key_id, now)
}

/// Rolls the batch back unless the key is still live (so a revocation is recorded once).
pub fn live_guard(db: &D1Database, program_id: &str, key_id: &str) -> Stmt {
    sql!(db, "INSERT INTO guards (ok) SELECT NULL WHERE NOT EXISTS (SELECT 1 FROM api_keys WHERE program_id = ?1 AND id = ?2 AND revoked_at IS NULL)", program_id, key_id)
}

/// The live key with this hash, if any.
pub async fn by_hash(db: &D1Database, hash: &str) -> ApiResult<Option<KeyAuth>> {
    db::first(sql!(db, "SELECT id, name, program_id, hash, last_used_at, scopes, expires_at FROM api_keys WHERE hash = ?1 AND revoked_at IS NULL", hash)).await
}

pub fn touch(db: &D1Database, key_id: &str, now: i64) -> Stmt {
    sql!(db, "UPDATE api_keys SET last_used_at = ?1 WHERE id = ?2", now, key_id)
}
