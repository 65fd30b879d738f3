//! Imports: loading resources whole (head and every revision, as an
//! [export](crate::Store::export) gives them) into a store, all or nothing.
//!
//! What an import means is defined here, once, for every store:
//!
//! - **Each resource is checked before it is loaded** ([`Importer::prepare`]): its model must
//!   be one of the import's, its history must verify (dense numbers, parents, data hashes, the
//!   chain; see [`ChainCheck`]), its head must agree with its last revision, and its sequence
//!   numbers must grow with its revision numbers. Its indexed values are computed anew from
//!   its current data by the target's model, which may index other fields than the source did.
//! - **Revision ids, hashes, times, users and actions are kept**; sequence numbers keep their
//!   order and are moved past the target's last one ([`sequence_offset`]), so that an import
//!   into an empty store keeps them as they were, and one into a store in use appears after
//!   every event its feed readers have seen.
//! - **A resource the target holds already** is refused, skipped or replaced
//!   ([`OnDuplicate`]). A replaced one is purged first: its purge event, numbered before the
//!   imported events, tells feed readers to forget the old history.
//! - **Purge events** are loaded as they are (moved like revisions), but one the target holds
//!   already (the same resource, time and user) is not loaded twice.
//! - **All or nothing**: the store commits only after the last item; an error from the items
//!   (a truncated archive), from a check or from the store leaves it as it was.

use std::collections::HashMap;
use std::sync::Arc;

use futures_util::StreamExt;
use futures_util::stream::BoxStream;
use tokio::sync::mpsc;

use crate::chain::ChainCheck;
use crate::error::{Error, Result};
use crate::feed::PurgeEvent;
use crate::store::{Exported, ModelDescriptor, StoredResource};
use crate::time::Timestamp;

/// What an import does with a resource the target store holds already.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum OnDuplicate {
    /// Refuse the import: nothing is loaded.
    #[default]
    Fail,
    /// Keep the target's resource and leave the archived one out.
    Skip,
    /// Purge the target's resource and load the archived one in its place.
    Overwrite,
}

/// How to import.
#[derive(Clone, Debug)]
pub struct ImportOptions {
    /// What to do with resources the target holds already.
    pub on_duplicate: OnDuplicate,
    /// Who imports: the user of the purge events an overwrite records.
    pub user: Arc<str>,
    /// When: the time of those purge events.
    pub time: Timestamp,
}

impl ImportOptions {
    /// Options that refuse duplicates, for `user`, now.
    pub fn new(user: impl Into<Arc<str>>) -> Self {
        Self {
            on_duplicate: OnDuplicate::Fail,
            user: user.into(),
            time: Timestamp::now(),
        }
    }

    /// The same options with another duplicate rule.
    #[must_use]
    pub fn on_duplicate(mut self, rule: OnDuplicate) -> Self {
        self.on_duplicate = rule;
        self
    }
}

/// What an import did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ImportReport {
    /// Resources loaded (replaced ones included).
    pub resources: u64,
    /// Their revisions.
    pub revisions: u64,
    /// Purge events loaded from the items.
    pub purges: u64,
    /// Resources left out because the target held them (`OnDuplicate::Skip`), and purge events
    /// it held already.
    pub skipped: u64,
    /// Resources of the target replaced (`OnDuplicate::Overwrite`).
    pub overwritten: u64,
    /// What was added to every imported sequence number.
    pub sequence_offset: u64,
}

impl ImportReport {
    /// Counts a loaded resource.
    pub fn loaded(&mut self, resource: &StoredResource) {
        self.resources += 1;
        self.revisions += resource.revisions.len() as u64;
    }
}

/// What is added to the items' sequence numbers in a store whose last sequence number is
/// `last` and which holds `held` resources: past `last`, and when duplicates are replaced, past
/// a block of numbers for the purge events of those replaced (at most one each of `held`), so
/// that those events come before the imported ones.
pub fn sequence_offset(last: u64, held: u64, rule: OnDuplicate) -> u64 {
    match rule {
        OnDuplicate::Overwrite => last.saturating_add(held),
        OnDuplicate::Fail | OnDuplicate::Skip => last,
    }
}

/// The sequence number `sequence` becomes, moved by `offset`.
///
/// # Errors
/// [`Error::Corrupt`] when it would not fit the stores' 63-bit numbers.
pub fn moved(sequence: u64, offset: u64) -> Result<u64> {
    sequence
        .checked_add(offset)
        .filter(|&n| i64::try_from(n).is_ok())
        .ok_or_else(|| Error::Corrupt {
            what: "an imported sequence number".into(),
            reason: format!("{sequence} moved past the store's last number overflows"),
        })
}

/// Checks and readies resources for a store's import (see the [module](self)).
#[derive(Clone, Debug)]
pub struct Importer {
    models: HashMap<String, ModelDescriptor>,
}

