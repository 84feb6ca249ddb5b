//! The outbox in D1: events, their deliveries and every delivery attempt.

use crate::db::{self, DbResult, Stmt};
use crate::error::ApiResult;
use crate::sql;
use edgeref_shared::email::{customer_key_path, Message};
use edgeref_shared::webhook::DeliveryStatus;
use serde::Deserialize;
use worker::D1Database;

/// Longer than an attempt can take, so a live sender always finishes first.
const LEASE_MS: i64 = 60_000;
/// Deliveries one cron run or one request claims at most.
pub const BATCH: i64 = 50;

pub fn insert_event(db: &D1Database, id: &str, program_id: &str, kind: &str, payload: &str, now: i64) -> Stmt {
    sql!(db, "INSERT INTO events (id, program_id, type, payload, created_at) VALUES (?1, ?2, ?3, ?4, ?5)", id, program_id, kind, payload, now)
}

/// One pending delivery per active webhook of the program subscribed to `kind`.
pub fn fan_out_to_webhooks(db: &D1Database, event_id: &str, program_id: &str, kind: &str, now: i64) -> Stmt {
    sql!(
        db,
        "INSERT INTO deliveries (id, program_id, event_id, webhook_id, status, attempts, next_attempt_at, created_at, updated_at)
         SELECT ?1 || '.' || w.id, ?2, ?1, w.id, 'pending', 0, ?4, ?4, ?4 FROM webhooks w
         WHERE w.program_id = ?2 AND w.is_active = 1 AND EXISTS (SELECT 1 FROM json_each(w.events) WHERE value = ?3)",
        event_id,
        program_id,
        kind,
        now
    )
}

/// One pending delivery to the integration `name`, if the program has it switched on.
pub fn fan_out_to_integration(db: &D1Database, event_id: &str, program_id: &str, name: &str, now: i64) -> Stmt {
    sql!(
        db,
        "INSERT INTO deliveries (id, program_id, event_id, integration, status, attempts, next_attempt_at, created_at, updated_at)
         SELECT ?1 || '.' || ?3, ?2, ?1, ?3, 'pending', 0, ?4, ?4, ?4 FROM integrations WHERE program_id = ?2 AND name = ?3",
        event_id,
        program_id,
        name,
        now
    )
}

/// Many events of one kind at once (an import's): `events_json` is a JSON array of `{id, payload}`.
pub fn insert_events(db: &D1Database, program_id: &str, kind: &str, events_json: &str, now: i64) -> Stmt {
    sql!(
        db,
        "INSERT INTO events (id, program_id, type, payload, created_at)
         SELECT json_extract(j.value, '$.id'), ?1, ?2, json_extract(j.value, '$.payload'), ?4 FROM json_each(?3) j",
        program_id,
        kind,
        events_json,
        now
    )
}

/// `fan_out_to_webhooks` for every event of `events_json` (as `insert_events` takes it).
pub fn fan_out_many_to_webhooks(db: &D1Database, events_json: &str, program_id: &str, kind: &str, now: i64) -> Stmt {
    sql!(
        db,
        "INSERT INTO deliveries (id, program_id, event_id, webhook_id, status, attempts, next_attempt_at, created_at, updated_at)
         SELECT json_extract(j.value, '$.id') || '.' || w.id, ?2, json_extract(j.value, '$.id'), w.id, 'pending', 0, ?4, ?4, ?4
         FROM json_each(?1) j JOIN webhooks w
         WHERE w.program_id = ?2 AND w.is_active = 1 AND EXISTS (SELECT 1 FROM json_each(w.events) WHERE value = ?3)",
        events_json,
        program_id,
        kind,
        now
    )
}

/// `fan_out_to_integration` for every event of `events_json`.
pub fn fan_out_many_to_integration(db: &D1Database, events_json: &str, program_id: &str, name: &str, now: i64) -> Stmt {
    sql!(
        db,
        "INSERT INTO deliveries (id, program_id, event_id, integration, status, attempts, next_attempt_at, created_at, updated_at)
         SELECT json_extract(j.value, '$.id') || '.' || ?3, ?2, json_extract(j.value, '$.id'), ?3, 'pending', 0, ?4, ?4, ?4
         FROM json_each(?1) j JOIN integrations i ON i.program_id = ?2 AND i.name = ?3",
        events_json,
        program_id,
        name,
        now
    )
}

