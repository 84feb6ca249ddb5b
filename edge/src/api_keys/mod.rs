//! Owner API for program API keys: `/v1/programs/{id}/api-keys`.

pub mod store;

use crate::context::Cx;
use crate::error::{ApiError, ApiResult};
use crate::http::{json, json_body};
use crate::{audit, db, ids};
use edgeref_shared::{apikey, time, validate};
use serde::{Deserialize, Serialize};
use serde_json::json;
use store::KeyRow;
use worker::{Request, Response};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CreateKey {
    name: String,
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
pub async fn create(mut req: Request, cx: &Cx, program_id: &str) -> ApiResult<Response> {
    let body: CreateKey = json_body(&mut req).await?;
    let name = validate::name("name", &body.name, 100)?;
    let key = apikey::generate(&ids::random::<32>());
    let (id, now) = (ids::new_id("key"), ids::now_ms());
    let audit = audit::record(cx, program_id, "api_key.created", ("api_key", &id), audit::created(&json!({"name": name, "prefix": key.prefix})));
    db::batch(&cx.db, [store::insert(&cx.db, &id, program_id, &name, &key.prefix, &key.hash, now)].into_iter().chain(audit).collect()).await?;
    json(201, &json!({"id": id, "name": name, "prefix": key.prefix, "key": key.secret, "created_at": time::rfc3339(now)}))
}

pub async fn list(cx: &Cx, program_id: &str) -> ApiResult<Response> {
    let data: Vec<KeyView> = store::list(&cx.db, program_id).await?.into_iter().map(KeyView::from).collect();
    json(200, &json!({"data": data, "next_cursor": null}))
}

/// Revokes a key at once; it keeps its row so audits can still name it.
pub async fn revoke(cx: &Cx, program_id: &str, key_id: &str) -> ApiResult<Response> {
    let key = store::live(&cx.db, program_id, key_id).await?.ok_or_else(|| ApiError::not_found("api key"))?;
    let mut stmts = vec![store::live_guard(&cx.db, program_id, key_id), store::revoke(&cx.db, program_id, key_id, ids::now_ms())];
    stmts.extend(audit::record(cx, program_id, "api_key.revoked", ("api_key", key_id), audit::deleted(&json!({"name": key.name, "prefix": key.prefix}))));
    db::batch(&cx.db, stmts).await.map_err(|e| if e.conflicts_on("guards.ok") { ApiError::not_found("api key") } else { e.into() })?;
    json(200, &json!({"id": key_id, "deleted": true}))
}
