"""Reader for the official ROME ↔ ESCO crosswalk (Pôle emploi): ROME appellations mapped to ESCO occupations.

The file (``data/rome_esco/``, see its ``SOURCE.md``) is a CSV table behind a metadata preamble of
``key,value`` lines (project, author, version and date of the mapping, name and version of each
classification). The table starts at the line beginning ``classification 1 ID,``, wherever it is: the
published files put it on line 16 or 17. Each row maps an ESCO occupation (classification 1, its IRI
and French label) to a ROME v3 appellation (classification 2, its code OGR and label) with a SKOS
mapping relation. The relation reads from the appellation to the occupation: ``skos:broadMatch``
says the ESCO occupation is the broader (``Directeur / Directrice de clinique`` broadMatch
``responsable d'établissement de santé``).

:func:`read_rome_esco` returns one :class:`~certgraph.records.Concept` per ESCO occupation (scheme
``esco``, code = the UUID ending its IRI, French label), each listing the appellations mapped to it
(:class:`~certgraph.records.ConceptMatch`, with the appellation's label as the file prints it). The
mapping's versions and date, read from the preamble, name and date its source. A bad row is a
:class:`~certgraph.records.Problem` naming the file and line, and is skipped; the other rows load.
"""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

from ..records import Concept, ConceptMatch, Loaded, Problem, SourceRef
from ..text import collapse_spaces
from ..vocab import ESCO_OCCUPATION, slug
from .common import parse_date_dmy, relative_path

__all__ = ["COLUMNS", "HEADER_START", "RELATIONS", "read_rome_esco"]

HEADER_START = "classification 1 ID,"
COLUMNS = (
    "classification 1 ID",
    "classification 1 prefered label",  # sic
    "classification 2 ID",
    "classification 2 prefered label",
    "mapping relation",
)
# The relations as the file writes them -> the SKOS mapping property's local name.
RELATIONS = {
    "skos:exactMatch": "exactMatch",
    "skos:closeMatch": "closeMatch",
    "skos:broadMatch": "broadMatch",
    "skos:narrowMatch": "narrowMatch",
}
_UUID = r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
_ESCO_IRI = re.compile(re.escape(str(ESCO_OCCUPATION)) + f"({_UUID})")
_OGR_CODE = re.compile(r"[0-9]+")

# Where the shipped files come from (data/rome_esco/SOURCE.md): the commit that added them.
_ORIGIN = (
    "https://github.com/Avature/melo-benchmark/blob/59a5753ac136dd829fe53bbe29c90f8431d8f4b3/"
    "data/raw/crosswalks_original/european_vs_esco/"
)
_KNOWN_FILES = {"FR_20230104_mapping_esco_rome.csv", "FR_20230607_mapping_esco_rome.csv"}
# No "Etalab" in the text: graph.py would then state the Etalab licence IRI as a fact.
LICENCE = "no licence stated for the crosswalk itself; ESCO content © European Union, reuse authorised"

# The preamble's keys this reader uses, and the classifications the columns must hold.
_VERSION, _DATE, _AUTHOR = "Mapping project version", "Mapping project version date", "Mapping project author"
_ESCO_VERSION, _ROME_VERSION = "Classification 1 Version", "Classification 2 Version"
_EXPECTED_NAMES = {"Classification 1 Name": "ESCO", "Classification 2 Name": "ROME"}


def read_rome_esco(path: Path, root: Path | None = None) -> Loaded:
    """Read one ROME ↔ ESCO crosswalk file: the ESCO occupations with the appellations mapped to them.

    Reads UTF-8 (with or without BOM), CRLF or LF line ends. The source is keyed and titled by the
    preamble (``rome-esco-v1-4-2022-07-13``: mapping version V1.4 of 13/07/2022, ESCO 1.1, ROME
    V3.0) and dated by the mapping's version date. A file whose table header cannot be found, or
    whose preamble names other classifications than ESCO and ROME, is an error and loads nothing.

    :param path: the CSV file, e.g. ``data/rome_esco/FR_20230104_mapping_esco_rome.csv``.
    :param root: the data folder the SourceRef path is relative to; default two levels up.
    :returns: one ``esco`` Concept per occupation, in the order of the file, each with its
        ``matched_by`` appellations (scheme ``rome``, code OGR, relation, label as printed).
    """
    path = Path(path)
    root = Path(root) if root is not None else path.parent.parent
    where = relative_path(path, root)
    loaded = Loaded()
    if not path.is_file():
        loaded.missing.append(where)
        loaded.problems.append(Problem(where, "file not found", severity="error"))
        return loaded
    with path.open(encoding="utf-8-sig", newline="") as handle:
        try:
            text = handle.read()
        except UnicodeDecodeError as error:
            loaded.problems.append(Problem(where, f"not UTF-8 ({error.reason}); file ignored", severity="error"))
            return loaded
    # Split as the csv module reads a file opened with newline="": at \r\n, \n or \r only (str.splitlines
    # would also split at characters a label may hold, such as U+2028).
    lines = io.StringIO(text, newline="").readlines()
    header_index = next((i for i, line in enumerate(lines) if line.startswith(HEADER_START)), None)
    if header_index is None:
        message = f"no table header (a line starting {HEADER_START!r}); file ignored"
        loaded.problems.append(Problem(where, message, severity="error"))
        return loaded
    preamble = _preamble(lines[:header_index])
    header_line = header_index + 1
    for key, expected in _EXPECTED_NAMES.items():
        if preamble.get(key, "").upper() != expected:
            message = (
                f"{key} is {preamble.get(key)!r}, expected {expected!r}: the columns would mean something else; "
                "file ignored"
            )
            loaded.problems.append(Problem(where, message, severity="error"))
            return loaded
    header = [cell.strip() for cell in next(csv.reader([lines[header_index]]))]
    if tuple(header) != COLUMNS:
        message = f"header is {', '.join(header)}; expected {', '.join(COLUMNS)}; file ignored"
        loaded.problems.append(Problem(where, message, header_line, severity="error"))
        return loaded
    source = _source(path, where, preamble, loaded.problems)
    loaded.sources.append(source)
    loaded.concepts = _occupations(lines[header_index + 1 :], header_line, source, loaded.problems)
    return loaded


