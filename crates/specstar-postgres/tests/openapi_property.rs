//! The served OpenAPI document tells the whole truth: requests drawn from it at random — every
//! operation, every parameter by its schema, every body by its media type's schema — are never
//! refused as malformed (400) or unfit (422), never fail (500), and are answered only with a
//! status the operation documents, in a documented media type, with a body its schema accepts.
//!
//! Values the document says come from the server (a resource's id and revision ids, a page's
//! `X-Next-Cursor`) are taken from what the server answered, as an OpenAPI link says; drawn at
//! random otherwise. Over each store (memory, SQLite, PostgreSQL). `OPENAPI_CASES` sets the
//! requests per operation (24 by default; CI runs more) and `OPENAPI_SEED` the draws.

mod common;
mod openapi_gen;

use std::collections::HashMap;
use std::sync::Arc;

use openapi_gen::Generator;
use reqwest::{Method, Url};
use serde_json::{Value, json};
use specstar_core::{JsonSchemaModel, ModelDescriptor, Registry, Store};

/// What a request found wrong with the document or the server.
#[derive(Debug)]
struct Failure {
    kind: &'static str,
    request: String,
    detail: String,
}

/// A resource the server holds, with the revisions a request may name.
#[derive(Clone, Debug)]
struct Known {
    id: String,
    revisions: u64,
}

/// A page answered: its query, and the `X-Next-Cursor` that continues it.
type Page = (Vec<(String, String)>, String);

/// The property test's state: the generator, the server and what it has answered.
struct Run {
    generator: Generator,
    server: Server,
    validators: HashMap<String, jsonschema::Validator>,
    known: HashMap<String, Vec<Known>>,
    /// Per operation: a page's query and its `X-Next-Cursor`, to continue it as the link says.
    cursors: HashMap<String, Vec<Page>>,
    failures: Vec<Failure>,
    sent: usize,
}

const DOCUMENT_MODEL: &str = r#"{
  "type": "object", "additionalProperties": false, "required": ["title", "author"],
  "properties": {
    "title": {"type": "string", "minLength": 1},
    "tags": {"type": "array", "items": {"type": "string"}},
    "state": {"enum": ["draft", "review", "published"]},
    "word_count": {"type": "integer", "minimum": 0},
    "author": {"type": "object", "additionalProperties": false, "required": ["name"],
      "properties": {"name": {"type": "string"}, "email": {"type": ["string", "null"]}}},
    "due": {"type": ["string", "null"], "format": "date-time"}
  }
}"#;

/// A server on 127.0.0.1 and a client for it.
struct Server {
    base: String,
    client: reqwest::Client,
}

impl Server {
    fn request(&self, method: Method, path: &str) -> reqwest::RequestBuilder {
        self.client.request(method, format!("{}{path}", self.base))
    }

    fn get(&self, path: &str) -> reqwest::RequestBuilder {
        self.request(Method::GET, path)
    }
}

/// Serves the quickstart's issues and a JSON Schema model of documents from `store`.
async fn server(store: Arc<dyn Store>) -> Server {
    let registry = Arc::new(Registry::new());
    let issue = registry
        .add(
            specstar_conformance::fixtures::issue_schema()
                .build()
                .unwrap(),
        )
        .unwrap();
    let schema = serde_json::from_str(DOCUMENT_MODEL).unwrap();
    let document = registry
        .add(
            JsonSchemaModel::new("document", "v1", schema)
                .index("state")
                .index("word_count")
                .index("author.name")
                .index("tags")
                .build()
                .unwrap(),
        )
        .unwrap();
    for model in [issue, document] {
        store
            .register_model(&ModelDescriptor::from(&*model))
            .await
            .unwrap();
    }
    let app = specstar_http::router(registry, store, specstar_http::HttpConfig::new());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(specstar_http::serve_with_shutdown(
        listener,
        app,
        std::future::pending(),
    ));
    Server {
        base,
        client: reqwest::Client::new(),
    }
}

