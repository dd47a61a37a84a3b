"""What the newest sources say: each fiche's reconciled fields and lineage, written as the graph ``derived/current``.

The register is published again every day and older tables disagree with newer ones, so the union
of every source is not an answer. For each fiche and each field, the **reconciled** value is the one
stated by the newest dated source that states that field for that fiche:

- A source's date is the date its data describes (``SourceRef.issued``: the export's date, the
  2021 extract's, Certif Info's latest update...). A source without a date ranks below every dated
  one, and the build warns about it by name.
- A set-valued field (certifiers, ROME, NSF and Formacode codes) takes the newest source's whole set.
- A source that does not state a field never erases it: a table without titles leaves the title to
  the newest source that has one.
- **Tie rule:** when the newest sources stating a field share one date and disagree, none is chosen:
  every value they state is kept in the reconciled view, and the conflict is recorded with no winner.
- Every disagreement between sources (the field, each source's value, which source won) is written
  as data in ``derived/conflicts``; the older values stay in their own graphs as history.

A **lineage link** (predecessor → successor) stated only by sources older than a newer table of the
register (a France Compétences export, XML or CSV, or the 2021 extract) is *superseded* when that
newer table contradicts it: it lists the predecessor's successors without this one, lists the
successor's predecessors without this one, or states the reverse link. A superseded link is kept
as history (``cg:supersededBy`` the newer table's graph) and left out of the current lineage. Other
sources (Certif Info, fiche pages) assert links but never supersede one: Certif Info's continuity
may skip a generation, which is not a contradiction.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field

import networkx as nx
from rdflib import Literal, URIRef
from rdflib.namespace import DCTERMS, PROV, RDF, RDFS

from ..records import Fiche, Problem, SourceRef
from ..text import fold
from ..vocab import (
    CG,
    CONFLICTS_GRAPH,
    CURRENT_GRAPH,
    ID,
    Quad,
    concept_iri,
    eqf_iri,
    fiche_iri,
    graph_iri,
    org_iri,
)
from .graph import (
    Resolution,
    boolean,
    date,
    fr,
    historical_iri,
    historical_link_iri,
    lineage_iri,
    text_hash,
)

# Sources whose lineage tables can supersede an older link: the register's own exports.
REGISTER_SOURCE_PREFIXES = ("fc-export-", "fc-xml", "rncp-info-")

# field name (as written in the graph and shown to users) -> what one record states of it
SCALAR_FIELDS: dict[str, Callable[[Fiche], object]] = {
    "title": lambda f: f.title,
    "abbreviation": lambda f: f.abbreviation,
    "registrationType": lambda f: f.registration_type,
    "level": lambda f: f.level_eqf,
    "effectDate": lambda f: f.effect_date,
    "endDate": lambda f: f.end_date,
    "active": lambda f: f.active,
    "status": lambda f: f.status,
}
SET_FIELDS: dict[str, Callable[[Fiche], Iterable[URIRef]]] = {
    "certifier": lambda f: (org_iri(c.siret, c.name) for c in f.certifiers),
    "rome": lambda f: (concept_iri("rome", r.code) for r in f.rome),
    "nsf": lambda f: (concept_iri("nsf", r.code) for r in f.nsf),
    "formacode": lambda f: (concept_iri("formacode", r.code) for r in f.formacodes),
}
FIELD_PROPERTIES: dict[str, URIRef] = {
    "title": DCTERMS.title,
    "abbreviation": CG.abbreviation,
    "registrationType": CG.registrationType,
    "level": CG.eqfLevel,
    "effectDate": CG.effectDate,
    "endDate": CG.endDate,
    "active": CG.active,
    "status": CG.status,
    "certifier": CG.certifier,
    "rome": CG.rome,
    "nsf": CG.nsf,
    "formacode": CG.formacode,
}

_LOWEST = dt.date.min


def rank(source: SourceRef | None) -> dt.date:
    """The precedence of a source: its date; an undated source ranks below every dated one.

    >>> rank(SourceRef("a", "a", "a", issued=dt.date(2026, 2, 1))) > rank(SourceRef("b", "b", "b"))
    True
    """
    return source.issued if source is not None and source.issued else _LOWEST


def is_register_source(source: SourceRef) -> bool:
    """True for a France Compétences export or extract (the sources whose lineage can supersede)."""
    return source.key.startswith(REGISTER_SOURCE_PREFIXES)


def _comparable(name: str, value: object) -> object:
    """Titles compare without case, accents, spacing or apostrophe style; other values as they are."""
    if name == "title" and isinstance(value, str):
        return " ".join(fold(value.replace("’", "'")).split())
    return value


@dataclass
class FieldValue:
    """The reconciled value(s) of one field of one fiche, and the source(s) they come from.

    ``values`` holds one value for a scalar field (several only on a tie), the whole set of the
    winning source for a set-valued field; ``sources`` the winning source(s): several only on a tie.
    """

    values: list[object]
    sources: list[SourceRef]


@dataclass
class Conflict:
    """Sources that disagree on one field of one fiche: each source's value, and the winner (None on a tie)."""

    fiche: str
    field: str
    claims: list[tuple[SourceRef, object]]
    winner: SourceRef | None


