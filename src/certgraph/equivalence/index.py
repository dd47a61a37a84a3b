"""The register-wide equivalence index: every fiche against every other, in two modes.

Method ``equivalence-v1`` (this docstring is stored with the scores):

- **Fields.** *title*: the stems of every title a fiche is known by, and their pairs of neighbours
  (so "ressources humaines" is one feature besides its two words); *blocks*: the stems of its block
  labels and competency statements; *rome*, *nsf*, *formacode*: its codes, each with every broader
  code of its list; *certifier*: its certifiers' SIRETs.
- **Weights over the whole register.** Each field is a TF-IDF vector (sublinear term frequency
  ``1 + ln tf``, smooth IDF ``ln((1 + N) / (1 + df)) + 1`` with N the fiches of the register),
  normalised to length 1; a *blocks* vector keeps its 80 heaviest stems. Two fiches' field score is
  the cosine of their vectors.
- **Level**: 1 for the same EQF level, 0.5 for adjacent levels, 0 otherwise or unknown.
- **Content mode**: the weighted sum of the title, blocks, rome, nsf, formacode and level scores.
- **Lineage mode** (looking for a fiche's successors): among the later fiches of the same register
  (RNCP or RS; numbers are issued in time order), content plus certifier continuity (the certifier
  score, and the title score where a certifier is shared) and date adjacency: how close this fiche's end of registration is to the other's
  start, the start estimated from its number (numbers are issued in time order; the map from a
  number to its date is fitted on the training split's links as the end date of each predecessor
  against its successor's number), ``exp(-|days| / 365)``. Read backwards (an earlier number, the
  other's end near this one's start) it looks for predecessors: the suggested links use it.
- The field weights of each mode are tuned on the training split of the stated lineage links
  (``split.py``, seed 2026) to maximise the mean reciprocal rank of the successor; they are
  :data:`WEIGHTS`. A score is in [0, sum of weights]; ranks, not values, carry the meaning.
"""

from __future__ import annotations

import datetime as dt
import io
import itertools
import json
import math
import multiprocessing
import os
import zipfile
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from scipy import sparse

from ..errors import CertgraphError
from ..store import default_store_path, equivalence_path
from .analysis import tokens
from .blocks import block_idf
from .descriptors import CODE_FIELDS, Descriptor

METHOD = "equivalence-v1"
MODES = ("content", "lineage")
# The lineage mode looks for successors; read with these features swapped, it looks for predecessors.
REVERSED = {"newer": "older", "older": "newer", "adjacency": "adjacency_back", "adjacency_back": "adjacency"}
# A successor is registered after its predecessor, in the same register: the lineage mode ranks
# only later fiches of the register (the predecessor reading, only earlier ones).
FILTERS = {"lineage": "newer", "predecessor": "older"}
TEXT_FIELDS = ("title", "blocks")
PAIR_SCORES = ("level", "register", "newer", "older", "adjacency", "adjacency_back")
BLOCK_TERMS = 80
MAX_DF = 0.05
ADJACENCY_DAYS = 365.0
_FAR = 1e7  # days: unknown dates are this far from anything
_CAP = np.float32(30 * ADJACENCY_DAYS)  # gaps beyond it are all alike (exp(-30) is 0 here)

# Tuned on the training split (benchmarks/equivalence.py --tune); see the module docstring.
WEIGHTS: dict[str, dict[str, float]] = {
    "content": {"title": 9.2817, "blocks": 8.6787, "rome": 0.7836, "nsf": 0.9415, "formacode": 1.2414, "hierarchy": 0.143, "level": 1.0437},
    "lineage": {"title": 9.0568, "blocks": 0.1324, "rome": 0.707, "nsf": 0.6963, "formacode": 1.19, "hierarchy": 1.5434, "certifier": 2.0049, "title_certifier": 0.211, "level": 2.3968, "adjacency": 7.8293},
}


def title_features(texts: Iterable[str]) -> list[str]:
    """Stems of every title, and each pair of neighbouring stems.

    >>> title_features(["Responsable des ressources humaines"])
    ['respons', 'ressourc', 'humain', 'respons ressourc', 'ressourc humain']
    """
    features: list[str] = []
    for text in texts:
        stems = tokens(text)
        features += stems + [f"{a} {b}" for a, b in zip(stems, stems[1:])]
    return features


