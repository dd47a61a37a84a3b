"""Tests for the fiche page reader: real facts of the three seed pages, and one test per defect."""

from __future__ import annotations

import datetime as dt
from dataclasses import astuple, fields
from functools import cache
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from certgraph.records import (
    Certifier,
    CodeRef,
    CohortStatistic,
    Fiche,
    LineageRef,
    SourceRef,
)
from certgraph.sources.fiche_page import (
    NEW_LAYOUT,
    OLD_LAYOUT,
    detect_layout,
    parse_fiche_page,
    read_fiche_page,
)

SEEDS = Path(__file__).resolve().parents[1] / "data" / "seeds"
OLD_28720 = "000_302bde7b0d01ce31.txt"
NEW_35080 = "001_2cad529828dd26d0.txt"
NEW_41296 = "003_4fd9b141afc500df.txt"
PAGES = (OLD_28720, NEW_35080, NEW_41296)

# The last heading of each page: a text cut before it is a truncated page.
CLOSING = {
    OLD_28720: "Historique de la certification :",
    NEW_35080: "Référentiel d'activité, de compétences et d'évaluation",
    NEW_41296: "Référentiel d'activité, de compétences et d'évaluation",
}


def source(name: str) -> SourceRef:
    return SourceRef(key=f"seed-{name[:3]}", path=f"seeds/{name}", title=f"seed page {name}")


@cache
def seed_text(name: str) -> str:
    return (SEEDS / name).read_text(encoding="utf-8")


@cache
def _parsed(name: str) -> tuple[Fiche | None, list]:
    return parse_fiche_page(seed_text(name), source(name))


@pytest.fixture(scope="module")
def f28720() -> Fiche:
    """The old-layout page of RNCP28720, parsed once: read it, do not modify it."""
    return _parsed(OLD_28720)[0]


@pytest.fixture(scope="module")
def f35080() -> Fiche:
    """The France Compétences page of RNCP35080, parsed once: read it, do not modify it."""
    return _parsed(NEW_35080)[0]


@pytest.fixture(scope="module")
def f41296() -> Fiche:
    """The France Compétences page of RNCP41296, parsed once: read it, do not modify it."""
    return _parsed(NEW_41296)[0]


def all_strings(fiche: Fiche) -> list[str]:
    """Every string the fiche holds, nested records included (for checks on cleaning)."""
    out: list[str] = []

    def walk(value: object) -> None:
        if isinstance(value, str):
            out.append(value)
        elif isinstance(value, list):
            for item in value:
                walk(item)
        elif hasattr(value, "__dataclass_fields__") and not isinstance(value, SourceRef):
            for f in fields(value):
                walk(getattr(value, f.name))

    walk(fiche)
    return out


# ------------------------------------------------------------------------------------------------
# Layout and number


def test_layouts_are_detected():
    assert detect_layout(seed_text(OLD_28720)) == OLD_LAYOUT
    assert detect_layout(seed_text(NEW_35080)) == NEW_LAYOUT
    assert detect_layout(seed_text(NEW_41296)) == NEW_LAYOUT
    assert detect_layout(seed_text("002_d7d9d52eefc6bbc8.txt")) is None  # the CNAM brochure


@pytest.mark.parametrize("name", PAGES)
def test_seed_pages_parse_without_problems(name):
    fiche, problems = _parsed(name)
    assert fiche is not None
    assert [str(p) for p in problems] == []


def test_numbers_come_from_code_line_and_block_codes(f28720, f35080, f41296):
    assert (f28720.number, f35080.number, f41296.number) == ("RNCP28720", "RNCP35080", "RNCP41296")


def test_page_without_any_number_gives_none_and_an_error():
    text = seed_text(NEW_41296).replace("RNCP41296BC", "Bloc ")
    fiche, problems = parse_fiche_page(text, source(NEW_41296))
    assert fiche is None
    assert [(p.severity, p.source) for p in problems if "no fiche number" in p.message] == [
        ("error", f"seeds/{NEW_41296}")
    ]


