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

const same = (a, b) => JSON.stringify(a) === JSON.stringify(b);

/** The reasons a value breaks the keywords of `node` that hold of the value itself. */
function ownReasons(node, value) {
  const reasons = [];
  const wanted = Array.isArray(node.type) ? node.type : node.type ? [node.type] : [];
  if (wanted.length && !typesOf(value).some((t) => wanted.includes(t))) {
    return [`must be ${wanted.join(" or ")}`];
  }
  if (Array.isArray(node.enum) && !node.enum.some((v) => same(v, value))) {
    reasons.push(`must be one of ${node.enum.map((v) => JSON.stringify(v)).join(", ")}`);
  }
  if ("const" in node && !same(node.const, value)) reasons.push(`must be ${JSON.stringify(node.const)}`);
  if (typeof value === "number") {
    if (node.minimum !== undefined && value < node.minimum) reasons.push(`must be at least ${node.minimum}`);
    if (node.maximum !== undefined && value > node.maximum) reasons.push(`must be at most ${node.maximum}`);
    if (node.exclusiveMinimum !== undefined && value <= node.exclusiveMinimum) reasons.push(`must be over ${node.exclusiveMinimum}`);
    if (node.exclusiveMaximum !== undefined && value >= node.exclusiveMaximum) reasons.push(`must be under ${node.exclusiveMaximum}`);
  }
  if (typeof value === "string") {
    const length = [...value].length;
    if (node.minLength !== undefined && length < node.minLength) reasons.push(`must have at least ${node.minLength} characters`);
    if (node.maxLength !== undefined && length > node.maxLength) reasons.push(`must have at most ${node.maxLength} characters`);
    if (node.format === "date-time" && Number.isNaN(Date.parse(value))) reasons.push("must be an RFC 3339 time");
    if (node.pattern) {
      try {
        if (!new RegExp(node.pattern, "u").test(value)) reasons.push(`must match ${node.pattern}`);
      } catch {
        // A pattern this browser cannot read is left to the server.
      }
    }
  }
  if (Array.isArray(value)) {
    if (node.minItems !== undefined && value.length < node.minItems) reasons.push(`must have at least ${node.minItems} items`);
    if (node.maxItems !== undefined && value.length > node.maxItems) reasons.push(`must have at most ${node.maxItems} items`);
  }
  return reasons;
}

/** Field errors `{path, reason}` of `value` at `path` against `node` and what it contains. */
function walk(root, node, value, path, errors) {
  node = schemaAt(root, "", node);
  for (const reason of ownReasons(node, value)) errors.push({ path, reason });
  if (Array.isArray(value) && node.items && typeof node.items === "object") {
    value.forEach((item, i) => walk(root, node.items, item, `${path}[${i}]`, errors));
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) return;
  for (const key of node.required || []) {
    if (!(key in value)) errors.push({ path: `${path}.${key}`, reason: "is required" });
  }
  const properties = node.properties || {};
  for (const [key, item] of Object.entries(value)) {
    if (key in properties) walk(root, properties[key], item, `${path}.${key}`, errors);
    else if (node.additionalProperties === false) errors.push({ path: `${path}.${key}`, reason: "is not a field of the model" });
  }
}

/**
 * Field errors `{path, reason}` of `value` against the model's JSON Schema, before the
 * server's: types, enums, required and unknown fields, bounds and lengths, at every depth. The
 * server checks everything (these are what a person most often gets wrong, caught at once).
 */
export function check(schema, value) {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    return [{ path: "$", reason: "the data must be a JSON object" }];
  }
  const errors = [];
  walk(schema || {}, schema || {}, value, "$", errors);
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
