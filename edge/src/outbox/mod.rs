//! The transactional outbox: an event is written in the same D1 batch as the
//! change it describes, together with one pending delivery per subscribed,
//! active webhook and per integration that listens to it. No change commits
//! without its event, and no event without its change. After the commit,
//! `dispatch` sends it; the cron trigger retries what failed (`delivery`).

pub mod delivery;
pub mod fanout;
pub mod senders;
pub mod store;

use crate::context::Cx;
use crate::db::Stmt;
use crate::ids;
use edgeref_shared::email::Message;
use edgeref_shared::webhook::EventKind;
use serde_json::Value;

pub use fanout::{event, payload, Outgoing};
use fanout::integrations_for;
use worker::D1Database;


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
