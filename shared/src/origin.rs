//! Which browser origins may call a program's tracking endpoints (`/t/*`).

/// Splits `scheme://host[:port]` into scheme and host (port and path dropped).
fn scheme_and_host(origin: &str) -> Option<(&str, &str)> {
    let (scheme, rest) = origin.split_once("://")?;
    let authority = rest.split(['/', '?', '#']).next()?;
    let host = match authority.strip_prefix('[') {
        Some(v6) => v6.split(']').next()?,
        None => authority.rsplit_once(':').map_or(authority, |(h, _)| h),
    };
    Some((scheme, host))
}

/// Whether a request's `Origin` may use the program whose site is `website_url`:
/// the site's host or any subdomain of its registrable domain (so `www.` and
/// `app.` both work), over http or https; plus `localhost`/`127.0.0.1` when
/// `allow_localhost` is on (development).
///
/// ```
/// use edgeref_shared::origin::allowed;
/// assert!(allowed("https://shop.example/", "https://www.shop.example", false));
/// assert!(!allowed("https://shop.example/", "https://evil.example", false));
/// assert!(allowed("https://shop.example/", "http://localhost:3000", true));
/// ```
pub fn allowed(website_url: &str, origin: &str, allow_localhost: bool) -> bool {
    let (Some((_, site)), Some((scheme, host))) = (scheme_and_host(website_url), scheme_and_host(origin)) else {
        return false;
    };
    if !matches!(scheme, "http" | "https") {
        return false;
    }
    let (site, host) = (site.to_ascii_lowercase(), host.to_ascii_lowercase());
    if allow_localhost && matches!(host.as_str(), "localhost" | "127.0.0.1" | "::1") {
        return true;
    }
    let base = crate::cookie::registrable_domain(&site).unwrap_or(&site);
    host == site || host == base || host.strip_suffix(base).is_some_and(|sub| sub.ends_with('.'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn origins() {
        let site = "https://www.shop.example/path?q=1";
        for ok in ["https://www.shop.example", "https://shop.example", "https://app.shop.example", "http://shop.example:8080", "https://WWW.SHOP.EXAMPLE"] {
            assert!(allowed(site, ok, false), "{ok}");
        }
        for bad in ["https://evilshop.example", "https://shop.example.evil.com", "null", "", "ftp://shop.example", "https://localhost", "https://example"] {
            assert!(!allowed(site, bad, false), "{bad}");
        }
        assert!(allowed(site, "http://127.0.0.1:9000", true));
        assert!(allowed(site, "http://[::1]:9000", true));
        assert!(!allowed(site, "http://127.0.0.2:9000", true));
        assert!(allowed("http://localhost:5000/", "http://localhost:5000", false));
        assert!(!allowed("http://localhost:5000/", "http://127.0.0.1:5000", false));
        assert!(allowed("http://127.0.0.1:5000/", "http://127.0.0.1:5001", false), "ports are not compared");
    }
}