def block_features(descriptor: Descriptor) -> list[str]:
    return [stem for block in descriptor.blocks.values() for stem in tokens(block.document())]


def _register(number: str) -> int:
    return 1 if number.startswith("RS") else 0


def _number_value(number: str) -> int:
    digits = "".join(c for c in number if c.isdigit())
    return int(digits) if digits else -1


@dataclass
class Field:
    """One field: a row-normalised TF-IDF matrix (fiches x features) and its feature names."""

    matrix: sparse.csr_matrix
    features: list[str]
    idf: np.ndarray


def _tfidf(documents: list[list[str]], sublinear: bool = True, keep: int | None = None, normalise: bool = True,
           max_df: float = 1.0) -> Field:
    """Row-normalised TF-IDF of the documents; features in more than :data:`MAX_DF` of them are
    dropped (an NSF domain or a word of every other title tells two fiches apart from no other)."""
    vocabulary: dict[str, int] = {}
    rows, cols, counts = [], [], []
    for row, document in enumerate(documents):
        for feature, count in Counter(document).items():
            rows.append(row)
            cols.append(vocabulary.setdefault(feature, len(vocabulary)))
            counts.append(count)
    n = len(documents)
    shape = (n, max(len(vocabulary), 1))
    tf = sparse.csr_matrix((np.asarray(counts, dtype=np.float32), (rows, cols)), shape=shape)
    if sublinear:
        tf.data = 1.0 + np.log(tf.data)
    df = np.bincount(tf.indices, minlength=shape[1])
    idf = np.log((1.0 + n) / (1.0 + df)).astype(np.float32)
    idf[df > max_df * n] = 0.0
    matrix = tf.multiply(idf).tocsr()
    matrix.eliminate_zeros()
    if keep:
        matrix = _keep_heaviest(matrix, keep)
    norms = np.sqrt(np.asarray(matrix.multiply(matrix).sum(axis=1)).ravel())
    norms[norms == 0] = 1.0
    if not normalise:  # the dot product sums the IDF of what two fiches share (sqrt(idf) each side)
        matrix = tf.multiply(np.sqrt(idf)).tocsr()
        matrix.eliminate_zeros()
        norms = np.ones_like(norms)
    matrix = sparse.csr_matrix(sparse.diags(1.0 / norms).dot(matrix), dtype=np.float32)
    names = [""] * shape[1]
    for feature, col in vocabulary.items():
        names[col] = feature
    return Field(matrix, names, idf)


def _keep_heaviest(matrix: sparse.csr_matrix, keep: int) -> sparse.csr_matrix:
    """Each row's ``keep`` largest values (a long document's tail barely moves a cosine)."""
    matrix = matrix.tocsr()
    for row in range(matrix.shape[0]):
        start, end = matrix.indptr[row], matrix.indptr[row + 1]
        if end - start > keep:
            values = matrix.data[start:end]
            values[values < np.partition(values, -keep)[-keep]] = 0.0
    matrix.eliminate_zeros()
    return matrix


