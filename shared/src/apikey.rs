//! Program API keys: shown once, stored only as a SHA-256 hash, compared in constant time.

use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

/// Every key starts with this, so leaked keys are easy to grep for.
pub const KEY_PREFIX: &str = "erk_";
/// How much of a key the API shows after creation (`erk_` + 8 characters).
pub const DISPLAY_PREFIX_LEN: usize = 12;

/// A new key: the secret (shown once), its display prefix and its hash (stored).
#[derive(Debug, Clone)]
pub struct NewKey {
    pub secret: String,
    pub prefix: String,
    pub hash: String,
}

/// Makes a key from 32 bytes of CSPRNG output (256 bits of entropy).
///
/// ```
/// use edgeref_shared::apikey;
/// let k = apikey::generate(&[7; 32]);
/// assert!(k.secret.starts_with("erk_") && k.secret.starts_with(&k.prefix));
/// assert!(apikey::matches(&k.secret, &k.hash));
/// assert!(!apikey::matches("erk_wrong", &k.hash));
/// ```
pub fn generate(random: &[u8; 32]) -> NewKey {
    let secret = format!("{KEY_PREFIX}{}", URL_SAFE_NO_PAD.encode(random));
    NewKey { prefix: secret[..DISPLAY_PREFIX_LEN].to_owned(), hash: hash(&secret), secret }
}

/// Lowercase hex SHA-256: what is stored and looked up.
pub fn hash(secret: &str) -> String {
    sha256_hex(secret)
}

/// Lowercase hex SHA-256 of any text (also used to fingerprint idempotent requests).
pub fn sha256_hex(text: &str) -> String {
    hex(&Sha256::digest(text.as_bytes()))
}

/// Whether a presented key hashes to the stored hash, without early exit.
pub fn matches(presented: &str, stored_hash: &str) -> bool {
    constant_time_eq(hash(presented).as_bytes(), stored_hash.as_bytes())
}

/// Compares two secrets in time that depends only on their lengths. Callers
/// that must hide lengths too compare hashes (as `matches` does).
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && bool::from(a.ct_eq(b))
}

/// Compares a presented token with the configured one by their hashes, so
/// neither content nor length leaks through timing.
pub fn token_matches(presented: &str, expected: &str) -> bool {
    !expected.is_empty()
        && bool::from(Sha256::digest(presented.as_bytes()).ct_eq(&Sha256::digest(expected.as_bytes())))
}

pub(crate) fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    bytes.iter().flat_map(|b| [DIGITS[(b >> 4) as usize] as char, DIGITS[(b & 15) as usize] as char]).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn sha256_of_known_input() {
        // FIPS 180-2 example "abc".
        assert_eq!(hash("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    }

    #[test]
    fn tokens() {
        assert!(token_matches("s3cret", "s3cret"));
        assert!(!token_matches("s3cret", "s3cre"));
        assert!(!token_matches("", ""), "an unset admin token never matches");
    }

    proptest! {
        #[test]
        fn keys_are_unique_per_randomness_and_verify(a in any::<[u8; 32]>(), b in any::<[u8; 32]>()) {
            let (ka, kb) = (generate(&a), generate(&b));
            prop_assert_eq!(ka.secret.len(), 4 + 43);
            prop_assert!(matches(&ka.secret, &ka.hash));
            prop_assert_eq!(a == b, ka.hash == kb.hash);
            prop_assert_eq!(a == b, matches(&ka.secret, &kb.hash));
        }
    }
}
