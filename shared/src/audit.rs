//! The audit log's rules: who made a change (`Actor`) and the short diff that
//! describes it, with every secret redacted whatever the input holds.
//!
//! ```
//! use edgeref_shared::audit::{diff, REDACTED};
//! use serde_json::json;
//! let before = json!({"name": "Orders", "url": "https://a.example", "secret": "whsec_old"});
//! let after = json!({"name": "Orders", "url": "https://b.example", "secret": "whsec_new"});
//! assert_eq!(
//!     diff(Some(&before), Some(&after)),
//!     json!({"url": {"from": "https://a.example", "to": "https://b.example"}, "secret": {"from": REDACTED, "to": REDACTED}})
//! );
//! ```

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// What a secret's value becomes in a diff.
pub const REDACTED: &str = "[redacted]";

/// Strings longer than this are cut (with `…`): a diff says what changed, not the whole value.
pub const MAX_TEXT: usize = 200;

/// Who made a change.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Actor {
    /// `Authorization: Bearer <ADMIN_TOKEN>`.
    Admin,
    /// The dashboard (a session cookie from the admin token).
    Session,
    /// A program API key, by id and its name at the time.
    ApiKey { id: String, name: String },
    /// A team member signed in by e-mail code, by id and their address at the time.
    Person { id: String, email: String },
    /// Edgeref itself (the scheduled run).
    System,
}

impl Actor {
    /// The value the log's `actor` filter matches: `admin`, `session`, `system` or the key's id.
    pub fn id(&self) -> &str {
        match self {
            Actor::Admin => "admin",
            Actor::Session => "session",
            Actor::System => "system",
            Actor::ApiKey { id, .. } | Actor::Person { id, .. } => id,
        }
    }

    pub fn name(&self) -> Option<&str> {
        match self {
            Actor::ApiKey { name, .. } => Some(name),
            Actor::Person { email, .. } => Some(email),
            _ => None,
        }
    }

    /// Back from the stored columns (`actor`, `actor_name`).
    pub fn from_columns(id: &str, name: Option<&str>) -> Actor {
        match id {
            "admin" => Actor::Admin,
            "session" => Actor::Session,
            "system" => Actor::System,
            person if person.starts_with("usr_") => Actor::Person { id: person.to_owned(), email: name.unwrap_or_default().to_owned() },
            key => Actor::ApiKey { id: key.to_owned(), name: name.unwrap_or_default().to_owned() },
        }
    }
}

/// Whether a field holds a secret: webhook signing secrets, API key values and
/// hashes, integration credentials, tokens, passwords. Matched on the name, so
/// a new field called e.g. `refresh_token` is redacted without anyone remembering to.
pub fn is_secret_field(name: &str) -> bool {
    let name = name.to_ascii_lowercase();
    ["secret", "token", "password", "hash", "credential", "api_key", "apikey", "private"].iter().any(|s| name.contains(s))
}

/// Whether a field holds an endpoint that Edgeref posts to (a webhook's `url`, a `*hook_url`):
/// Zapier's and Slack's hook URLs carry their secret in the path, so only the origin is kept.
pub fn is_endpoint_field(name: &str) -> bool {
    let name = name.to_ascii_lowercase();
    name == "url" || name.ends_with("hook_url")
}

/// A URL's scheme and host (and port), without credentials, path, query or fragment; `/…`
/// says something followed. Text that is not `scheme://…` becomes `REDACTED` whole.
///
/// ```
/// use edgeref_shared::audit::endpoint_origin;
/// assert_eq!(endpoint_origin("https://hooks.zapier.com/hooks/catch/1/abc/?k=v"), "https://hooks.zapier.com/…");
/// assert_eq!(endpoint_origin("https://user:pw@example.com:8443"), "https://example.com:8443");
/// ```
pub fn endpoint_origin(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else { return REDACTED.into() };
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let authority = &rest[..end];
    let host = authority.rsplit_once('@').map_or(authority, |(_, host)| host);
    let more = if rest[end..].trim_start_matches('/').is_empty() { "" } else { "/…" };
    format!("{scheme}://{host}{more}")
}

