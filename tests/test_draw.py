"""Drawings of graph views: the DOT text, the Graphviz SVG and PNG, and the interactive HTML page.

The graphs are built by hand like ``certgraph.export.views``'s views: the real lineage of RNCP35080
(RNCP1611 → RNCP5385 → RNCP28720 → RNCP35080 → RNCP41336, edges going from the new fiche to the
old one), a merge, an equivalence graph with similarity and correspondence edges, and one whose
texts try to break out of DOT strings, XML and ``<script>``.

Graphviz tests skip when ``dot`` is missing (``apt-get install graphviz``); browser tests skip
without Playwright or Chromium (see ``tests/browser.py``). Screenshots go to
``build/test-artifacts/``: ``lineage-svg.png``, ``lineage-html.png`` (and ``-selected``: a fiche
clicked, a link hovered), ``equivalence-html.png``.
"""

from __future__ import annotations

import json
import re
import shutil
import xml.etree.ElementTree as ET
from functools import partial
from html.parser import HTMLParser
from http.server import SimpleHTTPRequestHandler
from itertools import pairwise
from pathlib import Path

import networkx as nx
import pytest

from certgraph.export.draw import (
    DRAWERS,
    DrawError,
    comparison_columns,
    draw,
    draw_html,
    draw_svg,
    graph_elements,
    html_page,
    is_lineage,
    lineage_positions,
    to_dot,
)

from .browser import (
    chromium_or_skip,
    screenshot,
    serve_on_loopback,
)

BASE = "https://w3id.org/certgraph/id/rncp/"
CNAM = "CONSERVATOIRE NATIONAL DES ARTS ET METIERS (CNAM)"
SVG_NS = "{http://www.w3.org/2000/svg}"
# (digits, title, level, start, end, active, certifier): oldest first.
CHAIN = [
    ("1611", "Responsable de l'action sociale et culturelle", "", "", "2006-12-31", False, ""),
    ("5385", "Manager d'organismes à vocation sociale et culturelle", 6, "2007-01-01", "2017-08-22", False, CNAM),
    ("28720", "Manager d'organismes à vocation sociale et culturelle", 6, "2017-08-23", "2020-07-19", False, CNAM),
    ("35080", "Manager d'organismes à vocation sociale et culturelle", 6, "2020-07-20", "2025-07-20", False, CNAM),
    ("41336", "Manager d'organismes à vocation sociale, culturelle et solidaire", 7, "2025-07-21", "", True, CNAM),
]
NUMBERS = [f"RNCP{digits}" for digits, *_ in CHAIN]
DATES = [d for *_, start, end, _, _ in CHAIN for d in (start, end) if d]
HOSTILE_TITLE = 'Titre "</script><script>alert(1)</script>" \\ <b>&amp; {x}'


def add_fiche(graph, digits, title, level="", start="", end="", active="", certifier=""):
    iri = BASE + digits
    graph.add_node(
        iri, uri=iri, label=f"RNCP{digits} {title}", kind="fiche", number=f"RNCP{digits}", title=title,
        level=level, certifier=certifier, start=start, end=end, active=active,
    )  # fmt: skip
    return iri


def lineage_graph() -> nx.MultiDiGraph:
    """RNCP35080's lineage; each link stated by the new fiche and (but the oldest) the old one."""
    graph = nx.MultiDiGraph(title="Lineage of RNCP35080")
    iris = [add_fiche(graph, *fiche) for fiche in CHAIN]
    for (old, new), (old_digits, new_digits) in zip(pairwise(iris), pairwise(NUMBERS)):
        asserted = new_digits if old_digits == "RNCP1611" else f"{new_digits},{old_digits}"
        graph.add_edge(new, old, kind="replaces", label="replaces", asserted_by=asserted, weight="")
    return graph


