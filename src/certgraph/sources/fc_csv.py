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
judging them is the validator's job. The value helpers are :mod:`.common`'s; the table and column
names are :mod:`.fc_schema`'s, which the synthetic register writes.
"""

from __future__ import annotations

import datetime as dt
import functools
import io
import re
import zipfile
import zlib
from collections.abc import Callable, Iterable
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
from ..text import fold
from .common import (
    RowReporter,
    clean_label,
    clean_siret,
    clean_text,
    decode_row_cp1252,
    open_csv_rows,
    parse_active,
    parse_date_dmy,
    parse_eqf_level,
    parse_yes_no,
    relative_path,
    zip_member_name,
)
from .fc_schema import CSV_TABLES, LICENCE, PUBLISHER

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


# How each table's rows add to a partial fiche, and the columns without which a row says nothing.
_ADDERS: dict[str, tuple[tuple[str, ...], Callable[[Fiche, dict[str, str], RowReporter], None]]] = {
    "Standard": (("Numero_Fiche", "Intitule"), _add_standard),
    "Blocs_De_Compétences": (("Numero_Fiche", "Bloc_Competences_Code"), _add_block),
    "Rome": (
        ("Numero_Fiche", "Codes_Rome_Code"),
        _code_adder("Codes_Rome_Code", "Codes_Rome_Libelle", "rome"),
    ),
    "Nsf": (("Numero_Fiche", "Nsf_Code"), _code_adder("Nsf_Code", "Nsf_Intitule", "nsf")),
    "Formacode": (
        ("Numero_Fiche", "Formacode_Code"),
        _code_adder("Formacode_Code", "Formacode_Libelle", "formacodes"),
    ),
    "Certificateurs": (("Numero_Fiche", "Nom_Certificateur"), _add_certifier),
    "Ancienne_Nouvelle_Certification": (
        ("Numero_Fiche", "Ancienne_Certification", "Nouvelle_Certification"),
        _add_lineage,
    ),
    "VoixdAccès": (("Numero_Fiche", "Si_Jury"), _add_access_route),
    "Partenaires": (("Numero_Fiche", "Nom_Partenaire"), _add_partner),
    "CCN": (("Numero_Fiche", "Ccn_1_Numero"), _add_ccn),
}

TABLES: dict[str, _Table] = {
    name: _Table(
        name,
        _ADDERS[name][0],
        tuple(column for column in columns if column not in _ADDERS[name][0]),
        _ADDERS[name][1],
        one_row_per_fiche=name == "Standard",
    )
    for name, columns in CSV_TABLES.items()
}
"""The ten tables of the export, in the order they are read, by their published name."""

_TABLES_BY_FOLDED = {fold(name).replace("_", ""): table for name, table in TABLES.items()}
_MEMBER = re.compile(r"(?:^|/)export_fiches_csv_(?P<table>.+?)_(?P<y>\d{4})_(?P<m>\d{2})_(?P<d>\d{2})\.csv$")


def _match_table_file(name: str) -> tuple[_Table | None, str, dt.date] | None:
    """Recognise ``export_fiches_CSV_<Table>_<date>.csv`` in any accent form; None if not one."""
    match = _MEMBER.search(fold(name))
    if not match:
        return None
    try:
        date = dt.date(int(match["y"]), int(match["m"]), int(match["d"]))
    except ValueError:
        return None
    return _TABLES_BY_FOLDED.get(match["table"].replace("_", "")), match["table"], date


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
                members = [(info, zip_member_name(info)) for info in archive.infolist() if not info.is_dir()]
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
