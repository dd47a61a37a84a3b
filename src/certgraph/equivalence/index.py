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
import json
import math
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
        a, b = self.level[rows].astype(np.int16), self.level[cols].astype(np.int16)
        known = (a > 0) & (b > 0)
        level = np.where(known & (a == b), 1.0, np.where(known & (np.abs(a - b) == 1), 0.5, 0.0))
        same = self.register[rows] == self.register[cols]
        end, start = self._known_end, self._known_start
        forward = np.exp(-np.minimum(np.abs(start[cols] - end[rows]), _CAP) / np.float32(ADJACENCY_DAYS))
        backward = np.exp(-np.minimum(np.abs(start[rows] - end[cols]), _CAP) / np.float32(ADJACENCY_DAYS))
        return {"level": level.astype(np.float32), "register": same.astype(np.float32),
                "newer": (same & (self.serial[cols] > self.serial[rows])).astype(np.float32),
                "older": (same & (self.serial[cols] < self.serial[rows])).astype(np.float32),
                "adjacency": forward.astype(np.float32), "adjacency_back": backward.astype(np.float32)}

    def scores(self, rows: np.ndarray, mode: str, weights: dict[str, float] | None = None) -> sparse.csr_matrix:
        """The ``mode`` scores of the fiches at ``rows`` against every fiche they share a feature
        with (a title or block stem, a code, a certifier); a fiche sharing nothing scores nothing,
        and a fiche never scores against itself."""
        return self.mode_scores(rows, {mode: weights or self.weights["lineage" if mode == "predecessor" else mode]})[mode]

    def mode_scores(self, rows: np.ndarray, weights: dict[str, dict[str, float]]) -> dict[str, sparse.csr_matrix]:
        """:meth:`scores` for several weightings (modes) at once: the products are computed once."""
        products = self.field_scores(rows)
        for matrix in products.values():  # canonical first: scipy sorts operands in place when adding
            matrix.sort_indices()
        per_field = {name: matrix.tocoo(copy=True) for name, matrix in products.items()}
        n = len(self.numbers)
        # Every field's pairs on one sorted key (row * N + column), each field's values aligned on it.
        keys = {name: m.row.astype(np.int64) * n + m.col for name, m in per_field.items()}
        pattern = sum(abs(m) for m in products.values()).tocsr()
        pattern.sort_indices()
        r = np.repeat(np.arange(len(rows)), np.diff(pattern.indptr)).astype(np.int64)
        c = pattern.indices.astype(np.int64)
        union = r * n + c
        values = {}
        for name, m in per_field.items():
            aligned = np.zeros(len(union), dtype=np.float32)
            aligned[np.searchsorted(union, keys[name])] = m.data
            values[name] = aligned
        keep = c != rows[r]
        r, c = r[keep], c[keep]
        values = {name: v[keep] for name, v in values.items()}
        values.update(self.pair_scores(rows[r], c))
        shape = (len(rows), n)
        result = {}
        for mode, mode_weights in weights.items():
            if mode == "predecessor":  # lineage mode read backwards: who came before this fiche
                mode_weights = {REVERSED.get(name, name): weight for name, weight in mode_weights.items()}
            keep = values[FILTERS[mode]] > 0 if mode in FILTERS else np.ones(len(r), dtype=bool)
            data = np.zeros(int(keep.sum()), dtype=np.float32)
            for name, weight in mode_weights.items():
                data += np.float32(weight) * values[name][keep]
            result[mode] = sparse.csr_matrix((data, (r[keep], c[keep])), shape=shape)
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
        weights = {mode: self.weights["lineage" if mode == "predecessor" else mode] for mode in modes}
        for first in range(0, len(self.numbers), chunk):
            rows = np.arange(first, min(first + chunk, len(self.numbers)))
            blocks = self.mode_scores(rows, weights)
            for r, row in enumerate(rows):
                found = {}
                for mode, block in blocks.items():
                    start, end = block.indptr[r], block.indptr[r + 1]
                    cols, data = block.indices[start:end], block.data[start:end]
                    found[mode] = [(int(cols[i]), float(data[i])) for i in _top(data, cols, k)]
                yield int(row), found

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
