"""SPARQL evaluation in worker processes that can be stopped: the endpoint's query engine.

The embedded store has no query timeout, and a query running inside the web server's process could
not be interrupted. So every query runs in a worker: a child process (this module's :func:`main`, as
``python -m certgraph.web.engine STORE`` would run it) that opens the store read-only and answers one
query at a time over a Unix socket, its stdin. :class:`EnginePool`, in the server's process, hands each
query to an idle worker; when a query passes its deadline the worker is killed and a fresh one
started, while the other workers go on serving. One worker more than the cores keeps them busy:
while the server's process reads a request or writes an answer, its worker would otherwise wait
(on 2 cores, 3 workers answered distinct short queries about 25 % faster than 2; 4 no faster than 3).

The pool heals: every worker is watched, and one that dies for any reason (its time limit, its
memory limit, a crash, a signal from outside) is replaced, with retries when the replacement cannot
start. It shares: each client (an address) has a bounded number of queries running and waiting,
and a freed worker goes to the waiting clients in turn, so one client's runaway queries wait
behind each other, not in front of everyone. It caps memory: each worker runs under an address
space limit, and a query that needs more ends that worker, not the server.

A request and a response are frames: a 4-byte big-endian length, then the bytes. A request is one
JSON frame; a response is a JSON header frame (status, media type, query form, or an error
message) followed by a body frame. A request may also hand the worker a client's connection (its
file descriptor, sent with the frame, then a frame with the request's head): the worker then writes
the HTTP answer to the client itself (:func:`answer_connection`, :mod:`certgraph.web.front`) and
its response tells the server how it went. Results are serialised by the store itself (in Rust), in the
media type :func:`certgraph.web.conneg.choose` picks for the query's form, and a result larger than
the request's ``max_bytes`` stops serialisation and becomes an error rather than a truncated answer.
"""

from __future__ import annotations

import argparse
import asyncio
import ctypes.util
import functools
import json
import os
import re
import resource
import signal
import socket
import struct
import sys
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pyoxigraph as ox

from ..config import WORKER_MALLOC_ENV, setting
from ..errors import CertgraphError
from ..sparql_text import QueryRefused
from ..vocab import CURIES
from .conneg import FORMS, choose
from .protocol import (
    CORS,
    SERVICE_FAILED,
    answer_headers,
    closes,
    error_response,
    form_fields,
    get_request,
    head_fields,
    response_head,
    screened,
)

HEADER = struct.Struct(">I")
# An answer written by a worker straight to its client did not come from the server's cache.
MISS = (b"x-cache", b"miss")

# Prefixes for Turtle, TriG and RDF/XML answers (readability only: the triples are the same). Not
# ``id:`` nor ``graph:``: their local names hold slashes, which Turtle would have to escape.
PREFIXES = {p: CURIES[p] for p in ("cg", "dcterms", "rdf", "rdfs", "skos", "schema", "xsd", "prov", "void", "xkos", "foaf", "sd", "dcat")}
PREFIXED_FORMATS = {ox.RdfFormat.TURTLE, ox.RdfFormat.TRIG, ox.RdfFormat.RDF_XML}

# The worker's command line, before the store's path. The package's ``__init__`` imports nothing
# eagerly, so the worker loads this module and pyoxigraph alone (0.2 s): while a worker starts, the
# pool is a worker short.
WORKER = [sys.executable, "-m", "certgraph.web.engine"]
# glibc gives a thread that allocates while others do an arena of its own, 64 MB of address space
# each (up to eight per core), which the memory limit counts: an idle worker mapped anywhere between
# 380 and 770 MB, and sometimes could not start under 1 GB. Two arenas keep it at about 200 MB.
WORKER_ENVIRONMENT = {"MALLOC_ARENA_MAX": "2"}
# The workers' allocator. The store's engine allocates and frees for every row it joins: with glibc's
# malloc a ``lineage/ancestors`` query costs 0.45 ms of CPU, with jemalloc 0.35 ms, a mixed workload's
# query 4.6 ms against 4.1 (benchmarks/serve.py, "the engine alone"). jemalloc also maps less (an
# idle worker 173 MB of address space against 198) and fails an allocation past the memory limit
# as glibc does, so the limit and its message hold. mimalloc was as fast but maps 416 MB idle.
# It is preloaded into the workers when the system has it (Debian: libjemalloc2);
# CERTGRAPH_WORKER_MALLOC set to ``system`` keeps glibc's, set to a library's path preloads that one.
JEMALLOC = "jemalloc"
# Seconds a worker may take to open the store and say it is ready (it takes half a second).
START_TIMEOUT = 60.0
# Seconds between two tries at starting a replacement worker: doubled after each failure, up to the last.
REPLACE_BACKOFF = (0.1, 10.0)
# Seconds a worker that closed its output may take to exit and flush its error output.
EXIT_TIMEOUT = 5.0


