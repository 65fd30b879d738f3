//! The API's operations, described once: [`OPERATIONS`] says, for every route of a model, its
//! method and path, what the OpenAPI document says of it (operation id, summary, parameters,
//! request body, answers, errors) and which handler serves it.
//!
//! [`routes::model_routes`](crate::routes::model_routes) builds each model's axum routes from
//! this table and [`openapi::document`](crate::openapi::document) writes each model's `paths`
//! from it, so that a route cannot be served undocumented or documented unserved (a test walks
//! the served document against the router to keep it so).
//!
//! Paths are relative to the model (`""` is `/{model}`) and use the one template syntax axum
//! and OpenAPI share (`{resource_id}`). The static segments of the search routes (`data`,
//! `meta`, `full`, `count`) win over `{resource_id}`, so a resource whose bare key is one of
//! them is read by its full id.

use axum::routing::{MethodFilter, MethodRouter, on};
use serde_json::{Value, json};
use specstar_core::Access;

use crate::handlers::read::DEFAULT_REVISION_LIMIT;
use crate::handlers::{history, read, retention, search, write};
use crate::routes::ModelState;

/// The method of an operation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Method {
    Get,
    Post,
    Put,
    Patch,
    Delete,
}

impl Method {
    /// The axum filter that routes this method.
    pub(crate) fn filter(self) -> MethodFilter {
        match self {
            Self::Get => MethodFilter::GET,
            Self::Post => MethodFilter::POST,
            Self::Put => MethodFilter::PUT,
            Self::Patch => MethodFilter::PATCH,
            Self::Delete => MethodFilter::DELETE,
        }
    }

    /// The method's key in an OpenAPI path item.
    pub(crate) fn openapi_key(self) -> &'static str {
        match self {
            Self::Get => "get",
            Self::Post => "post",
            Self::Put => "put",
            Self::Patch => "patch",
            Self::Delete => "delete",
        }
    }
}

/// A parameter of an operation.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Param {
    /// One of the document's shared parameters (`components/parameters`), by name.
    Shared(&'static str),
    /// A parameter of this operation alone, written in place.
    Own(OwnParam),
}

/// A parameter written in the operation itself: one whose meaning differs from the shared one
/// of the same name (the history's `limit`), or that only one route has.
#[derive(Clone, Copy, Debug)]
pub(crate) struct OwnParam {
    pub(crate) name: &'static str,
    /// In the path (then required) or else in the query.
    pub(crate) in_path: bool,
    pub(crate) description: Option<&'static str>,
    /// Its JSON Schema.
    pub(crate) schema: fn() -> Value,
}

/// What a body (sent or answered) holds.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Body {
    /// The model's data (a request's: all of it, as the model requires).
    Data,
    /// The model's data as a read answers it: all of it, or with `partial` the fields asked.
    ReadData,
    /// A flat revision info.
    RevisionInfo,
    /// A resource meta.
    Meta,
    /// The envelope `{data, revision_info, meta}`.
    Resource,
    /// What `returns` asks: the envelope or one part of it.
    AnyPart,
    /// A page of the history: `{meta, revisions, total, has_more}`.
    RevisionList,
    /// A count: a non-negative integer.
    Count,
    /// A search page: an array of the inner body.
    Page(&'static Self),
    /// A JSON Patch or a merge patch, by content type (request bodies only).
    Patch,
    /// What changed between two revisions: `{resource_id, from_revision_id, to_revision_id,
    /// patch, changes}`.
    Diff,
    /// A chain's verification: `{resource_id, valid, revisions, pruned, head_chain_hash,
    /// first_invalid_revision_id?}`.
    Verification,
    /// A resource's pinned revisions: `{resource_id, pinned}`.
    Pins,
}

/// A response header the document describes once (`components/headers`).
#[derive(Clone, Copy, Debug)]
pub(crate) enum Header {
    ETag,
    HasMore,
    NextCursor,
    TotalCount,
}

impl Header {
    /// Its name in `components/headers`, which is also its name on the wire.
    pub(crate) fn name(self) -> &'static str {
        match self {
            Self::ETag => "ETag",
            Self::HasMore => "X-Has-More",
            Self::NextCursor => "X-Next-Cursor",
            Self::TotalCount => "X-Total-Count",
        }
    }
}

