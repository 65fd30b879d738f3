// The public REST API, as the admin UI calls it: every request goes to the API the page was
// served by (the page's base is `<api>/_/`), with the bearer token the person gave, if any.

/** The API's root URL: the directory above the UI's base (`/_/` → `/`, `/api/_/` → `/api/`). */
export const apiRoot = new URL("..", document.baseURI);

/** The UI's own root (`/_/`), for links between its pages. */
export const uiRoot = new URL(".", document.baseURI);

const TOKEN_KEY = "specstar.token";

/** The bearer token kept for this tab (session storage: gone when the tab closes). */
export function token() {
  return sessionStorage.getItem(TOKEN_KEY) || "";
}

/** Keeps `value` as the token (or forgets it, when empty). */
export function setToken(value) {
  if (value) sessionStorage.setItem(TOKEN_KEY, value);
  else sessionStorage.removeItem(TOKEN_KEY);
}

/** An answer the API refused: its status and RFC 9457 problem (`code`, `detail`, `errors`…). */
export class ApiError extends Error {
  constructor(status, problem) {
    super(problem.detail || problem.title || `HTTP ${status}`);
    this.status = status;
    this.problem = problem;
  }
}

/** The URL of `path` (relative to the API root) with `query`'s entries (arrays repeat). */
export function apiUrl(path, query = {}) {
  const url = new URL(path.replace(/^\//, ""), apiRoot);
  for (const [key, value] of Object.entries(query)) {
    if (value === undefined || value === null || value === "") continue;
    for (const item of Array.isArray(value) ? value : [value]) {
      url.searchParams.append(key, String(item));
    }
  }
  return url;
}

/** The headers every request sends: the token, and what it accepts. */
export function authHeaders(extra = {}) {
  const headers = { Accept: "application/json", ...extra };
  const bearer = token();
  if (bearer) headers.Authorization = `Bearer ${bearer}`;
  return headers;
}

/**
 * Sends one request. Answers `{ status, body, headers }` for a 2xx or 304; throws an `ApiError`
 * with the problem otherwise (or a plain one when the server sent no JSON).
 */
export async function call(method, path, { query, body, headers, contentType } = {}) {
  const init = { method, headers: authHeaders(headers) };
  if (body !== undefined) {
    init.headers["Content-Type"] = contentType || "application/json";
    init.body = JSON.stringify(body);
  }
  const response = await fetch(apiUrl(path, query), init);
  const text = await response.text();
  let parsed = null;
  try {
    parsed = text ? JSON.parse(text) : null;
  } catch {
    parsed = { detail: text.slice(0, 200) };
  }
  if (!response.ok && response.status !== 304) {
    throw new ApiError(response.status, parsed || {});
  }
  return { status: response.status, body: parsed, headers: response.headers };
}

/** `GET path` and its body. */
export async function get(path, query) {
  return (await call("GET", path, { query })).body;
}

/** A path segment, escaped but for the colons of ids (`issue:0193…`), which paths allow. */
export function segment(text) {
  return encodeURIComponent(text).replace(/%3A/gi, ":");
}

/** The path of a resource's routes: `/{model}/{id}` (the id is the full one). */
export function resourcePath(model, id, rest = "") {
  return `/${segment(model)}/${segment(id)}${rest}`;
}
