"""The W3C SPARQL 1.1 Protocol tests, sent to a real ``certgraph serve`` on loopback.

The manifest (``tests/data/w3c-protocol``, vendored from ``w3c/rdf-tests``: see its SOURCE.md)
writes each test as HTTP requests in RDF: method, path, headers, body and its charset, and for each
request the expected status classes, result format and ASK answer. They are read from the manifest
and sent as written, with no header the manifest does not list (no default Accept), to a server
over a store holding the test data: ``dataN.nt`` in the named graph the queries call it by.

The endpoint is read-only. The manifest's update tests expect their update to succeed; here they
are listed in UPDATE_REFUSED and assert the refusal instead. Every other manifest test runs as the
manifest states it, and after every test the store still holds exactly the loaded data.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import httpx
import pyoxigraph as ox
import pytest
import rdflib
from rdflib.collection import Collection
from rdflib.namespace import RDF, RDFS
from rdflib.query import Result

from .conftest import serving

DATA = Path(__file__).resolve().parent / "data" / "w3c-protocol"
MANIFEST = DATA / "manifest.ttl"
MF = rdflib.Namespace("http://www.w3.org/2001/sw/DataAccess/tests/test-manifest#")
HT = rdflib.Namespace("http://www.w3.org/2011/http#")
CNT = rdflib.Namespace("http://www.w3.org/2011/content#")
UT = rdflib.Namespace("http://www.w3.org/2009/sparql/tests/test-update#")
TIMEOUT = 10

# The manifest's update tests: each would change the data, then asks whether it did. Refused (403).
UPDATE_REFUSED = {
    "update_dataset_default_graph": "CLEAR ALL, then INSERT into a new graph over a using-graph-uri dataset",
    "update_dataset_default_graphs": "DROP ALL, then INSERT into a new graph over two using-graph-uri graphs",
    "update_dataset_named_graphs": "DROP ALL, then INSERT into a new graph over using-named-graph-uri graphs",
    "update_dataset_full": "DROP ALL, then INSERT into a new graph over a using-graph-uri and a using-named-graph-uri dataset",
    "update_post_form": "CLEAR ALL sent as a form's update= field",
    "update_post_direct": "CLEAR ALL sent as application/sparql-update",
    "update_base_uri": "INSERT DATA of a relative IRI, to see the service's base IRI",
}

# mf:expectedFormat: the media types the Protocol allows for it, and rdflib's name for each.
# RDFa, also allowed for "RDF", is left out: certgraph does not write it and rdflib cannot read it.
FORMATS = {
    "boolean": {"application/sparql-results+json": "json", "application/sparql-results+xml": "xml"},
    "tabular": {"application/sparql-results+json": "json", "application/sparql-results+xml": "xml",
                "text/csv": "csv", "text/tab-separated-values": "tsv"},
    "RDF": {"text/turtle": "turtle", "application/n-triples": "nt", "application/rdf+xml": "xml"},
}

ALL_QUADS = "SELECT ?g ?s ?p ?o WHERE { GRAPH ?g { ?s ?p ?o } }"


# ------------------------------------------------------------------ the manifest


@dataclass(frozen=True)
class Expected:
    """What the manifest expects of a response: status classes (2 for 2xx…), format, ASK answer."""

    statuses: frozenset[int]
    format: str | None = None
    boolean: bool | None = None


@dataclass(frozen=True)
class Exchange:
    """One request of a test, as sent to certgraph (path under ``/sparql``), and its expected response."""

    method: str
    path: str
    headers: tuple[tuple[str, str], ...]
    body: bytes | None
    expected: Expected

    def content_type(self) -> str:
        return next((value.split(";")[0].strip().lower() for name, value in self.headers if name.lower() == "content-type"), "")

    def is_update(self) -> bool:
        """Whether this request asks for a SPARQL Update: by media type, or by an ``update`` parameter."""
        fields = parse_qs(urlsplit(self.path).query)
        if self.body is not None and self.content_type() in ("", "application/x-www-form-urlencoded"):
            fields |= parse_qs(self.body.decode("utf-8", errors="replace"))
        return self.content_type() == "application/sparql-update" or "update" in fields


@dataclass(frozen=True)
class ProtocolTest:
    """One manifest test: its name (the local name of its IRI), its requests in order, its data."""

    name: str
    exchanges: tuple[Exchange, ...]
    graphs: dict[str, Path]


def read_manifest(path: Path = MANIFEST) -> list[ProtocolTest]:
    """The manifest's tests, in the order of its ``mf:entries``."""
    graph = rdflib.Graph().parse(path, format="turtle")
    (manifest,) = graph.subjects(RDF.type, MF.Manifest)
    return [_protocol_test(graph, entry) for entry in Collection(graph, graph.value(manifest, MF.entries))]


