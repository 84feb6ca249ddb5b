//! Integration secrets are sealed (AES-256-GCM) before they reach D1.

use crate::error::{ApiError, ApiResult};
use crate::ids;
use edgeref_shared::seal;
use worker::Env;

/// The sealing key: `SECRETS_KEY` if set, else derived from the admin token.
fn sealing_key(env: &Env) -> ApiResult<[u8; 32]> {
    let secret = env
        .secret("SECRETS_KEY")
        .or_else(|_| env.secret("ADMIN_TOKEN"))
        .map(|s| s.to_string())
        .map_err(|_| ApiError::unavailable("integrations", "neither SECRETS_KEY nor ADMIN_TOKEN is set"))?;
    Ok(seal::key_from_secret(&secret))
}

pub fn seal(env: &Env, plaintext: &str) -> ApiResult<String> {
    Ok(seal::seal(&sealing_key(env)?, &ids::random::<12>(), plaintext))
}

pub fn open(env: &Env, sealed: &str) -> ApiResult<String> {
    seal::open(&sealing_key(env)?, sealed).ok_or_else(|| ApiError::unavailable("integrations", "a stored secret cannot be opened: was SECRETS_KEY changed?"))
}
