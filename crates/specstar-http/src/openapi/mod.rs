//! The OpenAPI 3.1 document: every route, parameter, body, response and error of every model,
//! built from the models' JSON Schemas (JSON Schema 2020-12 is OpenAPI 3.1's schema language, so
//! schemars' output is used as it is, its `$defs` moved under `components/schemas`).
//!
//! The document is complete by construction: every `$ref` it writes points at a component it
//! also writes, which a unit test checks by resolving every reference.

use std::sync::Arc;

use schemars::generate::SchemaSettings;
use serde_json::{Map, Value, json};
use specstar_core::{ModelDef, ResourceMeta, RevisionInfo, Verification};

use crate::operations::{Answer, Body, OPERATIONS, Operation, Param};

mod feed;
mod health;
mod models;
mod query;
mod security;
mod stats;

/// The OpenAPI document for `models` as `config` serves them: its `info` from the config's
/// title, version and description, the bearer scheme when it takes tokens.
pub(crate) fn document(models: &[Arc<ModelDef>], config: &crate::HttpConfig) -> Value {
    let mut document = document_of(
        models,
        config.api_title(),
        config.api_version(),
        config.api_description(),
    );
    if config.uses_bearer_tokens() {
        security::declare_bearer(&mut document);
    }
    for model in models.iter().filter(|m| m.permissions().is_some()) {
        security::declare_permissions(&mut document, model.name());
    }
    declare_limits(&mut document);
    declare_page_size(&mut document, config);
    document
}

/// A search's `limit` as the config bounds it.
fn declare_page_size(document: &mut Value, config: &crate::HttpConfig) {
    let limit = &mut document["components"]["parameters"]["limit"]["schema"];
    limit["maximum"] = config.max_page_size().into();
    limit["default"] = config.default_page_size().into();
}

/// What any operation can answer beside its own: 500 (the store failed), the server's limits'
/// 503 (`overloaded`, `request_timeout`, and on the feed `too_many_streams`), each a problem
/// with `Retry-After` but the timeout; and the HTTP layer's own 414 and 431, answered before
/// the API (made problems by `parse_errors`).
fn declare_limits(document: &mut Value) {
    let Some(paths) = document["paths"].as_object_mut() else {
        return;
    };
    for operation in paths
        .values_mut()
        .filter_map(Value::as_object_mut)
        .flat_map(|item| item.values_mut())
    {
        if let Some(responses) = operation
            .get_mut("responses")
            .and_then(Value::as_object_mut)
        {
            for status in ["414", "431", "500", "503"] {
                responses.insert(
                    status.into(),
                    json!({ "$ref": format!("#/components/responses/E{status}") }),
                );
            }
        }
    }
}

/// The document for `models`, its `info` from `title`, `version` and `description`.
fn document_of(models: &[Arc<ModelDef>], title: &str, version: &str, description: &str) -> Value {
    let mut schemas = core_schemas();
    let mut paths = Map::new();
    let mut tags = Vec::new();
    let mut parameters = shared_parameters();
    for model in models {
        let component = component_name(model.name());
        add_model_schemas(&mut schemas, model, &component);
        query::schemas(&mut schemas, model, &component);
        add_model_parameters(&mut parameters, &component);
        tags.push(json!({ "name": model.name(), "description": format!("`{}` resources, schema version {}", model.name(), model.schema_version()) }));
        paths.extend(model_paths(model.name(), &component));
    }
    let names: Vec<&str> = models.iter().map(|m| m.name()).collect();
    let (feed_path, feed_item) = feed::path(&names);
    paths.insert(feed_path, feed_item);
    feed::schemas(&mut schemas);
    tags.push(
        json!({ "name": "Change feed", "description": "Every change of every model, in order" }),
    );
    let (stats_path, stats_item) = stats::path();
    paths.insert(stats_path, stats_item);
    stats::schemas(&mut schemas);
    let (models_path, models_item) = models::path();
    paths.insert(models_path, models_item);
    models::schemas(&mut schemas);
    paths.extend(health::paths());
    tags.push(
        json!({ "name": "Operations", "description": "For load balancers and orchestrators" }),
    );
    tags.push(json!({ "name": "Store", "description": "What the store holds" }));
    json!({
        "openapi": "3.1.0",
        "info": { "title": title, "version": version, "description": description },
        "tags": tags,
        "paths": paths,
        "components": {
            "schemas": schemas,
            "responses": error_responses(),
            "parameters": without_model_templates(parameters),
            "headers": {
                "ETag": { "description": "`\"<revision_id>@<data_hash>\"` of the revision answered.", "schema": { "type": "string" } },
                "X-Has-More": { "description": "Whether more matches follow this page.", "schema": { "enum": ["true", "false"] } },
                "X-Next-Cursor": { "description": "When more matches follow: the `cursor` that continues right after this page's last row.", "schema": { "type": "string" } },
                "X-Total-Count": { "description": "How many resources match (with `with_total=true`).", "schema": { "type": "integer", "minimum": 0 } }
            }
        }
    })
}

