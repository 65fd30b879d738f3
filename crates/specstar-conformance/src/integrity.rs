//! Data integrity scenarios: what a typed write accepts, a typed read gives back equal; values
//! JSON cannot hold are refused; data written before the model changed is never written again
//! under the new model (revert, restore) and, read into the type, names the revision and field
//! that no longer fit while its JSON stays readable.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use proptest::prelude::*;
use proptest::test_runner::TestRunner;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::json;
use specstar_core::{Error, Query, ResourceManager, Schema, Store, Timestamp};

use crate::TestStore;
use crate::fixtures::{issue, issues, register};
use crate::properties::runner_config;

/// A model with every field type the typed layer supports.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Everything {
    /// Any text, unicode and control characters included.
    pub text: String,
    /// A character.
    pub letter: char,
    /// Signed integers of every width.
    pub signed: (i8, i16, i32, i64),
    /// Unsigned integers of every width.
    pub unsigned: (u8, u16, u32, u64),
    /// A 128-bit integer: stored only within 64 bits.
    pub wide: i128,
    /// An unsigned 128-bit integer: stored only within 64 bits.
    pub uwide: u128,
    /// A single-precision float: finite only.
    pub single: f32,
    /// A double-precision float: finite only.
    pub double: f64,
    /// A flag.
    pub flag: bool,
    /// An optional value.
    pub maybe: Option<String>,
    /// A list of floats.
    pub list: Vec<f64>,
    /// A nested struct, optional.
    pub nested: Option<Inner>,
    /// Enum variants of every shape.
    pub kinds: Vec<Kind>,
    /// A map with text keys.
    pub by_name: BTreeMap<String, i64>,
    /// A map with integer keys.
    pub by_number: BTreeMap<u32, bool>,
    /// A time.
    pub at: Timestamp,
    /// An optional time.
    pub due: Option<Timestamp>,
}

/// A nested struct.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Inner {
    /// A label.
    pub label: String,
    /// A ratio.
    pub ratio: f32,
}

/// Enum variants of every shape.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub enum Kind {
    /// A unit variant.
    Unit,
    /// A newtype variant.
    Newtype(f64),
    /// A tuple variant.
    Tuple(i32, String),
    /// A struct variant.
    Struct {
        /// A flag.
        on: bool,
        /// An optional float.
        weight: Option<f64>,
    },
}

fn finite64() -> impl Strategy<Value = f64> {
    use proptest::num::f64 as f;
    f::POSITIVE | f::NEGATIVE | f::NORMAL | f::SUBNORMAL | f::ZERO
}

/// Mostly finite, sometimes anything (NaN and infinities included).
fn float64() -> impl Strategy<Value = f64> {
    prop_oneof![12 => finite64(), 1 => any::<f64>()]
}

fn float32() -> impl Strategy<Value = f32> {
    use proptest::num::f32 as f;
    prop_oneof![12 => f::POSITIVE | f::NEGATIVE | f::NORMAL | f::SUBNORMAL | f::ZERO, 1 => any::<f32>()]
}

fn kind() -> impl Strategy<Value = Kind> {
    prop_oneof![
        Just(Kind::Unit),
        float64().prop_map(Kind::Newtype),
        (any::<i32>(), any::<String>()).prop_map(|(a, b)| Kind::Tuple(a, b)),
        (any::<bool>(), proptest::option::of(float64()))
            .prop_map(|(on, weight)| Kind::Struct { on, weight }),
    ]
}

fn timestamp() -> impl Strategy<Value = Timestamp> {
    // Year 1 to year 9999, to the microsecond.
    (-62_135_596_800_000_000i64..253_402_300_799_000_000)
        .prop_map(|micros| Timestamp::from_micros(micros).expect("in range"))
}

