"""Split the full text of a block's competency list or assessment methods into single statements.

The France Compétences export publishes ``LISTE_COMPETENCES`` and ``MODALITES_EVALUATION`` as one
text per block, in whatever style the certifier typed, and the XML export flattens its line breaks
into runs of spaces. The styles met in the real fiches (``data/rncp/xml-fixture/``):

- codes: ``A1C1. Evaluer …``, ``A1C2.Apprécier …`` (no space), ``A5.C1. Réaliser …``,
  ``C.1. Organiser …``, ``C1 - …``, ``1.1 Recueillir …`` then ``1.1.1 Auditer …``;
- bullets ``-``, ``*``, ``•``, ``●``; numbered lines ``1.``, ``1)``, ``1 :``;
- plain lines, one statement a line, and prose paragraphs;
- intros and headings that are not statements: ``Les compétences attestées sont les suivantes :``,
  ``Compétences :``, ``En mobilisant une analyse du contexte … :``;
- HTML remnants (``<p>``, ``<li>``, ``<br>``, ``&nbsp;``) in some exports;
- run-on text where a code follows the end of the previous sentence on the same line.

How a text is cut (:func:`text_lines`): HTML block tags and line breaks are breaks; a run of two or
more spaces is a break only when what follows can start a statement (a capital, a digit, a bullet or
a code), because the flattened text also holds runs of spaces inside sentences
(``Scolaires (établissements   publics …``). A code after a sentence end (``… usagers. C9 Assurer``)
is a break too. Statements then lose their bullet, and headings (a line ending with ``:``) are
dropped; duplicates (compared case-insensitively) are dropped, the order is kept.

Codes: a competency statement is stored **without** its leading code (``A1C1.``, ``C.1.``,
``1.1.1``). The statement is the competency; its IRI is a hash of its text, so the same statement
published by the fiche page (which prints no code) and by the export must read the same. The code
stays in the block's raw text. An assessment item keeps its codes (:func:`split_assessment`): there
they say which competencies the item assesses (``A2C2. et A2C3. Analyse …``), which no other field
records.

Left as published: a statement glued to the next by a single space with no marker
(``… l'équipe artistique Participer aux réunions …``) cannot be told from one sentence.
"""

from __future__ import annotations

import html
import re

_BULLETS = "-–—•●○◦▪▫■□*·►▶➢➤✓✔"
_BULLET = f"[{re.escape(_BULLETS)}]"

# A competency code: A1C1, A5.C1, C.1, C1, C1.2, C.10, CP3, A1 — letters then digits, possibly
# repeated; or a multi-level number: 1.1, 1.1.1, 3.1.2.
_LETTER_CODE = r"[A-Z]{1,3}\.?\d{1,2}(?:\.?[A-Z]\.?\d{1,2})*(?:\.\d{1,2})*"
_NUMBER_CODE = r"\d{1,2}(?:\.\d{1,2}){1,3}"
_CODE = rf"(?:{_LETTER_CODE}|{_NUMBER_CODE})"
# Several codes for one item: "A2C2. et A2C3.", "A3C3 à A3C6.", "C1, C2 -".
_CODES = rf"{_CODE}\.?(?:\s*(?:,|et|à|&|/|-)\s*{_CODE}\.?)*"
_CAPITAL = "A-ZÀ-ÖØ-ÞŒ"

# What a statement's first characters must look like for a run of spaces before it to be a break:
# a capital, a bullet, or a number that is an item number or a code ("2 membres", "1.1 Recueillir",
# "3)"), not a quantity ("360° ou équivalents").
_ITEM_START = re.compile(rf"[{_CAPITAL}«\"“]|{_BULLET}|\d{{1,2}}(?:\.\d{{1,2}})*\.?(?:[\s):]|$)")
# A line that is only a marker or a code ("3.1", "-", "C1 :") belongs to the line after it.
_ONLY_MARK = re.compile(rf"(?:{_BULLET}|{_CODES}|\d{{1,2}}[.):]|\s|[.:),&/\-–—]|\b(?:et|à)\b)+")

