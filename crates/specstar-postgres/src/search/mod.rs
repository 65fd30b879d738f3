//! Search in SQL: a [`Query`] becomes one `SELECT` over `heads`, answered from its indexes.
//!
//! Meta fields are columns of `heads`. An indexed data field is the expression
//! `(indexed_data -> 'field')`, a `jsonb` value, written exactly as in the expression index
//! `(model, (indexed_data -> 'field'))` that [`create_indexes`] makes for it at registration,
//! so that PostgreSQL serves equalities, `in` and number ranges on the field from that index.
//!
//! The SQL follows the core's definition of a query ([`Query::matches`]):
//! - a comparison holds only between values of one type. `jsonb` equality is already typed
//!   (`"10"` is not `10`, `true` is not `1`, `10` is `10.0`), so `eq` and `in` are plain
//!   `jsonb` comparisons; number ranges compare `jsonb` numbers and test `jsonb_typeof`;
//!   string ranges compare the text under the `"C"` collation (bytes, as the core), since
//!   `jsonb` orders strings by the database's locale;
//! - `ne`, `not_in` and `not` negate with `NOT coalesce(…, false)`, so that SQL's unknown (a
//!   NULL, from an absent field) counts as "does not hold" before it is negated, as in the core;
//! - indexed strings are stored [escaped](crate::nul) (`jsonb` cannot hold U+0000), so string
//!   operands and cursor keys are escaped the same way, which keeps equality, byte order and
//!   prefixes; and/or are written as balanced trees, so that the expression stays shallow.
//!
//! `ORDER BY` reproduces the core's [`SortKey`](specstar_core::query::SortKey) order, which
//! is SQLite's and not `jsonb`'s: each data field sorts by three keys, a rank (null and absent
//! 0, numbers and booleans 1, text 2), the number (booleans as 0 and 1) and the text (strings,
//! and arrays and objects by their JSON text, kept in `indexed_text`). Keyset cursors compare
//! the same triple, so a cursor continues exactly the order the page came in.
//!
//! An [array field](specstar_core::query#arrays) is tested by containment: "some element
//! equals `v`" is `(indexed_data -> 'field') @> '[v]'`, which `jsonb` answers typed as `eq`
//! is (`[10]` contains `[10.0]`, not `["10"]`), and which the field's GIN index
//! (`jsonb_path_ops`, made at registration) serves; `in` is a disjunction of them.
//!
//! Field names are inlined (an expression index must match the query's expression), so they
//! are checked to be registered indexed fields with no quote, backslash or control character;
//! every value is a bound parameter.

use serde_json::Value;
use specstar_core::{
    Condition, Direction, Error, Field, MetaField, ModelDescriptor, Query, ResourceMeta, Result,
    Sort,
};
use specstar_sql::model::{array_paths, field_list};
use specstar_sql::rows::{decode_head, decode_id};
use specstar_sql::{Dialect, head_columns, int, select};
use tokio_postgres::types::ToSql;

use crate::rows::PgRow;

mod conditions;

/// Whether a field path can be written into SQL: no quotes, backslashes or control characters.
pub(super) fn check_path(path: &str) -> std::result::Result<(), String> {
    if path
        .chars()
        .any(|c| c == '"' || c == '\'' || c == '\\' || c.is_control())
    {
        return Err(format!(
            "indexed field {path:?} has a quote, backslash or control character, which the \
             postgresql store cannot index"
        ));
    }
    Ok(())
}

/// Checks that every indexed field of a model can be written into SQL.
pub(crate) fn check_paths(model: &ModelDescriptor) -> Result<()> {
    for field in &model.indexed_fields {
        check_path(field.path()).map_err(|reason| Error::InvalidSchema {
            model: model.name.to_string(),
            reason,
        })?;
    }
    Ok(())
}

/// The `jsonb` expression of an indexed data field (checked by [`check_path`]).
pub(super) fn data_expr(path: &str) -> String {
    format!("(h.indexed_data -> '{path}')")
}

pub(super) fn type_expr(path: &str) -> String {
    format!("jsonb_typeof(h.indexed_data -> '{path}')")
}

/// The field's text under byte order; meaningful where its type is `string`.
pub(super) fn text_expr(path: &str) -> String {
    format!("((h.indexed_data ->> '{path}') COLLATE \"C\")")
}

