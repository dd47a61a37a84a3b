"""Named SPARQL queries: files under ``queries/`` with a ``#+`` YAML header, parameters bound as terms.

A parameter value is validated against its declared type, turned into an RDF term, and bound with a
``VALUES`` block placed at the start of the query's WHERE pattern. The value never becomes SPARQL
text of its own: an IRI is minted from a validated code, a string is escaped as a literal.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
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
from .sparql_text import inject_values, strip_comments, tokenize
from .status import as_bool, as_date
from .store import index_path, python_value, term_nt
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


# The paging parameters of a listing (``#+ page:``): given as values like any other parameter.
PAGE_PARAMS = ("limit", "offset")
# The furthest a page may start: past it, a listing is a job for a SPARQL query of one's own.
MAX_OFFSET = 1_000_000


@dataclass(frozen=True)
class Page:
    """A listing's paging, from ``#+ page: {limit: 100, max: 1000}``.

    The file's one ``LIMIT`` (its page cut, equal to ``limit``) is rewritten by the binder with a
    validated ``limit`` (1 to ``max``) and ``offset`` (0 to MAX_OFFSET): integers Python formats,
    never the caller's text.
    """

    limit: int
    max: int

    def window(self, values: dict) -> tuple[int, int]:
        """The (limit, offset) asked for in ``values`` (the defaults where absent); raises QueryError."""
        limit = _bounded(values.get("limit", self.limit), "limit", 1, self.max)
        return limit, _bounded(values.get("offset", 0), "offset", 0, MAX_OFFSET)


def _bounded(value, name: str, low: int, high: int) -> int:
    """A paging value as an int from ``low`` to ``high``, or QueryError naming it."""
    text = str(value).strip()
    if not re.fullmatch(r"[0-9]{1,9}", text) or not low <= int(text) <= high:
        raise QueryError(f"parameter {name}={value!r}: expected an integer from {low} to {high:,}")
    return int(text)


def _page_cut(text: str):
    """The tokens of the one ``LIMIT n`` of ``text`` (the LIMIT word and its number); None if there is none."""
    tokens = tokenize(text)
    cuts = [(t, n) for t, n in zip(tokens, tokens[1:]) if t.kind == "word" and t.text.upper() == "LIMIT" and n.kind == "number"]
    if len(cuts) > 1:
        raise ValueError("a paged query has one LIMIT (its page cut)")
    return cuts[0] if cuts else None


def cut_text(text: str) -> str:
    """The query a paged query's page is cut from: its cut pattern alone, without ORDER BY and LIMIT.

    The cut is the sub-SELECT holding the ``LIMIT`` (or the whole query when it is at the top). It
    has one row per row of the listing, and makes none of the lookups done after the cut (titles,
    numbers): counting its rows gives the listing's total. Only text of the file is kept.

    >>> cut_text('PREFIX a: <urn:a#> SELECT ?x ?t { { SELECT ?x WHERE { ?x a:p ?y } ORDER BY ?y LIMIT 5 } ?x a:t ?t }')
    'PREFIX a: <urn:a#> SELECT ?x WHERE { ?x a:p ?y }'
    """
    tokens = tokenize(text)
    limit, _number = _page_cut(text)
    form = next(t for t in tokens if t.kind == "word" and t.text.upper() in ("SELECT", "CONSTRUCT", "ASK", "DESCRIBE"))
    opened, depth, order = [], {}, None
    for token in tokens:
        if token.start >= limit.start:
            break
        if token.text == "{":
            opened.append(token)
        elif token.text == "}":
            opened.pop()
        depth[token.start] = len(opened)
        if token.kind == "word" and token.text.upper() == "ORDER":
            order = token
    start = opened[-1].start + 1 if opened else form.start
    inside = order is not None and order.start > start and depth[order.start] == len(opened)
    end = order.start if inside else limit.start
    return f"{text[:form.start]}{text[start:end].strip()}"


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
    # ``#+ page:``: a listing, cut in pages by ``limit`` and ``offset`` (None: every row at once).
    page: Page | None = None
    # ``#+ columns: {level: integer, active: boolean}``: the Python type of result columns an
    # engine may answer as text (an aggregate over strings, Virtuoso's booleans).
    columns: dict[str, str] = field(default_factory=dict)

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
        window = self.page.window({k: values.pop(k) for k in PAGE_PARAMS if k in values}) if self.page else None
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
            return self._paged(self.text, window)
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
            return self._paged(inject_values(self.text, block, everywhere=self.bind_subqueries), window)
        except ValueError as exc:
            raise QueryError(f"{self.name}: {exc}") from None

    def bind_cut(self, values: dict[str, str] | None = None, hits: list[str] | None = None) -> str:
        """A listing's cut pattern bound (:func:`cut_text`): as many rows as the listing has, over
        all its pages (``limit`` and ``offset`` ignored); raises QueryError."""
        if self.page is None:
            raise QueryError(f"{self.name} is not a listing: it has no #+ page header")
        values = {k: v for k, v in (values or {}).items() if k not in PAGE_PARAMS}
        return cut_text(self.bind(values, hits))

    @staticmethod
    def _paged(text: str, window: tuple[int, int] | None) -> str:
        """``text`` with its page cut set to ``window`` (limit, offset); unchanged without one."""
        if window is None:
            return text
        limit, number = _page_cut(text)
        offset = f" OFFSET {window[1]:d}" if window[1] else ""
        return f"{text[:limit.start]}LIMIT {window[0]:d}{offset}{text[number.start + len(number.text):]}"

    def example_values(self) -> dict[str, str]:
        """Every parameter set to its declared example."""
        return {p.name: p.example for p in self.params}


def _listed(value) -> list:
    """A ``many`` parameter's values: a text is one value, any other iterable its items."""
    return [value] if isinstance(value, str) else list(value)


