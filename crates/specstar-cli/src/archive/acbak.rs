//! A streaming reader of the Python reference's `.acbak` backups (specstar 0.12.3,
//! `SpecStar.dump`, dump format version 2). `docs/acbak-format.md` describes the format.
//!
//! [`Reader`] yields the archive's [`Record`]s one frame at a time and checks their order;
//! [`Reader::resources`] groups them into one [`ArchivedResource`] (its meta and all its
//! revisions) at a time, so memory stays bounded by the largest resource. Every problem is an
//! [`Error`] naming the frame (counted from 1) and its byte offset; no input makes it panic.

pub(crate) mod convert;
mod decode;
#[cfg(test)]
mod tests;

use std::fs::File;
use std::io::{self, BufReader, Read};
use std::path::Path;

use jiff::Timestamp;

use decode::Fields;

/// The one dump format version the reader knows (`HeaderRecord.version` in 0.12.3).
pub(crate) const FORMAT_VERSION: u64 = 2;

/// The bytes a frame's length takes: a big-endian `u32`.
const LENGTH_BYTES: u64 = 4;

/// At most this much is reserved before a frame's bytes arrive, whatever length it claims.
const PREALLOC_MAX: u64 = 1 << 20;

/// Why an archive cannot be read.
#[derive(Debug, thiserror::Error)]
pub(crate) enum Error {
    /// The file could not be opened.
    #[error("cannot open the archive: {0}")]
    Open(#[from] io::Error),
    /// A frame is truncated, malformed, out of order, or of an unknown kind.
    #[error("frame {frame} (at byte {offset}): {message}")]
    Frame {
        /// The frame's number, the first being 1.
        frame: u64,
        /// Where the frame's length starts in the file.
        offset: u64,
        /// What is wrong with it.
        message: String,
    },
}

/// A revision's status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Status {
    /// `draft`: the reference lets it be rewritten in place.
    Draft,
    /// `stable`.
    Stable,
}

/// How a model's revision data was encoded (the reference's per-model `encoding`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum DataEncoding {
    /// JSON, the reference's default.
    Json,
    /// msgpack.
    Msgpack,
}

/// A resource's meta (`ResourceMeta`), as archived. The `rev_*` mirrors of the current
/// revision are not kept: the current revision holds them.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct ArchivedMeta {
    pub(crate) resource_id: String,
    pub(crate) current_revision_id: String,
    pub(crate) schema_version: Option<String>,
    /// Never decreases, also not when old revisions were pruned.
    pub(crate) total_revision_count: u64,
    pub(crate) created_time: Timestamp,
    /// The last change of the meta: a write, switch, delete or restore.
    pub(crate) updated_time: Timestamp,
    pub(crate) created_by: String,
    pub(crate) updated_by: String,
    /// Soft-deleted: a flag on the meta, no revision records it.
    pub(crate) is_deleted: bool,
    /// The indexed values the reference extracted from the current revision.
    pub(crate) indexed_data: Option<serde_json::Map<String, serde_json::Value>>,
}

/// One revision (`RevisionInfo` and the data), as archived.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct ArchivedRevision {
    /// The reference's storage key of the revision (a UUID), new on every in-place rewrite.
    pub(crate) uid: String,
    pub(crate) resource_id: String,
    /// `<resource_id>:<n>`.
    pub(crate) revision_id: String,
    /// None for a first revision.
    pub(crate) parent_revision_id: Option<String>,
    pub(crate) parent_schema_version: Option<String>,
    pub(crate) schema_version: Option<String>,
    /// `xxh3_128:<32 hex>` over `raw_data`, when the reference computed it.
    pub(crate) data_hash: Option<String>,
    pub(crate) status: Status,
    pub(crate) created_time: Timestamp,
    /// Differs from `created_time` only after an in-place rewrite.
    pub(crate) updated_time: Timestamp,
    pub(crate) created_by: String,
    pub(crate) updated_by: String,
    pub(crate) encoding: DataEncoding,
    /// The data's bytes as the reference stored them (what `data_hash` covers).
    pub(crate) raw_data: Vec<u8>,
    /// The data, decoded; a msgpack model's bytes become base64 strings, its times RFC 3339.
    pub(crate) data: serde_json::Value,
}

