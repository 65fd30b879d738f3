//! `specstar check --models DIR [store]`: are the model files valid, and (with a store) what
//! would the next `serve` change in it?

use specstar::{ModelDef, RegisteredModel, Store};

use crate::model_files;
use crate::settings::{Settings, StoreChoice};

pub(crate) async fn run(settings: &Settings) -> anyhow::Result<()> {
    let models = model_files::load(settings.models_dir()?)?;
    for loaded in &models {
        let model = &loaded.model;
        println!(
            "ok {}: model `{}`, schema version {}, indexes [{}]",
            loaded.file.display(),
            model.name(),
            model.schema_version(),
            paths(model).join(", ")
        );
    }
    println!("{} model files are valid", models.len());
    let Some(choice) = &settings.store else {
        return Ok(());
    };
    println!("against {}:", choice.describe());
    if let StoreChoice::DataDir(dir) = choice
        && !dir.join(specstar::DATABASE_FILE).exists()
    {
        // A dry run creates nothing: no store there yet means every model is new.
        for loaded in &models {
            println!(
                "  {}: new: the next serve creates the store and registers it",
                loaded.model.name()
            );
        }
        return Ok(());
    }
    let spec = super::open(choice).await?;
    let store = spec.store();
    let held = store.registered_models().await?;
    for loaded in &models {
        let model = &loaded.model;
        let found = held.iter().find(|h| h.name == model.name());
        println!("  {}", compare(&**store, model, found).await?);
    }
    for stale in held
        .iter()
        .filter(|h| !models.iter().any(|m| m.model.name() == h.name))
    {
        let count = store.count(&stale.name, true).await?;
        println!(
            "  {}: held by the store ({count} resources), declared by no file: not served, kept",
            stale.name
        );
    }
    Ok(())
}

fn paths(model: &ModelDef) -> Vec<String> {
    model
        .indexed_fields()
        .iter()
        .map(|f| f.path().to_owned())
        .collect()
}

/// What the next serve would do to the store for `model`, which the store holds as `held`.
async fn compare(
    store: &dyn Store,
    model: &ModelDef,
    held: Option<&RegisteredModel>,
) -> anyhow::Result<String> {
    let name = model.name();
    let Some(held) = held else {
        return Ok(format!("{name}: new: the next serve registers it"));
    };
    let count = store.count(name, true).await?;
    let wanted = paths(model);
    let mut changes = Vec::new();
    if held.schema_version != **model.schema_version() {
        changes.push(format!(
            "schema version {} -> {} (new revisions are written with {})",
            held.schema_version,
            model.schema_version(),
            model.schema_version()
        ));
    }
    let added: Vec<&String> = wanted
        .iter()
        .filter(|p| !held.indexed_paths.contains(p))
        .collect();
    let dropped: Vec<&String> = held
        .indexed_paths
        .iter()
        .filter(|p| !wanted.contains(p))
        .collect();
    if !added.is_empty() || !dropped.is_empty() {
        let list = |paths: &[&String]| {
            paths
                .iter()
                .map(|p| p.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        };
        changes.push(format!(
            "indexes +[{}] -[{}]: the next serve recomputes the indexed values of its {count} resources",
            list(&added),
            list(&dropped)
        ));
    }
    if changes.is_empty() {
        return Ok(format!("{name}: unchanged ({count} resources)"));
    }
    Ok(format!("{name}: {}", changes.join("; ")))
}
