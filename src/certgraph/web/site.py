"""The site for people: the home page and its search, the comparison page, the language of a page.

``routes(endpoint)`` gives the endpoint (app.py) these routes:

- ``/``: the home page with the search box; ``?q=`` searches titles, former titles, blocks and
  competencies (the full-text index, :mod:`certgraph.search`), certifiers by name, and a typed code
  (ROME ``K1403``, NSF ``332n``, Formacode ``32135``, a fiche number) leads to its fiches; facets
  ``register``, ``level``, ``certifier`` and ``date`` (in force on), ``sort`` and ``page``;
- ``/compare?a=RNCP35080&b=RNCP41296``: two fiches side by side (:func:`certgraph.compare.compare`);
- ``/eqf/<n>``: the page of an EQF level and all its fiches (its IRI is not a certgraph identifier);
- ``/editor``: the SPARQL query editor.

Every page is server-rendered in French or English (:mod:`certgraph.web.i18n`); the code pages and
the fiche page are pages.py's, answered under ``/id/``.
"""

from __future__ import annotations

import asyncio
import re
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date

from markupsafe import Markup
from starlette.requests import Request
from starlette.responses import HTMLResponse, PlainTextResponse, Response
from starlette.routing import Route

from ..compare import CompareError, compare
from ..equivalence.index import load_block_idf
from ..queries import internal_query
from ..records import normalise_fiche_number
from ..search import Index, SearchIndexError
from ..status import Status
from ..store import OxigraphStore, equivalence_path, index_path
from ..text import fold
from ..vocab import concept_iri, eqf_iri, fiche_iri
from . import pages
from .i18n import _, language, negotiate, status_text
from .jinja import ENV, kit, stylesheet
from .pages import ListedFiche, Section, View, fiche_listing, listed_fiches

# Hits read from the full-text index for one search: the fiches they belong to are the results.
SEARCH_HITS = 600
RESULTS_SIZE = 20
# A typed code: (scheme, pattern), tried in this order on the whole query.
CODES = (("rome", r"[A-Na-n][0-9]{4}"), ("nsf", r"[0-9]{3}[a-zA-Z]"), ("formacode", r"[0-9]{5}"))
SCHEME_NAMES = {"rome": "ROME", "nsf": "NSF", "formacode": "Formacode"}
EXAMPLES = ("manager économie sociale", "K1403", "332n", "RNCP35080", "conservatoire national des arts")
MARK = ("\x02", "\x03")  # around a matched word in a snippet, until rendered as <mark>


def _site() -> object:
    return ENV.get_template("_site.html").module


@contextmanager
def page_language(request: Request):
    """Render inside the block in the request's language (``?lang=``, else Accept-Language, else French)."""
    lang, explicit = negotiate(request.query_params.get("lang"), request.headers.get("accept-language"))
    with language(lang, explicit):
        yield


def _marked(snippet: str) -> Markup:
    """A search snippet, its matched words in <mark> (the text escaped)."""
    parts = re.split(f"({MARK[0]}.*?{MARK[1]})", snippet)
    return Markup().join(Markup("<mark>{}</mark>").format(p[1:-1]) if p.startswith(MARK[0]) else pages.esc(p)
                         for p in parts)


@dataclass
class Facet:
    name: str
    label: str
    options: list[tuple[str, str]]


def _rows(results: dict) -> list[dict]:
    return results.get("results", {}).get("bindings", [])


