//! What every handler gets besides its request: the bindings, the event's
//! context and the origin the Worker was reached at.

use crate::error::{ApiError, ApiResult};
use edgeref_shared::audit::Actor;
use std::cell::OnceCell;
use worker::{Context, D1Database, Env, KvStore, Request};

/// Who sent the request, once authenticated: what the audit log records.
pub struct Caller {
    pub actor: Actor,
    /// A keyed hash of `CF-Connecting-IP` (`Cx::ip_hash`).
    pub ip_hash: Option<String>,
}

/// One request's context: the Worker's environment, its D1 database and the
/// `fetch` event's context (for work after the response, `wait_until`).
pub struct Cx {
    pub env: Env,
    pub ctx: Context,
    pub db: D1Database,
    /// The origin this request reached the Worker at (`https://edgeref.example.workers.dev`),
    /// for the links it hands out (snippet tags, short links).
    pub origin: String,
    /// Set by the router once the caller is authenticated; unset on public routes.
    caller: OnceCell<Caller>,
}

impl Cx {
    pub fn new(env: Env, ctx: Context, origin: String) -> ApiResult<Self> {
        let db = env.d1("DB").map_err(|e| ApiError::unavailable("d1 binding", e))?;
        Ok(Self { env, ctx, db, origin, caller: OnceCell::new() })
    }

    /// Remembers who is calling (the first time only: a request has one caller).
    pub fn set_caller(&self, actor: Actor, req: &Request) {
        let ip = req.headers().get("cf-connecting-ip").ok().flatten().unwrap_or_default();
        let _ = self.caller.set(Caller { actor, ip_hash: self.ip_hash(&ip) });
    }

    /// The authenticated caller, if any (none on public routes and in the scheduled run).
    pub fn caller(&self) -> Option<&Caller> {
        self.caller.get()
    }

    /// A keyed hash of a client IP (keyed by the Worker's secret, so the stored
    /// value cannot be reversed by trying every address). `None` without an IP.
    pub fn ip_hash(&self, ip: &str) -> Option<String> {
        if ip.is_empty() {
            return None;
        }
        let key = worker_secret(&self.env).unwrap_or_default();
        Some(edgeref_shared::apikey::sha256_hex(&format!("edgeref-ip|{key}|{ip}"))[..32].to_owned())
    }

    /// Development mode (`ALLOW_LOCALHOST_ORIGINS=true`, set by `make dev`):
    /// localhost may call `/t/*` and receive webhooks over plain http.
    pub fn dev_mode(&self) -> bool {
        dev_mode(&self.env)
    }

    #[cfg(feature = "bench")]
    /// `make bench` (`BENCH=on`): D1 counts in a header, the ingest meter at `/__bench/ingest`.
    pub fn bench_mode(&self) -> bool {
        flag(&self.env, "BENCH", "on")
    }
}

fn flag(env: &Env, name: &str, on: &str) -> bool {
    env.var(name).is_ok_and(|v| v.to_string() == on)
}

/// The `CONFIG` KV namespace: programs' tracking configs and referral codes, read on the hot paths.
pub fn kv(env: &Env) -> ApiResult<KvStore> {
    env.kv("CONFIG").map_err(|e| ApiError::unavailable("kv binding", e))
}

/// The Worker secret keys are made from (`SECRETS_KEY`, else `ADMIN_TOKEN`), when one is set.
pub fn worker_secret(env: &Env) -> Option<String> {
    let secret = env.secret("SECRETS_KEY").or_else(|_| env.secret("ADMIN_TOKEN")).ok()?.to_string();
    (!secret.is_empty()).then_some(secret)
}

/// A Worker variable or secret, when set and not empty.
pub fn setting(env: &Env, name: &str) -> Option<String> {
    let value = env.secret(name).map(|s| s.to_string()).or_else(|_| env.var(name).map(|v| v.to_string())).ok()?;
    (!value.is_empty()).then_some(value)
}

/// Development mode as `Cx::dev_mode` tells it, where there is no request (the scheduled run).
pub fn dev_mode(env: &Env) -> bool {
    flag(env, "ALLOW_LOCALHOST_ORIGINS", "true")
}
