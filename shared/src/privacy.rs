//! Privacy rules (docs/privacy.md): when the snippet may store and send, how long
//! raw visits are kept, and what an erasure removes from stored JSON and text.

use crate::ValidationError;
use alloc::{borrow::ToOwned, string::String, vec::Vec};
use serde_json::Value;

/// Whether tracking waits for the visitor's consent (`tracking.consent`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Consent {
    /// Cookies and beacons as soon as a code is seen (the default).
    #[default]
    NotRequired,
    /// Nothing stored or sent until the page calls `edgeref('consent', 'granted')`.
    Required,
    /// As `required`, with the grant read from Google Consent Mode's `ad_storage`.
    GoogleConsentMode,
}

impl Consent {
    /// Whether the visitor must agree before a cookie is set or a visit counted.
    pub fn waits(self) -> bool {
        self != Self::NotRequired
    }

    /// The loader's `k` value: absent (0) for `not_required`, so the plain page view does not grow.
    pub fn loader_flag(self) -> u8 {
        match self {
            Self::NotRequired => 0,
            Self::Required => 1,
            Self::GoogleConsentMode => 2,
        }
    }
}

/// `tracking.visit_retention_days` when unset.
pub const DEFAULT_VISIT_RETENTION_DAYS: u16 = 400;
pub const MIN_VISIT_RETENTION_DAYS: u16 = 30;
pub const MAX_VISIT_RETENTION_DAYS: u16 = 3650;
/// Delivered outbox rows (events whose every delivery succeeded) are kept this long.
pub const DELIVERED_OUTBOX_DAYS: i64 = 30;
const DAY_MS: i64 = 86_400_000;

/// How long raw visits are kept before the scheduled run rolls them into daily counts.
pub fn visit_retention_days(days: i64) -> Result<u16, ValidationError> {
    if (MIN_VISIT_RETENTION_DAYS as i64..=MAX_VISIT_RETENTION_DAYS as i64).contains(&days) {
        Ok(days as u16)
    } else {
        Err(ValidationError::new("visit_retention_days", "must be 30 to 3650 days"))
    }
}

/// Raw visits created before this instant (Unix ms) are past `days` of retention at `now`.
pub fn retention_cutoff(now: i64, days: u16) -> i64 {
    now - days as i64 * DAY_MS
}

/// What replaces an erased value.
pub const ERASED: &str = "[erased]";

/// What an erasure removes wherever it is written: the person's address (any
/// case, anywhere in a text) and their names (as whole words, case as given).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Erasure {
    email: String,
    /// Longest first, so "Ann Lee" goes before "Ann".
    names: Vec<String>,
}

impl Erasure {
    pub fn new(email: &str, name: Option<&str>, surname: Option<&str>) -> Self {
        let mut names: Vec<String> = Vec::new();
        let parts: Vec<&str> = [name, surname].into_iter().flatten().map(str::trim).filter(|n| !n.is_empty()).collect();
        if parts.len() == 2 {
            names.push(alloc::format!("{} {}", parts[0], parts[1]));
        }
        names.extend(parts.iter().map(|p| (*p).to_owned()));
        names.sort_by_key(|n| core::cmp::Reverse(n.len()));
        names.dedup();
        Self { email: email.trim().to_ascii_lowercase(), names }
    }

    /// The values to look for in stored text (the address, then the names), for a pre-filter.
    pub fn terms(&self) -> Vec<&str> {
        core::iter::once(self.email.as_str()).filter(|e| !e.is_empty()).chain(self.names.iter().map(String::as_str)).collect()
    }

    /// `text` with every erased value replaced by `[erased]`; `None` when nothing was found.
    pub fn redact_text(&self, text: &str) -> Option<String> {
        let mut out = text.to_owned();
        if !self.email.is_empty() {
            out = replace_ascii_case_insensitive(&out, &self.email);
        }
        for name in &self.names {
            out = replace_words(&out, name);
        }
        (out != text).then_some(out)
    }

