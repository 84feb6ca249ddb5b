//! Third-party integrations, configured per program by the owner:
//! `GET /v1/programs/{id}/integrations`, `PUT`/`DELETE …/integrations/{name}`.
//! Secrets are sealed (AES-256-GCM) before they reach D1 and never returned.

pub mod mailerlite;
pub mod stripe;

use crate::error::{ApiError, ApiResult};
use crate::http::{json, json_body, self_origin};
use crate::programs::model::Program;
use crate::{db, ids, sql};
use edgeref_shared::seal;
use serde::Deserialize;
use serde_json::{json, Value};
use worker::{D1Database, Env, Request, Response};

#[derive(Deserialize)]
pub struct IntegrationRow {
    pub name: String,
    pub settings: String,
    pub secret: String,
}

/// The sealing key: `SECRETS_KEY` if set, else derived from the admin token.
fn sealing_key(env: &Env) -> ApiResult<[u8; 32]> {
    let secret = env
        .secret("SECRETS_KEY")
        .or_else(|_| env.secret("ADMIN_TOKEN"))
        .map(|s| s.to_string())
        .map_err(|_| ApiError::unavailable("integrations", "neither SECRETS_KEY nor ADMIN_TOKEN is set"))?;
    Ok(seal::key_from_secret(&secret))
}

pub fn seal_secret(env: &Env, plaintext: &str) -> ApiResult<String> {
    Ok(seal::seal(&sealing_key(env)?, &ids::random::<12>(), plaintext))
}

pub fn open_secret(env: &Env, sealed: &str) -> ApiResult<String> {
    seal::open(&sealing_key(env)?, sealed)
        .ok_or_else(|| ApiError::unavailable("integrations", "a stored secret cannot be opened: was SECRETS_KEY changed?"))
}

pub async fn load(db: &D1Database, program_id: &str, name: &str) -> ApiResult<Option<IntegrationRow>> {
    db::first(sql!(db, "SELECT name, settings, secret FROM integrations WHERE program_id = ?1 AND name = ?2", program_id, name)).await
}

async fn save(env: &Env, db: &D1Database, program_id: &str, name: &str, settings: &Value, secret: &str) -> ApiResult<()> {
    let now = ids::now_ms();
    db::run(sql!(
        db,
        "INSERT INTO integrations (program_id, name, settings, secret, created_at, updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?5)
         ON CONFLICT (program_id, name) DO UPDATE SET settings = excluded.settings, secret = excluded.secret, updated_at = excluded.updated_at",
        program_id,
        name,
        &settings.to_string(),
        &seal_secret(env, secret)?,
        now
    ))
    .await
}

/// Which integrations are on, with their public settings (never secrets).
pub async fn list(req: &Request, db: &D1Database, program: &Program) -> ApiResult<Response> {
    let rows: Vec<IntegrationRow> =
        db::all(sql!(db, "SELECT name, settings, secret FROM integrations WHERE program_id = ?1", &program.id)).await?;
    let settings = |name: &str| rows.iter().find(|r| r.name == name).and_then(|r| serde_json::from_str::<Value>(&r.settings).ok());
    #[derive(Deserialize)]
    struct Counts {
        zapier: i64,
        pending: i64,
        failed: i64,
    }
    let counts: Option<Counts> = db::first(sql!(
        db,
        "SELECT (SELECT COUNT(*) FROM webhooks WHERE program_id = ?1 AND source = 'zapier') AS zapier,
                (SELECT COUNT(*) FROM deliveries WHERE program_id = ?1 AND webhook_id = 'mailerlite' AND status = 'pending') AS pending,
                (SELECT COUNT(*) FROM deliveries WHERE program_id = ?1 AND webhook_id = 'mailerlite' AND status = 'failed') AS failed",
        &program.id
    ))
    .await?;
    let counts = counts.unwrap_or(Counts { zapier: 0, pending: 0, failed: 0 });
    let mailerlite = match settings("mailerlite") {
        Some(s) => json!({"enabled": true, "group_id": s["group_id"], "api_base": s["api_base"], "pending_syncs": counts.pending, "failed_syncs": counts.failed}),
        None => json!({"enabled": false}),
    };
    json(
        200,
        &json!({
            "stripe": {"enabled": settings("stripe").is_some(), "endpoint_url": stripe::endpoint_url(&self_origin(req), program)},
            "mailerlite": mailerlite,
            "zapier": {"enabled": counts.zapier > 0, "subscriptions": counts.zapier},
        }),
    )
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct StripeSettings {
    webhook_secret: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct MailerLiteSettings {
    api_token: String,
    group_id: String,
    api_base: Option<String>,
}

pub async fn put(mut req: Request, env: &Env, db: &D1Database, program: &Program, name: &str) -> ApiResult<Response> {
    match name {
        "stripe" => {
            let body: StripeSettings = json_body(&mut req).await?;
            if !body.webhook_secret.starts_with("whsec_") || !is_token(&body.webhook_secret, 200) {
                return Err(ApiError::invalid("webhook_secret", "must be the endpoint's signing secret, whsec_…"));
            }
            save(env, db, &program.id, "stripe", &json!({}), &body.webhook_secret).await?;
            json(200, &json!({"enabled": true, "endpoint_url": stripe::endpoint_url(&self_origin(&req), program)}))
        }
        "mailerlite" => {
            let body: MailerLiteSettings = json_body(&mut req).await?;
            if !is_token(&body.api_token, 2000) {
                return Err(ApiError::invalid("api_token", "must be a MailerLite API token"));
            }
            let group_id = edgeref_shared::validate::key("group_id", &body.group_id)?;
            let api_base = body.api_base.as_deref().unwrap_or(mailerlite::DEFAULT_API_BASE);
            let api_base = edgeref_shared::validate::http_url("api_base", api_base)?.as_str().trim_end_matches('/').to_owned();
            let settings = json!({"group_id": group_id, "api_base": api_base});
            save(env, db, &program.id, "mailerlite", &settings, &body.api_token).await?;
            json(200, &json!({"enabled": true, "group_id": group_id, "api_base": api_base}))
        }
        _ => Err(ApiError::not_found("integration")),
    }
}

/// A credential as services issue them: 1 to `max` visible ASCII characters.
fn is_token(s: &str, max: usize) -> bool {
    !s.is_empty() && s.len() <= max && s.bytes().all(|b| b.is_ascii_graphic())
}

pub async fn delete(db: &D1Database, program: &Program, name: &str) -> ApiResult<Response> {
    if !matches!(name, "stripe" | "mailerlite") {
        return Err(ApiError::not_found("integration"));
    }
    db::run(sql!(db, "DELETE FROM integrations WHERE program_id = ?1 AND name = ?2", &program.id, name)).await?;
    json(200, &json!({"name": name, "enabled": false}))
}
