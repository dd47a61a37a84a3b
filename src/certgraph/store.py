"""The stores behind every query: the embedded on-disk Oxigraph store (default) and an rdflib Dataset.

Both answer SPARQL over the union of their named graphs (unless the query names its dataset with
FROM / FROM NAMED) and return the same normalised rows, so a named query gives one answer whichever
store runs it (a differential test holds them to it). Results are rdflib terms: rdflib stays the
term library, pyoxigraph does the storing and querying. Neither calls another endpoint: a query
with SERVICE is refused before it runs (:func:`certgraph.sparql_text.check`).
"""

from __future__ import annotations

import datetime as dt
import json
import math
import re
import shutil
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pyoxigraph as ox
from rdflib import BNode, Dataset, Literal, URIRef
from rdflib.namespace import XSD

from .config import PASSWORD_ENV, SCHEME_ENV, STORE_ENV, TOKEN_ENV, USER_ENV, setting
from .errors import CertgraphError
from .resources import package_version
from .sparql_text import QueryRefused, check, strip_comments
from .vocab import STORE_FORMAT, Quad

DEFAULT_STORE = Path("build/store")


class StoreError(CertgraphError):
    """The store could not be opened or a query could not run."""


def _checked_union(sparql: str) -> bool:
    """Refuse what a local store must not run (SERVICE, an update, nesting its parser cannot
    survive); return whether the default graph is the union of the named graphs, that is whether
    the query names no dataset of its own.

    :raises StoreError: the refusal, in one line.
    """
    try:
        return not check(sparql, allow_service=None).names_dataset
    except QueryRefused as exc:
        raise StoreError(exc.message) from None


def dump_path(store_path: Path) -> Path:
    """Where ``certgraph build`` writes the N-Quads dump of the store at ``store_path`` (and ``serve`` reads it).

    >>> dump_path(Path("build/store.v2")).as_posix()
    'build/store.v2.nq'
    """
    return Path(store_path).with_name(Path(store_path).name + ".nq")


def index_path(store_path: Path) -> Path:
    """Where ``certgraph build`` puts the full-text search index of the store at ``store_path``.

    >>> index_path(Path("build/store")).as_posix()
    'build/store.search.sqlite'
    """
    return Path(store_path).with_name(Path(store_path).name + ".search.sqlite")


def equivalence_path(store_path: Path) -> Path:
    """Where ``certgraph build`` puts the equivalence index of the store at ``store_path``.

    >>> equivalence_path(Path("build/store")).as_posix()
    'build/store.equivalence.zip'
    """
    return Path(store_path).with_name(Path(store_path).name + ".equivalence.zip")


def default_store_path() -> Path:
    """``$CERTGRAPH_STORE``, else ``build/store`` under the current directory."""
    return Path(setting(STORE_ENV) or DEFAULT_STORE)


@dataclass
class QueryResult:
    """A SPARQL result: rows for SELECT, a boolean for ASK, triples for CONSTRUCT/DESCRIBE."""

    variables: list[str] = field(default_factory=list)
    rows: list[dict[str, URIRef | Literal | BNode]] = field(default_factory=list)
    boolean: bool | None = None
    triples: list[tuple] = field(default_factory=list)

    def values(self, variable: str) -> list:
        """The Python values of one column (None where unbound)."""
        return [to_python(row.get(variable)) for row in self.rows]


_XSD = "http://www.w3.org/2001/XMLSchema#"
_INTEGERS = {f"{_XSD}{name}" for name in (
    "integer", "int", "long", "short", "byte", "nonNegativeInteger", "positiveInteger", "negativeInteger",
    "nonPositiveInteger", "unsignedLong", "unsignedInt", "unsignedShort", "unsignedByte",
)}
_NUMBERS = {f"{_XSD}decimal", f"{_XSD}double", f"{_XSD}float"}


