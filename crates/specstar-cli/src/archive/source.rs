//! An archive file as an import reads it: its models, and its items as a stream that a thread
//! of its own decodes (our format's frames, or the reference's records converted), one
//! resource at a time, so that decoding runs beside the store's loading and memory stays at a
//! few resources.
//!
//! A reading error ends the stream with an error the store's import stops at (rolling back),
//! and is kept, whole, for the command to report: it names the frame.

use std::collections::HashMap;
use std::fs::File;
use std::io::{BufReader, Read};
use std::path::Path;
use std::sync::{Arc, Mutex};

use anyhow::{Context, bail};
use specstar::{BoxStream, Exported, JsonSchemaModel, ModelDef, StreamExt};
use tokio::sync::mpsc;

use super::acbak::{self, convert};
use super::native::read::{Item, Reader};
use crate::model_files::LoadedModel;
use crate::progress::Progress;

/// The first bytes of a zstd frame: our archives; anything else is taken for a `.acbak`.
const ZSTD_MAGIC: [u8; 4] = [0x28, 0xb5, 0x2f, 0xfd];
/// How many items may wait for the store.
const BUFFER: usize = 64;

/// The kind of an archive file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Format {
    /// `specstar export`'s.
    Native,
    /// The Python reference's `.acbak`.
    Acbak,
}

impl Format {
    /// What the file at `path` is, from its first bytes.
    pub(crate) fn of(path: &Path) -> anyhow::Result<Self> {
        let mut start = [0_u8; 4];
        let mut file =
            File::open(path).with_context(|| format!("cannot open {}", path.display()))?;
        let read = file
            .read(&mut start)
            .with_context(|| format!("cannot read {}", path.display()))?;
        Ok(if read == 4 && start == ZSTD_MAGIC {
            Self::Native
        } else {
            Self::Acbak
        })
    }
}

/// An opened archive: the definitions of its models, and its items.
pub(crate) struct Source {
    pub(crate) format: Format,
    pub(crate) models: Vec<ModelDef>,
    pub(crate) items: BoxStream<'static, specstar::Result<Exported>>,
    /// Where the reading thread leaves its error, if it fails.
    pub(crate) failure: Arc<Mutex<Option<anyhow::Error>>>,
}

impl Source {
    /// Opens the archive at `path`, with the model files `files` if given (a `.acbak` needs
    /// them; ours carries its models' schemas when it was exported with `--models`).
    ///
    /// # Errors
    /// A file that cannot be opened or whose header is bad; models that cannot be defined.
    pub(crate) fn open(path: &Path, files: Option<Vec<LoadedModel>>) -> anyhow::Result<Self> {
        let format = Format::of(path)?;
        let progress = Progress::counting("resources");
        match format {
            Format::Native => {
                let file =
                    File::open(path).with_context(|| format!("cannot open {}", path.display()))?;
                let reader = Reader::new(BufReader::new(file))?;
                let models = match files {
                    Some(files) => files_for_native(&reader, files)?,
                    None => carried(&reader)?,
                };
                let (items, failure) = spawn(progress, move |emit| native(reader, emit));
                Ok(Self {
                    format,
                    models,
                    items,
                    failure,
                })
            }
            Format::Acbak => {
                let Some(files) = files else {
                    bail!(
                        "{} is a .acbak backup of the Python reference, which does not carry \
                         its models' schemas: name the model files with --models DIR",
                        path.display()
                    );
                };
                let models: Vec<ModelDef> = files.into_iter().map(|f| f.model).collect();
                let by_name: HashMap<String, ModelDef> = models
                    .iter()
                    .map(|m| (m.name().to_owned(), m.clone()))
                    .collect();
                let reader = acbak::Reader::open(path)?;
                let (items, failure) =
                    spawn(progress, move |emit| reference(reader, &by_name, emit));
                Ok(Self {
                    format,
                    models,
                    items,
                    failure,
                })
            }
        }
    }
}

