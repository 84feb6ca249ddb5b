//! MailerLite: customers become subscribers with their referral link in a
//! custom field, so the merchant can mail everyone their own link. Runs as an
//! outbox target, so it is retried like webhooks (on 429 and 5xx).


use crate::outbound::{self, Outcome};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use worker::{Env, Headers, Method};

pub const DEFAULT_API_BASE: &str = "https://connect.mailerlite.com";

/// The integration's public settings (its API token is stored sealed, apart).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MailerLiteSettings {
    pub group_id: String,
    pub api_base: String,
}

impl MailerLiteSettings {
    pub fn parse(json: &str) -> Option<Self> {
        serde_json::from_str(json).ok()
    }
}

/// Carries out one customer event (the outbox payload) against MailerLite's API.
pub async fn sync(env: &Env, settings: &MailerLiteSettings, sealed_token: &str, payload: &str) -> Outcome {
    let token = match crate::sealed::open(env, sealed_token) {
        Ok(t) => t,
        Err(e) => return Outcome::final_failure(e.message),
    };
    let event: Value = serde_json::from_str(payload).unwrap_or_default();
    let api = Api { env, base: &settings.api_base, token: &token };
    let outcome = match event["type"].as_str() {
        Some("customer.created") => api.subscribe(&event["data"], &settings.group_id).await,
        // An erased customer's event carries no address: `forget` has already run.
        Some("customer.deleted") if event["data"]["email"].as_str().is_none_or(str::is_empty) => return Outcome::nothing_to_do(),
        Some("customer.deleted") => api.leave_group(event["data"]["email"].as_str().unwrap_or(""), &settings.group_id).await,
        _ => return Outcome::nothing_to_do(),
    };
    Outcome { retryable: is_retryable(outcome.code), ..outcome }
}

/// An erasure (`POST /v1/customers/{key}/erase`): MailerLite forgets the subscriber
/// with `email` altogether (its GDPR endpoint), called before the answer. A
/// subscriber MailerLite does not have is forgotten already (`204`).
pub async fn forget(env: &Env, settings: &MailerLiteSettings, sealed_token: &str, email: &str) -> Outcome {
    let token = match crate::sealed::open(env, sealed_token) {
        Ok(t) => t,
        Err(e) => return Outcome::final_failure(e.message),
    };
    let api = Api { env, base: &settings.api_base, token: &token };
    let (found, id) = api.find(email).await;
    match (found.code, id) {
        (Some(404), _) => Outcome { code: Some(204), ..found },
        (Some(200), Some(id)) => api.call(Method::Post, &format!("/api/subscribers/{id}/forget"), None).await,
        _ => found,
    }
}

/// 4xx other than 429 means MailerLite refuses this data: retrying cannot help.
fn is_retryable(code: Option<u16>) -> bool {
    code.is_none_or(|c| c == 429 || c >= 500)
}

/// The subscriber MailerLite sends for a customer: upserted by email, the referral link in a field.
fn subscriber(customer: &Value, group_id: &str) -> Value {
    json!({
        "email": customer["email"],
        "fields": {
            "name": customer["name"],
            "last_name": customer["surname"],
            "referral_link": customer["referral_link"],
            "referral_code": customer["referral_code"],
        },
        "groups": [group_id],
    })
}

struct Api<'a> {
    env: &'a Env,
    base: &'a str,
    token: &'a str,
}

impl Api<'_> {
    async fn call(&self, method: Method, path: &str, body: Option<&str>) -> Outcome {
        outbound::send(method, &format!("{}{path}", self.base), self.headers(), body, outbound::timeout(self.env)).await
    }

    fn headers(&self) -> Headers {
        let auth = format!("Bearer {}", self.token);
        outbound::headers([("authorization", auth.as_str()), ("content-type", "application/json"), ("accept", "application/json")])
    }

    /// `POST /api/subscribers` creates or updates (upsert) by email.
    async fn subscribe(&self, customer: &Value, group_id: &str) -> Outcome {
        self.call(Method::Post, "/api/subscribers", Some(&subscriber(customer, group_id).to_string())).await
    }

    /// The subscriber with `email`, and their id when MailerLite has them.
    async fn find(&self, email: &str) -> (Outcome, Option<String>) {
        let email = percent_encoding::utf8_percent_encode(email, percent_encoding::NON_ALPHANUMERIC);
        let found = self.call(Method::Get, &format!("/api/subscribers/{email}"), None).await;
        let id = found.body.as_deref().and_then(|b| serde_json::from_str::<Value>(b).ok()).and_then(|v| v["data"]["id"].as_str().map(str::to_owned));
        (found, id)
    }

    /// The subscriber stays (they may have other reasons to be on the list); they leave the group.
    /// Group membership is changed by subscriber id, which MailerLite looks up by email.
    async fn leave_group(&self, email: &str, group_id: &str) -> Outcome {
        let (found, id) = self.find(email).await;
        match (found.code, id) {
            // Not a subscriber (any more): nothing to undo.
            (Some(404), _) => Outcome { code: Some(204), ..found },
            (Some(200), Some(id)) => {
                let out = self.call(Method::Delete, &format!("/api/subscribers/{id}/groups/{group_id}"), None).await;
                if out.code == Some(404) { Outcome { code: Some(204), ..out } } else { out }
            }
            _ => found,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_rate_limits_server_errors_and_network_failures_are_retried() {
        assert!(is_retryable(None));
        assert!(is_retryable(Some(429)));
        assert!(is_retryable(Some(503)));
        assert!(!is_retryable(Some(422)));
        assert!(!is_retryable(Some(401)));
    }

    #[test]
    fn a_subscriber_carries_the_referral_link_and_the_group() {
        let customer = json!({"email": "a@x.example", "name": "Ann", "surname": null, "referral_link": "https://s.example/?ref=abc", "referral_code": "abc"});
        let s = subscriber(&customer, "g1");
        assert_eq!(s["email"], "a@x.example");
        assert_eq!(s["fields"]["referral_link"], "https://s.example/?ref=abc");
        assert_eq!(s["groups"], json!(["g1"]));
    }
}
