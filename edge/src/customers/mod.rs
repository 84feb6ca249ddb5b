//! Program API for customers: `/v1/customers`.

pub mod model;
pub mod service;
pub mod store;

use crate::change::Change;
use crate::context::Cx;
use crate::error::{ApiError, ApiResult};
use crate::http::{cursor_param, json, json_body, limit_param, page};
use crate::ledger::{self, LedgerEntry};
use crate::programs::model::Program;
use crate::{audit, codes, disposable, ids};
use edgeref_shared::api::{CreateCustomer, CreditCustomer as Credit, UpdateCustomer};
use edgeref_shared::attribution::is_same_address;
use edgeref_shared::fraud;
use edgeref_shared::reward::{LedgerKind, MAX_AMOUNT};
use edgeref_shared::webhook::EventKind;
use edgeref_shared::{time, validate, ReferralCode};
use serde_json::json;
use service::{audited, create_customer, customer_json, find, NewCustomerInput};
use worker::{Request, Response};

pub async fn create(mut req: Request, cx: &Cx, program: &Program) -> ApiResult<Response> {
    let body: CreateCustomer = json_body(&mut req).await?;
    let mut input = NewCustomerInput::validated(&body.key, &body.email, body.name.as_deref(), body.surname.as_deref())?;
    input.referral_code = body.referral_code.as_deref().map(ReferralCode::parse).transpose()?;
    input.stripe_customer_id = body.stripe_customer_id.as_deref().map(|id| validate::stripe_customer_id("stripe_customer_id", id)).transpose()?;
    if let Some(r) = &body.referring_customer {
        let referrer = find(cx, &program.id, r, "referring_customer").await?;
        if referrer.key == input.key || is_same_address(&referrer.email, &input.email) {
            return Err(ApiError::invalid("referring_customer", "a customer cannot refer themselves"));
        }
        input.flags = fraud::signup_flags(&fraud::SignupSignals {
            friend_email: &input.email,
            friend_disposable: disposable::is_disposable(cx, &input.email).await,
            referrer_email: &referrer.email,
            friend_ip_hash: None,
            referrer_ip_hash: None,
            friend_visit: None,
            referrer_visit: None,
        });
        input.referrer = Some(referrer);
    }
    let customer = create_customer(cx, program, &input, &Vec::new).await?;
    json(201, &customer_json(cx, &customer, program))
}

pub async fn list(req: &Request, cx: &Cx, program: &Program, referred_by: Option<&str>) -> ApiResult<Response> {
    let limit = limit_param(req, 50)?;
    if let Some(key) = referred_by {
        store::require(&cx.db, &program.id, key).await?;
    }
    let rows = store::page(&cx.db, &program.id, referred_by, cursor_param(req)?, limit).await?;
    let rows = rows.into_iter().map(|(id, c)| (id, customer_json(cx, &c, program))).collect();
    json(200, &page(rows, limit))
}

pub async fn get(cx: &Cx, program: &Program, key: &str) -> ApiResult<Response> {
    json(200, &customer_json(cx, &store::require(&cx.db, &program.id, key).await?, program))
}

pub async fn update(mut req: Request, cx: &Cx, program: &Program, key: &str) -> ApiResult<Response> {
    let patch: UpdateCustomer = json_body(&mut req).await?;
    let mut c = store::require(&cx.db, &program.id, key).await?;
    let before = audited(&c);
    if let Some(email) = &patch.email {
        c.email = validate::email("email", email)?;
    }
    if let Some(name) = &patch.name {
        c.name = name.as_deref().map(|n| validate::name("name", n, 200)).transpose()?;
    }
    if let Some(surname) = &patch.surname {
        c.surname = surname.as_deref().map(|n| validate::name("surname", n, 200)).transpose()?;
    }
    if let Some(id) = &patch.stripe_customer_id {
        c.stripe_customer_id = id.as_deref().map(|id| validate::stripe_customer_id("stripe_customer_id", id)).transpose()?;
    }
    c.updated_at = ids::now_ms();
    Change::new(cx, &program.id, EventKind::CustomerUpdated)
        .statements([store::update(&cx.db, &program.id, &c)])
        .event(&customer_json(cx, &c, program))
        .audit(("customer", key), audit::changed(&before, &audited(&c)))
        .commit()
        .await?;
    json(200, &customer_json(cx, &c, program))
}

pub async fn delete(cx: &Cx, program: &Program, key: &str) -> ApiResult<Response> {
    let c = store::require(&cx.db, &program.id, key).await?;
    Change::new(cx, &program.id, EventKind::CustomerDeleted)
        .statements(store::delete_statements(&cx.db, &program.id, &c))
        .event(&customer_json(cx, &c, program))
        // Only the code: a deleted customer's email does not linger in the log.
        .audit(("customer", key), audit::deleted(&json!({"referral_code": c.referral_code})))
        .commit()
        .await?;
    codes::forget(&cx.env, &program.id, &c.referral_code).await?;
    json(200, &json!({"key": key, "deleted": true}))
}

pub async fn stats(cx: &Cx, program: &Program, key: &str) -> ApiResult<Response> {
    store::require(&cx.db, &program.id, key).await?;
    json(200, &store::stats(&cx.db, &program.id, key).await?)
}

/// A manual credit amount: non-zero, at most 10^15 either way.
fn credit_amount(amount: i64) -> ApiResult<i64> {
    // unsigned_abs: i64::MIN has no positive twin and must not wrap past the check.
    if amount == 0 || amount.unsigned_abs() > MAX_AMOUNT as u64 {
        return Err(ApiError::invalid("amount", "must be a non-zero integer in minor units (at most 10^15 either way)"));
    }
    Ok(amount)
}

/// A manual ledger entry (positive credits, negative debits such as payouts).
pub async fn credit(mut req: Request, cx: &Cx, program: &Program, key: &str) -> ApiResult<Response> {
    let body: Credit = json_body(&mut req).await?;
    let amount = credit_amount(body.amount)?;
    let note = body.note.as_deref().map(|n| validate::name("note", n, 500)).transpose()?;
    let c = store::require(&cx.db, &program.id, key).await?;
    let now = ids::now_ms();
    let entry = json!({
        "customer": {"key": key},
        "amount": amount,
        "kind": "credit",
        "note": note,
        "balance": c.balance + amount,
        "created_at": time::rfc3339(now),
    });
    let ledger = LedgerEntry { customer_key: key, amount, kind: LedgerKind::Credit, transaction_key: None, note: note.as_deref(), at: now };
    let diff = json!({"balance": {"from": c.balance, "to": c.balance + amount}, "amount": {"to": amount}, "note": {"to": note}});
    Change::new(cx, &program.id, EventKind::CustomerCredited)
        .statements(ledger::store::statements(&cx.db, &program.id, &ledger))
        .event(&entry)
        .audit(("customer", key), diff)
        .commit()
        .await?;
    json(201, &entry)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credits_are_non_zero_and_bounded_either_way() {
        assert_eq!(credit_amount(-250).unwrap(), -250);
        assert!(credit_amount(0).is_err());
        assert!(credit_amount(MAX_AMOUNT).is_ok());
        assert!(credit_amount(-MAX_AMOUNT - 1).is_err());
        assert!(credit_amount(i64::MIN).is_err());
    }
}
