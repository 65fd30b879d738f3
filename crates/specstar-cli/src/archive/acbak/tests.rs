//! The reader on archives made by the reference (`tests/fixtures/acbak`, see its `make.py`),
//! and on broken ones.

use serde_json::json;

use super::*;

const ONE_MODEL: &[u8] = include_bytes!("../../../tests/fixtures/acbak/one_model.acbak");
const TWO_MODELS: &[u8] = include_bytes!("../../../tests/fixtures/acbak/two_models.acbak");
const EMPTY: &[u8] = include_bytes!("../../../tests/fixtures/acbak/empty.acbak");
const WITH_BLOB: &[u8] = include_bytes!("../../../tests/fixtures/acbak/with_blob.acbak");
const MIGRATED: &[u8] = include_bytes!("../../../tests/fixtures/acbak/migrated.acbak");
const FIXTURES: [&[u8]; 5] = [ONE_MODEL, TWO_MODELS, EMPTY, WITH_BLOB, MIGRATED];

fn items(bytes: &[u8]) -> Vec<Item> {
    Reader::new(bytes)
        .resources()
        .collect::<Result<_, _>>()
        .expect("a fixture reads")
}

fn resources(bytes: &[u8]) -> Vec<ArchivedResource> {
    items(bytes)
        .into_iter()
        .filter_map(|item| match item {
            Item::Resource(resource) => Some(resource),
            _ => None,
        })
        .collect()
}

/// The reference's times in `make.py`: 2026-01-02T03:<minute>:05.123456Z.
fn at(minute: u32) -> Timestamp {
    format!("2026-01-02T03:{minute:02}:05.123456Z")
        .parse()
        .expect("a time")
}

fn ids(revisions: &[ArchivedRevision]) -> Vec<&str> {
    revisions.iter().map(|r| r.revision_id.as_str()).collect()
}

#[test]
fn one_model_gives_every_resource_and_revision() {
    let items = items(ONE_MODEL);
    assert_eq!(items.first(), Some(&Item::ModelStart("document".into())));
    assert_eq!(items.last(), Some(&Item::ModelEnd("document".into())));
    let all = resources(ONE_MODEL);
    let names: Vec<_> = all.iter().map(|r| r.resource_id.as_str()).collect();
    assert_eq!(
        names,
        ["document:doc-a", "document:doc-b", "document:doc-c"]
    );
    assert!(all.iter().all(|r| r.model == "document"));

    let a = &all[0];
    assert!(!a.deleted);
    assert_eq!(
        ids(&a.revisions),
        ["document:doc-a:1", "document:doc-a:2", "document:doc-a:3"]
    );
    let parents: Vec<_> = a
        .revisions
        .iter()
        .map(|r| r.parent_revision_id.as_deref())
        .collect();
    assert_eq!(
        parents,
        [None, Some("document:doc-a:1"), Some("document:doc-a:2")]
    );
    let users: Vec<_> = a.revisions.iter().map(|r| r.created_by.as_str()).collect();
    assert_eq!(users, ["alice", "bob", "alice"]);
    let times: Vec<_> = a.revisions.iter().map(|r| r.created_time).collect();
    assert_eq!(times, [at(0), at(1), at(2)]);
    for revision in &a.revisions {
        assert_eq!(revision.schema_version.as_deref(), Some("v1"));
        assert_eq!(revision.status, Status::Stable);
        assert_eq!(revision.encoding, DataEncoding::Json);
        assert_eq!(revision.updated_time, revision.created_time);
        assert_eq!(revision.parent_schema_version, None);
        assert!(
            revision
                .data_hash
                .as_deref()
                .is_some_and(|h| h.starts_with("xxh3_128:"))
        );
        assert_eq!(
            serde_json::from_slice::<serde_json::Value>(&revision.raw_data)
                .ok()
                .as_ref(),
            Some(&revision.data)
        );
    }
    assert_eq!(
        a.revisions[1].data,
        json!({"title": "A2", "author": {"name": "Alice", "email": "alice@example.com"},
               "tags": ["x", "y"], "state": "review", "word_count": 10, "due": null})
    );
    assert_eq!(a.revisions[2].data["due"], "2026-02-01T00:00:00Z");
    assert_eq!(a.meta.current_revision_id, "document:doc-a:3");
    assert_eq!(a.meta.total_revision_count, 3);
    assert_eq!((a.meta.created_time, a.meta.updated_time), (at(0), at(2)));
    assert_eq!(
        a.meta
            .indexed_data
            .as_ref()
            .map(|d| serde_json::Value::Object(d.clone())),
        Some(json!({"author.name": "Alice", "state": "published", "word_count": 12}))
    );

    let b = &all[1];
    assert_eq!(ids(&b.revisions), ["document:doc-b:1"]);
    assert!(!b.deleted);
    assert_eq!(
        b.revisions[0].data["author"],
        json!({"name": "Bob", "email": null})
    );

    let c = &all[2];
    assert!(c.deleted && c.meta.is_deleted);
    assert_eq!(ids(&c.revisions), ["document:doc-c:1"]);
    assert_eq!(c.revisions[0].created_by, "carol");
    // The delete is only on the meta: who and when, no revision.
    assert_eq!(
        (c.meta.updated_by.as_str(), c.meta.updated_time),
        ("dave", at(5))
    );
    assert_eq!(c.meta.current_revision_id, "document:doc-c:1");
}

