"""Drawings of graph views: Graphviz SVG/PNG, and a self-contained interactive HTML page.

The graphs are the networkx views of ``certgraph.export.views``: nodes are public IRIs carrying ``uri``,
``label``, ``kind`` and, for fiches, ``number``, ``title``, ``level``, ``certifier``, ``start``,
``end`` and ``active``; edges carry ``kind``, ``label``, ``asserted_by`` and ``weight``.

A graph whose edges are all ``replaces`` links is drawn as a **lineage**: time flows left to right.
A ``replaces`` edge goes from the new fiche to the old one; both drawings reverse it, so the
arrow leaves the old fiche for the one that replaced it and reads "replaced by", left to right.
Its label and tooltip still say who replaces whom and which fiches state the link. Any other graph
(equivalence: similarity and correspondence edges, codes, blocks...) gets a force-directed layout.

    draw(graph, Path("lineage.svg"), "RNCP35080")   # Graphviz, needs the dot binary
    draw(graph, Path("lineage.html"))               # Cytoscape.js inlined: opens offline

Node colours say the fiche's status, the same in every drawing (see ``STATUS_STYLE``), with a
legend. The Graphviz text is written by the export's one DOT writer (``formats.dot_lines``), the
drawing's styles passed as attributes; the page is the template ``templates/drawing.html``.
"""

from __future__ import annotations

import html
import json
import math
import re
import shutil
import subprocess
import textwrap
from datetime import date
from functools import lru_cache
from pathlib import Path

import networkx as nx
from jinja2 import Environment, PackageLoader, StrictUndefined
from markupsafe import Markup

from ..config import DOT_ENV, setting
from ..errors import CertgraphError
from ..status import Status, as_date
from ..vocab import ID, number_from_iri, official_page
from .formats import Quoted, Verbatim, dot_lines

__all__ = ["DRAWERS", "DrawError", "draw", "draw_dot", "draw_html", "draw_png", "draw_svg", "to_dot"]

CYTOSCAPE_DIR = Path(__file__).resolve().parent / "static" / "cytoscape"
# The page's template (templates/drawing.html): every value autoescaped but the two marked safe.
_TEMPLATES = Environment(loader=PackageLoader("certgraph.export", "templates"), autoescape=True,
                         undefined=StrictUndefined, keep_trailing_newline=True)

# Status of a fiche today, from its reconciled dates (status.py) -> (legend text, fill, border).
# Shared by the SVG and the HTML drawings; the legend adds the date.
STATUS_STYLE = {
    "in-force": ("in force", "#c8e6c9", "#2e7d32"),
    "not-yet": ("not yet in force", "#d1c4e9", "#4527a0"),
    "ended": ("ended", "#e0e0e0", "#616161"),
    "unknown": ("end date unknown", "#fff3cd", "#b8860b"),
}
# Certifications: numbered fiches, and historical ones known by their title only (export.py).
CERTIFICATION_KINDS = ("fiche", "historical")
# Nodes that are not certifications: neutral fill, shape by kind.
OTHER_STYLE = ("#e3f2fd", "#1565c0")
SHAPES = {"fiche": "box", "historical": "box", "block": "box", "org": "house", "organisation": "house"}
EDGE_STYLE = {
    # kind -> (colour, dashed)
    "replaces": ("#37474f", False),
    "similarity": ("#6a1b9a", True),
    "correspondence": ("#00695c", False),
}
DEFAULT_EDGE_STYLE = ("#546e7a", False)

# Seconds Graphviz may take before the drawing is abandoned: a view has at most a few thousand
# nodes, which dot lays out in seconds.
DOT_TIMEOUT = 120
# Interactive lineage layout, in pixels: a year of time, the least gap between a fiche and the one
# replacing it (a node is 200 wide; the rest holds the edge's label), and between parallel branches.
YEAR_PX = 50
MIN_GAP_PX = 320
LANE_PX = 140


class DrawError(CertgraphError):
    """A drawing could not be made: Graphviz missing or failing, an unknown format, no bundle."""