def merge_graph() -> nx.DiGraph:
    """Two fiches merged into one (RNCP300 replaces RNCP100 and RNCP200), itself replaced; RNCP100
    replaces a historical certification."""
    graph = nx.DiGraph()
    a = add_fiche(graph, "100", "Comptable", 5, "2015-01-01", "2020-12-31", False)
    b = add_fiche(graph, "200", "Gestionnaire de paie", 5, "2016-03-01", "2020-12-31", False)
    c = add_fiche(graph, "300", "Gestionnaire comptable et paie", 5, "2021-01-01", "2023-12-31", False)
    d = add_fiche(graph, "400", "Gestionnaire comptable et paie", 5, "", "", "")  # dates unknown
    # A predecessor known by its title only, as certgraph.export.views names it.
    h = "https://w3id.org/certgraph/id/historical/aide-comptable"
    graph.add_node(h, uri=h, label="Aide-comptable", kind="historical", number="", title="Aide-comptable",
                   level="", certifier="", start="", end="2014-12-31", active="")
    for new, old in ((c, a), (c, b), (d, c), (a, h)):
        graph.add_edge(new, old, kind="replaces", label="replaces", asserted_by="", weight="")
    return graph


def equivalence_graph() -> nx.MultiGraph:
    """Similarity (scored) and correspondence links between fiches, and an occupation code."""
    graph = nx.MultiGraph(title="Equivalences of RNCP35080")
    x = add_fiche(graph, *CHAIN[3])
    y = add_fiche(graph, "41296", "Manager de l'économie sociale et solidaire", 7, "2025-06-01", "", True, "IRCOM")
    z = add_fiche(graph, "36490", "Directeur de structure sociale", 7, "2022-05-01", "2027-05-01", True, "EHESP")
    rome = "https://w3id.org/certgraph/id/rome/K1403"
    graph.add_node(rome, uri=rome, label="K1403 Management de structures de santé", kind="rome")
    graph.add_edge(x, y, kind="similarity", label="similar", asserted_by="", weight=0.87)
    graph.add_edge(x, z, kind="similarity", label="similar", asserted_by="", weight=0.62)
    graph.add_edge(z, x, kind="correspondence", label="blocks correspond", asserted_by="RNCP36490", weight="")
    graph.add_edge(x, rome, kind="rome", label="ROME", asserted_by="", weight="")
    return graph


def hostile_graph() -> nx.DiGraph:
    """Texts holding DOT, XML and HTML syntax; one IRI with a quote."""
    graph = nx.DiGraph()
    new = add_fiche(graph, "2", HOSTILE_TITLE, 6, "2020-01-01", "", True, 'Org "A" \\ <B> & C\nline')
    odd = 'https://example.org/a"b<c>'
    # Starts with < and ends with >, like a Graphviz HTML-like label: must still be quoted text.
    graph.add_node(odd, uri=odd, label='<odd "node" </script>>', kind="org")
    graph.add_edge(new, odd, kind="replaces", label="replaces", asserted_by='RNCP2,"x"</script>', weight="")
    return graph


# ------------------------------------------------------------------------------ without Graphviz


def test_dot_text_reverses_lineage_edges_and_runs_left_to_right():
    dot = to_dot(lineage_graph())
    assert "rankdir" in dot and 'rankdir="LR"' in dot
    ids = {number: re.search(rf'(n\d+) \[label=<<b>{number}</b>', dot).group(1) for number in NUMBERS}
    for old, new in pairwise(NUMBERS):  # old -> new: arrows read "replaced by"
        assert re.search(rf"{ids[old]} -> {ids[new]} \[", dot), (old, new)
    assert 'tooltip="RNCP35080 replaces RNCP28720\\nstated by RNCP35080, RNCP28720"' in dot


def test_equivalence_dot_uses_neato_styles():
    dot = to_dot(equivalence_graph())
    assert "rankdir" not in dot and 'overlap="false"' in dot
    similarity = [line for line in dot.splitlines() if 'label="0.87"' in line]
    assert len(similarity) == 1 and 'style="dashed"' in similarity[0] and 'dir="none"' in similarity[0]
    correspondence = [line for line in dot.splitlines() if "blocks correspond" in line and "->" in line]
    assert len(correspondence) == 1 and "dashed" not in correspondence[0]


