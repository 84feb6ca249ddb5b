//! Webhook signatures: Standard Webhooks (what Edgeref sends), and what Edgeref receives:
//! Stripe's `Stripe-Signature`, Paddle Billing's `Paddle-Signature` and Lemon Squeezy's
//! `X-Signature`. All HMAC-SHA256 over the raw body.

use crate::apikey::{constant_time_eq, hex};
use base64::{engine::general_purpose::STANDARD, Engine};
use hmac::{Hmac, Mac};
use sha2::Sha256;

type HmacSha256 = Hmac<Sha256>;

/// How far a signed timestamp may be from now, both specs' default (5 minutes).
pub const TOLERANCE_SECS: i64 = 300;
pub const SECRET_PREFIX: &str = "whsec_";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SignatureError {
    /// The secret is not `whsec_` + base64.
    BadSecret,
    /// A header is missing or not in the spec's format.
    MalformedHeader,
    /// The timestamp is outside the tolerance window (replay protection).
    TimestampOutOfTolerance,
    /// No signature in the header matches.
    Mismatch,
}

/// A new endpoint secret from 24 bytes of CSPRNG output: `whsec_` + base64.
pub fn new_secret(random: &[u8; 24]) -> String {
    format!("{SECRET_PREFIX}{}", STANDARD.encode(random))
}

fn secret_key(secret: &str) -> Result<Vec<u8>, SignatureError> {
    STANDARD.decode(secret.strip_prefix(SECRET_PREFIX).unwrap_or(secret)).map_err(|_| SignatureError::BadSecret)
}

fn hmac(key: &[u8], parts: &[&[u8]]) -> [u8; 32] {
    let mut mac = HmacSha256::new_from_slice(key).expect("HMAC takes keys of any length");
    parts.iter().for_each(|p| mac.update(p));
    mac.finalize().into_bytes().into()
}

/// The `webhook-signature` value for a message: `v1,<base64 HMAC-SHA256 of "{id}.{timestamp}.{body}">`.
///
/// ```
/// use edgeref_shared::signature::sign_webhook;
/// // The Standard Webhooks specification's test vector.
/// let sig = sign_webhook("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "msg_p5jXN8AQM9LWM0D4loKWxJek",
///                        1614265330, br#"{"test": 2432232314}"#).unwrap();
/// assert_eq!(sig, "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
/// ```
pub fn sign_webhook(secret: &str, msg_id: &str, timestamp: i64, body: &[u8]) -> Result<String, SignatureError> {
    let key = secret_key(secret)?;
    let ts = timestamp.to_string();
    let mac = hmac(&key, &[msg_id.as_bytes(), b".", ts.as_bytes(), b".", body]);
    Ok(format!("v1,{}", STANDARD.encode(mac)))
}

/// Verifies a Standard Webhooks message as a receiver would: timestamp within
/// tolerance and any of the space-separated `v1,` signatures matching.
pub fn verify_webhook(
    secret: &str,
    msg_id: &str,
    timestamp: &str,
    signatures: &str,
    body: &[u8],
    now_secs: i64,
) -> Result<(), SignatureError> {
    let ts: i64 = timestamp.parse().map_err(|_| SignatureError::MalformedHeader)?;
    if (now_secs - ts).abs() > TOLERANCE_SECS {
        return Err(SignatureError::TimestampOutOfTolerance);
    }
    let expected = sign_webhook(secret, msg_id, ts, body)?;
    let found = signatures
        .split(' ')
        .filter(|s| s.starts_with("v1,"))
        .any(|s| constant_time_eq(s.as_bytes(), expected.as_bytes()));
    found.then_some(()).ok_or(SignatureError::Mismatch)
}

/// The `Stripe-Signature` header Stripe would send (`t=…,v1=hex`); for tests and fakes.
pub fn sign_stripe(secret: &str, timestamp: i64, body: &[u8]) -> String {
    let ts = timestamp.to_string();
    format!("t={ts},v1={}", hex(&hmac(secret.as_bytes(), &[ts.as_bytes(), b".", body])))
}

