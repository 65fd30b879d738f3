//! `specstar migrate --models DIR [store]`: registers the model files (which refuses a model
//! whose store holds resources on a version no step leads from, and reindexes old heads by
//! their upcast data), then gives every live resource on an older schema version one revision
//! of action `migrate` (`DynResourceManager::migrate_all`).

use anyhow::Context;
use specstar::MigrationProgress;

use crate::model_files;
use crate::progress::Progress;
use crate::settings::Settings;

pub(crate) async fn run(settings: &Settings) -> anyhow::Result<()> {
    let models = model_files::load(settings.models_dir()?)?;
    let choice = settings.store_or_default();
    let spec = super::open_existing(&choice).await?;
    let names = super::register_all(&spec, models).await?;
    let mut migrated = 0;
    for name in names {
        let manager = spec.dyn_resource_manager(&name)?;
        let mut progress: Option<Progress> = None;
        let report = manager
            .migrate_all(|step: MigrationProgress| {
                progress
                    .get_or_insert_with(|| Progress::new("resources", step.total))
                    .inc();
            })
            .await
            .with_context(|| format!("migrating {name} stopped (run it again once fixed)"))?;
        if let Some(progress) = progress {
            progress.finish();
        }
        println!(
            "{name}: migrated {} resources to {}{}",
            report.migrated,
            manager.model().schema_version(),
            if report.already_current > 0 {
                format!(" ({} were migrated meanwhile)", report.already_current)
            } else {
                String::new()
            }
        );
        migrated += report.migrated;
    }
    println!("migrated {migrated} resources in {}", choice.describe());
    Ok(())
}
