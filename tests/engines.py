"""Real SPARQL engines on loopback, started by the tests themselves: Oxigraph server and Virtuoso.

Each context manager starts a private instance as a child process (its own database folder under
``folder``, free loopback ports, no systemd, no shared state), waits until its query endpoint
answers, yields an ``Engine`` and always stops the process on exit. The engine's output goes to
``engine.log``. A missing binary skips the calling test: the engine is not installed. An installed
engine that exits before it is ready, or does not answer within START_TIMEOUT seconds, fails it with
the log's tail in the message: a broken configuration must not pass for a missing engine.

    with virtuoso_server(tmp_path) as engine, engine.client() as client:
        client.put(engine.gsp_url, params={"graph": iri}, content=ntriples,
                   headers={"Content-Type": "application/n-triples"})
        client.get(engine.query_url, params={"query": "ASK { ?s ?p ?o }"},
                   headers={"Accept": "application/sparql-results+json"})

- Oxigraph: the ``oxigraph`` binary of the PyPI package ``oxigraph`` (next to the interpreter, or on
  the PATH), run as ``oxigraph serve --union-default-graph``; no authentication.
- Virtuoso: Debian's ``virtuoso-opensource`` (``virtuoso-t`` and ``isql-vt``), with a generated
  ``virtuoso.ini`` (a trimmed copy of the package's /etc/virtuoso-opensource-7/virtuoso.ini). Writes
  go to ``/sparql-graph-crud-auth`` with HTTP Digest as dba/dba, so authentication is exercised.
  Its default graph is the union of every graph, the system graphs included (``system_graphs``).

Set CERTGRAPH_OXIGRAPH, CERTGRAPH_VIRTUOSO or CERTGRAPH_ISQL to use another binary.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest

# Seconds an engine may take to answer its first query; a fresh Virtuoso database takes about 5.
START_TIMEOUT = 60
# Seconds a stopped engine may take to exit before it is killed; Virtuoso needs about 2.
STOP_TIMEOUT = 15
VIRTUOSO_DBA = ("dba", "dba")  # the password of a fresh Virtuoso database
SPARQL_JSON = "application/sparql-results+json"


@dataclass
class Engine:
    """A running SPARQL engine: where to query it, where to write graphs, and how to log in."""

    name: str
    query_url: str  # SPARQL 1.1 Protocol: GET ?query= or POST a form
    gsp_url: str  # SPARQL 1.1 Graph Store HTTP Protocol: PUT, POST, GET, DELETE with ?graph=IRI
    user: str | None
    password: str | None
    log: Path  # the engine's standard output and error
    update_url: str | None = None  # SPARQL 1.1 Update: POST a form with update=
    sql_port: int | None = None  # Virtuoso's SQL listener, for isql-vt
    system_graphs: frozenset[str] = frozenset()  # the named graphs a fresh instance already holds
    process: subprocess.Popen | None = field(default=None, repr=False)

    @property
    def auth(self) -> httpx.Auth | None:
        """HTTP Digest credentials for the write endpoints, or None when they need none."""
        return httpx.DigestAuth(self.user, self.password or "") if self.user else None

    def client(self, timeout: float = 120) -> httpx.Client:
        """An HTTP client that logs in to the write endpoints.

        Reuse it: a Digest client first sends each request without credentials until it has seen
        the server's challenge, so its first request travels twice.
        """
        return httpx.Client(auth=self.auth, timeout=timeout)

    def select(self, query: str, timeout: float = 60) -> list[dict[str, str]]:
        """The rows of a SELECT query, each a dict from variable to the bound term's lexical value."""
        response = httpx.get(self.query_url, params={"query": query}, headers={"Accept": SPARQL_JSON},
                             timeout=timeout)
        response.raise_for_status()
        return [{name: term["value"] for name, term in row.items()}
                for row in response.json()["results"]["bindings"]]

    def log_tail(self, lines: int = 40) -> str:
        """The last lines of the engine's log."""
        return log_tail(self.log, lines)


def log_tail(path: Path, lines: int = 40) -> str:
    """The last ``lines`` lines of a text file, or a note that there is none.

    >>> log_tail(Path("/nonexistent/engine.log"))
    '(no log at /nonexistent/engine.log)'
    """
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return f"(no log at {path})"
    return "\n".join(text.splitlines()[-lines:]) or "(empty log)"


