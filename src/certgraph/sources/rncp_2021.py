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
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

from certgraph.records import FICHE_NUMBER, Fiche, LineageRef, Loaded, SourceRef, normalise_fiche_number
from certgraph.sources.fc_csv import (
    LICENCE,
    RowReporter,
    clean_label,
    clean_text,
    open_csv_rows,
    parse_active,
    parse_eqf_level,
    relative_path,
)

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
    fiche.title = clean_label(row.get("intituleDiplome"))
    fiche.status = clean_text(row.get("EtatFiche"))
    # TypeCertif is the FC column Abrege_Intitule; fc_csv reads the Standard table the same way.
    fiche.abbreviation = clean_label(row.get("TypeCertif"))
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

    Gives title, end_date, active, status (EtatFiche), level_eqf (``niveau7`` → 7), abbreviation
    (TypeCertif), registration_type, predecessors and successors. Defects are Problems naming the
    file, the line and the fiche; the row still loads without the bad field.

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
