//! Stripe credit as an outbox target: a referrer's approved reward becomes a credit on their
//! Stripe customer balance (`POST /v1/customers/{id}/balance_transactions`), which Stripe takes
//! off their next invoices. Retried like webhooks on 429, 5xx and network failures, under an
//! `Idempotency-Key` derived from the reward, so Stripe credits it once however often it is
//! sent. Success pays the reward with a `stripe_credit` payout and `payout.created`; a final
//! refusal flags it `fulfilment_failed` with Stripe's message (docs/fulfilment.md).

use crate::ids;
use crate::ledger::{self, LedgerEntry};
use crate::outbound::{self, Outcome};
use crate::outbox::fanout;
use crate::outbox::store::{self, CreditPayout, CreditRow};
use edgeref_shared::reward::{credit_idempotency_key, LedgerKind, PayoutMethod};
use edgeref_shared::time;
use edgeref_shared::webhook::EventKind;
use serde_json::{json, Value};
use worker::{D1Database, Env, Method};

/// What one credit asks Stripe for, checked before anything is sent.
#[derive(Debug, Clone, PartialEq)]
pub struct Credit<'a> {
    pub reward_id: &'a str,
    pub customer_key: &'a str,
    pub stripe_customer_id: &'a str,
    pub amount: i64,
    pub currency: &'a str,
    pub program_name: &'a str,
}

/// Nothing to send, for a reason the delivery log shows; counts as delivered.
fn skipped(reason: &str) -> Outcome {
    Outcome { body: Some(format!("not sent: {reason}")), ..Outcome::nothing_to_do() }
}

/// The credit a claimed delivery stands for; or why nothing is sent (a reward paid by hand,
/// reversed or deleted meanwhile is skipped; a customer unlinked or a key removed is final).
pub fn credit_of(row: &CreditRow) -> Result<Credit<'_>, Outcome> {
    let reward_id = row.reward_id.as_deref().ok_or_else(|| Outcome::final_failure("the event names no reward"))?;
    if row.reward_status.as_deref() != Some("approved") {
        return Err(skipped("the reward is no longer approved (paid, reversed or deleted)"));
    }
    let amount = row.amount.filter(|a| *a > 0).ok_or_else(|| skipped("nothing is left of the reward"))?;
    Ok(Credit {
        reward_id,
        customer_key: row.customer_key.as_deref().ok_or_else(|| skipped("the customer no longer exists"))?,
        stripe_customer_id: row
            .stripe_customer_id
            .as_deref()
            .filter(|id| edgeref_shared::validate::stripe_customer_id("stripe_customer_id", id).is_ok())
            .ok_or_else(|| Outcome::final_failure("the customer has no valid stripe_customer_id any more"))?,
        amount,
        currency: row.currency.as_deref().unwrap_or("USD"),
        program_name: row.program_name.as_deref().unwrap_or("Referral program"),
    })
}

/// `application/x-www-form-urlencoded`, as Stripe's API takes it: a negative amount is a credit.
pub fn form(c: &Credit) -> String {
    let description = format!("{}: referral reward", c.program_name);
    let mut f = url::form_urlencoded::Serializer::new(String::new());
    f.append_pair("amount", &(-c.amount).to_string())
        .append_pair("currency", &c.currency.to_ascii_lowercase())
        .append_pair("description", &description)
        .append_pair("metadata[edgeref_reward]", c.reward_id)
        .append_pair("metadata[edgeref_customer]", c.customer_key);
    f.finish()
}

/// `{api_base}/v1/customers/{id}/balance_transactions`; the id is checked in `credit_of` (`cus_` and A-Z a-z 0-9 _).
pub fn url(api_base: &str, stripe_customer_id: &str) -> String {
    format!("{}/v1/customers/{stripe_customer_id}/balance_transactions", api_base.trim_end_matches('/'))
}

