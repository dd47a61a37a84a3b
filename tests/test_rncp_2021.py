"""Tests of the reader of the January 2021 RNCP extract (rncp_info.v1.4.csv)."""

from __future__ import annotations

import csv
import datetime as dt
import time
from collections import defaultdict
from pathlib import Path

import pytest

from certgraph.records import Fiche, LineageRef, Loaded
from certgraph.sources.common import clean_label
from certgraph.sources.fc_xml import read_fc_xml
from certgraph.sources.rncp_2021 import compose_title, is_title_fragment, read_rncp_info_2021
from certgraph.text import collapse_spaces, fold

DATA = Path(__file__).resolve().parents[1] / "data"
RNCP_INFO = DATA / "rncp" / "tables-correspondances-2021" / "rncp_info.v1.4.csv"
CERTIF_INFO = DATA / "certifinfo" / "certif_info.csv"
HEADER = (
    "CodeRNCP;intituleDiplome;date_fin_validite_enregistrement;ActiveInactive;EtatFiche;NiveauEurope;"
    "CodeTypeCertif;TypeCertif;AncienneFiche;NouvelleFiche;TypeEnregistrement\n"
)


@pytest.fixture(scope="module")
def read_2021() -> tuple[Loaded, float]:
    """The whole 2021 extract, read once, with the seconds it took."""
    start = time.perf_counter()
    loaded = read_rncp_info_2021(RNCP_INFO, root=DATA)
    return loaded, time.perf_counter() - start


@pytest.fixture(scope="module")
def fiches(read_2021) -> dict[str, Fiche]:
    """Use for facts of the 2021 extract, by fiche number."""
    return {fiche.number: fiche for fiche in read_2021[0].fiches}


@pytest.fixture(scope="module")
def printed_rows() -> dict[str, dict[str, str]]:
    """Use to compare the reader with the file as printed: the first raw row of each fiche number."""
    with RNCP_INFO.open(encoding="cp1252", newline="") as stream:
        rows: dict[str, dict[str, str]] = {}
        for row in csv.DictReader(stream, delimiter=";"):
            rows.setdefault(row["CodeRNCP"], row)
    return rows


def test_reads_every_fiche_once_without_problems(read_2021):
    loaded, _seconds = read_2021  # speed is measured by benchmarks, not asserted here
    assert loaded.problems == []
    # 17,470 rows, 17,369 distinct fiches: the extra rows carry further predecessors/successors.
    assert len(loaded.fiches) == 17_369
    assert len({fiche.number for fiche in loaded.fiches}) == 17_369


def test_source(read_2021):
    [source] = read_2021[0].sources
    assert source.key == "rncp-info-2021"
    assert source.path == "rncp/tables-correspondances-2021/rncp_info.v1.4.csv"
    assert source.issued == dt.date(2021, 1, 6)
    assert source.publisher == "France Compétences (reshaped by mission-apprentissage)"
    assert "approximate" in source.title


def test_rncp1611(fiches):
    fiche = fiches["RNCP1611"]
    assert fiche.title == "Gestionnaire d'organismes à vocation sociale et culturelle"
    assert fiche.end_date == dt.date(2006, 12, 31)
    assert fiche.active is False
    assert fiche.level_eqf == 6
    assert fiche.status == "Publiée"
    assert fiche.registration_type == "Enregistrement sur demande"
    assert fiche.predecessors == []
    assert fiche.successors == [LineageRef(number="RNCP5385")]


def test_cnam_line_dates_and_links(fiches):
    assert fiches["RNCP5385"].end_date == dt.date(2017, 8, 22)
    assert fiches["RNCP5385"].predecessors == [LineageRef(number="RNCP1611")]
    assert fiches["RNCP28720"].end_date == dt.date(2020, 7, 19)
    assert fiches["RNCP28720"].successors == [LineageRef(number="RNCP35080")]
    rncp35080 = fiches["RNCP35080"]
    assert rncp35080.end_date == dt.date(2025, 11, 18)
    assert rncp35080.active is True
    assert rncp35080.level_eqf == 7
    assert rncp35080.title == "Manager d’organismes à vocation sociale et culturelle en économie sociale et solidaire"
    assert rncp35080.predecessors == [LineageRef(number="RNCP28720")]


def test_duplicate_rows_merge_their_links(fiches):
    # Two rows, one per successor.
    assert fiches["RNCP1027"].successors == [LineageRef(number="RNCP32360"), LineageRef(number="RNCP6989")]
    assert fiches["RNCP1027"].abbreviation == "Brevet de technicien supérieur"


