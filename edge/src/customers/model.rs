//! A customer as stored and as the API shows it.

use edgeref_shared::{link, time, ReferralCode, TrackingSettings};
use serde::Deserialize;

pub const COLUMNS: &str =
    "key, email, name, surname, referral_code, referred_by, friend_reward, balance, referrals_count, created_at, updated_at";

#[derive(Debug, Clone, Deserialize)]
pub struct CustomerRow {
    pub key: String,
    pub email: String,
    pub name: Option<String>,
    pub surname: Option<String>,
    pub referral_code: String,
    pub referred_by: Option<String>,
    pub friend_reward: Option<String>,
    pub balance: i64,
    pub referrals_count: i64,
    pub created_at: i64,
    pub updated_at: i64,
}

/// The API's customer object, shared with the Rust client.
pub use edgeref_shared::api::Customer as CustomerView;

impl CustomerRow {
    pub fn view(&self, website_url: &str, tracking: &TrackingSettings) -> CustomerView {
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
            referred_by: self.referred_by.clone(),
            friend_reward: self.friend_reward.as_deref().and_then(|f| serde_json::from_str(f).ok()),
            referrals_count: self.referrals_count,
            balance: self.balance,
            created_at: time::rfc3339(self.created_at),
            updated_at: time::rfc3339(self.updated_at),
        }
    }
}

/// A referral statistic row for `/v1/customers/{key}/stats`.
pub use edgeref_shared::api::CustomerStats;
