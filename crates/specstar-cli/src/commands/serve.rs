//! `specstar serve`: every model of the models directory, over HTTP, until Ctrl-C or SIGTERM.

use anyhow::Context;

use crate::settings::Settings;
use crate::{model_files, request_log};

pub(crate) async fn run(settings: &Settings) -> anyhow::Result<()> {
    let models = model_files::load(settings.models_dir()?)?;
    let choice = settings.store_or_default();
    let spec = super::open(&choice).await?;
    let names: Vec<String> = models.iter().map(|m| m.model.name().to_owned()).collect();
    for loaded in models {
        let file = loaded.file.display().to_string();
        spec.add_model_def(loaded.model)
            .await
            .with_context(|| format!("cannot register the model of {file}"))?;
    }
    let app = request_log::layer(spec.router());
    let listener = tokio::net::TcpListener::bind(settings.addr)
        .await
        .with_context(|| {
            format!(
                "cannot listen on {} (is another server there? choose another with --addr)",
                settings.addr
            )
        })?;
    let addr = listener.local_addr()?;
    tracing::info!(
        models = %names.join(", "),
        store = %choice.describe(),
        "serving http://{addr} (docs: http://{addr}/docs)"
    );
    specstar::http::serve(listener, app)
        .await
        .context("the server stopped")?;
    tracing::info!("stopped: the requests in flight finished, the store is closed");
    Ok(())
}
