"""The server's front: it accepts the connections and gives each request to whoever answers it best.

Through the web framework, a query's request is read by the server's process, sent to a query worker
through a pipe, and the worker's answer read back and written to the client: every byte crosses two
processes, and the server's process does as much work per query as the engine does to answer it
(docs/benchmarks.md). Here the front accepts the connections and waits, without reading, until a
request's head has arrived (``MSG_PEEK``). A protocol GET of ``/sparql`` with a query and no body
— what researchers send — is read off the connection by the front and answered from the result
cache when it can; else its head and the connection itself (its file descriptor) go to a query
worker through :meth:`certgraph.web.engine.EnginePool.hand`: the worker screens the query and
answers the client directly, with the same answer, errors and headers as the web application, then
gives the connection back for its next request. Every other request, and every later request of a
connection one was given to, goes to the web application under uvicorn, which owns that connection
from then on.

The limits stay where they were: queries take the pool's turns (per client, by peer address), a
query past its time limit has its worker killed and the front, which still holds the connection,
answers 503 on it (and closes it if the worker had begun to write); the workers' memory cap and
screen are the same. A connection idle
for :data:`IDLE_TIMEOUT` seconds, or whose head has not arrived in that time, is closed; a head
larger than :data:`HEAD_LIMIT` goes to uvicorn, which refuses it. A worker writes what the
connection takes at once; the rest of a long answer comes back to the front, which sends it as the
client reads (and drops a client that takes nothing for :data:`SEND_TIMEOUT` seconds), so a slow
reader holds no worker.
"""

from __future__ import annotations

import asyncio
import socket
import struct
import sys

import uvicorn

from ..sparql_text import QueryRefused
from .app import Endpoint, cache_key
from .engine import MISS, EngineError
from .protocol import CORS, answer_headers, closes, error_response, form_fields, get_request, head_fields, response_head

# The largest request head the front reads; a larger one is uvicorn's to refuse.
HEAD_LIMIT = 64 << 10
# Seconds a connection may wait for its next request (or for the rest of its head) before it is closed.
IDLE_TIMEOUT = 5.0
# Seconds a client may take no byte of its answer before its connection is dropped.
SEND_TIMEOUT = 30.0
# Seconds the front stops accepting when it cannot (no descriptor left): the pending connections wait.
ACCEPT_PAUSE = 1.0
HEAD_END = b"\r\n\r\n"
# What a protocol GET the front answers may not have: a body, or a change of protocol.
_NOT_PLAIN = (b"content-length", b"transfer-encoding", b"upgrade", b"expect")
HIT = (b"x-cache", b"hit")
# struct tcp_info's tcpi_bytes_sent (Linux 4.19 and later): bytes the connection has sent.
_TCP_INFO_BYTES_SENT = struct.Struct("=Q")
_TCP_INFO_BYTES_SENT_AT = 200


def bytes_written(connection: socket.socket) -> int | None:
    """How many bytes a TCP connection has sent so far (None where the system does not say)."""
    try:
        info = connection.getsockopt(socket.IPPROTO_TCP, socket.TCP_INFO, 256)
    except OSError:
        return None
    if len(info) < _TCP_INFO_BYTES_SENT_AT + _TCP_INFO_BYTES_SENT.size:
        return None
    return _TCP_INFO_BYTES_SENT.unpack_from(info, _TCP_INFO_BYTES_SENT_AT)[0]


class _Connection:
    """A client's connection while the front holds it: waiting for a request (``since``: loop time) or answered."""

    __slots__ = ("socket", "client", "since")

    def __init__(self, connection: socket.socket, client: str | None):
        self.socket, self.client, self.since = connection, client, float("inf")


def query_get(head: bytes) -> tuple[bytes, bytes, dict[bytes, bytes]] | None:
    """The query string, HTTP version and headers (names in lower case, repeated ones joined) of a
    protocol GET of ``/sparql`` with a query and no body; None for any other request.

    >>> query_get(b"GET /sparql?query=ASK%7B%7D HTTP/1.1\\r\\nAccept: text/csv\\r\\naccept: text/tsv\\r\\n\\r\\n")
    (b'query=ASK%7B%7D', b'HTTP/1.1', {b'accept': b'text/csv, text/tsv'})
    >>> query_get(b"POST /sparql?query=ASK%7B%7D HTTP/1.1\\r\\n\\r\\n"), query_get(b"GET /sparql?format=json HTTP/1.1\\r\\n\\r\\n")
    (None, None)
    """
    try:
        method, target, version, headers = head_fields(head)
    except ValueError:
        return None
    if method != b"GET" or not target.startswith(b"/sparql?") or version not in (b"HTTP/1.1", b"HTTP/1.0"):
        return None
    query_string = target[len(b"/sparql?"):]
    if not (query_string.startswith(b"query=") or b"&query=" in query_string):
        return None
    if any(name in headers for name in _NOT_PLAIN):
        return None
    return query_string, version, headers


