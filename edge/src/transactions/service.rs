//! Sales as the rest of the Worker records them (the API and Stripe checkouts):
//! a sale and the rewards it earns in one batch, idempotent on its key; refunds
//! and deletions reverse what it earned.

use super::model::{friend_share, TransactionRow};
use super::store::{self, History};
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
use edgeref_shared::reward::{milestones_due, reversal, LedgerKind, Milestone, RewardKind};
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

/// The rewards a sale earns: the referrer's share, the buyer's friend share, and the referrer's
/// milestone bonuses it reaches (`due`), which belong to no sale (a refund leaves them).
fn sale_earnings<'a>(t: &'a TransactionRow, flags: &'a [Flag], due: &[Milestone]) -> Vec<Earning<'a>> {
    let referrer = t.referrer_key.as_deref().map(|k| Earning { customer_key: k, referred_key: &t.customer_key, kind: RewardKind::Referrer, amount: t.reward, transaction_key: Some(&t.key), flags, milestone: None });
    let friend = Earning { customer_key: &t.customer_key, referred_key: &t.customer_key, kind: RewardKind::Friend, amount: t.friend_reward, transaction_key: Some(&t.key), flags, milestone: None };
    let bonuses = t.referrer_key.as_deref().into_iter().flat_map(|k| {
        due.iter().map(move |m| Earning { customer_key: k, referred_key: &t.customer_key, kind: RewardKind::Milestone, amount: m.amount, transaction_key: None, flags, milestone: Some(m.friends) })
    });
    referrer.into_iter().chain([friend]).chain(bonuses).collect()
}

/// Whether a referred sale must read its history first: a limited referrer rule or milestones.
fn reads_history(program: &Program) -> bool {
    program.rewards.referrer.limit().is_some() || !program.rewards.milestones.is_empty()
}

/// The milestones a sale brings its referrer to: with it, the friend is paying (if not yet).
fn due_milestones(program: &Program, h: &History) -> (u32, Vec<Milestone>) {
    let paying = h.paying_friends + u32::from(h.friend_sales == 0);
    let paid: Vec<u32> = serde_json::from_str(&h.paid_milestones).unwrap_or_default();
    (paying, milestones_due(&program.rewards.milestones, paying, &paid))
}

