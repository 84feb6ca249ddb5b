//! Portal tokens: what a merchant's server hands a referrer's browser so the
//! widget can read `/w/me` for that one customer. Stateless, like the dashboard
//! session (`session.rs`): `{program}.{customer}.{expiry}.{signature}`, the
//! first two base64url, the signature an HMAC-SHA256 under a key derived from a
//! Worker secret. The signature also covers the customer's row id, which D1 hands
//! out once and never again (AUTOINCREMENT) and which no import or API call can
//! set, so a customer deleted (and maybe re-created or re-imported under the same
//! key, with the same creation time) loses its tokens for good.
//! Signed, not encrypted: the token shows its own program id and customer key.

use crate::apikey::constant_time_eq;
use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine};
use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};

/// Shortest and longest lifetime a caller may ask for, and the default (seconds).
pub const MIN_TTL_SECS: i64 = 60;
pub const MAX_TTL_SECS: i64 = 86_400;
pub const DEFAULT_TTL_SECS: i64 = 3_600;

/// Longer than any token `issue` makes for a valid program id and customer key;
/// anything longer is refused before decoding.
const MAX_TOKEN_LEN: usize = 1024;

/// Who a token speaks for, and until when (Unix seconds).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Claims {
    pub program_id: String,
    pub customer_key: String,
    pub expires_at: i64,
}

/// The token-signing key for a Worker secret, labelled so it is neither the
/// secret itself nor the session or sealing key made from the same secret.
pub fn key_from_secret(secret: &str) -> [u8; 32] {
    Sha256::new().chain_update(b"edgeref/portal-token/v1\0").chain_update(secret.as_bytes()).finalize().into()
}

fn signature(key: &[u8; 32], claims: &Claims, customer_row: i64) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(key).expect("HMAC takes keys of any length");
    // Length-prefixed fields: no two different claims sign the same bytes.
    for field in [claims.program_id.as_bytes(), claims.customer_key.as_bytes(), &claims.expires_at.to_be_bytes(), &customer_row.to_be_bytes()] {
        mac.update(&(field.len() as u64).to_be_bytes());
        mac.update(field);
    }
    URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes())
}

/// The token for `claims`, for the customer stored as row `customer_row`.
///
/// ```
/// use edgeref_shared::portal::{issue, key_from_secret, verify, Claims};
/// let key = key_from_secret("worker secret");
/// let claims = Claims { program_id: "prg_1".into(), customer_key: "ann".into(), expires_at: 1_700_003_600 };
/// let token = issue(&key, &claims, 41);
/// assert_eq!(verify(&key, &token, 41, 1_700_000_000), Some(claims));
/// assert_eq!(verify(&key, &token, 42, 1_700_000_000), None, "a re-created customer");
/// ```
pub fn issue(key: &[u8; 32], claims: &Claims, customer_row: i64) -> String {
    format!(
        "{}.{}.{}.{}",
        URL_SAFE_NO_PAD.encode(&claims.program_id),
        URL_SAFE_NO_PAD.encode(&claims.customer_key),
        claims.expires_at,
        signature(key, claims, customer_row)
    )
}

/// What a token claims, unverified: which program and customer to load before
/// `verify` can check it. `None` for anything that is not shaped like a token.
pub fn read(token: &str) -> Option<Claims> {
    if token.len() > MAX_TOKEN_LEN {
        return None;
    }
    let mut parts = token.split('.');
    let (program, customer, expiry, _sig) = (parts.next()?, parts.next()?, parts.next()?, parts.next()?);
    // An empty expiry passes this and fails to parse below.
    if parts.next().is_some() || expiry.len() > 12 || !expiry.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let text = |part: &str| URL_SAFE_NO_PAD.decode(part).ok().and_then(|b| String::from_utf8(b).ok()).filter(|s| !s.is_empty());
    Some(Claims { program_id: text(program)?, customer_key: text(customer)?, expires_at: expiry.parse().ok()? })
}

/// The token's claims if `key` signed exactly this token for the customer stored
/// as row `customer_row` and it has not expired at `now` (Unix seconds). Row ids
/// start at 1: a row that was not read (0) or stands for no customer has no tokens.
pub fn verify(key: &[u8; 32], token: &str, customer_row: i64, now: i64) -> Option<Claims> {
    let claims = read(token)?;
    // Rebuilding the whole token rejects any other spelling of the same claims.
    let genuine = constant_time_eq(token.as_bytes(), issue(key, &claims, customer_row).as_bytes());
    (genuine && customer_row > 0 && now < claims.expires_at).then_some(claims)
}

