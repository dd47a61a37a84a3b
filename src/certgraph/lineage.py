"""Lineage of a certification as a DAG: members, replaces links (with who asserted them), registrations.

The data comes from named queries only, so the same code works on any store that answers them.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import networkx as nx

from .queries import NamedQuery, run_named
from .store import to_python


@dataclass
class Member:
    """One certification of the lineage."""

    iri: str
    number: str | None
    title: str | None
    level: str | None
    end_date: str | None
    active: str | None
    registrations: list[dict] = field(default_factory=list)

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

    def ordered(self) -> list[Member]:
        """Members from oldest to newest: topological order, ties broken by end date then number."""
        def key(iri: str):
            m = self.members[iri]
            return (m.end_date or "9999", m.number or "")

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


def lineage(store, queries: dict[str, NamedQuery], fiche: str) -> Lineage:
    """Fetch the connected lineage of ``fiche`` with the ``lineage/*`` named queries."""
    params = {"fiche": fiche}
    graph = nx.DiGraph()
    members: dict[str, Member] = {}
    for row in run_named(store, queries["lineage/members"], params).rows:
        iri = str(row["member"])
        members[iri] = Member(iri, *(to_python(row.get(k)) for k in ("number", "title", "level", "endDate", "active")))
        graph.add_node(iri)
    for row in run_named(store, queries["lineage/links"], params).rows:
        old, new = str(row["predecessor"]), str(row["successor"])
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
    return Lineage(fiche, graph, members)
