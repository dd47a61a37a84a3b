"""Lineage analytics on the whole register: how fiches replace one another, typed, measured and checked.

The graph is the one of ``dcterms:replaces`` between numbered fiches, read from the
``cg:LineageLink`` nodes (which also say which fiche asserted each link). Edges run from the
predecessor to the successor (old → new), as in :mod:`certgraph.lineage`, so a fiche's
*predecessors* are its in-edges and its *successors* its out-edges.

- A **lineage** is a weakly connected component with at least one link. Its kind:
  ``chain`` (every fiche has at most one predecessor and at most one successor), ``merge`` (some
  fiche has two or more predecessors, none has two or more successors), ``split`` (the reverse) or
  ``mixed`` (both).
- Its **generations** are the links on its longest path (a chain of 5 fiches has 4); in a lineage
  with a cycle, the longest path of its condensation (each cycle counted as one fiche).
- A link is **one-sided** when only one of its two fiches asserts it (``cg:assertedBy``): the old
  fiche's record names the new one but the new one's does not name the old, or the reverse.
- A fiche's **status** on a date (default today) comes from its reconciled effect and end dates
  (graph derived/current, :mod:`certgraph.status`): in force, ended, not yet in force, or unknown
  when no source gives its end date. A source's ``cg:active`` flag is not used: it says what was
  true on that source's date, not today.
- A link a newer register table contradicts is **superseded** (:mod:`certgraph.ingest.reconcile`): left
  out of the graph and counted in ``superseded_links``.
- Predecessors known only by title (``cg:HistoricalCertification``, no number) are left out of the
  graph; their links are counted in ``historical_links``.
"""

from __future__ import annotations

import datetime as dt
import json
import statistics
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import asdict, dataclass, field

import networkx as nx

from .queries import internal_query
from .records import FICHE_NUMBER
from .status import Status, as_date
from .store import lexical_rows

KINDS = ("chain", "merge", "split", "mixed")



def fiche_key(number: str) -> tuple:
    """Sort key putting ``RNCP999`` before ``RNCP1000`` and RNCP before RS.

    >>> sorted(["RS12", "RNCP1000", "RNCP999"], key=fiche_key)
    ['RNCP999', 'RNCP1000', 'RS12']
    """
    match = FICHE_NUMBER.match(number)
    return (match[1], int(match[2]), "") if match else ("~", 0, number)


@dataclass
class LineageSummary:
    """One lineage: its kind, its fiches oldest first, its longest path."""

    kind: str
    size: int
    links: int
    generations: int
    fiches: list[str]
    longest_path: list[str]
    roots: list[str]
    leaves: list[str]
    cyclic: bool = False


@dataclass
class ActiveSplit:
    """A fiche with two or more successors in force (``successors``: each one's in force, None if unknown)."""

    fiche: str
    successors: dict[str, bool | None]
    all_in_force: bool


@dataclass
class OneSidedLink:
    """A link only one of its two fiches asserts; ``side`` is ``predecessor`` or ``successor``."""

    predecessor: str
    successor: str
    side: str


@dataclass
class Distribution:
    """Min, median, max and the count of each value."""

    min: int = 0
    median: float = 0
    max: int = 0
    histogram: dict[int, int] = field(default_factory=dict)

    @classmethod
    def of(cls, values: list[int]) -> Distribution:
        """The distribution of ``values`` (all zero when empty).

        >>> Distribution.of([2, 2, 5])
        Distribution(min=2, median=2, max=5, histogram={2: 2, 5: 1})
        """
        if not values:
            return cls()
        return cls(min(values), statistics.median(values), max(values), dict(sorted(Counter(values).items())))


@dataclass
class LineageStats:
    """Lineage analytics of the register (see the module docstring for the definitions)."""

    lineages: int = 0
    fiches: int = 0
    links: int = 0
    kinds: dict[str, int] = field(default_factory=lambda: dict.fromkeys(KINDS, 0))
    kind_fiches: dict[str, int] = field(default_factory=lambda: dict.fromkeys(KINDS, 0))
    sizes: Distribution = field(default_factory=Distribution)
    generations: Distribution = field(default_factory=Distribution)
    longest: list[LineageSummary] = field(default_factory=list)
    largest: list[LineageSummary] = field(default_factory=list)
    as_of: str = ""
    statuses: dict[str, int] = field(default_factory=dict)
    in_force_splits: list[ActiveSplit] = field(default_factory=list)
    superseded_links: int = 0
    sides: dict[str, int] = field(default_factory=dict)
    one_sided: int = 0
    one_sided_links: list[OneSidedLink] = field(default_factory=list)
    historical_links: int = 0
    cyclic_lineages: int = 0
    cycles: list[list[str]] = field(default_factory=list)
    cycles_truncated: bool = False

    def as_dict(self) -> dict:
        """A JSON-ready view (histogram keys stay ints; ``json`` writes them as strings)."""
        return asdict(self)

    def to_json(self, indent: int | None = 2) -> str:
        """The stats as JSON text."""
        return json.dumps(self.as_dict(), ensure_ascii=False, indent=indent)


