"""Read the France Compétences CSV export (RNCP + RS): a folder of its tables or the official zip.

The export is ten tables, ``export_fiches_CSV_<Table>_<YYYY_MM_DD>.csv``, each keyed by
``Numero_Fiche``. Every table file becomes its own :class:`SourceRef` (one named graph), and each
fiche it mentions becomes one partial :class:`Fiche` holding only what that table states; merging
the partial fiches is the graph builder's job.

Quirks of the published files, handled here (see ``data/rncp/*/SOURCE.md``):

- ``;`` delimiter, values double-quoted, UTF-8; CRLF line ends in some exports, LF in others.
  The encoding is decided row by row: a row that is not valid UTF-8 is read as Windows-1252
  (that row only, reported with the line it starts on), so one bad row never costs the next.
- SIRET values start with a TAB inside the quotes (``"\\t19753471200017"``).
- NSF (and, in 2024, Formacode) labels repeat the code: ``"332n : Expertise sociale…"``.
- ROME labels double their apostrophes: ``d''établissement``.
- Zip member names are UTF-8 bytes without the zip UTF-8 flag, sometimes NFD; member dates may
  differ from the zip's date. Members are therefore matched by pattern on a folded name.
- Dates are ``DD/MM/YYYY``; ``Actif`` is ``ACTIVE``/``INACTIVE``; levels are ``NIV3``…``NIV8``.

Text cleaning, applied to every label, title and name: surrounding whitespace is stripped, inner
runs of whitespace (including the line breaks some block labels carry) become one space, and
doubled apostrophes are un-doubled. So ``"… en ESS "`` (RNCP35080BC04, 2024-01-17) is read as
``"… en ESS"``. Codes are kept verbatim after trimming, however odd (``K1800``, ``A12``, ``3005T2``):
judging them is the validator's job.
"""

from __future__ import annotations

import csv
import datetime as dt
import functools
import io
import re
import unicodedata
import zipfile
import zlib
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from ..records import (
    FICHE_NUMBER,
    AccessRoute,
    Block,
    Certifier,
    CodeRef,
    Fiche,
    LineageRef,
    Loaded,
    Partner,
    Problem,
    SourceRef,
    normalise_fiche_number,
)
from ..text import collapse_spaces, fold

PUBLISHER = "France Compétences"
LICENCE = "Licence Ouverte / Etalab 2.0"

# ---------------------------------------------------------------------------------------------
# Value helpers, shared with the other CSV readers (rncp_2021.py imports them).
# ---------------------------------------------------------------------------------------------

_DMY = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})$")
_EQF = re.compile(r"^(?:NIV|NIVEAU)\s*([1-8])$", re.IGNORECASE)


def clean_text(value: str | None) -> str | None:
    """Strip, collapse whitespace runs (line breaks included) to one space; None when empty.

    >>> clean_text("  Bloc 1 : Organiser \\n    au regard ")
    'Bloc 1 : Organiser au regard'
    >>> clean_text(" \\t ") is None
    True
    """
    if value is None:
        return None
    return collapse_spaces(value) or None


@functools.lru_cache(maxsize=1 << 16)
def clean_label(value: str | None, code: str | None = None) -> str | None:
    """Clean a published label: whitespace, doubled apostrophes, and a leading ``<code> : ``.

    The prefix is removed only when it is the row's own code, so a label that happens to start
    with another code is kept as published. Cached: the big tables repeat a few thousand labels.

    >>> clean_label("332n : Expertise sociale et projets sociaux", "332n")
    'Expertise sociale et projets sociaux'
    >>> clean_label("Direction de grande entreprise ou d''établissement public", "M1301")
    "Direction de grande entreprise ou d'établissement public"
    >>> clean_label("Conduite projet", "32135")
    'Conduite projet'
    """
    text = clean_text(value)
    if text is None:
        return None
    # The FC export escapes apostrophes SQL-style in some columns; French never doubles them.
    text = text.replace("''", "'")
    if code and text[: len(code)].casefold() == code.casefold():
        rest = text[len(code) :].lstrip()
        if rest.startswith(":") and rest[1:].strip():
            text = rest[1:].lstrip()
    return text