/// Sends one claimed credit and, when Stripe took it, pays the reward.
pub async fn deliver(env: &Env, db: &D1Database, row: &CreditRow) -> Outcome {
    let credit = match credit_of(row) {
        Ok(c) => c,
        Err(outcome) => return outcome,
    };
    let (api_base, key) = match connection(env, row.sealed_key.as_deref(), row.api_settings.as_deref()) {
        Ok(c) => c,
        Err(outcome) => return outcome,
    };
    let idempotency = credit_idempotency_key(credit.reward_id, row.retries);
    let sent = post_form(env, &key, &url(&api_base, credit.stripe_customer_id), &idempotency, &form(&credit)).await;
    if !sent.code.is_some_and(edgeref_shared::webhook::is_success) {
        return sent;
    }
    paid(db, row, &credit, sent).await
}

/// The program's Stripe API base and its opened key; without them nothing can be sent (final).
pub fn connection(env: &Env, sealed: Option<&str>, settings: Option<&str>) -> Result<(String, String), Outcome> {
    let sealed = sealed.ok_or_else(|| Outcome::final_failure("the Stripe integration has no secret_key any more"))?;
    let key = crate::sealed::open(env, sealed).map_err(|e| Outcome::final_failure(e.message))?;
    let settings: Value = settings.and_then(|s| serde_json::from_str(s).ok()).unwrap_or_default();
    Ok((settings["api_base"].as_str().unwrap_or("https://api.stripe.com").trim_end_matches('/').to_owned(), key))
}

/// POSTs a form to Stripe's API under an `Idempotency-Key`; only what can succeed later is retried.
pub async fn post_form(env: &Env, key: &str, url: &str, idempotency: &str, form: &str) -> Outcome {
    let auth = format!("Bearer {key}");
    let headers = outbound::headers([
        ("authorization", auth.as_str()),
        ("content-type", "application/x-www-form-urlencoded"),
        ("idempotency-key", idempotency),
        ("stripe-version", STRIPE_VERSION),
        ("user-agent", "Edgeref/1"),
    ]);
    let sent = outbound::send(Method::Post, url, headers, Some(form), outbound::timeout(env)).await;
    Outcome { retryable: sent.retryable && is_retryable(sent.code), ..sent }
}

/// The API version whose request shapes Edgeref sends (promotion codes' `promotion[coupon]`).
pub const STRIPE_VERSION: &str = "2025-09-30.clover";

/// Stripe's 4xx (but 429) refuses this credit: retrying cannot help.
fn is_retryable(code: Option<u16>) -> bool {
    code.is_none_or(|c| c == 429 || c >= 500)
}

/// Stripe credited the customer: the payout, its ledger debit, the reward paid and
/// `payout.created`, in one batch guarded so the reward is paid once.
async fn paid(db: &D1Database, row: &CreditRow, c: &Credit<'_>, sent: Outcome) -> Outcome {
    let (payout_id, now) = (ids::new_id("pay"), ids::now_ms());
    let answer: Value = sent.body.as_deref().and_then(|b| serde_json::from_str(b).ok()).unwrap_or_default();
    let note = format!("Stripe customer balance credit to {}", c.stripe_customer_id);
    let payout = CreditPayout { id: &payout_id, program_id: &row.program_id, reward_id: c.reward_id, customer_key: c.customer_key, amount: c.amount, currency: c.currency, reference: answer["id"].as_str(), note: &note, at: now };
    let debit = LedgerEntry { customer_key: c.customer_key, amount: -c.amount, kind: LedgerKind::Payout, transaction_key: None, note: Some(&payout_id), at: now };
    let mut stmts = store::credit_payout(db, &payout);
    stmts.extend(ledger::store::statements(db, &row.program_id, &debit));
    let event = fanout::event(db, &row.program_id, EventKind::PayoutCreated, &payout_view(&payout));
    stmts.extend(event.statements);
    match store::batch(db, stmts).await {
        // Its deliveries (webhooks, the payout_sent e-mail) go out with the next cron run.
        Ok(()) => sent,
        Err(e) if e.conflicts_on(crate::db::GUARD) => Outcome { body: Some("credited in Stripe, but the reward was paid or changed meanwhile: check the customer's Stripe balance".into()), ..sent },
        // Retried: Stripe answers the same key with the same credit, and the payout is written then.
        Err(e) => Outcome::failed(format!("credited in Stripe; recording the payout failed: {e:?}")),
    }
}