def test_lineage_positions_follow_time_and_spread_branches():
    chain = lineage_positions(lineage_graph())
    xs = [chain[BASE + digits][0] for digits, *_ in CHAIN]
    assert xs == sorted(xs) and len(set(xs)) == len(xs)
    assert {y for _, y in chain.values()} == {0}

    merge = lineage_positions(merge_graph())
    (x1, y1), (x2, y2), (x3, _), (x4, _) = (merge[BASE + d] for d in ("100", "200", "300", "400"))
    x0 = merge["https://w3id.org/certgraph/id/historical/aide-comptable"][0]
    # RNCP100 is pushed a gap right of the certification it replaces; RNCP200, which starts later,
    # moves with it: dates keep their order across branches.
    assert x0 + 320 == x1 < x2 < x1 + 320
    assert y1 != y2  # the two overlap in time: two lanes
    assert max(x1, x2) < x3 < x4  # the dateless newest fiche is placed after what it replaces


def test_what_is_drawn_as_a_lineage():
    assert is_lineage(lineage_graph()) and is_lineage(merge_graph())
    assert not is_lineage(equivalence_graph())
    single = nx.DiGraph()
    add_fiche(single, *CHAIN[4])
    assert is_lineage(single)  # a fiche with no link is still placed by its dates
    assert not is_lineage(nx.DiGraph())


def test_historical_certifications_are_drawn_as_certifications():
    nodes = {e["data"]["id"]: e["data"] for e in graph_elements(merge_graph())["elements"] if e["group"] == "nodes"}
    old = nodes["https://w3id.org/certgraph/id/historical/aide-comptable"]
    assert (old["status"], old["official"], old["shape"]) == ("ended", "", "round-rectangle")
    assert old["display"] == "historical\nAide-comptable\n? – 2014-12-31"
    assert nodes[BASE + "400"]["status"] == "unknown" and nodes[BASE + "100"]["official"].endswith("/rncp/100/")
    assert is_lineage(nx.DiGraph(view="lineage")) and not is_lineage(nx.MultiGraph(view="equivalence"))


def test_elements_reverse_lineage_edges_and_explain_them():
    data = graph_elements(lineage_graph())
    assert data["layout"] == "preset" and data["lineage"]
    edges = [e["data"] for e in data["elements"] if e["group"] == "edges"]
    edge = next(e for e in edges if e["target"] == BASE + "35080")
    assert edge["source"] == BASE + "28720"
    assert edge["why"] == ["RNCP35080 replaces RNCP28720", "stated by RNCP35080, RNCP28720"]
    assert graph_elements(equivalence_graph())["layout"] == "cose"


class _Loads(HTMLParser):
    """Every src/href attribute of the page and the text of its script elements."""

    def __init__(self):
        super().__init__()
        self.loads: list[str] = []
        self.scripts = 0

    def handle_starttag(self, tag, attrs):
        self.loads += [value for name, value in attrs if name in ("src", "href") and value]
        self.scripts += tag == "script"


def test_html_page_inlines_everything_and_escapes_script_ends():
    page = html_page(hostile_graph(), title="</title><script>alert(1)</script>")
    parser = _Loads()
    parser.feed(page)
    assert parser.loads == ["data:,"]  # the empty favicon: nothing else is loaded
    assert parser.scripts == 3
    assert page.count("</script") == 3  # the data, Cytoscape.js, the page's code: no other end tag
    assert "&lt;/title&gt;" in page


# Labels that try to end the data's <script>, open a tag from an attribute, or run as a template.
HOSTILE_LABELS = ["</script><script>alert(1)</script>", "\"'><img src=x onerror=alert(1)>", "{{7*7}}"]


class _Page(HTMLParser):
    """The tags of a page, the text of its title and heading, and the text of each script."""

    def __init__(self):
        super().__init__()
        self.tags: list[str] = []
        self.texts: dict[str, str] = {"title": "", "h1": ""}
        self.scripts: list[str] = []
        self._open: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        self._open.append(tag)
        if tag == "script":
            self.scripts.append("")

    def handle_endtag(self, tag):
        if self._open and self._open[-1] == tag:
            self._open.pop()

    def handle_data(self, data):
        where = self._open[-1] if self._open else ""
        if where == "script":
            self.scripts[-1] += data
        elif where in self.texts:
            self.texts[where] += data


