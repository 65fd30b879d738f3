//! Resource and revision ids.
//!
//! A resource id is `{model}:{key}`: the model's name, a colon, and a key that is a UUID v7
//! (time ordered, so new ids sort last and index pages stay hot) unless the caller chose one.
//! A revision id is `{resource_id}:{n}`, with `n` = 1, 2, 3 … dense per resource. Both are
//! plain strings on the wire; parsing them here tells a malformed id, an id of another model and
//! an id of another resource apart, each with its own error.

use std::fmt;
use std::sync::Arc;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::error::{Error, Result};

/// The longest key accepted, in characters (as JSON Schema's `maxLength` counts them): ids
/// travel in URL paths and index keys.
pub const MAX_KEY_LEN: usize = 256;

/// The id of a resource: `{model}:{key}`, e.g. `issue:0193a5c4-…`.
///
/// Cheap to clone (a shared string).
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ResourceId(Arc<str>);

impl ResourceId {
    /// A new id for `model` with a fresh UUID v7 key.
    pub fn generate(model: &str) -> Self {
        Self(format!("{model}:{}", uuid::Uuid::now_v7()).into())
    }

    /// The id of `model` with the caller's `key`, which may also be given whole as
    /// `{model}:{key}`.
    ///
    /// # Errors
    /// [`Error::MalformedId`] for an empty key or one with a forbidden character,
    /// [`Error::ForeignModel`] for a whole id of another model.
    pub fn with_key(model: &str, key: &str) -> Result<Self> {
        if key.contains(':') {
            return Self::parse_for(model, key);
        }
        check_key(key, key)?;
        Ok(Self(format!("{model}:{key}").into()))
    }

    /// Parses a resource id of any model.
    ///
    /// # Errors
    /// [`Error::MalformedId`] when `id` is not `{model}:{key}`.
    pub fn parse(id: &str) -> Result<Self> {
        let Some((model, key)) = id.split_once(':') else {
            return Err(malformed(id, "expected `{model}:{key}`"));
        };
        check_model_name(model).map_err(|reason| malformed(id, reason))?;
        if key.contains(':') {
            return Err(malformed(
                id,
                "a resource id has one colon; this looks like a revision id",
            ));
        }
        check_key(id, key)?;
        Ok(Self(id.into()))
    }

    /// Parses a resource id that must belong to `model`.
    ///
    /// # Errors
    /// [`Error::MalformedId`], or [`Error::ForeignModel`] for a well-formed id of another model.
    pub fn parse_for(model: &str, id: &str) -> Result<Self> {
        let parsed = Self::parse(id)?;
        if parsed.model() != model {
            return Err(Error::ForeignModel {
                id: id.to_owned(),
                expected: model.to_owned(),
                found: parsed.model().to_owned(),
            });
        }
        Ok(parsed)
    }

    /// The model part, before the colon.
    pub fn model(&self) -> &str {
        self.0.split_once(':').map_or(&self.0, |(model, _)| model)
    }

    /// The key part, after the colon.
    pub fn key(&self) -> &str {
        self.0.split_once(':').map_or("", |(_, key)| key)
    }

    /// The id as a string.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The id of this resource's revision `number`.
    pub fn revision(&self, number: u64) -> RevisionId {
        RevisionId {
            resource_id: self.clone(),
            number,
        }
    }
}

/// The id of one revision: `{resource_id}:{n}`.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct RevisionId {
    resource_id: ResourceId,
    number: u64,
}

impl RevisionId {
    /// Parses a revision id of any resource.
    ///
    /// # Errors
    /// [`Error::MalformedId`] when `id` is not `{model}:{key}:{n}` with `n` ≥ 1.
    pub fn parse(id: &str) -> Result<Self> {
        let Some((resource, number)) = id.rsplit_once(':') else {
            return Err(malformed(id, "expected `{model}:{key}:{revision number}`"));
        };
        let number = parse_revision_number(number).ok_or_else(|| {
            malformed(
                id,
                "the revision number after the last colon must be a whole number from 1",
            )
        })?;
        let resource_id = ResourceId::parse(resource)
            .map_err(|_| malformed(id, "expected `{model}:{key}:{revision number}`"))?;
        Ok(Self {
            resource_id,
            number,
        })
    }

