//! The shapes a read answers with: the envelope `{data, revision_info, meta}`, some of its
//! keys, or one part bare, and the `partial` selection of data fields.
//!
//! These mirror the reference's `returns` and `partial` parameters so that its clients read
//! the same JSON here.

use serde_json::{Map, Value};
use specstar_core::DynResource;

use crate::problem::Problem;

/// One part of a read resource.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Part {
    /// The data.
    Data,
    /// The revision info.
    RevisionInfo,
    /// The resource meta.
    Meta,
}

impl Part {
    fn key(self) -> &'static str {
        match self {
            Self::Data => "data",
            Self::RevisionInfo => "revision_info",
            Self::Meta => "meta",
        }
    }

    fn parse(name: &str) -> Option<Self> {
        match name {
            "data" => Some(Self::Data),
            "revision_info" => Some(Self::RevisionInfo),
            "meta" => Some(Self::Meta),
            _ => None,
        }
    }
}

/// What a read answers with.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Returns {
    /// An envelope object with these keys (all three by default).
    Envelope(Vec<Part>),
    /// One part, bare.
    Only(Part),
}

impl Returns {
    /// Whether the answer holds the data (else a pruned revision's info can still answer).
    pub(crate) fn has_data(&self) -> bool {
        match self {
            Self::Only(part) => *part == Part::Data,
            Self::Envelope(parts) => parts.contains(&Part::Data),
        }
    }

    /// The whole envelope.
    pub(crate) fn full() -> Self {
        Self::Envelope(vec![Part::Data, Part::RevisionInfo, Part::Meta])
    }

    /// Parses `returns`: `data,revision_info,meta` (any non-empty subset) or `only-data`,
    /// `only-meta`, `only-revision_info`; `None` for the full envelope.
    ///
    /// # Errors
    /// 400 `invalid_query` for another value.
    pub(crate) fn parse(text: Option<&str>) -> Result<Self, Problem> {
        let Some(text) = text else {
            return Ok(Self::full());
        };
        let bad = || {
            Problem::invalid_query(format!(
                "returns={text:?}: expected a comma list of data, revision_info, meta, \
                 or only-data, only-meta, only-revision_info"
            ))
        };
        if let Some(only) = text.trim().strip_prefix("only-") {
            return Part::parse(only).map(Self::Only).ok_or_else(bad);
        }
        let mut parts = Vec::new();
        for name in text.split(',').map(str::trim).filter(|n| !n.is_empty()) {
            let part = Part::parse(name).ok_or_else(bad)?;
            if !parts.contains(&part) {
                parts.push(part);
            }
        }
        if parts.is_empty() {
            return Err(bad());
        }
        Ok(Self::Envelope(parts))
    }

    /// The JSON body for `found`, its data narrowed to `partial` paths when there are any.
    ///
    /// # Errors
    /// A 500 problem when the stored data cannot be decoded.
    pub(crate) fn render(&self, found: &DynResource, partial: &[&str]) -> Result<Value, Problem> {
        let part = |p: Part| -> Result<Value, Problem> {
            Ok(match p {
                Part::Data => select(found.data_value()?, partial),
                Part::RevisionInfo => crate::wire::revision_info(&found.info)?,
                Part::Meta => crate::wire::meta(&found.meta)?,
            })
        };
        match self {
            Self::Only(p) => part(*p),
            Self::Envelope(parts) => {
                let mut envelope = Map::new();
                for p in parts {
                    envelope.insert(p.key().to_owned(), part(*p)?);
                }
                Ok(Value::Object(envelope))
            }
        }
    }
}

/// Serializes a core value.
///
/// # Errors
/// A 500 problem; serializing the core's plain records does not fail in practice.
pub(crate) fn to_value(value: &impl serde::Serialize) -> Result<Value, Problem> {
    serde_json::to_value(value).map_err(|e| {
        tracing::error!(error = %e, "cannot serialize a response");
        Problem::from_status(http::StatusCode::INTERNAL_SERVER_ERROR)
    })
}

/// The fields of `data` named by slash paths (`/title`, `/owner/name`, or `title`), kept at
/// their place; paths that are absent are left out. No paths: the whole data.
pub(crate) fn select(data: Value, paths: &[&str]) -> Value {
    if paths.is_empty() {
        return data;
    }
    let mut out = Value::Object(Map::new());
    for path in paths {
        let pointer = if path.starts_with('/') {
            (*path).to_owned()
        } else {
            format!("/{path}")
        };
        if pointer == "/" {
            return data;
        }
        if let Some(value) = data.pointer(&pointer) {
            insert_at(&mut out, &pointer, value.clone());
        }
    }
    out
}

/// Puts `value` at JSON pointer `pointer` in `out`, creating objects on the way.
fn insert_at(out: &mut Value, pointer: &str, value: Value) {
    let tokens: Vec<String> = pointer
        .split('/')
        .skip(1)
        .map(|t| t.replace("~1", "/").replace("~0", "~"))
        .collect();
    let Some((last, parents)) = tokens.split_last() else {
        return;
    };
    let mut at = out;
    for token in parents {
        if !at.is_object() {
            *at = Value::Object(Map::new());
        }
        let Value::Object(map) = at else { return };
        at = map
            .entry(token.clone())
            .or_insert_with(|| Value::Object(Map::new()));
    }
    if !at.is_object() {
        *at = Value::Object(Map::new());
    }
    if let Value::Object(map) = at {
        map.insert(last.clone(), value);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn returns_parses_lists_and_only_forms() {
        assert_eq!(Returns::parse(None).unwrap(), Returns::full());
        assert_eq!(
            Returns::parse(Some("data, meta")).unwrap(),
            Returns::Envelope(vec![Part::Data, Part::Meta])
        );
        assert_eq!(
            Returns::parse(Some("only-revision_info")).unwrap(),
            Returns::Only(Part::RevisionInfo)
        );
        assert!(Returns::parse(Some("only-everything")).is_err());
        assert!(Returns::parse(Some("data,bogus")).is_err());
        assert!(Returns::parse(Some("")).is_err());
    }

    #[test]
    fn partial_keeps_named_fields_in_place() {
        let data = json!({"title": "t", "owner": {"name": "a", "mail": "m"}, "n": 1});
        assert_eq!(
            select(data.clone(), &["/title", "owner/name", "/missing"]),
            json!({"title": "t", "owner": {"name": "a"}})
        );
        assert_eq!(select(data.clone(), &[]), data);
    }
}
