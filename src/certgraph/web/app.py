"""The web endpoint: SPARQL 1.1 Protocol, named queries as JSON, linked-data pages, the query editor.

:func:`create_app` returns an ASGI application over a store built by ``certgraph build``:

- ``/sparql``: the SPARQL 1.1 Protocol (GET, POST form, POST ``application/sparql-query``), read-only,
  answered by :class:`certgraph.web.engine.EnginePool` worker processes under a per-query time limit;
  the W3C Service Description on a GET without a query;
- ``/queries`` and ``/queries/<name>``: the named queries, parameters validated and bound as terms;
- ``/id/...``: every certgraph identifier, as an HTML page or as RDF by content negotiation;
- ``/.well-known/void``: the VoID description; ``/graph-store?graph=IRI``: one named graph (read);
- ``/``, ``/compare``, ``/eqf/<n>``: the site for people (:mod:`certgraph.web.site`), in French or English;
- ``/editor``: the YASGUI query editor with every named query as an example; ``/openapi.json``;
- ``/health``: the query workers' state, 200 when a query can run, 503 when none can.

A request is refused early and clearly: a body over the size limit before it is read (or as soon as
a streamed one passes it), text that is not UTF-8, a malformed parameter, and, read by
:mod:`certgraph.sparql_text` before any worker sees the query, an update, SERVICE (the server makes
no outbound request unless ``--allow-service`` names the endpoint's prefix) and nesting deeper than
the parser's stack allows. A query naming its dataset (FROM, FROM NAMED) reads that dataset; the
union of all graphs is the default graph only when neither the query nor the protocol's
``default-graph-uri`` / ``named-graph-uri`` name one.

The store is opened read-only and never written while served, so an answer depends on the query
request alone: a repeated GET of a query, a named query, a page or the VoID is answered from a
memory cache (``X-Cache: hit``) before anything is parsed; the benchmark can switch it off to
measure the engine itself. Nothing else a client sends enters a cached or shared answer: absolute
URLs are written from the configured public URL, never from the Host header.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import re
import time
from collections import OrderedDict
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

import httpx
import pyoxigraph as ox
from starlette.applications import Starlette
from starlette.requests import ClientDisconnect, Request
from starlette.responses import (
    FileResponse,
    HTMLResponse,
    JSONResponse,
    RedirectResponse,
    Response,
)
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from ..queries import NamedQuery, QueryError, bound_text, internal_query, json_row, load_queries
from ..resources import ontology_path, package_version
from ..sparql_text import UPDATE_REFUSED, QueryRefused
from ..store import OxigraphStore, StoreError, dump_path, index_path, plain_value
from ..vocab import BASE, ID
from . import linked_data, site
from .conneg import GRAPH_TYPES, RESULT_TYPES, parse_accept, prefers_html
from .editor import editor_html
from .engine import Answer, EngineError, EnginePool
from .linked_data import plain_error, wants_html
from .pages import View, not_found_page, resource_page
from .protocol import (
    CORS,
    SERVICE_FAILED,
    Headers,
    answer_headers,
    decode_text,
    form_fields,
    get_request,
    is_iri,
    protocol_values,
    query_options,
    screened,
    timeout_value,
)

READ_METHODS = "GET, POST, OPTIONS"
MAX_QUERY_BYTES = 1 << 20
# A query longer than this is read by the lexer off the event loop (a megabyte takes 0.2 s).
LEX_IN_THREAD = 64 << 10
STATIC = Path(__file__).with_name("static")
# The public base URL when none is configured (in-process use): fixed, never the request's Host.
DEFAULT_PUBLIC_URL = "http://127.0.0.1"
# Where __call__ leaves the query string's fields in the ASGI scope, read once per request.
QUERY_FIELDS = "certgraph.query_fields"



class ResultCache:
    """Whole answers (body and headers) by request, least recently used out first, within a byte budget."""

    def __init__(self, budget: int = 256 << 20, largest: int = 1 << 20):
        self.budget, self.largest, self.size = budget, largest, 0
        self.hits = self.misses = 0
        self._entries: OrderedDict[tuple, tuple[bytes, Headers]] = OrderedDict()

    def get(self, key: tuple) -> tuple[bytes, Headers] | None:
        entry = self._entries.get(key)
        if entry is None:
            self.misses += 1
            return None
        self._entries.move_to_end(key)
        self.hits += 1
        return entry

    def put(self, key: tuple, body: bytes, headers: Headers) -> None:
        if self.budget <= 0 or len(body) > self.largest or key in self._entries:
            return
        self._entries[key] = (body, headers)
        self.size += _entry_size(key, body)
        while self.size > self.budget:
            old_key, (old, _) = self._entries.popitem(last=False)
            self.size -= _entry_size(old_key, old)


_DAY = [0.0, b""]  # until when (monotonic seconds) the day below is read again, and the day


def _today() -> bytes:
    """Today's date, ISO, as bytes: read once a second at most (the cache key of every GET holds it)."""
    now = time.monotonic()
    if now >= _DAY[0]:
        _DAY[:] = [now + 1.0, dt.date.today().isoformat().encode()]
    return _DAY[1]


