//! The errors of the core: one enum, each variant carrying the ids involved, so that callers
//! can act on them, and each of a stable kind, its [`ErrorCode`] (which the HTTP layer maps to
//! a status in one table).

use std::fmt;
use std::sync::Arc;

use crate::id::{ResourceId, RevisionId};
use crate::time::Timestamp;

mod code;

pub use code::ErrorCode;

/// A result with the core's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything that can go wrong in the core, a store or a resource manager.
///
/// Each variant says what to do; match on the ones a caller can act on (the enum is
/// `non_exhaustive`, so keep a catch-all arm), or on its [`code`](Error::code), the stable
/// kind of error that an exhaustive match can cover:
///
/// ```
/// # use std::sync::Arc;
/// # use specstar_core::{ModelDescriptor, ResourceManager, Schema, Store};
/// # #[derive(Clone, Debug, serde::Serialize, serde::Deserialize, schemars::JsonSchema)]
/// # struct Issue { title: String }
/// # tokio::runtime::Runtime::new().unwrap().block_on(async {
/// # let store: Arc<dyn Store> = Arc::new(specstar_memory::MemoryStore::new());
/// # let model = Arc::new(Schema::<Issue>::new("v1").build()?);
/// # store.register_model(&ModelDescriptor::from(&*model)).await?;
/// # let mgr = ResourceManager::<Issue>::new(model, store)?;
/// use specstar_core::Error;
///
/// let info = mgr.create(Issue { title: "a".into() }).await?;
/// mgr.delete(&info.resource_id).await?;
/// let mut outcomes = Vec::new();
/// for id in [info.resource_id.as_str(), "issue:never-made", "not an id", "team:x"] {
///     outcomes.push(match mgr.get(id).await {
///         Ok(_) => "live",
///         Err(Error::Deleted { .. }) => "deleted: restore it, or read a revision by id",
///         Err(Error::ResourceNotFound { .. }) => "no such issue",
///         Err(Error::MalformedId { .. }) => "not an id",
///         Err(Error::ForeignModel { .. }) => "an id of another model",
///         Err(other) => return Err(other), // store failures and the rest: pass them on
///     });
/// }
/// assert_eq!(outcomes, [
///     "deleted: restore it, or read a revision by id",
///     "no such issue",
///     "not an id",
///     "an id of another model",
/// ]);
/// # Ok::<(), specstar_core::Error>(())
/// # }).unwrap();
/// ```
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The text is not an id of the expected form.
    #[error("malformed id {id:?}: {reason}")]
    MalformedId {
        /// The text given as an id.
        id: String,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// A well-formed id of another model than the one asked.
    #[error("id {id:?} belongs to model {found:?}, not to model {expected:?}")]
    ForeignModel {
        /// The id given.
        id: String,
        /// The model it was given to.
        expected: String,
        /// The model its prefix names.
        found: String,
    },
    /// A well-formed revision id of another resource than the one asked.
    #[error("revision {revision_id:?} is not a revision of resource {resource_id}")]
    ForeignRevision {
        /// The revision id given.
        revision_id: String,
        /// The resource it was given for.
        resource_id: ResourceId,
    },
    /// No resource has this id (never created, or permanently deleted).
    #[error("resource {resource_id} not found")]
    ResourceNotFound {
        /// The id asked for.
        resource_id: ResourceId,
    },
    /// The resource exists but has no such revision.
    #[error("revision {revision_id} not found")]
    RevisionNotFound {
        /// The revision asked for.
        revision_id: RevisionId,
    },
    /// The revision's data was dropped by retention (its revision info stays, so the history
    /// is whole and verifiable): it can be neither read nor reverted to.
    #[error("revision {revision_id} was pruned: its data is gone, its revision info stays")]
    RevisionPruned {
        /// The revision asked for.
        revision_id: RevisionId,
    },
    /// An as-of read at a time before the resource's first revision: it exists now, but did
    /// not yet at that time.
    #[error("resource {resource_id} did not exist yet at {time}; it was created at {created_time}")]
    NotYetCreated {
        /// The resource read.
        resource_id: ResourceId,
        /// The time asked for.
        time: Timestamp,
        /// When its first revision was created.
        created_time: Timestamp,
    },
    /// The resource is soft-deleted: restore it first, or read one of its revisions by id.
    #[error("resource {resource_id} is deleted; restore it, or read a revision by its id")]
    Deleted {
        /// The deleted resource.
        resource_id: ResourceId,
    },
    /// A create with an id that is already taken (deleted resources keep their id).
    #[error("resource {resource_id} already exists")]
    AlreadyExists {
        /// The id asked for.
        resource_id: ResourceId,
        /// The existing resource's current revision.
        current_revision_id: RevisionId,
    },
    /// The resource's current revision is not the one the write expected: nothing was written.
    #[error("expected current revision {expected} but found {actual}; nothing was written")]
    Conflict {
        /// The revision the caller expected to be current.
        expected: RevisionId,
        /// The revision that is current.
        actual: RevisionId,
    },
    /// The data does not fit the model.
    #[error("data does not fit model {model:?}: {errors}")]
    Validation {
        /// The model the data was given to.
        model: String,
        /// What does not fit, field by field.
        errors: FieldErrors,
    },
    /// A patch could not be applied to the current data (a failed `test`, a missing path…).
    #[error("patch cannot be applied to {resource_id}: {reason}")]
    Patch {
        /// The patched resource.
        resource_id: ResourceId,
        /// Why the patch failed.
        reason: String,
    },
    /// No model of this name (or type) is registered: register it first, e.g.
    /// `spec.add_model(Schema::<Issue>::new("v1"))`.
    #[error(
        "no model {model:?} is registered; register it first: \
         spec.add_model(Schema::<{}>::new(\"v1\"))",
        type_hint(model)
    )]
    UnknownModel {
        /// The name or type asked for.
        model: String,
    },
    /// A model of this name, or this Rust type, is registered already.
    #[error("{}", duplicate(model, registered_as.as_deref()))]
    DuplicateModel {
        /// The name of the model being registered.
        model: String,
        /// When its Rust type is what is taken: the name that type is registered under.
        registered_as: Option<String>,
    },
    /// A schema declares something the model cannot have.
    #[error("schema of model {model:?} is invalid: {reason}")]
    InvalidSchema {
        /// The model being registered.
        model: String,
        /// What is wrong, naming the field or option.
        reason: String,
    },
    /// A query names a data field that is not indexed: only indexed fields can be searched or
    /// sorted on. Declare it with `Schema::index`, or search on another field.
    #[error(
        "field {field:?} of model {model:?} is not indexed, so it cannot be searched or sorted \
         on; indexed fields: {}",
        list(indexed)
    )]
    UnindexedField {
        /// The model searched.
        model: String,
        /// The field the query names.
        field: String,
        /// The model's indexed fields.
        indexed: Vec<String>,
    },
    /// A query that cannot be run: a value that does not fit its operator or field.
    #[error("invalid query: {reason}")]
    InvalidQuery {
        /// What is wrong, naming the field and operator.
        reason: String,
    },
    /// A stored revision's data does not fit the model as it is declared now: the model changed
    /// since the revision was written. Reading it into the type, reverting to it and restoring
    /// it are refused (nothing is written) until a migration brings it to the current schema
    /// version; its JSON stays readable through the untyped manager.
    #[error(
        "stored data of revision {revision_id} (schema version {stored_schema_version:?}) does \
         not fit the current model {model:?} (schema version {current_schema_version:?}): \
         {errors}; the model changed since it was written, so the schema version needs a \
         migration"
    )]
    DoesNotFitModel {
        /// The model read or written.
        model: String,
        /// The stored revision, naming its resource.
        revision_id: RevisionId,
        /// The schema version the revision was written with.
        stored_schema_version: Arc<str>,
        /// The model's schema version now.
        current_schema_version: Arc<str>,
        /// What does not fit, field by field.
        errors: FieldErrors,
    },
    /// A stored revision's schema version has no chain of migration steps to the current one,
    /// so it cannot be migrated: declare a step from its version
    /// (`Schema::migrate_from`, `Schema::migrate_json`).
    #[error(
        "revision {revision_id} of model {model:?} is of schema version \
         {stored_schema_version:?}, and no migration step leads from it to the current version \
         {current_schema_version:?}: declare one (Schema::migrate_from or migrate_json)"
    )]
    NoMigrationPath {
        /// The model.
        model: String,
        /// The revision.
        revision_id: RevisionId,
        /// Its schema version.
        stored_schema_version: Arc<str>,
        /// The model's schema version now.
        current_schema_version: Arc<str>,
    },
    /// A migration step failed on a stored revision's data: nothing was written.
    #[error(
        "the migration step of model {model:?} from {from:?} to {to:?} failed on revision \
         {revision_id}: {reason}"
    )]
    MigrationFailed {
        /// The model.
        model: String,
        /// The revision whose data the step was given.
        revision_id: RevisionId,
        /// The step's version of origin.
        from: Arc<str>,
        /// The step's target version.
        to: Arc<str>,
        /// What the step said.
        reason: String,
    },
    /// A before-write hook refused the write: nothing was written.
    #[error("the write to {resource_id} was refused: {message}")]
    Refused {
        /// The resource written.
        resource_id: ResourceId,
        /// The HTTP status to answer (400–499).
        status: u16,
        /// The hook's code.
        code: &'static str,
        /// The hook's message.
        message: String,
    },
    /// Stored data could not be decoded: the store holds something this version cannot read.
    #[error("stored data of {what} cannot be decoded: {reason}")]
    Corrupt {
        /// The record that failed.
        what: String,
        /// The decoder's message.
        reason: String,
    },
    /// The store failed (I/O, database, a closed connection…).
    #[error("store error: {0}")]
    Store(#[source] Box<dyn std::error::Error + Send + Sync>),
}

