"""Load benchmark of the web endpoint: wrk on loopback against certgraph serve, Oxigraph's server and rdflib-endpoint.

Usage: .venv/bin/python benchmarks/serve.py [--store build/store] [--seconds 60] [--connections 16]
           [--threads 2] [--servers certgraph,certgraph-nocache,certgraph-nocache-uvicorn,oxigraph,oxigraph-timeout,rdflib,handoff]
           [--workloads lineage,mixed,mixed-sparql] [--fiches 2000] [--warmup 5] [--json PATH]
       .venv/bin/python benchmarks/serve.py --report PATH   (the tables of an earlier --json file again)

Needs wrk (``apt-get install wrk``) and, for the rdflib row, rdflib-endpoint, a benchmark-only tool
that is not a certgraph dependency: ``.venv/bin/pip install rdflib-endpoint`` (the row is skipped
without it). Each server is a child process on a free loopback port, started, waited for, measured
and stopped in turn; wrk runs ``benchmarks/wrk/cycle.lua`` over a file of requests built from the
store (read-only, before any server starts), each wrk thread cycling from its own offset:

- lineage: ``lineage/ancestors`` as a SPARQL GET (JSON results), bound to each of ``--fiches``
  fiches that replace another one (so every answer has rows);
- mixed: the mix of ``MIX`` below (SPARQL GETs of seven named queries over many fiches, the named
  query API, linked-data pages as Turtle): certgraph only, the other servers have no such API;
- mixed-sparql: the SPARQL part of the mix, the same requests every server can answer.

Servers: ``certgraph`` (``certgraph serve``, its answer cache on, as users run it: the requests
cycle, so the cache warms during the run and the table says how many answers came from it),
``certgraph-nocache`` (``--cache-mb 0``: every request runs its query in a worker, which answers
a protocol GET on the client's connection), ``certgraph-nocache-uvicorn`` (the same with
``--no-handoff``: every request through the web application and a pipe to the worker), ``oxigraph``
and ``oxigraph-timeout`` (``oxigraph serve-read-only --union-default-graph``, without and with
``--timeout-s 30``), ``rdflib`` (rdflib-endpoint on an rdflib Dataset parsed from ``<store>.nq``,
default graph = union of the named graphs; lineage only: its queries run one at a time, in the
event loop, without a time limit), ``handoff`` (``benchmarks/handoff.py``: a sketch, not a server,
whose web process passes each connection to a worker that answers the client itself; it has none
of the endpoint's limits and measures the ceiling of that design).

Beside each table: the CPU each server spent per answer (for certgraph, its web process and its
query workers apart, and the workers' own count of where theirs went: reading and screening the
request, the engine, the rest; from ``/health`` before and after the run), and the engine alone:
the same requests' queries evaluated one after another by the workers' own
:func:`certgraph.web.engine.evaluate`, in one process started as the workers are
(their allocator), no HTTP, no pipe: the CPU a query costs before any server adds its own, the
floor of every design that evaluates with pyoxigraph; and one real query worker given the same
queries one at a time by another process, as frames and as connections handed to it (its CPU a
query: what crossing from one process to another costs the engine, HTTP aside).

Each measured run follows a warm-up of ``--warmup`` seconds with the same requests. It prints one
markdown table per workload (requests/s, latency percentiles, non-2xx answers, socket errors, the
CPU the server, wrk and everything else used, the ratio to rdflib), and the machine, store and
settings. wrk and the servers share the machine's cores, and anything else running on it counts
too: the CPU of other processes and the load average are printed beside each run. A server that
dies is reported with what it logged, and restarted for the next workload. Nothing here is a
pass/fail test.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib.util
import json
import os
import platform
import random
import re
import resource
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Self
from urllib.parse import quote

import pyoxigraph as ox

from certgraph.queries import NamedQuery, QueryError, load_queries
from certgraph.web.engine import EnginePool, default_workers, evaluate, worker_allocator, worker_environment

REPO = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
CYCLE_LUA = Path(__file__).resolve().parent / "wrk" / "cycle.lua"
HANDOFF = Path(__file__).resolve().parent / "handoff.py"
RESULTS_JSON = "application/sparql-results+json"

# The target of the issue, checked against the certgraph rows of the lineage workload.
TARGET_RPS, TARGET_P99_MS = 8000, 5.0

# One round of the mixed workload, 20 requests: (kind, named query, requests per round). "sparql" is
# a GET /sparql of the bound query; "api" the named-query API (/queries/NAME?param=value, JSON rows);
# "page" a fiche's linked-data page as Turtle (/id/rncp/N). Lineage, the subject, has the
# largest share; the code lists and the comparison, heavier, the smallest (a guess at real use, not
# a measurement of it).
MIX = [
    ("sparql", "lineage/ancestors", 4),
    ("sparql", "lineage/descendants", 2),
    ("sparql", "lineage/current", 2),
    ("sparql", "fiche/summary", 3),
    ("sparql", "fiche/blocks", 2),
    ("sparql", "compare/codes", 1),
    ("sparql", "codes/by-rome", 1),
    ("api", "lineage/ancestors", 2),
    ("api", "fiche/summary", 1),
    ("page", "fiche as Turtle", 2),
]

PREFIXES = """PREFIX cg: <https://w3id.org/certgraph/ontology#>
PREFIX dcterms: <http://purl.org/dc/terms/>
"""
FICHE = 'FILTER(REGEX(STR(?{0}), "/id/(rncp|rs)/[0-9]+$"))'
REPLACES = PREFIXES + f"""SELECT DISTINCT ?new ?old WHERE {{
  ?newIri dcterms:replaces ?oldIri . ?newIri cg:number ?new . ?oldIri cg:number ?old
  {FICHE.format("newIri")} {FICHE.format("oldIri")} }} ORDER BY ?new ?old"""
WITH_BLOCKS = PREFIXES + f"""SELECT DISTINCT ?number ?fiche WHERE {{
  ?block dcterms:isPartOf ?fiche . ?fiche cg:number ?number {FICHE.format("fiche")} }} ORDER BY ?number"""
ROME_CODES = PREFIXES + "SELECT DISTINCT ?concept WHERE { ?fiche cg:rome ?concept } ORDER BY ?concept"
# Counted, not read from the build's VoID summary graph: a store built before that graph existed has none.
FICHE_COUNT = PREFIXES + """SELECT (COUNT(DISTINCT ?fiche) AS ?fiches) WHERE {
  VALUES ?class { cg:RNCPCertification cg:RSCertification } ?fiche a ?class }"""

RDFLIB_SERVER = """
import sys, time
started = time.perf_counter()
import uvicorn
from rdflib import Dataset
from rdflib_endpoint import SparqlEndpoint
dataset = Dataset(default_union=True)
dataset.parse(sys.argv[1], format="nquads")
with open("/proc/self/status") as status:
    rss = next(int(line.split()[1]) for line in status if line.startswith("VmRSS")) / 1024
