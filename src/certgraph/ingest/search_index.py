"""The full-text search index, built from the store at build time (``certgraph build``).

Reads the store's titles, block labels and competency statements through the internal queries
``queries/internal/search/``, stages them in SQLite, numbers them in (kind, length, IRI) order and
writes the FTS5 index that :mod:`certgraph.search` reads.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import os
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterable, Iterator
from itertools import groupby
from pathlib import Path

from ..queries import internal_query
from ..search import (
    _WORDS,
    FORMAT_VERSION,
    KINDS,
    IndexStats,
    normalise,
    store_fingerprint,
)
from ..store import OxigraphStore, lexical_rows
from ..vocab import number_from_iri

# (kind, role, internal query): each query selects ?iri ?fiche ?code ?text, ?fiche being the fiche's
# IRI; role 0 is a current wording, 1 a former title or another source's wording. The patterns start
# from the texts and join no more than needed: over the union of the named graphs, every join and
# every decoded string counts. The title shown is the reconciled one (the newest source's); every
# source's titles are searched.
_TEXT_QUERIES = (
    ("fiche", 0, "search/titles-current"),
    ("fiche", 1, "search/titles"),
    ("fiche", 1, "search/former-titles"),
    ("block", 0, "search/block-labels"),
    ("competency", 0, "search/competencies"),
)

_SCHEMA = f"""
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE entry (
  id INTEGER PRIMARY KEY,  -- in (kind, length, iri) order: a kind is a rowid range
  iri TEXT NOT NULL,
  kind TEXT NOT NULL CHECK (kind IN {KINDS}),
  fiche TEXT NOT NULL,     -- fiche number: RNCP35080
  block TEXT,              -- block code, for blocks and competencies
  text TEXT NOT NULL,      -- title, block label or competency statement, as published
  other TEXT               -- former titles and variant wordings, one per line
);
CREATE VIRTUAL TABLE entry_fts USING fts5(
  text, other, content='', tokenize='unicode61 remove_diacritics 2'
);
CREATE TABLE word (word TEXT PRIMARY KEY, rows INTEGER NOT NULL) WITHOUT ROWID;
"""


class _Numbers(dict):
    """Fiche IRI -> fiche number, each IRI parsed once (a fiche has many blocks and competencies)."""

    def __missing__(self, iri: str) -> str | None:
        self[iri] = number = number_from_iri(iri)
        return number


def _token_key(text: str) -> str:
    """Two wordings with this key in common index the same words (they differ in punctuation only)."""
    return " ".join(_WORDS.findall(normalise(text)))


def _merge(rows: Iterable[tuple]) -> Iterator[tuple]:
    """Group staged (kind rank, iri, fiche, block, role, text) rows, sorted by IRI, into one entry each.

    The text shown is the first current wording in sort order; other wordings that index other
    words, and former titles, go to ``other``. Yields (kind rank, iri, fiche, block, text, other).
    """
    for (rank, iri), group in groupby(rows, key=lambda row: (row[0], row[1])):
        group = list(group)
        if len(group) == 1:  # the usual case, and the fast path
            _, _, fiche, block, _, text = group[0]
            yield rank, iri, fiche, block, text, None
            continue
        current = [row[5] for row in group if row[4] == 0] or [row[5] for row in group]
        shown, seen, other = current[0], {_token_key(current[0])}, []
        for text in current[1:] + [row[5] for row in group if row[4] == 1]:
            key = _token_key(text)
            if key not in seen:
                seen.add(key)
                other.append(text)
        block = min((row[3] for row in group if row[3] is not None), default=None)
        yield rank, iri, min(row[2] for row in group), block, shown, "\n".join(other) or None


def build_index(store, path: Path) -> IndexStats:
    """Write the full-text index of ``store`` to ``path``, replacing it atomically.

    The index is written to a temporary file in the same folder and renamed over ``path`` at the
    end: readers see the old index or the new one, never half of one, and a failed build leaves the
    old one in place.

    :param store: an :class:`~certgraph.store.OxigraphStore` (or any store with ``query``).
    :returns: the rows per kind, the seconds taken and the size of the file.
    """
    clock = time.perf_counter()
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".building", dir=path.parent)
    os.close(fd)
    work = Path(name)
    try:
        counts, fingerprint, timings = _write_index(store, work)
        with open(work, "rb") as f:
            os.fsync(f.fileno())
        os.chmod(work, 0o644)  # mkstemp made it private; readers (a web endpoint) need to open it
        os.replace(work, path)
    except BaseException:
        work.unlink(missing_ok=True)
        raise
    return IndexStats(
        path=path,
        fiches=counts["fiche"],
        blocks=counts["block"],
        competencies=counts["competency"],
        seconds=time.perf_counter() - clock,
        size=path.stat().st_size,
        fingerprint=fingerprint,
        timings=timings,
    )


def stamp_fingerprint(path: Path, fingerprint: str) -> None:
    """Record in the index at ``path`` the fingerprint of the store it belongs to: a build that indexes
    while it still adds derived quads (none the index reads) stamps the finished store's."""
    conn = sqlite3.connect(path)
    try:
        conn.execute("UPDATE meta SET value = ? WHERE key = 'fingerprint'", (fingerprint,))
        conn.commit()
    finally:
        conn.close()


