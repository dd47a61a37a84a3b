"""The site for people on ``certgraph serve`` over the mini store: search, facets, fiche, code and
comparison pages in French and English, without JavaScript; then one walk in headless Chromium with an
accessibility check (axe-core, vendored in tests/vendor/).
"""

from __future__ import annotations

import ast
import datetime as dt
import json
import re
from pathlib import Path

import httpx
import pytest

from certgraph.status import Status
from certgraph.web import i18n, pages
from certgraph.web.i18n import language
from certgraph.web.pages import ListedFiche, View, fiche_listing

from .browser import accessibility_violations, screenshot

WEB = Path(pages.__file__).parent
HTML = {"accept": "text/html"}


def get(base: str, path: str, **headers) -> httpx.Response:
    response = httpx.get(base + path, headers={**HTML, **headers}, timeout=30)
    assert response.status_code == 200, (path, response.status_code, response.text[:300])
    return response


def texts(html: str) -> str:
    """The page's text, tags out, spaces collapsed, entities read."""
    import html as html_module

    return " ".join(html_module.unescape(re.sub(r"<[^>]+>", " ", html)).split())


def scripts(html: str) -> list[str]:
    """The type of every <script> element ('' for a plain one)."""
    return [m.group(1) or "" for m in re.finditer(r'<script(?: type="([^"]*)")?[^>]*>', html)]


# ------------------------------------------------------------------ languages


def test_home_is_french_by_default_and_english_when_asked(mini_server):
    french = get(mini_server, "/").text
    assert french.startswith('<!DOCTYPE html>\n<html lang="fr">')
    assert '<label for="q">Rechercher dans le répertoire</label>' in french
    assert '<a href="/editor">Éditeur de requêtes</a>' in french
    for english in (get(mini_server, "/?lang=en").text, get(mini_server, "/", **{"accept-language": "en-GB,fr;q=0.5"}).text):
        assert english.startswith('<!DOCTYPE html>\n<html lang="en">')
        assert '<label for="q">Search the register</label>' in english
        assert '<a href="/editor">Query editor</a>' in english
    # Chosen by the address, the language is kept by the site's own links and forms.
    assert '<input type="hidden" name="lang" value="en">' in get(mini_server, "/?lang=en").text
    assert 'name="lang"' not in get(mini_server, "/", **{"accept-language": "en"}).text


def test_fiche_page_in_both_languages(mini_server):
    french = get(mini_server, "/id/rncp/35080?lang=fr").text
    english = get(mini_server, "/id/rncp/35080?lang=en").text
    assert '<html lang="fr">' in french and '<html lang="en">' in english
    assert "fin d'enregistrement le 2025-11-18" in texts(french)
    assert "ended on 2025-11-18" in texts(english)
    assert "Équivalent actuel RNCP41336" in texts(french) and "Current equivalent RNCP41336" in texts(english)


def test_every_interface_string_has_its_french():
    """Every literal given to _() in the web code and the templates, and every status phrase, is in the catalogue."""
    used = set()
    # status.py's phrases go through the translator it is given (``say``): the site gives it _().
    for path, name in [*((path, "_") for path in WEB.glob("*.py")), (WEB.parent / "status.py", "say")]:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and getattr(node.func, "id", None) == name and node.args:
                if isinstance(node.args[0], ast.Constant):
                    used.add(node.args[0].value)
    for path in (WEB / "templates").iterdir():
        text = re.sub(r"\{#.*?#\}", "", path.read_text(encoding="utf-8"), flags=re.S)  # not the comments
        used |= set(re.findall(r"""_\(\s*["']([^"']+)["']""", text))
    used |= {label for label, _curie, _french in pages.FICHE_FIELDS + pages.DESCRIPTION_FIELDS}
    used |= set(pages.HABILITATIONS.values())
    assert len(used) > 150
    assert sorted(used - set(i18n.FRENCH)) == []


# ------------------------------------------------------------------ search


def test_search_finds_titles_and_shows_the_total(mini_server):
    page = get(mini_server, "/?q=manager+%C3%A9conomie+sociale").text
    assert "2 fiches correspondent." in texts(page)
    assert re.findall(r'<td><a href="/id/rncp/(\d+)">', page) == ["35080", "28720"]  # by relevance
    assert "<mark>économie</mark>" in page
    by_number = get(mini_server, "/?q=manager+%C3%A9conomie+sociale&sort=number").text
    assert re.findall(r'<td><a href="/id/rncp/(\d+)">', by_number) == ["28720", "35080"]