/// An email as a referrer may see a friend's: first character, dots, the domain
/// (`bob@example.com` → `b•••@example.com`).
pub fn mask_email(email: &str) -> String {
    let (local, domain) = email.rsplit_once('@').unwrap_or(("", ""));
    let first: String = local.chars().next().map(String::from).unwrap_or_default();
    if domain.is_empty() {
        return "•••".into();
    }
    format!("{first}•••@{domain}")
}

/// Who may sign into the hosted portal: customers only, or anyone (who then becomes a referrer).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Signup {
    #[default]
    Closed,
    Open,
}

/// A program's portal settings (`programs.portal`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PortalSettings {
    #[serde(default)]
    pub signup: Signup,
}

/// A sign-in code lives ten minutes and survives four wrong guesses (the fifth kills it).
pub const CODE_TTL_MS: i64 = 10 * 60 * 1000;
pub const CODE_TRIES: i64 = 5;
/// A portal session (its cookie) lasts 30 days.
pub const SESSION_TTL_SECS: i64 = 30 * 86_400;

/// The portal-session key: sessions are portal tokens signed under a key of their own,
/// so a session cookie never works as a bearer token, nor a token as a session.
pub fn session_key_from_secret(secret: &str) -> [u8; 32] {
    Sha256::new().chain_update(b"edgeref/portal-session/v1\0").chain_update(secret.as_bytes()).finalize().into()
}

/// Six digits from a random number (the bias of `% 10^6` on 64 bits is below 10^-13).
pub fn six_digits(random: u64) -> String {
    format!("{:06}", random % 1_000_000)
}

/// How a sign-in code is stored: keyed by a Worker secret and bound to its program
/// and address, so a leaked table holds nothing to type in (hex).
pub fn code_hash(secret: &str, program_id: &str, address: &str, code: &str) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(b"edgeref/sign-in-code/v1").expect("HMAC takes keys of any length");
    for field in [secret.as_bytes(), program_id.as_bytes(), address.to_lowercase().as_bytes(), code.as_bytes()] {
        mac.update(&(field.len() as u64).to_be_bytes());
        mac.update(field);
    }
    mac.finalize().into_bytes().iter().map(|b| format!("{b:02x}")).collect()
}

/// Whether `typed` is the code stored as `stored` (constant time).
pub fn code_matches(secret: &str, program_id: &str, address: &str, typed: &str, stored: &str) -> bool {
    let typed: String = typed.chars().filter(|c| !c.is_whitespace()).collect();
    typed.len() == 6 && typed.bytes().all(|b| b.is_ascii_digit()) && constant_time_eq(code_hash(secret, program_id, address, &typed).as_bytes(), stored.as_bytes())
}

/// The portal session's cookie.
pub const SESSION_COOKIE: &str = "edgeref_portal";

/// `Set-Cookie` for a portal session: only the program's portal pages get it, never script.
pub fn session_cookie(public_id: &str, value: &str, max_age: i64, secure: bool) -> String {
    format!("{SESSION_COOKIE}={value}; Path=/portal/{public_id}; Max-Age={max_age}; HttpOnly; SameSite=Lax{}", if secure { "; Secure" } else { "" })
}

