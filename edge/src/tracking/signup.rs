//! Signup attribution, shared by the browser beacon (`/t/signup`) and the
//! merchant's backend (`POST /v1/signups`).

use super::store::{self, SignupRecord};
use crate::context::Cx;
use crate::customers::model::CustomerRow;
use crate::disposable;
use crate::customers::service::{create_customer, NewCustomerInput};
use crate::customers::store as customers;
use crate::error::ApiResult;
use crate::programs::model::Program;
use crate::{codes, db, ids};
use edgeref_shared::attribution::{attribute, Referrer, Refusal, SignupFacts};
use edgeref_shared::fraud::{signup_flags, SignupSignals};
use edgeref_shared::ReferralCode;
use serde_json::{json, Value};

/// What the page passes to `edgeref('signup', …)`; other fields it may add are ignored.
pub use edgeref_shared::api::SignupCustomer;

/// Attributes a signup to the code's referrer, or records why not. Idempotent
/// per customer key: a repeat answers with the first result.
pub async fn attribute_signup(cx: &Cx, program: &Program, raw_code: &str, visit_id: Option<&str>, ip_hash: Option<&str>, c: &SignupCustomer) -> ApiResult<Value> {
    let input = NewCustomerInput::validated(&c.key, &c.email, c.name.as_deref(), None)?;
    if let Some(past) = store::past_signup(&cx.db, &program.id, &input.key).await? {
        let customer = customers::by_key(&cx.db, &program.id, &input.key).await?;
        return Ok(answer(past.attributed == 1, past.reason.as_deref(), customer.as_ref(), program));
    }
    let code = ReferralCode::parse(raw_code).ok();
    let referrer = referrer_of(cx, program, code.as_ref()).await?;
    let visit_at = match visit_id {
        Some(id) => store::visit_time(&cx.db, &program.id, id).await?,
        None => None,
    };
    let existing = customers::by_key(&cx.db, &program.id, &input.key).await?;
    let facts = SignupFacts {
        referrer: referrer.as_ref().map(|r| Referrer { key: &r.key, email: &r.email }),
        signup_key: &input.key,
        signup_email: &input.email,
        visit_at_ms: visit_at,
        signup_at_ms: ids::now_ms(),
        window: program.tracking.cookie,
        already_referred: existing.is_some(),
    };
    // Attribution needs a referrer, so an Ok verdict always carries one.
    let verdict = attribute(&facts).and_then(|()| referrer.clone().ok_or(Refusal::UnknownCode));
    let customer_key = input.key.clone();
    let code_text = code.as_ref().map_or_else(|| raw_code.chars().take(64).collect(), |c| c.as_str().to_owned());
    let record = |attributed: bool, reason: Option<&'static str>| SignupRecord {
        customer_key: &customer_key,
        code: &code_text,
        visit_id,
        referrer_key: referrer.as_ref().map(|r| r.key.as_str()),
        attributed,
        reason,
        ip_hash,
        at: ids::now_ms(),
    };
    match verdict {
        Ok(referrer) => {
            let signup = record(true, None);
            let origin = store::signup_origin(&cx.db, &program.id, &referrer.key).await?;
            let flags = signup_flags(&SignupSignals {
                friend_email: &input.email,
                friend_disposable: disposable::is_disposable(cx, &input.email).await,
                referrer_email: &referrer.email,
                friend_ip_hash: ip_hash,
                referrer_ip_hash: origin.ip_hash.as_deref(),
                friend_visit: visit_id,
                referrer_visit: origin.visit_id.as_deref(),
            });
            let input = NewCustomerInput { referrer: Some(referrer), flags, ..input };
            create_referred(cx, program, &input, &signup).await
        }
        Err(refusal) => {
            db::run(store::insert_signup(&cx.db, &program.id, &record(false, Some(refusal.as_str())))).await?;
            Ok(answer(false, Some(refusal.as_str()), existing.as_ref(), program))
        }
    }
}

/// The customer who owns the code, if the code is well-formed and someone owns it.
async fn referrer_of(cx: &Cx, program: &Program, code: Option<&ReferralCode>) -> ApiResult<Option<CustomerRow>> {
    let Some(code) = code else { return Ok(None) };
    match codes::owner_of(cx, &program.id, code).await? {
        Some(key) => customers::by_key(&cx.db, &program.id, &key).await,
        None => Ok(None),
    }
}

/// Creates the referred customer with its signup record in one batch.
async fn create_referred(cx: &Cx, program: &Program, input: &NewCustomerInput, signup: &SignupRecord<'_>) -> ApiResult<Value> {
    match create_customer(cx, program, input, &|| vec![store::insert_signup(&cx.db, &program.id, signup)]).await {
        Ok(customer) => Ok(answer(true, None, Some(&customer), program)),
        // A concurrent signup for the same key won the race: answer with its result.
        Err(e) if e.status == 409 => {
            let customer = customers::require(&cx.db, &program.id, &input.key).await?;
            Ok(answer(customer.referred_by.is_some(), None, Some(&customer), program))
        }
        Err(e) => Err(e),
    }
}

/// The answer shows only what the visitor may know: whether the signup was
/// credited (or why not), their own referral link, and their friend reward.
/// Never emails, balances or who referred them.
fn answer(attributed: bool, reason: Option<&str>, customer: Option<&CustomerRow>, program: &Program) -> Value {
    // The answer carries no short link, so no Worker origin is needed.
    let view = customer.map(|c| c.view(&program.website_url, &program.tracking, ""));
    json!({
        "attributed": attributed,
        "reason": reason,
        "referral_code": view.as_ref().map(|v| v.referral_code.as_str()),
        "referral_link": view.as_ref().map(|v| v.referral_link.as_str()),
        "friend_reward": view.as_ref().and_then(|v| v.friend_reward.as_ref()),
        "promotion_code": customer.and_then(|c| c.promotion_code.as_deref()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use edgeref_shared::reward::RewardRules;

    #[test]
    fn the_answer_shows_the_visitor_their_link_and_never_emails_or_balances() {
        let program = Program::sample(RewardRules::default());
        let customer = CustomerRow {
            row_id: 0,
            key: "bob".into(),
            email: "bob@x.example".into(),
            name: None,
            surname: None,
            referral_code: "bobscode".into(),
            referred_by: Some("ann".into()),
            friend_reward: None,
            balance: 1234,
            referrals_count: 0,
            created_at: 0,
            updated_at: 0,
            fraud_flags: "[]".into(),
            pending_balance: 0,
            paid_total: 0,
            stripe_customer_id: None,
            promotion_code: None,
        };
        let a = answer(true, None, Some(&customer), &program);
        assert_eq!(a["referral_link"], "https://shop.example/?ref=bobscode");
        let text = a.to_string();
        assert!(!text.contains("bob@x.example") && !text.contains("1234") && !text.contains("ann"), "{text}");
        let refused = answer(false, Some("self_referral"), None, &program);
        assert_eq!((refused["attributed"].clone(), refused["reason"].clone()), (json!(false), json!("self_referral")));
        assert!(refused["referral_code"].is_null());
    }
}
