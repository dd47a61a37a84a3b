"""Linked-data HTML pages: one self-contained page per certgraph resource, read through SPARQL.

The endpoint calls :func:`resource_page` with the resource's IRI and a ``run`` coroutine that answers
SPARQL with parsed SPARQL 1.1 JSON results. A page is built in two rounds of concurrent queries: what
the resource is (its types, its own statements, the named graphs stating them), then what its kind of
page shows (a fiche's blocks and lineage, a concept's fiches, an organisation's certifications…).

The queries are files, ``queries/internal/pages/*.rq``; the resource's IRI enters them only as a bound
term, after checking it is a plain absolute IRI, and named queries are bound through
:meth:`NamedQuery.bind` too. The HTML is Jinja2's (``web/templates/``, autoescaped): this module
computes what a page says and composes the macros of ``_kit.html``, which escape every value that is
not their own markup. Pages load nothing from elsewhere: the stylesheet (``static/pages.css``) is
inline and there is no script.
"""

from __future__ import annotations

import asyncio
import re
import textwrap
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from datetime import date
from urllib.parse import quote, urlencode

from markupsafe import Markup, escape

from ..queries import NamedQuery, internal_query
from ..status import Status, as_bool, as_date
from ..text import fold
from ..vocab import (
    CG,
    CURIES,
    EQF,
    ID,
    compact,
    concept_iri,
    fiche_iri,
    number_from_iri,
)
from .i18n import _, chosen, status_text
from .jinja import kit, render, stylesheet

RunQuery = Callable[[str], Awaitable[dict]]
"""SPARQL text -> SPARQL 1.1 JSON results, parsed (``{"head": …, "results": {"bindings": […]}}``)."""

Term = dict  # one term of a SPARQL JSON result: {"type": "uri"|"literal"|"bnode", "value": …}
Row = dict  # one solution: variable name -> Term

ID_NS = str(ID)
CG_NS = str(CG)
EQF_NS = str(EQF)
RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
XSD_NS = "http://www.w3.org/2001/XMLSchema#"

def _expand(curie: str) -> str:
    prefix, local = curie.split(":", 1)
    return CURIES[prefix] + local


def _iris(curies: str) -> set[str]:
    """The IRIs of space-separated CURIEs."""
    return {_expand(curie) for curie in curies.split()}


# A resource IRI may reach a query only if it is absolute and holds no character that could end or
# escape an IRI reference (the ``iri`` parameter type checks it again).
_SAFE_IRI = re.compile(r"https?://[^\x00-\x20<>\"{}|\\^`]+")

# Every list is cut here; one row more is fetched to know whether the list was cut. The page queries
# write it out in their LIMIT (100, 101, and 501 for lists of concepts: see tests/test_pages.py).
PAGE_SIZE = 100


# ------------------------------------------------------------------ IRIs and escaping


def local_href(iri: str) -> str:
    """The link to a resource: this endpoint's page for a certgraph identifier, the IRI otherwise.

    >>> local_href("https://w3id.org/certgraph/id/rncp/35080")
    '/id/rncp/35080'
    >>> local_href("http://data.europa.eu/snb/eqf/7")
    'http://data.europa.eu/snb/eqf/7'
    """
    if not iri.startswith(ID_NS):
        return iri
    return "/id/" + iri[len(ID_NS) :] + (f"?lang={chosen()}" if chosen() else "")


def esc(text: object) -> Markup:
    """Text escaped for HTML content and attribute values (quotes included), as Jinja2 escapes it.

    >>> esc('<script>alert("x")</script>')
    Markup('&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;')
    """
    return escape(str(text))


def link(iri: str, text: str | None = None, lang: str | None = None) -> Markup:
    """An ``<a>`` to the resource (its local page when it has one); a non-web IRI stays plain text.

    >>> link("https://w3id.org/certgraph/id/rome/K1403", "K1403")
    Markup('<a href="/id/rome/K1403">K1403</a>')
    >>> link("javascript:alert(1)")
    Markup('<span>javascript:alert(1)</span>')
    """
    shown = compact(iri) if text is None else text
    if not iri.startswith(("http://", "https://")):
        return kit().span(shown, lang=lang)
    # A link reading as its IRI may break anywhere rather than widen its table.
    return kit().a(local_href(iri), shown, css="url" if text is None else None, lang=lang)


def _bound(name: str, resource: Resource) -> str:
    """The page query ``queries/internal/<name>.rq`` with the resource bound to its parameter ``this``."""
    return internal_query(name).bind({"this": resource.iri})


# ------------------------------------------------------------------ results


def _rows(results: dict) -> list[Row]:
    return results.get("results", {}).get("bindings", [])


def _v(row: Row, name: str) -> str | None:
    term = row.get(name)
    return term["value"] if term else None


def _int(row: Row, name: str) -> int:
    value = _v(row, name)
    return int(value) if value else 0


def _key(term: Term) -> tuple:
    return term["type"], term["value"], term.get("xml:lang"), term.get("datatype")


def _best_label(labels: list[Term], lang: str = "fr") -> Term | None:
    """The label in ``lang``, else one without a language, else English, else any; ties by text."""

    def rank(term: Term) -> tuple:
        tag = (term.get("xml:lang") or "").lower()
        order = 0 if tag == lang else 1 if not tag else 2 if tag == "en" else 3
        return order, term["value"]

    return min(labels, key=rank) if labels else None


@dataclass
class Facts:
    """The statements whose subject is the resource, each value once, and the labels of its IRI values."""

    values: dict[str, list[Term]] = field(default_factory=dict)
    labels: dict[str, list[Term]] = field(default_factory=dict)
    notations: dict[str, str] = field(default_factory=dict)
    cut: bool = False

    @classmethod
    def from_rows(cls, rows: list[Row], limit: int) -> Facts:
        """From the rows of FACTS (``limit`` rows mean the statements were cut)."""
        facts = cls(cut=len(rows) >= limit)
        seen: set[tuple] = set()
        for row in rows:
            predicate, value = row["p"]["value"], row["o"]
            if (predicate, _key(value)) not in seen:
                seen.add((predicate, _key(value)))
                facts.values.setdefault(predicate, []).append(value)
            if value["type"] == "uri":
                label = row.get("label")
                known = facts.labels.setdefault(value["value"], [])
                if label and all(_key(label) != _key(t) for t in known):
                    known.append(label)
                if "notation" in row:
                    facts.notations.setdefault(value["value"], row["notation"]["value"])
        return facts

    def get(self, curie: str) -> list[Term]:
        return self.values.get(_expand(curie), [])

    def texts(self, curie: str) -> list[str]:
        """The distinct lexical values of a property, sorted."""
        return sorted({term["value"] for term in self.get(curie)})

    def iris(self, curie: str) -> list[str]:
        return [term["value"] for term in self.get(curie) if term["type"] == "uri"]

    def label(self, iri: str, lang: str = "fr") -> Term | None:
        return _best_label(self.labels.get(iri, []), lang)

    def own_label(self) -> Term | None:
        """The resource's own name: title, preferred label, legal name or label."""
        for curie in ("dcterms:title", "skos:prefLabel", "schema:legalName", "rdfs:label"):
            label = _best_label(self.get(curie))
            if label is not None:
                return label
        return None


@dataclass
class Resource:
    """What the first round of queries tells about the resource a page is for."""

    iri: str
    types: set[str]
    facts: Facts
    sources: list[Row]
    is_graph: bool



# ------------------------------------------------------------------ queries

# The statements read for a page (the LIMIT of pages/facts.rq): more mean the list was cut.
FACTS_LIMIT = 5000


async def _run_all(run: RunQuery, texts: dict[str, str]) -> dict[str, list[Row]]:
    """Run independent queries concurrently; their rows by name."""
    answers = await asyncio.gather(*(run(text) for text in texts.values()))
    return {name: _rows(answer) for name, answer in zip(texts, answers)}


# ------------------------------------------------------------------ the entry point


