//! Re-sealing: while `SECRETS_KEY_PREVIOUS` is set, the scheduled run moves every stored
//! integration secret to the current key (docs/operations.md).

use super::store;
use crate::error::ApiResult;
use crate::{ids, sealed};
use edgeref_shared::seal;
use worker::{D1Database, Env};

/// While `SECRETS_KEY_PREVIOUS` is set: re-seals under the current key every
/// stored secret that only the previous key opens. Returns how many, and how
/// many no key opens (those must be entered again).
pub async fn reseal_all(env: &Env, db: &D1Database) -> ApiResult<(usize, usize)> {
    let keys = sealed::keys(env)?;
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
