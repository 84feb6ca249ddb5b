//! Rewards in D1. Status changes are compare-and-set: a write names itself with
//! a `decision` token and a guard rolls the whole batch back if another write
//! got there first, so a reward is approved, paid or reversed exactly once.

use super::model::{RewardRow, COLUMNS};
use crate::db::{self, Stmt};
use crate::error::ApiResult;
use crate::outbox::store::{CREDITS, CREDIT_JOINS, SENDS};
use crate::sql;
use edgeref_shared::lifecycle::RewardStatus;
use serde::Deserialize;
use worker::D1Database;

pub fn insert(db: &D1Database, program_id: &str, r: &RewardRow) -> Stmt {
    sql!(
        db,
        "INSERT INTO rewards (id, program_id, customer_key, kind, amount, currency, status, flags, transaction_key, available_at, created_at, decided_at, referred_key, milestone)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)",
        &r.id,
        program_id,
        &r.customer_key,
        r.kind.as_str(),
        r.amount,
        &r.currency,
        r.status,
        &r.flags,
        r.transaction_key.as_ref(),
        r.available_at,
        r.created_at,
        r.decided_at,
        r.referred_key.as_ref(),
        r.milestone
    )
}

pub async fn get(db: &D1Database, program_id: &str, id: &str) -> ApiResult<Option<RewardRow>> {
    db::first(sql!(db, &format!("SELECT {COLUMNS} FROM rewards WHERE program_id = ?1 AND id = ?2"), program_id, id)).await
}

/// The rewards a sale earned (the referrer's and the friend's).
pub async fn of_transaction(db: &D1Database, program_id: &str, transaction_key: &str) -> ApiResult<Vec<RewardRow>> {
    db::all(sql!(db, &format!("SELECT {COLUMNS} FROM rewards WHERE program_id = ?1 AND transaction_key = ?2 ORDER BY rowid"), program_id, transaction_key)).await
}

/// A customer's approved rewards, oldest first (what a payout covers).
pub async fn approved_of(db: &D1Database, program_id: &str, customer_key: &str) -> ApiResult<Vec<RewardRow>> {
    db::all(sql!(db, &format!("SELECT {COLUMNS} FROM rewards WHERE program_id = ?1 AND customer_key = ?2 AND status = 'approved' ORDER BY created_at, rowid"), program_id, customer_key))
        .await
}

/// How many referrer rewards a customer has earned since `since` (for the daily limit).
pub async fn earned_since(db: &D1Database, program_id: &str, customer_key: &str, since: i64) -> ApiResult<u32> {
    #[derive(Deserialize)]
    struct Count {
        n: u32,
    }
    let row: Option<Count> =
        db::first(sql!(db, "SELECT COUNT(*) AS n FROM rewards WHERE program_id = ?1 AND customer_key = ?2 AND kind = 'referrer' AND created_at >= ?3", program_id, customer_key, since)).await?;
    Ok(row.map_or(0, |c| c.n))
}

/// Which rewards to list.
pub struct Filter<'a> {
    pub status: Option<RewardStatus>,
    pub customer: Option<&'a str>,
    pub flagged: Option<bool>,
    pub after: i64,
    pub limit: i64,
}

/// One page (plus one row, to tell whether another follows) in creation order, with each row's cursor.
pub async fn page(db: &D1Database, program_id: &str, f: &Filter<'_>) -> ApiResult<Vec<(i64, RewardRow)>> {
    #[derive(Deserialize)]
    struct Row {
        seq: i64,
        #[serde(flatten)]
        reward: RewardRow,
    }
    let flagged = f.flagged.map(i64::from);
    let rows: Vec<Row> = db::all(sql!(
        db,
        &format!(
            "SELECT rowid AS seq, {COLUMNS} FROM rewards WHERE program_id = ?1 AND rowid > ?2 AND (?3 IS NULL OR status = ?3)
             AND (?4 IS NULL OR customer_key = ?4) AND (?5 IS NULL OR (flags <> '[]') = ?5) ORDER BY rowid LIMIT ?6"
        ),
        program_id,
        f.after,
        f.status,
        f.customer,
        flagged,
        f.limit + 1
    ))
    .await?;
    Ok(rows.into_iter().map(|r| (r.seq, r.reward)).collect())
}