@pytest.mark.parametrize(("query", "code_page", "fiches"), [
    ("K1403", "/id/rome/K1403", ["5385", "28720", "35080", "41296", "41336"]),
    ("332n", "/id/nsf/332n", ["35080", "41296", "41336"]),
    ("RNCP35080", "/id/rncp/35080", ["35080"]),
])
def test_a_typed_code_leads_to_its_page_and_fiches(mini_server, query, code_page, fiches):
    page = get(mini_server, "/?q=" + query).text
    assert f'<a href="{code_page}"><span class="code">' in page
    assert re.findall(r'<td><a href="/id/rncp/(\d+)">', page) == fiches


def test_facets_filter_the_results(mini_server):
    base = "/?q=K1403"
    # RNCP41336 has no level in the loaded sources.
    assert re.findall(r'<td><a href="/id/rncp/(\d+)">', get(mini_server, base + "&level=7").text) == [
        "5385", "28720", "35080", "41296"]
    assert "Aucune fiche ne correspond" in texts(get(mini_server, base + "&register=RS").text)
    # In force on a date: only RNCP41296 (registered until 2028-09-24) in 2027.
    in_force = get(mini_server, base + "&date=2027-01-01").text
    assert re.findall(r'<td><a href="/id/rncp/(\d+)">', in_force) == ["41296"]
    cnam = "https%3A%2F%2Fw3id.org%2Fcertgraph%2Fid%2Forg%2Fsiret%2F19753471200017"
    assert re.findall(r'<td><a href="/id/rncp/(\d+)">', get(mini_server, base + "&certifier=" + cnam).text) == [
        "28720", "35080", "41336"]
    assert "CONSERVATOIRE NATIONAL DES ARTS ET METIERS (3)" in get(mini_server, base).text


def test_a_certifier_is_found_by_its_name(mini_server):
    page = get(mini_server, "/?q=conservatoire+arts").text
    assert '<a href="/id/org/siret/19753471200017">CONSERVATOIRE NATIONAL DES ARTS ET METIERS</a>' in page


# ------------------------------------------------------------------ listings


def _fiche(number: str, title: str, level: int | None, end: str | None) -> ListedFiche:
    status = Status(dt.date.today(), end_date=dt.date.fromisoformat(end) if end else None)
    return ListedFiche(f"https://w3id.org/certgraph/id/x/{number}", number, title,
                       level, status)


def test_listings_page_and_sort_numbers_as_numbers():
    fiches = [_fiche(f"RNCP{n}", f"Titre {n % 7}", n % 8 + 1, "2030-01-01" if n % 2 else "2020-01-01")
              for n in range(1, 121)] + [_fiche("RNCP10102", "Zèbre", 3, None), _fiche("RNCP367", "Abeille", 5, None),
                                         _fiche("RS5000", "Avant", 4, None)]
    with language("en"):
        first = str(fiche_listing(fiches, View("/x", ()), size=50))
        assert "Fiches 1–50 of 123." in texts(first)
        numbers = re.findall(r">(RNCP\d+|RS\d+)<", first.split("<tbody>")[1])
        assert numbers[:3] == ["RNCP1", "RNCP2", "RNCP3"] and len(numbers) == 50
        last = str(fiche_listing(fiches, View("/x", (("page", "3"),)), size=50))
        assert "Fiches 101–123 of 123." in texts(last)
        assert re.findall(r">(RNCP\d+|RS\d+)<", last.split("<tbody>")[1])[-3:] == ["RNCP367", "RNCP10102", "RS5000"]
        assert '<a href="/x?page=2">Previous</a>' in last and "Next" not in last
        by_offset = str(fiche_listing(fiches, View("/x", (("offset", "50"),)), size=50))
        assert "Fiches 51–100 of 123." in texts(by_offset)
        by_title = str(fiche_listing(fiches, View("/x", (("sort", "title"),)), size=50))
        assert re.findall(r">(RNCP\d+|RS\d+)<", by_title.split("<tbody>")[1])[:2] == ["RNCP367", "RS5000"]
        by_level = str(fiche_listing(fiches, View("/x", (("sort", "-level"),)), size=50))
        assert "<td>8</td>" in by_level.split("</tr>")[1]
        by_status = str(fiche_listing(fiches, View("/x", (("sort", "status"),)), size=200))
        states = re.findall(r'class="status ([a-z-]+)"', by_status)
        assert states == sorted(states, key=pages.STATE_ORDER.get) and states[0] == "in-force"