def test_number_argument_is_used_when_the_page_has_none():
    text = seed_text(NEW_41296).replace("RNCP41296BC", "Bloc ")
    fiche, _ = parse_fiche_page(text, source(NEW_41296), number="41296")
    assert fiche.number == "RNCP41296"
    assert fiche.end_date == dt.date(2028, 9, 24)


def test_page_number_wins_over_a_different_argument():
    fiche, problems = parse_fiche_page(seed_text(NEW_35080), source(NEW_35080), number="RNCP99999")
    assert fiche.number == "RNCP35080"
    assert [(p.line, p.fiche) for p in problems] == [(138, "RNCP35080")]
    assert "RNCP99999" in problems[0].message


def test_unknown_text_gives_none_and_a_problem():
    fiche, problems = parse_fiche_page("Bonjour\nrien à voir", source("x.txt"), number="RNCP1")
    assert fiche is None
    assert problems[0].severity == "error" and "not a fiche page" in problems[0].message


# ------------------------------------------------------------------------------------------------
# RNCP28720, old layout


def test_28720_summary_fields(f28720):
    assert f28720.title == (
        "Manager d'organismes à vocation sociale et culturelle et en économie sociale et solidaire"
    )
    assert (f28720.level_eqf, f28720.level_1969) == (7, "I")
    assert f28720.nsf == [CodeRef("330", "Spécialités plurivalentes des services aux personnes")]
    assert f28720.formacodes == []
    assert f28720.certifiers == [Certifier("Conservatoire national des arts et métiers (CNAM)")]
    assert [(r.code, r.label) for r in f28720.rome] == [
        ("K1403", "Management de structure de santé, sociale ou pénitentiaire"),
        ("K1206", "Intervention socioculturelle"),
        ("M1301", "Direction de grande entreprise ou d'établissement public"),
        ("M1302", "Direction de petite ou moyenne entreprise"),
        ("K1802", "Développement local"),
    ]
    assert f28720.validity_of_components == "illimitée"
    assert (f28720.new_caledonia, f28720.french_polynesia) == (False, False)
    assert f28720.statistics == []  # only prose: "Plus de 30 bénéficiaires par an"
    assert f28720.website is None


def test_28720_description_lists(f28720):
    assert f28720.objectives.startswith("Le manager d'organismes à vocation sociale ou culturelle")
    assert f28720.objectives.endswith("assure 4 fonctions principales :")
    assert len(f28720.activities) == 4
    assert f28720.activities[0].startswith("Il pilote de manière stratégique")
    assert f28720.activities[3].startswith("Il conçoit et conduit des projets")
    assert len(f28720.capacities) == 18
    assert f28720.capacities[0] == "Mettre en œuvre la stratégie d'établissement"
    assert f28720.capacities[-1] == "Mettre en œuvre les différents modes de contractualisation"
    assert len(f28720.jobs) == 15
    assert (f28720.jobs[0], f28720.jobs[-1]) == (
        "Directeur / Directrice d'établissement médico-social",
        "Délégué fédéral",
    )
    assert f28720.sectors.startswith("Le manager d'organisme à vocation sociale et culturelle")
    assert f28720.regulations.startswith("Selon le Décret 2007-221 du 19 février 2007")
    assert f28720.assessment == []