impl ArchivedRevision {
    /// Whether `data_hash` is the xxh3-128 of `raw_data`, as the reference computes it; None
    /// when the revision has no hash or one of another algorithm. The archive has no checksum
    /// of its own: this is what catches damaged data. But the reference's `migrate()` rewrites
    /// the data and keeps the old hash, so a migrated revision (`parent_schema_version` set)
    /// does not match.
    pub(crate) fn hash_matches(&self) -> Option<bool> {
        let hex = self.data_hash.as_deref()?.strip_prefix("xxh3_128:")?;
        let computed = xxhash_rust::xxh3::xxh3_128(&self.raw_data);
        Some(hex.eq_ignore_ascii_case(&format!("{computed:032x}")))
    }
}

/// A blob (the content of a `Binary` field), as archived.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ArchivedBlob {
    /// The xxh3-128 hex of the content, as the revisions' `Binary` values name it.
    pub(crate) file_id: String,
    pub(crate) content_type: String,
    pub(crate) size: u64,
    pub(crate) data: Vec<u8>,
}

/// One frame of an archive.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Record {
    /// The first frame.
    Header { version: u64 },
    /// A model's section begins.
    ModelStart { model: String },
    /// A resource's meta; its revisions follow.
    Meta(ArchivedMeta),
    /// A revision of the resource whose meta came last.
    Revision(ArchivedRevision),
    /// A blob; a model's blobs come after all its resources.
    Blob(ArchivedBlob),
    /// A model's section ends.
    ModelEnd { model: String },
    /// The last frame.
    End,
}

impl Record {
    /// The reference's name of the record's kind, as in its `t` tag.
    fn kind(&self) -> &'static str {
        match self {
            Self::Header { .. } => "HeaderRecord",
            Self::ModelStart { .. } => "ModelStartRecord",
            Self::Meta(_) => "MetaRecord",
            Self::Revision(_) => "RevisionRecord",
            Self::Blob(_) => "BlobRecord",
            Self::ModelEnd { .. } => "ModelEndRecord",
            Self::End => "EofRecord",
        }
    }
}

/// Where the reader is in the archive's grammar.
#[derive(Debug)]
enum State {
    /// Nothing read: the header comes next.
    Start,
    /// Between models: a model start or the end.
    Top,
    /// Inside a model's section.
    Model { model: String, phase: Phase },
    /// The end record was read; nothing may follow.
    Ended,
    /// An error was returned, or the archive is over: the reader yields nothing more.
    Done,
}

/// Where the reader is inside a model's section.
#[derive(Debug)]
enum Phase {
    /// No meta yet.
    Empty,
    /// After the meta of this resource (and maybe some of its revisions).
    Resource(String),
    /// Among the blobs, after every resource.
    Blobs,
}

/// Reads an archive's frames in order.
#[derive(Debug)]
pub(crate) struct Reader<R> {
    input: R,
    state: State,
    /// The number of the next frame.
    frame: u64,
    /// Where the next frame starts.
    offset: u64,
    /// The number and offset of the frame read last.
    last: (u64, u64),
}

impl Reader<BufReader<File>> {
    /// Opens the archive at `path`; nothing is read yet.
    pub(crate) fn open(path: impl AsRef<Path>) -> Result<Self, Error> {
        Ok(Self::new(BufReader::new(File::open(path)?)))
    }
}

impl<R: Read> Reader<R> {
    /// Reads an archive from `input`.
    pub(crate) fn new(input: R) -> Self {
        Self {
            input,
            state: State::Start,
            frame: 1,
            offset: 0,
            last: (0, 0),
        }
    }

    /// The same archive, one resource at a time.
    pub(crate) fn resources(self) -> Resources<R> {
        Resources {
            reader: self,
            model: String::new(),
            pending: None,
            done: false,
        }
    }

    /// An error about the frame read last.
    fn error_at_last(&self, message: impl Into<String>) -> Error {
        Error::Frame {
            frame: self.last.0,
            offset: self.last.1,
            message: message.into(),
        }
    }