@dataclass(frozen=True)
class View:
    """What a request asks of a page besides its resource: the page's address and parameters (the
    language switch and the listings' links keep them), the listing's page and order.

    >>> View.of("/id/rome/K1403", {"page": "3", "sort": "-title", "lang": "en"}).href(page=4)
    '/id/rome/K1403?sort=-title&lang=en&page=4'
    """

    path: str = ""
    params: tuple[tuple[str, str], ...] = ()

    @classmethod
    def of(cls, path: str, params) -> View:
        """From a request's path and query parameters (a mapping; unknown ones are kept)."""
        return cls(path, tuple((k, v) for k, v in dict(params).items() if k != "format"))

    def get(self, name: str, default: str = "") -> str:
        return dict(self.params).get(name, default)

    @property
    def lang(self) -> str | None:
        """The language the address names (``?lang=``), kept by the site's links."""
        return chosen()

    def keep_lang(self) -> str:
        """``?lang=…`` when the address names the page's language, for a link to another page."""
        return f"?lang={self.lang}" if self.lang else ""

    def href(self, **changes) -> str:
        """This page's address with some parameters changed (None removes one); ``page`` resets
        with any other change. The offset is always replaced by the page."""
        params = {k: v for k, v in self.params if k != "offset"}
        if "page" not in changes:
            params.pop("page", None)
        for name, value in changes.items():
            params.pop(name, None)
            if value is not None:
                params[name] = str(value)
        return self.path + ("?" + urlencode(params) if params else "")

    def page_number(self, size: int) -> int:
        """The 1-based page asked (``?page=``, or ``?offset=`` in rows); 1 when none or malformed."""
        offset = self.get("offset")
        if offset.isdigit():
            return int(offset) // size + 1
        page = self.get("page")
        return max(int(page), 1) if page.isdigit() else 1


async def resource_page(iri: str, run: RunQuery, queries: dict[str, NamedQuery], view: View | None = None) -> str | None:
    """The HTML page of a resource in the current language (:mod:`certgraph.web.i18n`), or None
    when the store knows nothing about it.

    :param iri: the resource's IRI (``https://w3id.org/certgraph/id/rncp/35080``…).
    :param run: runs one SPARQL SELECT and returns its parsed SPARQL JSON results.
    :param queries: the named queries (the fiche page runs the lineage ones and ``fiche/summary``,
        ``fiche/nearest``); the pages' own are ``queries/internal/pages/``.
    :param view: the request's address and parameters (a listing's page and order).
    :returns: a complete HTML5 document, or None for an unknown or malformed IRI.
    """
    if not _SAFE_IRI.fullmatch(iri):
        return None
    bound = {"this": iri}
    classify, facts, sources = await asyncio.gather(
        *(run(internal_query(name).bind(bound)) for name in ("pages/classify", "pages/facts", "pages/sources"))
    )
    rows = _rows(classify)
    if not rows or _v(rows[0], "known") != "true":
        return None
    resource = Resource(
        iri=iri,
        types={_v(row, "type") for row in rows if "type" in row},
        facts=Facts.from_rows(_rows(facts), FACTS_LIMIT),
        sources=_rows(sources),
        is_graph=_v(rows[0], "graph") == "true",
    )
    kinds = [
        (number_from_iri(iri) is not None, _fiche_page),
        (CG_NS + "CompetencyBlock" in resource.types, _block_page),
        (_expand("skos:ConceptScheme") in resource.types, _scheme_page),
        (_expand("skos:Concept") in resource.types, _concept_page),
        (CG_NS + "Organisation" in resource.types, _organisation_page),
    ]
    build = next((page for matches, page in kinds if matches), _generic_page)
    return await build(resource, run, queries, view or View(local_href(iri).split("?")[0]))


def not_found_page(iri: str) -> str:
    """The page answered for an identifier the store knows nothing about (``templates/not_found.html``)."""
    return render("not_found.html", iri=iri)


# ------------------------------------------------------------------ HTML pieces (macros of _kit.html)


def _span(text: object, css: str | None = None, lang: str | None = None) -> Markup:
    return kit().span(text, css=css, lang=lang)


def _code(text: object) -> Markup:
    """A code, a number or an IRI, in monospace."""
    return _span(text, "code")


def _muted(text: object) -> Markup:
    return _span(text, "muted")


def _lit(term: Term | None, lang: str | None = None) -> Markup:
    """A literal's text, with its language (or ``lang`` when the literal has none)."""
    if term is None:
        return Markup()
    value = term["value"]
    if term.get("datatype") == XSD_NS + "boolean":
        value = {"true": _("yes"), "false": _("no")}.get(value, value)
    return _span(value, "text" if "\n" in value else None, term.get("xml:lang") or lang)


def _external(url: str) -> Markup:
    """A link to a page elsewhere, reading as its address; anything but a plain web address stays text."""
    return kit().a(url, url, css="url") if _SAFE_IRI.fullmatch(url) else esc(url)


def _date(value: str | None) -> Markup:
    """A date that never wraps at its hyphens."""
    return _span(value, "date") if value else Markup()


def _fr(text: str | None) -> Markup:
    """French text from the register."""
    return _span(text, lang="fr") if text else Markup()


def _named_link(iri: str, notation: str | None, label: Term | None) -> Markup:
    """A link to a resource reading ``K1403 — Directeur…``: the notation links, the label keeps its language."""
    if notation and label:
        return _spaced(link(iri, notation), _muted("—"), _lit(label))
    if label:
        return link(iri, label["value"], label.get("xml:lang"))
    return link(iri, notation or compact(iri))


def _tagged(value: str | None) -> Term | None:
    """A label a query gave as ``lang|text`` (see pages/incoming.rq) as a literal term."""
    if not value:
        return None
    lang, _, text = value.partition("|")
    return {"type": "literal", "value": text, "xml:lang": lang} if lang else {"type": "literal", "value": text}


def _term(term: Term, facts: Facts | None = None, lang: str = "fr") -> Markup:
    """Any value: an IRI as a link named by its notation and label (in ``lang`` if it has one), a literal as text."""
    if term["type"] == "uri":
        iri = term["value"]
        if facts is None:
            return link(iri)
        return _named_link(iri, facts.notations.get(iri), facts.label(iri, lang))
    if term["type"] == "bnode":
        return _code("_:" + term["value"])
    return _lit(term)


def _table(headers: list[str], rows: list[list], classes: list[str] | None = None) -> Markup:
    """A table; a cell is Markup, or text (escaped)."""
    return kit().table(headers, rows, classes)


def _facts_table(pairs: list[tuple[str, object]]) -> Markup:
    """A two-column table of label and value; empty values are left out."""
    return kit().facts_table(pairs)


def _list(items: list, ordered: bool = False) -> Markup:
    return kit().items(items, ordered=ordered)


def _note(text: object) -> Markup:
    return kit().note(text)


def _joined(values: Iterable, sep: str | None = None) -> Markup:
    """The non-empty values one per line, or separated by the text ``sep``."""
    values = [v for v in values if v]
    return kit().lines(values) if sep is None else esc(sep).join(values)


def _h3(text: object) -> Markup:
    return kit().h3(text)


def _spaced(*parts: object) -> Markup:
    """Inline parts with a space between each (text parts escaped)."""
    return Markup(" ").join(parts)


def _plural(count: int, word: str) -> str:
    return f"{count:,} {word}{'' if count == 1 else 's'}"


def _cut_note(rows: list, shown: int, what: str) -> Markup:
    return _note(_("First {shown} {what} shown.", shown=shown, what=what)) if len(rows) > shown else Markup()


@dataclass
class Section:
    """One part of a page: anchor, heading and body, Markup (empty bodies are dropped)."""

    anchor: str
    title: str
    body: Markup


def _page(resource: Resource, kind: str, heading: Markup, title: str, sections: list[Section],
          view: View | None = None, schema: dict | None = None) -> str:
    """The whole document around the sections (``templates/page.html``)."""
    iri = resource.iri
    here = "/id/" + iri[len(ID_NS) :] if iri.startswith(ID_NS) else ""
    return render(
        "page.html",
        here=view or View(here),
        schema=schema,
        kind=kind,
        heading=heading,
        title=title,
        iri=iri,
        turtle=f"{here}?format=turtle",
        jsonld=f"{here}?format=jsonld",
        style=stylesheet("pages.css"),
        sections=[s for s in sections if s.body],
    )


# ------------------------------------------------------------------ shared sections


