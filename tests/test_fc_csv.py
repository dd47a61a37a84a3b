"""Tests of the France Compétences CSV export reader, on the real tables and on tiny broken files."""

from __future__ import annotations

import datetime as dt
import time
import unicodedata
import zipfile
from pathlib import Path

import pytest

from certgraph.records import AccessRoute, Block, Certifier, CodeRef, Fiche, LineageRef, Loaded, Partner
from certgraph.sources.common import clean_label, clean_siret
from certgraph.sources.fc_csv import TABLES, read_fc_export

DATA = Path(__file__).resolve().parents[1] / "data"
RNCP = DATA / "rncp"
EXPORT_2026 = RNCP / "hackathon-export-2026-02-01"
EXPORT_2024_01 = RNCP / "rpa-data-collector-export-2024-01-17"
ZIP_2024_02 = RNCP / "api-apprentissage-fixture-2024-02-22" / "export-fiches-csv-2024-02-22.zip"

ROME_HEADER = '"Numero_Fiche";"Codes_Rome_Code";"Codes_Rome_Libelle"\r\n'
NSF_HEADER = '"Numero_Fiche";"Nsf_Code";"Nsf_Intitule"\r\n'
STANDARD_HEADER = (
    '"Id_Fiche";"Numero_Fiche";"Intitule";"Abrege_Libelle";"Abrege_Intitule";"Nomenclature_Europe_Niveau";'
    '"Nomenclature_Europe_Intitule";"Accessible_Nouvelle_Caledonie";"Accessible_Polynesie_Francaise";'
    '"Date_dernier_jo";"Date_Decision";"Date_Fin_Enregistrement";"Date_Effet";"Type_Enregistrement";'
    '"Validation_Partielle";"Actif"\r\n'
)


def by_table(loaded: Loaded, table: str) -> dict[str, Fiche]:
    """The partial fiches read from one table, by number (one fiche per number per table file)."""
    slug = TABLES[table].slug
    fiches = [fiche for fiche in loaded.fiches if fiche.source.key.endswith("-" + slug)]
    by_number = {fiche.number: fiche for fiche in fiches}
    assert len(by_number) == len(fiches), "a fiche appears twice in one table file"
    return by_number


@pytest.fixture(scope="module")
def export_2026() -> tuple[Loaded, float]:
    """The six full tables of 2026-02-01 (~200k rows), read once, with the seconds it took."""
    start = time.perf_counter()
    loaded = read_fc_export(EXPORT_2026, root=DATA)
    return loaded, time.perf_counter() - start


@pytest.fixture(scope="module")
def loaded_2026(export_2026) -> Loaded:
    """Use for facts of the 2026-02-01 export (Rome, Nsf, Formacode, Certificateurs, lineage, CCN)."""
    return export_2026[0]


@pytest.fixture(scope="module")
def loaded_2024_01() -> Loaded:
    """Use for facts of the 2024-01-17 export (the only full Blocs table)."""
    return read_fc_export(EXPORT_2024_01, root=DATA)


@pytest.fixture(scope="module")
def loaded_zip() -> Loaded:
    """Use for the official zip format and the tables only it has (Standard, VoixdAccès, Partenaires)."""
    return read_fc_export(ZIP_2024_02, root=DATA)


# --- the 2026-02-01 export ----------------------------------------------------------------------


def test_2026_reads_without_problems(export_2026):
    loaded, _seconds = export_2026  # speed is measured by benchmarks/run.py, not asserted here
    assert loaded.problems == []


def test_2026_missing_tables_are_listed(loaded_2026):
    assert loaded_2026.missing == ["Standard", "Blocs_De_Compétences", "VoixdAccès", "Partenaires"]


def test_2026_sources(loaded_2026):
    keys = {source.key for source in loaded_2026.sources}
    assert keys == {
        "fc-export-2026-02-01-rome",
        "fc-export-2026-02-01-nsf",
        "fc-export-2026-02-01-formacode",
        "fc-export-2026-02-01-certificateurs",
        "fc-export-2026-02-01-ancienne-nouvelle-certification",
        "fc-export-2026-02-01-ccn",
    }
    rome = next(source for source in loaded_2026.sources if source.key == "fc-export-2026-02-01-rome")
    assert rome.path == "rncp/hackathon-export-2026-02-01/export_fiches_CSV_Rome_2026_02_01.csv"
    assert rome.issued == dt.date(2026, 2, 1)
    assert rome.publisher == "France Compétences"
    assert rome.licence == "Licence Ouverte / Etalab 2.0"


