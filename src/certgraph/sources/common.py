"""Value helpers shared by the readers of tabular and XML exports: text cleaning, dates, codes, rows.

The France Compétences CSV and XML exports (``fc_csv``, ``fc_xml``), Certif Info (``certifinfo``)
and the 2021 extract (``rncp_2021``) print their values the same ways: ``DD/MM/YYYY`` dates,
``NIV7`` levels, ``Oui``/``Non``, SIRETs behind a TAB, labels that repeat their code, rows that are
not UTF-8. Each quirk is read here once.
"""

from __future__ import annotations

import csv
import datetime as dt
import functools
import re
import unicodedata
import zipfile
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import IO

from ..records import FICHE_NUMBER, Problem
from ..text import collapse_spaces

FICHE_PREFIXES = re.match(r"\^\((\w+(?:\|\w+)*)\)", FICHE_NUMBER.pattern).group(1)
"""The registers' prefixes, ``RNCP|RS``, read from :data:`certgraph.records.FICHE_NUMBER`: for the
patterns that find a fiche number inside a text, where the anchored pattern cannot serve.

>>> FICHE_PREFIXES
'RNCP|RS'
"""

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


# Windows-1252 for every byte, Latin-1 for the five it leaves undefined (0x81, 0x8D, 0x8F, 0x90, 0x9D),
# so that decoding never fails. Indexed by byte; fc_xml's codec error handler reads it too.
CP1252 = [bytes([b]).decode("cp1252", errors="ignore") or bytes([b]).decode("latin-1") for b in range(256)]
# What differs from Latin-1: bytes 0x80-0x9F.
_CP1252_UPPER = {byte: CP1252[byte] for byte in range(0x80, 0xA0)}


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


def zip_member_name(info: zipfile.ZipInfo) -> str:
    """The member's real name: UTF-8 bytes stored without the UTF-8 flag are re-decoded."""
    name = info.filename
    if not info.flag_bits & 0x800:
        try:
            name = name.encode("cp437").decode("utf-8")
        except (UnicodeEncodeError, UnicodeDecodeError):
            pass  # genuinely cp437, or already decoded: keep zipfile's reading
    return unicodedata.normalize("NFC", name)
