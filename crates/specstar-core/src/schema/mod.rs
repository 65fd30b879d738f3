//! Schemas: how a Rust type, or a JSON Schema, becomes a registered model.
//!
//! [`Schema`] is what users write (`Schema::<Issue>::new("v1").index("status")`); registering it
//! turns it into a [`ModelDef`], the type-erased model every other layer works with. A model
//! definition knows how to check untyped JSON against the model (deserialize it into the type,
//! refusing unknown fields by default) and how to turn data into what a store keeps: canonical
//! bytes, their hash and the values of the indexed fields. [`JsonSchemaModel`] declares a model
//! by a JSON Schema alone, without a Rust type; its definition is a [`ModelDef`] like any other.
//!
//! One idea per file: this one has the declarations and [`ModelDef`]; `field.rs` the indexed
//! fields and what a JSON Schema says of them; `typed.rs` the codec of a Rust type;
//! `json_schema.rs` the codec of a JSON Schema; `validation.rs` turns a validator's errors into
//! field errors with JSON paths.

mod field;
mod fingerprint;
mod json_schema;
mod migration;
mod policy;
mod typed;
mod validation;

use std::any::TypeId;
use std::fmt;
use std::marker::PhantomData;
use std::sync::Arc;

use bytes::Bytes;
use heck::ToKebabCase;
use schemars::JsonSchema;
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::error::{Error, FieldErrors, Result};
use crate::hash::{DataHash, canonical_json};
use crate::hooks::Hooks;
use crate::id::check_model_name;
use crate::meta::IndexedValues;
use crate::permission::{Access, Caller, Grant, Permissions};
use crate::query::Query;
use crate::retention::Retention;
use crate::revision::RevisionInfo;

pub use field::{FieldShape, IndexedField};
pub use json_schema::JsonSchemaModel;
use migration::{MigrationError, Migrations, Step};
use policy::ModelPolicy;
use typed::TypedCodec;

/// What a Rust type needs to be a model: serde both ways and a JSON Schema.
///
/// The traits are serde 1's and schemars 1's; a derive of another major version (schemars 0.8)
/// does not count, which the compiler error says rather than hinting at a missing derive.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a specstar model: it needs serde 1's `Serialize` and \
               `Deserialize` and schemars 1's `JsonSchema`",
    note = "derive them from the versions specstar uses: depend on `serde = {{ version = \"1\", \
            features = [\"derive\"] }}` and `schemars = \"1\"` (a schemars 0.8 derive does not \
            count), or derive `specstar::Serialize`, `specstar::Deserialize` and \
            `specstar::JsonSchema` with `#[serde(crate = \"specstar::serde\")]` and \
            `#[schemars(crate = \"specstar::schemars\")]`"
)]
pub trait Model: Serialize + DeserializeOwned + JsonSchema + Send + Sync + 'static {}

impl<T: Serialize + DeserializeOwned + JsonSchema + Send + Sync + 'static> Model for T {}

/// The declaration of a model: its type, schema version, name and indexed fields.
///
/// ```
/// # use specstar_core::Schema;
/// #[derive(serde::Serialize, serde::Deserialize, schemars::JsonSchema)]
/// struct BlogPost { title: String, author: String }
///
/// let schema = Schema::<BlogPost>::new("v1").index("author");
/// let model = schema.build().unwrap();
/// assert_eq!(model.name(), "blog-post");
/// ```
pub struct Schema<T> {
    version: String,
    name: Option<String>,
    indexed: Vec<String>,
    allow_unknown_fields: bool,
    steps: Vec<Step>,
    policy: ModelPolicy,
    model: PhantomData<fn() -> T>,
}

// `new` bounds `T` on the function rather than on the impl, so that a type that is not a
// `Model` gets the trait's own message (E0277, naming the versions) instead of E0599's
// "method exists but its trait bounds were not satisfied".
impl<T> Schema<T> {
    /// A schema of version `version` (e.g. `"v1"`), named after the type in kebab case.
    pub fn new(version: impl Into<String>) -> Self
    where
        T: Model,
    {
        Self {
            version: version.into(),
            name: None,
            indexed: Vec::new(),
            allow_unknown_fields: false,
            steps: Vec::new(),
            policy: ModelPolicy::default(),
            model: PhantomData,
        }
    }
}

impl<T: Model> Schema<T> {
    /// Names the model (the prefix of its ids and its URL path) instead of the type's name.
    #[must_use]
    pub fn name(mut self, name: impl Into<String>) -> Self {
        self.name = Some(name.into());
        self
    }

