"""The command line, through click's CliRunner, on the mini graph."""

from __future__ import annotations

import json
import shutil

import pytest
from click.testing import CliRunner

from certgraph.cli import cli

from .test_build import broken_folder

LINEAGE_35080 = """\
Lineage of RNCP35080 on 2026-12-03: 5 certifications, 4 links

  RNCP1611   Gestionnaire d'organismes à vocation sociale et culturelle
             level 6, ended on 2006-12-31
             registration: arrêté of 2003-03-17 (JO 2003-03-27), 1993-01-01 → 2005-01-18 « Gestionnaire d'organismes à vocation sociale et culturelle »
             registration: décret 2004-171 of 2004-02-19 (JO 2004-02-22), ? → 2006-12-31
             ↓ replaced by RNCP5385 (asserted by RNCP1611, RNCP5385)
  RNCP5385   Manager d'organismes à vocation sociale et culturelle
             level 7, ended on 2017-08-22
             registration: arrêté of 2007-03-30 (JO 2007-04-21), 2007-04-21 → 2012-04-21
             registration: arrêté of 2012-08-10 (JO 2012-08-22), 2012-04-21 → 2017-08-22 « Manager d'organismes à vocation sociale et culturelle »
             ↓ replaced by RNCP28720 (asserted by RNCP28720, RNCP5385)
  RNCP28720  Manager d'organismes à vocation sociale et culturelle et en économie sociale et solidaire
             level 7, ended on 2020-07-19
             registration: arrêté of 2017-07-07 (JO 2017-07-19), 2017-07-19 → 2020-07-19 « Manager d'organismes à vocation sociale et culturelle et en économie sociale et solidaire »
             ↓ replaced by RNCP35080 (asserted by RNCP28720, RNCP35080)
* RNCP35080  Manager d'organismes à vocation sociale et culturelle en économie sociale et solidaire
             level 7, ended on 2025-11-18
             ↓ replaced by RNCP41336 (asserted by RNCP35080, RNCP41336)
  RNCP41336  (no source gives a title; certifier CONSERVATOIRE NATIONAL DES ARTS ET METIERS)
             level ?, end date unknown; status unknown

Current equivalent on 2026-12-03: RNCP41336 (no source gives a title; certifier CONSERVATOIRE NATIONAL DES ARTS ET METIERS) (end date unknown; status unknown)

Superseded links (stated only by older sources, contradicted by a newer register table):
  RNCP5385 → RNCP35080 (asserted by RNCP35080; superseded by fc-export-2026-02-01-ancienne-nouvelle-certification)
"""


@pytest.fixture()
def run(mini_build):
    runner = CliRunner()

    def invoke(*args, input=None):
        return runner.invoke(cli, [*args, "--store", str(mini_build.store)], input=input)

    return invoke


def test_lineage(run):
    result = run("lineage", "RNCP35080", "--as-of", "2026-12-03")
    assert result.exit_code == 0, result.output
    assert result.output == LINEAGE_35080
    # in 2024, RNCP35080 was in force and its own current equivalent
    earlier = run("lineage", "RNCP35080", "--as-of", "2024-01-01").output
    assert "             level 7, in force until 2025-11-18\n" in earlier
    assert "Current equivalent on 2024-01-01: RNCP35080 " in earlier


def test_lineage_json_and_unknown_fiche(run):
    result = run("lineage", "rncp 28720", "--json")
    assert result.exit_code == 0, result.output
    members = json.loads(result.output)["members"]
    assert [m["number"] for m in members] == ["RNCP1611", "RNCP5385", "RNCP28720", "RNCP35080", "RNCP41336"]
    missing = run("lineage", "RNCP99999999")
    assert missing.exit_code == 1 and "not in the graph" in missing.output
    usage = run("lineage", "35O80")
    assert usage.exit_code == 2 and "not a fiche number" in usage.output
    bare = run("lineage", "35080", "--as-of", "2026-12-03")
    assert bare.exit_code == 0 and bare.output == "35080: read as RNCP35080\n" + LINEAGE_35080