def cache_key(path: bytes, query_string: bytes, accept: bytes, accept_language: bytes) -> tuple:
    """The result cache's key of a GET. The day is part of it: a status or a default asOf is today's, so tomorrow asks again."""
    return (_today(), path, query_string, accept, accept_language)


def _entry_size(key: tuple, body: bytes) -> int:
    return len(body) + sum(len(part) for part in key)


# GET answers that depend on the request alone (the store never changes while served).
CACHED_PATHS = re.compile(r"/sparql|/queries(/.*)?|/id/.*|/\.well-known/(void|sparql-examples)|/graph-store|/catalog|/graph/.*|/level/.*")


@dataclass
class Settings:
    """What ``certgraph serve`` can tune."""

    workers: int | None = None
    timeout: float = 30.0
    max_bytes: int = 64 << 20
    cache_bytes: int = 256 << 20
    worker_memory_mb: int | None = 2048
    client_concurrency: int | None = None
    client_queue: int = 8
    allow_service: tuple[str, ...] = ()
    public_url: str | None = None


async def read_body(request: Request, limit: int = MAX_QUERY_BYTES) -> bytes:
    """The request body, refused (413) by its Content-Length before a byte is read, or as soon as a
    streamed (chunked) body passes ``limit``: a large body is never held in memory."""
    declared = request.headers.get("content-length", "")
    if re.fullmatch(r"[0-9]+", declared) and int(declared) > limit:
        raise QueryRefused(f"the request body ({int(declared):,} bytes) is larger than {limit:,} bytes", 413)
    parts, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise QueryRefused(f"the request body is larger than {limit:,} bytes", 413)
        parts.append(chunk)
    return b"".join(parts)


async def protocol_request(request: Request) -> tuple[dict[str, list[str]], str | None]:
    """A protocol request's parameters by name, and its query (None: none was given).

    :raises QueryRefused: 413 for a body over MAX_QUERY_BYTES, 415 for a body of another type,
        403 for an update, 400 for text that is not UTF-8 or a malformed parameter.
    """
    params = list(request.scope.get(QUERY_FIELDS) or form_fields(request.scope["query_string"], "the query string"))
    query = None
    if request.method == "POST":
        content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
        if content_type == "application/sparql-update":
            raise QueryRefused(UPDATE_REFUSED, 403)
        if content_type not in ("application/sparql-query", "application/x-www-form-urlencoded"):
            raise QueryRefused("POST a query as application/sparql-query or application/x-www-form-urlencoded", 415)
        body = await read_body(request)
        if content_type == "application/sparql-query":
            query = decode_text(body, "the request body")
        else:
            params += form_fields(body, "the request body")
    return protocol_values(params, query)


def _client(request: Request) -> str | None:
    """Who asks, for the pool's per-client limits: the address of the peer connected to the server."""
    return request.client.host if request.client else None


def _public_url(configured: str | None) -> str:
    url = (configured or DEFAULT_PUBLIC_URL).rstrip("/")
    if not re.match(r"https?://", url) or not is_iri(url + "/sparql"):
        raise StoreError(f"cannot serve at {configured!r}: the public URL must be an absolute http(s) URL, "
                         "e.g. https://certgraph.example.org (an IPv6 host in brackets)")
    return url


def plain_rows(results: dict) -> list[dict]:
    """SPARQL JSON bindings as plain values (:func:`~certgraph.store.plain_value`, as the CLI gives them)."""
    return [
        {name: plain_value(term.get("value"), term.get("datatype")) if term.get("type") in ("literal", "typed-literal")
         else term.get("value") for name, term in binding.items()}
        for binding in results.get("results", {}).get("bindings", [])
    ]


