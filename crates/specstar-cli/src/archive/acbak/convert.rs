//! A resource of the reference's archive as specstar keeps it: the same revision ids, users,
//! times and data, in specstar's form (canonical JSON, its hashes, its chain).
//!
//! Where the two models differ, the conversion says what it does (`docs/acbak-format.md`):
//!
//! - the reference records no action: revision 1 is a `create`, the others `update`s;
//! - its soft delete is a flag on the meta: a resource deleted in the archive gets a tombstone
//!   revision (action `delete`, the current data, the meta's last update time and user);
//! - its current revision may be an older one (`switch`): specstar's current revision is its
//!   newest, so a `revert` revision copying it is appended (same time and user);
//! - each revision's data is checked by the model file's schema (defaults applied) and stored
//!   canonical; the reference's own hash is checked first, except on a revision the
//!   reference's `migrate()` rewrote, whose hash it leaves stale;
//! - the archive has no store-wide sequence: numbers are given in archive order.

use std::sync::Arc;

use specstar::chain::link_history;
use specstar::{
    Action, ChainHash, EncodedData, Head, ModelDef, ResourceId, ResourceMeta, RevisionInfo,
    StoredResource, StoredRevision, Timestamp,
};

use super::{ArchivedResource, ArchivedRevision};

/// Converts `archived`, a resource of `model`, numbering its revisions from `*sequence + 1`
/// (and moving `*sequence` on); the reason, naming the resource or revision, when it cannot.
pub(crate) fn resource(
    archived: ArchivedResource,
    model: &ModelDef,
    sequence: &mut u64,
) -> Result<StoredResource, String> {
    let id = ResourceId::parse(&archived.resource_id)
        .map_err(|e| format!("resource {:?}: {e}", archived.resource_id))?;
    let mut revisions = in_order(&id, archived.revisions)?;
    let meta = &archived.meta;
    let mut stored: Vec<StoredRevision> = Vec::with_capacity(revisions.len() + 2);
    for (index, revision) in revisions.drain(..).enumerate() {
        let number = index as u64 + 1;
        let version = revision
            .schema_version
            .clone()
            .or_else(|| meta.schema_version.clone())
            .unwrap_or_else(|| model.schema_version().to_string());
        let encoded = data(&revision, model)?;
        let action = if number == 1 {
            Action::Create
        } else {
            Action::Update
        };
        let time = micros(revision.created_time)?;
        let info = info(
            &id,
            number,
            &version,
            &encoded,
            action,
            (&revision.created_by, time),
        );
        stored.push(StoredRevision {
            info,
            data: encoded.bytes,
        });
    }
    let current_number = number_of(&id, &meta.current_revision_id)?;
    let newest = stored.len() as u64;
    if current_number != newest {
        let current = stored[current_number as usize - 1].clone();
        stored.push(copy(&current, newest + 1, Action::Revert, meta)?);
    }
    if archived.deleted {
        let current = stored.last().expect("a resource has revisions").clone();
        stored.push(copy(
            &current,
            stored.len() as u64 + 1,
            Action::Delete,
            meta,
        )?);
    }
    for revision in &mut stored {
        *sequence += 1;
        revision.info.sequence = *sequence;
    }
    link_history(&mut stored);
    head(id, stored, model, archived.deleted)
}

/// The archived revisions by number, which must run 1 to their count.
fn in_order(
    id: &ResourceId,
    revisions: Vec<ArchivedRevision>,
) -> Result<Vec<ArchivedRevision>, String> {
    let mut numbered = revisions
        .into_iter()
        .map(|revision| Ok((number_of(id, &revision.revision_id)?, revision)))
        .collect::<Result<Vec<_>, String>>()?;
    numbered.sort_by_key(|(number, _)| *number);
    for (index, (number, _)) in numbered.iter().enumerate() {
        if *number != index as u64 + 1 {
            return Err(format!(
                "resource {id}: revision {} is not in the archive (the reference dropped it); \
                 specstar keeps whole histories, numbered from 1",
                id.revision(index as u64 + 1)
            ));
        }
    }
    Ok(numbered.into_iter().map(|(_, revision)| revision).collect())
}