fn endpoint_value(value: &Value) -> Value {
    match value {
        Value::String(s) => Value::String(endpoint_origin(s)),
        other => scrub(other),
    }
}

/// `value` with every secret field, at any depth, replaced by `REDACTED`, endpoint URLs cut to
/// their origin and long strings cut.
pub fn scrub(value: &Value) -> Value {
    match value {
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(k, v)| {
                    let kept = if is_secret_field(k) {
                        REDACTED.into()
                    } else if is_endpoint_field(k) {
                        endpoint_value(v)
                    } else {
                        scrub(v)
                    };
                    (k.clone(), kept)
                })
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.iter().map(scrub).collect()),
        Value::String(s) => Value::String(clip(s)),
        other => other.clone(),
    }
}

fn clip(s: &str) -> String {
    match s.char_indices().nth(MAX_TEXT) {
        Some((at, _)) => format!("{}…", &s[..at]),
        None => s.to_owned(),
    }
}

/// The changed fields between two JSON objects, as `{"field": {"from", "to"}}`
/// (`from` left out for a created object, `to` for a deleted one, whose empty
/// (`null`) fields are left out too: they say nothing). Nested objects
/// are compared field by field under dotted names (`tracking.cookie_days`).
/// Secret fields show only that they changed: both sides are `REDACTED`.
pub fn diff(before: Option<&Value>, after: Option<&Value>) -> Value {
    let mut out = Map::new();
    walk("", before, after, &mut out);
    Value::Object(out)
}

fn walk(path: &str, before: Option<&Value>, after: Option<&Value>, out: &mut Map<String, Value>) {
    let name = path.rsplit('.').next().unwrap_or(path);
    if !path.is_empty() && is_secret_field(name) {
        if before != after {
            let side = |v: Option<&Value>| v.filter(|v| !v.is_null()).map(|_| Value::from(REDACTED));
            insert(out, path, side(before), side(after));
        }
        return;
    }
    if !path.is_empty() && is_endpoint_field(name) {
        if before != after {
            insert(out, path, before.map(endpoint_value), after.map(endpoint_value));
        }
        return;
    }
    match (before, after) {
        (Some(Value::Object(a)), Some(Value::Object(b))) => {
            let mut keys: Vec<&String> = a.keys().chain(b.keys()).collect();
            keys.sort();
            keys.dedup();
            for k in keys {
                let child = if path.is_empty() { k.clone() } else { format!("{path}.{k}") };
                walk(&child, a.get(k), b.get(k), out);
            }
        }
        (None, Some(Value::Object(b))) if path.is_empty() => b.iter().filter(|(_, v)| !v.is_null()).for_each(|(k, v)| walk(k, None, Some(v), out)),
        (Some(Value::Object(a)), None) if path.is_empty() => a.iter().filter(|(_, v)| !v.is_null()).for_each(|(k, v)| walk(k, Some(v), None, out)),
        (a, b) if a != b && !path.is_empty() => insert(out, path, a.map(scrub), b.map(scrub)),
        _ => {}
    }
}

