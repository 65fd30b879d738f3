//! The verbs, one module each, and what they share: opening the store.

pub(crate) mod check;
pub(crate) mod openapi;
pub(crate) mod serve;

use anyhow::Context;
use specstar::Spec;

use crate::settings::StoreChoice;

/// Opens the store `choice` names (creating the data directory if needed).
///
/// # Errors
/// When the store cannot be opened, saying which.
pub(crate) async fn open(choice: &StoreChoice) -> anyhow::Result<Spec> {
    let spec = match choice {
        StoreChoice::DataDir(dir) => Spec::open(dir).map_err(anyhow::Error::from),
        StoreChoice::Database(url) => Spec::connect(url).await.map_err(anyhow::Error::from),
    };
    spec.with_context(|| format!("cannot open {}", choice.describe()))
}
