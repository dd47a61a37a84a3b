"""Whole-register validation on a synthetic register with injected defects: the fast SPARQL engine
against pyshacl, and every injected defect found by the shape meant for it."""

from __future__ import annotations

import json

import pytest
from rdflib import Graph

from certgraph.ingest.build import build
from certgraph.store import OxigraphStore, iter_quads_of
from certgraph.synth import write_synthetic_register
from certgraph.validate import validate_pyshacl, validate_store
from certgraph.vocab import fiche_iri

from .conftest import DATA

# The shape each injected defect kind must raise, on the fiche that carries it (the synthetic
# unknown ROME codes start with Z, outside A–N: malformed before being unknown).
SHAPE_OF_DEFECT = {
    "missing_siret": "CertifierSiret",
    "unknown_rome": "RomeCodeMalformed",
    "unknown_nsf": "NsfCodeUnknown",
    "unknown_formacode": "FormacodeUnknown",
    "duplicate_block_code": "BlockOneTitle",
    "dangling_predecessor": "LineageEndDescribed",
    "dangling_successor": "LineageEndDescribed",
}


def synthetic_register(root, fiches: int, defect_rate: float):
    """``fiches`` synthetic fiches (XML), that share of them with one injected defect, built into a store."""
    write_synthetic_register(root / "export", fiches=fiches, seed=7, fmt="xml", defect_rate=defect_rate)
    exports = sorted((root / "export").glob("*.xml"))
    report = build(DATA, root / "store", root / "store.nq", exports=exports)
    defects = json.loads((root / "export" / "defects.json").read_text(encoding="utf-8"))
    return OxigraphStore.open(report.store), defects, report


@pytest.fixture(scope="module")
def synthetic(tmp_path_factory):
    """600 synthetic fiches, 1 in 12 with one injected defect (50 defects)."""
    return synthetic_register(tmp_path_factory.mktemp("synth-600"), 600, 1 / 12)


def test_identical_findings_to_pyshacl_on_the_whole_synthetic_register(tmp_path):
    # pyshacl runs each SPARQL constraint once per focus node on rdflib (about 20 ms each): on 600
    # fiches it takes 7 minutes, so the reference runs on 40 fiches with 3 in 4 defective (every
    # kind of defect is injected), the fast engine on the whole register.
    store, defects, _report = synthetic_register(tmp_path, 40, 3 / 4)
    assert len(defects) == 30 and {d["kind"] for d in defects} == set(SHAPE_OF_DEFECT)
    data = Graph()
    for s, p, o, _g in iter_quads_of(store):
        data.add((s, p, o))
    fast, reference = validate_store(store), validate_pyshacl(data)
    assert fast.findings == reference.findings
    assert len(fast.findings) > 30  # defects were injected: the comparison compares something


def test_every_injected_defect_is_found_by_its_shape(synthetic):
    store, defects, report = synthetic
    assert len(defects) == 50 and {d["kind"] for d in defects} == set(SHAPE_OF_DEFECT)
    findings = {(f.focus, f.shape) for f in validate_store(store).findings}
    missed = [d for d in defects if (str(fiche_iri(d["fiche"])), SHAPE_OF_DEFECT[d["kind"]]) not in findings
              and d["kind"] != "duplicate_block_code"]
    assert missed == []
    # A duplicated block code is also reported by the loader, naming the fiche.
    for defect in (d for d in defects if d["kind"] == "duplicate_block_code"):
        assert any(p.fiche == defect["fiche"] and "duplicate" in p.message.lower() for p in report.problems), defect
