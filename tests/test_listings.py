"""Listings a page at a time, a CLI that answers at once and says when nothing matched, typed values.

Facts on the mini graph: formacode 32154 (and every narrower term) lists 5 rows, EQF level 7 holds
RNCP5385, RNCP28720, RNCP35080 and RNCP41296 (in number order, not text order).
"""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner

from certgraph import cli as cli_module
from certgraph.cli import cli
from certgraph.lineage import lineage
from certgraph.lineage_stats import STEPS, lineage_stats
from certgraph.queries import (
    QueryError,
    count_named,
    json_row,
    parse_named_query,
    python_row,
    run_named,
    to_dataframe,
)

FORMACODE = {"formacode": "32154"}  # 5 rows on the mini graph


@pytest.fixture()
def run(mini_build):
    """The CLI on the mini store; stdout and stderr apart."""
    runner = CliRunner()
    return lambda *args, input=None: runner.invoke(cli, [*args, "--store", str(mini_build.store)], input=input)


def numbers(store, queries, name, **values) -> list[tuple[str, str]]:
    return [(str(row["number"]), str(row.get("code", ""))) for row in run_named(store, queries[name], values).rows]


# ------------------------------------------------------------------ paging in the library


def test_pages_do_not_overlap_and_cover_the_total(mini_store, queries):
    query = queries["codes/by-formacode"]
    everything = numbers(mini_store, queries, "codes/by-formacode", **FORMACODE)
    assert count_named(mini_store, query, FORMACODE) == len(everything) == 5
    pages = [numbers(mini_store, queries, "codes/by-formacode", **FORMACODE, limit="2", offset=str(at)) for at in (0, 2, 4)]
    assert [len(page) for page in pages] == [2, 2, 1]
    assert [row for page in pages for row in page] == everything
    # the count ignores the window it is given
    assert count_named(mini_store, query, {**FORMACODE, "limit": "1", "offset": "3"}) == 5


def test_listings_are_in_number_order(mini_store, queries):
    # As text, RNCP28720 would come before RNCP5385.
    assert [n for n, _ in numbers(mini_store, queries, "fiche/by-level", level="7")] == ["RNCP5385", "RNCP28720", "RNCP35080", "RNCP41296"]
    assert [n for n, _ in numbers(mini_store, queries, "fiche/by-level", level="7", offset="1", limit="2")] == ["RNCP28720", "RNCP35080"]


@pytest.mark.parametrize("values, message", [
    ({"limit": "0"}, "limit='0': expected an integer from 1 to 1,000"),
    ({"limit": "1001"}, "limit='1001': expected an integer from 1 to 1,000"),
    ({"limit": "10 OFFSET 3"}, "limit='10 OFFSET 3'"),
    ({"offset": "-1"}, "offset='-1': expected an integer from 0 to 1,000,000"),
    ({"offset": "1} UNION {"}, "offset='1} UNION {'"),
])
def test_paging_values_are_validated_integers(values, message, queries):
    with pytest.raises(QueryError, match=message.replace("{", r"\{").replace("}", r"\}")):
        queries["fiche/by-level"].bind({"level": "7", **values})


def test_the_binder_writes_the_page_cut_itself(queries):
    text = queries["fiche/by-level"].bind({"level": "7", "limit": " 7", "offset": "30"})
    assert "LIMIT 7 OFFSET 30" in text and "LIMIT 100" not in text
    assert "LIMIT 100" in queries["fiche/by-level"].bind({"level": "7"})
    assert "OFFSET" not in queries["fiche/by-level"].bind({"level": "7", "offset": "0"})
    with pytest.raises(QueryError, match="unknown parameter"):
        queries["lineage/ancestors"].bind({"fiche": "RNCP35080", "limit": "5"})


def test_a_paged_query_cuts_its_page_with_its_declared_limit(tmp_path: Path):
    path = tmp_path / "t.rq"
    path.write_text("#+ summary: t\n#+ page: {limit: 50, max: 100}\nSELECT ?s WHERE { ?s ?p ?o } LIMIT 100\n")
    with pytest.raises(QueryError, match=rf"{path}:1: a paged query cuts its page with one LIMIT 50"):
        parse_named_query(path, "t")
    path.write_text("#+ summary: t\n#+ page: {limit: 50}\nSELECT ?s WHERE { ?s ?p ?o } LIMIT 50\n")
    with pytest.raises(QueryError, match="page must be"):
        parse_named_query(path, "t")


def test_every_listing_declares_its_page(queries):
    listings = {"codes/by-rome", "codes/by-nsf", "codes/by-formacode", "fiche/by-level", "fiche/by-certifier",
                "occupations/fiches-of-esco", "search/competencies", "lineage/suggested"}
    assert {name for name, query in queries.items() if query.page} == listings


# ------------------------------------------------------------------ the CLI