/// The number of the revision id `text` of `id`.
fn number_of(id: &ResourceId, text: &str) -> Result<u64, String> {
    specstar::RevisionId::parse_for(id, text)
        .map(|revision| revision.number())
        .map_err(|e| format!("resource {id}: {e}"))
}

/// A revision's data, checked against the reference's hash and by the model.
fn data(revision: &ArchivedRevision, model: &ModelDef) -> Result<EncodedData, String> {
    let migrated = revision.parent_schema_version.is_some();
    if !migrated && revision.hash_matches() == Some(false) {
        return Err(format!(
            "revision {}: its data does not match its hash {} (the archive is damaged)",
            revision.revision_id,
            revision.data_hash.as_deref().unwrap_or_default()
        ));
    }
    model
        .encode(revision.data.clone())
        .map_err(|e| format!("revision {}: {e}", revision.revision_id))
}

/// A revision's info, by `(user, time)`, without its sequence number and chain hash.
fn info(
    id: &ResourceId,
    number: u64,
    version: &str,
    encoded: &EncodedData,
    action: Action,
    (user, time): (&str, Timestamp),
) -> RevisionInfo {
    RevisionInfo {
        revision_id: id.revision(number),
        resource_id: id.clone(),
        parent_revision_id: (number > 1).then(|| id.revision(number - 1)),
        schema_version: Arc::from(version),
        data_hash: encoded.hash,
        action,
        deleted: action == Action::Delete,
        created_time: time,
        created_by: Arc::from(user),
        sequence: 0,
        chain_hash: unlinked(),
    }
}

/// A revision `number` copying `current`'s data, by the meta's last update.
fn copy(
    current: &StoredRevision,
    number: u64,
    action: Action,
    meta: &super::ArchivedMeta,
) -> Result<StoredRevision, String> {
    let id = &current.info.resource_id;
    let mut info = current.info.clone();
    info.revision_id = id.revision(number);
    info.parent_revision_id = Some(id.revision(number - 1));
    info.action = action;
    info.deleted = action == Action::Delete;
    info.created_time = micros(meta.updated_time)?;
    info.created_by = Arc::from(meta.updated_by.as_str());
    Ok(StoredRevision {
        info,
        data: current.data.clone(),
    })
}

/// The head of a converted history.
fn head(
    id: ResourceId,
    revisions: Vec<StoredRevision>,
    model: &ModelDef,
    deleted: bool,
) -> Result<StoredResource, String> {
    let (first, last) = (&revisions[0].info, &revisions[revisions.len() - 1]);
    let data: serde_json::Value = serde_json::from_slice(&last.data)
        .map_err(|e| format!("resource {id}: its data is not JSON: {e}"))?;
    let meta = ResourceMeta {
        resource_id: id,
        current_revision_id: last.info.revision_id.clone(),
        total_revision_count: revisions.len() as u64,
        schema_version: last.info.schema_version.clone(),
        created_time: first.created_time,
        created_by: first.created_by.clone(),
        updated_time: last.info.created_time,
        updated_by: last.info.created_by.clone(),
        is_deleted: deleted,
        indexed_data: model.indexed_values(&data),
    };
    let head = Head {
        meta,
        data_hash: last.info.data_hash,
        chain_hash: last.info.chain_hash,
    };
    Ok(StoredResource { head, revisions })
}

/// A reference time as specstar keeps times (microseconds).
fn micros(time: jiff::Timestamp) -> Result<Timestamp, String> {
    Timestamp::from_micros(time.as_microsecond()).map_err(|e| format!("a time out of range: {e}"))
}

/// A chain hash to be replaced by [`link_history`].
fn unlinked() -> ChainHash {
    ChainHash::parse(&format!("sha256:{}", "0".repeat(64))).expect("a well-formed chain hash")
}