@functools.cache
def _jemalloc() -> str | None:
    return ctypes.util.find_library(JEMALLOC)


def worker_allocator(environ: dict[str, str] | None = None) -> str | None:
    """The library preloaded into the query workers as their allocator, None for glibc's malloc
    (see :data:`certgraph.config.WORKER_MALLOC_ENV`; ``environ`` replaces the process's environment).

    >>> worker_allocator({WORKER_MALLOC_ENV: "system"}), worker_allocator({WORKER_MALLOC_ENV: "/opt/libtcmalloc.so"})
    (None, '/opt/libtcmalloc.so')
    """
    chosen = (setting(WORKER_MALLOC_ENV, environ) or "").strip()
    if chosen == "system":
        return None
    return chosen or _jemalloc()


def worker_environment() -> dict[str, str]:
    """The environment a query worker starts with: the server's, its malloc settings, its allocator."""
    environment = {**WORKER_ENVIRONMENT, **os.environ}
    allocator = worker_allocator()
    if allocator:
        environment["LD_PRELOAD"] = " ".join(filter(None, (allocator, environment.get("LD_PRELOAD"))))
    return environment


def default_workers() -> int:
    """Query workers when none is configured: one per core and one more, at least three."""
    return max(2, os.cpu_count() or 2) + 1


def serialize_graph(triples, fmt: ox.RdfFormat, output=None) -> bytes | None:
    """Triples in ``fmt``, with PREFIXES where the format has prefixes; bytes unless ``output`` is given."""
    if fmt in PREFIXED_FORMATS:
        return ox.serialize(triples, output, format=fmt, prefixes=PREFIXES)
    return ox.serialize(triples, output, format=fmt)


class EngineError(CertgraphError):
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


def memory_message(memory_mb: int | None) -> str:
    """The error of a query that needed more memory than its worker may use (or than there is)."""
    most = f"a query worker may use ({memory_mb:,} MB)" if memory_mb else "the server has"
    return f"the query needed more memory than {most}: add a LIMIT, or narrow its patterns"


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


def _graphs(iris: list[str] | None, name: str) -> list[ox.NamedNode] | None:
    """Graph names as nodes; raises ValueError naming the parameter and the IRI when one is not an IRI."""
    if iris is None:
        return None
    nodes = []
    for iri in iris:
        try:
            nodes.append(ox.NamedNode(iri))
        except ValueError as exc:
            raise ValueError(f"{name} {iri!r} is not an absolute IRI ({exc})") from None
    return nodes


def _dataset(request: dict) -> dict:
    """The keyword arguments of ``Store.query`` that set a request's dataset and base IRI.

    ``union`` False: the query names its own dataset (FROM, FROM NAMED), which the store reads only
    when no dataset is given. True: the default graph is the union of all graphs. None: the union
    too, unless default graphs are given (the protocol's ``default-graph-uri``).
    Raises ValueError naming the parameter that is wrong.
    """
    options: dict = {}
    base_iri = request.get("base_iri")
    if base_iri is not None:
        try:
            ox.NamedNode(base_iri)
        except ValueError as exc:
            raise ValueError(f"base IRI {base_iri!r} is not an absolute IRI ({exc})") from None
        options["base_iri"] = base_iri
    if request.get("union") is False:
        return options
    default_graphs = _graphs(request.get("default_graphs"), "default graph")
    options["named_graphs"] = _graphs(request.get("named_graphs"), "named graph")
    if default_graphs is not None and request.get("union"):
        raise ValueError("default graphs and a union default graph exclude each other: give one or the other")
    if default_graphs is None:
        options["use_default_graph_as_union"] = True
    else:
        options["default_graph"] = default_graphs
    return options


def evaluate(store: ox.Store, request: dict) -> tuple[dict, bytes]:
    """Run one request on ``store``: (header, body). Never raises for a bad query: it is an answer.

    A 200's header says the CPU seconds of the store's work (``engine``: evaluating and serialising).
    """
    try:
        options = _dataset(request)
    except ValueError as exc:
        return {"status": 400, "error": str(exc)}, b""
    started = time.thread_time()
    try:
        result = store.query(request["query"], **options)
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
    return {"status": 200, "media_type": media_type, "form": form, "engine": time.thread_time() - started}, b"".join(sink.parts)


def limit_memory(memory_mb: int) -> None:
    """Cap this process's address space (RLIMIT_AS) at ``memory_mb``: past it, allocations fail.

    The store's engine (Rust) aborts on a failed allocation, Python raises MemoryError.
    """
    _, hard = resource.getrlimit(resource.RLIMIT_AS)
    limit = memory_mb << 20
    if hard != resource.RLIM_INFINITY:
        limit = min(limit, hard)
    resource.setrlimit(resource.RLIMIT_AS, (limit, hard))


