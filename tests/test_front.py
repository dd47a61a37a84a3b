"""The server's front (certgraph.web.front): a query worker answering a protocol GET on the client's
connection gives the web application's answer, byte for byte, and the connection goes on as HTTP/1.1
says; on real ``certgraph serve`` processes over loopback, one with the front and one without."""

from __future__ import annotations

import os
import resource
import socket
import time
from urllib.parse import quote, urlsplit

import httpx
import pytest

from certgraph.vocab import ID
from certgraph.web.front import IDLE_TIMEOUT, bytes_written, query_get

from .conftest import serving

GRAPH = "https://w3id.org/certgraph/graph/source/fiche/rncp/35080"
LINEAGE = f"""PREFIX dcterms: <http://purl.org/dc/terms/>
SELECT DISTINCT ?ancestor WHERE {{ <{ID}rncp/35080> dcterms:replaces+ ?ancestor }} ORDER BY ?ancestor"""
ANCESTORS_CSV = b"ancestor\r\n" + b"".join(f"{ID}rncp/{n}\r\n".encode() for n in (1611, 28720, 5385))
# Past any time limit on the mini store (a triple cartesian product).
RUNAWAY = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"
TIMEOUT = 2

# (query, Accept, extra parameters): every kind of answer and error a protocol GET can get.
REQUESTS = [
    (LINEAGE, "application/sparql-results+json", {}),
    (LINEAGE, "text/csv", {}),
    (LINEAGE, "application/sparql-results+xml;q=0.9, text/tab-separated-values", {}),
    (f"ASK {{ <{ID}rncp/35080> ?p ?o }}", None, {}),
    (f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ BIND(<{ID}rncp/35080> AS ?s) ?s ?p ?o }}", "text/turtle", {}),
    ("SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }", "text/csv", {"default-graph-uri": GRAPH}),
    ("SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }", "text/csv", {"named-graph-uri": GRAPH}),
    ("SELECT * WHERE { ?s ?p ?o } LIMIT 2", "image/png", {}),  # 406
    ("SELECT * WHERE { ?s ?p ?o ", None, {}),  # 400 malformed
    ("INSERT DATA { <a:b> <a:c> <a:d> }", None, {}),  # 403 update
    ("SELECT * WHERE { SERVICE <http://example.org/sparql> { ?s ?p ?o } }", None, {}),  # 400 no outbound request
    ("SELECT * WHERE { ?s ?p ?o } LIMIT 1", None, {"timeout": "soon"}),  # 400 bad timeout
    ("SELECT * WHERE { ?s ?p ?o } LIMIT 1", None, {"default-graph-uri": "not an iri"}),  # 400
    ("SELECT ?s ?p ?o WHERE { ?s ?p ?o }", "text/csv", {}),  # 413: over the 1 MB result limit
    ("SELECT * WHERE { ?s ?p ?o } LIMIT 1", None, {"format": "csv"}),
]


@pytest.fixture(scope="module")
def servers(mini_build, tmp_path_factory):
    """Two servers over the mini store, alike but for the front: (with it, without it)."""
    options = ("--timeout", str(TIMEOUT), "--max-result-mb", "1", "--workers", "2", "--cache-mb", "0")
    with serving(mini_build.store, tmp_path_factory.mktemp("front"), *options) as (front, _), \
            serving(mini_build.store, tmp_path_factory.mktemp("uvicorn"), *options, "--no-handoff") as (plain, _):
        yield front, plain


def target(query: str, **params: str) -> str:
    return "/sparql?" + "&".join(f"{quote(name)}={quote(value, safe='')}" for name, value in {"query": query, **params}.items())


def exchange(base: str, raw: bytes, responses: int = 1, seconds: float = 20) -> tuple[list[bytes], bool]:
    """Send ``raw`` on a new connection; the ``responses`` answers read back whole, and whether the server then closed it."""
    host, port = urlsplit(base).hostname, urlsplit(base).port
    with socket.create_connection((host, port), timeout=seconds) as connection:
        connection.sendall(raw)
        stream = connection.makefile("rb")
        answers = [read_response(stream) for _ in range(responses)]
        connection.settimeout(1.0)
        try:
            closed = stream.read(1) == b""
        except TimeoutError:
            closed = False
    return answers, closed


def read_response(stream) -> bytes:
    """One HTTP response with a Content-Length, read whole from ``stream``."""
    head = b""
    while not head.endswith(b"\r\n\r\n"):
        line = stream.readline()
        assert line, f"the connection closed after {head!r}"
        head += line
    length = next(int(line.split(b":")[1]) for line in head.split(b"\r\n") if line.lower().startswith(b"content-length:"))
    return head + stream.read(length)


def request(path: str, version: str = "HTTP/1.1", *headers: str) -> bytes:
    return "\r\n".join([f"GET {path} {version}", "Host: 127.0.0.1", *headers, "", ""]).encode()