def test_the_footer_says_how_many_and_where_the_next_page_starts(run):
    first = run("query", "codes/by-formacode", "-p", "formacode", "32154", "--limit", "2")
    assert first.exit_code == 0, first.output
    assert first.stderr == "2 of 5 — use --offset 2\n"
    assert len(first.stdout.splitlines()) == 2
    last = run("query", "codes/by-formacode", "-p", "formacode", "32154", "--limit", "2", "--offset", "4", "--csv")
    assert last.stderr == "rows 5–5 of 5\n" and last.stdout.splitlines()[0] == "fiche,number,code,title"
    whole = run("query", "codes/by-formacode", "-p", "formacode", "32154")
    assert whole.exit_code == 0 and whole.stderr == ""  # the whole listing: nothing to say
    assert run("query", "lineage/ancestors", "-p", "fiche", "RNCP35080", "--limit", "2").exit_code == 2


def test_no_match_is_said_and_exits_1(run):
    rome = run("query", "codes/by-rome", "-p", "rome", "K9999")
    assert (rome.exit_code, rome.stdout, rome.stderr) == (1, "", "no match: codes/by-rome has no row for rome=K9999\n")
    csv_out = run("query", "codes/by-rome", "-p", "rome", "K9999", "--csv")
    assert (csv_out.exit_code, csv_out.stdout) == (1, "fiche,number,code,title\n")  # the header stays
    search = run("search", "zzzzqq")
    assert (search.exit_code, search.stdout) == (1, "") and search.stderr.startswith("no match")
    sparql = run("sparql", "-", input="SELECT ?s WHERE { ?s cg:number 'RNCP0' }")
    assert sparql.exit_code == 1 and "no match" in sparql.stderr
    ask = run("sparql", "-", input="ASK { ?s cg:number 'RNCP0' }")
    assert (ask.exit_code, ask.stdout) == (0, '{"boolean": false}\n')  # an answer, not a miss


def test_did_you_mean(run):
    query = run("query", "lineage/ancestor", "-p", "fiche", "RNCP35080")
    assert query.exit_code == 2 and "Did you mean 'lineage/ancestors'" in query.stderr
    fiche = run("lineage", "RNCP35081")
    assert fiche.exit_code == 1 and fiche.stderr == "Error: RNCP35081 is not in the graph. Did you mean 'RNCP35080'?\n"
    option = run("lineage", "RNCP35080", "--as-off", "2024-01-01")
    assert option.exit_code == 2 and "Did you mean '--as-of'?" in option.stderr  # click's own
    command = CliRunner().invoke(cli, ["linage", "RNCP35080"])
    assert command.exit_code == 2 and "Did you mean 'lineage'" in command.stderr


def test_a_sparql_error_is_one_line_with_its_position(run):
    result = run("sparql", "-", input="PREFIX cg: <https://w3id.org/certgraph/ontology#>\nSELECT * WHERE {\n  ?s foo:bar ?o }")
    assert result.exit_code == 1
    assert result.stderr == "Error: SPARQL syntax error at line 3, column 13: prefix foo: is not declared (add PREFIX foo: <…>)\n"
    broken = run("sparql", "-", input="SELECT ?s WHERE { ?s ?p ?o")
    [line] = broken.stderr.splitlines()
    assert line.startswith("Error: SPARQL syntax error at line 1, column") and "\\u{" not in line


def test_sparql_knows_the_projects_prefixes(run):
    # cg: and dcterms: undeclared; the error positions stay those of the text as written
    result = run("sparql", "-", "--csv", input='SELECT ?title WHERE { ?f cg:number "RNCP35080" ; dcterms:title ?title }')
    assert result.exit_code == 0, result.output
    assert "Manager d'organismes à vocation sociale et culturelle en économie sociale et solidaire" in result.stdout
    declared = run("sparql", "-", input='PREFIX cg: <urn:other#>\nSELECT ?f WHERE { ?f cg:number "RNCP35080" }')
    assert declared.exit_code == 1  # its own cg: is kept, and means something else here


def test_export_takes_several_files_after_one_option(tmp_path):
    a, b, c = (tmp_path / name for name in ("a.xml", "b.xml", "c.xml"))
    for path in (a, b, c):
        path.write_text("<x/>")
    build = cli.commands["build"]
    context = build.make_context("build", ["--export", str(a), str(b), "--export", str(c)])
    assert (*context.params["exports"], *context.params["more_exports"]) == (a, c, b)


def test_the_cli_module_imports_no_heavy_library():
    code = "import sys, certgraph.cli; print(sorted({m.split('.')[0] for m in sys.modules} & {'rdflib', 'networkx', 'scipy', 'numpy', 'httpx', 'starlette', 'pyoxigraph', 'yaml'}))"
    assert subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout == "[]\n"


def hello_command():
    """A command of another module, for the lazy registration test."""


