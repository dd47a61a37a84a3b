"""SPARQL evaluation in worker processes that can be stopped: the endpoint's query engine.

The embedded store has no query timeout, and a query running inside the web server's process could
not be interrupted. So every query runs in a worker: a child process (``python -m certgraph.engine
STORE``) that opens the store read-only and answers one query at a time over its stdin and stdout.
:class:`EnginePool`, in the server's process, hands each query to an idle worker; when a query
passes its deadline the worker is killed and a fresh one started, while the other workers go on
serving. One worker per core keeps both cores busy.

A request and a response are frames: a 4-byte big-endian length, then the bytes. A request is one
JSON frame; a response is a JSON header frame (status, media type, query form, or an error
message) followed by a body frame. Results are serialised by the store itself (in Rust), in the
media type :func:`certgraph.conneg.choose` picks for the query's form, and a result larger than
the request's ``max_bytes`` stops serialisation and becomes an error rather than a truncated answer.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import struct
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pyoxigraph as ox

from .conneg import FORMS, choose
from .vocab import CURIES

HEADER = struct.Struct(">I")

# Prefixes for Turtle, TriG and RDF/XML answers (readability only: the triples are the same). Not
# ``id:`` nor ``graph:``: their local names hold slashes, which Turtle would have to escape.
PREFIXES = {p: CURIES[p] for p in ("cg", "dcterms", "rdf", "rdfs", "skos", "schema", "xsd", "prov", "void", "xkos", "foaf", "sd")}
PREFIXED_FORMATS = {ox.RdfFormat.TURTLE, ox.RdfFormat.TRIG, ox.RdfFormat.RDF_XML}


def serialize_graph(triples, fmt: ox.RdfFormat, output=None) -> bytes | None:
    """Triples in ``fmt``, with PREFIXES where the format has prefixes; bytes unless ``output`` is given."""
    if fmt in PREFIXED_FORMATS:
        return ox.serialize(triples, output, format=fmt, prefixes=PREFIXES)
    return ox.serialize(triples, output, format=fmt)


class EngineError(Exception):
    """The engine could not answer: the status says why (400 bad query, 406, 413, 503 timeout…)."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status
        self.message = message


@dataclass
class Answer:
    """A query's answer, serialised: the body, its media type and the query form."""

    body: bytes
    media_type: str
    form: str


# ------------------------------------------------------------------ the worker process


class _Bounded:
    """A binary sink that refuses to grow past ``limit`` bytes (stops the store's serialiser)."""

    def __init__(self, limit: int):
        self.limit = limit
        self.parts: list[bytes] = []
        self.size = 0

    def write(self, data: bytes) -> int:
        self.size += len(data)
        if self.size > self.limit:
            raise OSError("result too large")
        self.parts.append(bytes(data))
        return len(data)

    def flush(self) -> None:
        pass


def _graphs(iris: list[str] | None):
    return None if iris is None else [ox.NamedNode(iri) for iri in iris]


def evaluate(store: ox.Store, request: dict) -> tuple[dict, bytes]:
    """Run one request on ``store``: (header, body). Never raises for a bad query: it is an answer."""
    default_graphs, named_graphs = _graphs(request.get("default_graphs")), _graphs(request.get("named_graphs"))
    try:
        result = store.query(
            request["query"],
            use_default_graph_as_union=default_graphs is None,
            default_graph=default_graphs,
            named_graphs=named_graphs,
        )
    except SyntaxError as exc:
        return {"status": 400, "error": f"malformed query: {exc}"}, b""
    except (OSError, ValueError, RuntimeError) as exc:
        return {"status": 500, "error": f"query failed: {exc}"}, b""
    form = "ask" if isinstance(result, ox.QueryBoolean) else "graph" if isinstance(result, ox.QueryTriples) else "select"
    media_type = choose(form, request.get("accept"), request.get("format"))
    if media_type is None:
        offered = ", ".join(dict.fromkeys(FORMS[form]))
        return {"status": 406, "error": f"cannot answer a {form.upper()} query in the requested type; available: {offered}", "form": form}, b""
    sink = _Bounded(int(request.get("max_bytes") or 1 << 62))
    fmt = FORMS[form][media_type]
    try:
        if form == "graph":
            serialize_graph(result, fmt, sink)
        else:
            result.serialize(sink, format=fmt)
    except OSError as exc:
        if sink.size > sink.limit:
            return {"status": 413, "error": f"the result is larger than the server's limit of {sink.limit:,} bytes: add a LIMIT or select fewer variables", "form": form}, b""
        return {"status": 500, "error": f"query failed: {exc}"}, b""
    except (ValueError, RuntimeError) as exc:
        return {"status": 500, "error": f"query failed: {exc}"}, b""
    return {"status": 200, "media_type": media_type, "form": form}, b"".join(sink.parts)


def _read_exact(stream, size: int) -> bytes | None:
    data = b""
    while len(data) < size:
        chunk = stream.read(size - len(data))
        if not chunk:
            return None
        data += chunk
    return data


def _write_frame(stream, payload: bytes) -> None:
    stream.write(HEADER.pack(len(payload)) + payload)


