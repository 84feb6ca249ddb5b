//! Visit ingest: `/t/visit` hands each accepted visit to a Cloudflare Queue and
//! answers at once; this consumer writes a whole queue batch to D1 in one
//! `batch()`. Each visit carries its id, and `INSERT OR IGNORE` on it makes a
//! redelivered batch a no-op, so queue retries never double-count (the
//! counters follow the inserted rows through a trigger).

pub mod model;
pub mod report;
pub mod store;

pub use model::VisitMsg;

use crate::error::{ApiError, ApiResult};
use crate::{db, ids};
use worker::{AnalyticsEngineDataPointBuilder, Env, MessageBatch};

/// Queues an accepted visit. Without a `VISITS` binding (a deployment that has
/// not created the queue) it writes straight to D1 instead, one row per request.
pub async fn accept(env: &Env, visit: &VisitMsg) -> ApiResult<()> {
    match env.queue("VISITS") {
        Ok(queue) => queue.send(visit).await.map_err(|e| ApiError::unavailable("queue send", e)),
        Err(_) => {
            let db = env.d1("DB").map_err(|e| ApiError::unavailable("d1 binding", e))?;
            Ok(written(1, db::run(store::insert_visit(&db, visit))).await?)
        }
    }
}

/// Also writes a counted visit to Workers Analytics Engine when the optional
/// `VISITS_ANALYTICS` dataset is bound (docs/privacy.md): the program as the index,
/// code, path, country and referrer host as blobs, 1 as the double. Raw analytics
/// beyond the retention only, never anything billable (Analytics Engine samples);
/// absent or failing, it is skipped and the visit goes on.
pub fn to_analytics(env: &Env, v: &VisitMsg, country: Option<String>) {
    let Ok(dataset) = env.analytics_engine("VISITS_ANALYTICS") else { return };
    let point = AnalyticsEngineDataPointBuilder::new()
        .indexes([v.program_id.as_str()])
        .add_blob(v.code.as_str())
        .add_blob(url_part(&v.url, true))
        .add_blob(country.unwrap_or_default())
        .add_blob(url_part(&v.referrer, false))
        .add_double(1)
        .build();
    let _ = dataset.write_data_point(&point);
}

/// A URL's path (`path`) or host, without its query; "" for what is not a URL.
fn url_part(u: &str, path: bool) -> String {
    url::Url::parse(u).ok().map(|u| if path { u.path().to_owned() } else { u.host_str().unwrap_or_default().to_owned() }).unwrap_or_default()
}

/// A visit write, timed by the benchmark's meter when the Worker is built for it.
async fn written<T, E>(rows: usize, write: impl std::future::Future<Output = Result<T, E>>) -> Result<T, E> {
    #[cfg(feature = "bench")]
    return crate::meter::timed(rows, write).await;
    #[cfg(not(feature = "bench"))]
    {
        let _ = rows;
        write.await
    }
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
        let now = ids::now_ms();
        db::batch(&db, visits.iter().map(|v| store::insert_dead(&db, v, now)).collect()).await.map_err(ApiError::from)
    } else {
        write_visits(env, &db, &visits).await
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

/// One batch of visits in one D1 transaction (unless a test injects a fault).
async fn write_visits(env: &Env, db: &worker::D1Database, visits: &[VisitMsg]) -> ApiResult<()> {
    let insert_all = |visits: &[VisitMsg]| visits.iter().map(|v| store::insert_visit(db, v)).collect();
    match injected_fault(env, visits).await {
        Fault::None => Ok(written(visits.len(), db::batch(db, insert_all(visits))).await?),
        fault => {
            if fault == Fault::MidBatch {
                let _ = db::batch(db, insert_all(&visits[..visits.len() / 2])).await;
            }
            worker::console_error!("injected consumer fault in a batch of {}", visits.len());
            Err(ApiError::unavailable("ingest", "injected fault"))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::url_part;

    #[test]
    fn analytics_blobs_keep_the_path_and_the_host_only() {
        assert_eq!(url_part("https://shop.example/pricing?ref=code1&email=a@b.c#x", true), "/pricing");
        assert_eq!(url_part("https://www.google.com/search?q=shop", false), "www.google.com");
        assert_eq!(url_part("", false), "");
        assert_eq!(url_part("not a url", true), "");
    }
}
