//! Sales as the rest of the Worker records them (the API and Stripe checkouts):
//! a sale and the rewards it earns in one batch, idempotent on its key; refunds
//! and deletions reverse what it earned.

use super::model::{friend_share, TransactionRow};
use super::store;
use crate::change::Change;
use crate::context::Cx;
use crate::customers::model::CustomerRow;
use crate::customers::service as customers;
use crate::db::{self, DbError, Stmt};
use crate::error::{ApiError, ApiResult};
use crate::programs::model::Program;
use crate::rewards::service::{self as rewards, Earning};
use crate::{audit, ids};
use edgeref_shared::fraud::Flag;
use edgeref_shared::reward::{reversal, LedgerKind, RewardKind};
use edgeref_shared::webhook::EventKind;
use serde_json::json;

/// A validated sale, ready to be recorded.
pub struct Sale {
    pub key: String,
    pub customer: CustomerRow,
    pub amount: i64,
    pub currency: String,
    pub product_id: Option<String>,
    /// Fingerprint of the request, to tell a retry from a different sale with the same key.
    pub request_hash: String,
}

/// Whether `record` wrote a new transaction or found the same one already there.
pub enum Recorded {
    Created(TransactionRow),
    Replayed(TransactionRow),
}

/// What undoing part of a sale does to the rewards it earned: each reward
/// (the referrer's, the friend's) loses `share` of what it was earned with.
pub async fn reverse_rewards(cx: &Cx, program: &Program, t: &TransactionRow, share: impl Fn(i64) -> i64, kind: LedgerKind, reason: &str, now: i64) -> ApiResult<Vec<Stmt>> {
    let rows = crate::rewards::store::of_transaction(&cx.db, &program.id, &t.key).await?;
    Ok(rows
        .iter()
        .flat_map(|r| {
            let earned = if r.kind == RewardKind::Friend { t.friend_reward } else { t.reward };
            rewards::reverse(&cx.db, &program.id, r, share(earned), kind, reason, now)
        })
        .collect())
}

/// The rewards a sale earns: the referrer's share and the buyer's friend share.
fn sale_earnings<'a>(t: &'a TransactionRow, flags: &'a [Flag]) -> Vec<Earning<'a>> {
    let referrer = t.referrer_key.as_deref().map(|k| Earning { customer_key: k, referred_key: &t.customer_key, kind: RewardKind::Referrer, amount: t.reward, transaction_key: Some(&t.key), flags });
    let friend = Earning { customer_key: &t.customer_key, referred_key: &t.customer_key, kind: RewardKind::Friend, amount: t.friend_reward, transaction_key: Some(&t.key), flags };
    referrer.into_iter().chain([friend]).collect()
}

/// The row a sale becomes, with what it earns the referrer and the friend.
fn new_row(program: &Program, sale: &Sale, now: i64) -> TransactionRow {
    let referrer_key = sale.customer.referred_by.clone();
    TransactionRow {
        id: 0,
        key: sale.key.clone(),
        customer_key: sale.customer.key.clone(),
        reward: referrer_key.as_ref().map_or(0, |_| program.rewards.referrer.for_sale(sale.amount)),
        referrer_key,
        amount: sale.amount,
        currency: sale.currency.clone(),
        product_id: sale.product_id.clone(),
        friend_reward: friend_share(sale.customer.friend_reward.as_deref(), sale.amount),
        refunded: 0,
        request_hash: sale.request_hash.clone(),
        created_at: now,
    }
}