@pytest.mark.parametrize(("query", "accept", "params"), REQUESTS)
def test_the_front_gives_the_application_s_answer(servers, query, accept, params):
    front, plain = servers
    headers = {"accept": accept} if accept else {}
    answers = [httpx.get(base + target(query, **params), headers=headers, timeout=30) for base in servers]
    assert answers[0].status_code == answers[1].status_code
    assert answers[0].content == answers[1].content
    for name in ("content-type", "content-length", "vary", "access-control-allow-origin", "x-cache"):
        assert answers[0].headers.get(name) == answers[1].headers.get(name), name
    assert answers[0].headers["x-cache"] == "miss"


def test_health_counts_the_workers_cpu_by_part(servers):
    """/health's ``cpu``: every answer a worker gave is counted, with its CPU seconds in all, reading the
    request (only a worker handed the connection reads it) and in the engine, the parts within the whole."""
    for base, reads in zip(servers, (True, False)):
        before = httpx.get(base + "/health", timeout=10).json()["cpu"]
        for limit in range(1, 6):  # distinct queries: none is answered by a cache
            assert httpx.get(base + target(f"SELECT * WHERE {{ ?s ?p ?o }} LIMIT {limit}"), timeout=30).status_code == 200
        after = httpx.get(base + "/health", timeout=10).json()["cpu"]
        spent = {key: after[key] - before[key] for key in before}
        assert spent["answers"] == 5
        assert spent["engine"] > 0 and (spent["reading"] > 0) == reads
        assert spent["reading"] + spent["engine"] <= spent["worker"]


def test_a_connection_serves_request_after_request_pipelined_or_not(servers):
    front, _ = servers
    one, two = target(LINEAGE), target(f"ASK {{ <{ID}rncp/35080> ?p ?o }}")
    pipelined = request(one, "HTTP/1.1", "Accept: text/csv") + request(two) + request(one, "HTTP/1.1", "Accept: text/csv")
    answers, closed = exchange(front, pipelined, responses=3)
    assert [answer.split(b" ")[1] for answer in answers] == [b"200"] * 3
    assert answers[0].endswith(b"\r\n\r\n" + ANCESTORS_CSV)
    assert answers[2].split(b"\r\n\r\n")[1] == answers[0].split(b"\r\n\r\n")[1]
    assert b'"boolean":true' in answers[1]
    assert not closed


def test_a_connection_goes_on_to_the_application_after_a_query(servers):
    front, _ = servers
    raw = request(target(LINEAGE), "HTTP/1.1", "Accept: text/csv") + request("/queries") + request(target(LINEAGE), "HTTP/1.1", "Accept: text/csv")
    answers, closed = exchange(front, raw, responses=3)
    assert [answer.split(b" ")[1] for answer in answers] == [b"200"] * 3
    assert b"lineage/ancestors" in answers[1]
    assert answers[2].split(b"\r\n\r\n")[1] == answers[0].split(b"\r\n\r\n")[1]
    assert not closed


@pytest.mark.parametrize(("version", "headers"), [("HTTP/1.0", ()), ("HTTP/1.1", ("Connection: close",))])
def test_the_connection_closes_after_the_answer_when_the_client_says_so(servers, version, headers):
    front, _ = servers
    answers, closed = exchange(front, request(target(LINEAGE), version, *headers), responses=1)
    assert answers[0].startswith(b"HTTP/1.1 200 OK\r\n") and b"\r\nconnection: close\r\n" in answers[0]
    assert closed


def test_a_query_past_its_time_limit_is_a_503_and_the_connection_goes_on(servers):
    front, _ = servers
    started = time.monotonic()
    answers, closed = exchange(front, request(target(RUNAWAY)) + request(target(LINEAGE), "HTTP/1.1", "Accept: text/csv"), responses=2)
    assert time.monotonic() - started < TIMEOUT + 10
    assert answers[0].startswith(b"HTTP/1.1 503 ")
    assert b"query stopped after 2 s, its time limit" in answers[0]
    assert answers[1].startswith(b"HTTP/1.1 200 ") and answers[1].endswith(b"\r\n\r\n" + ANCESTORS_CSV)
    assert not closed


def test_idle_and_half_sent_connections_are_closed(servers):
    front, _ = servers
    host, port = urlsplit(front).hostname, urlsplit(front).port
    idle = socket.create_connection((host, port), timeout=IDLE_TIMEOUT + 5)
    slow = socket.create_connection((host, port), timeout=IDLE_TIMEOUT + 5)
    with idle, slow:
        slow.sendall(b"GET /sparql?query=ASK")  # and never the rest of the head
        started = time.monotonic()
        assert idle.recv(1) == b""
        try:
            assert slow.recv(1) == b""
        except ConnectionResetError:  # closed with its half head unread
            pass
        assert IDLE_TIMEOUT - 0.5 <= time.monotonic() - started <= IDLE_TIMEOUT + 3


def test_the_cache_answers_a_repeated_query_in_the_front(mini_server):
    path = target(LINEAGE + " # test_the_cache_answers_a_repeated_query_in_the_front")
    first, second = (httpx.get(mini_server + path, headers={"accept": "text/csv"}) for _ in range(2))
    assert (first.status_code, second.status_code) == (200, 200)
    assert (first.headers["x-cache"], second.headers["x-cache"]) == ("miss", "hit")
    assert first.content == second.content
    assert first.headers["content-type"] == second.headers["content-type"] == "text/csv; charset=utf-8"


