//! The tokens of a `qb` expression: names, quoted strings, numbers and punctuation, each with
//! the byte offset it starts at, for the parser's errors.

use std::fmt;

use serde_json::Number;

use super::{QbError, error};

/// What a token is.
#[derive(Clone, Debug, PartialEq)]
pub(super) enum Kind {
    Ident(String),
    Str(String),
    Num(Number),
    Punct(&'static str),
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Ident(name) => write!(f, "`{name}`"),
            Self::Str(_) => f.write_str("a string"),
            Self::Num(_) => f.write_str("a number"),
            Self::Punct(p) => write!(f, "`{p}`"),
        }
    }
}

/// A token and the byte offset where it starts.
#[derive(Clone, Debug)]
pub(super) struct Token {
    pub(super) kind: Kind,
    pub(super) pos: usize,
}

/// The punctuation, the two-character ones first so that they win over their first character.
const PUNCTS: [&str; 17] = [
    "==", "!=", ">=", "<=", ">", "<", "(", ")", "[", "]", ",", ".", "&", "|", "~", "-", "+",
];

/// The tokens of `text`, or the first character that starts none.
pub(super) fn lex(text: &str) -> Result<Vec<Token>, QbError> {
    let bytes = text.as_bytes();
    let mut tokens = Vec::new();
    let mut start = 0;
    while let Some(&c) = bytes.get(start) {
        if c.is_ascii_whitespace() {
            start += 1;
            continue;
        }
        let (kind, end) = if c.is_ascii_alphabetic() || c == b'_' {
            ident(text, start)
        } else if c.is_ascii_digit()
            || (c == b'.' && bytes.get(start + 1).is_some_and(u8::is_ascii_digit))
        {
            number(text, start)?
        } else if c == b'\'' || c == b'"' {
            string(text, start, char::from(c))?
        } else if let Some(p) = PUNCTS.iter().find(|p| text[start..].starts_with(**p)) {
            (Kind::Punct(p), start + p.len())
        } else {
            let ch = text[start..].chars().next().unwrap_or('?');
            return Err(error(start, format!("unexpected character {ch:?}")));
        };
        tokens.push(Token { kind, pos: start });
        start = end;
    }
    Ok(tokens)
}

/// The name starting at `start`, and where it ends.
fn ident(text: &str, start: usize) -> (Kind, usize) {
    let bytes = text.as_bytes();
    let mut end = start;
    while end < bytes.len() && (bytes[end].is_ascii_alphanumeric() || bytes[end] == b'_') {
        end += 1;
    }
    (Kind::Ident(text[start..end].to_owned()), end)
}

/// The number starting at `start` (an integer, or a float with a point or an exponent; `_`
/// separates digits), and where it ends.
fn number(text: &str, start: usize) -> Result<(Kind, usize), QbError> {
    let (end, float) = number_end(text.as_bytes(), start);
    let literal = text[start..end].replace('_', "");
    let number = if float {
        literal
            .parse::<f64>()
            .ok()
            .and_then(Number::from_f64)
            .ok_or_else(|| error(start, "not a number"))?
    } else {
        literal
            .parse::<i64>()
            .map(Number::from)
            .map_err(|_| error(start, "integer out of range"))?
    };
    Ok((Kind::Num(number), end))
}

/// Where the number starting at `start` ends, and whether it is a float.
fn number_end(bytes: &[u8], start: usize) -> (usize, bool) {
    let mut i = start;
    let mut float = false;
    while let Some(&b) = bytes.get(i) {
        if b.is_ascii_digit() || b == b'_' {
            i += 1;
        } else if b == b'.' && !float {
            float = true;
            i += 1;
        } else if (b == b'e' || b == b'E')
            && bytes
                .get(i + 1)
                .is_some_and(|n| n.is_ascii_digit() || *n == b'-' || *n == b'+')
        {
            float = true;
            i += 2;
        } else {
            break;
        }
    }
    (i, float)
}

/// The string quoted by `quote`, which is at `start` (`\n`, `\t`, `\r`, `\0` escapes; any other
/// escaped character stands for itself), and where it ends.
fn string(text: &str, start: usize, quote: char) -> Result<(Kind, usize), QbError> {
    let mut chars = text[start + 1..].char_indices();
    let mut out = String::new();
    let unterminated = || error(start, "unterminated string");
    loop {
        let (at, ch) = chars.next().ok_or_else(unterminated)?;
        if ch == quote {
            return Ok((Kind::Str(out), start + 1 + at + ch.len_utf8()));
        }
        if ch == '\\' {
            let (_, escaped) = chars.next().ok_or_else(unterminated)?;
            out.push(match escaped {
                'n' => '\n',
                't' => '\t',
                'r' => '\r',
                '0' => '\0',
                other => other,
            });
        } else {
            out.push(ch);
        }
    }
}