def test_28720_blocks(f28720):
    assert [(b.code, len(b.competencies), len(b.assessment)) for b in f28720.blocks] == [
        ("RNCP28720BC01", 7, 3),
        ("RNCP28720BC02", 7, 3),
        ("RNCP28720BC03", 5, 2),
        ("RNCP28720BC04", 7, 2),
    ]
    assert [b.label for b in f28720.blocks] == [
        "Pilotage stratégique d'un organisme à vocation sociale ou culturelle en économie "
        "sociale et solidaire",
        "Gestion administrative, comptable et financière d'un organisme à vocation sociale ou "
        "culturelle",
        # Published with a trailing " :", which is dropped.
        "Coordination de l'activité d'une équipe RH (salariés + bénévoles + adhérents) dans un "
        "organisme à vocation sociale et culturelle",
        "Conduite de projets portés par un organisme à vocation sociale ou culturelle en économie "
        "sociale et solidaire",
    ]
    assert f28720.blocks[0].competencies == [
        "Mettre en œuvre la stratégie d'établissement",
        "Construire, présenter et animer les plans d'actions stratégiques et bilans d'activités",
        "Assurer la communication interne",
        "Argumenter auprès des administrateurs –ou du directeur des services- les actions "
        "réalisées",
        "Identifier les axes d'évolution de l'organisme, argumenter des priorités à partir d'une "
        "veille réglementaire exercée sur le territoire pour anticiper sur les besoins des "
        "adhérents/usagers.",
        "Assurer une veille prospective et impulser des projets innovants",
        "Déployer les supports de communication internes et externes pour valoriser l'objet social "
        "et mener des actions de sensibilisation adhérents /usagers",
    ]
    assert f28720.blocks[0].assessment == [
        "Présentation orale à partir d'une expérience professionnelle vécue d'un projet "
        "d'établissement ou de service, de tableaux de bord, de statuts, d'un règlement intérieur. "
        "Analyse de leur articulation avec le projet de l'organisme",
        "Présentation des supports de communication conçus lors d'une expérience professionnelle "
        "(journal, site web...)",
        "Présentation de cas pratiques",
    ]
    assert f28720.blocks[2].assessment[-1] == (
        "Etudes de cas pratiques en gestion des ressources humaines (recrutement, gestion de "
        "carrière&formation...)"
    )
    assert f28720.blocks[0].raw_text.startswith("<p>Compétences évaluées :</p>")


def test_28720_access_routes(f28720):
    assert [(r.label, r.open) for r in f28720.access_routes] == [
        ("Après un parcours de formation sous statut d'élève ou d'étudiant", False),
        ("En contrat d'apprentissage", True),
        ("Après un parcours de formation continue", True),
        ("En contrat de professionnalisation", True),
        ("Par candidature individuelle", False),
        ("Par expérience dispositif VAE prévu en 2002", True),
    ]
    assert f28720.access_routes[1].jury.split("\n") == [
        "l'administrateur général du Cnam ou son représentant ou le responsable de l'institut "
        "ou du centre spécialisé qui prépare cette certification",
        "le responsable pédagogique du titre",
        "un enseignants responsable",
        "un professionnel du domaine concerné par le titre professionnel",
    ]
    # This row lost its empty NON cell: the jury must not be read as the NON column.
    assert f28720.access_routes[5].jury.startswith("2 représentants internes 2 représentants")
    assert f28720.access_routes[0].jury is None


def test_28720_registrations(f28720):
    rows = [astuple(r)[:8] for r in f28720.registrations]
    d = dt.date
    assert rows == [
        (
            "arrêté",
            d(2003, 3, 17),
            None,
            d(2003, 3, 27),
            d(1993, 1, 1),
            d(2005, 1, 18),
            "Gestionnaire d'organismes à vocation sociale et culturelle",
            None,
        ),
        ("décret", d(2004, 2, 19), "2004-171", d(2004, 2, 22), None, d(2006, 12, 31), None, None),
        (
            "arrêté",
            d(2007, 3, 30),
            None,
            d(2007, 4, 21),
            d(2007, 4, 21),
            d(2012, 4, 21),
            None,
            None,
        ),
        (
            "arrêté",
            d(2012, 8, 10),
            None,
            d(2012, 8, 22),
            d(2012, 4, 21),
            d(2017, 8, 22),
            "Manager d'organismes à vocation sociale et culturelle",
            "I",
        ),
        (
            "arrêté",
            d(2017, 7, 7),
            None,
            d(2017, 7, 19),
            d(2017, 7, 19),
            d(2020, 7, 19),
            "Manager d'organismes à vocation sociale et culturelle et en économie sociale et "
            "solidaire",
            "I",
        ),
    ]
    assert f28720.registrations[1].text.startswith("Décret n° 2004-171 du 19 février 2004")
    # The fiche takes the dates of its latest registration.
    assert (f28720.decision_date, f28720.last_jo_date, f28720.effect_date, f28720.end_date) == (
        d(2017, 7, 7),
        d(2017, 7, 19),
        d(2017, 7, 19),
        d(2020, 7, 19),
    )


