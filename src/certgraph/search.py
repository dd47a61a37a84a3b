"""Full-text search over fiche titles, block labels and competency statements: a SQLite FTS5 side index.

SPARQL ``CONTAINS`` scans every label on every query; at register size that is far too slow for a
search box. :func:`build_index` copies the searchable texts out of the store once, into one SQLite
file; :class:`Index` answers word queries from it in milliseconds and hands back IRIs, which lead
back into the graph (a named query can be bound to them with a ``VALUES`` block).

The file holds a ``meta`` table (format version, rows per kind, fingerprint of the store it was
built from, so that a stale index is detected) and::

    entry (id, iri, kind, fiche, block, text, other)  -- one row per fiche, block or competency
    entry_fts (text, other)                           -- FTS5 over them, contentless, rowid = id
    word (word, rows)                                 -- every indexed word, in how many rows

Ids are assigned in (kind, length, IRI) order: fiches, then blocks, then competencies; within a
kind, shorter texts first, equal lengths in IRI order. A kind is therefore a rowid range, so
filtering by kind costs nothing. Ranking a word found in half a million statements would take a
second, so at most ``RANK_CAP`` matching blocks, and as many competencies, are ranked: the first
ones in rowid order, the shortest, which bm25 favours. Fiche titles, a few tens of thousands, are
always all ranked. Ranking is exact when no cap is reached, and an approximation otherwise, for
queries too unselective for their order to mean much. A query of stop words only is not ranked at
all: its hits come in rowid order, with score 0. Ties in score stay in rowid order: IRI order
among texts of one kind and length.

The ``word`` table answers, before any FTS5 work, whether every query word occurs at all, how many
rows the rarest one is in (when no more than ``RANK_CAP``, no cut is needed), and which words the
last one, typed as a prefix, stands for: its ``MAX_COMPLETIONS`` most frequent completions, ORed.
FTS5 walks such a list lazily, where a ``prefix*`` query would merge the lists of every completion
up front, once per cursor.

Matching is case-, accent- and ligature-insensitive (``oeuvre`` finds ``œuvre``): :func:`normalise`
folds indexed and query text alike, and the tokenizer (``unicode61 remove_diacritics 2``) folds
whatever is left.
"""

from __future__ import annotations

import re
import sqlite3
import threading
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from .errors import CertgraphError
from .records import normalise_fiche_number
from .store import index_path
from .text import fold

FORMAT_VERSION = 1
KINDS = ("fiche", "block", "competency")
# bm25 is multiplied by the weight of the row's kind: a title that matches outranks a block label
# that matches as well, which outranks a competency statement.
KIND_WEIGHTS = {"fiche": 4.0, "block": 2.0, "competency": 1.0}
# Former titles of a fiche (column ``other``) count half as much as its current title.
COLUMN_WEIGHTS = (1.0, 0.5)
# A last word shorter than this is matched whole: "co" as a prefix matches a third of the register.
MIN_PREFIX = 3
# Matching blocks, and competencies, ranked; beyond, the first in rowid order (see the module docstring).
RANK_CAP = 2000
# Words a prefix stands for: its most frequent completions (see the module docstring).
MAX_COMPLETIONS = 50
SNIPPET_WORDS = 16
# French function words, in normalised form. They are in most texts: a query drops them when it
# has other words, since they would select next to nothing and cost a walk through most of the index.
STOP_WORDS = frozenset({
    "a", "au", "aux", "avec", "c", "ce", "ces", "d", "dans", "de", "des", "du", "en", "et", "l", "la", "le",
    "les", "leur", "leurs", "n", "ou", "par", "pour", "qu", "que", "qui", "s", "sa", "se", "ses", "son",
    "sur", "un", "une", "y",
})


class SearchIndexError(CertgraphError):
    """The search index is missing, unreadable or not of this version."""


class StaleIndexError(SearchIndexError):
    """The search index was built from another store than the one in use."""


@dataclass(frozen=True)
class Hit:
    """One matching fiche, block or competency.

    ``fiche`` is the fiche number; ``block`` the block code (None for a fiche); ``text`` the title,
    label or statement as published; ``snippet`` the part of it (or of a former title) where the
    query words are, each marked; ``score`` the weighted bm25 relevance, higher is better (0 for a
    query of stop words only, which is not ranked).
    """

    iri: str
    kind: str
    fiche: str
    block: str | None
    text: str
    snippet: str
    score: float


