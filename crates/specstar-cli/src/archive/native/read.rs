//! Reading an archive back: every frame's checksum, their order, the trailer's counts and
//! digest are checked as it goes, each error naming its frame.

use std::io::Read;

use anyhow::{Context, bail, ensure};
use serde_json::value::RawValue;
use specstar::{PurgeEvent, StoredResource};
use xxhash_rust::xxh3::{Xxh3, xxh3_64};

use super::{
    ArchivedModel, Counts, FORMAT, Header, MAX_PAYLOAD, PurgeRecord, ResourceRecord, Trailer,
    VERSION,
};

/// One item of an archive, as [`Reader`] yields it.
#[derive(Debug)]
pub(crate) enum Item {
    Resource(StoredResource),
    Purge(PurgeEvent),
}

/// Reads an archive, checking every frame's checksum, their order and the trailer.
pub(crate) struct Reader<R: Read> {
    input: zstd::Decoder<'static, std::io::BufReader<R>>,
    digest: Xxh3,
    frames: u64,
    counts: Counts,
    models: Vec<ArchivedModel>,
    in_purges: bool,
    done: bool,
}

impl<R: Read> Reader<R> {
    /// Opens an archive and reads its header.
    pub(crate) fn new(input: R) -> anyhow::Result<Self> {
        let input = zstd::Decoder::new(input).context("not a zstd stream")?;
        let mut reader = Self {
            input,
            digest: Xxh3::new(),
            frames: 0,
            counts: Counts::default(),
            models: Vec::new(),
            in_purges: false,
            done: false,
        };
        let Some((kind, payload)) = reader.frame()? else {
            bail!("the archive is empty: it has no header");
        };
        ensure!(
            kind == b'H',
            "frame 1 is not a header: not a specstar archive"
        );
        let header: Header = serde_json::from_slice(&payload).context("frame 1: a bad header")?;
        ensure!(
            header.format == FORMAT && header.version == VERSION,
            "frame 1: format {} version {}, this specstar reads {FORMAT} version {VERSION}",
            header.format,
            header.version
        );
        reader.models = header.models;
        Ok(reader)
    }

    /// The models the header lists.
    pub(crate) fn models(&self) -> &[ArchivedModel] {
        &self.models
    }

    /// The next resource or purge event; `None` after a trailer that checks out.
    pub(crate) fn next_item(&mut self) -> anyhow::Result<Option<Item>> {
        if self.done {
            return Ok(None);
        }
        let number = self.frames + 1;
        let Some((kind, payload)) = self.frame()? else {
            bail!("frame {number}: the archive ends without its trailer (truncated?)");
        };
        let at = || format!("frame {number}");
        match kind {
            b'R' if !self.in_purges => {
                let record: ResourceRecord = serde_json::from_slice(&payload).with_context(at)?;
                self.counts.resources += 1;
                self.counts.revisions += record.revisions.len() as u64;
                Ok(Some(Item::Resource(resource(record).with_context(at)?)))
            }
            b'P' => {
                self.in_purges = true;
                let record: PurgeRecord = serde_json::from_slice(&payload).with_context(at)?;
                self.counts.purges += 1;
                Ok(Some(Item::Purge(PurgeEvent {
                    sequence: record.sequence,
                    resource_id: record.resource_id,
                    created_time: record.created_time,
                    created_by: record.created_by.into(),
                })))
            }
            b'T' => {
                self.trailer(number, &payload)?;
                Ok(None)
            }
            other => bail!(
                "frame {number}: a frame of kind {:?} here",
                char::from(other)
            ),
        }
    }

    /// Checks the trailer against what was read, and that nothing follows it.
    fn trailer(&mut self, number: u64, payload: &[u8]) -> anyhow::Result<()> {
        let trailer: Trailer = serde_json::from_slice(payload)
            .with_context(|| format!("frame {number}: a bad trailer"))?;
        ensure!(
            trailer.counts == self.counts && trailer.frames == number - 1,
            "frame {number}: the trailer counts {:?} in {} frames, the archive holds {:?} in {}",
            trailer.counts,
            trailer.frames,
            self.counts,
            number - 1
        );
        let mut rest = [0_u8; 1];
        ensure!(
            self.input
                .read(&mut rest)
                .context("cannot read the archive")?
                == 0,
            "frame {number}: bytes follow the trailer"
        );
        self.done = true;
        Ok(())
    }

