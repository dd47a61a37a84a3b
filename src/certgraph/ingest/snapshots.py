"""Snapshots of the register and the change sets between two of them.

Each export France Compétences publishes (the CSV tables or the XML file) is a dated *snapshot* of
the register. A snapshot keeps, per fiche, the merged record its tables state and a content hash of
it, so that two snapshots can be compared fiche by fiche (:func:`diff`) and a query can ask what the
register said about a fiche at a given date (``queries/snapshot/fiche-at.rq``).

Two exports rarely hold the same tables (the 2024-01-17 collection has no Rome table, the
2026-02-01 one no Blocs table), so a comparison is made only on the fields **both** snapshots cover;
a fiche counts as present in a snapshot when a table covering one of those fields names it. Which
fields were compared is part of every change set.

An export that could not be read, or only in part (a 0-byte or damaged zip, a truncated XML file, a
rejected table), is no snapshot: its missing fiches would be counted as removed, or added on the
other side. :func:`read_snapshot` refuses it.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import json
import re
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from rdflib import Graph, Literal, URIRef
from rdflib.namespace import DCAT, DCTERMS, PROV, RDF, RDFS

from ..errors import CertgraphError
from ..records import (
    Block,
    Certifier,
    CodeRef,
    Fiche,
    LineageRef,
    Loaded,
    Problem,
    SourceRef,
)
from ..sources.fc_csv import read_fc_export
from ..sources.fc_xml import read_fc_xml
from ..text import fold
from ..vocab import (
    CG,
    ID,
    PROVENANCE_GRAPH,
    Quad,
    eqf_iri,
    fiche_iri,
    graph_iri,
    org_iri,
    slug,
)
from .graph import boolean, date, fr, integer

# The fields each CSV table fills (the XML export fills every field of a Fiche).
TABLE_FIELDS: dict[str, frozenset[str]] = {
    "standard": frozenset({
        "title", "level_eqf", "abbreviation", "registration_type", "active", "decision_date", "effect_date",
        "end_date", "last_jo_date", "new_caledonia", "french_polynesia",
    }),
    "blocs-de-competences": frozenset({"blocks"}),
    "rome": frozenset({"rome"}),
    "nsf": frozenset({"nsf"}),
    "formacode": frozenset({"formacodes"}),
    "certificateurs": frozenset({"certifiers"}),
    "ancienne-nouvelle-certification": frozenset({"predecessors", "successors"}),
    "voixdacces": frozenset({"access_routes"}),
    "partenaires": frozenset({"partners"}),
    "ccn": frozenset({"ccn"}),
}
_NOT_CONTENT = {"number", "source"}
ALL_FIELDS = frozenset(f.name for f in dataclasses.fields(Fiche)) - _NOT_CONTENT


def source_fields(source: SourceRef | None) -> frozenset[str]:
    """The Fiche fields a source fills: its table's for a CSV table, all of them otherwise.

    >>> sorted(source_fields(SourceRef("fc-export-2024-01-17-certificateurs", "x", "x")))
    ['certifiers']
    """
    if source is not None and source.key.startswith("fc-export-"):
        table = source.key[len("fc-export-YYYY-MM-DD-"):]
        return TABLE_FIELDS.get(table, ALL_FIELDS)
    return ALL_FIELDS


# ------------------------------------------------------------------ canonical content


def _canonical(value: object) -> object:
    """A JSON-ready, order-free form of a field value: what two snapshots must agree on."""
    if isinstance(value, list):
        items = [_canonical(item) for item in value]
        return sorted(items, key=lambda item: json.dumps(item, sort_keys=True, ensure_ascii=False))
    if isinstance(value, CodeRef):
        return value.code
    if isinstance(value, Certifier):
        return certifier_key(value)
    if isinstance(value, LineageRef):
        return value.number or value.title
    if isinstance(value, Block):
        return {"code": value.code, "label": value.label, "competencies": list(value.competencies)}
    if dataclasses.is_dataclass(value):
        return {k: _canonical(v) for k, v in dataclasses.asdict(value).items() if v not in (None, [], "")}
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def certifier_key(certifier: Certifier) -> str:
    """A certifier's identity across snapshots: its SIRET, else its folded name.

    >>> certifier_key(Certifier("MINISTERE DU TRAVAIL", "11000007200014"))
    '11000007200014'
    >>> certifier_key(Certifier("Ministère du Travail"))
    'ministere du travail'
    """
    return certifier.siret or fold(certifier.name).strip()


def fiche_state(fiche: Fiche, fields: Iterable[str] = ALL_FIELDS) -> dict[str, object]:
    """The fiche's content restricted to ``fields``, canonical; empty fields are left out."""
    state = {}
    for name in sorted(fields):
        value = getattr(fiche, name)
        if value not in (None, [], ""):
            state[name] = _canonical(value)
    return state


