//! Input rules shared by the REST API and tracking, each naming the field it checks.

use crate::reward::MAX_AMOUNT;
use crate::ValidationError;

/// A trimmed email address: `local@domain.tld`, at most 254 characters, no
/// spaces or control characters. Deliverability is the merchant's business.
///
/// ```
/// use edgeref_shared::validate::email;
/// assert_eq!(email("email", " Ann@Example.com ").unwrap(), "Ann@Example.com");
/// assert!(email("email", "ann@localhost").is_err());
/// ```
pub fn email(field: &'static str, input: &str) -> Result<String, ValidationError> {
    let e = input.trim();
    let bad = || ValidationError::new(field, "must be an email address like name@example.com");
    if e.len() > 254 || e.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(bad());
    }
    let (local, domain) = e.rsplit_once('@').ok_or_else(bad)?;
    let domain_ok = domain.contains('.')
        && !domain.contains('@')
        && domain.split('.').all(|label| !label.is_empty() && label.len() <= 63);
    if local.is_empty() || local.len() > 64 || local.contains('@') || !domain_ok {
        return Err(bad());
    }
    Ok(e.to_owned())
}

/// A display name: trimmed, 1 to `max` characters, no control characters.
pub fn name(field: &'static str, input: &str, max: usize) -> Result<String, ValidationError> {
    let n = input.trim();
    if n.is_empty() || n.chars().count() > max || n.chars().any(char::is_control) {
        return Err(ValidationError::new(field, "must be non-empty printable text within the length limit"));
    }
    Ok(n.to_owned())
}

/// A merchant's own identifier for a customer or transaction: 1–128 of
/// `[A-Za-z0-9._@:+-]`, so it is safe in URL paths and logs.
pub fn key(field: &'static str, input: &str) -> Result<String, ValidationError> {
    let ok = |b: u8| b.is_ascii_alphanumeric() || b"._@:+-".contains(&b);
    if input.is_empty() || input.len() > 128 || !input.bytes().all(ok) {
        return Err(ValidationError::new(field, "must be 1 to 128 of A-Z a-z 0-9 . _ @ : + -"));
    }
    Ok(input.to_owned())
}

/// A Stripe customer id: `cus_` and 1 to 250 of A-Z a-z 0-9 _ (it becomes part of a Stripe URL path).
///
/// ```
/// use edgeref_shared::validate::stripe_customer_id;
/// assert_eq!(stripe_customer_id("stripe_customer_id", "cus_Q1w2E3").unwrap(), "cus_Q1w2E3");
/// assert!(stripe_customer_id("stripe_customer_id", "cus_../../v1/charges").is_err());
/// ```
pub fn stripe_customer_id(field: &'static str, input: &str) -> Result<String, ValidationError> {
    let rest = input.strip_prefix("cus_").unwrap_or("");
    if rest.is_empty() || rest.len() > 250 || !rest.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') {
        return Err(ValidationError::new(field, "must be a Stripe customer id, cus_…"));
    }
    Ok(input.to_owned())
}

/// A money amount in minor units: positive and at most 10^15.
pub fn amount(field: &'static str, value: i64) -> Result<i64, ValidationError> {
    if value <= 0 || value > MAX_AMOUNT {
        return Err(ValidationError::new(field, "must be a positive integer in minor units (at most 10^15)"));
    }
    Ok(value)
}

/// An ISO 4217-shaped currency code, returned in upper case.
pub fn currency(field: &'static str, input: &str) -> Result<String, ValidationError> {
    let code = input.to_ascii_uppercase();
    // `from_code` knows only three-letter codes, and upper-casing keeps the length.
    match iso_currency::Currency::from_code(&code) {
        Some(_) => Ok(code),
        _ => Err(ValidationError::new(field, "must be an ISO 4217 currency code like EUR")),
    }
}

/// An absolute http(s) URL with a host, at most 2048 characters, normalised by
/// the `url` crate (lowercase host, default port dropped).
#[cfg(feature = "server")]
pub fn http_url(field: &'static str, input: &str) -> Result<url::Url, ValidationError> {
    let bad = ValidationError::new(field, "must be an http or https URL");
    if input.len() > 2048 {
        return Err(bad);
    }
    let u = url::Url::parse(input.trim()).map_err(|_| bad.clone())?;
    if !matches!(u.scheme(), "http" | "https") || u.host_str().is_none_or(str::is_empty) || !u.username().is_empty() {
        return Err(bad);
    }
    Ok(u)
}