@dataclass(frozen=True)
class IndexStats:
    """What :func:`build_index` wrote: rows per kind, seconds taken, file size and store fingerprint.

    ``timings`` splits ``seconds`` into ``read`` (the SPARQL queries), ``index`` (sorting and FTS5
    indexing) and ``compact`` (merging the index and vacuuming the file).
    """

    path: Path
    fiches: int
    blocks: int
    competencies: int
    seconds: float
    size: int
    fingerprint: str
    timings: dict[str, float] = field(default_factory=dict)


# ------------------------------------------------------------------ words

_WORDS = re.compile(r"[^\W_]+")


def normalise(text: str) -> str:
    """The form of a text that is indexed and searched: the project's one folding (:func:`text.fold`).

    >>> normalise("Mise en Œuvre d’un cœur")
    'mise en oeuvre d’un coeur'
    """
    return fold(text)


@dataclass(frozen=True)
class Query:
    """User text as the words to find: every one is required, the last one possibly as a prefix.

    Only runs of letters and digits survive, lowercased, and :class:`Index` quotes each one: nothing
    the user types (``"``, ``*``, ``:``, ``-``, ``(``, ``^``, ``AND``, ``OR``, ``NOT``, ``NEAR``)
    reaches the FTS5 query syntax.
    """

    words: tuple[str, ...]
    prefix: bool
    common: bool = False  # only stop words: nothing to rank them by

    @classmethod
    def parse(cls, text: str) -> Query:
        """Read user text; the last word is a prefix while it is being typed.

        It is not once followed by a space or punctuation, nor when shorter than ``MIN_PREFIX``.
        Stop words are dropped when there are other words; a query of stop words only is ``common``.

        >>> Query.parse("Mise en œuvre d’un proj")
        Query(words=('mise', 'oeuvre', 'proj'), prefix=True, common=False)
        >>> Query.parse('"foo" OR * NEAR( a:b')
        Query(words=('foo', 'or', 'near', 'b'), prefix=False, common=False)
        >>> Query.parse("de la")
        Query(words=('de', 'la'), prefix=False, common=True)
        >>> Query.parse("  ")
        Traceback (most recent call last):
        ...
        ValueError: nothing to search for: the text is blank
        """
        if not text or not text.strip():
            raise ValueError("nothing to search for: the text is blank")
        folded = normalise(text)
        spans = list(_WORDS.finditer(folded))
        if not spans:
            raise ValueError(f"nothing to search for: {text!r} has no letter or digit")
        words = [span.group() for span in spans]
        last = spans[-1]
        prefix = last.end() == len(folded) and len(last.group()) >= MIN_PREFIX
        content = [word for word in words if word not in STOP_WORDS]
        if not content:
            return cls(tuple(words), prefix=False, common=True)
        return cls(tuple(content), prefix and words[-1] not in STOP_WORDS)

    def matches(self, word: str) -> bool:
        """Whether a word of a text (normalised) is one the query looks for."""
        if word in self.words:
            return True
        return self.prefix and word.startswith(self.words[-1])


def snippet(text: str, query: Query, markers: tuple[str, str] = ("[", "]"), words: int = SNIPPET_WORDS) -> str:
    """A window of ``words`` words of ``text`` holding most query words, each one marked.

    Windows start a few words before a query word; the one with most query words wins, the first
    of them on a tie.

    >>> q = Query.parse("oeuvre strat")
    >>> snippet("Mettre en œuvre la stratégie d'établissement", q)
    "Mettre en [œuvre] la [stratégie] d'établissement"
    >>> snippet("un deux trois quatre cinq six sept huit oeuvre neuf dix onze", q, words=5)
    '… six sept huit [oeuvre] neuf …'
    """
    spans = list(_WORDS.finditer(text))
    if not spans:
        return text
    hits = [query.matches(normalise(span.group())) for span in spans]
    starts = sorted({max(0, min(i - 3, len(spans) - words)) for i, hit in enumerate(hits) if hit}) or [0]
    start = max(starts, key=lambda first: (sum(hits[first:first + words]), -first))
    window = range(start, min(len(spans), start + words))
    pieces, cursor = [], spans[start].start() if start else 0
    for i in window:
        pieces.append(text[cursor:spans[i].start()])
        word = spans[i].group()
        pieces.append(f"{markers[0]}{word}{markers[1]}" if hits[i] else word)
        cursor = spans[i].end()
    cut = window[-1] < len(spans) - 1
    return ("… " if start else "") + "".join(pieces) + (" …" if cut else text[cursor:])