@pytest.mark.parametrize(
    ("table", "attribute", "rows", "fiches"),
    [
        ("Rome", "rome", 65_070, 23_533),
        ("Nsf", "nsf", 45_013, 28_954),
        ("Formacode", "formacodes", 32_506, 14_770),
        ("Certificateurs", "certifiers", 39_298, 17_439),
    ],
)
def test_2026_counts_match_source_md(loaded_2026, table, attribute, rows, fiches):
    fiches_read = by_table(loaded_2026, table)
    assert len(fiches_read) == fiches
    # These tables have no duplicate rows, so every row gives one item.
    assert sum(len(getattr(fiche, attribute)) for fiche in fiches_read.values()) == rows


def test_2026_lineage_counts(loaded_2026):
    lineage = by_table(loaded_2026, "Ancienne_Nouvelle_Certification")
    assert len(lineage) == 16_051
    # 10,403 rows name a predecessor but some repeat it (one row per successor): 10,308 distinct links.
    assert sum(len(fiche.predecessors) for fiche in lineage.values()) == 10_308
    assert sum(len(fiche.successors) for fiche in lineage.values()) == 10_313
    assert len(by_table(loaded_2026, "CCN")) == 1_146


def test_2026_lineage_of_the_cnam_line(loaded_2026):
    lineage = by_table(loaded_2026, "Ancienne_Nouvelle_Certification")
    assert lineage["RNCP35080"].predecessors == [LineageRef(number="RNCP28720")]
    assert lineage["RNCP35080"].successors == [LineageRef(number="RNCP41336")]
    assert lineage["RNCP28720"].predecessors == [LineageRef(number="RNCP5385")]
    assert lineage["RNCP41336"].successors == []


def test_2026_several_rows_per_fiche_are_aggregated(loaded_2026):
    # RNCP35518 has one row per successor: 14 rows, 14 distinct successors.
    successors = by_table(loaded_2026, "Ancienne_Nouvelle_Certification")["RNCP35518"].successors
    assert len(successors) == 14
    assert LineageRef(number="RNCP36951") in successors


def test_2026_certifiers_without_the_tab(loaded_2026):
    certifiers = by_table(loaded_2026, "Certificateurs")
    assert certifiers["RNCP41296"].certifiers == [Certifier("ASSOCIATION SAINTE ANNE", "32949147600019")]
    assert [c.siret for c in certifiers["RNCP35080"].certifiers] == ["19753471200017"]
    assert certifiers["RNCP35080"].certifiers[0].name == "CONSERVATOIRE NATIONAL DES ARTS ET METIERS"


def test_2026_rome_codes_kept_verbatim(loaded_2026):
    rome = by_table(loaded_2026, "Rome")
    assert {ref.code for ref in rome["RNCP41296"].rome} == {"K1403", "K1802", "K1201", "K1800"}
    # K1800 is a domaine-level code, not a fiche code: kept for the validator to report.
    # It is the last column of a CRLF file: no stray CR.
    assert CodeRef("K1800", "Développement territorial et emploi") in rome["RNCP41296"].rome
    codes = {ref.code for fiche in rome.values() for ref in fiche.rome}
    assert {"A12", "C12", "D14", "H14"} <= codes


def test_2026_rome_doubled_apostrophes_are_undone(loaded_2026):
    labels = {ref.code: ref.label for ref in by_table(loaded_2026, "Rome")["RNCP35080"].rome}
    assert labels["M1301"] == "Direction de grande entreprise ou d'établissement public"


def test_2026_nsf_labels_lose_their_code_prefix(loaded_2026):
    nsf = by_table(loaded_2026, "Nsf")["RNCP35080"].nsf
    assert {ref.code for ref in nsf} == {"310m", "330p", "332n"}
    assert CodeRef("332n", "Expertise sociale et projets sociaux") in nsf


def test_2026_formacode_labels_without_prefix(loaded_2026):
    formacodes = by_table(loaded_2026, "Formacode")["RNCP41296"].formacodes
    assert formacodes == [CodeRef("32135", "Conduite projet"), CodeRef("44056", "Travail social en réseau")]


def test_2026_ccn_slots(loaded_2026):
    ccn = by_table(loaded_2026, "CCN")["RNCP286"].ccn
    assert ccn == [CodeRef("3246", "Animation socioculturelle")]


