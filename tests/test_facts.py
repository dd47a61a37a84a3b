"""The facts the seeds and the real tables establish, read back from the built graph."""

from __future__ import annotations

import datetime as dt

from certgraph.compare import compare
from certgraph.lineage import lineage
from certgraph.queries import run_named
from certgraph.store import to_python


def rows(store, queries, name, **params):
    return [{k: to_python(v) for k, v in row.items()} for row in run_named(store, queries[name], params).rows]


def test_lineage_of_35080_runs_from_1611_to_41336(mini_store, queries):
    result = lineage(mini_store, queries, "RNCP35080")
    ordered = [(m.number, m.title, m.end_date) for m in result.ordered()]
    assert ordered == [
        ("RNCP1611", "Gestionnaire d'organismes à vocation sociale et culturelle", dt.date(2006, 12, 31)),
        ("RNCP5385", "Manager d'organismes à vocation sociale et culturelle", dt.date(2017, 8, 22)),
        ("RNCP28720", "Manager d'organismes à vocation sociale et culturelle et en économie sociale et solidaire", dt.date(2020, 7, 19)),
        # the 2021 extract's title (dated) wins over the seed page's (undated, with a curly apostrophe)
        ("RNCP35080", "Manager d'organismes à vocation sociale et culturelle en économie sociale et solidaire", dt.date(2025, 11, 18)),
        ("RNCP41336", None, None),
    ]
    edges = {(result.members[a].number, result.members[b].number) for a, b in result.graph.edges}
    assert edges == {("RNCP1611", "RNCP5385"), ("RNCP5385", "RNCP28720"), ("RNCP28720", "RNCP35080"), ("RNCP35080", "RNCP41336")}


def test_each_link_keeps_who_asserted_it(mini_store, queries):
    result = lineage(mini_store, queries, "RNCP35080")
    by_number = {m.number: m for m in result.members.values()}
    asserted = {s.number: a for s, a in result.successors(by_number["RNCP35080"])}
    assert asserted == {"RNCP41336": ["RNCP35080", "RNCP41336"]}
    # The seed page of 28720 names its predecessor only by title; the export confirms RNCP5385.
    sources = result.graph.edges[by_number["RNCP5385"].iri, by_number["RNCP28720"].iri]["sources"]
    assert "https://w3id.org/certgraph/graph/seed-000-rncp28720" in sources


def test_seed_000_legal_history_becomes_registrations_of_the_lineage(mini_store, queries):
    found = [(r["number"], r["actKind"], r["actDate"], r.get("endDate")) for r in rows(mini_store, queries, "lineage/registrations", fiche="RNCP35080")]
    assert found == [
        ("RNCP1611", "arrêté", "2003-03-17", "2005-01-18"),
        ("RNCP1611", "décret", "2004-02-19", "2006-12-31"),
        ("RNCP5385", "arrêté", "2007-03-30", "2012-04-21"),
        ("RNCP5385", "arrêté", "2012-08-10", "2017-08-22"),
        ("RNCP28720", "arrêté", "2017-07-07", "2020-07-19"),
    ]


def test_curated_assignment_is_reified_with_status_and_source(mini_store):
    result = mini_store.query("""
        PREFIX cg: <https://w3id.org/certgraph/ontology#>
        PREFIX rdf: <http://www.w3.org/1999/02/22-rdf-syntax-ns#>
        SELECT ?status WHERE { GRAPH <https://w3id.org/certgraph/graph/curated-facts> {
          ?s rdf:object <https://w3id.org/certgraph/id/rncp/1611> ; cg:status ?status } }""")
    assert sorted(result.values("status")) == ["inferred", "inferred"]


def test_comparison_35080_41296(mini_store, queries):
    result = compare(mini_store, queries, "RNCP35080", "RNCP41296")
    rome, nsf, formacode = result.codes["rome"], result.codes["nsf"], result.codes["formacode"]
    assert (rome.shared, rome.left, rome.right) == (["K1403", "K1802"], ["K1206", "M1301", "M1302"], ["K1201", "K1800"])
    assert (nsf.shared, nsf.left, nsf.right) == (["310m", "330p", "332n"], [], [])
    assert (formacode.shared, formacode.left, formacode.right) == (["32135"], ["32142", "44037", "44047"], ["44056"])
    assert result.nsf_groups.shared == ["310", "330", "332"]
    assert result.summary["RNCP35080"]["level"] == ["Niveau 7"] == result.summary["RNCP41296"]["level"]
    assert result.summary["RNCP35080"]["certifier"] == ["CONSERVATOIRE NATIONAL DES ARTS ET METIERS"]
    assert result.summary["RNCP41296"]["certifier"] == ["ASSOCIATION SAINTE ANNE"]
    left, right = result.alignment.left, result.alignment.right
    assert [b.code for b in left] == [f"RNCP35080BC0{i}" for i in range(1, 5)]
    assert [b.code for b in right] == [f"RNCP41296BC0{i}" for i in range(1, 5)]
    assert [len(b.competencies) for b in left] == [5, 3, 3, 3]
    assert [len(b.competencies) for b in right] == [6, 6, 10, 5]
    # The RH team block matches IRCOM's team management block, the project block the project one.
    pairs = {(left[i].code, right[j].code) for i, j in result.alignment.pairs}
    assert {("RNCP35080BC03", "RNCP41296BC04"), ("RNCP35080BC04", "RNCP41296BC02")} <= pairs
    assert len(pairs) == 4