    /// The next frame's kind and payload, checked; `None` at the clean end of the stream.
    fn frame(&mut self) -> anyhow::Result<Option<(u8, Vec<u8>)>> {
        let number = self.frames + 1;
        let unreadable =
            || format!("frame {number}: the archive cannot be read (truncated or corrupt?)");
        let mut start = [0_u8; 5];
        match read_exact_or_end(&mut self.input, &mut start).with_context(unreadable)? {
            0 => return Ok(None),
            5 => {}
            _ => bail!("frame {number}: the archive is cut short in a frame's start (truncated?)"),
        }
        let length = u32::from_be_bytes([start[1], start[2], start[3], start[4]]);
        ensure!(
            length <= MAX_PAYLOAD,
            "frame {number}: a length of {length} bytes is corrupt"
        );
        // Read as it comes, not into a buffer of the length the frame claims: a corrupt
        // length never reserves a gigabyte.
        let mut rest = Vec::new();
        (&mut self.input)
            .take(u64::from(length) + 8)
            .read_to_end(&mut rest)
            .with_context(unreadable)?;
        ensure!(
            rest.len() == length as usize + 8,
            "frame {number}: the archive is cut short in a frame (truncated?)"
        );
        let (payload, checksum) = rest.split_at(length as usize);
        let mut bytes = start.to_vec();
        bytes.extend_from_slice(payload);
        let expected = u64::from_be_bytes(checksum.try_into().expect("8 bytes"));
        ensure!(
            xxh3_64(&bytes) == expected,
            "frame {number}: the checksum does not match (corrupt)"
        );
        if start[0] == b'T' {
            let digest = format!("xxh3_128:{:032x}", self.digest.digest128());
            let trailer: serde_json::Value = serde_json::from_slice(payload).unwrap_or_default();
            ensure!(
                trailer["digest"] == digest.as_str(),
                "frame {number}: the archive's digest does not match (corrupt)"
            );
        }
        self.digest.update(&bytes);
        self.digest.update(checksum);
        self.frames += 1;
        Ok(Some((start[0], payload.to_vec())))
    }
}

/// Reads `buf.len()` bytes, or none at the very end; answers how many were read.
fn read_exact_or_end(input: &mut impl Read, buf: &mut [u8]) -> anyhow::Result<usize> {
    let mut read = 0;
    while read < buf.len() {
        let n = input
            .read(&mut buf[read..])
            .context("cannot read the archive")?;
        if n == 0 {
            break;
        }
        read += n;
    }
    Ok(read)
}

fn resource(record: ResourceRecord) -> anyhow::Result<StoredResource> {
    Ok(StoredResource {
        head: specstar::Head {
            meta: record.head.meta,
            data_hash: record.head.data_hash,
            chain_hash: record.head.chain_hash,
        },
        revisions: record
            .revisions
            .into_iter()
            .map(|r| {
                let data = match (&r.data, r.pruned) {
                    (Some(data), false) => bytes_of(data),
                    (None, true) => bytes::Bytes::new(),
                    (Some(_), true) => anyhow::bail!(
                        "revision {} is marked pruned but carries data",
                        r.info.revision_id
                    ),
                    (None, false) => {
                        anyhow::bail!("revision {} has no data", r.info.revision_id)
                    }
                };
                Ok(specstar::StoredRevision { info: r.info, data })
            })
            .collect::<anyhow::Result<_>>()?,
    })
}

