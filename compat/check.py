#!/usr/bin/env python3
"""HTTP compatibility check: the Rust server against the Python reference (specstar 0.12.3).

Drives one scenario (the quickstart's life of an issue, plus bad inputs) against each server,
records every response's status, a few headers and the SHAPE of its JSON body (keys and JSON
types, recursively; values, ids and times are ignored; a list is described by its first
element), and compares the two runs step by step:

* the status codes must be equal;
* every key the reference sends must be in Rust's answer, with the same JSON type;
* the watched headers (ETag, X-Has-More, X-Total-Count) the reference sends must be sent too,
  and the body's media type must be the same;
* keys and headers that only Rust sends are notes, never failures;

except for the differences on ALLOWED below, each of which names its step(s), what differs and
why (a point of the product contract in docs/contract.md; COMPATIBILITY.md at the repository root
describes each one). An allow-list entry that no longer matches anything is a failure too, so
the list stays exactly the set of differences the servers really have.

Usage (compat/run.sh starts both servers and runs this):

    python3 compat/check.py --reference http://127.0.0.1:8001 --rust http://127.0.0.1:8002

Exit status: 0 when the runs match modulo the allow-list, 1 otherwise. Standard library only.
"""

from __future__ import annotations

import argparse
import fnmatch
import json
import os
import re
import sys
import urllib.error
import urllib.parse
import urllib.request
import uuid
from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional, Tuple

# Headers whose presence is compared (by name, case-insensitive); values are ids and hashes.
WATCHED_HEADERS = ("etag", "x-has-more", "x-total-count")

# --------------------------------------------------------------------------------------------
# The allow-list: the differences the product contract (docs/contract.md) calls for.
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Allowed:
    """One allowed difference.

    id: the name of its section in COMPATIBILITY.md; steps: step names (fnmatch patterns); what: the difference's subject, e.g. "status",
    "content-type", "header:etag", "RevisionInfo.uid", "Error.detail"; kind: "status",
    "missing" (the reference sends it, Rust does not), "extra" (only Rust sends it), "type"
    (both send it, as different JSON types) or "media"; ref/rust: the exact values on each side
    when they matter (a status, a type, a media type); reason: one line, pointing at docs/contract.md.
    """

    id: str
    steps: Tuple[str, ...]
    what: str
    kind: str
    reason: str
    ref: Optional[str] = None
    rust: Optional[str] = None

    def matches(self, d: "Difference") -> bool:
        return (
            any(fnmatch.fnmatchcase(d.step, pattern) for pattern in self.steps)
            and self.what == d.what
            and self.kind == d.kind
            and (self.ref is None or self.ref == d.ref)
            and (self.rust is None or self.rust == d.rust)
        )


PRECONDITION_STEPS = (
    "PUT If-None-Match: * on existing id",
    "PUT stale expected_revision_id",
    "PUT stale If-Match",
)
# Reads of one resource (GET /issue/{id}…), which answer with its ETag in Rust.
READ_STEPS = (
    "get",
    "get returns=only-data",
    "get /data",
    "get /meta",
    "get /revision-info",
    "get /full",
    "get partial=/title",
    "get after switch",
    "get old revision after delete, include_deleted=true",
)
# Lifecycle writes (answering the meta), which send the ETag of the now current revision in
# Rust; the reference sends none there.
LIFECYCLE_STEPS = (
    "switch to revision 1 (full id)",
    "switch to revision 1 (bare number)",
    "delete",
    "restore",
    "restore again",
)

