"""Linked-data pages, rendered from the mini graph through the same SPARQL JSON the endpoint returns.

Each page is checked against facts of the seed data (titles, levels, certifiers, codes, blocks,
lineage), for escaping, and for loading nothing from elsewhere. The official block correspondences
are not in the mini graph: they are checked on the fiches of the XML export fixture.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import re
from html.parser import HTMLParser
from pathlib import Path

import pyoxigraph as ox
import pytest
from markupsafe import escape
from rdflib import Literal, URIRef
from rdflib.namespace import DCTERMS, RDF

from certgraph.ingest.graph import fiche_quads, source_quads
from certgraph.queries import internal_query
from certgraph.resources import queries_dir
from certgraph.sources.fc_xml import read_fc_xml
from certgraph.sparql_text import strip_comments
from certgraph.store import OxigraphStore
from certgraph.vocab import CG, fiche_iri, graph_iri
from certgraph.web import pages
from certgraph.web.i18n import language
from certgraph.web.pages import FACTS_LIMIT, PAGE_SIZE, esc, link, local_href, resource_page

ID = "https://w3id.org/certgraph/id/"
DATA = Path(__file__).resolve().parents[1] / "data"
# The reconciled title: Certif Info's (2024-06-28), the newest source giving one.
TITLE_35080 = "Manager d'organismes à vocation sociale et culturelle en économie sociale et solidaire"
TITLE_35080_HTML = str(escape(TITLE_35080))  # as Jinja2 escapes it
K1403_LABEL = "Directeur / Directrice de structure de santé, sociale ou pénitentiaire"


def runner(store: OxigraphStore):
    """A ``run`` over the store, answering as the endpoint's engine does (SPARQL JSON, parsed)."""

    async def run(text: str) -> dict:
        result = store._store.query(text, use_default_graph_as_union=True)
        if isinstance(result, ox.QueryBoolean):
            return {"head": {}, "boolean": bool(result)}
        return json.loads(result.serialize(format=ox.QueryResultsFormat.JSON))

    return run


def render(store: OxigraphStore, queries, iri: str, lang: str = "en") -> str | None:
    """The page of ``iri`` in ``lang`` (English here: the assertions read the English interface)."""
    with language(lang):
        return asyncio.run(resource_page(iri, runner(store), queries))


class Page(HTMLParser):
    """A rendered page: its tags in order, its links and text by section; fails on unbalanced tags."""

    VOID = frozenset(
        {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}
    )

    def __init__(self, text: str):
        super().__init__(convert_charrefs=True)
        self.raw = text
        self.tags: list[tuple[str, dict]] = []
        self.links: list[tuple[str, str, str]] = []  # (section, href, text)
        self.texts: dict[str, str] = {}
        self._open: list[str] = []
        self._section = "header"
        self._link: tuple[str, list[str]] | None = None
        self.feed(text)
        self.close()
        assert self._open == ["html"] or self._open == [], f"unclosed tags: {self._open}"

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        self.tags.append((tag, attributes))
        if tag == "section":
            self._section = attributes["id"]
        if tag == "a":
            self._link = (attributes.get("href"), [])
        if tag not in self.VOID:
            self._open.append(tag)
        if tag not in ("a", "span"):  # cells, items and headings read as separate words
            self.texts[self._section] = self.texts.get(self._section, "") + " "

    def handle_endtag(self, tag):
        assert self._open and self._open[-1] == tag, f"</{tag}> closes <{self._open[-1] if self._open else None}>"
        self._open.pop()
        if tag == "a" and self._link:
            self.links.append((self._section, self._link[0], "".join(self._link[1]).strip()))
            self._link = None
        if tag == "section":
            self._section = "main"

    def handle_data(self, data):
        self.texts[self._section] = self.texts.get(self._section, "") + data
        if self._link:
            self._link[1].append(data)

    def hrefs(self, section: str | None = None) -> list[str]:
        return [href for where, href, _ in self.links if section is None or where == section]

    def text(self, section: str) -> str:
        return " ".join(self.texts.get(section, "").split())

    def section(self, anchor: str) -> str:
        """The raw HTML of one section."""
        match = re.search(rf'<section id="{anchor}">(.*?)</section>', self.raw, re.DOTALL)
        assert match, f"no section {anchor}"
        return match.group(1)