    /// Declares an indexed field, by name or dotted path (`"assignee"`, `"owner.team"`): its
    /// value is stored with the resource's head, ready to search.
    #[must_use]
    pub fn index(mut self, field: impl Into<String>) -> Self {
        self.indexed.push(field.into());
        self
    }

    /// Drops fields the model does not have instead of refusing the data (the reference's
    /// default, which it warns is unsafe).
    #[must_use]
    pub fn allow_unknown_fields(mut self) -> Self {
        self.allow_unknown_fields = true;
        self
    }

    /// Declares how data written under the older version `from`, whose Rust type is `Old`,
    /// becomes this version's `T`: reads of such revisions answer `step`'s result (the storage
    /// is not rewritten; see [`ModelDef::upcast`]), and a persisted migration writes it.
    ///
    /// ```
    /// # use specstar_core::Schema;
    /// #[derive(serde::Serialize, serde::Deserialize, schemars::JsonSchema)]
    /// struct IssueV1 { title: String, assignee: Option<String> }
    /// #[derive(serde::Serialize, serde::Deserialize, schemars::JsonSchema)]
    /// struct Issue { title: String, owner: Option<String>, priority: u8 }
    ///
    /// let schema = Schema::<Issue>::new("v2").migrate_from::<IssueV1, String>("v1", |old| {
    ///     Ok(Issue { title: old.title, owner: old.assignee, priority: 3 })
    /// });
    /// # schema.build().unwrap();
    /// ```
    #[must_use]
    pub fn migrate_from<Old, E>(
        mut self,
        from: impl Into<String>,
        step: impl Fn(Old) -> std::result::Result<T, E> + Send + Sync + 'static,
    ) -> Self
    where
        Old: DeserializeOwned,
        E: fmt::Display,
    {
        let to = self.version.clone();
        self.steps
            .push(Step::json(from.into(), to, move |data: Value| {
                let old: Old = serde_json::from_value(data).map_err(|e| {
                    format!(
                        "the data does not fit {}: {e}",
                        std::any::type_name::<Old>()
                    )
                })?;
                let new = step(old).map_err(|e| e.to_string())?;
                crate::json::to_json(&new).map_err(|errors| errors.to_string())
            }));
        self
    }

    /// Declares a step on raw JSON, from version `from` to version `to` (this one, or another
    /// older one that a further step leads on from): for versions whose Rust type is gone.
    /// Steps chain; the shortest path from a stored version to the current one is taken.
    #[must_use]
    pub fn migrate_json<E: fmt::Display>(
        mut self,
        from: impl Into<String>,
        to: impl Into<String>,
        step: impl Fn(Value) -> std::result::Result<Value, E> + Send + Sync + 'static,
    ) -> Self {
        self.steps.push(Step::json(from.into(), to.into(), step));
        self
    }

    /// Bounds the model's history (see [retention](crate::retention)): what a prune keeps.
    #[must_use]
    pub fn retention(mut self, policy: Retention) -> Self {
        self.policy.retention = policy;
        self
    }

    /// Who may do what to the model (see [permission](crate::permission)): without, everyone
    /// may do everything; with, whatever no rule allows is denied.
    #[must_use]
    pub fn permissions(mut self, permissions: Permissions) -> Self {
        self.policy.permissions = Some(Arc::new(permissions));
        self
    }

    /// Runs `hooks` around every write of the model (see [hooks](crate::hooks)).
    #[must_use]
    pub fn hooks(mut self, hooks: Hooks) -> Self {
        self.policy.hooks = Arc::new(hooks);
        self
    }

