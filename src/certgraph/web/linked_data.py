"""Linked-data conventions of the endpoint: the JSON-LD context, the DCAT catalogue, named graphs and EQF levels
as pages, the ontology as HTML, the named queries as SHACL SPARQL executables.

:func:`routes` gives the endpoint (:class:`certgraph.web.app.Endpoint`) its routes:

- ``/context.jsonld``: ``ontology/context.jsonld``, the project's prefixes (``vocab.CURIES``) and short
  terms for its main properties; every JSON-LD answer of these routes names it as its ``@context``;
- ``/catalog``: a ``dcat:Catalog`` of the dataset, its sources and the dump (``/dump.nq``) as a
  ``dcat:Distribution``, read from the VoID description (licences, dates, counts);
- ``/graph/<key>``: a named graph ``https://w3id.org/certgraph/graph/<key>``: what the provenance
  graph says about it and its size (its triples are at ``/graph-store?graph=IRI``);
- ``/level/<n>``: EQF level n (``http://data.europa.eu/snb/eqf/<n>``): labels, fiche count, the 1969 levels;
- ``/ontology``: an HTML page of the classes and properties for a browser (RDF for anything else, as before);
- ``/.well-known/sparql-examples``: every named query as a ``sh:SPARQLExecutable`` with ``schema:target``
  (the convention of the SIB sparql-examples), also written to ``queries/sparql-examples.ttl``.

Each answers HTML to a browser and RDF, by content negotiation, to anything else.
"""

from __future__ import annotations

import datetime as dt
import json
from collections import defaultdict
from functools import cache
from pathlib import Path

import pyoxigraph as ox
import rdflib
from starlette.requests import Request
from starlette.responses import FileResponse, HTMLResponse, PlainTextResponse, Response
from starlette.routing import Route

from ..queries import NamedQuery, QueryError, internal_query, load_queries
from ..resources import ontology_path, queries_dir
from ..sparql_text import outline
from ..store import dump_path
from ..vocab import BASE, CURIES, GRAPH, ID, compact, eqf_iri
from .conneg import GRAPH_TYPES, choose, prefers_html
from .engine import EngineError, serialize_graph
from .jinja import render, stylesheet

CONTEXT_FILE = ontology_path().with_name("context.jsonld")
EXAMPLES_FILE = queries_dir() / "sparql-examples.ttl"
# The permanent address of the endpoint (w3id redirects it: docs/w3id.md), the target of the examples file.
PERMANENT_ENDPOINT = BASE + "sparql"
EXAMPLES = BASE + ".well-known/sparql-examples/"
# Above this many triples a JSON-LD answer is oxigraph's expanded form under the context (rdflib's
# compaction takes about 30 µs a triple: 2 s for the largest source graph).
COMPACT_LIMIT = 5000
JSON_LD_TYPES = ("application/ld+json", "application/json")

SH = "http://www.w3.org/ns/shacl#"
SCHEMA = "https://schema.org/"
RDF = CURIES["rdf"]
RDFS = CURIES["rdfs"]
XSD = CURIES["xsd"]
DCTERMS = CURIES["dcterms"]
DCAT = CURIES["dcat"]
VOID = CURIES["void"]
FOAF = CURIES["foaf"]
N_QUADS = "http://www.iana.org/assignments/media-types/application/n-quads"
PROVENANCE = str(GRAPH) + "provenance"
# What a SPARQL query form is published as: its class and the property holding its text.
EXECUTABLES = {
    "SELECT": ("SPARQLSelectExecutable", SH + "select"),
    "ASK": ("SPARQLAskExecutable", SH + "ask"),
    "CONSTRUCT": ("SPARQLConstructExecutable", SH + "construct"),
    "DESCRIBE": ("SPARQLDescribeExecutable", "https://purl.expasy.org/sparql-examples/ontology#describe"),
}


def _n(iri: str) -> ox.NamedNode:
    return ox.NamedNode(iri)


def _t(s, p: str, o) -> ox.Triple:
    return ox.Triple(s, _n(p), o)


def _typed(value: object, datatype: str) -> ox.Literal:
    return ox.Literal(str(value), datatype=_n(XSD + datatype))