/// A webhook endpoint: https, or plain http to localhost when `allow_local_http`
/// (development), so events are never sent in clear over the internet.
///
/// ```
/// use edgeref_shared::validate::endpoint_url;
/// assert!(endpoint_url("url", "https://hooks.example/x", false).is_ok());
/// assert!(endpoint_url("url", "http://127.0.0.1:9000/", true).is_ok());
/// assert!(endpoint_url("url", "http://127.0.0.1:9000/", false).is_err());
/// ```
#[cfg(feature = "server")]
pub fn endpoint_url(field: &'static str, input: &str, allow_local_http: bool) -> Result<url::Url, ValidationError> {
    let url = http_url(field, input)?;
    let local = matches!(url.host_str(), Some("localhost" | "127.0.0.1" | "[::1]"));
    if url.scheme() == "https" || (local && allow_local_http) {
        Ok(url)
    } else {
        Err(ValidationError::new(field, "must use https"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn emails() {
        for ok in ["a@b.co", "first.last+tag@sub.example.org", "ÄNN@bücher.de"] {
            assert!(email("email", ok).is_ok(), "{ok}");
        }
        for bad in ["", "a", "@b.co", "a@", "a@b", "a b@c.de", "a@b..c", "a@b.c\0", "a@@b.co", &format!("{}@b.co", "a".repeat(65))] {
            assert_eq!(email("email", bad).unwrap_err().field, "email", "{bad:?}");
        }
    }

    #[test]
    fn names_keys_amounts_currencies() {
        assert_eq!(name("name", "  Ann ", 200).unwrap(), "Ann");
        assert!(name("name", "", 200).is_err());
        assert!(name("name", "a\u{0}b", 200).is_err());
        assert!(name("name", &"é".repeat(200), 200).is_ok());
        assert!(name("name", &"é".repeat(201), 200).is_err());
        assert!(name("name", "مرحبا 👋", 200).is_ok());
        assert!(key("key", "cus_123@x.com").is_ok());
        for bad in ["", "a b", "a/b", "a?b", "<script>", &"k".repeat(129)] {
            assert!(key("key", bad).is_err(), "{bad}");
        }
        assert!(amount("amount", 1).is_ok());
        for bad in [0, -1, i64::MIN, MAX_AMOUNT + 1, i64::MAX] {
            assert!(amount("amount", bad).is_err());
        }
        assert_eq!(currency("currency", "eur").unwrap(), "EUR");
        for bad in ["", "EU", "EURO", "E1R", "€€€", "XYZ", "ABC"] {
            assert!(currency("currency", bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn urls() {
        assert_eq!(http_url("u", "https://Shop.Example:443/a").unwrap().as_str(), "https://shop.example/a");
        for bad in ["", "shop.example", "ftp://a.b", "javascript:alert(1)", "https://user:pw@a.b", "http://", &format!("https://a.b/{}", "x".repeat(2048))] {
            assert_eq!(http_url("website_url", bad).unwrap_err().field, "website_url", "{bad}");
        }
    }

    #[test]
    fn endpoint_urls() {
        assert!(endpoint_url("url", "http://hooks.example/", true).is_err(), "http only to localhost");
        assert!(endpoint_url("url", "http://localhost/", true).is_ok());
        assert!(endpoint_url("url", "ftp://localhost/", true).is_err());
    }

    #[test]
    fn emails_of_up_to_254_characters_with_a_local_part_of_up_to_64_are_accepted() {
        let domain = format!("{}.{}.{}", "b".repeat(63), "c".repeat(63), "d".repeat(61));
        let longest = format!("{}@{domain}", "a".repeat(64));
        assert_eq!(longest.len(), 254);
        assert_eq!(email("email", &longest).unwrap(), longest);
        assert!(email("email", &format!("{longest}d")).is_err(), "255 characters");
        assert!(email("email", &format!("{}@b.co", "a".repeat(64))).is_ok());
    }

    #[test]
    fn keys_of_up_to_128_characters_are_accepted() {
        assert_eq!(key("key", &"k".repeat(128)).unwrap().len(), 128);
    }

    #[test]
    fn amounts_up_to_max_amount_are_accepted() {
        assert_eq!(amount("amount", MAX_AMOUNT), Ok(MAX_AMOUNT));
    }

    #[test]
    fn urls_of_up_to_2048_characters_are_accepted() {
        let longest = format!("https://a.b/{}", "x".repeat(2036));
        assert_eq!(longest.len(), 2048);
        assert_eq!(http_url("u", &longest).unwrap().as_str(), longest);
        assert!(http_url("u", &format!("{longest}x")).is_err());
    }

    proptest! {
        #[test]
        fn validators_never_panic(s in "\\PC{0,300}", n in any::<i64>()) {
            let _ = (email("e", &s), name("n", &s, 200), key("k", &s), currency("c", &s), http_url("u", &s), amount("a", n));
        }

        #[test]
        fn accepted_keys_are_url_path_safe(s in "[A-Za-z0-9._@:+-]{1,128}") {
            let k = key("key", &s).unwrap();
            prop_assert!(!k.contains('/') && !k.contains('?') && !k.contains('#'));
        }
    }
}