impl Importer {
    /// An importer of resources of `models`, the target's models as they will be registered.
    pub fn new(models: &[ModelDescriptor]) -> Self {
        Self {
            models: models
                .iter()
                .map(|model| (model.name.to_string(), model.clone()))
                .collect(),
        }
    }

    /// Checks `resource` (see the [module](self)) and sets its indexed values from its current
    /// data by the target's model; its sequence numbers are left as they are.
    ///
    /// # Errors
    /// [`Error::UnknownModel`] for a model not among the import's; [`Error::Corrupt`], naming
    /// the resource and what is wrong, for a history that does not verify.
    pub fn prepare(&self, mut resource: StoredResource) -> Result<StoredResource> {
        let id = resource.head.meta.resource_id.clone();
        let model = self
            .models
            .get(id.model())
            .ok_or_else(|| Error::UnknownModel {
                model: id.model().to_owned(),
            })?;
        let corrupt = |reason: String| Error::Corrupt {
            what: format!("imported resource {id}"),
            reason,
        };
        let mut check = ChainCheck::new(id.clone());
        for revision in &resource.revisions {
            check.check(revision);
        }
        let verification = check.finish(&resource.head);
        if let Some(first) = verification.first_invalid_revision_id {
            return Err(corrupt(format!("its history does not verify from {first}")));
        }
        head_agrees(&resource).map_err(corrupt)?;
        let current = resource
            .revisions
            .last()
            .expect("a verified history has revisions");
        let data: serde_json::Value = serde_json::from_slice(&current.data)
            .map_err(|e| corrupt(format!("its current data is not JSON: {e}")))?;
        resource.head.meta.indexed_data =
            model.indexed_values_of(&current.info.schema_version, &data);
        Ok(resource)
    }

    /// An item readied for a store's loader: a resource [prepared](Self::prepare), a purge
    /// event as it is.
    ///
    /// # Errors
    /// As [`prepare`](Self::prepare).
    pub fn ready(&self, item: Exported) -> Result<Readied> {
        Ok(match item {
            Exported::Resource(resource) => Readied::Resource(self.prepare(resource)?),
            Exported::Purge(event) => Readied::Purge(event),
        })
    }

    /// Moves a resource's sequence numbers by `offset`.
    ///
    /// # Errors
    /// As [`moved`].
    pub fn shift(resource: &mut StoredResource, offset: u64) -> Result<()> {
        for revision in &mut resource.revisions {
            revision.info.sequence = moved(revision.info.sequence, offset)?;
        }
        Ok(())
    }

    /// Moves a purge event's sequence number by `offset`.
    ///
    /// # Errors
    /// As [`moved`].
    pub fn shift_purge(event: &mut PurgeEvent, offset: u64) -> Result<()> {
        event.sequence = moved(event.sequence, offset)?;
        Ok(())
    }
}

/// Whether a verified resource's head says what its revisions say, and its sequence numbers
/// grow with its revision numbers; the reason when not.
fn head_agrees(resource: &StoredResource) -> std::result::Result<(), String> {
    let meta = &resource.head.meta;
    let (Some(first), Some(last)) = (resource.revisions.first(), resource.revisions.last()) else {
        return Err("it has no revisions".into());
    };
    let (first, last) = (&first.info, &last.info);
    let agrees = meta.created_time == first.created_time
        && meta.created_by == first.created_by
        && meta.updated_time == last.created_time
        && meta.updated_by == last.created_by
        && meta.is_deleted == last.deleted
        && meta.schema_version == last.schema_version;
    if !agrees {
        return Err(
            "its head's times, users, deleted flag or schema version are not those of \
                    its revisions"
                .into(),
        );
    }
    let ordered = resource
        .revisions
        .windows(2)
        .all(|pair| pair[0].info.sequence < pair[1].info.sequence);
    if !ordered || first.sequence == 0 {
        return Err("its sequence numbers do not grow with its revision numbers".into());
    }
    Ok(())
}

/// An item readied for a store's loader, as [`feed`] sends it.
#[derive(Debug)]
pub enum Readied {
    /// A resource, [prepared](Importer::prepare).
    Resource(StoredResource),
    /// A purge event.
    Purge(PurgeEvent),
    /// Every item was sent: the loader commits.
    End,
}

/// Reads `items`, readies each resource by `importer` and sends it to a store's loader (a
/// writer thread, a task holding a transaction); sends [`Readied::End`] after the last one.
/// The loader commits only on `End`: when this fails, `sender` is dropped without it, and the
/// loader rolls back.
///
/// # Errors
/// The items' errors; as [`Importer::prepare`]. A loader that stopped listening is no error
/// here: its own outcome says why.
pub async fn feed(
    importer: &Importer,
    mut items: BoxStream<'_, Result<Exported>>,
    sender: mpsc::Sender<Readied>,
) -> Result<()> {
    while let Some(item) = items.next().await {
        let readied = importer.ready(item?)?;
        if sender.send(readied).await.is_err() {
            return Ok(());
        }
    }
    let _ = sender.send(Readied::End).await;
    Ok(())
}
