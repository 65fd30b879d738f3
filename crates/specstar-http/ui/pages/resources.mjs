// `/_/{model}`: a model's resources in a table, its indexed fields as columns; filters on them
// (built into a `qb` expression), a sort, keyset paging (the API's `X-Next-Cursor`, so no page
// is ever out of reach), deleted ones on request, and a create form. The filters, the sort and
// the deleted switch live in the page's URL, so a view can be bookmarked and shared.

import { html, useEffect, useMemo, useRef, useState } from "../vendor/preact-htm.mjs";
import { call, segment } from "../api.mjs";
import { ProblemBox, ShortId, Time, page } from "../components.mjs";
import { JsonEditor } from "../editor.mjs";
import { OPERATORS, buildQb, cell, kindOf, schemaAt, typedValue } from "../format.mjs";
import { coalesced, follow } from "../live.mjs";
import { navigate } from "../router.mjs";

const PAGE_SIZE = 25;

/** The view the URL describes: `f=field~op~value` (repeated), `sort=-field`, `deleted=1`. */
function viewOf(search) {
  const params = new URLSearchParams(search);
  const filters = params.getAll("f").map((f) => {
    const [field, op, ...rest] = f.split("~");
    return { field, op, text: rest.join("~") };
  });
  const sortText = params.get("sort") || "-created_time";
  const desc = sortText.startsWith("-");
  return { filters, sort: { field: sortText.replace(/^[-+]/, ""), desc }, deleted: params.get("deleted") === "1" };
}

/** The URL query of a view, escaped by `encodeURIComponent` (which keeps `~` readable). */
function searchOf(view) {
  const params = view.filters.map((f) => ["f", `${f.field}~${f.op}~${f.text}`]);
  params.push(["sort", `${view.sort.desc ? "-" : ""}${view.sort.field}`]);
  if (view.deleted) params.push(["deleted", "1"]);
  return `?${params.map(([k, v]) => `${k}=${encodeURIComponent(v)}`).join("&")}`;
}

/** A new resource's starting data: each required property's default, or an empty value. */
function skeleton(schema) {
  const data = {};
  for (const key of (schema && schema.required) || []) {
    const node = schemaAt(schema, key);
    const type = Array.isArray(node.type) ? node.type[0] : node.type;
    data[key] = "default" in node ? node.default
      : Array.isArray(node.enum) ? node.enum[0]
      : { integer: 0, number: 0, boolean: false, array: [], object: {} }[type] ?? "";
  }
  return data;
}

export function ResourcesPage({ model, search }) {
  const view = useMemo(() => viewOf(search), [search]);
  const [cursors, setCursors] = useState([null]);
  const [result, setResult] = useState(null);
  const [error, setError] = useState(null);
  const [creating, setCreating] = useState(false);
  const fields = model.indexed_fields;
  const scalars = fields.filter((f) => !f.array);
  const cursor = cursors[cursors.length - 1];
  const loadId = useRef(0);

  const [loading, setLoading] = useState(true);
  const load = async () => {
    const id = ++loadId.current;
    setLoading(true);
    const filters = view.filters
      .map((f) => ({ ...f, value: typedValue(f.text, kindOf(model.json_schema, f.field).kind) }))
      .filter((f) => f.value !== null);
    const query = {
      qb: buildQb(filters, view.sort),
      limit: PAGE_SIZE,
      cursor,
      include_deleted: view.deleted ? "true" : undefined,
      with_total: "true",
    };
    try {
      const answer = await call("GET", `/${segment(model.name)}/meta`, { query });
      if (id !== loadId.current) return;
      setLoading(false);
      setError(null);
      setResult({
        rows: answer.body,
        next: answer.headers.get("X-Next-Cursor"),
        total: answer.headers.get("X-Total-Count"),
      });
    } catch (failure) {
      if (id === loadId.current) {
        setLoading(false);
        setError(failure);
      }
    }
  };
  useEffect(() => setCursors([null]), [search, model.name]);
  useEffect(() => {
    load();
  }, [search, model.name, cursor]);
  // Changes made elsewhere show without a reload: the page is read again after a change,
  // once for a burst of them, however busy the model is.
  useEffect(() => {
    const reload = coalesced(load);
    const stop = follow(model.name, reload);
    return () => {
      reload.cancel();
      stop();
    };
  }, [search, model.name, cursor]);

  const turn = (next) => {
    setLoading(true);
    setCursors(next);
  };
  const setView = (next) => navigate(page(model.name) + searchOf(next));
  const create = async (data) => {
    const answer = await call("POST", `/${segment(model.name)}`, { body: data });
    navigate(page(model.name, answer.body.resource_id));
  };

  return html`<section>
    <h1>${model.name}</h1>
    <${Filters} model=${model} view=${view} scalars=${scalars} onApply=${setView} />
    <div class="toolbar">
      <span role="status" aria-live="polite">${result && result.total !== null ? `${result.total} matching` : ""}</span>
      ${model.actions.includes("create") &&
      html`<button type="button" class="primary" onClick=${() => setCreating(!creating)} aria-expanded=${creating}>
        ${creating ? "Close the form" : `New ${model.name}`}</button>`}
    </div>
    ${creating &&
    html`<${JsonEditor} schema=${model.json_schema} initial=${skeleton(model.json_schema)}
      submitLabel="Create" onSubmit=${create} onCancel=${() => setCreating(false)} />`}
    <${ProblemBox} error=${error} onRetry=${load} />
    ${result &&
    html`<div class="table-wrap"><table class="resources" aria-busy=${loading ? "true" : "false"}>
      <thead><tr>
        <th scope="col">Resource</th>
        ${fields.map((f) => html`<th scope="col">${f.path}</th>`)}
        <th scope="col">Updated</th><th scope="col">By</th><th scope="col" class="num">Revisions</th>
      </tr></thead>
      <tbody>
        ${result.rows.length === 0 &&
        html`<tr><td colspan=${fields.length + 4}>No resource matches.</td></tr>`}
        ${result.rows.map(
          (meta) => html`<tr class=${meta.is_deleted ? "deleted" : ""}>
            <th scope="row"><a href=${page(model.name, meta.resource_id)}><${ShortId} id=${meta.resource_id} /></a>
              ${meta.is_deleted && html` <span class="badge">deleted</span>`}</th>
            ${fields.map((f) => html`<td>${cell(meta.indexed_data[f.path])}</td>`)}
            <td><${Time} iso=${meta.updated_time} /></td>
            <td>${meta.updated_by}</td>
            <td class="num">${meta.total_revision_count}</td>
          </tr>`,
        )}
      </tbody>
    </table></div>
    <nav class="pager" aria-label="Pages">
      <button type="button" disabled=${cursors.length === 1} onClick=${() => turn(cursors.slice(0, -1))}>← Previous</button>
      <span>Page ${cursors.length}</span>
      <button type="button" disabled=${!result.next} onClick=${() => turn([...cursors, result.next])}>Next →</button>
    </nav>`}
  </section>`;
}

