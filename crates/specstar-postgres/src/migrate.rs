//! The store's tables and their versioned migrations, applied at start-up.
//!
//! Five tables, in the store's schema:
//! - `models`: one row per registered model (name, schema version, indexed field paths, and
//!   which of them are arrays);
//! - `heads`: one row per resource, its [`ResourceMeta`](specstar_core::ResourceMeta) plus
//!   the current revision's data hash (what the planner needs). `indexed_data` is `jsonb`, so
//!   that each indexed field gets an expression index `(model, (indexed_data -> 'field'))`
//!   (made at registration, see [`search`](crate::search)), its strings [escaped](crate::nul)
//!   since `jsonb` cannot hold U+0000; `indexed_text` keeps the JSON text
//!   of array and object values, which sorts order by (PostgreSQL's own `jsonb` text differs);
//! - `revisions`: every revision ever appended, immutable, keyed by `(resource_id, number)`,
//!   its data as `bytea`: the canonical JSON bytes the core hashed, returned byte for byte;
//! - `sequence_counter`: one row, the last store-wide sequence number given out (see
//!   [`write`](crate::write) for why a counter row and not a `BIGSERIAL`);
//! - `purges`: one row per permanent delete (resource, time, user), numbered from the same
//!   counter, for the change feed.
//!
//! Text columns use the `"C"` collation, so that ids and strings compare by their bytes, as the
//! core's order says, whatever the database's locale. Times are `bigint` microseconds since
//! the Unix epoch, exactly as the core keeps them.
//!
//! `specstar_migrations` records each applied migration. At start-up [`migrate`] takes a
//! transaction-scoped advisory lock (`pg_advisory_xact_lock`), reads the version, refuses a
//! schema newer than this code and applies the missing migrations, all in one transaction: two
//! processes starting together migrate one after the other, and the second finds the work done.

use deadpool_postgres::Client;
use specstar_core::{Error, Result};

use crate::error::PostgresError;

/// Migration `i` brings a schema from version `i` to version `i + 1`, with its name.
const MIGRATIONS: &[(&str, &str)] = &[
    ("heads, revisions, models, sequence counter", V1),
    ("heads in created and updated time order", V2),
    ("which indexed fields are arrays", V3),
    ("indexed strings escaped", V4),
    ("revisions in time order, for as-of reads", V5),
    ("purge events of the change feed", V6),
    ("chain hashes of revisions and heads", V7),
    ("schema fingerprints of registered versions", V8),
    ("pinned revisions, which retention keeps", V9),
];

/// The layout version this code writes: the number of migrations.
pub(crate) const LAYOUT_VERSION: i32 = MIGRATIONS.len() as i32;

const V1: &str = r#"
CREATE TABLE models (
    name           text COLLATE "C" PRIMARY KEY,
    schema_version text COLLATE "C" NOT NULL,
    indexed_fields jsonb NOT NULL
);

CREATE TABLE heads (
    resource_id    text COLLATE "C" PRIMARY KEY,
    model          text COLLATE "C" NOT NULL,
    current_number bigint NOT NULL CHECK (current_number >= 1),
    revision_count bigint NOT NULL CHECK (revision_count >= current_number),
    schema_version text COLLATE "C" NOT NULL,
    data_hash      text COLLATE "C" NOT NULL,
    created_time   bigint NOT NULL,
    created_by     text COLLATE "C" NOT NULL,
    updated_time   bigint NOT NULL,
    updated_by     text COLLATE "C" NOT NULL,
    is_deleted     boolean NOT NULL,
    indexed_data   jsonb NOT NULL,
    indexed_text   jsonb NOT NULL
);

CREATE INDEX heads_by_model ON heads (model, resource_id);

CREATE TABLE revisions (
    resource_id    text COLLATE "C" NOT NULL,
    number         bigint NOT NULL CHECK (number >= 1),
    parent_number  bigint,
    schema_version text COLLATE "C" NOT NULL,
    data_hash      text COLLATE "C" NOT NULL,
    action         text COLLATE "C" NOT NULL,
    deleted        boolean NOT NULL,
    created_time   bigint NOT NULL,
    created_by     text COLLATE "C" NOT NULL,
    sequence       bigint NOT NULL UNIQUE,
    data           bytea NOT NULL,
    PRIMARY KEY (resource_id, number)
);