def plain_value(lexical: str, datatype: str | None = None):
    """The one plain value of a literal, for every output (CLI, JSON API, exports).

    int for the integer types, float for decimal, double and float (finite ones), bool for
    xsd:boolean; the lexical form for anything else (dates, texts, ill-typed values).

    >>> plain_value("0.75", "http://www.w3.org/2001/XMLSchema#decimal")
    0.75
    >>> plain_value("7", "http://www.w3.org/2001/XMLSchema#nonNegativeInteger"), plain_value("2024-01-01")
    (7, '2024-01-01')
    >>> plain_value("INF", "http://www.w3.org/2001/XMLSchema#double"), plain_value("1", "http://www.w3.org/2001/XMLSchema#boolean")
    ('INF', True)
    """
    try:
        if datatype in _INTEGERS:
            return int(lexical)
        if datatype in _NUMBERS:
            number = float(lexical)
            return number if math.isfinite(number) else lexical
    except ValueError:
        return lexical
    if datatype == f"{_XSD}boolean" and lexical in ("true", "false", "1", "0"):
        return lexical in ("true", "1")
    return lexical


def to_python(term):
    """A plain value for output: str for IRIs and texts, as :func:`plain_value` for literals; None stays None."""
    if term is None:
        return None
    if isinstance(term, Literal):
        return plain_value(str(term), str(term.datatype) if term.datatype else None)
    return str(term)


_DATES = {f"{_XSD}date": dt.date, f"{_XSD}dateTime": dt.datetime}


def python_value(term):
    """A value for the Python API: as :func:`to_python`, with xsd:date and xsd:dateTime literals as
    ``datetime`` objects (JSON outputs keep :func:`plain_value`'s ISO text); plain values pass through.

    >>> python_value(Literal("2024-01-31", datatype=XSD.date)), python_value(Literal("6", datatype=XSD.integer)), python_value(7)
    (datetime.date(2024, 1, 31), 6, 7)
    """
    if isinstance(term, Literal) and term.datatype is not None and str(term.datatype) in _DATES:
        try:
            return _DATES[str(term.datatype)].fromisoformat(str(term))
        except ValueError:  # ill-typed, or a form Python does not read: its text
            return str(term)
    if isinstance(term, (URIRef, BNode, Literal)):
        return to_python(term)
    return term


def normalise_literal(lexical: str, datatype: str | None, language: str | None) -> Literal:
    """Plain literals and ``xsd:string`` are the same RDF 1.1 term: represent both as plain."""
    if language:
        return Literal(lexical, lang=language)
    if datatype is None or datatype == str(XSD.string):
        return Literal(lexical)
    return Literal(lexical, datatype=URIRef(datatype))


def _from_ox(term):
    if term is None:
        return None
    if isinstance(term, ox.NamedNode):
        return URIRef(term.value)
    if isinstance(term, ox.BlankNode):
        return BNode(term.value)
    if isinstance(term, ox.Literal):
        datatype = term.datatype.value if term.datatype else None
        return normalise_literal(term.value, datatype, term.language)
    raise StoreError(f"unsupported term {term!r}")


def _from_rdflib(term):
    if isinstance(term, Literal):
        return normalise_literal(str(term), str(term.datatype) if term.datatype else None, term.language)
    return term


# ------------------------------------------------------------------ N-Quads writing


def _escape(text: str) -> str:
    """``text`` as the body of a double-quoted literal, read back the same by every SPARQL and
    N-Triples reader. SPARQL lets a reader expand ``\\u`` codepoint escapes before parsing (rdflib
    does), so after an escaped backslash a ``u`` or ``U`` is itself written as a codepoint escape
    (eight digits: rdflib would read four more hex digits after a four-digit one);
    a tab is escaped because pyparsing, under rdflib, turns tabs into spaces."""
    if not _SPECIAL.search(text):  # the usual case: nothing to escape
        return text
    escaped = text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\r", "\\r").replace("\t", "\\t")
    return _ESCAPED_U.sub(lambda m: f"\\U{ord(m.group(1)):08X}", escaped)


_SPECIAL = re.compile(r'[\\"\n\r\t]')
_ESCAPED_U = re.compile(r"(?<=\\\\)([uU])")


