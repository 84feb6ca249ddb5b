//! A customer as stored and as the API shows it.

use crate::programs::model::tracking_base;
use edgeref_shared::reward::FriendReward;
use edgeref_shared::{link, time, ReferralCode, TrackingSettings};
use serde::{Deserialize, Serialize};

pub const COLUMNS: &str = "key, email, name, surname, referral_code, referred_by, friend_reward, balance, referrals_count, created_at, updated_at, fraud_flags,
    (SELECT COALESCE(SUM(r.amount), 0) FROM rewards r WHERE r.program_id = customers.program_id AND r.customer_key = customers.key AND r.status = 'pending') AS pending_balance,
    (SELECT COALESCE(SUM(p.amount), 0) FROM payouts p WHERE p.program_id = customers.program_id AND p.customer_key = customers.key) AS paid_total";

#[derive(Debug, Clone, Deserialize)]
pub struct CustomerRow {
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
}

fn no_flags() -> String {
    "[]".into()
}

/// The API's customer object.
#[derive(Serialize)]
pub struct CustomerView<'a> {
    pub key: &'a str,
    pub email: &'a str,
    pub name: Option<&'a str>,
    pub surname: Option<&'a str>,
    pub referral_code: &'a str,
    pub referral_link: String,
    /// `{endpoint or Worker origin}/r/{code}`: counts the click and sets the
    /// cookie from the server, then redirects to `referral_link`.
    pub short_link: String,
    pub referred_by: Option<&'a str>,
    pub friend_reward: Option<FriendReward>,
    pub referrals_count: i64,
    pub balance: i64,
    pub pending_balance: i64,
    pub paid_total: i64,
    pub created_at: String,
    pub updated_at: String,
}

impl CustomerRow {
    /// The fraud flags of its referred signup.
    pub fn flags(&self) -> Vec<edgeref_shared::fraud::Flag> {
        serde_json::from_str::<Vec<String>>(&self.fraud_flags).unwrap_or_default().iter().filter_map(|f| edgeref_shared::fraud::Flag::parse(f)).collect()
    }

    /// The API's view; `edge_origin` is the Worker's (`Cx::origin`), for `short_link`.
    pub fn view(&self, website_url: &str, tracking: &TrackingSettings, edge_origin: &str) -> CustomerView<'_> {
        let referral_link = ReferralCode::parse(&self.referral_code)
            .map(|c| link::build(website_url, tracking, &c))
            .unwrap_or_default();
        CustomerView {
            key: &self.key,
            email: &self.email,
            name: self.name.as_deref(),
            surname: self.surname.as_deref(),
            referral_code: &self.referral_code,
            referral_link,
            short_link: format!("{}/r/{}", tracking_base(tracking, edge_origin), self.referral_code),
            referred_by: self.referred_by.as_deref(),
            friend_reward: self.friend_reward.as_deref().and_then(|f| serde_json::from_str(f).ok()),
            referrals_count: self.referrals_count,
            balance: self.balance,
            pending_balance: self.pending_balance,
            paid_total: self.paid_total,
            created_at: time::rfc3339(self.created_at),
            updated_at: time::rfc3339(self.updated_at),
        }
    }
}

/// A referral statistic row for `/v1/customers/{key}/stats`.
#[derive(Debug, Default, Serialize, Deserialize)]
pub struct CustomerStats {
    pub visits: i64,
    pub signups: i64,
    pub paying_referrals: i64,
    pub revenue: i64,
    pub rewards: i64,
}
