"""Read the text of an RNCP or France Compétences fiche page into a :class:`Fiche` record.

Two page layouts are understood:

* the old RNCP "Résumé descriptif de la certification" page (``Code RNCP : 28720``), whose block
  and jury cells are HTML fragments in tab-separated table rows, and whose legal history is prose;
* the France Compétences "L'essentiel" page, which prints neither its own number nor its title:
  the number is read from the block codes (``RNCP35080BC01``).

The text is cut into sections at known heading lines; each section has its own small reader.
Tables come tab-separated (old page), flattened to spaces (new page), or as pipe ("markdown")
tables, which other copies of the same pages use; a pipe table is read by its header. A cell that
only holds a placeholder ("-", "- -", "—", "N/A") is an absent value, never a stored one.
Every defect found is a :class:`~certgraph.records.Problem`; nothing here raises on bad text.
"""

from __future__ import annotations

import datetime as dt
import difflib
import html
import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from ..records import (
    AccessRoute,
    Block,
    Certifier,
    CodeRef,
    CohortStatistic,
    Fiche,
    LineageRef,
    Loaded,
    Problem,
    Registration,
    SourceRef,
    normalise_fiche_number,
)
from ..text import collapse_spaces, fold
from .common import FICHE_PREFIXES

__all__ = ["OLD_LAYOUT", "NEW_LAYOUT", "detect_layout", "parse_fiche_page", "read_fiche_page"]

OLD_LAYOUT = "rncp-resume"
NEW_LAYOUT = "fc-essentiel"

# An apostrophe in a heading may be straight or typographic, whichever the page used.
_APOS = "['’]"

_MONTHS = {
    "janvier": 1,
    "fevrier": 2,
    "mars": 3,
    "avril": 4,
    "mai": 5,
    "juin": 6,
    "juillet": 7,
    "aout": 8,
    "septembre": 9,
    "octobre": 10,
    "novembre": 11,
    "decembre": 12,
}
_FRENCH_DATE = r"\d{1,2}(?:er)?\s+[A-Za-zÀ-ÿ]+\s+\d{4}"
_NUMERIC_DATE = re.compile(r"(\d{2})[-/.](\d{2})[-/.](\d{4})")


@dataclass(frozen=True)
class _Headings:
    """The heading lines of one layout, each with the key of the section it starts."""

    pairs: tuple[tuple[str, re.Pattern[str]], ...]
    any: re.Pattern[str]  # all of them in one pattern, to skip ordinary lines with one test
    # A pipe-table header with one of these cells (folded) starts the section of the key even when
    # its other cells are not the page's ("Raison sociale | SIRET | Enseigne"): the reader can then
    # say that the header is not understood, instead of the rows vanishing into the section above.
    table_cells: tuple[tuple[str, frozenset[str]], ...] = ()


def _headings(
    *pairs: tuple[str, str], table_cells: dict[str, set[str]] | None = None
) -> _Headings:
    compiled = tuple((key, re.compile(pattern.replace("'", _APOS))) for key, pattern in pairs)
    unnamed = ("(?:" + re.sub(r"\(\?P<\w+>", "(?:", p.pattern) + ")" for _, p in compiled)
    cells = tuple((key, frozenset(names)) for key, names in (table_cells or {}).items())
    return _Headings(compiled, re.compile("|".join(unnamed)), cells)


# Whole-line headings (matched against the stripped line, or against the cells of a pipe-table
# row joined by spaces, which is how the page flattens them). ``value`` captures text printed on the
# heading line itself ("Code RNCP : 28720", "Validité des composantes acquises : illimitée").
_OLD_HEADINGS = _headings(
    ("code", r"Code RNCP\s*:\s*(?P<value>.*)"),
    ("title", r"Intitulé"),
    ("certifiers", r"AUTORITÉ RESPONSABLE DE LA CERTIFICATION\b.*"),
    ("level", r"Niveau et/ou domaine d'activité"),
    ("conventions", r"Convention\(s\)\s*:\s*(?P<value>.*)"),
    ("nsf", r"Code\(s\) NSF\s*:\s*(?P<value>.*)"),
    ("formacodes", r"Formacode\(s\)\s*:\s*(?P<value>.*)"),
    ("summary", r"Résumé du référentiel d'emploi.*"),
    ("sectors", r"Secteurs d'activité ou types d'emplois accessibles.*"),
    ("rome", r"Codes? des fiches ROME.*"),
    ("regulations", r"R[ée]glementation d'activités?\s*:\s*(?P<value>.*)"),
    ("access_intro", r"Modalités d'accès à cette certification"),
    ("components", r"Descriptif des composantes de la certification\s*:\s*(?P<value>.*)"),
    ("blocks", r"Blocs? de compétences?\s*:"),
    ("validity", r"Validité des composantes acquises\s*:\s*(?P<value>.*)"),
    ("access", r"CONDITIONS D'INSCRIPTION\b.*"),
    ("territories", r"Oui\s+Non"),
    ("links", r"LIENS AVEC D'AUTRES CERTIFICATIONS\b.*"),
    ("legal", r"Base légale\b.*"),
    ("more", r"Pour plus d'informations"),
    ("statistics", r"Statistiques\s*:\s*(?P<value>.*)"),
    ("other_sources", r"Autres sources d'information\s*:"),
    ("places", r"Lieu\(x\) de certification\s*:"),
    ("preparation", r"Lieu\(x\) de préparation.*"),
    ("history", r"Historique de la certification\s*:"),
)

_NEW_HEADINGS = _headings(
    ("essentiel", r"L'essentiel"),
    ("certifiers", r"Nom légal\s+Siret\b.*"),
    ("objectives", r"Objectifs et contexte de la certification\s*:"),
    ("activities", r"Activités visées\s*:"),
    ("capacities", r"Compétences attestées\s*:"),
    ("assessment", r"Modalités d'évaluation\s*:"),
    ("block", rf"(?P<code>(?:{FICHE_PREFIXES})\d+BC\d+)\s*(?:[-–:]\s*(?P<value>.*))?"),
    ("acquisition", r"Description des modalités d'acquisition.*"),
    ("sectors", r"Secteurs d'activités?\s*:"),
    ("jobs", r"Types? d'emplois accessibles\s*:"),
    ("rome", r"Code\(s\) ROME\s*:"),
    ("regulations", r"Références juridiques des r[èé]glementations d'activité\s*:"),
    # The site misspells "échéant" as "échant": accept any spelling of that word.
    ("prerequisites", r"Le cas \w+, prérequis à l'entrée en formation\s*:"),
    ("validation_prerequisites", r"Le cas \w+, prérequis à la validation de la certification\s*:"),
    ("block_prerequisites", r"Pré-?requis \w+ pour les blocs de compétences\s*:\s*(?P<value>.*)"),
    ("validity", r"Validité des composantes acquises\s*:\s*(?P<value>.*)"),
    # A table caption repeated above the jury and territory tables: it only ends a section.
    ("caption", r"Validité des composantes acquises"),
    ("access", r"Voie d'accès à la certification\s+Oui\s+Non\b.*"),
    ("territories", r"Oui\s+Non"),
    ("statistics", r"Statistiques\s*:"),
    ("website", r"Lien internet vers le descriptif de la certification\s*:\s*(?P<value>.*)"),
    ("partners", r"Liste des organismes préparant à la certification\s*:"),
    ("predecessors", r"Certification\(s\) antérieure\(s\)\s*:"),
    ("successors", r"(?:Nouvelle\(s\) certification\(s\)|Certification\(s\) postérieure\(s\))\s*:"),
    ("referential", r"Référentiel d'activité, de compétences et d'évaluation\s*:?"),
    table_cells={"certifiers": {"siret", "n siret", "numero siret"}},
)

# The last section of each layout: without it the text stops before the end of the page. Pages
# are cut short by copy-paste and by the extractor; a missing closing section is the only sign.
_CLOSING = {
    OLD_LAYOUT: ("history", "Historique de la certification"),
    NEW_LAYOUT: ("referential", "Référentiel d'activité, de compétences et d'évaluation"),
}
_EXPECTED = {
    OLD_LAYOUT: ("code", "title", "nsf", "rome", "blocks", "access", "legal", "history"),
    NEW_LAYOUT: ("certifiers", "capacities", "block", "rome", "access", "referential"),
}