def _receive(channel: socket.socket, size: int, fds: list[int] | None = None) -> bytes | None:
    """Exactly ``size`` bytes from the channel (None when it closed), the descriptors sent with them added to ``fds``."""
    data = b""
    while len(data) < size:
        if fds is None:
            chunk = channel.recv(size - len(data))
        else:
            chunk, received, _, _ = socket.recv_fds(channel, size - len(data), 1)
            fds += received
        if not chunk:
            return None
        data += chunk
    return data


def _send_frames(channel: socket.socket, *payloads: bytes) -> None:
    """Frames to the server: each a 4-byte length then the bytes (a large payload is not copied)."""
    small = b""
    for payload in payloads:
        small += HEADER.pack(len(payload))
        if len(payload) < 1 << 16:
            small += payload
        else:
            channel.sendall(small)
            channel.sendall(payload)
            small = b""
    if small:
        channel.sendall(small)


def answer_connection(store: ox.Store, request: dict, head: bytes, connection: socket.socket,
                      memory_mb: int | None = None) -> tuple[dict, bytes]:
    """Answer a protocol GET on the client's connection; (header, body) for the server.

    The server read the request's ``head`` from the connection and saw that it is a GET of ``/sparql``
    with a query and no body (:mod:`certgraph.web.front`): the worker only writes to the connection.
    The answer is the one :mod:`certgraph.web.app` gives: the same screen, dataset, errors and
    headers. The header says the ``status``, the ``media_type`` of a 200, whether the server must
    ``close`` the connection (the client asked, or went away) and whether this worker must
    ``retire``; the body is the answer's, for the server's cache, when it is a 200 of at most
    ``request["keep"]`` bytes, else empty. The worker writes what the connection takes without
    waiting; the rest, if any (``unsent``), is the body, for the server to send. It also says the CPU
    seconds spent reading and screening the request (``reading``) and, for a 200, in the engine
    (``engine``, see :func:`evaluate`).
    """
    started = time.thread_time()
    status, media_type, body, reply, close = 200, None, b"", {}, True
    try:
        _, target, version, headers = head_fields(head)
        close = closes(version, headers)
        fields = form_fields(target.partition(b"?")[2], "the query string")
        query, fmt, _, default_graphs, named_graphs = get_request(fields)
        dataset = screened(query, default_graphs, named_graphs, tuple(request["allow_service"]), request["endpoint"])
        service = dataset.pop("service")
        accept = headers.get(b"accept")
        reply["reading"] = time.thread_time() - started
        header, body = evaluate(store, {"query": query, "accept": accept and accept.decode("latin-1"), "format": fmt,
                                        "max_bytes": request["max_bytes"], **dataset})
        status = header["status"]
        if status != 200:
            message = SERVICE_FAILED if service and status == 500 else header["error"]
            status, body = 502 if service and status == 500 else status, b""
        else:
            media_type, reply["engine"] = header["media_type"], header["engine"]
    except QueryRefused as exc:
        status, message = exc.status, exc.message
    except ValueError:  # not a request line: the server checked it, so not seen
        status, message = 400, "malformed request"
    except MemoryError:
        body = b""
        status, message, reply["retire"] = 503, memory_message(memory_mb), True
    if status == 200:
        data = response_head(200, [*answer_headers(len(body), media_type), CORS, MISS], close) + body
    else:
        data = error_response(status, message, [MISS], close)
    sent, view = 0, memoryview(data)
    try:
        while sent < len(data):
            sent += connection.send(view[sent:])
    except BlockingIOError:  # a client slower to read than the answer is long: the server sends the rest
        return {**reply, "status": status, "media_type": media_type, "close": close, "unsent": True}, data[sent:]
    except OSError:  # the client went away
        close = True
    keep = body if status == 200 and len(body) <= request.get("keep", 0) else b""
    return {**reply, "status": status, "media_type": media_type, "close": close}, keep