def _protocol_test(graph: rdflib.Graph, entry) -> ProtocolTest:
    action = graph.value(entry, MF.action)
    graphs = {str(graph.value(data, RDFS.label)): DATA / str(graph.value(data, UT.graph)).rsplit("/", 1)[1]
              for data in graph.objects(entry, UT.graphData)}
    requests = Collection(graph, graph.value(action, HT.requests))
    return ProtocolTest(str(entry).rsplit("#", 1)[1], tuple(_exchange(graph, r) for r in requests), graphs)


def _exchange(graph: rdflib.Graph, request) -> Exchange:
    path = str(graph.value(request, HT.absolutePath))
    # The manifest asks runners to put the endpoint's own path in place of /sparql/.
    assert path.startswith("/sparql/"), path
    header_list = graph.value(request, HT.headers)
    headers = tuple((str(graph.value(h, HT.fieldName)), str(graph.value(h, HT.fieldValue)))
                    for h in (Collection(graph, header_list) if header_list is not None else []))
    body = graph.value(request, HT.body)
    if body is not None:
        body = str(graph.value(body, CNT.chars)).encode(str(graph.value(body, CNT.characterEncoding)))
    response = graph.value(request, HT.resp)
    statuses = frozenset(int(re.fullmatch(r".*StatusCode(\d)xx", str(s)).group(1)) for s in graph.objects(response, MF.expectedStatus))
    fmt, boolean = graph.value(response, MF.expectedFormat), graph.value(response, MF.expectedBoolean)
    return Exchange(
        str(graph.value(request, HT.methodName)), "/sparql" + path[len("/sparql/"):], headers, body,
        Expected(statuses, None if fmt is None else str(fmt), None if boolean is None else boolean.toPython()),
    )


TESTS = read_manifest()
APPLICABLE = [test for test in TESTS if test.name not in UPDATE_REFUSED]
REFUSED = [test for test in TESTS if test.name in UPDATE_REFUSED]
GRAPH_DATA = {iri: data for test in TESTS for iri, data in test.graphs.items()}
LOADED_QUADS = {(rdflib.URIRef(iri), *triple) for iri, data in GRAPH_DATA.items() for triple in rdflib.Graph().parse(data, format="nt")}


# ------------------------------------------------------------------ the store and the server


@pytest.fixture(scope="module")
def protocol_store(tmp_path_factory) -> Path:
    """An Oxigraph store with each test data file in the named graph the manifest gives it."""
    path = tmp_path_factory.mktemp("w3c-protocol") / "store"
    store = ox.Store(str(path))
    for iri, data in GRAPH_DATA.items():
        store.load(path=str(data), format=ox.RdfFormat.N_TRIPLES, to_graph=ox.NamedNode(iri))
    store.flush()
    del store  # releases the store's lock: the server's workers open it read-only
    return path


@pytest.fixture(scope="module")
def endpoint(protocol_store, tmp_path_factory) -> Iterator[httpx.Client]:
    """A client of ``certgraph serve`` on loopback over ``protocol_store`` (a child process).

    The client sends no Accept of its own: a manifest request that names no type leaves the choice
    to the server, and that choice is what the test checks.
    """
    options = ("--timeout", str(TIMEOUT), "--workers", "2")
    with serving(protocol_store, tmp_path_factory.mktemp("w3c-protocol-server"), *options) as (base, _process):
        with httpx.Client(base_url=base, timeout=TIMEOUT) as client:
            del client.headers["accept"]
            yield client


def send(client: httpx.Client, exchange: Exchange) -> httpx.Response:
    return client.request(exchange.method, exchange.path, headers=list(exchange.headers), content=exchange.body)


def transcript(exchange: Exchange, response: httpx.Response) -> str:
    """The HTTP exchange, for a failure message: the request as sent, the response as received."""
    request = response.request
    lines = [f"{request.method} {request.url.raw_path.decode()}", *(f"{name}: {value}" for name, value in request.headers.items())]
    if exchange.body is not None:
        lines += ["", exchange.body.decode("utf-8", errors="backslashreplace")]
    lines += ["", f"HTTP {response.status_code}", f"content-type: {response.headers.get('content-type', '')}", "", response.text[:1000]]
    return "\n".join(lines)


