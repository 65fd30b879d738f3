//! Carrying out one job on the writer's connection, inside the batch's transaction: a write
//! (read the head, [`plan`], append and move the head), a purge, a model registration.
//!
//! Nothing here commits: the [writer](crate::writer) wraps each job in a savepoint and commits
//! the batch.

use rusqlite::types::Value as SqlValue;
use rusqlite::{CachedStatement, Connection, OptionalExtension};
use specstar_core::plan::{Appended, Plan, PlannedData, needs_current_data, plan};
use specstar_core::{
    Error, Head, ModelDescriptor, PurgeRequest, ResourceId, ResourceMeta, Result, RevisionInfo,
    Timestamp, WriteRequest, Written,
};

use crate::rows::{self, to_sql_int};
use crate::{indexes, slots};

/// Applies one write: reads the head (and the current data, for a write that copies it), asks
/// the planner, carries the plan out.
pub(crate) fn write(conn: &Connection, request: &WriteRequest) -> Result<Written> {
    let id = &request.resource_id;
    let head = rows::head(conn, id)?;
    let current = match &head {
        Some(head) if needs_current_data(request) => Some(current_data(conn, head)?),
        _ => None,
    };
    match plan(head.as_ref(), request, current.as_deref())? {
        Plan::Unchanged => {
            let head = head.expect("the planner leaves only an existing resource unchanged");
            let number = head.meta.current_revision_id.number();
            let info = rows::info(conn, id, number)?.ok_or_else(|| missing_current(&head))?;
            Ok(Written {
                info,
                meta: head.meta,
                appended: false,
            })
        }
        Plan::Append(appended) => append(conn, head.as_ref(), appended, current),
    }
}

/// The data bytes of a head's current revision.
fn current_data(conn: &Connection, head: &Head) -> Result<Vec<u8>> {
    let number = to_sql_int(head.meta.current_revision_id.number())?;
    conn.prepare_cached("SELECT data FROM revisions WHERE resource_id = ?1 AND number = ?2")
        .and_then(|mut stmt| {
            stmt.query_row((head.meta.resource_id.as_str(), number), |row| row.get(0))
                .optional()
        })
        .map_err(Error::store)?
        .ok_or_else(|| missing_current(head))
}

fn missing_current(head: &Head) -> Error {
    Error::Corrupt {
        what: format!("resource {}", head.meta.resource_id),
        reason: format!(
            "its current revision {} is missing",
            head.meta.current_revision_id.number()
        ),
    }
}

fn append(
    conn: &Connection,
    head: Option<&Head>,
    appended: Appended,
    current: Option<Vec<u8>>,
) -> Result<Written> {
    let Appended {
        mut info,
        data,
        meta,
    } = appended;
    let id = &info.resource_id;
    let bytes: &[u8] = match (&data, &current) {
        (PlannedData::New(bytes), _) => bytes,
        (PlannedData::CopyOfCurrent, Some(current)) => current,
        (PlannedData::CopyOfCurrent, None) => {
            return Err(Error::store(format!(
                "a copy of the current data of {id} was planned without that data"
            )));
        }
    };
    let mut stmt = conn
        .prepare_cached(
            "INSERT INTO revisions (resource_id, number, parent_number, schema_version, \
             data_hash, action, deleted, created_time, created_by, chain_hash, data) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
        )
        .map_err(Error::store)?;
    bind_info(&mut stmt, &info)?;
    stmt.raw_bind_parameter(11, bytes).map_err(Error::store)?;
    let inserted = stmt.raw_execute().map_err(Error::store)?;
    debug_assert_eq!(inserted, 1, "one revision is inserted");
    let sequence = conn.last_insert_rowid();
    info.sequence = u64::try_from(sequence).map_err(|_| Error::Corrupt {
        what: format!("revision {}", info.revision_id),
        reason: format!("sqlite gave it the negative sequence {sequence}"),
    })?;
    write_head(conn, head.is_none(), &meta, &info)?;
    crate::elements::follow(
        conn,
        meta.resource_id.model(),
        id.as_str(),
        head.map(|h| &h.meta.indexed_data),
        &meta.indexed_data,
    )?;
    Ok(Written {
        info,
        meta,
        appended: true,
    })
}

