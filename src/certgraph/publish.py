"""Publish the built graph to another store through the SPARQL 1.1 Graph Store HTTP Protocol.

Every named graph of the store (each source and each derived result, with the provenance graph
describing them) goes to the same graph IRI on the target, in batches of N-Triples: the first batch
of a graph is a PUT, which creates or replaces it, the others are POSTs, which add to it. The
store holds no blank nodes, so a batch sent twice adds nothing, and a transient failure (a refused
connection, 429, 502, 503, 504) is simply retried. Afterwards each graph is read back and its triples
counted: publishing succeeds only if every count equals the store's.

Without ``replace``, graphs the target already holds are not touched: publishing stops before
sending anything and names them.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field

import httpx

from .errors import CertgraphError
from .queries import internal_query
from .store import RDF_PARSERS, Credentials, OxigraphStore, auth_hint

DEFAULT_BATCH = 50_000
TRANSIENT = {408, 425, 429, 502, 503, 504}
N_TRIPLES = "application/n-triples"

Progress = Callable[[str], None]


class PublishError(CertgraphError):
    """Publishing could not start, failed for good, or the target does not hold what was sent."""


@dataclass
class GraphReport:
    """One named graph: triples in the store, triples sent, triples the target holds afterwards."""

    iri: str
    local: int
    sent: int = 0
    remote: int | None = None

    @property
    def verified(self) -> bool:
        return self.remote == self.local


@dataclass
class PublishReport:
    """What was sent where, how fast, and whether the target holds it all."""

    target: str
    graphs: list[GraphReport] = field(default_factory=list)
    requests: int = 0
    retries: int = 0
    send_seconds: float = 0.0
    verify_seconds: float = 0.0

    @property
    def triples(self) -> int:
        return sum(g.sent for g in self.graphs)

    @property
    def rate(self) -> float:
        """Triples sent per second (sending only, the read-back excluded)."""
        return self.triples / self.send_seconds if self.send_seconds else 0.0

    @property
    def mismatches(self) -> list[GraphReport]:
        """Graphs whose count on the target differs from the store's (after verifying)."""
        return [g for g in self.graphs if g.remote is not None and not g.verified]

    def summary(self) -> str:
        line = (f"published {self.triples:,} triples in {len(self.graphs)} named graphs to {self.target} "
                f"in {self.send_seconds:.1f} s ({self.rate:,.0f} triples/s, {self.requests} requests, "
                f"{self.retries} retried)")
        if any(g.remote is not None for g in self.graphs):
            line += f"; verified in {self.verify_seconds:.1f} s: every graph holds as many triples as the store"
        return line


class _Client:
    """An HTTP client for one Graph Store endpoint that retries transient failures."""

    def __init__(self, target: str, credentials: Credentials | None, report: PublishReport,
                 retries: int, backoff: float, timeout: float, progress: Progress):
        self.target, self.report, self.retries, self.backoff, self.progress = target, report, retries, backoff, progress
        auth = credentials.httpx_auth() if credentials else None
        headers = {"User-Agent": "certgraph publish", **(credentials.headers() if credentials else {})}
        self.http = httpx.Client(auth=auth, headers=headers, timeout=timeout)
        self.lock = threading.Lock()

    def url(self, graph: str) -> httpx.URL:
        """The Graph Store URL of one graph (``?graph=IRI``, added to the target's own parameters)."""
        return httpx.URL(self.target).copy_merge_params({"graph": graph})

    def send(self, method: str, graph: str, **kwargs) -> httpx.Response:
        """One request about ``graph``; transient failures are retried with growing pauses."""
        url = self.url(graph)
        for attempt in range(self.retries + 1):
            with self.lock:
                self.report.requests += 1
            try:
                response = self.http.request(method, url, **kwargs)
            except httpx.TransportError as exc:
                problem, wait = f"{type(exc).__name__}: {exc}", None
            else:
                if response.status_code not in TRANSIENT:
                    return self._checked(method, graph, response)
                problem, wait = f"HTTP {response.status_code}", _retry_after(response)
            if attempt == self.retries:
                raise PublishError(f"{method} {graph} at {self.target}: {problem}, still after {self.retries} retries")
            pause = wait if wait is not None else self.backoff * 2 ** attempt
            with self.lock:
                self.report.retries += 1
            self.progress(f"  {method} {graph}: {problem}; retrying in {pause:.1f} s")
            time.sleep(pause)
        raise AssertionError("unreachable")

    def _checked(self, method: str, graph: str, response: httpx.Response) -> httpx.Response:
        status = response.status_code
        if status in (401, 403):
            raise PublishError(f"{method} {graph} at {self.target}: {auth_hint(status, response.headers.get('WWW-Authenticate'))}")
        if status == 404 and method == "GET":
            return response
        if status >= 400:
            text = " ".join(response.read().decode("utf-8", "replace").split())[:300]
            raise PublishError(f"{method} {graph} at {self.target}: HTTP {status}: {text}")
        return response

    def exists(self, graph: str) -> bool:
        """Whether the target holds ``graph``: the status of a GET, its body left unread.

        Not HEAD: Virtuoso answers it 501, and Oxigraph's server sends a body after a 404 to HEAD,
        which spoils the kept-alive connection.
        """
        with self.http.stream("GET", self.url(graph), headers={"Accept": N_TRIPLES, "Connection": "close"}) as response:
            self._checked("GET", graph, response)
            return response.status_code != 404

    def close(self) -> None:
        self.http.close()


