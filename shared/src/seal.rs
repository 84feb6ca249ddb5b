//! Sealing third-party secrets (Stripe signing secrets, MailerLite tokens) for
//! storage in D1: AES-256-GCM under a key only the Worker holds, so a leaked
//! database dump does not leak them.

use aes_gcm::aead::{Aead, KeyInit};
use aes_gcm::{Aes256Gcm, Nonce};
use base64::{engine::general_purpose::STANDARD, Engine};
use sha2::{Digest, Sha256};

/// Derives the sealing key from the Worker's secret (`SECRETS_KEY`, or the
/// admin token when that is not set), with a label so the key is used for nothing else.
pub fn key_from_secret(secret: &str) -> [u8; 32] {
    Sha256::new().chain_update(b"edgeref/seal/v1\0").chain_update(secret.as_bytes()).finalize().into()
}

/// `v1.` + base64(nonce ‖ ciphertext ‖ tag). The nonce must be fresh random bytes.
///
/// ```
/// use edgeref_shared::seal::{key_from_secret, open, seal};
/// let key = key_from_secret("worker secret");
/// let sealed = seal(&key, &[7; 12], "whsec_abc");
/// assert_eq!(open(&key, &sealed).as_deref(), Some("whsec_abc"));
/// assert_eq!(open(&key_from_secret("other"), &sealed), None);
/// ```
pub fn seal(key: &[u8; 32], nonce: &[u8; 12], plaintext: &str) -> String {
    let cipher = Aes256Gcm::new(key.into());
    let ciphertext = cipher.encrypt(Nonce::from_slice(nonce), plaintext.as_bytes()).expect("AES-GCM encrypts any length we store");
    let mut out = nonce.to_vec();
    out.extend_from_slice(&ciphertext);
    format!("v1.{}", STANDARD.encode(out))
}

/// The plaintext, or `None` if the value was not sealed with this key or was altered.
pub fn open(key: &[u8; 32], sealed: &str) -> Option<String> {
    let bytes = STANDARD.decode(sealed.strip_prefix("v1.")?).ok()?;
    if bytes.len() < 12 + 16 {
        return None;
    }
    let (nonce, ciphertext) = bytes.split_at(12);
    let plain = Aes256Gcm::new(key.into()).decrypt(Nonce::from_slice(nonce), ciphertext).ok()?;
    String::from_utf8(plain).ok()
}

/// Opens with the first key that fits, saying which (0 = the current key): during
/// a key rotation, values sealed under the previous key still open, and the
/// caller re-seals any that needed an older key.
///
/// ```
/// use edgeref_shared::seal::{key_from_secret, open_any, seal};
/// let (old, new) = (key_from_secret("old"), key_from_secret("new"));
/// let sealed = seal(&old, &[1; 12], "whsec_abc");
/// assert_eq!(open_any(&[new, old], &sealed), Some(("whsec_abc".to_owned(), 1)));
/// assert_eq!(open_any(&[new], &sealed), None);
/// ```
pub fn open_any(keys: &[[u8; 32]], sealed: &str) -> Option<(String, usize)> {
    keys.iter().enumerate().find_map(|(i, key)| open(key, sealed).map(|plain| (plain, i)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn tampering_and_garbage_fail_closed() {
        let key = key_from_secret("k");
        let sealed = seal(&key, &[1; 12], "secret");
        let mut bytes = STANDARD.decode(&sealed[3..]).unwrap();
        bytes[20] ^= 1;
        assert_eq!(open(&key, &format!("v1.{}", STANDARD.encode(bytes))), None);
        for bad in ["", "v1.", "v1.!!!", "v2.AAAA", "secret"] {
            assert_eq!(open(&key, bad), None, "{bad}");
        }
        assert!(!sealed.contains("secret"));
    }

    proptest! {
        #[test]
        fn a_value_sealed_under_either_key_opens_during_rotation(secret in "\\PC{0,100}", old in "\\PC{1,40}", new in "\\PC{1,40}") {
            prop_assume!(old != new);
            let (old, new) = (key_from_secret(&old), key_from_secret(&new));
            prop_assert_eq!(open_any(&[new, old], &seal(&old, &[3; 12], &secret)), Some((secret.clone(), 1)));
            prop_assert_eq!(open_any(&[new, old], &seal(&new, &[4; 12], &secret)), Some((secret.clone(), 0)));
            prop_assert_eq!(open_any(&[new], &seal(&old, &[5; 12], &secret)), None);
        }

        #[test]
        fn seal_round_trips(secret in "\\PC{0,200}", nonce in any::<[u8; 12]>(), k in "\\PC{1,40}") {
            let key = key_from_secret(&k);
            prop_assert_eq!(open(&key, &seal(&key, &nonce, &secret)), Some(secret));
        }
    }
}
