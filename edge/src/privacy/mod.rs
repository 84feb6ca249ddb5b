//! Data-subject requests (docs/privacy.md): `GET /v1/customers/{key}/export`, everything
//! Edgeref holds about one person; `POST /v1/customers/{key}/erase`, their address, names,
//! IP hashes and free text removed everywhere (MailerLite included) while amounts and keys
//! stay. And the scheduled run's retention: raw visits rolled into daily counts, delivered
//! outbox rows pruned.

pub mod store;

use crate::change::Change;
use crate::context::Cx;
use crate::customers::model::CustomerRow;
use crate::customers::service::customer_json;
use crate::customers::store as customers;
use crate::error::{ApiError, ApiResult};
use crate::http::{json, optional_json_body};
use crate::integrations::store as integrations;
use crate::outbox::senders::mailerlite::{self, MailerLiteSettings};
use crate::portal::store as portal;
use crate::programs::model::Program;
use crate::{audit, db, ids};
use edgeref_shared::privacy::Erasure;
use edgeref_shared::webhook::EventKind;
use edgeref_shared::time;
use serde_json::{json, Map, Value};
use worker::{D1Database, Env, Request, Response};

/// At most this many raw visits are rolled up per scheduled run (the rest next time).
const ROLLUP_PER_RUN: i64 = 5_000;
/// At most this many delivered outbox rows are pruned per scheduled run.
const PRUNE_PER_RUN: i64 = 1_000;

/// The address as the export and erase queries compare it: lower-cased, `None` once erased.
fn address(c: &CustomerRow) -> Option<String> {
    Some(c.email.trim().to_ascii_lowercase()).filter(|e| !e.is_empty())
}

/// `GET /v1/customers/{key}/export`: the customer, their referrals (masked as in `/w/me`),
/// and every table's rows about them, as JSON. Audited as a read that carries data away.
pub async fn export(cx: &Cx, program: &Program, key: &str) -> ApiResult<Response> {
    let c = customers::require(&cx.db, &program.id, key).await?;
    let email = address(&c);
    let mut out = Map::new();
    out.insert("exported_at".into(), json!(time::rfc3339(ids::now_ms())));
    out.insert("program".into(), json!({"id": program.id, "name": program.name}));
    out.insert("customer".into(), customer_json(cx, &c, program));
    out.insert("stats".into(), serde_json::to_value(customers::stats(&cx.db, &program.id, key).await?).unwrap_or_default());
    let referrals = portal::referrals(&cx.db, &program.id, key).await?;
    let referrals = referrals.iter().map(|r| json!({"name": r.name, "email": edgeref_shared::portal::mask_email(&r.email), "joined_at": time::rfc3339(r.created_at), "purchased": r.purchased != 0}));
    out.insert("referrals".into(), Value::Array(referrals.collect()));
    for (name, mut rows) in store::sections(&cx.db, &program.id, key, email.as_deref()).await? {
        // Stored JSON (audit diffs) as the values it holds.
        for row in &mut rows {
            if let Some(diff) = row.get_mut("diff").filter(|d| d.is_string()) {
                *diff = serde_json::from_str(diff.as_str().unwrap_or("{}")).unwrap_or_default();
            }
        }
        out.insert(name.into(), Value::Array(rows));
    }
    audit::record_read(cx, &program.id, "customer.exported", ("customer", key), json!({})).await?;
    json(200, &Value::Object(out))
}

/// `POST /v1/customers/{key}/erase` (no body, or `{}`): MailerLite forgets them first (a
/// failure there answers `503` and erases nothing, so the request can be repeated); then one
/// batch blanks the customer, redacts their address and names wherever stored text holds
/// them, fires `customer.deleted` and audits `customer.erased` without the erased values.
pub async fn erase(mut req: Request, cx: &Cx, program: &Program, key: &str) -> ApiResult<Response> {
    let _: Map<String, Value> = optional_json_body(&mut req).await?;
    let c = customers::require(&cx.db, &program.id, key).await?;
    let email = address(&c);
    if email.is_some() {
        // As stored: the address MailerLite was given.
        forget_in_mailerlite(&cx.env, &cx.db, &program.id, c.email.trim()).await?;
    }
    let erasure = Erasure::new(c.email.as_str(), c.name.as_deref(), c.surname.as_deref());
    let redactions = redactions(&cx.db, &program.id, &erasure, email.as_deref()).await?;
    let redacted = redactions.len();
    let now = ids::now_ms();
    let erased = CustomerRow { email: String::new(), name: None, surname: None, stripe_customer_id: None, updated_at: now, ..c };
    let fields = json!({"erased": {"to": ["email", "name", "surname", "stripe_customer_id", "ip_hash", "notes"]}, "redacted_rows": {"to": redacted}});
    Change::new(cx, &program.id, EventKind::CustomerDeleted)
        .statements(store::erase_statements(&cx.db, &program.id, key, email.as_deref(), now))
        .statements(redactions)
        .event(&customer_json(cx, &erased, program))
        .statements(audit::record(cx, &program.id, "customer.erased", ("customer", key), fields))
        .commit()
        .await?;
    json(200, &json!({"key": key, "erased": true, "redacted_rows": redacted}))
}

/// The rewrite of every stored row in the program that holds what `erasure` removes.
async fn redactions(db: &D1Database, program_id: &str, erasure: &Erasure, email: Option<&str>) -> ApiResult<Vec<db::Stmt>> {
    let names = serde_json::to_string(&erasure.terms().into_iter().skip(usize::from(email.is_some())).collect::<Vec<_>>()).unwrap_or_default();
    let mut stmts = Vec::new();
    for &place in store::REDACTABLE {
        for found in store::holding(db, place, program_id, email, &names).await? {
            if let Some(text) = erasure.redact_stored(&found.text) {
                stmts.push(store::rewrite(db, place, found.row, &text));
            }
        }
    }
    Ok(stmts)
}

/// MailerLite forgets the subscriber, when the program syncs to it.
async fn forget_in_mailerlite(env: &Env, db: &D1Database, program_id: &str, email: &str) -> ApiResult<()> {
    let Some(row) = integrations::get(db, program_id, "mailerlite").await? else { return Ok(()) };
    let Some(settings) = MailerLiteSettings::parse(&row.settings) else { return Ok(()) };
    let outcome = mailerlite::forget(env, &settings, &row.secret, email).await;
    match outcome.code {
        Some(200..=299) => Ok(()),
        code => Err(ApiError::new(
            503,
            "unavailable",
            format!("MailerLite did not forget the subscriber ({}); nothing was erased: try again", code.map_or_else(|| outcome.error.unwrap_or_default(), |c| c.to_string())),
        )),
    }
}

/// The scheduled run's share: raw visits past their program's retention rolled into the daily
/// counts, and delivered outbox rows past 30 days deleted, a bounded number of each per run.
pub async fn retain(db: &D1Database, now: i64) -> ApiResult<()> {
    db::batch(db, store::rollup_visits(db, now, ROLLUP_PER_RUN)).await?;
    db::batch(db, store::prune_delivered(db, now, PRUNE_PER_RUN)).await?;
    Ok(())
}
