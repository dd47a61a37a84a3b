"""Measuring the equivalence method against the register's own ground truth: stated lineage links.

A successor is, by construction, the certification closest to the one it replaced. For a link
(old, new) the old fiche's ranking of every other fiche is read; the successor's rank gives
recall@1, recall@10 and the mean reciprocal rank; a fiche tied with the successor counts half
(the expected rank when ties are broken at random). Rankings are *filtered*: the old fiche's other
stated successors (a split) are taken out before the rank is read. Only links whose two fiches
have content (blocks or codes) count.

The links are split once, deterministically: sorted, shuffled with ``random.Random(SEED)``, the
first :data:`TEST_SHARE` held out for the benchmark and never used to tune anything.

Two baselines are scored the same way: *code overlap* (the sum over shared ROME, NSF and Formacode
codes and certifiers of their IDF) and *peer* (mcp-rncp's ``compare_certifications`` as its
description reads: the mean of the Jaccard indices of the NSF codes, the ROME codes and the
block skill terms, the folded words of the block labels).
"""

from __future__ import annotations

import random
import re
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from scipy import sparse

from ..text import fold
from .analysis import STOP_WORDS
from .descriptors import Descriptor
from .index import EquivalenceIndex

SEED = 2026
TEST_SHARE = 0.1


def usable_links(links: list[tuple[str, str]], descriptors: dict[str, Descriptor]) -> list[tuple[str, str]]:
    """The links (old IRI, new IRI) whose two fiches have content, sorted."""
    return sorted((old, new) for old, new in set(links)
                  if old in descriptors and new in descriptors and old != new
                  and descriptors[old].has_content() and descriptors[new].has_content())


def split_links(links: list[tuple[str, str]], seed: int = SEED, share: float = TEST_SHARE) -> tuple[list, list]:
    """(train, test): the same links always give the same split.

    >>> train, test = split_links([(f"o{i}", f"n{i}") for i in range(20)])
    >>> len(train), len(test), test == split_links([(f"o{i}", f"n{i}") for i in range(20)])[1]
    (18, 2, True)
    """
    ordered = sorted(set(links))
    random.Random(seed).shuffle(ordered)
    cut = round(len(ordered) * share)
    return sorted(ordered[cut:]), sorted(ordered[:cut])


@dataclass
class Retrieval:
    """Successor retrieval figures of one method on a set of links."""

    name: str
    links: int
    recall_at_1: float
    recall_at_10: float
    mrr: float

    def row(self) -> list[str]:
        return [self.name, str(self.links), f"{self.recall_at_1:.3f}", f"{self.recall_at_10:.3f}", f"{self.mrr:.3f}"]


ScoreRows = Callable[[np.ndarray], sparse.csr_matrix]


def successor_ranks(score_rows: ScoreRows, position: dict[str, int], links: list[tuple[str, str]],
                    all_links: list[tuple[str, str]], chunk: int = 512) -> list[float]:
    """The filtered rank of each link's successor in its old fiche's ranking (inf when unscored)."""
    successors: dict[int, set[int]] = defaultdict(set)
    for old, new in all_links:
        if old in position and new in position:
            successors[position[old]].add(position[new])
    by_old: dict[int, list[int]] = defaultdict(list)
    for old, new in links:
        by_old[position[old]].append(position[new])
    olds = sorted(by_old)
    ranks: list[float] = []
    for first in range(0, len(olds), chunk):
        rows = np.array(olds[first: first + chunk])
        scores = score_rows(rows)
        for r, old in enumerate(rows):
            start, end = scores.indptr[r], scores.indptr[r + 1]
            row = dict(zip(scores.indices[start:end].tolist(), scores.data[start:end].tolist()))
            for new in by_old[int(old)]:
                target = row.get(new, 0.0)
                if target <= 0:
                    ranks.append(float("inf"))
                    continue
                others = successors[int(old)] - {new}
                above = sum(1 for col, value in row.items() if value > target and col not in others)
                level = sum(1 for col, value in row.items() if value == target and col != new and col not in others)
                ranks.append(1.0 + above + level / 2)
    return ranks


def retrieval(name: str, ranks: list[float]) -> Retrieval:
    n = len(ranks) or 1
    return Retrieval(name, len(ranks), sum(r <= 1 for r in ranks) / n, sum(r <= 10 for r in ranks) / n,
                     sum(1.0 / r for r in ranks) / n)


# ------------------------------------------------------------------ baselines


def _binary(sets: list[set[str]]) -> sparse.csr_matrix:
    vocabulary: dict[str, int] = {}
    rows, cols = [], []
    for row, items in enumerate(sets):
        for item in items:
            rows.append(row)
            cols.append(vocabulary.setdefault(item, len(vocabulary)))
    return sparse.csr_matrix((np.ones(len(rows), dtype=np.float32), (rows, cols)), shape=(len(sets), max(1, len(vocabulary))))


def code_overlap_baseline(index: EquivalenceIndex, descriptors: dict[str, Descriptor]) -> ScoreRows:
    """Rarity-weighted overlap of codes and certifiers: the sum of the IDF of what two fiches share."""
    ordered = [descriptors[iri] for iri in index.iris]
    sets = [{f"{name}:{code}" for name in ("rome", "nsf", "formacode") for code in d.codes.get(name, ())}
            | {f"certifier:{c}" for c in d.certifiers} for d in ordered]
    matrix = _binary(sets)
    n = matrix.shape[0]
    df = np.asarray(matrix.sum(axis=0)).ravel()
    weighted = matrix.multiply(np.log(n / np.maximum(df, 1))).tocsr()

    def score(rows: np.ndarray) -> sparse.csr_matrix:
        result = (matrix[rows] @ weighted.T).tocsr()
        result[np.arange(len(rows)), rows] = 0
        result.eliminate_zeros()
        return result
    return score


