//! Owner API for program API keys: `/v1/programs/{id}/api-keys`.

use crate::error::{ApiError, ApiResult};
use crate::http::{json, json_body};
use crate::{db, ids, sql};
use edgeref_shared::{apikey, time, validate};
use serde::{Deserialize, Serialize};
use serde_json::json;
use worker::{D1Database, Request, Response};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CreateKey {
    name: String,
}

#[derive(Deserialize)]
struct KeyRow {
    id: String,
    name: String,
    prefix: String,
    created_at: i64,
    last_used_at: Option<i64>,
}

/// A key as listed: never the secret, never the hash.
#[derive(Serialize)]
struct KeyView {
    id: String,
    name: String,
    prefix: String,
    created_at: String,
    last_used_at: Option<String>,
}

impl From<KeyRow> for KeyView {
    fn from(r: KeyRow) -> Self {
        Self { id: r.id, name: r.name, prefix: r.prefix, created_at: time::rfc3339(r.created_at), last_used_at: r.last_used_at.map(time::rfc3339) }
    }
}

/// Creates a key; its secret is in this response and nowhere else, ever.
pub async fn create(mut req: Request, db: &D1Database, program_id: &str) -> ApiResult<Response> {
    let body: CreateKey = json_body(&mut req).await?;
    let name = validate::name("name", &body.name, 100)?;
    let key = apikey::generate(&ids::random::<32>());
    let id = ids::new_id("key");
    let now = ids::now_ms();
    db::run(sql!(
        db,
        "INSERT INTO api_keys (id, program_id, name, prefix, hash, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        &id,
        program_id,
        &name,
        &key.prefix,
        &key.hash,
        now
    ))
    .await?;
    json(201, &json!({"id": id, "name": name, "prefix": key.prefix, "key": key.secret, "created_at": time::rfc3339(now)}))
}

pub async fn list(db: &D1Database, program_id: &str) -> ApiResult<Response> {
    let rows: Vec<KeyRow> = db::all(sql!(
        db,
        "SELECT id, name, prefix, created_at, last_used_at FROM api_keys WHERE program_id = ?1 AND revoked_at IS NULL ORDER BY created_at, id",
        program_id
    ))
    .await?;
    let data: Vec<KeyView> = rows.into_iter().map(KeyView::from).collect();
    json(200, &json!({"data": data, "next_cursor": null}))
}

/// Revokes a key at once; it keeps its row so audits can still name it.
pub async fn revoke(db: &D1Database, program_id: &str, key_id: &str) -> ApiResult<Response> {
    #[derive(Deserialize)]
    struct Found {
        id: String,
    }
    let found: Option<Found> = db::first(sql!(
        db,
        "UPDATE api_keys SET revoked_at = ?3 WHERE program_id = ?1 AND id = ?2 AND revoked_at IS NULL RETURNING id",
        program_id,
        key_id,
        ids::now_ms()
    ))
    .await?;
    let found = found.ok_or_else(|| ApiError::not_found("api key"))?;
    json(200, &json!({"id": found.id, "deleted": true}))
}