def check(exchange: Exchange, response: httpx.Response, expected: Expected) -> None:
    """The response has an expected status class and, when the manifest states them, format and answer."""
    said = transcript(exchange, response)
    assert response.status_code // 100 in expected.statuses, said
    if expected.format is None:
        return
    media_type = response.headers.get("content-type", "").split(";")[0].strip()
    readers = FORMATS[expected.format]
    assert media_type in readers, f"expected one of {sorted(readers)}\n{said}"
    try:
        if expected.format == "RDF":
            rdflib.Graph().parse(data=response.content, format=readers[media_type])
            return
        result = Result.parse(io.BytesIO(response.content), format=readers[media_type])
    except Exception as exc:  # any parser's error: the body is not what its content type says
        pytest.fail(f"the body is not {media_type}: {exc}\n{said}")
    assert result.type == ("ASK" if expected.format == "boolean" else "SELECT"), said
    if expected.boolean is not None:
        assert result.askAnswer is expected.boolean, said


def stored_quads(client: httpx.Client) -> set[tuple]:
    """Every quad of the named graphs, as the endpoint sees them now (POST: GET answers are cached)."""
    response = client.post("/sparql", content=ALL_QUADS.encode(),
                           headers={"content-type": "application/sparql-query", "accept": "application/sparql-results+json"})
    assert response.status_code == 200, response.text
    return {tuple(row) for row in Result.parse(io.BytesIO(response.content), format="json")}


# ------------------------------------------------------------------ the manifest is read whole


def test_every_manifest_test_is_run_or_refused():
    graph = rdflib.Graph().parse(MANIFEST, format="turtle")
    declared = {str(t).rsplit("#", 1)[1] for t in graph.subjects(RDF.type, MF.ProtocolTest)}
    names = [test.name for test in TESTS]
    assert sorted(names) == sorted(declared)
    assert set(UPDATE_REFUSED) <= declared, "UPDATE_REFUSED names a test the manifest no longer has"
    assert (len(TESTS), len(APPLICABLE), len(REFUSED)) == (34, 27, 7)
    for test in REFUSED:
        assert any(e.is_update() and 2 in e.expected.statuses for e in test.exchanges), test.name
    for test in APPLICABLE:
        assert test.exchanges, test.name
        # An update the manifest expects to succeed cannot pass here: it belongs in UPDATE_REFUSED.
        assert not any(e.is_update() and 2 in e.expected.statuses for e in test.exchanges), test.name


def test_the_manifest_is_read_as_written():
    tests = {test.name: test for test in TESTS}
    assert tests["query_post_form"].exchanges == (Exchange(
        "POST", "/sparql?default-graph-uri=http%3A%2F%2Fkasei.us%2F2009%2F09%2Fsparql%2Fdata%2Fdata0.rdf",
        (("content-type", "application/x-www-form-urlencoded"),), b"query=ASK%20%7B%7D",
        Expected(frozenset({2, 3}), "boolean", True)),)
    (non_utf8,) = tests["bad_query_non_utf8"].exchanges
    assert non_utf8.body.decode("utf-16") == "ASK {}" and non_utf8.expected == Expected(frozenset({4}))
    assert [e.is_update() for e in tests["update_base_uri"].exchanges] == [True, False]
    assert tests["query_dataset_full"].graphs == {f"http://kasei.us/2009/09/sparql/data/data{n}.rdf": DATA / f"data{n}.nt" for n in (1, 2, 3)}
    assert len(LOADED_QUADS) == 3


# ------------------------------------------------------------------ the tests


@pytest.mark.parametrize("test", APPLICABLE, ids=lambda test: test.name)
def test_protocol(endpoint, test):
    for exchange in test.exchanges:
        check(exchange, send(endpoint, exchange), exchange.expected)
    assert stored_quads(endpoint) == LOADED_QUADS


@pytest.mark.parametrize("test", REFUSED, ids=lambda test: test.name)
def test_update_is_refused(endpoint, test):
    """The update is answered 403; the manifest's follow-up ASK (did it take effect?) says no."""
    for exchange in test.exchanges:
        response = send(endpoint, exchange)
        if exchange.is_update():
            assert response.status_code == 403, transcript(exchange, response)
        else:
            assert exchange.expected.boolean is True, "a follow-up that does not ask whether the update took effect"
            check(exchange, response, replace(exchange.expected, boolean=False))
    assert stored_quads(endpoint) == LOADED_QUADS
