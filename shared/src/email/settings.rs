//! A program's e-mail settings: stored as the owner's changes over the defaults
//! (so a better default reaches every program that kept it), patched field by
//! field, validated before anything is written, and shown in full.

use super::message::Message;
use super::template;
use crate::validate;
use alloc::collections::BTreeMap;
use alloc::string::{String, ToString};
use serde::{Deserialize, Deserializer, Serialize};
use serde_json::{json, Value};

pub const MAX_SUBJECT_CHARS: usize = 200;
pub const MAX_BODY_CHARS: usize = 5_000;
pub const MAX_FROM_NAME_CHARS: usize = 100;

/// As stored in `programs.emails`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct EmailSettings {
    #[serde(default)]
    pub enabled: bool,
    #[serde(default)]
    pub from_address: Option<String>,
    #[serde(default)]
    pub from_name: Option<String>,
    #[serde(default)]
    pub reply_to: Option<String>,
    /// Only the messages the owner changed, and only what they changed.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub messages: BTreeMap<Message, MessageSettings>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct MessageSettings {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enabled: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subject: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body: Option<String>,
}

/// A `PATCH`'s `emails`: a field left out stays; `null` clears it (a subject
/// or body goes back to the default).
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EmailSettingsPatch {
    pub enabled: Option<bool>,
    #[serde(default, deserialize_with = "present")]
    pub from_address: Option<Option<String>>,
    #[serde(default, deserialize_with = "present")]
    pub from_name: Option<Option<String>>,
    #[serde(default, deserialize_with = "present")]
    pub reply_to: Option<Option<String>>,
    #[serde(default)]
    pub messages: BTreeMap<String, MessagePatch>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MessagePatch {
    pub enabled: Option<bool>,
    #[serde(default, deserialize_with = "present")]
    pub subject: Option<Option<String>>,
    #[serde(default, deserialize_with = "present")]
    pub body: Option<Option<String>>,
}

/// A field that is present, `null` or not: `Some(None)` for `null`.
fn present<'de, D: Deserializer<'de>, T: Deserialize<'de>>(d: D) -> Result<Option<Option<T>>, D::Error> {
    Option::<T>::deserialize(d).map(Some)
}

/// What is wrong with a patch, and where (`emails.messages.friend_joined.body`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    pub field: String,
    pub message: String,
}

fn error(field: impl Into<String>, message: impl Into<String>) -> FieldError {
    FieldError { field: field.into(), message: message.into() }
}

/// A message as it is sent: the owner's text or the default.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Effective<'a> {
    pub enabled: bool,
    pub subject: &'a str,
    pub body: &'a str,
}