fn everything() -> impl Strategy<Value = Everything> {
    let wide = prop_oneof![4 => any::<i64>().prop_map(i128::from), 1 => any::<i128>()];
    let uwide = prop_oneof![4 => any::<u64>().prop_map(u128::from), 1 => any::<u128>()];
    let scalars = (
        any::<String>(),
        any::<char>(),
        any::<(i8, i16, i32, i64)>(),
        any::<(u8, u16, u32, u64)>(),
        wide,
        uwide,
        float32(),
        float64(),
        any::<bool>(),
    );
    let nested = (any::<String>(), float32()).prop_map(|(label, ratio)| Inner { label, ratio });
    let compound = (
        proptest::option::of(any::<String>()),
        prop::collection::vec(float64(), 0..4),
        proptest::option::of(nested),
        prop::collection::vec(kind(), 0..4),
        prop::collection::btree_map(any::<String>(), any::<i64>(), 0..3),
        prop::collection::btree_map(any::<u32>(), any::<bool>(), 0..3),
        timestamp(),
        proptest::option::of(timestamp()),
    );
    (scalars, compound).prop_map(
        |(
            (text, letter, signed, unsigned, wide, uwide, single, double, flag),
            (maybe, list, nested, kinds, by_name, by_number, at, due),
        )| Everything {
            text,
            letter,
            signed,
            unsigned,
            wide,
            uwide,
            single,
            double,
            flag,
            maybe,
            list,
            nested,
            kinds,
            by_name,
            by_number,
            at,
            due,
        },
    )
}

/// Whether JSON can hold every value of `data`: floats finite, wide integers within 64 bits.
fn storable(data: &Everything) -> bool {
    let kind_ok = |k: &Kind| match k {
        Kind::Newtype(x) => x.is_finite(),
        Kind::Struct {
            weight: Some(w), ..
        } => w.is_finite(),
        _ => true,
    };
    (i64::try_from(data.wide).is_ok() || u64::try_from(data.wide).is_ok())
        && u64::try_from(data.uwide).is_ok()
        && data.single.is_finite()
        && data.double.is_finite()
        && data.list.iter().all(|x| x.is_finite())
        && data.nested.as_ref().is_none_or(|n| n.ratio.is_finite())
        && data.kinds.iter().all(kind_ok)
}

async fn everything_manager(store: &Arc<dyn Store>) -> ResourceManager<Everything> {
    let model = register(store, Schema::<Everything>::new("v1")).await;
    ResourceManager::new(model, store.clone()).expect("declared with Everything")
}

/// Whatever a typed create or update accepts, a typed read of that revision returns equal;
/// whatever it refuses (a NaN, an infinity, an integer beyond 64 bits) is a validation error
/// naming a field, and nothing is written.
pub async fn typed_writes_round_trip(t: TestStore) {
    let mgr = everything_manager(&t.store).await;
    let case = AtomicU64::new(0);
    let handle = tokio::runtime::Handle::current();
    let result = tokio::task::block_in_place(|| {
        let mut runner = TestRunner::new(runner_config(24));
        let outcome = runner.run(&(everything(), everything()), |(a, b)| {
            let n = case.fetch_add(1, Ordering::Relaxed);
            let id = format!("everything:case{n}");
            handle.block_on(async {
                let created = mgr.create_with_id(&id, a.clone()).await;
                check_write(&mgr, &id, &a, created, 1).await?;
                if storable(&a) {
                    let updated = mgr.update(&id, b.clone()).await;
                    check_write(&mgr, &id, &b, updated, 2).await?;
                }
                Ok(())
            })
        });
        outcome.map_err(|failure| failure.to_string())
    });
    if let Err(failure) = result {
        panic!("a typed write does not round-trip: {failure}");
    }
}

async fn check_write(
    mgr: &ResourceManager<Everything>,
    id: &str,
    data: &Everything,
    written: specstar_core::Result<specstar_core::RevisionInfo>,
    number: u64,
) -> Result<(), TestCaseError> {
    match (storable(data), written) {
        (true, Ok(info)) => {
            let read = mgr
                .get_revision(id, &info.revision_id)
                .await
                .map_err(|e| TestCaseError::fail(format!("typed read failed: {e}")))?;
            prop_assert_eq!(&read.data, data);
            let current = mgr
                .get(id)
                .await
                .map_err(|e| TestCaseError::fail(e.to_string()))?;
            prop_assert_eq!(&current.data, data);
        }
        (false, Err(Error::Validation { errors, .. })) => {
            let first = &errors.0[0];
            prop_assert!(first.path.starts_with("$."), "{}", errors);
            let count = mgr
                .list_revisions(id)
                .await
                .map(|h| h.len() as u64)
                .unwrap_or(0);
            prop_assert_eq!(count, number - 1, "nothing written");
        }
        (true, Err(e)) => prop_assert!(false, "a storable value was refused: {}", e),
        (false, Ok(info)) => {
            prop_assert!(false, "a value JSON cannot hold was written: {:?}", info)
        }
        (false, Err(e)) => prop_assert!(false, "refused with the wrong error: {}", e),
    }
    Ok(())
}

