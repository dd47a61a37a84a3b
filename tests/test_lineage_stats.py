"""Lineage analytics: the real 2026-02-01 lineage table against an independent count, the seed chain, a hand-made graph."""

from __future__ import annotations

import csv
import datetime as dt
import re
import shutil
from collections import defaultdict

import networkx as nx
import pytest
from rdflib import Literal, URIRef
from rdflib.namespace import DCTERMS, RDF, XSD

from certgraph.ingest.build import build
from certgraph.lineage_stats import (
    LineageStats,
    lineage_stats,
    read_statuses,
    render_table,
)
from certgraph.vocab import CURRENT_GRAPH
from certgraph.store import OxigraphStore
from certgraph.vocab import CG, ID, fiche_iri, graph_iri

from .conftest import DATA, write_manifest

EXPORT = "rncp/hackathon-export-2026-02-01"
TABLE = "export_fiches_CSV_Ancienne_Nouvelle_Certification_2026_02_01.csv"
NUMBER = re.compile(r"^(RNCP|RS)[1-9][0-9]*$")


@pytest.fixture(scope="module")
def table_store(tmp_path_factory) -> OxigraphStore:
    """A store built from a data folder holding only the real 2026-02-01 Ancienne_Nouvelle table."""
    root = tmp_path_factory.mktemp("lineage-table")
    data = root / "data"
    (data / EXPORT).mkdir(parents=True)
    shutil.copy(DATA / EXPORT / TABLE, data / EXPORT / TABLE)
    write_manifest(data, [{"reader": "fc_export", "path": EXPORT}])
    report = build(data, root / "store")
    assert not [p for p in report.problems if p.severity == "error"], report.problems
    return OxigraphStore.open(report.store)


def _kind(graph: nx.DiGraph, nodes: set[str]) -> str:
    merge = any(graph.in_degree(n) > 1 for n in nodes)
    split = any(graph.out_degree(n) > 1 for n in nodes)
    return {(False, False): "chain", (True, False): "merge", (False, True): "split", (True, True): "mixed"}[merge, split]


def test_real_table_counts_match_an_independent_computation(table_store):
    """Counts on the real table equal those computed here from the CSV alone, with networkx.

    Each row of the table states, for the fiche ``Numero_Fiche``, a predecessor (the link
    Ancienne_Certification -> Numero_Fiche) and/or a successor (Numero_Fiche -> Nouvelle_Certification).
    A link is *one-sided* when the pair is stated in the rows of only one of its two fiches: the old
    fiche names the new one as Nouvelle_Certification but no row of the new one names the old as
    Ancienne_Certification, or the reverse. Lineages are the weakly connected components, typed by
    the in- and out-degrees of their fiches (chain / merge / split / mixed).
    """
    stated_by: dict[tuple[str, str], set[str]] = defaultdict(set)
    with open(DATA / EXPORT / TABLE, encoding="utf-8-sig", newline="") as f:
        for row in csv.DictReader(f, delimiter=";"):
            fiche, old, new = (row[c].strip() for c in ("Numero_Fiche", "Ancienne_Certification", "Nouvelle_Certification"))
            for number in filter(None, (fiche, old, new)):
                assert NUMBER.match(number), number  # already canonical: no normalising needed here
            if old:
                stated_by[old, fiche].add(fiche)
            if new:
                stated_by[fiche, new].add(fiche)
    graph = nx.DiGraph(list(stated_by))
    kinds = {k: 0 for k in ("chain", "merge", "split", "mixed")}
    for nodes in nx.weakly_connected_components(graph):
        kinds[_kind(graph, nodes)] += 1
    one_sided = sum(len(staters) == 1 for staters in stated_by.values())
    cycles = list(nx.simple_cycles(graph))

    stats = lineage_stats(table_store)

    assert stats.kinds == kinds
    assert stats.lineages == sum(kinds.values())
    assert stats.fiches == graph.number_of_nodes()
    assert stats.links == graph.number_of_edges()
    assert stats.one_sided == one_sided
    assert stats.sides["predecessor"] + stats.sides["successor"] == one_sided
    assert stats.sides["neither"] == 0
    assert len(stats.cycles) == len(cycles)
    assert stats.historical_links == 0
    assert stats.statuses == {"in-force": 0, "not-yet": 0, "ended": 0, "unknown": graph.number_of_nodes()}  # no dates
    assert stats.superseded_links == 0  # one table contradicts nothing
    # The table itself (counted once with the code above): every kind of lineage, no cycle, and 5
    # links stated by one of their two fiches only.
    assert kinds == {"chain": 5_473, "merge": 183, "split": 99, "mixed": 91}
    assert (graph.number_of_nodes(), graph.number_of_edges(), one_sided, len(cycles)) == (16_056, 10_313, 5, 0)