/// `blog-post` → `BlogPost`: the component name of a model's data schema.
fn component_name(model: &str) -> String {
    model
        .split(['-', '_'])
        .map(|part| {
            let mut chars = part.chars();
            chars
                .next()
                .map(|first| first.to_ascii_uppercase().to_string() + chars.as_str())
                .unwrap_or_default()
        })
        .collect()
}

/// The schemas of the records every model shares (RevisionInfo, ResourceMeta, Problem…).
fn core_schemas() -> Map<String, Value> {
    let mut generator = SchemaSettings::draft2020_12()
        .with(|s| s.definitions_path = "#/components/schemas/".into())
        .into_generator();
    generator.subschema_for::<RevisionInfo>();
    generator.subschema_for::<ResourceMeta>();
    generator.subschema_for::<Verification>();
    let mut schemas: Map<String, Value> = generator.take_definitions(true).into_iter().collect();
    crate::wire::describe_extra_keys(&mut schemas);
    schemas.insert("Problem".into(), json!({
        "type": "object",
        "description": "An error, as RFC 9457 problem details.",
        "required": ["type", "title", "status", "detail", "code"],
        "properties": {
            "type": { "type": "string" },
            "title": { "type": "string" },
            "status": { "type": "integer" },
            "detail": { "type": "string", "description": "What went wrong, for people." },
            "code": { "type": "string", "description": "What went wrong, for programs: stable." },
            "errors": { "type": "array", "items": { "type": "object", "required": ["path", "reason"],
                "properties": { "path": { "type": "string" }, "reason": { "type": "string" } } } },
            "expected_revision_id": { "type": "string" },
            "actual_revision_id": { "type": "string" },
            "revision_id": { "type": "string", "description": "On 409 `revision_does_not_fit_model`: the stored revision that does not fit; on 410 `revision_pruned`: the revision whose data retention dropped." },
            "stored_schema_version": { "type": "string", "description": "On 409: the schema version that revision was written with." },
            "current_schema_version": { "type": "string", "description": "On 409: the model's schema version now." }
        }
    }));
    schemas.insert("Pins".into(), json!({
        "type": "object",
        "description": "A resource's pinned revisions: those retention keeps whatever its policy says.",
        "required": ["resource_id", "pinned"],
        "properties": {
            "resource_id": { "type": "string" },
            "pinned": { "type": "array", "items": { "type": "string" }, "description": "Revision ids, oldest first." }
        }
    }));
    schemas.insert("Diff".into(), json!({
        "type": "object",
        "description": "What changed between two revisions of a resource.",
        "required": ["resource_id", "from_revision_id", "to_revision_id", "patch", "changes"],
        "properties": {
            "resource_id": { "type": "string" },
            "from_revision_id": { "type": "string" },
            "to_revision_id": { "type": "string" },
            "patch": { "$ref": "#/components/schemas/JsonPatch" },
            "changes": { "type": "array", "description": "One entry per changed leaf, in patch order.",
                "items": { "type": "object", "required": ["path"], "properties": {
                    "path": { "type": "string", "description": "A JSON pointer." },
                    "from": { "description": "The value before; absent for an added value." },
                    "to": { "description": "The value after; absent for a removed value." } } } }
        }
    }));
    schemas.insert("JsonPatch".into(), json_patch_schema());
    schemas
}

/// An RFC 6902 JSON Patch: each operation with the members its `op` requires, paths as JSON
/// pointers.
fn json_patch_schema() -> Value {
    let pointer = json!({ "type": "string", "pattern": "^(/([^~/]|~[01])*)*$" });
    let operation = |ops: &[&str], required: &[&str]| {
        let mut properties = json!({ "op": { "enum": ops }, "path": pointer });
        for member in required {
            properties[*member] = if *member == "from" {
                pointer.clone()
            } else {
                json!({})
            };
        }
        let mut all = vec!["op", "path"];
        all.extend(required);
        json!({ "type": "object", "required": all, "properties": properties })
    };
    json!({
        "type": "array",
        "description": "An RFC 6902 JSON Patch.",
        "items": { "oneOf": [
            operation(&["add", "replace", "test"], &["value"]),
            operation(&["remove"], &[]),
            operation(&["move", "copy"], &["from"]) ] }
    })
}