# ------------------------------------------------------------------ reading the store


def read_links(store) -> tuple[dict[tuple[str, str], set[str]], int, int]:
    """Every current link between numbered fiches with the numbers of the fiches asserting it.

    :returns: ``{(predecessor, successor): asserters}``, the number of links whose predecessor
        has no number (historical certifications named only by title) and the number of superseded
        links (left out).
    """
    links: dict[tuple[str, str], set[str]] = defaultdict(set)
    historical: set[tuple[str, str]] = set()
    superseded: set[tuple[str, str]] = set()
    for old_number, new_number, asserted_by, old, superseded_by in lexical_rows(store, internal_query("stats/lineage-links").bind()):
        if superseded_by is not None:
            superseded.add((old, new_number or ""))
            continue
        if old_number is None or new_number is None:
            historical.add((old, new_number or ""))
            continue
        asserters = links[old_number, new_number]
        if asserted_by is not None:
            asserters.add(asserted_by)
    return dict(links), len(historical), len(superseded)


def read_statuses(store, as_of: dt.date | None = None) -> dict[str, str]:
    """``{number: state}`` on ``as_of`` (default today) for every fiche whose reconciled end date is
    known: ``in-force``, ``ended`` or ``not-yet`` (:attr:`certgraph.status.Status.state`)."""
    as_of = as_of or dt.date.today()
    states = {}
    for number, effect, end in lexical_rows(store, internal_query("stats/end-dates").bind()):
        states[number] = Status(as_of, as_date(effect), as_date(end)).state
    return states


# ------------------------------------------------------------------ analysis


def lineage_kind(graph: nx.DiGraph, nodes) -> str:
    """``chain``, ``merge``, ``split`` or ``mixed`` from the in- and out-degrees of ``nodes``."""
    merge = any(graph.in_degree(n) >= 2 for n in nodes)
    split = any(graph.out_degree(n) >= 2 for n in nodes)
    return "mixed" if merge and split else "merge" if merge else "split" if split else "chain"


def _longest_path(dag: nx.DiGraph, order: list) -> list:
    """A longest path of ``dag`` given a topological ``order``; ties go to the earliest nodes in it."""
    position = {n: i for i, n in enumerate(order)}
    best: dict = {}  # node -> (links on the longest path ending there, previous node)
    for n in order:
        best[n] = max(
            ((best[p][0] + 1, p) for p in dag.predecessors(n)), key=lambda t: (t[0], -position[t[1]]), default=(0, None)
        )
    node = max(order, key=lambda n: (best[n][0], -position[n]))
    path = [node]
    while best[node][1] is not None:
        node = best[node][1]
        path.append(node)
    return path[::-1]


def _summary(graph: nx.DiGraph, nodes: set[str]) -> LineageSummary:
    sub = graph.subgraph(nodes).copy()  # a plain graph: subgraph views make every later step slower
    cyclic = not nx.is_directed_acyclic_graph(sub)
    # A cycle's fiches become one node (the condensation): what is left is a DAG with a longest path.
    dag = nx.condensation(sub) if cyclic else sub
    groups = defaultdict(list)
    for n in sorted(nodes, key=fiche_key):
        groups[dag.graph["mapping"][n] if cyclic else n].append(n)
    order = list(nx.lexicographical_topological_sort(dag, key=lambda c: fiche_key(groups[c][0])))
    path = _longest_path(dag, order)
    return LineageSummary(
        kind=lineage_kind(graph, nodes),
        size=len(nodes),
        links=sub.number_of_edges(),
        generations=len(path) - 1,
        fiches=[n for c in order for n in groups[c]],
        longest_path=[n for c in path for n in groups[c]],
        roots=sorted((n for n in nodes if sub.in_degree(n) == 0), key=fiche_key),
        leaves=sorted((n for n in nodes if sub.out_degree(n) == 0), key=fiche_key),
        cyclic=cyclic,
    )


