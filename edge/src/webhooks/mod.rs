//! Webhook endpoints: `/v1/webhooks` (API key) and `/v1/programs/{id}/webhooks` (owner).

pub mod delivery;
pub mod outbox;

use crate::error::{ApiError, ApiResult};
use crate::http::{json, json_body};
use crate::{db, ids, sql};
use edgeref_shared::signature::new_secret;
use edgeref_shared::webhook::{is_event_type, TEST_EVENT};
use edgeref_shared::{time, validate};
use serde::{Deserialize, Serialize};
use serde_json::json;
use worker::{Context, D1Database, Env, Request, Response};

#[derive(Deserialize)]
struct WebhookRow {
    id: String,
    name: String,
    url: String,
    events: String,
    is_active: i64,
    source: Option<String>,
    disabled_reason: Option<String>,
    created_at: i64,
    updated_at: i64,
}

const COLUMNS: &str = "id, name, url, events, is_active, source, disabled_reason, created_at, updated_at";

/// A webhook as the API shows it: never its secret (that is shown once, at creation or rotation).
#[derive(Serialize)]
struct WebhookView {
    id: String,
    name: String,
    url: String,
    events: Vec<String>,
    is_active: bool,
    source: Option<String>,
    disabled_reason: Option<String>,
    created_at: String,
    updated_at: String,
}