def clean_siret(value: str | None) -> str | None:
    """Return the 14-digit SIRET, dropping the TAB the export puts in front; None when empty.

    :raises ValueError: when a non-empty value is not 14 digits once whitespace is removed.

    >>> clean_siret("\\t19753471200017")
    '19753471200017'
    >>> clean_siret("") is None
    True
    >>> clean_siret("\\t1975347120")
    Traceback (most recent call last):
    ...
    ValueError: SIRET '1975347120' is not 14 digits
    """
    compact = "".join((value or "").split())
    if not compact:
        return None
    if not (len(compact) == 14 and compact.isdigit()):
        raise ValueError(f"SIRET {compact!r} is not 14 digits")
    return compact


def parse_date_dmy(value: str | None) -> dt.date | None:
    """Parse a French ``DD/MM/YYYY`` date; None when empty.

    :raises ValueError: on any other shape or an impossible date.

    >>> parse_date_dmy("18/11/2025")
    datetime.date(2025, 11, 18)
    >>> parse_date_dmy("") is None
    True
    """
    text = (value or "").strip()
    if not text:
        return None
    match = _DMY.match(text)
    if not match:
        raise ValueError(f"date {text!r} is not DD/MM/YYYY")
    day, month, year = (int(group) for group in match.groups())
    return dt.date(year, month, day)


def parse_eqf_level(value: str | None) -> int | None:
    """Return the EQF level of ``NIV7`` / ``niveau7`` / ``Niveau 7``; None when empty.

    :raises ValueError: on any other non-empty value (the caller decides whether it is a defect).

    >>> parse_eqf_level("NIV7"), parse_eqf_level("niveau3")
    (7, 3)
    """
    text = (value or "").strip()
    if not text:
        return None
    match = _EQF.match(text)
    if not match:
        raise ValueError(f"level {text!r} is not NIV1..NIV8")
    return int(match.group(1))


def parse_active(value: str | None) -> bool | None:
    """``ACTIVE`` → True, ``INACTIVE`` → False, empty → None.

    :raises ValueError: on any other value.

    >>> parse_active("ACTIVE"), parse_active("INACTIVE"), parse_active("")
    (True, False, None)
    """
    text = (value or "").strip().upper()
    if not text:
        return None
    if text in ("ACTIVE", "INACTIVE"):
        return text == "ACTIVE"
    raise ValueError(f"status {value!r} is not ACTIVE/INACTIVE")


def parse_yes_no(value: str | None) -> bool | None:
    """``Oui`` → True, ``Non`` → False, empty → None.

    :raises ValueError: on any other value.

    >>> parse_yes_no("Non")
    False
    """
    text = (value or "").strip().casefold()
    if not text:
        return None
    if text in ("oui", "non"):
        return text == "oui"
    raise ValueError(f"{value!r} is not Oui/Non")


# Bytes 0x80-0x9F as Windows-1252 reads them; the five it leaves undefined stay Latin-1 control
# characters, so that decoding never fails.
_CP1252_UPPER = {
    byte: bytes([byte]).decode("cp1252") for byte in range(0x80, 0xA0) if byte not in b"\x81\x8d\x8f\x90\x9d"
}