/// `Secure` everywhere but plain http on this machine (`make dev`), where browsers would drop it.
pub fn needs_secure(scheme: &str, host: &str) -> bool {
    !(scheme == "http" && matches!(host, "localhost" | "127.0.0.1"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn claims(program: &str, customer: &str, expires_at: i64) -> Claims {
        Claims { program_id: program.into(), customer_key: customer.into(), expires_at }
    }

    #[test]
    fn a_token_verifies_until_its_expiry_for_its_own_customer_only() {
        let key = key_from_secret("secret");
        let token = issue(&key, &claims("prg_1", "ann", 2_000), 5);
        assert_eq!(verify(&key, &token, 5, 1_999), Some(claims("prg_1", "ann", 2_000)));
        assert_eq!(verify(&key, &token, 5, 2_000), None, "expired");
        assert_eq!(verify(&key, &token, 6, 1_000), None, "deleted and re-created");
        let unread = issue(&key, &claims("prg_1", "ann", 2_000), 0);
        assert_eq!(verify(&key, &unread, 0, 1_000), None, "no row, no token");
        let negative = issue(&key, &claims("prg_1", "ann", 2_000), -1);
        assert_eq!(verify(&key, &negative, -1, 1_000), None);
        let first = issue(&key, &claims("prg_1", "ann", 2_000), 1);
        assert!(verify(&key, &first, 1, 1_000).is_some(), "row ids start at 1");
        assert_eq!(verify(&key_from_secret("rotated"), &token, 5, 1_000), None, "a new secret ends old tokens");
        assert_ne!(key_from_secret("secret"), crate::session::key_from_admin_token("secret"), "not the session key");
    }

    #[test]
    fn claims_cannot_be_swapped_under_the_same_signature() {
        let key = key_from_secret("secret");
        let token = issue(&key, &claims("prg_1", "ann", 2_000), 5);
        let sig = token.rsplit('.').next().unwrap();
        for (p, c, e) in [("prg_2", "ann", 2_000i64), ("prg_1", "bob", 2_000), ("prg_1", "ann", 9_999_999_999)] {
            let forged = format!("{}.{}.{e}.{sig}", URL_SAFE_NO_PAD.encode(p), URL_SAFE_NO_PAD.encode(c));
            assert_eq!(verify(&key, &forged, 5, 1_000), None, "{forged}");
        }
        // The same claims spelled differently (leading zero on the expiry) are refused too.
        let (head, _) = token.split_once(".2000.").unwrap();
        assert_eq!(verify(&key, &format!("{head}.02000.{sig}"), 5, 1_000), None);
    }

    #[test]
    fn malformed_tokens_are_refused_without_panicking() {
        let key = key_from_secret("secret");
        let long = "a".repeat(5000);
        for bad in ["", ".", "...", "a.b.c", "a.b.c.d.e", "cHJn.YW5u..sig", "cHJn.YW5u.-1.sig", "cHJn.YW5u.99999999999999999999.sig", ".YW5u.2000.sig", "cHJn..2000.sig",
            "//8.YW5u.2000.sig", "cHJn.YW5u.2000.", "\u{0}.\u{0}.1.\u{0}", &long] {
            assert_eq!(verify(&key, bad, 0, 1_000), None, "{bad:?}");
        }
        assert_eq!(read("//8.YW5u.2000.sig"), None, "not UTF-8");
        assert_eq!(read("cHJn.YW5u.2000.sig"), Some(claims("prg", "ann", 2_000)), "read does not check the signature");
    }

    #[test]
    fn read_takes_four_parts_and_an_expiry_of_at_most_twelve_digits() {
        assert_eq!(read("cHJn.YW5u.999999999999.sig"), Some(claims("prg", "ann", 999_999_999_999)));
        for bad in ["cHJn.YW5u.1000000000000.sig", "cHJn.YW5u.2000.sig.more", "cHJn.YW5u.-1.sig", "cHJn.YW5u.+1.sig", "cHJn.YW5u..sig", "cHJn.YW5u.2000"] {
            assert_eq!(read(bad), None, "{bad}");
        }
    }

    #[test]
    fn a_token_of_exactly_the_length_limit_is_read_one_byte_more_is_not() {
        // Every customer key length gives a token length; base64 skips some, so find the limit's.
        let token = |n: usize| issue(&key_from_secret("secret"), &claims("prg_1", &"k".repeat(n), 2_000), 5);
        let n = (1..MAX_TOKEN_LEN).find(|n| token(*n).len() == MAX_TOKEN_LEN).unwrap();
        assert!(read(&token(n)).is_some());
        let over = (n + 1..MAX_TOKEN_LEN).map(token).find(|t| t.len() > MAX_TOKEN_LEN).unwrap();
        assert_eq!(read(&over), None);
    }

    #[test]
    fn emails_are_masked_to_their_first_character_and_domain() {
        assert_eq!(mask_email("bob@example.com"), "b•••@example.com");
        assert_eq!(mask_email("élodie+x@shop.example"), "é•••@shop.example");
        assert_eq!(mask_email("@example.com"), "•••@example.com");
        assert_eq!(mask_email("a@b@example.com"), "a•••@example.com");
        assert_eq!(mask_email("nobody"), "•••");
    }

    proptest! {
        #[test]
        fn any_changed_byte_is_rejected(program in "prg_[a-z0-9]{1,20}", customer in "[A-Za-z0-9._@:+-]{1,128}", expires_at in 1i64..100_000_000_000,
                                        row in 1i64..10_000_000_000_000, at in any::<prop::sample::Index>(), byte in any::<u8>()) {
            let key = key_from_secret("secret");
            let token = issue(&key, &claims(&program, &customer, expires_at), row);
            prop_assert!(verify(&key, &token, row, expires_at - 1).is_some());
            let mut bytes = token.clone().into_bytes();
            let i = at.index(bytes.len());
            prop_assume!(bytes[i] != byte);
            bytes[i] = byte;
            let altered = String::from_utf8_lossy(&bytes);
            prop_assert_eq!(verify(&key, &altered, row, 0), None);
        }

        #[test]
        fn a_token_is_refused_at_and_after_its_expiry(expires_at in 1i64..100_000_000_000, after in 0i64..1_000_000) {
            let key = key_from_secret("secret");
            let token = issue(&key, &claims("prg_1", "ann", expires_at), 1);
            prop_assert_eq!(verify(&key, &token, 1, expires_at + after), None);
        }

        #[test]
        fn a_token_is_refused_for_another_program_or_customer(p1 in "[a-z0-9_]{1,20}", p2 in "[a-z0-9_]{1,20}", c1 in "[A-Za-z0-9.]{1,40}", c2 in "[A-Za-z0-9.]{1,40}") {
            prop_assume!(p1 != p2 || c1 != c2);
            let key = key_from_secret("secret");
            let token = issue(&key, &claims(&p1, &c1, 2_000), 1);
            let sig = token.rsplit('.').next().unwrap();
            let foreign = format!("{}.{}.2000.{sig}", URL_SAFE_NO_PAD.encode(&p2), URL_SAFE_NO_PAD.encode(&c2));
            prop_assert_eq!(verify(&key, &foreign, 1, 1_000), None);
        }

        #[test]
        fn verify_never_panics(token in ".{0,300}", row in any::<i64>(), now in any::<i64>()) {
            let _ = verify(&key_from_secret("secret"), &token, row, now);
        }
    }

    #[test]
    fn portal_settings_say_who_may_sign_up_closed_unless_opened() {
        assert_eq!(PortalSettings::default(), PortalSettings { signup: Signup::Closed });
        // What the migration stores for every existing program.
        assert_eq!(serde_json::from_str::<PortalSettings>(r#"{"signup":"closed"}"#).unwrap(), PortalSettings::default());
        assert_eq!(serde_json::from_str::<PortalSettings>("{}").unwrap(), PortalSettings::default());
        assert_eq!(serde_json::from_str::<PortalSettings>(r#"{"signup":"open"}"#).unwrap(), PortalSettings { signup: Signup::Open });
        assert_eq!(serde_json::to_string(&PortalSettings { signup: Signup::Open }).unwrap(), r#"{"signup":"open"}"#);
        assert_eq!(serde_json::to_string(&PortalSettings::default()).unwrap(), r#"{"signup":"closed"}"#);
        for bad in [r#"{"signup":"Open"}"#, r#"{"signup":true}"#, r#"{"signup":null}"#, r#"{"signup":"closed","invite":true}"#] {
            assert!(serde_json::from_str::<PortalSettings>(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn sign_in_codes_and_sessions_last_as_the_docs_say() {
        assert_eq!(CODE_TTL_MS, 600_000, "10 minutes");
        assert_eq!(CODE_TRIES, 5);
        assert_eq!(SESSION_TTL_SECS, 2_592_000, "30 days");
    }

    #[test]
    fn the_session_key_is_its_own() {
        assert_ne!(session_key_from_secret("secret"), key_from_secret("secret"), "a session is not a portal token");
        assert_ne!(session_key_from_secret("secret"), crate::session::key_from_admin_token("secret"));
        assert_ne!(session_key_from_secret("secret"), session_key_from_secret("rotated"));
        assert_eq!(session_key_from_secret("secret"), session_key_from_secret("secret"));
        // A session cookie is a token under the session key: it does not pass as a bearer token.
        let session = issue(&session_key_from_secret("secret"), &claims("prg_1", "ann", 2_000), 5);
        assert_eq!(verify(&key_from_secret("secret"), &session, 5, 1_000), None);
        assert!(verify(&session_key_from_secret("secret"), &session, 5, 1_000).is_some());
    }

    #[test]
    fn six_digits_keep_their_leading_zeros() {
        assert_eq!(six_digits(0), "000000");
        assert_eq!(six_digits(7), "000007");
        assert_eq!(six_digits(42_000), "042000");
        assert_eq!(six_digits(999_999), "999999");
        assert_eq!(six_digits(1_000_000), "000000");
        assert_eq!(six_digits(123_456_789), "456789");
        assert_eq!(six_digits(u64::MAX), "551615");
    }

    #[test]
    fn a_code_hash_is_bound_to_the_secret_program_address_and_code() {
        let h = code_hash("secret", "prg_1", "ann@x.example", "123456");
        assert_eq!(h.len(), 64);
        assert!(h.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)), "lower-case hex: {h}");
        assert_eq!(h, code_hash("secret", "prg_1", "ann@x.example", "123456"));
        assert_eq!(h, code_hash("secret", "prg_1", "Ann@X.Example", "123456"), "the address in any case");
        for other in [
            code_hash("rotated", "prg_1", "ann@x.example", "123456"),
            code_hash("secret", "prg_2", "ann@x.example", "123456"),
            code_hash("secret", "prg_1", "bob@x.example", "123456"),
            code_hash("secret", "prg_1", "ann@x.example", "123457"),
            // Length-prefixed fields: moving bytes from one field to the next changes the hash.
            code_hash("secretp", "rg_1", "ann@x.example", "123456"),
            code_hash("secret", "prg_1ann@x.example", "", "123456"),
        ] {
            assert_ne!(h, other);
        }
        assert!(!h.contains("123456"), "the code is not in its hash");
    }

    #[test]
    fn a_typed_code_matches_with_any_whitespace_and_in_any_address_case() {
        let stored = code_hash("secret", "prg_1", "ann@x.example", "012345");
        let matches = |typed: &str| code_matches("secret", "prg_1", "ann@x.example", typed, &stored);
        for typed in ["012345", " 012345 ", "012 345", "0 1 2 3 4 5", "\t012345\n", "012\u{a0}345"] {
            assert!(matches(typed), "{typed:?}");
        }
        assert!(code_matches("secret", "prg_1", "ANN@x.example", "012345", &stored));
        for typed in ["12345", "0123456", "", "012346", "12345 ", "01234a", "０１２３４５", "012-345", "+12345", "-12345"] {
            assert!(!matches(typed), "{typed:?}");
        }
        assert!(!code_matches("rotated", "prg_1", "ann@x.example", "012345", &stored));
        assert!(!code_matches("secret", "prg_2", "ann@x.example", "012345", &stored));
        assert!(!code_matches("secret", "prg_1", "bob@x.example", "012345", &stored));
        assert!(!code_matches("secret", "prg_1", "ann@x.example", "012345", ""), "nothing stored");
        assert!(!code_matches("secret", "prg_1", "ann@x.example", "012345", &stored.to_uppercase()));
    }

    /// What was stored is checked for its shape too: a hash of anything but six digits
    /// (which nothing stores, but a bug might) is never matched.
    #[test]
    fn a_code_of_the_wrong_shape_never_matches_even_its_own_hash() {
        for typed in ["12345", "1234567", "abcdef", "12345a", "", "１２３４５６"] {
            let stored = code_hash("secret", "prg_1", "ann@x.example", typed);
            assert!(!code_matches("secret", "prg_1", "ann@x.example", typed, &stored), "{typed:?}");
        }
    }

    #[test]
    fn the_session_cookie_is_the_program_portals_only_and_never_scripts() {
        assert_eq!(session_cookie("pub_1", "tok.en", 2_592_000, true), "edgeref_portal=tok.en; Path=/portal/pub_1; Max-Age=2592000; HttpOnly; SameSite=Lax; Secure");
        assert_eq!(session_cookie("pub_1", "", 0, false), "edgeref_portal=; Path=/portal/pub_1; Max-Age=0; HttpOnly; SameSite=Lax");
    }

    #[test]
    fn the_cookie_is_secure_except_over_plain_http_on_this_machine() {
        assert!(!needs_secure("http", "localhost"));
        assert!(!needs_secure("http", "127.0.0.1"));
        for (scheme, host) in [("https", "localhost"), ("https", "127.0.0.1"), ("http", "shop.example"), ("https", "shop.example"), ("http", "localhost.shop.example"), ("http", "0.0.0.0")] {
            assert!(needs_secure(scheme, host), "{scheme}://{host}");
        }
    }

    proptest! {
        #[test]
        fn six_digits_are_always_six_ascii_digits(random in any::<u64>()) {
            let code = six_digits(random);
            prop_assert_eq!(code.len(), 6);
            prop_assert!(code.bytes().all(|b| b.is_ascii_digit()));
            prop_assert_eq!(code.parse::<u64>().unwrap(), random % 1_000_000);
        }

        #[test]
        fn a_code_matches_its_own_hash_only(random in any::<u64>(), other in any::<u64>(), address in "[A-Za-z0-9.]{1,20}@[A-Za-z]{1,10}\\.example") {
            let code = six_digits(random);
            let stored = code_hash("secret", "prg_1", &address, &code);
            prop_assert!(code_matches("secret", "prg_1", &address.to_uppercase(), &code, &stored));
            let spaced = format!(" {} {} ", &code[..3], &code[3..]);
            prop_assert!(code_matches("secret", "prg_1", &address.to_lowercase(), &spaced, &stored));
            let typed = six_digits(other);
            prop_assert_eq!(code_matches("secret", "prg_1", &address, &typed, &stored), typed == code);
        }
    }
}
