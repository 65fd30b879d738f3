//! `GET /_changes`: the change feed of every model, as pages (optionally a long poll) or as
//! server-sent events.
//!
//! Both read the store as the client goes: a page is one read, and the event stream pulls the
//! next events from the store only when the client took the last ones, so a slow client holds
//! no backlog in the server and never slows writers or other readers; when it reads again it is
//! caught up from the store.

use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::State;
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use futures_util::StreamExt;
use http::HeaderMap;
use http::request::Parts;
use serde_json::{Value, json};
use specstar_core::feed::{self, FeedEvent, MAX_FEED_LIMIT, ModelFilter};
use specstar_core::{Access, ModelDef, Registry, Store};

use super::visibility;
use crate::auth::{Principal, gate};
use crate::config::HttpConfig;
use crate::extract::Params;
use crate::problem::Problem;
use crate::shutdown::Drain;
use crate::wire;

/// The route's path.
pub(crate) const PATH: &str = "/_changes";

/// A page's size when `limit` is not given.
pub(crate) const DEFAULT_LIMIT: u64 = 100;

/// The longest a long poll waits, in seconds.
pub(crate) const MAX_WAIT_SECONDS: u64 = 30;

/// How often an idle event stream sends a comment, so that proxies keep it open.
const KEEP_ALIVE: Duration = Duration::from_secs(15);

/// What the routes beside the models need (the feed, the stats): the models, the store, the
/// settings.
#[derive(Clone, Debug)]
pub(crate) struct ApiState {
    pub(crate) registry: Arc<Registry>,
    pub(crate) store: Arc<dyn Store>,
    pub(crate) config: Arc<HttpConfig>,
    /// The open event streams' slots (the cap of the config).
    pub(crate) streams: crate::limits::StreamSlots,
}

/// What a request asks of the feed.
struct FeedQuery {
    since: u64,
    /// `since=now`: from the newest event when the request comes (`since` is then 0 until
    /// the store is asked).
    since_now: bool,
    limit: usize,
    filter: ModelFilter,
    include_data: bool,
    wait: Duration,
}

impl FeedQuery {
    fn parse(params: &Params, registry: &Registry) -> Result<Self, Problem> {
        let limit = params.number("limit", DEFAULT_LIMIT)?;
        let max = MAX_FEED_LIMIT as u64;
        if !(1..=max).contains(&limit) {
            return Err(Problem::invalid_query(format!(
                "limit={limit}: a page of the feed holds 1 to {max} events"
            )));
        }
        let wait = params.number("wait", 0)?;
        if wait > MAX_WAIT_SECONDS {
            return Err(Problem::invalid_query(format!(
                "wait={wait}: a long poll waits {MAX_WAIT_SECONDS} seconds at most"
            )));
        }
        let models = params.all("model");
        if let Some(unknown) = models.iter().find(|m| registry.get(m).is_err()) {
            let known: Vec<String> = registry.all().iter().map(|m| m.name().to_owned()).collect();
            return Err(Problem::invalid_query(format!(
                "model={unknown:?} is not a registered model (there are: {})",
                known.join(", ")
            )));
        }
        let since_now = params.get("since") == Some("now");
        Ok(Self {
            since: if since_now {
                0
            } else {
                params.number("since", 0)?
            },
            since_now,
            limit: usize::try_from(limit).unwrap_or(MAX_FEED_LIMIT),
            filter: ModelFilter::only(models.iter().map(|m| (*m).to_owned())),
            include_data: params.flag("include_data", false)?,
            wait: Duration::from_secs(wait),
        })
    }
}