/// Adds a model's data schema and the envelopes that carry it.
fn add_model_schemas(schemas: &mut Map<String, Value>, model: &ModelDef, component: &str) {
    let mut schema = model.json_schema().clone();
    if let Some(object) = schema.as_object_mut() {
        object.remove("$schema");
        // A base URI of its own would make the document's `#/components/…` references
        // resolve against the model's schema instead of the document.
        object.remove("$id");
        if let Some(Value::Object(defs)) = object.remove("$defs") {
            for (name, mut def) in defs {
                rewrite_refs(&mut def, component);
                schemas.insert(format!("{component}_{name}"), def);
            }
        }
    }
    rewrite_refs(&mut schema, component);
    // What a read with `partial` answers: the same shapes, nothing required.
    let hoisted: Vec<String> = schemas
        .keys()
        .filter(|name| name.starts_with(&format!("{component}_")) && !name.ends_with("Partial"))
        .cloned()
        .collect();
    for name in hoisted {
        let partial_def = partial(&schemas[&name], component);
        schemas.insert(format!("{name}Partial"), partial_def);
    }
    schemas.insert(format!("{component}Partial"), partial(&schema, component));
    schemas.insert(format!("{component}MergePatch"), merge_patch(&schema));
    schemas.insert(component.to_owned(), schema);
    let data = read_data(component);
    schemas.insert(format!("{component}Resource"), json!({
        "type": "object",
        "description": "A revision with its data and the resource's meta; `returns` selects the keys.",
        "properties": {
            "data": data,
            "revision_info": { "$ref": "#/components/schemas/RevisionInfo" },
            "meta": { "$ref": "#/components/schemas/ResourceMeta" }
        }
    }));
    schemas.insert(format!("{component}RevisionList"), json!({
        "type": "object",
        "required": ["meta", "revisions", "total", "has_more"],
        "properties": {
            "meta": { "$ref": "#/components/schemas/ResourceMeta" },
            "revisions": { "type": "array", "items": { "$ref": "#/components/schemas/RevisionInfo" } },
            "total": { "type": "integer", "minimum": 0 },
            "has_more": { "type": "boolean" }
        }
    }));
}

/// The data a read answers: the model's, or with `partial` the fields asked for.
fn read_data(component: &str) -> Value {
    json!({ "anyOf": [schema_ref(component), schema_ref(&format!("{component}Partial"))] })
}

/// An RFC 7396 merge patch of data of `schema`: an object of the model's top-level fields, any
/// of them, each with a value of its own schema (a nested object is given whole: it merges
/// into the one there, and whole it fits), or `null` to remove a field the model does not
/// require.
fn merge_patch(schema: &Value) -> Value {
    let mut patch = json!({ "type": "object" });
    let required: Vec<&Value> = schema
        .get("required")
        .and_then(Value::as_array)
        .map(|r| r.iter().collect())
        .unwrap_or_default();
    if let Some(Value::Object(properties)) = schema.get("properties") {
        let fields: Map<String, Value> = properties
            .iter()
            .map(|(name, field)| {
                let field = if required.contains(&&Value::String(name.clone())) {
                    field.clone()
                } else {
                    json!({ "anyOf": [field, { "type": "null" }] })
                };
                (name.clone(), field)
            })
            .collect();
        patch["properties"] = Value::Object(fields);
    }
    if let Some(extra) = schema.get("additionalProperties") {
        patch["additionalProperties"] = extra.clone();
    }
    patch
}

/// `schema` with nothing required, at any depth, its references to the model's hoisted
/// definitions pointed at their partial forms: the shape of a `partial` read's data.
fn partial(schema: &Value, component: &str) -> Value {
    let mut partial = schema.clone();
    strip_required(&mut partial, component);
    partial
}

fn strip_required(value: &mut Value, component: &str) {
    const SCHEMAS: &str = "#/components/schemas/";
    match value {
        Value::Object(object) => {
            object.remove("required");
            if let Some(Value::String(target)) = object.get_mut("$ref")
                && let Some(path) = target.strip_prefix(SCHEMAS)
            {
                // `Note`, `Note_Author`, `Note/properties/title`: the model's own schemas.
                let (name, rest) = path.split_once('/').map_or((path, ""), |(n, r)| (n, r));
                let own = name == component || name.starts_with(&format!("{component}_"));
                if own && !name.ends_with("Partial") {
                    let slash = if rest.is_empty() { "" } else { "/" };
                    *target = format!("{SCHEMAS}{name}Partial{slash}{rest}");
                }
            }
            object
                .values_mut()
                .for_each(|v| strip_required(v, component));
        }
        Value::Array(items) => items.iter_mut().for_each(|v| strip_required(v, component)),
        _ => {}
    }
}

