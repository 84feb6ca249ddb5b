//! The program API's request and response bodies, shared by the Worker (which
//! reads requests strictly and writes responses with these types) and the Rust
//! client `edgeref-client` (which writes requests and reads responses).
//!
//! Requests deny unknown fields: a typo is a 422 naming it, never a silent no-op.
//! Optional request fields are left out when `None`, so what a client sends is
//! what the Worker's PATCH semantics expect (absent = unchanged).
//! Responses accept unknown fields, so an older client keeps working when the
//! Worker adds one; they serialize `None` as `null`, as the API always has.
//!
//! ```
//! use edgeref_shared::api::{CreateTransaction, CustomerRef};
//! let body = CreateTransaction::new("order-1001", CustomerRef::key("bob"), 4900, "USD");
//! assert_eq!(
//!     serde_json::to_string(&body).unwrap(),
//!     r#"{"key":"order-1001","customer":{"key":"bob"},"amount":4900,"currency":"USD"}"#
//! );
//! ```

// The enums the types below carry, for users of this module alone (`edgeref_client::types`).
pub use crate::lifecycle::RewardStatus;
pub use crate::reward::{FriendReward, RewardKind};
pub use crate::webhook::{DeliveryStatus, EventKind};
use serde::{Deserialize, Deserializer, Serialize};

/// For PATCH bodies: tells an absent field (`None`) from an explicit `null` (`Some(None)`).
pub fn nullable<'de, D, T>(d: D) -> Result<Option<Option<T>>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    Option::<T>::deserialize(d).map(Some)
}

/// For PATCH bodies: a field that may be absent but not `null` (`null` is a 422
/// naming it, not a silent "no change").
pub fn present<'de, D, T>(d: D) -> Result<Option<T>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    T::deserialize(d).map(Some)
}

// ---- requests ----

/// A customer named by its key or by its email: `{"key": "bob"}` or `{"email": "bob@example.com"}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CustomerRef {
    Key(String),
    Email(String),
}

impl CustomerRef {
    pub fn key(key: impl Into<String>) -> Self {
        Self::Key(key.into())
    }
    pub fn email(email: impl Into<String>) -> Self {
        Self::Email(email.into())
    }
}

/// A `CustomerRef` as sent: both fields optional, so that naming both or neither is
/// answered in words rather than with serde's "expected map with a single key".
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CustomerRefFields {
    key: Option<String>,
    email: Option<String>,
}

/// Checked inside the object's visitor (not with `try_from`, after it): the parser then
/// places the error at this value, so the Worker names it (`crate::json_path`).
impl<'de> Deserialize<'de> for CustomerRef {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Fields;
        impl<'de> serde::de::Visitor<'de> for Fields {
            type Value = CustomerRef;
            fn expecting(&self, f: &mut core::fmt::Formatter) -> core::fmt::Result {
                f.write_str("an object with key or email")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(self, map: A) -> Result<CustomerRef, A::Error> {
                let fields = CustomerRefFields::deserialize(serde::de::value::MapAccessDeserializer::new(map))?;
                CustomerRef::try_from(fields).map_err(serde::de::Error::custom)
            }
        }
        d.deserialize_map(Fields)
    }
}

impl TryFrom<CustomerRefFields> for CustomerRef {
    type Error = &'static str;

    fn try_from(f: CustomerRefFields) -> Result<Self, Self::Error> {
        match (f.key, f.email) {
            (Some(key), None) => Ok(Self::Key(key)),
            (None, Some(email)) => Ok(Self::Email(email)),
            _ => Err("give exactly one of key or email"),
        }
    }
}

/// `POST /v1/customers`. With `referring_customer` it is a referred customer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CreateCustomer {
    pub key: String,
    pub email: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub surname: Option<String>,
    /// A merchant-chosen code; otherwise the Worker generates one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub referral_code: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub referring_customer: Option<CustomerRef>,
    /// The customer's id in your Stripe account (`cus_…`), for Stripe credit (docs/fulfilment.md).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stripe_customer_id: Option<String>,
}

impl CreateCustomer {
    pub fn new(key: impl Into<String>, email: impl Into<String>) -> Self {
        Self { key: key.into(), email: email.into(), name: None, surname: None, referral_code: None, referring_customer: None, stripe_customer_id: None }
    }
    pub fn name(mut self, name: impl Into<String>) -> Self {
        self.name = Some(name.into());
        self
    }
    pub fn referred_by(mut self, referrer: CustomerRef) -> Self {
        self.referring_customer = Some(referrer);
        self
    }
    /// Links the customer to their Stripe customer (`cus_…`), for Stripe credit.
    pub fn stripe_customer_id(mut self, id: impl Into<String>) -> Self {
        self.stripe_customer_id = Some(id.into());
        self
    }
}

