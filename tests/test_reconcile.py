"""The reconciled view: the newest dated source stating a field wins, ties and superseded links, on hand-made records."""

from __future__ import annotations

import datetime as dt

from rdflib import Literal
from rdflib.namespace import DCTERMS, XSD

from certgraph.records import Certifier, CodeRef, Fiche, LineageRef, SourceRef
from certgraph.ingest.reconcile import (
    CONFLICTS_GRAPH,
    CURRENT_GRAPH,
    conflict_quads,
    coverage,
    current_quads,
    reconcile,
    status_claim_quads,
)
from certgraph.vocab import CG, ID, concept_iri, fiche_iri, graph_iri, org_iri

OLD = SourceRef("rncp-info-2021", "old.csv", "2021 extract", issued=dt.date(2021, 1, 6))
MID = SourceRef("certifinfo-2024-06-28", "ci.csv", "Certif Info", issued=dt.date(2024, 6, 28))
NEW = SourceRef("fc-export-2026-02-01-rome", "rome.csv", "2026 Rome table", issued=dt.date(2026, 2, 1))
LINKS_2026 = SourceRef("fc-export-2026-02-01-ancienne-nouvelle-certification", "an.csv", "2026 lineage", issued=dt.date(2026, 2, 1))
XML = SourceRef("fc-xml-2026-08-16-rncp", "x.xml", "XML", issued=dt.date(2026, 8, 16))
PAGE = SourceRef("seed-001", "page.txt", "a fiche page")  # no date


def test_the_newest_dated_source_wins_each_field_and_older_ones_never_erase():
    records = [
        Fiche("RNCP1", OLD, title="de masseur", level_eqf=6, end_date=dt.date(2025, 8, 31), active=True),
        Fiche("RNCP1", MID, title="Diplôme d'État de masseur", level_eqf=7),
        Fiche("RNCP1", XML, end_date=dt.date(2024, 8, 31), active=False),
        Fiche("RNCP1", PAGE, title="Un titre de page", end_date=dt.date(2030, 1, 1)),
    ]
    fields = reconcile(records).fields["RNCP1"]
    assert fields["title"].values == ["Diplôme d'État de masseur"] and fields["title"].sources == [MID]
    assert fields["level"].values == [7]
    # the XML states no title or level: it does not erase them, but its dates and flag win
    assert fields["endDate"].values == [dt.date(2024, 8, 31)] and fields["endDate"].sources == [XML]
    assert fields["active"].values == [False]


def test_a_set_valued_field_takes_the_newest_sources_whole_set():
    records = [
        Fiche("RNCP1", OLD, rome=[CodeRef("K1206"), CodeRef("K1403"), CodeRef("M1302")]),
        Fiche("RNCP1", NEW, rome=[CodeRef("K1403"), CodeRef("K1207")]),
    ]
    result = reconcile(records)
    rome = result.fields["RNCP1"]["rome"]
    assert rome.values == [concept_iri("rome", "K1207"), concept_iri("rome", "K1403")] and rome.sources == [NEW]
    (conflict,) = result.conflicts
    assert (conflict.field, conflict.winner) == ("rome", NEW)
    assert [source for source, _ in conflict.claims] == [NEW, OLD]


def test_a_tie_of_dates_keeps_every_value_and_chooses_no_winner():
    other = SourceRef("fc-xml-2026-08-16-rs", "rs.xml", "XML RS", issued=XML.issued)
    records = [Fiche("RNCP1", XML, end_date=dt.date(2027, 1, 1)), Fiche("RNCP1", other, end_date=dt.date(2028, 1, 1))]
    result = reconcile(records)
    end = result.fields["RNCP1"]["endDate"]
    assert end.values == [dt.date(2027, 1, 1), dt.date(2028, 1, 1)] and set(end.sources) == {XML, other}
    (conflict,) = result.conflicts
    assert conflict.winner is None
    quads = set(conflict_quads(result))
    node = ID["conflict/RNCP1/endDate"]
    assert (node, CG.field, Literal("endDate"), CONFLICTS_GRAPH) in quads
    assert not any(p == CG.winner for _, p, _, _ in quads)


def test_values_that_differ_only_in_spelling_are_no_conflict():
    records = [Fiche("RNCP1", OLD, title="Manager d'organismes"), Fiche("RNCP1", MID, title="Manager d’organismes ")]
    assert reconcile(records).conflicts == []


def test_an_undated_source_ranks_lowest_and_is_reported_by_name():
    records = [Fiche("RNCP1", PAGE, title="Titre de la page"), Fiche("RNCP1", OLD, title="Titre de 2021")]
    result = reconcile(records)
    assert result.fields["RNCP1"]["title"].values == ["Titre de 2021"]
    assert [str(p) for p in result.problems()] == [
        "page.txt: source has no date: it is ranked below every dated source when sources disagree"
    ]


def test_certifier_names_are_kept_but_are_not_certifiers():
    # Certif Info names a certifier (often the ministry) without identifying it: a name, not a certifier
    records = [
        Fiche("RNCP1", MID, certifier_names=["Ministère de l'enseignement supérieur"]),
        Fiche("RNCP1", OLD, certifiers=[Certifier("CNAM", "19753471200017")]),
    ]
    assert reconcile(records).fields["RNCP1"]["certifier"].values == [org_iri("19753471200017", "CNAM")]