# --- the 2024-01-17 export (LF line ends, the Blocs table) --------------------------------------


def test_2024_01_tables_and_counts(loaded_2024_01):
    assert loaded_2024_01.problems == []
    assert loaded_2024_01.missing == ["Standard", "Rome", "Nsf", "Formacode", "VoixdAccès", "Partenaires"]
    blocks = by_table(loaded_2024_01, "Blocs_De_Compétences")
    assert len(blocks) == 6_844
    assert sum(len(fiche.blocks) for fiche in blocks.values()) == 34_351
    assert len(by_table(loaded_2024_01, "Certificateurs")) == 13_190
    assert len(by_table(loaded_2024_01, "Ancienne_Nouvelle_Certification")) == 11_157
    assert len(by_table(loaded_2024_01, "CCN")) == 965


def test_2024_01_blocks_of_rncp35080(loaded_2024_01):
    blocks = by_table(loaded_2024_01, "Blocs_De_Compétences")["RNCP35080"].blocks
    assert sorted(blocks, key=lambda block: block.code) == [
        Block("RNCP35080BC01", "Pilotage stratégique d’un organisme à vocation sociale ou culturelle en ESS"),
        Block(
            "RNCP35080BC02",
            "Gestion administrative, comptable et financière d’un organisme à vocation sociale ou culturelle",
        ),
        Block(
            "RNCP35080BC03",
            "Coordination de l’activité d’une équipe RH (salariés + bénévoles + adhérents) dans un organisme "
            "à vocation sociale et culturelle",
        ),
        # Published with a trailing space: stripped.
        Block("RNCP35080BC04", "Construction de l’innovation sociale et de la conduite de projet en ESS"),
    ]


def test_2024_01_block_labels_with_line_breaks_are_one_line(loaded_2024_01):
    blocks = {block.code: block.label for block in by_table(loaded_2024_01, "Blocs_De_Compétences")["RNCP32477"].blocks}
    assert blocks["RNCP32477BC07"] == (
        "Gérer les ressources humaines de l’entreprise automobile dans le respect des principes de droit du travail"
    )


def test_2024_01_lineage_chain(loaded_2024_01):
    lineage = by_table(loaded_2024_01, "Ancienne_Nouvelle_Certification")
    assert lineage["RNCP1611"].successors == [LineageRef(number="RNCP5385")]
    assert lineage["RNCP5385"].predecessors == [LineageRef(number="RNCP1611")]
    assert lineage["RNCP35080"].successors == []


# --- the official zip of 2024-02-22 -------------------------------------------------------------


def test_zip_all_ten_tables_found(loaded_zip):
    assert loaded_zip.problems == []
    assert loaded_zip.missing == []
    assert {source.key for source in loaded_zip.sources} == {
        f"fc-export-2024-02-22-{table.slug}" for table in TABLES.values()
    }


def test_zip_member_names_are_redecoded(loaded_zip):
    # Stored as UTF-8 bytes without the UTF-8 flag: zipfile alone would show "Comp├⌐tences".
    paths = {source.key: source.path for source in loaded_zip.sources}
    assert paths["fc-export-2024-02-22-blocs-de-competences"] == (
        "rncp/api-apprentissage-fixture-2024-02-22/export-fiches-csv-2024-02-22.zip"
        "!/export_fiches_CSV_Blocs_De_Compétences_2024_02_22.csv"
    )
    assert paths["fc-export-2024-02-22-voixdacces"].endswith("VoixdAccès_2024_02_22.csv")


def test_zip_standard(loaded_zip):
    standard = by_table(loaded_zip, "Standard")
    assert len(standard) == 9
    rncp509 = standard["RNCP509"]
    assert rncp509.title == "Agent vérificateur d'appareils extincteurs"
    assert rncp509.abbreviation == "Certificat d'aptitude professionnelle"
    assert rncp509.level_eqf == 3
    assert rncp509.end_date == dt.date(2023, 8, 31)
    assert rncp509.active is False
    assert rncp509.registration_type == "Enregistrement de droit"
    assert (rncp509.new_caledonia, rncp509.french_polynesia) == (False, False)
    assert standard["RNCP4049"].title == "Chef de projet commercial pour l'agroalimentaire"
    assert standard["RNCP4049"].level_eqf == 6
    assert standard["RNCP4049"].last_jo_date == dt.date(2011, 2, 2)
    assert standard["RNCP4049"].end_date == dt.date(2015, 2, 2)
    assert standard["RS5000"].decision_date == dt.date(2019, 6, 13)
    assert standard["RS5000"].active is True
    assert standard["RS5000"].level_eqf is None
    # "REPRISE" (no level): None, and not a problem.
    assert standard["RNCP19468"].level_eqf is None
    assert standard["RS6117"].end_date == dt.date(2025, 9, 29)


