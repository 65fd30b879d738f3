//! The core domain of specstar: a versioned resource is a head plus immutable revisions.
//!
//! Every change to a resource appends a revision (`{resource_id}:{n}`) and moves the head in one
//! atomic step; nothing is overwritten. Deletes are tombstone revisions, restores and reverts are
//! revisions too, so the history tells the whole timeline with who did what when.
//!
//! The layers, from the bottom:
//! - values: [`ResourceId`], [`RevisionId`], [`RevisionInfo`], [`ResourceMeta`], [`DataHash`],
//!   [`Timestamp`];
//! - models: a [`Schema`] declares a Rust type as a model; registered, it is a [`ModelDef`] in a
//!   [`Registry`];
//! - the [`Store`] interface and the [`plan`](plan::plan)ner, which decides every write once for
//!   all stores;
//! - the resource managers: [`DynResourceManager`] over JSON, [`ResourceManager`] over your type.
//!
//! # Two audiences
//!
//! **Applications** use the values, the models, the query model ([`Query`], [`Filter`]), the
//! resource managers and [`Error`]; the facade crate `specstar` re-exports them with a `Spec` to
//! hold them together.
//!
//! **Store authors** implement [`Store`]. That layer is [`Store`] itself, the
//! [planner](plan::plan) a store calls inside its atomic section, and the records that cross
//! the trait: [`WriteRequest`] and [`Change`] in, [`Head`] for the planner, [`Fetched`],
//! [`StoredRevision`], [`Written`] and [`RevisionPage`], [`ModelDescriptor`] at registration,
//! and [`Query::matches_on`] / [`Query::is_after`], the definition a store's search must agree
//! with. It may change in minor versions while the product is at 0.x, more freely than the
//! application API: pin specstar's version when you write a store. Prove a store with the
//! conformance suite (`specstar-conformance`, or the facade's `conformance` feature).

pub mod chain;
pub mod context;
pub mod diff;
pub mod domain;
pub mod error;
pub mod feed;
pub mod hash;
pub mod hooks;
pub mod id;
pub mod import;
pub mod json;
pub mod limits;
pub mod manager;
pub mod meta;
pub mod permission;
pub mod plan;
pub mod query;
pub mod registry;
pub mod retention;
pub mod revision;
pub mod schema;
pub mod store;
pub mod time;

pub use chain::{ChainHash, Verification};
pub use context::{ANONYMOUS, WriteContext};
pub use diff::{Diff, LeafChange};
pub use error::{Error, ErrorCode, FieldError, FieldErrors, Result};
pub use feed::{FeedEvent, FeedPage, FeedSignal, MAX_FEED_LIMIT, ModelFilter, PurgeEvent};
pub use hash::DataHash;
pub use hooks::{Hooks, Refusal};
pub use id::{ResourceId, RevisionId, RevisionRef};
pub use import::{ImportOptions, ImportReport, Importer, OnDuplicate};
pub use limits::{
    MAX_QUERY_CONDITIONS, MAX_QUERY_DEPTH, MAX_QUERY_NESTING, MAX_QUERY_SORTS, MAX_QUERY_VALUES,
};
pub use manager::{
    DataPatch, DynResource, DynResourceManager, ITER_BATCH, MigrationProgress, MigrationReport,
    PruneReport, Resource, ResourceManager,
};
pub use meta::{IndexedValues, ResourceMeta};
pub use permission::{Access, Caller, Grant, Permissions, Rule, Scope, UserValue};
pub use query::{Condition, Cursor, Direction, Field, Filter, MetaField, Op, Query, Sort};
pub use registry::Registry;
pub use retention::{PruneBounds, Pruned, Retention};
pub use revision::{Action, RevisionInfo};
pub use schema::{EncodedData, FieldShape, IndexedField, JsonSchemaModel, Model, ModelDef, Schema};
pub use store::{
    Change, Exported, Fetched, Head, Inspection, ModelDescriptor, ModelStats, PurgeRequest,
    RegisteredModel, RevisionPage, Store, StoredResource, StoredRevision, Upcast, VersionCount,
    VersionFingerprint, WriteRequest, Written,
};
pub use time::{Clock, FixedClock, SystemClock, Timestamp};

/// Re-exported for [`DataPatch::Json`].
pub use json_patch;
