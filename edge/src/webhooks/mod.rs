//! Webhook endpoints: `/v1/webhooks` (API key) and `/v1/programs/{id}/webhooks` (owner).
//! Events reach them through the outbox (`crate::outbox`, whose `senders::webhook` signs and posts one).

pub mod model;
pub mod store;

use crate::context::Cx;
use crate::error::{ApiError, ApiResult};
use crate::http::{json, json_body, limit_param, query_param};
use crate::{audit, db, ids};
use crate::outbox::{self, delivery};
use edgeref_shared::signature::new_secret;
use edgeref_shared::validate;
use edgeref_shared::webhook::{is_event_type, TEST_EVENT};
use model::{event_list, NewWebhook, WebhookRow, WebhookView};
use serde_json::json;
use worker::{Request, Response};

use edgeref_shared::api::{CreateWebhook, UpdateWebhook};

fn endpoint_url(cx: &Cx, input: &str) -> ApiResult<String> {
    Ok(validate::endpoint_url("url", input, cx.dev_mode())?.to_string())
}

async fn require(cx: &Cx, program_id: &str, id: &str) -> ApiResult<WebhookRow> {
    store::get(&cx.db, program_id, id).await?.ok_or_else(|| ApiError::not_found("webhook"))
}

pub async fn create(mut req: Request, cx: &Cx, program_id: &str) -> ApiResult<Response> {
    let body: CreateWebhook = json_body(&mut req).await?;
    let name = validate::name("name", &body.name, 100)?;
    let url = endpoint_url(cx, &body.url)?;
    let events = event_list(&body.events)?;
    let source = body.source.as_deref().map(|s| validate::key("source", s)).transpose()?;
    let (id, secret) = (ids::new_id("whk"), new_secret(&ids::random::<24>()));
    let hook = NewWebhook { id: &id, name: &name, url: &url, events: &events, is_active: body.is_active.unwrap_or(true), secret: &secret, source: source.as_deref() };
    let fields = json!({"name": name, "url": url, "events": events, "is_active": hook.is_active, "source": source, "secret": secret});
    let audit = audit::record(cx, program_id, "webhook.created", ("webhook", &id), audit::created(&fields));
    db::batch(&cx.db, [store::insert(&cx.db, program_id, &hook, ids::now_ms())].into_iter().chain(audit).collect()).await?;
    let mut view = serde_json::to_value(WebhookView::from(require(cx, program_id, &id).await?)).expect("view serializes");
    view["secret"] = secret.into();
    json(201, &view)
}

/// What the audit log compares of an endpoint (its secret is never here).
fn audited(h: &WebhookRow) -> serde_json::Value {
    json!({"name": h.name, "url": h.url, "events": h.events, "is_active": h.is_active, "source": h.source, "disabled_reason": h.disabled_reason})
}

pub async fn list(cx: &Cx, program_id: &str) -> ApiResult<Response> {
    let data: Vec<WebhookView> = store::list(&cx.db, program_id).await?.into_iter().map(WebhookView::from).collect();
    json(200, &json!({"data": data, "next_cursor": null}))
}

pub async fn get(cx: &Cx, program_id: &str, id: &str) -> ApiResult<Response> {
    json(200, &WebhookView::from(require(cx, program_id, id).await?))
}

pub async fn update(mut req: Request, cx: &Cx, program_id: &str, id: &str) -> ApiResult<Response> {
    let patch: UpdateWebhook = json_body(&mut req).await?;
    let mut hook = require(cx, program_id, id).await?;
    let before = audited(&hook);
    if let Some(name) = &patch.name {
        hook.name = validate::name("name", name, 100)?;
    }
    if let Some(url) = &patch.url {
        hook.url = endpoint_url(cx, url)?;
    }
    if let Some(events) = &patch.events {
        hook.events = event_list(events)?;
    }
    if let Some(active) = patch.is_active {
        hook.is_active = active;
    }
    // Switching an endpoint back on clears why it was switched off.
    if hook.is_active {
        hook.disabled_reason = None;
    }
    let audit = audit::record(cx, program_id, "webhook.updated", ("webhook", id), audit::changed(&before, &audited(&hook)));
    db::batch(&cx.db, [store::update(&cx.db, program_id, &hook, ids::now_ms())].into_iter().chain(audit).collect()).await?;
    get(cx, program_id, id).await
}