print(f"rdflib: parsed {sys.argv[1]} in {time.perf_counter() - started:.0f} s, RSS {rss:.0f} MB", file=sys.stderr, flush=True)
app = SparqlEndpoint(graph=dataset, path="/sparql", title="rdflib baseline")
uvicorn.run(app, host="127.0.0.1", port=int(sys.argv[2]), log_level="warning", access_log=False)
"""


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


# ------------------------------------------------------------------ the requests


@dataclass
class Inputs:
    """Parameter values drawn from the store: every list is in a reproducible random order."""

    successors: list[str]          # fiches that replace another: they have ancestors
    predecessors: list[str]        # fiches replaced by another: they have descendants and a current one
    pairs: list[tuple[str, str]]   # (fiche, a fiche it replaces), for compare/codes
    with_blocks: list[str]         # fiches with blocks, for fiche/summary and fiche/blocks
    pages: list[str]               # /id/... paths of those fiches
    rome: list[str]                # ROME codes some fiche has
    quads: int
    fiches: int


def read_inputs(store_path: Path, count: int) -> Inputs:
    """Draw ``count`` values of each kind from the store, opened read-only (closed on return)."""
    store = ox.Store.read_only(str(store_path))

    def rows(sparql: str) -> list[list[str]]:
        return [[term.value for term in row] for row in store.query(sparql, use_default_graph_as_union=True)]

    draw = random.Random(1)

    def sample(values: list) -> list:
        return draw.sample(values, min(count, len(values)))

    links = rows(REPLACES)
    if not links:
        raise SystemExit(f"{store_path}: no dcterms:replaces link between fiches, so no lineage to query")
    blocks = sample(rows(WITH_BLOCKS))
    fiches = rows(FICHE_COUNT)
    return Inputs(
        successors=sample(sorted({new for new, _ in links})),
        predecessors=sample(sorted({old for _, old in links})),
        pairs=sample(sorted({(new, old) for new, old in links})),
        with_blocks=[number for number, _ in blocks],
        pages=["/id/" + iri.split("/id/", 1)[1] for _, iri in blocks],
        rome=sample(sorted({iri.rsplit("/", 1)[1] for (iri,) in rows(ROME_CODES)})),
        quads=len(store),
        fiches=int(fiches[0][0]),
    )


def keep_valid(inputs: Inputs, queries: dict[str, NamedQuery]) -> None:
    """Drop the ROME codes ``codes/by-rome`` refuses (a synthetic register has malformed ones on purpose)."""
    def valid(code: str) -> bool:
        try:
            queries["codes/by-rome"].bind({"rome": code})
        except QueryError:
            return False
        return True

    inputs.rome = [code for code in inputs.rome if valid(code)]


def values_for(query: str, inputs: Inputs, index: int) -> dict[str, str]:
    """The ``index``-th parameter values of a named query in the workloads."""
    def pick(values: list):
        return values[index % len(values)]

    if query == "lineage/ancestors":
        return {"fiche": pick(inputs.successors)}
    if query in ("lineage/descendants", "lineage/current"):
        return {"fiche": pick(inputs.predecessors)}
    if query in ("fiche/summary", "fiche/blocks"):
        return {"fiche": pick(inputs.with_blocks)}
    if query == "compare/codes":
        left, right = pick(inputs.pairs)
        return {"left": left, "right": right}
    if query == "codes/by-rome":
        return {"rome": pick(inputs.rome)}
    raise ValueError(f"no values for {query}")


@dataclass(frozen=True)
class Request:
    """One GET of a workload: a SPARQL query (sent to the server's own SPARQL path) or a path."""

    kind: str
    accept: str
    query: str = ""
    path: str = ""

    def target(self, sparql_path: str) -> str:
        return f"{sparql_path}?query={quote(self.query, safe='')}" if self.kind == "sparql" else self.path


def lineage_requests(inputs: Inputs, queries: dict[str, NamedQuery]) -> list[Request]:
    ancestors = queries["lineage/ancestors"]
    return [Request("sparql", RESULTS_JSON, query=ancestors.bind({"fiche": fiche})) for fiche in inputs.successors]


def mixed_requests(inputs: Inputs, queries: dict[str, NamedQuery], rounds: int) -> list[Request]:
    """``rounds`` rounds of ``MIX``, the values of each kind advancing from round to round."""
    requests = []
    for round_ in range(rounds):
        for kind, name, per_round in MIX:
            for k in range(per_round):
                index = round_ * per_round + k
                if kind == "page":
                    requests.append(Request("page", "text/turtle", path=inputs.pages[index % len(inputs.pages)]))
                    continue
                values = values_for(name, inputs, index)
                if kind == "sparql":
                    requests.append(Request("sparql", RESULTS_JSON, query=queries[name].bind(values)))
                else:
                    args = "&".join(f"{key}={quote(value)}" for key, value in values.items())
                    requests.append(Request("api", "application/json", path=f"/queries/{name}?{args}"))
    return requests


def write_requests(requests: list[Request], sparql_path: str, path: Path) -> Path:
    path.write_text("".join(f"{r.accept}\t{r.target(sparql_path)}\n" for r in requests))
    return path


# ------------------------------------------------------------------ the servers


@dataclass
class Server:
    """A server to measure: how to start it, where its SPARQL endpoint is, what it can answer."""

    name: str
    sparql_path: str
    timeout: str
    workloads: tuple[str, ...] = ("lineage", "mixed-sparql")
    process: subprocess.Popen | None = None
    command: list[str] = field(default_factory=list)
    log_path: Path | None = None
    url: str = ""

    def argv(self, store: Path, port: int, args) -> list[str]:
        if self.name.startswith("certgraph"):
            argv = [str(BIN / "certgraph"), "serve", "--store", str(store), "--port", str(port), "--timeout", str(args.timeout)]
            if args.workers:
                argv += ["--workers", str(args.workers)]
            # wrk is one client (one address): let it use every worker and queue every connection, as
            # the other servers do.
            argv += ["--client-concurrency", str(args.workers or default_workers()), "--client-queue", str(args.connections)]
            argv += ["--cache-mb", "0"] if "nocache" in self.name else []
            return argv + (["--no-handoff"] if self.name.endswith("-uvicorn") else [])
        if self.name.startswith("oxigraph"):
            argv = [str(BIN / "oxigraph"), "serve-read-only", "--location", str(store), "--bind", f"127.0.0.1:{port}", "--union-default-graph"]
            return argv + (["--timeout-s", str(int(args.timeout))] if self.name == "oxigraph-timeout" else [])
        if self.name == "handoff":
            return [sys.executable, str(HANDOFF), str(store), str(port)] + (["--workers", str(args.workers)] if args.workers else [])
        return [sys.executable, "-c", RDFLIB_SERVER, str(store.with_suffix(".nq")), str(port)]


def make_servers(args) -> dict[str, Server]:
    limit = f"{args.timeout:g} s"
    return {
        "certgraph": Server("certgraph", "/sparql", limit, ("lineage", "mixed", "mixed-sparql")),
        "certgraph-nocache": Server("certgraph-nocache", "/sparql", limit, ("lineage", "mixed", "mixed-sparql")),
        "certgraph-nocache-uvicorn": Server("certgraph-nocache-uvicorn", "/sparql", limit, ("lineage", "mixed", "mixed-sparql")),
        "oxigraph": Server("oxigraph", "/query", "none"),
        "oxigraph-timeout": Server("oxigraph-timeout", "/query", limit),
        "rdflib": Server("rdflib", "/sparql", "none", workloads=("lineage",)),
        "handoff": Server("handoff", "/sparql", "none"),
    }


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def fetch(url: str, accept: str, timeout: float) -> tuple[int, bytes]:
    request = urllib.request.Request(url, headers={"Accept": accept} if accept else {})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


def shown_command(name: str, command: list[str]) -> list[str]:
    return command if name != "rdflib" else [command[0], "-c", "<RDFLIB_SERVER in benchmarks/serve.py>", *command[3:]]


def log_tail(server: Server, lines: int = 1) -> str:
    """The last lines of the server's log."""
    if server.log_path is None or not server.log_path.exists():
        return ""
    text = [line.strip() for line in server.log_path.read_text(errors="replace").splitlines() if line.strip()]
    return " / ".join(text[-lines:])


def log_summary(server: Server, since: int) -> str:
    """What the server logged from byte ``since`` on: its most frequent lines with their counts, and any panic."""
    if server.log_path is None or not server.log_path.exists():
        return ""
    with open(server.log_path, "rb") as log_file:
        log_file.seek(since)
        text = [line.strip() for line in log_file.read().decode(errors="replace").splitlines() if line.strip()]
    # Lines that differ only by a client port or a thread number count as one.
    counts: dict[str, int] = {}
    for line in text:
        key = re.sub(r"127\.0\.0\.1:[0-9]+|\([0-9]+\)", "…", line)
        counts[key] = counts.get(key, 0) + 1
    frequent = sorted(counts.items(), key=lambda item: -item[1])[:3]
    panics = [text[i + 1] if i + 1 < len(text) else line for i, line in enumerate(text) if "panicked" in line]
    parts = [f"{n}× “{line[:160]}”" for line, n in frequent]
    if panics:
        parts.append(f"panic: “{panics[0][:200]}”")
    return "; ".join(parts)


def start(server: Server, store: Path, args, work: Path, probe: Request) -> None:
    """Start the server and wait until it answers ``probe`` (a real query) with a 200."""
    port = free_port()
    server.command = server.argv(store, port, args)
    server.log_path = work / f"{server.name}.log"
    log(f"starting {server.name}: {' '.join(shown_command(server.name, server.command))}")
    with open(server.log_path, "ab") as sink:
        # Its own session, so that stopping it reaches its query workers too.
        # The sketch's workers are forked from it: it starts as the server's workers do (their allocator).
        environment = worker_environment() if server.name == "handoff" else None
        server.process = subprocess.Popen(server.command, stdout=sink, stderr=subprocess.STDOUT, cwd=REPO, start_new_session=True, env=environment)
    server.url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + args.start_timeout
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise RuntimeError(f"{server.name} exited with {server.process.returncode} before answering: {log_tail(server)}")
        try:
            status, body = fetch(server.url + probe.target(server.sparql_path), probe.accept, args.start_timeout)
        except (ConnectionError, urllib.error.URLError, TimeoutError):
            time.sleep(0.5)
            continue
        if status != 200:
            raise RuntimeError(f"{server.name} answered the first query with HTTP {status}: {body[:300]!r}")
        return
    raise RuntimeError(f"{server.name} did not answer within {args.start_timeout:g} s")


def stop(server: Server) -> None:
    if server.process is None:
        return
    if server.process.poll() is None:
        os.killpg(server.process.pid, signal.SIGTERM)
        try:
            server.process.wait(15)
        except subprocess.TimeoutExpired:
            os.killpg(server.process.pid, signal.SIGKILL)
            server.process.wait()
    server.process = None


def process_tree(root: int) -> list[int]:
    """``root`` and its live descendants."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                ppid = int(Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(ppid, []).append(int(entry))
    tree, todo = [], [root]
    while todo:
        pid = todo.pop()
        tree.append(pid)
        todo += children.get(pid, [])
    return tree


def cpu_seconds(root: int, tree: bool = True) -> float:
    """CPU time of a process tree: live processes, plus the children the root has reaped (``tree=False``:
    the root's own time only, e.g. certgraph's web process without its query workers)."""
    total = 0
    for pid in process_tree(root) if tree else [root]:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12]) + (int(fields[13]) + int(fields[14]) if pid == root and tree else 0)
    return total / os.sysconf("SC_CLK_TCK")


def machine_cpu() -> dict[str, float]:
    """CPU seconds of all cores since boot: in processes (user, nice, system), idle (with iowait),
    in interrupts (irq, softirq: on loopback, much of the TCP work, charged to no process), stolen."""
    fields = [int(v) / os.sysconf("SC_CLK_TCK") for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:9]]
    return {"processes": sum(fields[:3]), "idle": fields[3] + fields[4], "interrupts": fields[5] + fields[6], "steal": fields[7]}


class ProcessWatch:
    """A server process sampled twice a second: the most threads it had (Oxigraph's --timeout-s
    starts one per query), and when it was last seen alive if it died."""

    def __init__(self, pid: int):
        self.pid, self.most = pid, 0
        self.started = self.last_alive = time.monotonic()
        self.died_after: float | None = None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, daemon=True)

    def _watch(self) -> None:
        while True:
            try:
                status = Path(f"/proc/{self.pid}/status").read_text()
            except OSError:
                status = "State:\tX"
            if re.search(r"^State:\s+[ZX]", status, re.MULTILINE):  # a dead child stays a zombie until reaped
                self.died_after = self.last_alive - self.started
                return
            self.last_alive = time.monotonic()
            self.most = max(self.most, int(re.search(r"^Threads:\s+(\d+)", status, re.MULTILINE).group(1)))
            if self._stop.wait(0.5):
                return

    def __enter__(self) -> Self:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()


def engine_workers(server: Server) -> int:
    count = 0
    for pid in process_tree(server.process.pid):
        try:
            count += b"certgraph.web.engine" in Path(f"/proc/{pid}/cmdline").read_bytes()
        except OSError:
            pass
    return count


def check_answers(server: Server, requests: list[Request], timeout: float) -> dict:
    """Send the first requests one by one: how many answered 200, and how many result rows they held."""
    ok, rows = 0, 0
    for request in requests:
        status, body = fetch(server.url + request.target(server.sparql_path), request.accept, timeout)
        if status == 200:
            ok += 1
            if request.accept == RESULTS_JSON:
                rows += len(json.loads(body)["results"]["bindings"])
    return {"sent": len(requests), "ok": ok, "rows": rows}


def engine_alone(store_path: Path, requests: list[Request], work: Path, seconds: float = 5.0) -> dict:
    """CPU milliseconds a query of ``requests`` (their SPARQL ones) costs the engine alone: evaluated
    and serialised by the workers' :func:`evaluate`, one after another, in a child process started
    as the server starts its query workers (:func:`worker_environment`: the same allocator), for
    about ``seconds`` after one unmeasured pass over the first hundred (the store's caches warm)."""
    sparql = [{"query": r.query, "accept": r.accept, "union": True, "max_bytes": 64 << 20} for r in requests if r.kind == "sparql"]
    path = work / "engine-alone.json"
    path.write_text(json.dumps(sparql))
    done = subprocess.run([sys.executable, __file__, "--engine-alone", str(path), "--store", str(store_path), "--seconds", str(seconds)],
                          capture_output=True, text=True, check=False, env=worker_environment())
    if done.returncode != 0:
        raise RuntimeError(f"the engine-alone measurement failed: {done.stderr[-2000:]}")
    return {**json.loads(done.stdout), "allocator": worker_allocator() or "glibc malloc"}


# Seconds of the pause between two queries of the engine-alone loop's second pass.
PAUSE = 0.0002


def engine_alone_child(requests_file: Path, store_path: Path, seconds: float) -> None:
    """The child of :func:`engine_alone`: prints {"queries": N, "ms": CPU ms a query, "driven": {...}}."""
    store = ox.Store.read_only(str(store_path))
    sparql = json.loads(requests_file.read_text())
    for request in sparql[:100]:
        evaluate(store, request)
    count, started, wall = 0, time.process_time(), time.monotonic()
    while time.monotonic() - wall < seconds and count < 20 * len(sparql):
        header, _ = evaluate(store, sparql[count % len(sparql)])
        if header["status"] != 200:
            raise RuntimeError(f"the engine could not answer a benchmark query: {header}")
        count += 1
    ms = (time.process_time() - started) * 1000 / count if count else 0.0
    # The same loop with a pause between queries (as a worker waits between requests).
    paused, started = min(count, 2 * len(sparql)), time.process_time()
    for k in range(paused):
        evaluate(store, sparql[k % len(sparql)])
        time.sleep(PAUSE)
    paused_ms = (time.process_time() - started) * 1000 / paused if paused else 0.0
    del store
    print(json.dumps({"queries": count, "ms": ms, "paused_ms": paused_ms,
                      "driven": asyncio.run(one_worker(store_path, sparql, seconds))}))


async def one_worker(store_path: Path, sparql: list[dict], seconds: float) -> dict:
    """One real query worker (:class:`EnginePool` of one) given the same queries one at a time from this
    process: its CPU ms a query when it answers them as frames (``pool.run``), and when it writes each
    HTTP answer to a client's TCP connection handed to it (``pool.hand``, as the server's front does)."""
    pool = EnginePool(store_path, workers=1, memory_mb=None)
    await pool.start()
    listener = socket.create_server(("127.0.0.1", 0))
    client = socket.create_connection(listener.getsockname())
    connection, _ = listener.accept()
    def children_cpu() -> float:  # the worker's, this process's own aside
        return cpu_seconds(os.getpid()) - cpu_seconds(os.getpid(), tree=False)

    heads = [f"GET /sparql?query={quote(r['query'], safe='')} HTTP/1.1\r\nAccept: {r['accept']}\r\n\r\n".encode() for r in sparql]
    loop = asyncio.get_running_loop()

    async def framed(request: dict, head: bytes) -> None:
        await pool.run(request["query"], request["accept"], union=True)

    async def handed(request: dict, head: bytes) -> None:
        reply = await pool.hand(connection.fileno(), head, endpoint="http://127.0.0.1/sparql")
        if reply["status"] != 200:
            raise RuntimeError(f"the worker could not answer a benchmark query: {reply}")
        data = b""
        while b"\r\n\r\n" not in data:
            data += await loop.sock_recv(client, 1 << 20)
        head_part, _, body = data.partition(b"\r\n\r\n")
        length = int(re.search(rb"content-length: (\d+)", head_part).group(1))
        while len(body) < length:
            body += await loop.sock_recv(client, 1 << 20)

    result = {}
    client.setblocking(False)
    try:
        for name, ask in (("framed", framed), ("handed", handed)):
            for k in range(100):
                await ask(sparql[k % len(sparql)], heads[k % len(heads)])
            count, cpu, wall = 0, children_cpu(), time.monotonic()
            while time.monotonic() - wall < seconds and count < 20 * len(sparql):
                await ask(sparql[count % len(sparql)], heads[count % len(heads)])
                count += 1
            result[name] = (children_cpu() - cpu) * 1000 / count
    finally:
        await pool.close()
        client.close(), connection.close(), listener.close()
    return result


# ------------------------------------------------------------------ wrk


def wrk(url: str, requests_file: Path, seconds: float, args) -> dict:
    """Run wrk over ``requests_file``: its JSON summary, its text output, its CPU and the command."""
    command = ["wrk", f"-t{args.threads}", f"-c{args.connections}", f"-d{seconds:g}s", f"--timeout={args.wrk_timeout:g}s",
               "--latency", "-s", str(CYCLE_LUA), url, "--", str(requests_file), str(args.threads)]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    line = next((line for line in done.stdout.splitlines() if line.startswith("WRK-JSON ")), None)
    if done.returncode != 0 or line is None:
        raise RuntimeError(f"wrk failed ({done.returncode}): {done.stderr[-2000:]}{done.stdout[-2000:]}")
    summary = json.loads(line.removeprefix("WRK-JSON "))
    summary["cpu_seconds"] = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
    summary["text"] = done.stdout.replace(line, "").strip()
    summary["command"] = command
    return summary


class ServerDied(RuntimeError):
    """The server stopped before the measured run."""


def workers_cpu(server: Server) -> dict | None:
    """certgraph's own count of its query workers' CPU (``/health``'s ``cpu``: answers, seconds in all,
    reading the request, in the engine); None for another server, or one that does not say."""
    if not server.name.startswith("certgraph"):
        return None
    status, body = fetch(server.url + "/health", "application/json", 10)
    return json.loads(body).get("cpu") if status == 200 else None


def measure(server: Server, workload: str, requests_file: Path, args) -> dict:
    """Warm up, then one measured wrk run; the numbers the table shows, and everything else for --json."""
    log_start = server.log_path.stat().st_size
    if args.warmup > 0:
        wrk(server.url, requests_file, args.warmup, args)
    if server.process.poll() is not None:
        raise ServerDied(f"**the server died during the {args.warmup:g} s warm-up (exit {server.process.returncode})**, "
                         f"so no measured run; server log: {log_summary(server, log_start)}")
    load_before = os.getloadavg()
    pid = server.process.pid
    workers_before = workers_cpu(server)
    cpu_before, main_before, machine_before, started = cpu_seconds(pid), cpu_seconds(pid, tree=False), machine_cpu(), time.monotonic()
    with ProcessWatch(pid) as watch:
        result = wrk(server.url, requests_file, args.seconds, args)
    server_cpu, main_cpu = cpu_seconds(pid) - cpu_before, cpu_seconds(pid, tree=False) - main_before
    workers_after = workers_cpu(server)
    spent = {key: value - machine_before[key] for key, value in machine_cpu().items()}
    wall = time.monotonic() - started
    alive = server.process.poll() is None
    errors = result["errors"]
    non_2xx = sum(n for code, n in result["statuses"].items() if not code.startswith("2"))
    seconds = result["duration_us"] / 1e6
    return {
        "server": server.name, "workload": workload, "timeout": server.timeout,
        "requests": result["requests"], "rps": result["requests"] / seconds if seconds else 0.0,
        "p50_ms": result["latency_us"]["p50"] / 1000, "p90_ms": result["latency_us"]["p90"] / 1000,
        "p95_ms": result["latency_us"]["p95"] / 1000, "p99_ms": result["latency_us"]["p99"] / 1000,
        "max_ms": result["latency_us"]["max"] / 1000,
        "non_2xx": non_2xx, "statuses": result["statuses"],
        "socket_errors": errors["connect"] + errors["read"] + errors["write"] + errors["timeout"],
        "socket_error_kinds": {k: v for k, v in errors.items() if k != "status" and v},
        "ok_rps": sum(n for code, n in result["statuses"].items() if code.startswith("2")) / seconds if seconds else 0.0,
        "cache": result["cache"], "server_cores": server_cpu / wall, "server_main_cores": main_cpu / wall, "wall_seconds": wall,
        "wrk_cores": result["cpu_seconds"] / wall,
        "workers_cpu": {key: workers_after[key] - workers_before[key] for key in workers_before} if workers_before and workers_after else None,
        # Processes other than the server and wrk (other jobs; this script's own sampling is negligible).
        "other_cores": max(0.0, (spent["processes"] - server_cpu - result["cpu_seconds"]) / wall),
        "idle_cores": spent["idle"] / wall, "interrupt_cores": spent["interrupts"] / wall, "steal_cores": spent["steal"] / wall,
        "load_before": load_before, "load_after": os.getloadavg(), "server_threads_most": watch.most,
        "server_alive": alive, "server_exit": None if alive else server.process.returncode,
        "server_died_after": None if alive else watch.died_after if watch.died_after is not None else wall,
        "server_log": log_summary(server, log_start), "wrk_text": result["text"], "wrk_command": result["command"],
        "server_command": server.command,
    }


# ------------------------------------------------------------------ report


def machine() -> dict:
    model = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                  if line.startswith("model name")), platform.processor())
    wrk_version = subprocess.run(["wrk", "-v"], capture_output=True, text=True, check=False).stdout.splitlines()[0].split(" Copyright")[0]
    return {"cores": os.cpu_count(), "cpu": model, "kernel": platform.release(), "wrk": wrk_version,
            "python": platform.python_version(), "pyoxigraph": ox.__version__}


