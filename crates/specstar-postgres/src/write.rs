//! One write: read the head, [`plan`], append the revision and move the head, atomically, in
//! as few round trips as the plan allows.
//!
//! # The two paths
//!
//! A **create** needs no head: the planner already knows what to do with a resource that does
//! not exist, so the whole write is one statement in autocommit, one round trip:
//! `INSERT INTO heads … ON CONFLICT DO NOTHING`, then (only if the head row went in) the
//! sequence number and the revision. When the resource existed the statement changes
//! nothing, and the write falls back to the general path, whose planner then answers
//! "already exists".
//!
//! **Every other write** locks the head: `BEGIN` and `SELECT … FOR UPDATE` go in one round
//! trip (pipelined), the planner decides with the locked head, and the append statement and
//! `COMMIT` go in a second. Writers of one resource, in any process, queue on that row lock,
//! each planning from the head its predecessor left: of conditional writes from one head
//! exactly one wins and the others find a newer head (a conflict); unconditioned writes all
//! land, each numbered after the last. A create that loses a race for a new id
//! (`ON CONFLICT` found a head inserted meanwhile) is planned again from the winner's head.
//!
//! # Sequence numbers in commit order
//!
//! A change feed follows `revisions` by `sequence`: it reads the rows past the last number it
//! saw. A `BIGSERIAL` would break it: numbers are taken when a row is inserted, but
//! transactions commit in any order, so number 8 can become visible before 7, a follower that
//! saw 8 would then never read 7. The store instead takes each number from a one-row counter,
//! `UPDATE sequence_counter SET last = last + 1`, as the **last** step before its commit. That
//! update locks the counter's row until the transaction ends, so the next writer's update
//! waits for this commit and then reads the committed value: the numbers are handed out in
//! commit order, with no gaps (a rolled-back write gives its number back). A reader whose
//! snapshot holds number `n` therefore holds every number below it. The price is that commits
//! of the whole store go one at a time through that row, one flush each; writes of different
//! resources still run everything else side by side.
//!
//! Deadlocks cannot form: a write holds at most one head lock and takes the counter last, so
//! nobody waits for a head while holding the counter.
//!
//! # Cancellation
//!
//! The store runs each write in a task of its own, so that a caller dropping its future (an
//! HTTP client hanging up) never returns a connection to the pool in the middle of a
//! transaction.

use std::time::Duration;

use deadpool_postgres::{Client, Pool};
use specstar_core::plan::{Appended, Plan, PlannedData, needs_current_data, plan};
use specstar_core::{
    Change, Error, Head, PurgeRequest, ResourceMeta, Result, WriteRequest, Written,
};
use specstar_sql::head_columns;
use specstar_sql::rows::{HEAD_LEN, decode_head};
use tokio_postgres::Statement;
use tokio_postgres::error::SqlState;
use tokio_postgres::types::ToSql;

use crate::error::PostgresError;
use crate::rows::{self, PgRow, to_sql_int};
use crate::{connection, read};

/// How many times a write is tried when it meets a concurrent create of the same id, a
/// deadlock or a serialization failure.
const ATTEMPTS: u32 = 8;

/// The columns of a revision insert; parameters `$1`…`$9` and the chain hash `$20`, in this
/// order.
const REVISION_INSERT: &str = "INSERT INTO revisions (resource_id, number, parent_number, \
     schema_version, data_hash, action, deleted, created_time, created_by, chain_hash, \
     sequence, data)";

/// The revision values: `$1`…`$9`, `$20`, then the sequence and the data from the CTEs.
const REVISION_VALUES: &str = "SELECT $1::text, $2::bigint, $3::bigint, $4::text, $5::text, \
     $6::text, $7::boolean, $8::bigint, $9::text, $20::text, seq.last";

/// Takes the next sequence number once the head moved (the last lock before the commit).
const NEXT_SEQUENCE: &str = "seq AS (UPDATE sequence_counter SET last = last + 1 \
     WHERE id AND EXISTS (SELECT 1 FROM head) RETURNING last)";

/// The head of a new resource; parameters `$10`…`$18` and the chain hash `$20`.
const HEAD_INSERT: &str = "head AS (INSERT INTO heads (resource_id, model, current_number, \
     revision_count, schema_version, data_hash, created_time, created_by, updated_time, \
     updated_by, is_deleted, indexed_data, indexed_text, chain_hash) \
     VALUES ($1, $10, $2, $11, $4, $5, $12, $13, $14, $15, $16, $17, $18, $20) \
     ON CONFLICT (resource_id) DO NOTHING RETURNING 1)";