def content_hash(fiche: Fiche, fields: Iterable[str] = ALL_FIELDS) -> str:
    """SHA-256 of the canonical content: equal hashes mean the snapshots say the same thing.

    >>> a = Fiche("RNCP1", certifiers=[Certifier("A", "1"), Certifier("B", "2")])
    >>> b = Fiche("RNCP1", certifiers=[Certifier("B", "2"), Certifier("A", "1")])
    >>> content_hash(a) == content_hash(b)
    True
    """
    text = json.dumps(fiche_state(fiche, fields), sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def merge(records: list[Fiche]) -> Fiche:
    """One fiche from the partial records of one snapshot (one per table): lists joined, first scalar wins."""
    merged = Fiche(number=records[0].number, source=records[0].source)
    for record in records:
        for name in ALL_FIELDS:
            value = getattr(record, name)
            current = getattr(merged, name)
            if isinstance(value, list):
                current.extend(item for item in value if item not in current)
            elif current is None and value is not None:
                setattr(merged, name, value)
    return merged


# ------------------------------------------------------------------ snapshots


@dataclass
class Snapshot:
    """One export: its date, the merged fiches, which fields it covers and where each fiche appears."""

    label: str
    issued: dt.date | None
    fiches: dict[str, Fiche] = field(default_factory=dict)
    fields: frozenset[str] = frozenset()
    fields_by_fiche: dict[str, frozenset[str]] = field(default_factory=dict)
    sources: list[SourceRef] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)

    @property
    def iri(self) -> URIRef:
        return snapshot_iri(self.issued, self.label)

    def present(self, number: str, fields: frozenset[str]) -> bool:
        """Whether a table of this snapshot covering one of ``fields`` names the fiche."""
        return bool(self.fields_by_fiche.get(number, frozenset()) & fields)


def snapshot_iri(issued: dt.date | None, label: str = "") -> URIRef:
    """``id/snapshot/2026-02-01``; an undated export is named by its label.

    >>> str(snapshot_iri(dt.date(2026, 2, 1)))
    'https://w3id.org/certgraph/id/snapshot/2026-02-01'
    """
    return ID[f"snapshot/{issued.isoformat() if issued else slug(label)}"]


def snapshot_from_loaded(loaded: Loaded, label: str, issued: dt.date | None = None) -> Snapshot:
    """Group a reader's partial records into one snapshot (the date defaults to the sources')."""
    dates = sorted({s.issued for s in loaded.sources if s.issued})
    snapshot = Snapshot(label=label, issued=issued or (dates[-1] if dates else None))
    snapshot.sources, snapshot.problems = list(loaded.sources), list(loaded.problems)
    parts: dict[str, list[Fiche]] = {}
    covered: dict[str, set[str]] = {}
    for record in loaded.fiches:
        parts.setdefault(record.number, []).append(record)
        covered.setdefault(record.number, set()).update(source_fields(record.source))
    snapshot.fiches = {number: merge(records) for number, records in parts.items()}
    snapshot.fields_by_fiche = {number: frozenset(fields) for number, fields in covered.items()}
    snapshot.fields = frozenset().union(*(source_fields(s) for s in loaded.sources)) if loaded.sources else frozenset()
    return snapshot


def is_xml_export(path: Path) -> bool:
    """Whether ``path`` is an XML export: a ``.xml`` file, or a zip holding one.

    A zip that cannot be opened is not: the CSV reader then reports it as unreadable.
    """
    if path.suffix.lower() == ".xml":
        return True
    if path.is_file() and zipfile.is_zipfile(path):
        try:
            with zipfile.ZipFile(path) as archive:
                return any(name.lower().endswith(".xml") for name in archive.namelist())
        except (zipfile.BadZipFile, OSError):
            return False
    return False


def read_export(path: Path, root: Path | None = None) -> Loaded:
    """Read an export whatever its format: XML (file or zip) or CSV tables (folder or zip)."""
    path = Path(path)
    if is_xml_export(path):
        return read_fc_xml(path, data_dir=root)
    return read_fc_export(path, root=root)


class SnapshotError(CertgraphError):
    """An export could not be read, or only in part, so it gives no snapshot."""


# The messages of the readers' (fc_csv, fc_xml) errors that lose an input, a table of it or its rest,
# as opposed to one row or one fiche.
_INPUT_LOST = re.compile(
    r"unreadable|truncated|file ignored|no France Compétences export table|no <FICHE> in the file|no \.xml file"
)