_LETTERS = re.compile(r"[a-z]+")


def peer_baseline(index: EquivalenceIndex, descriptors: dict[str, Descriptor]) -> ScoreRows:
    """mcp-rncp's compare_certifications: mean Jaccard of NSF codes, ROME codes, block skill terms."""
    ordered = [descriptors[iri] for iri in index.iris]
    terms = [{w for b in d.blocks.values() for w in _LETTERS.findall(fold(b.label)) if len(w) > 2 and w not in STOP_WORDS}
             for d in ordered]
    matrices = [_binary([set(d.codes.get("nsf", ())) for d in ordered]),
                _binary([set(d.codes.get("rome", ())) for d in ordered]), _binary(terms)]
    sizes = [np.asarray(m.sum(axis=1)).ravel() for m in matrices]

    def score(rows: np.ndarray) -> sparse.csr_matrix:
        total = sparse.csr_matrix((len(rows), matrices[0].shape[0]), dtype=np.float32)
        for m, size in zip(matrices, sizes):
            inter = (m[rows] @ m.T).tocoo()
            union = size[rows][inter.row] + size[inter.col] - inter.data
            total = total + sparse.csr_matrix((inter.data / union / 3.0, (inter.row, inter.col)), shape=total.shape)
        total = total.tocsr()
        total[np.arange(len(rows)), rows] = 0
        total.eliminate_zeros()
        return total
    return score


__all__ = ["Retrieval", "SEED", "TEST_SHARE", "code_overlap_baseline", "peer_baseline", "retrieval",
           "split_links", "successor_ranks", "usable_links"]


# ------------------------------------------------------------------ tuning


@dataclass
class TuningSet:
    """Every field's score of each training link's old fiche against its candidates, flattened:
    column k belongs to link ``group[k]``; ``target[l]`` is the column of link l's successor (-1
    when unscored); ``other[k]`` marks the old fiche's other successors (filtered out)."""

    fields: list[str]
    values: np.ndarray  # fields x columns
    group: np.ndarray
    other: np.ndarray
    target: np.ndarray

    def mrr(self, weights: dict[str, float]) -> float:
        vector = np.array([weights.get(name, 0.0) for name in self.fields], dtype=np.float32)
        score = vector @ self.values
        found = self.target >= 0
        target_score = np.where(found, score[np.maximum(self.target, 0)], np.inf)
        compared = target_score[self.group]
        weight = np.where(score > compared, 1.0, np.where(score == compared, 0.5, 0.0)) * ~self.other
        # The successor ties with itself: take its own half back.
        ranks = 0.5 + np.bincount(self.group, weights=weight, minlength=len(self.target))
        positive = found & (target_score > 0)
        return float(np.where(positive, 1.0 / ranks, 0.0).mean())


def tuning_set(index: EquivalenceIndex, links: list[tuple[str, str]], all_links: list[tuple[str, str]],
               limit: int = 3000, seed: int = SEED) -> TuningSet:
    """The :class:`TuningSet` of up to ``limit`` training links (a seeded sample)."""
    position = {iri: i for i, iri in enumerate(index.iris)}
    links = sorted(links)
    if len(links) > limit:
        links = sorted(random.Random(seed).sample(links, limit))
    successors: dict[int, set[int]] = defaultdict(set)
    for old, new in all_links:
        if old in position and new in position:
            successors[position[old]].add(position[new])
    extras = ["level", "register", "newer", "adjacency"]
    names = [*index.fields, "title_certifier", *extras]
    columns: list[np.ndarray] = []
    groups, others, targets = [], [], []
    offset = 0
    for first in range(0, len(links), 256):
        chunk = links[first: first + 256]
        rows = np.array([position[old] for old, _ in chunk])
        per_field = index.field_scores(rows)
        pattern = sum(per_field.values()).tocsr()
        for r, (old, new) in enumerate(chunk):
            cols = pattern.indices[pattern.indptr[r]: pattern.indptr[r + 1]]
            cols = cols[cols != rows[r]]
            values = [np.asarray(per_field[name][r, cols].todense()).ravel() for name in names[: -len(extras)]]
            extra = index.pair_scores(np.full(len(cols), rows[r]), cols)
            columns.append(np.vstack([*values, *(extra[name] for name in extras)]))
            link = len(targets)
            groups.append(np.full(len(cols), link))
            others.append(np.isin(cols, list(successors[rows[r]] - {position[new]})))
            hit = np.flatnonzero(cols == position[new])
            targets.append(offset + int(hit[0]) if len(hit) else -1)
            offset += len(cols)
    return TuningSet(names, np.hstack(columns).astype(np.float32), np.concatenate(groups), np.concatenate(others), np.array(targets))


def tune(tuning: TuningSet, start: dict[str, float], iterations: int = 600, seed: int = SEED,
         fixed: dict[str, float] | None = None) -> dict[str, float]:
    """A seeded random search on the weights (each step multiplies every weight by a log-normal
    factor, and may wake a zero weight), keeping a step when it raises the training MRR; ``fixed``
    weights take part unchanged and are not returned (a large ``newer`` is the lineage mode's filter)."""
    rng = np.random.default_rng(seed)
    fixed = fixed or {}
    weights, best = dict(start), tuning.mrr({**start, **fixed})
    for _ in range(iterations):
        trial = {name: round(value * float(np.exp(rng.normal(0.0, 0.5))) if value else float(rng.random() < 0.2) * 0.5, 4)
                 for name, value in weights.items()}
        value = tuning.mrr({**trial, **fixed})
        if value > best:
            best, weights = value, trial
    return weights


LINEAGE_FILTER = {"newer": 1000.0}  # the lineage mode's filter, as a weight no other sum reaches