def test_lineage_stats(run):
    table = run("lineage-stats")
    assert table.exit_code == 0, table.output
    assert "RNCP1611 -> RNCP5385 -> RNCP28720 -> RNCP35080 -> RNCP41336" in table.output
    stats = json.loads(run("lineage-stats", "--json").output)
    # one lineage, the CNAM chain of five fiches
    assert (stats["lineages"], stats["kinds"]["chain"], stats["kind_fiches"]["chain"]) == (1, 1, 5)
    assert stats["cycles"] == []


def test_export_lineage_as_graphml(run, tmp_path):
    import networkx as nx

    out = tmp_path / "lineage.graphml"
    result = run("export", "lineage", "--fiche", "RNCP35080", "--format", "graphml", "-o", str(out))
    assert result.exit_code == 0, result.output
    assert result.output == f"{out}: 5 nodes, 4 edges\n"
    graph = nx.read_graphml(out)
    numbers = {data["number"] for _, data in graph.nodes(data=True)}
    assert numbers == {"RNCP1611", "RNCP5385", "RNCP28720", "RNCP35080", "RNCP41336"}
    csv_result = run("export", "occupations", "--fiche", "RNCP35080", "--format", "csv", "-o", str(tmp_path / "occ.csv"))
    assert csv_result.exit_code == 0 and (tmp_path / "occ-nodes.csv").exists() and (tmp_path / "occ-edges.csv").exists()


def test_draw_lineage_and_comparison(run, tmp_path):
    page = tmp_path / "lineage.html"
    assert run("draw", "lineage", "RNCP35080", "-o", str(page)).exit_code == 0
    assert "RNCP28720" in page.read_text(encoding="utf-8")
    assert run("draw", "compare", "RNCP35080", "-o", str(tmp_path / "x.html")).exit_code == 2
    if shutil.which("dot") is None:
        pytest.skip("no dot binary (apt-get install graphviz)")
    picture = tmp_path / "compare.svg"
    result = run("draw", "compare", "RNCP35080", "RNCP41296", "-o", str(picture))
    assert result.exit_code == 0, result.output
    svg = picture.read_text(encoding="utf-8")
    assert "RNCP35080" in svg and "RNCP41296" in svg and "K1403" in svg


def test_compare(run):
    result = run("compare", "RNCP35080", "RNCP41296")
    assert result.exit_code == 0, result.output
    assert "rome       shared: K1403 K1802 | only RNCP35080: K1206 M1301 M1302 | only RNCP41296: K1201 K1800" in result.output
    assert "formacode  shared: 32135 | only RNCP35080: 32142 44037 44047 | only RNCP41296: 44056" in result.output
    assert "nsf group  shared: 310 330 332" in result.output
    assert "RNCP35080BC03 Coordination de l’activité d’une équipe RH" in result.output
    as_json = json.loads(run("compare", "RNCP35080", "RNCP41296", "--json").output)
    assert len(as_json["blocks"]["matrix"]) == 4 and len(as_json["blocks"]["alignment"]) == 4


def test_query_formats(run):
    args = ("query", "lineage/ancestors", "-p", "fiche", "RNCP35080")
    lines = run(*args).output.splitlines()
    assert [json.loads(line)["number"] for line in lines] == ["RNCP1611", "RNCP5385", "RNCP28720"]
    csv_out = run(*args, "--csv").output.splitlines()
    assert csv_out[0] == "ancestor,number,title,endDate"
    assert csv_out[1] == "https://w3id.org/certgraph/id/rncp/1611,RNCP1611,Gestionnaire d'organismes à vocation sociale et culturelle,2006-12-31"
    assert run(*args, "--tsv").output.splitlines()[0] == "ancestor\tnumber\ttitle\tendDate"
    assert run(*args, "--table").output.splitlines()[1].startswith("-----")
    bad = run("query", "lineage/ancestors", "-p", "fiche", "RNCP35080 } UNION {")
    assert bad.exit_code == 1 and "fiche=" in bad.output
    assert run("query", "no/such").exit_code == 2


