"""Read Certif Info's diploma table (``certif_info.csv``) into one Fiche per RNCP or RS number.

Certif Info is the Carif-Oref network's base of certifications: one row per Certif Info *diploma*
(``Code_Diplome``), which may carry the number of the RNCP or RS fiche it belongs to. The copy in
``data/certifinfo/`` (see its SOURCE.md) is the subset kept by the Orion tool of
mission-apprentissage: UTF-8, ``;`` delimiter, 37 columns, numbers without their prefix (``35080``).

What a row gives its fiche (``RNCP`` + ``Code_RNCP`` and/or ``RS`` + ``Code_RS``):

- ``title`` ← ``Libelle_Diplome``; ``abbreviation`` ← ``Libelle_Type_Diplome``, the type of
  diploma (``Master``, ``Autre titre inscrit sur demande au RNCP (niveau 7)``), the field where the
  France Compétences readers put the type label (``Abrege_Intitule``). Certif Info's labels are
  its own vocabulary, not France Compétences'.
- ``level_eqf`` ← ``Code_Niveau_Europeen``: ``3`` … ``8``; empty or ``0`` is "no level" (RS
  certifications have none); any other value is reported and left empty.
- ``rome`` ← ``Code_Rome_1`` … ``Code_Rome_5``; ``nsf`` ← ``Code_Nsf`` (an NSF group, ``330``);
  ``formacodes`` ← ``Code_FormaCode`` with ``Libelle_FormaCode`` as its label. A code of the wrong
  shape is reported and skipped.
- ``certifier_names`` ← ``certificateur``: names only (the file has no SIRET), and often of the
  supervising ministry where France Compétences names the awarding body (RNCP35080: a ministry,
  where the register names the CNAM), so they are kept as names (``cg:certifierName``), never as
  the fiche's certifying organisations (``cg:certifier``). The cell joins several
  organisations with a bare comma (``…recherche,Ministère de la culture``) while names use a comma
  and a space inside (``Ministère du travail, de la santé et des solidarités``), so it is split on
  commas not followed by a space. Certif Info's ``certificateur`` is often the ministry; the school
  that awards the diploma is its ``valideur``, which is not read.
- ``predecessors`` ← ``RNCP`` + ``Code_Ancien_RNCP`` (Certif Info's own continuity, which may
  skip a generation), unless it is the fiche itself (a diploma renamed on the same fiche).
- ``active`` is never set: ``Etat`` is the state of the Certif Info diploma, not of the fiche.

Several rows may carry the same number: a diploma with options or mentions is one Certif Info
diploma per option (``CAP arts du bois option tourneur`` …; 46 rows for the DEJEPS fiche
RNCP4863), a Mention complémentaire renamed Certificat de spécialisation keeps both diplomas, and
Orion repeats some diplomas (rows that differ only in ``codeIdeo2``). No single row is the fiche,
so the rows are merged into one record per number: codes, certifier names and predecessors are unioned
in order of appearance, and the first row's title, level and type are kept (a later row only
fills a field the first left empty). A row whose title or level differs from the kept one is
reported, naming its line, its diploma and the first row's; a differing title is ``info``
(options are normal in Certif Info), a differing level a ``warning``.

The source's date is the latest ``Date_MaJ`` (``DD/MM/YYYY``) of the file. Defects are Problems
naming the file and the row's first line, and never lose the other rows: a malformed number drops
that number (the row's other number still loads), an impossible date is left out of the source's
date, and a wrong number of fields skips the row. Bytes that are not UTF-8 are read as
Windows-1252 (only those bytes) and reported once per row, as the XML reader does.
"""

from __future__ import annotations

import copy
import datetime as dt
import re
from pathlib import Path

from ..records import CodeRef, Fiche, LineageRef, Loaded, SourceRef
from .common import (
    CP1252,
    RowReporter,
    clean_label,
    clean_text,
    open_csv_rows,
    parse_date_dmy,
    relative_path,
)

PUBLISHER = "Réseau des Carif-Oref (Certif Info)"
# No "Etalab" in the text: graph.py would then state the Etalab licence IRI as a fact.
LICENCE = "believed Licence Ouverte (unconfirmed: the origin repository states no licence)"
ORIGIN = (
    "https://github.com/mission-apprentissage/tjp-pilotage/blob/"
    "282273ad081e719297ce8b867888ec6ee0b51f4e/server/static/files/certif_info.csv"
)

COLUMNS = (
    "Code_Diplome",
    "Libelle_Diplome",
    "Libelle_Type_Diplome",
    "Code_Niveau_Europeen",
    "Date_MaJ",
    "Code_FormaCode",
    "Libelle_FormaCode",
    "Code_Rome_1",
    "Code_Rome_2",
    "Code_Rome_3",
    "Code_Rome_4",
    "Code_Rome_5",
    "Code_Nsf",
    "Code_RNCP",
    "Code_RS",
    "Code_Scolarité",
    "valideur",
    "certificateur",
    "Annee_Premiere_Session",
    "Annee_Derniere_Session",
    "Code_Ancien_Diplome",
    "Intitulé_Ancien_Diplome",
    "Code_Ancien_RNCP",
    "Code_Ancien_Scolarité",
    "`Options`",
    "Etat",
    "Etat_Libelle",
    "Etat_Ancien_Diplome",
    "Etat_Ancien_Diplome_Libelle",
    "accessibilite_fi",
    "accessibilite_ca",
    "accessibilite_fc",
    "accessibilite_cp",
    "accessibilite_vae",
    "accessibilite_ind",
    "code_type_diplome",
    "codeIdeo2",
)
"""The header of ``certif_info.csv`` as committed in tjp-pilotage (282273ad, 2024-10-27)."""

