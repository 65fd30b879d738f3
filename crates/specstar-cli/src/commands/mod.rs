//! The verbs, one module each, and what they share: opening the store.

pub(crate) mod check;
pub(crate) mod export;
pub(crate) mod import;
pub(crate) mod migrate;
pub(crate) mod openapi;
pub(crate) mod prune;
pub(crate) mod serve;
pub(crate) mod stats;
pub(crate) mod verify;

use anyhow::{Context, bail};
use specstar::{PostgresOptions, RegisteredModel, Spec, Store};

use crate::settings::StoreChoice;

/// Opens the store `choice` names (creating the data directory if needed).
///
/// # Errors
/// When the store cannot be opened, saying which.
pub(crate) async fn open(choice: &StoreChoice) -> anyhow::Result<Spec> {
    let spec = match choice {
        StoreChoice::DataDir(dir) => Spec::open(dir).map_err(anyhow::Error::from),
        StoreChoice::Database(url, schema) => {
            Spec::connect_with(postgres_options(url, schema.as_deref())?)
                .await
                .map_err(anyhow::Error::from)
        }
    };
    spec.with_context(|| format!("cannot open {}", choice.describe()))
}

/// Opens a store that must already exist: a verb that reads a store (verify, export) never
/// creates an empty one where the user mistyped a directory.
///
/// # Errors
/// When the data directory holds no store; as [`open`].
pub(crate) async fn open_existing(choice: &StoreChoice) -> anyhow::Result<Spec> {
    if let StoreChoice::DataDir(dir) = choice
        && !dir.join(specstar::DATABASE_FILE).exists()
    {
        bail!(
            "there is no store in {} (no {}): name one with --data-dir or --database-url",
            dir.display(),
            specstar::DATABASE_FILE
        );
    }
    open(choice).await
}

/// Registers the model files' models with `spec`, in file order; returns their names.
///
/// # Errors
/// A registration the store refuses, naming the file.
pub(crate) async fn register_all(
    spec: &Spec,
    models: Vec<crate::model_files::LoadedModel>,
) -> anyhow::Result<Vec<String>> {
    let mut names = Vec::with_capacity(models.len());
    for loaded in models {
        let file = loaded.file.display().to_string();
        names.push(loaded.model.name().to_owned());
        spec.add_model_def(loaded.model)
            .await
            .with_context(|| format!("cannot register the model of {file}"))?;
    }
    Ok(names)
}

/// The connection options of a database URL, in `schema` when one is named.
///
/// # Errors
/// A URL that does not parse, a schema name that cannot be used.
pub(crate) fn postgres_options(url: &str, schema: Option<&str>) -> anyhow::Result<PostgresOptions> {
    let options = PostgresOptions::new(url)?;
    Ok(match schema {
        Some(schema) => options.schema(schema)?,
        None => options,
    })
}

/// How many resources, deleted ones too, the store holds of `models`: a progress bar's total.
///
/// # Errors
/// Store errors.
pub(crate) async fn resource_total(
    store: &dyn Store,
    models: &[RegisteredModel],
) -> anyhow::Result<u64> {
    let mut total = 0;
    for model in models {
        total += store.count(&model.name, true).await?;
    }
    Ok(total)
}
