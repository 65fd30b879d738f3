"""Prints the tables of a compare.sh run from its results directory (stdlib only).

Reads the JSON lines the runs left there (ref-*.json, rust-*.json, fsync.json, baselines.json,
http-*.txt, scale.jsonl) and prints markdown: ops/s per phase side by side with the ratio
Rust/reference per store class, the goals of issue 6 as measured ratios, the HTTP figures, and
every goal of issue 18 against the reference, the machine's baselines or itself. A run that failed or was not made
shows as n/a.
"""
import json
import math
import os
import sys

PHASES = ["create", "update", "get", "get_rev1", "history", "search", "delete_restore"]
DURABLE_WRITES = {"create", "update", "delete_restore"}
IN_PROCESS_GOAL = 50.0
FSYNC_GOAL = 0.8
CONCURRENT_GOAL = 20.0
HTTP_GOAL = 50.0


def load(out, name):
    try:
        with open(os.path.join(out, name)) as f:
            lines = [l for l in f.read().splitlines() if l.startswith("{")]
        return json.loads(lines[-1]) if lines else None
    except (OSError, ValueError):
        return None


def fsync_rate(out):
    """The mean of the rates measured before and after the Rust runs (or the one there is)."""
    runs = [r for r in (load(out, "fsync-before.json"), load(out, "fsync-after.json"),
                        load(out, "fsync.json")) if r and "fsync_per_s" in r]
    if not runs:
        return None
    mean = {k: sum(r[k] for r in runs) / len(runs) for k in ("fsync_per_s", "fdatasync_per_s")}
    mean["note"] = "mean of " + ", ".join(f"{r['fsync_per_s']:,.0f}" for r in runs) + " fsync/s"
    return mean


def fmt(x):
    if x is None:
        return "n/a"
    if x >= 100:
        return f"{x:,.0f}"
    return f"{x:,.1f}"


def ratio(a, b):
    return None if a is None or b is None or b == 0 else a / b


def fmt_ratio(r):
    return "n/a" if r is None else (f"{r:,.0f}×" if r >= 10 else f"{r:,.2f}×")


def verdict(value, goal):
    if value is None:
        return "n/a"
    # Floored, so that a miss never reads "100% of goal".
    return "met" if value >= goal else f"missed ({math.floor(100 * value / goal)}% of goal)"


def get(run, key):
    return None if run is None else run.get(key)


def class_table(title, rust, refs, fsync, durable):
    """One store class: the Rust run against one or more reference runs."""
    names = [name for name, _ in refs]
    print(f"\n### {title}\n")
    print("| phase | " + " | ".join(f"reference {n}" for n in names) + " | rust | "
          + " | ".join(f"rust/{n}" for n in names) + " | goal | verdict |")
    print("|---" * (3 + 2 * len(names) + 1) + "|")
    for phase in PHASES + ["create_concurrent"]:
        r = get(rust, phase)
        ref_vals = [get(run, phase) for _, run in refs]
        ratios = [ratio(r, v) for v in ref_vals]
        if phase == "create_concurrent":
            goal_text = f"≥ {CONCURRENT_GOAL:.0f}× rust create" if durable else "—"
            v = verdict(ratio(r, get(rust, "create")), CONCURRENT_GOAL) if durable else "—"
        elif durable and phase in DURABLE_WRITES:
            f = get(fsync, "fsync_per_s")
            goal_text = f"≥ {FSYNC_GOAL:.0%} of fsync rate ({fmt(f)}/s)"
            got = ratio(r, f)
            v = "n/a" if got is None else (f"met ({got:.0%})" if got >= FSYNC_GOAL
                                           else f"missed ({math.floor(100 * got)}% of the rate)")
        else:
            goal_text = f"≥ {IN_PROCESS_GOAL:.0f}×"
            known = [x for x in ratios if x is not None]
            v = verdict(min(known), IN_PROCESS_GOAL) if known else "n/a"
        print(f"| {phase} | " + " | ".join(fmt(v_) for v_ in ref_vals) + f" | {fmt(r)} | "
              + " | ".join(fmt_ratio(x) for x in ratios) + f" | {goal_text} | {v} |")
    extra = [("peak_rss_mb", "peak RSS MB"), ("disk_bytes", "disk bytes"), ("n", "n")]
    for key, label in extra:
        print(f"| {label} | " + " | ".join(fmt(get(run, key)) for _, run in refs)
              + f" | {fmt(get(rust, key))} | " + " | ".join("" for _ in names) + " | | |")