def test_links_contradicted_by_a_newer_register_table_are_superseded():
    records = [
        # 2021: RNCP12380 -> RNCP34797 (the 2026 table says RNCP34798), RNCP28353 -> RNCP25857 (reversed in 2026)
        Fiche("RNCP12380", OLD, successors=[LineageRef("RNCP34797")]),
        Fiche("RNCP25857", OLD, predecessors=[LineageRef("RNCP28353")]),
        # 2021 and 2026 agree on this one
        Fiche("RNCP28720", OLD, successors=[LineageRef("RNCP35080")]),
        # Certif Info skips a generation: RNCP5385 -> RNCP35080; it asserts, but supersedes nothing
        Fiche("RNCP35080", MID, predecessors=[LineageRef("RNCP5385")]),
        Fiche("RNCP5385", OLD, successors=[LineageRef("RNCP28720")]),
        Fiche("RNCP12380", LINKS_2026, successors=[LineageRef("RNCP34798")]),
        Fiche("RNCP25857", LINKS_2026, successors=[LineageRef("RNCP28353")]),
        Fiche("RNCP35080", LINKS_2026, predecessors=[LineageRef("RNCP28720")]),
        # a page names its predecessor by title only: history, never superseded
        Fiche("RNCP28720", PAGE, predecessors=[LineageRef(title="Manager d'organismes")]),
    ]
    result = reconcile(records)
    superseded = {(link.old, link.new): link.superseded_by for link in result.superseded_links}
    assert superseded == {
        ("RNCP12380", "RNCP34797"): LINKS_2026,
        ("RNCP28353", "RNCP25857"): LINKS_2026,
        ("RNCP5385", "RNCP35080"): LINKS_2026,  # the 2026 table lists 35080's predecessors: 28720 only
    }
    current = {(link.old, link.new) for link in result.current_links}
    assert current == {
        ("RNCP12380", "RNCP34798"), ("RNCP25857", "RNCP28353"), ("RNCP28720", "RNCP35080"),
        ("RNCP5385", "RNCP28720"), ("Manager d'organismes", "RNCP28720"),
    }
    quads = set(current_quads(result))
    assert (fiche_iri("RNCP34798"), DCTERMS.replaces, fiche_iri("RNCP12380"), CURRENT_GRAPH) in quads
    assert (fiche_iri("RNCP34797"), DCTERMS.replaces, fiche_iri("RNCP12380"), CURRENT_GRAPH) not in quads
    assert (ID["lineage/RNCP12380/RNCP34797"], CG.supersededBy, graph_iri(LINKS_2026.key), CURRENT_GRAPH) in quads
    # a fiche known only as a link's end still gets its number in the current view
    assert (fiche_iri("RNCP34797"), CG.number, Literal("RNCP34797"), CURRENT_GRAPH) in quads


def test_current_quads_say_where_each_field_comes_from():
    records = [
        Fiche("RNCP1", OLD, title="Titre", end_date=dt.date(2025, 1, 1), active=True),
        Fiche("RNCP1", NEW, rome=[CodeRef("K1403")]),
    ]
    quads = set(current_quads(reconcile(records)))
    fiche, g = fiche_iri("RNCP1"), CURRENT_GRAPH
    from_old, from_new = ID["current/rncp-info-2021/endDate"], ID["current/fc-export-2026-02-01-rome/rome"]
    assert (fiche, CG.currentValues, from_old, g) in quads and (fiche, CG.currentValues, from_new, g) in quads
    assert (from_old, CG.field, Literal("endDate"), g) in quads
    assert (fiche, CG.activeAsOf, Literal("2021-01-06", datatype=XSD.date), g) in quads
    assert (fiche, CG.rome, concept_iri("rome", "K1403"), g) in quads
    assert not any(p == CG.certifier for _, p, _, _ in quads)


def test_status_claims_keep_each_sources_flag_with_its_own_dates():
    records = [Fiche("RNCP1", OLD, end_date=dt.date(2020, 12, 31), active=True), Fiche("RNCP2", PAGE, active=True)]
    quads = set(status_claim_quads(reconcile(records)))
    node = ID["status/rncp-info-2021/RNCP1"]
    assert (node, CG.active, Literal(True), CONFLICTS_GRAPH) in quads
    assert (node, DCTERMS.issued, Literal("2021-01-06", datatype=XSD.date), CONFLICTS_GRAPH) in quads
    assert not any(s == ID["status/seed-001/RNCP2"] for s, _, _, _ in quads)  # undated: nothing to check


def test_coverage_counts_titles_and_levels_by_register():
    records = [
        Fiche("RNCP1", OLD, title="A", level_eqf=5), Fiche("RNCP2", OLD),
        Fiche("RS3", MID, title="C"), Fiche("RS4", NEW, successors=[LineageRef("RS5")]),
    ]
    assert coverage(reconcile(records)) == {
        "rncp": {"fiches": 2, "title": 1, "level": 1},
        "rs": {"fiches": 3, "title": 1, "level": 0},
    }