_HTML_BREAK = re.compile(r"<\s*/?\s*(?:p|br|li|ul|ol|div|tr|td|th|h[1-6]|table)\b[^<>]{0,200}>", re.IGNORECASE)
_HTML_TAG = re.compile(r"<\s*/?\s*(?:span|strong|b|i|em|u|a|font|sup|sub|small|big|mark)\b[^<>]{0,200}>", re.IGNORECASE)
_HARD_BREAK = "\u2029"  # what an HTML block tag becomes
# Line breaks and tabs become spaces first, so that one pattern finds every break.
_AS_SPACES = {"\r\n": "  ", "\n": "  ", "\r": "  ", "\f": "  ", "\v": "  ", "\u2028": "  ", "\t": " ", "\u00a0": " "}
_RUNS = re.compile("  +")
_SEPARATOR = "\x1f"
# A competency code with its separator, before a capital: "C1 - Analyser le besoin C2 - Concevoir …".
_COMPETENCY_CODE = r"(?:[A-Z]\d{1,2}\.?)?C\.?\d{1,2}(?:\.\d{1,2})*"
# Where a statement ends, every alternative starting with a space (which the regex engine finds
# fast; most spaces are then rejected by the next character):
# - a run of spaces before something that can start a statement (the flattened line breaks);
# - one space before a round bullet ("● Analyste ● Architecte": such bullets are never punctuation);
# - one space after a sentence end (or "/") before a code, "… usagers. C9 Assurer …";
# - one space before a competency code with its separator, anywhere.
_BREAK = re.compile(
    " (?:"
    rf" +(?={_ITEM_START.pattern})"
    r"|(?=[•●▪►➢➤]\s)"
    rf"|(?=[A-Z0-9])(?:(?<=[.;!?/] )(?=(?:{_CODES})\s*[.:)\-–—]?\s*[{_CAPITAL}])"
    rf"|(?={_COMPETENCY_CODE}\s*[.:)\-–—]\s*[{_CAPITAL}]))"
    ")"
)

# The marks in front of a statement: bullets, an enumerator ("1." / "1)" / "1 :" / "a)", but not
# the "1." of "1.1"), and with _CODED also its codes, stripped when a separator follows them or a
# space then a capital (so that "CO2 capté" or "2.5 heures" stay whole).
_LEAD_MARKS = rf"(?:{_BULLET}\s*)*(?:(?:\d{{1,2}}\s*[.):](?!\d)|[a-z]\))\s*(?=\S))?"
_MARKS = re.compile(_LEAD_MARKS)
_CODED = re.compile(
    rf"{_LEAD_MARKS}(?:(?:{_CODES})(?:\s*[.:)\-–—]\s*|\s+(?=[{_CAPITAL}«\"“(])))?(?:{_BULLET}\s*)*"
)
_HEADING = re.compile(
    r"(?:(?:la\s+)?liste\s+des\s+)?(?:blocs?\s+de\s+)?compétences?"
    r"(?:\s+(?:attestées|évaluées|visées|professionnelles|transversales))?\s*:?$",
    re.IGNORECASE,
)


def _plain(text: str) -> str:
    """Plain text: HTML block tags become hard breaks, other tags go, entities are decoded, line
    breaks become runs of spaces (soft breaks, like the export's own)."""
    if "<" in text:
        text = _HTML_BREAK.sub(_HARD_BREAK, text)
        text = _HTML_TAG.sub("", text)
    if "&" in text:
        text = html.unescape(text)
    for old, new in _AS_SPACES.items():
        if old in text:
            text = text.replace(old, new)
    return text


