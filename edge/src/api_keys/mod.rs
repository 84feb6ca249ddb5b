//! Owner API for program API keys: `/v1/programs/{id}/api-keys`.

pub mod store;

use crate::context::Cx;
use crate::error::{ApiError, ApiResult};
use crate::http::{json, json_body};
use crate::{audit, db, ids};
use edgeref_shared::team::{self, KeyScope, Role};
use edgeref_shared::{apikey, time, validate};
use serde::{Deserialize, Serialize};
use serde_json::json;
use store::KeyRow;
use worker::{Request, Response};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CreateKey {
    name: String,
    /// Absent: every scope (what keys could always do).
    scopes: Option<Vec<String>>,
    expires_at: Option<String>,
}

/// A key as listed: never the secret, never the hash.
#[derive(Serialize)]
struct KeyView {
    id: String,
    name: String,
    prefix: String,
    created_at: String,
    last_used_at: Option<String>,
    scopes: Vec<&'static str>,
    expires_at: Option<String>,
}

fn scope_names(stored: &str) -> Vec<&'static str> {
    team::scopes_from_string(stored).into_iter().map(KeyScope::as_str).collect()
}

impl From<KeyRow> for KeyView {
    fn from(r: KeyRow) -> Self {
        Self {
            scopes: scope_names(&r.scopes),
            expires_at: r.expires_at.map(time::rfc3339),
            id: r.id,
            name: r.name,
            prefix: r.prefix,
            created_at: time::rfc3339(r.created_at),
            last_used_at: r.last_used_at.map(time::rfc3339),
        }
    }
}

/// The scopes asked for: known names, none beyond the creator's role.
fn scopes(asked: Option<Vec<String>>, role: Role) -> ApiResult<String> {
    let scopes = match asked {
        None => KeyScope::ALL.to_vec(),
        Some(names) => names.iter().map(|n| KeyScope::parse(n).ok_or_else(|| ApiError::invalid("scopes", format!("unknown scope {n:?}")))).collect::<ApiResult<Vec<_>>>()?,
    };
    if let Some(beyond) = team::scope_beyond_role(role, &scopes) {
        return Err(ApiError::new(403, "forbidden", format!("your role cannot give a key {}", beyond.as_str())).with_field("scopes"));
    }
    Ok(team::scopes_to_string(&scopes))
}

/// Creates a key; its secret is in this response and nowhere else, ever.
pub async fn create(mut req: Request, cx: &Cx, program_id: &str, role: Role) -> ApiResult<Response> {
    let body: CreateKey = json_body(&mut req).await?;
    let name = validate::name("name", &body.name, 100)?;
    let scopes = scopes(body.scopes, role)?;
    let now = ids::now_ms();
    let expires_at = match body.expires_at.as_deref() {
        None => None,
        Some(at) => Some(time::parse_rfc3339(at).filter(|t| *t > now).ok_or_else(|| ApiError::invalid("expires_at", "must be a future RFC 3339 time"))?),
    };
    let key = apikey::generate(&ids::random::<32>());
    let id = ids::new_id("key");
    let row = store::NewKeyRow { id: &id, program_id, name: &name, prefix: &key.prefix, hash: &key.hash, scopes: &scopes, expires_at, now };
    let (names, expiry) = (scope_names(&scopes), expires_at.map(time::rfc3339));
    let audit = audit::record(cx, program_id, "api_key.created", ("api_key", &id), audit::created(&json!({"name": name, "prefix": key.prefix, "scopes": names, "expires_at": expiry})));
    db::batch(&cx.db, [store::insert(&cx.db, &row)].into_iter().chain(audit).collect()).await?;
    json(201, &json!({"id": id, "name": name, "prefix": key.prefix, "key": key.secret, "created_at": time::rfc3339(now), "scopes": names, "expires_at": expiry, "last_used_at": null}))
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
