"""Block-to-block similarity with register-wide weights, the one-to-one alignment of two fiches, and
block maps along lineage links.

Method ``block-tfidf-register-v2``:

1. A block's document is its label and every competency statement, analysed by
   :func:`certgraph.equivalence.analysis.tokens` (folded, stop words dropped, Snowball French stems:
   "manager" and "management" are one stem).
2. Each block is a TF-IDF vector: sublinear term frequency ``1 + ln(tf)`` times the smooth IDF
   ``ln((1 + N) / (1 + df)) + 1`` taken over *every block of the register* (:func:`block_idf`), so a
   word every block says ("organisme", "projet") weighs little and a rare one weighs much. A stem the
   IDF has never seen gets the largest IDF. Without a register IDF the IDF is taken over the two
   fiches' blocks (the fallback, as method v1 did). Vectors are normalised to length 1.
3. The score of two blocks is the cosine of their vectors, in [0, 1], rounded to 4 decimals.
4. The alignment is the maximum-weight one-to-one matching of left and right blocks
   (``scipy.optimize.linear_sum_assignment``); pairs scoring 0 are never aligned. The fiche score
   is the sum of aligned scores divided by the larger number of blocks.
5. The evidence of an aligned pair is the shared stems ordered by their contribution to the cosine
   (``w_left * w_right``), the top five, each shown as a word seen in the two blocks.

**Block maps** (:func:`block_map`), along a lineage link from an old fiche to a new one. Every block
of either side is in exactly one entry:

- ``merged``: two or more old blocks whose best match (score ≥ ``MATCH`` = 0.3) is the same new block;
- ``split``: two or more new blocks whose best match (≥ 0.3) is the same old block (an old block
  that continues in several new ones);
- ``continues``: an aligned pair scoring ≥ ``SAME`` = 0.8, or two blocks with the same folded label
  (the same meaningful words, :func:`certgraph.equivalence.analysis.words`: punctuation, case and
  accents aside), whatever their score;
- ``renamed``: an aligned pair scoring ≥ 0.3 and < 0.8;
- ``disappeared``: an old block in none of the above;
- ``new``: a new block in none of the above.

The thresholds are conservative: on the seed lineage RNCP28720 → RNCP35080 (the same four blocks,
their statements rewritten) the aligned pairs score 0.28 to 0.63 with the register IDF, and blocks of
unrelated fiches (RNCP35080 and RNCP41296) stay under 0.16. A block rewritten that much may fall
under 0.3 and show as ``disappeared`` plus ``new``: read the scores, not only the kinds.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np
from scipy.optimize import linear_sum_assignment

from ..queries import internal_query
from ..store import lexical_rows
from .analysis import stem, tokens, words

METHOD = "block-tfidf-register-v2"
SAME = 0.8  # a block continues unchanged at or above this score
MATCH = 0.3  # two blocks correspond at or above this score
EVIDENCE = 5  # stems kept as the evidence of a pair

KINDS = ("continues", "renamed", "merged", "split", "disappeared", "new")


@dataclass
class BlockText:
    """What the method reads of a block: its code, label and competency statements."""

    code: str
    label: str = ""
    competencies: list[str] = field(default_factory=list)

    def document(self) -> str:
        return " ".join([self.label, *self.competencies])


@dataclass
class Alignment:
    """The similarity matrix of two fiches' blocks, their best one-to-one alignment and its evidence."""

    left: list[BlockText]
    right: list[BlockText]
    matrix: list[list[float]]
    pairs: list[tuple[int, int]]
    # (i, j) of an aligned pair -> the stems carrying its score, heaviest first
    evidence: dict[tuple[int, int], list[str]] = field(default_factory=dict)
    # stem -> a word of the two fiches' blocks it stems from
    surface: dict[str, str] = field(default_factory=dict)
    method: str = METHOD

    @property
    def fiche_score(self) -> float:
        """Sum of aligned scores over the larger block count (unmatched blocks count 0)."""
        size = max(len(self.left), len(self.right))
        if size == 0:
            return 0.0
        return round(sum(self.matrix[i][j] for i, j in self.pairs) / size, 4)

    def aligned(self, i: int, j: int) -> bool:
        """Whether left block i and right block j are matched."""
        return (i, j) in self.pairs

    def evidence_words(self, i: int, j: int) -> list[str]:
        """The evidence of pair (i, j) as words a reader recognises."""
        return [self.surface.get(s, s) for s in self.evidence.get((i, j), [])]


@dataclass
class BlockMapEntry:
    """What became of old blocks along a lineage link (see the module docstring for the kinds)."""

    kind: str
    old: list[str]
    new: list[str]
    score: float | None
    evidence: list[str] = field(default_factory=list)


