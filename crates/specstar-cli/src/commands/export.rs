//! `specstar export --out FILE [store] [--models DIR]`: the whole store as one archive (see
//! `archive::native`), from one snapshot while the store keeps serving.
//!
//! The archive is written to `FILE.partial` and renamed to `FILE` once complete, so that a
//! failed or interrupted export never leaves a file that looks whole.

use std::fs::File;
use std::io::BufWriter;
use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use specstar::{Exported, RegisteredModel, StreamExt};

use crate::archive::native::{ArchivedModel, Writer};
use crate::model_files;
use crate::progress::Progress;
use crate::settings::Settings;

pub(crate) async fn run(settings: &Settings, out: &Path) -> anyhow::Result<()> {
    let choice = settings.store_or_default();
    let spec = super::open_existing(&choice).await?;
    let store = spec.store().clone();
    let held = store.registered_models().await?;
    let models = archived_models(settings, &held)?;
    let total = super::resource_total(&*store, &held).await?;
    let partial = partial_path(out);
    let file =
        File::create(&partial).with_context(|| format!("cannot create {}", partial.display()))?;
    let mut writer = Writer::new(BufWriter::new(file), models)?;
    let mut progress = Progress::new("resources", total);
    let mut items = store.export().await?;
    while let Some(item) = items.next().await {
        match item? {
            Exported::Resource(resource) => {
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
/// models directory declares it.
fn archived_models(
    settings: &Settings,
    held: &[RegisteredModel],
) -> anyhow::Result<Vec<ArchivedModel>> {
    let files = match &settings.models {
        Some(dir) => model_files::load(dir)?,
        None => Vec::new(),
    };
    Ok(held
        .iter()
        .map(|model| ArchivedModel {
            name: model.name.clone(),
            schema_version: model.schema_version.clone(),
            indexes: model.indexed_paths.clone(),
            schema: files
                .iter()
                .find(|f| f.model.name() == model.name)
                .map(|f| f.model.json_schema().clone()),
        })
        .collect())
}

fn partial_path(out: &Path) -> PathBuf {
    let mut name = out.as_os_str().to_owned();
    name.push(".partial");
    PathBuf::from(name)
}