def _cycles(graph: nx.DiGraph, limit: int) -> tuple[list[list[str]], bool]:
    """Elementary cycles, each starting at its smallest fiche; at most ``limit`` of them."""
    found, truncated = [], False
    for cycle in nx.simple_cycles(graph):
        if len(found) == limit:
            truncated = True
            break
        start = cycle.index(min(cycle, key=fiche_key))
        found.append(cycle[start:] + cycle[:start])
    return sorted(found, key=lambda c: [fiche_key(n) for n in c]), truncated


def analyse(
    links: dict[tuple[str, str], set[str]],
    statuses: dict[str, str] | None = None,
    top: int = 10,
    limit: int = 50,
    historical_links: int = 0,
    superseded_links: int = 0,
    as_of: dt.date | None = None,
) -> LineageStats:
    """Lineage stats of a set of links (see :func:`lineage_stats`); the store is not needed here.

    >>> stats = analyse({("RNCP1", "RNCP2"): {"RNCP1"}, ("RNCP2", "RNCP3"): {"RNCP2", "RNCP3"}})
    >>> stats.kinds["chain"], stats.generations.max, stats.one_sided
    (1, 2, 1)
    """
    statuses = statuses or {}
    graph = nx.DiGraph()
    graph.add_edges_from(links)
    stats = LineageStats(links=graph.number_of_edges(), historical_links=historical_links,
                         superseded_links=superseded_links, as_of=(as_of or dt.date.today()).isoformat())

    summaries = [_summary(graph, set(nodes)) for nodes in nx.weakly_connected_components(graph)]
    stats.lineages = len(summaries)
    stats.fiches = graph.number_of_nodes()
    for s in summaries:
        stats.kinds[s.kind] += 1
        stats.kind_fiches[s.kind] += s.size
    stats.sizes = Distribution.of([s.size for s in summaries])
    stats.generations = Distribution.of([s.generations for s in summaries])
    stats.longest = sorted(summaries, key=lambda s: (-s.generations, -s.size, fiche_key(s.fiches[0])))[:top]
    stats.largest = sorted(summaries, key=lambda s: (-s.size, -s.generations, fiche_key(s.fiches[0])))[:top]
    stats.cyclic_lineages = sum(s.cyclic for s in summaries)
    stats.cycles, stats.cycles_truncated = _cycles(graph, limit)

    counted = Counter(statuses.get(n, "unknown") for n in graph)
    stats.statuses = {k: counted[k] for k in ("in-force", "not-yet", "ended", "unknown")}
    for fiche in sorted(graph, key=fiche_key):
        successors = sorted(graph.successors(fiche), key=fiche_key)
        states = {s: (statuses[s] == "in-force") if s in statuses else None for s in successors}
        if sum(1 for v in states.values() if v) >= 2:
            stats.in_force_splits.append(ActiveSplit(fiche, states, all(v is True for v in states.values())))

    sides: Counter[str] = Counter()
    one_sided = []
    for (old, new), asserters in sorted(links.items(), key=lambda item: (fiche_key(item[0][0]), fiche_key(item[0][1]))):
        by_old, by_new = old in asserters, new in asserters
        side = "both" if by_old and by_new else "predecessor" if by_old else "successor" if by_new else "neither"
        sides[side] += 1
        if side in ("predecessor", "successor"):
            one_sided.append(OneSidedLink(old, new, side))
    stats.sides = {k: sides[k] for k in ("both", "predecessor", "successor", "neither")}
    stats.one_sided = len(one_sided)
    stats.one_sided_links = one_sided[:limit]
    return stats


# The steps of lineage_stats, in order, as its ``progress`` callback is told of them.
STEPS = ("reading the links", "reading the statuses", "analysing the lineages")


def lineage_stats(store, top: int = 10, limit: int = 50, as_of: dt.date | None = None,
                  progress: Callable[[str], None] | None = None) -> LineageStats:
    """Lineage analytics of the whole register held in ``store`` (two bulk SPARQL reads).

    :param store: an :class:`~certgraph.store.OxigraphStore` (or any store with ``query``).
    :param top: how many of the longest and of the largest lineages to list.
    :param limit: how many one-sided links and cycles to list (all are counted).
    :param as_of: the date of the statuses (default today).
    :param progress: called with each step of STEPS once it is done.
    """
    done = progress or (lambda step: None)
    links, historical, superseded = read_links(store)
    done(STEPS[0])
    statuses = read_statuses(store, as_of)
    done(STEPS[1])
    stats = analyse(links, statuses, top=top, limit=limit, historical_links=historical,
                    superseded_links=superseded, as_of=as_of)
    done(STEPS[2])
    return stats


# ------------------------------------------------------------------ text rendering

