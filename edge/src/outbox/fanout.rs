//! An event's fan-out: the statements that record it and one pending delivery per webhook,
//! integration, e-mail and Stripe credit that it sets off. Apart from `mod.rs` so that the
//! senders, which write events of their own (`payout.created` after a Stripe credit), can use
//! it without an import circle through `delivery`.

use super::store;
use crate::db::Stmt;
use crate::ids;
use edgeref_shared::email;
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
pub(super) fn integrations_for(kind: EventKind) -> impl Iterator<Item = &'static str> {
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
    let messages = email::messages_for_event(kind, data);
    if !messages.is_empty() {
        statements.push(store::fan_out_to_emails(db, &id, program_id, messages, now));
    }
    if let Some(reward_id) = approved_reward(kind, data) {
        statements.push(store::fan_out_credit(db, &id, program_id, reward_id, now));
    }
    if let Some(friend) = referred_customer(kind, data) {
        statements.push(store::fan_out_promotion_code(db, &id, program_id, friend, now));
    }
    Outgoing { id, statements }
}

/// A reward approved as it is created: Stripe credit may pay it (`store::CREDITS` decides, in SQL).
fn approved_reward(kind: EventKind, data: &Value) -> Option<&str> {
    (kind == EventKind::RewardCreated && data["status"] == "approved").then(|| data["id"].as_str()).flatten()
}

/// A referred customer just created: a Stripe promotion code may be theirs (`store::fan_out_promotion_code` decides, in SQL).
fn referred_customer(kind: EventKind, data: &Value) -> Option<&str> {
    (kind == EventKind::CustomerCreated && data["referred_by"].is_string()).then(|| data["key"].as_str()).flatten()
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
    fn only_a_reward_approved_as_it_is_created_may_be_credited_from_its_event() {
        let approved = json!({"id": "rwd_1", "status": "approved"});
        assert_eq!(approved_reward(EventKind::RewardCreated, &approved), Some("rwd_1"));
        assert_eq!(approved_reward(EventKind::RewardCreated, &json!({"id": "rwd_1", "status": "pending"})), None);
        assert_eq!(approved_reward(EventKind::RewardApproved, &approved), None, "approvals fan out set-based (rewards::store::approved_effects)");
    }

    #[test]
    fn only_a_referred_customers_creation_may_make_a_promotion_code() {
        assert_eq!(referred_customer(EventKind::CustomerCreated, &json!({"key": "bob", "referred_by": "ann"})), Some("bob"));
        assert_eq!(referred_customer(EventKind::CustomerCreated, &json!({"key": "ann", "referred_by": null})), None);
        assert_eq!(referred_customer(EventKind::CustomerUpdated, &json!({"key": "bob", "referred_by": "ann"})), None);
    }

    #[test]
    fn the_payload_is_the_standard_webhooks_envelope() {
        let body: Value = serde_json::from_str(&payload("msg_1", "prg_1", "customer.created", 0, &json!({"key": "a"}))).unwrap();
        assert_eq!(body, json!({"id": "msg_1", "type": "customer.created", "timestamp": "1970-01-01T00:00:00.000Z", "program_id": "prg_1", "data": {"key": "a"}}));
    }
}