/// `NaN` and infinities are refused on create and update with the field's path; the resource
/// keeps its data.
pub async fn non_finite_floats_are_refused(t: TestStore) {
    let mgr = everything_manager(&t.store).await;
    let good = Everything {
        text: "ok".into(),
        letter: 'é',
        signed: (-1, -2, -3, -4),
        unsigned: (1, 2, 3, 4),
        wide: -5,
        uwide: 5,
        single: 1.5,
        double: 2.5,
        flag: true,
        maybe: None,
        list: vec![1.0],
        nested: None,
        kinds: vec![Kind::Unit],
        by_name: BTreeMap::new(),
        by_number: BTreeMap::new(),
        at: crate::fixtures::start_time(),
        due: None,
    };
    for bad in [f64::NAN, f64::INFINITY, f64::NEG_INFINITY] {
        let mut data = good.clone();
        data.list = vec![1.0, bad];
        let err = mgr.create(data.clone()).await.unwrap_err();
        let Error::Validation { errors, .. } = &err else {
            panic!("expected a validation error, got {err}");
        };
        assert_eq!(errors.0[0].path, "$.list[1]", "{err}");
        assert!(err.to_string().contains("finite"), "{err}");
    }
    assert_eq!(mgr.count().await.unwrap(), 0, "nothing was written");
    let info = mgr.create(good.clone()).await.unwrap();
    let mut data = good.clone();
    data.nested = Some(Inner {
        label: "n".into(),
        ratio: f32::NAN,
    });
    let err = mgr.update(&info.resource_id, data).await.unwrap_err();
    assert!(
        matches!(&err, Error::Validation { errors, .. } if errors.0[0].path == "$.nested.ratio"),
        "{err}"
    );
    let mut data = good.clone();
    data.uwide = u128::MAX;
    let err = mgr.update(&info.resource_id, data).await.unwrap_err();
    assert!(
        matches!(&err, Error::Validation { errors, .. } if errors.0[0].path == "$.uwide"),
        "{err}"
    );
    let current = mgr.get(&info.resource_id).await.unwrap();
    assert_eq!(current.data, good);
    assert_eq!(current.info.number(), 1);
}

/// The `thing` model as it was first declared.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct ThingBefore {
    /// Its name.
    pub name: String,
    /// Its size, a number then.
    pub size: u32,
    /// A field the model later lost.
    pub extra: Option<String>,
}

/// The `thing` model after a change: `size` became text and `extra` went away.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Thing {
    /// Its name.
    pub name: String,
    /// Its size, as text now.
    pub size: String,
}

/// Managers of `thing` before (v1) and after (v2) its change, on the same store, as two
/// processes (an old and a new build) would open it.
async fn before_and_after(
    store: &Arc<dyn Store>,
) -> (ResourceManager<ThingBefore>, ResourceManager<Thing>) {
    let before = register(store, Schema::<ThingBefore>::new("v1").name("thing")).await;
    let before = ResourceManager::new(before, store.clone()).expect("declared with ThingBefore");
    let after = Arc::new(
        Schema::<Thing>::new("v2")
            .name("thing")
            .build()
            .expect("a valid schema"),
    );
    (
        before,
        ResourceManager::new(after, store.clone()).expect("declared with Thing"),
    )
}

/// Opens the changed model on the store (registering it, as a new build starts).
async fn open_after(store: &Arc<dyn Store>, after: &ResourceManager<Thing>) {
    store
        .register_model(&specstar_core::ModelDescriptor::from(&**after.model()))
        .await
        .expect("the store registers the changed model");
}

fn old_thing(name: &str) -> ThingBefore {
    ThingBefore {
        name: name.into(),
        size: 3,
        extra: Some("x".into()),
    }
}