def decode_row_cp1252(row: dict[str, str]) -> int | None:
    """Re-read, in place, a row decoded with ``surrogateescape`` that was not valid UTF-8, as Windows-1252.

    Returns the first byte that was not UTF-8, or None when the row was valid UTF-8 (and is left as is).
    The whole row is re-read, not only its bad bytes: a row is written in one encoding.

    >>> row = {"Intitule": b"Pr\\xe9vention \\x96 s\\xfbret\\xe9".decode("utf-8", "surrogateescape")}
    >>> decode_row_cp1252(row), row
    (233, {'Intitule': 'Prévention – sûreté'})
    >>> decode_row_cp1252({"Intitule": "Prévention"}) is None
    True
    """
    try:
        for value in row.values():
            value.encode("utf-8")  # fails only on the surrogates standing for bytes that were not UTF-8
    except UnicodeEncodeError as error:
        first = ord(error.object[error.start]) - 0xDC00
    else:
        return None
    for column, value in row.items():
        row[column] = value.encode("utf-8", "surrogateescape").decode("latin-1").translate(_CP1252_UPPER)
    return first


def relative_path(path: Path, root: Path | None) -> str:
    """``path`` relative to ``root`` (POSIX separators) when it lies under it, else as given."""
    if root is not None:
        try:
            return path.resolve().relative_to(Path(root).resolve()).as_posix()
        except ValueError:
            pass
    return path.as_posix()


def open_csv_rows(
    stream: IO[str],
    source: str,
    problems: list[Problem],
    required: Iterable[str],
    known: Iterable[str],
    aliases: Mapping[str, str] | None = None,
) -> Iterator[tuple[int, dict[str, str]]] | None:
    """Check the header of a ``;`` CSV now; return an iterator of ``(line, row)``, or None.

    None means the file is rejected: its header lacks a ``required`` column (the usual sign of a
    wrong delimiter), and one error names what was expected and what was found. Unknown columns
    and absent optional ones are warnings. The iterator streams one record at a time; ``line`` is
    the record's first physical line. Trailing empty cells (``;;``) are ignored; a record with too
    few, or too many non-empty, cells is reported and skipped. A decoding or CSV error stops the
    file with an error, keeping what was read before.

    :param aliases: maps alternative column names to the canonical ones.
    """
    reader = csv.reader(stream, delimiter=";", quotechar='"')
    try:
        header = next(reader, None)
    except (csv.Error, UnicodeDecodeError) as error:
        problems.append(Problem(source, f"unreadable header: {error}; file ignored", 1, severity="error"))
        return None
    if header is None:
        problems.append(Problem(source, "empty file: no header; file ignored", severity="error"))
        return None
    names = [name.strip().lstrip("\ufeff") for name in header]
    if aliases:
        names = [aliases.get(name, name) for name in names]
    while names and not names[-1]:
        names.pop()  # the trailing ";;" some files add to their header
    required = list(required)
    known = set(known) | set(required)
    if any(name not in names for name in required):
        expected = ", ".join(required)
        found = ", ".join(repr(name) for name in names)
        problems.append(
            Problem(source, f"expected columns {expected}; found {found}; file ignored", 1, severity="error")
        )
        return None
    for name in names:
        if name not in known:
            problems.append(Problem(source, f"unknown column {name!r} ignored", 1))
    for name in sorted(known - set(names)):
        problems.append(Problem(source, f"column {name!r} absent: its field stays empty", 1))
    return _rows(reader, names, source, problems)


def _rows(reader, names: list[str], source: str, problems: list[Problem]) -> Iterator[tuple[int, dict[str, str]]]:
    width = len(names)
    previous = reader.line_num
    while True:
        try:
            row = next(reader, None)
        except (csv.Error, UnicodeDecodeError) as error:
            problems.append(
                Problem(
                    source, f"unreadable after this line: {error}; rest of file ignored", previous, severity="error"
                )
            )
            return
        if row is None:
            return
        line, previous = previous + 1, reader.line_num
        if not row or (len(row) == 1 and not row[0].strip()):
            continue
        if len(row) != width and (len(row) < width or any(cell.strip() for cell in row[width:])):
            problems.append(
                Problem(source, f"expected {width} fields, found {len(row)}; row skipped", line, severity="error")
            )
            continue
        yield line, dict(zip(names, row))