/// Points a model's schema's references into the document: `#/$defs/X…` at the hoisted
/// component `{component}_X`, `#` and any other `#/…` at the model's own component.
fn rewrite_refs(value: &mut Value, component: &str) {
    match value {
        Value::Object(object) => {
            if let Some(Value::String(reference)) = object.get_mut("$ref") {
                if let Some(name) = reference.strip_prefix("#/$defs/") {
                    *reference = format!("#/components/schemas/{component}_{name}");
                } else if let Some(pointer) = reference.strip_prefix('#') {
                    *reference = format!("#/components/schemas/{component}{pointer}");
                }
            }
            object.values_mut().for_each(|v| rewrite_refs(v, component));
        }
        Value::Array(items) => items.iter_mut().for_each(|v| rewrite_refs(v, component)),
        _ => {}
    }
}

/// How an operation's own parameter refers to a schema of the model it is documented for:
/// `#/components/schemas/@RevisionRef` is the model's `{Component}RevisionRef`.
pub(crate) const MODEL_SCHEMA: &str = "#/components/schemas/@";

/// The shared parameters whose schema is the model's own: each model gets a copy,
/// `{Component}_{name}`, and operations refer to their model's.
const MODEL_PARAMETERS: [&str; 6] = [
    "resource_id",
    "revision_id",
    "expected_revision_id",
    "conditions",
    "sorts",
    "If-Match",
];

/// Adds the model's copies of [`MODEL_PARAMETERS`] to `parameters`, the templates' `@`
/// references made the model's.
fn add_model_parameters(parameters: &mut Value, component: &str) {
    for name in MODEL_PARAMETERS {
        let mut copy = parameters[name].clone();
        point_at_model(&mut copy, component);
        parameters[format!("{component}_{name}")] = copy;
    }
}

/// Points `@` references (`#/components/schemas/@RevisionRef`) at `component`'s schemas.
fn point_at_model(value: &mut Value, component: &str) {
    match value {
        Value::Object(object) => {
            if let Some(Value::String(reference)) = object.get_mut("$ref")
                && let Some(name) = reference.strip_prefix(MODEL_SCHEMA)
            {
                *reference = format!("#/components/schemas/{component}{name}");
            }
            object
                .values_mut()
                .for_each(|v| point_at_model(v, component));
        }
        Value::Array(items) => items.iter_mut().for_each(|v| point_at_model(v, component)),
        _ => {}
    }
}

/// The shared parameters without the templates of [`MODEL_PARAMETERS`] (no operation refers
/// to them: each refers to its model's copy).
fn without_model_templates(mut parameters: Value) -> Value {
    if let Some(object) = parameters.as_object_mut() {
        for name in MODEL_PARAMETERS {
            object.remove(name);
        }
    }
    parameters
}

fn schema_ref(name: &str) -> Value {
    json!({ "$ref": format!("#/components/schemas/{name}") })
}

fn json_content(schema: Value) -> Value {
    json!({ "application/json": { "schema": schema } })
}

/// References to the shared error responses of `statuses`.
fn errors(statuses: &[u16]) -> Map<String, Value> {
    statuses
        .iter()
        .map(|s| {
            (
                s.to_string(),
                json!({ "$ref": format!("#/components/responses/E{s}") }),
            )
        })
        .collect()
}

