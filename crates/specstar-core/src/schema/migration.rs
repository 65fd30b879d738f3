//! Migrations: the steps that bring data written under an older schema version to the current
//! one.
//!
//! A step turns JSON data of one version into JSON data of another. A model declares any number
//! of them ([`Schema::migrate_from`](super::Schema::migrate_from) for a Rust type still at hand,
//! [`migrate_json`](super::Schema::migrate_json) on raw JSON for a version whose type is gone,
//! and the same on [`JsonSchemaModel`](super::JsonSchemaModel)); the path from a stored version
//! to the current one is the shortest chain of steps (v1 → v2 → v3), found once per version and
//! kept. The result is then checked by the model like any write (see
//! [`ModelDef::upcast`](super::ModelDef::upcast)).

use std::collections::{HashMap, VecDeque};
use std::fmt;
use std::sync::Arc;

use parking_lot::RwLock;
use serde_json::Value;

/// A step's function: the data of its `from` version into its `to` version, or why not.
pub(crate) type StepFn = Arc<dyn Fn(Value) -> Result<Value, String> + Send + Sync>;

/// A path found: indexes into a model's steps, in order; `None` when there is none.
type Path = Option<Arc<[usize]>>;

/// One step: data of version `from` into version `to`.
#[derive(Clone)]
pub(crate) struct Step {
    pub(crate) from: Arc<str>,
    pub(crate) to: Arc<str>,
    pub(crate) run: StepFn,
}

impl fmt::Debug for Step {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} -> {}", self.from, self.to)
    }
}

impl Step {
    /// A step on raw JSON.
    pub(crate) fn json<E: fmt::Display>(
        from: String,
        to: String,
        step: impl Fn(Value) -> Result<Value, E> + Send + Sync + 'static,
    ) -> Self {
        Self {
            from: from.into(),
            to: to.into(),
            run: Arc::new(move |data| step(data).map_err(|e| e.to_string())),
        }
    }
}

/// Why data could not be brought to the current version.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum MigrationError {
    /// No chain of steps leads from the version to the current one.
    NoPath,
    /// A step failed: its versions and its reason.
    Failed {
        from: Arc<str>,
        to: Arc<str>,
        reason: String,
    },
}

/// A model's steps, with the paths found so far.
pub(crate) struct Migrations {
    current: Arc<str>,
    steps: Vec<Step>,
    paths: RwLock<HashMap<Arc<str>, Path>>,
}

impl fmt::Debug for Migrations {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let steps: Vec<String> = self.steps.iter().map(|s| format!("{s:?}")).collect();
        f.debug_struct("Migrations")
            .field("current", &self.current)
            .field("steps", &steps)
            .finish()
    }
}

impl Migrations {
    /// The steps of a model whose current version is `current`.
    ///
    /// # Errors
    /// The reason, for a step from the current version or two steps between the same versions.
    pub(crate) fn new(current: Arc<str>, steps: Vec<Step>) -> Result<Self, String> {
        for (i, step) in steps.iter().enumerate() {
            if step.from == current {
                return Err(format!(
                    "a migration step from {:?}, the current schema version: steps lead from \
                     older versions to it",
                    step.from
                ));
            }
            if step.from == step.to {
                return Err(format!("a migration step from {:?} to itself", step.from));
            }
            if steps[..i]
                .iter()
                .any(|other| other.from == step.from && other.to == step.to)
            {
                return Err(format!(
                    "two migration steps from {:?} to {:?}",
                    step.from, step.to
                ));
            }
        }
        Ok(Self {
            current,
            steps,
            paths: RwLock::new(HashMap::new()),
        })
    }

    /// Whether data of `version` can be brought to the current version.
    pub(crate) fn has_path(&self, version: &str) -> bool {
        version == &*self.current || self.path(version).is_some()
    }

    /// The versions the steps lead from.
    pub(crate) fn sources(&self) -> impl Iterator<Item = &str> {
        self.steps.iter().map(|step| &*step.from)
    }