def test_28720_history(f28720):
    assert f28720.former_titles == ["Gestionnaire d'organismes à vocation sociale et culturelle"]
    assert f28720.predecessors == [
        LineageRef(None, "Manager d'organismes à vocation sociale et culturelle")
    ]
    assert f28720.successors == []


# ------------------------------------------------------------------------------------------------
# RNCP35080, France Compétences layout


def test_35080_summary_fields(f35080):
    assert f35080.title is None
    assert (f35080.level_eqf, f35080.level_1969) == (7, None)
    assert f35080.nsf == [
        CodeRef("332n", "Expertise sociale et projets sociaux"),
        CodeRef("310m", "Spécialités plurivalentes des échanges et de la gestion"),
        CodeRef(
            "330p",
            "Spécialités plurivalentes des services aux personnes (organisation, conception)",
        ),
    ]
    assert [(c.code, c.label) for c in f35080.formacodes] == [
        ("32135", "Conduite projet"),
        ("32142", "Management participatif"),
        ("44047", "Direction établissement médico-social"),
        ("44037", "Direction établissement socioculturel"),
    ]
    assert f35080.certifiers == [
        Certifier(
            "CONSERVATOIRE NATIONAL DES ARTS ET METIERS",
            "19753471200017",
            "Le Cnam",
            "https://cnam.fr",
        )
    ]
    assert [r.code for r in f35080.rome] == ["K1206", "K1403", "M1301", "K1802", "M1302"]
    assert f35080.website == (
        "http://cestes.cnam.fr/les-formations/manager-d-organisme-a-vocation-sociale-et-culturelle-en-ess/"
    )
    assert f35080.predecessors == [
        LineageRef(
            "RNCP28720",
            "Manager d'organismes à vocation sociale et culturelle et en économie sociale et "
            "solidaire",
        )
    ]
    assert (f35080.new_caledonia, f35080.french_polynesia) == (False, False)
    assert f35080.validity_of_components is None
    assert f35080.registrations == []


def test_35080_description_lists(f35080):
    assert f35080.objectives.startswith(
        "Créée pour répondre à la demande d'organismes de l'Economie"
    )
    assert f35080.objectives.count("\n") == 5
    assert f35080.activities == [
        "Fonction 1 : Pilotage stratégique d’un organisme à vocation sociale ou culturelle en ESS",
        "Fonction 2 : Gestion administrative, comptable et financière d’un organisme à vocation "
        "sociale ou culturelle",
        "Fonction 3 : Coordination de l’activité d’une équipe RH (salariés + bénévoles + "
        "adhérents) dans un organisme à vocation sociale et culturelle",
        "Fonction 4 : Construction de l’innovation sociale et de la conduite de projet en ESS",
    ]
    assert len(f35080.capacities) == 15
    assert f35080.capacities[0] == (
        "Construire et développer le projet de l’organisme en cohérence avec l’objet social de "
        "l’organisme"
    )
    assert f35080.capacities[-1] == "Evaluer le projet"
    assert f35080.assessment == [
        "Présentation et analyse de cas pratiques",
        "Rédaction d’un mémoire professionnel",
        "Soutenance orale d’analyse de pratiques devant un jury mixte enseignants/professionnels",
        "Présentation des supports et d’outils conçus et utilisés dans le cadre d’une expérience "
        "professionnelle vécue",
    ]
    assert len(f35080.jobs) == 7
    assert f35080.jobs[0] == (
        "Directeur / Directrice de structures sociales ou culturelles, dans le domaine de "
        "l’Economie Sociale et Solidaire"
    )
    assert f35080.sectors.startswith("Le secteur de l’économie sociale et solidaire rassemble")
    assert f35080.regulations.startswith("En 2014, la loi n° 2014-856 du 31 juillet 2014")
    assert f35080.prerequisites.startswith("Avoir une année d’expérience professionnelle")
    assert f35080.prerequisites.endswith("confiées à un certifié de niveau 6.")


