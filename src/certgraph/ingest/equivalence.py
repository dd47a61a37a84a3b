"""The equivalence index built with the store: the index file, each fiche's nearest, suggested links.

Built after the store is loaded (the method reads the reconciled view and the code hierarchy from
it): the index is saved beside the store (``store.equivalence_path``) for ``certgraph nearest``;
every fiche's top :data:`TOP` in each mode goes into the derived similarity graph, one node per pair
of fiches (``cg:contentScore`` and/or ``cg:lineageScore``, whichever modes rank the pair, and the
evidence; the method and its version are stated once, on the method nodes), and each stated
link whose fiches share nothing as ``cg:unsupportedSuccessor`` (a validation warning); suggested
lineage links go into their own graph, never mixed with stated links; the block maps of every
stated link (``block_maps``) are made from the blocks and block IDF read here.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from rdflib import Literal, URIRef
from rdflib.namespace import RDF, RDFS, XSD

from ..equivalence import index as index_module
from ..equivalence.descriptors import Descriptor, read_descriptors, stated_links
from ..equivalence.index import METHOD, MODES, EquivalenceIndex, StartMap
from ..equivalence.suggest import Suggestion, suggest_from_nearest
from ..vocab import CG, ID, SIMILARITY_GRAPH, SUGGESTION_GRAPH, Quad, fiche_iri
from .block_maps import block_map_quads

TOP = 20
SCORE_PROPERTY = {"content": CG.contentScore, "lineage": CG.lineageScore}
SCHEME_LABELS = {"rome": "ROME", "nsf": "NSF", "formacode": "Formacode"}


@dataclass
class EquivalenceReport:
    """What the build did: fiches indexed, pairs stored, suggestions, seconds per step."""

    fiches: int = 0
    pairs: int = 0
    suggestions: int = 0
    unsupported_links: int = 0
    timings: dict[str, float] = field(default_factory=dict)


def method_node(mode: str) -> URIRef:
    return ID[f"method/{METHOD}/{mode}"]


class Evidence:
    """What two fiches share, in words: their own common codes, a common certifier, title stems.
    Each fiche's parts are read once (a build states the evidence of half a million pairs).

    >>> x = Descriptor("x", "RNCP1", titles=["Manager de projets"], certifiers={"s1"})
    >>> y = Descriptor("y", "RNCP2", titles=["Management de projet"], certifiers={"s1"})
    >>> x.codes["rome"].add("https://w3id.org/certgraph/id/rome/M1302"); y.codes["rome"].add("https://w3id.org/certgraph/id/rome/M1302")
    >>> Evidence({"x": x, "y": y}).between("RNCP1", "RNCP2")
    'ROME M1302; same certifier; title: manag, projet'
    """

    def __init__(self, descriptors: dict[str, Descriptor]):
        self.parts = {}
        for d in descriptors.values():
            codes = {scheme: {code.rsplit("/", 1)[-1] for code in d.codes.get(scheme, ())} for scheme in SCHEME_LABELS}
            words = [w for w in dict.fromkeys(index_module.title_features(d.titles)) if " " not in w]
            self.parts[d.number] = (codes, d.certifiers, words)

    def between(self, left: str, right: str, title_words: int = 5) -> str:
        (codes_a, certifiers_a, words_a), (codes_b, certifiers_b, words_b) = self.parts[left], self.parts[right]
        said = [f"{label} {' '.join(sorted(codes_a[scheme] & codes_b[scheme]))}"
                for scheme, label in SCHEME_LABELS.items() if codes_a[scheme] & codes_b[scheme]]
        if certifiers_a & certifiers_b:
            said.append("same certifier")
        other = set(words_b)
        words = [w for w in words_a if w in other][:title_words]
        if words:
            said.append("title: " + ", ".join(words))
        return "; ".join(said)


def _decimal(score: float) -> Literal:
    """The canonical xsd:decimal of a score rounded to 4 places (as stores print it back).

    >>> str(_decimal(2.41)), str(_decimal(1.0)), str(_decimal(0.12345))
    ('2.41', '1.0', '0.1235')
    """
    text = f"{score:.4f}".rstrip("0")
    return Literal(text + "0" if text.endswith(".") else text, datatype=XSD.decimal)


def nearest_quads(index: EquivalenceIndex, evidence: Evidence, top: int = TOP) -> tuple[list[Quad], dict[int, list[tuple[int, float]]], int]:
    """Every fiche's ``top`` nearest in each mode, one node per unordered pair (its scores in the
    modes that rank it, and the evidence); each fiche's candidate predecessors (the lineage mode
    read backwards) by row; and the pair count."""
    scores: dict[tuple[int, int], dict[str, float]] = {}
    lineage: dict[int, list[tuple[int, float]]] = {}
    for row, by_mode in index.all_nearest(top, modes=(*MODES, "predecessor")):
        lineage[row] = by_mode.pop("predecessor")
        for mode, nearest in by_mode.items():
            for other, score in nearest:
                scores.setdefault((min(row, other), max(row, other)), {})[mode] = score
    g = SIMILARITY_GRAPH
    quads: list[Quad] = []
    for mode in MODES:
        node = method_node(mode)
        quads += [(node, RDF.type, CG.SimilarityMethod, g), (node, RDFS.label, Literal(f"{METHOD} ({mode})"), g),
                  (node, RDFS.comment, Literal(" ".join((index_module.__doc__ or "").split()), lang="en"), g),
                  (node, CG.scoreProperty, SCORE_PROPERTY[mode], g), (node, CG.mode, Literal(mode), g)]
    for (a, b), modes in sorted(scores.items()):
        left, right = index.numbers[a], index.numbers[b]
        node = ID[f"similarity/{METHOD}/{left}/{right}"]
        quads += [(node, CG.left, fiche_iri(left), g), (node, CG.right, fiche_iri(right), g)]
        quads += [(node, SCORE_PROPERTY[mode], _decimal(score), g) for mode, score in modes.items()]
        said = evidence.between(left, right)
        if said:
            quads.append((node, CG.evidence, Literal(said), g))
    return quads, lineage, len(scores)


def suggestion_quads(suggestions: list[Suggestion], evidence: Evidence) -> list[Quad]:
    """One ``cg:SuggestedLink`` per suggestion, in the suggested-links graph."""
    g, method = SUGGESTION_GRAPH, method_node("lineage")
    quads: list[Quad] = []
    for s in suggestions:
        node = ID[f"suggested-link/{METHOD}/{s.old}/{s.new}"]
        quads += [(node, RDF.type, CG.SuggestedLink, g), (node, CG.predecessor, fiche_iri(s.old), g),
                  (node, CG.successor, fiche_iri(s.new), g), (node, CG.score, _decimal(s.score), g),
                  (node, CG.method, method, g)]
        said = evidence.between(s.old, s.new)
        if said:
            quads.append((node, CG.evidence, Literal(said), g))
    return quads


def unsupported_links(index: EquivalenceIndex, links: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """The stated links (old IRI, new IRI) whose two fiches share nothing the content mode reads (no
    code or broader code, certifier, title or block stem): on the demo graph 58 of 10,511, each a possible error
    in the register, or a renewal that changed everything. One elementwise product per field."""
    position = {iri: i for i, iri in enumerate(index.iris)}
    pairs = [(old, new) for old, new in links if old in position and new in position]
    if not pairs:
        return []
    olds = np.array([position[old] for old, _ in pairs])
    news = np.array([position[new] for _, new in pairs])
    shared = np.zeros(len(pairs), dtype=bool)
    for field in index.fields.values():
        shared |= np.asarray(field.matrix[olds].multiply(field.matrix[news]).sum(axis=1)).ravel() > 0
    return [pair for pair, ok in zip(pairs, shared) if not ok]


def build_equivalence(store, index_file: Path, top: int = TOP) -> tuple[list[Quad], EquivalenceReport]:
    """Read the store, build and save the index, and return the derived quads and a report."""
    report = EquivalenceReport()
    clock = time.perf_counter()
    descriptors = read_descriptors(store)
    links = stated_links(store)
    report.timings["read"] = time.perf_counter() - clock
    clock = time.perf_counter()
    start_map = StartMap.fit((descriptors[new].number, descriptors[old].end) for old, new in links
                             if old in descriptors and new in descriptors and descriptors[old].end)
    index = EquivalenceIndex.build(descriptors, start_map)
    index.save(index_file)
    report.fiches = len(index.numbers)
    report.timings["index"] = time.perf_counter() - clock
    clock = time.perf_counter()
    evidence = Evidence(descriptors)
    quads, predecessors_of, report.pairs = nearest_quads(index, evidence, top)
    numbers = {d.iri: d.number for d in descriptors.values()}
    predecessors = {numbers[new] for _, new in links if new in numbers}
    successors = {numbers[old] for old, _ in links if old in numbers}
    suggestions = suggest_from_nearest(index, predecessors_of, predecessors, successors)
    quads += suggestion_quads(suggestions, evidence)
    report.suggestions = len(suggestions)
    unsupported = unsupported_links(index, links)
    quads += [(URIRef(old), CG.unsupportedSuccessor, URIRef(new), SIMILARITY_GRAPH) for old, new in unsupported]
    report.unsupported_links = len(unsupported)
    # The block maps, from the blocks and the block IDF this build has read and computed already.
    blocks = {d.iri: list(d.blocks.values()) for d in descriptors.values() if d.blocks}
    quads += block_map_quads(store, index.meta["block_idf"], blocks)
    report.timings["nearest"] = time.perf_counter() - clock
    return quads, report


__all__ = ["EquivalenceReport", "Evidence", "TOP", "build_equivalence", "nearest_quads", "suggestion_quads"]