    /// Brings `data` of `version` to the current version, step by step.
    pub(crate) fn upcast(&self, version: &str, data: Value) -> Result<Value, MigrationError> {
        if version == &*self.current {
            return Ok(data);
        }
        let path = self.path(version).ok_or(MigrationError::NoPath)?;
        path.iter().try_fold(data, |data, &index| {
            let step = &self.steps[index];
            (step.run)(data).map_err(|reason| MigrationError::Failed {
                from: step.from.clone(),
                to: step.to.clone(),
                reason,
            })
        })
    }

    /// The shortest chain of steps from `version` to the current one (indexes into `steps`).
    fn path(&self, version: &str) -> Path {
        if let Some(known) = self.paths.read().get(version) {
            return known.clone();
        }
        let found = self.search(version).map(Arc::from);
        self.paths.write().insert(Arc::from(version), found.clone());
        found
    }

    /// A breadth-first search over the steps, from `version`.
    fn search(&self, version: &str) -> Option<Vec<usize>> {
        let mut came_by: HashMap<&str, Option<usize>> = HashMap::from([(version, None)]);
        let mut queue = VecDeque::from([version]);
        while let Some(at) = queue.pop_front() {
            if at == &*self.current {
                let mut path = Vec::new();
                let mut node = at;
                while let Some(Some(index)) = came_by.get(node) {
                    path.push(*index);
                    node = &self.steps[*index].from;
                }
                path.reverse();
                return Some(path);
            }
            for (index, step) in self.steps.iter().enumerate() {
                if &*step.from == at && !came_by.contains_key(&*step.to) {
                    came_by.insert(&step.to, Some(index));
                    queue.push_back(&step.to);
                }
            }
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn step(from: &str, to: &str, field: &'static str) -> Step {
        Step {
            from: from.into(),
            to: to.into(),
            run: Arc::new(move |mut data: Value| {
                data[field] = json!(true);
                Ok(data)
            }),
        }
    }

    #[test]
    fn steps_chain_along_the_shortest_path() {
        let migrations = Migrations::new(
            "v3".into(),
            vec![
                step("v1", "v2", "a"),
                step("v2", "v3", "b"),
                step("v0", "v1", "c"),
            ],
        )
        .unwrap();
        assert_eq!(
            migrations.upcast("v0", json!({})).unwrap(),
            json!({"a": true, "b": true, "c": true})
        );
        assert_eq!(
            migrations.upcast("v2", json!({})).unwrap(),
            json!({"b": true})
        );
        assert_eq!(
            migrations.upcast("v3", json!({"x": 1})).unwrap(),
            json!({"x": 1})
        );
        assert_eq!(
            migrations.upcast("v9", json!({})),
            Err(MigrationError::NoPath)
        );
        assert!(migrations.has_path("v0") && !migrations.has_path("v9"));
        let shortcut = Migrations::new(
            "v3".into(),
            vec![
                step("v1", "v2", "a"),
                step("v2", "v3", "b"),
                step("v1", "v3", "s"),
            ],
        )
        .unwrap();
        assert_eq!(
            shortcut.upcast("v1", json!({})).unwrap(),
            json!({"s": true})
        );
    }

    #[test]
    fn a_failing_step_is_named_and_bad_declarations_are_refused() {
        let failing = Step {
            from: "v1".into(),
            to: "v2".into(),
            run: Arc::new(|_| Err("no title".to_owned())),
        };
        let migrations = Migrations::new("v2".into(), vec![failing]).unwrap();
        assert_eq!(
            migrations.upcast("v1", json!({})),
            Err(MigrationError::Failed {
                from: "v1".into(),
                to: "v2".into(),
                reason: "no title".into()
            })
        );
        assert!(Migrations::new("v2".into(), vec![step("v2", "v1", "a")]).is_err());
        assert!(Migrations::new("v2".into(), vec![step("v1", "v1", "a")]).is_err());
        assert!(
            Migrations::new(
                "v2".into(),
                vec![step("v1", "v2", "a"), step("v1", "v2", "b")]
            )
            .is_err()
        );
    }
}
