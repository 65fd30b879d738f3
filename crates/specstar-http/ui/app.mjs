// The admin UI: the shell (header, breadcrumbs, the token box) and the page the path names.
// It reads the models from `GET /_models` and everything else from the models' own routes.

import { html, render, useEffect, useState } from "./vendor/preact-htm.mjs";
import { get, setToken, token } from "./api.mjs";
import { ProblemBox, ShortId, page } from "./components.mjs";
import { DiffPage } from "./pages/diff.mjs";
import { ModelsPage } from "./pages/models.mjs";
import { ResourcePage } from "./pages/resource.mjs";
import { ResourcesPage } from "./pages/resources.mjs";
import { onNavigate, route } from "./router.mjs";

/** The token box: a bearer token kept in this tab's session storage, or none (anonymous). */
function SignIn({ onChange }) {
  const [open, setOpen] = useState(false);
  const signedIn = Boolean(token());
  const submit = (event) => {
    event.preventDefault();
    setToken(new FormData(event.target).get("token").trim());
    setOpen(false);
    onChange();
  };
  if (signedIn && !open) {
    return html`<div class="signin"><span>Signed in with a token</span>
      <button type="button" onClick=${() => { setToken(""); onChange(); }}>Sign out</button></div>`;
  }
  if (!open) return html`<div class="signin"><button type="button" onClick=${() => setOpen(true)}>Sign in</button></div>`;
  return html`<form class="signin" onSubmit=${submit}>
    <label>Bearer token <input name="token" type="password" autocomplete="off" required /></label>
    <button type="submit" class="primary">Use it</button>
    <button type="button" onClick=${() => setOpen(false)}>Cancel</button>
  </form>`;
}

function Breadcrumbs({ at }) {
  const crumbs = [html`<a href=${page()}>Models</a>`];
  if (at.model) crumbs.push(html`<a href=${page(at.model)}>${at.model}</a>`);
  if (at.id) crumbs.push(html`<a href=${page(at.model, at.id)}><${ShortId} id=${at.id} /></a>`);
  if (at.name === "diff") crumbs.push(html`<span>diff ${at.from} → ${at.to}</span>`);
  return html`<nav class="crumbs" aria-label="Breadcrumbs">${crumbs.map((c, i) => html`${i > 0 && " / "}${c}`)}</nav>`;
}

function Page({ at, models }) {
  if (at.name === "models") return html`<${ModelsPage} models=${models} />`;
  const model = models.find((m) => m.name === at.model);
  if (!model) return html`<p>No model <code>${at.model}</code> you may read. <a href=${page()}>All models</a></p>`;
  if (at.name === "resources") return html`<${ResourcesPage} model=${model} search=${location.search} />`;
  if (at.name === "resource") return html`<${ResourcePage} key=${at.id} model=${model} id=${at.id} />`;
  if (at.name === "diff") return html`<${DiffPage} model=${model} id=${at.id} from=${at.from} to=${at.to} />`;
  return html`<p>No such page. <a href=${page()}>All models</a></p>`;
}

function App() {
  const [at, setAt] = useState(route);
  const [search, setSearch] = useState(location.search);
  const [models, setModels] = useState(null);
  const [error, setError] = useState(null);
  const [session, setSession] = useState(0);
  useEffect(() => onNavigate(() => { setAt(route()); setSearch(location.search); }), []);
  useEffect(() => {
    setError(null);
    get("/_models").then((body) => setModels(body.models), setError);
  }, [session]);
  return html`<header>
      <a class="brand" href=${page()}>specstar</a>
      <${Breadcrumbs} at=${at} />
      <${SignIn} onChange=${() => setSession(session + 1)} />
    </header>
    <main id="main" key=${`${session}${search}`}>
      ${error && html`<${ProblemBox} error=${error} onRetry=${() => setSession(session + 1)} />`}
      ${models && html`<${Page} at=${at} models=${models} />`}
    </main>`;
}

render(html`<${App} />`, document.getElementById("app"));