fn error_responses() -> Value {
    let problem = |description: &str| {
        json!({ "description": description,
                "content": { "application/problem+json": { "schema": schema_ref("Problem") } } })
    };
    json!({
        "E400": problem("Malformed request: bad JSON, query, id or revision id."),
        "E404": problem("No such resource or revision."),
        "E409": problem("`patch_failed` (PATCH): the JSON Patch cannot apply to the current data (a path that is not there, a `test` that fails; RFC 5789). `revision_does_not_fit_model`: the stored data to revert to or restore does not fit the model as declared now (it changed since); `errors` names each field, `revision_id`, `stored_schema_version` and `current_schema_version` say which revision and versions. Nothing was written: the schema version needs a migration."),
        "E410": problem("Gone: the resource is deleted (`resource_deleted`: restore it, or read a revision by `revision_id`), or the revision's data was pruned by retention (`revision_pruned`: its info stays in the history)."),
        "E412": problem("A precondition failed: the expected revision is not current, or the id exists."),
        "E413": problem("The body is larger than the configured limit."),
        "E415": problem("The body's content type is not accepted here."),
        "E422": problem("The body does not fit the model (for a PATCH: the patched data does not); `errors` lists every failing field (`path`, `reason`)."),
        "E500": problem("The store failed."),
        "E414": problem("`uri_too_long`: the request target is longer than the HTTP layer takes (65,534 bytes); answered before the API."),
        "E431": problem("`headers_too_large`: the request's headers are larger than the HTTP layer's read buffer; answered before the API."),
        "E503": {
            "description": "A limit of the server: `overloaded` (as many requests at once as it takes; `Retry-After`), `request_timeout` (not answered within the request timeout), `too_many_streams` (the change feed's event streams; `Retry-After`), on `/readyz` `not_ready`.",
            "headers": { "Retry-After": { "schema": { "type": "integer", "minimum": 0 } } },
            "content": { "application/problem+json": { "schema": schema_ref("Problem") } }
        }
    })
}