# ------------------------------------------------------------------ what the nodes and edges say


def _text(value: object) -> str:
    """An attribute as display text: "" for missing, no control characters (XML forbids them)."""
    if value is None:
        return ""
    return re.sub(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]", " ", str(value)).strip()


def node_number(graph, node) -> str:
    """The fiche number of a node (``RNCP35080``), from its attributes or its IRI; "" if none."""
    attrs = graph.nodes[node]
    return _text(attrs.get("number")) or number_from_iri(str(attrs.get("uri") or node)) or ""


def node_status(attrs: dict, today: date | None = None) -> str:
    """``in-force``, ``not-yet``, ``ended`` or ``unknown`` today for a certification, from its dates
    (a source's flag says what was true on that source's date, not today); ``other`` for any other node.

    >>> day = date(2026, 12, 3)
    >>> node_status({"kind": "fiche", "active": True, "end": "2025-11-18"}, day)
    'ended'
    >>> node_status({"kind": "fiche", "end": "2028-09-24"}, day), node_status({"kind": "fiche", "active": True}, day)
    ('in-force', 'unknown')
    >>> node_status({"kind": "fiche", "start": "2027-01-01", "end": "2030-01-01"}, day), node_status({"kind": "rome"})
    ('not-yet', 'other')
    """
    if attrs.get("kind") not in CERTIFICATION_KINDS:
        return "other"
    end, start = _text(attrs.get("end"))[:10], _text(attrs.get("start"))[:10]
    if not end:
        return "unknown"
    return Status(today or date.today(), as_date(start or None), as_date(end)).state


def short_certifier(certifier: str, limit: int = 32) -> str:
    """The certifier as it fits on a node: its acronyms when it gives them, else cut.

    >>> short_certifier("CONSERVATOIRE NATIONAL DES ARTS ET METIERS (CNAM)")
    'CNAM'
    >>> short_certifier("Institut régional de formation aux métiers de la santé")
    'Institut régional de formation…'
    """
    certifier = _text(certifier)
    acronyms = re.findall(r"\(([A-Z0-9][A-Z0-9&.' -]{1,14})\)", certifier)
    if acronyms:
        return ", ".join(dict.fromkeys(a.strip() for a in acronyms))
    return certifier if len(certifier) <= limit else certifier[: limit - 1].rstrip() + "…"


def date_span(start: str, end: str) -> str:
    """``start – end`` with ``?`` for an unknown start; "" when neither is known.

    >>> date_span("2020-07-20", ""), date_span("", "2006-12-31"), date_span("", "")
    ('2020-07-20 –', '? – 2006-12-31', '')
    """
    start, end = _text(start), _text(end)
    if not start and not end:
        return ""
    return f"{start or '?'} – {end}".rstrip()


def local_href(iri: str) -> str:
    """The endpoint's page of a certgraph identifier (``/id/rncp/35080``); "" for another IRI."""
    return "/id/" + iri[len(str(ID)) :] if iri.startswith(str(ID)) else ""


def node_info(graph, node) -> dict:
    """Everything a drawing shows about a node, as display strings (plus its status)."""
    attrs = graph.nodes[node]
    uri = _text(attrs.get("uri")) or str(node)
    kind = _text(attrs.get("kind"))
    number = node_number(graph, node) if kind in CERTIFICATION_KINDS else ""
    level = attrs.get("level")
    info = {
        "id": str(node),
        "uri": uri,
        "kind": kind,
        "status": node_status(attrs),
        "statusText": _text(attrs.get("status")),
        "number": number,
        "title": _text(attrs.get("title")),
        "label": _text(attrs.get("label")) or number or uri,
        "level": "" if level in (None, "") else str(level),
        "certifier": _text(attrs.get("certifier")),
        "start": _text(attrs.get("start")),
        "end": _text(attrs.get("end")),
        "href": local_href(uri),
        "official": str(official_page(number)) if number and kind == "fiche" else "",
    }
    info["dates"] = date_span(info["start"], info["end"])
    return info