def test_35080_blocks(f35080):
    assert [(b.code, len(b.competencies), len(b.assessment)) for b in f35080.blocks] == [
        ("RNCP35080BC01", 5, 3),
        ("RNCP35080BC02", 3, 4),
        ("RNCP35080BC03", 3, 4),
        ("RNCP35080BC04", 3, 4),
    ]
    bc01, bc02, bc03, bc04 = f35080.blocks
    assert (
        bc01.label == "Pilotage stratégique d’un organisme à vocation sociale ou culturelle en ESS"
    )
    assert bc01.competencies[-1] == (
        "Mettre en œuvre une dimension éthique aux différents niveaux de responsabilité"
    )
    assert bc01.assessment == [
        "Présentations orales à partir d’une expérience professionnelle vécue",
        "Présentation des supports et d’outils conçus et utilisés dans le cadre d’une expérience "
        "professionnelle vécue",
        "Présentations et analyses de cas pratiques",
    ]
    # Two methods printed on one line, joined by " - ", come out as two.
    assert bc02.assessment[1] == "Présentation des outils de suivi et des bilans financiers"
    assert bc02.assessment[2].startswith(
        "Présentations orales et écrites d’une expérience de gestion"
    )
    assert bc03.competencies == [
        "Mettre en œuvre, avec les élus ou avec la direction RH (selon la taille de "
        "l’organisme) de la politique de gestion des ressources humaines",
        "Appliquer des dispositions juridiques et administratives relatives au droit du travail et "
        "à la convention collective de référence",
        "Animer une équipe",
    ]
    assert bc03.assessment[0] == (
        "Rédaction et présentation orale d’une monographie organisationnelle portant sur "
        "l’organisme où travaille l’auditeur"
    )
    assert bc04.competencies == [
        "Mettre en œuvre d’une démarche de recherche action en ESS",
        "Monter un dossier financier",
        "Conduire, accompagner et évaluer le projet",
    ]
    assert bc04.assessment[0] == (
        "Rédaction d’une analyse objectivée d’un champ de pratiques professionnelles"
    )
    assert bc04.assessment[-1] == (
        "Rédaction d’une note de synthèse documentée présentant le contexte économique, juridique, "
        "et social"
    )


def test_35080_access_routes_and_statistics(f35080):
    assert [(r.label, r.open, r.modified) for r in f35080.access_routes] == [
        ("Après un parcours de formation sous statut d’élève ou d’étudiant", False, None),
        ("En contrat d’apprentissage", True, None),
        ("Après un parcours de formation continue", True, None),
        ("En contrat de professionnalisation", True, None),
        ("Par candidature individuelle", False, None),
        ("Par expérience", True, None),
    ]
    assert f35080.access_routes[1].jury == (
        "Deux responsables pédagogiques dont le représentant de l’administrateur général\n"
        "Deux représentants extérieurs, professionnels du secteur"
    )
    assert f35080.access_routes[5].jury.startswith("Au moins 75 % de représentants internes")
    assert f35080.statistics == [
        CohortStatistic(2016, 64, 0, 98, 49, 74),
        CohortStatistic(2017, 40, 1, 90, 58, 66),
        CohortStatistic(2018, 26, 0, 83, 17, 63),
    ]


# ------------------------------------------------------------------------------------------------
# RNCP41296, France Compétences layout