def unreadable(problems: Iterable[Problem]) -> list[Problem]:
    """The problems saying that an input, a table of it or the rest of it could not be read.

    >>> unreadable([Problem("x.zip", "unreadable zip: File is not a zip file", severity="error"),
    ...             Problem("t.csv", "invalid fiche number 'X'; row skipped", 3, severity="error")])
    [Problem(source='x.zip', message='unreadable zip: File is not a zip file', line=None, fiche=None, severity='error')]
    """
    return [p for p in problems if p.severity == "error" and _INPUT_LOST.search(p.message)]


def read_snapshot(path: Path, issued: dt.date | None = None) -> Snapshot:
    """One export read as a snapshot; its other problems (bad rows, bad values) are in ``problems``.

    :raises FileNotFoundError: when ``path`` does not exist.
    :raises SnapshotError: when the export, a table of it or the rest of it could not be read.
    """
    loaded = read_export(Path(path))
    lost = unreadable(loaded.problems)
    if lost:
        more = f" (and {len(lost) - 1} more such problems)" if len(lost) > 1 else ""
        raise SnapshotError(f"export not read in full: {lost[0]}{more}")
    return snapshot_from_loaded(loaded, str(path), issued)


# ------------------------------------------------------------------ change sets


@dataclass(frozen=True)
class FicheChange:
    """A fiche present in both snapshots whose compared content differs, and in which fields."""

    number: str
    fields: tuple[str, ...]


@dataclass(frozen=True)
class CertifierChange:
    """A certifier a fiche gained (``added``) or lost (``removed``) between the snapshots."""

    number: str
    kind: str
    key: str
    name: str


@dataclass
class ChangeSet:
    """What changed from snapshot ``old`` to snapshot ``new``, on the fields both cover."""

    old: Snapshot
    new: Snapshot
    fields: frozenset[str]
    added: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    changed: list[FicheChange] = field(default_factory=list)
    unchanged: int = 0
    lineage_added: list[tuple[str, str]] = field(default_factory=list)
    lineage_dropped: list[tuple[str, str]] = field(default_factory=list)
    certifiers: list[CertifierChange] = field(default_factory=list)

    @property
    def iri(self) -> URIRef:
        return ID[f"changeset/{self.old.iri.rsplit('/', 1)[-1]}/{self.new.iri.rsplit('/', 1)[-1]}"]

    def summary(self) -> list[tuple[str, int]]:
        """(what, how many) rows: the table the CLI prints first."""
        changed_by_field: dict[str, int] = {}
        for change in self.changed:
            for name in change.fields:
                changed_by_field[name] = changed_by_field.get(name, 0) + 1
        rows = [
            ("fiches added", len(self.added)),
            ("fiches removed", len(self.removed)),
            ("fiches changed", len(self.changed)),
            ("fiches unchanged", self.unchanged),
        ]
        rows += [(f"  changed field {name}", count) for name, count in sorted(changed_by_field.items())]
        rows += [
            ("lineage links added", len(self.lineage_added)),
            ("lineage links dropped", len(self.lineage_dropped)),
            ("certifiers added to a fiche", sum(c.kind == "added" for c in self.certifiers)),
            ("certifiers removed from a fiche", sum(c.kind == "removed" for c in self.certifiers)),
        ]
        return rows

    def to_json(self) -> dict:
        """Everything, as plain JSON data."""
        return {
            "old": {"path": self.old.label, "issued": _iso(self.old.issued), "fiches": len(self.old.fiches)},
            "new": {"path": self.new.label, "issued": _iso(self.new.issued), "fiches": len(self.new.fiches)},
            "compared_fields": sorted(self.fields),
            "summary": {what.strip(): count for what, count in self.summary()},
            "added": self.added,
            "removed": self.removed,
            "changed": [{"fiche": c.number, "fields": list(c.fields)} for c in self.changed],
            "lineage_added": [{"old": a, "new": b} for a, b in self.lineage_added],
            "lineage_dropped": [{"old": a, "new": b} for a, b in self.lineage_dropped],
            "certifiers": [dataclasses.asdict(c) for c in self.certifiers],
        }

    def quads(self, g: URIRef | None = None) -> Iterator[Quad]:
        """The change set as RDF, in graph ``graph/changeset/<old>/<new>``."""
        node = self.iri
        g = g or graph_iri(str(node)[len(str(ID)):])
        yield node, RDF.type, CG.ChangeSet, g
        yield node, RDFS.label, Literal(f"Changes from {self.old.label} to {self.new.label}", lang="en"), g
        yield node, CG.fromSnapshot, self.old.iri, g
        yield node, CG.toSnapshot, self.new.iri, g
        for snapshot in (self.old, self.new):
            yield snapshot.iri, RDF.type, CG.Snapshot, g
            if snapshot.issued:
                yield snapshot.iri, DCTERMS.issued, date(snapshot.issued), g
        for name in sorted(self.fields):
            yield node, CG.comparedField, Literal(name), g
        for kind, numbers in (("added", self.added), ("removed", self.removed)):
            for number in numbers:
                yield from self._change(node, kind, number, (), g)
        for change in self.changed:
            yield from self._change(node, "changed", change.number, change.fields, g)
        for kind, pairs in (("added", self.lineage_added), ("dropped", self.lineage_dropped)):
            for old, new in pairs:
                item = URIRef(f"{node}/lineage/{old}/{new}")
                yield node, CG.change, item, g
                yield item, RDF.type, CG.LineageChange, g
                yield item, CG.changeKind, Literal(kind), g
                yield item, CG.replaced, fiche_iri(old), g
                yield item, CG.replacedBy, fiche_iri(new), g
        for c in self.certifiers:
            siret = c.key if c.key.isdigit() else None
            key = siret or hashlib.sha1(c.key.encode()).hexdigest()[:12]
            item = URIRef(f"{node}/certifier/{c.number}/{c.kind}/{key}")
            yield node, CG.change, item, g
            yield item, RDF.type, CG.CertifierChange, g
            yield item, CG.changeKind, Literal(c.kind), g
            yield item, CG.fiche, fiche_iri(c.number), g
            yield item, CG.organisation, org_iri(siret, c.name), g

    @staticmethod
    def _change(node: URIRef, kind: str, number: str, fields: Iterable[str], g: URIRef) -> Iterator[Quad]:
        item = URIRef(f"{node}/fiche/{number}")
        yield node, CG.change, item, g
        yield item, RDF.type, CG.FicheChange, g
        yield item, CG.changeKind, Literal(kind), g
        yield item, CG.fiche, fiche_iri(number), g
        for name in fields:
            yield item, CG.changedField, Literal(name), g

    def to_graph(self) -> Graph:
        """The change set as an rdflib Graph (for ``--turtle``); it is small, a few thousand triples."""
        graph = Graph()
        graph.bind("cg", CG)
        graph.bind("dcterms", DCTERMS)
        for s, p, o, _g in self.quads():
            graph.add((s, p, o))
        return graph


