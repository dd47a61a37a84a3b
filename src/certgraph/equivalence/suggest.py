"""Suggested lineage links: for a fiche with no stated predecessor, the older fiche that looks like one.

A candidate predecessor of fiche N is a fiche O of the same register (RNCP or RS) with a lower
number (numbers are issued in time order), no stated successor, and the best score from N in the
lineage mode read backwards (``predecessor``: an earlier number, O's end near N's start). The
suggestion's score is its *margin*: how far the best candidate's score is above the second best's
(the whole score if it is alone). Raw scores are not comparable across fiches (a fiche with many
rare codes scores high against anything sharing them); a clear winner is, and the benchmark found
the margin far more precise. A suggestion is made when the margin reaches :data:`MIN_SCORE`, chosen
on the training split (benchmarks/equivalence.py: 10 % of its links hidden, seed 2026) as the
lowest margin that keeps a precision of 0.9. A
suggestion is never a stated link: it lives in its own graph, as a ``cg:SuggestedLink``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .index import EquivalenceIndex, _number_value, _top

MIN_SCORE = 7.44


@dataclass(frozen=True)
class Suggestion:
    """A suggested predecessor ``old`` of ``new`` (fiche numbers), with its margin over the next candidate."""

    old: str
    new: str
    score: float


def _eligible(index: EquivalenceIndex, successors: set[str]):
    number = np.array([_number_value(n) for n in index.numbers])
    free = np.array([n not in successors for n in index.numbers])

    def ok(row: int, col: int) -> bool:
        return bool(free[col] and number[col] < number[row] and index.register[col] == index.register[row])
    return ok


def suggest_from_nearest(index: EquivalenceIndex, nearest: dict[int, list[tuple[int, float]]], predecessors: set[str],
                         successors: set[str], min_score: float = MIN_SCORE) -> list[Suggestion]:
    """The suggestions, read from each fiche's nearest list in the lineage mode read backwards
    (``predecessor``: row -> [(row, score)], best first) for the fiches not in ``predecessors`` (numbers with a stated predecessor);
    ``successors`` (numbers with a stated successor) are never candidates. Sorted by new fiche."""
    ok = _eligible(index, successors)
    found = []
    for row, candidates in sorted(nearest.items()):
        if index.numbers[row] in predecessors:
            continue
        eligible = [(col, score) for col, score in candidates if ok(row, col)][:2]
        if not eligible:
            continue
        margin = eligible[0][1] - (eligible[1][1] if len(eligible) > 1 else 0.0)
        if margin >= min_score:
            found.append(Suggestion(index.numbers[eligible[0][0]], index.numbers[row], round(margin, 4)))
    return sorted(found, key=lambda s: s.new)


def suggest(index: EquivalenceIndex, predecessors: set[str], successors: set[str], min_score: float = MIN_SCORE,
            top: int = 20, fiches: list[str] | None = None) -> list[Suggestion]:
    """:func:`suggest_from_nearest` over ``fiches`` (default every fiche), computing their lists."""
    wanted = sorted(index.position[n] for n in (fiches if fiches is not None else index.numbers) if n in index.position)
    nearest = {}
    for first in range(0, len(wanted), 512):
        rows = wanted[first: first + 512]
        keep = [r for r in rows if index.numbers[r] not in predecessors]
        if not keep:
            continue
        scores = index.scores(np.array(keep), "predecessor")
        for r, row in enumerate(keep):
            start, end = scores.indptr[r], scores.indptr[r + 1]
            cols, data = scores.indices[start:end], scores.data[start:end]
            nearest[int(row)] = [(int(cols[i]), float(data[i])) for i in _top(data, cols, top)]
    return suggest_from_nearest(index, nearest, predecessors, successors, min_score)


__all__ = ["MIN_SCORE", "Suggestion", "suggest", "suggest_from_nearest"]
