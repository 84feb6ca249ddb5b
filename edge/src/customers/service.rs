//! Customers as the rest of the Worker uses them: finding one by key or email,
//! creating one with its referrer's reward and its event in one batch (the API,
//! a tracked signup and a Stripe checkout all create customers this way), and
//! the flags a referrer's new reward carries.

use super::{model::CustomerRow, store};
use crate::change::Change;
use crate::codes;
use crate::context::Cx;
use crate::db::{DbError, DbResult, Stmt};
use crate::error::{ApiError, ApiResult};
use crate::programs::model::Program;
use crate::rewards::model::flags_json;
use crate::rewards::service::{self as rewards, Earning};
use crate::{audit, ids, outbox};
use edgeref_shared::api::CustomerRef;
use edgeref_shared::fraud::{self, Flag};
use edgeref_shared::reward::{FriendReward, RewardKind, Trigger};
use edgeref_shared::webhook::EventKind;
use edgeref_shared::time::DAY_MS;
use edgeref_shared::{validate, ReferralCode};
use serde_json::{json, Value};

/// Validated input for a new customer, from the API or a tracked signup.
pub struct NewCustomerInput {
    pub key: String,
    pub email: String,
    pub name: Option<String>,
    pub surname: Option<String>,
    /// A merchant-chosen code; otherwise one is generated.
    pub referral_code: Option<ReferralCode>,
    pub referrer: Option<CustomerRow>,
    /// What fraud review saw in the referred signup; every reward it earns inherits them.
    pub flags: Vec<Flag>,
    pub stripe_customer_id: Option<String>,
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
            flags: Vec::new(),
            stripe_customer_id: None,
        })
    }
}

/// Finds the customer named by key or email; `field` names it in errors.
pub async fn find(cx: &Cx, program_id: &str, r: &CustomerRef, field: &str) -> ApiResult<CustomerRow> {
    let found = match r {
        CustomerRef::Key(key) => store::by_key(&cx.db, program_id, key).await?,
        CustomerRef::Email(email) => store::by_email(&cx.db, program_id, email).await?,
    };
    found.ok_or_else(|| ApiError::invalid(field, "no customer with that key or email in this program"))
}

/// The event payload for a customer: the object the REST API returns.
pub fn customer_json(cx: &Cx, c: &CustomerRow, program: &Program) -> Value {
    serde_json::to_value(c.view(&program.website_url, &program.tracking, &cx.origin)).expect("view serializes")
}

/// What a new customer's friend reward credits at signup (a fixed reward `on: signup`).
fn friend_signup_credit(friend_reward: Option<&FriendReward>) -> i64 {
    match friend_reward {
        Some(FriendReward::Fixed { amount, on: Trigger::Signup }) => *amount,
        _ => 0,
    }
}

/// The row for a new customer: a referred one carries the program's friend
/// reward as granted now and the fraud flags of its signup.
fn new_row(program: &Program, input: &NewCustomerInput, code: &ReferralCode, now: i64) -> CustomerRow {
    let referred_by = input.referrer.as_ref().map(|r| r.key.clone());
    let friend_reward = referred_by.as_ref().and(program.rewards.friend.as_ref());
    CustomerRow {
        row_id: 0,
        key: input.key.clone(),
        email: input.email.clone(),
        name: input.name.clone(),
        surname: input.surname.clone(),
        referral_code: code.as_str().to_owned(),
        referred_by,
        friend_reward: friend_reward.map(|f| serde_json::to_string(f).expect("reward serializes")),
        balance: 0,
        referrals_count: 0,
        created_at: now,
        updated_at: now,
        fraud_flags: flags_json(&input.flags),
        pending_balance: 0,
        paid_total: 0,
        stripe_customer_id: input.stripe_customer_id.clone(),
        promotion_code: None,
    }
}

/// The signup's flags plus `velocity` when the referrer is over the program's daily limit.
pub async fn reward_flags(cx: &Cx, program: &Program, referrer_key: &str, signup_flags: &[Flag]) -> ApiResult<Vec<Flag>> {
    let mut flags = signup_flags.to_vec();
    if let Some(limit) = program.rewards.max_per_referrer_per_day {
        let today = ids::now_ms().div_euclid(DAY_MS) * DAY_MS;
        if fraud::over_daily_limit(crate::rewards::store::earned_since(&cx.db, &program.id, referrer_key, today).await?, Some(limit)) {
            flags.push(Flag::Velocity);
        }
    }
    Ok(flags)
}

/// The rewards a referred signup earns: the referrer's signup reward and the friend's signup credit.
fn signup_earnings<'a>(program: &Program, row: &'a CustomerRow, flags: &'a [Flag]) -> Vec<Earning<'a>> {
    let Some(referrer) = &row.referred_by else { return Vec::new() };
    let friend = friend_signup_credit(program.rewards.friend.as_ref());
    vec![
        Earning { customer_key: referrer, referred_key: &row.key, kind: RewardKind::Referrer, amount: program.rewards.referrer.for_signup(), transaction_key: None, flags, milestone: None },
        Earning { customer_key: &row.key, referred_key: &row.key, kind: RewardKind::Friend, amount: friend, transaction_key: None, flags, milestone: None },
    ]
}