# ------------------------------------------------------------------ JSON-LD with the context


@cache
def json_ld_context() -> dict:
    """The ``@context`` object of ``ontology/context.jsonld``."""
    return json.loads(CONTEXT_FILE.read_text(encoding="utf-8"))["@context"]


def _rdflib_term(term):
    if isinstance(term, ox.NamedNode):
        return rdflib.URIRef(term.value)
    if isinstance(term, ox.BlankNode):
        return rdflib.BNode(term.value)
    datatype = None if term.language or term.datatype.value == XSD + "string" else rdflib.URIRef(term.datatype.value)
    return rdflib.Literal(term.value, lang=term.language, datatype=datatype)


def to_rdflib(triples: list) -> rdflib.Graph:
    """pyoxigraph triples as an rdflib Graph, blank nodes keeping their labels (so output is stable)."""
    graph = rdflib.Graph()
    for triple in triples:
        graph.add((_rdflib_term(triple.subject), _rdflib_term(triple.predicate), _rdflib_term(triple.object)))
    return graph


def json_ld(triples: list, context_url: str) -> bytes:
    """Triples as JSON-LD whose ``@context`` is ``context_url`` (the served ``context.jsonld``).

    Compacted with the context (short terms, CURIEs) up to COMPACT_LIMIT triples; above it, the
    expanded form under the same ``@context`` (full IRIs are valid keys whatever the context says).
    """
    if len(triples) <= COMPACT_LIMIT:
        document = json.loads(to_rdflib(triples).serialize(format="json-ld", context=json_ld_context()))
        if isinstance(document, dict):
            document["@context"] = context_url
        else:
            document = {"@context": context_url, "@graph": document}
    else:
        document = {"@context": context_url, "@graph": json.loads(ox.serialize(triples, format=ox.RdfFormat.JSON_LD))}
    return json.dumps(document, ensure_ascii=False, indent=1).encode("utf-8")


def graph_body(triples: list, media_type: str, context_url: str) -> bytes:
    """Triples in a negotiated type of ``conneg.GRAPH_TYPES``; JSON-LD names the context."""
    if media_type in JSON_LD_TYPES:
        return json_ld(triples, context_url)
    return serialize_graph(triples, GRAPH_TYPES[media_type])


def rdf_answer(triples: list, request: Request, context_url: str, status: int = 200) -> Response:
    """Triples in the type the client negotiates (Turtle by default); 406 when none fits."""
    media_type = choose("graph", request.headers.get("accept"), request.query_params.get("format"))
    if media_type is None:
        return PlainTextResponse("cannot answer in the requested type; available: " + ", ".join(dict.fromkeys(GRAPH_TYPES)) + "\n",
                                 status_code=406)
    return Response(graph_body(triples, media_type, context_url), status_code=status, media_type=media_type,
                    headers={"Vary": "Accept"})


def wants_html(request: Request) -> bool:
    """Whether a request is a browser's asking for a page: HTML preferred, and no ``format`` parameter."""
    return prefers_html(request.headers.get("accept")) and not request.query_params.get("format")


def plain_error(status: int, message: str) -> PlainTextResponse:
    """An error answer as every route of the endpoint gives it: the message, one line of plain text."""
    return PlainTextResponse(message + "\n", status_code=status)


# ------------------------------------------------------------------ SPARQL examples (SHACL)


def example_iri(name: str) -> str:
    """The IRI of a named query published as an example: ``…/.well-known/sparql-examples/lineage/ancestors``."""
    return EXAMPLES + name


def example_text(query: NamedQuery) -> str:
    """The text an example publishes: the file with its example values bound, so it runs as it stands.

    A search query is published unbound: its hits come from the full-text index, outside SPARQL
    (the JSON API ``/queries/<name>`` binds them).
    """
    return query.text if query.search_param else query.bind(query.example_values())