fn shared_parameters() -> Value {
    let query = |name: &str, description: &str, schema: Value| json!({ "name": name, "in": "query", "required": false, "description": description, "schema": schema });
    let noted = |name: &str, description: &str, schema: Value, note: &str| {
        query(name, &format!("{description} {note}"), schema)
    };
    let header = |name: &str, description: &str, schema: Value| json!({ "name": name, "in": "header", "required": false, "description": description, "schema": schema });
    let mut parameters = json!({
        "resource_id": { "name": "resource_id", "in": "path", "required": true,
            "description": "The resource id (`{model}:{key}`), or its key alone. A key is 1 to 256 characters without `:`, `/`, `\\`, whitespace or control characters (else 400 `malformed_id`); an id of another model is 400 `foreign_model`. A key that is also a route of the model (`data`, `meta`, `full`, `count`) is given as the full id.",
            "schema": { "$ref": "#/components/schemas/@Id" } },        "returns": query("returns", "Which parts to answer: a comma list of `data`, `revision_info`, `meta`, or `only-data`, `only-meta`, `only-revision_info` for one part bare.", json!({ "type": "string", "default": "data,revision_info,meta", "pattern": "^(only-(data|meta|revision_info)|(data|revision_info|meta)(,(data|revision_info|meta))*)$" })),
        "revision_id": query("revision_id", "Read this revision (full id or bare number) instead of the current one; readable even after a delete. With `as_of`: this revision if it had been written by then, else 404.", json!({ "$ref": "#/components/schemas/@RevisionRef" })),
        "as_of": query("as_of", "Read the revision that was current at this instant (RFC 3339): the last one created at or before it (of equal times the highest number). 404 `not_yet_created` before the first revision, 410 when it was a tombstone (the tombstone with `include_deleted=true`).", json!({ "type": "string", "format": "date-time" })),
        "include_deleted": query("include_deleted", "Answer the current revision of a deleted resource (its tombstone) instead of 410.", json!({ "type": "boolean", "default": false })),
        "search_include_deleted": query("include_deleted", "Search deleted resources too (by default they are left out); `is_deleted=true` searches only them.", json!({ "type": "boolean", "default": false })),
        "partial": query("partial", "Only these fields of the data, as slash paths (`/title`); repeatable.", json!({ "type": "array", "items": { "type": "string" } })),
        "expected_revision_id": query("expected_revision_id", "Write only if this revision is current (else 412).", json!({ "$ref": "#/components/schemas/@RevisionRef" })),
        "qb": noted("qb", "Filter, sort and page as a Query-Builder expression (the reference's Python syntax, parsed, never run), e.g. `(QB['severity'].eq('high') & (QB['status'] == 'open')).sort(QB.created_time().desc()).limit(10)`. Fields: `QB['f']`, `QB.created_time()`, `QB.updated_time()`, `QB.created_by()`, `QB.updated_by()`, `QB.resource_id()`, `QB.is_deleted()`; methods eq, ne, gt, gte, lt, lte, in_, not_in, contains, starts_with, ends_with, is_null, exists, asc, desc; `== != > >= < <=`, `&`, `|`, `~`, `QB.all(...)`, `QB.any(...)`. It combines with every other parameter: its filter and theirs are and-ed, its sorts come before `sorts`, `limit` and `offset` win over its own. An error names the byte offset. (Its format, `qb`, is this grammar: a generator that knows it can draw from the `conditions` schema and write them in it.)", json!({ "type": "string", "format": "qb" }), &limits_note("`QB['status'] == 'Draft'`")),
        "conditions": noted("conditions", "Filter: a JSON array of conditions `{\"field_path\": \"status\", \"operator\": \"eq\", \"value\": \"open\"}` and groups `{\"operator\": \"and\"|\"or\"|\"not\", \"conditions\": [...]}`, and-ed. Operators: eq, ne, gt, gte, lt, lte, in, not_in, contains, starts_with, ends_with, is_null, exists. A field_path naming a meta field (resource_id, created_time, updated_time, created_by, updated_by, is_deleted, schema_version, total_revision_count) tests the meta; any other must be an indexed data field (else 400 `unindexed_field`). On an indexed array field, eq and contains match when an element equals the value, in when an element is in the list, ne and not_in are their negations; ranges, starts_with, ends_with and sorting on an array are refused (400 `invalid_query`).", json!({ "$ref": "#/components/schemas/@Conditions" }), &limits_note("`{\"field_path\": \"status\", \"operator\": \"eq\", \"value\": \"Draft\"}`")),
        "sorts": noted("sorts", "Order: a JSON array of `{\"type\": \"meta\", \"key\": \"created_time\", \"direction\": \"-\"}` or `{\"type\": \"data\", \"field_path\": \"severity\", \"direction\": \"+\"}`; ties are broken by resource id, in the direction of the last sort.", json!({ "$ref": "#/components/schemas/@Sorts" }), &format!("At most {} sorts, with a `qb` expression's own (else 400).", specstar_core::MAX_QUERY_SORTS)),
        "limit": query("limit", "Page size (at least 1, at most the configured maximum, 1000 by default).", json!({ "type": "integer", "minimum": 1, "default": 100 })),
        "offset": query("offset", "Matches to skip (after the cursor, with one).", json!({ "type": "integer", "minimum": 0, "maximum": i64::MAX, "default": 0 })),
        "cursor": query("cursor", "Continue after a previous page: its `X-Next-Cursor` as it was given, with the same sorts (else 400); the `next` link of the answer says so. A keyset position, so rows written between pages are neither repeated nor skipped unless they move across it.", json!({ "type": "string", "format": "cursor" })),
        "is_deleted": query("is_deleted", "`false`: live resources only; `true`: deleted ones only.", json!({ "type": "boolean", "default": false })),
        "created_time_start": query("created_time_start", "Created at or after this instant (RFC 3339).", json!({ "type": "string", "format": "date-time" })),
        "created_time_end": query("created_time_end", "Created at or before this instant (RFC 3339).", json!({ "type": "string", "format": "date-time" })),
        "updated_time_start": query("updated_time_start", "Last written at or after this instant (RFC 3339).", json!({ "type": "string", "format": "date-time" })),
        "updated_time_end": query("updated_time_end", "Last written at or before this instant (RFC 3339).", json!({ "type": "string", "format": "date-time" })),
        "created_bys": query("created_bys", "Created by one of these users; repeatable (also `created_bys[]`).", json!({ "type": "array", "items": { "type": "string" } })),
        "updated_bys": query("updated_bys", "Last written by one of these users; repeatable (also `updated_bys[]`).", json!({ "type": "array", "items": { "type": "string" } })),
        "with_total": query("with_total", "Also count every match, in the `X-Total-Count` header.", json!({ "type": "boolean", "default": false })),
        "If-Match": header("If-Match", "Write only if this ETag (or bare revision id) is current (else 412); `*` for any.", json!({ "$ref": "#/components/schemas/@IfMatch" })),
        "If-None-Match": header("If-None-Match", "On GET: ETags; a match answers 304. On PUT: `*` creates the resource with this id (412 if it exists).", json!({ "type": "string", "pattern": "^[\\t -~]*$" }))
    });
    // JSON values in the query: a generator writes them as JSON, by their schemas.
    for name in ["conditions", "sorts"] {
        if let Some(object) = parameters[name].as_object_mut()
            && let Some(schema) = object.remove("schema")
        {
            object.insert("content".into(), json_content(schema));
        }
    }
    parameters
}

/// The paths of one model, from the table of operations: each path item holds the operations
/// of its path, under their methods.
fn model_paths(model: &str, component: &str) -> Map<String, Value> {
    let mut paths = Map::new();
    for operation in OPERATIONS {
        let item = paths
            .entry(format!("/{model}{}", operation.path))
            .or_insert_with(|| json!({}));
        item[operation.method.openapi_key()] = operation_object(operation, model, component);
    }
    paths
}

