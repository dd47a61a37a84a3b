"""A sketch of the front certgraph serve now has (certgraph.web.front), without its limits: NOT the server.

Usage: .venv/bin/python benchmarks/handoff.py STORE PORT [--workers N]

``certgraph serve`` reads every request in its web process, sends the query to a worker process
through a pipe, reads the answer back and writes it to the client. Here the web process only
accepts connections and waits, without reading, until a request's head has arrived (``MSG_PEEK``);
it then passes the connection itself (its file descriptor, over a Unix socket) to an idle worker,
which reads the request, evaluates it with the server's own :func:`certgraph.web.engine.evaluate`
and writes the answer straight to the client, then gives the connection back for its next request.
The web process touches no byte of a request or an answer.

It answers only what the load benchmark sends (``GET /sparql?query=…``) and has none of the
endpoint's limits (no time limit, no per-client share, no memory cap, no cache, no screen of the
query, no protocol checks): it measures how fast the workers could answer if nothing stood between
them and the client, the ceiling of a front of this kind, not something to serve anyone with.
Beside ``certgraph serve`` in the same run, the difference is what the limits and the protocol cost.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
import sys
from collections import deque
from http import HTTPStatus

from certgraph.web.engine import default_workers, evaluate
from certgraph.web.protocol import form_fields

HEAD_END = b"\r\n\r\n"


def answer(store, head: bytes) -> bytes:
    """The whole HTTP response to one request head."""
    request_line, _, header_lines = head.partition(b"\r\n")
    parts = request_line.split(b" ")
    target = parts[1] if len(parts) == 3 else b""
    path, _, query_string = target.partition(b"?")
    fields = dict(form_fields(query_string, "the query string")) if path == b"/sparql" and parts[0] == b"GET" else {}
    if "query" not in fields:
        header, body = {"status": 404, "error": "only GET /sparql?query=… is answered here"}, b""
    else:
        accept = next((line.partition(b":")[2].strip().decode("latin-1") for line in header_lines.split(b"\r\n")
                       if line.partition(b":")[0].strip().lower() == b"accept"), None)
        header, body = evaluate(store, {"query": fields["query"], "accept": accept, "format": fields.get("format"),
                                        "union": True, "max_bytes": 64 << 20})
    status = header["status"]
    if status != 200:
        body, media_type = header["error"].encode() + b"\n", "text/plain; charset=utf-8"
    else:
        media_type = header["media_type"]
    return (b"HTTP/1.1 %d %s\r\ncontent-type: %s\r\ncontent-length: %d\r\nvary: Accept\r\naccess-control-allow-origin: *\r\n\r\n"
            % (status, HTTPStatus(status).phrase.encode(), media_type.encode(), len(body)) + body)


def worker(store_path: str, control: socket.socket) -> None:
    """Answer one connection at a time: (head length, connection) in, the answer written, "d" back."""
    import pyoxigraph as ox

    store = ox.Store.read_only(store_path)
    while True:
        message, fds, _, _ = socket.recv_fds(control, 64, 1)
        if not message:
            return
        with socket.socket(fileno=fds[0]) as connection:
            head = connection.recv(int(message))
            try:
                connection.sendall(answer(store, head))
            except OSError:  # the client went away
                pass
        control.send(b"d")


async def dispatch(listener: socket.socket, controls: list[socket.socket]) -> None:
    loop = asyncio.get_running_loop()
    idle: deque[socket.socket] = deque(controls)
    waiting: deque[tuple[socket.socket, int]] = deque()
    serving: dict[socket.socket, socket.socket] = {}

    def hand(control: socket.socket, connection: socket.socket, size: int) -> None:
        serving[control] = connection
        socket.send_fds(control, [str(size).encode()], [connection.fileno()])

    def done(control: socket.socket) -> None:
        control.recv(16)
        connection = serving.pop(control)
        loop.add_reader(connection, readable, connection)  # its next request
        if waiting:
            hand(control, *waiting.popleft())
        else:
            idle.append(control)

    def readable(connection: socket.socket) -> None:
        try:
            data = connection.recv(65536, socket.MSG_PEEK)
        except BlockingIOError:
            return
        except OSError:
            data = b""
        if not data:
            loop.remove_reader(connection)
            connection.close()
            return
        end = data.find(HEAD_END)
        if end < 0:
            return  # the rest of the head is still on its way
        loop.remove_reader(connection)
        size = end + len(HEAD_END)
        if idle:
            hand(idle.popleft(), connection, size)
        else:
            waiting.append((connection, size))

    def accept() -> None:
        while True:
            try:
                connection, _ = listener.accept()
            except BlockingIOError:
                return
            connection.setblocking(False)
            connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            loop.add_reader(connection, readable, connection)

    for control in controls:
        loop.add_reader(control, done, control)
    loop.add_reader(listener, accept)
    await asyncio.Event().wait()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("store")
    parser.add_argument("port", type=int)
    parser.add_argument("--workers", type=int, default=default_workers())
    args = parser.parse_args()
    listener = socket.create_server(("127.0.0.1", args.port), backlog=1024)
    listener.setblocking(False)
    controls = []
    for _ in range(args.workers):  # forked before any event loop exists
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        if os.fork() == 0:
            ours.close()
            listener.close()
            worker(args.store, theirs)
            os._exit(0)
        theirs.close()
        ours.setblocking(False)
        controls.append(ours)
    try:
        import uvloop

        uvloop.run(dispatch(listener, controls))
    except KeyboardInterrupt:
        sys.exit(0)


if __name__ == "__main__":
    main()
