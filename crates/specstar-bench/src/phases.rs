//! The workload's phases a–h, each timed alone, and the checks that make a run valid.
//!
//! Phases a–g are one caller, in the order of `bench/workload.md`; phase h, `create_concurrent`,
//! is 32 concurrent writers creating `n` more resources: the figure group commit is for. A
//! failed check ends the run with an error, so a run that prints a report passed them all.

use std::time::Instant;

use anyhow::{Context, ensure};
use specstar::{
    Caller, Direction, Field, Filter, MetaField, Op, Query, ResourceId, ResourceManager,
    RevisionId, Scope, UserValue,
};

use crate::workload::{self, Issue};

/// How many writers phase h runs at once.
pub const WRITERS: usize = 32;
/// How many searches phase f runs.
pub const SEARCHES: usize = 1000;

/// Operations per second of each phase (searches per second for `search`).
#[derive(Clone, Debug, Default, serde::Serialize)]
pub struct Rates {
    /// a. `n` creates.
    pub create: f64,
    /// b. `n` updates, one per resource.
    pub update: f64,
    /// c. `n` get-latest in visiting order.
    pub get: f64,
    /// d. `n` gets of revision 1 in visiting order.
    pub get_rev1: f64,
    /// e. `n` list-revisions.
    pub history: f64,
    /// f. 1,000 searches (the count after them is not timed, as in the reference).
    pub search: f64,
    /// f, within a row scope: the same searches by a caller who may read only the issues
    /// assigned to them (`assignee == USER.id`, one user in 20), as an HTTP caller under a
    /// scoped permission rule searches.
    pub search_scoped: f64,
    /// f, the scoped search's filter written into the query, without a scope: what the scope
    /// costs beyond the narrower filter it adds.
    pub search_same_filter: f64,
    /// g. soft-delete then restore every tenth item: 2 operations each.
    pub delete_restore: f64,
    /// h. `n` creates by 32 concurrent writers.
    pub create_concurrent: f64,
}

/// Runs the seven phases a–g on an empty model with `n` items, checking as it goes, and
/// calls `after_g` (to measure disk and memory as the reference does) before phase h.
///
/// # Errors
/// A store error, or a failed check.
pub async fn run(
    mgr: &ResourceManager<Issue>,
    n: usize,
    after_g: impl FnOnce(),
) -> anyhow::Result<Rates> {
    ensure!(
        n > 0 && !n.is_multiple_of(7919),
        "n must be positive and not a multiple of 7919"
    );
    let mut rates = Rates::default();
    let order: Vec<usize> = workload::visiting_order(n).collect();
    let (items, create) = timed(n, create(mgr, n)).await?;
    rates.create = create;
    rates.update = timed(n, update(mgr, &items.ids)).await?.1;
    rates.get = get(mgr, &items.ids, &order).await?;
    rates.get_rev1 = get_rev1(mgr, &items, &order).await?;
    rates.history = history(mgr, &items.ids, &order).await?;
    rates.search = search(mgr, n).await?;
    (rates.search_scoped, rates.search_same_filter) = search_scoped(mgr).await?;
    rates.delete_restore = delete_restore(mgr, &items.ids, n).await?;
    after_g();
    // h. create_concurrent
    rates.create_concurrent = create_concurrent(mgr, n, n).await?;
    let live = mgr.count().await?;
    ensure!(
        live == 2 * n as u64,
        "{live} live resources after phase h, expected {}",
        2 * n
    );
    Ok(rates)
}

/// The items phase a created, in item order.
struct Items {
    ids: Vec<ResourceId>,
    first: Vec<RevisionId>,
}

/// Awaits `phase` and returns its output with the rate of its `ops` operations.
async fn timed<T>(
    ops: usize,
    phase: impl Future<Output = anyhow::Result<T>>,
) -> anyhow::Result<(T, f64)> {
    let start = Instant::now();
    let output = phase.await?;
    Ok((output, per_second(ops, start)))
}

/// a. `n` creates.
async fn create(mgr: &ResourceManager<Issue>, n: usize) -> anyhow::Result<Items> {
    let mut items = Items {
        ids: Vec::with_capacity(n),
        first: Vec::with_capacity(n),
    };
    for i in 0..n {
        let info = mgr.create(workload::item(i, false)).await?;
        items.ids.push(info.resource_id);
        items.first.push(info.revision_id);
    }
    Ok(items)
}

/// b. one update per item.
async fn update(mgr: &ResourceManager<Issue>, ids: &[ResourceId]) -> anyhow::Result<()> {
    for (i, id) in ids.iter().enumerate() {
        mgr.update(id, workload::item(i, true)).await?;
    }
    Ok(())
}