/// Binds parameters 1 to 10 of a revision insert: everything but the data.
pub(crate) fn bind_info(stmt: &mut CachedStatement<'_>, info: &RevisionInfo) -> Result<()> {
    let (number, parent) = specstar_sql::int::revision_numbers(info, "sqlite")?;
    let bind = |stmt: &mut CachedStatement<'_>| -> rusqlite::Result<()> {
        stmt.raw_bind_parameter(1, info.resource_id.as_str())?;
        stmt.raw_bind_parameter(2, number)?;
        stmt.raw_bind_parameter(3, parent)?;
        stmt.raw_bind_parameter(4, &*info.schema_version)?;
        stmt.raw_bind_parameter(5, info.data_hash.to_string())?;
        stmt.raw_bind_parameter(6, info.action.as_str())?;
        stmt.raw_bind_parameter(7, info.deleted)?;
        stmt.raw_bind_parameter(8, info.created_time.as_micros())?;
        stmt.raw_bind_parameter(9, &*info.created_by)?;
        stmt.raw_bind_parameter(10, info.chain_hash.to_string())
    };
    bind(stmt).map_err(Error::store)
}

/// Inserts (for a new resource) or updates its head, its slot columns included; `info` is the
/// revision it points at.
pub(crate) fn write_head(
    conn: &Connection,
    new: bool,
    meta: &ResourceMeta,
    info: &RevisionInfo,
) -> Result<()> {
    let fields = crate::search::indexed_fields(conn, meta.resource_id.model())?;
    write_head_with(conn, new, meta, info, &fields)
}

/// [`write_head`] with the model's indexed fields at hand (an import reads them once).
pub(crate) fn write_head_with(
    conn: &Connection,
    new: bool,
    meta: &ResourceMeta,
    info: &RevisionInfo,
    fields: &[String],
) -> Result<()> {
    let id = meta.resource_id.as_str();
    let indexed =
        serde_json::to_string(&meta.indexed_data).expect("a map of json values always serializes");
    let mut params: Vec<SqlValue> = vec![
        SqlValue::Text(id.to_owned()),
        SqlValue::Integer(to_sql_int(meta.current_revision_id.number())?),
        SqlValue::Integer(to_sql_int(meta.total_revision_count)?),
        SqlValue::Text(meta.schema_version.to_string()),
        SqlValue::Text(info.data_hash.to_string()),
        SqlValue::Integer(meta.updated_time.as_micros()),
        SqlValue::Text(meta.updated_by.to_string()),
        SqlValue::Integer(i64::from(meta.is_deleted)),
        SqlValue::Text(indexed),
    ];
    params.push(SqlValue::Text(info.chain_hash.to_string()));
    params.extend(slots::values(fields, &meta.indexed_data));
    let first_slot = 11;
    if new {
        params.push(SqlValue::Text(meta.resource_id.model().to_owned()));
        params.push(SqlValue::Integer(meta.created_time.as_micros()));
        params.push(SqlValue::Text(meta.created_by.to_string()));
        let extra = first_slot + 2 * slots::SLOTS;
        let sql = format!(
            "INSERT INTO heads (resource_id, current_number, revision_count, schema_version, \
             data_hash, updated_time, updated_by, is_deleted, indexed_data, chain_hash, {}, model, \
             created_time, created_by) VALUES ({})",
            slots::columns(),
            (1..=extra + 2)
                .map(|i| format!("?{i}"))
                .collect::<Vec<_>>()
                .join(", ")
        );
        conn.prepare_cached(&sql)
            .and_then(|mut stmt| stmt.execute(rusqlite::params_from_iter(&params)))
            .map_err(Error::store)?;
    } else {
        let sql = format!(
            "UPDATE heads SET current_number = ?2, revision_count = ?3, schema_version = ?4, \
             data_hash = ?5, updated_time = ?6, updated_by = ?7, is_deleted = ?8, \
             indexed_data = ?9, chain_hash = ?10, {} WHERE resource_id = ?1",
            slots::assignments(first_slot)
        );
        let updated = conn
            .prepare_cached(&sql)
            .and_then(|mut stmt| stmt.execute(rusqlite::params_from_iter(&params)))
            .map_err(Error::store)?;
        if updated != 1 {
            return Err(Error::store(format!(
                "the head of {id} vanished while it was being written"
            )));
        }
    }
    Ok(())
}

