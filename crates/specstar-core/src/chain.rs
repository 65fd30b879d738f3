//! The tamper-evident chain: each revision's chain hash covers its parent's chain hash, its
//! revision info and its data bytes, so that rewriting any revision (its data, its author, its
//! time…) changes every chain hash from it to the head.
//!
//! The chain hash is `sha256:` and 64 lowercase hex digits: SHA-256 over length-prefixed fields
//! (each a big-endian `u64` length, then its bytes), in this order:
//!
//! 1. the tag `specstar.chain.v1`;
//! 2. the parent's chain hash as text (empty for revision 1);
//! 3. the revision id;
//! 4. the parent revision id (empty for revision 1);
//! 5. the schema version;
//! 6. the data hash as text;
//! 7. the action's name;
//! 8. `deleted` as `1` or `0`;
//! 9. the created time in microseconds since the Unix epoch, in decimal;
//! 10. the created user;
//! 11. the data bytes (canonical JSON).
//!
//! The store-wide sequence number is left out: it differs between stores and an import
//! renumbers it. The same history therefore has the same chain on every store.
//!
//! The chain is computed once, by the [planner](crate::plan), for every store; [`link`] is the
//! one definition, which the planner, the stores' migrations and verification all call.

use std::fmt;

use schemars::JsonSchema;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use sha2::{Digest, Sha256};

use crate::error::{Error, Result};
use crate::hash::DataHash;
use crate::id::{ResourceId, RevisionId};
use crate::revision::RevisionInfo;
use crate::store::{Head, Store, StoredRevision};

/// The tag that opens every chain hash's input: a new rule gets a new tag.
const TAG: &[u8] = b"specstar.chain.v1";

/// A revision's chain hash: `sha256:` and 64 lowercase hex digits (see the [module](self)).
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct ChainHash([u8; 32]);

impl ChainHash {
    const PREFIX: &'static str = "sha256:";

    /// A value that no SHA-256 gives in practice, held by an info only until the planner links
    /// it.
    pub(crate) const UNLINKED: Self = Self([0; 32]);

    /// Parses the `sha256:<64 lowercase hex>` form.
    pub fn parse(text: &str) -> Option<Self> {
        let hex = text.strip_prefix(Self::PREFIX)?.as_bytes();
        if hex.len() != 64 {
            return None;
        }
        let mut bytes = [0_u8; 32];
        for (byte, pair) in bytes.iter_mut().zip(hex.chunks_exact(2)) {
            *byte = (nibble(pair[0])? << 4) | nibble(pair[1])?;
        }
        Some(Self(bytes))
    }

    /// The 32 bytes of the hash.
    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }
}

/// The value of one lowercase hex digit.
fn nibble(digit: u8) -> Option<u8> {
    match digit {
        b'0'..=b'9' => Some(digit - b'0'),
        b'a'..=b'f' => Some(digit - b'a' + 10),
        _ => None,
    }
}

impl fmt::Display for ChainHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Every write and read formats chain hashes: one buffer, not 32 formatted bytes.
        const DIGITS: &[u8; 16] = b"0123456789abcdef";
        let mut text = [0_u8; 64];
        for (pair, byte) in text.chunks_exact_mut(2).zip(self.0) {
            pair[0] = DIGITS[usize::from(byte >> 4)];
            pair[1] = DIGITS[usize::from(byte & 0x0f)];
        }
        f.write_str(Self::PREFIX)?;
        f.write_str(std::str::from_utf8(&text).expect("hex digits are ASCII"))
    }
}

impl fmt::Debug for ChainHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

impl Serialize for ChainHash {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for ChainHash {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
        Self::parse(&text)
            .ok_or_else(|| serde::de::Error::custom(format!("not a chain hash: {text:?}")))
    }
}

impl JsonSchema for ChainHash {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "ChainHash".into()
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "type": "string",
            "pattern": "^sha256:[0-9a-f]{64}$",
            "description": "SHA-256 over the parent's chain hash, the revision info and the data bytes: the same history has the same chain on every store."
        })
    }
}

