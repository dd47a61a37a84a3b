"""Readers for the national code lists (ROME, NSF, Formacode): each file read becomes Concept records.

Every reader takes the folder shipped under ``data/`` (see each folder's ``SOURCE.md``) and returns a
:class:`~certgraph.records.Loaded` holding the concepts, one :class:`~certgraph.records.SourceRef` per
file read and a :class:`~certgraph.records.Problem` per bad row: a bad row is skipped, never fatal.

Concept codes are the codes as published (``K1403``, ``332n``, ``32135``); ``broader`` and ``related``
name codes of the same scheme, and every code they name is a concept the same reader returns.
Each concept's ``source`` is the file that states it, so it lands in that file's named graph.
"""

from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import re
import xml.parsers.expat
from collections.abc import Iterator
from pathlib import Path

from ..records import Concept, Loaded, Problem, SourceRef
from ..text import collapse_spaces

__all__ = [
    "NSF_KNOWN_OUTSIDE_DECREE",
    "merge_rome",
    "nsf_code_is_valid",
    "read_formacode",
    "read_nsf",
    "read_rome",
    "read_rome_v3",
    "read_rome_v4",
    "split_nsf",
]

ETALAB = "Licence Ouverte / Etalab 2.0"

ROME_TREE_FILE = "coderome2rdf-v344/unix_arborescence_v344_iso8859-15.xml"
ROME_APPELLATION_FILE = "coderome2rdf-v344/unix_referentiel_appellation_v344_iso8859-15.xml"
ROME_MAPPING_FILE = "labonneboite-2021/ogr_rome_mapping.csv"
ROME_V4_FILE = "rome4-v460/unix_referentiel_code_rome_v460_utf8.csv"
NSF_HIERARCHY_FILE = "nsf_hierarchie_D311-4.csv"
NSF_LETTERS_FILE = "nsf_codes_lettres_D311-4.csv"
NSF_OBSERVED_FILE = "nsf_codes_observes_rncp_2021.csv"
FORMACODE_TERMS_FILE = "formacodes-v14.csv"
FORMACODE_DOMAINS_FILE = "formacodes-grands-domaines-v14.csv"

_SPARNA = "https://github.com/sparna-git/coderome2rdf/blob/a499e5a33d5ccddfbf08ecd63a43cebebddd4d6d/input/"
_D311_4 = (
    "https://github.com/etalab/codes-juridiques-francais/blob/0c62d7e3839ef8909408d1d8ec5f29a69559d34b/"
    "codes-en-vigueur/code-de-l-education/partie-reglementaire/livre-iii/titre-ier/chapitre-ier/"
    "section-1/article-d311-4.md"
)
_REVA = (
    "https://github.com/betagouv/reva/blob/83fe379d4d9efe9103a1ec77b00f5db3f85099bb/"
    "packages/reva-api/prisma/seed/referentials/"
)

