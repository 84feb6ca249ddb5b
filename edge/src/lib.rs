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
mod programs;
mod tracking;

use error::{ApiError, ApiResult};
use worker::{event, Context, Env, Method, Request, Response, Result};

#[event(fetch)]
async fn fetch(req: Request, env: Env, ctx: Context) -> Result<Response> {
    match route(req, &env, &ctx).await {
        Ok(response) => Ok(response),
        Err(e) => e.into_response(),
    }
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

        // Tracking: public, validated against the program.
        (Get, ["s", "snippet_bg.wasm"]) => tracking::snippet::wasm(),
        (Get, ["s", file]) if file.ends_with(".js") => {
            let public_id = &file[..file.len() - 3];
            let config = programs::store::tracking_config(env, public_id).await?.ok_or_else(|| ApiError::not_found("program"))?;
            tracking::snippet::loader(&http::self_origin(&req), &config)
        }
        (Options, ["t", _]) => tracking::preflight(&req),
        (Post, ["t", "visit"]) => tracking::visit(req, env, &db()?).await,
        (Post, ["t", "signup"]) => tracking::signup(req, env, &db()?).await,

        // Owner API: admin token.
        (_, ["v1", "programs", ..]) => {
            auth::require_owner(&req, env)?;
            let db = db()?;
            match (method, &segs[2..]) {
                (Post, []) => programs::create(req, env, &db).await,
                (Get, []) => programs::list(&req, &db).await,
                (Get, [id]) => programs::get(&req, &db, id).await,
                (Patch, [id]) => programs::update(req, env, &db, id).await,
                (Delete, [id]) => programs::delete(env, &db, id).await,
                (Post, [id, "api-keys"]) => {
                    programs::store::get(&db, id).await?;
                    api_keys::create(req, &db, id).await
                }
                (Get, [id, "api-keys"]) => {
                    programs::store::get(&db, id).await?;
                    api_keys::list(&db, id).await
                }
                (Delete, [id, "api-keys", key_id]) => api_keys::revoke(&db, id, key_id).await,
                _ => Err(no_route(&segs)),
            }
        }

        // Program API: the program is the API key's.
        (_, ["v1", "customers", ..]) => {
            let db = db()?;
            let program_id = auth::require_program_key(&req, &db, ctx).await?;
            let program = programs::store::get(&db, &program_id).await?;
            match (method, &segs[2..]) {
                (Post, []) => customers::create(req, env, &db, &program).await,
                (Get, [key]) => customers::get(&db, &program, key).await,
                (Get, [key, "stats"]) => customers::stats(&db, &program, key).await,
                _ => Err(no_route(&segs)),
            }
        }

        _ => Err(no_route(&segs)),
    }
}

fn no_route(segs: &[&str]) -> ApiError {
    ApiError::new(404, "no_route", format!("no route for /{}", segs.join("/")))
}
