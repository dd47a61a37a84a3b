"""Named SPARQL queries: files under ``queries/`` with a ``#+`` YAML header, parameters bound as terms.

A parameter value is validated against its declared type, turned into an RDF term, and bound with a
``VALUES`` block placed at the start of the query's WHERE pattern. The value never becomes SPARQL
text of its own: an IRI is minted from a validated code, a string is escaped as a literal.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from functools import cache
from itertools import product
from pathlib import Path

import pyoxigraph as ox
import yaml
from rdflib import Literal, URIRef
from rdflib.namespace import XSD

from .errors import CertgraphError
from .records import normalise_fiche_number
from .resources import queries_dir
from .search import SearchIndexError, candidates
from .sparql_text import inject_values, strip_comments
from .store import index_path, term_nt
from .vocab import concept_iri, eqf_iri, fiche_iri, org_iri


class QueryError(CertgraphError):
    """A named query is broken, unknown, or was given a bad parameter value."""


def _fiche(value: str):
    number = normalise_fiche_number(value)
    if number is None:
        raise ValueError("expected a fiche number like RNCP35080 or RS5000")
    return fiche_iri(number)


def _pattern(regex: str, scheme: str, hint: str):
    compiled = re.compile(regex)

    def convert(value: str):
        code = value.strip()
        if not compiled.fullmatch(code):
            raise ValueError(f"expected {hint}")
        return concept_iri(scheme, code)

    return convert


def _siret(value: str):
    digits = value.strip().replace(" ", "")
    if not re.fullmatch(r"[0-9]{14}", digits):
        raise ValueError("expected a 14-digit SIRET")
    return org_iri(digits, "")


def _level(value: str):
    if not re.fullmatch(r"[1-8]", value.strip()):
        raise ValueError("expected an EQF level from 1 to 8")
    return eqf_iri(int(value))


def _string(value: str):
    if not value.strip():
        raise ValueError("expected a non-empty text")
    return Literal(value)


def _integer(value: str):
    if not re.fullmatch(r"-?[0-9]+", value.strip()):
        raise ValueError("expected an integer")
    return Literal(str(int(value)), datatype=XSD.integer)


def _decimal(value: str):
    if not re.fullmatch(r"-?[0-9]+(\.[0-9]+)?", value.strip()):
        raise ValueError("expected a decimal number like 6.5")
    return Literal(value.strip(), datatype=XSD.decimal)


def _date(value: str):
    try:
        return Literal(dt.date.fromisoformat(value.strip()))
    except ValueError:
        raise ValueError("expected a date like 2025-01-31") from None


def _iri(value: str):
    if not re.fullmatch(r"https?://[^\s<>\"{}|\\^`]+", value.strip()):
        raise ValueError("expected an absolute http(s) IRI")
    return URIRef(value.strip())


# Parameter types: name -> converter from the user's text to an RDF term (raises ValueError).
PARAM_TYPES = {
    "fiche": _fiche,
    "rome": _pattern(r"[A-N][0-9]{2}([0-9]{2})?", "rome", "a ROME code like K1403 (or a domain like K14)"),
    "nsf": _pattern(r"[0-9]{1,3}[a-z]?", "nsf", "an NSF code like 332n, 332 or 33"),
    "formacode": _pattern(r"[0-9]{5}", "formacode", "a 5-digit Formacode like 32135"),
    "siret": _siret,
    "level": _level,
    "string": _string,
    "integer": _integer,
    "decimal": _decimal,
    "date": _date,
    "iri": _iri,
    # Words looked up in the full-text index; the query gets the hits (see Param.binds).
    "search": _string,
}


@dataclass
class Param:
    """A declared parameter: its name (the SPARQL variable), type, example and description."""

    name: str
    type: str
    example: str
    description: str = ""
    # For a ``search`` parameter: the variable bound to each hit's IRI (``?<binds>``, ranked by
    # ``?<binds>Rank``) and the kinds of text searched (fiche, block, competency).
    binds: str | None = None
    kinds: list[str] = field(default_factory=list)
    # The value used when the caller gives none; ``today`` is the date of the call (a ``date``).
    default: str | None = None
    # ``many: true``: the value is a list of values, bound as one VALUES row each (an empty list
    # binds no row, so the query answers nothing).
    many: bool = False

    def default_value(self) -> str | None:
        """The default, with ``today`` resolved to today's date."""
        if self.default == "today":
            return dt.date.today().isoformat()
        return self.default

    def term(self, value: str):
        """The RDF term for a user value; raises QueryError naming the parameter."""
        try:
            return PARAM_TYPES[self.type](str(value))
        except ValueError as exc:
            raise QueryError(f"parameter {self.name}={value!r}: {exc}") from None


