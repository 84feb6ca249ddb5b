//! Sending deliveries: Standard Webhooks signatures, a timeout per attempt,
//! capped response bodies, no redirects, every attempt logged, backoff on failure.
//!
//! A delivery is claimed by moving its `next_attempt_at` forward (a lease), so
//! the request that caused the event and the cron trigger never send it twice
//! at once, and a Worker that dies mid-send leaves it to be retried when the lease ends.

use crate::error::ApiResult;
use crate::{db, ids, sql};
use edgeref_shared::signature::sign_webhook;
use edgeref_shared::webhook::{is_success, retry_delay_ms, MAX_ATTEMPTS};
use futures_util::future::{join_all, select, Either};
use futures_util::StreamExt;
use serde::Deserialize;
use std::time::Duration;
use worker::{AbortController, D1Database, Delay, Env, Fetch, Headers, Method, Request, RequestInit, RequestRedirect};

/// Per-attempt timeout; `WEBHOOK_TIMEOUT_MS` overrides it (tests use a short one).
const DEFAULT_TIMEOUT_MS: u64 = 10_000;

pub fn timeout(env: &Env) -> Duration {
    let ms = env.var("WEBHOOK_TIMEOUT_MS").ok().and_then(|v| v.to_string().parse().ok()).unwrap_or(DEFAULT_TIMEOUT_MS);
    Duration::from_millis(ms)
}
/// Longer than an attempt can take, so a live sender always finishes first.
const LEASE_MS: i64 = 60_000;
const BODY_CAP: usize = 1024;
/// Deliveries one cron run or one request sends at most.
const BATCH: i64 = 50;

#[derive(Deserialize)]
pub struct Due {
    pub id: String,
    pub program_id: String,
    pub event_id: String,
    /// A webhook id, or `mailerlite` for the MailerLite integration.
    pub webhook_id: String,
    pub attempts: i64,
    pub payload: String,
    pub url: Option<String>,
    pub secret: Option<String>,
    pub integration_settings: Option<String>,
    pub integration_secret: Option<String>,
}

const DUE_COLUMNS: &str = "d.id, d.program_id, d.event_id, d.webhook_id, d.attempts, e.payload, w.url, w.secret,
                           i.settings AS integration_settings, i.secret AS integration_secret";

/// Which pending deliveries to claim.
enum Which<'a> {
    OfEvent(&'a str),
    One(&'a str),
    AllDue,
}

/// Sends the pending deliveries of these events now (called after the change commits).
pub async fn send_events(env: &Env, db: &D1Database, event_ids: &[String]) {
    for event_id in event_ids {
        send_all(env, db, claim(db, Which::OfEvent(event_id)).await).await;
    }
}

/// Sends every delivery whose time has come (the cron trigger).
pub async fn send_due(env: &Env, db: &D1Database) {
    loop {
        let due = claim(db, Which::AllDue).await;
        let done = (due.len() as i64) < BATCH;
        send_all(env, db, due).await;
        if done {
            return;
        }
    }
}

/// Sends one delivery again now, whatever its state (manual resend).
pub async fn resend(env: &Env, db: &D1Database, delivery_id: &str) -> ApiResult<()> {
    let now = ids::now_ms();
    db::run(sql!(db, "UPDATE deliveries SET status = 'pending', next_attempt_at = ?2, updated_at = ?2 WHERE id = ?1", delivery_id, now)).await?;
    send_all(env, db, claim(db, Which::One(delivery_id)).await).await;
    Ok(())
}

/// Takes the lease on due deliveries and loads what sending them needs.
async fn claim(db: &D1Database, which: Which<'_>) -> Vec<Due> {
    let now = ids::now_ms();
    let (filter, arg) = match which {
        Which::OfEvent(id) => ("AND event_id = ?2", id),
        Which::One(id) => ("AND id = ?2", id),
        Which::AllDue => ("AND ?2 = ''", ""),
    };
    #[derive(Deserialize)]
    struct Claimed {
        id: String,
    }
    let claimed = db::all::<Claimed>(sql!(
        db,
        &format!(
            "UPDATE deliveries SET next_attempt_at = ?1 + {LEASE_MS}, updated_at = ?1 WHERE id IN (
               SELECT id FROM deliveries WHERE status = 'pending' AND next_attempt_at <= ?1 {filter} ORDER BY next_attempt_at LIMIT {BATCH})
             RETURNING id"
        ),
        now,
        arg
    ))
    .await;
    let ids: Vec<String> = match claimed {
        Ok(rows) => rows.into_iter().map(|c| c.id).collect(),
        Err(e) => {
            worker::console_error!("claiming deliveries failed: {}", e.message);
            return Vec::new();
        }
    };
    if ids.is_empty() {
        return Vec::new();
    }
    let ids_json = serde_json::to_string(&ids).expect("strings serialize");
    db::all::<Due>(sql!(
        db,
        &format!(
            "SELECT {DUE_COLUMNS} FROM deliveries d JOIN events e ON e.id = d.event_id
             LEFT JOIN webhooks w ON w.id = d.webhook_id
             LEFT JOIN integrations i ON d.webhook_id = 'mailerlite' AND i.program_id = d.program_id AND i.name = 'mailerlite'
             WHERE d.id IN (SELECT value FROM json_each(?1))"
        ),
        &ids_json
    ))
    .await
    .unwrap_or_else(|e| {
        worker::console_error!("loading deliveries failed: {}", e.message);
        Vec::new()
    })
}

/// All at once, so one slow endpoint delays none of the others.
async fn send_all(env: &Env, db: &D1Database, due: Vec<Due>) {
    join_all(due.iter().map(|d| send_one(env, db, d))).await;
}

