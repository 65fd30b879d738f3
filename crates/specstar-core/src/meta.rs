//! Resource meta: the head of a resource, what is true of it now.

use std::sync::Arc;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::id::{ResourceId, RevisionId};
use crate::time::Timestamp;

/// The values of a model's indexed fields, by field path, taken from the current data.
pub type IndexedValues = Map<String, Value>;

/// The head of one resource: its current revision and who touched it when.
///
/// It moves with every write in the same atomic step that appends the revision.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct ResourceMeta {
    /// The resource.
    pub resource_id: ResourceId,
    /// Its newest revision (a tombstone while deleted).
    pub current_revision_id: RevisionId,
    /// How many revisions it has; revision numbers run 1 to this.
    pub total_revision_count: u64,
    /// The schema version of the current revision's data.
    pub schema_version: Arc<str>,
    /// When revision 1 was written.
    pub created_time: Timestamp,
    /// Who wrote revision 1.
    pub created_by: Arc<str>,
    /// When the newest revision was written.
    pub updated_time: Timestamp,
    /// Who wrote the newest revision.
    pub updated_by: Arc<str>,
    /// Whether the resource is soft-deleted.
    pub is_deleted: bool,
    /// The values of the model's indexed fields in the current data.
    pub indexed_data: IndexedValues,
}
