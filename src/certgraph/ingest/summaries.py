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
from ..vocab import CG, ID, STORE_FORMAT, SUMMARY_GRAPH, Quad

VOID = Namespace("http://rdfs.org/ns/void#")
SUMMARY = ID["summary"]



def summary_quads(store) -> list[Quad]:
    """The summary of ``store`` (any store with ``query(text)``): one VoID class partition per class.

    Call it once everything else is loaded (facts, ontology, derived similarity), add the quads to
    the store and to its dump; they describe the store as it is then (run again on a changed store,
    drop the graph first: a count that changed would otherwise be stored twice).

    :returns: quads in the graph ``SUMMARY_GRAPH``: ``<summary> void:classPartition ?p`` and, for each
        partition, ``void:class`` and ``void:entities`` (an ``xsd:integer``); for the RNCP and RS
        classes, a ``void:propertyPartition`` for the title and the level, whose
        ``void:distinctSubjects`` counts the fiches having one in the reconciled view (the coverage
        ``stats/overview`` reports).
    """
    g = SUMMARY_GRAPH
    quads: list[Quad] = [(SUMMARY, RDF.type, VOID.Dataset, g),
                         (SUMMARY, CG.storeFormat, Literal(STORE_FORMAT, datatype=XSD.integer), g)]
    for row in sorted(store.query(internal_query("build/class-counts").bind()).rows, key=lambda row: str(row["class"])):
        cls = URIRef(str(row["class"]))
        partition = _partition("class", cls)
        quads += [
            (SUMMARY, VOID.classPartition, partition, g),
            (partition, VOID["class"], cls, g),
            (partition, VOID.entities, Literal(int(row["entities"].toPython()), datatype=XSD.integer), g),
        ]
    coverage = store.query(internal_query("build/coverage-counts").bind()).rows
    for row in sorted(coverage, key=lambda row: (str(row["class"]), str(row["property"]))):
        cls, prop = URIRef(str(row["class"])), URIRef(str(row["property"]))
        partition = _partition("property", cls, prop)
        quads += [
            (_partition("class", cls), VOID.propertyPartition, partition, g),
            (partition, VOID.property, prop, g),
            (partition, VOID.distinctSubjects, Literal(int(row["subjects"].toPython()), datatype=XSD.integer), g),
        ]
    return quads


def _partition(kind: str, *terms: URIRef) -> URIRef:
    return ID[f"summary/{kind}/{hashlib.sha1(' '.join(terms).encode()).hexdigest()[:12]}"]


__all__ = ["SUMMARY_GRAPH", "summary_quads"]
