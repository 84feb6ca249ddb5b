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

/// Only web links become anchors: a value like `javascript:` stays text, and so does
/// one with whitespace in it (no URL has any, and a line break would be cut into
/// paragraphs, putting our own `</p>` inside the `href`).
fn is_http_url(s: &str) -> bool {
    (s.starts_with("https://") || s.starts_with("http://")) && !s.chars().any(|c| c.is_whitespace() || c.is_control())
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

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::email::Message;
    use alloc::format;
    use proptest::prelude::*;
    use Placeholder::*;

    /// The tags the renderer writes (`html` and `render`'s document and footer) and,
    /// for each, the attributes it gives them, in order.
    const TAGS: [(&str, &[&str]); 17] = [
        ("!doctype", &["html"]), ("html", &[]), ("/html", &[]), ("head", &[]), ("/head", &[]), ("meta", &["charset"]), ("title", &[]), ("/title", &[]),
        ("body", &["style"]), ("/body", &[]), ("p", &[]), ("p", &["style"]), ("/p", &[]), ("br", &[]), ("hr", &["style"]), ("a", &["href"]), ("/a", &[]),
    ];

    /// `html` read strictly: every `<` must open one of `TAGS` with exactly its attributes,
    /// each value double-quoted and free of `<` and raw `&` (so a `"` from a value would end
    /// it early and show as an attribute too many), every `href` a web link; outside tags `>`
    /// never appears and `&` only starts the entities html-escape writes. Returns the text
    /// (tags dropped, entities decoded): what a reader sees. A `"` in text is just a character.
    pub(crate) fn read_html(html: &str) -> Result<String, String> {
        let mut text = String::new();
        let mut rest = html;
        while let Some(i) = rest.find(['<', '>', '&']) {
            text.push_str(&rest[..i]);
            rest = &rest[i..];
            if rest.starts_with('>') {
                return Err(format!("a bare > at {rest:?}"));
            } else if rest.starts_with('&') {
                let (entity, c) = entity(rest)?;
                text.push(c);
                rest = &rest[entity.len()..];
            } else {
                rest = tag(rest)?;
            }
        }
        text.push_str(rest);
        Ok(text)
    }

    fn entity(at: &str) -> Result<(&'static str, char), String> {
        [("&amp;", '&'), ("&lt;", '<'), ("&gt;", '>'), ("&quot;", '"'), ("&#x27;", '\'')].into_iter().find(|(e, _)| at.starts_with(e)).ok_or_else(|| format!("a bare & at {at:?}"))
    }

    /// One tag at the start of `at`; what follows it.
    fn tag(at: &str) -> Result<&str, String> {
        let name_end = at.find([' ', '>']).ok_or_else(|| format!("an unclosed tag at {at:?}"))?;
        let name = &at[1..name_end];
        let mut rest = &at[name_end..];
        let mut attrs = Vec::new();
        loop {
            rest = rest.trim_start_matches(' ');
            if let Some(after) = rest.strip_prefix('>') {
                return match TAGS.iter().any(|(n, a)| *n == name && *a == attrs) {
                    true => Ok(after),
                    false => Err(format!("<{name}> with {attrs:?} is not a tag the renderer writes, at {at:?}")),
                };
            }
            let attr_end = rest.find(|c: char| !(c.is_ascii_alphanumeric() || c == '-')).unwrap_or(rest.len());
            let attr = &rest[..attr_end];
            if attr.is_empty() {
                return Err(format!("junk in <{name}> at {rest:?}"));
            }
            attrs.push(attr);
            rest = &rest[attr_end..];
            if let Some(quoted) = rest.strip_prefix("=\"") {
                let close = quoted.find('"').ok_or_else(|| format!("an unclosed attribute at {rest:?}"))?;
                let value = &quoted[..close];
                if value.contains('<') {
                    return Err(format!("a < in an attribute: {value:?}"));
                }
                if let Some(amp) = value.find('&') {
                    entity(&value[amp..])?;
                }
                if attr == "href" && !is_http_url(value) {
                    return Err(format!("an href that is no web link: {value:?}"));
                }
                rest = &quoted[close + 1..];
            }
        }
    }

    fn values_all(v: &str) -> Values {
        Placeholder::ALL.into_iter().fold(Values::new(), |values, p| values.with(p, v))
    }

    fn pieces(template: &str) -> Vec<Piece<'_>> {
        parse(template, &Placeholder::ALL).unwrap()
    }

    #[test]
    fn a_template_is_cut_into_text_and_placeholders() {
        assert_eq!(pieces("Hi {{name}}, see {{referral_link}}!"), [Piece::Text("Hi "), Piece::Value(Name), Piece::Text(", see "), Piece::Value(ReferralLink), Piece::Text("!")]);
        assert_eq!(pieces("{{name}}{{code}}"), [Piece::Value(Name), Piece::Value(Code)], "no empty text around or between them");
        assert_eq!(pieces("{{amount}} off"), [Piece::Value(Amount), Piece::Text(" off")]);
        assert_eq!(pieces("for {{friend_name}}"), [Piece::Text("for "), Piece::Value(FriendName)]);
        assert_eq!(pieces(""), []);
        assert_eq!(pieces("{name} { {name} } }} {x}}"), [Piece::Text("{name} { {name} } }} {x}}")], "only {{ opens a placeholder");
    }

    #[test]
    fn spaces_inside_the_braces_are_allowed() {
        for t in ["{{ name }}", "{{name }}", "{{  name}}", "{{\tname\n}}"] {
            assert_eq!(pieces(t), [Piece::Value(Name)], "{t:?}");
        }
        assert_eq!(pieces("a{{ program_name }}b"), [Piece::Text("a"), Piece::Value(ProgramName), Piece::Text("b")]);
    }

    #[test]
    fn an_unknown_placeholder_is_refused_naming_it_and_what_the_message_knows() {
        let known = Message::ReferrerWelcome.placeholders();
        let list = "{{name}}, {{referral_link}}, {{portal_link}}, {{program_name}}";
        assert_eq!(parse("Hi {{coupon}}", known), Err(format!("unknown placeholder {{{{coupon}}}}: this message knows {list}")));
        assert_eq!(parse("{{ first_name }} and {{name}}", known), Err(format!("unknown placeholder {{{{first_name}}}}: this message knows {list}")));
        assert_eq!(parse("{{}}", known), Err(format!("unknown placeholder {{{{}}}}: this message knows {list}")));
        assert_eq!(parse("{{Name}}", known), Err(format!("unknown placeholder {{{{Name}}}}: this message knows {list}")), "names are case-sensitive");
        assert_eq!(parse("{{{name}}}", known), Err(format!("unknown placeholder {{{{{{name}}}}: this message knows {list}")));
        assert_eq!(parse("{{name}}", &[]), Err(String::from("unknown placeholder {{name}}: this message knows ")));
    }

    #[test]
    fn a_placeholder_another_message_knows_is_refused_too() {
        assert_eq!(
            parse("Your code: {{code}}", Message::ReferrerWelcome.placeholders()),
            Err(String::from("unknown placeholder {{code}}: this message knows {{name}}, {{referral_link}}, {{portal_link}}, {{program_name}}"))
        );
        assert_eq!(
            parse("{{name}}", Message::SignInCode.placeholders()),
            Err(String::from("unknown placeholder {{name}}: this message knows {{code}}, {{portal_link}}, {{program_name}}"))
        );
        // Every (message, placeholder) pair: allowed exactly when the message lists it.
        for m in Message::ALL {
            for p in Placeholder::ALL {
                let t = format!("x {{{{{}}}}} y", p.as_str());
                assert_eq!(parse(&t, m.placeholders()).is_ok(), m.placeholders().contains(&p), "{m:?} {p:?}");
            }
        }
    }

    #[test]
    fn an_unclosed_opening_is_refused() {
        for t in ["Hi {{name", "{{", "{{name}} and {{", "a {{ name } }", "{{name}}{{code}"] {
            assert_eq!(parse(t, &Placeholder::ALL), Err(String::from("a {{ is never closed by }}")), "{t:?}");
        }
    }

    #[test]
    fn values_not_given_are_empty_and_the_last_one_given_wins() {
        let v = Values::new().with(Name, "Ann").with(Code, "123456").with(Name, "Bob");
        assert_eq!(v.get(Name), "Bob");
        assert_eq!(v.get(Code), "123456", "replacing one value keeps the others");
        assert_eq!(v.get(Amount), "");
        assert_eq!(Values::new().get(Name), "");
        assert_eq!(text(&pieces("Hi {{name}}, {{code}}{{amount}}!"), &v), "Hi Bob, 123456!");
        assert_eq!(text(&pieces("{{ name }}"), &Values::default().with(Name, String::from("Eve"))), "Eve");
        assert_eq!(text(&[], &v), "");
    }

    #[test]
    fn a_header_loses_its_line_breaks_and_other_controls() {
        assert_eq!(one_line("Hi\r\nBcc: x@y.example"), "Hi  Bcc: x@y.example");
        assert_eq!(one_line("a\tb\u{0}c\u{7f}d\u{85}e\u{1b}f"), "a b c d e f");
        assert_eq!(one_line("Grüße, 👋 ann"), "Grüße, 👋 ann");
        assert_eq!(one_line(""), "");
    }

    #[test]
    fn the_html_part_escapes_text_and_values_and_makes_links_and_paragraphs() {
        let v = Values::new().with(Name, "<b>Ann & \"Bo\"</b>").with(ReferralLink, "https://shop.example/?a=1&b=\"2\"<x>").with(PortalLink, "http://p.example/portal");
        let got = html(&pieces("Hi {{name}} <3 & more,\n\nShare:\n{{referral_link}}\n\n\n\nPortal: {{portal_link}}\n"), &v);
        assert_eq!(
            got,
            "<p>Hi &lt;b&gt;Ann &amp; \"Bo\"&lt;/b&gt; &lt;3 &amp; more,</p>\n\
             <p>Share:<br>\n<a href=\"https://shop.example/?a=1&amp;b=&quot;2&quot;&lt;x&gt;\">https://shop.example/?a=1&amp;b=\"2\"&lt;x&gt;</a></p>\n\
             <p>Portal: <a href=\"http://p.example/portal\">http://p.example/portal</a></p>"
        );
        assert_eq!(read_html(&got).unwrap(), "Hi <b>Ann & \"Bo\"</b> <3 & more,\nShare:\nhttps://shop.example/?a=1&b=\"2\"<x>\nPortal: http://p.example/portal");
    }

    #[test]
    fn windows_line_breaks_make_the_same_paragraphs() {
        let v = Values::new();
        assert_eq!(html(&pieces("a\r\n\r\nb\r\nc\r\n"), &v), "<p>a</p>\n<p>b<br>\nc</p>");
        assert_eq!(html(&pieces("a\r\n\r\nb\r\nc\r\n"), &v), html(&pieces("a\n\nb\nc\n"), &v));
        assert_eq!(html(&pieces("\n\n  \n\n"), &v), "", "blank paragraphs are dropped");
        assert_eq!(html(&pieces("  a  \n\n \tb"), &v), "<p>a</p>\n<p>b</p>", "paragraphs are trimmed");
    }

    #[test]
    fn only_web_links_in_link_placeholders_become_anchors() {
        let body = pieces("{{referral_link}}");
        let anchor = |url: &str| html(&body, &Values::new().with(ReferralLink, url)).contains("<a ");
        assert!(anchor("https://shop.example/r/abc"));
        assert!(anchor("http://localhost:8787/portal/p"));
        for not_web in ["javascript:alert(1)", "JavaScript:alert(1)", "data:text/html,<script>alert(1)</script>", "//evil.example", "shop.example", "", " https://x.example", "HTTPS://X.EXAMPLE", "https:/x", "mailto:a@x.example"] {
            assert!(!anchor(not_web), "{not_web:?}");
        }
        assert_eq!(html(&body, &Values::new().with(ReferralLink, "javascript:alert(1)")), "<p>javascript:alert(1)</p>");
        // Nor does a URL in any other placeholder.
        for p in Placeholder::ALL.into_iter().filter(|p| !p.is_link()) {
            let got = html(&[Piece::Value(p)], &Values::new().with(p, "https://evil.example"));
            assert_eq!(got, "<p>https://evil.example</p>", "{p:?}");
        }
    }

    /// A link is made by the Worker, but should one ever hold a line break it is no
    /// URL: cut into paragraphs, it would put the renderer's own `</p>` inside its `href`.
    #[test]
    fn a_link_with_whitespace_in_it_is_text() {
        for url in ["https://a.example/\n\nb", "https://a.example/\nb", "https://a.example/ b", "https://a.example/\tb", "https://a.example/\r\n\r\nb", "https://a.example/\u{0}"] {
            let got = html(&pieces("{{portal_link}}"), &Values::new().with(PortalLink, url));
            assert!(!got.contains("<a "), "{url:?}: {got}");
            read_html(&got).unwrap_or_else(|e| panic!("{url:?}: {e}\n{got}"));
        }
    }

    /// The strings a name might hold to break out of text.
    fn hostile() -> impl Strategy<Value = String> {
        prop_oneof![
            Just(String::from("<img src=x onerror=alert(1)>")),
            Just(String::from("\"><script>alert(1)</script>")),
            Just(String::from("' onmouseover='alert(1)")),
            Just(String::from("&lt;b&gt; &amp;&#x27; &")),
            Just(String::from("</p></body></html><a href=\"javascript:alert(1)\">x</a>")),
            Just(String::from("https://x.example/\" onclick=\"alert(1)")),
            Just(String::from("http://x.example/><svg onload=alert(1)>")),
            Just(String::from("javascript:alert(1)")),
            "[<>\"'&=/ a-z\r\n\t]{0,40}",
            "(https?://)?[<>\"'&=/ a-z\r\n\t{}]{0,40}",
            ".{0,60}",
            any::<String>(),
        ]
    }

    proptest! {
        #[test]
        fn text_without_placeholders_comes_back_as_it_was(t in any::<String>()) {
            prop_assume!(!t.contains("{{"));
            let p = parse(&t, &[]).unwrap();
            prop_assert_eq!(p.len(), usize::from(!t.is_empty()));
            prop_assert_eq!(text(&p, &Values::new()), t);
        }

        #[test]
        fn text_fills_in_every_placeholder(before in "[^{]{0,20}", after in "[^{]{0,20}", p in prop::sample::select(Placeholder::ALL.to_vec()), v in any::<String>()) {
            let t = format!("{before}{{{{{}}}}}{after}", p.as_str());
            prop_assert_eq!(text(&pieces(&t), &Values::new().with(p, v.clone())), format!("{before}{v}{after}"));
        }

        #[test]
        fn parse_never_panics(t in ".{0,80}") {
            if let Ok(p) = parse(&t, &Placeholder::ALL) {
                // What parses can be written back: the pieces in order are the template.
                let written: String = p.iter().map(|piece| match piece { Piece::Text(t) => String::from(*t), Piece::Value(v) => format!("{{{{{}}}}}", v.as_str()) }).collect();
                prop_assert_eq!(parse(&written, &Placeholder::ALL).unwrap(), p);
            }
        }

        #[test]
        fn a_subject_is_one_line_whatever_the_values(v in hostile()) {
            let line = one_line(&text(&pieces("{{name}}: {{code}} {{amount}}"), &values_all(&v)));
            prop_assert!(!line.contains(['\r', '\n']) && !line.chars().any(char::is_control), "{:?}", line);
            prop_assert_eq!(line.chars().count(), 3 + 3 * v.chars().count());
        }

        /// Whatever a customer typed, the HTML part shows it as text: no tag, attribute or
        /// entity of its own, and it reads back as it was typed.
        #[test]
        fn any_value_is_text_in_the_html_part(v in hostile(), literal in "[^{]{0,30}") {
            let body = format!("{literal}\n\nHi [{{{{name}}}}], [{{{{friend_name}}}}] [{{{{code}}}}] {{{{amount}}}} {{{{program_name}}}}\n{{{{referral_link}}}}\n\n{{{{portal_link}}}}");
            let got = html(&pieces(&body), &values_all(&v));
            let shown = read_html(&got).map_err(|e| TestCaseError::fail(format!("{e}\n{got}")))?;
            if !v.contains(['\r', '\n']) {
                let expected = format!("[{v}], [{v}] [{v}]");
                prop_assert!(shown.contains(&expected), "{:?} not in {:?}", expected, shown);
            }
        }

        #[test]
        fn a_link_is_an_anchor_only_if_it_is_a_web_link_and_never_breaks_out(tail in hostile(), scheme in prop::sample::select(vec!["https://", "http://", "javascript:", "", "HTTP://"])) {
            let url = format!("{scheme}{tail}");
            let got = html(&pieces("{{referral_link}}"), &Values::new().with(ReferralLink, url.clone()));
            read_html(&got).map_err(|e| TestCaseError::fail(format!("{e}\n{got}")))?;
            let web = (url.starts_with("https://") || url.starts_with("http://")) && !url.chars().any(|c| c.is_whitespace() || c.is_control());
            prop_assert_eq!(got.contains("<a href="), web);
        }
    }
}
