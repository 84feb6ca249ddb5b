//! Records: `POST /v1/customers/import` (CSV upsert) and `GET /v1/{table}.csv`
//! (streamed exports). The CSV rules (columns, row checks, referrers in any
//! order, cycles, formula escaping) are `edgeref_shared::records`; this module
//! reads what the plan needs, writes it in one D1 batch, and streams exports.

pub mod export;
pub mod store;

use crate::context::Cx;
use crate::customers::model::CustomerRow;
use crate::customers::service::customer_json;
use crate::db::{self, DbResult, Stmt};
use crate::error::{ApiError, ApiResult};
use crate::http::{bool_param, capped_body_of, json, require_media};
use crate::programs::model::Program;
use crate::{audit, codes, ids, outbox};
use edgeref_shared::attribution::normalize_email;
use edgeref_shared::webhook::EventKind;
use edgeref_shared::records::{self, FileError, Known, Plan, Upsert, MAX_FILE_BYTES};
use serde_json::{json, Value};
use worker::{Request, Response};

/// Rows per write statement (upserts, recounts, events). With `LOOKUP_ROWS`, a 20,000-row
/// call stays near 20 D1 statements, inside even the Free plan's 50 queries a request.
const WRITE_ROWS: usize = 2_500;
/// Keys or codes per lookup statement.
const LOOKUP_ROWS: usize = 10_000;
/// Bytes of JSON per statement argument at most (D1 takes 2 MB per value).
const CHUNK_BYTES: usize = 900_000;
/// Events a notified import hands to the sender at once; the cron trigger sends the rest.
const DISPATCH_NOW: usize = 50;

/// `POST /v1/customers/import[?notify=true][&dry_run=true]`, body `text/csv`.
/// A dry run answers what the import would do and writes nothing (the dashboard's preview).
pub async fn import(mut req: Request, cx: &Cx, program: &Program) -> ApiResult<Response> {
    require_media(&req, &["text/csv", "application/csv"], "send the file as Content-Type: text/csv")?;
    let (notify, dry_run) = (bool_param(&req, "notify")?.unwrap_or(false), bool_param(&req, "dry_run")?.unwrap_or(false));
    let bytes = capped_body_of(&mut req, MAX_FILE_BYTES, "CSV imports are limited to 5 MiB a call: split the file").await?;
    let file = records::parse(&bytes).map_err(file_error)?;
    drop(bytes);
    let known = known(cx, &program.id, &file).await?;
    let plan = records::plan(file, &known);
    if !dry_run {
        let events = write(cx, program, &plan, notify).await?;
        outbox::dispatch(cx, events.into_iter().take(DISPATCH_NOW).collect());
    }
    json(200, &json!({"created": plan.created, "updated": plan.updated, "unchanged": plan.unchanged, "errors": plan.errors}))
}

fn file_error(e: FileError) -> ApiError {
    let (status, code, field, message) = e.describe();
    let err = ApiError::new(status, code, message);
    match field {
        Some(f) => err.with_field(f),
        None => err,
    }
}

/// JSON arrays of at most `max_rows` items and about `CHUNK_BYTES` each.
fn json_chunks<T: serde::Serialize>(items: &[T], max_rows: usize) -> Vec<String> {
    let mut chunks = Vec::new();
    let mut current: Vec<String> = Vec::new();
    let mut size = 0;
    for item in items {
        let text = serde_json::to_string(item).expect("rows serialize");
        if !current.is_empty() && (current.len() >= max_rows || size + text.len() > CHUNK_BYTES) {
            chunks.push(format!("[{}]", current.join(",")));
            (current, size) = (Vec::new(), 0);
        }
        size += text.len() + 1;
        current.push(text);
    }
    if !current.is_empty() {
        chunks.push(format!("[{}]", current.join(",")));
    }
    chunks
}

/// What the store knows about the keys, referrers and codes the file names.
async fn known(cx: &Cx, program_id: &str, file: &records::ParsedFile) -> ApiResult<Known> {
    let mut known = Known::default();
    for keys in json_chunks(&records::named_keys(file), LOOKUP_ROWS) {
        known.customers.extend(store::customers_and_referrers(&cx.db, program_id, &keys).await?);
    }
    for codes in json_chunks(&records::named_codes(file), LOOKUP_ROWS) {
        known.code_holders.extend(store::code_holders(&cx.db, program_id, &codes).await?);
    }
    Ok(known)
}