def sparql_examples(queries: dict[str, NamedQuery], target: str = PERMANENT_ENDPOINT) -> list:
    """Every named query as a SHACL ``sh:SPARQLExecutable`` run against ``target``, as the SIB
    sparql-examples write them: the text, ``rdfs:comment`` (the summary, English), ``rdfs:label``
    (the name), ``schema:target``, ``schema:keywords`` (the topic and the parameters' types) and
    ``sh:prefixes`` declaring the project's prefixes."""
    prefixes = ox.BlankNode("sparql_examples_prefixes")
    triples = []
    for prefix, namespace in CURIES.items():
        declaration = ox.BlankNode(f"prefix_{prefix}")
        triples += [_t(prefixes, SH + "declare", declaration), _t(declaration, SH + "prefix", ox.Literal(prefix)),
                    _t(declaration, SH + "namespace", _typed(namespace, "anyURI"))]
    for query in queries.values():
        text = example_text(query)
        cls, text_property = EXECUTABLES[outline(text).form]
        example = _n(example_iri(query.name))
        keywords = dict.fromkeys([query.name.split("/")[0], *(p.type for p in query.params)])
        triples += [
            _t(example, RDF + "type", _n(SH + "SPARQLExecutable")),
            _t(example, RDF + "type", _n(SH + cls)),
            _t(example, RDFS + "label", ox.Literal(query.name)),
            _t(example, RDFS + "comment", ox.Literal(query.summary, language="en")),
            _t(example, text_property, ox.Literal(text)),
            _t(example, SH + "prefixes", prefixes),
            _t(example, SCHEMA + "target", _n(target)),
            *(_t(example, SCHEMA + "keywords", ox.Literal(k)) for k in keywords),
        ]
        if query.description:
            triples.append(_t(example, DCTERMS + "description", ox.Literal(query.description, language="en")))
    return triples


def sparql_examples_turtle(queries: dict[str, NamedQuery] | None = None, target: str = PERMANENT_ENDPOINT) -> str:
    """The examples as Turtle, in a stable order (what ``queries/sparql-examples.ttl`` holds).

    rdflib writes the query texts as long strings, each line as it is in its file.
    """
    graph = to_rdflib(sparql_examples(load_queries() if queries is None else queries, target))
    for prefix in ("sh", "schema", "rdfs", "dcterms", "xsd"):
        graph.bind(prefix, {"sh": SH, "schema": SCHEMA}.get(prefix) or CURIES[prefix])
    graph.bind("ex", EXAMPLES)
    return graph.serialize(format="turtle")


def write_sparql_examples(path: Path = EXAMPLES_FILE) -> Path:
    """Write ``queries/sparql-examples.ttl`` from the named queries (``tools/write_sparql_examples.py``)."""
    path.write_text(sparql_examples_turtle(), encoding="utf-8")
    return path


# ------------------------------------------------------------------ the catalogue (DCAT)


def _by_subject(triples: list) -> dict[str, dict[str, list]]:
    """Objects by subject IRI, then by predicate IRI."""
    found: dict[str, dict[str, list]] = defaultdict(lambda: defaultdict(list))
    for triple in triples:
        found[triple.subject.value][triple.predicate.value].append(triple.object)
    return found