def _numbers(asserted_by: object) -> list[str]:
    return [n.strip() for n in _text(asserted_by).split(",") if n.strip()]


def _weight(value: object) -> float | None:
    if isinstance(value, bool) or value in (None, ""):
        return None
    try:
        weight = float(value)
    except (TypeError, ValueError):
        return None
    return weight if math.isfinite(weight) else None


def edge_why(graph, u, v, attrs: dict) -> list[str]:
    """Why an edge exists, one line each: what it links, who states it, its score.

    For a ``replaces`` edge ``u`` is the new fiche and ``v`` the old one.
    """
    kind = _text(attrs.get("kind")) or "link"
    name_u = node_number(graph, u) or _text(graph.nodes[u].get("label")) or str(u)
    name_v = node_number(graph, v) or _text(graph.nodes[v].get("label")) or str(v)
    if kind == "replaces":
        lines = [f"{name_u} replaces {name_v}"]
    else:
        joiner = " → " if graph.is_directed() else " – "
        lines = [f"{kind}: {name_u}{joiner}{name_v}"]
    label = _text(attrs.get("label"))
    if label and label not in (kind, "replaces"):
        lines.append(label)
    asserted = _numbers(attrs.get("asserted_by"))
    if asserted:
        lines.append("stated by " + ", ".join(asserted))
    weight = _weight(attrs.get("weight"))
    if weight is not None and kind != "replaces":
        lines.append(f"score {weight:.2f}")
    return lines


def is_lineage(graph) -> bool:
    """Whether to draw the graph as a lineage: the graph says so (``view`` attribute, as
    ``certgraph.export.views`` sets it), or its edges are all ``replaces`` links, or it has none and only
    certifications (a fiche with no predecessor nor successor still has dates to place it by)."""
    if graph.graph.get("view"):
        return graph.graph["view"] == "lineage"
    kinds = {attrs.get("kind") for _, _, attrs in graph.edges(data=True)}
    if kinds:
        return kinds == {"replaces"}
    return len(graph) > 0 and all(a.get("kind") in CERTIFICATION_KINDS for _, a in graph.nodes(data=True))


def _time_key(info: dict) -> str:
    """The date placing a fiche in time: its start, else its end."""
    return info["start"] or info["end"]


def lineage_edges(graph) -> list[tuple[object, object, dict]]:
    """The ``replaces`` edges as ``(old, new, attrs)``, parallel edges merged (their statements joined).

    An undirected graph does not say which end is the new one: the later date decides.
    """
    merged: dict[tuple, dict] = {}
    for u, v, attrs in graph.edges(data=True):
        new, old = u, v
        if not graph.is_directed():
            key_u, key_v = _time_key(node_info(graph, u)), _time_key(node_info(graph, v))
            if key_u and key_v and key_u < key_v:
                new, old = v, u
        if (old, new) in merged:
            seen = merged[(old, new)]
            asserted = _numbers(seen.get("asserted_by")) + _numbers(attrs.get("asserted_by"))
            seen["asserted_by"] = ",".join(dict.fromkeys(asserted))
        else:
            merged[(old, new)] = dict(attrs)
    return [(old, new, attrs) for (old, new), attrs in merged.items()]


# ------------------------------------------------------------------ Graphviz


def _html(text: object) -> str:
    """Text for a Graphviz HTML-like label (XML character data)."""
    return html.escape(_text(text), quote=True).replace("&#x27;", "'")


def _styled(**attrs) -> dict:
    """Attributes for the DOT writer: empty ones left out, every value quoted text but an HTML-like
    label (:class:`~certgraph.export.formats.Verbatim`, its text escaped by :func:`_html`)."""
    return {name: value if isinstance(value, Verbatim) else Quoted(_text(value))
            for name, value in attrs.items() if value is not None and value != ""}


