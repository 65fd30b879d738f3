//! The memory store's search indexes: per model, the ids of its resources, and per indexed
//! field a B-tree from value to ids, kept in step with the heads by every write and purge.
//!
//! The B-trees narrow a search to candidates (equalities, `in`, ranges, and their
//! conjunctions and disjunctions); the query's own
//! [`Query::matches_on`](specstar_core::Query::matches_on) then decides each candidate, so an
//! index only ever has to give a superset. Conditions the trees cannot serve
//! (meta fields, negations, string operators) fall back to the model's ids.
//!
//! An array field's tree holds each element, not the array: a resource is under every
//! element it has, so `eq`, `contains` and `in` on the field are lookups of elements, as the
//! query model says they mean.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::ops::Bound;

use serde_json::Value;
use specstar_core::query::SortKey;
use specstar_core::{Field, Filter, IndexedField, IndexedValues, Op, ResourceId};

/// The indexes of one model.
#[derive(Debug, Default)]
pub(crate) struct ModelIndex {
    /// Every resource of the model, deleted ones too.
    pub ids: BTreeSet<ResourceId>,
    /// The schema version of the last registration; `None` for a model written but never
    /// registered.
    pub schema_version: Option<String>,
    /// The indexed fields' paths, as registered.
    pub indexed: Vec<String>,
    /// The indexed fields, with their shapes: what the query means on each.
    pub defs: Vec<IndexedField>,
    /// Per indexed field, its values and the resources holding each.
    fields: HashMap<String, BTreeMap<SortKey, BTreeSet<ResourceId>>>,
}