/// The name of a field's expression index (unquoted; it needs no quotes): readable parts and
/// a hash of the whole, within PostgreSQL's 63 bytes, so that long names never collide once
/// truncated.
fn index_name(model: &str, path: &str) -> String {
    let part = |s: &str| -> String {
        s.chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() {
                    c.to_ascii_lowercase()
                } else {
                    '_'
                }
            })
            .take(18)
            .collect()
    };
    let hash = xxhash_rust::xxh3::xxh3_64(format!("{model}\0{path}").as_bytes());
    format!("heads_{}_{}_{hash:016x}", part(model), part(path))
}

/// The name and creating statement of the expression index of each indexed field of a
/// model, and of the GIN index of each array field (its elements, for containment).
pub(crate) fn index_statements(model: &ModelDescriptor) -> Result<Vec<(String, String)>> {
    check_paths(model)?;
    let mut statements: Vec<(String, String)> = model
        .indexed_paths()
        .iter()
        .map(|path| {
            let name = index_name(&model.name, path);
            let sql = format!(
                "CREATE INDEX IF NOT EXISTS {name} ON heads (model, (indexed_data -> '{path}'))"
            );
            (name, sql)
        })
        .collect();
    for path in array_paths(model) {
        let name = index_name(&model.name, &path).replacen("heads_", "elems_", 1);
        let sql = format!(
            "CREATE INDEX IF NOT EXISTS {name} ON heads \
             USING gin ((indexed_data -> '{path}') jsonb_path_ops)"
        );
        statements.push((name, sql));
    }
    Ok(statements)
}

/// A model's indexed fields as registered: their paths, and which are arrays.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Fields {
    /// The indexed field paths, in declaration order.
    pub paths: Vec<String>,
    /// The array fields among them, sorted.
    pub arrays: Vec<String>,
}

/// A parameter of a statement being written.
pub(crate) type Param = Box<dyn ToSql + Sync + Send>;

/// A statement being written: its SQL and its bound parameters (`$1`, `$2`…).
#[derive(Default)]
pub(crate) struct Sql {
    pub text: String,
    pub params: Vec<Param>,
    /// The model's array fields, which conditions test by element.
    arrays: Vec<String>,
}

impl Sql {
    /// Binds a value and returns its placeholder, cast to `ty` so that the statement's
    /// parameter types are fixed by the SQL.
    fn bind<T: ToSql + Sync + Send + 'static>(&mut self, value: T, ty: &str) -> String {
        self.params.push(Box::new(value));
        format!("${}::{ty}", self.params.len())
    }

    /// The parameters as `tokio_postgres` takes them.
    pub(crate) fn refs(&self) -> Vec<&(dyn ToSql + Sync)> {
        self.params
            .iter()
            .map(|p| &**p as &(dyn ToSql + Sync))
            .collect()
    }
}

/// What a meta field's column holds.
#[derive(Clone, Copy, PartialEq)]
pub(super) enum Kind {
    Text,
    /// `bigint`: times (microseconds) and the revision count.
    Number,
    Bool,
}

pub(super) fn meta_column(field: MetaField) -> (&'static str, Kind) {
    match field {
        MetaField::ResourceId => ("h.resource_id", Kind::Text),
        MetaField::CreatedTime => ("h.created_time", Kind::Number),
        MetaField::CreatedBy => ("h.created_by", Kind::Text),
        MetaField::UpdatedTime => ("h.updated_time", Kind::Number),
        MetaField::UpdatedBy => ("h.updated_by", Kind::Text),
        MetaField::IsDeleted => ("h.is_deleted", Kind::Bool),
        MetaField::SchemaVersion => ("h.schema_version", Kind::Text),
        MetaField::TotalRevisionCount => ("h.revision_count", Kind::Number),
    }
}

/// Binds a value for a meta column of `kind`; `None` when the value is of another type, or
/// text with U+0000 in it (and so matches nothing).
pub(super) fn bind_meta(sql: &mut Sql, kind: Kind, value: &Value) -> Option<String> {
    Some(match (kind, value) {
        // A text column never holds U+0000 (nor can it be bound): no such value is one.
        (Kind::Text, Value::String(s)) if s.contains('\0') => return None,
        (Kind::Text, Value::String(s)) => sql.bind(s.clone(), "text"),
        (Kind::Bool, Value::Bool(b)) => sql.bind(*b, "boolean"),
        (Kind::Number, Value::Number(n)) => match n.as_i64() {
            Some(i) => sql.bind(i, "bigint"),
            None => format!("{}::numeric", sql.bind(n.to_string(), "text")),
        },
        _ => return None,
    })
}