    /// The next frame's bytes, or None at the end of the input.
    fn read_frame(&mut self) -> Result<Option<Vec<u8>>, String> {
        let mut length = [0_u8; LENGTH_BYTES as usize];
        let got = read_up_to(&mut self.input, &mut length)?;
        if got == 0 {
            return Ok(None);
        }
        if got < length.len() {
            return Err(format!(
                "truncated: the archive ends inside the frame's length ({got} of 4 bytes)"
            ));
        }
        let length = u64::from(u32::from_be_bytes(length));
        if length == 0 {
            return Err("bad length: an empty frame".to_owned());
        }
        let mut payload = Vec::with_capacity(length.min(PREALLOC_MAX) as usize);
        let got = (&mut self.input)
            .take(length)
            .read_to_end(&mut payload)
            .map_err(|e| format!("cannot read the archive: {e}"))?;
        if (got as u64) < length {
            return Err(format!(
                "truncated: the frame says {length} bytes, the archive has only {got} more"
            ));
        }
        Ok(Some(payload))
    }

    /// Reads and checks the next record.
    fn next_record(&mut self) -> Result<Option<Record>, String> {
        let Some(payload) = self.read_frame()? else {
            return match self.state {
                State::Ended => Ok(None),
                State::Start => Err("the archive is empty".to_owned()),
                _ => Err("truncated: the archive ends without its end record".to_owned()),
            };
        };
        self.offset += LENGTH_BYTES + payload.len() as u64;
        self.frame += 1;
        if matches!(self.state, State::Ended) {
            return Err("data after the end record".to_owned());
        }
        let record = record(&payload)?;
        self.advance(&record)?;
        Ok(Some(record))
    }

    /// Moves the grammar's state over `record`, or says why it may not come here.
    fn advance(&mut self, record: &Record) -> Result<(), String> {
        let state = std::mem::replace(&mut self.state, State::Done);
        self.state = match (state, record) {
            (State::Start, Record::Header { version }) if *version == FORMAT_VERSION => State::Top,
            (State::Start, Record::Header { version }) => {
                return Err(format!(
                    "dump format version {version}; this reader knows version {FORMAT_VERSION} \
                     (specstar 0.12.3)"
                ));
            }
            (State::Top, Record::ModelStart { model }) => State::Model {
                model: model.clone(),
                phase: Phase::Empty,
            },
            (State::Top, Record::End) => State::Ended,
            (State::Model { model, phase }, record) => in_model(model, phase, record)?,
            (State::Start, other) => {
                return Err(format!("expected the header, found a {}", other.kind()));
            }
            (_, other) => {
                return Err(format!(
                    "out of order: a {} outside of any model's section",
                    other.kind()
                ));
            }
        };
        Ok(())
    }
}

/// The state after `record` inside the section of `model`.
fn in_model(model: String, phase: Phase, record: &Record) -> Result<State, String> {
    let phase = match (phase, record) {
        (_, Record::ModelEnd { model: ended }) if *ended == model => return Ok(State::Top),
        (_, Record::ModelEnd { model: ended }) => {
            return Err(format!(
                "out of order: the end of model {ended:?} inside the section of {model:?}"
            ));
        }
        (Phase::Empty | Phase::Resource(_), Record::Meta(meta)) => {
            Phase::Resource(meta.resource_id.clone())
        }
        (Phase::Resource(id), Record::Revision(revision)) if revision.resource_id == id => {
            Phase::Resource(id)
        }
        (Phase::Resource(id), Record::Revision(revision)) => {
            return Err(format!(
                "out of order: a revision of {:?} after the meta of {id:?}",
                revision.resource_id
            ));
        }
        (_, Record::Blob(_)) => Phase::Blobs,
        (Phase::Empty, Record::Revision(revision)) => {
            return Err(format!(
                "out of order: a revision of {:?} before any meta",
                revision.resource_id
            ));
        }
        (_, other) => {
            return Err(format!(
                "out of order: a {} inside the section of model {model:?}",
                other.kind()
            ));
        }
    };
    Ok(State::Model { model, phase })
}

impl<R: Read> Iterator for Reader<R> {
    type Item = Result<Record, Error>;

    fn next(&mut self) -> Option<Self::Item> {
        if matches!(self.state, State::Done) {
            return None;
        }
        self.last = (self.frame, self.offset);
        match self.next_record() {
            Ok(Some(record)) => Some(Ok(record)),
            Ok(None) => {
                self.state = State::Done;
                None
            }
            Err(message) => {
                self.state = State::Done;
                Some(Err(self.error_at_last(message)))
            }
        }
    }
}

/// Fills `buf` as far as the input goes; how many bytes came.
fn read_up_to(input: &mut impl Read, buf: &mut [u8]) -> Result<usize, String> {
    let mut got = 0;
    while got < buf.len() {
        match input.read(&mut buf[got..]) {
            Ok(0) => break,
            Ok(n) => got += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(format!("cannot read the archive: {e}")),
        }
    }
    Ok(got)
}