_OLD_MARKERS = re.compile(
    r"^\s*(?:Résumé descriptif de la certification|Code RNCP\s*:"
    r"|Le Répertoire National des Certifications)",
    re.M,
)
_NEW_MARKERS = re.compile(
    r"^\s*\|?\s*(?:L['’]essentiel\s*$|Nom légal[\s|]+Siret|Liste de compétences[\s|]+Modalités"
    r"|Nomenclature\s*\n\s*du niveau de qualification"
    rf"|(?:{FICHE_PREFIXES})\d+BC\d+\s*-)",
    re.M,
)

_ITEM_MARK = re.compile(r"^(?:[-–•*▪◦]+|\d{1,2}[.)])\s*")
_FUNCTION_HEADING = re.compile(r"^[-–•]?\s*Fonction\s+\d+\s*:", re.I)
_NSF = re.compile(r"(\d{3}[a-zA-Z]?)\s*:?\s+(\S.*)")
_FORMACODE = re.compile(r"(\d{5})\s*(?::\s*(.*))?")
_ROME = re.compile(r"(?:[-–•*]\s*)?([A-Z]\d{4})\b\s*(?:[-–:]\s*(.*))?")
_BLOCK_CODE = re.compile(rf"^\s*((?:{FICHE_PREFIXES})\d+)BC\d+\b", re.M)
_SIRET_ROW = re.compile(r"(?P<name>.+?)\s+(?P<siret>\d{14})(?:\s+(?P<rest>.*))?")
_URL = re.compile(r"https?://\S+")
_ROUTE_ROW = re.compile(r"(?P<label>.+?)\s+X(?P<dashes>(?:\s+[-‐‑‒–—―−])*)\s*")
_LINEAGE_ROW = re.compile(rf"((?:{FICHE_PREFIXES})\s?\d+)\s*(?:[-–:]\s*)?(.*)")

# Old layout legal history: "Arrêté du 17 mars 2003 publié au Journal Officiel du 27 mars 2003 …".
_ACT_HEAD = re.compile(
    rf"(?P<kind>Arrêté|Décret)(?:\s+n\s*°\s*(?P<number>[\d-]+))?\s+du\s+(?P<date>{_FRENCH_DATE})",
    re.I,
)
_ACT_JO = re.compile(rf"Journal\s+Officiel\s+du\s+({_FRENCH_DATE})", re.I)
_ACT_EFFECT = re.compile(rf"(?:avec effet au|prend effet à compter du)\s+({_FRENCH_DATE})", re.I)
_ACT_END = re.compile(rf"jusqu['’]au\s+({_FRENCH_DATE})", re.I)
_ACT_TITLE_QUOTED = re.compile(r"sous l['’]intitulé\s+[\"«“]\s*(.+?)\s*[\"»”]")
_ACT_TITLE = re.compile(r"\bIntitulé\s*:\s*(.+?)\.?$")

# Old layout: "Bloc de compétence n°1 de la fiche n° 28720 - <label>".
_OLD_BLOCK = re.compile(
    r"Blocs? de compétences?\s+n\s*°\s*(?P<n>\d+)\s+de la fiche\s+n\s*°\s*(?P<fiche>\d+)"
    r"\s*[-–:]?\s*(?P<label>.*)",
    re.I,
)
_OLD_TABLE_HEADER = re.compile(r"^\s*INTITUL[ÉE]\s")
_BLOCK_TABLE_HEADER = re.compile(r"\s*Liste de compétences\b")
_COMPETENCIES_LABEL = re.compile(r"Compétences\s+évaluées\s*:?", re.I)
_ASSESSMENT_LABEL = re.compile(r"Modalités\s+d['’]\s*évaluation\s*:?", re.I)
# Two competencies merged in the source: "… usagers. C9 Assurer …", "… prévisionnel / C5 Assurer …".
_STRAY_MARKER = re.compile(r"(?:(?<=\.)\s+|\s+/\s+)C\d{1,2}\s+(?=[A-ZÀ-ÖØ-Þ])")
# Assessment methods run together as "… - Présentation …": split only where a capital follows,
# so that "services- les" or a lower-case aside between dashes stays in one item.
_DASH_ITEM = re.compile(r"(?:^|\s+)[-–]\s+(?=[A-ZÀ-ÖØ-Þ])")
_JURY_ITEM = re.compile(r"(?:^|\s+)-\s+")

# First words of assessment methods, compared without accents. Competencies start with a verb in
# the infinitive instead; ``_split_new_block`` uses both lists.
_ASSESSMENT_WORDS = frozenset(
    """presentation presentations redaction redactions realisation realisations elaboration
    elaborations etude etudes soutenance soutenances mise mises epreuve epreuves analyse analyses
    memoire memoires dossier dossiers rapport rapports cas entretien entretiens examen examens
    controle controles questionnaire questionnaires qcm production productions evaluation
    evaluations expose exposes oral orale oraux ecrit ecrite ecrits portfolio note notes
    simulation simulations observation observations jeu jeux devoir devoirs travaux synthese
    syntheses grand livret projet projets""".split()
)
_INFINITIVE = re.compile(r"[a-z]+(?:er|ir|re|oir)")


@dataclass
class _Section:
    """The lines from one heading to the next; ``line`` is the 1-based heading line.

    ``heading`` is that line as printed (stripped): for a table whose header is the heading
    ("Nom légal Siret Nom commercial Site internet"), the table reader reads its columns there.
    """

    key: str
    line: int
    match: re.Match[str] | None
    body: list[tuple[int, str]] = field(default_factory=list)
    heading: str = ""

    @property
    def value(self) -> str:
        """Text printed on the heading line after the label, cleaned ('' when none or "-")."""
        if self.match is None or "value" not in self.match.re.groupindex:
            return ""
        return _value(self.match.group("value")) or ""

    def rows(self) -> list[tuple[int, str]]:
        """Non-blank body lines, stripped of surrounding whitespace."""
        return [(n, line.strip()) for n, line in self.body if line.strip()]


class _Report:
    """Collects problems for one page; the fiche number is filled in once known."""

    def __init__(self, source: SourceRef) -> None:
        self.source = source
        self.problems: list[Problem] = []

    def add(self, message: str, line: int | None = None, severity: str = "warning") -> None:
        self.problems.append(Problem(self.source.path, message, line=line, severity=severity))

    def finish(self, number: str | None) -> list[Problem]:
        for problem in self.problems:
            if problem.fiche is None:
                problem.fiche = number
        return self.problems


# --------------------------------------------------------------------------------------------
# Tables
#
# A table comes in one of three shapes: tab-separated cells (the old page); cells run together
# with spaces (the new page as the browser flattens it: only each table's reader knows where a
# cell ends); or a pipe ("markdown") table, as other copies of the same pages are written:
#
#     Nom légal | Siret | Nom commercial | Site internet |
#     ---|---|---|---|
#     ASSOCIATION SAINTE ANNE | 32949147600019 | IRCOM | https://www.ircom.fr/ |
#
# Leading and trailing pipes are optional, the separator row too; a pipe table is read by the
# names of its header cells (a :class:`_Column` list), so that a column the reader does not know
# is reported, never silently read as another.

_PIPE = re.compile(r"(?<!\\)\|")
# The cells of a separator row ("---|:---:|"), or of a row of bare dashes.
_RULE_CELL = re.compile(r"[-:\s]*")
# A cell that only says "nothing here": the pages print "-", and "- -" where two empty cells were
# flattened into one; other copies use other dashes or "N/A".
_DASHES = "-‐‑‒–—―−"
_PLACEHOLDER = re.compile(rf"[{_DASHES}](?:\s*[{_DASHES}])*|N\s*/\s*A", re.I)
_BREAK = re.compile(r"<br\s*/?>", re.I)


@dataclass(frozen=True)
class _Column:
    """A column a table reader knows: the field it fills, its header label, other names for it."""

    key: str
    label: str
    aliases: tuple[str, ...] = ()
    required: bool = False

    def names(self, cell: str) -> bool:
        """True when a header cell names this column (compared without case, accents, marks)."""
        return _fold_label(cell) in {_fold_label(name) for name in (self.label, *self.aliases)}


def _fold_label(text: str) -> str:
    """:func:`_fold` for header labels, whose apostrophes may be straight or typographic.

    >>> _fold_label("Voie d’accès") == _fold_label("VOIE D'ACCES")
    True
    """
    return _fold(re.sub(_APOS, "'", text))


@dataclass
class _Table:
    """A pipe table found in a section body: its header (None without one) and its data rows."""

    line: int  # the header's line, or the first row's when there is no header
    header: list[str] | None
    printed: str  # the header line as printed, for messages
    rows: list[tuple[int, list[str]]]