def requested_timeout(query_string: bytes) -> float | None:
    """The ``timeout`` parameter of a query string, when it has a valid one (the worker refuses a bad one)."""
    if b"timeout" not in query_string:
        return None
    try:
        return get_request(form_fields(query_string, "the query string"))[2]
    except QueryRefused:
        return None


class Front:
    """Accepts connections on ``listener`` for ``endpoint``; requests it does not answer go to ``server`` (uvicorn)."""

    def __init__(self, endpoint: Endpoint, server: uvicorn.Server, listener: socket.socket):
        self.endpoint, self.server, self.listener = endpoint, server, listener
        self._connections: dict[int, _Connection] = {}
        self._tasks: set[asyncio.Task] = set()
        self._sweeper: asyncio.TimerHandle | None = None
        self._resume: asyncio.TimerHandle | None = None  # accepting again after a pause
        self._loop: asyncio.AbstractEventLoop | None = None

    def start(self) -> None:
        self._loop = asyncio.get_running_loop()
        self.listener.setblocking(False)
        self._loop.add_reader(self.listener, self._accept)
        self._sweeper = self._loop.call_later(1.0, self._sweep)

    def close(self) -> None:
        """Stop accepting, stop what is under way, close the connections the front holds."""
        if self._loop is None:
            return
        self._loop.remove_reader(self.listener)
        for timer in (self._sweeper, self._resume):
            if timer is not None:
                timer.cancel()
        for task in list(self._tasks):
            task.cancel()
        for held in list(self._connections.values()):
            self._drop(held)

    # ---------------------------------------------------------------- connections

    def _accept(self) -> None:
        while True:
            try:
                connection, address = self.listener.accept()
            except (BlockingIOError, InterruptedError):
                return
            except OSError as exc:  # out of descriptors or memory: the backlog waits, not the loop spinning
                print(f"certgraph: cannot accept a connection ({exc}); trying again in {ACCEPT_PAUSE:g} s", file=sys.stderr)
                self._loop.remove_reader(self.listener)
                self._resume = self._loop.call_later(ACCEPT_PAUSE, self._loop.add_reader, self.listener, self._accept)
                return
            connection.setblocking(False)
            if connection.family != socket.AF_UNIX:
                connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            client = address[0] if isinstance(address, tuple) else None
            held = _Connection(connection, client)
            self._connections[connection.fileno()] = held
            self._await_request(held)

    def _await_request(self, held: _Connection) -> None:
        held.since = self._loop.time()
        self._loop.add_reader(held.socket, self._readable, held)

    def _drop(self, held: _Connection) -> None:
        fileno = held.socket.fileno()
        if fileno >= 0:
            self._loop.remove_reader(fileno)
            self._connections.pop(fileno, None)
        held.socket.close()

    def _sweep(self) -> None:
        """Close the connections that waited too long for a request or for the rest of its head."""
        oldest = self._loop.time() - IDLE_TIMEOUT
        for held in [held for held in self._connections.values() if held.since < oldest]:
            self._drop(held)
        self._sweeper = self._loop.call_later(1.0, self._sweep)

    # ---------------------------------------------------------------- requests

    def _readable(self, held: _Connection) -> None:
        try:
            data = held.socket.recv(HEAD_LIMIT, socket.MSG_PEEK)
        except (BlockingIOError, InterruptedError):
            return
        except OSError:
            data = b""
        if not data:
            self._drop(held)
            return
        end = data.find(HEAD_END)
        if end < 0:
            if len(data) >= HEAD_LIMIT:
                self._to_application(held)
            return  # the rest of the head is on its way
        head = data[:end + len(HEAD_END)]
        request = query_get(head)
        if request is None:
            self._to_application(held)
            return
        self._loop.remove_reader(held.socket)
        held.since = float("inf")  # the sweeper leaves it alone while it is answered
        query_string, version, headers = request
        key = cache_key(b"/sparql", query_string, headers.get(b"accept", b""), headers.get(b"accept-language", b""))
        try:
            held.socket.recv(len(head))  # seen whole: from here on the request is in hand, not on the connection
        except OSError:
            self._drop(held)
            return
        close, entry = closes(version, headers), self.endpoint.cache.get(key)
        if entry is not None:
            self._answer_from_cache(held, entry, close)
            return
        self._spawn(self._hand(held, head, key, requested_timeout(query_string), close))

    def _spawn(self, work) -> None:
        """Run a coroutine as a task of the front's, cancelled when the front closes."""
        task = self._loop.create_task(work)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def _answer_from_cache(self, held: _Connection, entry: tuple, close: bool) -> None:
        body, headers = entry
        data = response_head(200, [*headers, HIT], close) + body
        try:
            sent = held.socket.send(data)
        except OSError:
            self._drop(held)
            return
        if sent < len(data):  # a large answer to a slow reader: finished by the loop
            self._spawn(self._finish(held, data[sent:], close))
        elif close:
            self._drop(held)
        else:
            self._await_request(held)

    async def _finish(self, held: _Connection, rest: bytes, close: bool) -> None:
        """Send the rest of an answer the client was slow to take, then go on; a client that takes
        nothing for SEND_TIMEOUT seconds is dropped (one that reads slowly gets its whole answer)."""
        view, sent = memoryview(rest), 0
        while sent < len(rest):
            try:
                sent += held.socket.send(view[sent:])
                continue
            except BlockingIOError:
                pass
            except OSError:
                self._drop(held)
                return
            writable = self._loop.create_future()
            self._loop.add_writer(held.socket, writable.set_result, None)
            try:
                await asyncio.wait_for(writable, SEND_TIMEOUT)
            except asyncio.TimeoutError:
                self._drop(held)
                return
            finally:
                self._loop.remove_writer(held.socket)
        if close:
            self._drop(held)
        else:
            self._await_request(held)

    async def _hand(self, held: _Connection, head: bytes, key: tuple, timeout: float | None, close: bool) -> None:
        endpoint = self.endpoint
        written = bytes_written(held.socket)

        def untouched() -> bool:
            """Whether no byte went out on the connection since it was handed over."""
            return written is not None and bytes_written(held.socket) == written

        try:
            reply = await endpoint.pool.hand(held.socket.fileno(), head, timeout=timeout, client=held.client,
                                             keep=endpoint.cache.largest if endpoint.cache.budget > 0 else 0,
                                             allow_service=endpoint.settings.allow_service, endpoint=endpoint.endpoint_url,
                                             untouched=untouched)
        except EngineError as exc:
            # Nobody wrote to the connection (no worker in time, or its worker died before answering):
            # the error is the answer and the connection goes on. Else it is in an unknown state.
            self._fail(held, exc, close=close or not untouched())
            return
        except BaseException:
            self._drop(held)
            raise
        if reply.get("unsent"):  # the worker is free; the client takes the rest of its answer from here
            await self._finish(held, reply["body"], reply["close"])
            return
        if reply["body"]:
            endpoint.cache.put(key, reply["body"], [*answer_headers(len(reply["body"]), reply["media_type"]), CORS])
        if reply["close"]:
            self._drop(held)
        else:
            self._await_request(held)

    def _fail(self, held: _Connection, error: EngineError, close: bool) -> None:
        """Answer an error the worker could not give (no worker in time, time limit, death)."""
        try:
            held.socket.send(error_response(error.status, error.message, [MISS], close=close))
        except OSError:
            close = True
        if close:
            try:
                held.socket.shutdown(socket.SHUT_WR)
            except OSError:
                pass
            self._drop(held)
        else:
            self._await_request(held)

    def _to_application(self, held: _Connection) -> None:
        """Give the connection to uvicorn for good: it reads the waiting request itself."""
        self._loop.remove_reader(held.socket)
        self._connections.pop(held.socket.fileno(), None)
        self._spawn(self._give(held.socket))

    async def _give(self, connection: socket.socket) -> None:
        try:
            await self._loop.connect_accepted_socket(self._protocol, connection)
        except OSError:  # the client went away meanwhile
            connection.close()

    def _protocol(self) -> asyncio.Protocol:
        config = self.server.config
        return config.http_protocol_class(config=config, server_state=self.server.server_state, app_state=self.server.lifespan.state)


