//! Programs in D1 (source of truth) and their tracking config in KV and the
//! isolate (hot read cache).

use super::model::{Day, Program, ProgramRow, TrackingConfig};
use crate::error::{ApiError, ApiResult};
use crate::db::{self, Stmt};
use crate::sql;
use std::cell::RefCell;
use std::collections::HashMap;
use crate::context::kv;
use worker::{D1Database, Env};

const COLUMNS: &str = "id, public_id, name, website_url, currency, tracking, rewards, emails, portal, edge_origin, created_at";

pub fn insert(db: &D1Database, p: &Program) -> Stmt {
    sql!(
        db,
        "INSERT INTO programs (id, public_id, name, website_url, tracking, rewards, created_at, currency, emails, portal, edge_origin)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
        &p.id,
        &p.public_id,
        &p.name,
        &p.website_url,
        &json(&p.tracking),
        &json(&p.rewards),
        p.created_at,
        &p.currency,
        &json(&p.emails),
        &json(&p.portal),
        p.edge_origin.as_deref(),
    )
}

pub fn update(db: &D1Database, p: &Program) -> Stmt {
    sql!(
        db,
        "UPDATE programs SET name = ?2, website_url = ?3, tracking = ?4, rewards = ?5, currency = ?6, emails = ?7, portal = ?8, edge_origin = ?9 WHERE id = ?1",
        &p.id,
        &p.name,
        &p.website_url,
        &json(&p.tracking),
        &json(&p.rewards),
        &p.currency,
        &json(&p.emails),
        &json(&p.portal),
        p.edge_origin.as_deref(),
    )
}

pub async fn get(db: &D1Database, id: &str) -> ApiResult<Program> {
    let row: Option<ProgramRow> = db::first(sql!(db, &format!("SELECT {COLUMNS} FROM programs WHERE id = ?1"), id)).await?;
    row.and_then(ProgramRow::into_program).ok_or_else(|| ApiError::not_found("program"))
}

pub async fn list(db: &D1Database) -> ApiResult<Vec<Program>> {
    let rows: Vec<ProgramRow> = db::all(sql!(db, &format!("SELECT {COLUMNS} FROM programs ORDER BY created_at, id"))).await?;
    Ok(rows.into_iter().filter_map(ProgramRow::into_program).collect())
}

/// The statements deleting the program and everything under it (but its audit
/// log, which keeps who deleted it until pruned), for one D1 transaction.
pub fn delete(db: &D1Database, id: &str) -> Vec<Stmt> {
    let tables = [
        "visits", "signups", "ledger", "transactions", "transaction_deletions", "transaction_refunds", "customers", "api_keys",
        "delivery_attempts", "deliveries", "events", "webhooks", "integrations", "visit_counts", "program_days", "dead_visits", "rewards", "payouts",
        "email_suppressions", "sign_in_codes", "email_invites", "dev_mail", "billing_refunds",
    ];
    let mut stmts: Vec<_> = tables.iter().map(|t| sql!(db, &format!("DELETE FROM {t} WHERE program_id = ?1"), id)).collect();
    stmts.push(sql!(db, "DELETE FROM programs WHERE id = ?1", id));
    stmts
}

/// Rolls the batch back if it changes the program's currency while the program holds any
/// money: a transaction, a ledger entry (rewards, credits, reversals), a reward or a payout.
pub fn currency_guard(db: &D1Database, p: &Program) -> Stmt {
    db::guard(
        db,
        "?2 = (SELECT currency FROM programs WHERE id = ?1)
         OR NOT (EXISTS (SELECT 1 FROM transactions WHERE program_id = ?1) OR EXISTS (SELECT 1 FROM ledger WHERE program_id = ?1)
              OR EXISTS (SELECT 1 FROM rewards WHERE program_id = ?1) OR EXISTS (SELECT 1 FROM payouts WHERE program_id = ?1))",
        &[p.id.as_str().into(), p.currency.as_str().into()],
    )
}

/// A program's per-day counters from `day` (`YYYY-MM-DD`) on.
pub async fn days_since(db: &D1Database, program_id: &str, day: &str) -> ApiResult<Vec<Day>> {
    db::all(sql!(db, "SELECT day AS date, visits, signups, conversions, revenue, rewards FROM program_days WHERE program_id = ?1 AND day >= ?2", program_id, day)).await
}