@pytest.mark.parametrize("hostile", HOSTILE_LABELS)
def test_html_page_keeps_hostile_labels_as_text(hostile):
    """Every text a node or edge carries reaches the page as data, and the title as escaped text:
    no tag, no script end, no template expression evaluated."""
    graph = nx.DiGraph()
    new = add_fiche(graph, "2", hostile, 6, "2020-01-01", "", True, hostile)
    graph.nodes[new]["label"] = hostile
    other = "https://example.org/other"
    graph.add_node(other, uri=other, label=hostile, kind=hostile)
    graph.add_edge(new, other, kind="correspondence", label=hostile, asserted_by=hostile, weight="")
    page = html_page(graph, title=hostile)
    parser = _Page()
    parser.feed(page)
    assert "img" not in parser.tags and parser.tags.count("script") == 3
    assert page.count("</script") == 3  # the data, Cytoscape.js, the page's code
    assert parser.texts == {"title": hostile, "h1": hostile}  # shown as it is, not run nor evaluated
    data = parser.scripts[0]
    assert "<" not in data and ">" not in data and "&" not in data
    nodes = {e["data"]["id"]: e["data"] for e in json.loads(data)["elements"] if e["group"] == "nodes"}
    assert nodes[new]["title"] == nodes[other]["label"] == nodes[other]["kind"] == hostile
    assert nodes[new]["certifier"] == hostile


def test_draw_chooses_by_suffix(tmp_path):
    assert set(DRAWERS) == {".svg", ".html", ".png", ".dot"}
    assert draw(lineage_graph(), tmp_path / "l.DOT").read_text(encoding="utf-8").startswith("digraph")
    with pytest.raises(DrawError, match=r"\.html, \.png, \.svg"):
        draw(lineage_graph(), tmp_path / "l.pdf")


def test_missing_dot_names_the_package(tmp_path, monkeypatch):
    monkeypatch.delenv("CERTGRAPH_DOT", raising=False)
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(DrawError, match="apt-get install graphviz"):
        draw_svg(lineage_graph(), tmp_path / "l.svg")


# ------------------------------------------------------------------------------ Graphviz


@pytest.fixture(scope="module")
def dot():
    """The dot binary; skips the test when Graphviz is not installed."""
    found = shutil.which("dot")
    if found is None:
        pytest.skip("Graphviz test skipped: no dot binary (apt-get install graphviz)")
    return found


def _svg_texts(path: Path) -> list[str]:
    root = ET.parse(path).getroot()  # well-formed XML, or this raises
    assert root.tag == f"{SVG_NS}svg"
    return ["".join(t.itertext()) for t in root.iter(f"{SVG_NS}text")]


def test_lineage_svg_shows_every_fiche_and_date_left_to_right(dot, tmp_path):
    path = draw_svg(lineage_graph(), tmp_path / "lineage.svg", "Lineage of RNCP35080")
    texts = _svg_texts(path)
    joined = "\n".join(texts)
    for number in NUMBERS:
        assert number in texts, number
    for day in DATES:
        assert day in joined, day
    assert "level 7 · 2025-07-21 –" in texts and "CNAM" in texts
    assert "stated by RNCP35080, RNCP28720" in texts
    root = ET.parse(path).getroot()
    x = {
        "".join(t.itertext()): float(t.get("x"))
        for t in root.iter(f"{SVG_NS}text")
        if "".join(t.itertext()) in NUMBERS
    }
    assert [x[n] for n in NUMBERS] == sorted(x[n] for n in NUMBERS)  # oldest on the left
    svg = path.read_text(encoding="utf-8")
    assert "RNCP41336 replaces RNCP35080&#10;stated by RNCP41336, RNCP35080" in svg  # edge tooltip
    assert "#c8e6c9" in svg and "#e0e0e0" in svg  # active and ended fills


def test_equivalence_svg_dashes_similarity(dot, tmp_path):
    path = draw(equivalence_graph(), tmp_path / "equivalence.svg")
    root = ET.parse(path).getroot()
    edges = {}
    for group in root.iter(f"{SVG_NS}g"):
        if group.get("class") == "edge":
            text = " ".join("".join(t.itertext()) for t in group.iter(f"{SVG_NS}text"))
            dashed = any(p.get("stroke-dasharray") for p in group.iter(f"{SVG_NS}path"))
            edges[text] = dashed
    assert edges == {"0.87": True, "0.62": True, "blocks correspond": False, "ROME": False}


