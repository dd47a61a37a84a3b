"""Block maps along every current lineage link, as quads of the graph ``derived/block-maps``.

For each link old → new of the reconciled view whose two fiches both have blocks, one node per
:class:`certgraph.equivalence.blocks.BlockMapEntry` (method and kinds documented there)::

    id:block-map/RNCP28720/RNCP35080/renamed/RNCP28720BC04+RNCP35080BC04
        a cg:BlockMapEntry ; cg:kind "renamed" ;
        cg:predecessor id:rncp/28720 ; cg:successor id:rncp/35080 ;
        cg:oldBlock id:rncp/28720/bloc/RNCP28720BC04 ; cg:newBlock id:rncp/35080/bloc/RNCP35080BC04 ;
        cg:score 0.3427 ; cg:evidence "conduite projet accompagnement monter mettre" ;
        cg:method id:method/block-tfidf-register-v2 .

Computed, not stated by the register: the official correspondences stay in the sources' graphs.
"""

from __future__ import annotations

from decimal import Decimal
from urllib.parse import quote

from rdflib import Literal, URIRef
from rdflib.namespace import RDF, RDFS, XSD

from ..equivalence import blocks as blocks_module
from ..equivalence.blocks import METHOD, BlockMapEntry, BlockText, block_map, register_blocks, register_idf
from ..queries import internal_query
from ..store import lexical_rows
from ..vocab import BLOCK_MAP_GRAPH, CG, ID, Quad, block_iri, number_from_iri


def _node(old: str, new: str, entry: BlockMapEntry) -> URIRef:
    codes = "+".join(quote(code, safe="") for code in entry.old + entry.new)
    return ID[f"block-map/{old}/{new}/{entry.kind}/{codes}"]


def block_map_quads(store, idf: dict[str, float] | None = None, blocks: dict[str, list[BlockText]] | None = None,
                    links: list[tuple[str, str]] | None = None) -> list[Quad]:
    """The block map of every current lineage link (graph ``derived/block-maps``).

    :param store: any store holding the facts and the reconciled view (``derived/current``).
    :param idf: the register's block IDF (:func:`certgraph.equivalence.blocks.register_idf`); read
        from the store's blocks when not given.
    :param blocks: every fiche's blocks by fiche IRI (:func:`register_blocks`), if read already.
    :param links: the current lineage links (old IRI, new IRI), sorted
        (:func:`certgraph.equivalence.descriptors.stated_links`), if read already.
    :returns: the quads; links where a side has no blocks give none.
    """
    blocks = register_blocks(store) if blocks is None else blocks
    if idf is None:
        idf = register_idf(store, blocks)
    g = BLOCK_MAP_GRAPH
    method = ID[f"method/{METHOD}"]
    quads: list[Quad] = []
    if links is None:
        links = sorted(set(lexical_rows(store, internal_query("equivalence/links").bind())))
    for old_iri, new_iri in links:
        old, new = number_from_iri(old_iri), number_from_iri(new_iri)
        if not (old and new and blocks.get(old_iri) and blocks.get(new_iri)):
            continue
        for entry in block_map(blocks[old_iri], blocks[new_iri], idf):
            node = _node(old, new, entry)
            quads += [
                (node, RDF.type, CG.BlockMapEntry, g),
                (node, CG.kind, Literal(entry.kind), g),
                (node, CG.predecessor, URIRef(old_iri), g),
                (node, CG.successor, URIRef(new_iri), g),
                (node, CG.method, method, g),
            ]
            quads += [(node, CG.oldBlock, block_iri(old, code), g) for code in entry.old]
            quads += [(node, CG.newBlock, block_iri(new, code), g) for code in entry.new]
            if entry.score is not None:
                quads.append((node, CG.score, Literal(Decimal(str(entry.score)), datatype=XSD.decimal), g))
            if entry.evidence:
                quads.append((node, CG.evidence, Literal(" ".join(entry.evidence)), g))
    if quads:
        quads += [
            (method, RDF.type, CG.SimilarityMethod, g),
            (method, RDFS.label, Literal(METHOD), g),
            (method, RDFS.comment, Literal(" ".join((blocks_module.__doc__ or "").split()), lang="en"), g),
        ]
    return quads


__all__ = ["block_map_quads"]
