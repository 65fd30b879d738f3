//! The stable name of each kind of [`Error`](super::Error): what a program reads to decide what
//! to do, where the message is for humans.
//!
//! Every error has exactly one code, given by [`Error::code`](super::Error::code) in one
//! exhaustive match, so that a new error variant cannot exist without one. The enum is
//! deliberately exhaustive too: a layer that answers errors (the HTTP API gives each code a
//! status) matches on it without a catch-all arm, so that a new code is a compile error there
//! rather than a silent default. The strings are wire names (a problem's `code` over HTTP):
//! once published they are kept.

use std::fmt;

/// The kind of an [`Error`](super::Error), as a stable, machine-readable name.
///
/// ```
/// use specstar_core::{Error, ErrorCode, ResourceId};
///
/// let id = ResourceId::with_key("issue", "a")?;
/// let error = Error::ResourceNotFound { resource_id: id };
/// assert_eq!(error.code(), ErrorCode::ResourceNotFound);
/// assert_eq!(error.code().as_str(), "resource_not_found");
/// # Ok::<(), specstar_core::Error>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ErrorCode {
    /// `malformed_id`: a text given as a resource or revision id is not of the id's form.
    MalformedId,
    /// `foreign_model`: a well-formed id of another model than the one asked.
    ForeignModel,
    /// `foreign_revision`: a well-formed revision id of another resource than the one asked.
    ForeignRevision,
    /// `resource_not_found`: no resource has the id (never created, or permanently deleted).
    ResourceNotFound,
    /// `revision_not_found`: the resource exists but has no revision of that number.
    RevisionNotFound,
    /// `unknown_model`: no model of the name asked is registered.
    UnknownModel,
    /// `resource_deleted`: the resource is soft-deleted; restore it, or read a revision by id.
    ResourceDeleted,
    /// `revision_pruned`: the revision's data was dropped by retention; its info stays.
    RevisionPruned,
    /// `not_yet_created`: an as-of read at a time before the resource's first revision.
    NotYetCreated,
    /// `already_exists`: a create with an id that is taken (deleted resources keep theirs).
    AlreadyExists,
    /// `precondition_failed`: the write expected another current revision; nothing was written.
    PreconditionFailed,
    /// `validation_failed`: the data does not fit the model; the error lists every field.
    ValidationFailed,
    /// `revision_does_not_fit_model`: a stored revision's data does not fit the model as
    /// declared now (it changed since), so it cannot be read into the type, reverted to or
    /// restored until a migration.
    RevisionDoesNotFitModel,
    /// `no_migration_path`: a stored revision's schema version has no chain of migration steps
    /// to the current one, so it cannot be migrated.
    NoMigrationPath,
    /// `migration_failed`: a migration step failed on a stored revision's data.
    MigrationFailed,
    /// `write_refused`: a before-write hook refused the write (over HTTP the hook's own
    /// status and code answer it).
    WriteRefused,
    /// `patch_failed`: a patch cannot be applied to the current data (a failed `test`
    /// operation, a missing path…).
    PatchFailed,
    /// `unindexed_field`: a query searches or sorts on a data field that is not indexed.
    UnindexedField,
    /// `invalid_query`: a query that cannot be run (a value that does not fit its operator or
    /// field, a query over the limits…).
    InvalidQuery,
    /// `corrupt_data`: stored data cannot be decoded; the store holds something this version
    /// cannot read. The server's failure, not the caller's.
    CorruptData,
    /// `store_error`: the store failed (I/O, database, a closed connection…). The server's
    /// failure, not the caller's; retrying may help.
    StoreError,
    /// `internal_error`: a failure of the program itself, which no request can mend: a model
    /// registered twice, or a schema it cannot have.
    InternalError,
}

impl ErrorCode {
    /// Every code, in declaration order: for tables and tests that must cover them all.
    pub const ALL: [Self; 22] = [
        Self::MalformedId,
        Self::ForeignModel,
        Self::ForeignRevision,
        Self::ResourceNotFound,
        Self::RevisionNotFound,
        Self::UnknownModel,
        Self::ResourceDeleted,
        Self::RevisionPruned,
        Self::NotYetCreated,
        Self::AlreadyExists,
        Self::PreconditionFailed,
        Self::ValidationFailed,
        Self::RevisionDoesNotFitModel,
        Self::NoMigrationPath,
        Self::MigrationFailed,
        Self::WriteRefused,
        Self::PatchFailed,
        Self::UnindexedField,
        Self::InvalidQuery,
        Self::CorruptData,
        Self::StoreError,
        Self::InternalError,
    ];

    /// The code's wire name (`resource_not_found`, …), stable across versions.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::MalformedId => "malformed_id",
            Self::ForeignModel => "foreign_model",
            Self::ForeignRevision => "foreign_revision",
            Self::ResourceNotFound => "resource_not_found",
            Self::RevisionNotFound => "revision_not_found",
            Self::UnknownModel => "unknown_model",
            Self::ResourceDeleted => "resource_deleted",
            Self::RevisionPruned => "revision_pruned",
            Self::NotYetCreated => "not_yet_created",
            Self::AlreadyExists => "already_exists",
            Self::PreconditionFailed => "precondition_failed",
            Self::ValidationFailed => "validation_failed",
            Self::RevisionDoesNotFitModel => "revision_does_not_fit_model",
            Self::NoMigrationPath => "no_migration_path",
            Self::MigrationFailed => "migration_failed",
            Self::WriteRefused => "write_refused",
            Self::PatchFailed => "patch_failed",
            Self::UnindexedField => "unindexed_field",
            Self::InvalidQuery => "invalid_query",
            Self::CorruptData => "corrupt_data",
            Self::StoreError => "store_error",
            Self::InternalError => "internal_error",
        }
    }
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::*;

    #[test]
    fn every_code_is_listed_once_with_a_name_of_its_own() {
        let codes: HashSet<_> = ErrorCode::ALL.into_iter().collect();
        assert_eq!(codes.len(), ErrorCode::ALL.len(), "a code is listed twice");
        let names: HashSet<_> = ErrorCode::ALL.iter().map(|c| c.as_str()).collect();
        assert_eq!(
            names.len(),
            ErrorCode::ALL.len(),
            "two codes share a wire name"
        );
    }

    #[test]
    fn names_are_snake_case_and_displayed_as_they_are() {
        for code in ErrorCode::ALL {
            let name = code.as_str();
            assert!(
                !name.is_empty() && name.bytes().all(|b| b.is_ascii_lowercase() || b == b'_'),
                "{name:?}"
            );
            assert_eq!(code.to_string(), name);
        }
    }
}
