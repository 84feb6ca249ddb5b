//! The transactional outbox: an event is written in the same D1 batch as the
//! change it describes, together with one pending delivery per subscribed,
//! active webhook and per integration that listens to it. No change commits
//! without its event, and no event without its change. After the commit,
//! `dispatch` sends it; the cron trigger retries what failed (`delivery`).

pub mod delivery;
pub mod senders;
pub mod store;

use crate::context::Cx;
use crate::db::Stmt;
use crate::ids;
use edgeref_shared::email::{self, Message};
use edgeref_shared::time;
use edgeref_shared::webhook::EventKind;
use serde_json::{json, Value};
use worker::D1Database;

/// An event about to be written: its id (the `webhook-id`) and its statements.
pub struct Outgoing {
    pub id: String,
    pub statements: Vec<Stmt>,
}

/// Integrations that hear about some events through the outbox, and which events.
const INTEGRATION_EVENTS: &[(&str, &[EventKind])] = &[("mailerlite", &[EventKind::CustomerCreated, EventKind::CustomerDeleted])];

/// The integrations that listen to `kind`.
fn integrations_for(kind: EventKind) -> impl Iterator<Item = &'static str> {
    INTEGRATION_EVENTS.iter().filter(move |(_, kinds)| kinds.contains(&kind)).map(|(name, _)| *name)
}

/// The webhook body: Standard Webhooks' envelope around the API's object.
pub fn payload(id: &str, program_id: &str, kind: &str, now_ms: i64, data: &Value) -> String {
    json!({"id": id, "type": kind, "timestamp": time::rfc3339(now_ms), "program_id": program_id, "data": data}).to_string()
}

/// The statements that record `kind` with `data` (the object the REST API
/// returns) and fan it out to every webhook and integration that listens.
pub fn event(db: &D1Database, program_id: &str, kind: EventKind, data: &Value) -> Outgoing {
    let (id, now, name) = (ids::new_id("msg"), ids::now_ms(), kind.as_str());
    let mut statements = vec![
        store::insert_event(db, &id, program_id, name, &payload(&id, program_id, name, now, data), now),
        store::fan_out_to_webhooks(db, &id, program_id, name, now),
    ];
    statements.extend(integrations_for(kind).map(|name| store::fan_out_to_integration(db, &id, program_id, name, now)));
    let messages = email::messages_for(kind, data["referred_by"].is_string());
    if !messages.is_empty() {
        statements.push(store::fan_out_to_emails(db, &id, program_id, messages, now));
    }
    Outgoing { id, statements }
}

/// A message that no change raises (a sign-in code, a friend invitation, a test): its
/// own event (`email.{message}`, never a webhook's) with its one delivery.
pub fn email(db: &D1Database, program_id: &str, message: Message, data: &Value) -> Outgoing {
    let (id, now) = (ids::new_id("msg"), ids::now_ms());
    let kind = format!("email.{}", if data["test"] == true { "test" } else { message.as_str() });
    let statements = vec![
        store::insert_event(db, &id, program_id, &kind, &payload(&id, program_id, &kind, now, data), now),
        store::deliver_email(db, &id, program_id, message, now),
    ];
    Outgoing { id, statements }
}

/// Many events of one kind written set-based (an import's): `events_json` is a
/// JSON array of `{id, payload}` (`payload` as `payload` makes it), fanned out like `event`.
pub fn events_from_json(db: &D1Database, program_id: &str, kind: EventKind, events_json: &str, now: i64) -> Vec<Stmt> {
    let mut statements = vec![
        store::insert_events(db, program_id, kind.as_str(), events_json, now),
        store::fan_out_many_to_webhooks(db, events_json, program_id, kind.as_str(), now),
    ];
    statements.extend(integrations_for(kind).map(|name| store::fan_out_many_to_integration(db, events_json, program_id, name, now)));
    statements
}

/// An event for one webhook only, whatever it subscribes to ("send test event").
pub fn event_for(db: &D1Database, program_id: &str, webhook_id: &str, kind: &str, data: &Value) -> Outgoing {
    let (id, now) = (ids::new_id("msg"), ids::now_ms());
    let statements = vec![
        store::insert_event(db, &id, program_id, kind, &payload(&id, program_id, kind, now, data), now),
        store::deliver_to_webhook(db, &id, program_id, webhook_id, now),
    ];
    Outgoing { id, statements }
}

/// Delivers freshly committed events after the response is sent.
pub fn dispatch(cx: &Cx, event_ids: Vec<String>) {
    if event_ids.is_empty() {
        return;
    }
    let env = cx.env.clone();
    cx.ctx.wait_until(async move {
        if let Ok(db) = env.d1("DB") {
            delivery::send_events(&env, &db, &event_ids).await
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mailerlite_hears_customer_creation_and_deletion_only() {
        assert_eq!(integrations_for(EventKind::CustomerCreated).collect::<Vec<_>>(), ["mailerlite"]);
        assert_eq!(integrations_for(EventKind::CustomerDeleted).collect::<Vec<_>>(), ["mailerlite"]);
        assert_eq!(integrations_for(EventKind::CustomerUpdated).count(), 0);
        assert_eq!(integrations_for(EventKind::TransactionCreated).count(), 0);
    }

    #[test]
    fn the_payload_is_the_standard_webhooks_envelope() {
        let body: Value = serde_json::from_str(&payload("msg_1", "prg_1", "customer.created", 0, &json!({"key": "a"}))).unwrap();
        assert_eq!(body, json!({"id": "msg_1", "type": "customer.created", "timestamp": "1970-01-01T00:00:00.000Z", "program_id": "prg_1", "data": {"key": "a"}}));
    }
}
