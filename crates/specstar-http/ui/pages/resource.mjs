// `/_/{model}/{id}`: one resource, its current data and its timeline (every revision newest
// first, with its action, user, time and the fields it changed, a page at a time), and what
// may be done to it: edit (conditional on the revision shown: a 412 says someone else changed
// it), delete, restore, revert to any revision; each shows at once as a new entry on top.

import { html, useEffect, useRef, useState } from "../vendor/preact-htm.mjs";
import { call, resourcePath } from "../api.mjs";
import { JsonView, ProblemBox, ShortId, Time, page } from "../components.mjs";
import { JsonEditor } from "../editor.mjs";
import { fieldPath } from "../format.mjs";
import { coalesced, follow } from "../live.mjs";

const TIMELINE_PAGE = 25;

/** A page of the timeline, each revision with the paths its change touched. */
async function timelinePage(model, id, offset) {
  const { body } = await call("GET", resourcePath(model, id, "/revision-list"), {
    query: { limit: TIMELINE_PAGE, offset },
  });
  const revisions = await Promise.all(body.revisions.map((info) => withChanges(model, id, info)));
  return { revisions, hasMore: body.has_more, total: body.total };
}

async function withChanges(model, id, info) {
  const number = Number(info.revision_id.split(":").pop());
  if (!info.parent_revision_id) return { ...info, number, changed: null };
  try {
    const { body } = await call("GET", resourcePath(model, id, "/diff"), {
      query: { from: number - 1, to: number },
    });
    return { ...info, number, changed: body.changes.map((c) => fieldPath(c.path)) };
  } catch (error) {
    // A pruned revision has no data left to compare.
    return { ...info, number, changed: undefined, unavailable: error.message };
  }
}