/// The head of an existing resource, locked by this transaction; parameters `$10`…`$18` and
/// the chain hash `$20` (`$10`, `$12` and `$13`, the model and creation, do not change).
const HEAD_UPDATE: &str = "head AS (UPDATE heads SET current_number = $2, revision_count = $11, \
     schema_version = $4, data_hash = $5, updated_time = $14, updated_by = $15, \
     is_deleted = $16, indexed_data = $17, indexed_text = $18, chain_hash = $20 \
     WHERE resource_id = $1 AND model = $10 AND created_time = $12 AND created_by = $13 \
     RETURNING 1)";

/// The append statement: head, sequence, revision; returns the sequence when the revision was
/// inserted, no row when nothing changed.
fn append_sql(new_head: bool, copy: bool) -> String {
    let head = if new_head { HEAD_INSERT } else { HEAD_UPDATE };
    if copy {
        // The data comes from the current revision, `$19`; the head moves only if it exists.
        let head = head.replace(
            "RETURNING 1)",
            "AND EXISTS (SELECT 1 FROM src) RETURNING 1)",
        );
        format!(
            "WITH src AS (SELECT data FROM revisions WHERE resource_id = $1 AND number = $19), \
             {head}, {NEXT_SEQUENCE}, rev AS ({REVISION_INSERT} {REVISION_VALUES}, src.data \
             FROM seq, src RETURNING sequence) SELECT sequence FROM rev"
        )
    } else {
        format!(
            "WITH {head}, {NEXT_SEQUENCE}, rev AS ({REVISION_INSERT} {REVISION_VALUES}, $19::bytea \
             FROM seq RETURNING sequence) SELECT sequence FROM rev"
        )
    }
}

/// What one attempt came to.
#[allow(
    clippy::large_enum_variant,
    reason = "an attempt's outcome is moved once, to the caller; boxing would add an allocation per write"
)]
enum Attempt {
    Done(Written),
    /// A concurrent writer got in the way (the reason); plan again from the new head.
    Retry(String),
}

/// Applies one write, retrying what concurrent writers can make fail.
pub(crate) async fn write(pool: &Pool, request: &WriteRequest) -> Result<Written> {
    let mut last = String::new();
    for attempt in 0..ATTEMPTS {
        if attempt > 0 {
            tracing::debug!(resource_id = %request.resource_id, attempt, reason = %last, "retrying a write");
            tokio::time::sleep(Duration::from_millis(u64::from(attempt))).await;
        }
        let client = connection(pool).await?;
        let outcome = if attempt == 0 && matches!(request.change, Change::Create(_)) {
            create(&client, request).await
        } else {
            let outcome = locked(&client, request).await;
            if outcome.is_err() {
                rollback(client).await;
            }
            outcome
        };
        match outcome {
            Ok(Attempt::Done(written)) => return Ok(written),
            Ok(Attempt::Retry(reason)) => last = reason,
            Err(error) => match retryable(&error) {
                Some(reason) => last = reason,
                None => return Err(error),
            },
        }
    }
    Err(Error::store(PostgresError::Contended {
        resource_id: request.resource_id.to_string(),
        attempts: ATTEMPTS,
        last,
    }))
}

/// The reason to try again after `error`, if it is one a concurrent writer causes.
fn retryable(error: &Error) -> Option<String> {
    let Error::Store(source) = error else {
        return None;
    };
    let db = source
        .downcast_ref::<tokio_postgres::Error>()?
        .as_db_error()?;
    [
        SqlState::UNIQUE_VIOLATION,
        SqlState::T_R_DEADLOCK_DETECTED,
        SqlState::T_R_SERIALIZATION_FAILURE,
    ]
    .contains(db.code())
    .then(|| db.message().to_owned())
}

/// A create in one autocommit statement; retried on the locked path when the id is taken.
async fn create(client: &Client, request: &WriteRequest) -> Result<Attempt> {
    let Plan::Append(appended) = plan(None, request, None)? else {
        unreachable!("the planner appends revision 1 for a create of a missing resource")
    };
    let stmt = prepare_append(client, None, &appended).await?;
    match append(client, &stmt, None, appended).await? {
        Some(written) => Ok(Attempt::Done(written)),
        None => Ok(Attempt::Retry(format!(
            "{} was created meanwhile",
            request.resource_id
        ))),
    }
}

