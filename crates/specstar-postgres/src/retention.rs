//! Pruning and pins (see [`specstar_core::retention`]). A pruned revision keeps its row with
//! empty `data`; `revisions.pinned` marks those no prune drops. PostgreSQL's autovacuum gives
//! the space back in the background.

use deadpool_postgres::Client;
use specstar_core::{Error, PruneBounds, Pruned, ResourceId, Result};

use crate::rows::to_sql_int;

/// Drops the data of the revisions `bounds` admit, in one statement; `None` when the resource
/// does not exist. The update itself says "not pinned, not pruned", so that a pin committed
/// while it waited for a row is seen (PostgreSQL rechecks an updated row's conditions).
pub(crate) async fn prune(
    client: &Client,
    id: &ResourceId,
    bounds: PruneBounds,
) -> Result<Option<Pruned>> {
    const SQL: &str = "WITH h AS (SELECT current_number FROM heads WHERE resource_id = $1), \
         t AS (SELECT x.number, octet_length(x.data) AS len FROM revisions x, h \
               WHERE x.resource_id = $1 AND x.number <= $2 AND x.number < h.current_number \
               AND x.created_time < $3 AND NOT x.pinned AND octet_length(x.data) > 0), \
         u AS (UPDATE revisions r SET data = ''::bytea FROM t \
               WHERE r.resource_id = $1 AND r.number = t.number \
               AND NOT r.pinned AND octet_length(r.data) > 0 RETURNING t.len) \
         SELECT EXISTS (SELECT 1 FROM h), count(*), coalesce(sum(len), 0)::bigint FROM u";
    let through = to_sql_int(bounds.through)?;
    let before = bounds.before.as_micros();
    let row = client
        .query_one(SQL, &[&id.as_str(), &through, &before])
        .await
        .map_err(Error::store)?;
    let counts = || -> std::result::Result<_, tokio_postgres::Error> {
        Ok((
            row.try_get(0)?,
            row.try_get::<_, i64>(1)?,
            row.try_get::<_, i64>(2)?,
        ))
    };
    let (exists, revisions, bytes): (bool, i64, i64) = counts().map_err(Error::store)?;
    Ok(exists.then_some(Pruned {
        revisions: revisions.unsigned_abs(),
        bytes: bytes.unsigned_abs(),
    }))
}

/// Pins or unpins revision `number` of a resource.
pub(crate) async fn set_pinned(
    client: &Client,
    id: &ResourceId,
    number: u64,
    pinned: bool,
) -> Result<()> {
    // A pruned revision cannot be pinned: the update skips it, and the check below says why.
    const UPDATE: &str = "UPDATE revisions SET pinned = $3 WHERE resource_id = $1 \
                          AND number = $2 AND (NOT $3 OR octet_length(data) > 0)";
    const WHY: &str = "SELECT EXISTS (SELECT 1 FROM heads WHERE resource_id = $1), \
                       EXISTS (SELECT 1 FROM revisions WHERE resource_id = $1 AND number = $2)";
    let number_sql = to_sql_int(number)?;
    let updated = client
        .execute(UPDATE, &[&id.as_str(), &number_sql, &pinned])
        .await
        .map_err(Error::store)?;
    if updated > 0 {
        return Ok(());
    }
    let row = client
        .query_one(WHY, &[&id.as_str(), &number_sql])
        .await
        .map_err(Error::store)?;
    let (resource, revision): (bool, bool) = (
        row.try_get(0).map_err(Error::store)?,
        row.try_get(1).map_err(Error::store)?,
    );
    Err(match (resource, revision) {
        (false, _) => Error::ResourceNotFound {
            resource_id: id.clone(),
        },
        (true, false) => Error::RevisionNotFound {
            revision_id: id.revision(number),
        },
        (true, true) => Error::RevisionPruned {
            revision_id: id.revision(number),
        },
    })
}

/// The numbers of a resource's pinned revisions; `None` when it does not exist.
pub(crate) async fn pinned(client: &Client, id: &ResourceId) -> Result<Option<Vec<u64>>> {
    const SQL: &str = "SELECT h.resource_id IS NOT NULL, \
                       array(SELECT number FROM revisions WHERE resource_id = $1 AND pinned \
                             ORDER BY number) \
                       FROM (SELECT 1) one LEFT JOIN heads h ON h.resource_id = $1";
    let row = client
        .query_one(SQL, &[&id.as_str()])
        .await
        .map_err(Error::store)?;
    let exists: bool = row.try_get(0).map_err(Error::store)?;
    let numbers: Vec<i64> = row.try_get(1).map_err(Error::store)?;
    Ok(exists.then(|| numbers.into_iter().map(i64::unsigned_abs).collect()))
}