def test_hostile_texts_survive_dot_and_xml(dot, tmp_path):
    path = draw_svg(hostile_graph(), tmp_path / "hostile.svg")
    joined = "\n".join(_svg_texts(path))
    assert 'Titre "&lt;/script' not in joined
    assert '<odd "node" </script>>' in joined
    assert '"</script><script>alert(1)</script>"' in joined


def test_png(dot, tmp_path):
    path = draw(merge_graph(), tmp_path / "merge.png", "Merge")
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


# ------------------------------------------------------------------------------ the browser


class _Quiet(SimpleHTTPRequestHandler):
    def log_message(self, format, *args):
        pass


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """A folder of drawings served on loopback; yields (folder, base URL)."""
    chromium_or_skip()
    root = tmp_path_factory.mktemp("drawings")
    with serve_on_loopback(partial(_Quiet, directory=str(root))) as base:
        yield root, base


def _open_drawing(session, site, graph, name: str, title: str = ""):
    root, base = site
    draw_html(graph, root / f"{name}.html", title)
    page = session.new_page()
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    page.goto(f"{base}/{name}.html")
    page.wait_for_function("window.cy && window.cy.nodes().length > 0")
    page.dialogs = dialogs
    return page


def _page_point(page, js_element: str, what: str) -> tuple[float, float]:
    """Where on the page an element of the graph is drawn (``what``: renderedPosition, ...)."""
    point = page.evaluate(
        f"""(() => {{ const el = {js_element}; const p = el.{what}();
             const box = cy.container().getBoundingClientRect();
             return [box.left + p.x, box.top + p.y]; }})()"""
    )
    return point[0], point[1]


def _tap(page, js_element: str) -> None:
    """Tap a graph element as a click would; returns nothing (a collection is slow to serialise)."""
    page.evaluate(f"{js_element}.emit('tap') && null")


def test_svg_renders_in_chromium(dot, site, browser):
    root, base = site
    draw_svg(lineage_graph(), root / "lineage.svg", "Lineage of RNCP35080")
    # Playwright cannot screenshot a bare SVG document: show it as an image in a page.
    (root / "lineage-svg.html").write_text(
        '<!DOCTYPE html><body style="margin:0"><img id="svg" src="lineage.svg" alt="lineage"></body>',
        encoding="utf-8",
    )
    page = browser.new_page()
    page.goto(f"{base}/lineage-svg.html")
    page.wait_for_function("document.getElementById('svg').complete")
    width, height = page.evaluate("(img => [img.naturalWidth, img.naturalHeight])(document.getElementById('svg'))")
    # The size the SVG declares, in points (Graphviz's layout), at 96 px per 72 pt, to the pixel
    # Chromium rounds it to; 0 x 0 when Chromium cannot decode the SVG.
    svg = ET.parse(root / "lineage.svg").getroot()
    declared = [float(svg.get(side).removesuffix("pt")) * 96 / 72 for side in ("width", "height")]
    assert all(abs(shown - size) < 1 for shown, size in zip((width, height), declared)), (width, height, declared)
    shot = screenshot(page, "lineage-svg")
    assert shot.stat().st_size > 20_000
    assert browser.requests == [f"{base}/lineage-svg.html", f"{base}/lineage.svg"]


