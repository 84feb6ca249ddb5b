//! Owner sessions for the dashboard: a cookie value `{expiry}.{signature}`
//! that the Worker checks without a database read. The signature is an
//! HMAC-SHA256 of the expiry under a key derived from the admin token, so
//! rotating the token ends every session at once.

use crate::apikey::constant_time_eq;
use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine};
use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};

/// How long a sign-in lasts: a working day.
pub const LIFETIME_SECS: i64 = 12 * 60 * 60;

/// The session-signing key for an admin token, labelled so it serves nothing else.
pub fn key_from_admin_token(token: &str) -> [u8; 32] {
    Sha256::new().chain_update(b"edgeref/session/v1\0").chain_update(token.as_bytes()).finalize().into()
}

fn signature(key: &[u8; 32], expires_at: i64) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(key).expect("HMAC takes keys of any length");
    mac.update(b"session.");
    mac.update(expires_at.to_string().as_bytes());
    URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes())
}

/// The cookie value for a session ending at `expires_at` (Unix seconds).
///
/// ```
/// use edgeref_shared::session::{issue, key_from_admin_token, verify};
/// let key = key_from_admin_token("admin token");
/// let cookie = issue(&key, 1_700_043_200);
/// assert_eq!(verify(&key, &cookie, 1_700_000_000), Some(1_700_043_200));
/// assert_eq!(verify(&key, &cookie, 1_700_043_200), None, "expired");
/// ```
pub fn issue(key: &[u8; 32], expires_at: i64) -> String {
    format!("{expires_at}.{}", signature(key, expires_at))
}

/// The session's expiry if `value` was issued with `key` and has not expired at `now` (Unix seconds).
pub fn verify(key: &[u8; 32], value: &str, now: i64) -> Option<i64> {
    let (expiry, sig) = value.split_once('.')?;
    // An empty expiry passes this check but fails to parse below.
    if expiry.len() > 12 || !expiry.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let expires_at: i64 = expiry.parse().ok()?;
    let genuine = constant_time_eq(sig.as_bytes(), signature(key, expires_at).as_bytes());
    (genuine && now < expires_at).then_some(expires_at)
}

fn person_signature(key: &[u8; 32], session_id: &str, expires_at: i64) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(key).expect("HMAC takes keys of any length");
    mac.update(b"person.");
    mac.update(session_id.as_bytes());
    mac.update(b".");
    mac.update(expires_at.to_string().as_bytes());
    URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes())
}

/// A team member's session cookie, `{session_id}.{expiry}.{signature}`: the Worker checks the
/// signature, then that the session's row still exists (so removing a person ends it at once).
///
/// ```
/// use edgeref_shared::session::{issue_person, key_from_admin_token, verify, verify_person};
/// let key = key_from_admin_token("admin token");
/// let cookie = issue_person(&key, "ses_1", 1_700_043_200);
/// assert_eq!(verify_person(&key, &cookie, 1_700_000_000), Some(("ses_1".to_owned(), 1_700_043_200)));
/// assert_eq!(verify(&key, &cookie, 1_700_000_000), None, "not an admin session");
/// ```
pub fn issue_person(key: &[u8; 32], session_id: &str, expires_at: i64) -> String {
    format!("{session_id}.{expires_at}.{}", person_signature(key, session_id, expires_at))
}

