"""Helpers for hurting a query pool on purpose: its worker processes found in /proc, a server of
one's own, and clients that keep asking (well-behaved ones checking every answer, runaway ones).

The worker processes of a pool are the children of its process (the test's own for an
:class:`~certgraph.web.engine.EnginePool` driven directly, ``certgraph serve``'s for a server) that run
``certgraph.web.engine``; /proc says which they are and whether one is running a query (state ``R``).
"""

from __future__ import annotations

import os
import subprocess
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import httpx


# Three unanchored scans joined with nothing: never ends on any real graph.
RUNAWAY = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"
# A cartesian product sorted: its sort needs every row in memory, far more than any worker has.
MEMORY_HOG = "SELECT * WHERE { ?a ?b ?c . ?d ?e ?f } ORDER BY ?c ?f LIMIT 1"


def worker_pids(parent: int) -> list[int]:
    """The query workers among ``parent``'s children (processes whose command names ``certgraph.web.engine``)."""
    pids = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            command = (entry / "cmdline").read_bytes()
        except OSError:  # ended meanwhile
            continue
        # The command name, in parentheses, may hold spaces: the fields after it are split safely.
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        if ppid == parent and b"certgraph.web.engine" in command:
            pids.append(int(entry.name))
    return sorted(pids)


def process_state(pid: int) -> str:
    """The scheduler state of a process (``R`` running, ``S`` sleeping…), ``?`` once it is gone."""
    try:
        return (Path("/proc") / str(pid) / "stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return "?"


def address_space_mb(pid: int) -> float:
    """A process's mapped address space (VmSize), what RLIMIT_AS counts, in MB."""
    for line in (Path("/proc") / str(pid) / "status").read_text().splitlines():
        if line.startswith("VmSize:"):
            return int(line.split()[1]) / 1024
    raise ValueError(f"no VmSize for process {pid}")


@dataclass
class Server:
    """A running ``certgraph serve``: where to reach it and its process."""

    base: str
    process: subprocess.Popen


def client(address: str, seconds: float = 30) -> httpx.Client:
    """An HTTP client whose requests come from ``address`` (any of 127.0.0.0/8 on loopback)."""
    return httpx.Client(transport=httpx.HTTPTransport(local_address=address), timeout=seconds)


@dataclass
class Ask:
    """One query of the well-behaved mix: how to ask it and how to read the answer's value."""

    name: str
    query: str
    accept: str
    read: Callable[[httpx.Response], object]
    params: dict = field(default_factory=dict)


@dataclass
class Tally:
    """What one client saw: the seconds each answer took, and the answers that were not right."""

    seconds: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    wrong: list[str] = field(default_factory=list)


def ask(http: httpx.Client, base: str, item: Ask) -> httpx.Response:
    """POST one query of the mix (a POST is never answered from the server's cache)."""
    return http.post(base + "/sparql", params=item.params, data={"query": item.query}, headers={"accept": item.accept})


def keep_asking(base: str, address: str, mix: list[Ask], expected: dict[str, object], stop: threading.Event, tally: Tally) -> None:
    """Ask the mix in turn until ``stop``, recording each answer's time and whether it was right."""
    with client(address) as http:
        turn = 0
        while not stop.is_set():
            item = mix[turn % len(mix)]
            turn += 1
            started = time.monotonic()
            try:
                response = ask(http, base, item)
            except httpx.HTTPError as exc:
                tally.errors.append(f"{item.name}: {type(exc).__name__} {exc}")
                continue
            tally.seconds.append(time.monotonic() - started)
            if response.status_code != 200:
                tally.errors.append(f"{item.name}: HTTP {response.status_code} {response.text.strip()}")
            elif (value := item.read(response)) != expected[item.name]:
                tally.wrong.append(f"{item.name}: {value!r} instead of {expected[item.name]!r}")


def keep_running_away(base: str, address: str, stop: threading.Event, statuses: list[int]) -> None:
    """Send RUNAWAY without a time limit of its own until ``stop``; a refusal is followed by a pause."""
    with client(address) as http:
        while not stop.is_set():
            try:
                response = http.post(base + "/sparql", data={"query": RUNAWAY})
            except httpx.HTTPError:
                statuses.append(0)
                continue
            statuses.append(response.status_code)
            if "too many queries waiting" in response.text:
                stop.wait(0.2)


def percentile(values: list[float], fraction: float) -> float:
    """The value below which ``fraction`` of ``values`` fall (nearest rank).

    >>> percentile([float(n) for n in range(1, 101)], 0.99)
    99.0
    """
    ordered = sorted(values)
    return ordered[max(0, min(len(ordered) - 1, round(fraction * len(ordered)) - 1))]


def send_signal(pid: int, sig: int) -> bool:
    """Send ``sig`` to ``pid``; False when it was already gone."""
    try:
        os.kill(pid, sig)
    except ProcessLookupError:
        return False
    return True