def _preamble(lines: list[str]) -> dict[str, str]:
    """The ``key,value`` lines before the table, values stripped (a value may hold commas)."""
    values: dict[str, str] = {}
    for cells in csv.reader(lines):
        if cells and cells[0].strip():
            values.setdefault(cells[0].strip(), ",".join(cells[1:]).strip())
    return values


def _source(path: Path, where: str, preamble: dict[str, str], problems: list[Problem]) -> SourceRef:
    """The named graph of the file, keyed, titled and dated by its preamble."""
    for key in (_VERSION, _DATE, _ESCO_VERSION, _ROME_VERSION):
        if not preamble.get(key):
            problems.append(Problem(where, f"preamble lacks {key!r}"))
    issued = None
    try:
        issued = parse_date_dmy(preamble.get(_DATE))
    except ValueError as error:
        problems.append(Problem(where, f"{_DATE}: {error}; the source stays undated"))
    version = preamble.get(_VERSION) or "?"
    parts = ["rome-esco", slug(version) if version != "?" else "", issued.isoformat() if issued else ""]
    title = (
        f"Correspondance ROME {preamble.get(_ROME_VERSION) or '?'} → ESCO {preamble.get(_ESCO_VERSION) or '?'} "
        f"(appellations ROME, professions ESCO), table {version} du {preamble.get(_DATE) or '?'}"
    )
    return SourceRef(
        key="-".join(part for part in parts if part),
        path=where,
        title=title,
        issued=issued,
        publisher=preamble.get(_AUTHOR) or None,
        licence=LICENCE,
        origin=_ORIGIN + path.name if path.name in _KNOWN_FILES else None,
    )


def _occupations(lines: list[str], header_line: int, source: SourceRef, problems: list[Problem]) -> list[Concept]:
    """The table's rows as ESCO occupations with their appellations; bad rows reported and skipped."""
    occupations: dict[str, Concept] = {}
    label_lines: dict[str, int] = {}
    pairs: dict[tuple[str, str], tuple[int, str]] = {}  # (occupation, appellation) -> (line, relation)

    def report(message: str, line: int, severity: str = "warning") -> None:
        problems.append(Problem(source.path, message, line, severity=severity))

    reader = csv.reader(lines)
    while True:
        line = header_line + reader.line_num + 1  # the record's first physical line
        try:
            cells = next(reader, None)
        except csv.Error as error:
            report(f"unreadable row ({error}); rest of file ignored", line, "error")
            break
        if cells is None:
            break
        if not any(cell.strip() for cell in cells):
            continue
        if len(cells) != len(COLUMNS):
            report(f"expected {len(COLUMNS)} columns, found {len(cells)}; row skipped", line)
            continue
        iri, esco_label, ogr, rome_label, relation = (cell.strip() for cell in cells)
        found = _ESCO_IRI.fullmatch(iri)
        if found is None:
            report(f"classification 1 ID {iri!r} is not an ESCO occupation IRI; row skipped", line)
            continue
        if not _OGR_CODE.fullmatch(ogr):
            report(f"classification 2 ID {ogr!r} is not a ROME appellation code (code OGR); row skipped", line)
            continue
        if relation not in RELATIONS:
            report(f"mapping relation {relation!r} is not one of {', '.join(RELATIONS)}; row skipped", line)
            continue
        uuid, relation = found.group(1), RELATIONS[relation]
        first = pairs.get((uuid, ogr))
        if first is not None:
            first_line, first_relation = first
            if first_relation == relation:
                report(f"appellation {ogr} → {iri} repeats line {first_line}; row skipped", line)
            else:
                message = (
                    f"appellation {ogr} → {iri} is {relation} here but {first_relation} at line {first_line}; "
                    "the first is kept"
                )
                report(message, line)
            continue
        pairs[(uuid, ogr)] = (line, relation)
        esco_label = collapse_spaces(esco_label) or None
        occupation = occupations.get(uuid)
        if occupation is None:
            occupation = occupations[uuid] = Concept("esco", uuid, esco_label, kind="occupation", source=source)
            label_lines[uuid] = line
        elif esco_label and occupation.label_fr is None:
            occupation.label_fr, label_lines[uuid] = esco_label, line
        elif esco_label and esco_label != occupation.label_fr:
            message = (
                f"{iri} is labelled {esco_label!r} here but {occupation.label_fr!r} at line {label_lines[uuid]}; "
                "the first is kept"
            )
            report(message, line)
        occupation.matched_by.append(ConceptMatch("rome", ogr, relation, collapse_spaces(rome_label) or None))
    return list(occupations.values())
