//! Reads: each is one statement, so it sees one snapshot (PostgreSQL takes a snapshot per
//! statement) and costs one round trip, and a caller dropping it half-way leaves nothing
//! behind on the connection.

use deadpool_postgres::Client;
use specstar_core::{
    Error, Fetched, Head, ModelStats, RegisteredModel, ResourceId, ResourceMeta, Result,
    RevisionInfo, RevisionPage, StoredRevision, Timestamp,
};
use specstar_sql::rows::{HEAD_LEN, decode_head, decode_info, decode_revision, fetched};
use specstar_sql::{head_columns, int, revision_columns};

use crate::rows::{PgRow, to_sql_int};

/// Reads a resource's head.
pub(crate) async fn head(client: &Client, id: &ResourceId) -> Result<Option<Head>> {
    const SQL: &str = concat!(
        "SELECT ",
        head_columns!(),
        " FROM heads h WHERE h.resource_id = $1"
    );
    let stmt = client.prepare_cached(SQL).await.map_err(Error::store)?;
    let row = client
        .query_opt(&stmt, &[&id.as_str()])
        .await
        .map_err(Error::store)?;
    row.map(|row| decode_head(id, &PgRow(&row), 0)).transpose()
}

/// Reads a resource's meta.
pub(crate) async fn meta(client: &Client, id: &ResourceId) -> Result<Option<ResourceMeta>> {
    Ok(head(client, id).await?.map(|head| head.meta))
}

/// Reads a page of a resource's revisions with their data, oldest first: those numbered above
/// `after`, at most `limit`; one statement, with the head (whether the resource exists).
pub(crate) async fn with_data(
    client: &Client,
    id: &ResourceId,
    after: u64,
    limit: u64,
) -> Result<Option<Vec<StoredRevision>>> {
    const SQL: &str = concat!(
        "SELECT r.number IS NOT NULL, ",
        revision_columns!(),
        ", r.data FROM heads h LEFT JOIN LATERAL (SELECT * FROM revisions x WHERE \
         x.resource_id = h.resource_id AND x.number > $2 ORDER BY x.number ASC LIMIT $3) r \
         ON true WHERE h.resource_id = $1 ORDER BY r.number ASC"
    );
    let stmt = client.prepare_cached(SQL).await.map_err(Error::store)?;
    let rows = client
        .query(
            &stmt,
            &[
                &id.as_str(),
                &int::saturating(after),
                &int::saturating(limit),
            ],
        )
        .await
        .map_err(Error::store)?;
    if rows.is_empty() {
        return Ok(None);
    }
    let mut revisions = Vec::with_capacity(rows.len());
    for row in &rows {
        let found: bool = row.try_get(0).map_err(Error::store)?;
        if found {
            revisions.push(decode_revision(id, &PgRow(row), 1)?);
        }
    }
    Ok(Some(revisions))
}

/// Reads a resource's head and one revision with its data (the current one for `None`), in
/// one statement: the head and the revision come from one snapshot.
pub(crate) async fn fetch(
    client: &Client,
    id: &ResourceId,
    number: Option<u64>,
) -> Result<Option<Fetched>> {
    const SQL: &str = concat!(
        "SELECT ",
        head_columns!(),
        ", ",
        revision_columns!(),
        ", r.data FROM heads h LEFT JOIN revisions r ON r.resource_id = h.resource_id \
         AND r.number = coalesce($2::bigint, h.current_number) WHERE h.resource_id = $1"
    );
    // A number no revision can have (past i64) finds nothing: revision numbers start at 1.
    let wanted: Option<i64> = number.map(|n| i64::try_from(n).unwrap_or(0));
    let stmt = client.prepare_cached(SQL).await.map_err(Error::store)?;
    let Some(row) = client
        .query_opt(&stmt, &[&id.as_str(), &wanted])
        .await
        .map_err(Error::store)?
    else {
        return Ok(None);
    };
    let head = decode_head(id, &PgRow(&row), 0)?;
    let found: Option<i64> = row.try_get(HEAD_LEN).map_err(Error::store)?;
    let revision = match found {
        None => None,
        Some(_) => Some(decode_revision(id, &PgRow(&row), HEAD_LEN)?),
    };
    fetched(id, head.meta, number, revision).map(Some)
}