fn does_not_fit(err: &Error, revision: &str) {
    let Error::DoesNotFitModel {
        revision_id,
        stored_schema_version,
        current_schema_version,
        errors,
        ..
    } = err
    else {
        panic!("expected DoesNotFitModel, got {err}");
    };
    assert_eq!(revision_id.to_string(), revision, "{err}");
    assert_eq!(&**stored_schema_version, "v1", "{err}");
    assert_eq!(&**current_schema_version, "v2", "{err}");
    assert!(!errors.0.is_empty(), "{err}");
    let message = err.to_string();
    assert!(
        message.contains("does not fit the current model"),
        "{message}"
    );
    assert!(message.contains("migration"), "{message}");
    assert!(!message.contains("corrupt"), "{message}");
}

/// Reverting to a revision written before the model changed is refused with the revision, both
/// schema versions and the fields, and writes nothing; a revision that fits reverts, by id or
/// by bare number.
pub async fn revert_refuses_data_that_no_longer_fits(t: TestStore) {
    let (before, after) = before_and_after(&t.store).await;
    let info = before.create(old_thing("a")).await.unwrap();
    open_after(&t.store, &after).await;
    let id = &info.resource_id;
    let fits = Thing {
        name: "a".into(),
        size: "big".into(),
    };
    after.update(id, fits.clone()).await.unwrap();
    after
        .update(
            id,
            Thing {
                name: "b".into(),
                size: "small".into(),
            },
        )
        .await
        .unwrap();

    let err = after.revert(id, 1).await.unwrap_err();
    does_not_fit(&err, &format!("{id}:1"));
    let Error::DoesNotFitModel { errors, .. } = &err else {
        unreachable!()
    };
    let paths: Vec<&str> = errors.0.iter().map(|e| e.path.as_str()).collect();
    assert!(paths.contains(&"$.size"), "{err}");
    let err = after
        .dynamic()
        .revert(id, &format!("{id}:1"))
        .await
        .unwrap_err();
    does_not_fit(&err, &format!("{id}:1"));
    assert_eq!(after.get_meta(id).await.unwrap().total_revision_count, 3);

    let reverted = after.revert(id, 2).await.unwrap();
    assert_eq!(reverted.number(), 4);
    assert_eq!(reverted.schema_version.as_ref(), "v2");
    assert_eq!(after.get(id).await.unwrap().data, fits);
}

/// Restoring data written before the model changed is refused the same way and leaves the
/// resource deleted; data that fits restores.
pub async fn restore_refuses_data_that_no_longer_fits(t: TestStore) {
    let (before, after) = before_and_after(&t.store).await;
    let old = before.create(old_thing("old")).await.unwrap();
    before.delete(&old.resource_id).await.unwrap();
    open_after(&t.store, &after).await;

    let err = after.restore(&old.resource_id).await.unwrap_err();
    does_not_fit(&err, &format!("{}:2", old.resource_id));
    let err = after.restore_if(&old.resource_id, 2).await.unwrap_err();
    does_not_fit(&err, &format!("{}:2", old.resource_id));
    let meta = after.get_meta(&old.resource_id).await.unwrap();
    assert!(meta.is_deleted);
    assert_eq!(meta.total_revision_count, 2);

    let new = after
        .create(Thing {
            name: "new".into(),
            size: "s".into(),
        })
        .await
        .unwrap();
    after.delete(&new.resource_id).await.unwrap();
    let restored = after.restore(&new.resource_id).await.unwrap();
    assert_eq!(restored.number(), 3);
    assert!(!after.get_meta(&new.resource_id).await.unwrap().is_deleted);
}

