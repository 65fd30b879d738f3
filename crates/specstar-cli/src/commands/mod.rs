//! The verbs, one module each, and what they share: opening the store.

pub(crate) mod check;
pub(crate) mod export;
pub(crate) mod openapi;
pub(crate) mod serve;
pub(crate) mod verify;

use anyhow::Context;
use specstar::{PostgresOptions, Spec};

use crate::settings::StoreChoice;

/// Opens the store `choice` names (creating the data directory if needed).
///
/// # Errors
/// When the store cannot be opened, saying which.
pub(crate) async fn open(choice: &StoreChoice) -> anyhow::Result<Spec> {
    let spec = match choice {
        StoreChoice::DataDir(dir) => Spec::open(dir).map_err(anyhow::Error::from),
        StoreChoice::Database(url, schema) => {
            let options = PostgresOptions::new(url)?;
            let options = match schema {
                Some(schema) => options.schema(schema)?,
                None => options,
            };
            Spec::connect_with(options)
                .await
                .map_err(anyhow::Error::from)
        }
    };
    spec.with_context(|| format!("cannot open {}", choice.describe()))
}