def test_28720_nsf_330_only_level_I_is_7_four_clean_blocks(mini_store, queries):
    summary = rows(mini_store, queries, "fiche/summary", fiche="RNCP28720")
    assert {r["value"].rsplit("/", 1)[-1] for r in summary if r["field"] == "nsf"} == {"330"}
    assert {r["value"] for r in summary if r["field"] == "level1969"} == {"https://w3id.org/certgraph/id/level1969/I"}
    assert {r["value"] for r in summary if r["field"] == "level"} == {"http://data.europa.eu/snb/eqf/7"}
    blocks = rows(mini_store, queries, "fiche/blocks", fiche="RNCP28720")
    assert sorted({r["code"] for r in blocks}) == [f"RNCP28720BC0{i}" for i in range(1, 5)]
    texts = [r["competency"] for r in blocks]
    assert "Assurer une veille prospective et impulser des projets innovants" in texts
    assert "Assurer le suivi du budget" in texts
    assert not [t for t in texts if "<" in t or "•" in t or "C9 " in t or "C5 " in t]


def test_level_1969_maps_to_eqf(mini_store):
    result = mini_store.query("""PREFIX cg: <https://w3id.org/certgraph/ontology#>
        SELECT ?eqf WHERE { <https://w3id.org/certgraph/id/level1969/I> cg:correspondsToEqf ?eqf }""")
    assert result.values("eqf") == ["http://data.europa.eu/snb/eqf/7"]


def test_official_page_is_foaf_page_never_same_as(mini_store):
    result = mini_store.query("""PREFIX foaf: <http://xmlns.com/foaf/0.1/>
        SELECT ?page WHERE { <https://w3id.org/certgraph/id/rncp/35080> foaf:page ?page }""")
    assert set(result.values("page")) == {"https://www.francecompetences.fr/recherche/rncp/35080/"}
    assert mini_store.query("ASK { ?a <http://www.w3.org/2002/07/owl#sameAs> ?b }").boolean is False


def test_training_programme_covers_blocks_with_hours(mini_store):
    result = mini_store.query("""PREFIX cg: <https://w3id.org/certgraph/ontology#>
        SELECT ?block ?hours WHERE { ?p cg:prepares <https://w3id.org/certgraph/id/rncp/35080> ; cg:module ?m .
          ?m cg:coversBlock ?block ; cg:hours ?hours } ORDER BY ?block""")
    assert [(b.rsplit("/", 1)[-1], h) for b, h in zip(result.values("block"), result.values("hours"))] == [
        ("RNCP35080BC01", 161), ("RNCP35080BC02", 70), ("RNCP35080BC03", 56), ("RNCP35080BC04", 224)]


def test_every_named_graph_has_provenance(mini_store):
    graphs = set(mini_store.named_graphs())
    described = set(mini_store.query("""PREFIX dcat: <http://www.w3.org/ns/dcat#>
        SELECT ?g WHERE { GRAPH <https://w3id.org/certgraph/graph/provenance> { ?g a dcat:Dataset } }""").values("g"))
    internal = {"https://w3id.org/certgraph/graph/provenance", "https://w3id.org/certgraph/graph/schemes",
                "https://w3id.org/certgraph/graph/derived/similarity", "https://w3id.org/certgraph/graph/derived/summary",
                "https://w3id.org/certgraph/graph/derived/hierarchy", "https://w3id.org/certgraph/graph/derived/current",
                "https://w3id.org/certgraph/graph/derived/listings",
                "https://w3id.org/certgraph/graph/derived/conflicts", "https://w3id.org/certgraph/graph/derived/block-maps",
                "https://w3id.org/certgraph/ontology"}
    # Suggested links exist where the register has a fiche to suggest a predecessor for.
    assert graphs - described - {"https://w3id.org/certgraph/graph/derived/suggested-links"} == internal
    # Sources that add no quads to the mini graph are described all the same: tables with no row for
    # its six fiches, and labonneboite's OGR -> ROME mapping (its links are stated in the graph of the
    # ROME v3.44 appellations).
    assert described - graphs == {f"https://w3id.org/certgraph/graph/{name}" for name in (
        "fc-export-2024-01-17-ancienne-nouvelle-certification", "fc-export-2024-01-17-ccn",
        "fc-export-2024-01-17-certificateurs", "fc-export-2026-02-01-ccn", "rome-v3-ogr-rome-2021")}
    assert len(described) == 30
    licences = mini_store.query("""PREFIX dcterms: <http://purl.org/dc/terms/>
        SELECT ?l WHERE { <https://w3id.org/certgraph/graph/fc-export-2026-02-01-rome> dcterms:license ?l }""")
    assert licences.values("l") == ["https://www.etalab.gouv.fr/licence-ouverte-open-licence/"]


def test_code_hierarchies_are_closed_reflexively_and_transitively(mini_store):
    """cg:broaderOrSelf: a code reaches itself and every code above it, never a code beside it."""
    def above(code):
        result = mini_store.query(f"""PREFIX cg: <https://w3id.org/certgraph/ontology#>
            SELECT ?a WHERE {{ <https://w3id.org/certgraph/id/{code}> cg:broaderOrSelf ?a }}""")
        return sorted(a.rsplit("/", 2)[-1] for a in result.values("a"))

    assert above("nsf/332n") == ["3", "33", "332", "332n"]
    assert above("rome/K1403") == ["K", "K14", "K1403"]
    # A code only a fiche carries (not in its code list) still reaches itself.
    orphans = mini_store.query("""PREFIX cg: <https://w3id.org/certgraph/ontology#>
        PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
        SELECT ?c WHERE { ?f cg:rome|cg:nsf|cg:formacode ?c FILTER NOT EXISTS { ?c cg:broaderOrSelf ?c } }""")
    assert orphans.rows == []
