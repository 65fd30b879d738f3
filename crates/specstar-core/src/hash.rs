//! Stored data: its canonical bytes and their hash.
//!
//! Data is stored as canonical JSON: compact, object keys sorted by their UTF-8 bytes, numbers
//! and strings as serde_json writes them. The data hash, `xxh3_128:<32 hex digits>` (the
//! reference's format), is taken over those bytes, so the same data hashes the same in every
//! process, on every machine and in every store, whatever order the fields were built in.
//! Keys are sorted here rather than relying on serde_json's map order, which a dependency could
//! change by enabling serde_json's `preserve_order` feature.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::Value;

/// The hash of a revision's data: `xxh3_128:` and 32 lowercase hex digits.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct DataHash(u128);

impl DataHash {
    const PREFIX: &'static str = "xxh3_128:";

    /// The hash of canonical data bytes.
    pub fn of(canonical: &[u8]) -> Self {
        Self(xxhash_rust::xxh3::xxh3_128(canonical))
    }

    /// Parses the `xxh3_128:<hex>` form.
    pub fn parse(text: &str) -> Option<Self> {
        let hex = text.strip_prefix(Self::PREFIX)?;
        if hex.len() != 32 {
            return None;
        }
        u128::from_str_radix(hex, 16).ok().map(Self)
    }
}

impl fmt::Display for DataHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}{:032x}", Self::PREFIX, self.0)
    }
}

impl fmt::Debug for DataHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

impl Serialize for DataHash {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for DataHash {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
        Self::parse(&text)
            .ok_or_else(|| serde::de::Error::custom(format!("not a data hash: {text:?}")))
    }
}

impl schemars::JsonSchema for DataHash {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "DataHash".into()
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "type": "string",
            "pattern": "^xxh3_128:[0-9a-f]{32}$",
            "description": "xxh3-128 of the data's canonical JSON: the same data has the same hash everywhere."
        })
    }
}

/// Writes `value` as canonical JSON (see the module docs).
pub fn canonical_json(value: &Value) -> Vec<u8> {
    let mut out = Vec::with_capacity(256);
    write_canonical(value, &mut out);
    out
}

fn write_canonical(value: &Value, out: &mut Vec<u8>) {
    match value {
        Value::Object(map) => {
            let mut entries: Vec<(&String, &Value)> = map.iter().collect();
            entries.sort_unstable_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()));
            out.push(b'{');
            for (i, (key, item)) in entries.into_iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                serde_json::to_writer(&mut *out, key).expect("writing to a Vec cannot fail");
                out.push(b':');
                write_canonical(item, out);
            }
            out.push(b'}');
        }
        Value::Array(items) => {
            out.push(b'[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                write_canonical(item, out);
            }
            out.push(b']');
        }
        scalar => serde_json::to_writer(&mut *out, scalar).expect("writing to a Vec cannot fail"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn key_order_does_not_change_bytes_or_hash() {
        let a = json!({"b": 1, "a": {"y": [1, 2.5, null], "x": "é"}});
        let mut reordered = serde_json::Map::new();
        reordered.insert("a".into(), json!({"x": "é", "y": [1, 2.5, null]}));
        reordered.insert("b".into(), json!(1));
        let bytes = canonical_json(&a);
        assert_eq!(bytes, canonical_json(&Value::Object(reordered)));
        assert_eq!(
            std::str::from_utf8(&bytes).unwrap(),
            r#"{"a":{"x":"é","y":[1,2.5,null]},"b":1}"#
        );
    }

    #[test]
    fn hash_is_stable_and_round_trips() {
        // Pinned: a change of canonical form or hash function would break every stored hash.
        let hash = DataHash::of(br#"{"title":"x"}"#);
        assert_eq!(hash.to_string().len(), "xxh3_128:".len() + 32);
        assert_eq!(DataHash::parse(&hash.to_string()), Some(hash));
        assert_eq!(
            DataHash::of(b"hello\n").to_string(),
            "xxh3_128:6bba86c7e069f56d5a10b435f1c8e49c"
        );
        assert_eq!(DataHash::parse("xxh3_128:zz"), None);
    }
}