class Endpoint:
    """The ASGI application (see module docstring); build it with :func:`create_app`."""

    def __init__(self, store_path: Path, queries: dict[str, NamedQuery], settings: Settings):
        self.store_path = Path(store_path)
        self.queries = queries
        self.settings = settings
        self.public_url = _public_url(settings.public_url)
        self.endpoint_url = self.public_url + "/sparql"
        self.pool = EnginePool(self.store_path, settings.workers, settings.timeout, settings.max_bytes,
                               memory_mb=settings.worker_memory_mb, client_concurrency=settings.client_concurrency,
                               client_queue=settings.client_queue)
        self.cache = ResultCache(settings.cache_bytes)
        self._documents: dict[str, list] = {}
        routes = [
            *site.routes(self),
            Route("/health", self.health, methods=["GET"]),
            Route("/sparql", self.sparql, methods=["GET", "POST"]),
            Route("/queries", self.list_queries, methods=["GET"]),
            Route("/queries/{name:path}", self.named_query, methods=["GET"]),
            Route("/id/{path:path}", self.resource, methods=["GET"]),
            Route("/.well-known/void", self.void, methods=["GET"]),
            Route("/graph-store", self.graph_store, methods=["GET"]),
            Route("/openapi.json", self.openapi, methods=["GET"]),
            *linked_data.routes(self),
            Route("/ontology", self.ontology, methods=["GET"]),
            Route("/dump.nq", self.dump, methods=["GET"]),
        ]
        if STATIC.is_dir():
            routes.append(Mount("/static", StaticFiles(directory=STATIC), name="static"))
        self.app = Starlette(routes=routes, lifespan=self._lifespan)

    @asynccontextmanager
    async def _lifespan(self, app):
        await self.start()
        try:
            yield
        finally:
            await self.stop()

    async def start(self) -> None:
        """Start the query workers (the lifespan does it; call it when driving the app directly)."""
        await self.pool.start()

    async def stop(self) -> None:
        await self.pool.close()

    # ---------------------------------------------------------------- ASGI entry, CORS, cache

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if scope["method"] == "OPTIONS":
            await self._preflight(scope, send)
            return
        accepts = [value for name, value in scope["headers"] if name == b"accept"]
        if len(accepts) > 1:  # one value, read alike by the cache key and by the handlers
            scope = {**scope, "headers": [(n, v) for n, v in scope["headers"] if n != b"accept"] + [(b"accept", b", ".join(accepts))]}
        try:
            fields = form_fields(scope["query_string"], "the query string")
        except QueryRefused as exc:
            await plain_error(exc.status, exc.message)(scope, receive, self._sender(send, None))
            return
        scope = {**scope, QUERY_FIELDS: fields}
        key = None
        if scope["method"] == "GET" and CACHED_PATHS.fullmatch(scope["path"]):
            headers = dict(scope["headers"])
            key = cache_key(scope["path"].encode(), scope["query_string"], headers.get(b"accept", b""), headers.get(b"accept-language", b""))
            entry = self.cache.get(key)
            if entry is not None:
                body, headers = entry
                await send({"type": "http.response.start", "status": 200, "headers": [*headers, (b"x-cache", b"hit")]})
                await send({"type": "http.response.body", "body": body})
                return
        if scope["method"] == "GET" and scope["path"] == "/sparql" and any(name == "query" for name, _ in fields):
            await self._sparql_get(scope, receive, fields, self._sender(send, key))
            return
        await self.app(scope, receive, self._sender(send, key))

    async def _sparql_get(self, scope, receive, fields: list[tuple[str, str]], send) -> None:
        """A protocol GET with a query, answered here rather than through the framework's routing,
        request and response objects: the same answer as :meth:`sparql`, with less work per request."""
        try:
            query, fmt, timeout, default_graphs, named_graphs = get_request(fields)
            accept = next((value.decode("latin-1") for name, value in scope["headers"] if name == b"accept"), None)
            client = scope["client"][0] if scope.get("client") else None
            answer = await self.run(client, query, accept, fmt, timeout, default_graphs, named_graphs)
        except (QueryRefused, EngineError) as exc:
            await plain_error(exc.status, exc.message)(scope, receive, send)
            return
        await send({"type": "http.response.start", "status": 200, "headers": answer_headers(len(answer.body), answer.media_type)})
        await send({"type": "http.response.body", "body": answer.body})

    def _sender(self, send, key: tuple | None):
        """``send`` adding the CORS header; with a cache key, a 200 answer is also kept."""
        kept: dict = {}

        async def sender(message):
            if message["type"] == "http.response.start":
                headers = [*message.get("headers", []), CORS]
                if key is not None:
                    kept.update(status=message["status"], headers=headers, body=[])
                    headers = [*headers, (b"x-cache", b"miss")]
                message["headers"] = headers
            elif key is not None and kept.get("status") == 200:
                kept["body"].append(message.get("body", b""))
                if not message.get("more_body"):
                    self.cache.put(key, b"".join(kept["body"]), kept["headers"])
            await send(message)

        return sender

    async def _preflight(self, scope, send) -> None:
        headers = dict(scope["headers"])
        await send({"type": "http.response.start", "status": 204, "headers": [
            (b"access-control-allow-origin", b"*"),
            (b"access-control-allow-methods", READ_METHODS.encode()),
            (b"access-control-allow-headers", headers.get(b"access-control-request-headers", b"accept, content-type")),
            (b"access-control-max-age", b"86400"),
            (b"allow", READ_METHODS.encode()),
        ]})
        await send({"type": "http.response.body", "body": b""})

    # ---------------------------------------------------------------- SPARQL protocol

    async def sparql(self, request: Request) -> Response:
        try:
            values, query = await protocol_request(request)
            if query is None:
                return self.service_description(request)
            answer = await self.run(_client(request), query, request.headers.get("accept"), *query_options(values))
        except (QueryRefused, EngineError) as exc:
            return plain_error(exc.status, exc.message)
        except ClientDisconnect:
            return plain_error(400, "the client closed the connection before the end of its request body")
        return Response(answer.body, media_type=answer.media_type, headers={"Vary": "Accept"})

    async def run(
        self,
        client: str | None,
        query: str,
        accept: str | None = None,
        fmt: str | None = None,
        timeout: float | None = None,
        default_graphs: list[str] | None = None,
        named_graphs: list[str] | None = None,
    ) -> Answer:
        """Check a client's query (:func:`certgraph.sparql_text.check`), then answer it on the pool.

        ``client`` is who asks (the peer's address), for the pool's per-client limits.

        The dataset is :func:`certgraph.web.protocol.screened`'s. A SERVICE call that fails is
        reported without the other endpoint's answer.

        :raises QueryRefused: see :func:`certgraph.sparql_text.check`.
        :raises EngineError: see :meth:`certgraph.web.engine.EnginePool.run`.
        """
        screen = (self.settings.allow_service, self.endpoint_url)
        if len(query) > LEX_IN_THREAD:
            dataset = await asyncio.to_thread(screened, query, default_graphs, named_graphs, *screen)
        else:
            dataset = screened(query, default_graphs, named_graphs, *screen)
        service = dataset.pop("service")
        try:
            return await self.pool.run(query, accept, fmt, timeout=timeout, client=client, **dataset)
        except EngineError as exc:
            if service and exc.status == 500:
                raise EngineError(502, SERVICE_FAILED) from None
            raise

    def rdf(self, triples: list, request: Request, status: int = 200) -> Response:
        """Triples in the type the client negotiates (JSON-LD with the served @context); 406 when none fits."""
        return linked_data.rdf_answer(triples, request, self.public_url + "/context.jsonld", status)

    def service_description(self, request: Request) -> Response:
        """The W3C Service Description of this endpoint; a browser is sent to the editor."""
        if prefers_html(request.headers.get("accept")):
            return RedirectResponse("/", status_code=303)
        return self.rdf(self._document("sd", lambda: service_description_triples(self.endpoint_url, bool(self.settings.allow_service))), request)

    def _document(self, name: str, make) -> list:
        if name not in self._documents:
            self._documents[name] = make()
        return self._documents[name]

    # ---------------------------------------------------------------- named queries

    async def list_queries(self, request: Request) -> Response:
        # A listing says how it pages: its default and largest ``limit``.
        return JSONResponse([{**describe_query(q), **({"page": {"limit": q.page.limit, "max": q.page.max}} if q.page else {})}
                             for q in self.queries.values()])

    async def named_query(self, request: Request) -> Response:
        """A named query's rows, typed (numbers, booleans, dates as ISO texts); a listing's page
        (``?limit=&offset=``, bound by the query's binder) with its ``total`` beside the rows."""
        query = self.queries.get(request.path_params["name"])
        if query is None:
            return plain_error(404, f"no named query {request.path_params['name']!r}; see /queries")
        reserved = {"format", "timeout"}
        values = {k: v for k, v in request.query_params.items() if k not in reserved}
        index = index_path(self.store_path)
        try:
            # A search parameter reads the SQLite index: off the event loop.
            text = await asyncio.to_thread(bound_text, query, values, index) if query.search_param else bound_text(query, values, index)
            counting = (await asyncio.to_thread(bound_text, query, values, index, True) if query.search_param
                        else bound_text(query, values, index, True)) if query.page else None
            timeout = timeout_value(request.query_params.get("timeout"))
        except QueryError as exc:
            return plain_error(400, str(exc))
        except QueryRefused as exc:
            return plain_error(exc.status, exc.message)
        fmt = request.query_params.get("format")
        raw = fmt not in (None, "", "plain") or _asks_results_type(request.headers.get("accept"))
        try:
            answer = await self.run(_client(request), text, request.headers.get("accept") if raw else None, fmt if raw else None, timeout)
            total = None
            if counting is not None:  # the listing's total: the rows of its cut pattern (NamedQuery.bind_cut)
                total = len(json.loads((await self.run(_client(request), counting, None, None, timeout)).body)["results"]["bindings"])
        except (QueryRefused, EngineError) as exc:
            return plain_error(exc.status, exc.message)
        paging = {"X-Total-Count": str(total)} if total is not None else {}
        if raw:
            return Response(answer.body, media_type=answer.media_type, headers={"Vary": "Accept", **paging})
        results = json.loads(answer.body)
        body = {
            "query": query.name, "params": values,
            "variables": results.get("head", {}).get("vars", []),
            "rows": [json_row(row, query.columns) for row in plain_rows(results)],
        }
        if query.page is not None:
            limit, offset = query.page.window(values)
            body.update(total=total, limit=limit, offset=offset)
        return JSONResponse(body, headers={"Vary": "Accept", **paging})

    # ---------------------------------------------------------------- linked data

    async def resource(self, request: Request) -> Response:
        raw = request.scope.get("raw_path", request.url.path.encode()).decode("latin-1")
        iri = str(ID) + raw.split("/id/", 1)[1]
        if not is_iri(iri):
            return plain_error(404, f"not an identifier of this graph: {iri}")
        if wants_html(request):
            try:
                # The page's dozen queries run at once: as the server's own, outside the client's limits.
                with site.page_language(request):
                    view = View.of(request.url.path, request.query_params)
                    page = await resource_page(iri, self.pool.run_json, self.queries, view)
                    missing = not_found_page(iri) if page is None else None
            except EngineError as exc:
                return plain_error(exc.status, exc.message)
            if page is None:
                return HTMLResponse(missing, status_code=404)
            return HTMLResponse(page, headers={"Vary": "Accept, Accept-Language"})
        try:
            triples = await self.describe(iri, _client(request))
        except EngineError as exc:
            return plain_error(exc.status, exc.message)
        if not triples:
            return plain_error(404, f"nothing is known about <{iri}>")
        return self.rdf(triples, request)

    async def describe(self, iri: str, client: str | None = None) -> list:
        """The resource's own triples (each once, whatever graphs repeat it) and blank-node closure."""
        # One after the other: with --client-concurrency 1 --client-queue 0 a second query of the
        # same client at once would be refused.
        triples = []
        for name in ("web/describe", "web/describe-blank"):
            answer = await self.pool.run(internal_query(name).bind({"this": iri}), accept="application/n-triples", client=client)
            triples += ox.parse(answer.body, format=ox.RdfFormat.N_TRIPLES)
        return list(dict.fromkeys(triples))

    async def void(self, request: Request) -> Response:
        """The VoID description of the dataset: counts, classes, sources, licences, dates, links."""
        if "void" not in self._documents:
            try:
                self._documents["void"] = await void_triples(self.pool, self.public_url)
            except EngineError as exc:
                return plain_error(exc.status, exc.message)
        return self.rdf(self._documents["void"], request)

    async def graph_store(self, request: Request) -> Response:
        """SPARQL 1.1 Graph Store Protocol, reading only: ``?graph=IRI`` (or ``?default``)."""
        graph = request.query_params.get("graph")
        if graph is None and "default" not in request.query_params:
            return plain_error(400, "give ?graph=IRI or ?default")
        if graph is not None and not is_iri(graph):
            return plain_error(400, f"graph={graph!r}: expected an absolute IRI")
        try:
            sparql = internal_query("web/default-graph" if graph is None else "web/graph").bind(
                {} if graph is None else {"graph": graph})
        except QueryError:  # an absolute IRI that is no http(s) IRI: none of this store's graphs
            return plain_error(404, f"no graph <{graph}> in this store")
        try:
            answer = await self.pool.run(sparql, accept="application/n-triples", client=_client(request))
        except EngineError as exc:
            return plain_error(exc.status, exc.message)
        triples = list(ox.parse(answer.body, format=ox.RdfFormat.N_TRIPLES))
        if not triples:
            return plain_error(404, f"no graph <{graph}> in this store")
        return self.rdf(triples, request)

    # ---------------------------------------------------------------- editor, documents

    async def editor(self, request: Request) -> Response:
        if not self.pool.health()["ready"]:
            return plain_error(503, "the query workers are not ready; try again in a moment (see /health)")
        examples = self._document("examples", lambda: editor_examples(self.queries, self.store_path))
        return HTMLResponse(editor_html(examples))

    async def health(self, request: Request) -> Response:
        """The query workers' state (``EnginePool.health``): 200 when a query can run, else 503."""
        state = self.pool.health()
        return JSONResponse(state, status_code=200 if state["ready"] else 503, headers={"Cache-Control": "no-store"})

    async def openapi(self, request: Request) -> Response:
        return JSONResponse(self._document("openapi", lambda: openapi_document(self.queries)))

    async def ontology(self, request: Request) -> Response:
        triples = self._document("ontology", lambda: list(ox.parse(path=str(ontology_path()), format=ox.RdfFormat.TURTLE)))
        return self.rdf(triples, request)

    async def dump(self, request: Request) -> Response:
        path = dump_path(self.store_path)
        if not path.exists():
            return plain_error(404, "no dump beside this store (certgraph build writes <store>.nq)")
        return FileResponse(path, media_type="application/n-quads")


