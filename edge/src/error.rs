//! Every failure as the API's error object (docs/contract.md):
//! `{"error": {"code", "message", "field"?}}` with the matching status.

use edgeref_shared::ValidationError;
use serde_json::json;
use worker::{Response, Result};

#[derive(Debug, Clone, PartialEq)]
pub struct ApiError {
    pub status: u16,
    pub code: &'static str,
    pub message: String,
    pub field: Option<String>,
    /// `insufficient_scope`: the scope the API key lacks.
    pub required: Option<&'static str>,
}

pub type ApiResult<T> = std::result::Result<T, ApiError>;

impl ApiError {
    pub fn new(status: u16, code: &'static str, message: impl Into<String>) -> Self {
        Self { status, code, message: message.into(), field: None, required: None }
    }
    pub fn with_field(mut self, field: impl Into<String>) -> Self {
        self.field = Some(field.into());
        self
    }
    pub fn with_required(mut self, scope: &'static str) -> Self {
        self.required = Some(scope);
        self
    }
    pub fn malformed(message: impl Into<String>) -> Self {
        Self::new(400, "malformed_request", message)
    }
    pub fn invalid(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self::new(422, "validation_failed", message).with_field(field)
    }
    pub fn unauthorized() -> Self {
        Self::new(401, "unauthorized", "missing or invalid credentials: send Authorization: Bearer <token>")
    }
    pub fn not_found(what: &str) -> Self {
        Self::new(404, "not_found", format!("{what} not found"))
    }
    pub fn conflict(message: impl Into<String>) -> Self {
        Self::new(409, "conflict", message)
    }
    /// Storage trouble is the server's, not the caller's: 503 so clients retry.
    pub fn unavailable(context: &str, cause: impl std::fmt::Display) -> Self {
        // The cause goes to the Worker's log only (native tests have no console to write to).
        #[cfg(target_arch = "wasm32")]
        worker::console_error!("{context}: {cause}");
        #[cfg(not(target_arch = "wasm32"))]
        let _ = (context, cause);
        Self::new(503, "unavailable", "storage is unavailable, retry shortly")
    }

    pub fn into_response(self) -> Result<Response> {
        let mut error = json!({"code": self.code, "message": self.message});
        if let Some(field) = self.field {
            error["field"] = field.into();
        }
        if let Some(scope) = self.required {
            error["required"] = scope.into();
        }
        let mut response = Response::from_json(&json!({ "error": error }))?.with_status(self.status);
        if self.status == 503 || self.status == 429 {
            response.headers_mut().set("Retry-After", if self.status == 429 { "10" } else { "5" })?;
        }
        Ok(response)
    }
}

impl From<ValidationError> for ApiError {
    fn from(e: ValidationError) -> Self {
        Self::invalid(e.field, e.message)
    }
}

impl From<worker::kv::KvError> for ApiError {
    fn from(e: worker::kv::KvError) -> Self {
        Self::unavailable("kv", e)
    }
}

impl From<worker::Error> for ApiError {
    fn from(e: worker::Error) -> Self {
        Self::unavailable("runtime", e)
    }
}