/// Writes the plan in one D1 batch (the customers, their recounted referrers,
/// the events when notifying, the audit entry): all of it or nothing. A
/// generated code that collides is drawn again. Returns the events' ids.
async fn write(cx: &Cx, program: &Program, plan: &Plan, notify: bool) -> ApiResult<Vec<String>> {
    let mut last = None;
    for _ in 0..edgeref_shared::code::MAX_GENERATION_ATTEMPTS {
        match write_once(cx, program, plan, notify).await {
            Err(e) if e.conflicts_on("customers.referral_code") => last = Some(e),
            Err(e) if e.conflicts_on("customers.key") => return Err(ApiError::conflict("customers changed while importing: send the file again")),
            other => return other.map_err(Into::into),
        }
    }
    Err(last.map(Into::into).unwrap_or_else(|| ApiError::conflict("referral codes collided: send the file again")))
}

async fn write_once(cx: &Cx, program: &Program, plan: &Plan, notify: bool) -> DbResult<Vec<String>> {
    let now = ids::now_ms();
    let rows: Vec<CustomerRow> = plan.writes.iter().map(|w| row_of(w, now)).collect();
    let stored: Vec<Value> = rows.iter().map(stored_json).collect();
    let mut stmts: Vec<Stmt> = json_chunks(&stored, WRITE_ROWS).iter().map(|c| store::upsert_customers(&cx.db, &program.id, c, now)).collect();
    stmts.extend(json_chunks(&plan.referrers, WRITE_ROWS).iter().map(|c| store::recount_referrals(&cx.db, &program.id, c)));
    let mut events = Vec::new();
    if notify {
        let created: Vec<&CustomerRow> = rows.iter().zip(&plan.writes).filter(|(_, w)| w.is_new).map(|(r, _)| r).collect();
        let (ids, statements) = creation_events(cx, program, &created, now);
        stmts.extend(statements);
        events = ids;
    }
    let counts = json!({"created": {"to": plan.created}, "updated": {"to": plan.updated}, "unchanged": {"to": plan.unchanged}, "errors": {"to": plan.errors.len()}, "notify": {"to": notify}});
    stmts.extend(audit::record(cx, &program.id, "customer.imported", ("program", &program.id), counts));
    db::batch(&cx.db, stmts).await?;
    Ok(events)
}

/// The customer as it will be stored (a new one gets a fresh code unless the file gave one).
fn row_of(w: &Upsert, now: i64) -> CustomerRow {
    CustomerRow {
        row_id: 0,
        key: w.key.clone(),
        email: w.email.clone(),
        name: w.name.clone(),
        surname: w.surname.clone(),
        referral_code: w.referral_code.clone().unwrap_or_else(|| codes::generate().as_str().to_owned()),
        referred_by: w.referred_by.clone(),
        friend_reward: None,
        balance: 0,
        referrals_count: 0,
        created_at: w.created_at.unwrap_or(now),
        updated_at: now,
        fraud_flags: "[]".into(),
        pending_balance: 0,
        paid_total: 0,
        stripe_customer_id: w.stripe_customer_id.clone(),
        promotion_code: None,
    }
}

fn stored_json(c: &CustomerRow) -> Value {
    json!({
        "key": c.key, "email": c.email, "email_norm": normalize_email(&c.email), "name": c.name, "surname": c.surname,
        "referral_code": c.referral_code, "referred_by": c.referred_by, "created_at": c.created_at, "stripe_customer_id": c.stripe_customer_id,
    })
}

/// `customer.created` for each new customer (`?notify=true`), written set-based like the customers.
fn creation_events(cx: &Cx, program: &Program, created: &[&CustomerRow], now: i64) -> (Vec<String>, Vec<Stmt>) {
    let events: Vec<Value> = created
        .iter()
        .map(|c| {
            let id = ids::new_id("msg");
            let payload = outbox::payload(&id, &program.id, EventKind::CustomerCreated.as_str(), now, &customer_json(cx, c, program));
            json!({"id": id, "payload": payload})
        })
        .collect();
    let ids = events.iter().filter_map(|e| e["id"].as_str().map(str::to_owned)).collect();
    let stmts = json_chunks(&events, WRITE_ROWS).iter().flat_map(|chunk| outbox::events_from_json(&cx.db, &program.id, EventKind::CustomerCreated, chunk, now)).collect();
    (ids, stmts)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chunks_hold_at_most_max_rows_and_stay_under_the_byte_limit() {
        let small: Vec<u32> = (0..2_500).collect();
        let chunks = json_chunks(&small, 1_000);
        assert_eq!(chunks.len(), 3);
        assert_eq!(serde_json::from_str::<Vec<u32>>(&chunks[2]).unwrap().len(), 500);
        let big: Vec<String> = (0..10).map(|_| "x".repeat(300_000)).collect();
        let chunks = json_chunks(&big, 1_000);
        assert_eq!(chunks.len(), 5, "two 300 kB rows a chunk");
        assert!(chunks.iter().all(|c| c.len() < 1_000_000));
        assert!(json_chunks::<u32>(&[], 1_000).is_empty());
    }
}
