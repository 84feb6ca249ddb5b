//! Customer records as CSV: reading an import file (RFC 4180, UTF-8 with or
//! without a BOM), validating its rows, planning the upsert against what is
//! stored (referrers in any row order, referral cycles), and writing export
//! rows with spreadsheet-formula escaping. Pure: the Worker reads and writes D1.
//!
//! ```
//! use edgeref_shared::records::{parse, escape_formula};
//! let file = parse(b"\xEF\xBB\xBFkey,email\r\nann,ann@example.com\r\n").unwrap();
//! assert_eq!(file.rows[0].key, "ann");
//! assert_eq!(escape_formula("=1+1"), "'=1+1");
//! ```

use crate::attribution::is_same_address;
use crate::{time, validate, ReferralCode};
use serde::Serialize;
use std::borrow::Cow;
use std::collections::{HashMap, HashSet};

/// One call imports at most this many bytes…
pub const MAX_FILE_BYTES: usize = 5 * 1024 * 1024;
/// …and this many data rows (larger files go in several calls: the dashboard chunks them).
pub const MAX_ROWS: usize = 20_000;
/// No cell is longer than this many characters (the longest field, an email, is 254).
pub const MAX_CELL_CHARS: usize = 1_000;

/// The columns an import understands, in order (the customers export starts with the first
/// seven and ends with `stripe_customer_id`).
pub const IMPORT_COLUMNS: [&str; 8] = ["key", "email", "name", "surname", "referral_code", "referred_by", "created_at", "stripe_customer_id"];

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Column {
    Key,
    Email,
    Name,
    Surname,
    ReferralCode,
    ReferredBy,
    CreatedAt,
    StripeCustomerId,
}

/// The column a header cell names: case, surrounding spaces and `-`/space versus `_`
/// do not matter, and a few common spellings are understood. `None`: ignored.
///
/// ```
/// use edgeref_shared::records::{column_for, Column};
/// assert_eq!(column_for(" E-mail "), Some(Column::Email));
/// assert_eq!(column_for("Referred By"), Some(Column::ReferredBy));
/// assert_eq!(column_for("plan"), None);
/// ```
pub fn column_for(header: &str) -> Option<Column> {
    let h: String = header.trim().chars().map(|c| if c == '-' || c == ' ' { '_' } else { c.to_ascii_lowercase() }).collect();
    Some(match h.as_str() {
        "key" | "customer_key" => Column::Key,
        "email" | "e_mail" | "email_address" => Column::Email,
        "name" | "first_name" => Column::Name,
        "surname" | "last_name" => Column::Surname,
        "referral_code" | "code" => Column::ReferralCode,
        "referred_by" | "referrer" | "referrer_key" => Column::ReferredBy,
        "created_at" => Column::CreatedAt,
        "stripe_customer_id" | "stripe_customer" | "stripe_id" => Column::StripeCustomerId,
        _ => return None,
    })
}

/// Why a whole file is refused (no row of it is imported).
#[derive(Debug, Clone, PartialEq)]
pub enum FileError {
    /// Not UTF-8 text (400).
    NotText,
    /// No header row (400).
    Empty,
    /// A required column is missing from the header (422): `key` or `email`.
    MissingColumn(&'static str),
    /// Two header cells name the same column (422).
    DuplicateColumn(String),
    /// More than `MAX_ROWS` data rows (413).
    TooManyRows,
}

impl FileError {
    /// `(status, error code, field, message)` for the API's error body.
    pub fn describe(&self) -> (u16, &'static str, Option<String>, String) {
        match self {
            FileError::NotText => (400, "malformed_request", None, "the body is not UTF-8 CSV text".into()),
            FileError::Empty => (400, "malformed_request", None, "the file is empty: send a header row, then one customer per row".into()),
            FileError::MissingColumn(c) => (422, "validation_failed", Some((*c).into()), format!("the header has no `{c}` column")),
            FileError::DuplicateColumn(c) => (422, "validation_failed", Some(c.clone()), format!("the header names `{c}` twice")),
            FileError::TooManyRows => (413, "payload_too_large", None, format!("at most {MAX_ROWS} rows a call: split the file")),
        }
    }
}

/// A row that is not imported, and why: `row` counts the header as row 1, like a spreadsheet.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RowError {
    pub row: usize,
    pub field: String,
    pub code: &'static str,
    pub message: String,
}