ALLOWED: List[Allowed] = [
    # --- status codes ---------------------------------------------------------------------
    Allowed(
        "create-201",
        ("create",), "status", "status", ref="200", rust="201",
        reason="contract §6 'HTTP API': `POST /issue` is 'create; 201 with revision info'",
    ),
    Allowed(
        "put-create-201",
        ("PUT If-None-Match: * (create with id)",), "status", "status", ref="200", rust="201",
        reason="contract §2 'Ids': PUT with If-None-Match: * is a create, "
        "answered like `POST /issue` (201, 'HTTP API')",
    ),
    Allowed(
        "old-revision-after-delete",
        ("get old revision after delete",), "status", "status", ref="410", rust="200",
        reason="contract §4 'Writes' and §9: every revision "
        "stays readable by revision id after delete",
    ),
    Allowed(
        "unknown-fields-refused",
        ("POST unknown field",), "status", "status", ref="200", rust="422",
        reason="contract §5 'Validation': unknown fields are refused by default "
        "(the reference silently drops them)",
    ),
    Allowed(
        "malformed-json-400",
        ("POST malformed JSON",), "status", "status", ref="422", rust="400",
        reason="contract §5 'Validation': malformed JSON is 400 (the reference "
        "answers FastAPI's 422 json_invalid array)",
    ),
    Allowed(
        "revision-not-found-404",
        ("GET unknown revision id",), "status", "status", ref="400", rust="404",
        reason="contract §2 'Ids': unknown ids get a distinct, clear error; the "
        "reference's 400 is its memory store's raw KeyError (study §9 #12)",
    ),
    # --- the error shape --------------------------------------------------------------------
    Allowed(
        "detail-is-a-string",
        PRECONDITION_STEPS + ("POST malformed JSON",), "Error.detail", "type", rust="string",
        reason="contract §6 'HTTP API': one RFC 9457 error shape, `detail` always a human "
        "string (the reference sends a dict on 412 and FastAPI's array on malformed JSON)",
    ),
    Allowed(
        "problem-json",
        ("*",), "content-type", "media",
        ref="application/json", rust="application/problem+json",
        reason="contract §6 'HTTP API': errors are RFC 9457 problem details, sent as "
        "application/problem+json",
    ),
    # --- headers ----------------------------------------------------------------------------
    Allowed(
        "etag-on-reads",
        READ_STEPS + LIFECYCLE_STEPS, "header:etag", "extra",
        reason="contract §6 'HTTP API': the ETag is sent, unlike the reference, on every GET of "
        "one resource (and on every write, lifecycle writes included)",
    ),
    # --- records: keys the reference sends that the Rust records do not have ---------------
    Allowed(
        "revision-info-uid",
        ("*",), "RevisionInfo.uid", "missing",
        reason="contract §3 'Revision info' lists the fields; the revision id is "
        "the immutable key (no per-row storage uid: nothing is rewritten in place)",
    ),
]

# --------------------------------------------------------------------------------------------
# Talking to a server.
# --------------------------------------------------------------------------------------------


@dataclass
class Response:
    status: int
    headers: Dict[str, str]
    body: Any  # parsed JSON, or None when the body is empty
    raw: str
    media: str  # the content type's essence, "" when none
    error: Optional[str] = None  # a transport failure


def request(
    base: str,
    method: str,
    path: str,
    body: Any = None,
    raw: Optional[bytes] = None,
    content_type: str = "application/json",
    headers: Optional[Dict[str, str]] = None,
    timeout: float = 15.0,
) -> Response:
    data = raw if raw is not None else (None if body is None else json.dumps(body).encode())
    req = urllib.request.Request(base.rstrip("/") + path, data=data, method=method)
    if data is not None:
        req.add_header("Content-Type", content_type)
    req.add_header("Accept", "application/json")
    for name, value in (headers or {}).items():
        req.add_header(name, value)
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            status, hdrs, payload = r.status, r.headers, r.read()
    except urllib.error.HTTPError as e:
        status, hdrs, payload = e.code, e.headers, e.read()
    except (urllib.error.URLError, OSError) as e:
        return Response(0, {}, None, "", "", error=str(e))
    text = payload.decode("utf-8", "replace")
    try:
        parsed = json.loads(text) if text.strip() else None
    except ValueError:
        parsed = None
    header_map = {k.lower(): v for k, v in hdrs.items()}
    media = header_map.get("content-type", "").split(";")[0].strip().lower()
    return Response(status, header_map, parsed, text, media)


# --------------------------------------------------------------------------------------------
# Shapes.
# --------------------------------------------------------------------------------------------


def json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    return "object"


def shape(value: Any) -> Any:
    """Keys and JSON types, recursively; a list is described by its first element."""
    if isinstance(value, dict):
        return {k: shape(v) for k, v in value.items()}
    if isinstance(value, list):
        return [shape(value[0])] if value else []
    return json_type(value)


