//! Thin helpers over D1: binding arguments (D1 takes no BigInt, so integers go
//! as JS numbers, exact up to 2^53) and mapping failures to `ApiError`.

use crate::error::{ApiError, ApiResult};
use edgeref_shared::lifecycle::RewardStatus;
use edgeref_shared::webhook::DeliveryStatus;
use serde::de::DeserializeOwned;
use worker::wasm_bindgen::JsValue;
use worker::{D1Database, D1PreparedStatement};

/// Typed values out of D1's columns, for `#[serde(deserialize_with = …)]`: SQLite
/// has no booleans and no arrays, so rows hold 0/1 and JSON text.
pub mod column {
    use serde::de::{DeserializeOwned, Deserializer, Error};
    use serde::Deserialize;

    /// An INTEGER 0/1 column as a bool.
    pub fn flag<'de, D: Deserializer<'de>>(d: D) -> Result<bool, D::Error> {
        Ok(i64::deserialize(d)? != 0)
    }

    /// A TEXT column of JSON, as the value it holds.
    pub fn json<'de, D: Deserializer<'de>, T: DeserializeOwned>(d: D) -> Result<T, D::Error> {
        serde_json::from_str(&String::deserialize(d)?).map_err(D::Error::custom)
    }
}

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
impl From<bool> for Arg<'_> {
    fn from(b: bool) -> Self {
        Arg::Int(b as i64)
    }
}
impl From<RewardStatus> for Arg<'_> {
    fn from(s: RewardStatus) -> Self {
        Arg::Text(s.as_str())
    }
}
impl From<DeliveryStatus> for Arg<'_> {
    fn from(s: DeliveryStatus) -> Self {
        Arg::Text(s.as_str())
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

pub fn prepare(db: &D1Database, query: &str, args: &[Arg]) -> Stmt {
    #[cfg(feature = "bench")]
    crate::meter::statement_prepared();
    let values: Vec<JsValue> = args.iter().map(JsValue::from).collect();
    db.prepare(query).bind(&values).map_err(|e| ApiError::unavailable("bind", e))
}

pub async fn first<T: DeserializeOwned>(stmt: Stmt) -> ApiResult<Option<T>> {
    stmt?.first::<T>(None).await.map_err(|e| ApiError::unavailable("d1 first", e))
}

pub async fn all<T: DeserializeOwned>(stmt: Stmt) -> ApiResult<Vec<T>> {
    let result = stmt?.all().await.map_err(|e| ApiError::unavailable("d1 all", e))?;
    result.results::<T>().map_err(|e| ApiError::unavailable("d1 decode", e))
}

pub async fn run(stmt: Stmt) -> DbResult<()> {
    stmt?.run().await.map(|_| ()).map_err(|e| classify(&e.to_string()))
}

/// The column a failed guard reports (see `guard`); `classify` reads it as a conflict.
pub const GUARD: &str = "guards.ok";

/// Rolls the batch back unless `condition` (SQL over `?1`…) holds when it runs: a check
/// and the change it allows in one transaction, so nothing can slip in between.
pub fn guard(db: &D1Database, condition: &str, args: &[Arg]) -> Stmt {
    prepare(db, &format!("INSERT INTO guards (ok) SELECT NULL WHERE NOT ({condition})"), args)
}

/// Runs statements as one transaction: all of them or none.
pub async fn batch(db: &D1Database, stmts: Vec<Stmt>) -> DbResult<()> {
    let stmts = stmts.into_iter().collect::<ApiResult<Vec<_>>>()?;
    #[cfg(feature = "bench")]
    crate::meter::batch_sent(stmts.len());
    db.batch(stmts).await.map(|_| ()).map_err(|e| classify(&e.to_string()))
}

/// A prepared statement, or why it could not be bound.
pub type Stmt = ApiResult<D1PreparedStatement>;
pub type DbResult<T> = Result<T, DbError>;

/// Why a write failed: a UNIQUE conflict is the caller's (409) and names its
/// column (`table.column`), so callers match on it instead of on error text;
/// anything else is ours (503).
#[derive(Debug, Clone, PartialEq)]
pub enum DbError {
    Conflict { column: String },
    Unavailable(String),
}

impl DbError {
    /// Whether this is a UNIQUE conflict on `column` (`table.column`).
    pub fn conflicts_on(&self, column: &str) -> bool {
        matches!(self, DbError::Conflict { column: c } if c == column)
    }
}

impl From<ApiError> for DbError {
    fn from(e: ApiError) -> Self {
        DbError::Unavailable(e.message)
    }
}

impl From<DbError> for ApiError {
    fn from(e: DbError) -> Self {
        match e {
            DbError::Conflict { column } => ApiError::conflict(format!("already exists ({column})")),
            DbError::Unavailable(text) => ApiError::unavailable("d1", text),
        }
    }
}

/// D1 reports failures as text only; this is the one place that reads it.
/// SQLite names the first column of the violated index: `UNIQUE constraint failed: customers.program_id, customers.key`.
pub fn classify(text: &str) -> DbError {
    // A failed compare-and-set guard (`rewards::store::guard`) is a conflict too: someone else wrote first.
    if text.contains("NOT NULL constraint failed: guards.ok") {
        return DbError::Conflict { column: GUARD.into() };
    }
    const MARK: &str = "UNIQUE constraint failed: ";
    match text.find(MARK) {
        Some(i) => {
            let columns = &text[i + MARK.len()..];
            let columns = columns.split(|c: char| !(c.is_alphanumeric() || c == '_' || c == '.' || c == ',' || c == ' ')).next().unwrap_or("");
            // The most specific column is the last one of the index (`program_id` scopes them all).
            let column = columns.split(',').map(str::trim).filter(|c| !c.is_empty()).last().unwrap_or("").to_owned();
            DbError::Conflict { column }
        }
        None => DbError::Unavailable(text.to_owned()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_unique_violation_names_its_most_specific_column() {
        let e = classify("D1_ERROR: UNIQUE constraint failed: customers.program_id, customers.key: SQLITE_CONSTRAINT");
        assert_eq!(e, DbError::Conflict { column: "customers.key".into() });
        assert!(e.conflicts_on("customers.key"));
        assert!(!e.conflicts_on("customers.referral_code"));
        assert_eq!(classify("UNIQUE constraint failed: transactions.key"), DbError::Conflict { column: "transactions.key".into() });
    }

    #[test]
    fn a_failed_guard_is_a_conflict_on_the_guard() {
        assert!(classify("D1_ERROR: NOT NULL constraint failed: guards.ok: SQLITE_CONSTRAINT").conflicts_on("guards.ok"));
        assert!(!classify("NOT NULL constraint failed: customers.email").conflicts_on("guards.ok"));
    }

    #[test]
    fn other_failures_are_unavailable_not_conflicts() {
        assert_eq!(classify("D1_ERROR: no such table: x"), DbError::Unavailable("D1_ERROR: no such table: x".into()));
        assert!(!classify("CHECK constraint failed: amount").conflicts_on("amount"));
    }

    #[test]
    fn conflicts_become_409_and_the_rest_503() {
        let conflict: ApiError = DbError::Conflict { column: "webhooks.id".into() }.into();
        assert_eq!((conflict.status, conflict.code), (409, "conflict"));
        assert!(conflict.message.contains("webhooks.id"), "{}", conflict.message);
        let down: ApiError = DbError::Unavailable("D1_ERROR: network lost".into()).into();
        assert_eq!((down.status, down.code), (503, "unavailable"));
        assert!(!down.message.contains("network lost"), "the cause is logged, never answered");
    }
}

/// D1's schema in an in-memory SQLite (every migration, in order), for native tests
/// of SQL that must agree with a rule in `edgeref-shared`.
#[cfg(test)]
pub fn sqlite_with_schema() -> rusqlite::Connection {
    let conn = rusqlite::Connection::open_in_memory().expect("in-memory SQLite");
    let mut files: Vec<_> = std::fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/migrations")).expect("migrations").map(|e| e.expect("entry").path()).collect();
    files.sort();
    for f in files {
        conn.execute_batch(&std::fs::read_to_string(&f).expect("readable")).unwrap_or_else(|e| panic!("{}: {e}", f.display()));
    }
    conn
}
