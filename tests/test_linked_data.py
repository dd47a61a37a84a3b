"""Linked-data conventions over HTTP: a real ``certgraph serve`` of the mini store on loopback.

The JSON-LD context (served, and named by every JSON-LD answer of these routes), the DCAT catalogue
and its dump distribution, named graphs and EQF levels dereferenced, the ontology as a page, and the
named queries as SHACL SPARQL executables (the SIB sparql-examples convention), checked against
the repository's ``queries/sparql-examples.ttl`` and against the SIB project's own shape.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import httpx
import pyoxigraph as ox
import pytest
import rdflib
from rdflib import Literal, URIRef
from rdflib.compare import isomorphic
from rdflib.namespace import DCAT, DCTERMS, RDF, RDFS, SKOS, VOID, XSD

from certgraph.resources import ontology_path
from certgraph.vocab import CURIES, GRAPH
from certgraph.web.conneg import GRAPH_TYPES
from certgraph.web.jinja import ENV, render, stylesheet
from certgraph.web.linked_data import EXAMPLES_FILE, example_iri, json_ld, sparql_examples_turtle

from .test_templates import HOSTILE, JAVASCRIPT, TEMPLATES, assert_inert

SH = rdflib.Namespace("http://www.w3.org/ns/shacl#")
SCHEMA = rdflib.Namespace("https://schema.org/")
CG = rdflib.Namespace(CURIES["cg"])
EQF7 = URIRef("http://data.europa.eu/snb/eqf/7")
ETALAB = URIRef("https://www.etalab.gouv.fr/licence-ouverte-open-licence/")
BROWSER = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
ANCESTORS = {"RNCP1611", "RNCP5385", "RNCP28720"}
# The SIB sparql-examples' own check of an example (sparql-examples-utils,
# ValidateSparqlExamplesWithSHACLTest): one query text, a comment with a language or as HTML, a target.
SIB_SHAPE = """
PREFIX sh: <http://www.w3.org/ns/shacl#>
PREFIX schema: <https://schema.org/>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
PREFIX rdf: <http://www.w3.org/1999/02/22-rdf-syntax-ns#>
[] sh:targetClass sh:SPARQLExecutable ;
  sh:property [ sh:path [ sh:alternativePath ( sh:select sh:ask sh:describe sh:construct ) ] ; sh:maxCount 1 ; sh:minCount 1 ] ,
    [ sh:path rdfs:comment ; sh:minCount 1 ; sh:or ( [ sh:datatype rdf:langString ] [ sh:datatype rdf:HTML ] ) ] ,
    [ sh:path schema:target ; sh:minCount 1 ] ,
    [ sh:path schema:keyword ; sh:maxCount 0 ] .
