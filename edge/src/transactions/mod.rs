//! Program API for transactions: `/v1/transactions`. A sale credits the
//! referrer's reward (and the friend's, if any) in the same D1 batch that
//! records it; deleting it reverses what it earned.

use crate::customers::{self, model::CustomerRow, store::ledger_statements, CustomerRef};
use crate::error::{ApiError, ApiResult};
use crate::http::{cursor_param, json, json_body, limit_param, page, query_param};
use crate::programs::model::Program;
use crate::webhooks::{dispatch, outbox};
use crate::{db, ids, sql};
use edgeref_shared::apikey::sha256_hex;
use edgeref_shared::reward::{reversal, FriendReward, RewardRule, Trigger};
use edgeref_shared::{time, validate};
use serde::Deserialize;
use serde_json::{json, Value};
use worker::{Context, D1Database, Env, Request, Response};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CreateTransaction {
    key: String,
    customer: CustomerRef,
    amount: i64,
    currency: String,
    product_id: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct TransactionRow {
    pub id: i64,
    pub key: String,
    pub customer_key: String,
    pub referrer_key: Option<String>,
    pub amount: i64,
    pub currency: String,
    pub product_id: Option<String>,
    pub reward: i64,
    pub friend_reward: i64,
    pub refunded: i64,
    pub request_hash: String,
    pub created_at: i64,
}

const COLUMNS: &str = "id, key, customer_key, referrer_key, amount, currency, product_id, reward, friend_reward, refunded, request_hash, created_at";

impl TransactionRow {
    /// The API's transaction object (also the webhook payload).
    pub fn view(&self) -> Value {
        json!({
            "key": self.key,
            "customer": {"key": self.customer_key},
            "referring_customer": self.referrer_key.as_ref().map(|k| json!({"key": k})),
            "amount": self.amount,
            "currency": self.currency,
            "product_id": self.product_id,
            "reward": self.reward,
            "friend_reward": self.friend_reward,
            "refunded": self.refunded,
            "created_at": time::rfc3339(self.created_at),
        })
    }
}

pub async fn by_key(db: &D1Database, program_id: &str, key: &str) -> ApiResult<Option<TransactionRow>> {
    db::first(sql!(db, &format!("SELECT {COLUMNS} FROM transactions WHERE program_id = ?1 AND key = ?2"), program_id, key)).await
}

/// What the friend earns from a sale under the reward they were granted at signup.
fn friend_share(granted: Option<&str>, amount: i64) -> i64 {
    match granted.and_then(|g| serde_json::from_str::<FriendReward>(g).ok()) {
        Some(FriendReward::Percent { percent }) => RewardRule::Percent { percent }.for_sale(amount),
        Some(FriendReward::Fixed { amount: fixed, on: Trigger::Sale }) => fixed,
        _ => 0,
    }
}

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

/// Records a sale with the rewards it earns and its `transaction.created` event
/// in one batch. Idempotent on the key: the same sale again is `Replayed`, a
/// different sale with the same key is a 409, and of concurrent duplicates
/// exactly one is `Created`.
pub async fn record(env: &Env, ctx: &Context, db: &D1Database, program: &Program, sale: Sale) -> ApiResult<Recorded> {
    let replay = |existing: TransactionRow| {
        if existing.request_hash == sale.request_hash {
            Ok(Recorded::Replayed(existing))
        } else {
            Err(ApiError::conflict("a different transaction already used this key").with_field("key"))
        }
    };
    if let Some(existing) = by_key(db, &program.id, &sale.key).await? {
        return replay(existing);
    }
    let referrer_key = sale.customer.referred_by.clone();
    let reward = referrer_key.as_ref().map_or(0, |_| program.rewards.referrer.for_sale(sale.amount));
    let friend_reward = friend_share(sale.customer.friend_reward.as_deref(), sale.amount);
    let now = ids::now_ms();
    let row = TransactionRow {
        id: 0,
        key: sale.key.clone(),
        customer_key: sale.customer.key.clone(),
        referrer_key,
        amount: sale.amount,
        currency: sale.currency.clone(),
        product_id: sale.product_id.clone(),
        reward,
        friend_reward,
        refunded: 0,
        request_hash: sale.request_hash.clone(),
        created_at: now,
    };
    let mut stmts = vec![sql!(
        db,
        "INSERT INTO transactions (program_id, key, customer_key, referrer_key, amount, currency, product_id, reward, friend_reward, request_hash, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
        &program.id,
        &row.key,
        &row.customer_key,
        row.referrer_key.as_ref(),
        row.amount,
        &row.currency,
        row.product_id.as_ref(),
        reward,
        friend_reward,
        &row.request_hash,
        now
    )];
    if let (Some(referrer), true) = (&row.referrer_key, reward != 0) {
        stmts.extend(ledger_statements(db, &program.id, referrer, reward, "reward", Some(&row.key), None, now));
    }
    if friend_reward != 0 {
        stmts.extend(ledger_statements(db, &program.id, &row.customer_key, friend_reward, "reward", Some(&row.key), Some("friend reward"), now));
    }
    let event = outbox::event(db, &program.id, "transaction.created", &row.view());
    stmts.extend(event.statements);
    match db::batch(db, stmts).await {
        Ok(()) => {}
        // A concurrent request with the same key committed first: exactly one transaction exists.
        Err(e) if e.status == 409 => return replay(by_key(db, &program.id, &sale.key).await?.ok_or(e)?),
        Err(e) => return Err(e),
    }
    dispatch(env, ctx, vec![event.id]);
    Ok(Recorded::Created(row))
}

pub async fn create(mut req: Request, env: &Env, ctx: &Context, db: &D1Database, program: &Program) -> ApiResult<Response> {
    let body: CreateTransaction = json_body(&mut req).await?;
    let key = validate::key("key", &body.key)?;
    let amount = validate::amount("amount", body.amount)?;
    let currency = validate::currency("currency", &body.currency)?;
    let product_id = body.product_id.as_deref().map(|p| validate::key("product_id", p)).transpose()?;
    let request_hash = sha256_hex(
        &json!([body.customer.key, body.customer.email.as_deref().map(str::to_lowercase), amount, currency, product_id]).to_string(),
    );
    // A retry is answered before the customer is looked up: it may have been deleted since.
    if let Some(existing) = by_key(db, &program.id, &key).await? {
        if existing.request_hash == request_hash {
            return json(200, &existing.view());
        }
    }
    let customer = customers::find(db, &program.id, &body.customer, "customer").await?;
    let sale = Sale { key, customer, amount, currency, product_id, request_hash };
    match record(env, ctx, db, program, sale).await? {
        Recorded::Created(row) => json(201, &row.view()),
        Recorded::Replayed(row) => json(200, &row.view()),
    }
}

/// Applies a refund reported as the sale's cumulative refunded amount (as
/// Stripe reports it): reverses the matching share of both rewards. Replays of
/// the same total change nothing. Returns whether anything changed.
pub async fn refund(db: &D1Database, program: &Program, key: &str, refunded_total: i64) -> ApiResult<bool> {
    // Each attempt is a compare-and-set on the refunded amount it read (see
    // `transaction_refunds`); a concurrent refund makes it re-read and recompute.
    for _ in 0..3 {
        let t = by_key(db, &program.id, key).await?.ok_or_else(|| ApiError::not_found("transaction"))?;
        let after = refunded_total.clamp(0, t.amount);
        if after <= t.refunded {
            return Ok(false);
        }
        let now = ids::now_ms();
        let mut stmts = vec![
            sql!(
                db,
                "INSERT INTO transaction_refunds (transaction_id, refunded_before, refunded_after, program_id, created_at) VALUES (?1, ?2, ?3, ?4, ?5)",
                t.id,
                t.refunded,
                after,
                &program.id,
                now
            ),
            sql!(db, "UPDATE transactions SET refunded = ?3 WHERE program_id = ?1 AND id = ?2", &program.id, t.id, after),
        ];
        let share = |earned: i64| reversal(earned, t.amount, t.refunded, after);
        if let (Some(referrer), true) = (&t.referrer_key, share(t.reward) != 0) {
            stmts.extend(ledger_statements(db, &program.id, referrer, -share(t.reward), "refund", Some(key), Some("refund"), now));
        }
        if share(t.friend_reward) != 0 {
            stmts.extend(ledger_statements(db, &program.id, &t.customer_key, -share(t.friend_reward), "refund", Some(key), Some("refund"), now));
        }
        match db::batch(db, stmts).await {
            Ok(()) => return Ok(true),
            Err(e) if e.status == 409 => continue,
            Err(e) => return Err(e),
        }
    }
    Err(ApiError::conflict("the transaction is being refunded concurrently; retry"))
}

pub async fn get(db: &D1Database, program: &Program, key: &str) -> ApiResult<Response> {
    json(200, &by_key(db, &program.id, key).await?.ok_or_else(|| ApiError::not_found("transaction"))?.view())
}

/// `?customer=KEY&from=RFC3339&to=RFC3339&limit=&cursor=`, oldest first.
pub async fn list(req: &Request, db: &D1Database, program: &Program) -> ApiResult<Response> {
    let limit = limit_param(req, 50)?;
    let time_param = |name: &'static str| -> ApiResult<Option<i64>> {
        query_param(req, name)
            .map(|v| time::parse_rfc3339(&v).ok_or_else(|| ApiError::invalid(name, "must be an RFC 3339 UTC time like 2026-01-31T00:00:00Z")))
            .transpose()
    };
    let (from, to) = (time_param("from")?, time_param("to")?);
    let customer = query_param(req, "customer");
    let rows: Vec<TransactionRow> = db::all(sql!(
        db,
        &format!(
            "SELECT {COLUMNS} FROM transactions WHERE program_id = ?1 AND id > ?2 AND (?3 IS NULL OR customer_key = ?3)
             AND (?4 IS NULL OR created_at >= ?4) AND (?5 IS NULL OR created_at < ?5) ORDER BY id LIMIT ?6"
        ),
        &program.id,
        cursor_param(req)?,
        customer.as_ref(),
        from,
        to,
        limit + 1
    ))
    .await?;
    json(200, &page(rows.into_iter().map(|t| (t.id, t.view())).collect(), limit))
}

