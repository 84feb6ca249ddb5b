//! Third-party integrations, configured per program by the owner:
//! `GET /v1/programs/{id}/integrations`, `PUT`/`DELETE …/integrations/{name}`.
//! Secrets are sealed before they reach D1 and never returned.

pub mod secrets;
pub mod store;
pub mod stripe;

use crate::context::Cx;
use crate::error::{ApiError, ApiResult};
use crate::http::{json, json_body, self_origin};
use crate::programs::model::Program;
use crate::webhooks::store as webhooks;
use crate::{audit, db, ids, outbox};
use edgeref_shared::validate;
use crate::outbox::senders::mailerlite::{self, MailerLiteSettings};
use serde::Deserialize;
use serde_json::{json, Value};
use worker::{Request, Response};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct StripeInput {
    webhook_secret: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct MailerLiteInput {
    api_token: String,
    group_id: String,
    api_base: Option<String>,
}

/// Which integrations are on, with their public settings (never secrets).
pub async fn list(req: &Request, cx: &Cx, program: &Program) -> ApiResult<Response> {
    let rows = store::list(&cx.db, &program.id).await?;
    let settings = |name: &str| rows.iter().find(|r| r.name == name).and_then(|r| serde_json::from_str::<Value>(&r.settings).ok());
    let zapier = webhooks::count_from(&cx.db, &program.id, "zapier").await?;
    let mailerlite = match settings("mailerlite") {
        Some(s) => {
            let backlog = outbox::store::integration_backlog(&cx.db, &program.id, "mailerlite").await?;
            json!({"enabled": true, "group_id": s["group_id"], "api_base": s["api_base"], "pending_syncs": backlog.pending, "failed_syncs": backlog.failed})
        }
        None => json!({"enabled": false}),
    };
    json(
        200,
        &json!({
            "stripe": {"enabled": settings("stripe").is_some(), "endpoint_url": stripe::endpoint_url(&self_origin(req), program)},
            "mailerlite": mailerlite,
            "zapier": {"enabled": zapier > 0, "subscriptions": zapier},
        }),
    )
}

pub async fn put(mut req: Request, cx: &Cx, program: &Program, name: &str) -> ApiResult<Response> {
    let (settings, secret, answer) = match name {
        "stripe" => {
            let body: StripeInput = json_body(&mut req).await?;
            if !body.webhook_secret.starts_with("whsec_") || !is_token(&body.webhook_secret, 200) {
                return Err(ApiError::invalid("webhook_secret", "must be the endpoint's signing secret, whsec_…"));
            }
            (json!({}), body.webhook_secret, json!({"enabled": true, "endpoint_url": stripe::endpoint_url(&self_origin(&req), program)}))
        }
        "mailerlite" => {
            let body: MailerLiteInput = json_body(&mut req).await?;
            if !is_token(&body.api_token, 2000) {
                return Err(ApiError::invalid("api_token", "must be a MailerLite API token"));
            }
            let group_id = validate::key("group_id", &body.group_id)?;
            let api_base = validate::http_url("api_base", body.api_base.as_deref().unwrap_or(mailerlite::DEFAULT_API_BASE))?;
            let settings = MailerLiteSettings { group_id, api_base: api_base.as_str().trim_end_matches('/').to_owned() };
            let answer = json!({"enabled": true, "group_id": settings.group_id, "api_base": settings.api_base});
            (serde_json::to_value(&settings).expect("settings serialize"), body.api_token, answer)
        }
        _ => return Err(ApiError::not_found("integration")),
    };
    let before = store::get(&cx.db, &program.id, name).await?;
    let action = if before.is_some() { "integration.updated" } else { "integration.enabled" };
    let after = audited(name, settings.clone(), Some(secret.clone()));
    let before = before.map(|b| audited(name, serde_json::from_str(&b.settings).unwrap_or_default(), crate::sealed::open(&cx.env, &b.secret).ok()));
    let change = edgeref_shared::audit::diff(before.as_ref(), Some(&after));
    let audit = audit::record(cx, &program.id, action, ("integration", name), change);
    let save = store::save(&cx.db, &program.id, name, &settings.to_string(), &crate::sealed::seal(&cx.env, &secret)?, ids::now_ms());
    db::batch(&cx.db, [save].into_iter().chain(audit).collect()).await?;
    json(200, &answer)
}

/// What the audit log compares of an integration: its settings and its credential
/// under the name the API takes it by (which the diff shows only as [redacted]).
fn audited(name: &str, mut settings: Value, credential: Option<String>) -> Value {
    let field = if name == "stripe" { "webhook_secret" } else { "api_token" };
    if let Some(map) = settings.as_object_mut() {
        map.insert(field.into(), credential.into());
    }
    settings
}

/// A credential as services issue them: 1 to `max` visible ASCII characters.
fn is_token(s: &str, max: usize) -> bool {
    !s.is_empty() && s.len() <= max && s.bytes().all(|b| b.is_ascii_graphic())
}

pub async fn delete(cx: &Cx, program: &Program, name: &str) -> ApiResult<Response> {
    if !matches!(name, "stripe" | "mailerlite") {
        return Err(ApiError::not_found("integration"));
    }
    let Some(row) = store::get(&cx.db, &program.id, name).await? else { return json(200, &json!({"name": name, "enabled": false})) };
    let settings = audited(name, serde_json::from_str(&row.settings).unwrap_or_default(), None);
    let audit = audit::record(cx, &program.id, "integration.deleted", ("integration", name), audit::deleted(&settings));
    db::batch(&cx.db, [store::delete(&cx.db, &program.id, name)].into_iter().chain(audit).collect()).await?;
    json(200, &json!({"name": name, "enabled": false}))
}

#[cfg(test)]
mod tests {
    #[test]
    fn tokens_are_visible_ascii_within_their_length() {
        assert!(super::is_token("whsec_abc", 200));
        assert!(!super::is_token("", 200));
        assert!(!super::is_token("has space", 200));
        assert!(!super::is_token("ünïcode", 200));
        assert!(!super::is_token(&"a".repeat(201), 200));
    }
}
