// The JSON editor of creates and edits: the data as indented JSON, checked against the model's
// JSON Schema before it is sent (its shape: required fields, types, enums), then by the
// server, whose 422 field errors are listed at their fields (choosing one selects it).

import { html, useRef, useState } from "./vendor/preact-htm.mjs";
import { ProblemBox } from "./components.mjs";
import { fieldPath, lastKey, pretty, schemaAt } from "./format.mjs";

/** The JSON types a value has (`integer` is a `number` too). */
function typesOf(value) {
  if (value === null) return ["null"];
  if (Array.isArray(value)) return ["array"];
  if (typeof value === "number") return Number.isInteger(value) ? ["integer", "number"] : ["number"];
  return [typeof value];
}

/** Field errors `{path, reason}` of `value` against the top of `schema`, before the server's. */
export function check(schema, value) {
  const errors = [];
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    return [{ path: "$", reason: "the data must be a JSON object" }];
  }
  for (const key of (schema && schema.required) || []) {
    if (!(key in value)) errors.push({ path: `$.${key}`, reason: "is required" });
  }
  for (const [key, item] of Object.entries(value)) {
    const node = schemaAt(schema, key);
    if (Array.isArray(node.enum) && !node.enum.some((v) => JSON.stringify(v) === JSON.stringify(item))) {
      errors.push({ path: `$.${key}`, reason: `must be one of ${node.enum.map((v) => JSON.stringify(v)).join(", ")}` });
      continue;
    }
    const wanted = Array.isArray(node.type) ? node.type : node.type ? [node.type] : [];
    if (wanted.length && !typesOf(item).some((t) => wanted.includes(t))) {
      errors.push({ path: `$.${key}`, reason: `must be ${wanted.join(" or ")}` });
    }
  }
  return errors;
}

/** Selects the text of the field at `path` (its key) in the textarea, to show where it is. */
function selectField(area, path) {
  if (!area) return;
  const key = lastKey(path);
  const at = key ? area.value.indexOf(`"${key}"`) : 0;
  area.focus();
  if (at >= 0) area.setSelectionRange(at, at + (key ? key.length + 2 : 0));
}

/**
 * The editor: `initial` data, `onSubmit(value)` (a promise; a thrown `ApiError` is shown, its
 * field errors at their fields), `onCancel` to close it.
 */
export function JsonEditor({ schema, initial, submitLabel, onSubmit, onCancel, notice }) {
  const [text, setText] = useState(() => pretty(initial));
  const [errors, setErrors] = useState([]);
  const [failure, setFailure] = useState(null);
  const [busy, setBusy] = useState(false);
  const area = useRef(null);
  const submit = async (event) => {
    event.preventDefault();
    setFailure(null);
    let value;
    try {
      value = JSON.parse(text);
    } catch (error) {
      setErrors([{ path: "$", reason: `not JSON: ${error.message}` }]);
      return;
    }
    const found = check(schema, value);
    setErrors(found);
    if (found.length) return;
    setBusy(true);
    try {
      await onSubmit(value);
    } catch (error) {
      const fieldErrors = (error.problem && error.problem.errors) || [];
      setErrors(fieldErrors);
      setFailure(error);
    } finally {
      setBusy(false);
    }
  };
  return html`<form class="editor" onSubmit=${submit}>
    ${notice && html`<p class="notice" role="status">${notice}</p>`}
    <label for="editor-text">Data (JSON)</label>
    <textarea id="editor-text" ref=${area} rows="14" spellcheck="false" value=${text}
      aria-invalid=${errors.length > 0} onInput=${(e) => setText(e.target.value)}></textarea>
    ${errors.length > 0 &&
    html`<ul class="field-errors" aria-label="Field errors">
      ${errors.map(
        (e) => html`<li><button type="button" class="link" onClick=${() => selectField(area.current, e.path || "$")}>
          <code>${fieldPath(e.path)}</code></button> ${e.reason}</li>`,
      )}
    </ul>`}
    ${failure && !(failure.problem && failure.problem.errors && failure.problem.errors.length) && html`<${ProblemBox} error=${failure} />`}
    <div class="actions">
      <button type="submit" class="primary" disabled=${busy}>${busy ? "Saving…" : submitLabel}</button>
      <button type="button" onClick=${onCancel}>Cancel</button>
    </div>
  </form>`;
}
