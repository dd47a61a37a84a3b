"""Tests of the reader of Certif Info's diploma table (data/certifinfo/certif_info.csv)."""

from __future__ import annotations

import csv
import datetime as dt
from collections import Counter
from pathlib import Path

import pytest

from certgraph.records import CodeRef, Fiche, LineageRef, Loaded
from certgraph.sources.certifinfo import read_certifinfo

DATA = Path(__file__).resolve().parents[1] / "data"
CERTIF_INFO = DATA / "certifinfo" / "certif_info.csv"
HEADER = (
    "Code_Diplome;Libelle_Diplome;Libelle_Type_Diplome;Code_Niveau_Europeen;Date_MaJ;Code_FormaCode;"
    "Libelle_FormaCode;Code_Rome_1;Code_Rome_2;Code_Rome_3;Code_Rome_4;Code_Rome_5;Code_Nsf;Code_RNCP;Code_RS;"
    "Code_Scolarité;valideur;certificateur;Annee_Premiere_Session;Annee_Derniere_Session;Code_Ancien_Diplome;"
    "Intitulé_Ancien_Diplome;Code_Ancien_RNCP;Code_Ancien_Scolarité;`Options`;Etat;Etat_Libelle;"
    "Etat_Ancien_Diplome;Etat_Ancien_Diplome_Libelle;accessibilite_fi;accessibilite_ca;accessibilite_fc;"
    "accessibilite_cp;accessibilite_vae;accessibilite_ind;code_type_diplome;codeIdeo2"
)
NAMES = HEADER.split(";")


def row(**values: str) -> str:
    """One line of the table: the given columns, every other one empty."""
    assert set(values) <= set(NAMES), set(values) - set(NAMES)
    return ";".join(values.get(name, "") for name in NAMES) + "\n"


def write(tmp_path: Path, *lines: str | bytes) -> Path:
    """A certif_info.csv in tmp_path: the header, then the lines (str as UTF-8, bytes as given)."""
    path = tmp_path / "certif_info.csv"
    path.write_bytes(b"".join(line if isinstance(line, bytes) else line.encode() for line in (HEADER + "\n", *lines)))
    return path


@pytest.fixture(scope="module")
def certif_info() -> Loaded:
    """The whole real file, read once: use for counts and facts of the June 2024 Certif Info subset."""
    return read_certifinfo(CERTIF_INFO, root=DATA)


@pytest.fixture(scope="module")
def fiches(certif_info) -> dict[str, Fiche]:
    """Use for facts of the real file, by fiche number."""
    return {fiche.number: fiche for fiche in certif_info.fiches}


def test_the_file_is_the_one_described():
    # Counted with the csv module, independently of the reader: 10,067 rows, none with both numbers.
    with CERTIF_INFO.open(encoding="utf-8", newline="") as stream:
        header, *rows = csv.reader(stream, delimiter=";")
    assert ";".join(header) == HEADER
    assert len(rows) == 10_067
    assert {len(values) for values in rows} == {37}
    rncp, rs = header.index("Code_RNCP"), header.index("Code_RS")
    assert sum(1 for values in rows if values[rncp]) == 5_346
    assert sum(1 for values in rows if values[rs]) == 1_320
    assert sum(1 for values in rows if values[rncp] and values[rs]) == 0


def test_one_fiche_per_number(certif_info):
    numbers = [fiche.number for fiche in certif_info.fiches]
    assert len(numbers) == len(set(numbers)) == 6_188
    assert sum(number.startswith("RNCP") for number in numbers) == 4_877
    assert sum(number.startswith("RS") for number in numbers) == 1_311
    assert sum(1 for fiche in certif_info.fiches if fiche.title) == 6_188
    # Seven RNCP fiches have no level; RS fiches never have one.
    assert sum(1 for fiche in certif_info.fiches if fiche.level_eqf is not None) == 4_870
    assert all(fiche.level_eqf is None for fiche in certif_info.fiches if fiche.repertory == "rs")
    assert all(fiche.active is None for fiche in certif_info.fiches)
    assert all(fiche.source is certif_info.sources[0] for fiche in certif_info.fiches)


def test_the_only_problems_are_options_with_their_own_title(certif_info):
    # 394 rows repeat a number with another title (173 numbers); no level ever disagrees.
    problems = certif_info.problems
    assert len(problems) == 394
    assert Counter(problem.severity for problem in problems) == {"info": 394}
    assert all(problem.message.endswith("on title; the first is kept") for problem in problems)
    assert len({problem.fiche for problem in problems}) == 173


def test_source(certif_info):
    [source] = certif_info.sources
    assert source.key == "certifinfo-2024-06-28"
    assert source.path == "certifinfo/certif_info.csv"
    assert source.issued == dt.date(2024, 6, 28)
    assert source.title == (
        "Certif Info (Réseau des Carif-Oref), diplomas with an RNCP or RS number, as of 2024-06-28"
    )
    assert source.publisher == "Réseau des Carif-Oref (Certif Info)"
    assert "Licence Ouverte" in source.licence and "unconfirmed" in source.licence
    # graph.py maps any licence naming Etalab to the Etalab IRI: an unconfirmed licence must not.
    assert "etalab" not in source.licence.lower()
    assert "tjp-pilotage" in source.origin