class RowReporter:
    """Records Problems about the current row: ``report(message, severity="warning")``."""

    def __init__(self, source: str, problems: list[Problem]) -> None:
        self.source = source
        self.problems = problems
        self.line: int | None = None
        self.fiche: str | None = None

    def __call__(self, message: str, severity: str = "warning") -> None:
        self.problems.append(Problem(self.source, message, self.line, self.fiche, severity))


# ---------------------------------------------------------------------------------------------
# The ten tables.
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Table:
    """One table of the export: its columns and how a row adds to a partial fiche."""

    name: str
    required: tuple[str, ...]
    optional: tuple[str, ...]
    add_row: Callable[[Fiche, dict[str, str], RowReporter], None]
    one_row_per_fiche: bool = False

    @property
    def slug(self) -> str:
        return fold(self.name).replace("_", "-")


def _append_new(items: list, item: object) -> None:
    # Aggregating rows per fiche: the same statement twice is one statement.
    if item not in items:
        items.append(item)


def _checked(report: RowReporter, parse: Callable[[str], object], value: str, what: str) -> object:
    try:
        return parse(value)
    except ValueError as error:
        report(f"{what}: {error}; left empty")
        return None


def _add_standard(fiche: Fiche, row: dict[str, str], report: RowReporter) -> None:
    fiche.title = clean_label(row.get("Intitule"))
    # Abrege_Intitule ("Certificat d'aptitude professionnelle") rather than Abrege_Libelle ("CAP"):
    # it is what rncp_info 2021 calls TypeCertif, so both sources state the same value.
    fiche.abbreviation = clean_label(row.get("Abrege_Intitule"))
    level = (row.get("Nomenclature_Europe_Niveau") or "").strip()
    # REPRISE = "Sans niveau" (fiches taken over from the old register without a level).
    if level.upper() != "REPRISE":
        fiche.level_eqf = _checked(report, parse_eqf_level, level, "Nomenclature_Europe_Niveau")
    fiche.new_caledonia = _checked(
        report, parse_yes_no, row.get("Accessible_Nouvelle_Caledonie", ""), "Accessible_Nouvelle_Caledonie"
    )
    fiche.french_polynesia = _checked(
        report, parse_yes_no, row.get("Accessible_Polynesie_Francaise", ""), "Accessible_Polynesie_Francaise"
    )
    fiche.last_jo_date = _checked(report, parse_date_dmy, row.get("Date_dernier_jo", ""), "Date_dernier_jo")
    fiche.decision_date = _checked(report, parse_date_dmy, row.get("Date_Decision", ""), "Date_Decision")
    fiche.end_date = _checked(report, parse_date_dmy, row.get("Date_Fin_Enregistrement", ""), "Date_Fin_Enregistrement")
    fiche.effect_date = _checked(report, parse_date_dmy, row.get("Date_Effet", ""), "Date_Effet")
    fiche.registration_type = clean_text(row.get("Type_Enregistrement"))
    fiche.active = _checked(report, parse_active, row.get("Actif", ""), "Actif")


def _code_adder(
    code_column: str, label_column: str, attribute: str
) -> Callable[[Fiche, dict[str, str], RowReporter], None]:
    def add(fiche: Fiche, row: dict[str, str], report: RowReporter) -> None:
        code = (row[code_column] or "").strip()
        if not code:
            report(f"empty {code_column}; row skipped", severity="error")
            return
        _append_new(getattr(fiche, attribute), CodeRef(code, clean_label(row.get(label_column), code)))

    return add


def _add_block(fiche: Fiche, row: dict[str, str], report: RowReporter) -> None:
    code = (row["Bloc_Competences_Code"] or "").strip()
    if not code:
        report("empty Bloc_Competences_Code; row skipped", severity="error")
        return
    _append_new(fiche.blocks, Block(code, clean_label(row.get("Bloc_Competences_Libelle"))))