def test_lineage_page_click_and_hover(site, browser):
    page = _open_drawing(browser, site, lineage_graph(), "lineage", "Lineage of RNCP35080")
    _, base = site
    assert page.evaluate("cy.nodes().length") == 5 and page.evaluate("cy.edges().length") == 4
    xs = page.evaluate(f"{[BASE + d for d, *_ in CHAIN]}.map(id => cy.$id(id).position('x'))")
    assert xs == sorted(xs)
    shot = screenshot(page, "lineage-html")
    assert shot.stat().st_size > 20_000

    panel = page.locator("#panel")
    assert not panel.is_visible()  # until something is clicked
    x, y = _page_point(page, f"cy.$id('{BASE}35080')", "renderedPosition")
    page.mouse.click(x, y)
    assert panel.is_visible()
    assert page.locator("#panel-title").inner_text() == "RNCP35080"
    text = panel.inner_text()
    for expected in ("Manager d'organismes", "2020-07-20", "2025-07-20", CNAM, "ended", "6"):
        assert expected in text, expected
    links = page.eval_on_selector_all("#panel-links a", "as => as.map(a => a.getAttribute('href'))")
    assert links == ["/id/rncp/35080", "https://www.francecompetences.fr/recherche/rncp/35080/"]

    edge = f"cy.edges().filter(e => e.target().id() === '{BASE}35080')[0]"
    x, y = _page_point(page, edge, "renderedMidpoint")
    page.mouse.move(x, y)
    tip = page.locator("#tip")
    tip.wait_for(state="visible")
    assert tip.inner_text() == "RNCP35080 replaces RNCP28720\nstated by RNCP35080, RNCP28720"
    screenshot(page, "lineage-html-selected")  # the panel and the edge's tooltip showing
    page.mouse.move(x, y + 60)  # off the edge, still on the canvas
    tip.wait_for(state="hidden")
    page.mouse.move(x, y)
    tip.wait_for(state="visible")
    page.mouse.move(5, 5)  # off the canvas
    tip.wait_for(state="hidden")
    assert browser.requests == [f"{base}/lineage.html"]  # everything inline, nothing fetched


def test_equivalence_page(site, browser):
    page = _open_drawing(browser, site, equivalence_graph(), "equivalence")
    assert page.evaluate("cy.nodes().length") == 4 and page.evaluate("cy.edges().length") == 4
    assert page.evaluate("cy.edges('[kind = \"similarity\"]').map(e => e.style('line-style'))") == ["dashed"] * 2
    screenshot(page, "equivalence-html")
    _tap(page, "cy.edges('[kind = \"correspondence\"]')[0]")
    assert "stated by" in page.locator("#panel").inner_text()
    assert "RNCP36490" in page.locator("#panel").inner_text()
    _tap(page, "cy.$id('https://w3id.org/certgraph/id/rome/K1403')")
    links = page.eval_on_selector_all("#panel-links a", "as => as.map(a => a.getAttribute('href'))")
    assert links == ["/id/rome/K1403"]


def test_hostile_page_shows_text_as_text(site, browser):
    page = _open_drawing(browser, site, hostile_graph(), "hostile", "</title><script>alert(1)</script>")
    assert page.evaluate("cy.nodes().length") == 2
    _tap(page, f"cy.$id('{BASE}2')")
    assert HOSTILE_TITLE in page.locator("#panel").inner_text()
    # A non-certgraph IRI gets no link; the odd one is shown as text.
    _tap(page, """cy.$id('https://example.org/a"b<c>')""")
    assert page.eval_on_selector_all("#panel-links a", "as => as.length") == 0
    assert page.dialogs == []
    assert page.title() == "</title><script>alert(1)</script>"


def test_the_comparison_is_drawn_in_four_columns_with_whole_block_codes(mini_store):
    from certgraph.export.views import comparison_view

    graph = comparison_view(mini_store, "RNCP35080", "RNCP41296")
    columns = comparison_columns(graph)
    by_column = {}
    for node, column in columns.items():
        by_column.setdefault(column, set()).add(graph.nodes[node]["label"].split()[0])
    assert by_column[0] == {"RNCP35080"} and by_column[3] == {"RNCP41296"}
    assert by_column[1] == {f"RNCP35080BC0{i}" for i in range(1, 5)}
    assert by_column[2] == {f"RNCP41296BC0{i}" for i in range(1, 5)}
    assert by_column[1.5] == {"K1403", "K1802"}  # the ROME codes both fiches have, between them
    dot = to_dot(graph)
    assert 'rankdir="LR"' in dot
    ids = {node: f"n{i}" for i, node in enumerate(graph.nodes)}
    # Every edge goes left to right, so that dot puts the columns in order.
    for u, v in re.findall(r"(n\d+) -> (n\d+)", dot):
        left, right = (next(node for node, i in ids.items() if i == x) for x in (u, v))
        assert columns[left] < columns[right], (graph.nodes[left]["label"], graph.nodes[right]["label"])
