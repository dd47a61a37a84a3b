"""Content negotiation for SPARQL results and RDF documents: Accept with q-values, and ``format``.

A SPARQL query's form (SELECT/ASK or CONSTRUCT/DESCRIBE) is known only once it is parsed, so the
choice is made for a form: :func:`choose` takes the form, the ``Accept`` header and the ``format``
(or ``output``) parameter that SPARQLWrapper and YASGUI send, and returns the media type to answer
with, or None when nothing acceptable can be produced (HTTP 406).
"""

from __future__ import annotations

from dataclasses import dataclass

import pyoxigraph as ox

# Results of SELECT and ASK, in the server's order of preference (the first is the default).
RESULT_TYPES = {
    "application/sparql-results+json": ox.QueryResultsFormat.JSON,
    "application/sparql-results+xml": ox.QueryResultsFormat.XML,
    "text/csv": ox.QueryResultsFormat.CSV,
    "text/tab-separated-values": ox.QueryResultsFormat.TSV,
    "application/json": ox.QueryResultsFormat.JSON,
    "application/xml": ox.QueryResultsFormat.XML,
}

# Results of CONSTRUCT and DESCRIBE, and RDF documents (linked-data pages, service description).
GRAPH_TYPES = {
    "text/turtle": ox.RdfFormat.TURTLE,
    "application/n-triples": ox.RdfFormat.N_TRIPLES,
    "application/ld+json": ox.RdfFormat.JSON_LD,
    "application/rdf+xml": ox.RdfFormat.RDF_XML,
    "application/trig": ox.RdfFormat.TRIG,
    "application/n-quads": ox.RdfFormat.N_QUADS,
    "text/plain": ox.RdfFormat.N_TRIPLES,
    "application/json": ox.RdfFormat.JSON_LD,
    "application/xml": ox.RdfFormat.RDF_XML,
}

FORMS = {"select": RESULT_TYPES, "ask": RESULT_TYPES, "graph": GRAPH_TYPES}

# Short names of the ``format``/``output`` parameter, per form ("xml" is RDF/XML for a graph).
SHORT_NAMES = {
    "json": ("application/sparql-results+json", "application/ld+json"),
    "xml": ("application/sparql-results+xml", "application/rdf+xml"),
    "csv": ("text/csv", None),
    "tsv": ("text/tab-separated-values", None),
    "turtle": (None, "text/turtle"),
    "ttl": (None, "text/turtle"),
    "n3": (None, "text/turtle"),
    "nt": (None, "application/n-triples"),
    "ntriples": (None, "application/n-triples"),
    "n-triples": (None, "application/n-triples"),
    "jsonld": (None, "application/ld+json"),
    "json-ld": (None, "application/ld+json"),
    "rdf": (None, "application/rdf+xml"),
    "rdfxml": (None, "application/rdf+xml"),
    "rdf+xml": (None, "application/rdf+xml"),
    "trig": (None, "application/trig"),
    "nquads": (None, "application/n-quads"),
}


@dataclass(frozen=True)
class MediaRange:
    """One entry of an Accept header: ``type/subtype`` (either may be ``*``) and its quality."""

    type: str
    subtype: str
    q: float

    def specificity(self, media_type: str) -> int:
        """How precisely this range names ``media_type``: 2 exact, 1 ``type/*``, 0 ``*/*``, -1 not at all."""
        main, _, sub = media_type.partition("/")
        if self.type == "*":
            return 0
        if self.type != main:
            return -1
        if self.subtype == "*":
            return 1
        return 2 if self.subtype == sub else -1


def parse_accept(header: str | None) -> list[MediaRange]:
    """The media ranges of an Accept header; malformed entries are skipped, no header means ``*/*``.

    >>> [(r.type, r.subtype, r.q) for r in parse_accept("text/csv;q=0.5, application/*")]
    [('text', 'csv', 0.5), ('application', '*', 1.0)]
    """
    if not header or not header.strip():
        return [MediaRange("*", "*", 1.0)]
    ranges = []
    for part in header.split(","):
        fields = [f.strip() for f in part.split(";")]
        main, _, sub = fields[0].lower().partition("/")
        if not main or not sub:
            continue
        q = 1.0
        for param in fields[1:]:
            name, _, value = param.partition("=")
            if name.strip().lower() == "q":
                try:
                    q = min(max(float(value), 0.0), 1.0)
                except ValueError:
                    q = 0.0
        ranges.append(MediaRange(main, sub, q))
    return ranges


def quality(ranges: list[MediaRange], media_type: str) -> float:
    """The q-value the most specific matching range gives ``media_type`` (0 when none matches)."""
    best, best_specificity = 0.0, -1
    for media_range in ranges:
        specificity = media_range.specificity(media_type)
        if specificity > best_specificity:
            best, best_specificity = media_range.q, specificity
    return best


def format_media_type(form: str, value: str) -> str | None:
    """The media type a ``format``/``output`` value asks for, for this query form (None: unknown).

    >>> format_media_type("graph", "xml"), format_media_type("select", "json")
    ('application/rdf+xml', 'application/sparql-results+json')
    """
    value = value.strip().lower()
    if "/" in value:
        media_type = value.split(";")[0].strip()
        return media_type if media_type in FORMS[form] else None
    names = SHORT_NAMES.get(value)
    if names is None:
        return None
    return names[1] if form == "graph" else names[0]


def choose(form: str, accept: str | None = None, format_param: str | None = None) -> str | None:
    """The media type to answer a ``form`` query with, or None when none is acceptable (406).

    An explicit ``format`` parameter wins over Accept; among equally acceptable types the server's
    order decides (JSON results, Turtle graphs).

    >>> choose("select", "text/html,application/xhtml+xml,*/*;q=0.8")
    'application/sparql-results+json'
    >>> choose("graph", "application/sparql-results+json;q=1, text/turtle;q=0.5")
    'text/turtle'
    >>> choose("select", "image/png") is None
    True
    """
    offered = FORMS[form]
    if format_param:
        return format_media_type(form, format_param)
    ranges = parse_accept(accept)
    best, best_q = None, 0.0
    for media_type in offered:
        q = quality(ranges, media_type)
        if q > best_q:
            best, best_q = media_type, q
    return best


def prefers_html(accept: str | None) -> bool:
    """Whether a client asks for HTML at least as much as for any RDF or results type (a browser).

    >>> prefers_html("text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8")
    True
    >>> prefers_html("text/turtle, text/html;q=0.5"), prefers_html("*/*"), prefers_html(None)
    (False, False, False)
    """
    if not accept:
        return False
    explicit = [r for r in parse_accept(accept) if r.type != "*" and r.subtype != "*"]
    html = max(quality(explicit, "text/html"), quality(explicit, "application/xhtml+xml"))
    if html == 0.0:
        return False
    rdf = max((quality(explicit, t) for t in (*GRAPH_TYPES, *RESULT_TYPES)), default=0.0)
    return html >= rdf
