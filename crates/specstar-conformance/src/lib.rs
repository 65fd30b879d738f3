//! The store conformance suite: the contract of specstar, scenario by scenario, written once
//! and run unchanged against every store (as object_store's `integration.rs` and sqlx's
//! per-database suites do).
//!
//! A store's test file calls [`store_suite!`] with an async function that makes a fresh, empty
//! [`TestStore`]; the macro expands to one `#[tokio::test]` per scenario, so a failure names the
//! scenario and the store.
//!
//! # For a store of your own
//!
//! The suite is how a store outside this repository proves that it keeps the contract: with the
//! facade's `conformance` feature (`specstar = { version = "0.1", features = ["conformance"] }`
//! in `[dev-dependencies]`, and `tokio` with `macros` and `rt-multi-thread`), a test file says
//!
//! ```ignore
//! async fn make_store() -> specstar::conformance::TestStore {
//!     specstar::conformance::TestStore::ephemeral(std::sync::Arc::new(MyStore::new()))
//! }
//! specstar::conformance::store_suite!(make_store);
//! ```
//!
//! and gets one test per scenario. `examples/custom_store.rs` does exactly that for the store it
//! defines (`cargo test --features conformance --example custom_store`).

use std::any::Any;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use specstar_core::Store;

pub mod arrays;
pub mod chain;
pub mod export;
pub mod feed;
pub mod fixtures;
pub mod history;
pub mod hooks;
pub mod import;
pub mod integrity;
pub mod json_models;
pub mod migration;
pub mod model;
pub mod properties;
pub mod retention;
pub mod scenarios;
pub mod scope;
pub mod search;
pub mod search_limits;

/// Reopens a persistent store over the same data, as a restarted process would.
pub type Reopen =
    Box<dyn Fn() -> Pin<Box<dyn Future<Output = Arc<dyn Store>> + Send>> + Send + Sync>;

/// A fresh store for one scenario, with what keeps its data alive (a temporary directory, a
/// database schema) until the scenario ends.
pub struct TestStore {
    /// The store under test, empty.
    pub store: Arc<dyn Store>,
    /// How to reopen it over the same data; `None` for a store that keeps nothing (memory).
    pub reopen: Option<Reopen>,
    /// Dropped when the scenario ends (e.g. a `tempfile::TempDir`).
    pub guard: Box<dyn Any + Send + Sync>,
}

impl TestStore {
    /// A store that keeps nothing beyond its own lifetime.
    pub fn ephemeral(store: Arc<dyn Store>) -> Self {
        Self {
            store,
            reopen: None,
            guard: Box::new(()),
        }
    }
}

