//! Search: the query model every store answers, and the one definition of what it means.
//!
//! A [`Query`] is a [`Filter`] tree (conditions combined with and, or, not), sorts, an offset,
//! a limit and whether deleted resources count. A [`Condition`] names a [`Field`] — a meta
//! field of the head or an *indexed* data field — an [`Op`] and a JSON value. Queries are
//! plain serde data, so the HTTP layer can take them as JSON.
//!
//! Stores answer queries from their own indexes (SQL over indexed columns, in-memory B-trees),
//! but they must all give the same answer, so the meaning is defined once, here, by
//! [`Query::matches`] and [`sort_key`]; the memory store runs them as they are and the
//! conformance suite checks every other store against them on random data.
//!
//! # Comparison semantics
//!
//! Values are typed, and a comparison only ever holds between values of the same type:
//! - **numbers** compare as numbers (`10 > 9`, `1 == 1.0`);
//! - **strings** compare by their UTF-8 bytes (code-point order), case-sensitively;
//! - **booleans** support `eq`, `ne`, `in` and `not_in` only;
//! - a stored value of another type than the condition's value (a string against a number, a
//!   `null`, an absent field, an array) satisfies no comparison: `gt 5` never matches `"7"`.
//!   `ne` and `not_in` are the negations of `eq` and `in`, so they *do* match those values.
//! - `is_null: true` matches a null or absent value; `exists: true` matches a present, non-null
//!   value (stores keep an absent indexed field as null, so the two are each other's negation).
//! - `contains`, `starts_with`, `ends_with` take a string and match string values,
//!   case-sensitively.
//!
//! **Timestamps compare as instants.** Meta times (`created_time`, `updated_time`) are instants
//! natively: the condition's value is an RFC 3339 string, at any offset. An indexed data field
//! whose JSON Schema says `format: date-time` is stored in one canonical form, UTC with six
//! fractional digits (`2026-01-01T00:00:00.000000Z`, see [`canonical_timestamp`]), and the
//! condition's value is brought to that form when the query is checked, so that string order
//! *is* instant order in every store and indexes serve ranges on times.
//!
//! # Arrays
//!
//! An indexed field whose JSON Schema is an array of scalars (`Vec<String>`,
//! `Option<Vec<i64>>`, a set of an enum; [`FieldShape::Array`]) is tested element by element,
//! and every store indexes it so, one entry per element:
//! - `eq v` and `contains v` hold when **some element equals `v`** (by the rules above: `1`
//!   equals `1.0`, `"1"` does not; `v` is any scalar, not only a string); `in [..]` when some
//!   element is in the list;
//! - `ne` and `not_in` are their negations: no element equals `v` (is in the list), which an
//!   empty array, a null and an absent field satisfy;
//! - `is_null` and `exists` test the whole value: `[]` is present, not null;
//! - ranges (`gt`, `gte`, `lt`, `lte`), `starts_with` and `ends_with`, and sorting on the
//!   field, are not defined on an array, and refused ([`Error::InvalidQuery`], HTTP 400)
//!   rather than answered with nothing. For an array of times, the operands are times and
//!   compare as instants, as below.
//!
//! On an array of objects or arrays ([`FieldShape::NestedArray`]) only `is_null` and
//! `exists` apply; everything else is refused. The meaning depends on the field's shape, so
//! it is [`Query::matches_on`] the model's indexed fields that defines it; [`Query::matches`]
//! reads every field as a scalar.
//!
//! # Order
//!
//! Sorts apply in turn, and ties are always broken by resource id, in the direction of the last
//! sort (ascending when there is none), so that the order is total and pages do not overlap. A
//! data field sorts as SQLite orders values: absent and null first, then numbers (booleans as 0
//! and 1), then strings, arrays and objects by their JSON text ([`sort_key`]). Descending
//! reverses the field's order (nulls last). The tie-break follows the last sort so that a
//! one-sort order descending is the exact reverse of the same order ascending: a store serves
//! both from one index on `(field, resource_id)`, read forwards or backwards.
//!
//! # Keyset cursors
//!
//! Offsets skip rows by counting them, so pages taken while others write can repeat or miss
//! rows, and a deep offset costs every skipped row. A [`Cursor`] names a *position* in the
//! order instead: the sort-key values and resource id of the last row returned. A query's
//! `after` keeps the rows strictly after it ([`Query::is_after`], the one definition every
//! store follows), so a row at or before the position never comes back, whatever is created,
//! updated or deleted in between, and a store can seek to the position in its index. A cursor
//! is opaque text carrying a fingerprint of the sorts it was made for: it means nothing in
//! another order, so it is refused there. The offset applies after the cursor.

use std::cmp::Ordering;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::domain::Domain;
use crate::error::{Error, Result};
use crate::meta::ResourceMeta;
use crate::schema::{FieldShape, IndexedField, ModelDef};
use crate::time::Timestamp;

/// A search over one model's resources.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Query {
    /// Which resources match; `None` for all of them.
    pub filter: Option<Filter>,
    /// The order, first sort first; resource id breaks ties, in the direction of the last sort
    /// ([`tie_direction`](Self::tie_direction)), and is the order when empty.
    pub sorts: Vec<Sort>,
    /// How many matches to skip, in order.
    pub offset: u64,
    /// How many matches to return at most; `None` for all.
    pub limit: Option<u64>,
    /// Whether deleted resources are searched too (by default they are left out).
    pub include_deleted: bool,
    /// Keeps only the rows strictly after this position in the order (before the offset).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub after: Option<Cursor>,
}

/// A position in a query's order: the sort-key values and resource id of a row, and a
/// fingerprint of the sorts. Written and read as opaque URL-safe text ([`Cursor::parse`],
/// [`Display`](std::fmt::Display)); made from the last row of a page by [`Cursor::after_row`].
#[derive(Clone, Debug, PartialEq)]
pub struct Cursor {
    /// The row's value of each sort's field, in turn (`null` when absent).
    keys: Vec<Value>,
    /// The row's resource id, the final tie-break.
    resource_id: String,
    /// The fingerprint of the sorts the cursor was made for ([`sorts_fingerprint`]).
    sorts: u64,
}