def record_kind(obj: Dict[str, Any]) -> Optional[str]:
    """What record a JSON object is, so that differences are named by record and key."""
    keys = set(obj)
    if "revision_id" in keys and "data_hash" in keys:
        return "RevisionInfo"
    if "current_revision_id" in keys:
        return "ResourceMeta"
    if "revisions" in keys:
        return "RevisionList"
    if keys and keys <= {"data", "revision_info", "meta"}:
        return "Envelope"
    if "detail" in keys:
        return "Error"
    if "title" in keys:
        return "Issue"
    return None


# --------------------------------------------------------------------------------------------
# The scenario.
# --------------------------------------------------------------------------------------------


@dataclass
class Step:
    name: str
    method: str
    path: str
    response: Response


@dataclass
class Run:
    base: str
    steps: List[Step] = field(default_factory=list)

    def do(self, name: str, method: str, path: str, **kw: Any) -> Response:
        r = request(self.base, method, path, **kw)
        self.steps.append(Step(name, method, path, r))
        return r


def q(value: str) -> str:
    return urllib.parse.quote(value, safe="")


def get_key(r: Response, key: str, default: str) -> str:
    if isinstance(r.body, dict) and isinstance(r.body.get(key), str):
        return r.body[key]
    return default


def scenario(base: str, run_tag: str) -> Run:
    """One life of an issue, then bad inputs. Ids come from each server's own answers."""
    run = Run(base)
    first = {"title": "Search returns duplicate results", "severity": "high", "assignee": "alice"}

    created = run.do("create", "POST", "/issue", body=first)
    rid = get_key(created, "resource_id", "issue:unknown")
    rev1 = get_key(created, "revision_id", rid + ":1")
    etag1 = created.headers.get("etag", '"%s"' % rev1)
    one = "/issue/" + q(rid)

    run.do("get", "GET", one)
    run.do("get returns=only-data", "GET", one + "?returns=only-data")
    run.do("get /data", "GET", one + "/data")
    run.do("get /meta", "GET", one + "/meta")
    run.do("get /revision-info", "GET", one + "/revision-info")
    run.do("get /full", "GET", one + "/full")
    run.do("get partial=/title", "GET", one + "?partial=" + q("/title"))

    second = {"title": first["title"], "assignee": "bob", "status": "in_progress"}
    run.do("update (PUT)", "PUT", one, body=second)
    run.do(
        "JSON Patch",
        "PATCH",
        one,
        body=[{"op": "replace", "path": "/status", "value": "resolved"}],
        content_type="application/json-patch+json",
    )
    run.do(
        "merge patch",
        "PATCH",
        one,
        body={"assignee": "carol"},
        content_type="application/merge-patch+json",
    )
    run.do("revision-list", "GET", one + "/revision-list")
    run.do("switch to revision 1 (full id)", "POST", one + "/switch/" + q(rev1))
    run.do("switch to revision 1 (bare number)", "POST", one + "/switch/1")
    run.do("get after switch", "GET", one + "?returns=only-data")

    branch = {"title": "Branch from 1", "severity": "low"}
    run.do("PUT new body", "PUT", one, body=branch)
    run.do("PUT same body again (dedup)", "PUT", one, body=branch)

    run.do("delete", "DELETE", one)
    run.do("get after delete", "GET", one)
    run.do("get old revision after delete", "GET", one + "?revision_id=" + q(rev1))
    run.do(
        "get old revision after delete, include_deleted=true",
        "GET",
        one + "?revision_id=" + q(rev1) + "&include_deleted=true",
    )
    run.do("delete again", "DELETE", one)
    run.do("restore", "POST", one + "/restore")
    restored = run.do("restore again", "POST", one + "/restore")
    current = get_key(restored, "current_revision_id", rev1)

    key = "compat-" + run_tag
    put_create = run.do(
        "PUT If-None-Match: * (create with id)",
        "PUT",
        "/issue/" + q(key),
        body={"title": "Created with a chosen id"},
        headers={"If-None-Match": "*"},
    )
    run.do(
        "PUT If-None-Match: * on existing id",
        "PUT",
        "/issue/" + q(get_key(put_create, "resource_id", key)),
        body={"title": "Created with a chosen id, again"},
        headers={"If-None-Match": "*"},
    )
    run.do(
        "PUT stale expected_revision_id",
        "PUT",
        one + "?expected_revision_id=" + q(rev1),
        body={"title": "stale writer"},
    )
    run.do(
        "PUT stale If-Match",
        "PUT",
        one,
        body={"title": "stale writer"},
        headers={"If-Match": etag1},
    )
    run.do(
        "PUT current If-Match",
        "PUT",
        one,
        body={"title": "fresh writer"},
        headers={"If-Match": '"%s"' % current},
    )
    run.do(
        "PUT unknown id (no If-None-Match)",
        "PUT",
        "/issue/" + q("compat-unknown-" + run_tag),
        body={"title": "not an upsert"},
    )

    run.do("POST malformed JSON", "POST", "/issue", raw=b'{"title": ')
    run.do("POST missing required field", "POST", "/issue", body={"severity": "low"})
    run.do("POST bad enum value", "POST", "/issue", body={"title": "t", "severity": "urgent"})
    run.do("POST unknown field", "POST", "/issue", body={"title": "t", "bogus": 1})
    run.do("GET unknown id", "GET", "/issue/" + q("issue:nope"))
    run.do("switch to bad revision", "POST", one + "/switch/whatever")
    run.do("GET unknown revision id", "GET", one + "?revision_id=" + q(rid + ":99"))

    run.do("permanently delete", "DELETE", one + "/permanently")
    run.do("get after permanent delete", "GET", one)
    return run