# Provenance of each file, from the folder's SOURCE.md. ``issued`` is the closest date the notes
# attest for the data itself: the legal text's date, or the commit that published that version.
_CATALOGUE: dict[str, dict] = {
    "unix_arborescence_v344_iso8859-15.xml": dict(
        key="rome-v344-arborescence",
        title="ROME v3.44 : arborescence principale (grands domaines, domaines, fiches)",
        issued=dt.date(2021, 1, 18),
        publisher="France Travail (Pôle emploi)",
        licence=ETALAB,
        origin=_SPARNA + "unix_arborescence_v344_iso8859-15.xml",
    ),
    "unix_referentiel_appellation_v344_iso8859-15.xml": dict(
        key="rome-v344-appellations",
        title="ROME v3.44 : référentiel des appellations (codes OGR)",
        issued=dt.date(2021, 1, 18),
        publisher="France Travail (Pôle emploi)",
        licence=ETALAB,
        origin=_SPARNA + "unix_referentiel_appellation_v344_iso8859-15.xml",
    ),
    "ogr_rome_mapping.csv": dict(
        key="rome-v3-ogr-rome-2021",
        title="ROME v3 : correspondance appellation (code OGR) → fiche ROME, juillet 2021",
        issued=dt.date(2021, 7, 5),
        publisher="France Travail (Pôle emploi), converti par La Bonne Boîte",
        licence=ETALAB,
        origin=(
            "https://github.com/StartupsPoleEmploi/labonneboite/blob/"
            "7f4c797dfea847a2e931bdb51f2a6a4601a1fb96/labonneboite/common/data/ogr_rome_mapping.csv"
        ),
    ),
    "unix_referentiel_code_rome_v460_utf8.csv": dict(
        key="rome-v460-codes",
        title="ROME 4.0 v4.60 : référentiel des codes ROME",
        issued=dt.date(2025, 11, 9),
        publisher="France Travail",
        licence=ETALAB,
        origin=(
            "https://github.com/tomjoy75/code_rome/blob/5d8f533d1c795cb2f041e121d3abfbe1f70923e3/"
            "data/RefRomeCsv/unix_referentiel_code_rome_v460_utf8.csv"
        ),
    ),
    NSF_HIERARCHY_FILE: dict(
        key="nsf-d311-4-hierarchie",
        title="NSF : domaines, sous-domaines et groupes de spécialités (Code de l'éducation, art. D311-4)",
        # décret n° 94-522 du 26 juin 1994, codified as article D311-4
        issued=dt.date(1994, 6, 26),
        publisher="République française (décret n° 94-522, Code de l'éducation)",
        licence=ETALAB,
        origin=_D311_4,
    ),
    NSF_LETTERS_FILE: dict(
        key="nsf-d311-4-lettres",
        title="NSF : codes lettres des champs d'application et des fonctions (Code de l'éducation, art. D311-4)",
        issued=dt.date(1994, 6, 26),
        publisher="République française (décret n° 94-522, Code de l'éducation)",
        licence=ETALAB,
        origin=_D311_4,
    ),
    NSF_OBSERVED_FILE: dict(
        key="nsf-rncp-2021-observes",
        title="NSF : codes et libellés détaillés observés dans le RNCP, janvier 2021",
        issued=dt.date(2021, 1, 6),
        publisher="France Compétences",
        licence=ETALAB,
        origin=(
            "https://github.com/mission-apprentissage/tables-correspondances/blob/"
            "70ed5996cc3d04e0e0502ce5f561f6a5bfb0395e/server/src/jobs/rncpImporter/assets/rncp_nsf.v1.4.csv"
        ),
    ),
    FORMACODE_TERMS_FILE: dict(
        key="formacode-v14",
        title="Formacode® v14 : termes du thésaurus",
        issued=dt.date(2025, 10, 2),
        publisher="Centre Inffo",
        # SOURCE.md: no data licence stated; Centre Inffo distributes it for free
        licence=None,
        origin=_REVA + FORMACODE_TERMS_FILE,
    ),
    FORMACODE_DOMAINS_FILE: dict(
        key="formacode-v14-grands-domaines",
        title="Formacode® v14 : grands domaines",
        issued=dt.date(2025, 10, 2),
        publisher="Centre Inffo",
        licence=None,
        origin=_REVA + FORMACODE_DOMAINS_FILE,
    ),
}


# ---------------------------------------------------------------------------------------------
# Shared plumbing: provenance, CSV rows and flat XML records with their line numbers


def _relative(path: Path, root: Path) -> str:
    """The path as the SourceRef states it: relative to the data folder when it lies inside it."""
    try:
        return path.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return path.name


def _source(path: Path, root: Path) -> SourceRef:
    """The SourceRef of one file: its catalogue entry, or a bare one for a file not catalogued."""
    entry = _CATALOGUE.get(path.name)
    if entry is None:
        slug = re.sub(r"[^a-z0-9]+", "-", path.stem.lower()).strip("-")
        return SourceRef(key=slug, path=_relative(path, root), title=path.name)
    return SourceRef(path=_relative(path, root), **entry)


def _open_source(path: Path, root: Path, loaded: Loaded) -> SourceRef | None:
    """Register the file as read, or report it missing; None when it cannot be read."""
    if not path.is_file():
        where = _relative(path, root)
        loaded.missing.append(where)
        loaded.problems.append(Problem(where, "file not found", severity="error"))
        return None
    source = _source(path, root)
    loaded.sources.append(source)
    return source


def _report(problems: list[Problem], source: SourceRef, message: str, line: int | None = None, **extra) -> None:
    """Record a defect of ``source``: a warning unless ``severity`` is given."""
    problems.append(Problem(source.path, message, line=line, **extra))


def _csv_rows(
    path: Path,
    source: SourceRef,
    problems: list[Problem],
    *,
    delimiter: str,
    required: tuple[str, ...],
) -> Iterator[tuple[int, dict[str, str]]]:
    """Yield ``(line, row)`` for each record of a CSV file, values stripped.

    A record whose cell count differs from the header's is reported and skipped; a header missing
    a ``required`` column stops the file (every row would be unreadable).
    """
    # utf-8-sig: the Formacode files start with a BOM, the others do not; it reads both.
    with path.open(encoding="utf-8-sig", newline="") as handle:
        reader = csv.reader(handle, delimiter=delimiter)
        header = [cell.strip() for cell in next(reader, [])]
        absent = [name for name in required if name not in header]
        if absent:
            _report(problems, source, f"header lacks column(s) {', '.join(absent)}", 1, severity="error")
            return
        line = reader.line_num + 1
        for cells in reader:
            if len(cells) == len(header):
                yield line, dict(zip(header, (cell.strip() for cell in cells)))
            elif any(cell.strip() for cell in cells):  # a blank line is no record
                _report(problems, source, f"expected {len(header)} columns, found {len(cells)}", line)
            # a quoted cell may span lines: the next record starts after the last line read
            line = reader.line_num + 1