def worker_main(store_path: str, memory_mb: int | None = None) -> int:
    """Serve requests from the channel on stdin until it closes (the body of ``python -m certgraph.web.engine``).

    A request is a frame; one that carries a client's connection (a file descriptor sent with it)
    is answered on that connection (:func:`answer_connection`), any other with the header and body
    frames of :func:`evaluate`. With ``memory_mb``, the worker runs under that address space limit;
    a query that passes it ends the worker (the engine aborts) or, when an allocation of Python's
    fails, is answered 503 and the worker exits after its answer (it says so with ``retire``).
    Every answer's header says the CPU seconds the worker spent on it (``cpu``).
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C stops the server, which stops its workers
    if memory_mb:
        limit_memory(memory_mb)
    store = ox.Store.read_only(store_path)
    channel = socket.socket(fileno=os.dup(0))
    channel.setblocking(True)
    os.dup2(2, 1)  # anything printed by mistake goes to the error output
    _send_frames(channel, b'{"ready": true}')
    while True:
        fds: list[int] = []
        size = _receive(channel, HEADER.size, fds)
        payload = size and _receive(channel, HEADER.unpack(size)[0])
        if fds and payload is not None:  # a client's connection, then the head of its request
            size = _receive(channel, HEADER.size)
            head = size and _receive(channel, HEADER.unpack(size)[0])
        if payload is None or (fds and head is None):
            return 0
        started = time.thread_time()
        request = json.loads(payload)
        try:
            if fds:
                with socket.socket(fileno=fds[0]) as connection:
                    for extra in fds[1:]:
                        os.close(extra)
                    # Non-blocking, as the server's copy is (the flag is the connection's): what the
                    # client does not take at once, the server sends, and the worker is free.
                    connection.setblocking(False)
                    header, body = answer_connection(store, request, head, connection, memory_mb)
            else:
                header, body = evaluate(store, request)
        except MemoryError:
            header, body = {"status": 503, "error": memory_message(memory_mb), "retire": True}, b""
        header["cpu"] = time.thread_time() - started
        try:
            _send_frames(channel, json.dumps(header).encode(), body)
        except OSError:  # the server is gone
            return 0
        if header.get("retire"):
            return 0


# ------------------------------------------------------------------ the pool, in the server

# What a worker's error output says when it dies: Rust's and C++'s failed allocations, a Rust panic.
_OUT_OF_MEMORY = re.compile(r"memory allocation of \d+ bytes failed|std::bad_alloc|MemoryError")
_PANIC = re.compile(r"panicked at ")


class Worker:
    """One worker process, the channel to it, and what its error output said about its end.

    The channel is a Unix socket: requests go out on it (with a client's connection when one is
    handed over), frames come back on it, read by a callback of the event loop as they arrive.
    """

    def __init__(self, process: asyncio.subprocess.Process, channel: socket.socket):
        self.process = process
        self.channel = channel
        self._loop = asyncio.get_running_loop()
        self._received = bytearray()
        self._frames: deque[bytes] = deque()
        self._waiter: tuple[asyncio.Future, int] | None = None  # a future for that many frames
        self._closed = False  # the worker closed its end (it died or exited)
        self._loop.add_reader(channel, self._readable)
        self.stopped = False  # killed by the pool (time limit, cancelled request, closing)
        self.done = False  # answers no more: it died while answering, or retired after its answer
        self.replaced = False  # its replacement is at work
        self.charged = False  # its query ended it: that query's client keeps its share until the replacement is ready
        self.client: str | None = None  # the client of the query that ended it
        self.out_of_memory = False
        self.panic: str | None = None
        self.last_error = ""  # the last line of its error output
        self._expect_panic_message = False
        self._errors = asyncio.get_running_loop().create_task(self._forward_errors())

    @classmethod
    async def start(cls, store_path: Path, memory_mb: int | None = None) -> Worker:
        """A worker that opened the store and is ready; raises EngineError when it cannot start."""
        command = [*WORKER, str(store_path)]
        if memory_mb:
            command += ["--memory-mb", str(memory_mb)]
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            process = await asyncio.create_subprocess_exec(
                *command, stdin=theirs, stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE,
                env=worker_environment(), limit=1 << 20,
            )
        except OSError as exc:
            ours.close()
            raise EngineError(503, f"could not start a query worker: {exc}") from None
        finally:
            theirs.close()
        ours.setblocking(False)
        worker = cls(process, ours)
        try:
            ready = await worker._next(1, worker._loop.time() + START_TIMEOUT)
        except BaseException as exc:
            worker.stop()  # not ready in time, or the pool is closing
            await worker.wait()
            if isinstance(exc, asyncio.TimeoutError):
                raise EngineError(503, f"the query worker did not open the store at {store_path} within {START_TIMEOUT:g} s") from None
            raise
        if ready is None:
            code = await worker.exit_code()
            why = worker.last_error or _how(code)
            if memory_mb and (worker.out_of_memory or -code in (signal.SIGABRT, signal.SIGSEGV)):
                why = f"{memory_mb:,} MB of address space is too little for it: {why}"
            raise EngineError(503, f"the query worker could not open the store at {store_path} ({why})")
        return worker

    @property
    def pid(self) -> int:
        return self.process.pid

    @property
    def usable(self) -> bool:
        """Whether it can take another query."""
        return not (self.stopped or self.done) and self.process.returncode is None

    @property
    def killed_from_outside(self) -> bool:
        """Whether something else than the pool killed it (an operator, the system short of memory)."""
        return self.process.returncode == -signal.SIGKILL and not self.stopped

    async def _forward_errors(self) -> None:
        """Copy the worker's error output to the server's, noting how the worker failed."""
        stream = self.process.stderr
        while True:
            try:
                line = await stream.readline()
            except ValueError:  # a line longer than the stream's limit, dropped
                continue
            if not line:
                return
            text = line.decode("utf-8", errors="replace").rstrip()
            self.last_error = text.strip() or self.last_error
            if self._expect_panic_message:
                self.panic, self._expect_panic_message = text, False
            elif _PANIC.search(text) and self.panic is None:
                self._expect_panic_message = True
            if _OUT_OF_MEMORY.search(text):
                self.out_of_memory = True
            print(f"certgraph query worker {self.pid}: {text}", file=sys.stderr)

    def _readable(self) -> None:
        """Take what the worker sent; hand complete frames to the waiter once it has all it waits for."""
        try:
            data = self.channel.recv(1 << 20)
        except (BlockingIOError, InterruptedError):
            return
        except OSError:
            data = b""
        if data:
            received = self._received
            received += data
            while len(received) >= HEADER.size:
                end = HEADER.size + HEADER.unpack_from(received)[0]
                if len(received) < end:
                    break
                self._frames.append(bytes(received[HEADER.size:end]))
                del received[:end]
        else:
            self._closed = True
            self._loop.remove_reader(self.channel)
        if self._waiter is not None:
            future, count = self._waiter
            if len(self._frames) >= count:
                self._waiter = None
                if not future.done():
                    future.set_result([self._frames.popleft() for _ in range(count)])
            elif self._closed:
                self._waiter = None
                if not future.done():
                    future.set_result(None)

    async def _next(self, count: int, deadline: float) -> list[bytes] | None:
        """The worker's next ``count`` frames, None when it closed the channel first; TimeoutError at ``deadline`` (loop time)."""
        if len(self._frames) >= count:
            return [self._frames.popleft() for _ in range(count)]
        if self._closed:
            return None
        future = self._loop.create_future()
        self._waiter = (future, count)
        timer = self._loop.call_at(deadline, _expire, future)
        try:
            return await future
        finally:
            timer.cancel()
            self._waiter = None

    async def ask(self, request: dict, connection: tuple[int, bytes] | None = None,
                  deadline: float = float("inf")) -> tuple[dict, bytes] | None:
        """The worker's answer (header, body), or None when it died while answering; TimeoutError at ``deadline`` (loop time).

        With ``connection`` (a client's socket's descriptor and the head of its request, read), the
        worker answers the client on it.
        """
        frame = json.dumps(request).encode()
        frame = HEADER.pack(len(frame)) + frame
        try:
            # The worker read its last request whole before answering it, so the channel is empty:
            # a small frame goes at once, a large one (a long query) as the worker reads it.
            if connection is not None:
                descriptor, head = connection
                frame += HEADER.pack(len(head)) + head
                frame = frame[socket.send_fds(self.channel, [frame], [descriptor]):]
            if frame:
                await asyncio.wait_for(self._loop.sock_sendall(self.channel, frame), max(deadline - self._loop.time(), 0))
        except OSError:  # BrokenPipeError, ConnectionResetError: it died
            self.done = True
            return None
        frames = await self._next(2, deadline)
        if frames is None:
            self.done = True
            return None
        answer = json.loads(frames[0])
        self.done = bool(answer.get("retire"))
        return answer, frames[1]

    async def exit_code(self) -> int:
        """The exit code of a worker that closed its output, once its error output is read too."""
        try:
            await asyncio.wait_for(asyncio.gather(self.process.wait(), asyncio.shield(self._errors)), EXIT_TIMEOUT)
        except asyncio.TimeoutError:
            self.process.kill()
        return await self.wait()

    async def wait(self) -> int:
        """Wait for the process's end, and let go of its channel."""
        code = await self.process.wait()
        if not self._closed:
            self._closed = True
            self._loop.remove_reader(self.channel)
        self.channel.close()
        return code

    def stop(self) -> None:
        """Kill the process (the pool's own decision, not a death)."""
        self.stopped = True
        if self.process.returncode is None:
            try:
                self.process.send_signal(signal.SIGKILL)
            except ProcessLookupError:
                pass


