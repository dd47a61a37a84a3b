"""Named queries: loading, parameter binding, pinned results on the seed data, and the same rows on
the embedded store and on a plain rdflib Dataset."""

from __future__ import annotations

import datetime as dt
import random
import re
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from rdflib import Dataset, Literal
from rdflib.namespace import DCTERMS, RDFS, SKOS, XSD

from certgraph.ingest.hierarchy import hierarchy_quads
from certgraph.ingest.listings import listing_lines
from certgraph.ingest.reconcile import current_quads, reconcile
from certgraph.ingest.summaries import summary_quads
from certgraph.queries import (
    QueryError,
    inject_values,
    load_queries,
    parse_named_query,
    run_named,
)
from certgraph.records import Certifier, CodeRef, Fiche, SourceRef
from certgraph.store import OxigraphStore, RdflibStore, index_path, to_python
from certgraph.vocab import (
    CG,
    CURRENT_GRAPH,
    ID,
    SUGGESTION_GRAPH,
    SUMMARY_GRAPH,
    concept_iri,
    eqf_iri,
    fiche_iri,
    graph_iri,
    org_iri,
)


def normalised(result):
    """Rows as sorted tuples of (variable, lexical form, datatype, language)."""
    return sorted(
        tuple(sorted((k, str(v), str(getattr(v, "datatype", None) or ""), getattr(v, "language", None) or "") for k, v in row.items()))
        for row in result.rows
    )


@pytest.fixture(scope="module")
def mini_summarised(mini_build):
    """The mini graph with its derived summary (built at build time), in an in-memory store and in rdflib.

    For the queries that read ``graph/derived/summary``; adding the summary to a store that already
    holds it changes nothing.
    """
    return mini_with(mini_build, summary_quads)


def mini_with(mini_build, make_quads):
    """The mini graph plus the quads ``make_quads(store)`` computes from it, in an in-memory store and in rdflib."""
    store = OxigraphStore.in_memory()
    store.load_nquads(mini_build.dump)
    quads = make_quads(store)
    store.add_quads(quads)
    reference = RdflibStore.from_nquads(mini_build.dump)
    for quad in quads:
        reference.dataset.add(quad)
    return store, reference


@pytest.fixture(scope="module")
def mini_suggested(mini_build):
    """The mini graph with the suggestion the suggester makes for RNCP35080 once its stated link
    from RNCP28720 is hidden (the mini register has no fiche without a predecessor to suggest for)."""
    from certgraph.equivalence.descriptors import read_descriptors
    from certgraph.equivalence.index import EquivalenceIndex
    from certgraph.equivalence.suggest import suggest
    from certgraph.ingest.equivalence import Evidence, suggestion_quads

    def hidden_link_suggestion(store):
        descriptors = read_descriptors(store)
        found = suggest(EquivalenceIndex.build(descriptors), predecessors={"RNCP41336", "RNCP28720", "RNCP5385"},
                        successors={"RNCP5385", "RNCP1611", "RNCP35080"}, fiches=["RNCP35080"], min_score=0.0)
        return suggestion_quads(found, Evidence(descriptors))
    return mini_with(mini_build, hidden_link_suggestion)


# Named queries that read the derived summary rather than the facts.
READS_SUMMARY = {"stats/overview"}
# Named queries that read the block maps (derived/block-maps).
READS_SUGGESTIONS = {"lineage/suggested"}


def stores_for(name, request):
    """The (embedded, rdflib) stores a named query is checked on: the mini graph, with its summary or a suggestion if needed."""
    if name in READS_SUMMARY:
        return request.getfixturevalue("mini_summarised")
    if name in READS_SUGGESTIONS:
        return request.getfixturevalue("mini_suggested")
    return request.getfixturevalue("mini_store"), request.getfixturevalue("mini_rdflib")


def column(store, queries, name, var, **params):
    return [to_python(row.get(var)) for row in run_named(store, queries[name], params).rows]