impl EmailSettings {
    /// The message's subject, body and switch, defaults filled in.
    pub fn message(&self, m: Message) -> Effective<'_> {
        let own = self.messages.get(&m);
        Effective {
            enabled: own.and_then(|s| s.enabled).unwrap_or(true),
            subject: own.and_then(|s| s.subject.as_deref()).unwrap_or(m.default_subject()),
            body: own.and_then(|s| s.body.as_deref()).unwrap_or(m.default_body()),
        }
    }

    /// Whether the program sends `m` now: e-mails on, a sender set, the message not switched off.
    pub fn sends(&self, m: Message) -> bool {
        self.enabled && self.from_address.is_some() && self.message(m).enabled
    }

    /// These settings with `patch` applied, or the first thing wrong with the result.
    pub fn apply(&self, patch: EmailSettingsPatch) -> Result<EmailSettings, FieldError> {
        let mut next = self.clone();
        if let Some(enabled) = patch.enabled {
            next.enabled = enabled;
        }
        if let Some(v) = patch.from_address {
            next.from_address = v.map(|a| address("emails.from_address", &a)).transpose()?;
        }
        if let Some(v) = patch.reply_to {
            next.reply_to = v.map(|a| address("emails.reply_to", &a)).transpose()?;
        }
        if let Some(v) = patch.from_name {
            next.from_name = v.map(|n| from_name(&n)).transpose()?.filter(|n| !n.is_empty());
        }
        for (name, change) in patch.messages {
            let field = alloc::format!("emails.messages.{name}");
            let m = Message::parse(&name).ok_or_else(|| error(field.clone(), "no such message"))?;
            let own = next.messages.entry(m).or_default();
            if let Some(enabled) = change.enabled {
                own.enabled = Some(enabled);
            }
            if let Some(subject) = change.subject {
                own.subject = subject.map(|s| checked(m, &alloc::format!("{field}.subject"), s, MAX_SUBJECT_CHARS, false)).transpose()?;
            }
            if let Some(body) = change.body {
                own.body = body.map(|b| checked(m, &alloc::format!("{field}.body"), b, MAX_BODY_CHARS, true)).transpose()?;
            }
            // Back to every default: nothing to keep.
            if *own == MessageSettings::default() {
                next.messages.remove(&m);
            }
        }
        if next.enabled && next.from_address.is_none() {
            return Err(error("emails.enabled", "set emails.from_address (the sender) before switching e-mails on"));
        }
        Ok(next)
    }

    /// The API's view: every message in full, with what it may say.
    pub fn view(&self) -> Value {
        let messages: serde_json::Map<String, Value> = Message::ALL
            .iter()
            .map(|&m| {
                let e = self.message(m);
                let placeholders: alloc::vec::Vec<&str> = m.placeholders().iter().map(|p| p.as_str()).collect();
                (m.as_str().to_string(), json!({"enabled": e.enabled, "subject": e.subject, "body": e.body, "placeholders": placeholders}))
            })
            .collect();
        json!({
            "enabled": self.enabled,
            "from_address": self.from_address,
            "from_name": self.from_name,
            "reply_to": self.reply_to,
            "messages": messages,
        })
    }
}

fn address(field: &'static str, input: &str) -> Result<String, FieldError> {
    validate::email(field, input).map_err(|e| error(e.field, e.message))
}

fn from_name(input: &str) -> Result<String, FieldError> {
    let n = input.trim();
    if n.chars().count() > MAX_FROM_NAME_CHARS || n.chars().any(char::is_control) {
        return Err(error("emails.from_name", alloc::format!("must be at most {MAX_FROM_NAME_CHARS} characters on one line")));
    }
    Ok(n.to_string())
}