/// The model files of the archive's models; every archived model must have one.
fn files_for_native<R: Read>(
    reader: &Reader<R>,
    files: Vec<LoadedModel>,
) -> anyhow::Result<Vec<ModelDef>> {
    for archived in reader.models() {
        if !files.iter().any(|f| f.model.name() == archived.name) {
            bail!(
                "the archive holds the model {:?}, which no model file declares: add its file to \
                 the models directory",
                archived.name
            );
        }
    }
    Ok(files.into_iter().map(|f| f.model).collect())
}

/// The models as the archive's header carries them (exported with `--models`).
fn carried<R: Read>(reader: &Reader<R>) -> anyhow::Result<Vec<ModelDef>> {
    reader
        .models()
        .iter()
        .map(|archived| {
            let Some(schema) = archived.schema.clone() else {
                bail!(
                    "the archive does not carry the JSON Schema of the model {:?} (it was \
                     exported without --models): name the model files with --models DIR",
                    archived.name
                );
            };
            let mut model = JsonSchemaModel::new(
                archived.name.clone(),
                archived.schema_version.clone(),
                schema,
            );
            for path in &archived.indexes {
                model = model.index(path.clone());
            }
            model
                .build()
                .with_context(|| format!("the archive's model {:?}", archived.name))
        })
        .collect()
}

/// Sends every item of our archive.
fn native<R: Read>(
    mut reader: Reader<R>,
    emit: &mut dyn FnMut(Exported) -> bool,
) -> anyhow::Result<()> {
    while let Some(item) = reader.next_item()? {
        let exported = match item {
            Item::Resource(resource) => Exported::Resource(resource),
            Item::Purge(event) => Exported::Purge(event),
        };
        if !emit(exported) {
            break;
        }
    }
    Ok(())
}

/// Sends every resource of a reference archive, converted.
fn reference<R: Read>(
    reader: acbak::Reader<R>,
    models: &HashMap<String, ModelDef>,
    emit: &mut dyn FnMut(Exported) -> bool,
) -> anyhow::Result<()> {
    let mut sequence = 0;
    for item in reader.resources() {
        match item? {
            acbak::Item::Resource(resource) => {
                let Some(model) = models.get(&resource.model) else {
                    bail!(
                        "the archive holds resources of the model {:?}, which no model file \
                         declares: add its file to the models directory",
                        resource.model
                    );
                };
                let stored = convert::resource(resource, model, &mut sequence)
                    .map_err(anyhow::Error::msg)?;
                if !emit(Exported::Resource(stored)) {
                    break;
                }
            }
            acbak::Item::Blob(blob) => bail!(
                "the archive holds the content of a Binary field (blob {}, {} bytes): specstar \
                 does not keep blobs, so it cannot import this archive whole",
                blob.file_id,
                blob.size
            ),
            acbak::Item::ModelStart(_) | acbak::Item::ModelEnd(_) => {}
        }
    }
    Ok(())
}

/// Runs `produce` on a thread of its own, its items becoming the stream; `emit` answers false
/// once the stream's reader is gone.
fn spawn(
    mut progress: Progress,
    produce: impl FnOnce(&mut dyn FnMut(Exported) -> bool) -> anyhow::Result<()> + Send + 'static,
) -> (
    BoxStream<'static, specstar::Result<Exported>>,
    Arc<Mutex<Option<anyhow::Error>>>,
) {
    let (sender, receiver) = mpsc::channel(BUFFER);
    let failure = Arc::new(Mutex::new(None));
    let slot = failure.clone();
    std::thread::spawn(move || {
        let mut emit = |item: Exported| {
            progress.inc();
            sender.blocking_send(Ok(item)).is_ok()
        };
        let outcome = produce(&mut emit);
        progress.finish();
        if let Err(error) = outcome {
            let message = format!("{error:#}");
            *slot.lock().expect("the slot is never poisoned") = Some(error);
            let _ = sender.blocking_send(Err(specstar::Error::store(message)));
        }
    });
    let items = futures_util::stream::unfold(receiver, |mut receiver| async move {
        receiver.recv().await.map(|item| (item, receiver))
    });
    (items.boxed(), failure)
}