# Each named query, run with its declared example on the seed data, against a pinned expectation.
PINNED = {
    "lineage/ancestors": lambda s, q: column(s, q, "lineage/ancestors", "number", fiche="RNCP35080") == ["RNCP1611", "RNCP5385", "RNCP28720"],
    "lineage/descendants": lambda s, q: sorted(column(s, q, "lineage/descendants", "number", fiche="RNCP28720")) == ["RNCP35080", "RNCP41336"],
    "lineage/current": lambda s, q: column(s, q, "lineage/current", "number", fiche="RNCP28720") == ["RNCP41336"],
    "lineage/members": lambda s, q: sorted(column(s, q, "lineage/members", "number", fiche="RNCP35080")) == ["RNCP1611", "RNCP28720", "RNCP35080", "RNCP41336", "RNCP5385"],
    # the four links of the lineage, and Certif Info's RNCP5385 -> RNCP35080, superseded by the 2026 table
    "lineage/links": lambda s, q: (
        {(p, n) for p, n in zip(column(s, q, "lineage/links", "predecessorNumber", fiche="RNCP35080"), column(s, q, "lineage/links", "successorNumber", fiche="RNCP35080"))}
        == {("RNCP1611", "RNCP5385"), ("RNCP5385", "RNCP28720"), ("RNCP28720", "RNCP35080"), ("RNCP35080", "RNCP41336"), ("RNCP5385", "RNCP35080")}
        and set(column(s, q, "lineage/links", "supersededBy", fiche="RNCP35080")) == {None, "https://w3id.org/certgraph/graph/fc-export-2026-02-01-ancienne-nouvelle-certification"}),
    # RNCP28720 -> RNCP35080: BC02 and BC03 keep their labels, BC04 is rewritten, BC01 reworded past 0.3
    "lineage/block-map": lambda s, q: [(k, o, n) for k, o, n in zip(*(column(s, q, "lineage/block-map", v, fiche="RNCP35080") for v in ("kind", "oldCode", "newCode")))] == [
        ("continues", "RNCP28720BC02", "RNCP35080BC02"), ("continues", "RNCP28720BC03", "RNCP35080BC03"),
        ("disappeared", "RNCP28720BC01", None), ("new", None, "RNCP35080BC01"), ("renamed", "RNCP28720BC04", "RNCP35080BC04")],
    "lineage/registrations": lambda s, q: column(s, q, "lineage/registrations", "actDate", fiche="RNCP35080") == ["2003-03-17", "2004-02-19", "2007-03-30", "2012-08-10", "2017-07-07"],
    "fiche/summary": lambda s, q: {r for r in column(s, q, "fiche/summary", "label", fiche="RNCP35080") if r} >= {"CONSERVATOIRE NATIONAL DES ARTS ET METIERS", "Niveau 7"},
    "fiche/blocks": lambda s, q: len(column(s, q, "fiche/blocks", "competency", fiche="RNCP41296")) == 27,
    "fiche/by-level": lambda s, q: column(s, q, "fiche/by-level", "number", level="7") == ["RNCP5385", "RNCP28720", "RNCP35080", "RNCP41296"],
    "fiche/by-certifier": lambda s, q: column(s, q, "fiche/by-certifier", "number", certifier="32949147600019") == ["RNCP41296"],
    # The successor or the predecessor first in lineage mode (certifier, register and dates agree).
    "fiche/nearest": lambda s, q: column(s, q, "fiche/nearest", "number", fiche="RNCP35080", mode="lineage")[0] in {"RNCP41336", "RNCP28720"}
    and "RNCP41296" in column(s, q, "fiche/nearest", "number", fiche="RNCP35080", mode="content"),
    # With its stated link hidden, RNCP35080's predecessor RNCP28720 is found again and suggested.
    "lineage/suggested": lambda s, q: list(zip(column(s, q, "lineage/suggested", "predecessorNumber", minScore="0"), column(s, q, "lineage/suggested", "successorNumber", minScore="0"))).count(("RNCP28720", "RNCP35080")) == 1,
    "codes/by-rome": lambda s, q: column(s, q, "codes/by-rome", "code", rome="K18") == ["K1802", "K1802", "K1802"],
    "codes/by-nsf": lambda s, q: sorted(set(column(s, q, "codes/by-nsf", "code", nsf="33"))) == ["330", "330p", "332n"],
    "codes/by-formacode": lambda s, q: column(s, q, "codes/by-formacode", "code", formacode="32154") == ["32135", "32142", "32135", "32135", "32142"],
    # The crosswalk maps all 47 appellations of K1403: "Responsable d'établissement de santé" (18956) exactly.
    "occupations/esco-of-fiche": lambda s, q: column(s, q, "occupations/esco-of-fiche", "rome", fiche="RNCP35080").count("K1403") == 47
    and ("https://w3id.org/certgraph/id/rome/18956", "http://www.w3.org/2004/02/skos/core#exactMatch", "http://data.europa.eu/esco/occupation/4a29eab1-5f02-4723-a863-e2d5a0614dfa")
    in zip(*(column(s, q, "occupations/esco-of-fiche", v, fiche="RNCP35080") for v in ("appellation", "relation", "esco"))),
    # 18 appellations of K1403 lead to it (1 exact, 8 close, 9 broad), for each fiche coded K1403.
    "occupations/fiches-of-esco": lambda s, q: column(s, q, "occupations/fiches-of-esco", "appellations", esco="http://data.europa.eu/esco/occupation/4a29eab1-5f02-4723-a863-e2d5a0614dfa")[:3] == [1, 8, 9]
    and sorted(set(column(s, q, "occupations/fiches-of-esco", "number", esco="http://data.europa.eu/esco/occupation/4a29eab1-5f02-4723-a863-e2d5a0614dfa"))) == ["RNCP28720", "RNCP35080", "RNCP41296", "RNCP41336", "RNCP5385"],
    "search/competencies": lambda s, q: column(s, q, "search/competencies", "code", text="RECHERCHE ACTION") == ["RNCP35080BC04"],
    "compare/codes": lambda s, q: len(column(s, q, "compare/codes", "code", left="RNCP35080", right="RNCP41296")) == 15,
    "snapshot/fiche-at": lambda s, q: "RNCP41336" in column(s, q, "snapshot/fiche-at", "valueLabel", fiche="RNCP35080", date="2026-03-01")
    and "RNCP41336" not in column(s, q, "snapshot/fiche-at", "valueLabel", fiche="RNCP35080", date="2025-01-01"),
    "stats/overview": lambda s, q: dict(zip(column(s, q, "stats/overview", "what"), column(s, q, "stats/overview", "count")))["blocks"] == 12,
}