/// `PATCH /v1/customers/{key}`: absent fields stay; `name`/`surname` may be set to `null`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UpdateCustomer {
    #[serde(default, deserialize_with = "present", skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    #[serde(default, deserialize_with = "nullable", skip_serializing_if = "Option::is_none")]
    pub name: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable", skip_serializing_if = "Option::is_none")]
    pub surname: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable", skip_serializing_if = "Option::is_none")]
    pub stripe_customer_id: Option<Option<String>>,
}

/// `POST /v1/customers/{key}/credit`: a manual ledger entry (negative debits).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CreditCustomer {
    pub amount: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// `POST /v1/transactions`. `key` is the idempotency key: the same key with the
/// same body answers 200 with the first result; with a different body, 409.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CreateTransaction {
    pub key: String,
    pub customer: CustomerRef,
    pub amount: i64,
    pub currency: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub product_id: Option<String>,
}

impl CreateTransaction {
    pub fn new(key: impl Into<String>, customer: CustomerRef, amount: i64, currency: impl Into<String>) -> Self {
        Self { key: key.into(), customer, amount, currency: currency.into(), product_id: None }
    }
}

/// Who signed up, as the page or the merchant's backend knows them; other fields are ignored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignupCustomer {
    pub key: String,
    pub email: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
}

/// `POST /v1/signups`: attribute a signup with the code the merchant's backend captured.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServerSignup {
    pub code: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub visit_id: Option<String>,
    pub customer: SignupCustomer,
}

/// `POST /v1/webhooks`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CreateWebhook {
    pub name: String,
    pub url: String,
    pub events: Vec<EventKind>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub is_active: Option<bool>,
    /// Who created it, e.g. "zapier" for REST-hook subscriptions.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
}

/// `PATCH /v1/webhooks/{id}`: absent fields stay; none may be `null`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UpdateWebhook {
    #[serde(default, deserialize_with = "present", skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, deserialize_with = "present", skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    #[serde(default, deserialize_with = "present", skip_serializing_if = "Option::is_none")]
    pub events: Option<Vec<EventKind>>,
    #[serde(default, deserialize_with = "present", skip_serializing_if = "Option::is_none")]
    pub is_active: Option<bool>,
}

/// `POST /v1/rewards/{id}/reject`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RejectReward {
    pub reason: String,
}

/// `POST /v1/payouts`: pays the customer's approved rewards, oldest first, up to
/// `amount` (default: the whole balance).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CreatePayout {
    pub customer: CustomerRef,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub amount: Option<i64>,
    /// Your payment's reference (a bank transfer id, a PayPal batch).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reference: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

impl CreatePayout {
    pub fn all_of(customer: CustomerRef) -> Self {
        Self { customer, amount: None, reference: None, note: None }
    }
}

// ---- responses ----

/// The error object every failure answers with: `{"error": {"code", "message", "field"?}}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorBody {
    pub error: ErrorObject,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorObject {
    pub code: String,
    pub message: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
}

/// One page of a list: `next_cursor` is `Some` while more pages follow.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Page<T> {
    pub data: Vec<T>,
    #[serde(default)]
    pub next_cursor: Option<String>,
}

/// A reference to a customer in a response.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CustomerKey {
    pub key: String,
}

/// The API's customer object.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Customer {
    pub key: String,
    pub email: String,
    pub name: Option<String>,
    pub surname: Option<String>,
    pub referral_code: String,
    pub referral_link: String,
    /// `{endpoint or Worker origin}/r/{code}`: counts the click and sets the
    /// cookie from the server, then redirects to `referral_link`.
    #[serde(default)]
    pub short_link: String,
    pub referred_by: Option<String>,
    pub friend_reward: Option<FriendReward>,
    pub referrals_count: i64,
    /// Approved, unpaid rewards: what the merchant owes now (minor units of the program's currency).
    pub balance: i64,
    /// Rewards still in their hold or awaiting review (0 from a Worker older than reward holds).
    #[serde(default)]
    pub pending_balance: i64,
    /// Everything paid out so far.
    #[serde(default)]
    pub paid_total: i64,
    /// The customer's id in the merchant's Stripe account (`cus_…`), where known.
    #[serde(default)]
    pub stripe_customer_id: Option<String>,
    /// A referred friend's own Stripe promotion code, once Stripe created it.
    #[serde(default)]
    pub promotion_code: Option<String>,
    pub created_at: String,
    pub updated_at: String,
}

/// `GET /v1/customers/{key}/stats`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CustomerStats {
    pub visits: i64,
    pub signups: i64,
    pub paying_referrals: i64,
    pub revenue: i64,
    pub rewards: i64,
}

/// `POST /v1/customers/{key}/credit`'s answer (also the `customer.credited` event's data).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LedgerEntry {
    pub customer: CustomerKey,
    pub amount: i64,
    pub kind: String,
    pub note: Option<String>,
    /// The customer's balance after this entry.
    pub balance: i64,
    pub created_at: String,
}

