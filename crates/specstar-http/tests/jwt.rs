//! Bearer JWT authentication: valid tokens of every key kind name the user of every write and
//! add the role `authenticated`; no token is anonymous; every bad token (expired, not yet
//! valid, wrong signature, wrong algorithm, `none`, wrong audience or issuer, garbage, no
//! `sub`) is 401 with `WWW-Authenticate: Bearer error="invalid_token"` on every route.

#[allow(
    dead_code,
    reason = "not every helper of the common server is used here"
)]
mod common;

use std::path::Path;

use common::Server;
use jsonwebtoken::{Algorithm, EncodingKey, Header, encode, get_current_timestamp};
use reqwest::Method;
use serde_json::{Value, json};
use specstar_http::{HttpConfig, JwtAuth};

const SECRET: &[u8] = b"a shared secret of some length";

fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/jwt")
            .join(name),
    )
    .unwrap()
}

/// Claims for `sub`, valid for an hour, with `extra` merged in.
fn claims(sub: &str, extra: Value) -> Value {
    let now = get_current_timestamp();
    let mut claims = json!({"sub": sub, "exp": now + 3600, "iat": now, "roles": ["editor"]});
    for (key, value) in extra.as_object().unwrap() {
        claims[key] = value.clone();
    }
    claims
}

fn hs256(claims: &Value) -> String {
    encode(
        &Header::new(Algorithm::HS256),
        claims,
        &EncodingKey::from_secret(SECRET),
    )
    .unwrap()
}

async fn create_as(server: &Server, token: Option<&str>) -> reqwest::Response {
    let mut request = server
        .request(Method::POST, "/issue")
        .json(&json!({"title": "t"}));
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    request.send().await.unwrap()
}

async fn assert_invalid_token(response: reqwest::Response, why: &str) {
    assert_eq!(response.status(), 401, "{why}");
    let challenge = response.headers().get("www-authenticate").cloned();
    assert_eq!(
        challenge.as_ref().and_then(|v| v.to_str().ok()),
        Some(r#"Bearer error="invalid_token""#),
        "{why}"
    );
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["code"], "invalid_token", "{why}: {body}");
    assert_eq!(body["status"], 401);
}

async fn hmac_server() -> Server {
    let auth = JwtAuth::hmac(SECRET)
        .unwrap()
        .issuer("https://issuer.example")
        .audience("specstar-tests");
    Server::start_with(HttpConfig::new().with_jwt(auth)).await
}

fn good(sub: &str) -> Value {
    claims(
        sub,
        json!({"iss": "https://issuer.example", "aud": "specstar-tests"}),
    )
}

#[tokio::test]
async fn a_valid_token_names_the_writer_and_no_token_is_anonymous() {
    let server = hmac_server().await;
    let created = create_as(&server, Some(&hs256(&good("alice")))).await;
    assert_eq!(created.status(), 201);
    let info: Value = created.json().await.unwrap();
    assert_eq!(
        info["created_by"], "alice",
        "the token's sub, not a body field"
    );
    let anonymous = create_as(&server, None).await;
    assert_eq!(anonymous.status(), 201);
    let info: Value = anonymous.json().await.unwrap();
    assert_eq!(info["created_by"], "anonymous");
    let aud_list = claims(
        "bob",
        json!({"iss": "https://issuer.example", "aud": ["x", "specstar-tests"]}),
    );
    assert_eq!(
        create_as(&server, Some(&hs256(&aud_list))).await.status(),
        201
    );
}

