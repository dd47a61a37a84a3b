"""Tests for tables written with pipes ("markdown" tables) and for placeholder cells.

Each page here is a real seed page with one or more of its tables rewritten the way other copies
of France Compétences pages write them (``Nom légal | Siret | … |``, an optional ``---|---``
separator, optional leading pipes). A rewritten page must give the same records as the seed.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from certgraph.records import Certifier, CohortStatistic, Fiche, LineageRef, Problem, SourceRef
from certgraph.sources.fiche_page import read_fiche_page

SEEDS = Path(__file__).resolve().parents[1] / "data" / "seeds"
OLD_28720 = "000_302bde7b0d01ce31.txt"
NEW_35080 = "001_2cad529828dd26d0.txt"
NEW_41296 = "003_4fd9b141afc500df.txt"

CERTIFIER_HEADER = ("Nom légal", "Siret", "Nom commercial", "Site internet")
# The certifier row of each page, cut into its cells by hand (the seed prints them flattened).
CERTIFIER_CELLS = {
    NEW_35080: (
        "CONSERVATOIRE NATIONAL DES ARTS ET METIERS",
        "19753471200017",
        "Le Cnam",
        "https://cnam.fr",
    ),
    NEW_41296: ("ASSOCIATION SAINTE ANNE", "32949147600019", "IRCOM", "https://www.ircom.fr/"),
}
CERTIFIERS = {
    NEW_35080: [
        Certifier(
            "CONSERVATOIRE NATIONAL DES ARTS ET METIERS",
            "19753471200017",
            "Le Cnam",
            "https://cnam.fr",
        )
    ],
    NEW_41296: [
        Certifier("ASSOCIATION SAINTE ANNE", "32949147600019", "IRCOM", "https://www.ircom.fr/")
    ],
}
STATISTICS_HEADER = (
    "Année d'obtention de la certification",
    "Nombre de certifiés",
    "Nombre de certifiés à la suite d’un parcours vae",
    "Taux d'insertion global à 6 mois (en %)",
    "Taux d'insertion dans le métier visé à 6 mois (en %)",
    "Taux d'insertion dans le métier visé à 2 ans (en %)",
)
STATISTICS = {
    NEW_35080: [
        CohortStatistic(2016, 64, 0, 98, 49, 74),
        CohortStatistic(2017, 40, 1, 90, 58, 66),
        CohortStatistic(2018, 26, 0, 83, 17, 63),
    ],
    NEW_41296: [
        CohortStatistic(2022, 27, 0, 88, 61, 71),
        CohortStatistic(2023, 40, 0, 91, 65, 60),
    ],
}
IRCOM_JURY = (
    "Deux professionnels professionnels qui exercent des fonctions de direction ou de management "
    "en organisation de solidarité, extérieurs à l’Ircom, sans lien avec les candidats",
    "Un des membres de la direction de l’Ircom",
)


def seed_text(name: str) -> str:
    return (SEEDS / name).read_text(encoding="utf-8")


def read_page(folder: Path, name: str, text: str) -> tuple[Fiche | None, list[Problem]]:
    """Write ``text`` as ``folder/name`` and read it back as a fiche page."""
    path = folder / name
    path.write_text(text, encoding="utf-8")
    loaded = read_fiche_page(path, SourceRef(key="page", path=f"pages/{name}", title="page"))
    return (loaded.fiches[0] if loaded.fiches else None), loaded.problems


def seed_fiche(folder: Path, name: str) -> Fiche:
    """The fiche of the unmodified seed, read the same way (and under the same name)."""
    (folder / "seed").mkdir(exist_ok=True)
    fiche, problems = read_page(folder / "seed", name, seed_text(name))
    assert problems == []
    return fiche


def pipe_row(cells, leading: bool = True) -> str:
    """One row of a pipe table; a trailing pipe always, a leading one on demand."""
    return ("| " if leading else "") + " | ".join(cells) + " |"


def rule(columns: int, leading: bool = True) -> str:
    """The separator row under a pipe-table header."""
    return ("|" if leading else "") + "---|" * columns


def replace_once(text: str, old: str, new: str) -> str:
    assert text.count(old) == 1, f"{old[:60]!r} is not once in the seed"
    return text.replace(old, new)


def with_pipe_certifiers(name: str, text: str, leading: bool, separator: bool) -> str:
    """The seed's certifier table ("Nom légal Siret …" and its row) rewritten with pipes."""
    cells = CERTIFIER_CELLS[name]
    flat = " ".join(CERTIFIER_HEADER) + "\n" + " ".join(cells) + "\n"
    lines = [pipe_row(CERTIFIER_HEADER, leading)]
    lines += [rule(4, leading)] if separator else []
    lines += [pipe_row(cells, leading)]
    return replace_once(text, flat, "\n".join(lines) + "\n")