/// The API's transaction object (also the `transaction.*` events' data).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Transaction {
    pub key: String,
    pub customer: CustomerKey,
    pub referring_customer: Option<CustomerKey>,
    pub amount: i64,
    pub currency: String,
    pub product_id: Option<String>,
    /// What the referrer earned from it.
    pub reward: i64,
    /// What the buyer earned from it as a referred friend.
    pub friend_reward: i64,
    pub refunded: i64,
    pub created_at: String,
}

/// A reward: one share (referrer's or friend's) of a signup or a sale, and where it stands.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reward {
    pub id: String,
    /// Who earns it.
    pub customer: CustomerKey,
    /// The referred customer whose signup or sale earned it.
    #[serde(default)]
    pub referred_customer: Option<CustomerKey>,
    pub kind: RewardKind,
    pub amount: i64,
    pub currency: String,
    pub status: RewardStatus,
    /// Fraud flags (`disposable_email`, `same_visitor`, `velocity`, `lookalike_email`).
    pub flags: Vec<String>,
    pub transaction_key: Option<String>,
    pub available_at: String,
    pub created_at: String,
    pub decided_at: Option<String>,
    pub reason: Option<String>,
    #[serde(default)]
    pub payout_id: Option<String>,
}

/// A payout: approved rewards marked as paid.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Payout {
    pub id: String,
    pub customer: CustomerKey,
    pub amount: i64,
    pub currency: String,
    pub reference: Option<String>,
    pub note: Option<String>,
    pub reward_ids: Vec<String>,
    /// How it was paid (`manual` from a Worker older than Stripe credit).
    #[serde(default)]
    pub method: crate::reward::PayoutMethod,
    pub created_at: String,
}

/// A customer with approved, unpaid rewards (`GET /v1/payables`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Payable {
    pub customer: PayableCustomer,
    pub balance: i64,
    pub currency: String,
    pub approved_rewards: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PayableCustomer {
    pub key: String,
    pub email: String,
    pub name: Option<String>,
}

/// `{"key" | "id", "deleted": true}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Deleted {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    pub deleted: bool,
}

/// `GET /v1/me`: the program an API key belongs to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Me {
    pub program: MeProgram,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MeProgram {
    pub id: String,
    pub name: String,
    pub website_url: String,
}

/// `POST /v1/signups`'s answer: credited or why not, and the new customer's link.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignupAnswer {
    pub attributed: bool,
    /// `unknown_code`, `expired`, `self_referral` or `already_referred`.
    pub reason: Option<String>,
    #[serde(default)]
    pub referral_code: Option<String>,
    #[serde(default)]
    pub referral_link: Option<String>,
    #[serde(default)]
    pub friend_reward: Option<FriendReward>,
}

/// A webhook endpoint as the API shows it: never its secret.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Webhook {
    pub id: String,
    pub name: String,
    pub url: String,
    pub events: Vec<EventKind>,
    pub is_active: bool,
    pub source: Option<String>,
    pub disabled_reason: Option<String>,
    pub created_at: String,
    pub updated_at: String,
}

/// `POST /v1/webhooks`'s answer: the webhook and its signing secret, shown this once.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WebhookCreated {
    #[serde(flatten)]
    pub webhook: Webhook,
    pub secret: String,
}

/// `POST /v1/webhooks/{id}/rotate-secret`'s answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WebhookSecret {
    pub id: String,
    pub secret: String,
}

/// One delivery of an event to a webhook, with every attempt, oldest first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Delivery {
    pub id: String,
    pub event_id: String,
    pub event_type: String,
    pub status: DeliveryStatus,
    pub attempts_count: i64,
    pub last_response_code: Option<i64>,
    pub next_attempt_at: Option<String>,
    pub created_at: String,
    pub attempts: Vec<DeliveryAttempt>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeliveryAttempt {
    pub attempted_at: String,
    pub response_code: Option<i64>,
    pub response_body: Option<String>,
    pub duration_ms: i64,
    pub error: Option<String>,
    pub next_retry_at: Option<String>,
}

/// `POST /v1/webhooks/{id}/deliveries/{delivery_id}/resend`'s answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Resent {
    pub id: String,
    pub resent: bool,
}

/// `POST /v1/webhooks/{id}/test`'s answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TestSent {
    pub event_id: String,
}