impl Error {
    /// Wraps a store's own error.
    pub fn store(error: impl Into<Box<dyn std::error::Error + Send + Sync>>) -> Self {
        Self::Store(error.into())
    }

    /// The kind of this error, as a stable code: what programs match on when they do not need
    /// the ids a variant carries (the HTTP layer answers each code with its own status).
    pub fn code(&self) -> ErrorCode {
        match self {
            Self::MalformedId { .. } => ErrorCode::MalformedId,
            Self::ForeignModel { .. } => ErrorCode::ForeignModel,
            Self::ForeignRevision { .. } => ErrorCode::ForeignRevision,
            Self::ResourceNotFound { .. } => ErrorCode::ResourceNotFound,
            Self::RevisionNotFound { .. } => ErrorCode::RevisionNotFound,
            Self::RevisionPruned { .. } => ErrorCode::RevisionPruned,
            Self::Deleted { .. } => ErrorCode::ResourceDeleted,
            Self::NotYetCreated { .. } => ErrorCode::NotYetCreated,
            Self::AlreadyExists { .. } => ErrorCode::AlreadyExists,
            Self::Conflict { .. } => ErrorCode::PreconditionFailed,
            Self::Validation { .. } => ErrorCode::ValidationFailed,
            Self::Patch { .. } => ErrorCode::PatchFailed,
            Self::UnknownModel { .. } => ErrorCode::UnknownModel,
            Self::DuplicateModel { .. } | Self::InvalidSchema { .. } => ErrorCode::InternalError,
            Self::UnindexedField { .. } => ErrorCode::UnindexedField,
            Self::InvalidQuery { .. } => ErrorCode::InvalidQuery,
            Self::DoesNotFitModel { .. } => ErrorCode::RevisionDoesNotFitModel,
            Self::NoMigrationPath { .. } => ErrorCode::NoMigrationPath,
            Self::MigrationFailed { .. } => ErrorCode::MigrationFailed,
            Self::Refused { .. } => ErrorCode::WriteRefused,
            Self::Corrupt { .. } => ErrorCode::CorruptData,
            Self::Store(_) => ErrorCode::StoreError,
        }
    }
}