def worker_main(store_path: str) -> int:
    """Serve requests from stdin until it closes (the body of ``python -m certgraph.engine``)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C stops the server, which stops its workers
    store = ox.Store.read_only(store_path)
    # Frames go to a private copy of stdout; anything printed by mistake goes to stderr instead.
    stdout = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)
    stdin = sys.stdin.buffer
    _write_frame(stdout, b'{"ready": true}')
    stdout.flush()
    while True:
        size = _read_exact(stdin, HEADER.size)
        if size is None:
            return 0
        request = json.loads(_read_exact(stdin, HEADER.unpack(size)[0]) or b"{}")
        header, body = evaluate(store, request)
        _write_frame(stdout, json.dumps(header).encode())
        _write_frame(stdout, body)
        stdout.flush()


# ------------------------------------------------------------------ the pool, in the server


class Worker:
    """One worker process and the pipes to it."""

    def __init__(self, process: asyncio.subprocess.Process):
        self.process = process
        self.queries = 0

    @classmethod
    async def start(cls, store_path: Path) -> Worker:
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "certgraph.engine", str(store_path),
            stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
            limit=1 << 20,
        )
        worker = cls(process)
        ready = await worker._read_frame()
        if ready is None:
            raise EngineError(500, f"the query worker could not open the store at {store_path}")
        return worker

    async def _read_frame(self) -> bytes | None:
        try:
            size = await self.process.stdout.readexactly(HEADER.size)
            return await self.process.stdout.readexactly(HEADER.unpack(size)[0])
        except asyncio.IncompleteReadError:
            return None

    async def ask(self, request: dict) -> tuple[dict, bytes]:
        payload = json.dumps(request).encode()
        self.process.stdin.write(HEADER.pack(len(payload)) + payload)
        await self.process.stdin.drain()
        header = await self._read_frame()
        body = await self._read_frame()
        if header is None or body is None:
            raise EngineError(500, "the query worker stopped while answering")
        self.queries += 1
        return json.loads(header), body

    def kill(self) -> None:
        if self.process.returncode is None:
            try:
                self.process.send_signal(signal.SIGKILL)
            except ProcessLookupError:
                pass


class EnginePool:
    """Worker processes over one read-only store, each query under a deadline.

    ``timeout`` is the server's maximum (a request may ask for less, never more); ``max_bytes`` the
    largest serialised result it sends.
    """

    def __init__(self, store_path: Path, workers: int | None = None, timeout: float = 30.0, max_bytes: int = 64 << 20):
        self.store_path = Path(store_path)
        self.size = workers or max(2, os.cpu_count() or 2)
        self.timeout = timeout
        self.max_bytes = max_bytes
        self._idle: asyncio.Queue[Worker] = asyncio.Queue()
        self._all: set[Worker] = set()
        self.killed = 0

    async def start(self) -> None:
        """Start every worker (each opens the store read-only)."""
        workers = await asyncio.gather(*(Worker.start(self.store_path) for _ in range(self.size)))
        for worker in workers:
            self._all.add(worker)
            self._idle.put_nowait(worker)

    async def close(self) -> None:
        """Stop every worker."""
        for worker in list(self._all):
            worker.kill()
            await worker.process.wait()
        self._all.clear()

    async def _replace(self, worker: Worker) -> None:
        worker.kill()
        await worker.process.wait()
        self._all.discard(worker)
        self.killed += 1
        try:
            fresh = await Worker.start(self.store_path)
        except (OSError, EngineError) as exc:
            print(f"certgraph: could not replace a query worker ({exc}); {len(self._all)} left", file=sys.stderr)
            return
        self._all.add(fresh)
        self._idle.put_nowait(fresh)

    def deadline(self, requested: float | None) -> float:
        """The time limit of one query: the requested one, never above the server's maximum."""
        if requested is None or requested <= 0:
            return self.timeout
        return min(requested, self.timeout)

    async def run(
        self,
        query: str,
        accept: str | None = None,
        format: str | None = None,
        default_graphs: list[str] | None = None,
        named_graphs: list[str] | None = None,
        timeout: float | None = None,
    ) -> Answer:
        """Answer ``query`` within the deadline; raises EngineError (400, 406, 413, 500, 503)."""
        limit = self.deadline(timeout)
        started = time.monotonic()
        try:
            worker = await asyncio.wait_for(self._idle.get(), limit)
        except asyncio.TimeoutError:
            raise EngineError(503, f"every query worker stayed busy for {limit:g} s; try again later") from None
        request = {
            "query": query, "accept": accept, "format": format, "max_bytes": self.max_bytes,
            "default_graphs": default_graphs, "named_graphs": named_graphs,
        }
        try:
            header, body = await asyncio.wait_for(worker.ask(request), limit - (time.monotonic() - started))
        except (asyncio.TimeoutError, asyncio.CancelledError, EngineError) as exc:
            asyncio.get_running_loop().create_task(self._replace(worker))
            if isinstance(exc, asyncio.TimeoutError):
                raise EngineError(503, f"query stopped after {limit:g} s, its time limit (the server allows at most {self.timeout:g} s)") from None
            raise
        self._idle.put_nowait(worker)
        if header["status"] != 200:
            raise EngineError(header["status"], header["error"])
        return Answer(body, header["media_type"], header["form"])

    async def run_json(self, query: str, timeout: float | None = None) -> dict:
        """A SELECT or ASK query's results as parsed SPARQL JSON (pages, the named-query API)."""
        answer = await self.run(query, accept="application/sparql-results+json", timeout=timeout)
        return json.loads(answer.body)


if __name__ == "__main__":
    sys.exit(worker_main(sys.argv[1]))