@pytest.fixture(scope="module")
def page(mini_store, queries):
    """Render (once) and parse the page of an IRI of the mini graph."""
    cache: dict[str, Page] = {}

    def get(iri: str) -> Page:
        if iri not in cache:
            text = render(mini_store, queries, iri)
            assert text is not None, iri
            cache[iri] = Page(text)
        return cache[iri]

    return get


# The pages of every kind, on resources the mini graph holds.
PAGES = {
    "fiche": ID + "rncp/35080",
    "fiche without title": ID + "rncp/41336",
    "block": ID + "rncp/35080/bloc/RNCP35080BC01",
    "rome concept": ID + "rome/K1403",
    "nsf concept": ID + "nsf/332n",
    "formacode concept": ID + "formacode/32135",
    "eqf level": "http://data.europa.eu/snb/eqf/7",
    "1969 level": ID + "level1969/I",
    "scheme": ID + "rome",
    "organisation": ID + "org/siret/19753471200017",
    "lineage link": ID + "lineage/RNCP28720/RNCP35080",
    "snapshot state": ID + "snapshot/2026-02-01/rncp/35080",
    "named graph": "https://w3id.org/certgraph/graph/rncp-info-2021",
}


# ------------------------------------------------------------------ helpers


def test_local_href():
    assert local_href(ID + "rncp/35080") == "/id/rncp/35080"
    with language("en", explicit=True):  # a language the address names is kept by the links
        assert local_href(ID + "rncp/35080") == "/id/rncp/35080?lang=en"
    assert local_href(ID + "rome/K%2014%2F03") == "/id/rome/K%2014%2F03"
    assert local_href("http://data.europa.eu/snb/eqf/7") == "http://data.europa.eu/snb/eqf/7"
    assert (
        local_href("https://www.francecompetences.fr/recherche/rncp/35080/")
        == "https://www.francecompetences.fr/recherche/rncp/35080/"
    )


def test_escaping_helpers():
    assert esc('<script>alert("x")</script>') == "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;"
    assert link(ID + "rncp/1", '<b onclick="x">') == '<a href="/id/rncp/1">&lt;b onclick=&#34;x&#34;&gt;</a>'
    # Only web IRIs become links: a javascript: IRI from the data stays inert text.
    assert "href" not in link("javascript:alert(1)")


# ------------------------------------------------------------------ fiche


def test_fiche_page_identity(page):
    p = page(ID + "rncp/35080")
    assert f'<h1><span class="number">RNCP35080</span> <span lang="fr">{TITLE_35080_HTML}</span></h1>' in p.raw
    assert "<title>RNCP35080 — " + TITLE_35080_HTML + " · certgraph</title>" in p.raw
    overview = p.text("overview")
    assert "EQF level Niveau 7 · EQF level 7" in overview
    assert "http://data.europa.eu/snb/eqf/7" in p.hrefs("overview")
    assert "Publication state Publiée" in overview
    # the status is from the dates, with the day it is for; the 2021 flag keeps its own date
    assert f"Status ended on 2025-11-18 (on {dt.date.today()}, from the newest sources)" in overview
    assert "Active flag active (per the register of 2021-01-06)" in overview
    assert "End of registration 2025-11-18" in overview
    assert "https://www.francecompetences.fr/recherche/rncp/35080/" in p.hrefs("overview")
    assert '<p class="kind">RNCP certification</p>' in p.raw


def test_every_page_links_to_its_rdf_and_to_the_editor(page):
    p = page(ID + "rncp/35080")
    assert ("link", {"rel": "alternate", "type": "text/turtle", "href": "/id/rncp/35080?format=turtle"}) in p.tags
    assert (
        "link",
        {"rel": "alternate", "type": "application/ld+json", "href": "/id/rncp/35080?format=jsonld"},
    ) in p.tags
    assert {"/", "/id/rncp/35080?format=turtle", "/id/rncp/35080?format=jsonld"} <= set(p.hrefs("header"))
    # A resource without a local path keeps its own path: the query string alone.
    eqf = page("http://data.europa.eu/snb/eqf/7")
    assert ("link", {"rel": "alternate", "type": "text/turtle", "href": "?format=turtle"}) in eqf.tags