#[test]
fn two_models_and_msgpack_data() {
    let items = items(TWO_MODELS);
    let sections: Vec<_> = items
        .iter()
        .filter_map(|item| match item {
            Item::ModelStart(m) => Some(format!("start {m}")),
            Item::ModelEnd(m) => Some(format!("end {m}")),
            _ => None,
        })
        .collect();
    assert_eq!(
        sections,
        ["start document", "end document", "start task", "end task"]
    );
    let all = resources(TWO_MODELS);
    let names: Vec<_> = all
        .iter()
        .map(|r| (r.model.as_str(), r.resource_id.as_str()))
        .collect();
    assert_eq!(
        names,
        [
            ("document", "document:doc-d"),
            ("task", "task:t1"),
            ("task", "task:t2")
        ]
    );
    let t1 = &all[1];
    assert_eq!(ids(&t1.revisions), ["task:t1:1", "task:t1:2"]);
    assert_eq!(t1.meta.schema_version, None);
    for revision in &t1.revisions {
        assert_eq!(revision.encoding, DataEncoding::Msgpack);
        assert_eq!(revision.schema_version, None);
    }
    assert_eq!(
        t1.revisions[0].data,
        json!({"name": "t1", "points": 3, "done": false, "owner": null})
    );
    assert_eq!(
        t1.revisions[1].data,
        json!({"name": "t1", "points": 5, "done": true, "owner": "erin"})
    );
    assert_eq!(
        (
            t1.revisions[1].created_by.as_str(),
            t1.revisions[1].created_time
        ),
        ("frank", at(12))
    );
    assert_eq!(
        all[2].revisions[0].data,
        json!({"name": "t2", "points": null, "done": false, "owner": null})
    );
}

#[test]
fn an_empty_store_has_its_model_and_nothing_else() {
    assert_eq!(
        items(EMPTY),
        [
            Item::ModelStart("document".into()),
            Item::ModelEnd("document".into())
        ]
    );
    let records: Vec<_> = Reader::new(EMPTY).collect::<Result<_, _>>().expect("reads");
    assert_eq!(
        records,
        [
            Record::Header { version: 2 },
            Record::ModelStart {
                model: "document".into()
            },
            Record::ModelEnd {
                model: "document".into()
            },
            Record::End,
        ]
    );
}

#[test]
fn blobs_come_after_the_resources() {
    let items = items(WITH_BLOB);
    let [
        Item::ModelStart(_),
        Item::Resource(resource),
        Item::Blob(blob),
        Item::ModelEnd(_),
    ] = items.as_slice()
    else {
        panic!("unexpected items: {items:?}");
    };
    assert_eq!(
        resource.revisions[0].data["file"],
        json!({"file_id": blob.file_id, "size": 6, "content_type": "text/plain"})
    );
    assert_eq!(
        blob,
        &ArchivedBlob {
            file_id: "6bba86c7e069f56d5a10b435f1c8e49c".into(),
            content_type: "text/plain".into(),
            size: 6,
            data: b"hello\n".to_vec(),
        }
    );
}

#[test]
fn every_data_hash_but_a_migrated_one_matches_its_data() {
    for fixture in FIXTURES {
        for resource in resources(fixture) {
            for revision in &resource.revisions {
                // A migrated revision keeps the hash of its data before the migration.
                let expected = revision.parent_schema_version.is_none();
                assert_eq!(
                    revision.hash_matches(),
                    Some(expected),
                    "{}",
                    revision.revision_id
                );
                let mut damaged = revision.clone();
                damaged.raw_data.push(b' ');
                assert_eq!(damaged.hash_matches(), Some(false));
            }
        }
    }
}

