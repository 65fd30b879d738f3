// Following the change feed: server-sent events read through `fetch` (an `EventSource` cannot
// send the bearer token), from the events that commit after the page was loaded
// (`since=now`), reconnecting after a failure from the last event seen.

import { apiUrl, authHeaders } from "./api.mjs";

const RETRY_MS = 2000;

/**
 * Calls `onEvent(event)` for each change of `model` committed from now on, until the returned
 * function is called. Events the caller may not read never arrive (the server filters them).
 */
export function follow(model, onEvent) {
  const stop = new AbortController();
  let since = "now";
  (async () => {
    while (!stop.signal.aborted) {
      try {
        const response = await fetch(apiUrl("/_changes", { model, since }), {
          headers: authHeaders({ Accept: "text/event-stream" }),
          signal: stop.signal,
        });
        if (!response.ok || !response.body) throw new Error(`feed: HTTP ${response.status}`);
        for await (const event of events(response.body)) {
          if (event.id) since = event.id;
          if (event.event === "change") onEvent(JSON.parse(event.data));
        }
      } catch (error) {
        if (stop.signal.aborted) return;
      }
      await new Promise((resolve) => setTimeout(resolve, RETRY_MS));
    }
  })();
  return () => stop.abort();
}

/**
 * `action`, run `ms` after a call, once for all the calls of those `ms`: what a page does on
 * each change, so that a burst of changes reads the page again once, not once per change.
 * Answers the function to call, and a `cancel` on it.
 */
export function coalesced(action, ms = 300) {
  let timer = null;
  const call = () => {
    if (timer !== null) return;
    timer = setTimeout(() => {
      timer = null;
      action();
    }, ms);
  };
  call.cancel = () => clearTimeout(timer);
  return call;
}

/** The events of a `text/event-stream` body: `{ id, event, data }` each. */
async function* events(body) {
  const reader = body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = "";
  let event = { data: "" };
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    buffer += value;
    let end;
    while ((end = buffer.indexOf("\n")) >= 0) {
      const line = buffer.slice(0, end).replace(/\r$/, "");
      buffer = buffer.slice(end + 1);
      if (line === "") {
        if (event.data || event.event) yield event;
        event = { data: "" };
        continue;
      }
      if (line.startsWith(":")) continue;
      const colon = line.indexOf(":");
      const field = colon < 0 ? line : line.slice(0, colon);
      const text = colon < 0 ? "" : line.slice(colon + 1).replace(/^ /, "");
      if (field === "data") event.data += (event.data ? "\n" : "") + text;
      else if (field === "id" || field === "event") event[field] = text;
    }
  }
}