pub async fn delete(cx: &Cx, program_id: &str, id: &str) -> ApiResult<Response> {
    let hook = require(cx, program_id, id).await?;
    let mut stmts = store::delete(&cx.db, program_id, id);
    stmts.extend(audit::record(cx, program_id, "webhook.deleted", ("webhook", id), audit::deleted(&audited(&hook))));
    db::batch(&cx.db, stmts).await?;
    json(200, &json!({"id": id, "deleted": true}))
}

/// A new secret, effective at once and shown only in this response.
pub async fn rotate_secret(cx: &Cx, program_id: &str, id: &str) -> ApiResult<Response> {
    require(cx, program_id, id).await?;
    let secret = new_secret(&ids::random::<24>());
    let change = json!({"secret": {"from": "[redacted]", "to": "[redacted]"}});
    let audit = audit::record(cx, program_id, "webhook.secret_rotated", ("webhook", id), change);
    db::batch(&cx.db, [store::set_secret(&cx.db, program_id, id, &secret, ids::now_ms())].into_iter().chain(audit).collect()).await?;
    json(200, &json!({"id": id, "secret": secret}))
}

/// The delivery log: newest first, each delivery with every attempt.
pub async fn deliveries(req: &Request, cx: &Cx, program_id: &str, id: &str) -> ApiResult<Response> {
    require(cx, program_id, id).await?;
    let (rows, attempts) = store::deliveries(&cx.db, id, limit_param(req, 50)?).await?;
    json(200, &json!({"data": model::delivery_log(&rows, &attempts), "next_cursor": null}))
}

pub async fn resend(cx: &Cx, program_id: &str, id: &str, delivery_id: &str) -> ApiResult<Response> {
    require(cx, program_id, id).await?;
    if !store::has_delivery(&cx.db, id, delivery_id).await? {
        return Err(ApiError::not_found("delivery"));
    }
    delivery::resend(&cx.env, &cx.db, delivery_id).await?;
    json(202, &json!({"id": delivery_id, "resent": true}))
}

/// Sends a `webhook.test` event to this endpoint only, right away.
pub async fn send_test(cx: &Cx, program_id: &str, id: &str) -> ApiResult<Response> {
    let hook = require(cx, program_id, id).await?;
    let data = json!({"webhook_id": hook.id, "message": "This is a test event from Edgeref."});
    let out = outbox::event_for(&cx.db, program_id, id, TEST_EVENT, &data);
    crate::db::batch(&cx.db, out.statements).await?;
    outbox::dispatch(cx, vec![out.id.clone()]);
    json(202, &json!({"event_id": out.id}))
}

/// Recent events, newest first, optionally of one type: what Zapier shows as
/// samples when a user sets up a trigger (its "perform list").
pub async fn recent_events(req: &Request, cx: &Cx, program_id: &str) -> ApiResult<Response> {
    let limit = limit_param(req, 10)?;
    let kind = query_param(req, "type");
    if kind.as_deref().is_some_and(|k| !is_event_type(k) && k != TEST_EVENT) {
        return Err(ApiError::invalid("type", "unknown event type"));
    }
    let payloads = outbox::store::recent_payloads(&cx.db, program_id, kind.as_deref(), limit).await?;
    let data: Vec<serde_json::Value> = payloads.iter().filter_map(|p| serde_json::from_str(p).ok()).collect();
    json(200, &json!({"data": data, "next_cursor": null}))
}