    /// Parses a revision id that must belong to `resource_id`.
    ///
    /// # Errors
    /// [`Error::MalformedId`], or [`Error::ForeignRevision`] for a revision of another resource.
    pub fn parse_for(resource_id: &ResourceId, id: &str) -> Result<Self> {
        let parsed = Self::parse(id)?;
        if &parsed.resource_id != resource_id {
            return Err(Error::ForeignRevision {
                revision_id: id.to_owned(),
                resource_id: resource_id.clone(),
            });
        }
        Ok(parsed)
    }

    /// The resource this revision belongs to.
    pub fn resource_id(&self) -> &ResourceId {
        &self.resource_id
    }

    /// The revision number: 1 for the first revision of a resource.
    pub fn number(&self) -> u64 {
        self.number
    }
}

/// Parses a revision number: decimal digits, no sign or leading zero, at least 1.
pub fn parse_revision_number(text: &str) -> Option<u64> {
    if text.is_empty() || text.starts_with('0') || !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    text.parse().ok()
}

/// Names a model cannot have: the HTTP API serves routes of its own at `/{name}`.
pub const RESERVED_MODEL_NAMES: [&str; 4] = ["docs", "healthz", "readyz", "metrics"];

/// Checks a model name: ASCII letters, digits, `-` and `_`, starting with a letter or digit,
/// and none of [`RESERVED_MODEL_NAMES`].
///
/// # Errors
/// A message saying what is wrong with the name.
pub fn check_model_name(name: &str) -> std::result::Result<(), &'static str> {
    if name.is_empty() {
        return Err("the model name is empty");
    }
    if !name
        .bytes()
        .next()
        .is_some_and(|b| b.is_ascii_alphanumeric())
    {
        return Err("a model name starts with a letter or a digit");
    }
    if !name
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    {
        return Err("a model name has only ASCII letters, digits, `-` and `_`");
    }
    if RESERVED_MODEL_NAMES.contains(&name) {
        return Err(
            "the name is taken by a route of the HTTP API (docs, healthz, readyz, metrics): \
             choose another",
        );
    }
    Ok(())
}

fn check_key(id: &str, key: &str) -> Result<()> {
    if key.is_empty() {
        return Err(malformed(id, "the key after the model name is empty"));
    }
    if key == "." || key == ".." {
        // URL clients remove such path segments (RFC 3986 §5.2.4): the resource could not
        // be named in a route.
        return Err(malformed(id, "a key cannot be `.` or `..`"));
    }
    if key.chars().count() > MAX_KEY_LEN {
        return Err(malformed(id, "the key is longer than 256 characters"));
    }
    if key
        .chars()
        .any(|c| matches!(c, ':' | '/' | '\\') || c.is_control() || c.is_whitespace())
    {
        return Err(malformed(
            id,
            "a key has no `:`, `/`, `\\`, whitespace or control characters",
        ));
    }
    Ok(())
}

fn malformed(id: &str, reason: &'static str) -> Error {
    Error::MalformedId {
        id: id.to_owned(),
        reason,
    }
}

macro_rules! string_like {
    ($ty:ty, $parse:path) => {
        impl fmt::Debug for $ty {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{:?}", self.to_string())
            }
        }

        impl Serialize for $ty {
            fn serialize<S: Serializer>(
                &self,
                serializer: S,
            ) -> std::result::Result<S::Ok, S::Error> {
                serializer.collect_str(self)
            }
        }

        impl<'de> Deserialize<'de> for $ty {
            fn deserialize<D: Deserializer<'de>>(
                deserializer: D,
            ) -> std::result::Result<Self, D::Error> {
                let text = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
                $parse(&text).map_err(serde::de::Error::custom)
            }
        }

        impl std::str::FromStr for $ty {
            type Err = Error;

            fn from_str(s: &str) -> Result<Self> {
                $parse(s)
            }
        }
    };
}