/// The indexed fields a model was registered with (none for an unknown model).
pub(crate) async fn registered_fields(
    client: &deadpool_postgres::Client,
    model: &str,
) -> Result<Fields> {
    let stmt = client
        .prepare_cached("SELECT indexed_fields, element_fields FROM models WHERE name = $1")
        .await
        .map_err(Error::store)?;
    let row = client
        .query_opt(&stmt, &[&model])
        .await
        .map_err(Error::store)?;
    let Some(row) = row else {
        return Ok(Fields::default());
    };
    let list = |column: usize, name: &str| -> Result<Vec<String>> {
        let value: Value = row.try_get(column).map_err(Error::store)?;
        field_list(model, name, serde_json::from_value(value))
    };
    Ok(Fields {
        paths: list(0, "indexed_fields")?,
        arrays: list(1, "element_fields")?,
    })
}

/// Writes `SELECT <what> FROM heads h WHERE …` for a query, with its order and page when
/// `paged`. Checks the query's fields against the model's indexed fields first.
pub(crate) fn select(
    indexed: &Fields,
    model: &str,
    query: &Query,
    what: &str,
    paged: bool,
) -> Result<Sql> {
    query.check_fields(model, &indexed.paths)?;
    query.check_shapes(|path| specstar_sql::model::shape(&indexed.arrays, path))?;
    let mut sql = Sql {
        arrays: indexed.arrays.clone(),
        ..Sql::default()
    };
    let model_param = sql.bind(model.to_owned(), "text");
    let mut text = format!("SELECT {what} FROM heads h WHERE h.model = {model_param}");
    if !query.include_deleted {
        text.push_str(" AND NOT h.is_deleted");
    }
    select::finish(&mut sql, &mut text, query, paged)?;
    sql.text = text;
    Ok(sql)
}

/// The expressions a field sorts by, in turn.
fn sort_keys(field: &Field) -> Result<Vec<String>> {
    Ok(match field {
        Field::Meta(m) => vec![meta_column(*m).0.to_owned()],
        Field::Data(path) => {
            check_path(path).map_err(|reason| Error::InvalidQuery { reason })?;
            let (v, t) = (data_expr(path), type_expr(path));
            vec![
                format!(
                    "(CASE {t} WHEN 'number' THEN 1 WHEN 'boolean' THEN 1 WHEN 'string' THEN 2 \
                     WHEN 'array' THEN 2 WHEN 'object' THEN 2 ELSE 0 END)"
                ),
                format!(
                    "(CASE {t} WHEN 'number' THEN {v}::numeric WHEN 'boolean' THEN \
                     (CASE WHEN {v}::boolean THEN 1 ELSE 0 END)::numeric ELSE 0::numeric END)"
                ),
                format!(
                    "(coalesce(CASE {t} WHEN 'string' THEN h.indexed_data ->> '{path}' \
                     WHEN 'array' THEN h.indexed_text ->> '{path}' \
                     WHEN 'object' THEN h.indexed_text ->> '{path}' END, '') COLLATE \"C\")"
                ),
            ]
        }
    })
}

impl Dialect for Sql {
    const TRUE: &'static str = "true";
    const FALSE: &'static str = "false";
    const RESOURCE_ID: &'static str = "h.resource_id";

    fn condition(&mut self, condition: &Condition) -> Result<String> {
        conditions::condition(self, condition)
    }

    fn sort_keys(&self, field: &Field) -> Result<Vec<String>> {
        sort_keys(field)
    }

    /// A meta column compares its bound key; a data field's key is its triple (rank, number,
    /// text), compared as a row.
    fn key_after(&mut self, sort: &Sort, key: &Value) -> Result<(String, String)> {
        let malformed = || Error::InvalidQuery {
            reason: "the cursor is malformed: pass back a cursor exactly as it was given".into(),
        };
        let (expr, param) = match &sort.field {
            Field::Meta(m) => {
                let (column, kind) = meta_column(*m);
                let param = bind_meta(self, kind, key).ok_or_else(malformed)?;
                (column.to_owned(), param)
            }
            Field::Data(_) => {
                let keys = sort_keys(&sort.field)?;
                let (rank, number, text) = match key {
                    Value::Null => (0, "0".to_owned(), String::new()),
                    Value::Bool(b) => (1, u8::from(*b).to_string(), String::new()),
                    Value::Number(n) => (1, n.to_string(), String::new()),
                    Value::String(s) => (2, "0".to_owned(), crate::nul::escape_str(s).into_owned()),
                    other => (2, "0".to_owned(), other.to_string()),
                };
                let rank = self.bind(rank, "integer");
                let number = self.bind(number, "text");
                let text = self.bind(text, "text");
                (
                    format!("({})", keys.join(", ")),
                    format!("({rank}, {number}::numeric, {text})"),
                )
            }
        };
        let symbol = match sort.direction {
            Direction::Asc => ">",
            Direction::Desc => "<",
        };
        Ok((
            format!("{expr} {symbol} {param}"),
            format!("{expr} = {param}"),
        ))
    }