def test_fiche_page_certifier(page):
    p = page(ID + "rncp/35080")
    assert ("certifiers", "/id/org/siret/19753471200017", "CONSERVATOIRE NATIONAL DES ARTS ET METIERS") in p.links
    assert "19753471200017" in p.text("certifiers")


def test_fiche_page_codes_with_their_labels(page):
    p = page(ID + "rncp/35080")
    codes = {(href, text) for section, href, text in p.links if section == "codes"}
    assert {(f"/id/rome/{code}", code) for code in ("K1206", "K1403", "K1802", "M1301", "M1302")} <= codes
    assert ("/id/nsf/332n", "332n") in codes
    assert ("/id/formacode/32135", "32135") in codes
    text = p.text("codes")
    assert f"ROME K1403 {K1403_LABEL}" in text
    assert "NSF 332n Expertise sociale et projets sociaux" in text
    assert "Formacode 32135 Conduite projet" in text


def test_fiche_page_blocks(page):
    p = page(ID + "rncp/35080")
    blocks = [href for href in p.hrefs("blocks")]
    assert blocks == [f"/id/rncp/35080/bloc/RNCP35080BC0{n}" for n in (1, 2, 3, 4)]
    text = p.text("blocks")
    assert "RNCP35080BC01 Pilotage stratégique d’un organisme à vocation sociale ou culturelle en ESS" in text
    assert "Animer une équipe" in text
    assert "Présentations orales à partir d’une expérience professionnelle vécue" in text  # an assessment of BC01
    assert p.raw.count('<article class="block">') == 4


def test_fiche_page_lineage(page):
    p = page(ID + "rncp/35080")
    lineage = p.section("lineage")
    replaces = lineage.split("<h3>Replaced by</h3>")[0]
    # Oldest first.
    positions = [replaces.index(f'href="/id/rncp/{n}"') for n in (1611, 5385, 28720)]
    assert positions == sorted(positions)
    after = lineage.split("<h3>Replaced by</h3>")[1]
    heading = f"<h3>Current equivalent on {dt.date.today()}</h3>"
    assert 'href="/id/rncp/41336"' in after.split(heading)[0]
    current = after.split(heading)[1].split("<h3>")[0]
    assert 'href="/id/rncp/41336"' in current and "end date unknown; status unknown" in current
    # the fiches it replaces: each with its status on the day, from its dates
    assert "ended on 2020-07-19" in p.text("lineage")
    # Certif Info's RNCP5385 -> RNCP35080, superseded by the 2026 table, is shown as history
    assert ("superseded by graph:fc-export-2026-02-01-ancienne-nouvelle-certification (history, not current)"
            in p.text("lineage"))
    # Who states each link, and where, in the lineage's order.
    links = p.text("lineage").split("Links and who states them")[1]
    pairs = [
        "RNCP1611 RNCP5385",
        "RNCP5385 RNCP28720",
        "RNCP28720 RNCP35080 RNCP28720, RNCP35080",
        "RNCP35080 RNCP41336",
    ]
    assert [links.index(pair) for pair in pairs] == sorted(links.index(pair) for pair in pairs)
    assert "graph:seed-001-rncp35080" in p.text("lineage")
    # The registrations of the lineage, with their acts.
    assert "RNCP1611 décret 2004-171 2004-02-19" in p.text("lineage")


def test_fiche_page_similar_fiches(page):
    p = page(ID + "rncp/35080")
    # Content mode: its successor, the other certifier's near twin, then its ancestors.
    assert p.hrefs("similar") == ["/id/rncp/41336", "/id/rncp/41296", "/id/rncp/28720", "/id/rncp/5385", "/id/rncp/1611"]
    assert "ROME K1403 K1802; NSF 310m 330p 332n; Formacode 32135" in p.text("similar")