def with_pipe_statistics(text: str, leading: bool, separator: bool) -> str:
    """The seed's statistics table (header and year rows) rewritten with pipes."""
    header = " ".join(STATISTICS_HEADER)
    start = text.index(header + "\n")
    end = text.index("\n\n", start)
    rows = text[start:end].split("\n")[1:]
    assert rows and all(row.split()[0].isdigit() for row in rows)
    lines = [pipe_row(STATISTICS_HEADER, leading)]
    lines += [rule(6, leading)] if separator else []
    lines += [pipe_row(row.split(), leading) for row in rows]
    return text[:start] + "\n".join(lines) + text[end:]


# ------------------------------------------------------------------------------------------------
# Certifier and statistics tables in pipes give the seed's records


@pytest.mark.parametrize("separator", [True, False], ids=["separator", "no-separator"])
@pytest.mark.parametrize("leading", [True, False], ids=["leading-pipe", "no-leading-pipe"])
@pytest.mark.parametrize("name", [NEW_35080, NEW_41296])
def test_pipe_tables_give_the_records_of_the_seed(tmp_path, name, leading, separator):
    text = with_pipe_certifiers(name, seed_text(name), leading, separator)
    text = with_pipe_statistics(text, leading, separator)
    assert "| Siret |" in text and "| Nombre de certifiés |" in text
    fiche, problems = read_page(tmp_path, name, text)
    assert problems == []
    assert fiche.certifiers == CERTIFIERS[name]
    assert fiche.statistics == STATISTICS[name]
    # Nothing else moves either: the whole record is the seed's.
    assert fiche == seed_fiche(tmp_path, name)


def test_ircom_certifier_from_a_pipe_table(tmp_path):
    text = with_pipe_certifiers(NEW_41296, seed_text(NEW_41296), leading=True, separator=True)
    fiche, _ = read_page(tmp_path, NEW_41296, text)
    (ircom,) = fiche.certifiers
    assert (ircom.name, ircom.siret, ircom.trade_name, ircom.website) == (
        "ASSOCIATION SAINTE ANNE",
        "32949147600019",
        "IRCOM",
        "https://www.ircom.fr/",
    )


def test_pipe_rows_under_the_flattened_heading_keep_their_siret(tmp_path):
    # The heading as the page prints it, the row with pipes and no spaces around them.
    text = replace_once(
        seed_text(NEW_41296),
        "ASSOCIATION SAINTE ANNE 32949147600019 IRCOM https://www.ircom.fr/\n",
        "ASSOCIATION SAINTE ANNE|32949147600019|IRCOM|https://www.ircom.fr/|\n",
    )
    fiche, problems = read_page(tmp_path, NEW_41296, text)
    assert problems == []
    assert fiche.certifiers == CERTIFIERS[NEW_41296]


def test_siret_printed_in_groups_is_read(tmp_path):
    cells = ("ASSOCIATION SAINTE ANNE", "329 491 476 00019", "IRCOM", "https://www.ircom.fr/")
    text = with_pipe_certifiers(NEW_41296, seed_text(NEW_41296), leading=True, separator=True)
    text = replace_once(text, pipe_row(CERTIFIER_CELLS[NEW_41296]), pipe_row(cells))
    fiche, problems = read_page(tmp_path, NEW_41296, text)
    assert problems == []
    assert fiche.certifiers == CERTIFIERS[NEW_41296]


