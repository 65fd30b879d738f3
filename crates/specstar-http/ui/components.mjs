// Small pieces every page uses: links within the UI, times, problems, data.

import { html } from "./vendor/preact-htm.mjs";
import { segment, uiRoot } from "./api.mjs";
import { fieldPath, pretty, when } from "./format.mjs";

/** The URL path of a UI page: `page("issue", id)` is `/_/issue/<id>`. */
export function page(...parts) {
  return new URL(parts.map((p) => segment(String(p))).join("/"), uiRoot).pathname;
}

/** An instant in the browser's zone; hovering shows it in UTC. */
export function Time({ iso }) {
  const { local, utc } = when(iso);
  return html`<time datetime=${iso} title=${utc}>${local}</time>`;
}

/** An API failure for people: its status, title and detail, and its field errors if any. */
export function ProblemBox({ error, onRetry }) {
  if (!error) return null;
  const problem = error.problem || {};
  const errors = Array.isArray(problem.errors) ? problem.errors : [];
  return html`<div class="problem" role="alert">
    <strong>${error.status ? `${error.status} ` : ""}${problem.title || "Request failed"}</strong>
    <p>${error.message}</p>
    ${errors.length > 0 &&
    html`<ul>
      ${errors.map((e) => html`<li><code>${fieldPath(e.path)}</code>: ${e.reason}</li>`)}
    </ul>`}
    ${onRetry && html`<button type="button" onClick=${onRetry}>Try again</button>`}
  </div>`;
}

/** A JSON document, indented. */
export function JsonView({ value, label }) {
  return html`<pre class="json" aria-label=${label || "data"} tabindex="0">${pretty(value)}</pre>`;
}

/** A short id: the key's first and last characters, the whole id on hover. */
export function ShortId({ id }) {
  const key = String(id).split(":").slice(1).join(":") || String(id);
  const short = key.length > 14 ? `${key.slice(0, 6)}…${key.slice(-6)}` : key;
  return html`<span class="id" title=${id}>${short}</span>`;
}
