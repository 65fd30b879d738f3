//! `specstar openapi --models DIR`: the OpenAPI document of the model files, on stdout.

use specstar::Registry;
use specstar::http::HttpConfig;

use crate::model_files;
use crate::settings::Settings;

pub(crate) fn run(settings: &Settings) -> anyhow::Result<()> {
    let registry = Registry::new();
    for loaded in model_files::load(settings.models_dir()?)? {
        registry.add(loaded.model)?;
    }
    let document = specstar::http::openapi_document(&registry, &HttpConfig::new());
    println!("{}", serde_json::to_string_pretty(&document)?);
    Ok(())
}