/// The wire form of a cursor, before base64.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct CursorText {
    s: String,
    k: Vec<Value>,
    id: String,
}

/// A fingerprint of a list of sorts: cursors made for one order are refused in another.
fn sorts_fingerprint(sorts: &[Sort]) -> u64 {
    let text = serde_json::to_string(sorts).unwrap_or_default();
    xxhash_rust::xxh3::xxh3_64(text.as_bytes())
}

impl Cursor {
    /// The position of `meta` in `query`'s order: passed as the next query's `after`, it
    /// continues right after this row.
    pub fn after_row(query: &Query, meta: &ResourceMeta) -> Self {
        Self {
            keys: query
                .sorts
                .iter()
                .map(|s| field_value(&s.field, meta).unwrap_or(Value::Null))
                .collect(),
            resource_id: meta.resource_id.as_str().to_owned(),
            sorts: sorts_fingerprint(&query.sorts),
        }
    }

    /// Reads a cursor from its text.
    ///
    /// # Errors
    /// [`Error::InvalidQuery`] for text that is not a cursor (malformed or altered).
    pub fn parse(text: &str) -> Result<Self> {
        let invalid = || Error::InvalidQuery {
            reason: "the cursor is malformed: pass back a cursor exactly as it was given".into(),
        };
        let bytes = URL_SAFE_NO_PAD.decode(text).map_err(|_| invalid())?;
        let wire: CursorText = serde_json::from_slice(&bytes).map_err(|_| invalid())?;
        let sorts = u64::from_str_radix(&wire.s, 16).map_err(|_| invalid())?;
        if wire.s.len() != 16 || wire.id.is_empty() {
            return Err(invalid());
        }
        Ok(Self {
            keys: wire.k,
            resource_id: wire.id,
            sorts,
        })
    }

    /// Whether the cursor was made for these sorts.
    ///
    /// # Errors
    /// [`Error::InvalidQuery`] when it was made for other sorts.
    pub fn check_sorts(&self, sorts: &[Sort]) -> Result<()> {
        if self.sorts != sorts_fingerprint(sorts) || self.keys.len() != sorts.len() {
            return Err(Error::InvalidQuery {
                reason: "the cursor was made for other sorts: a cursor continues only the \
                         order it came from"
                    .into(),
            });
        }
        Ok(())
    }

    /// The position's value of each sort's field, in turn (`null` when absent).
    pub fn keys(&self) -> &[Value] {
        &self.keys
    }

    /// The position's resource id.
    pub fn resource_id(&self) -> &str {
        &self.resource_id
    }
}

impl std::fmt::Display for Cursor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let wire = CursorText {
            s: format!("{:016x}", self.sorts),
            k: self.keys.clone(),
            id: self.resource_id.clone(),
        };
        let json = serde_json::to_vec(&wire).map_err(|_| std::fmt::Error)?;
        f.write_str(&URL_SAFE_NO_PAD.encode(json))
    }
}

impl std::str::FromStr for Cursor {
    type Err = Error;

    fn from_str(text: &str) -> Result<Self> {
        Self::parse(text)
    }
}

impl Serialize for Cursor {
    fn serialize<S: serde::Serializer>(
        &self,
        serializer: S,
    ) -> std::result::Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Cursor {
    fn deserialize<D: serde::Deserializer<'de>>(
        deserializer: D,
    ) -> std::result::Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        Self::parse(&text).map_err(serde::de::Error::custom)
    }
}

/// A tree of conditions.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Filter {
    /// Every filter holds (true when empty).
    And(Vec<Self>),
    /// At least one filter holds (false when empty).
    Or(Vec<Self>),
    /// The filter does not hold.
    Not(Box<Self>),
    /// One condition.
    #[serde(untagged)]
    Condition(Condition),
}

/// One condition: `field op value`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Condition {
    /// The field tested.
    pub field: Field,
    /// The test.
    #[serde(rename = "operator")]
    pub op: Op,
    /// The value tested against: a scalar, an array for `in`/`not_in`, a boolean for
    /// `is_null`/`exists`.
    pub value: Value,
}

/// A field a condition or sort names.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Field {
    /// A field of the head, always searchable.
    Meta(MetaField),
    /// An indexed data field, by its declared path (`"status"`, `"owner.team"`).
    Data(String),
}

/// The searchable fields of a resource's head.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MetaField {
    /// The resource id (a string).
    ResourceId,
    /// When revision 1 was written (an instant).
    CreatedTime,
    /// Who wrote revision 1 (a string).
    CreatedBy,
    /// When the newest revision was written (an instant).
    UpdatedTime,
    /// Who wrote the newest revision (a string).
    UpdatedBy,
    /// Whether the resource is deleted (a boolean).
    IsDeleted,
    /// The schema version of the current data (a string).
    SchemaVersion,
    /// How many revisions the resource has (a number).
    TotalRevisionCount,
}

/// What a condition tests.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Op {
    /// Equal.
    Eq,
    /// Not equal (the negation of `eq`).
    Ne,
    /// Greater than.
    Gt,
    /// Greater than or equal.
    Gte,
    /// Less than.
    Lt,
    /// Less than or equal.
    Lte,
    /// Equal to one of an array's values.
    In,
    /// Equal to none of an array's values (the negation of `in`).
    NotIn,
    /// A string containing the value.
    Contains,
    /// A string starting with the value.
    StartsWith,
    /// A string ending with the value.
    EndsWith,
    /// Null or absent (`true`), or not (`false`).
    IsNull,
    /// Present and not null (`true`), or not (`false`).
    Exists,
}

