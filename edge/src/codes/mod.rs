//! Public identifiers and the referral-code index the visit path reads.
//!
//! `code:{program_id}:{code}` in KV maps a code to its referring customer's key,
//! so validating a visit costs no D1 read. D1 stays the source of truth: a KV
//! miss falls back to it (and repairs KV).

pub mod store;

use crate::context::{kv, Cx};
use crate::db::{DbError, DbResult};
use crate::error::{ApiError, ApiResult};
use crate::ids;
use edgeref_shared::code::{ReferralCode, MAX_GENERATION_ATTEMPTS};
use store::{holders_of_code, key_by_code};
use worker::Env;

/// A program's public id, as used in `/s/{public_id}.js`: 12 lowercase base32 characters.
pub fn public_id() -> String {
    ids::new_id("p")[2..14].to_owned()
}

/// A fresh random referral code (the caller retries on a collision).
pub fn generate() -> ReferralCode {
    loop {
        if let Some(code) = ReferralCode::generate(&ids::random::<16>()) {
            return code;
        }
    }
}

/// Calls `attempt` with fresh codes until it does not collide, at most
/// `MAX_GENERATION_ATTEMPTS` times (the shared crate's retry contract).
pub async fn with_unique_code<T, F, Fut>(mut attempt: F) -> DbResult<T>
where
    F: FnMut(ReferralCode) -> Fut,
    Fut: std::future::Future<Output = DbResult<T>>,
{
    for _ in 0..MAX_GENERATION_ATTEMPTS {
        match attempt(generate()).await {
            Err(e) if e.conflicts_on("customers.referral_code") => continue,
            other => return other,
        }
    }
    Err(DbError::Unavailable("no unique referral code after retries".into()))
}

fn kv_key(program_id: &str, code: &str) -> String {
    format!("code:{program_id}:{code}")
}

pub async fn remember(env: &Env, program_id: &str, code: &str, customer_key: &str) -> ApiResult<()> {
    HOLDERS.with(|h| h.borrow_mut().remove(code));
    kv(env)?.put(&kv_key(program_id, code), customer_key)?.execute().await.map_err(|e| ApiError::unavailable("kv put", e))
}

pub async fn forget(env: &Env, program_id: &str, code: &str) -> ApiResult<()> {
    OWNERS.with(|o| o.borrow_mut().remove(&kv_key(program_id, code)));
    HOLDERS.with(|h| h.borrow_mut().remove(code));
    kv(env)?.delete(&kv_key(program_id, code)).await.map_err(|e| ApiError::unavailable("kv delete", e))
}

/// Deletes every code of a program from KV (after the program is deleted).
pub async fn forget_program(env: &Env, program_id: &str) -> ApiResult<()> {
    OWNERS.with(|o| o.borrow_mut().clear());
    HOLDERS.with(|h| h.borrow_mut().clear());
    let store = kv(env)?;
    let prefix = format!("code:{program_id}:");
    let mut cursor: Option<String> = None;
    loop {
        let mut list = store.list().prefix(prefix.clone());
        if let Some(c) = cursor.take() {
            list = list.cursor(c);
        }
        let page = list.execute().await.map_err(|e| ApiError::unavailable("kv list", e))?;
        for key in &page.keys {
            store.delete(&key.name).await.map_err(|e| ApiError::unavailable("kv delete", e))?;
        }
        match page.cursor.filter(|_| !page.list_complete) {
            Some(c) => cursor = Some(c),
            None => return Ok(()),
        }
    }
}

thread_local! {
    /// Codes this isolate has seen recently: a busy referral link costs no KV read.
    static OWNERS: std::cell::RefCell<std::collections::HashMap<String, (i64, String)>> = Default::default();
}
/// How long an isolate trusts a code it has seen (a deleted customer's code may
/// still count visits elsewhere for this long; visits carry no money).
const OWNER_TTL_MS: i64 = 60_000;
const OWNER_CACHE_MAX: usize = 10_000;

/// The referring customer's key for a code: isolate, then KV, then D1 on a miss.
pub async fn owner_of(cx: &Cx, program_id: &str, code: &ReferralCode) -> ApiResult<Option<String>> {
    let env = &cx.env;
    let cache_key = kv_key(program_id, code.as_str());
    let now = ids::now_ms();
    let cached = OWNERS.with(|o| o.borrow().get(&cache_key).filter(|(at, _)| now - at < OWNER_TTL_MS).map(|(_, k)| k.clone()));
    if cached.is_some() {
        return Ok(cached);
    }
    let remember_here = |key: &str| {
        OWNERS.with(|o| {
            let mut o = o.borrow_mut();
            if o.len() >= OWNER_CACHE_MAX {
                o.clear(); // crude but bounded: a full cache starts over
            }
            o.insert(cache_key.clone(), (now, key.to_owned()));
        })
    };
    let store = kv(env)?;
    if let Some(key) = store.get(&cache_key).text().await.map_err(|e| ApiError::unavailable("kv get", e))? {
        remember_here(&key);
        return Ok(Some(key));
    }
    let key = key_by_code(&cx.db, program_id, code.as_str()).await?;
    if let Some(key) = &key {
        remember(env, program_id, code.as_str(), key).await?;
        remember_here(key);
    }
    Ok(key)
}

thread_local! {
    /// Code → its holders in every program, for redirect links; unknown codes
    /// too, so a stream of made-up codes costs one D1 read per code and minute.
    static HOLDERS: std::cell::RefCell<std::collections::HashMap<String, (i64, Vec<(String, String)>)>> = Default::default();
}

/// Who holds a code, `(program_id, customer key)` in every program: isolate, then D1
/// (`/r/{code}` names no program). Trusted for `OWNER_TTL_MS`, like `owner_of`.
pub async fn holders(cx: &Cx, code: &ReferralCode) -> ApiResult<Vec<(String, String)>> {
    let now = ids::now_ms();
    let cached = HOLDERS.with(|h| h.borrow().get(code.as_str()).filter(|(at, _)| now - at < OWNER_TTL_MS).map(|(_, v)| v.clone()));
    if let Some(found) = cached {
        return Ok(found);
    }
    let found = holders_of_code(&cx.db, code.as_str()).await?;
    HOLDERS.with(|h| {
        let mut h = h.borrow_mut();
        if h.len() >= OWNER_CACHE_MAX {
            h.clear();
        }
        h.insert(code.as_str().to_owned(), (now, found.clone()));
    });
    Ok(found)
}