def _asks_results_type(accept: str | None) -> bool:
    """Whether Accept names a SPARQL results type explicitly (then /queries answers raw results)."""
    named = {f"{r.type}/{r.subtype}" for r in parse_accept(accept)}
    return bool(named & {"application/sparql-results+json", "application/sparql-results+xml", "text/csv", "text/tab-separated-values"})


def describe_query(query: NamedQuery) -> dict:
    """A named query for ``/queries``: name, path, summary, description, parameters."""
    return {
        "name": query.name,
        "path": f"/queries/{query.name}",
        "summary": query.summary,
        "description": query.description,
        "params": [{"name": p.name, "type": p.type, "example": p.example, "description": p.description,
                    **({"default": p.default} if p.default is not None else {})} for p in query.params],
        "example": f"/queries/{query.name}" + ("?" + "&".join(f"{p.name}={quote(p.example)}" for p in query.params) if query.params else ""),
    }


def editor_examples(queries: dict[str, NamedQuery], store_path: Path) -> list[dict]:
    """Every named query with its example values bound, for the editor's tabs (a search query
    without a usable index gets no hits)."""
    examples = []
    for query in queries.values():
        values = query.example_values()
        try:
            text = bound_text(query, values, index_path(store_path))
        except QueryError:
            text = query.bind(values, [])
        examples.append({"name": query.name, "summary": query.summary, "description": query.description, "query": text})
    return examples