    fn bind_text(&mut self, text: &str) -> String {
        self.bind(text.to_owned(), "text")
    }

    fn bind_int(&mut self, number: i64) -> String {
        self.bind(number, "bigint")
    }

    /// A NULL `LIMIT` is no limit.
    fn bind_limit(&mut self, limit: Option<i64>) -> String {
        self.bind(limit, "bigint")
    }
}

/// The heads matching a query, in its order, its page only.
pub(crate) async fn search(
    client: &deadpool_postgres::Client,
    indexed: &Fields,
    model: &str,
    query: &Query,
) -> Result<Vec<ResourceMeta>> {
    let what = concat!("h.resource_id, ", head_columns!());
    let sql = select(indexed, model, query, what, true)?;
    let stmt = prepare(client, &sql.text).await?;
    let found = client
        .query(&stmt, &sql.refs())
        .await
        .map_err(Error::store)?;
    found
        .iter()
        .map(|row| {
            let row = PgRow(row);
            let id = decode_id(&row, 0, || format!("a head of model {model:?}"))?;
            Ok(decode_head(&id, &row, 1)?.meta)
        })
        .collect()
}

/// How many heads match a query.
pub(crate) async fn count(
    client: &deadpool_postgres::Client,
    indexed: &Fields,
    model: &str,
    query: &Query,
) -> Result<u64> {
    let sql = select(indexed, model, query, "count(*)", false)?;
    let stmt = prepare(client, &sql.text).await?;
    let count: i64 = client
        .query_one(&stmt, &sql.refs())
        .await
        .and_then(|row| row.try_get(0))
        .map_err(Error::store)?;
    Ok(int::count(count))
}

/// The plan of a search, one line per node.
pub(crate) async fn explain(
    client: &deadpool_postgres::Client,
    indexed: &Fields,
    model: &str,
    query: &Query,
) -> Result<String> {
    let sql = select(indexed, model, query, "h.resource_id", true)?;
    let rows = client
        .query(&format!("EXPLAIN {}", sql.text), &sql.refs())
        .await
        .map_err(Error::store)?;
    let lines = rows
        .iter()
        .map(|row| row.try_get::<_, String>(0))
        .collect::<std::result::Result<Vec<_>, _>>()
        .map_err(Error::store)?;
    Ok(lines.join("\n"))
}

/// The most search statements a connection keeps prepared; past it the cache starts over, so
/// that endless distinct query shapes cannot grow it without bound.
const SEARCH_CACHE: usize = 256;

async fn prepare(
    client: &deadpool_postgres::Client,
    text: &str,
) -> Result<tokio_postgres::Statement> {
    if client.statement_cache.size() > SEARCH_CACHE {
        client.statement_cache.clear();
    }
    client.prepare_cached(text).await.map_err(Error::store)
}

#[cfg(test)]
mod tests {
    use specstar_core::{Filter, Op};

    use super::*;

    #[test]
    fn values_are_bound_and_unindexed_fields_refused() {
        let indexed = Fields {
            paths: vec!["status".to_owned()],
            arrays: Vec::new(),
        };
        let query = Query::all().filter(Filter::data("status", Op::Eq, "x' OR 1=1 --"));
        let sql = select(&indexed, "issue", &query, "count(*)", true).expect("writes sql");
        assert!(!sql.text.contains("OR 1=1"), "{}", sql.text);
        assert!(
            sql.text
                .contains("(h.indexed_data -> 'status') = $2::jsonb"),
            "{}",
            sql.text
        );
        let query = Query::all().filter(Filter::data("title", Op::Eq, "a"));
        let error = select(&indexed, "issue", &query, "count(*)", true)
            .err()
            .expect("title is not indexed");
        assert!(error.to_string().contains("\"title\""), "{error}");
    }

    #[test]
    fn index_names_fit_and_differ() {
        let a = index_name("issue", "status");
        let long = "x".repeat(100);
        let b = index_name(&long, &format!("{long}.a"));
        let c = index_name(&long, &format!("{long}.b"));
        assert!(a.starts_with("heads_issue_status_"), "{a}");
        assert!(b.len() <= 63 && b != c, "{b} {c}");
        assert!(
            b.bytes()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == b'_')
        );
    }
}