export function ResourcePage({ model, id }) {
  const [resource, setResource] = useState(null);
  const [timeline, setTimeline] = useState(null);
  const [error, setError] = useState(null);
  const [actionError, setActionError] = useState(null);
  const [editing, setEditing] = useState(false);
  const [notice, setNotice] = useState(null);
  const [selected, setSelected] = useState([]);
  const etag = useRef(null);

  const loadResource = async () => {
    const answer = await call("GET", resourcePath(model.name, id), { query: { include_deleted: "true" } });
    etag.current = answer.headers.get("ETag");
    setResource(answer.body);
    return answer.body;
  };
  const loadTimeline = async () => setTimeline(await timelinePage(model.name, id, 0));
  const reload = () =>
    Promise.all([loadResource(), loadTimeline()]).then(() => setError(null), setError);

  useEffect(() => {
    setResource(null);
    setTimeline(null);
    setEditing(false);
    setSelected([]);
    reload();
    const again = coalesced(reload);
    const stop = follow(model.name, (event) => {
      if (event.resource_id === id) again();
    });
    return () => {
      again.cancel();
      stop();
    };
  }, [model.name, id]);

  const act = async (method, rest, label) => {
    setActionError(null);
    try {
      await call(method, resourcePath(model.name, id, rest), { headers: { "If-Match": etag.current } });
      setNotice(label);
      await reload();
    } catch (failure) {
      setActionError(failure);
      if (failure.status === 412) await reload();
    }
  };
  // An edit is conditional on the revision it was opened on, not on the one shown now: a
  // change that arrives live meanwhile makes the save a 412, never a silent overwrite.
  const editedOn = useRef(null);
  const openEditor = () => {
    editedOn.current = etag.current;
    setEditing(!editing);
  };
  const save = async (data) => {
    try {
      await call("PUT", resourcePath(model.name, id), { body: data, headers: { "If-Match": editedOn.current } });
    } catch (failure) {
      if (failure.status !== 412) throw failure;
      const now = await loadResource();
      loadTimeline();
      editedOn.current = etag.current;
      failure.message = `Changed by someone else: ${now.meta.current_revision_id} is now current (shown below). Your edit is kept here: review it and save again.`;
      throw failure;
    }
    setEditing(false);
    setNotice("Saved");
    await reload();
  };
  const loadMore = async () => {
    const next = await timelinePage(model.name, id, timeline.revisions.length);
    setTimeline({ ...next, revisions: [...timeline.revisions, ...next.revisions] });
  };
  const toggle = (number) =>
    setSelected(selected.includes(number) ? selected.filter((n) => n !== number) : [...selected, number].slice(-2));

  if (error) return html`<${ProblemBox} error=${error} onRetry=${reload} />`;
  if (!resource || !timeline) return html`<p role="status">Loading…</p>`;
  const meta = resource.meta;
  const may = (action) => model.actions.includes(action);
  const [low, high] = [...selected].sort((a, b) => a - b);
  return html`<section>
    <h1>${model.name} <${ShortId} id=${meta.resource_id} />
      ${meta.is_deleted && html` <span class="badge">deleted</span>`}</h1>
    <dl class="meta">
      <dt>Id</dt><dd><code>${meta.resource_id}</code></dd>
      <dt>Current</dt><dd><code>${meta.current_revision_id}</code> of ${meta.total_revision_count}</dd>
      <dt>Created</dt><dd><${Time} iso=${meta.created_time} /> by ${meta.created_by}</dd>
      <dt>Updated</dt><dd><${Time} iso=${meta.updated_time} /> by ${meta.updated_by}</dd>
      <dt>Schema version</dt><dd>${meta.schema_version}</dd>
    </dl>
    <div class="actions">
      ${!meta.is_deleted && may("update") && html`<button type="button" onClick=${openEditor} aria-expanded=${editing}>Edit</button>`}
      ${!meta.is_deleted && may("delete") && html`<button type="button" class="danger" onClick=${() => act("DELETE", "", "Deleted")}>Delete</button>`}
      ${meta.is_deleted && may("restore") && html`<button type="button" onClick=${() => act("POST", "/restore", "Restored")}>Restore</button>`}
    </div>
    ${notice && html`<p class="notice" role="status">${notice}</p>`}
    <${ProblemBox} error=${actionError} />
    ${editing &&
    html`<${JsonEditor} schema=${model.json_schema} initial=${resource.data} submitLabel="Save"
      onSubmit=${save} onCancel=${() => setEditing(false)} />`}
    <h2>Data</h2>
    <${JsonView} value=${resource.data} label="current data" />
    <h2>Timeline <small>${timeline.total} revisions</small></h2>
    <div class="toolbar">
      ${selected.length === 2
        ? html`<a class="button" href=${page(model.name, id, "diff", low, high)}>Compare ${low} and ${high}</a>`
        : html`<span>Choose two revisions to compare them.</span>`}
    </div>
    <ol class="timeline" aria-label="Revisions, newest first">
      ${timeline.revisions.map(
        (r) => html`<li class=${`entry action-${r.action}`} data-revision=${r.number}>
          <div class="entry-head">
            <label class="check"><input type="checkbox" checked=${selected.includes(r.number)}
              onChange=${() => toggle(r.number)} aria-label=${`Compare revision ${r.number}`} /></label>
            <strong>#${r.number}</strong> <span class="action">${r.action}</span>
            <span>by ${r.created_by}</span> <${Time} iso=${r.created_time} />
          </div>
          <div class="entry-body">
            ${r.changed === null ? html`<span class="changed">created</span>`
              : r.changed === undefined ? html`<span class="muted">${r.unavailable}</span>`
              : r.changed.length === 0 ? html`<span class="muted">no data change</span>`
              : html`<span class="changed">changed: ${r.changed.map((p) => html`<code>${p}</code> `)}</span>`}
            ${r.parent_revision_id && html` <a href=${page(model.name, id, "diff", r.number - 1, r.number)}>diff</a>`}
            ${!meta.is_deleted && may("revert") && r.revision_id !== meta.current_revision_id && !r.deleted &&
            html` <button type="button" class="small" onClick=${() => act("POST", `/switch/${r.number}`, `Reverted to revision ${r.number}`)}>Revert to this</button>`}
          </div>
        </li>`,
      )}
    </ol>
    ${timeline.hasMore && html`<button type="button" onClick=${loadMore}>Older revisions</button>`}
  </section>`;
}
