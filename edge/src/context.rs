//! What every handler gets besides its request: the bindings, the event's
//! context and the origin the Worker was reached at.

use crate::error::{ApiError, ApiResult};
use worker::{Context, D1Database, Env};

/// One request's context: the Worker's environment, its D1 database and the
/// `fetch` event's context (for work after the response, `wait_until`).
pub struct Cx {
    pub env: Env,
    pub ctx: Context,
    pub db: D1Database,
    /// The origin this request reached the Worker at (`https://edgeref.example.workers.dev`),
    /// for the links it hands out (snippet tags, short links).
    pub origin: String,
}

impl Cx {
    pub fn new(env: Env, ctx: Context, origin: String) -> ApiResult<Self> {
        let db = env.d1("DB").map_err(|e| ApiError::unavailable("d1 binding", e))?;
        Ok(Self { env, ctx, db, origin })
    }

    /// Development mode (`ALLOW_LOCALHOST_ORIGINS=true`, set by `make dev`):
    /// localhost may call `/t/*` and receive webhooks over plain http.
    pub fn dev_mode(&self) -> bool {
        flag(&self.env, "ALLOW_LOCALHOST_ORIGINS", "true")
    }

    /// `make bench` (`BENCH=on`): D1 counts in a header, the ingest meter at `/__bench/ingest`.
    pub fn bench_mode(&self) -> bool {
        flag(&self.env, "BENCH", "on")
    }
}

fn flag(env: &Env, name: &str, on: &str) -> bool {
    env.var(name).is_ok_and(|v| v.to_string() == on)
}