def test_fiche_page_description_and_sources(page):
    p = page(ID + "rncp/35080")
    assert "Fonction 1 : Pilotage stratégique" in p.text("description")
    assert "graph:seed-001-rncp35080" in p.text("sources")
    assert "graph:fc-export-2026-02-01-rome" in p.text("sources")
    # What no section shows is still listed: the access routes, the statistics.
    assert "/id/rncp/35080/voie/par-experience" in p.hrefs("properties")
    assert "/id/rncp/35080/statistique/2016" in p.hrefs("properties")
    # Referenced by the training programmes and the snapshot states.
    assert "/id/rncp/35080/programme/seed-002-cnam-brochure" in p.hrefs("incoming")
    assert "/id/snapshot/2026-02-01/rncp/35080" in p.hrefs("incoming")


def test_a_fiche_known_only_by_its_number(page):
    p = page(ID + "rncp/41336")
    assert "(no title in the loaded sources)" in p.raw
    assert "/id/rncp/35080" in p.hrefs("lineage")
    assert "This fiche is the current equivalent of its lineage" in p.text("lineage")


# ------------------------------------------------------------------ block, concepts, schemes, organisations


def test_block_page(page):
    p = page(ID + "rncp/35080/bloc/RNCP35080BC01")
    assert ("overview", "/id/rncp/35080", "RNCP35080") in p.links
    assert TITLE_35080 in p.text("overview")
    assert "Pilotage stratégique d’un organisme à vocation sociale ou culturelle en ESS" in p.text("header")
    competencies = p.section("competencies")
    assert competencies.index("Construire et développer le projet") < competencies.index(
        "Mettre en œuvre une dimension éthique"
    )
    assert competencies.count("<li>") == 5
    assert "Présentations et analyses de cas pratiques" in p.text("assessment")
    # Reworded past the block map's threshold, BC01 continues no block of RNCP28720 (see test_blocks).
    assert p.hrefs("similar") == []
    continued = page(ID + "rncp/35080/bloc/RNCP35080BC02")
    assert "/id/rncp/28720/bloc/RNCP28720BC02" in continued.hrefs("similar") and "continues" in continued.text("similar")


def test_rome_concept_page(page):
    p = page(ID + "rome/K1403")
    assert f'<h1><span class="number">K1403</span> <span lang="fr">{K1403_LABEL}</span></h1>' in p.raw
    assert ("overview", "/id/rome", "ROME — Répertoire opérationnel des métiers et des emplois") in p.links
    assert ("overview", "/id/rome/K14", "K14") in p.links
    assert "5 fiches have this code." in p.text("fiches")
    assert ("fiches", "/id/rncp/35080", "RNCP35080") in p.links
    fiches = [href for href in p.hrefs("fiches") if href.startswith("/id/rncp/")]
    assert fiches == [f"/id/rncp/{n}" for n in (5385, 28720, 35080, 41296, 41336)]  # by number, as numbers
    assert "Fiches 1–5 of 5." in p.text("fiches")
    assert {f"/id/rome/K1403?sort={key}" for key in ("title", "level", "status")} <= set(p.hrefs("fiches"))
    # The 47 ROME v3 appellations of the occupation, and the 9 ROME 4 occupations whose
    # code_rome_parent is K1403 (rome4-v460/unix_referentiel_code_rome_v460_utf8.csv).
    narrower = p.hrefs("narrower")
    assert [h for h in narrower if h.startswith("/id/rome/K")] == [
        f"/id/rome/K14{n}" for n in ("07", "08", "09", "10", "13", "15", "16", "20", "21")]
    assert len(narrower) == 56 and "/id/rome/14175" in narrower


def test_concept_pages_count_narrower_codes(page):
    # An NSF group has fiches only through its lettered specialties.
    p = page(ID + "nsf/332")
    assert "0 fiches have this code; 3 fiches have it or a narrower one." in p.text("fiches")
    assert "/id/nsf/332n" in p.hrefs("narrower")


def test_eqf_level_page(page):
    p = page("http://data.europa.eu/snb/eqf/7")
    assert '<p class="kind">EQF level</p>' in p.raw
    assert "Niveau 7" in p.text("header") and "EQF level 7" in p.text("overview")
    assert "/id/rncp/35080" in p.hrefs("fiches")


