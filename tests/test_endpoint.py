"""The SPARQL endpoint over HTTP: a real ``certgraph serve`` on loopback, real clients.

The server runs the mini store (the seed lineage and comparison fiches with the real code lists)
with a short time limit and a small result limit, so the error paths are quick to reach.
"""

from __future__ import annotations

import asyncio
import csv
import io
import json
import threading
import time
import xml.etree.ElementTree as ET
from urllib.parse import quote

import httpx
import pytest
import rdflib
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from certgraph.cli import cli
from certgraph.web.conneg import GRAPH_TYPES

from .conftest import SERVER_TIMEOUT as TIMEOUT

LINEAGE = """PREFIX dcterms: <http://purl.org/dc/terms/>
SELECT DISTINCT ?ancestor WHERE { <https://w3id.org/certgraph/id/rncp/35080> dcterms:replaces+ ?ancestor } ORDER BY ?ancestor"""
ANCESTORS = {f"https://w3id.org/certgraph/id/rncp/{n}" for n in (1611, 5385, 28720)}
FICHE_TRIPLES = "CONSTRUCT { ?s ?p ?o } WHERE { SELECT DISTINCT ?s ?p ?o WHERE { BIND(<https://w3id.org/certgraph/id/rncp/35080> AS ?s) ?s ?p ?o } }"
# Three unanchored scans joined with nothing: never ends on any real graph.
RUNAWAY = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"
COUNT = "SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }"


@pytest.fixture(scope="module")
def server(mini_server):
    """The base URL of ``certgraph serve`` over the mini store (see conftest)."""
    return mini_server


def get(server, query: str, **kwargs) -> httpx.Response:
    params = {"query": query, **kwargs.pop("params", {})}
    return httpx.get(server + "/sparql", params=params, timeout=30, **kwargs)


def bindings(response: httpx.Response, variable: str) -> set[str]:
    return {b[variable]["value"] for b in response.json()["results"]["bindings"]}


def count_quads(server) -> int:
    return int(get(server, COUNT, headers={"accept": "application/sparql-results+json"}).json()["results"]["bindings"][0]["n"]["value"])


# ------------------------------------------------------------------ protocol: methods and types


def test_get_post_form_and_post_query_give_the_same_rows(server):
    by_get = get(server, LINEAGE)
    by_form = httpx.post(server + "/sparql", data={"query": LINEAGE}, timeout=30)
    by_body = httpx.post(server + "/sparql", content=LINEAGE.encode(), headers={"content-type": "application/sparql-query"}, timeout=30)
    for response in (by_get, by_form, by_body):
        assert response.status_code == 200, response.text
        assert response.headers["content-type"].startswith("application/sparql-results+json")
        assert bindings(response, "ancestor") == ANCESTORS


@pytest.mark.parametrize(("accept", "expected"), [
    (None, "application/sparql-results+json"),
    ("*/*", "application/sparql-results+json"),
    ("application/sparql-results+json", "application/sparql-results+json"),
    ("application/sparql-results+xml", "application/sparql-results+xml"),
    ("text/csv", "text/csv"),
    ("text/tab-separated-values", "text/tab-separated-values"),
    ("text/csv;q=0.4, application/sparql-results+xml;q=0.9", "application/sparql-results+xml"),
    ("text/*", "text/csv"),
    # A browser's Accept: XML (0.9) beats anything (0.8); the body is SPARQL XML results.
    ("text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8", "application/xml"),
])
def test_select_answers_in_the_negotiated_type(server, accept, expected):
    response = get(server, LINEAGE, headers={"accept": accept} if accept else {})
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].split(";")[0] == expected
    text = response.text
    if expected.endswith("json"):
        rows = bindings(response, "ancestor")
    elif expected.endswith("xml"):  # both XML types carry SPARQL XML results
        ns = "{http://www.w3.org/2005/sparql-results#}"
        rows = {uri.text for uri in ET.fromstring(text).iter(ns + "uri")}
    else:
        delimiter = "," if expected == "text/csv" else "\t"
        table = list(csv.reader(io.StringIO(text), delimiter=delimiter))
        assert table[0] == (["ancestor"] if delimiter == "," else ["?ancestor"])
        rows = {cell.strip("<>") for (cell,) in table[1:]}
    assert rows == ANCESTORS


