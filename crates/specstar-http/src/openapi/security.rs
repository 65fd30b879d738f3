//! What the document says of authentication and permissions: when the API takes bearer tokens
//! ([`HttpConfig::with_jwt`](crate::HttpConfig::with_jwt)), the `bearerAuth` scheme, optional
//! (a request without a token is anonymous), and a 401 answer on every operation; on the
//! operations of a model with permissions, the 401 and 403 of a denied caller.

use serde_json::{Value, json};

/// Adds the bearer scheme, the global optional security requirement and the 401 answers.
pub(crate) fn declare_bearer(document: &mut Value) {
    document["components"]["securitySchemes"] = json!({
        "bearerAuth": {
            "type": "http",
            "scheme": "bearer",
            "bearerFormat": "JWT",
            "description": "A JWT whose `sub` is the acting user (every write records it) and whose `roles` claim holds its roles. Without a token a request is anonymous; a bad, expired or unverifiable token is 401."
        }
    });
    // Either no credentials (anonymous) or a bearer token.
    document["security"] = json!([{}, { "bearerAuth": [] }]);
    document["components"]["responses"]["E401"] = json!({
        "description": "`invalid_token`: the bearer token is malformed, expired, not yet valid, or does not verify (the answer carries `WWW-Authenticate: Bearer error=\"invalid_token\"`).",
        "headers": { "WWW-Authenticate": { "schema": { "type": "string" } } },
        "content": { "application/problem+json": { "schema": { "$ref": "#/components/schemas/Problem" } } }
    });
    let Some(paths) = document["paths"].as_object_mut() else {
        return;
    };
    for item in paths.values_mut() {
        let Some(item) = item.as_object_mut() else {
            continue;
        };
        for operation in item.values_mut() {
            if let Some(responses) = operation
                .get_mut("responses")
                .and_then(Value::as_object_mut)
            {
                responses.insert(
                    "401".into(),
                    json!({ "$ref": "#/components/responses/E401" }),
                );
            }
        }
    }
}

/// Adds the 401 (anonymous) and 403 (authenticated) answers of a denied caller to every
/// operation of the model `name`, which declares permissions.
pub(crate) fn declare_permissions(document: &mut Value, name: &str) {
    let responses = &mut document["components"]["responses"];
    if responses.get("E401").is_none() {
        responses["E401"] = json!({
            "description": "`unauthenticated`: the model's rules give anonymous callers no such access; send credentials.",
            "content": { "application/problem+json": { "schema": { "$ref": "#/components/schemas/Problem" } } }
        });
    }
    responses["E403"] = json!({
        "description": "`forbidden`: the model's rules give none of the caller's roles this access.",
        "content": { "application/problem+json": { "schema": { "$ref": "#/components/schemas/Problem" } } }
    });
    let Some(paths) = document["paths"].as_object_mut() else {
        return;
    };
    let base = format!("/{name}");
    let prefix = format!("/{name}/");
    for (path, item) in paths.iter_mut() {
        // The feed names the model in `model=`: its rules apply there too.
        let feed = path == crate::handlers::feed::PATH;
        if *path != base && !path.starts_with(&prefix) && !feed {
            continue;
        }
        let Some(item) = item.as_object_mut() else {
            continue;
        };
        for operation in item.values_mut() {
            if let Some(responses) = operation
                .get_mut("responses")
                .and_then(Value::as_object_mut)
            {
                responses.insert(
                    "401".into(),
                    json!({ "$ref": "#/components/responses/E401" }),
                );
                responses.insert(
                    "403".into(),
                    json!({ "$ref": "#/components/responses/E403" }),
                );
            }
        }
    }
}