/// One sort: a field and a direction.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Sort {
    /// The field sorted on.
    pub field: Field,
    /// Which way.
    #[serde(default)]
    pub direction: Direction,
}

/// A sort's direction.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    /// Smallest first.
    #[default]
    Asc,
    /// Largest first.
    Desc,
}

impl Query {
    /// A query for every live resource, by resource id.
    pub fn all() -> Self {
        Self::default()
    }

    /// Keeps the resources that also match `filter` (and-ed with any filter there is).
    #[must_use]
    pub fn filter(mut self, filter: Filter) -> Self {
        self.filter = Some(match self.filter.take() {
            None => filter,
            Some(Filter::And(mut all)) => {
                all.push(filter);
                Filter::And(all)
            }
            Some(other) => Filter::And(vec![other, filter]),
        });
        self
    }

    /// Adds a sort after the ones there are.
    #[must_use]
    pub fn sort(mut self, field: Field, direction: Direction) -> Self {
        self.sorts.push(Sort { field, direction });
        self
    }

    /// Skips `offset` matches.
    #[must_use]
    pub fn offset(mut self, offset: u64) -> Self {
        self.offset = offset;
        self
    }

    /// Returns `limit` matches at most.
    #[must_use]
    pub fn limit(mut self, limit: u64) -> Self {
        self.limit = Some(limit);
        self
    }

    /// Searches deleted resources too.
    #[must_use]
    pub fn include_deleted(mut self) -> Self {
        self.include_deleted = true;
        self
    }

    /// Continues after a position: keeps the rows strictly after `cursor` in the order.
    #[must_use]
    pub fn after(mut self, cursor: Cursor) -> Self {
        self.after = Some(cursor);
        self
    }

    /// The fields the query names, conditions and sorts.
    pub fn fields(&self) -> Vec<&Field> {
        let mut fields = Vec::new();
        if let Some(filter) = &self.filter {
            filter.visit(&mut |c| fields.push(&c.field));
        }
        fields.extend(self.sorts.iter().map(|s| &s.field));
        fields
    }

    /// Checks that every data field the query names is one of `indexed`, and that its cursor
    /// (if any) was made for its sorts: what a store checks before it answers.
    ///
    /// # Errors
    /// [`Error::UnindexedField`] naming the first field that is not indexed;
    /// [`Error::InvalidQuery`] for a cursor made for other sorts.
    pub fn check_fields(&self, model: &str, indexed: &[String]) -> Result<()> {
        if let Some(cursor) = &self.after {
            cursor.check_sorts(&self.sorts)?;
        }
        crate::limits::check_sorts(&self.sorts)?;
        if let Some(filter) = &self.filter {
            filter.check_limits(false)?;
        }
        for field in self.fields() {
            if let Field::Data(path) = field
                && !indexed.iter().any(|f| f == path)
            {
                return Err(Error::UnindexedField {
                    model: model.to_owned(),
                    field: path.clone(),
                    indexed: indexed.to_vec(),
                });
            }
        }
        Ok(())
    }

    /// Checks the query against a model and brings its values to the form stores compare
    /// (timestamps canonical); what the resource managers do before asking a store.
    ///
    /// # Errors
    /// [`Error::UnindexedField`] for a data field that is not indexed; [`Error::InvalidQuery`]
    /// for a value that does not fit its operator or field.
    pub fn checked(&self, model: &ModelDef) -> Result<Self> {
        self.checked_as(model, true)
    }

    /// As [`checked`](Self::checked), but a condition that can never match stays (and matches
    /// nothing): what a row scope bound to a caller is checked with, since a scope may well
    /// match nothing for some caller.
    ///
    /// # Errors
    /// As [`checked`](Self::checked), but for conditions that can never match.
    pub fn normalized(&self, model: &ModelDef) -> Result<Self> {
        self.checked_as(model, false)
    }

    fn checked_as(&self, model: &ModelDef, refuse_never_matching: bool) -> Result<Self> {
        let indexed: Vec<String> = model
            .indexed_fields()
            .iter()
            .map(|f| f.path().to_owned())
            .collect();
        self.check_fields(model.name(), &indexed)?;
        let fields = model.indexed_fields();
        self.check_shapes(|path| shape_of(fields, path))?;
        let mut query = self.clone();
        query.filter = query.filter.map(Filter::flattened);
        if let Some(filter) = &mut query.filter {
            filter.check_limits(true)?;
            filter.try_visit_mut(&mut |c| {
                let field = match &c.field {
                    Field::Data(path) => model.indexed_fields().iter().find(|f| f.path() == path),
                    Field::Meta(_) => None,
                };
                let timestamp = field.is_some_and(|f| f.is_timestamp());
                c.check_as(timestamp, c.field.shape_in(fields))?;
                match field {
                    Some(field) if refuse_never_matching => c.check_domain(field.domain()),
                    _ => Ok(()),
                }
            })?;
        }
        Ok(query)
    }

    /// Refuses what is not defined on array fields (see [arrays](self#arrays)): ranges and
    /// prefix or suffix tests on an array of scalars, anything but `is_null` and `exists` on an
    /// array of objects or arrays, and sorts on either. `shape_of` gives a data field's shape;
    /// stores call this with the shapes they keep, [`checked`](Self::checked) with the model's.
    ///
    /// # Errors
    /// [`Error::InvalidQuery`] naming the field, the operator and what the field allows.
    pub fn check_shapes(&self, shape_of: impl Fn(&str) -> FieldShape) -> Result<()> {
        let mut refused = None;
        if let Some(filter) = &self.filter {
            filter.visit(&mut |c| {
                if refused.is_none()
                    && let Field::Data(path) = &c.field
                {
                    refused = refuse_on_shape(path, shape_of(path), c.op);
                }
            });
        }
        if let Some(reason) = refused {
            return Err(Error::InvalidQuery { reason });
        }
        for sort in &self.sorts {
            if let Field::Data(path) = &sort.field
                && shape_of(path) != FieldShape::Scalar
            {
                return Err(Error::InvalidQuery {
                    reason: format!(
                        "data field {path:?} is an array and cannot be sorted on: sort on a \
                         field of single values"
                    ),
                });
            }
        }
        Ok(())
    }