class FrontServer(uvicorn.Server):
    """uvicorn serving ``endpoint`` with a :class:`Front` on ``listener`` instead of its own listening socket:
    the same start (the workers start in the application's lifespan), signals and graceful stop."""

    def __init__(self, config: uvicorn.Config, endpoint: Endpoint, listener: socket.socket):
        super().__init__(config)
        self.front = Front(endpoint, self, listener)

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets=[])
        if self.started:
            self.front.start()

    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        self.front.close()
        await super().shutdown(sockets=[self.front.listener])


def listen(host: str, port: int) -> socket.socket:
    """A listening TCP socket on ``host`` (a name, an IPv4 or an IPv6 address) and ``port``; raises OSError."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    return socket.create_server((host, port), family=family, backlog=2048)


def serve(endpoint: Endpoint, host: str, port: int, listener: socket.socket | None = None, handoff: bool = True) -> None:
    """Serve ``endpoint`` on ``host``:``port`` (or an open ``listener``) until a signal stops it; with
    ``handoff`` False, every request goes through the web application (uvicorn's own accept loop).

    No proxy headers: X-Forwarded-For would let any client choose the address the per-client limits
    count by. Behind a reverse proxy, set the public URL; the limits then count the proxy as one client.
    """
    config = uvicorn.Config(endpoint, host=host, port=port, log_level="warning", access_log=False, proxy_headers=False)
    listener = listener or listen(host, port)
    if handoff:
        FrontServer(config, endpoint, listener).run()
    else:
        uvicorn.Server(config).run(sockets=[listener])