def _pipe_cells(line: str) -> list[str] | None:
    """The stripped cells of a pipe-table row, or None when the line is not one.

    >>> _pipe_cells("| A | | B |"), _pipe_cells("A|B"), _pipe_cells("A \\\\| B"), _pipe_cells("|")
    (['A', '', 'B'], ['A', 'B'], None, None)
    """
    text = line.strip()
    parts = _PIPE.split(text)
    if len(parts) < 2:
        return None
    if text.startswith("|"):
        parts = parts[1:]
    if text.endswith("|") and not text.endswith("\\|"):
        parts = parts[:-1]
    return [part.strip().replace("\\|", "|") for part in parts] or None


def _cells(line: str, strip: bool = True) -> list[str]:
    """The cells of a table row: pipe-separated if it is a pipe row, else tab-separated."""
    cells = _pipe_cells(line)
    if cells is not None:
        return cells
    parts = line.split("\t")
    return [part.strip() for part in parts] if strip else parts


def _is_rule(cells: list[str]) -> bool:
    """True for a separator row ("---|:---:|", or the old page's "-----\\t---"): no data in it."""
    return any("-" in cell for cell in cells) and all(_RULE_CELL.fullmatch(c) for c in cells)


def _value(text: str | None) -> str | None:
    """A cell's text, cleaned; None when it is empty or a placeholder.

    >>> [_value(v) for v in ("  Le  Cnam ", "-", "- -", " — ", "n/a", "", None, "Saint-Denis")]
    ['Le Cnam', None, None, None, None, None, None, 'Saint-Denis']
    """
    value = _clean(text or "")
    return None if not value or _PLACEHOLDER.fullmatch(value) else value


def _cell_lines(cell: str | None) -> str | None:
    """A cell holding several paragraphs split by ``<br>``: one a line, placeholders dropped."""
    lines = [_value(part) for part in _BREAK.split(cell or "")]
    return "\n".join(line for line in lines if line) or None


def _column(columns: tuple[_Column, ...], cell: str) -> _Column | None:
    return next((column for column in columns if column.names(cell)), None)


def _split_header(text: str, columns: tuple[_Column, ...]) -> list[str] | None:
    """Cut a flattened header ("Nom légal Siret Nom commercial …") into the labels it is made of.

    :returns: the labels, in order; None when some words are no label of ``columns``.

    >>> _split_header("Nom légal Siret Site internet", _CERTIFIER_COLUMNS)
    ['Nom légal', 'Siret', 'Site internet']
    """
    labels = [
        (_fold_label(name).split(), name)
        for column in columns
        for name in (column.label, *column.aliases)
    ]
    # Longest first, so that "Nombre de certifiés à la suite …" is not cut after "certifiés".
    labels.sort(key=lambda label: -len(label[0]))
    words = _fold_label(text).split()
    cells: list[str] = []
    while words:
        found = next(((w, name) for w, name in labels if words[: len(w)] == w), None)
        if found is None:
            return None
        cells.append(found[1])
        words = words[len(found[0]) :]
    return cells or None


def _pipe_rows(body: list[tuple[int, str]]) -> list[tuple[int, list[str]]]:
    """The pipe rows of a section body with their line numbers, separator rows left out."""
    return [(n, cells) for n, line in body if (cells := _pipe_cells(line)) and not _is_rule(cells)]


def _body_table(
    body: list[tuple[int, str]],
    columns: tuple[_Column, ...],
    is_data: Callable[[list[str]], object] | None = None,
) -> _Table | None:
    """The pipe table of a section body, or None when the body has no pipe row.

    The first pipe row is the header, unless ``is_data(cells)`` says it is a data row (by default:
    a row naming none of ``columns``); the header is then the flattened line just above it, if
    that line is made of column labels.
    """
    rows = _pipe_rows(body)
    if not rows:
        return None
    first_line, first = rows[0]
    data = is_data(first) if is_data else not any(_column(columns, cell) for cell in first)
    if not data:
        printed = next(line.strip() for n, line in body if n == first_line)
        return _Table(first_line, first, printed, rows[1:])
    above = [
        (n, line.strip())
        for n, line in body
        if n < first_line and line.strip() and _pipe_cells(line) is None
    ]
    if above and (header := _split_header(above[-1][1], columns)):
        return _Table(above[-1][0], header, above[-1][1], rows)
    return _Table(first_line, None, "", rows)


def _heading_table(section: _Section, columns: tuple[_Column, ...]) -> _Table | None:
    """The pipe rows of a section whose heading is the table header, or None without any."""
    rows = _pipe_rows(section.body)
    if not rows:
        return None
    header = _pipe_cells(section.heading) or _split_header(section.heading, columns)
    return _Table(section.line, header or [section.heading], section.heading, rows)


def _table_keys(
    table: _Table, columns: tuple[_Column, ...], what: str, report: _Report
) -> list[str | None] | None:
    """The field of each column of ``table`` (None for a column not understood).

    A header cell naming no column of ``columns`` (or one named before) is reported and its cells
    are ignored. A header lacking a required column, or no header at all, means the table is not
    understood: one problem names the header and what it lacks, and the rows are not read.
    """
    count = f"{len(table.rows)} row{'s' if len(table.rows) != 1 else ''} not read"
    if table.header is None:
        report.add(f"{what} table not understood: no header row; {count}", table.line)
        return None
    keys: list[str | None] = []
    ignored: list[str] = []  # "unknown column 'Statut'", "repeated column 'Siret'"
    for cell in table.header:
        column = _column(columns, cell)
        if column is not None and column.key not in keys:
            keys.append(column.key)
            continue
        keys.append(None)
        if cell:
            ignored.append(f"{'repeated' if column else 'unknown'} column {cell!r}")
    missing = [f"no {c.label!r} column" for c in columns if c.required and c.key not in keys]
    if missing:
        reasons = "; ".join(ignored + missing)
        report.add(
            f"{what} table not understood: header {table.printed!r} ({reasons}); {count}",
            table.line,
        )
        return None
    for reason in ignored:
        report.add(f"{what} table: {reason} not understood, its cells are ignored", table.line)
    return keys


def _table_row(
    cells: list[str], keys: list[str | None], what: str, line: int, report: _Report
) -> dict[str, str]:
    """The cells of one pipe row by field; a row with more cells than its header is reported."""
    extra = [cell for cell in cells[len(keys) :] if _value(cell)]
    if extra:
        report.add(
            f"{what} row has {len(cells)} cells, its header {len(keys)}: "
            f"{' | '.join(extra)[:60]!r} ignored",
            line,
        )
    return {key: cell for key, cell in zip(keys, cells) if key}


# --------------------------------------------------------------------------------------------
# Public API


def detect_layout(text: str) -> str | None:
    """Return :data:`OLD_LAYOUT`, :data:`NEW_LAYOUT` or None for text that is neither.

    >>> detect_layout("Résumé descriptif de la certification\\n\\nCode RNCP : 28720")
    'rncp-resume'
    >>> detect_layout("L'essentiel\\n\\nNiveau 7") == NEW_LAYOUT
    True
    >>> detect_layout("bonjour") is None
    True
    """
    if _OLD_MARKERS.search(text):
        return OLD_LAYOUT
    if _NEW_MARKERS.search(text):
        return NEW_LAYOUT
    return None


def parse_fiche_page(
    text: str, source: SourceRef, number: str | None = None
) -> tuple[Fiche | None, list[Problem]]:
    """Parse the text of one fiche page (either layout) into a :class:`Fiche` and its problems.

    :param text: the page text, as copied from the browser or extracted from the HTML.
    :param source: where the text comes from; problems name ``source.path``.
    :param number: the fiche number to use when the page does not state one (``RNCP41296`` or
        ``41296``); when both exist and differ, the page wins and a problem says so.
    :returns: ``(fiche, problems)``; the fiche is None when the layout is unknown or no number can
        be found. Never raises on bad text: a page cut short gives what it holds plus a problem.

    >>> src = SourceRef(key="k", path="p.txt", title="t")
    >>> page = "Résumé descriptif de la certification\\nCode RNCP : 1"
    >>> fiche, problems = parse_fiche_page(page, src)
    >>> fiche.number, problems[0].line, "truncated" in problems[0].message
    ('RNCP1', 2, True)
    """
    report = _Report(source)
    if not isinstance(text, str):
        report.add(f"page text is a {type(text).__name__}, not text", severity="error")
        return None, report.finish(None)
    try:
        fiche = _parse(text, source, number, report)
    except Exception as exc:  # noqa: BLE001 - the contract is "never raises on bad text"
        # A reader bug must not lose the other pages of a build: report it with the page.
        report.add(f"could not parse page: {exc!r}", severity="error")
        return None, report.finish(_argument_number(number))
    return fiche, report.finish(fiche.number if fiche else _argument_number(number))


