//! Request and response plumbing: capped bodies, strict JSON, JSON replies.

use crate::error::{ApiError, ApiResult};
use edgeref_shared::json_path;
use futures_util::StreamExt;
use serde::de::DeserializeOwned;
use serde::Serialize;
use worker::{Headers, Request, Response};

/// Bodies over 64 KiB are refused with 413 (docs/contract.md).
pub const MAX_BODY: usize = 64 * 1024;

/// Reads a JSON body sent with `Content-Type: application/json`.
pub async fn json_body<T: DeserializeOwned>(req: &mut Request) -> ApiResult<T> {
    require_json(req)?;
    parse_json(&capped_body(req).await?)
}

/// Like `json_body`, but an empty body means every field's default.
pub async fn optional_json_body<T: DeserializeOwned + Default>(req: &mut Request) -> ApiResult<T> {
    let bytes = capped_body(req).await?;
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Ok(T::default());
    }
    require_json(req)?;
    parse_json(&bytes)
}

fn require_json(req: &Request) -> ApiResult<()> {
    require_media(req, &["application/json"], "send the body as Content-Type: application/json")
}

/// `415` unless the body's media type (`Content-Type` without its parameters) is one of `accepted`.
pub fn require_media(req: &Request, accepted: &[&str], message: &str) -> ApiResult<()> {
    let content_type = req.headers().get("content-type").ok().flatten().unwrap_or_default();
    let media = content_type.split(';').next().unwrap_or("").trim().to_ascii_lowercase();
    if !accepted.contains(&media.as_str()) {
        return Err(ApiError::new(415, "unsupported_media_type", message));
    }
    Ok(())
}

/// Reads a body of at most `MAX_BODY` bytes.
pub async fn capped_body(req: &mut Request) -> ApiResult<Vec<u8>> {
    capped_body_of(req, MAX_BODY, "request bodies are limited to 64 KiB").await
}

/// Reads a body of at most `max` bytes. A declared length over `max` is refused before
/// anything is read; one within it is read whole. A body without one (`Transfer-Encoding:
/// chunked`) is counted while it streams and refused as soon as it passes `max`, so it is
/// never buffered beyond the cap.
pub async fn capped_body_of(req: &mut Request, max: usize, limit_message: &str) -> ApiResult<Vec<u8>> {
    let too_large = || ApiError::new(413, "payload_too_large", limit_message);
    let unreadable = || ApiError::malformed("could not read the request body");
    match req.headers().get("content-length").ok().flatten().and_then(|l| l.parse::<usize>().ok()) {
        Some(declared) if declared > max => Err(too_large()),
        // Checked again after reading: a length header is the client's word.
        Some(_) => req.bytes().await.map_err(|_| unreadable()).and_then(|bytes| if bytes.len() > max { Err(too_large()) } else { Ok(bytes) }),
        None => {
            let chunks = match req.stream() {
                Ok(chunks) => chunks,
                // `stream` says so when there is no body at all.
                Err(worker::Error::RustError(_)) => return Ok(Vec::new()),
                Err(_) => return Err(unreadable()),
            };
            let mut chunks = std::pin::pin!(chunks);
            let mut bytes = Vec::new();
            while let Some(chunk) = chunks.next().await {
                let chunk = chunk.map_err(|_| unreadable())?;
                if bytes.len() + chunk.len() > max {
                    return Err(too_large());
                }
                bytes.extend_from_slice(&chunk);
            }
            Ok(bytes)
        }
    }
}

/// Parses JSON, telling malformed syntax (400) from well-formed JSON with a
/// wrong or missing field (422, naming the field by its path).
pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> ApiResult<T> {
    // Syntax first, so a truncated body is a 400 even if a field before the cut is wrong.
    serde_json::from_slice::<serde::de::IgnoredAny>(bytes).map_err(|e| malformed(&e))?;
    serde_json::from_slice(bytes).map_err(|e| invalid_json(bytes, &e))
}

/// A 422 for well-formed JSON that is not what was asked for, naming the field.
fn invalid_json(bytes: &[u8], e: &serde_json::Error) -> ApiError {
    ApiError::invalid(json_path::of_error(bytes, e), strip_position(&e.to_string()))
}