/// Erases a resource's head and revisions and records its purge event; returns the head as it
/// was. The event's number comes from the revisions' own `AUTOINCREMENT` counter (see
/// [`next_sequence`]), so revisions and purges share one sequence and the next revision is
/// numbered after the purge.
pub(crate) fn purge(conn: &Connection, request: &PurgeRequest) -> Result<Option<ResourceMeta>> {
    let id = &request.resource_id;
    let Some(head) = erase(conn, id)? else {
        return Ok(None);
    };
    let sequence = next_sequence(conn)?;
    record_purge(conn, sequence, id, request.time, &request.user).map_err(Error::store)?;
    Ok(Some(head.meta))
}

/// Deletes a resource's revisions, head and element rows; the head as it was, `None` when
/// there is none.
pub(crate) fn erase(conn: &Connection, id: &ResourceId) -> Result<Option<Head>> {
    let Some(head) = rows::head(conn, id)? else {
        return Ok(None);
    };
    conn.prepare_cached("DELETE FROM revisions WHERE resource_id = ?1")
        .and_then(|mut stmt| stmt.execute([id.as_str()]))
        .map_err(Error::store)?;
    conn.prepare_cached("DELETE FROM heads WHERE resource_id = ?1")
        .and_then(|mut stmt| stmt.execute([id.as_str()]))
        .map_err(Error::store)?;
    crate::elements::delete(conn, id.as_str())?;
    Ok(Some(head))
}

/// The last sequence number given out: the `revisions` table's `AUTOINCREMENT` counter (the
/// row of `sqlite_sequence`, created when the table has none yet).
pub(crate) fn last_sequence(conn: &Connection) -> Result<u64> {
    ensure_counter(conn)?;
    let last: i64 = conn
        .prepare_cached("SELECT seq FROM sqlite_sequence WHERE name = 'revisions'")
        .and_then(|mut stmt| stmt.query_row([], |row| row.get(0)))
        .map_err(Error::store)?;
    Ok(u64::try_from(last).unwrap_or(0))
}

/// Takes the next sequence number from the counter of [`last_sequence`].
pub(crate) fn next_sequence(conn: &Connection) -> Result<i64> {
    ensure_counter(conn)?;
    conn.prepare_cached(
        "UPDATE sqlite_sequence SET seq = seq + 1 WHERE name = 'revisions' RETURNING seq",
    )
    .and_then(|mut stmt| stmt.query_row([], |row| row.get(0)))
    .map_err(Error::store)
}

/// Moves the counter of [`last_sequence`] up to `last` (never down).
pub(crate) fn raise_sequence(conn: &Connection, last: u64) -> Result<()> {
    ensure_counter(conn)?;
    let last = to_sql_int(last)?;
    conn.prepare_cached("UPDATE sqlite_sequence SET seq = max(seq, ?1) WHERE name = 'revisions'")
        .and_then(|mut stmt| stmt.execute([last]))
        .map(drop)
        .map_err(Error::store)
}

fn ensure_counter(conn: &Connection) -> Result<()> {
    conn.prepare_cached(
        "INSERT INTO sqlite_sequence (name, seq) SELECT 'revisions', 0 \
         WHERE NOT EXISTS (SELECT 1 FROM sqlite_sequence WHERE name = 'revisions')",
    )
    .and_then(|mut stmt| stmt.execute([]))
    .map(drop)
    .map_err(Error::store)
}

