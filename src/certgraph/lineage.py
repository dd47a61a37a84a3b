"""Lineage of a certification as a DAG: members, replaces links (with who asserted them), registrations.

The data comes from named queries only, so the same code works on any store that answers them.
Values are typed (``level`` an int, ``active`` a bool, dates ``datetime.date``); the links are kept
as a dict, and networkx (slow to import) is loaded only when ``Lineage.graph`` is asked for.
"""

from __future__ import annotations

import datetime as dt
import heapq
from dataclasses import dataclass, field
from functools import cached_property

from .queries import NamedQuery, python_row, run_named
from .status import Status, as_bool, as_date


@dataclass
class Member:
    """One certification of the lineage, with its reconciled fields and its status on ``as_of``.

    ``active`` is the newest source's own flag, true as of ``active_as_of`` (that source's date);
    ``status`` says whether the fiche is in force on the lineage's date, from its dates.
    """

    iri: str
    number: str | None
    title: str | None
    level: int | None
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
    """The connected lineage of a fiche: its members and links, from predecessor to successor.

    ``links`` maps each (predecessor IRI, successor IRI) to its ``asserted_by`` and ``sources``
    sets; ``graph`` is the same as a networkx DiGraph.
    """

    fiche: str
    links: dict[tuple[str, str], dict[str, set[str]]]
    members: dict[str, Member]
    as_of: dt.date = field(default_factory=dt.date.today)
    # Links a newer register table contradicts: (predecessor, successor) IRIs, who asserted them,
    # and the graph of the table that supersedes them. History, not part of ``graph``.
    superseded: list[tuple[str, str, list[str], str]] = field(default_factory=list)
    # The current equivalents on ``as_of`` (lineage/current), as members.
    current: list[Member] = field(default_factory=list)

    @cached_property
    def graph(self):
        """The lineage as a networkx DiGraph (edges carry ``asserted_by`` and ``sources``)."""
        import networkx as nx

        graph = nx.DiGraph()
        graph.add_nodes_from(self.members)
        for (old, new), attributes in self.links.items():
            graph.add_edge(old, new, **attributes)
        return graph

    def ordered(self) -> list[Member]:
        """Members from oldest to newest: topological order, ties broken by end date then number.

        With a cycle in the register's data (the validator reports it), the members by that key alone.
        """
        def key(iri: str):
            m = self.members[iri]
            return (str(m.end_date or "9999"), m.number or "", iri)

        waiting = {iri: 0 for iri in self.members}
        for _old, new in self.links:
            waiting[new] += 1
        ready = [key(iri) for iri, count in waiting.items() if count == 0]
        heapq.heapify(ready)
        order = []
        while ready:
            iri = heapq.heappop(ready)[-1]
            order.append(iri)
            for target in self._targets(iri):
                waiting[target] -= 1
                if waiting[target] == 0:
                    heapq.heappush(ready, key(target))
        if len(order) < len(self.members):
            order = sorted(self.members, key=key)
        return [self.members[iri] for iri in order]

    def _targets(self, iri: str) -> list[str]:
        return [new for old, new in self.links if old == iri]

    def successors(self, member: Member) -> list[tuple[Member, list[str]]]:
        """The members replacing ``member``, each with the fiches that asserted the link."""
        return [
            (self.members[target], sorted(self.links[member.iri, target]["asserted_by"]))
            for target in sorted(self._targets(member.iri), key=lambda t: self.members[t].name)
        ]


def lineage(store, queries: dict[str, NamedQuery], fiche: str, as_of: dt.date | None = None) -> Lineage:
    """Fetch the connected lineage of ``fiche`` with the ``lineage/*`` named queries.

    Statuses and the current equivalents are for ``as_of`` (default: today). Only the current
    links make the graph; superseded links are listed apart.
    """
    as_of = as_of or dt.date.today()
    params = {"fiche": fiche}
    links: dict[tuple[str, str], dict[str, set[str]]] = {}
    members: dict[str, Member] = {}
    query = queries["lineage/members"]
    for row in run_named(store, query, params).rows:
        value = python_row(row, query.columns).get
        members[value("member")] = Member(
            value("member"), value("number"), value("title"), value("level"), as_date(value("endDate")),
            as_bool(value("active")), effect_date=as_date(value("effectDate")), active_as_of=as_date(value("activeAsOf")),
            certifier=value("certifier"), as_of=as_of,
        )
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
        link = links.setdefault((old, new), {"asserted_by": set(), "sources": set()})
        if "assertedBy" in row:
            link["asserted_by"].add(str(row["assertedBy"]))
        link["sources"].add(str(row["source"]))
    by_number = {m.number: m for m in members.values() if m.number}
    for row in run_named(store, queries["lineage/registrations"], params).rows:
        member = by_number.get(str(row.get("number")))
        if member is not None:
            member.registrations.append(python_row(row, queries["lineage/registrations"].columns))
    dated = {"fiche": fiche, "asOf": as_of.isoformat()}
    current = [members[str(row["current"])] for row in run_named(store, queries["lineage/current"], dated).rows
               if str(row["current"]) in members]
    return Lineage(
        fiche, links, members, as_of,
        superseded=[(old, new, sorted(asserted), by) for (old, new), (asserted, by) in sorted(superseded.items())],
        current=current,
    )