/// The OpenAPI operation object of `operation` for `model`.
fn operation_object(operation: &Operation, model: &str, component: &str) -> Value {
    let parameters: Vec<Value> = operation
        .parameters
        .iter()
        .flat_map(|group| group.iter())
        .map(|param| parameter(param, component))
        .collect();
    let mut responses: Map<String, Value> = operation
        .answers
        .iter()
        .map(|answer| (answer.status.to_string(), response(answer, component)))
        .collect();
    responses.extend(errors(operation.errors));
    let mut object = json!({
        "tags": [model],
        "operationId": format!("{}_{}", model.replace('-', "_"), operation.id),
        "summary": operation.summary,
        "parameters": parameters,
        "responses": responses,
    });
    if let Some(body) = operation.body {
        object["requestBody"] = request_body(body, component);
    }
    object
}

/// A parameter: a reference to a shared one (the model's own form of those that depend on the
/// model), or one written in place (its schema's `@` references made the model's).
fn parameter(param: &Param, component: &str) -> Value {
    match param {
        Param::Shared(name) if MODEL_PARAMETERS.contains(name) => {
            json!({ "$ref": format!("#/components/parameters/{component}_{name}") })
        }
        Param::Shared(name) => json!({ "$ref": format!("#/components/parameters/{name}") }),
        Param::Own(own) => {
            let mut schema = (own.schema)();
            point_at_model(&mut schema, component);
            let mut object = json!({ "name": own.name, "in": if own.in_path { "path" } else { "query" }, "schema": schema });
            if own.in_path {
                object["required"] = Value::Bool(true);
            }
            if let Some(description) = own.description {
                object["description"] = description.into();
            }
            object
        }
    }
}

/// A successful response: its description, JSON body and headers.
fn response(answer: &Answer, component: &str) -> Value {
    let mut object = json!({ "description": answer.description });
    if let Some(body) = answer.body {
        object["content"] = json_content(body_schema(body, component));
    }
    if !answer.headers.is_empty() {
        let headers: Map<String, Value> = answer
            .headers
            .iter()
            .map(|header| {
                let name = header.name();
                (
                    name.to_owned(),
                    json!({ "$ref": format!("#/components/headers/{name}") }),
                )
            })
            .collect();
        object["headers"] = Value::Object(headers);
    }
    object
}

/// A required request body: the model's data as JSON, or a patch in either of its types.
fn request_body(body: Body, component: &str) -> Value {
    let content = match body {
        Body::Patch => json!({
            "application/json-patch+json": { "schema": schema_ref("JsonPatch") },
            "application/merge-patch+json": { "schema": schema_ref(&format!("{component}MergePatch")) },
            "application/json": { "schema": body_schema(Body::Patch, component) } }),
        other => json_content(body_schema(other, component)),
    };
    json!({ "required": true, "content": content })
}

/// The JSON Schema of a body of `component`'s model.
fn body_schema(body: Body, component: &str) -> Value {
    match body {
        Body::Data => schema_ref(component),
        Body::ReadData => read_data(component),
        Body::RevisionInfo => schema_ref("RevisionInfo"),
        Body::Meta => schema_ref("ResourceMeta"),
        Body::Resource => schema_ref(&format!("{component}Resource")),
        // anyOf: the shapes overlap (a partial read's data is any object).
        Body::AnyPart => json!({ "anyOf": [
            schema_ref(&format!("{component}Resource")), read_data(component),
            schema_ref("RevisionInfo"), schema_ref("ResourceMeta") ] }),
        Body::RevisionList => schema_ref(&format!("{component}RevisionList")),
        Body::Count => json!({ "type": "integer", "minimum": 0 }),
        Body::Diff => schema_ref("Diff"),
        Body::Verification => schema_ref("Verification"),
        Body::Pins => schema_ref("Pins"),
        Body::Page(item) => json!({ "type": "array", "items": body_schema(*item, component) }),
        Body::Patch => {
            json!({ "oneOf": [schema_ref("JsonPatch"), schema_ref(&format!("{component}MergePatch"))] })
        }
    }
}

