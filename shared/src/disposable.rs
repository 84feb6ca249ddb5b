//! Throwaway-mail domains: mailchecker's maintained list, as a sorted text of one
//! lower-case domain per line. It is 800 KB, more than half of what the Worker's wasm
//! would weigh, so the Worker does not embed it: it reads `www/data/disposable-domains.txt`
//! through its assets binding once per isolate and asks `listed`. A test keeps that
//! file equal to the `mailchecker` crate's list (`UPDATE_DISPOSABLE=1` rewrites it).

use crate::sorted_lines::contains;

/// Whether the address's domain, or a parent domain of it (never a bare top-level
/// domain), is on `list`.
pub fn listed(list: &str, email: &str) -> bool {
    let Some((_, domain)) = email.trim().rsplit_once('@') else { return false };
    let domain = domain.trim_end_matches('.').to_ascii_lowercase();
    // `a.b.example.com` is checked as itself, `b.example.com` and `example.com`.
    let mut rest = domain.as_str();
    while rest.contains('.') {
        if contains(list, rest) {
            return true;
        }
        rest = rest.split_once('.').map_or("", |(_, parent)| parent);
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    const FILE: &str = include_str!("../../www/data/disposable-domains.txt");

    #[test]
    fn the_file_is_mailcheckers_list_sorted_once_each() {
        let mut expected: Vec<String> = mailchecker::blacklist().iter().map(|d| d.to_ascii_lowercase()).collect();
        expected.sort();
        expected.dedup();
        let text = expected.iter().map(|d| format!("{d}\n")).collect::<String>();
        if std::env::var_os("UPDATE_DISPOSABLE").is_some() {
            std::fs::write(concat!(env!("CARGO_MANIFEST_DIR"), "/../www/data/disposable-domains.txt"), &text).unwrap();
            return;
        }
        assert!(FILE == text, "www/data/disposable-domains.txt is not mailchecker's list: run UPDATE_DISPOSABLE=1 cargo test -p edgeref-shared disposable");
    }

    #[test]
    fn throwaway_domains_and_their_subdomains_are_listed() {
        assert!(listed(FILE, "x@mailinator.com"));
        assert!(listed(FILE, "x@33mail.com"));
        assert!(listed(FILE, "x@sub.33mail.com"));
        assert!(listed(FILE, "X@MAILINATOR.COM."));
        assert!(listed(FILE, " x@zzzzzzzzzzzzz.com "), "the last line");
        assert!(listed(FILE, "x@0-00.usa.cc"), "the first line");
        assert!(!listed(FILE, "x@gmail.com"));
        assert!(!listed(FILE, "x@example-shop.co.uk"));
        assert!(!listed(FILE, "x@com"), "a bare top-level domain is never asked about");
        assert!(!listed(FILE, "not an address"));
        assert!(!listed("", "x@mailinator.com"));
    }
}