def _wrap(text: str, width: int = 34, lines: int = 3) -> list[str]:
    wrapped = textwrap.wrap(text, width, break_long_words=False) or [""]
    if len(wrapped) > lines:
        wrapped = wrapped[:lines]
        wrapped[-1] = wrapped[-1][: width - 1].rstrip() + "…"
    return wrapped


def _node_lines(info: dict) -> tuple[str, list[str]]:
    """A node's heading and its detail lines, shared by the two drawings."""
    if info["kind"] in CERTIFICATION_KINDS:
        heading = info["number"] or ("historical" if info["kind"] == "historical" else info["label"])
        label = info["label"]
        title = info["title"] or (label[len(heading) :].strip() if label.startswith(heading) else label)
        lines = _wrap(title) if title else []
        facts = " · ".join(filter(None, [f"level {info['level']}" if info["level"] else "", info["dates"]]))
        lines += [facts] if facts else []
        lines += [short_certifier(info["certifier"])] if info["certifier"] else []
        return heading, lines
    kind = [info["kind"]] if info["kind"] else []
    first, _, rest = info["label"].partition(" ")
    if rest and any(c.isdigit() for c in first):  # a code first: "K1403 Management de ..."
        return first, _wrap(rest, 30) + kind
    wrapped = _wrap(info["label"], 30, 4)
    return wrapped[0], wrapped[1:] + kind


def _node_colours(info: dict) -> tuple[str, str]:
    if info["status"] in STATUS_STYLE:
        return STATUS_STYLE[info["status"]][1:]
    return OTHER_STYLE


def _node_tooltip(info: dict) -> str:
    lines = [info["number"] or info["label"]]
    lines += [info["title"]] if info["title"] else []
    if info["kind"] in CERTIFICATION_KINDS:
        lines.append(info["statusText"] or STATUS_STYLE[info["status"]][0])
    lines += [info["dates"]] if info["dates"] else []
    lines += [info["certifier"]] if info["certifier"] else []
    lines.append(info["uri"])
    return "\n".join(lines)


def _legend(graph, title: str, lineage: bool) -> str:
    """The graph label: the title, then a legend of the statuses and edge kinds drawn."""
    cells = []
    infos = [node_info(graph, n) for n in graph.nodes]
    if any(i["kind"] in CERTIFICATION_KINDS for i in infos):
        cells.append(f'<td border="0">on {date.today()}:</td>')
        for text, fill, border in STATUS_STYLE.values():
            cells.append(f'<td bgcolor="{fill}" color="{border}" border="1">{_html(text)}</td>')
    if lineage:
        cells.append('<td border="0">old → new: “replaced by”; labels say which fiches state the link</td>')
    else:
        kinds = sorted({_text(a.get("kind")) for _, _, a in graph.edges(data=True)} - {""})
        for kind in kinds:
            colour, dashed = EDGE_STYLE.get(kind, DEFAULT_EDGE_STYLE)
            style = "dashed, with the score" if dashed else "solid"
            cells.append(f'<td border="0"><font color="{colour}">{_html(kind)}: {style}</font></td>')
    rows = []
    if title:
        rows.append(f'<tr><td colspan="{max(len(cells), 1)}" border="0" align="left"><b>{_html(title)}</b></td></tr>')
    if cells:
        rows.append("<tr>" + "".join(cells) + "</tr>")
    if not rows:
        return ""
    return Verbatim('<<table border="0" cellspacing="4" cellpadding="3">' + "".join(rows) + "</table>>")


def comparison_columns(graph) -> dict:
    """The column of each node of a comparison view (left fiche 0, its blocks 1, the other's blocks 2, the
    other fiche 3, shared codes 1.5 between the sides); empty for any other view."""
    if graph.graph.get("view") != "comparison":
        return {}
    left, right = graph.graph.get("left"), graph.graph.get("right")
    columns = {}
    for node, attrs in graph.nodes(data=True):
        number = _text(attrs.get("number")) or _text(attrs.get("code"))
        kind = _text(attrs.get("kind"))
        if kind == "block":
            columns[node] = 1 if number.startswith(f"{left}BC") else 2
        elif number in (left, right):
            columns[node] = 0 if number == left else 3
        else:
            columns[node] = 1.5
    return columns