def http_table(out):
    rows = []
    for store in ["memory", "sqlite"]:
        ref = http_runs(out, "ref", store)
        rust = http_runs(out, "rust", store)
        for route in ["create", "get", "update"]:
            a, b = ref.get(route), rust.get(route)
            rows.append((store, route, a, b))
    if not any(a or b for _, _, a, b in rows):
        return
    print("\n### HTTP (wrk, 32 connections, load generator on the same cores)\n")
    print("| store | route | reference rps (p50/p99 ms) | rust rps (p50/p99 ms) | rust/ref | goal ≥ 50× |")
    print("|---|---|---|---|---|---|")
    for store, route, a, b in rows:
        r = ratio(get(b, "rps"), get(a, "rps"))
        print(f"| {store} | {route} | {cell(a)} | {cell(b)} | {fmt_ratio(r)} | {verdict(r, HTTP_GOAL)} |")


def cell(run):
    if not run:
        return "n/a"
    bad = run.get("errors", 0) + run.get("non2xx", 0)
    note = f", {bad} errors" if bad else ""
    return f"{fmt(run['rps'])} ({run['p50_ms']:.2f}/{run['p99_ms']:.2f}{note})"


def http_runs(out, system, store):
    runs = {}
    try:
        with open(os.path.join(out, f"http-{system}-{store}.txt")) as f:
            for line in f:
                route, _, rest = line.partition(" ")
                if rest.strip().startswith("{"):
                    runs[route] = json.loads(rest)
    except (OSError, ValueError):
        pass
    return runs


def load_lines(out, name):
    try:
        with open(os.path.join(out, name)) as f:
            return [json.loads(l) for l in f if l.startswith("{")]
    except (OSError, ValueError):
        return []


def scale_spread(out, kind, key):
    """Largest over smallest median latency of `key` across a scale run's sizes or depths."""
    rows = [r for r in load_lines(out, "scale.jsonl") if r.get("kind") == kind and key in r]
    medians = [r[key]["p50_us"] for r in rows]
    return None if len(medians) < 2 else max(medians) / min(medians)


