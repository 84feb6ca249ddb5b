//! Third-party integrations, configured per program by the owner:
//! `GET /v1/programs/{id}/integrations`, `PUT`/`DELETE …/integrations/{name}`.
//! Secrets are sealed before they reach D1 and never returned.

pub mod billing;
pub mod secrets;
pub mod store;
pub mod stripe;

use crate::context::Cx;
use crate::error::{ApiError, ApiResult};
use crate::http::{cursor_param, json, json_body, limit_param, page, self_origin};
use crate::programs::model::Program;
use crate::webhooks::store as webhooks;
use crate::{audit, db, ids, outbox};
use edgeref_shared::{time, validate};
use crate::outbox::senders::mailerlite::{self, MailerLiteSettings};
use billing::Provider;
use serde::Deserialize;
use serde_json::{json, Value};
use worker::{Request, Response};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct StripeInput {
    webhook_secret: String,
    /// A restricted key (`rk_…`) for Stripe credit; left out, the stored one stays.
    secret_key: Option<String>,
    api_base: Option<String>,
}

/// Paddle Billing's or Lemon Squeezy's webhook: only its signing secret.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct BillingInput {
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
            "stripe": stripe_view(&self_origin(req), program, settings("stripe").is_some(), settings(stripe::API_ROW).as_ref()),
            "mailerlite": mailerlite,
            "paddle": billing_view(&self_origin(req), program, Provider::Paddle, settings("paddle").is_some()),
            "lemonsqueezy": billing_view(&self_origin(req), program, Provider::LemonSqueezy, settings("lemonsqueezy").is_some()),
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
            let api = put_stripe_api(cx, program, &body).await?;
            (json!({}), body.webhook_secret, stripe_view(&self_origin(&req), program, true, api.as_ref()))
        }
        "paddle" | "lemonsqueezy" => {
            let provider = if name == "paddle" { Provider::Paddle } else { Provider::LemonSqueezy };
            let body: BillingInput = json_body(&mut req).await?;
            if !is_token(&body.webhook_secret, 200) {
                return Err(ApiError::invalid("webhook_secret", "must be the webhook's signing secret"));
            }
            (json!({}), body.webhook_secret, billing_view(&self_origin(&req), program, provider, true))
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

/// The Stripe card: on or off, where Stripe posts, and whether Edgeref can call Stripe (never the key).
fn stripe_view(origin: &str, program: &Program, enabled: bool, api: Option<&Value>) -> Value {
    json!({
        "enabled": enabled,
        "endpoint_url": stripe::endpoint_url(origin, program),
        "secret_key_set": api.is_some(),
        "api_base": api.map_or(json!(stripe::DEFAULT_API_BASE), |a| a["api_base"].clone()),
    })
}

/// A Paddle or Lemon Squeezy card: on or off, and where the provider posts (never the secret).
fn billing_view(origin: &str, program: &Program, provider: Provider, enabled: bool) -> Value {
    json!({"enabled": enabled, "endpoint_url": billing::endpoint_url(origin, program, provider)})
}

/// Saves the Stripe API key (sealed, its own row `stripe::API_ROW`, re-sealed with the others)
/// and `api_base`; without a `secret_key` the stored key stays. Returns the row's settings.
async fn put_stripe_api(cx: &Cx, program: &Program, body: &StripeInput) -> ApiResult<Option<Value>> {
    let api_base = validate::http_url("api_base", body.api_base.as_deref().unwrap_or(stripe::DEFAULT_API_BASE))?;
    let settings = json!({"api_base": api_base.as_str().trim_end_matches('/')});
    let sealed = match &body.secret_key {
        Some(key) if (key.starts_with("rk_") || key.starts_with("sk_")) && is_token(key, 255) => crate::sealed::seal(&cx.env, key)?,
        Some(_) => return Err(ApiError::invalid("secret_key", "must be a Stripe restricted key, rk_… (docs/fulfilment.md)")),
        None => match store::get(&cx.db, &program.id, stripe::API_ROW).await? {
            Some(row) => row.secret,
            None => return Ok(None),
        },
    };
    let audit = body.secret_key.as_ref().map(|_| audit::record(cx, &program.id, "integration.updated", ("integration", "stripe"), json!({"secret_key": {"to": "[redacted]"}, "api_base": {"to": settings["api_base"]}})));
    let save = store::save(&cx.db, &program.id, stripe::API_ROW, &settings.to_string(), &sealed, ids::now_ms());
    db::batch(&cx.db, [save].into_iter().chain(audit.into_iter().flatten()).collect()).await?;
    Ok(Some(settings))
}

/// `GET /v1/programs/{id}/integrations/stripe/credits`: every Stripe credit, newest first, with
/// its reward, status, attempts and the latest answer (Stripe's message when it refused).
pub async fn credits(req: &Request, cx: &Cx, program: &Program) -> ApiResult<Response> {
    let limit = limit_param(req, 50)?;
    let rows = store::credit_log(&cx.db, &program.id, cursor_param(req)?, limit).await?;
    let rows = rows
        .into_iter()
        .map(|r| {
            let view = json!({
                "id": r.id, "reward_id": r.reward_id, "customer": r.customer_key.map(|key| json!({"key": key})), "amount": r.amount,
                "status": r.status, "attempts": r.attempts, "last_code": r.last_code, "note": r.note,
                "created_at": time::rfc3339(r.created_at), "updated_at": time::rfc3339(r.updated_at),
            });
            (r.seq, view)
        })
        .collect();
    json(200, &page(rows, limit))
}

/// `POST /v1/programs/{id}/integrations/stripe/credits/{credit}/retry`: a failed credit (named by
/// its id or its reward's) sent again now, its reward's `fulfilment_failed` flag taken off first
/// (a new refusal puts it back). Answers the credit's status after the attempt.
pub async fn retry_credit(cx: &Cx, program: &Program, id: &str) -> ApiResult<Response> {
    let credit = store::find_credit(&cx.db, &program.id, id).await?.ok_or_else(|| ApiError::not_found("Stripe credit"))?;
    if credit.status != "failed" {
        return Err(ApiError::new(409, "invalid_status", format!("only a failed credit is retried; this one is {}", credit.status)));
    }
    let reward_id = credit.reward_id.as_deref().unwrap_or_default();
    let unflag = store::unflag_fulfilment(&cx.db, &program.id, reward_id);
    let audit = audit::record(cx, &program.id, "stripe_credit.retried", ("reward", reward_id), json!({"flags": {"from": ["fulfilment_failed"], "to": []}}));
    let count = store::count_retry(&cx.db, &program.id, &credit.id);
    db::batch(&cx.db, [unflag, count].into_iter().chain(audit).collect()).await?;
    outbox::delivery::resend(&cx.env, &cx.db, &credit.id).await?;
    let after = store::find_credit(&cx.db, &program.id, &credit.id).await?.map_or(credit.status, |c| c.status);
    json(200, &json!({"id": credit.id, "reward_id": credit.reward_id, "status": after}))
}

/// What the audit log compares of an integration: its settings and its credential
/// under the name the API takes it by (which the diff shows only as [redacted]).
fn audited(name: &str, mut settings: Value, credential: Option<String>) -> Value {
    let field = if name == "mailerlite" { "api_token" } else { "webhook_secret" };
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
    if !matches!(name, "stripe" | "mailerlite" | "paddle" | "lemonsqueezy") {
        return Err(ApiError::not_found("integration"));
    }
    let Some(row) = store::get(&cx.db, &program.id, name).await? else { return json(200, &json!({"name": name, "enabled": false})) };
    let settings = audited(name, serde_json::from_str(&row.settings).unwrap_or_default(), None);
    let audit = audit::record(cx, &program.id, "integration.deleted", ("integration", name), audit::deleted(&settings));
    let api = (name == "stripe").then(|| store::delete(&cx.db, &program.id, stripe::API_ROW));
    db::batch(&cx.db, [store::delete(&cx.db, &program.id, name)].into_iter().chain(api).chain(audit).collect()).await?;
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