def read_fiche_page(path: Path, source: SourceRef) -> Loaded:
    """Read one fiche page saved as UTF-8 text; unreadable or undecodable files become problems.

    :returns: a :class:`Loaded` with the fiche (if any), its problems and ``source``.
    """
    loaded = Loaded(sources=[source])
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        loaded.missing.append(source.path)
        loaded.problems.append(
            Problem(source.path, f"cannot read file: {exc.strerror or exc}", severity="error")
        )
        return loaded
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        bad = data[exc.start : exc.start + 1].hex()
        loaded.problems.append(
            Problem(
                source.path,
                f"not UTF-8 text: byte 0x{bad} at offset {exc.start} ({exc.reason})",
                line=line,
                severity="error",
            )
        )
        return loaded
    fiche, problems = parse_fiche_page(text, source)
    if fiche is not None:
        loaded.fiches.append(fiche)
    loaded.problems += problems
    return loaded


# --------------------------------------------------------------------------------------------
# Page-level parsing


def _parse(text: str, source: SourceRef, number: str | None, report: _Report) -> Fiche | None:
    layout = detect_layout(text)
    wanted = _argument_number(number)
    if number is not None and wanted is None:
        report.add(f"number argument {number!r} is not a fiche number", severity="error")
    if layout is None:
        report.add(
            "not a fiche page: neither the RNCP nor the France Compétences layout", 1, "error"
        )
        return None
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    headings = _OLD_HEADINGS if layout == OLD_LAYOUT else _NEW_HEADINGS
    sections = _split_sections(lines, headings)
    read_number = _old_number if layout == OLD_LAYOUT else _new_number
    stated, stated_line = read_number(sections, report)
    if stated and wanted and stated != wanted:
        report.add(f"page states {stated} but {wanted} was expected; keeping {stated}", stated_line)
    final = stated or wanted
    if final is None:
        report.add("no fiche number: the page states none and none was given", severity="error")
        return None
    fiche = Fiche(number=final, source=source)
    if layout == OLD_LAYOUT:
        _fill_old(fiche, sections, lines, report)
    else:
        _fill_new(fiche, sections, report)
    _check_truncated(layout, sections, len(lines), report)
    return fiche


def _argument_number(number: str | None) -> str | None:
    if not number:
        return None
    value = str(number).strip()
    return normalise_fiche_number("RNCP" + value if value.isdigit() else value)


def _split_sections(lines: list[str], headings: _Headings) -> list[_Section]:
    sections = [_Section("", 0, None)]
    for index, line in enumerate(lines, start=1):
        stripped = line.strip()
        key, match = _heading(stripped, headings) if stripped else (None, None)
        if key is not None:
            sections.append(_Section(key, index, match, heading=stripped))
        else:
            sections[-1].body.append((index, line))
    return sections


def _heading(stripped: str, headings: _Headings) -> tuple[str | None, re.Match[str] | None]:
    """The section key a line starts (and its match), or ``(None, None)`` for an ordinary line.

    A pipe-table row is matched as the page prints it flattened: its cells joined by spaces.
    """
    cells = _pipe_cells(stripped)
    text = stripped if cells is None else " ".join(cell for cell in cells if cell)
    if text and headings.any.fullmatch(text):
        return next((k, m) for k, p in headings.pairs if (m := p.fullmatch(text)))
    for key, names in headings.table_cells if cells else ():
        if any(_fold(cell) in names for cell in cells):
            return key, None
    return None, None


def _first(sections: list[_Section], key: str) -> _Section | None:
    return next((s for s in sections if s.key == key), None)


def _all(sections: list[_Section], key: str) -> list[_Section]:
    return [s for s in sections if s.key == key]


def _check_truncated(layout: str, sections: list[_Section], n_lines: int, report: _Report) -> None:
    present = {s.key for s in sections}
    key, heading = _CLOSING[layout]
    if key in present:
        return
    missing = [k for k in _EXPECTED[layout] if k not in present]
    report.add(
        f'page looks truncated: it ends at line {n_lines} without its last section "{heading}"'
        f" (sections missing: {', '.join(missing)})",
        line=n_lines,
    )


# --------------------------------------------------------------------------------------------
# Old RNCP layout ("Résumé descriptif de la certification")


def _old_number(sections: list[_Section], report: _Report) -> tuple[str | None, int | None]:
    section = _first(sections, "code")
    if section is None:
        return None, None
    digits = re.match(r"\d+", section.value)
    if not digits:
        report.add(f"unreadable fiche number {section.value!r}", section.line)
        return None, section.line
    return "RNCP" + digits.group(), section.line


def _fill_old(fiche: Fiche, sections: list[_Section], lines: list[str], report: _Report) -> None:
    title = _first(sections, "title")
    if title and title.rows():
        fiche.title = _clean(title.rows()[0][1])
    certifiers = _first(sections, "certifiers")
    if certifiers:
        for _, row in certifiers.rows():
            cells = _cells(row)
            name = None if _is_rule(cells) else _value(_strip_html(cells[0]))
            if name:
                fiche.certifiers.append(Certifier(name=name))
    _read_old_levels(fiche, lines, report)
    fiche.nsf = _code_refs(sections, "nsf", _NSF, report, "NSF")
    fiche.formacodes = _code_refs(sections, "formacodes", _FORMACODE, report, "Formacode")
    fiche.rome = _code_refs(sections, "rome", _ROME, report, "ROME")
    summary = _first(sections, "summary")
    if summary:
        _read_old_summary(fiche, summary)
    sectors = _first(sections, "sectors")
    if sectors:
        prose = [_clean(row) for _, row in sectors.rows() if not _ITEM_MARK.match(row)]
        fiche.sectors = "\n".join(p for p in prose if p and not p.endswith(":")) or None
        fiche.jobs = _list_items(sectors.body, marked_only=True)
    fiche.regulations = _text(_first(sections, "regulations"))
    blocks = _first(sections, "blocks")
    if blocks:
        fiche.blocks = _read_old_blocks(fiche.number, blocks, report)
    _read_validity_and_routes(fiche, sections, report, _read_old_routes)
    legal = _first(sections, "legal")
    if legal:
        fiche.registrations = _read_registrations(legal, report)
        _current_registration(fiche)
    _read_old_history(fiche, lines)


def _read_validity_and_routes(fiche: Fiche, sections, report: _Report, read_routes) -> None:
    """The sections both layouts share: validity of components, access routes, territories."""
    validity = _first(sections, "validity")
    if validity:
        fiche.validity_of_components = validity.value or _text(validity)
    access = _first(sections, "access")
    if access:
        fiche.access_routes = read_routes(access, report)
    _read_territories(fiche, _first(sections, "territories"), report)


def _read_old_levels(fiche: Fiche, lines: list[str], report: _Report) -> None:
    for index, line in enumerate(lines, start=1):
        if "Nomenclature" not in line:
            continue
        old = re.fullmatch(r"\s*([IV]+)\s*\(Nomenclature de 1969\)\s*", line)
        eqf = re.fullmatch(r"\s*(\d)\s*\(Nomenclature Europe\)\s*", line)
        if old and fiche.level_1969 is None:
            fiche.level_1969 = old.group(1)
        elif eqf and fiche.level_eqf is None:
            fiche.level_eqf = int(eqf.group(1))
            if not 1 <= fiche.level_eqf <= 8:
                report.add(f"EQF level {fiche.level_eqf} outside 1-8", index)


def _read_old_summary(fiche: Fiche, summary: _Section) -> None:
    """Split the "Résumé du référentiel d'emploi" into objectives, activities and capacities.

    The old page has no separate sections for these: the prose before "… est capable de :" is the
    job description (objectives), its numbered "1) Il pilote …" lines are the activities, and the
    bulleted lines after it (grouped under "Fonction N :" headings) are the capacities.
    """
    rows = summary.rows()
    capable = (i for i, (_, row) in enumerate(rows) if re.search(r"capable de\s*:$", row))
    cut = next(capable, len(rows))
    prose, activities = [], []
    for _, row in rows[:cut]:
        numbered = re.match(r"^(?:[-–]\s*)?\d+\)\s*(.*)", row)
        if numbered:
            activities.append(_clean(numbered.group(1)))
        else:
            prose.append(_clean(row))
    fiche.objectives = "\n".join(p for p in prose if p) or None
    fiche.activities = [a for a in activities if a]
    fiche.capacities = _list_items(
        [(n, row) for n, row in rows[cut + 1 :]], marked_only=True, skip_functions=True
    )