class EquivalenceIndex:
    """The fields of every fiche of a store, and the scores of one fiche against all the others."""

    def __init__(self, numbers: list[str], iris: list[str], fields: dict[str, Field], level: np.ndarray,
                 end: np.ndarray, start: np.ndarray, weights: dict[str, dict[str, float]] | None = None,
                 meta: dict | None = None):
        self.numbers = numbers
        self.iris = iris
        self.position = {number: i for i, number in enumerate(numbers)}
        self.fields = fields
        self.level = level  # EQF level, 0 when unknown
        self.end = end  # end of registration in days since 1970, NaN when unknown
        self.start = start  # estimated start in days since 1970, NaN when unknown
        self.register = np.array([_register(n) for n in numbers], dtype=np.int8)
        self.serial = np.array([_number_value(n) for n in numbers], dtype=np.int64)
        # Unknown dates are far apart (opposite ends of time), so their adjacency is exactly 0.
        self._known_end = np.nan_to_num(end, nan=_FAR).astype(np.float32)
        self._known_start = np.nan_to_num(start, nan=-_FAR).astype(np.float32)
        self.weights = weights or WEIGHTS
        self.meta = meta or {}

    # ------------------------------------------------------------------ building

    @classmethod
    def build(cls, descriptors: dict[str, Descriptor], start_map: StartMap | None = None) -> EquivalenceIndex:
        """Index every descriptor (fiches sorted by number); ``start_map`` dates numbers (see module)."""
        ordered = sorted(descriptors.values(), key=lambda d: d.number)
        fields = {
            "title": _tfidf([title_features(d.titles) for d in ordered], max_df=MAX_DF),
            "blocks": _tfidf([block_features(d) for d in ordered], keep=BLOCK_TERMS, max_df=MAX_DF),
            **{name: _tfidf([sorted(d.codes.get(name, ())) for d in ordered], sublinear=False, normalise=False)
               for name in CODE_FIELDS},
            "hierarchy": _tfidf([sorted(f for name in CODE_FIELDS for f in d.features.get(name, set()) - d.codes.get(name, set()))
                                 for d in ordered], sublinear=False, max_df=MAX_DF),
            "certifier": _tfidf([sorted(d.certifiers) for d in ordered], sublinear=False, normalise=False),
        }
        level = np.array([d.level or 0 for d in ordered], dtype=np.int8)
        end = np.array([_days(d.end) for d in ordered], dtype=np.float64)
        start_map = start_map or StartMap.default()
        start = np.array([start_map.days(d.number) for d in ordered], dtype=np.float64)
        meta = {"method": METHOD, "fiches": len(ordered), "start_map": start_map.as_dict(),
                "block_idf": block_idf(tokens(b.document()) for d in ordered for b in d.blocks.values())}
        return cls([d.number for d in ordered], [d.iri for d in ordered], fields, level, end, start, meta=meta)

    # ------------------------------------------------------------------ scores

    def field_scores(self, rows: np.ndarray) -> dict[str, sparse.csr_matrix]:
        """Per sparse field, the scores of the fiches at ``rows`` against every fiche; and
        *title_certifier*, the title score where the two fiches share a certifier."""
        result = {name: (field.matrix[rows] @ field.matrix.T).tocsr() for name, field in self.fields.items()}
        result["title_certifier"] = result["title"].multiply(result["certifier"] > 0).tocsr()
        return result

    def pair_scores(self, rows: np.ndarray, cols: np.ndarray) -> dict[str, np.ndarray]:
        """The level, register, direction and date scores of the pairs (rows[i], cols[i]).

        *newer*: the other fiche has a higher number (registered later) in the same register;
        *adjacency*: how close the other's estimated start is to this fiche's end of registration.
        *older* and *adjacency_back* are the same read the other way (for predecessors).
        """
        return {name: self.pair_score(name, rows, cols) for name in PAIR_SCORES}

    def pair_score(self, name: str, rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
        """One of :meth:`pair_scores` (a mode computes only those it weighs, on the pairs it keeps)."""
        if name == "level":
            return _LEVEL_SCORE[self.level[rows], self.level[cols]]
        same = self.register[rows] == self.register[cols]
        if name == "register":
            return same.astype(np.float32)
        if name in ("newer", "older"):
            later = self.serial[cols] > self.serial[rows] if name == "newer" else self.serial[cols] < self.serial[rows]
            return (same & later).astype(np.float32)
        end, start = self._known_end, self._known_start
        gap = start[cols] - end[rows] if name == "adjacency" else start[rows] - end[cols]
        return np.exp(-np.minimum(np.abs(gap), _CAP) / np.float32(ADJACENCY_DAYS)).astype(np.float32)

    def scores(self, rows: np.ndarray, mode: str, weights: dict[str, float] | None = None) -> sparse.csr_matrix:
        """The ``mode`` scores of the fiches at ``rows`` against every fiche they share a feature
        with (a title or block stem, a code, a certifier); a fiche sharing nothing scores nothing,
        and a fiche never scores against itself."""
        return self.mode_scores(rows, {mode: weights or self.weights["lineage" if mode == "predecessor" else mode]})[mode]

    def mode_scores(self, rows: np.ndarray, weights: dict[str, dict[str, float]]) -> dict[str, sparse.csr_matrix]:
        """:meth:`scores` for several weightings (modes) at once: the products are computed once.

        A mode's score is its weighted terms added in order in float32. Its leading field terms are
        added as sparse matrices (a term a pair lacks adds 0, which changes no float), shared by the
        modes that weigh them alike; the rest are added on the candidate pairs the mode keeps."""
        products = self.field_scores(rows)
        for matrix in products.values():  # canonical first: scipy sorts operands in place when adding
            matrix.sort_indices()
        n = len(self.numbers)
        modes = {mode: list(({REVERSED.get(name, name): weight for name, weight in w.items()} if mode == "predecessor" else w).items())
                 for mode, w in weights.items()}
        sums = {}  # a mode's leading field terms -> their sparse sum
        for terms in modes.values():
            lead = tuple(itertools.takewhile(lambda term: term[0] in products, terms))
            if lead not in sums:
                sums[lead] = _weighted_sum(products, lead)
        # The candidate pairs: those sharing anything (every score is positive, so a sum of all
        # the fields has their pattern), never a fiche with itself.
        covering = next((total for lead, total in sums.items() if {name for name, _ in lead} == set(products)), None)
        pattern = covering if covering is not None else sum(abs(m) for m in products.values()).tocsr()
        pattern.sort_indices()
        r = np.repeat(np.arange(len(rows)), np.diff(pattern.indptr)).astype(np.int64)
        c = pattern.indices.astype(np.int64)
        keep = c != rows[r]
        r, c = r[keep], c[keep]
        pairs = _PairScores(self, rows[r], c)
        result = {}
        for mode, terms in modes.items():
            kept = pairs.get(FILTERS[mode]) > 0 if mode in FILTERS else slice(None)
            lead = tuple(itertools.takewhile(lambda term: term[0] in products, terms))
            data = _on_pattern(sums[lead], pattern)[keep][kept]
            for name, weight in terms[len(lead):]:
                values = _on_pattern(products[name], pattern)[keep][kept] if name in products else pairs.get(name, kept)
                data += np.float32(weight) * values
            result[mode] = sparse.csr_matrix((data, (r[kept], c[kept])), shape=(len(rows), n))
        return result

    def nearest(self, number: str, mode: str = "content", k: int = 20, mask: np.ndarray | None = None) -> list[tuple[str, float]]:
        """The ``k`` fiches closest to ``number`` in ``mode``, best first, among ``mask`` when given."""
        row = self.scores(np.array([self.position[number]]), mode)
        cols, data = row.indices, row.data
        if mask is not None:
            cols, data = cols[mask[cols]], data[mask[cols]]
        return [(self.numbers[cols[i]], float(data[i])) for i in _top(data, cols, k)]

    def filtered_nearest(self, number: str, mode: str = "content", k: int = 20, level: int | None = None,
                         in_force_on: dt.date | None = None) -> list[dict]:
        """:meth:`nearest` among the fiches of EQF ``level`` and/or in force on ``in_force_on`` (their
        reconciled end of registration on or after it; an unknown end date is not in force), each
        with its score and evidence (shared codes, certifiers and the heaviest shared title and
        block stems)."""
        mask = np.ones(len(self.numbers), dtype=bool)
        if level is not None:
            mask &= self.level == level
        if in_force_on is not None:
            mask &= np.nan_to_num(self.end, nan=-_FAR) >= _days(in_force_on)
        if number not in self.position:
            raise EquivalenceError(f"{number} is not in the equivalence index")
        row = self.position[number]
        found = []
        for other, score in self.nearest(number, mode, k, mask):
            said = self.evidence(row, self.position[other])
            found.append({"number": other, "score": round(score, 4),
                          **{name: [v.rsplit("/", 1)[-1] for v in values] for name, values in said.items() if values}})
        return found

    def all_nearest(self, k: int = 20, chunk: int = 512, modes: Iterable[str] = MODES) -> Iterator[tuple[int, dict[str, list[tuple[int, float]]]]]:
        """Every fiche's ``k`` nearest in each of ``modes`` (``predecessor``: the lineage mode read
        backwards): (row, {mode: [(other row, score), ...]}), best first."""
        for first, tops in self.chunked_top(k, chunk, modes):
            bounds = {mode: np.searchsorted(found[0], np.arange(first, first + chunk + 1)) for mode, found in tops.items()}
            for r in range(min(chunk, len(self.numbers) - first)):
                yield first + r, {mode: list(zip(found[1][bounds[mode][r]:bounds[mode][r + 1]].tolist(),
                                                 found[2][bounds[mode][r]:bounds[mode][r + 1]].tolist()))
                                  for mode, found in tops.items()}

    def all_top(self, k: int = 20, chunk: int = 512, modes: Iterable[str] = MODES,
                workers: int | None = None) -> dict[str, tuple[np.ndarray, ...]]:
        """:meth:`all_nearest` as arrays: per mode (row, other row, score as float64), rows
        ascending, each row's best first. Chunks are scored by ``workers`` forked processes
        (default: one per core, up to 4) once the index has :data:`PARALLEL_FROM` fiches."""
        global _SHARED
        modes = tuple(modes)
        firsts = list(range(0, len(self.numbers), chunk))
        if workers is None:
            workers = min(os.cpu_count() or 1, 4) if len(self.numbers) >= PARALLEL_FROM else 1
        if workers < 2 or "fork" not in multiprocessing.get_all_start_methods():
            parts = [self.chunk_top(first, k, chunk, modes) for first in firsts]
        else:
            _SHARED = (self, k, chunk, modes)
            try:
                with multiprocessing.get_context("fork").Pool(workers) as pool:
                    parts = pool.map(_shared_chunk_top, firsts, chunksize=1)
            finally:
                _SHARED = None
        if not parts:  # a register without fiches to index: no pair
            return {mode: (np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0)) for mode in modes}
        return {mode: tuple(np.concatenate([p[mode][i] for p in parts]) for i in range(3)) for mode in modes}

    def chunked_top(self, k: int, chunk: int, modes: Iterable[str]) -> Iterator[tuple[int, dict[str, tuple[np.ndarray, ...]]]]:
        """(first row, {mode: (rows, other rows, scores)}) for each ``chunk`` of rows (see :meth:`all_top`)."""
        for first in range(0, len(self.numbers), chunk):
            yield first, self.chunk_top(first, k, chunk, tuple(modes))

    def chunk_top(self, first: int, k: int, chunk: int, modes: tuple[str, ...]) -> dict[str, tuple[np.ndarray, ...]]:
        """{mode: (rows, other rows, scores)} of the rows ``first`` to ``first + chunk`` (see :meth:`all_top`)."""
        weights = {mode: self.weights["lineage" if mode == "predecessor" else mode] for mode in modes}
        rows = np.arange(first, min(first + chunk, len(self.numbers)))
        return {mode: _top_rows(block, rows, k) for mode, block in self.mode_scores(rows, weights).items()}

    def evidence(self, a: int, b: int, words: int = 5) -> dict[str, list[str]]:
        """What two fiches share: their common codes (the fiches' own, not broader ones), common
        certifiers, and the title and block stems that carry most of the two cosines."""
        result: dict[str, list[str]] = {}
        for name in (*TEXT_FIELDS, *CODE_FIELDS, "certifier"):
            field = self.fields[name]
            left, right = field.matrix[a], field.matrix[b]
            common = left.multiply(right).tocoo()
            order = np.argsort(-common.data, kind="stable")
            names = [field.features[common.col[i]] for i in order]
            # Text evidence is words: a pair of stems only repeats two of them.
            result[name] = [n for n in names if " " not in n][:words] if name in TEXT_FIELDS else sorted(names)
        return result

    # ------------------------------------------------------------------ files

    def save(self, path: Path) -> None:
        """One zip file: the field matrices (scipy's npz), the arrays and a JSON of names and weights."""
        tmp = path.with_name(path.name + ".tmp")
        with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_STORED) as out:
            for name, field in self.fields.items():
                buffer = io.BytesIO()
                sparse.save_npz(buffer, field.matrix, compressed=False)
                out.writestr(f"{name}.npz", buffer.getvalue())
            buffer = io.BytesIO()
            np.savez(buffer, level=self.level, end=self.end, start=self.start)
            out.writestr("arrays.npz", buffer.getvalue())
            meta = {**self.meta, "numbers": self.numbers, "iris": self.iris, "weights": self.weights,
                    "features": {name: field.features for name, field in self.fields.items()}}
            out.writestr("block_idf.json", json.dumps(meta.pop("block_idf", {}), ensure_ascii=False))
            out.writestr("meta.json", json.dumps(meta, ensure_ascii=False))
        tmp.replace(path)

    @classmethod
    def load(cls, path: Path) -> EquivalenceIndex:
        with zipfile.ZipFile(path) as archive:
            meta = json.loads(archive.read("meta.json"))
            arrays = np.load(io.BytesIO(archive.read("arrays.npz")))
            fields = {
                name: Field(sparse.load_npz(io.BytesIO(archive.read(f"{name}.npz"))).tocsr(), features, np.empty(0))
                for name, features in meta.pop("features").items()
            }
        numbers, iris, weights = meta.pop("numbers"), meta.pop("iris"), meta.pop("weights")
        return cls(numbers, iris, fields, arrays["level"], arrays["end"], arrays["start"], weights, meta)