# ------------------------------------------------------------------ RDF documents

SD = "http://www.w3.org/ns/sparql-service-description#"
VOID_NS = "http://rdfs.org/ns/void#"
DCTERMS = "http://purl.org/dc/terms/"
RDF_TYPE = ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")


def _t(s, p, o) -> ox.Triple:
    return ox.Triple(s, ox.NamedNode(p) if isinstance(p, str) else p, o)


def service_description_triples(endpoint_url: str, federated: bool = False) -> list:
    """The W3C SPARQL 1.1 Service Description of the endpoint at ``endpoint_url`` (``federated``:
    SERVICE is allowed to some endpoints)."""
    service, dataset, graph = ox.NamedNode(endpoint_url), ox.BlankNode("dataset"), ox.BlankNode("default")
    triples = [
        _t(service, RDF_TYPE, ox.NamedNode(SD + "Service")),
        _t(service, SD + "endpoint", service),
        _t(service, SD + "supportedLanguage", ox.NamedNode(SD + "SPARQL11Query")),
        _t(service, SD + "feature", ox.NamedNode(SD + "UnionDefaultGraph")),
        _t(service, SD + "defaultDataset", dataset),
        _t(service, DCTERMS + "title", ox.Literal("certgraph SPARQL endpoint (read-only)", language="en")),
        _t(service, "http://www.w3.org/2000/01/rdf-schema#seeAlso", ox.NamedNode(endpoint_url.rsplit("/sparql", 1)[0] + "/.well-known/void")),
        _t(dataset, RDF_TYPE, ox.NamedNode(SD + "Dataset")),
        _t(dataset, SD + "defaultGraph", graph),
        _t(graph, RDF_TYPE, ox.NamedNode(SD + "Graph")),
    ]
    formats = {
        "application/sparql-results+json": "http://www.w3.org/ns/formats/SPARQL_Results_JSON",
        "application/sparql-results+xml": "http://www.w3.org/ns/formats/SPARQL_Results_XML",
        "text/csv": "http://www.w3.org/ns/formats/SPARQL_Results_CSV",
        "text/tab-separated-values": "http://www.w3.org/ns/formats/SPARQL_Results_TSV",
        "text/turtle": "http://www.w3.org/ns/formats/Turtle",
        "application/n-triples": "http://www.w3.org/ns/formats/N-Triples",
        "application/ld+json": "http://www.w3.org/ns/formats/JSON-LD",
        "application/rdf+xml": "http://www.w3.org/ns/formats/RDF_XML",
        "application/trig": "http://www.w3.org/ns/formats/TriG",
        "application/n-quads": "http://www.w3.org/ns/formats/N-Quads",
    }
    assert set(formats) <= set(RESULT_TYPES) | set(GRAPH_TYPES)
    triples += [_t(service, SD + "resultFormat", ox.NamedNode(iri)) for iri in formats.values()]
    if federated:
        triples.append(_t(service, SD + "feature", ox.NamedNode(SD + "BasicFederatedQuery")))
    return triples


