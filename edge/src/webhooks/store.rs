//! Webhook endpoints and their delivery log in D1.

use super::model::{AttemptRow, DeliveryRow, NewWebhook, WebhookRow};
use crate::db::{self, Stmt};
use crate::error::ApiResult;
use crate::sql;
use edgeref_shared::webhook::EventKind;
use serde::Deserialize;
use worker::D1Database;

const COLUMNS: &str = "id, name, url, events, is_active, source, disabled_reason, created_at, updated_at";

/// A subscription as its column holds it: a JSON array of event names.
fn events_json(events: &[EventKind]) -> String {
    serde_json::to_string(events).expect("event kinds serialize")
}

pub fn insert(db: &D1Database, program_id: &str, w: &NewWebhook<'_>, now: i64) -> Stmt {
    sql!(
        db,
        "INSERT INTO webhooks (id, program_id, name, url, events, is_active, secret, source, created_at, updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?9)",
        w.id,
        program_id,
        w.name,
        w.url,
        &events_json(w.events),
        w.is_active,
        w.secret,
        w.source,
        now
    )
}

pub async fn get(db: &D1Database, program_id: &str, id: &str) -> ApiResult<Option<WebhookRow>> {
    db::first(sql!(db, &format!("SELECT {COLUMNS} FROM webhooks WHERE program_id = ?1 AND id = ?2"), program_id, id)).await
}

pub async fn list(db: &D1Database, program_id: &str) -> ApiResult<Vec<WebhookRow>> {
    db::all(sql!(db, &format!("SELECT {COLUMNS} FROM webhooks WHERE program_id = ?1 ORDER BY created_at, id"), program_id)).await
}

/// Saves the editable fields of `w` (name, url, events, is_active, disabled_reason).
pub fn update(db: &D1Database, program_id: &str, w: &WebhookRow, now: i64) -> Stmt {
    sql!(
        db,
        "UPDATE webhooks SET name = ?3, url = ?4, events = ?5, is_active = ?6, disabled_reason = ?7, updated_at = ?8 WHERE program_id = ?1 AND id = ?2",
        program_id,
        &w.id,
        &w.name,
        &w.url,
        &events_json(&w.events),
        w.is_active,
        w.disabled_reason.as_ref(),
        now
    )
}

/// The statements deleting the webhook with its deliveries and their attempts, for one transaction.
pub fn delete(db: &D1Database, program_id: &str, id: &str) -> Vec<Stmt> {
    vec![
        sql!(db, "DELETE FROM delivery_attempts WHERE delivery_id IN (SELECT id FROM deliveries WHERE webhook_id = ?1)", id),
        sql!(db, "DELETE FROM deliveries WHERE webhook_id = ?1", id),
        sql!(db, "DELETE FROM webhooks WHERE program_id = ?1 AND id = ?2", program_id, id),
    ]
}

pub fn set_secret(db: &D1Database, program_id: &str, id: &str, secret: &str, now: i64) -> Stmt {
    sql!(db, "UPDATE webhooks SET secret = ?3, updated_at = ?4 WHERE program_id = ?1 AND id = ?2", program_id, id, secret, now)
}

/// How many webhooks a source (e.g. Zapier's REST hooks) has subscribed.
pub async fn count_from(db: &D1Database, program_id: &str, source: &str) -> ApiResult<i64> {
    #[derive(Deserialize)]
    struct Count {
        n: i64,
    }
    let row: Option<Count> = db::first(sql!(db, "SELECT COUNT(*) AS n FROM webhooks WHERE program_id = ?1 AND source = ?2", program_id, source)).await?;
    Ok(row.map_or(0, |c| c.n))
}

/// The newest deliveries of a webhook with every attempt of each.
pub async fn deliveries(db: &D1Database, webhook_id: &str, limit: i64) -> ApiResult<(Vec<DeliveryRow>, Vec<AttemptRow>)> {
    let rows: Vec<DeliveryRow> = db::all(sql!(
        db,
        "SELECT d.id, d.event_id, e.type AS event_type, d.status, d.attempts, d.next_attempt_at, d.last_code, d.created_at
         FROM deliveries d JOIN events e ON e.id = d.event_id WHERE d.webhook_id = ?1 ORDER BY d.created_at DESC, d.id LIMIT ?2",
        webhook_id,
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
    Ok((rows, attempts))
}

/// Whether `delivery_id` is one of this webhook's deliveries.
pub async fn has_delivery(db: &D1Database, webhook_id: &str, delivery_id: &str) -> ApiResult<bool> {
    #[derive(Deserialize)]
    struct Found {}
    let found: Option<Found> = db::first(sql!(db, "SELECT 1 AS one FROM deliveries WHERE id = ?1 AND webhook_id = ?2", delivery_id, webhook_id)).await?;
    Ok(found.is_some())
}
