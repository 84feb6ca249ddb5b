//! One Stripe promotion code per referred friend (`rewards.friend` of type
//! `stripe_promotion_code`, docs/fulfilment.md#a-promotion-code-per-friend): the readable code
//! Edgeref asks Stripe for, and what Stripe's answer means. Codes derive from the outbox
//! delivery (`seed`), so a retry after a lost answer sends the same request under the same
//! `Idempotency-Key`, and only Stripe's `resource_already_exists` moves on to another code.

use sha2::{Digest, Sha256};

/// Every code starts with this; eight characters of `ALPHABET` follow.
pub const PREFIX: &str = "FRIEND-";
/// Upper-case letters and digits a reader cannot confuse (no 0/O, 1/I/L).
pub const ALPHABET: &[u8; 31] = b"23456789ABCDEFGHJKMNPQRSTUVWXYZ";
/// Codes tried per attempt: the first, and others while Stripe says a code is taken.
pub const MAX_CANDIDATES: u32 = 3;

/// The `n`-th candidate code for `seed` (the delivery's id): `FRIEND-` and 8 characters from
/// SHA-256 of both, the same for the same `seed` and `n`.
///
/// ```
/// use edgeref_shared::promotion::candidate;
/// let code = candidate("msg_1.stripe_promotion_code", 0);
/// assert!(code.starts_with("FRIEND-") && code.len() == 15);
/// assert_eq!(code, candidate("msg_1.stripe_promotion_code", 0));
/// assert_ne!(code, candidate("msg_1.stripe_promotion_code", 1));
/// ```
pub fn candidate(seed: &str, n: u32) -> String {
    let digest = Sha256::new().chain_update(seed.as_bytes()).chain_update([0]).chain_update(n.to_be_bytes()).finalize();
    let tail: String = digest.iter().take(8).map(|b| ALPHABET[*b as usize % ALPHABET.len()] as char).collect();
    format!("{PREFIX}{tail}")
}

/// Stripe's `Idempotency-Key` for asking for `code`: each candidate is its own request.
pub fn idempotency_key(seed: &str, code: &str) -> String {
    format!("edgeref-promo-{seed}-{code}")
}

/// `expires_at` (Unix seconds) for a code created at `now_ms` that lasts `days`.
///
/// ```
/// assert_eq!(edgeref_shared::promotion::expires_at(1_000, 1), 86_401);
/// ```
pub fn expires_at(now_ms: i64, days: u16) -> i64 {
    now_ms.div_euclid(1000) + i64::from(days) * 86_400
}

/// Whether Stripe refused a code because it exists already (`400`, `error.code`
/// `resource_already_exists`): then another candidate is tried.
pub fn is_taken(status: Option<u16>, body: Option<&str>) -> bool {
    status == Some(400)
        && body.and_then(|b| serde_json::from_str::<serde_json::Value>(b).ok()).is_some_and(|v| v["error"]["code"] == "resource_already_exists")
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn a_taken_code_is_stripes_resource_already_exists_only() {
        let taken = r#"{"error":{"type":"invalid_request_error","code":"resource_already_exists","message":"A promotion code with code FRIEND-X already exists."}}"#;
        assert!(is_taken(Some(400), Some(taken)));
        assert!(!is_taken(Some(409), Some(taken)));
        assert!(!is_taken(Some(400), Some(r#"{"error":{"code":"resource_missing"}}"#)));
        assert!(!is_taken(Some(400), Some("not json")));
        assert!(!is_taken(Some(400), None));
        assert!(!is_taken(None, Some(taken)));
    }

    #[test]
    fn keys_name_the_seed_and_the_code() {
        assert_eq!(idempotency_key("msg_1.stripe_promotion_code", "FRIEND-ABCDEFGH"), "edgeref-promo-msg_1.stripe_promotion_code-FRIEND-ABCDEFGH");
        assert_eq!(expires_at(1_999, 365), 1 + 365 * 86_400);
        assert_eq!(expires_at(86_400_000, 2), 86_400 * 3);
    }

    #[test]
    fn codes_are_stable_known_values() {
        // Fixed (computed independently: SHA-256("seed" 0x00 n as 4 bytes big-endian), each of
        // the first 8 bytes mod 31 into ALPHABET), so a change to how codes are made is visible.
        assert_eq!(candidate("seed", 0), "FRIEND-JB6DUEVU");
        assert_eq!(candidate("seed", 1), "FRIEND-U6BF6KNG");
        let all: std::collections::BTreeSet<String> = (0..MAX_CANDIDATES).map(|n| candidate("seed", n)).collect();
        assert_eq!(all.len(), MAX_CANDIDATES as usize);
        assert_ne!(candidate("seed", 0), candidate("seed2", 0));
        assert_ne!(candidate("ab", 0), candidate("a", 0), "the seed is delimited");
    }

    proptest! {
        #[test]
        fn codes_are_readable_prefix_and_eight_unambiguous_characters(seed in ".{0,80}", n in 0u32..100) {
            let code = candidate(&seed, n);
            prop_assert!(code.starts_with(PREFIX));
            let tail = &code[PREFIX.len()..];
            prop_assert_eq!(tail.len(), 8);
            prop_assert!(tail.bytes().all(|b| ALPHABET.contains(&b)));
            prop_assert!(idempotency_key(&seed, &code).len() <= 255 || seed.len() > 200);
        }
    }
}
