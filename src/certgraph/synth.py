"""Write a synthetic national register (RNCP + RS) in the real export formats, drawn from the real tables.

:func:`write_synthetic_register` writes ``fiches`` fiches either as the XML export v4.1
(``export-fiches-rncp-v4-1-<date>.xml`` and ``export-fiches-rs-v4-1-<date>.xml``) or as the ten
tables of the CSV export (``export_fiches_CSV_<Table>_<date>.csv``), plus ``defects.json``: the
defects it injected on purpose, one per chosen fiche, so that a reader or validator can be scored.

How it stays close to the real register. Every unit is a *real* one, renumbered:

- a lineage component (chain, merge n→1, split 1→n) of the real Ancienne_Nouvelle table of
  2026-02-01 is copied as a whole, node kinds included, so the shape of lineage is the real one;
  the remaining fiches are real fiches outside any lineage, drawn uniformly, so the RNCP/RS
  proportion is the real one;
- each synthetic fiche takes a real fiche's ROME, NSF and Formacode sets, its certifiers (real
  SIRETs and names, hence real certifier reuse) and its CCN row, as a whole ("profile"); 10% of the
  fiches then get one code replaced by a code drawn from that table's real rows, 5% the certifiers
  of another real fiche;
- title, EQF level, registration type and abbreviation come from the profile's row of the 2021
  extract, or from a 2021 fiche with the same first NSF code when the profile is newer; RS titles
  from Certif Info; blocks (labels, count) are the profile's real blocks of 2024-01-17, or those of a
  fiche with the same NSF code for fiches newer than that table;
- competency lists recombine 478 real statements (XML fixture and seed pages, each one read back
  intact by :mod:`certgraph.sources.competencies`), 3 to 12 per block with the fixture's weights;
  assessment methods (129 real items), free texts, juries, partners come from the XML fixture
  (``data/synth/sample.json``, rebuilt by ``tools/extract_synth_sample.py``).

Proportions measured on the real tables of ``data/`` (:func:`measure_register`), 2026-02-01 export:
29,387 fiches named by the six tables, 15.74% RS; 16,056 (54.64%) in a lineage, in 5,846 components
(3,346 of size 2, 1,479 of size 3, largest 39); 10,313 links: 89.52% one-to-one, 5.68% merge links
(n→1), 3.70% split links (1→n), 1.10% both; 284 merge targets, 213 split sources; 13 links cross
the two registers; 10,308 links are stated at both ends, 5 by the predecessor only. Certifiers:
59.4% of the fiches name one, 2.25 each when they do, 3,403 distinct SIRETs, none empty (the CSV
export drops the certifiers without SIRET that the XML lists: SNVEL of RNCP40344). Per fiche naming
any: 2.77 ROME, 1.55 NSF, 2.20 Formacodes. Blocks (2024-01-17): 5.02 per fiche with blocks, on
97.6% of the RNCP fiches numbered 34000–38550 and 31.9% of all RNCP fiches up to 38550. 2021
extract: EQF 7 37.2%, 6 33.6%, 5 13.5%, 4 9.3%, 3 6.3%, 8 0.1%; 69.7% "Enregistrement de droit";
31.8% of the fiches without a successor active. XML fixture: 45% of the RNCP fiches with a
predecessor and blocks publish block correspondences. A 40,000-fiche register (seed 1) has 54.64%
of its fiches in a lineage, 15.61% RS, links 89.43% one-to-one, 5.51% merge, 3.84% split, 1.22%
both.

Formats. XML: the declaration, two-space indentation and element order of the real fixture
(``element_order`` in the sample), ``&``, ``<``, ``>`` escaped, line breaks and tabs written as
spaces as the export does, dates ``DD/MM/YYYY``. CSV: UTF-8 without BOM, ``;``, every non-empty
value double-quoted (``"`` doubled), empty values bare, CRLF as in every 2026 table (the 2024 Blocs
file was LF); SIRETs behind a TAB, NSF labels ``code : label``, ROME labels with doubled apostrophes
except on domain codes: the labels are written as the 2026 tables publish them. Standard,
VoixdAccès and Partenaires, absent from the 2026 copy, take the headers of the 2024-02-22 zip.

Dates are consistent: effect (or decision) ≤ end; a predecessor ends within four months after its
last successor starts, is inactive and ends before ``issued``; active fiches end after it. Fiche
numbers are ``RNCP100000``… and ``RS100000``… in registration order, far above the real ones
(RNCP41901, RS7490 in 2026); dangling references point to ``RNCP90000``… / ``RS90000``…, which are in
neither. To keep a predecessor registered before its successors, a few get a registration longer
than five years (69 of 40,000 fiches, seed 1). The same seed and arguments give byte-identical files: all draws come from
``random.Random`` seeded per run and per fiche, never from set or hash order.
"""

from __future__ import annotations

import collections
import contextlib
import csv
import datetime as dt
import functools
import json
import random
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from .errors import CertgraphError
from .resources import default_data_dir

__all__ = [
    "CSV_HEADERS",
    "DEFECT_KINDS",
    "FORMATS",
    "LineageShape",
    "RegisterStatistics",
    "SynthError",
    "SynthReport",
    "lineage_shape",
    "measure_register",
    "write_synthetic_register",
]

FORMATS = ("xml", "csv")
DEFECT_KINDS = (
    "missing_siret",
    "unknown_rome",
    "unknown_nsf",
    "unknown_formacode",
    "duplicate_block_code",
    "dangling_predecessor",
    "dangling_successor",
)
"""What an injected defect can be; ``defects.json`` names one of these per entry."""

FIRST_NUMBER = 100_000
DANGLING_FIRST_NUMBER = 90_000
FIRST_ID = 100_000