def test_ask(server):
    yes = get(server, "ASK { <https://w3id.org/certgraph/id/rncp/35080> ?p ?o }")
    no = get(server, "ASK { <https://w3id.org/certgraph/id/rncp/99999999> ?p ?o }", headers={"accept": "application/sparql-results+xml"})
    assert yes.json() == {"head": {}, "boolean": True}
    assert ET.fromstring(no.text).find("{http://www.w3.org/2005/sparql-results#}boolean").text == "false"


@pytest.mark.parametrize("media_type", sorted(set(GRAPH_TYPES) - {"text/plain", "application/json", "application/xml"}))
def test_construct_in_every_rdf_type_parses_to_the_same_triples(server, media_type):
    response = get(server, FICHE_TRIPLES, headers={"accept": media_type})
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].split(";")[0] == media_type
    rdflib_format = {"text/turtle": "turtle", "application/n-triples": "nt", "application/ld+json": "json-ld",
                     "application/rdf+xml": "xml", "application/trig": "trig", "application/n-quads": "nquads"}[media_type]
    graph = rdflib.Dataset() if rdflib_format in ("trig", "nquads") else rdflib.Graph()
    graph.parse(data=response.text, format=rdflib_format)
    reference = rdflib.Graph().parse(data=get(server, FICHE_TRIPLES, headers={"accept": "application/n-triples"}).text, format="nt")
    assert len(reference) > 20
    assert len(graph) == len(reference)
    titles = {str(o) for o in reference.objects(rdflib.URIRef("https://w3id.org/certgraph/id/rncp/35080"), rdflib.DCTERMS.title)}
    assert any("vocation sociale" in t for t in titles)


@pytest.mark.parametrize(("param", "value", "query", "expected"), [
    ("format", "json", LINEAGE, "application/sparql-results+json"),
    ("format", "xml", LINEAGE, "application/sparql-results+xml"),
    ("output", "csv", LINEAGE, "text/csv"),
    ("format", "tsv", LINEAGE, "text/tab-separated-values"),
    ("format", "xml", FICHE_TRIPLES, "application/rdf+xml"),
    ("format", "json", FICHE_TRIPLES, "application/ld+json"),
    ("output", "turtle", FICHE_TRIPLES, "text/turtle"),
    ("format", "application/sparql-results+xml", LINEAGE, "application/sparql-results+xml"),
])
def test_format_and_output_parameters_override_accept(server, param, value, query, expected):
    response = get(server, query, params={param: value}, headers={"accept": "text/csv"})
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].split(";")[0] == expected


def test_default_and_named_graph_parameters_set_the_dataset(server):
    graph = "https://w3id.org/certgraph/graph/seed-001-rncp35080"
    count = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"
    in_graph = int(get(server, count, params={"default-graph-uri": graph}).json()["results"]["bindings"][0]["n"]["value"])
    by_graph = int(get(server, f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <{graph}> {{ ?s ?p ?o }} }}").json()["results"]["bindings"][0]["n"]["value"])
    assert 0 < in_graph == by_graph < count_quads(server)
    named = get(server, "SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } }", params={"named-graph-uri": graph})
    assert bindings(named, "g") == {graph}


@pytest.mark.parametrize(("path", "accept"), [
    ("/sparql?query=" + quote(LINEAGE + " LIMIT 2"), "text/csv"),
    ("/queries/lineage/descendants?fiche=RNCP28720", "application/json"),
    ("/id/rncp/28720", "text/html"),
    ("/id/rncp/28720", "text/turtle"),
])
def test_identical_gets_are_answered_from_the_cache(server, path, accept):
    first, second = (httpx.get(server + path, headers={"accept": accept}, timeout=30) for _ in range(2))
    assert first.status_code == second.status_code == 200
    assert first.headers["x-cache"] == "miss" and second.headers["x-cache"] == "hit"
    assert first.content == second.content
    assert {k: v for k, v in first.headers.items() if k not in ("x-cache", "date", "server")} == \
        {k: v for k, v in second.headers.items() if k not in ("x-cache", "date", "server")}
    assert second.headers["access-control-allow-origin"] == "*"