def text_lines(text: str | None) -> list[str]:
    """Cut a flattened text into its lines, each with single spaces; markers and codes are kept.

    Use it for prose fields (a jury composition, the objectives) whose line breaks matter.

    >>> text_lines("Cas pratiques    Mise en situation   professionnelle simulée")
    ['Cas pratiques', 'Mise en situation professionnelle simulée']
    >>> text_lines("Scolaires (établissements   publics)    CCF")
    ['Scolaires (établissements publics)', 'CCF']
    >>> text_lines("<p>Un jury</p><p>de 3 membres</p>")
    ['Un jury', 'de 3 membres']
    >>> text_lines(None)
    []
    """
    if not text:
        return []
    text = _plain(text)
    blocks = text.split(_HARD_BREAK) if _HARD_BREAK in text else [text]
    pieces = [piece for block in blocks for piece in _BREAK.split(block)]
    # One pass collapses the runs of spaces left inside the pieces (those were not breaks).
    pieces = _RUNS.sub(" ", _SEPARATOR.join(pieces)).split(_SEPARATOR)
    out: list[str] = []
    pending = ""
    for piece in pieces:
        # "… prévisionnel / C5 Assurer …": the slash stays at the end of the piece before the code.
        piece = piece.strip()
        if piece.endswith(" /"):
            piece = piece[:-2].rstrip()
        if pending:
            piece = f"{pending} {piece}".strip()
        if not piece:
            continue
        if len(piece) <= 40 and _ONLY_MARK.fullmatch(piece):
            pending = piece  # "3.1" before "Organiser …", "A2C2. et" before "A2C3. Analyse …"
        else:
            pending = ""
            out.append(piece)
    if pending:
        out.append(pending)
    return out


def _is_heading(line: str) -> bool:
    # Only lines starting with L, B or C can match _HEADING: the test spares most lines the regex.
    return line.endswith(":") or (line[:1] in "LlBbCc" and _HEADING.match(line) is not None)


def split_statements(text: str | None, keep_codes: bool = False) -> list[str]:
    """The statements of a list text, in order, without bullets, headings, empties or duplicates.

    :param keep_codes: keep a leading code (``A1C1.``) as part of the statement.

    >>> split_statements("* Valider un réseau      * Coder   * Coder")
    ['Valider un réseau', 'Coder']
    """
    seen: set[str] = set()
    statements = []
    marks = _MARKS if keep_codes else _CODED
    for line in text_lines(text):
        if _is_heading(line):
            continue
        if line[:1].isalpha() and line[1:2].islower():
            statement = line.rstrip(" ,;")  # a word: no bullet, number or code to strip
        else:
            statement = line[marks.match(line).end() :].rstrip(" ,;")  # type: ignore[union-attr]
        key = statement.casefold()
        if statement and key not in seen and not _is_heading(statement):
            seen.add(key)
            statements.append(statement)
    return statements


def split_competencies(text: str | None) -> list[str]:
    """Split a block's ``LISTE_COMPETENCES`` into competency statements, codes removed.

    >>> split_competencies("A1C1. Evaluer les contextes      A1C2.Apprécier les incidences")
    ['Evaluer les contextes', 'Apprécier les incidences']
    >>> split_competencies("Compétences :  - Analyser le dossier  - Comparer plusieurs solutions")
    ['Analyser le dossier', 'Comparer plusieurs solutions']
    >>> split_competencies("C.1. Organiser une réunion.      C.2. Analyser les besoins.")
    ['Organiser une réunion.', 'Analyser les besoins.']
    >>> split_competencies("Assurer l'accueil des usagers. C9 Assurer une veille")
    ["Assurer l'accueil des usagers.", 'Assurer une veille']
    """
    return split_statements(text, keep_codes=False)


def split_assessment(text: str | None) -> list[str]:
    """Split a block's ``MODALITES_EVALUATION`` into assessment items; their codes are kept.

    >>> split_assessment("A2C2. et A2C3. Analyse de situations    A2C4. Conduite de projet")
    ['A2C2. et A2C3. Analyse de situations', 'A2C4. Conduite de projet']
    >>> split_assessment("Etude de cas    Cas pratiques    Etude de cas")
    ['Etude de cas', 'Cas pratiques']
    """
    return split_statements(text, keep_codes=True)


__all__ = ["split_assessment", "split_competencies", "split_statements", "text_lines"]