    /// Whether a head matches the query's filter (and its deleted rule), every data field
    /// read as a scalar: [`matches_on`](Self::matches_on) a model without array fields.
    pub fn matches(&self, meta: &ResourceMeta) -> bool {
        self.matches_on(&[], meta)
    }

    /// Whether a head of a model with these indexed fields matches the query's filter (and its
    /// deleted rule). The meaning of a query: every store answers as if it ran this on every
    /// head of the model. The fields' shapes say which are [arrays](self#arrays).
    pub fn matches_on(&self, fields: &[IndexedField], meta: &ResourceMeta) -> bool {
        (self.include_deleted || !meta.is_deleted)
            && self
                .filter
                .as_ref()
                .is_none_or(|f| f.matches_on(fields, meta))
    }

    /// Whether a head comes strictly after the query's cursor in its order (true when there is
    /// no cursor). The meaning of `after`: the same order as [`compare`](Self::compare), nulls
    /// included, against the cursor's values.
    pub fn is_after(&self, meta: &ResourceMeta) -> bool {
        let Some(cursor) = &self.after else {
            return true;
        };
        for (sort, key) in self.sorts.iter().zip(&cursor.keys) {
            let order = sort_key(&sort.field, meta).cmp(&SortKey::of(Some(key.clone())));
            let order = match sort.direction {
                Direction::Asc => order,
                Direction::Desc => order.reverse(),
            };
            if order != Ordering::Equal {
                return order == Ordering::Greater;
            }
        }
        let order = meta.resource_id.as_str().cmp(cursor.resource_id.as_str());
        match self.tie_direction() {
            Direction::Asc => order == Ordering::Greater,
            Direction::Desc => order == Ordering::Less,
        }
    }

    /// The direction of the resource-id tie-break: the last sort's, ascending when none.
    pub fn tie_direction(&self) -> Direction {
        self.sorts.last().map_or(Direction::Asc, |s| s.direction)
    }

    /// How two heads compare in the query's order (ties broken by resource id, in the
    /// [`tie_direction`](Self::tie_direction)).
    pub fn compare(&self, a: &ResourceMeta, b: &ResourceMeta) -> Ordering {
        self.compare_keyed(&self.sort_keys(a), a, &self.sort_keys(b), b)
    }

    /// The sort keys of a head, one per sort.
    fn sort_keys(&self, meta: &ResourceMeta) -> Vec<SortKey> {
        self.sorts
            .iter()
            .map(|sort| sort_key(&sort.field, meta))
            .collect()
    }

    /// [`compare`](Self::compare), given the heads' [`sort_keys`](Self::sort_keys).
    fn compare_keyed(
        &self,
        keys_a: &[SortKey],
        a: &ResourceMeta,
        keys_b: &[SortKey],
        b: &ResourceMeta,
    ) -> Ordering {
        for ((x, y), sort) in keys_a.iter().zip(keys_b).zip(&self.sorts) {
            let order = match sort.direction {
                Direction::Asc => x.cmp(y),
                Direction::Desc => x.cmp(y).reverse(),
            };
            if order != Ordering::Equal {
                return order;
            }
        }
        let order = a.resource_id.as_str().cmp(b.resource_id.as_str());
        match self.tie_direction() {
            Direction::Asc => order,
            Direction::Desc => order.reverse(),
        }
    }

    /// Sorts matching heads, keeps those after the cursor and cuts the page: the reference
    /// answer to a search. Takes heads or references to them, so that a store can page
    /// borrowed heads and copy only the page.
    pub fn page<M: std::borrow::Borrow<ResourceMeta>>(&self, metas: Vec<M>) -> Vec<M> {
        // Each head's sort keys are computed once, not at every comparison.
        let mut keyed: Vec<(Vec<SortKey>, M)> = metas
            .into_iter()
            .filter(|m| self.is_after(m.borrow()))
            .map(|m| (self.sort_keys(m.borrow()), m))
            .collect();
        keyed.sort_by(|(ka, a), (kb, b)| self.compare_keyed(ka, a.borrow(), kb, b.borrow()));
        let offset = usize::try_from(self.offset).unwrap_or(usize::MAX);
        let limit = self
            .limit
            .map_or(usize::MAX, |l| usize::try_from(l).unwrap_or(usize::MAX));
        keyed
            .into_iter()
            .skip(offset)
            .take(limit)
            .map(|(_, m)| m)
            .collect()
    }
}

impl Filter {
    /// A condition.
    pub fn cond(field: Field, op: Op, value: impl Into<Value>) -> Self {
        Self::Condition(Condition {
            field,
            op,
            value: value.into(),
        })
    }

    /// A condition on an indexed data field.
    pub fn data(path: impl Into<String>, op: Op, value: impl Into<Value>) -> Self {
        Self::cond(Field::Data(path.into()), op, value)
    }

    /// A condition on a meta field.
    pub fn meta(field: MetaField, op: Op, value: impl Into<Value>) -> Self {
        Self::cond(Field::Meta(field), op, value)
    }

    /// The negation of this filter.
    #[must_use]
    pub fn negate(self) -> Self {
        Self::Not(Box::new(self))
    }

    /// Whether a head matches this filter (the deleted rule aside), every field a scalar.
    pub fn matches(&self, meta: &ResourceMeta) -> bool {
        self.matches_on(&[], meta)
    }