def test_errors_are_not_cached(server):
    for _ in range(2):
        response = httpx.get(server + "/queries/lineage/ancestors?fiche=nope")
        assert response.status_code == 400 and response.headers["x-cache"] == "miss"


def test_cors_headers_and_preflight(server):
    assert get(server, LINEAGE, headers={"origin": "https://example.org"}).headers["access-control-allow-origin"] == "*"
    preflight = httpx.options(server + "/sparql", headers={"origin": "https://example.org", "access-control-request-method": "POST",
                                                           "access-control-request-headers": "content-type"})
    assert preflight.status_code == 204
    assert "POST" in preflight.headers["access-control-allow-methods"]
    assert preflight.headers["access-control-allow-headers"] == "content-type"


# ------------------------------------------------------------------ protocol: errors


def test_malformed_query_is_400_with_the_parser_message(server):
    response = get(server, "SELECT ?x WHERE { ?x ?p }")
    assert response.status_code == 400
    assert "malformed query" in response.text and "error at 1:" in response.text


def test_unacceptable_type_is_406(server):
    response = get(server, LINEAGE, headers={"accept": "image/png"})
    assert response.status_code == 406
    assert "application/sparql-results+json" in response.text
    assert get(server, FICHE_TRIPLES, headers={"accept": "text/csv"}).status_code == 406


def test_unsupported_post_body_is_415(server):
    assert httpx.post(server + "/sparql", content=b"{}", headers={"content-type": "application/json"}).status_code == 415


def test_bad_timeout_is_400(server):
    assert get(server, LINEAGE, params={"timeout": "soon"}).status_code == 400
    assert get(server, LINEAGE, params={"timeout": "-1"}).status_code == 400


def test_writes_are_refused_and_the_data_is_unchanged(server):
    before = count_quads(server)
    insert = "INSERT DATA { GRAPH <urn:x:g> { <urn:x:s> <urn:x:p> <urn:x:o> } }"
    attempts = [
        httpx.post(server + "/sparql", content=insert.encode(), headers={"content-type": "application/sparql-update"}),
        httpx.post(server + "/sparql", data={"update": insert}),
        httpx.post(server + "/sparql", data={"query": insert}),
        httpx.post(server + "/sparql", data={"query": "PREFIX x: <urn:x:>\nDROP ALL"}),
        get(server, "CLEAR ALL"),
    ]
    assert [r.status_code for r in attempts] == [403] * 5
    assert all("read-only" in r.text for r in attempts)
    for method in ("PUT", "DELETE", "PATCH"):
        for path in ("/sparql", "/graph-store?graph=urn:x:g", "/id/rncp/35080"):
            response = httpx.request(method, server + path, content=b"<urn:x:s> <urn:x:p> <urn:x:o> .", headers={"content-type": "text/turtle"})
            assert response.status_code == 405, (method, path)
    assert httpx.post(server + "/graph-store?graph=urn:x:g", content=b"<urn:x:s> <urn:x:p> <urn:x:o> .").status_code == 405
    assert count_quads(server) == before
    assert get(server, "ASK { GRAPH ?g { <urn:x:s> ?p ?o } }").json()["boolean"] is False


# ------------------------------------------------------------------ limits


def test_a_runaway_query_is_stopped_while_others_are_served(server):
    outcome = {}

    def runaway():
        outcome["response"] = get(server, RUNAWAY, params={"timeout": "2"})

    thread = threading.Thread(target=runaway)
    thread.start()
    time.sleep(0.3)
    # While the runaway occupies one worker, simple queries are answered by the other.
    for n in range(5):
        response = get(server, LINEAGE + f" LIMIT {10 + n}")
        assert response.status_code == 200 and response.headers["x-cache"] == "miss"
        assert bindings(response, "ancestor") == ANCESTORS
    thread.join(30)
    assert not thread.is_alive()
    # Stopped at its own limit, not the server's (TIMEOUT).
    assert outcome["response"].status_code == 503
    assert f"stopped after 2 s, its time limit (the server allows at most {TIMEOUT} s)" in outcome["response"].text
    # The killed worker is replaced: two queries at once are both served.
    assert get(server, LINEAGE + " LIMIT 99").status_code == 200


