//! Every HTTP call the Worker makes to the outside world (webhook endpoints,
//! MailerLite): one request with a timeout, no redirects followed, the response
//! body read up to a cap, and an outcome the outbox records.

use futures_util::future::{select, Either};
use futures_util::StreamExt;
use std::time::Duration;
use worker::{AbortController, Delay, Env, Fetch, Headers, Method, Request, RequestInit, RequestRedirect};

/// Per-attempt timeout; `WEBHOOK_TIMEOUT_MS` overrides it (tests use a short one).
const DEFAULT_TIMEOUT_MS: u64 = 10_000;
/// How much of a response body is kept for the delivery log.
const BODY_CAP: usize = 1024;

pub fn timeout(env: &Env) -> Duration {
    let ms = env.var("WEBHOOK_TIMEOUT_MS").ok().and_then(|v| v.to_string().parse().ok()).unwrap_or(DEFAULT_TIMEOUT_MS);
    Duration::from_millis(ms)
}

/// What one outbound call came to.
#[derive(Debug, Clone, PartialEq)]
pub struct Outcome {
    pub code: Option<u16>,
    pub body: Option<String>,
    pub error: Option<String>,
    /// False when retrying cannot help (the receiver rejected the data itself).
    pub retryable: bool,
}

impl Outcome {
    pub fn failed(error: impl Into<String>) -> Self {
        Self { code: None, body: None, error: Some(error.into()), retryable: true }
    }
    /// A failure that no retry can mend (a switched-off integration, a bad secret).
    pub fn final_failure(error: impl Into<String>) -> Self {
        Self { retryable: false, ..Self::failed(error) }
    }
    /// Nothing needed doing: counts as delivered.
    pub fn nothing_to_do() -> Self {
        Self { code: Some(204), body: None, error: None, retryable: false }
    }
}

/// Headers from name/value pairs (invalid ones are dropped: ours are all valid).
pub fn headers<'a>(pairs: impl IntoIterator<Item = (&'a str, &'a str)>) -> Headers {
    let h = Headers::new();
    for (name, value) in pairs {
        let _ = h.set(name, value);
    }
    h
}

/// One HTTP request with a timeout, no redirects followed, and the response
/// body read up to a cap.
pub async fn send(method: Method, url: &str, headers: Headers, body: Option<&str>, limit: Duration) -> Outcome {
    let mut init = RequestInit::new();
    init.with_method(method).with_headers(headers).with_redirect(RequestRedirect::Manual).with_body(body.map(Into::into));
    let request = match Request::new_with_init(url, &init) {
        Ok(r) => r,
        Err(e) => return Outcome::failed(format!("bad endpoint URL: {e}")),
    };
    let controller = AbortController::default();
    let signal = controller.signal();
    let fetch = Fetch::Request(request);
    let sent = Box::pin(fetch.send_with_signal(&signal));
    let mut response = match select(sent, Box::pin(Delay::from(limit))).await {
        Either::Left((Ok(r), _)) => r,
        Either::Left((Err(e), _)) => return Outcome::failed(format!("request failed: {e}")),
        Either::Right(_) => {
            controller.abort();
            return Outcome::failed(format!("timed out after {} ms", limit.as_millis()));
        }
    };
    let code = response.status_code();
    let body = read_capped(&mut response).await;
    Outcome { code: Some(code), body: Some(body), error: None, retryable: true }
}

/// The first `BODY_CAP` bytes of a response body; the rest is never read.
async fn read_capped(response: &mut worker::Response) -> String {
    let mut buf = Vec::new();
    if let Ok(mut stream) = response.stream() {
        while let Some(Ok(chunk)) = stream.next().await {
            buf.extend_from_slice(&chunk);
            if buf.len() >= BODY_CAP {
                break;
            }
        }
    }
    buf.truncate(BODY_CAP);
    String::from_utf8_lossy(&buf).into_owned()
}