def test_41296_summary_fields(f41296):
    assert f41296.level_eqf == 7
    assert [n.code for n in f41296.nsf] == ["310m", "330p", "332n"]
    assert f41296.formacodes == [
        CodeRef("32135", "Conduite projet"),
        CodeRef("44056", "Travail social en réseau"),
    ]
    assert f41296.certifiers == [
        Certifier("ASSOCIATION SAINTE ANNE", "32949147600019", "IRCOM", "https://www.ircom.fr/")
    ]
    assert [(r.code, r.label) for r in f41296.rome] == [
        ("K1403", "Management de structure de santé, sociale ou pénitentiaire"),
        ("K1802", "Développement local"),
        ("K1201", "Action sociale"),
        ("K1800", "Développement territorial et emploi"),
    ]
    assert len(f41296.activities) == 12
    assert f41296.activities[-1].startswith("Animer une équipe en sachant transmettre une vision")
    assert len(f41296.capacities) == 27
    assert f41296.assessment == [
        "Rédaction d'un mémoire professionnel et soutenances orales",
        "Etude de cas",
        "Mise en situation",
        "Epreuves d'anglais écrite et orale",
        "Analyse réflexive",
        "Epreuve orale",
    ]
    assert len(f41296.jobs) == 8
    assert (f41296.jobs[0], f41296.jobs[-1]) == (
        "Manager de structures sociales",
        "Manager de projets nationaux et internationaux des organisations",
    )
    assert f41296.prerequisites.startswith("• En première année : disposer d'une certification")
    assert f41296.statistics == [
        CohortStatistic(2022, 27, 0, 88, 61, 71),
        CohortStatistic(2023, 40, 0, 91, 65, 60),
    ]
    assert f41296.website is None  # "Le certificateur n'habilite aucun organisme …"
    assert f41296.predecessors == []
    assert (f41296.new_caledonia, f41296.french_polynesia) == (False, False)


def test_41296_blocks(f41296):
    assert [(b.code, len(b.competencies), len(b.assessment)) for b in f41296.blocks] == [
        ("RNCP41296BC01", 6, 1),
        ("RNCP41296BC02", 6, 1),
        ("RNCP41296BC03", 10, 3),
        ("RNCP41296BC04", 5, 2),
    ]
    bc01, bc02, bc03, bc04 = f41296.blocks
    assert bc01.label == (
        "Analyser les déterminants stratégiques d’une organisation de solidarité et concevoir une "
        "stratégie ad hoc"
    )
    assert bc01.competencies[0].startswith("Organiser un système de veille globale")
    assert bc01.assessment == ["Mémoire professionnel et soutenance orale"]
    assert bc02.assessment == ["Etude de cas"]
    assert bc03.competencies[-1].startswith("Communiquer à l’écrit et oralement en anglais")
    assert bc03.assessment == [
        "Mise en situation",
        "Analyse réflexive",
        "Epreuves d'anglais professionnel",
    ]
    assert bc04.assessment == ["Mémoire professionnel", "Epreuve orale"]
    # Every block competency is one of the fiche's "Compétences attestées", in the same order.
    assert [c for b in f41296.blocks for c in b.competencies] == f41296.capacities


def test_41296_access_routes_with_modification_dates(f41296):
    sept_25 = dt.date(2025, 9, 25)
    assert [(r.label, r.open, r.modified) for r in f41296.access_routes] == [
        ("Après un parcours de formation sous statut d’élève ou d’étudiant", True, sept_25),
        ("En contrat d’apprentissage", True, sept_25),
        ("Après un parcours de formation continue", True, sept_25),
        ("En contrat de professionnalisation", True, sept_25),
        ("Par candidature individuelle", False, None),
        ("Par expérience", True, sept_25),
    ]
    assert (
        f41296.access_routes[0].jury.split("\n")[1] == "Un des membres de la direction de l’Ircom"
    )
    assert f41296.access_routes[4].jury is None


# ------------------------------------------------------------------------------------------------
# One test per real defect


def test_defect1_old_layout_rows_split_across_the_table_are_joined(f28720):
    bc02, bc04 = f28720.blocks[1], f28720.blocks[3]
    # The cell breaks mid-sentence ("au conseil" / "d'administration") under a repeated header.
    assert bc02.competencies[1] == (
        "Proposer des solutions d'optimisation des moyens financiers (emprunts, crédits, "
        "placements...) au conseil d'administration ou au directeur des services"
    )
    assert bc02.competencies[-1] == "Gérer l'activité d'un service"
    assert bc02.assessment[0] == (
        "Elaborer des outils de suivi dans le respect des règles comptables et des contraintes "
        "administratives"
    )
    # Block 4's methods follow a header misspelt "DESRIPTIF".
    assert bc04.assessment == [
        "Réalisation d'enquête dans un cadre professionnel ayant une dimension participative",
        "Présentation de projets réalisés dans un cadre professionnel (rapport écrit et "
        "présentation orale)",
    ]
    for block in f28720.blocks:
        for text in block.competencies + block.assessment + [block.label]:
            assert not any(bad in text for bad in ("<", ">", "•", "C5 ", "C9 ", "INTITUL")), text


