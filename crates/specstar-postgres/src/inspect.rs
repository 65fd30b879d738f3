//! Reading what a schema holds without changing it: no migration, no schema created.

use specstar_core::{Error, Inspection, Result, VersionCount, VersionFingerprint};

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
        .connect(options.tls_connector()?)
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
        head_versions: Vec::new(),
        fingerprints: Vec::new(),
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
    // The connection's search path is the schema (see `PostgresOptions`).
    let counts = client
        .query("SELECT model, count(*) FROM heads GROUP BY model", &[])
        .await
        .map_err(Error::store)?;
    for model in crate::read::registered_models(client).await? {
        let count = counts
            .iter()
            .find(|row| {
                row.try_get::<_, &str>(0)
                    .is_ok_and(|name| name == model.name)
            })
            .map_or(Ok(0), |row| row.try_get::<_, i64>(1))
            .map_err(Error::store)?;
        inspection
            .models
            .push((model, specstar_sql::int::count(count)));
    }
    versions(client, found, &mut inspection).await?;
    Ok(inspection)
}

/// The heads' schema versions with their counts, and the fingerprints recorded (layout 8 on).
async fn versions(
    client: &tokio_postgres::Client,
    layout: i32,
    inspection: &mut Inspection,
) -> Result<()> {
    let rows = client
        .query(
            "SELECT model, schema_version, count(*) FROM heads GROUP BY 1, 2 ORDER BY 1, 2",
            &[],
        )
        .await
        .map_err(Error::store)?;
    for row in rows {
        inspection.head_versions.push(VersionCount {
            model: row.try_get(0).map_err(Error::store)?,
            version: row.try_get(1).map_err(Error::store)?,
            resources: specstar_sql::int::count(row.try_get(2).map_err(Error::store)?),
        });
    }
    if layout < 8 {
        return Ok(());
    }
    let rows = client
        .query(
            "SELECT model, version, fingerprint FROM model_versions ORDER BY 1, 2",
            &[],
        )
        .await
        .map_err(Error::store)?;
    for row in rows {
        inspection.fingerprints.push(VersionFingerprint {
            model: row.try_get(0).map_err(Error::store)?,
            version: row.try_get(1).map_err(Error::store)?,
            fingerprint: row.try_get(2).map_err(Error::store)?,
        });
    }
    Ok(())
}