def _read_old_blocks(number: str, section: _Section, report: _Report) -> list[Block]:
    """Read the block table, whose cells are HTML and whose rows are split across lines.

    A row whose first cell is empty (or a line without a tab) continues the previous block: the
    page repeats the table header ("INTITULÉ … DESCRIPTIF", once misspelt "DESRIPTIF") and carries
    on with the rest of the cell, sometimes mid-sentence.
    """
    parts: list[tuple[int, int, str, list[str]]] = []  # (line, n, label, description fragments)
    for line_no, raw in section.body:
        cells = _cells(raw, strip=False)
        line = "\t".join(cells)  # the line itself, or a pipe row's cells tab-separated
        if not raw.strip() or _OLD_TABLE_HEADER.match(line) or _is_rule(cells):
            continue
        head = _clean(_strip_html(cells[0])) if len(cells) > 1 else ""
        rest = "\t".join(cells[1:]) if len(cells) > 1 else line
        start = _OLD_BLOCK.match(head) if head else None
        if start is None and len(cells) == 1:
            start = _OLD_BLOCK.match(_clean(_strip_html(line)))
            rest = ""
        if start:
            if start.group("fiche") != re.sub(r"^\D+", "", number):
                report.add(
                    f"block {start.group('n')} says fiche n° {start.group('fiche')}, "
                    f"the page is {number}",
                    line_no,
                )
            label = re.sub(r"\s*:\s*$", "", _clean(start.group("label")))
            parts.append((line_no, int(start.group("n")), label, [rest]))
        elif parts:
            if head:
                rest = line  # a first cell that is not a block label is more description
            parts[-1][3].append(rest)
        else:
            report.add("block table text before the first block", line_no)
    blocks: list[Block] = []
    seen: set[str] = set()
    for line_no, n, label, fragments in parts:
        raw_text = " ".join(f.strip() for f in fragments if f.strip())
        code = f"{number}BC{n:02d}"
        if code in seen:
            report.add(f"block {code} appears twice", line_no)
        seen.add(code)
        text = _clean(_strip_html(raw_text))
        split = _ASSESSMENT_LABEL.search(text)
        competencies_text = text[: split.start()] if split else text
        assessment_text = text[split.end() :] if split else ""
        competencies_text = _COMPETENCIES_LABEL.sub(" ", competencies_text, count=1)
        competencies = _split_competencies(competencies_text.split("•"))
        assessment = _split_dash_items(assessment_text)
        if not competencies:
            report.add(f"block {code} lists no competencies", line_no)
        blocks.append(Block(code, label or None, competencies, assessment, raw_text or None))
    return blocks


def _read_old_routes(section: _Section, report: _Report) -> list[AccessRoute]:
    """Read the "CONDITIONS D'INSCRIPTION" table: label, OUI, NON, jury, tab-separated.

    One row ("Par expérience …") lost its empty NON cell, so a third cell that is neither "X" nor
    empty is read as the jury rather than as the NON column.
    """
    routes = []
    for line_no, raw in section.body:
        cells = _cells(raw)
        if not raw.strip() or _is_rule(cells):
            continue
        if len(cells) < 2 or not _value(cells[0]):
            report.add(f"unreadable access route row {raw.strip()[:60]!r}", line_no)
            continue
        marks = cells[1:]
        yes = marks[0].upper() == "X"
        no = len(marks) > 1 and marks[1].upper() == "X"
        jury_cells = marks[2:] if len(marks) > 2 else []
        if len(marks) > 1 and marks[1].upper() != "X" and _value(marks[1]) is not None:
            jury_cells = marks[1:]
        if yes == no:
            report.add(f"access route {cells[0]!r}: cannot tell Oui from Non", line_no)
        jury = _jury_text(" ".join(jury_cells))
        routes.append(AccessRoute(_clean(cells[0]), yes and not no, jury))
    return routes


def _jury_text(cell: str) -> str | None:
    text = _clean(_strip_html(cell))
    if _value(text) is None:
        return None
    items = [_clean(i).rstrip(" ,;") for i in _JURY_ITEM.split(text)]
    return "\n".join(i for i in items if i) or None


def _read_registrations(section: _Section, report: _Report) -> list[Registration]:
    """One registration per paragraph starting with "Arrêté" or "Décret", oldest first."""
    registrations = []
    for line_no, paragraph in _paragraphs(section.body):
        text = _clean(paragraph)
        if not re.match(r"(Arrêté|Décret)\b", text, re.I):
            continue
        head = _ACT_HEAD.match(text)
        if head is None:
            report.add(f"legal act without a date: {text[:60]!r}", line_no)
            registrations.append(Registration(act_kind=text.split()[0].lower(), text=text))
            continue
        title = _ACT_TITLE_QUOTED.search(text) or _ACT_TITLE.search(text)
        level = re.search(r"\bau niveau\s+([IV]+|\d)\b", text)
        registrations.append(
            Registration(
                act_kind=head.group("kind").lower(),
                act_date=_french_date(head.group("date"), report, line_no),
                act_number=head.group("number"),
                jo_date=_date_after(_ACT_JO, text, report, line_no),
                effect_date=_date_after(_ACT_EFFECT, text, report, line_no),
                # "jusqu'au" may appear twice (effect period, then prorogation): the last one wins.
                end_date=_date_after(_ACT_END, text, report, line_no, last=True),
                title=_clean(title.group(1)) if title else None,
                level=level.group(1) if level else None,
                text=text,
            )
        )
    registrations.sort(key=lambda r: (r.act_date is None, r.act_date or dt.date.min))
    return registrations


def _date_after(
    pattern: re.Pattern[str], text: str, report: _Report, line: int, last: bool = False
) -> dt.date | None:
    found = pattern.findall(text)
    if not found:
        return None
    return _french_date(found[-1] if last else found[0], report, line)


def _current_registration(fiche: Fiche) -> None:
    """Give the fiche the dates of its latest registration: the old page prints no others."""
    dated = [r for r in fiche.registrations if r.act_date and r.end_date]
    if not dated:
        return
    latest = max(dated, key=lambda r: r.act_date)
    fiche.decision_date = latest.act_date
    fiche.last_jo_date = latest.jo_date
    fiche.effect_date = latest.effect_date
    fiche.end_date = latest.end_date


def _read_old_history(fiche: Fiche, lines: list[str]) -> None:
    for line in lines:
        if "intitulé" not in line.lower() and "Certification" not in line:
            continue
        row = _clean(line)
        former = re.match(r"Ancien intitulé\s*:\s*(.+)", row, re.I)
        lineage = re.match(r"Certification (précédente|suivante)\s*:\s*(.+)", row, re.I)
        if former:
            # The act that gave the former title follows it in brackets: keep the title only.
            title = re.sub(r"\s*\((?:Arrêté|Décret)\b.*\)\s*$", "", former.group(1), flags=re.I)
            if _value(title) and title not in fiche.former_titles:
                fiche.former_titles.append(title)
        elif lineage:
            ref = _lineage_ref(lineage.group(2))
            before = lineage.group(1).lower() == "précédente"
            target = fiche.predecessors if before else fiche.successors
            if (ref.number or ref.title) and ref not in target:
                target.append(ref)


def _fiche_number(cell: str | None) -> str | None:
    """The fiche number a table cell holds ("RNCP28720", "RNCP 28720"), or None."""
    return normalise_fiche_number(cell or "")


def _lineage_ref(text: str) -> LineageRef:
    row = _LINEAGE_ROW.fullmatch(text)
    if row:
        return LineageRef(normalise_fiche_number(row.group(1)), _value(row.group(2)))
    return LineageRef(None, _value(text))


# --------------------------------------------------------------------------------------------
# France Compétences layout ("L'essentiel")


def _new_number(sections: list[_Section], report: _Report) -> tuple[str | None, int | None]:
    """The page never prints its own number: read it from the block codes (RNCP35080BC01)."""
    blocks = _all(sections, "block")
    found = Counter(_BLOCK_CODE.match(s.match.group("code")).group(1) for s in blocks if s.match)
    if not found:
        return None, None
    (number, _), *others = found.most_common()
    for other, _ in others:
        line = next(s.line for s in blocks if s.match and s.match.group("code").startswith(other))
        report.add(f"block code of another fiche ({other}) on the page of {number}", line)
    return normalise_fiche_number(number), blocks[0].line