def test_a_command_of_another_module_is_registered_with_one_line(monkeypatch):
    import click

    monkeypatch.setitem(cli_module.LAZY_COMMANDS, "hello", "tests.test_listings:HELLO")
    result = CliRunner().invoke(cli, ["hello", "--name", "RNCP"])
    assert (result.exit_code, result.stdout) == (0, "hello RNCP\n")
    assert "hello" in CliRunner().invoke(cli, ["--help"]).stdout
    assert isinstance(cli.commands["hello"], click.Command)
    cli.commands.pop("hello")


def _hello():
    import click

    @click.command()
    @click.option("--name")
    def hello(name):
        """Say hello."""
        click.echo(f"hello {name}")

    return hello


HELLO = _hello()


def test_lineage_stats_tells_its_steps(mini_store):
    steps = []
    lineage_stats(mini_store, progress=steps.append)
    assert steps == list(STEPS)


# ------------------------------------------------------------------ typed values


def test_json_values_are_typed(run):
    lines = [json.loads(line) for line in run("query", "lineage/members", "-p", "fiche", "RNCP35080").stdout.splitlines()]
    by_number = {row["number"]: row for row in lines}
    assert (by_number["RNCP1611"]["level"], by_number["RNCP1611"]["active"], by_number["RNCP1611"]["endDate"]) == (6, False, "2006-12-31")
    as_json = json.loads(run("lineage", "RNCP35080", "--json").stdout)
    member = next(m for m in as_json["members"] if m["number"] == "RNCP5385")
    assert (member["level"], member["active"], member["end_date"]) == (7, False, "2017-08-22")
    assert member["registrations"][0]["actDate"] == "2007-03-30"


def test_stats_json_keys_are_snake_case(run):
    stats = json.loads(run("stats", "--json", "--as-of", "2026-12-03").stdout)
    assert stats["as_of"] == "2026-12-03"
    assert (stats["lineage_links"], stats["rncp_certifications_with_a_title"], stats["certifications_in_force"]) == (5, 4, 1)
    assert all(key == key.lower() and " " not in key for key in stats)


def test_the_python_api_gives_int_bool_and_date(mini_store, queries):
    found = lineage(mini_store, queries, "RNCP35080", dt.date(2026, 12, 3))
    member = next(m for m in found.members.values() if m.number == "RNCP5385")
    assert (member.level, member.active, member.end_date) == (7, False, dt.date(2017, 8, 22))
    assert member.registrations[0]["actDate"] == dt.date(2007, 3, 30)
    rows = run_named(mini_store, queries["lineage/members"], {"fiche": "RNCP35080"}).rows
    typed = [python_row(row, queries["lineage/members"].columns) for row in rows]
    assert {type(row["level"]) for row in typed if "level" in row} == {int}
    assert {type(row["endDate"]) for row in typed if "endDate" in row} == {dt.date}
    assert json_row({"d": dt.date(2024, 1, 31), "b": "false"}, {"b": "boolean"}) == {"d": "2024-01-31", "b": False}
    # the networkx view of the lineage is still there, built when asked for
    assert found.graph.number_of_edges() == len(found.links) == 4


def test_to_dataframe(mini_store, queries):
    pytest.importorskip("pandas")
    query = queries["lineage/members"]
    frame = to_dataframe(run_named(mini_store, query, {"fiche": "RNCP35080"}), query)
    assert list(frame.columns) == ["member", "number", "title", "level", "effectDate", "endDate", "active", "activeAsOf", "certifier"]
    assert sorted(frame["level"].dropna().astype(int)) == [6, 7, 7, 7]


# ------------------------------------------------------------------ the JSON API


def test_the_json_api_pages_and_gives_the_total(mini_server):
    answer = httpx.get(f"{mini_server}/queries/codes/by-formacode", params={**FORMACODE, "limit": "2", "offset": "2"})
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert (body["total"], body["limit"], body["offset"], len(body["rows"])) == (5, 2, 2, 2)
    assert answer.headers["X-Total-Count"] == "5"
    assert httpx.get(f"{mini_server}/queries/codes/by-formacode", params={**FORMACODE, "limit": "5000"}).status_code == 400
    assert httpx.get(f"{mini_server}/queries/lineage/ancestors", params={"fiche": "RNCP35080", "limit": "2"}).status_code == 400
    listing = {q["name"]: q for q in httpx.get(f"{mini_server}/queries").json()}
    assert listing["fiche/by-level"]["page"] == {"limit": 100, "max": 1000} and "page" not in listing["lineage/ancestors"]
    members = httpx.get(f"{mini_server}/queries/lineage/members", params={"fiche": "RNCP35080"}).json()["rows"]
    assert {(row["number"], row.get("level"), row.get("active")) for row in members} >= {("RNCP1611", 6, False)}