def _other_properties(facts: Facts, shown: set[str]) -> Section:
    """Every statement no other section shows, grouped by property."""
    rows = []
    for predicate in sorted(facts.values, key=compact):
        if predicate in shown:
            continue
        # Class names are the ontology's: English, like the rest of the page's chrome.
        lang = "en" if predicate == RDF_TYPE else "fr"
        values = facts.values[predicate]
        cells = [_term(v, facts, lang) for v in values[:PAGE_SIZE]]
        if len(values) > PAGE_SIZE:
            cells.append(_muted(_("and {count} more", count=f"{len(values) - PAGE_SIZE:,}")))
        rows.append([link(predicate), _joined(cells)])
    body = _table([_("Property"), _("Value")], rows) if rows else Markup()
    if facts.cut:
        body += _note(_("Only the first {count} statements were read.", count=FACTS_LIMIT))
    return Section("properties", _("Other properties"), body)


def _incoming_section(rows: list[Row]) -> Section:
    cells = [
        [link(_v(row, "p")), _named_link(_v(row, "s"), _v(row, "notation"), _tagged(_v(row, "label")))]
        for row in rows[:PAGE_SIZE]
    ]
    body = _table([_("Property"), _("Resource")], cells) if cells else Markup()
    return Section("incoming", _("Referenced by"), body + _cut_note(rows, PAGE_SIZE, "links"))


def _sources_section(resource: Resource) -> Section:
    rows = []
    for row in resource.sources:
        upstream = _v(row, "upstream")
        file = [_code(_v(row, "path") or "")] + ([_external(upstream)] if upstream else [])
        rows.append(
            [
                _code(compact(_v(row, "graph"))),
                _v(row, "title") or "",
                _v(row, "issued") or "",
                kit().lines(file),
                str(_int(row, "count")),
            ]
        )
    body = Markup()
    if rows:
        body = _note(
            _("The named graphs stating facts about this resource: one per source file, and the derived data.")
        ) + _table([_("Graph"), _("Source"), _("Issued"), _("File"), _("Statements")], rows)
    return Section("sources", _("Sources"), body)


def _fiche_list_section(anchor: str, title: str, rows: list[Row], intro: str, view: View) -> Section:
    """Every fiche a query listed (``queries/internal/site/*-fiche-rows.rq``), sorted and paged as the
    view asks, with the total."""
    listed = listed_fiches(rows, date.today())
    return Section(anchor, title, _note(intro) + fiche_listing(listed, view) if listed else _note(intro))


# ------------------------------------------------------------------ listings of fiches

# Fiches on a page of a listing.
LISTING_SIZE = 50
SORTS = ("number", "title", "level", "status")
# Status order in a listing sorted by status: in force first, ended last.
STATE_ORDER = {"in-force": 0, "not-yet": 1, "unknown": 2, "ended": 3}


@dataclass
class ListedFiche:
    """One fiche of a listing: what its row shows and what it is sorted and filtered by."""

    iri: str
    number: str
    title: str | None
    level: int | None
    status: Status
    certifiers: list[str] = field(default_factory=list)
    found: Markup = field(default_factory=Markup)  # where a search found it (site.py)

    @property
    def number_key(self) -> tuple:
        """RNCP before RS, then by number as a number (RNCP367 before RNCP10102)."""
        digits = re.sub(r"[^0-9]", "", self.number)
        return (not self.number.startswith("RNCP"), int(digits) if digits else 0)

    def key(self, sort: str) -> tuple:
        if sort == "title":
            return (fold(self.title) if self.title else "\uffff", self.number_key)
        if sort == "level":
            return (self.level if self.level is not None else 99, self.number_key)
        if sort == "status":
            return (STATE_ORDER[self.status.state], self.number_key)
        return self.number_key


def listed_fiches(rows: list[Row], as_of: date) -> list[ListedFiche]:
    """The fiches of a listing query's rows (``?fiche ?number ?title ?level ?effectDate ?endDate
    ?active ?activeAsOf``, and ``?certifiers``: IRIs separated by spaces), their status on ``as_of``."""
    listed = []
    for row in rows:
        iri, level = _v(row, "fiche"), _v(row, "level")
        status = _row_status(row, as_of)
        listed.append(ListedFiche(
            iri, _v(row, "number") or number_from_iri(iri) or compact(iri), _v(row, "title"),
            int(level.rsplit("/", 1)[-1]) if level and level.rsplit("/", 1)[-1].isdigit() else None,
            status, (_v(row, "certifiers") or "").split()))
    return listed


def sort_order(view: View, default: str = "number", allowed: tuple[str, ...] = SORTS) -> tuple[str, bool]:
    """The order a view asks (``?sort=title``, ``?sort=-level`` for descending), else ``default``."""
    asked = view.get("sort", default)
    descending = asked.startswith("-")
    key = asked.lstrip("-")
    return (key, descending) if key in allowed else (default, False)


def sorted_fiches(fiches: list[ListedFiche], sort: str, descending: bool) -> list[ListedFiche]:
    """The fiches in the order asked (``relevance``: as given); without a title or level, last either way."""
    if sort == "relevance":
        return list(reversed(fiches)) if descending else list(fiches)
    missing = {"title": lambda f: not f.title, "level": lambda f: f.level is None}.get(sort, lambda f: False)
    known = sorted((f for f in fiches if not missing(f)), key=lambda fiche: fiche.key(sort), reverse=descending)
    return known + sorted((f for f in fiches if missing(f)), key=lambda fiche: fiche.number_key)