/// A successful answer of an operation.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Answer {
    pub(crate) status: u16,
    pub(crate) description: &'static str,
    /// The JSON body; `None` for an answer without one (304).
    pub(crate) body: Option<Body>,
    pub(crate) headers: &'static [Header],
}

/// One operation of every model.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Operation {
    pub(crate) method: Method,
    /// The path relative to `/{model}`.
    pub(crate) path: &'static str,
    /// The operation id after the model's name (`issue_` + `get`).
    pub(crate) id: &'static str,
    /// The access a caller needs (a `PUT` that creates, with `If-None-Match: *`, needs
    /// [`Access::Create`] instead of its [`Access::Update`]).
    pub(crate) access: Access,
    pub(crate) summary: &'static str,
    /// The parameters, in groups that several operations share, in order.
    pub(crate) parameters: &'static [&'static [Param]],
    /// The request body, required when there is one.
    pub(crate) body: Option<Body>,
    pub(crate) answers: &'static [Answer],
    /// The error statuses, each a shared response (`components/responses/E{status}`).
    pub(crate) errors: &'static [u16],
    /// The axum route of this method to the handler.
    pub(crate) handler: fn(MethodFilter) -> MethodRouter<ModelState>,
}

const RESOURCE_ID: Param = Param::Shared("resource_id");
const RETURNS: Param = Param::Shared("returns");

/// A write's preconditions.
const EXPECTED: &[Param] = &[
    Param::Shared("expected_revision_id"),
    Param::Shared("If-Match"),
];

/// What a read of one resource takes besides its id and `returns`.
const READ: &[Param] = &[
    Param::Shared("revision_id"),
    Param::Shared("as_of"),
    Param::Shared("include_deleted"),
    Param::Shared("partial"),
    Param::Shared("If-None-Match"),
];

/// Which resources a search or count matches.
const FILTER: &[Param] = &[
    Param::Shared("qb"),
    Param::Shared("conditions"),
    Param::Shared("is_deleted"),
    Param::Shared("search_include_deleted"),
    Param::Shared("created_time_start"),
    Param::Shared("created_time_end"),
    Param::Shared("updated_time_start"),
    Param::Shared("updated_time_end"),
    Param::Shared("created_bys"),
    Param::Shared("updated_bys"),
];

/// How a search orders, pages and shapes its matches.
const PAGE: &[Param] = &[
    Param::Shared("sorts"),
    Param::Shared("limit"),
    Param::Shared("offset"),
    Param::Shared("cursor"),
    Param::Shared("partial"),
    Param::Shared("with_total"),
];

/// The two revisions a diff compares.
const DIFF: &[Param] = &[
    Param::Own(OwnParam {
        name: "from",
        in_path: false,
        description: Some(
            "The revision compared from: a number (`2`) or a full revision id; by default `to`'s parent.",
        ),
        schema: || json!({ "$ref": "#/components/schemas/@RevisionRef" }),
    }),
    Param::Own(OwnParam {
        name: "to",
        in_path: false,
        description: Some(
            "The revision compared to: a number or a full revision id; by default the current revision.",
        ),
        schema: || json!({ "$ref": "#/components/schemas/@RevisionRef" }),
    }),
];

/// The history's paging, which differs from a search's (its own default, a `sort` by time).
const HISTORY: &[Param] = &[
    Param::Own(OwnParam {
        name: "limit",
        in_path: false,
        description: None,
        schema: || json!({ "type": "integer", "minimum": 1, "maximum": i64::MAX, "default": DEFAULT_REVISION_LIMIT }),
    }),
    Param::Own(OwnParam {
        name: "offset",
        in_path: false,
        description: None,
        schema: || json!({ "type": "integer", "minimum": 0, "maximum": i64::MAX, "default": 0 }),
    }),
    Param::Own(OwnParam {
        name: "sort",
        in_path: false,
        description: None,
        schema: || json!({ "enum": ["-created_time", "created_time"], "default": "-created_time" }),
    }),
    Param::Shared("created_time_start"),
    Param::Shared("created_time_end"),
];

/// The revision a pin names.
const PINNED: Param = Param::Own(OwnParam {
    name: "revision_id",
    in_path: true,
    description: Some("The revision: full id or bare number."),
    schema: || json!({ "$ref": "#/components/schemas/@RevisionRef" }),
});

const PINS: Answer = Answer {
    status: 200,
    description: "The resource's pinned revisions after the request, oldest first.",
    body: Some(Body::Pins),
    headers: &[],
};