def ms(value: float) -> str:
    return f"{value:.1f}" if value >= 10 else f"{value:.2f}"


def notes(run: dict) -> str:
    parts = []
    if "check" in run:
        parts.append(f"first {run['check']['sent']} sent alone: {run['check']['ok']} × 200, {run['check']['rows']} result rows")
    if run.get("startup"):
        parts.append(run["startup"])
    if run["cache"]["hit"] or run["cache"]["miss"]:
        answered = run["cache"]["hit"] + run["cache"]["miss"]
        parts.append(f"cache hits {run['cache']['hit'] / answered:.0%}")
    other = {code: n for code, n in run["statuses"].items() if not code.startswith("2")}
    if other:
        parts.append("HTTP " + ", ".join(f"{code}×{n}" for code, n in sorted(other.items())))
    if other:
        parts.append(f"{run['ok_rps']:,.0f} answers/s were 2xx")
    if run["socket_error_kinds"]:
        parts.append("socket " + ", ".join(f"{kind} {n}" for kind, n in run["socket_error_kinds"].items()))
    if run["steal_cores"] >= 0.05:
        parts.append(f"{run['steal_cores']:.2f} cores stolen by the hypervisor")
    if run.get("restarted"):
        parts.append("server restarted: it had died in the previous workload")
    if run["server"].startswith("certgraph"):
        parts.append(f"web process {run['server_main_cores']:.2f} of the server's cores")
    if run["requests"] and "wall_seconds" in run:
        per = run["server_cores"] * run["wall_seconds"] * 1000 / run["requests"]
        main = run["server_main_cores"] * run["wall_seconds"] * 1000 / run["requests"]
        split = f" (web process {main:.2f}, query workers {per - main:.2f})" if run["server"].startswith("certgraph") else ""
        parts.append(f"CPU per answer {per:.2f} ms{split}")
    spent = run.get("workers_cpu")
    if spent and spent["answers"]:
        each = {key: spent[key] * 1000 / spent["answers"] for key in ("worker", "reading", "engine")}
        parts.append(f"the workers' own count, per answer: {each['worker']:.2f} ms, of which reading and screening the request "
                     f"{each['reading']:.2f}, the engine {each['engine']:.2f}, the rest {each['worker'] - each['reading'] - each['engine']:.2f}")
    if not run["server_alive"]:
        died = run["server_died_after"]
        threads = f", up to {run['server_threads_most']:,} threads" if run["server_threads_most"] else ""
        parts.append(f"**server died {died:.1f} s into the measured run (exit {run['server_exit']})**{threads}")
    if (other or not run["server_alive"]) and run["server_log"]:
        parts.append(f"server log: {run['server_log']}")
    return "; ".join(parts) or "–"


