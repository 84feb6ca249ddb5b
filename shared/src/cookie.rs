//! The first-party attribution cookie `edgeref_ref`: its lifetime, flags, and
//! whether a visit may overwrite it.

use crate::tracking::{Attribution, CookieLifetime, TrackingSettings};
use crate::ReferralCode;
use alloc::string::String;

pub const NAME: &str = "edgeref_ref";
/// Companion cookie holding the id of the visit that set `edgeref_ref`, so a
/// signup can name its visit and the Worker can check the window.
pub const VISIT_NAME: &str = "edgeref_vid";
const DAY_SECS: u32 = 86_400;
/// Browsers cap cookie lifetime at 400 days (RFC 6265bis), so "lifetime" is 400
/// days renewed on every visit.
pub const BROWSER_MAX_DAYS: u32 = 400;

/// Max-Age in seconds. N days beyond the browser cap are capped too: asking for
/// more would only be silently shortened by the browser.
///
/// ```
/// use edgeref_shared::{cookie, CookieLifetime};
/// assert_eq!(cookie::max_age_secs(CookieLifetime::Days(30)), 2_592_000);
/// assert_eq!(cookie::max_age_secs(CookieLifetime::Lifetime), 34_560_000);
/// ```
pub fn max_age_secs(lifetime: CookieLifetime) -> u32 {
    let days = match lifetime {
        CookieLifetime::Days(d) => (d as u32).min(BROWSER_MAX_DAYS),
        CookieLifetime::Lifetime => BROWSER_MAX_DAYS,
    };
    days * DAY_SECS
}

/// What a page view does to the cookie.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CookieAction {
    /// Write this code with a fresh Max-Age.
    Set(ReferralCode),
    /// Leave the cookie as it is.
    Keep,
}

/// Decides the cookie given the code already stored and the one in the URL.
///
/// * last click: a code in the URL replaces the stored one;
/// * first click: the stored code stays until it expires (the same code again
///   renews it);
/// * lifetime cookies are renewed on every visit, with or without a code in the URL.
pub fn decide(existing: Option<&ReferralCode>, from_url: Option<&ReferralCode>, settings: &TrackingSettings) -> CookieAction {
    let winner = match (existing, from_url, settings.attribution) {
        (_, Some(new), Attribution::LastClick) | (None, Some(new), _) => Some(new),
        (Some(old), Some(new), Attribution::FirstClick) if old == new => Some(new),
        (Some(old), _, _) if settings.cookie == CookieLifetime::Lifetime => Some(old),
        _ => None,
    };
    winner.map_or(CookieAction::Keep, |c| CookieAction::Set(c.clone()))
}

/// The `document.cookie` / `Set-Cookie` string: `Path=/; SameSite=Lax`, `Secure`
/// on https, and `Domain=` when the program shares the cookie across subdomains
/// (the Worker derives it: `TrackingSettings::effective_cookie_domain`).
///
/// ```
/// use edgeref_shared::{cookie, ReferralCode, CookieLifetime};
/// let c = ReferralCode::parse("abc").unwrap();
/// assert_eq!(cookie::set_string(&c, CookieLifetime::Days(1), true, None),
///            "edgeref_ref=abc; Max-Age=86400; Path=/; SameSite=Lax; Secure");
/// ```
pub fn set_string(code: &ReferralCode, lifetime: CookieLifetime, secure: bool, domain: Option<&str>) -> String {
    named_string(NAME, code.as_str(), max_age_secs(lifetime), secure, domain)
}

/// Any of our cookies with the flags `set_string` documents; Max-Age 0 deletes it.
pub fn named_string(name: &str, value: &str, max_age: u32, secure: bool, domain: Option<&str>) -> String {
    let mut s = String::with_capacity(96);
    for part in [name, "=", value, "; Max-Age="] {
        s.push_str(part);
    }
    push_u32(&mut s, max_age);
    s.push_str("; Path=/; SameSite=Lax");
    if let Some(d) = domain {
        s.push_str("; Domain=");
        s.push_str(d);
    }
    if secure {
        s.push_str("; Secure");
    }
    s
}

/// The string that deletes a cookie of ours (used when the Worker says a code is invalid).
pub fn delete_string(name: &str, domain: Option<&str>) -> String {
    named_string(name, "", 0, false, domain)
}

/// Reads our cookie out of a `document.cookie` / `Cookie` header string.
pub fn read(cookie_header: &str) -> Option<ReferralCode> {
    read_named(cookie_header, NAME).and_then(|v| ReferralCode::parse_bytes(v.as_bytes()))
}

