//! What `make bench` measures inside the Worker, compiled only with the `bench`
//! feature (`make bench` builds it; `make build`, which deployments use, does not),
//! and read only with `BENCH=on`: D1 statements per request (an `x-d1-queries`
//! header) and its largest batch (`x-d1-batch`), and at `GET /__bench/ingest` how hard D1 works for visits (rows written
//! and the time D1 was busy with at least one visit write, overlapping writes
//! counted once, the same measure for both paths) and what the last scheduled run cost.

use std::cell::Cell;
use std::future::Future;

thread_local! {
    /// Statements prepared while handling the current request.
    static PREPARED: Cell<u32> = const { Cell::new(0) };
    /// The largest D1 batch sent while handling the current request (a change's one transaction).
    static LARGEST_BATCH: Cell<usize> = const { Cell::new(0) };
    static ROWS: Cell<u64> = const { Cell::new(0) };
    static BUSY_MS: Cell<f64> = const { Cell::new(0.0) };
    static IN_FLIGHT: Cell<u32> = const { Cell::new(0) };
    static SINCE: Cell<f64> = const { Cell::new(0.0) };
    /// The last scheduled run's reward approval: rewards approved, D1 statements, milliseconds.
    static SCHEDULED: Cell<(i64, u32, i64)> = const { Cell::new((0, 0, 0)) };
}

/// Counts one prepared statement (`db::prepare`).
pub fn statement_prepared() {
    PREPARED.set(PREPARED.get() + 1);
}

/// Notes a batch of `n` statements.
pub fn batch_sent(n: usize) {
    LARGEST_BATCH.set(LARGEST_BATCH.get().max(n));
}

/// Resets the statement count and returns what the previous request (or run) used.
pub fn take_statements() -> u32 {
    PREPARED.replace(0)
}

/// With `BENCH=on`, the response says how many statements its request prepared.
pub fn with_statements(mut response: worker::Response, on: bool) -> worker::Result<worker::Response> {
    if on {
        response.headers_mut().set("x-d1-queries", &take_statements().to_string())?;
        response.headers_mut().set("x-d1-batch", &LARGEST_BATCH.replace(0).to_string())?;
    }
    Ok(response)
}

/// Records what the last scheduled run's approval cost (`make bench` reads it).
pub fn scheduled_run(approved: i64, statements: u32, ms: i64) {
    SCHEDULED.set((approved, statements, ms));
}

/// Awaits a visit write of `rows` rows, adding its time to the busy time.
pub async fn timed<T, E>(rows: usize, write: impl Future<Output = Result<T, E>>) -> Result<T, E> {
    // Time only advances across I/O in a Worker, which is exactly what a D1 write is.
    if IN_FLIGHT.replace(IN_FLIGHT.get() + 1) == 0 {
        SINCE.set(worker::Date::now().as_millis() as f64);
    }
    let result = write.await;
    if IN_FLIGHT.replace(IN_FLIGHT.get() - 1) == 1 {
        BUSY_MS.set(BUSY_MS.get() + worker::Date::now().as_millis() as f64 - SINCE.get());
    }
    if result.is_ok() {
        ROWS.set(ROWS.get() + rows as u64);
    }
    result
}

/// `{"rows", "busy_ms", "scheduled", "wasm_memory_bytes"}` since the isolate started
/// (the module's linear memory: it only grows, so it is the peak; `make bench` reads it around an export).
pub fn snapshot() -> serde_json::Value {
    let (approved, statements, ms) = SCHEDULED.get();
    serde_json::json!({
        "rows": ROWS.get(), "busy_ms": BUSY_MS.get(), "scheduled": {"approved": approved, "statements": statements, "ms": ms},
        "wasm_memory_bytes": wasm_memory_bytes(),
    })
}

/// Renders `n` messages (a welcome, text and HTML, default template, a new name each time):
/// `make bench` times this against `n = 0` from outside (time stands still inside a Worker).
pub fn render(n: u32) -> serde_json::Value {
    use edgeref_shared::email::{self, Message, Placeholder as P, Values};
    let m = Message::ReferrerWelcome;
    let mut bytes = 0;
    for i in 0..n {
        let values = Values::new()
            .with(P::Name, format!("Ann <{i}>"))
            .with(P::ProgramName, "Bench & Co")
            .with(P::ReferralLink, format!("https://shop.example/?ref=ann{i}"))
            .with(P::PortalLink, "https://edge.example/portal/p1");
        let r = email::render(m, m.default_subject(), m.default_body(), &values, Some("https://edge.example/u/t")).expect("defaults render");
        bytes += r.text.len() + r.html.len();
    }
    serde_json::json!({"rendered": n, "bytes": bytes})
}

#[cfg(target_arch = "wasm32")]
fn wasm_memory_bytes() -> u64 {
    core::arch::wasm32::memory_size(0) as u64 * 65_536
}

#[cfg(not(target_arch = "wasm32"))]
fn wasm_memory_bytes() -> u64 {
    0
}
