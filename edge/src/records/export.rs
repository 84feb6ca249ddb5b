//! `GET /v1/{customers,transactions,rewards,payouts}.csv`: the table read in
//! keyset pages (rowid order) and written page by page into a streamed body,
//! so memory stays flat however many rows there are.

use super::store;
use crate::context::Cx;
use crate::audit;
use crate::error::{ApiError, ApiResult};
use crate::programs::model::Program;
use edgeref_shared::records::{export_table, ExportTable};
use futures_util::stream;
use serde_json::{json, Value};
use worker::{D1Database, Response};

/// Rows per D1 read (and per chunk of the body): a Worker may make 1,000 D1 queries a
/// request on the Paid plan (50 on Free), so 1,000,000 rows take 200 reads (Free: 250,000 rows).
const PAGE: i64 = 5_000;

struct Pages {
    db: D1Database,
    table: &'static ExportTable,
    program_id: String,
    /// The first page, read before the response started (so a failing D1 is a 503, not a cut file).
    first: Option<Vec<Value>>,
    after: i64,
    done: bool,
}

impl Pages {
    /// The next chunk of the body: one page of rows as CSV lines.
    async fn next(mut self) -> Option<(worker::Result<Vec<u8>>, Self)> {
        if self.done {
            return None;
        }
        let rows = match self.first.take() {
            Some(rows) => rows,
            None => match store::export_page(&self.db, self.table, &self.program_id, self.after, PAGE).await {
                Ok(rows) => rows,
                // Cut the body: a download that fails mid-way must not look complete.
                Err(e) => return Some((Err(worker::Error::RustError(e.message)), Self { done: true, ..self })),
            },
        };
        self.done = (rows.len() as i64) < PAGE;
        self.after = rows.last().and_then(|r| r["rowid"].as_i64()).unwrap_or(self.after);
        let mut chunk = String::with_capacity(rows.len() * 120);
        for row in &rows {
            chunk.push_str(&self.table.line(row));
        }
        Some((Ok(chunk.into_bytes()), self))
    }
}

/// The streamed CSV of `file` (`customers`, …) for the program.
pub async fn respond(cx: &Cx, program: &Program, file: &str) -> ApiResult<Response> {
    let table = export_table(file).ok_or_else(|| ApiError::not_found("export"))?;
    let db = cx.env.d1("DB").map_err(|e| ApiError::unavailable("d1 binding", e))?;
    let first = store::export_page(&db, table, &program.id, 0, PAGE).await?;
    // Who downloaded what: an export is a read, but one that can carry every customer away.
    audit::record_read(cx, &program.id, "export.downloaded", ("export", file), audit::created(&json!({"file": format!("{file}.csv")}))).await?;
    let pages = Pages { db, table, program_id: program.id.clone(), first: Some(first), after: 0, done: false };
    let header = stream::once(async move { worker::Result::Ok(table.header().into_bytes()) });
    let body = futures_util::StreamExt::chain(header, stream::unfold(pages, Pages::next));
    let mut response = Response::from_stream(body)?;
    let headers = response.headers_mut();
    headers.set("content-type", "text/csv; charset=utf-8")?;
    headers.set("content-disposition", &format!("attachment; filename=\"{file}.csv\""))?;
    headers.set("cache-control", "no-store")?;
    Ok(response)
}