def test_several_certifiers_in_one_pipe_table(tmp_path):
    second = ("CONSERVATOIRE NATIONAL DES ARTS ET METIERS", "19753471200017", "Le Cnam", "-")
    text = with_pipe_certifiers(NEW_41296, seed_text(NEW_41296), leading=False, separator=True)
    first = pipe_row(CERTIFIER_CELLS[NEW_41296], leading=False)
    text = replace_once(text, first, first + "\n" + pipe_row(second, leading=False))
    fiche, problems = read_page(tmp_path, NEW_41296, text)
    assert problems == []
    assert fiche.certifiers == CERTIFIERS[NEW_41296] + [
        Certifier("CONSERVATOIRE NATIONAL DES ARTS ET METIERS", "19753471200017", "Le Cnam", None)
    ]


def test_truncated_pipe_page_does_not_call_the_certifier_section_missing(tmp_path):
    text = with_pipe_certifiers(NEW_41296, seed_text(NEW_41296), leading=True, separator=True)
    text = text[: text.index("RNCP41296BC02")]
    fiche, problems = read_page(tmp_path, NEW_41296, text)
    assert fiche.certifiers == CERTIFIERS[NEW_41296]
    (truncated,) = problems
    assert truncated.message.endswith("(sections missing: rome, access, referential)")


# ------------------------------------------------------------------------------------------------
# Placeholders are absent values


def test_placeholder_cells_of_a_pipe_certifier_are_none(tmp_path):
    cells = ("ASSOCIATION SAINTE ANNE", "32949147600019", "- -", "-")
    text = replace_once(
        with_pipe_certifiers(NEW_41296, seed_text(NEW_41296), leading=True, separator=True),
        pipe_row(CERTIFIER_CELLS[NEW_41296]),
        pipe_row(cells),
    )
    fiche, problems = read_page(tmp_path, NEW_41296, text)
    assert problems == []
    assert fiche.certifiers == [Certifier("ASSOCIATION SAINTE ANNE", "32949147600019", None, None)]


@pytest.mark.parametrize(
    "row, expected",
    [
        ("32949147600019 - - https://www.ircom.fr/", (None, "https://www.ircom.fr/")),
        ("32949147600019 - -", (None, None)),
        ("32949147600019 IRCOM -", ("IRCOM", None)),
        ("32949147600019 — https://www.ircom.fr/", (None, "https://www.ircom.fr/")),
    ],
)
def test_placeholder_cells_of_a_flattened_certifier_are_none(tmp_path, row, expected):
    text = replace_once(
        seed_text(NEW_41296),
        "ASSOCIATION SAINTE ANNE 32949147600019 IRCOM https://www.ircom.fr/\n",
        f"ASSOCIATION SAINTE ANNE {row}\n",
    )
    fiche, problems = read_page(tmp_path, NEW_41296, text)
    assert problems == []
    (certifier,) = fiche.certifiers
    assert (certifier.name, certifier.siret) == ("ASSOCIATION SAINTE ANNE", "32949147600019")
    assert (certifier.trade_name, certifier.website) == expected


def test_placeholder_cells_of_pipe_statistics_are_none(tmp_path):
    text = with_pipe_statistics(seed_text(NEW_41296), leading=True, separator=True)
    before = pipe_row(["2022", "27", "0", "88", "61", "71"])
    text = replace_once(text, before, pipe_row(["2022", "27", "-", "88", "—", ""]))
    fiche, problems = read_page(tmp_path, NEW_41296, text)
    assert problems == []
    assert fiche.statistics == [
        CohortStatistic(2022, 27, None, 88, None, None),
        CohortStatistic(2023, 40, 0, 91, 65, 60),
    ]


def test_dash_placeholders_of_flattened_statistics_are_none(tmp_path):
    text = replace_once(seed_text(NEW_41296), "2022 27 0 88 61 71\n", "2022 27 – 88 — -\n")
    fiche, problems = read_page(tmp_path, NEW_41296, text)
    assert problems == []
    assert fiche.statistics[0] == CohortStatistic(2022, 27, None, 88, None, None)


# ------------------------------------------------------------------------------------------------
# Tables not understood say so


