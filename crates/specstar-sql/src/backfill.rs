//! The backfill's paging: recomputing the indexed values of every resource of a model when a
//! registration changes its indexed fields.
//!
//! A store walks the model's heads in resource-id order, a [`PAGE`] at a time, so that its
//! memory stays constant however many resources there are: it reads the page after
//! [`Backfill::after`], rewrites each head's values from [`Backfill::values`] of its current
//! data, and calls [`Backfill::advance`]; an empty page ends the walk. How a page is read,
//! locked and written is the store's (one store is synchronous, the other asynchronous); the
//! position, the decoding and the progress log are here.

use specstar_core::{Error, IndexedValues, ModelDescriptor, Result};

/// Heads read and rewritten per step.
pub const PAGE: usize = 1_000;

/// Progress is logged every so many resources.
pub const LOG_EVERY: u64 = 50_000;

/// A backfill under way: where it is and how far it got.
#[derive(Debug)]
pub struct Backfill<'m> {
    model: &'m ModelDescriptor,
    total: u64,
    after: String,
    done: u64,
}

impl<'m> Backfill<'m> {
    /// Starts the backfill of `total` resources of `model`, from the first resource id after
    /// `start`; `None` (and nothing logged) when there are none.
    pub fn start(model: &'m ModelDescriptor, total: u64, start: String) -> Option<Self> {
        if total == 0 {
            return None;
        }
        let fields = model.indexed_paths();
        tracing::info!(model = %model.name, resources = total, ?fields, "backfilling indexed fields");
        Some(Self {
            model,
            total,
            after: start,
            done: 0,
        })
    }

    /// The resource id the next page starts after.
    pub fn after(&self) -> &str {
        &self.after
    }

    /// The indexed values of resource `id` from its current data, of schema version
    /// `version` (upcast first when the model migrates it: see
    /// [`ModelDescriptor::indexed_values_of`]).
    ///
    /// # Errors
    /// [`Error::Corrupt`] when the data is not JSON.
    pub fn values(&self, id: &str, version: &str, data: &[u8]) -> Result<IndexedValues> {
        let data: serde_json::Value = serde_json::from_slice(data).map_err(|e| Error::Corrupt {
            what: format!("resource {id}"),
            reason: format!("its current data is not JSON: {e}"),
        })?;
        Ok(self.model.indexed_values_of(version, &data))
    }

    /// Records a page of `rewritten` resources whose last resource id is `last`, logging the
    /// progress at every [`LOG_EVERY`] resources.
    pub fn advance(&mut self, last: &str, rewritten: usize) {
        last.clone_into(&mut self.after);
        let before = self.done;
        self.done += rewritten as u64;
        if self.done / LOG_EVERY > before / LOG_EVERY {
            let (done, total) = (self.done, self.total);
            tracing::info!(model = %self.model.name, done, total, "backfilling indexed fields");
        }
    }

    /// Ends the backfill; returns how many resources it rewrote.
    pub fn finish(self) -> u64 {
        tracing::info!(model = %self.model.name, resources = self.done, "backfilled indexed fields");
        self.done
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use specstar_core::IndexedField;

    use super::*;

    #[test]
    fn a_backfill_pages_by_id_and_counts() {
        let model = ModelDescriptor {
            name: Arc::from("issue"),
            schema_version: Arc::from("v1"),
            indexed_fields: vec![IndexedField::at("status", false).expect("a path")],
            upcast: None,
            fingerprint: None,
        };
        assert!(Backfill::start(&model, 0, String::new()).is_none());
        let mut backfill = Backfill::start(&model, 3, "issue:".into()).expect("three");
        assert_eq!(backfill.after(), "issue:");
        let values = backfill
            .values("issue:a", "v1", br#"{"status":"open","x":1}"#)
            .expect("json");
        assert_eq!(values.get("status"), Some(&serde_json::json!("open")));
        let error = backfill
            .values("issue:a", "v1", b"{")
            .expect_err("not json");
        assert!(error.to_string().contains("resource issue:a"), "{error}");
        backfill.advance("issue:b", 2);
        assert_eq!(backfill.after(), "issue:b");
        backfill.advance("issue:c", 1);
        assert_eq!(backfill.finish(), 3);
    }
}