impl RowError {
    fn new(row: usize, field: &str, code: &'static str, message: impl Into<String>) -> Self {
        Self { row, field: field.to_owned(), code, message: message.into() }
    }
}

/// A row that passed its own checks. `None` for an optional column means "not
/// in the file, keep what is stored"; a blank cell of a present `name`/`surname`
/// column clears it, a blank `referral_code`/`referred_by` keeps the stored one; a blank
/// `stripe_customer_id` keeps the stored one too (an import never unlinks from Stripe).
#[derive(Debug, Clone, PartialEq)]
pub struct ImportRow {
    pub row: usize,
    pub key: String,
    pub email: String,
    pub name: Option<Option<String>>,
    pub surname: Option<Option<String>>,
    pub referral_code: Option<String>,
    pub referred_by: Option<String>,
    pub created_at: Option<i64>,
    pub stripe_customer_id: Option<String>,
}

/// A parsed file: its valid rows and the errors of the others, by row.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ParsedFile {
    pub rows: Vec<ImportRow>,
    pub errors: Vec<RowError>,
}

/// Reads an import file: header row, then one customer per row. Duplicate keys
/// or codes inside the file: the first row wins, a later one is an error.
pub fn parse(bytes: &[u8]) -> Result<ParsedFile, FileError> {
    let text = std::str::from_utf8(bytes).map_err(|_| FileError::NotText)?;
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut reader = csv::ReaderBuilder::new().has_headers(false).flexible(true).from_reader(text.as_bytes());
    let mut records = reader.records();
    let header = match records.next() {
        Some(Ok(h)) => h,
        Some(Err(_)) => return Err(FileError::NotText),
        None => return Err(FileError::Empty),
    };
    let columns = header_columns(&header)?;
    let mut file = ParsedFile::default();
    let (mut keys, mut codes) = (HashSet::new(), HashSet::new());
    for (i, record) in records.enumerate() {
        if i >= MAX_ROWS {
            return Err(FileError::TooManyRows);
        }
        let row = i + 2;
        let parsed = match record {
            Ok(r) if r.len() != header.len() => Err(RowError::new(row, "", "field_count", format!("has {} cells, the header has {}", r.len(), header.len()))),
            Ok(r) => read_row(row, &columns, &r),
            Err(_) => Err(RowError::new(row, "", "malformed", "is not valid CSV")),
        };
        match parsed.and_then(|r| unique_in_file(r, &mut keys, &mut codes)) {
            Ok(r) => file.rows.push(r),
            Err(e) => file.errors.push(e),
        }
    }
    Ok(file)
}

/// Which column each header cell is (`None`: ignored); `key` and `email` are required.
fn header_columns(header: &csv::StringRecord) -> Result<Vec<Option<Column>>, FileError> {
    let columns: Vec<Option<Column>> = header.iter().map(column_for).collect();
    for (i, c) in columns.iter().enumerate() {
        if c.is_some() && columns[..i].contains(c) {
            return Err(FileError::DuplicateColumn(IMPORT_COLUMNS[c.unwrap() as usize].into()));
        }
    }
    for (required, name) in [(Column::Key, "key"), (Column::Email, "email")] {
        if !columns.contains(&Some(required)) {
            return Err(FileError::MissingColumn(name));
        }
    }
    Ok(columns)
}

fn unique_in_file(r: ImportRow, keys: &mut HashSet<String>, codes: &mut HashSet<String>) -> Result<ImportRow, RowError> {
    if !keys.insert(r.key.clone()) {
        return Err(RowError::new(r.row, "key", "duplicate_key", format!("key `{}` is on an earlier row of this file", r.key)));
    }
    if let Some(code) = &r.referral_code {
        if !codes.insert(code.clone()) {
            return Err(RowError::new(r.row, "referral_code", "code_taken", format!("referral code `{code}` is on an earlier row of this file")));
        }
    }
    Ok(r)
}

/// A cell as typed: `'=x` (as an export writes a formula-like cell) reads back as `=x`.
pub fn unescape_formula(cell: &str) -> &str {
    match cell.strip_prefix('\'') {
        Some(rest) if looks_like_formula(rest) => rest,
        _ => cell,
    }
}

