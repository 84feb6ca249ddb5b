//! Program API for transactions: `/v1/transactions` (recording a sale is
//! `service::record`, shared with Stripe).

pub mod model;
pub mod service;
pub mod store;

use crate::change::Change;
use crate::context::Cx;
use crate::customers::service as customers;
use crate::db;
use crate::error::{ApiError, ApiResult};
use crate::http::{cursor_param, json, json_body, limit_param, page, query_param};
use crate::programs::model::Program;
use crate::{audit, ids};
use edgeref_shared::api::{CreateTransaction, CustomerRef};
use edgeref_shared::apikey::sha256_hex;
use edgeref_shared::reward::{reversal, LedgerKind};
use edgeref_shared::webhook::EventKind;
use edgeref_shared::{time, validate};
use serde_json::json;
use service::{audited, record, reverse_rewards, Recorded, Sale};
use worker::{Request, Response};

pub async fn create(mut req: Request, cx: &Cx, program: &Program) -> ApiResult<Response> {
    let body: CreateTransaction = json_body(&mut req).await?;
    let key = validate::key("key", &body.key)?;
    let amount = validate::amount("amount", body.amount)?;
    let currency = validate::currency("currency", &body.currency)?;
    let product_id = body.product_id.as_deref().map(|p| validate::key("product_id", p)).transpose()?;
    let (by_key, by_email) = match &body.customer {
        CustomerRef::Key(key) => (Some(key.as_str()), None),
        CustomerRef::Email(email) => (None, Some(email.to_lowercase())),
    };
    let request_hash = sha256_hex(&json!([by_key, by_email, amount, currency, product_id]).to_string());
    // A retry is answered before the customer is looked up: it may have been deleted since.
    if let Some(existing) = store::by_key(&cx.db, &program.id, &key).await? {
        if existing.request_hash == request_hash {
            return json(200, &existing.view());
        }
    }
    let customer = customers::find(cx, &program.id, &body.customer, "customer").await?;
    let sale = Sale { key, customer, amount, currency, product_id, request_hash };
    match record(cx, program, sale).await? {
        Recorded::Created(row) => json(201, &row.view()),
        Recorded::Replayed(row) => json(200, &row.view()),
    }
}

pub async fn get(cx: &Cx, program: &Program, key: &str) -> ApiResult<Response> {
    json(200, &store::by_key(&cx.db, &program.id, key).await?.ok_or_else(|| ApiError::not_found("transaction"))?.view())
}

/// `?customer=KEY&from=RFC3339&to=RFC3339&limit=&cursor=`, oldest first.
pub async fn list(req: &Request, cx: &Cx, program: &Program) -> ApiResult<Response> {
    let time_param = |name: &'static str| -> ApiResult<Option<i64>> {
        query_param(req, name)
            .map(|v| time::parse_rfc3339(&v).ok_or_else(|| ApiError::invalid(name, "must be an RFC 3339 UTC time like 2026-01-31T00:00:00Z")))
            .transpose()
    };
    let customer = query_param(req, "customer");
    let filter = store::Filter { customer: customer.as_deref(), from: time_param("from")?, to: time_param("to")?, after_id: cursor_param(req)?, limit: limit_param(req, 50)? };
    let rows = store::page(&cx.db, &program.id, &filter).await?;
    json(200, &page(rows.into_iter().map(|t| (t.id, t.view())).collect(), filter.limit))
}

/// Deletes a transaction and reverses what is left of its rewards (refunds may
/// have reversed part already), in one batch with its event.
pub async fn delete(cx: &Cx, program: &Program, key: &str) -> ApiResult<Response> {
    let t = store::by_key(&cx.db, &program.id, key).await?.ok_or_else(|| ApiError::not_found("transaction"))?;
    let now = ids::now_ms();
    let reversed = reverse_rewards(cx, program, &t, |earned| reversal(earned, t.amount, t.refunded, t.amount), LedgerKind::Reversal, "transaction deleted", now).await?;
    let change = Change::new(cx, &program.id, EventKind::TransactionDeleted)
        .statements(store::delete(&cx.db, &program.id, &t, now))
        .statements(reversed)
        .event(&t.view())
        .audit(("transaction", key), audit::deleted(&audited(&t)));
    // A concurrent delete recorded its deletion first: for this request the transaction is gone.
    change.commit().await.map_err(|e| match e {
        e if e.conflicts_on("transaction_deletions.transaction_id") => ApiError::not_found("transaction"),
        e if e.conflicts_on(db::GUARD) => ApiError::conflict("a reward of this transaction changed meanwhile; retry"),
        e => e.into(),
    })?;
    json(200, &json!({"key": key, "deleted": true}))
}