#[test]
fn a_migrated_revision_listed_twice_is_one_revision() {
    let all = resources(MIGRATED);
    let [note] = all.as_slice() else {
        panic!("one resource expected: {all:?}");
    };
    assert_eq!(ids(&note.revisions), ["note:n1:1"]);
    let revision = &note.revisions[0];
    assert_eq!(revision.parent_schema_version.as_deref(), Some("v1"));
    assert_eq!(revision.schema_version.as_deref(), Some("v2"));
    assert_eq!(note.meta.schema_version.as_deref(), Some("v2"));
    assert_eq!(revision.data, json!({"text": "hello world", "words": 2}));
    // The record level shows both copies.
    let copies = Reader::new(MIGRATED)
        .filter(|r| matches!(r, Ok(Record::Revision(_))))
        .count();
    assert_eq!(copies, 2);
}

#[test]
fn two_different_revisions_with_one_id_are_an_error() {
    // The frames of one_model: header, start, meta of doc-a, doc-a:1, doc-a:2, ...
    let mut frames = Vec::new();
    let mut rest = ONE_MODEL;
    while let [a, b, c, d, tail @ ..] = rest {
        let length = u32::from_be_bytes([*a, *b, *c, *d]) as usize;
        frames.push(&rest[..4 + length]);
        rest = &tail[length..];
    }
    // doc-a:1 twice, identical: one revision.
    let mut bytes = frames[..4].concat();
    bytes.extend(frames[3]);
    // Then doc-a:2 renamed doc-a:1 (the same length): a different revision with that id.
    let mut renamed = frames[4].to_vec();
    let at = renamed
        .windows(b"doc-a:2".len())
        .position(|w| w == b"doc-a:2")
        .expect("the id is in the frame");
    renamed[at + b"doc-a:".len()] = b'1';
    bytes.extend(&renamed);
    bytes.extend(frames[5..].concat());
    let message = error_of(&bytes);
    assert!(message.starts_with("frame 6 "), "{message}");
    assert!(
        message.contains("a second, different revision \"document:doc-a:1\""),
        "{message}"
    );
}

#[test]
fn open_reads_a_file() {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/acbak/one_model.acbak"
    );
    let count = Reader::open(path).expect("opens").resources().count();
    assert_eq!(count, 5);
    let missing = Reader::open("/nonexistent/x.acbak").expect_err("no file");
    assert!(
        missing.to_string().starts_with("cannot open the archive"),
        "{missing}"
    );
}

/// Reads `bytes` both ways; the items before any error, and the error.
fn read_all(bytes: &[u8]) -> (Vec<Record>, Option<Error>, Vec<Item>, Option<Error>) {
    let mut records = Vec::new();
    let mut record_error = None;
    for record in Reader::new(bytes) {
        match record {
            Ok(record) => records.push(record),
            Err(e) => record_error = Some(e),
        }
    }
    let mut items = Vec::new();
    let mut item_error = None;
    for item in Reader::new(bytes).resources() {
        match item {
            Ok(item) => items.push(item),
            Err(e) => item_error = Some(e),
        }
    }
    (records, record_error, items, item_error)
}

#[test]
fn every_truncation_is_an_error_after_a_valid_prefix() {
    for fixture in FIXTURES {
        let (whole, _, whole_items, _) = read_all(fixture);
        for cut in 0..fixture.len() {
            let (records, error, items, item_error) = read_all(&fixture[..cut]);
            assert!(error.is_some(), "cut at {cut}: no error");
            assert!(
                item_error.is_some(),
                "cut at {cut}: no error from resources()"
            );
            assert_eq!(records, whole[..records.len()], "cut at {cut}");
            assert_eq!(items, whole_items[..items.len()], "cut at {cut}");
        }
    }
}

#[test]
fn flipped_bytes_never_panic() {
    for fixture in FIXTURES {
        for at in 0..fixture.len() {
            for mask in [0xff_u8, 0x01, 0x80] {
                let mut bytes = fixture.to_vec();
                bytes[at] ^= mask;
                // Either reads (a flip inside a string) or stops at an error; never panics.
                let _ = read_all(&bytes);
            }
        }
    }
}

