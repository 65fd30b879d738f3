// The admin UI end to end: a real `specstar serve` (the repository's model files, a fresh
// SQLite store) and Debian's headless Chromium driven by playwright-core. Creates a resource
// from the UI, edits it twice, reads the three timeline entries and their changed fields,
// opens the diff of 1 and 3, reverts to 1, deletes and restores, sees a 412 and a 422 and a
// change made elsewhere arrive live, and filters and pages the resources table; takes the
// README's screenshots on the way.
//
//   node run.mjs            the test (what .ci/run runs)
//   node run.mjs --perf     first-screen times of a 100,000-resource table and a
//                           5,000-revision timeline (reported, not asserted)
//
// SPECSTAR_BIN names the binary (default: target/debug/specstar), CHROMIUM the browser
// (default: /usr/bin/chromium).

import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { createHmac } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";

const repo = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
const binary = process.env.SPECSTAR_BIN || join(repo, "target/debug/specstar");
const browserPath = process.env.CHROMIUM || "/usr/bin/chromium";
const shots = join(repo, "docs/screenshots");
const perf = process.argv.includes("--perf");
const STEP_TIMEOUT = 10_000;

function step(text) {
  console.log(`  - ${text}`);
}

/** `specstar serve` on an ephemeral port of 127.0.0.1; resolves to its base URL. */
function serve(dataDir, extra = []) {
  const child = spawn(
    binary,
    ["serve", "--models", join(repo, "models"), "--data-dir", dataDir, "--addr", "127.0.0.1:0", ...extra],
    { env: { ...process.env, RUST_LOG: "info", NO_COLOR: "1" }, stdio: ["ignore", "ignore", "pipe"] },
  );
  const base = new Promise((resolveBase, reject) => {
    const lines = createInterface({ input: child.stderr });
    const timer = setTimeout(() => reject(new Error("serve did not start within 30 s")), 30_000);
    lines.on("line", (line) => {
      const found = line.replace(/\x1b\[[0-9;]*m/g, "").match(/serving (http:\/\/[^\s]+)/);
      if (found) {
        clearTimeout(timer);
        resolveBase(found[1].replace(/\/$/, ""));
      }
    });
    child.on("exit", (code) => reject(new Error(`serve exited with ${code}`)));
  });
  return { child, base };
}

/** A JSON request to the API, as another client would make it. */
async function api(base, method, path, body, headers = {}) {
  const response = await fetch(base + path, {
    method,
    headers: { "Content-Type": "application/json", ...headers },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${text}`);
  return text ? JSON.parse(text) : null;
}

const SECRET = "the admin UI test's secret";

/** An HS256 JWT for `sub` with `roles`, valid for ten minutes. */
function jwt(sub, roles) {
  const part = (value) => Buffer.from(JSON.stringify(value)).toString("base64url");
  const exp = Math.floor(Date.now() / 1000) + 600;
  const body = `${part({ alg: "HS256", typ: "JWT" })}.${part({ sub, roles, exp })}`;
  return `${body}.${createHmac("sha256", SECRET).update(body).digest("base64url")}`;
}

async function main() {
  const dataDir = mkdtempSync(join(tmpdir(), "specstar-ui-"));
  writeFileSync(join(dataDir, "jwt.secret"), SECRET);
  const server = serve(join(dataDir, "data"), ["--auth-jwt-secret-file", join(dataDir, "jwt.secret")]);
  let browser;
  try {
    const base = await server.base;
    browser = await chromium.launch({ executablePath: browserPath, args: ["--no-sandbox"] });
    // The README's screenshots are of this window: a laptop's, kept small.
    const page = await browser.newPage({ viewport: { width: 960, height: 640 } });
    page.setDefaultTimeout(STEP_TIMEOUT);
    const errors = [];
    page.on("pageerror", (error) => errors.push(error.message));
    try {
      if (perf) await performance(page, base);
      else await walkthrough(page, base);
    } catch (error) {
      const shot = join(tmpdir(), "specstar-ui-failure.png");
      await page.screenshot({ path: shot, fullPage: true }).catch(() => {});
      const text = await page.locator("body").innerText().catch(() => "");
      console.error(`at ${page.url()} (screenshot: ${shot}), the page says:\n${text}`);
      if (errors.length) console.error(`script errors: ${errors.join("; ")}`);
      throw error;
    }
    assert.deepEqual(errors, [], "the page raised no script error");
  } finally {
    if (browser) await browser.close();
    server.child.kill("SIGTERM");
    rmSync(dataDir, { recursive: true, force: true });
  }
}

async function walkthrough(page, base) {
  console.log(`admin UI end to end, against ${base}`);
  const { id } = await createAndEditTwice(page, base);
  await timelineAndDiff(page, base, id);
  await revertDeleteRestore(page, base, id);
  await conflictsAndLiveChanges(page, base, id);
  await resourcesTable(page, base);
  await keyboardAndPhone(page, base, id);
  await signedIn(page, base);
  console.log("admin UI: every step passed");
}

async function createAndEditTwice(page, base) {
  await page.goto(`${base}/_/`);
  await page.getByRole("link", { name: "document", exact: true }).waitFor();
  await page.locator("td[data-count=live]", { hasText: /^0$/ }).first().waitFor();
  step("the models page lists the models with their counts");
  await page.screenshot({ path: join(shots, "models.png") });

  await page.getByRole("link", { name: "document", exact: true }).click();
  await page.getByRole("button", { name: "New document" }).click();
  const editor = page.locator("#editor-text");
  await editor.fill(JSON.stringify({ title: "First", author: { name: "ann" }, word_count: -1, colour: "red" }));
  await page.getByRole("button", { name: "Create" }).click();
  await page.locator(".field-errors li", { hasText: "word_count" }).getByText("must be at least 0").waitFor();
  await page.locator(".field-errors li", { hasText: "colour" }).getByText("is not a field of the model").waitFor();
  step("the editor checks the data against the model's JSON Schema before sending it");
  // 30 February passes the browser's date parsing; the server's format check refuses it.
  await editor.fill(JSON.stringify({ title: "First", author: { name: "ann" }, due: "2026-02-30T00:00:00Z" }));
  await page.getByRole("button", { name: "Create" }).click();
  await page.locator(".field-errors li", { hasText: "due" }).getByText('is not a "date-time"').waitFor();
  step("the server's 422 is shown at its field (due)");
  await editor.fill(JSON.stringify({ title: "First", author: { name: "ann" } }));
  await page.getByRole("button", { name: "Create" }).click();
  await page.waitForURL(/\/_\/document\/document:[^/]+$/);
  const id = decodeURIComponent(new URL(page.url()).pathname.split("/").pop());
  step(`created ${id} from the UI`);

  await edit(page, (data) => ({ ...data, title: "Second" }));
  await page.locator('li.entry[data-revision="2"]').waitFor();
  await edit(page, (data) => ({ ...data, state: "review", word_count: 120 }));
  await page.locator('li.entry[data-revision="3"]').waitFor();
  step("edited it twice");
  return { id };
}

/** Opens the editor, changes the data with `change`, saves. */
async function edit(page, change) {
  await page.getByRole("button", { name: "Edit" }).click();
  const editor = page.locator("#editor-text");
  const data = JSON.parse(await editor.inputValue());
  await editor.fill(JSON.stringify(change(data), null, 2));
  await page.getByRole("button", { name: "Save" }).click();
  await page.locator("#editor-text").waitFor({ state: "detached" });
}

async function timelineAndDiff(page, base, id) {
  const entries = page.locator("li.entry");
  assert.equal(await entries.count(), 3, "three entries in the timeline");
  const entry = (n) => page.locator(`li.entry[data-revision="${n}"]`);
  assert.match(await entry(1).textContent(), /create/);
  assert.match(await entry(2).textContent(), /changed: title/);
  assert.match(await entry(3).textContent(), /changed: state word_count/);
  assert.equal(await entries.first().getAttribute("data-revision"), "3", "newest first");
  step("the timeline shows three entries, each with the fields it changed");
  await page.locator("h2", { hasText: "Timeline" }).scrollIntoViewIfNeeded();
  await page.screenshot({ path: join(shots, "resource.png") });

  await page.getByLabel("Compare revision 1").check();
  await page.getByLabel("Compare revision 3").check();
  await page.getByRole("link", { name: "Compare 1 and 3" }).click();
  await page.waitForURL(/\/diff\/1\/3$/);
  const row = (path) => page.locator(`table.diff tr[data-path="${path}"]`);
  await row("/title").waitFor();
  assert.equal(await row("/title").locator("td.old").textContent(), '"First"');
  assert.equal(await row("/title").locator("td.new").textContent(), '"Second"');
  assert.equal(await row("/state").locator("td.old").textContent(), '"draft"');
  assert.equal(await row("/state").locator("td.new").textContent(), '"review"');
  assert.equal(await row("/word_count").locator("td.new").textContent(), "120");
  step("the diff of 1 and 3 shows each field's old and new value");
  await page.screenshot({ path: join(shots, "diff.png") });
  await page.getByLabel("Side by side").check();
  await page.locator(".side-by-side dd.changed.new").first().waitFor();
  step("side by side, the changed fields are marked");
  await page.goto(`${base}/_/document/${id}`);
}

async function revertDeleteRestore(page, base, id) {
  const entry = (n) => page.locator(`li.entry[data-revision="${n}"]`);
  await entry(1).getByRole("button", { name: "Revert to this" }).click();
  await entry(4).waitFor();
  assert.match(await entry(4).textContent(), /revert/);
  assert.match(await page.locator("pre.json").textContent(), /"title": "First"/);
  step("reverted to revision 1: a new revision 4 on top, the data as it was");
  await page.getByRole("button", { name: "Delete" }).click();
  await entry(5).waitFor();
  await page.locator("h1 .badge", { hasText: "deleted" }).waitFor();
  await page.getByRole("button", { name: "Restore" }).click();
  await entry(6).waitFor();
  assert.match(await entry(6).textContent(), /restore/);
  assert.equal(await page.locator("h1 .badge").count(), 0);
  step("deleted and restored: revisions 5 and 6");
}

async function conflictsAndLiveChanges(page, base, id) {
  await page.getByRole("button", { name: "Edit" }).click();
  await api(base, "PATCH", `/document/${id}`, { title: "Changed elsewhere" }, {
    "Content-Type": "application/merge-patch+json",
  });
  const editor = page.locator("#editor-text");
  await editor.fill(JSON.stringify({ title: "Mine", author: { name: "ann" } }));
  await page.getByRole("button", { name: "Save" }).click();
  await page.locator(".problem", { hasText: "Changed by someone else" }).waitFor();
  await page.locator('li.entry[data-revision="7"]').waitFor();
  assert.equal(await editor.inputValue(), JSON.stringify({ title: "Mine", author: { name: "ann" } }));
  step("a stale edit is refused (412): \"changed by someone else\", the new revision shown, the edit kept");
  await page.getByRole("button", { name: "Save" }).click();
  await page.locator('li.entry[data-revision="8"]').waitFor();
  step("saved again on the new revision");

  await api(base, "PATCH", `/document/${id}`, { word_count: 7 }, {
    "Content-Type": "application/merge-patch+json",
  });
  await page.locator('li.entry[data-revision="9"]').waitFor();
  assert.match(await page.locator("pre.json").textContent(), /"word_count": 7/);
  step("a change made elsewhere appears without a reload (the change feed)");
}

async function resourcesTable(page, base) {
  const writes = [];
  for (let i = 0; i < 30; i++) {
    const state = i % 3 === 0 ? "published" : "review";
    writes.push(api(base, "POST", "/document", { title: `Doc ${i}`, author: { name: "bob" }, state, word_count: i }));
  }
  const created = await Promise.all(writes);
  await api(base, "DELETE", `/document/${created[1].resource_id}`);
  await page.goto(`${base}/_/document`);
  await page.getByText("30 matching").waitFor();
  await page.getByRole("button", { name: "+ Filter" }).click();
  await page.getByLabel("Field").selectOption("state");
  await page.getByLabel("Value").selectOption("review");
  await page.getByRole("button", { name: "Apply" }).click();
  await page.getByText("19 matching").waitFor();
  assert.match(page.url(), /f=state~eq~review/);
  step("filtered on state = review: 19 live matches, the filter in the URL");
  await page.getByLabel("Include deleted").check();
  await page.getByRole("button", { name: "Apply" }).click();
  await page.getByText("20 matching").waitFor();
  await page.locator("tr.deleted").first().waitFor();
  step("with the deleted one included: 20, shown as deleted");
  await page.getByRole("button", { name: "Remove the filter on state" }).click();
  await page.getByLabel("Sort by").selectOption("word_count");
  await page.getByLabel("Direction").selectOption("asc");
  await page.getByRole("button", { name: "Apply" }).click();
  await page.getByText("31 matching").waitFor();
  const rows = page.locator("table.resources tbody tr");
  await rows.nth(24).waitFor();
  assert.equal(await rows.count(), 25, "a page holds 25");
  const firstPage = await rows.first().textContent();
  await page.getByRole("button", { name: "Next →" }).click();
  await page.getByText("Page 2").waitFor();
  await page.waitForFunction(() => document.querySelectorAll("table.resources tbody tr").length === 6);
  assert.equal(await page.locator("table.resources").getAttribute("aria-busy"), "false");
  assert.equal(await page.getByRole("button", { name: "Next →" }).isDisabled(), true, "the last page");
  await page.getByRole("button", { name: "← Previous" }).click();
  await page.getByText("Page 1").waitFor();
  await page.waitForFunction(
    (text) => document.querySelector("table.resources tbody tr").textContent === text,
    firstPage,
  );
  step("paged forwards and back by cursor");
  await page.screenshot({ path: join(shots, "resources.png") });
}

/**
 * With a token, the UI shows what the caller's rules give: `ticket` (models/ticket.yaml) is
 * hidden from anonymous callers; ann, signed in, sees and creates her own tickets only.
 */
async function signedIn(page, base) {
  await page.setViewportSize({ width: 960, height: 640 });
  const admin = { Authorization: `Bearer ${jwt("ada", ["admin"])}` };
  await api(base, "POST", "/ticket", { title: "Bob's", owner: "bob" }, admin);
  await page.goto(`${base}/_/`);
  await page.getByRole("link", { name: "document", exact: true }).waitFor();
  assert.equal(await page.getByRole("link", { name: "ticket", exact: true }).count(), 0);
  step("anonymous, the models page leaves out `ticket`, which needs a token");
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.getByLabel("Bearer token").fill(jwt("ann", []));
  await page.getByRole("button", { name: "Use it" }).click();
  await page.getByRole("link", { name: "ticket", exact: true }).click();
  await page.getByText("0 matching").waitFor();
  await page.getByRole("button", { name: "New ticket" }).click();
  await page.locator("#editor-text").fill(JSON.stringify({ title: "Ann's", owner: "bob" }));
  await page.getByRole("button", { name: "Create" }).click();
  await page.locator(".problem", { hasText: "403" }).waitFor();
  step("signed in as ann: a ticket for someone else is refused (403, out of her scope)");
  await page.locator("#editor-text").fill(JSON.stringify({ title: "Ann's", owner: "ann" }));
  await page.getByRole("button", { name: "Create" }).click();
  await page.waitForURL(/\/_\/ticket\/ticket:/);
  assert.match(await page.locator("dl.meta").textContent(), /by ann/);
  await page.goto(`${base}/_/ticket`);
  await page.getByText("1 matching").waitFor();
  step("her own is created, written by her; the table shows hers alone");
  await page.getByRole("button", { name: "Sign out" }).click();
  await page.goto(`${base}/_/ticket`);
  await page.getByText("No model ticket you may read").waitFor();
  step("signed out, the ticket pages are closed again");
}

/** The resource page from the keyboard alone, and on a phone's screen without sideways scroll. */
async function keyboardAndPhone(page, base, id) {
  await page.goto(`${base}/_/document/${id}`);
  await page.locator("li.entry").first().waitFor();
  let reached = false;
  for (let i = 0; i < 40 && !reached; i++) {
    await page.keyboard.press("Tab");
    reached = await page.evaluate(() => document.activeElement?.textContent === "Edit");
  }
  assert.ok(reached, "Tab reaches the Edit button");
  await page.keyboard.press("Enter");
  await page.locator("#editor-text").waitFor();
  step("the keyboard reaches and opens the editor");
  const pages = [
    [`/_/document/${id}`, "li.entry"],
    ["/_/document", "table.resources tbody tr"],
    [`/_/document/${id}/diff/1/3`, "table.diff tbody tr"],
  ];
  await page.setViewportSize({ width: 390, height: 844 });
  for (const [path, content] of pages) {
    await page.goto(base + path);
    await page.locator(content).first().waitFor();
    const wide = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    assert.ok(wide <= 1, `${path} fits a phone's width (${wide}px too wide)`);
  }
  step("on a phone's screen no page scrolls sideways (tables scroll within their frame)");
}

/** First screens of a big table and a long timeline, in this browser, on this machine. */
async function performance(page, base) {
  const total = Number(process.env.PERF_RESOURCES || 100_000);
  const revisions = Number(process.env.PERF_REVISIONS || 5_000);
  console.log(`seeding ${total} documents and one with ${revisions} revisions…`);
  let next = 0;
  const writer = async () => {
    while (next < total) {
      const i = next++;
      await api(base, "POST", "/document", { title: `Doc ${i}`, author: { name: `user${i % 50}` }, state: "draft", word_count: i });
    }
  };
  await Promise.all(Array.from({ length: 32 }, writer));
  const long = await api(base, "POST", "/document", { title: "Long", author: { name: "ann" } });
  for (let i = 1; i < revisions; i++) {
    await api(base, "PATCH", `/document/${long.resource_id}`, { word_count: i }, {
      "Content-Type": "application/merge-patch+json",
    });
  }
  const measure = async (url, selector) => {
    const times = [];
    for (let round = 0; round < 5; round++) {
      const start = Date.now();
      await page.goto(url);
      await page.locator(selector).first().waitFor();
      times.push(Date.now() - start);
    }
    times.sort((a, b) => a - b);
    return times[2];
  };
  const table = await measure(`${base}/_/document`, "table.resources tbody tr th a");
  const timeline = await measure(`${base}/_/document/${long.resource_id}`, "li.entry");
  console.log(JSON.stringify({ resources: total + 1, table_first_screen_ms: table, revisions, timeline_first_screen_ms: timeline }));
}

main().catch((error) => {
  console.error(`admin UI end to end FAILED: ${error.stack || error}`);
  process.exit(1);
});