def print_table(runs: list[dict], title: str) -> None:
    baseline = next((r for r in runs if r["server"] == "rdflib" and r.get("rps")), None)
    print(f"\n### {title}\n")
    print("| server | query time limit | requests/s | p50 (ms) | p95 (ms) | p99 (ms) | max (ms) | non-2xx | socket errors "
          "| CPU (cores): server / wrk / other processes / interrupts / idle | load 1 min | × rdflib (req/s) | notes |")
    print("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- | --- | ---: | --- |")
    for run in runs:
        if "error" in run:
            error = " ".join(run["error"].split())
            print(f"| {run['server']} | {run.get('timeout', '–')} | – | – | – | – | – | – | – | – | – | – | not measured: {error[:600]} |")
            continue
        died = not run["server_alive"]
        ratio = f"{run['rps'] / baseline['rps']:,.0f}×" if baseline and run is not baseline and not died else "–"
        latency = [ms(run[key]) if run["requests"] else "–" for key in ("p50_ms", "p95_ms", "p99_ms", "max_ms")]
        print(f"| {run['server']} | {run['timeout']} | {run['rps']:,.0f}{' (died)' if died else ''} | {' | '.join(latency)} "
              f"| {run['non_2xx']:,} | {run['socket_errors']:,} | {run['server_cores']:.2f} / {run['wrk_cores']:.2f} / {run['other_cores']:.2f} / {run['interrupt_cores']:.2f} / {run['idle_cores']:.2f} "
              f"| {run['load_before'][0]:.2f} → {run['load_after'][0]:.2f} | {ratio} | {notes(run)} |")