def _fill_new(fiche: Fiche, sections: list[_Section], report: _Report) -> None:
    _read_essentiel(fiche, sections, report)
    certifiers = _first(sections, "certifiers")
    if certifiers:
        fiche.certifiers = _read_new_certifiers(certifiers, report)
    fiche.objectives = _text(_first(sections, "objectives"))
    activities = _first(sections, "activities")
    if activities:
        fiche.activities = _list_items(activities.body)
    capacities = _first(sections, "capacities")
    if capacities:
        fiche.capacities = _list_items(capacities.body, skip_functions=True)
    assessment = _first(sections, "assessment")
    if assessment:
        fiche.assessment = _list_items(assessment.body)
    fiche.blocks = _read_new_blocks(fiche, _all(sections, "block"), report)
    fiche.sectors = _text(_first(sections, "sectors"))
    jobs = _first(sections, "jobs")
    if jobs:
        fiche.jobs = _list_items(jobs.body)
    fiche.rome = _code_refs(sections, "rome", _ROME, report, "ROME")
    fiche.regulations = _text(_first(sections, "regulations"))
    entry = _text(_first(sections, "prerequisites"))
    validation = _text(_first(sections, "validation_prerequisites"))
    if validation:
        # Fiche has one prerequisites field: keep the second kind under its own heading.
        heading = "Prérequis à la validation de la certification :"
        entry = "\n".join(filter(None, [entry, heading, validation]))
    fiche.prerequisites = entry
    _read_validity_and_routes(fiche, sections, report, _read_new_routes)
    statistics = _first(sections, "statistics")
    if statistics:
        fiche.statistics = _read_statistics(statistics, report)
    website = _first(sections, "website")
    if website:
        urls = _URL.findall(" ".join([website.value] + [row for _, row in website.rows()]))
        fiche.website = urls[0] if urls else None
    for key, target in (("predecessors", fiche.predecessors), ("successors", fiche.successors)):
        for section in _all(sections, key):
            for ref in _read_lineage(section, report):
                if ref not in target:
                    target.append(ref)


_LINEAGE_COLUMNS = (
    _Column("number", "Code de la fiche", required=True),
    _Column(
        "title",
        "Intitulé de la certification remplacée",
        ("Intitulé de la certification remplaçante", "Intitulé de la certification", "Intitulé"),
    ),
)


def _read_lineage(section: _Section, report: _Report) -> list[LineageRef]:
    """The "Code de la fiche / Intitulé de la certification …" table, flattened or piped."""
    refs = [
        _lineage_ref(row)
        for _, row in section.rows()
        if _pipe_cells(row) is None and _LINEAGE_ROW.fullmatch(row)
    ]
    table = _body_table(section.body, _LINEAGE_COLUMNS, lambda cells: _fiche_number(cells[0]))
    keys = _table_keys(table, _LINEAGE_COLUMNS, "certification lineage", report) if table else None
    for line_no, cells in table.rows if keys else ():
        values = _table_row(cells, keys, "certification lineage", line_no, report)
        number = _fiche_number(values.get("number"))
        if number is None:
            report.add(f"not a fiche number: {values.get('number') or ''!r}", line_no)
            continue
        refs.append(LineageRef(number, _value(values.get("title"))))
    return refs


def _read_essentiel(fiche: Fiche, sections: list[_Section], report: _Report) -> None:
    """Read the summary boxes at the top: level, NSF, Formacode, end of registration.

    The page prints these boxes twice (with and without their icons): codes are de-duplicated,
    keeping the first label and the order of first appearance.
    """
    rows = [row for s in sections if s.key in ("", "essentiel") for row in s.rows()]
    nsf: dict[str, CodeRef] = {}
    formacodes: dict[str, CodeRef] = {}
    end_label: int | None = None
    for position, (line_no, row) in enumerate(rows):
        level = re.fullmatch(r"Niveau\s+(\d)", row)
        code5 = _FORMACODE.fullmatch(row)
        code3 = re.fullmatch(r"(\d{3}[a-zA-Z]?)\s*:\s*(\S.*)", row)
        date = _NUMERIC_DATE.fullmatch(row)
        if level and fiche.level_eqf is None:
            fiche.level_eqf = int(level.group(1))
        elif code5 and code5.group(2) is not None:
            formacodes.setdefault(code5.group(1), CodeRef(code5.group(1), _label(code5.group(2))))
        elif code3:
            nsf.setdefault(code3.group(1), CodeRef(code3.group(1), _label(code3.group(2))))
        elif re.match(r"Date d['’]\s*[ée]ch[ée]?ances?\b", row, re.I):
            end_label = position
        elif date and end_label is not None and fiche.end_date is None:
            fiche.end_date = _numeric_date(date, report, line_no)
    fiche.nsf = list(nsf.values())
    fiche.formacodes = list(formacodes.values())


_CERTIFIER_COLUMNS = (
    _Column("name", "Nom légal", required=True),
    _Column("siret", "Siret", ("N° Siret", "Numéro Siret"), required=True),
    _Column("trade_name", "Nom commercial"),
    _Column("website", "Site internet", ("Site web",)),
)


def _read_new_certifiers(section: _Section, report: _Report) -> list[Certifier]:
    """Rows of the "Nom légal | Siret | Nom commercial | Site internet" table.

    A pipe row is read by the columns of the header (the section's heading). A flattened row, its
    cells separated by spaces only, is split at its 14-digit SIRET: the legal name is before it,
    then the trade name, then the website (anything starting with http).
    """
    table = _heading_table(section, _CERTIFIER_COLUMNS)
    keys = _table_keys(table, _CERTIFIER_COLUMNS, "certifier", report) if table else None
    certifiers = []
    for line_no, row in section.rows():
        cells = _pipe_cells(row)
        if cells is None:
            certifier = _flat_certifier(row, line_no, report)
        elif keys is None or _is_rule(cells):
            continue
        else:
            values = _table_row(cells, keys, "certifier", line_no, report)
            certifier = _table_certifier(values, row, line_no, report)
        if certifier is not None:
            certifiers.append(certifier)
    return certifiers


def _flat_certifier(row: str, line_no: int, report: _Report) -> Certifier | None:
    match = _SIRET_ROW.fullmatch(row)
    if match is None:
        if _value(row) is None:
            report.add(f"certifier row without a legal name, not read: {row[:60]!r}", line_no)
            return None
        report.add(f"certifier without a SIRET: {row[:60]!r}", line_no)
        return Certifier(name=_clean(row))
    rest = (match.group("rest") or "").split()
    website = None
    # The last cell is the website: a URL, or the placeholder printed for none.
    if rest and (_URL.fullmatch(rest[-1]) or _PLACEHOLDER.fullmatch(rest[-1])):
        website = _value(rest.pop())
    name = _value(match.group("name"))
    if name is None:
        report.add(f"certifier row without a legal name, not read: {row[:60]!r}", line_no)
        return None
    return Certifier(name, match.group("siret"), _value(" ".join(rest)), website)


def _table_certifier(
    values: dict[str, str], row: str, line_no: int, report: _Report
) -> Certifier | None:
    name = _value(values.get("name"))
    printed = _value(values.get("siret"))
    # The SIRET is sometimes printed in groups ("329 491 476 00019").
    siret = re.sub(r"\s", "", printed) if printed else None
    if name is None:
        report.add(f"certifier row without a legal name, not read: {row[:60]!r}", line_no)
        return None
    if printed is None:
        report.add(f"certifier without a SIRET: {name[:60]!r}", line_no)
    elif not re.fullmatch(r"\d{14}", siret):
        report.add(f"certifier {name[:60]!r}: SIRET {printed!r} is not 14 digits", line_no)
        siret = None
    return Certifier(
        name=name,
        siret=siret,
        trade_name=_value(values.get("trade_name")),
        website=_value(values.get("website")),
    )


def _read_new_blocks(fiche: Fiche, sections: list[_Section], report: _Report) -> list[Block]:
    blocks: list[Block] = []
    seen: set[str] = set()
    known = {_fold(c) for c in fiche.capacities}
    for section in sections:
        code = section.match.group("code") if section.match else ""
        if not code.startswith(fiche.number + "BC"):
            report.add(f"block {code} does not belong to {fiche.number}", section.line)
        if code in seen:
            report.add(f"block {code} appears twice", section.line)
        seen.add(code)
        label = re.sub(r"\s*:\s*$", "", section.value) or None
        table = _body_table(section.body, _BLOCK_COLUMNS)
        if table is None:
            body = [(n, line) for n, line in section.body if not _BLOCK_TABLE_HEADER.match(line)]
            competencies, assessment = _split_new_block(body, known)
        else:
            competencies, assessment = _read_block_table(code, section, table, report)
        if not competencies:
            report.add(f"block {code} lists no competencies", section.line)
        raw = "\n".join(line.rstrip() for _, line in section.body).strip()
        blocks.append(Block(code, label, competencies, assessment, raw or None))
    return blocks