def _write_index(store, work: Path) -> tuple[dict[str, int], str, dict[str, float]]:
    timings, clock = {}, time.perf_counter()
    conn = sqlite3.connect(work)
    try:
        # A throw-away file until renamed: no journal, no syncing until the final fsync.
        conn.executescript("PRAGMA journal_mode = OFF; PRAGMA synchronous = OFF; PRAGMA cache_size = -65536;")
        conn.executescript(_SCHEMA)
        fingerprint = store_fingerprint(store)  # of the store as read, before reading it
        # Rows are staged in SQLite rather than in Python: it sorts them on disk if need be.
        conn.execute("CREATE TEMP TABLE staging (rank, iri, fiche, block, role, text)")
        numbers = _Numbers()
        for kind, role, name in _TEXT_QUERIES:
            sparql = internal_query(name).bind()
            rank = KINDS.index(kind)
            rows = (
                (rank, iri, numbers[fiche], code, role, text)
                for iri, fiche, code, text in lexical_rows(store, sparql)
                if text and text.strip() and numbers[fiche]
            )
            conn.executemany("INSERT INTO staging VALUES (?, ?, ?, ?, ?, ?)", rows)
        timings["read"], clock = time.perf_counter() - clock, time.perf_counter()
        staged = conn.execute("SELECT * FROM staging ORDER BY rank, iri, role, text")
        counts = _index_entries(conn, _merge(staged))
        conn.execute("DROP TABLE staging")
        timings["index"], clock = time.perf_counter() - clock, time.perf_counter()
        _finish(conn, counts, fingerprint, str(getattr(store, "path", None) or "memory"))
        timings["compact"] = time.perf_counter() - clock
    finally:
        conn.close()
    return counts, fingerprint, timings


def _index_entries(conn: sqlite3.Connection, entries: Iterable[tuple], batch: int = 5000) -> dict[str, int]:
    """Number (kind rank, iri, fiche, block, text, other) entries in id order, and index them.

    They go through a temporary table to be sorted by kind, length in words, then IRI.
    """
    conn.execute("CREATE TEMP TABLE merged (rank, length, iri, fiche, block, text, other)")
    conn.executemany(
        "INSERT INTO merged VALUES (?, ?, ?, ?, ?, ?, ?)",
        (
            (rank, len(_WORDS.findall(f"{text} {other or ''}")), iri, fiche, block, text, other)
            for rank, iri, fiche, block, text, other in entries
        ),
    )
    counts = dict.fromkeys(KINDS, 0)
    rows, texts = [], []
    ordered = conn.execute("SELECT rank, iri, fiche, block, text, other FROM merged ORDER BY rank, length, iri")
    for id_, (rank, iri, fiche, block, text, other) in enumerate(ordered, start=1):
        kind = KINDS[rank]
        counts[kind] += 1
        rows.append((id_, iri, kind, fiche, block, text, other))
        texts.append((id_, normalise(text), normalise(other) if other else None))
        if len(rows) >= batch:
            _flush(conn, rows, texts)
    _flush(conn, rows, texts)
    conn.execute("DROP TABLE merged")
    return counts


def _flush(conn: sqlite3.Connection, rows: list, texts: list) -> None:
    conn.executemany("INSERT INTO entry VALUES (?, ?, ?, ?, ?, ?, ?)", rows)
    conn.executemany("INSERT INTO entry_fts (rowid, text, other) VALUES (?, ?, ?)", texts)
    rows.clear()
    texts.clear()


def _finish(conn: sqlite3.Connection, counts: dict[str, int], fingerprint: str, store_name: str) -> None:
    """Merge the FTS5 segments into one (fastest to query), write the metadata, compact the file."""
    conn.execute("INSERT INTO entry_fts (entry_fts) VALUES ('optimize')")
    conn.execute("CREATE INDEX entry_fiche ON entry (fiche)")
    conn.execute("CREATE VIRTUAL TABLE temp.vocabulary USING fts5vocab(main, entry_fts, row)")
    conn.execute("INSERT INTO word SELECT term, doc FROM temp.vocabulary")
    conn.execute("DROP TABLE temp.vocabulary")
    meta = {
        "format": str(FORMAT_VERSION),
        "fingerprint": fingerprint,
        "built": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        "store": store_name,
        **{f"count.{kind}": str(counts[kind]) for kind in KINDS},
    }
    conn.executemany("INSERT INTO meta VALUES (?, ?)", meta.items())
    conn.commit()
    conn.execute("VACUUM")


class BackgroundIndex:
    """:func:`build_index` of an on-disk store in a second process (``python -m
    certgraph.ingest.search_index STORE PATH``), which opens the store read-only. Give it a
    checkpoint (:meth:`OxigraphStore.checkpoint`) when the caller goes on writing its own store:
    a compaction there deletes files a reader of that directory has yet to open.

    A process of its own, not a fork (the store's threads do not survive one) nor a multiprocessing
    spawn (that re-imports the caller's main script, which a script read from stdin does not have).
    """

    def __init__(self, store_dir: Path, path: Path):
        self._process = subprocess.Popen([sys.executable, "-m", __name__, str(store_dir), str(path)],
                                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)

    def result(self) -> IndexStats:
        """The index's figures once it is written; raises RuntimeError with the process's error if it failed."""
        out, err = self._process.communicate()
        if self._process.returncode != 0:
            raise RuntimeError(f"the search index could not be built: {err.strip()[-2000:]}")
        fields = json.loads(out)
        return IndexStats(**{**fields, "path": Path(fields["path"])})

    def cancel(self) -> None:
        """Stop the process (its output is about to be deleted)."""
        self._process.kill()
        self._process.communicate()


def main(argv: list[str] | None = None) -> int:
    store_dir, path = argv or sys.argv[1:]
    stats = build_index(OxigraphStore.open(Path(store_dir), check_format=False), Path(path))  # not summarised yet
    print(json.dumps({**dataclasses.asdict(stats), "path": str(stats.path)}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
