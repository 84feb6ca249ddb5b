//! A customer as stored and as the API shows it.

use crate::programs::model::tracking_base;
use edgeref_shared::{link, time, ReferralCode, TrackingSettings};
use serde::Deserialize;

#[derive(Debug, Clone, Deserialize)]
pub struct CustomerRow {
    /// D1's row id: never reused and never settable from outside, so what a portal
    /// token is bound to (`edgeref_shared::portal`). 0 for a row not read from D1.
    #[serde(default)]
    pub row_id: i64,
    pub key: String,
    pub email: String,
    pub name: Option<String>,
    pub surname: Option<String>,
    pub referral_code: String,
    pub referred_by: Option<String>,
    pub friend_reward: Option<String>,
    /// Approved and not yet paid: what the merchant owes now (the ledger's sum).
    pub balance: i64,
    pub referrals_count: i64,
    pub created_at: i64,
    pub updated_at: i64,
    /// JSON array of the fraud flags its referred signup carried.
    #[serde(default = "no_flags")]
    pub fraud_flags: String,
    /// Rewards still held or in review.
    #[serde(default)]
    pub pending_balance: i64,
    /// Everything paid out so far.
    #[serde(default)]
    pub paid_total: i64,
    /// The customer's id in the merchant's Stripe account (`cus_…`).
    #[serde(default)]
    pub stripe_customer_id: Option<String>,
    /// A referred friend's own Stripe promotion code (`rewards.friend` `stripe_promotion_code`).
    #[serde(default)]
    pub promotion_code: Option<String>,
}

fn no_flags() -> String {
    "[]".into()
}

/// The API's customer object, shared with the Rust client.
pub use edgeref_shared::api::Customer as CustomerView;

impl CustomerRow {
    /// The fraud flags of its referred signup.
    pub fn flags(&self) -> Vec<edgeref_shared::fraud::Flag> {
        serde_json::from_str::<Vec<String>>(&self.fraud_flags).unwrap_or_default().iter().filter_map(|f| edgeref_shared::fraud::Flag::parse(f)).collect()
    }

    /// The API's view; `edge_origin` is the Worker's (`Cx::origin`), for `short_link`.
    pub fn view(&self, website_url: &str, tracking: &TrackingSettings, edge_origin: &str) -> CustomerView {
        let referral_link = ReferralCode::parse(&self.referral_code)
            .map(|c| link::build(website_url, tracking, &c))
            .unwrap_or_default();
        CustomerView {
            key: self.key.clone(),
            email: self.email.clone(),
            name: self.name.clone(),
            surname: self.surname.clone(),
            referral_code: self.referral_code.clone(),
            referral_link,
            short_link: format!("{}/r/{}", tracking_base(tracking, edge_origin), self.referral_code),
            referred_by: self.referred_by.clone(),
            friend_reward: self.friend_reward.as_deref().and_then(|f| serde_json::from_str(f).ok()),
            referrals_count: self.referrals_count,
            balance: self.balance,
            pending_balance: self.pending_balance,
            paid_total: self.paid_total,
            stripe_customer_id: self.stripe_customer_id.clone(),
            promotion_code: self.promotion_code.clone(),
            created_at: time::rfc3339(self.created_at),
            updated_at: time::rfc3339(self.updated_at),
        }
    }
}

/// A referral statistic row for `/v1/customers/{key}/stats`.
pub use edgeref_shared::api::CustomerStats;
