"""How long the CLI takes to answer: the wall time of a few everyday commands, median of N runs.

Each command runs as a fresh process (``python -m certgraph.cli``), as a user's shell starts it;
``--source`` runs another checkout's ``src/`` (e.g. an export of an older commit) to compare:

    python benchmarks/cli_start.py --store build/store --runs 7
    git archive HEAD~1 src queries ontology | tar -x -C /tmp/before
    python benchmarks/cli_start.py --store build/store --runs 7 --source /tmp/before

The store is only read. Numbers depend on the machine and its load: compare runs made together.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

COMMANDS = {
    "--help": ["--help"],
    "lineage": ["lineage", "RNCP35080"],
    "show": ["show", "RNCP35080"],
    "query": ["query", "lineage/ancestors", "-p", "fiche", "RNCP35080"],
}
# Commands that take --store (--help does not).
READS_STORE = {"lineage", "show", "query"}


def timed(args: list[str], environment: dict[str, str]) -> tuple[float, float]:
    """Wall and CPU seconds (user + system) of one run of ``certgraph ARGS``; fails on a non-zero exit.

    The CPU time hardly depends on what else the machine runs; the wall time is what a user waits.
    """
    before, started = resource.getrusage(resource.RUSAGE_CHILDREN), time.perf_counter()
    subprocess.run([sys.executable, "-m", "certgraph.cli", *args], env=environment, check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wall, after = time.perf_counter() - started, resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--store", type=Path, required=True, help="the store to read (e.g. build/store)")
    parser.add_argument("--runs", type=int, default=7, help="runs of each command (the median is shown)")
    parser.add_argument("--source", type=Path, default=None, help="a checkout whose src/ to run instead of this one")
    options = parser.parse_args()
    environment = dict(os.environ)
    if options.source is not None:
        environment["PYTHONPATH"] = str(options.source.resolve() / "src")
    print(f"certgraph from {options.source or 'this checkout'}, {options.runs} runs, store {options.store}")
    print(f"{'command':10s} {'median s':>9s} {'min s':>7s} {'cpu s':>7s}  (median wall, least wall, median CPU)")
    for name, args in COMMANDS.items():
        full = [*args, "--store", str(options.store)] if name in READS_STORE else args
        timed(full, environment)  # warm the file cache once
        walls, cpus = zip(*(timed(full, environment) for _ in range(options.runs)))
        print(f"{name:10s} {statistics.median(walls):9.3f} {min(walls):7.3f} {statistics.median(cpus):7.3f}")


if __name__ == "__main__":
    main()
