"""The build: bad input is reported and never loses the good records; --strict fails; rebuilds are idempotent."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from certgraph.ingest.build import BuildError, build
from certgraph.store import OxigraphStore
from certgraph.validate import validate_store

from .conftest import DATA, write_manifest

SEED_35080 = DATA / "seeds" / "001_2cad529828dd26d0.txt"
SEED_41296 = DATA / "seeds" / "003_4fd9b141afc500df.txt"
ROME_HEADER = '"Numero_Fiche";"Codes_Rome_Code";"Codes_Rome_Libelle"\n'


def broken_folder(root: Path) -> Path:
    """A data folder with one good page, one truncated page and a broken CSV export."""
    data = root / "data"
    (data / "pages").mkdir(parents=True)
    shutil.copy(SEED_41296, data / "pages" / "good.txt")
    text = SEED_35080.read_text(encoding="utf-8")
    (data / "pages" / "truncated.txt").write_text(text[: text.index("RNCP35080BC03")], encoding="utf-8")
    export = data / "export"
    export.mkdir()
    (export / "export_fiches_CSV_Rome_2026_02_01.csv").write_text(
        ROME_HEADER + '"RNCP41296";"K1403";"Management"\n"RNCP41296";"Z9999";"Inconnu"\n"RNCPXYZ";"K1403";"x"\n'
        '"RNCP41296";"K14 03";"espace"\n', encoding="utf-8")
    (export / "export_fiches_CSV_Nsf_2026_02_01.csv").write_text(
        '"Numero_Fiche","Nsf_Code","Nsf_Intitule"\n"RNCP41296","332n","332n : Expertise"\n', encoding="utf-8")
    (export / "export_fiches_CSV_Certificateurs_2026_02_01.csv").write_text(
        '"Numero_Fiche";"Siret_Certificateur";"Nom_Certificateur";"Colonne_Inconnue"\n"RNCP41296";"\t32949147600019";"ASSOCIATION SAINTE ANNE";"?"\n', encoding="utf-8")
    (export / "export_fiches_CSV_Standard_2026_02_01.csv").write_text(
        '"Id_Fiche";"Numero_Fiche";"Intitule";"Abrege_Libelle";"Abrege_Intitule";"Nomenclature_Europe_Niveau";"Nomenclature_Europe_Intitule";'
        '"Accessible_Nouvelle_Caledonie";"Accessible_Polynesie_Francaise";"Date_dernier_jo";"Date_Decision";"Date_Fin_Enregistrement";'
        '"Date_Effet";"Type_Enregistrement";"Validation_Partielle";"Actif"\n'
        '"1";"RNCP41296";"Manager en organisation de solidarité";"TP";"Titre";"NIV7";"Niveau 7";"Non";"Non";"";"";"31/02/2028";"";"";"";"ACTIVE"\n',
        encoding="utf-8")
    write_manifest(data, [
        {"reader": "fiche_page", "path": "pages/good.txt", "key": "good", "title": "good page"},
        {"reader": "fiche_page", "path": "pages/truncated.txt", "key": "truncated", "title": "truncated page"},
        {"reader": "fc_export", "path": "export"},
        {"reader": "fiche_page", "path": "pages/absent.txt", "key": "absent", "title": "listed but missing"},
    ])
    return data


def test_bad_input_is_reported_and_good_records_load(tmp_path):
    report = build(broken_folder(tmp_path), tmp_path / "store")
    messages = [str(p) for p in report.problems]

    def reported(*words):
        return [m for m in messages if all(w in m for w in words)]

    assert reported("pages/truncated.txt", "RNCP35080"), messages
    assert reported("export_fiches_CSV_Nsf_2026_02_01.csv"), messages  # wrong delimiter
    assert reported("export_fiches_CSV_Certificateurs_2026_02_01.csv", "Colonne_Inconnue"), messages
    assert reported("export_fiches_CSV_Standard_2026_02_01.csv:2", "RNCP41296"), messages  # 31/02/2028
    assert reported("export_fiches_CSV_Rome_2026_02_01.csv:4"), messages  # RNCPXYZ
    assert reported("pages/absent.txt", "missing"), messages
    store = OxigraphStore.open(report.store)
    title = store.query('PREFIX dcterms: <http://purl.org/dc/terms/> SELECT DISTINCT ?t WHERE { <https://w3id.org/certgraph/id/rncp/41296> dcterms:title ?t }')
    assert title.values("t") == ["Manager en organisation de solidarité"]
    blocks = store.query('PREFIX dcterms: <http://purl.org/dc/terms/> SELECT ?b WHERE { ?b dcterms:isPartOf <https://w3id.org/certgraph/id/rncp/35080> }')
    assert len(blocks.rows) == 2  # the truncated page still gives the blocks before the cut
    certifier = store.query('PREFIX cg: <https://w3id.org/certgraph/ontology#> SELECT ?o WHERE { <https://w3id.org/certgraph/id/rncp/41296> cg:certifier ?o }')
    assert set(certifier.values("o")) == {"https://w3id.org/certgraph/id/org/siret/32949147600019"}
    # The unknown ROME code loads, and validation names it.
    findings = validate_store(store).about("RNCP41296").findings
    unknown = [f for f in findings if "Z9999" in f.message]
    assert unknown and unknown[0].severity == "Violation"
    # A code that cannot be an IRI segment as it is still links, percent-encoded, and is reported.
    assert [f.severity for f in findings if "K14%2003" in f.message] == ["Violation"]


def test_strict_build_fails_and_keeps_the_previous_store(tmp_path):
    data = broken_folder(tmp_path)
    good = build(data, tmp_path / "store")
    before = len(OxigraphStore.open(good.store))
    with pytest.raises(BuildError) as failed:
        build(data, tmp_path / "store", strict=True)
    # all 8 problems of its inputs are counted, and the first one is named
    assert str(failed.value) == (
        "8 problem(s) in the inputs of this build (strict build); first: pages/absent.txt: input listed in "
        "manifest.yaml is missing"
    )
    assert len(OxigraphStore.open(tmp_path / "store")) == before


def test_rebuild_is_idempotent(mini_data, mini_build, tmp_path):
    again = build(mini_data, tmp_path / "store", tmp_path / "again.nq")
    assert again.quads == mini_build.quads
    assert sorted(again.dump.read_text(encoding="utf-8").splitlines()) == sorted(mini_build.dump.read_text(encoding="utf-8").splitlines())


def test_build_refuses_to_overwrite_a_folder_that_is_not_a_store(tmp_path, mini_data):
    target = tmp_path / "precious"
    target.mkdir()
    (target / "notes.txt").write_text("mine")
    with pytest.raises(BuildError, match="not a certgraph store"):
        build(mini_data, target)
    assert (target / "notes.txt").read_text() == "mine"


def test_partial_export_says_what_is_missing(demo_build):
    assert "rncp/hackathon-export-2026-02-01: Standard" in demo_build.missing
    assert "rncp/hackathon-export-2026-02-01: Blocs_De_Compétences" in demo_build.missing
    assert demo_build.fiches == 29_384
