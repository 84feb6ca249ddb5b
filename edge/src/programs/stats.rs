//! A program's results for the dashboard: `GET /v1/programs/{id}/stats?days=30`.
//! Counts referred activity only (what the program caused), per UTC day.

use crate::error::{ApiError, ApiResult};
use crate::http::{json, query_param};
use crate::{db, ids, sql};
use edgeref_shared::time;
use serde::{Deserialize, Serialize};
use serde_json::json;
use worker::{D1Database, Request, Response};

const DAY_MS: i64 = 86_400_000;

#[derive(Debug, Default, Clone, Serialize, Deserialize)]
struct Day {
    date: String,
    visits: i64,
    signups: i64,
    conversions: i64,
    revenue: i64,
    #[serde(skip_serializing)]
    rewards: i64,
}

/// `?days=`: 1 to 365, 30 when absent. The window ends today (UTC) and includes it.
fn days_param(req: &Request) -> ApiResult<i64> {
    match query_param(req, "days") {
        None => Ok(30),
        Some(v) => v.parse::<i64>().ok().filter(|n| (1..=365).contains(n)).ok_or_else(|| ApiError::invalid("days", "must be an integer from 1 to 365")),
    }
}

pub async fn get(req: &Request, db: &D1Database, program_id: &str) -> ApiResult<Response> {
    let days = days_param(req)?;
    let first_day = ids::now_ms().div_euclid(DAY_MS) - days + 1;
    let date = |day: i64| time::rfc3339(day * DAY_MS)[..10].to_owned();
    // One row per day from the trigger-kept counters (edge/migrations/0006):
    // referred activity only; conversions are sales not fully refunded, revenue
    // is net of refunds, rewards include what refunds and deletions took back.
    let rows: Vec<Day> = db::all(sql!(
        db,
        "SELECT day AS date, visits, signups, conversions, revenue, rewards FROM program_days WHERE program_id = ?1 AND day >= ?2",
        program_id,
        &date(first_day)
    ))
    .await?;

    let daily: Vec<Day> = (first_day..first_day + days)
        .map(|day| {
            let date = date(day);
            rows.iter().find(|r| r.date == date).cloned().unwrap_or(Day { date, ..Day::default() })
        })
        .collect();
    let total = |f: fn(&Day) -> i64| daily.iter().map(f).sum::<i64>();
    json(
        200,
        &json!({
            "totals": {
                "visits": total(|d| d.visits),
                "signups": total(|d| d.signups),
                "conversions": total(|d| d.conversions),
                "revenue": total(|d| d.revenue),
                "rewards": total(|d| d.rewards),
            },
            "daily": daily,
        }),
    )
}
