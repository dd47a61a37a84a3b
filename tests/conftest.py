"""Shared fixtures: the expensive graphs are built once per session.

- ``mini_data``: a data folder holding the seed pages, the code lists and the *real* rows of the
  export tables for the fiches of the seed lineage and comparison only (filtered from ``data/``).
  Small enough for rdflib and pyshacl; use it for facts, named queries and differential tests.
- ``mini_store`` / ``mini_rdflib``: that folder built into the embedded store, and the same quads in
  a plain rdflib Dataset.
- ``demo_store``: the whole ``data/`` folder as ``make demo`` builds it (about four minutes); use it
  only for what needs the national tables (summaries of findings, CLI transcripts on the real graph).
  When a session has tests that read it, a second process builds it from the start of the session
  while the other tests run on the other core, and the test files reading it run last.
"""

from __future__ import annotations

import csv
import multiprocessing
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
import yaml

from certgraph.ingest.build import build
from certgraph.queries import load_queries
from certgraph.store import OxigraphStore, RdflibStore

from .browser import checked, open_browser
from .engines import free_ports

REPO = Path(__file__).resolve().parent.parent
DATA = REPO / "data"

# The fiches of the worked examples: the CNAM lineage and IRCOM's comparable certification.
MINI_FICHES = {"RNCP1611", "RNCP5385", "RNCP28720", "RNCP35080", "RNCP41336", "RNCP41296"}


CERTIFINFO = "certifinfo/certif_info.csv"


def _filter_csv(source: Path, target: Path, encoding: str = "utf-8", column: str | None = None, prefix: str = "") -> None:
    """Copy the header and the rows naming a fiche of MINI_FICHES, byte-faithful.

    The fiche is the first column, or ``column`` (its value with ``prefix`` before it: Certif Info
    writes ``35080`` for RNCP35080). Rows are lines: none of these files has a field over two lines.
    """
    with open(source, encoding=encoding, newline="") as f:
        lines = f.read().splitlines(keepends=True)
    keep = [lines[0]]
    index = next(csv.reader([lines[0]], delimiter=";")).index(column) if column else 0
    for line in lines[1:]:
        cells = next(csv.reader([line], delimiter=";"), [""])
        if len(cells) > index and prefix + cells[index] in MINI_FICHES:
            keep.append(line)
    target.parent.mkdir(parents=True, exist_ok=True)
    with open(target, "w", encoding=encoding, newline="") as f:
        f.writelines(keep)


def make_mini_data(root: Path) -> Path:
    """Write the mini data folder under ``root`` and return it."""
    for folder in ("seeds", "rome", "rome_esco", "nsf", "formacode", "curated"):
        shutil.copytree(DATA / folder, root / folder)
    for folder in ("rncp/hackathon-export-2026-02-01", "rncp/rpa-data-collector-export-2024-01-17"):
        for csv_file in (DATA / folder).glob("*.csv"):
            _filter_csv(csv_file, root / folder / csv_file.name)
    info = "rncp/tables-correspondances-2021/rncp_info.v1.4.csv"
    _filter_csv(DATA / info, root / info, encoding="cp1252")
    _filter_csv(DATA / CERTIFINFO, root / CERTIFINFO, column="Code_RNCP", prefix="RNCP")
    shutil.copy(DATA / "manifest.yaml", root / "manifest.yaml")
    return root


@pytest.fixture(scope="session")
def queries():
    """Every named query, loaded once."""
    return load_queries()


@pytest.fixture(scope="session")
def mini_data(tmp_path_factory) -> Path:
    """The mini data folder (see module docstring)."""
    return make_mini_data(tmp_path_factory.mktemp("mini") / "data")


@pytest.fixture(scope="session")
def mini_build(mini_data, tmp_path_factory):
    """The build report of the mini data folder."""
    out = tmp_path_factory.mktemp("mini-store")
    return build(mini_data, out / "store", out / "store.nq")


@pytest.fixture(scope="session")
def mini_store(mini_build) -> OxigraphStore:
    """The mini graph in the embedded store (read-only)."""
    return OxigraphStore.open(mini_build.store)


@pytest.fixture(scope="session")
def mini_rdflib(mini_build) -> RdflibStore:
    """The same quads as ``mini_store`` in a plain rdflib Dataset (the reference)."""
    return RdflibStore.from_nquads(mini_build.dump)