def test_scheme_page(page):
    p = page(ID + "rome")
    assert "ROME — Répertoire opérationnel des métiers et des emplois" in p.text("header")
    assert "Concepts 12,804 concepts" in p.text("overview")
    assert {"/id/rome/A", "/id/rome/K", "/id/rome/N"} <= set(p.hrefs("top"))


def test_organisation_page(page):
    p = page(ID + "org/siret/19753471200017")
    assert "CONSERVATOIRE NATIONAL DES ARTS ET METIERS" in p.text("header")
    assert "SIRET 19753471200017" in p.text("overview")
    assert "Certifier of 3 fiches." in p.text("fiches")
    # Fiches only, not the snapshot states that also name the certifier.
    assert [h for h in p.hrefs("fiches") if h.startswith("/id/rncp/")] == ["/id/rncp/28720", "/id/rncp/35080", "/id/rncp/41336"]


# ------------------------------------------------------------------ anything else


def test_generic_page_of_a_lineage_link(page):
    p = page(ID + "lineage/RNCP28720/RNCP35080")
    assert '<p class="kind">Lineage link</p>' in p.raw
    properties = p.text("properties")
    assert "cg:predecessor RNCP28720" in properties
    assert "cg:successor RNCP35080" in properties
    assert {"/id/rncp/28720", "/id/rncp/35080"} <= set(p.hrefs("properties"))
    assert "graph:seed-001-rncp35080" in p.text("sources")


def test_generic_page_of_a_named_graph(page):
    p = page("https://w3id.org/certgraph/graph/rncp-info-2021")
    assert '<p class="kind">Named graph</p>' in p.raw
    assert "This named graph holds 68 statements" in p.text("graph")  # from the mini fiches' rows of the 2021 table
    assert "/graph-store?graph=https%3A%2F%2Fw3id.org%2Fcertgraph%2Fgraph%2Frncp-info-2021" in p.hrefs("graph")
    # The facts it states link back to it.
    assert "/id/lineage/RNCP28720/RNCP35080" in p.hrefs("incoming")


def test_unknown_or_malformed_iri_gives_none(mini_store, queries):
    assert render(mini_store, queries, ID + "rncp/99999999") is None
    assert render(mini_store, queries, ID + "nothing/here") is None

    async def refuse(text: str) -> dict:
        raise AssertionError("a malformed IRI must not reach a query")

    for bad in (ID + "rncp/1> } DROP ALL; {", ID + "a b", "javascript:alert(1)", "urn:x"):
        assert asyncio.run(resource_page(bad, refuse, queries)) is None


# ------------------------------------------------------------------ safety and behaviour


def test_values_from_the_data_are_escaped(queries):
    store = OxigraphStore.in_memory()
    fiche, g = fiche_iri("RNCP99999"), graph_iri("test")
    store.add_quads(
        [
            (fiche, RDF.type, CG.Certification, g),
            (fiche, CG.number, Literal("RNCP99999"), g),
            (fiche, DCTERMS.title, Literal('<script>alert("x")</script> & co', lang="fr"), g),
            (fiche, CG.status, Literal("<img src=x onerror=alert(1)>"), g),
            (fiche, CG.rome, URIRef("https://w3id.org/certgraph/id/rome/x'onmouseover=alert(1)&y"), g),
        ]
    )
    text = render(store, queries, str(fiche))
    assert "<script>" not in text and "<img" not in text
    assert 'href="/id/rome/x&#39;onmouseover=alert(1)&amp;y"' in text
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; &amp; co" in text
    assert "&lt;img src=x onerror=alert(1)&gt;" in text
    Page(text)  # still well formed


def auto_loaded(p: Page) -> list[str]:
    """Every URL a browser would fetch on its own while showing the page."""
    fetched = []
    for tag, attrs in p.tags:
        for name in ("src", "srcset", "poster", "data", "background"):
            if name in attrs:
                fetched.append(attrs[name])
        if tag == "link" and attrs.get("rel") not in ("alternate",):
            fetched.append(attrs.get("href", ""))
        if "style" in attrs and "url(" in attrs["style"]:
            fetched.append(attrs["style"])
    styles = re.findall(r"<style>(.*?)</style>", p.raw, re.DOTALL)
    fetched += [rule for css in styles for rule in re.findall(r"@import[^;]*|url\([^)]*\)", css)]
    return fetched