    /// Checks the declaration and turns it into a model definition.
    ///
    /// # Errors
    /// [`Error::InvalidSchema`] for a bad name, an empty version, an indexed field the model
    /// does not have, or one declared twice, and for a migration step from the current version
    /// or two steps between the same versions.
    pub fn build(self) -> Result<ModelDef> {
        let name = self.name.unwrap_or_else(default_model_name::<T>);
        let invalid = |reason: String| Error::InvalidSchema {
            model: name.clone(),
            reason,
        };
        check_model_name(&name).map_err(|reason| invalid(format!("bad model name: {reason}")))?;
        if self.version.trim().is_empty() {
            return Err(invalid("the schema version is empty".into()));
        }
        let json_schema = serde_json::to_value(schemars::schema_for!(T))
            .map_err(|e| invalid(format!("its JSON Schema cannot be written: {e}")))?;
        let indexed_fields = field::indexed_fields(&json_schema, self.indexed).map_err(invalid)?;
        let codec = TypedCodec::<T>::new(self.allow_unknown_fields, &json_schema);
        let version: Arc<str> = self.version.into();
        let migrations = Migrations::new(version.clone(), self.steps).map_err(invalid)?;
        // The type's own schema is what stores fingerprint (stores written before closing
        // keep their fingerprints); the closed one is what clients are told.
        let fingerprint = fingerprint::fingerprint(&json_schema).into();
        let json_schema = if self.allow_unknown_fields {
            json_schema
        } else {
            typed::closed(json_schema)
        };
        ModelDef {
            name: name.into(),
            schema_version: version,
            indexed_fields,
            fingerprint,
            json_schema,
            type_id: Some(TypeId::of::<T>()),
            codec: Arc::new(codec),
            migrations: Arc::new(migrations),
            policy: self.policy,
        }
        .with_checked_scopes()
    }
}

/// The kebab-case name of a type without its module path or generics (`BlogPost` → `blog-post`).
fn default_model_name<T>() -> String {
    let full = std::any::type_name::<T>();
    let base = full.split('<').next().unwrap_or(full);
    base.rsplit("::").next().unwrap_or(base).to_kebab_case()
}

/// Checks untyped data against a model and brings it to the model's normal form.
pub trait Codec: Send + Sync + 'static {
    /// Validates `data` and returns it as the model writes it (defaults filled in).
    ///
    /// # Errors
    /// The field errors when the data does not fit.
    fn normalize(&self, data: Value) -> std::result::Result<Value, FieldErrors>;
}

/// Data ready for a store: canonical JSON bytes, their hash and the indexed values.
#[derive(Clone, Debug, PartialEq)]
pub struct EncodedData {
    /// Canonical JSON (see [`crate::hash`]).
    pub bytes: Bytes,
    /// The hash of `bytes`.
    pub hash: DataHash,
    /// The values of the model's indexed fields.
    pub indexed: IndexedValues,
}

/// A registered model, type erased: what stores, resource managers and the HTTP layer share.
#[derive(Clone)]
pub struct ModelDef {
    name: Arc<str>,
    schema_version: Arc<str>,
    indexed_fields: Vec<IndexedField>,
    json_schema: Value,
    type_id: Option<TypeId>,
    codec: Arc<dyn Codec>,
    migrations: Arc<Migrations>,
    fingerprint: Arc<str>,
    policy: ModelPolicy,
}

impl ModelDef {
    /// The model's name: the prefix of its ids and its URL path.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The name, shared.
    pub fn name_arc(&self) -> &Arc<str> {
        &self.name
    }

    /// The schema version new revisions are written with.
    pub fn schema_version(&self) -> &Arc<str> {
        &self.schema_version
    }

    /// The indexed fields, in declaration order.
    pub fn indexed_fields(&self) -> &[IndexedField] {
        &self.indexed_fields
    }

    /// The model's JSON Schema (draft 2020-12): as schemars writes it for a typed model, as
    /// given for one declared by [`JsonSchemaModel`].
    pub fn json_schema(&self) -> &Value {
        &self.json_schema
    }

    /// The Rust type the model was declared with; `None` for a model declared by a JSON Schema.
    pub fn type_id(&self) -> Option<TypeId> {
        self.type_id
    }

    /// The fingerprint of the model's JSON Schema, annotations aside (`sha256:…`): what a
    /// store records of each version it registered, to refuse a changed schema under an
    /// unchanged version.
    pub fn fingerprint(&self) -> &Arc<str> {
        &self.fingerprint
    }

    /// What the model's history keeps (see [retention](crate::retention)); the default keeps
    /// everything.
    pub fn retention(&self) -> Retention {
        self.policy.retention
    }

    /// The hooks every write of the model runs (see [hooks](crate::hooks)).
    pub fn hooks(&self) -> &Hooks {
        &self.policy.hooks
    }

    /// Who may do what to the model; `None` when it declares no permissions (everyone may do
    /// everything).
    pub fn permissions(&self) -> Option<&Permissions> {
        self.policy.permissions.as_deref()
    }