def test_a_requested_timeout_never_exceeds_the_servers_limit(server):
    response = get(server, RUNAWAY, params={"timeout": "1000"})
    assert response.status_code == 503
    assert f"query stopped after {TIMEOUT} s, its time limit (the server allows at most {TIMEOUT} s)" in response.text


def test_a_result_larger_than_the_limit_is_an_error_not_a_truncation(server):
    response = get(server, "SELECT * WHERE { GRAPH ?g { ?s ?p ?o } }")
    assert response.status_code == 413
    assert "1,048,576 bytes" in response.text and "LIMIT" in response.text


# ------------------------------------------------------------------ descriptions


def test_service_description_on_get_without_query(server):
    response = httpx.get(server + "/sparql", headers={"accept": "text/turtle"})
    assert response.status_code == 200
    graph = rdflib.Graph().parse(data=response.text, format="turtle")
    sd = rdflib.Namespace("http://www.w3.org/ns/sparql-service-description#")
    service = rdflib.URIRef(server + "/sparql")
    assert (service, rdflib.RDF.type, sd.Service) in graph
    assert (service, sd.endpoint, service) in graph
    assert (service, sd.feature, sd.UnionDefaultGraph) in graph
    assert (service, sd.resultFormat, rdflib.URIRef("http://www.w3.org/ns/formats/SPARQL_Results_CSV")) in graph
    browser = httpx.get(server + "/sparql", headers={"accept": "text/html"})
    assert browser.status_code == 303 and browser.headers["location"] == "/"


def test_void_counts_the_store(server):
    response = httpx.get(server + "/.well-known/void", headers={"accept": "application/n-triples"})
    graph = rdflib.Graph().parse(data=response.text, format="nt")
    void = rdflib.Namespace("http://rdfs.org/ns/void#")
    dataset = rdflib.URIRef("https://w3id.org/certgraph/id/dataset")
    assert int(graph.value(dataset, void.triples)) == count_quads(server)
    subsets = [int(graph.value(s, void.triples)) for s in graph.objects(dataset, void.subset) if (s, rdflib.RDF.type, void.Dataset) in graph]
    assert sum(subsets) == count_quads(server)
    classes = {str(graph.value(p, void["class"])) for p in graph.objects(dataset, void.classPartition)}
    assert "https://w3id.org/certgraph/ontology#Certification" in classes
    assert rdflib.URIRef("https://www.etalab.gouv.fr/licence-ouverte-open-licence/") in set(graph.objects(dataset, rdflib.DCTERMS.license))
    assert str(graph.value(dataset, rdflib.DCTERMS.issued)) == "2026-02-01"
    assert (dataset, void.sparqlEndpoint, rdflib.URIRef(server + "/sparql")) in graph
    linked = {str(graph.value(s, void.objectsTarget)) for s in graph.objects(dataset, void.subset) if (s, rdflib.RDF.type, void.Linkset) in graph}
    assert "http://data.europa.eu/" in linked


def test_graph_store_reads_one_graph(server):
    graph = "https://w3id.org/certgraph/graph/seed-001-rncp35080"
    response = httpx.get(server + "/graph-store", params={"graph": graph}, headers={"accept": "application/n-triples"})
    assert response.status_code == 200
    in_graph = int(get(server, f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <{graph}> {{ ?s ?p ?o }} }}").json()["results"]["bindings"][0]["n"]["value"])
    assert len(rdflib.Graph().parse(data=response.text, format="nt")) == in_graph
    assert httpx.get(server + "/graph-store", params={"graph": "urn:x:none"}).status_code == 404
    assert httpx.get(server + "/graph-store").status_code == 400


# ------------------------------------------------------------------ named queries as JSON


def test_named_queries_are_listed_with_their_parameters(server, queries):
    listed = httpx.get(server + "/queries").json()
    assert [q["name"] for q in listed] == list(queries)
    ancestors = next(q for q in listed if q["name"] == "lineage/ancestors")
    assert ancestors["params"][0]["name"] == "fiche" and ancestors["params"][0]["example"] == "RNCP35080"
    assert ancestors["example"] == "/queries/lineage/ancestors?fiche=RNCP35080"


