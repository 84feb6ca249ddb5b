//! A webhook delivery on the wire: a Standard Webhooks signed POST.

use crate::ids;
use crate::outbound::{self, Outcome};
use edgeref_shared::signature::sign_webhook;
use worker::{Env, Method};

/// One signed POST with a timeout; never follows redirects.
pub async fn post(env: &Env, url: &str, secret: &str, event_id: &str, payload: &str) -> Outcome {
    let timestamp = ids::now_ms() / 1000;
    let Ok(signature) = sign_webhook(secret, event_id, timestamp, payload.as_bytes()) else {
        return Outcome::failed("the endpoint secret is not a whsec_ secret");
    };
    let timestamp = timestamp.to_string();
    let headers = outbound::headers([
        ("content-type", "application/json"),
        ("user-agent", "Edgeref-Webhooks/1"),
        ("webhook-id", event_id),
        ("webhook-timestamp", &timestamp),
        ("webhook-signature", &signature),
    ]);
    outbound::send(Method::Post, url, headers, Some(payload), outbound::timeout(env)).await
}
