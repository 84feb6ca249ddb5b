//! Which browser origins may call a program's tracking endpoints (`/t/*`).

use crate::TrackingSettings;

/// Whether a request's `Origin` may use the program whose site is `website_url`:
/// an http(s) page on a host the program's cookies reach, i.e. whose registrable
/// domain is the program's cookie domain (`www.` and `app.shop.co.uk` for
/// `shop.co.uk`, never a sibling `evil.co.uk`), or the website's own host when
/// it has none (an IP, `localhost`); plus `localhost`/`127.0.0.1`/`[::1]` when
/// `allow_localhost` is on (development). Ports are not compared.
///
/// ```
/// use edgeref_shared::{origin::allowed, TrackingSettings};
/// let t = TrackingSettings::default();
/// assert!(allowed("https://shop.co.uk/", &t, "https://www.shop.co.uk", false));
/// assert!(!allowed("https://shop.co.uk/", &t, "https://evil.co.uk", false));
/// assert!(allowed("https://shop.co.uk/", &t, "http://localhost:3000", true));
/// ```
pub fn allowed(website_url: &str, tracking: &TrackingSettings, origin: &str, allow_localhost: bool) -> bool {
    let Ok(origin) = url::Url::parse(origin) else { return false };
    let Some(host) = origin.host_str().filter(|_| matches!(origin.scheme(), "http" | "https")) else { return false };
    (allow_localhost && matches!(host, "localhost" | "127.0.0.1" | "[::1]")) || tracking.is_first_party(website_url, host)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::tests::{label, MULTI_LABEL_SUFFIXES};
    use proptest::prelude::*;

    fn default_allowed(site: &str, origin: &str, allow_localhost: bool) -> bool {
        allowed(site, &TrackingSettings::default(), origin, allow_localhost)
    }

    #[test]
    fn origins() {
        let site = "https://www.shop.example/path?q=1";
        for ok in ["https://www.shop.example", "https://shop.example", "https://app.shop.example", "http://shop.example:8080", "https://WWW.SHOP.EXAMPLE", "https://shop.example."] {
            assert!(default_allowed(site, ok, false), "{ok}");
        }
        for bad in ["https://evilshop.example", "https://shop.example.evil.com", "null", "", "ftp://shop.example", "https://localhost", "https://example", "shop.example"] {
            assert!(!default_allowed(site, bad, false), "{bad}");
        }
        assert!(default_allowed(site, "http://127.0.0.1:9000", true));
        assert!(default_allowed(site, "http://[::1]:9000", true));
        assert!(default_allowed(site, "http://localhost:9000", true));
        assert!(!default_allowed(site, "http://127.0.0.2:9000", true));
        assert!(!default_allowed(site, "ftp://localhost", true), "dev mode keeps the scheme rule");
        assert!(default_allowed("http://localhost:5000/", "http://localhost:5000", false));
        assert!(!default_allowed("http://localhost:5000/", "http://127.0.0.1:5000", false));
        assert!(default_allowed("http://127.0.0.1:5000/", "http://127.0.0.1:5001", false), "ports are not compared");
    }

    #[test]
    fn multi_label_public_suffixes_admit_the_shop_not_its_siblings() {
        let site = "https://www.shop.co.uk/";
        for ok in ["https://www.shop.co.uk", "https://shop.co.uk", "https://ref.shop.co.uk", "https://www.shop.co.uk."] {
            assert!(default_allowed(site, ok, false), "{ok}");
        }
        for bad in ["https://evil.co.uk", "https://www.evil.co.uk", "https://co.uk", "https://evilshop.co.uk"] {
            assert!(!default_allowed(site, bad, false), "{bad}");
        }
        assert!(default_allowed("https://shop.github.io/", "https://shop.github.io", false));
        assert!(!default_allowed("https://shop.github.io/", "https://evil.github.io", false));
        assert!(default_allowed("https://www.bücher.de/", "https://www.xn--bcher-kva.de", false), "browsers send IDNs in punycode");
    }

    #[test]
    fn a_narrower_cookie_domain_narrows_the_origins() {
        let t = TrackingSettings { cookie_domain: Some("eu.shop.example".into()), ..Default::default() };
        assert!(allowed("https://www.eu.shop.example/", &t, "https://www.eu.shop.example", false));
        assert!(!allowed("https://www.eu.shop.example/", &t, "https://us.shop.example", false));
    }

    proptest! {
        #[test]
        fn origins_under_the_shop_are_allowed_and_siblings_are_not(shop in label(), sibling in label(), sub in label(), suffix in proptest::sample::select(&MULTI_LABEL_SUFFIXES[..]), https in any::<bool>(), port in proptest::option::of(1u16..)) {
            prop_assume!(shop != sibling);
            let scheme = if https { "https" } else { "http" };
            let port = port.map(|p| format!(":{p}")).unwrap_or_default();
            let site = format!("https://www.{shop}.{suffix}/");
            let (under_shop, sibling, under_sibling) = (format!("{scheme}://{sub}.{shop}.{suffix}{port}"), format!("{scheme}://{sibling}.{suffix}{port}"), format!("{scheme}://{sub}.{sibling}.{suffix}{port}"));
            prop_assert!(default_allowed(&site, &under_shop, false));
            prop_assert!(!default_allowed(&site, &sibling, false));
            prop_assert!(!default_allowed(&site, &under_sibling, true));
        }

        #[test]
        fn ip_sites_allow_exactly_their_own_ip(a in any::<core::net::Ipv4Addr>(), b in any::<core::net::Ipv4Addr>()) {
            let (site, own, other) = (format!("http://{a}:3000/"), format!("http://{a}"), format!("http://{b}"));
            prop_assert!(default_allowed(&site, &own, false));
            prop_assert_eq!(default_allowed(&site, &other, false), a == b);
        }

        #[test]
        fn allowed_never_panics(site in "\\PC{0,40}", origin in "\\PC{0,40}", dev in any::<bool>()) {
            let _ = default_allowed(&site, &origin, dev);
        }
    }
}