def test_zip_lineage_chain_and_rncp_to_rs(loaded_zip):
    lineage = by_table(loaded_zip, "Ancienne_Nouvelle_Certification")
    chain = ["RNCP1197", "RNCP4049", "RNCP22094", "RNCP28155", "RNCP30271"]
    for older, newer in zip(chain, chain[1:]):
        assert lineage[older].successors == [LineageRef(number=newer)]
        assert lineage[newer].predecessors == [LineageRef(number=older)]
    assert lineage["RNCP19468"].successors == [LineageRef(number="RS6117")]
    assert lineage["RS6117"].predecessors == [LineageRef(number="RNCP19468")]
    assert lineage["RS6117"].repertory == "rs"


def test_zip_formacode_prefix_and_partners_and_routes(loaded_zip):
    assert by_table(loaded_zip, "Formacode")["RNCP509"].formacodes == [CodeRef("42872", "Sécurité incendie")]
    assert by_table(loaded_zip, "Rome")["RNCP4049"].rome[2] == CodeRef("H1102", "Management et ingénierie d'affaires")
    partners = by_table(loaded_zip, "Partenaires")["RNCP19468"].partners
    assert partners == [
        Partner("INSTITUT NATIONAL DE LA BOULANGERIE PATISSERIE - INBP", "53326535100015", "HABILITATION_ORGA_FORM")
    ]
    routes = by_table(loaded_zip, "VoixdAccès")["RNCP509"].access_routes
    assert len(routes) == 6
    assert AccessRoute("En contrat d’apprentissage", open=True) in routes
    assert by_table(loaded_zip, "CCN")["RS6117"].ccn == [
        CodeRef("3117", "Boulangerie-pâtisserie (Entreprises artisanales)")
    ]


# --- quirks on tiny files -----------------------------------------------------------------------


class _FlaglessName(zipfile.ZipInfo):
    """A member name stored as UTF-8 bytes without the zip UTF-8 flag, as France Compétences does."""

    def _encodeFilenameFlags(self):  # noqa: N802 (zipfile's name)
        return self.filename.encode("utf-8"), self.flag_bits & ~0x800


def _zip(path: Path, members: dict[str, str]) -> Path:
    with zipfile.ZipFile(path, "w") as archive:
        for name, text in members.items():
            archive.writestr(_FlaglessName(name), text.encode("utf-8"))
    return path


def test_zip_nfd_member_name_and_member_date_differs_from_zip_date(tmp_path):
    blocs = unicodedata.normalize("NFD", "export_fiches_CSV_Blocs_De_Compétences_2026_02_01.csv")
    assert blocs != unicodedata.normalize("NFC", blocs)
    archive = _zip(
        tmp_path / "export-fiches-csv-2026-02-02.zip",
        {
            blocs: '"Numero_Fiche";"Bloc_Competences_Code";"Bloc_Competences_Libelle"\r\n'
            '"RNCP35080";"RNCP35080BC04";"Construction de l’innovation sociale "\r\n',
            "export_fiches_CSV_Rome_2026_02_01.csv": ROME_HEADER
            + '"RNCP35080";"K1206";"Intervention socioculturelle"\r\n',
        },
    )
    loaded = read_fc_export(archive)
    assert loaded.problems == []
    assert {source.key for source in loaded.sources} == {
        "fc-export-2026-02-01-blocs-de-competences",
        "fc-export-2026-02-01-rome",
    }
    assert all(source.issued == dt.date(2026, 2, 1) for source in loaded.sources)
    assert by_table(loaded, "Blocs_De_Compétences")["RNCP35080"].blocks == [
        Block("RNCP35080BC04", "Construction de l’innovation sociale")
    ]
    assert "Blocs_De_Compétences" not in loaded.missing
    assert "Standard" in loaded.missing