def test_every_named_query_has_a_pinned_result(queries):
    assert sorted(PINNED) == sorted(queries)


@pytest.mark.parametrize("name", sorted(PINNED))
def test_named_query_pinned_result(name, queries, request):
    store, _ = stores_for(name, request)
    assert PINNED[name](store, queries)


@pytest.mark.parametrize("name", sorted(PINNED))
def test_same_rows_on_embedded_store_and_rdflib(name, mini_store, queries, request):
    store, reference = stores_for(name, request)
    query = queries[name]
    # A search parameter reads the store's full-text index: the rdflib run gets the same hits.
    expected = normalised(run_named(reference, query, query.example_values(), index=index_path(mini_store.path)))
    assert normalised(run_named(store, query, query.example_values())) == expected
    assert expected, f"{name}: the example must return rows, or the comparison proves nothing"


_LIVE_COUNTS = (
    "SELECT ?class (COUNT(DISTINCT ?x) AS ?count) "
    f"WHERE {{ GRAPH ?g {{ ?x a ?class }} FILTER(?g != <{SUMMARY_GRAPH}>) }} GROUP BY ?class"
)
_STORED_COUNTS = (
    f"PREFIX void: <http://rdfs.org/ns/void#> SELECT ?class ?count WHERE {{ GRAPH <{SUMMARY_GRAPH}> "
    "{ ?partition void:class ?class ; void:entities ?count } }"
)


def test_summary_holds_what_a_live_count_finds(mini_summarised, queries):
    store, _ = mini_summarised
    live = {str(row["class"]): to_python(row["count"]) for row in store.query(_LIVE_COUNTS).rows}
    assert {str(row["class"]): to_python(row["count"]) for row in store.query(_STORED_COUNTS).rows} == live
    overview = dict(zip(column(store, queries, "stats/overview", "what"), column(store, queries, "stats/overview", "count")))
    assert overview["RNCP certifications"] == live[str(CG.RNCPCertification)]
    assert overview["blocks"] == live[str(CG.CompetencyBlock)]
    # The coverage, stored as property partitions, is what a scan of the reconciled view counts.
    titled = ("SELECT (COUNT(DISTINCT ?f) AS ?n) WHERE { GRAPH <%s> { ?f a <%s> ; <%s> ?t } }"
              % (CURRENT_GRAPH, CG.RNCPCertification, DCTERMS.title))
    assert overview["RNCP certifications with a title"] == to_python(store.query(titled).rows[0]["n"]) > 0


