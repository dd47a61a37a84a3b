"""Tests for the programme readers: the Cnam Cestes brochure and web page of RNCP35080, and texts they cannot read."""

from __future__ import annotations

from pathlib import Path

import pytest

from certgraph.records import CohortStatistic, Loaded, SourceRef, TrainingProgramme
from certgraph.sources.brochure import (
    CNAM_CESTES,
    parse_programme_brochure,
    parse_programme_web_page,
    read_programme_brochure,
    read_programme_web_page,
)
from certgraph.sources.fiche_page import read_fiche_page

SEEDS = Path(__file__).resolve().parents[1] / "data" / "seeds"
SEED = SEEDS / "002_d7d9d52eefc6bbc8.txt"
SOURCE = SourceRef(
    key="seed-002", path="seeds/002_d7d9d52eefc6bbc8.txt", title="Brochure du diplôme (Cnam Cestes)"
)
WEB_SEED = SEEDS / "004_0804f255e4d6d6ac.txt"
WEB_SOURCE = SourceRef(
    key="seed-004", path="seeds/004_0804f255e4d6d6ac.txt", title="Page web du diplôme (Cnam Cestes)"
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


def test_provider_constant_is_what_the_brochure_states(programme):
    # The web page borrows the brochure's full provider name: the two must not drift apart.
    assert programme.provider == CNAM_CESTES


# The web page (seed 004): same diploma, 33rd promotion (November 2024).


@pytest.fixture(scope="module")
def web_page() -> Loaded:
    """What reading the seed web page gives (read once; do not mutate)."""
    return read_programme_web_page(WEB_SEED, WEB_SOURCE)


def test_brochure_reader_does_not_read_the_web_page():
    loaded = read_programme_brochure(WEB_SEED, WEB_SOURCE)
    assert loaded.programmes == []
    assert "no 'Diplôme de' title" in loaded.problems[0].message


def test_web_page_reads_cleanly(web_page):
    assert web_page.problems == []
    assert web_page.sources == [WEB_SOURCE]
    assert len(web_page.programmes) == 1
    assert len(web_page.fiches) == 1


def test_web_programme_facts(web_page):
    (programme,) = web_page.programmes
    assert programme.fiche == "RNCP35080"
    assert programme.title == "Manager d'organismes à vocation sociale et culturelle en ESS"
    assert programme.provider == (
        "Conservatoire national des arts et métiers (Cnam) — Centre de l'Économie Sociale (Cestes)"
    )
    assert programme.total_hours == 490
    assert programme.created_year is None
    assert programme.cost == (
        "10 005 € dans le cadre d'un financement par un tiers (entreprise, institution, OPCO...) ou via le CPF"
        " (pour les deux années); 5 000,50 € dans le cadre d'un financement individuel (pour les deux années)"
    )
    assert programme.source == WEB_SOURCE


def test_web_prerequisites(web_page):
    paragraphs = web_page.programmes[0].prerequisites.split("\n\n")
    assert len(paragraphs) == 2
    assert paragraphs[0].startswith("Les candidats justifient d'un diplôme de niveau 6 ou d'un diplôme d'éducateur")
    assert paragraphs[1] == (
        "Une dérogation pour les personnes ne possédant pas un diplôme de niveau 6 est envisageable à partir"
        " de 6 ans d'expérience dans les domaines professionnels concernés par la formation."
    )


def test_web_modules(web_page):
    (programme,) = web_page.programmes
    summary = [(m.label, m.hours, m.block_number, len(m.courses), m.certifying) for m in programme.modules]
    assert summary == [
        ("Séminaires", 420, None, 4, True),
        ("Ateliers mémoires", 70, None, 2, True),
        (
            "Initiation à la vie coopérative: gouvernance, management, droit, gestion coopératives",
            None,
            None,
            0,
            False,
        ),
    ]
    assert sum(m.hours for m in programme.modules if m.certifying) == programme.total_hours == 490


def test_web_module_courses(web_page):
    seminars, workshops, _ = web_page.programmes[0].modules
    assert seminars.courses == [
        (
            "théoriques pour armer la réflexion, et thématiques pour comprendre les spécificités"
            " des champs d'intervention"
        ),
        "techniques pour outiller la pratique",
        "monographiques pour découvrir des expériences novatrices",
        "méthodologiques pour accompagner l'apprentissage de chaque stagiaire",
    ]
    assert workshops.courses == [
        "ils réunissent 5 à 6 auditeurs lors de chaque regroupement",
        (
            "ils sont un moment d'échanges entre auditeurs et le lieu de l'accompagnement méthodologique"
            " à la construction du mémoire"
        ),
    ]


def test_web_statistics(web_page):
    (fiche,) = web_page.fiches
    assert fiche.number == "RNCP35080"
    assert fiche.source == WEB_SOURCE
    assert fiche.statistics == [
        CohortStatistic(2016, certified=64, certified_vae=0, insertion_rate_6m=98, job_insertion_rate_6m=49,
                        job_insertion_rate_2y=74),
        CohortStatistic(2017, certified=40, certified_vae=1, insertion_rate_6m=90, job_insertion_rate_6m=58,
                        job_insertion_rate_2y=66),
        CohortStatistic(2018, certified=26, certified_vae=0, insertion_rate_6m=83, job_insertion_rate_6m=17,
                        job_insertion_rate_2y=63),
    ]
    # Only the statistics: the page is not the register's fiche.
    assert fiche.title is None and fiche.blocks == [] and fiche.certifiers == []


def test_web_statistics_agree_with_the_fiche_page(web_page):
    official = read_fiche_page(SEEDS / "001_2cad529828dd26d0.txt", SourceRef("seed-001", "seeds/001", "fiche"))
    assert web_page.fiches[0].statistics == official.fiches[0].statistics


def _web_text_up_to(marker: str) -> str:
    text = WEB_SEED.read_text(encoding="utf-8")
    assert marker in text
    return text[: text.index(marker)]


def test_web_page_cut_before_the_programme():
    loaded = parse_programme_web_page(_web_text_up_to("Module complémentaire non certifiant"), WEB_SOURCE)

    (programme,) = loaded.programmes
    assert programme.title == "Manager d'organismes à vocation sociale et culturelle en ESS"
    assert programme.provider is None  # the Cestes is named further down the page
    assert (programme.total_hours, programme.modules, programme.prerequisites, programme.cost) == (None, [], None, None)
    assert [s.year for s in loaded.fiches[0].statistics] == [2016, 2017, 2018]
    assert {(p.source, p.fiche, p.line, p.severity) for p in loaded.problems} == {
        ("seeds/004_0804f255e4d6d6ac.txt", "RNCP35080", None, "warning")
    }
    assert [p.message for p in loaded.problems] == [
        "the page does not name both the Cnam and its Cestes: no provider",
        "no 'La formation représente … heures' line: no total hours nor modules",
        "no 'Niveau requis' section: no prerequisites",
        "no 'Coût et modalités d'inscription' section: no cost",
    ]


def test_web_page_cut_inside_the_statistics_table():
    loaded = parse_programme_web_page(_web_text_up_to("\t1\t90"), WEB_SOURCE)  # the 2017 row is cut

    assert loaded.fiches[0].statistics == [
        CohortStatistic(2017, certified=40),
        CohortStatistic(2018, certified=26, certified_vae=0, insertion_rate_6m=83, job_insertion_rate_6m=17,
                        job_insertion_rate_2y=63),
    ]
    first = loaded.problems[0]
    assert (first.line, first.message) == (35, "statistics row for 2017 has 2 cells, the header 6")
    messages = [p.message for p in loaded.problems]
    assert "no 'La formation représente … heures' line: no total hours nor modules" in messages
    assert loaded.programmes[0].modules == []


def test_web_page_cut_inside_the_composition():
    loaded = parse_programme_web_page(_web_text_up_to("d'ateliers mémoires"), WEB_SOURCE)

    (programme,) = loaded.programmes
    assert [(m.label, m.hours, len(m.courses)) for m in programme.modules] == [
        ("Séminaires", 420, 4),
        ("Initiation à la vie coopérative: gouvernance, management, droit, gestion coopératives", None, 0),
    ]
    assert [p.message for p in loaded.problems] == [
        "the page does not name both the Cnam and its Cestes: no provider",
        "no 'Niveau requis' section: no prerequisites",
        "no 'Coût et modalités d'inscription' section: no cost",
        "modules add up to 420 h, the page states 490 h",
    ]


def test_web_page_without_its_head():
    text = WEB_SEED.read_text(encoding="utf-8")
    loaded = parse_programme_web_page(text[text.index("Objectif :") :], WEB_SOURCE)

    assert loaded.programmes == [] and loaded.fiches == []
    (problem,) = loaded.problems
    assert problem.severity == "error"
    assert problem.message == "no RNCP number: no programme nor statistics read"


def test_web_page_without_heading_takes_the_title_from_its_first_sentence():
    text = WEB_SEED.read_text(encoding="utf-8").replace(
        "Manager d'organismes à vocation sociale et culturelle en ESS\n", "", 1
    )
    loaded = parse_programme_web_page(text, WEB_SOURCE)

    assert loaded.programmes[0].title == "Manager d'organismes à vocation sociale et culturelle en ESS"
    assert [(p.line, p.message) for p in loaded.problems] == [
        (
            6,
            "'Une formation professionnalisée' is not the diploma's name; the title comes from 'Le diplôme de … est'",
        )
    ]


def test_web_page_without_any_title_keeps_its_statistics():
    text = WEB_SEED.read_text(encoding="utf-8")
    text = text[text.index("Objectif :") :] + "\n[Code RNCP 35080](#)\n"
    loaded = parse_programme_web_page(text, WEB_SOURCE)

    assert loaded.programmes == []
    assert len(loaded.fiches[0].statistics) == 3
    assert [(p.severity, p.message) for p in loaded.problems] == [
        ("error", "no title (first line nor 'Le diplôme de … est'): no programme read")
    ]


def test_web_page_any_cut_never_raises():
    text = WEB_SEED.read_text(encoding="utf-8")
    cuts = sorted({index for index, char in enumerate(text) if char == "\n"} | set(range(0, len(text), 37)))
    for cut in cuts:
        loaded = parse_programme_web_page(text[:cut], WEB_SOURCE)
        assert all(p.source == WEB_SOURCE.path for p in loaded.problems), cut
        # What a cut page keeps is never more than the whole page holds.
        assert len(loaded.programmes) <= 1 and len(loaded.fiches) <= 1, cut
        if not loaded.programmes:
            assert any(p.severity == "error" for p in loaded.problems), cut


def test_web_page_columns_are_read_by_their_header():
    text = (
        "Gestion\nCode RNCP 1234\nStatistiques\n"
        "Nombre de certifiés\tAnnée d'obtention\tColonne inconnue\n12\t2020\t7\nx\t2021\t8\n"
    )
    loaded = parse_programme_web_page(text, SOURCE)

    assert loaded.fiches[0].statistics == [CohortStatistic(2020, certified=12), CohortStatistic(2021)]
    statistics_problems = [(p.line, p.message) for p in loaded.problems if "statistic" in p.message]
    assert statistics_problems == [
        (4, "statistics column not understood: 'Colonne inconnue'"),
        (6, "statistics for 2021: 'x' is not a number"),
    ]


def test_web_composition_ends_at_the_first_part_without_hours():
    text = (
        "Gestion\nCode RNCP 1234\nLa formation représente 30 heures, et se compose :\n"
        "de cours : 20 heures\n- Comptes,\n- Paie.\nd'ateliers :10 heures\n\n"
        "d'un suivi individuel,\n- entretiens\nde visites : 5 heures\n"
    )
    loaded = parse_programme_web_page(text, SOURCE)

    assert [(m.label, m.hours, m.courses) for m in loaded.programmes[0].modules] == [
        ("Cours", 20, ["Comptes", "Paie"]),
        ("Ateliers", 10, []),
    ]
    assert [(p.line, p.message) for p in loaded.problems if p.line] == [(7, "'Ateliers' lists no course")]


def test_missing_web_page(tmp_path):
    loaded = read_programme_web_page(tmp_path / "absent.txt", WEB_SOURCE)
    assert loaded.programmes == [] and loaded.fiches == []
    assert loaded.missing == [WEB_SOURCE.path]