def _expire(future: asyncio.Future) -> None:
    if not future.done():
        future.set_exception(asyncio.TimeoutError())


async def probe(store_path: Path, memory_mb: int | None = None) -> None:
    """Start one worker and stop it: raises EngineError (saying why) when no worker could serve the store."""
    worker = await Worker.start(store_path, memory_mb)
    worker.stop()
    await worker.wait()


def _how(code: int) -> str:
    """How a process ended: ``killed by SIGKILL``, ``exit status 1``."""
    if code < 0:
        try:
            return f"killed by {signal.Signals(-code).name}"
        except ValueError:
            return f"killed by signal {-code}"
    return f"exit status {code}"


@dataclass
class _Client:
    """One client's share of the pool: its queries running, and those waiting for a worker."""

    running: int = 0
    waiting: deque[asyncio.Future] = field(default_factory=deque)


class EnginePool:
    """Worker processes over one read-only store, each query under a deadline, shared fairly.

    :param workers: the number of worker processes (default: :func:`default_workers`).
    :param timeout: the server's maximum time per query, in seconds (a request may ask for less).
    :param max_bytes: the largest serialised result it sends.
    :param memory_mb: each worker's address space limit (RLIMIT_AS), in MB; None for no limit.
        Address space, not resident memory: an idle worker maps about 195 MB on the demo store
        (50 MB resident: the interpreter, the engine, the store's files); every named query keeps
        it under 285 MB, and sorting the whole demo graph by one ORDER BY takes it to 790 MB. The
        default, 2,048 MB, leaves a query 1.8 GB and stops a cartesian product long before it
        takes the machine.
    :param client_concurrency: the most queries one client may have running at once (default: the
        number of workers minus one, at least one, so one client never holds every worker).
    :param client_queue: the most queries one client may have waiting for a worker; one more is
        refused at once (503).

    A query without a client (``client=None``: the server's own queries, such as a page's) is
    subject to neither limit, and takes its turn as one more client.
    """

    def __init__(
        self,
        store_path: Path,
        workers: int | None = None,
        timeout: float = 30.0,
        max_bytes: int = 64 << 20,
        *,
        memory_mb: int | None = 2048,
        client_concurrency: int | None = None,
        client_queue: int = 8,
    ):
        self.store_path = Path(store_path)
        self.size = workers or default_workers()
        self.timeout = timeout
        self.max_bytes = max_bytes
        self.memory_mb = memory_mb
        self.client_concurrency = client_concurrency or max(1, self.size - 1)
        self.client_queue = client_queue
        self.replaced = 0
        self.retried = 0
        # CPU seconds the workers spent on the answers they gave, in all and on parts of it (see health()).
        self.cpu = dict.fromkeys(("answers", "reading", "engine", "worker"), 0)
        self._workers: set[Worker] = set()
        self._idle: deque[Worker] = deque()
        # Clients with queries running or waiting; the order of the dict is their turn.
        self._clients: dict[str | None, _Client] = {}
        self._tasks: set[asyncio.Task] = set()
        self._starting = 0
        self._closing = False

    # ---------------------------------------------------------------- workers: start, watch, replace

    async def start(self) -> None:
        """Start every worker (each opens the store read-only); raises EngineError when one cannot."""
        self._closing = False
        started = await asyncio.gather(*(Worker.start(self.store_path, self.memory_mb) for _ in range(self.size)), return_exceptions=True)
        failed = [outcome for outcome in started if isinstance(outcome, BaseException)]
        if failed:
            for worker in started:
                if isinstance(worker, Worker):
                    worker.stop()
                    await worker.wait()
            raise failed[0]
        for worker in started:
            self._adopt(worker)

    async def close(self) -> None:
        """Stop every worker; queries still waiting for one get a 503."""
        self._closing = True
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        workers = list(self._workers)
        for worker in workers:
            worker.stop()
        await asyncio.gather(*(worker.wait() for worker in workers))
        self._workers.clear()
        self._idle.clear()
        for state in self._clients.values():
            for future in state.waiting:
                future.set_exception(EngineError(503, "the server is stopping"))
        self._clients.clear()

    def _adopt(self, worker: Worker) -> None:
        """Put a started worker to work, watched."""
        self._workers.add(worker)
        self._idle.append(worker)
        task = asyncio.get_running_loop().create_task(self._watch(worker))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        self._dispatch()

    async def _watch(self, worker: Worker) -> None:
        """Wait for the worker's end, whatever ends it, and start its replacement."""
        code = await worker.wait()
        self._workers.discard(worker)
        if worker in self._idle:
            self._idle.remove(worker)
        if self._closing:
            return
        if not (worker.stopped or worker.done):
            print(f"certgraph: query worker {worker.pid} ended ({_how(code)}); starting another", file=sys.stderr)
        self.replaced += 1
        self._starting += 1
        try:
            fresh = await self._start_with_retries()
        finally:
            self._starting -= 1
        worker.replaced = True
        self._adopt(fresh)
        if worker.charged:
            self._settle(worker.client)

    async def _start_with_retries(self) -> Worker:
        """A new worker; a failure to start one is retried after a growing pause, never given up."""
        delay, longest = REPLACE_BACKOFF
        while True:
            try:
                return await Worker.start(self.store_path, self.memory_mb)
            except EngineError as exc:
                print(f"certgraph: {exc.message}; trying again in {delay:g} s", file=sys.stderr)
            await asyncio.sleep(delay)
            delay = min(2 * delay, longest)

    def health(self) -> dict:
        """The pool's state: ``ready`` when a query can run now or soon (at least one live worker).

        ``workers`` live of ``size`` configured, ``starting`` replacements under way, ``busy`` and
        ``waiting`` queries, workers ``replaced`` and queries ``retried`` since the start, and ``cpu``:
        of the ``answers`` the workers gave since the start, the CPU seconds they spent on them in all
        (``worker``: from the request's frame to the answer's), reading the request from a handed
        connection and screening it (``reading``), and in the store's engine, evaluating and
        serialising (``engine``).
        """
        alive = sum(1 for worker in self._workers if worker.process.returncode is None)
        return {
            "ready": alive > 0,
            "workers": alive,
            "size": self.size,
            "starting": self._starting,
            "busy": sum(state.running for state in self._clients.values()),
            "waiting": sum(len(state.waiting) for state in self._clients.values()),
            "replaced": self.replaced,
            "retried": self.retried,
            "cpu": dict(self.cpu),
        }

    # ---------------------------------------------------------------- clients: turns and limits

    def _dispatch(self) -> None:
        """Give idle workers to waiting queries, one client after another."""
        while self._idle:
            turn = self._next_client()
            if turn is None:
                return
            worker = self._idle.popleft()
            if not worker.usable:
                continue  # died while idle: its watcher starts another
            client, state = turn
            state.running += 1
            state.waiting.popleft().set_result(worker)
            self._clients[client] = self._clients.pop(client)  # to the back of the line

    def _next_client(self) -> tuple[str | None, _Client] | None:
        for client, state in self._clients.items():
            if state.waiting and (client is None or state.running < self.client_concurrency):
                return client, state
        return None

    async def _acquire(self, client: str | None, deadline: float, limit: float, retry: bool = False) -> Worker:
        """A worker for one of ``client``'s queries before ``deadline`` (loop time); a retry waits first in its line."""
        loop = asyncio.get_running_loop()
        state = self._clients.setdefault(client, _Client())
        future: asyncio.Future[Worker] = loop.create_future()
        if retry:
            state.waiting.appendleft(future)
        else:
            state.waiting.append(future)
        self._dispatch()
        if not future.done() and not retry and client is not None and len(state.waiting) > self.client_queue:
            self._withdraw(client, future)
            raise EngineError(503, f"too many queries waiting from this client (at most {self.client_queue}, besides "
                                   f"{self.client_concurrency} running): wait for their answers before sending more")
        if not future.done():  # else a worker was idle, and the query need not wait a turn of the loop
            try:
                await asyncio.wait((future,), timeout=max(deadline - loop.time(), 0))
            except asyncio.CancelledError:
                self._withdraw(client, future)
                raise
        if not future.done() or loop.time() >= deadline:  # a worker with no time left to use it goes back
            self._withdraw(client, future)
            if client is not None and state.running >= self.client_concurrency:
                raise EngineError(503, f"this client's other queries kept its {self.client_concurrency} query worker(s) busy "
                                       f"for {limit:g} s; try again later")
            raise EngineError(503, f"every query worker stayed busy for {limit:g} s; try again later")
        return future.result()

    def _withdraw(self, client: str | None, future: asyncio.Future) -> None:
        """Take a query out of its client's line; a worker it was given meanwhile goes back."""
        if future.done() and not future.cancelled() and future.exception() is None:
            self._release(client, future.result())
            return
        future.cancel()
        state = self._clients.get(client)
        if state is not None and future in state.waiting:
            state.waiting.remove(future)
            self._forget(client)

    def _release(self, client: str | None, worker: Worker) -> None:
        """A query of ``client`` is over: its worker goes back to work if it can.

        A worker its query ended (time limit, memory, crash) is replaced, and until the replacement
        is ready the client keeps that worker's share: its next runaway query cannot take the
        worker another client is using, so the cost of a replacement falls on whoever caused it.
        """
        if client not in self._clients:  # the pool was closed meanwhile
            return
        if worker.usable:
            self._idle.append(worker)
        elif not (worker.killed_from_outside or worker.replaced):
            worker.charged, worker.client = True, client
            return
        self._settle(client)

    def _settle(self, client: str | None) -> None:
        """One of ``client``'s queries no longer holds a worker."""
        state = self._clients.get(client)
        if state is None:
            return
        state.running -= 1
        self._forget(client)
        self._dispatch()

    def _forget(self, client: str | None) -> None:
        state = self._clients.get(client)
        if state is not None and not state.running and not state.waiting:
            del self._clients[client]

    # ---------------------------------------------------------------- queries

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
        *,
        union: bool | None = None,
        base_iri: str | None = None,
        client: str | None = None,
    ) -> Answer:
        """Answer ``query`` within the deadline; raises EngineError (400, 406, 413, 500, 503).

        :param union: None: the default graph is the union of all graphs unless ``default_graphs``
            are given; True: the union, always; False: the query names its own dataset (FROM, FROM
            NAMED) and ``default_graphs`` and ``named_graphs`` are not used.
        :param base_iri: the IRI relative IRIs in the query resolve against.
        :param client: who asks (the client's address), for the per-client limits; None for the
            server's own queries.

        A query whose worker is killed from outside (SIGKILL) while answering is run again once on
        a fresh worker, within the same deadline.
        """
        request = {
            "query": query, "accept": accept, "format": format, "max_bytes": self.max_bytes,
            "default_graphs": default_graphs, "named_graphs": named_graphs, "union": union, "base_iri": base_iri,
        }
        header, body = await self._ask(request, self.deadline(timeout), client)
        if header["status"] != 200:
            raise EngineError(header["status"], header["error"])
        return Answer(body, header["media_type"], header["form"])

    async def hand(self, connection: int, head: bytes, *, timeout: float | None = None, client: str | None = None,
                   keep: int = 0, allow_service: tuple[str, ...] = (), endpoint: str = "",
                   untouched: Callable[[], bool] = lambda: False) -> dict:
        """Give a client's connection to a worker, which answers the protocol GET whose ``head`` was read
        from it (:func:`answer_connection`); its reply header, with the answer's body as ``body`` when
        it is a 200 of at most ``keep`` bytes.

        The same turns, deadline and limits as :meth:`run`; raises EngineError (503) when the query
        could not be answered within them (no worker in time, its time limit, its worker's death). A
        worker killed from outside while answering is replaced and the query run again, as
        :meth:`run` does, only when ``untouched()`` says no byte was written to the connection since.
        """
        request = {"keep": keep, "max_bytes": self.max_bytes, "allow_service": allow_service, "endpoint": endpoint}
        header, body = await self._ask(request, self.deadline(timeout), client, (connection, head), untouched)
        return {**header, "body": body}

    async def _ask(self, request: dict, limit: float, client: str | None, connection: tuple[int, bytes] | None = None,
                   untouched: Callable[[], bool] = lambda: True) -> tuple[dict, bytes]:
        """A worker's (header, body) for ``request`` within ``limit`` seconds, ``client``'s turn come.

        A request whose worker is killed from outside (SIGKILL) while answering is run again once on
        a fresh worker, within the same deadline (one that handed a connection over, while
        ``untouched()``).
        """
        loop = asyncio.get_running_loop()
        deadline = loop.time() + limit
        for attempt in (1, 2):
            worker = await self._acquire(client, deadline, limit, retry=attempt > 1)
            try:
                reply = await worker.ask(request, connection, deadline)
                code = None if reply is not None else await worker.exit_code()
            except asyncio.TimeoutError:
                worker.stop()
                raise EngineError(503, f"query stopped after {limit:g} s, its time limit (the server allows at most {self.timeout:g} s)") from None
            except BaseException:
                worker.stop()  # cancelled in the middle of a frame: its pipes are out of step
                raise
            finally:
                self._release(client, worker)
            if reply is not None:
                self._account(reply[0])
                return reply
            if not worker.killed_from_outside or attempt > 1 or not untouched():
                raise EngineError(*self._death(worker, code, tries=attempt))
            self.retried += 1
            print(f"certgraph: query worker {worker.pid} was killed while answering; running the query again", file=sys.stderr)
        raise AssertionError("unreachable")

    def _account(self, header: dict) -> None:
        """Add an answer's CPU seconds, as its worker measured them, to :attr:`cpu`."""
        self.cpu["answers"] += 1
        self.cpu["worker"] += header.get("cpu", 0.0)
        self.cpu["reading"] += header.get("reading", 0.0)
        self.cpu["engine"] += header.get("engine", 0.0)

    def _death(self, worker: Worker, code: int, tries: int = 2) -> tuple[int, str]:
        """The status and message of a query whose worker died while answering it."""
        how = _how(code)
        if worker.stopped:
            return 503, "the server is stopping"
        if worker.panic:
            return 500, f"the query engine failed on this query ({worker.panic}); its worker was replaced"
        if worker.out_of_memory:
            return 503, memory_message(self.memory_mb)
        if code == -signal.SIGKILL:
            tried = ", on both tries" if tries > 1 else ""
            return 503, f"the query worker was killed while answering{tried} ({how}), perhaps by the system for want of memory; try again later"
        if self.memory_mb and -code in (signal.SIGABRT, signal.SIGSEGV, signal.SIGBUS):
            return 503, (f"the query worker stopped while answering ({how}), most likely for want of memory (a query worker "
                         f"may use {self.memory_mb:,} MB): add a LIMIT, or narrow its patterns")
        return 503, f"the query worker stopped while answering ({how}); its worker was replaced, try again"

    async def run_json(self, query: str, timeout: float | None = None, *, client: str | None = None) -> dict:
        """A SELECT or ASK query's results as parsed SPARQL JSON (pages, the named-query API)."""
        answer = await self.run(query, accept="application/sparql-results+json", timeout=timeout, client=client)
        return json.loads(answer.body)


def main(argv: list[str] | None = None) -> int:
    """A worker's command line: ``python -m certgraph.web.engine STORE [--memory-mb N]``."""
    parser = argparse.ArgumentParser(prog="python -m certgraph.web.engine", description="A query worker: answers framed requests on stdin.")
    parser.add_argument("store", help="the store's directory, opened read-only")
    parser.add_argument("--memory-mb", type=int, default=None, help="address space limit in MB (default: none)")
    arguments = parser.parse_args(argv)
    return worker_main(arguments.store, arguments.memory_mb)


if __name__ == "__main__":
    sys.exit(main())