@pytest.mark.parametrize("kind", sorted(PAGES))
def test_pages_load_nothing_from_elsewhere(page, kind):
    p = page(PAGES[kind])  # parsing checks that every tag is closed
    assert all(url.startswith("data:") for url in auto_loaded(p)), auto_loaded(p)
    # A script element only as a data block (schema.org JSON-LD), never one that runs.
    assert not [tag for tag, a in p.tags if tag in ("img", "iframe", "object", "embed")
                or (tag == "script" and a.get("type") != "application/ld+json")]
    assert p.raw.startswith('<!DOCTYPE html>\n<html lang="en">')
    assert '<a href="/editor">Query editor</a>' in p.raw


@pytest.fixture(scope="module")
def xml_store() -> OxigraphStore:
    """The fiches of the XML export fixture: official correspondences and habilitated partners."""
    store = OxigraphStore.in_memory()
    for name in ("export_fiches_RNCP_fixture.xml", "export_fiches_RS_fixture.xml"):
        loaded = read_fc_xml(DATA / "rncp" / "xml-fixture" / name, data_dir=DATA)
        store.add_quads(quad for fiche in loaded.fiches for quad in fiche_quads(fiche))
        store.add_quads(quad for source in {fiche.source for fiche in loaded.fiches} for quad in source_quads(source))
    return store


def test_correspondences_from_the_xml_export(xml_store, queries):
    store = xml_store
    fiche = Page(render(store, queries, ID + "rncp/36490"))
    table = fiche.section("correspondences")
    # BC02 + BC03 of RNCP36490 give BC04 of RNCP35419: one association, both blocks on one row.
    row = next(r for r in table.split("<tr>") if "RNCP36490 → RNCP35419" in r and "RNCP35419BC04" in r)
    assert 'href="/id/rncp/36490/bloc/RNCP36490BC02"' in row and 'href="/id/rncp/36490/bloc/RNCP36490BC03"' in row
    # A correspondence to a whole RS fiche.
    assert "RNCP36490BC04 RS6626 (whole fiche)" in fiche.text("correspondences")
    # The XML export lists the habilitated partners.
    assert "/id/org/siret/34270750200106" in fiche.hrefs("partners")
    assert "trains and organises the assessment" in fiche.text("partners")
    block = Page(render(store, queries, ID + "rncp/36490/bloc/RNCP36490BC03"))
    assert "/id/rncp/35419/bloc/RNCP35419BC03" in block.hrefs("correspondences")


def test_queries_run_concurrently(mini_store, queries):
    in_flight, most = 0, 0

    async def run(text: str) -> dict:
        nonlocal in_flight, most
        in_flight += 1
        most = max(most, in_flight)
        await asyncio.sleep(0)
        in_flight -= 1
        return await runner(mini_store)(text)

    assert asyncio.run(resource_page(ID + "rncp/35080", run, queries)) is not None
    assert most == 13  # a fiche page's second round runs its thirteen queries together


# ------------------------------------------------------------------ the page queries (queries/internal/pages/)

PAGE_QUERIES = sorted(path.stem for path in (queries_dir() / "internal" / "pages").glob("*.rq"))