/// The chain hash of the revision `info` with data `data`, whose parent's chain hash is
/// `parent` (`None` for revision 1). `info`'s own `chain_hash` and `sequence` are not read.
pub fn link(parent: Option<&ChainHash>, info: &RevisionInfo, data: &[u8]) -> ChainHash {
    let mut hasher = Sha256::new();
    let mut field = |bytes: &[u8]| {
        hasher.update((bytes.len() as u64).to_be_bytes());
        hasher.update(bytes);
    };
    field(TAG);
    field(
        parent
            .map(ToString::to_string)
            .unwrap_or_default()
            .as_bytes(),
    );
    field(info.revision_id.to_string().as_bytes());
    let parent_id = info.parent_revision_id.as_ref().map(ToString::to_string);
    field(parent_id.unwrap_or_default().as_bytes());
    field(info.schema_version.as_bytes());
    field(info.data_hash.to_string().as_bytes());
    field(info.action.as_str().as_bytes());
    field(if info.deleted { b"1" } else { b"0" });
    field(info.created_time.as_micros().to_string().as_bytes());
    field(info.created_by.as_bytes());
    field(data);
    ChainHash(hasher.finalize().into())
}

/// Links a whole history, oldest first, from revision 1: sets each revision's chain hash by
/// [`link`] over the one before. For a store's migration of data written before the chain.
pub fn link_history(revisions: &mut [StoredRevision]) {
    let mut parent: Option<ChainHash> = None;
    for revision in revisions {
        let chain = link(parent.as_ref(), &revision.info, &revision.data);
        revision.info.chain_hash = chain;
        parent = Some(chain);
    }
}

/// How many revisions [`verify`] reads from the store at a time.
const VERIFY_BATCH: u64 = 256;

/// Verifies `resource_id`'s history in `store`, a page of revisions at a time (see
/// [`ChainCheck`] for what is checked).
///
/// # Errors
/// [`Error::ResourceNotFound`] when the resource does not exist; store errors.
pub async fn verify(store: &dyn Store, resource_id: &ResourceId) -> Result<Verification> {
    let not_found = || Error::ResourceNotFound {
        resource_id: resource_id.clone(),
    };
    let head = store.head(resource_id).await?.ok_or_else(not_found)?;
    let last = head.meta.current_revision_id.number();
    let mut check = ChainCheck::new(resource_id.clone());
    let mut after = 0;
    while after < last {
        let page = store
            .revisions_with_data(resource_id, after, VERIFY_BATCH.min(last - after))
            .await?
            .ok_or_else(not_found)?;
        for revision in page.iter().take_while(|r| r.info.number() <= last) {
            check.check(revision);
        }
        match page.last().map(|r| r.info.number()) {
            Some(number) if number > after => after = number,
            // A page that does not move on: the history is shorter than its head says.
            _ => break,
        }
    }
    Ok(check.finish(&head))
}

/// What verifying a resource's chain found (`DynResourceManager::verify`, HTTP
/// `GET /{model}/{id}/verify`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Verification {
    /// The resource verified.
    pub resource_id: ResourceId,
    /// Whether every revision and the head are as their chain says.
    pub valid: bool,
    /// How many revisions were read (the head's revision count when the history is whole).
    pub revisions: u64,
    /// Of those, how many were pruned (their data dropped by retention): their own data hash
    /// and link cannot be recomputed, so their stored chain hash is checked through the next
    /// revision's link, which covers it.
    #[serde(default)]
    pub pruned: u64,
    /// The chain hash the head holds.
    pub head_chain_hash: ChainHash,
    /// The first revision that does not match (its data hash, its number, its parent or its
    /// chain hash), or the head's current revision when only the head is off; absent when
    /// valid.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first_invalid_revision_id: Option<RevisionId>,
}

/// The check of one resource's history, revision by revision, oldest first: what
/// verification means, once, for every store.
///
/// Each revision must be the next number (dense from 1), name the previous one as its parent
/// (none for revision 1), hold data whose hash is its data hash, and hold the chain hash that
/// [`link`] gives over the previous revision's chain hash, its info and its data (a
/// [pruned](crate::retention) revision has no data to hash: its hashes stand as stored, and the
/// next revision's link covers its chain hash). Then the head must point at the last revision,
/// which must not be pruned, and hold its data hash and chain hash. The first revision
/// that fails is reported (a later one is checked against its stored parent, so that one bad
/// revision is not blamed on those after it).
#[derive(Debug)]
pub struct ChainCheck {
    resource_id: ResourceId,
    previous: Option<(RevisionId, ChainHash, DataHash)>,
    revisions: u64,
    pruned: u64,
    last_pruned: bool,
    first_invalid: Option<RevisionId>,
}

impl ChainCheck {
    /// A check of `resource_id`'s history, before its first revision.
    pub fn new(resource_id: ResourceId) -> Self {
        Self {
            resource_id,
            previous: None,
            revisions: 0,
            pruned: 0,
            last_pruned: false,
            first_invalid: None,
        }
    }