/// A write under the head's row lock, in a transaction of two round trips. On an error the
/// transaction may still be open: the caller rolls it back.
async fn locked(client: &Client, request: &WriteRequest) -> Result<Attempt> {
    const LOCK: &str = concat!(
        "SELECT ",
        head_columns!(),
        " FROM heads h WHERE h.resource_id = $1 FOR UPDATE"
    );
    // A write that copies the current data (a tombstone, a restore) reads it with the head:
    // its chain hash covers it.
    const LOCK_WITH_DATA: &str = concat!(
        "SELECT ",
        head_columns!(),
        ", r.data FROM heads h LEFT JOIN revisions r ON r.resource_id = h.resource_id \
         AND r.number = h.current_number WHERE h.resource_id = $1 FOR UPDATE OF h"
    );
    let id = &request.resource_id;
    let with_data = needs_current_data(request);
    let lock = client
        .prepare_cached(if with_data { LOCK_WITH_DATA } else { LOCK })
        .await
        .map_err(Error::store)?;
    // Pipelined: every future below sends its request on its first poll, in this order.
    let key = id.as_str();
    let params: [&(dyn ToSql + Sync); 1] = [&key];
    let (_, row) = tokio::try_join!(
        client.batch_execute("BEGIN"),
        client.query_opt(&lock, &params)
    )
    .map_err(Error::store)?;
    let head = row
        .as_ref()
        .map(|row| decode_head(id, &PgRow(row), 0))
        .transpose()?;
    let current: Option<&[u8]> = match &row {
        Some(row) if with_data => row.try_get(HEAD_LEN).map_err(Error::store)?,
        _ => None,
    };
    let planned = match plan(head.as_ref(), request, current) {
        Ok(planned) => planned,
        Err(error) => {
            client
                .batch_execute("ROLLBACK")
                .await
                .map_err(Error::store)?;
            return Err(error);
        }
    };
    match planned {
        Plan::Unchanged => {
            let head = head.expect("the planner leaves only an existing resource unchanged");
            let number = head.meta.current_revision_id.number();
            // Rare (the same data again, a restore of a live resource): two round trips.
            let info = read::info(client, id, number).await?;
            client.batch_execute("COMMIT").await.map_err(Error::store)?;
            let info = info.ok_or_else(|| Error::Corrupt {
                what: format!("resource {id}"),
                reason: format!("its current revision {number} is missing"),
            })?;
            Ok(Attempt::Done(Written {
                info,
                meta: head.meta,
                appended: false,
            }))
        }
        Plan::Append(appended) => {
            // Prepared first, so that the append is sent before the commit behind it.
            let stmt = prepare_append(client, head.as_ref(), &appended).await?;
            let (written, _) =
                tokio::try_join!(append(client, &stmt, head.as_ref(), appended), async {
                    client.batch_execute("COMMIT").await.map_err(Error::store)
                })?;
            match written {
                Some(written) => Ok(Attempt::Done(written)),
                None if head.is_none() => Ok(Attempt::Retry(format!("{id} was created meanwhile"))),
                None => Err(Error::Corrupt {
                    what: format!("resource {id}"),
                    reason: "its current revision is missing, so its data cannot be copied".into(),
                }),
            }
        }
    }
}

/// Prepares (or finds in the connection's cache) the append statement a plan needs.
async fn prepare_append(
    client: &Client,
    head: Option<&Head>,
    appended: &Appended,
) -> Result<Statement> {
    let copy = matches!(appended.data, PlannedData::CopyOfCurrent);
    client
        .prepare_cached(&append_sql(head.is_none(), copy))
        .await
        .map_err(Error::store)
}