REQUIRED = ("Code_RNCP", "Code_RS", "Libelle_Diplome")

_NUMBER = re.compile(r"^0*([1-9][0-9]*)$")
_ROME = re.compile(r"^[A-N][0-9]{4}$")
_NSF = re.compile(r"^[0-9]{3}[a-z]?$")
_FORMACODE = re.compile(r"^[0-9]{5}$")
_NOT_UTF8 = re.compile("[\udc80-\udcff]")
# A bare comma joins organisations; a comma and a space are inside one name.
_JOINED = re.compile(r",(?=\S)")


def parse_level(value: str | None) -> int | None:
    """Return the EQF level of ``Code_Niveau_Europeen``: 3 … 8; None for empty or ``0``.

    :raises ValueError: on any other value.

    >>> parse_level("7"), parse_level(""), parse_level("0")
    (7, None, None)
    >>> parse_level("2")
    Traceback (most recent call last):
    ...
    ValueError: '2' is not an EQF level 3..8
    """
    text = (value or "").strip()
    if text in ("", "0"):
        return None
    if len(text) == 1 and "3" <= text <= "8":
        return int(text)
    raise ValueError(f"{text!r} is not an EQF level 3..8")


def split_organisations(value: str | None) -> list[str]:
    """Split a ``certificateur`` cell into names: at commas that no space follows.

    >>> split_organisations("ministère de l'enseignement supérieur et de la recherche,Ministère de la culture")
    ["ministère de l'enseignement supérieur et de la recherche", 'Ministère de la culture']
    >>> split_organisations("Ministère du travail, de la santé et des solidarités")
    ['Ministère du travail, de la santé et des solidarités']
    >>> split_organisations("")
    []
    """
    names = (clean_label(part) for part in _JOINED.split(value or ""))
    return [name for name in names if name]


def source_ref(path: str, issued: dt.date | None) -> SourceRef:
    """The SourceRef of the file, dated by its latest ``Date_MaJ`` (key ``certifinfo-<date>``).

    >>> source_ref("certifinfo/certif_info.csv", dt.date(2024, 6, 28)).key
    'certifinfo-2024-06-28'
    """
    when = issued.isoformat() if issued else "an unknown date"
    return SourceRef(
        key=f"certifinfo-{issued.isoformat()}" if issued else "certifinfo",
        path=path,
        title=f"Certif Info (Réseau des Carif-Oref), diplomas with an RNCP or RS number, as of {when}",
        issued=issued,
        publisher=PUBLISHER,
        licence=LICENCE,
        origin=ORIGIN,
    )


def _as_cp1252(match: re.Match) -> str:
    # surrogateescape kept the byte as U+DC80..U+DCFF.
    return CP1252[ord(match.group()) - 0xDC00]


def _repair_encoding(row: dict[str, str]) -> str | None:
    """Read the bytes of the row that are not UTF-8 as Windows-1252; return what to report, if any."""
    found = _NOT_UTF8.search("".join(row.values()))
    if found is None:
        return None
    for column, value in row.items():
        row[column] = _NOT_UTF8.sub(_as_cp1252, value)
    return f"bytes that are not UTF-8 (first: 0x{ord(found.group()) - 0xDC00:02X}); this row read as Windows-1252"


def _numbers(row: dict[str, str], report: RowReporter) -> list[str]:
    numbers = []
    for column, prefix in (("Code_RNCP", "RNCP"), ("Code_RS", "RS")):
        raw = (row.get(column) or "").strip()
        if not raw:
            continue
        match = _NUMBER.match(raw)
        if match:
            numbers.append(prefix + match.group(1))
        else:
            report(f"{column} {raw!r} is not a fiche number; ignored", severity="error")
    return numbers


def _codes(row: dict[str, str], columns: tuple[str, ...], shape: re.Pattern, report: RowReporter) -> list[CodeRef]:
    codes = []
    for column in columns:
        code = (row.get(column) or "").strip()
        if not code:
            continue
        if shape.match(code):
            codes.append(CodeRef(code))
        else:
            report(f"{column} {code!r} is not a valid code; skipped")
    return codes


