//! Every way a call can fail, as one enum: the API's own errors by status (each
//! carrying the API's `code`, `message` and `field`), the idempotency conflict,
//! the network, and an answer the client could not read.

use crate::transport::TransportError;
use edgeref_shared::api::ErrorBody;
use std::fmt;

/// The API's error object, with the HTTP status it came with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    pub status: u16,
    /// e.g. `validation_failed`, `not_found`, `conflict`, `rate_limited`.
    pub code: String,
    pub message: String,
    /// The request field at fault (`email`, `customer`, `referring_customer.key`), when there is one.
    pub field: Option<String>,
    /// `Retry-After` in seconds (429, 503).
    pub retry_after: Option<u64>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Error {
    /// 400: the body was not JSON the API could read.
    Malformed(ApiError),
    /// 401: missing, unknown or revoked API key.
    Unauthorized(ApiError),
    /// 403.
    Forbidden(ApiError),
    /// 404: no such customer, transaction, webhook….
    NotFound(ApiError),
    /// 409 on `POST /v1/transactions`: this idempotency key was already used
    /// for a different transaction. (The same request again is not an error:
    /// it answers with the first result.)
    IdempotencyConflict(ApiError),
    /// Any other 409, e.g. a customer with this key already exists.
    Conflict(ApiError),
    /// 413: the body is over 64 KiB.
    PayloadTooLarge(ApiError),
    /// 422: a field is invalid; `field` names it.
    Validation(ApiError),
    /// 429: slow down; `retry_after` says for how long.
    RateLimited(ApiError),
    /// 503: storage is unavailable; safe to retry after `retry_after`.
    Unavailable(ApiError),
    /// Any other status with the API's error object.
    Other(ApiError),
    /// No answer at all (connection, DNS, TLS, the binding's fetch threw).
    Network(TransportError),
    /// An answer that is not what the API documents (e.g. a proxy's HTML page).
    UnexpectedResponse { status: u16, message: String },
}

impl Error {
    /// The API's error object, if the API answered with one.
    pub fn api(&self) -> Option<&ApiError> {
        use Error::*;
        match self {
            Malformed(e) | Unauthorized(e) | Forbidden(e) | NotFound(e) | IdempotencyConflict(e) | Conflict(e) | PayloadTooLarge(e) | Validation(e) | RateLimited(e)
            | Unavailable(e) | Other(e) => Some(e),
            Network(_) | UnexpectedResponse { .. } => None,
        }
    }

    /// The field the API named, if any.
    pub fn field(&self) -> Option<&str> {
        self.api().and_then(|e| e.field.as_deref())
    }

    /// Whether trying again later may succeed: rate limits, unavailability, the network.
    pub fn is_retryable(&self) -> bool {
        matches!(self, Error::RateLimited(_) | Error::Unavailable(_) | Error::Network(_))
    }

    /// Maps a non-2xx answer to its variant. `idempotent_create` marks
    /// `POST /v1/transactions`, where a 409 means the key was reused.
    pub(crate) fn from_response(status: u16, retry_after: Option<u64>, body: &[u8], idempotent_create: bool) -> Self {
        let Ok(ErrorBody { error }) = serde_json::from_slice::<ErrorBody>(body) else {
            let text = String::from_utf8_lossy(body);
            let excerpt: String = text.chars().take(200).collect();
            return Error::UnexpectedResponse { status, message: format!("HTTP {status} without the API's error object: {excerpt}") };
        };
        let e = ApiError { status, code: error.code, message: error.message, field: error.field, retry_after };
        match status {
            400 => Error::Malformed(e),
            401 => Error::Unauthorized(e),
            403 => Error::Forbidden(e),
            404 => Error::NotFound(e),
            409 if idempotent_create => Error::IdempotencyConflict(e),
            409 => Error::Conflict(e),
            413 => Error::PayloadTooLarge(e),
            422 => Error::Validation(e),
            429 => Error::RateLimited(e),
            503 => Error::Unavailable(e),
            _ => Error::Other(e),
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Network(e) => e.fmt(f),
            Error::UnexpectedResponse { message, .. } => f.write_str(message),
            other => {
                // api() is Some for every other variant.
                let Some(e) = other.api() else { return Ok(()) };
                write!(f, "Edgeref answered {} {}: {}", e.status, e.code, e.message)?;
                match &e.field {
                    Some(field) => write!(f, " (field `{field}`)"),
                    None => Ok(()),
                }
            }
        }
    }
}

impl std::error::Error for Error {}

impl From<TransportError> for Error {
    fn from(e: TransportError) -> Self {
        Error::Network(e)
    }
}
