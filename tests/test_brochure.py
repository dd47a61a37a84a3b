"""Tests for the brochure reader: the Cnam Cestes programme behind RNCP35080, and texts it cannot read."""

from __future__ import annotations

from pathlib import Path

import pytest

from certgraph.records import SourceRef, TrainingProgramme
from certgraph.sources.brochure import parse_programme_brochure, read_programme_brochure

SEED = Path(__file__).resolve().parents[1] / "data" / "seeds" / "002_d7d9d52eefc6bbc8.txt"
SOURCE = SourceRef(
    key="seed-002", path="seeds/002_d7d9d52eefc6bbc8.txt", title="Brochure du diplôme (Cnam Cestes)"
)


@pytest.fixture(scope="module")
def programme() -> TrainingProgramme:
    """The programme read from the seed brochure (read once; do not mutate)."""
    loaded = read_programme_brochure(SEED, SOURCE)
    assert loaded.problems == []
    assert loaded.sources == [SOURCE]
    (programme,) = loaded.programmes
    return programme


def test_programme_facts(programme):
    assert programme.fiche == "RNCP35080"
    assert programme.title == "Manager d'organismes à vocation sociale et culturelle en ESS"
    assert programme.provider == (
        "Conservatoire national des arts et métiers (Cnam) — Centre de l'Économie Sociale (Cestes)"
    )
    assert programme.total_hours == 511
    assert programme.created_year == 1991
    assert programme.cost == "Coût : 8700€ (4 350 euros en financement individuel) pour les deux années."
    assert programme.source == SOURCE


def test_prerequisites(programme):
    paragraphs = programme.prerequisites.split("\n\n")
    assert len(paragraphs) == 3
    assert paragraphs[0].startswith("Les candidats justifient d'un diplôme de niveau 6 (ancien niveau II)")
    assert paragraphs[2].endswith("au cours des deux ans de la formation.")
    assert "CESTES" not in programme.prerequisites


def test_modules(programme):
    summary = [(m.block_number, m.hours, len(m.courses), m.certifying) for m in programme.modules]
    # in the order the brochure prints them
    assert summary == [
        (1, 161, 11, True),
        (4, 224, 6, True),
        (2, 70, 7, True),
        (3, 56, 6, True),
        (None, 35, 4, False),
    ]
    assert sum(m.hours for m in programme.modules if m.certifying) == programme.total_hours == 511


def test_module_labels_and_courses(programme):
    blocks = {module.block_number: module for module in programme.modules}
    assert blocks[1].label == "Pilotage stratégique d'un organisme à vocation sociale ou culturelle en ESS"
    assert blocks[1].courses[0] == "L'économie sociale et solidaire : fondement et enjeux actuels"
    assert blocks[1].courses[-1] == "La gouvernance associative"
    assert blocks[2].label == (
        "Gestion administrative, financière et logistique — Comptabilité et gestion de l'entreprise associative"
    )
    assert blocks[2].courses[-1] == "Rédiger le budget prévisionnel"
    assert blocks[3].label.startswith("Coordination de l'activité d'une équipe RH")
    assert blocks[None].label == "Initiation à la vie coopérative : gouvernance, management, droit, gestion coopératives"
    assert blocks[None].courses == [
        "L'Approche juridique et fiscale des sociétés coopératives",
        "Les spécificités de la gestion et du modèle économique des coopératives",
        "Management coopératif",
        "Transformation d'une association en SCIC",
    ]


def test_text_without_programme_section():
    text = SEED.read_text(encoding="utf-8")
    cut = text.split("Programme de formation au Cnam-Paris")[0] + "RNCP 35080\n"

    loaded = parse_programme_brochure(cut, SOURCE)

    (programme,) = loaded.programmes
    assert programme.modules == []
    assert programme.total_hours == 511
    (problem,) = loaded.problems
    assert problem.source == "seeds/002_d7d9d52eefc6bbc8.txt"
    assert problem.fiche == "RNCP35080"
    assert "no programme section" in problem.message


def test_text_without_rncp_number():
    loaded = parse_programme_brochure("Diplôme de Gestion\n\nBloc 1\nBudget\n10h\n- Comptes\n", SOURCE)

    assert loaded.programmes == []
    (problem,) = loaded.problems
    assert problem.severity == "error"
    assert "no RNCP number" in problem.message


def test_hours_that_do_not_add_up_and_odd_lines():
    text = (
        "Diplôme de Gestion\nLa formation de 100 heures\nRNCP 1234\n"
        "Programme de formation\nBloc 1\nBudget\n10h\n- Comptes\nUne ligne égarée\n"
        "Bloc 2\nPaie\n- Bulletins\n■ Fin\n"
    )

    loaded = parse_programme_brochure(text, SOURCE)

    (programme,) = loaded.programmes
    assert [(m.block_number, m.label, m.hours, m.courses) for m in programme.modules] == [
        (1, "Budget", 10, ["Comptes"]),
        (2, "Paie", None, ["Bulletins"]),
    ]
    messages = sorted((problem.line, problem.message) for problem in loaded.problems)
    assert messages == [(9, "unexpected line in the programme: 'Une ligne égarée'"), (10, "Bloc 2 states no hours")]


def test_blocks_that_do_not_add_up_to_the_total():
    text = "Diplôme de Gestion\nLa formation de 100 heures\nRNCP 1234\nBloc 1\nBudget\n10h\n- Comptes\n"

    loaded = parse_programme_brochure(text, SOURCE)

    assert [problem.message for problem in loaded.problems] == ["blocks add up to 10 h, the brochure states 100 h"]
    assert loaded.programmes[0].modules[0].hours == 10


def test_missing_file(tmp_path):
    loaded = read_programme_brochure(tmp_path / "absent.txt", SOURCE)
    assert loaded.programmes == []
    assert loaded.missing == [SOURCE.path]