/// Moves one reward from `from` to `to`, marking the write with `token`, and
/// guards that it did (a concurrent decision makes the batch roll back).
pub fn decide(db: &D1Database, program_id: &str, id: &str, from: RewardStatus, to: RewardStatus, reason: Option<&str>, token: &str, now: i64) -> Vec<Stmt> {
    vec![
        sql!(
            db,
            "UPDATE rewards SET status = ?4, reason = COALESCE(?5, reason), decided_at = ?6, decision = ?7 WHERE program_id = ?1 AND id = ?2 AND status = ?3",
            program_id,
            id,
            from,
            to,
            reason,
            now,
            token
        ),
        db::guard(db, "EXISTS (SELECT 1 FROM rewards WHERE id = ?1 AND decision = ?2)", &[id.into(), token.into()]),
    ]
}

/// Takes `by` off a reward's amount (a refund's share), ending it as `reversed`
/// when nothing is left; guards that it still had `amount` in status `status`.
pub fn reduce(db: &D1Database, r: &RewardRow, by: i64, reason: &str, now: i64) -> Vec<Stmt> {
    let left = r.amount - by;
    let status = if left <= 0 && r.status != RewardStatus::Paid { RewardStatus::Reversed } else { r.status };
    vec![
        db::guard(db, "EXISTS (SELECT 1 FROM rewards WHERE id = ?1 AND status = ?2 AND amount = ?3)", &[r.id.as_str().into(), r.status.into(), r.amount.into()]),
        sql!(
            db,
            "UPDATE rewards SET amount = ?2, status = ?3, reason = ?4, decided_at = CASE WHEN ?3 <> status THEN ?5 ELSE decided_at END WHERE id = ?1",
            &r.id,
            left.max(0),
            status,
            reason,
            now
        ),
    ]
}

/// `lifecycle::auto_approves` in SQL (a test runs both over every case): hold over,
/// program on automatic approval (the default), no flags. ?1 token, ?2 now, ?3 limit.
const CLAIM_DUE: &str = "UPDATE rewards SET status = 'approved', decided_at = ?2, decision = ?1 WHERE rowid IN (
   SELECT r.rowid FROM rewards r JOIN programs p ON p.id = r.program_id
   WHERE r.status = 'pending' AND r.available_at <= ?2 AND r.flags = '[]'
     AND COALESCE(json_extract(p.rewards, '$.approval'), 'auto') = 'auto'
   ORDER BY r.available_at LIMIT ?3)";

/// Marks the due rewards that the scheduled run approves with `token`, at most `limit` of them.
pub fn claim_due(db: &D1Database, token: &str, now: i64, limit: i64) -> Stmt {
    sql!(db, CLAIM_DUE, token, now, limit)
}

/// How many rewards a write marked with `token` changed.
pub async fn count_decided(db: &D1Database, token: &str) -> ApiResult<i64> {
    #[derive(Deserialize)]
    struct Count {
        n: i64,
    }
    let row: Option<Count> = db::first(sql!(db, "SELECT COUNT(*) AS n FROM rewards WHERE decision = ?1", token)).await?;
    Ok(row.map_or(0, |c| c.n))
}

/// SQL for a reward's API object (`RewardRow::view`), over the alias `r`.
const VIEW_SQL: &str = "json_object('id', r.id, 'customer', json_object('key', r.customer_key),
    'referred_customer', CASE WHEN r.referred_key IS NULL THEN NULL ELSE json_object('key', r.referred_key) END, 'kind', r.kind, 'amount', r.amount,
    'currency', r.currency, 'status', r.status, 'flags', json(r.flags), 'transaction_key', r.transaction_key,
    'available_at', TIME(r.available_at), 'created_at', TIME(r.created_at), 'decided_at', TIME(r.decided_at),
    'reason', r.reason, 'payout_id', r.payout_id,
    'milestone', CASE WHEN r.milestone IS NULL THEN NULL ELSE json_object('friends', r.milestone) END)";