# The demo graph's build, started by pytest_collection_modifyitems in its own process.
_DEMO: dict[str, Future | ProcessPoolExecutor] = {}


def _reads_demo(item: pytest.Item) -> bool:
    return "demo_build" in getattr(item, "fixturenames", ())


# Files whose tests measure a server against its time and memory limits: they run after the demo
# build, on a machine that is not building anything beside them.
QUIET_FILES = ("tests/test_pool.py", "tests/test_endpoint_safety.py")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Start building the demo graph at once in a second process when a test reads it; run the files
    holding such tests after the others, then QUIET_FILES (whole files, so that module fixtures are
    set up once)."""
    late = {item.nodeid.split("::")[0] for item in items if _reads_demo(item)}
    if not late:
        return

    def turn(item: pytest.Item) -> int:
        file = item.nodeid.split("::")[0]
        return 2 if file in QUIET_FILES else 1 if file in late else 0

    items.sort(key=turn)  # stable: the order within each turn is pytest's
    out = config._tmp_path_factory.mktemp("demo-store")  # pytest's own tmp_path_factory
    # spawn: a clean interpreter, not a fork of pytest with its threads and open stores
    pool = ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn"))
    _DEMO["pool"], _DEMO["build"] = pool, pool.submit(build, DATA, out / "store")


def pytest_sessionfinish(session: pytest.Session) -> None:
    pool = _DEMO.pop("pool", None)
    if isinstance(pool, ProcessPoolExecutor):
        for process in list(getattr(pool, "_processes", {}).values()):  # a build still running is stopped
            process.terminate()
        pool.shutdown(wait=True, cancel_futures=True)


@pytest.fixture(scope="session")
def demo_build(tmp_path_factory):
    """The whole data/ folder built as `make demo` does (slow: use sparingly), without the dump."""
    started = _DEMO.get("build")
    if isinstance(started, Future):
        return started.result()
    out = tmp_path_factory.mktemp("demo-store")
    return build(DATA, out / "store")


@pytest.fixture(scope="session")
def demo_store(demo_build) -> OxigraphStore:
    """The demo graph, read-only."""
    return OxigraphStore.open(demo_build.store)


def write_manifest(data_dir: Path, inputs: list[dict]) -> None:
    """A manifest.yaml listing ``inputs`` (for tests that build small, broken folders)."""
    (data_dir / "manifest.yaml").write_text(yaml.safe_dump({"inputs": inputs}, allow_unicode=True), encoding="utf-8")


# ------------------------------------------------------------------ the endpoint

SERVER_TIMEOUT = 4


@contextmanager
def serving(store: Path, log_dir: Path, *options: str) -> Iterator[tuple[str, subprocess.Popen]]:
    """``certgraph serve --store STORE OPTIONS…`` on a free loopback port, as a child process.

    Yields its base URL and the process once it answers; stops it afterwards. Fails the test with
    the server's log when it does not start.
    """
    (port,) = free_ports(1)
    log = log_dir / "serve.log"
    process = subprocess.Popen(
        [sys.executable, "-m", "certgraph.cli", "serve", "--store", str(store), "--port", str(port), *options],
        stdout=log.open("wb"), stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    for _ in range(200):
        try:
            if httpx.get(base + "/queries", timeout=1).status_code == 200:
                break
        except httpx.TransportError:
            time.sleep(0.1)
    else:
        process.kill()
        pytest.fail("the server did not start: " + log.read_text(errors="replace"))
    try:
        yield base, process
    finally:
        process.terminate()
        process.wait(10)


@pytest.fixture(scope="session")
def mini_server(mini_build, tmp_path_factory):
    """``certgraph serve`` on loopback over the mini store, as a child process; yields its base URL.

    A short time limit (SERVER_TIMEOUT) and a 1 MB result limit make the error paths quick to reach.
    """
    options = ("--timeout", str(SERVER_TIMEOUT), "--max-result-mb", "1", "--workers", "2")
    with serving(mini_build.store, tmp_path_factory.mktemp("server"), *options) as (base, _process):
        yield base


# ------------------------------------------------------------------ the browser


@pytest.fixture(scope="module")
def browser_session():
    """One headless Chromium for a module's browser tests (skips without Playwright or Chromium)."""
    with open_browser() as session:
        yield session


@pytest.fixture
def browser(browser_session):
    """The module's Chromium, its logs emptied for this test; checks no console error and nothing left the machine."""
    with checked(browser_session) as session:
        yield session