/// Verifies a `Stripe-Signature` header over the raw body: Stripe keys the
/// HMAC with the whole `whsec_…` string, signs `"{t}.{body}"`, and may send
/// several `v1` signatures while secrets roll. Returns the signed timestamp.
///
/// ```
/// use edgeref_shared::signature::{sign_stripe, verify_stripe};
/// let header = sign_stripe("whsec_test", 1_700_000_000, b"{}");
/// assert_eq!(verify_stripe("whsec_test", &header, b"{}", 1_700_000_100), Ok(1_700_000_000));
/// assert!(verify_stripe("whsec_other", &header, b"{}", 1_700_000_100).is_err());
/// ```
pub fn verify_stripe(secret: &str, header: &str, body: &[u8], now_secs: i64) -> Result<i64, SignatureError> {
    verify_timestamped(secret, header, Scheme { separator: ',', timestamp: "t", signature: "v1", joiner: b"." }, body, now_secs)
}

/// How a provider writes a timestamped signature header: `t=…,v1=…` (Stripe), `ts=…;h1=…` (Paddle).
struct Scheme {
    separator: char,
    timestamp: &'static str,
    signature: &'static str,
    /// Between the timestamp and the body in what is signed.
    joiner: &'static [u8],
}

/// Any of the header's signatures (several while secrets roll) is the hex HMAC-SHA256, keyed with
/// the secret string, of `"{ts}{joiner}{body}"`, and the timestamp is within tolerance.
fn verify_timestamped(secret: &str, header: &str, scheme: Scheme, body: &[u8], now_secs: i64) -> Result<i64, SignatureError> {
    let mut ts = None;
    let mut sigs = Vec::new();
    for item in header.split(scheme.separator) {
        match item.trim().split_once('=') {
            Some((k, t)) if k == scheme.timestamp => ts = Some(t.parse::<i64>().map_err(|_| SignatureError::MalformedHeader)?),
            Some((k, s)) if k == scheme.signature => sigs.push(s),
            _ => {}
        }
    }
    let ts = ts.ok_or(SignatureError::MalformedHeader)?;
    if sigs.is_empty() {
        return Err(SignatureError::MalformedHeader);
    }
    if (now_secs - ts).abs() > TOLERANCE_SECS {
        return Err(SignatureError::TimestampOutOfTolerance);
    }
    let expected = hex(&hmac(secret.as_bytes(), &[ts.to_string().as_bytes(), scheme.joiner, body]));
    sigs.iter().any(|s| constant_time_eq(s.as_bytes(), expected.as_bytes())).then_some(ts).ok_or(SignatureError::Mismatch)
}

/// The `Paddle-Signature` header Paddle would send (`ts=…;h1=hex`); for tests and fakes.
pub fn sign_paddle(secret: &str, timestamp: i64, body: &[u8]) -> String {
    let ts = timestamp.to_string();
    format!("ts={ts};h1={}", hex(&hmac(secret.as_bytes(), &[ts.as_bytes(), b":", body])))
}

/// Verifies a Paddle Billing `Paddle-Signature` header (`ts=…;h1=…`, several `h1` while
/// secrets roll): HMAC-SHA256 keyed with the endpoint's secret key over `"{ts}:{raw body}"`,
/// the timestamp within 5 minutes. Returns the signed timestamp.
///
/// ```
/// use edgeref_shared::signature::{sign_paddle, verify_paddle};
/// let header = sign_paddle("pdl_ntfset_x", 1_700_000_000, b"{}");
/// assert_eq!(verify_paddle("pdl_ntfset_x", &header, b"{}", 1_700_000_100), Ok(1_700_000_000));
/// ```
pub fn verify_paddle(secret: &str, header: &str, body: &[u8], now_secs: i64) -> Result<i64, SignatureError> {
    verify_timestamped(secret, header, Scheme { separator: ';', timestamp: "ts", signature: "h1", joiner: b":" }, body, now_secs)
}

/// The `X-Signature` header Lemon Squeezy would send: hex HMAC-SHA256 of the raw body.
pub fn sign_lemonsqueezy(secret: &str, body: &[u8]) -> String {
    hex(&hmac(secret.as_bytes(), &[body]))
}

