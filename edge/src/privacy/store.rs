//! Privacy in D1: one person's rows for an export, the statements that erase
//! them, and the scheduled run's retention (visit roll-up, delivered outbox rows).

use crate::db::{self, Stmt};
use crate::error::ApiResult;
use crate::sql;
use edgeref_shared::privacy::DELIVERED_OUTBOX_DAYS;
use edgeref_shared::time::DAY_MS;
use serde::Deserialize;
use serde_json::Value;
use worker::D1Database;

/// The export's sections after the customer and their referrals: each query takes
/// ?1 the program, ?2 the customer's key, ?3 their address lower-cased (NULL once
/// erased, which matches nothing). Columns naming someone else (a friend's key,
/// an invitee's address) are left out.
const SECTIONS: &[(&str, &str)] = &[
    ("rewards", "SELECT id, kind, amount, currency, status, flags, transaction_key, available_at, created_at, decided_at, reason, payout_id FROM rewards WHERE program_id = ?1 AND customer_key = ?2 ORDER BY rowid"),
    ("transactions", "SELECT key, amount, currency, product_id, refunded, friend_reward, created_at FROM transactions WHERE program_id = ?1 AND customer_key = ?2 ORDER BY id"),
    ("ledger", "SELECT amount, kind, transaction_key, note, created_at FROM ledger WHERE program_id = ?1 AND customer_key = ?2 ORDER BY id"),
    ("payouts", "SELECT id, amount, currency, method, reference, note, reward_ids, created_at FROM payouts WHERE program_id = ?1 AND customer_key = ?2 ORDER BY rowid"),
    ("signups", "SELECT code, visit_id, attributed, reason, ip_hash, created_at FROM signups WHERE program_id = ?1 AND customer_key = ?2 ORDER BY id"),
    ("visits", "SELECT day, visits FROM visit_counts WHERE program_id = ?1 AND referrer_key = ?2 AND visits <> 0 ORDER BY day"),
    ("messages", "SELECT d.id, e.type, d.integration, d.status, d.recipient, d.created_at FROM deliveries d JOIN events e ON e.id = d.event_id WHERE d.program_id = ?1 AND lower(d.recipient) = ?3 ORDER BY d.created_at"),
    ("events", "SELECT id, type, created_at FROM events WHERE program_id = ?1 AND instr(lower(payload), ?3) > 0 ORDER BY created_at"),
    ("audit_log", "SELECT id, actor, action, target_type, target_id, diff, created_at FROM audit_log WHERE program_id = ?1 AND ((target_type = 'customer' AND target_id = ?2) OR lower(target_id) = ?3 OR instr(lower(diff), ?3) > 0) ORDER BY id"),
    ("email_suppressions", "SELECT address, reason, created_at FROM email_suppressions WHERE program_id = ?1 AND address = ?3"),
    ("sign_in_codes", "SELECT tries_left, expires_at FROM sign_in_codes WHERE program_id = ?1 AND address = ?3"),
    ("invitations_received", "SELECT address, created_at FROM email_invites WHERE program_id = ?1 AND address = ?3 ORDER BY created_at"),
    ("invitations_sent", "SELECT COUNT(*) AS count, MAX(created_at) AS last_at FROM email_invites WHERE program_id = ?1 AND referrer_key = ?2"),
];

/// Each section's rows as JSON objects, in `SECTIONS` order.
pub async fn sections(db: &D1Database, program_id: &str, key: &str, email: Option<&str>) -> ApiResult<Vec<(&'static str, Vec<Value>)>> {
    let mut out = Vec::with_capacity(SECTIONS.len());
    for (name, query) in SECTIONS {
        // D1 wants exactly as many arguments as the highest `?N` a query names.
        let args = [db::Arg::from(program_id), db::Arg::from(key), db::Arg::from(email)];
        let used = if query.contains("?3") { 3 } else { 2 };
        out.push((*name, db::all::<Value>(db::prepare(db, query, &args[..used])).await?));
    }
    Ok(out)
}

/// Columns that can hold a person's address or name in free text or stored JSON,
/// searched program-wide on an erasure and rewritten redacted.
pub const REDACTABLE: &[(&str, &str)] = &[
    ("events", "payload"),
    ("audit_log", "diff"),
    // Entries about an address (`email.suppressed`) name it as their target.
    ("audit_log", "target_id"),
    ("deliveries", "recipient"),
    ("delivery_attempts", "response_body"),
    ("delivery_attempts", "error"),
    ("dev_mail", "to_address"),
    ("dev_mail", "subject"),
    ("dev_mail", "text_body"),
    ("dev_mail", "html_body"),
    ("dev_mail", "message"),
    ("dev_mail", "headers"),
    ("ledger", "note"),
    ("payouts", "note"),
    ("payouts", "reference"),
    ("rewards", "reason"),
];

#[derive(Deserialize)]
pub struct Found {
    pub row: i64,
    pub text: String,
}