"""


@pytest.fixture(scope="module")
def server(mini_server):
    """The base URL of ``certgraph serve`` over the mini store (see conftest)."""
    return mini_server


def get(server: str, path: str, accept: str | None = None) -> httpx.Response:
    return httpx.get(server + path, headers={"accept": accept} if accept else {}, timeout=30)


def graph_of(response: httpx.Response) -> rdflib.Graph:
    """The RDF of an answer, parsed by its media type (a JSON-LD context is fetched from the server)."""
    assert response.status_code == 200, response.text
    media_type = response.headers["content-type"].split(";")[0]
    return rdflib.Graph().parse(data=response.text, format={"text/turtle": "turtle", "application/ld+json": "json-ld",
                                                          "application/n-triples": "nt"}[media_type],
                                publicID=str(response.url))


# ------------------------------------------------------------------ the JSON-LD context


def test_the_context_holds_every_prefix_and_terms_of_the_ontology(server):
    response = get(server, "/context.jsonld")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/ld+json"
    assert response.headers["access-control-allow-origin"] == "*"
    context = response.json()["@context"]
    assert {p: context[p] for p in CURIES} == CURIES
    ontology = rdflib.Graph().parse(ontology_path())
    short = {term: (d["@id"] if isinstance(d, dict) else d) for term, d in context.items() if term not in CURIES}
    assert {"title", "number", "eqfLevel", "replaces", "downloadURL", "byteSize"} <= set(short)
    for term, curie in short.items():
        if curie.startswith("cg:"):
            assert (CG[curie[3:]], None, None) in ontology, f"{term}: {curie} is not in the ontology"


def test_json_ld_answers_are_compacted_with_the_served_context():
    triples = [ox.Triple(ox.NamedNode("https://w3id.org/certgraph/id/rncp/35080"), ox.NamedNode(str(DCTERMS.title)), ox.Literal("Manager"))]
    document = json.loads(json_ld(triples, "http://127.0.0.1/context.jsonld"))
    assert document["@context"] == "http://127.0.0.1/context.jsonld"
    assert document["title"] == "Manager" and document["@id"] == "https://w3id.org/certgraph/id/rncp/35080"


# ------------------------------------------------------------------ the catalogue


def test_the_catalogue_distributes_the_dump(server, mini_build):
    graph = graph_of(get(server, "/catalog", "text/turtle"))
    catalog = URIRef(server + "/catalog")
    assert (catalog, RDF.type, DCAT.Catalog) in graph
    dataset = URIRef("https://w3id.org/certgraph/id/dataset")
    assert (catalog, DCAT.dataset, dataset) in graph
    dump = graph.value(dataset, DCAT.distribution)
    assert dump == URIRef(server + "/dump.nq")
    assert graph.value(dump, DCAT.byteSize) == Literal(mini_build.dump.stat().st_size, datatype=XSD.nonNegativeInteger)
    assert graph.value(dump, DCAT.mediaType) == URIRef("http://www.iana.org/assignments/media-types/application/n-quads")
    assert graph.value(dump, DCTERMS.modified).datatype == XSD.date
    assert ETALAB in set(graph.objects(dump, DCTERMS.license))
    # The counts and licences are VoID's.
    void = graph_of(get(server, "/.well-known/void", "text/turtle"))
    assert graph.value(dataset, VOID.triples) == void.value(dataset, VOID.triples)
    assert set(graph.objects(dump, DCTERMS.license)) == set(void.objects(dataset, DCTERMS.license))
    sources = set(graph.objects(catalog, DCAT.dataset)) - {dataset}
    assert sources == {g for g in void.subjects(DCTERMS.license, None) if str(g).startswith(str(GRAPH))}
    assert URIRef(GRAPH["rncp-info-2021"]) in sources and len(sources) == 23
    assert (URIRef(server + "/sparql"), DCAT.servesDataset, dataset) in graph


def test_the_catalogue_in_json_ld_names_the_context_and_reads_the_same(server):
    response = get(server, "/catalog", "application/ld+json")
    assert response.json()["@context"] == server + "/context.jsonld"
    assert isomorphic(graph_of(response), graph_of(get(server, "/catalog", "text/turtle")))


@pytest.mark.parametrize("accept", sorted(set(GRAPH_TYPES)))
def test_the_catalogue_answers_every_rdf_type(server, accept):
    response = get(server, "/catalog", accept)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith(accept)


def test_the_catalogue_page_for_a_browser(server, mini_build):
    response = get(server, "/catalog", BROWSER)
    assert response.headers["content-type"].startswith("text/html")
    assert f"{mini_build.dump.stat().st_size:,} bytes" in response.text
    assert '<a href="/graph/rncp-info-2021">' in response.text
    # A licence stated in words is text, never a link to a made-up address.
    assert 'href="believed' not in response.text and "believed Licence Ouverte" in response.text
    assert get(server, "/catalog", "image/png").status_code == 406


# ------------------------------------------------------------------ named graphs and levels


def test_every_named_graph_dereferences(server):
    void = graph_of(get(server, "/.well-known/void", "text/turtle"))
    graphs = {str(g) for g in void.objects(URIRef("https://w3id.org/certgraph/id/dataset"), VOID.subset) if str(g).startswith(str(GRAPH))}
    assert len(graphs) == 34
    for iri in graphs:
        response = get(server, "/graph/" + iri[len(str(GRAPH)):], "text/turtle")
        assert response.status_code == 200, iri
        assert graph_of(response).value(URIRef(iri), VOID.triples) == void.value(URIRef(iri), VOID.triples), iri


def test_a_source_graph_says_where_it_comes_from(server):
    iri = URIRef(GRAPH["rncp-info-2021"])
    graph = graph_of(get(server, "/graph/rncp-info-2021", "application/ld+json"))
    assert graph.value(iri, VOID.triples) == Literal(68)
    assert graph.value(iri, DCTERMS.license) == ETALAB
    assert graph.value(iri, DCTERMS.issued) == Literal("2021-01-06", datatype=XSD.date)
    page = get(server, "/graph/rncp-info-2021", BROWSER).text
    assert "This named graph holds 68 triples" in page and "rncp/tables-correspondances-2021/rncp_info.v1.4.csv" in page
    snapshot = graph_of(get(server, "/graph/snapshot/2024-01-17", "text/turtle"))
    assert URIRef(GRAPH["fc-export-2024-01-17-certificateurs"]) in set(snapshot.objects(URIRef(GRAPH["snapshot/2024-01-17"]), rdflib.PROV.wasDerivedFrom))


@pytest.mark.parametrize("path", ["/graph/nope", "/graph/", "/graph/rncp-info-2021/x", "/level/9", "/level/0", "/level/seven"])
def test_what_does_not_exist_is_404(server, path):
    assert get(server, path, BROWSER).status_code == 404
    assert get(server, path, "text/turtle").status_code == 404


def test_an_eqf_level_dereferences(server):
    graph = graph_of(get(server, "/level/7", "text/turtle"))
    assert graph.value(EQF7, SKOS.notation) == Literal("7")
    assert Literal("Niveau 7", lang="fr") in set(graph.objects(EQF7, SKOS.prefLabel))
    assert (URIRef("https://w3id.org/certgraph/id/level1969/I"), CG.correspondsToEqf, EQF7) in graph
    page = get(server, "/level/7", BROWSER).text
    # RNCP28720, RNCP35080, RNCP41336 and RNCP41296 are at level 7 in the mini graph.
    assert re.search(r"Fiches at this level</th><td class=\"n\"><a href=\"/eqf/7\">4</a>", page)
    assert '<a href="/id/level1969/I">I</a>' in page and "Niveau 7" in page


# ------------------------------------------------------------------ the ontology


def test_the_ontology_is_a_page_for_a_browser_and_rdf_for_machines(server):
    ontology = rdflib.Graph().parse(ontology_path())
    terms = {t for t in ontology.subjects(RDF.type, None) if str(t).startswith(CURIES["cg"])
             and set(ontology.objects(t, RDF.type)) & {rdflib.OWL.Class, rdflib.OWL.ObjectProperty, rdflib.OWL.DatatypeProperty}}
    page = get(server, "/ontology", BROWSER)
    assert page.headers["content-type"].startswith("text/html")
    rows = re.findall(r'<tr id="([A-Za-z0-9]+)">', page.text)
    assert sorted(rows) == sorted(str(t).split("#")[1] for t in terms)
    row = page.text.split('<tr id="formerTitle">')[1].split("</tr>")[0]
    assert "former title" in row and "ancien intitulé" in row
    machine = graph_of(get(server, "/ontology", "text/turtle"))
    assert (CG.formerTitle, RDFS.label, Literal("ancien intitulé", lang="fr")) in machine
    assert get(server, "/ontology?format=turtle", BROWSER).headers["content-type"].startswith("text/turtle")


# ------------------------------------------------------------------ SPARQL examples


def test_the_examples_file_is_the_named_queries(queries):
    assert EXAMPLES_FILE.read_text(encoding="utf-8") == sparql_examples_turtle(queries), (
        "queries/sparql-examples.ttl is stale: run tools/write_sparql_examples.py")


def test_every_example_is_valid_by_the_sib_shape(queries):
    pyshacl = pytest.importorskip("pyshacl")
    examples = rdflib.Graph().parse(EXAMPLES_FILE)
    named = set(examples.subjects(RDF.type, SH.SPARQLExecutable))
    assert named == {URIRef(example_iri(name)) for name in queries}
    conforms, _, report = pyshacl.validate(examples, shacl_graph=rdflib.Graph().parse(data=SIB_SHAPE, format="turtle"))
    assert conforms, report
    assert set(examples.objects(None, SCHEMA.target)) == {URIRef("https://w3id.org/certgraph/sparql")}


def test_an_example_runs_on_the_mini_store(mini_store):
    examples = rdflib.Graph().parse(EXAMPLES_FILE)
    text = str(examples.value(URIRef(example_iri("lineage/ancestors")), SH.select))
    assert "lineage" in {str(k) for k in examples.objects(URIRef(example_iri("lineage/ancestors")), SCHEMA.keywords)}
    assert {str(n) for n in mini_store.query(text).values("number")} == ANCESTORS


def test_the_examples_are_served_for_this_endpoint(server):
    turtle = get(server, "/.well-known/sparql-examples", "text/turtle")
    graph = graph_of(turtle)
    assert set(graph.objects(None, SCHEMA.target)) == {URIRef(server + "/sparql")}
    assert len(set(graph.subjects(RDF.type, SH.SPARQLSelectExecutable))) == len(httpx.get(server + "/queries", timeout=30).json())
    assert isomorphic(graph, graph_of(get(server, "/.well-known/sparql-examples", "application/ld+json")))


# ------------------------------------------------------------------ the w3id redirect rules

HTACCESS = Path(__file__).resolve().parent.parent / "docs" / "w3id" / ".htaccess"


def request_line_patterns() -> list[re.Pattern]:
    """The request-line conditions of docs/w3id/.htaccess (Apache's PCRE, read here by re)."""
    return [re.compile(line.split(None, 2)[2]) for line in HTACCESS.read_text(encoding="utf-8").splitlines()
            if line.startswith("RewriteCond %{THE_REQUEST}")]


@pytest.mark.parametrize(("request_line", "forwarded"), [
    ("GET /certgraph/id/rncp/35080 HTTP/1.1", "id/rncp/35080"),
    ("GET /certgraph/id/rome/K%2014%2F03?format=turtle HTTP/1.1", "id/rome/K%2014%2F03?format=turtle"),
    ("HEAD /certgraph/graph/derived/current HTTP/1.1", "graph/derived/current"),
    ("GET /certgraph/level/7 HTTP/2", "level/7"),
    ("GET /certgraph/ontology HTTP/1.1", "ontology"),
    ("GET /certgraph/context.jsonld HTTP/1.1", "context.jsonld"),
    ("GET /certgraph/catalog?format=jsonld HTTP/1.1", "catalog?format=jsonld"),
    ("GET /certgraph/sparql?query=ASK%7B%7D HTTP/1.1", "sparql?query=ASK%7B%7D"),
    ("GET /certgraph/.well-known/sparql-examples HTTP/1.1", ".well-known/sparql-examples"),
    ("GET /certgraph/.well-known/void HTTP/1.1", ".well-known/void"),
    ("POST /certgraph/sparql HTTP/1.1", "sparql"),
    ("GET /certgraph/catalogue HTTP/1.1", None),
    ("GET /certgraph/ HTTP/1.1", None),
])
def test_the_w3id_rules_forward_every_path_the_endpoint_serves(request_line, forwarded):
    found = [m.group(1) for p in request_line_patterns() if (m := p.match(request_line))]
    assert found == ([forwarded] if forwarded else [])


def test_the_w3id_rules_name_a_deployment_in_one_line():
    lines = [line for line in HTACCESS.read_text(encoding="utf-8").splitlines() if "E=CERTGRAPH:" in line]
    assert len(lines) == 1 and re.search(r"E=CERTGRAPH:https://[^/\]]+\]", lines[0])


# ------------------------------------------------------------------ the templates, with hostile values


def _links(value: str) -> list[dict]:
    return [{"iri": value, "text": value, "href": JAVASCRIPT}]


LD_CONTEXTS = {
    "ld_base.html": lambda value: {"title": value, "kind": value, "iri": value, "turtle": JAVASCRIPT, "jsonld": value,
                                   "style": stylesheet("pages.css")},
    "ld_catalog.html": lambda value: {"iri": value, "style": stylesheet("pages.css"), "catalog": {
        "title": value, "triples": 1, "issued": value, "temporal": value, "licences": [{"text": value, "href": JAVASCRIPT}, {"text": value, "href": None}],
        "dump": {"href": JAVASCRIPT, "bytes": 1, "modified": value, "media_type": value},
        "sources": [{"iri": value, "href": JAVASCRIPT, "title": value, "publisher": value, "issued": value,
                     "licences": [{"text": value, "href": value}]}]}},
    "ld_graph.html": lambda value: {"style": stylesheet("pages.css"), "graph": {
        "iri": value, "title": value, "count": 1, "contents": JAVASCRIPT,
        "facts": [{"property": value, "value": value, "is_iri": True, "href": JAVASCRIPT},
                  {"property": value, "value": value, "is_iri": False, "href": None}]}},
    "ld_level.html": lambda value: {"style": stylesheet("pages.css"), "level": {
        "number": value, "iri": JAVASCRIPT, "labels": {"fr": value, "en": value}, "count": 1,
        "older": [{"href": JAVASCRIPT, "notation": value, "label": value}]}},
    "ld_ontology.html": lambda value: {"style": stylesheet("pages.css"), "ontology": {
        "iri": value, "about": [{"title": value, "version": value, "description": value}],
        "kinds": [(value, [{"anchor": value, "labelEn": value, "labelFr": value, "commentEn": value, "commentFr": value,
                            "domains": _links(value), "ranges": _links(value), "parents": _links(value)}])]}},
}
LD_ELEMENTS = {name: {"style": 1} for name in LD_CONTEXTS}


@pytest.mark.parametrize("value", HOSTILE)
@pytest.mark.parametrize("name", sorted(LD_CONTEXTS))
def test_linked_data_templates_keep_hostile_values_inert(name, value):
    text = render(name, **LD_CONTEXTS[name](value))
    assert_inert(text, styles=1)
    if value != JAVASCRIPT:
        assert str(ENV.filters["escape"](value)) in text


def test_every_linked_data_template_is_checked_here():
    assert sorted(p.name for p in TEMPLATES.glob("ld_*.html")) == sorted(LD_CONTEXTS)
