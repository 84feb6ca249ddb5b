//! How a request reaches Edgeref: one small trait, so the same client runs over a
//! service binding inside a Worker and over HTTP anywhere else (and over a fake in tests).

use std::fmt;

/// The HTTP methods the program API uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    Get,
    Post,
    Patch,
    Delete,
}

impl Method {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Get => "GET",
            Self::Post => "POST",
            Self::Patch => "PATCH",
            Self::Delete => "DELETE",
        }
    }
}

/// A request as the client builds it: `path` starts with `/v1/` and carries the query.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiRequest {
    pub method: Method,
    pub path: String,
    /// Lower-case names: `authorization`, `content-type`, `accept`.
    pub headers: Vec<(&'static str, String)>,
    /// JSON, with `content-type: application/json` among the headers.
    pub body: Option<Vec<u8>>,
}

/// What came back, whatever the status.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiResponse {
    pub status: u16,
    /// `Retry-After` in seconds, when the server sent one (429, 503).
    pub retry_after: Option<u64>,
    pub body: Vec<u8>,
}

/// The request never got an answer: connection refused, DNS, TLS, a timeout,
/// or the service binding's fetch threw. Distinct from any API error.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TransportError {
    pub message: String,
}

impl TransportError {
    pub fn new(message: impl Into<String>) -> Self {
        Self { message: message.into() }
    }
}

impl fmt::Display for TransportError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "could not reach Edgeref: {}", self.message)
    }
}

impl std::error::Error for TransportError {}

/// Sends one request and returns its response. Implementations do not retry
/// and do not interpret the status.
///
/// The future is not required to be `Send` (workers-rs futures are not); the
/// HTTP transport's is, so `Client<HttpTransport>` calls can run on a
/// multi-threaded runtime.
#[allow(async_fn_in_trait)]
pub trait Transport {
    async fn send(&self, request: ApiRequest) -> Result<ApiResponse, TransportError>;
}

impl<T: Transport + ?Sized> Transport for &T {
    async fn send(&self, request: ApiRequest) -> Result<ApiResponse, TransportError> {
        (**self).send(request).await
    }
}

/// Seconds from a `Retry-After` header's value; its HTTP-date form is not used by Edgeref.
pub fn parse_retry_after(value: &str) -> Option<u64> {
    value.trim().parse().ok()
}