class EquivalenceError(CertgraphError):
    """No equivalence index beside the store, or a fiche it does not know."""


def load_index(store_path: Path) -> EquivalenceIndex:
    """The equivalence index ``certgraph build`` saved beside the store at ``store_path``."""
    path = equivalence_path(store_path or default_store_path())
    if not path.exists():
        raise EquivalenceError(f"no equivalence index at {path}: build the store with certgraph build")
    return EquivalenceIndex.load(path)


def load_block_idf(path: Path) -> dict[str, float] | None:
    """The register's block IDF saved with the index at ``path`` (None when there is no index)."""
    try:
        with zipfile.ZipFile(path) as archive:
            return json.loads(archive.read("block_idf.json"))
    except (OSError, KeyError, zipfile.BadZipFile, ValueError):
        return None


def _top(data: np.ndarray, cols: np.ndarray, k: int) -> list[int]:
    """Positions of the ``k`` best scores, best first, ties by fiche order (scores > 0 only)."""
    if len(data) > k:
        positions = np.argpartition(-data, k)[:k]
    else:
        positions = np.arange(len(data))
    return sorted((int(i) for i in positions if data[i] > 0), key=lambda i: (-data[i], cols[i]))


# Chunks of rows are scored in forked worker processes (they share the index, nothing is pickled
# but the results) once there are enough fiches to repay the start-up.
PARALLEL_FROM = 5_000
_SHARED: tuple[EquivalenceIndex, int, int, tuple[str, ...]] | None = None