fn malformed(e: &serde_json::Error) -> ApiError {
    ApiError::malformed(format!("malformed JSON: {}", strip_position(&e.to_string())))
}

/// serde_json's message without " at line 1 column 9".
pub fn strip_position(message: &str) -> String {
    message.split(" at line ").next().unwrap_or(message).to_owned()
}

pub fn json<T: Serialize>(status: u16, value: &T) -> ApiResult<Response> {
    Ok(Response::from_json(value)?.with_status(status))
}

/// A query parameter's value, percent-decoded.
pub fn query_param(req: &Request, name: &str) -> Option<String> {
    req.url().ok()?.query_pairs().find(|(k, _)| k == name).map(|(_, v)| v.into_owned())
}

/// A `true`/`false` query parameter; `None` when absent.
pub fn bool_param(req: &Request, name: &str) -> ApiResult<Option<bool>> {
    match query_param(req, name).as_deref() {
        None => Ok(None),
        Some("true") => Ok(Some(true)),
        Some("false") => Ok(Some(false)),
        Some(_) => Err(ApiError::invalid(name, "must be true or false")),
    }
}

/// `?limit=`: 1 to 250, `default` when absent.
pub fn limit_param(req: &Request, default: i64) -> ApiResult<i64> {
    parse_limit(query_param(req, "limit").as_deref(), default)
}

fn parse_limit(value: Option<&str>, default: i64) -> ApiResult<i64> {
    match value {
        None => Ok(default),
        Some(v) => v.parse::<i64>().ok().filter(|n| (1..=250).contains(n)).ok_or_else(|| ApiError::invalid("limit", "must be an integer from 1 to 250")),
    }
}

/// `?cursor=`: the opaque `next_cursor` of a previous page (a row id).
pub fn cursor_param(req: &Request) -> ApiResult<i64> {
    parse_cursor(query_param(req, "cursor").as_deref())
}

fn parse_cursor(value: Option<&str>) -> ApiResult<i64> {
    match value {
        None => Ok(0),
        Some(v) => v.parse::<i64>().ok().filter(|n| *n >= 0).ok_or_else(|| ApiError::invalid("cursor", "is not a cursor from this API")),
    }
}

/// `{"data": [...], "next_cursor"}` for a page fetched with `limit + 1` rows:
/// the extra row only says whether another page exists.
pub fn page<T: Serialize>(mut rows: Vec<(i64, T)>, limit: i64) -> serde_json::Value {
    let more = rows.len() as i64 > limit;
    rows.truncate(limit as usize);
    let next = if more { rows.last().map(|(id, _)| id.to_string()) } else { None };
    let data: Vec<T> = rows.into_iter().map(|(_, v)| v).collect();
    serde_json::json!({ "data": data, "next_cursor": next })
}

// PATCH bodies' "absent but not null" helper lives with the shared API types.
pub use edgeref_shared::api::present;

/// The bearer token of an `Authorization` header, if any.
pub fn bearer(req: &Request) -> Option<String> {
    let header = req.headers().get("authorization").ok().flatten()?;
    let (scheme, token) = header.split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| token.trim().to_owned())
}

/// The public origin this Worker is reached at, for links it hands out.
/// A request cookie's value.
pub fn cookie(req: &Request, name: &str) -> Option<String> {
    let header = req.headers().get("cookie").ok().flatten()?;
    header.split(';').filter_map(|c| c.trim().split_once('=')).find(|(k, _)| *k == name).map(|(_, v)| v.to_owned())
}

pub fn self_origin(req: &Request) -> String {
    req.url().map(|u| u.origin().ascii_serialization()).unwrap_or_default()
}

/// A CORS preflight's answer (`204`): the one method and request header its route takes,
/// remembered for a day. The caller adds the origin it allows.
pub fn preflight(method: &str, header: &str) -> ApiResult<Response> {
    let headers = Headers::new();
    headers.set("access-control-allow-methods", method)?;
    headers.set("access-control-allow-headers", header)?;
    headers.set("access-control-max-age", "86400")?;
    Ok(Response::empty()?.with_status(204).with_headers(headers))
}