/// `GET /_changes`: a page `{changes, last_seq, has_more}`, or with `Accept:
/// text/event-stream` a stream of `change` events.
pub(crate) async fn changes(
    State(state): State<ApiState>,
    parts: Parts,
    params: Params,
) -> Result<Response, Problem> {
    let principal = state.config.resolve_principal(&parts)?;
    let mut query = FeedQuery::parse(&params, &state.registry)?;
    query.filter = readable(query.filter, &state.registry, &principal, &state.config)?;
    if query.since_now {
        query.since = state.store.last_sequence().await?;
    }
    let drain = crate::shutdown::of(&parts);
    if !wants_events(&parts.headers) {
        // A long poll answers at once when the server begins (or began) to shut down.
        let waited = page(&state.store, &state.registry, &query, &principal);
        return tokio::select! {
            answered = waited => answered,
            () = drain.started() => {
                query.wait = Duration::ZERO;
                page(&state.store, &state.registry, &query, &principal).await
            }
        };
    }
    if let Some(last) = last_event_id(&parts.headers)? {
        query.since = last;
    }
    let slot = state.streams.take()?;
    let stream = events(state.store, state.registry, query, principal, (drain, slot));
    Ok(stream.into_response())
}

/// `filter` narrowed to the models `principal` may read: refused (401 or 403) when it names a
/// model the caller may not read, or when the caller may read none.
pub(crate) fn readable(
    filter: ModelFilter,
    registry: &Registry,
    principal: &Principal,
    config: &HttpConfig,
) -> Result<ModelFilter, Problem> {
    let models = registry.all();
    let may_read = |model: &ModelDef| visibility::may_read_model(model, principal);
    if let Some(closed) = models
        .iter()
        .find(|m| filter.models().iter().any(|f| **f == *m.name()) && !may_read(m))
    {
        return Err(gate::denied(principal, Access::Read, closed.name(), config));
    }
    if !filter.is_all() || models.iter().all(|m| may_read(m)) {
        return Ok(filter);
    }
    let open: Vec<String> = models
        .iter()
        .filter(|m| may_read(m))
        .map(|m| m.name().to_owned())
        .collect();
    if open.is_empty() {
        return Err(gate::denied(principal, Access::Read, "any model", config));
    }
    Ok(ModelFilter::only(open))
}

async fn page(
    store: &Arc<dyn Store>,
    registry: &Arc<Registry>,
    query: &FeedQuery,
    principal: &Principal,
) -> Result<Response, Problem> {
    let page = feed::changes_waiting(
        &**store,
        query.since,
        query.limit,
        &query.filter,
        query.wait,
    )
    .await?;
    let mut changes = Vec::with_capacity(page.changes.len());
    // Hidden events are left out; `last_seq` still passes them, so no client stalls.
    for event in &page.changes {
        if !visibility::sees(store, registry, principal, event).await? {
            continue;
        }
        let models = query.include_data.then_some(&**registry);
        if let Some(json) = event_json(store, event, models).await? {
            changes.push(json);
        }
    }
    let body = json!({ "changes": changes, "last_seq": page.last_seq, "has_more": page.has_more });
    Ok(axum::Json(body).into_response())
}