/// The revision a switch copies.
const SWITCH_TO: Param = Param::Own(OwnParam {
    name: "revision_id",
    in_path: true,
    description: Some("The revision to copy: full id or bare number."),
    schema: || json!({ "$ref": "#/components/schemas/@RevisionRef" }),
});

const WRITE_ERRORS: &[u16] = &[400, 404, 410, 412, 413, 415, 422, 500];
const READ_ERRORS: &[u16] = &[400, 404, 410];
/// A write's, and 409 `patch_failed`: a JSON Patch the current data cannot take.
const PATCH_ERRORS: &[u16] = &[400, 404, 409, 410, 412, 413, 415, 422, 500];
const SEARCH_ERRORS: &[u16] = &[400, 500];

const NOT_MODIFIED: Answer = Answer {
    status: 304,
    description: "Not modified: the ETag in If-None-Match is current.",
    body: None,
    headers: &[],
};

const WRITTEN: Answer = Answer {
    status: 200,
    description: "The revision written (or the current one when nothing changed).",
    body: Some(Body::RevisionInfo),
    headers: &[Header::ETag],
};

const PAGE_HEADERS: &[Header] = &[Header::HasMore, Header::NextCursor, Header::TotalCount];

/// The answer of a lifecycle write: the meta, its `description` saying as of when.
const fn meta(description: &'static str) -> Answer {
    Answer {
        status: 200,
        description,
        body: Some(Body::Meta),
        headers: &[],
    }
}

/// The answer of a read: `body` with its ETag, `description` saying what it is.
const fn read(description: &'static str, body: Body) -> Answer {
    Answer {
        status: 200,
        description,
        body: Some(body),
        headers: &[Header::ETag],
    }
}

/// The answer of a search: a page of `item`, with the paging headers.
const fn page(description: &'static str, item: &'static Body) -> Answer {
    Answer {
        status: 200,
        description,
        body: Some(Body::Page(item)),
        headers: PAGE_HEADERS,
    }
}