def _xml_records(
    path: Path, record_tag: str, source: SourceRef, problems: list[Problem]
) -> list[tuple[int, dict[str, str]]]:
    """Return ``(line, fields)`` for each ``record_tag`` element of a flat XML file.

    expat rather than ``ElementTree.iterparse``: only expat tells the line of an element, which a
    Problem must name. It reads the encoding from the prolog (ISO-8859-15 for the ROME files).
    Malformed XML stops the file, keeping the records read before the error.
    """
    records: list[tuple[int, dict[str, str]]] = []
    parser = xml.parsers.expat.ParserCreate()
    parser.buffer_text = True
    state: dict = {"record": None, "field": None, "text": [], "line": 0}

    def start(name: str, attributes: dict) -> None:
        if name == record_tag:
            state.update(record={}, line=parser.CurrentLineNumber)
        elif state["record"] is not None:
            state.update(field=name, text=[])

    def end(name: str) -> None:
        if name == record_tag and state["record"] is not None:
            records.append((state["line"], state["record"]))
            state["record"] = None
        elif state["record"] is not None and name == state["field"]:
            state["record"][name] = "".join(state["text"]).strip()
            state["field"] = None

    def text(data: str) -> None:
        if state["field"] is not None:
            state["text"].append(data)

    parser.StartElementHandler = start
    parser.EndElementHandler = end
    parser.CharacterDataHandler = text
    try:
        with path.open("rb") as handle:
            parser.ParseFile(handle)
    except xml.parsers.expat.ExpatError as error:
        message = xml.parsers.expat.errors.messages[error.code]
        _report(problems, source, f"malformed XML ({message}); rest of file not read", error.lineno, severity="error")
    return records


def _check_broader(
    concepts: list[Concept], lines: dict[str, int], source: SourceRef, problems: list[Problem]
) -> None:
    """Report broader codes that name no concept of the same scheme, and drop them."""
    known = {(concept.scheme, concept.code) for concept in concepts}
    for concept in concepts:
        dangling = [code for code in concept.broader if (concept.scheme, code) not in known]
        for code in dangling:
            message = f"{concept.code}: broader code {code} is not in the list"
            _report(problems, source, message, lines.get(concept.code))
        if dangling:
            concept.broader = [code for code in concept.broader if code not in dangling]


# ---------------------------------------------------------------------------------------------
# ROME

ROME_GRAND_DOMAINE = re.compile(r"^[A-Z]$")
ROME_DOMAINE = re.compile(r"^[A-Z][0-9]{2}$")
ROME_FICHE = re.compile(r"^[A-Z][0-9]{4}$")
OGR_CODE = re.compile(r"^[0-9]+$")

# sic: the official file names the main tree with two spaces
ROME_MAIN_TREE = "Arborescence  principale"


def read_rome_v3(folder: Path, root: Path | None = None) -> Loaded:
    """Read the ROME v3.44 tree and appellations: grands domaines, domaines, fiches, appellations.

    Reads ``coderome2rdf-v344/`` (the main tree and the appellations, official labels with their
    commas) and ``labonneboite-2021/ogr_rome_mapping.csv`` (appellation → fiche, which the v3.44
    appellation file lacks). Every concept has scheme ``rome``; kinds are ``grand_domaine`` (``K``),
    ``domaine`` (``K14``, broader ``K``), ``fiche`` (``K1403``, broader ``K14``) and ``appellation``
    (code OGR, broader its fiche, the short label as alt label when it differs).

    :param folder: the ``data/rome`` folder.
    :param root: the data folder the SourceRef paths are relative to; default ``folder``'s parent.
    """
    folder = Path(folder)
    root = Path(root) if root is not None else folder.parent
    loaded = Loaded()
    lines: dict[str, int] = {}

    tree_path = folder / ROME_TREE_FILE
    tree_source = _open_source(tree_path, root, loaded)
    if tree_source is not None:
        for line, item in _xml_records(tree_path, "item_arborescence", tree_source, loaded.problems):
            concept = _rome_tree_concept(item, line, tree_source, loaded.problems)
            if concept is None:
                continue
            if concept.code in lines:
                message = f"duplicate code {concept.code} (first at line {lines[concept.code]})"
                _report(loaded.problems, tree_source, message, line)
                continue
            lines[concept.code] = line
            loaded.concepts.append(concept)
        _check_broader(loaded.concepts, lines, tree_source, loaded.problems)

    fiche_of = _read_ogr_mapping(folder / ROME_MAPPING_FILE, root, loaded)
    fiches = {concept.code for concept in loaded.concepts if concept.kind == "fiche"}

    appellation_path = folder / ROME_APPELLATION_FILE
    source = _open_source(appellation_path, root, loaded)
    if source is not None:
        seen: set[str] = set()
        for line, item in _xml_records(appellation_path, "item_referentiel_appellation", source, loaded.problems):
            code, label = item.get("code_ogr", ""), collapse_spaces(item.get("libelle", ""))
            if not OGR_CODE.match(code):
                _report(loaded.problems, source, f"code_ogr {code!r} is not a number", line)
                continue
            if not label:
                _report(loaded.problems, source, f"appellation {code} has no libelle", line)
                continue
            if code in seen:
                _report(loaded.problems, source, f"duplicate appellation {code}", line)
                continue
            seen.add(code)
            short = collapse_spaces(item.get("libelle_court", ""))
            fiche = fiche_of.get(code)
            if fiche is None:
                _report(loaded.problems, source, f"appellation {code} has no fiche in the OGR → ROME mapping", line)
            elif fiche not in fiches:
                _report(loaded.problems, source, f"appellation {code} maps to unknown fiche {fiche}", line)
                fiche = None
            loaded.concepts.append(
                Concept(
                    scheme="rome",
                    code=code,
                    label_fr=label,
                    kind="appellation",
                    broader=[fiche] if fiche else [],
                    alt_labels=[short] if short and short != label else [],
                    source=source,
                )
            )
    return loaded


