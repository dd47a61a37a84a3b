"""The file formats a graph view is written to: GraphML, GEXF 1.3, Cytoscape.js JSON, node-link JSON, DOT, CSV.

A *format* writes a networkx graph to a path and returns the files written (``csv`` writes two:
``<stem>-nodes.csv`` and ``<stem>-edges.csv``). The writers stream: a register-sized graph is never
held a second time as one XML tree or one JSON document. They read nothing but the graph: the
views (``views.py``) decide what is in it.

The DOT language has one writer here, :func:`dot_lines`: the ``dot`` format writes a view with
every attribute, and the drawings (``draw.py``) write their styled graph through it.

>>> sorted(FORMATS)
['csv', 'cytoscape', 'dot', 'gexf', 'graphml', 'node-link']
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import re
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

import networkx as nx


def _columns(items: Iterable[dict]) -> dict[str, type]:
    """Each attribute's type across items: bool, int, float (int and float mixed) or str.

    ``""`` is a missing value and does not count: ``level`` holding 7 or ``""`` is an int column
    whose empty cells are left out of typed formats (GraphML, GEXF) rather than turning the whole
    column into text.

    >>> _columns([{"level": 7, "title": "a"}, {"level": "", "title": ""}, {"level": 6, "score": 0.5}])
    {'level': <class 'int'>, 'title': <class 'str'>, 'score': <class 'float'>}
    """
    seen: dict[str, set[type]] = {}
    for data in items:
        for key, value in data.items():
            kinds = seen.setdefault(key, set())
            if value != "" or isinstance(value, bool):
                kinds.add(type(value))
    columns = {}
    for key, kinds in seen.items():
        if kinds == {bool}:
            columns[key] = bool
        elif kinds == {int}:
            columns[key] = int
        elif kinds and kinds <= {int, float}:
            columns[key] = float
        else:
            columns[key] = str
    return columns


def _typed(value, kind: type):
    """A value in its column's type, or None when it is missing there (left out)."""
    if kind is str:
        return value if isinstance(value, str) else _plain(value)
    if value == "" and not isinstance(value, bool):
        return None
    return kind(value)