/// Reads a resource's head and the revision current at `time` (see
/// [`Store::read_as_of`](specstar_core::Store::read_as_of)), in one statement: one snapshot,
/// and the revision one probe of `revisions_by_time`.
pub(crate) async fn fetch_as_of(
    client: &Client,
    id: &ResourceId,
    time: Timestamp,
) -> Result<Option<Fetched>> {
    const SQL: &str = concat!(
        "SELECT ",
        head_columns!(),
        ", ",
        revision_columns!(),
        ", r.data FROM heads h LEFT JOIN LATERAL (SELECT * FROM revisions x \
         WHERE x.resource_id = h.resource_id AND x.created_time <= $2 \
         ORDER BY x.created_time DESC, x.number DESC LIMIT 1) r ON true \
         WHERE h.resource_id = $1"
    );
    let stmt = client.prepare_cached(SQL).await.map_err(Error::store)?;
    let Some(row) = client
        .query_opt(&stmt, &[&id.as_str(), &time.as_micros()])
        .await
        .map_err(Error::store)?
    else {
        return Ok(None);
    };
    let head = decode_head(id, &PgRow(&row), 0)?;
    let found: Option<i64> = row.try_get(HEAD_LEN).map_err(Error::store)?;
    let revision = match found {
        None => None,
        Some(_) => Some(decode_revision(id, &PgRow(&row), HEAD_LEN)?),
    };
    Ok(Some(Fetched {
        meta: head.meta,
        revision,
    }))
}

/// Reads the info of revision `number` of a resource.
pub(crate) async fn info(
    client: &Client,
    id: &ResourceId,
    number: u64,
) -> Result<Option<RevisionInfo>> {
    const SQL: &str = concat!(
        "SELECT ",
        revision_columns!(),
        " FROM revisions r WHERE r.resource_id = $1 AND r.number = $2"
    );
    let stmt = client.prepare_cached(SQL).await.map_err(Error::store)?;
    let row = client
        .query_opt(&stmt, &[&id.as_str(), &to_sql_int(number)?])
        .await
        .map_err(Error::store)?;
    row.map(|row| decode_info(id, &PgRow(&row), 0)).transpose()
}

/// Reads a page of a resource's history, with the head's count, in one statement.
pub(crate) async fn page(
    client: &Client,
    id: &ResourceId,
    page: RevisionPage,
) -> Result<Option<Vec<RevisionInfo>>> {
    const ASC: &str = concat!(
        "SELECT h.revision_count, ",
        revision_columns!(),
        " FROM heads h LEFT JOIN LATERAL (SELECT * FROM revisions x WHERE x.resource_id = \
         h.resource_id ORDER BY x.number ASC OFFSET $2 LIMIT $3) r ON true \
         WHERE h.resource_id = $1 ORDER BY r.number ASC"
    );
    const DESC: &str = concat!(
        "SELECT h.revision_count, ",
        revision_columns!(),
        " FROM heads h LEFT JOIN LATERAL (SELECT * FROM revisions x WHERE x.resource_id = \
         h.resource_id ORDER BY x.number DESC OFFSET $2 LIMIT $3) r ON true \
         WHERE h.resource_id = $1 ORDER BY r.number DESC"
    );
    let sql = if page.newest_first { DESC } else { ASC };
    let offset = int::saturating(page.offset);
    let limit: Option<i64> = page.limit.map(int::saturating);
    let stmt = client.prepare_cached(sql).await.map_err(Error::store)?;
    let found = client
        .query(&stmt, &[&id.as_str(), &offset, &limit])
        .await
        .map_err(Error::store)?;
    let Some(first) = found.first() else {
        return Ok(None);
    };
    let count: i64 = first.try_get(0).map_err(Error::store)?;
    let count = int::count(count);
    let mut infos = Vec::with_capacity(found.len());
    for row in &found {
        let number: Option<i64> = row.try_get(1).map_err(Error::store)?;
        if number.is_some() {
            infos.push(decode_info(id, &PgRow(row), 1)?);
        }
    }
    let expected: Vec<u64> = page.numbers(count).collect();
    let numbers: Vec<u64> = infos.iter().map(RevisionInfo::number).collect();
    if numbers != expected {
        return Err(Error::Corrupt {
            what: format!("resource {id}"),
            reason: format!(
                "it has {count} revisions, but the page expected to hold numbers {expected:?} \
                 holds {numbers:?}"
            ),
        });
    }
    Ok(Some(infos))
}