/// `time::rfc3339` in SQL: whole seconds by strftime, milliseconds by integer arithmetic.
fn rfc3339_sql(column: &str) -> String {
    format!("CASE WHEN {column} IS NULL THEN NULL ELSE strftime('%Y-%m-%dT%H:%M:%S', {column} / 1000, 'unixepoch') || '.' || printf('%03d', {column} % 1000) || 'Z' END")
}

fn view_sql() -> String {
    ["r.available_at", "r.created_at", "r.decided_at"].iter().fold(VIEW_SQL.to_owned(), |sql, c| sql.replacen(&format!("TIME({c})"), &rfc3339_sql(c), 1))
}

/// For every reward marked with `token` (just approved): its ledger entry, its
/// balance change and its `reward.approved` event with deliveries, set-based so
/// a scheduled run approves thousands in a handful of statements.
pub fn approved_effects(db: &D1Database, token: &str, now: i64, timestamp: &str) -> Vec<Stmt> {
    let event_id = "'msg_' || substr(r.id, 5) || 'a'";
    vec![
        sql!(
            db,
            "INSERT INTO ledger (program_id, customer_key, amount, kind, transaction_key, note, created_at)
             SELECT r.program_id, r.customer_key, r.amount, 'reward', r.transaction_key, 'reward approved', ?2 FROM rewards r WHERE r.decision = ?1",
            token,
            now
        ),
        sql!(
            db,
            "UPDATE customers SET balance = balance + (SELECT SUM(r.amount) FROM rewards r WHERE r.decision = ?1 AND r.program_id = customers.program_id AND r.customer_key = customers.key),
               updated_at = ?2
             WHERE EXISTS (SELECT 1 FROM rewards r WHERE r.decision = ?1 AND r.program_id = customers.program_id AND r.customer_key = customers.key)",
            token,
            now
        ),
        sql!(
            db,
            &format!(
                "INSERT INTO events (id, program_id, type, payload, created_at)
                 SELECT {event_id}, r.program_id, 'reward.approved',
                   json_object('id', {event_id}, 'type', 'reward.approved', 'timestamp', ?3, 'program_id', r.program_id, 'data', json({view})), ?2
                 FROM rewards r WHERE r.decision = ?1",
                view = view_sql()
            ),
            token,
            now,
            timestamp
        ),
    ]
    .into_iter()
    .chain(approved_deliveries(db, token, now))
    .collect()
}

/// The deliveries of the `reward.approved` events `approved_effects` writes: webhooks, the
/// `reward_approved` e-mail and Stripe credit, each where the program has it.
fn approved_deliveries(db: &D1Database, token: &str, now: i64) -> Vec<Stmt> {
    let event_id = "'msg_' || substr(r.id, 5) || 'a'";
    vec![
        sql!(
            db,
            &format!(
                "INSERT INTO deliveries (id, program_id, event_id, webhook_id, status, attempts, next_attempt_at, created_at, updated_at)
                 SELECT {event_id} || '.' || w.id, r.program_id, {event_id}, w.id, 'pending', 0, ?2, ?2, ?2
                 FROM rewards r JOIN webhooks w ON w.program_id = r.program_id AND w.is_active = 1
                   AND EXISTS (SELECT 1 FROM json_each(w.events) WHERE value = 'reward.approved')
                 WHERE r.decision = ?1"
            ),
            token,
            now
        ),
        // `reward_approved` to each rewarded customer, where the program sends it (`outbox::store::SENDS`).
        sql!(
            db,
            &format!(
                "INSERT INTO deliveries (id, program_id, event_id, integration, status, attempts, next_attempt_at, created_at, updated_at)
                 SELECT {event_id} || '.email:reward_approved', r.program_id, {event_id}, 'email:reward_approved', 'pending', 0, ?2, ?2, ?2
                 FROM rewards r JOIN programs p ON p.id = r.program_id JOIN (SELECT 'reward_approved' AS value) m
                 WHERE r.decision = ?1 AND r.amount > 0 AND {SENDS}"
            ),
            token,
            now
        ),
        // A Stripe credit for each referrer reward the program pays that way (`outbox::store::CREDITS`).
        sql!(db, &credit_fan_out_sql(), token, now),
    ]
}

