//! Rewards as signups and sales earn them: `earn` records new ones (held or
//! approved as the program says), `reverse` takes back a refunded or deleted
//! sale's share.

use super::model::{flags_json, RewardRow};
use super::store;
use crate::db::Stmt;
use crate::ids;
use crate::ledger::{self, LedgerEntry};
use crate::outbox;
use crate::programs::model::Program;
use edgeref_shared::fraud::Flag;
use edgeref_shared::lifecycle::{self, RewardStatus};
use edgeref_shared::reward::{LedgerKind, RewardKind};
use edgeref_shared::webhook::EventKind;
use worker::D1Database;

/// Who earns a new reward, how much, and on what grounds.
pub struct Earning<'a> {
    pub customer_key: &'a str,
    /// The referred customer whose signup or sale it is.
    pub referred_key: &'a str,
    pub kind: RewardKind,
    pub amount: i64,
    pub transaction_key: Option<&'a str>,
    pub flags: &'a [Flag],
    /// A milestone's number of paying friends (kind `Milestone`).
    pub milestone: Option<u32>,
}

/// The new reward row for an earning, in its initial status.
pub fn new_row(program: &Program, e: &Earning, now: i64) -> RewardRow {
    let (status, available_at) = lifecycle::initial(now, program.rewards.hold_days, program.rewards.approval, !e.flags.is_empty());
    RewardRow {
        id: ids::new_id("rwd"),
        customer_key: e.customer_key.to_owned(),
        referred_key: Some(e.referred_key.to_owned()),
        kind: e.kind,
        amount: e.amount,
        currency: program.currency.clone(),
        status,
        flags: flags_json(e.flags),
        transaction_key: e.transaction_key.map(str::to_owned),
        available_at,
        created_at: now,
        decided_at: (status == RewardStatus::Approved).then_some(now),
        reason: None,
        payout_id: None,
        milestone: e.milestone.map(i64::from),
    }
}

/// The statements that record new rewards (zero amounts are skipped): each
/// row, its `reward.created` event, and for one approved at once its ledger
/// entry and balance change. Returns the statements and the event ids.
pub fn earn(db: &D1Database, program: &Program, earnings: &[Earning], now: i64) -> (Vec<Stmt>, Vec<String>) {
    let (mut stmts, mut events) = (Vec::new(), Vec::new());
    for e in earnings.iter().filter(|e| e.amount > 0) {
        let row = new_row(program, e, now);
        stmts.push(store::insert(db, &program.id, &row));
        if row.status == RewardStatus::Approved {
            let entry = LedgerEntry { customer_key: e.customer_key, amount: e.amount, kind: LedgerKind::Reward, transaction_key: e.transaction_key, note: Some(e.kind.as_str()), at: now };
            stmts.extend(ledger::store::statements(db, &program.id, &entry));
        }
        let event = outbox::event(db, &program.id, EventKind::RewardCreated, &row.view());
        stmts.extend(event.statements);
        events.push(event.id);
    }
    (stmts, events)
}

/// What reversing `by` of a reward does: a pending one just shrinks; an
/// approved one shrinks and leaves the balance; a paid one stays paid and the
/// balance takes a negative adjustment that the next payout nets out.
pub fn reverse(db: &D1Database, program_id: &str, r: &RewardRow, by: i64, kind: LedgerKind, reason: &str, now: i64) -> Vec<Stmt> {
    let by = by.min(r.amount);
    if by <= 0 || matches!(r.status, RewardStatus::Rejected | RewardStatus::Reversed) {
        return Vec::new();
    }
    let mut stmts = store::reduce(db, r, by, reason, now);
    if matches!(r.status, RewardStatus::Approved | RewardStatus::Paid) {
        let entry = LedgerEntry { customer_key: &r.customer_key, amount: -by, kind, transaction_key: r.transaction_key.as_deref(), note: Some(reason), at: now };
        stmts.extend(ledger::store::statements(db, program_id, &entry));
    }
    stmts
}

#[cfg(test)]
mod tests {
    use super::*;
    use edgeref_shared::reward::{Approval, RewardRules};

    fn program(hold_days: u16, approval: Approval) -> Program {
        Program { currency: "JPY".into(), ..Program::sample(RewardRules { hold_days, approval, ..RewardRules::default() }) }
    }

    #[test]
    fn a_new_reward_is_in_the_programs_currency_and_held_as_the_program_says() {
        let e = Earning { customer_key: "ann", referred_key: "bob", kind: RewardKind::Referrer, amount: 500, transaction_key: Some("t1"), flags: &[], milestone: None };
        let now = 1_000;
        let at_once = new_row(&program(0, Approval::Auto), &e, now);
        assert_eq!((at_once.status, at_once.currency.as_str(), at_once.decided_at), (RewardStatus::Approved, "JPY", Some(now)));
        let held = new_row(&program(14, Approval::Auto), &e, now);
        assert_eq!((held.status, held.available_at, held.decided_at), (RewardStatus::Pending, now + 14 * edgeref_shared::time::DAY_MS, None));
        let manual = new_row(&program(0, Approval::Manual), &e, now);
        assert_eq!(manual.status, RewardStatus::Pending);
    }

    #[test]
    fn a_flagged_reward_waits_for_review_and_lists_its_flags() {
        let flags = [Flag::SameVisitor];
        let e = Earning { customer_key: "bob", referred_key: "bob", kind: RewardKind::Friend, amount: 300, transaction_key: None, flags: &flags, milestone: None };
        let r = new_row(&program(0, Approval::Auto), &e, 0);
        assert_eq!((r.status, r.flags.as_str(), r.kind), (RewardStatus::Pending, r#"["same_visitor"]"#, RewardKind::Friend));
    }
}