fn setting(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn requests_drawn_from_the_document_are_taken_as_it_says() {
    for (name, store, _guard) in common::served_stores().await {
        eprintln!("{name}:");
        drawn_requests_over(server(store).await).await;
    }
}

async fn drawn_requests_over(server: Server) {
    let document: Value = server
        .get("/openapi.json")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let mut run = Run {
        generator: Generator::new(document.clone(), setting("OPENAPI_SEED", 17)),
        server,
        validators: HashMap::new(),
        known: HashMap::new(),
        cursors: HashMap::new(),
        failures: Vec::new(),
        sent: 0,
    };
    let cases = setting("OPENAPI_CASES", 24);
    let mut operations = 0;
    for (path, item) in document["paths"].as_object().unwrap() {
        for (method, operation) in item.as_object().unwrap() {
            operations += 1;
            for case in 0..cases {
                if case % 8 == 0 {
                    run.seed().await;
                }
                run.case(path, method, operation).await;
            }
        }
    }
    let mut kinds: HashMap<&str, usize> = HashMap::new();
    for failure in &run.failures {
        *kinds.entry(failure.kind).or_default() += 1;
    }
    eprintln!(
        "{} requests over {operations} operations, {} failed: {kinds:?}",
        run.sent,
        run.failures.len()
    );
    for failure in run.failures.iter().take(40) {
        eprintln!(
            "{}: {}\n    {}",
            failure.kind, failure.request, failure.detail
        );
    }
    assert!(
        run.sent >= operations * cases as usize / 2,
        "too few requests were drawn"
    );
    assert!(
        run.failures.is_empty(),
        "{} requests failed",
        run.failures.len()
    );
}

impl Run {
    /// Writes a few resources of every model, with some revisions, for requests to name.
    async fn seed(&mut self) {
        for (name, component) in [("issue", "Issue"), ("document", "Document")] {
            let schema = json!({ "$ref": format!("#/components/schemas/{component}") });
            for _ in 0..3 {
                let Some(data) = self.valid(&schema, |g| g.value(&schema)) else {
                    continue;
                };
                let created = self
                    .server
                    .request(Method::POST, &format!("/{name}"))
                    .json(&data)
                    .send()
                    .await
                    .unwrap();
                assert_eq!(
                    created.status(),
                    201,
                    "seeding {name} with {data}: {}",
                    created.text().await.unwrap()
                );
                let info: Value = created.json().await.unwrap();
                let id = info["resource_id"].as_str().unwrap().to_owned();
                let mut revisions = 1;
                for _ in 0..self.generator.below(3) {
                    if let Some(data) = self.valid(&schema, |g| g.value(&schema)) {
                        let put = self
                            .server
                            .request(Method::PUT, &format!("/{name}/{id}"))
                            .json(&data)
                            .send()
                            .await
                            .unwrap();
                        let status = put.status();
                        assert_eq!(
                            status,
                            200,
                            "updating {id} with {data}: {}",
                            put.text().await.unwrap()
                        );
                        revisions += 1;
                    }
                }
                self.known
                    .entry(name.to_owned())
                    .or_default()
                    .push(Known { id, revisions });
            }
        }
    }

    /// A draw of `draw` that `schema` accepts, within a few tries.
    fn valid(&mut self, schema: &Value, draw: impl Fn(&mut Generator) -> Value) -> Option<Value> {
        for _ in 0..12 {
            let value = draw(&mut self.generator);
            if self.validator(schema).is_valid(&value) {
                return Some(value);
            }
        }
        None
    }

    /// The validator of `schema`, its references resolved in the document.
    fn validator(&mut self, schema: &Value) -> &jsonschema::Validator {
        let key = schema.to_string();
        let document = self.generator.document();
        self.validators.entry(key).or_insert_with(|| {
            let mut root = schema.clone();
            if let Value::Object(object) = &mut root {
                object.insert("components".into(), document["components"].clone());
            } else {
                root = json!({ "allOf": [schema], "components": document["components"] });
            }
            jsonschema::draft202012::options()
                .should_validate_formats(true)
                .build(&root)
                .expect("the documented schema compiles")
        })
    }

    /// One request drawn for `method` `path`, sent and judged.
    async fn case(&mut self, path: &str, method: &str, operation: &Value) {
        let model = path
            .trim_start_matches('/')
            .split('/')
            .next()
            .unwrap()
            .to_owned();
        let resource = self.known.get(&model).and_then(|known| {
            let pick = self.generator.below(known.len() + 1);
            known.get(pick).cloned()
        });
        let parameters: Vec<Value> = operation["parameters"]
            .as_array()
            .map(|p| p.iter().map(|p| self.generator.resolve(p)).collect())
            .unwrap_or_default();
        let Some(request) = self.request(path, method, operation, &parameters, resource.as_ref())
        else {
            return;
        };
        self.send(path, method, operation, request).await;
    }
}

/// A request ready to send: its URL, headers and body.
struct Drawn {
    method: Method,
    url: Url,
    query: Vec<(String, String)>,
    headers: Vec<(String, String)>,
    body: Option<(String, Vec<u8>)>,
}

impl Drawn {
    fn describe(&self) -> String {
        let headers: Vec<String> = self
            .headers
            .iter()
            .map(|(k, v)| format!("{k}: {v}"))
            .collect();
        let body = self
            .body
            .as_ref()
            .map(|(kind, bytes)| format!(" [{kind}] {}", String::from_utf8_lossy(bytes)))
            .unwrap_or_default();
        format!(
            "{} {} {:?} {headers:?}{body}",
            self.method, self.url, self.query
        )
    }
}

impl Run {
    fn request(
        &mut self,
        path: &str,
        method: &str,
        operation: &Value,
        parameters: &[Value],
        resource: Option<&Known>,
    ) -> Option<Drawn> {
        let mut url = Url::parse(&self.server.base).unwrap();
        let mut segments = Vec::new();
        for segment in path.trim_start_matches('/').split('/') {
            if let Some(name) = segment.strip_prefix('{').and_then(|s| s.strip_suffix('}')) {
                let parameter = parameters
                    .iter()
                    .find(|p| p["name"] == name && p["in"] == "path")?;
                let value = self.parameter_value(parameter, resource)?;
                segments.push(text_of(&value));
            } else {
                segments.push(segment.to_owned());
            }
        }
        url.path_segments_mut().unwrap().extend(&segments);
        let (mut query, mut headers) = (Vec::new(), Vec::new());
        for parameter in parameters.iter().filter(|p| p["in"] != "path") {
            let required = parameter["required"] == Value::Bool(true);
            if !required && !self.generator.one_in(2) {
                continue;
            }
            let name = parameter["name"].as_str().unwrap().to_owned();
            let value = if parameter["schema"]["format"] == "qb" {
                self.qb(parameters)
            } else {
                self.parameter_value(parameter, resource)
            };
            let Some(value) = value else {
                continue;
            };
            if parameter["in"] == "header" {
                let text = text_of(&value);
                if reqwest::header::HeaderValue::from_str(&text).is_ok() {
                    headers.push((name, text));
                }
            } else if parameter.get("content").is_some() {
                query.push((name, value.to_string()));
            } else if let Value::Array(items) = value {
                query.extend(items.iter().map(|item| (name.clone(), text_of(item))));
            } else {
                query.push((name, text_of(&value)));
            }
        }
        self.continue_a_page(path, method, &mut query);
        let body = match operation.get("requestBody") {
            Some(body) => Some(self.body(body)?),
            None => None,
        };
        Some(Drawn {
            method: method.to_uppercase().parse().unwrap(),
            url,
            query,
            headers,
            body,
        })
    }

    /// A `qb` expression (its format): conditions and sorts drawn from the operation's
    /// `conditions` and `sorts` schemas, written in the grammar.
    fn qb(&mut self, parameters: &[Value]) -> Option<Value> {
        let schema_of = |name: &str| {
            parameters
                .iter()
                .find(|p| p["name"] == name)
                .map(|p| p["content"]["application/json"]["schema"].clone())
        };
        let conditions_schema = schema_of("conditions")?;
        let conditions = self.valid(&conditions_schema, |g| g.value(&conditions_schema))?;
        let sorts = match schema_of("sorts") {
            Some(schema) if self.generator.one_in(2) => self.valid(&schema, |g| g.value(&schema)),
            _ => None,
        };
        let limit = self
            .generator
            .one_in(3)
            .then(|| 1 + self.generator.below(100) as u64);
        Some(json!(openapi_gen::qb::expression(
            &conditions,
            sorts.as_ref(),
            limit
        )))
    }

    /// Now and then, a list's next page: the query of a page answered before, with its cursor.
    fn continue_a_page(&mut self, path: &str, method: &str, query: &mut Vec<(String, String)>) {
        let key = format!("{method} {path}");
        let Some(pages) = self.cursors.get(&key) else {
            return;
        };
        if pages.is_empty() || !self.generator.one_in(3) {
            return;
        }
        let (previous, cursor) = pages[self.generator.below(pages.len())].clone();
        *query = previous
            .into_iter()
            .filter(|(k, _)| k != "cursor")
            .collect();
        query.push(("cursor".into(), cursor));
    }

    /// A value for `parameter`: for one the server issues, taken from what it answered
    /// (most of the time); else drawn from the parameter's schema.
    fn parameter_value(&mut self, parameter: &Value, resource: Option<&Known>) -> Option<Value> {
        let name = parameter["name"].as_str().unwrap();
        let schema = match parameter.get("content") {
            Some(content) => content["application/json"]["schema"].clone(),
            None => parameter["schema"].clone(),
        };
        if name == "cursor" {
            return None;
        }
        if let Some(resource) = resource.filter(|_| !self.generator.one_in(5)) {
            let issued = self.issued(name, resource);
            if let Some(issued) = issued {
                if !self.validator(&schema).is_valid(&issued) {
                    self.failures.push(Failure {
                        kind: "issued value outside its schema",
                        request: format!("parameter {name}"),
                        detail: format!("{issued} does not fit {schema}"),
                    });
                }
                return Some(issued);
            }
        }
        // A long poll is bounded here to keep the run short; the document allows longer.
        let schema = if name == "wait" {
            json!({"type": "integer", "minimum": 0, "maximum": 1})
        } else {
            schema
        };
        self.valid(&schema, |g| g.value(&schema))
    }

    /// The value of `name` the server issued for `resource`, if it issues that parameter.
    fn issued(&mut self, name: &str, resource: &Known) -> Option<Value> {
        let revision = 1 + self.generator.below(resource.revisions as usize) as u64;
        match name {
            "resource_id" => {
                let key = resource.id.split_once(':').unwrap().1;
                Some(json!(if self.generator.one_in(2) {
                    key
                } else {
                    resource.id.as_str()
                }))
            }
            "revision_id" | "from" | "to" | "expected_revision_id" | "If-Match" => {
                Some(json!(if self.generator.one_in(2) {
                    revision.to_string()
                } else {
                    format!("{}:{revision}", resource.id)
                }))
            }
            _ => None,
        }
    }

    /// A request body of one of the media types `body` documents.
    fn body(&mut self, body: &Value) -> Option<(String, Vec<u8>)> {
        let content = body["content"].as_object()?;
        let kinds: Vec<&String> = content.keys().collect();
        let kind = kinds[self.generator.below(kinds.len())].clone();
        let schema = content[&kind]["schema"].clone();
        let value = self.valid(&schema, |g| g.value(&schema))?;
        Some((kind, serde_json::to_vec(&value).unwrap()))
    }
}

/// A parameter's value as the text it travels as.
fn text_of(value: &Value) -> String {
    match value {
        Value::String(text) => text.clone(),
        other => other.to_string(),
    }
}

impl Run {
    async fn send(&mut self, path: &str, method: &str, operation: &Value, drawn: Drawn) {
        let mut request = self
            .server
            .client
            .request(drawn.method.clone(), drawn.url.clone())
            .query(&drawn.query)
            .timeout(std::time::Duration::from_secs(20));
        for (name, value) in &drawn.headers {
            request = request.header(name, value);
        }
        if let Some((kind, bytes)) = &drawn.body {
            request = request.header("content-type", kind).body(bytes.clone());
        }
        self.sent += 1;
        let described = drawn.describe();
        let response = match request.send().await {
            Ok(response) => response,
            Err(error) => return self.fail("no answer", &described, error.to_string()),
        };
        let status = response.status().as_u16();
        let kind = response
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .map(|v| v.split(';').next().unwrap().trim().to_owned());
        let next = response
            .headers()
            .get("x-next-cursor")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let bytes = response.bytes().await.unwrap_or_default();
        let text = String::from_utf8_lossy(&bytes).into_owned();
        // The one refusal the document cannot rule out: a JSON Patch (any valid RFC 6902
        // document is valid by the schema) whose result does not fit the model — which
        // fields it removes or retypes only applying it tells. It must be that problem.
        let unfit_patch = status == 422
            && drawn.method == Method::PATCH
            && drawn
                .body
                .as_ref()
                .is_some_and(|(_, b)| b.first() == Some(&b'['))
            && text.contains("\"code\":\"validation_failed\"");
        if matches!(status, 400 | 422) && !unfit_patch {
            return self.fail("refused", &described, format!("{status} {text}"));
        }
        if status >= 500 && status != 503 {
            return self.fail("server error", &described, format!("{status} {text}"));
        }
        let Some(documented) = self.documented(operation, status) else {
            return self.fail(
                "undocumented status",
                &described,
                format!("{status} {text}"),
            );
        };
        if let (Some(next), true) = (next, status == 200) {
            let pages = self.cursors.entry(format!("{method} {path}")).or_default();
            if pages.len() < 16 {
                let query = drawn
                    .query
                    .iter()
                    .filter(|(k, _)| k != "cursor")
                    .cloned()
                    .collect();
                pages.push((query, next));
            }
        }
        self.check_body(&described, status, documented, kind, &bytes);
    }

    /// The documented response of `status`, its reference followed.
    fn documented(&self, operation: &Value, status: u16) -> Option<Value> {
        let responses = operation["responses"].as_object()?;
        let response = responses
            .get(&status.to_string())
            .or_else(|| responses.get("default"))?;
        Some(self.generator.resolve(response))
    }

    fn check_body(
        &mut self,
        described: &str,
        status: u16,
        documented: Value,
        kind: Option<String>,
        bytes: &[u8],
    ) {
        let Some(content) = documented.get("content").and_then(Value::as_object) else {
            if !bytes.is_empty() {
                let detail = format!("{status} with a body the document does not describe");
                self.fail("undocumented body", described, detail);
            }
            return;
        };
        let Some(kind) = kind.filter(|k| content.contains_key(k)) else {
            let listed: Vec<&String> = content.keys().collect();
            return self.fail(
                "undocumented media type",
                described,
                format!("{status}: not one of {listed:?}"),
            );
        };
        if !kind.contains("json") {
            return;
        }
        let schema = content[&kind]["schema"].clone();
        let body: Value = match serde_json::from_slice(bytes) {
            Ok(body) => body,
            Err(e) => return self.fail("not JSON", described, format!("{status} {kind}: {e}")),
        };
        let errors: Vec<String> = self
            .validator(&schema)
            .iter_errors(&body)
            .take(3)
            .map(|e| {
                let mut text = e.to_string();
                text.truncate(200);
                format!(
                    "{text} at {} (schema {})",
                    e.instance_path(),
                    e.schema_path()
                )
            })
            .collect();
        if !errors.is_empty() {
            let mut shown = body.to_string();
            shown.truncate(400);
            self.fail(
                "body outside its schema",
                described,
                format!("{status} {errors:?} in {shown}"),
            );
        }
    }

    fn fail(&mut self, kind: &'static str, request: &str, detail: String) {
        self.failures.push(Failure {
            kind,
            request: request.to_owned(),
            detail,
        });
    }
}