def _rome_tree_concept(
    item: dict[str, str], line: int, source: SourceRef, problems: list[Problem]
) -> Concept | None:
    """One node of the main ROME tree as a Concept; None for the root, the other tree and bad nodes."""
    if item.get("libelle_referentiel") != ROME_MAIN_TREE or item.get("libelle_noeud") == "RACINE":
        return None
    code, parent, label = item.get("code_noeud", ""), item.get("code_pere", ""), collapse_spaces(item.get("libelle", ""))
    if ROME_GRAND_DOMAINE.match(code):
        kind, expected_parent = "grand_domaine", None
    elif ROME_DOMAINE.match(code):
        kind, expected_parent = "domaine", code[:1]
    elif ROME_FICHE.match(code):
        kind, expected_parent = "fiche", code[:3]
    else:
        message = f"code_noeud {code!r} is neither a grand domaine (K), a domaine (K14) nor a fiche (K1403)"
        _report(problems, source, message, line)
        return None
    if not label:
        _report(problems, source, f"{code} has no libelle", line)
        return None
    if expected_parent and parent != expected_parent:
        # the stated parent wins: it is the official tree, the code prefix only a convention
        _report(problems, source, f"{code}: code_pere {parent!r}, expected {expected_parent}", line)
    broader = [parent] if expected_parent and parent else []
    return Concept(scheme="rome", code=code, label_fr=label, kind=kind, broader=broader, source=source)


def _read_ogr_mapping(path: Path, root: Path, loaded: Loaded) -> dict[str, str]:
    """Appellation code OGR → fiche ROME code, from the ``ogr_id|rome_id`` file."""
    mapping: dict[str, str] = {}
    source = _open_source(path, root, loaded)
    if source is None:
        return mapping
    for line, row in _csv_rows(path, source, loaded.problems, delimiter="|", required=("ogr_id", "rome_id")):
        ogr, rome = row["ogr_id"], row["rome_id"]
        if not OGR_CODE.match(ogr) or not ROME_FICHE.match(rome):
            _report(loaded.problems, source, f"bad mapping {ogr!r} → {rome!r}", line)
        elif ogr in mapping and mapping[ogr] != rome:
            _report(loaded.problems, source, f"appellation {ogr} mapped to both {mapping[ogr]} and {rome}", line)
        else:
            mapping[ogr] = rome
    return mapping


def read_rome_v4(path: Path, root: Path | None = None) -> Loaded:
    """Read the ROME 4.0 code list: 1,584 fiches, each new code under its historical parent code.

    ``label_fr`` is the ROME 4.0 label (``libelle_rome``); ``broader`` is ``[code_rome_parent]`` when
    the parent differs from the code (a historical code is its own parent, and has no broader here:
    its domaine comes from the v3 tree, see :func:`merge_rome`). ``note`` lists the flags set
    (emploi cadre, emploi réglementé, transitions).

    :param path: ``data/rome/rome4-v460/unix_referentiel_code_rome_v460_utf8.csv``.
    :param root: the data folder SourceRef paths are relative to; default three levels up.
    """
    path = Path(path)
    root = Path(root) if root is not None else (path.parents[2] if len(path.parents) > 2 else path.parent)
    loaded = Loaded()
    source = _open_source(path, root, loaded)
    if source is None:
        return loaded
    lines: dict[str, int] = {}
    required = ("code_rome", "libelle_rome", "code_rome_parent")
    for line, row in _csv_rows(path, source, loaded.problems, delimiter=",", required=required):
        code, parent, label = row["code_rome"], row["code_rome_parent"], collapse_spaces(row["libelle_rome"])
        if not ROME_FICHE.match(code):
            _report(loaded.problems, source, f"code_rome {code!r} is not a fiche code (K1403)", line)
            continue
        if parent and not ROME_FICHE.match(parent):
            _report(loaded.problems, source, f"{code}: code_rome_parent {parent!r} is not a fiche code", line)
            parent = ""
        if not label:
            _report(loaded.problems, source, f"{code} has no libelle_rome", line)
            continue
        if code in lines:
            _report(loaded.problems, source, f"duplicate code {code} (first at line {lines[code]})", line)
            continue
        lines[code] = line
        loaded.concepts.append(
            Concept(
                scheme="rome",
                code=code,
                label_fr=label,
                kind="fiche",
                broader=[parent] if parent and parent != code else [],
                note=_rome_v4_flags(row),
                source=source,
            )
        )
    _check_broader(loaded.concepts, lines, source, loaded.problems)
    return loaded


