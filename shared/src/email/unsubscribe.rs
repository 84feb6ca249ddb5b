//! The one-click unsubscribe link (`/u/{token}`, RFC 8058): names a program and
//! an address, signed so nobody can unsubscribe someone else by editing it.
//! `{program}.{address}.{signature}`, each part base64url; signed, not secret.

use crate::apikey::constant_time_eq;
use alloc::string::String;
use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine};
use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};

/// The key for a Worker secret, labelled apart from every other key made from it.
pub fn key_from_secret(secret: &str) -> [u8; 32] {
    Sha256::new().chain_update(b"edgeref/unsubscribe/v1\0").chain_update(secret.as_bytes()).finalize().into()
}

fn signature(key: &[u8; 32], program_id: &str, address: &str) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(key).expect("HMAC takes keys of any length");
    for field in [program_id.as_bytes(), address.as_bytes()] {
        mac.update(&(field.len() as u64).to_be_bytes());
        mac.update(field);
    }
    URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes())
}

/// The token for `address` (lower-cased: one address, one suppression) in `program_id`.
pub fn token(key: &[u8; 32], program_id: &str, address: &str) -> String {
    let address = address.to_lowercase();
    alloc::format!("{}.{}.{}", URL_SAFE_NO_PAD.encode(program_id), URL_SAFE_NO_PAD.encode(&address), signature(key, program_id, &address))
}