/// Starts like a formula, after any `'`s (so `'=x` as typed round-trips too).
fn looks_like_formula(cell: &str) -> bool {
    cell.trim_start_matches('\'').starts_with(FORMULA_STARTS)
}

fn read_row(row: usize, columns: &[Option<Column>], record: &csv::StringRecord) -> Result<ImportRow, RowError> {
    let mut cells: HashMap<Column, &str> = HashMap::new();
    for (column, cell) in columns.iter().zip(record.iter()) {
        let Some(column) = column else { continue };
        let cell = unescape_formula(cell.trim());
        if cell.chars().count() > MAX_CELL_CHARS {
            return Err(RowError::new(row, IMPORT_COLUMNS[*column as usize], "too_long", format!("is longer than {MAX_CELL_CHARS} characters")));
        }
        cells.insert(*column, cell);
    }
    let invalid = |e: crate::ValidationError| RowError::new(row, e.field, "invalid", e.message);
    let filled = |c: Column| cells.get(&c).copied().filter(|v| !v.is_empty());
    let optional_name = |c: Column, field: &'static str| -> Result<Option<Option<String>>, RowError> {
        match cells.get(&c) {
            None => Ok(None),
            Some(&"") => Ok(Some(None)),
            Some(v) => validate::name(field, v, 200).map(|n| Some(Some(n))).map_err(invalid),
        }
    };
    let created_at = match filled(Column::CreatedAt) {
        None => None,
        Some(v) => Some(parse_time(v).ok_or_else(|| RowError::new(row, "created_at", "invalid", "must be a time like 2024-05-01T12:00:00Z (or Unix milliseconds)"))?),
    };
    Ok(ImportRow {
        row,
        key: validate::key("key", cells.get(&Column::Key).copied().unwrap_or("")).map_err(invalid)?,
        email: validate::email("email", cells.get(&Column::Email).copied().unwrap_or("")).map_err(invalid)?,
        name: optional_name(Column::Name, "name")?,
        surname: optional_name(Column::Surname, "surname")?,
        referral_code: filled(Column::ReferralCode).map(|c| ReferralCode::parse(c).map(|c| c.as_str().to_owned())).transpose().map_err(invalid)?,
        referred_by: filled(Column::ReferredBy).map(|k| validate::key("referred_by", k)).transpose().map_err(invalid)?,
        created_at,
        stripe_customer_id: filled(Column::StripeCustomerId).map(|id| validate::stripe_customer_id("stripe_customer_id", id)).transpose().map_err(invalid)?,
    })
}

/// RFC 3339 as the API writes it (also `2024-05-01 12:00:00`, a date alone, or Unix milliseconds).
fn parse_time(v: &str) -> Option<i64> {
    if let Ok(ms) = v.parse::<i64>() {
        return (0..=253_402_300_799_999).contains(&ms).then_some(ms);
    }
    let v = v.replacen(' ', "T", 1);
    let v = if v.len() == 10 { format!("{v}T00:00:00Z") } else { v };
    let v = if v.ends_with('Z') || v.ends_with("+00:00") { v } else { format!("{v}Z") };
    time::parse_rfc3339(&v)
}

/// What is stored about a customer the file names (as a key or as a referrer).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Stored {
    pub email: String,
    pub name: Option<String>,
    pub surname: Option<String>,
    pub referral_code: String,
    pub referred_by: Option<String>,
    pub stripe_customer_id: Option<String>,
}

/// What the store knows that the plan needs: the customers the file names and
/// their stored referrers up the chain (for cycles), and who holds the file's codes.
#[derive(Debug, Clone, Default)]
pub struct Known {
    pub customers: HashMap<String, Stored>,
    /// referral code → the key of the customer who holds it.
    pub code_holders: HashMap<String, String>,
}

/// One customer to write. `referral_code: None` for a new customer: generate one.
#[derive(Debug, Clone, PartialEq)]
pub struct Upsert {
    pub key: String,
    pub email: String,
    pub name: Option<String>,
    pub surname: Option<String>,
    pub referral_code: Option<String>,
    pub referred_by: Option<String>,
    pub created_at: Option<i64>,
    pub stripe_customer_id: Option<String>,
    pub is_new: bool,
}

/// The import's outcome before it is written.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Plan {
    pub writes: Vec<Upsert>,
    pub created: usize,
    pub updated: usize,
    pub unchanged: usize,
    pub errors: Vec<RowError>,
    /// Customers whose number of referrals the import changes.
    pub referrers: Vec<String>,
}

