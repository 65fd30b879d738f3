//! The property test: random sequences of operations on a store give exactly what the plain
//! [`model`](crate::model) of the contract gives.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use proptest::prelude::*;
use proptest::test_runner::{Config, TestCaseError, TestRunner};
use serde_json::json;
use specstar_core::{DataPatch, Error, ErrorCode, ResourceManager, Store};

use crate::fixtures::{Issue, Severity, issue, issues};
use crate::model::{Model, Op, Outcome};

const SLOTS: usize = 3;

/// The settings of the suite's property tests: `PROPTEST_CASES` cases if set, else `cases`;
/// failures are not persisted (the suite runs from other crates' test directories).
pub(crate) fn runner_config(cases: u32) -> Config {
    Config {
        cases: std::env::var("PROPTEST_CASES")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(cases),
        failure_persistence: None,
        ..Config::default()
    }
}

fn data() -> impl Strategy<Value = Issue> {
    (0..3u8, 0..2u8).prop_map(|(title, severity)| {
        let mut data = issue(&format!("title {title}"));
        data.severity = if severity == 0 {
            Severity::Low
        } else {
            Severity::High
        };
        data
    })
}

fn op() -> impl Strategy<Value = Op> {
    let slot = 0..SLOTS;
    prop_oneof![
        3 => (slot.clone(), data()).prop_map(|(s, d)| Op::Create(s, d)),
        4 => (slot.clone(), data()).prop_map(|(s, d)| Op::Update(s, d)),
        2 => (slot.clone(), data(), any::<bool>()).prop_map(|(s, d, stale)| Op::UpdateIf(s, d, stale)),
        2 => (slot.clone(), 0..3u8).prop_map(|(s, t)| Op::PatchTitle(s, format!("title {t}"))),
        2 => slot.clone().prop_map(Op::Delete),
        2 => slot.clone().prop_map(Op::Restore),
        1 => (slot.clone(), 1..6u64).prop_map(|(s, n)| Op::Revert(s, n)),
        1 => slot.clone().prop_map(Op::Purge),
        2 => slot.clone().prop_map(Op::Get),
        2 => (slot.clone(), 1..6u64).prop_map(|(s, n)| Op::GetRevision(s, n)),
        1 => slot.prop_map(Op::History),
    ]
}

/// The code of an error the contract gives for an operation of the model; any other error
/// fails the case with its message.
fn kind(error: Error) -> Result<ErrorCode, TestCaseError> {
    use ErrorCode::*;
    match error.code() {
        code @ (ResourceNotFound | RevisionNotFound | ResourceDeleted | AlreadyExists
        | PreconditionFailed) => Ok(code),
        _ => Err(TestCaseError::fail(format!("unexpected error: {error}"))),
    }
}

/// Runs `op` against the store through `mgr`, on the slot ids of this case.
async fn run(
    mgr: &ResourceManager<Issue>,
    ids: &[String],
    model: &Model,
    op: &Op,
) -> Result<Outcome, TestCaseError> {
    let written = |r: specstar_core::Result<specstar_core::RevisionInfo>| match r {
        Ok(info) => Ok(Outcome::Revision(info.number())),
        Err(e) => kind(e).map(Outcome::Error),
    };
    let read = |r: specstar_core::Result<specstar_core::Resource<Issue>>| match r {
        Ok(found) => Ok(Outcome::Data(
            found.info.number(),
            found.data,
            found.info.deleted,
        )),
        Err(e) => kind(e).map(Outcome::Error),
    };
    Ok(match op {
        Op::Create(s, data) => written(mgr.create_with_id(&ids[*s], data.clone()).await)?,
        Op::Update(s, data) => written(mgr.update(&ids[*s], data.clone()).await)?,
        Op::UpdateIf(s, data, stale) => {
            let expected = format!("{}:{}", ids[*s], model.expected_number(*s, *stale));
            written(mgr.update_if(&ids[*s], data.clone(), expected).await)?
        }
        Op::PatchTitle(s, title) => {
            let patch = DataPatch::Merge(json!({ "title": title }));
            written(mgr.patch(&ids[*s], &patch).await)?
        }
        Op::Delete(s) => written(mgr.delete(&ids[*s]).await)?,
        Op::Restore(s) => written(mgr.restore(&ids[*s]).await)?,
        Op::Revert(s, n) => written(mgr.revert(&ids[*s], format!("{}:{n}", ids[*s])).await)?,
        Op::Purge(s) => match mgr.permanently_delete(&ids[*s]).await {
            Ok(meta) => Outcome::Purged(meta.total_revision_count),
            Err(e) => Outcome::Error(kind(e)?),
        },
        Op::Get(s) => read(mgr.get(&ids[*s]).await)?,
        Op::GetRevision(s, n) => {
            read(mgr.get_revision(&ids[*s], format!("{}:{n}", ids[*s])).await)?
        }
        Op::History(s) => match mgr.list_revisions(&ids[*s]).await {
            Ok(history) => {
                for pair in history.windows(2) {
                    prop_assert!(pair[0].sequence < pair[1].sequence, "sequences grow");
                }
                Outcome::History(
                    history
                        .iter()
                        .map(|r| (r.number(), r.action, r.deleted))
                        .collect(),
                )
            }
            Err(e) => Outcome::Error(kind(e)?),
        },
    })
}

/// Runs random operation sequences against `store` and the model, comparing every answer.
///
/// # Panics
/// On the first difference, with the shrunk sequence of operations.
pub async fn check_against_model(store: Arc<dyn Store>) {
    let (mgr, _) = issues(&store).await;
    let case = AtomicU64::new(0);
    let handle = tokio::runtime::Handle::current();
    let config = runner_config(64);
    let result = tokio::task::block_in_place(|| {
        TestRunner::new(config).run(&prop::collection::vec(op(), 1..40), |ops| {
            let n = case.fetch_add(1, Ordering::Relaxed);
            let ids: Vec<String> = (0..SLOTS)
                .map(|s| format!("issue:case{n}-slot{s}"))
                .collect();
            handle.block_on(async {
                let mut model = Model::new(SLOTS);
                for (step, op) in ops.iter().enumerate() {
                    let actual = run(&mgr, &ids, &model, op).await?;
                    let expected = model.apply(op);
                    prop_assert_eq!(&actual, &expected, "step {} ({:?})", step, op);
                }
                // Whatever the sequence, every chain verifies.
                for id in &ids {
                    match mgr.verify(id).await {
                        Ok(verified) => prop_assert!(verified.valid, "{:?}", verified),
                        Err(e) => prop_assert_eq!(kind(e)?, ErrorCode::ResourceNotFound),
                    }
                }
                Ok(())
            })
        })
    });
    if let Err(failure) = result {
        panic!("the store departs from the model of the contract: {failure}");
    }
}
