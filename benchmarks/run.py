"""Benchmark the build, the validation and every named query; prints one table per run.

Usage: .venv/bin/python benchmarks/run.py [--data data] [--runs 20] [--rdflib]

The build runs in a child process so its peak memory is its own. Every named query runs with its
declared example on the on-disk store; with --rdflib, the same queries also run on a plain rdflib
Dataset parsed from the build's dump (slow and memory-hungry on the whole register: that is the point).
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from certgraph.queries import load_queries, run_named
from certgraph.store import OxigraphStore, RdflibStore
from certgraph.validate import validate_store

BUILD = """
import json, sys, time
from pathlib import Path
from certgraph.build import build
started = time.perf_counter()
report = build(Path(sys.argv[1]), Path(sys.argv[2]), Path(sys.argv[3]))
print(json.dumps({"seconds": time.perf_counter() - started, "quads": report.quads, "fiches": report.fiches}))
"""


def timed(call, runs: int) -> tuple[float, float]:
    """p50 and p95 of ``runs`` calls, in milliseconds."""
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        call()
        samples.append((time.perf_counter() - started) * 1000)
    samples.sort()
    return statistics.median(samples), samples[min(len(samples) - 1, int(round(0.95 * (len(samples) - 1))))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=Path("data"))
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--rdflib", action="store_true", help="also run the queries on an rdflib Dataset")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="certgraph-bench-"))
    store_path, dump = work / "store", work / "store.nq"

    child = subprocess.run([sys.executable, "-c", BUILD, str(args.data), str(store_path), str(dump)], capture_output=True, text=True, check=True)
    built = json.loads(child.stdout.strip().splitlines()[-1])
    peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(f"build: {built['seconds']:.1f} s, peak RSS {peak_mb:.0f} MB, {built['quads']} quads, {built['fiches']} fiches")

    store = OxigraphStore.open(store_path)
    started = time.perf_counter()
    report = validate_store(store)
    print(f"validation (SPARQL on the store): {time.perf_counter() - started:.1f} s, {len(report.findings)} findings")

    reference = None
    if args.rdflib:
        started = time.perf_counter()
        reference = RdflibStore.from_nquads(dump)
        print(f"rdflib parse of the dump: {time.perf_counter() - started:.1f} s")

    queries = load_queries()
    header = f"{'named query':28s} {'p50 ms':>8s} {'p95 ms':>8s}"
    header += f" {'rdflib p50':>11s} {'ratio':>7s}" if reference else ""
    print(header)
    for name, query in queries.items():
        values = query.example_values()
        p50, p95 = timed(lambda: run_named(store, query, values), args.runs)
        line = f"{name:28s} {p50:8.1f} {p95:8.1f}"
        if reference:
            r50, _ = timed(lambda: run_named(reference, query, values), max(1, args.runs // 10))
            line += f" {r50:11.1f} {r50 / p50 if p50 else float('inf'):6.0f}×"
        print(line)


if __name__ == "__main__":
    main()
