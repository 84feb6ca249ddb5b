//! Referral links: building them from a program's website URL and finding the
//! code again in whatever URL a visitor lands on.

use crate::tracking::{LinkFormat, TrackingSettings};
use crate::ReferralCode;
use alloc::{string::String, vec::Vec};
use percent_encoding::percent_decode;

/// The link a referrer shares, exactly as docs/contract.md says: `website_url?{param}={code}`
/// (an existing query is kept, an old value of the same parameter dropped) or
/// `website_url/{param}/{code}` (before any query). A fragment stays last.
///
/// ```
/// use edgeref_shared::{link, ReferralCode, TrackingSettings, LinkFormat, ParamName};
/// let code = ReferralCode::parse("k7m2xq9p").unwrap();
/// let path = TrackingSettings { link_format: LinkFormat::Path, param: ParamName::parse("a").unwrap(), ..Default::default() };
/// assert_eq!(link::build("https://shop.example/", &path, &code), "https://shop.example/a/k7m2xq9p");
/// assert_eq!(link::build("https://shop.example/?lang=de", &TrackingSettings::default(), &code),
///            "https://shop.example/?lang=de&ref=k7m2xq9p");
/// ```
pub fn build(website_url: &str, settings: &TrackingSettings, code: &ReferralCode) -> String {
    let (rest, fragment) = split_once_or_all(website_url, '#');
    let (base, query) = split_once_or_all(rest, '?');
    let param = settings.param.as_str();
    let mut out = String::with_capacity(website_url.len() + param.len() + code.as_str().len() + 3);
    match settings.link_format {
        LinkFormat::Query => {
            out.push_str(base);
            out.push('?');
            for pair in query.unwrap_or("").split('&').filter(|p| !p.is_empty()) {
                if !is_param(split_once_or_all(pair, '=').0.as_bytes(), settings) {
                    out.push_str(pair);
                    out.push('&');
                }
            }
            push_all(&mut out, &[param, "=", code.as_str()]);
        }
        LinkFormat::Path => {
            push_all(&mut out, &[base.trim_end_matches('/'), "/", param, "/", code.as_str()]);
            if let Some(q) = query {
                push_all(&mut out, &["?", q]);
            }
        }
    }
    if let Some(f) = fragment {
        push_all(&mut out, &["#", f]);
    }
    out
}

/// Finds the referral code in a full URL (scheme and host are skipped).
pub fn extract(url: &str, settings: &TrackingSettings) -> Option<ReferralCode> {
    // Scanned as bytes, with no indexing that could panic: every separator is
    // ASCII, and the snippet is smaller without `str` searching or panic paths.
    let url = url.as_bytes();
    let (rest, _fragment) = split_at(url, b'#').unwrap_or((url, b""));
    let (before_query, query) = split_at(rest, b'?').unwrap_or((rest, b""));
    let path = match before_query.windows(3).position(|w| w == b"://") {
        Some(i) => {
            let host_and_path = before_query.get(i + 3..).unwrap_or_default();
            host_and_path.iter().position(|b| *b == b'/').and_then(|j| host_and_path.get(j..)).unwrap_or_default()
        }
        None => before_query,
    };
    extract_bytes(path, query, settings)
}

/// Finds the referral code given a URL's path and query (`location.pathname`,
/// `location.search` with or without its `?`).
///
/// Query format: the first value of the parameter that is a valid code.
/// Path format: the segment after the last `/{param}/`, so `/ref/CODE/more/path`
/// and a site that itself lives under a path both work. Invalid codes are `None`.
///
/// Components are percent-decoded as bytes. Parameter names and codes are ASCII
/// `[A-Za-z0-9_-]`, so anything else a component decodes to (a `+` or space,
/// non-UTF-8, other characters) can never match: no need to decode `+` or check
/// UTF-8, which keeps the snippet small.
// Kept out of line: inlined into `extract` (its only caller), it costs the snippet 23 wasm bytes.
#[inline(never)]
fn extract_bytes(path: &[u8], query: &[u8], settings: &TrackingSettings) -> Option<ReferralCode> {
    let code = |value: &[u8]| ReferralCode::parse_bytes(&percent_decode(value).collect::<Vec<u8>>());
    match settings.link_format {
        LinkFormat::Query => {
            let start = query.iter().position(|b| *b != b'?').unwrap_or(query.len());
            query
                .get(start..)
                .unwrap_or_default()
                .split(|b| *b == b'&')
                .filter_map(|pair| split_at(pair, b'='))
                .filter(|(k, _)| is_param(k, settings))
                .find_map(|(_, v)| code(v))
        }
        LinkFormat::Path => {
            // From the end: each segment with the one after it.
            let mut after: Option<&[u8]> = None;
            path.rsplit(|b| *b == b'/').find_map(|segment| {
                let found = if is_param(segment, settings) { after.and_then(code) } else { None };
                after = Some(segment);
                found
            })
        }
    }
}

