//! Pruning and pins (see [`specstar_core::retention`]): a pruned revision keeps its info in
//! the history, its data replaced by empty bytes, which frees the memory at once.

use bytes::Bytes;
use specstar_core::{Error, PruneBounds, Pruned, ResourceId, Result};

use crate::State;

impl State {
    /// Drops the data of the revisions `bounds` admit, but pinned and pruned ones.
    pub(crate) fn prune(
        &mut self,
        resource_id: &ResourceId,
        bounds: PruneBounds,
    ) -> Option<Pruned> {
        let entry = self.resources.get_mut(resource_id)?;
        let current = entry.head.meta.current_revision_id.number();
        let mut pruned = Pruned::default();
        for revision in &mut entry.revisions {
            let info = &revision.info;
            if revision.is_pruned()
                || entry.pinned.contains(&info.number())
                || !bounds.admits(info, current)
            {
                continue;
            }
            pruned.revisions += 1;
            pruned.bytes += revision.data.len() as u64;
            revision.data = Bytes::new();
        }
        Some(pruned)
    }

    /// Pins or unpins revision `number` of a resource.
    pub(crate) fn set_pinned(
        &mut self,
        resource_id: &ResourceId,
        number: u64,
        pinned: bool,
    ) -> Result<()> {
        let entry = self
            .resources
            .get_mut(resource_id)
            .ok_or_else(|| Error::ResourceNotFound {
                resource_id: resource_id.clone(),
            })?;
        let revision = usize::try_from(number)
            .ok()
            .and_then(|n| entry.revisions.get(n.checked_sub(1)?))
            .ok_or_else(|| Error::RevisionNotFound {
                revision_id: resource_id.revision(number),
            })?;
        if !pinned {
            entry.pinned.remove(&number);
        } else if revision.is_pruned() {
            return Err(Error::RevisionPruned {
                revision_id: revision.info.revision_id.clone(),
            });
        } else {
            entry.pinned.insert(number);
        }
        Ok(())
    }
}
