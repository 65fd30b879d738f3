// Pure helpers: reading a model's JSON Schema, values at dotted paths, `qb` expressions built
// from the filter form, and times shown in the browser's zone.

/**
 * The JSON Schema of the property at dotted `path` (`author.name`) below `from` (the whole
 * schema by default), its local `$ref`s followed; `{}` when unknown. An empty path is `from`.
 */
export function schemaAt(schema, path, from = schema) {
  let node = from || {};
  for (const key of path ? path.split(".") : []) {
    node = resolve(schema, node);
    node = (node.properties && node.properties[key]) || {};
  }
  return resolve(schema, node);
}

/** A local `$ref` (`#/$defs/Severity`) followed, `anyOf` with `null` unwrapped. */
function resolve(root, node) {
  let seen = 0;
  while (node && node.$ref && node.$ref.startsWith("#/") && seen++ < 16) {
    node = node.$ref
      .slice(2)
      .split("/")
      .reduce((at, key) => (at ? at[key] : undefined), root) || {};
  }
  const options = node && (node.anyOf || node.oneOf);
  if (Array.isArray(options)) {
    const real = options.filter((o) => o.type !== "null");
    if (real.length === 1) return resolve(root, real[0]);
  }
  return node || {};
}

/** What a property holds, as the filter form treats it: string, number, boolean or enum. */
export function kindOf(schema, path) {
  const node = schemaAt(schema, path);
  if (Array.isArray(node.enum)) return { kind: "enum", values: node.enum.filter((v) => v !== null) };
  const types = Array.isArray(node.type) ? node.type.filter((t) => t !== "null") : [node.type];
  if (types.includes("integer") || types.includes("number")) return { kind: "number" };
  if (types.includes("boolean")) return { kind: "boolean" };
  return { kind: "string" };
}

/** The value at dotted `path` in `data` (`undefined` when absent). */
export function valueAt(data, path) {
  return path.split(".").reduce((at, key) => (at == null ? undefined : at[key]), data);
}

/** A value for a table cell: strings as they are, the rest as JSON, absent as empty. */
export function cell(value) {
  if (value === undefined || value === null) return "";
  return typeof value === "string" ? value : JSON.stringify(value);
}

/** A `qb` literal: a quoted string, a number, `True`/`False`, `None`. */
export function qbLiteral(value) {
  if (value === null) return "None";
  if (typeof value === "boolean") return value ? "True" : "False";
  if (typeof value === "number") return String(value);
  return `'${String(value).replace(/\\/g, "\\\\").replace(/'/g, "\\'")}'`;
}

/** The qb method of each filter operator the form offers. */
export const OPERATORS = [
  ["eq", "="],
  ["ne", "≠"],
  ["gt", ">"],
  ["gte", "≥"],
  ["lt", "<"],
  ["lte", "≤"],
  ["contains", "contains"],
];

/**
 * The `qb` expression of `filters` (`{ field, op, value }`, value already typed) and a sort
 * (`{ field, desc }`; a meta field is `created_time` or `updated_time`), or "" for neither.
 */
export function buildQb(filters, sort) {
  const conditions = filters.map(
    (f) => `QB[${qbLiteral(f.field)}].${f.op}(${qbLiteral(f.value)})`,
  );
  const base = conditions.length ? `QB.all(${conditions.join(", ")})` : "QB.all()";
  if (!sort) return conditions.length ? base : "";
  const field =
    sort.field === "created_time" || sort.field === "updated_time"
      ? `QB.${sort.field}()`
      : `QB[${qbLiteral(sort.field)}]`;
  return `${base}.sort(${field}.${sort.desc ? "desc" : "asc"}())`;
}

/** The typed value of a filter's text for a field of `kind` (a number, a boolean, a string). */
export function typedValue(text, kind) {
  if (kind === "number") {
    const number = Number(text);
    return text.trim() !== "" && Number.isFinite(number) ? number : null;
  }
  if (kind === "boolean") return text === "true";
  return text;
}

/** An instant as the browser's zone shows it, and its UTC form for the tooltip. */
export function when(iso) {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return { local: iso || "", utc: iso || "" };
  return { local: date.toLocaleString(), utc: date.toISOString() };
}

/** Data as people read it: indented JSON. */
export function pretty(value) {
  return JSON.stringify(value, null, 2);
}

/**
 * A field's path as people read it (`author.name`, `tags[0]`): from a validation error's
 * JSON path (`$.author.name`) or a diff's JSON Pointer (`/author/name`).
 */
export function fieldPath(path) {
  if (!path || path === "$" || path === "/") return "(the whole document)";
  if (path.startsWith("$")) return path.replace(/^\$\.?/, "");
  return path
    .split("/")
    .slice(1)
    .map((p) => p.replace(/~1/g, "/").replace(/~0/g, "~"))
    .join(".");
}

/** The last key a field path names (`$.author.name` → `name`), to find it in a text. */
export function lastKey(path) {
  const readable = fieldPath(path);
  const match = readable.match(/([^.[\]]+)\]?$/);
  return match ? match[1] : "";
}
