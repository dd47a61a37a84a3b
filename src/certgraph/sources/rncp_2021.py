"""Read ``rncp_info.v1.4.csv``, the RNCP extract of about January 2021 reshaped by mission-apprentissage.

The file (``data/rncp/tables-correspondances-2021/``) is the France Compétences Standard table with
renamed columns, re-encoded and passed through Excel; see its SOURCE.md. Its quirks:

- cp1252, ``;`` delimiter, titles quoted where needed and some carrying a stray CR: titles have
  their whitespace collapsed (``clean_label``).
- Dates were turned into Excel's US ``M/D/YY``: ``11/18/25`` is 2025-11-18. Two-digit years use a
  pivot, ``yy <= 50`` → 20yy, else 19yy: the register starts in 2002 and its end dates run to the
  2020s, so no real date falls outside 1951–2050.
- A fiche with several predecessors or successors has one row per link (101 extra rows, that
  differ only in AncienneFiche/NouvelleFiche): the rows are merged into one fiche and the links
  gathered. Rows that disagree on anything else are reported as Problems; the first row wins.
- Some titles are not whole: they continue the type label printed in TypeCertif (``de
  masseur-kinésithérapeute`` under ``Diplôme d'Etat``, ``premier degré option Escalade`` under
  ``Brevet d'état d'éducateur sportif``). Of the 880 titles that do not start with a capital, 711
  are such fragments: 707 are completed as ``<type> <fragment>`` by :func:`compose_title`, 4 whose
  completion would be a guess are kept as printed. The other 169 are whole titles that happen to
  start in lowercase (``tailleur de pierre``, ``master Mention Lettres``) and are kept as printed.
  The printed fragment is not lost: it is the title less its head, and the type stays in
  ``abbreviation``.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

from ..records import (
    FICHE_NUMBER,
    Fiche,
    LineageRef,
    Loaded,
    SourceRef,
    normalise_fiche_number,
)
from ..text import fold
from .common import (
    RowReporter,
    clean_label,
    clean_text,
    open_csv_rows,
    parse_active,
    parse_eqf_level,
    relative_path,
)
from .fc_schema import LICENCE

SOURCE_KEY = "rncp-info-2021"
ISSUED = dt.date(2021, 1, 6)
PUBLISHER = "France Compétences (reshaped by mission-apprentissage)"

COLUMNS = (
    "CodeRNCP",
    "intituleDiplome",
    "date_fin_validite_enregistrement",
    "ActiveInactive",
    "EtatFiche",
    "NiveauEurope",
    "CodeTypeCertif",
    "TypeCertif",
    "AncienneFiche",
    "NouvelleFiche",
    "TypeEnregistrement",
)
"""The header of v1.4 as committed on 2021-02-01."""

# The same file, one commit earlier, still had the France Compétences column names.
ALIASES = {
    "Numero_Fiche": "CodeRNCP",
    "Intitule": "intituleDiplome",
    "Date_Fin_Enregistrement": "date_fin_validite_enregistrement",
    "Actif": "ActiveInactive",
    "Etat_Fiche": "EtatFiche",
    "Nomenclature_Europe_Intitule": "NiveauEurope",
    "Abrege_Code": "CodeTypeCertif",
    "Abrege_Intitule": "TypeCertif",
    "Ancienne_Certification": "AncienneFiche",
    "Nouvelle_Certification": "NouvelleFiche",
    "Type_Enregistrement": "TypeEnregistrement",
}

_MDY = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{2}|\d{4})$")
# Fields compared between duplicate rows; the lineage columns are expected to differ.
_COMPARED = ("title", "end_date", "active", "status", "level_eqf", "abbreviation", "registration_type")


# A title that continues its type label instead of standing alone starts with a lowercase
# preposition or qualifier, or with a colon: "de masseur-kinésithérapeute", "d'ergothérapeute",
# "option Agroéquipements", "premier degré option Escalade", "diplômé de l'INSA …", ": Droit, …".
# Case matters: the capitalised "Mention …"/"Domaine …" titles of masters stand alone as printed.
_FRAGMENT = re.compile(
    r"(?:d['’]|:|(?:de|du|des|en|à|et|option|spécialité|mentions?|domaine|professionnel|profesionnel"
    r"|diplômé|spécialisé|(?:premier|deuxième|troisième) degré)\b)"
)
# "et …" continues a word the table dropped ("[Master professionnel] et Recherche …"), not the type.
_DOUBTFUL_FRAGMENT = re.compile(r"et\b")
# Heads that differ from their type label: an engineering degree reads "Ingénieur diplômé de …"
# (so Certif Info prints them), never "Titre ingénieur diplômé de …".
_TITLE_HEADS = {"Titre ingénieur": "Ingénieur"}
# Type labels that name a kind of certification, not the first words of its title.
_NOT_TITLE_HEADS = frozenset(
    {
        "Autre certification professionnelle de droit",
        "Diplôme conférant le grade de Master",
        "Diplôme de grand établissement grade master",
        "Diplôme visé grade de master",
    }
)


def is_title_fragment(title: str | None) -> bool:
    """Whether a 2021 title continues its type label rather than stands alone (see :func:`compose_title`).

    >>> is_title_fragment("de masseur-kinésithérapeute"), is_title_fragment("masseur kinésithérapeute")
    (True, False)
    """
    return bool(title) and _FRAGMENT.match(title) is not None


def compose_title(title: str | None, type_label: str | None) -> str | None:
    """Complete a 2021 title that is a fragment of its type label; return any other title unchanged.

    The rule: a title is a fragment when it starts with a lowercase ``de``, ``d'``, ``du``, ``des``,
    ``en``, ``à``, ``et``, ``option``, ``spécialité``, ``mention(s)``, ``domaine``,
    ``professionnel``, ``diplômé``, ``spécialisé``, ``premier``/``deuxième``/``troisième degré``, or
    with a colon. Its full title is the head, one space, then the fragment as printed. The head is
    the type label (TypeCertif, never the code CodeTypeCertif: ``BEES`` is no title), except
    ``Titre ingénieur`` whose head is ``Ingénieur``. Elision needs no work: the fragment carries
    it (``d'ergothérapeute``). A fragment is kept as printed when its completion would be a guess:
    it starts with ``et`` (a dropped word, not the type, comes before), its type is empty or names
    a kind of certification rather than a title (``Diplôme de grand établissement grade master``),
    or its first word already stands in the head (``Mention complémentaire`` + ``mention …``).
    Lowercase titles that are whole — a job name, or a title that repeats its type (``master
    Mention Lettres``, ``ingénieur diplômé de …``) — are not fragments and are kept.

    Real rows:

    >>> compose_title("de masseur-kinésithérapeute", "Diplôme d'Etat")  # RNCP4859
    "Diplôme d'Etat de masseur-kinésithérapeute"
    >>> compose_title("d'ergothérapeute", "Diplôme d'Etat")  # RNCP4857
    "Diplôme d'Etat d'ergothérapeute"
    >>> compose_title("premier degré option Escalade", "Brevet d'état d'éducateur sportif")  # RNCP1191
    "Brevet d'état d'éducateur sportif premier degré option Escalade"
    >>> compose_title("spécialisé en Procédés et polymères", "Titre ingénieur")  # RNCP9270
    'Ingénieur spécialisé en Procédés et polymères'
    >>> compose_title("mention Informatique", "Master")  # RNCP30596
    'Master mention Informatique'
    >>> compose_title("tailleur de pierre", "Certificat d'aptitude professionnelle")  # RNCP16129, whole
    'tailleur de pierre'
    >>> compose_title("master Mention Lettres", "Master")  # RNCP24337, repeats its type
    'master Mention Lettres'
    >>> compose_title("et Maritime, option productions aquacoles", "Brevet professionnel agricole")
    'et Maritime, option productions aquacoles'
    >>> compose_title("mention banque finance assurance", "Diplôme de grand établissement grade master")
    'mention banque finance assurance'

    (The last two, RNCP2409 and RNCP17772, are doubtful fragments.)
    """
    if not title or not is_title_fragment(title) or _DOUBTFUL_FRAGMENT.match(title):
        return title
    if not type_label or type_label in _NOT_TITLE_HEADS:
        return title
    head = _TITLE_HEADS.get(type_label, type_label)
    first_word = fold(title.split()[0])
    if len(first_word) > 3 and first_word in fold(head).split():
        return title
    return f"{head} {title}"


def parse_date_mdy(value: str | None) -> dt.date | None:
    """Parse Excel's US ``M/D/YY`` (or ``M/D/YYYY``); two-digit years ≤ 50 are 20yy, else 19yy.

    :raises ValueError: on any other shape or an impossible date.

    >>> parse_date_mdy("11/18/25"), parse_date_mdy("12/31/06"), parse_date_mdy("1/1/93")
    (datetime.date(2025, 11, 18), datetime.date(2006, 12, 31), datetime.date(1993, 1, 1))
    >>> parse_date_mdy("") is None
    True
    """
    text = (value or "").strip()
    if not text:
        return None
    match = _MDY.match(text)
    if not match:
        raise ValueError(f"date {text!r} is not M/D/YY")
    month, day, year = (int(group) for group in match.groups())
    if len(match.group(3)) == 2:
        year += 2000 if year <= 50 else 1900
    return dt.date(year, month, day)


def source_ref(path: str) -> SourceRef:
    """The SourceRef of the 2021 extract (key ``rncp-info-2021``; its date is approximate)."""
    return SourceRef(
        key=SOURCE_KEY,
        path=path,
        title=(
            "RNCP extract of about 2021-01-06 (date approximate: data of late Dec 2020 / early Jan 2021), "
            "rncp_info.v1.4.csv of mission-apprentissage/tables-correspondances, reshaped from the "
            "France Compétences export"
        ),
        issued=ISSUED,
        publisher=PUBLISHER,
        licence=LICENCE,
    )


def _fiche_from_row(number: str, row: dict[str, str], ref: SourceRef, report: RowReporter) -> Fiche:
    fiche = Fiche(number=number, source=ref)
    fiche.status = clean_text(row.get("EtatFiche"))
    # TypeCertif is the FC column Abrege_Intitule; fc_csv reads the Standard table the same way.
    fiche.abbreviation = clean_label(row.get("TypeCertif"))
    fiche.title = compose_title(clean_label(row.get("intituleDiplome")), fiche.abbreviation)
    fiche.registration_type = clean_text(row.get("TypeEnregistrement"))
    for attribute, column, parse in (
        ("end_date", "date_fin_validite_enregistrement", parse_date_mdy),
        ("active", "ActiveInactive", parse_active),
        ("level_eqf", "NiveauEurope", parse_eqf_level),
    ):
        try:
            setattr(fiche, attribute, parse(row.get(column, "")))
        except ValueError as error:
            report(f"{column}: {error}; left empty")
    _add_links(fiche, row, report)
    return fiche


def _add_links(fiche: Fiche, row: dict[str, str], report: RowReporter) -> None:
    for column, links in (("AncienneFiche", fiche.predecessors), ("NouvelleFiche", fiche.successors)):
        raw = (row.get(column) or "").strip()
        if not raw:
            continue
        number = normalise_fiche_number(raw)
        if number is None:
            report(f"{column} {raw!r} is not a fiche number; link ignored")
        elif LineageRef(number=number) not in links:
            links.append(LineageRef(number=number))


def read_rncp_info_2021(path: Path, root: Path | None = None) -> Loaded:
    """Read ``rncp_info.v1.4.csv`` into one :class:`Fiche` per fiche number.

    Gives title (a fragment completed with its type, see :func:`compose_title`), end_date, active,
    status (EtatFiche), level_eqf (``niveau7`` → 7), abbreviation (TypeCertif), registration_type,
    predecessors and successors. Defects are Problems naming the file, the line and the fiche; the
    row still loads without the bad field.

    :param root: the data folder; the source path is given relative to it when under it.
    :raises FileNotFoundError: when ``path`` does not exist.
    """
    path = Path(path)
    ref = source_ref(relative_path(path, root))
    loaded = Loaded()
    fiches: dict[str, Fiche] = {}
    first_line: dict[str, int] = {}
    report = RowReporter(ref.path, loaded.problems)
    with path.open(encoding="cp1252", newline="") as stream:
        rows = open_csv_rows(stream, ref.path, loaded.problems, ("CodeRNCP",), COLUMNS, ALIASES)
        for line, row in rows or ():
            report.line, report.fiche = line, None
            raw_number = row["CodeRNCP"]
            number = raw_number if FICHE_NUMBER.match(raw_number) else normalise_fiche_number(raw_number)
            if number is None:
                report(f"invalid fiche number {raw_number!r}; row skipped", severity="error")
                continue
            report.fiche = number
            fiche = _fiche_from_row(number, row, ref, report)
            kept = fiches.get(number)
            if kept is None:
                fiches[number], first_line[number] = fiche, line
                continue
            differing = [name for name in _COMPARED if getattr(fiche, name) != getattr(kept, name)]
            if differing:
                report(
                    f"duplicate row disagrees with line {first_line[number]} on {', '.join(differing)}; "
                    "the first row's values are kept"
                )
            for links, more in ((kept.predecessors, fiche.predecessors), (kept.successors, fiche.successors)):
                links.extend(link for link in more if link not in links)
    if rows is not None:
        loaded.sources.append(ref)
    loaded.fiches = list(fiches.values())
    return loaded
