//! The transactional outbox: an event is written in the same D1 batch as the
//! change it describes, together with one pending delivery per subscribed,
//! active endpoint. No change commits without its event, and no event without its change.

use crate::error::ApiResult;
use crate::{ids, sql};
use edgeref_shared::time;
use serde_json::{json, Value};
use worker::{D1Database, D1PreparedStatement};

/// An event about to be written: its id (the `webhook-id`) and its statements.
pub struct Outgoing {
    pub id: String,
    pub statements: Vec<ApiResult<D1PreparedStatement>>,
}

/// The statements that record `kind` with `data` (the object the REST API
/// returns) and fan it out to every active endpoint subscribed to it.
pub fn event(db: &D1Database, program_id: &str, kind: &str, data: &Value) -> Outgoing {
    let id = ids::new_id("msg");
    let now = ids::now_ms();
    let payload = json!({
        "id": id,
        "type": kind,
        "timestamp": time::rfc3339(now),
        "program_id": program_id,
        "data": data,
    })
    .to_string();
    let statements = vec![
        sql!(db, "INSERT INTO events (id, program_id, type, payload, created_at) VALUES (?1, ?2, ?3, ?4, ?5)", &id, program_id, kind, &payload, now),
        sql!(
            db,
            "INSERT INTO deliveries (id, program_id, event_id, webhook_id, status, attempts, next_attempt_at, created_at, updated_at)
             SELECT ?1 || '.' || w.id, ?2, ?1, w.id, 'pending', 0, ?4, ?4, ?4 FROM webhooks w
             WHERE w.program_id = ?2 AND w.is_active = 1 AND EXISTS (SELECT 1 FROM json_each(w.events) WHERE value = ?3)",
            &id,
            program_id,
            kind,
            now
        ),
        // MailerLite rides the same outbox: one delivery per customer event when it is on.
        sql!(
            db,
            "INSERT INTO deliveries (id, program_id, event_id, webhook_id, status, attempts, next_attempt_at, created_at, updated_at)
             SELECT ?1 || '.mailerlite', ?2, ?1, 'mailerlite', 'pending', 0, ?4, ?4, ?4 FROM integrations
             WHERE program_id = ?2 AND name = 'mailerlite' AND ?3 IN ('customer.created', 'customer.deleted')",
            &id,
            program_id,
            kind,
            now
        ),
    ];
    Outgoing { id, statements }
}

/// An event for one endpoint only, whatever it subscribes to ("send test event").
pub fn event_for(db: &D1Database, program_id: &str, webhook_id: &str, kind: &str, data: &Value) -> Outgoing {
    let mut out = event(db, program_id, kind, data);
    let now = ids::now_ms();
    out.statements.truncate(1);
    out.statements.push(sql!(
        db,
        "INSERT INTO deliveries (id, program_id, event_id, webhook_id, status, attempts, next_attempt_at, created_at, updated_at)
         VALUES (?1 || '.' || ?3, ?2, ?1, ?3, 'pending', 0, ?4, ?4, ?4)",
        &out.id,
        program_id,
        webhook_id,
        now
    ));
    out
}
