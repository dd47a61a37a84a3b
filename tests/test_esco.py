"""The official ROME ↔ ESCO crosswalk: the reader on the real file, its RDF, the named queries and the fiche page.

Facts are the shipped file's (``data/rome_esco/``, see its SOURCE.md): the appellations of ROME K1403
and the ESCO occupations the crosswalk maps them to. The queries and the page run on the mini graph
(``mini_store``), which loads the crosswalk with the code lists.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import re
from collections import Counter
from pathlib import Path

import pytest
from rdflib import Literal, URIRef
from rdflib.namespace import SKOS

from certgraph.ingest.graph import concept_quads
from certgraph.queries import run_named
from certgraph.records import Loaded
from certgraph.sources.codelists import read_rome_v3
from certgraph.sources.rome_esco import read_rome_esco
from certgraph.store import to_python
from certgraph.vocab import CG, ID, graph_iri
from certgraph.web import pages
from certgraph.web.pages import resource_page

from . import test_pages as page_tests
from . import test_templates as template_tests

DATA = Path(__file__).resolve().parents[1] / "data"
CROSSWALK = DATA / "rome_esco" / "FR_20230104_mapping_esco_rome.csv"
WHERE = "rome_esco/FR_20230104_mapping_esco_rome.csv"
GRAPH = graph_iri("rome-esco-v1-4-2022-07-13")
ESCO = "http://data.europa.eu/esco/occupation/"
HEALTH = ESCO + "4a29eab1-5f02-4723-a863-e2d5a0614dfa"  # responsable d'établissement de santé
PRISON = ESCO + "6db9eeae-aef5-4f56-913d-4650e4c720c6"  # chef d'établissement pénitentiaire
SOCIAL = ESCO + "c18fddf5-cfc4-4f9c-94d6-86608faaa1dd"  # responsable de service social
SKOS_NS = str(SKOS)


def mappings(loaded: Loaded) -> dict[str, tuple[str, str, str | None]]:
    """Appellation code -> (relation, ESCO IRI, appellation label as printed); fails on a repeated appellation."""
    found = {}
    for occupation in loaded.concepts:
        for match in occupation.matched_by:
            assert match.scheme == "rome" and match.code not in found, match
            found[match.code] = (match.relation, ESCO + occupation.code, match.label)
    return found


@pytest.fixture(scope="module")
def crosswalk() -> Loaded:
    """The shipped crosswalk as the build reads it."""
    return read_rome_esco(CROSSWALK, root=DATA)


@pytest.fixture(scope="module")
def k1403() -> dict[str, str]:
    """The appellations of ROME K1403 in ROME v3.44: code OGR -> label."""
    return {c.code: c.label_fr for c in read_rome_v3(DATA / "rome").concepts if c.kind == "appellation" and c.broader == ["K1403"]}


# ------------------------------------------------------------------ the reader


def test_counts_per_relation_are_those_of_source_md(crosswalk):
    found = mappings(crosswalk)
    counts = Counter(relation for relation, _, _ in found.values())
    assert counts == {"broadMatch": 5086, "closeMatch": 4597, "exactMatch": 1144, "narrowMatch": 291}
    assert len(found) == 11118 and len(crosswalk.concepts) == 1915
    assert all(c.scheme == "esco" and c.kind == "occupation" and c.label_fr for c in crosswalk.concepts)
    # SOURCE.md states the same counts: the table under "Content".
    note = (DATA / "rome_esco" / "SOURCE.md").read_text(encoding="utf-8")
    stated = {name: int(count.replace(",", "")) for name, count in re.findall(r"^\| skos:(\w+) \| ([0-9,]+) \|$", note, re.M)}
    assert stated == counts


def test_the_source_is_named_and_dated_by_the_preamble(crosswalk):
    (source,) = crosswalk.sources
    assert source.key == "rome-esco-v1-4-2022-07-13"
    assert source.path == WHERE
    assert source.issued == dt.date(2022, 7, 13)
    assert source.title == (
        "Correspondance ROME V3.0 → ESCO 1.1 (appellations ROME, professions ESCO), table V1.4 du 13/07/2022"
    )
    assert source.publisher == "Pôle emploi - France"
    assert "etalab" not in source.licence.lower() and "© European Union" in source.licence
    assert source.origin.startswith("https://github.com/Avature/melo-benchmark/blob/59a5753")
    assert source.origin.endswith("/FR_20230104_mapping_esco_rome.csv")


def test_the_one_defect_of_the_file_is_reported_with_its_line(crosswalk):
    # Occupation 6040c941 is labelled twice; line 1406 prints a garbled label, which is the first.
    assert [(p.source, p.line, p.severity) for p in crosswalk.problems] == [(WHERE, 7983, "warning")]
    assert "6040c941-ab83-44b2-84e7-5cbfa1eafcdc" in crosswalk.problems[0].message
    occupation = next(c for c in crosswalk.concepts if c.code == "6040c941-ab83-44b2-84e7-5cbfa1eafcdc")
    assert occupation.label_fr.endswith("d'œuvres d'arte galerie d'art")


def test_the_appellations_of_k1403(crosswalk, k1403):
    found = mappings(crosswalk)
    assert len(k1403) == 47 and set(k1403) <= set(found)
    assert Counter(found[code][0] for code in k1403) == {"broadMatch": 30, "closeMatch": 13, "exactMatch": 4}
    # The four exact matches, and a few others: the relation reads from the appellation to the occupation.
    assert {code: found[code][:2] for code in k1403 if found[code][0] == "exactMatch"} == {
        "18956": ("exactMatch", HEALTH),  # Responsable d'établissement de santé
        "12508": ("exactMatch", PRISON),  # Chef d'établissement pénitentiaire
        "14292": ("exactMatch", ESCO + "eea2b5c6-48d1-4612-957e-585783b3c7bb"),  # Directeur de maison de retraite
        "14407": ("exactMatch", ESCO + "080fc550-b7ca-4576-aaf5-06fffbede994"),  # Directeur d'établissement thermal
    }
    assert found["14240"] == ("broadMatch", HEALTH, "Directeur / Directrice de clinique")
    assert found["14229"] == ("closeMatch", HEALTH, "Directeur / Directrice de centre hospitalier")
    assert found["14391"] == ("closeMatch", SOCIAL, "Directeur / Directrice d'établissement à caractère social")
    assert found["12084"][:2] == ("closeMatch", PRISON)
    assert k1403["14240"] == "Directeur / Directrice de clinique"
    labels = {ESCO + c.code: c.label_fr for c in crosswalk.concepts}
    assert labels[HEALTH] == "responsable d'établissement de santé"
    assert labels[PRISON] == "chef d'établissement pénitentiaire"
    # Elsewhere: a narrower ESCO occupation, and an appellation not in ROME v3.44 (a later one).
    assert found["15244"] == ("narrowMatch", ESCO + "f87779ae-7389-44e7-b155-16e87904857e", "Gemmologue")
    assert found["200200"][:2] == ("exactMatch", ESCO + "e81269d8-f301-4c82-9235-ba33ec9b0434")


def test_lf_line_ends_and_a_shorter_preamble_read_the_same(crosswalk, tmp_path):
    """The other published file has LF line ends and its header one line higher: found by its text."""
    lines = CROSSWALK.read_bytes().split(b"\r\n")
    assert lines[14:16] == [b"", b""] and lines[16].startswith(b"classification 1 ID,")
    copy = tmp_path / "rome_esco" / CROSSWALK.name
    copy.parent.mkdir()
    copy.write_bytes(b"\n".join(lines[:15] + lines[16:]))
    again = read_rome_esco(copy, root=tmp_path)
    assert mappings(again) == mappings(crosswalk)
    assert [(p.line, p.message) for p in again.problems] == [(7982, crosswalk.problems[0].message.replace("1406", "1405"))]


def test_bad_rows_are_reported_with_file_and_line_and_the_others_load(tmp_path):
    lines = CROSSWALK.read_bytes().decode("utf-8").split("\r\n")
    assert lines[17].startswith(ESCO + "699057b7") and ",13197," in lines[18] and ",13201," in lines[20]
    lines[17] = lines[17].replace("skos:broadMatch", "skos:relatedMatch")  # line 18
    lines[18] = lines[18].replace(",13197,", ",13197,extra,")  # line 19: six columns
    lines[19] = lines[19].replace(ESCO, "http://data.europa.eu/esco/skill/")  # line 20
    lines[20] = lines[20].replace(",13201,", ",x13201,")  # line 21
    copy = tmp_path / "rome_esco" / "bad.csv"
    copy.parent.mkdir()
    copy.write_bytes("\r\n".join(lines).encode("utf-8"))
    loaded = read_rome_esco(copy, root=tmp_path)
    bad = [(p.source, p.line) for p in loaded.problems if p.line != 7983]
    assert bad == [("rome_esco/bad.csv", 18), ("rome_esco/bad.csv", 19), ("rome_esco/bad.csv", 20), ("rome_esco/bad.csv", 21)]
    messages = [p.message for p in loaded.problems]
    assert "mapping relation 'skos:relatedMatch' is not one of" in messages[0]
    assert messages[1] == "expected 5 columns, found 6; row skipped"
    assert "is not an ESCO occupation IRI" in messages[2] and "is not a ROME appellation code" in messages[3]
    assert len(mappings(loaded)) == 11118 - 4
    assert not {"12862", "13197", "11987", "13201"} & set(mappings(loaded))
    assert mappings(loaded)["14240"] == ("broadMatch", HEALTH, "Directeur / Directrice de clinique")


def test_a_file_without_its_table_header_loads_nothing(tmp_path):
    copy = tmp_path / "rome_esco" / "headless.csv"
    copy.parent.mkdir()
    copy.write_bytes(CROSSWALK.read_bytes().replace(b"classification 1 ID,", b"ID,", 1))
    loaded = read_rome_esco(copy, root=tmp_path)
    assert loaded.concepts == [] and loaded.sources == []
    assert [(p.source, p.severity) for p in loaded.problems] == [("rome_esco/headless.csv", "error")]
    assert "classification 1 ID," in loaded.problems[0].message


# ------------------------------------------------------------------ RDF


def test_an_occupation_as_quads(crosswalk):
    occupation = next(c for c in crosswalk.concepts if ESCO + c.code == PRISON)
    quads = set(concept_quads(occupation))
    assert {g for *_, g in quads} == {GRAPH}
    esco = URIRef(PRISON)
    assert (esco, SKOS.prefLabel, Literal("chef d'établissement pénitentiaire", lang="fr"), GRAPH) in quads
    assert (esco, SKOS.inScheme, URIRef("http://data.europa.eu/esco/concept-scheme/occupations"), GRAPH) in quads
    assert (URIRef(ID + "rome/12508"), SKOS.exactMatch, esco, GRAPH) in quads
    assert (URIRef(ID + "rome/14383"), SKOS.broadMatch, esco, GRAPH) in quads
    assert (URIRef(ID + "rome/12508"), CG.citedLabel, Literal("Chef d'établissement pénitentiaire", lang="fr"), GRAPH) in quads
    # what the file does not state, the graph does not either
    assert not {p for _, p, _, _ in quads} & {SKOS.notation, SKOS.topConceptOf, SKOS.broader}


def test_the_crosswalk_graph_and_its_provenance_in_the_store(mini_store):
    rows = mini_store.query(
        "PREFIX dcterms: <http://purl.org/dc/terms/> SELECT ?issued ?title WHERE { GRAPH ?p "
        f"{{ <{GRAPH}> dcterms:issued ?issued ; dcterms:title ?title }} }}"
    ).rows
    assert [(str(r["issued"]), str(r["title"])) for r in rows] == [
        ("2022-07-13", "Correspondance ROME V3.0 → ESCO 1.1 (appellations ROME, professions ESCO), table V1.4 du 13/07/2022")
    ]
    counts = mini_store.query(
        f"SELECT ?p (COUNT(*) AS ?n) WHERE {{ GRAPH <{GRAPH}> {{ ?s ?p ?o }} FILTER(STRSTARTS(STR(?p), \"{SKOS_NS}\")) }} GROUP BY ?p"
    ).rows
    assert {str(r["p"])[len(SKOS_NS):]: to_python(r["n"]) for r in counts} == {
        "broadMatch": 5086, "closeMatch": 4597, "exactMatch": 1144, "narrowMatch": 291, "inScheme": 1915, "prefLabel": 1915,
    }


# ------------------------------------------------------------------ named queries


def rows(store, queries, name: str, **params) -> list[dict]:
    result = run_named(store, queries[name], params)
    return [{v: to_python(row.get(v)) for v in result.variables} for row in result.rows]


def test_esco_of_fiche(mini_store, queries):
    found = rows(mini_store, queries, "occupations/esco-of-fiche", fiche="RNCP35080")
    # RNCP35080's five ROME codes, every appellation under them mapped once, from the crosswalk's graph.
    assert Counter(r["rome"] for r in found) == {"K1403": 47, "K1802": 38, "M1302": 25, "K1206": 23, "M1301": 20}
    assert {r["source"] for r in found} == {str(GRAPH)}
    k1403 = [r for r in found if r["rome"] == "K1403"]
    # exact matches first, then by occupation
    assert [(r["appellation"][len(ID) :], r["relation"][len(SKOS_NS) :], r["esco"]) for r in k1403[:4]] == [
        ("rome/12508", "exactMatch", PRISON),
        ("rome/14407", "exactMatch", ESCO + "080fc550-b7ca-4576-aaf5-06fffbede994"),
        ("rome/14292", "exactMatch", ESCO + "eea2b5c6-48d1-4612-957e-585783b3c7bb"),
        ("rome/18956", "exactMatch", HEALTH),
    ]
    clinic = next(r for r in k1403 if r["appellation"] == ID + "rome/14240")
    assert clinic == {
        "rome": "K1403", "appellation": ID + "rome/14240", "appellationLabel": "Directeur / Directrice de clinique",
        "relation": SKOS_NS + "broadMatch", "esco": HEALTH, "escoLabel": "responsable d'établissement de santé",
        "source": str(GRAPH),
    }


def test_fiches_of_esco(mini_store, queries):
    found = rows(mini_store, queries, "occupations/fiches-of-esco", esco=HEALTH)
    # Every fiche of the mini graph coded K1403, by the 18 appellations of K1403 mapped to the occupation.
    assert [(r["number"], r["rome"], r["relation"][len(SKOS_NS) :], r["appellations"]) for r in found if r["number"] == "RNCP35080"] == [
        ("RNCP35080", "K1403", "exactMatch", 1), ("RNCP35080", "K1403", "closeMatch", 8), ("RNCP35080", "K1403", "broadMatch", 9),
    ]
    assert sorted({r["number"] for r in found}) == ["RNCP28720", "RNCP35080", "RNCP41296", "RNCP41336", "RNCP5385"]
    # the reverse of esco-of-fiche: the same appellations
    back = [r for r in rows(mini_store, queries, "occupations/esco-of-fiche", fiche="RNCP35080") if r["esco"] == HEALTH]
    assert len(back) == 18 and {r["rome"] for r in back} == {"K1403"}
    assert rows(mini_store, queries, "occupations/fiches-of-esco", esco=ESCO + "f87779ae-7389-44e7-b155-16e87904857e") == []


# ------------------------------------------------------------------ the fiche page


def test_the_fiche_page_lists_its_esco_occupations(mini_store, queries):
    html = asyncio.run(resource_page(ID + "rncp/35080", page_tests.runner(mini_store), queries))
    page = page_tests.Page(html)
    links = [(href, text) for section, href, text in page.links if section == "esco"]
    assert (HEALTH, "responsable d'établissement de santé") in links
    assert (PRISON, "chef d'établissement pénitentiaire") in links
    assert ("/id/rome/K1403", "K1403") in links and ("/id/rome/14240", "Directeur / Directrice de clinique") in links
    text = page.text("esco")
    assert "responsable d'établissement de santé correspondance exacte K1403 Responsable d'établissement de santé" in text
    assert "responsable d'établissement de santé correspondance plus large K1403 Directeur / Directrice de centre" in text
    assert "correspondance proche" in text
    assert "correspondance plus étroite M1302 Responsable de structure d'insertion socioprofessionnelle" in text
    # one row per occupation and relation: 28 occupations, 48 rows (10 exact, 23 close, 14 broad, 1 narrow)
    assert len({href for href, _ in links if href.startswith(ESCO)}) == 28
    assert page.section("esco").count("<tr") == 1 + 48
    assert [text.count(f"correspondance {word}") for word in ("exacte", "proche", "plus large", "plus étroite")] == [10, 23, 14, 1]
    assert '<a href="http://data.europa.eu/esco/occupation/4a29eab1-5f02-4723-a863-e2d5a0614dfa" lang="fr">' in html


@pytest.mark.parametrize("value", template_tests.HOSTILE)
def test_the_section_keeps_hostile_values_inert(value):
    """Labels and IRIs from the data (or a hostile store) stay text; a javascript: IRI is no link."""
    row = {
        name: {"type": "uri" if name in ("esco", "appellation", "relation") else "literal", "value": value}
        for name in ("rome", "appellation", "appellationLabel", "relation", "esco", "escoLabel")
    }
    row["esco"] = {"type": "uri", "value": template_tests.JAVASCRIPT}
    section = pages._esco_section([row])
    template_tests.assert_inert(str(section.body))
    assert 'href="javascript' not in str(section.body).lower()
