//! A program's results for the dashboard: `GET /v1/programs/{id}/stats?days=30`.
//! Counts referred activity only (what the program caused), per UTC day.

use super::model::{Day, Program};
use super::store;
use crate::context::Cx;
use crate::error::{ApiError, ApiResult};
use crate::http::{json, query_param};
use crate::ids;
use edgeref_shared::time::{self, DAY_MS};
use serde_json::json;
use worker::{Request, Response};


/// `?days=`: 1 to 365, 30 when absent. The window ends today (UTC) and includes it.
fn days_param(req: &Request) -> ApiResult<i64> {
    match query_param(req, "days") {
        None => Ok(30),
        Some(v) => v.parse::<i64>().ok().filter(|n| (1..=365).contains(n)).ok_or_else(|| ApiError::invalid("days", "must be an integer from 1 to 365")),
    }
}

pub async fn get(req: &Request, cx: &Cx, program: &Program) -> ApiResult<Response> {
    let days = days_param(req)?;
    let first_day = ids::now_ms().div_euclid(DAY_MS) - days + 1;
    // Referred activity only; conversions are sales not fully refunded, revenue
    // is net of refunds, rewards include what refunds and deletions took back.
    let rows = store::days_since(&cx.db, &program.id, &date(first_day)).await?;
    json(200, &summary(first_day, days, &rows))
}

fn date(day: i64) -> String {
    time::rfc3339(day * DAY_MS)[..10].to_owned()
}

/// Every day of the window (days without activity as zeros) and the totals.
fn summary(first_day: i64, days: i64, rows: &[Day]) -> serde_json::Value {
    let daily: Vec<Day> = (first_day..first_day + days)
        .map(|day| {
            let date = date(day);
            rows.iter().find(|r| r.date == date).cloned().unwrap_or(Day { date, ..Day::default() })
        })
        .collect();
    let total = |f: fn(&Day) -> i64| daily.iter().map(f).sum::<i64>();
    json!({
        "totals": {
            "visits": total(|d| d.visits),
            "signups": total(|d| d.signups),
            "conversions": total(|d| d.conversions),
            "revenue": total(|d| d.revenue),
            "rewards": total(|d| d.rewards),
        },
        "daily": daily,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_window_fills_quiet_days_with_zeros_and_sums_every_counter() {
        let day = |date: &str, visits, rewards| Day { date: date.into(), visits, signups: 1, conversions: 0, revenue: 100, rewards };
        let rows = [day("1970-01-02", 5, 10), day("1970-01-04", 7, -3), day("1969-12-31", 99, 99)];
        let s = summary(0, 3, &rows);
        let dates: Vec<&str> = s["daily"].as_array().unwrap().iter().map(|d| d["date"].as_str().unwrap()).collect();
        assert_eq!(dates, ["1970-01-01", "1970-01-02", "1970-01-03"]);
        assert_eq!(s["totals"], json!({"visits": 5, "signups": 1, "conversions": 0, "revenue": 100, "rewards": 10}));
        assert!(s["daily"][1].get("rewards").is_none(), "rewards show in the totals only");
    }
}