# --------------------------------------------------------------------------------------------
# Comparing.
# --------------------------------------------------------------------------------------------


@dataclass
class Difference:
    step: str
    kind: str  # status | missing | extra | type | media
    what: str
    where: str  # a JSON path or a header name
    ref: Optional[str] = None
    rust: Optional[str] = None
    allowed_by: Optional[Allowed] = None

    def describe(self) -> str:
        if self.kind == "status":
            return "status %s (reference) vs %s (Rust)" % (self.ref, self.rust)
        if self.kind == "missing":
            return "%s at %s: sent by the reference, not by Rust" % (self.what, self.where)
        if self.kind == "extra":
            return "%s at %s: sent by Rust only" % (self.what, self.where)
        if self.kind == "type":
            return "%s at %s: %s (reference) vs %s (Rust)" % (
                self.what, self.where, self.ref, self.rust)
        return "%s: %s (reference) vs %s (Rust)" % (self.what, self.ref, self.rust)


def _name(obj: Dict[str, Any], key: str, path: str) -> str:
    kind = record_kind(obj)
    return "%s.%s" % (kind, key) if kind else "%s.%s" % (path, key)


def compare_bodies(step: str, ref: Any, rust: Any, path: str, out: List[Difference]) -> None:
    if isinstance(ref, dict):
        if not isinstance(rust, dict):
            out.append(Difference(step, "type", path, path, "object", json_type(rust)))
            return
        for key, value in ref.items():
            sub = "%s.%s" % (path, key)
            if key not in rust:
                out.append(Difference(step, "missing", _name(ref, key, path), sub))
            else:
                compare_value(step, ref, key, value, rust[key], sub, out)
        for key in rust:
            if key not in ref:
                out.append(Difference(step, "extra", _name(rust, key, path), "%s.%s" % (path, key)))
        return
    if isinstance(ref, list):
        if not isinstance(rust, list):
            out.append(Difference(step, "type", path, path, "array", json_type(rust)))
            return
        if ref and not rust:
            out.append(Difference(step, "type", path, path, "non-empty array", "empty array"))
        elif ref and rust:
            compare_bodies(step, ref[0], rust[0], path + "[]", out)
        return
    if json_type(ref) != json_type(rust):
        out.append(Difference(step, "type", path, path, json_type(ref), json_type(rust)))


def compare_value(
    step: str, parent: Dict[str, Any], key: str, ref: Any, rust: Any, path: str,
    out: List[Difference],
) -> None:
    """Compares one member; a type difference is named by the parent record and key."""
    if json_type(ref) != json_type(rust):
        out.append(Difference(step, "type", _name(parent, key, path.rsplit(".", 1)[0]), path,
                              json_type(ref), json_type(rust)))
        return
    compare_bodies(step, ref, rust, path, out)


