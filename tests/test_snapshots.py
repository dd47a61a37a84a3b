"""Snapshots and change sets, on the real pair of exports (2024-01-17 and 2026-02-01)."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner
from rdflib import Graph, Literal

from certgraph.cli import cli
from certgraph.queries import run_named
from certgraph.records import Certifier, CodeRef, Fiche, LineageRef
from certgraph.ingest.snapshots import SnapshotError, content_hash, diff, fiche_state, read_snapshot
from certgraph.vocab import CG, fiche_iri

from .conftest import DATA

OLD = DATA / "rncp/rpa-data-collector-export-2024-01-17"
NEW = DATA / "rncp/hackathon-export-2026-02-01"


@pytest.fixture(scope="module")
def real_changes():
    """The change set between the two real exports (about 10 s to read both)."""
    return diff(read_snapshot(OLD), read_snapshot(NEW))


def test_the_hash_ignores_order_and_labels_but_not_content():
    a = Fiche("RNCP1", rome=[CodeRef("M1607", "Secrétariat"), CodeRef("K1403")])
    b = Fiche("RNCP1", rome=[CodeRef("K1403", "Management"), CodeRef("M1607")])
    assert content_hash(a) == content_hash(b)
    b.successors.append(LineageRef("RNCP2"))
    assert content_hash(a) != content_hash(b)
    # Restricted to the fields a snapshot covers, the lineage difference no longer counts.
    assert content_hash(a, {"rome"}) == content_hash(b, {"rome"})
    assert fiche_state(b, {"rome", "successors"}) == {"rome": ["K1403", "M1607"], "successors": ["RNCP2"]}


def test_the_real_pair_is_compared_on_the_tables_both_exports_hold(real_changes):
    # 2024 has Blocs but no Rome/Nsf/Formacode; 2026 the reverse: only these four fields are common.
    assert sorted(real_changes.fields) == ["ccn", "certifiers", "predecessors", "successors"]
    summary = dict(real_changes.summary())
    assert summary["fiches added"] == 4317
    assert summary["fiches removed"] == 1
    assert real_changes.removed == ["RS5988"]
    assert summary["fiches changed"] == 3477
    assert summary["fiches unchanged"] == 13377
    assert summary["lineage links added"] == 3400
    assert summary["lineage links dropped"] == 13
    assert summary["certifiers added to a fiche"] == 1012
    assert summary["certifiers removed from a fiche"] == 629


def test_real_lineage_and_certifier_changes(real_changes):
    # 2026 names RNCP39707 as RNCP230's new certification; 2024 did not know it yet.
    assert ("RNCP230", "RNCP39707") in real_changes.lineage_added
    # 2024 linked RNCP872 straight to RNCP37897; 2026 only through RNCP35700.
    assert ("RNCP872", "RNCP37897") in real_changes.lineage_dropped
    assert ("RNCP872", "RNCP35700") not in real_changes.lineage_dropped
    # Université Grenoble Alpes certified RNCP20170 under two SIRETs in 2024, one in 2026.
    removed = [c for c in real_changes.certifiers if c.number == "RNCP20170"]
    assert [(c.kind, c.key, c.name) for c in removed] == [("removed", "13002139700091", "UNIVERSITE GRENOBLE ALPES")]
    changed = {c.number: c.fields for c in real_changes.changed}
    assert changed["RNCP20170"] == ("certifiers", "successors")


def test_the_change_set_as_rdf(real_changes):
    graph = Graph()
    for s, p, o, _g in real_changes.quads():
        graph.add((s, p, o))
    dropped = [
        item for item in graph.subjects(CG.changeKind, Literal("dropped"))
        if (item, CG.replaced, fiche_iri("RNCP872")) in graph
    ]
    assert len(dropped) == 1 and (dropped[0], CG.replacedBy, fiche_iri("RNCP37897")) in graph
    removed = next(graph.subjects(CG.fiche, fiche_iri("RS5988")))
    assert (removed, CG.changeKind, Literal("removed")) in graph


def test_diff_command_json_and_turtle():
    runner = CliRunner()
    result = runner.invoke(cli, ["diff", str(OLD), str(NEW), "--field", "certifiers", "--json"])
    assert result.exit_code == 0, result.output
    assert result.stderr == ""  # no input problem to list
    data = json.loads(result.output)
    assert data["compared_fields"] == ["certifiers"]
    assert data["old"]["issued"] == "2024-01-17" and data["new"]["issued"] == "2026-02-01"
    assert data["summary"]["certifiers removed from a fiche"] == 629
    assert data["lineage_added"] == []


def test_an_export_not_read_in_full_is_no_snapshot(tmp_path):
    # A 0-byte zip once diffed as "nothing changed": its fiches were simply not there.
    empty = tmp_path / "export-fiches-csv-2026-02-01.zip"
    empty.write_bytes(b"")
    with pytest.raises(SnapshotError) as refused:
        read_snapshot(empty)
    assert str(refused.value) == f"export not read in full: {empty}: unreadable zip: File is not a zip file"


@pytest.fixture
def tiny_pair(tmp_path):
    """Two tiny exports of the Certificateurs table: one certifier replaced, one fiche added."""
    header = '"Numero_Fiche";"Siret_Certificateur";"Nom_Certificateur"\n'
    old, new = tmp_path / "old", tmp_path / "new"
    old.mkdir(), new.mkdir()
    (old / "export_fiches_CSV_Certificateurs_2025_01_01.csv").write_text(
        header + '"RNCP1";"11111111111111";"A"\n', encoding="utf-8")
    (new / "export_fiches_CSV_Certificateurs_2025_06_01.csv").write_text(
        header + '"RNCP1";"22222222222222";"B"\n"RS2";"33333333333333";"C"\n', encoding="utf-8")
    return old, new


def test_diff_command_turtle(tiny_pair):
    result = CliRunner().invoke(cli, ["diff", *map(str, tiny_pair), "--turtle"])
    assert result.exit_code == 0, result.output
    graph = Graph().parse(data=result.output, format="turtle")
    kinds = sorted(str(o) for o in graph.objects(None, CG.changeKind))
    # RNCP1 changed (certifiers), RS2 added; one certifier added to RNCP1, one removed.
    assert kinds == ["added", "added", "changed", "removed"]


def test_diff_command_table(tiny_pair):
    old, new = tiny_pair
    result = CliRunner().invoke(cli, ["diff", str(old), str(new)])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0] == "2025-01-01 → 2025-06-01, compared fields: certifiers"
    assert "added              RS2" in result.output
    assert "certifier added    RNCP1  22222222222222 B" in result.output
    assert "certifier removed  RNCP1  11111111111111 A" in result.output


def test_what_the_register_said_at_a_date(mini_store, queries):
    query = queries["snapshot/fiche-at"]

    def said(date):
        rows = run_named(mini_store, query, {"fiche": "RNCP35080", "date": date}).rows
        return {(str(r["issued"]), str(r["property"]), str(r.get("valueLabel") or "")) for r in rows}

    # In January 2024 the register did not know RNCP35080's successor yet; in 2026 it did.
    in_2025 = said("2025-01-01")
    assert {issued for issued, _, _ in in_2025} == {"2024-01-17"}
    assert ("2024-01-17", "statedPredecessor", "RNCP28720") in in_2025
    assert not any(prop == "statedSuccessor" for _, prop, _ in in_2025)
    in_2026 = said("2026-03-01")
    assert ("2026-02-01", "statedSuccessor", "RNCP41336") in in_2026
    assert ("2026-02-01", "certifier", "CONSERVATOIRE NATIONAL DES ARTS ET METIERS") in in_2026
    assert said("2023-12-31") == set()


def test_every_export_loaded_is_a_snapshot(mini_build):
    assert mini_build.snapshots == ["2024-01-17", "2026-02-01"]


def test_snapshot_hash_is_what_the_state_records(mini_store):
    rows = mini_store.query("""
        PREFIX cg: <https://w3id.org/certgraph/ontology#>
        SELECT ?hash WHERE { ?s cg:stateOf <https://w3id.org/certgraph/id/rncp/35080> ;
          cg:inSnapshot <https://w3id.org/certgraph/id/snapshot/2026-02-01> ; cg:contentHash ?hash }
    """).rows
    snapshot = read_snapshot(NEW)
    fiche = snapshot.fiches["RNCP35080"]
    assert [str(r["hash"]) for r in rows] == [content_hash(fiche, snapshot.fields_by_fiche["RNCP35080"])]
    assert fiche.certifiers == [Certifier("CONSERVATOIRE NATIONAL DES ARTS ET METIERS", "19753471200017")]
