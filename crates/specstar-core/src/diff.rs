//! What changed between two revisions' data: an RFC 6902 JSON Patch and one change per leaf.
//!
//! [`diff_values`] compares two JSON documents. Objects are compared key by key. An array of
//! scalars (`["a", "b"]`, `[1, 2]`) is one value, replaced whole when it differs: a tag list
//! reads better as "was, is" than as index surgery. Any other array is aligned element by
//! element with the Myers algorithm (the `similar` crate), so that one element inserted or
//! removed is one `add` or `remove`, not a cascade of replaces down the array; elements the
//! alignment pairs up are compared in depth.
//!
//! The patch always turns the first document into the second: each operation's path is where
//! the document stands at that step, so the operations apply in order. The changes are for
//! people: one per changed leaf (a scalar, an array of scalars, or a whole added or removed
//! value), each with its JSON pointer, its value before (absent when added) and after (absent
//! when removed).

use std::time::{Duration, Instant};

use json_patch::jsonptr::PointerBuf;
use json_patch::{AddOperation, Patch, PatchOperation, RemoveOperation, ReplaceOperation};
use serde::Serialize;
use serde_json::{Map, Value};
use similar::{Algorithm, DiffOp};

use crate::hash::canonical_json;
use crate::id::{ResourceId, RevisionId};

/// How long the alignment of one array may search for the shortest edit: past it, the diff is
/// still correct, only possibly longer (Myers' algorithm gives up on minimality, not on truth).
const ALIGN_DEADLINE: Duration = Duration::from_millis(200);

/// One changed leaf: where, what it was and what it is.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct LeafChange {
    /// A JSON pointer (`/owner/team`, `/items/2`), as the patch's operation at that step has it.
    pub path: String,
    /// The value before; absent for an added value.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub from: Option<Value>,
    /// The value after; absent for a removed value.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub to: Option<Value>,
}

/// The difference of two documents: a patch from the first to the second and its leaf changes.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ValueDiff {
    /// Applied to the first document, gives exactly the second.
    pub patch: Patch,
    /// One entry per changed leaf, in patch order.
    pub changes: Vec<LeafChange>,
}

/// What changed in a resource's data between two of its revisions (in either order; a
/// tombstone compares by the data it carries).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Diff {
    /// The resource compared.
    pub resource_id: ResourceId,
    /// The revision compared from.
    pub from_revision_id: RevisionId,
    /// The revision compared to.
    pub to_revision_id: RevisionId,
    /// An RFC 6902 JSON Patch that turns `from`'s data into `to`'s.
    pub patch: Patch,
    /// One entry per changed leaf, in patch order.
    pub changes: Vec<LeafChange>,
}

/// The patch and leaf changes that turn `from` into `to` (empty when they are equal).
pub fn diff_values(from: &Value, to: &Value) -> ValueDiff {
    let mut diff = ValueDiff::default();
    let mut path = PointerBuf::new();
    diff.compare(from, to, &mut path);
    diff
}

impl ValueDiff {
    fn compare(&mut self, from: &Value, to: &Value, path: &mut PointerBuf) {
        match (from, to) {
            (Value::Object(a), Value::Object(b)) => self.compare_objects(a, b, path),
            (Value::Array(a), Value::Array(b)) if !(all_scalars(a) && all_scalars(b)) => {
                self.compare_arrays(a, b, path);
            }
            _ if from == to => {}
            _ => self.replace(path, from, to),
        }
    }

    fn compare_objects(
        &mut self,
        a: &Map<String, Value>,
        b: &Map<String, Value>,
        path: &mut PointerBuf,
    ) {
        for (key, old) in a {
            if !b.contains_key(key) {
                path.push_back(key.as_str());
                self.remove(path, old);
                path.pop_back();
            }
        }
        for (key, new) in b {
            path.push_back(key.as_str());
            match a.get(key) {
                Some(old) => self.compare(old, new, path),
                None => self.add(path, new),
            }
            path.pop_back();
        }
    }

