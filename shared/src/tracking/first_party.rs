//! Where a program is first-party: the domain its cookies are shared on, which
//! hosts those cookies reach (CORS for `/t/*`, server-set cookies), and the
//! owner's overrides `tracking.cookie_domain` and `tracking.endpoint`.
//!
//! ```
//! use edgeref_shared::TrackingSettings;
//! let t = TrackingSettings::default();
//! assert_eq!(t.effective_cookie_domain("https://www.shop.co.uk/").as_deref(), Some("shop.co.uk"));
//! assert!(t.is_first_party("https://www.shop.co.uk/", "ref.shop.co.uk"));
//! assert!(!t.is_first_party("https://www.shop.co.uk/", "evil.co.uk"));
//! ```

use super::TrackingSettings;
use crate::domain::{canonical_host, domain_name, is_public_suffix, is_within, registrable_domain};
use crate::{validate, ValidationError};
use alloc::{borrow::ToOwned, string::String};

const COOKIE_DOMAIN_NOT_A_NAME: ValidationError = ValidationError::new("cookie_domain", "must be a domain name like shop.example");
const COOKIE_DOMAIN_NOT_THE_SITES: ValidationError =
    ValidationError::new("cookie_domain", "must be your website's host or a parent of it that is not a public suffix (like co.uk or github.io)");

impl TrackingSettings {
    /// The domain the referral cookies are shared on (`Domain=`): the override,
    /// else the registrable domain of the website's host (`www.shop.co.uk` →
    /// `shop.co.uk`), also when the site is that bare host, so a cookie the
    /// Worker sets from `ref.shop.co.uk` is the very cookie the snippet writes.
    /// `None` means host-only cookies: a site on an IP, `localhost` or a public
    /// suffix. An override the website is no longer under is ignored.
    pub fn effective_cookie_domain(&self, website_url: &str) -> Option<String> {
        let site = site_host(website_url)?;
        let usable_override = self.cookie_domain.as_ref().filter(|domain| shares_cookies_with(domain, &site));
        usable_override.cloned().or_else(|| registrable_domain(&site))
    }

    /// Whether a request to `host` (a page's origin, a beacon or redirect
    /// arriving on a first-party endpoint) is first-party for the program: the
    /// cookies it sets reach the website. That is `host` within the cookie
    /// domain (its registrable domain is the cookie domain, unless the owner
    /// chose a narrower one), or the website's own host when cookies are host-only.
    pub fn is_first_party(&self, website_url: &str, host: &str) -> bool {
        let Some(host) = canonical_host(host) else { return false };
        match self.effective_cookie_domain(website_url) {
            Some(domain) => is_within(&host, &domain),
            None => site_host(website_url).is_some_and(|site| site == host),
        }
    }

    /// Checks what depends on the website (call after `patched` and after a
    /// change of `website_url`): the cookie domain must be the website's host or
    /// a parent of it that is not a public suffix.
    pub fn validate_for_site(&self, website_url: &str) -> Result<(), ValidationError> {
        let Some(domain) = &self.cookie_domain else { return Ok(()) };
        match site_host(website_url) {
            Some(site) if shares_cookies_with(domain, &site) => Ok(()),
            _ => Err(COOKIE_DOMAIN_NOT_THE_SITES),
        }
    }
}

/// The canonical host of the website (`www.shop.co.uk`).
fn site_host(website_url: &str) -> Option<String> {
    canonical_host(url::Url::parse(website_url).ok()?.host_str()?)
}

/// Whether browsers accept `Domain={domain}` from `site`: the site is within it
/// and it has a registrable domain (no public suffix, IP or single label).
fn shares_cookies_with(domain: &str, site: &str) -> bool {
    is_within(site, domain) && registrable_domain(domain).is_some()
}

/// `tracking.cookie_domain` as stored: a canonical domain name; the leading dot
/// of the old `Domain=.shop.example` spelling is dropped.
///
/// ```
/// use edgeref_shared::tracking::parse_cookie_domain;
/// assert_eq!(parse_cookie_domain(".Shop.Example.").unwrap(), "shop.example");
/// assert_eq!(parse_cookie_domain("https://shop.example").unwrap_err().field, "cookie_domain");
/// ```
pub fn parse_cookie_domain(input: &str) -> Result<String, ValidationError> {
    let input = input.trim();
    domain_name(input.strip_prefix('.').unwrap_or(input)).ok_or(COOKIE_DOMAIN_NOT_A_NAME)
}