def compare_error_detail(step: str, ref: Any, rust: Any, out: List[Difference]) -> None:
    """The reference's structured `detail` (a dict on 412) against Rust's problem members.

    Rust's `detail` is the human string (the reference's `message`); the other members of the
    reference's dict (code, expected_revision_id, …) must be top-level problem members.
    """
    if not (isinstance(ref, dict) and isinstance(rust, dict)):
        return
    detail = ref.get("detail")
    if not isinstance(detail, dict) or isinstance(rust.get("detail"), dict):
        return
    for key, value in detail.items():
        if key == "message":
            continue
        where = "$.%s (the reference's $.detail.%s)" % (key, key)
        if key not in rust:
            out.append(Difference(step, "missing", "Error.detail.%s" % key, where))
        elif json_type(rust[key]) != json_type(value):
            out.append(Difference(step, "type", "Error.detail.%s" % key, where,
                                  json_type(value), json_type(rust[key])))


def same_class(a: int, b: int) -> bool:
    return a // 100 == b // 100


def compare_steps(ref: Step, rust: Step) -> List[Difference]:
    out: List[Difference] = []
    a, b = ref.response, rust.response
    if a.status != b.status:
        d = Difference(ref.name, "status", "status", "status", str(a.status), str(b.status))
        allow(d)
        out.append(d)
        if d.allowed_by is None or not same_class(a.status, b.status):
            return out  # different outcomes: the bodies are not comparable
    for header in WATCHED_HEADERS:
        if header in a.headers and header not in b.headers:
            out.append(Difference(ref.name, "missing", "header:" + header, header))
        elif header in b.headers and header not in a.headers:
            out.append(Difference(ref.name, "extra", "header:" + header, header))
    if a.media != b.media and (a.raw.strip() or b.raw.strip()):
        out.append(Difference(ref.name, "media", "content-type", "content-type",
                              a.media or "(none)", b.media or "(none)"))
    if a.body is None and a.raw.strip():
        out.append(Difference(ref.name, "type", "body", "$", "non-JSON", json_type(b.body)))
    elif a.body is not None or b.body is not None:
        compare_bodies(ref.name, a.body, b.body, "$", out)
        compare_error_detail(ref.name, a.body, b.body, out)
    return out


def allow(d: Difference) -> None:
    for entry in ALLOWED:
        if entry.matches(d):
            d.allowed_by = entry
            return


# --------------------------------------------------------------------------------------------
# Reporting.
# --------------------------------------------------------------------------------------------


def documented_sections(path: str) -> Optional[List[str]]:
    """The allow-list ids COMPATIBILITY.md has sections for (headings "### `id`: …")."""
    try:
        with open(path, encoding="utf-8") as f:
            text = f.read()
    except OSError:
        return None
    return re.findall(r"^### `([a-z0-9-]+)`", text, flags=re.MULTILINE)


