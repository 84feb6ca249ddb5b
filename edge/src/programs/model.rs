//! A referral program as stored and as the API shows it.

use edgeref_shared::email::EmailSettings;
use edgeref_shared::portal::PortalSettings;
use edgeref_shared::reward::{FriendReward, RewardRules};
use edgeref_shared::{time, TrackingSettings};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone)]
pub struct Program {
    pub id: String,
    pub public_id: String,
    pub name: String,
    pub website_url: String,
    /// ISO 4217: every transaction, reward and balance of the program is in it.
    pub currency: String,
    pub tracking: TrackingSettings,
    pub rewards: RewardRules,
    pub emails: EmailSettings,
    pub portal: PortalSettings,
    /// The origin the owner last reached the Worker at: where links in e-mail point.
    pub edge_origin: Option<String>,
    pub created_at: i64,
}

/// One UTC day of a program's referred activity, from the trigger-kept counters.
#[derive(Debug, Default, Clone, PartialEq, Serialize, Deserialize)]
pub struct Day {
    pub date: String,
    pub visits: i64,
    pub signups: i64,
    pub conversions: i64,
    pub revenue: i64,
    #[serde(skip_serializing)]
    pub rewards: i64,
}

#[cfg(test)]
impl Program {
    /// A program for tests: `Shop` at `https://shop.example/`, default settings, these reward rules.
    pub fn sample(rewards: RewardRules) -> Self {
        Self {
            id: "prg_1".into(),
            public_id: "p1".into(),
            name: "Shop".into(),
            website_url: "https://shop.example/".into(),
            currency: "USD".into(),
            tracking: TrackingSettings::default(),
            rewards,
            emails: EmailSettings::default(),
            portal: PortalSettings::default(),
            edge_origin: Some("https://edge.example".into()),
            created_at: 0,
        }
    }
}

/// The API's program object (docs/contract.md), including the tag to paste before `</head>`.
#[derive(Serialize)]
pub struct ProgramView<'a> {
    pub id: &'a str,
    pub public_id: &'a str,
    pub name: &'a str,
    pub website_url: &'a str,
    pub currency: &'a str,
    pub created_at: String,
    pub tracking: &'a TrackingSettings,
    /// The cookie domain when `tracking.cookie_domain` is not set: the website's
    /// registrable domain by the Public Suffix List, `None` for host-only cookies.
    pub default_cookie_domain: Option<String>,
    pub rewards: &'a RewardRules,
    /// Every message in full (defaults filled in), with the placeholders it knows.
    pub emails: serde_json::Value,
    pub portal: &'a PortalSettings,
    pub snippet: String,
}

impl Program {
    pub fn view(&self, edge_origin: &str) -> ProgramView<'_> {
        ProgramView {
            id: &self.id,
            public_id: &self.public_id,
            name: &self.name,
            website_url: &self.website_url,
            currency: &self.currency,
            created_at: time::rfc3339(self.created_at),
            tracking: &self.tracking,
            default_cookie_domain: TrackingSettings { cookie_domain: None, ..self.tracking.clone() }.effective_cookie_domain(&self.website_url),
            rewards: &self.rewards,
            emails: self.emails.view(),
            portal: &self.portal,
            snippet: snippet_tag(tracking_base(&self.tracking, edge_origin), &self.public_id),
        }
    }

    pub fn tracking_config(&self) -> TrackingConfig {
        TrackingConfig {
            id: self.id.clone(),
            public_id: self.public_id.clone(),
            website_url: self.website_url.clone(),
            tracking: self.tracking.clone(),
            friend_reward: self.rewards.friend.clone(),
        }
    }
}

pub fn snippet_tag(base: &str, public_id: &str) -> String {
    format!(r#"<script async src="{base}/s/{public_id}.js"></script>"#)
}

/// Where a program's tracking paths (`/s/…`, `/t/…`, `/r/…`) are reached: its
/// first-party `tracking.endpoint` when set, else this Worker's origin.
pub fn tracking_base<'a>(tracking: &'a TrackingSettings, edge_origin: &'a str) -> &'a str {
    tracking.endpoint.as_deref().unwrap_or(edge_origin)
}

/// What the hot tracking paths need of a program, cached in KV and the isolate
/// so `/s/*.js` and `/t/visit` never read D1 for it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TrackingConfig {
    pub id: String,
    pub public_id: String,
    pub website_url: String,
    pub tracking: TrackingSettings,
    pub friend_reward: Option<FriendReward>,
}

/// `programs` as stored: settings are JSON columns, validated before writing.
#[derive(Deserialize)]
pub struct ProgramRow {
    pub id: String,
    pub public_id: String,
    pub name: String,
    pub website_url: String,
    pub currency: String,
    pub tracking: String,
    pub rewards: String,
    pub emails: String,
    pub portal: String,
    pub edge_origin: Option<String>,
    pub created_at: i64,
}

impl ProgramRow {
    pub fn into_program(self) -> Option<Program> {
        Some(Program {
            tracking: serde_json::from_str(&self.tracking).ok()?,
            rewards: serde_json::from_str(&self.rewards).ok()?,
            emails: serde_json::from_str(&self.emails).ok()?,
            portal: serde_json::from_str(&self.portal).ok()?,
            edge_origin: self.edge_origin,
            id: self.id,
            public_id: self.public_id,
            name: self.name,
            website_url: self.website_url,
            currency: self.currency,
            created_at: self.created_at,
        })
    }
}