_BLOCK_COLUMNS = (
    _Column("competencies", "Liste de compétences", required=True),
    _Column("assessment", "Modalités d'évaluation"),
)
# Items inside one cell: "<br>" line breaks, or bullets run together ("• A • B").
_CELL_ITEM = re.compile(r"<br\s*/?>|(?:^|\s)[•▪◦](?=\s)", re.I)


def _read_block_table(
    code: str, section: _Section, table: _Table, report: _Report
) -> tuple[list[str], list[str]]:
    """The competencies and assessment methods of a block written as a pipe table.

    Each column is read on its own, so no guess is needed about where the competencies end; text
    outside the table (other than its header) is reported.
    """
    what = f"block {code}"
    for line_no, row in section.rows():
        if _pipe_cells(row) is None and not _BLOCK_TABLE_HEADER.match(row):
            report.add(f"{what}: text outside its table: {row[:60]!r}", line_no)
    keys = _table_keys(table, _BLOCK_COLUMNS, what, report)
    competencies: list[str] = []
    assessment: list[str] = []
    for line_no, cells in table.rows if keys else ():
        values = _table_row(cells, keys, what, line_no, report)
        competencies += _split_competencies(_CELL_ITEM.split(values.get("competencies") or ""))
        for part in _CELL_ITEM.split(values.get("assessment") or ""):
            assessment += _split_dash_items(part)
    return competencies, assessment


def _split_new_block(body: list[tuple[int, str]], known: set[str]) -> tuple[list[str], list[str]]:
    """Separate the competencies from the assessment methods of one block.

    The page prints the two table columns one after the other, competencies first: the first line
    that is not a competency starts the assessment methods, and all later lines belong to them.
    Each line is tested in this order:

    1. it matches one of the fiche's "Compétences attestées" (``known``, folded with ``_fold``;
       similarity ≥ 0.8): competency;
    2. its first word is a noun of ``_ASSESSMENT_WORDS`` ("Présentation", "Rédaction", "Mise en
       situation"…): assessment;
    3. it drops the list marker of the first line (• lines then plain lines, 41296): assessment;
    4. its first word looks like an infinitive (-er, -ir, -re, -oir): competency;
    5. it is indented deeper than the first line ("  - Présentations…", 35080): assessment;
    6. otherwise: competency.

    Limits: an assessment method worded with a verb ("Soutenir un mémoire") in a page without
    markers or indentation is read as a competency; a competency starting with a listed noun
    ("Analyse …" instead of "Analyser …") ends the competencies early.
    """
    items = []
    for _, line in body:
        if not line.strip():
            continue
        match = re.match(r"^(\s*)([-–•*▪]+)?\s*(.*)$", line)
        items.append((len(match.group(1)), match.group(2), match.group(3)))
    if not items:
        return [], []
    indent0, marker0 = items[0][0], items[0][1]
    cut = len(items)
    for index, (indent, marker, text) in enumerate(items):
        folded = _fold(text)
        first = folded.split(" ", 1)[0]
        if folded in known or any(_similar(folded, k) for k in known):
            continue
        if first in _ASSESSMENT_WORDS or (marker0 is not None and marker is None):
            cut = index
            break
        if _INFINITIVE.fullmatch(first):
            continue
        if indent > indent0:
            cut = index
            break
    competencies = _split_competencies([text for _, _, text in items[:cut]])
    assessment = [a for _, _, text in items[cut:] for a in _split_dash_items(text)]
    return competencies, assessment


_ROUTE_COLUMNS = (
    _Column("label", "Voie d'accès à la certification", required=True),
    _Column("yes", "Oui", required=True),
    _Column("no", "Non", required=True),
    _Column("jury", "Composition des jurys"),
    _Column("modified", "Date de dernière modification"),
)


def _read_new_routes(section: _Section, report: _Report) -> list[AccessRoute]:
    """Read the jury table, flattened or piped.

    Flattened, a route row ends with "X"; the jury paragraphs and the modification date follow on
    their own lines. Which column holds the X is lost, so a route is read as closed when the X is
    followed by "-" placeholders for the jury (and date) — "Par candidature individuelle X -" —
    and as open otherwise. A pipe row keeps its columns ("… | | X | - | - |"), and its jury
    paragraphs are split by ``<br>``.
    """
    table = _heading_table(section, _ROUTE_COLUMNS)
    keys = _table_keys(table, _ROUTE_COLUMNS, "access route", report) if table else None
    routes: list[AccessRoute] = []
    jury: list[str] = []

    def close_route() -> None:
        if routes and jury:
            routes[-1].jury = "\n".join(filter(None, [routes[-1].jury, *jury]))
        jury.clear()

    for line_no, row in section.rows():
        cells = _pipe_cells(row)
        route = _ROUTE_ROW.fullmatch(row) if cells is None else None
        date = _NUMERIC_DATE.fullmatch(row)
        if cells is not None:
            close_route()
            if keys is not None and not _is_rule(cells):
                values = _table_row(cells, keys, "access route", line_no, report)
                routes += _table_route(values, row, line_no, report)
        elif route:
            close_route()
            routes.append(AccessRoute(_clean(route.group("label")), not route.group("dashes")))
        elif date and routes:
            routes[-1].modified = _numeric_date(date, report, line_no)
        elif routes:
            if _value(row):
                jury.append(_clean(row))
        else:
            report.add(f"text before the first access route: {row[:60]!r}", line_no)
    close_route()
    return routes


def _table_route(
    values: dict[str, str], row: str, line_no: int, report: _Report
) -> list[AccessRoute]:
    """The route of one pipe row (a list: empty when the row has no label)."""
    label = _value(values.get("label"))
    if label is None:
        report.add(f"access route row without a label: {row[:60]!r}", line_no)
        return []
    yes = (values.get("yes") or "").upper() == "X"
    no = (values.get("no") or "").upper() == "X"
    if yes == no:
        report.add(f"access route {label!r}: cannot tell Oui from Non", line_no)
    route = AccessRoute(label, yes and not no, _cell_lines(values.get("jury")))
    printed = _value(values.get("modified"))
    date = _NUMERIC_DATE.fullmatch(printed or "")
    if date:
        route.modified = _numeric_date(date, report, line_no)
    elif printed:
        report.add(f"access route {label!r}: unreadable date {printed!r}", line_no)
    return [route]


_STATISTICS_COLUMNS = (
    _Column("year", "Année d'obtention de la certification", ("Année",), required=True),
    _Column("certified", "Nombre de certifiés"),
    _Column("certified_vae", "Nombre de certifiés à la suite d’un parcours vae"),
    _Column(
        "insertion_rate_6m",
        "Taux d'insertion global à 6 mois (en %)",
        ("Taux d'insertion global à 6 mois",),
    ),
    _Column(
        "job_insertion_rate_6m",
        "Taux d'insertion dans le métier visé à 6 mois (en %)",
        ("Taux d'insertion dans le métier visé à 6 mois",),
    ),
    _Column(
        "job_insertion_rate_2y",
        "Taux d'insertion dans le métier visé à 2 ans (en %)",
        ("Taux d'insertion dans le métier visé à 2 ans",),
    ),
)
_YEAR = re.compile(r"(19|20)\d\d")


def _read_statistics(section: _Section, report: _Report) -> list[CohortStatistic]:
    """The "Statistiques" table: one row a year, flattened ("2018 26 0 83 17 63") or piped.

    A flattened row is read in the page's column order; a pipe row by its header's columns.
    """
    statistics = []
    for line_no, row in section.rows():
        if _pipe_cells(row) is not None:
            continue
        tokens = row.split()
        if not _YEAR.fullmatch(tokens[0]):
            continue
        values = tokens[1:]
        numeric = all(re.fullmatch(r"\d+", v) or _PLACEHOLDER.fullmatch(v) for v in values)
        if len(values) != 5 or not numeric:
            report.add(f"statistics row for {tokens[0]} does not have 5 numbers: {row!r}", line_no)
            continue
        numbers = [int(v) if v.isdigit() else None for v in values]
        statistics.append(CohortStatistic(int(tokens[0]), *numbers))
    table = _body_table(section.body, _STATISTICS_COLUMNS, lambda cells: _YEAR.fullmatch(cells[0]))
    keys = _table_keys(table, _STATISTICS_COLUMNS, "statistics", report) if table else None
    for line_no, cells in table.rows if keys else ():
        values = _table_row(cells, keys, "statistics", line_no, report)
        statistic = _table_statistic(values, line_no, report)
        if statistic is not None:
            statistics.append(statistic)
    statistics.sort(key=lambda s: s.year)
    return statistics