VOCABULARIES = [
    BASE + "ontology#", "http://purl.org/dc/terms/", "http://www.w3.org/2004/02/skos/core#", "https://schema.org/",
    "http://www.w3.org/ns/prov#", "http://rdf-vocabulary.ddialliance.org/xkos#", "http://rdfs.org/ns/void#",
    "http://xmlns.com/foaf/0.1/", "http://data.europa.eu/snb/eqf/",
]

def _term(binding: dict):
    kind, value = binding["type"], binding["value"]
    if kind == "uri":
        return ox.NamedNode(value)
    if kind == "bnode":
        return ox.BlankNode(value)
    if "xml:lang" in binding:
        return ox.Literal(value, language=binding["xml:lang"])
    return ox.Literal(value, datatype=ox.NamedNode(binding["datatype"])) if "datatype" in binding else ox.Literal(value)


async def void_triples(pool: EnginePool, base_url: str) -> list:
    """The VoID description, read from the store: per-graph triples, classes, sources, links."""
    names = ("stats/graph-sizes", "void/sources", "void/classes", "void/links")
    graphs, sources, classes, links = await asyncio.gather(*(pool.run_json(internal_query(n).bind()) for n in names))
    dataset = ox.NamedNode(str(ID) + "dataset")
    integer = ox.NamedNode("http://www.w3.org/2001/XMLSchema#integer")
    triples = [
        _t(dataset, RDF_TYPE, ox.NamedNode(VOID_NS + "Dataset")),
        _t(dataset, DCTERMS + "title", ox.Literal("certgraph: French professional certifications (RNCP, RS) and occupations", language="en")),
        _t(dataset, VOID_NS + "sparqlEndpoint", ox.NamedNode(base_url + "/sparql")),
        _t(dataset, VOID_NS + "dataDump", ox.NamedNode(base_url + "/dump.nq")),
        _t(dataset, VOID_NS + "uriSpace", ox.Literal(str(ID))),
        _t(dataset, VOID_NS + "exampleResource", ox.NamedNode(str(ID) + "rncp/35080")),
        _t(dataset, DCTERMS + "modified", ox.Literal(time.strftime("%Y-%m-%d"), datatype=ox.NamedNode("http://www.w3.org/2001/XMLSchema#date"))),
    ]
    triples += [_t(dataset, VOID_NS + "vocabulary", ox.NamedNode(v)) for v in VOCABULARIES]
    total = 0
    for row in graphs["results"]["bindings"]:
        graph, count = ox.NamedNode(row["g"]["value"]), int(row["n"]["value"])
        total += count
        triples += [_t(dataset, VOID_NS + "subset", graph), _t(graph, RDF_TYPE, ox.NamedNode(VOID_NS + "Dataset")),
                    _t(graph, VOID_NS + "triples", ox.Literal(str(count), datatype=integer))]
    triples.append(_t(dataset, VOID_NS + "triples", ox.Literal(str(total), datatype=integer)))
    licences, issued = set(), set()
    for row in sources["results"]["bindings"]:
        graph, prop, value = ox.NamedNode(row["g"]["value"]), row["p"]["value"], _term(row["o"])
        triples.append(_t(graph, prop, value))
        if prop == DCTERMS + "license":
            licences.add(value)
        elif prop == DCTERMS + "issued":
            issued.add(value.value)
    triples += [_t(dataset, DCTERMS + "license", licence) for licence in sorted(licences, key=str)]
    if issued:
        date = ox.NamedNode("http://www.w3.org/2001/XMLSchema#date")
        triples += [_t(dataset, DCTERMS + "temporal", ox.Literal(f"{min(issued)}/{max(issued)}")),
                    _t(dataset, DCTERMS + "issued", ox.Literal(max(issued), datatype=date))]
    for row in classes["results"]["bindings"]:
        partition = _term(row["p"])
        triples += [_t(dataset, VOID_NS + "classPartition", partition), _t(partition, VOID_NS + "class", _term(row["c"])),
                    _t(partition, VOID_NS + "entities", _term(row["n"]))]
    for number, row in enumerate(sorted(links["results"]["bindings"], key=lambda r: (r["p"]["value"], r["target"]["value"]))):
        linkset = ox.NamedNode(f"{ID}dataset/links/{number}")
        triples += [_t(dataset, VOID_NS + "subset", linkset), _t(linkset, RDF_TYPE, ox.NamedNode(VOID_NS + "Linkset")),
                    _t(linkset, VOID_NS + "linkPredicate", _term(row["p"])), _t(linkset, VOID_NS + "subjectsTarget", dataset),
                    _t(linkset, VOID_NS + "objectsTarget", ox.NamedNode(row["target"]["value"])),
                    _t(linkset, VOID_NS + "triples", ox.Literal(row["n"]["value"], datatype=integer))]
    return triples