    /// Aligns the elements, then walks the edit script in order, keeping `at`, how many
    /// elements are already in their final place: every operation applies there.
    fn compare_arrays(&mut self, a: &[Value], b: &[Value], path: &mut PointerBuf) {
        let deadline = Instant::now() + ALIGN_DEADLINE;
        let ops = similar::capture_diff_slices_deadline(
            Algorithm::Myers,
            &element_keys(a),
            &element_keys(b),
            Some(deadline),
        );
        let mut at = 0;
        for op in ops {
            let (old, new) = match op {
                DiffOp::Equal {
                    old_index,
                    new_index,
                    len,
                } => (
                    &a[old_index..old_index + len],
                    &b[new_index..new_index + len],
                ),
                DiffOp::Delete {
                    old_index, old_len, ..
                } => (&a[old_index..old_index + old_len], &[][..]),
                DiffOp::Insert {
                    new_index, new_len, ..
                } => (&[][..], &b[new_index..new_index + new_len]),
                DiffOp::Replace {
                    old_index,
                    old_len,
                    new_index,
                    new_len,
                } => (
                    &a[old_index..old_index + old_len],
                    &b[new_index..new_index + new_len],
                ),
            };
            // Equal runs are compared too, so that a hash collision cannot hide a change.
            self.splice(path, at, old, new);
            at += new.len();
        }
    }

    /// Turns the run `old` at `index` into the run `new`: the elements paired by position are
    /// compared in depth, the old ones left over removed, the new ones left over added.
    fn splice(&mut self, path: &mut PointerBuf, index: usize, old: &[Value], new: &[Value]) {
        let paired = old.len().min(new.len());
        for k in 0..paired {
            self.at(path, index + k, |d, p| d.compare(&old[k], &new[k], p));
        }
        for removed in &old[paired..] {
            self.at(path, index + paired, |d, p| d.remove(p, removed));
        }
        for (k, added) in new[paired..].iter().enumerate() {
            self.at(path, index + paired + k, |d, p| d.add(p, added));
        }
    }

    fn at(
        &mut self,
        path: &mut PointerBuf,
        index: usize,
        step: impl FnOnce(&mut Self, &mut PointerBuf),
    ) {
        path.push_back(index);
        step(self, path);
        path.pop_back();
    }

    fn add(&mut self, path: &PointerBuf, value: &Value) {
        self.patch.0.push(PatchOperation::Add(AddOperation {
            path: path.clone(),
            value: value.clone(),
        }));
        self.note(path, None, Some(value));
    }

    fn remove(&mut self, path: &PointerBuf, value: &Value) {
        self.patch.0.push(PatchOperation::Remove(RemoveOperation {
            path: path.clone(),
        }));
        self.note(path, Some(value), None);
    }

    fn replace(&mut self, path: &PointerBuf, from: &Value, to: &Value) {
        self.patch.0.push(PatchOperation::Replace(ReplaceOperation {
            path: path.clone(),
            value: to.clone(),
        }));
        self.note(path, Some(from), Some(to));
    }

    fn note(&mut self, path: &PointerBuf, from: Option<&Value>, to: Option<&Value>) {
        self.changes.push(LeafChange {
            path: path.to_string(),
            from: from.cloned(),
            to: to.cloned(),
        });
    }
}

fn all_scalars(values: &[Value]) -> bool {
    values.iter().all(|v| !v.is_array() && !v.is_object())
}

