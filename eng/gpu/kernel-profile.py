"""Summarises a kernel trace of a step bench run (eng/gpu/kernel-profile.sh): an Nsight Compute raw CSV
(`ncu --csv --page raw`) or an Nsight Systems GPU trace (`nsys stats --report cuda_gpu_trace --format csv`). Finds the
last step's launches (the launch sequence's period at its end: the timed replays of one CUDA graph) and prints, per
kernel, its launches in a step, its GPU time per step and per launch, and its share; then the step's summed GPU time
(and, from a trace with start times, the step's span from its first kernel's start to its last one's end)."""
import csv
import re
import sys
from collections import OrderedDict

UNITS = {"nsecond": 1e-3, "ns": 1e-3, "usecond": 1.0, "us": 1.0, "msecond": 1e3, "ms": 1e3, "second": 1e6, "s": 1e6}


def read(path):
    """(name, µs, start µs or None) per kernel launch, in launch order."""
    with open(path, newline="") as f:
        rows = list(csv.reader(f))
    if any("Duration (ns)" in r for r in rows[:5]):
        return read_nsys(rows)
    start = next(i for i, r in enumerate(rows) if "Kernel Name" in r)
    header, units, data = rows[start], rows[start + 1], rows[start + 2:]
    name, time = header.index("Kernel Name"), header.index("gpu__time_duration.sum")
    scale = UNITS.get(units[time].strip(), 1e-3)
    ids = header.index("ID") if "ID" in header else None
    launches = [(int(r[ids]) if ids is not None else i, r[name], float(r[time].replace(",", "")) * scale)
                for i, r in enumerate(data) if len(r) > time and r[time].strip()]
    launches.sort()
    return [(n, t, None) for _, n, t in launches]


def read_nsys(rows):
    start = next(i for i, r in enumerate(rows) if "Duration (ns)" in r)
    header, data = rows[start], rows[start + 1:]
    begin, length, name = header.index("Start (ns)"), header.index("Duration (ns)"), header.index("Name")
    grid = header.index("GrdX") if "GrdX" in header else None
    launches = [(float(r[begin]) / 1e3, r[name], float(r[length]) / 1e3) for r in data
                if len(r) > max(begin, length, name) and (grid is None or r[grid].strip())]  # kernels, not copies
    launches.sort()
    return [(n, t, b) for b, n, t in launches]


def period(names, shortest=50):
    """The smallest K >= shortest with the last three windows of K names equal."""
    for k in range(shortest, len(names) // 3 + 1):
        if names[-k:] == names[-2 * k:-k] == names[-3 * k:-2 * k]:
            return k
    return None


def short(name):
    name = name.replace("(anonymous namespace)::", "")
    name = re.sub(r"\(.*", "", name)          # no parameter lists
    name = name.replace("void ", "").strip()
    return name if len(name) <= 110 else name[:109] + "…"  # template arguments tell torch's elementwise ops apart


def main(path, step_ms=None):
    launches = read(path)
    k = period([n for n, _, _ in launches])
    if k is None:
        print(f"no repeating step found in {len(launches)} launches")
        return 1
    step = launches[-k:]
    kernels = OrderedDict()
    for n, t, _ in step:
        entry = kernels.setdefault(short(n), [0, 0.0])
        entry[0] += 1
        entry[1] += t
    total = sum(t for _, t, _ in step)
    print(f"one step: {k} kernel launches, {total / 1000:.3f} ms of summed kernel time" +
          (f" against {step_ms} ms measured: {step_ms - total / 1000:.3f} ms between kernels" if step_ms else ""))
    if step[0][2] is not None:
        span = step[-1][2] + step[-1][1] - step[0][2]
        print(f"the step's span on the GPU, first kernel's start to last one's end: {span / 1000:.3f} ms")
    print("| kernel | launches a step | µs a step | µs a launch | share |")
    print("|---|---:|---:|---:|---:|")
    for n, (count, t) in sorted(kernels.items(), key=lambda e: -e[1][1]):
        print(f"| `{n}` | {count} | {t:.1f} | {t / count:.2f} | {100 * t / total:.1f} % |")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], float(sys.argv[2]) if len(sys.argv) > 2 else None))