def _retry_after(response: httpx.Response) -> float | None:
    value = response.headers.get("Retry-After", "")
    return min(float(value), 60.0) if value.strip().isdigit() else None


def local_counts(store: OxigraphStore) -> dict[str, int]:
    """Triples per named graph of the store."""
    return {g: int(n) for g, n in store.select_lexical(internal_query("stats/graph-sizes").bind())}


def count_triples(response: httpx.Response) -> int:
    """Triples in a graph read back: N-Triples lines are counted, other syntaxes parsed."""
    media_type = response.headers.get("Content-Type", "").split(";")[0].strip().lower()
    if media_type in (N_TRIPLES, "text/plain"):
        return sum(1 for line in response.text.splitlines() if line.strip() and not line.lstrip().startswith("#"))
    from rdflib import Graph

    if media_type not in RDF_PARSERS:
        raise PublishError(f"cannot count the triples of a graph sent back as {media_type or 'no type'}")
    return len(Graph().parse(data=response.content, format=RDF_PARSERS[media_type]))


def _send_graphs(client: _Client, store: OxigraphStore, report: PublishReport, batch: int, parallel: int,
                 progress: Progress) -> None:
    """Send every graph of the report: its first batch PUT, then the rest POSTed, ``parallel`` at a time.

    The next batch is read from the store while the previous ones travel; at most ``2 × parallel``
    batches are held in memory.
    """
    started, total = time.perf_counter(), sum(g.local for g in report.graphs)

    def sent(graph: GraphReport, size: int) -> None:
        graph.sent += size
        rate = report.triples / (time.perf_counter() - started)
        progress(f"{report.triples:,}/{total:,} triples ({rate:,.0f}/s): {graph.iri} {graph.sent:,}/{graph.local:,}")

    with ThreadPoolExecutor(max_workers=parallel) as pool:
        for graph in report.graphs:
            pending: dict[Future, int] = {}
            for size, body in store.ntriples_batches(graph.iri, batch):
                if graph.sent == 0 and not pending:  # the PUT that creates or replaces the graph goes first
                    client.send("PUT", graph.iri, content=body, headers={"Content-Type": N_TRIPLES})
                    sent(graph, size)
                    continue
                if len(pending) >= 2 * parallel:
                    done, _ = wait(pending, return_when=FIRST_COMPLETED)
                    for future in done:
                        future.result()
                        sent(graph, pending.pop(future))
                future = pool.submit(client.send, "POST", graph.iri, content=body, headers={"Content-Type": N_TRIPLES})
                pending[future] = size
            for future, size in pending.items():
                future.result()
                sent(graph, size)


def publish(
    store: OxigraphStore,
    target: str,
    graphs: list[str] | None = None,
    replace: bool = False,
    batch: int = DEFAULT_BATCH,
    credentials: Credentials | None = None,
    verify: bool = True,
    progress: Progress = lambda _: None,
    parallel: int = 2,
    retries: int = 5,
    backoff: float = 0.5,
    timeout: float = 300.0,
) -> PublishReport:
    """Send the store's named graphs (all, or ``graphs``) to the Graph Store endpoint ``target``.

    :raises PublishError: an unknown graph asked for, graphs already on the target without
        ``replace``, a refused or failed request (after retries), or counts that differ afterwards.
    """
    counts = local_counts(store)
    wanted = sorted(counts) if not graphs else list(dict.fromkeys(graphs))
    unknown = [g for g in wanted if g not in counts]
    if unknown:
        raise PublishError(f"not a named graph of {store.path}: {', '.join(unknown)} (it has {len(counts)}: "
                           f"{', '.join(sorted(counts)[:5])}…)")
    report = PublishReport(target, [GraphReport(g, counts[g]) for g in wanted])
    client = _Client(target, credentials, report, retries, backoff, timeout, progress)
    try:
        if not replace:
            present = [g.iri for g in report.graphs if client.exists(g.iri)]
            if present:
                raise PublishError(f"{target} already holds {len(present)} of these graphs ({', '.join(present[:3])}"
                                   f"{'…' if len(present) > 3 else ''}): nothing was sent; use --replace to replace them")
        started = time.perf_counter()
        _send_graphs(client, store, report, batch, parallel, progress)
        report.send_seconds = time.perf_counter() - started
        if verify:
            started = time.perf_counter()
            for graph in report.graphs:
                graph.remote = count_triples(client.send("GET", graph.iri, headers={"Accept": N_TRIPLES}))
            report.verify_seconds = time.perf_counter() - started
            if report.mismatches:
                wrong = "; ".join(f"{g.iri}: {g.remote:,} instead of {g.local:,}" for g in report.mismatches)
                raise PublishError(f"{target} does not hold what was sent: {wrong}")
    finally:
        client.close()
    return report