/// Decodes one frame's payload: a msgpack map tagged by its `t` field.
fn record(payload: &[u8]) -> Result<Record, String> {
    let mut fields = Fields::new("the record", decode::whole_value(payload)?)?;
    let tag = fields.string("t")?;
    Ok(match tag.as_str() {
        "HeaderRecord" => Record::Header {
            version: fields.u64("version")?,
        },
        "ModelStartRecord" => Record::ModelStart {
            model: fields.string("model_name")?,
        },
        "MetaRecord" => Record::Meta(meta(&fields.bytes("data")?)?),
        "RevisionRecord" => Record::Revision(revision(&fields.bytes("data")?)?),
        "BlobRecord" => Record::Blob(ArchivedBlob {
            file_id: fields.string("file_id")?,
            data: fields.bytes("blob_data")?,
            size: fields.u64("size")?,
            content_type: fields.string("content_type")?,
        }),
        "ModelEndRecord" => Record::ModelEnd {
            model: fields.string("model_name")?,
        },
        "EofRecord" => Record::End,
        other => return Err(format!("unknown record kind {other:?}")),
    })
}

/// A `MetaRecord`'s bytes: a msgpack `ResourceMeta`.
fn meta(bytes: &[u8]) -> Result<ArchivedMeta, String> {
    let mut f = Fields::new("the meta", decode::whole_value(bytes)?)?;
    Ok(ArchivedMeta {
        resource_id: f.string("resource_id")?,
        current_revision_id: f.string("current_revision_id")?,
        schema_version: f.opt_string("schema_version")?,
        total_revision_count: f.u64("total_revision_count")?,
        created_time: f.time("created_time")?,
        updated_time: f.time("updated_time")?,
        created_by: f.string("created_by")?,
        updated_by: f.string("updated_by")?,
        is_deleted: f.bool_or("is_deleted", false)?,
        indexed_data: f.opt_json_map("indexed_data")?,
    })
}

/// A `RevisionRecord`'s bytes: a msgpack `RawResource`, `{info: RevisionInfo, raw_data}`.
fn revision(bytes: &[u8]) -> Result<ArchivedRevision, String> {
    let mut outer = Fields::new("the revision", decode::whole_value(bytes)?)?;
    let raw_data = outer.bytes("raw_data")?;
    let info = outer
        .take("info")
        .ok_or("the revision has no field `info`")?;
    let mut f = Fields::new("the revision info", info)?;
    let status = match f.string("status")?.as_str() {
        "draft" => Status::Draft,
        "stable" => Status::Stable,
        other => {
            return Err(format!(
                "the revision's status {other:?} is neither draft nor stable"
            ));
        }
    };
    let (encoding, data) = data(&raw_data)?;
    Ok(ArchivedRevision {
        uid: f.string("uid")?,
        resource_id: f.string("resource_id")?,
        revision_id: f.string("revision_id")?,
        parent_revision_id: f.opt_string("parent_revision_id")?,
        parent_schema_version: f.opt_string("parent_schema_version")?,
        schema_version: f.opt_string("schema_version")?,
        data_hash: f.opt_string("data_hash")?,
        status,
        created_time: f.time("created_time")?,
        updated_time: f.time("updated_time")?,
        created_by: f.string("created_by")?,
        updated_by: f.string("updated_by")?,
        encoding,
        raw_data,
        data,
    })
}

/// A revision's data: a model's data is a msgspec `Struct`, so JSON starts with `{` and
/// msgpack with a map's first byte, which `{` (a msgpack integer) never is.
fn data(raw: &[u8]) -> Result<(DataEncoding, serde_json::Value), String> {
    match raw.first() {
        None => Err("the revision's data is empty".to_owned()),
        Some(b'{') => serde_json::from_slice(raw)
            .map(|data| (DataEncoding::Json, data))
            .map_err(|e| format!("the revision's JSON data does not parse: {e}")),
        Some(_) => {
            let value = decode::whole_value(raw)
                .map_err(|e| format!("the revision's msgpack data: {e}"))?;
            decode::to_json(value)
                .map(|data| (DataEncoding::Msgpack, data))
                .map_err(|e| format!("the revision's msgpack data: {e}"))
        }
    }
}

