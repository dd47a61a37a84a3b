"""Measure the real register the synthetic one is drawn from: its tables, indexed, and their statistics.

The real tables are the 2026-02-01 CSV export, the 2024-01-17 blocks table and the 2021 extract of
``data/``, plus ``data/synth/sample.json`` (the texts the CSV tables lack, see
``tools/extract_synth_sample.py``); they are loaded once per data folder.
"""

from __future__ import annotations

import collections
import csv
import datetime as dt
import functools
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import CertgraphError
from ..records import FICHE_NUMBER
from ..resources import default_data_dir
from ..sources.fc_schema import DE_DROIT, csv_file_name

_EXPORT_2026 = "rncp/hackathon-export-2026-02-01"
_BLOCS_2024 = "rncp/rpa-data-collector-export-2024-01-17/" + csv_file_name("Blocs_De_Compétences", dt.date(2024, 1, 17))
_INFO_2021 = "rncp/tables-correspondances-2021/rncp_info.v1.4.csv"
_SAMPLE = "synth/sample.json"


def _export_2026(table: str) -> str:
    return f"{_EXPORT_2026}/{csv_file_name(table, dt.date(2026, 2, 1))}"


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
    return real_register(data_path(data_dir)).statistics


# ---------------------------------------------------------------------------------------------
# The real tables, loaded once per data folder.
# ---------------------------------------------------------------------------------------------


def data_path(data_dir: Path | None) -> str:
    return str(Path(data_dir if data_dir is not None else default_data_dir()).resolve())


def _rows(path: Path, encoding: str = "utf-8") -> Iterator[list[str]]:
    if not path.is_file():
        raise SynthError(f"real table not found: {path}")
    with open(path, encoding=encoding, newline="") as f:
        reader = csv.reader(f, delimiter=";")
        next(reader, None)
        yield from reader


def fiche_serial(number: str) -> int:
    """The number of a fiche within its register: 35080 for ``RNCP35080``."""
    return int(FICHE_NUMBER.match(number).group(2))


def fiche_register(number: str) -> str:
    """``RNCP`` or ``RS``."""
    return FICHE_NUMBER.match(number).group(1)


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


class RealRegister:
    """The real tables, indexed for drawing. Every list is in a fixed order (file or sorted)."""

    def __init__(self, data: Path) -> None:
        self.profiles: dict[str, _Profile] = {}
        # Per code: the label as the XML prints it, and as the CSV table publishes it.
        self.labels: dict[str, dict[str, tuple[str, str]]] = {"rome": {}, "nsf": {}, "formacode": {}}
        self.code_rows: dict[str, list[str]] = {"rome": [], "nsf": [], "formacode": []}
        for family, table in (("rome", "Rome"), ("nsf", "Nsf"), ("formacode", "Formacode")):
            labels, rows = self.labels[family], self.code_rows[family]
            for number, code, label, *_ in _rows(data / _export_2026(table)):
                code = code.strip()
                getattr(self.profiles.setdefault(number, _Profile()), family).append(code)
                rows.append(code)
                if code not in labels:
                    labels[code] = (_clean_label(family, code, label), label)
        for number, siret, name, *_ in _rows(data / _export_2026("Certificateurs")):
            self.profiles.setdefault(number, _Profile()).certifiers.append((siret.strip(), name))
        for row in _rows(data / _export_2026("CCN")):
            self.profiles.setdefault(row[0], _Profile()).ccn = tuple(row[1:7])
        links: set[tuple[str, str]] = set()
        listed: set[str] = set()
        for number, old, new, *_ in _rows(data / _export_2026("Ancienne_Nouvelle_Certification")):
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
            kind: sorted((n for n in self.profiles if fiche_register(n) == kind), key=fiche_serial) for kind in ("RNCP", "RS")
        }
        self.singletons = sorted(
            (n for n in self.profiles if n not in in_lineage), key=lambda n: (fiche_register(n), fiche_serial(n))
        )
        self.lineage_share = len(in_lineage) / len(register)

        coded_labels: dict[str, list[tuple[str, str]]] = collections.defaultdict(list)
        for number, code, label, *_ in _rows(data / _BLOCS_2024):
            if label.strip():
                coded_labels[number].append((code, label))
        # Labels as published (trailing spaces, line breaks), in the order of their codes BC01, BC02…
        self.blocks = {number: [label for _, label in sorted(rows)] for number, rows in coded_labels.items()}
        self.block_labels = [label for number in sorted(self.blocks, key=fiche_serial) for label in self.blocks[number]]
        self.blocks_up_to = max(fiche_serial(n) for n in self.blocks)

        self.info: dict[str, _Info] = {}
        leaves_active = collections.Counter()  # 2021 status of the fiches without a 2021 successor
        for row in _rows(data / _INFO_2021, encoding="cp1252"):
            number, title, status, level, code, label, successor, kind = (row[i] for i in (0, 1, 3, 5, 6, 7, 9, 10))
            self.info[number] = _Info(
                title=" ".join(title.split()),
                level=int(level[-1]) if level.startswith("niveau") else None,
                droit=kind.strip() == DE_DROIT,
                abbreviation=(code.strip(), " ".join(label.split())) if code.strip() else None,
            )
            if not successor.strip():
                leaves_active[status.strip() == "ACTIVE"] += 1
        self.active_share = leaves_active[True] / max(1, sum(leaves_active.values()))
        self.info_numbers = sorted(self.info, key=fiche_serial)
        # A fiche newer than 2021 borrows title and level from a recent (RNCP30000+) 2021 fiche of its domain.
        self.info_by_nsf: dict[str, list[str]] = collections.defaultdict(list)
        self.blocked_by_nsf: dict[str, list[str]] = collections.defaultdict(list)
        for number in self.profile_numbers["RNCP"]:
            profile = self.profiles[number]
            if profile.nsf and number in self.info and fiche_serial(number) >= 30000:
                self.info_by_nsf[profile.nsf[0]].append(number)
            if profile.nsf and number in self.blocks:
                self.blocked_by_nsf[profile.nsf[0]].append(number)
        self.blocked = sorted(self.blocks, key=fiche_serial)

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

        rncp = [n for n in self.profile_numbers["RNCP"] if fiche_serial(n) <= self.blocks_up_to]
        recent = [n for n in rncp if fiche_serial(n) >= 34000]
        levels = collections.Counter(i.level for i in self.info.values() if i.level)
        sizes = collections.Counter(len(t.nodes) for t in self.templates)
        return RegisterStatistics(
            fiches=self.register_size,
            rs_share=round(sum(1 for n in self.profiles if fiche_register(n) == "RS") / len(self.profiles), 4),
            lineage=lineage_shape(self.links),
            lineage_share=round(self.lineage_share, 4),
            components=len(self.templates),
            component_sizes=dict(sorted(sizes.items())),
            cross_register_links=sum(1 for a, b in self.links if fiche_register(a) != fiche_register(b)),
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
    for n in sorted(parent, key=lambda n: (fiche_register(n), fiche_serial(n))):
        members[root(n)].append(n)
    outgoing: dict[str, list[str]] = collections.defaultdict(list)
    for a, b in links:
        outgoing[a].append(b)
    templates = []
    for nodes in sorted(members.values(), key=lambda ns: (fiche_register(ns[0]), fiche_serial(ns[0]))):
        incoming = collections.Counter(b for a in nodes for b in outgoing[a])
        ready = [n for n in nodes if not incoming[n]]
        order: list[str] = []
        while ready:  # Kahn's algorithm, oldest number first
            n = min(ready, key=fiche_serial)
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
def real_register(data: str) -> RealRegister:
    return RealRegister(Path(data))


