//! Referral codes: what a valid one looks like and how new ones are made.
//!
//! Codes are case-insensitive and kept in lowercase, so `?ref=ABC` and `?ref=abc`
//! credit the same customer. Generated codes use an alphabet without look-alikes
//! (no `0 o 1 i l`) so they survive being read aloud or typed from a screenshot.

use crate::ValidationError;
use alloc::string::String;

/// Longest code accepted, merchant-chosen or generated.
pub const MAX_LEN: usize = 64;
/// Length of generated codes: 31^8 ≈ 8.5e11 codes, so collisions are rare but possible.
pub const GENERATED_LEN: usize = 8;
/// The alphabet of generated codes.
pub const ALPHABET: &[u8; 31] = b"23456789abcdefghjkmnpqrstuvwxyz";
/// How many fresh codes a caller tries before giving up on a unique one.
pub const MAX_GENERATION_ATTEMPTS: usize = 5;

/// A validated, canonical (lowercase) referral code: 1–64 of `[a-z0-9_-]`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ReferralCode(String);

impl ReferralCode {
    /// Accepts a merchant-chosen or URL-supplied code, folding it to lowercase.
    ///
    /// ```
    /// use edgeref_shared::ReferralCode;
    /// assert_eq!(ReferralCode::parse("Summer-Sale_1").unwrap().as_str(), "summer-sale_1");
    /// assert!(ReferralCode::parse("no spaces").is_err());
    /// ```
    pub fn parse(input: &str) -> Result<Self, ValidationError> {
        if input.is_empty() {
            return Err(ValidationError::new("referral_code", "must not be empty"));
        }
        if input.len() > MAX_LEN {
            return Err(ValidationError::new("referral_code", "must be at most 64 characters"));
        }
        if !input.bytes().all(is_code_byte) {
            return Err(ValidationError::new(
                "referral_code",
                "may contain only letters, digits, '-' and '_'",
            ));
        }
        Ok(Self(input.to_ascii_lowercase()))
    }

    /// `parse` for bytes already percent-decoded from a URL; `None` unless valid.
    pub fn parse_bytes(input: &[u8]) -> Option<Self> {
        let valid = (1..=MAX_LEN).contains(&input.len()) && input.iter().copied().all(is_code_byte);
        // Every byte is ASCII by now; the mask tells the compiler so (one byte per char, no UTF-8 encoder in the snippet).
        valid.then(|| Self(input.iter().map(|b| (b.to_ascii_lowercase() & 0x7f) as char).collect()))
    }

    /// Builds a code from random bytes (one byte per character; callers pass
    /// `GENERATED_LEN` bytes from a CSPRNG). Rejection sampling keeps every
    /// character equally likely; bytes that would bias the result are skipped,
    /// so `None` means "not enough usable bytes, draw again".
    ///
    /// Uniqueness is the caller's job: on a collision draw again, at most
    /// `MAX_GENERATION_ATTEMPTS` times.
    ///
    /// ```
    /// use edgeref_shared::ReferralCode;
    /// let code = ReferralCode::generate(&[0, 1, 2, 3, 4, 5, 6, 7]).unwrap();
    /// assert_eq!(code.as_str(), "23456789");
    /// ```
    pub fn generate(random: &[u8]) -> Option<Self> {
        // mutants: equivalent if `256 / 31` becomes `256 % 31`, because both are 8.
        let limit = (256 / ALPHABET.len() * ALPHABET.len()) as u8; // 248: unbiased range
        let code: String = random
            .iter()
            .filter(|b| **b < limit)
            .take(GENERATED_LEN)
            .map(|b| ALPHABET[*b as usize % ALPHABET.len()] as char)
            .collect();
        (code.len() == GENERATED_LEN).then_some(Self(code))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_string(self) -> String {
        self.0
    }
}

impl core::fmt::Display for ReferralCode {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(&self.0)
    }
}

/// Bytes allowed in codes and parameter names: they need no escaping in URLs.
pub(crate) fn is_code_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'-' || b == b'_'
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn parse_folds_case_and_rejects_bad_input() {
        assert_eq!(ReferralCode::parse("AbC").unwrap().as_str(), "abc");
        assert!(ReferralCode::parse("").is_err());
        assert!(ReferralCode::parse("a b").is_err());
        assert!(ReferralCode::parse("a/b").is_err());
        assert!(ReferralCode::parse("é").is_err());
        assert!(ReferralCode::parse(&"a".repeat(64)).is_ok());
        assert_eq!(ReferralCode::parse(&"a".repeat(65)).unwrap_err().field, "referral_code");
    }

    #[test]
    fn generate_skips_biased_bytes_and_needs_enough_of_them() {
        assert!(ReferralCode::generate(&[0; 7]).is_none());
        assert!(ReferralCode::generate(&[255; 16]).is_none());
        let code = ReferralCode::generate(&[248, 249, 0, 1, 2, 3, 4, 5, 6, 7]).unwrap();
        assert_eq!(code.as_str(), "23456789");
        // 30 and 61 both map to the last letter: the alphabet wraps exactly.
        assert_eq!(ReferralCode::generate(&[30, 61, 92, 123, 154, 185, 216, 247]).unwrap().as_str(), "zzzzzzzz");
    }

    #[test]
    fn a_code_displays_as_its_canonical_text() {
        let code = ReferralCode::parse("Summer-Sale_1").unwrap();
        assert_eq!(code.to_string(), "summer-sale_1");
    }

    #[test]
    fn alphabet_has_no_lookalikes_and_no_repeats() {
        for c in b"01ilo" {
            assert!(!ALPHABET.contains(c));
        }
        let mut sorted = ALPHABET.to_vec();
        sorted.dedup();
        assert_eq!(sorted.len(), ALPHABET.len());
    }

    proptest! {
        #[test]
        fn generated_codes_are_valid_codes(bytes in proptest::collection::vec(any::<u8>(), 8..64)) {
            if let Some(code) = ReferralCode::generate(&bytes) {
                prop_assert_eq!(code.as_str().len(), GENERATED_LEN);
                prop_assert!(code.as_str().bytes().all(|b| ALPHABET.contains(&b)));
                prop_assert_eq!(ReferralCode::parse(code.as_str()).unwrap(), code);
            }
        }

        #[test]
        fn parse_accepts_exactly_the_code_charset(s in "\\PC{0,70}") {
            let ok = !s.is_empty() && s.len() <= MAX_LEN && s.bytes().all(is_code_byte);
            prop_assert_eq!(ReferralCode::parse(&s).is_ok(), ok);
        }

        #[test]
        fn parse_bytes_agrees_with_parse(bytes in proptest::collection::vec(any::<u8>(), 0..70), s in "[A-Za-z0-9_+ -]{0,70}") {
            prop_assert_eq!(ReferralCode::parse_bytes(s.as_bytes()), ReferralCode::parse(&s).ok());
            if let Ok(text) = core::str::from_utf8(&bytes) {
                prop_assert_eq!(ReferralCode::parse_bytes(&bytes), ReferralCode::parse(text).ok());
            } else {
                prop_assert_eq!(ReferralCode::parse_bytes(&bytes), None);
            }
        }
    }
}