def term_nt(term) -> str:
    """N-Triples form of an rdflib term (Literal.n3() may emit Turtle long strings: not N-Quads).

    >>> term_nt(URIRef("urn:x")), term_nt(Literal('a "b"', lang="fr")), term_nt(Literal(2))
    ('<urn:x>', '"a \\\\"b\\\\""@fr', '"2"^^<http://www.w3.org/2001/XMLSchema#integer>')
    """
    if type(term) is URIRef or isinstance(term, URIRef):  # the exact type first: most terms are IRIs
        return f"<{term}>"
    if isinstance(term, BNode):
        return f"_:{term}"
    if isinstance(term, Literal):
        body = f'"{_escape(str(term))}"'
        if term.language:
            return f"{body}@{term.language}"
        if term.datatype and term.datatype != XSD.string:
            return f"{body}^^<{term.datatype}>"
        return body
    raise StoreError(f"cannot serialise {term!r}")


def write_nquads(quads: Iterable[Quad], path: Path, append: bool = False) -> int:
    """Write (or append) quads as N-Quads, streaming; returns how many lines were written.

    Duplicates are written as they come: the store keeps one of each, so holding every line in
    memory to drop them here would only cost time and memory on the whole register.
    """
    count = 0
    with open(path, "a" if append else "w", encoding="utf-8") as out:
        for s, p, o, g in quads:
            out.write(f"{term_nt(s)} {term_nt(p)} {term_nt(o)} {term_nt(g)} .\n")
            count += 1
    return count


# ------------------------------------------------------------------ stores