def to_dot(graph, title: str = "") -> str:
    """The graph as Graphviz DOT text: lineage left to right for ``dot``, any other for ``neato``.

    Ids are ``n0``, ``n1``…; every value is quoted text but the HTML-like labels (:func:`_styled`).

    >>> g = nx.DiGraph()
    >>> g.add_node("https://w3id.org/certgraph/id/rncp/2", kind="fiche", active=True, title='a "b"')
    >>> g.add_node("https://w3id.org/certgraph/id/rncp/1", kind="fiche", active=False)
    >>> g.add_edge("https://w3id.org/certgraph/id/rncp/2", "https://w3id.org/certgraph/id/rncp/1",
    ...            kind="replaces", asserted_by="RNCP2")
    >>> dot = to_dot(g)
    >>> 'rankdir="LR"' in dot and 'n1 -> n0' in dot and "stated by RNCP2" in dot
    True
    """
    title = title or _text(graph.graph.get("title") or graph.graph.get("name"))
    lineage = is_lineage(graph)
    columns = comparison_columns(graph)
    ids = {node: f"n{i}" for i, node in enumerate(graph.nodes)}
    graph_attrs = {"fontname": "Helvetica", "fontsize": "11", "labelloc": "t", "labeljust": "l"}
    graph_attrs["tooltip"] = title or "certgraph"
    if lineage:
        graph_attrs.update(rankdir="LR", nodesep="0.3", ranksep="0.5")
    elif columns:
        # Two fiches side by side: left fiche, its blocks, the other's blocks, the other fiche.
        graph_attrs.update(rankdir="LR", nodesep="0.2", ranksep="1.1")
    else:
        # neato: spring model; overlap removal keeps the boxes readable.
        graph_attrs.update(overlap="false", splines="true", sep="+40", pack="true")
    edge_len = {} if lineage or columns else {"len": "3.5"}  # inches between centres: the boxes are wide
    statements = [_styled(**graph_attrs)]
    legend = _legend(graph, title, lineage)
    if legend:
        statements.append({"label": legend})
    nodes = []
    for node in graph.nodes:
        info = node_info(graph, node)
        heading, lines = _node_lines(info)
        fill, border = _node_colours(info)
        body = f"<b>{_html(heading)}</b>" + "".join(f"<br/>{_html(line)}" for line in lines)
        shape = SHAPES.get(info["kind"], "ellipse")
        nodes.append((ids[node], _styled(
            label=Verbatim(f"<{body}>"),
            shape=shape,
            style="rounded,filled" if shape == "box" else "filled",
            fillcolor=fill,
            color=border,
            tooltip=_node_tooltip(info),
            URL=info["official"],
            target="_blank" if info["official"] else "",
        )))
    edges = []
    if lineage:
        for old, new, attrs in lineage_edges(graph):
            asserted = _numbers(attrs.get("asserted_by"))
            edges.append((ids[old], ids[new], _styled(
                label=("stated by " + ", ".join(asserted)) if asserted else "",
                tooltip="\n".join(edge_why(graph, new, old, attrs)),
                color=EDGE_STYLE["replaces"][0],
            )))
    else:
        for u, v, attrs in graph.edges(data=True):
            if columns and columns.get(u, 0) > columns.get(v, 0):
                u, v = v, u  # left to right, so that dot ranks the columns in order
            kind = _text(attrs.get("kind"))
            colour, dashed = EDGE_STYLE.get(kind, DEFAULT_EDGE_STYLE)
            weight = _weight(attrs.get("weight"))
            scored = kind == "similarity" and weight is not None
            symmetric = not graph.is_directed() or kind == "similarity"
            edges.append((ids[u], ids[v], _styled(
                label=f"{weight:.2f}" if scored else _text(attrs.get("label")),
                tooltip="\n".join(edge_why(graph, u, v, attrs)),
                color=colour,
                fontcolor=colour,
                style="dashed" if dashed else "",
                dir="none" if symmetric else "",
                # A closer pair for a higher score; neato reads len in inches.
                len=f"{5.0 - 2.0 * min(max(weight, 0.0), 1.0):.2f}" if scored else "",
            )))
    # Always a digraph: an undirected graph's edges are drawn without arrows (dir="none").
    return "".join(dot_lines(
        nodes, edges, graph=statements,
        node=_styled(fontname="Helvetica", fontsize="10", style="rounded,filled", margin="0.12,0.06"),
        edge=_styled(fontname="Helvetica", fontsize="9", **edge_len),
    ))


