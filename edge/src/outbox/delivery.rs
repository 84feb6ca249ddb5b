//! Sending deliveries: each claimed row becomes a typed `Target`, its sender
//! (a signed webhook POST, or the MailerLite sync) runs with a timeout, and
//! every attempt is logged with the backoff for the next one.
//!
//! A delivery is claimed by moving its `next_attempt_at` forward (a lease), so
//! the request that caused the event and the cron trigger never send it twice
//! at once, and a Worker that dies mid-send leaves it to be retried when the lease ends.

use super::store::{self, Attempt, CreditRow, DueRow, EmailRow, PromoRow, Which, BATCH};
use crate::error::ApiResult;
use super::senders::email;
use super::senders::stripe_credit;
use super::senders::stripe_promotion_code;
use super::senders::mailerlite::{self, MailerLiteSettings};
use super::senders::webhook;
use crate::outbound::Outcome;
use crate::ids;
use edgeref_shared::webhook::{is_success, retry_delay_ms, DeliveryStatus, MAX_ATTEMPTS};
use futures_util::future::join_all;
use worker::{D1Database, Env};

/// Where a delivery goes.
#[derive(Debug, PartialEq)]
pub enum Target {
    Webhook { id: String, url: String, secret: String },
    MailerLite { settings: MailerLiteSettings, sealed_token: String },
    /// A message (`email:{message}`), composed when it is sent.
    Email(Box<EmailRow>),
    /// A referrer's approved reward credited to their Stripe customer balance (`stripe_credit`).
    StripeCredit(Box<CreditRow>),
    /// A referred friend's own Stripe promotion code (`stripe_promotion_code`).
    PromotionCode(Box<PromoRow>),
}

/// A claimed delivery, ready to send.
#[derive(Debug)]
pub struct Delivery {
    pub id: String,
    pub program_id: String,
    pub event_id: String,
    pub attempts: i64,
    pub payload: String,
    /// `Err`: the target is gone, and this is the attempt's outcome.
    pub target: Result<Target, Outcome>,
}

impl From<EmailRow> for Delivery {
    fn from(r: EmailRow) -> Self {
        Self { id: r.id.clone(), program_id: r.program_id.clone(), event_id: r.event_id.clone(), attempts: r.attempts, payload: String::new(), target: Ok(Target::Email(Box::new(r))) }
    }
}

impl From<CreditRow> for Delivery {
    fn from(r: CreditRow) -> Self {
        Self { id: r.id.clone(), program_id: r.program_id.clone(), event_id: r.event_id.clone(), attempts: r.attempts, payload: String::new(), target: Ok(Target::StripeCredit(Box::new(r))) }
    }
}

impl From<PromoRow> for Delivery {
    fn from(r: PromoRow) -> Self {
        Self { id: r.id.clone(), program_id: r.program_id.clone(), event_id: r.event_id.clone(), attempts: r.attempts, payload: String::new(), target: Ok(Target::PromotionCode(Box::new(r))) }
    }
}

impl From<DueRow> for Delivery {
    fn from(r: DueRow) -> Self {
        let target = match (r.webhook_id, r.integration.as_deref()) {
            (Some(id), _) => match (r.url, r.secret) {
                (Some(url), Some(secret)) => Ok(Target::Webhook { id, url, secret }),
                _ => Err(Outcome::failed("the webhook no longer exists")),
            },
            (None, Some("mailerlite")) => match (r.integration_settings.as_deref().and_then(MailerLiteSettings::parse), r.integration_secret) {
                (Some(settings), Some(sealed_token)) => Ok(Target::MailerLite { settings, sealed_token }),
                _ => Err(Outcome::final_failure("MailerLite was switched off")),
            },
            (None, other) => Err(Outcome::final_failure(format!("no sender for integration {other:?}"))),
        };
        Self { id: r.id, program_id: r.program_id, event_id: r.event_id, attempts: r.attempts, payload: r.payload, target }
    }
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
    store::make_due(db, delivery_id, ids::now_ms()).await?;
    send_all(env, db, claim(db, Which::One(delivery_id)).await).await;
    Ok(())
}

