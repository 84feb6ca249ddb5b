//! Whether a signup is credited to the referrer whose code it carries.

use crate::tracking::CookieLifetime;
use crate::time::DAY_MS;

/// Why a signup was not attributed. Recorded with the signup and reported to the
/// browser, never raised as an error.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// No referring customer has this code in this program.
    UnknownCode,
    /// The referred visit is older than the program's cookie window.
    Expired,
    /// The referrer signed up through their own link (same key or the same address).
    /// The same mailbox spelled differently (`+tag`, Gmail dots) is not refused but
    /// flagged for review (`fraud::Flag::LookalikeEmail`).
    SelfReferral,
    /// This customer was already referred; the first referrer keeps the credit.
    AlreadyReferred,
}

impl Refusal {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::UnknownCode => "unknown_code",
            Self::Expired => "expired",
            Self::SelfReferral => "self_referral",
            Self::AlreadyReferred => "already_referred",
        }
    }
}

/// The referring customer the code belongs to.
#[derive(Debug, Clone, Copy)]
pub struct Referrer<'a> {
    pub key: &'a str,
    pub email: &'a str,
}

/// Everything attribution depends on, gathered by the caller.
#[derive(Debug, Clone, Copy)]
pub struct SignupFacts<'a> {
    pub referrer: Option<Referrer<'a>>,
    pub signup_key: &'a str,
    pub signup_email: &'a str,
    /// When the referred visit happened, if the signup names one.
    pub visit_at_ms: Option<i64>,
    pub signup_at_ms: i64,
    pub window: CookieLifetime,
    pub already_referred: bool,
}


/// Applies the rules in order: unknown code, self-referral, already referred, expired.
///
/// Without a visit time the cookie itself is the proof: it carries the window
/// as its Max-Age. Lifetime windows never expire.
///
/// ```
/// use edgeref_shared::attribution::{attribute, Referrer, Refusal, SignupFacts};
/// use edgeref_shared::CookieLifetime;
/// let facts = SignupFacts {
///     referrer: Some(Referrer { key: "alice", email: "alice@example.com" }),
///     signup_key: "bob", signup_email: " Alice@Example.com",
///     visit_at_ms: None, signup_at_ms: 0, window: CookieLifetime::Days(30), already_referred: false,
/// };
/// assert_eq!(attribute(&facts), Err(Refusal::SelfReferral));
/// // The same mailbox with a +tag is attributed, and flagged for review instead.
/// assert_eq!(attribute(&SignupFacts { signup_email: "alice+promo@example.com", ..facts }), Ok(()));
/// ```
pub fn attribute(f: &SignupFacts) -> Result<(), Refusal> {
    let referrer = f.referrer.ok_or(Refusal::UnknownCode)?;
    if referrer.key == f.signup_key || is_same_address(referrer.email, f.signup_email) {
        return Err(Refusal::SelfReferral);
    }
    if f.already_referred {
        return Err(Refusal::AlreadyReferred);
    }
    if let (Some(visit), CookieLifetime::Days(days)) = (f.visit_at_ms, f.window) {
        if f.signup_at_ms.saturating_sub(visit) > days as i64 * DAY_MS {
            return Err(Refusal::Expired);
        }
    }
    Ok(())
}

/// The same address, ignoring case and surrounding space: a self-referral.
pub fn is_same_address(a: &str, b: &str) -> bool {
    a.trim().eq_ignore_ascii_case(b.trim())
}