def _rome_v4_flags(row: dict[str, str]) -> str | None:
    """The flags a ROME 4.0 row sets, as a short French note; None when none is set."""
    flags = []
    if row.get("emploi_cadre") == "O":
        flags.append("emploi cadre")
    if row.get("emploi_reglemente") == "O":
        flags.append("emploi réglementé")
    transition = row.get("transition_eco", "")
    if transition and transition != "Emploi Blanc":
        flags.append(f"transition écologique : {transition}")
    if row.get("transition_num") == "O":
        flags.append("transition numérique")
    if row.get("transition_demo") == "O":
        flags.append("transition démographique")
    return "; ".join(flags) or None


def merge_rome(v3: Loaded, v4: Loaded) -> Loaded:
    """One ROME concept per code: the v3 tree and appellations, fiches relabelled as ROME 4.0 says.

    A historical fiche takes the ROME 4.0 label as ``label_fr`` and keeps its v3 label in
    ``alt_labels`` (RNCP exports still print v3 labels), with the v3 domaine as broader; its
    ``source`` becomes the ROME 4.0 file, the newest statement of the code. A code only ROME 4.0 has
    keeps its v4 parent as broader. The inputs are left unchanged.

    >>> old = Loaded(concepts=[Concept("rome", "K1403", "Management", kind="fiche", broader=["K14"])])
    >>> new = Loaded(concepts=[Concept("rome", "K1403", "Directeur", kind="fiche"),
    ...                        Concept("rome", "K1404", "Adjoint", kind="fiche", broader=["K1403"])])
    >>> [(c.code, c.label_fr, c.alt_labels, c.broader) for c in merge_rome(old, new).concepts]
    [('K1403', 'Directeur', ['Management'], ['K14']), ('K1404', 'Adjoint', [], ['K1403'])]
    """
    merged = Loaded(problems=list(v3.problems) + list(v4.problems), sources=list(v3.sources) + list(v4.sources))
    merged.missing = list(v3.missing) + list(v4.missing)
    newer = {concept.code: concept for concept in v4.concepts}
    v4_path = v4.sources[0].path if v4.sources else "rome-v4"
    for concept in v3.concepts:
        if concept.kind == "fiche":
            v4_concept = newer.pop(concept.code, None)
            if v4_concept is None:
                message = f"historical fiche {concept.code} is absent from ROME 4.0"
                merged.problems.append(Problem(v4_path, message, severity="info"))
            else:
                changed = concept.label_fr and concept.label_fr != v4_concept.label_fr
                older_labels = [concept.label_fr] if changed else []
                concept = dataclasses.replace(
                    concept,
                    label_fr=v4_concept.label_fr,
                    alt_labels=older_labels + [label for label in concept.alt_labels if label not in older_labels],
                    note=v4_concept.note,
                    source=v4_concept.source or concept.source,
                )
        merged.concepts.append(_copy(concept))
    domaines = {concept.code for concept in v3.concepts if concept.kind == "domaine"}
    for concept in newer.values():
        concept = _copy(concept)
        if not concept.broader and concept.code[:3] in domaines:
            # a new top-level ROME 4.0 code: the code pattern names its domaine
            concept.broader = [concept.code[:3]]
        merged.concepts.append(concept)
    return merged


def _copy(concept: Concept) -> Concept:
    """A copy that shares no list with the original, so merging never alters its inputs."""
    return dataclasses.replace(
        concept, broader=list(concept.broader), alt_labels=list(concept.alt_labels), related=list(concept.related)
    )


def read_rome(folder: Path, root: Path | None = None) -> Loaded:
    """Read ROME v3.44 and ROME 4.0 from ``data/rome`` and merge them (see :func:`merge_rome`)."""
    folder = Path(folder)
    root = Path(root) if root is not None else folder.parent
    return merge_rome(read_rome_v3(folder, root), read_rome_v4(folder / ROME_V4_FILE, root))


# ---------------------------------------------------------------------------------------------
# NSF

# The 93 groups of décret n° 94-522 (Code de l'éducation, art. D311-4), fixed since 1994; kept here
# so that the validity of a code is a pure function (a test checks them against the CSV).
NSF_GROUPS = frozenset(
    "100 110 111 112 113 114 115 116 117 118 120 121 122 123 124 125 126 127 128 130 131 132 133 134 135 136 "
    "200 201 210 211 212 213 214 220 221 222 223 224 225 226 227 230 231 232 233 234 240 241 242 243 "
    "250 251 252 253 254 255 300 310 311 312 313 314 315 320 321 322 323 324 325 326 330 331 332 333 334 335 336 "
    "340 341 342 343 344 345 346 410 411 412 413 414 415 421 422 423".split()
)
NSF_DOMAINS = frozenset(group[:2] for group in NSF_GROUPS) | frozenset(group[:1] for group in NSF_GROUPS)

