"""Tests of the competency-list splitter, on real LISTE_COMPETENCES / MODALITES_EVALUATION texts.

Every snippet below is copied from ``data/rncp/xml-fixture/`` (the block named in its id); the
last test runs the splitter over every block of the fixture.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from certgraph.sources.competencies import (
    split_assessment,
    split_competencies,
    text_lines,
)

FIXTURE = Path(__file__).resolve().parents[1] / "data" / "rncp" / "xml-fixture"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param(
            # Codes "A1C1." with and without a space after them, items separated by runs of spaces.
            "A1C1. Evaluer, depuis son périmètre et/ou son métier, avec les outils adéquats, les contextes "
            "économiques        A1C2.Apprécier, depuis son périmètre d'activité, les incidences des choix"
            "    A1C3.Anticiper, quelque soit le service d'appartenance",
            [
                (
                    "Evaluer, depuis son périmètre et/ou son métier, avec les outils adéquats, les contextes "
                    "économiques"
                ),
                "Apprécier, depuis son périmètre d'activité, les incidences des choix",
                "Anticiper, quelque soit le service d'appartenance",
            ],
            id="RNCP34762BC01-codes-A1C1",
        ),
        pytest.param(
            # An intro ending with ":" is not a competency; codes "A5.C1.".
            "En mobilisant une analyse du contexte organisationnel et humain, tout en restant vigilant à la "
            "compétitivité et à la pérennité économique de l’organisation :    A5.C1. Réaliser un diagnostic "
            "d’une situation       A5.C2. Valider – le cas échéant - les modalités d’encadrement du métier",
            [
                "Réaliser un diagnostic d’une situation",
                "Valider – le cas échéant - les modalités d’encadrement du métier",
            ],
            id="RNCP34762BC05-intro-and-A5.C1",
        ),
        pytest.param(
            # "-" bullets; a run of spaces inside a statement ("solution   technique") is not a break.
            "- Valider une solution   technique  - Renseigner la maquette numérique du projet  - Lire, décoder : "
            "un document, une information, une base de données...",
            [
                "Valider une solution technique",
                "Renseigner la maquette numérique du projet",
                "Lire, décoder : un document, une information, une base de données...",
            ],
            id="RNCP35809BC02-dashes",
        ),
        pytest.param(
            # "C.1." codes; the final period of a statement is kept.
            "C.1. Organiser et conduire une réunion en pratiquant l’écoute active      C.2. Analyser les besoins "
            "du client en réalisant un diagnostic de son écosystème interne.",
            [
                "Organiser et conduire une réunion en pratiquant l’écoute active",
                "Analyser les besoins du client en réalisant un diagnostic de son écosystème interne.",
            ],
            id="RNCP35419BC01-codes-C.1",
        ),
        pytest.param(
            "* Valider le fonctionnement d’un réseau      * Coder          * Installer une infrastructure réseau",
            ["Valider le fonctionnement d’un réseau", "Coder", "Installer une infrastructure réseau"],
            id="RNCP37488BC01-stars",
        ),
        pytest.param(
            # Multi-level numbers, one of them followed by two spaces ("3.1  Organiser").
            "3.1  Organiser le déploiement de la solution logicielle retenue    3.1.1 Concevoir un plan de "
            "déploiement du logiciel    3.1.2. Configurer l’environnement de déploiement",
            [
                "Organiser le déploiement de la solution logicielle retenue",
                "Concevoir un plan de déploiement du logiciel",
                "Configurer l’environnement de déploiement",
            ],
            id="RNCP36490BC03-numbered-1.1.1",
        ),
        pytest.param(
            # Plain lines, one statement a line, two spaces apart.
            "Installer et configurer son environnement de travail en fonction du projet web ou web mobile  "
            "Maquetter des interfaces utilisateur web ou web mobile",
            [
                "Installer et configurer son environnement de travail en fonction du projet web ou web mobile",
                "Maquetter des interfaces utilisateur web ou web mobile",
            ],
            id="RNCP37674BC01-plain-lines",
        ),
        pytest.param(
            # A statement glued to the next by one space and no marker stays one (documented limit).
            "- Comprendre et savoir-utiliser le langage dramaturgique pour communiquer avec le metteur en scène et "
            "l'équipe artistique Participer aux réunions collectives    - Réunir une iconographie",
            [
                (
                    "Comprendre et savoir-utiliser le langage dramaturgique pour communiquer avec le metteur en "
                    "scène et l'équipe artistique Participer aux réunions collectives"
                ),
                "Réunir une iconographie",
            ],
            id="RNCP35625BC05-glued-statements",
        ),
    ],
)
def test_split_competencies_real_styles(text, expected):
    assert split_competencies(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param(
            # CAPACITES_ATTESTEES of RS5000: a heading, then "*" bullets with codes.
            "Les compétences attestées par la certification :        * C1. Concevoir un projet d’application "
            "impliquant une blockchain* privée      * C2. Développer la partie front-end* d’une application",
            [
                "Concevoir un projet d’application impliquant une blockchain* privée",
                "Développer la partie front-end* d’une application",
            ],
            id="RS5000-heading-stars-codes",
        ),
        pytest.param(
            # CAPACITES_ATTESTEES of RS6547: "1 :" numbering.
            "1 : Préparer des sessions de formation d’anglais    2 : Analyser les principales caractéristiques",
            ["Préparer des sessions de formation d’anglais", "Analyser les principales caractéristiques"],
            id="RS6547-numbered-colon",
        ),
        pytest.param(
            # TYPE_EMPLOI_ACCESSIBLES of RNCP35419: round bullets.
            "● Analyste-Programmeur    ● Architecte logiciel    ● CTO (Chief Technology Officer)",
            ["Analyste-Programmeur", "Architecte logiciel", "CTO (Chief Technology Officer)"],
            id="RNCP35419-round-bullets",
        ),
        pytest.param(
            # CAPACITES_ATTESTEES of RS5719: "1." numbering after an intro ending with ":" on the same line.
            "dans l'attente de ceux-ci:    1. évoluer dans le cadre juridique applicable à son action de secours;"
            "    2. Assurer une protection immédiate",
            [
                "évoluer dans le cadre juridique applicable à son action de secours",
                "Assurer une protection immédiate",
            ],
            id="RS5719-numbered-dot",
        ),
    ],
)
def test_split_fiche_level_lists(text, expected):
    assert split_competencies(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("Cas pratiques    Mise en situation professionnelle simulée", [
            "Cas pratiques", "Mise en situation professionnelle simulée"], id="RNCP35419BC01"),
        pytest.param(
            # Codes name the competencies assessed: kept, including "A2C2. et A2C3.".
            "A2C1. Analyse d'une situation managériale    A2C2. et A2C3. Analyse de situations de travail"
            "       A2C10 Actions de communication en contexte professionnel",
            [
                "A2C1. Analyse d'une situation managériale",
                "A2C2. et A2C3. Analyse de situations de travail",
                "A2C10 Actions de communication en contexte professionnel",
            ],
            id="RNCP34762BC02-codes-kept",
        ),
        pytest.param(
            # "360°" after a run of spaces is not the start of an item.
            "A2C7. Retours d'expérience intégrant : une analyse critique de ses pratiques ; en s'appuyant sur la "
            "sollicitation des avis de tiers pertinents, et d'évaluations  360° ou équivalents",
            [
                (
                    "A2C7. Retours d'expérience intégrant : une analyse critique de ses pratiques ; en s'appuyant "
                    "sur la sollicitation des avis de tiers pertinents, et d'évaluations 360° ou équivalents"
                )
            ],
            id="RNCP34762BC02-360",
        ),
        pytest.param(
            # Duplicates are dropped (compared case-insensitively), the order is kept.
            "Etude de cas    Cas pratiques    Etude de cas    ETUDE DE CAS",
            ["Etude de cas", "Cas pratiques"],
            id="RNCP35419BC03-duplicates",
        ),
    ],
)
def test_split_assessment_real_styles(text, expected):
    assert split_assessment(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param(
            "<p>Compétences :</p><ul><li>Analyser&nbsp;le besoin</li><li>Concevoir <b>une</b> solution</li></ul>",
            ["Analyser le besoin", "Concevoir une solution"],
            id="html-remnants",
        ),
        pytest.param(
            "C1 - Analyser le besoin C2 - Concevoir une solution C3. Livrer l'application",
            ["Analyser le besoin", "Concevoir une solution", "Livrer l'application"],
            id="run-on-codes",
        ),
        pytest.param(
            "Construire un budget prévisionnel / C5 Assurer le suivi du budget. C6 Piloter la trésorerie",
            ["Construire un budget prévisionnel", "Assurer le suivi du budget.", "Piloter la trésorerie"],
            id="codes-after-slash-and-period",
        ),
        pytest.param("Compétences attestées\nAnalyser le besoin\nConcevoir une solution", [
            "Analyser le besoin", "Concevoir une solution"], id="newlines-and-heading"),
        pytest.param("Réduire le CO2 émis\n1) Mesurer 2.5 heures", ["Réduire le CO2 émis", "Mesurer 2.5 heures"],
                     id="numbers-that-are-not-codes"),
        pytest.param("", [], id="empty"),
        pytest.param(None, [], id="none"),
    ],
)
def test_split_other_styles(text, expected):
    assert split_competencies(text) == expected


def test_text_lines_keep_markers_for_prose():
    jury = "2 membres de la direction de l'école    2 membres professionnels   du secteur"
    assert text_lines(jury) == ["2 membres de la direction de l'école", "2 membres professionnels du secteur"]


def _fixture_blocks() -> dict[str, tuple[str, str]]:
    blocks = {}
    root = ET.parse(FIXTURE / "export_fiches_RNCP_fixture.xml").getroot()
    for fiche in root.iter("FICHE"):
        for block in fiche.iterfind("BLOCS_COMPETENCES/BLOC_COMPETENCES"):
            texts = (block.findtext("LISTE_COMPETENCES"), block.findtext("MODALITES_EVALUATION"))
            blocks[block.findtext("CODE")] = texts
    return blocks


def test_every_fixture_block_splits_cleanly():
    blocks = _fixture_blocks()
    assert len(blocks) == 53
    counts = {code: len(split_competencies(text)) for code, (text, _) in blocks.items()}
    # Statement counts of a few blocks, one per style, checked by reading the published text.
    assert counts["RNCP34762BC02"] == 10  # A2C1 … A2C10
    assert counts["RNCP35809BC02"] == 20  # "-" bullets
    assert counts["RNCP35419BC04"] == 5  # C.14 … C.18
    assert counts["RNCP36490BC01"] == 10  # 1.1, 1.1.1, … 1.3.3
    assert counts["RNCP37488BC02"] == 4  # "*" bullets
    assert counts["RNCP35959BC01"] == 12  # plain lines
    for code, (text, assessment) in blocks.items():
        statements = split_competencies(text)
        assert statements, code
        for statement in statements:
            # No bullet, code or heading left at the start; no empty or doubled statement.
            assert statement[0] not in "-*•●" and not statement.endswith(":"), (code, statement)
            assert not statement[:4].rstrip(".").replace(".", "").isdigit(), (code, statement)
            assert "  " not in statement, (code, statement)
        assert len({s.casefold() for s in statements}) == len(statements), code
        assert split_assessment(assessment), code
    # Counted once from the fixture; the per-style counts above were read from the published text.
    assert sum(counts.values()) == 347
    assert sum(len(split_assessment(assessment)) for _, assessment in blocks.values()) == 239