/// One pending delivery to this webhook, whatever it subscribes to.
pub fn deliver_to_webhook(db: &D1Database, event_id: &str, program_id: &str, webhook_id: &str, now: i64) -> Stmt {
    sql!(
        db,
        "INSERT INTO deliveries (id, program_id, event_id, webhook_id, status, attempts, next_attempt_at, created_at, updated_at)
         VALUES (?1 || '.' || ?3, ?2, ?1, ?3, 'pending', 0, ?4, ?4, ?4)",
        event_id,
        program_id,
        webhook_id,
        now
    )
}

/// Which pending deliveries to claim.
pub enum Which<'a> {
    OfEvent(&'a str),
    One(&'a str),
    AllDue,
}

/// A claimed delivery with what sending it needs, as stored.
#[derive(Debug, Deserialize)]
pub struct DueRow {
    pub id: String,
    pub program_id: String,
    pub event_id: String,
    pub attempts: i64,
    pub payload: String,
    pub webhook_id: Option<String>,
    pub url: Option<String>,
    pub secret: Option<String>,
    pub integration: Option<String>,
    pub integration_settings: Option<String>,
    pub integration_secret: Option<String>,
}

/// Takes a lease on due deliveries (moves `next_attempt_at` past the lease) and returns their ids.
pub async fn claim(db: &D1Database, which: Which<'_>, now: i64) -> ApiResult<Vec<String>> {
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
    .await?;
    Ok(claimed.into_iter().map(|c| c.id).collect())
}

/// Loads claimed deliveries with their event and their target's settings.
pub async fn load(db: &D1Database, ids: &[String]) -> ApiResult<Vec<DueRow>> {
    let ids_json = serde_json::to_string(ids).expect("strings serialize");
    db::all(sql!(
        db,
        "SELECT d.id, d.program_id, d.event_id, d.attempts, e.payload, d.webhook_id, w.url, w.secret,
                d.integration, i.settings AS integration_settings, i.secret AS integration_secret
         FROM deliveries d JOIN events e ON e.id = d.event_id
         LEFT JOIN webhooks w ON w.id = d.webhook_id
         LEFT JOIN integrations i ON i.program_id = d.program_id AND i.name = d.integration
         WHERE d.id IN (SELECT value FROM json_each(?1))",
        &ids_json
    ))
    .await
}

/// Makes a delivery due now, whatever its state (manual resend).
pub async fn make_due(db: &D1Database, delivery_id: &str, now: i64) -> DbResult<()> {
    db::run(sql!(db, "UPDATE deliveries SET status = 'pending', next_attempt_at = ?2, updated_at = ?2 WHERE id = ?1", delivery_id, now)).await
}

/// One attempt as it is logged.
pub struct Attempt<'a> {
    pub delivery_id: &'a str,
    pub program_id: &'a str,
    pub started_at: i64,
    pub duration_ms: i64,
    pub code: Option<i64>,
    pub body: Option<&'a str>,
    pub error: Option<&'a str>,
    pub retry_at: Option<i64>,
    /// `Pending` means a retry at `retry_at`.
    pub status: DeliveryStatus,
    pub attempts: i64,
}

/// The attempt's log row and the delivery's new state, for one batch.
pub fn record_attempt(db: &D1Database, a: &Attempt, now: i64) -> Vec<Stmt> {
    vec![
        sql!(
            db,
            "INSERT INTO delivery_attempts (delivery_id, program_id, attempted_at, response_code, response_body, duration_ms, error, next_retry_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
            a.delivery_id,
            a.program_id,
            a.started_at,
            a.code,
            a.body,
            a.duration_ms,
            a.error,
            a.retry_at
        ),
        sql!(
            db,
            "UPDATE deliveries SET status = ?2, attempts = ?3, next_attempt_at = ?4, last_code = ?5, updated_at = ?6 WHERE id = ?1",
            a.delivery_id,
            a.status,
            a.attempts,
            a.retry_at,
            a.code,
            now
        ),
    ]
}

pub async fn batch(db: &D1Database, stmts: Vec<Stmt>) -> DbResult<()> {
    db::batch(db, stmts).await
}

