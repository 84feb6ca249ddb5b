//! Webhooks as stored and as the API shows them, and the delivery log's shape.

use crate::db::column;
use crate::error::{ApiError, ApiResult};
use edgeref_shared::time;
use edgeref_shared::webhook::{DeliveryStatus, EventKind};
use edgeref_shared::api::{Delivery, DeliveryAttempt};
use serde::Deserialize;

#[derive(Debug, Clone, Deserialize)]
pub struct WebhookRow {
    pub id: String,
    pub name: String,
    pub url: String,
    #[serde(deserialize_with = "column::json")]
    pub events: Vec<EventKind>,
    #[serde(deserialize_with = "column::flag")]
    pub is_active: bool,
    pub source: Option<String>,
    pub disabled_reason: Option<String>,
    pub created_at: i64,
    pub updated_at: i64,
}

/// A validated webhook about to be created.
pub struct NewWebhook<'a> {
    pub id: &'a str,
    pub name: &'a str,
    pub url: &'a str,
    pub events: &'a [EventKind],
    pub is_active: bool,
    pub secret: &'a str,
    pub source: Option<&'a str>,
}

/// A webhook as the API shows it (shared with the Rust client): never its
/// secret (that is shown once, at creation or rotation).
pub use edgeref_shared::api::Webhook as WebhookView;

impl From<WebhookRow> for WebhookView {
    fn from(r: WebhookRow) -> Self {
        Self {
            id: r.id,
            name: r.name,
            url: r.url,
            events: r.events,
            is_active: r.is_active,
            source: r.source,
            disabled_reason: r.disabled_reason,
            created_at: time::rfc3339(r.created_at),
            updated_at: time::rfc3339(r.updated_at),
        }
    }
}

/// A subscription as stored: at least one event, each once, sorted by name.
pub fn event_list(events: &[EventKind]) -> ApiResult<Vec<EventKind>> {
    if events.is_empty() {
        return Err(ApiError::invalid("events", "choose at least one event"));
    }
    let mut unique = events.to_vec();
    unique.sort_by_key(|k| k.as_str());
    unique.dedup();
    Ok(unique)
}

#[derive(Debug, Deserialize)]
pub struct DeliveryRow {
    pub id: String,
    pub event_id: String,
    pub event_type: String,
    pub status: DeliveryStatus,
    pub attempts: i64,
    pub next_attempt_at: Option<i64>,
    pub last_code: Option<i64>,
    pub created_at: i64,
}

#[derive(Debug, Deserialize)]
pub struct AttemptRow {
    pub delivery_id: String,
    pub attempted_at: i64,
    pub response_code: Option<i64>,
    pub response_body: Option<String>,
    pub duration_ms: i64,
    pub error: Option<String>,
    pub next_retry_at: Option<i64>,
}

/// The delivery log as the API shows it: each delivery with its attempts, oldest attempt first.
pub fn delivery_log(deliveries: &[DeliveryRow], attempts: &[AttemptRow]) -> Vec<Delivery> {
    deliveries
        .iter()
        .map(|d| Delivery {
            id: d.id.clone(),
            event_id: d.event_id.clone(),
            event_type: d.event_type.clone(),
            status: d.status,
            attempts_count: d.attempts,
            last_response_code: d.last_code,
            next_attempt_at: (d.status == DeliveryStatus::Pending).then(|| d.next_attempt_at.map(time::rfc3339)).flatten(),
            created_at: time::rfc3339(d.created_at),
            attempts: attempts.iter().filter(|a| a.delivery_id == d.id).map(attempt_view).collect(),
        })
        .collect()
}

fn attempt_view(a: &AttemptRow) -> DeliveryAttempt {
    DeliveryAttempt {
        attempted_at: time::rfc3339(a.attempted_at),
        response_code: a.response_code,
        response_body: a.response_body.clone(),
        duration_ms: a.duration_ms,
        error: a.error.clone(),
        next_retry_at: a.next_retry_at.map(time::rfc3339),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn event_lists_are_known_sorted_and_unique() {
        use EventKind::*;
        assert_eq!(event_list(&[TransactionCreated, CustomerCreated, TransactionCreated]).unwrap(), [CustomerCreated, TransactionCreated]);
        assert_eq!(event_list(&[RewardApproved, CustomerUpdated]).unwrap(), [CustomerUpdated, RewardApproved]);
        assert_eq!(event_list(&[]).unwrap_err().field.as_deref(), Some("events"));
    }

    #[test]
    fn the_delivery_log_nests_attempts_and_shows_the_next_try_only_while_pending() {
        let d = |id: &str, status: DeliveryStatus| DeliveryRow {
            id: id.into(),
            event_id: "msg_1".into(),
            event_type: "customer.created".into(),
            status,
            attempts: 1,
            next_attempt_at: Some(60_000),
            last_code: Some(500),
            created_at: 0,
        };
        let a = |delivery: &str| AttemptRow {
            delivery_id: delivery.into(),
            attempted_at: 0,
            response_code: Some(500),
            response_body: None,
            duration_ms: 3,
            error: None,
            next_retry_at: None,
        };
        let log = delivery_log(&[d("a", DeliveryStatus::Pending), d("b", DeliveryStatus::Failed)], &[a("a"), a("b"), a("a")]);
        assert_eq!((log[0].attempts.len(), log[1].attempts.len()), (2, 1));
        assert_eq!(log[0].next_attempt_at.as_deref(), Some("1970-01-01T00:01:00.000Z"));
        assert_eq!(log[1].next_attempt_at, None);
    }

    #[test]
    fn a_webhook_view_never_shows_its_secret() {
        let row = WebhookRow {
            id: "whk_1".into(),
            name: "n".into(),
            url: "https://x.example".into(),
            events: vec![EventKind::CustomerCreated],
            is_active: true,
            source: None,
            disabled_reason: None,
            created_at: 0,
            updated_at: 0,
        };
        let view = serde_json::to_value(WebhookView::from(row)).unwrap();
        assert!(view.get("secret").is_none());
        assert_eq!(view["events"], serde_json::json!(["customer.created"]));
        assert_eq!(view["is_active"], true);
    }
}
