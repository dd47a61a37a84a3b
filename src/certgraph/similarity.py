"""Block-to-block similarity from competency texts, and the best one-to-one alignment of two fiches.

Method ``block-tfidf-cosine-v1``, reproducible from the two fiches alone:

1. A block's document is its label and every competency statement.
2. Text is folded (Unicode NFKD, accents dropped, lower case), split on non-letters; French stop
   words and words under three letters are dropped; each word is reduced by a light French stemmer
   (plural ``-s``/``-x``, ``-aux`` → ``-al``, then one derivational suffix, then a final ``-e``).
3. Each block is a TF-IDF vector, the IDF taken over the blocks of the two fiches compared
   (smooth IDF: ``ln((1 + N) / (1 + df)) + 1``), so a score never depends on the rest of the graph.
4. The score of two blocks is the cosine of their vectors, in [0, 1], rounded to 4 decimals.
5. The alignment is the maximum-weight one-to-one matching of left and right blocks (pairs scoring
   0 are never matched); the fiche score is the sum of aligned scores divided by the larger number
   of blocks, so unmatched blocks count as 0.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from dataclasses import dataclass, field

import networkx as nx

from .text import fold

METHOD = "block-tfidf-cosine-v1"

# French stop words (folded), plus words every competency statement carries.
STOP_WORDS = frozenset(
    """
    a afin ai aie aient ainsi alors au aucun aupres aussi autre autres aux avec avoir bien c ca car ce ceci
    cela celle celles celui cependant certain certaines certains ces cet cette ceux chacun chaque chez ci comme
    comment d dans de des deja depuis dont du donc elle elles en encore entre est et etaient etait etant ete etre
    eux fait faire font hors ici il ils je jusqu l la le les leur leurs lors lorsque lui m ma mais me meme memes
    mes moins mon n ne ni non nos notre nous on ont or ou par parmi pas peu peut plus pour pourquoi pres puis qu
    quand que quel quelle quelles quels qui quoi s sa sans se selon ses si sien soi soit son sont sous sur ta
    te tel telle telles tels tes toi ton tous tout toute toutes tres tu un une unes uns vers via vos votre vous
    y etc notamment niveau cadre ensemble egalement ainsi partir compte tenant
    """.split()
)

_SUFFIXES = ("issements", "issement", "atrices", "ations", "atrice", "ateurs", "ements", "ation", "ateur",
             "ement", "ites", "ite", "ives", "ive", "ifs", "euses", "euse", "eurs", "eur", "ances", "ance",
             "ences", "ence", "iques", "ique", "ismes", "isme", "istes", "iste")


def stem(word: str) -> str:
    """A light French stemmer (documented in the module docstring).

    >>> [stem(w) for w in ("projets", "sociaux", "evaluation", "evaluer", "strategique", "strategie")]
    ['projet', 'social', 'evalu', 'evaluer', 'strateg', 'strategi']
    """
    if len(word) > 4 and word.endswith("aux"):
        word = word[:-3] + "al"
    elif len(word) > 3 and word[-1] in "sx":
        word = word[:-1]
    for suffix in _SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= 4:
            word = word[: -len(suffix)]
            break
    if len(word) > 4 and word.endswith("e"):
        word = word[:-1]
    return word


def tokens(text: str) -> list[str]:
    """Folded, stop-word-free, stemmed words of a text.

    >>> tokens("Construire et suivre le budget de l’organisme")
    ['construir', 'suivr', 'budget', 'organ']
    """
    words = re.findall(r"[a-z]+", fold(text))
    return [stem(w) for w in words if len(w) >= 3 and w not in STOP_WORDS]


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
    """The similarity matrix of two fiches' blocks and their best one-to-one alignment."""

    left: list[BlockText]
    right: list[BlockText]
    matrix: list[list[float]]
    pairs: list[tuple[int, int]]

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


def _vectors(documents: list[list[str]]) -> list[dict[str, float]]:
    n = len(documents)
    df = Counter(word for doc in documents for word in set(doc))
    idf = {word: math.log((1 + n) / (1 + count)) + 1 for word, count in df.items()}
    vectors = []
    for doc in documents:
        weights = {word: tf * idf[word] for word, tf in Counter(doc).items()}
        norm = math.sqrt(sum(w * w for w in weights.values()))
        vectors.append({word: w / norm for word, w in weights.items()} if norm else {})
    return vectors


def _cosine(a: dict[str, float], b: dict[str, float]) -> float:
    if len(a) > len(b):
        a, b = b, a
    return round(min(1.0, sum(w * b.get(word, 0.0) for word, w in a.items())), 4)


def align(left: list[BlockText], right: list[BlockText]) -> Alignment:
    """Score every left×right block pair and find the best one-to-one alignment.

    >>> a = [BlockText("A1", "Gestion budgétaire", ["Construire le budget"])]
    >>> b = [BlockText("B1", "Communication"), BlockText("B2", "Budget", ["Suivre le budget"])]
    >>> result = align(a, b)
    >>> result.pairs, result.matrix[0][0]
    ([(0, 1)], 0.0)
    """
    vectors = _vectors([tokens(block.document()) for block in left + right])
    left_vectors, right_vectors = vectors[: len(left)], vectors[len(left) :]
    matrix = [[_cosine(lv, rv) for rv in right_vectors] for lv in left_vectors]
    graph = nx.Graph()
    for i, row in enumerate(matrix):
        for j, score in enumerate(row):
            if score > 0:
                graph.add_edge(("l", i), ("r", j), weight=score)
    matching = nx.max_weight_matching(graph)
    pairs = sorted((a[1], b[1]) if a[0] == "l" else (b[1], a[1]) for a, b in matching)
    return Alignment(left, right, matrix, pairs)
