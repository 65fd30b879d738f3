//! The planner: the semantics of every write, decided once for all stores.
//!
//! A store calls [`plan`] inside its atomic section with the head it just read; the plan says
//! whether to append (and exactly what) or to leave the resource unchanged, or which error to
//! return. Stores only carry plans out.

use bytes::Bytes;

use crate::error::{Error, Result};
use crate::meta::ResourceMeta;
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
    let resource_id = &request.resource_id;
    let Some(head) = head else {
        return match &request.change {
            Change::Create(data) => Ok(Plan::Append(Appended {
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
            })),
            _ => Err(Error::ResourceNotFound {
                resource_id: resource_id.clone(),
            }),
        };
    };
    let meta = &head.meta;
    if matches!(request.change, Change::Create(_)) {
        return Err(Error::AlreadyExists {
            resource_id: resource_id.clone(),
            current_revision_id: meta.current_revision_id.clone(),
        });
    }
    let deleted = || Error::Deleted {
        resource_id: resource_id.clone(),
    };
    match &request.change {
        Change::Put { .. } | Change::Delete if meta.is_deleted => return Err(deleted()),
        _ => {}
    }
    let current = meta.current_revision_id.number();
    if let Some(expected) = request.expected
        && expected != current
    {
        return Err(Error::Conflict {
            expected: resource_id.revision(expected),
            actual: meta.current_revision_id.clone(),
        });
    }
    let (data_hash, bytes, action, is_deleted, schema_version, indexed) = match &request.change {
        Change::Create(_) => unreachable!("handled above"),
        Change::Put { data, action } => {
            if data.hash == head.data_hash {
                return Ok(Plan::Unchanged);
            }
            let bytes = PlannedData::New(data.bytes.clone());
            let version = request.schema_version.clone();
            (
                data.hash,
                bytes,
                *action,
                false,
                version,
                data.indexed.clone(),
            )
        }
        Change::Delete => (
            head.data_hash,
            PlannedData::CopyOfCurrent,
            Action::Delete,
            true,
            meta.schema_version.clone(),
            meta.indexed_data.clone(),
        ),
        Change::Restore => {
            if !meta.is_deleted {
                return Ok(Plan::Unchanged);
            }
            (
                head.data_hash,
                PlannedData::CopyOfCurrent,
                Action::Restore,
                false,
                meta.schema_version.clone(),
                meta.indexed_data.clone(),
            )
        }
    };
    let number = meta.total_revision_count + 1;
    let mut info = new_info(
        request,
        number,
        Some(meta.current_revision_id.clone()),
        data_hash,
        action,
        is_deleted,
    );
    info.schema_version = schema_version.clone();
    Ok(Plan::Append(Appended {
        data: bytes,
        meta: ResourceMeta {
            current_revision_id: info.revision_id.clone(),
            total_revision_count: number,
            schema_version,
            updated_time: request.time,
            updated_by: request.user.clone(),
            is_deleted,
            indexed_data: indexed,
            ..meta.clone()
        },
        info,
    }))
}

fn new_info(
    request: &WriteRequest,
    number: u64,
    parent: Option<crate::id::RevisionId>,
    data_hash: crate::hash::DataHash,
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
