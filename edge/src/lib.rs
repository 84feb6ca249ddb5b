//! Edgeref's Worker. `fetch` only routes: every route is listed in `route`,
//! each handler lives with its resource (`programs/`, `customers/`, …).

mod api_keys;
mod auth;
mod codes;
mod customers;
mod db;
mod error;
mod http;
mod ids;
mod ingest;
mod openapi;
mod integrations;
mod programs;
mod tracking;
mod transactions;
mod webhooks;

use error::{ApiError, ApiResult};
use programs::model::Program;
use worker::{event, Context, D1Database, Env, MessageBatch, Method, Request, Response, Result, ScheduleContext, ScheduledEvent};

#[event(fetch)]
async fn fetch(req: Request, env: Env, ctx: Context) -> Result<Response> {
    db::take_query_count();
    let mut response = match route(req, &env, &ctx).await {
        Ok(response) => response,
        Err(e) => e.into_response()?,
    };
    if bench_mode(&env) {
        response.headers_mut().set("x-d1-queries", &db::take_query_count().to_string())?;
    }
    Ok(response)
}

/// The cron trigger: retries webhook deliveries whose time has come.
#[event(scheduled)]
async fn scheduled(_event: ScheduledEvent, env: Env, _ctx: ScheduleContext) {
    if let Ok(db) = env.d1("DB") {
        webhooks::delivery::send_due(&env, &db).await;
    }
}

/// The visit queue's consumer (and its dead-letter queue's).
#[event(queue)]
async fn queue(batch: MessageBatch<ingest::VisitMsg>, env: Env, _ctx: Context) -> Result<()> {
    ingest::consume(batch, &env).await
}

/// `make bench` (`BENCH=on`): D1 counts in a header, the ingest meter at `/__bench/ingest`.
fn bench_mode(env: &Env) -> bool {
    env.var("BENCH").is_ok_and(|v| v.to_string() == "on")
}

/// Development mode (`ALLOW_LOCALHOST_ORIGINS=true`, set by `make dev`):
/// localhost may call `/t/*` and receive webhooks over plain http.
pub fn dev_mode(env: &Env) -> bool {
    env.var("ALLOW_LOCALHOST_ORIGINS").map(|v| v.to_string() == "true").unwrap_or(false)
}

async fn route(req: Request, env: &Env, ctx: &Context) -> ApiResult<Response> {
    use Method::*;
    let path = req.path();
    let segments: Vec<String> = path
        .trim_matches('/')
        .split('/')
        .map(|s| percent_encoding::percent_decode_str(s).decode_utf8_lossy().into_owned())
        .collect();
    let segs: Vec<&str> = segments.iter().map(String::as_str).collect();
    // HEAD is GET without a body (the runtime drops it).
    let method = match req.method() {
        Head => Get,
        m => m,
    };
    let db = || env.d1("DB").map_err(|e| ApiError::unavailable("d1 binding", e));

    match (method.clone(), segs.as_slice()) {
        (Get, ["health"]) => http::json(200, &serde_json::json!({"ok": true})),
        (Get, ["openapi.json"]) => openapi::document(),
        (Get, ["__bench", "ingest"]) if bench_mode(env) => http::json(200, &ingest::meter::snapshot()),

        // Tracking: public, validated against the program.
        (Get, ["s", "snippet_bg.wasm"]) => tracking::snippet::wasm(),
        (Get, ["s", file]) if file.ends_with(".js") => {
            let public_id = &file[..file.len() - 3];
            let config = programs::store::tracking_config(env, public_id).await?.ok_or_else(|| ApiError::not_found("program"))?;
            tracking::snippet::loader(&http::self_origin(&req), &config)
        }
        (Options, ["t", _]) => tracking::preflight(&req),
        (Post, ["integrations", "stripe", public_id]) => integrations::stripe::receive(req, env, ctx, &db()?, public_id).await,
        (Post, ["t", "visit"]) => tracking::visit(req, env, &db()?).await,
        (Post, ["t", "signup"]) => tracking::signup(req, env, ctx, &db()?).await,

        // Dashboard sign-in: the admin token for a session cookie.
        (Post, ["auth", "login"]) => auth::login(req, env).await,
        (Post, ["auth", "logout"]) => auth::logout(&req),
        (Get, ["auth", "session"]) => auth::current(&req, env),

        // Owner API: admin token or dashboard session. The owner also reaches
        // every program-API path of a program under /v1/programs/{id}/ (the dashboard uses this).
        (_, ["v1", "programs", rest @ ..]) => {
            auth::require_owner(&req, env)?;
            let db = db()?;
            match (method.clone(), rest) {
                (Post, []) => programs::create(req, env, &db).await,
                (Get, []) => programs::list(&req, &db).await,
                (Get, [id]) => programs::get(&req, &db, id).await,
                (Patch, [id]) => programs::update(req, env, &db, id).await,
                (Delete, [id]) => programs::delete(env, &db, id).await,
                (_, [id, "api-keys", tail @ ..]) => {
                    programs::store::get(&db, id).await?;
                    match (method, tail) {
                        (Post, []) => api_keys::create(req, &db, id).await,
                        (Get, []) => api_keys::list(&db, id).await,
                        (Delete, [key_id]) => api_keys::revoke(&db, id, key_id).await,
                        _ => Err(no_route(&segs)),
                    }
                }
                (Get, [id, "ingest"]) => {
                    programs::store::get(&db, id).await?;
                    ingest::report(&db, id).await
                }
                (_, [id, "integrations", tail @ ..]) => {
                    let program = programs::store::get(&db, id).await?;
                    match (method, tail) {
                        (Get, []) => integrations::list(&req, &db, &program).await,
                        (Put, [name]) => integrations::put(req, env, &db, &program, name).await,
                        (Delete, [name]) => integrations::delete(&db, &program, name).await,
                        _ => Err(no_route(&segs)),
                    }
                }
                (Get, [id, "stats"]) => {
                    programs::store::get(&db, id).await?;
                    programs::stats::get(&req, &db, id).await
                }
                (_, [id, tail @ ..]) => {
                    let program = programs::store::get(&db, id).await?;
                    program_api(req, env, ctx, &db, &program, method, tail, &segs).await
                }
                _ => Err(no_route(&segs)),
            }
        }

        // Program API: the program is the API key's.
        (_, ["v1", rest @ ..]) => {
            let db = db()?;
            let program_id = auth::require_program_key(&req, &db, ctx).await?;
            let program = programs::store::get(&db, &program_id).await?;
            program_api(req, env, ctx, &db, &program, method, rest, &segs).await
        }

        _ => Err(no_route(&segs)),
    }
}