/// Runs the append statement of a plan; `None` when it changed nothing (the head of a new
/// resource existed already, or the current revision to copy is missing). It sends the
/// statement on its first poll, so it can be pipelined with the commit.
async fn append(
    client: &Client,
    stmt: &Statement,
    head: Option<&Head>,
    appended: Appended,
) -> Result<Option<Written>> {
    let Appended {
        mut info,
        data,
        meta,
    } = appended;
    let copy = matches!(data, PlannedData::CopyOfCurrent);
    let (number, parent) = specstar_sql::int::revision_numbers(&info, "postgresql")?;
    let hash = info.data_hash.to_string();
    let count = to_sql_int(meta.total_revision_count)?;
    let indexed = crate::nul::indexed_column(&meta.indexed_data);
    let indexed_text = rows::indexed_text(&meta.indexed_data);
    let current = head.map(|h| to_sql_int(h.meta.current_revision_id.number()));
    let current = current.transpose()?.unwrap_or(0);
    let bytes: &[u8] = match &data {
        PlannedData::New(bytes) => bytes,
        PlannedData::CopyOfCurrent => &[],
    };
    let chain = info.chain_hash.to_string();
    let params: [&(dyn ToSql + Sync); 20] = [
        &info.resource_id.as_str(),
        &number,
        &parent,
        &&*info.schema_version,
        &hash,
        &info.action.as_str(),
        &info.deleted,
        &info.created_time.as_micros(),
        &&*info.created_by,
        &meta.resource_id.model(),
        &count,
        &meta.created_time.as_micros(),
        &&*meta.created_by,
        &meta.updated_time.as_micros(),
        &&*meta.updated_by,
        &meta.is_deleted,
        &indexed,
        &indexed_text,
        if copy { &current } else { &bytes },
        &chain,
    ];
    let Some(row) = client
        .query_opt(stmt, &params)
        .await
        .map_err(Error::store)?
    else {
        return Ok(None);
    };
    let sequence: i64 = row.try_get(0).map_err(Error::store)?;
    info.sequence = u64::try_from(sequence).map_err(|_| Error::Corrupt {
        what: format!("revision {}", info.revision_id),
        reason: format!("the sequence counter gave the negative number {sequence}"),
    })?;
    Ok(Some(Written {
        info,
        meta,
        appended: true,
    }))
}

/// Ends a failed transaction (a no-op when none is open); a connection that cannot even roll
/// back is taken out of the pool and closed rather than handed to the next caller.
async fn rollback(client: Client) {
    if let Err(error) = client.batch_execute("ROLLBACK").await {
        tracing::warn!(%error, "rollback failed; the connection is discarded");
        drop(deadpool_postgres::Object::take(client));
    }
}

/// Erases a resource's head and revisions and records its purge event; returns the head as it
/// was and the event's sequence number. One round trip: the lock first, so that the deletes,
/// each with a snapshot taken after it, see a revision a writer committed while the purge
/// waited for its head; the event takes its number from the counter last, as a write does (in
/// commit order, the counter held for the commit only).
pub(crate) async fn purge(
    pool: &Pool,
    request: &PurgeRequest,
) -> Result<Option<(ResourceMeta, u64)>> {
    const LOCK: &str = "SELECT 1 FROM heads WHERE resource_id = $1 FOR UPDATE";
    const REVISIONS: &str = "DELETE FROM revisions WHERE resource_id = $1";
    const HEAD: &str = concat!(
        "WITH h AS (DELETE FROM heads WHERE resource_id = $1 RETURNING *), ",
        "seq AS (UPDATE sequence_counter SET last = last + 1 ",
        "WHERE id AND EXISTS (SELECT 1 FROM h) RETURNING last), ",
        "ev AS (INSERT INTO purges (sequence, resource_id, created_time, created_by) ",
        "SELECT seq.last, $1, $2, $3 FROM seq RETURNING sequence) ",
        "SELECT ev.sequence, ",
        head_columns!(),
        " FROM h, ev"
    );
    let client = connection(pool).await?;
    let (lock, revisions, head) = tokio::try_join!(
        client.prepare_cached(LOCK),
        client.prepare_cached(REVISIONS),
        client.prepare_cached(HEAD)
    )
    .map_err(Error::store)?;
    let id = &request.resource_id;
    let key = id.as_str();
    let time = request.time.as_micros();
    let user = &*request.user;
    let params: [&(dyn ToSql + Sync); 1] = [&key];
    let event: [&(dyn ToSql + Sync); 3] = [&key, &time, &user];
    // Pipelined: every future sends its request on its first poll, in this order.
    let result = tokio::try_join!(
        client.batch_execute("BEGIN"),
        client.execute(&lock, &params),
        client.execute(&revisions, &params),
        client.query_opt(&head, &event),
        client.batch_execute("COMMIT"),
    );
    match result {
        Ok((_, _, _, row, _)) => row
            .map(|row| {
                let row = PgRow(&row);
                let sequence = crate::rows::sequence(&row, 0)?;
                decode_head(id, &row, 1).map(|h| (h.meta, sequence))
            })
            .transpose(),
        Err(error) => {
            rollback(client).await;
            Err(Error::store(error))
        }
    }
}