/// `tracking.endpoint` as stored: an absolute http(s) URL without query or
/// fragment, on a host that is not a public suffix, normalised (lower-case
/// host, no default port, no trailing dot or slash).
///
/// ```
/// use edgeref_shared::tracking::parse_endpoint;
/// assert_eq!(parse_endpoint("https://Shop.Example:443/_edgeref/").unwrap(), "https://shop.example/_edgeref");
/// assert_eq!(parse_endpoint("https://github.io/").unwrap_err().field, "endpoint");
/// ```
pub fn parse_endpoint(input: &str) -> Result<String, ValidationError> {
    let mut url = validate::http_url("endpoint", input)?;
    if url.query().is_some() || url.fragment().is_some() {
        return Err(ValidationError::new("endpoint", "must have no query (?) or fragment (#)"));
    }
    let host = url.host_str().and_then(canonical_host).ok_or(ValidationError::new("endpoint", "must be an http or https URL"))?;
    if is_public_suffix(&host) {
        return Err(ValidationError::new("endpoint", "must not be on a public suffix (like github.io): use your own host"));
    }
    // Only the trailing dot differs; `ref.shop.example.` is another site to a browser.
    url.set_host(Some(&host)).map_err(|_| ValidationError::new("endpoint", "must be an http or https URL"))?;
    Ok(url.as_str().trim_end_matches('/').to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::tests::{label, MULTI_LABEL_SUFFIXES};
    use crate::tracking::TrackingPatch;
    use proptest::prelude::*;

    fn with_override(domain: &str) -> TrackingSettings {
        TrackingSettings { cookie_domain: Some(domain.to_owned()), ..Default::default() }
    }

    fn patch(json: &str) -> TrackingPatch {
        serde_json::from_str(json).unwrap()
    }

    #[test]
    fn default_cookie_domain_is_the_registrable_domain() {
        let t = TrackingSettings::default();
        let domain = |url: &str| t.effective_cookie_domain(url);
        assert_eq!(domain("https://www.shop.co.uk/").as_deref(), Some("shop.co.uk"));
        assert_eq!(domain("https://shop.co.uk/").as_deref(), Some("shop.co.uk"), "a bare host shares it too");
        assert_eq!(domain("https://shop.github.io/store").as_deref(), Some("shop.github.io"));
        assert_eq!(domain("https://WWW.SHOP.EXAMPLE./").as_deref(), Some("shop.example"));
        assert_eq!(domain("https://www.bücher.de/").as_deref(), Some("xn--bcher-kva.de"));
        for host_only in ["http://localhost:3000/", "http://127.0.0.1:8787/", "http://[::1]/", "https://github.io/", "https://co.uk/", "not a url", ""] {
            assert_eq!(domain(host_only), None, "{host_only}");
        }
    }

    #[test]
    fn an_override_is_used_only_while_the_site_is_under_it() {
        let site = "https://www.eu.shop.example/";
        assert_eq!(with_override("eu.shop.example").effective_cookie_domain(site).as_deref(), Some("eu.shop.example"));
        assert_eq!(with_override("www.eu.shop.example").effective_cookie_domain(site).as_deref(), Some("www.eu.shop.example"));
        for stale in ["other.example", "us.shop.example", "example", "co.uk"] {
            assert_eq!(with_override(stale).effective_cookie_domain(site).as_deref(), Some("shop.example"), "{stale}");
        }
        assert_eq!(with_override("localhost").effective_cookie_domain("http://localhost:3000/"), None);
    }

    #[test]
    fn first_party_hosts_are_those_the_cookies_reach() {
        let t = TrackingSettings::default();
        let site = "https://www.shop.co.uk/";
        for yes in ["www.shop.co.uk", "shop.co.uk", "ref.shop.co.uk", "a.b.shop.co.uk", "REF.Shop.CO.UK."] {
            assert!(t.is_first_party(site, yes), "{yes}");
        }
        for no in ["evil.co.uk", "co.uk", "shop.co.uk.evil.example", "evilshop.co.uk", "127.0.0.1", "localhost", "", "a..shop.co.uk"] {
            assert!(!t.is_first_party(site, no), "{no:?}");
        }
        let narrow = with_override("eu.shop.example");
        assert!(narrow.is_first_party("https://www.eu.shop.example/", "ref.eu.shop.example"));
        assert!(!narrow.is_first_party("https://www.eu.shop.example/", "us.shop.example"));
    }

    #[test]
    fn host_only_sites_are_first_party_on_their_own_host_only() {
        let t = TrackingSettings::default();
        assert!(t.is_first_party("http://localhost:3000/", "localhost"), "ports are not compared, as browsers don't for cookies");
        assert!(t.is_first_party("http://127.0.0.1:3000/", "127.0.0.1"));
        assert!(t.is_first_party("http://[::1]:3000/", "[::1]"));
        assert!(!t.is_first_party("http://localhost:3000/", "127.0.0.1"));
        assert!(!t.is_first_party("https://github.io/", "shop.github.io"));
        assert!(!t.is_first_party("not a url", "localhost"));
    }

    #[test]
    fn cookie_domain_must_be_the_site_or_a_parent_that_is_no_public_suffix() {
        let site = "https://www.shop.co.uk/";
        for ok in ["www.shop.co.uk", "shop.co.uk"] {
            assert_eq!(with_override(ok).validate_for_site(site), Ok(()), "{ok}");
        }
        for bad in ["co.uk", "uk", "evil.co.uk", "app.shop.co.uk", "shop.example", "localhost"] {
            assert_eq!(with_override(bad).validate_for_site(site), Err(COOKIE_DOMAIN_NOT_THE_SITES), "{bad}");
        }
        assert_eq!(with_override("shop.github.io").validate_for_site("https://shop.github.io/"), Ok(()));
        assert!(with_override("github.io").validate_for_site("https://shop.github.io/").is_err());
        assert!(with_override("localhost").validate_for_site("http://localhost:3000/").is_err(), "host-only sites take no override");
        assert!(with_override("shop.example").validate_for_site("not a url").is_err());
        assert_eq!(TrackingSettings::default().validate_for_site("not a url"), Ok(()), "nothing to check without an override");
    }

    #[test]
    fn cookie_domains_are_stored_canonical() {
        assert_eq!(parse_cookie_domain(" Shop.Example ").unwrap(), "shop.example");
        assert_eq!(parse_cookie_domain(".shop.example").unwrap(), "shop.example");
        assert_eq!(parse_cookie_domain("bücher.de.").unwrap(), "xn--bcher-kva.de");
        for bad in ["", ".", "..shop.example", "127.0.0.1", "[::1]", "shop.example:443", "https://shop.example", "shop.example/", "a b.example"] {
            assert_eq!(parse_cookie_domain(bad), Err(COOKIE_DOMAIN_NOT_A_NAME), "{bad:?}");
        }
    }

    #[test]
    fn endpoints_are_absolute_http_urls_on_an_owned_host() {
        for (input, stored) in [
            ("https://ref.shop.example", "https://ref.shop.example"),
            ("https://ref.shop.example/", "https://ref.shop.example"),
            ("https://Shop.Example/_edgeref/", "https://shop.example/_edgeref"),
            ("http://shop.test:8788/_edgeref", "http://shop.test:8788/_edgeref"),
            ("https://ref.shop.example./", "https://ref.shop.example"),
            ("https://shop.github.io/_edgeref", "https://shop.github.io/_edgeref"),
            ("http://localhost:8787", "http://localhost:8787"),
            ("https://xn--bcher-kva.de/r", "https://xn--bcher-kva.de/r"),
            ("https://bücher.de/r", "https://xn--bcher-kva.de/r"),
        ] {
            assert_eq!(parse_endpoint(input).as_deref(), Ok(stored), "{input}");
        }
        for bad in ["", "/_edgeref", "ref.shop.example", "ftp://ref.shop.example", "https://ref.shop.example/?a=1", "https://ref.shop.example/?", "https://ref.shop.example/#x", "https://github.io/", "https://co.uk", "https://user@ref.shop.example", "https://ref..shop.example/"] {
            assert_eq!(parse_endpoint(bad).unwrap_err().field, "endpoint", "{bad:?}");
        }
    }

    #[test]
    fn patch_sets_and_clears_the_overrides() {
        let base = TrackingSettings::default();
        let set = base.patched(&patch(r#"{"cookie_domain":"Shop.Example","endpoint":"https://ref.shop.example/"}"#)).unwrap();
        assert_eq!(set.cookie_domain.as_deref(), Some("shop.example"));
        assert_eq!(set.endpoint.as_deref(), Some("https://ref.shop.example"));
        assert_eq!(set.patched(&patch(r#"{"param":"a"}"#)).unwrap().endpoint, set.endpoint, "absent keeps");
        let cleared = set.patched(&patch(r#"{"cookie_domain":null,"endpoint":null}"#)).unwrap();
        assert_eq!((cleared.cookie_domain, cleared.endpoint), (None, None));
        assert_eq!(base.patched(&patch(r#"{"cookie_domain":"a/b"}"#)).unwrap_err().field, "cookie_domain");
        assert_eq!(base.patched(&patch(r#"{"endpoint":"https://x.example/?q"}"#)).unwrap_err().field, "endpoint");
    }

    #[test]
    fn json_shows_the_overrides_and_reads_settings_stored_without_them() {
        let defaults = serde_json::to_value(TrackingSettings::default()).unwrap();
        assert_eq!(defaults["cookie_domain"], serde_json::Value::Null);
        assert_eq!(defaults["endpoint"], serde_json::Value::Null);
        let stored_before: TrackingSettings = serde_json::from_str(r#"{"link_format":"query","param":"ref","cookie_days":30,"attribution":"last_click"}"#).unwrap();
        assert_eq!(stored_before, TrackingSettings::default());
        let set = with_override("shop.example");
        let set = TrackingSettings { endpoint: Some("https://ref.shop.example".into()), ..set };
        let json = serde_json::to_value(&set).unwrap();
        assert_eq!((json["cookie_domain"].as_str(), json["endpoint"].as_str()), (Some("shop.example"), Some("https://ref.shop.example")));
        assert_eq!(serde_json::from_value::<TrackingSettings>(json).unwrap(), set);
    }

    proptest! {
        #[test]
        fn cookie_domain_is_a_suffix_of_the_site_host_and_never_a_public_suffix(labels in proptest::collection::vec(label(), 0..4), suffix in proptest::sample::select(&MULTI_LABEL_SUFFIXES[..]), parent_from in proptest::option::of(0usize..6), junk in proptest::option::of("[a-z.]{0,20}")) {
            let host = if labels.is_empty() { suffix.to_owned() } else { format!("{}.{suffix}", labels.join(".")) };
            // Overrides the owner might have stored: a parent of the host (down to `uk`), or anything.
            let parent = parent_from.map(|from| host.split('.').skip(from).collect::<Vec<_>>().join(".")).filter(|p| !p.is_empty());
            let t = TrackingSettings { cookie_domain: parent.or(junk), ..Default::default() };
            if let Some(domain) = t.effective_cookie_domain(&format!("https://{host}/")) {
                prop_assert!(is_within(&host, &domain), "{} not within {}", host, domain);
                prop_assert!(!is_public_suffix(&domain));
                prop_assert!(registrable_domain(&domain).is_some());
            } else {
                prop_assert!(registrable_domain(&host).is_none());
            }
        }

        #[test]
        fn a_sibling_under_the_same_public_suffix_is_never_first_party(shop in label(), sibling in label(), sub in proptest::option::of(label()), suffix in proptest::sample::select(&MULTI_LABEL_SUFFIXES[..])) {
            prop_assume!(shop != sibling);
            let site = format!("https://{}{shop}.{suffix}/", sub.map(|s| s + ".").unwrap_or_default());
            let t = TrackingSettings::default();
            let (endpoint, sibling, under_sibling) = (format!("ref.{shop}.{suffix}"), format!("{sibling}.{suffix}"), format!("www.{sibling}.{suffix}"));
            prop_assert!(t.is_first_party(&site, &endpoint));
            prop_assert!(!t.is_first_party(&site, &sibling));
            prop_assert!(!t.is_first_party(&site, &under_sibling));
            prop_assert!(!t.is_first_party(&site, suffix));
        }

        #[test]
        fn validated_overrides_are_the_ones_used(labels in proptest::collection::vec(label(), 1..4), suffix in proptest::sample::select(&MULTI_LABEL_SUFFIXES[..]), chosen in "[a-z.]{1,24}") {
            let site = format!("https://{}.{suffix}/", labels.join("."));
            let t = with_override(&chosen);
            let used = t.effective_cookie_domain(&site) == Some(chosen.clone());
            prop_assert_eq!(t.validate_for_site(&site).is_ok(), used);
        }

        #[test]
        fn parent_overrides_of_the_site_are_accepted(labels in proptest::collection::vec(label(), 1..4), suffix in proptest::sample::select(&MULTI_LABEL_SUFFIXES[..]), depth in 0usize..4) {
            let host = format!("{}.{suffix}", labels.join("."));
            let parent = format!("{}.{suffix}", labels[depth.min(labels.len() - 1)..].join("."));
            prop_assert_eq!(with_override(&parent).validate_for_site(&format!("https://{host}/")), Ok(()));
            prop_assert_eq!(with_override(suffix).validate_for_site(&format!("https://{host}/")), Err(COOKIE_DOMAIN_NOT_THE_SITES));
        }

        #[test]
        fn accepted_endpoints_have_no_query_fragment_or_trailing_slash(s in "(https?://)?[a-zA-Z0-9.:/?#_-]{0,40}") {
            if let Ok(e) = parse_endpoint(&s) {
                prop_assert!(e.starts_with("http://") || e.starts_with("https://"));
                prop_assert!(!e.contains('?') && !e.contains('#') && !e.ends_with('/'));
                prop_assert_eq!(parse_endpoint(&e), Ok(e.clone()), "normalised once");
            }
        }
    }
}
