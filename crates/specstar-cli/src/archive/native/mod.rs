//! specstar's own archive: the whole store, every model, every resource with its head and all
//! its revisions exactly as stored, and every purge event. The format is described in
//! `docs/archive-format.md`; in short:
//!
//! - the file is one zstd stream of frames;
//! - a frame is its kind (one ASCII byte), its payload's length (u32, big-endian), the payload
//!   (UTF-8 JSON) and a checksum (u64, big-endian: xxh3-64 of the kind, length and payload);
//! - frames come in this order: one header (`H`), the resources (`R`) by resource id, the
//!   purge events (`P`) by sequence, one trailer (`T`) with the counts and an xxh3-128 digest
//!   of every byte of the frames before it.
//!
//! Nothing in an archive depends on the store it came from or on when it was written, so the
//! same history exports to the same bytes from every store.

use std::io::Write;

use anyhow::Context;
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;
use specstar::{ChainHash, DataHash, PurgeEvent, ResourceMeta, RevisionInfo, StoredResource};
use xxhash_rust::xxh3::{Xxh3, xxh3_64};

pub(crate) mod read;

/// The format's name, in the header.
pub(crate) const FORMAT: &str = "specstar-archive";
/// The format version this code writes and reads.
pub(crate) const VERSION: u32 = 1;
/// The largest payload a frame may have (a resource with its whole history).
const MAX_PAYLOAD: u32 = 1 << 30;

/// A model as the header describes it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub(crate) struct ArchivedModel {
    pub(crate) name: String,
    pub(crate) schema_version: String,
    pub(crate) indexes: Vec<String>,
    /// The model's JSON Schema, when the export was given the model files; else `null`.
    pub(crate) schema: Option<serde_json::Value>,
}

#[derive(Debug, Serialize, Deserialize)]
struct Header {
    format: String,
    version: u32,
    models: Vec<ArchivedModel>,
}

#[derive(Debug, Serialize, Deserialize)]
struct HeadRecord {
    meta: ResourceMeta,
    data_hash: DataHash,
    chain_hash: ChainHash,
}

#[derive(Debug, Serialize, Deserialize)]
struct RevisionRecord {
    info: RevisionInfo,
    /// The canonical JSON bytes, embedded as they are; absent for a pruned revision.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    data: Option<Box<RawValue>>,
    /// Whether retention dropped the data (the info stays).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pruned: bool,
}

#[derive(Debug, Serialize, Deserialize)]
struct ResourceRecord {
    head: HeadRecord,
    revisions: Vec<RevisionRecord>,
}

#[derive(Debug, Serialize, Deserialize)]
struct PurgeRecord {
    sequence: u64,
    resource_id: specstar::ResourceId,
    created_time: specstar::Timestamp,
    created_by: String,
}

/// What an archive holds, as its trailer counts it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Counts {
    pub(crate) resources: u64,
    pub(crate) revisions: u64,
    pub(crate) purges: u64,
}

#[derive(Debug, Serialize, Deserialize)]
struct Trailer {
    #[serde(flatten)]
    counts: Counts,
    frames: u64,
    digest: String,
}

/// Writes an archive: [`header`](Self::new), then resources, then purges, then
/// [`finish`](Self::finish).
pub(crate) struct Writer<W: Write> {
    out: zstd::Encoder<'static, W>,
    digest: Xxh3,
    frames: u64,
    counts: Counts,
}

impl<W: Write> Writer<W> {
    /// Starts an archive of `models` on `out`.
    pub(crate) fn new(out: W, models: Vec<ArchivedModel>) -> anyhow::Result<Self> {
        let out = zstd::Encoder::new(out, 3).context("cannot start the zstd stream")?;
        let mut writer = Self {
            out,
            digest: Xxh3::new(),
            frames: 0,
            counts: Counts::default(),
        };
        let header = Header {
            format: FORMAT.into(),
            version: VERSION,
            models,
        };
        writer.frame(b'H', &serde_json::to_vec(&header)?)?;
        Ok(writer)
    }

    /// Adds a resource (resources come in resource id order).
    pub(crate) fn resource(&mut self, resource: &StoredResource) -> anyhow::Result<()> {
        let revisions = resource
            .revisions
            .iter()
            .map(|revision| {
                if revision.is_pruned() {
                    return Ok(RevisionRecord {
                        info: revision.info.clone(),
                        data: None,
                        pruned: true,
                    });
                }
                let text =
                    std::str::from_utf8(&revision.data).context("stored data is not UTF-8")?;
                Ok(RevisionRecord {
                    info: revision.info.clone(),
                    data: Some(
                        RawValue::from_string(text.to_owned())
                            .context("stored data is not JSON")?,
                    ),
                    pruned: false,
                })
            })
            .collect::<anyhow::Result<Vec<_>>>()?;
        let record = ResourceRecord {
            head: HeadRecord {
                meta: resource.head.meta.clone(),
                data_hash: resource.head.data_hash,
                chain_hash: resource.head.chain_hash,
            },
            revisions,
        };
        self.frame(b'R', &serde_json::to_vec(&record)?)?;
        self.counts.resources += 1;
        self.counts.revisions += resource.revisions.len() as u64;
        Ok(())
    }

    /// Adds a purge event (after every resource, in sequence order).
    pub(crate) fn purge(&mut self, event: &PurgeEvent) -> anyhow::Result<()> {
        let record = PurgeRecord {
            sequence: event.sequence,
            resource_id: event.resource_id.clone(),
            created_time: event.created_time,
            created_by: event.created_by.to_string(),
        };
        self.frame(b'P', &serde_json::to_vec(&record)?)?;
        self.counts.purges += 1;
        Ok(())
    }

    /// Writes the trailer and ends the stream; answers the counts.
    pub(crate) fn finish(mut self) -> anyhow::Result<Counts> {
        let trailer = Trailer {
            counts: self.counts,
            frames: self.frames,
            digest: format!("xxh3_128:{:032x}", self.digest.digest128()),
        };
        let payload = serde_json::to_vec(&trailer)?;
        self.frame(b'T', &payload)?;
        let mut out = self.out.finish().context("cannot end the zstd stream")?;
        out.flush().context("cannot write the archive")?;
        Ok(self.counts)
    }

    fn frame(&mut self, kind: u8, payload: &[u8]) -> anyhow::Result<()> {
        let length = u32::try_from(payload.len())
            .ok()
            .filter(|&l| l <= MAX_PAYLOAD)
            .context("a record is larger than an archive frame holds (1 GiB)")?;
        let mut bytes = Vec::with_capacity(payload.len() + 13);
        bytes.push(kind);
        bytes.extend_from_slice(&length.to_be_bytes());
        bytes.extend_from_slice(payload);
        let checksum = xxh3_64(&bytes);
        bytes.extend_from_slice(&checksum.to_be_bytes());
        self.digest.update(&bytes);
        self.out
            .write_all(&bytes)
            .context("cannot write the archive")?;
        self.frames += 1;
        Ok(())
    }
}
