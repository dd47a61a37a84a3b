"""The stores behind every query: the embedded on-disk Oxigraph store (default) and an rdflib Dataset.

Both answer SPARQL over the union of their named graphs and return the same normalised rows, so a
named query gives one answer whichever store runs it (a differential test holds them to it).
Results are rdflib terms: rdflib stays the term library, pyoxigraph does the storing and querying.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pyoxigraph as ox
from rdflib import BNode, Dataset, Literal, URIRef
from rdflib.namespace import XSD

from .graph import Quad

DEFAULT_STORE = Path("build/store")
STORE_ENV = "CERTGRAPH_STORE"


class StoreError(Exception):
    """The store could not be opened or a query could not run."""


def default_store_path() -> Path:
    """``$CERTGRAPH_STORE``, else ``build/store`` under the current directory."""
    return Path(os.environ.get(STORE_ENV) or DEFAULT_STORE)


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


def to_python(term):
    """A plain value for output: str for IRIs and texts, int/bool/date where typed; None stays None."""
    if term is None:
        return None
    if isinstance(term, Literal):
        value = term.toPython()
        return value if isinstance(value, (int, float, bool)) else str(term)
    return str(term)


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
    return (
        text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\r", "\\r")
    )


def term_nt(term) -> str:
    """N-Triples form of an rdflib term (Literal.n3() may emit Turtle long strings: not N-Quads)."""
    if isinstance(term, URIRef):
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
    def open(cls, path: Path, read_only: bool = True) -> OxigraphStore:
        """Open an existing store; read-only by default so many readers can share it."""
        if not (path / "CURRENT").exists():
            raise StoreError(f"no certgraph store at {path}: run `certgraph build --store {path}` first")
        try:
            store = ox.Store.read_only(str(path)) if read_only else ox.Store(str(path))
        except OSError as exc:
            raise StoreError(f"cannot open the store at {path}: {exc}") from exc
        return cls(store, path)

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

    def load_nquads(self, path: Path) -> None:
        """Bulk-load an N-Quads file (fast path, does not keep the file in memory)."""
        self._store.bulk_load(path=str(path), format=ox.RdfFormat.N_QUADS)

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

    def dump(self, path: Path) -> None:
        """Write every named graph as N-Quads (``.nq``) or TriG (``.trig``)."""
        fmt = ox.RdfFormat.TRIG if path.suffix == ".trig" else ox.RdfFormat.N_QUADS
        self._store.dump(output=str(path), format=fmt)

    def __len__(self) -> int:
        return len(self._store)

    def named_graphs(self) -> list[str]:
        """The IRIs of the named graphs."""
        return sorted(g.value for g in self._store.named_graphs() if isinstance(g, ox.NamedNode))

    def select_lexical(self, sparql: str) -> Iterator[tuple[str | None, ...]]:
        """Stream the rows of a SELECT as tuples of lexical forms (no rdflib terms: for bulk reads)."""
        solutions = self._store.query(sparql, use_default_graph_as_union=True)
        names = [variable.value for variable in solutions.variables]
        for solution in solutions:
            yield tuple(None if solution[n] is None else solution[n].value for n in names)

    def query(self, sparql: str) -> QueryResult:
        """Run SPARQL over the union of the named graphs."""
        try:
            result = self._store.query(sparql, use_default_graph_as_union=True)
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
        """Run SPARQL over the union of the named graphs."""
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


def iter_quads_of(store: OxigraphStore, graphs: Iterable[str] | None = None) -> Iterator[Quad]:
    """Every quad of the store (or of some named graphs) as rdflib terms."""
    wanted = [ox.NamedNode(g) for g in graphs] if graphs is not None else [None]
    for graph in wanted:
        for quad in store._store.quads_for_pattern(None, None, None, graph):
            yield _from_ox(quad.subject), _from_ox(quad.predicate), _from_ox(quad.object), _from_ox(quad.graph_name)