def _register_sample(size: int = 230):
    """Quads of fiches whose number order is not their numeric order, each stated in two sources.

    Every fiche is at EQF level 6, awarded by one certifier, titled differently by each source and
    coded NSF 332n, 332p or both (two lettered specialties of group 332); a snapshot's state of each
    fiche (no number) states the same level and certifier.
    """
    rng = random.Random(5)
    numbers = sorted({f"{rng.choice(['RNCP', 'RNCP', 'RS'])}{rng.randint(1, 10 ** rng.randint(1, 5))}" for _ in range(size)})
    org, group = org_iri("12345678900011", ""), concept_iri("nsf", "332")
    quads = [(concept_iri("nsf", code), SKOS.broader, group, graph_iri("nsf")) for code in ("332n", "332p")]
    codes, records = {}, []
    sources = {"a": SourceRef("a", "a", "a", issued=dt.date(2024, 1, 1)), "b": SourceRef("b", "b", "b", issued=dt.date(2026, 1, 1))}
    for i, number in enumerate(numbers):
        node = fiche_iri(number)
        codes[number] = [["332n"], ["332p"], ["332n", "332p"]][i % 3]
        for source in ("a", "b"):
            g = graph_iri(source)
            quads += [(node, CG.number, Literal(number), g), (node, CG.eqfLevel, eqf_iri(6), g), (node, CG.certifier, org, g)]
            quads += [(node, CG.nsf, concept_iri("nsf", code), g) for code in codes[number]]
            quads.append((node, DCTERMS.title, Literal(f"Titre {number} ({source})"), g))
            records.append(Fiche(number, sources[source], title=f"Titre {number} ({source})", level_eqf=6,
                                 certifiers=[Certifier("", "12345678900011")], nsf=[CodeRef(c) for c in codes[number]]))
        state, g = ID[f"snapshot/2026-02-01/{str(node).removeprefix(str(ID))}"], graph_iri("snapshot/2026-02-01")
        quads += [(state, CG.stateOf, node, g), (state, CG.eqfLevel, eqf_iri(6), g), (state, CG.certifier, org, g)]
    quads += current_quads(reconcile(records))  # the reconciled view: source b's, the newer
    sample = OxigraphStore.in_memory()
    sample.add_quads(quads)
    quads += hierarchy_quads(sample)  # as the build derives it
    sample.add_quads(quads)
    listings = Dataset()
    listings.parse(data="".join(listing_lines(sample)), format="nquads")
    return quads + [(s, p, o, g) for s, p, o, g in listings.quads()], codes


@pytest.mark.parametrize(
    "name, params, columns",
    [
        ("fiche/by-level", {"level": "6"}, ("number",)),
        ("fiche/by-certifier", {"certifier": "12345678900011"}, ("number",)),
        ("codes/by-nsf", {"nsf": "332"}, ("number", "code")),
    ],
)
def test_paged_queries_give_the_first_100_rows_in_number_order(name, params, columns, queries):
    """The page is cut on the listing keys stored at build time: it must pick the rows the number
    order picks (RNCP before RS, then by the number's value: RNCP367 before RNCP10102), and so must
    the next page."""
    quads, codes = _register_sample()
    assert len(codes) == 190  # random.Random(5)'s 230 draws, duplicates dropped: more than a page of 100
    store, reference = OxigraphStore.in_memory(), RdflibStore()
    store.add_quads(quads)
    for quad in quads:
        reference.dataset.add(quad)
    matches = sorted(((number, code) for number, found in codes.items() for code in found), key=number_order)
    expected = matches if "code" in columns else sorted({(number,) for number, _ in matches}, key=number_order)
    for engine in (store, reference):
        rows = run_named(engine, queries[name], params).rows
        assert [tuple(str(row[c]) for c in columns) for row in rows] == expected[:100]
        assert all(str(row["title"]) == f"Titre {row['number']} (b)" for row in rows)  # the newer source's
        rows = run_named(engine, queries[name], {**params, "offset": 100}).rows
        assert [tuple(str(row[c]) for c in columns) for row in rows] == expected[100:200]