    /// Whether a head of a model with these indexed fields matches this filter (the deleted
    /// rule aside).
    pub fn matches_on(&self, fields: &[IndexedField], meta: &ResourceMeta) -> bool {
        match self {
            Self::And(all) => all.iter().all(|f| f.matches_on(fields, meta)),
            Self::Or(any) => any.iter().any(|f| f.matches_on(fields, meta)),
            Self::Not(inner) => !inner.matches_on(fields, meta),
            Self::Condition(c) => c.matches_as(c.field.shape_in(fields), meta),
        }
    }

    fn visit<'a>(&'a self, f: &mut impl FnMut(&'a Condition)) {
        match self {
            Self::And(all) | Self::Or(all) => all.iter().for_each(|x| x.visit(f)),
            Self::Not(inner) => inner.visit(f),
            Self::Condition(c) => f(c),
        }
    }

    /// Calls `f` on the value of every condition, to change it (a row scope's binding).
    pub(crate) fn visit_values_mut(&mut self, f: &mut impl FnMut(&mut Value)) {
        match self {
            Self::And(all) | Self::Or(all) => all.iter_mut().for_each(|x| x.visit_values_mut(f)),
            Self::Not(inner) => inner.visit_values_mut(f),
            Self::Condition(c) => f(&mut c.value),
        }
    }

    fn try_visit_mut(&mut self, f: &mut impl FnMut(&mut Condition) -> Result<()>) -> Result<()> {
        match self {
            Self::And(all) | Self::Or(all) => all.iter_mut().try_for_each(|x| x.try_visit_mut(f)),
            Self::Not(inner) => inner.try_visit_mut(f),
            Self::Condition(c) => f(c),
        }
    }
}

/// A field's value in a head, as conditions see it: `None` when absent.
pub fn field_value(field: &Field, meta: &ResourceMeta) -> Option<Value> {
    Some(match field {
        Field::Data(path) => return meta.indexed_data.get(path).cloned(),
        Field::Meta(m) => match m {
            MetaField::ResourceId => Value::from(meta.resource_id.as_str()),
            MetaField::CreatedTime => Value::from(meta.created_time.as_micros()),
            MetaField::UpdatedTime => Value::from(meta.updated_time.as_micros()),
            MetaField::CreatedBy => Value::from(&*meta.created_by),
            MetaField::UpdatedBy => Value::from(&*meta.updated_by),
            MetaField::IsDeleted => Value::from(meta.is_deleted),
            MetaField::SchemaVersion => Value::from(&*meta.schema_version),
            MetaField::TotalRevisionCount => Value::from(meta.total_revision_count),
        },
    })
}

impl Condition {
    /// [`check`](Self::check) on a field of `shape`: on an array, `contains` compares
    /// elements, so it takes any scalar, as `eq` does.
    fn check_as(&mut self, timestamp_field: bool, shape: FieldShape) -> Result<()> {
        if shape == FieldShape::Array && self.op == Op::Contains {
            return check_scalar(&self.field, Op::Eq, &mut self.value, timestamp_field);
        }
        self.check(timestamp_field)
    }

    /// Checks the value against the operator and field, normalizing times: meta times to
    /// microseconds (as [`field_value`] gives them), timestamp data fields to
    /// [`canonical_timestamp`].
    fn check(&mut self, timestamp_field: bool) -> Result<()> {
        let invalid = |reason: String| Error::InvalidQuery { reason };
        let name = self.field.to_string();
        let op = self.op;
        match op {
            Op::IsNull | Op::Exists => {
                if !self.value.is_boolean() {
                    return Err(invalid(format!(
                        "{op} on {name} takes true or false, not {}",
                        self.value
                    )));
                }
                return Ok(());
            }
            Op::In | Op::NotIn => {
                let Value::Array(values) = &mut self.value else {
                    return Err(invalid(format!(
                        "{op} on {name} takes an array of values, not {}",
                        self.value
                    )));
                };
                for value in values {
                    check_scalar(&self.field, Op::Eq, value, timestamp_field)?;
                }
                return Ok(());
            }
            _ => {}
        }
        check_scalar(&self.field, op, &mut self.value, timestamp_field)
    }

    /// Refuses a condition no value of the field's [`Domain`] could satisfy (`status eq
    /// "Draft"` where status is one of `"open"`, `"closed"`), naming what the field takes.
    /// Only what can never match is refused: `ne`/`not_in` too (a value the field cannot
    /// hold is a mistake, not a filter), order bounds by kind only, string tests against
    /// each allowed string; `is_null`/`exists` always pass.
    fn check_domain(&self, domain: &Domain) -> Result<()> {
        let refusal = match self.op {
            Op::IsNull | Op::Exists => None,
            Op::Eq | Op::Ne => domain.refuses_value(&self.value),
            Op::In | Op::NotIn => self
                .value
                .as_array()
                .and_then(|values| values.iter().find_map(|v| domain.refuses_value(v))),
            Op::Gt | Op::Gte | Op::Lt | Op::Lte => domain.refuses_order(&self.value),
            Op::Contains | Op::StartsWith | Op::EndsWith => {
                let needle = self.value.as_str().unwrap_or_default();
                domain.refuses_text(needle, |s| match self.op {
                    Op::Contains => s.contains(needle),
                    Op::StartsWith => s.starts_with(needle),
                    _ => s.ends_with(needle),
                })
            }
        };
        match refusal {
            None => Ok(()),
            Some(why) => Err(Error::InvalidQuery {
                reason: format!("{} on {} can never match: it {why}", self.op, self.field),
            }),
        }
    }

    /// Whether a head satisfies this condition, its field read as a scalar.
    pub fn matches(&self, meta: &ResourceMeta) -> bool {
        self.matches_as(FieldShape::Scalar, meta)
    }