/// Every operation of a model, in the document's order.
pub(crate) const OPERATIONS: &[Operation] = &[
    Operation {
        method: Method::Post,
        path: "",
        id: "create",
        access: Access::Create,
        summary: "Create a resource: revision 1",
        parameters: &[],
        body: Some(Body::Data),
        answers: &[Answer {
            status: 201,
            description: "The resource's first revision.",
            body: Some(Body::RevisionInfo),
            headers: &[Header::ETag],
        }],
        errors: &[400, 413, 415, 422, 500],
        handler: |m| on(m, write::create),
    },
    Operation {
        method: Method::Get,
        path: "",
        id: "search",
        access: Access::Read,
        summary: "Search: a page of matching resources, as `returns` asks",
        parameters: &[FILTER, PAGE, &[RETURNS]],
        body: None,
        answers: &[page(
            "Search: a page of matching resources, as `returns` asks",
            &Body::AnyPart,
        )],
        errors: SEARCH_ERRORS,
        handler: |m| on(m, search::list),
    },
    Operation {
        method: Method::Get,
        path: "/data",
        id: "search_data",
        access: Access::Read,
        summary: "Search: a page of the matching resources' data",
        parameters: &[FILTER, PAGE],
        body: None,
        answers: &[page(
            "Search: a page of the matching resources' data",
            &Body::ReadData,
        )],
        errors: SEARCH_ERRORS,
        handler: |m| on(m, search::list_data),
    },
    Operation {
        method: Method::Get,
        path: "/meta",
        id: "search_meta",
        access: Access::Read,
        summary: "Search: a page of the matching resources' meta",
        parameters: &[FILTER, PAGE],
        body: None,
        answers: &[page(
            "Search: a page of the matching resources' meta",
            &Body::Meta,
        )],
        errors: SEARCH_ERRORS,
        handler: |m| on(m, search::list_meta),
    },
    Operation {
        method: Method::Get,
        path: "/full",
        id: "search_full",
        access: Access::Read,
        summary: "Search: a page of the matching resources, whole",
        parameters: &[FILTER, PAGE],
        body: None,
        answers: &[page(
            "Search: a page of the matching resources, whole",
            &Body::Resource,
        )],
        errors: SEARCH_ERRORS,
        handler: |m| on(m, search::list_full),
    },
    Operation {
        method: Method::Get,
        path: "/count",
        id: "count",
        access: Access::Read,
        summary: "Count the matching resources (`limit` and `offset` ignored)",
        parameters: &[FILTER],
        body: None,
        answers: &[Answer {
            status: 200,
            description: "How many resources match.",
            body: Some(Body::Count),
            headers: &[],
        }],
        errors: SEARCH_ERRORS,
        handler: |m| on(m, search::count),
    },
    Operation {
        method: Method::Get,
        path: "/{resource_id}",
        id: "get",
        access: Access::Read,
        summary: "Read the current revision, or any revision by `revision_id`",
        parameters: &[&[RESOURCE_ID, RETURNS], READ],
        body: None,
        answers: &[
            read(
                "Read the current revision, or any revision by `revision_id`",
                Body::AnyPart,
            ),
            NOT_MODIFIED,
        ],
        errors: READ_ERRORS,
        handler: |m| on(m, read::get),
    },
    Operation {
        method: Method::Put,
        path: "/{resource_id}",
        id: "update",
        access: Access::Update,
        summary: "Replace the data: a new revision (or, with `If-None-Match: *`, create with this id)",
        parameters: &[&[RESOURCE_ID], EXPECTED, &[Param::Shared("If-None-Match")]],
        body: Some(Body::Data),
        answers: &[
            WRITTEN,
            Answer {
                status: 201,
                description: "Created with this id (`If-None-Match: *`).",
                body: Some(Body::RevisionInfo),
                headers: &[Header::ETag],
            },
        ],
        errors: WRITE_ERRORS,
        handler: |m| on(m, write::put),
    },
    Operation {
        method: Method::Patch,
        path: "/{resource_id}",
        id: "patch",
        access: Access::Patch,
        summary: "Patch the data (RFC 6902 JSON Patch or RFC 7396 merge patch): a new revision",
        parameters: &[&[RESOURCE_ID], EXPECTED],
        body: Some(Body::Patch),
        answers: &[WRITTEN],
        errors: PATCH_ERRORS,
        handler: |m| on(m, write::patch),
    },
    Operation {
        method: Method::Delete,
        path: "/{resource_id}",
        id: "delete",
        access: Access::Delete,
        summary: "Soft delete: a tombstone revision; every revision stays readable",
        parameters: &[&[RESOURCE_ID], EXPECTED],
        body: None,
        answers: &[meta("The meta after the delete.")],
        errors: &[400, 404, 410, 412, 500],
        handler: |m| on(m, write::delete),
    },
    Operation {
        method: Method::Get,
        path: "/{resource_id}/data",
        id: "get_data",
        access: Access::Read,
        summary: "Read the data only",
        parameters: &[&[RESOURCE_ID], READ],
        body: None,
        answers: &[read("Read the data only", Body::ReadData), NOT_MODIFIED],
        errors: READ_ERRORS,
        handler: |m| on(m, read::data),
    },
    Operation {
        method: Method::Get,
        path: "/{resource_id}/meta",
        id: "get_meta",
        access: Access::Read,
        summary: "Read the meta only",
        parameters: &[&[RESOURCE_ID], READ],
        body: None,
        answers: &[read("Read the meta only", Body::Meta), NOT_MODIFIED],
        errors: READ_ERRORS,
        handler: |m| on(m, read::meta),
    },
    Operation {
        method: Method::Get,
        path: "/{resource_id}/revision-info",
        id: "get_revision_info",
        access: Access::Read,
        summary: "Read the revision info only",
        parameters: &[&[RESOURCE_ID], READ],
        body: None,
        answers: &[
            read("Read the revision info only", Body::RevisionInfo),
            NOT_MODIFIED,
        ],
        errors: READ_ERRORS,
        handler: |m| on(m, read::revision_info),
    },
    Operation {
        method: Method::Get,
        path: "/{resource_id}/full",
        id: "get_full",
        access: Access::Read,
        summary: "Read data, revision info and meta",
        parameters: &[&[RESOURCE_ID], READ],
        body: None,
        answers: &[
            read("Read data, revision info and meta", Body::Resource),
            NOT_MODIFIED,
        ],
        errors: READ_ERRORS,
        handler: |m| on(m, read::full),
    },
    Operation {
        method: Method::Get,
        path: "/{resource_id}/revision-list",
        id: "revision_list",
        access: Access::Read,
        summary: "The history, newest first, paged",
        parameters: &[&[RESOURCE_ID], HISTORY],
        body: None,
        answers: &[Answer {
            status: 200,
            description: "A page of the history.",
            body: Some(Body::RevisionList),
            headers: &[],
        }],
        errors: &[400, 404],
        handler: |m| on(m, read::revision_list),
    },
    Operation {
        method: Method::Get,
        path: "/{resource_id}/diff",
        id: "diff",
        access: Access::Read,
        summary: "What changed between two revisions: a JSON Patch and the changed leaves",
        parameters: &[&[RESOURCE_ID], DIFF],
        body: None,
        answers: &[Answer {
            status: 200,
            description: "A JSON Patch from `from`'s data to `to`'s, and one change per changed leaf.",
            body: Some(Body::Diff),
            headers: &[],
        }],
        errors: &[400, 404, 410],
        handler: |m| on(m, history::diff),
    },
    Operation {
        method: Method::Get,
        path: "/{resource_id}/verify",
        id: "verify",
        access: Access::Read,
        summary: "Verify the tamper-evident chain: every revision's data hash and chain hash recomputed",
        parameters: &[&[RESOURCE_ID]],
        body: None,
        answers: &[Answer {
            status: 200,
            description: "Whether the history is as its chain says, and if not the first revision that is not.",
            body: Some(Body::Verification),
            headers: &[],
        }],
        errors: &[400, 404, 500],
        handler: |m| on(m, history::verify),
    },
    Operation {
        method: Method::Get,
        path: "/{resource_id}/pins",
        id: "pins",
        access: Access::Read,
        summary: "The pinned revisions: those retention keeps whatever its policy says",
        parameters: &[&[RESOURCE_ID]],
        body: None,
        answers: &[PINS],
        errors: &[400, 404],
        handler: |m| on(m, retention::pins),
    },
    Operation {
        method: Method::Post,
        path: "/{resource_id}/revisions/{revision_id}/pin",
        id: "pin",
        access: Access::Update,
        summary: "Pin a revision: no prune drops its data",
        parameters: &[&[RESOURCE_ID, PINNED]],
        body: None,
        answers: &[PINS],
        errors: &[400, 404, 410, 500],
        handler: |m| on(m, retention::pin),
    },
    Operation {
        method: Method::Delete,
        path: "/{resource_id}/revisions/{revision_id}/pin",
        id: "unpin",
        access: Access::Update,
        summary: "Unpin a revision: the model's retention may prune it again",
        parameters: &[&[RESOURCE_ID, PINNED]],
        body: None,
        answers: &[PINS],
        errors: &[400, 404, 500],
        handler: |m| on(m, retention::unpin),
    },
    Operation {
        method: Method::Post,
        path: "/{resource_id}/restore",
        id: "restore",
        access: Access::Restore,
        summary: "Restore a deleted resource: a new revision with its last live data",
        parameters: &[&[RESOURCE_ID], EXPECTED],
        body: None,
        answers: &[meta("The meta after the restore.")],
        errors: &[400, 404, 409, 412, 500],
        handler: |m| on(m, write::restore),
    },
    Operation {
        method: Method::Post,
        path: "/{resource_id}/migrate",
        id: "migrate",
        access: Access::Migrate,
        summary: "Migrate: when the current revision is of an older schema version, a new revision (action migrate) with its data upcast to the current one",
        parameters: &[&[RESOURCE_ID]],
        body: None,
        answers: &[meta(
            "The meta after the migration (unchanged when it was on the current version).",
        )],
        errors: &[400, 404, 409, 410, 500],
        handler: |m| on(m, write::migrate),
    },
    Operation {
        method: Method::Post,
        path: "/{resource_id}/switch/{revision_id}",
        id: "switch",
        access: Access::Revert,
        summary: "Revert: a new revision copying an old one's data",
        parameters: &[&[RESOURCE_ID, SWITCH_TO], EXPECTED],
        body: None,
        answers: &[meta("The meta after the revert.")],
        errors: &[400, 404, 409, 410, 412, 500],
        handler: |m| on(m, write::switch),
    },
    Operation {
        method: Method::Delete,
        path: "/{resource_id}/permanently",
        id: "permanently_delete",
        access: Access::Purge,
        summary: "Erase the resource and every revision of it",
        parameters: &[&[RESOURCE_ID]],
        body: None,
        answers: &[meta("The meta as it was.")],
        errors: &[400, 404, 500],
        handler: |m| on(m, write::permanently),
    },
];

#[cfg(test)]
mod tests;
