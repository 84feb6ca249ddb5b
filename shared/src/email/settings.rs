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