# ------------------------------------------------------------------ the store's fingerprint


def store_fingerprint(store) -> str:
    """What identifies a built store: its quad count and, on disk, the database's identity.

    Every ``certgraph build`` creates a new database (a new RocksDB ``IDENTITY``), so an index built
    before the last build no longer matches, even if the count happens to be the same.
    """
    quads = len(store)
    path = getattr(store, "path", None)
    identity = "memory"
    if path is not None:
        marker = Path(path) / "IDENTITY"
        if marker.exists():
            identity = marker.read_text(encoding="ascii", errors="replace").strip()
        else:
            identity = f"mtime {Path(path).stat().st_mtime_ns}"
    return f"{quads} quads, store {identity}"


# ------------------------------------------------------------------ searching


class Index:
    """An open, read-only search index; one connection reused across queries and threads.

    >>> Index(Path("/nonexistent/search.sqlite"))
    Traceback (most recent call last):
    ...
    certgraph.search.SearchIndexError: no search index at /nonexistent/search.sqlite: run `certgraph build` to create it

    :param store: when given, the index must have been built from this store
        (:class:`StaleIndexError` otherwise).
    :param rank_cap: matching blocks, and competencies, ranked (None: all; see the module docstring).
    """

    def __init__(self, path: Path, store=None, rank_cap: int | None = RANK_CAP):
        self.path = Path(path)
        self.rank_cap = rank_cap
        if not self.path.is_file():
            raise SearchIndexError(f"no search index at {self.path}: run `certgraph build` to create it")
        uri = self.path.resolve().as_uri() + "?mode=ro"
        self._conn = sqlite3.connect(uri, uri=True, check_same_thread=False)
        # One connection serves every thread (a web endpoint): queries take turns.
        self._lock = threading.Lock()
        try:
            self.meta = dict(self._conn.execute("SELECT key, value FROM meta"))
        except sqlite3.DatabaseError as exc:
            self._conn.close()
            raise SearchIndexError(
                f"{self.path} is not a certgraph search index ({exc}): run `certgraph build` to rebuild it"
            ) from None
        if self.meta.get("format") != str(FORMAT_VERSION):
            self._conn.close()
            raise StaleIndexError(
                f"the search index at {self.path} has format {self.meta.get('format')}, this version reads "
                f"format {FORMAT_VERSION}: run `certgraph build` to rebuild it"
            )
        self.counts = {kind: int(self.meta[f"count.{kind}"]) for kind in KINDS}
        # The rowid range of each kind (ids are assigned kind by kind, see the module docstring).
        self._ranges, start = {}, 1
        for kind in KINDS:
            self._ranges[kind] = (start, start + self.counts[kind] - 1)
            start += self.counts[kind]
        if store is not None:
            self.check(store)

    def __enter__(self) -> Index:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        """Close the connection."""
        self._conn.close()

    def is_stale(self, store) -> bool:
        """Whether the index was built from another store (or another build of it) than ``store``."""
        return self.meta.get("fingerprint") != store_fingerprint(store)

    def check(self, store) -> None:
        """Raise :class:`StaleIndexError` unless the index was built from ``store`` as it is now."""
        current = store_fingerprint(store)
        if self.meta.get("fingerprint") != current:
            raise StaleIndexError(
                f"the search index at {self.path} was built from another store "
                f"({self.meta.get('fingerprint')}; now {current}): run `certgraph build` to rebuild it"
            )

    def _expression(self, query: Query) -> tuple[str, int] | None:
        """The MATCH expression for a query, and the rows of its rarest word; None if it matches nothing.

        Each word is quoted; a prefix becomes its most frequent completions, ORed.
        """
        parts, rarest = [], None
        for position, word in enumerate(query.words):
            if query.prefix and position == len(query.words) - 1:
                completions = self._conn.execute(
                    "SELECT word, rows FROM word WHERE word >= ? AND word < ? ORDER BY rows DESC, word LIMIT ?",
                    (word, word + "\U0010ffff", MAX_COMPLETIONS),
                ).fetchall()
                rows = sum(count for _, count in completions)
                part = "(" + " OR ".join(f'"{completion}"' for completion, _ in completions) + ")"
            else:
                found = self._conn.execute("SELECT rows FROM word WHERE word = ?", (word,)).fetchone()
                rows = found[0] if found else 0
                part = f'"{word}"'
            if rows == 0:
                return None
            rarest = rows if rarest is None else min(rarest, rows)
            parts.append(part)
        return " AND ".join(parts), rarest

    def _ranked(self, query: Query, kinds, fiche, limit: int, offset: int) -> list[tuple[int, float]]:
        """(id, score) of the best matches, best first; call with the lock held."""
        if limit < 0 or offset < 0:
            raise ValueError("limit and offset must not be negative")
        number = None
        if fiche is not None:
            number = normalise_fiche_number(fiche)
            if number is None:
                raise ValueError(f"not a fiche number: {fiche!r} (expected like RNCP35080 or RS5000)")
        wanted = [kind for kind in _kinds(kinds) if self.counts[kind]]
        expression = self._expression(query)
        if expression is None or not wanted or limit == 0:
            return []
        match, rarest = expression
        first, last = self._ranges[wanted[0]][0], self._ranges[wanted[-1]][1]
        where, params = "entry_fts MATCH ? AND rowid BETWEEN ? AND ?", [match, first, last]
        if wanted == ["fiche", "competency"]:  # the two ends: skip the blocks between
            where += " AND (rowid < ? OR rowid > ?)"
            params += list(self._ranges["block"])
        if query.common:
            # Stop words only: no ranking (bm25 would walk most of the index to weigh them), rowid
            # order, that is by kind, shortest texts first. Fiche rows are looked up one by one.
            if number is not None:
                where += " AND rowid IN (SELECT id FROM entry WHERE fiche = ?)"
                params.append(number)
            sql = f"SELECT rowid, 0.0 FROM entry_fts WHERE {where} ORDER BY rowid LIMIT ? OFFSET ?"
            return self._conn.execute(sql, [*params, limit, offset]).fetchall()
        if number is not None:
            # "+rowid": a filter, not a lookup per row, which would restart the cursor (and bm25's
            # walk through each word's list) for every row of the fiche.
            where += " AND +rowid IN (SELECT id FROM entry WHERE fiche = ?)"
            params.append(number)
        elif self.rank_cap is not None and rarest > self.rank_cap:
            # Blocks and competencies beyond their rank_cap-th match are not ranked. The cut is
            # found by a walk in rowid order, without ranking, so cheap.
            for kind in ("block", "competency"):
                low, high = self._ranges[kind]
                if kind not in wanted or low > high:
                    continue
                row = self._conn.execute(
                    "SELECT rowid FROM entry_fts WHERE entry_fts MATCH ? AND rowid BETWEEN ? AND ? "
                    "ORDER BY rowid LIMIT 1 OFFSET ?",
                    (match, low, high, self.rank_cap - 1),
                ).fetchone()
                if row:
                    where += " AND (rowid < ? OR rowid > ?)"
                    params += [row[0] + 1, high]
        # One FTS5 cursor for every kind: bm25 walks each word's whole list once per cursor to
        # weigh it, so a cursor per kind would pay that three times.
        fiche_end, block_end = self._ranges["fiche"][1], self._ranges["block"][1]
        weights = (KIND_WEIGHTS["fiche"], KIND_WEIGHTS["block"], KIND_WEIGHTS["competency"])
        sql = (
            f"SELECT rowid, bm25(entry_fts, {COLUMN_WEIGHTS[0]}, {COLUMN_WEIGHTS[1]}) * CASE "
            f"WHEN rowid <= {fiche_end} THEN {weights[0]} WHEN rowid <= {block_end} THEN {weights[1]} "
            f"ELSE {weights[2]} END AS score FROM entry_fts WHERE {where} ORDER BY score, rowid LIMIT ? OFFSET ?"
        )
        return self._conn.execute(sql, [*params, limit, offset]).fetchall()

    def search(
        self,
        text: str,
        kinds: Iterable[str] | str | None = None,
        fiche: str | None = None,
        limit: int = 20,
        offset: int = 0,
        markers: tuple[str, str] = ("[", "]"),
    ) -> list[Hit]:
        """The best matches for ``text``, best first.

        :param kinds: only these of ``fiche``, ``block``, ``competency`` (default: all).
        :param fiche: only this fiche (its title, blocks and competencies), e.g. ``RNCP35080``.
        :param markers: put around each matched word in the snippets.
        :raises ValueError: blank text, an unknown kind, a bad fiche number, a negative limit.
        """
        query = Query.parse(text)
        with self._lock:
            ranked = self._ranked(query, kinds, fiche, limit, offset)
            ids = [id_ for id_, _ in ranked]
            rows = {
                row[0]: row[1:]
                for row in self._conn.execute(
                    "SELECT id, iri, kind, fiche, block, text, other FROM entry "
                    f"WHERE id IN ({', '.join('?' for _ in ids)})",
                    ids,
                )
            }
        hits = []
        for id_, score in ranked:
            iri, kind, number, block, shown, other = rows[id_]
            # The snippet comes from the text shown, unless a former title holds more query words.
            sources = [shown, *other.split("\n")] if other else [shown]
            source = max(sources, key=lambda text: sum(query.matches(w) for w in _WORDS.findall(normalise(text))))
            score = 0.0 if query.common else -score  # bm25 is negative, better when lower
            hits.append(Hit(iri, kind, number, block, shown, snippet(source, query, markers), score))
        return hits

    def candidates(
        self,
        text: str,
        kinds: Iterable[str] | str | None = None,
        fiche: str | None = None,
        limit: int = 100,
    ) -> list[str]:
        """The IRIs of the best matches, best first: no snippets, to bind a query's ``VALUES`` block."""
        query = Query.parse(text)
        with self._lock:
            ranked = self._ranked(query, kinds, fiche, limit, 0)
            ids = [id_ for id_, _ in ranked]
            iris = dict(
                self._conn.execute(f"SELECT id, iri FROM entry WHERE id IN ({', '.join('?' for _ in ids)})", ids)
            )
        return [iris[id_] for id_ in ids]


