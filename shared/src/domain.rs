//! Hosts as browsers scope cookies to them: canonical names and registrable
//! domains by the Public Suffix List (ICANN and private sections), kept as a sorted
//! text of its rules in ASCII, `www/data/public-suffixes.txt` (45 KB gzipped; the
//! `psl` crate compiles the same list into 900 KB of code). A test keeps the file
//! equal to the `psl` crate's list, and the answers equal to the crate's.
//!
//! The Worker does not carry the list in its wasm: it reads the file from its static
//! assets once per isolate and hands it to `install_rules` before it answers anything.
//! Builds with the `embedded-suffixes` feature (the default: tests, tools) embed it.
//!
//! ```
//! use edgeref_shared::domain::registrable_domain;
//! assert_eq!(registrable_domain("www.shop.co.uk").as_deref(), Some("shop.co.uk"));
//! assert_eq!(registrable_domain("shop.github.io").as_deref(), Some("shop.github.io"));
//! assert_eq!(registrable_domain("co.uk"), None);
//! ```

use crate::sorted_lines::contains;
use alloc::format;
use alloc::string::{String, ToString};
use alloc::vec::Vec;
use std::sync::OnceLock;
use url::Host;

/// The list's rules: `a.b`, `*.b` (any one label before `b`) and `!a.b` (an exception
/// to a wildcard), IDNs in punycode, sorted.
#[cfg(feature = "embedded-suffixes")]
const EMBEDDED: &str = include_str!("../../www/data/public-suffixes.txt");

static INSTALLED: OnceLock<Box<str>> = OnceLock::new();

/// Hands the rules (the text of `www/data/public-suffixes.txt`) to every function here;
/// the first call wins. Until then a build without `embedded-suffixes` knows no rule but
/// the list's implicit `*` (every last label a suffix).
pub fn install_rules(rules: String) {
    let _ = INSTALLED.set(rules.into_boxed_str());
}

/// Whether `install_rules` has been called.
pub fn rules_installed() -> bool {
    INSTALLED.get().is_some()
}

fn rules() -> &'static str {
    match INSTALLED.get() {
        Some(rules) => rules,
        #[cfg(feature = "embedded-suffixes")]
        None => EMBEDDED,
        #[cfg(not(feature = "embedded-suffixes"))]
        None => "",
    }
}

/// The host as cookies and CORS compare it, `None` when it is not a host: IDNs
/// in punycode, lower case, no trailing dot (`WWW.Bücher.example.` →
/// `www.xn--bcher-kva.example`); IPv4 dotted, IPv6 in brackets (`[::1]`).
pub fn canonical_host(host: &str) -> Option<String> {
    match Host::parse(host).ok()? {
        Host::Domain(name) => without_root_dot(name),
        ip => Some(ip.to_string()),
    }
}

/// The host as a canonical domain name (as `canonical_host`); `None` for IP
/// addresses and for what is not a host.
pub fn domain_name(host: &str) -> Option<String> {
    match Host::parse(host).ok()? {
        Host::Domain(name) => without_root_dot(name),
        Host::Ipv4(_) | Host::Ipv6(_) => None,
    }
}

/// `name` without the DNS root's trailing dot; `None` if a label is empty
/// (`a..b`, `.a`, `a..`), which no browser sends and the list cannot place.
fn without_root_dot(mut name: String) -> Option<String> {
    if name.ends_with('.') {
        name.pop();
    }
    name.split('.').all(|label| !label.is_empty()).then_some(name)
}

/// The registrable domain of a host: its public suffix plus one label
/// (`www.shop.co.uk` → `shop.co.uk`, `shop.github.io` → itself). `None` for a
/// public suffix itself (`co.uk`, `github.io`), a single label (`localhost`),
/// an IP address, and what is not a host. Names outside the list count their
/// last label as the suffix (the list's `*` rule): `www.shop.test` → `shop.test`.
pub fn registrable_domain(host: &str) -> Option<String> {
    let name = domain_name(host)?;
    let starts = label_starts(&name);
    let (suffix, _) = public_suffix(&name, &starts);
    (starts.len() > suffix).then(|| name[starts[starts.len() - suffix - 1]..].to_string())
}

/// Whether the host is itself a suffix the list names (`com`, `co.uk`,
/// `github.io`, `*.ck`): anyone may register under it, so no one site owns it.
/// Unlisted single labels (`localhost`) are not: they have no registrable
/// domain either, but nobody else's site lives there.
pub fn is_public_suffix(host: &str) -> bool {
    domain_name(host).is_some_and(|name| {
        let starts = label_starts(&name);
        public_suffix(&name, &starts) == (starts.len(), true)
    })
}