# Article D311-4, II: the letters that refine a group depend on its domain: champs d'application
# for the disciplinary domain (1), fonctions for the technical ones (2, 3), z for personal development (4).
NSF_LETTERS = {"1": "abcdefg", "2": "mnprstuvw", "3": "mnprstuvw", "4": "z"}

# Lettered codes the RNCP printed although the decree does not allow their letter, each with why it
# is kept: they are what the register says, read as printed and not reported as defects of the list.
NSF_KNOWN_OUTSIDE_DECREE = {
    "132v": "the RNCP printed it for one fiche in January 2021 (Arts plastiques, production à caractère "
    "artistique); v is a fonction letter, which the decree gives to groups 2xx and 3xx only",
}

_NSF_SHAPE = re.compile(r"^([0-9]{1,3})([a-zA-Z])?$")
_NSF_KINDS = {"domaine_1": ("domaine", 1), "domaine_2": ("sous_domaine", 2), "groupe_3": ("groupe", 3)}


def split_nsf(code: str) -> tuple[str, str | None]:
    """Split an NSF code into its digits and its letter (lower case), without checking the decree.

    >>> split_nsf("332n")
    ('332', 'n')
    >>> split_nsf(" 33 ")
    ('33', None)

    :raises ValueError: when the text is not shaped like an NSF code (1–3 digits, a letter only after 3).
    """
    match = _NSF_SHAPE.match((code or "").strip())
    if not match or (match.group(2) and len(match.group(1)) != 3):
        raise ValueError(f"not an NSF code: {code!r}")
    letter = match.group(2)
    return match.group(1), letter.lower() if letter else None


def nsf_code_is_valid(code: str) -> bool:
    """Whether the decree allows this code: a domain or group it lists, or a group with an allowed letter.

    A lettered code is valid when its group exists and the letter belongs to the group's domain:
    a–g for 1xx, m n p r s t u v w for 2xx and 3xx, z for 4xx.

    >>> nsf_code_is_valid("332n"), nsf_code_is_valid("33"), nsf_code_is_valid("415z")
    (True, True, True)
    >>> nsf_code_is_valid("332b"), nsf_code_is_valid("132v"), nsf_code_is_valid("109")
    (False, False, False)
    """
    try:
        digits, letter = split_nsf(code)
    except ValueError:
        return False
    if len(digits) < 3:
        return digits in NSF_DOMAINS
    if digits not in NSF_GROUPS:
        return False
    return letter is None or letter in NSF_LETTERS[digits[0]]


def read_nsf(folder: Path, root: Path | None = None) -> Loaded:
    """Read the NSF: the decree's 4 domains, 17 sub-domains and 93 groups, its 17 letters, and the
    lettered codes the RNCP used in 2021.

    Scheme ``nsf``: kinds ``domaine`` (``3``), ``sous_domaine`` (``33``, broader ``3``), ``groupe``
    (``332``, broader ``33``, decree label), ``specialite`` (``332n``, broader ``332``, RNCP label).
    Where the RNCP label of a domain or group differs from the decree's, it is an alt label.
    Scheme ``nsf-lettre``: the letters, kind = their type (``fonction``…). A lettered code the decree
    does not allow is still read, as the register uses it, and reported, unless it is one of
    :data:`NSF_KNOWN_OUTSIDE_DECREE` (``132v``).

    :param folder: the ``data/nsf`` folder.
    :param root: the data folder SourceRef paths are relative to; default ``folder``'s parent.
    """
    folder = Path(folder)
    root = Path(root) if root is not None else folder.parent
    loaded = Loaded()
    by_code: dict[str, Concept] = {}
    lines: dict[str, int] = {}

    path = folder / NSF_HIERARCHY_FILE
    hierarchy_source = _open_source(path, root, loaded)
    if hierarchy_source is not None:
        required = ("code", "niveau", "libelle", "parent")
        for line, row in _csv_rows(path, hierarchy_source, loaded.problems, delimiter=";", required=required):
            code, label, parent = row["code"], collapse_spaces(row["libelle"]), row["parent"]
            kind, width = _NSF_KINDS.get(row["niveau"], (None, 0))
            problem = None
            if kind is None:
                problem = f"unknown niveau {row['niveau']!r}"
            elif not re.fullmatch(rf"[0-9]{{{width}}}", code):
                problem = f"code {code!r} is not a {width}-digit {kind}"
            elif not label:
                problem = f"{code} has no libelle"
            elif code in by_code:
                problem = f"duplicate code {code} (first at line {lines[code]})"
            if problem:
                _report(loaded.problems, hierarchy_source, problem, line)
                continue
            broader = [parent] if parent else []
            by_code[code] = Concept("nsf", code, label, kind=kind, broader=broader, source=hierarchy_source)
            lines[code] = line
        loaded.concepts += by_code.values()
        _check_broader(loaded.concepts, lines, hierarchy_source, loaded.problems)

    path = folder / NSF_LETTERS_FILE
    source = _open_source(path, root, loaded)
    if source is not None:
        letters: set[str] = set()
        required = ("lettre", "type", "libelle")
        for line, row in _csv_rows(path, source, loaded.problems, delimiter=";", required=required):
            letter, label = row["lettre"], collapse_spaces(row["libelle"])
            if not re.fullmatch(r"[a-z]", letter) or not label or letter in letters:
                _report(loaded.problems, source, f"bad or duplicate letter row {letter!r}", line)
                continue
            letters.add(letter)
            loaded.concepts.append(Concept("nsf-lettre", letter, label, kind=row["type"] or None, source=source))

    path = folder / NSF_OBSERVED_FILE
    source = _open_source(path, root, loaded)
    if source is not None:
        required = ("code", "libelle_rncp")
        for line, row in _csv_rows(path, source, loaded.problems, delimiter=";", required=required):
            concept = _nsf_observed(row, line, source, by_code, loaded.problems)
            if concept is not None:
                by_code[concept.code] = concept
                loaded.concepts.append(concept)
    return loaded