/// The event stream: `id: <sequence>`, `event: change`, `data: <event>`; a store error is an
/// `error` event (the stream goes on, from where it was).
fn events(
    store: Arc<dyn Store>,
    registry: Arc<Registry>,
    query: FeedQuery,
    principal: Principal,
    (drain, slot): (Drain, crate::limits::StreamSlot),
) -> Sse<impl futures_util::Stream<Item = Result<Event, Infallible>>> {
    let principal = Arc::new(principal);
    let include_data = query.include_data;
    let signal = store.feed_signal();
    let stream = feed::watch(store.clone(), query.since, query.filter).filter_map(move |item| {
        // The stream's slot among the open streams, held for as long as it runs.
        let _slot = &slot;
        let (store, registry, principal) = (store.clone(), registry.clone(), principal.clone());
        let newest = signal.as_ref().map(feed::FeedSignal::newest);
        async move {
            let event = match item {
                Ok(event) => event,
                Err(error) => return Some(Ok(error_event(Problem::from(error)))),
            };
            // How far behind the newest event this process knows of the stream is.
            if let Some(newest) = newest {
                let lag = newest.saturating_sub(event.sequence());
                metrics::histogram!("specstar_feed_stream_lag_events").record(lag as f64);
            }
            match visibility::sees(&store, &registry, &principal, &event).await {
                Ok(true) => {}
                Ok(false) => return None,
                Err(problem) => return Some(Ok(error_event(problem))),
            }
            let models = include_data.then_some(&*registry);
            match event_json(&store, &event, models).await {
                Ok(Some(json)) => Some(Ok(Event::default()
                    .id(event.sequence().to_string())
                    .event("change")
                    .data(json.to_string()))),
                // Purged since it was read: its purge event follows.
                Ok(None) => None,
                Err(problem) => Some(Ok(error_event(problem))),
            }
        }
    });
    // When the server shuts down the stream ends, its last event saying so.
    let stream = stream
        .take_until(async move { drain.started().await })
        .chain(futures_util::stream::once(async {
            Ok(Event::default()
                .event("shutdown")
                .data(r#"{"reason":"the server is shutting down: reconnect with Last-Event-ID"}"#))
        }));
    Sse::new(stream).keep_alive(KeepAlive::new().interval(KEEP_ALIVE))
}

/// A failed read as an `error` event: the problem's JSON (a server failure logged here, as
/// the router's log does for answers).
fn error_event(problem: Problem) -> Event {
    if problem.status.is_server_error() {
        tracing::error!(detail = %problem.detail, cause = problem.cause(), "the change feed's stream could not read");
    }
    let body = serde_json::to_string(&problem).unwrap_or_default();
    Event::default().event("error").data(body)
}

/// An event as the API sends it: the revision info (with the reference's keys) plus `model`,
/// and `data` when asked (`null`, with `pruned: true`, for a revision whose data retention
/// dropped); a purge as `{sequence, resource_id, model, action: "purge",
/// created_time, created_by}`. `None` for a revision whose data is gone (purged since).
/// With `models` (data asked), the data comes upcast to its model's current schema version.
async fn event_json(
    store: &Arc<dyn Store>,
    event: &FeedEvent,
    models: Option<&Registry>,
) -> Result<Option<Value>, Problem> {
    let mut json = match event {
        FeedEvent::Revision(info) => wire::revision_info(info)?,
        FeedEvent::Purge(purge) => json!({
            "sequence": purge.sequence,
            "resource_id": purge.resource_id,
            "action": "purge",
            "created_time": purge.created_time,
            "created_by": purge.created_by,
        }),
        other => {
            tracing::warn!(?other, "an event this server cannot send was left out");
            return Ok(None);
        }
    };
    if let Some(object) = json.as_object_mut() {
        object.insert("model".into(), json!(event.model()));
        if let (Some(models), FeedEvent::Revision(info)) = (models, event) {
            let Some(mut bytes) = feed::data_of(&**store, event).await? else {
                return Ok(None);
            };
            // Retention dropped the data; the event stays, and says so.
            if bytes.is_empty() {
                object.insert("data".into(), Value::Null);
                object.insert("pruned".into(), json!(true));
                return Ok(Some(json));
            }
            if let Ok(model) = models.get(info.resource_id.model()) {
                bytes = model.upcast(info, bytes)?;
            }
            let data: Value = serde_json::from_slice(&bytes).map_err(|e| {
                tracing::error!(error = %e, "stored data is not JSON");
                Problem::from_status(http::StatusCode::INTERNAL_SERVER_ERROR)
            })?;
            object.insert("data".into(), data);
        }
    }
    Ok(Some(json))
}

/// Whether the client asks for server-sent events.
fn wants_events(headers: &HeaderMap) -> bool {
    headers
        .get_all(http::header::ACCEPT)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|v| v.split(';').next().unwrap_or("").trim() == "text/event-stream")
}

/// The `Last-Event-ID` a reconnecting client sends: the sequence it saw last.
fn last_event_id(headers: &HeaderMap) -> Result<Option<u64>, Problem> {
    let Some(value) = headers.get("last-event-id") else {
        return Ok(None);
    };
    let Ok(text) = value.to_str() else {
        return Err(Problem::invalid_query("Last-Event-ID is not text"));
    };
    let text = text.trim();
    if text.is_empty() {
        // The event stream's own way of saying "no event yet".
        return Ok(None);
    }
    text.parse().map(Some).map_err(|_| {
        Problem::invalid_query(format!(
            "Last-Event-ID {text:?}: expected the sequence number of an event (a whole number)"
        ))
    })
}
