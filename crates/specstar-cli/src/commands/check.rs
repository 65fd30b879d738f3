//! `specstar check --models DIR [store]`: are the model files valid, and (with a store) what
//! would the next `serve` change in it? A dry run: the store is read, never migrated or
//! created.

use anyhow::Context;
use specstar::{Inspection, ModelDef, PostgresStore, RegisteredModel, SqliteStore};

use crate::model_files;
use crate::settings::{Settings, StoreChoice};

pub(crate) async fn run(settings: &Settings) -> anyhow::Result<()> {
    let models = model_files::load(settings.models_dir()?)?;
    for loaded in &models {
        let model = &loaded.model;
        println!(
            "ok {}: model `{}`, schema version {}, indexes [{}]{}",
            loaded.file.display(),
            model.name(),
            model.schema_version(),
            paths(model).join(", "),
            rules(model)
        );
    }
    println!("{} model files are valid", models.len());
    let Some(choice) = &settings.store else {
        return Ok(());
    };
    let inspection = inspect(choice)
        .await
        .with_context(|| format!("cannot read {}", choice.describe()))?;
    println!("against {}:", choice.describe());
    if inspection.layout_version == 0 {
        for loaded in &models {
            let name = loaded.model.name();
            println!("  {name}: new: the next serve creates the store and registers it");
        }
        return Ok(());
    }
    if inspection.layout_version < inspection.current_layout_version {
        println!(
            "  the store's layout is version {}: the next serve migrates it to {}",
            inspection.layout_version, inspection.current_layout_version
        );
    }
    let mut refusals = Vec::new();
    for loaded in &models {
        let held = inspection
            .models
            .iter()
            .find(|(h, _)| h.name == loaded.model.name());
        println!("  {}", compare(&loaded.model, held));
        for (line, refused) in versions(&loaded.model, &inspection) {
            println!("    {line}");
            if refused {
                refusals.push(format!("{}: {line}", loaded.model.name()));
            }
        }
    }
    for (stale, count) in inspection
        .models
        .iter()
        .filter(|(h, _)| !models.iter().any(|m| m.model.name() == h.name))
    {
        println!(
            "  {}: held by the store ({count} resources), declared by no file: not served, kept",
            stale.name
        );
    }
    if !refusals.is_empty() {
        anyhow::bail!(
            "the next serve would refuse {} of the models:\n  {}",
            refusals.len(),
            refusals.join("\n  ")
        );
    }
    Ok(())
}

/// What the store holds of `model`'s schema versions: one line per older version its
/// resources are on (whether a migration step leads from it), and one if the store recorded
/// another schema under the file's version; each with whether the next serve refuses it.
fn versions(model: &ModelDef, inspection: &Inspection) -> Vec<(String, bool)> {
    let mut lines = Vec::new();
    let current = model.schema_version();
    let changed = inspection.fingerprints.iter().find(|f| {
        f.model == model.name() && f.version == **current && f.fingerprint != **model.fingerprint()
    });
    if changed.is_some() {
        lines.push((
            format!(
                "schema version {current} is registered with another schema: a changed schema \
                 needs a new version (bump schema_version and declare a migration from {current})"
            ),
            true,
        ));
    }
    let older = inspection
        .head_versions
        .iter()
        .filter(|v| v.model == model.name() && v.version != **current);
    for version in older {
        let (name, count) = (&version.version, version.resources);
        lines.push(if model.has_migration_path(name) {
            (
                format!(
                    "{count} resources on {name}: read as {current} (upcast); \
                     `specstar migrate` persists it"
                ),
                false,
            )
        } else {
            (
                format!(
                    "{count} resources on {name}, and no migration step leads from {name} to \
                     {current}: declare one in the model file"
                ),
                true,
            )
        });
    }
    lines
}

/// What the store holds, read without changing it.
async fn inspect(choice: &StoreChoice) -> anyhow::Result<Inspection> {
    Ok(match choice {
        StoreChoice::DataDir(dir) => SqliteStore::inspect(dir.join(specstar::DATABASE_FILE))?,
        StoreChoice::Database(url, schema) => {
            PostgresStore::inspect(&super::postgres_options(url, schema.as_deref())?).await?
        }
    })
}

fn paths(model: &ModelDef) -> Vec<String> {
    model
        .indexed_fields()
        .iter()
        .map(|f| f.path().to_owned())
        .collect()
}

/// What the next serve would do to the store for `model`, which the store holds as `held`
/// (with its count of resources).
fn compare(model: &ModelDef, held: Option<&(RegisteredModel, u64)>) -> String {
    let name = model.name();
    let Some((held, count)) = held else {
        return format!("{name}: new: the next serve registers it");
    };
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
    let added: Vec<&str> = wanted
        .iter()
        .filter(|p| !held.indexed_paths.contains(p))
        .map(String::as_str)
        .collect();
    let dropped: Vec<&str> = held
        .indexed_paths
        .iter()
        .filter(|p| !wanted.contains(p))
        .map(String::as_str)
        .collect();
    if !added.is_empty() || !dropped.is_empty() {
        changes.push(format!(
            "indexes +[{}] -[{}]: the next serve recomputes the indexed values of its {count} resources",
            added.join(", "),
            dropped.join(", ")
        ));
    }
    if changes.is_empty() {
        return format!("{name}: unchanged ({count} resources)");
    }
    format!("{name}: {}", changes.join("; "))
}

/// What a model's permissions say, for the check's line: nothing without any.
fn rules(model: &ModelDef) -> String {
    let Some(permissions) = model.permissions() else {
        return String::new();
    };
    let rules = permissions.rules();
    let scoped = rules.iter().filter(|r| r.scope().is_some()).count();
    format!(
        ", {} permission rules ({scoped} with a row scope)",
        rules.len()
    )
}