def _nsf_observed(
    row: dict[str, str], line: int, source: SourceRef, by_code: dict[str, Concept], problems: list[Problem]
) -> Concept | None:
    """A lettered code seen in the RNCP as a new Concept; a plain code's RNCP label goes to its alt labels."""
    code, label = row["code"], collapse_spaces(row["libelle_rncp"])
    try:
        digits, letter = split_nsf(code)
    except ValueError:
        _report(problems, source, f"code {code!r} is not an NSF code", line)
        return None
    if not label:
        _report(problems, source, f"{code} has no libelle_rncp", line)
        return None
    if letter is None:
        known = by_code.get(digits)
        if known is None:
            _report(problems, source, f"{code} is not a domain or group of the decree", line)
        elif label != known.label_fr and label not in known.alt_labels:
            known.alt_labels.append(label)
        return None
    code = digits + letter
    if digits not in by_code:
        _report(problems, source, f"{code}: group {digits} is not in the decree", line)
        return None
    if code in by_code:
        _report(problems, source, f"duplicate code {code}", line)
        return None
    if not nsf_code_is_valid(code) and code not in NSF_KNOWN_OUTSIDE_DECREE:
        allowed = ", ".join(NSF_LETTERS[digits[0]])
        message = f"{code}: the decree allows only {allowed} after group {digits}; read as the register prints it"
        _report(problems, source, message, line, severity="info")
    return Concept("nsf", code, label, kind="specialite", broader=[digits], source=source)


# ---------------------------------------------------------------------------------------------
# Formacode

FORMACODE_CODE = re.compile(r"^[0-9]{5}$")
_FORMACODE_FIELD = re.compile(r"^([0-9]{3}) (.+)$")
# "Encadrement management - 32154": a label, a spaced hyphen, a code (labels may hold hyphens too)
_FORMACODE_REFERENCE = re.compile(r"^(.*?)\s+-\s+([0-9]{5})$")
_FORMACODE_COLUMNS = (
    "Code du Terme",
    "Descripteur en typo riche",
    "Champ sémantique",
    "Synonymes",
    "Synonymes métier",
    "TG (Terme Générique)",
    "TA (Termes Associés)",
    "NE (Note d’Explication)",
    "Code arborescence",
)


def _multi(cell: str) -> list[str]:
    """The values of a ``###``-separated cell, cleaned, empty ones dropped."""
    return [collapse_spaces(value) for value in cell.split("###") if value.strip() and value.strip() != "null"]