/// Counts the resources of a model.
pub(crate) async fn count(client: &Client, model: &str, include_deleted: bool) -> Result<u64> {
    let sql = if include_deleted {
        "SELECT count(*) FROM heads WHERE model = $1"
    } else {
        "SELECT count(*) FROM heads WHERE model = $1 AND NOT is_deleted"
    };
    let stmt = client.prepare_cached(sql).await.map_err(Error::store)?;
    let count: i64 = client
        .query_one(&stmt, &[&model])
        .await
        .and_then(|row| row.try_get(0))
        .map_err(Error::store)?;
    Ok(int::count(count))
}

/// The models the schema holds, by name, as last registered. On any connection (a pooled one,
/// or an inspection's own), as a plain query: it is read seldom.
pub(crate) async fn registered_models(
    client: &tokio_postgres::Client,
) -> Result<Vec<RegisteredModel>> {
    const SQL: &str = "SELECT name, schema_version, indexed_fields FROM models ORDER BY name";
    let rows = client.query(SQL, &[]).await.map_err(Error::store)?;
    rows.iter()
        .map(|row| {
            let name: String = row.try_get(0).map_err(Error::store)?;
            let fields: serde_json::Value = row.try_get(2).map_err(Error::store)?;
            let indexed_paths = specstar_sql::model::field_list(
                &name,
                "indexed_fields",
                serde_json::from_value(fields),
            )?;
            Ok(RegisteredModel {
                schema_version: row.try_get(1).map_err(Error::store)?,
                name,
                indexed_paths,
            })
        })
        .collect()
}

/// What the schema holds per registered model (see [`Store::stats`](specstar_core::Store::stats)),
/// in one statement (one snapshot).
pub(crate) async fn stats(client: &Client) -> Result<Vec<ModelStats>> {
    const SQL: &str = "SELECT m.name, \
         (SELECT count(*) FROM heads h WHERE h.model = m.name), \
         (SELECT count(*) FROM heads h WHERE h.model = m.name AND h.is_deleted), \
         r.revisions, r.bytes \
         FROM models m LEFT JOIN LATERAL (SELECT count(*) AS revisions, \
            coalesce(sum(octet_length(data)), 0)::bigint AS bytes FROM revisions \
            WHERE resource_id > m.name || ':' AND resource_id < m.name || ';') r ON true \
         ORDER BY m.name";
    let count = |value: i64| u64::try_from(value).unwrap_or(0);
    let rows = client.query(SQL, &[]).await.map_err(Error::store)?;
    rows.iter()
        .map(|row| {
            Ok(ModelStats {
                model: row.try_get(0)?,
                resources: count(row.try_get(1)?),
                deleted: count(row.try_get(2)?),
                revisions: count(row.try_get(3)?),
                history_bytes: count(row.try_get(4)?),
            })
        })
        .collect::<std::result::Result<_, tokio_postgres::Error>>()
        .map_err(Error::store)
}