# libyaml's safe loader when PyYAML was built with it: ten times faster than the pure-Python one,
# which took most of the time every command spends reading the named queries.
_YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


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
        header = yaml.load("\n".join(header_lines), Loader=_YAML_LOADER) or {}
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
                       params, bind_subqueries=bind == "subqueries", page=_page(path, header.get("page"), text),
                       columns=_columns(path, header.get("columns")))
    body = strip_comments(text)
    for param in params:
        variable = param.binds if param.type == "search" else param.name
        if not re.search(rf"[?$]{re.escape(variable)}\b", body):
            raise QueryError(f"{path}:1: parameter {param.name} is not used in the query (?{variable})")
    _check_syntax(query)
    return query


def _page(path: Path, spec, text: str) -> Page | None:
    """The ``#+ page: {limit: N, max: M}`` header; the file's one LIMIT must be N (it runs as-is elsewhere)."""
    if spec is None:
        return None
    if not isinstance(spec, dict) or set(spec) != {"limit", "max"} or not all(type(v) is int for v in spec.values()) \
            or not 1 <= spec["limit"] <= spec["max"]:
        raise QueryError(f"{path}:1: page must be {{limit: N, max: M}} with 1 <= N <= M, not {spec!r}")
    try:
        cut = _page_cut(strip_comments(text))
    except ValueError as exc:
        raise QueryError(f"{path}:1: {exc}") from None
    if cut is None or int(cut[1].text) != spec["limit"] or re.search(r"\bOFFSET\b", strip_comments(text), re.IGNORECASE):
        raise QueryError(f"{path}:1: a paged query cuts its page with one LIMIT {spec['limit']} and no OFFSET")
    return Page(spec["limit"], spec["max"])


# Column types a ``#+ columns:`` header may declare, each with its Python reading.
COLUMN_TYPES = {"integer": int, "decimal": float, "boolean": as_bool, "date": as_date}


def _columns(path: Path, spec) -> dict[str, str]:
    if spec is None:
        return {}
    if not isinstance(spec, dict) or not set(spec.values()) <= set(COLUMN_TYPES):
        raise QueryError(f"{path}:1: columns maps result variables to {', '.join(COLUMN_TYPES)}, not {spec!r}")
    return {str(k): str(v) for k, v in spec.items()}


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


class QueryFolder(Mapping):
    """The named queries of a folder, by name, each read and checked the first time it is asked for.

    A command that runs three queries reads three files, not every one (``certgraph lineage``
    answers sooner); :func:`load_queries` reads them all at once.
    """

    def __init__(self, folder: Path, internal: bool = False):
        self.paths = {}
        for path in sorted(folder.rglob("*.rq")):
            name = path.relative_to(folder).with_suffix("").as_posix()
            if internal or not name.startswith(f"{INTERNAL}/"):
                self.paths[name] = path
        self._parsed: dict[str, NamedQuery] = {}

    def __getitem__(self, name: str) -> NamedQuery:
        if name not in self._parsed:
            self._parsed[name] = parse_named_query(self.paths[name], name)
        return self._parsed[name]

    def __iter__(self):
        return iter(self.paths)

    def __len__(self) -> int:
        return len(self.paths)


def load_queries(folder: Path | None = None, internal: bool = False, lazy: bool = False) -> dict[str, NamedQuery]:
    """Every named query under ``folder`` (default: the shipped ``queries/``), by name.

    The ``internal/`` folder is left out; with ``internal``, only its queries are read (named by
    their path under it). With ``lazy``, a :class:`QueryFolder`: each file is read and checked when
    first used.
    """
    folder = folder or queries_dir()
    found = QueryFolder(folder / INTERNAL if internal else folder, internal)
    return found if lazy else dict(found.items())


