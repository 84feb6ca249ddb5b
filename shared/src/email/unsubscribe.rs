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