def _fiche_from_row(row: dict[str, str], report: RowReporter) -> Fiche:
    """What the row states, as a fiche without its number; its predecessor is not yet checked."""
    fiche = Fiche(number="")
    fiche.title = clean_label(row.get("Libelle_Diplome"))
    fiche.abbreviation = clean_label(row.get("Libelle_Type_Diplome"))
    try:
        fiche.level_eqf = parse_level(row.get("Code_Niveau_Europeen"))
    except ValueError as error:
        report(f"Code_Niveau_Europeen: {error}; left empty")
    fiche.rome = _codes(row, tuple(f"Code_Rome_{slot}" for slot in range(1, 6)), _ROME, report)
    fiche.nsf = _codes(row, ("Code_Nsf",), _NSF, report)
    fiche.formacodes = _codes(row, ("Code_FormaCode",), _FORMACODE, report)
    if fiche.formacodes:
        fiche.formacodes[0].label = clean_label(row.get("Libelle_FormaCode"), fiche.formacodes[0].code)
    fiche.certifier_names = split_organisations(row.get("certificateur"))
    raw = (row.get("Code_Ancien_RNCP") or "").strip()
    if raw:
        match = _NUMBER.match(raw)
        if match is None:
            report(f"Code_Ancien_RNCP {raw!r} is not a fiche number; link ignored")
        else:
            fiche.predecessors.append(LineageRef(number="RNCP" + match.group(1)))
    return fiche


def _for_number(stated: Fiche, number: str, last: bool) -> Fiche:
    """``stated`` for one of the row's numbers (a copy but for the last), not its own predecessor."""
    # Copy only when a row has two numbers (none in the 2024 file): deepcopy would be most of the time.
    fiche = stated if last else copy.deepcopy(stated)
    fiche.number = number
    fiche.predecessors = [link for link in fiche.predecessors if link.number != number]
    return fiche


def _merge(kept: Fiche, other: Fiche) -> list[str]:
    """Add ``other``'s codes, certifier names and links to ``kept``; return the fields they disagree on."""
    differing = [
        name
        for name in ("title", "level_eqf")
        if getattr(kept, name) is not None and getattr(other, name) not in (None, getattr(kept, name))
    ]
    for name in ("title", "level_eqf", "abbreviation"):
        if getattr(kept, name) is None:
            setattr(kept, name, getattr(other, name))
    for codes, more in ((kept.rome, other.rome), (kept.nsf, other.nsf), (kept.formacodes, other.formacodes)):
        known = {code.code for code in codes}
        codes.extend(code for code in more if code.code not in known)
    kept.certifier_names.extend(name for name in other.certifier_names if name not in kept.certifier_names)
    kept.predecessors.extend(link for link in other.predecessors if link not in kept.predecessors)
    return differing


def read_certifinfo(path: Path, root: Path | None = None) -> Loaded:
    """Read Certif Info's ``certif_info.csv`` into one :class:`Fiche` per RNCP or RS number.

    Rows without either number are not fiches and are only read for their ``Date_MaJ``. Rows
    sharing a number are merged (first title, level and type kept; codes unioned); see the module
    docstring for every column read and every defect reported.

    :param root: the data folder; the source path is given relative to it when under it.
    :returns: the fiches in order of first appearance, problems, and one source dated by the
        latest ``Date_MaJ`` (none when the file is rejected).
    :raises FileNotFoundError: when ``path`` does not exist.
    """
    path = Path(path)
    where = relative_path(path, root)
    loaded = Loaded()
    report = RowReporter(where, loaded.problems)
    fiches: dict[str, Fiche] = {}
    first_seen: dict[str, tuple[int, str]] = {}
    issued: dt.date | None = None
    # surrogateescape keeps a bad byte to be read as cp1252 for its row only, instead of a
    # UnicodeDecodeError that would end the file there.
    with path.open(encoding="utf-8", errors="surrogateescape", newline="") as stream:
        rows = open_csv_rows(stream, where, loaded.problems, REQUIRED, COLUMNS)
        for line, row in rows or ():
            report.line, report.fiche = line, None
            repaired = _repair_encoding(row)
            numbers = _numbers(row, report)
            report.fiche = numbers[0] if numbers else None
            if repaired:
                report(repaired)
            try:
                updated = parse_date_dmy(row.get("Date_MaJ"))
            except ValueError as error:
                report(f"Date_MaJ: {error}; not used to date the file")
            else:
                if updated and (issued is None or updated > issued):
                    issued = updated
            if not numbers:
                continue
            stated = _fiche_from_row(row, report)
            diploma = clean_text(row.get("Code_Diplome")) or "?"
            for position, number in enumerate(numbers, start=1):
                report.fiche = number
                fiche = _for_number(stated, number, last=position == len(numbers))
                if number not in fiches:
                    fiches[number], first_seen[number] = fiche, (line, diploma)
                    continue
                differing = _merge(fiches[number], fiche)
                if differing:
                    first_line, first_diploma = first_seen[number]
                    report(
                        f"diploma {diploma} disagrees with diploma {first_diploma} (line {first_line}) on "
                        f"{' and '.join('level' if name == 'level_eqf' else name for name in differing)}; "
                        "the first is kept",
                        severity="warning" if "level_eqf" in differing else "info",
                    )
    if rows is not None:
        ref = source_ref(where, issued)
        loaded.sources.append(ref)
        for fiche in fiches.values():
            fiche.source = ref
        loaded.fiches = list(fiches.values())
    return loaded