/// The API's payout object for a credit (as `payouts::store::PayoutRow::view` shows payouts).
pub fn payout_view(p: &CreditPayout) -> Value {
    json!({
        "id": p.id,
        "customer": {"key": p.customer_key},
        "amount": p.amount,
        "currency": p.currency,
        "reference": p.reference,
        "note": p.note,
        "reward_ids": [p.reward_id],
        "method": PayoutMethod::StripeCredit,
        "created_at": time::rfc3339(p.at),
    })
}

/// What a final failure tells the owner: Stripe's `error.message`, else the status or the network error.
pub fn failure_reason(outcome: &Outcome) -> String {
    let stripe = outcome.body.as_deref().and_then(|b| serde_json::from_str::<Value>(b).ok()).and_then(|v| v["error"]["message"].as_str().map(str::to_owned));
    let why = stripe.or_else(|| outcome.error.clone()).unwrap_or_else(|| outcome.code.map_or_else(|| "no answer".into(), |c| format!("HTTP {c}")));
    format!("Stripe credit failed: {why}")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row() -> CreditRow {
        CreditRow {
            id: "msg_1.stripe_credit".into(),
            program_id: "prg_1".into(),
            event_id: "msg_1".into(),
            attempts: 0,
            retries: 0,
            reward_id: Some("rwd_1".into()),
            reward_status: Some("approved".into()),
            amount: Some(1250),
            currency: Some("EUR".into()),
            customer_key: Some("ann".into()),
            stripe_customer_id: Some("cus_A1".into()),
            program_name: Some("Shop & Co".into()),
            api_settings: Some(r#"{"api_base":"http://127.0.0.1:9"}"#.into()),
            sealed_key: Some("sealed".into()),
        }
    }

    #[test]
    fn the_form_credits_minus_the_reward_in_the_programs_lower_case_currency() {
        let r = row();
        let body = form(&credit_of(&r).unwrap());
        assert_eq!(body, "amount=-1250&currency=eur&description=Shop+%26+Co%3A+referral+reward&metadata%5Bedgeref_reward%5D=rwd_1&metadata%5Bedgeref_customer%5D=ann");
        let pairs: Vec<(String, String)> = url::form_urlencoded::parse(body.as_bytes()).into_owned().collect();
        assert_eq!(pairs[0], ("amount".into(), "-1250".into()));
        assert_eq!(pairs[3], ("metadata[edgeref_reward]".into(), "rwd_1".into()));
    }

    #[test]
    fn the_url_is_the_customers_balance_transactions() {
        assert_eq!(url("https://api.stripe.com/", "cus_A1"), "https://api.stripe.com/v1/customers/cus_A1/balance_transactions");
    }

    #[test]
    fn a_reward_no_longer_approved_is_skipped_and_an_unlinked_customer_is_final() {
        let paid = CreditRow { reward_status: Some("paid".into()), ..row() };
        assert!(matches!(credit_of(&paid), Err(Outcome { code: Some(204), .. })));
        for id in [None, Some("cus_../../v1/charges".to_owned())] {
            let unlinked = CreditRow { stripe_customer_id: id, ..row() };
            assert!(matches!(credit_of(&unlinked), Err(Outcome { retryable: false, code: None, .. })));
        }
    }

    #[test]
    fn only_rate_limits_server_errors_and_network_failures_are_retried() {
        assert!(is_retryable(None) && is_retryable(Some(429)) && is_retryable(Some(500)));
        assert!(!is_retryable(Some(400)) && !is_retryable(Some(404)));
    }

    #[test]
    fn a_final_failure_carries_stripes_message() {
        let body = r#"{"error":{"type":"invalid_request_error","code":"resource_missing","message":"No such customer: 'cus_x'"}}"#;
        let refused = Outcome { code: Some(404), body: Some(body.into()), error: None, retryable: false };
        assert_eq!(failure_reason(&refused), "Stripe credit failed: No such customer: 'cus_x'");
        assert_eq!(failure_reason(&Outcome::failed("timed out")), "Stripe credit failed: timed out");
    }
}