def _plain(value) -> str:
    """A value as text: booleans in lower case (XML Schema, JSON), numbers as Python writes them."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _edges(graph: nx.Graph) -> Iterator[tuple[str, str, object, dict]]:
    if graph.is_multigraph():
        yield from graph.edges(keys=True, data=True)
    else:
        for u, v, data in graph.edges(data=True):
            yield u, v, None, data


def write_graphml(graph: nx.Graph, path: Path) -> list[Path]:
    """GraphML through networkx, typed keys named after the attributes.

    A column with missing values (``""``) keeps its type and leaves those cells out. Edges of a
    multigraph get ids ``e0``, ``e1``… (unique, as Gephi and yEd need), the edge kinds staying in ``kind``.
    """
    node_types = _columns(data for _, data in graph.nodes(data=True))
    edge_types = _columns(data for *_, data in _edges(graph))
    typed = graph.__class__()
    typed.graph.update({k: _plain(v) if isinstance(v, bool) else v for k, v in graph.graph.items()})
    for node, data in graph.nodes(data=True):
        typed.add_node(node, **{k: t for k, v in data.items() if (t := _typed(v, node_types[k])) is not None})
    for index, (u, v, _, data) in enumerate(_edges(graph)):
        attributes = {k: t for k, v in data.items() if (t := _typed(v, edge_types[k])) is not None}
        if graph.is_multigraph():
            typed.add_edge(u, v, key=f"e{index}", **attributes)
        else:
            typed.add_edge(u, v, **attributes)
    nx.write_graphml(typed, str(path), named_key_ids=True)
    return [path]


GEXF_NAMESPACE = "http://gexf.net/1.3"
_GEXF_TYPES = {bool: "boolean", int: "long", float: "double", str: "string"}


def _xml_attribute(value: str) -> str:
    """A quoted XML attribute value; line breaks and tabs as character references so they survive."""
    escaped = (value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")
               .replace("\n", "&#10;").replace("\r", "&#13;").replace("\t", "&#9;"))
    return f'"{escaped}"'


def write_gexf(graph: nx.Graph, path: Path) -> list[Path]:
    """GEXF 1.3 (namespace ``http://gexf.net/1.3``) with typed attributes, written as a stream.

    networkx 3.6 can label a file "1.3" (``write_gexf(version="1.3")``) but what it writes does not
    validate: a wrong XSI namespace (``http://w3.org/2001/…``), a ``name`` attribute on ``<graph>``,
    and node attributes named ``start``/``end`` turned into dynamics (empty ones invalid); it also
    builds the whole document in memory. This writer avoids all of it and reads back with
    ``networkx.read_gexf``. Node ``label``, edge ``label``, ``weight`` and ``kind``
    are GEXF's own XML attributes (Gephi shows them; ``kind`` tells parallel edges apart); every
    attribute is also an ``attvalue``, but ``label`` and ``weight``. Ints are ``long``, floats
    ``double``; a missing value (``""``) is left out of a typed column.

    Dates are typed where GEXF can type them: node ``start`` and ``end`` holding ISO dates (YYYY-MM-DD,
    as the views write them) become the node's own ``start``/``end`` with ``timeformat="date"`` on
    a ``mode="dynamic"`` graph, the interval Gephi's timeline filters on (an open end: in force).
    GEXF 1.3 has no date type for other attributes, which stay text.
    """
    times = _time_columns(graph)
    node_types = {k: v for k, v in _columns(data for _, data in graph.nodes(data=True)).items() if k not in times}
    edge_types = _columns({k: v for k, v in data.items() if k not in ("label", "weight")} for *_, data in _edges(graph))
    directed = "directed" if graph.is_directed() else "undirected"
    description = graph.graph.get("name", "")
    with open(path, "w", encoding="utf-8") as out:
        out.write('<?xml version="1.0" encoding="UTF-8"?>\n')
        out.write(f'<gexf xmlns="{GEXF_NAMESPACE}" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
                  f'xsi:schemaLocation="{GEXF_NAMESPACE} {GEXF_NAMESPACE}/gexf.xsd" version="1.3">\n')
        out.write(f'  <meta lastmodifieddate="{dt.date.today().isoformat()}">\n'
                  f'    <creator>certgraph</creator>\n'
                  f'    <description>{_xml_attribute(description)[1:-1]}</description>\n  </meta>\n')
        mode = ' mode="dynamic" timeformat="date"' if times else ' mode="static"'
        out.write(f'  <graph defaultedgetype="{directed}"{mode}>\n')
        for cls, types, skip in (("node", node_types, ("label",)), ("edge", edge_types, ())):
            out.write(f'    <attributes class="{cls}">\n')
            for key, kind in types.items():
                if key not in skip:
                    out.write(f"      <attribute id={_xml_attribute(key)} title={_xml_attribute(key)} "
                              f'type="{_GEXF_TYPES[kind]}"/>\n')
            out.write("    </attributes>\n")
        out.write(f'    <nodes count="{graph.number_of_nodes()}">\n')
        for node, data in graph.nodes(data=True):
            label = data.get("label", node)
            span = "".join(f" {key}={_xml_attribute(data[key])}" for key in times if data.get(key, "") != "")
            out.write(f"      <node id={_xml_attribute(str(node))} label={_xml_attribute(_plain(label))}{span}>")
            out.write(_attvalues(data, node_types, ("label", *times)))
            out.write("</node>\n")
        out.write("    </nodes>\n")
        out.write(f'    <edges count="{graph.number_of_edges()}">\n')
        for index, (u, v, _, data) in enumerate(_edges(graph)):
            head = f'      <edge id="e{index}" source={_xml_attribute(str(u))} target={_xml_attribute(str(v))}'
            if data.get("label", "") != "":
                head += f" label={_xml_attribute(_plain(data['label']))}"
            if isinstance(data.get("weight"), (int, float)) and not isinstance(data.get("weight"), bool):
                head += f' weight="{float(data["weight"])!r}"'
            if data.get("kind", "") != "":
                head += f" kind={_xml_attribute(_plain(data['kind']))}"
            out.write(head + ">" + _attvalues(data, edge_types, ("label", "weight")) + "</edge>\n")
        out.write("    </edges>\n  </graph>\n</gexf>\n")
    return [path]


ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def _time_columns(graph: nx.Graph) -> tuple[str, ...]:
    """The node attributes written as GEXF time: ``start`` and ``end`` when set somewhere and every
    value set is an ISO date.

    >>> g = nx.Graph(); g.add_node("a", start="2020-09-01", end=""); g.add_node("b", start="", end="")
    >>> _time_columns(g)
    ('start',)
    """
    found = []
    for key in ("start", "end"):
        values = [data[key] for _, data in graph.nodes(data=True) if data.get(key, "") != ""]
        if values and all(isinstance(v, str) and ISO_DATE.fullmatch(v) for v in values):
            found.append(key)
    return tuple(found)


def _attvalues(data: dict, types: dict[str, type], skip: tuple[str, ...]) -> str:
    cells = []
    for key, value in data.items():
        if key in skip:
            continue
        typed = _typed(value, types[key])
        if typed is not None:
            cells.append(f"<attvalue for={_xml_attribute(key)} value={_xml_attribute(_plain(typed))}/>")
    return f"<attvalues>{''.join(cells)}</attvalues>" if cells else ""


def _json_lines(out, items: Iterable[dict], indent: str) -> None:
    first = True
    for item in items:
        out.write(("\n" if first else ",\n") + indent + json.dumps(item, ensure_ascii=False))
        first = False
    out.write("\n" + indent[:-2] if not first else "")


def write_cytoscape(graph: nx.Graph, path: Path) -> list[Path]:
    """Cytoscape.js JSON, as ``cy.json()`` gives and Cytoscape desktop imports (File › Import › Network).

    ``{"data": {…graph…}, "elements": {"nodes": [{"data": {"id": …, …}}], "edges": [{"data":
    {"id": "e0", "source": …, "target": …, …}}]}}``. Nodes also get ``name`` (= label) and edges
    ``interaction`` (= kind), the columns Cytoscape desktop shows by default.
    """
    graph_data = dict(graph.graph, directed=graph.is_directed(), multigraph=graph.is_multigraph())
    with open(path, "w", encoding="utf-8") as out:
        out.write('{\n  "data": ' + json.dumps(graph_data, ensure_ascii=False) + ',\n  "elements": {\n    "nodes": [')
        _json_lines(out, ({"data": {"id": str(node), "name": data.get("label", str(node)), **data}}
                          for node, data in graph.nodes(data=True)), "      ")
        out.write('],\n    "edges": [')
        _json_lines(out, ({"data": {"id": f"e{index}", "source": str(u), "target": str(v),
                                    "interaction": data.get("kind", ""), **data}}
                          for index, (u, v, _, data) in enumerate(_edges(graph))), "      ")
        out.write("]\n  }\n}\n")
    return [path]


def write_node_link(graph: nx.Graph, path: Path) -> list[Path]:
    """networkx node-link JSON with ``links`` (as d3-force reads it): ``node_link_data(graph, edges="links")``, streamed."""
    multigraph = graph.is_multigraph()
    with open(path, "w", encoding="utf-8") as out:
        out.write(f'{{\n  "directed": {json.dumps(graph.is_directed())},\n  "multigraph": {json.dumps(multigraph)},\n'
                  f'  "graph": {json.dumps(graph.graph, ensure_ascii=False)},\n  "nodes": [')
        _json_lines(out, ({**data, "id": node} for node, data in graph.nodes(data=True)), "    ")
        out.write('],\n  "links": [')
        _json_lines(out, ({**data, "source": u, "target": v, **({"key": key} if multigraph else {})}
                          for u, v, key, data in _edges(graph)), "    ")
        out.write("]\n}\n")
    return [path]


class Quoted(str):
    """A DOT attribute value always written as a double-quoted string (``fontname="Helvetica"``).

    Any other value is quoted only when it is not a plain name (:func:`dot_id`).
    """


class Verbatim(str):
    """A DOT value written as is: a Graphviz HTML-like label ``<...>`` (its text escaped by whoever
    builds it), or a numeral left unquoted."""


def dot_id(value) -> str:
    """A DOT identifier: plain when it is a safe name, else double-quoted with ``\\`` and ``"`` escaped.

    Inside quotes DOT only unescapes ``\\"``; a backslash is doubled so a text ending in one cannot
    swallow the closing quote, and a line break becomes ``\\n`` (a line break in Graphviz labels).

    >>> dot_id("kind"), dot_id('say "hi"\\\\'), dot_id("two\\nlines"), dot_id(7)
    ('kind', '"say \\\\"hi\\\\"\\\\\\\\"', '"two\\\\nlines"', '"7"')
    >>> dot_id(Quoted("box")), dot_id(Verbatim("<<b>7</b>>"))
    ('"box"', '<<b>7</b>>')
    """
    if isinstance(value, Verbatim):
        return str(value)
    text = _plain(value)
    if (not isinstance(value, Quoted) and re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", text)
            and text.lower() not in ("node", "edge", "graph", "digraph", "subgraph", "strict")):
        return text
    return f'"{dot_escape(text)}"'


def dot_escape(text: str) -> str:
    """Text for inside a DOT double-quoted string: ``\\`` and ``"`` escaped, line breaks as ``\\n``."""
    return text.replace("\\", "\\\\").replace('"', '\\"').replace("\r\n", "\\n").replace("\n", "\\n").replace("\r", "\\n")


def _dot_attributes(data: dict) -> str:
    if not data:
        return ""
    return " [" + ", ".join(f"{dot_id(k)}={dot_id(v)}" for k, v in data.items()) + "]"


def dot_lines(nodes: Iterable[tuple[object, dict]], edges: Iterable[tuple[object, object, dict]], *,
              name: str = "certgraph", directed: bool = True, graph: Iterable[dict] = (),
              node: dict | None = None, edge: dict | None = None) -> Iterator[str]:
    """A graph in the DOT language, one statement a line (each ending in a line break).

    :param nodes: ``(id, attributes)`` pairs, written in this order.
    :param edges: ``(source, target, attributes)``, written after the nodes.
    :param graph: graph attribute statements (``graph [...]``), one per dict, written first.
    :param node: default node attributes (``node [...]``); ``edge`` the same for edges.

    Ids, attribute names and values go through :func:`dot_id`: quoted when they are not plain
    names, always when :class:`Quoted`, never when :class:`Verbatim`.

    >>> print("".join(dot_lines([("a", {"label": 'say "hi"'})], [("a", "b", {})], name="g", node={"shape": "box"})), end="")
    digraph g {
      node [shape=box];
      a [label="say \\"hi\\""];
      a -> b;
    }
    """
    keyword, arrow = ("digraph", "->") if directed else ("graph", "--")
    yield f"{keyword} {dot_id(name)} {{\n"
    for attributes in graph:
        yield f"  graph{_dot_attributes(attributes)};\n"
    if node is not None:
        yield f"  node{_dot_attributes(node)};\n"
    if edge is not None:
        yield f"  edge{_dot_attributes(edge)};\n"
    for key, attributes in nodes:
        yield f"  {dot_id(key)}{_dot_attributes(attributes)};\n"
    for source, target, attributes in edges:
        yield f"  {dot_id(source)} {arrow} {dot_id(target)}{_dot_attributes(attributes)};\n"
    yield "}\n"


# The defaults of a view written as DOT: rounded boxes, Helvetica.
_DOT_NODE = {"shape": "box", "style": "rounded", "fontname": Quoted("Helvetica")}
_DOT_EDGE = {"fontname": Quoted("Helvetica"), "fontsize": Verbatim("9")}


def write_dot(graph: nx.Graph, path: Path) -> list[Path]:
    """Graphviz DOT, written here (no pygraphviz): every attribute kept, ids and values quoted.

    The lineage runs left to right (``rankdir=LR``), oldest fiche on the right since edges go from
    the new fiche to the one it replaces; nodes are boxes.
    """
    layout = {"rankdir": "LR"} if graph.graph.get("view") == "lineage" else {}
    attributes = dict(layout, **{k: v for k, v in graph.graph.items() if k != "name"})
    lines = dot_lines(graph.nodes(data=True), ((u, v, data) for u, v, _, data in _edges(graph)),
                      name=graph.graph.get("name", "certgraph"), directed=graph.is_directed(),
                      graph=[attributes], node=_DOT_NODE, edge=_DOT_EDGE)
    with open(path, "w", encoding="utf-8") as out:
        out.writelines(lines)
    return [path]


def _ordered_keys(items: Iterable[dict]) -> list[str]:
    keys: dict[str, None] = {}
    for data in items:
        keys.update(dict.fromkeys(data))
    return list(keys)


def write_csv(graph: nx.Graph, path: Path) -> list[Path]:
    """Two CSV files beside ``path``: ``<stem>-nodes.csv`` (``id`` then the attributes) and
    ``<stem>-edges.csv`` (``source``, ``target`` then the attributes); UTF-8, booleans as true/false.
    """
    nodes_path = path.with_name(f"{path.stem}-nodes.csv")
    edges_path = path.with_name(f"{path.stem}-edges.csv")
    node_keys = _ordered_keys(data for _, data in graph.nodes(data=True))
    edge_keys = _ordered_keys(data for *_, data in _edges(graph))
    with open(nodes_path, "w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(["id", *node_keys])
        for node, data in graph.nodes(data=True):
            writer.writerow([node, *(_plain(data.get(k, "")) for k in node_keys)])
    with open(edges_path, "w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(["source", "target", *edge_keys])
        for u, v, _, data in _edges(graph):
            writer.writerow([u, v, *(_plain(data.get(k, "")) for k in edge_keys)])
    return [nodes_path, edges_path]


Writer = Callable[[nx.Graph, Path], list[Path]]

FORMATS: dict[str, Writer] = {
    "graphml": write_graphml,
    "gexf": write_gexf,
    "cytoscape": write_cytoscape,
    "node-link": write_node_link,
    "dot": write_dot,
    "csv": write_csv,
}