/// Recent events' payloads, newest first, optionally of one type.
pub async fn recent_payloads(db: &D1Database, program_id: &str, kind: Option<&str>, limit: i64) -> ApiResult<Vec<String>> {
    #[derive(Deserialize)]
    struct Row {
        payload: String,
    }
    let rows: Vec<Row> = db::all(sql!(
        db,
        // E-mails are in the outbox too, but are nobody's events (a sign-in code's payload among them).
        "SELECT payload FROM events WHERE program_id = ?1 AND (?2 IS NULL OR type = ?2) AND type NOT LIKE 'email.%'
         ORDER BY created_at DESC, id DESC LIMIT ?3",
        program_id,
        kind,
        limit
    ))
    .await?;
    Ok(rows.into_iter().map(|r| r.payload).collect())
}

/// How many of an integration's deliveries are pending and failed.
#[derive(Debug, Default, Deserialize)]
pub struct IntegrationBacklog {
    pub pending: i64,
    pub failed: i64,
}

pub async fn integration_backlog(db: &D1Database, program_id: &str, name: &str) -> ApiResult<IntegrationBacklog> {
    let counts: Option<IntegrationBacklog> = db::first(sql!(
        db,
        "SELECT COALESCE(SUM(status = 'pending'), 0) AS pending, COALESCE(SUM(status = 'failed'), 0) AS failed
         FROM deliveries WHERE program_id = ?1 AND integration = ?2",
        program_id,
        name
    ))
    .await?;
    Ok(counts.unwrap_or_default())
}

/// Switches a webhook endpoint off, saying why (after its deliveries kept failing).
pub fn disable_webhook(db: &D1Database, id: &str, reason: &str, now: i64) -> Stmt {
    sql!(db, "UPDATE webhooks SET is_active = 0, disabled_reason = ?2, updated_at = ?3 WHERE id = ?1", id, reason, now)
}

/// One pending delivery per message of `messages` that the program sends now:
/// e-mails on, a sender set, the message not switched off (`EmailSettings::sends`, in SQL,
/// so the scheduled run's set-based approvals gate the same way).
pub fn fan_out_to_emails(db: &D1Database, event_id: &str, program_id: &str, messages: &[Message], now: i64) -> Stmt {
    let names = serde_json::to_string(&messages.iter().map(|m| m.as_str()).collect::<Vec<_>>()).expect("strings serialize");
    sql!(
        db,
        &format!(
            "INSERT INTO deliveries (id, program_id, event_id, integration, status, attempts, next_attempt_at, created_at, updated_at)
             SELECT ?1 || '.email:' || m.value, ?2, ?1, 'email:' || m.value, 'pending', 0, ?4, ?4, ?4
             FROM json_each(?3) m JOIN programs p ON p.id = ?2 WHERE {SENDS}"
        ),
        event_id,
        program_id,
        &names,
        now
    )
}

/// `EmailSettings::sends` over `p.emails` for the message named `m.value`.
pub const SENDS: &str = "json_extract(p.emails, '$.enabled') = 1 AND json_extract(p.emails, '$.from_address') IS NOT NULL
  AND COALESCE(json_extract(p.emails, '$.messages.' || m.value || '.enabled'), 1) = 1";

/// One pending e-mail delivery of `message` for this event, whatever the settings (a test, a sign-in code).
pub fn deliver_email(db: &D1Database, event_id: &str, program_id: &str, message: Message, now: i64) -> Stmt {
    sql!(
        db,
        "INSERT INTO deliveries (id, program_id, event_id, integration, status, attempts, next_attempt_at, created_at, updated_at)
         VALUES (?1 || '.email:' || ?3, ?2, ?1, 'email:' || ?3, 'pending', 0, ?4, ?4, ?4)",
        event_id,
        program_id,
        message.as_str(),
        now
    )
}

/// A claimed e-mail delivery with its program, the customer it is about and whether its address is suppressed.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct EmailRow {
    pub id: String,
    pub program_id: String,
    pub event_id: String,
    pub attempts: i64,
    pub payload: String,
    pub integration: String,
    pub program_name: Option<String>,
    pub public_id: Option<String>,
    pub website_url: Option<String>,
    pub currency: Option<String>,
    pub tracking: Option<String>,
    pub emails: Option<String>,
    pub edge_origin: Option<String>,
    pub customer_email: Option<String>,
    pub customer_name: Option<String>,
    pub customer_code: Option<String>,
    /// A referred friend's own Stripe promotion code, once Stripe created it.
    #[serde(default)]
    pub customer_promotion_code: Option<String>,
    pub suppressed: i64,
}

