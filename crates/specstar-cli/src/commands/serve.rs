//! `specstar serve`: every model of the models directory, over HTTP, until Ctrl-C or SIGTERM.

use std::time::Duration;

use anyhow::Context;

use crate::settings::Settings;
use crate::{model_files, request_log};

pub(crate) async fn run(settings: &Settings) -> anyhow::Result<()> {
    // Listening for SIGTERM and Ctrl-C from the start: one sent while the store opens or the
    // first prune runs stops the server cleanly too, never with the default action.
    let stop = specstar::http::shutdown_signal();
    let models = model_files::load(settings.models_dir()?)?;
    // The keys are read before the store is opened: a bad key changes nothing.
    let mut config = specstar::http::HttpConfig::new();
    if let Some(jwt) = settings.auth.jwt()? {
        config = config.with_jwt(jwt);
    }
    if !settings.admin_ui {
        config = config.without_admin_ui();
    }
    if settings.metrics {
        let metrics = specstar::http::Metrics::install().map_err(anyhow::Error::msg)?;
        config = config.with_metrics(metrics);
    }
    let limits = settings.limits;
    config = config
        .with_max_concurrent_requests(limits.max_concurrent_requests)
        .with_request_timeout(limits.request_timeout)
        .with_max_event_streams(limits.max_event_streams);
    let choice = settings.store_or_default();
    let spec = super::open(&choice).await?;
    let prunes = models
        .iter()
        .any(|m| !m.model.retention().keeps_everything());
    let names = super::register_all(&spec, models).await?;
    let pruner =
        prunes.then(|| tokio::spawn(prune_in_background(spec.clone(), settings.prune_every)));
    let app = request_log::layer(spec.router_with(config));
    let listener =
        specstar::http::bind(settings.addr, limits.listen_backlog).with_context(|| {
            format!(
                "cannot listen on {} (is another server there? choose another with --addr)",
                settings.addr
            )
        })?;
    let addr = listener.local_addr()?;
    tracing::info!(
        models = %names.join(", "),
        store = %choice.describe(),
        auth = %settings.auth.describe(),
        "serving http://{addr} (docs: http://{addr}/docs{})",
        if settings.admin_ui {
            format!(", admin UI: http://{addr}/_/")
        } else {
            String::new()
        }
    );
    let options = specstar::http::ServeOptions {
        shutdown_deadline: settings.shutdown_deadline,
        header_read_timeout: settings.limits.header_read_timeout,
    };
    let served = specstar::http::serve_with(listener, app, stop, options).await;
    if let Some(pruner) = pruner {
        // Its clone of the store must go before the store can close.
        pruner.abort();
        let _ = pruner.await;
    }
    served.context("the server stopped")?;
    tracing::info!("stopped: the requests in flight finished, the store is closed");
    Ok(())
}

/// Prunes the models that declare retention at start and then every `every`, for as long as
/// the server runs (the task ends with the process). Each resource is pruned in its own atomic
/// step beside the requests; a failed run is logged and the next one tries again.
async fn prune_in_background(spec: specstar::Spec, every: Duration) {
    let mut ticks = tokio::time::interval(every);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        ticks.tick().await;
        match spec.prune_all().await {
            Ok(run) => {
                for (model, report) in &run.models {
                    tracing::info!(
                        model,
                        revisions = report.pruned.revisions,
                        resources = report.pruned_resources,
                        bytes = report.pruned.bytes,
                        "pruned by the model's retention"
                    );
                }
                tracing::info!(bytes = run.reclaimed_bytes, "gave pruned space back");
            }
            Err(error) => tracing::warn!(%error, "pruning failed; it runs again later"),
        }
    }
}
