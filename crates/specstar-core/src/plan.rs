//! The planner: the semantics of every write, decided once for all stores.
//!
//! A store calls [`plan`] inside its atomic section with the head it just read; the plan says
//! whether to append (and exactly what) or to leave the resource unchanged, or which error to
//! return. Stores only carry plans out.

use std::sync::Arc;

use bytes::Bytes;

use crate::error::{Error, Result};
use crate::hash::DataHash;
use crate::meta::{IndexedValues, ResourceMeta};
use crate::revision::{Action, RevisionInfo};
use crate::store::{Change, Head, WriteRequest};

/// What a store must do for a write.
#[derive(Clone, Debug)]
#[allow(
    clippy::large_enum_variant,
    reason = "a plan lives for one write and is moved once; boxing would add an allocation per write"
)]
pub enum Plan {
    /// Nothing: the data is already current, or a live resource was restored. The store
    /// answers with the current revision.
    Unchanged,
    /// Append this revision and move the head.
    Append(Appended),
}

/// A revision to append and the head that goes with it.
#[derive(Clone, Debug)]
pub struct Appended {
    /// The new revision's info; its `sequence` is 0 until the store assigns it.
    pub info: RevisionInfo,
    /// Its data.
    pub data: PlannedData,
    /// The head after the append.
    pub meta: ResourceMeta,
}

/// Where an appended revision's data comes from.
#[derive(Clone, Debug)]
pub enum PlannedData {
    /// New bytes.
    New(Bytes),
    /// The current revision's bytes (a tombstone or a restore): the store copies them.
    CopyOfCurrent,
}

/// Decides what `request` does to a resource whose head is `head` (`None`: it does not exist).
///
/// # Errors
/// [`Error::AlreadyExists`], [`Error::ResourceNotFound`], [`Error::Deleted`] and
/// [`Error::Conflict`], as the contract says.
pub fn plan(head: Option<&Head>, request: &WriteRequest) -> Result<Plan> {
    let Some(head) = head else {
        return plan_first(request);
    };
    check_preconditions(&head.meta, request)?;
    Ok(match next_revision(head, request) {
        Some(next) => Plan::Append(append(head, request, next)),
        None => Plan::Unchanged,
    })
}

/// A write to a resource that does not exist: a create appends revision 1, anything else is
/// refused as not found.
fn plan_first(request: &WriteRequest) -> Result<Plan> {
    let resource_id = &request.resource_id;
    let Change::Create(data) = &request.change else {
        return Err(Error::ResourceNotFound {
            resource_id: resource_id.clone(),
        });
    };
    Ok(Plan::Append(Appended {
        info: new_info(request, 1, None, data.hash, Action::Create, false),
        data: PlannedData::New(data.bytes.clone()),
        meta: ResourceMeta {
            resource_id: resource_id.clone(),
            current_revision_id: resource_id.revision(1),
            total_revision_count: 1,
            schema_version: request.schema_version.clone(),
            created_time: request.time,
            created_by: request.user.clone(),
            updated_time: request.time,
            updated_by: request.user.clone(),
            is_deleted: false,
            indexed_data: data.indexed.clone(),
        },
    }))
}

/// Refuses a write to an existing resource that cannot be made: a create of a taken id, an
/// update or a delete of a deleted resource, and any write expecting another current revision.
fn check_preconditions(meta: &ResourceMeta, request: &WriteRequest) -> Result<()> {
    let resource_id = &request.resource_id;
    match &request.change {
        Change::Create(_) => {
            return Err(Error::AlreadyExists {
                resource_id: resource_id.clone(),
                current_revision_id: meta.current_revision_id.clone(),
            });
        }
        Change::Put { .. } | Change::Delete if meta.is_deleted => {
            return Err(Error::Deleted {
                resource_id: resource_id.clone(),
            });
        }
        _ => {}
    }
    match request.expected {
        Some(expected) if expected != meta.current_revision_id.number() => Err(Error::Conflict {
            expected: resource_id.revision(expected),
            actual: meta.current_revision_id.clone(),
        }),
        _ => Ok(()),
    }
}

/// What the next revision of an existing resource holds.
struct Next {
    data_hash: DataHash,
    data: PlannedData,
    action: Action,
    is_deleted: bool,
    schema_version: Arc<str>,
    indexed: IndexedValues,
}

/// The revision a write appends to an existing resource, or `None` when it changes nothing
/// (the data is already current, or a live resource is restored).
fn next_revision(head: &Head, request: &WriteRequest) -> Option<Next> {
    let meta = &head.meta;
    // A tombstone and a restore carry the current data, schema version and indexed values.
    let copy = |action, is_deleted| Next {
        data_hash: head.data_hash,
        data: PlannedData::CopyOfCurrent,
        action,
        is_deleted,
        schema_version: meta.schema_version.clone(),
        indexed: meta.indexed_data.clone(),
    };
    match &request.change {
        // Refused by `check_preconditions`; nothing to append should it come this far.
        Change::Create(_) => None,
        Change::Put { data, .. } if data.hash == head.data_hash => None,
        Change::Put { data, action } => Some(Next {
            data_hash: data.hash,
            data: PlannedData::New(data.bytes.clone()),
            action: *action,
            is_deleted: false,
            schema_version: request.schema_version.clone(),
            indexed: data.indexed.clone(),
        }),
        Change::Delete => Some(copy(Action::Delete, true)),
        Change::Restore if !meta.is_deleted => None,
        Change::Restore => Some(copy(Action::Restore, false)),
    }
}

/// The revision `next` as appended after the current one, and the head that goes with it.
fn append(head: &Head, request: &WriteRequest, next: Next) -> Appended {
    let meta = &head.meta;
    let number = meta.total_revision_count + 1;
    let mut info = new_info(
        request,
        number,
        Some(meta.current_revision_id.clone()),
        next.data_hash,
        next.action,
        next.is_deleted,
    );
    info.schema_version = next.schema_version.clone();
    Appended {
        data: next.data,
        meta: ResourceMeta {
            current_revision_id: info.revision_id.clone(),
            total_revision_count: number,
            schema_version: next.schema_version,
            updated_time: request.time,
            updated_by: request.user.clone(),
            is_deleted: next.is_deleted,
            indexed_data: next.indexed,
            ..meta.clone()
        },
        info,
    }
}

fn new_info(
    request: &WriteRequest,
    number: u64,
    parent: Option<crate::id::RevisionId>,
    data_hash: DataHash,
    action: Action,
    deleted: bool,
) -> RevisionInfo {
    RevisionInfo {
        revision_id: request.resource_id.revision(number),
        resource_id: request.resource_id.clone(),
        parent_revision_id: parent,
        schema_version: request.schema_version.clone(),
        data_hash,
        action,
        deleted,
        created_time: request.time,
        created_by: request.user.clone(),
        sequence: 0,
    }
}
