"""Graph views and their export formats: every format read back and compared with the view.

GraphML and GEXF are read back with networkx, GEXF is validated against the GEXF 1.3 schemas in
``tests/data/gexf`` (see its SOURCE.md), DOT is parsed with pydot and, when Graphviz is installed,
laid out by ``dot``; the JSON formats and CSV are checked for their documented shape. Facts are
pinned on the mini store (the real seed lineage RNCP1611 → … → RNCP41336 and RNCP41296) and on the
real XML fixture (official correspondences); one test counts the whole register's lineage.
"""

from __future__ import annotations

import copy
import csv
import json
import re
import shutil
import subprocess
from pathlib import Path

import networkx as nx
import pytest

from certgraph.export import views as export_module
from certgraph.export.formats import FORMATS, dot_id
from certgraph.export.views import VIEWS, ExportError, export
from certgraph.ingest.graph import fiche_quads
from certgraph.queries import load_queries
from certgraph.sources.fc_xml import read_fc_xml
from certgraph.store import OxigraphStore

from .conftest import DATA

etree = pytest.importorskip("lxml.etree")

# pydot's parser calls pyparsing names that pyparsing 3.3 deprecates: theirs to fix, and it floods the log.
pytestmark = pytest.mark.filterwarnings("ignore:.*deprecated - use:DeprecationWarning")

SCHEMAS = Path(__file__).parent / "data" / "gexf"
XSI_SCHEMA_LOCATION = "{http://www.w3.org/2001/XMLSchema-instance}schemaLocation"
ID = "https://w3id.org/certgraph/id/"
LINEAGE = ["RNCP1611", "RNCP5385", "RNCP28720", "RNCP35080", "RNCP41336"]


def iri(number: str) -> str:
    repertory = "rs" if number.startswith("RS") else "rncp"
    return f"{ID}{repertory}/{number[len(repertory):]}"


def rome(code: str) -> str:
    return f"{ID}rome/{code}"


@pytest.fixture(scope="module")
def xml_store() -> OxigraphStore:
    """The real XML fixture (12 RNCP + 8 RS fiches) in a store of its own: the official correspondences."""
    folder = DATA / "rncp" / "xml-fixture"
    store = OxigraphStore.in_memory()
    for name in ("export_fiches_RNCP_fixture.xml", "export_fiches_RS_fixture.xml"):
        loaded = read_fc_xml(folder / name, data_dir=DATA)
        store.add_quads(quad for fiche in loaded.fiches for quad in fiche_quads(fiche))
    return store


# The views every format is read back from: (view, fiche, store).
CASES = [
    ("lineage", "RNCP35080", "mini"),
    ("occupations", "RNCP35080", "mini"),
    ("occupation-projection", "RNCP35080", "mini"),
    ("equivalence", None, "mini"),
    ("equivalence", None, "xml"),
    ("neighbourhood", "RNCP35080", "mini"),
    ("graph", "RNCP35080", "mini"),
]


@pytest.fixture(scope="module")
def views(mini_store, xml_store) -> dict[tuple, nx.Graph]:
    """Each view of CASES, built once."""
    stores = {"mini": mini_store, "xml": xml_store}
    return {case: VIEWS[case[0]](stores[case[2]], fiche=case[1]) for case in CASES}


# ------------------------------------------------------------------ comparing a graph read back


def nodes_of(graph: nx.Graph) -> dict:
    """Node → attributes, an empty value counting as absent (typed formats leave it out)."""
    return {str(n): {k: v for k, v in data.items() if v != ""} for n, data in graph.nodes(data=True)}


def edges_of(graph: nx.Graph, drop: tuple = ()) -> list:
    """The edges as a sorted list of (u, v, attributes), ends sorted when undirected, keys ignored."""
    rows = []
    for u, v, data in graph.edges(data=True):
        u, v = str(u), str(v)
        if not graph.is_directed():
            u, v = sorted((u, v))
        rows.append((u, v, sorted((k, val) for k, val in data.items() if val != "" and k not in drop)))
    return sorted(rows)


def assert_same_graph(view: nx.Graph, found: nx.Graph, drop: tuple = ()) -> None:
    assert found.number_of_nodes() == view.number_of_nodes()
    assert found.number_of_edges() == view.number_of_edges()
    assert found.is_directed() == view.is_directed()
    assert nodes_of(found) == nodes_of(view)
    assert edges_of(found, drop) == edges_of(view)