/// The program and address a genuine token names.
pub fn verify(key: &[u8; 32], token: &str) -> Option<(String, String)> {
    if token.len() > 1024 {
        return None;
    }
    let mut parts = token.split('.');
    let (program, address, _sig) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() {
        return None;
    }
    let text = |part: &str| URL_SAFE_NO_PAD.decode(part).ok().and_then(|b| String::from_utf8(b).ok()).filter(|s| !s.is_empty());
    let (program, address) = (text(program)?, text(address)?);
    constant_time_eq(token.as_bytes(), self::token(key, &program, &address).as_bytes()).then_some((program, address))
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::format;
    use proptest::prelude::*;

    fn key() -> [u8; 32] {
        key_from_secret("secret")
    }

    #[test]
    fn a_token_names_its_program_and_the_address_lower_cased() {
        let t = token(&key(), "prg_1", "Ann.Lee@Example.COM");
        assert_eq!(verify(&key(), &t), Some(("prg_1".into(), "ann.lee@example.com".into())));
        assert_eq!(t, token(&key(), "prg_1", "ann.lee@example.com"), "one address, one token");
        let (program, rest) = t.split_once('.').unwrap();
        let (address, signature) = rest.split_once('.').unwrap();
        assert_eq!((program, address), ("cHJnXzE", "YW5uLmxlZUBleGFtcGxlLmNvbQ"), "readable, not secret");
        assert_eq!(signature.len(), 43, "an HMAC-SHA256, base64url without padding");
        assert!(t.bytes().all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b)), "safe in a URL path as it is: {t}");
        assert_eq!(verify(&key(), &token(&key(), "prg_1", "ÉLODIE@X.EXAMPLE")), Some(("prg_1".into(), "élodie@x.example".into())));
    }

    #[test]
    fn another_secret_another_program_or_another_address_gives_another_token() {
        let t = token(&key(), "prg_1", "ann@x.example");
        assert_eq!(verify(&key_from_secret("rotated"), &t), None);
        assert_ne!(t, token(&key_from_secret("rotated"), "prg_1", "ann@x.example"));
        assert_ne!(t, token(&key(), "prg_2", "ann@x.example"));
        assert_ne!(t, token(&key(), "prg_1", "bob@x.example"));
        assert_ne!(key_from_secret("a"), key_from_secret("b"));
        assert_ne!(key(), crate::portal::key_from_secret("secret"), "not the portal token key");
        assert_ne!(key(), crate::portal::session_key_from_secret("secret"), "not the portal session key");
        assert_ne!(key(), crate::session::key_from_admin_token("secret"), "not the dashboard session key");
    }

    #[test]
    fn parts_cannot_be_swapped_or_moved_under_a_signature() {
        let t = token(&key(), "prg_1", "ann@x.example");
        let sig = t.rsplit('.').next().unwrap();
        let b = |s: &str| URL_SAFE_NO_PAD.encode(s);
        for forged in [
            format!("{}.{}.{sig}", b("prg_2"), b("ann@x.example")),
            format!("{}.{}.{sig}", b("prg_1"), b("bob@x.example")),
            format!("{}.{}.{sig}", b("prg_1"), b("ANN@x.example")),
            format!("{}.{}.{sig}", b("prg_1ann@x"), b(".example")),
            format!("{}.{}.{sig}", b("ann@x.example"), b("prg_1")),
        ] {
            assert_eq!(verify(&key(), &forged), None, "{forged}");
        }
        // The length prefixes: the same bytes split elsewhere sign differently.
        assert_ne!(token(&key(), "ab", "c@x.example").rsplit('.').next(), token(&key(), "a", "bc@x.example").rsplit('.').next());
    }

    #[test]
    fn malformed_tokens_are_refused_without_panicking() {
        let t = token(&key(), "prg_1", "ann@x.example");
        let (head, sig) = t.rsplit_once('.').unwrap();
        let long = "a".repeat(5000);
        for bad in [
            String::new(), ".".into(), "..".into(), "...".into(), format!("{t}."), format!("{t}.x"), format!(".{t}"), format!("{t}="), format!("{head}.{sig}=="),
            head.to_string(), format!("{head}."), format!("{head}.{}", &sig[1..]), sig.into(), format!("{}.{sig}", head.split('.').next().unwrap()),
            format!("//8.YW5u.{sig}"), t.replace('.', ","), t.to_uppercase(), format!(" {t}"), format!("{t}\n"), long,
        ] {
            assert_eq!(verify(&key(), &bad), None, "{bad:?}");
        }
    }

    /// A token for an empty program or address is never genuine: there is nothing to unsubscribe from.
    #[test]
    fn a_token_for_nothing_is_refused() {
        for (program, address) in [("", "ann@x.example"), ("prg_1", ""), ("", "")] {
            let t = token(&key(), program, address);
            assert_eq!(verify(&key(), &t), None, "{t}");
        }
    }

    #[test]
    fn a_token_of_exactly_1024_bytes_verifies_one_longer_does_not() {
        // base64 skips some lengths; a program id of 1 or 2 characters fills the gaps.
        let sized = |len: usize| {
            (1..=3)
                .flat_map(|p| (1..800).map(move |a| ("p".repeat(p), format!("{}@x.example", "a".repeat(a)))))
                .find(|(p, a)| token(&key(), p, a).len() == len)
                .unwrap()
        };
        let (p, a) = sized(1024);
        assert_eq!(verify(&key(), &token(&key(), &p, &a)), Some((p, a)));
        let (p, a) = sized(1025);
        assert_eq!(verify(&key(), &token(&key(), &p, &a)), None);
        let long = token(&key(), "prg_1", &format!("{}@x.example", "a".repeat(1500)));
        assert_eq!(verify(&key(), &long), None);
    }

    proptest! {
        #[test]
        fn any_token_verifies_to_its_program_and_lower_cased_address(program in "[a-z0-9_]{1,40}", address in "\\PC{1,80}") {
            let t = token(&key(), &program, &address);
            prop_assume!(t.len() <= 1024);
            prop_assert_eq!(verify(&key(), &t), Some((program.clone(), address.to_lowercase())));
            prop_assert_eq!(verify(&key_from_secret("other"), &t), None);
        }

        #[test]
        fn any_changed_byte_is_refused(program in "prg_[a-z0-9]{1,20}", address in "[A-Za-z0-9._+-]{1,30}@[a-z]{1,10}\\.example", at in any::<prop::sample::Index>(), byte in any::<u8>()) {
            let t = token(&key(), &program, &address);
            let mut bytes = t.clone().into_bytes();
            let i = at.index(bytes.len());
            prop_assume!(bytes[i] != byte);
            bytes[i] = byte;
            prop_assert_eq!(verify(&key(), &String::from_utf8_lossy(&bytes)), None);
        }

        #[test]
        fn different_programs_or_addresses_have_different_tokens(p1 in "[a-z0-9_]{1,12}", p2 in "[a-z0-9_]{1,12}", a1 in "[a-z0-9.@]{1,20}", a2 in "[a-z0-9.@]{1,20}") {
            prop_assume!((&p1, &a1) != (&p2, &a2));
            prop_assert_ne!(token(&key(), &p1, &a1), token(&key(), &p2, &a2));
        }

        #[test]
        fn verify_never_panics(t in ".{0,300}") {
            let _ = verify(&key(), &t);
        }
    }
}