/// The customer-key expression for each message (`customer_key_path`), as one SQL CASE.
fn customer_key_sql() -> String {
    let arms: Vec<String> = Message::ALL
        .iter()
        .filter_map(|m| customer_key_path(*m).map(|path| format!("WHEN 'email:{}' THEN json_extract(e.payload, '{path}')", m.as_str())))
        .collect();
    format!("CASE d.integration {} END", arms.join(" "))
}

/// Loads claimed e-mail deliveries with everything composing them needs, in one query.
pub async fn load_emails(db: &D1Database, ids: &[String]) -> ApiResult<Vec<EmailRow>> {
    let ids_json = serde_json::to_string(ids).expect("strings serialize");
    db::all(sql!(
        db,
        &format!(
            "SELECT d.id, d.program_id, d.event_id, d.attempts, e.payload, d.integration,
                    p.name AS program_name, p.public_id, p.website_url, p.currency, p.tracking, p.emails, p.edge_origin,
                    c.email AS customer_email, c.name AS customer_name, c.referral_code AS customer_code, c.promotion_code AS customer_promotion_code,
                    EXISTS (SELECT 1 FROM email_suppressions s WHERE s.program_id = d.program_id
                      AND s.address = lower(COALESCE(json_extract(e.payload, '$.data.to'), c.email))) AS suppressed
             FROM deliveries d JOIN events e ON e.id = d.event_id
             LEFT JOIN programs p ON p.id = d.program_id
             LEFT JOIN customers c ON c.program_id = d.program_id AND c.key = {}
             WHERE d.id IN (SELECT value FROM json_each(?1))",
            customer_key_sql()
        ),
        &ids_json
    ))
    .await
}

/// Remembers whom an e-mail delivery goes to, for its log.
pub fn set_recipient(db: &D1Database, delivery_id: &str, recipient: &str) -> Stmt {
    sql!(db, "UPDATE deliveries SET recipient = ?2 WHERE id = ?1", delivery_id, recipient)
}

/// Keeps a message `EMAIL_PROVIDER=dev` would have sent, for `/__dev/mail`.
pub struct DevMail<'a> {
    pub delivery_id: &'a str,
    pub program_id: &'a str,
    pub message: &'a str,
    pub from: &'a str,
    pub to: &'a str,
    pub reply_to: Option<&'a str>,
    pub subject: &'a str,
    pub text: &'a str,
    pub html: &'a str,
    pub headers: &'a str,
}

pub async fn keep_dev_mail(db: &D1Database, m: &DevMail<'_>, now: i64) -> DbResult<()> {
    db::run(sql!(
        db,
        "INSERT INTO dev_mail (delivery_id, program_id, message, from_header, to_address, reply_to, subject, text_body, html_body, headers, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
        m.delivery_id,
        m.program_id,
        m.message,
        m.from,
        m.to,
        m.reply_to,
        m.subject,
        m.text,
        m.html,
        m.headers,
        now
    ))
    .await
}

/// Whether Stripe credit pays a reward (over `rewards r`, `programs p`, `customers c` of its
/// referrer and the program's Stripe API row `i`): a referrer's approved reward (or milestone bonus), the program's
/// fulfilment `stripe_credit`, the customer linked to Stripe (docs/fulfilment.md).
pub const CREDITS: &str = "r.kind IN ('referrer', 'milestone') AND r.amount > 0 AND r.status = 'approved' AND c.stripe_customer_id IS NOT NULL
  AND json_extract(p.rewards, '$.fulfilment.referrer') = 'stripe_credit'";

/// The joins `CREDITS` reads, from `rewards r`.
pub const CREDIT_JOINS: &str = "JOIN programs p ON p.id = r.program_id
  JOIN customers c ON c.program_id = r.program_id AND c.key = r.customer_key
  JOIN integrations i ON i.program_id = r.program_id AND i.name = 'stripe_api'";