def test_seed_lineage_is_a_chain_of_five_fiches(mini_store):
    stats = lineage_stats(mini_store)
    seed = next(s for s in stats.largest if "RNCP35080" in s.fiches)
    assert seed.kind == "chain"
    assert seed.fiches == ["RNCP1611", "RNCP5385", "RNCP28720", "RNCP35080", "RNCP41336"]
    assert (seed.size, seed.generations) == (5, 4)
    assert seed.longest_path == seed.fiches


# ------------------------------------------------------------------ a hand-made graph


def _link(old: str, new: str, asserters: tuple[str, ...], g: URIRef):
    old_node, new_node, link = fiche_iri(old), fiche_iri(new), ID[f"lineage/{old}/{new}"]
    yield new_node, DCTERMS.replaces, old_node, g
    yield old_node, DCTERMS.isReplacedBy, new_node, g
    yield link, RDF.type, CG.LineageLink, g
    yield link, CG.predecessor, old_node, g
    yield link, CG.successor, new_node, g
    for number in asserters:
        yield link, CG.assertedBy, fiche_iri(number), g
    for number, node in ((old, old_node), (new, new_node)):
        yield node, RDF.type, CG.Certification, g
        yield node, CG.number, Literal(number), g


def _dates(number: str, end: str, effect: str | None = None):
    """The reconciled dates of a fiche, as the build writes them in the current graph."""
    g, node = CURRENT_GRAPH, fiche_iri(number)
    yield node, CG.number, Literal(number), g
    yield node, CG.endDate, Literal(end, datatype=XSD.date), g
    if effect:
        yield node, CG.effectDate, Literal(effect, datatype=XSD.date), g


AS_OF = dt.date(2026, 12, 3)


@pytest.fixture(scope="module")
def hand_made_store() -> OxigraphStore:
    """A merge, a split with two branches in force, a mixed lineage, a cycle, a historical predecessor,
    a superseded link.

    On AS_OF (2026-12-03) RNCP22, RNCP23 and RNCP13 are in force; RNCP34 has ended and RNCP35 is
    not yet in force (from 2027): RNCP33's split has no branch in force, RNCP21's has two. RNCP21 →
    RNCP24, stated by a 2021 graph and superseded, is left out.
    """
    g = graph_iri("g2026")

    def both(old: str, new: str):
        return _link(old, new, (old, new), g)

    quads = [
        *both("RNCP11", "RNCP13"), *both("RNCP12", "RNCP13"),  # merge
        *both("RNCP21", "RNCP22"), *both("RNCP21", "RNCP23"),  # split
        *both("RNCP31", "RNCP33"), *both("RNCP32", "RNCP33"), *both("RNCP33", "RNCP34"), *both("RNCP33", "RNCP35"),
        *_link("RNCP41", "RNCP42", ("RNCP41",), g), *_link("RNCP42", "RNCP43", ("RNCP43",), g),
        *both("RNCP43", "RNCP41"),  # a cycle, typed chain by the degrees
        *both("RNCP51", "RS52"),
    ]
    historical, link = ID["historical/ancien-diplome"], ID["lineage/historical/ancien-diplome/RNCP51"]
    quads += [
        (fiche_iri("RNCP51"), DCTERMS.replaces, historical, g), (link, RDF.type, CG.LineageLink, g),
        (link, CG.predecessor, historical, g), (link, CG.successor, fiche_iri("RNCP51"), g),
        (link, CG.assertedBy, fiche_iri("RNCP51"), g),
    ]
    quads += [*_dates("RNCP22", "2028-01-01"), *_dates("RNCP23", "2027-06-30"), *_dates("RNCP13", "2030-01-01"),
              *_dates("RNCP34", "2025-01-01"), *_dates("RNCP35", "2029-01-01", effect="2027-01-01")]
    quads += [*_link("RNCP21", "RNCP24", ("RNCP21",), graph_iri("g2021")),
              (ID["lineage/RNCP21/RNCP24"], CG.supersededBy, g, CURRENT_GRAPH)]
    store = OxigraphStore.in_memory()
    store.add_quads(quads)
    return store


