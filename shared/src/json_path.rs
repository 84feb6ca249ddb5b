//! The field a JSON error is about, as a path (`rewards.referrer.amount`, `items[2].key`),
//! read from where the parser stopped. `serde_json` says where (a line and a column,
//! the bytes it had consumed); this walks the text up to there. The Worker used to learn the
//! path by wrapping every deserializer (`serde_path_to_error`), which instantiated each
//! request type's code a second time: 36 KB of its gzipped wasm. The answers are the
//! same (a test compares them with that crate's). One rule keeps them so: a type that
//! checks a value after serde read it must check inside its visitor, as
//! `api::CustomerRef` does; checked outside (`try_from`), its error reaches the parser
//! after the enclosing object's `}` when it is the last member, and names the object.
//!
//! ```
//! use edgeref_shared::json_path::at;
//! let body = br#"{"rewards": {"referrer": {"amount": "ten"}}}"#;
//! // serde_json stops right after "ten": line 1, column 41.
//! assert_eq!(at(body, 1, 41), "rewards.referrer.amount");
//! ```

use alloc::string::String;
use alloc::vec::Vec;
use core::fmt::Write;

enum Frame {
    /// The key being read or whose value is being read; `None` between entries.
    Object(Option<String>),
    /// The index of the element being read; `None` before the first.
    Array(Option<usize>),
}

/// The path of the value being read at `line` and `column` (1-based line; column =
/// bytes consumed on that line, as `serde_json::Error` reports them). A position just
/// after an object's `}` is that object's own path: where serde reports a missing field
/// or a value the whole object fails. `""` at the top level.
pub fn at(json: &[u8], line: usize, column: usize) -> String {
    render(&walk(json, offset(json, line, column)).0)
}

/// The field a `serde_json` error about `json` is about, as the API names it: the path
/// of the value, and for a missing field the field itself (serde reports it against
/// the object). A key that names an enum's variant is not a field: an unknown one is
/// the enum's error.
pub fn of_error(json: &[u8], error: &serde_json::Error) -> String {
    // serde_json places its own (syntax) errors one byte past where it stopped.
    let past = usize::from(error.classify() == serde_json::error::Category::Syntax);
    let (mut frames, at_key) = walk(json, offset(json, error.line(), error.column()).saturating_sub(past));
    let message = error.to_string();
    if at_key && message.starts_with("unknown variant") {
        if let Some(Frame::Object(key)) = frames.last_mut() {
            *key = None;
        }
    }
    let path = render(&frames);
    match message.strip_prefix("missing field `").and_then(|rest| rest.split('`').next()) {
        Some(field) if path.is_empty() => field.into(),
        Some(field) => alloc::format!("{path}.{field}"),
        None => path,
    }
}

/// The containers open at byte `end`, and whether `end` is right after an object's key.
fn walk(json: &[u8], end: usize) -> (Vec<Frame>, bool) {
    let mut frames: Vec<Frame> = Vec::new();
    let mut at_key = false;
    let mut i = 0;
    while i < end {
        let b = json[i];
        // A value starts: in an array, its first element unless one came before.
        if !matches!(b, b'}' | b']' | b',' | b':' | b' ' | b'\t' | b'\n' | b'\r') {
            if let Some(Frame::Array(index @ None)) = frames.last_mut() {
                *index = Some(0);
            }
        }
        match b {
            b'{' => frames.push(Frame::Object(None)),
            b'[' => frames.push(Frame::Array(None)),
            b'}' | b']' => drop(frames.pop()),
            b',' => match frames.last_mut() {
                Some(Frame::Object(key)) => *key = None,
                Some(Frame::Array(Some(index))) => *index += 1,
                _ => {}
            },
            b'"' => {
                let close = string_end(json, i);
                if let Some(Frame::Object(key @ None)) = frames.last_mut() {
                    *key = Some(unescape(&json[i + 1..close]));
                    at_key = true;
                }
                i = close;
            }
            b':' => at_key = false,
            _ => {}
        }
        i += 1;
    }
    // Stopped before an array's first element (a value refused before it is read): that element.
    let next = json[end..].iter().find(|b| !b.is_ascii_whitespace());
    if let (Some(Frame::Array(index @ None)), Some(b)) = (frames.last_mut(), next) {
        if *b != b']' {
            *index = Some(0);
        }
    }
    (frames, at_key)
}