def test_unrecognised_certifier_header_is_reported_as_not_understood(tmp_path):
    header = "Raison sociale | SIRET | Enseigne | Site internet |"
    text = replace_once(
        with_pipe_certifiers(NEW_41296, seed_text(NEW_41296), leading=False, separator=True),
        pipe_row(CERTIFIER_HEADER, leading=False),
        header,
    )
    fiche, problems = read_page(tmp_path, NEW_41296, text)
    assert fiche.certifiers == []
    assert problems == [
        Problem(
            f"pages/{NEW_41296}",
            "certifier table not understood: header 'Raison sociale | SIRET | Enseigne | Site "
            "internet |' (unknown column 'Raison sociale'; unknown column 'Enseigne'; no 'Nom "
            "légal' column); 1 row not read",
            line=49,
            fiche="RNCP41296",
        )
    ]
    assert str(problems[0]).startswith(f"pages/{NEW_41296}:49 [RNCP41296]: certifier table")


def test_header_with_merged_cells_is_not_understood(tmp_path):
    # Two header cells run together: the row has four cells, the header three.
    text = replace_once(
        with_pipe_certifiers(NEW_41296, seed_text(NEW_41296), leading=True, separator=False),
        pipe_row(CERTIFIER_HEADER),
        "| Nom légal Siret | Nom commercial | Site internet |",
    )
    fiche, problems = read_page(tmp_path, NEW_41296, text)
    assert fiche.certifiers == []
    assert [(p.line, p.message) for p in problems] == [
        (
            49,
            "certifier table not understood: header '| Nom légal Siret | Nom commercial | Site "
            "internet |' (unknown column 'Nom légal Siret'; no 'Nom légal' column; no 'Siret' "
            "column); 1 row not read",
        )
    ]


def test_unknown_extra_column_is_reported_and_the_known_ones_read(tmp_path):
    text = replace_once(
        with_pipe_certifiers(NEW_41296, seed_text(NEW_41296), leading=True, separator=True),
        pipe_row(CERTIFIER_HEADER) + "\n" + rule(4) + "\n" + pipe_row(CERTIFIER_CELLS[NEW_41296]),
        pipe_row(CERTIFIER_HEADER + ("Statut",)) + "\n" + rule(5) + "\n"
        + pipe_row(CERTIFIER_CELLS[NEW_41296] + ("Actif",)),
    )
    fiche, problems = read_page(tmp_path, NEW_41296, text)
    assert fiche.certifiers == CERTIFIERS[NEW_41296]
    assert [(p.line, p.message) for p in problems] == [
        (49, "certifier table: unknown column 'Statut' not understood, its cells are ignored")
    ]


def test_unrecognised_statistics_header_is_reported_as_not_understood(tmp_path):
    text = with_pipe_statistics(seed_text(NEW_41296), leading=True, separator=True)
    text = replace_once(text, pipe_row(STATISTICS_HEADER), pipe_row(["Year", "Certified"]))
    fiche, problems = read_page(tmp_path, NEW_41296, text)
    assert fiche.statistics == []
    assert [(p.line, p.message) for p in problems] == [
        (
            262,
            "statistics table not understood: header '| Year | Certified |' (unknown column "
            "'Year'; unknown column 'Certified'; no \"Année d'obtention de la certification\" "
            "column); 2 rows not read",
        )
    ]


# ------------------------------------------------------------------------------------------------
# The other tables of the pages


def test_access_routes_and_territories_in_pipes(tmp_path):
    text = seed_text(NEW_41296)
    start = text.index("Voie d’accès à la certification Oui Non")
    end = text.index("Validité des composantes acquises\nOui Non")
    jury = "<br>".join(IRCOM_JURY)
    routes = [
        ("Après un parcours de formation sous statut d’élève ou d’étudiant", "X", "", jury),
        ("En contrat d’apprentissage", "X", "", jury),
        ("Après un parcours de formation continue", "X", "", jury),
        ("En contrat de professionnalisation", "X", "", jury),
        ("Par candidature individuelle", "", "X", "- -"),
        ("Par expérience", "X", "", jury),
    ]
    header = (
        "Voie d’accès à la certification",
        "Oui",
        "Non",
        "Composition des jurys",
        "Date de dernière modification",
    )
    table = [pipe_row(header), rule(5)] + [
        pipe_row(route + ("-" if route[3] == "- -" else "25-09-2025",)) for route in routes
    ]
    text = text[:start] + "\n".join(table) + "\n" + text[end:]
    territories = (
        "Oui Non\nInscrite au cadre de la Nouvelle Calédonie X\n"
        "Inscrite au cadre de la Polynésie française X\n"
    )
    pipe_territories = [
        pipe_row(["", "Oui", "Non"]),
        rule(3),
        pipe_row(["Inscrite au cadre de la Nouvelle Calédonie", "X", ""]),
        pipe_row(["Inscrite au cadre de la Polynésie française", "", "X"]),
    ]
    text = replace_once(text, territories, "\n".join(pipe_territories) + "\n")
    fiche, problems = read_page(tmp_path, NEW_41296, text)
    assert problems == []
    # the same routes as the flat seed page (whose exact values test_fiche_page pins)
    assert fiche.access_routes == seed_fiche(tmp_path, NEW_41296).access_routes
    assert len(fiche.access_routes) == 6 and fiche.access_routes[4].open is False
    assert fiche.access_routes[0].jury == "\n".join(IRCOM_JURY)
    assert fiche.access_routes[4].jury is None
    # A pipe table keeps the column of the X, which the flattened page loses.
    assert (fiche.new_caledonia, fiche.french_polynesia) == (True, False)