/// A subject or body: within its length, a subject on one line, its placeholders the message's own.
fn checked(m: Message, field: &str, text: String, max: usize, multiline: bool) -> Result<String, FieldError> {
    let controls = text.chars().any(|c| c.is_control() && !(multiline && matches!(c, '\n' | '\r' | '\t')));
    if text.trim().is_empty() || text.chars().count() > max || controls {
        let lines = if multiline { "" } else { " on one line" };
        return Err(error(field, alloc::format!("must be 1 to {max} characters{lines}")));
    }
    template::parse(&text, m.placeholders()).map_err(|message| error(field, message))?;
    Ok(text)
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec::Vec;
    use proptest::prelude::*;

    fn patch(v: Value) -> EmailSettingsPatch {
        serde_json::from_value(v).unwrap()
    }

    fn apply(s: &EmailSettings, v: Value) -> Result<EmailSettings, FieldError> {
        s.apply(patch(v))
    }

    fn field(r: Result<EmailSettings, FieldError>) -> String {
        r.unwrap_err().field
    }

    /// A program that sends: on, with a sender.
    fn sending() -> EmailSettings {
        apply(&EmailSettings::default(), json!({"enabled": true, "from_address": "rewards@shop.example", "from_name": "Shop", "reply_to": "help@shop.example"})).unwrap()
    }

    fn own(enabled: Option<bool>, subject: Option<&str>, body: Option<&str>) -> MessageSettings {
        MessageSettings { enabled, subject: subject.map(String::from), body: body.map(String::from) }
    }

    #[test]
    fn a_program_starts_with_emails_off_and_no_sender() {
        let s = EmailSettings::default();
        assert_eq!((s.enabled, &s.from_address, &s.from_name, &s.reply_to), (false, &None, &None, &None));
        assert!(s.messages.is_empty());
        assert!(Message::ALL.iter().all(|m| !s.sends(*m)));
        // What the migration stores for every existing program, and an empty object, read as that.
        assert_eq!(serde_json::from_str::<EmailSettings>(r#"{"enabled":false}"#).unwrap(), s);
        assert_eq!(serde_json::from_str::<EmailSettings>("{}").unwrap(), s);
    }

    #[test]
    fn a_field_left_out_of_a_patch_stays() {
        let s = sending();
        assert_eq!(s.from_address.as_deref(), Some("rewards@shop.example"));
        assert_eq!(s.from_name.as_deref(), Some("Shop"));
        assert_eq!(s.reply_to.as_deref(), Some("help@shop.example"));
        assert_eq!(apply(&s, json!({})).unwrap(), s);
        assert_eq!(apply(&s, json!({"messages": {}})).unwrap(), s);
        let renamed = apply(&s, json!({"from_name": "Shop & Co"})).unwrap();
        assert_eq!(renamed, EmailSettings { from_name: Some("Shop & Co".into()), ..s.clone() });
        let off = apply(&s, json!({"enabled": false})).unwrap();
        assert_eq!(off, EmailSettings { enabled: false, ..s.clone() }, "switching off keeps the sender");
        assert_eq!(apply(&s, json!({"enabled": null})).unwrap(), s, "a null switch changes nothing");
    }

    #[test]
    fn null_clears_a_field() {
        let s = sending();
        assert_eq!(apply(&s, json!({"reply_to": null})).unwrap().reply_to, None);
        assert_eq!(apply(&s, json!({"from_name": null})).unwrap().from_name, None);
        assert_eq!(apply(&s, json!({"from_name": "   "})).unwrap().from_name, None, "a blank name is no name");
        let off = apply(&s, json!({"enabled": false, "from_address": null})).unwrap();
        assert_eq!((off.enabled, off.from_address), (false, None));
    }

    #[test]
    fn emails_cannot_be_on_without_a_sender() {
        let err = EmailSettings::default().apply(patch(json!({"enabled": true}))).unwrap_err();
        assert_eq!(err, FieldError { field: "emails.enabled".into(), message: "set emails.from_address (the sender) before switching e-mails on".into() });
        assert_eq!(field(apply(&sending(), json!({"from_address": null}))), "emails.enabled", "nor lose it while on");
        let on = apply(&EmailSettings::default(), json!({"enabled": true, "from_address": "a@x.example"})).unwrap();
        assert_eq!((on.enabled, on.from_address.as_deref()), (true, Some("a@x.example")), "one patch can do both");
        assert!(apply(&EmailSettings::default(), json!({"from_address": "a@x.example"})).is_ok(), "a sender alone is fine");
    }

    #[test]
    fn addresses_must_be_email_addresses() {
        let s = EmailSettings::default();
        for bad in ["", "nope", "a@localhost", "a b@x.example", "@x.example"] {
            assert_eq!(apply(&s, json!({"from_address": bad})).unwrap_err(), FieldError { field: "emails.from_address".into(), message: "must be an email address like name@example.com".into() }, "{bad:?}");
            assert_eq!(field(apply(&s, json!({"reply_to": bad}))), "emails.reply_to", "{bad:?}");
        }
        let ok = apply(&s, json!({"from_address": " Rewards@Shop.example ", "reply_to": "\thelp@shop.example\n"})).unwrap();
        assert_eq!(ok.from_address.as_deref(), Some("Rewards@Shop.example"), "trimmed, case kept");
        assert_eq!(ok.reply_to.as_deref(), Some("help@shop.example"));
    }

    #[test]
    fn a_sender_name_is_one_line_of_at_most_100_characters() {
        let s = EmailSettings::default();
        let name = |n: &str| apply(&s, json!({"from_name": n}));
        assert_eq!(name(&"é".repeat(100)).unwrap().from_name, Some("é".repeat(100)), "characters, not bytes");
        assert_eq!(name(&format!("  {}  ", "x".repeat(100))).unwrap().from_name, Some("x".repeat(100)), "counted after trimming");
        assert_eq!(name(" Shop ").unwrap().from_name.as_deref(), Some("Shop"));
        let err = FieldError { field: "emails.from_name".into(), message: "must be at most 100 characters on one line".into() };
        for bad in ["x".repeat(101), "a\nb".into(), "a\r\nBcc: x@y.example".into(), "a\tb".into(), "a\u{0}".into()] {
            assert_eq!(name(&bad).unwrap_err(), err, "{bad:?}");
        }
    }

    #[test]
    fn an_unknown_message_is_refused_by_its_name() {
        let err = apply(&sending(), json!({"messages": {"welcome": {"enabled": false}}})).unwrap_err();
        assert_eq!(err, FieldError { field: "emails.messages.welcome".into(), message: "no such message".into() });
        assert_eq!(field(apply(&sending(), json!({"messages": {"Friend_Joined": {}}}))), "emails.messages.Friend_Joined");
        for m in Message::ALL {
            assert!(apply(&sending(), json!({"messages": {m.as_str(): {"enabled": false}}})).is_ok(), "{m:?}");
        }
    }

    #[test]
    fn messages_are_merged_field_by_field() {
        let s = apply(&sending(), json!({"messages": {"friend_joined": {"subject": "{{friend_name}} is in!"}}})).unwrap();
        assert_eq!(s.messages, BTreeMap::from([(Message::FriendJoined, own(None, Some("{{friend_name}} is in!"), None))]));
        let s = apply(&s, json!({"messages": {"friend_joined": {"enabled": false}, "payout_sent": {"body": "Paid: {{amount}}"}}})).unwrap();
        assert_eq!(
            s.messages,
            BTreeMap::from([(Message::FriendJoined, own(Some(false), Some("{{friend_name}} is in!"), None)), (Message::PayoutSent, own(None, None, Some("Paid: {{amount}}")))])
        );
        let e = s.message(Message::FriendJoined);
        assert_eq!(e, Effective { enabled: false, subject: "{{friend_name}} is in!", body: Message::FriendJoined.default_body() });
        // `null` goes back to the default; what is left stays.
        let s = apply(&s, json!({"messages": {"friend_joined": {"subject": null}}})).unwrap();
        assert_eq!(s.messages[&Message::FriendJoined], own(Some(false), None, None));
        assert_eq!(s.message(Message::FriendJoined).subject, Message::FriendJoined.default_subject());
    }

    #[test]
    fn a_message_back_to_every_default_is_not_stored() {
        let s = apply(&sending(), json!({"messages": {"payout_sent": {"subject": "Paid {{amount}}", "body": "{{amount}}"}}})).unwrap();
        let s = apply(&s, json!({"messages": {"payout_sent": {"subject": null, "body": null}}})).unwrap();
        assert!(s.messages.is_empty(), "{:?}", s.messages);
        assert_eq!(s, sending());
        let untouched = apply(&sending(), json!({"messages": {"friend_invite": {}, "sign_in_code": {"subject": null}}})).unwrap();
        assert!(untouched.messages.is_empty(), "an empty change stores nothing");
        // Only one message of two goes back.
        let two = apply(&sending(), json!({"messages": {"payout_sent": {"body": "{{amount}}"}, "friend_invite": {"enabled": false}}})).unwrap();
        let one = apply(&two, json!({"messages": {"payout_sent": {"body": null}}})).unwrap();
        assert_eq!(one.messages, BTreeMap::from([(Message::FriendInvite, own(Some(false), None, None))]));
    }

    #[test]
    fn a_subject_is_one_line_of_1_to_200_characters_with_its_own_placeholders() {
        let subject = |m: Message, t: &str| apply(&sending(), json!({"messages": {m.as_str(): {"subject": t}}}));
        let m = Message::RewardApproved;
        let exactly = format!("{{{{amount}}}}{}", "é".repeat(200 - 10));
        assert_eq!(exactly.chars().count(), 200);
        assert_eq!(subject(m, &exactly).unwrap().message(m).subject, exactly, "200 characters, placeholders counted as written");
        assert!(subject(m, "x").is_ok());
        let long = FieldError { field: "emails.messages.reward_approved.subject".into(), message: "must be 1 to 200 characters on one line".into() };
        for bad in [format!("{exactly}x"), String::new(), "   ".into(), "a\nb".into(), "a\rb".into(), "a\tb".into(), "a\u{7f}".into()] {
            assert_eq!(subject(m, &bad).unwrap_err(), long, "{bad:?}");
        }
        assert_eq!(
            subject(Message::ReferrerWelcome, "Your code {{code}}").unwrap_err(),
            FieldError {
                field: "emails.messages.referrer_welcome.subject".into(),
                message: "unknown placeholder {{code}}: this message knows {{name}}, {{referral_link}}, {{portal_link}}, {{program_name}}".into(),
            }
        );
        assert_eq!(subject(m, "Earned {{amount").unwrap_err().message, "a {{ is never closed by }}");
        assert_eq!(subject(m, "{{ amount }} for {{ name }}").unwrap().message(m).subject, "{{ amount }} for {{ name }}", "stored as written");
    }

    #[test]
    fn a_body_is_1_to_5000_characters_on_any_number_of_lines() {
        let body = |m: Message, t: &str| apply(&sending(), json!({"messages": {m.as_str(): {"body": t}}}));
        let m = Message::SignInCode;
        let exactly = format!("{{{{code}}}}\r\n\t{}", "ü".repeat(5000 - 11));
        assert_eq!(exactly.chars().count(), 5000);
        assert_eq!(body(m, &exactly).unwrap().message(m).body, exactly);
        let long = FieldError { field: "emails.messages.sign_in_code.body".into(), message: "must be 1 to 5000 characters".into() };
        for bad in [format!("{exactly}x"), String::new(), " \n\n\t ".into(), "a\u{0}".into(), "a\u{1b}[31m".into(), "a\u{85}".into()] {
            assert_eq!(body(m, &bad).unwrap_err(), long, "{bad:?}");
        }
        assert_eq!(body(m, "Hi {{name}}").unwrap_err().field, "emails.messages.sign_in_code.body");
        assert_eq!(body(m, "Hi {{name}}").unwrap_err().message, "unknown placeholder {{name}}: this message knows {{code}}, {{portal_link}}, {{program_name}}");
        assert_eq!(body(m, "{{code}} {{").unwrap_err().message, "a {{ is never closed by }}");
    }

    #[test]
    fn the_first_error_wins_and_nothing_is_half_applied() {
        let s = sending();
        let r = apply(&s, json!({"from_name": "New", "messages": {"payout_sent": {"enabled": false}, "sign_in_code": {"body": "{{name}}"}}}));
        assert_eq!(field(r), "emails.messages.sign_in_code.body");
        assert_eq!(s, sending(), "apply never changes the settings it is called on");
        assert_eq!(field(apply(&s, json!({"from_address": "bad", "reply_to": "bad"}))), "emails.from_address");
        assert_eq!(field(apply(&EmailSettings::default(), json!({"enabled": true, "reply_to": "bad"}))), "emails.reply_to", "a bad field before the switch");
    }

    #[test]
    fn a_patch_with_an_unknown_field_or_a_wrong_type_is_not_read() {
        for bad in [
            json!({"enabeld": true}),
            json!({"messages": {"friend_joined": {"subjcet": "x"}}}),
            json!({"enabled": "yes"}),
            json!({"from_address": 1}),
            json!({"messages": {"friend_joined": {"enabled": null, "body": 5}}}),
            json!({"messages": []}),
        ] {
            assert!(serde_json::from_value::<EmailSettingsPatch>(bad.clone()).is_err(), "{bad}");
        }
        let p = patch(json!({"from_address": null, "messages": {"friend_joined": {"body": null}}}));
        assert_eq!((p.enabled, p.from_address, p.from_name, p.reply_to), (None, Some(None), None, None));
        let m = &p.messages["friend_joined"];
        assert_eq!((m.enabled, &m.subject, &m.body), (None, &None, &Some(None)));
    }

    #[test]
    fn a_program_sends_a_message_only_when_on_with_a_sender_and_the_message_on() {
        for enabled in [false, true] {
            for from in [None, Some(String::from("a@x.example"))] {
                for switch in [None, Some(true), Some(false)] {
                    let messages = switch.map(|e| (Message::FriendJoined, own(Some(e), None, None))).into_iter().collect();
                    let s = EmailSettings { enabled, from_address: from.clone(), messages, ..EmailSettings::default() };
                    let expected = enabled && from.is_some() && switch != Some(false);
                    assert_eq!(s.sends(Message::FriendJoined), expected, "{enabled} {from:?} {switch:?}");
                    assert_eq!(s.sends(Message::PayoutSent), enabled && from.is_some(), "another message's switch is its own");
                }
            }
        }
    }

    #[test]
    fn a_message_is_the_owners_text_or_the_default() {
        let s = EmailSettings::default();
        for m in Message::ALL {
            assert_eq!(s.message(m), Effective { enabled: true, subject: m.default_subject(), body: m.default_body() });
        }
        let s = EmailSettings { messages: BTreeMap::from([(Message::FriendInvite, own(Some(true), None, Some("{{name}}!")))]), ..s };
        assert_eq!(s.message(Message::FriendInvite), Effective { enabled: true, subject: Message::FriendInvite.default_subject(), body: "{{name}}!" });
        assert_eq!(s.message(Message::SignInCode).body, Message::SignInCode.default_body());
    }

    #[test]
    fn the_view_shows_every_message_in_full_with_its_placeholders() {
        let s = apply(&sending(), json!({"messages": {"friend_joined": {"enabled": false, "subject": "{{friend_name}}!"}}})).unwrap();
        let v = s.view();
        assert_eq!(v["enabled"], json!(true));
        assert_eq!(v["from_address"], json!("rewards@shop.example"));
        assert_eq!(v["from_name"], json!("Shop"));
        assert_eq!(v["reply_to"], json!("help@shop.example"));
        let messages = v["messages"].as_object().unwrap();
        let names: Vec<_> = messages.keys().map(String::as_str).collect();
        let mut all: Vec<_> = Message::ALL.iter().map(|m| m.as_str()).collect();
        all.sort_unstable();
        assert_eq!(names, all);
        for m in Message::ALL {
            let placeholders: Vec<_> = m.placeholders().iter().map(|p| p.as_str()).collect();
            let e = s.message(m);
            assert_eq!(messages[m.as_str()], json!({"enabled": e.enabled, "subject": e.subject, "body": e.body, "placeholders": placeholders}), "{m:?}");
        }
        assert_eq!(messages["friend_joined"]["enabled"], json!(false));
        assert_eq!(messages["friend_joined"]["subject"], json!("{{friend_name}}!"));
        assert_eq!(messages["referrer_welcome"], json!({
            "enabled": true, "subject": "Your {{program_name}} referral link", "body": Message::ReferrerWelcome.default_body(),
            "placeholders": ["name", "referral_link", "portal_link", "program_name"],
        }));
        let v = EmailSettings::default().view();
        assert_eq!((&v["enabled"], &v["from_address"], &v["from_name"], &v["reply_to"]), (&json!(false), &Value::Null, &Value::Null, &Value::Null));
        assert_eq!(v.as_object().unwrap().len(), 5);
    }

    /// The Worker's SQL reads the stored JSON (`json_extract(emails, '$.enabled') = 1`,
    /// `$.from_address IS NOT NULL`, `COALESCE($.messages.NAME.enabled, 1) = 1`).
    #[test]
    fn stored_settings_are_the_changes_only_with_enabled_a_json_bool() {
        assert_eq!(serde_json::to_value(EmailSettings::default()).unwrap(), json!({"enabled": false, "from_address": null, "from_name": null, "reply_to": null}));
        let s = apply(&sending(), json!({"messages": {"friend_joined": {"enabled": false}, "sign_in_code": {"subject": "{{code}}"}}})).unwrap();
        let stored = serde_json::to_value(&s).unwrap();
        assert_eq!(
            stored,
            json!({
                "enabled": true, "from_address": "rewards@shop.example", "from_name": "Shop", "reply_to": "help@shop.example",
                "messages": {"friend_joined": {"enabled": false}, "sign_in_code": {"subject": "{{code}}"}},
            })
        );
        assert!(stored["enabled"].is_boolean() && stored["messages"]["friend_joined"]["enabled"].is_boolean());
        assert_eq!(serde_json::from_value::<EmailSettings>(stored).unwrap(), s);
        assert_eq!(serde_json::from_str::<EmailSettings>(&serde_json::to_string(&s).unwrap()).unwrap(), s);
    }

    fn message_change() -> impl Strategy<Value = (Message, Value)> {
        let text = prop_oneof![Just(Value::Null), Just(json!("{{program_name}}")), Just(json!("Hi {{name}}")), Just(json!("x")), Just(json!("{{code}}"))];
        (prop::sample::select(Message::ALL.to_vec()), proptest::option::of(any::<bool>()), proptest::option::of(text.clone()), proptest::option::of(text)).prop_map(|(m, enabled, subject, body)| {
            let mut change = serde_json::Map::new();
            if let Some(e) = enabled {
                change.insert("enabled".into(), json!(e));
            }
            if let Some(s) = subject {
                change.insert("subject".into(), s);
            }
            if let Some(b) = body {
                change.insert("body".into(), b);
            }
            (m, Value::Object(change))
        })
    }

    fn any_patch() -> impl Strategy<Value = Value> {
        let address = prop_oneof![Just(Value::Null), Just(json!("a@x.example")), Just(json!("bad"))];
        (proptest::option::of(any::<bool>()), proptest::option::of(address.clone()), proptest::option::of(address), prop::collection::vec(message_change(), 0..4)).prop_map(|(enabled, from, reply, changes)| {
            let mut p = serde_json::Map::new();
            if let Some(e) = enabled {
                p.insert("enabled".into(), json!(e));
            }
            if let Some(f) = from {
                p.insert("from_address".into(), f);
            }
            if let Some(r) = reply {
                p.insert("reply_to".into(), r);
            }
            let messages: serde_json::Map<String, Value> = changes.into_iter().map(|(m, c)| (m.as_str().to_string(), c)).collect();
            p.insert("messages".into(), Value::Object(messages));
            Value::Object(p)
        })
    }

    proptest! {
        /// Any series of patches keeps the settings sound: on only with a sender, no
        /// message stored that says nothing, every message's text valid, and the stored
        /// JSON reads back as it was.
        #[test]
        fn patches_keep_the_settings_sound(patches in prop::collection::vec(any_patch(), 1..6)) {
            let mut s = EmailSettings::default();
            for p in patches {
                if let Ok(next) = apply(&s, p) {
                    s = next;
                }
                prop_assert!(!s.enabled || s.from_address.is_some());
                prop_assert!(s.messages.values().all(|own| *own != MessageSettings::default()));
                for m in Message::ALL {
                    let e = s.message(m);
                    prop_assert!(template::parse(e.subject, m.placeholders()).is_ok() && template::parse(e.body, m.placeholders()).is_ok());
                    prop_assert_eq!(s.sends(m), s.enabled && e.enabled);
                }
                prop_assert_eq!(serde_json::from_value::<EmailSettings>(serde_json::to_value(&s).unwrap()).unwrap(), s.clone());
                prop_assert_eq!(s.view()["messages"].as_object().unwrap().len(), 7);
            }
        }

        #[test]
        fn a_subject_of_printable_text_is_taken_up_to_200_characters(t in "[a-zA-Z0-9 .,!?'\"éü€<>&-]{0,260}") {
            let r = apply(&sending(), json!({"messages": {"payout_sent": {"subject": t.clone()}}}));
            let fits = !t.trim().is_empty() && t.chars().count() <= MAX_SUBJECT_CHARS;
            prop_assert_eq!(r.is_ok(), fits);
            if let Ok(s) = r {
                prop_assert_eq!(s.message(Message::PayoutSent).subject, t.as_str());
            }
        }
    }
}