def clip(text: str, limit: int = 600) -> str:
    text = text.strip().replace("\n", " ")
    return text if len(text) <= limit else text[:limit] + " …"


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--reference", required=True, help="base URL of the Python reference")
    parser.add_argument("--rust", required=True, help="base URL of the Rust server")
    parser.add_argument(
        "--doc",
        default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "..",
                             "COMPATIBILITY.md"),
        help="the document whose sections must match the allow-list (default: the repo's "
        "COMPATIBILITY.md)")
    parser.add_argument("-v", "--verbose", action="store_true",
                        help="print every step's request and both shapes")
    args = parser.parse_args(argv)

    ref_run = scenario(args.reference, uuid.uuid4().hex[:12])
    rust_run = scenario(args.rust, uuid.uuid4().hex[:12])

    used = set()
    rows = []
    failures: List[Tuple[Step, Step, List[Difference]]] = []
    allowed: List[Difference] = []
    notes: List[Difference] = []
    transport = []
    for a, b in zip(ref_run.steps, rust_run.steps):
        for step in (a, b):
            if step.response.error:
                transport.append("%s %s %s: %s" % (step.name, step.method, step.path,
                                                   step.response.error))
        diffs = compare_steps(a, b)
        for d in diffs:
            allow(d)
            if d.allowed_by is not None:
                used.add(id(d.allowed_by))
        bad = [d for d in diffs if d.allowed_by is None and d.kind != "extra"]
        ok_allowed = [d for d in diffs if d.allowed_by is not None]
        extra = [d for d in diffs if d.allowed_by is None and d.kind == "extra"]
        allowed.extend(ok_allowed)
        notes.extend(extra)
        if bad:
            verdict = "FAIL"
            failures.append((a, b, bad))
        elif any(d.kind != "extra" for d in ok_allowed):
            verdict = "allowed"
        else:
            verdict = "ok"
        rows.append((a.name, a.response.status, b.response.status, verdict))
        if args.verbose:
            print("== %s: %s %s" % (a.name, a.method, a.path))
            print("   reference %s %s" % (a.response.status, json.dumps(shape(a.response.body))))
            print("   rust      %s %s" % (b.response.status, json.dumps(shape(b.response.body))))

    width = max(len(r[0]) for r in rows)
    print("\nHTTP compatibility: Rust %s vs reference %s\n" % (args.rust, args.reference))
    print("%-*s  %9s  %4s  %s" % (width, "step", "reference", "rust", "verdict"))
    print("%s  %s  %s  %s" % ("-" * width, "-" * 9, "-" * 4, "-" * 7))
    for name, rs, us, verdict in rows:
        print("%-*s  %9s  %4s  %s" % (width, name, rs, us, verdict))

    if allowed:
        print("\nAllowed differences (see COMPATIBILITY.md):")
        by_entry: Dict[int, List[Difference]] = {}
        for d in allowed:
            by_entry.setdefault(id(d.allowed_by), []).append(d)
        for entry in ALLOWED:
            ds = by_entry.get(id(entry))
            if not ds:
                continue
            steps = sorted({d.step for d in ds}, key=[r[0] for r in rows].index)
            print("  - [%s] %s" % (entry.id, ds[0].describe()))
            shown = ", ".join(steps[:5]) + (", … (%d steps)" % len(steps) if len(steps) > 5 else "")
            print("      steps: %s" % shown)
            print("      why: %s" % entry.reason)

    if notes:
        print("\nNotes: sent by Rust only (reference clients ignore them):")
        seen: Dict[str, List[str]] = {}
        for d in notes:
            seen.setdefault(d.what, [])
            if d.step not in seen[d.what]:
                seen[d.what].append(d.step)
        for what, steps in seen.items():
            shown = ", ".join(steps[:4]) + (", … (%d steps)" % len(steps) if len(steps) > 4 else "")
            print("  - %s: %s" % (what, shown))

    unused = [e for e in ALLOWED if id(e) not in used]
    if unused:
        print("\nStale allow-list entries (they match nothing; remove them here and in "
              "COMPATIBILITY.md):")
        for e in unused:
            print("  - [%s] %s (%s) on %s" % (e.id, e.what, e.kind, ", ".join(e.steps)))

    doc_problems: List[str] = []
    sections = documented_sections(args.doc)
    if sections is None:
        doc_problems.append("%s cannot be read" % args.doc)
    else:
        ids = [e.id for e in ALLOWED]
        for i in ids:
            if i not in sections:
                doc_problems.append("allow-list entry `%s` has no section in %s" % (i, args.doc))
        for i in sections:
            if i not in ids:
                doc_problems.append("section `%s` of %s is not on the allow-list" % (i, args.doc))
        for name, listed in (("the allow-list", ids), (args.doc, sections)):
            for i in sorted(set(x for x in listed if listed.count(x) > 1)):
                doc_problems.append("`%s` is repeated in %s" % (i, name))
    if doc_problems:
        print("\nThe allow-list and COMPATIBILITY.md disagree:")
        for problem in doc_problems:
            print("  - " + problem)

    if transport:
        print("\nTransport errors:")
        for t in transport:
            print("  - " + t)

    if failures:
        print("\nFailures:")
        for a, b, bad in failures:
            print("\n  [%s] %s %s" % (a.name, a.method, a.path))
            for d in bad:
                print("    - " + d.describe())
            print("    reference %s: %s" % (a.response.status, clip(a.response.raw)))
            print("    rust      %s: %s" % (b.response.status, clip(b.response.raw)))

    ok = (not failures and not unused and not transport and not doc_problems
          and len(ref_run.steps) == len(rust_run.steps))
    print("\n%s: %d steps, %d failing, %d allowed differences, %d stale allow-list entries"
          % ("PASS" if ok else "FAIL", len(rows), len(failures), len(allowed), len(unused)))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