def openapi_document(queries: dict[str, NamedQuery]) -> dict:
    """OpenAPI 3.1 for the JSON API: one path per named query, its parameters declared."""
    text = {"type": "string"}
    rows = {"type": "object", "properties": {
        "query": text, "params": {"type": "object"}, "variables": {"type": "array", "items": text},
        "rows": {"type": "array", "items": {"type": "object"}}}}
    errors = {"400": {"description": "A parameter is missing or has a bad value (the message says which)", "content": {"text/plain": {"schema": text}}},
              "503": {"description": "The query passed its time limit", "content": {"text/plain": {"schema": text}}}}
    paths: dict = {
        "/queries": {"get": {"summary": "Every named query, with its parameters", "operationId": "listQueries",
                             "responses": {"200": {"description": "The named queries", "content": {"application/json": {"schema": {"type": "array", "items": {"type": "object"}}}}}}}},
        "/sparql": {"get": {"summary": "SPARQL 1.1 Protocol query (read-only)", "operationId": "sparql",
                            "parameters": [{"name": "query", "in": "query", "required": False, "schema": text},
                                           {"name": "timeout", "in": "query", "required": False, "schema": {"type": "number"}}],
                            "responses": {"200": {"description": "Results, negotiated by Accept"}, **errors}}},
    }
    for query in queries.values():
        parameters = [{"name": p.name, "in": "query", "required": p.default is None, "description": p.description or p.type,
                       "schema": text if p.default is None else {**text, "default": p.default}, "example": p.example}
                      for p in query.params]
        parameters.append({"name": "timeout", "in": "query", "required": False, "description": "seconds (at most the server's limit)", "schema": {"type": "number"}})
        operation_id = re.sub(r"[^A-Za-z0-9]+(.)", lambda m: m.group(1).upper(), query.name)
        paths[f"/queries/{query.name}"] = {"get": {
            "summary": query.summary, "description": query.description, "operationId": operation_id, "parameters": parameters,
            "responses": {"200": {"description": "Rows with plain values", "content": {"application/json": {"schema": rows}}}, **errors}}}
    return {"openapi": "3.1.0", "info": {"title": "certgraph", "version": package_version(),
            "description": "Named SPARQL queries over the French certification registers (RNCP, RS)."}, "paths": paths}


