//! How read costs grow with the store: get, get of revision 1 and the workload's search on the
//! embedded store at growing sizes, and get / get of revision 1 / an as-of read (at the time of
//! the middle revision) on deep histories.
//!
//! The store is filled by 32 concurrent writers, so that group commit shares the fsyncs and a
//! million resources load in minutes rather than hours. Each size is measured as a sample of
//! latencies (reads in the workload's visiting order over the whole store), reported as
//! median and 99th percentile in microseconds. Sizes whose load would overrun the time budget
//! are reported as skipped, with the reason, rather than left out.

use std::time::{Duration, Instant};

use anyhow::Context;
use serde_json::{Value, json};
use specstar::{ResourceId, ResourceManager, RevisionId};

use crate::phases::{self, WRITERS};
use crate::workload::{self, Issue};

/// How many reads each figure samples.
pub const SAMPLES: usize = 2000;
/// How many searches each size samples at most.
pub const SEARCH_SAMPLES: usize = 200;
/// How long each size's searches may take: a search whose cost grows with the store would
/// otherwise dominate the run at a million resources. At least 5 are taken.
pub const SEARCH_TIME: Duration = Duration::from_secs(10);

/// Grows one store through `sizes` (ascending), printing one JSON line per size through
/// `emit`; stops growing once the next load is estimated to pass `budget`.
///
/// # Errors
/// A store error.
pub async fn sizes(
    mgr: &ResourceManager<Issue>,
    sizes: &[usize],
    budget: Duration,
    mut emit: impl FnMut(Value),
) -> anyhow::Result<()> {
    let started = Instant::now();
    let mut ids: Vec<(ResourceId, RevisionId)> = Vec::new();
    let mut rate = None::<f64>;
    for &size in sizes {
        let missing = size.saturating_sub(ids.len());
        let left = budget.saturating_sub(started.elapsed()).as_secs_f64();
        if let Some(rate) = rate
            && missing as f64 / rate > left
        {
            emit(json!({"kind": "size", "size": size, "skipped": format!(
                "loading {missing} more at {rate:.0}/s would pass the {}s budget", budget.as_secs())}));
            continue;
        }
        let load = Instant::now();
        ids.extend(phases::create_concurrently(mgr, ids.len(), missing).await?);
        let load_s = load.elapsed().as_secs_f64();
        if missing > 0 {
            rate = Some(missing as f64 / load_s);
        }
        let n = ids.len();
        let sample: Vec<usize> = workload::visiting_order(n).take(SAMPLES).collect();
        let mut get = Vec::with_capacity(sample.len());
        for &i in &sample {
            let t = Instant::now();
            mgr.get(&ids[i].0).await?;
            get.push(t.elapsed());
        }
        let mut get_rev1 = Vec::with_capacity(sample.len());
        for &i in &sample {
            let t = Instant::now();
            mgr.get_revision(&ids[i].0, ids[i].1.clone()).await?;
            get_rev1.push(t.elapsed());
        }
        let query = phases::search_query();
        let mut search = Vec::with_capacity(SEARCH_SAMPLES);
        let searching = Instant::now();
        while search.len() < SEARCH_SAMPLES
            && (search.len() < 5 || searching.elapsed() < SEARCH_TIME)
        {
            let t = Instant::now();
            let found = mgr.search(&query).await?;
            search.push(t.elapsed());
            anyhow::ensure!(
                found.len() == 20,
                "search found {} at size {n}",
                found.len()
            );
        }
        emit(json!({
            "kind": "size", "size": n, "load_s": round(load_s), "load_per_s": rate.map(round),
            "get": percentiles(get), "get_rev1": percentiles(get_rev1),
            "searches": search.len(), "search": percentiles(search),
        }));
    }
    Ok(())
}

/// For each count in `revisions`, writes [`WRITERS`] resources with that many revisions each
/// (one writer per resource, so group commit applies), then samples get, get of revision 1 and
/// an as-of read at the middle revision's time over them; one JSON line each.
///
/// # Errors
/// A store error.
pub async fn revisions(
    mgr: &ResourceManager<Issue>,
    revisions: &[usize],
    mut emit: impl FnMut(Value),
) -> anyhow::Result<()> {
    for &count in revisions {
        let load = Instant::now();
        let writers: Vec<_> = (0..WRITERS)
            .map(|w| {
                let mgr = mgr.clone();
                tokio::spawn(async move {
                    let info = mgr.create(workload::item(w, false)).await?;
                    for r in 1..count {
                        mgr.update(&info.resource_id, workload::item(w, r % 2 == 1))
                            .await?;
                    }
                    Ok::<_, specstar::Error>((info.resource_id, info.revision_id))
                })
            })
            .collect();
        let mut ids = Vec::with_capacity(WRITERS);
        for writer in writers {
            ids.push(writer.await.context("a writer panicked")??);
        }
        let load_s = load.elapsed().as_secs_f64();
        let middle = (count as u64).div_ceil(2);
        let mut times = Vec::with_capacity(ids.len());
        for (id, _) in &ids {
            times.push(mgr.get_revision(id, middle).await?.info.created_time);
        }
        let mut get = Vec::with_capacity(SAMPLES);
        let mut get_rev1 = Vec::with_capacity(SAMPLES);
        let mut as_of = Vec::with_capacity(SAMPLES);
        for k in 0..SAMPLES {
            let (id, first) = &ids[k % ids.len()];
            let time = times[k % ids.len()];
            let t = Instant::now();
            let then = mgr.get_as_of(id, time).await?;
            as_of.push(t.elapsed());
            anyhow::ensure!(
                then.info.created_time == time,
                "the as-of read did not answer the middle revision's time"
            );
            let t = Instant::now();
            let latest = mgr.get(id).await?;
            get.push(t.elapsed());
            anyhow::ensure!(
                latest.info.revision_id.number() == count as u64,
                "the latest revision is not number {count}"
            );
            let t = Instant::now();
            mgr.get_revision(id, first.clone()).await?;
            get_rev1.push(t.elapsed());
        }
        emit(json!({
            "kind": "revisions", "revisions": count, "resources": WRITERS, "load_s": round(load_s),
            "get": percentiles(get), "get_rev1": percentiles(get_rev1), "as_of": percentiles(as_of),
        }));
    }
    Ok(())
}

/// Median and 99th percentile of `samples`, in microseconds.
fn percentiles(mut samples: Vec<Duration>) -> Value {
    samples.sort_unstable();
    let at = |q: f64| {
        let k = ((samples.len() as f64 - 1.0) * q).round() as usize;
        samples.get(k).map_or(0.0, |d| round(d.as_secs_f64() * 1e6))
    };
    json!({"p50_us": at(0.5), "p99_us": at(0.99)})
}

fn round(x: f64) -> f64 {
    (x * 10.0).round() / 10.0
}