def test_a_fiche_whose_number_does_not_fit_the_listing_keys_is_reported_not_listed():
    store = OxigraphStore.in_memory()
    big, small = fiche_iri("RNCP12345678"), fiche_iri("RNCP35080")
    store.add_quads([(fiche, CG.eqfLevel, eqf_iri(6), CURRENT_GRAPH) for fiche in (big, small)])
    problems = []
    lines = list(listing_lines(store, problems))
    assert [(p.fiche, "seven" in p.message or "digits" in p.message) for p in problems] == [("RNCP12345678", True)]
    assert any(f"<{small}>" in line for line in lines) and not any(f"<{big}>" in line for line in lines)


def test_suggested_links_come_best_first_a_page_at_a_time(queries):
    """lineage/suggested cuts its pages on the score, equal scores in the order of the links' IRIs
    (predecessor, then fiche, as text); two pages of 100 are the first 200 of that order, from either
    engine, and a link under minScore is in none."""
    rng = random.Random(3)
    quads, links = [], []
    for _ in range(300):
        old, new, score = f"RNCP{rng.randint(1, 99999)}", f"RS{rng.randint(1, 9999)}", rng.choice(["3.5", "12.25", "40.0", f"{rng.randint(5, 90)}.1"])
        link = ID[f"suggested-link/equivalence-v1/{old}/{new}"]
        quads += [(link, CG.predecessor, fiche_iri(old), SUGGESTION_GRAPH), (link, CG.successor, fiche_iri(new), SUGGESTION_GRAPH),
                  (link, CG.score, Literal(score, datatype=XSD.decimal), SUGGESTION_GRAPH),
                  (fiche_iri(old), CG.number, Literal(old), CURRENT_GRAPH), (fiche_iri(new), CG.number, Literal(new), CURRENT_GRAPH)]
        if float(score) >= 5:
            links.append((-float(score), str(link), old, new))
    expected = [(old, new) for _, _, old, new in sorted(set(links))]
    assert len(expected) > 200
    store, reference = OxigraphStore.in_memory(), RdflibStore()
    store.add_quads(quads)
    for quad in quads:
        reference.dataset.add(quad)
    for engine in (store, reference):
        pages = [run_named(engine, queries["lineage/suggested"], {"minScore": "5", "offset": offset}).rows for offset in (0, 100)]
        assert [(str(r["predecessorNumber"]), str(r["successorNumber"])) for page in pages for r in page] == expected[:200]


def number_order(row: tuple) -> tuple:
    """A row's order in a listing: register, the number's value, then the other columns."""
    register, digits = re.fullmatch(r"([A-Z]+)([0-9]+)", row[0]).groups()
    return (register, int(digits), *row[1:])


def test_every_query_documents_itself(queries):
    for query in queries.values():
        assert query.summary and all(p.example and p.type for p in query.params), query.name


def test_bad_parameter_values_are_rejected(queries):
    with pytest.raises(QueryError, match="fiche="):
        queries["lineage/ancestors"].bind({"fiche": "35080"})
    with pytest.raises(QueryError, match="ROME"):
        queries["codes/by-rome"].bind({"rome": "K1403> } UNION { ?s ?p ?o"})
    with pytest.raises(QueryError, match="missing"):
        queries["compare/codes"].bind({"left": "RNCP35080"})
    with pytest.raises(QueryError, match="unknown parameter"):
        queries["lineage/ancestors"].bind({"fiche": "RNCP35080", "other": "x"})


_FICHE_1 = fiche_iri("RNCP1")
_BLOCK_1 = ID["rncp/1/bloc/RNCP1BC01"]
_HIT = ID["rncp/1/bloc/RNCP1BC01/competence/x"]
_OTHER = ID["rncp/1/bloc/RNCP1BC01/competence/y"]  # in the block but not a hit: no row of its own


def _one_block_store() -> OxigraphStore:
    """A fiche, its block and two competencies, of which only ``_HIT`` is an index hit."""
    g = graph_iri("test")
    store = OxigraphStore.in_memory()
    store.add_quads([
        (_FICHE_1, CG.number, Literal("RNCP1"), g),
        (_BLOCK_1, SKOS.notation, Literal("RNCP1BC01"), g),
        (_BLOCK_1, DCTERMS.isPartOf, _FICHE_1, g),
        (_BLOCK_1, CG.competency, _HIT, g),
        (_BLOCK_1, CG.competency, _OTHER, g),
        (_HIT, RDFS.label, Literal("Conduire une recherche action"), g),
        (_OTHER, RDFS.label, Literal("Rédiger un rapport"), g),
    ])
    return store


