//! One way to commit a change that raises an event: its statements, its event (written to the
//! outbox), the events of what it sets off (rewards earned) and its audit entry go to D1 in one
//! batch, one transaction, and the events are sent once it has committed. The change is named
//! once, by its `EventKind`, which is also its audit entry's action.
//!
//! ```ignore
//! Change::new(cx, &program.id, EventKind::CustomerUpdated)
//!     .statements([store::update(&cx.db, &program.id, &c)])
//!     .event(&customer_json(cx, &c, program))
//!     .audit(("customer", key), audit::changed(&before, &after))
//!     .commit()
//!     .await?;
//! ```

use crate::context::Cx;
use crate::db::{self, DbResult, Stmt};
use crate::{audit, outbox};
use edgeref_shared::webhook::EventKind;
use serde_json::Value;

#[must_use = "a change is written only by `commit`"]
pub struct Change<'a> {
    cx: &'a Cx,
    program_id: &'a str,
    kind: EventKind,
    stmts: Vec<Stmt>,
    events: Vec<String>,
}

impl<'a> Change<'a> {
    pub fn new(cx: &'a Cx, program_id: &'a str, kind: EventKind) -> Self {
        Change { cx, program_id, kind, stmts: Vec::new(), events: Vec::new() }
    }

    /// Statements of the change itself, kept in the order given.
    pub fn statements(mut self, stmts: impl IntoIterator<Item = Stmt>) -> Self {
        self.stmts.extend(stmts);
        self
    }

    /// The change's own event, carrying `data` (the object the API answers with).
    pub fn event(mut self, data: &Value) -> Self {
        let event = outbox::event(&self.cx.db, self.program_id, self.kind, data);
        self.stmts.extend(event.statements);
        self.events.push(event.id);
        self
    }

    /// What the change sets off and the events that raises (`rewards::earn`), sent after its own.
    pub fn and(mut self, (stmts, events): (Vec<Stmt>, Vec<String>)) -> Self {
        self.stmts.extend(stmts);
        self.events.extend(events);
        self
    }

    /// Its audit entry for `target` (type, id), under the change's name; nothing without a caller.
    pub fn audit(mut self, target: (&str, &str), diff: Value) -> Self {
        self.stmts.extend(audit::record(self.cx, self.program_id, self.kind.as_str(), target, diff));
        self
    }

    /// Writes everything in one D1 batch and, once it has committed, sends the events.
    pub async fn commit(self) -> DbResult<()> {
        db::batch(&self.cx.db, self.stmts).await?;
        outbox::dispatch(self.cx, self.events);
        Ok(())
    }
}