/// Records a sale with the rewards it earns and its `transaction.created` event
/// in one batch. Idempotent on the key: the same sale again is `Replayed`, a
/// different sale with the same key is a 409, and of concurrent duplicates
/// exactly one is `Created`.
pub async fn record(cx: &Cx, program: &Program, sale: Sale) -> ApiResult<Recorded> {
    let replay = |existing: TransactionRow| {
        if existing.request_hash == sale.request_hash {
            Ok(Recorded::Replayed(existing))
        } else {
            Err(ApiError::conflict("a different transaction already used this key").with_field("key"))
        }
    };
    if let Some(existing) = store::by_key(&cx.db, &program.id, &sale.key).await? {
        return replay(existing);
    }
    if sale.currency != program.currency {
        return Err(currency_mismatch(program));
    }
    let row = new_row(program, &sale, ids::now_ms());
    let signup_flags: Vec<Flag> = sale.customer.flags();
    let flags = match &row.referrer_key {
        Some(referrer) => customers::reward_flags(cx, program, referrer, &signup_flags).await?,
        None => signup_flags,
    };
    // The currency was checked against the program as read: the guard holds it to that until the sale is in.
    let change = Change::new(cx, &program.id, EventKind::TransactionCreated)
        .statements([store::currency_guard(&cx.db, &program.id, &row.currency), store::insert(&cx.db, &program.id, &row)])
        .event(&row.view())
        .and(rewards::earn(&cx.db, program, &sale_earnings(&row, &flags), row.created_at))
        .audit(("transaction", &row.key), audit::created(&audited(&row)));
    match change.commit().await {
        Ok(()) => {}
        // The program's currency changed while this sale was on its way.
        Err(e) if e.conflicts_on(db::GUARD) => return Err(ApiError::new(422, "currency_mismatch", "the program's currency changed meanwhile; read the program again").with_field("currency")),
        // A concurrent request with the same key committed first: exactly one transaction exists.
        Err(e @ DbError::Conflict { .. }) => return replay(store::by_key(&cx.db, &program.id, &sale.key).await?.ok_or_else(|| ApiError::from(e))?),
        Err(e) => return Err(e.into()),
    }
    Ok(Recorded::Created(row))
}

/// A sale in another currency than the program's: balances never mix currencies.
/// What the audit log shows of a transaction.
pub fn audited(t: &TransactionRow) -> serde_json::Value {
    json!({"customer": t.customer_key, "amount": t.amount, "currency": t.currency, "refunded": t.refunded, "product_id": t.product_id})
}

pub fn currency_mismatch(program: &Program) -> ApiError {
    ApiError::new(422, "currency_mismatch", format!("this program pays rewards in {}; record the sale in {} too", program.currency, program.currency)).with_field("currency")
}

/// Applies a refund reported as the sale's cumulative refunded amount (as
/// Stripe reports it): reverses the matching share of both rewards. Replays of
/// the same total change nothing. Returns whether anything changed.
pub async fn refund(cx: &Cx, program: &Program, key: &str, refunded_total: i64) -> ApiResult<bool> {
    // Each attempt is a compare-and-set on the refunded amount it read (see
    // `store::refund`); a concurrent refund makes it re-read and recompute.
    for _ in 0..3 {
        let t = store::by_key(&cx.db, &program.id, key).await?.ok_or_else(|| ApiError::not_found("transaction"))?;
        let after = refunded_total.clamp(0, t.amount);
        if after <= t.refunded {
            return Ok(false);
        }
        let now = ids::now_ms();
        let mut stmts = store::refund(&cx.db, &program.id, &t, after, now);
        stmts.extend(reverse_rewards(cx, program, &t, |earned| reversal(earned, t.amount, t.refunded, after), LedgerKind::Refund, "refund", now).await?);
        match db::batch(&cx.db, stmts).await {
            Ok(()) => return Ok(true),
            Err(DbError::Conflict { .. }) => continue,
            Err(e) => return Err(e.into()),
        }
    }
    Err(ApiError::conflict("the transaction is being refunded concurrently; retry"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(referrer: Option<&str>) -> TransactionRow {
        TransactionRow::sample(referrer, 1000, 500)
    }

    #[test]
    fn a_sale_earns_the_referrer_share_and_the_buyers_friend_share_with_the_signups_flags() {
        let flags = [Flag::LookalikeEmail];
        let t = row(Some("ann"));
        let earned: Vec<_> = sale_earnings(&t, &flags).iter().map(|e| (e.customer_key, e.kind, e.amount, e.transaction_key, e.flags.len())).collect();
        assert_eq!(earned, [("ann", RewardKind::Referrer, 1000, Some("t1"), 1), ("bob", RewardKind::Friend, 500, Some("t1"), 1)]);
        let unreferred = row(None);
        assert_eq!(sale_earnings(&unreferred, &[]).iter().map(|e| e.kind).collect::<Vec<_>>(), [RewardKind::Friend]);
    }
}
