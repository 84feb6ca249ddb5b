//! Paddle Billing and Lemon Squeezy in: `POST /integrations/{paddle|lemonsqueezy}/{public_id}`
//! with the same effects as Stripe's receiver (`stripe::sale`, `stripe::refund`): a paid
//! transaction or order is a sale of its buyer (by the customer key in its custom data, then by
//! e-mail, else a new referred customer by the referral code in its custom data), refunds reverse
//! it, and redeliveries count once (sales are keyed by the provider's id, Paddle's refunds by
//! their adjustment). Verified over the raw body before anything is parsed or written
//! (docs/integrations.md#paddle-billing, #lemon-squeezy).

use super::store;
use super::stripe::{self, Payment};
use crate::context::Cx;
use crate::error::{ApiError, ApiResult};
use crate::http::json;
use crate::programs::model::Program;
use crate::programs::store as programs;
use crate::transactions::service as transactions;
use crate::ids;
use edgeref_shared::signature::{verify_lemonsqueezy, verify_paddle};
use serde_json::{json, Value};
use worker::{Request, Response};

/// The providers received here, by the name their integration and path take.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Provider {
    Paddle,
    LemonSqueezy,
}

impl Provider {
    pub fn name(self) -> &'static str {
        match self {
            Self::Paddle => "paddle",
            Self::LemonSqueezy => "lemonsqueezy",
        }
    }
}

const MAX_EVENT: usize = 512 * 1024;

pub fn endpoint_url(edge_origin: &str, program: &Program, provider: Provider) -> String {
    format!("{edge_origin}/integrations/{}/{}", provider.name(), program.public_id)
}

fn text<'a>(v: &'a Value, path: &[&str]) -> Option<&'a str> {
    path.iter().try_fold(v, |v, k| v.get(k)).and_then(Value::as_str).filter(|s| !s.is_empty())
}

pub async fn receive(mut req: Request, cx: &Cx, provider: Provider, public_id: &str) -> ApiResult<Response> {
    let config = programs::tracking_config(&cx.env, public_id).await?.ok_or_else(|| ApiError::not_found("program"))?;
    let program = programs::get(&cx.db, &config.id).await?;
    let integration = store::get(&cx.db, &program.id, provider.name()).await?.ok_or_else(|| ApiError::not_found("integration"))?;
    let secret = crate::sealed::open(&cx.env, &integration.secret)?;
    let body = crate::http::capped_body_of(&mut req, MAX_EVENT, "events are limited to 512 KiB").await?;
    let header = |name: &str| req.headers().get(name).ok().flatten().unwrap_or_default();
    let verified = match provider {
        Provider::Paddle => verify_paddle(&secret, &header("paddle-signature"), &body, ids::now_ms() / 1000).map(|_| ()),
        Provider::LemonSqueezy => verify_lemonsqueezy(&secret, &header("x-signature"), &body),
    };
    verified.map_err(|e| ApiError::new(400, "invalid_signature", format!("the signature does not verify: {e:?}")))?;
    let event: Value = serde_json::from_slice(&body).map_err(|_| ApiError::malformed("the event is not JSON"))?;
    let outcome = match provider {
        Provider::Paddle => paddle(cx, &program, &event).await?,
        Provider::LemonSqueezy => lemonsqueezy(cx, &program, &event).await?,
    };
    let mut answer = json!({"received": true});
    answer.as_object_mut().expect("object").extend(outcome.as_object().cloned().unwrap_or_default());
    json(200, &answer)
}

/// Paddle's amounts are strings of minor units (`"4900"`).
fn minor(v: &Value) -> Option<i64> {
    v.as_str().and_then(|s| s.parse().ok()).or_else(|| v.as_i64())
}

/// Paddle Billing: `transaction.completed` is a sale, an approved refund `adjustment` reverses it.
async fn paddle(cx: &Cx, program: &Program, event: &Value) -> ApiResult<Value> {
    let data = &event["data"];
    match event["event_type"].as_str().unwrap_or("") {
        "transaction.completed" => stripe::sale(cx, program, &paddle_payment(data)).await,
        "adjustment.created" | "adjustment.updated" if text(data, &["action"]) == Some("refund") && text(data, &["status"]) == Some("approved") => {
            let (Some(id), Some(txn), Some(amount)) = (text(data, &["id"]), text(data, &["transaction_id"]), minor(&data["totals"]["total"])) else {
                return Ok(json!({"ignored": "the adjustment names no transaction or amount"}));
            };
            let key = format!("paddle_{txn}");
            let once = || vec![store::refund_applied(&cx.db, &program.id, &format!("paddle_{id}"), ids::now_ms())];
            match transactions::refund_with(cx, program, &key, |before| before + amount, &once).await {
                Ok(true) => Ok(json!({"refunded": key})),
                Ok(false) => Ok(json!({"ignored": "refund already applied"})),
                Err(e) if e.status == 404 => Ok(json!({"ignored": "no transaction for this payment"})),
                Err(e) => Err(e),
            }
        }
        _ => Ok(json!({"ignored": "event type not used by Edgeref"})),
    }
}

