//! A typed client for Edgeref's program API (docs/clients.md).
//!
//! The request and response types are the Worker's own (`edgeref_shared::api`,
//! re-exported as [`types`]), so client and server cannot drift apart. Every
//! program-API operation is an async method; failures are one [`Error`] enum.
//! Two transports sit behind the [`Transport`] trait:
//!
//! * [`FetcherTransport`] (feature `worker`): a Cloudflare service binding from
//!   another Rust Worker, no public network hop;
//! * [`HttpTransport`] (feature `http`, plus `rustls` for https): reqwest, for
//!   other Rust servers.
//!
//! ```
//! # use edgeref_client::{Client, transport::*};
//! # struct Offline;
//! # impl Transport for Offline {
//! #     async fn send(&self, _: ApiRequest) -> Result<ApiResponse, TransportError> { Err(TransportError::new("offline")) }
//! # }
//! # async fn flow(client: Client<Offline>) -> Result<(), edgeref_client::Error> {
//! use edgeref_client::types::{CreateCustomer, CreateTransaction, CustomerRef};
//! client.create_customer(&CreateCustomer::new("ann", "ann@example.com")).await?;
//! client.create_customer(&CreateCustomer::new("bob", "bob@example.com").referred_by(CustomerRef::key("ann"))).await?;
//! // The order id is the idempotency key: a retry of the same sale answers with the first result.
//! client.create_transaction(&CreateTransaction::new("order-1001", CustomerRef::key("bob"), 4900, "USD")).await?;
//! let ann = client.get_customer("ann").await?;
//! # let _ = ann; Ok(()) }
//! ```
#![forbid(unsafe_code)]

pub mod error;
#[cfg(feature = "worker")]
mod fetcher;
#[cfg(feature = "http")]
mod http;
mod pages;
pub mod transport;

pub use edgeref_shared::api as types;
pub use error::{ApiError, Error};
#[cfg(feature = "worker")]
pub use fetcher::FetcherTransport;
#[cfg(feature = "http")]
pub use http::HttpTransport;
pub use pages::{ListQuery, Pages};
pub use transport::Transport;

use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};
use serde::de::DeserializeOwned;
use serde::Serialize;
use transport::{ApiRequest, Method};
use types::*;

/// Path segments are percent-encoded but for what RFC 3986 leaves unreserved:
/// a customer key `a/b` is `/v1/customers/a%2Fb`.
const SEGMENT: &AsciiSet = &NON_ALPHANUMERIC.remove(b'-').remove(b'_').remove(b'.').remove(b'~');

pub(crate) fn segment(s: &str) -> String {
    utf8_percent_encode(s, SEGMENT).to_string()
}

/// The program API of one program, as its API key sees it.
#[derive(Debug, Clone)]
pub struct Client<T> {
    transport: T,
    api_key: String,
}

impl<T: Transport> Client<T> {
    /// `api_key` is a program API key (`Authorization: Bearer <key>`).
    pub fn new(transport: T, api_key: impl Into<String>) -> Self {
        Self { transport, api_key: api_key.into() }
    }

    pub(crate) async fn call<R: DeserializeOwned>(&self, method: Method, path: &str, body: Option<&impl Serialize>) -> Result<R, Error> {
        self.call_as(method, path, body, false).await
    }

    async fn call_as<R: DeserializeOwned>(&self, method: Method, path: &str, body: Option<&impl Serialize>, idempotent_create: bool) -> Result<R, Error> {
        let mut headers = vec![("authorization", format!("Bearer {}", self.api_key)), ("accept", "application/json".to_owned())];
        let body = match body {
            Some(b) => {
                headers.push(("content-type", "application/json".to_owned()));
                // Our own request types always serialize; an error here would be a bug in them.
                Some(serde_json::to_vec(b).map_err(|e| Error::UnexpectedResponse { status: 0, message: format!("request body: {e}") })?)
            }
            None => None,
        };
        let response = self.transport.send(ApiRequest { method, path: path.to_owned(), headers, body }).await?;
        if !(200..300).contains(&response.status) {
            return Err(Error::from_response(response.status, response.retry_after, &response.body, idempotent_create));
        }
        serde_json::from_slice(&response.body).map_err(|e| Error::UnexpectedResponse { status: response.status, message: format!("unreadable {} answer to {} {path}: {e}", response.status, method.as_str()) })
    }