@pytest.fixture(scope="module")
def hand_made(hand_made_store) -> LineageStats:
    """The stats of ``hand_made_store``."""
    return lineage_stats(hand_made_store, as_of=AS_OF)


def test_hand_made_lineages_are_typed(hand_made):
    kinds = {frozenset(s.fiches): s.kind for s in hand_made.largest}
    assert kinds == {
        frozenset({"RNCP11", "RNCP12", "RNCP13"}): "merge",
        frozenset({"RNCP21", "RNCP22", "RNCP23"}): "split",
        frozenset({"RNCP31", "RNCP32", "RNCP33", "RNCP34", "RNCP35"}): "mixed",
        frozenset({"RNCP41", "RNCP42", "RNCP43"}): "chain",
        frozenset({"RNCP51", "RS52"}): "chain",
    }
    assert hand_made.kinds == {"chain": 2, "merge": 1, "split": 1, "mixed": 1}
    assert (hand_made.lineages, hand_made.fiches, hand_made.links) == (5, 16, 12)
    assert hand_made.historical_links == 1
    assert hand_made.superseded_links == 1
    mixed = hand_made.longest[0]
    assert (mixed.kind, mixed.generations, mixed.roots, mixed.leaves) == (
        "mixed", 2, ["RNCP31", "RNCP32"], ["RNCP34", "RNCP35"]
    )


def test_hand_made_cycle_one_sided_links_and_splits_in_force(hand_made):
    assert hand_made.cycles == [["RNCP41", "RNCP42", "RNCP43"]]
    assert hand_made.cyclic_lineages == 1
    cyclic = next(s for s in hand_made.largest if s.cyclic)
    assert cyclic.generations == 0  # the whole lineage is one strongly connected part
    assert [(x.predecessor, x.successor, x.side) for x in hand_made.one_sided_links] == [
        ("RNCP41", "RNCP42", "predecessor"), ("RNCP42", "RNCP43", "successor")
    ]
    assert hand_made.sides == {"both": 10, "predecessor": 1, "successor": 1, "neither": 0}
    assert [(a.fiche, a.successors, a.all_in_force) for a in hand_made.in_force_splits] == [
        ("RNCP21", {"RNCP22": True, "RNCP23": True}, True)
    ]
    assert hand_made.statuses == {"in-force": 3, "not-yet": 1, "ended": 1, "unknown": 11}


def test_statuses_come_from_the_reconciled_dates(hand_made_store):
    assert read_statuses(hand_made_store, AS_OF) == {
        "RNCP13": "in-force", "RNCP22": "in-force", "RNCP23": "in-force", "RNCP34": "ended", "RNCP35": "not-yet",
    }
    # the same fiches a year earlier: RNCP34 was in force, RNCP35 still not
    assert read_statuses(hand_made_store, dt.date(2024, 12, 3))["RNCP34"] == "in-force"


def test_stats_render_as_json_and_text(hand_made):
    data = hand_made.as_dict()
    assert data["kinds"] == hand_made.kinds and data["cycles"] == [["RNCP41", "RNCP42", "RNCP43"]]
    assert '"mixed": 1' in hand_made.to_json()
    text = render_table(hand_made)
    assert "  mixed            1         5" in text
    assert "RNCP31 -> RNCP33 -> RNCP34" in text
    assert "RNCP41 -> RNCP42  stated by the predecessor only" in text
    assert "RNCP41 -> RNCP42 -> RNCP43 -> RNCP41" in text


def test_rdflib_store_gives_the_same_stats(mini_store, mini_rdflib):
    assert lineage_stats(mini_rdflib).as_dict() == lineage_stats(mini_store).as_dict()
