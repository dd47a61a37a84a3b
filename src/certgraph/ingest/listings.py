"""The sort keys of the paged listings, written once at build time into the graph ``graph/derived/listings``.

A listing (``fiche/by-level``, ``fiche/by-certifier``, ``codes/by-nsf``, ``codes/by-rome``,
``codes/by-formacode``, and ``occupations/fiches-of-esco`` through the ROME codes) shows its rows
in number order: RNCP before RS, then the number as an integer, then the code. Computing that
order from each fiche's IRI costs a few microseconds a row, which a broad listing (a level, an NSF
domain: 10,000 to 30,000 rows on a 40,000-fiche register) paid before it could cut its first page.
Here each row of a listing is an integer whose order is the row's, ``<what lists it>
cg:listingKey <key>``: a page is the smallest keys of one subject, sorted without decoding any IRI.
Its decimal digits say the row: one digit for the register (1 RNCP, 2 RS), seven for the number,
four for the code's rank among the codes fiches carry, in code order (0 for a level or a
certifier). The page's rows are then found again by lookups on stored terms, which every engine
answers from its indexes: ``<fiche> cg:listedAs <key>`` for the fiche (one per fiche, one per code
it carries), ``<concept> cg:listingCodeKey <rank>`` for the code. (Joining on an IRI computed from
the digits instead made Oxigraph scan the whole graph: 90 ms a page.)
"""

from __future__ import annotations

from collections.abc import Iterator

from rdflib.namespace import XSD

from ..equivalence.descriptors import broader_codes
from ..errors import CertgraphError
from ..queries import internal_query
from ..records import Problem
from ..store import lexical_rows
from ..vocab import CG, FICHE_IRI, LISTING_GRAPH, number_from_iri

REGISTERS = {"rncp": 1, "rs": 2}
NUMBER_DIGITS, CODE_DIGITS = 7, 4


class ListingError(CertgraphError):
    """A fiche number or a count of codes too large for the listing keys' digits."""


def code_of(concept: str) -> str:
    """The code a concept IRI ends with (``.../id/nsf/332n`` -> ``332n``), as the listings show it."""
    return concept.rsplit("/", 1)[-1]


def listing_key(fiche: str, code_rank: int = 0) -> int | None:
    """The sort key of a listing's row: register, number, code rank; None for an IRI not a fiche's.

    >>> listing_key("https://w3id.org/certgraph/id/rncp/35080", 12)
    100350800012
    >>> listing_key("https://w3id.org/certgraph/id/rs/5000") > listing_key("https://w3id.org/certgraph/id/rncp/41296")
    True
    >>> listing_key("https://w3id.org/certgraph/id/snapshot/2026-02-01/rncp/35080") is None
    True
    """
    match = FICHE_IRI.fullmatch(fiche)
    if not match:
        return None
    number = int(match.group(2))
    if number >= 10**NUMBER_DIGITS or code_rank >= 10**CODE_DIGITS:
        raise ListingError(f"{fiche}: number or code rank {code_rank} beyond the listing keys' digits")
    return (REGISTERS[match.group(1)] * 10**NUMBER_DIGITS + number) * 10**CODE_DIGITS + code_rank


CODE_PROPERTIES = {str(CG.nsf), str(CG.rome), str(CG.formacode)}


def listing_lines(store, problems: list[Problem] | None = None) -> Iterator[str]:
    """The listing keys as N-Quads lines (``store``: anything :func:`~certgraph.store.lexical_rows`
    reads, holding the reconciled view and the hierarchy). Lines, not terms: a register has a million.

    A row whose number or code rank does not fit the keys' digits is left out of the listings (the
    fiche stays in the graph) and reported in ``problems``, once per fiche.
    """
    # Levels, certifiers and codes are IRIs; anything else (a blank node) could not be written here.
    values = [row for row in lexical_rows(store, internal_query("build/listing-values").bind())
              if row[2].startswith("http")]
    broader = broader_codes(store)
    concepts = sorted({value for prop, _fiche, value in values if prop in CODE_PROPERTIES})
    ranks = {code: rank for rank, code in enumerate(sorted({code_of(c) for c in concepts}), start=1)}
    end, integer = f"<{LISTING_GRAPH}> .\n", f"^^<{XSD.integer}>"
    for concept in concepts:
        yield f'<{concept}> <{CG.listingCodeKey}> "{ranks[code_of(concept)]}"{integer} {end}'
    rows, fiches, unlisted = set(), set(), set()
    for prop, fiche, value in values:
        code = prop in CODE_PROPERTIES
        try:
            key = listing_key(fiche, ranks[code_of(value)] if code else 0)
        except ListingError as exc:
            if problems is not None and fiche not in unlisted:
                problems.append(Problem("graph/derived/listings", f"left out of the listings: {exc}",
                                        fiche=number_from_iri(fiche)))
            unlisted.add(fiche)
            continue
        if key is None:
            continue
        fiches.add((fiche, key))
        # A code is listed under itself and every broader code (the hierarchy has every code in use).
        rows.update((above, key) for above in (broader.get(value) or {value} if code else {value}))
    for fiche, key in sorted(fiches):
        yield f'<{fiche}> <{CG.listedAs}> "{key}"{integer} {end}'
    for listed, key in sorted(rows):
        yield f'<{listed}> <{CG.listingKey}> "{key}"{integer} {end}'