def test_a_named_query_runs_with_bound_parameters(server):
    response = httpx.get(server + "/queries/lineage/ancestors", params={"fiche": "rncp35080"})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["variables"] == ["ancestor", "number", "title", "endDate"]
    assert [row["number"] for row in body["rows"]] == ["RNCP1611", "RNCP5385", "RNCP28720"]
    as_csv = httpx.get(server + "/queries/lineage/ancestors", params={"fiche": "RNCP35080", "format": "csv"})
    assert as_csv.headers["content-type"].startswith("text/csv")
    assert as_csv.text.splitlines()[0] == "ancestor,number,title,endDate"


@pytest.mark.parametrize(("path", "status", "message"), [
    ("/queries/lineage/ancestors?fiche=35080X", 400, "parameter fiche='35080X'"),
    ("/queries/lineage/ancestors", 400, "missing parameter(s) fiche"),
    ("/queries/lineage/ancestors?fiche=RNCP35080&color=red", 400, "unknown parameter(s) color"),
    ("/queries/codes/by-rome?rome=K1403%20UNION", 400, "parameter rome"),
    ("/queries/lineage/nothing?fiche=RNCP35080", 404, "no named query"),
])
def test_named_query_errors(server, path, status, message):
    response = httpx.get(server + path)
    assert response.status_code == status
    assert message in response.text


NASTY = st.lists(st.sampled_from(['"', "'", "{", "}", "<", ">", "\\", "\n", "#", "} UNION { ?s ?p ?o }", "DROP ALL",
                                   "RNCP35080", "recherche", "*", "NEAR(", ")", "http://evil.example/x"]) | st.text(max_size=6), max_size=5).map("".join)


@settings(max_examples=40, deadline=None)
@given(value=NASTY)
def test_nasty_parameter_values_over_http_are_rejected_or_bound(server, value):
    for path, name in (("/queries/lineage/ancestors", "fiche"), ("/queries/search/competencies", "text")):
        response = httpx.get(server + path, params={name: value}, timeout=30)
        assert response.status_code in (200, 400), response.text
        if response.status_code == 200:
            assert response.json()["params"][name] == value
        else:
            assert f"parameter {name}" in response.text


def test_every_editor_example_runs_on_the_server(server, mini_build, queries):
    from certgraph.web.app import editor_examples

    for example in editor_examples(queries, mini_build.store):
        response = httpx.post(server + "/sparql", data={"query": example["query"]},
                              headers={"accept": "application/sparql-results+json,*/*;q=0.9"}, timeout=30)
        assert response.status_code == 200, (example["name"], response.text)


def test_openapi_describes_every_named_query(server, queries):
    document = httpx.get(server + "/openapi.json").json()
    assert document["openapi"].startswith("3.")
    for name, query in queries.items():
        operation = document["paths"][f"/queries/{name}"]["get"]
        assert operation["summary"] == query.summary
        assert {p["name"] for p in operation["parameters"]} == {p.name for p in query.params} | {"timeout"}


# ------------------------------------------------------------------ linked data


def test_identifiers_are_served_as_rdf(server):
    turtle = httpx.get(server + "/id/rncp/35080", headers={"accept": "text/turtle"})
    assert turtle.status_code == 200 and turtle.headers["content-type"].startswith("text/turtle")
    graph = rdflib.Graph().parse(data=turtle.text, format="turtle")
    fiche = rdflib.URIRef("https://w3id.org/certgraph/id/rncp/35080")
    assert (fiche, rdflib.DCTERMS.replaces, rdflib.URIRef("https://w3id.org/certgraph/id/rncp/28720")) in graph
    jsonld = httpx.get(server + "/id/rncp/35080?format=jsonld")
    assert len(rdflib.Graph().parse(data=jsonld.text, format="json-ld")) == len(graph)
    assert httpx.get(server + "/id/rncp/99999999", headers={"accept": "text/turtle"}).status_code == 404
    concept = httpx.get(server + "/id/" + quote("rome/K1403"), headers={"accept": "application/n-triples"})
    assert concept.status_code == 200 and "K1403" in concept.text