/// `s` split around its first `separator`, if it has one.
fn split_at(s: &[u8], separator: u8) -> Option<(&[u8], &[u8])> {
    let i = s.iter().position(|b| *b == separator)?;
    Some((s.get(..i)?, s.get(i + 1..)?))
}

/// Whether a URL component percent-decodes to the program's parameter name.
fn is_param(component: &[u8], settings: &TrackingSettings) -> bool {
    percent_decode(component).eq(settings.param.as_str().bytes())
}

fn split_once_or_all(s: &str, sep: char) -> (&str, Option<&str>) {
    match s.split_once(sep) {
        Some((a, b)) => (a, Some(b)),
        None => (s, None),
    }
}

fn push_all(out: &mut String, parts: &[&str]) {
    for p in parts {
        out.push_str(p);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{LinkFormat, ParamName};
    use proptest::prelude::*;

    fn settings(format: LinkFormat, param: &str) -> TrackingSettings {
        TrackingSettings { link_format: format, param: ParamName::parse(param).unwrap(), ..Default::default() }
    }
    fn code(s: &str) -> ReferralCode {
        ReferralCode::parse(s).unwrap()
    }
    fn q(url: &str) -> Option<String> {
        extract(url, &settings(LinkFormat::Query, "ref")).map(ReferralCode::into_string)
    }
    fn p(url: &str) -> Option<String> {
        extract(url, &settings(LinkFormat::Path, "ref")).map(ReferralCode::into_string)
    }

    #[test]
    fn builds_links_as_design_says() {
        let c = code("abc123");
        let query = settings(LinkFormat::Query, "ref");
        let path = settings(LinkFormat::Path, "ref");
        assert_eq!(build("https://a.com", &query, &c), "https://a.com?ref=abc123");
        assert_eq!(build("https://a.com/", &query, &c), "https://a.com/?ref=abc123");
        assert_eq!(build("https://a.com/?x=1&ref=old", &query, &c), "https://a.com/?x=1&ref=abc123");
        assert_eq!(build("https://a.com/p#top", &query, &c), "https://a.com/p?ref=abc123#top");
        assert_eq!(build("https://a.com", &path, &c), "https://a.com/ref/abc123");
        assert_eq!(build("https://a.com/shop/", &path, &c), "https://a.com/shop/ref/abc123");
        assert_eq!(build("https://a.com:8443/?x=1#f", &path, &c), "https://a.com:8443/ref/abc123?x=1#f");
    }

    /// The cases the dashboard's link preview (www/dashboard/link.js) is tested with too
    /// (tests/link_preview.test.mjs): one file, so the preview cannot drift from `build`.
    #[test]
    fn builds_the_cases_shared_with_the_dashboard() {
        let vectors: Vec<serde_json::Value> = serde_json::from_str(include_str!("../tests/link_vectors.json")).unwrap();
        assert!(vectors.len() >= 12, "the cases are read");
        for v in &vectors {
            let field = |name: &str| v[name].as_str().unwrap_or_else(|| panic!("{name} in {v}"));
            let format = match field("format") {
                "query" => LinkFormat::Query,
                "path" => LinkFormat::Path,
                other => panic!("format {other} in {v}"),
            };
            assert_eq!(build(field("website_url"), &settings(format, field("param")), &code(field("code"))), field("link"), "{v}");
        }
    }

    #[test]
    fn extracts_from_queries() {
        assert_eq!(q("https://a.com/?ref=ABC"), Some("abc".into()));
        assert_eq!(q("https://a.com/?x=1&ref=abc&y=2"), Some("abc".into()));
        assert_eq!(q("https://a.com/?ref=ab%2Dc"), Some("ab-c".into()));
        assert_eq!(q("https://a.com/?r%65f=abc"), Some("abc".into()));
        assert_eq!(q("https://a.com/?ref=bad!&ref=good"), Some("good".into()));
        assert_eq!(q("https://a.com/?ref=first&ref=second"), Some("first".into()));
        assert_eq!(q("https://a.com/#?ref=abc"), None);
        assert_eq!(q("https://a.com/?ref=abc#frag"), Some("abc".into()));
        assert_eq!(q("https://a.com/?ref="), None);
        assert_eq!(q("https://a.com/?ref=a+b"), None);
        assert_eq!(q("https://a.com/?REF=abc"), None, "parameter names are case-sensitive");
        assert_eq!(q("https://a.com/?ref=%FF"), None);
        assert_eq!(q("https://a.com/?ref"), None);
        assert_eq!(q(&format!("https://a.com/?ref={}", "a".repeat(100_000))), None);
        assert_eq!(q("https://a.com/ref/abc"), None);
    }

    #[test]
    fn extracts_from_paths() {
        assert_eq!(p("https://a.com/ref/ABC"), Some("abc".into()));
        assert_eq!(p("https://a.com/ref/abc/"), Some("abc".into()));
        assert_eq!(p("https://a.com/ref/abc/more/path?x=1"), Some("abc".into()));
        assert_eq!(p("https://a.com/shop/ref/abc#x"), Some("abc".into()));
        assert_eq!(p("https://a.com/ref/"), None);
        assert_eq!(p("https://a.com/ref"), None);
        assert_eq!(p("https://a.com/?ref=abc"), None);
        assert_eq!(p("https://a.com/ref/a%20b"), None);
        assert_eq!(p("https://a.com/reference/abc"), None);
        assert_eq!(p("/ref/abc"), Some("abc".into()));
        assert_eq!(p("http://ref/abc"), None, "a host named like the parameter is not a path segment");
        assert_eq!(extract_bytes(b"/a/xyz", b"", &settings(LinkFormat::Path, "a")), Some(code("xyz")));
    }

    fn site_url() -> impl Strategy<Value = String> {
        (
            prop_oneof![Just("http"), Just("https")],
            "[a-z]{1,10}(\\.[a-z]{2,5}){1,2}",
            proptest::option::of(1u16..65535),
            "(/[a-zA-Z0-9_-]{1,8}){0,3}/?",
            proptest::option::of("[a-z]{1,5}=[a-zA-Z0-9%]{0,6}(&[a-z]{1,5}=[a-z0-9]{0,6}){0,2}"),
            proptest::option::of("[a-z0-9/?=&]{0,8}"),
        )
            .prop_map(|(scheme, host, port, path, query, fragment)| {
                let mut s = format!("{scheme}://{host}");
                if let Some(port) = port {
                    s += &format!(":{port}");
                }
                s += &path;
                if let Some(q) = query {
                    s += &format!("?{q}");
                }
                if let Some(f) = fragment {
                    s += &format!("#{f}");
                }
                s
            })
    }

    proptest! {
        #[test]
        fn link_round_trips_for_any_code(
            site in site_url(),
            param in "[A-Za-z0-9_-]{1,32}",
            raw_code in "[A-Za-z0-9_-]{1,64}",
            path_format in any::<bool>(),
        ) {
            let s = settings(if path_format { LinkFormat::Path } else { LinkFormat::Query }, &param);
            let c = code(&raw_code);
            let link = build(&site, &s, &c);
            prop_assert_eq!(extract(&link, &s), Some(c));
        }

        #[test]
        fn extract_never_panics(url in "\\PC{0,200}", param in "[a-z]{1,4}", path_format in any::<bool>()) {
            let s = settings(if path_format { LinkFormat::Path } else { LinkFormat::Query }, &param);
            if let Some(c) = extract(&url, &s) {
                prop_assert!(ReferralCode::parse(c.as_str()).is_ok());
            }
        }
    }
}