def _organisation(
    row: dict[str, str], name_column: str, siret_column: str, report: RowReporter
) -> tuple[str, str | None] | None:
    name = clean_label(row.get(name_column))
    raw_siret = row.get(siret_column, "")
    siret = _checked(report, clean_siret, raw_siret, siret_column)
    if name is None:
        report(f"empty {name_column}; row skipped", severity="error")
        return None
    return name, siret


def _add_certifier(fiche: Fiche, row: dict[str, str], report: RowReporter) -> None:
    found = _organisation(row, "Nom_Certificateur", "Siret_Certificateur", report)
    if found:
        _append_new(fiche.certifiers, Certifier(name=found[0], siret=found[1]))


def _add_partner(fiche: Fiche, row: dict[str, str], report: RowReporter) -> None:
    found = _organisation(row, "Nom_Partenaire", "Siret_Partenaire", report)
    if found:
        habilitation = clean_text(row.get("Habilitation_Partenaire"))
        _append_new(fiche.partners, Partner(name=found[0], siret=found[1], habilitation=habilitation))


def _add_lineage(fiche: Fiche, row: dict[str, str], report: RowReporter) -> None:
    for column, links in (("Ancienne_Certification", fiche.predecessors), ("Nouvelle_Certification", fiche.successors)):
        raw = (row.get(column) or "").strip()
        if not raw:
            continue
        number = normalise_fiche_number(raw)
        if number is None:
            report(f"{column} {raw!r} is not a fiche number; link ignored")
            continue
        _append_new(links, LineageRef(number=number))


def _add_access_route(fiche: Fiche, row: dict[str, str], report: RowReporter) -> None:
    label = clean_label(row.get("Si_Jury"))
    if label is None:
        report("empty Si_Jury; row skipped", severity="error")
        return
    # The table lists only the routes that are open; it says nothing of juries.
    _append_new(fiche.access_routes, AccessRoute(label=label, open=True))


def _add_ccn(fiche: Fiche, row: dict[str, str], report: RowReporter) -> None:
    for slot in (1, 2, 3):
        number = (row.get(f"Ccn_{slot}_Numero") or "").strip()
        label = clean_label(row.get(f"Ccn_{slot}_Libelle"), number or None)
        if number:
            _append_new(fiche.ccn, CodeRef(number, label))
        elif label:
            report(f"Ccn_{slot}_Libelle {label!r} without a number; ignored")


TABLES: dict[str, _Table] = {
    table.name: table
    for table in (
        _Table(
            "Standard",
            ("Numero_Fiche", "Intitule"),
            (
                "Id_Fiche",
                "Abrege_Libelle",
                "Abrege_Intitule",
                "Nomenclature_Europe_Niveau",
                "Nomenclature_Europe_Intitule",
                "Accessible_Nouvelle_Caledonie",
                "Accessible_Polynesie_Francaise",
                "Date_dernier_jo",
                "Date_Decision",
                "Date_Fin_Enregistrement",
                "Date_Effet",
                "Type_Enregistrement",
                "Validation_Partielle",
                "Actif",
            ),
            _add_standard,
            one_row_per_fiche=True,
        ),
        _Table(
            "Blocs_De_Compétences", ("Numero_Fiche", "Bloc_Competences_Code"), ("Bloc_Competences_Libelle",), _add_block
        ),
        _Table(
            "Rome",
            ("Numero_Fiche", "Codes_Rome_Code"),
            ("Codes_Rome_Libelle",),
            _code_adder("Codes_Rome_Code", "Codes_Rome_Libelle", "rome"),
        ),
        _Table("Nsf", ("Numero_Fiche", "Nsf_Code"), ("Nsf_Intitule",), _code_adder("Nsf_Code", "Nsf_Intitule", "nsf")),
        _Table(
            "Formacode",
            ("Numero_Fiche", "Formacode_Code"),
            ("Formacode_Libelle",),
            _code_adder("Formacode_Code", "Formacode_Libelle", "formacodes"),
        ),
        _Table("Certificateurs", ("Numero_Fiche", "Nom_Certificateur"), ("Siret_Certificateur",), _add_certifier),
        _Table(
            "Ancienne_Nouvelle_Certification",
            ("Numero_Fiche", "Ancienne_Certification", "Nouvelle_Certification"),
            (),
            _add_lineage,
        ),
        _Table("VoixdAccès", ("Numero_Fiche", "Si_Jury"), (), _add_access_route),
        _Table(
            "Partenaires",
            ("Numero_Fiche", "Nom_Partenaire"),
            ("Siret_Partenaire", "Habilitation_Partenaire"),
            _add_partner,
        ),
        _Table(
            "CCN",
            ("Numero_Fiche", "Ccn_1_Numero"),
            ("Ccn_1_Libelle", "Ccn_2_Numero", "Ccn_2_Libelle", "Ccn_3_Numero", "Ccn_3_Libelle"),
            _add_ccn,
        ),
    )
}
"""The ten tables of the export, in the order they are read, by their published name."""