def test_code_page_lists_every_fiche_with_level_and_status(mini_server):
    page = get(mini_server, "/id/rome/K1403?lang=en&sort=-title").text
    assert "Fiches 1–5 of 5." in texts(page)
    rows = re.findall(r'<tr><td><a href="/id/rncp/(\d+)\?lang=en">[^<]*</a></td><td>(.*?)</td><td>(\d*)</td>', page)
    assert [number for number, _title, _level in rows] == ["28720", "35080", "5385", "41296", "41336"]  # untitled last
    assert [level for _n, _t, level in rows] == ["7", "7", "7", "7", ""]
    assert '<a href="/id/rome/K1403?lang=en&amp;sort=number">number</a>' in page
    assert '<td><a href="/id/rncp/35080?lang=en">RNCP35080</a></td>' in page  # the language named is kept
    level = get(mini_server, "/eqf/7?lang=en").text
    assert "4 fiches have this level. Fiches 1–4 of 4." in texts(level)


# ------------------------------------------------------------------ fiche and comparison


def test_fiche_page_draws_its_lineage_and_embeds_schema_org(mini_server):
    page = get(mini_server, "/id/rncp/35080").text
    svg = re.search(r"<svg .*?</svg>", page, re.S).group()
    assert {f"/id/rncp/{n}" for n in (1611, 5385, 28720, 35080, 41336)} == set(re.findall(r'<a href="([^"]+)">', svg))
    assert svg.count("<line ") == 4
    (data,) = [json.loads(m) for m in re.findall(r'<script type="application/ld\+json">(.*?)</script>', page, re.S)]
    assert data["@type"] == "EducationalOccupationalCredential" and data["identifier"] == "RNCP35080"
    assert data["educationalLevel"]["termCode"] == "7"
    assert [b["termCode"] for b in data["competencyRequired"]] == [f"RNCP35080BC0{i}" for i in range(1, 5)]


def test_compare_page(mini_server):
    page = get(mini_server, "/compare?a=RNCP35080&b=rncp41296").text
    assert "RNCP35080 comparée à RNCP41296" in texts(page)
    for anchor in ("summary", "codes", "blocks", "alignment"):
        assert f'<section id="{anchor}">' in page
    alignment = texts(page.split('<section id="alignment">')[1])
    assert "RNCP35080BC03" in alignment and "RNCP41296BC04" in alignment and "benevoles" in alignment
    assert "@media print" in page
    assert httpx.get(mini_server + "/compare?a=RNCP35080&b=RNCP99999", headers=HTML).status_code == 404
    assert httpx.get(mini_server + "/compare?a=RNCP35080&b=nonsense", headers=HTML).status_code == 400


@pytest.mark.parametrize("path", ["/", "/?q=manager", "/id/rncp/35080", "/compare?a=RNCP35080&b=RNCP41296",
                                  "/id/rome/K1403", "/eqf/7"])
def test_pages_work_without_javascript(mini_server, path):
    page = get(mini_server, path).text
    assert set(scripts(page)) <= {"application/ld+json"}
    assert "<form" in page and 'action="/"' in page  # the search box is a plain form
    assert '<a href="/editor">' in page


# ------------------------------------------------------------------ in a browser


def test_a_person_finds_compares_and_the_pages_are_accessible(mini_server, browser):
    page = browser.new_page(locale="fr-FR")
    page.goto(mini_server + "/")
    for _ in range(12):  # the search box is reached with the keyboard
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.id") == "q":
            break
    assert page.evaluate("document.activeElement.id") == "q"
    assert accessibility_violations(page) == []
    page.keyboard.type("manager économie sociale")
    page.keyboard.press("Enter")
    page.wait_for_url("**/?q=*")
    assert "2 fiches correspondent." in page.inner_text("header")
    assert accessibility_violations(page) == []
    screenshot(page, "site-search")
    page.locator('#results a[href="/id/rncp/35080"]').click()
    page.wait_for_url(mini_server + "/id/rncp/35080")
    assert "RNCP35080" in page.locator("h1").inner_text()
    assert page.locator("figure.lineage svg a").count() == 5
    assert accessibility_violations(page) == []
    screenshot(page, "site-fiche")
    page.locator('#overview a[href="/id/rncp/41336"]').click()  # the current equivalent
    page.wait_for_url(mini_server + "/id/rncp/41336")
    assert "RNCP41336" in page.locator("h1").inner_text()
    page.get_by_role("link", name="Comparer").click()
    page.fill("#a", "RNCP35080")
    page.fill("#b", "RNCP41296")
    page.locator("form.compare button").click()
    page.wait_for_url("**/compare?a=RNCP35080&b=RNCP41296")
    assert page.locator("#alignment table tbody tr").count() == 4
    assert accessibility_violations(page) == []
    screenshot(page, "site-compare")