/// Verifies Lemon Squeezy's `X-Signature` (hex HMAC-SHA256 of the raw body, keyed with the
/// webhook's signing secret). Lemon Squeezy signs no timestamp.
pub fn verify_lemonsqueezy(secret: &str, header: &str, body: &[u8]) -> Result<(), SignatureError> {
    let header = header.trim();
    if header.is_empty() {
        return Err(SignatureError::MalformedHeader);
    }
    constant_time_eq(header.to_ascii_lowercase().as_bytes(), sign_lemonsqueezy(secret, body).as_bytes()).then_some(()).ok_or(SignatureError::Mismatch)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
    const ID: &str = "msg_p5jXN8AQM9LWM0D4loKWxJek";
    const BODY: &[u8] = br#"{"test": 2432232314}"#;
    const TS: i64 = 1614265330;

    #[test]
    fn standard_webhooks_vector_verifies() {
        let sig = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=";
        assert_eq!(verify_webhook(SECRET, ID, "1614265330", sig, BODY, TS), Ok(()));
        // Several signatures (secret rotation): any one matching is enough.
        let many = format!("v1,bm90IGl0 {sig} v2,ignored");
        assert_eq!(verify_webhook(SECRET, ID, "1614265330", &many, BODY, TS + 299), Ok(()));
        assert_eq!(verify_webhook(SECRET, ID, "1614265330", sig, b"{}", TS), Err(SignatureError::Mismatch));
        assert_eq!(verify_webhook(SECRET, "msg_other", "1614265330", sig, BODY, TS), Err(SignatureError::Mismatch));
        assert_eq!(
            verify_webhook(SECRET, ID, "1614265330", sig, BODY, TS + 301),
            Err(SignatureError::TimestampOutOfTolerance)
        );
        assert_eq!(verify_webhook(SECRET, ID, "soon", sig, BODY, TS), Err(SignatureError::MalformedHeader));
        assert_eq!(sign_webhook("whsec_***", ID, TS, BODY), Err(SignatureError::BadSecret));
    }

    #[test]
    fn stripe_vector_verifies() {
        // HMAC-SHA256("whsec_test_secret", "1700000000.{...}") computed independently.
        let body = br#"{"id":"evt_1","object":"event"}"#;
        let header = "t=1700000000,v1=0c8670ed117751cc551a20e35839447075c42800ea3cf3e8a2fbda99cd1e6edd";
        assert_eq!(sign_stripe("whsec_test_secret", 1_700_000_000, body), header);
        assert_eq!(verify_stripe("whsec_test_secret", header, body, 1_700_000_000), Ok(1_700_000_000));
        let rolled = format!("t=1700000000,v1=deadbeef,{},v0=abc", &header[13..]);
        assert_eq!(verify_stripe("whsec_test_secret", &rolled, body, 1_700_000_000), Ok(1_700_000_000));
        assert_eq!(verify_stripe("whsec_test_secret", header, b"{}", 1_700_000_000), Err(SignatureError::Mismatch));
        assert_eq!(
            verify_stripe("whsec_test_secret", header, body, 1_700_000_301),
            Err(SignatureError::TimestampOutOfTolerance)
        );
        for bad in ["", "v1=abc", "t=1700000000", "t=x,v1=abc"] {
            assert_eq!(verify_stripe("whsec_test_secret", bad, body, 1_700_000_000), Err(SignatureError::MalformedHeader), "{bad}");
        }
    }

    #[test]
    fn paddle_vector_verifies_within_five_minutes() {
        // HMAC-SHA256("pdl_ntfset_test", "1700000000:{body}") computed independently.
        let body = br#"{"event_type":"transaction.completed"}"#;
        let header = "ts=1700000000;h1=21ab166380fbb541a54f64df14c7b3bf8e18bcd535e34e51b1e84711824a5002";
        assert_eq!(sign_paddle("pdl_ntfset_test", 1_700_000_000, body), header);
        assert_eq!(verify_paddle("pdl_ntfset_test", header, body, 1_700_000_000), Ok(1_700_000_000));
        let rolled = "ts=1700000000;h1=deadbeef;h1=21ab166380fbb541a54f64df14c7b3bf8e18bcd535e34e51b1e84711824a5002";
        assert_eq!(verify_paddle("pdl_ntfset_test", rolled, body, 1_700_000_000), Ok(1_700_000_000));
        assert_eq!(verify_paddle("pdl_ntfset_test", header, b"{}", 1_700_000_000), Err(SignatureError::Mismatch), "tampered");
        assert_eq!(verify_paddle("pdl_ntfset_other", header, body, 1_700_000_000), Err(SignatureError::Mismatch));
        for now in [1_700_000_000 + TOLERANCE_SECS, 1_700_000_000 - TOLERANCE_SECS] {
            assert_eq!(verify_paddle("pdl_ntfset_test", header, body, now), Ok(1_700_000_000), "{now}");
        }
        for now in [1_700_000_000 + TOLERANCE_SECS + 1, 1_700_000_000 - TOLERANCE_SECS - 1] {
            assert_eq!(verify_paddle("pdl_ntfset_test", header, body, now), Err(SignatureError::TimestampOutOfTolerance), "stale: {now}");
        }
        for bad in ["", "h1=abc", "ts=1700000000", "ts=x;h1=abc", "t=1700000000,v1=abc"] {
            assert_eq!(verify_paddle("pdl_ntfset_test", bad, body, 1_700_000_000), Err(SignatureError::MalformedHeader), "{bad}");
        }
    }

    #[test]
    fn lemonsqueezy_vector_verifies() {
        // HMAC-SHA256("ls_secret", body), hex, computed independently.
        let body = br#"{"meta":{"event_name":"order_created"}}"#;
        let sig = "5d937ef635a85484d12a1c2c2232840f82a2632b89f4a6514dd6dfd883714df4";
        assert_eq!(sign_lemonsqueezy("ls_secret", body), sig);
        assert_eq!(verify_lemonsqueezy("ls_secret", sig, body), Ok(()));
        assert_eq!(verify_lemonsqueezy("ls_secret", &sig.to_ascii_uppercase(), body), Ok(()), "hex in either case");
        assert_eq!(verify_lemonsqueezy("ls_secret", &format!(" {sig} "), body), Ok(()));
        assert_eq!(verify_lemonsqueezy("ls_secret", sig, b"{}"), Err(SignatureError::Mismatch), "tampered");
        assert_eq!(verify_lemonsqueezy("ls_other", sig, body), Err(SignatureError::Mismatch));
        assert_eq!(verify_lemonsqueezy("ls_secret", "", body), Err(SignatureError::MalformedHeader));
        assert_eq!(verify_lemonsqueezy("ls_secret", &sig[1..], body), Err(SignatureError::Mismatch));
    }

    #[test]
    fn new_secret_is_whsec_then_base64_of_the_random_bytes() {
        assert_eq!(new_secret(&[0; 24]), "whsec_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA");
        assert_eq!(new_secret(&[0xff; 24]), format!("whsec_{}", "/".repeat(32)));
    }

    #[test]
    fn webhook_timestamp_exactly_at_tolerance_is_accepted() {
        let sig = sign_webhook(SECRET, ID, TS, BODY).unwrap();
        // The window is inclusive on both sides: 300 s late or early still verifies, 301 s does not.
        for now in [TS + TOLERANCE_SECS, TS - TOLERANCE_SECS] {
            assert_eq!(verify_webhook(SECRET, ID, "1614265330", &sig, BODY, now), Ok(()), "{now}");
        }
        for now in [TS + TOLERANCE_SECS + 1, TS - TOLERANCE_SECS - 1] {
            assert_eq!(verify_webhook(SECRET, ID, "1614265330", &sig, BODY, now), Err(SignatureError::TimestampOutOfTolerance), "{now}");
        }
    }

    #[test]
    fn stripe_timestamp_exactly_at_tolerance_is_accepted() {
        let header = sign_stripe("whsec_test", 1_700_000_000, b"{}");
        for now in [1_700_000_000 + TOLERANCE_SECS, 1_700_000_000 - TOLERANCE_SECS] {
            assert_eq!(verify_stripe("whsec_test", &header, b"{}", now), Ok(1_700_000_000), "{now}");
        }
        for now in [1_700_000_000 + TOLERANCE_SECS + 1, 1_700_000_000 - TOLERANCE_SECS - 1] {
            assert_eq!(verify_stripe("whsec_test", &header, b"{}", now), Err(SignatureError::TimestampOutOfTolerance), "{now}");
        }
    }

    proptest! {
        #[test]
        fn webhook_sign_then_verify(random in any::<[u8; 24]>(), id in "msg_[a-zA-Z0-9]{1,24}", ts in 0i64..4_000_000_000, body in proptest::collection::vec(any::<u8>(), 0..256)) {
            let secret = new_secret(&random);
            let sig = sign_webhook(&secret, &id, ts, &body).unwrap();
            prop_assert_eq!(verify_webhook(&secret, &id, &ts.to_string(), &sig, &body, ts), Ok(()));
            let mut tampered = body.clone();
            tampered.push(b' ');
            prop_assert_eq!(verify_webhook(&secret, &id, &ts.to_string(), &sig, &tampered, ts), Err(SignatureError::Mismatch));
        }
    }
}