/// Deletes a transaction and reverses what is left of its rewards (refunds may
/// have reversed part already), in one batch with its event.
pub async fn delete(env: &Env, ctx: &Context, db: &D1Database, program: &Program, key: &str) -> ApiResult<Response> {
    let t = by_key(db, &program.id, key).await?.ok_or_else(|| ApiError::not_found("transaction"))?;
    let now = ids::now_ms();
    let mut stmts = vec![
        sql!(db, "INSERT INTO transaction_deletions (transaction_id, program_id, key, deleted_at) VALUES (?1, ?2, ?3, ?4)", t.id, &program.id, key, now),
        sql!(db, "DELETE FROM transactions WHERE program_id = ?1 AND id = ?2", &program.id, t.id),
    ];
    let left = |earned: i64| reversal(earned, t.amount, t.refunded, t.amount);
    if let (Some(referrer), true) = (&t.referrer_key, left(t.reward) != 0) {
        stmts.extend(ledger_statements(db, &program.id, referrer, -left(t.reward), "reversal", Some(key), Some("transaction deleted"), now));
    }
    if left(t.friend_reward) != 0 {
        stmts.extend(ledger_statements(db, &program.id, &t.customer_key, -left(t.friend_reward), "reversal", Some(key), Some("transaction deleted"), now));
    }
    let event = outbox::event(db, &program.id, "transaction.deleted", &t.view());
    stmts.extend(event.statements);
    db::batch(db, stmts).await.map_err(|e| if e.status == 409 { ApiError::not_found("transaction") } else { e })?;
    dispatch(env, ctx, vec![event.id]);
    json(200, &json!({"key": key, "deleted": true}))
}