@dataclass
class NamedQuery:
    """One ``.rq`` file: its name is its path under ``queries/`` without the extension."""

    name: str
    path: Path
    summary: str
    text: str
    description: str = ""
    params: list[Param] = field(default_factory=list)
    # ``#+ bind: subqueries``: the VALUES block also opens each sub-SELECT's WHERE, which SPARQL
    # evaluates before the outer values are joined (a LIMIT inside would cut unbound rows).
    bind_subqueries: bool = False

    @property
    def search_param(self) -> Param | None:
        """The parameter answered by the full-text index, if any (at most one)."""
        return next((p for p in self.params if p.type == "search"), None)

    def bind(self, values: dict[str, str] | None = None, hits: list[str] | None = None) -> str:
        """The query text with every parameter bound by a VALUES block; raises QueryError.

        A ``search`` parameter also binds its hits (IRIs, best first): one VALUES row per hit, with
        its rank; no hit gives an empty VALUES block, so no row. A ``many`` parameter takes a list
        (or one value): one row per value, with every other parameter's value.

        >>> query = NamedQuery("t", Path("t.rq"), "t", "SELECT ?s WHERE { ?s ?p ?o }",
        ...                    params=[Param("s", "iri", "https://example.org/a", many=True)])
        >>> query.bind({"s": ["https://example.org/a", "https://example.org/b"]})
        'SELECT ?s WHERE { VALUES (?s) { (<https://example.org/a>) (<https://example.org/b>) } ?s ?p ?o }'
        >>> query.bind({"s": []})
        'SELECT ?s WHERE { VALUES (?s) {  } ?s ?p ?o }'
        """
        values = dict(values or {})
        unknown = sorted(set(values) - {p.name for p in self.params})
        if unknown:
            raise QueryError(f"{self.name}: unknown parameter(s) {', '.join(unknown)}")
        for p in self.params:
            if p.name not in values and p.default is not None:
                values[p.name] = p.default_value()
        missing = [p.name for p in self.params if p.name not in values]
        if missing:
            raise QueryError(f"{self.name}: missing parameter(s) {', '.join(missing)}")
        if not self.params:
            return self.text
        names = " ".join(f"?{p.name}" for p in self.params)
        columns = [[term_nt(p.term(v)) for v in _listed(values[p.name])] if p.many else [term_nt(p.term(values[p.name]))]
                   for p in self.params]
        rows = [" ".join(terms) for terms in product(*columns)]
        search = self.search_param
        if search is None:
            block = f"VALUES ({names}) {{ {' '.join(f'({terms})' for terms in rows)} }}"
        else:
            found = " ".join(f"({terms} <{iri}> {rank})" for terms in rows for rank, iri in enumerate(hits or [], start=1))
            block = f"VALUES ({names} ?{search.binds} ?{search.binds}Rank) {{ {found} }}"
        try:
            return inject_values(self.text, block, everywhere=self.bind_subqueries)
        except ValueError as exc:
            raise QueryError(f"{self.name}: {exc}") from None

    def example_values(self) -> dict[str, str]:
        """Every parameter set to its declared example."""
        return {p.name: p.example for p in self.params}


def _listed(value) -> list:
    """A ``many`` parameter's values: a text is one value, any other iterable its items."""
    return [value] if isinstance(value, str) else list(value)