    /// Redacts every string (object keys stay: they are field names) inside `value`;
    /// whether anything changed.
    pub fn redact_json(&self, value: &mut Value) -> bool {
        match value {
            Value::String(s) => match self.redact_text(s) {
                Some(r) => {
                    *s = r;
                    true
                }
                None => false,
            },
            Value::Array(items) => items.iter_mut().fold(false, |changed, v| self.redact_json(v) | changed),
            Value::Object(map) => map.values_mut().fold(false, |changed, v| self.redact_json(v) | changed),
            _ => false,
        }
    }

    /// A stored column: JSON when it parses (redacted value by value, so the result
    /// stays valid JSON), else plain text. `None` when nothing was found.
    pub fn redact_stored(&self, stored: &str) -> Option<String> {
        match serde_json::from_str::<Value>(stored) {
            Ok(mut v) => self.redact_json(&mut v).then(|| v.to_string()),
            _ => self.redact_text(stored),
        }
    }
}

/// Every occurrence of `needle` (lower-case ASCII) in `hay`, ignoring ASCII case.
fn replace_ascii_case_insensitive(hay: &str, needle: &str) -> String {
    let lower = hay.to_ascii_lowercase();
    let mut out = String::with_capacity(hay.len());
    let mut at = 0;
    while let Some(i) = lower[at..].find(needle) {
        out.push_str(&hay[at..at + i]);
        out.push_str(ERASED);
        at += i + needle.len();
    }
    out.push_str(&hay[at..]);
    out
}