def test_sparql_from_stdin(run):
    result = run("sparql", "-", "--csv", input="ASK { <https://w3id.org/certgraph/id/rncp/35080> ?p ?o }")
    assert result.exit_code == 0, result.output
    assert result.output.strip() == "true"
    broken = run("sparql", "-", input="SELECT WHERE {")
    assert broken.exit_code == 1 and "syntax" in broken.output.lower()


def test_show_and_stats(run):
    show = run("show", "RNCP41296")
    assert show.exit_code == 0, show.output
    assert "ASSOCIATION SAINTE ANNE" in show.output and "K1800" in show.output
    assert "RNCP41296BC04  Manager des équipes pluridisciplinaires internes, externes et bénévoles" in show.output
    stats = json.loads(run("stats", "--json", "--as-of", "2026-12-03").output)
    # five links are stated; Certif Info's RNCP5385 -> RNCP35080 is superseded by the 2026 table
    assert stats["blocks"] == 12 and stats["lineage_links"] == 5 and stats["superseded_lineage_links"] == 1
    assert (stats["rncp_certifications"], stats["rncp_certifications_with_a_title"]) == (6, 4)
    assert stats["certifications_in_force"] == 1  # RNCP41296, until 2028-09-24
    assert stats["certifications_whose_end_date_no_source_gives"] == 1  # RNCP41336


def test_validate_exit_codes(run, tmp_path):
    ok = run("validate", "--fiche", "RNCP41296")
    assert ok.exit_code == 0, ok.output
    assert "RomeCodeDomainOnly  RNCP41296  ROME code K1800 is only a domain (K18), not a ROME fiche" in ok.output
    lines = run("validate", "--json", "--fiche", "RNCP41296").output.splitlines()
    assert {json.loads(line)["shape"] for line in lines} == {"RomeCodeDomainOnly", "TitleKnown"}
    assert "sh:ValidationReport" in run("validate", "--turtle").output
    data = broken_folder(tmp_path)
    runner = CliRunner()
    assert runner.invoke(cli, ["build", "--data", str(data), "--store", str(tmp_path / "s")]).exit_code == 0
    saved = runner.invoke(cli, ["validate", "--save", "--summary", "--store", str(tmp_path / "s")])
    assert saved.exit_code == 1, saved.output
    count = runner.invoke(cli, ["sparql", "-", "--csv", "--store", str(tmp_path / "s")], input=(
        "SELECT (COUNT(?r) AS ?n) WHERE { GRAPH <https://w3id.org/certgraph/graph/derived/validation> "
        "{ ?r a <http://www.w3.org/ns/shacl#ValidationResult> } }"))
    assert int(count.output.splitlines()[1]) == 13  # every finding, none lost on the way to the graph
    assert runner.invoke(cli, ["validate", "--store", str(tmp_path / "nowhere")]).exit_code == 2
    violations = runner.invoke(cli, ["validate", "--store", str(tmp_path / "s")])
    assert violations.exit_code == 1 and "Z9999" in violations.output
    strict = runner.invoke(cli, ["build", "--strict", "--data", str(data), "--store", str(tmp_path / "s2")])
    assert strict.exit_code == 1 and "strict" in strict.output


