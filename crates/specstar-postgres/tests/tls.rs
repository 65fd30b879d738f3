//! TLS to the machine's PostgreSQL, which `.ci/run` switches on with a test CA
//! (`.ci/pg-tls.sh`: a server certificate for `localhost` only) and names in
//! `SPECSTAR_TEST_PG_CA`: `require` connects encrypted, `verify-full` with the test CA connects
//! to `localhost`, and is refused for the name `127.0.0.1` with a clear error, which
//! `verify-ca` accepts; the system's roots do not know the test CA; `disable` stays plain.

mod common;

use common::{TestSchema, test_url};
use specstar_postgres::{PostgresOptions, PostgresStore, SslMode};

/// The test CA's certificate, or `None` outside CI when TLS is not set up (said on stderr).
fn test_ca() -> Option<String> {
    match std::env::var("SPECSTAR_TEST_PG_CA") {
        Ok(path) if !path.trim().is_empty() => Some(path),
        _ if std::env::var("CI").is_ok_and(|v| v == "true") => {
            panic!("CI=true but SPECSTAR_TEST_PG_CA is not set: .ci/run sets TLS up for this test")
        }
        _ => {
            eprintln!(
                "NOTE: the TLS tests did NOT run: run .ci/pg-tls.sh DIR and set SPECSTAR_TEST_PG_CA"
            );
            None
        }
    }
}

/// `url` with its host replaced by `host` and `query` appended.
fn with(url: &str, host: &str, query: &str) -> String {
    let (scheme, rest) = url.split_once("://").unwrap();
    let (authority, path) = rest.split_once('/').unwrap_or((rest, ""));
    let (user, _) = authority
        .rsplit_once('@')
        .map_or(("", authority), |(u, h)| (u, h));
    let port = authority.rsplit_once(':').map_or("5432", |(_, p)| p);
    let user = if user.is_empty() {
        String::new()
    } else {
        format!("{user}@")
    };
    let path = path.split('?').next().unwrap_or("");
    format!("{scheme}://{user}{host}:{port}/{path}?{query}")
}

/// Whether the store's connections (named `application`) are encrypted, as the server sees.
async fn encrypted(url: &str, application: &str) -> bool {
    let (client, connection) = tokio_postgres::connect(url, tokio_postgres::NoTls)
        .await
        .unwrap();
    tokio::spawn(connection);
    let row = client
        .query_one(
            "SELECT bool_and(s.ssl) FROM pg_stat_ssl s JOIN pg_stat_activity a USING (pid) \
             WHERE a.application_name = $1",
            &[&application],
        )
        .await
        .unwrap();
    row.get::<_, Option<bool>>(0)
        .expect("the store has connections open")
}

async fn connect(url: &str, schema: &TestSchema) -> specstar_core::Result<PostgresStore> {
    let options = PostgresOptions::new(url)?
        .schema(schema.name())?
        .pool_size(2);
    PostgresStore::connect_with(options).await
}

#[tokio::test]
async fn tls_modes_connect_or_refuse_as_libpq_does() {
    let (Some(url), Some(ca)) = (test_url(), test_ca()) else {
        return;
    };
    let schema = TestSchema::new(&url);
    let plain = with(&url, "127.0.0.1", "sslmode=disable");

    let require = with(
        &url,
        "127.0.0.1",
        "sslmode=require&application_name=specstar-tls-require",
    );
    let store = connect(&require, &schema).await.expect("require connects");
    assert!(
        encrypted(&plain, "specstar-tls-require").await,
        "require encrypts"
    );
    drop(store);

    let full = with(
        &url,
        "localhost",
        &format!("sslmode=verify-full&sslrootcert={ca}&application_name=specstar-tls-full"),
    );
    let store = connect(&full, &schema)
        .await
        .expect("verify-full with the test CA connects to localhost");
    assert!(encrypted(&plain, "specstar-tls-full").await);
    drop(store);

    let wrong_name = with(
        &url,
        "127.0.0.1",
        &format!("sslmode=verify-full&sslrootcert={ca}"),
    );
    let error = connect(&wrong_name, &schema).await.unwrap_err().to_string();
    eprintln!("verify-full to 127.0.0.1: {error}");
    assert!(
        error.contains("not valid for name") || error.contains("NotValidForName"),
        "{error}"
    );

    let ca_only = with(
        &url,
        "127.0.0.1",
        &format!("sslmode=verify-ca&sslrootcert={ca}"),
    );
    drop(
        connect(&ca_only, &schema)
            .await
            .expect("verify-ca does not check the name"),
    );

    let system_roots = with(&url, "localhost", "sslmode=verify-full");
    let error = connect(&system_roots, &schema)
        .await
        .unwrap_err()
        .to_string();
    assert!(
        error.contains("UnknownIssuer") || error.contains("certificate"),
        "{error}"
    );

    let disabled = with(
        &url,
        "127.0.0.1",
        "sslmode=disable&application_name=specstar-tls-off",
    );
    let store = connect(&disabled, &schema).await.expect("disable connects");
    assert!(
        !encrypted(&plain, "specstar-tls-off").await,
        "disable stays plain"
    );
    drop(store);

    let options = PostgresOptions::new(&plain)
        .unwrap()
        .ssl_mode(SslMode::VerifyFull)
        .ssl_root_cert(&ca);
    assert_eq!(options.ssl_mode_in_use(), SslMode::VerifyFull);
    let bad_root = with(
        &url,
        "localhost",
        "sslmode=verify-full&sslrootcert=/nonexistent/ca.crt",
    );
    let error = connect(&bad_root, &schema).await.unwrap_err().to_string();
    assert!(error.contains("sslrootcert /nonexistent/ca.crt"), "{error}");
}