/// The session id and expiry of a genuine, current person session cookie.
pub fn verify_person(key: &[u8; 32], value: &str, now: i64) -> Option<(String, i64)> {
    let (session_id, rest) = value.split_once('.')?;
    let (expiry, sig) = rest.split_once('.')?;
    if session_id.is_empty() || !session_id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') {
        return None;
    }
    if expiry.len() > 12 || !expiry.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let expires_at: i64 = expiry.parse().ok()?;
    let genuine = constant_time_eq(sig.as_bytes(), person_signature(key, session_id, expires_at).as_bytes());
    (genuine && now < expires_at).then(|| (session_id.to_owned(), expires_at))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn forged_altered_and_foreign_sessions_fail() {
        let key = key_from_admin_token("token");
        let cookie = issue(&key, 2_000);
        assert_eq!(verify(&key, &cookie, 1_999), Some(2_000));
        assert_eq!(verify(&key, &cookie, 2_000), None);
        assert_eq!(verify(&key_from_admin_token("rotated"), &cookie, 1_000), None, "a new admin token ends old sessions");
        let (_, sig) = cookie.split_once('.').unwrap();
        assert_eq!(verify(&key, &format!("9999999999.{sig}"), 1_000), None, "the expiry is signed");
        for bad in ["", ".", "2000", "2000.", ".abc", "-1.abc", "+2000.abc", "99999999999999999999.abc", "2000.abc.def"] {
            assert_eq!(verify(&key, bad, 1_000), None, "{bad}");
        }
    }

    #[test]
    fn a_sign_in_lasts_twelve_hours() {
        assert_eq!(LIFETIME_SECS, 43_200);
    }

    #[test]
    fn expiries_of_up_to_twelve_digits_are_accepted_and_longer_ones_refused_even_when_signed() {
        let key = key_from_admin_token("token");
        let twelve = 999_999_999_999;
        assert_eq!(verify(&key, &issue(&key, twelve), 1_000), Some(twelve));
        assert_eq!(verify(&key, &issue(&key, twelve + 1), 1_000), None);
    }

    #[test]
    fn an_expiry_with_a_sign_is_refused_even_when_its_signature_is_genuine() {
        let key = key_from_admin_token("token");
        // "+2000" parses as 2000, so only the digits-only rule refuses it.
        assert_eq!(verify(&key, &format!("+{}", issue(&key, 2_000)), 1_000), None);
    }

    #[test]
    fn person_sessions_are_bound_to_their_id_and_expiry() {
        let key = key_from_admin_token("token");
        let cookie = issue_person(&key, "ses_a1", 2_000);
        assert_eq!(verify_person(&key, &cookie, 1_999), Some(("ses_a1".to_owned(), 2_000)));
        assert_eq!(verify_person(&key, &cookie, 2_000), None, "expired");
        assert_eq!(verify_person(&key_from_admin_token("rotated"), &cookie, 1_000), None);
        let sig = cookie.rsplit('.').next().unwrap();
        assert_eq!(verify_person(&key, &format!("ses_a2.2000.{sig}"), 1_000), None, "the id is signed");
        assert_eq!(verify_person(&key, &format!("ses_a1.9999.{sig}"), 1_000), None, "the expiry is signed");
        assert_eq!(verify_person(&key, &issue(&key, 2_000), 1_000), None, "an admin session is not a person's");
        assert_eq!(verify(&key, &cookie, 1_000), None, "nor the other way round");
        for bad in ["", "..", "ses.2000", ".2000.x", "s-1.2000.x", "ses_a1.+2000.x", "ses_a1..x", "ses_a1.9999999999999.x"] {
            assert_eq!(verify_person(&key, bad, 1_000), None, "{bad}");
        }
        assert_eq!(verify_person(&key, &issue_person(&key, "s-1", 2_000), 1_000), None, "ids are word characters");
        assert_eq!(verify_person(&key, &issue_person(&key, "ses_a1", 999_999_999_999), 1_000).map(|s| s.1), Some(999_999_999_999));
        assert_eq!(verify_person(&key, &issue_person(&key, "ses_a1", 1_000_000_000_000), 1_000), None);
    }

    proptest! {
        #[test]
        fn a_session_verifies_until_its_expiry_and_never_after(token in ".{1,40}", expires_at in 1i64..100_000_000_000, before in 1i64..1_000_000) {
            let key = key_from_admin_token(&token);
            let cookie = issue(&key, expires_at);
            prop_assert_eq!(verify(&key, &cookie, expires_at - before), Some(expires_at));
            prop_assert_eq!(verify(&key, &cookie, expires_at), None);
        }
    }
}