def test_block_table_in_pipes(tmp_path):
    text = seed_text(NEW_41296)
    start = text.index("Liste de compétences Modalités d'évaluation", text.index("RNCP41296BC03"))
    end = text.index("RNCP41296BC04")
    lines = [line.strip() for line in text[start:end].split("\n")[1:] if line.strip()]
    competencies = [line for line in lines if line.startswith("•")]
    assessment = [line for line in lines if not line.startswith("•")]
    assert len(competencies) == 10 and len(assessment) == 3
    table = [
        pipe_row(["Liste de compétences", "Modalités d'évaluation"]),
        rule(2),
        pipe_row(["<br>".join(competencies), "<br>".join(assessment)]),
    ]
    text = text[:start] + "\n".join(table) + "\n\n" + text[end:]
    fiche, problems = read_page(tmp_path, NEW_41296, text)
    assert problems == []
    bc03 = fiche.blocks[2]
    assert bc03.assessment == [
        "Mise en situation",
        "Analyse réflexive",
        "Epreuves d'anglais professionnel",
    ]
    expected = seed_fiche(tmp_path, NEW_41296).blocks[2]
    assert dataclasses.replace(bc03, raw_text=None) == dataclasses.replace(expected, raw_text=None)


def test_predecessor_table_in_pipes(tmp_path):
    title = (
        "Manager d'organismes à vocation sociale et culturelle et en économie sociale et solidaire"
    )
    text = replace_once(
        seed_text(NEW_35080),
        f"Code de la fiche Intitulé de la certification remplacée\nRNCP28720 {title}\n",
        "Code de la fiche | Intitulé de la certification remplacée |\n---|---|\n"
        f"RNCP28720 | {title} |\n",
    )
    fiche, problems = read_page(tmp_path, NEW_35080, text)
    assert problems == []
    assert fiche.predecessors == [LineageRef("RNCP28720", title)]


def test_old_layout_tables_in_pipes(tmp_path):
    # Every tab-separated row of the old page (certifier, blocks, access routes, territories)
    # rewritten as a pipe row; an empty first cell needs the leading pipe.
    text = seed_text(OLD_28720)
    assert text.count("\t") > 20
    lines = [pipe_row(line.split("\t")) if "\t" in line else line for line in text.split("\n")]
    fiche, problems = read_page(tmp_path, OLD_28720, "\n".join(lines))
    assert problems == []
    seed = seed_fiche(tmp_path, OLD_28720)
    # Only the blocks' raw text (kept as printed) may differ, by the pipes.
    no_raw = [dataclasses.replace(b, raw_text=None) for b in seed.blocks]
    assert [dataclasses.replace(b, raw_text=None) for b in fiche.blocks] == no_raw
    assert dataclasses.replace(fiche, blocks=[]) == dataclasses.replace(seed, blocks=[])
    assert fiche.certifiers == [Certifier("Conservatoire national des arts et métiers (CNAM)")]
    assert [(r.label, r.open) for r in fiche.access_routes][:2] == [
        ("Après un parcours de formation sous statut d'élève ou d'étudiant", False),
        ("En contrat d'apprentissage", True),
    ]