@dataclass
class Link:
    """A lineage link and the sources that state it (``old`` may be an unnumbered historical title)."""

    old: str
    new: str
    sources: list[SourceRef] = field(default_factory=list)
    historical: bool = False
    superseded_by: SourceRef | None = None

    @property
    def node(self) -> URIRef:
        """The link's node, the same as the sources' graphs use."""
        if self.historical:
            return historical_link_iri(self.old, self.new)
        return lineage_iri(self.old, self.new)


@dataclass
class StatusClaim:
    """What one dated source says of a fiche's status: its own flag and its own dates, on its date."""

    fiche: str
    source: SourceRef
    active: bool
    effect_date: dt.date | None
    end_date: dt.date | None


@dataclass
class Reconciled:
    """The reconciled view of the whole register."""

    fields: dict[str, dict[str, FieldValue]] = field(default_factory=dict)
    conflicts: list[Conflict] = field(default_factory=list)
    links: list[Link] = field(default_factory=list)
    undated: list[SourceRef] = field(default_factory=list)
    numbers: set[str] = field(default_factory=set)
    status_claims: list[StatusClaim] = field(default_factory=list)

    @property
    def current_links(self) -> list[Link]:
        return [link for link in self.links if link.superseded_by is None]

    @property
    def superseded_links(self) -> list[Link]:
        return [link for link in self.links if link.superseded_by is not None]

    def problems(self) -> list[Problem]:
        """One warning per undated source: it ranks lowest, whatever it says."""
        return [
            Problem(source.path, "source has no date: it is ranked below every dated source when sources disagree")
            for source in self.undated
        ]


def reconcile(fiches: Iterable[Fiche], resolution: Resolution | None = None) -> Reconciled:
    """Reconcile every record of every source, fiche by fiche and field by field (module docstring)."""
    resolution = resolution or Resolution()
    by_number: dict[str, list[Fiche]] = defaultdict(list)
    undated: dict[str, SourceRef] = {}
    for fiche in fiches:
        if fiche.source is None:
            continue
        by_number[fiche.number].append(fiche)
        if fiche.source.issued is None:
            undated.setdefault(fiche.source.key, fiche.source)
    result = Reconciled(undated=sorted(undated.values(), key=lambda s: s.key))
    for number in sorted(by_number):
        records = by_number[number]
        values: dict[str, FieldValue] = {}
        for name, read in SCALAR_FIELDS.items():
            claims = [(r.source, value) for r in records if (value := read(r)) is not None and value != ""]
            chosen = _choose(number, name, claims, result.conflicts, scalar=True)
            if chosen:
                values[name] = chosen
        for name, read in SET_FIELDS.items():
            claims = [(r.source, frozenset(found)) for r in records if (found := list(read(r)))]
            chosen = _choose(number, name, claims, result.conflicts, scalar=False)
            if chosen:
                values[name] = chosen
        result.fields[number] = values
        result.status_claims += [
            StatusClaim(number, r.source, r.active, r.effect_date, r.end_date)
            for r in records if r.active is not None and r.source.issued and (r.end_date or r.effect_date)
        ]
    result.links = _reconcile_links(by_number, resolution)
    result.numbers = set(by_number) | {n for link in result.links for n in (link.old, link.new) if not link.historical or n == link.new}
    return result


def _choose(number: str, name: str, claims: list[tuple[SourceRef, object]], conflicts: list[Conflict], scalar: bool) -> FieldValue | None:
    if not claims:
        return None
    # One claim per source (a source may state a fiche in several records: the first one counts).
    per_source: dict[str, tuple[SourceRef, object]] = {}
    for source, value in claims:
        per_source.setdefault(source.key, (source, value))
    claims = sorted(per_source.values(), key=lambda claim: (rank(claim[0]), claim[0].key), reverse=True)
    newest = rank(claims[0][0])
    top = [claim for claim in claims if rank(claim[0]) == newest]
    distinct_top = {_comparable(name, value) for _, value in top}
    tie = len(distinct_top) > 1
    if len({_comparable(name, value) for _, value in claims}) > 1:
        conflicts.append(Conflict(number, name, claims, None if tie else top[0][0]))
    if scalar:
        seen, kept = set(), []
        for _, value in top:
            if _comparable(name, value) not in seen:
                seen.add(_comparable(name, value))
                kept.append(value)
        if tie:  # in a stable order, whatever the order of the sources
            return FieldValue(sorted(kept, key=str), sorted((source for source, _ in top), key=lambda s: s.key))
        return FieldValue(kept, [top[0][0]])
    union = sorted({item for _, value in top for item in value}, key=str)
    return FieldValue(union, [source for source, _ in top] if tie else [top[0][0]])


