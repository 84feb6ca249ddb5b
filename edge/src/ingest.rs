//! Visit ingest: `/t/visit` hands each accepted visit to a Cloudflare Queue and
//! answers at once; this consumer writes a whole queue batch to D1 in one
//! `batch()`. Each visit carries its id, and `INSERT OR IGNORE` on it makes a
//! redelivered batch a no-op, so queue retries never double-count (the
//! counters follow the inserted rows through a trigger).

use crate::error::{ApiError, ApiResult};
use crate::{db, ids, sql};
use serde::{Deserialize, Serialize};
use worker::{Env, MessageBatch};

/// One accepted visit, as queued.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct VisitMsg {
    pub id: String,
    pub program_id: String,
    pub code: String,
    pub referrer_key: String,
    pub url: String,
    pub referrer: String,
    pub created_at: i64,
    /// From a crawler or link previewer: stored, flagged, never counted.
    #[serde(default)]
    pub bot: bool,
}

/// Queues an accepted visit. Without a `VISITS` binding (a deployment that has
/// not created the queue) it writes straight to D1 instead, one row per request.
pub async fn accept(env: &Env, visit: &VisitMsg) -> ApiResult<()> {
    match env.queue("VISITS") {
        Ok(queue) => queue.send(visit).await.map_err(|e| ApiError::unavailable("queue send", e)),
        Err(_) => {
            let db = env.d1("DB").map_err(|e| ApiError::unavailable("d1 binding", e))?;
            meter::timed(1, db::run(insert(&db, visit))).await
        }
    }
}

fn insert(db: &worker::D1Database, v: &VisitMsg) -> ApiResult<worker::D1PreparedStatement> {
    sql!(
        db,
        "INSERT OR IGNORE INTO visits (id, program_id, code, referrer_key, url, referrer, created_at, bot) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
        &v.id,
        &v.program_id,
        &v.code,
        &v.referrer_key,
        &v.url,
        &v.referrer,
        v.created_at,
        v.bot as i64
    )
}

/// Fault injection for tests (`INGEST_FAULTS=on`): the first batch with a visit
/// marked `edgeref-fault-once` fails after writing half of itself ("fired" is
/// remembered in KV, which outlives the Wasm instance); batches with a visit
/// marked `edgeref-fault-always` always fail, so they end in the dead-letter queue.
const FAULT_ONCE: &str = "edgeref-fault-once";
const FAULT_ALWAYS: &str = "edgeref-fault-always";
const FAULT_FIRED_KEY: &str = "test:ingest-fault-fired";

#[derive(PartialEq)]
enum Fault {
    None,
    /// Write the first half of the batch, then fail.
    MidBatch,
    /// Fail before writing anything.
    Always,
}

async fn injected_fault(env: &Env, visits: &[VisitMsg]) -> Fault {
    let enabled = env.var("INGEST_FAULTS").map(|v| v.to_string() == "on").unwrap_or(false);
    if !enabled {
        return Fault::None;
    }
    if visits.iter().any(|v| v.url.contains(FAULT_ALWAYS)) {
        return Fault::Always;
    }
    if !visits.iter().any(|v| v.url.contains(FAULT_ONCE)) {
        return Fault::None;
    }
    let Ok(kv) = env.kv("CONFIG") else { return Fault::None };
    if kv.get(FAULT_FIRED_KEY).text().await.ok().flatten().is_some() {
        return Fault::None;
    }
    let Ok(put) = kv.put(FAULT_FIRED_KEY, "1") else { return Fault::None };
    if put.execute().await.is_ok() {
        Fault::MidBatch
    } else {
        Fault::None
    }
}