def _kinds(kinds: Iterable[str] | str | None) -> list[str]:
    """The kinds asked for, in index order; all of them for None.

    >>> _kinds("block"), _kinds(None)
    (['block'], ['fiche', 'block', 'competency'])
    """
    if kinds is None:
        return list(KINDS)
    asked = {kinds} if isinstance(kinds, str) else set(kinds)
    unknown = sorted(asked - set(KINDS))
    if unknown:
        raise ValueError(f"unknown kind(s) {', '.join(unknown)}: expected some of {', '.join(KINDS)}")
    return [kind for kind in KINDS if kind in asked]


def search(
    path: Path,
    text: str,
    kinds: Iterable[str] | str | None = None,
    fiche: str | None = None,
    limit: int = 20,
    offset: int = 0,
) -> list[Hit]:
    """Search the index at ``path`` once (open, search, close); see :meth:`Index.search`.

    :raises SearchIndexError: no index at ``path``, or not one this version reads.
    """
    with Index(path) as index:
        return index.search(text, kinds=kinds, fiche=fiche, limit=limit, offset=offset)


def candidates(
    path: Path,
    text: str,
    kinds: Iterable[str] | str | None = None,
    fiche: str | None = None,
    limit: int = 100,
) -> list[str]:
    """The IRIs of the best matches in the index at ``path``; see :meth:`Index.candidates`."""
    with Index(path) as index:
        return index.candidates(text, kinds=kinds, fiche=fiche, limit=limit)


__all__ = [
    "FORMAT_VERSION",
    "KINDS",
    "STOP_WORDS",
    "Hit",
    "Index",
    "IndexStats",
    "Query",
    "SearchIndexError",
    "StaleIndexError",
    "build_index",
    "candidates",
    "index_path",
    "normalise",
    "search",
    "snippet",
    "store_fingerprint",
]
