"""Publishing benchmark: `certgraph publish` of a built store to Oxigraph's server and to Virtuoso.

Usage: .venv/bin/python benchmarks/publish.py [--store build/store] [--engines oxigraph,virtuoso]
           [--parallel 1,2] [--batch 50000]

Each engine is started fresh on loopback for each setting (tests/engines.py: Oxigraph from the PyPI
``oxigraph`` wheel, Virtuoso from Debian's ``virtuoso-opensource``, written to with HTTP Digest),
the whole store is published through the Graph Store Protocol and read back to verify the counts,
then the engine is stopped. It prints one markdown row per run: triples, sending time and rate,
verifying time, requests, retries, and the engine's CPU time. Nothing here is a pass/fail test.
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from certgraph.publish import publish  # noqa: E402
from certgraph.store import Credentials, OxigraphStore  # noqa: E402
from tests.engines import oxigraph_server, virtuoso_server  # noqa: E402

ENGINES = {"oxigraph": oxigraph_server, "virtuoso": virtuoso_server}


def cpu_seconds(pid: int) -> float:
    """User and system CPU time of a running process, from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def run(store: OxigraphStore, engine_name: str, parallel: int, batch: int) -> str:
    with tempfile.TemporaryDirectory() as folder, ENGINES[engine_name](Path(folder)) as engine:
        credentials = Credentials(user=engine.user, password=engine.password, scheme="digest") if engine.user else None
        started = time.perf_counter()
        report = publish(store, engine.gsp_url, credentials=credentials, batch=batch, parallel=parallel)
        wall = time.perf_counter() - started
        cpu = cpu_seconds(engine.process.pid)
    return (f"| {engine_name} | {parallel} | {report.triples:,} | {report.send_seconds:.1f} s | **{report.rate:,.0f}** | "
            f"{report.verify_seconds:.1f} s | {wall:.1f} s | {report.requests} | {report.retries} | {cpu:.1f} s |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--store", type=Path, default=ROOT / "build/store")
    parser.add_argument("--engines", default="oxigraph,virtuoso")
    parser.add_argument("--parallel", default="1,2")
    parser.add_argument("--batch", type=int, default=50_000)
    args = parser.parse_args()
    store = OxigraphStore.open(args.store)
    print(f"store {args.store}: {len(store):,} quads in {len(store.named_graphs())} named graphs; "
          f"{platform.machine()}, {os.cpu_count()} cores, batch {args.batch:,}\n")
    print("| engine | requests in flight | triples | sending | triples/s | verifying | total | requests | retries | engine CPU |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for name in args.engines.split(","):
        for parallel in (int(p) for p in args.parallel.split(",")):
            try:
                print(run(store, name, parallel, args.batch), flush=True)
            except BaseException as exc:  # an engine that cannot start skips (pytest.skip raises)
                if isinstance(exc, KeyboardInterrupt):
                    raise
                print(f"| {name} | {parallel} | – | {type(exc).__name__}: {exc} |", flush=True)


if __name__ == "__main__":
    main()
