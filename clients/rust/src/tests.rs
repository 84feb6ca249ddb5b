//! The client against a scripted transport: what it sends, and how it reads each kind of answer.
//! (Against the real Worker: tests/clients.test.mjs and examples/edge-consumer.)

use super::*;
use crate::transport::{ApiResponse, TransportError};
use std::cell::RefCell;
use std::collections::VecDeque;
use std::future::Future;
use std::pin::pin;
use std::task::{Context, Poll, Waker};

/// Answers from a script, recording every request.
#[derive(Default)]
struct Script {
    answers: RefCell<VecDeque<Result<ApiResponse, TransportError>>>,
    sent: RefCell<Vec<ApiRequest>>,
}

impl Script {
    fn answer(self, status: u16, body: &str) -> Self {
        self.answers.borrow_mut().push_back(Ok(ApiResponse { status, retry_after: None, body: body.as_bytes().to_vec() }));
        self
    }
}

impl Transport for Script {
    async fn send(&self, request: ApiRequest) -> Result<ApiResponse, TransportError> {
        self.sent.borrow_mut().push(request);
        self.answers.borrow_mut().pop_front().unwrap_or_else(|| Err(TransportError::new("script ran out")))
    }
}

/// The scripted transport never waits, so one poll finishes any call.
fn run<F: Future>(f: F) -> F::Output {
    match pin!(f).as_mut().poll(&mut Context::from_waker(Waker::noop())) {
        Poll::Ready(v) => v,
        Poll::Pending => panic!("the scripted transport never waits"),
    }
}

const TRANSACTION: &str = r#"{"key":"order-1","customer":{"key":"bob"},"referring_customer":{"key":"ann"},"amount":4900,"currency":"USD","product_id":null,"reward":490,"friend_reward":0,"refunded":0,"created_at":"2026-01-01T00:00:00.000Z"}"#;