def test_defect1_continuation_row_goes_to_the_block_above_not_the_next():
    text = seed_text(OLD_28720)
    # Without its continuation row, block 2 stops at "au conseil" and block 3 is unchanged.
    start = text.index("INTITULÉ\tDESCRIPTIF", text.index("28720 - Gestion administrative"))
    cut = text[:start] + text[text.index("<p>Bloc de compétence n°3") :]
    fiche, _ = parse_fiche_page(cut, source(OLD_28720))
    assert fiche.blocks[1].competencies[-1].endswith("placements...) au conseil")
    assert len(fiche.blocks[2].competencies) == 5


def test_defect2_merged_competencies_are_split(f28720):
    bc01, bc02 = f28720.blocks[0], f28720.blocks[1]
    i = bc01.competencies.index("Assurer une veille prospective et impulser des projets innovants")
    assert bc01.competencies[i - 1].endswith("anticiper sur les besoins des adhérents/usagers.")
    j = bc02.competencies.index("Construire un budget prévisionnel")
    assert bc02.competencies[j + 1] == "Assurer le suivi du budget"
    # The raw text keeps the page as published, markers included.
    assert "usagers. C9 Assurer" in bc01.raw_text and "prévisionnel / C5 Assurer" in bc02.raw_text


def test_defect3_end_date_under_both_spellings_of_its_label(f35080, f41296):
    assert "Date d’échance" in seed_text(NEW_35080)
    assert "Date d’échéance" in seed_text(NEW_41296)
    assert f35080.end_date == dt.date(2025, 11, 18)
    assert f41296.end_date == dt.date(2028, 9, 24)
    # The date is read under its label, not taken from any DD-MM-YYYY line.
    unlabelled = seed_text(NEW_35080).replace("Date d’échance", "Date")
    fiche, _ = parse_fiche_page(unlabelled, source(NEW_35080))
    assert fiche.end_date is None


def test_defect4_doubled_apostrophe_in_rome_label(f35080):
    assert "d''établissement" in seed_text(NEW_35080)
    assert (
        CodeRef("M1301", "Direction de grande entreprise ou d'établissement public") in f35080.rome
    )
    assert not [s for s in all_strings(f35080) if "''" in s]


def test_defect5_page_without_title_line(f41296):
    assert f41296.title is None
    assert f41296.number == "RNCP41296"
    assert len(f41296.blocks) == 4 and f41296.end_date == dt.date(2028, 9, 24)
    assert _parsed(NEW_41296)[1] == []


def _check_prefix(name: str, cut: int) -> None:
    text = seed_text(name)
    prefix = text[:cut]
    fiche, problems = parse_fiche_page(prefix, source(name))
    assert not [p for p in problems if "could not parse" in p.message], (cut, problems)
    assert all(p.source == f"seeds/{name}" for p in problems)
    if fiche is None:
        assert any(p.severity == "error" for p in problems), cut
    else:
        truncated = [p for p in problems if "looks truncated" in p.message]
        assert bool(truncated) == (CLOSING[name] not in prefix), cut
        assert all(p.fiche == fiche.number for p in truncated)
        for block in fiche.blocks:
            for item in block.competencies + block.assessment:
                assert "<" not in item and "•" not in item, (cut, item)
    # With the number given, any text that shows its layout yields a fiche.
    given_number, _ = parse_fiche_page(prefix, source(name), number="RNCP1")
    assert (given_number is None) == (detect_layout(prefix) is None), cut


@pytest.mark.parametrize("name", PAGES)
def test_defect6_truncated_pages_never_raise(name):
    text = seed_text(name)
    for cut in list(range(0, len(text), 250)) + [len(text)]:
        _check_prefix(name, cut)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(PAGES), st.floats(min_value=0, max_value=1))
def test_defect6_truncated_pages_property(name, where):
    _check_prefix(name, int(len(seed_text(name)) * where))


