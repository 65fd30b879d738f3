//! An import (see [`specstar_core::import`]): the items are gathered and checked first, then
//! applied under the store's lock in one step, so that readers see all of it or none.

use std::collections::HashSet;

use futures_util::StreamExt;
use futures_util::stream::BoxStream;
use specstar_core::import::Readied;
use specstar_core::{
    Error, Exported, ImportOptions, ImportReport, Importer, ModelDescriptor, OnDuplicate,
    PurgeEvent, Result, StoredResource, import,
};

use crate::{Entry, Sequenced, State};

/// The items, checked and readied, before the lock is taken.
pub(crate) struct Gathered {
    resources: Vec<StoredResource>,
    purges: Vec<PurgeEvent>,
}

/// Reads every item, readying each resource by `importer`.
///
/// # Errors
/// The items' errors; as [`Importer::prepare`].
pub(crate) async fn gather(
    importer: &Importer,
    mut items: BoxStream<'_, Result<Exported>>,
) -> Result<Gathered> {
    let mut gathered = Gathered {
        resources: Vec::new(),
        purges: Vec::new(),
    };
    while let Some(item) = items.next().await {
        match importer.ready(item?)? {
            Readied::Resource(resource) => gathered.resources.push(resource),
            Readied::Purge(event) => gathered.purges.push(event),
            Readied::End => break,
        }
    }
    Ok(gathered)
}

/// A purge event is the same as another of the same resource, time and user.
fn purge_key(event: &PurgeEvent) -> (String, i64, String) {
    (
        event.resource_id.to_string(),
        event.created_time.as_micros(),
        event.created_by.to_string(),
    )
}

impl State {
    /// Applies a gathered import: every check first, then the changes, none of which fails.
    pub(crate) fn import(
        &mut self,
        models: &[ModelDescriptor],
        gathered: Gathered,
        options: &ImportOptions,
    ) -> Result<(ImportReport, u64)> {
        let Gathered {
            mut resources,
            mut purges,
        } = gathered;
        let held = self.resources.len() as u64;
        let offset = import::sequence_offset(self.last_sequence, held, options.on_duplicate);
        let mut report = ImportReport {
            sequence_offset: offset,
            ..ImportReport::default()
        };
        let duplicates = self.duplicates(&resources, options.on_duplicate)?;
        if options.on_duplicate == OnDuplicate::Skip {
            report.skipped += duplicates.len() as u64;
            resources.retain(|r| !duplicates.contains(&r.head.meta.resource_id));
        }
        let before = purges.len();
        let held_purges = self.purge_keys();
        purges.retain(|event| !held_purges.contains(&purge_key(event)));
        report.skipped += (before - purges.len()) as u64;
        for resource in &mut resources {
            Importer::shift(resource, offset)?;
        }
        for event in &mut purges {
            Importer::shift_purge(event, offset)?;
        }
        self.check_sequences(&resources, &purges)?;
        for model in models {
            self.register(model)?;
        }
        if options.on_duplicate == OnDuplicate::Overwrite {
            for id in duplicates {
                self.erase(&id, options.user.clone(), options.time);
                report.overwritten += 1;
            }
        }
        let mut last = self.last_sequence;
        for resource in resources {
            report.loaded(&resource);
            last = last.max(resource.revisions.last().map_or(0, |r| r.info.sequence));
            self.insert(resource);
        }
        for event in purges {
            report.purges += 1;
            last = last.max(event.sequence);
            self.by_sequence
                .insert(event.sequence, Sequenced::Purge(event));
        }
        self.last_sequence = last;
        Ok((report, last))
    }

    /// The ids among `resources` the store holds; an error under [`OnDuplicate::Fail`].
    fn duplicates(
        &self,
        resources: &[StoredResource],
        rule: OnDuplicate,
    ) -> Result<HashSet<specstar_core::ResourceId>> {
        let mut found = HashSet::new();
        for resource in resources {
            let id = &resource.head.meta.resource_id;
            if let Some(entry) = self.resources.get(id) {
                if rule == OnDuplicate::Fail {
                    return Err(Error::AlreadyExists {
                        resource_id: id.clone(),
                        current_revision_id: entry.head.meta.current_revision_id.clone(),
                    });
                }
                found.insert(id.clone());
            }
        }
        Ok(found)
    }

    /// What tells the feed's purge events apart from others: see [`purge_key`].
    fn purge_keys(&self) -> HashSet<(String, i64, String)> {
        self.by_sequence
            .values()
            .filter_map(|sequenced| match sequenced {
                Sequenced::Purge(event) => Some(purge_key(event)),
                Sequenced::Revision(..) => None,
            })
            .collect()
    }

    /// Refuses imported sequence numbers that repeat, among themselves or in the store.
    fn check_sequences(&self, resources: &[StoredResource], purges: &[PurgeEvent]) -> Result<()> {
        let mut seen = HashSet::new();
        let numbers = resources
            .iter()
            .flat_map(|r| r.revisions.iter().map(|rev| rev.info.sequence))
            .chain(purges.iter().map(|event| event.sequence));
        for number in numbers {
            if !seen.insert(number) || self.by_sequence.contains_key(&number) {
                return Err(Error::Corrupt {
                    what: "the imported items".into(),
                    reason: format!("two events have the sequence number {number}"),
                });
            }
        }
        Ok(())
    }

    /// Adds a readied resource whole.
    fn insert(&mut self, resource: StoredResource) {
        let id = resource.head.meta.resource_id.clone();
        for revision in &resource.revisions {
            self.by_sequence.insert(
                revision.info.sequence,
                Sequenced::Revision(id.clone(), revision.info.number()),
            );
        }
        self.models
            .entry(id.model().to_owned())
            .or_default()
            .update(&id, None, Some(&resource.head.meta.indexed_data));
        self.resources.insert(
            id,
            Entry {
                head: resource.head,
                revisions: resource.revisions,
                pinned: std::collections::BTreeSet::new(),
            },
        );
    }
}
