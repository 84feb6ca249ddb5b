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