def _table_statistic(
    values: dict[str, str], line_no: int, report: _Report
) -> CohortStatistic | None:
    year = _value(values.get("year"))
    if year is None or not _YEAR.fullmatch(year):
        report.add(f"statistics row without a year: {year or ''!r}", line_no)
        return None
    numbers = {}
    for column in _STATISTICS_COLUMNS[1:]:
        cell = _value(values.get(column.key))
        number = re.fullmatch(r"(\d+)\s*%?", cell or "")
        if cell is not None and number is None:
            report.add(
                f"statistics row for {year}: {column.label!r} is not a number: {cell!r}", line_no
            )
        numbers[column.key] = int(number.group(1)) if number else None
    return CohortStatistic(int(year), **numbers)


# --------------------------------------------------------------------------------------------
# Shared readers


def _read_territories(fiche: Fiche, section: _Section | None, report: _Report) -> None:
    """Read "Nouvelle Calédonie" and "Polynésie française" rows of the Oui / Non table.

    The old page keeps the cells (tab-separated), and so does a pipe table ("… | | X |"): the
    column of the X is known (label, Oui, Non). The new page flattens them to "Inscrite au cadre
    de la Nouvelle Calédonie X": the X is then read as "Non", the column France Compétences fills
    for nearly every fiche; a fiche open there would be mis-read, hence the limit noted here.
    """
    if section is None:
        return
    for line_no, raw in section.body:
        cells = _cells(raw)
        if not raw.strip() or _is_rule(cells):
            continue
        label = cells[0] if cells[0] else raw.strip()
        if len(cells) > 1:
            yes = cells[1].upper() == "X"
            no = len(cells) > 2 and cells[2].upper() == "X"
            value = yes and not no
        elif re.search(r"\sX$", raw.rstrip()):
            value = False
        else:
            report.add(f"territory row without an X: {raw.strip()[:60]!r}", line_no)
            continue
        if "Calédonie" in label:
            fiche.new_caledonia = value
        elif "Polynésie" in label:
            fiche.french_polynesia = value


def _code_refs(
    sections: list[_Section], key: str, pattern: re.Pattern[str], report: _Report, what: str
) -> list[CodeRef]:
    """Codes with their labels, one a line ("K1206 - …", "K1403 : …", "330 Spécialités …").

    A code printed twice is kept once, with its first label.
    """
    section = _first(sections, key)
    if section is None:
        return []
    rows = ([(section.line, section.value)] if section.value else []) + section.rows()
    refs: dict[str, CodeRef] = {}
    for line_no, row in rows:
        if _value(row) is None:
            continue  # "-": no code
        match = pattern.fullmatch(row)
        if match is None:
            report.add(f"unreadable {what} line {row[:60]!r}", line_no)
            continue
        code = match.group(1)
        label = _label(match.group(2)) if match.lastindex and match.lastindex >= 2 else None
        if code in refs:
            if label and refs[code].label and label != refs[code].label:
                report.add(f"{what} {code} printed with two labels", line_no)
            continue
        refs[code] = CodeRef(code, label)
    return list(refs.values())


def _list_items(
    body: list[tuple[int, str]], marked_only: bool = False, skip_functions: bool = False
) -> list[str]:
    """The items of a list section: its bulleted or numbered lines, else every line.

    Unmarked lines around a bulleted list are intros ("… sont :") or group headings, so they are
    dropped when any line is marked; ``skip_functions`` also drops "Fonction N :" group headings.
    """
    rows = [row.strip() for _, row in body if row.strip()]
    marked = [row for row in rows if _ITEM_MARK.match(row)]
    if marked or marked_only:
        chosen = marked
    else:
        chosen = [row for row in rows if not row.endswith(":")]
    items = []
    for row in chosen:
        if skip_functions and _FUNCTION_HEADING.match(row):
            continue
        item = _clean(_ITEM_MARK.sub("", row, count=1)).rstrip(" ,;")
        if _value(item):
            items.append(item)
    return items


def _split_competencies(chunks: list[str]) -> list[str]:
    """Clean competency statements and split the ones merged around a stray "C9" / "C5" marker."""
    out = []
    for chunk in chunks:
        for part in _STRAY_MARKER.split(_clean(chunk)):
            item = _clean(_ITEM_MARK.sub("", part.strip(), count=1)).rstrip(" ,;")
            if _value(item):
                out.append(item)
    return out


def _split_dash_items(text: str) -> list[str]:
    items = [_clean(i).rstrip(" ,;") for i in _DASH_ITEM.split(_clean(text))]
    return [i for i in items if _value(i)]


def _paragraphs(body: list[tuple[int, str]]) -> list[tuple[int, str]]:
    out: list[tuple[int, str]] = []
    current: list[str] = []
    start = 0
    for line_no, line in body + [(0, "")]:
        if line.strip():
            if not current:
                start = line_no
            current.append(line.strip())
        elif current:
            out.append((start, " ".join(current)))
            current = []
    return out


def _text(section: _Section | None) -> str | None:
    """A prose section: its lines cleaned, one paragraph a line."""
    if section is None:
        return None
    lines = ([section.value] if section.value else []) + [_clean(row) for _, row in section.rows()]
    text = "\n".join(line for line in lines if line)
    return None if _value(text) is None else text


def _label(value: str | None) -> str | None:
    return _value(value)


# --------------------------------------------------------------------------------------------
# Text helpers


def _clean(text: str) -> str:
    """Collapse whitespace and undo the doubled apostrophe of an escaped SQL string (d''é…).

    >>> _clean("  Direction  d''établissement\\t public ")
    "Direction d'établissement public"
    """
    return collapse_spaces(text.replace("''", "'"))


def _strip_html(text: str) -> str:
    """Drop HTML tags, including one cut off at the end of a truncated page, and decode entities.

    >>> _clean(_strip_html('<p>Modalités :</p> <ul style="x"> - A &amp; B <p>cut'))
    'Modalités : - A & B cut'
    """
    text = re.sub(r"<[^<>]*>", " ", text)
    text = re.sub(r"<[^<>]*$", " ", text)
    return html.unescape(text)


def _fold(text: str) -> str:
    """Lower case, no accents, no punctuation: for comparing statements and first words."""
    return re.sub(r"[^a-z0-9]+", " ", fold(text)).strip()


def _similar(a: str, b: str) -> bool:
    """Same first word and at least 0.8 similar: a block's copy of a "Compétences attestées" item.

    >>> block_line = "mettre en oeuvre avec les elus de la politique rh"
    >>> _similar(block_line, "mettre en oeuvre avec les elus la politique rh")
    True
    >>> _similar(block_line, "mettre en oeuvre la politique")
    False
    """
    # The cheap tests first: this runs for every block line against every capacity.
    if a.split(" ", 1)[0] != b.split(" ", 1)[0] or min(len(a), len(b)) < 0.8 * max(len(a), len(b)):
        return False
    matcher = difflib.SequenceMatcher(None, a, b, autojunk=False)
    return matcher.quick_ratio() >= 0.8 and matcher.ratio() >= 0.8


def _french_date(text: str, report: _Report, line: int | None) -> dt.date | None:
    """Parse "1er janvier 1993" or "10 août 2012"; a bad date is a problem, not an exception."""
    match = re.fullmatch(r"(\d{1,2})(?:er)?\s+(\S+)\s+(\d{4})", text.strip())
    month = _MONTHS.get(_fold(match.group(2))) if match else None
    if match is None or month is None:
        report.add(f"unreadable date {text!r}", line)
        return None
    try:
        return dt.date(int(match.group(3)), month, int(match.group(1)))
    except ValueError:
        report.add(f"impossible date {text!r}", line)
        return None


def _numeric_date(match: re.Match[str], report: _Report, line: int | None) -> dt.date | None:
    day, month, year = (int(g) for g in match.groups())
    try:
        return dt.date(year, month, day)
    except ValueError:
        report.add(f"impossible date {match.group(0)!r}", line)
        return None