def catalog_triples(void: list, base_url: str, dump: Path | None) -> list:
    """The ``dcat:Catalog`` at ``<base>/catalog``, read from the VoID description ``void``.

    Its dataset is VoID's (``…/id/dataset``, with its title, licences and dates), served by the
    SPARQL endpoint and distributed as the dump (media type, byte size, modification date, the
    sources' licences); each source graph VoID describes with a licence is a dataset of the catalogue.
    """
    catalog, dataset = _n(base_url + "/catalog"), _n(str(ID) + "dataset")
    service = _n(base_url + "/sparql")
    about = _by_subject(void)
    described = about.get(dataset.value, {})
    licences = described.get(DCTERMS + "license", [])
    triples = [
        _t(catalog, RDF + "type", _n(DCAT + "Catalog")),
        _t(catalog, DCTERMS + "title", ox.Literal("certgraph catalogue", language="en")),
        _t(catalog, DCTERMS + "description", ox.Literal(
            "The certgraph knowledge graph of French professional certifications (RNCP, RS), its sources and its dump.",
            language="en")),
        _t(catalog, FOAF + "homepage", _n(base_url + "/")),
        _t(catalog, DCAT + "dataset", dataset),
        _t(catalog, DCAT + "service", service),
        _t(dataset, RDF + "type", _n(DCAT + "Dataset")),
        _t(service, RDF + "type", _n(DCAT + "DataService")),
        _t(service, DCTERMS + "title", ox.Literal("certgraph SPARQL endpoint", language="en")),
        _t(service, DCAT + "endpointURL", service),
        _t(service, DCAT + "endpointDescription", service),
        _t(service, DCAT + "servesDataset", dataset),
    ]
    for prop in (DCTERMS + "title", DCTERMS + "license", DCTERMS + "issued", DCTERMS + "modified",
                 DCTERMS + "temporal", VOID + "triples"):
        triples += [_t(dataset, prop, value) for value in described.get(prop, [])]
    if dump is not None and dump.exists():
        distribution = _n(base_url + "/dump.nq")
        stat = dump.stat()
        modified = dt.datetime.fromtimestamp(stat.st_mtime, dt.timezone.utc).date().isoformat()
        triples += [
            _t(dataset, DCAT + "distribution", distribution),
            _t(distribution, RDF + "type", _n(DCAT + "Distribution")),
            _t(distribution, DCTERMS + "title", ox.Literal("The whole graph as N-Quads", language="en")),
            _t(distribution, DCAT + "downloadURL", distribution),
            _t(distribution, DCAT + "accessURL", distribution),
            _t(distribution, DCAT + "mediaType", _n(N_QUADS)),
            _t(distribution, DCAT + "byteSize", _typed(stat.st_size, "nonNegativeInteger")),
            _t(distribution, DCTERMS + "modified", _typed(modified, "date")),
            *(_t(distribution, DCTERMS + "license", licence) for licence in licences),
        ]
    for source, properties in sorted(about.items()):
        if source.startswith(str(GRAPH)) and DCTERMS + "license" in properties:
            triples += [_t(catalog, DCAT + "dataset", _n(source)), _t(_n(source), RDF + "type", _n(DCAT + "Dataset"))]
            triples += [_t(_n(source), prop, value) for prop, values in properties.items() for value in values
                        if prop.startswith(DCTERMS)]
    return list(dict.fromkeys(triples))


def _text(terms: list, lang: str | None = None) -> str:
    """The first value of ``terms`` (in ``lang`` when one is), as text; "" for none."""
    chosen = [t for t in terms if lang is None or getattr(t, "language", None) == lang] or terms
    return chosen[0].value if chosen else ""


def _licences(terms: list) -> list[dict]:
    """Licences to show: an IRI is a link, a literal (a source stating its terms in words) is text."""
    return [{"text": t.value, "href": t.value if isinstance(t, ox.NamedNode) else None} for t in sorted(terms, key=str)]


def catalog_view(triples: list, base_url: str) -> dict:
    """What the catalogue page shows, from :func:`catalog_triples`."""
    about = _by_subject(triples)
    dataset = about[str(ID) + "dataset"]
    distribution = about.get(base_url + "/dump.nq", {})
    sources = [
        {"iri": iri, "href": graph_href(iri), "title": _text(p[DCTERMS + "title"]), "publisher": _text(p.get(DCTERMS + "publisher", [])),
         "issued": _text(p.get(DCTERMS + "issued", [])), "licences": _licences(p[DCTERMS + "license"])}
        for iri, p in sorted(about.items()) if iri.startswith(str(GRAPH)) and DCTERMS + "license" in p
    ]
    return {
        "title": _text(dataset.get(DCTERMS + "title", []), "en"),
        "triples": int(_text(dataset.get(VOID + "triples", [])) or 0),
        "issued": _text(dataset.get(DCTERMS + "issued", [])),
        "temporal": _text(dataset.get(DCTERMS + "temporal", [])),
        "licences": _licences(dataset.get(DCTERMS + "license", [])),
        "dump": distribution and {"href": "/dump.nq", "bytes": int(_text(distribution[DCAT + "byteSize"])),
                                  "modified": _text(distribution[DCTERMS + "modified"]), "media_type": "application/n-quads"},
        "sources": sources,
    }


