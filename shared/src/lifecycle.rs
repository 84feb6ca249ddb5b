//! A reward's life: `pending` (held, or waiting for review) → `approved` |
//! `rejected` | `reversed`, and `approved` → `paid` | `reversed`. Every status
//! change in the Worker goes through `next`, so an impossible one is a 409,
//! never a half-applied write.

use crate::reward::Approval;
use crate::time::DAY_MS;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[derive(serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RewardStatus {
    /// Held until `available_at`, or waiting for the owner (manual approval, fraud flags).
    Pending,
    /// Owed to the customer: counts in their `balance`.
    Approved,
    /// Turned down by the owner, with a reason. Final.
    Rejected,
    /// Cancelled by a refund or a deleted sale before it was paid. Final.
    Reversed,
    /// Covered by a payout. A later refund is recorded as a negative adjustment instead.
    Paid,
}

impl RewardStatus {
    pub const ALL: [RewardStatus; 5] = [Self::Pending, Self::Approved, Self::Rejected, Self::Reversed, Self::Paid];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Approved => "approved",
            Self::Rejected => "rejected",
            Self::Reversed => "reversed",
            Self::Paid => "paid",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|status| status.as_str() == s)
    }
}

/// What can happen to a reward.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RewardAction {
    Approve,
    Reject,
    Reverse,
    Pay,
}

/// The status after `action`, or `None` when it is not allowed from `from`.
/// Approving and rejecting are only for pending rewards; reversing a paid
/// reward leaves it paid (the refund becomes a negative adjustment).
pub fn next(from: RewardStatus, action: RewardAction) -> Option<RewardStatus> {
    use RewardAction::*;
    use RewardStatus::*;
    match (from, action) {
        (Pending, Approve) => Some(Approved),
        (Pending, Reject) => Some(Rejected),
        (Pending | Approved, Reverse) => Some(Reversed),
        (Approved, Pay) => Some(Paid),
        _ => None,
    }
}

/// A new reward's status and when it becomes available: approved at once only
/// with no hold, automatic approval and no fraud flag; otherwise pending.
pub fn initial(earned_at_ms: i64, hold_days: u16, approval: Approval, flagged: bool) -> (RewardStatus, i64) {
    let available_at = earned_at_ms + hold_days as i64 * DAY_MS;
    let status = if hold_days == 0 && approval == Approval::Auto && !flagged { RewardStatus::Approved } else { RewardStatus::Pending };
    (status, available_at)
}

/// Whether the scheduled run approves a pending reward now: its hold is over,
/// the program approves automatically, and nothing flagged it for review.
pub fn auto_approves(status: RewardStatus, available_at_ms: i64, now_ms: i64, approval: Approval, flagged: bool) -> bool {
    status == RewardStatus::Pending && available_at_ms <= now_ms && approval == Approval::Auto && !flagged
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use RewardAction::*;
    use RewardStatus::*;

    #[test]
    fn only_pending_rewards_are_approved_or_rejected() {
        assert_eq!(next(Pending, Approve), Some(Approved));
        assert_eq!(next(Pending, Reject), Some(Rejected));
        for from in [Approved, Rejected, Reversed, Paid] {
            assert_eq!(next(from, Approve), None, "{from:?}");
            assert_eq!(next(from, Reject), None, "{from:?}");
        }
    }

    #[test]
    fn refunds_cancel_unpaid_rewards_and_leave_paid_ones_paid() {
        assert_eq!(next(Pending, Reverse), Some(Reversed));
        assert_eq!(next(Approved, Reverse), Some(Reversed));
        assert_eq!(next(Paid, Reverse), None);
        assert_eq!(next(Rejected, Reverse), None);
        assert_eq!(next(Reversed, Reverse), None);
    }

    #[test]
    fn only_approved_rewards_are_paid() {
        assert_eq!(next(Approved, Pay), Some(Paid));
        for from in [Pending, Rejected, Reversed, Paid] {
            assert_eq!(next(from, Pay), None, "{from:?}");
        }
    }

    #[test]
    fn a_new_reward_is_approved_at_once_only_without_hold_review_or_flags() {
        assert_eq!(initial(1000, 0, Approval::Auto, false), (Approved, 1000));
        assert_eq!(initial(1000, 0, Approval::Auto, true), (Pending, 1000));
        assert_eq!(initial(1000, 0, Approval::Manual, false), (Pending, 1000));
        assert_eq!(initial(1000, 30, Approval::Auto, false), (Pending, 1000 + 30 * DAY_MS));
    }

    #[test]
    fn the_schedule_approves_due_unflagged_pending_rewards_of_auto_programs_only() {
        assert!(auto_approves(Pending, 100, 100, Approval::Auto, false));
        assert!(!auto_approves(Pending, 101, 100, Approval::Auto, false), "still held");
        assert!(!auto_approves(Pending, 100, 100, Approval::Manual, false), "manual");
        assert!(!auto_approves(Pending, 100, 100, Approval::Auto, true), "flagged");
        assert!(!auto_approves(Rejected, 100, 100, Approval::Auto, false), "decided");
    }

    #[test]
    fn statuses_read_back_as_written() {
        for s in RewardStatus::ALL {
            assert_eq!(RewardStatus::parse(s.as_str()), Some(s));
        }
        assert_eq!(RewardStatus::parse("Approved"), None);
    }

    fn any_status() -> impl Strategy<Value = RewardStatus> {
        prop::sample::select(RewardStatus::ALL.to_vec())
    }
    fn any_action() -> impl Strategy<Value = RewardAction> {
        prop::sample::select(vec![Approve, Reject, Reverse, Pay])
    }

    proptest! {
        #[test]
        fn final_statuses_never_change(action in any_action()) {
            prop_assert_eq!(next(Rejected, action), None);
            prop_assert_eq!(next(Reversed, action), None);
        }

        #[test]
        fn no_sequence_of_actions_pays_a_reward_twice_or_revives_it(start in any_status(), actions in prop::collection::vec(any_action(), 0..12)) {
            let mut status = start;
            let mut paid = 0;
            for a in actions {
                if let Some(after) = next(status, a) {
                    if after == Paid { paid += 1; }
                    prop_assert!(!(matches!(status, Rejected | Reversed | Paid) && after == Approved), "{:?} revived", status);
                    status = after;
                }
            }
            prop_assert!(paid <= 1);
        }

        #[test]
        fn availability_is_the_hold_after_earning(at in 0i64..4_000_000_000_000, hold in 0u16..=365) {
            let (_, available) = initial(at, hold, Approval::Auto, false);
            prop_assert_eq!(available - at, hold as i64 * DAY_MS);
        }
    }
}