def unquote_dot(text: str) -> str:
    """A DOT id or value as Graphviz reads it: quotes removed, \\" and \\\\ unescaped, \\n a line break."""
    if len(text) >= 2 and text[0] == text[-1] == '"':
        return re.sub(r'\\(.)', lambda m: {"n": "\n"}.get(m.group(1), m.group(1)), text[1:-1])
    return text


def plain(value) -> str:
    return ("true" if value else "false") if isinstance(value, bool) else str(value)


def validate_gexf(path: Path) -> None:
    """Valid against the repaired GEXF 1.3 XSD and against the upstream RELAX NG grammar."""
    document = etree.parse(str(path))
    schema = etree.XMLSchema(etree.parse(str(SCHEMAS / "gexf.xsd")))
    assert schema.validate(document), schema.error_log
    # RELAX NG has no notion of xsi:schemaLocation: the grammar is given the document without it.
    bare = copy.deepcopy(document)
    del bare.getroot().attrib[XSI_SCHEMA_LOCATION]
    grammar = etree.RelaxNG(etree.parse(str(SCHEMAS / "upstream" / "gexf.rng")))
    assert grammar.validate(bare), grammar.error_log


# ------------------------------------------------------------------ every format, read back


@pytest.mark.parametrize("case", CASES, ids=lambda case: f"{case[0]}-{case[1] or case[2]}")
def test_graphml_reads_back_equal(views, case, tmp_path):
    view = views[case]
    [path] = FORMATS["graphml"](view, tmp_path / "view.graphml")
    found = nx.read_graphml(path)
    assert_same_graph(view, found, drop=("id",))  # a multigraph's edge ids (e0, e1…) come back as "id"
    assert found.graph["view"] == case[0]


@pytest.mark.parametrize("case", CASES, ids=lambda case: f"{case[0]}-{case[1] or case[2]}")
def test_gexf_is_valid_13_and_reads_back_equal(views, case, tmp_path):
    view = views[case]
    [path] = FORMATS["gexf"](view, tmp_path / "view.gexf")
    validate_gexf(path)
    assert etree.parse(str(path)).getroot().get("version") == "1.3"
    found = nx.read_gexf(path)
    assert_same_graph(view, found, drop=("id",))  # networkx keeps the GEXF edge id as an attribute


@pytest.mark.parametrize("case", CASES, ids=lambda case: f"{case[0]}-{case[1] or case[2]}")
def test_node_link_is_networkx_node_link_data(views, case, tmp_path):
    view = views[case]
    [path] = FORMATS["node-link"](view, tmp_path / "view.json")
    data = json.loads(path.read_text(encoding="utf-8"))
    assert data == json.loads(json.dumps(nx.node_link_data(view, edges="links")))
    assert_same_graph(view, nx.node_link_graph(data, edges="links"))


@pytest.mark.parametrize("case", CASES, ids=lambda case: f"{case[0]}-{case[1] or case[2]}")
def test_cytoscape_json_shape(views, case, tmp_path):
    view = views[case]
    [path] = FORMATS["cytoscape"](view, tmp_path / "view.cyjs")
    data = json.loads(path.read_text(encoding="utf-8"))
    assert set(data) == {"data", "elements"}
    assert data["data"]["name"] == view.graph["name"]
    assert data["data"]["directed"] == view.is_directed()
    nodes, edges = data["elements"]["nodes"], data["elements"]["edges"]
    assert [n["data"]["id"] for n in nodes] == list(view.nodes)
    for node in nodes:
        attributes = view.nodes[node["data"]["id"]]
        assert node["data"] == {"id": node["data"]["id"], "name": attributes["label"], **attributes}
    assert len(edges) == view.number_of_edges()
    assert len({e["data"]["id"] for e in edges}) == len(edges)  # unique, and never a node's id
    assert not {e["data"]["id"] for e in edges} & set(view.nodes)
    found = sorted((e["data"]["source"], e["data"]["target"], e["data"]["kind"], e["data"]["interaction"])
                   for e in edges)
    assert found == sorted((u, v, d["kind"], d["kind"]) for u, v, d in view.edges(data=True))