def test_rncp35080(fiches):
    fiche = fiches["RNCP35080"]
    assert fiche.title == "Manager d'organismes à vocation sociale et culturelle en économie sociale et solidaire"
    assert fiche.abbreviation == "Autre titre inscrit sur demande au RNCP (niveau 7)"
    assert fiche.level_eqf == 7
    assert fiche.rome == [CodeRef(code) for code in ("K1206", "K1403", "K1802", "M1301", "M1302")]
    assert fiche.nsf == [CodeRef("330")]
    assert fiche.formacodes == [CodeRef("32135", "Conduite projet")]
    ministry = "Ministère de l'enseignement supérieur, de la recherche et de l'innovation"
    assert fiche.certifier_names == [ministry] and fiche.certifiers == []
    # Certif Info's continuity skips RNCP28720, the predecessor France Compétences gives.
    assert fiche.predecessors == [LineageRef(number="RNCP5385")]
    assert fiche.successors == [] and fiche.active is None and fiche.registration_type is None


def test_options_merge_into_one_fiche(certif_info, fiches):
    # Lines 201-203: three options of one BP, one fiche; the first title is kept, the others reported.
    fiche = fiches["RNCP37937"]
    assert fiche.title == "BP vêtement sur mesure option C : couture flou"
    assert fiche.rome == [CodeRef("B1803")] and fiche.nsf == [CodeRef("242")]
    assert [str(problem) for problem in certif_info.problems if problem.fiche == "RNCP37937"] == [
        "certifinfo/certif_info.csv:202 [RNCP37937]: diploma 20848 disagrees with diploma 20847 (line 201) on "
        "title; the first is kept",
        "certifinfo/certif_info.csv:203 [RNCP37937]: diploma 20849 disagrees with diploma 20847 (line 201) on "
        "title; the first is kept",
    ]
    # 46 mentions of the DEJEPS: 45 other titles, and the predecessors of every mention gathered.
    assert sum(1 for problem in certif_info.problems if problem.fiche == "RNCP4863") == 45
    assert fiches["RNCP4863"].title == "DEJEPS spécialité perfectionnement sportif mention pétanque"
    assert len(fiches["RNCP4863"].predecessors) == 18


def test_a_fiche_is_not_its_own_predecessor(fiches):
    # Line 8906, the Certificat de spécialisation that replaced the MC of line 179, names RNCP955 itself.
    assert fiches["RNCP955"].title == "MC agent de contrôle non destructif"
    assert fiches["RNCP955"].predecessors == []


def test_rs_fiches_and_joined_certifiers(fiches):
    assert fiches["RS6345"].title == "CQP gérer l'activité des gemmes en entreprise"
    assert fiches["RS6345"].abbreviation == "Habilitation"
    assert fiches["RS6345"].predecessors == [LineageRef(number="RNCP31394")]
    assert fiches["RS6345"].formacodes == [CodeRef("45519", "Gemmologie")]
    # A bare comma joins two certifiers; the comma and space inside the second name stay.
    assert fiches["RNCP4861"].certifier_names == [
        "ministère de l'enseignement supérieur et de la recherche",
        "Ministère du travail, de la santé et des solidarités",
    ]


def test_a_windows_1252_row_is_read_and_the_next_rows_still_load(tmp_path):
    path = write(
        tmp_path,
        row(Code_Diplome="1", Libelle_Diplome="Titre un", Code_RNCP="101", Date_MaJ="01/02/2024"),
        # é is 0xE9 and ’ is 0x92 in Windows-1252: neither is UTF-8.
        row(Code_Diplome="2", Libelle_Diplome="Métier d’art", Code_RNCP="102", Date_MaJ="03/02/2024").encode(
            "cp1252"
        ),
        row(Code_Diplome="3", Libelle_Diplome="Titre trois", Code_RS="103", Date_MaJ="02/02/2024"),
    )
    loaded = read_certifinfo(path, root=tmp_path)
    assert [(fiche.number, fiche.title) for fiche in loaded.fiches] == [
        ("RNCP101", "Titre un"),
        ("RNCP102", "Métier d’art"),
        ("RS103", "Titre trois"),
    ]
    assert [str(problem) for problem in loaded.problems] == [
        "certif_info.csv:3 [RNCP102]: bytes that are not UTF-8 (first: 0xE9); this row read as Windows-1252",
    ]
    assert loaded.sources[0].issued == dt.date(2024, 2, 3)
    assert loaded.sources[0].key == "certifinfo-2024-02-03"