def read_formacode(folder: Path, root: Path | None = None) -> Loaded:
    """Read Formacode v14: 2,775 terms, their 14 grands domaines and 65 semantic fields.

    Scheme ``formacode``:

    - kind ``terme``: label = "Descripteur en typo riche", alt labels = synonyms then job synonyms
      ("Synonymes métier"), broader = the TG code, related = the TA codes that are terms of this
      file, note = NE. Self-references are left out, and so are the TA codes of other facets
      (publics 81xxx, 7xxxx, 9xxxx: codes outside every semantic field of this file), which the
      file does not hold; a TA code inside one of its fields that names no term is reported.
      A field's head term (``32154``, code = field + ``54``) has a TG naming a grand domaine by
      label only: its broader is that grand domaine's code (from its arborescence letter).
    - kind ``grand_domaine``: ``00101``…``00114``.

    Scheme ``formacode-champ``: the semantic fields (code ``321``, kind ``champ_semantique``), labelled
    like their head term ("Encadrement management"), the upper-case field name as alt label. A term's
    field is the first three digits of its code (the reader reports any term where this fails), so
    no cross-scheme link is stated here.

    :param folder: the ``data/formacode`` folder.
    :param root: the data folder SourceRef paths are relative to; default ``folder``'s parent.
    """
    folder = Path(folder)
    root = Path(root) if root is not None else folder.parent
    loaded = Loaded()

    # grand domaine by the first letter of its arborescence code ("K0" → 00110)
    domain_by_letter: dict[str, Concept] = {}
    path = folder / FORMACODE_DOMAINS_FILE
    source = _open_source(path, root, loaded)
    if source is not None:
        required = ("Code du Terme", "Descripteur en typo riche", "Code arborescence")
        for line, row in _csv_rows(path, source, loaded.problems, delimiter=";", required=required):
            code, tree = row["Code du Terme"], row["Code arborescence"]
            label = collapse_spaces(row["Descripteur en typo riche"])
            if not FORMACODE_CODE.match(code) or not label or not re.fullmatch(r"[A-Z]0", tree):
                _report(loaded.problems, source, f"bad grand domaine row {code!r} {tree!r}", line)
                continue
            if tree[0] in domain_by_letter:
                _report(loaded.problems, source, f"two grands domaines for letter {tree[0]}", line)
                continue
            domain_by_letter[tree[0]] = Concept("formacode", code, label, kind="grand_domaine", source=source)
        loaded.concepts += domain_by_letter.values()

    path = folder / FORMACODE_TERMS_FILE
    source = _open_source(path, root, loaded)
    if source is None:
        return loaded
    terms: list[Concept] = []
    lines: dict[str, int] = {}
    fields: dict[str, str] = {}
    for line, row in _csv_rows(path, source, loaded.problems, delimiter=";", required=_FORMACODE_COLUMNS):
        term = _formacode_term(row, line, source, domain_by_letter, loaded.problems)
        if term is None:
            continue
        if term.code in lines:
            message = f"duplicate term {term.code} (first at line {lines[term.code]})"
            _report(loaded.problems, source, message, line)
            continue
        lines[term.code] = line
        terms.append(term)
        field = _FORMACODE_FIELD.match(collapse_spaces(row["Champ sémantique"]))
        if field is None:
            _report(loaded.problems, source, f"{term.code}: unreadable Champ sémantique", line)
        else:
            fields.setdefault(field.group(1), field.group(2))
            if field.group(1) != term.code[:3]:
                message = f"{term.code}: field {field.group(1)} is not the code's first three digits"
                _report(loaded.problems, source, message, line)

    known = {term.code for term in terms}
    for term in terms:
        for code in term.related:
            if code not in known and code[:3] in fields:
                message = f"{term.code}: TA {code} names no term of its semantic field {code[:3]}; left out"
                _report(loaded.problems, source, message, lines[term.code])
        term.related = [code for code in term.related if code in known]
    loaded.concepts += terms
    _check_broader(loaded.concepts, lines, source, loaded.problems)

    label_of = {term.code: term.label_fr for term in terms}
    for code, name in fields.items():
        loaded.concepts.append(
            Concept(
                "formacode-champ",
                code,
                label_of.get(code + "54") or name.capitalize(),
                kind="champ_semantique",
                alt_labels=[name],
                source=source,
            )
        )
    return loaded


def _formacode_term(
    row: dict[str, str],
    line: int,
    source: SourceRef,
    domain_by_letter: dict[str, Concept],
    problems: list[Problem],
) -> Concept | None:
    """One Formacode term row as a Concept; None when its code or label is unusable."""
    code, label = row["Code du Terme"], collapse_spaces(row["Descripteur en typo riche"])
    if not FORMACODE_CODE.match(code):
        _report(problems, source, f"Code du Terme {code!r} is not 5 digits", line)
        return None
    if not label:
        _report(problems, source, f"{code} has no Descripteur en typo riche", line)
        return None
    broader = []
    for reference in _multi(row["TG (Terme Générique)"]):
        match = _FORMACODE_REFERENCE.match(reference)
        if match:
            broader.append(match.group(2))
            continue
        # a head term's TG names its grand domaine by label only: the arborescence letter gives the code
        domain = domain_by_letter.get(row["Code arborescence"][:1])
        if domain is None:
            _report(problems, source, f"{code}: TG {reference!r} has no code and no grand domaine", line)
        else:
            if collapse_spaces(reference).casefold() != (domain.label_fr or "").casefold():
                message = f"{code}: TG {reference!r} is not grand domaine {domain.code} {domain.label_fr!r}"
                _report(problems, source, message, line)
            broader.append(domain.code)
    related = []
    for reference in _multi(row["TA (Termes Associés)"]):
        match = _FORMACODE_REFERENCE.match(reference)
        if match and match.group(2) != code and match.group(2) not in related:
            related.append(match.group(2))
    alt_labels: list[str] = []
    for synonym in _multi(row["Synonymes"]) + _multi(row["Synonymes métier"]):
        if synonym not in alt_labels and synonym != label:
            alt_labels.append(synonym)
    return Concept(
        "formacode",
        code,
        label,
        kind="terme",
        broader=broader,
        alt_labels=alt_labels,
        related=related,
        note=row["NE (Note d’Explication)"].strip() or None,
        source=source,
    )