/// The byte offset of a serde_json position.
fn offset(json: &[u8], line: usize, column: usize) -> usize {
    let start = json.iter().enumerate().filter(|(_, &b)| b == b'\n').nth(line.saturating_sub(2)).map_or(0, |(i, _)| i + 1);
    (if line <= 1 { column } else { start + column }).min(json.len())
}

/// The index of the quote closing the string that opens at `open` (or the text's end).
fn string_end(json: &[u8], open: usize) -> usize {
    let mut i = open + 1;
    while i < json.len() {
        match json[i] {
            b'\\' => i += 2,
            b'"' => return i,
            _ => i += 1,
        }
    }
    json.len()
}

/// A key's text: escapes decoded as JSON does (`\"`, `\\`, `\n`, `\u00e9`…).
fn unescape(raw: &[u8]) -> String {
    let quoted: Vec<u8> = [b"\"".as_slice(), raw, b"\""].concat();
    serde_json::from_slice(&quoted).unwrap_or_else(|_| String::from_utf8_lossy(raw).into_owned())
}

fn render(frames: &[Frame]) -> String {
    let mut path = String::new();
    for frame in frames {
        match frame {
            Frame::Object(Some(key)) => {
                if !path.is_empty() {
                    path.push('.');
                }
                path.push_str(key);
            }
            Frame::Array(Some(index)) => drop(write!(path, "[{index}]")),
            Frame::Object(None) | Frame::Array(None) => break,
        }
    }
    path
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::string::ToString;
    use alloc::vec;
    use serde::Deserialize;
    use serde_json::{json, Value};

    #[allow(dead_code)]
    #[derive(Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Outer {
        name: String,
        amount: u32,
        inner: Inner,
        items: Vec<Item>,
        maybe: Option<Inner>,
        kind: Kind,
        #[serde(default)]
        tags: Vec<String>,
        #[serde(rename = "odd \"key\"")]
        odd: Option<i8>,
        rule: Rule,
        who: Who,
    }

    /// Like the reward rules: internally tagged.
    #[allow(dead_code)]
    #[derive(Deserialize)]
    #[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
    enum Rule {
        Fixed { amount: u32 },
        Percent { percent: u8, months: Option<u16> },
    }

    /// Like a customer reference: checked as it is read (`api::CustomerRef`).
    #[allow(dead_code)]
    struct Who(String);

    impl<'de> Deserialize<'de> for Who {
        fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
            struct V;
            impl<'de> serde::de::Visitor<'de> for V {
                type Value = Who;
                fn expecting(&self, f: &mut core::fmt::Formatter) -> core::fmt::Result {
                    f.write_str("an object with key")
                }
                fn visit_map<A: serde::de::MapAccess<'de>>(self, map: A) -> Result<Who, A::Error> {
                    Who::try_from(WhoFields::deserialize(serde::de::value::MapAccessDeserializer::new(map))?).map_err(serde::de::Error::custom)
                }
            }
            d.deserialize_map(V)
        }
    }

    #[derive(Deserialize)]
    #[serde(deny_unknown_fields)]
    struct WhoFields {
        key: Option<String>,
    }

    impl TryFrom<WhoFields> for Who {
        type Error = &'static str;
        fn try_from(f: WhoFields) -> Result<Self, Self::Error> {
            f.key.map(Who).ok_or("name the customer by key")
        }
    }

    #[allow(dead_code)]
    #[derive(Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Inner {
        a: u8,
        b: Option<String>,
        #[serde(default)]
        c: bool,
    }

    #[allow(dead_code)]
    #[derive(Deserialize)]
    struct Item {
        key: String,
        n: i64,
    }

    #[allow(dead_code)]
    #[derive(Deserialize)]
    #[serde(rename_all = "snake_case")]
    enum Kind {
        One,
        Two,
    }

    fn valid() -> Value {
        json!({
            "name": "Shop", "amount": 500,
            "inner": {"a": 1, "b": "x", "c": true},
            "items": [{"key": "k1", "n": -3}, {"key": "k2", "n": 4}],
            "maybe": {"a": 2, "b": null},
            "kind": "one", "tags": ["a", "b"], "odd \"key\"": 3,
            "rule": {"type": "percent", "percent": 10, "months": 12}, "who": {"key": "bob"}
        })
    }

    /// Every node of `v` as a JSON pointer.
    fn pointers(v: &Value, at: String, out: &mut Vec<String>) {
        out.push(at.clone());
        match v {
            Value::Object(m) => m.iter().for_each(|(k, v)| pointers(v, format!("{at}/{}", k.replace('~', "~0").replace('/', "~1")), out)),
            Value::Array(a) => a.iter().enumerate().for_each(|(i, v)| pointers(v, format!("{at}/{i}"), out)),
            _ => {}
        }
    }

    /// The valid value with one thing wrong: each node replaced by each wrong value,
    /// each member removed, an unknown member added to each object.
    fn broken() -> Vec<Value> {
        let wrong = [json!(null), json!(true), json!(5), json!(-1), json!(300), json!(1.5), json!("x"), json!("two"), json!([]), json!({}), json!([1]), json!({"z": 1})];
        let mut all = vec![];
        let mut ptrs = vec![];
        pointers(&valid(), String::new(), &mut ptrs);
        for ptr in &ptrs {
            for w in &wrong {
                let mut v = valid();
                *v.pointer_mut(ptr).unwrap() = w.clone();
                all.push(v);
            }
            if let Some((parent, key)) = ptr.rsplit_once('/') {
                let mut v = valid();
                match v.pointer_mut(parent).unwrap() {
                    Value::Object(m) => drop(m.remove(&key.replace("~1", "/").replace("~0", "~"))),
                    Value::Array(a) => drop(a.remove(key.parse::<usize>().unwrap())),
                    _ => unreachable!(),
                }
                all.push(v);
            }
            let mut v = valid();
            if let Some(Value::Object(m)) = v.pointer_mut(ptr) {
                m.insert("unexpected".into(), json!(1));
                all.push(v);
            }
        }
        all
    }

    /// serde_path_to_error's path for the same text, `""` at the top, and a missing
    /// field named under it (what the Worker answered when it used that crate).
    fn oracle(text: &str) -> Option<String> {
        let mut de = serde_json::Deserializer::from_str(text);
        let e = serde_path_to_error::deserialize::<_, Outer>(&mut de).err()?;
        let path = e.path().to_string();
        let path = if path == "." { String::new() } else { path };
        let message = e.into_inner().to_string();
        Some(match message.strip_prefix("missing field `").and_then(|rest| rest.split('`').next()) {
            Some(field) if path.is_empty() => field.into(),
            Some(field) => format!("{path}.{field}"),
            None => path,
        })
    }

    fn ours(text: &str) -> Option<String> {
        // Well-formed JSON of the wrong shape is mostly a `Data` error, but not always
        // (`null` for an enum is "expected value"): the path is right either way.
        let e = serde_json::from_str::<Outer>(text).err()?;
        Some(of_error(text.as_bytes(), &e))
    }

    #[test]
    fn every_broken_body_gets_serde_path_to_errors_path() {
        let cases = broken();
        assert!(cases.len() > 250, "{} cases", cases.len());
        let mut failing = 0;
        for v in cases {
            for text in [serde_json::to_string(&v).unwrap(), serde_json::to_string_pretty(&v).unwrap(), serde_json::to_string_pretty(&v).unwrap().replace(':', " :").replace(',', " ,")] {
                let expected = oracle(&text);
                failing += usize::from(expected.is_some());
                assert_eq!(ours(&text), expected, "{text}");
            }
        }
        assert!(failing > 600, "only {failing} of the cases fail to deserialize");
    }

    #[test]
    fn paths_name_keys_indices_and_escaped_keys() {
        assert_eq!(at(br#"{"a": [1, {"b": x"#, 1, 16), "a[1].b");
        assert_eq!(at(br#"{"a\"b": 1"#, 1, 10), "a\"b");
        assert_eq!(at(br#"{"a": {"b": 1}, "c": 2}"#, 1, 14), "a", "just after a nested object: the object");
        assert_eq!(at(br#"{"a": 1, "#, 1, 9), "", "between members: the object");
        assert_eq!(at(br#"[[1, 2], [3"#, 1, 11), "[1][0]");
        assert_eq!(at(b"{\n  \"a\": {\n    \"b\": 1", 3, 10), "a.b", "a later line counts from its start");
        assert_eq!(at(b"5", 1, 1), "");
        assert_eq!(at(br#"{"a": 1, "b"#, 1, 11), "b", "a text cut inside a key");
        assert_eq!(at(b"{\"a\": 1}", 9, 99), "", "a position past the end is the end");
    }
}