    /// Whether a head satisfies this condition on a field of `shape` (see
    /// [arrays](self#arrays)).
    pub fn matches_as(&self, shape: FieldShape, meta: &ResourceMeta) -> bool {
        let value = field_value(&self.field, meta);
        let present = value.as_ref().filter(|v| !v.is_null());
        if shape != FieldShape::Scalar && !matches!(self.op, Op::IsNull | Op::Exists) {
            let elements = present.and_then(Value::as_array).map(Vec::as_slice);
            let any = |holds_for: &dyn Fn(&Value) -> bool| {
                elements.unwrap_or_default().iter().any(holds_for)
            };
            return match self.op {
                Op::Eq | Op::Contains => any(&|e| holds(Some(e), Op::Eq, &self.value)),
                Op::Ne => !any(&|e| holds(Some(e), Op::Eq, &self.value)),
                Op::In => any(&|e| in_list(Some(e), &self.value)),
                Op::NotIn => !any(&|e| in_list(Some(e), &self.value)),
                // Refused by `Query::check_shapes`: nothing is defined to match.
                _ => false,
            };
        }
        match self.op {
            Op::IsNull => present.is_none() == (self.value == Value::Bool(true)),
            Op::Exists => present.is_some() == (self.value == Value::Bool(true)),
            Op::Ne => !holds(present, Op::Eq, &self.value),
            Op::In => in_list(present, &self.value),
            Op::NotIn => !in_list(present, &self.value),
            op => holds(present, op, &self.value),
        }
    }
}

/// Why `op` is refused on a data field of `shape`, if it is.
fn refuse_on_shape(path: &str, shape: FieldShape, op: Op) -> Option<String> {
    match shape {
        FieldShape::Scalar => None,
        FieldShape::Array => matches!(
            op,
            Op::Gt | Op::Gte | Op::Lt | Op::Lte | Op::StartsWith | Op::EndsWith
        )
        .then(|| {
            format!(
                "{op} is not defined on data field {path:?}, an array: use eq or contains (an \
                 element equals the value), in (an element is in the list), ne, not_in, \
                 is_null or exists"
            )
        }),
        FieldShape::NestedArray => (!matches!(op, Op::IsNull | Op::Exists)).then(|| {
            format!(
                "{op} is not defined on data field {path:?}, an array of objects or arrays: \
                 use is_null or exists"
            )
        }),
    }
}

/// The shape of the indexed field at `path` among `fields` (a scalar when it is not there).
fn shape_of(fields: &[IndexedField], path: &str) -> FieldShape {
    fields
        .iter()
        .find(|f| f.path() == path)
        .map_or(FieldShape::Scalar, IndexedField::shape)
}

impl Field {
    /// The field's shape among a model's indexed fields: meta fields are scalars.
    fn shape_in(&self, fields: &[IndexedField]) -> FieldShape {
        match self {
            Self::Data(path) => shape_of(fields, path),
            Self::Meta(_) => FieldShape::Scalar,
        }
    }
}

/// Whether `value` equals an element of `list` (`in`, `not_in`).
fn in_list(value: Option<&Value>, list: &Value) -> bool {
    list.as_array()
        .is_some_and(|l| l.iter().any(|x| holds(value, Op::Eq, x)))
}

/// Whether `value op operand` holds for a comparison or string operator.
fn holds(value: Option<&Value>, op: Op, operand: &Value) -> bool {
    let Some(value) = value else { return false };
    match (value, operand) {
        (Value::Bool(a), Value::Bool(b)) => op == Op::Eq && a == b,
        (Value::Number(_), Value::Number(_)) => {
            compare_numbers(value, operand).is_some_and(|o| ordered(o, op))
        }
        (Value::String(a), Value::String(b)) => match op {
            Op::Contains => a.contains(b.as_str()),
            Op::StartsWith => a.starts_with(b.as_str()),
            Op::EndsWith => a.ends_with(b.as_str()),
            op => ordered(a.as_bytes().cmp(b.as_bytes()), op),
        },
        _ => false,
    }
}

fn ordered(order: Ordering, op: Op) -> bool {
    match op {
        Op::Eq => order == Ordering::Equal,
        Op::Gt => order == Ordering::Greater,
        Op::Gte => order != Ordering::Less,
        Op::Lt => order == Ordering::Less,
        Op::Lte => order != Ordering::Greater,
        _ => false,
    }
}

/// Compares two JSON numbers: exactly as integers when both are, else as floats.
pub fn compare_numbers(a: &Value, b: &Value) -> Option<Ordering> {
    if let (Some(x), Some(y)) = (a.as_i64(), b.as_i64()) {
        return Some(x.cmp(&y));
    }
    a.as_f64()?.partial_cmp(&b.as_f64()?)
}

/// Checks (and normalizes) one scalar operand of `op` on `field`.
fn check_scalar(field: &Field, op: Op, value: &mut Value, timestamp_field: bool) -> Result<()> {
    let name = field.to_string();
    let invalid = |reason: String| Err(Error::InvalidQuery { reason });
    let string_op = matches!(op, Op::Contains | Op::StartsWith | Op::EndsWith);
    let ordering_op = matches!(op, Op::Gt | Op::Gte | Op::Lt | Op::Lte);
    if string_op && !value.is_string() {
        return invalid(format!("{op} on {name} takes a string, not {value}"));
    }
    match value {
        Value::Null => {
            return invalid(format!(
                "{op} on {name} cannot take null; use is_null to find null values"
            ));
        }
        Value::Array(_) | Value::Object(_) => {
            return invalid(format!("{op} on {name} takes a single value, not {value}"));
        }
        Value::Bool(_) if ordering_op => {
            return invalid(format!("{op} on {name} cannot compare booleans"));
        }
        _ => {}
    }
    let expected = match field {
        Field::Data(_) => None,
        Field::Meta(m) => Some(match m {
            MetaField::CreatedTime | MetaField::UpdatedTime => "time",
            MetaField::IsDeleted => "boolean",
            MetaField::TotalRevisionCount => "number",
            MetaField::ResourceId
            | MetaField::CreatedBy
            | MetaField::UpdatedBy
            | MetaField::SchemaVersion => "string",
        }),
    };
    match expected {
        Some("time") => {
            if string_op {
                return invalid(format!("{op} on {name} does not apply to times"));
            }
            let time = value
                .as_str()
                .and_then(|s| s.parse::<Timestamp>().ok())
                .map(|t| t.as_micros());
            match time {
                Some(micros) => *value = Value::from(micros),
                None => {
                    return invalid(format!(
                        "{name} takes an RFC 3339 time (\"2026-01-01T00:00:00Z\"), not {value}"
                    ));
                }
            }
        }
        Some("boolean") if !value.is_boolean() => {
            return invalid(format!("{name} takes true or false, not {value}"));
        }
        Some("number") if !value.is_number() => {
            return invalid(format!("{name} takes a number, not {value}"));
        }
        Some("string") if !value.is_string() => {
            return invalid(format!("{name} takes a string, not {value}"));
        }
        _ => {}
    }
    if timestamp_field && !string_op {
        let canonical = value
            .as_str()
            .and_then(|s| s.parse::<Timestamp>().ok())
            .and_then(canonical_timestamp);
        match canonical {
            Some(text) => *value = Value::String(text),
            None => {
                return invalid(format!(
                    "{name} is a time: it takes an RFC 3339 time (\"2026-01-01T00:00:00Z\"), \
                     not {value}"
                ));
            }
        }
    }
    Ok(())
}