_SIZE_BUCKETS = ((2, 2), (3, 3), (4, 4), (5, 5), (6, 10), (11, 20), (21, 50), (51, 100), (101, None))


def _bucket_label(low: int, high: int | None) -> str:
    return f"{low}" if low == high else f"{low}+" if high is None else f"{low}-{high}"


def _members(fiches: list[str], width: int = 8) -> str:
    shown = " ".join(fiches[:width])
    return shown + (f" … (+{len(fiches) - width})" if len(fiches) > width else "")


def render_table(stats: LineageStats, rows: int = 10) -> str:
    """A plain-text report of ``stats`` for the terminal (lists cut at ``rows`` lines)."""
    out = [
        "Lineages of the register (dcterms:replaces, predecessor -> successor)",
        f"  lineages            {stats.lineages:>8,}",
        f"  fiches in lineages  {stats.fiches:>8,}",
        f"  links               {stats.links:>8,}",
        f"  historical links    {stats.historical_links:>8,}  (predecessor named by title only; left out)",
        f"  superseded links    {stats.superseded_links:>8,}  (contradicted by a newer register table; left out)",
        "",
        f"  {'kind':<8}{'lineages':>10}{'fiches':>10}",
    ]
    out += [f"  {k:<8}{stats.kinds[k]:>10,}{stats.kind_fiches[k]:>10,}" for k in KINDS]
    out.append("")
    for name, dist in (("fiches per lineage", stats.sizes), ("generations", stats.generations)):
        out.append(f"{name}: min {dist.min}, median {dist.median:g}, max {dist.max}")
    total = stats.lineages or 1
    out += ["", "  size     lineages"]
    for low, high in _SIZE_BUCKETS:
        count = sum(n for size, n in stats.sizes.histogram.items() if size >= low and (high is None or size <= high))
        if count:
            out.append(f"  {_bucket_label(low, high):<8}{count:>9,}  {'#' * max(1, round(40 * count / total))}")
    out += ["", f"Longest lineages (top {len(stats.longest)})", f"  {'gens':>4} {'size':>5} {'kind':<6} longest path"]
    out += [f"  {s.generations:>4} {s.size:>5} {s.kind:<6} {' -> '.join(s.longest_path)}" for s in stats.longest]
    out += ["", f"Largest lineages (top {len(stats.largest)})", f"  {'size':>5} {'gens':>4} {'kind':<6} fiches, oldest first"]
    out += [f"  {s.size:>5} {s.generations:>4} {s.kind:<6} {_members(s.fiches)}" for s in stats.largest]
    sides = stats.sides
    one_sided = (
        f"One-sided links: {stats.one_sided:,} of {stats.links:,} "
        f"(stated by the predecessor only: {sides.get('predecessor', 0):,}, "
        f"by the successor only: {sides.get('successor', 0):,}; by both: {sides.get('both', 0):,}, "
        f"by neither: {sides.get('neither', 0):,})"
    )
    out += ["", one_sided]
    out += [f"  {x.predecessor} -> {x.successor}  stated by the {x.side} only" for x in stats.one_sided_links[:rows]]
    if stats.one_sided > rows:
        out.append(f"  … {stats.one_sided - rows:,} more")
    states = ", ".join(f"{state} {n:,}" for state, n in stats.statuses.items())
    active = (
        f"Fiches with several successors in force on {stats.as_of}: {len(stats.in_force_splits):,} "
        f"(all branches in force: {sum(a.all_in_force for a in stats.in_force_splits):,}; "
        f"fiches of lineages by status on {stats.as_of}, from their reconciled dates: {states})"
    )
    out += ["", active]
    for split in stats.in_force_splits[:rows]:
        branches = ", ".join(f"{s}{'' if a else ' (not in force)' if a is False else ' (end date unknown)'}" for s, a in split.successors.items())
        out.append(f"  {split.fiche} -> {branches}")
    if len(stats.in_force_splits) > rows:
        out.append(f"  … {len(stats.in_force_splits) - rows:,} more")
    out += ["", f"Cycles: {len(stats.cycles):,}{'+' if stats.cycles_truncated else ''} in {stats.cyclic_lineages:,} lineages"]
    out += [f"  {' -> '.join([*c, c[0]])}" for c in stats.cycles[:rows]]
    return "\n".join(out) + "\n"


__all__ = [
    "KINDS",
    "ActiveSplit",
    "Distribution",
    "LineageStats",
    "LineageSummary",
    "OneSidedLink",
    "analyse",
    "lineage_kind",
    "lineage_stats",
    "read_statuses",
    "read_links",
    "render_table",
]
