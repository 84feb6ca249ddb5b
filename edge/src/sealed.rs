//! Secrets sealed (AES-256-GCM) before they reach D1: integration credentials. Used by the
//! integrations that store them and by the outbox that sends with them, so it depends on
//! neither (re-sealing every stored secret is `integrations::secrets`).
//!
//! Rotating `SECRETS_KEY` (docs/operations.md): set `SECRETS_KEY_PREVIOUS` to
//! the old value first. Secrets sealed under it still open, and the scheduled
//! run re-seals them under the new key, after which the previous key can go.

use crate::error::{ApiError, ApiResult};
use crate::ids;
use edgeref_shared::seal;
use worker::Env;

/// The secret sealing keys derive from: `SECRETS_KEY` if set, else the admin token.
fn current_secret(env: &Env) -> ApiResult<String> {
    env.secret("SECRETS_KEY")
        .or_else(|_| env.secret("ADMIN_TOKEN"))
        .map(|s| s.to_string())
        .map_err(|_| ApiError::unavailable("integrations", "neither SECRETS_KEY nor ADMIN_TOKEN is set"))
}

/// The current sealing key, then the previous one while a rotation is under way.
pub fn keys(env: &Env) -> ApiResult<Vec<[u8; 32]>> {
    let mut keys = vec![seal::key_from_secret(&current_secret(env)?)];
    if let Ok(previous) = env.secret("SECRETS_KEY_PREVIOUS") {
        keys.push(seal::key_from_secret(&previous.to_string()));
    }
    Ok(keys)
}

pub fn seal(env: &Env, plaintext: &str) -> ApiResult<String> {
    Ok(seal::seal(&keys(env)?[0], &ids::random::<12>(), plaintext))
}

pub fn open(env: &Env, sealed: &str) -> ApiResult<String> {
    seal::open_any(&keys(env)?, sealed)
        .map(|(plain, _)| plain)
        .ok_or_else(|| ApiError::unavailable("integrations", "a stored secret cannot be opened: was SECRETS_KEY changed without SECRETS_KEY_PREVIOUS?"))
}
