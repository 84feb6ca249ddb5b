//! The referrer portal's own query: the friends a customer referred, as the
//! customer may see them (the rest comes from `customers::store`).

use crate::db;
use crate::error::ApiResult;
use crate::sql;
use serde::Deserialize;
use worker::D1Database;

/// At most this many friends, newest first; `stats.signups` has the full count.
pub const MAX_REFERRALS: i64 = 100;

/// A referred friend, before masking: never their key.
#[derive(Debug, Deserialize)]
pub struct Referral {
    pub name: Option<String>,
    pub email: String,
    pub created_at: i64,
    /// 1 when they bought through this referrer (a sale not fully refunded).
    pub purchased: i64,
}

pub async fn referrals(db: &D1Database, program_id: &str, referrer_key: &str) -> ApiResult<Vec<Referral>> {
    db::all(sql!(
        db,
        "SELECT c.name, c.email, c.created_at,
           EXISTS (SELECT 1 FROM transactions t WHERE t.program_id = c.program_id AND t.customer_key = c.key AND t.referrer_key = c.referred_by AND t.refunded < t.amount) AS purchased
         FROM customers c WHERE c.program_id = ?1 AND c.referred_by = ?2 ORDER BY c.id DESC LIMIT ?3",
        program_id,
        referrer_key,
        MAX_REFERRALS
    ))
    .await
}

/// Counts one more event under `key` in its fixed window; returns the count so far.
pub async fn count(db: &D1Database, key: &str, window_no: i64) -> ApiResult<i64> {
    #[derive(Deserialize)]
    struct Count {
        count: i64,
    }
    let row: Option<Count> = db::first(sql!(
        db,
        "INSERT INTO rate_counters (key, window_no, count) VALUES (?1, ?2, 1)
         ON CONFLICT (key) DO UPDATE SET count = CASE WHEN window_no = ?2 THEN count + 1 ELSE 1 END, window_no = ?2
         RETURNING count",
        key,
        window_no
    ))
    .await?;
    Ok(row.map_or(1, |r| r.count))
}

/// Stores the address's one live code (replacing an earlier one).
pub fn put_code(db: &D1Database, program_id: &str, address: &str, code_hash: &str, tries: i64, expires_at: i64) -> db::Stmt {
    sql!(
        db,
        "INSERT INTO sign_in_codes (program_id, address, code_hash, tries_left, expires_at) VALUES (?1, lower(?2), ?3, ?4, ?5)
         ON CONFLICT (program_id, address) DO UPDATE SET code_hash = ?3, tries_left = ?4, expires_at = ?5",
        program_id,
        address,
        code_hash,
        tries,
        expires_at
    )
}

/// Spends one try on the address's live code and returns its hash; `None` when there
/// is no live code (none sent, expired, or its tries used up).
pub async fn spend_try(db: &D1Database, program_id: &str, address: &str, now: i64) -> ApiResult<Option<String>> {
    #[derive(Deserialize)]
    struct Live {
        code_hash: String,
    }
    let row: Option<Live> = db::first(sql!(
        db,
        "UPDATE sign_in_codes SET tries_left = tries_left - 1
         WHERE program_id = ?1 AND address = lower(?2) AND tries_left > 0 AND expires_at > ?3 RETURNING code_hash",
        program_id,
        address,
        now
    ))
    .await?;
    Ok(row.map(|r| r.code_hash))
}

/// Uses the code up; true for the one request that does (two racing sign-ins: one wins).
pub async fn consume(db: &D1Database, program_id: &str, address: &str, code_hash: &str) -> ApiResult<bool> {
    #[derive(Deserialize)]
    struct Gone {}
    let gone: Vec<Gone> =
        db::all(sql!(db, "DELETE FROM sign_in_codes WHERE program_id = ?1 AND address = lower(?2) AND code_hash = ?3 RETURNING 1 AS one", program_id, address, code_hash))
            .await?;
    Ok(!gone.is_empty())
}

/// Drops expired codes and finished rate windows (the scheduled run).
pub async fn prune(db: &D1Database, now: i64, window_no: i64) -> ApiResult<()> {
    db::batch(
        db,
        vec![
            sql!(db, "DELETE FROM sign_in_codes WHERE expires_at <= ?1", now),
            sql!(db, "DELETE FROM rate_counters WHERE window_no < ?1", window_no),
        ],
    )
    .await?;
    Ok(())
}
