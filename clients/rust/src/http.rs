//! The HTTP transport for Rust servers outside Cloudflare: reqwest.

use crate::transport::{parse_retry_after, ApiRequest, ApiResponse, Method, Transport, TransportError};

#[derive(Debug, Clone)]
pub struct HttpTransport {
    http: reqwest::Client,
    base_url: String,
}

impl HttpTransport {
    /// `base_url`: where Edgeref is served, e.g. `https://edgeref.example.workers.dev`.
    pub fn new(base_url: impl Into<String>) -> Self {
        Self::with_client(reqwest::Client::new(), base_url)
    }

    /// With your own reqwest client (timeouts, proxies, connection pool).
    pub fn with_client(http: reqwest::Client, base_url: impl Into<String>) -> Self {
        Self { http, base_url: base_url.into().trim_end_matches('/').to_owned() }
    }
}

impl Transport for HttpTransport {
    async fn send(&self, request: ApiRequest) -> Result<ApiResponse, TransportError> {
        let method = match request.method {
            Method::Get => reqwest::Method::GET,
            Method::Post => reqwest::Method::POST,
            Method::Patch => reqwest::Method::PATCH,
            Method::Delete => reqwest::Method::DELETE,
        };
        let mut builder = self.http.request(method, format!("{}{}", self.base_url, request.path));
        for (name, value) in request.headers {
            builder = builder.header(name, value);
        }
        if let Some(body) = request.body {
            builder = builder.body(body);
        }
        let response = builder.send().await.map_err(|e| TransportError::new(e.to_string()))?;
        let status = response.status().as_u16();
        let retry_after = response.headers().get("retry-after").and_then(|v| v.to_str().ok()).and_then(parse_retry_after);
        let body = response.bytes().await.map_err(|e| TransportError::new(e.to_string()))?.to_vec();
        Ok(ApiResponse { status, retry_after, body })
    }
}