    async fn get<R: DeserializeOwned>(&self, path: &str) -> Result<R, Error> {
        self.call(Method::Get, path, None::<&()>).await
    }

    // ---- the API key's program ----

    /// `GET /v1/me`: the program this key belongs to (also a cheap auth check).
    pub async fn me(&self) -> Result<Me, Error> {
        self.get("/v1/me").await
    }

    // ---- customers ----

    /// `POST /v1/customers`: a referring customer, or with `referring_customer` a referred one.
    pub async fn create_customer(&self, body: &CreateCustomer) -> Result<Customer, Error> {
        self.call(Method::Post, "/v1/customers", Some(body)).await
    }

    /// `GET /v1/customers`: one page; see [`Client::customers`] to walk them all.
    pub async fn list_customers(&self, query: &ListQuery) -> Result<Page<Customer>, Error> {
        self.get(&query.path("/v1/customers")).await
    }

    /// Every customer, page by page, following `next_cursor`.
    pub fn customers(&self, query: ListQuery) -> Pages<'_, T, Customer> {
        Pages::new(self, "/v1/customers".to_owned(), query)
    }

    pub async fn get_customer(&self, key: &str) -> Result<Customer, Error> {
        self.get(&format!("/v1/customers/{}", segment(key))).await
    }

    pub async fn update_customer(&self, key: &str, patch: &UpdateCustomer) -> Result<Customer, Error> {
        self.call(Method::Patch, &format!("/v1/customers/{}", segment(key)), Some(patch)).await
    }

    pub async fn delete_customer(&self, key: &str) -> Result<Deleted, Error> {
        self.call(Method::Delete, &format!("/v1/customers/{}", segment(key)), None::<&()>).await
    }

    /// `GET /v1/customers/{key}/referrals`: one page of the customers it referred.
    pub async fn list_referrals(&self, key: &str, query: &ListQuery) -> Result<Page<Customer>, Error> {
        self.get(&query.path(&format!("/v1/customers/{}/referrals", segment(key)))).await
    }

    /// Every customer `key` referred, page by page.
    pub fn referrals(&self, key: &str, query: ListQuery) -> Pages<'_, T, Customer> {
        Pages::new(self, format!("/v1/customers/{}/referrals", segment(key)), query)
    }

    pub async fn customer_stats(&self, key: &str) -> Result<CustomerStats, Error> {
        self.get(&format!("/v1/customers/{}/stats", segment(key))).await
    }

    /// `POST /v1/customers/{key}/credit`: a manual ledger entry.
    pub async fn credit_customer(&self, key: &str, body: &CreditCustomer) -> Result<LedgerEntry, Error> {
        self.call(Method::Post, &format!("/v1/customers/{}/credit", segment(key)), Some(body)).await
    }

    /// `POST /v1/signups`: attribute a signup with a referral code the backend captured.
    pub async fn attribute_signup(&self, body: &ServerSignup) -> Result<SignupAnswer, Error> {
        self.call(Method::Post, "/v1/signups", Some(body)).await
    }

    // ---- transactions ----

    /// `POST /v1/transactions`. `body.key` is the idempotency key (use your
    /// order or invoice id): sending the same body again answers with the first
    /// result, so retries are safe; the same key with a different body is
    /// [`Error::IdempotencyConflict`].
    pub async fn create_transaction(&self, body: &CreateTransaction) -> Result<Transaction, Error> {
        self.call_as(Method::Post, "/v1/transactions", Some(body), true).await
    }

    /// `GET /v1/transactions`: one page, oldest first. `query.customer` filters.
    pub async fn list_transactions(&self, query: &ListQuery) -> Result<Page<Transaction>, Error> {
        self.get(&query.path("/v1/transactions")).await
    }

    /// Every transaction, page by page.
    pub fn transactions(&self, query: ListQuery) -> Pages<'_, T, Transaction> {
        Pages::new(self, "/v1/transactions".to_owned(), query)
    }

    pub async fn get_transaction(&self, key: &str) -> Result<Transaction, Error> {
        self.get(&format!("/v1/transactions/{}", segment(key))).await
    }

    /// Deletes a transaction and reverses the rewards it earned.
    pub async fn delete_transaction(&self, key: &str) -> Result<Deleted, Error> {
        self.call(Method::Delete, &format!("/v1/transactions/{}", segment(key)), None::<&()>).await
    }

    /// `GET /v1/events`: recent events, newest first (`query.event_type` filters).
    pub async fn list_events(&self, query: &ListQuery) -> Result<Page<Event>, Error> {
        self.get(&query.path("/v1/events")).await
    }

    // ---- rewards and payouts ----

    /// `GET /v1/rewards`: one page, oldest first; `query.status`, `.customer`, `.flagged` filter.
    pub async fn list_rewards(&self, query: &ListQuery) -> Result<Page<Reward>, Error> {
        self.get(&query.path("/v1/rewards")).await
    }

    /// Every reward matching `query`, page by page (e.g. the review queue: `status: pending, flagged: true`).
    pub fn rewards(&self, query: ListQuery) -> Pages<'_, T, Reward> {
        Pages::new(self, "/v1/rewards".to_owned(), query)
    }

    /// Approves a pending reward (else [`Error::Conflict`]).
    pub async fn approve_reward(&self, id: &str) -> Result<Reward, Error> {
        self.call(Method::Post, &format!("/v1/rewards/{}/approve", segment(id)), None::<&()>).await
    }

    /// Rejects a pending reward with a reason (else [`Error::Conflict`]).
    pub async fn reject_reward(&self, id: &str, body: &RejectReward) -> Result<Reward, Error> {
        self.call(Method::Post, &format!("/v1/rewards/{}/reject", segment(id)), Some(body)).await
    }

    /// `POST /v1/payouts`: marks the customer's approved rewards as paid, oldest first.
    pub async fn create_payout(&self, body: &CreatePayout) -> Result<Payout, Error> {
        self.call(Method::Post, "/v1/payouts", Some(body)).await
    }

    pub async fn list_payouts(&self, query: &ListQuery) -> Result<Page<Payout>, Error> {
        self.get(&query.path("/v1/payouts")).await
    }

    /// Customers with an approved, unpaid balance: what to pay next.
    pub async fn list_payables(&self, query: &ListQuery) -> Result<Page<Payable>, Error> {
        self.get(&query.path("/v1/payables")).await
    }

    // ---- webhooks ----

    /// `POST /v1/webhooks`: the answer carries the signing secret, shown only here.
    pub async fn create_webhook(&self, body: &CreateWebhook) -> Result<WebhookCreated, Error> {
        self.call(Method::Post, "/v1/webhooks", Some(body)).await
    }

    pub async fn list_webhooks(&self) -> Result<Page<Webhook>, Error> {
        self.get("/v1/webhooks").await
    }

    pub async fn get_webhook(&self, id: &str) -> Result<Webhook, Error> {
        self.get(&format!("/v1/webhooks/{}", segment(id))).await
    }

    pub async fn update_webhook(&self, id: &str, patch: &UpdateWebhook) -> Result<Webhook, Error> {
        self.call(Method::Patch, &format!("/v1/webhooks/{}", segment(id)), Some(patch)).await
    }

    pub async fn delete_webhook(&self, id: &str) -> Result<Deleted, Error> {
        self.call(Method::Delete, &format!("/v1/webhooks/{}", segment(id)), None::<&()>).await
    }

    /// The delivery log, newest first, each delivery with its attempts.
    pub async fn list_deliveries(&self, id: &str, query: &ListQuery) -> Result<Page<Delivery>, Error> {
        self.get(&query.path(&format!("/v1/webhooks/{}/deliveries", segment(id)))).await
    }

    pub async fn resend_delivery(&self, id: &str, delivery_id: &str) -> Result<Resent, Error> {
        self.call(Method::Post, &format!("/v1/webhooks/{}/deliveries/{}/resend", segment(id), segment(delivery_id)), None::<&()>).await
    }

    /// Sends a `webhook.test` event to this endpoint right away.
    pub async fn test_webhook(&self, id: &str) -> Result<TestSent, Error> {
        self.call(Method::Post, &format!("/v1/webhooks/{}/test", segment(id)), None::<&()>).await
    }

    /// A new signing secret, effective at once, shown only in this answer.
    pub async fn rotate_webhook_secret(&self, id: &str) -> Result<WebhookSecret, Error> {
        self.call(Method::Post, &format!("/v1/webhooks/{}/rotate-secret", segment(id)), None::<&()>).await
    }
}

#[cfg(test)]
mod tests;
