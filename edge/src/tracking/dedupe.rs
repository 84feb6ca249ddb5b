//! The same visitor landing on the same link again soon (a reload, a back
//! button, a double fire) is the same visit: each isolate remembers recent
//! visits by fingerprint. A repeat that reaches another data centre counts
//! again, which is rare and harmless.

use crate::ids;
use std::cell::RefCell;
use std::collections::HashMap;

/// How long a repeat is folded into the first visit.
const DEDUPE_MS: i64 = 10 * 60_000;
/// Fingerprints kept at most; a full memory drops the expired ones, then all.
const DEDUPE_MAX: usize = 20_000;

thread_local! {
    static RECENT_VISITS: RefCell<HashMap<String, (i64, String)>> = Default::default();
}

/// What makes two beacons the same visit.
pub fn fingerprint(program_id: &str, code: &str, ip: &str, user_agent: &str, url: &str) -> String {
    [program_id, code, ip, user_agent, url].join("\u{1f}")
}

/// The id of the visit this fingerprint already made, if recent.
pub fn recent_visit(fingerprint: &str) -> Option<String> {
    let now = ids::now_ms();
    RECENT_VISITS.with(|r| r.borrow().get(fingerprint).filter(|(at, _)| now - at < DEDUPE_MS).map(|(_, id)| id.clone()))
}

pub fn remember_visit(fingerprint: &str, id: &str) {
    let now = ids::now_ms();
    RECENT_VISITS.with(|r| {
        let mut r = r.borrow_mut();
        if r.len() >= DEDUPE_MAX {
            r.retain(|_, (at, _)| now - *at < DEDUPE_MS);
            if r.len() >= DEDUPE_MAX {
                r.clear();
            }
        }
        r.insert(fingerprint.to_owned(), (now, id.to_owned()));
    });
}

/// Forgets a visit that could not be stored, so its repeat is tried again.
pub fn forget_visit(fingerprint: &str) {
    RECENT_VISITS.with(|r| r.borrow_mut().remove(fingerprint));
}

#[cfg(test)]
mod tests {
    #[test]
    fn fingerprints_differ_when_any_part_differs_and_parts_cannot_run_together() {
        let base = super::fingerprint("p", "code", "1.2.3.4", "UA", "https://s.example/");
        assert_ne!(base, super::fingerprint("p", "code", "1.2.3.5", "UA", "https://s.example/"));
        assert_ne!(base, super::fingerprint("p", "code", "1.2.3.4", "UA", "https://s.example/x"));
        assert_ne!(super::fingerprint("p", "ab", "c", "", ""), super::fingerprint("p", "a", "bc", "", ""));
    }
}