/// Expands to one test per scenario of [`scenarios`] (the property test included), each run
/// against a fresh store from `$make` (an `async fn() -> TestStore`). `store_suite!(make,
/// persistent)` adds the scenarios of stores that keep data across a reopen.
///
/// `store_suite!(optional make, persistent)` takes an `async fn() -> Option<TestStore>`
/// instead, for a store that needs a server: when it gives `None` (no server configured; it
/// says so itself) each test returns at once. The maker decides when that is allowed (never
/// in CI).
#[macro_export]
macro_rules! store_suite {
    (optional $make:path, persistent) => {
        $crate::store_suite!(@suite optional $make);
        $crate::store_suite!(@persistent optional $make);
    };
    (optional $make:path) => {
        $crate::store_suite!(@suite optional $make);
    };
    ($make:path, persistent) => {
        $crate::store_suite!(@suite plain $make);
        $crate::store_suite!(@persistent plain $make);
    };
    ($make:path) => {
        $crate::store_suite!(@suite plain $make);
    };
    (@persistent $mode:ident $make:path) => {
        $crate::store_suite!(@tests $mode $make; reopen_resumes_everything);
        $crate::store_suite!(@search $mode $make; a_new_index_after_a_reopen_finds_old_resources);
    };
    (@suite $mode:ident $make:path) => {
        $crate::store_suite!(@tests $mode $make;
            create_get_update_history,
            same_data_appends_nothing,
            old_revisions_readable_after_delete,
            delete_restore_history_lists_four_revisions,
            delete_twice_and_restore_live,
            revert_appends_copy,
            patch_json_and_merge,
            permanently_delete_erases,
            expected_revision_guards_writes,
            racing_writers_from_one_head_exactly_one_wins,
            concurrent_unconditioned_updates_none_lost,
            sequence_numbers_grow_store_wide,
            registered_models_are_listed,
            data_hash_is_stable,
            ids_malformed_foreign_unknown_are_distinct,
            caller_chosen_ids,
            validation_refuses_bad_data,
            user_and_clock_recorded,
            indexed_values_follow_the_head,
            revision_pages,
            count_by_model,
            random_operation_sequences_match_the_model,
        );
        $crate::store_suite!(@history $mode $make;
            diff_between_any_two_revisions,
            as_of_reads_the_revision_current_then,
            as_of_tombstones_restores_and_purges,
            history_filters_by_created_time,
        );
        $crate::store_suite!(@chain $mode $make;
            chain_links_parent_to_child,
            verify_refusals_and_long_histories,
        );
        $crate::store_suite!(@feed $mode $make;
            feed_lists_every_revision_in_sequence_order,
            feed_filters_by_model,
            last_sequence_is_the_newest_event,
            feed_paged_while_writers_run_loses_nothing,
            watch_yields_events_as_they_commit,
            long_poll_answers_when_an_event_commits,
        );
        $crate::store_suite!(@export $mode $make;
            export_is_everything_from_one_snapshot,
            stats_count_resources_revisions_and_bytes,
        );
        $crate::store_suite!(@import $mode $make;
            import_into_an_empty_store_keeps_everything,
            import_duplicates_fail_skip_or_overwrite,
            a_failed_import_leaves_the_store_as_it_was,
            import_into_a_store_in_use_numbers_after_its_events,
            writes_during_an_import_never_land_behind_a_feed_reader,
        );
        $crate::store_suite!(@integrity $mode $make;
            typed_writes_round_trip,
            non_finite_floats_are_refused,
            revert_refuses_data_that_no_longer_fits,
            restore_refuses_data_that_no_longer_fits,
            typed_reads_name_what_no_longer_fits,
            revert_and_restore_take_numbers_and_expectations,
            racing_restores_all_succeed_and_append_once,
        );
        $crate::store_suite!(@search $mode $make;
            search_operators,
            search_and_or_not,
            search_sorts_and_pages,
            search_leaves_deleted_out,
            search_refuses_bad_queries,
            search_meta_fields,
            search_times_compare_as_instants,
            search_matches_the_definition,
            search_within_a_scope_is_search_then_filter,
            search_cursor_pages_through_everything,
            search_cursor_stays_correct_while_writes_go_on,
            search_cursor_refusals,
            iter_all_streams_every_match_once,
            a_new_index_finds_old_resources,
        );
        $crate::store_suite!(@arrays $mode $make;
            arrays_match_by_element,
            arrays_find_elements_with_nul,
            arrays_follow_every_write,
            arrays_of_times_compare_as_instants,
            arrays_refuse_what_is_not_defined,
            a_new_array_index_finds_old_resources,
            a_field_that_becomes_an_array_finds_old_resources,
            arrays_match_the_definition,
        );
        $crate::store_suite!(@migration $mode $make;
            old_versions_read_upcast_and_migrate_once,
            a_migration_that_keeps_the_bytes_moves_the_version,
            versions_without_a_path_are_refused_at_registration,
            a_changed_schema_under_an_unchanged_version_is_refused,
            lazy_upcast_and_persisted_migration_agree,
        );
        $crate::store_suite!(@hooks $mode $make;
            hooks_see_every_write_and_refusals_write_nothing,
        );
        $crate::store_suite!(@scope $mode $make;
            a_manager_within_a_scope_keeps_to_it,
        );
        $crate::store_suite!(@retention $mode $make;
            keep_last_prunes_data_and_keeps_the_history,
            pruned_reads_and_refusals,
            max_age_prunes_by_time_and_keeps_the_tombstone,
            prune_all_follows_the_models_policy,
        );
        $crate::store_suite!(@retention2 $mode $make;
            pruned_histories_export_and_import,
        );
        $crate::store_suite!(@json_models $mode $make;
            json_schema_models_search_nested_paths,
        );
        $crate::store_suite!(@limits $mode $make;
            search_refuses_values_that_can_never_match,
            search_takes_the_most_conditions,
            search_finds_nul_in_indexed_strings,
        );
    };
    (@arrays $mode:ident $make:path; $($name:ident),* $(,)?) => {
        $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn $name() {
                $crate::store_suite!(@run $mode $make, $crate::arrays::$name);
            }
        )*
    };
    (@migration $mode:ident $make:path; $($name:ident),* $(,)?) => {
        $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn $name() {
                $crate::store_suite!(@run $mode $make, $crate::migration::$name);
            }
        )*
    };
    (@hooks $mode:ident $make:path; $($name:ident),* $(,)?) => {
        $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn $name() {
                $crate::store_suite!(@run $mode $make, $crate::hooks::$name);
            }
        )*
    };
    (@scope $mode:ident $make:path; $($name:ident),* $(,)?) => {
        $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn $name() {
                $crate::store_suite!(@run $mode $make, $crate::scope::$name);
            }
        )*
    };
    (@retention $mode:ident $make:path; $($name:ident),* $(,)?) => {
        $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn $name() {
                $crate::store_suite!(@run $mode $make, $crate::retention::$name);
            }
        )*
    };
    (@retention2 $mode:ident $make:path; $($name:ident),* $(,)?) => {
        $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn $name() {
                $crate::store_suite!(@run2 $mode $make, $crate::retention::$name);
            }
        )*
    };
    (@json_models $mode:ident $make:path; $($name:ident),* $(,)?) => {
        $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn $name() {
                $crate::store_suite!(@run $mode $make, $crate::json_models::$name);
            }
        )*
    };
    (@limits $mode:ident $make:path; $($name:ident),* $(,)?) => {
        $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn $name() {
                $crate::store_suite!(@run $mode $make, $crate::search_limits::$name);
            }
        )*
    };
    (@history $mode:ident $make:path; $($name:ident),* $(,)?) => {
        $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn $name() {
                $crate::store_suite!(@run $mode $make, $crate::history::$name);
            }
        )*
    };
    (@chain $mode:ident $make:path; $($name:ident),* $(,)?) => {
        $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn $name() {
                $crate::store_suite!(@run $mode $make, $crate::chain::$name);
            }
        )*
    };
    (@export $mode:ident $make:path; $($name:ident),* $(,)?) => {
        $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn $name() {
                $crate::store_suite!(@run $mode $make, $crate::export::$name);
            }
        )*
    };
    (@import $mode:ident $make:path; $($name:ident),* $(,)?) => {
        $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn $name() {
                $crate::store_suite!(@run2 $mode $make, $crate::import::$name);
            }
        )*
    };
    (@feed $mode:ident $make:path; $($name:ident),* $(,)?) => {
        $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn $name() {
                $crate::store_suite!(@run $mode $make, $crate::feed::$name);
            }
        )*
    };
    (@integrity $mode:ident $make:path; $($name:ident),* $(,)?) => {
        $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn $name() {
                $crate::store_suite!(@run $mode $make, $crate::integrity::$name);
            }
        )*
    };
    (@search $mode:ident $make:path; $($name:ident),* $(,)?) => {
        $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn $name() {
                $crate::store_suite!(@run $mode $make, $crate::search::$name);
            }
        )*
    };
    (@tests $mode:ident $make:path; $($name:ident),* $(,)?) => {
        $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn $name() {
                $crate::store_suite!(@run $mode $make, $crate::scenarios::$name);
            }
        )*
    };
    (@run plain $make:path, $scenario:path) => {
        $scenario($make().await).await
    };
    (@run optional $make:path, $scenario:path) => {
        if let Some(store) = $make().await {
            $scenario(store).await
        }
    };
    (@run2 plain $make:path, $scenario:path) => {
        $scenario($make().await, $make().await).await
    };
    (@run2 optional $make:path, $scenario:path) => {
        if let (Some(first), Some(second)) = ($make().await, $make().await) {
            $scenario(first, second).await
        }
    };
}
