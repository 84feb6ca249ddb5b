//! Payouts: `POST /v1/payouts` pays a customer's approved rewards, oldest
//! first, from their balance; `GET /v1/payouts` is the history and
//! `GET /v1/payables` who is owed money now.

pub mod store;

use crate::change::Change;
use crate::context::Cx;
use crate::ledger::{self, LedgerEntry};
use crate::customers::service as customers;
use crate::db;
use crate::error::{ApiError, ApiResult};
use crate::http::{cursor_param, json, json_body, limit_param, page, query_param};
use crate::programs::model::Program;
use crate::rewards::{model::RewardRow, store as rewards};
use crate::{audit, ids};
use edgeref_shared::webhook::EventKind;
use edgeref_shared::reward::{LedgerKind, PayoutMethod, MAX_AMOUNT};
use edgeref_shared::validate;
use serde_json::json;
use store::PayoutRow;
use worker::{Request, Response};

use edgeref_shared::api::CreatePayout;

/// The amount to pay: the whole balance by default; never zero, negative or above the balance.
fn payout_amount(requested: Option<i64>, balance: i64) -> ApiResult<i64> {
    let amount = requested.unwrap_or(balance);
    if amount <= 0 || amount > MAX_AMOUNT {
        return Err(ApiError::invalid("amount", "must be a positive amount in minor units"));
    }
    if amount > balance {
        return Err(ApiError::invalid("amount", format!("is over the customer's approved balance of {balance}")));
    }
    Ok(amount)
}

/// The approved rewards a payout of `amount` covers in full, oldest first.
fn covered(approved: &[RewardRow], amount: i64) -> Vec<&RewardRow> {
    let mut left = amount;
    approved.iter().take_while(|r| (r.amount <= left).then(|| left -= r.amount).is_some()).collect()
}

pub async fn create(mut req: Request, cx: &Cx, program: &Program) -> ApiResult<Response> {
    let body: CreatePayout = json_body(&mut req).await?;
    let reference = body.reference.as_deref().map(|r| validate::name("reference", r, 200)).transpose()?;
    let note = body.note.as_deref().map(|n| validate::name("note", n, 500)).transpose()?;
    let customer = customers::find(cx, &program.id, &body.customer, "customer").await?;
    let approved = rewards::approved_of(&cx.db, &program.id, &customer.key).await?;
    if approved.is_empty() {
        return Err(ApiError::invalid("customer", "has no approved rewards to pay"));
    }
    let amount = payout_amount(body.amount, customer.balance)?;
    let reward_ids: Vec<&str> = covered(&approved, amount).iter().map(|r| r.id.as_str()).collect();
    let now = ids::now_ms();
    let payout = PayoutRow {
        id: ids::new_id("pay"),
        customer_key: customer.key.clone(),
        amount,
        currency: program.currency.clone(),
        reference,
        note,
        reward_ids: serde_json::to_string(&reward_ids).expect("strings serialize"),
        created_at: now,
        method: PayoutMethod::Manual,
    };
    let debit = LedgerEntry { customer_key: &customer.key, amount: -amount, kind: LedgerKind::Payout, transaction_key: None, note: Some(&payout.id), at: now };
    let fields = json!({"customer": payout.customer_key, "amount": amount, "currency": payout.currency, "reference": payout.reference, "rewards": reward_ids});
    Change::new(cx, &program.id, EventKind::PayoutCreated)
        .statements([store::insert(&cx.db, &program.id, &payout)])
        .statements(ledger::store::statements(&cx.db, &program.id, &debit))
        // Two payouts racing for one balance: the second finds it below zero and rolls back.
        .statements([store::balance_guard(&cx.db, &program.id, &customer.key)])
        .statements(rewards::pay(&cx.db, &program.id, &payout.reward_ids, &payout.id, now))
        .event(&payout.view())
        .audit(("payout", &payout.id), audit::created(&fields))
        .commit()
        .await
        .map_err(|e| {
            if e.conflicts_on(db::GUARD) { ApiError::new(409, "conflict", "the balance changed while paying (another payout or a refund); read it again and retry") } else { e.into() }
        })?;
    json(201, &payout.view())
}

/// `GET /v1/payouts?customer=&limit=&cursor=`, oldest first.
pub async fn list(req: &Request, cx: &Cx, program: &Program) -> ApiResult<Response> {
    let limit = limit_param(req, 50)?;
    let customer = query_param(req, "customer");
    let rows = store::page(&cx.db, &program.id, customer.as_deref(), cursor_param(req)?, limit).await?;
    json(200, &page(rows.into_iter().map(|(seq, p)| (seq, p.view())).collect(), limit))
}

/// `GET /v1/payables`: customers owed money now, with how much and for how many rewards.
pub async fn payables(req: &Request, cx: &Cx, program: &Program) -> ApiResult<Response> {
    let limit = limit_param(req, 50)?;
    let rows = store::payables(&cx.db, &program.id, cursor_param(req)?, limit).await?;
    let rows = rows
        .into_iter()
        .map(|p| (p.id, json!({"customer": {"key": p.key, "email": p.email, "name": p.name}, "balance": p.balance, "currency": program.currency, "approved_rewards": p.approved_rewards})))
        .collect();
    json(200, &page(rows, limit))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reward(id: &str, amount: i64) -> RewardRow {
        RewardRow::sample(id, amount)
    }

    #[test]
    fn a_payout_defaults_to_the_balance_and_never_exceeds_it() {
        assert_eq!(payout_amount(None, 700).unwrap(), 700);
        assert_eq!(payout_amount(Some(300), 700).unwrap(), 300);
        for bad in [Some(0), Some(-5), Some(701)] {
            assert_eq!(payout_amount(bad, 700).unwrap_err().field.as_deref(), Some("amount"), "{bad:?}");
        }
        assert!(payout_amount(None, 0).is_err(), "nothing owed: nothing to pay");
    }

    #[test]
    fn a_payout_covers_whole_rewards_oldest_first() {
        let approved = [reward("a", 100), reward("b", 250), reward("c", 50)];
        let ids = |amount| covered(&approved, amount).iter().map(|r| r.id.clone()).collect::<Vec<_>>();
        assert_eq!(ids(400), ["a", "b", "c"]);
        assert_eq!(ids(360), ["a", "b"]);
        assert_eq!(ids(349), ["a"], "b is covered only in part, so it stays approved");
        assert!(ids(99).is_empty());
    }
}