    /// What the model's rules grant `caller` for `access` ([`Grant::All`] for a model without
    /// rules); a scoped grant's filter is bound to the caller, to be checked like a query's
    /// ([`DynResourceManager::within`](crate::DynResourceManager::within)).
    pub fn grant(&self, caller: Caller<'_>, access: Access) -> Grant {
        self.permissions()
            .map_or(Grant::All, |rules| rules.grant(caller, access))
    }

    /// The model, once every rule's row scope is checked against it (bound to a sample caller):
    /// its fields indexed, its values fitting their operators, as a search's filter.
    pub(crate) fn with_checked_scopes(self) -> Result<Self> {
        let roles = ["role".to_owned()];
        let sample = Caller {
            id: "user",
            roles: &roles,
        };
        let rules = self
            .permissions()
            .map(Permissions::rules)
            .unwrap_or_default();
        for (n, rule) in rules.iter().enumerate() {
            let Some(scope) = rule.scope() else { continue };
            let query = Query {
                filter: Some(scope.bind(sample)),
                include_deleted: true,
                ..Query::default()
            };
            if let Err(e) = query.normalized(&self) {
                return Err(Error::InvalidSchema {
                    model: self.name.to_string(),
                    reason: format!(
                        "permission rule {} (roles {:?}): its row scope cannot be answered by \
                         the model's indexes: {e}",
                        n + 1,
                        rule.roles()
                    ),
                });
            }
        }
        Ok(self)
    }

    /// Whether data of schema version `version` can be brought to the current one (it is the
    /// current one, or a chain of migration steps leads from it).
    pub fn has_migration_path(&self, version: &str) -> bool {
        self.migrations.has_path(version)
    }

    /// The versions the model's migration steps lead from.
    pub fn migration_sources(&self) -> Vec<&str> {
        self.migrations.sources().collect()
    }

    /// A stored revision's data as the current schema version has it: the bytes as they are
    /// when the revision is of the current version, or of a version no migration step leads
    /// from (it is then read as stored, as before migrations existed); else the data brought
    /// along the migration path, checked by the model and in its normal form. The revision's
    /// info still says the version it was written in.
    ///
    /// # Errors
    /// [`Error::MigrationFailed`] when a step fails; [`Error::DoesNotFitModel`] when its result
    /// does not fit the model; [`Error::Corrupt`] for stored bytes that are not JSON.
    pub fn upcast(&self, info: &RevisionInfo, data: Bytes) -> Result<Bytes> {
        if info.schema_version == self.schema_version
            || !self.migrations.has_path(&info.schema_version)
        {
            return Ok(data);
        }
        Ok(self.migrated(info, &data)?.bytes)
    }

    /// Data of schema version `version` brought to the current one by the migration steps,
    /// unchecked (a store's backfill indexes it).
    ///
    /// # Errors
    /// The reason, when there is no path or a step fails.
    pub fn upcast_value(&self, version: &str, data: Value) -> std::result::Result<Value, String> {
        self.migrations
            .upcast(version, data)
            .map_err(|error| match error {
                MigrationError::NoPath => format!("no migration path from {version:?}"),
                MigrationError::Failed { from, to, reason } => {
                    format!("the step from {from:?} to {to:?} failed: {reason}")
                }
            })
    }

    /// A stored revision's data brought to the current schema version, encoded as a write
    /// would (what a persisted migration writes).
    ///
    /// # Errors
    /// [`Error::NoMigrationPath`] when no chain of steps leads from its version; as
    /// [`upcast`](Self::upcast).
    pub fn migrated(&self, info: &RevisionInfo, data: &[u8]) -> Result<EncodedData> {
        let value: Value = serde_json::from_slice(data).map_err(|e| Error::Corrupt {
            what: format!("revision {}", info.revision_id),
            reason: e.to_string(),
        })?;
        let upcast = self
            .migrations
            .upcast(&info.schema_version, value)
            .map_err(|error| match error {
                MigrationError::NoPath => Error::NoMigrationPath {
                    model: self.name.to_string(),
                    revision_id: info.revision_id.clone(),
                    stored_schema_version: info.schema_version.clone(),
                    current_schema_version: self.schema_version.clone(),
                },
                MigrationError::Failed { from, to, reason } => Error::MigrationFailed {
                    model: self.name.to_string(),
                    revision_id: info.revision_id.clone(),
                    from,
                    to,
                    reason,
                },
            })?;
        self.encode_stored(info, upcast)
    }