def fiche_listing(fiches: list[ListedFiche], view: View, size: int = LISTING_SIZE,
                  sorts: tuple[str, ...] = SORTS, default: str = "number") -> Markup:
    """A page of fiches: the total and the range shown, the order (links to the others), the table
    (number, title, level, status today, where a search found it), links to the other pages."""
    sort, descending = sort_order(view, default, sorts)
    ordered = sorted_fiches(fiches, sort, descending)
    total = len(ordered)
    pages = max((total + size - 1) // size, 1)
    page = min(view.page_number(size), pages)
    shown = ordered[(page - 1) * size : page * size]
    orders = [
        kit().span(_(name), css="current") if name == sort and not descending
        else kit().a(view.href(sort=name), _(name))
        for name in sorts
    ]
    found = any(fiche.found for fiche in shown)
    headers = [_("Fiche"), _("Title"), _("Level"), _("Status on {date}", date=date.today())]
    cells = [
        [link(fiche.iri, fiche.number), _fr(fiche.title), str(fiche.level or ""),
         kit().status(fiche.status.state, status_text(fiche.status))] + ([fiche.found] if found else [])
        for fiche in shown
    ]
    first = (page - 1) * size + 1 if shown else 0
    summary = _("Fiches {first}–{last} of {total}.", first=f"{first:,}", last=f"{first + len(shown) - 1:,}",
                total=f"{total:,}")
    heading = _note(_spaced(esc(summary), _muted(_("Sort by:")), _joined(orders, " · ")))
    return heading + _table(headers + ([_("Found in")] if found else []), cells) + _pager(view, page, pages)


def _pager(view: View, page: int, pages: int) -> Markup:
    """Links to the previous and next pages and to a few around this one."""
    if pages <= 1:
        return Markup()
    around = sorted({1, pages, *range(max(page - 2, 1), min(page + 2, pages) + 1)})
    links, last = [], 0
    if page > 1:
        links.append(kit().a(view.href(page=page - 1), _("Previous")))
    for number in around:
        if number > last + 1:
            links.append(esc("…"))
        links.append(kit().span(str(number), css="current") if number == page else kit().a(view.href(page=number), str(number)))
        last = number
    if page < pages:
        links.append(kit().a(view.href(page=page + 1), _("Next")))
    return kit().pager(_("Pages"), links)


def _concept_table(rows: list[Row], limit: int) -> Markup:
    cells = [
        [link(_v(row, "concept"), _v(row, "notation") or compact(_v(row, "concept"))), _fr(_v(row, "label"))]
        for row in rows[:limit]
    ]
    return (_table([_("Code"), _("Label")], cells) if cells else Markup()) + _cut_note(rows, limit, "concepts")


def _heading(notation: str | None, label: Term | None, fallback: str, lang: str | None = None) -> Markup:
    """The h1: the notation or number, then the label (in ``lang`` when the label has no language)."""
    number = _span(notation, "number") if notation else None
    if label is not None:
        return _spaced(number, _lit(label, lang)) if number else _lit(label, lang)
    return number if notation else esc(fallback)


def _title_text(notation: str | None, label: Term | None, fallback: str) -> str:
    return " — ".join(p for p in (notation, label["value"] if label else None) if p) or fallback


def _kind_of(resource: Resource, default: str) -> str:
    """The resource's class, by its English label when the ontology gives one, else by its compact IRI."""
    types = sorted(resource.types)
    for iri in types:
        label = resource.facts.label(iri, "en")
        if label and label.get("xml:lang") == "en":
            return label["value"]
    return compact(types[0]) if types else default


def _score(value: str | None) -> Markup:
    if value is None:
        return Markup()
    score = float(value)
    width = max(0.0, min(score, 1.0)) * 8
    return kit().score(width, f"{score:.3f}")


def _blocks_cell(iris: list[str], codes: dict[str, str]) -> Markup:
    items = []
    for iri in sorted(set(iris)):
        number = number_from_iri(iri)
        # A block's IRI ends with its code: a block of a fiche not loaded still reads as its code.
        items.append(link(iri, _("{number} (whole fiche)", number=number) if number else codes.get(iri) or iri.rsplit("/", 1)[-1]))
    return esc(", ").join(items)


def _correspondence_table(rows: list[Row]) -> Markup:
    """Official correspondences: one row per association, from the blocks held to the blocks given."""
    associations: dict[tuple[str, str], dict] = {}
    for row in rows:
        correspondence, association = _v(row, "correspondence"), _v(row, "association")
        if association is None:
            continue
        sides = associations.setdefault((correspondence, association), {"from": [], "to": [], "codes": {}})
        for side in ("from", "to"):
            iri = _v(row, side)
            if iri:
                sides[side].append(iri)
                if _v(row, side + "Code"):
                    sides["codes"][iri] = _v(row, side + "Code")
    cells = []
    for (correspondence, _association), sides in sorted(associations.items()):
        # .../id/correspondence/RNCP36490/RNCP35419: the fiche stating it, then the other one.
        pair = correspondence.rsplit("/correspondence/", 1)[-1].replace("/", " → ")
        cells.append(
            [
                link(correspondence, pair),
                _blocks_cell(sides["from"], sides["codes"]),
                _blocks_cell(sides["to"], sides["codes"]),
            ]
        )
    return _table([_("Correspondence"), _("Holding"), _("Gives")], cells) if cells else Markup()


# ------------------------------------------------------------------ fiche


FICHE_FIELDS = [
    # (label, property, French text?)
    ("Type", "cg:abbreviation", True),
    ("Type code", "cg:abbreviationCode", False),
    ("Publication state", "cg:status", True),
    ("Registration type", "cg:registrationType", True),
    ("Decision date", "cg:decisionDate", False),
    ("Registered from (effect date)", "cg:effectDate", False),
    ("Publication date", "cg:publicationDate", False),
    ("Last Journal officiel", "cg:lastJoDate", False),
    ("End of registration", "cg:endDate", False),
    ("Last award date", "cg:awardDeadline", False),
    ("Registration length (years)", "cg:registrationYears", False),
]

DESCRIPTION_FIELDS = [
    ("Objectives and context", "cg:objectives", False),
    ("Targeted activities", "cg:activity", True),
    ("Attested competencies", "cg:capacity", True),
    ("Assessment methods", "cg:assessmentMethod", True),
    ("Accessible jobs", "cg:job", True),
    ("Sectors", "cg:sectors", False),
    ("Entry prerequisites", "cg:prerequisites", False),
    ("Prerequisites for certification", "cg:certificationPrerequisites", False),
    ("Level of mastery", "cg:masteryLevel", False),
    ("Validity of components", "cg:validityOfComponents", False),
    ("Regulations", "cg:regulations", False),
]

CODE_FIELDS = [("ROME", "cg:rome"), ("NSF", "cg:nsf"), ("Formacode", "cg:formacode")]

def _values_html(facts: Facts, curie: str, french: bool) -> Markup:
    terms = sorted(facts.get(curie), key=lambda t: t["value"])
    return _joined(_lit(t, "fr" if french else None) for t in terms)


# Overview fields the reconciled view holds (reconcile.py), by property: the page shows the newest
# source's value first, the other sources' values after it as history.
RECONCILED_FIELDS = {
    "cg:abbreviation": "abbreviation", "cg:status": "status", "cg:registrationType": "registrationType",
    "cg:effectDate": "effectDate", "cg:endDate": "endDate",
}


def _reconciled(rows: list[Row]) -> dict[str, list[tuple[str, str | None]]]:
    """The reconciled values of a fiche (``fiche/summary`` rows marked reconciled), with each source's date."""
    values: dict[str, list[tuple[str, str | None]]] = {}
    for row in rows:
        if _v(row, "reconciled") == "true":
            values.setdefault(_v(row, "field"), []).append((_v(row, "value"), _v(row, "issued")))
    return values


def _flag_html(reconciled: dict[str, list[tuple[str, str | None]]]) -> Markup:
    """The newest source's own active flag, with that source's date: what was true then, not today."""
    if "active" not in reconciled:
        return Markup()
    value, issued = reconciled["active"][0]
    words = {"true": _("active"), "false": _("inactive")}.get(value, value)
    when = _("(per the register of {date})", date=issued) if issued else _("(per an undated source)")
    return _spaced(words, _muted(when))


def _field_html(facts: Facts, curie: str, french: bool, reconciled: dict) -> Markup:
    """A field's value: the reconciled one first, the other sources' values after it, muted."""
    name = RECONCILED_FIELDS.get(curie)
    if name is None or name not in reconciled:
        return _values_html(facts, curie, french)
    lang = "fr" if french else None
    current = [value for value, _ in reconciled[name]]
    html_value = _joined((_lit({"type": "literal", "value": v}, lang) for v in current), "; ")
    older = sorted({t["value"] for t in facts.get(curie)} - set(current))
    if older:
        html_value = _spaced(html_value, _muted(f"(older sources: {'; '.join(older)})"))
    return html_value


def _level_html(facts: Facts, curie: str) -> Markup:
    cells = []
    for iri in facts.iris(curie):
        fr_label, en_label = facts.label(iri, "fr"), facts.label(iri, "en")
        text = link(iri, fr_label["value"] if fr_label else compact(iri), (fr_label or {}).get("xml:lang"))
        if en_label and en_label.get("xml:lang") == "en" and en_label is not fr_label:
            text = _spaced(text, _muted(_spaced("·", _lit(en_label))))
        cells.append(text)
    return _joined(cells)


async def _fiche_page(resource: Resource, run: RunQuery, queries: dict[str, NamedQuery], view: View) -> str:
    facts, iri = resource.facts, resource.iri
    number = number_from_iri(iri)
    bound = {"fiche": number}
    found = await _run_all(
        run,
        {
            "blocks": _bound("pages/fiche-blocks", resource),
            "certifiers": _bound("pages/fiche-certifiers", resource),
            "partners": _bound("pages/fiche-partners", resource),
            "correspondences": _bound("pages/fiche-correspondences", resource),
            "ancestors": queries["lineage/ancestors"].bind(bound),
            "descendants": queries["lineage/descendants"].bind(bound),
            "current": queries["lineage/current"].bind(bound),
            "summary": queries["fiche/summary"].bind(bound),
            "links": queries["lineage/links"].bind(bound),
            "registrations": queries["lineage/registrations"].bind(bound),
            "similar": queries["fiche/nearest"].bind(bound),
            "esco": queries["occupations/esco-of-fiche"].bind(bound),
            # Without the links the page shows in its own sections (or that only repeat them).
            "incoming": _bound("pages/incoming-fiche", resource),
        },
    )
    shown = _iris(
        "dcterms:title rdfs:label cg:number cg:eqfLevel cg:level1969 cg:formerTitle foaf:page schema:url "
        "cg:certifier cg:certifierRole cg:partner cg:ccn dcterms:hasPart dcterms:replaces dcterms:isReplacedBy"
    )
    shown |= {_expand(c) for _, c, _ in FICHE_FIELDS + DESCRIPTION_FIELDS}
    shown |= {_expand(c) for _, c in CODE_FIELDS}

    reconciled = _reconciled(found["summary"])
    titles = facts.texts("dcterms:title") or facts.texts("rdfs:label")
    current_titles = [value for value, _ in reconciled.get("title", [])]
    title = current_titles[0] if current_titles else (titles[0] if titles else None)
    heading = _spaced(_span(number, "number"), _fr(title) if title else _muted(_("(no title in the loaded sources)")))
    status = Status.of(date.today(), {name: values[0] for name, values in reconciled.items()})
    overview = [
        (_("Number"), _code(number)),
        (_("Title"), _fr(title)),
        (_("Status"), _spaced(kit().status(status.state, status_text(status)),
                              _muted(_("(on {date}, from the newest sources)", date=status.as_of.isoformat())))),
        (_("Current equivalent"), _current_html(iri, found["current"])),
    ]
    others = [t for t in titles if t != title]
    if others:
        overview.append((_("Other titles in the sources"), _joined(_fr(t) for t in others)))
    overview.append((_("Former titles"), _joined(_fr(t) for t in facts.texts("cg:formerTitle"))))
    overview.append((_("EQF level"), _level_html(facts, "cg:eqfLevel")))
    overview.append((_("Level (1969 nomenclature)"), _level_html(facts, "cg:level1969")))
    overview += [(_(label), _field_html(facts, curie, french, reconciled)) for label, curie, french in FICHE_FIELDS]
    overview.insert(4, (_("Active flag"), _flag_html(reconciled)))
    overview.append(
        (
            "France Compétences",
            _joined(_external(page) for page in facts.iris("foaf:page")),
        )
    )
    overview.append((_("Website"), _joined(_term(t) for t in facts.get("schema:url"))))

    sections = [
        Section("overview", _("Overview"), _facts_table(overview)),
        _certifiers_section(found["certifiers"]),
        _codes_section(facts, reconciled),
        _esco_section(found["esco"]),
        _blocks_section(found["blocks"]),
        _lineage_section(iri, found),
        _similar_section(found["similar"]),
        Section("correspondences", _("Official correspondences"), _correspondence_body(found["correspondences"])),
        _description_section(facts),
        _partners_section(found["partners"]),
        _other_properties(facts, shown),
        _incoming_section(found["incoming"]),
        _sources_section(resource),
    ]
    kind = _("RS certification") if number.startswith("RS") else _("RNCP certification")
    return _page(resource, kind, heading, " — ".join(p for p in (number, title) if p), sections, view,
                 schema=_schema_org(resource, number, title, found))


HABILITATIONS = {
    "HABILITATION_FORMER": "trains",
    "HABILITATION_ORGANISER": "organises the assessment",
    "HABILITATION_ORGA_FORM": "trains and organises the assessment",  # each shown through _()
}


def _state(row: Row) -> Markup:
    """A certifier's or partner's state for the fiche: active or not, and since when."""
    words = {"true": _("active"), "false": _("inactive")}
    values = [words.get(v, v) for v in (_v(row, "active") or "").split()]
    since = _v(row, "modified")
    text = ", ".join(values)
    return _spaced(text, _muted(_("(since {date})", date=since))) if since and values else esc(text)


def _org_cells(row: Row) -> list[Markup]:
    org = _v(row, "org")
    return [link(org, _v(row, "name") or compact(org)), _code(_v(row, "siret") or "")]


def _certifiers_section(rows: list[Row]) -> Section:
    # The certifier's state for this fiche comes only from the XML export: no column without it.
    states = [_state(r) for r in rows]
    if any(states):
        body = _table(
            [_("Certifier"), _("SIRET"), _("State for this fiche")], [_org_cells(r) + [s] for r, s in zip(rows, states)]
        )
    else:
        body = _table([_("Certifier"), _("SIRET")], [_org_cells(r) for r in rows]) if rows else Markup()
    return Section("certifiers", _("Certifiers"), body)


def _partners_section(rows: list[Row]) -> Section:
    cells = [
        _org_cells(r) + [_(HABILITATIONS.get(_v(r, "type") or "", _v(r, "type") or "")), _state(r)]
        for r in rows[:PAGE_SIZE]
    ]
    body = _table([_("Partner"), _("SIRET"), _("Habilitation"), _("State")], cells) if cells else Markup()
    return Section("partners", _("Partner organisations"), body + _cut_note(rows, PAGE_SIZE, "partners"))


def _codes_section(facts: Facts, reconciled: dict[str, list[tuple[str, str | None]]]) -> Section:
    """The codes of the fiche: the reconciled ones (the newest source's set per scheme), then the
    codes only older sources give, marked as such."""
    cells = []
    for scheme, curie in CODE_FIELDS:
        current = {value for value, _ in reconciled.get(curie.split(":")[1], [])}
        ordered = sorted(facts.iris(curie), key=lambda i: (i not in current, facts.notations.get(i, i)))
        for iri in ordered:
            code = facts.notations.get(iri) or iri.rsplit("/", 1)[-1]
            cells.append(
                [
                    scheme,
                    link(iri, code),
                    _lit(facts.label(iri), "fr") or _muted(_("(not in the loaded code list)")),
                    "" if iri in current or not current else _muted(_("older sources only")),
                ]
            )
    for agreement in facts.texts("cg:ccn"):
        cells.append([_("Collective agreement"), "", _fr(agreement), ""])
    return Section("codes", _("Codes"), _table([_("Scheme"), _("Code"), _("Label"), ""], cells) if cells else Markup())


# The SKOS mapping relations of the ROME ↔ ESCO crosswalk, read from the appellation to the occupation.
ESCO_RELATIONS = {
    "exactMatch": "correspondance exacte",
    "closeMatch": "correspondance proche",
    "broadMatch": "correspondance plus large",
    "narrowMatch": "correspondance plus étroite",
}


def _esco_section(rows: list[Row]) -> Section:
    """The ESCO occupations of the fiche (``occupations/esco-of-fiche``): one row per occupation and
    relation, closest first, with the ROME codes and appellations that lead to it."""
    found: dict[tuple[str, str], dict] = {}
    for row in rows:
        relation = (_v(row, "relation") or "").rsplit("#", 1)[-1]
        entry = found.setdefault((_v(row, "esco"), relation), {"label": _v(row, "escoLabel"), "rome": {}, "via": {}})
        entry["rome"].setdefault(_v(row, "rome"), None)
        entry["via"].setdefault(_v(row, "appellation"), _v(row, "appellationLabel"))
    ranks = list(ESCO_RELATIONS)

    def closest_first(item: tuple[tuple[str, str], dict]) -> tuple:
        (esco, relation), entry = item
        return ranks.index(relation) if relation in ranks else len(ranks), entry["label"] or esco

    ordered = sorted(found.items(), key=closest_first)
    cells = [
        [
            link(esco, entry["label"] or compact(esco), "fr"),
            _fr(ESCO_RELATIONS.get(relation, relation)),
            _joined((link(str(concept_iri("rome", code)), code) for code in entry["rome"] if code), ", "),
            _joined((link(iri, label or compact(iri), "fr") for iri, label in entry["via"].items()), ", "),
        ]
        for (esco, relation), entry in ordered[:PAGE_SIZE]
    ]
    body = Markup()
    if cells:
        body = _note(_(
            "From the official ROME → ESCO crosswalk (Pôle emploi): the ESCO occupation of each ROME "
            "appellation under the fiche's ROME codes. « Plus large »: the ESCO occupation is broader than "
            "the appellation; « plus étroite »: narrower."
        ))
        body += _table([_("ESCO occupation"), _("Relation"), "ROME", _("Appellations")], cells)
        body += _cut_note(ordered, PAGE_SIZE, "occupations")
    return Section("esco", _("ESCO occupations"), body)


def _blocks_section(rows: list[Row]) -> Section:
    blocks: dict[str, dict] = {}
    for row in rows:
        block = blocks.setdefault(
            _v(row, "block"), {"code": _v(row, "code"), "title": None, "competency": [], "assessment": []}
        )
        kind, text = _v(row, "kind"), _v(row, "text")
        if kind == "title":
            block["title"] = text
        elif text:
            block[kind].append(text)
    parts = []
    for iri, block in sorted(blocks.items(), key=lambda item: item[1]["code"] or item[0]):
        heading = _spaced(link(iri, block["code"] or compact(iri)), _fr(block["title"]))
        competencies = [_fr(t) for t in block["competency"]]
        assessments = [_fr(t) for t in sorted(set(block["assessment"]))]
        parts.append(kit().block(heading, competencies, assessments))
    title = _("Blocks of competencies ({count})", count=len(blocks)) if blocks else _("Blocks of competencies")
    return Section("blocks", title, Markup().join(parts))


def _lineage_section(iri: str, found: dict[str, list[Row]]) -> Section:
    today = date.today()

    def fiche_cells(rows: list[Row], variable: str) -> list[list[Markup | str]]:
        return [
            [
                link(_v(r, variable), _v(r, "number") or compact(_v(r, variable))),
                _fr(_v(r, "title")),
                _date(_v(r, "endDate")),
                status_text(_row_status(r, today)),
            ]
            for r in rows
        ]

    ancestors, descendants, current = found["ancestors"], found["descendants"], found["current"]
    body = Markup()
    headers = [_("Fiche"), _("Title"), _("End of registration"), _("Status on {date}", date=today)]
    if ancestors or descendants:
        body += lineage_svg(iri, found)
    if ancestors:
        body += _h3(_("Replaces (oldest first)")) + _table(headers, fiche_cells(ancestors, "ancestor"))
    if descendants:
        body += _h3(_("Replaced by")) + _table(headers, fiche_cells(descendants, "descendant"))
    others = [r for r in current if _v(r, "current") != iri]
    if others:
        cells = fiche_cells(others, "current")
        body += _h3(_("Current equivalent on {date}", date=today)) + _table(headers, cells)
    elif ancestors or descendants:
        body += _note(_("This fiche is the current equivalent of its lineage on {date}: "
                        "no later fiche of the loaded sources is in force.", date=today))
    # Links in the lineage's order (oldest first), as the ancestors and descendants are listed.
    order = [_v(r, "ancestor") for r in ancestors] + [iri] + [_v(r, "descendant") for r in descendants]
    links = _lineage_links(found["links"], order)
    if links:
        body += _h3(_("Links and who states them")) + links
    registrations = found["registrations"]
    if registrations:
        number = number_from_iri(iri)
        cells, classes = [], []
        for r in registrations:
            act = " ".join(p for p in (_v(r, "actKind"), _v(r, "actNumber")) if p)
            member = _v(r, "number")
            cells.append(
                [
                    link(str(fiche_iri(member)), member) if member else "",
                    _fr(act),
                    _date(_v(r, "actDate")),
                    _date(_v(r, "joDate")),
                    _date(_v(r, "effectDate")),
                    _date(_v(r, "endDate")),
                    _fr(_v(r, "titleAtTime")),
                    _v(r, "levelAtTime") or "",
                ]
            )
            classes.append("this" if _v(r, "number") == number else "")
        body += _h3(_("Registrations across the lineage")) + _table(
            [_("Fiche"), _("Act"), _("Act date"), _("Journal officiel"), _("Effect"), _("End"), _("Title at the time"),
             _("Level")],
            cells,
            classes,
        )
    if not body:
        body = _note(_("No lineage is recorded for this fiche: it replaces nothing and nothing replaces it."))
    return Section("lineage", _("Lineage"), body)


def _row_status(row: Row, as_of: date) -> Status:
    """A fiche's status on ``as_of`` from a row's reconciled ``effectDate``, ``endDate``, ``active``, ``activeAsOf``."""
    return Status(as_of, as_date(_v(row, "effectDate")), as_date(_v(row, "endDate")), as_bool(_v(row, "active")),
                  as_date(_v(row, "activeAsOf")))


def _current_html(iri: str, rows: list[Row]) -> Markup:
    """The fiche's current equivalents (``lineage/current``), each with its title; "" when it is its own."""
    others = [r for r in rows if _v(r, "current") != iri]
    return _joined(_spaced(link(_v(r, "current"), _v(r, "number") or compact(_v(r, "current"))), _fr(_v(r, "title")))
                   for r in others)


# The boxes of the lineage drawing and the gaps between them, in pixels.
BOX_WIDTH, BOX_HEIGHT, BOX_MARGIN, COLUMN_GAP, LANE_GAP = 200, 66, 12, 56, 14


def lineage_layers(iri: str, links: list[tuple[str, str]]) -> dict[str, tuple[int, int]]:
    """Each fiche's place in the drawing, (column, lane): columns are generations from the fiche
    (its predecessors left, its successors right), lanes split a generation's fiches.

    >>> lineage_layers("b", [("a", "b"), ("b", "c"), ("b", "d")])
    {'b': (0, 0), 'a': (-1, 0), 'c': (1, 0), 'd': (1, 1)}
    """
    column, queue = {iri: 0}, [iri]
    while queue:
        node = queue.pop(0)
        for old, new in links:
            for other, step in ((old, -1), (new, 1)):
                if node in (old, new) and other != node and other not in column:
                    column[other] = column[node] + step
                    queue.append(other)
    lanes: dict[int, int] = {}
    places = {}
    for node, col in column.items():
        places[node] = (col, lanes.get(col, 0))
        lanes[col] = lanes.get(col, 0) + 1
    return places


def lineage_svg(iri: str, found: dict[str, list[Row]]) -> Markup:
    """The fiche's lineage drawn inline (``templates/lineage.svg``): oldest left, current links only,
    a box per fiche coloured by its status today (the drawings' colours, in pages.css), each a link."""
    today = date.today()
    this = _reconciled(found["summary"])
    first = lambda name: (this.get(name) or [(None, None)])[0][0]
    fiches = {iri: {"number": number_from_iri(iri), "title": first("title"), "start": first("effectDate"),
                    "end": first("endDate")}}
    for rows, variable in ((found["ancestors"], "ancestor"), (found["descendants"], "descendant")):
        for r in rows:
            fiches[_v(r, variable)] = {"number": _v(r, "number"), "title": _v(r, "title"),
                                       "start": _v(r, "effectDate"), "end": _v(r, "endDate")}
    links = sorted({(_v(r, "predecessor"), _v(r, "successor")) for r in found["links"]
                    if _v(r, "predecessor") in fiches and _v(r, "successor") in fiches and not _v(r, "supersededBy")})
    places = lineage_layers(iri, links)
    left = min(col for col, _ in places.values())
    xy = {node: (BOX_MARGIN + (col - left) * (BOX_WIDTH + COLUMN_GAP), BOX_MARGIN + lane * (BOX_HEIGHT + LANE_GAP))
          for node, (col, lane) in places.items()}
    nodes = []
    for node, (x, y) in sorted(xy.items(), key=lambda item: item[1]):  # oldest first, as the tables
        fiche = fiches[node]
        wrapped = textwrap.wrap(fiche["title"] or "", 30)
        title = wrapped[:2] if len(wrapped) <= 2 else [wrapped[0], wrapped[1][:29] + "…"]
        dates = f"{fiche['start'] or '?'} – {fiche['end'] or '?'}"
        state = Status(today, as_date(fiche["start"]), as_date(fiche["end"])).state
        nodes.append({"x": x, "y": y, "href": local_href(node), "number": fiche["number"] or compact(node),
                      "lines": [*title, dates], "state": state, "this": node == iri})
    edges = [{"x1": xy[old][0] + BOX_WIDTH, "y1": xy[old][1] + BOX_HEIGHT / 2, "x2": xy[new][0],
              "y2": xy[new][1] + BOX_HEIGHT / 2} for old, new in links if old in xy and new in xy]
    width = max(x for x, _y in xy.values()) + BOX_WIDTH + BOX_MARGIN
    height = max(y for _x, y in xy.values()) + BOX_HEIGHT + BOX_MARGIN
    return Markup(render("lineage.svg", title=_("Lineage"), width=width, height=height, nodes=nodes, edges=edges,
                         box={"w": BOX_WIDTH, "h": BOX_HEIGHT},
                         description=_("The lineage, oldest left; colour is the status on {date}.", date=today)))


def _schema_org(resource: Resource, number: str, title: str | None, found: dict[str, list[Row]]) -> dict:
    """The fiche as schema.org JSON-LD (``EducationalOccupationalCredential``), for search engines."""
    facts = resource.facts
    levels = [iri.rsplit("/", 1)[-1] for iri in facts.iris("cg:eqfLevel")]
    credential = {
        "@context": "https://schema.org",
        "@type": "EducationalOccupationalCredential",
        "@id": resource.iri,
        "identifier": number,
        "name": title or number,
        "inLanguage": "fr",
        "credentialCategory": "RS" if number.startswith("RS") else "RNCP",
        "url": facts.iris("foaf:page")[0] if facts.iris("foaf:page") else resource.iri,
    }
    if levels:
        credential["educationalLevel"] = {"@type": "DefinedTerm", "name": f"EQF {levels[0]}",
                                          "inDefinedTermSet": EQF_NS, "termCode": levels[0]}
    certifiers = [{"@type": "Organization", "@id": _v(r, "org"), "name": _v(r, "name")} for r in found["certifiers"]
                  if _v(r, "org")]
    if certifiers:
        credential["recognizedBy"] = certifiers
    occupations = [{"@type": "Occupation", "name": _v(r, "escoLabel"), "sameAs": _v(r, "esco")}
                   for r in found["esco"] if _v(r, "esco")]
    rome = [{"@type": "Occupation", "name": (facts.label(iri) or {}).get("value") or iri.rsplit("/", 1)[-1],
             "occupationalCategory": {"@type": "CategoryCode", "codeValue": iri.rsplit("/", 1)[-1], "inCodeSet": "ROME"}}
            for iri in facts.iris("cg:rome")]
    if occupations or rome:
        credential["about"] = rome + list({o["sameAs"]: o for o in occupations}.values())[:PAGE_SIZE]
    blocks = {_v(r, "block"): _v(r, "text") for r in found["blocks"] if _v(r, "kind") == "title"}
    codes = {_v(r, "block"): _v(r, "code") for r in found["blocks"]}
    if blocks:
        credential["competencyRequired"] = [{"@type": "DefinedTerm", "@id": iri, "termCode": codes.get(iri), "name": text}
                                            for iri, text in sorted(blocks.items(), key=lambda item: codes.get(item[0]) or "")]
    return credential


def _lineage_links(rows: list[Row], order: list[str]) -> Markup:
    links: dict[tuple[str, str], dict] = {}
    for r in rows:
        key = (_v(r, "predecessor"), _v(r, "successor"))
        entry = links.setdefault(
            key, {"numbers": (_v(r, "predecessorNumber"), _v(r, "successorNumber")), "by": set(), "sources": set()}
        )
        if _v(r, "assertedBy"):
            entry["by"].add(_v(r, "assertedBy"))
        entry["sources"].add(_v(r, "source"))
        if _v(r, "supersededBy"):
            entry["superseded"] = _v(r, "supersededBy")
    cells = []

    def rank(pair: tuple[str, str]) -> tuple:
        return tuple(order.index(i) if i in order else len(order) for i in pair) + pair

    for (old, new), entry in sorted(links.items(), key=lambda item: rank(item[0])):
        old_number, new_number = entry["numbers"]
        cells.append(
            [
                link(old, old_number or compact(old)),
                link(new, new_number or compact(new)),
                ", ".join(sorted(entry["by"])),
                _joined(_code(compact(s)) for s in sorted(entry["sources"])),
                (_spaced(_("superseded by"), _code(compact(entry["superseded"])), _("(history, not current)"))
                 if entry.get("superseded") else _("current")),
            ]
        )
    return _table([_("Replaced"), _("Replacing"), _("Stated by"), _("Sources"), _("Link")], cells) if cells else Markup()


def _similar_section(rows: list[Row]) -> Section:
    cells = [[link(_v(r, "other"), _v(r, "number") or compact(_v(r, "other"))), _fr(_v(r, "title")),
              _score(_v(r, "score")), _v(r, "evidence") or ""] for r in rows]
    body = Markup()
    if cells:
        body = _note(_("The closest certifications of the whole register by what they cover: titles, blocks, "
                       "ROME, NSF and Formacode codes, level (method equivalence-v1, content mode; derived "
                       "data, not an official equivalence). Scores rank; they are not percentages."))
        body += _table([_("Fiche"), _("Title"), _("Score"), _("What they share")], cells)
    return Section("similar", _("Closest certifications"), body)


def _correspondence_body(rows: list[Row]) -> Markup:
    if not rows:
        return Markup()
    note = _(
        "Published by France Compétences with the fiche stating them: "
        "holding the blocks of the first fiche gives those of the second."
    )
    return _note(note) + _correspondence_table(rows)


def _description_section(facts: Facts) -> Section:
    parts = []
    for label, curie, as_list in DESCRIPTION_FIELDS:
        terms = sorted(facts.get(curie), key=lambda t: t["value"])
        if not terms:
            continue
        items = [_lit(t, "fr") for t in terms]
        parts.append(_h3(_(label)) + (_list(items) if as_list or len(items) > 1 else kit().paragraph(items[0])))
    return Section("description", _("Description"), Markup().join(parts))


# ------------------------------------------------------------------ block


async def _block_page(resource: Resource, run: RunQuery, queries: dict[str, NamedQuery], view: View) -> str:
    facts = resource.facts
    found = await _run_all(
        run,
        {
            "competencies": _bound("pages/block-competencies", resource),
            "similar": _bound("pages/block-similar", resource),
            "correspondences": _bound("pages/block-correspondences", resource),
            "incoming": _bound("pages/incoming-block", resource),
        },
    )
    code = (facts.texts("skos:notation") or [None])[0]
    titles = facts.texts("dcterms:title") or facts.texts("rdfs:label")
    fiche_cells = []
    for fiche in facts.iris("dcterms:isPartOf"):
        number = number_from_iri(fiche) or facts.notations.get(fiche)
        label = facts.label(fiche)
        fiche_cells.append(_named_link(fiche, number, label))
    overview = [
        (_("Fiche"), _joined(fiche_cells)),
        (_("Code"), _code(code) if code else ""),
        (_("Title"), _fr(titles[0]) if titles else ""),
        (_("Other titles in the sources"), _joined(_fr(t) for t in titles[1:])),
    ]
    competencies = [_fr(_v(r, "text")) for r in found["competencies"] if _v(r, "text")]
    assessments = [_lit(t, "fr") for t in sorted(facts.get("cg:assessmentMethod"), key=lambda t: t["value"])]
    published = Markup().join(
        kit().details(summary, _lit(t, "fr"))
        for summary, curie in (
            (_("The block as published"), "cg:rawText"),
            (_("Assessment as published"), "cg:assessmentText"),
        )
        for t in facts.get(curie)
    )
    similar = [
        [
            link(_v(r, "other"), _v(r, "code") or compact(_v(r, "other"))),
            _fr(_v(r, "title")),
            link(_v(r, "fiche"), number_from_iri(_v(r, "fiche")) or compact(_v(r, "fiche"))) if _v(r, "fiche") else "",
            _score(_v(r, "score")),
            _v(r, "kind") or "",
        ]
        for r in found["similar"]
    ]
    similar_body = Markup()
    if similar:
        similar_body = _note(_(
            "Along the lineage links: the block this one continues as, or comes from (block maps, "
            "computed from the competencies; derived data, not official)."
        ))
        similar_body += _table([_("Block"), _("Title"), _("Fiche"), _("Similarity"), _("Along the lineage")], similar)
    shown = _iris(
        "skos:notation dcterms:title rdfs:label dcterms:isPartOf cg:competency cg:assessmentMethod "
        "cg:rawText cg:assessmentText"
    )
    sections = [
        Section("overview", _("Overview"), _facts_table(overview)),
        Section(
            "competencies",
            _("Competencies ({count})", count=len(competencies)) if competencies else _("Competencies"),
            _list(competencies, ordered=True),
        ),
        Section("assessment", _("Assessment"), _list(assessments) + published),
        Section("similar", _("Same block along the lineage"), similar_body),
        Section("correspondences", _("Official correspondences"), _correspondence_body(found["correspondences"])),
        _other_properties(facts, shown),
        _incoming_section(found["incoming"]),
        _sources_section(resource),
    ]
    title = titles[0] if titles else None
    heading = _heading(code, {"value": title} if title else None, compact(resource.iri), "fr")
    return _page(
        resource,
        _("Block of competencies"),
        heading,
        " — ".join(p for p in (code, title) if p) or compact(resource.iri),
        sections,
        view,
    )


# ------------------------------------------------------------------ concept and scheme


async def _concept_page(resource: Resource, run: RunQuery, queries: dict[str, NamedQuery], view: View) -> str:
    facts = resource.facts
    found = await _run_all(
        run,
        {
            "counts": _bound("pages/concept-fiche-counts", resource),
            "fiches": _bound("site/concept-fiche-rows", resource),
            "narrower": _bound("pages/narrower", resource),
            "incoming": _bound("pages/incoming-concept", resource),
        },
    )
    notation = (facts.texts("skos:notation") or [None])[0]
    labels = facts.get("skos:prefLabel")
    fr_label = _best_label(labels, "fr")
    others = [t for t in labels if t is not fr_label]

    schemes = facts.iris("skos:inScheme")
    overview = [
        (_("Notation"), _code(notation) if notation else ""),
        (_("Preferred label"), _joined(_lit(t) for t in [fr_label] + others if t)),
        (_("Alternative labels"), _joined(_lit(t) for t in sorted(facts.get("skos:altLabel"), key=lambda t: t["value"]))),
        (_("Scheme"), _joined(_term(t, facts) for t in facts.get("skos:inScheme"))),
        (_("Broader"), _joined(_term(t, facts) for t in facts.get("skos:broader"))),
        (_("Type in the code list"), _values_html(facts, "dcterms:type", False)),
        (_("Scope notes"), _joined(_lit(t) for t in facts.get("skos:scopeNote"))),
        (_("Definition"), _joined(_lit(t) for t in facts.get("skos:definition"))),
    ]
    is_level = resource.iri.startswith(EQF_NS) or any(s.endswith("/level1969") for s in schemes)
    counts = found["counts"][0] if found["counts"] else {}
    direct, everything = _int(counts, "directCount"), _int(counts, "allCount")
    if is_level:
        intro = _("1 fiche has this level") if direct == 1 else _("{count} fiches have this level", count=f"{direct:,}")
    else:
        intro = _("1 fiche has this code") if direct == 1 else _("{count} fiches have this code", count=f"{direct:,}")
    if everything > direct:
        intro += _("; {count} fiches have it or a narrower one", count=f"{everything:,}")
    narrower = found["narrower"]
    shown = _iris(
        "skos:notation skos:prefLabel skos:altLabel skos:inScheme skos:broader dcterms:type skos:scopeNote "
        "skos:definition"
    )
    sections = [
        Section("overview", _("Overview"), _facts_table(overview)),
        _fiche_list_section("fiches", _("Fiches"), found["fiches"], intro + ".", view),
        Section(
            "narrower",
            _("Narrower concepts ({count})", count=f"{len(narrower)}{'+' if len(narrower) > PAGE_SIZE * 5 else ''}")
            if narrower
            else _("Narrower concepts"),
            _concept_table(narrower, PAGE_SIZE * 5),
        ),
        _other_properties(facts, shown),
        _incoming_section(found["incoming"]),
        _sources_section(resource),
    ]
    scheme_label = facts.label(schemes[0], "en") if schemes else None
    kind = f"{_('Concept')} · {scheme_label['value']}" if scheme_label else _("Concept")
    if resource.iri.startswith(EQF_NS):
        kind = _("EQF level")
    return _page(
        resource,
        kind,
        _heading(notation, fr_label, compact(resource.iri), "fr"),
        _title_text(notation, fr_label, compact(resource.iri)),
        sections,
        view,
    )


async def _scheme_page(resource: Resource, run: RunQuery, queries: dict[str, NamedQuery], view: View) -> str:
    facts = resource.facts
    found = await _run_all(
        run,
        {
            "count": _bound("pages/scheme-count", resource),
            "top": _bound("pages/top-concepts", resource),
            "incoming": _bound("pages/incoming-scheme", resource),
        },
    )
    labels = facts.get("skos:prefLabel") + facts.get("dcterms:title")
    fr_label = _best_label(labels, "fr")
    count = _int(found["count"][0], "count") if found["count"] else 0
    overview = [
        (_("Title"), _joined(_lit(t) for t in sorted(labels, key=lambda t: (t is not fr_label, t["value"])))),
        (_("Concepts"), _("{count} concepts", count=f"{count:,}")),
    ]
    shown = _iris("skos:prefLabel dcterms:title skos:hasTopConcept")
    sections = [
        Section("overview", _("Overview"), _facts_table(overview)),
        Section("top", _("Top concepts"), _concept_table(found["top"], PAGE_SIZE * 5)),
        _other_properties(facts, shown),
        _incoming_section(found["incoming"]),
        _sources_section(resource),
    ]
    return _page(
        resource,
        _("Concept scheme"),
        _heading(None, fr_label, compact(resource.iri), "fr"),
        _title_text(None, fr_label, compact(resource.iri)),
        sections,
        view,
    )


# ------------------------------------------------------------------ organisation


async def _organisation_page(resource: Resource, run: RunQuery, queries: dict[str, NamedQuery], view: View) -> str:
    facts = resource.facts
    found = await _run_all(
        run,
        {
            "count": _bound("pages/organisation-fiche-count", resource),
            "fiches": _bound("site/organisation-fiche-rows", resource),
            "incoming": _bound("pages/incoming-organisation", resource),
        },
    )
    names = facts.texts("schema:legalName") or facts.texts("rdfs:label")
    name = names[0] if names else None
    siret = (facts.texts("cg:siret") or [None])[0]
    overview = [
        (_("Name"), _fr(name)),
        (_("Other names in the sources"), _joined(_fr(n) for n in names[1:])),
        (_("Trade name"), _joined(_fr(n) for n in facts.texts("schema:alternateName"))),
        (_("SIRET"), _code(siret) if siret else ""),
        (
            _("Homepage"),
            _joined(_external(h) for h in facts.iris("foaf:homepage")),
        ),
    ]
    count = _int(found["count"][0], "count") if found["count"] else 0
    intro = _("Certifier of 1 fiche.") if count == 1 else _("Certifier of {count} fiches.", count=f"{count:,}")
    shown = _iris("schema:legalName rdfs:label schema:alternateName cg:siret foaf:homepage")
    sections = [
        Section("overview", _("Overview"), _facts_table(overview)),
        _fiche_list_section("fiches", _("Certifications it awards"), found["fiches"], intro, view),
        _other_properties(facts, shown),
        _incoming_section(found["incoming"]),
        _sources_section(resource),
    ]
    heading = _fr(name) if name else esc(compact(resource.iri))
    return _page(resource, _("Organisation"), heading, name or compact(resource.iri), sections, view)


# ------------------------------------------------------------------ anything else


async def _generic_page(resource: Resource, run: RunQuery, queries: dict[str, NamedQuery], view: View) -> str:
    facts = resource.facts
    texts = {"incoming": _bound("pages/incoming", resource)}
    if resource.is_graph:
        texts["size"] = _bound("pages/graph-size", resource)
    found = await _run_all(run, texts)
    label = facts.own_label()
    notation = (facts.texts("cg:number") or facts.texts("skos:notation") or [None])[0]
    properties = _other_properties(facts, set())
    sections = [Section("properties", _("Properties"), properties.body)]
    if resource.is_graph:
        size = _int(found["size"][0], "count") if found["size"] else 0
        download = f"/graph-store?graph={quote(resource.iri, safe='')}"
        sections.append(
            Section(
                "graph",
                _("Named graph"),
                kit().graph_download(_plural(size, "statement"), download),
            )
        )
    sections += [_incoming_section(found["incoming"]), _sources_section(resource)]
    kind = _("Named graph") if resource.is_graph else _kind_of(resource, _("Resource"))
    return _page(
        resource,
        kind,
        _heading(notation, label, compact(resource.iri)),
        _title_text(notation, label, compact(resource.iri)),
        sections,
        view,
    )