def _shared_chunk_top(first: int) -> dict[str, tuple[np.ndarray, ...]]:
    index, k, chunk, modes = _SHARED
    return index.chunk_top(first, k, chunk, modes)


def _top_rows(block: sparse.csr_matrix, rows: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """:func:`_top` of every row of ``block`` (its row r is fiche ``rows[r]``): (fiche rows,
    other rows, scores as float64), rows ascending, each row's best first."""
    lengths = np.diff(block.indptr)
    keep = np.ones(block.nnz, dtype=bool)
    for r in np.flatnonzero(lengths > k):  # the same partition as _top: ties at the k-th score alike
        start, end = block.indptr[r], block.indptr[r + 1]
        keep[start:end] = False
        keep[start + np.argpartition(-block.data[start:end], k)[:k]] = True
    positions = np.flatnonzero(keep & (block.data > 0))
    owner = np.repeat(np.arange(len(lengths)), lengths)[positions]
    cols, data = block.indices[positions], block.data[positions]
    order = np.lexsort((cols, -data, owner))
    return rows[owner[order]], cols[order].astype(np.int64), data[order].astype(np.float64)


def _level_score(a: int, b: int) -> float:
    """1 for the same EQF level, 0.5 for adjacent ones, 0 when either is unknown (0) or they differ more."""
    return 0.0 if not (a and b) else 1.0 if a == b else 0.5 if abs(a - b) == 1 else 0.0


_LEVEL_SCORE = np.array([[_level_score(a, b) for b in range(128)] for a in range(128)], dtype=np.float32)


class _PairScores:
    """The pair scores of candidate pairs, each computed once, on all of them or on those a mode keeps."""

    def __init__(self, index: EquivalenceIndex, rows: np.ndarray, cols: np.ndarray):
        self.index, self.rows, self.cols = index, rows, cols
        self.done: dict[str, np.ndarray] = {}

    def get(self, name: str, kept=slice(None)) -> np.ndarray:
        if name in self.done:
            return self.done[name][kept]
        if name in ("level", "register", "newer", "older"):  # cheap: computed on every pair and kept
            self.done[name] = self.index.pair_score(name, self.rows, self.cols)
            return self.done[name][kept]
        return self.index.pair_score(name, self.rows[kept], self.cols[kept])


def _weighted_sum(products: dict[str, sparse.csr_matrix], terms: tuple[tuple[str, float], ...]) -> sparse.csr_matrix | None:
    """The sum of the weighted field scores, added in order in float32 (sorted, no zeros)."""
    total = None
    for name, weight in terms:
        matrix = products[name]
        term = matrix._with_data(matrix.data * np.float32(weight), copy=False)
        total = term if total is None else (total + term).tocsr()
    return total


def _on_pattern(matrix: sparse.csr_matrix | None, pattern: sparse.csr_matrix) -> np.ndarray:
    """The values of ``matrix`` (whose entries are all in ``pattern``; both sorted) at every entry
    of ``pattern``, 0 where it has none, as a new float32 array."""
    if matrix is pattern:
        return matrix.data.astype(np.float32)
    found = np.zeros(pattern.nnz, dtype=np.float32)
    if matrix is None or not matrix.nnz:
        return found
    matrix.sort_indices()
    # The pattern's entries numbered from 1 (exact in float64), read where the matrix has one.
    numbered = pattern._with_data(np.arange(1, pattern.nnz + 1, dtype=np.float64), copy=False)
    at = numbered.multiply(matrix._with_data(np.ones(matrix.nnz), copy=False)).tocsr()
    at.sort_indices()
    found[at.data.astype(np.int64) - 1] = matrix.data
    return found


def _days(date: dt.date | None) -> float:
    return float((date - dt.date(1970, 1, 1)).days) if date else math.nan


@dataclass
class StartMap:
    """A monotone map from a fiche number to the day it was registered, per register (RNCP, RS).

    Fitted on (successor number, predecessor end date) pairs: a piecewise-linear interpolation
    through the running medians of the pairs sorted by number, made non-decreasing.
    """

    points: dict[str, list[tuple[int, float]]]

    @classmethod
    def default(cls) -> StartMap:
        return cls({})

    @classmethod
    def fit(cls, pairs: Iterable[tuple[str, dt.date]], bins: int = 40) -> StartMap:
        by_register: dict[str, list[tuple[int, float]]] = {"RNCP": [], "RS": []}
        for number, end in pairs:
            by_register["RS" if number.startswith("RS") else "RNCP"].append((_number_value(number), _days(end)))
        points = {}
        for register, values in by_register.items():
            values.sort()
            if len(values) < bins:
                continue
            size = len(values) / bins
            knots: list[tuple[int, float]] = []
            for b in range(bins):
                chunk = values[int(b * size): int((b + 1) * size)]
                number = int(np.median([v[0] for v in chunk]))
                day = float(np.median([v[1] for v in chunk]))
                if knots and day < knots[-1][1]:
                    day = knots[-1][1]
                if not knots or number > knots[-1][0]:
                    knots.append((number, day))
            points[register] = knots
        return cls(points)

    def days(self, number: str) -> float:
        knots = self.points.get("RS" if number.startswith("RS") else "RNCP")
        value = _number_value(number)
        if not knots or value < 0:
            return math.nan
        xs, ys = zip(*knots)
        return float(np.interp(value, xs, ys))

    def as_dict(self) -> dict:
        return {register: [list(p) for p in knots] for register, knots in self.points.items()}



__all__ = ["EquivalenceError", "EquivalenceIndex", "load_index", "METHOD", "MODES", "StartMap", "WEIGHTS", "load_block_idf", "title_features"]
