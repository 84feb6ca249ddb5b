//! Rewards: what referrers and friends earn, held, reviewed and paid.
//! `/v1/rewards` lists them and the owner approves or rejects pending ones;
//! `earn` records new ones (signups, sales), `reverse` takes back a refunded
//! sale's share, `approve_due` is the scheduled run's approval of held rewards.

pub mod model;
pub mod store;

use crate::change::Change;
use crate::context::Cx;
use crate::ledger::{self, LedgerEntry};
use crate::db::{self, DbError, Stmt};
use crate::error::{ApiError, ApiResult};
use crate::http::{bool_param, cursor_param, json, json_body, limit_param, page, query_param};
use crate::programs::model::Program;
use crate::{audit, ids, outbox};
use edgeref_shared::webhook::EventKind;
use edgeref_shared::fraud::Flag;
use edgeref_shared::lifecycle::{self, RewardAction, RewardStatus};
use edgeref_shared::reward::LedgerKind;
use edgeref_shared::{time, validate};
use model::{flags_json, RewardRow};
use worker::{D1Database, Request, Response};

/// Who earns a new reward, how much, and on what grounds.
pub struct Earning<'a> {
    pub customer_key: &'a str,
    /// The referred customer whose signup or sale it is.
    pub referred_key: &'a str,
    /// `referrer` or `friend`.
    pub kind: &'static str,
    pub amount: i64,
    pub transaction_key: Option<&'a str>,
    pub flags: &'a [Flag],
}

/// The new reward row for an earning, in its initial status.
pub fn new_row(program: &Program, e: &Earning, now: i64) -> RewardRow {
    let (status, available_at) = lifecycle::initial(now, program.rewards.hold_days, program.rewards.approval, !e.flags.is_empty());
    RewardRow {
        id: ids::new_id("rwd"),
        customer_key: e.customer_key.to_owned(),
        referred_key: Some(e.referred_key.to_owned()),
        kind: e.kind.to_owned(),
        amount: e.amount,
        currency: program.currency.clone(),
        status: status.as_str().to_owned(),
        flags: flags_json(e.flags),
        transaction_key: e.transaction_key.map(str::to_owned),
        available_at,
        created_at: now,
        decided_at: (status == RewardStatus::Approved).then_some(now),
        reason: None,
        payout_id: None,
    }
}

/// The statements that record new rewards (zero amounts are skipped): each
/// row, its `reward.created` event, and for one approved at once its ledger
/// entry and balance change. Returns the statements and the event ids.
pub fn earn(db: &D1Database, program: &Program, earnings: &[Earning], now: i64) -> (Vec<Stmt>, Vec<String>) {
    let (mut stmts, mut events) = (Vec::new(), Vec::new());
    for e in earnings.iter().filter(|e| e.amount > 0) {
        let row = new_row(program, e, now);
        stmts.push(store::insert(db, &program.id, &row));
        if row.status() == Some(RewardStatus::Approved) {
            let entry = LedgerEntry { customer_key: e.customer_key, amount: e.amount, kind: LedgerKind::Reward, transaction_key: e.transaction_key, note: Some(e.kind), at: now };
            stmts.extend(ledger::store::statements(db, &program.id, &entry));
        }
        let event = outbox::event(db, &program.id, EventKind::RewardCreated, &row.view());
        stmts.extend(event.statements);
        events.push(event.id);
    }
    (stmts, events)
}

/// What reversing `by` of a reward does: a pending one just shrinks; an
/// approved one shrinks and leaves the balance; a paid one stays paid and the
/// balance takes a negative adjustment that the next payout nets out.
pub fn reverse(db: &D1Database, program_id: &str, r: &RewardRow, by: i64, kind: LedgerKind, reason: &str, now: i64) -> Vec<Stmt> {
    let by = by.min(r.amount);
    let status = r.status();
    if by <= 0 || matches!(status, None | Some(RewardStatus::Rejected | RewardStatus::Reversed)) {
        return Vec::new();
    }
    let mut stmts = store::reduce(db, r, by, reason, now);
    if matches!(status, Some(RewardStatus::Approved | RewardStatus::Paid)) {
        let entry = LedgerEntry { customer_key: &r.customer_key, amount: -by, kind, transaction_key: r.transaction_key.as_deref(), note: Some(reason), at: now };
        stmts.extend(ledger::store::statements(db, program_id, &entry));
    }
    stmts
}

use edgeref_shared::api::RejectReward as Rejection;

/// `GET /v1/rewards?status=&customer=&flagged=&limit=&cursor=`, oldest first.
pub async fn list(req: &Request, cx: &Cx, program: &Program) -> ApiResult<Response> {
    let status = query_param(req, "status");
    if status.as_deref().is_some_and(|s| RewardStatus::parse(s).is_none()) {
        return Err(ApiError::invalid("status", "must be pending, approved, rejected, reversed or paid"));
    }
    let flagged = bool_param(req, "flagged")?;
    let customer = query_param(req, "customer");
    let filter = store::Filter { status: status.as_deref(), customer: customer.as_deref(), flagged, after: cursor_param(req)?, limit: limit_param(req, 50)? };
    let rows = store::page(&cx.db, &program.id, &filter).await?;
    json(200, &page(rows.into_iter().map(|(seq, r)| (seq, r.view())).collect(), filter.limit))
}

async fn require(cx: &Cx, program: &Program, id: &str) -> ApiResult<RewardRow> {
    store::get(&cx.db, &program.id, id).await?.ok_or_else(|| ApiError::not_found("reward"))
}

/// A decision that the reward's status does not allow.
fn not_allowed(r: &RewardRow, action: &str) -> ApiError {
    ApiError::new(409, "invalid_status", format!("only pending rewards can be {action}; this one is {}", r.status))
}