/// Creates a customer with everything that goes with it in one D1 batch: the
/// referral count and signup reward of its referrer, the friend's reward, its
/// `customer.created` event and the caller's `extra` statements. Then publishes
/// its code to KV and delivers the event.
pub async fn create_customer(cx: &Cx, program: &Program, input: &NewCustomerInput, extra: &dyn Fn() -> Vec<Stmt>) -> ApiResult<CustomerRow> {
    let now = ids::now_ms();
    let flags = match &input.referrer {
        Some(referrer) => reward_flags(cx, program, &referrer.key, &input.flags).await?,
        None => Vec::new(),
    };
    let flags = &flags;
    let write = |code: ReferralCode| async move {
        let row = new_row(program, input, &code, now);
        Change::new(cx, &program.id, EventKind::CustomerCreated)
            .statements(store::insert_statements(&cx.db, &program.id, &row))
            .event(&customer_json(cx, &row, program))
            .and(rewards::earn(&cx.db, program, &signup_earnings(program, &row, flags), now))
            .audit(("customer", &row.key), audit::created(&audited(&row)))
            .statements(extra())
            .commit()
            .await?;
        DbResult::Ok(row)
    };
    let written = match &input.referral_code {
        Some(chosen) => write(chosen.clone()).await,
        None => codes::with_unique_code(write).await,
    };
    let row = written.map_err(creation_conflict)?;
    codes::remember(&cx.env, &program.id, &row.referral_code, &input.key).await?;
    if row.referred_by.is_some() && matches!(program.rewards.friend, Some(FriendReward::StripePromotionCode { .. })) {
        // The friend's own code, now, so this answer (the snippet's signup) can carry it; the
        // cron trigger sends it later should this request die first (`outbox::store::fan_out_promotion_code`).
        if let Some(delivery) = outbox::store::promotion_code_delivery(&cx.db, &program.id, &row.key).await? {
            outbox::delivery::resend(&cx.env, &cx.db, &delivery).await?;
        }
    }
    // Read back: the signup rewards may already be on the balance or pending.
    store::require(&cx.db, &program.id, &row.key).await
}

/// What the audit log compares of a customer.
pub fn audited(c: &CustomerRow) -> Value {
    json!({"email": c.email, "name": c.name, "surname": c.surname, "referral_code": c.referral_code, "referred_by": c.referred_by, "stripe_customer_id": c.stripe_customer_id})
}

/// A new customer's UNIQUE conflicts, named for the caller.
fn creation_conflict(e: DbError) -> ApiError {
    if e.conflicts_on("customers.key") {
        ApiError::conflict("a customer with this key already exists").with_field("key")
    } else if e.conflicts_on("customers.referral_code") {
        ApiError::conflict("this referral code is taken").with_field("referral_code")
    } else {
        e.into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use edgeref_shared::reward::{RewardRule, RewardRules};

    fn program(friend: Option<FriendReward>) -> Program {
        Program::sample(RewardRules { referrer: RewardRule::percent(10), friend, ..RewardRules::default() })
    }

    fn referrer() -> CustomerRow {
        new_row(&program(None), &NewCustomerInput::validated("ann", "ann@x.example", None, None).unwrap(), &ReferralCode::parse("annscode").unwrap(), 0)
    }

    #[test]
    fn only_a_fixed_signup_friend_reward_credits_at_signup() {
        assert_eq!(friend_signup_credit(Some(&FriendReward::Fixed { amount: 500, on: Trigger::Signup })), 500);
        assert_eq!(friend_signup_credit(Some(&FriendReward::Fixed { amount: 500, on: Trigger::Sale })), 0);
        assert_eq!(friend_signup_credit(Some(&FriendReward::Percent { percent: 10 })), 0);
        assert_eq!(friend_signup_credit(None), 0);
    }

    #[test]
    fn a_referred_customer_is_granted_the_friend_reward_and_an_unreferred_one_is_not() {
        let p = program(Some(FriendReward::Fixed { amount: 500, on: Trigger::Signup }));
        let mut input = NewCustomerInput::validated("bob", "bob@x.example", Some("Bob"), None).unwrap();
        let code = ReferralCode::parse("bobscode").unwrap();
        let alone = new_row(&p, &input, &code, 7);
        assert_eq!((alone.referred_by.as_deref(), alone.friend_reward.as_deref(), alone.balance), (None, None, 0));
        assert!(signup_earnings(&p, &alone, &[]).is_empty(), "nobody earns from an unreferred signup");
        input.referrer = Some(referrer());
        input.flags = vec![Flag::LookalikeEmail];
        let referred = new_row(&p, &input, &code, 7);
        assert_eq!(referred.referred_by.as_deref(), Some("ann"));
        assert_eq!(referred.fraud_flags, r#"["lookalike_email"]"#);
        let earned: Vec<_> = signup_earnings(&p, &referred, &[]).iter().map(|e| (e.customer_key.to_owned(), e.kind, e.amount)).collect();
        assert_eq!(earned, [("ann".to_owned(), RewardKind::Referrer, 0), ("bob".to_owned(), RewardKind::Friend, 500)]);
        assert_eq!(referred.friend_reward.as_deref(), Some(r#"{"type":"fixed","amount":500,"on":"signup"}"#));
        assert_eq!((referred.referral_code.as_str(), referred.created_at), ("bobscode", 7));
    }

    #[test]
    fn conflicts_on_key_and_code_name_their_field() {
        let key = creation_conflict(DbError::Conflict { column: "customers.key".into() });
        assert_eq!((key.status, key.field.as_deref()), (409, Some("key")));
        let code = creation_conflict(DbError::Conflict { column: "customers.referral_code".into() });
        assert_eq!((code.status, code.field.as_deref()), (409, Some("referral_code")));
    }
}