/// Decides what each valid row does against what is stored: create, update,
/// leave alone, or refuse (a code another customer holds, a stored code that
/// would change, an unknown referrer, a customer referring themselves, a
/// referrer other than the one already stored, a referral cycle).
pub fn plan(file: ParsedFile, known: &Known) -> Plan {
    let mut errors = file.errors;
    let mut rows: Vec<ImportRow> = Vec::with_capacity(file.rows.len());
    for r in file.rows {
        match check_row(&r, known) {
            Ok(()) => rows.push(r),
            Err(e) => errors.push(e),
        }
    }
    let rows = drop_rows_with_unknown_referrers(rows, known, &mut errors);
    let rows = drop_rows_with_self_referrals(rows, known, &mut errors);
    let cyclic = cycle_rows(&rows, known);
    let rows: Vec<ImportRow> = rows
        .into_iter()
        .filter(|r| {
            let bad = cyclic.contains(&r.key);
            if bad {
                let by = r.referred_by.clone().unwrap_or_default();
                errors.push(RowError::new(r.row, "referred_by", "referral_cycle", format!("`{by}` is (indirectly) referred by `{}`: referrals cannot go round in a circle", r.key)));
            }
            !bad
        })
        .collect();
    let rows = drop_rows_with_unknown_referrers(rows, known, &mut errors);
    errors.sort_by_key(|e| e.row);
    let mut plan = classify(rows, known);
    plan.errors = errors;
    plan
}

/// The checks of one row against what is stored, alone.
fn check_row(r: &ImportRow, known: &Known) -> Result<(), RowError> {
    let stored = known.customers.get(&r.key);
    if let Some(code) = &r.referral_code {
        if let Some(s) = stored.filter(|s| &s.referral_code != code) {
            return Err(RowError::new(r.row, "referral_code", "code_mismatch", format!("`{}` already has referral code `{}`; an import does not change a stored code", r.key, s.referral_code)));
        }
        if known.code_holders.get(code).is_some_and(|holder| holder != &r.key) {
            return Err(RowError::new(r.row, "referral_code", "code_taken", format!("referral code `{code}` belongs to another customer")));
        }
    }
    if let Some(by) = &r.referred_by {
        if by == &r.key {
            return Err(RowError::new(r.row, "referred_by", "self_referral", "a customer cannot refer themselves"));
        }
        if let Some(current) = stored.and_then(|s| s.referred_by.as_ref()).filter(|c| *c != by) {
            return Err(RowError::new(r.row, "referred_by", "referrer_locked", format!("`{}` was already referred by `{current}`; an import does not move a referral", r.key)));
        }
    }
    Ok(())
}

/// Drops rows whose referrer is neither stored nor a kept row of the file, until none is left.
fn drop_rows_with_unknown_referrers(mut rows: Vec<ImportRow>, known: &Known, errors: &mut Vec<RowError>) -> Vec<ImportRow> {
    loop {
        let in_file: HashSet<&str> = rows.iter().map(|r| r.key.as_str()).collect();
        let unknown: Vec<usize> = rows
            .iter()
            .enumerate()
            .filter(|(_, r)| r.referred_by.as_deref().is_some_and(|by| !in_file.contains(by) && !known.customers.contains_key(by)))
            .map(|(i, _)| i)
            .collect();
        if unknown.is_empty() {
            return rows;
        }
        for i in unknown.into_iter().rev() {
            let r = rows.remove(i);
            let by = r.referred_by.unwrap_or_default();
            errors.push(RowError::new(r.row, "referred_by", "unknown_referrer", format!("no customer `{by}` in this program or on a valid row of this file")));
        }
    }
}

/// Drops rows whose (new) referrer has the same mailbox: a customer referring themselves.
fn drop_rows_with_self_referrals(rows: Vec<ImportRow>, known: &Known, errors: &mut Vec<RowError>) -> Vec<ImportRow> {
    let emails: HashMap<String, String> = rows.iter().map(|r| (r.key.clone(), r.email.clone())).collect();
    let email_of = |k: &str| emails.get(k).map(String::as_str).or_else(|| known.customers.get(k).map(|s| s.email.as_str())).map(str::to_owned);
    let (keep, bad): (Vec<_>, Vec<_>) = rows.into_iter().partition(|r| match r.referred_by.as_deref().and_then(email_of) {
        Some(e) => !is_same_address(&e, &r.email),
        None => true,
    });
    for r in bad {
        errors.push(RowError::new(r.row, "referred_by", "self_referral", "the referrer has the same email address: a customer cannot refer themselves"));
    }
    keep
}