/// A completed Paddle transaction as a payment (Paddle sends no e-mail in it: `custom_data.edgeref_email` may).
pub fn paddle_payment(data: &Value) -> Payment<'_> {
    Payment {
        key: format!("paddle_{}", text(data, &["id"]).unwrap_or("unknown")),
        amount: minor(&data["details"]["totals"]["total"]),
        currency: text(data, &["currency_code"]).unwrap_or(""),
        email: text(data, &["custom_data", "edgeref_email"]),
        name: None,
        customer_key: text(data, &["custom_data", "edgeref_customer"]),
        code: text(data, &["custom_data", "edgeref_code"]),
        new_key: text(data, &["customer_id"]),
        stripe_customer: None,
    }
}

/// Lemon Squeezy: `order_created` and `subscription_payment_success` are sales, `order_refunded` reverses.
async fn lemonsqueezy(cx: &Cx, program: &Program, event: &Value) -> ApiResult<Value> {
    let (data, custom) = (&event["data"], &event["meta"]["custom_data"]);
    match text(event, &["meta", "event_name"]).unwrap_or("") {
        "order_created" if text(data, &["attributes", "status"]).is_none_or(|s| s == "paid") => stripe::sale(cx, program, &lemonsqueezy_payment(data, custom, "order")).await,
        "subscription_payment_success" => stripe::sale(cx, program, &lemonsqueezy_payment(data, custom, "invoice")).await,
        "order_refunded" => match data["attributes"]["refunded_amount"].as_i64() {
            Some(total) => stripe::refund(cx, program, &format!("lemonsqueezy_order_{}", id_of(data)), total).await,
            None => Ok(json!({"ignored": "no refunded_amount"})),
        },
        _ => Ok(json!({"ignored": "event type not used by Edgeref"})),
    }
}

/// Lemon Squeezy's ids are numbers or strings.
fn id_of(data: &Value) -> String {
    data["id"].as_str().map(str::to_owned).or_else(|| data["id"].as_i64().map(|n| n.to_string())).unwrap_or_else(|| "unknown".into())
}

/// An order or subscription invoice as a payment: `attributes.total` in cents, the buyer's e-mail, the code in `meta.custom_data`.
pub fn lemonsqueezy_payment<'a>(data: &'a Value, custom: &'a Value, kind: &str) -> Payment<'a> {
    let a = &data["attributes"];
    Payment {
        key: format!("lemonsqueezy_{kind}_{}", id_of(data)),
        amount: a["total"].as_i64(),
        currency: text(a, &["currency"]).unwrap_or(""),
        email: text(a, &["user_email"]),
        name: text(a, &["user_name"]),
        customer_key: text(custom, &["edgeref_customer"]),
        code: text(custom, &["edgeref_code"]),
        new_key: None,
        stripe_customer: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_paddle_transaction_is_a_payment_in_minor_units_with_its_custom_data() {
        let data = json!({"id": "txn_01", "customer_id": "ctm_01", "currency_code": "EUR", "details": {"totals": {"total": "4900"}},
                          "custom_data": {"edgeref_code": "k7m2xq9p", "edgeref_customer": "ann", "edgeref_email": "ann@example.com"}});
        let p = paddle_payment(&data);
        assert_eq!((p.key.as_str(), p.amount, p.currency, p.code, p.customer_key, p.email, p.new_key), ("paddle_txn_01", Some(4900), "EUR", Some("k7m2xq9p"), Some("ann"), Some("ann@example.com"), Some("ctm_01")));
        assert_eq!(minor(&json!("x")), None);
    }

    #[test]
    fn a_lemon_squeezy_order_is_a_payment_keyed_by_its_id() {
        let data = json!({"id": 123, "attributes": {"total": 2500, "currency": "USD", "user_email": "bo@example.com", "user_name": "Bo"}});
        let custom = json!({"edgeref_code": "k7m2xq9p"});
        let p = lemonsqueezy_payment(&data, &custom, "order");
        assert_eq!((p.key.as_str(), p.amount, p.currency, p.email, p.name, p.code), ("lemonsqueezy_order_123", Some(2500), "USD", Some("bo@example.com"), Some("Bo"), Some("k7m2xq9p")));
        assert_eq!(id_of(&json!({"id": "7"})), "7");
    }
}