/// The canonical text of an instant in an indexed field: UTC, six fractional digits
/// (`2026-01-01T00:00:00.000000Z`), so that text order is time order. `None` for years before
/// 0 or after 9999, which have no fixed-width form.
pub fn canonical_timestamp(time: Timestamp) -> Option<String> {
    let dt = jiff::tz::Offset::UTC.to_datetime(time.as_jiff());
    if !(0..=9999).contains(&dt.year()) {
        return None;
    }
    Some(format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:06}Z",
        dt.year(),
        dt.month(),
        dt.day(),
        dt.hour(),
        dt.minute(),
        dt.second(),
        dt.subsec_nanosecond() / 1000
    ))
}

/// A value's place in a sort, in SQLite's order of values: null, numbers, text. Equality is
/// the order's (`1 == 1.0`).
#[derive(Clone, Debug)]
pub enum SortKey {
    /// Null or absent.
    Null,
    /// A number (booleans as 0 and 1).
    Number(Value),
    /// A string, or an array or object as its JSON text.
    Text(String),
}

impl PartialEq for SortKey {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for SortKey {}

impl PartialOrd for SortKey {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for SortKey {
    fn cmp(&self, other: &Self) -> Ordering {
        match (self, other) {
            (Self::Null, Self::Null) => Ordering::Equal,
            (Self::Null, _) => Ordering::Less,
            (_, Self::Null) => Ordering::Greater,
            (Self::Number(a), Self::Number(b)) => compare_numbers(a, b).unwrap_or(Ordering::Equal),
            (Self::Number(_), Self::Text(_)) => Ordering::Less,
            (Self::Text(_), Self::Number(_)) => Ordering::Greater,
            (Self::Text(a), Self::Text(b)) => a.as_bytes().cmp(b.as_bytes()),
        }
    }
}

/// The sort key of a field of a head.
pub fn sort_key(field: &Field, meta: &ResourceMeta) -> SortKey {
    SortKey::of(field_value(field, meta))
}

impl SortKey {
    /// The sort key of a value (`None` for an absent one).
    pub fn of(value: Option<Value>) -> Self {
        match value {
            None | Some(Value::Null) => Self::Null,
            Some(Value::Bool(b)) => Self::Number(Value::from(u8::from(b))),
            Some(n @ Value::Number(_)) => Self::Number(n),
            Some(Value::String(s)) => Self::Text(s),
            Some(other) => Self::Text(other.to_string()),
        }
    }
}

impl std::fmt::Display for Field {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Meta(m) => write!(f, "meta field {}", m.name()),
            Self::Data(path) => write!(f, "data field {path:?}"),
        }
    }
}

impl MetaField {
    /// The field's name, as in [`ResourceMeta`] and on the wire.
    pub fn name(self) -> &'static str {
        match self {
            Self::ResourceId => "resource_id",
            Self::CreatedTime => "created_time",
            Self::CreatedBy => "created_by",
            Self::UpdatedTime => "updated_time",
            Self::UpdatedBy => "updated_by",
            Self::IsDeleted => "is_deleted",
            Self::SchemaVersion => "schema_version",
            Self::TotalRevisionCount => "total_revision_count",
        }
    }

    /// Every meta field.
    pub const ALL: [Self; 8] = [
        Self::ResourceId,
        Self::CreatedTime,
        Self::CreatedBy,
        Self::UpdatedTime,
        Self::UpdatedBy,
        Self::IsDeleted,
        Self::SchemaVersion,
        Self::TotalRevisionCount,
    ];
}

impl std::fmt::Display for Op {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let name = match self {
            Self::Eq => "eq",
            Self::Ne => "ne",
            Self::Gt => "gt",
            Self::Gte => "gte",
            Self::Lt => "lt",
            Self::Lte => "lte",
            Self::In => "in",
            Self::NotIn => "not_in",
            Self::Contains => "contains",
            Self::StartsWith => "starts_with",
            Self::EndsWith => "ends_with",
            Self::IsNull => "is_null",
            Self::Exists => "exists",
        };
        f.write_str(name)
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn queries_read_from_json() {
        let query: Query = serde_json::from_value(json!({
            "filter": {"or": [
                {"field": {"data": "severity"}, "operator": "eq", "value": "high"},
                {"not": {"field": {"meta": "created_by"}, "operator": "in", "value": ["bot"]}}
            ]},
            "sorts": [{"field": {"meta": "created_time"}, "direction": "desc"}],
            "limit": 10
        }))
        .expect("a valid query");
        let expected = Query::all()
            .filter(Filter::Or(vec![
                Filter::data("severity", Op::Eq, "high"),
                Filter::meta(MetaField::CreatedBy, Op::In, json!(["bot"])).negate(),
            ]))
            .sort(Field::Meta(MetaField::CreatedTime), Direction::Desc)
            .limit(10);
        assert_eq!(query, expected);
        let again: Query = serde_json::from_value(serde_json::to_value(&query).expect("writes"))
            .expect("reads back");
        assert_eq!(again, query);
    }