def test_titles_with_embedded_cr_are_one_line(fiches):
    title = fiches["RNCP10000"].title
    assert title.endswith("Spécialité CHINOIS ENSEIGNEMENT")
    assert "\r" not in title and "\n" not in title
    assert fiches["RNCP10000"].end_date is None


def test_bad_date_and_conflicting_duplicate(tmp_path):
    path = tmp_path / "rncp_info.v1.4.csv"
    path.write_bytes(
        (
            HEADER
            + "RNCP1;Titre ’un’;13/45/20;ACTIVE;Publiée;niveau5;BTS;Brevet de technicien supérieur;;RNCP2;Enregistrement de droit;;\n"
            + "RNCP1;Titre ’un’;1/1/24;ACTIVE;Publiée;niveau5;BTS;Brevet de technicien supérieur;;RNCP3;Enregistrement de droit;;\n"
            + "RNCPXYZ;Rien;1/1/24;ACTIVE;Publiée;niveau5;;;;;Enregistrement de droit\n"
        ).encode("cp1252")
    )
    loaded = read_rncp_info_2021(path, root=tmp_path)
    [fiche] = loaded.fiches
    assert fiche.title == "Titre ’un’"
    assert fiche.end_date is None
    assert fiche.active is True and fiche.level_eqf == 5
    assert fiche.successors == [LineageRef(number="RNCP2"), LineageRef(number="RNCP3")]
    assert [str(problem) for problem in loaded.problems] == [
        "rncp_info.v1.4.csv:2 [RNCP1]: date_fin_validite_enregistrement: month must be in 1..12; left empty",
        "rncp_info.v1.4.csv:3 [RNCP1]: duplicate row disagrees with line 2 on end_date; the first row's values are kept",
        "rncp_info.v1.4.csv:4: invalid fiche number 'RNCPXYZ'; row skipped",
    ]


def test_wrong_delimiter_rejects_the_file(tmp_path):
    path = tmp_path / "rncp_info.v1.4.csv"
    path.write_text(HEADER.replace(";", ",") + "RNCP1,Titre,,ACTIVE,,,,,,,\n", encoding="cp1252")
    loaded = read_rncp_info_2021(path)
    [problem] = loaded.problems
    assert "expected columns CodeRNCP" in problem.message
    assert loaded.fiches == [] and loaded.sources == []


def _composed(fiches: dict[str, Fiche], printed_rows: dict[str, dict[str, str]]) -> dict[str, str]:
    """Number → printed title, for the fiches whose title the reader composed."""
    printed = {number: clean_label(row["intituleDiplome"]) for number, row in printed_rows.items()}
    return {number: title for number, title in printed.items() if fiches[number].title != title}


def test_fragment_titles_are_composed_with_their_type(fiches, printed_rows):
    composed = _composed(fiches, printed_rows)
    printed = [clean_label(row["intituleDiplome"]) for row in printed_rows.values()]
    assert sum(not title[0].isupper() for title in printed) == 880
    assert sum(is_title_fragment(title) for title in printed) == 711
    assert len(composed) == 707
    # Nothing is lost: the title is the head then the fragment as printed, the type stays apart.
    for number, fragment in composed.items():
        fiche = fiches[number]
        head = "Ingénieur" if fiche.abbreviation == "Titre ingénieur" else fiche.abbreviation
        assert fiche.title == f"{head} {fragment}", number


def test_doubtful_fragments_are_kept_as_printed(fiches):
    kept = sorted(number for number, fiche in fiches.items() if is_title_fragment(fiche.title))
    assert kept == ["RNCP13590", "RNCP17772", "RNCP2409", "RNCP2523"]
    assert fiches["RNCP2409"].title == "et Maritime, option productions aquacoles"
    assert fiches["RNCP17772"].title == "mention banque finance assurance"
    assert fiches["RNCP2523"].title == "option art, communication, design (DNAP) (fiche incomplète)"
    assert fiches["RNCP2523"].abbreviation is None