fn insert(out: &mut Map<String, Value>, path: &str, from: Option<Value>, to: Option<Value>) {
    let mut change = Map::new();
    if let Some(v) = from {
        change.insert("from".into(), v);
    }
    if let Some(v) = to {
        change.insert("to".into(), v);
    }
    out.insert(path.to_owned(), Value::Object(change));
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use serde_json::json;

    #[test]
    fn only_changed_fields_are_listed_with_dotted_names_for_nested_ones() {
        let before = json!({"name": "A", "tracking": {"cookie_days": 30, "param": "ref"}, "currency": "USD"});
        let after = json!({"name": "B", "tracking": {"cookie_days": 60, "param": "ref"}, "currency": "USD"});
        assert_eq!(diff(Some(&before), Some(&after)), json!({"name": {"from": "A", "to": "B"}, "tracking.cookie_days": {"from": 30, "to": 60}}));
        assert_eq!(diff(Some(&before), Some(&before)), json!({}));
    }

    #[test]
    fn a_nested_object_that_appears_or_goes_is_one_change_under_its_own_name() {
        let before = json!({"name": "A"});
        let after = json!({"name": "A", "rewards": {"hold_days": 30}});
        assert_eq!(diff(Some(&before), Some(&after)), json!({"rewards": {"to": {"hold_days": 30}}}));
        assert_eq!(diff(Some(&after), Some(&before)), json!({"rewards": {"from": {"hold_days": 30}}}));
    }

    #[test]
    fn a_created_object_has_only_to_and_a_deleted_one_only_from() {
        let obj = json!({"email": "ann@x.example", "name": null, "tags": []});
        assert_eq!(diff(None, Some(&obj)), json!({"email": {"to": "ann@x.example"}, "tags": {"to": []}}), "empty fields of a new object are left out");
        assert_eq!(diff(Some(&obj), None), json!({"email": {"from": "ann@x.example"}, "tags": {"from": []}}));
        assert_eq!(diff(None, None), json!({}));
    }

    #[test]
    fn secrets_are_redacted_at_any_depth_but_their_change_is_shown() {
        let before = json!({"stripe": {"webhook_secret": "whsec_1"}, "key_hash": "abc", "events": ["a"]});
        let after = json!({"stripe": {"webhook_secret": "whsec_2"}, "key_hash": "abc", "events": [{"api_token": "t"}]});
        let d = diff(Some(&before), Some(&after));
        assert_eq!(d["stripe.webhook_secret"], json!({"from": REDACTED, "to": REDACTED}));
        assert_eq!(d["events"]["to"], json!([{"api_token": REDACTED}]));
        assert!(d.get("key_hash").is_none(), "an unchanged secret is not listed");
        assert!(!d.to_string().contains("whsec_") && !d.to_string().contains("\"t\""));
    }

    #[test]
    fn secret_names_cover_keys_hashes_tokens_and_credentials_but_not_customer_keys() {
        for name in ["secret", "webhook_secret", "api_token", "hash", "Password", "credentials", "api_key", "private_key"] {
            assert!(is_secret_field(name), "{name}");
        }
        for name in ["key", "name", "email", "prefix", "referral_code", "customer_key"] {
            assert!(!is_secret_field(name), "{name}");
        }
    }

    #[test]
    fn long_text_is_cut() {
        let long = "x".repeat(500);
        let d = diff(None, Some(&json!({ "note": long })));
        assert_eq!(d["note"]["to"].as_str().unwrap().chars().count(), MAX_TEXT + 1);
    }

    #[test]
    fn actors_round_trip_through_their_columns() {
        for actor in [Actor::Admin, Actor::Session, Actor::System, Actor::ApiKey { id: "key_1".into(), name: "Backend".into() }, Actor::Person { id: "usr_1".into(), email: "ann@team.example".into() }] {
            assert_eq!(Actor::from_columns(actor.id(), actor.name()), actor);
        }
        assert_eq!(serde_json::to_value(Actor::ApiKey { id: "key_1".into(), name: "B".into() }).unwrap(), json!({"type": "api_key", "id": "key_1", "name": "B"}));
        assert_eq!(serde_json::to_value(Actor::Session).unwrap(), json!({"type": "session"}));
        assert_eq!(serde_json::to_value(Actor::Person { id: "usr_1".into(), email: "a@x.example".into() }).unwrap(), json!({"type": "person", "id": "usr_1", "email": "a@x.example"}));
    }

    #[test]
    fn endpoint_urls_keep_only_their_origin_wherever_they_stand() {
        let hook = "https://hooks.slack.com/services/T000/B000/XXXX";
        let created = diff(None, Some(&json!({"name": "slack", "url": hook})));
        assert_eq!(created, json!({"name": {"to": "slack"}, "url": {"to": "https://hooks.slack.com/…"}}));
        // A change of path alone still shows that the URL changed, not what to.
        let moved = diff(Some(&json!({"url": hook})), Some(&json!({"url": "https://hooks.slack.com/services/T1/B1/YYYY"})));
        assert_eq!(moved, json!({"url": {"from": "https://hooks.slack.com/…", "to": "https://hooks.slack.com/…"}}));
        assert_eq!(diff(Some(&json!({"url": hook})), Some(&json!({"url": hook}))), json!({}));
        let nested = scrub(&json!({"zap": {"target_hook_url": "https://hooks.zapier.com/a/b?c=d", "other_url": "https://shop.example/x"}}));
        assert_eq!(nested, json!({"zap": {"target_hook_url": "https://hooks.zapier.com/…", "other_url": "https://shop.example/x"}}));
        assert_eq!(diff(None, Some(&json!({"url": {"href": hook}}))), json!({"url": {"to": {"href": hook}}}), "only text is a URL; objects are scrubbed as usual");
    }

    #[test]
    fn an_endpoint_origin_drops_credentials_path_query_and_fragment() {
        assert_eq!(endpoint_origin("https://a.example"), "https://a.example");
        assert_eq!(endpoint_origin("https://a.example/"), "https://a.example");
        assert_eq!(endpoint_origin("http://127.0.0.1:9000/hook"), "http://127.0.0.1:9000/…");
        assert_eq!(endpoint_origin("https://a.example?token=x"), "https://a.example/…");
        assert_eq!(endpoint_origin("https://a.example#frag"), "https://a.example/…");
        assert_eq!(endpoint_origin("https://u:p@a.example/x"), "https://a.example/…");
        assert_eq!(endpoint_origin("https://u@p@a.example"), "https://a.example");
        assert_eq!(endpoint_origin("not a url/with/secret"), REDACTED);
    }

    /// Any JSON, with secrets planted under secret-named fields at random depths.
    fn json_with_secrets() -> impl Strategy<Value = (Value, String)> {
        let secret = "[A-Za-z0-9_]{12,24}".prop_map(|s| format!("S3CR3T{s}"));
        let leaf = prop_oneof![Just(Value::Null), any::<bool>().prop_map(Value::from), any::<i64>().prop_map(Value::from), "[a-z ]{0,12}".prop_map(Value::from)];
        let tree = leaf.prop_recursive(4, 32, 6, |inner| {
            prop_oneof![prop::collection::vec(inner.clone(), 0..4).prop_map(Value::from), prop::collection::btree_map("[a-z_]{1,8}", inner, 0..5).prop_map(|m| Value::Object(m.into_iter().collect()))]
        });
        let field = prop_oneof![Just("secret"), Just("webhook_secret"), Just("api_token"), Just("hash"), Just("password"), Just("credentials")];
        (tree, secret, field, prop::collection::vec("[a-z]{1,6}", 0..3)).prop_map(|(tree, secret, field, path)| {
            let mut root = json!({});
            let mut at = &mut root;
            for p in &path {
                at[p.as_str()] = json!({});
                at = at.get_mut(p.as_str()).unwrap();
            }
            at[field] = Value::from(secret.clone());
            root["rest"] = tree;
            (root, secret)
        })
    }

    proptest! {
        #[test]
        fn a_secret_never_appears_in_a_diff_whatever_the_input((a, secret_a) in json_with_secrets(), (b, secret_b) in json_with_secrets(), order in 0..4u8) {
            let d = match order {
                0 => diff(Some(&a), Some(&b)),
                1 => diff(None, Some(&a)),
                2 => diff(Some(&b), None),
                _ => diff(Some(&a), Some(&json!({"nested": b}))),
            };
            let text = d.to_string();
            prop_assert!(!text.contains(&secret_a) && !text.contains(&secret_b), "{}", text);
        }

        #[test]
        fn a_diff_of_an_object_with_itself_is_empty((a, _) in json_with_secrets()) {
            prop_assert_eq!(diff(Some(&a), Some(&a)), json!({}));
        }
    }
}
