//! Persisted migration: bringing resources whose current revision is of an older schema
//! version to the current one, with a revision of their own (action `migrate`).
//!
//! Reads already answer old revisions upcast ([`ModelDef::upcast`](crate::ModelDef::upcast));
//! a persisted migration writes that result once, so that later reads need no step and the
//! store's data is on one version. Each resource is migrated by one conditional write from
//! the head it read, so it is atomic and safe beside concurrent writers (a writer that got in
//! first has written the current version already, or the migration reads the new head and
//! tries again). Old revisions stay as they were. Running it again does nothing; after a
//! crash it resumes where it stopped, as the migrated resources are no longer on the old
//! version.

use futures_util::StreamExt;

use super::dynamic::{DynResourceManager, PATCH_ATTEMPTS};
use crate::error::{Error, Result};
use crate::query::{Filter, MetaField, Op, Query};
use crate::revision::Action;
use crate::store::{Change, Written};

/// How many resources [`DynResourceManager::migrate_all`] migrates at once.
const MIGRATE_AT_ONCE: usize = 16;

/// Where a [`DynResourceManager::migrate_all`] run is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MigrationProgress {
    /// Resources looked at so far.
    pub done: u64,
    /// Resources on an older version when the run began.
    pub total: u64,
}

/// What a [`DynResourceManager::migrate_all`] run did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct MigrationReport {
    /// Resources given a `migrate` revision.
    pub migrated: u64,
    /// Resources found already on the current version (a writer got there first).
    pub already_current: u64,
}

impl DynResourceManager {
    /// Brings one resource to the current schema version: when its current revision is of an
    /// older version, appends a revision with the upcast data, action `migrate` and the
    /// current version. A resource on the current version is left as it is (`appended`
    /// false).
    ///
    /// # Errors
    /// [`Error::ResourceNotFound`]; [`Error::Deleted`] (restore it first: a deleted resource's
    /// data is upcast on read); [`Error::NoMigrationPath`], [`Error::MigrationFailed`],
    /// [`Error::DoesNotFitModel`]; id and store errors.
    pub async fn migrate(&self, id: &str) -> Result<Written> {
        let resource_id = self.resource_id(id)?;
        let model = self.model();
        let mut attempts = 0;
        loop {
            let fetched = self
                .store()
                .read(&resource_id, None)
                .await?
                .ok_or_else(|| Error::ResourceNotFound {
                    resource_id: resource_id.clone(),
                })?;
            let current = fetched.revision.ok_or_else(|| Error::Corrupt {
                what: format!("resource {resource_id}"),
                reason: "its current revision is missing".into(),
            })?;
            if fetched.meta.is_deleted {
                return Err(Error::Deleted { resource_id });
            }
            if current.info.schema_version == *model.schema_version() {
                return Ok(Written {
                    info: current.info,
                    meta: fetched.meta,
                    appended: false,
                });
            }
            let data = model.migrated(&current.info, &current.data)?;
            let change = Change::Put {
                data,
                action: Action::Migrate,
            };
            let base = current.info.number();
            let request = self.request(resource_id.clone(), change, Some(base));
            match self.write(request).await {
                Err(Error::Conflict { .. }) if attempts < PATCH_ATTEMPTS => attempts += 1,
                outcome => return outcome,
            }
        }
    }

    /// Migrates every live resource whose current revision is of an older schema version (see
    /// [`migrate`](Self::migrate)), a page of heads at a time and 16 resources at once,
    /// calling `progress` after each.
    /// Deleted resources are left as they are (their data is upcast on read).
    ///
    /// # Errors
    /// The first resource that cannot be migrated stops the run (those before it stay
    /// migrated; run it again once fixed); store errors.
    pub async fn migrate_all(
        &self,
        mut progress: impl FnMut(MigrationProgress) + Send,
    ) -> Result<MigrationReport> {
        let current = self.model().schema_version().to_string();
        let old = Query::all().filter(Filter::meta(MetaField::SchemaVersion, Op::Ne, current));
        let total = self.count_matching(&old).await?;
        let mut report = MigrationReport::default();
        // Several at a time, so that a store's group commit shares its flushes among them.
        let mut outcomes = self
            .iter_all(&old)
            .map(|meta| async move { self.migrate(meta?.resource_id.as_str()).await })
            .buffer_unordered(MIGRATE_AT_ONCE);
        let mut done = 0;
        while let Some(outcome) = outcomes.next().await {
            match outcome {
                Ok(written) if written.appended => report.migrated += 1,
                Ok(_) => report.already_current += 1,
                // Deleted or purged since it was listed: left as it is.
                Err(Error::Deleted { .. } | Error::ResourceNotFound { .. }) => {}
                Err(error) => return Err(error),
            }
            done += 1;
            progress(MigrationProgress { done, total });
        }
        Ok(report)
    }
}

impl DynResourceManager {
    /// The schema versions of the model's resources (deleted ones too) that no chain of
    /// migration steps leads from, each with how many resources are on it: what a
    /// registration refuses, as those resources could be neither read as the current version
    /// nor migrated. One search per such version, over the heads' schema versions.
    ///
    /// # Errors
    /// Store errors.
    pub async fn unmigratable_versions(&self) -> Result<Vec<(String, u64)>> {
        let model = self.model();
        let mut known: Vec<serde_json::Value> = vec![model.schema_version().to_string().into()];
        known.extend(
            model
                .migration_sources()
                .into_iter()
                .filter(|version| model.has_migration_path(version))
                .map(|version| serde_json::Value::from(version.to_owned())),
        );
        let mut found = Vec::new();
        loop {
            let others = Filter::meta(MetaField::SchemaVersion, Op::NotIn, known.clone());
            let query = Query::all().include_deleted().filter(others).limit(1);
            let Some(head) = self.search(&query).await?.into_iter().next() else {
                return Ok(found);
            };
            let version = head.schema_version.to_string();
            let on_it = Filter::meta(MetaField::SchemaVersion, Op::Eq, version.clone());
            let count = self
                .count_matching(&Query::all().include_deleted().filter(on_it))
                .await?;
            known.push(version.clone().into());
            found.push((version, count));
        }
    }
}

impl DynResourceManager {
    /// Refuses the model when resources of the store are on a schema version that no
    /// migration step leads from (see [`unmigratable_versions`](Self::unmigratable_versions)):
    /// what registering it checks first.
    ///
    /// # Errors
    /// [`Error::InvalidSchema`] naming each such version and how many resources are on it;
    /// store errors.
    pub async fn check_migratable(&self) -> Result<()> {
        let stranded = self.unmigratable_versions().await?;
        if stranded.is_empty() {
            return Ok(());
        }
        let model = self.model();
        let versions: Vec<String> = stranded
            .iter()
            .map(|(version, count)| format!("{count} on schema version {version:?}"))
            .collect();
        Err(Error::InvalidSchema {
            model: model.name().to_owned(),
            reason: format!(
                "the store holds resources of it ({}) and no migration step leads from that \
                 version to {:?}: declare one (Schema::migrate_from or migrate_json)",
                versions.join(", "),
                model.schema_version()
            ),
        })
    }
}
