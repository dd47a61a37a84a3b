"""The query editor page: its HTML, and YASGUI running it in headless Chromium against a stub endpoint.

The browser tests serve ``certgraph/static`` and the page from a temporary folder on loopback, with
a stub SPARQL endpoint answering one fixed row ("RNCP28720") to any query. They are skipped when
Playwright or Chromium is missing (see ``tests/browser.py``).
"""

from __future__ import annotations

import json
import shutil
from functools import partial
from html.parser import HTMLParser
from http.server import SimpleHTTPRequestHandler
from pathlib import Path
from urllib.parse import parse_qs, quote, urlsplit

import pytest

from certgraph.web.editor import editor_html, tab_query

from .browser import (
    chromium_or_skip,
    screenshot,
    serve_on_loopback,
)

STATIC = Path(__file__).resolve().parent.parent / "src" / "certgraph" / "web" / "static"

SCRIPT_QUERY = 'SELECT ?x WHERE { BIND("</script><script>alert(1)</script>" AS ?x) }'
EXAMPLES = [
    {
        "name": "lineage/ancestors",
        "summary": "Every certification a fiche descends from, oldest first",
        "description": "Follows dcterms:replaces transitively from the fiche.",
        "query": "PREFIX dcterms: <http://purl.org/dc/terms/>\n"
        "SELECT ?ancestor WHERE {\n"
        "  VALUES ?fiche { <https://w3id.org/certgraph/fiche/RNCP35080> }\n"
        "  ?fiche dcterms:replaces+ ?ancestor .\n"
        "}",
    },
    {
        "name": "stats/overview",
        "summary": "How many triples",
        "description": "",
        "query": "#+ summary: How many triples\nSELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }",
    },
    {
        "name": "edge/script-tag",
        "summary": "A query whose text would close a script element",
        "description": "The page embeds queries as JSON in a script element.",
        "query": SCRIPT_QUERY,
    },
]
STUB_RESULTS = {
    "head": {"vars": ["fiche", "title"]},
    "results": {
        "bindings": [
            {
                "fiche": {"type": "literal", "value": "RNCP28720"},
                "title": {"type": "literal", "value": "Manager des organisations"},
            }
        ]
    },
}


class _Assets(HTMLParser):
    """Collects every src/href attribute and the editor's JSON configuration."""

    def __init__(self):
        super().__init__()
        self.urls: list[tuple[str, str]] = []
        self.config_text: str | None = None
        self._in_config = False

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        self.urls += [(tag, attrs[name]) for name in ("src", "href") if attrs.get(name)]
        self._in_config = attrs.get("id") == "certgraph-editor-config"

    def handle_data(self, data):
        if self._in_config:
            self.config_text = (self.config_text or "") + data

    def handle_endtag(self, tag):
        self._in_config = False


def _parse(page: str) -> _Assets:
    parser = _Assets()
    parser.feed(page)
    parser.close()
    return parser


# ---------------------------------------------------------------------------------- the HTML


def test_page_loads_only_local_assets():
    parser = _parse(editor_html(EXAMPLES))
    urls = [url for _, url in parser.urls]
    assert [url for url in urls if url.startswith(("http:", "https:", "//"))] == []
    scripts = [url for tag, url in parser.urls if tag == "script"]
    assert scripts == ["/static/yasgui/yasgui.min.js", "/static/editor.js"]
    for url in urls:
        if url.startswith("/static/"):
            assert (STATIC / url.removeprefix("/static/")).is_file(), url


def test_page_lists_every_example_with_its_description():
    page = editor_html(EXAMPLES)
    config = json.loads(_parse(page).config_text)
    assert [tab["name"] for tab in config["examples"]] == [e["name"] for e in EXAMPLES]
    for example in EXAMPLES:
        assert example["name"] in page
    first = config["examples"][0]["query"]
    assert first.startswith("# Every certification a fiche descends from, oldest first\n#\n# Follows dcterms:replaces")
    # A query that carries its own #+ header is not given a second one.
    assert config["examples"][1]["query"] == EXAMPLES[1]["query"]


def test_page_survives_a_query_closing_its_script_element():
    page = editor_html(EXAMPLES)
    assert page.count("</script>") == 3  # the configuration and the two scripts, nothing more
    config = json.loads(_parse(page).config_text)
    assert config["examples"][2]["query"] == tab_query(EXAMPLES[2])
    assert SCRIPT_QUERY in config["examples"][2]["query"]


def test_endpoint_and_static_prefix_are_configurable():
    page = editor_html(EXAMPLES, endpoint="/api/sparql", static="/assets/")
    assert json.loads(_parse(page).config_text)["endpoint"] == "/api/sparql"
    assert '<script src="/assets/editor.js"></script>' in page


