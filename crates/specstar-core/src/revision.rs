//! Revisions: the immutable records every write appends, and what each one says about itself.

use std::fmt;
use std::sync::Arc;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::chain::ChainHash;
use crate::hash::DataHash;
use crate::id::{ResourceId, RevisionId};
use crate::time::Timestamp;

/// What a write did. Every revision records the action that appended it, so the history
/// tells the whole timeline: edits, deletes and restores alike.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    /// The first revision of a resource.
    Create,
    /// A full replacement of the data.
    Update,
    /// A JSON Patch or merge patch applied to the data.
    Patch,
    /// A soft delete: a tombstone revision carrying the last live data.
    Delete,
    /// A restore of a deleted resource: its last live data, live again.
    Restore,
    /// A copy of an older revision's data as the newest revision.
    Revert,
    /// A migration of the data to a newer schema version.
    Migrate,
    /// A revision loaded from an export.
    Import,
}

impl Action {
    /// The action's name as stored and sent: `create`, `update`, …
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Create => "create",
            Self::Update => "update",
            Self::Patch => "patch",
            Self::Delete => "delete",
            Self::Restore => "restore",
            Self::Revert => "revert",
            Self::Migrate => "migrate",
            Self::Import => "import",
        }
    }

    /// The action named `name`, as [`Action::as_str`] writes it.
    pub fn parse(name: &str) -> Option<Self> {
        Some(match name {
            "create" => Self::Create,
            "update" => Self::Update,
            "patch" => Self::Patch,
            "delete" => Self::Delete,
            "restore" => Self::Restore,
            "revert" => Self::Revert,
            "migrate" => Self::Migrate,
            "import" => Self::Import,
            _ => return None,
        })
    }
}

impl fmt::Display for Action {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What one revision says about itself. Revisions never change once written.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct RevisionInfo {
    /// `{resource_id}:{n}`.
    pub revision_id: RevisionId,
    /// The resource this revision belongs to.
    pub resource_id: ResourceId,
    /// The revision that was current when this one was written; `None` for revision 1.
    pub parent_revision_id: Option<RevisionId>,
    /// The schema version the data was written with.
    pub schema_version: Arc<str>,
    /// The hash of the data (see [`DataHash`]).
    pub data_hash: DataHash,
    /// What the write did.
    pub action: Action,
    /// Whether the resource was deleted by this revision (a tombstone).
    pub deleted: bool,
    /// When the revision was written.
    pub created_time: Timestamp,
    /// Who wrote it.
    pub created_by: Arc<str>,
    /// The store-wide sequence number: it only grows, so it orders every write of a store and
    /// is the cursor of a change feed.
    pub sequence: u64,
    /// The revision's link in its resource's tamper-evident chain: SHA-256 over the parent's
    /// chain hash, this info (all but the sequence) and the data bytes.
    pub chain_hash: ChainHash,
}

impl RevisionInfo {
    /// The revision number, 1 for the first.
    pub fn number(&self) -> u64 {
        self.revision_id.number()
    }

    /// The ETag of this revision: `"<revision_id>@<data_hash>"`, quotes included.
    pub fn etag(&self) -> String {
        format!("\"{}@{}\"", self.revision_id, self.data_hash)
    }
}