def test_query_get_takes_only_a_plain_protocol_get():
    assert query_get(b"GET /sparql?query=ASK%7B%7D HTTP/1.1\r\nHost: x\r\n\r\n") == (b"query=ASK%7B%7D", b"HTTP/1.1", {b"host": b"x"})
    assert query_get(b"GET /sparql?timeout=1&query=ASK%7B%7D HTTP/1.0\r\n\r\n")[0] == b"timeout=1&query=ASK%7B%7D"
    for head in (b"GET /sparql?query=ASK%7B%7D HTTP/1.1\r\nContent-Length: 3\r\n\r\n",
                 b"GET /sparql?query=ASK%7B%7D HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n",
                 b"GET /sparql?query=ASK%7B%7D HTTP/1.1\r\nUpgrade: h2c\r\n\r\n",
                 b"GET /sparql?query=ASK%7B%7D HTTP/2\r\n\r\n",
                 b"GET /sparqlx?query=ASK%7B%7D HTTP/1.1\r\n\r\n",
                 b"GET /sparql?queryx=ASK%7B%7D HTTP/1.1\r\n\r\n",
                 b"GET http://x/sparql?query=ASK%7B%7D HTTP/1.1\r\n\r\n",
                 b"HEAD /sparql?query=ASK%7B%7D HTTP/1.1\r\n\r\n"):
        assert query_get(head) is None, head


def test_bytes_written_counts_what_a_connection_sent():
    with socket.create_server(("127.0.0.1", 0)) as listener:
        with socket.create_connection(listener.getsockname()) as client:
            server, _ = listener.accept()
            with server:
                before = bytes_written(server)
                server.sendall(b"x" * 1000)
                assert client.recv(2000)
                assert before == 0 and bytes_written(server) == 1000


def test_out_of_descriptors_the_front_pauses_accepting_and_recovers(mini_build, tmp_path):
    """With its descriptors used up, the front stops accepting for a second at a time (the backlog
    waits) rather than spinning on a listener it cannot accept from; it serves again once they free up."""
    with serving(mini_build.store, tmp_path, "--workers", "1") as (base, process):
        in_use = len(os.listdir(f"/proc/{process.pid}/fd"))
        _, hard = resource.prlimit(process.pid, resource.RLIMIT_NOFILE)
        resource.prlimit(process.pid, resource.RLIMIT_NOFILE, (in_use + 10, hard))
        host, port = urlsplit(base).hostname, urlsplit(base).port
        crowd = [socket.create_connection((host, port), timeout=5) for _ in range(40)]
        time.sleep(3)
        pauses = (tmp_path / "serve.log").read_text().count("cannot accept a connection")
        for connection in crowd:
            connection.close()
        assert 1 <= pauses <= 5  # one a second, not a loop spinning on the listener
        for _ in range(100):  # the pause ends, the backlog is drained and closed, a query comes through
            try:
                answer = httpx.get(base + target(LINEAGE), headers={"accept": "text/csv"}, timeout=5)
                break
            except httpx.TransportError:
                time.sleep(0.1)
        assert answer.status_code == 200 and answer.content == ANCESTORS_CSV


def test_a_client_slow_to_read_does_not_hold_a_worker(mini_build, tmp_path):
    """One worker, one query at a time per client: a client that asks for a large answer and does not
    read it leaves the worker free for the next client; it gets its whole answer when it reads."""
    large = "SELECT ?a ?b WHERE { ?a ?p ?o . ?b ?q ?r } LIMIT 80000"  # past what loopback's buffers hold (4 MB)
    with serving(mini_build.store, tmp_path, "--workers", "1", "--timeout", "3", "--cache-mb", "0") as (base, _):
        expected = httpx.get(base + target(large), headers={"accept": "text/csv"}, timeout=30).content
        assert len(expected) > 6_000_000
        host, port = urlsplit(base).hostname, urlsplit(base).port
        slow = socket.socket()
        slow.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)  # takes little until it reads
        slow.settimeout(30)
        with slow:
            slow.connect((host, port))
            slow.sendall(request(target(large), "HTTP/1.1", "Accept: text/csv"))
            started = time.monotonic()
            with httpx.Client(transport=httpx.HTTPTransport(local_address="127.0.0.2"), timeout=30) as other:
                for _ in range(5):
                    answer = other.get(base + target(LINEAGE), headers={"accept": "text/csv"})
                    assert answer.status_code == 200 and answer.content == ANCESTORS_CSV
            # Past the 3 s time limit before reading: a worker still writing would be stopped by now.
            time.sleep(max(0.0, 4.5 - (time.monotonic() - started)))
            answer = read_response(slow.makefile("rb"))
        assert answer.startswith(b"HTTP/1.1 200 OK\r\n")
        assert answer.split(b"\r\n\r\n", 1)[1] == expected