/// One `stripe_credit` delivery per reward marked with ?1 that Stripe credit pays (?2 now).
fn credit_fan_out_sql() -> String {
    let event_id = "'msg_' || substr(r.id, 5) || 'a'";
    format!(
        "INSERT INTO deliveries (id, program_id, event_id, integration, status, attempts, next_attempt_at, created_at, updated_at)
         SELECT {event_id} || '.stripe_credit', r.program_id, {event_id}, 'stripe_credit', 'pending', 0, ?2, ?2, ?2
         FROM rewards r {CREDIT_JOINS} WHERE r.decision = ?1 AND {CREDITS}"
    )
}

/// The event ids `approved_effects` wrote for `token`.
pub async fn approved_event_ids(db: &D1Database, token: &str) -> ApiResult<Vec<String>> {
    #[derive(Deserialize)]
    struct Row {
        id: String,
    }
    let rows: Vec<Row> = db::all(sql!(db, "SELECT 'msg_' || substr(id, 5) || 'a' AS id FROM rewards WHERE decision = ?1", token)).await?;
    Ok(rows.into_iter().map(|r| r.id).collect())
}

/// Marks rewards paid by a payout; guarded so that each was still approved.
pub fn pay(db: &D1Database, program_id: &str, ids_json: &str, payout_id: &str, now: i64) -> Vec<Stmt> {
    vec![
        sql!(
            db,
            "UPDATE rewards SET status = 'paid', payout_id = ?3, decided_at = ?4, decision = ?3
             WHERE program_id = ?1 AND status = 'approved' AND id IN (SELECT value FROM json_each(?2))",
            program_id,
            ids_json,
            payout_id,
            now
        ),
        db::guard(db, "NOT EXISTS (SELECT 1 FROM json_each(?1) j LEFT JOIN rewards r ON r.id = j.value AND r.payout_id = ?2 WHERE r.id IS NULL)", &[ids_json.into(), payout_id.into()]),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;
    use edgeref_shared::lifecycle::auto_approves;
    use edgeref_shared::reward::{Approval, RewardRules};
    use edgeref_shared::time;

    #[test]
    fn the_sql_view_formats_times_like_rfc3339_with_milliseconds() {
        let sql = view_sql();
        assert!(!sql.contains("TIME("), "every time column is formatted: {sql}");
        assert_eq!(sql.matches("strftime('%Y-%m-%dT%H:%M:%S'").count(), 3);
        let conn = crate::db::sqlite_with_schema();
        for ms in [0, 1, 999, 1_000, 86_399_999, 951_782_400_000, 1_614_265_330_123, 4_102_444_799_999] {
            let formatted: String = conn.query_row(&format!("SELECT {}", rfc3339_sql("?1")), [ms], |row| row.get(0)).unwrap();
            assert_eq!(formatted, time::rfc3339(ms), "{ms}");
        }
    }

    #[test]
    fn stripe_credit_fans_out_only_for_linked_referrers_of_crediting_programs_with_a_key() {
        let conn = crate::db::sqlite_with_schema();
        let credit = r#"{"fulfilment":{"referrer":"stripe_credit"}}"#;
        for (program, rules) in [("prg_credit", credit), ("prg_manual", r#"{"fulfilment":{"referrer":"manual"}}"#), ("prg_default", "{}"), ("prg_nokey", credit)] {
            conn.execute("INSERT INTO programs (id, public_id, name, website_url, tracking, rewards, created_at) VALUES (?1, ?1, 'p', 'https://x.example', '{}', ?2, 0)", [program, rules]).unwrap();
            if program != "prg_nokey" {
                conn.execute("INSERT INTO integrations (program_id, name, settings, secret, created_at, updated_at) VALUES (?1, 'stripe_api', '{}', 'sealed', 0, 0)", [program]).unwrap();
            }
            for (key, stripe) in [("linked", Some("cus_1")), ("unlinked", None)] {
                conn.execute(
                    "INSERT INTO customers (program_id, key, email, email_norm, referral_code, balance, created_at, updated_at, stripe_customer_id) VALUES (?1, ?2, ?2, ?2, ?1 || ?2, 0, 0, 0, ?3)",
                    rusqlite::params![program, key, stripe],
                )
                .unwrap();
                for (kind, amount) in [("referrer", 500), ("friend", 500), ("referrer", 0)] {
                    conn.execute(
                        "INSERT INTO rewards (id, program_id, customer_key, kind, amount, currency, status, flags, available_at, created_at, decision)
                         VALUES ('rwd_' || ?1 || ?2 || ?3 || ?4, ?1, ?2, ?3, ?4, 'EUR', 'approved', '[]', 0, 0, 'dec_1')",
                        rusqlite::params![program, key, kind, amount],
                    )
                    .unwrap();
                }
            }
        }
        conn.execute(&credit_fan_out_sql(), rusqlite::params!["dec_1", 1]).unwrap();
        let mut stmt = conn.prepare("SELECT id, event_id, integration FROM deliveries").unwrap();
        let rows: Vec<(String, String, String)> = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?))).unwrap().map(Result::unwrap).collect();
        let event = "msg_prg_creditlinkedreferrer500a";
        assert_eq!(rows, [(format!("{event}.stripe_credit"), event.to_owned(), "stripe_credit".to_owned())], "a linked referrer's reward of a crediting program with a key, only");
    }

    #[test]
    fn the_scheduled_run_claims_exactly_the_rewards_lifecycle_auto_approves() {
        let conn = crate::db::sqlite_with_schema();
        let (now, token) = (10 * time::DAY_MS, "dec_test");
        // A program that names no approval gets the default.
        let programs = [("prg_auto", r#"{"approval":"auto"}"#, Approval::Auto), ("prg_manual", r#"{"approval":"manual"}"#, Approval::Manual), ("prg_default", "{}", RewardRules::default().approval)];
        let mut expected = Vec::new();
        for (program, rules, approval) in programs {
            conn.execute("INSERT INTO programs (id, public_id, name, website_url, tracking, rewards, created_at) VALUES (?1, ?1, 'p', 'https://x.example', '{}', ?2, 0)", [program, rules]).unwrap();
            for status in RewardStatus::ALL {
                for available_at in [now - 1, now, now + 1] {
                    for flags in ["[]", r#"["velocity"]"#] {
                        let id = format!("rwd_{}", expected.len());
                        conn.execute(
                            "INSERT INTO rewards (id, program_id, customer_key, kind, amount, currency, status, flags, available_at, created_at) VALUES (?1, ?2, 'ann', 'referrer', 100, 'USD', ?3, ?4, ?5, 0)",
                            rusqlite::params![id, program, status.as_str(), flags, available_at],
                        )
                        .unwrap();
                        expected.push((id, auto_approves(status, available_at, now, approval, flags != "[]")));
                    }
                }
            }
        }
        conn.execute(CLAIM_DUE, rusqlite::params![token, now, 10_000]).unwrap();
        for (id, approves) in &expected {
            let decision: Option<String> = conn.query_row("SELECT decision FROM rewards WHERE id = ?1", [id], |row| row.get(0)).unwrap();
            assert_eq!(decision.as_deref() == Some(token), *approves, "{id}");
        }
        let claimed = expected.iter().filter(|(_, approves)| *approves).count();
        assert_eq!(claimed, 4, "pending, due (two times), unflagged, in the two programs that approve automatically");
    }
}
