"""Plots the scale run (specstar-bench scale's JSON lines): read latency against store size and
against history depth, medians with the 99th percentile dashed. Usage: plot.py IN.jsonl OUT.png"""
import json
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402


def main():
    rows = [json.loads(l) for l in open(sys.argv[1]) if l.startswith("{")]
    sizes = [r for r in rows if r["kind"] == "size" and "get" in r]
    depths = [r for r in rows if r["kind"] == "revisions"]
    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4.2))
    for key, colour in [("get", "C0"), ("get_rev1", "C1"), ("search", "C2")]:
        xs = [r["size"] for r in sizes]
        left.plot(xs, [r[key]["p50_us"] for r in sizes], "o-", color=colour, label=f"{key} p50")
        left.plot(xs, [r[key]["p99_us"] for r in sizes], "o--", color=colour, alpha=0.5,
                  label=f"{key} p99")
    left.set(xscale="log", yscale="log", xlabel="resources in the store",
             ylabel="latency (µs)", title="embedded store: latency against size")
    for key, colour in [("get", "C0"), ("get_rev1", "C1")]:
        xs = [r["revisions"] for r in depths]
        right.plot(xs, [r[key]["p50_us"] for r in depths], "o-", color=colour, label=f"{key} p50")
        right.plot(xs, [r[key]["p99_us"] for r in depths], "o--", color=colour, alpha=0.5,
                   label=f"{key} p99")
    right.set(xscale="log", yscale="log", xlabel="revisions of the resource",
              ylabel="latency (µs)", title="embedded store: latency against history depth")
    for ax in (left, right):
        ax.set_ylim(bottom=1)  # from 1 µs, so that a flat line looks flat
        ax.grid(True, which="both", alpha=0.3)
        ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(sys.argv[2], dpi=110)


if __name__ == "__main__":
    main()