/// A key per element, equal for equal elements (their canonical JSON's hash), to align on.
fn element_keys(values: &[Value]) -> Vec<u128> {
    values
        .iter()
        .map(|v| xxhash_rust::xxh3::xxh3_128(&canonical_json(v)))
        .collect()
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;
    use serde_json::json;

    use super::*;

    fn applied(from: &Value, to: &Value) -> (Value, ValueDiff) {
        let diff = diff_values(from, to);
        let mut doc = from.clone();
        json_patch::patch(&mut doc, &diff.patch).expect("the patch applies");
        (doc, diff)
    }

    #[test]
    fn objects_change_by_key_and_scalar_arrays_as_values() {
        let from = json!({"title": "a", "tags": ["x", "y"], "owner": {"team": "core", "on": true}, "gone": 1});
        let to = json!({"title": "b", "tags": ["x", "y", "z"], "owner": {"team": "web", "on": true}, "new": null});
        let (doc, diff) = applied(&from, &to);
        assert_eq!(doc, to);
        let changes: Vec<_> = diff.changes.iter().map(|c| c.path.as_str()).collect();
        assert_eq!(changes, ["/gone", "/new", "/owner/team", "/tags", "/title"]);
        assert_eq!(diff.changes[0].to, None);
        assert_eq!(diff.changes[1].from, None);
        assert_eq!(diff.changes[3].to, Some(json!(["x", "y", "z"])));
    }

    #[test]
    fn one_object_inserted_into_an_array_is_one_add() {
        let items =
            |names: &[&str]| Value::Array(names.iter().map(|n| json!({"name": n})).collect());
        let (doc, diff) = applied(
            &json!({"items": items(&["a", "b", "c"])}),
            &json!({"items": items(&["new", "a", "b", "c"])}),
        );
        assert_eq!(doc["items"], items(&["new", "a", "b", "c"]));
        assert_eq!(diff.patch.0.len(), 1, "{:?}", diff.patch);
        assert_eq!(diff.changes[0].path, "/items/0");

        let (_, diff) = applied(
            &json!([{"n": 1}, {"n": 2}, {"n": 3}]),
            &json!([{"n": 1}, {"n": 3}]),
        );
        assert_eq!(diff.patch.0.len(), 1, "one removal: {:?}", diff.patch);
        assert_eq!(diff.changes[0].path, "/1");
    }

    #[test]
    fn a_changed_element_is_compared_in_depth() {
        let from = json!([{"id": 1, "v": "a"}, {"id": 2, "v": "b"}]);
        let to = json!([{"id": 1, "v": "a"}, {"id": 2, "v": "c"}]);
        let (doc, diff) = applied(&from, &to);
        assert_eq!(doc, to);
        assert_eq!(
            diff.changes,
            [LeafChange {
                path: "/1/v".into(),
                from: Some(json!("b")),
                to: Some(json!("c"))
            }]
        );
    }

    #[test]
    fn equal_documents_have_an_empty_diff_and_keys_are_escaped() {
        assert_eq!(
            diff_values(&json!({"a": [1, {"b": 2}]}), &json!({"a": [1, {"b": 2}]})),
            ValueDiff::default()
        );
        let (_, diff) = applied(&json!({"a/b": 1, "c~d": 2}), &json!({"a/b": 2, "c~d": 3}));
        let paths: Vec<_> = diff.changes.iter().map(|c| c.path.as_str()).collect();
        assert_eq!(paths, ["/a~1b", "/c~0d"]);
        let (doc, diff) = applied(&json!(1), &json!({"x": 1}));
        assert_eq!(doc, json!({"x": 1}));
        assert_eq!(diff.changes[0].path, "");
    }

    fn json_value() -> impl Strategy<Value = Value> {
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::Bool),
            (-5i64..5).prop_map(|n| json!(n)),
            "[a-c~/]{0,2}".prop_map(Value::String),
        ];
        leaf.prop_recursive(4, 40, 5, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..5).prop_map(Value::Array),
                prop::collection::btree_map("[a-c~/]{0,2}", inner, 0..4)
                    .prop_map(|m| Value::Object(m.into_iter().collect())),
            ]
        })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]

        /// Applying the patch to the first document gives exactly the second, and a document
        /// compared with itself has no change.
        #[test]
        fn the_patch_turns_from_into_to(from in json_value(), to in json_value()) {
            let (doc, diff) = applied(&from, &to);
            prop_assert_eq!(&doc, &to);
            prop_assert_eq!(diff.patch.0.len(), diff.changes.len());
            prop_assert!(diff_values(&to, &to).patch.0.is_empty());
        }

        /// Related documents (the second an edit of the first) too: the alignment's paths.
        #[test]
        fn the_patch_applies_to_edited_arrays(items in prop::collection::vec(json_value(), 0..8), at in 0usize..8, extra in json_value()) {
            let from = Value::Array(items.clone());
            let mut edited = items;
            let at = at.min(edited.len());
            edited.insert(at, extra);
            if at + 2 < edited.len() {
                edited.remove(at + 2);
            }
            let (doc, _) = applied(&from, &Value::Array(edited.clone()));
            prop_assert_eq!(doc, Value::Array(edited));
        }
    }
}