def test_bad_numbers_short_rows_and_bad_dates_keep_the_other_rows(tmp_path):
    path = write(
        tmp_path,
        row(Code_Diplome="1", Libelle_Diplome="Un", Code_RNCP="35O80", Date_MaJ="01/02/2024"),
        row(Code_Diplome="2", Libelle_Diplome="Deux", Code_RNCP="RNCP7", Code_RS="8", Date_MaJ="31/02/2024"),
        "9;Court;Type;7;01/01/2024\n",
        row(Code_Diplome="4", Libelle_Diplome='"Sur\ndeux lignes"', Code_RNCP="104", Date_MaJ="2024-01-05"),
        row(Code_Diplome="5", Libelle_Diplome="Cinq", Code_RNCP="105", Code_Ancien_RNCP="x1"),
        "\n",
        row(Code_Diplome="6", Libelle_Diplome="Six", Code_RNCP="106", Date_MaJ="15/01/2024"),
    )
    loaded = read_certifinfo(path, root=tmp_path)
    assert [(fiche.number, fiche.title) for fiche in loaded.fiches] == [
        ("RS8", "Deux"),
        ("RNCP104", "Sur deux lignes"),
        ("RNCP105", "Cinq"),
        ("RNCP106", "Six"),
    ]
    assert loaded.fiches[2].predecessors == []
    # Line numbers are the file's: the quoted title spans lines 5-6, the blank line 8 is skipped.
    assert [str(problem) for problem in loaded.problems] == [
        "certif_info.csv:2: Code_RNCP '35O80' is not a fiche number; ignored",
        "certif_info.csv:3: Code_RNCP 'RNCP7' is not a fiche number; ignored",
        "certif_info.csv:3 [RS8]: Date_MaJ: day is out of range for month; not used to date the file",
        "certif_info.csv:4: expected 37 fields, found 5; row skipped",
        "certif_info.csv:5 [RNCP104]: Date_MaJ: date '2024-01-05' is not DD/MM/YYYY; not used to date the file",
        "certif_info.csv:7 [RNCP105]: Code_Ancien_RNCP 'x1' is not a fiche number; link ignored",
    ]
    severities = [problem.severity for problem in loaded.problems]
    assert severities == ["error", "error", "warning", "error", "warning", "warning"]
    assert loaded.sources[0].issued == dt.date(2024, 2, 1)


def test_codes_levels_and_disagreeing_duplicates(tmp_path):
    path = write(
        tmp_path,
        row(Code_Diplome="1", Libelle_Diplome="A", Code_RNCP="1", Code_Niveau_Europeen="5", Code_Rome_1="K1206",
            Code_Rome_2="K120", Code_Nsf="33", Code_FormaCode="3213", Libelle_FormaCode="Conduite projet"),
        row(Code_Diplome="2", Libelle_Diplome="A", Code_RNCP="1", Code_Niveau_Europeen="6", Code_Rome_1="M1302",
            Code_Rome_2="K1206", Code_Nsf="330", Code_FormaCode="32135", Libelle_FormaCode="Conduite projet",
            certificateur="Org un,Org deux", Code_Ancien_RNCP="5385"),
        row(Code_Diplome="3", Libelle_Diplome="B", Code_RNCP="1", Code_Niveau_Europeen="0", Code_Ancien_RNCP="1"),
        row(Code_Diplome="4", Libelle_Diplome="C", Code_RNCP="2", Code_Niveau_Europeen="2"),
        row(Code_Diplome="5", Libelle_Diplome="D", Code_RS="3", Code_Niveau_Europeen="0"),
    )
    loaded = read_certifinfo(path)
    first, second, third = loaded.fiches
    assert first.title == "A" and first.level_eqf == 5
    assert first.rome == [CodeRef("K1206"), CodeRef("M1302")]
    assert first.nsf == [CodeRef("330")]
    assert first.formacodes == [CodeRef("32135", "Conduite projet")]
    assert first.certifier_names == ["Org un", "Org deux"] and first.certifiers == []
    assert first.predecessors == [LineageRef(number="RNCP5385")]
    assert (second.number, second.level_eqf, third.number, third.level_eqf) == ("RNCP2", None, "RS3", None)
    where = str(path)
    assert [(problem.line, problem.severity, problem.message) for problem in loaded.problems] == [
        (2, "warning", "Code_Rome_2 'K120' is not a valid code; skipped"),
        (2, "warning", "Code_Nsf '33' is not a valid code; skipped"),
        (2, "warning", "Code_FormaCode '3213' is not a valid code; skipped"),
        (3, "warning", "diploma 2 disagrees with diploma 1 (line 2) on level; the first is kept"),
        (4, "info", "diploma 3 disagrees with diploma 1 (line 2) on title; the first is kept"),
        (5, "warning", "Code_Niveau_Europeen: '2' is not an EQF level 3..8; left empty"),
    ]
    assert {problem.source for problem in loaded.problems} == {where}
    assert [problem.fiche for problem in loaded.problems] == ["RNCP1"] * 5 + ["RNCP2"]


def test_wrong_delimiter_rejects_the_file(tmp_path):
    path = tmp_path / "certif_info.csv"
    path.write_text(HEADER.replace(";", ",") + "\n1,Titre,,,,,,,,,,,,35080\n", encoding="utf-8")
    loaded = read_certifinfo(path)
    [problem] = loaded.problems
    assert problem.line == 1 and "expected columns Code_RNCP, Code_RS, Libelle_Diplome" in problem.message
    assert loaded.fiches == [] and loaded.sources == []


def test_missing_file():
    with pytest.raises(FileNotFoundError):
        read_certifinfo(DATA / "certifinfo" / "absent.csv")