def dot_binary() -> str:
    """The Graphviz ``dot`` executable (``CERTGRAPH_DOT`` overrides the one on PATH).

    :raises DrawError: when there is none, naming the package that provides it.
    """
    candidate = setting(DOT_ENV) or "dot"
    found = shutil.which(candidate)
    if found is None:
        raise DrawError(
            f"Graphviz's {candidate!r} program was not found: install the graphviz package "
            "(Debian/Ubuntu: apt-get install graphviz; macOS: brew install graphviz)"
        )
    return found


def _run_graphviz(graph, path: Path, title: str, fmt: str) -> Path:
    path = Path(path)
    engine = "dot" if is_lineage(graph) or comparison_columns(graph) else "neato"
    command = [dot_binary(), f"-K{engine}", f"-T{fmt}", "-o", str(path)]
    try:
        result = subprocess.run(
            command, input=to_dot(graph, title).encode("utf-8"), capture_output=True, timeout=DOT_TIMEOUT, check=False
        )
    except subprocess.TimeoutExpired as error:
        raise DrawError(f"Graphviz took more than {DOT_TIMEOUT} s to draw {path.name}") from error
    if result.returncode != 0:
        raise DrawError(f"Graphviz failed on {path.name}: {result.stderr.decode(errors='replace').strip()}")
    return path


def draw_svg(graph, path: Path, title: str = "") -> Path:
    """Draw the graph as SVG with Graphviz; see the module docstring for what it shows.

    :param path: the file to write.
    :param title: shown above the drawing (default: the graph's ``title`` or ``name`` attribute).
    :returns: ``path``.
    :raises DrawError: when Graphviz is missing or fails.
    """
    return _run_graphviz(graph, path, title, "svg")


def draw_png(graph, path: Path, title: str = "") -> Path:
    """The same drawing as :func:`draw_svg`, as a PNG bitmap."""
    return _run_graphviz(graph, path, title, "png")


def draw_dot(graph, path: Path, title: str = "") -> Path:
    """The DOT text :func:`draw_svg` hands to Graphviz, written as is (needs no Graphviz)."""
    path = Path(path)
    path.write_text(to_dot(graph, title), encoding="utf-8")
    return path


# ------------------------------------------------------------------ interactive HTML