fn json<T: serde::Serialize>(v: &T) -> String {
    serde_json::to_string(v).expect("settings always serialize")
}

// ---- hot cache ----------------------------------------------------------

/// How long an isolate trusts its copy of a program's config. Other isolates
/// see a settings change within this time; the isolate that made it at once.
const ISOLATE_TTL_MS: i64 = 60_000;

/// One program's config as this isolate holds it: since when, and which copy (a number
/// no other copy in this isolate has, so what was built from it can tell it is current).
struct Held {
    at: i64,
    version: u64,
    config: TrackingConfig,
}

thread_local! {
    static CONFIGS: RefCell<HashMap<String, Held>> = RefCell::new(HashMap::new());
    static VERSIONS: std::cell::Cell<u64> = const { std::cell::Cell::new(0) };
    /// Every program's config, oldest first, when loaded (redirect links and preflights name no program).
    static ALL: RefCell<Option<(i64, Vec<TrackingConfig>)>> = const { RefCell::new(None) };
}

fn kv_key(public_id: &str) -> String {
    format!("program:{public_id}")
}

/// Writes the program's config to KV and this isolate (after create/update).
pub async fn publish(env: &Env, p: &Program) -> ApiResult<()> {
    let config = p.tracking_config();
    let text = serde_json::to_string(&config).expect("config serializes");
    kv(env)?.put(&kv_key(&p.public_id), text)?.execute().await.map_err(|e| ApiError::unavailable("kv put", e))?;
    hold(&p.public_id, crate::ids::now_ms(), config);
    ALL.with(|a| a.borrow_mut().take());
    Ok(())
}

/// Removes the program's config from KV and this isolate (after delete).
pub async fn unpublish(env: &Env, public_id: &str) -> ApiResult<()> {
    CONFIGS.with(|c| c.borrow_mut().remove(public_id));
    ALL.with(|a| a.borrow_mut().take());
    kv(env)?.delete(&kv_key(public_id)).await.map_err(|e| ApiError::unavailable("kv delete", e))
}

/// The tracking config for a public id: isolate, then KV. `None` if unknown.
pub async fn tracking_config(env: &Env, public_id: &str) -> ApiResult<Option<TrackingConfig>> {
    let now = crate::ids::now_ms();
    let cached = CONFIGS.with(|c| c.borrow().get(public_id).filter(|h| now - h.at < ISOLATE_TTL_MS).map(|h| h.config.clone()));
    if cached.is_some() {
        return Ok(cached);
    }
    let text = kv(env)?.get(&kv_key(public_id)).text().await.map_err(|e| ApiError::unavailable("kv get", e))?;
    let config = text.and_then(|t| serde_json::from_str::<TrackingConfig>(&t).ok());
    if let Some(cfg) = &config {
        hold(public_id, now, cfg.clone());
    }
    Ok(config)
}

fn hold(public_id: &str, at: i64, config: TrackingConfig) {
    let version = VERSIONS.with(|v| {
        v.set(v.get() + 1);
        v.get()
    });
    CONFIGS.with(|c| c.borrow_mut().insert(public_id.to_owned(), Held { at, version, config }));
}

/// Which copy of the program's config this isolate trusts now, if any: what was built
/// from that copy (the rendered loader) is current, with no config read or compared.
pub fn held_version(public_id: &str) -> Option<u64> {
    let now = crate::ids::now_ms();
    CONFIGS.with(|c| c.borrow().get(public_id).filter(|h| now - h.at < ISOLATE_TTL_MS).map(|h| h.version))
}

/// Every program's tracking config, oldest first: from the isolate (trusted for
/// `ISOLATE_TTL_MS`, like one program's), else D1. `fresh` skips the isolate's
/// copy (a code's program created in another isolate moments ago).
pub async fn all_configs(db: &D1Database, fresh: bool) -> ApiResult<Vec<TrackingConfig>> {
    let now = crate::ids::now_ms();
    let cached = ALL.with(|a| a.borrow().as_ref().filter(|(at, _)| !fresh && now - at < ISOLATE_TTL_MS).map(|(_, all)| all.clone()));
    if let Some(all) = cached {
        return Ok(all);
    }
    let all: Vec<TrackingConfig> = list(db).await?.iter().map(Program::tracking_config).collect();
    ALL.with(|a| *a.borrow_mut() = Some((now, all.clone())));
    Ok(all)
}