fn bytes_of(raw: &RawValue) -> bytes::Bytes {
    bytes::Bytes::copy_from_slice(raw.get().as_bytes())
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use serde_json::json;
    use specstar::{JsonSchemaModel, MemoryStore, Store, StreamExt};

    use super::super::Writer;
    use super::*;

    /// An archive of a small store (two resources, one deleted, a purge), and what was in it.
    async fn archive() -> (Vec<u8>, Vec<StoredResource>, Vec<PurgeEvent>) {
        let store: Arc<dyn Store> = Arc::new(MemoryStore::new());
        let spec = specstar::Spec::with_store(store.clone());
        let model = JsonSchemaModel::new("note", "v1", json!({ "type": "object" }));
        spec.add_model_def(model.build().unwrap()).await.unwrap();
        let notes = spec.dyn_resource_manager("note").unwrap();
        let id = |w: specstar::Written| w.info.resource_id.to_string();
        let a = id(notes
            .create(json!({ "text": "a \"quoted\" é" }))
            .await
            .unwrap());
        notes
            .update(&a, json!({ "text": "a2" }), None)
            .await
            .unwrap();
        let b = id(notes.create(json!({ "text": "b" })).await.unwrap());
        notes.delete(&b, None).await.unwrap();
        let c = id(notes.create(json!({ "text": "c" })).await.unwrap());
        notes.permanently_delete(&c).await.unwrap();
        let (mut resources, mut purges) = (Vec::new(), Vec::new());
        let mut items = store.export().await.unwrap();
        while let Some(item) = items.next().await {
            match item.unwrap() {
                specstar::Exported::Resource(r) => resources.push(r),
                specstar::Exported::Purge(p) => purges.push(p),
                _ => unreachable!("the memory store exports resources and purges"),
            }
        }
        assert_eq!((resources.len(), purges.len()), (2, 1));
        (written(&resources, &purges), resources, purges)
    }

    fn model() -> ArchivedModel {
        ArchivedModel {
            name: "note".into(),
            schema_version: "v1".into(),
            indexes: vec![],
            schema: Some(serde_json::json!({ "type": "object" })),
        }
    }

    /// The archive of these records, as bytes.
    fn written(resources: &[StoredResource], purges: &[PurgeEvent]) -> Vec<u8> {
        let mut buffer = Vec::new();
        let mut writer = Writer::new(&mut buffer, vec![model()]).unwrap();
        for r in resources {
            writer.resource(r).unwrap();
        }
        for p in purges {
            writer.purge(p).unwrap();
        }
        let counts = writer.finish().unwrap();
        assert_eq!(counts.resources, resources.len() as u64);
        buffer
    }

    fn read_all(bytes: &[u8]) -> anyhow::Result<(Vec<StoredResource>, Vec<PurgeEvent>)> {
        let mut reader = Reader::new(bytes)?;
        assert_eq!(reader.models(), [model()]);
        let (mut resources, mut purges) = (Vec::new(), Vec::new());
        while let Some(item) = reader.next_item()? {
            match item {
                Item::Resource(r) => resources.push(r),
                Item::Purge(p) => purges.push(p),
            }
        }
        Ok((resources, purges))
    }

    #[tokio::test]
    async fn an_archive_reads_back_exactly_what_was_written() {
        let (bytes, resources, purges) = archive().await;
        let (read_resources, read_purges) = read_all(&bytes).unwrap();
        assert_eq!(
            read_resources, resources,
            "heads, infos and data bytes as stored"
        );
        assert_eq!(read_purges, purges);
        assert_eq!(
            written(&resources, &purges),
            bytes,
            "the same records, the same bytes"
        );
    }

    /// Reads every item an archive gives, whatever its header says.
    fn read_any(bytes: &[u8]) -> anyhow::Result<usize> {
        let mut reader = Reader::new(bytes)?;
        let mut items = 0;
        while reader.next_item()?.is_some() {
            items += 1;
        }
        Ok(items)
    }

    /// Bounded fuzzing of the reader (`FUZZ_CASES` cases, 256 by default): random cuts, flips
    /// and insertions in the frames of a real archive, and random bytes, are read or refused
    /// with an error, never a panic; a damaged archive never reads as whole.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn damaged_and_random_archives_never_panic() {
        use proptest::prelude::*;
        use proptest::test_runner::{Config, TestRunner};
        let (bytes, resources, purges) = archive().await;
        let items = resources.len() + purges.len();
        let plain = zstd::decode_all(&bytes[..]).unwrap();
        let cases = std::env::var("FUZZ_CASES")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(256);
        let mut runner = TestRunner::new(Config {
            cases,
            failure_persistence: None,
            ..Config::default()
        });
        let edit = (0..plain.len(), any::<u8>(), 0..3u8);
        let strategy = (
            prop::collection::vec(edit, 1..6),
            prop::collection::vec(any::<u8>(), 0..64),
        );
        tokio::task::block_in_place(|| {
            runner
                .run(&strategy, |(edits, noise)| {
                    let mut damaged = plain.clone();
                    for (at, byte, kind) in edits {
                        let at = at.min(damaged.len().saturating_sub(1));
                        match kind {
                            // A flip needs a byte: an earlier cut may have left none.
                            0 if at < damaged.len() => damaged[at] ^= byte | 1,
                            0 => {}
                            1 => damaged.insert(at, byte),
                            _ => damaged.truncate(at),
                        }
                    }
                    if damaged != plain {
                        let read = read_any(&zstd::encode_all(&damaged[..], 1).unwrap());
                        prop_assert!(
                            read.map_or(true, |n| n != items || damaged.len() > plain.len())
                        );
                    }
                    let _ = read_any(&noise);
                    let _ = read_any(&zstd::encode_all(&noise[..], 1).unwrap());
                    Ok(())
                })
                .unwrap();
        });
    }

    #[tokio::test]
    async fn damaged_archives_are_refused_naming_the_frame() {
        let (bytes, resources, purges) = archive().await;
        // The frames, uncompressed, so that a cut or a flipped byte lands in a frame.
        let plain = zstd::decode_all(&bytes[..]).unwrap();
        let recompress = |plain: &[u8]| zstd::encode_all(plain, 3).unwrap();
        for cut in (0..plain.len()).step_by(7) {
            let error = read_all(&recompress(&plain[..cut]))
                .unwrap_err()
                .to_string();
            assert!(
                error.contains("frame") || error.contains("empty"),
                "cut at {cut}: {error}"
            );
        }
        for at in (0..plain.len()).step_by(5) {
            let mut flipped = plain.clone();
            flipped[at] ^= 0x20;
            assert!(
                read_all(&recompress(&flipped)).is_err(),
                "a flipped byte at {at} is found"
            );
        }
        let mut longer = plain.clone();
        longer.push(0);
        let error = read_all(&recompress(&longer)).unwrap_err().to_string();
        assert!(error.contains("bytes follow the trailer"), "{error}");
        assert!(read_all(b"not zstd").is_err());
        assert_eq!(read_all(&bytes).unwrap(), (resources, purges));
    }
}