/// A typed read of a revision that no longer fits names the resource, the revision and the
/// field, and says a migration is needed; a typed search meeting it says which resource broke
/// it; the untyped manager keeps serving the JSON.
pub async fn typed_reads_name_what_no_longer_fits(t: TestStore) {
    let (before, after) = before_and_after(&t.store).await;
    let old = before
        .create_with_id("old", old_thing("old"))
        .await
        .unwrap();
    open_after(&t.store, &after).await;
    let fits = after
        .create_with_id(
            "fits",
            Thing {
                name: "new".into(),
                size: "s".into(),
            },
        )
        .await
        .unwrap();

    let err = after.get(&old.resource_id).await.unwrap_err();
    does_not_fit(&err, "thing:old:1");
    let Error::DoesNotFitModel { errors, .. } = &err else {
        unreachable!()
    };
    assert!(errors.0.iter().any(|e| e.path == "$.size"), "{err}");
    let err = after.get_revision(&old.resource_id, 1).await.unwrap_err();
    does_not_fit(&err, "thing:old:1");
    let err = after.search_resources(&Query::all()).await.unwrap_err();
    does_not_fit(&err, "thing:old:1");
    assert!(err.to_string().contains("thing:old"), "{err}");

    let untyped = after
        .dynamic()
        .search_resources(&Query::all())
        .await
        .unwrap();
    assert_eq!(untyped.len(), 2);
    let raw = after.dynamic().get("thing:old", None, false).await.unwrap();
    assert_eq!(
        raw.data_value().unwrap(),
        json!({"name": "old", "size": 3, "extra": "x"})
    );
    assert_eq!(after.get(&fits.resource_id).await.unwrap().data.size, "s");
}

/// Revisions named by bare numbers, and revert and restore guarded by an expected revision:
/// a stale expectation is a conflict and writes nothing.
pub async fn revert_and_restore_take_numbers_and_expectations(t: TestStore) {
    let (mgr, _) = issues(&t.store).await;
    let info = mgr.create(issue("one")).await.unwrap();
    let id = &info.resource_id;
    mgr.update(id, issue("two")).await.unwrap();

    assert_eq!(mgr.get_revision(id, 1).await.unwrap().data.title, "one");
    assert!(matches!(
        mgr.revert(id, 0).await,
        Err(Error::MalformedId { .. })
    ));
    assert!(matches!(
        mgr.revert(id, -1).await,
        Err(Error::MalformedId { .. })
    ));
    assert!(matches!(
        mgr.revert(id, 9).await,
        Err(Error::RevisionNotFound { .. })
    ));

    let stale = mgr.revert_if(id, 1, 1).await.unwrap_err();
    assert!(matches!(stale, Error::Conflict { .. }), "{stale}");
    assert_eq!(mgr.get_meta(id).await.unwrap().total_revision_count, 2);
    let reverted = mgr.revert_if(id, 1u64, &format!("{id}:2")).await.unwrap();
    assert_eq!(reverted.number(), 3);
    assert_eq!(mgr.get(id).await.unwrap().data.title, "one");

    mgr.delete(id).await.unwrap();
    let stale = mgr.restore_if(id, 3).await.unwrap_err();
    assert!(matches!(stale, Error::Conflict { .. }), "{stale}");
    assert!(mgr.get_meta(id).await.unwrap().is_deleted);
    let restored = mgr.restore_if(id, 4).await.unwrap();
    assert_eq!(restored.number(), 5);
    assert_eq!(mgr.get(id).await.unwrap().data.title, "one");
    // A live resource: restore changes nothing, but still checks the expectation.
    assert!(matches!(
        mgr.restore_if(id, 4).await,
        Err(Error::Conflict { .. })
    ));
    assert_eq!(mgr.restore_if(id, 5).await.unwrap().number(), 5);
}

/// Restores racing on one deleted resource: a restore checks the data and writes only on the
/// head it checked, so the losers re-check the new head (live now) instead of failing: every
/// one succeeds, exactly one revision is appended.
pub async fn racing_restores_all_succeed_and_append_once(t: TestStore) {
    let (mgr, _) = issues(&t.store).await;
    let info = mgr.create(issue("one")).await.unwrap();
    let id = info.resource_id.clone();
    mgr.delete(&id).await.unwrap();
    let racers: Vec<_> = (0..8)
        .map(|_| {
            let (mgr, id) = (mgr.clone(), id.clone());
            tokio::spawn(async move { mgr.restore(&id).await })
        })
        .collect();
    for racer in racers {
        let restored = racer
            .await
            .expect("the task ran")
            .expect("every restore succeeds");
        assert_eq!(restored.number(), 3);
    }
    let meta = mgr.get_meta(&id).await.unwrap();
    assert!(!meta.is_deleted);
    assert_eq!(meta.total_revision_count, 3);
}