class OxigraphStore:
    """The embedded on-disk store (pyoxigraph); the default behind every command."""

    def __init__(self, store: ox.Store, path: Path | None = None):
        self._store = store
        self.path = path

    @classmethod
    def open(cls, path: Path, read_only: bool = True, check_format: bool = True) -> OxigraphStore:
        """Open an existing store; read-only by default so many readers can share it.

        A store built by an older certgraph (its summary states no ``cg:storeFormat``, or an older
        one) is refused with a message to rebuild it, unless ``check_format`` is false: its listings
        would answer nothing. A store without a summary (made by other means) is opened as it is.
        """
        if not (path / "CURRENT").exists():
            raise StoreError(f"no certgraph store at {path}: run `certgraph build --store {path}` first")
        try:
            store = ox.Store.read_only(str(path)) if read_only else ox.Store(str(path))
        except OSError as exc:
            raise StoreError(f"cannot open the store at {path}: {exc}") from exc
        opened = cls(store, path)
        if check_format:
            found = opened.store_format()
            if found is not None and found < STORE_FORMAT:
                said = f"store format {found}" if found else "no store format"
                raise StoreError(f"the store at {path} was built by an older certgraph ({said}; this version reads "
                                 f"format {STORE_FORMAT}): run `certgraph build --store {path}` to rebuild it")
        return opened

    def store_format(self) -> int | None:
        """The format its build states (0 for a build that stated none), or None for a store without a summary."""
        from .queries import internal_query  # queries reads stores: imported here, not at the top

        rows = list(self.select_lexical(internal_query("store/format").bind()))
        if not rows:
            return None
        return max((int(value) for (value,) in rows if value is not None), default=0)

    @classmethod
    def in_memory(cls) -> OxigraphStore:
        """A throw-away store in memory (tests, small graphs)."""
        return cls(ox.Store(), None)

    @classmethod
    def create(cls, path: Path) -> OxigraphStore:
        """A new empty store at ``path``, replacing a previous certgraph store there."""
        if path.exists():
            if any(path.iterdir()) and not (path / "CURRENT").exists():
                raise StoreError(f"{path} exists and is not a certgraph store; not overwriting it")
            shutil.rmtree(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        return cls(ox.Store(str(path)), path)

    def load_nquads(self, path: Path, lenient: bool = False) -> None:
        """Bulk-load an N-Quads file (fast path, does not keep the file in memory); ``lenient`` skips the
        parser's IRI and language-tag checks, for files certgraph wrote itself."""
        self._store.bulk_load(path=str(path), format=ox.RdfFormat.N_QUADS, lenient=lenient)

    def load_file(self, path: Path, graph: URIRef) -> None:
        """Load a Turtle file into one named graph (the ontology)."""
        self._store.bulk_load(path=str(path), format=ox.RdfFormat.TURTLE, to_graph=ox.NamedNode(str(graph)))

    def add_quads(self, quads: Iterable[Quad]) -> None:
        """Add a few quads (derived results)."""
        self._store.extend(
            ox.Quad(_to_ox(s), _to_ox(p), _to_ox(o), _to_ox(g)) for s, p, o, g in quads
        )

    def remove_graph(self, graph: URIRef) -> None:
        """Drop one named graph if present."""
        node = ox.NamedNode(str(graph))
        if self._store.contains_named_graph(node):
            self._store.remove_graph(node)

    def flush(self) -> None:
        """Persist pending writes (no compaction: on a register-sized store it costs seconds for nothing measurable)."""
        self._store.flush()

    def checkpoint(self, target: Path) -> None:
        """A consistent copy of the on-disk store at ``target`` (a new directory), made of hard links
        to its immutable files: instant, and unchanged by what is written to this store afterwards.
        A second process reads the copy; reading the store's own directory while this one writes
        is not safe (a compaction deletes files the reader has yet to open)."""
        self._store.backup(str(target))

    def dump(self, path: Path) -> None:
        """Write every named graph as N-Quads (``.nq``) or TriG (``.trig``)."""
        fmt = ox.RdfFormat.TRIG if path.suffix == ".trig" else ox.RdfFormat.N_QUADS
        self._store.dump(output=str(path), format=fmt)

    def __len__(self) -> int:
        return len(self._store)

    def named_graphs(self) -> list[str]:
        """The IRIs of the named graphs."""
        return sorted(g.value for g in self._store.named_graphs() if isinstance(g, ox.NamedNode))

    def ntriples_batches(self, graph: str, size: int) -> Iterator[tuple[int, bytes]]:
        """One named graph's triples as N-Triples documents of at most ``size`` triples each.

        The graph is written by the store itself to a temporary file (one triple per line), then
        read back in slices: no Python object per triple, and memory bounded by one slice.
        """
        import tempfile

        with tempfile.TemporaryFile() as scratch:
            self._store.dump(output=scratch, format=ox.RdfFormat.N_TRIPLES, from_graph=ox.NamedNode(graph))
            scratch.seek(0)
            lines: list[bytes] = []
            for line in scratch:
                lines.append(line)
                if len(lines) == size:
                    yield size, b"".join(lines)
                    lines = []
            if lines:
                yield len(lines), b"".join(lines)

    def select_lexical(self, sparql: str) -> Iterator[tuple[str | None, ...]]:
        """Stream the rows of a SELECT as tuples of lexical forms (no rdflib terms: for bulk reads)."""
        solutions = self._store.query(sparql, use_default_graph_as_union=_checked_union(sparql))
        names = [variable.value for variable in solutions.variables]
        for solution in solutions:
            yield tuple(None if solution[n] is None else solution[n].value for n in names)

    def query(self, sparql: str) -> QueryResult:
        """Run SPARQL over the union of the named graphs, or over the dataset the query names."""
        union = _checked_union(sparql)
        try:
            result = self._store.query(sparql, use_default_graph_as_union=union)
        except SyntaxError as exc:
            raise StoreError(f"SPARQL syntax error: {exc}") from exc
        except OSError as exc:
            raise StoreError(f"store error: {exc}") from exc
        if isinstance(result, ox.QueryBoolean):
            return QueryResult(boolean=bool(result))
        if isinstance(result, ox.QuerySolutions):
            names = [v.value for v in result.variables]
            rows = [
                {name: _from_ox(solution[name]) for name in names if solution[name] is not None}
                for solution in result
            ]
            return QueryResult(variables=names, rows=rows)
        return QueryResult(triples=[(_from_ox(t.subject), _from_ox(t.predicate), _from_ox(t.object)) for t in result])


def _to_ox(term):
    if isinstance(term, URIRef):
        return ox.NamedNode(str(term))
    if isinstance(term, BNode):
        return ox.BlankNode(str(term))
    if isinstance(term, Literal):
        if term.language:
            return ox.Literal(str(term), language=term.language)
        if term.datatype:
            return ox.Literal(str(term), datatype=ox.NamedNode(str(term.datatype)))
        return ox.Literal(str(term))
    raise StoreError(f"cannot store {term!r}")


class RdflibStore:
    """A plain rdflib Dataset: the reference the embedded store is tested against, and pyshacl's input."""

    def __init__(self, dataset: Dataset | None = None):
        self.dataset = dataset if dataset is not None else Dataset(default_union=True)

    @classmethod
    def from_nquads(cls, path: Path) -> RdflibStore:
        """Parse an N-Quads dump."""
        dataset = Dataset(default_union=True)
        dataset.parse(str(path), format="nquads")
        return cls(dataset)

    def __len__(self) -> int:
        return sum(1 for _ in self.dataset.quads((None, None, None, None)))

    def query(self, sparql: str) -> QueryResult:
        """Run SPARQL over the union of the named graphs, or over the dataset the query names."""
        import rdflib.plugins.sparql
        from rdflib.plugins.sparql.parser import expandUnicodeEscapes

        try:
            _checked_union(expandUnicodeEscapes(sparql))  # what rdflib parses: \u escapes read first
        except ValueError as exc:
            raise StoreError(f"SPARQL error: {exc}") from None
        # rdflib would fetch from the web a graph that FROM names and the dataset lacks.
        rdflib.plugins.sparql.SPARQL_LOAD_GRAPHS = False
        try:
            result = self.dataset.query(sparql)
        except Exception as exc:  # rdflib raises pyparsing and assorted errors
            raise StoreError(f"SPARQL error: {exc}") from exc
        if result.type == "ASK":
            return QueryResult(boolean=bool(result.askAnswer))
        if result.type == "SELECT":
            names = [str(v) for v in result.vars]
            rows = []
            for binding in result:
                row = {}
                for name in names:
                    value = binding[name]
                    if value is not None:
                        row[name] = _from_rdflib(value)
                rows.append(row)
            return QueryResult(variables=names, rows=rows)
        return QueryResult(triples=[tuple(_from_rdflib(t) for t in triple) for triple in result])


def lexical_rows(store, sparql: str) -> Iterator[tuple[str | None, ...]]:
    """The rows of a SELECT as tuples of lexical forms (None where unbound), from any store.

    The embedded store streams them (``OxigraphStore.select_lexical``): its ``query`` builds every
    row as rdflib terms in one list, which at register size is seconds and hundreds of MB. Any other
    store (rdflib, a remote endpoint) answers through ``query``.
    """
    if hasattr(store, "select_lexical"):
        yield from store.select_lexical(sparql)
        return
    result = store.query(sparql)
    for row in result.rows:
        yield tuple(None if row.get(v) is None else str(row[v]) for v in result.variables)


def iter_quads_of(store: OxigraphStore, graphs: Iterable[str] | None = None) -> Iterator[Quad]:
    """Every quad of the store (or of some named graphs) as rdflib terms."""
    wanted = [ox.NamedNode(g) for g in graphs] if graphs is not None else [None]
    for graph in wanted:
        for quad in store._store.quads_for_pattern(None, None, None, graph):
            yield _from_ox(quad.subject), _from_ox(quad.predicate), _from_ox(quad.object), _from_ox(quad.graph_name)


# ------------------------------------------------------------------ any other SPARQL store

AUTH_SCHEMES = ("basic", "digest")


@dataclass(frozen=True)
class Credentials:
    """How to authenticate to another store: a bearer token, or a user and password (basic or digest).

    They come from the environment only (``from_env``), never from the command line, where they
    would show in the shell history and the process list.
    """

    user: str | None = None
    password: str | None = field(default=None, repr=False)  # never in a log or a traceback
    token: str | None = field(default=None, repr=False)
    scheme: str = "basic"

    @classmethod
    def from_env(cls, environ=None) -> Credentials | None:
        """``$CERTGRAPH_SPARQL_TOKEN``, else ``$CERTGRAPH_SPARQL_USER`` and ``_PASSWORD`` (scheme
        ``$CERTGRAPH_SPARQL_AUTH``: basic, the default, or digest); None when none is set."""
        scheme = (setting(SCHEME_ENV, environ) or "basic").strip().lower()
        if scheme not in AUTH_SCHEMES:
            raise StoreError(f"${SCHEME_ENV}={scheme!r}: expected one of {', '.join(AUTH_SCHEMES)}")
        token, user = setting(TOKEN_ENV, environ), setting(USER_ENV, environ)
        if token:
            return cls(token=token)
        if user:
            password = setting(PASSWORD_ENV, environ)
            if password is None:
                raise StoreError(f"${USER_ENV} is set but ${PASSWORD_ENV} is not")
            return cls(user=user, password=password, scheme=scheme)
        return None

    def httpx_auth(self):
        """The matching ``httpx`` authentication (a bearer token goes in ``headers()`` instead)."""
        import httpx

        if self.user is None:
            return None
        return (httpx.DigestAuth if self.scheme == "digest" else httpx.BasicAuth)(self.user, self.password)

    def headers(self) -> dict[str, str]:
        """The Authorization header of a bearer token (none for user and password)."""
        return {"Authorization": f"Bearer {self.token}"} if self.token else {}


def auth_hint(status: int, challenge: str | None) -> str:
    """What to do about a refused request, naming the environment variables to set."""
    if status == 401:
        wanted = (challenge or "").split(" ", 1)[0]
        scheme = f"; the server asks for {wanted} authentication" if wanted else ""
        hint = f" (set ${SCHEME_ENV}=digest)" if wanted.lower() == "digest" else ""
        return (f"HTTP 401: not authenticated{scheme}{hint}; credentials come from "
                f"${USER_ENV} and ${PASSWORD_ENV}, or ${TOKEN_ENV}")
    return f"HTTP {status}: the credentials are not allowed to do this"


# RDF media types certgraph reads from another store (graph answers, graphs read back), with
# rdflib's parser names.
RDF_PARSERS = {
    "text/turtle": "turtle", "application/x-turtle": "turtle", "application/turtle": "turtle",
    "application/n-triples": "nt", "text/plain": "nt", "text/rdf+n3": "n3", "text/n3": "n3",
    "application/rdf+xml": "xml", "application/ld+json": "json-ld",
}


def _from_json(binding: dict):
    kind, value = binding["type"], binding["value"]
    if kind == "uri":
        return URIRef(value)
    if kind == "bnode":
        return BNode(value)
    if kind in ("literal", "typed-literal"):  # "typed-literal": SPARQL 1.0 JSON, still sent by Virtuoso
        return normalise_literal(value, binding.get("datatype"), binding.get("xml:lang"))
    raise StoreError(f"unknown term type {kind!r} in a SPARQL JSON result")


class RemoteStore:
    """Another SPARQL 1.1 endpoint (Virtuoso, GraphDB, Fuseki, Oxigraph server, ``certgraph serve``…)
    queried through SPARQLWrapper, answering as the embedded store does.

    The endpoint must show the union of its named graphs as its default graph, as the embedded
    store does (Virtuoso by default, Oxigraph with ``--union-default-graph``). It is only read:
    an update is refused before it is sent.
    """

    path = None  # no local files beside it (the full-text index of a search query is passed in)

    def __init__(self, url: str, credentials: Credentials | None = None, timeout: float = 300.0):
        self.url, self.credentials, self.timeout = url, credentials, timeout

    def __repr__(self) -> str:
        return f"RemoteStore({self.url!r})"

    def _request(self, sparql: str):
        """Send a query; returns whether it is a graph query, the answer's headers and its body."""
        from SPARQLWrapper import BASIC, DIGEST, JSON, POST, TURTLE, SPARQLWrapper
        from SPARQLWrapper.SPARQLExceptions import SPARQLWrapperException, Unauthorized


        client = SPARQLWrapper(self.url, agent=f"certgraph/{package_version()}")
        # Without comments: SPARQLWrapper finds the query form with a regular expression that
        # misses every other comment line, so a comment saying "describe" made a SELECT a DESCRIBE.
        client.setQuery(strip_comments(sparql))
        if client.isSparqlUpdateRequest():
            raise StoreError(f"{self.url}: certgraph only reads from an endpoint; updates are not sent")
        graph_form = client.queryType in ("CONSTRUCT", "DESCRIBE")
        client.setReturnFormat(TURTLE if graph_form else JSON)
        client.setMethod(POST)  # bound queries with long VALUES blocks would pass URL length limits
        client.setTimeout(int(self.timeout))
        if self.credentials is not None:
            if self.credentials.user is not None:
                client.setHTTPAuth(DIGEST if self.credentials.scheme == "digest" else BASIC)
                client.setCredentials(self.credentials.user, self.credentials.password)
            for name, value in self.credentials.headers().items():
                client.addCustomHttpHeader(name, value)
        try:
            response = client.query().response
            body = response.read()
        except Unauthorized:
            raise StoreError(f"{self.url}: {auth_hint(401, None)}") from None
        except SPARQLWrapperException as exc:
            raise StoreError(f"{self.url}: {_sparqlwrapper_message(exc)}") from None
        except OSError as exc:  # urllib's HTTPError and URLError, a refused connection, a timeout
            code = getattr(exc, "code", None)
            reason = auth_hint(code, exc.headers.get("WWW-Authenticate")) if code in (401, 403) else getattr(exc, "reason", exc)
            raise StoreError(f"{self.url}: {reason}") from None
        return graph_form, response.headers, body

    def query(self, sparql: str) -> QueryResult:
        """Run a query on the endpoint; SELECT and ASK come as SPARQL JSON, graphs as Turtle."""
        graph_form, headers, body = self._request(sparql)
        media_type = (headers.get("Content-Type") or "").split(";")[0].strip().lower()
        if graph_form:
            return QueryResult(triples=self._triples(body, media_type))
        try:
            answer = json.loads(body)
        except ValueError:
            raise StoreError(f"{self.url}: expected SPARQL JSON results, got {media_type or 'no type'}: {body[:200]!r}") from None
        if "boolean" in answer:
            return QueryResult(boolean=bool(answer["boolean"]))
        _check_complete(self.url, headers, answer)
        names = list(answer.get("head", {}).get("vars", []))
        rows = [{name: _from_json(term) for name, term in binding.items()} for binding in answer["results"]["bindings"]]
        return QueryResult(variables=names, rows=rows)

    def _triples(self, body: bytes, media_type: str) -> list[tuple]:
        from rdflib import Graph

        parser = RDF_PARSERS.get(media_type)
        if parser is None:
            raise StoreError(f"{self.url}: cannot read a graph answer sent as {media_type or 'no type'}")
        graph = Graph()
        graph.parse(data=body, format=parser)
        return [tuple(_from_rdflib(t) for t in triple) for triple in graph]



def _sparqlwrapper_message(exc) -> str:
    """SPARQLWrapper's exception as one line: its kind and the server's own words."""
    text = " ".join(str(exc).split())
    return text[:600] + ("…" if len(text) > 600 else "")


def _check_complete(url: str, headers, answer: dict) -> None:
    """Refuse an answer the endpoint cut short (Virtuoso's ResultSetMaxRows says so in a header)."""
    limit = headers.get("X-SPARQL-MaxRows")
    if limit is not None and len(answer.get("results", {}).get("bindings", [])) >= int(limit):
        raise StoreError(
            f"{url}: the endpoint cut the answer at {limit} rows (its result limit, e.g. Virtuoso's "
            "ResultSetMaxRows); raise that limit or narrow the query"
        )