/// The raw value of one cookie in a `document.cookie` / `Cookie` header string.
pub fn read_named<'a>(cookie_header: &'a str, name: &str) -> Option<&'a str> {
    // Scanned as bytes (the snippet is smaller without `str` searching); the
    // value found is then taken from the header by its offset.
    let value = cookie_header.as_bytes().split(|b| *b == b';').find_map(|pair| pair.trim_ascii().strip_prefix(name.as_bytes())?.strip_prefix(b"="))?;
    let start = value.as_ptr() as usize - cookie_header.as_ptr() as usize;
    cookie_header.get(start..start + value.len())
}

/// Decimal without `core::fmt`, which would cost the snippet kilobytes.
fn push_u32(s: &mut String, n: u32) {
    // Most significant digit first; no indexing, so no panic path in the snippet.
    if n >= 10 {
        push_u32(s, n / 10);
    }
    s.push(char::from(b'0' + (n % 10) as u8));
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tracking::{Attribution::*, CookieLifetime::*};
    use proptest::prelude::*;

    fn c(s: &str) -> ReferralCode {
        ReferralCode::parse(s).unwrap()
    }
    fn settings(attribution: Attribution, cookie: CookieLifetime) -> TrackingSettings {
        TrackingSettings { attribution, cookie, ..Default::default() }
    }

    #[test]
    fn max_age() {
        assert_eq!(max_age_secs(Days(1)), 86_400);
        assert_eq!(max_age_secs(Days(400)), 400 * 86_400);
        assert_eq!(max_age_secs(Days(3650)), 400 * 86_400);
        assert_eq!(max_age_secs(Lifetime), 400 * 86_400);
    }

    #[test]
    fn last_click_replaces_first_click_keeps() {
        let (a, b) = (c("a"), c("b"));
        let last = settings(LastClick, Days(30));
        let first = settings(FirstClick, Days(30));
        assert_eq!(decide(None, Some(&a), &last), CookieAction::Set(a.clone()));
        assert_eq!(decide(Some(&a), Some(&b), &last), CookieAction::Set(b.clone()));
        assert_eq!(decide(None, Some(&b), &first), CookieAction::Set(b.clone()));
        assert_eq!(decide(Some(&a), Some(&b), &first), CookieAction::Keep);
        assert_eq!(decide(Some(&a), Some(&a), &first), CookieAction::Set(a.clone()));
        assert_eq!(decide(Some(&a), None, &last), CookieAction::Keep);
        assert_eq!(decide(None, None, &last), CookieAction::Keep);
    }

    #[test]
    fn lifetime_cookies_renew_on_every_visit() {
        let a = c("a");
        for attribution in [LastClick, FirstClick] {
            assert_eq!(decide(Some(&a), None, &settings(attribution, Lifetime)), CookieAction::Set(a.clone()));
        }
        assert_eq!(decide(Some(&a), Some(&c("b")), &settings(FirstClick, Lifetime)), CookieAction::Set(a.clone()));
    }

    #[test]
    fn cookie_strings() {
        assert_eq!(set_string(&c("abc"), Days(30), false, None), "edgeref_ref=abc; Max-Age=2592000; Path=/; SameSite=Lax");
        assert_eq!(
            set_string(&c("abc"), Lifetime, true, Some("example.com")),
            "edgeref_ref=abc; Max-Age=34560000; Path=/; SameSite=Lax; Domain=example.com; Secure"
        );
        assert_eq!(delete_string(NAME, None), "edgeref_ref=; Max-Age=0; Path=/; SameSite=Lax");
        assert_eq!(read_named("edgeref_vid=v_1; edgeref_ref=a", VISIT_NAME), Some("v_1"));
        assert_eq!(read("a=1; edgeref_ref=XyZ; b=2"), Some(c("xyz")));
        assert_eq!(read("edgeref_ref="), None);
        assert_eq!(read("xedgeref_ref=abc"), None);
        assert_eq!(read(""), None);
    }

    proptest! {
        #[test]
        fn push_u32_matches_display(n in any::<u32>()) {
            let mut s = String::new();
            push_u32(&mut s, n);
            prop_assert_eq!(s, n.to_string());
        }

        #[test]
        fn read_named_agrees_with_splitting(pairs in proptest::collection::vec(("[a-z_]{0,12}", "[ -:<-~é]{0,12}"), 0..6), name in "[a-z_]{1,12}") {
            let header = pairs.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join("; ");
            let expected = header.split(';').find_map(|kv| kv.trim_ascii().strip_prefix(name.as_str())?.strip_prefix('='));
            prop_assert_eq!(read_named(&header, &name), expected);
        }

        #[test]
        fn cookie_string_reads_back(raw in "[A-Za-z0-9_-]{1,64}", days in 1u16..=3650, secure in any::<bool>()) {
            let code = c(&raw);
            let s = set_string(&code, Days(days), secure, None);
            prop_assert_eq!(read(s.split(';').next().unwrap()), Some(code));
        }
    }
}