def lineage_positions(graph) -> dict[object, tuple[float, float]]:
    """Preset positions for a lineage: x from the fiche's date, y spreading parallel branches.

    x is the start date (else the end date) at ``YEAR_PX`` a year. Where a fiche would stand less
    than ``MIN_GAP_PX`` right of a fiche it replaces, time is stretched from its date on: it and
    every later fiche, in any branch, move right together, so x keeps the order of the dates across
    branches. A fiche without dates sits one gap after its predecessors (or before its successors).
    y keeps a branch on its predecessors' lane and moves a fiche to the nearest free lane when
    another fiche is too close horizontally.
    """
    infos = {node: node_info(graph, node) for node in graph.nodes}
    flow = nx.DiGraph()  # old -> new
    flow.add_nodes_from(graph.nodes)
    flow.add_edges_from((old, new) for old, new, _ in lineage_edges(graph))

    def year(node) -> float | None:
        key = _time_key(infos[node])
        try:
            day = date.fromisoformat(key[:10])
        except ValueError:
            return None
        return day.year + (day.timetuple().tm_yday - 1) / 366

    years = {node: year(node) for node in flow}
    known = [y for y in years.values() if y is not None]
    origin = min(known) if known else 0.0
    if nx.is_directed_acyclic_graph(flow):
        order = list(nx.lexicographical_topological_sort(flow, key=lambda n: _time_key(infos[n]) or "~"))
    else:  # contradictory statements (A replaces B replaces A): dates alone order them
        order = sorted(flow, key=lambda n: (_time_key(infos[n]) or "~", str(n)))
    rank = {node: i for i, node in enumerate(order)}
    x: dict[object, float] = {}
    stretch = 0.0  # pixels inserted so far into the time axis; only grows along the order
    for node in order:
        before = max((x[p] + MIN_GAP_PX for p in flow.predecessors(node) if p in x), default=None)
        if years[node] is None:
            if before is not None:
                x[node] = before
            continue
        own = (years[node] - origin) * YEAR_PX + stretch
        if before is not None and before > own:
            stretch += before - own
            own = before
        x[node] = own
    for node in reversed(order):  # dateless fiches with no placed predecessor: before their successors
        if node not in x:
            after = [x[s] - MIN_GAP_PX for s in flow.successors(node) if s in x]
            x[node] = min(after) if after else 0.0
    y: dict[object, float] = {}
    for node in sorted(order, key=lambda n: (x[n], rank[n])):
        placed = [y[p] for p in flow.predecessors(node) if p in y]
        wanted = round(sum(placed) / len(placed) / LANE_PX) if placed else 0
        taken = {round(y[o] / LANE_PX) for o in y if abs(x[o] - x[node]) < MIN_GAP_PX}
        lane = next(
            lane for step in range(len(order) + 1) for lane in (wanted + step, wanted - step) if lane not in taken
        )
        y[node] = lane * LANE_PX
    return {node: (round(x[node], 1), round(y[node], 1)) for node in graph.nodes}


@lru_cache(maxsize=1)
def cytoscape_js() -> Markup:
    """The vendored Cytoscape.js bundle (``static/cytoscape/``), checked safe to inline in a
    ``<script>`` element, then marked so (the template does not escape it).

    :raises DrawError: when it is missing (run ``tools/vendor_cytoscape.sh``) or cannot be inlined.
    """
    bundle = CYTOSCAPE_DIR / "cytoscape.min.js"
    if not bundle.is_file():
        raise DrawError(f"{bundle} is missing: run tools/vendor_cytoscape.sh")
    text = bundle.read_text(encoding="utf-8")
    if re.search(r"</script|<!--", text, re.IGNORECASE):
        raise DrawError(f"{bundle} contains </script or <!--: it cannot be inlined in the page")
    return Markup(text)


