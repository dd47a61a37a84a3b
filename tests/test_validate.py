"""Validation: the shapes on the seed facts, the fast engine against pyshacl, the exit codes."""

from __future__ import annotations

import pytest
from rdflib import Graph
from rdflib.namespace import RDF, SH

from certgraph.store import iter_quads_of
from certgraph.validate import ValidationError, load_constraints, validate_pyshacl, validate_store


def test_seed_fiches_raise_only_the_expected_warnings(mini_store):
    report = validate_store(mini_store)
    # The 2017 page names CNAM without a SIRET, and no table of that fiche gives one.
    assert [(f.severity, f.shape, f.message) for f in report.about("RNCP28720").findings] == [
        ("Warning", "CertifierSiret", "certifier Conservatoire national des arts et métiers (CNAM) has no SIRET")
    ]
    assert report.about("RNCP35080").findings == []
    found = {(f.severity, f.shape, f.message) for f in report.about("RNCP41296").findings}
    assert found == {
        ("Warning", "RomeCodeDomainOnly", "ROME code K1800 is only a domain (K18), not a ROME fiche"),
        ("Warning", "TitleKnown", "no title in any loaded source"),
    }
    assert report.conforms


def test_fast_engine_finds_exactly_what_pyshacl_finds(mini_store):
    data = Graph()
    for s, p, o, _g in iter_quads_of(mini_store):
        data.add((s, p, o))
    reference = validate_pyshacl(data)
    fast = validate_store(mini_store)
    assert fast.findings == reference.findings
    assert len(fast.findings) == 5  # the comparison compares something: 2 titles, a level, a SIRET, a ROME code


def test_every_constraint_is_loaded():
    shapes = {c.shape for c in load_constraints()}
    assert shapes == {
        "FicheNumber", "OneLevel", "LevelKnown", "TitleKnown", "RomeCodeMalformed", "RomeCodeDomainOnly", "RomeCodeUnknown",
        "NsfCodeMalformed", "NsfCodeDomainOnly", "NsfCodeUnknown", "FormacodeMalformed", "FormacodeUnknown",
        "DateTyped", "EndNotBeforeEffect", "LineageAcyclic", "LineageAsserted", "BlockOfItsFiche", "Siret",
        "CertifierSiret", "LineageEndDescribed", "BlockOneTitle", "FlagAgreesWithDates", "StatedSuccessorUnsupported"}


def test_report_is_rdf(mini_store):
    graph = validate_store(mini_store).about("RNCP41296").to_graph()
    assert len(set(graph.subjects(RDF.type, SH.ValidationResult))) == 2
    messages = {str(m) for m in graph.objects(None, SH.resultMessage)}
    assert "ROME code K1800 is only a domain (K18), not a ROME fiche" in messages


def test_demo_graph_findings_are_summarised_and_real_defects_reported(demo_store):
    report = validate_store(demo_store)
    summary = {(shape, severity): count for shape, severity, count in report.summary()}
    # Fiches known only from tables without titles or levels (no 2026 Standard table) are warnings.
    assert summary[("TitleKnown", "Warning")] == 7_202
    assert summary[("LevelKnown", "Warning")] == 3_892
    assert not any(sev == "Violation" and shape in ("TitleKnown", "LevelKnown") for shape, sev in summary)
    # The national lineage tables contain real cycles: reported, never hidden.
    cycles = [f for f in report.findings if f.shape == "LineageAcyclic"]
    assert len(cycles) == 2 and all(f.severity == "Violation" for f in cycles)
    assert not report.conforms
    assert report.about("RNCP35080").findings == []
    # The 2021 extract's own flag contradicts its own dates for 107 fiches (70 "active" after their end)
    flags = [f for f in report.findings if f.shape == "FlagAgreesWithDates"]
    assert (len(flags), {f.severity for f in flags}) == (107, {"Warning"})
    assert sum(f.message.startswith("active True on 2021-01-06") for f in flags) == 70
    assert {f.fiche for f in flags} >= {"RNCP1143"}  # a finding about a claim is about its fiche
    assert "active True on 2021-01-06 contradicts the same source's dates (end 2020-12-31)" in {
        f.message for f in report.about("RNCP1143").findings}


def test_an_unknown_fiche_is_an_error_not_a_conforming_fiche(mini_store):
    with pytest.raises(ValidationError, match="^RNCP99999999 is not in the graph: unknown fiche, nothing to validate$"):
        validate_store(mini_store, fiche="RNCP99999999")


def test_validating_one_fiche_finds_what_the_whole_run_finds_about_it(mini_store):
    whole = validate_store(mini_store)
    for fiche in ("RNCP41296", "RNCP41336", "RNCP35080"):
        assert validate_store(mini_store, fiche=fiche).findings == whole.about(fiche).findings