/// The mailbox an address delivers to, for spotting self-referrals: lowercase,
/// `+tags` dropped, and for Gmail dots dropped and `googlemail.com` folded in.
///
/// ```
/// use edgeref_shared::attribution::normalize_email;
/// assert_eq!(normalize_email(" J.Doe+ref@GoogleMail.com "), "jdoe@gmail.com");
/// assert_eq!(normalize_email("j.doe+ref@example.com"), "j.doe@example.com");
/// ```
pub fn normalize_email(email: &str) -> String {
    let email = email.trim().to_lowercase();
    let Some((local, domain)) = email.rsplit_once('@') else {
        return email;
    };
    let local = local.split('+').next().unwrap_or(local);
    match domain {
        "gmail.com" | "googlemail.com" => format!("{}@gmail.com", local.replace('.', "")),
        _ => format!("{local}@{domain}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn facts<'a>(referrer: Option<Referrer<'a>>, email: &'a str) -> SignupFacts<'a> {
        SignupFacts {
            referrer,
            signup_key: "new",
            signup_email: email,
            visit_at_ms: Some(0),
            signup_at_ms: DAY_MS,
            window: CookieLifetime::Days(30),
            already_referred: false,
        }
    }
    const ALICE: Referrer = Referrer { key: "alice", email: "alice@gmail.com" };

    #[test]
    fn attributes_a_fresh_signup() {
        assert_eq!(attribute(&facts(Some(ALICE), "bob@example.com")), Ok(()));
    }

    #[test]
    fn refusals_in_order() {
        assert_eq!(attribute(&facts(None, "bob@example.com")), Err(Refusal::UnknownCode));
        for variant in ["alice@gmail.com", "ALICE@gmail.com", " alice@GMAIL.com "] {
            assert_eq!(attribute(&facts(Some(ALICE), variant)), Err(Refusal::SelfReferral), "{variant}");
        }
        // Lookalikes are attributed and flagged for review (fraud::Flag::LookalikeEmail).
        for variant in ["a.l.i.c.e@gmail.com", "alice+x@googlemail.com"] {
            assert_eq!(attribute(&facts(Some(ALICE), variant)), Ok(()), "{variant}");
        }
        let same_key = SignupFacts { signup_key: "alice", ..facts(Some(ALICE), "other@example.com") };
        assert_eq!(attribute(&same_key), Err(Refusal::SelfReferral));
        let again = SignupFacts { already_referred: true, ..facts(Some(ALICE), "bob@example.com") };
        assert_eq!(attribute(&again), Err(Refusal::AlreadyReferred));
    }

    #[test]
    fn refusals_are_recorded_by_their_snake_case_names() {
        let all = [Refusal::UnknownCode, Refusal::Expired, Refusal::SelfReferral, Refusal::AlreadyReferred];
        assert_eq!(all.map(Refusal::as_str), ["unknown_code", "expired", "self_referral", "already_referred"]);
    }

    #[test]
    fn window_edges() {
        let at = |days_later: i64, window| SignupFacts {
            signup_at_ms: days_later,
            window,
            ..facts(Some(ALICE), "bob@example.com")
        };
        assert_eq!(attribute(&at(30 * DAY_MS, CookieLifetime::Days(30))), Ok(()));
        assert_eq!(attribute(&at(30 * DAY_MS + 1, CookieLifetime::Days(30))), Err(Refusal::Expired));
        assert_eq!(attribute(&at(10_000 * DAY_MS, CookieLifetime::Lifetime)), Ok(()));
        let no_visit = SignupFacts { visit_at_ms: None, ..at(i64::MAX, CookieLifetime::Days(1)) };
        assert_eq!(attribute(&no_visit), Ok(()));
        assert_eq!(attribute(&at(i64::MIN, CookieLifetime::Days(1))), Ok(()), "clock skew is not expiry");
    }

    #[test]
    fn dots_only_fold_for_gmail() {
        assert_ne!(normalize_email("a.b@example.com"), normalize_email("ab@example.com"));
        assert_eq!(normalize_email("not-an-email"), "not-an-email");
    }

    proptest! {
        #[test]
        fn normalize_email_is_idempotent(e in "[A-Za-z0-9.+]{1,12}@[A-Za-z]{1,8}\\.(com|org)") {
            let once = normalize_email(&e);
            prop_assert_eq!(normalize_email(&once), once);
        }

        #[test]
        fn the_same_address_in_any_case_is_always_self_referral(local in "[a-z0-9]{1,10}", domain in "[a-z]{1,8}\\.com") {
            let plain = format!("{local}@{domain}");
            let shouted = plain.to_uppercase();
            let r = Referrer { key: "r", email: &plain };
            prop_assert_eq!(attribute(&facts(Some(r), &shouted)), Err(Refusal::SelfReferral));
        }

        #[test]
        fn plus_tags_never_evade_review(local in "[a-z0-9]{1,10}", tag in "[a-z0-9]{1,10}", domain in "[a-z]{1,8}\\.com") {
            let (plain, tagged) = (format!("{local}@{domain}"), format!("{local}+{tag}@{domain}"));
            prop_assert!(crate::fraud::is_lookalike(&tagged, &plain));
        }
    }
}