    /// Validates untyped data and encodes its normal form.
    ///
    /// # Errors
    /// [`Error::Validation`] when the data does not fit the model.
    pub fn encode(&self, data: Value) -> Result<EncodedData> {
        let normal = self
            .codec
            .normalize(data)
            .map_err(|errors| Error::Validation {
                model: self.name.to_string(),
                errors,
            })?;
        Ok(self.encode_valid(&normal))
    }

    /// Checks a stored revision's data against the model as declared now and encodes its normal
    /// form: what revert and restore write, so that they never write data the model cannot read.
    ///
    /// # Errors
    /// [`Error::DoesNotFitModel`] naming the revision, its schema version and the fields.
    pub fn encode_stored(&self, info: &RevisionInfo, data: Value) -> Result<EncodedData> {
        self.encode(data).map_err(|error| match error {
            Error::Validation { errors, .. } => self.does_not_fit(info, errors),
            other => other,
        })
    }

    /// The error for a stored revision whose data does not fit the model as declared now.
    pub fn does_not_fit(&self, info: &RevisionInfo, errors: FieldErrors) -> Error {
        Error::DoesNotFitModel {
            model: self.name.to_string(),
            revision_id: info.revision_id.clone(),
            stored_schema_version: info.schema_version.clone(),
            current_schema_version: self.schema_version.clone(),
            errors,
        }
    }

    /// Encodes data already known to fit (it came from the model's own type).
    pub fn encode_valid(&self, data: &Value) -> EncodedData {
        let bytes = canonical_json(data);
        EncodedData {
            hash: DataHash::of(&bytes),
            bytes: bytes.into(),
            indexed: self.indexed_values(data),
        }
    }

    /// The values of the indexed fields in `data`.
    pub fn indexed_values(&self, data: &Value) -> IndexedValues {
        self.indexed_fields
            .iter()
            .map(|field| (field.path().to_owned(), field.value_in(data)))
            .collect()
    }
}

