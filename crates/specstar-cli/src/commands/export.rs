//! `specstar export --out FILE [store] [--models DIR] [--upcast]`: the whole store as one
//! archive (see `archive::native`), from one snapshot while the store keeps serving; with
//! `--upcast`, every revision of an older schema version written as its model file's current
//! version (a history rewritten on purpose: its chain is computed anew).
//!
//! The archive is written to `FILE.partial` and renamed to `FILE` once complete, so that a
//! failed or interrupted export never leaves a file that looks whole.

use std::fs::File;
use std::io::BufWriter;
use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use specstar::{Exported, RegisteredModel, StoredResource, StreamExt};

use crate::archive::native::{ArchivedModel, Writer};
use crate::model_files::{self, LoadedModel};
use crate::progress::Progress;
use crate::settings::Settings;

pub(crate) async fn run(settings: &Settings, out: &Path, upcast: bool) -> anyhow::Result<()> {
    let choice = settings.store_or_default();
    let spec = super::open_existing(&choice).await?;
    let store = spec.store().clone();
    let held = store.registered_models().await?;
    let files = match &settings.models {
        Some(dir) => model_files::load(dir)?,
        None => Vec::new(),
    };
    let models = archived_models(&files, &held, upcast);
    let upcaster = upcast.then(|| Upcaster::new(files));
    let total = super::resource_total(&*store, &held).await?;
    let partial = partial_path(out);
    let file =
        File::create(&partial).with_context(|| format!("cannot create {}", partial.display()))?;
    let mut writer = Writer::new(BufWriter::new(file), models)?;
    let mut progress = Progress::new("resources", total);
    let mut items = store.export().await?;
    while let Some(item) = items.next().await {
        match item? {
            Exported::Resource(mut resource) => {
                if let Some(upcaster) = &upcaster {
                    upcaster.apply(&mut resource)?;
                }
                writer.resource(&resource)?;
                progress.inc();
            }
            Exported::Purge(event) => writer.purge(&event)?,
            _ => bail!("the store exported a record this version of specstar cannot archive"),
        }
    }
    progress.finish();
    let counts = writer.finish()?;
    std::fs::rename(&partial, out)
        .with_context(|| format!("cannot move {} to {}", partial.display(), out.display()))?;
    println!(
        "exported {} resources ({} revisions, {} purges) of {} models from {} to {}",
        counts.resources,
        counts.revisions,
        counts.purges,
        held.len(),
        choice.describe(),
        out.display()
    );
    Ok(())
}

/// The header's models: what the store registered, with each one's JSON Schema when the
/// models directory declares it (and the files' versions when the revisions are upcast).
fn archived_models(
    files: &[LoadedModel],
    held: &[RegisteredModel],
    upcast: bool,
) -> Vec<ArchivedModel> {
    held.iter()
        .map(|model| {
            let file = files.iter().find(|f| f.model.name() == model.name);
            let schema_version = match file {
                Some(file) if upcast => file.model.schema_version().to_string(),
                _ => model.schema_version.clone(),
            };
            ArchivedModel {
                name: model.name.clone(),
                schema_version,
                indexes: model.indexed_paths.clone(),
                schema: file.map(|f| f.model.json_schema().clone()),
            }
        })
        .collect()
}

/// `--upcast`: every revision of an older version rewritten as its model file's version.
struct Upcaster {
    models: Vec<LoadedModel>,
}

impl Upcaster {
    fn new(models: Vec<LoadedModel>) -> Self {
        Self { models }
    }

    /// Rewrites the revisions of `resource` that are of an older version (data upcast, data
    /// hash anew), then links the whole history anew and sets the head to match.
    fn apply(&self, resource: &mut StoredResource) -> anyhow::Result<()> {
        let id = resource.head.meta.resource_id.clone();
        let Some(file) = self.models.iter().find(|f| f.model.name() == id.model()) else {
            return Ok(());
        };
        let model = &file.model;
        let mut changed = false;
        for revision in &mut resource.revisions {
            // A pruned revision has no data to upcast: its info says what it was.
            if revision.info.schema_version == *model.schema_version() || revision.is_pruned() {
                continue;
            }
            let encoded = model
                .migrated(&revision.info, &revision.data)
                .with_context(|| format!("cannot upcast {}", revision.info.revision_id))?;
            revision.data = encoded.bytes;
            revision.info.data_hash = encoded.hash;
            revision.info.schema_version = model.schema_version().clone();
            changed = true;
        }
        if changed {
            specstar::chain::link_history(&mut resource.revisions);
            let last = &resource.revisions[resource.revisions.len() - 1].info;
            resource.head.data_hash = last.data_hash;
            resource.head.chain_hash = last.chain_hash;
            resource.head.meta.schema_version = last.schema_version.clone();
        }
        Ok(())
    }
}

fn partial_path(out: &Path) -> PathBuf {
    let mut name = out.as_os_str().to_owned();
    name.push(".partial");
    PathBuf::from(name)
}