/// The row a sale becomes, with what it earns the referrer (under the rule's limit, from the
/// friend's `history`) and the friend.
fn new_row(program: &Program, sale: &Sale, history: &History, now: i64) -> TransactionRow {
    let referrer_key = sale.customer.referred_by.clone();
    TransactionRow {
        id: 0,
        key: sale.key.clone(),
        customer_key: sale.customer.key.clone(),
        reward: referrer_key.as_ref().map_or(0, |_| program.rewards.referrer.for_friends_sale(sale.amount, history.friend_sales, history.first_sale_at, now)),
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
/// exactly one is `Created`. With a limited rule or milestones, the friend's and referrer's
/// history it read is guarded in the batch (and each milestone reward is unique): a concurrent
/// sale of the same referrer's friends makes it read again, so a milestone is paid once.
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
    let signup_flags: Vec<Flag> = sale.customer.flags();
    let referrer = sale.customer.referred_by.as_deref().filter(|_| reads_history(program));
    let flags = match &sale.customer.referred_by {
        Some(referrer) => customers::reward_flags(cx, program, referrer, &signup_flags).await?,
        None => signup_flags,
    };
    let currency_changed = || ApiError::new(422, "currency_mismatch", "the program's currency changed meanwhile; read the program again").with_field("currency");
    for _ in 0..4 {
        let history = match referrer {
            Some(r) => store::history(&cx.db, &program.id, &sale.customer.key, r).await?,
            None => History::default(),
        };
        let row = new_row(program, &sale, &history, ids::now_ms());
        let (paying, due) = if referrer.is_some() { due_milestones(program, &history) } else { (0, Vec::new()) };
        // The currency was checked against the program as read: the guard holds it to that until the sale is in.
        let mut stmts = vec![store::currency_guard(&cx.db, &program.id, &row.currency), store::insert(&cx.db, &program.id, &row)];
        stmts.extend(referrer.map(|r| store::history_guard(&cx.db, &program.id, &row.customer_key, r, history.friend_sales + 1, paying)));
        let change = Change::new(cx, &program.id, EventKind::TransactionCreated)
            .statements(stmts)
            .event(&row.view())
            .and(rewards::earn(&cx.db, program, &sale_earnings(&row, &flags, &due), row.created_at))
            .audit(("transaction", &row.key), audit::created(&audited(&row)));
        match change.commit().await {
            Ok(()) => return Ok(Recorded::Created(row)),
            // Another sale of the referrer's friends came first: read what it changed, and again.
            Err(e) if referrer.is_some() && (e.conflicts_on(db::GUARD) || e.conflicts_on("rewards.milestone")) => continue,
            // The program's currency changed while this sale was on its way.
            Err(e) if e.conflicts_on(db::GUARD) => return Err(currency_changed()),
            // A concurrent request with the same key committed first: exactly one transaction exists.
            Err(e @ DbError::Conflict { .. }) => return replay(store::by_key(&cx.db, &program.id, &sale.key).await?.ok_or_else(|| ApiError::from(e))?),
            Err(e) => return Err(e.into()),
        }
    }
    // Four rounds lost: to other sales of the same referrer's friends, or to a currency change.
    let now = crate::programs::store::get(&cx.db, &program.id).await?;
    Err(if now.currency != program.currency {
        currency_changed()
    } else {
        ApiError::conflict("other sales of this referrer's friends kept coming first: send it again (its key makes that safe)")
    })
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
    refund_with(cx, program, key, |_| refunded_total, &Vec::new).await
}

/// `refund` with the cumulative total computed from the refunded amount read (a provider that
/// reports each refund's own amount) and `extra` statements in its batch: a UNIQUE conflict on
/// `billing_refunds.refund_id` there means this refund was applied already (`Ok(false)`).
pub async fn refund_with(cx: &Cx, program: &Program, key: &str, total: impl Fn(i64) -> i64, extra: &dyn Fn() -> Vec<Stmt>) -> ApiResult<bool> {
    // Each attempt is a compare-and-set on the refunded amount it read (see
    // `store::refund`); a concurrent refund makes it re-read and recompute.
    for _ in 0..3 {
        let t = store::by_key(&cx.db, &program.id, key).await?.ok_or_else(|| ApiError::not_found("transaction"))?;
        let after = total(t.refunded).clamp(0, t.amount);
        if after <= t.refunded {
            return Ok(false);
        }
        let now = ids::now_ms();
        let mut stmts = store::refund(&cx.db, &program.id, &t, after, now);
        stmts.extend(reverse_rewards(cx, program, &t, |earned| reversal(earned, t.amount, t.refunded, after), LedgerKind::Refund, "refund", now).await?);
        stmts.extend(extra());
        match db::batch(&cx.db, stmts).await {
            Ok(()) => return Ok(true),
            Err(e) if e.conflicts_on("billing_refunds.refund_id") => return Ok(false),
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
        let earned: Vec<_> = sale_earnings(&t, &flags, &[]).iter().map(|e| (e.customer_key, e.kind, e.amount, e.transaction_key, e.flags.len())).collect();
        assert_eq!(earned, [("ann", RewardKind::Referrer, 1000, Some("t1"), 1), ("bob", RewardKind::Friend, 500, Some("t1"), 1)]);
        let unreferred = row(None);
        assert_eq!(sale_earnings(&unreferred, &[], &[Milestone { friends: 1, amount: 5 }]).iter().map(|e| e.kind).collect::<Vec<_>>(), [RewardKind::Friend]);
    }

    #[test]
    fn a_sale_reaching_milestones_earns_each_as_a_bonus_of_its_own() {
        let t = row(Some("ann"));
        let due = [Milestone { friends: 3, amount: 2_000 }];
        let bonus: Vec<_> = sale_earnings(&t, &[], &due).into_iter().filter(|e| e.kind == RewardKind::Milestone).map(|e| (e.customer_key, e.referred_key, e.amount, e.transaction_key, e.milestone)).collect();
        assert_eq!(bonus, [("ann", "bob", 2_000, None, Some(3))], "the referrer's, tied to no sale");
    }

    #[test]
    fn a_friends_first_sale_makes_them_paying_and_may_reach_a_milestone() {
        let program = Program::sample(edgeref_shared::reward::RewardRules { milestones: vec![Milestone { friends: 2, amount: 900 }, Milestone { friends: 3, amount: 1_500 }], ..Default::default() });
        let first = History { friend_sales: 0, first_sale_at: None, paying_friends: 1, paid_milestones: "[]".into() };
        assert_eq!(due_milestones(&program, &first), (2, vec![Milestone { friends: 2, amount: 900 }]));
        let again = History { friend_sales: 4, paying_friends: 2, paid_milestones: "[2]".into(), ..first };
        assert_eq!(due_milestones(&program, &again), (2, vec![]), "a friend's later sale adds no paying friend");
        assert!(reads_history(&program));
        assert!(!reads_history(&Program::sample(Default::default())));
    }
}
