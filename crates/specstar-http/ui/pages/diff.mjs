// `/_/{model}/{id}/diff/{from}/{to}`: what changed between two revisions, from the API's diff
// (the changed leaves, old and new values), inline or side by side with both documents, the
// changed fields marked; any two revisions can be picked.

import { html, useEffect, useState } from "../vendor/preact-htm.mjs";
import { call, resourcePath } from "../api.mjs";
import { ProblemBox, ShortId, page } from "../components.mjs";
import { fieldPath } from "../format.mjs";
import { navigate } from "../router.mjs";

function show(value) {
  return value === undefined ? "(absent)" : JSON.stringify(value);
}

async function revisionData(model, id, number) {
  const { body } = await call("GET", resourcePath(model, id), {
    query: { revision_id: number, include_deleted: "true", returns: "only-data" },
  });
  return body;
}

export function DiffPage({ model, id, from, to }) {
  const [diff, setDiff] = useState(null);
  const [docs, setDocs] = useState(null);
  const [error, setError] = useState(null);
  const [sideBySide, setSideBySide] = useState(false);
  const load = () => {
    setError(null);
    Promise.all([
      call("GET", resourcePath(model.name, id, "/diff"), { query: { from, to } }),
      revisionData(model.name, id, from),
      revisionData(model.name, id, to),
    ]).then(([answer, old, now]) => {
      setDiff(answer.body);
      setDocs({ old, now });
    }, setError);
  };
  useEffect(load, [model.name, id, from, to]);
  const pick = (event) => {
    event.preventDefault();
    const form = new FormData(event.target);
    navigate(page(model.name, id, "diff", form.get("from"), form.get("to")));
  };
  return html`<section>
    <h1>${model.name} <a href=${page(model.name, id)}><${ShortId} id=${id} /></a>: revision ${from} → ${to}</h1>
    <form class="filters" onSubmit=${pick} aria-label="Revisions compared">
      <div class="filter-row">
        <label>From <input name="from" type="number" min="1" value=${from} /></label>
        <label>To <input name="to" type="number" min="1" value=${to} /></label>
        <button type="submit">Compare</button>
        <label class="check"><input type="checkbox" checked=${sideBySide}
          onChange=${(e) => setSideBySide(e.target.checked)} /> Side by side</label>
      </div>
    </form>
    <${ProblemBox} error=${error} onRetry=${load} />
    ${diff && docs && (sideBySide ? html`<${SideBySide} diff=${diff} docs=${docs} from=${from} to=${to} />` : html`<${Inline} diff=${diff} />`)}
  </section>`;
}

/** The changed fields, one row each: the field, its old value, its new value. */
function Inline({ diff }) {
  if (diff.changes.length === 0) return html`<p>No field changed between these revisions.</p>`;
  return html`<div class="table-wrap"><table class="diff">
    <thead><tr><th scope="col">Field</th><th scope="col">Old value</th><th scope="col">New value</th></tr></thead>
    <tbody>
      ${diff.changes.map(
        (c) => html`<tr data-path=${c.path}>
          <th scope="row"><code>${fieldPath(c.path)}</code></th>
          <td class="old"><code>${show(c.from)}</code></td>
          <td class="new"><code>${show(c.to)}</code></td>
        </tr>`,
      )}
    </tbody>
  </table></div>`;
}

/** Both documents side by side, the changed fields (and their parents) marked. */
function SideBySide({ diff, docs, from, to }) {
  const changed = new Set();
  for (const c of diff.changes) {
    const parts = c.path.split("/");
    for (let i = 2; i <= parts.length; i++) changed.add(parts.slice(0, i).join("/"));
  }
  return html`<div class="side-by-side">
    <div><h2>Revision ${from}</h2><${Tree} value=${docs.old} path="" changed=${changed} side="old" /></div>
    <div><h2>Revision ${to}</h2><${Tree} value=${docs.now} path="" changed=${changed} side="new" /></div>
  </div>`;
}

function Tree({ value, path, changed, side }) {
  if (value === null || typeof value !== "object") return html`<code>${JSON.stringify(value)}</code>`;
  const entries = Array.isArray(value) ? value.map((v, i) => [String(i), v]) : Object.entries(value);
  return html`<dl class="tree">
    ${entries.map(([key, item]) => {
      const at = `${path}/${key.replace(/~/g, "~0").replace(/\//g, "~1")}`;
      const mark = changed.has(at) ? `changed ${side}` : "";
      return html`<dt class=${mark}>${key}</dt><dd class=${mark}><${Tree} value=${item} path=${at} changed=${changed} side=${side} /></dd>`;
    })}
  </dl>`;
}