fn no_route(segs: &[&str]) -> ApiError {
    ApiError::new(404, "no_route", format!("no route for /{}", segs.join("/")))
}

/// The program API below `/v1/` (or `/v1/programs/{id}/` for the owner).
#[allow(clippy::too_many_arguments)]
async fn program_api(
    req: Request,
    env: &Env,
    ctx: &Context,
    db: &D1Database,
    program: &Program,
    method: Method,
    rest: &[&str],
    segs: &[&str],
) -> ApiResult<Response> {
    use Method::*;
    let pid = program.id.as_str();
    match (method, rest) {
        (Get, ["me"]) => http::json(200, &serde_json::json!({"program": {"id": program.id, "name": program.name, "website_url": program.website_url}})),

        (Post, ["customers"]) => customers::create(req, env, ctx, db, program).await,
        (Get, ["customers"]) => customers::list(&req, db, program, None).await,
        (Get, ["customers", key]) => customers::get(db, program, key).await,
        (Patch, ["customers", key]) => customers::update(req, env, ctx, db, program, key).await,
        (Delete, ["customers", key]) => customers::delete(env, ctx, db, program, key).await,
        (Get, ["customers", key, "referrals"]) => customers::list(&req, db, program, Some(key)).await,
        (Get, ["customers", key, "stats"]) => customers::stats(db, program, key).await,
        (Post, ["customers", key, "credit"]) => customers::credit(req, env, ctx, db, program, key).await,

        (Post, ["signups"]) => tracking::server_signup(req, env, ctx, db, program).await,

        (Post, ["transactions"]) => transactions::create(req, env, ctx, db, program).await,
        (Get, ["transactions"]) => transactions::list(&req, db, program).await,
        (Get, ["transactions", key]) => transactions::get(db, program, key).await,
        (Delete, ["transactions", key]) => transactions::delete(env, ctx, db, program, key).await,

        (Get, ["events"]) => webhooks::recent_events(&req, db, pid).await,

        (Post, ["webhooks"]) => webhooks::create(req, env, db, pid).await,
        (Get, ["webhooks"]) => webhooks::list(db, pid).await,
        (Get, ["webhooks", id]) => webhooks::get(db, pid, id).await,
        (Patch, ["webhooks", id]) => webhooks::update(req, env, db, pid, id).await,
        (Delete, ["webhooks", id]) => webhooks::delete(db, pid, id).await,
        (Get, ["webhooks", id, "deliveries"]) => webhooks::deliveries(&req, db, pid, id).await,
        (Post, ["webhooks", id, "deliveries", delivery, "resend"]) => webhooks::resend(env, db, pid, id, delivery).await,
        (Post, ["webhooks", id, "test"]) => webhooks::send_test(env, ctx, db, pid, id).await,
        (Post, ["webhooks", id, "rotate-secret"]) => webhooks::rotate_secret(db, pid, id).await,

        _ => Err(no_route(segs)),
    }
}