@pytest.mark.parametrize(
    ("number", "title"),
    [
        ("RNCP4859", "Diplôme d'Etat de masseur-kinésithérapeute"),
        ("RNCP4857", "Diplôme d'Etat d'ergothérapeute"),
        ("RNCP1191", "Brevet d'état d'éducateur sportif premier degré option Escalade"),
        ("RNCP2489", "Brevet d'état d'éducateur sportif troisième degré"),
        ("RNCP344", "Brevet de technicien supérieur agricole option Analyse et conduite de systèmes d’exploitation (ACSE)"),
        ("RNCP2846", "Baccalauréat professionnel spécialité Cultures Marines"),
        (
            "RNCP5287",
            "Brevet professionnel de la jeunesse, de l'éducation populaire et du sport - spécialité Activités de randonnées",
        ),
        ("RNCP18246", "Ingénieur diplômé du Conservatoire national des arts et métiers, spécialité génie biologique"),
        ("RNCP30596", "Master mention Informatique"),
        ("RNCP12700", "Master professionnel MANAGEMENT ET INGENIERIE DU SPORT"),
        (
            "RNCP19619",
            "Licence professionnelle : Habillement, mode et textile, Spécialité : Création textile et gestion de la production",
        ),
        ("RNCP29266", "Diplôme visé en gestion et marketing (ESC Amiens)"),
    ],
)
def test_composed_title(fiches, number, title):
    assert fiches[number].title == title


@pytest.mark.parametrize(
    ("number", "title"),
    [
        ("RNCP16129", "tailleur de pierre"),  # a whole title in lowercase, like its capitalised siblings
        ("RNCP25857", "masseur kinésithérapeute"),
        ("RNCP24337", "master Mention Lettres"),  # repeats its type: composing would double it
        ("RNCP7124", "ingénieur diplômé de l'Ecole Centrale d'Electronique de Paris"),
        ("RNCP5385", "Manager d'organismes à vocation sociale et culturelle"),
    ],
)
def test_whole_titles_are_unchanged(fiches, printed_rows, number, title):
    assert fiches[number].title == title == clean_label(printed_rows[number]["intituleDiplome"])


def test_a_fragment_repeating_its_head_is_kept():
    # Not in the 2021 file; the guard keeps "Mention complémentaire mention …" from being made.
    assert compose_title("mention Coiffure", "Mention complémentaire") == "mention Coiffure"


def _folded(text: str) -> str:
    return collapse_spaces(fold(text)).replace("’", "'")


def test_composed_titles_against_certif_info(fiches, printed_rows):
    """Certif Info prints its own titles (``BTS …``, no ``option``), so exact agreement is rare."""
    titles: dict[str, set[str]] = defaultdict(set)
    with CERTIF_INFO.open(encoding="utf-8", newline="") as stream:
        for row in csv.DictReader(stream, delimiter=";"):
            if row["Code_RNCP"].strip():
                titles["RNCP" + row["Code_RNCP"].strip()].add(_folded(row["Libelle_Diplome"]))
    composed = _composed(fiches, printed_rows)
    compared = sorted(number for number in composed if number in titles)
    assert len(compared) == 61
    # Equal once case, accents, spaces and apostrophes are folded: the printed fragment, never.
    assert [number for number in compared if _folded(fiches[number].title) in titles[number]] == [
        "RNCP18318",
        "RNCP18367",
        "RNCP28353",
        "RNCP4500",
        "RNCP4503",
        "RNCP4861",
    ]
    assert not any(_folded(composed[number]) in titles[number] for number in compared)
    # Certif Info's title starts with the head chosen, or with the type's code (BP, BPA, DEUST …),
    # but for the two BPJEPS, which it abbreviates as a whole.
    starts = []
    for number in compared:
        fiche, code = fiches[number], _folded(printed_rows[number]["CodeTypeCertif"])
        head = _folded(fiche.title[: len(fiche.title) - len(composed[number])])
        if any(title.startswith(head) or title.startswith(code + " ") for title in titles[number]):
            starts.append(number)
    assert sorted(set(compared) - set(starts)) == ["RNCP1969", "RNCP22351"]


def test_no_composed_title_is_in_the_xml_fixture(fiches, printed_rows):
    xml = read_fc_xml(DATA / "rncp" / "xml-fixture" / "export_fiches_RNCP_fixture.xml", data_dir=DATA)
    shared = {fiche.number: fiche.title for fiche in xml.fiches if fiche.number in fiches}
    assert shared == {"RNCP34762": "Programme Grande Ecole – Diplôme d’études supérieures en management"}
    assert "RNCP34762" not in _composed(fiches, printed_rows)
    assert fiches["RNCP34762"].title == shared["RNCP34762"]