pub struct Outcome {
    pub code: Option<u16>,
    pub body: Option<String>,
    pub error: Option<String>,
    /// False when retrying cannot help (MailerLite rejected the data itself).
    pub retryable: bool,
}

impl Outcome {
    pub fn failed(error: String) -> Self {
        Self { code: None, body: None, error: Some(error), retryable: true }
    }
}

async fn send_one(env: &Env, db: &D1Database, d: &Due) {
    let started = ids::now_ms();
    let is_webhook = d.webhook_id != "mailerlite";
    let outcome = if is_webhook { post(d, timeout(env)).await } else { crate::integrations::mailerlite::sync(env, d).await };
    let duration = ids::now_ms() - started;
    let attempts = d.attempts + 1;
    let succeeded = outcome.code.is_some_and(is_success);
    let jitter = u32::from_le_bytes(ids::random::<4>()) % 1001;
    let retry_at = (!succeeded && outcome.retryable).then(|| retry_delay_ms(attempts as u32, jitter)).flatten().map(|ms| started + ms as i64);
    let status = match (succeeded, retry_at) {
        (true, _) => "succeeded",
        (false, Some(_)) => "pending",
        (false, None) => "failed",
    };
    let mut stmts = vec![
        sql!(
            db,
            "INSERT INTO delivery_attempts (delivery_id, program_id, attempted_at, response_code, response_body, duration_ms, error, next_retry_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
            &d.id,
            &d.program_id,
            started,
            outcome.code.map(i64::from),
            outcome.body.as_ref(),
            duration,
            outcome.error.as_ref(),
            retry_at
        ),
        sql!(
            db,
            "UPDATE deliveries SET status = ?2, attempts = ?3, next_attempt_at = ?4, last_code = ?5, updated_at = ?6 WHERE id = ?1",
            &d.id,
            status,
            attempts,
            retry_at,
            outcome.code.map(i64::from),
            ids::now_ms()
        ),
    ];
    if status == "failed" && is_webhook {
        // A day of failures: switch the endpoint off and say why, as Svix and Stripe do.
        let reason = format!(
            "disabled after {MAX_ATTEMPTS} failed attempts to deliver {} (last: {})",
            d.event_id,
            outcome.code.map_or_else(|| outcome.error.clone().unwrap_or_default(), |c| format!("HTTP {c}"))
        );
        stmts.push(sql!(db, "UPDATE webhooks SET is_active = 0, disabled_reason = ?2, updated_at = ?3 WHERE id = ?1", &d.webhook_id, &reason, ids::now_ms()));
    }
    if let Err(e) = db::batch(db, stmts).await {
        // The lease runs out and the cron trigger tries again: at least once, never lost.
        worker::console_error!("recording delivery {} failed: {}", d.id, e.message);
    }
}

/// One signed POST with a timeout; never follows redirects.
async fn post(d: &Due, limit: Duration) -> Outcome {
    let fail = Outcome::failed;
    let (Some(url), Some(secret)) = (&d.url, &d.secret) else { return fail("the webhook no longer exists".into()) };
    let timestamp = ids::now_ms() / 1000;
    let signature = match sign_webhook(secret, &d.event_id, timestamp, d.payload.as_bytes()) {
        Ok(s) => s,
        Err(_) => return fail("the endpoint secret is not a whsec_ secret".into()),
    };
    let headers = Headers::new();
    for (name, value) in [
        ("content-type", "application/json"),
        ("user-agent", "Edgeref-Webhooks/1"),
        ("webhook-id", d.event_id.as_str()),
        ("webhook-timestamp", &timestamp.to_string()),
        ("webhook-signature", &signature),
    ] {
        let _ = headers.set(name, value);
    }
    send(Method::Post, url, headers, Some(&d.payload), limit).await
}

/// One HTTP request with a timeout, no redirects followed, and the response
/// body read up to a cap.
pub async fn send(method: Method, url: &str, headers: Headers, body: Option<&str>, limit: Duration) -> Outcome {
    let fail = Outcome::failed;
    let mut init = RequestInit::new();
    init.with_method(method).with_headers(headers).with_redirect(RequestRedirect::Manual).with_body(body.map(Into::into));
    let request = match Request::new_with_init(url, &init) {
        Ok(r) => r,
        Err(e) => return fail(format!("bad endpoint URL: {e}")),
    };
    let controller = AbortController::default();
    let signal = controller.signal();
    let fetch = Fetch::Request(request);
    let sent = Box::pin(fetch.send_with_signal(&signal));
    let mut response = match select(sent, Box::pin(Delay::from(limit))).await {
        Either::Left((Ok(r), _)) => r,
        Either::Left((Err(e), _)) => return fail(format!("request failed: {e}")),
        Either::Right(_) => {
            controller.abort();
            return fail(format!("timed out after {} ms", limit.as_millis()));
        }
    };
    let code = response.status_code();
    let body = read_capped(&mut response).await;
    Outcome { code: Some(code), body: Some(body), error: None, retryable: true }
}

/// The first `BODY_CAP` bytes of a response body; the rest is never read.
async fn read_capped(response: &mut worker::Response) -> String {
    let mut buf = Vec::new();
    if let Ok(mut stream) = response.stream() {
        while let Some(Ok(chunk)) = stream.next().await {
            buf.extend_from_slice(&chunk);
            if buf.len() >= BODY_CAP {
                break;
            }
        }
    }
    buf.truncate(BODY_CAP);
    String::from_utf8_lossy(&buf).into_owned()
}