/// One frame around a msgpack value.
fn frame(value: &rmpv::Value) -> Vec<u8> {
    let mut payload = Vec::new();
    rmpv::encode::write_value(&mut payload, value).expect("encodes");
    let mut out = u32::try_from(payload.len())
        .expect("small")
        .to_be_bytes()
        .to_vec();
    out.extend(payload);
    out
}

fn tagged(tag: &str, fields: Vec<(&str, rmpv::Value)>) -> Vec<u8> {
    let mut entries = vec![(rmpv::Value::from("t"), rmpv::Value::from(tag))];
    entries.extend(fields.into_iter().map(|(k, v)| (rmpv::Value::from(k), v)));
    frame(&rmpv::Value::Map(entries))
}

fn error_of(bytes: &[u8]) -> String {
    // The reader's error, or the grouping's (which the reader cannot see).
    match read_all(bytes) {
        (_, Some(e), _, Some(_)) | (_, None, _, Some(e)) => e.to_string(),
        other => panic!("no error: {other:?}"),
    }
}

#[test]
fn errors_name_the_frame_and_offset() {
    let header = tagged("HeaderRecord", vec![("version", 2.into())]);
    let start = tagged("ModelStartRecord", vec![("model_name", "m".into())]);
    let end = tagged("EofRecord", vec![]);

    let unknown = [header.clone(), tagged("Surprise", vec![])].concat();
    assert_eq!(
        error_of(&unknown),
        format!(
            "frame 2 (at byte {}): unknown record kind \"Surprise\"",
            header.len()
        )
    );

    let version = tagged("HeaderRecord", vec![("version", 3.into())]);
    assert!(error_of(&version).starts_with("frame 1 (at byte 0): dump format version 3"));

    let orphan = tagged(
        "RevisionRecord",
        vec![("data", rmpv::Value::Binary(vec![0x80]))],
    );
    let revision_first = [header.clone(), start.clone(), orphan].concat();
    let message = error_of(&revision_first);
    assert!(message.starts_with("frame 3 "), "{message}");

    let no_model = [
        header.clone(),
        tagged("ModelEndRecord", vec![("model_name", "m".into())]),
    ]
    .concat();
    assert!(
        error_of(&no_model).contains("out of order"),
        "{}",
        error_of(&no_model)
    );

    let trailing = [header.clone(), end.clone(), end.clone()].concat();
    assert!(error_of(&trailing).contains("data after the end record"));

    let unended = [header.clone(), start].concat();
    assert!(error_of(&unended).contains("without its end record"));

    let zero = [header.clone(), vec![0, 0, 0, 0]].concat();
    assert!(error_of(&zero).contains("bad length"));

    let huge = [header.clone(), vec![0xff, 0xff, 0xff, 0xff, 1, 2]].concat();
    assert!(
        error_of(&huge).contains("says 4294967295 bytes"),
        "{}",
        error_of(&huge)
    );

    assert!(error_of(&[]).contains("empty"));
    assert!(error_of(&end).contains("expected the header"));
}

#[test]
fn naive_and_wide_times_read() {
    use rmpv::Value;
    assert_eq!(
        decode::time(&Value::from("2026-01-02T03:00:05")).ok(),
        "2026-01-02T03:00:05Z".parse().ok()
    );
    // The 96-bit form, before 1970: as msgspec writes 1960-01-02T03:00:05Z.
    let wide = Value::Ext(
        -1,
        vec![0, 0, 0, 0, 0xff, 0xff, 0xff, 0xff, 0xed, 0x31, 0x84, 0x35],
    );
    assert_eq!(
        decode::time(&wide).ok(),
        "1960-01-02T03:00:05Z".parse().ok()
    );
    let seconds = Value::Ext(-1, vec![0x69, 0x57, 0x34, 0xb5]);
    assert_eq!(
        decode::time(&seconds).ok(),
        "2026-01-02T03:00:05Z".parse().ok()
    );
    // Half a second before 1970: seconds -1, nanoseconds 500,000,000.
    let mut before = 500_000_000_u32.to_be_bytes().to_vec();
    before.extend((-1_i64).to_be_bytes());
    assert_eq!(
        decode::time(&Value::Ext(-1, before)).ok(),
        "1969-12-31T23:59:59.5Z".parse().ok()
    );
    assert!(decode::time(&Value::Ext(-1, vec![0; 5])).is_err());
    assert!(decode::time(&Value::Ext(-1, vec![0xff; 12])).is_err());
}
