//! Integration secrets are sealed (AES-256-GCM) before they reach D1.
//!
//! Rotating `SECRETS_KEY` (docs/operations.md): set `SECRETS_KEY_PREVIOUS` to
//! the old value first. Secrets sealed under it still open, and the scheduled
//! run re-seals them under the new key (`reseal_all`), after which the previous
//! key can go.

use super::store;
use crate::error::{ApiError, ApiResult};
use crate::ids;
use edgeref_shared::seal;
use worker::{D1Database, Env};

/// The secret sealing keys derive from: `SECRETS_KEY` if set, else the admin token.
fn current_secret(env: &Env) -> ApiResult<String> {
    env.secret("SECRETS_KEY")
        .or_else(|_| env.secret("ADMIN_TOKEN"))
        .map(|s| s.to_string())
        .map_err(|_| ApiError::unavailable("integrations", "neither SECRETS_KEY nor ADMIN_TOKEN is set"))
}

/// The current sealing key, then the previous one while a rotation is under way.
fn keys(env: &Env) -> ApiResult<Vec<[u8; 32]>> {
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

/// While `SECRETS_KEY_PREVIOUS` is set: re-seals under the current key every
/// stored secret that only the previous key opens. Returns how many, and how
/// many no key opens (those must be entered again).
pub async fn reseal_all(env: &Env, db: &D1Database) -> ApiResult<(usize, usize)> {
    let keys = keys(env)?;
    if keys.len() < 2 {
        return Ok((0, 0));
    }
    let (mut resealed, mut lost) = (0, 0);
    for row in store::all_sealed(db).await? {
        match seal::open_any(&keys, &row.secret) {
            Some((_, 0)) => {}
            Some((plain, _)) => {
                let sealed = seal::seal(&keys[0], &ids::random::<12>(), &plain);
                crate::db::run(store::replace_secret(db, &row.program_id, &row.name, &row.secret, &sealed)).await?;
                resealed += 1;
            }
            None => lost += 1,
        }
    }
    Ok((resealed, lost))
}
