"""The code lists' hierarchies, closed once at build time into the graph ``graph/derived/hierarchy``.

``cg:broaderOrSelf`` links every ROME, NSF and Formacode code a fiche carries to itself (even when its
code list does not have it) and to every concept above it: the reflexive and transitive closure of
``skos:broader``, kept to the codes fiches carry, the only ones a query for fiches can reach (a few
thousand codes on the whole register, instead of every concept of the code lists). "The fiches
with this code or any narrower one" is then one triple pattern, answered alike by every engine.
Written as the property path ``?concept skos:broader* ?code`` it is not: Virtuoso 7.2 loses rows of
zero-or-more paths under ORDER BY with a FILTER (the paged ``codes/*`` queries), and fails such a
path with both ends unbound ("transitive start not given").
"""

from __future__ import annotations

import networkx as nx

from ..queries import internal_query
from ..vocab import CG, HIERARCHY_GRAPH, Quad


def _iris(store, sparql: str):
    result = store.query(sparql)
    for row in result.rows:
        yield tuple(row[v] for v in result.variables)


def hierarchy_quads(store) -> list[Quad]:
    """``(code, cg:broaderOrSelf, ancestor, HIERARCHY_GRAPH)`` for every code a fiche carries and
    every ancestor of it, itself included (``store``: anything with ``query``)."""
    above = nx.DiGraph()
    above.add_edges_from(_iris(store, internal_query("build/broader").bind()))
    carried = sorted(code for (code,) in _iris(store, internal_query("build/codes-in-use").bind()))
    above.add_nodes_from(carried)
    quads = []
    for concept in carried:
        for ancestor in sorted(nx.descendants(above, concept) | {concept}):
            quads.append((concept, CG.broaderOrSelf, ancestor, HIERARCHY_GRAPH))
    return quads


__all__ = ["HIERARCHY_GRAPH", "hierarchy_quads"]