/// A Stripe credit delivery for a reward approved as it is created (`fanout::event`), when `CREDITS` holds.
pub fn fan_out_credit(db: &D1Database, event_id: &str, program_id: &str, reward_id: &str, now: i64) -> Stmt {
    sql!(
        db,
        &format!(
            "INSERT INTO deliveries (id, program_id, event_id, integration, status, attempts, next_attempt_at, created_at, updated_at)
             SELECT ?1 || '.stripe_credit', ?2, ?1, 'stripe_credit', 'pending', 0, ?4, ?4, ?4
             FROM rewards r {CREDIT_JOINS} WHERE r.program_id = ?2 AND r.id = ?3 AND {CREDITS}"
        ),
        event_id,
        program_id,
        reward_id,
        now
    )
}

/// A Stripe promotion code for a referred customer just created (`customer.created`), when the
/// program's friend reward is `stripe_promotion_code` and its Stripe API key is set. Due a lease
/// later: the request that created the customer sends it itself at once (so its answer can
/// carry the code), and the cron trigger is the fallback should that request die.
pub fn fan_out_promotion_code(db: &D1Database, event_id: &str, program_id: &str, customer_key: &str, now: i64) -> Stmt {
    sql!(
        db,
        "INSERT INTO deliveries (id, program_id, event_id, integration, status, attempts, next_attempt_at, created_at, updated_at)
         SELECT ?1 || '.stripe_promotion_code', ?2, ?1, 'stripe_promotion_code', 'pending', 0, ?4 + ?5, ?4, ?4
         FROM customers c JOIN programs p ON p.id = c.program_id
         JOIN integrations i ON i.program_id = c.program_id AND i.name = 'stripe_api'
         WHERE c.program_id = ?2 AND c.key = ?3 AND c.referred_by IS NOT NULL AND json_extract(p.rewards, '$.friend.type') = 'stripe_promotion_code'",
        event_id,
        program_id,
        customer_key,
        now,
        LEASE_MS
    )
}

/// The promotion code delivery of a customer, if one was written (the newest).
pub async fn promotion_code_delivery(db: &D1Database, program_id: &str, customer_key: &str) -> ApiResult<Option<String>> {
    #[derive(Deserialize)]
    struct Found {
        id: String,
    }
    let found: Option<Found> = db::first(sql!(
        db,
        "SELECT d.id FROM deliveries d JOIN events e ON e.id = d.event_id
         WHERE d.program_id = ?1 AND d.integration = 'stripe_promotion_code' AND json_extract(e.payload, '$.data.key') = ?2
         ORDER BY d.rowid DESC LIMIT 1",
        program_id,
        customer_key
    ))
    .await?;
    Ok(found.map(|f| f.id))
}

/// A claimed promotion code delivery with its customer as they are now, the program's friend
/// reward (in `rewards`) and its sealed Stripe key.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct PromoRow {
    pub id: String,
    pub program_id: String,
    pub event_id: String,
    pub attempts: i64,
    pub customer_key: Option<String>,
    pub stripe_customer_id: Option<String>,
    pub promotion_code: Option<String>,
    pub rewards: Option<String>,
    pub api_settings: Option<String>,
    pub sealed_key: Option<String>,
}

/// Loads claimed promotion code deliveries, in one query.
pub async fn load_promotion_codes(db: &D1Database, ids: &[String]) -> ApiResult<Vec<PromoRow>> {
    let ids_json = serde_json::to_string(ids).expect("strings serialize");
    db::all(sql!(
        db,
        "SELECT d.id, d.program_id, d.event_id, d.attempts, c.key AS customer_key, c.stripe_customer_id, c.promotion_code,
                p.rewards, i.settings AS api_settings, i.secret AS sealed_key
         FROM deliveries d JOIN events e ON e.id = d.event_id
         LEFT JOIN customers c ON c.program_id = d.program_id AND c.key = json_extract(e.payload, '$.data.key')
         LEFT JOIN programs p ON p.id = d.program_id
         LEFT JOIN integrations i ON i.program_id = d.program_id AND i.name = 'stripe_api'
         WHERE d.id IN (SELECT value FROM json_each(?1))",
        &ids_json
    ))
    .await
}

/// The code Stripe created, on its customer (once: a code already there stays).
pub fn set_promotion_code(db: &D1Database, program_id: &str, customer_key: &str, code: &str) -> Stmt {
    sql!(db, "UPDATE customers SET promotion_code = ?3 WHERE program_id = ?1 AND key = ?2 AND promotion_code IS NULL", program_id, customer_key, code)
}