string_like!(ResourceId, ResourceId::parse);
string_like!(RevisionId, RevisionId::parse);

impl schemars::JsonSchema for ResourceId {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "ResourceId".into()
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "type": "string",
            "description": "`{model}:{key}`: the model's name and a UUID v7 or a caller-chosen key.",
            "examples": ["issue:0193a5c4-7b1e-7cc3-9a51-3f0c2d4e8a10"]
        })
    }
}

impl schemars::JsonSchema for RevisionId {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "RevisionId".into()
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "type": "string",
            "description": "`{resource_id}:{n}`, n = 1, 2, 3 … dense per resource.",
            "examples": ["issue:0193a5c4-7b1e-7cc3-9a51-3f0c2d4e8a10:2"]
        })
    }
}

impl fmt::Display for ResourceId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Display for RevisionId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.resource_id, self.number)
    }
}

impl AsRef<str> for ResourceId {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl std::ops::Deref for ResourceId {
    type Target = str;

    fn deref(&self) -> &str {
        &self.0
    }
}

impl PartialEq<str> for ResourceId {
    fn eq(&self, other: &str) -> bool {
        &*self.0 == other
    }
}

impl PartialEq<&str> for ResourceId {
    fn eq(&self, other: &&str) -> bool {
        &*self.0 == *other
    }
}

/// Anything that names a revision of a given resource: a revision id, or its text.
pub trait RevisionRef: Send + Sync {
    /// The revision this names, checked to belong to `resource_id`.
    ///
    /// # Errors
    /// [`Error::MalformedId`] or [`Error::ForeignRevision`].
    fn revision_of(&self, resource_id: &ResourceId) -> Result<RevisionId>;
}

impl RevisionRef for RevisionId {
    fn revision_of(&self, resource_id: &ResourceId) -> Result<RevisionId> {
        if &self.resource_id != resource_id {
            return Err(Error::ForeignRevision {
                revision_id: self.to_string(),
                resource_id: resource_id.clone(),
            });
        }
        Ok(self.clone())
    }
}

impl RevisionRef for str {
    fn revision_of(&self, resource_id: &ResourceId) -> Result<RevisionId> {
        RevisionId::parse_for(resource_id, self)
    }
}

impl RevisionRef for String {
    fn revision_of(&self, resource_id: &ResourceId) -> Result<RevisionId> {
        RevisionId::parse_for(resource_id, self)
    }
}

/// A bare revision number (`mgr.revert(&id, 1)`), as HTTP takes one: revision `n` of the
/// resource the call is about. 0 and negative numbers are malformed.
macro_rules! revision_number_ref {
    ($($int:ty),*) => {$(
        impl RevisionRef for $int {
            fn revision_of(&self, resource_id: &ResourceId) -> Result<RevisionId> {
                match u64::try_from(*self) {
                    Ok(number) if number >= 1 => Ok(resource_id.revision(number)),
                    _ => Err(malformed(
                        &self.to_string(),
                        "a revision number is a whole number from 1",
                    )),
                }
            }
        }
    )*};
}

revision_number_ref!(u8, u16, u32, u64, usize, i8, i16, i32, i64, isize);

impl<T: RevisionRef + ?Sized> RevisionRef for &T {
    fn revision_of(&self, resource_id: &ResourceId) -> Result<RevisionId> {
        (**self).revision_of(resource_id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_ids_belong_to_their_model_and_sort_by_time() {
        let a = ResourceId::generate("issue");
        let b = ResourceId::generate("issue");
        assert_eq!(a.model(), "issue");
        assert!(uuid::Uuid::parse_str(a.key()).is_ok());
        assert!(a < b, "uuid v7 keys are time ordered");
        assert_eq!(ResourceId::parse_for("issue", a.as_str()).unwrap(), a);
    }

    #[test]
    fn the_http_apis_own_routes_are_no_model_names() {
        for name in RESERVED_MODEL_NAMES {
            let reason = check_model_name(name).unwrap_err();
            assert!(reason.contains("taken by a route"), "{name}: {reason}");
        }
        assert!(check_model_name("docs-v2").is_ok() && check_model_name("metric").is_ok());
    }

    #[test]
    fn revision_ids_round_trip() {
        let rid = ResourceId::with_key("issue", "my-issue-1").unwrap();
        let rev = rid.revision(12);
        assert_eq!(rev.to_string(), "issue:my-issue-1:12");
        let parsed = RevisionId::parse_for(&rid, "issue:my-issue-1:12").unwrap();
        assert_eq!(parsed, rev);
        assert_eq!(parsed.number(), 12);
    }

    #[test]
    fn malformed_foreign_and_other_resource_ids_are_told_apart() {
        for bad in [
            "",
            "issue",
            "issue:",
            ":abc",
            "issue:a/b",
            "issue:a b",
            "is sue:x",
            "issue:a:1",
        ] {
            assert!(
                matches!(
                    ResourceId::parse_for("issue", bad),
                    Err(Error::MalformedId { .. })
                ),
                "{bad:?} is malformed"
            );
        }
        assert!(matches!(
            ResourceId::parse_for("issue", "blog-post:abc"),
            Err(Error::ForeignModel { .. })
        ));
        let rid = ResourceId::with_key("issue", "a").unwrap();
        for bad in [
            "issue:a",
            "issue:a:0",
            "issue:a:01",
            "issue:a:-1",
            "issue:a:x",
            "issue:a:1:2",
        ] {
            assert!(
                matches!(
                    RevisionId::parse_for(&rid, bad),
                    Err(Error::MalformedId { .. })
                ),
                "{bad:?} is malformed"
            );
        }
        assert!(matches!(
            RevisionId::parse_for(&rid, "issue:b:1"),
            Err(Error::ForeignRevision { .. })
        ));
    }

    #[test]
    fn bare_numbers_name_revisions_of_the_resource() {
        let rid = ResourceId::with_key("issue", "a").unwrap();
        assert_eq!(1.revision_of(&rid).unwrap(), rid.revision(1));
        assert_eq!(7u64.revision_of(&rid).unwrap(), rid.revision(7));
        assert_eq!(3usize.revision_of(&rid).unwrap(), rid.revision(3));
        for bad in [0i64, -1, i64::MIN] {
            let err = bad.revision_of(&rid).unwrap_err();
            assert!(matches!(err, Error::MalformedId { .. }), "{bad}: {err}");
            assert!(err.to_string().contains("whole number from 1"), "{err}");
        }
        assert!(matches!(
            0u32.revision_of(&rid),
            Err(Error::MalformedId { .. })
        ));
    }

    #[test]
    fn caller_keys_may_come_bare_or_whole() {
        assert_eq!(ResourceId::with_key("issue", "k1").unwrap(), "issue:k1");
        assert_eq!(
            ResourceId::with_key("issue", "issue:k1").unwrap(),
            "issue:k1"
        );
        assert!(matches!(
            ResourceId::with_key("issue", "team:k1"),
            Err(Error::ForeignModel { .. })
        ));
        assert!(ResourceId::with_key("issue", &"x".repeat(MAX_KEY_LEN + 1)).is_err());
        // Characters are counted, not bytes (as JSON Schema's maxLength counts them).
        assert!(ResourceId::with_key("issue", &"é".repeat(MAX_KEY_LEN)).is_ok());
        // URL clients drop `.` and `..` path segments: such a key could not be named.
        for key in [".", ".."] {
            assert!(ResourceId::with_key("issue", key).is_err(), "{key}");
        }
        assert!(ResourceId::with_key("issue", "...").is_ok());
    }
}