/// An event as delivered to webhooks (Standard Webhooks payload).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Event {
    pub id: String,
    #[serde(rename = "type")]
    pub kind: String,
    pub timestamp: String,
    pub program_id: String,
    pub data: serde_json::Value,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn absent_optional_request_fields_are_not_sent() {
        let body = CreateCustomer::new("bob", "bob@example.com").referred_by(CustomerRef::email("ann@example.com"));
        assert_eq!(serde_json::to_string(&body).unwrap(), r#"{"key":"bob","email":"bob@example.com","referring_customer":{"email":"ann@example.com"}}"#);
        let clear_name = UpdateCustomer { name: Some(None), ..Default::default() };
        assert_eq!(serde_json::to_string(&clear_name).unwrap(), r#"{"name":null}"#);
    }

    #[test]
    fn requests_refuse_unknown_fields_and_patches_tell_null_from_absent() {
        assert!(serde_json::from_str::<CreateTransaction>(r#"{"key":"t","customer":{"key":"b"},"amount":1,"currency":"USD","x":1}"#).is_err());
        assert!(serde_json::from_str::<UpdateCustomer>(r#"{"email":null}"#).is_err());
        let patch: UpdateCustomer = serde_json::from_str(r#"{"surname":null}"#).unwrap();
        assert_eq!((patch.name, patch.surname), (None, Some(None)));
        let unlink: UpdateCustomer = serde_json::from_str(r#"{"stripe_customer_id":null}"#).unwrap();
        assert_eq!(unlink.stripe_customer_id, Some(None));
        let linked = CreateCustomer::new("bob", "bob@example.com").stripe_customer_id("cus_B1");
        assert_eq!(serde_json::to_value(&linked).unwrap()["stripe_customer_id"], "cus_B1");
    }

    #[test]
    fn payouts_from_a_worker_without_methods_read_as_manual() {
        let old = r#"{"id":"pay_1","customer":{"key":"a"},"amount":1,"currency":"EUR","reference":null,"note":null,"reward_ids":[],"created_at":"2026-01-01T00:00:00.000Z"}"#;
        assert_eq!(serde_json::from_str::<Payout>(old).unwrap().method, crate::reward::PayoutMethod::Manual);
        let credit = old.replace(r#""reward_ids""#, r#""method":"stripe_credit","reward_ids""#);
        assert_eq!(serde_json::from_str::<Payout>(&credit).unwrap().method, crate::reward::PayoutMethod::StripeCredit);
    }

    #[test]
    fn a_customer_is_named_by_exactly_one_of_key_or_email() {
        assert_eq!(serde_json::from_str::<CustomerRef>(r#"{"key":"bob"}"#).unwrap(), CustomerRef::key("bob"));
        assert_eq!(serde_json::from_str::<CustomerRef>(r#"{"email":"b@x.example"}"#).unwrap(), CustomerRef::Email("b@x.example".into()));
        assert_eq!(serde_json::to_string(&CustomerRef::key("bob")).unwrap(), r#"{"key":"bob"}"#);
        for wrong in [r#"{"key":"bob","email":"b@x.example"}"#, "{}", r#"{"key":null}"#] {
            let e = serde_json::from_str::<CustomerRef>(wrong).unwrap_err().to_string();
            assert!(e.starts_with("give exactly one of key or email"), "{wrong}: {e}");
        }
        assert!(serde_json::from_str::<CustomerRef>(r#"{"id":"bob"}"#).is_err());
    }

    #[test]
    fn statuses_and_event_kinds_are_typed() {
        let reward = r#"{"id":"rwd_1","customer":{"key":"ann"},"kind":"referrer","amount":500,"currency":"USD","status":"approved","flags":[],"transaction_key":null,"available_at":"t","created_at":"t","decided_at":"t","reason":null}"#;
        assert_eq!(serde_json::from_str::<Reward>(reward).unwrap().status, RewardStatus::Approved);
        assert!(serde_json::from_str::<Reward>(&reward.replace("approved", "owed")).is_err());
        let patch: UpdateWebhook = serde_json::from_str(r#"{"events":["reward.approved"]}"#).unwrap();
        assert_eq!(patch.events, Some(vec![EventKind::RewardApproved]));
        assert!(serde_json::from_str::<UpdateWebhook>(r#"{"events":["customer.nope"]}"#).is_err());
    }

    #[test]
    fn responses_accept_fields_added_later() {
        let page: Page<CustomerKey> = serde_json::from_str(r#"{"data":[{"key":"a","new":1}],"next_cursor":"7","total":1}"#).unwrap();
        assert_eq!((page.data[0].key.as_str(), page.next_cursor.as_deref()), ("a", Some("7")));
    }

    #[test]
    fn a_created_webhook_is_the_webhook_and_its_secret() {
        let json = r#"{"id":"whk_1","name":"n","url":"https://x.example","events":["customer.created"],"is_active":true,"source":null,"disabled_reason":null,"created_at":"t","updated_at":"t","secret":"whsec_x"}"#;
        let created: WebhookCreated = serde_json::from_str(json).unwrap();
        assert_eq!((created.webhook.id.as_str(), created.secret.as_str()), ("whk_1", "whsec_x"));
    }
}
