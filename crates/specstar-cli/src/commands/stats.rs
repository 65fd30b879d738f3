//! `specstar stats [store]`: per model, its resources (deleted ones among them), revisions and
//! the bytes of their data (`Store::stats`, as `GET /_stats` answers it).

use crate::settings::Settings;

pub(crate) async fn run(settings: &Settings) -> anyhow::Result<()> {
    let choice = settings.store_or_default();
    let spec = super::open_existing(&choice).await?;
    let stats = spec.store().stats().await?;
    println!("{}:", choice.describe());
    println!(
        "  {:<24} {:>12} {:>10} {:>12} {:>16}",
        "model", "resources", "deleted", "revisions", "history bytes"
    );
    for model in &stats {
        println!(
            "  {:<24} {:>12} {:>10} {:>12} {:>16}",
            model.model, model.resources, model.deleted, model.revisions, model.history_bytes
        );
    }
    Ok(())
}