def test_lf_and_crlf_and_quoted_line_breaks(tmp_path):
    (tmp_path / "export_fiches_CSV_Rome_2024_01_17.csv").write_bytes(
        (ROME_HEADER.replace("\r\n", "\n") + '"RNCP1";"K1206";"Intervention\nsocioculturelle"\n').encode()
    )
    (tmp_path / "export_fiches_CSV_Nsf_2024_01_17.csv").write_bytes(
        (NSF_HEADER + '"RNCP1";"332n";"332n : Expertise sociale et projets sociaux"\r\n').encode()
    )
    loaded = read_fc_export(tmp_path)
    assert loaded.problems == []
    assert by_table(loaded, "Rome")["RNCP1"].rome == [CodeRef("K1206", "Intervention socioculturelle")]
    assert by_table(loaded, "Nsf")["RNCP1"].nsf == [CodeRef("332n", "Expertise sociale et projets sociaux")]


def test_clean_helpers():
    assert clean_siret("\t32949147600019") == "32949147600019"
    assert clean_label("42872 : Sécurité incendie", "42872") == "Sécurité incendie"
    # Only the row's own code is a prefix to strip.
    assert clean_label("32135 : Conduite projet", "44056") == "32135 : Conduite projet"


# --- bad input ----------------------------------------------------------------------------------


def test_wrong_delimiter_rejects_that_file_only(tmp_path):
    rome = tmp_path / "export_fiches_CSV_Rome_2026_02_01.csv"
    rome.write_text(
        '"Numero_Fiche","Codes_Rome_Code","Codes_Rome_Libelle"\r\n"RNCP1","K1206","X"\r\n', encoding="utf-8"
    )
    (tmp_path / "export_fiches_CSV_Nsf_2026_02_01.csv").write_text(
        NSF_HEADER + '"RNCP1";"332n";"332n : Y"\r\n', encoding="utf-8"
    )
    loaded = read_fc_export(tmp_path, root=tmp_path)
    [problem] = loaded.problems
    assert problem.source == "export_fiches_CSV_Rome_2026_02_01.csv"
    assert problem.severity == "error"
    assert "expected columns Numero_Fiche, Codes_Rome_Code" in problem.message
    assert """found 'Numero_Fiche,"Codes_Rome_Code","Codes_Rome_Libelle"'""" in problem.message
    assert [source.key for source in loaded.sources] == ["fc-export-2026-02-01-nsf"]
    assert [(fiche.number, fiche.nsf) for fiche in loaded.fiches] == [("RNCP1", [CodeRef("332n", "Y")])]
    # Present but rejected: a Problem says so; "missing" lists only absent tables.
    assert "Rome" not in loaded.missing


def test_unknown_column_is_a_warning_and_known_columns_load(tmp_path):
    (tmp_path / "export_fiches_CSV_Rome_2026_02_01.csv").write_text(
        '"Numero_Fiche";"Codes_Rome_Code";"Codes_Rome_Version";"Codes_Rome_Libelle"\r\n"RNCP1";"K1206";"4.0";"Intervention socioculturelle"\r\n',
        encoding="utf-8",
    )
    loaded = read_fc_export(tmp_path)
    [problem] = loaded.problems
    assert problem.severity == "warning"
    assert "Codes_Rome_Version" in problem.message
    assert by_table(loaded, "Rome")["RNCP1"].rome == [CodeRef("K1206", "Intervention socioculturelle")]


def test_bad_date_empties_that_field_only(tmp_path):
    (tmp_path / "export_fiches_CSV_Standard_2024_02_22.csv").write_text(
        STANDARD_HEADER
        + '"1";"RNCP1";"Un titre";"CAP";"Certificat";"NIV3";"Niveau 3";"Non";"Oui";"02/02/2011";;"31/02/2023";;"Enregistrement de droit";;"ACTIVE"\r\n'
        + '"2";"RNCP2";"Autre";;;"NIV9";;"Non";"Non";;;"2023-08-31";;;;"ACTIVE"\r\n',
        encoding="utf-8",
    )
    loaded = read_fc_export(tmp_path, root=tmp_path)
    standard = by_table(loaded, "Standard")
    assert standard["RNCP1"].end_date is None
    assert standard["RNCP1"].last_jo_date == dt.date(2011, 2, 2)
    assert (standard["RNCP1"].title, standard["RNCP1"].level_eqf, standard["RNCP1"].active) == ("Un titre", 3, True)
    assert standard["RNCP1"].french_polynesia is True
    assert [str(problem) for problem in loaded.problems] == [
        "export_fiches_CSV_Standard_2024_02_22.csv:2 [RNCP1]: Date_Fin_Enregistrement: day is out of range for month; left empty",
        "export_fiches_CSV_Standard_2024_02_22.csv:3 [RNCP2]: Nomenclature_Europe_Niveau: level 'NIV9' is not NIV1..NIV8; left empty",
        "export_fiches_CSV_Standard_2024_02_22.csv:3 [RNCP2]: Date_Fin_Enregistrement: date '2023-08-31' is not DD/MM/YYYY; left empty",
    ]
    assert standard["RNCP2"].title == "Autre"