/// One step of [`Resources`].
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Item {
    /// A model's section begins; its resources and blobs follow.
    ModelStart(String),
    /// A resource and all its revisions.
    Resource(ArchivedResource),
    /// A blob of the current model.
    Blob(ArchivedBlob),
    /// A model's section ends.
    ModelEnd(String),
}

/// A resource with all its archived revisions.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct ArchivedResource {
    pub(crate) model: String,
    pub(crate) resource_id: String,
    /// Soft-deleted in the archive (`meta.is_deleted`).
    pub(crate) deleted: bool,
    pub(crate) meta: ArchivedMeta,
    /// In the archive's order: the reference's store order, not always by number.
    pub(crate) revisions: Vec<ArchivedRevision>,
}

/// An archive one resource at a time: see [`Reader::resources`].
#[derive(Debug)]
pub(crate) struct Resources<R> {
    reader: Reader<R>,
    model: String,
    /// A record read past the revisions of the previous resource.
    pending: Option<Record>,
    done: bool,
}

impl<R: Read> Resources<R> {
    fn next_record(&mut self) -> Option<Result<Record, Error>> {
        self.pending.take().map(Ok).or_else(|| self.reader.next())
    }

    /// The resource of `meta`: its revisions are the records up to the next other one.
    fn resource(&mut self, meta: ArchivedMeta) -> Result<ArchivedResource, Error> {
        let at = self.reader.last;
        let mut revisions = Vec::new();
        #[allow(
            clippy::while_let_on_iterator,
            reason = "the body reads the reader's position between records"
        )]
        while let Some(record) = self.reader.next() {
            match record? {
                Record::Revision(revision) => self.add(&mut revisions, revision)?,
                other => {
                    self.pending = Some(other);
                    break;
                }
            }
        }
        if !revisions
            .iter()
            .any(|r| r.revision_id == meta.current_revision_id)
        {
            return Err(Error::Frame {
                frame: at.0,
                offset: at.1,
                message: format!(
                    "the current revision {:?} of {:?} is not in the archive",
                    meta.current_revision_id, meta.resource_id
                ),
            });
        }
        Ok(ArchivedResource {
            model: self.model.clone(),
            resource_id: meta.resource_id.clone(),
            deleted: meta.is_deleted,
            meta,
            revisions,
        })
    }

    /// Adds `revision` to those of its resource. The reference's memory store lists a migrated
    /// revision twice, so the same record twice is one revision; two different records with one
    /// revision id are an error.
    fn add(
        &self,
        revisions: &mut Vec<ArchivedRevision>,
        revision: ArchivedRevision,
    ) -> Result<(), Error> {
        match revisions
            .iter()
            .find(|r| r.revision_id == revision.revision_id)
        {
            None => revisions.push(revision),
            Some(same) if *same == revision => {}
            Some(_) => {
                return Err(self.reader.error_at_last(format!(
                    "a second, different revision {:?}",
                    revision.revision_id
                )));
            }
        }
        Ok(())
    }

    fn step(&mut self) -> Option<Result<Item, Error>> {
        loop {
            let record = match self.next_record()? {
                Ok(record) => record,
                Err(e) => return Some(Err(e)),
            };
            return Some(Ok(match record {
                Record::Header { .. } => continue,
                // Whatever follows the end record is an error the reader reports.
                Record::End => {
                    return match self.reader.next() {
                        Some(Err(e)) => Some(Err(e)),
                        _ => None,
                    };
                }
                Record::ModelStart { model } => {
                    self.model.clone_from(&model);
                    Item::ModelStart(model)
                }
                Record::Meta(meta) => match self.resource(meta) {
                    Ok(resource) => Item::Resource(resource),
                    Err(e) => return Some(Err(e)),
                },
                Record::Blob(blob) => Item::Blob(blob),
                Record::ModelEnd { model } => Item::ModelEnd(model),
                // The reader refuses a revision that follows no meta; `resource` takes the others.
                Record::Revision(revision) => {
                    return Some(Err(self.reader.error_at_last(format!(
                        "out of order: a revision of {:?} before any meta",
                        revision.resource_id
                    ))));
                }
            }));
        }
    }
}

impl<R: Read> Iterator for Resources<R> {
    type Item = Result<Item, Error>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        let item = self.step();
        if !matches!(item, Some(Ok(_))) {
            self.done = true;
        }
        item
    }
}