def free_ports(count: int) -> list[int]:
    """``count`` distinct TCP ports free on the loopback interface (held open together while picked)."""
    with ExitStack() as stack:
        sockets = [stack.enter_context(socket.socket()) for _ in range(count)]
        for s in sockets:
            s.bind(("127.0.0.1", 0))
        return [s.getsockname()[1] for s in sockets]


def find_binary(env: str, *candidates: str) -> str | None:
    """The first of ``$env`` and ``candidates`` (paths or names on the PATH) that is an executable."""
    for candidate in filter(None, (os.environ.get(env, ""), *candidates)):
        found = shutil.which(candidate)
        if found:
            return found
    return None


@contextmanager
def _running(name: str, command: list[str], log: Path, cwd: Path, probe_url: str) -> Iterator[subprocess.Popen]:
    """Run ``command`` with its output in ``log`` until ``probe_url`` answers 200; stop it on exit.

    The binary is installed by now, so an early exit or a silent engine fails the test (with the log).
    """
    with open(log, "wb") as out:
        process = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                   cwd=cwd)
    try:
        deadline = time.monotonic() + START_TIMEOUT
        while True:
            if process.poll() is not None:
                pytest.fail(f"{name} exited with status {process.returncode} before it was ready; "
                            f"log {log}:\n{log_tail(log)}")
            try:
                if httpx.get(probe_url, headers={"Accept": SPARQL_JSON}, timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"{name} did not answer {probe_url} within {START_TIMEOUT} s; log {log}:\n{log_tail(log)}")
            time.sleep(0.1)
        yield process
    finally:
        process.terminate()
        try:
            process.wait(STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _graphs(query_url: str) -> frozenset[str]:
    response = httpx.get(query_url, params={"query": "SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } }"},
                         headers={"Accept": SPARQL_JSON}, timeout=30)
    response.raise_for_status()
    return frozenset(row["g"]["value"] for row in response.json()["results"]["bindings"])


# ------------------------------------------------------------------ Oxigraph


@contextmanager
def oxigraph_server(folder: Path) -> Iterator[Engine]:
    """Oxigraph server on a fresh store under ``folder``, default graph = union of all graphs."""
    binary = find_binary("CERTGRAPH_OXIGRAPH", str(Path(sys.executable).with_name("oxigraph")), "oxigraph")
    if binary is None:
        pytest.skip("oxigraph is not installed (pip install oxigraph): no oxigraph binary next to "
                    f"{sys.executable} nor on the PATH")
    home = Path(tempfile.mkdtemp(prefix="oxigraph-", dir=folder))
    (port,) = free_ports(1)
    base = f"http://127.0.0.1:{port}"
    log = home / "oxigraph.log"
    command = [binary, "serve", "--location", str(home / "store"), "--bind", f"127.0.0.1:{port}",
               "--union-default-graph"]
    with _running("oxigraph", command, log, home, f"{base}/query?query=ASK%7B%7D") as process:
        yield Engine("oxigraph", f"{base}/query", f"{base}/store", None, None, log,
                     update_url=f"{base}/update", process=process)


# ------------------------------------------------------------------ Virtuoso


def virtuoso_ini(db: Path, sql_port: int, http_port: int, extra: str = "") -> str:
    """A ``virtuoso.ini`` keeping every file in ``db`` and listening on loopback only (``extra``: more
    sections, e.g. ``[SPARQL]`` limits).

    Trimmed from Debian's /etc/virtuoso-opensource-7/virtuoso.ini: no plugins, no VAD folder, and
    no [SPARQL] limits, because the template's ResultSetMaxRows = 10000 silently truncates results
    and its MaxQueryExecutionTime turns slow queries into partial "anytime" answers with status 200.

    >>> ini = virtuoso_ini(Path("/tmp/db"), 1111, 8890)
    >>> "ServerPort = 127.0.0.1:8890" in ini and "DatabaseFile = /tmp/db/virtuoso.db" in ini
    True
    """
    return f"""\
[Database]
DatabaseFile = {db}/virtuoso.db
ErrorLogFile = {db}/virtuoso.log
LockFile = {db}/virtuoso.lck
TransactionFile = {db}/virtuoso.trx
xa_persistent_file = {db}/virtuoso.pxa
ErrorLogLevel = 7
FileExtend = 200
MaxCheckpointRemap = 2000
Striping = 0
TempStorage = TempDatabase

[TempDatabase]
DatabaseFile = {db}/virtuoso-temp.db
TransactionFile = {db}/virtuoso-temp.trx
MaxCheckpointRemap = 2000
Striping = 0

[Parameters]
ServerPort = 127.0.0.1:{sql_port}
DisableUnixSocket = 1
DisableTcpSocket = 0
MaxClientConnections = 10
CheckpointInterval = 60
CaseMode = 2
DirsAllowed = ., {db}
NumberOfBuffers = 10000
MaxDirtyBuffers = 6000
MaxQueryMem = 500M
ThreadsPerQuery = 2

[HTTPServer]
ServerPort = 127.0.0.1:{http_port}
ServerRoot = {db}/www
MaxClientConnections = 10
DavRoot = DAV
EnabledDavVSP = 0
HTTPProxyEnabled = 0
TempASPXDir = 0
ServerThreads = 10
MaxKeepAlives = 10
KeepAliveTimeout = 10
HTTPThreadSize = 280000
Charset = UTF-8
{extra}"""


@contextmanager
def virtuoso_server(folder: Path, ini_extra: str = "") -> Iterator[Engine]:
    """Virtuoso on a fresh database under ``folder``; writes need HTTP Digest as dba/dba.
    ``ini_extra`` is added to its ``virtuoso.ini`` (e.g. a ``[SPARQL]`` section)."""
    binary = find_binary("CERTGRAPH_VIRTUOSO", "virtuoso-t", "/usr/bin/virtuoso-t")
    if binary is None:
        pytest.skip("virtuoso-opensource is not installed (apt-get install virtuoso-opensource): "
                    "no virtuoso-t on the PATH")
    home = Path(tempfile.mkdtemp(prefix="virtuoso-", dir=folder))
    (home / "www").mkdir()
    sql_port, http_port = free_ports(2)
    ini = home / "virtuoso.ini"
    ini.write_text(virtuoso_ini(home, sql_port, http_port, ini_extra), encoding="utf-8")
    base = f"http://127.0.0.1:{http_port}"
    log = home / "virtuoso.out"
    command = [binary, "+foreground", "+configfile", str(ini)]
    with _running("virtuoso", command, log, home, f"{base}/sparql?query=ASK%7B%7D") as process:
        yield Engine("virtuoso", f"{base}/sparql", f"{base}/sparql-graph-crud-auth", *VIRTUOSO_DBA, log,
                     update_url=f"{base}/sparql-auth", sql_port=sql_port,
                     system_graphs=_graphs(f"{base}/sparql"), process=process)


def isql(engine: Engine, sql: str, timeout: float = 60) -> str:
    """Run SQL statements (each ending with ``;``) as dba on a Virtuoso engine; returns isql's output.

    isql-vt exits with status 0 after a failed statement, so its output is checked for ``*** Error``.
    Example: ``GRANT SPARQL_UPDATE TO "SPARQL"; DB.DBA.RDF_DEFAULT_USER_PERMS_SET('nobody', 7);``
    opens ``/sparql-graph-crud`` and updates at ``/sparql`` to anyone.
    """
    if engine.sql_port is None:
        raise ValueError(f"{engine.name} has no SQL listener")
    binary = find_binary("CERTGRAPH_ISQL", "isql-vt", "/usr/bin/isql-vt")
    if binary is None:
        pytest.skip("virtuoso-opensource is not installed (apt-get install virtuoso-opensource): no isql-vt")
    result = subprocess.run([binary, f"127.0.0.1:{engine.sql_port}", *VIRTUOSO_DBA, f"exec={sql}"],
                            check=False, capture_output=True, text=True, timeout=timeout,
                            stdin=subprocess.DEVNULL)
    output = result.stdout + result.stderr
    if result.returncode != 0 or "*** Error" in output:
        raise RuntimeError(f"isql-vt failed (status {result.returncode}):\n{output}")
    return output