def parse_named_query(path: Path, name: str) -> NamedQuery:
    """Read one ``.rq`` file and its ``#+`` header; raises QueryError naming ``file:line``."""
    text = path.read_text(encoding="utf-8")
    header_lines = []
    for number, line in enumerate(text.splitlines(), start=1):
        if line.startswith("#+"):
            header_lines.append(line[2:].removeprefix(" "))
        elif header_lines or line.strip():
            break
    try:
        header = yaml.safe_load("\n".join(header_lines)) or {}
    except yaml.YAMLError as exc:
        raise QueryError(f"{path}:{_yaml_line(exc)}: bad #+ header: {exc}") from None
    if not isinstance(header, dict) or not header.get("summary"):
        raise QueryError(f"{path}:1: the #+ header needs a summary")
    params = []
    for spec in header.get("params") or []:
        if not isinstance(spec, dict) or {"name", "type", "example"} - spec.keys():
            raise QueryError(f"{path}:1: each parameter needs name, type and example: {spec!r}")
        if spec["type"] not in PARAM_TYPES:
            raise QueryError(f"{path}:1: parameter {spec['name']} has unknown type {spec['type']!r}")
        default = spec.get("default")
        if not isinstance(spec.get("many", False), bool):
            raise QueryError(f"{path}:1: parameter {spec['name']}: many must be true or false")
        param = Param(str(spec["name"]), spec["type"], str(spec["example"]), spec.get("description", ""),
                      default=None if default is None else str(default), many=spec.get("many", False))
        if param.type == "search":
            if not spec.get("binds") or not spec.get("kinds"):
                raise QueryError(f"{path}:1: search parameter {param.name} needs binds and kinds")
            param.binds, param.kinds = str(spec["binds"]), [str(k) for k in spec["kinds"]]
        params.append(param)
    bind = header.get("bind")
    if bind not in (None, "subqueries"):
        raise QueryError(f"{path}:1: bind must be 'subqueries' when given, not {bind!r}")
    query = NamedQuery(name, path, str(header["summary"]).strip(), text, str(header.get("description", "")).strip(),
                       params, bind_subqueries=bind == "subqueries")
    body = strip_comments(text)
    for param in params:
        variable = param.binds if param.type == "search" else param.name
        if not re.search(rf"[?$]{re.escape(variable)}\b", body):
            raise QueryError(f"{path}:1: parameter {param.name} is not used in the query (?{variable})")
    _check_syntax(query)
    return query


def _yaml_line(exc: yaml.YAMLError) -> int:
    mark = getattr(exc, "problem_mark", None)
    return mark.line + 1 if mark else 1


def _check_syntax(query: NamedQuery) -> None:
    try:
        ox.Store().query(query.bind(query.example_values()))
    except SyntaxError as exc:
        line = re.search(r"line (\d+)", str(exc))
        raise QueryError(f"{query.path}:{line.group(1) if line else 1}: {exc}") from None


# The queries the code runs for itself (pages, VoID, exports, analyses, the build) live under
# ``queries/internal/``: parsed and checked like the named queries, but not offered to users.
INTERNAL = "internal"


def load_queries(folder: Path | None = None, internal: bool = False) -> dict[str, NamedQuery]:
    """Every named query under ``folder`` (default: the shipped ``queries/``), by name.

    The ``internal/`` folder is left out; with ``internal``, only its queries are read (named by
    their path under it).
    """
    folder = folder or queries_dir()
    if internal:
        folder = folder / INTERNAL
    found = {}
    for path in sorted(folder.rglob("*.rq")):
        name = path.relative_to(folder).with_suffix("").as_posix()
        if not internal and name.startswith(f"{INTERNAL}/"):
            continue
        found[name] = parse_named_query(path, name)
    return found


@cache
def _internal_queries() -> dict[str, NamedQuery]:
    return load_queries(internal=True)


def internal_query(name: str) -> NamedQuery:
    """One of the shipped ``queries/internal/`` queries (all of them are read and checked at once)."""
    try:
        return _internal_queries()[name]
    except KeyError:
        raise QueryError(f"no internal query {name!r} under queries/{INTERNAL}/") from None


SEARCH_HITS = 100


def search_hits(query: NamedQuery, values: dict[str, str], index: Path) -> list[str]:
    """The full-text index's best hits (IRIs) for the query's search parameter; raises QueryError."""
    param = query.search_param
    try:
        return candidates(index, values[param.name], kinds=param.kinds, limit=SEARCH_HITS)
    except (SearchIndexError, ValueError) as exc:
        raise QueryError(f"{query.name}: parameter {param.name}: {exc}") from None


def bound_text(query: NamedQuery, values: dict[str, str] | None, index: Path | None) -> str:
    """``query`` with ``values`` bound; a ``search`` parameter's hits are read from ``index``.

    :raises QueryError: a bad value, or a search parameter given with no index to answer it.
    """
    hits = None
    if query.search_param is not None and values and query.search_param.name in values:
        if index is None:
            raise QueryError(f"{query.name}: a search query needs the full-text index of the store")
        hits = search_hits(query, values, index)
    return query.bind(values, hits)


def run_named(store, query: NamedQuery, values: dict[str, str] | None = None, index: Path | None = None):
    """Bind ``values`` into ``query`` and run it on ``store`` (any store with ``query(text)``).

    A query with a ``search`` parameter reads the full-text index: ``index``, else the one built
    beside the store (``<store>.search.sqlite``).
    """
    if index is None and getattr(store, "path", None) is not None:
        index = index_path(store.path)
    return store.query(bound_text(query, values, index))


def fiche_known(store, number: str) -> bool:
    """Whether any graph of ``store`` (embedded, rdflib or remote) says something about fiche ``number``."""
    return bool(store.query(internal_query("store/fiche-known").bind({"fiche": number})).boolean)