CSV_HEADERS: dict[str, tuple[str, ...]] = {
    "Standard": (
        "Id_Fiche",
        "Numero_Fiche",
        "Intitule",
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
    "Blocs_De_Compétences": ("Numero_Fiche", "Bloc_Competences_Code", "Bloc_Competences_Libelle"),
    "Rome": ("Numero_Fiche", "Codes_Rome_Code", "Codes_Rome_Libelle"),
    "Nsf": ("Numero_Fiche", "Nsf_Code", "Nsf_Intitule"),
    "Formacode": ("Numero_Fiche", "Formacode_Code", "Formacode_Libelle"),
    "Certificateurs": ("Numero_Fiche", "Siret_Certificateur", "Nom_Certificateur"),
    "Ancienne_Nouvelle_Certification": ("Numero_Fiche", "Ancienne_Certification", "Nouvelle_Certification"),
    "VoixdAccès": ("Numero_Fiche", "Si_Jury"),
    "Partenaires": ("Numero_Fiche", "Nom_Partenaire", "Siret_Partenaire", "Habilitation_Partenaire"),
    "CCN": (
        "Numero_Fiche",
        "Ccn_1_Numero",
        "Ccn_1_Libelle",
        "Ccn_2_Numero",
        "Ccn_2_Libelle",
        "Ccn_3_Numero",
        "Ccn_3_Libelle",
    ),
}
"""The ten tables of the CSV export and their published headers, in the order they are written."""

_EXPORT_2026 = "rncp/hackathon-export-2026-02-01/export_fiches_CSV_{}_2026_02_01.csv"
_BLOCS_2024 = "rncp/rpa-data-collector-export-2024-01-17/export_fiches_CSV_Blocs_De_Compétences_2024_01_17.csv"
_INFO_2021 = "rncp/tables-correspondances-2021/rncp_info.v1.4.csv"
_SAMPLE = "synth/sample.json"

_DROIT = "Enregistrement de droit"
_DEMANDE = "Enregistrement sur demande"
# The blocks reform (loi du 5 septembre 2018) is when fiches started to carry full texts and blocks.
_MODERN = dt.date(2019, 1, 1)
_CODES_PERTURBED = 0.10
_CERTIFIERS_SWAPPED = 0.05
# Access routes: XML element, and the label the CSV VoixdAccès table gives it (same fiches, 2024-02-22).
_ROUTES = (
    ("SI_JURY_FI", "Après un parcours de formation sous statut d’élève ou d’étudiant"),
    ("SI_JURY_CA", "En contrat d’apprentissage"),
    ("SI_JURY_FC", "Après un parcours de formation continue"),
    ("SI_JURY_CQ", "En contrat de professionnalisation"),
    ("SI_JURY_CL", "Par candidature individuelle"),
    ("SI_JURY_VAE", "Par expérience"),
)
_ROUTE_LABEL = dict(_ROUTES)
_CSV_ROUTE_ORDER = ("SI_JURY_VAE", "SI_JURY_CL", "SI_JURY_FI", "SI_JURY_CA", "SI_JURY_CQ", "SI_JURY_FC")
# Injected unknown codes: family, name, and a shape no nomenclature uses (Z9999, 999, 99999).
_UNKNOWN_CODES = {
    "unknown_rome": ("rome", "ROME", "Z9", 3),
    "unknown_nsf": ("nsf", "NSF", "99", 1),
    "unknown_formacode": ("formacode", "Formacode", "99", 3),
}
_XML_CONTROL = re.compile(r"[\x00-\x1f]")


class SynthError(CertgraphError):
    """The register cannot be written: bad arguments, or a real table it draws from is missing."""


# ---------------------------------------------------------------------------------------------
# Statistics of the real register.
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class LineageShape:
    """How predecessor → successor links combine: shares of links by kind, counts of events.

    A link a → b is a *merge* link when b has several predecessors, a *split* link when a has
    several successors; ``one_to_one`` links are neither, ``many_to_many`` both.
    """

    fiches: int
    links: int
    one_to_one: float
    splits_links: float
    merges_links: float
    many_to_many: float
    merges: int
    splits: int


def lineage_shape(links: Iterable[tuple[str, str]]) -> LineageShape:
    """Measure the shape of a set of ``(predecessor, successor)`` links (duplicates count once).

    >>> shape = lineage_shape([("A", "B"), ("B", "C"), ("D", "F"), ("E", "F"), ("B", "C")])
    >>> shape.links, shape.one_to_one, shape.merges_links, shape.merges, shape.splits
    (4, 0.5, 0.5, 1, 0)
    """
    edges = sorted(set(links))
    out_degree = collections.Counter(a for a, _ in edges)
    in_degree = collections.Counter(b for _, b in edges)
    kinds = collections.Counter((out_degree[a] > 1, in_degree[b] > 1) for a, b in edges)
    total = max(1, len(edges))
    return LineageShape(
        fiches=len({n for edge in edges for n in edge}),
        links=len(edges),
        one_to_one=round(kinds[(False, False)] / total, 4),
        splits_links=round(kinds[(True, False)] / total, 4),
        merges_links=round(kinds[(False, True)] / total, 4),
        many_to_many=round(kinds[(True, True)] / total, 4),
        merges=sum(1 for n in in_degree.values() if n > 1),
        splits=sum(1 for n in out_degree.values() if n > 1),
    )


@dataclass(frozen=True)
class RegisterStatistics:
    """What the synthetic register reproduces, measured on the real tables (see :func:`measure_register`)."""

    fiches: int
    rs_share: float
    lineage: LineageShape
    lineage_share: float
    components: int
    component_sizes: dict[int, int]
    cross_register_links: int
    certifier_share: float
    certifiers_per_fiche: float
    distinct_sirets: int
    rome_per_fiche: float
    nsf_per_fiche: float
    formacodes_per_fiche: float
    blocks_per_fiche: float
    block_share_recent: float
    block_share_rncp: float
    levels: dict[int, float]
    droit_share: float
    active_share_without_successor: float

    def summary(self) -> list[str]:
        """The statistics as short lines, for a report."""
        shape = self.lineage
        levels = ", ".join(f"{level}: {share:.1%}" for level, share in sorted(self.levels.items()))
        return [
            f"fiches {self.fiches:,}, RS {self.rs_share:.2%}",
            (
                f"lineage: {shape.fiches:,} fiches ({self.lineage_share:.2%}) in {self.components:,} components, "
                f"{shape.links:,} links: 1→1 {shape.one_to_one:.2%}, 1→n {shape.splits_links:.2%}, "
                f"n→1 {shape.merges_links:.2%}, n→n {shape.many_to_many:.2%}; {shape.merges} merges, "
                f"{shape.splits} splits, {self.cross_register_links} RNCP↔RS links"
            ),
            (
                f"certifiers: {self.certifier_share:.1%} of fiches, {self.certifiers_per_fiche:.2f} each, "
                f"{self.distinct_sirets:,} SIRETs"
            ),
            (
                f"codes per fiche naming any: ROME {self.rome_per_fiche:.2f}, NSF {self.nsf_per_fiche:.2f}, "
                f"Formacode {self.formacodes_per_fiche:.2f}"
            ),
            (
                f"blocks: {self.blocks_per_fiche:.2f} per fiche with blocks; on {self.block_share_recent:.1%} of "
                f"RNCP34000+ and {self.block_share_rncp:.1%} of all RNCP fiches"
            ),
            (
                f"levels (EQF): {levels}; de droit {self.droit_share:.1%}; "
                f"active without successor {self.active_share_without_successor:.1%}"
            ),
        ]


def measure_register(data_dir: Path | None = None) -> RegisterStatistics:
    """Measure the real register in ``data_dir`` (default: the repository's ``data/``).

    :raises SynthError: when one of the real tables is missing.
    """
    return _real(_data_path(data_dir)).statistics


# ---------------------------------------------------------------------------------------------
# The real tables, loaded once per data folder.
# ---------------------------------------------------------------------------------------------


def _data_path(data_dir: Path | None) -> str:
    return str(Path(data_dir if data_dir is not None else default_data_dir()).resolve())


def _rows(path: Path, encoding: str = "utf-8") -> Iterator[list[str]]:
    if not path.is_file():
        raise SynthError(f"real table not found: {path}")
    with open(path, encoding=encoding, newline="") as f:
        reader = csv.reader(f, delimiter=";")
        next(reader, None)
        yield from reader


def _numeric(number: str) -> int:
    return int(number[2:] if number.startswith("RS") else number[4:])


def _kind(number: str) -> str:
    return "RS" if number.startswith("RS") else "RNCP"


@dataclass
class _Profile:
    """What one real fiche states in the 2026 tables."""

    rome: list[str] = field(default_factory=list)
    nsf: list[str] = field(default_factory=list)
    formacode: list[str] = field(default_factory=list)
    certifiers: list[tuple[str, str]] = field(default_factory=list)
    ccn: tuple[str, ...] | None = None


@dataclass(frozen=True)
class _Info:
    """A fiche's row of the 2021 extract: what the 2026 tables lack."""

    title: str
    level: int | None
    droit: bool
    abbreviation: tuple[str, str] | None


@dataclass(frozen=True)
class _Template:
    """A real lineage component: nodes in an order where predecessors come first, links as indices."""

    nodes: tuple[str, ...]
    links: tuple[tuple[int, int], ...]


class _Real:
    """The real tables, indexed for drawing. Every list is in a fixed order (file or sorted)."""

    def __init__(self, data: Path) -> None:
        self.profiles: dict[str, _Profile] = {}
        # Per code: the label as the XML prints it, and as the CSV table publishes it.
        self.labels: dict[str, dict[str, tuple[str, str]]] = {"rome": {}, "nsf": {}, "formacode": {}}
        self.code_rows: dict[str, list[str]] = {"rome": [], "nsf": [], "formacode": []}
        for family, table in (("rome", "Rome"), ("nsf", "Nsf"), ("formacode", "Formacode")):
            labels, rows = self.labels[family], self.code_rows[family]
            for number, code, label, *_ in _rows(data / _EXPORT_2026.format(table)):
                code = code.strip()
                getattr(self.profiles.setdefault(number, _Profile()), family).append(code)
                rows.append(code)
                if code not in labels:
                    labels[code] = (_clean_label(family, code, label), label)
        for number, siret, name, *_ in _rows(data / _EXPORT_2026.format("Certificateurs")):
            self.profiles.setdefault(number, _Profile()).certifiers.append((siret.strip(), name))
        for row in _rows(data / _EXPORT_2026.format("CCN")):
            self.profiles.setdefault(row[0], _Profile()).ccn = tuple(row[1:7])
        links: set[tuple[str, str]] = set()
        listed: set[str] = set()
        for number, old, new, *_ in _rows(data / _EXPORT_2026.format("Ancienne_Nouvelle_Certification")):
            listed.add(number)
            if old.strip():
                links.add((old.strip(), number))
            if new.strip():
                links.add((number, new.strip()))
        self.links = sorted(links)
        self.templates = _templates(self.links)
        in_lineage = {n for template in self.templates for n in template.nodes}
        register = set(self.profiles) | listed | in_lineage
        self.register_size = len(register)
        self.profile_numbers = {
            kind: sorted((n for n in self.profiles if _kind(n) == kind), key=_numeric) for kind in ("RNCP", "RS")
        }
        self.singletons = sorted(
            (n for n in self.profiles if n not in in_lineage), key=lambda n: (_kind(n), _numeric(n))
        )
        self.lineage_share = len(in_lineage) / len(register)

        coded_labels: dict[str, list[tuple[str, str]]] = collections.defaultdict(list)
        for number, code, label, *_ in _rows(data / _BLOCS_2024):
            if label.strip():
                coded_labels[number].append((code, label))
        # Labels as published (trailing spaces, line breaks), in the order of their codes BC01, BC02…
        self.blocks = {number: [label for _, label in sorted(rows)] for number, rows in coded_labels.items()}
        self.block_labels = [label for number in sorted(self.blocks, key=_numeric) for label in self.blocks[number]]
        self.blocks_up_to = max(_numeric(n) for n in self.blocks)

        self.info: dict[str, _Info] = {}
        leaves_active = collections.Counter()  # 2021 status of the fiches without a 2021 successor
        for row in _rows(data / _INFO_2021, encoding="cp1252"):
            number, title, status, level, code, label, successor, kind = (row[i] for i in (0, 1, 3, 5, 6, 7, 9, 10))
            self.info[number] = _Info(
                title=" ".join(title.split()),
                level=int(level[-1]) if level.startswith("niveau") else None,
                droit=kind.strip() == _DROIT,
                abbreviation=(code.strip(), " ".join(label.split())) if code.strip() else None,
            )
            if not successor.strip():
                leaves_active[status.strip() == "ACTIVE"] += 1
        self.active_share = leaves_active[True] / max(1, sum(leaves_active.values()))
        self.info_numbers = sorted(self.info, key=_numeric)
        # A fiche newer than 2021 borrows title and level from a recent (RNCP30000+) 2021 fiche of its domain.
        self.info_by_nsf: dict[str, list[str]] = collections.defaultdict(list)
        self.blocked_by_nsf: dict[str, list[str]] = collections.defaultdict(list)
        for number in self.profile_numbers["RNCP"]:
            profile = self.profiles[number]
            if profile.nsf and number in self.info and _numeric(number) >= 30000:
                self.info_by_nsf[profile.nsf[0]].append(number)
            if profile.nsf and number in self.blocks:
                self.blocked_by_nsf[profile.nsf[0]].append(number)
        self.blocked = sorted(self.blocks, key=_numeric)

        self.sample = json.loads((data / _SAMPLE).read_text(encoding="utf-8"))
        self.rs_titles = {number: title for number, title, _ in self.sample["rs_titles"]}
        self.rs_titles_by_nsf: dict[str, list[str]] = collections.defaultdict(list)
        for _, title, nsf in self.sample["rs_titles"]:
            self.rs_titles_by_nsf[nsf].append(title)
        self.rs_title_list = [title for _, title, _ in self.sample["rs_titles"]]
        self.competencies = [text for _, text in self.sample["competencies"]]
        self.clusters: dict[int, list[int]] = collections.defaultdict(list)
        for i, (cluster, _) in enumerate(self.sample["competencies"]):
            self.clusters[cluster].append(i)
        self.cluster_ids = sorted(self.clusters)
        counts = [(n, w) for n, w in self.sample["competency_counts"] if 3 <= n <= 12]
        self.competency_counts = [n for n, _ in counts]
        self.competency_weights = [w for _, w in counts]
        self.statistics = self._measure(in_lineage)

    def _measure(self, in_lineage: set[str]) -> RegisterStatistics:
        profiles = self.profiles.values()
        with_certifiers = [p for p in profiles if p.certifiers]

        def mean_of(family: str) -> float:
            sizes = [len(getattr(p, family)) for p in profiles if getattr(p, family)]
            return round(sum(sizes) / len(sizes), 2)

        rncp = [n for n in self.profile_numbers["RNCP"] if _numeric(n) <= self.blocks_up_to]
        recent = [n for n in rncp if _numeric(n) >= 34000]
        levels = collections.Counter(i.level for i in self.info.values() if i.level)
        sizes = collections.Counter(len(t.nodes) for t in self.templates)
        return RegisterStatistics(
            fiches=self.register_size,
            rs_share=round(sum(1 for n in self.profiles if _kind(n) == "RS") / len(self.profiles), 4),
            lineage=lineage_shape(self.links),
            lineage_share=round(self.lineage_share, 4),
            components=len(self.templates),
            component_sizes=dict(sorted(sizes.items())),
            cross_register_links=sum(1 for a, b in self.links if _kind(a) != _kind(b)),
            certifier_share=round(len(with_certifiers) / len(self.profiles), 4),
            certifiers_per_fiche=round(sum(len(p.certifiers) for p in with_certifiers) / len(with_certifiers), 2),
            distinct_sirets=len({s for p in with_certifiers for s, _ in p.certifiers}),
            rome_per_fiche=mean_of("rome"),
            nsf_per_fiche=mean_of("nsf"),
            formacodes_per_fiche=mean_of("formacode"),
            blocks_per_fiche=round(sum(len(b) for b in self.blocks.values()) / len(self.blocks), 2),
            block_share_recent=round(sum(1 for n in recent if n in self.blocks) / len(recent), 4),
            block_share_rncp=round(sum(1 for n in rncp if n in self.blocks) / len(rncp), 4),
            levels={level: round(n / sum(levels.values()), 4) for level, n in sorted(levels.items())},
            droit_share=round(sum(1 for i in self.info.values() if i.droit) / len(self.info), 4),
            active_share_without_successor=round(self.active_share, 4),
        )


def _clean_label(family: str, code: str, label: str) -> str:
    """The label as the XML prints it: no ``code : `` prefix (NSF), single apostrophes (ROME)."""
    label = " ".join(label.split())
    if family == "nsf" and label.startswith(code + " : "):
        label = label[len(code) + 3 :]
    return label.replace("''", "'")


def _templates(links: list[tuple[str, str]]) -> list[_Template]:
    """The connected components of the links, each in an order where predecessors come first."""
    parent: dict[str, str] = {}

    def root(n: str) -> str:
        while parent.setdefault(n, n) != n:
            parent[n] = parent[parent[n]]
            n = parent[n]
        return n

    for a, b in links:
        parent[root(a)] = root(b)
    members: dict[str, list[str]] = collections.defaultdict(list)
    for n in sorted(parent, key=lambda n: (_kind(n), _numeric(n))):
        members[root(n)].append(n)
    outgoing: dict[str, list[str]] = collections.defaultdict(list)
    for a, b in links:
        outgoing[a].append(b)
    templates = []
    for nodes in sorted(members.values(), key=lambda ns: (_kind(ns[0]), _numeric(ns[0]))):
        incoming = collections.Counter(b for a in nodes for b in outgoing[a])
        ready = [n for n in nodes if not incoming[n]]
        order: list[str] = []
        while ready:  # Kahn's algorithm, oldest number first
            n = min(ready, key=_numeric)
            ready.remove(n)
            order.append(n)
            for b in outgoing[n]:
                incoming[b] -= 1
                if not incoming[b]:
                    ready.append(b)
        order += [n for n in nodes if n not in order]  # a cycle, if any: its backward links are dropped
        index = {n: i for i, n in enumerate(order)}
        kept = sorted((index[a], index[b]) for a in order for b in outgoing[a] if index[a] < index[b])
        templates.append(_Template(tuple(order), tuple(kept)))
    return templates


@functools.lru_cache(maxsize=4)
def _real(data: str) -> _Real:
    return _Real(Path(data))


# ---------------------------------------------------------------------------------------------
# The plan: every fiche's place in the register (kind, profile, lineage, dates, number, defect).
# ---------------------------------------------------------------------------------------------


@dataclass(eq=False)
class _Node:
    index: int
    kind: str
    profile: str
    preds: list[int] = field(default_factory=list)
    succs: list[int] = field(default_factory=list)
    info: str | None = None  # the 2021 row giving title, level, registration type
    block_source: str | None = None  # the real fiche whose block labels it carries
    n_blocks: int = 0
    droit: bool = False
    duration: int = 5
    start: dt.date = dt.date.min  # decision date ("sur demande") or effect date ("de droit")
    end: dt.date = dt.date.min
    active: bool = False
    number: str = ""
    id: int = 0
    defect: str | None = None
    dangling: str | None = None


def _add_years(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


def _plan(real: _Real, fiches: int, rng: random.Random, issued: dt.date, defect_rate: float) -> list[_Node]:
    nodes: list[_Node] = []
    components: list[list[_Node]] = []
    target = round(fiches * real.lineage_share)
    while target - len(nodes) >= 2:
        template = rng.choice(real.templates)
        if len(template.nodes) > target - len(nodes):
            template = next(
                (t for t in (rng.choice(real.templates) for _ in range(50)) if len(t.nodes) <= target - len(nodes)),
                None,
            )
            if template is None:
                break
        members = [_Node(len(nodes) + i, _kind(n), n) for i, n in enumerate(template.nodes)]
        for a, b in template.links:
            members[a].succs.append(members[b].index)
            members[b].preds.append(members[a].index)
        nodes += members
        components.append(members)
    while len(nodes) < fiches:
        number = rng.choice(real.singletons)
        node = _Node(len(nodes), _kind(number), number)
        nodes.append(node)
        components.append([node])
    for node in nodes:
        if node.profile not in real.profiles:  # a lineage-only number of the real table
            node.profile = rng.choice(real.profile_numbers[node.kind])
        _describe(real, node, rng)
    for members in components:
        _date(real, members, nodes, rng, issued)
    for kind in ("RNCP", "RS"):
        ordered = sorted((n for n in nodes if n.kind == kind), key=lambda n: (n.start, n.index))
        for k, node in enumerate(ordered):
            node.number = f"{kind}{FIRST_NUMBER + k}"
    for k, node in enumerate(sorted(nodes, key=lambda n: (n.start, n.index))):
        node.id = FIRST_ID + k
    _choose_defects(real, nodes, rng, defect_rate)
    return nodes


def _describe(real: _Real, node: _Node, rng: random.Random) -> None:
    """Choose the 2021 row (title, level, type) and the real blocks a fiche carries."""
    profile = real.profiles[node.profile]
    nsf = profile.nsf[0] if profile.nsf else None
    if node.kind == "RS":
        node.droit = rng.random() < real.sample["shares"]["RS"]["droit"]
        return
    if node.profile in real.info:
        node.info = node.profile
    else:
        node.info = rng.choice(real.info_by_nsf.get(nsf) or real.info_numbers)
    node.droit = real.info[node.info].droit
    if node.profile in real.blocks:
        node.block_source = node.profile
    elif _numeric(node.profile) > real.blocks_up_to and rng.random() < real.statistics.block_share_recent:
        node.block_source = rng.choice(real.blocked_by_nsf.get(nsf) or real.blocked)
    node.n_blocks = len(real.blocks[node.block_source]) if node.block_source else 0


def _date(real: _Real, members: list[_Node], nodes: list[_Node], rng: random.Random, issued: dt.date) -> None:
    """Registration periods, newest first: a predecessor ends when its successors have started.

    The successors of one split start within months of each other (a fiche without successors
    follows the first dated sibling); a predecessor ends up to four months after its last successor
    starts, and starts before the first one (its registration lasts longer when needed).
    """
    durations = real.sample["durations"]
    yesterday = issued - dt.timedelta(days=1)
    for node in reversed(members):
        node.duration = rng.choice(durations["droit"] if node.droit else durations["demande"])
        sibling = next((nodes[s] for p in node.preds for s in nodes[p].succs if nodes[s].start != dt.date.min), None)
        if node.succs:
            starts = [nodes[s].start for s in node.succs]
            node.end = min(max(starts) + dt.timedelta(days=rng.randint(0, 120)), yesterday)
            node.start = _add_years(node.end, -node.duration)
            while node.start >= min(starts):
                node.duration += 1
                node.start = _add_years(node.end, -node.duration)
        elif sibling is not None:
            node.start = min(sibling.start + dt.timedelta(days=rng.randint(-180, 180)), yesterday)
            node.end = _add_years(node.start, node.duration)
            node.active = node.end > issued
        elif rng.random() < real.active_share:
            node.active = True
            node.start = issued - dt.timedelta(days=rng.randint(1, 365 * node.duration - 1))
            node.end = _add_years(node.start, node.duration)
        else:
            node.end = issued - dt.timedelta(days=rng.randint(1, 15 * 365))
            node.start = _add_years(node.end, -node.duration)


def _choose_defects(real: _Real, nodes: list[_Node], rng: random.Random, defect_rate: float) -> None:
    dangling = collections.Counter()
    for index in sorted(rng.sample(range(len(nodes)), round(defect_rate * len(nodes)))):
        node = nodes[index]
        eligible = [
            kind
            for kind in DEFECT_KINDS
            if not (kind == "missing_siret" and not real.profiles[node.profile].certifiers)
            and not (kind == "unknown_rome" and node.kind == "RS")
            and not (kind == "duplicate_block_code" and not node.n_blocks)
        ]
        node.defect = rng.choice(eligible)
        if node.defect.startswith("dangling"):
            node.dangling = f"{node.kind}{DANGLING_FIRST_NUMBER + dangling[node.kind]}"
            dangling[node.kind] += 1


# ---------------------------------------------------------------------------------------------
# One fiche's content, drawn with its own generator so both formats state the same register.
# ---------------------------------------------------------------------------------------------


@dataclass
class _Fiche:
    kind: str
    number: str
    id: int
    title: str
    abbreviation: tuple[str, str] | None
    level: int | None
    status: str
    formacodes: list[tuple[str, str | None, str | None]]  # code, label in the XML, label in the CSV
    nsf: list[tuple[str, str | None, str | None]]
    rome: list[tuple[str, str | None, str | None]]
    certifiers: list[tuple[str | None, str, str, dt.date | None]]
    partners: list[tuple[str, str, str, dt.date | None, dt.date]]
    texts: dict[str, str]
    juries: list[tuple[str, bool, str | None]]
    accessible: str
    publications: list[tuple[str, str, dt.date]]
    last_jo: dt.date | None
    decision: dt.date | None
    duration: int | None
    effect: dt.date | None
    end: dt.date
    published: dt.date | None
    deadline: dt.date | None
    statistics: list[tuple[int, ...]]
    droit: bool
    active: bool
    blocks: list[tuple[str, str, list[str], str]]
    correspondences: list[tuple[str, str, str]]
    predecessors: list[str]
    successors: list[str]
    ccn: tuple[str, ...] | None
    defects: list[dict[str, str]]


def _statements(real: _Real, rng: random.Random, count: int, home: list[int]) -> list[str]:
    """``count`` real statements, mostly from the fiche's home source so that a list reads as one trade."""
    picked = rng.sample(home, min(len(home), count - count // 4))
    while len(picked) < count:
        i = rng.randrange(len(real.competencies))
        if i not in picked:
            picked.append(i)
    return [real.competencies[i] for i in picked]


def _codes(real: _Real, family: str, codes: list[str]) -> list[tuple[str, str | None, str | None]]:
    labels = real.labels[family]
    return [(code, *labels[code]) for code in codes]


def _content(real: _Real, node: _Node, nodes: list[_Node], seed: int, issued: dt.date) -> _Fiche:
    rng = random.Random(f"{seed}/{node.index}")
    sample = real.sample
    kind, number = node.kind, node.number
    profile = real.profiles[node.profile]
    texts_pool = sample["texts"][kind]
    presence = sample["presence"][kind]
    defects: list[dict[str, str]] = []

    def defect(value: str, detail: str) -> None:
        defects.append({"fiche": number, "kind": node.defect or "", "value": value, "detail": detail})

    families = {
        "rome": list(profile.rome) if kind == "RNCP" else [],
        "nsf": list(profile.nsf),
        "formacode": list(profile.formacode),
    }
    if rng.random() < _CODES_PERTURBED:
        family = rng.choice(("rome", "nsf", "formacode") if kind == "RNCP" else ("nsf", "formacode"))
        code = rng.choice(real.code_rows[family])
        if code not in families[family]:
            if families[family]:
                families[family][rng.randrange(len(families[family]))] = code
            else:
                families[family].append(code)
    coded = {family: _codes(real, family, codes) for family, codes in families.items()}
    if node.defect in _UNKNOWN_CODES:
        family, name, prefix, digits = _UNKNOWN_CODES[node.defect]
        code = prefix + str(rng.randrange(10**digits)).zfill(digits)
        coded[family].insert(rng.randint(0, len(coded[family])), (code, None, None))
        defect(code, f"{name} code {code} is in no nomenclature")

    certifiers_of = profile.certifiers
    if node.defect != "missing_siret" and rng.random() < _CERTIFIERS_SWAPPED:
        certifiers_of = real.profiles[rng.choice(real.profile_numbers[kind])].certifiers
    active_share = sample["shares"][kind]["certifier_active"]
    certifiers = [
        (siret, name, "Actif" if rng.random() < active_share else "Inactif", node.start if rng.random() < 0.9 else None)
        for siret, name in certifiers_of
    ]
    if node.defect == "missing_siret":
        k = rng.randrange(len(certifiers))
        certifiers[k] = (None,) + certifiers[k][1:]
        defect(certifiers[k][1], f"certifier {certifiers[k][1]} has no SIRET")

    home = real.clusters[rng.choice(real.cluster_ids)]
    blocks: list[tuple[str, str, list[str], str]] = []
    for k, label in enumerate(real.blocks[node.block_source] if node.block_source else (), start=1):
        count = rng.choices(real.competency_counts, real.competency_weights)[0]
        assessment = "    ".join(rng.sample(sample["assessments"], rng.randint(1, 3)))
        blocks.append((f"{number}BC{k:02d}", label, _statements(real, rng, count, home), assessment))
    if node.defect == "duplicate_block_code":
        code = rng.choice(blocks)[0]
        count = rng.choices(real.competency_counts, real.competency_weights)[0]
        blocks.append(
            (
                code,
                rng.choice(real.block_labels),
                _statements(real, rng, count, home),
                rng.choice(sample["assessments"]),
            )
        )
        defect(code, f"block code {code} is used twice")

    modern = node.start >= _MODERN
    separator = rng.choice(("    ", "       "))
    texts: dict[str, str] = {}
    if kind == "RNCP":
        texts["ACTIVITES_VISEES"] = (
            rng.choice(texts_pool["ACTIVITES_VISEES"])
            if modern
            else separator.join(_statements(real, rng, rng.randint(2, 4), home))
        )
    if blocks:
        capacities = [s for block in blocks for s in block[2]][:10]
    else:
        capacities = _statements(real, rng, rng.choices(real.competency_counts, real.competency_weights)[0], home)
    texts["CAPACITES_ATTESTEES"] = separator.join(capacities)
    if kind == "RNCP" and modern:
        texts["SECTEURS_ACTIVITE"] = rng.choice(texts_pool["SECTEURS_ACTIVITE"])
        texts["TYPE_EMPLOI_ACCESSIBLES"] = rng.choice(texts_pool["TYPE_EMPLOI_ACCESSIBLES"])
    for tag in (
        "REGLEMENTATIONS_ACTIVITES",
        "OBJECTIFS_CONTEXTE",
        "PREREQUIS_ENTREE_FORMATION",
        "PREREQUIS_VALIDATION_CERTIFICATION",
        "LIEN_URL_DESCRIPTION",
        "NIVEAU_MAITRISE_COMPETENCES",
    ):
        if texts_pool.get(tag) and (modern or kind == "RS") and rng.random() < presence.get(tag, 0):
            texts[tag] = rng.choice(texts_pool[tag])

    composition = rng.choice(texts_pool["COMPOSITION"])
    open_share = sample["jury_open"][kind]
    juries = []
    for route, _ in _ROUTES:
        if route in open_share:
            is_open = rng.random() < open_share[route]
            juries.append((route, is_open, composition if is_open and modern else None))

    partners = []
    if node.active and rng.random() < presence.get("PARTENAIRES", 0):
        for name, siret, habilitation in rng.sample(sample["partners"], min(60, 1 + int(rng.expovariate(1 / 6)))):
            since = min(node.start + dt.timedelta(days=rng.randint(0, 400)), issued)
            partners.append((name, siret, habilitation, since if rng.random() < 0.7 else None, since))

    publications = []
    if node.droit:
        for tag in ("PUBLICATION_DECRET_GENERAL", "PUBLICATION_DECRET_CREATION", "PUBLICATION_DECRET_AUTRE"):
            if rng.random() < presence.get(tag, 0):
                titles = texts_pool["TITRE"]
                publications.append((tag, rng.choice(titles), node.start - dt.timedelta(days=rng.randint(30, 400))))

    statistics = []
    if node.start.year <= issued.year - 2 and rng.random() < presence.get("STATISTIQUES_PROMOTIONS", 0):
        last = min(node.end.year, issued.year - 1)
        for year in range(max(node.start.year + 1, last - 2), last + 1):
            certified = int(rng.lognormvariate(3.3, 1.2)) + 1
            if kind == "RS":
                statistics.append((year, certified))
            else:
                row = [year, certified, rng.randint(0, certified // 4)]
                if rng.random() < 0.7:
                    row.append(rng.randint(50, 100))
                    if rng.random() < 0.6:
                        row.append(rng.randint(40, 100))
                statistics.append(tuple(row))

    correspondences = []
    if blocks and rng.random() < sample["shares"][kind]["correspondences"]:
        for p in node.preds:
            pred = nodes[p]
            for k in range(1, min(node.n_blocks, pred.n_blocks) + 1):
                correspondences.append((f"{number}BC{k:02d}", pred.number, f"{pred.number}BC{k:02d}"))
        rng.shuffle(correspondences)

    predecessors = [nodes[p].number for p in node.preds]
    successors = [nodes[s].number for s in node.succs]
    if node.defect == "dangling_predecessor":
        predecessors.append(node.dangling or "")
        defect(node.dangling or "", f"predecessor {node.dangling} is not in the register")
    elif node.defect == "dangling_successor":
        successors.append(node.dangling or "")
        defect(node.dangling or "", f"successor {node.dangling} is not in the register")

    if kind == "RNCP":
        info = real.info[node.info or ""]
        title, level, abbreviation = info.title, info.level, info.abbreviation if node.droit else None
    else:
        nsf3 = profile.nsf[0][:3] if profile.nsf else ""
        title = real.rs_titles.get(node.profile) or rng.choice(real.rs_titles_by_nsf.get(nsf3) or real.rs_title_list)
        level, abbreviation = None, None
    demande = not node.droit
    deadline = None
    if node.start.year >= 2023 and (demande or kind == "RNCP"):
        deadline = node.end + dt.timedelta(days=182) if kind == "RS" else _add_years(node.end, 4 if demande else 5)
    return _Fiche(
        kind=kind,
        number=number,
        id=node.id,
        title=title,
        abbreviation=abbreviation,
        level=level,
        status="Publiée" if rng.random() < 0.9995 else "Modifications à valider par le ministère",
        formacodes=coded["formacode"],
        nsf=coded["nsf"],
        rome=coded["rome"],
        certifiers=certifiers,
        partners=partners,
        texts=texts,
        juries=juries,
        accessible="Oui" if rng.random() < sample["shares"][kind]["accessible"] else "Non",
        publications=publications,
        last_jo=node.start - dt.timedelta(days=rng.randint(365, 3000)) if demande and rng.random() < 0.2 else None,
        decision=node.start if demande else None,
        duration=node.duration if demande else None,
        effect=node.start if node.droit else None,
        end=node.end,
        published=node.start - dt.timedelta(days=rng.randint(20, 150)) if node.droit else None,
        deadline=deadline,
        statistics=statistics,
        droit=node.droit,
        active=node.active,
        blocks=blocks,
        correspondences=correspondences,
        predecessors=predecessors,
        successors=successors,
        ccn=profile.ccn,
        defects=defects,
    )


# ---------------------------------------------------------------------------------------------
# Writers.
# ---------------------------------------------------------------------------------------------


def _dmy(day: dt.date | None) -> str:
    return f"{day.day:02d}/{day.month:02d}/{day.year}" if day else ""


def _x(text: str) -> str:
    """Escape character data; line breaks and tabs become spaces, as in the real export.

    >>> _x("R&D <web>\\n\\tEtude\\x0b")
    'R&amp;D &lt;web&gt;  Etude'
    """
    # str.replace scans in C: several times faster than str.translate with a mapping.
    if "&" in text:
        text = text.replace("&", "&amp;")
    if "<" in text:
        text = text.replace("<", "&lt;")
    if ">" in text:
        text = text.replace(">", "&gt;")
    if _XML_CONTROL.search(text):
        text = _XML_CONTROL.sub(lambda m: " " if m.group() in "\t\n\r" else "", text)
    return text


def _fiche_xml(f: _Fiche) -> str:
    """One ``<FICHE>``, children in the order of the real export (see ``sample.json`` element_order)."""
    out: list[str] = ["  <FICHE>\n"]
    w = out.append

    def leaf(tag: str, value: object, indent: str = "    ") -> None:
        if value is not None and value != "":
            w(f"{indent}<{tag}>{_x(str(value))}</{tag}>\n")

    def coded(group: str, item: str, codes: list[tuple[str, str | None, str | None]]) -> None:
        if codes:
            w(f"    <{group}>\n")
            for code, label, _ in codes:
                w(f"      <{item}>\n        <CODE>{_x(code)}</CODE>\n")
                leaf("LIBELLE", label, "        ")
                w(f"      </{item}>\n")
            w(f"    </{group}>\n")

    def links(group: str, item: str, child: str, numbers: list[str]) -> None:
        if numbers:
            w(f"    <{group}>\n")
            for n in numbers:
                w(f"      <{item}>\n        <{child}>{n}</{child}>\n      </{item}>\n")
            w(f"    </{group}>\n")

    rncp = f.kind == "RNCP"
    leaf("ID_FICHE", f.id)
    leaf("NUMERO_FICHE", f.number)
    links("NOUVELLES_CERTIFICATIONS", "NOUVELLE_CERTIFICATION", "ID_FICHE_NOUVELLE_CERTIFICATION", f.successors)
    links("ANCIENNES_CERTIFICATIONS", "ANCIENNE_CERTIFICATION", "ID_FICHE_ANCIENNE_CERTIFICATION", f.predecessors)
    leaf("INTITULE", f.title)
    if f.abbreviation:
        w(
            f"    <ABREGE>\n      <CODE>{_x(f.abbreviation[0])}</CODE>\n      <LIBELLE>{_x(f.abbreviation[1])}</LIBELLE>\n    </ABREGE>\n"
        )
    leaf("ETAT_FICHE", f.status)
    coded("FORMACODES", "FORMACODE", f.formacodes)
    if f.level:
        w(
            f"    <NOMENCLATURE_EUROPE>\n      <NIVEAU>NIV{f.level}</NIVEAU>\n      <LIBELLE>Niveau {f.level}</LIBELLE>\n    </NOMENCLATURE_EUROPE>\n"
        )
    coded("CODES_NSF", "NSF", f.nsf)
    if f.certifiers:
        w("    <CERTIFICATEURS>\n")
        for siret, name, state, changed in f.certifiers:
            w("      <CERTIFICATEUR>\n")
            leaf("SIRET_CERTIFICATEUR", siret, "        ")
            leaf("NOM_CERTIFICATEUR", name, "        ")
            leaf("ETAT_CERTIFICATEUR", state, "        ")
            leaf("DATE_DERNIERE_MODIFICATION_ETAT", _dmy(changed), "        ")
            w("      </CERTIFICATEUR>\n")
        w("    </CERTIFICATEURS>\n")
    leaf("EXISTENCE_PARTENAIRES", "Oui" if f.partners else "Non")
    if f.partners:
        w("    <PARTENAIRES>\n")
        for name, siret, habilitation, since, changed in f.partners:
            w(f"      <PARTENAIRE>\n        <NOM_PARTENAIRE>{_x(name)}</NOM_PARTENAIRE>\n")
            w(f"        <SIRET_PARTENAIRE>{siret}</SIRET_PARTENAIRE>\n")
            w(f"        <HABILITATION_PARTENAIRE>{habilitation}</HABILITATION_PARTENAIRE>\n")
            w("        <ETAT_HABILITATION>Actif</ETAT_HABILITATION>\n")
            leaf("DATE_ACTIF", _dmy(since), "        ")
            leaf("DATE_DERNIERE_MODIFICATION_ETAT", _dmy(changed), "        ")
            w("      </PARTENAIRE>\n")
        w("    </PARTENAIRES>\n")
    for tag in ("ACTIVITES_VISEES", "CAPACITES_ATTESTEES", "SECTEURS_ACTIVITE", "TYPE_EMPLOI_ACCESSIBLES"):
        leaf(tag, f.texts.get(tag))
    coded("CODES_ROME", "ROME", f.rome)
    leaf("REGLEMENTATIONS_ACTIVITES", f.texts.get("REGLEMENTATIONS_ACTIVITES"))
    for route, is_open, composition in f.juries:
        w(f"    <{route}>\n      <ACTIF>{'Oui' if is_open else 'Non'}</ACTIF>\n")
        leaf("COMPOSITION", composition, "      ")
        w(f"    </{route}>\n")
    if rncp:
        leaf("ACCESSIBLE_NOUVELLE_CALEDONIE", f.accessible)
        leaf("ACCESSIBLE_POLYNESIE_FRANCAISE", f.accessible)
    for tag, title, day in f.publications:
        w(f"    <{tag}>\n      <PUBLICATION_JO>\n        <TITRE>{_x(title)}</TITRE>\n")
        w(f"        <DATE_PUBLICATION_JO>{_dmy(day)}</DATE_PUBLICATION_JO>\n      </PUBLICATION_JO>\n    </{tag}>\n")
    leaf("DATE_DERNIER_JO", _dmy(f.last_jo))
    leaf("DATE_DECISION", _dmy(f.decision))
    leaf("DUREE_ENREGISTREMENT", f.duration)
    if f.statistics:
        w("    <STATISTIQUES_PROMOTIONS>\n")
        names = (
            "ANNEE",
            "NOMBRE_CERTIFIES",
            "NOMBRE_CERTIFIES_VAE",
            "TAUX_INSERTION_GLOBAL_6MOIS",
            "TAUX_INSERTION_METIER_2ANS",
        )
        for row in f.statistics:
            w("      <STATISTIQUES_PROMOTION>\n")
            for name, value in zip(names, row):
                w(f"        <{name}>{value}</{name}>\n")
            w("      </STATISTIQUES_PROMOTION>\n")
        w("    </STATISTIQUES_PROMOTIONS>\n")
    leaf("LIEN_URL_DESCRIPTION", f.texts.get("LIEN_URL_DESCRIPTION"))
    leaf("DATE_FIN_ENREGISTREMENT", _dmy(f.end))
    leaf("DATE_EFFET", _dmy(f.effect))
    leaf("TYPE_ENREGISTREMENT", _DROIT if f.droit else _DEMANDE)
    if f.blocks:
        w("    <BLOCS_COMPETENCES>\n")
        separator = "    "
        for code, label, competencies, assessment in f.blocks:
            w(f"      <BLOC_COMPETENCES>\n        <CODE>{code}</CODE>\n")
            leaf("LIBELLE", label.strip(), "        ")
            leaf("LISTE_COMPETENCES", separator.join(competencies), "        ")
            leaf("MODALITES_EVALUATION", assessment, "        ")
            w("      </BLOC_COMPETENCES>\n")
        w("    </BLOCS_COMPETENCES>\n")
    leaf("OBJECTIFS_CONTEXTE", f.texts.get("OBJECTIFS_CONTEXTE"))
    if not rncp:
        leaf("NIVEAU_MAITRISE_COMPETENCES", f.texts.get("NIVEAU_MAITRISE_COMPETENCES"))
        leaf("VALIDATION_PARTIELLE", "Non")
    leaf("ACTIF", "Oui" if f.active else "Non")
    leaf("PREREQUIS_ENTREE_FORMATION", f.texts.get("PREREQUIS_ENTREE_FORMATION"))
    leaf("PREREQUIS_VALIDATION_CERTIFICATION", f.texts.get("PREREQUIS_VALIDATION_CERTIFICATION"))
    leaf("DATE_DE_PUBLICATION", _dmy(f.published))
    leaf("DATE_LIMITE_DELIVRANCE", _dmy(f.deadline))
    if f.correspondences:
        w("    <CORRESPONDANCES>\n")
        for source, other, destination in f.correspondences:
            w(
                f"      <CORRESPONDANCE>\n        <SOURCE>\n          <BLOC_COMPETENCES>\n            <CODE>{source}</CODE>\n"
            )
            w(
                f"          </BLOC_COMPETENCES>\n        </SOURCE>\n        <DESTINATION>\n          <NUMERO_FICHE>{other}</NUMERO_FICHE>\n"
            )
            w(f"          <BLOC_COMPETENCES>\n            <CODE>{destination}</CODE>\n          </BLOC_COMPETENCES>\n")
            w("        </DESTINATION>\n      </CORRESPONDANCE>\n")
        w("    </CORRESPONDANCES>\n")
    w("  </FICHE>\n")
    return "".join(out)


def _csv_line(values: Iterable[str | None]) -> str:
    """A record as the export writes it: non-empty values double-quoted, ``;``, CRLF.

    >>> _csv_line(["RNCP1", None, 'I P L "ISEFAC" PARIS'])
    '"RNCP1";;"I P L ""ISEFAC"" PARIS"\\r\\n'
    """
    return ";".join('"' + v.replace('"', '""') + '"' if v else "" for v in values) + "\r\n"


def _lineage_rows(predecessors: list[str], successors: list[str]) -> list[tuple[str, str]]:
    """Rows of Ancienne_Nouvelle for one fiche: one link per row, a lone other side repeated.

    This is the layout of 16,050 of the 16,051 fiches of the real table of 2026-02-01.

    >>> _lineage_rows(["RNCP1"], ["RNCP3", "RNCP4"])
    [('RNCP1', 'RNCP3'), ('RNCP1', 'RNCP4')]
    >>> _lineage_rows([], ["RNCP3", "RNCP4"])
    [('', 'RNCP3'), ('', 'RNCP4')]
    """
    rows = []
    for i in range(max(len(predecessors), len(successors))):
        old = predecessors[i] if i < len(predecessors) else (predecessors[0] if len(predecessors) == 1 else "")
        new = successors[i] if i < len(successors) else (successors[0] if len(successors) == 1 else "")
        rows.append((old, new))
    return rows


def _csv_rows(f: _Fiche) -> Iterator[tuple[str, list[str | None]]]:
    """``(table, row)`` for every row the fiche gives the ten tables."""
    number = f.number
    yield (
        "Standard",
        [
            str(f.id),
            number,
            f.title,
            f.abbreviation[0] if f.abbreviation else None,
            f.abbreviation[1] if f.abbreviation else None,
            f"NIV{f.level}" if f.level else None,
            f"Niveau {f.level}" if f.level else None,
            f.accessible,
            f.accessible,
            _dmy(f.last_jo),
            _dmy(f.decision),
            _dmy(f.end),
            _dmy(f.effect),
            _DROIT if f.droit else _DEMANDE,
            "Non" if f.kind == "RS" else None,
            "ACTIVE" if f.active else "INACTIVE",
        ],
    )
    for code, label, _, _ in f.blocks:
        yield "Blocs_De_Compétences", [number, code, label]
    # The published labels, quirks included (NSF "code : label", ROME doubled apostrophes).
    for code, _, label in f.rome:
        yield "Rome", [number, code, label]
    for code, _, label in f.nsf:
        yield "Nsf", [number, code, label]
    for code, _, label in f.formacodes:
        yield "Formacode", [number, code, label]
    for siret, name, _, _ in f.certifiers:
        yield "Certificateurs", [number, "\t" + siret if siret else None, name]
    for old, new in _lineage_rows(f.predecessors, f.successors):
        yield "Ancienne_Nouvelle_Certification", [number, old, new]
    open_routes = {route for route, is_open, _ in f.juries if is_open}
    for route in _CSV_ROUTE_ORDER:
        if route in open_routes:
            yield "VoixdAccès", [number, _ROUTE_LABEL[route]]
    for name, siret, habilitation, _, _ in f.partners:
        yield "Partenaires", [number, name, "\t" + siret, habilitation]
    if f.ccn:
        yield "CCN", [number, *f.ccn]


# ---------------------------------------------------------------------------------------------
# The library function.
# ---------------------------------------------------------------------------------------------


@dataclass
class SynthReport:
    """What :func:`write_synthetic_register` wrote, and the real statistics it drew from."""

    files: list[Path]
    fiches_rncp: int
    fiches_rs: int
    blocks: int
    competencies: int
    lineage_links: int
    correspondences: int
    defects: dict[str, int]
    statistics: RegisterStatistics

    @property
    def fiches(self) -> int:
        return self.fiches_rncp + self.fiches_rs

    def summary(self) -> list[str]:
        """The counts as short lines, for a report."""
        defects = ", ".join(f"{kind} {n}" for kind, n in self.defects.items() if n) or "none"
        return [
            f"fiches {self.fiches:,}: RNCP {self.fiches_rncp:,}, RS {self.fiches_rs:,}",
            f"blocks {self.blocks:,}, competencies {self.competencies:,}, correspondences {self.correspondences:,}",
            f"lineage links {self.lineage_links:,}",
            f"defects {sum(self.defects.values()):,}: {defects}",
            *(f"wrote {path}" for path in self.files),
        ]


def write_synthetic_register(
    out_dir: Path | str,
    fiches: int = 40_000,
    seed: int = 1,
    fmt: str = "xml",
    defect_rate: float = 0.01,
    issued: dt.date = dt.date(2026, 2, 1),
    data_dir: Path | None = None,
) -> SynthReport:
    """Write a synthetic RNCP + RS register of ``fiches`` fiches to ``out_dir``, and ``defects.json``.

    :param fmt: ``xml`` (the two files of the XML export v4.1) or ``csv`` (the ten tables).
    :param defect_rate: share of fiches given exactly one injected defect (see :data:`DEFECT_KINDS`);
        ``defects.json`` lists them as ``{fiche, kind, value, detail}`` in file order, ``value``
        being the offending code, number, or certifier name.
    :param issued: the export date: in the file names, and the "today" of the fiches' status.
    :param data_dir: the folder holding the real tables (default: the repository's ``data/``).
    :raises SynthError: on a bad argument or a missing real table.
    """
    if fmt not in FORMATS:
        raise SynthError(f"format {fmt!r} is not one of {', '.join(FORMATS)}")
    if not isinstance(fiches, int) or fiches < 1:
        raise SynthError(f"fiches must be a positive integer, not {fiches!r}")
    if not 0 <= defect_rate <= 1:
        raise SynthError(f"defect rate {defect_rate!r} is not between 0 and 1")
    real = _real(_data_path(data_dir))
    nodes = _plan(real, fiches, random.Random(seed), issued, defect_rate)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    counts = collections.Counter()
    defects: list[dict[str, str]] = []

    def contents(kind: str) -> Iterator[_Fiche]:
        for node in sorted((n for n in nodes if n.kind == kind), key=lambda n: _numeric(n.number)):
            fiche = _content(real, node, nodes, seed, issued)
            counts["blocks"] += len(fiche.blocks)
            counts["competencies"] += sum(len(block[2]) for block in fiche.blocks)
            counts["correspondences"] += len(fiche.correspondences)
            defects.extend(fiche.defects)
            yield fiche

    files = _write_xml(out, issued, contents) if fmt == "xml" else _write_csv(out, issued, contents)
    defects_path = out / "defects.json"
    defects_path.write_text(json.dumps(defects, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    by_kind = collections.Counter(d["kind"] for d in defects)
    return SynthReport(
        files=[*files, defects_path],
        fiches_rncp=sum(1 for n in nodes if n.kind == "RNCP"),
        fiches_rs=sum(1 for n in nodes if n.kind == "RS"),
        blocks=counts["blocks"],
        competencies=counts["competencies"],
        lineage_links=sum(len(n.succs) for n in nodes),
        correspondences=counts["correspondences"],
        defects={kind: by_kind[kind] for kind in DEFECT_KINDS},
        statistics=real.statistics,
    )


def _write_xml(out: Path, issued: dt.date, contents) -> list[Path]:
    files = []
    for kind in ("RNCP", "RS"):
        path = out / f"export-fiches-{kind.lower()}-v4-1-{issued.isoformat()}.xml"
        with open(path, "w", encoding="utf-8", newline="\n") as f:
            f.write(
                '<?xml version="1.0" encoding="UTF-8" standalone="no"?>\n<FICHES>\n  <VERSION_FLUX>4.1</VERSION_FLUX>\n'
            )
            f.writelines(_fiche_xml(fiche) for fiche in contents(kind))
            f.write("</FICHES>\n")
        files.append(path)
    return files


def _write_csv(out: Path, issued: dt.date, contents) -> list[Path]:
    paths = {table: out / f"export_fiches_CSV_{table}_{issued:%Y_%m_%d}.csv" for table in CSV_HEADERS}
    with contextlib.ExitStack() as stack:  # the ten tables fill in one pass over the fiches
        handles = {
            table: stack.enter_context(open(path, "w", encoding="utf-8", newline="")) for table, path in paths.items()
        }
        for table, handle in handles.items():
            handle.write(_csv_line(CSV_HEADERS[table]))
        for kind in ("RNCP", "RS"):
            for fiche in contents(kind):
                for table, row in _csv_rows(fiche):
                    handles[table].write(_csv_line(row))
    return list(paths.values())
