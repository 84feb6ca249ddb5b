//! A reward as stored and as the API shows it.

use edgeref_shared::fraud::Flag;
use edgeref_shared::lifecycle::RewardStatus;
use edgeref_shared::reward::RewardKind;
use edgeref_shared::time;
use serde::Deserialize;
use serde_json::{json, Value};

pub const COLUMNS: &str = "id, customer_key, referred_key, kind, amount, currency, status, flags, transaction_key, available_at, created_at, decided_at, reason, payout_id, milestone";

#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct RewardRow {
    pub id: String,
    pub customer_key: String,
    /// The referred customer whose signup or sale earned it (the friend).
    pub referred_key: Option<String>,
    pub kind: RewardKind,
    pub amount: i64,
    pub currency: String,
    pub status: RewardStatus,
    /// JSON array of flag names.
    pub flags: String,
    pub transaction_key: Option<String>,
    pub available_at: i64,
    pub created_at: i64,
    pub decided_at: Option<i64>,
    pub reason: Option<String>,
    pub payout_id: Option<String>,
    /// A milestone reward's number of paying friends (`rewards.milestones`).
    #[serde(default)]
    pub milestone: Option<i64>,
}

impl RewardRow {
    pub fn flags(&self) -> Vec<String> {
        serde_json::from_str(&self.flags).unwrap_or_default()
    }

    /// The API's reward object (also the `reward.*` webhook payload).
    pub fn view(&self) -> Value {
        json!({
            "id": self.id,
            "customer": {"key": self.customer_key},
            "referred_customer": self.referred_key.as_ref().map(|k| json!({"key": k})),
            "kind": self.kind,
            "amount": self.amount,
            "currency": self.currency,
            "status": self.status,
            "flags": self.flags(),
            "transaction_key": self.transaction_key,
            "available_at": time::rfc3339(self.available_at),
            "created_at": time::rfc3339(self.created_at),
            "decided_at": self.decided_at.map(time::rfc3339),
            "reason": self.reason,
            "payout_id": self.payout_id,
            "milestone": self.milestone.map(|friends| json!({"friends": friends})),
        })
    }
}

#[cfg(test)]
impl RewardRow {
    /// An approved, unflagged USD referrer reward of `ann` for tests.
    pub fn sample(id: &str, amount: i64) -> Self {
        Self {
            id: id.into(),
            customer_key: "ann".into(),
            referred_key: None,
            kind: RewardKind::Referrer,
            amount,
            currency: "USD".into(),
            status: RewardStatus::Approved,
            flags: "[]".into(),
            transaction_key: None,
            available_at: 0,
            created_at: 0,
            decided_at: None,
            reason: None,
            payout_id: None,
            milestone: None,
        }
    }
}

/// Flags as stored: a JSON array of names, sorted, each once.
pub fn flags_json(flags: &[Flag]) -> String {
    let mut names: Vec<&str> = flags.iter().map(|f| f.as_str()).collect();
    names.sort_unstable();
    names.dedup();
    serde_json::to_string(&names).expect("strings serialize")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_are_stored_sorted_once_each_and_read_back() {
        let json = flags_json(&[Flag::Velocity, Flag::DisposableEmail, Flag::Velocity]);
        assert_eq!(json, r#"["disposable_email","velocity"]"#);
        let row = RewardRow { referred_key: Some("bob".into()), currency: "JPY".into(), status: RewardStatus::Pending, flags: json, ..RewardRow::sample("rwd_1", 500) };
        assert_eq!(row.view()["status"], "pending");
        let view = row.view();
        assert_eq!(view["flags"], json!(["disposable_email", "velocity"]));
        assert_eq!((view["customer"]["key"].as_str(), view["currency"].as_str()), (Some("ann"), Some("JPY")));
        assert!(view["decided_at"].is_null());
        assert_eq!(view["referred_customer"], json!({"key": "bob"}));
    }
}