/** The filter form: a row per condition, the sort, the deleted switch; applied on submit. */
function Filters({ model, view, scalars, onApply }) {
  const [filters, setFilters] = useState(view.filters);
  const [sort, setSort] = useState(view.sort);
  const [deleted, setDeleted] = useState(view.deleted);
  useEffect(() => {
    setFilters(view.filters);
    setSort(view.sort);
    setDeleted(view.deleted);
  }, [view]);
  const fields = model.indexed_fields;
  const change = (i, patch) => setFilters(filters.map((f, j) => (j === i ? { ...f, ...patch } : f)));
  const apply = (event) => {
    event.preventDefault();
    onApply({ filters: filters.filter((f) => f.field), sort, deleted });
  };
  const sortFields = ["created_time", "updated_time", ...scalars.map((f) => f.path)];
  return html`<form class="filters" onSubmit=${apply} aria-label="Filters">
    ${filters.map((f, i) => {
      const kind = kindOf(model.json_schema, f.field);
      const array = fields.find((x) => x.path === f.field)?.array;
      const ops = array ? OPERATORS.filter(([op]) => op === "eq" || op === "ne") : OPERATORS;
      return html`<div class="filter-row">
        <label>Field <select value=${f.field} onChange=${(e) => change(i, { field: e.target.value })}>
          ${fields.map((x) => html`<option value=${x.path}>${x.path}</option>`)}</select></label>
        <label>Test <select value=${f.op} onChange=${(e) => change(i, { op: e.target.value })}>
          ${ops.map(([op, label]) => html`<option value=${op}>${label}</option>`)}</select></label>
        <label>Value ${kind.kind === "enum" || kind.kind === "boolean"
          ? html`<select value=${f.text} onChange=${(e) => change(i, { text: e.target.value })}>
              <option value=""></option>
              ${(kind.kind === "enum" ? kind.values : ["true", "false"]).map((v) => html`<option value=${String(v)}>${String(v)}</option>`)}
            </select>`
          : html`<input value=${f.text} inputmode=${kind.kind === "number" ? "decimal" : "text"}
              onInput=${(e) => change(i, { text: e.target.value })} />`}</label>
        <button type="button" aria-label=${`Remove the filter on ${f.field}`} onClick=${() => setFilters(filters.filter((_, j) => j !== i))}>✕</button>
      </div>`;
    })}
    <div class="filter-row">
      ${fields.length > 0 &&
      html`<button type="button" onClick=${() => setFilters([...filters, { field: fields[0].path, op: "eq", text: "" }])}>+ Filter</button>`}
      <label>Sort by <select value=${sort.field} onChange=${(e) => setSort({ ...sort, field: e.target.value })}>
        ${sortFields.map((f) => html`<option value=${f}>${f}</option>`)}</select></label>
      <label><select value=${sort.desc ? "desc" : "asc"} aria-label="Direction" onChange=${(e) => setSort({ ...sort, desc: e.target.value === "desc" })}>
        <option value="desc">newest / largest first</option><option value="asc">oldest / smallest first</option></select></label>
      <label class="check"><input type="checkbox" checked=${deleted} onChange=${(e) => setDeleted(e.target.checked)} /> Include deleted</label>
      <button type="submit" class="primary">Apply</button>
    </div>
  </form>`;
}
