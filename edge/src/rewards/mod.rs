//! Rewards: what referrers and friends earn, held, reviewed and paid.
//! `/v1/rewards` lists them and the owner approves or rejects pending ones;
//! `approve_due` is the scheduled run's approval of held rewards. Signups and
//! sales earn them through `service`.

pub mod model;
pub mod service;
pub mod store;

use crate::change::Change;
use crate::context::Cx;
use crate::db::{self, DbError};
use crate::error::{ApiError, ApiResult};
use crate::http::{bool_param, cursor_param, json, json_body, limit_param, page, query_param};
use crate::programs::model::Program;
use crate::{audit, ids, outbox};
use model::RewardRow;
use edgeref_shared::lifecycle::{self, RewardAction, RewardStatus};
use edgeref_shared::webhook::EventKind;
use edgeref_shared::{time, validate};
use worker::{D1Database, Request, Response};

use edgeref_shared::api::RejectReward as Rejection;

/// `GET /v1/rewards?status=&customer=&flagged=&limit=&cursor=`, oldest first.
pub async fn list(req: &Request, cx: &Cx, program: &Program) -> ApiResult<Response> {
    let status = query_param(req, "status")
        .map(|s| RewardStatus::parse(&s).ok_or_else(|| ApiError::invalid("status", "must be pending, approved, rejected, reversed or paid")))
        .transpose()?;
    let flagged = bool_param(req, "flagged")?;
    let customer = query_param(req, "customer");
    let filter = store::Filter { status, customer: customer.as_deref(), flagged, after: cursor_param(req)?, limit: limit_param(req, 50)? };
    let rows = store::page(&cx.db, &program.id, &filter).await?;
    json(200, &page(rows.into_iter().map(|(seq, r)| (seq, r.view())).collect(), filter.limit))
}

async fn require(cx: &Cx, program: &Program, id: &str) -> ApiResult<RewardRow> {
    store::get(&cx.db, &program.id, id).await?.ok_or_else(|| ApiError::not_found("reward"))
}

/// A decision that the reward's status does not allow.
fn not_allowed(r: &RewardRow, action: &str) -> ApiError {
    ApiError::new(409, "invalid_status", format!("only pending rewards can be {action}; this one is {}", r.status.as_str()))
}

/// `POST /v1/rewards/{id}/approve`: pending → approved, onto the balance.
pub async fn approve(cx: &Cx, program: &Program, id: &str) -> ApiResult<Response> {
    let r = require(cx, program, id).await?;
    if lifecycle::next(r.status, RewardAction::Approve).is_none() {
        return Err(not_allowed(&r, "approved"));
    }
    let (token, now) = (ids::new_id("dec"), ids::now_ms());
    let mut stmts = store::decide(&cx.db, &program.id, id, RewardStatus::Pending, RewardStatus::Approved, None, &token, now);
    stmts.extend(store::approved_effects(&cx.db, &token, now, &time::rfc3339(now)));
    stmts.extend(audit::record(cx, &program.id, EventKind::RewardApproved.as_str(), ("reward", id), status_change(&r, RewardStatus::Approved, None)));
    db::batch(&cx.db, stmts).await.map_err(|e| decided_meanwhile(e, &r, "approved"))?;
    outbox::dispatch(cx, store::approved_event_ids(&cx.db, &token).await?);
    json(200, &require(cx, program, id).await?.view())
}

/// `POST /v1/rewards/{id}/reject {"reason"}`: pending → rejected, with the reason.
pub async fn reject(mut req: Request, cx: &Cx, program: &Program, id: &str) -> ApiResult<Response> {
    let body: Rejection = json_body(&mut req).await?;
    let reason = validate::name("reason", &body.reason, 500)?;
    let r = require(cx, program, id).await?;
    if lifecycle::next(r.status, RewardAction::Reject).is_none() {
        return Err(not_allowed(&r, "rejected"));
    }
    let now = ids::now_ms();
    let decided = RewardRow { status: RewardStatus::Rejected, reason: Some(reason.clone()), decided_at: Some(now), ..r.clone() };
    Change::new(cx, &program.id, EventKind::RewardRejected)
        .statements(store::decide(&cx.db, &program.id, id, RewardStatus::Pending, RewardStatus::Rejected, Some(&reason), &ids::new_id("dec"), now))
        .event(&decided.view())
        .audit(("reward", id), status_change(&r, RewardStatus::Rejected, Some(&reason)))
        .commit()
        .await
        .map_err(|e| decided_meanwhile(e, &r, "rejected"))?;
    json(200, &decided.view())
}

/// A decision's diff: the status, and the reason when one is given.
fn status_change(r: &RewardRow, to: RewardStatus, reason: Option<&str>) -> serde_json::Value {
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