# ------------------------------------------------------------------ named graphs, levels, the ontology


def graph_href(iri: str) -> str:
    """This endpoint's page of a certgraph named graph (the IRI itself for any other).

    >>> graph_href("https://w3id.org/certgraph/graph/rncp-info-2021")
    '/graph/rncp-info-2021'
    """
    return "/graph/" + iri[len(str(GRAPH)):] if iri.startswith(str(GRAPH)) else iri


def _rows(results: dict) -> list[dict[str, dict]]:
    return results.get("results", {}).get("bindings", [])


def _term(binding: dict):
    if binding["type"] == "uri":
        return ox.NamedNode(binding["value"])
    if "xml:lang" in binding:
        return ox.Literal(binding["value"], language=binding["xml:lang"])
    return ox.Literal(binding["value"], datatype=_n(binding["datatype"])) if "datatype" in binding else ox.Literal(binding["value"])


def graph_view(iri: str, rows: list[dict], count: int) -> dict:
    """What a named graph's page shows: its provenance statements and its size."""
    facts = [{"property": compact(r["p"]["value"]), "value": r["o"]["value"], "is_iri": r["o"]["type"] == "uri",
              "href": graph_href(r["o"]["value"]) if r["o"]["type"] == "uri" else None} for r in rows]
    titles = [f["value"] for f in facts if f["property"] == "dcterms:title"]
    return {"iri": iri, "title": titles[0] if titles else compact(iri), "facts": facts, "count": count,
            "contents": "/graph-store?graph=" + iri}


@cache
def ontology_view() -> dict:
    """What the ontology page shows: the ontology's title and description, its terms by kind."""
    store = ox.Store()
    store.load(path=str(ontology_path()), format=ox.RdfFormat.TURTLE)

    def rows(name: str) -> list[dict[str, str]]:
        solutions = store.query(internal_query(name).bind())
        return [{v.value: (s[v].value if s[v] is not None else "") for v in solutions.variables} for s in solutions]

    about = rows("linked_data/ontology-about")
    kinds: dict[str, list] = defaultdict(list)
    for row in rows("linked_data/ontology-terms"):
        row["anchor"] = row["term"].split("#", 1)[1]
        for key in ("domains", "ranges", "parents"):
            row[key] = [{"iri": iri, "text": compact(iri), "href": "#" + iri.split("#", 1)[1] if iri.startswith(CURIES["cg"]) else iri}
                        for iri in row[key].split()]
        kinds[row["kind"].split(" ", 1)[1]].append(row)
    return {"about": about, "kinds": list(kinds.items()), "iri": BASE + "ontology"}


