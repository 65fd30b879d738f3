//! The migration steps of a model file, declared without code:
//!
//! ```yaml
//! schema_version: v2
//! migrations:
//!   - from: v1                    # `to` is the file's schema_version unless given
//!     rename: {assignee: owner}   # dotted JSON paths; nested allowed
//!     copy: {title: summary}
//!     set: {priority: 3}          # a value where absent
//!     remove: [legacy_field]
//!     examples: [{title: t, assignee: ann, legacy_field: 1}]   # v1 data, checked once migrated
//! ```
//!
//! The operations run in that order (rename, copy, set, remove), each over its entries in the
//! file's order. A path whose source is absent is left alone (a rename or copy of a missing
//! field does nothing); intermediate objects are created where a path goes through none.

use std::collections::BTreeMap;

use serde::Deserialize;
use serde_json::{Map, Value};

/// One step as a model file writes it.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct StepFile {
    pub(crate) from: String,
    #[serde(default)]
    pub(crate) to: Option<String>,
    #[serde(default)]
    rename: BTreeMap<String, String>,
    #[serde(default)]
    copy: BTreeMap<String, String>,
    #[serde(default)]
    set: BTreeMap<String, Value>,
    #[serde(default)]
    remove: Vec<String>,
    /// Data of the `from` version, which `check` migrates and validates.
    #[serde(default)]
    pub(crate) examples: Vec<Value>,
}

impl StepFile {
    /// Checks every path of the step; the reason names the first bad one.
    pub(crate) fn check(&self) -> Result<(), String> {
        let paths = self
            .rename
            .iter()
            .chain(&self.copy)
            .flat_map(|(a, b)| [a, b])
            .chain(self.set.keys())
            .chain(&self.remove);
        for path in paths {
            if path.split('.').any(str::is_empty) {
                return Err(format!(
                    "the migration step from {:?} has a malformed path {path:?}",
                    self.from
                ));
            }
        }
        Ok(())
    }

    /// Runs the step on `data`.
    ///
    /// # Errors
    /// When the data, or an object a path goes through, is not an object.
    pub(crate) fn run(&self, mut data: Value) -> Result<Value, String> {
        for (from, to) in &self.rename {
            if let Some(value) = take(&mut data, from) {
                put(&mut data, to, value)?;
            }
        }
        for (from, to) in &self.copy {
            if let Some(value) = get(&data, from).cloned() {
                put(&mut data, to, value)?;
            }
        }
        for (path, value) in &self.set {
            if get(&data, path).is_none() {
                put(&mut data, path, value.clone())?;
            }
        }
        for path in &self.remove {
            take(&mut data, path);
        }
        Ok(data)
    }
}

fn get<'a>(data: &'a Value, path: &str) -> Option<&'a Value> {
    path.split('.').try_fold(data, |node, key| node.get(key))
}

fn take(data: &mut Value, path: &str) -> Option<Value> {
    let (parent, key) = match path.rsplit_once('.') {
        Some((parent, key)) => (get_mut(data, parent)?, key),
        None => (data, path),
    };
    parent.as_object_mut()?.remove(key)
}

fn get_mut<'a>(data: &'a mut Value, path: &str) -> Option<&'a mut Value> {
    path.split('.')
        .try_fold(data, |node, key| node.get_mut(key))
}

/// Sets `path` to `value`, creating the objects it goes through.
fn put(data: &mut Value, path: &str, value: Value) -> Result<(), String> {
    let mut node = data;
    let mut keys = path.split('.').peekable();
    while let Some(key) = keys.next() {
        let object = node.as_object_mut().ok_or_else(|| {
            format!("cannot set {path:?}: it goes through a value that is not an object")
        })?;
        if keys.peek().is_none() {
            object.insert(key.to_owned(), value);
            return Ok(());
        }
        node = object
            .entry(key.to_owned())
            .or_insert_with(|| Value::Object(Map::new()));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn step(yaml: &str) -> StepFile {
        serde_yaml_ng::from_str(yaml).unwrap()
    }

    #[test]
    fn rename_copy_set_and_remove_run_in_order_on_nested_paths() {
        let s = step(
            "from: v1\nrename: {assignee: owner.name}\ncopy: {title: summary}\n\
             set: {priority: 3, title: ignored}\nremove: [legacy, missing.deep]",
        );
        s.check().unwrap();
        let out = s
            .run(json!({"title": "t", "assignee": "ann", "legacy": 1}))
            .unwrap();
        assert_eq!(
            out,
            json!({"title": "t", "summary": "t", "owner": {"name": "ann"}, "priority": 3})
        );
        assert_eq!(s.run(json!({"title": "t"})).unwrap()["owner"], Value::Null);
        assert!(
            s.run(json!({"title": "t", "owner": 5, "assignee": "x"}))
                .is_err()
        );
    }

    #[test]
    fn malformed_paths_and_unknown_keys_are_refused() {
        assert!(step("from: v1\nremove: [a..b]").check().is_err());
        assert!(serde_yaml_ng::from_str::<StepFile>("from: v1\nmove: {a: b}").is_err());
    }
}
