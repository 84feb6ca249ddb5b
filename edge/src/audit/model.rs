//! Audit rows as stored and as the API shows them.

use edgeref_shared::audit::Actor;
use edgeref_shared::time;
use serde::Deserialize;
use serde_json::{json, Value};

/// An entry about to be written.
pub struct NewEntry<'a> {
    pub program_id: &'a str,
    pub actor: &'a Actor,
    pub action: &'a str,
    pub target_type: &'a str,
    pub target_id: &'a str,
    pub diff: Value,
    pub ip_hash: Option<&'a str>,
    pub at: i64,
}

#[derive(Debug, Deserialize)]
pub struct AuditRow {
    pub id: i64,
    pub actor: String,
    pub actor_name: Option<String>,
    pub action: String,
    pub target_type: String,
    pub target_id: String,
    pub diff: String,
    pub ip_hash: Option<String>,
    pub created_at: i64,
}

impl AuditRow {
    pub fn view(&self) -> Value {
        json!({
            "id": self.id.to_string(),
            "actor": Actor::from_columns(&self.actor, self.actor_name.as_deref()),
            "action": self.action,
            "target": {"type": self.target_type, "id": self.target_id},
            "diff": serde_json::from_str::<Value>(&self.diff).unwrap_or_else(|_| json!({})),
            "ip_hash": self.ip_hash,
            "created_at": time::rfc3339(self.created_at),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_row_shows_its_actor_target_and_diff_as_objects() {
        let row = AuditRow {
            id: 7,
            actor: "key_1".into(),
            actor_name: Some("Backend".into()),
            action: "customer.updated".into(),
            target_type: "customer".into(),
            target_id: "ann".into(),
            diff: r#"{"name":{"from":"A","to":"B"}}"#.into(),
            ip_hash: None,
            created_at: 0,
        };
        let v = row.view();
        assert_eq!(v["actor"], json!({"type": "api_key", "id": "key_1", "name": "Backend"}));
        assert_eq!(v["target"], json!({"type": "customer", "id": "ann"}));
        assert_eq!(v["diff"]["name"]["to"], "B");
        assert_eq!((v["id"].as_str(), v["created_at"].as_str()), (Some("7"), Some("1970-01-01T00:00:00.000Z")));
    }
}