/// Where each label of a canonical name starts.
fn label_starts(name: &str) -> Vec<usize> {
    core::iter::once(0).chain(name.match_indices('.').map(|(i, _)| i + 1)).collect()
}

/// How many labels at the end of `name` are its public suffix, and whether a rule says
/// so (else the list's implicit `*` rule: the last label). The list's algorithm: the
/// longest matching rule wins, and an exception rule wins over all, its suffix being the
/// rule without its first label.
fn public_suffix(name: &str, starts: &[usize]) -> (usize, bool) {
    let n = starts.len();
    let last = |k: usize| &name[starts[n - k]..];
    let rules = rules();
    let mut longest = None;
    for k in 1..=n {
        if contains(rules, &format!("!{}", last(k))) {
            return (k - 1, true);
        }
        if contains(rules, last(k)) || (k > 1 && contains(rules, &format!("*.{}", last(k - 1)))) {
            longest = Some(k);
        }
    }
    longest.map_or((1, false), |k| (k, true))
}

/// Whether canonical `host` is `domain` or a subdomain of it: whether a cookie
/// with `Domain={domain}` reaches it.
pub fn is_within(host: &str, domain: &str) -> bool {
    host.strip_suffix(domain).is_some_and(|sub| sub.is_empty() || sub.ends_with('.'))
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Real multi-label suffixes, from the ICANN section and the private one.
    pub(crate) const MULTI_LABEL_SUFFIXES: [&str; 5] = ["co.uk", "com.au", "co.jp", "com.br", "github.io"];

    #[test]
    fn registrable_domains_follow_the_list() {
        assert_eq!(registrable_domain("www.shop.co.uk").as_deref(), Some("shop.co.uk"));
        assert_eq!(registrable_domain("shop.co.uk").as_deref(), Some("shop.co.uk"));
        assert_eq!(registrable_domain("a.b.shop.com.au").as_deref(), Some("shop.com.au"));
        assert_eq!(registrable_domain("shop.github.io").as_deref(), Some("shop.github.io"));
        assert_eq!(registrable_domain("docs.shop.github.io").as_deref(), Some("shop.github.io"));
        assert_eq!(registrable_domain("www.example.com").as_deref(), Some("example.com"));
        assert_eq!(registrable_domain("example.com").as_deref(), Some("example.com"));
        assert_eq!(registrable_domain("app.shop.workers.dev").as_deref(), Some("shop.workers.dev"), "private section");
        assert_eq!(registrable_domain("www.shop.test").as_deref(), Some("shop.test"), "unlisted TLD: the * rule");
        for none in ["co.uk", "com.au", "github.io", "com", "uk", "workers.dev", "foo.ck"] {
            assert_eq!(registrable_domain(none), None, "{none} is a public suffix");
        }
        assert_eq!(registrable_domain("www.ck").as_deref(), Some("www.ck"), "an exception rule (!www.ck)");
    }

    #[test]
    fn ips_single_labels_and_non_hosts_have_none() {
        for none in ["localhost", "LOCALHOST.", "intranet", "127.0.0.1", "10.0.0.1", "127.1", "0x7f.0.0.1", "[::1]", "[2001:db8::1]", "::1", "", ".", "a..b", ".shop.example", "shop.example..", "shop.example/x", "shop.example:80", "a b.example"] {
            assert_eq!(registrable_domain(none), None, "{none:?}");
        }
    }

    #[test]
    fn case_trailing_dots_and_idns_are_normalised() {
        assert_eq!(registrable_domain("WWW.Shop.CO.UK.").as_deref(), Some("shop.co.uk"));
        assert_eq!(registrable_domain("www.bücher.de").as_deref(), Some("xn--bcher-kva.de"));
        assert_eq!(registrable_domain("www.xn--bcher-kva.de").as_deref(), Some("xn--bcher-kva.de"));
        // 公司.cn is a listed suffix: the default rule alone would answer xn--55qx5d.cn.
        assert_eq!(registrable_domain("www.shop.xn--55qx5d.cn").as_deref(), Some("shop.xn--55qx5d.cn"));
        assert_eq!(registrable_domain("www.shop.公司.cn").as_deref(), Some("shop.xn--55qx5d.cn"));
        assert_eq!(registrable_domain("xn--55qx5d.cn").as_deref(), None);
        assert_eq!(registrable_domain("shop.xn--p1ai").as_deref(), Some("shop.xn--p1ai"));
    }

    #[test]
    fn canonical_hosts() {
        assert_eq!(canonical_host("WWW.Bücher.example.").as_deref(), Some("www.xn--bcher-kva.example"));
        assert_eq!(canonical_host("127.1").as_deref(), Some("127.0.0.1"));
        assert_eq!(canonical_host("[0:0::1]").as_deref(), Some("[::1]"));
        assert_eq!(canonical_host("localhost").as_deref(), Some("localhost"));
        for none in ["", ".", "a..b", "::1", "shop.example:80", "https://shop.example"] {
            assert_eq!(canonical_host(none), None, "{none:?}");
        }
        assert_eq!(domain_name("127.0.0.1"), None);
        assert_eq!(domain_name("[::1]"), None);
        assert_eq!(domain_name("Shop.Example.").as_deref(), Some("shop.example"));
    }

    #[test]
    fn public_suffixes_are_listed_names_only() {
        for suffix in ["com", "co.uk", "CO.UK.", "github.io", "workers.dev", "foo.ck", "xn--55qx5d.cn", "公司.cn"] {
            assert!(is_public_suffix(suffix), "{suffix}");
        }
        for not in ["shop.co.uk", "shop.github.io", "www.ck", "localhost", "shop.test", "127.0.0.1", "[::1]", "", "a..co.uk"] {
            assert!(!is_public_suffix(not), "{not:?}");
        }
    }

    /// The `psl` crate's own copy of the list (`data/rules.txt` in its package), found
    /// through `cargo metadata`.
    fn psl_crate_rules() -> String {
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
        let out = std::process::Command::new(cargo).args(["metadata", "--format-version", "1", "--offline"]).current_dir(env!("CARGO_MANIFEST_DIR")).output().unwrap();
        let meta: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        let psl = meta["packages"].as_array().unwrap().iter().find(|p| p["name"] == "psl").expect("psl is a dev-dependency");
        std::fs::read_to_string(std::path::Path::new(psl["manifest_path"].as_str().unwrap()).with_file_name("data/rules.txt")).unwrap()
    }

    /// A rule as the file holds it: IDNs in punycode.
    fn ascii_rule(rule: &str) -> String {
        let (prefix, name) = match (rule.strip_prefix("*."), rule.strip_prefix('!')) {
            (Some(name), _) => ("*.", name),
            (None, Some(name)) => ("!", name),
            (None, None) => ("", rule),
        };
        format!("{prefix}{}", domain_name(name).unwrap_or_else(|| name.to_string()))
    }

    #[test]
    fn the_file_is_the_psl_crates_list_in_ascii() {
        let mut rules: Vec<String> = psl_crate_rules().lines().map(str::trim).filter(|l| !l.is_empty() && !l.starts_with("//")).map(ascii_rule).collect();
        rules.sort();
        rules.dedup();
        let text: String = rules.iter().map(|r| format!("{r}\n")).collect();
        if std::env::var_os("UPDATE_PSL").is_some() {
            std::fs::write(concat!(env!("CARGO_MANIFEST_DIR"), "/../www/data/public-suffixes.txt"), &text).unwrap();
            return;
        }
        assert!(EMBEDDED == text, "www/data/public-suffixes.txt is not the psl crate's list: run UPDATE_PSL=1 cargo test -p edgeref-shared domain");
    }

    /// The crate's answers, for a canonical name.
    fn psl_crate(host: &str) -> (Option<String>, bool) {
        (psl::domain_str(host).map(String::from), psl::suffix(host.as_bytes()).is_some_and(|s| s.is_known() && s == host))
    }

    /// Where the crate and the list's algorithm part: a name that a wildcard rule makes a
    /// suffix and that has a wildcard rule of its own (`mtls.run.app`, under `*.run.app`
    /// and above `*.mtls.run.app`). The crate then matches no rule at all, not even the
    /// top-level domain's; the list's algorithm (and browsers) take the longest match.
    fn crate_misses(host: &str) -> bool {
        host.split_once('.').is_some_and(|(_, parent)| contains(EMBEDDED, &format!("*.{parent}")) && contains(EMBEDDED, &format!("*.{host}")))
    }

    #[test]
    fn every_rule_answers_as_the_psl_crate_does() {
        let mut missed = Vec::new();
        for rule in EMBEDDED.lines() {
            let base = rule.trim_start_matches("*.").trim_start_matches('!');
            for host in [base.to_string(), format!("x.{base}"), format!("y.x.{base}")] {
                let ours = (registrable_domain(&host), is_public_suffix(&host));
                if crate_misses(&host) {
                    assert_eq!((ours, psl_crate(&host).1), ((None, true), false), "{host}");
                    missed.push(host);
                } else {
                    assert_eq!(ours, psl_crate(&host), "{host} ({rule})");
                }
            }
        }
        assert!(missed.contains(&"mtls.run.app".to_string()) && missed.len() < 40, "{missed:?}");
    }

    #[test]
    fn within_compares_whole_labels() {
        assert!(is_within("shop.example", "shop.example"));
        assert!(is_within("www.shop.example", "shop.example"));
        assert!(!is_within("evilshop.example", "shop.example"));
        assert!(!is_within("shop.example", "www.shop.example"));
        assert!(!is_within("shop.example.evil", "shop.example"));
    }

    /// A DNS label: not all digits (never read as an IPv4 part), no `--` (never `xn--`).
    pub(crate) fn label() -> impl Strategy<Value = String> {
        "[a-z]([a-z0-9]{0,12}(-[a-z0-9]{1,4})?)?"
    }

    /// A case-insensitive spelling of the same ASCII name.
    fn mixed_case(name: &str, upper: &[bool]) -> String {
        name.chars().zip(upper.iter().cycle()).map(|(c, up)| if *up { c.to_ascii_uppercase() } else { c }).collect()
    }

    proptest! {
        #[test]
        fn registrable_domain_is_the_label_before_a_multi_label_suffix(labels in proptest::collection::vec(label(), 1..5), suffix in proptest::sample::select(&MULTI_LABEL_SUFFIXES[..])) {
            let host = format!("{}.{suffix}", labels.join("."));
            let expected = format!("{}.{suffix}", labels.last().unwrap());
            prop_assert_eq!(registrable_domain(&host), Some(expected));
        }

        #[test]
        fn registrable_domain_ignores_case_and_a_trailing_dot(labels in proptest::collection::vec(label(), 1..4), suffix in proptest::sample::select(&MULTI_LABEL_SUFFIXES[..]), upper in proptest::collection::vec(any::<bool>(), 1..8), dot in any::<bool>()) {
            let host = format!("{}.{suffix}", labels.join("."));
            let spelled = format!("{}{}", mixed_case(&host, &upper), if dot { "." } else { "" });
            prop_assert_eq!(registrable_domain(&spelled), registrable_domain(&host));
        }

        #[test]
        fn registrable_domain_is_a_suffix_of_the_host_and_never_a_public_suffix(host in "([a-zA-Z0-9-]{1,10}\\.){0,4}(co\\.uk|com\\.au|co\\.jp|com\\.br|github\\.io|com|io|example|ck)\\.?") {
            if let Some(domain) = registrable_domain(&host) {
                prop_assert!(is_within(&canonical_host(&host).unwrap(), &domain));
                prop_assert!(!is_public_suffix(&domain));
                prop_assert!(domain.contains('.'));
            }
        }

        #[test]
        fn ipv4_addresses_have_no_registrable_domain(ip in any::<core::net::Ipv4Addr>()) {
            prop_assert_eq!(registrable_domain(&ip.to_string()), None);
            prop_assert_eq!(canonical_host(&ip.to_string()), Some(ip.to_string()));
        }

        #[test]
        fn ipv6_addresses_have_no_registrable_domain(ip in any::<core::net::Ipv6Addr>()) {
            prop_assert_eq!(registrable_domain(&format!("[{ip}]")), None);
            prop_assert_eq!(registrable_domain(&ip.to_string()), None);
        }

        #[test]
        fn single_labels_have_no_registrable_domain(name in label(), dot in any::<bool>()) {
            prop_assert_eq!(registrable_domain(&format!("{name}{}", if dot { "." } else { "" })), None);
        }

        #[test]
        fn punycode_and_unicode_spellings_agree(prefix in label(), unicode_label in "[a-zäöüéèàçñ]{1,10}", suffix in proptest::sample::select(&MULTI_LABEL_SUFFIXES[..])) {
            let unicode = format!("{prefix}.{unicode_label}.{suffix}");
            let ascii = canonical_host(&unicode).unwrap();
            prop_assert!(ascii.is_ascii());
            prop_assert_eq!(registrable_domain(&unicode), registrable_domain(&ascii));
        }

        #[test]
        fn any_name_answers_as_the_psl_crate_does(labels in proptest::collection::vec(label(), 0..3), tail in proptest::sample::select(EMBEDDED.lines().collect::<Vec<_>>())) {
            let base = tail.trim_start_matches("*.").trim_start_matches('!');
            let host = labels.iter().map(|l| format!("{l}.")).collect::<String>() + base;
            prop_assume!(!crate_misses(&host));
            prop_assert_eq!((registrable_domain(&host), is_public_suffix(&host)), psl_crate(&host));
        }

        #[test]
        fn domain_functions_never_panic(s in "\\PC{0,80}") {
            let _ = (canonical_host(&s), registrable_domain(&s), is_public_suffix(&s));
        }
    }
}