def _json_for_script(data: object) -> Markup:
    """JSON safe inside a ``<script>`` element: no ``<``, ``>`` or ``&`` left to close or open a tag,
    then marked so (the template does not escape it).

    >>> print(_json_for_script({"t": "</script>"}))
    {"t": "\\u003c/script\\u003e"}
    """
    text = json.dumps(data, ensure_ascii=False)
    return Markup(text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026"))


def graph_elements(graph) -> dict:
    """The graph as Cytoscape.js elements, with preset positions for a lineage and the legend."""
    lineage = is_lineage(graph)
    positions = lineage_positions(graph) if lineage else {}
    nodes, edges = [], []
    for node in graph.nodes:
        info = node_info(graph, node)
        heading, lines = _node_lines(info)
        fill, border = _node_colours(info)
        data = {
            **info,
            "display": "\n".join([heading, *lines]),
            "fill": fill,
            "border": border,
            "height": 26 + 14 * len(lines),
            "shape": "round-rectangle" if SHAPES.get(info["kind"], "ellipse") == "box" else "ellipse",
            "statusText": info["statusText"] or (STATUS_STYLE[info["status"]][0] if info["status"] in STATUS_STYLE else ""),
        }
        element = {"group": "nodes", "data": data}
        if lineage:
            element["position"] = {"x": positions[node][0], "y": positions[node][1]}
        nodes.append(element)
    if lineage:
        links = [(old, new, new, old, attrs) for old, new, attrs in lineage_edges(graph)]
    else:
        links = [(u, v, u, v, attrs) for u, v, attrs in graph.edges(data=True)]
    for i, (source, target, u, v, attrs) in enumerate(links):
        kind = _text(attrs.get("kind"))
        colour, dashed = EDGE_STYLE.get(kind, DEFAULT_EDGE_STYLE)
        weight = _weight(attrs.get("weight"))
        asserted = _numbers(attrs.get("asserted_by"))
        if kind == "similarity" and weight is not None:
            display = f"{weight:.2f}"
        elif lineage:
            display = ("stated by\n" + ", ".join(asserted)) if asserted else ""
        else:
            display = _text(attrs.get("label"))
        edges.append(
            {
                "group": "edges",
                "data": {
                    "id": f"e{i}",
                    "source": str(source),
                    "target": str(target),
                    "kind": kind,
                    "asserted_by": ", ".join(asserted),
                    "weight": weight,
                    "display": display,
                    "why": edge_why(graph, u, v, attrs),
                    "colour": colour,
                    "lineStyle": "dashed" if dashed else "solid",
                    "arrow": "triangle" if (graph.is_directed() and kind != "similarity") or lineage else "none",
                },
            }
        )
    statuses = [{"text": f"{text} on {date.today()}", "fill": fill, "border": border} for text, fill, border in STATUS_STYLE.values()]
    kinds = sorted({e["data"]["kind"] for e in edges} - {""})
    edge_legend = [
        dict(zip(("text", "colour", "dashed"), (kind, *EDGE_STYLE.get(kind, DEFAULT_EDGE_STYLE)))) for kind in kinds
    ]
    return {
        "layout": "preset" if lineage else "cose",
        "lineage": lineage,
        "elements": nodes + edges,
        "legend": {"statuses": statuses, "edges": edge_legend},
    }


def html_page(graph, title: str = "") -> str:
    """The interactive page as text: Cytoscape.js and the graph data inlined, nothing fetched."""
    title = title or _text(graph.graph.get("title") or graph.graph.get("name")) or "certgraph"
    data = graph_elements(graph)
    hint = "Click a fiche for its details and links; hover a link to see why it exists."
    if data["lineage"]:
        hint += " Time flows left to right: each arrow leads to the fiche that replaced the one it leaves."
    return _TEMPLATES.get_template("drawing.html").render(
        title=title, hint=hint, data=_json_for_script(data), cytoscape=cytoscape_js()
    )


def draw_html(graph, path: Path, title: str = "") -> Path:
    """Write a self-contained interactive page of the graph (zoom, pan, click, hover).

    Cytoscape.js and the data are inlined: the page opens from disk and requests nothing. Clicking
    a node shows its fiche (number, title, level, dates, certifier, status) with links to its
    certgraph page (``/id/...``, relative) and to France Compétences; hovering an edge says what
    it links, who states it and its score. A lineage is laid out by date, left to right.

    :returns: ``path``.
    :raises DrawError: when the vendored Cytoscape.js bundle is missing.
    """
    path = Path(path)
    path.write_text(html_page(graph, title), encoding="utf-8")
    return path


DRAWERS = {".svg": draw_svg, ".html": draw_html, ".png": draw_png, ".dot": draw_dot}


def draw(graph, path: Path, title: str = "") -> Path:
    """Draw the graph in the format its file name ends with (a key of ``DRAWERS``).

    :raises DrawError: for another suffix, or when the drawer fails.
    """
    path = Path(path)
    drawer = DRAWERS.get(path.suffix.lower())
    if drawer is None:
        raise DrawError(f"cannot draw {path.name}: use one of {', '.join(sorted(DRAWERS))}")
    return drawer(graph, path, title)