_TABLES_BY_FOLDED = {fold(name).replace("_", ""): table for name, table in TABLES.items()}
_MEMBER = re.compile(r"(?:^|/)export_fiches_csv_(?P<table>.+?)_(?P<y>\d{4})_(?P<m>\d{2})_(?P<d>\d{2})\.csv$")


def _match_table_file(name: str) -> tuple[_Table | None, str, dt.date] | None:
    """Recognise ``export_fiches_CSV_<Table>_<date>.csv`` in any accent form; None if not one."""
    match = _MEMBER.search(fold(unicodedata.normalize("NFC", name)))
    if not match:
        return None
    try:
        date = dt.date(int(match["y"]), int(match["m"]), int(match["d"]))
    except ValueError:
        return None
    return _TABLES_BY_FOLDED.get(match["table"].replace("_", "")), match["table"], date


def _zip_member_name(info: zipfile.ZipInfo) -> str:
    """The member's real name: UTF-8 bytes stored without the UTF-8 flag are re-decoded."""
    name = info.filename
    if not info.flag_bits & 0x800:
        try:
            name = name.encode("cp437").decode("utf-8")
        except (UnicodeEncodeError, UnicodeDecodeError):
            pass  # genuinely cp437, or already decoded: keep zipfile's reading
    return unicodedata.normalize("NFC", name)


def source_ref(table: str, issued: dt.date, path: str) -> SourceRef:
    """The SourceRef of one table file of the export: key ``fc-export-<date>-<table slug>``.

    >>> source_ref("Blocs_De_Compétences", dt.date(2024, 1, 17), "x.csv").key
    'fc-export-2024-01-17-blocs-de-competences'
    """
    return SourceRef(
        key=f"fc-export-{issued.isoformat()}-{TABLES[table].slug}",
        path=path,
        title=f"France Compétences CSV export of {issued.isoformat()}, table {table}",
        issued=issued,
        publisher=PUBLISHER,
        licence=LICENCE,
    )


