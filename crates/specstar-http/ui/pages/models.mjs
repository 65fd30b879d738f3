// `/_/`: every model the caller may read, with its live and deleted resources counted (by the
// model's count route, so a row scope counts only what the caller sees).

import { html, useEffect, useState } from "../vendor/preact-htm.mjs";
import { get, segment } from "../api.mjs";
import { ProblemBox, page } from "../components.mjs";

async function counted(model) {
  const path = `/${segment(model.name)}/count`;
  const [live, deleted] = await Promise.all([get(path), get(path, { is_deleted: true })]);
  return { ...model, live, deleted };
}

export function ModelsPage({ models }) {
  const [rows, setRows] = useState(null);
  const [error, setError] = useState(null);
  const load = () => {
    setError(null);
    Promise.all(models.map(counted)).then(setRows, setError);
  };
  useEffect(load, [models]);
  if (error) return html`<${ProblemBox} error=${error} onRetry=${load} />`;
  if (!models.length) {
    return html`<p>No model is registered, or none you may read (sign in with a token above).</p>`;
  }
  return html`<section>
    <h1>Models</h1>
    <div class="table-wrap"><table>
      <thead><tr><th scope="col">Model</th><th scope="col">Schema version</th>
        <th scope="col" class="num">Live</th><th scope="col" class="num">Deleted</th>
        <th scope="col">Indexed fields</th></tr></thead>
      <tbody>
        ${(rows || models).map(
          (m) => html`<tr>
            <th scope="row"><a href=${page(m.name)}>${m.name}</a></th>
            <td>${m.schema_version}</td>
            <td class="num" data-count="live">${rows ? m.live : "…"}</td>
            <td class="num" data-count="deleted">${rows ? m.deleted : "…"}</td>
            <td>${m.indexed_fields.map((f) => f.path).join(", ") || "none"}</td>
          </tr>`,
        )}
      </tbody>
    </table></div>
  </section>`;
}