/// `POST /v1/rewards/{id}/approve`: pending → approved, onto the balance.
pub async fn approve(cx: &Cx, program: &Program, id: &str) -> ApiResult<Response> {
    let r = require(cx, program, id).await?;
    if r.status().and_then(|s| lifecycle::next(s, RewardAction::Approve)).is_none() {
        return Err(not_allowed(&r, "approved"));
    }
    let (token, now) = (ids::new_id("dec"), ids::now_ms());
    let mut stmts = store::decide(&cx.db, &program.id, id, "pending", "approved", None, &token, now);
    stmts.extend(store::approved_effects(&cx.db, &token, now, &time::rfc3339(now)));
    stmts.extend(audit::record(cx, &program.id, EventKind::RewardApproved.as_str(), ("reward", id), status_change(&r, "approved", None)));
    db::batch(&cx.db, stmts).await.map_err(|e| decided_meanwhile(e, &r, "approved"))?;
    outbox::dispatch(cx, store::approved_event_ids(&cx.db, &token).await?);
    json(200, &require(cx, program, id).await?.view())
}

/// `POST /v1/rewards/{id}/reject {"reason"}`: pending → rejected, with the reason.
pub async fn reject(mut req: Request, cx: &Cx, program: &Program, id: &str) -> ApiResult<Response> {
    let body: Rejection = json_body(&mut req).await?;
    let reason = validate::name("reason", &body.reason, 500)?;
    let r = require(cx, program, id).await?;
    if r.status().and_then(|s| lifecycle::next(s, RewardAction::Reject)).is_none() {
        return Err(not_allowed(&r, "rejected"));
    }
    let now = ids::now_ms();
    let decided = RewardRow { status: "rejected".into(), reason: Some(reason.clone()), decided_at: Some(now), ..r.clone() };
    Change::new(cx, &program.id, EventKind::RewardRejected)
        .statements(store::decide(&cx.db, &program.id, id, "pending", "rejected", Some(&reason), &ids::new_id("dec"), now))
        .event(&decided.view())
        .audit(("reward", id), status_change(&r, "rejected", Some(&reason)))
        .commit()
        .await
        .map_err(|e| decided_meanwhile(e, &r, "rejected"))?;
    json(200, &decided.view())
}

/// A decision's diff: the status, and the reason when one is given.
fn status_change(r: &RewardRow, to: &str, reason: Option<&str>) -> serde_json::Value {
    let mut change = serde_json::json!({"status": {"from": r.status, "to": to}, "amount": {"from": r.amount}, "customer": {"from": r.customer_key}});
    if let Some(reason) = reason {
        change["reason"] = serde_json::json!({"to": reason});
    }
    change
}

fn decided_meanwhile(e: DbError, r: &RewardRow, action: &str) -> ApiError {
    if e.conflicts_on(db::GUARD) { ApiError::new(409, "invalid_status", format!("reward {} was decided by another request before it could be {action}", r.id)) } else { e.into() }
}

/// How many due rewards one scheduled run approves per batch.
const APPROVE_BATCH: i64 = 1000;

/// The scheduled run: approves every due reward (hold over, automatic
/// approval, no flags) in batches, each batch one D1 transaction with its
/// ledger entries, balances and `reward.approved` events. Returns how many.
pub async fn approve_due(db: &D1Database) -> ApiResult<i64> {
    let mut approved = 0;
    loop {
        let (token, now) = (ids::new_id("dec"), ids::now_ms());
        let mut stmts = vec![store::claim_due(db, &token, now, APPROVE_BATCH)];
        stmts.extend(store::approved_effects(db, &token, now, &time::rfc3339(now)));
        // One summary row per program and batch, never one per reward.
        stmts.push(audit::store::approvals_summary(db, &token, now));
        db::batch(db, stmts).await?;
        // Their deliveries are due now: the same scheduled run sends them next (`send_due`).
        let n = store::count_decided(db, &token).await?;
        approved += n;
        if n < APPROVE_BATCH {
            return Ok(approved);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use edgeref_shared::reward::{Approval, RewardRules};

    fn program(hold_days: u16, approval: Approval) -> Program {
        Program { currency: "JPY".into(), ..Program::sample(RewardRules { hold_days, approval, ..RewardRules::default() }) }
    }

    #[test]
    fn a_new_reward_is_in_the_programs_currency_and_held_as_the_program_says() {
        let e = Earning { customer_key: "ann", referred_key: "bob", kind: "referrer", amount: 500, transaction_key: Some("t1"), flags: &[] };
        let now = 1_000;
        let at_once = new_row(&program(0, Approval::Auto), &e, now);
        assert_eq!((at_once.status.as_str(), at_once.currency.as_str(), at_once.decided_at), ("approved", "JPY", Some(now)));
        let held = new_row(&program(14, Approval::Auto), &e, now);
        assert_eq!((held.status.as_str(), held.available_at, held.decided_at), ("pending", now + 14 * 86_400_000, None));
        let manual = new_row(&program(0, Approval::Manual), &e, now);
        assert_eq!(manual.status, "pending");
    }

    #[test]
    fn a_flagged_reward_waits_for_review_and_lists_its_flags() {
        let flags = [Flag::SameVisitor];
        let e = Earning { customer_key: "bob", referred_key: "bob", kind: "friend", amount: 300, transaction_key: None, flags: &flags };
        let r = new_row(&program(0, Approval::Auto), &e, 0);
        assert_eq!((r.status.as_str(), r.flags.as_str(), r.kind.as_str()), ("pending", r#"["same_visitor"]"#, "friend"));
    }
}
