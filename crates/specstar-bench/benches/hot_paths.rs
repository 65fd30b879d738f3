//! Micro-benchmarks of the hot paths under the workload: encode + hash, append, get, query
//! planning (checking a query against its model, and a whole indexed search) and diffs.
//!
//! ```text
//! cargo bench -p specstar-bench --bench hot_paths
//! ```
//!
//! The memory store isolates specstar's own CPU cost; the SQLite figures add the store's (an
//! append there waits for an fsync, so it measures the disk). Figures go in BENCHMARKS.md.

use std::sync::Arc;

use divan::{Bencher, black_box};
use specstar::diff::diff_values;
use specstar::hash::canonical_json;
use specstar::{DataHash, ModelDef, ResourceId, ResourceManager, Spec, SqliteStore};
use specstar_bench::phases::search_query;
use specstar_bench::workload::{self, Issue};
use tokio::runtime::Runtime;

/// How many resources the get and search benchmarks find in the store.
const STORED: usize = 10_000;

fn main() {
    divan::main();
}

fn runtime() -> Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a current-thread runtime builds")
}

fn model() -> Arc<ModelDef> {
    Arc::new(
        workload::schema()
            .build()
            .expect("the workload's schema is valid"),
    )
}

/// A manager over a memory store (`dir` None) or a fresh SQLite file in `dir`, with `stored`
/// items created and their ids.
fn filled(
    rt: &Runtime,
    dir: Option<&std::path::Path>,
    stored: usize,
) -> (ResourceManager<Issue>, Vec<ResourceId>) {
    rt.block_on(async {
        let spec = match dir {
            None => Spec::in_memory(),
            Some(dir) => Spec::with_store(Arc::new(
                SqliteStore::open(dir.join("bench.db")).expect("a fresh sqlite store opens"),
            )),
        };
        spec.add_model(workload::schema()).await.expect("registers");
        let mgr = spec.resource_manager::<Issue>().expect("registered");
        let ids = specstar_bench::phases::create_concurrently(&mgr, 0, stored)
            .await
            .expect("the store loads");
        (mgr, ids.into_iter().map(|(id, _)| id).collect())
    })
}

#[divan::bench]
fn encode_and_hash(bencher: Bencher) {
    let model = model();
    let item = workload::item(4242, true);
    bencher.bench(|| {
        let value = serde_json::to_value(black_box(&item)).expect("an issue is JSON");
        model.encode_valid(&value)
    });
}

/// A typed write's way to JSON: checked for what JSON cannot hold (`NaN`, wide integers), then
/// written; beside `serde_json::to_value` alone, the cost of the check.
#[divan::bench]
fn typed_to_json_checked(bencher: Bencher) {
    let item = workload::item(4242, true);
    bencher.bench(|| specstar::json::to_json(black_box(&item)).expect("an issue is JSON"));
}

#[divan::bench]
fn typed_to_json_unchecked(bencher: Bencher) {
    let item = workload::item(4242, true);
    bencher.bench(|| serde_json::to_value(black_box(&item)).expect("an issue is JSON"));
}

#[divan::bench]
fn canonical_json_then_hash(bencher: Bencher) {
    let value = serde_json::to_value(workload::item(4242, true)).expect("an issue is JSON");
    bencher.bench(|| DataHash::of(&canonical_json(black_box(&value))));
}

/// What changed between an item's two revisions in the workload (its update).
#[divan::bench]
fn diff_of_an_update(bencher: Bencher) {
    let before = serde_json::to_value(workload::item(4242, false)).expect("an issue is JSON");
    let after = serde_json::to_value(workload::item(4242, true)).expect("an issue is JSON");
    bencher.bench(|| diff_values(black_box(&before), black_box(&after)));
}

/// One object inserted at the front of an array of 1,000: the alignment's cost, one `add`.
#[divan::bench]
fn diff_of_an_insertion_into_1000_objects(bencher: Bencher) {
    let items: Vec<serde_json::Value> = (0..1000)
        .map(|i| serde_json::json!({"id": i, "name": format!("item {i}")}))
        .collect();
    let before = serde_json::Value::Array(items.clone());
    let mut inserted = items;
    inserted.insert(0, serde_json::json!({"id": -1, "name": "new"}));
    let after = serde_json::Value::Array(inserted);
    bencher.bench(|| diff_values(black_box(&before), black_box(&after)));
}

#[divan::bench]
fn query_checked(bencher: Bencher) {
    let model = model();
    let query = search_query();
    bencher.bench(|| {
        black_box(&query)
            .checked(&model)
            .expect("the query fits the model")
    });
}

mod memory {
    use super::*;

    #[divan::bench]
    fn append_create(bencher: Bencher) {
        let rt = runtime();
        let (mgr, _) = filled(&rt, None, 0);
        let mut i = 0;
        bencher.bench_local(|| {
            i += 1;
            rt.block_on(mgr.create(workload::item(i, false)))
                .expect("creates")
        });
    }

    #[divan::bench]
    fn get(bencher: Bencher) {
        let rt = runtime();
        let (mgr, ids) = filled(&rt, None, STORED);
        let mut order = workload::visiting_order(STORED).cycle();
        bencher.bench_local(|| {
            let i = order.next().unwrap_or(0);
            rt.block_on(mgr.get(&ids[i])).expect("gets")
        });
    }

    #[divan::bench(sample_count = 20, sample_size = 5)]
    fn search(bencher: Bencher) {
        let rt = runtime();
        let (mgr, _) = filled(&rt, None, STORED);
        let query = search_query();
        bencher.bench_local(|| rt.block_on(mgr.search(&query)).expect("searches"));
    }
}

mod sqlite {
    use super::*;

    #[divan::bench(sample_count = 20, sample_size = 10)]
    fn append_create(bencher: Bencher) {
        let rt = runtime();
        let dir = tempfile::tempdir().expect("a temporary directory");
        let (mgr, _) = filled(&rt, Some(dir.path()), 0);
        let mut i = 0;
        bencher.bench_local(|| {
            i += 1;
            rt.block_on(mgr.create(workload::item(i, false)))
                .expect("creates")
        });
    }

    #[divan::bench]
    fn get(bencher: Bencher) {
        let rt = runtime();
        let dir = tempfile::tempdir().expect("a temporary directory");
        let (mgr, ids) = filled(&rt, Some(dir.path()), STORED);
        let mut order = workload::visiting_order(STORED).cycle();
        bencher.bench_local(|| {
            let i = order.next().unwrap_or(0);
            rt.block_on(mgr.get(&ids[i])).expect("gets")
        });
    }

    #[divan::bench(sample_count = 20, sample_size = 5)]
    fn search(bencher: Bencher) {
        let rt = runtime();
        let dir = tempfile::tempdir().expect("a temporary directory");
        let (mgr, _) = filled(&rt, Some(dir.path()), STORED);
        let query = search_query();
        bencher.bench_local(|| rt.block_on(mgr.search(&query)).expect("searches"));
    }
}