@pytest.mark.parametrize("case", CASES, ids=lambda case: f"{case[0]}-{case[1] or case[2]}")
def test_csv_headers_and_rows(views, case, tmp_path):
    view = views[case]
    nodes_path, edges_path = FORMATS["csv"](view, tmp_path / "view.csv")
    assert (nodes_path.name, edges_path.name) == ("view-nodes.csv", "view-edges.csv")
    with open(nodes_path, encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    first = next(iter(view.nodes.values()))
    assert list(rows[0])[: len(first) + 1] == ["id", *first]
    assert len(rows) == view.number_of_nodes()
    for row in rows:
        assert {k: v for k, v in row.items() if v != "" and k != "id"} == {
            k: plain(v) for k, v in view.nodes[row["id"]].items() if v != ""}
    with open(edges_path, encoding="utf-8", newline="") as f:
        edge_rows = list(csv.DictReader(f))
    assert len(edge_rows) == view.number_of_edges()
    assert list(edge_rows[0])[:3] == ["source", "target", "kind"]
    assert sorted((r["source"], r["target"], r["kind"]) for r in edge_rows) == sorted(
        (u, v, d["kind"]) for u, v, d in view.edges(data=True))


@pytest.mark.parametrize("case", CASES, ids=lambda case: f"{case[0]}-{case[1] or case[2]}")
def test_dot_parses_with_pydot_and_graphviz(views, case, tmp_path):
    pydot = pytest.importorskip("pydot")
    view = views[case]
    [path] = FORMATS["dot"](view, tmp_path / "view.dot")
    [parsed] = pydot.graph_from_dot_file(str(path))
    assert parsed.get_type() == ("digraph" if view.is_directed() else "graph")
    nodes = {unquote_dot(n.get_name()): n.get_attributes() for n in parsed.get_nodes()
             if n.get_name() not in ("node", "edge", "graph")}
    assert set(nodes) == set(view.nodes)
    for node, attributes in nodes.items():
        assert {k: unquote_dot(v) for k, v in attributes.items()} == {k: plain(v) for k, v in view.nodes[node].items()}
    edges = sorted((unquote_dot(e.get_source()), unquote_dot(e.get_destination()),
                    unquote_dot(e.get_attributes()["kind"])) for e in parsed.get_edges())
    assert edges == sorted((u, v, d["kind"]) for u, v, d in view.edges(data=True))
    if case[0] == "lineage":
        assert "rankdir=LR" in path.read_text(encoding="utf-8")
    if shutil.which("dot"):
        result = subprocess.run(["dot", "-Tsvg", str(path)], check=False, capture_output=True, text=True, timeout=120)
        assert result.returncode == 0, result.stderr
        assert "<svg" in result.stdout


def test_awkward_text_survives_every_format(tmp_path):
    """Quotes, backslashes, line breaks, markup and non-Latin text, in ids, labels and values."""
    awkward = 'say "hi" \\ <b>&amp;</b>\nsecond line\tend \\'
    graph = nx.MultiDiGraph(name="a \"quoted\" name", view="test")
    graph.add_node("https://example.org/a?x=1&y=2", label=awkward, kind="fiche", level=7, active=True, score=0.5)
    graph.add_node("node", label="Œuvre – 漢字 “typographic”", kind="fiche", level="", active="", score="")
    graph.add_edge("https://example.org/a?x=1&y=2", "node", key="k", kind="replaces", label=awkward, weight=2)
    graph.add_edge("node", "node", key="self", kind="loop", label="", weight="")
    written = {fmt: writer(graph, tmp_path / f"awkward.{fmt}") for fmt, writer in FORMATS.items()}
    validate_gexf(written["gexf"][0])
    assert_same_graph(graph, nx.read_gexf(written["gexf"][0]), drop=("id",))
    assert_same_graph(graph, nx.read_graphml(written["graphml"][0]), drop=("id",))
    node_link = json.loads(written["node-link"][0].read_text(encoding="utf-8"))
    assert_same_graph(graph, nx.node_link_graph(node_link, edges="links"))
    pydot = pytest.importorskip("pydot")
    [parsed] = pydot.graph_from_dot_file(str(written["dot"][0]))
    labels = {unquote_dot(n.get_name()): unquote_dot(n.get_attributes()["label"]) for n in parsed.get_nodes()
              if "label" in n.get_attributes()}
    assert labels["https://example.org/a?x=1&y=2"] == awkward
    assert labels["node"] == "Œuvre – 漢字 “typographic”"  # a DOT keyword as a node id, quoted
    if shutil.which("dot"):
        result = subprocess.run(["dot", "-Tsvg", str(written["dot"][0])], check=False, capture_output=True, text=True, timeout=60)
        assert result.returncode == 0, result.stderr
    with open(written["csv"][0], encoding="utf-8", newline="") as f:
        assert next(csv.DictReader(f))["label"] == awkward


def test_dot_id():
    assert dot_id("rankdir") == "rankdir"
    assert dot_id("graph") == '"graph"'
    assert dot_id("ends in \\") == '"ends in \\\\"'
    assert unquote_dot(dot_id('a "b" \\ c\nd')) == 'a "b" \\ c\nd'


def test_views_run_only_query_files():
    """Every SPARQL text of the export is a file of queries/internal/export/, and each file is used."""
    folder = Path(export_module.__file__).parent
    source = "\n".join(path.read_text(encoding="utf-8") for path in folder.glob("*.py"))
    assert not re.search(r"\b(SELECT|CONSTRUCT|ASK|DESCRIBE)\s+[?*{(]|\bWHERE\s*\{|\bPREFIX\s+\w*:", source)
    names = {name.removeprefix("export/") for name in load_queries(internal=True) if name.startswith("export/")}
    views_source = Path(export_module.__file__).read_text(encoding="utf-8")
    assert names and {name for name in names if f'"{name}"' not in views_source} == set()


# ------------------------------------------------------------------ the views, on real data


def test_lineage_of_35080_as_graphml(mini_store, tmp_path):
    [path] = export("lineage", mini_store, "graphml", tmp_path / "lineage.graphml", fiche="RNCP35080")
    graph = nx.read_graphml(path)
    assert sorted(graph.nodes[n]["number"] for n in graph) == sorted(LINEAGE)
    replaces = sorted((graph.nodes[u]["number"], graph.nodes[v]["number"])
                      for u, v, kind in graph.edges(data="kind") if kind == "replaces")
    assert replaces == [("RNCP28720", "RNCP5385"), ("RNCP35080", "RNCP28720"), ("RNCP41336", "RNCP35080"),
                        ("RNCP5385", "RNCP1611")]
    assert graph.number_of_edges() == 4


def test_lineage_attributes(mini_store):
    graph = VIEWS["lineage"](mini_store, fiche="RNCP28720")  # any fiche of it gives the same lineage
    assert set(graph) == {iri(n) for n in LINEAGE}
    fiche = graph.nodes[iri("RNCP35080")]
    assert list(fiche) == list(export_module.FICHE_ATTRIBUTES)
    assert fiche["uri"] == iri("RNCP35080")
    assert fiche["label"].startswith("RNCP35080 Manager d'organismes à vocation sociale et culturelle")
    assert (fiche["kind"], fiche["number"], fiche["level"], fiche["active"]) == ("fiche", "RNCP35080", 7, True)
    # the flag is the 2021 extract's, dated; the status is from the dates (35080 ended in 2025)
    assert (fiche["active_as_of"], fiche["in_force"], fiche["status"]) == ("2021-01-06", False, "ended on 2025-11-18")
    assert (fiche["end"], fiche["certifier"]) == ("2025-11-18", "CONSERVATOIRE NATIONAL DES ARTS ET METIERS")
    old = graph.nodes[iri("RNCP28720")]
    assert (old["start"], old["end"], old["active"]) == ("2017-07-19", "2020-07-19", False)
    assert graph.nodes[iri("RNCP1611")]["level"] == 6
    unknown = graph.nodes[iri("RNCP41336")]  # named by the others only: level and status unknown
    assert (unknown["level"], unknown["active"], unknown["title"], unknown["in_force"]) == ("", "", "", "")
    assert unknown["status"] == "end date unknown; status unknown"
    assert graph.edges[iri("RNCP35080"), iri("RNCP28720")] == {
        "kind": "replaces", "label": "replaces", "asserted_by": "RNCP28720,RNCP35080"}
    for _, data in graph.nodes(data=True):
        assert all(isinstance(v, (str, int, float, bool)) for v in data.values())


def test_occupations_of_the_lineage(mini_store):
    graph = VIEWS["occupations"](mini_store, fiche="RNCP35080")
    fiches = {n for n, part in graph.nodes(data="bipartite") if part == 0}
    assert fiches == {iri(n) for n in LINEAGE}  # RNCP41296 shares codes but is not of the lineage
    assert nx.is_bipartite(graph)
    assert set(graph[iri("RNCP35080")]) == {rome(c) for c in ("K1206", "K1403", "K1802", "M1301", "M1302")}
    assert graph.nodes[rome("K1403")] == {
        "uri": rome("K1403"), "label": "K1403 Directeur / Directrice de structure de santé, sociale ou pénitentiaire",
        "kind": "rome", "code": "K1403", "title": "Directeur / Directrice de structure de santé, sociale ou pénitentiaire",
        "bipartite": 1}
    assert graph.edges[iri("RNCP1611"), rome("K1206")]["kind"] == "rome"
    whole = VIEWS["occupations"](mini_store)
    assert whole.nodes[rome("K1800")]["label"] == "K1800"  # a code the code list does not hold
    assert set(whole[iri("RNCP41296")]) == {rome(c) for c in ("K1201", "K1403", "K1800", "K1802")}


def test_occupation_projection(mini_store):
    graph = VIEWS["occupation-projection"](mini_store, fiche="RNCP35080")
    shared = {graph.nodes[other]["number"]: (data["weight"], data["shared"])
              for _, other, data in graph.edges(iri("RNCP35080"), data=True)}
    assert shared == {
        "RNCP28720": (5, "K1206,K1403,K1802,M1301,M1302"),
        "RNCP41296": (2, "K1403,K1802"),
        "RNCP41336": (2, "K1206,K1403"),
        "RNCP5385": (2, "K1206,K1403"),
        "RNCP1611": (1, "K1206"),
    }
    assert set(VIEWS["occupation-projection"](mini_store, fiche="RNCP35080", threshold=3)) == {
        iri("RNCP35080"), iri("RNCP28720")}
    whole = VIEWS["occupation-projection"](mini_store)
    assert whole.edges[iri("RNCP41296"), iri("RNCP28720")]["shared"] == "K1403,K1802"


def test_whole_register_projection_refuses_millions_of_edges(mini_store, monkeypatch):
    monkeypatch.setattr(export_module, "MAX_PROJECTION_EDGES", 3)
    with pytest.raises(ExportError, match="threshold"):
        VIEWS["occupation-projection"](mini_store)


def test_equivalence_similarity_on_the_mini_store(mini_store):
    """Content-mode scores of at least 3.0 (the default threshold): RNCP35080 with its successor, its
    predecessor and IRCOM's near twin."""
    graph = VIEWS["equivalence"](mini_store)
    scores = {tuple(sorted((graph.nodes[u]["number"], graph.nodes[v]["number"]))): data
              for u, v, data in graph.edges(data=True)}
    assert {pair: data["weight"] for pair, data in scores.items()} == {
        ("RNCP28720", "RNCP35080"): 3.0517, ("RNCP35080", "RNCP41296"): 3.4966, ("RNCP35080", "RNCP41336"): 5.2907}
    assert {data["kind"] for data in scores.values()} == {"similarity"}
    assert {data["method"] for data in scores.values()} == {"equivalence-v1 (content)"}
    assert graph.number_of_edges(iri("RNCP35080"), iri("RNCP41296")) == 1
    mine = VIEWS["equivalence"](mini_store, fiche="RNCP35080")
    assert set(mine) == {iri("RNCP35080"), iri("RNCP28720"), iri("RNCP41296"), iri("RNCP41336")}
    assert mine.number_of_edges() == 3
    strict = VIEWS["equivalence"](mini_store, threshold=5.0)
    assert [(strict.nodes[u]["number"], strict.nodes[v]["number"]) for u, v in strict.edges()] in (
        [("RNCP35080", "RNCP41336")], [("RNCP41336", "RNCP35080")])


def test_equivalence_correspondences_on_the_xml_fixture(xml_store):
    graph = VIEWS["equivalence"](xml_store, fiche="RNCP36490")
    edges = {graph.nodes[v if u == iri("RNCP36490") else u]["number"]: data
             for u, v, data in graph.edges(data=True)}
    assert {"RNCP35419", "RS6626", "RNCP14506"} <= set(edges)
    assert edges["RNCP35419"] == {"kind": "correspondence", "label": "Correspondance RNCP36490 → RNCP35419",
                                  "weight": 1.0, "method": "", "asserted_by": "RNCP36490"}
    assert isinstance(graph, nx.MultiGraph)
    whole = VIEWS["equivalence"](xml_store)
    assert whole.has_edge(iri("RNCP37674"), iri("RNCP31114"))
    assert {data["kind"] for *_, data in whole.edges(data=True)} == {"correspondence"}


def test_neighbourhood(mini_store):
    graph = VIEWS["neighbourhood"](mini_store, fiche="RNCP35080", depth=1)
    assert isinstance(graph, nx.MultiDiGraph)
    centre = iri("RNCP35080")
    assert graph.nodes[centre]["distance"] == 0
    kinds = {(u, v, data["kind"]) for u, v, data in graph.edges(data=True)}
    assert (centre, iri("RNCP28720"), "replaces") in kinds
    assert (iri("RNCP41336"), centre, "replaces") in kinds
    assert (centre, rome("K1403"), "rome") in kinds
    assert (centre, f"{ID}org/siret/19753471200017", "certifier") in kinds
    assert (centre, iri("RNCP41296"), "similarity") in kinds
    blocks = sorted(n for n, kind in graph.nodes(data="kind") if kind == "block")
    assert blocks == [f"{centre}/bloc/RNCP35080BC0{n}" for n in range(1, 5)]
    assert {graph.nodes[n]["kind"] for n in graph} == {"fiche", "rome", "block", "organisation"}
    assert max(d for _, d in graph.nodes(data="distance")) == 1
    wider = VIEWS["neighbourhood"](mini_store, fiche="RNCP35080", depth=2)
    assert wider.nodes[iri("RNCP5385")]["distance"] == 2  # through RNCP28720 or a shared code
    assert set(graph) < set(wider)
    assert set(VIEWS["neighbourhood"](mini_store, fiche="RNCP35080", depth=0)) == {centre}


def test_graph_view_around_a_fiche(mini_store):
    graph = VIEWS["graph"](mini_store, fiche="RNCP35080", depth=1)
    centre = iri("RNCP35080")
    assert graph.nodes[centre]["label"].startswith("RNCP35080 Manager")
    assert "cg:RNCPCertification" in graph.nodes[centre]["type"].split("; ")
    assert graph.has_edge(centre, iri("RNCP28720"), key="dcterms:replaces")
    assert graph.edges[centre, iri("RNCP28720"), "dcterms:replaces"] == {
        "kind": "dcterms:replaces", "label": "dcterms:replaces"}
    assert graph.has_edge(iri("RNCP28720"), centre, key="dcterms:isReplacedBy")
    assert graph.nodes[rome("K1403")]["label"].startswith("K1403 Directeur")
    assert not any(kind == "rdf:type" for *_, kind in graph.edges(data="kind"))


def test_whole_graph_view_has_every_iri_triple(mini_store):
    graph = VIEWS["graph"](mini_store)
    count = mini_store.query(
        "SELECT (COUNT(*) AS ?n) WHERE { SELECT DISTINCT ?s ?p ?o WHERE { GRAPH ?g { ?s ?p ?o } "
        "FILTER(?g != <https://w3id.org/certgraph/ontology> && isIRI(?s) && isIRI(?o) "
        "&& ?p != <http://www.w3.org/1999/02/22-rdf-syntax-ns#type>) } }").values("n")[0]
    assert graph.number_of_edges() == count
    assert all(set(data) == {"uri", "label", "type"} for _, data in graph.nodes(data=True))


def test_errors(mini_store, tmp_path):
    with pytest.raises(ExportError, match="not in the store"):
        VIEWS["lineage"](mini_store, fiche="RNCP99999999")
    with pytest.raises(ExportError, match="not a fiche number"):
        VIEWS["lineage"](mini_store, fiche="35080")
    with pytest.raises(ExportError, match="needs a fiche"):
        VIEWS["neighbourhood"](mini_store)
    with pytest.raises(ExportError, match="unknown view"):
        export("tree", mini_store, "gexf", tmp_path / "x.gexf")
    with pytest.raises(ExportError, match="unknown format"):
        export("lineage", mini_store, "pdf", tmp_path / "x.pdf", fiche="RNCP35080")


def test_upstream_gexf_13_xsd_still_does_not_compile():
    """gephi/gexf#19: when a compiling 1.3 XSD is published and vendored, drop the repaired one."""
    with pytest.raises(etree.XMLSchemaParseError, match="graph-content"):
        etree.XMLSchema(etree.parse(str(SCHEMAS / "upstream" / "gexf.xsd")))


# ------------------------------------------------------------------ the whole register


def test_whole_register_lineage(demo_store):
    graph = VIEWS["lineage"](demo_store)
    # the current links: the reconciled view, without the links a newer table supersedes
    current = "GRAPH <https://w3id.org/certgraph/graph/derived/current>"
    pairs = demo_store.query(
        f"SELECT (COUNT(*) AS ?n) WHERE {{ SELECT DISTINCT ?new ?old WHERE {{ {current} {{ ?new <http://purl.org/dc/terms/replaces> ?old }} }} }}")
    fiches = demo_store.query(
        f"SELECT (COUNT(DISTINCT ?f) AS ?n) WHERE {{ {current} {{ {{ ?f <http://purl.org/dc/terms/replaces> ?x }} "
        "UNION { ?x <http://purl.org/dc/terms/replaces> ?f } } }")
    assert graph.number_of_edges() == pairs.values("n")[0]
    assert graph.number_of_nodes() == fiches.values("n")[0]


# ------------------------------------------------------------------ GEXF dates for Gephi's timeline

GEXF = "{http://gexf.net/1.3}"


def test_gexf_dates_are_node_time_intervals(views, tmp_path):
    """Start and end dates are GEXF time (node start/end, timeformat date), not text columns."""
    view = views[("lineage", "RNCP35080", "mini")]
    [path] = FORMATS["gexf"](view, tmp_path / "lineage.gexf")
    validate_gexf(path)
    root = etree.parse(str(path)).getroot()
    graph = root.find(f"{GEXF}graph")
    assert (graph.get("mode"), graph.get("timeformat")) == ("dynamic", "date")
    declared = {a.get("title") for a in graph.iter(f"{GEXF}attribute")}
    assert {"start", "end"}.isdisjoint(declared) and "level" in declared
    nodes = {n.get("id"): n for n in graph.iter(f"{GEXF}node")}
    assert (nodes[iri("RNCP5385")].get("start"), nodes[iri("RNCP5385")].get("end")) == ("2007-04-21", "2017-08-22")
    # An unknown date is left out: RNCP35080's interval is open at its start, RNCP41336's at both ends.
    assert (nodes[iri("RNCP35080")].get("start"), nodes[iri("RNCP35080")].get("end")) == (None, "2025-11-18")
    assert nodes[iri("RNCP41336")].get("start") is None and nodes[iri("RNCP41336")].get("end") is None
    found = nx.read_gexf(path)
    assert found.graph["mode"] == "dynamic"
    assert found.nodes[iri("RNCP1611")]["start"] == "1993-01-01" and found.nodes[iri("RNCP1611")]["end"] == "2006-12-31"
    assert_same_graph(view, found, drop=("id",))


def test_gexf_keeps_text_that_is_not_a_date_as_a_column(tmp_path):
    """A start that is not an ISO date everywhere stays a string attribute of a static graph."""
    graph = nx.DiGraph(name="t", view="test")
    graph.add_node("a", label="a", start="2020-01-01")
    graph.add_node("b", label="b", start="spring 2021")
    [path] = FORMATS["gexf"](graph, tmp_path / "t.gexf")
    validate_gexf(path)
    root = etree.parse(str(path)).getroot().find(f"{GEXF}graph")
    assert root.get("mode") == "static" and root.get("timeformat") is None
    assert [a.get("title") for a in root.iter(f"{GEXF}attribute")] == ["start"]
    assert_same_graph(graph, nx.read_gexf(path), drop=("id",))