impl fmt::Debug for ModelDef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ModelDef")
            .field("name", &self.name)
            .field("schema_version", &self.schema_version)
            .field("indexed_fields", &self.indexed_fields)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::time::Timestamp;
    use serde::Deserialize;
    use serde_json::json;

    #[derive(Serialize, Deserialize, JsonSchema)]
    struct BlogPost {
        title: String,
        #[serde(default)]
        tags: Vec<String>,
        owner: Option<Owner>,
    }

    #[derive(Serialize, Deserialize, JsonSchema)]
    struct Owner {
        team: String,
    }

    #[derive(Serialize, Deserialize, JsonSchema)]
    struct Reading {
        level: f32,
    }

    #[test]
    fn untyped_data_that_overflows_a_float_field_is_refused_not_stored_as_null() {
        let model = Schema::<Reading>::new("v1").build().unwrap();
        let err = model.encode(json!({"level": 1e39})).unwrap_err();
        let Error::Validation { errors, .. } = &err else {
            panic!("{err}")
        };
        assert_eq!(errors.0[0].path, "$.level", "{err}");
        assert!(errors.0[0].reason.contains("finite"), "{err}");
        assert!(model.encode(json!({"level": 1.5})).is_ok());
    }

    #[derive(Serialize, Deserialize, JsonSchema, PartialEq, Eq, PartialOrd, Ord)]
    #[serde(rename_all = "snake_case")]
    enum Level {
        /// Documented, so that schemars writes `oneOf` of consts.
        Low,
        High,
    }

    #[derive(Serialize, Deserialize, JsonSchema)]
    struct Shapes {
        plain: String,
        maybe: Option<String>,
        owner: Option<Owner>,
        any: Value,
        tags: Vec<String>,
        scores: Option<Vec<i64>>,
        levels: std::collections::BTreeSet<Level>,
        maybe_levels: Option<Vec<Level>>,
        holes: Vec<Option<String>>,
        times: Option<Vec<Timestamp>>,
        owners: Vec<Owner>,
        nested: Vec<Vec<String>>,
        pairs: Vec<(String, i64)>,
        either: Either,
    }

    #[derive(Serialize, Deserialize, JsonSchema)]
    #[serde(untagged)]
    enum Either {
        One(String),
        Many(Vec<String>),
    }

    #[test]
    fn shapes_come_from_the_json_schema() {
        let fields = [
            ("plain", FieldShape::Scalar, false),
            ("maybe", FieldShape::Scalar, false),
            ("owner", FieldShape::Scalar, false),
            ("any", FieldShape::Scalar, false),
            ("tags", FieldShape::Array, false),
            ("scores", FieldShape::Array, false),
            ("levels", FieldShape::Array, false),
            ("maybe_levels", FieldShape::Array, false),
            ("holes", FieldShape::Array, false),
            ("times", FieldShape::Array, true),
            ("owners", FieldShape::NestedArray, false),
            ("nested", FieldShape::NestedArray, false),
            ("pairs", FieldShape::NestedArray, false),
            ("either", FieldShape::Scalar, false),
        ];
        let schema = fields
            .iter()
            .fold(Schema::<Shapes>::new("v1"), |s, (path, _, _)| {
                s.index(*path)
            });
        let model = schema.build().unwrap();
        let found: Vec<(&str, FieldShape, bool)> = model
            .indexed_fields()
            .iter()
            .map(|f| (f.path(), f.shape(), f.is_timestamp()))
            .collect();
        assert_eq!(found, fields, "{:#}", model.json_schema());
        let times = &model.indexed_fields()[9];
        assert_eq!(
            times.value_in(&json!({"times": ["2026-01-01T01:00:00+01:00", "later"]})),
            json!(["2026-01-01T00:00:00.000000Z", "later"]),
            "an array of times is indexed in canonical form, element by element"
        );
    }

    #[test]
    fn names_are_kebab_case_of_the_type() {
        assert_eq!(
            Schema::<BlogPost>::new("v1").build().unwrap().name(),
            "blog-post"
        );
        let named = Schema::<BlogPost>::new("v1").name("post").build().unwrap();
        assert_eq!(named.name(), "post");
    }

    #[test]
    fn indexed_fields_must_exist_nested_ones_too() {
        assert!(
            Schema::<BlogPost>::new("v1")
                .index("title")
                .index("owner.team")
                .build()
                .is_ok()
        );
        for bad in ["nope", "owner.nope", "owner..team", "title"] {
            let schema = Schema::<BlogPost>::new("v1").index("title");
            let schema = if bad == "title" {
                schema.index("title")
            } else {
                schema.index(bad)
            };
            let err = schema.build().unwrap_err();
            assert!(matches!(err, Error::InvalidSchema { .. }), "{bad}: {err}");
        }
    }

    #[test]
    fn encode_validates_fills_defaults_and_refuses_unknown_fields() {
        let model = Schema::<BlogPost>::new("v1")
            .index("owner.team")
            .build()
            .unwrap();
        let encoded = model
            .encode(json!({"title": "t", "owner": {"team": "a"}}))
            .unwrap();
        assert_eq!(
            std::str::from_utf8(&encoded.bytes).unwrap(),
            r#"{"owner":{"team":"a"},"tags":[],"title":"t"}"#
        );
        assert_eq!(encoded.indexed["owner.team"], json!("a"));

        let err = model.encode(json!({"title": 3})).unwrap_err();
        let Error::Validation { errors, .. } = err else {
            panic!()
        };
        assert_eq!(errors.0[0].path, "$.title");

        let err = model.encode(json!({"tags": []})).unwrap_err();
        let Error::Validation { errors, .. } = err else {
            panic!()
        };
        assert_eq!(errors.0[0].path, "$");
        assert!(errors.0[0].reason.contains("title"), "{errors}");

        let err = model
            .encode(json!({"title": "t", "bogus": 1, "owner": {"team": "a", "x": 2}}))
            .unwrap_err();
        let Error::Validation { errors, .. } = err else {
            panic!()
        };
        let paths: Vec<_> = errors.0.iter().map(|e| e.path.as_str()).collect();
        assert_eq!(paths, ["$.bogus", "$.owner.x"]);

        let err = model
            .encode(json!({"title": 3, "tags": [1, "x", 2], "owner": {"team": false}}))
            .unwrap_err();
        let Error::Validation { errors, .. } = err else {
            panic!()
        };
        let mut paths: Vec<_> = errors.0.iter().map(|e| e.path.as_str()).collect();
        paths.sort_unstable();
        assert_eq!(
            paths,
            ["$.owner.team", "$.tags[0]", "$.tags[2]", "$.title"],
            "every failing path at once: {errors}"
        );

        let lenient = Schema::<BlogPost>::new("v1")
            .allow_unknown_fields()
            .build()
            .unwrap();
        assert!(lenient.encode(json!({"title": "t", "bogus": 1})).is_ok());
    }
}