def block_idf(documents: Iterable[list[str]]) -> dict[str, float]:
    """Smooth IDF ``ln((1 + N) / (1 + df)) + 1`` of every stem over block documents (lists of stems).

    >>> idf = block_idf([["budget", "gestion"], ["gestion"], ["projet"]])
    >>> round(idf["gestion"], 3), round(idf["budget"], 3)
    (1.288, 1.693)
    """
    df: Counter[str] = Counter()
    n = 0
    for document in documents:
        n += 1
        df.update(set(document))
    return {word: math.log((1 + n) / (1 + count)) + 1 for word, count in df.items()}


def _vector(document: list[str], idf: dict[str, float], unknown: float) -> dict[str, float]:
    weights = {word: (1 + math.log(tf)) * idf.get(word, unknown) for word, tf in Counter(document).items()}
    norm = math.sqrt(sum(w * w for w in weights.values()))
    return {word: w / norm for word, w in weights.items()} if norm else {}


def _contributions(a: dict[str, float], b: dict[str, float]) -> dict[str, float]:
    if len(a) > len(b):
        a, b = b, a
    return {word: w * b[word] for word, w in a.items() if word in b}


def _top(contributions: dict[str, float]) -> list[str]:
    return [word for word, _ in sorted(contributions.items(), key=lambda item: (-item[1], item[0]))[:EVIDENCE]]


def _surface(blocks: Iterable[BlockText]) -> dict[str, str]:
    """Each stem mapped to the word of these blocks it most often comes from (the first on a tie)."""
    seen: dict[str, Counter[str]] = defaultdict(Counter)
    for block in blocks:
        for word in words(block.document()):
            seen[stem(word)][word] += 1
    return {s: counts.most_common(1)[0][0] for s, counts in seen.items()}


class _Scored:
    """Two fiches' block vectors and their cosine matrix (shared by align and block_map)."""

    def __init__(self, left: list[BlockText], right: list[BlockText], idf: dict[str, float] | None):
        documents = [tokens(block.document()) for block in left + right]
        if idf is None:
            idf = block_idf(documents)
        unknown = max(idf.values(), default=1.0)
        vectors = [_vector(document, idf, unknown) for document in documents]
        self.left_vectors, self.right_vectors = vectors[: len(left)], vectors[len(left):]
        self.matrix = [[round(min(1.0, sum(_contributions(lv, rv).values())), 4) for rv in self.right_vectors]
                       for lv in self.left_vectors]

    def contributions(self, i: int, j: int) -> dict[str, float]:
        return _contributions(self.left_vectors[i], self.right_vectors[j])


def _assignment(matrix: list[list[float]]) -> list[tuple[int, int]]:
    if not matrix or not matrix[0]:
        return []
    rows, cols = linear_sum_assignment(-np.array(matrix))
    return sorted((int(i), int(j)) for i, j in zip(rows, cols) if matrix[i][j] > 0)


def align(left: list[BlockText], right: list[BlockText], idf: dict[str, float] | None = None) -> Alignment:
    """Score every left×right block pair and find the best one-to-one alignment, with its evidence.

    :param idf: the register's block IDF (:func:`block_idf`); None takes it over these blocks only.

    >>> a = [BlockText("A1", "Manager une équipe", ["Recruter les collaborateurs"])]
    >>> b = [BlockText("B1", "Gestion budgétaire"), BlockText("B2", "Management des équipes")]
    >>> result = align(a, b)
    >>> result.pairs, result.matrix[0][0] == 0, result.evidence_words(0, 1)
    ([(0, 1)], True, ['equipe', 'manager'])
    """
    scored = _Scored(left, right, idf)
    pairs = _assignment(scored.matrix)
    evidence = {(i, j): _top(scored.contributions(i, j)) for i, j in pairs}
    return Alignment(left, right, scored.matrix, pairs, evidence, _surface(left + right))


def _same_label(a: BlockText, b: BlockText) -> bool:
    # The folded label's meaningful words: "d'un" and "d’un", "RH" and "rh" agree.
    return bool(words(a.label)) and words(a.label) == words(b.label)