def test_defect6_truncated_page_is_reported_with_its_last_line():
    text = seed_text(NEW_35080)
    prefix = text[: text.index("Code(s) ROME :")]
    fiche, problems = parse_fiche_page(prefix, source(NEW_35080))
    assert len(fiche.blocks) == 4 and fiche.rome == []
    (problem,) = problems
    assert (problem.source, problem.line, problem.fiche) == (
        f"seeds/{NEW_35080}",
        prefix.count("\n") + 1,
        "RNCP35080",
    )
    assert "sections missing: rome, access, referential" in problem.message


@settings(max_examples=30, deadline=None)
@given(
    st.text(alphabet=st.sampled_from(list("RNCP0123456789BC -•\t\n:XOuiNon<p>é’'")), max_size=300)
)
def test_arbitrary_text_never_raises(text):
    for page in (text, "L'essentiel\n" + text, "Code RNCP : 12\n" + text):
        fiche, problems = parse_fiche_page(page, source("fuzz.txt"))
        assert not [p for p in problems if "could not parse" in p.message], problems


# ------------------------------------------------------------------------------------------------
# Block heuristic and small pages


MINI_NEW_PAGE = """L'essentiel

Compétences attestées :

- Analyse des besoins sociaux du territoire d'intervention
- Conduire le projet

RNCP99999BC01 - Bloc d'essai :

Liste de compétences Modalités d'évaluation

- Analyse des besoins sociaux sur le territoire d'intervention
- Conduire le projet
- Analyse réflexive écrite
- Soutenir un mémoire

Référentiel d'activité, de compétences et d'évaluation :
"""


def test_block_lines_matching_attested_competencies_stay_competencies():
    fiche, problems = parse_fiche_page(MINI_NEW_PAGE, source("mini.txt"))
    assert problems == []
    (block,) = fiche.blocks
    assert (block.code, block.label) == ("RNCP99999BC01", "Bloc d'essai")
    # "Analyse …" starts like an assessment method, but it is (nearly) a listed competency.
    assert block.competencies == [
        "Analyse des besoins sociaux sur le territoire d'intervention",
        "Conduire le projet",
    ]
    # Once the methods start, later lines stay methods, even one starting with a verb.
    assert block.assessment == ["Analyse réflexive écrite", "Soutenir un mémoire"]


def test_block_of_another_fiche_is_reported():
    closing = "Référentiel d'activité, de compétences et d'évaluation :\n"
    page = MINI_NEW_PAGE.replace(closing, "RNCP11111BC01 - Intrus\n\n" + closing)
    fiche, problems = parse_fiche_page(page, source("mini.txt"))
    assert fiche.number == "RNCP99999"
    assert sorted(p.message for p in problems) == [
        "block RNCP11111BC01 does not belong to RNCP99999",
        "block RNCP11111BC01 lists no competencies",
        "block code of another fiche (RNCP11111) on the page of RNCP99999",
    ]


# ------------------------------------------------------------------------------------------------
# Reading files


def test_read_fiche_page_reads_a_seed():
    src = source(NEW_41296)
    loaded = read_fiche_page(SEEDS / NEW_41296, src)
    assert [f.number for f in loaded.fiches] == ["RNCP41296"]
    assert loaded.sources == [src] and loaded.problems == []
    assert loaded.fiches[0].source is src


def test_read_fiche_page_undecodable_file_is_a_problem(tmp_path):
    path = tmp_path / "latin1.txt"
    path.write_bytes("L'essentiel\n\nNiveau 7\n\nCompétences".encode("latin-1"))
    loaded = read_fiche_page(path, SourceRef("bad", "pages/latin1.txt", "bad page"))
    assert loaded.fiches == []
    (problem,) = loaded.problems
    assert (problem.source, problem.line, problem.severity) == ("pages/latin1.txt", 5, "error")
    assert "0xe9" in problem.message


def test_read_fiche_page_missing_file_is_a_problem(tmp_path):
    loaded = read_fiche_page(tmp_path / "nope.txt", SourceRef("nope", "pages/nope.txt", "missing"))
    assert loaded.fiches == [] and loaded.missing == ["pages/nope.txt"]
    assert [p.severity for p in loaded.problems] == ["error"]
