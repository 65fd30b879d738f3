//! The models and helpers the scenarios share: the quickstart's `Issue`, a second model to tell
//! models apart, and a manager with a clock the scenarios control.

use std::sync::Arc;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use specstar_core::{
    FixedClock, ModelDef, ModelDescriptor, ResourceManager, Schema, Store, Timestamp, WriteContext,
};

/// The quickstart's issue.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Issue {
    /// A one-line summary.
    pub title: String,
    /// The details.
    pub description: Option<String>,
    /// Where the work stands.
    #[serde(default)]
    pub status: Status,
    /// How bad it is.
    #[serde(default)]
    pub severity: Severity,
    /// Who works on it.
    pub assignee: Option<String>,
    /// When it is due.
    pub due_date: Option<Timestamp>,
    /// When it was resolved.
    pub resolved_at: Option<Timestamp>,
}

/// Where an issue stands.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Not started.
    #[default]
    Open,
    /// Being worked on.
    InProgress,
    /// Done.
    Resolved,
}

/// How bad an issue is.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    /// Can wait.
    Low,
    /// The usual.
    #[default]
    Medium,
    /// Drop everything.
    High,
}

/// A second model, to check that models are kept apart.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Team {
    /// The team's name.
    pub name: String,
}

/// An open, medium issue titled `title`.
pub fn issue(title: &str) -> Issue {
    Issue {
        title: title.to_owned(),
        description: None,
        status: Status::Open,
        severity: Severity::Medium,
        assignee: None,
        due_date: None,
        resolved_at: None,
    }
}

/// The time the scenarios' clocks start at.
pub fn start_time() -> Timestamp {
    "2026-01-01T00:00:00Z".parse().expect("a valid timestamp")
}

/// [`start_time`] plus `seconds`.
pub fn at(seconds: i64) -> Timestamp {
    Timestamp::from_micros(start_time().as_micros() + seconds * 1_000_000).expect("in range")
}

/// Registers `schema` with `store` and returns its definition.
pub async fn register<T: specstar_core::Model>(
    store: &Arc<dyn Store>,
    schema: Schema<T>,
) -> Arc<ModelDef> {
    let model = Arc::new(schema.build().expect("the fixture schema is valid"));
    store
        .register_model(&ModelDescriptor::from(&*model))
        .await
        .expect("the store registers the model");
    model
}

/// The quickstart's schema: `Issue` v1 with status, severity and assignee indexed.
pub fn issue_schema() -> Schema<Issue> {
    Schema::<Issue>::new("v1")
        .index("status")
        .index("severity")
        .index("assignee")
}

/// A manager of issues in `store`, with a fixed clock the caller can move.
pub async fn issues(store: &Arc<dyn Store>) -> (ResourceManager<Issue>, FixedClock) {
    let model = register(store, issue_schema()).await;
    let clock = FixedClock::new(start_time());
    let manager = ResourceManager::new(model, store.clone())
        .expect("the model was declared with Issue")
        .with_context(WriteContext::default().with_clock(clock.clone()));
    (manager, clock)
}

/// A manager of teams in `store`.
pub async fn teams(store: &Arc<dyn Store>) -> ResourceManager<Team> {
    let model = register(store, Schema::<Team>::new("v1").index("name")).await;
    ResourceManager::new(model, store.clone()).expect("the model was declared with Team")
}

/// A model with a number, a time and a boolean indexed, for searches.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Task {
    /// The task's name.
    pub name: String,
    /// Its estimate, if any.
    pub points: Option<i64>,
    /// When it is due, if ever.
    pub due: Option<Timestamp>,
    /// Whether it is done.
    pub done: bool,
    /// Notes, not indexed.
    pub notes: String,
}

/// A task named `name` with `points`, not done, not due.
pub fn task(name: &str, points: Option<i64>) -> Task {
    Task {
        name: name.to_owned(),
        points,
        due: None,
        done: false,
        notes: String::new(),
    }
}

/// The tasks' schema: `Task` v1 with name, points, due and done indexed.
pub fn task_schema() -> Schema<Task> {
    Schema::<Task>::new("v1")
        .index("name")
        .index("points")
        .index("due")
        .index("done")
}

/// A manager of tasks in `store` (see [`task_schema`]), with a fixed clock.
pub async fn tasks(store: &Arc<dyn Store>) -> (ResourceManager<Task>, FixedClock) {
    let model = register(store, task_schema()).await;
    let clock = FixedClock::new(start_time());
    let manager = ResourceManager::new(model, store.clone())
        .expect("the model was declared with Task")
        .with_context(WriteContext::default().with_clock(clock.clone()));
    (manager, clock)
}

/// A model with array fields, for searches on arrays: tags (strings), scores (numbers, or
/// null), seen (times) and links (objects), all indexed, and a title.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Post {
    /// The post's title.
    pub title: String,
    /// Its tags.
    #[serde(default)]
    pub tags: Vec<String>,
    /// Its scores, if scored.
    pub scores: Option<Vec<i64>>,
    /// When it was seen.
    #[serde(default)]
    pub seen: Vec<Timestamp>,
    /// What it links to.
    #[serde(default)]
    pub links: Vec<Link>,
}

/// A link of a post: an object, so an array of them has no element to compare.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Link {
    /// Where it points.
    pub href: String,
}

/// A post titled `title` with these tags and scores, never seen, linking nowhere.
pub fn post(title: &str, tags: &[&str], scores: Option<&[i64]>) -> Post {
    Post {
        title: title.to_owned(),
        tags: tags.iter().map(|t| (*t).to_owned()).collect(),
        scores: scores.map(<[i64]>::to_vec),
        seen: Vec::new(),
        links: Vec::new(),
    }
}

/// The schema of posts: title, tags, scores, seen and links indexed.
pub fn post_schema() -> Schema<Post> {
    Schema::<Post>::new("v1")
        .index("title")
        .index("tags")
        .index("scores")
        .index("seen")
        .index("links")
}

/// A manager of posts in `store` (see [`post_schema`]) and the model's definition.
pub async fn posts(store: &Arc<dyn Store>) -> (ResourceManager<Post>, Arc<ModelDef>) {
    let model = register(store, post_schema()).await;
    let manager = ResourceManager::new(model.clone(), store.clone())
        .expect("the model was declared with Post")
        .with_context(WriteContext::default().with_clock(FixedClock::new(start_time())));
    (manager, model)
}

/// A new issue with four revisions, create, update, delete and restore: a history with every
/// kind of revision a chain links.
pub async fn four_revisions(mgr: &ResourceManager<Issue>) -> specstar_core::ResourceId {
    let first = issue("search returns duplicates");
    let id = mgr.create(first.clone()).await.unwrap().resource_id;
    let second = Issue {
        status: Status::InProgress,
        ..first
    };
    mgr.update(&id, second).await.unwrap();
    mgr.delete(&id).await.unwrap();
    mgr.restore(&id).await.unwrap();
    id
}
