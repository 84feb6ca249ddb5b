//! A transaction as stored and as the API shows it, and what it earns.

use edgeref_shared::reward::{FriendReward, RewardRule, Trigger};
use edgeref_shared::time;
use serde::Deserialize;
use edgeref_shared::api::{CustomerKey, Transaction};
use serde_json::Value;

pub const COLUMNS: &str = "id, key, customer_key, referrer_key, amount, currency, product_id, reward, friend_reward, refunded, request_hash, created_at";

#[derive(Debug, Clone, Deserialize)]
pub struct TransactionRow {
    pub id: i64,
    pub key: String,
    pub customer_key: String,
    pub referrer_key: Option<String>,
    pub amount: i64,
    pub currency: String,
    pub product_id: Option<String>,
    /// What the referrer earned from it.
    pub reward: i64,
    /// What the buyer earned from it as a referred friend.
    pub friend_reward: i64,
    pub refunded: i64,
    /// Fingerprint of the request, to tell a retry from a different sale with the same key.
    pub request_hash: String,
    pub created_at: i64,
}

impl TransactionRow {
    /// The API's transaction object (also the webhook payload).
    pub fn view(&self) -> Value {
        let view = Transaction {
            key: self.key.clone(),
            customer: CustomerKey { key: self.customer_key.clone() },
            referring_customer: self.referrer_key.clone().map(|key| CustomerKey { key }),
            amount: self.amount,
            currency: self.currency.clone(),
            product_id: self.product_id.clone(),
            reward: self.reward,
            friend_reward: self.friend_reward,
            refunded: self.refunded,
            created_at: time::rfc3339(self.created_at),
        };
        serde_json::to_value(view).expect("view serializes")
    }
}

#[cfg(test)]
impl TransactionRow {
    /// A 100.00 USD sale `t1` by `bob` for tests, referred by `referrer`, that earned these rewards.
    pub fn sample(referrer: Option<&str>, reward: i64, friend_reward: i64) -> Self {
        Self {
            id: 1,
            key: "t1".into(),
            customer_key: "bob".into(),
            referrer_key: referrer.map(Into::into),
            amount: 10_000,
            currency: "USD".into(),
            product_id: None,
            reward,
            friend_reward,
            refunded: 0,
            request_hash: String::new(),
            created_at: 0,
        }
    }
}

/// What the friend earns from a sale under the reward they were granted at signup (stored as JSON).
pub fn friend_share(granted: Option<&str>, amount: i64) -> i64 {
    match granted.and_then(|g| serde_json::from_str::<FriendReward>(g).ok()) {
        Some(FriendReward::Percent { percent }) => RewardRule::percent(percent).for_sale(amount),
        Some(FriendReward::Fixed { amount: fixed, on: Trigger::Sale }) => fixed,
        _ => 0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn sale(referrer: Option<&str>, reward: i64, friend_reward: i64) -> TransactionRow {
        TransactionRow::sample(referrer, reward, friend_reward)
    }

    #[test]
    fn the_friend_share_follows_the_reward_granted_at_signup() {
        assert_eq!(friend_share(Some(r#"{"type":"percent","percent":5}"#), 10_000), 500);
        assert_eq!(friend_share(Some(r#"{"type":"fixed","amount":300,"on":"sale"}"#), 10_000), 300);
        assert_eq!(friend_share(Some(r#"{"type":"fixed","amount":300,"on":"signup"}"#), 10_000), 0);
        assert_eq!(friend_share(Some(r#"{"type":"coupon","code":"X","description":"10 % off"}"#), 10_000), 0);
        assert_eq!(friend_share(None, 10_000), 0);
        assert_eq!(friend_share(Some("not json"), 10_000), 0);
    }

    #[test]
    fn the_view_names_the_referrer_only_when_there_is_one() {
        assert_eq!(sale(Some("ann"), 1000, 0).view()["referring_customer"], json!({"key": "ann"}));
        assert!(sale(None, 0, 0).view()["referring_customer"].is_null());
    }
}