class Site:
    """The site's handlers over an endpoint: its query pool, its named queries, its store's files."""

    def __init__(self, endpoint):
        self.endpoint = endpoint
        self._index: Index | None = None
        self._store: OxigraphStore | None = None
        self._idf: dict | None = None
        self._certifiers: dict[str, tuple[str, int]] | None = None

    def routes(self) -> list[Route]:
        return [
            Route("/", self.home, methods=["GET"]),
            Route("/compare", self.compare, methods=["GET"]),
            Route("/eqf/{level:int}", self.eqf_level, methods=["GET"]),
            Route("/editor", self.endpoint.editor, methods=["GET"]),
        ]

    # ---------------------------------------------------------------- shared

    def _page(self, view: View, kind: str, heading, title: str, sections: list[Section], query: str = "",
              intro: Markup | None = None, status: int = 200) -> Response:
        html = ENV.get_template("page.html").render(
            here=view, kind=kind, heading=heading, title=title, iri="", turtle="", jsonld="", query=query,
            style=stylesheet("pages.css"), sections=[s for s in sections if s.body], intro=intro or Markup())
        return HTMLResponse(html, status_code=status, headers={"Vary": "Accept, Accept-Language"})

    def _not_ready(self) -> Response | None:
        if not self.endpoint.pool.health()["ready"]:
            return PlainTextResponse("the query workers are not ready; try again in a moment (see /health)\n",
                                     status_code=503)
        return None

    async def _run(self, name: str, values: dict | None = None) -> list[dict]:
        return _rows(await self.endpoint.pool.run_json(internal_query(name).bind(values or {})))

    async def certifiers(self) -> dict[str, tuple[str, int]]:
        """Every certifier: IRI -> (name, fiches it certifies); read once."""
        if self._certifiers is None:
            self._certifiers = {r["certifier"]["value"]: (r.get("name", {}).get("value") or r["certifier"]["value"],
                                                          int(r["count"]["value"]))
                                for r in await self._run("site/certifiers")}
        return self._certifiers

    def index(self) -> Index:
        if self._index is None:
            self._index = Index(index_path(self.endpoint.store_path))
        return self._index

    # ---------------------------------------------------------------- home and search

    async def home(self, request: Request) -> Response:
        refused = self._not_ready()
        if refused:
            return refused
        with page_language(request):
            view = View.of("/", request.query_params)
            query = view.get("q").strip()
            if not query:
                return self._home_page(view)
            return await self._results_page(view, query)

    def _home_page(self, view: View) -> Response:
        examples = [(view.href(q=text), text) for text in EXAMPLES]
        form = _site().search_form("", view.lang, [], {}, "", examples)
        intro = kit().paragraph(_("Search the RNCP and RS registers by title, former title, block, competency, "
                                  "certifier or code (ROME, NSF, Formacode, or a fiche number).")) + form
        return self._page(view, "certgraph", _("French professional certifications"),
                          _("French professional certifications"), [], intro=intro)

    async def _results_page(self, view: View, query: str) -> Response:
        matches, fiches, default_sort, problem = await self._search(query)
        filters = {name: view.get(name) for name in ("register", "level", "certifier", "date") if view.get(name)}
        kept = self._filtered(fiches, filters)
        certifiers = await self.certifiers()
        facets = self._facets(fiches, certifiers)
        sort = view.get("sort")
        form = _site().search_form(query, view.lang, facets, filters, sort, [])
        if problem:
            body = kit().note(problem)
        elif not kept:
            body = kit().note(_("No fiche matches {query}.", query=query))
        else:
            body = fiche_listing(kept, view, RESULTS_SIZE, ("relevance", *pages.SORTS) if default_sort == "relevance"
                                 else pages.SORTS, default_sort)
        named = self._certifiers_named(query, certifiers, view)
        sections = [Section("codes", _("Codes"), Markup().join(matches)),
                    Section("certifiers", _("Certifiers named so"), named),
                    Section("results", _("Results"), body)]
        total = _("1 fiche matches.") if len(kept) == 1 else _("{total} fiches match.", total=f"{len(kept):,}")
        return self._page(view, _("Search"), pages.esc(query), f"{query} · {_('Search')}", sections, query=query,
                          intro=form + kit().note(total))

    async def _search(self, query: str) -> tuple[list[Markup], list[ListedFiche], str, str | None]:
        """What a query finds: code matches (Markup), the fiches, their default order, a problem to show."""
        number = normalise_fiche_number(query)
        if number:
            rows = await self._run("site/fiche-rows", {"fiche": [str(fiche_iri(number))]})
            links = [_site().code_match(pages.local_href(str(fiche_iri(number))), number, "", _("Fiche"))] if rows else []
            return links, listed_fiches(rows, date.today()), "number", None
        for scheme, pattern in CODES:
            if re.fullmatch(pattern, query):
                code = query.upper() if scheme == "rome" else query.lower()
                iri = str(concept_iri(scheme, code))
                concept = await self._run("site/concept", {"this": iri})
                if concept:
                    label = concept[0].get("label", {}).get("value", "")
                    rows = await self._run("site/concept-fiche-rows", {"this": iri})
                    match = _site().code_match(pages.local_href(iri), code, label, SCHEME_NAMES[scheme])
                    return [match], listed_fiches(rows, date.today()), "number", None
        try:
            hits = await asyncio.to_thread(self.index().search, query, None, None, SEARCH_HITS, 0, MARK)
        except (SearchIndexError, ValueError) as exc:
            return [], [], "relevance", _("The search index is not available: {reason}", reason=str(exc))
        found: dict[str, Markup] = {}
        where = {"fiche": _("the title"), "block": _("a block"), "competency": _("a competency")}
        for hit in hits:
            if hit.fiche not in found:
                found[hit.fiche] = pages._spaced(pages._muted(where[hit.kind]), _marked(hit.snippet))
        iris = [str(fiche_iri(n)) for n in found]
        rows = {r["fiche"]["value"]: r for r in await self._run("site/fiche-rows", {"fiche": iris})} if iris else {}
        fiches = []
        for number, iri in zip(found, iris):
            if iri in rows:
                fiche = listed_fiches([rows[iri]], date.today())[0]
                fiche.found = found[number]
                fiches.append(fiche)
        return [], fiches, "relevance", None

    @staticmethod
    def _filtered(fiches: list[ListedFiche], filters: dict[str, str]) -> list[ListedFiche]:
        """The fiches the facets keep: register (RNCP, RS), EQF level, certifier, in force on a date."""
        on = None
        if filters.get("date"):
            try:
                on = date.fromisoformat(filters["date"])
            except ValueError:
                on = None
        kept = []
        for fiche in fiches:
            if filters.get("register") and not re.fullmatch(filters["register"] + "[0-9]+", fiche.number):
                continue
            if filters.get("level") and str(fiche.level) != filters["level"]:
                continue
            if filters.get("certifier") and filters["certifier"] not in fiche.certifiers:
                continue
            if on and not Status(on, fiche.status.effect_date, fiche.status.end_date).in_force:
                continue
            kept.append(fiche)
        return kept

    @staticmethod
    def _facets(fiches: list[ListedFiche], certifiers: dict[str, tuple[str, int]]) -> list[Facet]:
        """The facets' choices, each with how many of the results have it."""
        def counted(values) -> dict[str, int]:
            counts: dict[str, int] = {}
            for value in values:
                counts[value] = counts.get(value, 0) + 1
            return counts

        registers = counted(f.number.rstrip("0123456789") for f in fiches)
        levels = counted(str(f.level) for f in fiches if f.level)
        by_certifier = counted(c for f in fiches for c in f.certifiers)
        top = sorted(by_certifier.items(), key=lambda item: (-item[1], certifiers.get(item[0], (item[0],))[0]))[:30]
        return [
            Facet("register", _("Register"), [(r, f"{r} ({n})") for r, n in sorted(registers.items())]),
            Facet("level", _("Level"), [(lv, f"{lv} ({n})") for lv, n in sorted(levels.items())]),
            Facet("certifier", _("Certifier"), [(c, f"{certifiers.get(c, (c,))[0]} ({n})") for c, n in top]),
        ]

    @staticmethod
    def _certifiers_named(query: str, certifiers: dict[str, tuple[str, int]], view: View) -> Markup:
        """Links to the certifiers whose name holds every word of the query (accents and case aside)."""
        words = fold(query).split()
        named = sorted(((iri, name, count) for iri, (name, count) in certifiers.items()
                        if all(word in fold(name) for word in words)), key=lambda item: -item[2])[:10]
        items = [pages._spaced(kit().a(pages.local_href(iri), name),
                               pages._muted(_("{count} fiches", count=count))) for iri, name, count in named]
        return kit().items(items)

    # ---------------------------------------------------------------- EQF levels

    async def eqf_level(self, request: Request) -> Response:
        level = request.path_params["level"]
        if not 1 <= level <= 8:
            return PlainTextResponse(f"no EQF level {level}: levels go from 1 to 8\n", status_code=404)
        with page_language(request):
            page = await pages.resource_page(str(eqf_iri(level)), self.endpoint.pool.run_json, self.endpoint.queries,
                                             View.of(request.url.path, request.query_params))
        if page is None:
            return PlainTextResponse(f"EQF level {level} is not in this graph\n", status_code=404)
        return HTMLResponse(page, headers={"Vary": "Accept, Accept-Language"})

    # ---------------------------------------------------------------- comparison

    def _comparison(self, a: str, b: str):
        """:func:`certgraph.compare.compare` on the store, opened read-only once (off the event loop)."""
        if self._store is None:
            self._store = OxigraphStore.open(self.endpoint.store_path)
            self._idf = load_block_idf(equivalence_path(self.endpoint.store_path))
        return compare(self._store, self.endpoint.queries, a, b, idf=self._idf)

    async def compare(self, request: Request) -> Response:
        with page_language(request):
            view = View.of("/compare", request.query_params)
            a, b = view.get("a").strip(), view.get("b").strip()
            form = _site().compare_form(a, b, view.lang)
            numbers = [normalise_fiche_number(a), normalise_fiche_number(b)]
            if not (a and b) or None in numbers:
                note = kit().note(_("Give two fiche numbers, e.g. RNCP35080 and RNCP41296."))
                return self._page(view, _("Compare"), _("Compare two certifications"), _("Compare"), [],
                                  intro=form + note, status=200 if not (a or b) else 400)
            try:
                comparison = await asyncio.to_thread(self._comparison, *numbers)
            except CompareError as exc:
                missing = next((n for n in numbers if n in str(exc)), numbers[0])
                return self._page(view, _("Compare"), _("Compare two certifications"), _("Compare"), [],
                                  intro=form + kit().note(_("{number} is not in the graph.", number=missing)),
                                  status=404)
            left, right = numbers
            heading = _("{a} compared with {b}", a=left, b=right)
            return self._page(view, _("Comparison"), heading, heading, comparison_sections(comparison, view),
                              intro=form)