/// Rows of `table.column` in the program holding the address (any case) or one of `names` (a JSON array).
pub async fn holding(db: &D1Database, (table, column): (&str, &str), program_id: &str, email: Option<&str>, names: &str) -> ApiResult<Vec<Found>> {
    let query = format!(
        "SELECT rowid AS row, {column} AS text FROM {table} WHERE program_id = ?1 AND {column} IS NOT NULL
           AND (instr(lower({column}), ?2) > 0 OR EXISTS (SELECT 1 FROM json_each(?3) WHERE instr({column}, value) > 0))"
    );
    db::all(sql!(db, &query, program_id, email, names)).await
}

pub fn rewrite(db: &D1Database, (table, column): (&str, &str), row: i64, text: &str) -> Stmt {
    sql!(db, &format!("UPDATE {table} SET {column} = ?2 WHERE rowid = ?1"), row, text)
}

/// What an erasure removes outright or blanks, besides the redacted text: the customer's
/// address, names and Stripe id; their signups' IP hashes; their free text; the rows
/// that exist only for their address. Amounts, keys and codes stay.
pub fn erase_statements(db: &D1Database, program_id: &str, key: &str, email: Option<&str>, now: i64) -> Vec<Stmt> {
    vec![
        sql!(db, "UPDATE customers SET email = '', email_norm = '', name = NULL, surname = NULL, stripe_customer_id = NULL, updated_at = ?3 WHERE program_id = ?1 AND key = ?2", program_id, key, now),
        sql!(db, "UPDATE signups SET ip_hash = NULL WHERE program_id = ?1 AND customer_key = ?2", program_id, key),
        sql!(db, "UPDATE ledger SET note = NULL WHERE program_id = ?1 AND customer_key = ?2", program_id, key),
        sql!(db, "UPDATE payouts SET note = NULL, reference = NULL WHERE program_id = ?1 AND customer_key = ?2", program_id, key),
        sql!(db, "UPDATE rewards SET reason = NULL WHERE program_id = ?1 AND customer_key = ?2", program_id, key),
        sql!(db, "DELETE FROM email_suppressions WHERE program_id = ?1 AND address = ?2", program_id, email),
        sql!(db, "DELETE FROM sign_in_codes WHERE program_id = ?1 AND address = ?2", program_id, email),
        sql!(db, "DELETE FROM email_invites WHERE program_id = ?1 AND address = ?2", program_id, email),
        // Whole messages to them (`make dev` only): their unsubscribe links encode the address.
        sql!(db, "DELETE FROM dev_mail WHERE program_id = ?1 AND lower(to_address) = ?2", program_id, email),
        sql!(db, "DELETE FROM rate_counters WHERE instr(key, ?1) > 0 AND instr(lower(key), ?2) > 0", program_id, email),
    ]
}

/// Rolls at most `limit` raw visits older than their program's retention (at `now`)
/// into the daily counts: deleted while `visit_rollup` holds a row, so the counting
/// triggers keep them (migration 0015). Oldest first; one batch, one transaction.
pub fn rollup_visits(db: &D1Database, now: i64, limit: i64) -> Vec<Stmt> {
    vec![
        sql!(db, "INSERT INTO visit_rollup (active) VALUES (1)"),
        sql!(
            db,
            "DELETE FROM visits WHERE id IN (
               SELECT v.id FROM visits v JOIN programs p ON p.id = v.program_id
               WHERE v.created_at < ?1 - 30 * ?3
                 AND v.created_at < ?1 - COALESCE(json_extract(p.tracking, '$.visit_retention_days'), 400) * ?3
               ORDER BY v.created_at LIMIT ?2)",
            now,
            limit,
            DAY_MS
        ),
        sql!(db, "DELETE FROM visit_rollup"),
    ]
}

/// Deletes at most `limit` deliveries that succeeded more than 30 days before `now`
/// (with their attempts), friend invitations past their 30 days of rate limits, then
/// the events older than that with no delivery left.
pub fn prune_delivered(db: &D1Database, now: i64, limit: i64) -> Vec<Stmt> {
    let before = now - DELIVERED_OUTBOX_DAYS * DAY_MS;
    let done = "SELECT id FROM deliveries WHERE status = 'succeeded' AND updated_at < ?1 ORDER BY updated_at LIMIT ?2";
    vec![
        sql!(db, &format!("DELETE FROM delivery_attempts WHERE delivery_id IN ({done})"), before, limit),
        sql!(db, &format!("DELETE FROM deliveries WHERE id IN ({done})"), before, limit),
        sql!(db, "DELETE FROM email_invites WHERE rowid IN (SELECT rowid FROM email_invites WHERE created_at < ?1 ORDER BY created_at LIMIT ?2)", before, limit),
        sql!(
            db,
            "DELETE FROM events WHERE id IN (SELECT e.id FROM events e WHERE e.created_at < ?1
               AND NOT EXISTS (SELECT 1 FROM deliveries d WHERE d.event_id = e.id) ORDER BY e.created_at LIMIT ?2)",
            before,
            limit
        ),
    ]
}
