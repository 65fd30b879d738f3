// The UI's URLs are real paths under its root (`/_/issue/<id>/diff/1/3`): the server answers
// the app for any of them, and the app reads the path to know the page. Links within the UI
// change the path without a reload (history.pushState); back and forward work as usual.

import { uiRoot } from "./api.mjs";

const listeners = new Set();

/** Calls `listener()` whenever the path changes; answers the function that stops it. */
export function onNavigate(listener) {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

/** Goes to `path` (a path within the UI, with its query), adding a history entry. */
export function navigate(path) {
  if (path === location.pathname + location.search) return;
  history.pushState(null, "", path);
  window.scrollTo(0, 0);
  listeners.forEach((l) => l());
}

/**
 * The page the current path names: `{ name: "models" }`, `{ name: "resources", model }`,
 * `{ name: "resource", model, id }`, `{ name: "diff", model, id, from, to }`, or `unknown`.
 */
export function route() {
  const root = uiRoot.pathname;
  const rest = location.pathname.startsWith(root) ? location.pathname.slice(root.length) : "";
  const parts = rest.split("/").filter(Boolean).map(decodeURIComponent);
  if (parts.length === 0) return { name: "models" };
  const [model, id, what, from, to] = parts;
  if (parts.length === 1) return { name: "resources", model };
  if (parts.length === 2) return { name: "resource", model, id };
  if (parts.length === 5 && what === "diff") return { name: "diff", model, id, from, to };
  return { name: "unknown" };
}

window.addEventListener("popstate", () => listeners.forEach((l) => l()));

// A click on a link within the UI navigates in place (modifier keys open tabs as usual).
document.addEventListener("click", (event) => {
  if (event.defaultPrevented || event.button !== 0) return;
  if (event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
  const link = event.target.closest && event.target.closest("a[href]");
  if (!link || link.target || link.origin !== location.origin) return;
  if (!link.pathname.startsWith(uiRoot.pathname)) return;
  event.preventDefault();
  navigate(link.pathname + link.search);
});