fn customer(key: &str) -> String {
    format!(r#"{{"key":"{key}","email":"{key}@example.com","name":null,"surname":null,"referral_code":"code{key}","referral_link":"https://shop.example/?ref=code{key}","referred_by":null,"friend_reward":null,"referrals_count":0,"balance":0,"created_at":"t","updated_at":"t"}}"#)
}

#[test]
fn requests_carry_the_key_json_and_encoded_paths() {
    let client = Client::new(Script::default().answer(201, &customer("a/b")), "key_123");
    let created = run(client.create_customer(&CreateCustomer::new("a/b", "a@example.com"))).unwrap();
    assert_eq!(created.key, "a/b");
    run(client.get_customer("a/b")).unwrap_err();
    let sent = client.transport.sent.borrow();
    assert_eq!((sent[0].method, sent[0].path.as_str()), (Method::Post, "/v1/customers"));
    assert!(sent[0].headers.contains(&("authorization", "Bearer key_123".into())));
    assert!(sent[0].headers.contains(&("content-type", "application/json".into())));
    assert_eq!(sent[0].body.as_deref(), Some(br#"{"key":"a/b","email":"a@example.com"}"#.as_slice()));
    assert_eq!((sent[1].method, sent[1].path.as_str(), sent[1].body.as_ref()), (Method::Get, "/v1/customers/a%2Fb", None));
}

#[test]
fn a_422_is_a_validation_error_naming_the_field() {
    let client = Client::new(Script::default().answer(422, r#"{"error":{"code":"validation_failed","message":"not an email","field":"email"}}"#), "k");
    let e = run(client.create_customer(&CreateCustomer::new("bob", "nope"))).unwrap_err();
    assert!(matches!(&e, Error::Validation(api) if api.code == "validation_failed" && api.message == "not an email"));
    assert_eq!(e.field(), Some("email"));
    assert!(!e.is_retryable());
    assert_eq!(e.to_string(), "Edgeref answered 422 validation_failed: not an email (field `email`)");
}

#[test]
fn a_409_on_a_transaction_is_an_idempotency_conflict_and_elsewhere_a_conflict() {
    let conflict = r#"{"error":{"code":"conflict","message":"a different transaction already used this key","field":"key"}}"#;
    let client = Client::new(Script::default().answer(409, conflict).answer(409, conflict), "k");
    let sale = CreateTransaction::new("order-1", CustomerRef::key("bob"), 100, "USD");
    assert!(matches!(run(client.create_transaction(&sale)), Err(Error::IdempotencyConflict(e)) if e.field.as_deref() == Some("key")));
    assert!(matches!(run(client.create_customer(&CreateCustomer::new("bob", "b@example.com"))), Err(Error::Conflict(_))));
}

#[test]
fn a_replayed_transaction_is_the_first_result() {
    let client = Client::new(Script::default().answer(201, TRANSACTION).answer(200, TRANSACTION), "k");
    let sale = CreateTransaction::new("order-1", CustomerRef::key("bob"), 4900, "USD");
    let first = run(client.create_transaction(&sale)).unwrap();
    assert_eq!(run(client.create_transaction(&sale)).unwrap(), first);
    assert_eq!(first.referring_customer.map(|c| c.key).as_deref(), Some("ann"));
}

#[test]
fn network_failures_and_foreign_answers_are_not_api_errors() {
    let client = Client::new(Script::default().answer(502, "<html>Bad gateway</html>").answer(200, "{not json"), "k");
    let e = run(client.me()).unwrap_err();
    assert!(matches!(e, Error::UnexpectedResponse { status: 502, .. }), "{e:?}");
    assert!(e.api().is_none());
    assert!(matches!(run(client.me()), Err(Error::UnexpectedResponse { status: 200, .. })));
    let e = run(client.me()).unwrap_err();
    assert!(matches!(&e, Error::Network(_)) && e.is_retryable() && e.api().is_none());
}

#[test]
fn rate_limits_and_unavailability_carry_retry_after() {
    let script = Script::default();
    let busy = r#"{"error":{"code":"unavailable","message":"storage is unavailable, retry shortly"}}"#;
    script.answers.borrow_mut().push_back(Ok(ApiResponse { status: 503, retry_after: Some(5), body: busy.into() }));
    let e = run(Client::new(script, "k").me()).unwrap_err();
    assert!(matches!(&e, Error::Unavailable(api) if api.retry_after == Some(5) && api.field.is_none()));
    assert!(e.is_retryable());
}

#[test]
fn pages_follow_next_cursor_to_the_end() {
    let page = |keys: &[&str], next: Option<&str>| {
        let data: Vec<String> = keys.iter().map(|k| customer(k)).collect();
        format!(r#"{{"data":[{}],"next_cursor":{}}}"#, data.join(","), next.map_or("null".into(), |n| format!("\"{n}\"")))
    };
    let script = Script::default().answer(200, &page(&["a", "b"], Some("2"))).answer(200, &page(&["c"], None));
    let client = Client::new(script, "k");
    let all = run(client.customers(ListQuery::limit(2)).collect_all()).unwrap();
    assert_eq!(all.iter().map(|c| c.key.as_str()).collect::<Vec<_>>(), ["a", "b", "c"]);
    let paths: Vec<String> = client.transport.sent.borrow().iter().map(|r| r.path.clone()).collect();
    assert_eq!(paths, ["/v1/customers?limit=2", "/v1/customers?limit=2&cursor=2"]);
}

#[test]
fn a_cursor_that_does_not_move_ends_the_walk() {
    let stuck = r#"{"data":[],"next_cursor":"7"}"#;
    let client = Client::new(Script::default().answer(200, stuck).answer(200, stuck).answer(200, stuck), "k");
    let query = ListQuery { cursor: Some("7".into()), ..Default::default() };
    assert!(run(client.customers(query).collect_all()).unwrap().is_empty());
    assert_eq!(client.transport.sent.borrow().len(), 1);
}

#[test]
fn list_filters_are_encoded_into_the_query() {
    let q = ListQuery { limit: Some(10), customer: Some("bob smith".into()), event_type: Some("customer.created".into()), ..Default::default() };
    assert_eq!(q.path("/v1/x"), "/v1/x?limit=10&customer=bob%20smith&type=customer.created");
    let q = ListQuery { status: Some("pending".into()), flagged: Some(true), ..Default::default() };
    assert_eq!(q.path("/v1/rewards"), "/v1/rewards?status=pending&flagged=true");
    assert_eq!(ListQuery::default().path("/v1/x"), "/v1/x");
}

#[cfg(feature = "http")]
#[test]
fn http_calls_can_run_on_a_multi_threaded_runtime() {
    fn send<F: Future + Send>(_: F) {}
    let client = Client::new(HttpTransport::new("http://127.0.0.1:9"), "k");
    send(client.get_customer("bob"));
    send(client.customers(ListQuery::default()).collect_all());
}