/// What the filter parameters say of the query limits and of values that can never match.
fn limits_note(example: &str) -> String {
    use specstar_core::{MAX_QUERY_CONDITIONS, MAX_QUERY_DEPTH, MAX_QUERY_VALUES};
    format!(
        "At most {MAX_QUERY_CONDITIONS} conditions and {MAX_QUERY_VALUES} in/not_in values in \
         all, and/or/not nested at most {MAX_QUERY_DEPTH} levels (nested ands, nested ors and \
         double negations fold); more is a 400 `invalid_query`. So is a value the field's \
         schema says it can never hold ({example} on an enum without it, a string for a \
         number), with the values it takes."
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(serde::Serialize, serde::Deserialize, schemars::JsonSchema)]
    struct BlogPost {
        title: String,
        status: Status,
        owner: Option<Owner>,
    }

    #[derive(serde::Serialize, serde::Deserialize, schemars::JsonSchema)]
    enum Status {
        Draft,
        Published,
    }

    #[derive(serde::Serialize, serde::Deserialize, schemars::JsonSchema)]
    struct Owner {
        name: String,
    }

    fn refs<'a>(value: &'a Value, out: &mut Vec<&'a str>) {
        match value {
            Value::Object(o) => {
                if let Some(Value::String(r)) = o.get("$ref") {
                    out.push(r);
                }
                o.values().for_each(|v| refs(v, out));
            }
            Value::Array(a) => a.iter().for_each(|v| refs(v, out)),
            _ => {}
        }
    }

    #[test]
    fn every_reference_resolves() {
        let model = Arc::new(
            specstar_core::Schema::<BlogPost>::new("v1")
                .build()
                .unwrap(),
        );
        let doc = document_of(&[model], "test", "0", "d");
        let mut all = Vec::new();
        refs(&doc, &mut all);
        assert!(all.len() > 20);
        for r in all {
            let pointer = r.strip_prefix('#').expect("local reference");
            assert!(doc.pointer(pointer).is_some(), "dangling $ref {r}");
        }
        assert!(doc.pointer("/components/schemas/BlogPost_Status").is_some());
        assert!(
            doc.pointer("/paths/~1blog-post~1{resource_id}/get")
                .is_some()
        );
        for path in [
            "/paths/~1blog-post/get",
            "/paths/~1blog-post~1count/get",
            "/paths/~1blog-post~1data/get",
        ] {
            assert!(doc.pointer(path).is_some(), "{path}");
        }
    }

    /// A model declared by a JSON Schema is carried as given: without `$defs`, or with an
    /// `$id` (dropped, as it would rebase the document's references) and references to the
    /// root and into it, every reference resolves in the document.
    #[test]
    fn json_schema_models_are_carried_as_given() {
        let plain = json!({"type": "object", "properties": {"title": {"type": "string"}}});
        let linked = json!({
            "$id": "https://example.com/note",
            "type": "object",
            "properties": {
                "title": {"type": "string"},
                "parent": {"anyOf": [{"$ref": "#"}, {"type": "null"}]},
                "subtitle": {"$ref": "#/properties/title"},
                "tag": {"$ref": "#/$defs/tag"}
            },
            "$defs": {"tag": {"type": "string", "maxLength": 10}}
        });
        let models = [("plain", plain.clone()), ("note", linked)].map(|(name, schema)| {
            Arc::new(
                specstar_core::JsonSchemaModel::new(name, "v1", schema)
                    .build()
                    .unwrap(),
            )
        });
        let doc = document_of(&models, "test", "0", "d");
        assert_eq!(doc["components"]["schemas"]["Plain"], plain);
        let note = &doc["components"]["schemas"]["Note"];
        assert!(
            note.get("$id").is_none() && note.get("$defs").is_none(),
            "{note}"
        );
        assert_eq!(note["properties"]["title"], json!({"type": "string"}));
        let mut all = Vec::new();
        refs(&doc, &mut all);
        for r in [
            "#/components/schemas/Note",
            "#/components/schemas/Note/properties/title",
            "#/components/schemas/Note_tag",
        ] {
            assert!(all.contains(&r), "{r} in {all:?}");
        }
        for r in all {
            let pointer = r.strip_prefix('#').expect("local reference");
            assert!(doc.pointer(pointer).is_some(), "dangling $ref {r}");
        }
    }

    /// The records' schemas describe the reference's keys the wire adds to them.
    #[test]
    fn the_wire_keys_are_described() {
        let doc = document_of(&[], "test", "0", "d");
        for key in ["status", "updated_time", "updated_by"] {
            let pointer = format!("/components/schemas/RevisionInfo/properties/{key}");
            assert!(doc.pointer(&pointer).is_some(), "{pointer}");
        }
        for key in ["rev_status", "rev_created_time", "rev_updated_by"] {
            let pointer = format!("/components/schemas/ResourceMeta/properties/{key}");
            assert!(doc.pointer(&pointer).is_some(), "{pointer}");
        }
    }

    #[test]
    fn component_names_are_pascal_case() {
        assert_eq!(component_name("blog-post"), "BlogPost");
        assert_eq!(component_name("issue"), "Issue");
    }
}