    #[test]
    fn cursors_read_back_and_know_their_sorts() {
        let query = Query::all().sort(Field::Data("points".into()), Direction::Desc);
        let cursor = Cursor {
            keys: vec![Value::Null],
            resource_id: "task:a".into(),
            sorts: sorts_fingerprint(&query.sorts),
        };
        let text = cursor.to_string();
        assert!(
            text.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        );
        assert_eq!(Cursor::parse(&text).expect("reads back"), cursor);
        assert!(cursor.check_sorts(&query.sorts).is_ok());
        assert!(cursor.check_sorts(&[]).is_err());
        assert!(matches!(
            Cursor::parse("e30"),
            Err(Error::InvalidQuery { .. })
        ));
        let with: Query = serde_json::from_value(json!({"sorts": query.sorts, "after": text}))
            .expect("a query with a cursor");
        assert_eq!(with.after, Some(cursor));
    }

    /// A head whose indexed values are `indexed`.
    fn head(indexed: Value) -> ResourceMeta {
        let time = Timestamp::from_micros(0).expect("the epoch");
        ResourceMeta {
            resource_id: crate::ResourceId::parse("post:a").expect("an id"),
            current_revision_id: crate::RevisionId::parse("post:a:1").expect("a revision id"),
            total_revision_count: 1,
            schema_version: "v1".into(),
            created_time: time,
            created_by: "u".into(),
            updated_time: time,
            updated_by: "u".into(),
            is_deleted: false,
            indexed_data: serde_json::from_value(indexed).expect("an object"),
        }
    }

    #[test]
    fn arrays_match_by_element() {
        let tags = [IndexedField::at("tags", false)
            .expect("a path")
            .with_shape(FieldShape::Array)];
        let holds = |op: Op, value: Value, stored: Value| {
            Query::all()
                .filter(Filter::data("tags", op, value))
                .matches_on(&tags, &head(json!({ "tags": stored })))
        };
        assert!(holds(Op::Contains, json!("x"), json!(["x", "y"])));
        assert!(!holds(Op::Contains, json!("x"), json!(["xy"])));
        assert!(holds(Op::Eq, json!(1), json!([1.0, 2])));
        assert!(!holds(Op::Eq, json!("1"), json!([1])));
        assert!(holds(Op::In, json!(["z", "y"]), json!(["x", "y"])));
        assert!(!holds(Op::In, json!([]), json!(["x"])));
        assert!(holds(Op::Ne, json!("x"), json!([])));
        assert!(holds(Op::Ne, json!("x"), json!(null)));
        assert!(!holds(Op::NotIn, json!(["x"]), json!(["y", "x"])));
        assert!(holds(Op::IsNull, json!(true), json!(null)));
        assert!(!holds(Op::IsNull, json!(true), json!([])));
        assert!(holds(Op::Exists, json!(true), json!([])));
        // Read as a scalar, an array matches no comparison.
        let scalar = Query::all().filter(Filter::data("tags", Op::Contains, "x"));
        assert!(!scalar.matches(&head(json!({"tags": ["x"]}))));
    }

    #[test]
    fn what_arrays_do_not_define_is_refused() {
        let shape = |path: &str| match path {
            "tags" => FieldShape::Array,
            "links" => FieldShape::NestedArray,
            _ => FieldShape::Scalar,
        };
        let refused = |query: Query| match query.check_shapes(shape) {
            Err(Error::InvalidQuery { reason }) => reason,
            other => panic!("{query:?} is not refused: {other:?}"),
        };
        for op in [
            Op::Gt,
            Op::Gte,
            Op::Lt,
            Op::Lte,
            Op::StartsWith,
            Op::EndsWith,
        ] {
            let reason = refused(Query::all().filter(Filter::data("tags", op, "a")));
            assert!(
                reason.starts_with(&format!("{op} is not defined on data field \"tags\"")),
                "{reason}"
            );
        }
        let reason = refused(Query::all().filter(Filter::data("links", Op::Eq, "a").negate()));
        assert!(reason.contains("use is_null or exists"), "{reason}");
        let reason = refused(Query::all().sort(Field::Data("tags".into()), Direction::Desc));
        assert!(reason.contains("cannot be sorted on"), "{reason}");
        for ok in [Op::Eq, Op::Ne, Op::Contains] {
            assert!(
                Query::all()
                    .filter(Filter::data("tags", ok, "a"))
                    .filter(Filter::data("links", Op::IsNull, true))
                    .filter(Filter::data("title", Op::Gt, "a"))
                    .check_shapes(shape)
                    .is_ok()
            );
        }
    }

    #[test]
    fn canonical_times_sort_as_instants() {
        let t = |s: &str| canonical_timestamp(s.parse().expect("a time")).expect("in range");
        assert_eq!(
            t("2026-01-01T01:00:00+01:00"),
            "2026-01-01T00:00:00.000000Z"
        );
        assert!(t("2026-01-01T00:00:00Z") < t("2026-01-01T00:00:00.5Z"));
    }

    #[test]
    fn sort_keys_follow_sqlite_order() {
        let k = |v: Value| SortKey::of(Some(v));
        assert!(SortKey::of(None) < k(json!(-5)));
        assert!(k(json!(9)) < k(json!(10)));
        assert_eq!(k(json!(1)), k(json!(1.0)));
        assert_eq!(k(json!(true)), k(json!(1)));
        assert!(k(json!(1e9)) < k(json!("")));
    }
}
