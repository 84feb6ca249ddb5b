//! Program API for customers: `/v1/customers`.

pub mod model;
pub mod store;

use crate::error::{ApiError, ApiResult};
use crate::http::{json, json_body};
use crate::programs::model::Program;
use crate::{codes, db, ids};
use edgeref_shared::attribution::normalize_email;
use edgeref_shared::reward::{FriendReward, Trigger};
use edgeref_shared::{validate, ReferralCode};
use model::CustomerRow;
use serde::Deserialize;
use worker::{D1Database, D1PreparedStatement, Env, Request, Response};

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

/// Finds the referring customer named by key or email (exactly one of them).
pub async fn find_referrer(db: &D1Database, program_id: &str, r: &CustomerRef) -> ApiResult<CustomerRow> {
    let found = match (&r.key, &r.email) {
        (Some(key), None) => store::by_key(db, program_id, key).await?,
        (None, Some(email)) => store::by_email(db, program_id, email).await?,
        _ => return Err(ApiError::invalid("referring_customer", "give exactly one of key or email")),
    };
    found.ok_or_else(|| ApiError::invalid("referring_customer", "no customer with that key or email in this program"))
}

/// Creates a customer with everything that goes with it in one D1 batch: the
/// referral count and signup reward of its referrer, the friend's reward, and
/// the caller's `extra` statements. Then publishes its code to KV.
pub async fn create_customer(
    env: &Env,
    db: &D1Database,
    program: &Program,
    input: &NewCustomerInput,
    extra: &dyn Fn() -> Vec<ApiResult<D1PreparedStatement>>,
) -> ApiResult<CustomerRow> {
    let now = ids::now_ms();
    let referred_by = input.referrer.as_ref().map(|r| r.key.as_str());
    let friend_reward = referred_by.and(program.rewards.friend.as_ref());
    let write = |code: ReferralCode| async move {
        let new = store::NewCustomer {
            program_id: &program.id,
            key: &input.key,
            email: &input.email,
            name: input.name.as_deref(),
            surname: input.surname.as_deref(),
            referral_code: code.as_str(),
            referred_by,
            friend_reward,
            now,
        };
        let mut stmts = store::insert_statements(db, &new);
        if let Some(referrer) = referred_by {
            let reward = program.rewards.referrer.for_signup();
            if reward > 0 {
                stmts.extend(store::ledger_statements(db, &program.id, referrer, reward, "reward", None, Some("referred signup"), now));
            }
            if let Some(FriendReward::Fixed { amount, on: Trigger::Signup }) = friend_reward {
                stmts.extend(store::ledger_statements(db, &program.id, &input.key, *amount, "reward", None, Some("friend signup reward"), now));
            }
        }
        stmts.extend(extra());
        db::batch(db, stmts).await.map_err(|e| match e.status {
            409 if e.message.contains("customers.key") => ApiError::conflict("a customer with this key already exists").with_field("key"),
            _ => e,
        })?;
        Ok(code)
    };
    let code = match &input.referral_code {
        Some(chosen) => write(chosen.clone()).await.map_err(|e: ApiError| match e.status {
            409 if e.message.contains("referral_code") => ApiError::conflict("this referral code is taken").with_field("referral_code"),
            _ => e,
        })?,
        None => codes::with_unique_code(write).await?,
    };
    codes::remember(env, &program.id, code.as_str(), &input.key).await?;
    store::require(db, &program.id, &input.key).await
}

pub async fn create(mut req: Request, env: &Env, db: &D1Database, program: &Program) -> ApiResult<Response> {
    let body: CreateCustomer = json_body(&mut req).await?;
    let mut input = NewCustomerInput::validated(&body.key, &body.email, body.name.as_deref(), body.surname.as_deref())?;
    input.referral_code = body.referral_code.as_deref().map(ReferralCode::parse).transpose()?;
    if let Some(r) = &body.referring_customer {
        let referrer = find_referrer(db, &program.id, r).await?;
        if referrer.key == input.key || normalize_email(&referrer.email) == normalize_email(&input.email) {
            return Err(ApiError::invalid("referring_customer", "a customer cannot refer themselves"));
        }
        input.referrer = Some(referrer);
    }
    let customer = create_customer(env, db, program, &input, &Vec::new).await?;
    json(201, &customer.view(&program.website_url, &program.tracking))
}

pub async fn get(db: &D1Database, program: &Program, key: &str) -> ApiResult<Response> {
    let customer = store::require(db, &program.id, key).await?;
    json(200, &customer.view(&program.website_url, &program.tracking))
}

pub async fn stats(db: &D1Database, program: &Program, key: &str) -> ApiResult<Response> {
    store::require(db, &program.id, key).await?;
    json(200, &store::stats(db, &program.id, key).await?)
}