async def request_once(app: Endpoint, path: str, accept: str | None = None) -> tuple[int, str, bytes]:
    """Answer one GET in-process (``certgraph serve --get``): (status, media type, body)."""
    await app.start()
    try:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as client:
            response = await client.get(path, headers={"accept": accept} if accept else {})
    finally:
        await app.stop()
    return response.status_code, response.headers.get("content-type", ""), response.content


def create_app(store: Path | OxigraphStore | str, queries: dict[str, NamedQuery] | None = None, **settings) -> Endpoint:
    """The ASGI app over a built store (a path or an opened :class:`OxigraphStore`).

    ``settings``: the fields of :class:`Settings`: ``workers`` (query processes, default one per
    core), ``timeout`` (the largest per-query limit in seconds, default 30), ``max_bytes`` (largest
    answer), ``cache_bytes`` (result cache budget, 0 disables it), ``worker_memory_mb``,
    ``client_concurrency`` and ``client_queue`` (see :class:`certgraph.web.engine.EnginePool`),
    ``allow_service`` (IRI prefixes SERVICE may call; none by default), ``public_url`` (the base of
    every absolute URL the server writes; default ``http://127.0.0.1``).
    """
    path = Path(getattr(store, "path", None) or store)
    if not (path / "CURRENT").exists():
        raise StoreError(f"no certgraph store at {path}: run `certgraph build --store {path}` first")
    return Endpoint(path, queries if queries is not None else load_queries(), Settings(**settings))


__all__ = ["Endpoint", "ResultCache", "Settings", "create_app", "openapi_document", "plain_rows", "request_once"]