/// The keys of rows whose referrer link would close a circle (file links over stored ones).
fn cycle_rows(rows: &[ImportRow], known: &Known) -> HashSet<String> {
    let file: HashMap<&str, &str> = rows.iter().filter_map(|r| Some((r.key.as_str(), r.referred_by.as_deref()?))).collect();
    let parent = |k: &str| -> Option<String> {
        file.get(k).map(|p| p.to_string()).or_else(|| known.customers.get(k).and_then(|s| s.referred_by.clone()))
    };
    let mut done: HashSet<String> = HashSet::new();
    let mut cyclic = HashSet::new();
    for start in file.keys() {
        let mut path: Vec<String> = Vec::new();
        let mut at = Some(start.to_string());
        while let Some(k) = at {
            if done.contains(&k) {
                break;
            }
            if let Some(i) = path.iter().position(|p| p == &k) {
                cyclic.extend(path[i..].iter().filter(|p| file.contains_key(p.as_str())).cloned());
                break;
            }
            at = parent(&k);
            path.push(k);
        }
        done.extend(path);
    }
    cyclic
}

/// Splits the valid rows into creations, updates and rows that change nothing.
fn classify(rows: Vec<ImportRow>, known: &Known) -> Plan {
    let mut plan = Plan::default();
    let mut referrers: Vec<String> = Vec::new();
    for r in rows {
        let stored = known.customers.get(&r.key);
        let keep = |v: Option<Option<String>>, s: Option<&Option<String>>| v.unwrap_or_else(|| s.cloned().flatten());
        let up = Upsert {
            name: keep(r.name, stored.map(|s| &s.name)),
            surname: keep(r.surname, stored.map(|s| &s.surname)),
            referral_code: r.referral_code.or_else(|| stored.map(|s| s.referral_code.clone())),
            referred_by: r.referred_by.or_else(|| stored.and_then(|s| s.referred_by.clone())),
            stripe_customer_id: r.stripe_customer_id.or_else(|| stored.and_then(|s| s.stripe_customer_id.clone())),
            key: r.key,
            email: r.email,
            created_at: r.created_at,
            is_new: stored.is_none(),
        };
        if let Some(by) = up.referred_by.as_ref().filter(|_| stored.is_none_or(|s| s.referred_by.is_none())) {
            referrers.push(by.clone());
        }
        match stored {
            None => plan.created += 1,
            Some(s) if s.email == up.email && s.name == up.name && s.surname == up.surname && s.referred_by == up.referred_by && s.stripe_customer_id == up.stripe_customer_id => {
                plan.unchanged += 1;
                continue;
            }
            Some(_) => plan.updated += 1,
        }
        plan.writes.push(up);
    }
    referrers.sort();
    referrers.dedup();
    plan.referrers = referrers;
    plan
}

/// Every key and referrer the file names, for the store to look up (with their referrers' chains).
pub fn named_keys(file: &ParsedFile) -> Vec<String> {
    let mut keys: Vec<String> = file.rows.iter().flat_map(|r| std::iter::once(r.key.clone()).chain(r.referred_by.clone())).collect();
    keys.sort();
    keys.dedup();
    keys
}

/// Every referral code the file gives.
pub fn named_codes(file: &ParsedFile) -> Vec<String> {
    file.rows.iter().filter_map(|r| r.referral_code.clone()).collect()
}

/// What a spreadsheet would run as a formula when a cell starts with it.
const FORMULA_STARTS: [char; 6] = ['=', '+', '-', '@', '\t', '\r'];

/// A text cell safe to open in a spreadsheet: one that would run as a formula
/// (starting `=`, `+`, `-`, `@`, tab or CR) gets a leading `'`; so does one
/// typed with its own `'` in front (`'=x`), so that an import reads back what was stored.
pub fn escape_formula(cell: &str) -> Cow<'_, str> {
    if looks_like_formula(cell) {
        Cow::Owned(format!("'{cell}"))
    } else {
        Cow::Borrowed(cell)
    }
}

