//! `specstar prune --models DIR [store]`: registers the model files, then prunes every model
//! that declares `retention:` (`Spec::prune_all`: old revisions' data dropped, infos kept)
//! and gives the space back; prints per model what it dropped.

use crate::model_files;
use crate::settings::Settings;

pub(crate) async fn run(settings: &Settings) -> anyhow::Result<()> {
    let models = model_files::load(settings.models_dir()?)?;
    let kept: Vec<String> = models
        .iter()
        .filter(|m| m.model.retention().keeps_everything())
        .map(|m| m.model.name().to_owned())
        .collect();
    let choice = settings.store_or_default();
    let spec = super::open_existing(&choice).await?;
    super::register_all(&spec, models).await?;
    let run = spec.prune_all().await?;
    for (name, report) in &run.models {
        println!(
            "{name}: pruned {} revisions of {} resources ({} bytes of data)",
            report.pruned.revisions, report.pruned_resources, report.pruned.bytes
        );
    }
    for name in kept {
        println!("{name}: no retention declared, every revision kept");
    }
    println!(
        "gave {} bytes back to the file system in {}",
        run.reclaimed_bytes,
        choice.describe()
    );
    Ok(())
}
