//! The planner: the semantics of every write, decided once for all stores.
//!
//! A store calls [`plan`] inside its atomic section with the head it just read (and, for a write
//! that [copies the current data](needs_current_data), that data); the plan says whether to
//! append (and exactly what, its [chain hash](crate::chain) included) or to leave the resource
//! unchanged, or which error to return. Stores only carry plans out.

use std::sync::Arc;

use bytes::Bytes;

use crate::chain;
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
    /// The new revision's info, its chain hash linked; its `sequence` is 0 until the store
    /// assigns it.
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

/// Whether [`plan`] needs the current revision's data bytes for `request`: a delete or a
/// restore may append a copy of them, and the new revision's chain hash covers its data. A store
/// reads them with the head (in the same snapshot) when this says so, and passes them to
/// [`plan`]; for any other write it passes `None`.
pub fn needs_current_data(request: &WriteRequest) -> bool {
    matches!(request.change, Change::Delete | Change::Restore)
}

/// Decides what `request` does to a resource whose head is `head` (`None`: it does not exist);
/// `current_data` is the current revision's data when [`needs_current_data`] says so.
///
/// # Errors
/// [`Error::AlreadyExists`], [`Error::ResourceNotFound`], [`Error::Deleted`] and
/// [`Error::Conflict`], as the contract says; [`Error::Store`] when a copy of the current data
/// is to be appended and the store passed none.
pub fn plan(
    head: Option<&Head>,
    request: &WriteRequest,
    current_data: Option<&[u8]>,
) -> Result<Plan> {
    let Some(head) = head else {
        return plan_first(request);
    };
    check_preconditions(&head.meta, request)?;
    let Some(next) = next_revision(head, request) else {
        return Ok(Plan::Unchanged);
    };
    let mut appended = append(head, request, next);
    let data: &[u8] = match (&appended.data, current_data) {
        (PlannedData::New(bytes), _) => bytes,
        (PlannedData::CopyOfCurrent, Some(current)) => current,
        (PlannedData::CopyOfCurrent, None) => {
            return Err(Error::store(format!(
                "the store planned a {} of {} without its current data, which the new \
                 revision copies and its chain hash covers",
                appended.info.action, request.resource_id
            )));
        }
    };
    appended.info.chain_hash = chain::link(Some(&head.chain_hash), &appended.info, data);
    Ok(Plan::Append(appended))
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
    let mut info = new_info(request, 1, None, data.hash, Action::Create, false);
    info.chain_hash = chain::link(None, &info, &data.bytes);
    Ok(Plan::Append(Appended {
        info,
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
/// (the data and its schema version are already current, or a live resource is restored).
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
        // The same data under the same schema version; a migration that leaves the bytes as
        // they were still moves the head to the new version.
        Change::Put { data, .. }
            if data.hash == head.data_hash && request.schema_version == meta.schema_version =>
        {
            None
        }
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
        chain_hash: chain::ChainHash::UNLINKED,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::chain::link;
    use crate::id::ResourceId;
    use crate::schema::EncodedData;
    use crate::time::Timestamp;

    fn request(change: Change) -> WriteRequest {
        WriteRequest {
            resource_id: ResourceId::parse("issue:a").expect("an id"),
            schema_version: Arc::from("v1"),
            change,
            expected: None,
            user: Arc::from("alice"),
            time: Timestamp::from_micros(1_700_000_000_000_000).expect("a time"),
        }
    }

    fn data(text: &'static str) -> EncodedData {
        EncodedData {
            bytes: Bytes::from_static(text.as_bytes()),
            hash: DataHash::of(text.as_bytes()),
            indexed: IndexedValues::default(),
        }
    }

    fn appended(plan: Plan) -> Appended {
        match plan {
            Plan::Append(appended) => appended,
            Plan::Unchanged => panic!("nothing appended"),
        }
    }

    /// The planner links every revision it appends: a create from no parent, an update and a
    /// tombstone from the head's chain hash, the tombstone over the current data the store
    /// passed; a copy planned without that data is refused, never linked over nothing.
    #[test]
    fn every_appended_revision_is_linked() {
        let create = request(Change::Create(data(r#"{"a":1}"#)));
        assert!(!needs_current_data(&create));
        let first = appended(plan(None, &create, None).expect("plans"));
        assert_eq!(
            first.info.chain_hash,
            link(None, &first.info, br#"{"a":1}"#)
        );
        let head = Head {
            meta: first.meta,
            data_hash: first.info.data_hash,
            chain_hash: first.info.chain_hash,
        };

        let update = request(Change::Put {
            data: data(r#"{"a":2}"#),
            action: Action::Update,
        });
        let second = appended(plan(Some(&head), &update, None).expect("plans"));
        let expected = link(Some(&head.chain_hash), &second.info, br#"{"a":2}"#);
        assert_eq!(second.info.chain_hash, expected);

        let delete = request(Change::Delete);
        assert!(needs_current_data(&delete));
        let tombstone = appended(plan(Some(&head), &delete, Some(br#"{"a":1}"#)).expect("plans"));
        assert!(matches!(tombstone.data, PlannedData::CopyOfCurrent));
        let expected = link(Some(&head.chain_hash), &tombstone.info, br#"{"a":1}"#);
        assert_eq!(tombstone.info.chain_hash, expected);
        let refused = plan(Some(&head), &delete, None).expect_err("no current data");
        assert!(matches!(refused, Error::Store(_)), "{refused}");
    }
}