BAD_INPUT = {
    "sparql-file-not-utf8": (
        ["sparql", "{tmp}/query.rq"], 2, "Error: Invalid value for SOURCE: {tmp}/query.rq is not UTF-8: byte 0xE9 on line 2"),
    "export-into-a-file": (
        ["export", "lineage", "--fiche", "RNCP35080", "-o", "{tmp}/file/out/lineage.graphml"], 1,
        "Error: cannot create the folder {tmp}/file/out for lineage.graphml: Not a directory"),
    "validate-unknown-fiche": (
        ["validate", "--fiche", "RNCP99999999"], 2, "Error: RNCP99999999 is not in the graph: unknown fiche, nothing to validate"),
    "compare-unknown-fiche": (
        ["compare", "RNCP35080", "RNCP99999999"], 2, "Error: Invalid value for RIGHT: RNCP99999999 is not in the graph"),
    "repeated-parameter": (
        ["query", "lineage/ancestors", "-p", "fiche", "RNCP35080", "-p", "fiche", "RNCP1611"], 2,
        "Error: Invalid value for -p: parameter 'fiche' given twice ('RNCP35080', 'RNCP1611'): it takes one value"),
    # 100 MB of address space cannot even open the store: said before uvicorn starts, not in its traceback.
    "serve-memory-too-low": (
        ["serve", "--worker-memory-mb", "100", "--get", "/queries"], 1,
        "Error: cannot serve {store}: the query worker could not open the store at {store} (100 MB of address space is too little for it"),
}


@pytest.mark.parametrize("case", BAD_INPUT)
def test_bad_input_is_a_one_line_error(case, run, tmp_path, mini_build):
    args, code, error = BAD_INPUT[case]
    (tmp_path / "query.rq").write_bytes('SELECT * WHERE {\n ?s ?p "café" }'.encode("latin-1"))
    (tmp_path / "file").write_text("not a folder")
    result = run(*(arg.format(tmp=tmp_path) for arg in args))
    expected = error.format(tmp=tmp_path, store=mini_build.store)
    # The last line is the error (the serve case ends with the C library's own words, left out here).
    assert (result.exit_code, result.output.splitlines()[-1][:len(expected)]) == (code, expected), result.output
    assert isinstance(result.exception, SystemExit)  # handled by click: no traceback


def test_a_failing_service_call_is_a_one_line_error(run):
    # pyoxigraph refuses to call port 9 (discard): the SERVICE call fails without any connection.
    result = run("sparql", "-", input="SELECT * WHERE { SERVICE <http://127.0.0.1:9/sparql> { ?s ?p ?o } }")
    assert result.exit_code == 1 and isinstance(result.exception, SystemExit), result.output
    [line] = result.output.splitlines()
    assert line.startswith("Error: ")


def test_queries_lists_every_named_query(queries):
    result = CliRunner().invoke(cli, ["queries", "--json"])
    assert result.exit_code == 0, result.output
    assert sorted(json.loads(line)["name"] for line in result.output.splitlines()) == sorted(queries)


def test_store_from_environment(mini_build, monkeypatch):
    monkeypatch.setenv("CERTGRAPH_STORE", str(mini_build.store))
    result = CliRunner().invoke(cli, ["stats", "--json"])
    assert result.exit_code == 0, result.output


class _Reversed:
    """A store answering every query with its rows in reverse order, as an engine that does not
    keep a result's ORDER BY would (Virtuoso was seen to move one row of ``fiche/blocks``)."""

    def __init__(self, store):
        self.store = store

    def query(self, sparql):
        result = self.store.query(sparql)
        result.rows.reverse()
        return result

    def __getattr__(self, name):
        return getattr(self.store, name)


def test_show_reads_a_fiche_in_order_whatever_order_the_engine_returns(mini_store):
    import datetime as dt

    from certgraph.overview import fiche_overview

    day = dt.date(2026, 2, 1)
    expected, reversed_ = fiche_overview(mini_store, "RNCP41296", day), fiche_overview(_Reversed(mini_store), "RNCP41296", day)
    assert [(str(r["code"]), int(str(r["position"]))) for r in expected.blocks[:2]] == [("RNCP41296BC01", 1), ("RNCP41296BC01", 2)]
    assert reversed_.blocks == expected.blocks
    assert len(expected.values) > 5 and reversed_.values == expected.values