def _reconcile_links(by_number: dict[str, list[Fiche]], resolution: Resolution) -> list[Link]:
    links: dict[tuple[str, str, bool], Link] = {}
    # per register source: the successors it states of each predecessor, the predecessors of each successor
    successors: dict[str, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
    predecessors: dict[str, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
    sources: dict[str, SourceRef] = {}

    def add(old: str, new: str, source: SourceRef, historical: bool = False) -> None:
        link = links.setdefault((old, new, historical), Link(old, new, historical=historical))
        if all(s.key != source.key for s in link.sources):
            link.sources.append(source)
        if not historical and is_register_source(source):
            sources[source.key] = source
            successors[source.key][old].add(new)
            predecessors[source.key][new].add(old)

    for number, records in by_number.items():
        for fiche in records:
            for ref in fiche.predecessors:
                old = ref.number or resolution.predecessor_by_title.get((number, ref.title or ""))
                if old:
                    add(old, number, fiche.source)
                elif ref.title:
                    add(ref.title, number, fiche.source, historical=True)
            for ref in fiche.successors:
                if ref.number:
                    add(number, ref.number, fiche.source)
    for link in links.values():
        if link.historical:
            continue
        stated = max(rank(s) for s in link.sources)
        newer = sorted((s for s in sources.values() if rank(s) > stated), key=lambda s: (rank(s), s.key))
        for source in newer:
            succ, pred = successors[source.key], predecessors[source.key]
            if (
                (link.old in succ and link.new not in succ[link.old])
                or (link.new in pred and link.old not in pred[link.new])
                or link.old in succ.get(link.new, ())
            ):
                link.superseded_by = source
                break
    return sorted(links.values(), key=lambda link: (link.old, link.new))


# ------------------------------------------------------------------ quads


def _term(name: str, value: object):
    if name == "title":
        return fr(str(value))
    if name == "level":
        return eqf_iri(int(value))
    if name == "active":
        return boolean(bool(value))
    if isinstance(value, dt.date):
        return date(value)
    if isinstance(value, URIRef):
        return value
    return Literal(str(value))


def current_quads(result: Reconciled) -> Iterator[Quad]:
    """The reconciled view as quads of ``CURRENT_GRAPH``.

    Every fiche gets its type and number; each reconciled field its value(s) and
    ``cg:currentValues`` the node saying where they come from: one ``cg:CurrentValues`` node per
    source and field (``cg:field``, ``prov:wasDerivedFrom`` the source's graph), shared by every
    fiche for which that source gives that field. The status flag also carries
    ``cg:activeAsOf``, the date of the source stating it. Current lineage links are written as
    ``dcterms:replaces`` / ``dcterms:isReplacedBy`` and closed into ``cg:successorOrSelf``;
    superseded ones get ``cg:supersededBy``.
    A fiche known only as the end of a link still gets its type and number.
    """
    g = CURRENT_GRAPH
    described: dict[URIRef, list[Quad]] = {}
    for number in sorted(result.numbers):
        node = fiche_iri(number)
        yield node, RDF.type, CG.Certification, g
        yield node, RDF.type, CG.RSCertification if number.startswith("RS") else CG.RNCPCertification, g
        yield node, CG.number, Literal(number), g
        for name, value in result.fields.get(number, {}).items():
            prop = FIELD_PROPERTIES[name]
            for item in value.values:
                term = _term(name, item)
                yield node, prop, term, g
                if name == "title":
                    yield node, RDFS.label, term, g
            if name == "active" and len(value.sources) == 1 and value.sources[0].issued:
                yield node, CG.activeAsOf, date(value.sources[0].issued), g
            for source in value.sources:
                yield node, CG.currentValues, _provenance(source, name, described), g
    for quads in described.values():
        yield from quads
    yield from _successor_closure(result.current_links)
    for link in result.links:
        new = fiche_iri(link.new)
        old = historical_iri(link.old) if link.historical else fiche_iri(link.old)
        if link.superseded_by is None:
            yield new, DCTERMS.replaces, old, g
            yield old, DCTERMS.isReplacedBy, new, g
            if link.historical:
                yield old, RDF.type, CG.HistoricalCertification, g
                yield old, RDFS.label, fr(link.old), g
        else:
            yield link.node, CG.supersededBy, graph_iri(link.superseded_by.key), g


def _successor_closure(links: list[Link]) -> Iterator[Quad]:
    """``cg:successorOrSelf``: each fiche of a current link to itself and to every fiche after it.

    "The fiches after this one" is then one triple pattern, answered alike by every engine; as a
    property path inside NOT EXISTS it is not (Virtuoso 7.2: "transitive derived table but neither
    end of it is bound").
    """
    graph = nx.DiGraph()
    graph.add_edges_from(
        (historical_iri(link.old) if link.historical else fiche_iri(link.old), fiche_iri(link.new)) for link in links
    )
    for node in sorted(graph):
        for later in sorted(nx.descendants(graph, node) | {node}):
            yield node, CG.successorOrSelf, later, CURRENT_GRAPH


def _provenance(source: SourceRef, name: str, described: dict) -> URIRef:
    """The node for "field ``name`` as ``source`` gives it", shared by every fiche it wins for."""
    node = ID[f"current/{source.key}/{name}"]
    if node not in described:
        g = CURRENT_GRAPH
        described[node] = [
            (node, RDF.type, CG.CurrentValues, g),
            (node, CG.field, Literal(name), g),
            (node, PROV.wasDerivedFrom, graph_iri(source.key), g),
        ]
    return node


def conflict_quads(result: Reconciled) -> Iterator[Quad]:
    """Every disagreement between sources as data in ``CONFLICTS_GRAPH``.

    ``id:conflict/<fiche>/<field>`` a ``cg:SourceConflict`` with ``cg:fiche``, ``cg:field``,
    ``cg:winner`` (the winning source's graph; absent on a tie) and one ``cg:claim`` per source:
    ``cg:claimedBy`` the source's graph and ``rdf:value`` its value (each member of a set on its own).
    """
    g = CONFLICTS_GRAPH
    for conflict in result.conflicts:
        node = ID[f"conflict/{conflict.fiche}/{conflict.field}"]
        yield node, RDF.type, CG.SourceConflict, g
        yield node, CG.fiche, fiche_iri(conflict.fiche), g
        yield node, CG.field, Literal(conflict.field), g
        if conflict.winner is not None:
            yield node, CG.winner, graph_iri(conflict.winner.key), g
        for source, value in conflict.claims:
            claim = ID[f"conflict/{conflict.fiche}/{conflict.field}/{text_hash(source.key)}"]
            yield node, CG.claim, claim, g
            yield claim, CG.claimedBy, graph_iri(source.key), g
            items = sorted(value, key=str) if isinstance(value, frozenset) else [value]
            for item in items:
                yield claim, RDF.value, _term(conflict.field, item), g


def status_claim_quads(result: Reconciled) -> Iterator[Quad]:
    """Each dated source's own status of a fiche (flag and dates, on the source's date), in
    ``CONFLICTS_GRAPH``: the shape ``cgsh:FlagAgreesWithDates`` warns where a source's flag
    contradicts its own dates (active after its registration ended, or inactive within it).

    ``id:status/<source>/<fiche>`` a ``cg:StatusClaim`` with ``cg:fiche``, ``cg:claimedBy`` the
    source's graph, ``dcterms:issued`` its date, ``cg:active`` and the dates it gives.
    """
    g = CONFLICTS_GRAPH
    for claim in result.status_claims:
        node = ID[f"status/{claim.source.key}/{claim.fiche}"]
        yield node, RDF.type, CG.StatusClaim, g
        yield node, CG.fiche, fiche_iri(claim.fiche), g
        yield node, CG.claimedBy, graph_iri(claim.source.key), g
        yield node, DCTERMS.issued, date(claim.source.issued), g
        yield node, CG.active, boolean(claim.active), g
        if claim.effect_date:
            yield node, CG.effectDate, date(claim.effect_date), g
        if claim.end_date:
            yield node, CG.endDate, date(claim.end_date), g


def coverage(result: Reconciled) -> dict[str, dict[str, int]]:
    """Per register (``rncp``, ``rs``): fiches known, with a title, with a level."""
    counts: dict[str, dict[str, int]] = {}
    for number in sorted(result.numbers):
        values = result.fields.get(number, {})
        register = "rs" if number.startswith("RS") else "rncp"
        row = counts.setdefault(register, {"fiches": 0, "title": 0, "level": 0})
        row["fiches"] += 1
        row["title"] += "title" in values
        row["level"] += "level" in values
    return counts


__all__ = [
    "CONFLICTS_GRAPH", "CURRENT_GRAPH", "Conflict", "FieldValue", "Link", "Reconciled",
    "StatusClaim", "conflict_quads", "coverage", "current_quads", "rank", "reconcile", "status_claim_quads",
]
