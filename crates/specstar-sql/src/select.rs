//! The tail of a search statement: the query's filter, its cursor, its order and its page,
//! around the dialect's pieces.
//!
//! The order is the core's ([`Query::compare`]): each sort's keys in its direction, then ties
//! broken by resource id in the direction of the last sort. A cursor continues that order by
//! keyset ([`Query::is_after`]): `(k1 > v1) OR (k1 = v1 AND k2 > v2) OR … OR (all equal AND
//! resource_id > id)`, with "after" as the dialect writes it for each key (reversed for
//! descending sorts, nulls where the core puts them).

use specstar_core::{Cursor, Direction, Query, Result};

use crate::{Dialect, filter, int};

/// Appends to `text`, a `SELECT … WHERE …` of the model's heads, ` AND <filter>` for the
/// query's filter and, when `paged`, ` AND <after the cursor>`, `ORDER BY` and
/// `LIMIT … OFFSET …`.
///
/// # Errors
/// What the dialect returns, and [`Error::InvalidQuery`](specstar_core::Error::InvalidQuery)
/// for a cursor made for other sorts.
pub fn finish<D: Dialect>(
    dialect: &mut D,
    text: &mut String,
    query: &Query,
    paged: bool,
) -> Result<()> {
    if let Some(filter) = &query.filter {
        // Flattened here too, for callers that did not check the query with the model.
        let condition = filter::filter_sql(dialect, &filter.clone().flattened())?;
        text.push_str(" AND ");
        text.push_str(&condition);
    }
    if !paged {
        return Ok(());
    }
    if let Some(cursor) = &query.after {
        let condition = dialect.cursor(query, cursor)?;
        text.push_str(" AND ");
        text.push_str(&condition);
    }
    text.push_str(" ORDER BY ");
    text.push_str(&order_by(dialect, query)?);
    let limit = dialect.bind_limit(query.limit.map(int::saturating));
    let offset = dialect.bind_int(int::saturating(query.offset));
    text.push_str(&format!(" LIMIT {limit} OFFSET {offset}"));
    Ok(())
}

/// The `ORDER BY` terms of a query, the tie-break included.
///
/// # Errors
/// What the dialect's [`sort_keys`](Dialect::sort_keys) returns.
pub fn order_by<D: Dialect + ?Sized>(dialect: &D, query: &Query) -> Result<String> {
    let direction = |d: Direction| match d {
        Direction::Asc => " ASC",
        Direction::Desc => " DESC",
    };
    let mut terms = Vec::new();
    for sort in &query.sorts {
        for key in dialect.sort_keys(&sort.field)? {
            terms.push(key + direction(sort.direction));
        }
    }
    terms.push(format!(
        "{}{}",
        D::RESOURCE_ID,
        direction(query.tie_direction())
    ));
    Ok(terms.join(", "))
}

/// The SQL of [`Query::is_after`] for `cursor`: the keyset expansion over the query's sorts,
/// each key compared by the dialect's [`key_after`](Dialect::key_after), then the resource id.
///
/// # Errors
/// [`Error::InvalidQuery`](specstar_core::Error::InvalidQuery) for a cursor made for other
/// sorts; what the dialect returns.
pub fn keyset<D: Dialect + ?Sized>(
    dialect: &mut D,
    query: &Query,
    cursor: &Cursor,
) -> Result<String> {
    cursor.check_sorts(&query.sorts)?;
    let mut equal_so_far: Vec<String> = Vec::new();
    let mut any = Vec::new();
    for (sort, key) in query.sorts.iter().zip(cursor.keys()) {
        let (after, equal) = dialect.key_after(sort, key)?;
        any.push(conjunction(&equal_so_far, &after));
        equal_so_far.push(equal);
    }
    let id = dialect.bind_text(cursor.resource_id());
    let symbol = match query.tie_direction() {
        Direction::Asc => ">",
        Direction::Desc => "<",
    };
    let id_after = format!("{} {symbol} {id}", D::RESOURCE_ID);
    any.push(conjunction(&equal_so_far, &id_after));
    Ok(format!("({})", any.join(" OR ")))
}

/// `(a AND b AND … AND last)`.
fn conjunction(all: &[String], last: &str) -> String {
    let mut parts: Vec<&str> = all.iter().map(String::as_str).collect();
    parts.push(last);
    format!("({})", parts.join(" AND "))
}

#[cfg(test)]
mod tests {
    use serde_json::json;
    use specstar_core::{Field, Filter, MetaField, Op, ResourceMeta, Timestamp};

    use super::*;
    use crate::tests::Toy;

    fn meta() -> ResourceMeta {
        let id = specstar_core::ResourceId::parse("issue:b").expect("an id");
        ResourceMeta {
            current_revision_id: id.revision(1),
            resource_id: id,
            total_revision_count: 1,
            schema_version: "v1".into(),
            created_time: Timestamp::from_micros(0).expect("a time"),
            created_by: "u".into(),
            updated_time: Timestamp::from_micros(0).expect("a time"),
            updated_by: "u".into(),
            is_deleted: false,
            indexed_data: [("n".to_owned(), json!(4))].into_iter().collect(),
        }
    }

    #[test]
    fn a_page_after_a_cursor_is_filtered_ordered_and_bounded() {
        let query = Query::all()
            .filter(Filter::data("n", Op::Eq, 1))
            .sort(Field::Data("n".into()), Direction::Asc)
            .sort(Field::Meta(MetaField::CreatedBy), Direction::Desc)
            .limit(20);
        let cursor = Cursor::after_row(&query, &meta());
        let query = query.after(cursor);
        let mut toy = Toy;
        let mut text = String::from("SELECT id FROM t WHERE m");
        finish(&mut toy, &mut text, &query, true).expect("writes sql");
        assert_eq!(
            text,
            "SELECT id FROM t WHERE m AND n = 1 AND ((n after 4) OR (n = 4 AND created_by \
             after \"u\") OR (n = 4 AND created_by = \"u\" AND id < 'issue:b')) \
             ORDER BY n ASC, created_by DESC, id DESC LIMIT :20 OFFSET :0"
        );
        let mut text = String::new();
        finish(&mut Toy, &mut text, &query, false).expect("writes sql");
        assert_eq!(text, " AND n = 1");
    }

    #[test]
    fn a_cursor_for_other_sorts_is_refused() {
        let sorted = Query::all().sort(Field::Data("n".into()), Direction::Asc);
        let cursor = Cursor::after_row(&sorted, &meta());
        let query = Query::all().after(cursor);
        let mut text = String::new();
        let error = finish(&mut Toy, &mut text, &query, true).expect_err("refused");
        assert!(error.to_string().contains("other sorts"), "{error}");
    }
}