def _read_table(stream: IO[bytes], table: _Table, ref: SourceRef, loaded: Loaded) -> None:
    """Read one table file into partial fiches (one per fiche number, in order of appearance)."""
    fiches: dict[str, Fiche] = {}
    problems: list[Problem] = []
    # The wrapper is closed with the stream it wraps, not left to the garbage collector.
    # surrogateescape keeps the bytes that are not UTF-8 for decode_row_cp1252, row by row, where a
    # strict decoder would stop the table at the buffer holding them.
    with io.TextIOWrapper(stream, encoding="utf-8-sig", errors="surrogateescape", newline="") as text:
        rows = open_csv_rows(text, ref.path, problems, table.required, table.optional)
        report = RowReporter(ref.path, problems)
        for line, row in rows or ():
            report.line, report.fiche = line, None
            bad_byte = decode_row_cp1252(row)
            raw_number = row["Numero_Fiche"]
            # Nearly every number is already canonical: skip the normalising regex work for those.
            number = raw_number if FICHE_NUMBER.match(raw_number) else normalise_fiche_number(raw_number)
            report.fiche = number
            if bad_byte is not None:
                report(f"not UTF-8 (byte 0x{bad_byte:02X}): this row read as Windows-1252")
            if number is None:
                report(f"invalid fiche number {raw_number!r}; row skipped", severity="error")
                continue
            fiche = fiches.get(number)
            if fiche is None:
                fiche = fiches[number] = Fiche(number=number, source=ref)
            elif table.one_row_per_fiche:
                report(f"second {table.name} row for the fiche; ignored", severity="error")
                continue
            table.add_row(fiche, row, report)
    # A rejected file gives nothing, so no named graph either; a file with a good header and no
    # rows is still a source (it states that no fiche has such rows).
    if rows is not None:
        loaded.sources.append(ref)
    loaded.fiches.extend(fiches.values())
    loaded.problems.extend(problems)


def read_fc_export(path: Path, root: Path | None = None) -> Loaded:
    """Read a France Compétences CSV export: a folder of ``export_fiches_CSV_*.csv`` or its zip.

    Each table file found gives one :class:`SourceRef` (``fc-export-<date>-<table>``) and one
    partial :class:`Fiche` per fiche it mentions. Tables are recognised by name pattern (member
    dates may differ from the zip's own date; accents may be NFC, NFD or mis-decoded). Defects
    become :class:`Problem` records; the other tables and rows still load.

    :param path: a folder, or the official ``export-fiches-csv-<date>.zip``.
    :param root: the data folder; source paths are given relative to it when under it.
    :returns: fiches, problems, sources, and ``missing``: the tables absent from the export,
        by published name (a table present but rejected is reported as a Problem, not missing).
    :raises FileNotFoundError: when ``path`` does not exist.
    """
    path = Path(path)
    loaded = Loaded()
    where = relative_path(path, root)
    found: set[str] = set()

    def read_entries(entries: Iterable[tuple[str, Callable[[], IO[bytes]], str]]) -> None:
        for name, opener, shown in entries:
            matched = _match_table_file(name)
            if matched is None:
                continue
            table, table_name, issued = matched
            if table is None:
                loaded.problems.append(Problem(shown, f"unknown table {table_name!r}; file ignored"))
                continue
            found.add(table.name)
            ref = source_ref(table.name, issued, shown)
            try:
                with opener() as stream:
                    _read_table(stream, table, ref, loaded)
            except (OSError, EOFError, zipfile.BadZipFile, zlib.error, NotImplementedError, RuntimeError) as error:
                loaded.problems.append(Problem(shown, f"unreadable: {error}", severity="error"))

    readable = True
    if path.is_dir():
        files = sorted(file for file in path.iterdir() if file.is_file())
        read_entries((file.name, functools.partial(file.open, "rb"), relative_path(file, root)) for file in files)
    elif path.is_file():
        try:
            archive = zipfile.ZipFile(path)
        except (zipfile.BadZipFile, OSError) as error:
            readable = False
            loaded.problems.append(Problem(where, f"unreadable zip: {error}", severity="error"))
        else:
            with archive:
                members = [(info, _zip_member_name(info)) for info in archive.infolist() if not info.is_dir()]
                # A member's path is "<zip>!/<member>", the jar-URL way of naming a file in an archive.
                read_entries(
                    (name, functools.partial(archive.open, info), f"{where}!/{name}") for info, name in members
                )
    else:
        raise FileNotFoundError(path)

    loaded.missing = [name for name in TABLES if name not in found]
    if readable and not found:
        loaded.problems.append(Problem(where, "no France Compétences export table found", severity="error"))
    return loaded