def test_new_examples_get_new_tab_storage():
    def storage(examples, endpoint="/sparql"):
        return json.loads(_parse(editor_html(examples, endpoint)).config_text)["persistenceId"]

    assert storage(EXAMPLES) == storage([dict(e) for e in EXAMPLES])
    assert storage(EXAMPLES) != storage(EXAMPLES[:2])
    assert storage(EXAMPLES) != storage(EXAMPLES, "/other")


def test_vendored_bundle_is_documented_and_offline():
    yasgui = STATIC / "yasgui"
    source = (yasgui / "SOURCE.md").read_text(encoding="utf-8")
    assert "@zazuko/yasgui" in source and "sha512-" in source
    assert (yasgui / "LICENSE").read_text(encoding="utf-8").startswith("The MIT License")
    css = (yasgui / "yasgui.min.css").read_text(encoding="utf-8")
    assert "url(http" not in css.replace(" ", "") and "@import" not in css


# ------------------------------------------------------------------------------ the browser


class _Site(SimpleHTTPRequestHandler):
    """Static files from the site folder, plus a stub SPARQL endpoint at /sparql."""

    def __init__(self, *args, received: list, **kwargs):
        self.received = received
        super().__init__(*args, **kwargs)

    def do_GET(self):
        parts = urlsplit(self.path)
        if parts.path == "/sparql":
            self._answer("GET", parse_qs(parts.query))
        else:
            super().do_GET()

    def do_POST(self):
        if urlsplit(self.path).path != "/sparql":
            self.send_error(404)
            return
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0)).decode("utf-8")
        self._answer("POST", parse_qs(body))

    def _answer(self, method: str, params: dict) -> None:
        self.received.append({"method": method, "query": (params.get("query") or [""])[0]})
        body = json.dumps(STUB_RESULTS).encode("utf-8")
        self.send_response(200)
        self.send_header("Content-Type", "application/sparql-results+json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format, *args):
        pass


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """The editor page on a loopback HTTP server; yields (base URL, queries the stub received)."""
    chromium_or_skip()
    root = tmp_path_factory.mktemp("site")
    shutil.copytree(STATIC, root / "static")
    (root / "index.html").write_text(editor_html(EXAMPLES), encoding="utf-8")
    received: list[dict] = []
    with serve_on_loopback(partial(_Site, directory=str(root), received=received)) as base:
        yield base, received


def _open_editor(session, url: str):
    page = session.new_page()
    page.goto(url)
    page.wait_for_function("window.certgraphEditor && window.certgraphEditor.getTab()")
    return page


def _tab_names(page) -> list[str]:
    return page.locator(".yasgui .tabsList a[role=tab] > span").all_inner_texts()


def _active_tab(page) -> dict:
    return page.evaluate(
        "(() => { const tab = window.certgraphEditor.getTab();"
        " return {name: tab.getName(), query: tab.getQuery()}; })()"
    )


def _results_cell(page, text: str):
    return page.locator(".tabPanel.active .yasr table").get_by_text(text, exact=True)


def test_editor_runs_the_active_example(site, browser):
    base, received = site
    page = _open_editor(browser, base + "/")
    assert _tab_names(page) == [e["name"] for e in EXAMPLES]
    assert _active_tab(page) == {"name": EXAMPLES[0]["name"], "query": tab_query(EXAMPLES[0])}
    received.clear()
    page.locator(".tabPanel.active .yasqe_queryButton").click()
    _results_cell(page, "RNCP28720").wait_for()
    assert received == [{"method": "POST", "query": tab_query(EXAMPLES[0])}]
    screenshot(page, "editor")
    page.locator(".yasgui .tabsList a[role=tab]", has_text="edge/script-tag").click()
    assert _active_tab(page)["query"] == tab_query(EXAMPLES[2])
    page.keyboard.press("Control+Enter")
    _results_cell(page, "RNCP28720").wait_for()
    assert received[-1]["query"] == tab_query(EXAMPLES[2])


def test_share_link_reopens_the_query(site, browser):
    base, _ = site
    page = _open_editor(browser, base + "/")
    edited = "SELECT ?fiche WHERE { ?fiche a ?type } LIMIT 3"
    page.evaluate("query => { window.certgraphEditor.getTab().setQuery(query); }", edited)
    page.locator(".tabPanel.active .yasqe_share").click()
    link = page.locator(".yasqe_sharePopup input").input_value()
    assert link.startswith(base + "/#") and "query=" in link

    shared = _open_editor(browser, link)
    assert _active_tab(shared) == {"name": EXAMPLES[0]["name"], "query": edited}
    _results_cell(shared, "RNCP28720").wait_for()  # a share link runs its query
    assert set(_tab_names(shared)) >= {e["name"] for e in EXAMPLES}

    plain = _open_editor(browser, base + "/?query=" + quote("ASK { ?s ?p ?o }"))
    assert _active_tab(plain)["query"] == "ASK { ?s ?p ?o }"
