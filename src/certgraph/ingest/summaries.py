"""Counts over the whole graph, computed once at build time into the derived graph ``graph/derived/summary``.

An aggregate over the whole register (how many fiches, blocks, organisations...) costs a scan of
hundreds of thousands of quads on every call; stored once as VoID class partitions, it is a lookup
for the named queries that report it (``stats/overview``).
"""

from __future__ import annotations

import hashlib

from rdflib import Literal, Namespace, URIRef
from rdflib.namespace import RDF, XSD

from ..queries import internal_query
from ..vocab import ID, SUMMARY_GRAPH, Quad

VOID = Namespace("http://rdfs.org/ns/void#")
SUMMARY = ID["summary"]



def summary_quads(store) -> list[Quad]:
    """The summary of ``store`` (any store with ``query(text)``): one VoID class partition per class.

    Call it once everything else is loaded (facts, ontology, derived similarity), add the quads to
    the store and to its dump; they describe the store as it is then (run again on a changed store,
    drop the graph first: a count that changed would otherwise be stored twice).

    :returns: quads in the graph ``SUMMARY_GRAPH``: ``<summary> void:classPartition ?p`` and, for each
        partition, ``void:class`` and ``void:entities`` (an ``xsd:integer``).
    """
    g = SUMMARY_GRAPH
    quads: list[Quad] = [(SUMMARY, RDF.type, VOID.Dataset, g)]
    for row in sorted(store.query(internal_query("build/class-counts").bind()).rows, key=lambda row: str(row["class"])):
        cls = URIRef(str(row["class"]))
        partition = ID[f"summary/class/{hashlib.sha1(str(cls).encode()).hexdigest()[:12]}"]
        quads += [
            (SUMMARY, VOID.classPartition, partition, g),
            (partition, VOID["class"], cls, g),
            (partition, VOID.entities, Literal(int(row["entities"].toPython()), datatype=XSD.integer), g),
        ]
    return quads


__all__ = ["SUMMARY_GRAPH", "summary_quads"]
