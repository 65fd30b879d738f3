//! A models directory: one model per file, YAML (`.yaml`, `.yml`) or JSON (`.json`).
//!
//! ```yaml
//! name: document            # kebab case; ids are document:<uuid>
//! schema_version: v1
//! indexes: [state, author.name]
//! migrations: [{from: v0, rename: {writer: author}}]   # steps from older versions
//! retention: {keep_last: 20, max_age: 90d}   # what the history keeps (optional)
//! permissions: [{roles: [admin], actions: [all]}]   # who may do what (optional)
//! schema: { type: object, properties: { … } }   # JSON Schema 2020-12 of the data
//! ```
//!
//! Reading a directory reports every problem of every file at once (a file that does not parse,
//! with its line and column; a model the library refuses: a bad name, an invalid JSON Schema, an
//! index on a path the schema does not define; two files declaring one model), each naming its
//! file, so that one `check` shows everything to fix.

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

use anyhow::Context;
use serde::Deserialize;
use specstar::{JsonSchemaModel, ModelDef};

use crate::migration_steps::StepFile;
use crate::permission_rules::RuleFile;
use crate::retention_policy::RetentionFile;

/// One model file as written.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ModelFile {
    name: String,
    schema_version: String,
    #[serde(default)]
    indexes: Vec<String>,
    schema: serde_json::Value,
    /// Steps from older schema versions (see `migration_steps`).
    #[serde(default)]
    migrations: Vec<StepFile>,
    /// What the history keeps (see `retention_policy`).
    retention: Option<RetentionFile>,
    /// Who may do what (see `permission_rules`).
    permissions: Option<Vec<RuleFile>>,
}

/// A model read from its file.
#[derive(Debug)]
pub(crate) struct LoadedModel {
    pub(crate) file: PathBuf,
    pub(crate) model: ModelDef,
}

/// What is wrong with a models directory: one line per problem, each naming its file.
#[derive(Debug)]
pub(crate) struct Problems(pub(crate) Vec<String>);

impl fmt::Display for Problems {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let count = self.0.len();
        let noun = if count == 1 { "problem" } else { "problems" };
        write!(f, "the model files have {count} {noun}:")?;
        for problem in &self.0 {
            write!(f, "\n  {problem}")?;
        }
        Ok(())
    }
}

impl std::error::Error for Problems {}

/// Reads every model file of `dir`, in file name order.
///
/// # Errors
/// A directory that cannot be read or holds no model file; [`Problems`] listing every file's
/// problems.
pub(crate) fn load(dir: &Path) -> anyhow::Result<Vec<LoadedModel>> {
    let files = model_files(dir)?;
    let mut problems = Vec::new();
    let mut loaded: Vec<LoadedModel> = Vec::new();
    let mut seen: BTreeMap<String, PathBuf> = BTreeMap::new();
    for file in files {
        match read(&file) {
            Ok(model) => {
                if let Some(first) = seen.get(model.name()) {
                    problems.push(format!(
                        "{}: declares the model `{}`, as {} does already: one file per model",
                        file.display(),
                        model.name(),
                        first.display()
                    ));
                    continue;
                }
                seen.insert(model.name().to_owned(), file.clone());
                loaded.push(LoadedModel { file, model });
            }
            Err(problem) => problems.push(format!("{}: {problem}", file.display())),
        }
    }
    if !problems.is_empty() {
        return Err(Problems(problems).into());
    }
    Ok(loaded)
}

/// The model files of `dir`, sorted; other files are left alone.
fn model_files(dir: &Path) -> anyhow::Result<Vec<PathBuf>> {
    let entries = std::fs::read_dir(dir)
        .with_context(|| format!("cannot read the models directory {}", dir.display()))?;
    let mut files = Vec::new();
    for entry in entries {
        let path = entry
            .with_context(|| format!("cannot read the models directory {}", dir.display()))?
            .path();
        if path.is_file() && Format::of(&path).is_some() {
            files.push(path);
        }
    }
    files.sort();
    anyhow::ensure!(
        !files.is_empty(),
        "the models directory {} holds no model file (*.yaml, *.yml or *.json)",
        dir.display()
    );
    Ok(files)
}

#[derive(Clone, Copy)]
enum Format {
    Yaml,
    Json,
}

impl Format {
    fn of(path: &Path) -> Option<Self> {
        match path.extension()?.to_str()? {
            "yaml" | "yml" => Some(Self::Yaml),
            "json" => Some(Self::Json),
            _ => None,
        }
    }
}

/// One file's model, or what is wrong with it.
fn read(path: &Path) -> Result<ModelDef, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("cannot be read: {e}"))?;
    let file: ModelFile =
        match Format::of(path) {
            Some(Format::Json) => serde_json::from_str(&text)
                .map_err(|e| format!("is not a valid model file: {e}"))?,
            _ => serde_yaml_ng::from_str(&text)
                .map_err(|e| format!("is not a valid model file: {e}"))?,
        };
    let version = file.schema_version.clone();
    let schema_examples = file.schema.get("examples").cloned();
    let mut model = JsonSchemaModel::new(file.name, file.schema_version, file.schema);
    for path in file.indexes {
        model = model.index(path);
    }
    if let Some(retention) = &file.retention {
        model = model.retention(retention.policy()?);
    }
    if let Some(rules) = &file.permissions {
        model = model.permissions(crate::permission_rules::permissions(rules)?);
    }
    let mut step_examples = Vec::new();
    for step in file.migrations {
        step.check()?;
        step_examples.push((step.from.clone(), step.examples.clone()));
        let to = step.to.clone().unwrap_or_else(|| version.clone());
        let from = step.from.clone();
        model = model.migrate_json(from, to, move |data| step.run(data));
    }
    let model = model.build().map_err(|e| e.to_string())?;
    check_examples(&model, schema_examples, &step_examples)?;
    Ok(model)
}

/// The schema's `examples` must fit the model; each migration step's `examples` (data of its
/// `from` version) must come out of the migration path fitting it.
fn check_examples(
    model: &ModelDef,
    schema_examples: Option<serde_json::Value>,
    steps: &[(String, Vec<serde_json::Value>)],
) -> Result<(), String> {
    if let Some(examples) = schema_examples {
        let examples = examples
            .as_array()
            .ok_or("the schema's `examples` is not an array")?;
        for (i, example) in examples.iter().enumerate() {
            model
                .encode(example.clone())
                .map_err(|e| format!("the schema's example {} does not fit it: {e}", i + 1))?;
        }
    }
    for (from, examples) in steps {
        for (i, example) in examples.iter().enumerate() {
            let which = || format!("example {} of the migration from {from}", i + 1);
            let upcast = model
                .upcast_value(from, example.clone())
                .map_err(|e| format!("{}: {e}", which()))?;
            model
                .encode(upcast)
                .map_err(|e| format!("{} does not fit the schema once migrated: {e}", which()))?;
        }
    }
    Ok(())
}