/// The queue consumer for `edgeref-visits` and its dead-letter queue. A batch
/// that cannot be written is handed back whole (`retry_all`); the queue retries
/// it and, after `max_retries`, dead-letters it.
pub async fn consume(batch: MessageBatch<VisitMsg>, env: &Env) -> worker::Result<()> {
    let db = env.d1("DB")?;
    let visits: Vec<VisitMsg> = batch.messages()?.iter().map(|m| m.body().clone()).collect();
    let written = if batch.queue().ends_with("-dlq") {
        // Given up on by the main queue: keep them where the owner can see them.
        let stmts = visits
            .iter()
            .map(|v| {
                sql!(
                    &db,
                    "INSERT OR IGNORE INTO dead_visits (id, program_id, body, created_at) VALUES (?1, ?2, ?3, ?4)",
                    &v.id,
                    &v.program_id,
                    &serde_json::to_string(v).unwrap_or_default(),
                    ids::now_ms()
                )
            })
            .collect();
        db::batch(&db, stmts).await
    } else {
        match injected_fault(env, &visits).await {
            Fault::None => meter::timed(visits.len(), db::batch(&db, visits.iter().map(|v| insert(&db, v)).collect())).await,
            fault => {
                if fault == Fault::MidBatch {
                    let _ = db::batch(&db, visits[..visits.len() / 2].iter().map(|v| insert(&db, v)).collect()).await;
                }
                worker::console_error!("injected consumer fault in a batch of {}", visits.len());
                Err(ApiError::unavailable("ingest", "injected fault"))
            }
        }
    };
    match written {
        Ok(()) => batch.ack_all(),
        Err(e) => {
            worker::console_error!("visit batch of {} not written, retrying: {}", visits.len(), e.message);
            batch.retry_all();
        }
    }
    Ok(())
}

/// How hard D1 works for visits, for `make bench` (`GET /__bench/ingest` with
/// `BENCH=on`): rows written and the time D1 was busy with at least one visit
/// write (overlapping writes count once), the same measure for both paths.
pub mod meter {
    use std::cell::Cell;
    use std::future::Future;

    thread_local! {
        static ROWS: Cell<u64> = const { Cell::new(0) };
        static BUSY_MS: Cell<f64> = const { Cell::new(0.0) };
        static IN_FLIGHT: Cell<u32> = const { Cell::new(0) };
        static SINCE: Cell<f64> = const { Cell::new(0.0) };
    }

    pub async fn timed<T, E>(rows: usize, write: impl Future<Output = Result<T, E>>) -> Result<T, E> {
        // Time only advances across I/O in a Worker, which is exactly what a D1 write is.
        if IN_FLIGHT.replace(IN_FLIGHT.get() + 1) == 0 {
            SINCE.set(worker::Date::now().as_millis() as f64);
        }
        let result = write.await;
        if IN_FLIGHT.replace(IN_FLIGHT.get() - 1) == 1 {
            BUSY_MS.set(BUSY_MS.get() + worker::Date::now().as_millis() as f64 - SINCE.get());
        }
        if result.is_ok() {
            ROWS.set(ROWS.get() + rows as u64);
        }
        result
    }

    /// `{"rows", "busy_ms"}` since the isolate started.
    pub fn snapshot() -> serde_json::Value {
        serde_json::json!({ "rows": ROWS.get(), "busy_ms": BUSY_MS.get() })
    }
}

/// `GET /v1/programs/{id}/ingest`: what the queue gave up on, for the owner.
pub async fn report(db: &worker::D1Database, program_id: &str) -> ApiResult<worker::Response> {
    #[derive(Deserialize)]
    struct Count {
        n: i64,
    }
    #[derive(Deserialize)]
    struct Dead {
        body: String,
    }
    let count: Option<Count> = db::first(sql!(db, "SELECT COUNT(*) AS n FROM dead_visits WHERE program_id = ?1", program_id)).await?;
    let recent: Vec<Dead> =
        db::all(sql!(db, "SELECT body FROM dead_visits WHERE program_id = ?1 ORDER BY created_at DESC LIMIT 20", program_id)).await?;
    let recent: Vec<serde_json::Value> = recent.iter().filter_map(|d| serde_json::from_str(&d.body).ok()).collect();
    crate::http::json(200, &serde_json::json!({"dead_visits": count.map_or(0, |c| c.n), "recent_dead": recent}))
}
