"""Tests of the reader of the January 2021 RNCP extract (rncp_info.v1.4.csv)."""

from __future__ import annotations

import datetime as dt
import time
from pathlib import Path

import pytest

from certgraph.records import Fiche, LineageRef, Loaded
from certgraph.sources.rncp_2021 import read_rncp_info_2021

DATA = Path(__file__).resolve().parents[1] / "data"
RNCP_INFO = DATA / "rncp" / "tables-correspondances-2021" / "rncp_info.v1.4.csv"
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