class LinkedData:
    """The handlers of :func:`routes`, over an endpoint's pool, store and public URL."""

    def __init__(self, endpoint):
        self.endpoint = endpoint
        self.context_url = endpoint.public_url + "/context.jsonld"
        self._documents: dict[str, list] = {}

    def rdf(self, triples: list, request: Request, status: int = 200) -> Response:
        return rdf_answer(triples, request, self.context_url, status)

    def html(self, template: str, status: int = 200, **context) -> HTMLResponse:
        return HTMLResponse(render(template, style=stylesheet("pages.css"), **context), status_code=status,
                            headers={"Vary": "Accept"})

    async def run(self, name: str, values: dict | None = None) -> list[dict]:
        """An internal query's rows (SPARQL JSON bindings), run as the server's own query."""
        return _rows(await self.endpoint.pool.run_json(internal_query(name).bind(values)))

    async def context(self, request: Request) -> Response:
        return FileResponse(CONTEXT_FILE, media_type="application/ld+json")

    async def void(self) -> list:
        """The VoID triples, computed once and shared with ``/.well-known/void``."""
        # Imported here: app.py imports this module for its routes.
        from .app import void_triples

        documents = self.endpoint._documents
        if "void" not in documents:
            documents["void"] = await void_triples(self.endpoint.pool, self.endpoint.public_url)
        return documents["void"]

    async def catalog(self, request: Request) -> Response:
        try:
            void = await self.void()
        except EngineError as exc:
            return plain_error(exc.status, exc.message)
        base = self.endpoint.public_url
        triples = catalog_triples(void, base, dump_path(self.endpoint.store_path))
        if wants_html(request):
            return self.html("ld_catalog.html", catalog=catalog_view(triples, base), iri=base + "/catalog")
        return self.rdf(triples, request)

    async def graph(self, request: Request) -> Response:
        raw = request.scope.get("raw_path", request.url.path.encode()).decode("latin-1")
        iri = str(GRAPH) + raw.split("/graph/", 1)[1]
        try:
            rows, size = await self.run("linked_data/graph-about", {"graph": iri}), await self.run("pages/graph-size", {"this": iri})
        except QueryError:
            return plain_error(404, f"not a graph of this store: {iri}")
        except EngineError as exc:
            return plain_error(exc.status, exc.message)
        count = int(size[0]["count"]["value"]) if size else 0
        if not rows and not count:
            return plain_error(404, f"no graph <{iri}> in this store")
        if wants_html(request):
            return self.html("ld_graph.html", graph=graph_view(iri, rows, count))
        subject = _n(iri)
        triples = [_t(subject, r["p"]["value"], _term(r["o"])) for r in rows]
        triples += [_t(subject, VOID + "triples", _typed(count, "integer")),
                    _t(subject, RDFS + "seeAlso", _n(self.endpoint.public_url + "/graph-store?graph=" + iri))]
        return self.rdf(list(dict.fromkeys(triples)), request)

    async def level(self, request: Request) -> Response:
        number = request.path_params["n"]
        if number not in {str(n) for n in range(1, 9)}:
            return plain_error(404, f"no EQF level {number!r}: the levels are 1 to 8")
        iri = str(eqf_iri(int(number)))
        try:
            described = await self.endpoint.describe(iri)
            counts = await self.run("pages/concept-fiche-counts", {"this": iri})
            older = await self.run("linked_data/level-1969", {"level": number})
        except EngineError as exc:
            return plain_error(exc.status, exc.message)
        count = int(counts[0]["directCount"]["value"]) if counts else 0
        if wants_html(request):
            labels = {t.object.language: t.object.value for t in described
                      if t.predicate.value == CURIES["skos"] + "prefLabel" and isinstance(t.object, ox.Literal)}
            return self.html("ld_level.html", level={
                "number": number, "iri": iri, "labels": labels, "count": count,
                "older": [{"href": "/id/" + r["concept"]["value"][len(str(ID)):], "notation": r["notation"]["value"],
                           "label": r.get("label", {}).get("value", "")} for r in older]})
        return self.rdf(described + [_t(_n(r["concept"]["value"]), CURIES["cg"] + "correspondsToEqf", _n(iri)) for r in older],
                        request)

    async def ontology(self, request: Request) -> Response:
        """HTML for a browser; any other client gets the endpoint's RDF answer."""
        if wants_html(request):
            return self.html("ld_ontology.html", ontology=ontology_view())
        return await self.endpoint.ontology(request)

    async def sparql_examples(self, request: Request) -> Response:
        if "examples" not in self._documents:
            self._documents["examples"] = sparql_examples(self.endpoint.queries, self.endpoint.endpoint_url)
        return self.rdf(self._documents["examples"], request)


def routes(endpoint) -> list[Route]:
    """The linked-data routes of ``endpoint``; ``/ontology`` must come before the endpoint's own."""
    views = LinkedData(endpoint)
    return [
        Route("/context.jsonld", views.context, methods=["GET"]),
        Route("/catalog", views.catalog, methods=["GET"]),
        Route("/graph/{path:path}", views.graph, methods=["GET"]),
        Route("/level/{n}", views.level, methods=["GET"]),
        Route("/ontology", views.ontology, methods=["GET"]),
        Route("/.well-known/sparql-examples", views.sparql_examples, methods=["GET"]),
    ]


__all__ = ["LinkedData", "catalog_triples", "graph_body", "json_ld", "json_ld_context", "plain_error", "rdf_answer",
           "routes", "sparql_examples", "sparql_examples_turtle", "wants_html", "write_sparql_examples"]
