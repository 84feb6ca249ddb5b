//! The service-binding transport: `env.service("EDGEREF")` from a Rust Worker.
//! The request goes straight to the Edgeref Worker; the URL's host is only a placeholder.

use crate::transport::{parse_retry_after, ApiRequest, ApiResponse, Transport, TransportError};
use worker::{Fetcher, Headers, RequestInit};

#[derive(Debug, Clone)]
pub struct FetcherTransport {
    fetcher: Fetcher,
}

impl FetcherTransport {
    /// `fetcher`: the binding, e.g. `env.service("EDGEREF")?`.
    pub fn new(fetcher: Fetcher) -> Self {
        Self { fetcher }
    }
}

fn method(m: crate::transport::Method) -> worker::Method {
    use crate::transport::Method::*;
    match m {
        Get => worker::Method::Get,
        Post => worker::Method::Post,
        Patch => worker::Method::Patch,
        Delete => worker::Method::Delete,
    }
}

fn failed(e: worker::Error) -> TransportError {
    TransportError::new(format!("service binding: {e}"))
}

impl Transport for FetcherTransport {
    async fn send(&self, request: ApiRequest) -> Result<ApiResponse, TransportError> {
        let headers = Headers::new();
        for (name, value) in &request.headers {
            headers.set(name, value).map_err(failed)?;
        }
        let mut init = RequestInit::new();
        init.with_method(method(request.method)).with_headers(headers);
        if let Some(body) = &request.body {
            init.with_body(Some(worker::js_sys::Uint8Array::from(body.as_slice()).into()));
        }
        let mut response = self.fetcher.fetch(format!("https://edgeref{}", request.path), Some(init)).await.map_err(failed)?;
        let retry_after = response.headers().get("retry-after").ok().flatten().as_deref().and_then(parse_retry_after);
        let body = response.bytes().await.map_err(failed)?;
        Ok(ApiResponse { status: response.status_code(), retry_after, body })
    }
}
