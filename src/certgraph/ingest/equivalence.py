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

import itertools
import re
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO

import numpy as np
from rdflib import Literal, URIRef
from rdflib.namespace import RDF, RDFS, XSD

from ..equivalence import index as index_module
from ..equivalence.descriptors import Descriptor, read_descriptors, stated_links
from ..equivalence.index import METHOD, MODES, EquivalenceIndex, StartMap
from ..equivalence.suggest import Suggestion, suggest_from_nearest
from ..store import term_nt, write_nquads
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


def _decimal_text(score: float) -> str:
    """A score rounded to 4 places as a canonical xsd:decimal (as stores print it back).

    >>> _decimal_text(2.41), _decimal_text(1.0), _decimal_text(0.12345)
    ('2.41', '1.0', '0.1235')
    """
    text = f"{score:.4f}".rstrip("0")
    return text + "0" if text.endswith(".") else text


def _decimal(score: float) -> Literal:
    return Literal(_decimal_text(score), datatype=XSD.decimal)


_NEEDS_ESCAPE = re.compile(r'[\\"\n\r\t]')


def _string_nt(text: str) -> str:
    """A plain literal in N-Triples (evidence is stems and codes: escaping is the rare case)."""
    return term_nt(Literal(text)) if _NEEDS_ESCAPE.search(text) else f'"{text}"'


@dataclass
class NearestPairs:
    """Every unordered pair of fiches (index rows, ``left`` < ``right``, ascending) some fiche
    ranks among its nearest, with its score in each mode (NaN where that mode does not rank it)."""

    left: np.ndarray
    right: np.ndarray
    scores: dict[str, np.ndarray]

    def __len__(self) -> int:
        return len(self.left)


def nearest_pairs(found: dict[str, tuple[np.ndarray, ...]], size: int) -> NearestPairs:
    """The pairs of :meth:`EquivalenceIndex.all_top` in :data:`MODES`; a pair both fiches rank keeps
    the score of the later row (the one read last)."""
    by_mode = {}
    for mode in MODES:
        rows, cols, scores = found[mode]
        keys = np.minimum(rows, cols) * size + np.maximum(rows, cols)
        order = np.argsort(keys, kind="stable")
        ordered = keys[order]
        last = np.ones(len(ordered), dtype=bool)  # the last of each run of equal keys (none when no pair)
        last[:-1] = ordered[1:] != ordered[:-1]
        by_mode[mode] = (ordered[last], scores[order][last])
    union = np.unique(np.concatenate([keys for keys, _ in by_mode.values()]))
    aligned = {}
    for mode, (keys, scores) in by_mode.items():
        aligned[mode] = np.full(len(union), np.nan)
        aligned[mode][np.searchsorted(union, keys)] = scores
    return NearestPairs(union // size, union % size, aligned)


def method_quads() -> list[Quad]:
    """The similarity method of each mode, stated once (the pairs point to it through their score property)."""
    g = SIMILARITY_GRAPH
    quads: list[Quad] = []
    for mode in MODES:
        node = method_node(mode)
        quads += [(node, RDF.type, CG.SimilarityMethod, g), (node, RDFS.label, Literal(f"{METHOD} ({mode})"), g),
                  (node, RDFS.comment, Literal(" ".join((index_module.__doc__ or "").split()), lang="en"), g),
                  (node, CG.scoreProperty, SCORE_PROPERTY[mode], g), (node, CG.mode, Literal(mode), g)]
    return quads


def write_nearest(pairs: NearestPairs, numbers: list[str], evidence: Evidence, out: TextIO, batch: int = 20_000) -> int:
    """Write one node per pair as N-Quads text (its fiches, its score in each mode that ranks it,
    the evidence): millions of lines, so no rdflib term per line. Returns the lines written."""
    g = term_nt(SIMILARITY_GRAPH)
    fiche = [term_nt(fiche_iri(number)) for number in numbers]
    node_base = f"<{ID}similarity/{METHOD}/"
    left_p, right_p, evidence_p = term_nt(CG.left), term_nt(CG.right), term_nt(CG.evidence)
    score_p = {mode: term_nt(SCORE_PROPERTY[mode]) for mode in MODES}
    decimal = f"^^<{XSD.decimal}> {g} .\n"
    columns = [pairs.left.tolist(), pairs.right.tolist(), *(pairs.scores[mode].tolist() for mode in MODES)]
    lines: list[str] = []
    count = 0
    for a, b, *scores in zip(*columns):
        node = f"{node_base}{numbers[a]}/{numbers[b]}>"
        lines.append(f"{node} {left_p} {fiche[a]} {g} .\n{node} {right_p} {fiche[b]} {g} .\n")
        count += 2
        for mode, score in zip(MODES, scores):
            if score == score:  # not NaN: the mode ranks the pair
                lines.append(f'{node} {score_p[mode]} "{_decimal_text(score)}"{decimal}')
                count += 1
        said = evidence.between(numbers[a], numbers[b])
        if said:
            lines.append(f"{node} {evidence_p} {_string_nt(said)} {g} .\n")
            count += 1
        if len(lines) >= batch:
            out.write("".join(lines))
            lines.clear()
    out.write("".join(lines))
    return count


def predecessor_lists(found: tuple[np.ndarray, ...]) -> dict[int, list[tuple[int, float]]]:
    """Each row's candidate predecessors (the ``predecessor`` mode of :meth:`EquivalenceIndex.all_top`), best first."""
    rows, cols, scores = found
    lists: dict[int, list[tuple[int, float]]] = {}
    for row, col, score in zip(rows.tolist(), cols.tolist(), scores.tolist()):
        lists.setdefault(row, []).append((col, score))
    return lists


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


def build_equivalence(store, index_file: Path, nquads_file: Path, top: int = TOP) -> EquivalenceReport:
    """Read the store, build and save the index, and write the derived quads to ``nquads_file``
    (N-Quads, for the store's bulk loader and the dump); returns the report."""
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
    found = index.all_top(top, modes=(*MODES, "predecessor"))
    pairs = nearest_pairs(found, len(index.numbers))
    report.pairs = len(pairs)
    report.timings["nearest"] = time.perf_counter() - clock
    clock = time.perf_counter()
    evidence = Evidence(descriptors)
    with open(nquads_file, "w", encoding="utf-8") as out:
        write_nearest(pairs, index.numbers, evidence, out)
    report.timings["pairs"] = time.perf_counter() - clock
    clock = time.perf_counter()
    numbers = {d.iri: d.number for d in descriptors.values()}
    predecessors = {numbers[new] for _, new in links if new in numbers}
    successors = {numbers[old] for old, _ in links if old in numbers}
    suggestions = suggest_from_nearest(index, predecessor_lists(found["predecessor"]), predecessors, successors)
    report.suggestions = len(suggestions)
    unsupported = unsupported_links(index, links)
    report.unsupported_links = len(unsupported)
    # The block maps, from the blocks and the block IDF this build has read and computed already.
    blocks = {d.iri: list(d.blocks.values()) for d in descriptors.values() if d.blocks}
    write_nquads(itertools.chain(
        method_quads(), suggestion_quads(suggestions, evidence),
        ((URIRef(old), CG.unsupportedSuccessor, URIRef(new), SIMILARITY_GRAPH) for old, new in unsupported),
        block_map_quads(store, index.meta["block_idf"], blocks, links)), nquads_file, append=True)
    report.timings["suggestions and block maps"] = time.perf_counter() - clock
    return report


__all__ = ["EquivalenceReport", "Evidence", "TOP", "build_equivalence", "nearest_pairs", "suggestion_quads", "write_nearest"]
