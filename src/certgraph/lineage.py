"""Lineage of a certification as a DAG: members, replaces links (with who asserted them), registrations.

The data comes from named queries only, so the same code works on any store that answers them.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import networkx as nx

from .queries import NamedQuery, run_named
from .status import Status, as_bool, as_date
from .store import to_python


@dataclass
class Member:
    """One certification of the lineage, with its reconciled fields and its status on ``as_of``.

    ``active`` is the newest source's own flag, true as of ``active_as_of`` (that source's date);
    ``status`` says whether the fiche is in force on the lineage's date, from its dates.
    """

    iri: str
    number: str | None
    title: str | None
    level: str | None
    end_date: dt.date | None
    active: bool | None
    effect_date: dt.date | None = None
    active_as_of: dt.date | None = None
    certifier: str | None = None
    as_of: dt.date | None = None
    registrations: list[dict] = field(default_factory=list)

    @property
    def status(self) -> Status:
        """The fiche's status on the lineage's date."""
        return Status(self.as_of or dt.date.today(), self.effect_date, self.end_date, self.active, self.active_as_of)

    @property
    def name(self) -> str:
        """The number, or the title for an unnumbered historical certification."""
        return self.number or (self.title or self.iri)


@dataclass
class Lineage:
    """The connected lineage of a fiche: a DiGraph whose edges run from predecessor to successor."""

    fiche: str
    graph: nx.DiGraph
    members: dict[str, Member]
    as_of: dt.date = field(default_factory=dt.date.today)
    # Links a newer register table contradicts: (predecessor, successor) IRIs, who asserted them,
    # and the graph of the table that supersedes them. History, not part of ``graph``.
    superseded: list[tuple[str, str, list[str], str]] = field(default_factory=list)
    # The current equivalents on ``as_of`` (lineage/current), as members.
    current: list[Member] = field(default_factory=list)

    def ordered(self) -> list[Member]:
        """Members from oldest to newest: topological order, ties broken by end date then number."""
        def key(iri: str):
            m = self.members[iri]
            return (str(m.end_date or "9999"), m.number or "")

        try:
            order = list(nx.lexicographical_topological_sort(self.graph, key=key))
        except nx.NetworkXUnfeasible:  # a cycle in the register's data: the validator reports it
            order = sorted(self.graph.nodes, key=key)
        return [self.members[iri] for iri in order]

    def successors(self, member: Member) -> list[tuple[Member, list[str]]]:
        """The members replacing ``member``, each with the fiches that asserted the link."""
        return [
            (self.members[target], sorted(self.graph.edges[member.iri, target]["asserted_by"]))
            for target in sorted(self.graph.successors(member.iri), key=lambda t: self.members[t].name)
        ]


def lineage(store, queries: dict[str, NamedQuery], fiche: str, as_of: dt.date | None = None) -> Lineage:
    """Fetch the connected lineage of ``fiche`` with the ``lineage/*`` named queries.

    Statuses and the current equivalents are for ``as_of`` (default: today). Only the current
    links make the graph; superseded links are listed apart.
    """
    as_of = as_of or dt.date.today()
    params = {"fiche": fiche}
    graph = nx.DiGraph()
    members: dict[str, Member] = {}
    for row in run_named(store, queries["lineage/members"], params).rows:
        iri = str(row["member"])
        value = lambda key: to_python(row.get(key))
        members[iri] = Member(
            iri, value("number"), value("title"), value("level"), as_date(value("endDate")), as_bool(value("active")),
            effect_date=as_date(value("effectDate")), active_as_of=as_date(value("activeAsOf")),
            certifier=value("certifier"), as_of=as_of,
        )
        graph.add_node(iri)
    superseded: dict[tuple[str, str], tuple[set[str], str]] = {}
    for row in run_named(store, queries["lineage/links"], params).rows:
        old, new = str(row["predecessor"]), str(row["successor"])
        if "supersededBy" in row:
            asserted, _ = superseded.setdefault((old, new), (set(), str(row["supersededBy"])))
            if "assertedBy" in row:
                asserted.add(str(row["assertedBy"]))
            continue
        if old not in members or new not in members:
            continue
        if not graph.has_edge(old, new):
            graph.add_edge(old, new, asserted_by=set(), sources=set())
        if "assertedBy" in row:
            graph.edges[old, new]["asserted_by"].add(str(row["assertedBy"]))
        graph.edges[old, new]["sources"].add(str(row["source"]))
    by_number = {m.number: m for m in members.values() if m.number}
    for row in run_named(store, queries["lineage/registrations"], params).rows:
        member = by_number.get(str(row.get("number")))
        if member is not None:
            member.registrations.append({k: str(to_python(v)) for k, v in row.items()})
    dated = {"fiche": fiche, "asOf": as_of.isoformat()}
    current = [members[str(row["current"])] for row in run_named(store, queries["lineage/current"], dated).rows
               if str(row["current"]) in members]
    return Lineage(
        fiche, graph, members, as_of,
        superseded=[(old, new, sorted(asserted), by) for (old, new), (asserted, by) in sorted(superseded.items())],
        current=current,
    )
