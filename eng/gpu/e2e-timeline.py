"""Summarises an Nsight Systems SQLite export of an end-to-end bench run (eng/gpu/e2e-timeline.sh): the GPU's busy
intervals (kernels, copies, memsets and graph launches, merged), its idle gaps in the second half of the busy span (the
timed, steady part), and, per CUDA API function, the host time spent in calls that overlap those gaps. A step's gap is
the time the GPU waits for the host between two steps; the API calls inside it say what the host was doing (a
synchronous copy, a sync, a graph launch) and the rest is the host's own code."""
import sqlite3
import sys
from collections import defaultdict


def intervals(db, table, cols="start, end"):
    try:
        return db.execute(f"SELECT {cols} FROM {table}").fetchall()
    except sqlite3.OperationalError:
        return []


def main(path):
    db = sqlite3.connect(path)
    busy = []
    for table in ("CUPTI_ACTIVITY_KIND_KERNEL", "CUPTI_ACTIVITY_KIND_MEMCPY", "CUPTI_ACTIVITY_KIND_MEMSET", "CUPTI_ACTIVITY_KIND_GRAPH_TRACE"):
        busy += intervals(db, table)
    if not busy:
        print("no GPU activity in the trace")
        return
    busy.sort()
    merged = []
    for s, e in busy:
        if merged and s <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], e)
        else:
            merged.append([s, e])
    first, last = merged[0][0], merged[-1][1]
    half = first + (last - first) / 2
    steady = [m for m in merged if m[0] >= half]
    gaps = [(a[1], b[0]) for a, b in zip(steady, steady[1:]) if b[0] > a[1]]
    span = steady[-1][1] - steady[0][0]
    idle = sum(e - s for s, e in gaps)
    big = [g for g in gaps if g[1] - g[0] > 20_000]
    print(f"steady half: {span / 1e6:.1f} ms, GPU idle {idle / 1e6:.2f} ms ({100 * idle / span:.1f} %) in {len(gaps)} gaps, "
          f"{len(big)} of them over 20 µs ({sum(e - s for s, e in big) / 1e6:.2f} ms)")
    graphs = [r for r in intervals(db, "CUPTI_ACTIVITY_KIND_GRAPH_TRACE") if r[0] >= half]
    if graphs:
        print(f"graph launches in it: {len(graphs)}, {sum(e - s for s, e in graphs) / len(graphs) / 1e6:.2f} ms of GPU time each on average; "
              f"idle per launch {idle / len(graphs) / 1e6:.3f} ms")
    names = dict(db.execute("SELECT id, value FROM StringIds").fetchall())
    calls = [(s, e, names.get(n, str(n))) for s, e, n in intervals(db, "CUPTI_ACTIVITY_KIND_RUNTIME", "start, end, nameId") if e >= half]
    calls.sort()
    inside = defaultdict(lambda: [0, 0.0])
    overall = defaultdict(lambda: [0, 0.0])
    j = 0
    for s, e, name in calls:
        overall[name][0] += 1
        overall[name][1] += e - s
    for gs, ge in big:
        while j < len(calls) and calls[j][1] < gs:
            j += 1
        k = j
        while k < len(calls) and calls[k][0] < ge:
            s, e, name = calls[k]
            overlap = min(e, ge) - max(s, gs)
            if overlap > 0:
                inside[name][0] += 1
                inside[name][1] += overlap
            k += 1
    print()
    print("| CUDA API call | calls in gaps > 20 µs | host ms inside those gaps | calls in the steady half | host ms in the steady half |")
    print("|---|---:|---:|---:|---:|")
    for name in sorted(overall, key=lambda n: -max(inside[n][1], overall[n][1]))[:15]:
        print(f"| `{name}` | {inside[name][0]} | {inside[name][1] / 1e6:.2f} | {overall[name][0]} | {overall[name][1] / 1e6:.2f} |")
    covered = sum(v[1] for v in inside.values())
    print(f"\nof the {sum(e - s for s, e in big) / 1e6:.2f} ms in gaps over 20 µs, {covered / 1e6:.2f} ms is inside CUDA API calls; the rest is host code")
    widths = sorted(e - s for s, e in big)
    if widths:
        q = lambda p: widths[min(len(widths) - 1, int(p * len(widths)))] / 1e6
        print(f"gap widths over 20 µs: median {q(0.5):.3f} ms, p90 {q(0.9):.3f} ms, max {widths[-1] / 1e6:.3f} ms")


if __name__ == "__main__":
    main(sys.argv[1])
