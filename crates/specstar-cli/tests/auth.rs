//! `specstar serve --auth-jwt-secret-file`: the token's user writes, no token is anonymous, a
//! bad token is 401; the secret (a trailing newline trimmed) never reaches the log; settings
//! that name two keys, or a key file that is not one, stop the server from starting.

use jsonwebtoken::{Algorithm, EncodingKey, Header, encode, get_current_timestamp};
use serde_json::{Value, json};
use tempfile::TempDir;

mod common;

use common::{LoggedServer, example_models, run, specstar};

const SECRET: &str = "a-very-secret-value-for-tests";

fn token(secret: &str, sub: &str) -> String {
    let claims = json!({"sub": sub, "exp": get_current_timestamp() + 600});
    encode(
        &Header::new(Algorithm::HS256),
        &claims,
        &EncodingKey::from_secret(secret.as_bytes()),
    )
    .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serve_takes_its_users_from_bearer_tokens() {
    let dir = TempDir::new().unwrap();
    std::fs::write(dir.path().join("jwt.secret"), format!("{SECRET}\n")).unwrap();
    let models = example_models();
    let mut server = LoggedServer::start(
        dir.path(),
        &[
            "--models",
            models.to_str().unwrap(),
            "--data-dir",
            "data",
            "--auth-jwt-secret-file",
            "jwt.secret",
        ],
    );
    let client = reqwest::Client::new();
    let post = |token: Option<String>| {
        let mut request = client
            .post(format!("{}/task", server.base))
            .json(&json!({"name": "t", "done": false}));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        request.send()
    };
    let alice = post(Some(token(SECRET, "alice"))).await.unwrap();
    assert_eq!(alice.status(), 201);
    let info: Value = alice.json().await.unwrap();
    assert_eq!(info["created_by"], "alice");
    let anonymous: Value = post(None).await.unwrap().json().await.unwrap();
    assert_eq!(anonymous["created_by"], "anonymous");
    let newline_kept = post(Some(token(&format!("{SECRET}\n"), "mallory")))
        .await
        .unwrap();
    assert_eq!(
        newline_kept.status(),
        401,
        "the trailing newline is not part of the secret"
    );
    let garbage = post(Some("garbage".into())).await.unwrap();
    assert_eq!(garbage.status(), 401);
    assert_eq!(server.stop(), 0);
    let log = server.logged().join("\n");
    assert!(!log.contains(SECRET), "the secret reached the log:\n{log}");
}

#[test]
fn bad_auth_settings_stop_the_start() {
    let dir = TempDir::new().unwrap();
    std::fs::write(dir.path().join("not-a-key.pem"), "hello").unwrap();
    std::fs::write(dir.path().join("jwt.secret"), "s").unwrap();
    let models = example_models();
    let models = models.to_str().unwrap();
    for (args, says) in [
        (
            vec!["--auth-jwt-public-key", "not-a-key.pem"],
            "not a PEM RSA, EC",
        ),
        (
            vec!["--auth-jwt-secret-file", "missing.secret"],
            "cannot read",
        ),
        (
            vec![
                "--auth-jwt-secret-file",
                "jwt.secret",
                "--auth-jwks-file",
                "x.json",
            ],
            "cannot be used with",
        ),
        (vec!["--auth-jwt-issuer", "iss"], "without a key"),
    ] {
        let out = run(specstar(dir.path())
            .args([
                "serve",
                "--addr",
                "127.0.0.1:0",
                "--models",
                models,
                "--data-dir",
                "data",
            ])
            .args(&args));
        assert_ne!(out.code, 0, "{args:?}");
        assert!(out.stderr.contains(says), "{args:?}: {}", out.stderr);
        assert!(
            !dir.path().join("data").exists(),
            "{args:?}: no store was made"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn model_file_permissions_are_enforced_and_bad_rules_refused() {
    let dir = TempDir::new().unwrap();
    std::fs::write(dir.path().join("jwt.secret"), SECRET).unwrap();
    let models = dir.path().join("models");
    std::fs::create_dir_all(&models).unwrap();
    let note = "name: note\nschema_version: v1\nschema: {type: object}\npermissions:\n  - roles: [editor]\n    actions: [read, create]\n  - roles: [authenticated]\n    actions: [read]\n";
    std::fs::write(models.join("note.yaml"), note).unwrap();
    let models = models.to_str().unwrap().to_owned();
    let mut server = LoggedServer::start(
        dir.path(),
        &[
            "--models",
            &models,
            "--data-dir",
            "data",
            "--auth-jwt-secret-file",
            "jwt.secret",
        ],
    );
    let client = reqwest::Client::new();
    let post = |token: Option<String>| {
        let mut request = client
            .post(format!("{}/note", server.base))
            .json(&json!({"a": 1}));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        request.send()
    };
    assert_eq!(post(None).await.unwrap().status(), 401);
    assert_eq!(
        post(Some(token(SECRET, "rita"))).await.unwrap().status(),
        403
    );
    let claims = json!({"sub": "eve", "roles": ["editor"], "exp": get_current_timestamp() + 600});
    let editor = encode(
        &Header::new(Algorithm::HS256),
        &claims,
        &EncodingKey::from_secret(SECRET.as_bytes()),
    )
    .unwrap();
    assert_eq!(post(Some(editor)).await.unwrap().status(), 201);
    assert_eq!(server.stop(), 0);

    let scoped = "name: note\nschema_version: v1\nschema: {type: object}\npermissions:\n  - roles: [authenticated]\n    actions: [read]\n    where: \"QB['owner'].eq(USER.id)\"\n";
    std::fs::write(dir.path().join("models/note.yaml"), scoped).unwrap();
    let check = run(specstar(dir.path()).args(["check", "--models", &models]));
    assert_eq!(check.code, 1, "{}", check.stdout);
    let all = format!("{}{}", check.stdout, check.stderr);
    // A row scope is answered by the indexes: one over a field that is not indexed is refused.
    assert!(
        all.contains("its row scope cannot be answered by the model's indexes")
            && all.contains("\"owner\" of model \"note\" is not indexed"),
        "{all}"
    );
    let indexed = scoped.replace(
        "schema: {type: object}",
        "indexes: [owner]\nschema: {type: object, properties: {owner: {type: string}}}",
    );
    std::fs::write(dir.path().join("models/note.yaml"), indexed).unwrap();
    let check = run(specstar(dir.path()).args(["check", "--models", &models]));
    assert_eq!(check.code, 0, "{}{}", check.stdout, check.stderr);
}