@cache
def _internal_queries() -> QueryFolder:
    return load_queries(internal=True, lazy=True)


def internal_query(name: str) -> NamedQuery:
    """One of the shipped ``queries/internal/`` queries (read and checked on first use; tests check them all)."""
    try:
        return _internal_queries()[name]
    except KeyError:
        raise QueryError(f"no internal query {name!r} under queries/{INTERNAL}/") from None


SEARCH_HITS = 100


def search_hits(query: NamedQuery, values: dict[str, str], index: Path) -> list[str]:
    """The full-text index's best hits (IRIs) for the query's search parameter; raises QueryError."""
    from .search import SearchIndexError, candidates  # only search queries need SQLite and the stemmer

    param = query.search_param
    try:
        return candidates(index, values[param.name], kinds=param.kinds, limit=SEARCH_HITS)
    except (SearchIndexError, ValueError) as exc:
        raise QueryError(f"{query.name}: parameter {param.name}: {exc}") from None


def bound_text(query: NamedQuery, values: dict[str, str] | None, index: Path | None, cut: bool = False) -> str:
    """``query`` with ``values`` bound; a ``search`` parameter's hits are read from ``index``.

    With ``cut``, a listing's cut pattern instead, whose rows make its total (:meth:`NamedQuery.bind_cut`).

    :raises QueryError: a bad value, or a search parameter given with no index to answer it.
    """
    hits = None
    if query.search_param is not None and values and query.search_param.name in values:
        if index is None:
            raise QueryError(f"{query.name}: a search query needs the full-text index of the store")
        hits = search_hits(query, values, index)
    return query.bind_cut(values, hits) if cut else query.bind(values, hits)


def _index_of(store, index: Path | None) -> Path | None:
    """``index``, else the full-text index built beside ``store``."""
    if index is None and getattr(store, "path", None) is not None:
        return index_path(store.path)
    return index


def run_named(store, query: NamedQuery, values: dict[str, str] | None = None, index: Path | None = None):
    """Bind ``values`` into ``query`` and run it on ``store`` (any store with ``query(text)``).

    A query with a ``search`` parameter reads the full-text index: ``index``, else the one built
    beside the store (``<store>.search.sqlite``). A listing (``#+ page:``) takes ``limit`` and
    ``offset`` among ``values``; :func:`count_named` gives its total.
    """
    return store.query(bound_text(query, values, _index_of(store, index)))


def count_named(store, query: NamedQuery, values: dict[str, str] | None = None, index: Path | None = None) -> int:
    """How many rows listing ``query`` has with ``values``, over all its pages; raises QueryError for a non-listing."""
    return len(store.query(bound_text(query, values, _index_of(store, index), cut=True)).rows)


def typed_value(value, kind: str | None):
    """A plain or Python value read as the declared column type (``None`` and unreadable values kept).

    >>> typed_value("6", "integer"), typed_value("false", "boolean"), typed_value("2024-01-31", "date")
    (6, False, datetime.date(2024, 1, 31))
    """
    if kind is None or value is None:
        return value
    try:
        return COLUMN_TYPES[kind](value)
    except (TypeError, ValueError):
        return value


def python_row(row: dict, columns: dict[str, str] | None = None) -> dict:
    """A result row (RDF terms or plain values) as Python values: int, float, bool, ``datetime.date``, str.

    Literals are read by their datatype; ``columns`` (a query's ``#+ columns:``) types the rest.
    """
    columns = columns or {}
    return {k: typed_value(python_value(v), columns.get(k)) for k, v in row.items()}


def json_row(row: dict, columns: dict[str, str] | None = None) -> dict:
    """A result row as JSON values: as :func:`python_row`, with dates as ISO 8601 texts."""
    return {k: v.isoformat() if isinstance(v, dt.date) else v for k, v in python_row(row, columns).items()}


def to_dataframe(result, query: NamedQuery | None = None):
    """A pandas DataFrame of a SELECT result, one column per variable, typed as :func:`python_row` (needs pandas).

    :raises ImportError: pandas is not installed (``pip install pandas``: an optional dependency).
    """
    import pandas as pd

    columns = query.columns if query is not None else None
    return pd.DataFrame([python_row(row, columns) for row in result.rows], columns=result.variables)


def fiche_known(store, number: str) -> bool:
    """Whether any graph of ``store`` (embedded, rdflib or remote) says something about fiche ``number``."""
    return bool(store.query(internal_query("store/fiche-known").bind({"fiche": number})).boolean)
