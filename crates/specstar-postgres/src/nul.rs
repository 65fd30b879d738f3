//! Indexed strings with U+0000 in them: PostgreSQL's `text` and `jsonb` cannot hold that
//! character, and JSON allows it, so the store keeps indexed strings *escaped*.
//!
//! The escape is two characters for two: U+0000 becomes U+0001 U+0001 and U+0001 becomes
//! U+0001 U+0002; every other character is itself (so nearly every string is stored as it
//! is). It keeps everything the core's definition asks of strings:
//! - **equality**: the escape is one to one;
//! - **order**: strings sort by their UTF-8 bytes, and the escape keeps that order (its
//!   codes are prefix-free and in the order of the characters they stand for: `01 01` <
//!   `01 02` < `02` < …), so ranges and sorts compare escaped text;
//! - **prefixes**: `s` starts with `p` exactly when the escaped `s` starts with the escaped
//!   `p`;
//! - **substrings and suffixes** likewise, except that a match could begin on the second
//!   character of an escape when the needle starts with U+0000, U+0001 or U+0002: those
//!   needles are matched by a regular expression that steps over whole escapes
//!   ([`aligned_pattern`]).
//!
//! Values are escaped on the way in (writes, backfills, condition values, cursors) and
//! unescaped on the way out (heads read back), so callers never see the escape. The revision
//! data itself is `bytea` and needs none.

use std::borrow::Cow;

use serde_json::{Map, Value};
use specstar_core::IndexedValues;

const ESCAPE: char = '\u{1}';

/// `s` escaped (borrowed when it has nothing to escape).
pub(crate) fn escape_str(s: &str) -> Cow<'_, str> {
    if !s.contains(['\0', ESCAPE]) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 2);
    for c in s.chars() {
        match c {
            '\0' => out.push_str("\u{1}\u{1}"),
            ESCAPE => out.push_str("\u{1}\u{2}"),
            other => out.push(other),
        }
    }
    Cow::Owned(out)
}

/// The string `s` was escaped from. A U+0001 not followed by U+0001 or U+0002 (written raw,
/// before the store escaped) is kept as it is.
pub(crate) fn unescape_str(s: &str) -> Cow<'_, str> {
    if !s.contains(ESCAPE) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        if c == ESCAPE {
            match chars.peek() {
                Some('\u{1}') => {
                    chars.next();
                    out.push('\0');
                }
                Some('\u{2}') => {
                    chars.next();
                    out.push(ESCAPE);
                }
                _ => out.push(ESCAPE),
            }
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// `value` with every string in it (object keys too) escaped.
pub(crate) fn escape_value(value: &Value) -> Value {
    map_strings(value, &|s| escape_str(s).into_owned())
}

/// `value` with every string in it (object keys too) unescaped.
pub(crate) fn unescape_value(value: Value) -> Value {
    match value {
        Value::String(s) => match unescape_str(&s) {
            Cow::Borrowed(_) => Value::String(s),
            Cow::Owned(plain) => Value::String(plain),
        },
        Value::Array(items) => Value::Array(items.into_iter().map(unescape_value).collect()),
        Value::Object(map) => Value::Object(
            map.into_iter()
                .map(|(k, v)| (unescape_str(&k).into_owned(), unescape_value(v)))
                .collect(),
        ),
        other => other,
    }
}

/// The `indexed_data` column of a head's indexed values: a JSON object, strings escaped.
pub(crate) fn indexed_column(indexed: &IndexedValues) -> Value {
    let map: Map<String, Value> = indexed
        .iter()
        .map(|(field, value)| (escape_str(field).into_owned(), escape_value(value)))
        .collect();
    Value::Object(map)
}

fn map_strings(value: &Value, f: &dyn Fn(&str) -> String) -> Value {
    match value {
        Value::String(s) => Value::String(f(s)),
        Value::Array(items) => Value::Array(items.iter().map(|v| map_strings(v, f)).collect()),
        Value::Object(map) => {
            Value::Object(map.iter().map(|(k, v)| (f(k), map_strings(v, f))).collect())
        }
        other => other.clone(),
    }
}

/// Whether a substring or suffix test for `needle` must step over whole escapes: its escaped
/// form starts with a character that can also be the second of an escape.
pub(crate) fn needs_alignment(needle: &str) -> bool {
    needle.starts_with(['\0', '\u{1}', '\u{2}'])
}

/// A PostgreSQL regular expression (ARE) matching escaped text that contains the escaped
/// `needle` at a whole-escape boundary, at its end when `at_end`.
pub(crate) fn aligned_pattern(needle: &str, at_end: bool) -> String {
    let mut pattern = String::from(r"^(?:[^\u0001]|\u0001.)*?");
    for c in escape_str(needle).chars() {
        if c.is_ascii() && !c.is_ascii_alphanumeric() {
            pattern.push('\\');
        }
        pattern.push(c);
    }
    if at_end {
        pattern.push('$');
    }
    pattern
}

#[cfg(test)]
mod tests {
    use super::*;

    const SAMPLES: [&str; 12] = [
        "",
        "\0",
        "\0\0",
        "\u{1}",
        "\u{1}\u{1}",
        "\u{2}",
        "a",
        "a\0",
        "a\0b",
        "a\u{1}",
        "a\u{2}",
        "é\0",
    ];

    #[test]
    fn escapes_round_trip_and_keep_order_and_prefixes() {
        for a in SAMPLES {
            let ea = escape_str(a);
            assert!(!ea.contains('\0'));
            assert_eq!(unescape_str(&ea), a);
            for b in SAMPLES {
                let eb = escape_str(b);
                assert_eq!(
                    a.as_bytes().cmp(b.as_bytes()),
                    ea.as_bytes().cmp(eb.as_bytes())
                );
                assert_eq!(a.starts_with(b), ea.starts_with(&*eb), "{a:?} {b:?}");
                if !needs_alignment(b) {
                    assert_eq!(a.contains(b), ea.contains(&*eb), "{a:?} {b:?}");
                    assert_eq!(a.ends_with(b), ea.ends_with(&*eb), "{a:?} {b:?}");
                }
            }
        }
        assert_eq!(unescape_str("x\u{1}y"), "x\u{1}y", "a raw U+0001 stays");
        let value = serde_json::json!({"k\u{0}": ["a\u{0}", {"b": "\u{1}"}], "n": 1});
        assert_eq!(unescape_value(escape_value(&value)), value);
    }

    #[test]
    fn aligned_patterns_quote_the_needle() {
        assert_eq!(
            aligned_pattern("\0.x", true),
            "^(?:[^\\u0001]|\\u0001.)*?\\\u{1}\\\u{1}\\.x$"
        );
    }
}
