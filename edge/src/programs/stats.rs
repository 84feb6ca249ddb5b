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
    let since = first_day * DAY_MS;
    let date = |day: i64| time::rfc3339(day * DAY_MS)[..10].to_owned();
    // Visits from the trigger-kept daily counters (the queue writes visits a
    // moment after the beacon); referred signups; sales credited to a referrer
    // (conversions: not fully refunded; revenue: net of refunds).
    let rows: Vec<Day> = db::all(sql!(
        db,
        "SELECT date, SUM(v) AS visits, SUM(s) AS signups, SUM(c) AS conversions, SUM(r) AS revenue FROM (
           SELECT day AS date, SUM(visits) AS v, 0 AS s, 0 AS c, 0 AS r
             FROM visit_counts WHERE program_id = ?1 AND day >= ?3 GROUP BY day
           UNION ALL
           SELECT strftime('%Y-%m-%d', created_at / 1000, 'unixepoch'), 0, COUNT(*), 0, 0
             FROM customers WHERE program_id = ?1 AND created_at >= ?2 AND referred_by IS NOT NULL GROUP BY 1
           UNION ALL
           SELECT strftime('%Y-%m-%d', created_at / 1000, 'unixepoch'), 0, 0, SUM(refunded < amount), SUM(amount - refunded)
             FROM transactions WHERE program_id = ?1 AND created_at >= ?2 AND referrer_key IS NOT NULL GROUP BY 1
         ) GROUP BY date",
        program_id,
        since,
        &date(first_day)
    ))
    .await?;
    #[derive(Deserialize)]
    struct Rewards {
        rewards: i64,
    }
    // Rewards earned in the window (referrer and friend), less what refunds and deletions took back.
    let rewards = db::first::<Rewards>(sql!(
        db,
        "SELECT COALESCE(SUM(amount), 0) AS rewards FROM ledger WHERE program_id = ?1 AND created_at >= ?2 AND kind IN ('reward', 'reversal', 'refund')",
        program_id,
        since
    ))
    .await?
    .map_or(0, |r| r.rewards);

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
                "rewards": rewards,
            },
            "daily": daily,
        }),
    )
}