/// c. get-latest in visiting order, checked (untimed) against the updated data.
async fn get(
    mgr: &ResourceManager<Issue>,
    ids: &[ResourceId],
    order: &[usize],
) -> anyhow::Result<f64> {
    let mut got = Vec::with_capacity(order.len());
    let start = Instant::now();
    for &i in order {
        got.push(mgr.get(&ids[i]).await?.data);
    }
    let rate = per_second(order.len(), start);
    for (&i, data) in order.iter().zip(&got) {
        ensure!(
            *data == workload::item(i, true),
            "get of item {i} is not its updated data"
        );
    }
    Ok(rate)
}

/// d. gets of revision 1 in visiting order, checked (untimed) against the created data.
async fn get_rev1(
    mgr: &ResourceManager<Issue>,
    items: &Items,
    order: &[usize],
) -> anyhow::Result<f64> {
    let mut got = Vec::with_capacity(order.len());
    let start = Instant::now();
    for &i in order {
        let revision = items.first[i].clone();
        got.push(mgr.get_revision(&items.ids[i], revision).await?.data);
    }
    let rate = per_second(order.len(), start);
    for (&i, data) in order.iter().zip(&got) {
        ensure!(
            *data == workload::item(i, false),
            "revision 1 of item {i} is not its created data"
        );
    }
    Ok(rate)
}

/// e. list-revisions in visiting order; every history has its 2 revisions.
async fn history(
    mgr: &ResourceManager<Issue>,
    ids: &[ResourceId],
    order: &[usize],
) -> anyhow::Result<f64> {
    let mut lengths = Vec::with_capacity(order.len());
    let start = Instant::now();
    for &i in order {
        lengths.push(mgr.list_revisions(&ids[i]).await?.len());
    }
    let rate = per_second(order.len(), start);
    ensure!(
        lengths.iter().all(|&len| len == 2),
        "a history does not have exactly 2 revisions"
    );
    Ok(rate)
}

/// f. [`SEARCHES`] searches for metas, as the reference's `search_resources` answers; the data
/// of the last page is read afterwards, untimed, for the check, and so is the count.
async fn search(mgr: &ResourceManager<Issue>, n: usize) -> anyhow::Result<f64> {
    let query = search_query();
    let mut last = Vec::new();
    let start = Instant::now();
    for _ in 0..SEARCHES {
        last = mgr.search(&query).await?;
    }
    let rate = per_second(SEARCHES, start);
    check_search(mgr, &last).await?;
    let count = mgr
        .count_matching(&Query::all().filter(high_and_open()))
        .await?;
    let expected = workload::expected_matches(n);
    ensure!(count == expected, "count is {count}, expected {expected}");
    Ok(rate)
}

/// The user whose issues [`search_scoped`] may read.
const SCOPED_USER: &str = "user03";

/// f within a row scope: [`SEARCHES`] searches of a manager kept to the issues assigned to
/// [`SCOPED_USER`], then as many of the same filter written into the query without a scope;
/// both rates, once the two are checked to find the same issues, each theirs, high and open.
async fn search_scoped(mgr: &ResourceManager<Issue>) -> anyhow::Result<(f64, f64)> {
    let roles = [String::from("authenticated")];
    let caller = Caller {
        id: SCOPED_USER,
        roles: &roles,
    };
    let scope = Scope::new(Filter::data("assignee", Op::Eq, UserValue::Id)).bind(caller);
    let scoped = mgr.within(scope)?;
    let (rate, found) = searches(&scoped, &search_query()).await?;
    let written_out = search_query().filter(Filter::data("assignee", Op::Eq, SCOPED_USER));
    let (same_filter_rate, same) = searches(mgr, &written_out).await?;
    ensure!(
        !found.is_empty() && found == same,
        "the scoped search and the same filter without a scope found different issues"
    );
    for meta in &found {
        let data = mgr.get(&meta.resource_id).await?.data;
        ensure!(
            data.assignee.as_deref() == Some(SCOPED_USER)
                && data.severity == workload::Severity::High
                && data.status == workload::Status::Open,
            "the scoped search returned {} which is not {SCOPED_USER}'s, high and open",
            meta.resource_id
        );
    }
    Ok((rate, same_filter_rate))
}

/// [`SEARCHES`] runs of `query`: their rate and the last one's page.
async fn searches(
    mgr: &ResourceManager<Issue>,
    query: &Query,
) -> anyhow::Result<(f64, Vec<specstar::ResourceMeta>)> {
    let mut last = Vec::new();
    let start = Instant::now();
    for _ in 0..SEARCHES {
        last = mgr.search(query).await?;
    }
    Ok((per_second(SEARCHES, start), last))
}

