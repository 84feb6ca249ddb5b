//! Edgeref's Worker. The three entry points only hand over: a request to the
//! router (`routes` lists every route, `router` calls its handler); the cron
//! trigger to its jobs (reward approvals after their hold, audit-log pruning, visit roll-up and
//! outbox pruning,
//! secret re-sealing during a `SECRETS_KEY` rotation, outbox retries); a queue
//! batch to visit ingest.
//! `docs/architecture.md` draws the modules and how data flows through them.

mod api_keys;
mod audit;
mod auth;
mod change;
mod codes;
mod context;
mod customers;
mod db;
mod disposable;
mod emails;
mod error;
mod http;
mod ids;
mod ingest;
mod integrations;
mod ledger;
#[cfg(feature = "bench")]
mod meter;
mod openapi;
mod outbound;
mod outbox;
mod payouts;
mod portal;
mod privacy;
mod programs;
mod records;
mod rewards;
mod router;
mod routes;
mod sealed;
mod suffixes;
mod team;
mod tracking;
mod transactions;
mod webhooks;

use context::Cx;
use worker::{event, Context, Env, MessageBatch, Request, Response, Result, ScheduleContext, ScheduledEvent};

/// Once per isolate: a panic (which aborts the instance, failing every request
/// in flight) is logged with its message and place, so it can be found and fixed.
#[event(start)]
fn start() {
    std::panic::set_hook(Box::new(|info| worker::console_error!("panic: {info}")));
}

#[event(fetch)]
async fn fetch(req: Request, env: Env, ctx: Context) -> Result<Response> {
    #[cfg(feature = "bench")]
    meter::take_statements();
    // Parsed once: the origin for the links the Worker hands out, the path for the router.
    let url = req.url()?;
    let cx = match Cx::new(env, ctx, url.origin().ascii_serialization()) {
        Ok(cx) => cx,
        Err(e) => return e.into_response(),
    };
    suffixes::ensure(&cx).await;
    let response = match router::serve(req, &cx, url.path()).await {
        Ok(response) => response,
        Err(e) => e.into_response()?,
    };
    #[cfg(feature = "bench")]
    let response = meter::with_statements(response, cx.bench_mode())?;
    Ok(response)
}

/// The cron trigger: approves rewards whose hold is over, prunes the audit log
/// past its retention, rolls raw visits past theirs into daily counts, prunes delivered
/// outbox rows and spent sign-in codes, re-seals secrets during a `SECRETS_KEY` rotation, then retries webhook and integration deliveries whose time has come.
#[event(scheduled)]
async fn scheduled(_event: ScheduledEvent, env: Env, _ctx: ScheduleContext) {
    if let Ok(db) = env.d1("DB") {
        #[cfg(feature = "bench")]
        let started = {
            meter::take_statements();
            ids::now_ms()
        };
        match rewards::approve_due(&db).await {
            Ok(_approved) => {
                #[cfg(feature = "bench")]
                meter::scheduled_run(_approved, meter::take_statements(), ids::now_ms() - started);
            }
            Err(e) => worker::console_error!("approving due rewards failed: {}", e.message),
        }
        if let Err(e) = audit::prune(&db, ids::now_ms()).await {
            worker::console_error!("pruning the audit log failed: {}", e.message);
        }
        if let Err(e) = privacy::retain(&db, ids::now_ms()).await {
            worker::console_error!("rolling up visits or pruning the outbox failed: {}", e.message);
        }
        if let Err(e) = portal::signin::prune(&db).await {
            worker::console_error!("pruning sign-in codes failed: {}", e.message);
        }
        if let Err(e) = team::store::prune(&db, ids::now_ms()).await {
            worker::console_error!("pruning team sessions and invitations failed: {}", e.message);
        }
        match integrations::secrets::reseal_all(&env, &db).await {
            Ok((0, 0)) => {}
            Ok((resealed, lost)) => worker::console_log!("SECRETS_KEY rotation: re-sealed {resealed} integration secrets; {lost} open under neither key"),
            Err(e) => worker::console_error!("re-sealing integration secrets failed: {}", e.message),
        }
        outbox::delivery::send_due(&env, &db).await;
    }
}

/// The visit queue's consumer (and its dead-letter queue's).
#[event(queue)]
async fn queue(batch: MessageBatch<ingest::VisitMsg>, env: Env, _ctx: Context) -> Result<()> {
    ingest::consume(batch, &env).await
}
