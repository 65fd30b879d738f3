//! Reading what a schema holds without changing it: no migration, no schema created.

use specstar_core::{Error, Inspection, RegisteredModel, Result};
use tokio_postgres::NoTls;

use crate::PostgresOptions;
use crate::error::PostgresError;
use crate::migrate::LAYOUT_VERSION;

/// What the options' schema holds; layout 0 and no models when it has no store yet.
///
/// # Errors
/// [`PostgresError::SchemaTooNew`] for a schema of newer code; connection and PostgreSQL errors.
pub(crate) async fn inspect(options: &PostgresOptions) -> Result<Inspection> {
    let (client, connection) = options
        .connection_config()
        .connect(NoTls)
        .await
        .map_err(|e| Error::store(PostgresError::Connect(e)))?;
    let connection = tokio::spawn(connection);
    let result = read(&client, &options.schema).await;
    drop(client);
    let _ = connection.await;
    result
}

async fn read(client: &tokio_postgres::Client, schema: &str) -> Result<Inspection> {
    let mut inspection = Inspection {
        layout_version: 0,
        current_layout_version: i64::from(LAYOUT_VERSION),
        models: Vec::new(),
    };
    client
        .batch_execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
        .await
        .map_err(Error::store)?;
    let table = |name: &str| format!("{schema}.{name}");
    let exists = |name: String| async move {
        client
            .query_one("SELECT to_regclass($1) IS NOT NULL", &[&name])
            .await
            .and_then(|row| row.try_get::<_, bool>(0))
            .map_err(Error::store)
    };
    if !exists(table("specstar_migrations")).await? {
        return Ok(inspection);
    }
    let found: i32 = client
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
    inspection.layout_version = i64::from(found);
    if found == 0 || !exists(table("models")).await? {
        return Ok(inspection);
    }
    let sql = format!(
        "SELECT m.name, m.schema_version, m.indexed_fields, \
         (SELECT count(*) FROM {schema}.heads h WHERE h.model = m.name) \
         FROM {schema}.models m ORDER BY m.name"
    );
    for row in client.query(&sql, &[]).await.map_err(Error::store)? {
        let name: String = row.try_get(0).map_err(Error::store)?;
        let fields: serde_json::Value = row.try_get(2).map_err(Error::store)?;
        let indexed_paths = specstar_sql::model::field_list(
            &name,
            "indexed_fields",
            serde_json::from_value(fields),
        )?;
        let count: i64 = row.try_get(3).map_err(Error::store)?;
        let model = RegisteredModel {
            schema_version: row.try_get(1).map_err(Error::store)?,
            name,
            indexed_paths,
        };
        inspection
            .models
            .push((model, specstar_sql::int::count(count)));
    }
    Ok(inspection)
}