#[cfg(test)]
mod tests {
    use super::*;
    #[derive(serde::Deserialize, Debug)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Body {
        email: String,
        inner: Option<Inner>,
    }
    #[derive(serde::Deserialize, Debug)]
    #[allow(dead_code)]
    struct Inner {
        key: String,
    }

    #[test]
    fn typed_request_fields_name_what_is_wrong() {
        use edgeref_shared::api::{CreateTransaction, UpdateWebhook};
        let both = br#"{"key":"t","customer":{"key":"a","email":"a@x.example"},"amount":1,"currency":"USD"}"#;
        let e = parse_json::<CreateTransaction>(both).unwrap_err();
        assert_eq!((e.status, e.field.as_deref(), e.message.as_str()), (422, Some("customer"), "give exactly one of key or email"));
        let last = br#"{"key":"t","amount":1,"currency":"USD","customer":{}}"#;
        assert_eq!(parse_json::<CreateTransaction>(last).unwrap_err().field.as_deref(), Some("customer"), "also as the last member");
        let e = parse_json::<UpdateWebhook>(br#"{"events":["customer.created","customer.nope"]}"#).unwrap_err();
        assert_eq!((e.status, e.field.as_deref()), (422, Some("events[1]")));
        assert!(e.message.starts_with("unknown variant `customer.nope`, expected one of `customer.created`"), "{}", e.message);
    }

    #[test]
    fn limits_are_1_to_250_with_a_default() {
        assert_eq!(parse_limit(None, 50).unwrap(), 50);
        assert_eq!(parse_limit(Some("1"), 50).unwrap(), 1);
        assert_eq!(parse_limit(Some("250"), 50).unwrap(), 250);
        for bad in ["0", "251", "-1", "ten", ""] {
            assert_eq!(parse_limit(Some(bad), 50).unwrap_err().field.as_deref(), Some("limit"), "{bad}");
        }
    }

    #[test]
    fn cursors_are_row_ids_from_a_previous_page() {
        assert_eq!(parse_cursor(None).unwrap(), 0);
        assert_eq!(parse_cursor(Some("42")).unwrap(), 42);
        assert_eq!(parse_cursor(Some("-1")).unwrap_err().field.as_deref(), Some("cursor"));
        assert_eq!(parse_cursor(Some("abc")).unwrap_err().status, 422);
    }

    #[test]
    fn a_page_keeps_limit_rows_and_points_past_the_last_only_when_more_exist() {
        let rows = |n: i64| (1..=n).map(|i| (i * 10, i)).collect::<Vec<_>>();
        assert_eq!(page(rows(3), 2), serde_json::json!({"data": [1, 2], "next_cursor": "20"}));
        assert_eq!(page(rows(2), 2), serde_json::json!({"data": [1, 2], "next_cursor": null}));
        assert_eq!(page(rows(0), 2), serde_json::json!({"data": [], "next_cursor": null}));
    }

    #[test]
    fn json_errors_name_their_field() {
        let e = parse_json::<Body>(b"{").unwrap_err();
        assert_eq!((e.status, e.code), (400, "malformed_request"));
        let e = parse_json::<Body>(b"{}").unwrap_err();
        assert_eq!((e.status, e.field.as_deref()), (422, Some("email")));
        let e = parse_json::<Body>(br#"{"email": 1}"#).unwrap_err();
        assert_eq!((e.status, e.field.as_deref()), (422, Some("email")));
        let e = parse_json::<Body>(br#"{"email": "a", "inner": {}}"#).unwrap_err();
        assert_eq!(e.field.as_deref(), Some("inner.key"));
        let e = parse_json::<Body>(br#"{"email": "a", "x": 1}"#).unwrap_err();
        assert_eq!(e.field.as_deref(), Some("x"));
        let e = parse_json::<Body>(br#"{"email": "a"} trailing"#).unwrap_err();
        assert_eq!(e.status, 400);
        let e = parse_json::<Body>(br#"{"email": 1"#).unwrap_err();
        assert_eq!(e.status, 400, "truncated JSON is malformed whatever it holds");
        let e = parse_json::<Body>(br#"[]"#).unwrap_err();
        assert_eq!(e.status, 422);
        let deep = "[".repeat(10_000);
        assert_eq!(parse_json::<Body>(deep.as_bytes()).unwrap_err().status, 400);
    }
}