def test_the_ontology_and_the_dump_are_served(server, mini_build):
    ontology = httpx.get(server + "/ontology", headers={"accept": "text/turtle"})
    graph = rdflib.Graph().parse(data=ontology.text, format="turtle")
    assert (rdflib.URIRef("https://w3id.org/certgraph/ontology#Certification"), rdflib.RDF.type, rdflib.OWL.Class) in graph
    dump = httpx.get(server + "/dump.nq")
    assert dump.status_code == 200 and dump.headers["content-type"].startswith("application/n-quads")
    assert dump.content == mini_build.dump.read_bytes()


# ------------------------------------------------------------------ clients


def test_sparqlwrapper_reads_json_xml_csv_and_construct(server):
    from SPARQLWrapper import CSV, JSON, TURTLE, XML, SPARQLWrapper

    client = SPARQLWrapper(server + "/sparql")
    client.setQuery(LINEAGE)
    client.setReturnFormat(JSON)
    assert {b["ancestor"]["value"] for b in client.query().convert()["results"]["bindings"]} == ANCESTORS
    client.setReturnFormat(XML)
    document = client.query().convert()
    assert {n.firstChild.data for n in document.getElementsByTagName("uri")} == ANCESTORS
    client.setReturnFormat(CSV)
    assert set(client.query().convert().decode().split()[1:]) == ANCESTORS
    client.setQuery(FICHE_TRIPLES)
    client.setReturnFormat(TURTLE)
    graph = rdflib.Graph().parse(data=client.query().convert(), format="turtle")
    assert (rdflib.URIRef("https://w3id.org/certgraph/id/rncp/35080"), rdflib.DCTERMS.replaces, None) in graph
    client.setReturnFormat(XML)
    assert len(client.query().convert()) == len(graph)  # RDF/XML, parsed by SPARQLWrapper into a Graph


def test_serve_get_answers_one_request_in_process(mini_build):
    runner = CliRunner()
    ok = runner.invoke(cli, ["serve", "--store", str(mini_build.store), "--get", "/queries/lineage/ancestors?fiche=RNCP35080"])
    assert ok.exit_code == 0, ok.output
    assert [row["number"] for row in json.loads(ok.output)["rows"]] == ["RNCP1611", "RNCP5385", "RNCP28720"]
    bad = runner.invoke(cli, ["serve", "--store", str(mini_build.store), "--get", "/queries/lineage/ancestors?fiche=nope"])
    assert bad.exit_code == 1
    assert "HTTP 400" in bad.output


def test_a_cached_answer_is_kept_for_the_day_it_was_asked(mini_build, monkeypatch):
    # fiche/summary's asOf defaults to today: yesterday's answer must not be served tomorrow.
    import certgraph.web.app as endpoint_module

    app = endpoint_module.create_app(mini_build.store, workers=1)
    path = "/queries/fiche/summary?fiche=RNCP35080"

    async def twice_on(day: str) -> list[str]:
        monkeypatch.setattr(endpoint_module, "_today", lambda: day)
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as client:
            return [(await client.get(path)).headers["x-cache"] for _ in range(2)]

    async def scenario():
        await app.start()
        try:
            return [await twice_on("2026-12-03"), await twice_on("2026-12-04"), await twice_on("2026-12-03")]
        finally:
            await app.stop()

    assert asyncio.run(scenario()) == [["miss", "hit"], ["miss", "hit"], ["hit", "hit"]]


def test_the_result_cache_evicts_the_least_recently_used_within_its_budget():
    from certgraph.web.app import ResultCache

    cache = ResultCache(budget=200, largest=80)
    keys = [("GET", f"query={n}".encode(), b"") for n in range(3)]
    headers = [(b"content-type", b"text/csv")]
    cache.put(keys[0], b"a" * 60, headers)
    cache.put(keys[1], b"b" * 60, headers)
    assert cache.get(keys[0]) == (b"a" * 60, headers)  # now the most recently used
    cache.put(keys[2], b"c" * 60, headers)  # over budget: keys[1] goes
    assert cache.get(keys[1]) is None and cache.get(keys[0]) is not None and cache.get(keys[2]) is not None
    cache.put(("GET", b"big", b""), b"x" * 81, headers)  # larger than any entry may be
    assert cache.get(("GET", b"big", b"")) is None
    assert cache.size <= 200
