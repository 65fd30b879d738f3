//! `specstar verify [store]`: checks every resource's history (dense numbers, parents, data
//! hashes, the chain, the head) and names each resource whose history was altered.

use std::sync::Arc;

use anyhow::{Context, bail};
use specstar::{DynResourceManager, JsonSchemaModel, Query, RegisteredModel, Store, StreamExt};

use crate::progress::Progress;
use crate::settings::Settings;

/// What a run found.
#[derive(Default)]
struct Tally {
    resources: u64,
    revisions: u64,
    broken: u64,
}

pub(crate) async fn run(settings: &Settings) -> anyhow::Result<()> {
    let choice = settings.store_or_default();
    let spec = super::open_existing(&choice).await?;
    let store = spec.store().clone();
    let mut tally = Tally::default();
    let models = store.registered_models().await?;
    let total = super::resource_total(&*store, &models).await?;
    let mut progress = Progress::new("resources", total);
    for model in &models {
        verify_model(&store, model, &mut tally, &mut progress).await?;
    }
    progress.finish();
    println!(
        "verified {} resources ({} revisions) in {}",
        tally.resources,
        tally.revisions,
        choice.describe()
    );
    if tally.broken > 0 {
        bail!(
            "{} of {} resources have a history that does not verify (listed above)",
            tally.broken,
            tally.resources
        );
    }
    println!("every history verifies");
    Ok(())
}

/// Verifies every resource of `model`, deleted ones too, a page of heads at a time.
async fn verify_model(
    store: &Arc<dyn Store>,
    model: &RegisteredModel,
    tally: &mut Tally,
    progress: &mut Progress,
) -> anyhow::Result<()> {
    // Only heads are listed: a model that accepts any object is enough to page them.
    let reader = JsonSchemaModel::new(
        model.name.clone(),
        model.schema_version.clone(),
        serde_json::json!({ "type": "object" }),
    )
    .build()
    .with_context(|| format!("the model {} the store holds", model.name))?;
    let manager = DynResourceManager::new(Arc::new(reader), store.clone());
    let mut heads = manager.iter_all(&Query::all().include_deleted());
    while let Some(meta) = heads.next().await {
        let meta = meta?;
        let verification = match specstar::chain::verify(&**store, &meta.resource_id).await {
            Ok(verification) => verification,
            // Purged since it was listed.
            Err(specstar::Error::ResourceNotFound { .. }) => continue,
            Err(error) => return Err(error.into()),
        };
        tally.resources += 1;
        tally.revisions += verification.revisions;
        if !verification.valid {
            tally.broken += 1;
            let first = verification
                .first_invalid_revision_id
                .map_or_else(|| "its head".to_owned(), |id| id.to_string());
            progress.println(&format!(
                "broken {}: first invalid revision {first}",
                meta.resource_id
            ));
        }
        progress.inc();
    }
    Ok(())
}