/// Takes the lease on due deliveries and loads what sending them needs.
async fn claim(db: &D1Database, which: Which<'_>) -> Vec<Delivery> {
    let loaded = match store::claim(db, which, ids::now_ms()).await {
        Ok(ids) if ids.is_empty() => return Vec::new(),
        Ok(ids) => load(db, ids).await,
        Err(e) => Err(e),
    };
    match loaded {
        Ok(deliveries) => deliveries,
        Err(e) => {
            // The leases run out and the next cron run claims them again.
            worker::console_error!("claiming deliveries failed: {}", e.message);
            Vec::new()
        }
    }
}

/// Webhook and integration deliveries, e-mails and Stripe credits (which load more), each in one query.
async fn load(db: &D1Database, ids: Vec<String>) -> ApiResult<Vec<Delivery>> {
    let (credits, ids): (Vec<String>, Vec<String>) = ids.into_iter().partition(|id| id.ends_with(".stripe_credit"));
    let (promos, ids): (Vec<String>, Vec<String>) = ids.into_iter().partition(|id| id.ends_with(".stripe_promotion_code"));
    let (emails, others): (Vec<String>, Vec<String>) = ids.into_iter().partition(|id| id.contains(".email:"));
    let mut deliveries = Vec::new();
    if !credits.is_empty() {
        deliveries.extend(store::load_credits(db, &credits).await?.into_iter().map(Delivery::from));
    }
    if !promos.is_empty() {
        deliveries.extend(store::load_promotion_codes(db, &promos).await?.into_iter().map(Delivery::from));
    }
    if !others.is_empty() {
        deliveries.extend(store::load(db, &others).await?.into_iter().map(Delivery::from));
    }
    if !emails.is_empty() {
        deliveries.extend(store::load_emails(db, &emails).await?.into_iter().map(Delivery::from));
    }
    Ok(deliveries)
}

/// All at once, so one slow endpoint delays none of the others.
async fn send_all(env: &Env, db: &D1Database, due: Vec<Delivery>) {
    join_all(due.iter().map(|d| send_one(env, db, d))).await;
}

async fn send_one(env: &Env, db: &D1Database, d: &Delivery) {
    let started = ids::now_ms();
    let outcome = match &d.target {
        Ok(Target::Webhook { url, secret, .. }) => webhook::post(env, url, secret, &d.event_id, &d.payload).await,
        Ok(Target::MailerLite { settings, sealed_token }) => mailerlite::sync(env, settings, sealed_token, &d.payload).await,
        Ok(Target::Email(row)) => email::deliver(env, db, row).await,
        Ok(Target::StripeCredit(row)) => stripe_credit::deliver(env, db, row).await,
        Ok(Target::PromotionCode(row)) => stripe_promotion_code::deliver(env, db, row).await,
        Err(gone) => gone.clone(),
    };
    let jitter = u32::from_le_bytes(ids::random::<4>()) % 1001;
    let next = next_step(&outcome, d.attempts + 1, jitter, started);
    let attempt = Attempt {
        delivery_id: &d.id,
        program_id: &d.program_id,
        started_at: started,
        duration_ms: ids::now_ms() - started,
        code: outcome.code.map(i64::from),
        body: outcome.body.as_deref(),
        error: outcome.error.as_deref(),
        retry_at: next.retry_at,
        status: next.status,
        attempts: d.attempts + 1,
    };
    let mut stmts = store::record_attempt(db, &attempt, ids::now_ms());
    if let (Ok(Target::Webhook { id, .. }), DeliveryStatus::Failed) = (&d.target, next.status) {
        // A day of failures: switch the endpoint off and say why, as Svix and Stripe do.
        let last = outcome.code.map_or_else(|| outcome.error.clone().unwrap_or_default(), |c| format!("HTTP {c}"));
        let reason = format!("disabled after {MAX_ATTEMPTS} failed attempts to deliver {} (last: {last})", d.event_id);
        stmts.push(store::disable_webhook(db, id, &reason, ids::now_ms()));
    }
    if let (Ok(Target::StripeCredit(row)), DeliveryStatus::Failed) = (&d.target, next.status) {
        // Stripe refused the credit for good: the reward waits in the review queue, saying why.
        if let Some(reward_id) = &row.reward_id {
            stmts.push(store::flag_fulfilment_failed(db, &row.program_id, reward_id, &stripe_credit::failure_reason(&outcome)));
        }
    }
    if let Err(e) = store::batch(db, stmts).await {
        // The lease runs out and the cron trigger tries again: at least once, never lost.
        worker::console_error!("recording delivery {} failed: {:?}", d.id, e);
    }
}

