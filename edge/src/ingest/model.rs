//! A visit as `/t/visit` queues it and the consumer stores it.

use serde::{Deserialize, Serialize};

/// One accepted visit, as queued.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct VisitMsg {
    pub id: String,
    pub program_id: String,
    pub code: String,
    pub referrer_key: String,
    pub url: String,
    pub referrer: String,
    pub created_at: i64,
    /// From a crawler or link previewer: stored, flagged, never counted.
    #[serde(default)]
    pub bot: bool,
}