impl ModelIndex {
    /// Declares the indexed fields and, when they changed, builds every field's tree anew from
    /// the indexed values of the heads there are, given by `existing`.
    pub(crate) fn register<'a>(
        &mut self,
        defs: &[IndexedField],
        existing: impl Fn(&ResourceId) -> Option<&'a IndexedValues>,
    ) {
        if self.defs == defs && self.fields.len() == defs.len() {
            return;
        }
        self.defs = defs.to_vec();
        self.indexed = defs.iter().map(|f| f.path().to_owned()).collect();
        self.fields.clear();
        for def in defs {
            let mut tree: BTreeMap<SortKey, BTreeSet<ResourceId>> = BTreeMap::new();
            for id in &self.ids {
                if let Some(values) = existing(id) {
                    for key in keys(def, values.get(def.path())) {
                        tree.entry(key).or_default().insert(id.clone());
                    }
                }
            }
            self.fields.insert(def.path().to_owned(), tree);
        }
    }

    /// The definition of an indexed field.
    fn def(&self, path: &str) -> Option<&IndexedField> {
        self.defs.iter().find(|f| f.path() == path)
    }

    /// Moves a resource's entries from its old values (`None` when new) to its new ones
    /// (`None` when purged).
    pub(crate) fn update(
        &mut self,
        id: &ResourceId,
        old: Option<&IndexedValues>,
        new: Option<&IndexedValues>,
    ) {
        for def in &self.defs {
            let Some(tree) = self.fields.get_mut(def.path()) else {
                continue;
            };
            if let Some(old) = old {
                for key in keys(def, old.get(def.path())) {
                    if let Some(ids) = tree.get_mut(&key) {
                        ids.remove(id);
                        if ids.is_empty() {
                            tree.remove(&key);
                        }
                    }
                }
            }
            if let Some(new) = new {
                for key in keys(def, new.get(def.path())) {
                    tree.entry(key).or_default().insert(id.clone());
                }
            }
        }
        match new {
            Some(_) => self.ids.insert(id.clone()),
            None => self.ids.remove(id),
        };
    }

    /// The resources that may match `filter`, in id order, borrowed from the indexes: a
    /// superset of the matches, or `None` when the indexes cannot narrow it (every resource of
    /// the model may match). A conjunction intersects its members' lists by a merge.
    pub(crate) fn candidates(&self, filter: &Filter) -> Option<Vec<&ResourceId>> {
        match filter {
            Filter::And(all) => {
                let mut lists: Vec<Vec<&ResourceId>> =
                    all.iter().filter_map(|f| self.candidates(f)).collect();
                lists.sort_by_key(Vec::len);
                let mut lists = lists.into_iter();
                let first = lists.next()?;
                Some(lists.fold(first, |acc, list| intersect(&acc, &list)))
            }
            Filter::Or(any) => {
                let mut union = Vec::new();
                for f in any {
                    union.extend(self.candidates(f)?);
                }
                union.sort_unstable();
                union.dedup();
                Some(union)
            }
            Filter::Not(_) => None,
            Filter::Condition(c) => {
                let Field::Data(path) = &c.field else {
                    return None;
                };
                let tree = self.fields.get(path)?;
                let key = |v: &serde_json::Value| SortKey::of(Some(v.clone()));
                let array = self.def(path).is_some_and(IndexedField::is_array);
                match c.op {
                    // An array's tree holds its elements; its other conditions are refused or
                    // negations.
                    _ if array && !matches!(c.op, Op::Eq | Op::Contains | Op::In) => None,
                    Op::Eq | Op::Contains if array || c.op == Op::Eq => Some(
                        tree.get(&key(&c.value))
                            .map(|ids| ids.iter().collect())
                            .unwrap_or_default(),
                    ),
                    Op::In => {
                        let mut union: Vec<&ResourceId> = Vec::new();
                        for v in c.value.as_array()? {
                            if let Some(ids) = tree.get(&key(v)) {
                                union.extend(ids.iter());
                            }
                        }
                        union.sort_unstable();
                        union.dedup();
                        Some(union)
                    }
                    Op::Gt | Op::Gte | Op::Lt | Op::Lte => {
                        let at = key(&c.value);
                        let range = match c.op {
                            Op::Gt => (Bound::Excluded(at.clone()), Bound::Unbounded),
                            Op::Gte => (Bound::Included(at.clone()), Bound::Unbounded),
                            Op::Lt => (Bound::Unbounded, Bound::Excluded(at.clone())),
                            _ => (Bound::Unbounded, Bound::Included(at.clone())),
                        };
                        // Only keys of the operand's kind can match (numbers with numbers,
                        // text with text).
                        let same_kind =
                            |k: &SortKey| std::mem::discriminant(k) == std::mem::discriminant(&at);
                        let mut ids: Vec<&ResourceId> = tree
                            .range(range)
                            .filter(|(k, _)| same_kind(k))
                            .flat_map(|(_, ids)| ids.iter())
                            .collect();
                        ids.sort_unstable();
                        Some(ids)
                    }
                    _ => None,
                }
            }
        }
    }
}

/// The keys a field's value is indexed under: each element of an array field (once), else
/// the value itself (absent as null).
fn keys(def: &IndexedField, value: Option<&Value>) -> Vec<SortKey> {
    match value {
        Some(Value::Array(elements)) if def.is_array() => {
            let mut keys: Vec<SortKey> = elements
                .iter()
                .map(|e| SortKey::of(Some(e.clone())))
                .collect();
            keys.sort();
            keys.dedup();
            keys
        }
        _ => vec![SortKey::of(value.cloned())],
    }
}

/// The ids in both sorted lists, in order.
fn intersect<'a>(a: &[&'a ResourceId], b: &[&'a ResourceId]) -> Vec<&'a ResourceId> {
    let mut out = Vec::with_capacity(a.len().min(b.len()));
    let (mut i, mut j) = (0, 0);
    while i < a.len() && j < b.len() {
        match a[i].cmp(b[j]) {
            std::cmp::Ordering::Less => i += 1,
            std::cmp::Ordering::Greater => j += 1,
            std::cmp::Ordering::Equal => {
                out.push(a[i]);
                i += 1;
                j += 1;
            }
        }
    }
    out
}
