"""What the graph says of one fiche (``certgraph show``) and of itself (``certgraph stats``).

Both read the named queries, so the CLI, a notebook and the web pages get the same answer.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass

from rdflib import BNode, URIRef

from .queries import NamedQuery, load_queries, run_named
from .status import Status
from .store import to_python


@dataclass
class FicheOverview:
    """A fiche on a date: its status, every source's value of every field, its blocks.

    ``values`` are the rows of ``fiche/summary`` (field, value, source, issued, reconciled: the
    reconciled value is the newest source's), ``blocks`` those of ``fiche/blocks``.
    """

    number: str
    day: dt.date
    status: Status
    values: list[dict]
    blocks: list[dict]

    def to_json(self) -> dict:
        return {
            "fiche": self.number, "asOf": self.day.isoformat(), "inForce": self.status.in_force,
            "status": self.status.describe(self.day),
            "values": [{k: to_python(v) for k, v in row.items()} for row in self.values],
        }


def fiche_overview(
    store, number: str, day: dt.date, queries: dict[str, NamedQuery] | None = None, blocks: bool = True
) -> FicheOverview | None:
    """What ``store`` says of fiche ``number`` on ``day``; None when it says nothing.

    ``blocks=False`` leaves the blocks out (``[]``): one query fewer for a caller that shows none.
    """
    queries = queries or load_queries()
    rows = run_named(store, queries["fiche/summary"], {"fiche": number, "asOf": day.isoformat()}).rows
    if not rows:
        return None
    _order_by(rows, "field", "value", "source")
    status = Status.of(day, {str(r["field"]): (to_python(r["value"]), to_python(r.get("issued")))
                             for r in rows if to_python(r.get("reconciled")) is True})
    found = run_named(store, queries["fiche/blocks"], {"fiche": number}).rows if blocks else []
    _order_by(found, "code", "position", "competency")
    return FicheOverview(number, day, status, rows, found)


def _order_by(rows: list[dict], *columns: str) -> None:
    """Sort ``rows`` as the query's ``ORDER BY`` of ``columns`` does, again here: Virtuoso has been
    seen to return one row of a grouped result out of its order, and a fiche must read the same
    from every engine."""
    rows.sort(key=lambda row: tuple(_term_order(row.get(column)) for column in columns))


def _term_order(term) -> tuple:
    """A term's place in SPARQL's ORDER BY as the embedded store orders ``fiche/summary`` and
    ``fiche/blocks`` (checked on every fiche of the demo graph): unbound, blank nodes, IRIs, then
    literals, booleans and numbers by value, dates, then other literals by their text.

    >>> from rdflib import Literal
    >>> [str(t) for t in sorted([Literal("b"), URIRef("urn:x"), Literal(10), Literal(9)], key=_term_order)]
    ['urn:x', '9', '10', 'b']
    """
    if term is None:
        return (0,)
    if isinstance(term, BNode):
        return (1, str(term))
    if isinstance(term, URIRef):
        return (2, str(term))
    value = term.toPython()
    if isinstance(value, bool):
        return (3, 0, value)
    if isinstance(value, (int, float)):
        return (3, 1, value)
    if isinstance(value, dt.datetime):
        return (3, 3, value.isoformat())
    if isinstance(value, dt.date):
        return (3, 2, value)
    return (3, 4, str(term), term.language or "", str(term.datatype or ""))


def register_counts(store, day: dt.date, queries: dict[str, NamedQuery] | None = None) -> dict[str, int]:
    """Quads, graphs, certifications, links, titles, levels, conflicts and statuses on ``day``.

    Titles, levels and statuses are the reconciled ones; statuses come from the fiches' dates.
    """
    queries = queries or load_queries()
    counts = {"quads": len(store), "named graphs": len(store.named_graphs())}
    for row in run_named(store, queries["stats/overview"]).rows:
        counts[str(row["what"])] = int(to_python(row["count"]))
    from .lineage_stats import read_statuses  # with networkx, which `show` does not need

    states = Counter(read_statuses(store, day).values())
    for state, words in (("in-force", "in force"), ("not-yet", "not yet in force"), ("ended", "ended")):
        counts[f"certifications {words} on {day} (by their dates)"] = states[state]
    total = counts.get("RNCP certifications", 0) + counts.get("RS certifications", 0)
    counts["certifications whose end date no source gives"] = total - sum(states.values())
    return counts