#[tokio::test]
async fn every_bad_token_is_401_and_never_anonymous() {
    let server = hmac_server().await;
    let now = get_current_timestamp();
    let issued = json!({"iss": "https://issuer.example", "aud": "specstar-tests"});
    let with = |extra: Value| {
        let mut all = issued.clone();
        for (k, v) in extra.as_object().unwrap() {
            all[k] = v.clone();
        }
        claims("mallory", all)
    };
    let wrong_secret = encode(
        &Header::new(Algorithm::HS256),
        &good("mallory"),
        &EncodingKey::from_secret(b"another secret"),
    )
    .unwrap();
    let rsa = EncodingKey::from_rsa_pem(&fixture("rsa-private.pem")).unwrap();
    let wrong_algorithm = encode(&Header::new(Algorithm::RS256), &good("mallory"), &rsa).unwrap();
    let b64 = |v: &Value| {
        use std::fmt::Write as _;
        let text = v.to_string();
        // base64url without padding, by hand: the `none` token no library will sign.
        let table = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
        let bytes = text.as_bytes();
        let mut out = String::new();
        for chunk in bytes.chunks(3) {
            let n = chunk.iter().fold(0u32, |acc, b| (acc << 8) | u32::from(*b))
                << (8 * (3 - chunk.len()));
            for i in 0..=chunk.len() {
                let _ = out.write_char(char::from(table[((n >> (18 - 6 * i)) & 63) as usize]));
            }
        }
        out
    };
    let none = format!(
        "{}.{}.",
        b64(&json!({"alg": "none", "typ": "JWT"})),
        b64(&good("mallory"))
    );
    let mut no_exp = good("mallory");
    no_exp.as_object_mut().unwrap().remove("exp");
    let cases: Vec<(&str, String)> = vec![
        ("expired", hs256(&with(json!({"exp": now - 600})))),
        ("not yet valid", hs256(&with(json!({"nbf": now + 600})))),
        ("no exp", hs256(&no_exp)),
        ("wrong signature", wrong_secret),
        ("wrong algorithm", wrong_algorithm),
        ("alg none", none),
        (
            "wrong audience",
            hs256(&claims(
                "m",
                json!({"iss": "https://issuer.example", "aud": "other"}),
            )),
        ),
        (
            "wrong issuer",
            hs256(&claims(
                "m",
                json!({"iss": "https://evil.example", "aud": "specstar-tests"}),
            )),
        ),
        ("no sub", hs256(&with(json!({"sub": null})))),
        ("empty sub", hs256(&with(json!({"sub": " "})))),
        ("roles not strings", hs256(&with(json!({"roles": [1]})))),
        ("garbage", "not.a.token".into()),
        ("empty", String::new()),
    ];
    for (why, token) in &cases {
        let response = create_as(&server, Some(token)).await;
        assert_invalid_token(response, why).await;
    }
    let basic = server
        .request(Method::POST, "/issue")
        .header("authorization", "Basic YWxpY2U6c2VjcmV0")
        .json(&json!({"title": "t"}))
        .send()
        .await
        .unwrap();
    assert_invalid_token(basic, "basic credentials").await;
    for path in ["/issue", "/_changes", "/_stats", "/openapi.json"] {
        let response = server
            .get(path)
            .bearer_auth("garbage")
            .send()
            .await
            .unwrap();
        assert_invalid_token(response, path).await;
    }
    let count: Value = server
        .get("/issue/count")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(count, json!(0), "no bad token wrote anything");
}