/// The type to name in an unknown model's hint: the last segment of a Rust type path
/// (`quickstart::Issue` → `Issue`), `T` for a model name.
fn type_hint(model: &str) -> &str {
    let path = model.rsplit(' ').next().unwrap_or(model);
    let path = path.split('<').next().unwrap_or(path);
    match path.rsplit_once("::") {
        Some((_, name)) if !name.is_empty() => name,
        _ => "T",
    }
}

/// The message of a model registered twice, by name or by Rust type.
fn duplicate(model: &str, registered_as: Option<&str>) -> String {
    match registered_as {
        Some(existing) => format!(
            "cannot register model {model:?}: its Rust type is registered already, as model \
             {existing:?}; a type is one model, so register it once (declare another type for \
             a second model)"
        ),
        None => format!(
            "model {model:?} is registered already; register each model once, or give this \
             one another name with Schema::name"
        ),
    }
}

fn list(fields: &[String]) -> String {
    if fields.is_empty() {
        return "none".into();
    }
    fields
        .iter()
        .map(|f| format!("{f:?}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// One reason data does not fit its model, at a JSON path (`$.severity`, `$.tags[2]`).
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct FieldError {
    /// Where in the data: a JSON path starting at `$`.
    pub path: String,
    /// What is wrong there.
    pub reason: String,
}

/// The field errors of one validation, at least one.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(transparent)]
pub struct FieldErrors(pub Vec<FieldError>);

impl fmt::Display for FieldErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, e) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str("; ")?;
            }
            write!(f, "at {}: {}", e.path, e.reason)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::*;

    /// One error of each variant, with the code it must have.
    fn one_of_each() -> Vec<(Error, ErrorCode)> {
        let rid = ResourceId::with_key("issue", "a").unwrap();
        let errors = || {
            FieldErrors(vec![FieldError {
                path: "$.title".into(),
                reason: "missing".into(),
            }])
        };
        let text = |s: &str| s.to_owned();
        vec![
            (
                Error::MalformedId {
                    id: text("x"),
                    reason: "no colon",
                },
                ErrorCode::MalformedId,
            ),
            (
                Error::ForeignModel {
                    id: text("team:x"),
                    expected: text("issue"),
                    found: text("team"),
                },
                ErrorCode::ForeignModel,
            ),
            (
                Error::ForeignRevision {
                    revision_id: text("issue:b:1"),
                    resource_id: rid.clone(),
                },
                ErrorCode::ForeignRevision,
            ),
            (
                Error::ResourceNotFound {
                    resource_id: rid.clone(),
                },
                ErrorCode::ResourceNotFound,
            ),
            (
                Error::RevisionNotFound {
                    revision_id: rid.revision(9),
                },
                ErrorCode::RevisionNotFound,
            ),
            (
                Error::Deleted {
                    resource_id: rid.clone(),
                },
                ErrorCode::ResourceDeleted,
            ),
            (
                Error::NotYetCreated {
                    resource_id: rid.clone(),
                    time: Timestamp::from_micros(1).expect("time"),
                    created_time: Timestamp::from_micros(2).expect("time"),
                },
                ErrorCode::NotYetCreated,
            ),
            (
                Error::AlreadyExists {
                    resource_id: rid.clone(),
                    current_revision_id: rid.revision(1),
                },
                ErrorCode::AlreadyExists,
            ),
            (
                Error::Conflict {
                    expected: rid.revision(1),
                    actual: rid.revision(2),
                },
                ErrorCode::PreconditionFailed,
            ),
            (
                Error::Validation {
                    model: text("issue"),
                    errors: errors(),
                },
                ErrorCode::ValidationFailed,
            ),
            (
                Error::Patch {
                    resource_id: rid.clone(),
                    reason: text("test failed"),
                },
                ErrorCode::PatchFailed,
            ),
            (
                Error::UnknownModel {
                    model: text("team"),
                },
                ErrorCode::UnknownModel,
            ),
            (
                Error::DuplicateModel {
                    model: text("issue"),
                    registered_as: None,
                },
                ErrorCode::InternalError,
            ),
            (
                Error::InvalidSchema {
                    model: text("issue"),
                    reason: text("two indexes"),
                },
                ErrorCode::InternalError,
            ),
            (
                Error::UnindexedField {
                    model: text("issue"),
                    field: text("body"),
                    indexed: vec![],
                },
                ErrorCode::UnindexedField,
            ),
            (
                Error::InvalidQuery {
                    reason: text("limit 0"),
                },
                ErrorCode::InvalidQuery,
            ),
            (
                Error::DoesNotFitModel {
                    model: text("issue"),
                    revision_id: rid.revision(1),
                    stored_schema_version: "v1".into(),
                    current_schema_version: "v2".into(),
                    errors: errors(),
                },
                ErrorCode::RevisionDoesNotFitModel,
            ),
            (
                Error::NoMigrationPath {
                    model: text("issue"),
                    revision_id: rid.revision(1),
                    stored_schema_version: "v0".into(),
                    current_schema_version: "v2".into(),
                },
                ErrorCode::NoMigrationPath,
            ),
            (
                Error::MigrationFailed {
                    model: text("issue"),
                    revision_id: rid.revision(1),
                    from: "v1".into(),
                    to: "v2".into(),
                    reason: text("no title"),
                },
                ErrorCode::MigrationFailed,
            ),
            (
                Error::RevisionPruned {
                    revision_id: rid.revision(1),
                },
                ErrorCode::RevisionPruned,
            ),
            (
                Error::Refused {
                    resource_id: rid.clone(),
                    status: 409,
                    code: "title_taken",
                    message: text("no"),
                },
                ErrorCode::WriteRefused,
            ),
            (
                Error::Corrupt {
                    what: text("issue:a:1"),
                    reason: text("eof"),
                },
                ErrorCode::CorruptData,
            ),
            (Error::store("disk on fire"), ErrorCode::StoreError),
        ]
    }

    #[test]
    fn each_variant_has_its_code() {
        for (error, code) in one_of_each() {
            assert_eq!(error.code(), code, "{error}");
        }
    }

    #[test]
    fn every_code_is_the_code_of_some_error() {
        let given: HashSet<_> = one_of_each().iter().map(|(e, _)| e.code()).collect();
        let all: HashSet<_> = ErrorCode::ALL.into_iter().collect();
        assert_eq!(given, all);
    }
}
