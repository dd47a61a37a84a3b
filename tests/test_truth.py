"""Truth over time on the real register (the demo graph): statuses with their dates, the newest source wins,
superseded links, Certif Info's titles, numbers as users type them."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from click.testing import CliRunner

from certgraph.cli import cli
from certgraph.lineage import lineage
from certgraph.lineage_stats import lineage_stats
from certgraph.queries import run_named
from certgraph.store import to_python

TODAY = dt.date(2026, 12, 3)


@pytest.fixture(scope="module")
def run(demo_build):
    runner = CliRunner()

    def invoke(*args):
        return runner.invoke(cli, [*args, "--store", str(demo_build.store)])

    return invoke


def test_rncp35080_ended_in_2025_was_in_force_in_2024_and_is_now_rncp41336(demo_store, queries):
    now = lineage(demo_store, queries, "RNCP35080", TODAY)
    member = next(m for m in now.members.values() if m.number == "RNCP35080")
    assert member.end_date == dt.date(2025, 11, 18)
    assert member.status.in_force is False and member.status.describe(TODAY) == "ended on 2025-11-18"
    assert [m.number for m in now.current] == ["RNCP41336"]
    then = lineage(demo_store, queries, "RNCP35080", dt.date(2024, 1, 1))
    assert then.members[member.iri].status.in_force is True
    assert [m.number for m in then.current] == ["RNCP35080"]
    # RNCP41336 has no title in any source, but its certifier is known
    successor = next(m for m in now.members.values() if m.number == "RNCP41336")
    assert successor.title is None and successor.certifier == "CONSERVATOIRE NATIONAL DES ARTS ET METIERS"


def test_lineage_command_says_when_each_fiche_is_in_force_and_names_the_current_equivalent(run):
    result = run("lineage", "RNCP35080", "--as-of", "2026-12-03")
    assert result.exit_code == 0, result.output
    out = result.output
    assert "Lineage of RNCP35080 on 2026-12-03: 5 certifications, 4 links" in out
    assert "             level 7, ended on 2025-11-18\n" in out
    assert "  RNCP41336  (no source gives a title; certifier CONSERVATOIRE NATIONAL DES ARTS ET METIERS)\n" in out
    assert "Current equivalent on 2026-12-03: RNCP41336 " in out
    assert "not in the loaded sources" not in out
    # Certif Info's RNCP5385 -> RNCP35080 skips a generation: the 2026 table supersedes it
    assert ("  RNCP5385 → RNCP35080 (asserted by RNCP35080; superseded by "
            "fc-export-2026-02-01-ancienne-nouvelle-certification)") in out
    assert " active" not in out.replace("inactive per the register of", "")


def test_the_2026_08_xml_wins_over_the_2021_extract(demo_store, queries, run):
    rows = run_named(demo_store, queries["fiche/summary"], {"fiche": "RNCP34762", "asOf": "2026-12-03"}).rows
    ends = {str(r["source"]).rsplit("/", 1)[-1]: (str(r["value"]), to_python(r["reconciled"])) for r in rows
            if str(r["field"]) == "endDate"}
    assert ends == {"fc-xml-2026-08-16-rncp": ("2024-08-31", True), "rncp-info-2021": ("2025-08-31", False)}
    assert {to_python(r["inForce"]) for r in rows} == {False}
    show = run("show", "RNCP34762", "--as-of", "2026-12-03")
    assert show.output.startswith("RNCP34762 on 2026-12-03: ended on 2024-08-31\n")


def test_the_2021_reverse_link_is_superseded_and_the_current_lineage_has_no_cycle(demo_store, queries):
    result = lineage(demo_store, queries, "RNCP25857", TODAY)
    numbers = {iri: m.number for iri, m in result.members.items()}
    edges = {(numbers[a], numbers[b]) for a, b in result.graph.edges}
    assert ("RNCP25857", "RNCP28353") in edges and ("RNCP28353", "RNCP25857") not in edges
    assert [(numbers.get(old), numbers.get(new), by.rsplit("/", 1)[-1]) for old, new, _, by in result.superseded] == [
        ("RNCP28353", "RNCP25857", "fc-export-2026-02-01-ancienne-nouvelle-certification")
    ]
    stats = lineage_stats(demo_store, as_of=TODAY)
    assert stats.cycles == [] and stats.cyclic_lineages == 0
    assert stats.superseded_links == 377  # 21 links of the 2021 extract, 356 of Certif Info


def test_titles_from_certif_info_and_the_coverage_in_stats(demo_build, run):
    coverage = demo_build.coverage
    assert coverage == {
        "rncp": {"fiches": 24782, "title": 20892, "level": 20890},
        "rs": {"fiches": 4625, "title": 1313, "level": 0},
    }
    # without Certif Info, 17,388 fiches had a title (17,380 RNCP, 8 RS): 4,817 more
    assert coverage["rncp"]["title"] + coverage["rs"]["title"] - 17_388 == 4_817
    stats = json.loads(run("stats", "--json", "--as-of", "2026-12-03").output)
    assert stats["rncp_certifications_with_a_title"] == 20892 and stats["rs_certifications_with_a_title"] == 1313
    assert stats["superseded_lineage_links"] == 377
    assert stats["fields_the_sources_disagree_on"] == demo_build.conflicts


def test_no_fiche_is_reported_in_force_after_its_reconciled_end(demo_store, run):
    # every fiche the stats call in force ends on or after the day; the flag of 2021 is never used
    ended = json.loads(run("stats", "--json", "--as-of", "2026-12-03").output)
    assert ended["as_of"] == "2026-12-03"
    in_force = ended["certifications_in_force"]
    rows = demo_store.query("""
        PREFIX cg: <https://w3id.org/certgraph/ontology#>
        SELECT (COUNT(*) AS ?n) WHERE { GRAPH <https://w3id.org/certgraph/graph/derived/current> {
          ?f cg:endDate ?end OPTIONAL { ?f cg:effectDate ?effect }
          FILTER(?end >= "2026-12-03"^^<http://www.w3.org/2001/XMLSchema#date>
                 && (!BOUND(?effect) || ?effect <= "2026-12-03"^^<http://www.w3.org/2001/XMLSchema#date>)) } }
    """).rows
    assert in_force == int(to_python(rows[0]["n"]))
    flagged = demo_store.query("""
        PREFIX cg: <https://w3id.org/certgraph/ontology#>
        SELECT (COUNT(*) AS ?n) WHERE { GRAPH <https://w3id.org/certgraph/graph/derived/current> {
          ?f cg:active true ; cg:endDate ?end FILTER(?end < "2026-12-03"^^<http://www.w3.org/2001/XMLSchema#date>) } }
    """).rows
    # 4,483 fiches the 2021 table flags "active" ended before the day: none of them is shown in force
    assert int(to_python(flagged[0]["n"])) == 4_483


def test_bare_numbers_are_read_as_rncp_and_said_so(run):
    result = run("show", "35080", "--as-of", "2026-12-03")
    assert result.exit_code == 0, result.output
    assert "35080: read as RNCP35080" in result.output and "RNCP35080 on 2026-12-03: ended on 2025-11-18" in result.output
    # RS7485 exists, RNCP7485 does not: the number is read as RS7485
    assert "7485: read as RS7485" in run("show", "7485").output


def test_a_number_of_both_registers_must_be_said(run):
    result = run("show", "5385")  # RNCP5385 and RS5385 both exist in the demo graph
    assert result.exit_code == 2
    assert "5385 is both RNCP5385 and RS5385: say which" in result.output