CREATE TABLE sequence_counter (
    id   boolean PRIMARY KEY DEFAULT true CHECK (id),
    last bigint NOT NULL
);

INSERT INTO sequence_counter (id, last) VALUES (true, 0);
"#;

/// Indexes in time order, ties by resource id: read forwards or backwards they give "newest
/// first" (the tie-break follows the sort's direction) without sorting, so that PostgreSQL
/// stops a `LIMIT` search at the page's last match instead of sorting every match.
const V2: &str = r#"
CREATE INDEX heads_by_created ON heads (model, created_time, resource_id);
CREATE INDEX heads_by_updated ON heads (model, updated_time, resource_id);
"#;

/// Which indexed fields of a model are arrays, tested by element (see
/// [`search`](crate::search)): recorded at registration, so that a search knows without the
/// model's schema. Empty for the models there are: their next registration records theirs
/// (and makes their GIN indexes), refilling their indexed values as a changed field list does.
const V3: &str = r#"
ALTER TABLE models ADD COLUMN element_fields jsonb NOT NULL DEFAULT '[]'::jsonb;
"#;

/// Indexed strings are kept escaped (see [`nul`](crate::nul)): U+0001 becomes U+0001 U+0002.
/// Heads written before held U+0001 as it is; this escapes them, in the same way, so that
/// conditions (escaped too) find them. (`jsonb` text shows U+0001 as `\u0001`: only those
/// heads are rewritten.)
const V4: &str = r#"
CREATE FUNCTION pg_temp.specstar_escape(v jsonb) RETURNS jsonb LANGUAGE plpgsql IMMUTABLE AS $fn$
BEGIN
    CASE jsonb_typeof(v)
    WHEN 'string' THEN
        RETURN to_jsonb(replace(v #>> '{}', chr(1), chr(1) || chr(2)));
    WHEN 'array' THEN
        RETURN coalesce((SELECT jsonb_agg(pg_temp.specstar_escape(e) ORDER BY i)
                         FROM jsonb_array_elements(v) WITH ORDINALITY AS t(e, i)), '[]'::jsonb);
    WHEN 'object' THEN
        RETURN coalesce((SELECT jsonb_object_agg(replace(k, chr(1), chr(1) || chr(2)),
                                                 pg_temp.specstar_escape(e))
                         FROM jsonb_each(v) AS t(k, e)), '{}'::jsonb);
    ELSE
        RETURN v;
    END CASE;
END
$fn$;
UPDATE heads SET indexed_data = pg_temp.specstar_escape(indexed_data)
WHERE strpos(indexed_data::text, '\u0001') > 0;
DROP FUNCTION pg_temp.specstar_escape(jsonb);
"#;

/// The index of as-of reads: the revision current at a time is one probe, the last entry at or
/// before `(resource_id, time)`, whatever the history's length.
const V5: &str = r#"
CREATE INDEX IF NOT EXISTS revisions_by_time ON revisions (resource_id, created_time, number);
"#;

/// One row per permanent delete, numbered from `sequence_counter` as revisions are, so that
/// the change feed reads revisions and purges in one order.
const V6: &str = r#"
CREATE TABLE IF NOT EXISTS purges (
    sequence     bigint PRIMARY KEY,
    resource_id  text COLLATE "C" NOT NULL,
    created_time bigint NOT NULL,
    created_by   text COLLATE "C" NOT NULL
);
"#;

/// The tamper-evident chain: each revision's chain hash and the head's (its current
/// revision's). The columns come empty; [`migrate`] then computes every resource's chain in
/// revision order (see [`chains`](crate::chains)).
const V7: &str = r#"
ALTER TABLE revisions ADD COLUMN IF NOT EXISTS chain_hash text COLLATE "C" NOT NULL DEFAULT '';
ALTER TABLE heads ADD COLUMN IF NOT EXISTS chain_hash text COLLATE "C" NOT NULL DEFAULT '';
"#;

/// The schema fingerprint of every version registered, so that a changed schema under an
/// unchanged version is refused.
const V8: &str = r#"
CREATE TABLE IF NOT EXISTS model_versions (
    model       text COLLATE "C" NOT NULL,
    version     text COLLATE "C" NOT NULL,
    fingerprint text COLLATE "C" NOT NULL,
    PRIMARY KEY (model, version)
);
"#;

/// Pins: the revisions retention keeps whatever its policy says. (A pruned revision needs no
/// column: its data is empty.)
const V9: &str = r#"
ALTER TABLE revisions ADD COLUMN IF NOT EXISTS pinned boolean NOT NULL DEFAULT false;
"#;

/// The advisory lock key of a schema's migrations: the same for every process migrating the
/// same schema, different (in all likelihood) for other schemas, which need not wait.
fn lock_key(schema: &str) -> i64 {
    let hash = xxhash_rust::xxh3::xxh3_64(format!("specstar-postgres migrate {schema}").as_bytes());
    i64::from_ne_bytes(hash.to_ne_bytes())
}

/// Creates the schema if needed and brings its tables to [`LAYOUT_VERSION`].
///
/// # Errors
/// [`PostgresError::SchemaTooNew`] for a schema laid out by newer code; PostgreSQL's errors
/// (e.g. no right to create the schema).
pub(crate) async fn migrate(client: &mut Client, schema: &str) -> Result<()> {
    let tx = client.transaction().await.map_err(Error::store)?;
    tx.execute("SELECT pg_advisory_xact_lock($1)", &[&lock_key(schema)])
        .await
        .map_err(Error::store)?;
    // Created only when missing: `CREATE SCHEMA IF NOT EXISTS` asks for the right to create
    // schemas even when the schema exists, which an application's role often lacks.
    let exists = tx
        .query_opt("SELECT 1 FROM pg_namespace WHERE nspname = $1", &[&schema])
        .await
        .map_err(Error::store)?
        .is_some();
    if !exists {
        // The name was checked to be a plain identifier (options::check_schema_name).
        tx.batch_execute(&format!("CREATE SCHEMA {schema}"))
            .await
            .map_err(Error::store)?;
    }
    let has_versions: bool = tx
        .query_one(
            "SELECT to_regclass($1) IS NOT NULL",
            &[&format!("{schema}.specstar_migrations")],
        )
        .await
        .and_then(|row| row.try_get(0))
        .map_err(Error::store)?;
    if !has_versions {
        tx.batch_execute(&format!(
            "CREATE TABLE {schema}.specstar_migrations (
             version    integer PRIMARY KEY,
             name       text NOT NULL,
             applied_at timestamptz NOT NULL DEFAULT now()
             );"
        ))
        .await
        .map_err(Error::store)?;
    }
    let found: i32 = tx
        .query_one(
            &format!("SELECT coalesce(max(version), 0) FROM {schema}.specstar_migrations"),
            &[],
        )
        .await
        .and_then(|row| row.try_get(0))
        .map_err(Error::store)?;
    if found > LAYOUT_VERSION {
        return Err(Error::store(PostgresError::SchemaTooNew {
            schema: schema.to_owned(),
            found,
            supported: LAYOUT_VERSION,
        }));
    }
    let first = usize::try_from(found).map_err(|_| Error::Corrupt {
        what: format!("postgresql schema {schema}"),
        reason: format!("layout version {found} is negative"),
    })?;
    for (index, (name, sql)) in MIGRATIONS.iter().enumerate().skip(first) {
        let version = i32::try_from(index + 1).expect("a handful of migrations fit in i32");
        tracing::info!(
            schema,
            from = version - 1,
            to = version,
            name,
            "migrating postgresql store"
        );
        tx.batch_execute(&format!("SET LOCAL search_path = {schema};\n{sql}"))
            .await
            .map_err(Error::store)?;
        if version == 7 {
            crate::chains::fill(&tx, schema).await?;
        }
        tx.execute(
            &format!("INSERT INTO {schema}.specstar_migrations (version, name) VALUES ($1, $2)"),
            &[&version, name],
        )
        .await
        .map_err(Error::store)?;
    }
    tx.commit().await.map_err(Error::store)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lock_keys_differ_by_schema() {
        assert_eq!(lock_key("a"), lock_key("a"));
        assert_ne!(lock_key("a"), lock_key("b"));
    }
}
