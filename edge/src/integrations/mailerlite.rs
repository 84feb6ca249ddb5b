//! MailerLite: customers become subscribers with their referral link in a
//! custom field, so the merchant can mail everyone their own link. Sent through
//! the webhook outbox, so it is retried the same way (on 429 and 5xx).

use crate::webhooks::delivery::{send, timeout, Due, Outcome};
use serde_json::{json, Value};
use worker::{Env, Headers, Method};

pub const DEFAULT_API_BASE: &str = "https://connect.mailerlite.com";

/// Carries out one customer event against MailerLite's API.
pub async fn sync(env: &Env, d: &Due) -> Outcome {
    let (Some(settings), Some(sealed)) = (&d.integration_settings, &d.integration_secret) else {
        return Outcome { retryable: false, ..Outcome::failed("MailerLite was switched off".into()) };
    };
    let token = match super::open_secret(env, sealed) {
        Ok(t) => t,
        Err(e) => return Outcome { retryable: false, ..Outcome::failed(e.message) },
    };
    let settings: Value = serde_json::from_str(settings).unwrap_or_default();
    let (base, group) = (settings["api_base"].as_str().unwrap_or(DEFAULT_API_BASE), settings["group_id"].as_str().unwrap_or(""));
    let event: Value = serde_json::from_str(&d.payload).unwrap_or_default();
    let customer = &event["data"];
    let email = customer["email"].as_str().unwrap_or("");
    let outcome = match event["type"].as_str() {
        // POST /api/subscribers creates or updates (upsert) by email.
        Some("customer.created") => {
            let body = json!({
                "email": email,
                "fields": {
                    "name": customer["name"],
                    "last_name": customer["surname"],
                    "referral_link": customer["referral_link"],
                    "referral_code": customer["referral_code"],
                },
                "groups": [group],
            });
            send(Method::Post, &format!("{base}/api/subscribers"), headers(&token), Some(&body.to_string()), timeout(env)).await
        }
        // The subscriber stays (they may have other reasons to be on the list); they leave the group.
        Some("customer.deleted") => {
            // Group membership is changed by subscriber id, which MailerLite looks up by email.
            let email = percent_encoding::utf8_percent_encode(email, percent_encoding::NON_ALPHANUMERIC);
            let found = send(Method::Get, &format!("{base}/api/subscribers/{email}"), headers(&token), None, timeout(env)).await;
            let id = found.body.as_deref().and_then(|b| serde_json::from_str::<Value>(b).ok()).and_then(|v| v["data"]["id"].as_str().map(str::to_owned));
            match (found.code, id) {
                // Not a subscriber (any more): nothing to undo.
                (Some(404), _) => Outcome { code: Some(204), ..found },
                (Some(200), Some(id)) => {
                    let out = send(Method::Delete, &format!("{base}/api/subscribers/{id}/groups/{group}"), headers(&token), None, timeout(env)).await;
                    if out.code == Some(404) { Outcome { code: Some(204), ..out } } else { out }
                }
                _ => found,
            }
        }
        _ => return Outcome { code: Some(204), body: None, error: None, retryable: false },
    };
    // 4xx other than 429 means MailerLite refuses this data: retrying cannot help.
    let retryable = outcome.code.is_none_or(|c| c == 429 || c >= 500);
    Outcome { retryable, ..outcome }
}

fn headers(token: &str) -> Headers {
    let h = Headers::new();
    for (k, v) in [("authorization", format!("Bearer {token}")), ("content-type", "application/json".into()), ("accept", "application/json".into())] {
        let _ = h.set(k, &v);
    }
    h
}