def _iso(value: dt.date | None) -> str | None:
    return value.isoformat() if value else None


def _links(snapshot: Snapshot, numbers: Iterable[str]) -> set[tuple[str, str]]:
    links = set()
    for number in numbers:
        fiche = snapshot.fiches[number]
        links.update((ref.number, number) for ref in fiche.predecessors if ref.number)
        links.update((number, ref.number) for ref in fiche.successors if ref.number)
    return links


def diff(old: Snapshot, new: Snapshot, fields: Iterable[str] | None = None) -> ChangeSet:
    """Compare two snapshots on the fields both cover (or on ``fields``, intersected with those)."""
    common = old.fields & new.fields
    if fields is not None:
        common &= frozenset(fields)
    changes = ChangeSet(old=old, new=new, fields=common)
    before = {n for n in old.fiches if old.present(n, common)}
    after = {n for n in new.fiches if new.present(n, common)}
    changes.added = sorted(after - before, key=_number_order)
    changes.removed = sorted(before - after, key=_number_order)
    for number in sorted(before & after, key=_number_order):
        a, b = fiche_state(old.fiches[number], common), fiche_state(new.fiches[number], common)
        differing = tuple(sorted(name for name in set(a) | set(b) if a.get(name) != b.get(name)))
        if differing:
            changes.changed.append(FicheChange(number, differing))
        else:
            changes.unchanged += 1
        if "certifiers" in differing:
            changes.certifiers += _certifier_changes(number, old.fiches[number], new.fiches[number])
    if {"predecessors", "successors"} & common:
        links_before, links_after = _links(old, before), _links(new, after)
        changes.lineage_added = sorted(links_after - links_before, key=_pair_order)
        changes.lineage_dropped = sorted(links_before - links_after, key=_pair_order)
    return changes


def _certifier_changes(number: str, old: Fiche, new: Fiche) -> list[CertifierChange]:
    before = {certifier_key(c): c.name for c in old.certifiers}
    after = {certifier_key(c): c.name for c in new.certifiers}
    return [CertifierChange(number, "added", key, after[key]) for key in sorted(after.keys() - before.keys())] + [
        CertifierChange(number, "removed", key, before[key]) for key in sorted(before.keys() - after.keys())
    ]