# For each page query, a resource it gives rows for, and the store holding it: the mini graph, the XML
# export fixture (correspondences, partners), or a scheme linked to by something else than its concepts
# (no scheme of the mini graph is).
SCHEME_LINK = ("https://example.org/doc", "http://www.w3.org/2000/01/rdf-schema#seeAlso", ID + "rome")
QUERY_RESOURCES = {
    "block-competencies": ("mini", ID + "rncp/35080/bloc/RNCP35080BC01"),
    "block-correspondences": ("xml", ID + "rncp/36490/bloc/RNCP36490BC03"),
    "block-similar": ("mini", ID + "rncp/35080/bloc/RNCP35080BC02"),
    "classify": ("mini", ID + "rncp/35080"),
    "concept-fiche-counts": ("mini", ID + "rome/K1403"),
    "facts": ("mini", ID + "rncp/35080"),
    "fiche-blocks": ("mini", ID + "rncp/35080"),
    "fiche-certifiers": ("mini", ID + "rncp/35080"),
    "fiche-correspondences": ("xml", ID + "rncp/36490"),
    "fiche-partners": ("xml", ID + "rncp/36490"),
    "graph-size": ("mini", "https://w3id.org/certgraph/graph/rncp-info-2021"),
    "incoming": ("mini", "https://w3id.org/certgraph/graph/rncp-info-2021"),
    "incoming-block": ("mini", ID + "rncp/35080/bloc/RNCP35080BC01"),
    "incoming-concept": ("mini", ID + "rome/K1403"),
    "incoming-fiche": ("mini", ID + "rncp/35080"),
    "incoming-organisation": ("mini", ID + "org/siret/19753471200017"),
    "incoming-scheme": ("scheme", ID + "rome"),
    "narrower": ("mini", ID + "rome/K1403"),
    "organisation-fiche-count": ("mini", ID + "org/siret/19753471200017"),
    "scheme-count": ("mini", ID + "rome"),
    "sources": ("mini", ID + "rncp/35080"),
    "top-concepts": ("mini", ID + "rome"),
}


def test_every_page_query_has_a_resource_to_run_on():
    assert PAGE_QUERIES == sorted(QUERY_RESOURCES)


@pytest.mark.parametrize("name", PAGE_QUERIES)
def test_page_query_loads_and_gives_rows(name, mini_store, xml_store):
    query = internal_query(f"pages/{name}")  # parsed and syntax-checked at load
    assert [(p.name, p.type) for p in query.params] == [("this", "iri")]
    where, iri = QUERY_RESOURCES[name]
    store = {"mini": mini_store, "xml": xml_store}.get(where)
    if store is None:
        store = OxigraphStore.in_memory()
        store.add_quads([(URIRef(s), URIRef(p), URIRef(o), graph_iri("test")) for s, p, o in [SCHEME_LINK]])
        store.add_quads([(URIRef(ID + "rome/A"), URIRef("http://www.w3.org/2004/02/skos/core#inScheme"),
                          URIRef(ID + "rome"), graph_iri("test"))])
    text = query.bind({"this": iri})
    rows = list(store._store.query(text, use_default_graph_as_union=True))
    assert rows, name
    # A count of nothing is a row too: some value of the rows must be more than that.
    values = [term.value for row in rows for term in row if term is not None]
    assert any(value not in ("0", "false") for value in values), (name, values)


def test_incoming_queries_leave_out_what_the_page_shows():
    # The scheme's concepts are its own section; the other link is listed.
    assert "inScheme" not in internal_query("pages/incoming-scheme").text.split("FILTER(?p NOT IN (")[0]
    for name in PAGE_QUERIES:
        if name.startswith("incoming-"):
            assert "FILTER(?p NOT IN (" in strip_comments(internal_query(f"pages/{name}").text), name
    assert "NOT IN" not in strip_comments(internal_query("pages/incoming").text)


def test_page_query_limits_are_the_page_size():
    """The LIMITs written in the .rq files are the cuts pages.py makes (one row more: the list was cut)."""
    expected = {
        "facts": [FACTS_LIMIT],
        "fiche-partners": [PAGE_SIZE + 1],
        "narrower": [PAGE_SIZE * 5 + 1],
        "top-concepts": [PAGE_SIZE * 5 + 1],
        "block-similar": [20],
    }
    for name in PAGE_QUERIES:
        text = strip_comments(internal_query(f"pages/{name}").text)
        limits = [int(limit) for limit in re.findall(r"\bLIMIT\s+(\d+)", text, re.IGNORECASE)]
        want = [PAGE_SIZE + 1] if name.startswith("incoming") else expected.get(name, [])
        assert limits == want, name


def test_pages_build_no_sparql_text():
    """Every query of the pages is a file: pages.py only names them and binds the resource."""
    source = Path(pages.__file__).read_text(encoding="utf-8")
    assert not re.search(r"SELECT\s+(DISTINCT\s+)?[?(*]|WHERE\s*\{|PREFIX\s+\w*:|FILTER\s*\(|\?this\b", source)
    assert "_sparql" not in source and "<THIS>" not in source