/// Records a purge event.
pub(crate) fn record_purge(
    conn: &Connection,
    sequence: i64,
    id: &ResourceId,
    time: Timestamp,
    user: &str,
) -> rusqlite::Result<()> {
    conn.prepare_cached(
        "INSERT INTO purges (sequence, resource_id, created_time, created_by) \
         VALUES (?1, ?2, ?3, ?4)",
    )
    .and_then(|mut stmt| stmt.execute((sequence, id.as_str(), time.as_micros(), user)))
    .map(drop)
}

/// Checks the version's schema fingerprint against the one recorded, and records it when it is
/// the first.
fn record_fingerprint(conn: &Connection, model: &ModelDescriptor) -> Result<()> {
    let Some(fingerprint) = &model.fingerprint else {
        return Ok(());
    };
    let key = (&*model.name, &*model.schema_version);
    let recorded: Option<String> = conn
        .prepare_cached("SELECT fingerprint FROM model_versions WHERE model = ?1 AND version = ?2")
        .and_then(|mut stmt| stmt.query_row(key, |row| row.get(0)).optional())
        .map_err(Error::store)?;
    model.check_fingerprint(recorded.as_deref())?;
    if recorded.is_none() {
        conn.prepare_cached(
            "INSERT INTO model_versions (model, version, fingerprint) VALUES (?1, ?2, ?3)",
        )
        .and_then(|mut stmt| stmt.execute((key.0, key.1, &**fingerprint)))
        .map_err(Error::store)?;
    }
    Ok(())
}

/// Records a model (or its new schema version and indexed fields), creates the indexes of its
/// fields and, when its indexed fields changed, recomputes the indexed values of its
/// resources (see [`backfill`](crate::backfill)).
pub(crate) fn register_model(conn: &Connection, model: &ModelDescriptor) -> Result<()> {
    slots::check_count(model)?;
    indexes::model_literal(&model.name)?;
    record_fingerprint(conn, model)?;
    let fields =
        serde_json::to_string(&model.indexed_paths()).expect("a list of strings always serializes");
    let arrays = serde_json::to_string(&specstar_sql::model::array_paths(model))
        .expect("a list of strings always serializes");
    let previous: Option<(String, String, String)> = conn
        .prepare_cached(
            "SELECT indexed_fields, element_fields, schema_version FROM models WHERE name = ?1",
        )
        .and_then(|mut stmt| {
            stmt.query_row([&*model.name], |row| {
                Ok((row.get(0)?, row.get(1)?, row.get(2)?))
            })
            .optional()
        })
        .map_err(Error::store)?;
    // A new schema version the model migrates to: old heads are indexed by their upcast data.
    let upcasts = model.upcast.is_some()
        && previous
            .as_ref()
            .is_some_and(|(_, _, version)| *version != *model.schema_version);
    let (previous, previous_arrays): (Option<String>, Option<String>) =
        previous.map(|(fields, arrays, _)| (fields, arrays)).unzip();
    conn.prepare_cached(
        "INSERT INTO models (name, schema_version, indexed_fields, element_fields) \
         VALUES (?1, ?2, ?3, ?4) \
         ON CONFLICT (name) DO UPDATE SET schema_version = excluded.schema_version, \
         indexed_fields = excluded.indexed_fields, element_fields = excluded.element_fields",
    )
    .and_then(|mut stmt| stmt.execute((&*model.name, &*model.schema_version, &fields, &arrays)))
    .map_err(Error::store)?;
    // The slots follow the set of fields, in path order: the order of declaration is no change.
    let sorted = |mut paths: Vec<String>| {
        paths.sort();
        paths
    };
    let before = previous
        .and_then(|text| serde_json::from_str::<Vec<String>>(&text).ok())
        .map(sorted);
    if before != Some(sorted(model.indexed_paths())) {
        // The slots move with the field list: the indexes over them are made anew.
        indexes::drop_all(conn, &model.name)?;
        crate::backfill::reindex(conn, model)?;
        return indexes::create(conn, model);
    }
    if upcasts || previous_arrays.as_ref() != Some(&arrays) {
        // The same fields, but other arrays among them (their elements are indexed anew), or
        // a new version whose old heads are indexed by their upcast data.
        crate::backfill::reindex(conn, model)?;
    }
    indexes::create(conn, model)
}
