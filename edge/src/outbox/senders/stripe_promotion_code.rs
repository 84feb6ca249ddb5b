//! A referred friend's own Stripe promotion code as an outbox target: `POST /v1/promotion_codes`
//! for the program's Stripe coupon, one redemption, first-time orders only, the friend's Stripe
//! customer when known, expiring when the program says. The code derives from the delivery, so
//! a retry after a lost answer is the same request (same `Idempotency-Key`); Stripe's
//! `resource_already_exists` moves on to another code. The code Stripe took is stored on the
//! customer (docs/fulfilment.md#a-promotion-code-per-friend).

use super::stripe_credit::{connection, post_form};
use crate::ids;
use crate::outbound::Outcome;
use crate::outbox::store::{self, PromoRow};
use edgeref_shared::promotion::{self, MAX_CANDIDATES};
use edgeref_shared::reward::{FriendReward, RewardRules};
use edgeref_shared::webhook::is_success;
use worker::{D1Database, Env};

/// What one promotion code asks Stripe for, checked before anything is sent.
#[derive(Debug, Clone, PartialEq)]
pub struct Request<'a> {
    pub customer_key: &'a str,
    pub stripe_customer_id: Option<&'a str>,
    pub coupon: String,
    pub expires_at: Option<i64>,
}

/// Nothing to send, for a reason the delivery log shows; counts as delivered.
fn skipped(reason: &str) -> Outcome {
    Outcome { body: Some(format!("not sent: {reason}")), ..Outcome::nothing_to_do() }
}

/// The request a claimed delivery stands for, or why nothing is sent.
pub fn request_of(row: &PromoRow, now_ms: i64) -> Result<Request<'_>, Outcome> {
    let customer_key = row.customer_key.as_deref().ok_or_else(|| skipped("the customer no longer exists"))?;
    if row.promotion_code.is_some() {
        return Err(skipped("the customer has a promotion code already"));
    }
    let rules: Option<RewardRules> = row.rewards.as_deref().and_then(|r| serde_json::from_str(r).ok());
    let Some(FriendReward::StripePromotionCode { coupon, expires_days }) = rules.and_then(|r| r.friend) else {
        return Err(skipped("the program's friend reward is no longer a Stripe promotion code"));
    };
    let stripe_customer_id = row.stripe_customer_id.as_deref().filter(|id| edgeref_shared::validate::stripe_customer_id("stripe_customer_id", id).is_ok());
    Ok(Request { customer_key, stripe_customer_id, coupon, expires_at: expires_days.map(|d| promotion::expires_at(now_ms, d)) })
}

/// `application/x-www-form-urlencoded`, in the shape of Stripe API 2025-09-30 (`promotion[…]`).
pub fn form(r: &Request, code: &str) -> String {
    let mut f = url::form_urlencoded::Serializer::new(String::new());
    f.append_pair("promotion[type]", "coupon")
        .append_pair("promotion[coupon]", &r.coupon)
        .append_pair("code", code)
        .append_pair("max_redemptions", "1")
        .append_pair("restrictions[first_time_transaction]", "true");
    if let Some(customer) = r.stripe_customer_id {
        f.append_pair("customer", customer);
    }
    if let Some(at) = r.expires_at {
        f.append_pair("expires_at", &at.to_string());
    }
    f.append_pair("metadata[edgeref_customer]", r.customer_key);
    f.finish()
}

/// Asks Stripe for the friend's code (another one while Stripe says a code is taken) and stores the one it took.
pub async fn deliver(env: &Env, db: &D1Database, row: &PromoRow) -> Outcome {
    let request = match request_of(row, ids::now_ms()) {
        Ok(r) => r,
        Err(outcome) => return outcome,
    };
    let (api_base, key) = match connection(env, row.sealed_key.as_deref(), row.api_settings.as_deref()) {
        Ok(c) => c,
        Err(outcome) => return outcome,
    };
    let url = format!("{api_base}/v1/promotion_codes");
    let mut sent = Outcome::failed("no code tried");
    for n in 0..MAX_CANDIDATES {
        let code = promotion::candidate(&row.id, n);
        sent = post_form(env, &key, &url, &promotion::idempotency_key(&row.id, &code), &form(&request, &code)).await;
        if sent.code.is_some_and(is_success) {
            return match store::batch(db, vec![store::set_promotion_code(db, &row.program_id, request.customer_key, &code)]).await {
                Ok(()) => sent,
                // Retried: Stripe replays the same code for the same key, and it is stored then.
                Err(e) => Outcome::failed(format!("Stripe created {code}; storing it failed: {e:?}")),
            };
        }
        if !promotion::is_taken(sent.code, sent.body.as_deref()) {
            break;
        }
    }
    sent
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row() -> PromoRow {
        PromoRow {
            id: "msg_1.stripe_promotion_code".into(),
            program_id: "prg_1".into(),
            event_id: "msg_1".into(),
            attempts: 0,
            customer_key: Some("bob".into()),
            stripe_customer_id: Some("cus_B1".into()),
            promotion_code: None,
            rewards: Some(r#"{"referrer":{"type":"percent","percent":10},"friend":{"type":"stripe_promotion_code","coupon":"SPRING25","expires_days":30}}"#.into()),
            api_settings: None,
            sealed_key: Some("sealed".into()),
        }
    }

    #[test]
    fn the_form_is_stripes_promotion_code_with_one_first_time_redemption() {
        let r = row();
        let request = request_of(&r, 1_000).unwrap();
        assert_eq!(request.expires_at, Some(1 + 30 * 86_400));
        let pairs: Vec<(String, String)> = url::form_urlencoded::parse(form(&request, "FRIEND-ABCDEFGH").as_bytes()).into_owned().collect();
        let expected = [
            ("promotion[type]", "coupon"),
            ("promotion[coupon]", "SPRING25"),
            ("code", "FRIEND-ABCDEFGH"),
            ("max_redemptions", "1"),
            ("restrictions[first_time_transaction]", "true"),
            ("customer", "cus_B1"),
            ("expires_at", "2592001"),
            ("metadata[edgeref_customer]", "bob"),
        ];
        assert_eq!(pairs, expected.map(|(k, v)| (k.to_owned(), v.to_owned())));
    }

    #[test]
    fn without_a_stripe_customer_or_an_expiry_those_fields_are_left_out() {
        let r = PromoRow { stripe_customer_id: None, rewards: Some(r#"{"referrer":{"type":"percent","percent":10},"friend":{"type":"stripe_promotion_code","coupon":"C"}}"#.into()), ..row() };
        let body = form(&request_of(&r, 0).unwrap(), "FRIEND-X");
        assert!(!body.contains("customer=") && !body.contains("expires_at"), "{body}");
    }

    #[test]
    fn a_customer_with_a_code_a_deleted_one_or_another_friend_reward_is_skipped() {
        for r in [
            PromoRow { promotion_code: Some("FRIEND-OLD".into()), ..row() },
            PromoRow { customer_key: None, ..row() },
            PromoRow { rewards: Some(r#"{"referrer":{"type":"percent","percent":10},"friend":null}"#.into()), ..row() },
        ] {
            assert!(matches!(request_of(&r, 0), Err(Outcome { code: Some(204), .. })), "{r:?}");
        }
    }
}
