//! Program API for customers: `/v1/customers`.

pub mod model;
pub mod store;

use crate::error::{ApiError, ApiResult};
use crate::http::{cursor_param, json, json_body, limit_param, nullable, page};
use crate::programs::model::Program;
use crate::webhooks::{dispatch, outbox};
use crate::{codes, db, ids};
use edgeref_shared::attribution::normalize_email;
use edgeref_shared::reward::{FriendReward, Trigger, MAX_AMOUNT};
use edgeref_shared::{time, validate, ReferralCode};
use model::CustomerRow;
use serde::Deserialize;
use serde_json::{json, Value};
use worker::{Context, D1Database, D1PreparedStatement, Env, Request, Response};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CustomerRef {
    pub key: Option<String>,
    pub email: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CreateCustomer {
    key: String,
    email: String,
    name: Option<String>,
    surname: Option<String>,
    referral_code: Option<String>,
    referring_customer: Option<CustomerRef>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct UpdateCustomer {
    #[serde(default, deserialize_with = "crate::http::present")]
    email: Option<String>,
    #[serde(default, deserialize_with = "nullable")]
    name: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    surname: Option<Option<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Credit {
    amount: i64,
    note: Option<String>,
}

/// Validated input for a new customer, from the API or a tracked signup.
pub struct NewCustomerInput {
    pub key: String,
    pub email: String,
    pub name: Option<String>,
    pub surname: Option<String>,
    /// A merchant-chosen code; otherwise one is generated.
    pub referral_code: Option<ReferralCode>,
    pub referrer: Option<CustomerRow>,
}

impl NewCustomerInput {
    pub fn validated(key: &str, email: &str, name: Option<&str>, surname: Option<&str>) -> ApiResult<Self> {
        Ok(Self {
            key: validate::key("key", key)?,
            email: validate::email("email", email)?,
            name: name.map(|n| validate::name("name", n, 200)).transpose()?,
            surname: surname.map(|n| validate::name("surname", n, 200)).transpose()?,
            referral_code: None,
            referrer: None,
        })
    }
}

/// Finds the customer named by key or email (exactly one of them); `field` names it in errors.
pub async fn find(db: &D1Database, program_id: &str, r: &CustomerRef, field: &str) -> ApiResult<CustomerRow> {
    let found = match (&r.key, &r.email) {
        (Some(key), None) => store::by_key(db, program_id, key).await?,
        (None, Some(email)) => store::by_email(db, program_id, email).await?,
        _ => return Err(ApiError::invalid(field, "give exactly one of key or email")),
    };
    found.ok_or_else(|| ApiError::invalid(field, "no customer with that key or email in this program"))
}

/// The event payload for a customer: the object the REST API returns.
pub fn customer_json(c: &CustomerRow, program: &Program) -> Value {
    serde_json::to_value(c.view(&program.website_url, &program.tracking)).expect("view serializes")
}

/// Creates a customer with everything that goes with it in one D1 batch: the
/// referral count and signup reward of its referrer, the friend's reward, its
/// `customer.created` event and the caller's `extra` statements. Then publishes
/// its code to KV and delivers the event.
pub async fn create_customer(
    env: &Env,
    ctx: &Context,
    db: &D1Database,
    program: &Program,
    input: &NewCustomerInput,
    extra: &dyn Fn() -> Vec<ApiResult<D1PreparedStatement>>,
) -> ApiResult<CustomerRow> {
    let now = ids::now_ms();
    let referred_by = input.referrer.as_ref().map(|r| r.key.as_str());
    let friend_reward = referred_by.and(program.rewards.friend.as_ref());
    let friend_signup_credit = match friend_reward {
        Some(FriendReward::Fixed { amount, on: Trigger::Signup }) => *amount,
        _ => 0,
    };
    let write = |code: ReferralCode| async move {
        let row = CustomerRow {
            key: input.key.clone(),
            email: input.email.clone(),
            name: input.name.clone(),
            surname: input.surname.clone(),
            referral_code: code.as_str().to_owned(),
            referred_by: referred_by.map(str::to_owned),
            friend_reward: friend_reward.map(|f| serde_json::to_string(f).expect("reward serializes")),
            balance: friend_signup_credit,
            referrals_count: 0,
            created_at: now,
            updated_at: now,
        };
        let mut stmts = store::insert_statements(db, &program.id, &row);
        if let Some(referrer) = referred_by {
            let reward = program.rewards.referrer.for_signup();
            if reward > 0 {
                stmts.extend(store::ledger_statements(db, &program.id, referrer, reward, "reward", None, Some("referred signup"), now));
            }
            if friend_signup_credit > 0 {
                stmts.push(store::ledger_entry(db, &program.id, &input.key, friend_signup_credit, "reward", None, Some("friend signup reward"), now));
            }
        }
        let event = outbox::event(db, &program.id, "customer.created", &customer_json(&row, program));
        stmts.extend(event.statements);
        stmts.extend(extra());
        db::batch(db, stmts).await.map_err(|e| match e.status {
            409 if e.message.contains("customers.key") => ApiError::conflict("a customer with this key already exists").with_field("key"),
            _ => e,
        })?;
        Ok((row, event.id))
    };
    let (row, event_id) = match &input.referral_code {
        Some(chosen) => write(chosen.clone()).await.map_err(|e: ApiError| match e.status {
            409 if e.message.contains("referral_code") => ApiError::conflict("this referral code is taken").with_field("referral_code"),
            _ => e,
        })?,
        None => codes::with_unique_code(write).await?,
    };
    codes::remember(env, &program.id, &row.referral_code, &input.key).await?;
    dispatch(env, ctx, vec![event_id]);
    Ok(row)
}

pub async fn create(mut req: Request, env: &Env, ctx: &Context, db: &D1Database, program: &Program) -> ApiResult<Response> {
    let body: CreateCustomer = json_body(&mut req).await?;
    let mut input = NewCustomerInput::validated(&body.key, &body.email, body.name.as_deref(), body.surname.as_deref())?;
    input.referral_code = body.referral_code.as_deref().map(ReferralCode::parse).transpose()?;
    if let Some(r) = &body.referring_customer {
        let referrer = find(db, &program.id, r, "referring_customer").await?;
        if referrer.key == input.key || normalize_email(&referrer.email) == normalize_email(&input.email) {
            return Err(ApiError::invalid("referring_customer", "a customer cannot refer themselves"));
        }
        input.referrer = Some(referrer);
    }
    let customer = create_customer(env, ctx, db, program, &input, &Vec::new).await?;
    json(201, &customer_json(&customer, program))
}

pub async fn list(req: &Request, db: &D1Database, program: &Program, referred_by: Option<&str>) -> ApiResult<Response> {
    let limit = limit_param(req, 50)?;
    if let Some(key) = referred_by {
        store::require(db, &program.id, key).await?;
    }
    let rows = store::page(db, &program.id, referred_by, cursor_param(req)?, limit).await?;
    let rows = rows.into_iter().map(|(id, c)| (id, customer_json(&c, program))).collect();
    json(200, &page(rows, limit))
}

pub async fn get(db: &D1Database, program: &Program, key: &str) -> ApiResult<Response> {
    json(200, &customer_json(&store::require(db, &program.id, key).await?, program))
}

pub async fn update(mut req: Request, env: &Env, ctx: &Context, db: &D1Database, program: &Program, key: &str) -> ApiResult<Response> {
    let patch: UpdateCustomer = json_body(&mut req).await?;
    let mut c = store::require(db, &program.id, key).await?;
    if let Some(email) = &patch.email {
        c.email = validate::email("email", email)?;
    }
    if let Some(name) = &patch.name {
        c.name = name.as_deref().map(|n| validate::name("name", n, 200)).transpose()?;
    }
    if let Some(surname) = &patch.surname {
        c.surname = surname.as_deref().map(|n| validate::name("surname", n, 200)).transpose()?;
    }
    c.updated_at = ids::now_ms();
    let event = outbox::event(db, &program.id, "customer.updated", &customer_json(&c, program));
    let mut stmts = vec![crate::sql!(
        db,
        "UPDATE customers SET email = ?3, email_norm = ?4, name = ?5, surname = ?6, updated_at = ?7 WHERE program_id = ?1 AND key = ?2",
        &program.id,
        key,
        &c.email,
        &normalize_email(&c.email),
        c.name.as_ref(),
        c.surname.as_ref(),
        c.updated_at
    )];
    stmts.extend(event.statements);
    db::batch(db, stmts).await?;
    dispatch(env, ctx, vec![event.id]);
    json(200, &customer_json(&c, program))
}

pub async fn delete(env: &Env, ctx: &Context, db: &D1Database, program: &Program, key: &str) -> ApiResult<Response> {
    let c = store::require(db, &program.id, key).await?;
    let event = outbox::event(db, &program.id, "customer.deleted", &customer_json(&c, program));
    let mut stmts = store::delete_statements(db, &program.id, &c);
    stmts.extend(event.statements);
    db::batch(db, stmts).await?;
    codes::forget(env, &program.id, &c.referral_code).await?;
    dispatch(env, ctx, vec![event.id]);
    json(200, &json!({"key": key, "deleted": true}))
}

pub async fn stats(db: &D1Database, program: &Program, key: &str) -> ApiResult<Response> {
    store::require(db, &program.id, key).await?;
    json(200, &store::stats(db, &program.id, key).await?)
}

/// A manual ledger entry (positive credits, negative debits such as payouts).
pub async fn credit(mut req: Request, env: &Env, ctx: &Context, db: &D1Database, program: &Program, key: &str) -> ApiResult<Response> {
    let body: Credit = json_body(&mut req).await?;
    // unsigned_abs: i64::MIN has no positive twin and must not wrap past the check.
    if body.amount == 0 || body.amount.unsigned_abs() > MAX_AMOUNT as u64 {
        return Err(ApiError::invalid("amount", "must be a non-zero integer in minor units (at most 10^15 either way)"));
    }
    let note = body.note.as_deref().map(|n| validate::name("note", n, 500)).transpose()?;
    let c = store::require(db, &program.id, key).await?;
    let now = ids::now_ms();
    let entry = json!({
        "customer": {"key": key},
        "amount": body.amount,
        "kind": "credit",
        "note": note,
        "balance": c.balance + body.amount,
        "created_at": time::rfc3339(now),
    });
    let event = outbox::event(db, &program.id, "customer.credited", &entry);
    let mut stmts = store::ledger_statements(db, &program.id, key, body.amount, "credit", None, note.as_deref(), now);
    stmts.extend(event.statements);
    db::batch(db, stmts).await?;
    dispatch(env, ctx, vec![event.id]);
    json(201, &entry)
}