def _number_order(number: str) -> tuple[str, int]:
    prefix = number.rstrip("0123456789")
    return prefix, int(number[len(prefix):] or 0)


def _pair_order(pair: tuple[str, str]) -> tuple:
    return _number_order(pair[0]), _number_order(pair[1])


# ------------------------------------------------------------------ snapshots in the graph


def next_states(snapshots: list[Snapshot]) -> dict[tuple[str, str], dt.date]:
    """For each (snapshot label, fiche) of a dated snapshot: the date of the next snapshot naming the fiche.

    A state is what the register said from its snapshot's date until that next date, so a query for
    a date needs no "no later snapshot" test (which engines evaluate over every state).
    """
    dated = sorted((s for s in snapshots if s.issued), key=lambda s: s.issued)
    following: dict[tuple[str, str], dt.date] = {}
    last_seen: dict[str, Snapshot] = {}
    for snapshot in dated:
        for number in snapshot.fiches:
            previous = last_seen.get(number)
            if previous is not None:
                following[(previous.label, number)] = snapshot.issued
            last_seen[number] = snapshot
    return following


def snapshot_quads(snapshot: Snapshot, following: dict[tuple[str, str], dt.date] | None = None) -> Iterator[Quad]:
    """The snapshot as RDF: one ``cg:FicheState`` per fiche with its hash and what it said.

    States live in their own graph ``graph/snapshot/<date>``; they repeat, under the state node,
    the title, level, activity, end date, certifiers and stated lineage of that export, so that
    ``queries/snapshot/fiche-at.rq`` can answer without mixing snapshots in the union graph.
    """
    node = snapshot.iri
    g = graph_iri(str(node)[len(str(ID)):])
    title = f"Register snapshot {_iso(snapshot.issued) or snapshot.label}"
    yield g, RDF.type, DCAT.Dataset, PROVENANCE_GRAPH
    yield g, RDF.type, PROV.Entity, PROVENANCE_GRAPH
    yield g, DCTERMS.title, Literal(f"{title}: the state of each fiche, with its content hash"), PROVENANCE_GRAPH
    yield node, RDF.type, CG.Snapshot, g
    yield node, RDFS.label, Literal(title, lang="en"), g
    if snapshot.issued:
        yield node, DCTERMS.issued, date(snapshot.issued), g
        yield g, DCTERMS.issued, date(snapshot.issued), PROVENANCE_GRAPH
    for source in snapshot.sources:
        yield node, PROV.hadMember, graph_iri(source.key), g
        yield g, PROV.wasDerivedFrom, graph_iri(source.key), PROVENANCE_GRAPH
    for name in sorted(snapshot.fields):
        yield node, CG.coveredField, Literal(name), g
    yield node, CG.ficheCount, integer(len(snapshot.fiches)), g
    for number, fiche in snapshot.fiches.items():
        state = URIRef(f"{node}/{fiche.repertory}/{fiche.digits}")
        yield state, RDF.type, CG.FicheState, g
        yield state, CG.stateOf, fiche_iri(number), g
        yield state, CG.inSnapshot, node, g
        yield state, CG.contentHash, Literal(content_hash(fiche, snapshot.fields_by_fiche[number])), g
        if snapshot.issued:
            yield state, CG.validFrom, date(snapshot.issued), g
        until = (following or {}).get((snapshot.label, number))
        if until:
            yield state, CG.validUntil, date(until), g
        if fiche.title:
            yield state, DCTERMS.title, fr(fiche.title), g
        if fiche.level_eqf is not None:
            yield state, CG.eqfLevel, eqf_iri(fiche.level_eqf), g
        if fiche.active is not None:
            yield state, CG.active, boolean(fiche.active), g
        if fiche.end_date:
            yield state, CG.endDate, date(fiche.end_date), g
        for certifier in fiche.certifiers:
            yield state, CG.certifier, org_iri(certifier.siret, certifier.name), g
        for ref in fiche.predecessors:
            if ref.number:
                yield state, CG.statedPredecessor, fiche_iri(ref.number), g
        for ref in fiche.successors:
            if ref.number:
                yield state, CG.statedSuccessor, fiche_iri(ref.number), g


__all__ = [
    "ChangeSet",
    "Snapshot",
    "SnapshotError",
    "content_hash",
    "diff",
    "fiche_state",
    "read_export",
    "read_snapshot",
    "next_states",
    "snapshot_from_loaded",
    "snapshot_quads",
    "unreadable",
]