def test_invalid_fiche_number_skips_the_row(tmp_path):
    (tmp_path / "export_fiches_CSV_Rome_2026_02_01.csv").write_text(
        ROME_HEADER + '"RNCPXYZ";"K1206";"A"\r\n;"K1403";"B"\r\n"RNCP2";"K1802";"C"\r\n', encoding="utf-8"
    )
    loaded = read_fc_export(tmp_path)
    assert [(problem.line, problem.severity) for problem in loaded.problems] == [(2, "error"), (3, "error")]
    assert "'RNCPXYZ'" in loaded.problems[0].message
    assert [fiche.number for fiche in loaded.fiches] == ["RNCP2"]


def test_invalid_siret_keeps_the_name(tmp_path):
    (tmp_path / "export_fiches_CSV_Certificateurs_2026_02_01.csv").write_text(
        '"Numero_Fiche";"Siret_Certificateur";"Nom_Certificateur"\r\n"RNCP1";"\t1975347120";"CNAM "\r\n"RNCP1";;"SANS SIRET"\r\n',
        encoding="utf-8",
    )
    loaded = read_fc_export(tmp_path)
    assert by_table(loaded, "Certificateurs")["RNCP1"].certifiers == [
        Certifier("CNAM", None),
        Certifier("SANS SIRET", None),
    ]
    [problem] = loaded.problems
    assert (problem.line, problem.fiche) == (2, "RNCP1")
    assert "not 14 digits" in problem.message


def test_windows_1252_row_in_the_real_blocs_table_costs_no_other_row(tmp_path):
    # The real 2024-01-17 Blocs table with its line 17,180 written in Windows-1252: the strict UTF-8
    # reading stopped the table there (17,155 of 34,351 blocks, 3,406 of 6,844 fiches, reported at
    # line 17,161); read row by row, that row alone is read as Windows-1252, and said so.
    table = EXPORT_2024_01 / "export_fiches_CSV_Blocs_De_Compétences_2024_01_17.csv"
    lines = table.read_bytes().split(b"\n")
    lines[17_179] = lines[17_179].decode("utf-8").encode("cp1252")
    (tmp_path / table.name).write_bytes(b"\n".join(lines))
    loaded = read_fc_export(tmp_path, root=tmp_path)
    blocks = by_table(loaded, "Blocs_De_Compétences")
    assert (len(blocks), sum(len(fiche.blocks) for fiche in blocks.values())) == (6_844, 34_351)
    assert [str(problem) for problem in loaded.problems] == [
        f"{table.name}:17180 [RNCP34992]: not UTF-8 (byte 0xE9): this row read as Windows-1252"
    ]
    assert Block("RNCP34992BC04", "Encadrer la prévention des risques d'une structure spectacle/évènement") in (
        blocks["RNCP34992"].blocks
    )


def test_unreadable_zip_is_a_problem(tmp_path):
    broken = tmp_path / "export-fiches-csv-2026-02-02.zip"
    broken.write_bytes(b"PK\x03\x04 this is not a zip")
    loaded = read_fc_export(broken, root=tmp_path)
    [problem] = loaded.problems
    assert problem.source == "export-fiches-csv-2026-02-02.zip"
    assert problem.severity == "error"
    assert "unreadable zip" in problem.message
    assert loaded.fiches == []
    assert loaded.missing == list(TABLES)


def test_folder_without_tables(tmp_path):
    (tmp_path / "SOURCE.md").write_text("# not a table", encoding="utf-8")
    loaded = read_fc_export(tmp_path, root=tmp_path)
    assert [problem.message for problem in loaded.problems] == ["no France Compétences export table found"]
    assert loaded.missing == list(TABLES)


def test_missing_path_raises(tmp_path):
    with pytest.raises(FileNotFoundError):
        read_fc_export(tmp_path / "nowhere.zip")