/// Every occurrence of `word` in `hay` not inside a longer word (letters or digits either side).
fn replace_words(hay: &str, word: &str) -> String {
    let mut out = String::with_capacity(hay.len());
    let mut at = 0;
    while let Some(i) = hay[at..].find(word) {
        let start = at + i;
        let end = start + word.len();
        let before = hay[..start].chars().next_back().is_some_and(char::is_alphanumeric);
        let after = hay[end..].chars().next().is_some_and(char::is_alphanumeric);
        out.push_str(&hay[at..start]);
        if before || after {
            out.push_str(word);
        } else {
            out.push_str(ERASED);
        }
        at = end;
    }
    out.push_str(&hay[at..]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use serde_json::json;

    #[test]
    fn consent_reads_its_three_values_only() {
        for (s, c, flag) in [("not_required", Consent::NotRequired, 0), ("required", Consent::Required, 1), ("google_consent_mode", Consent::GoogleConsentMode, 2)] {
            let parsed: Consent = serde_json::from_value(json!(s)).unwrap();
            assert_eq!((parsed, parsed.loader_flag(), parsed.waits()), (c, flag, flag != 0));
            assert_eq!(serde_json::to_value(c).unwrap(), json!(s));
        }
        for bad in ["", "granted", "Required", "none"] {
            assert!(serde_json::from_value::<Consent>(json!(bad)).is_err(), "{bad}");
        }
        assert_eq!(Consent::default(), Consent::NotRequired);
    }

    #[test]
    fn retention_is_30_to_3650_days() {
        assert_eq!(visit_retention_days(30), Ok(30));
        assert_eq!(visit_retention_days(400), Ok(400));
        assert_eq!(visit_retention_days(3650), Ok(3650));
        for bad in [29, 3651, 0, -1, i64::MIN, i64::MAX] {
            assert_eq!(visit_retention_days(bad).unwrap_err().field, "visit_retention_days", "{bad}");
        }
        assert_eq!(retention_cutoff(1_000 * DAY_MS + 5, 400), 600 * DAY_MS + 5);
    }

    fn ann() -> Erasure {
        Erasure::new(" Ann.Lee@Example.com", Some("Ann"), Some("Lee"))
    }

    #[test]
    fn terms_are_the_address_then_names_longest_first() {
        assert_eq!(ann().terms(), ["ann.lee@example.com", "Ann Lee", "Ann", "Lee"]);
        assert_eq!(Erasure::new("a@x.example", None, Some("  ")).terms(), ["a@x.example"]);
        assert_eq!(Erasure::new("a@x.example", Some("Bo"), Some("Bo")).terms(), ["a@x.example", "Bo Bo", "Bo"]);
        assert!(Erasure::new("", None, None).terms().is_empty());
    }

    #[test]
    fn the_address_goes_in_any_case_and_names_as_whole_words() {
        let e = ann();
        assert_eq!(e.redact_text("to ANN.LEE@example.COM, cc ann.lee@example.com").as_deref(), Some("to [erased], cc [erased]"));
        assert_eq!(e.redact_text("Hi Ann Lee! Anne and Leela stay; Ann, too.").as_deref(), Some("Hi [erased]! Anne and Leela stay; [erased], too."));
        assert_eq!(e.redact_text("nothing here"), None);
        assert_eq!(e.redact_text("ann"), None, "names keep their case");
        assert_eq!(e.redact_text("Ann").as_deref(), Some("[erased]"));
        assert_eq!(e.redact_text("xAnn Ann1 Ann"), Some("xAnn Ann1 [erased]".into()));
        assert_eq!(Erasure::new("", Some("Zoë"), None).redact_text("éZoë Zoë").as_deref(), Some("éZoë [erased]"));
    }

    #[test]
    fn json_keeps_its_shape_keys_and_amounts() {
        let e = ann();
        let mut v = json!({"email": {"from": "ann.lee@example.com", "to": null}, "Ann": 5, "list": ["Ann", 3, true], "amount": 1200, "key": "ann"});
        assert!(e.redact_json(&mut v));
        assert_eq!(v, json!({"email": {"from": "[erased]", "to": null}, "Ann": 5, "list": ["[erased]", 3, true], "amount": 1200, "key": "ann"}));
        assert!(!e.redact_json(&mut v), "twice changes nothing");
        assert!(!e.redact_json(&mut json!(null)));
        assert!(e.redact_json(&mut json!(["Ann", "Lee", 1])), "two changes are still a change");
        assert!(e.redact_json(&mut json!({"a": "Ann", "b": "Lee", "c": 1})));
        assert_eq!(e.redact_stored(r#"{"a":"Ann"}"#).as_deref(), Some(r#"{"a":"[erased]"}"#));
        assert_eq!(e.redact_stored(r#"{"a":"Bob"}"#), None);
        assert_eq!(e.redact_stored("Dear Ann,").as_deref(), Some("Dear [erased],"));
        assert_eq!(e.redact_stored(r#""Ann""#).as_deref(), Some(r#""[erased]""#), "a JSON string");
        assert_eq!(e.redact_stored("Ann 42").as_deref(), Some("[erased] 42"), "not JSON: text");
        // Escaped in JSON, found once parsed.
        assert_eq!(Erasure::new("a\"b@x.example", None, None).redact_stored(r#"["a\"b@x.example"]"#).as_deref(), Some(r#"["[erased]"]"#));
    }

    proptest! {
        #[test]
        fn nothing_erased_survives(prefix in "[a-z ]{0,8}", suffix in "[a-z .,]{0,8}", local in "[a-z]{1,8}") {
            let email = alloc::format!("{local}@x.example");
            let e = Erasure::new(&email, Some("Zed"), Some("Quill"));
            let text = alloc::format!("{prefix} {} {suffix} Zed Quill {suffix}", email.to_ascii_uppercase());
            let out = e.redact_text(&text).unwrap();
            prop_assert!(!out.to_ascii_lowercase().contains(&email));
            prop_assert!(!out.contains("Zed") && !out.contains("Quill"));
            let mut v = json!({"a": [text.clone()], "b": {"c": text}});
            prop_assert!(e.redact_json(&mut v));
            prop_assert!(!v.to_string().to_ascii_lowercase().contains(&email));
        }

        #[test]
        fn text_without_the_values_is_untouched(s in "[a-y .@]{0,30}") {
            prop_assert_eq!(Erasure::new("zz@zz.example", Some("Zed"), None).redact_text(&s), None);
        }
    }
}