/// A claimed Stripe credit delivery with the reward as it is now, its customer's Stripe id
/// and the program's sealed Stripe key.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct CreditRow {
    pub id: String,
    pub program_id: String,
    pub event_id: String,
    pub attempts: i64,
    /// How often the owner retried it after it failed (a new `Idempotency-Key` each time).
    pub retries: i64,
    pub reward_id: Option<String>,
    pub reward_status: Option<String>,
    pub amount: Option<i64>,
    pub currency: Option<String>,
    pub customer_key: Option<String>,
    pub stripe_customer_id: Option<String>,
    pub program_name: Option<String>,
    pub api_settings: Option<String>,
    pub sealed_key: Option<String>,
}

/// Loads claimed Stripe credit deliveries, in one query.
pub async fn load_credits(db: &D1Database, ids: &[String]) -> ApiResult<Vec<CreditRow>> {
    let ids_json = serde_json::to_string(ids).expect("strings serialize");
    db::all(sql!(
        db,
        "SELECT d.id, d.program_id, d.event_id, d.attempts, d.retries, json_extract(e.payload, '$.data.id') AS reward_id,
                r.status AS reward_status, r.amount, r.currency, r.customer_key, c.stripe_customer_id,
                p.name AS program_name, i.settings AS api_settings, i.secret AS sealed_key
         FROM deliveries d JOIN events e ON e.id = d.event_id
         LEFT JOIN rewards r ON r.program_id = d.program_id AND r.id = json_extract(e.payload, '$.data.id')
         LEFT JOIN customers c ON c.program_id = d.program_id AND c.key = r.customer_key
         LEFT JOIN programs p ON p.id = d.program_id
         LEFT JOIN integrations i ON i.program_id = d.program_id AND i.name = 'stripe_api'
         WHERE d.id IN (SELECT value FROM json_each(?1))",
        &ids_json
    ))
    .await
}

/// A payout made by Stripe credit, as `payouts` stores it.
pub struct CreditPayout<'a> {
    pub id: &'a str,
    pub program_id: &'a str,
    pub reward_id: &'a str,
    pub customer_key: &'a str,
    pub amount: i64,
    pub currency: &'a str,
    /// Stripe's customer balance transaction (`cbtxn_…`).
    pub reference: Option<&'a str>,
    pub note: &'a str,
    pub at: i64,
}

/// The payout row (`method` `stripe_credit`) and the reward marked paid by it, guarded like a
/// manual payout's: the reward must still be approved with this amount, so it is paid once.
pub fn credit_payout(db: &D1Database, p: &CreditPayout) -> Vec<Stmt> {
    let reward_ids = serde_json::to_string(&[p.reward_id]).expect("strings serialize");
    vec![
        sql!(
            db,
            "INSERT INTO payouts (id, program_id, customer_key, amount, currency, reference, note, reward_ids, created_at, method)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, 'stripe_credit')",
            p.id,
            p.program_id,
            p.customer_key,
            p.amount,
            p.currency,
            p.reference,
            p.note,
            &reward_ids,
            p.at
        ),
        sql!(
            db,
            "UPDATE rewards SET status = 'paid', payout_id = ?3, decided_at = ?5, decision = ?3
             WHERE program_id = ?1 AND id = ?2 AND status = 'approved' AND amount = ?4",
            p.program_id,
            p.reward_id,
            p.id,
            p.amount,
            p.at
        ),
        db::guard(db, "EXISTS (SELECT 1 FROM rewards WHERE id = ?1 AND payout_id = ?2 AND status = 'paid')", &[p.reward_id.into(), p.id.into()]),
    ]
}

/// A credit Stripe refused for good: the approved reward is flagged `fulfilment_failed` (so it
/// waits in the review queue) and its `reason` says why.
pub fn flag_fulfilment_failed(db: &D1Database, program_id: &str, reward_id: &str, reason: &str) -> Stmt {
    sql!(
        db,
        "UPDATE rewards SET reason = ?3,
           flags = CASE WHEN EXISTS (SELECT 1 FROM json_each(flags) WHERE value = 'fulfilment_failed') THEN flags ELSE json_insert(flags, '$[#]', 'fulfilment_failed') END
         WHERE program_id = ?1 AND id = ?2 AND status = 'approved'",
        program_id,
        reward_id,
        reason
    )
}