_ONE_BLOCK = _one_block_store()


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=st.sampled_from(list('"\'{}<>\\\n#?$ UNIONSELECTabc:/.')), max_size=40))
def test_string_parameters_are_bound_never_executed(text):
    """Whatever the text, it stays one literal: the query parses, has one VALUES row per index hit,
    and answers the hit's one row, as it does for plain words."""
    queries = load_queries()
    query = queries["search/competencies"]
    if not text.strip():
        with pytest.raises(QueryError):
            query.bind({"text": text})
        return
    bound = query.bind({"text": text}, hits=[str(_HIT)])
    rows = [{k: to_python(v) for k, v in row.items()} for row in _ONE_BLOCK.query(bound).rows]
    assert rows == [{"hitRank": 1, "number": "RNCP1", "code": "RNCP1BC01", "competency": "Conduire une recherche action"}]
    assert bound.count("VALUES (?text ?hit ?hitRank)") == 1


def test_inject_values_skips_braces_in_strings_comments_and_iris():
    text = 'PREFIX x: <http://e/{a}>\n# WHERE { not here\nSELECT ?s WHERE { ?s ?p "}{ WHERE" }'
    bound = inject_values(text, "VALUES ?s { <urn:x> }")
    assert bound.endswith('WHERE { VALUES ?s { <urn:x> } ?s ?p "}{ WHERE" }')


def test_broken_query_file_names_file_and_line(tmp_path: Path):
    bad = tmp_path / "bad.rq"
    bad.write_text("#+ summary: broken\n#+ params:\n#+   - {name: fiche, type: fiche, example: RNCP1}\nSELECT ?fiche WHERE { ?fiche ?p }\n")
    with pytest.raises(QueryError, match=r"bad\.rq:\d+"):
        parse_named_query(bad, "bad")
    unused = tmp_path / "unused.rq"
    unused.write_text("#+ summary: unused parameter\n#+ params:\n#+   - {name: nope, type: fiche, example: RNCP1}\nSELECT ?s WHERE { ?s ?p ?o }\n")
    with pytest.raises(QueryError, match="unused.rq:1: parameter nope is not used"):
        parse_named_query(unused, "unused")
    headless = tmp_path / "headless.rq"
    headless.write_text("SELECT ?s WHERE { ?s ?p ?o }\n")
    with pytest.raises(QueryError, match="needs a summary"):
        parse_named_query(headless, "headless")


def test_many_parameter_binds_one_row_per_value(tmp_path: Path):
    """``many: true``: a list of values, one VALUES row each, every value checked against its type."""
    path = tmp_path / "numbers.rq"
    path.write_text(
        "#+ summary: The numbers of fiches\n#+ params:\n"
        "#+   - {name: fiche, type: fiche, many: true, example: RNCP1}\n"
        "#+   - {name: minimum, type: integer, example: 1}\n"
        "PREFIX cg: <https://w3id.org/certgraph/ontology#>\n"
        "SELECT ?fiche ?number WHERE { ?fiche cg:number ?number FILTER(?minimum > 0) }\n")
    query = parse_named_query(path, "numbers")
    assert [(p.name, p.many) for p in query.params] == [("fiche", True), ("minimum", False)]
    g = graph_iri("test")
    store = OxigraphStore.in_memory()
    store.add_quads([(fiche_iri(f"RNCP{n}"), CG.number, Literal(f"RNCP{n}"), g) for n in (1, 2, 3)])
    bound = query.bind({"fiche": ["RNCP1", "RNCP3"], "minimum": "1"})
    assert "VALUES (?fiche ?minimum) { (<https://w3id.org/certgraph/id/rncp/1> 1) (<https://w3id.org/certgraph/id/rncp/3> 1) }" in bound.replace(
        '"1"^^<http://www.w3.org/2001/XMLSchema#integer>', "1")
    assert sorted(store.query(bound).values("number")) == ["RNCP1", "RNCP3"]
    assert store.query(query.bind({"fiche": "RNCP2", "minimum": "1"})).values("number") == ["RNCP2"]  # one value
    assert store.query(query.bind({"fiche": [], "minimum": "1"})).rows == []  # no value, no row
    with pytest.raises(QueryError, match="fiche='35080'"):
        query.bind({"fiche": ["RNCP1", "35080"], "minimum": "1"})
    path.write_text(path.read_text().replace("many: true", "many: often"))
    with pytest.raises(QueryError, match="many must be true or false"):
        parse_named_query(path, "numbers")