/// What an attempt leads to: done, retry at a time, or given up.
#[derive(Debug, PartialEq)]
struct NextStep {
    status: DeliveryStatus,
    retry_at: Option<i64>,
}

fn next_step(outcome: &Outcome, attempts: i64, jitter: u32, started: i64) -> NextStep {
    if outcome.code.is_some_and(is_success) {
        return NextStep { status: DeliveryStatus::Succeeded, retry_at: None };
    }
    let retry_at = outcome.retryable.then(|| retry_delay_ms(attempts as u32, jitter)).flatten().map(|ms| started + ms as i64);
    NextStep { status: if retry_at.is_some() { DeliveryStatus::Pending } else { DeliveryStatus::Failed }, retry_at }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row() -> DueRow {
        DueRow {
            id: "msg_1.whk_1".into(),
            program_id: "prg_1".into(),
            event_id: "msg_1".into(),
            attempts: 0,
            payload: "{}".into(),
            webhook_id: Some("whk_1".into()),
            url: Some("https://hooks.example/in".into()),
            secret: Some("whsec_abc".into()),
            integration: None,
            integration_settings: None,
            integration_secret: None,
        }
    }

    #[test]
    fn a_webhook_row_becomes_a_webhook_target() {
        let d = Delivery::from(row());
        assert_eq!(d.target, Ok(Target::Webhook { id: "whk_1".into(), url: "https://hooks.example/in".into(), secret: "whsec_abc".into() }));
    }

    #[test]
    fn a_deleted_webhook_fails_the_attempt_and_may_retry() {
        let d = Delivery::from(DueRow { url: None, secret: None, ..row() });
        assert!(matches!(d.target, Err(Outcome { retryable: true, .. })));
    }

    #[test]
    fn a_mailerlite_row_becomes_a_mailerlite_target_and_a_switched_off_one_is_final() {
        let on = DueRow {
            webhook_id: None,
            integration: Some("mailerlite".into()),
            integration_settings: Some(r#"{"group_id":"g1","api_base":"http://127.0.0.1:9"}"#.into()),
            integration_secret: Some("sealed".into()),
            ..row()
        };
        let expected = MailerLiteSettings { group_id: "g1".into(), api_base: "http://127.0.0.1:9".into() };
        assert_eq!(Delivery::from(on).target, Ok(Target::MailerLite { settings: expected, sealed_token: "sealed".into() }));
        let off = DueRow { webhook_id: None, integration: Some("mailerlite".into()), ..row() };
        assert!(matches!(Delivery::from(off).target, Err(Outcome { retryable: false, .. })));
    }

    #[test]
    fn success_ends_failures_back_off_and_the_last_attempt_gives_up() {
        let ok = Outcome { code: Some(204), body: None, error: None, retryable: true };
        assert_eq!(next_step(&ok, 1, 0, 1000), NextStep { status: DeliveryStatus::Succeeded, retry_at: None });
        let failed = Outcome::failed("timed out");
        let first = next_step(&failed, 1, 500, 1000);
        assert_eq!(first.status, DeliveryStatus::Pending);
        assert!(first.retry_at.unwrap() > 1000);
        assert_eq!(next_step(&failed, MAX_ATTEMPTS as i64, 500, 1000), NextStep { status: DeliveryStatus::Failed, retry_at: None });
        assert_eq!(next_step(&Outcome::final_failure("bad data"), 1, 0, 1000).status, DeliveryStatus::Failed);
    }
}
