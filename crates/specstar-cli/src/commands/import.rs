//! `specstar import FILE [store] [--models DIR] [--on-duplicate fail|skip|overwrite]`: loads an
//! archive of ours or a `.acbak` of the Python reference into the store, all or nothing
//! ([`specstar::Store::import`]): framing, checksums, counts and every history are checked as
//! the archive is read, and the store commits only after its last item. A damaged archive
//! exits 1 naming the frame, and the store is left as it was (a data directory the import
//! created is removed again).

use std::path::PathBuf;

use anyhow::{Context, anyhow};
use specstar::{ImportOptions, ImportReport, ModelDescriptor};

use crate::archive::source::{Format, Source};
use crate::cli::ImportArgs;
use crate::model_files;
use crate::settings::{Settings, StoreChoice};

/// The user an import records (on the purge events of replaced resources).
const IMPORT_USER: &str = "import";

pub(crate) async fn run(settings: &Settings, args: &ImportArgs) -> anyhow::Result<()> {
    let choice = settings.store_or_default();
    let nothing = || format!("nothing was imported: {} is as it was", choice.describe());
    let files = match &settings.models {
        Some(dir) => Some(model_files::load(dir)?),
        None => None,
    };
    let source = Source::open(&args.file, files)
        .with_context(|| args.file.display().to_string())
        .with_context(nothing)?;
    let created = new_store_files(&choice);
    let outcome = import(&choice, source, args).await;
    match outcome {
        Ok((report, format)) => {
            print_report(&report, format, &args.file, &choice);
            Ok(())
        }
        Err(error) => {
            if let Some(files) = created {
                remove_new_store(&files);
            }
            Err(error.context(nothing()))
        }
    }
}

/// Opens the store and imports; the archive's own error wins over the store's (which only saw
/// the items end).
async fn import(
    choice: &StoreChoice,
    source: Source,
    args: &ImportArgs,
) -> anyhow::Result<(ImportReport, Format)> {
    let spec = super::open(choice).await?;
    let models: Vec<ModelDescriptor> = source.models.iter().map(ModelDescriptor::from).collect();
    let options = ImportOptions::new(IMPORT_USER).on_duplicate(args.on_duplicate.into());
    let result = spec.store().import(&models, source.items, &options).await;
    let failure = source
        .failure
        .lock()
        .map_err(|_| anyhow!("the archive's reader panicked"))?
        .take();
    match (result, failure) {
        (_, Some(read_error)) => Err(read_error.context(format!("{}", args.file.display()))),
        (Err(error), None) => Err(anyhow::Error::from(error)),
        (Ok(report), None) => Ok((report, source.format)),
    }
}

fn print_report(
    report: &ImportReport,
    format: Format,
    file: &std::path::Path,
    choice: &StoreChoice,
) {
    let kind = match format {
        Format::Native => "archive",
        Format::Acbak => "reference backup",
    };
    println!(
        "imported {} resources ({} revisions, {} purges) from the {kind} {} into {}",
        report.resources,
        report.revisions,
        report.purges,
        file.display(),
        choice.describe()
    );
    if report.skipped > 0 {
        println!("skipped {} already in the store", report.skipped);
    }
    if report.overwritten > 0 {
        println!("replaced {} resources the store held", report.overwritten);
    }
    if report.sequence_offset > 0 {
        println!(
            "sequence numbers moved past the store's last, by {}",
            report.sequence_offset
        );
    }
}

/// The files a new embedded store would create, when `choice` is a data directory holding no
/// store yet (with the directory itself when it does not exist either).
fn new_store_files(choice: &StoreChoice) -> Option<Vec<PathBuf>> {
    let StoreChoice::DataDir(dir) = choice else {
        return None;
    };
    let database = dir.join(specstar::DATABASE_FILE);
    if database.exists() {
        return None;
    }
    let mut files: Vec<PathBuf> = ["", "-wal", "-shm"]
        .iter()
        .map(|suffix| {
            let mut name = database.clone().into_os_string();
            name.push(suffix);
            PathBuf::from(name)
        })
        .collect();
    if !dir.exists() {
        files.push(dir.clone());
    }
    Some(files)
}

/// Removes what a failed import into a new data directory created.
fn remove_new_store(files: &[PathBuf]) {
    for file in files {
        let removed = if file.is_dir() {
            std::fs::remove_dir(file)
        } else {
            std::fs::remove_file(file)
        };
        if let Err(error) = removed
            && error.kind() != std::io::ErrorKind::NotFound
        {
            eprintln!("warning: cannot remove {}: {error}", file.display());
        }
    }
}