def goals_table(out, ref, rust, fsync, base):
    """Every goal of issue 18 as a measured ratio against the reference, the machine's
    baselines or itself, measured in this run, with met or missed."""
    rows = []
    mem_ratios = [ratio(get(rust["memory"], p), get(ref["memory"], p)) for p in PHASES]
    known = [r for r in mem_ratios if r is not None]
    rows.append(("memory vs reference memory, every phase (the lowest)", min(known) if known else None, 50, "≥ 50×"))
    sq, rsq = rust["sqlite"], ref["sqlite"]
    for phase in ["get", "get_rev1"]:
        rows.append((f"embedded {phase} vs reference sqlite", ratio(get(sq, phase), get(rsq, phase)), 50, "≥ 50×"))
        rows.append((f"embedded {phase} vs raw rusqlite lookup (1 = equal, 0.5 = 2× slower)",
                     ratio(get(sq, phase), get(base, "sqlite_get_per_s")), 0.5, "≥ 0.5×"))
    rows.append(("embedded history vs reference sqlite", ratio(get(sq, "history"), get(rsq, "history")), 30, "≥ 30×"))
    rows.append(("embedded search vs reference sqlite", ratio(get(sq, "search"), get(rsq, "search")), 20, "≥ 20×"))
    rows.append(("embedded searches/s", get(sq, "search"), 20000, "≥ 20,000"))
    for phase in sorted(DURABLE_WRITES):
        rows.append((f"embedded {phase} vs the disk's write+fsync rate", ratio(get(sq, phase), get(fsync, "fsync_per_s")), FSYNC_GOAL, "≥ 80%"))
    rows.append(("32 concurrent creates vs one caller, SQLite", ratio(get(sq, "create_concurrent"), get(sq, "create")), 10, "≥ 10×"))
    rows.append(("32 concurrent creates vs raw batched insert, SQLite",
                 ratio(get(sq, "create_concurrent"), get(base, "sqlite_batched_insert_per_s")), 0.5, "≥ 50%"))
    pg = rust["postgres"]
    rows.append(("32 concurrent creates vs one caller, PostgreSQL", ratio(get(pg, "create_concurrent"), get(pg, "create")), 10, "≥ 10×"))
    rows.append(("32 concurrent creates vs raw 32-connection inserts, PostgreSQL (no goal: the headroom)",
                 ratio(get(pg, "create_concurrent"), get(base, "postgres_insert_32_per_s")), 0, "— ×"))
    rows.append(("two server processes vs one, PostgreSQL creates (not measured by this script yet)", None, 1.6, "≥ 1.6×"))
    rows.append(("PostgreSQL search vs reference postgres", ratio(get(pg, "search"), get(ref["postgres"], "search")), 50, "≥ 50×"))
    bare = http_runs(out, "bare", "memory").get("get")
    mem = http_runs(out, "rust", "memory")
    for route, goal, text in [("get", 0.7, "≥ 70%"), ("create", 0.5, "≥ 50%"), ("update", 0.5, "≥ 50%")]:
        rows.append((f"HTTP {route} on memory vs the bare axum handler", ratio(get(mem.get(route), "rps"), get(bare, "rps")), goal, text))
    for kind, key, label in [("size", "get", "get, 10k to 1M resources"), ("size", "get_rev1", "get_rev1, 10k to 1M resources"),
                             ("size", "search", "search, 10k to 1M resources"), ("revisions", "get", "get, 1 to 1,000 revisions"),
                             ("revisions", "get_rev1", "get_rev1, 1 to 1,000 revisions"), ("revisions", "as_of", "as-of, 1 to 1,000 revisions")]:
        spread = scale_spread(out, kind, key)
        rows.append((f"scale: {label} (median spread)", None if spread is None else spread, None, "≤ 2×"))
    print("\n### The goals of issue 18, measured in this run\n")
    print("| what | measured | goal | verdict |")
    print("|---|---|---|---|")
    for what, value, goal, text in rows:
        if goal is None:
            shown = "n/a" if value is None else fmt_ratio(value)
            v = "n/a" if value is None else ("met" if value <= 2 else f"missed ({value:.1f}× apart)")
        elif text.endswith("%"):
            shown = "n/a" if value is None else f"{value:.0%}"
            v = verdict(value, goal)
        else:
            shown = "n/a" if value is None else (fmt_ratio(value) if text.endswith("×") else fmt(value))
            v = verdict(value, goal) if goal else "—"
        print(f"| {what} | {shown} | {text.replace('— ×', '—')} | {v} |")


def main():
    out = sys.argv[1]
    fsync = fsync_rate(out)
    print(f"\nmachine: {open(os.path.join(out, 'machine.txt')).read().strip()}" if os.path.exists(os.path.join(out, "machine.txt")) else "")
    print(f"\ndisk: 4 KiB write+fsync {fmt(get(fsync, 'fsync_per_s'))}/s, "
          f"write+fdatasync {fmt(get(fsync, 'fdatasync_per_s'))}/s "
          f"({fsync.get('note', 'one measure') if fsync else 'not measured'})")
    ref = {b: load(out, f"ref-{b}.json") for b in ["memory", "disk", "sqlite", "postgres"]}
    rust = {s: load(out, f"rust-{s}.json") for s in ["memory", "sqlite", "postgres"]}
    print("\nIn-process, ops/s (search: searches/s); ratio = rust / reference.")
    class_table("memory vs memory", rust["memory"], [("memory", ref["memory"])], fsync, False)
    class_table("embedded: rust sqlite vs reference disk and sqlite+disk", rust["sqlite"],
                [("disk", ref["disk"]), ("sqlite", ref["sqlite"])], fsync, True)
    class_table("postgres vs postgres", rust["postgres"], [("postgres", ref["postgres"])], fsync, True)
    http_table(out)
    goals_table(out, ref, rust, fsync, load(out, "baselines.json"))


if __name__ == "__main__":
    main()
