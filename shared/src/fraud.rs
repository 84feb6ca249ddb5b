//! Fraud review: the signs that put a reward in the owner's review queue
//! instead of approving it. A flag never refuses anything by itself (that is
//! self-referral's job, in `attribution`); it only stops automatic approval.

use crate::attribution::normalize_email;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Flag {
    /// The friend's address is at a throwaway-mail provider.
    DisposableEmail,
    /// The friend's address is the referrer's mailbox under another spelling (`+tag`, Gmail dots, case).
    LookalikeEmail,
    /// The friend signed up from the same network (IP hash) or visit as the referrer's own signup.
    SameVisitor,
    /// The referrer earned more rewards today than the program allows per day.
    Velocity,
    /// Paying the approved reward automatically failed for good (Stripe refused the credit):
    /// the reward's `reason` says why; it waits for the owner (docs/fulfilment.md).
    FulfilmentFailed,
}

impl Flag {
    pub const ALL: [Flag; 5] = [Self::DisposableEmail, Self::LookalikeEmail, Self::SameVisitor, Self::Velocity, Self::FulfilmentFailed];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::DisposableEmail => "disposable_email",
            Self::LookalikeEmail => "lookalike_email",
            Self::SameVisitor => "same_visitor",
            Self::Velocity => "velocity",
            Self::FulfilmentFailed => "fulfilment_failed",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|f| f.as_str() == s)
    }
}

/// Two different addresses that deliver to the same mailbox.
pub fn is_lookalike(friend_email: &str, referrer_email: &str) -> bool {
    !friend_email.trim().eq_ignore_ascii_case(referrer_email.trim()) && normalize_email(friend_email) == normalize_email(referrer_email)
}

/// What is known about a referred signup when it is recorded.
#[derive(Debug, Clone, Copy)]
pub struct SignupSignals<'a> {
    pub friend_email: &'a str,
    /// Whether the friend's address is at a throwaway-mail domain (`disposable::listed`).
    pub friend_disposable: bool,
    pub referrer_email: &'a str,
    /// Keyed hashes of the client IP of the friend's signup and of the referrer's own (tracked) signup.
    pub friend_ip_hash: Option<&'a str>,
    pub referrer_ip_hash: Option<&'a str>,
    /// The visits the two signups came through.
    pub friend_visit: Option<&'a str>,
    pub referrer_visit: Option<&'a str>,
}

/// The flags a referred signup carries, sorted; every reward it earns inherits them.
pub fn signup_flags(s: &SignupSignals) -> Vec<Flag> {
    let same = |a: Option<&str>, b: Option<&str>| matches!((a, b), (Some(a), Some(b)) if !a.is_empty() && a == b);
    let mut flags = Vec::new();
    if s.friend_disposable {
        flags.push(Flag::DisposableEmail);
    }
    if is_lookalike(s.friend_email, s.referrer_email) {
        flags.push(Flag::LookalikeEmail);
    }
    if same(s.friend_ip_hash, s.referrer_ip_hash) || same(s.friend_visit, s.referrer_visit) {
        flags.push(Flag::SameVisitor);
    }
    flags
}

/// Whether one more reward today goes over the per-day limit (`None`: no limit).
pub fn over_daily_limit(earned_today: u32, limit: Option<u32>) -> bool {
    limit.is_some_and(|l| earned_today >= l)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn signals<'a>(friend: &'a str, referrer: &'a str) -> SignupSignals<'a> {
        SignupSignals { friend_email: friend, friend_disposable: false, referrer_email: referrer, friend_ip_hash: None, referrer_ip_hash: None, friend_visit: None, referrer_visit: None }
    }

    #[test]
    fn lookalikes_are_the_same_mailbox_spelled_differently() {
        assert!(is_lookalike("ann+shop@example.com", "ann@example.com"));
        assert!(is_lookalike("a.n.n@gmail.com", "ann@googlemail.com"));
        assert!(!is_lookalike("Ann@Example.com", "ann@example.com"), "the same address is self-referral, not a lookalike");
        assert!(!is_lookalike("bob@example.com", "ann@example.com"));
        assert!(!is_lookalike("a.nn@example.com", "ann@example.com"), "dots matter outside Gmail");
    }

    #[test]
    fn the_same_network_or_visit_flags_same_visitor_but_unknowns_do_not() {
        let s = SignupSignals { friend_ip_hash: Some("h1"), referrer_ip_hash: Some("h1"), ..signals("bob@example.com", "ann@example.com") };
        assert_eq!(signup_flags(&s), [Flag::SameVisitor]);
        let s = SignupSignals { friend_visit: Some("vis_1"), referrer_visit: Some("vis_1"), ..signals("bob@example.com", "ann@example.com") };
        assert_eq!(signup_flags(&s), [Flag::SameVisitor]);
        let s = SignupSignals { friend_ip_hash: Some("h1"), referrer_ip_hash: Some("h2"), friend_visit: Some(""), referrer_visit: Some(""), ..signals("bob@example.com", "ann@example.com") };
        assert!(signup_flags(&s).is_empty());
        assert!(signup_flags(&signals("bob@example.com", "ann@example.com")).is_empty());
    }

    #[test]
    fn flags_combine_in_a_stable_order() {
        let s = SignupSignals { friend_disposable: true, friend_ip_hash: Some("h"), referrer_ip_hash: Some("h"), ..signals("ann+x@mailinator.com", "ann@mailinator.com") };
        assert_eq!(signup_flags(&s), [Flag::DisposableEmail, Flag::LookalikeEmail, Flag::SameVisitor]);
    }

    #[test]
    fn the_daily_limit_counts_what_was_already_earned_today() {
        assert!(!over_daily_limit(0, Some(1)));
        assert!(over_daily_limit(1, Some(1)));
        assert!(!over_daily_limit(1000, None));
    }

    #[test]
    fn flags_read_back_as_written() {
        for f in Flag::ALL {
            assert_eq!(Flag::parse(f.as_str()), Some(f));
        }
        assert_eq!(Flag::parse("spam"), None);
    }

    proptest! {
        #[test]
        fn a_plus_tag_on_the_referrers_address_is_always_a_lookalike(local in "[a-z]{1,10}", tag in "[a-z0-9]{1,8}", domain in "[a-z]{2,10}\\.(com|net|org)") {
            let (friend, referrer) = (format!("{local}+{tag}@{domain}"), format!("{local}@{domain}"));
            prop_assert!(is_lookalike(&friend, &referrer));
        }

        #[test]
        fn a_different_local_part_is_never_a_lookalike(a in "[a-z]{1,10}", b in "[a-z]{1,10}", domain in "[a-z]{2,10}\\.com") {
            prop_assume!(a != b);
            let (friend, referrer) = (format!("{a}@{domain}"), format!("{b}@{domain}"));
            prop_assert!(!is_lookalike(&friend, &referrer));
        }
    }
}