    /// Checks the next revision of the history.
    pub fn check(&mut self, revision: &StoredRevision) {
        let info = &revision.info;
        let expected = self.resource_id.revision(self.revisions + 1);
        let parent = self.previous.as_ref().map(|(id, _, _)| id);
        let pruned = revision.is_pruned();
        // A pruned revision's data is gone: its hashes are taken as stored, and the next
        // revision's link (over this chain hash) checks them.
        let fits = info.resource_id == self.resource_id
            && info.revision_id == expected
            && info.parent_revision_id.as_ref() == parent
            && (pruned
                || DataHash::of(&revision.data) == info.data_hash
                    && link(
                        self.previous.as_ref().map(|(_, chain, _)| chain),
                        info,
                        &revision.data,
                    ) == info.chain_hash);
        self.pruned += u64::from(pruned);
        self.last_pruned = pruned;
        if !fits && self.first_invalid.is_none() {
            self.first_invalid = Some(expected);
        }
        self.revisions += 1;
        self.previous = Some((info.revision_id.clone(), info.chain_hash, info.data_hash));
    }

    /// The verdict, once every revision up to the head's current one was checked.
    pub fn finish(self, head: &Head) -> Verification {
        let meta = &head.meta;
        let mut first_invalid = self.first_invalid;
        let head_fits = !self.last_pruned
            && self.previous.as_ref().is_some_and(|(id, chain, data)| {
                *id == meta.current_revision_id
                    && *chain == head.chain_hash
                    && *data == head.data_hash
                    && meta.total_revision_count == self.revisions
            });
        if !head_fits && first_invalid.is_none() {
            first_invalid = Some(meta.current_revision_id.clone());
        }
        Verification {
            resource_id: self.resource_id,
            valid: first_invalid.is_none(),
            revisions: self.revisions,
            pruned: self.pruned,
            head_chain_hash: head.chain_hash,
            first_invalid_revision_id: first_invalid,
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::hash::DataHash;
    use crate::id::ResourceId;
    use crate::revision::Action;
    use crate::time::Timestamp;

    fn info(number: u64, data: &[u8]) -> RevisionInfo {
        let id = ResourceId::parse("issue:a").expect("an id");
        RevisionInfo {
            revision_id: id.revision(number),
            parent_revision_id: (number > 1).then(|| id.revision(number - 1)),
            resource_id: id,
            schema_version: Arc::from("v1"),
            data_hash: DataHash::of(data),
            action: if number == 1 {
                Action::Create
            } else {
                Action::Update
            },
            deleted: false,
            created_time: Timestamp::from_micros(1_700_000_000_000_000).expect("a time"),
            created_by: Arc::from("alice"),
            sequence: 7,
            chain_hash: ChainHash::UNLINKED,
        }
    }

    #[test]
    fn the_text_form_round_trips_and_refuses_other_forms() {
        let hash = link(None, &info(1, b"{}"), b"{}");
        let text = hash.to_string();
        assert_eq!(text.len(), "sha256:".len() + 64);
        assert_eq!(ChainHash::parse(&text), Some(hash));
        let json = serde_json::to_string(&hash).expect("serializes");
        assert_eq!(
            serde_json::from_str::<ChainHash>(&json).expect("parses"),
            hash
        );
        for bad in [
            "sha256:",
            "sha256:zz",
            &text.to_uppercase(),
            &text.replace("sha256:", "sha1:"),
            &format!("{text}0"),
        ] {
            assert_eq!(ChainHash::parse(bad), None, "{bad}");
        }
    }

    #[test]
    fn the_rule_is_pinned() {
        // Pinned (computed apart, in Python, from the rule in the module docs): a change of the
        // rule would break every stored chain.
        let first = link(None, &info(1, br#"{"a":1}"#), br#"{"a":1}"#);
        assert_eq!(
            first.to_string(),
            "sha256:715f74bb3ce56b891ec64530bca614d37b9d166cd215419d70536a7359bd36c8"
        );
    }

    /// A linked history of `n` revisions, and the head over its last one.
    fn history(n: u64) -> (Vec<StoredRevision>, Head) {
        let mut revisions: Vec<StoredRevision> = (1..=n)
            .map(|number| {
                let data = format!(r#"{{"n":{number}}}"#);
                StoredRevision {
                    info: info(number, data.as_bytes()),
                    data: bytes::Bytes::from(data),
                }
            })
            .collect();
        link_history(&mut revisions);
        let last = &revisions[revisions.len() - 1].info;
        let id = last.resource_id.clone();
        let head = Head {
            meta: crate::meta::ResourceMeta {
                resource_id: id.clone(),
                current_revision_id: last.revision_id.clone(),
                total_revision_count: n,
                schema_version: Arc::from("v1"),
                created_time: last.created_time,
                created_by: Arc::from("alice"),
                updated_time: last.created_time,
                updated_by: Arc::from("alice"),
                is_deleted: false,
                indexed_data: Default::default(),
            },
            data_hash: last.data_hash,
            chain_hash: last.chain_hash,
        };
        (revisions, head)
    }

    fn verdict(revisions: &[StoredRevision], head: &Head) -> Verification {
        let mut check = ChainCheck::new(head.meta.resource_id.clone());
        for revision in revisions {
            check.check(revision);
        }
        check.finish(head)
    }

    #[test]
    fn a_linked_history_verifies_and_each_break_is_named() {
        let (revisions, head) = history(4);
        let id = head.meta.resource_id.clone();
        let valid = verdict(&revisions, &head);
        assert!(valid.valid, "{valid:?}");
        assert_eq!(
            (valid.revisions, &valid.first_invalid_revision_id),
            (4, &None)
        );
        let json = serde_json::to_value(&valid).expect("serializes");
        assert!(json.get("first_invalid_revision_id").is_none(), "{json}");

        let first_invalid = |revisions: &[StoredRevision], head: &Head| {
            verdict(revisions, head).first_invalid_revision_id
        };
        // The data edited.
        let mut edited = revisions.clone();
        edited[1].data = bytes::Bytes::from_static(br#"{"n":99}"#);
        assert_eq!(first_invalid(&edited, &head), Some(id.revision(2)));
        // The data and its hash edited together: only the chain tells.
        edited[1].info.data_hash = DataHash::of(&edited[1].data);
        assert_eq!(first_invalid(&edited, &head), Some(id.revision(2)));
        // A revision missing: the next one is not the number expected.
        let mut missing = revisions.clone();
        missing.remove(2);
        assert_eq!(first_invalid(&missing, &head), Some(id.revision(3)));
        // A parent that is not the revision before.
        let mut reparented = revisions.clone();
        reparented[3].info.parent_revision_id = Some(id.revision(1));
        assert_eq!(first_invalid(&reparented, &head), Some(id.revision(4)));
        // The head off the last revision's chain hash.
        let mut moved = head.clone();
        moved.chain_hash = revisions[0].info.chain_hash;
        assert_eq!(first_invalid(&revisions, &moved), Some(id.revision(4)));
        // A head counting more revisions than there are.
        assert_eq!(first_invalid(&revisions[..3], &head), Some(id.revision(4)));
    }

    #[test]
    fn pruned_revisions_verify_through_the_next_link() {
        let (revisions, head) = history(4);
        let id = head.meta.resource_id.clone();
        let mut pruned = revisions.clone();
        pruned[0].data = bytes::Bytes::new();
        pruned[1].data = bytes::Bytes::new();
        let verdict = verdict(&pruned, &head);
        assert!(verdict.valid, "{verdict:?}");
        assert_eq!(verdict.pruned, 2);
        // A pruned revision's chain hash rewritten: the next revision's link tells.
        let mut rewritten = pruned.clone();
        rewritten[1].info.chain_hash = rewritten[0].info.chain_hash;
        assert_eq!(
            verdict_of(&rewritten, &head),
            Some(id.revision(3)),
            "revision 3 links over revision 2's real chain hash"
        );
        // The current revision pruned: the head no longer matches anything readable.
        let mut headless = revisions.clone();
        headless[3].data = bytes::Bytes::new();
        assert_eq!(verdict_of(&headless, &head), Some(id.revision(4)));
    }

    fn verdict_of(revisions: &[StoredRevision], head: &Head) -> Option<RevisionId> {
        verdict(revisions, head).first_invalid_revision_id
    }

    #[test]
    fn every_field_counts_but_the_sequence() {
        let data = br#"{"a":1}"#;
        let parent = link(None, &info(1, data), data);
        let base = info(2, data);
        let hash = link(Some(&parent), &base, data);
        let mut renumbered = base.clone();
        renumbered.sequence = 99;
        assert_eq!(link(Some(&parent), &renumbered, data), hash);
        assert_ne!(link(None, &base, data), hash, "the parent's chain");
        assert_ne!(link(Some(&parent), &base, br#"{"a":2}"#), hash, "the data");
        let changes: [fn(&mut RevisionInfo); 5] = [
            |i| i.created_by = Arc::from("mallory"),
            |i| i.deleted = true,
            |i| i.action = Action::Patch,
            |i| i.schema_version = Arc::from("v2"),
            |i| i.created_time = Timestamp::from_micros(1).expect("a time"),
        ];
        for change in changes {
            let mut changed = base.clone();
            change(&mut changed);
            assert_ne!(link(Some(&parent), &changed, data), hash);
        }
    }
}