/// g. soft-delete then restore every tenth item: 2 operations each; all `n` live after.
async fn delete_restore(
    mgr: &ResourceManager<Issue>,
    ids: &[ResourceId],
    n: usize,
) -> anyhow::Result<f64> {
    let every_tenth: Vec<&ResourceId> = ids.iter().step_by(10).collect();
    let start = Instant::now();
    for id in &every_tenth {
        mgr.delete(id).await?;
    }
    for id in &every_tenth {
        mgr.restore(id).await?;
    }
    let rate = per_second(2 * every_tenth.len(), start);
    let live = mgr.count().await?;
    ensure!(
        live == n as u64,
        "{live} live resources after restore, expected {n}"
    );
    Ok(rate)
}

/// Creates items `from..from + count` with [`WRITERS`] concurrent writers; returns creates/s.
///
/// # Errors
/// A store error.
pub async fn create_concurrent(
    mgr: &ResourceManager<Issue>,
    from: usize,
    count: usize,
) -> anyhow::Result<f64> {
    let start = Instant::now();
    create_concurrently(mgr, from, count).await?;
    Ok(per_second(count, start))
}

/// Creates items `from..from + count` with [`WRITERS`] concurrent writers (writer `w` takes
/// every item `i` with `i mod WRITERS == w`); returns each item's resource id and revision 1,
/// in item order.
///
/// # Errors
/// A store error.
pub async fn create_concurrently(
    mgr: &ResourceManager<Issue>,
    from: usize,
    count: usize,
) -> anyhow::Result<Vec<(ResourceId, RevisionId)>> {
    let writers: Vec<_> = (0..WRITERS)
        .map(|w| {
            let mgr = mgr.clone();
            tokio::spawn(async move {
                let mut mine = Vec::new();
                for i in (from + w..from + count).step_by(WRITERS) {
                    let info = mgr.create(workload::item(i, false)).await?;
                    mine.push((i, info.resource_id, info.revision_id));
                }
                Ok::<_, specstar::Error>(mine)
            })
        })
        .collect();
    let mut created = Vec::with_capacity(count);
    for writer in writers {
        created.extend(writer.await.context("a writer panicked")??);
    }
    created.sort_unstable_by_key(|(i, _, _)| *i);
    Ok(created.into_iter().map(|(_, id, rev)| (id, rev)).collect())
}

/// severity == high AND status == open.
pub fn high_and_open() -> Filter {
    Filter::And(vec![
        Filter::data("severity", Op::Eq, "high"),
        Filter::data("status", Op::Eq, "open"),
    ])
}

/// Phase f's search: [`high_and_open`], newest first, 20 at most.
pub fn search_query() -> Query {
    Query::all()
        .filter(high_and_open())
        .sort(Field::Meta(MetaField::CreatedTime), Direction::Desc)
        .limit(20)
}

async fn check_search(
    mgr: &ResourceManager<Issue>,
    found: &[specstar::ResourceMeta],
) -> anyhow::Result<()> {
    ensure!(
        found.len() == 20,
        "search returned {} items, expected 20",
        found.len()
    );
    for meta in found {
        let data = mgr.get(&meta.resource_id).await?.data;
        ensure!(
            data.severity == workload::Severity::High && data.status == workload::Status::Open,
            "search returned {} which is not high and open",
            meta.resource_id
        );
    }
    ensure!(
        found
            .windows(2)
            .all(|pair| pair[0].created_time >= pair[1].created_time),
        "search results are not newest first"
    );
    Ok(())
}

fn per_second(count: usize, start: Instant) -> f64 {
    let rate = count as f64 / start.elapsed().as_secs_f64();
    (rate * 10.0).round() / 10.0
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The phases' checks pass on a correct store: a run on a small memory store ends in rates
    /// (never asserted: timings are not for tests) rather than an error.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_small_run_passes_its_checks() -> anyhow::Result<()> {
        let spec = specstar::Spec::in_memory();
        spec.add_model(workload::schema()).await?;
        let mgr = spec.resource_manager::<Issue>()?;
        let mut measured = false;
        // At least 180 items, so that 20 are high and open (one in nine).
        run(&mgr, 401, || measured = true).await?;
        assert!(measured, "after_g runs before phase h");
        Ok(())
    }

    #[tokio::test]
    async fn n_that_breaks_the_visiting_order_is_refused() -> anyhow::Result<()> {
        let spec = specstar::Spec::in_memory();
        spec.add_model(workload::schema()).await?;
        let mgr = spec.resource_manager::<Issue>()?;
        assert!(run(&mgr, 7919, || {}).await.is_err());
        Ok(())
    }
}