def block_map(old: list[BlockText], new: list[BlockText], idf: dict[str, float] | None = None) -> list[BlockMapEntry]:
    """What became of each old block along a lineage link, and which new blocks are new.

    Every block of either side is in exactly one entry; the kinds and thresholds are in the module
    docstring. Entries are ordered merged, split, continues/renamed (by old code), disappeared, new.

    >>> old = [BlockText("O1", "Gérer le budget"), BlockText("O2", "Accueillir le public")]
    >>> new = [BlockText("N1", "Gérer le budget"), BlockText("N2", "Former des formateurs")]
    >>> [(e.kind, e.old, e.new) for e in block_map(old, new)]
    [('continues', ['O1'], ['N1']), ('disappeared', ['O2'], []), ('new', [], ['N2'])]
    """
    scored = _Scored(old, new, idf)
    matrix = scored.matrix
    surface = _surface(old + new)

    def linked(i: int, j: int) -> bool:
        return matrix[i][j] >= MATCH or _same_label(old[i], new[j])

    def entry(kind: str, links: list[tuple[int, int]]) -> BlockMapEntry:
        olds = sorted({i for i, _ in links})
        news = sorted({j for _, j in links})
        total: Counter[str] = Counter()
        for i, j in links:
            total.update(scored.contributions(i, j))
        score = round(sum(matrix[i][j] for i, j in links) / len(links), 4) if links else None
        return BlockMapEntry(kind, [old[i].code for i in olds], [new[j].code for j in news], score,
                             [surface.get(s, s) for s in _top(dict(total))])

    def best(scores: list[float]) -> int | None:
        top = max(range(len(scores)), key=lambda k: (scores[k], -k), default=None)
        return top

    best_of_old = {i: best(matrix[i]) for i in range(len(old))}
    best_of_new = {j: best([row[j] for row in matrix]) for j in range(len(new))}
    entries: list[BlockMapEntry] = []
    used_old: set[int] = set()
    used_new: set[int] = set()
    groups: dict[int, list[int]] = defaultdict(list)
    for i, j in best_of_old.items():
        if j is not None and linked(i, j):
            groups[j].append(i)
    for j, olds in sorted(groups.items()):
        if len(olds) >= 2:
            entries.append(entry("merged", [(i, j) for i in olds]))
            used_old.update(olds)
            used_new.add(j)
    groups = defaultdict(list)
    for j, i in best_of_new.items():
        if i is not None and j not in used_new and i not in used_old and linked(i, j):
            groups[i].append(j)
    for i, news in sorted(groups.items()):
        if len(news) >= 2:
            entries.append(entry("split", [(i, j) for j in news]))
            used_old.add(i)
            used_new.update(news)
    # One-to-one: the best alignment of what is left, as compare shows it.
    rest_old = [i for i in range(len(old)) if i not in used_old]
    rest_new = [j for j in range(len(new)) if j not in used_new]
    sub = [[matrix[i][j] + (1.0 if _same_label(old[i], new[j]) else 0.0) for j in rest_new] for i in rest_old]
    for a, b in _assignment(sub):
        i, j = rest_old[a], rest_new[b]
        if linked(i, j):
            same = matrix[i][j] >= SAME or _same_label(old[i], new[j])
            entries.append(entry("continues" if same else "renamed", [(i, j)]))
            used_old.add(i)
            used_new.add(j)
    entries += [BlockMapEntry("disappeared", [old[i].code], [], None) for i in range(len(old)) if i not in used_old]
    entries += [BlockMapEntry("new", [], [new[j].code], None) for j in range(len(new)) if j not in used_new]
    order = {kind: k for k, kind in enumerate(("merged", "split", "continues", "disappeared", "new"))}
    return sorted(entries, key=lambda e: (order.get(e.kind, order["continues"]), e.old, e.new))


def register_blocks(store) -> dict[str, list[BlockText]]:
    """Every fiche's blocks with their competency statements, by fiche IRI (blocks by code).

    A block has its longest label (of equal ones, the first in code point order) and every
    competency statement its sources give it; one with neither is left out. Three simple queries
    joined here: as one query with a UNION, the store took three times as long on 40,000 fiches.
    """
    labels: dict[str, list[str]] = defaultdict(list)
    for block, label in lexical_rows(store, internal_query("equivalence/block-labels").bind()):
        if label:
            labels[block].append(label)
    competencies: dict[str, set[str]] = defaultdict(set)
    for block, competency in lexical_rows(store, internal_query("equivalence/block-competencies").bind()):
        if competency:
            competencies[block].add(competency)
    found: dict[str, dict[str, BlockText]] = defaultdict(dict)
    for fiche, block_iri, code in lexical_rows(store, internal_query("equivalence/blocks").bind()):
        if block_iri not in labels and block_iri not in competencies:
            continue
        block = found[fiche].setdefault(code, BlockText(code))
        block.label = min((block.label, *labels.get(block_iri, ())), key=lambda text: (-len(text), text))
        block.competencies.extend(competencies.get(block_iri, ()))
    return {fiche: [BlockText(b.code, b.label, sorted(set(b.competencies))) for _, b in sorted(blocks.items())]
            for fiche, blocks in found.items()}


def register_idf(store, blocks: dict[str, list[BlockText]] | None = None) -> dict[str, float]:
    """The block IDF of every block the store holds (``blocks``: :func:`register_blocks`, if read already)."""
    blocks = register_blocks(store) if blocks is None else blocks
    return block_idf(tokens(block.document()) for fiche in blocks.values() for block in fiche)


__all__ = [
    "Alignment", "BlockMapEntry", "BlockText", "KINDS", "MATCH", "METHOD", "SAME",
    "align", "block_idf", "block_map", "register_blocks", "register_idf",
]
