//! Thin helpers over D1: binding arguments (D1 takes no BigInt, so integers go
//! as JS numbers, exact up to 2^53) and mapping failures to `ApiError`.

use crate::error::{ApiError, ApiResult};
use serde::de::DeserializeOwned;
use worker::wasm_bindgen::JsValue;
use worker::{D1Database, D1PreparedStatement};

/// A value bound to a `?` placeholder.
pub enum Arg<'a> {
    Text(&'a str),
    Int(i64),
    Null,
}

impl<'a> From<&'a str> for Arg<'a> {
    fn from(s: &'a str) -> Self {
        Arg::Text(s)
    }
}
impl<'a> From<&'a String> for Arg<'a> {
    fn from(s: &'a String) -> Self {
        Arg::Text(s)
    }
}
impl From<i64> for Arg<'_> {
    fn from(n: i64) -> Self {
        Arg::Int(n)
    }
}
impl<'a, T: Into<Arg<'a>>> From<Option<T>> for Arg<'a> {
    fn from(v: Option<T>) -> Self {
        v.map_or(Arg::Null, Into::into)
    }
}

impl From<&Arg<'_>> for JsValue {
    fn from(a: &Arg<'_>) -> Self {
        match a {
            Arg::Text(s) => JsValue::from_str(s),
            Arg::Int(n) => JsValue::from_f64(*n as f64),
            Arg::Null => JsValue::NULL,
        }
    }
}

/// `sql!(db, "SELECT ... WHERE a = ?1", x, y)`: a prepared statement with its arguments bound.
#[macro_export]
macro_rules! sql {
    ($db:expr, $q:expr $(, $arg:expr)* $(,)?) => {
        $crate::db::prepare($db, $q, &[$($crate::db::Arg::from($arg)),*])
    };
}

thread_local! {
    /// Statements prepared while handling the current request, for `make bench`
    /// (`BENCH=on` reports it in an `x-d1-queries` header).
    static PREPARED: std::cell::Cell<u32> = const { std::cell::Cell::new(0) };
}

/// Resets the count and returns what the previous request used.
pub fn take_query_count() -> u32 {
    PREPARED.replace(0)
}

pub fn prepare(db: &D1Database, query: &str, args: &[Arg]) -> ApiResult<D1PreparedStatement> {
    PREPARED.set(PREPARED.get() + 1);
    let values: Vec<JsValue> = args.iter().map(JsValue::from).collect();
    db.prepare(query).bind(&values).map_err(|e| ApiError::unavailable("bind", e))
}

pub async fn first<T: DeserializeOwned>(stmt: ApiResult<D1PreparedStatement>) -> ApiResult<Option<T>> {
    stmt?.first::<T>(None).await.map_err(|e| ApiError::unavailable("d1 first", e))
}

pub async fn all<T: DeserializeOwned>(stmt: ApiResult<D1PreparedStatement>) -> ApiResult<Vec<T>> {
    let result = stmt?.all().await.map_err(|e| ApiError::unavailable("d1 all", e))?;
    result.results::<T>().map_err(|e| ApiError::unavailable("d1 decode", e))
}

pub async fn run(stmt: ApiResult<D1PreparedStatement>) -> ApiResult<()> {
    stmt?.run().await.map(|_| ()).map_err(|e| classify("d1 run", e))
}

/// Runs statements as one transaction: all of them or none.
pub async fn batch(db: &D1Database, stmts: Vec<ApiResult<D1PreparedStatement>>) -> ApiResult<()> {
    let stmts = stmts.into_iter().collect::<ApiResult<Vec<_>>>()?;
    db.batch(stmts).await.map(|_| ()).map_err(|e| classify("d1 batch", e))
}

/// A unique-constraint failure is the caller's conflict (409); anything else is ours (503).
fn classify(context: &str, e: worker::Error) -> ApiError {
    let text = e.to_string();
    match text.find("UNIQUE constraint failed: ") {
        Some(i) => ApiError::conflict(format!("already exists ({})", text[i + 26..].trim_end_matches(|c: char| !c.is_alphanumeric() && c != '_'))),
        None => ApiError::unavailable(context, text),
    }
}