def target_line(runs: list[dict], connections: int) -> None:
    for run in runs:
        if run["server"].startswith("certgraph") and "error" not in run:
            met = run["rps"] >= TARGET_RPS and run["p99_ms"] <= TARGET_P99_MS and run["non_2xx"] == 0 and run["socket_errors"] == 0
            print(f"- target (≥ {TARGET_RPS:,} lineage queries/s, p99 ≤ {TARGET_P99_MS:g} ms, 0 errors, {connections} connections): "
                  f"{run['server']} **{'met' if met else 'not met'}** ({run['rps']:,.0f}/s, p99 {ms(run['p99_ms'])} ms, "
                  f"{run['non_2xx'] + run['socket_errors']} errors)")


def mix_description(mix: list[tuple[str, str, int]]) -> str:
    total = sum(n for _, _, n in mix)
    sparql = sum(n for kind, _, n in mix if kind == "sparql")
    parts = [f"{n}/{total} {'SPARQL GET' if kind == 'sparql' else 'API' if kind == 'api' else 'page'} `{name}`" for kind, name, n in mix]
    return (f"mixed: {', '.join(parts)}; mixed-sparql: the {sparql} SPARQL GETs of each round only "
            f"(every server answers those; the API and pages are certgraph's)")


def report(data: dict) -> None:
    """Print the markdown report of a run (``data`` as written by ``--json``)."""
    about, store, settings, requests = data["machine"], data["store"], data["settings"], data["requests"]
    print(f"## Endpoint load benchmark ({data['date']})\n")
    print(f"- machine: {about['cores']} cores, {about['cpu']}; Linux {about['kernel']}; {about['wrk']}; Python {about['python']}, pyoxigraph {about['pyoxigraph']}")
    print(f"- store: {store['path']} ({store['quads']:,} quads, {store['fiches']:,} fiches)")
    print(f"- certgraph serve: {settings['workers'] or '?'} query workers, query time limit {settings['timeout']:g} s, "
          "cache 256 MB (certgraph) or off (certgraph-nocache)")
    print(f"- wrk: {settings['threads']} threads, {settings['connections']} connections, {settings['seconds']:g} s measured after "
          f"{settings['warmup']:g} s of warm-up, socket timeout {settings['wrk_timeout']:g} s; wrk runs on the same cores as the server")
    print(f"- lineage: `lineage/ancestors` as SPARQL GET, {requests['lineage']:,} distinct fiches (each replaces another), cycled")
    print(f"- {mix_description([(m['kind'], m['query'], m['per_round']) for m in data['mix']])}; {requests['mixed']:,} requests cycled "
          f"({requests['mixed-sparql']:,} in mixed-sparql)")
    print("- certgraph's cache: the requests cycle, so after the first pass a repeated GET is answered from the server's memory "
          "(X-Cache: hit); the notes give the share of hits among the answers that carried an X-Cache header")
    print("- CPU: average cores busy during the measured run, from /proc: the server's process tree, wrk, every other process, "
          "interrupts (loopback TCP work charged to no process), and idle; load 1 min: the load average before → after the run")
    titles = {"lineage": "lineage (`lineage/ancestors`, SPARQL GET)", "mixed": "mixed (SPARQL, named-query API, pages; certgraph only)",
              "mixed-sparql": "mixed, SPARQL part (every server)"}
    runs = data["runs"]
    for workload in runs:
        print_table(runs[workload], titles[workload])
        floor = data.get("engine", {}).get(workload)
        if floor:
            print(f"\nThe engine alone: {floor['ms']:.2f} ms of CPU a query ({floor['queries']:,} of these queries evaluated one after "
                  f"another by the workers' `evaluate` in one process, {floor.get('allocator', 'glibc malloc')}, answers serialised, "
                  "no HTTP, no pipe).")
            if floor.get("paused_ms"):
                print(f"The same with a pause of {PAUSE * 1000:g} ms between queries: {floor['paused_ms']:.2f} ms of CPU a query.")
            if floor.get("driven"):
                print(f"One query worker given them one at a time by another process: {floor['driven']['framed']:.2f} ms of its CPU a "
                      f"query answered as frames (as `--no-handoff` asks), {floor['driven']['handed']:.2f} ms with the HTTP answer "
                      "written to a client's TCP connection handed to it (as the front asks).")
        if workload == "lineage":
            print()
            target_line(runs[workload], settings["connections"])
    print("\nCommands (ports vary):\n")
    commands = {r["server"]: r["server_command"] for w in runs.values() for r in w if "server_command" in r}
    for name, command in commands.items():
        print(f"- {name}: `{' '.join(shown_command(name, command))}`")
    example = next((r["wrk_command"] for w in runs.values() for r in w if "wrk_command" in r), None)
    if example:
        print(f"- wrk: `{' '.join(example)}`")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--store", type=Path, default=REPO / "build" / "store", help="a store built by certgraph build")
    parser.add_argument("--seconds", type=float, default=60, help="length of each measured run")
    parser.add_argument("--connections", type=int, default=16, help="wrk connections (concurrent clients)")
    parser.add_argument("--threads", type=int, default=2, help="wrk threads")
    parser.add_argument("--servers", default="certgraph,certgraph-nocache,oxigraph,oxigraph-timeout,rdflib",
                        help="comma-separated: certgraph, certgraph-nocache, certgraph-nocache-uvicorn, oxigraph, oxigraph-timeout, rdflib, handoff")
    parser.add_argument("--workloads", default="lineage,mixed,mixed-sparql", help="comma-separated: lineage, mixed, mixed-sparql")
    parser.add_argument("--fiches", type=int, default=2000, help="how many fiches (and values of each other parameter) the requests cycle through")
    parser.add_argument("--warmup", type=float, default=5, help="seconds of load before each measured run, not measured")
    parser.add_argument("--timeout", type=float, default=30, help="query time limit given to certgraph serve and to oxigraph-timeout")
    parser.add_argument("--workers", type=int, default=None, help="certgraph serve --workers (default: its own, one per core)")
    parser.add_argument("--wrk-timeout", type=float, default=40, help="wrk's socket timeout in seconds: above the query time limit, "
                        "so that a query the server stops is counted as its error answer, not as a client timeout")
    parser.add_argument("--start-timeout", type=float, default=900, help="how long to wait for a server's first answer (rdflib parses the dump first)")
    parser.add_argument("--json", type=Path, default=None, help="write every number (and wrk's text output) to this file")
    parser.add_argument("--report", type=Path, default=None, help="print the report of an earlier --json file, measure nothing")
    parser.add_argument("--work", type=Path, default=None, help="folder for request files and server logs (default: a temp dir)")
    parser.add_argument("--engine-alone", type=Path, default=None, help=argparse.SUPPRESS)  # engine_alone's child
    args = parser.parse_args()
    if args.engine_alone:
        engine_alone_child(args.engine_alone, args.store, args.seconds)
        return
    if args.report:
        report(json.loads(args.report.read_text()))
        return

    chosen = [name.strip() for name in args.servers.split(",") if name.strip()]
    workloads = [name.strip() for name in args.workloads.split(",") if name.strip()]
    servers = make_servers(args)
    unknown = [n for n in chosen if n not in servers] + [w for w in workloads if w not in ("lineage", "mixed", "mixed-sparql")]
    if unknown:
        parser.error(f"unknown server or workload: {', '.join(unknown)}")
    if not (args.store / "CURRENT").exists():
        parser.error(f"no store at {args.store}: run `certgraph build --store {args.store}` first")
    skipped = {}
    if "rdflib" in chosen and importlib.util.find_spec("rdflib_endpoint") is None:
        skipped["rdflib"] = f"rdflib-endpoint is not installed: {BIN / 'pip'} install rdflib-endpoint"
    if "rdflib" in chosen and not args.store.with_suffix(".nq").exists():
        skipped["rdflib"] = f"no dump {args.store.with_suffix('.nq')} beside the store (certgraph build writes it)"
    work = args.work or Path(tempfile.mkdtemp(prefix="certgraph-serve-bench-"))
    work.mkdir(parents=True, exist_ok=True)

    log(f"reading parameter values from {args.store} …")
    inputs = read_inputs(args.store, args.fiches)
    queries = load_queries()
    keep_valid(inputs, queries)
    built = {"lineage": lineage_requests(inputs, queries)}
    built["mixed"] = mixed_requests(inputs, queries, rounds=max(1, args.fiches // 5))
    built["mixed-sparql"] = [r for r in built["mixed"] if r.kind == "sparql"]
    probe = built["lineage"][0]
    engine = {workload: engine_alone(args.store, built[workload], work) for workload in workloads if workload != "mixed"}

    runs: dict[str, list[dict]] = {w: [] for w in workloads}
    info: dict = {"workers": None}
    for name in chosen:
        server = servers[name]
        todo = [w for w in workloads if w in server.workloads]
        if not todo:
            continue
        if name in skipped:
            for workload in todo:
                runs[workload].append({"server": name, "workload": workload, "timeout": server.timeout, "error": "skipped: " + skipped[name]})
            continue
        try:
            for workload in todo:
                restarted = server.process is not None and server.process.poll() is not None
                if server.process is None or restarted:
                    stop(server)
                    started = time.monotonic()
                    start(server, args.store, args, work, probe)
                    log(f"{name} answering after {time.monotonic() - started:.0f} s")
                    if name.startswith("certgraph"):
                        info["workers"] = engine_workers(server)
                requests = built[workload]
                requests_file = write_requests(requests, server.sparql_path, work / f"{workload}-{name}.tsv")
                check = check_answers(server, requests[:20], args.start_timeout)
                log(f"{name} / {workload}: {check['ok']}/{check['sent']} first answers 200, {check['rows']} rows; wrk {args.seconds:g} s …")
                try:
                    run = measure(server, workload, requests_file, args)
                except RuntimeError as exc:
                    run = {"server": name, "workload": workload, "timeout": server.timeout, "error": str(exc)}
                run["check"], run["restarted"] = check, restarted
                if server.name == "rdflib":
                    run["startup"] = next((line for line in server.log_path.read_text().splitlines() if line.startswith("rdflib: parsed")), "")
                runs[workload].append(run)
                if "rps" in run:
                    log(f"  {run['rps']:,.0f} req/s, p99 {run['p99_ms']:.2f} ms, non-2xx {run['non_2xx']}, socket errors {run['socket_errors']}")
        except RuntimeError as exc:
            log(f"{name}: {exc}")
            measured = {r["workload"] for w in runs.values() for r in w if r["server"] == name}
            for workload in todo:
                if workload not in measured:
                    runs[workload].append({"server": name, "workload": workload, "timeout": server.timeout, "error": str(exc)})
        finally:
            stop(server)

    data = {
        "date": time.strftime("%Y-%m-%d %H:%M %Z"), "machine": machine(),
        "store": {"path": str(args.store), "quads": inputs.quads, "fiches": inputs.fiches},
        "settings": {"workers": info["workers"], "timeout": args.timeout, "seconds": args.seconds, "connections": args.connections,
                     "threads": args.threads, "warmup": args.warmup, "wrk_timeout": args.wrk_timeout},
        "mix": [{"kind": k, "query": q, "per_round": n} for k, q, n in MIX],
        "requests": {w: len(r) for w, r in built.items()}, "runs": runs, "engine": engine,
    }
    report(data)
    if args.json:
        args.json.write_text(json.dumps(data, indent=1))
        log(f"wrote {args.json}")

if __name__ == "__main__":
    main()