impl From<WebhookRow> for WebhookView {
    fn from(r: WebhookRow) -> Self {
        Self {
            id: r.id,
            name: r.name,
            url: r.url,
            events: serde_json::from_str(&r.events).unwrap_or_default(),
            is_active: r.is_active == 1,
            source: r.source,
            disabled_reason: r.disabled_reason,
            created_at: time::rfc3339(r.created_at),
            updated_at: time::rfc3339(r.updated_at),
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CreateWebhook {
    name: String,
    url: String,
    events: Vec<String>,
    is_active: Option<bool>,
    /// Who created it, e.g. "zapier" for REST-hook subscriptions.
    source: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct UpdateWebhook {
    #[serde(default, deserialize_with = "crate::http::present")]
    name: Option<String>,
    #[serde(default, deserialize_with = "crate::http::present")]
    url: Option<String>,
    #[serde(default, deserialize_with = "crate::http::present")]
    events: Option<Vec<String>>,
    #[serde(default, deserialize_with = "crate::http::present")]
    is_active: Option<bool>,
}

fn endpoint_url(env: &Env, input: &str) -> ApiResult<String> {
    Ok(validate::endpoint_url("url", input, crate::dev_mode(env))?.to_string())
}

fn event_list(events: &[String]) -> ApiResult<String> {
    if events.is_empty() {
        return Err(ApiError::invalid("events", "choose at least one event"));
    }
    if let Some(bad) = events.iter().find(|e| !is_event_type(e)) {
        return Err(ApiError::invalid("events", format!("unknown event type {bad:?}")));
    }
    let mut unique = events.to_vec();
    unique.sort();
    unique.dedup();
    Ok(serde_json::to_string(&unique).expect("strings serialize"))
}

async fn require(db: &D1Database, program_id: &str, id: &str) -> ApiResult<WebhookRow> {
    db::first(sql!(db, &format!("SELECT {COLUMNS} FROM webhooks WHERE program_id = ?1 AND id = ?2"), program_id, id))
        .await?
        .ok_or_else(|| ApiError::not_found("webhook"))
}

pub async fn create(mut req: Request, env: &Env, db: &D1Database, program_id: &str) -> ApiResult<Response> {
    let body: CreateWebhook = json_body(&mut req).await?;
    let name = validate::name("name", &body.name, 100)?;
    let url = endpoint_url(env, &body.url)?;
    let events = event_list(&body.events)?;
    let source = body.source.as_deref().map(|s| validate::key("source", s)).transpose()?;
    let id = ids::new_id("whk");
    let secret = new_secret(&ids::random::<24>());
    let now = ids::now_ms();
    db::run(sql!(
        db,
        "INSERT INTO webhooks (id, program_id, name, url, events, is_active, secret, source, created_at, updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?9)",
        &id,
        program_id,
        &name,
        &url,
        &events,
        body.is_active.unwrap_or(true) as i64,
        &secret,
        source.as_ref(),
        now
    ))
    .await?;
    let mut view = serde_json::to_value(WebhookView::from(require(db, program_id, &id).await?)).expect("view serializes");
    view["secret"] = secret.into();
    json(201, &view)
}

pub async fn list(db: &D1Database, program_id: &str) -> ApiResult<Response> {
    let rows: Vec<WebhookRow> =
        db::all(sql!(db, &format!("SELECT {COLUMNS} FROM webhooks WHERE program_id = ?1 ORDER BY created_at, id"), program_id)).await?;
    let data: Vec<WebhookView> = rows.into_iter().map(WebhookView::from).collect();
    json(200, &json!({"data": data, "next_cursor": null}))
}

pub async fn get(db: &D1Database, program_id: &str, id: &str) -> ApiResult<Response> {
    json(200, &WebhookView::from(require(db, program_id, id).await?))
}

pub async fn update(mut req: Request, env: &Env, db: &D1Database, program_id: &str, id: &str) -> ApiResult<Response> {
    let patch: UpdateWebhook = json_body(&mut req).await?;
    let current = require(db, program_id, id).await?;
    let name = patch.name.as_deref().map(|n| validate::name("name", n, 100)).transpose()?.unwrap_or(current.name);
    let url = patch.url.as_deref().map(|u| endpoint_url(env, u)).transpose()?.unwrap_or(current.url);
    let events = patch.events.as_deref().map(event_list).transpose()?.unwrap_or(current.events);
    let is_active = patch.is_active.map_or(current.is_active, i64::from);
    // Switching an endpoint back on clears why it was switched off.
    let reason = if is_active == 1 { None } else { current.disabled_reason };
    db::run(sql!(
        db,
        "UPDATE webhooks SET name = ?3, url = ?4, events = ?5, is_active = ?6, disabled_reason = ?7, updated_at = ?8 WHERE program_id = ?1 AND id = ?2",
        program_id,
        id,
        &name,
        &url,
        &events,
        is_active,
        reason.as_ref(),
        ids::now_ms()
    ))
    .await?;
    get(db, program_id, id).await
}

pub async fn delete(db: &D1Database, program_id: &str, id: &str) -> ApiResult<Response> {
    require(db, program_id, id).await?;
    db::batch(
        db,
        vec![
            sql!(db, "DELETE FROM delivery_attempts WHERE delivery_id IN (SELECT id FROM deliveries WHERE webhook_id = ?1)", id),
            sql!(db, "DELETE FROM deliveries WHERE webhook_id = ?1", id),
            sql!(db, "DELETE FROM webhooks WHERE program_id = ?1 AND id = ?2", program_id, id),
        ],
    )
    .await?;
    json(200, &json!({"id": id, "deleted": true}))
}

/// A new secret, effective at once and shown only in this response.
pub async fn rotate_secret(db: &D1Database, program_id: &str, id: &str) -> ApiResult<Response> {
    require(db, program_id, id).await?;
    let secret = new_secret(&ids::random::<24>());
    db::run(sql!(db, "UPDATE webhooks SET secret = ?3, updated_at = ?4 WHERE program_id = ?1 AND id = ?2", program_id, id, &secret, ids::now_ms()))
        .await?;
    json(200, &json!({"id": id, "secret": secret}))
}

#[derive(Deserialize)]
struct DeliveryRow {
    id: String,
    event_id: String,
    event_type: String,
    status: String,
    attempts: i64,
    next_attempt_at: Option<i64>,
    last_code: Option<i64>,
    created_at: i64,
}

#[derive(Deserialize)]
struct AttemptRow {
    delivery_id: String,
    attempted_at: i64,
    response_code: Option<i64>,
    response_body: Option<String>,
    duration_ms: i64,
    error: Option<String>,
    next_retry_at: Option<i64>,
}

/// The delivery log: newest first, each delivery with every attempt.
pub async fn deliveries(req: &Request, db: &D1Database, program_id: &str, id: &str) -> ApiResult<Response> {
    require(db, program_id, id).await?;
    let limit = crate::http::limit_param(req, 50)?;
    let rows: Vec<DeliveryRow> = db::all(sql!(
        db,
        "SELECT d.id, d.event_id, e.type AS event_type, d.status, d.attempts, d.next_attempt_at, d.last_code, d.created_at
         FROM deliveries d JOIN events e ON e.id = d.event_id WHERE d.webhook_id = ?1 ORDER BY d.created_at DESC, d.id LIMIT ?2",
        id,
        limit
    ))
    .await?;
    let ids_json = serde_json::to_string(&rows.iter().map(|r| &r.id).collect::<Vec<_>>()).expect("strings serialize");
    let attempts: Vec<AttemptRow> = db::all(sql!(
        db,
        "SELECT delivery_id, attempted_at, response_code, response_body, duration_ms, error, next_retry_at FROM delivery_attempts
         WHERE delivery_id IN (SELECT value FROM json_each(?1)) ORDER BY attempted_at, id",
        &ids_json
    ))
    .await?;
    let data: Vec<_> = rows
        .iter()
        .map(|d| {
            let tries: Vec<_> = attempts
                .iter()
                .filter(|a| a.delivery_id == d.id)
                .map(|a| {
                    json!({
                        "attempted_at": time::rfc3339(a.attempted_at),
                        "response_code": a.response_code,
                        "response_body": a.response_body,
                        "duration_ms": a.duration_ms,
                        "error": a.error,
                        "next_retry_at": a.next_retry_at.map(time::rfc3339),
                    })
                })
                .collect();
            json!({
                "id": d.id,
                "event_id": d.event_id,
                "event_type": d.event_type,
                "status": d.status,
                "attempts_count": d.attempts,
                "last_response_code": d.last_code,
                "next_attempt_at": (d.status == "pending").then(|| d.next_attempt_at.map(time::rfc3339)).flatten(),
                "created_at": time::rfc3339(d.created_at),
                "attempts": tries,
            })
        })
        .collect();
    json(200, &json!({"data": data, "next_cursor": null}))
}

pub async fn resend(env: &Env, db: &D1Database, program_id: &str, id: &str, delivery_id: &str) -> ApiResult<Response> {
    require(db, program_id, id).await?;
    #[derive(Deserialize)]
    struct Found {
        #[allow(dead_code)]
        id: String,
    }
    let found: Option<Found> =
        db::first(sql!(db, "SELECT id FROM deliveries WHERE id = ?1 AND webhook_id = ?2", delivery_id, id)).await?;
    found.ok_or_else(|| ApiError::not_found("delivery"))?;
    delivery::resend(env, db, delivery_id).await?;
    json(202, &json!({"id": delivery_id, "resent": true}))
}

/// Sends a `webhook.test` event to this endpoint only, right away.
pub async fn send_test(env: &Env, ctx: &Context, db: &D1Database, program_id: &str, id: &str) -> ApiResult<Response> {
    let hook = require(db, program_id, id).await?;
    let data = json!({"webhook_id": hook.id, "message": "This is a test event from Edgeref."});
    let out = outbox::event_for(db, program_id, id, TEST_EVENT, &data);
    db::batch(db, out.statements).await?;
    dispatch(env, ctx, vec![out.id.clone()]);
    json(202, &json!({"event_id": out.id}))
}

/// Recent events, newest first, optionally of one type: what Zapier shows as
/// samples when a user sets up a trigger (its "perform list").
pub async fn recent_events(req: &Request, db: &D1Database, program_id: &str) -> ApiResult<Response> {
    #[derive(Deserialize)]
    struct Row {
        payload: String,
    }
    let limit = crate::http::limit_param(req, 10)?;
    let kind = crate::http::query_param(req, "type");
    if let Some(k) = &kind {
        if !is_event_type(k) && k != TEST_EVENT {
            return Err(ApiError::invalid("type", "unknown event type"));
        }
    }
    let rows: Vec<Row> = db::all(sql!(
        db,
        "SELECT payload FROM events WHERE program_id = ?1 AND (?2 IS NULL OR type = ?2) ORDER BY created_at DESC, id DESC LIMIT ?3",
        program_id,
        kind.as_ref(),
        limit
    ))
    .await?;
    let data: Vec<serde_json::Value> = rows.iter().filter_map(|r| serde_json::from_str(&r.payload).ok()).collect();
    json(200, &json!({"data": data, "next_cursor": null}))
}

/// Delivers freshly committed events after the response is sent.
pub fn dispatch(env: &Env, ctx: &Context, event_ids: Vec<String>) {
    if event_ids.is_empty() {
        return;
    }
    if let Ok(db) = env.d1("DB") {
        let env = env.clone();
        ctx.wait_until(async move { delivery::send_events(&env, &db, &event_ids).await });
    }
}