#[tokio::test]
async fn public_keys_and_jwks_verify_their_own_tokens_only() {
    let rsa = EncodingKey::from_rsa_pem(&fixture("rsa-private.pem")).unwrap();
    let ec = EncodingKey::from_ec_pem(&fixture("ec-private.pem")).unwrap();
    let ed = EncodingKey::from_ed_pem(&fixture("ed-private.pem")).unwrap();
    let signed = |alg, key: &EncodingKey, kid: Option<&str>| {
        let mut header = Header::new(alg);
        header.kid = kid.map(Into::into);
        encode(&header, &claims("carol", json!({})), key).unwrap()
    };
    let kinds = [
        (
            "rsa-public.pem",
            signed(Algorithm::RS256, &rsa, None),
            signed(Algorithm::ES256, &ec, None),
        ),
        (
            "ec-public.pem",
            signed(Algorithm::ES256, &ec, None),
            signed(Algorithm::RS256, &rsa, None),
        ),
        (
            "ed-public.pem",
            signed(Algorithm::EdDSA, &ed, None),
            signed(Algorithm::ES256, &ec, None),
        ),
    ];
    for (file, good_token, other_token) in kinds {
        let auth = JwtAuth::public_key_pem(&fixture(file)).unwrap();
        let server = Server::start_with(HttpConfig::new().with_jwt(auth)).await;
        let created = create_as(&server, Some(&good_token)).await;
        assert_eq!(created.status(), 201, "{file}");
        let info: Value = created.json().await.unwrap();
        assert_eq!(info["created_by"], "carol", "{file}");
        assert_invalid_token(create_as(&server, Some(&other_token)).await, file).await;
        // An HMAC over the public key itself: the classic algorithm confusion.
        let confused = encode(
            &Header::new(Algorithm::HS256),
            &claims("mallory", json!({})),
            &EncodingKey::from_secret(&fixture(file)),
        )
        .unwrap();
        assert_invalid_token(
            create_as(&server, Some(&confused)).await,
            "HS256 over the public key",
        )
        .await;
    }
    let jwks = String::from_utf8(fixture("jwks.json")).unwrap();
    let server =
        Server::start_with(HttpConfig::new().with_jwt(JwtAuth::jwks(&jwks).unwrap())).await;
    let by_kid = signed(Algorithm::RS256, &rsa, Some("rsa-1"));
    assert_eq!(create_as(&server, Some(&by_kid)).await.status(), 201);
    let no_kid = signed(Algorithm::RS256, &rsa, None);
    assert_eq!(create_as(&server, Some(&no_kid)).await.status(), 201);
    let other_kid = signed(Algorithm::RS256, &rsa, Some("rsa-2"));
    assert_invalid_token(create_as(&server, Some(&other_kid)).await, "unknown kid").await;
    let not_rs256 = signed(Algorithm::RS512, &rsa, Some("rsa-1"));
    assert_invalid_token(
        create_as(&server, Some(&not_rs256)).await,
        "the JWK's alg only",
    )
    .await;
}

#[test]
fn unusable_keys_are_refused_and_never_printed() {
    assert!(JwtAuth::hmac(b"").is_err());
    assert!(
        JwtAuth::public_key_pem(b"-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n")
            .is_err()
    );
    assert!(JwtAuth::jwks("{}").is_err());
    assert!(JwtAuth::jwks(r#"{"keys": []}"#).is_err());
    let jwks = String::from_utf8(fixture("jwks.json")).unwrap();
    let mismatched = jwks.replace("\"RS256\"", "\"ES256\"");
    assert!(mismatched.contains("ES256"));
    assert!(
        JwtAuth::jwks(&mismatched).is_err(),
        "an RSA key named ES256"
    );
    let debug = format!("{:?}", JwtAuth::hmac(SECRET).unwrap());
    assert!(!debug.contains("shared secret"), "{debug}");
    let config = format!(
        "{:?}",
        HttpConfig::new().with_jwt(JwtAuth::hmac(SECRET).unwrap())
    );
    assert!(!config.contains("shared secret"), "{config}");
}

#[tokio::test]
async fn the_document_declares_the_bearer_scheme_and_401s() {
    let server = hmac_server().await;
    let document: Value = server
        .get("/openapi.json")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let scheme = &document["components"]["securitySchemes"]["bearerAuth"];
    assert_eq!(
        (&scheme["type"], &scheme["scheme"]),
        (&json!("http"), &json!("bearer"))
    );
    assert_eq!(
        document["security"],
        json!([{}, {"bearerAuth": []}]),
        "a token is optional"
    );
    assert!(document["components"]["responses"]["E401"].is_object());
    let mut operations = 0;
    for (path, item) in document["paths"].as_object().unwrap() {
        for (method, operation) in item.as_object().unwrap() {
            let answer = &operation["responses"]["401"]["$ref"];
            assert_eq!(answer, "#/components/responses/E401", "{method} {path}");
            operations += 1;
        }
    }
    assert!(operations > 20, "{operations}");
    let open = Server::start().await;
    let plain: Value = open
        .get("/openapi.json")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(
        plain.get("security").is_none() && plain["components"].get("securitySchemes").is_none()
    );
}