def _fiche_link(number: str, view: View) -> Markup:
    return kit().a(pages.local_href(str(fiche_iri(number))), number)


def comparison_sections(c, view: View) -> list[Section]:
    """The comparison page's sections: summary, codes, official correspondences, blocks, alignment."""
    left, right = c.left, c.right
    fields = (("title", _("Title")), ("level", _("Level")), ("certifier", _("Certifier")))
    summary = [[label, pages._joined(c.summary[left].get(name, [])), pages._joined(c.summary[right].get(name, []))]
               for name, label in fields]
    summary.append([_("Status"), kit().status(c.status[left].state, status_text(c.status[left])),
                    kit().status(c.status[right].state, status_text(c.status[right]))])
    head = ["", _fiche_link(left, view), _fiche_link(right, view)]
    codes = []
    for scheme, found in [*c.codes.items(), ("nsf-groups", c.nsf_groups)]:
        name = _("NSF groups") if scheme == "nsf-groups" else SCHEME_NAMES.get(scheme, scheme)
        codes.append([name, ", ".join(found.shared), ", ".join(found.left), ", ".join(found.right)])
    code_table = pages._table(["", _("Shared"), _("Only in {number}", number=left), _("Only in {number}", number=right)],
                              codes)
    official = [[item.asserter, ", ".join(item.left), ", ".join(item.right)] for item in c.official]
    a = c.alignment
    blocks = _site().side_by_side(_fiche_link(left, view), _fiche_link(right, view),
                                  _site().block_list([(b.code, b.label) for b in a.left]),
                                  _site().block_list([(b.code, b.label) for b in a.right]))
    pairs = [[pages._spaced(pages._code(a.left[i].code), pages._fr(a.left[i].label)),
              pages._spaced(pages._code(a.right[j].code), pages._fr(a.right[j].label)),
              pages._score(str(a.matrix[i][j])), ", ".join(a.evidence_words(i, j))] for i, j in a.pairs]
    alignment = kit().note(_("Similarity of the two fiches' blocks: {score} (method {method}; computed, not official).",
                             score=f"{a.fiche_score:.3f}", method=a.method))
    alignment += (pages._table([left, right, _("Score"), _("Shared words")], pairs) if pairs
                  else kit().note(_("No block of one fiche matches a block of the other.")))
    return [
        Section("summary", _("Summary"), pages._table(head, summary)),
        Section("codes", _("Codes"), code_table),
        Section("official", _("Official correspondences"),
                pages._table([_("Stated by"), left, right], official) if official else Markup()),
        Section("blocks", _("Blocks side by side"), blocks),
        Section("alignment", _("Block alignment"), alignment),
    ]


def routes(endpoint) -> list[Route]:
    """The site's routes over an endpoint (see the module docstring)."""
    return Site(endpoint).routes()


__all__ = ["Site", "comparison_sections", "page_language", "routes"]
