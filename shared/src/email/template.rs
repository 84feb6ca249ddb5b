//! Templates: plain text with `{{placeholder}}`s, checked against what a message
//! knows, filled in as the text part and, escaped by `html-escape`, as the HTML part.
//! Values come from customers (names) and are never trusted: in the HTML part they
//! are text, and in a subject (a header) they lose their line breaks.

use super::message::Placeholder;
use alloc::borrow::Cow;
use alloc::string::String;
use alloc::vec::Vec;

/// A template cut into literal text and placeholders.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Piece<'a> {
    Text(&'a str),
    Value(Placeholder),
}

/// Cuts `template` into pieces; every placeholder must be one of `known`.
/// `{{ name }}` with spaces is accepted. The error says what is wrong, for the owner.
pub fn parse<'a>(template: &'a str, known: &[Placeholder]) -> Result<Vec<Piece<'a>>, String> {
    let mut pieces = Vec::new();
    let mut rest = template;
    while let Some(open) = rest.find("{{") {
        if open > 0 {
            pieces.push(Piece::Text(&rest[..open]));
        }
        let after = &rest[open + 2..];
        let close = after.find("}}").ok_or_else(|| String::from("a {{ is never closed by }}"))?;
        let name = after[..close].trim();
        match Placeholder::parse(name).filter(|p| known.contains(p)) {
            Some(p) => pieces.push(Piece::Value(p)),
            None => return Err(unknown(name, known)),
        }
        rest = &after[close + 2..];
    }
    if !rest.is_empty() {
        pieces.push(Piece::Text(rest));
    }
    Ok(pieces)
}

fn unknown(name: &str, known: &[Placeholder]) -> String {
    let list: Vec<String> = known.iter().map(|p| alloc::format!("{{{{{}}}}}", p.as_str())).collect();
    alloc::format!("unknown placeholder {{{{{name}}}}}: this message knows {}", list.join(", "))
}

/// The values of one message's placeholders; one not given is empty.
#[derive(Debug, Clone, Default)]
pub struct Values(Vec<(Placeholder, String)>);

impl Values {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn with(mut self, p: Placeholder, value: impl Into<String>) -> Self {
        self.0.retain(|(q, _)| *q != p);
        self.0.push((p, value.into()));
        self
    }

    pub fn get(&self, p: Placeholder) -> &str {
        self.0.iter().find(|(q, _)| *q == p).map_or("", |(_, v)| v.as_str())
    }
}

/// The pieces filled in as plain text.
pub fn text(pieces: &[Piece], values: &Values) -> String {
    pieces.iter().map(|piece| match piece {
        Piece::Text(t) => *t,
        Piece::Value(p) => values.get(*p),
    }).collect()
}

/// A header's text (a subject): line breaks and other controls become spaces, so
/// no value can start a header of its own.
pub fn one_line(s: &str) -> String {
    s.chars().map(|c| if c.is_control() { ' ' } else { c }).collect()
}

/// The pieces as HTML: every character of text and values escaped, links made
/// anchors, blank lines paragraphs and single line breaks `<br>`.
pub fn html(pieces: &[Piece], values: &Values) -> String {
    let mut inline = String::new();
    for piece in pieces {
        match piece {
            Piece::Text(t) => inline.push_str(&html_escape::encode_text(t)),
            Piece::Value(p) if p.is_link() && is_http_url(values.get(*p)) => {
                let url = values.get(*p);
                inline.push_str(&alloc::format!(
                    r#"<a href="{}">{}</a>"#,
                    html_escape::encode_double_quoted_attribute(url),
                    html_escape::encode_text(url)
                ));
            }
            Piece::Value(p) => inline.push_str(&html_escape::encode_text(values.get(*p))),
        }
    }
    paragraphs(&inline)
}

/// Only web links become anchors: a value like `javascript:` stays text.
fn is_http_url(s: &str) -> bool {
    s.starts_with("https://") || s.starts_with("http://")
}

/// Escaped text to `<p>`s: paragraphs split at blank lines, lines within them at `<br>`.
fn paragraphs(escaped: &str) -> String {
    let normalized: Cow<str> = if escaped.contains('\r') { Cow::Owned(escaped.replace("\r\n", "\n")) } else { Cow::Borrowed(escaped) };
    normalized
        .split("\n\n")
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .map(|p| alloc::format!("<p>{}</p>", p.replace('\n', "<br>\n")))
        .collect::<Vec<_>>()
        .join("\n")
}