/// An export cell: text is formula-escaped, numbers (our own integers) are written as they are.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell<'a> {
    Text(Option<&'a str>),
    Int(i64),
    Time(i64),
}

/// One RFC 4180 record, quoted where needed, ending in CRLF.
pub fn csv_line(cells: &[Cell]) -> String {
    let mut w = csv::WriterBuilder::new().terminator(csv::Terminator::CRLF).from_writer(Vec::new());
    let texts: Vec<Cow<str>> = cells
        .iter()
        .map(|c| match c {
            Cell::Text(t) => escape_formula(t.unwrap_or("")),
            Cell::Int(n) => Cow::Owned(n.to_string()),
            Cell::Time(ms) => Cow::Owned(time::rfc3339(*ms)),
        })
        .collect();
    // Writing to a Vec cannot fail.
    let _ = w.write_record(texts.iter().map(|t| t.as_bytes()));
    String::from_utf8(w.into_inner().unwrap_or_default()).unwrap_or_default()
}

/// The header row of an export.
pub fn header_line(columns: &[&str]) -> String {
    csv_line(&columns.iter().map(|c| Cell::Text(Some(c))).collect::<Vec<_>>())
}

/// How an export column is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Stored text, formula-escaped.
    Text,
    /// An integer (amounts in minor units, counts).
    Int,
    /// Unix milliseconds, written as RFC 3339.
    Time,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ExportColumn {
    pub name: &'static str,
    pub kind: Kind,
}

const fn text(name: &'static str) -> ExportColumn {
    ExportColumn { name, kind: Kind::Text }
}
const fn int(name: &'static str) -> ExportColumn {
    ExportColumn { name, kind: Kind::Int }
}
const fn at(name: &'static str) -> ExportColumn {
    ExportColumn { name, kind: Kind::Time }
}

/// One exportable table: `GET /v1/{file}.csv` writes `columns` of `table`, oldest row first.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ExportTable {
    pub file: &'static str,
    pub table: &'static str,
    pub columns: &'static [ExportColumn],
}

/// Every export. The customers file starts with the import's columns, so it imports back as it is.
pub const EXPORTS: [ExportTable; 4] = [
    ExportTable {
        file: "customers",
        table: "customers",
        columns: &[text("key"), text("email"), text("name"), text("surname"), text("referral_code"), text("referred_by"), at("created_at"), int("referrals_count"), int("balance"), at("updated_at"), text("stripe_customer_id")],
    },
    ExportTable {
        file: "transactions",
        table: "transactions",
        columns: &[text("key"), text("customer_key"), text("referrer_key"), int("amount"), text("currency"), text("product_id"), int("reward"), int("friend_reward"), int("refunded"), at("created_at")],
    },
    ExportTable {
        file: "rewards",
        table: "rewards",
        columns: &[
            text("id"), text("customer_key"), text("kind"), text("referred_key"), int("amount"), text("currency"), text("status"), text("flags"),
            text("transaction_key"), at("available_at"), at("created_at"), at("decided_at"), text("reason"), text("payout_id"),
        ],
    },
    ExportTable {
        file: "payouts",
        table: "payouts",
        columns: &[text("id"), text("customer_key"), int("amount"), text("currency"), text("reference"), text("note"), text("reward_ids"), at("created_at"), text("method")],
    },
];

/// The export a file name (`customers`, without `.csv`) names.
pub fn export_table(file: &str) -> Option<&'static ExportTable> {
    EXPORTS.iter().find(|t| t.file == file)
}

impl ExportTable {
    pub fn header(&self) -> String {
        header_line(&self.columns.iter().map(|c| c.name).collect::<Vec<_>>())
    }

    /// One stored row (a JSON object as D1 returns it) as a CSV line; a missing or null value is an empty cell.
    pub fn line(&self, row: &serde_json::Value) -> String {
        let cells: Vec<Cell> = self
            .columns
            .iter()
            .map(|c| {
                let v = &row[c.name];
                match (c.kind, v.as_i64().or_else(|| v.as_f64().map(|f| f as i64))) {
                    (Kind::Int, Some(n)) => Cell::Int(n),
                    (Kind::Time, Some(ms)) => Cell::Time(ms),
                    _ => Cell::Text(v.as_str()),
                }
            })
            .collect();
        csv_line(&cells)
    }
}

#[cfg(test)]
mod tests;
