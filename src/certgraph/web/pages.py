"""Linked-data HTML pages: one self-contained page per certgraph resource, read through SPARQL.

The endpoint calls :func:`resource_page` with the resource's IRI and a ``run`` coroutine that answers
SPARQL with parsed SPARQL 1.1 JSON results. A page is built in two rounds of concurrent queries: what
the resource is (its types, its own statements, the named graphs stating them), then what its kind of
page shows (a fiche's blocks and lineage, a concept's fiches, an organisation's certifications…).

The resource's IRI enters a query only as an N-Triples term, after checking it is a plain absolute
IRI; named queries are bound through :meth:`NamedQuery.bind`. Every value reaching the page is
escaped. Pages load nothing from elsewhere: the stylesheet is inline and there is no script.
"""

from __future__ import annotations

import asyncio
import html
import re
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from datetime import date
from urllib.parse import quote

from rdflib import URIRef

from ..queries import NamedQuery
from ..status import Status, as_bool, as_date
from ..store import term_nt
from ..vocab import (
    CG,
    CURIES,
    EQF,
    ID,
    compact,
    fiche_iri,
    number_from_iri,
    sparql_prologue,
)

RunQuery = Callable[[str], Awaitable[dict]]
"""SPARQL text -> SPARQL 1.1 JSON results, parsed (``{"head": …, "results": {"bindings": […]}}``)."""

Term = dict  # one term of a SPARQL JSON result: {"type": "uri"|"literal"|"bnode", "value": …}
Row = dict  # one solution: variable name -> Term

ID_NS = str(ID)
CG_NS = str(CG)
EQF_NS = str(EQF)
RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
XSD_NS = "http://www.w3.org/2001/XMLSchema#"

def _expand(curie: str) -> str:
    prefix, local = curie.split(":", 1)
    return CURIES[prefix] + local


def _iris(curies: str) -> set[str]:
    """The IRIs of space-separated CURIEs."""
    return {_expand(curie) for curie in curies.split()}


SPARQL_PREFIXES = sparql_prologue("cg", "dcterms", "rdfs", "skos", "schema", "xkos", "xsd")

# A resource IRI may enter a query as <…> only if it is absolute and holds no character that could
# end or escape the IRI reference.
_SAFE_IRI = re.compile(r"https?://[^\x00-\x20<>\"{}|\\^`]+")

# Only a fiche has an IRI like .../id/rncp/35080: a snapshot's state of a fiche states its codes,
# level and certifiers too, and must not be counted as a fiche.
_FICHE_FILTER = """FILTER(REGEX(STRAFTER(STR(?fiche), "/id/"), "^(rncp|rs)/[0-9]+$"))"""

# Every list is cut here; one row more is fetched to know whether the list was cut.
PAGE_SIZE = 100


# ------------------------------------------------------------------ IRIs and escaping


def local_href(iri: str) -> str:
    """The link to a resource: this endpoint's page for a certgraph identifier, the IRI otherwise.

    >>> local_href("https://w3id.org/certgraph/id/rncp/35080")
    '/id/rncp/35080'
    >>> local_href("http://data.europa.eu/snb/eqf/7")
    'http://data.europa.eu/snb/eqf/7'
    """
    return "/id/" + iri[len(ID_NS) :] if iri.startswith(ID_NS) else iri


def esc(text: object) -> str:
    """Text escaped for HTML content and attribute values (quotes included).

    >>> esc('<script>alert("x")</script>')
    '&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;'
    """
    return html.escape(str(text), quote=True)


def link(iri: str, text: str | None = None, lang: str | None = None) -> str:
    """An ``<a>`` to the resource (its local page when it has one); a non-web IRI stays plain text.

    >>> link("https://w3id.org/certgraph/id/rome/K1403", "K1403")
    '<a href="/id/rome/K1403">K1403</a>'
    >>> link("javascript:alert(1)")
    '<span>javascript:alert(1)</span>'
    """
    # A link reading as its IRI may break anywhere rather than widen its table.
    css = ' class="url"' if text is None else ""
    text = compact(iri) if text is None else text
    lang_attr = f' lang="{esc(lang)}"' if lang else ""
    if not iri.startswith(("http://", "https://")):
        return f"<span{lang_attr}>{esc(text)}</span>"
    return f'<a{css} href="{esc(local_href(iri))}"{lang_attr}>{esc(text)}</a>'


def _sparql(template: str, this: str, **parts: str) -> str:
    """A page query: the prefixes, then ``template`` with <THIS> the resource's N-Triples term.

    ``parts`` replace ``%NAME%`` tokens with fixed SPARQL written in this module (never user text).
    """
    text = SPARQL_PREFIXES + template
    for name, part in parts.items():
        text = text.replace(f"%{name.upper()}%", part)
    return text.replace("<THIS>", this)


# ------------------------------------------------------------------ results


def _rows(results: dict) -> list[Row]:
    return results.get("results", {}).get("bindings", [])


def _v(row: Row, name: str) -> str | None:
    term = row.get(name)
    return term["value"] if term else None


def _int(row: Row, name: str) -> int:
    value = _v(row, name)
    return int(value) if value else 0


def _key(term: Term) -> tuple:
    return term["type"], term["value"], term.get("xml:lang"), term.get("datatype")


def _best_label(labels: list[Term], lang: str = "fr") -> Term | None:
    """The label in ``lang``, else one without a language, else English, else any; ties by text."""

    def rank(term: Term) -> tuple:
        tag = (term.get("xml:lang") or "").lower()
        order = 0 if tag == lang else 1 if not tag else 2 if tag == "en" else 3
        return order, term["value"]

    return min(labels, key=rank) if labels else None


@dataclass
class Facts:
    """The statements whose subject is the resource, each value once, and the labels of its IRI values."""

    values: dict[str, list[Term]] = field(default_factory=dict)
    labels: dict[str, list[Term]] = field(default_factory=dict)
    notations: dict[str, str] = field(default_factory=dict)
    cut: bool = False

    @classmethod
    def from_rows(cls, rows: list[Row], limit: int) -> Facts:
        """From the rows of FACTS (``limit`` rows mean the statements were cut)."""
        facts = cls(cut=len(rows) >= limit)
        seen: set[tuple] = set()
        for row in rows:
            predicate, value = row["p"]["value"], row["o"]
            if (predicate, _key(value)) not in seen:
                seen.add((predicate, _key(value)))
                facts.values.setdefault(predicate, []).append(value)
            if value["type"] == "uri":
                label = row.get("label")
                known = facts.labels.setdefault(value["value"], [])
                if label and all(_key(label) != _key(t) for t in known):
                    known.append(label)
                if "notation" in row:
                    facts.notations.setdefault(value["value"], row["notation"]["value"])
        return facts

    def get(self, curie: str) -> list[Term]:
        return self.values.get(_expand(curie), [])

    def texts(self, curie: str) -> list[str]:
        """The distinct lexical values of a property, sorted."""
        return sorted({term["value"] for term in self.get(curie)})

    def iris(self, curie: str) -> list[str]:
        return [term["value"] for term in self.get(curie) if term["type"] == "uri"]

    def label(self, iri: str, lang: str = "fr") -> Term | None:
        return _best_label(self.labels.get(iri, []), lang)

    def own_label(self) -> Term | None:
        """The resource's own name: title, preferred label, legal name or label."""
        for curie in ("dcterms:title", "skos:prefLabel", "schema:legalName", "rdfs:label"):
            label = _best_label(self.get(curie))
            if label is not None:
                return label
        return None


@dataclass
class Resource:
    """What the first round of queries tells about the resource a page is for."""

    iri: str
    term: str  # the IRI as an N-Triples term, for the page's queries
    types: set[str]
    facts: Facts
    sources: list[Row]
    is_graph: bool


# ------------------------------------------------------------------ queries

FACTS_LIMIT = 5000

CLASSIFY = """
SELECT DISTINCT ?type ?known ?graph WHERE {
  BIND(EXISTS { <THIS> ?p ?o } || EXISTS { ?s ?q <THIS> } || EXISTS { ?s <THIS> ?o } AS ?asNode)
  BIND(EXISTS { GRAPH <THIS> { ?gs ?gp ?go } } AS ?graph)
  BIND(?asNode || ?graph AS ?known)
  OPTIONAL { <THIS> a ?type }
}"""

# Each value once whatever graphs repeat it; IRI values come with their labels and notation. A
# fiche's partners (a national diploma has hundreds) have their own query, cut at PAGE_SIZE.
FACTS = f"""
SELECT DISTINCT ?p ?o ?label ?notation WHERE {{
  <THIS> ?p ?o .
  FILTER(?p != cg:partner)
  OPTIONAL {{ ?o skos:prefLabel|schema:legalName|dcterms:title|rdfs:label ?label }}
  OPTIONAL {{ ?o cg:number|skos:notation ?notation }}
}}
LIMIT {FACTS_LIMIT}"""

# The statements are counted per graph first, and only those few graphs are then described.
SOURCES = """
SELECT ?graph ?count (MIN(STR(?anyTitle)) AS ?title) (MIN(STR(?anyIssued)) AS ?issued)
       (MIN(STR(?anyPath)) AS ?path) (MIN(STR(?anyUpstream)) AS ?upstream)
WHERE {
  { SELECT ?graph (COUNT(*) AS ?count) WHERE { GRAPH ?graph { <THIS> ?p ?o } } GROUP BY ?graph }
  OPTIONAL { ?graph dcterms:title ?anyTitle }
  OPTIONAL { ?graph dcterms:issued ?anyIssued }
  OPTIONAL { ?graph cg:sourcePath ?anyPath }
  OPTIONAL { ?graph dcterms:source ?anyUpstream }
}
GROUP BY ?graph ?count
ORDER BY ?issued ?graph"""

# The cut is made before labels are looked up, and without sorting: a named graph is the source of
# thousands of lineage links, and sorting them all for the first 100 costs a third of a second on the
# register. The 100 shown are sorted. A label comes as "lang|text", so that the one label MIN picks
# keeps its own language.
INCOMING = f"""
SELECT ?s ?p (MIN(CONCAT(LANG(?anyLabel), "|", STR(?anyLabel))) AS ?label) (MIN(STR(?anyNotation)) AS ?notation)
WHERE {{
  {{ SELECT DISTINCT ?s ?p WHERE {{ ?s ?p <THIS> %EXCLUDE% }} LIMIT {PAGE_SIZE + 1} }}
  OPTIONAL {{ ?s dcterms:title|skos:prefLabel|schema:legalName|rdfs:label ?anyLabel }}
  OPTIONAL {{ ?s cg:number|skos:notation ?anyNotation }}
}}
GROUP BY ?s ?p
ORDER BY ?p ?s"""

# The first fiches reached through %PATH% (one property path ending at the resource), in number
# order, then their number and title; the cut comes first (see the listing named queries).
FICHE_LIST = f"""
SELECT ?fiche ?repertory ?digits (MIN(STR(?anyNumber)) AS ?number) (MIN(STR(?anyTitle)) AS ?title) WHERE {{
  {{
    SELECT DISTINCT ?fiche ?repertory ?digits WHERE {{
      ?fiche %PATH% <THIS> .
      {_FICHE_FILTER}
      BIND(STRBEFORE(STRAFTER(STR(?fiche), "/id/"), "/") AS ?repertory)
      BIND(xsd:integer(STRAFTER(STRAFTER(STR(?fiche), "/id/"), "/")) AS ?digits)
    }}
    ORDER BY ?repertory ?digits
    LIMIT {PAGE_SIZE}
  }}
  OPTIONAL {{ ?fiche cg:number ?anyNumber }}
  OPTIONAL {{ ?fiche dcterms:title ?anyTitle }}
}}
GROUP BY ?fiche ?repertory ?digits
ORDER BY ?repertory ?digits"""

CODE_PROPERTIES = "cg:rome|cg:nsf|cg:formacode|cg:eqfLevel|cg:level1969"

# Fiches having the concept itself, and having it or a narrower concept.
CONCEPT_FICHE_COUNTS = f"""
SELECT (COUNT(DISTINCT ?direct) AS ?directCount) (COUNT(DISTINCT ?fiche) AS ?allCount) WHERE {{
  ?concept skos:broader* <THIS> .
  ?fiche {CODE_PROPERTIES} ?concept .
  {_FICHE_FILTER}
  BIND(IF(?concept = <THIS>, ?fiche, ?nothing) AS ?direct)
}}"""

NARROWER = f"""
SELECT ?concept (MIN(STR(?anyNotation)) AS ?notation) (MIN(STR(?anyLabel)) AS ?label) WHERE {{
  {{ SELECT DISTINCT ?concept WHERE {{ ?concept skos:broader <THIS> }} ORDER BY ?concept LIMIT {PAGE_SIZE * 5 + 1} }}
  OPTIONAL {{ ?concept skos:notation ?anyNotation }}
  OPTIONAL {{ ?concept skos:prefLabel ?anyLabel FILTER(LANGMATCHES(LANG(?anyLabel), "fr")) }}
}}
GROUP BY ?concept
ORDER BY ?notation ?concept"""

SCHEME_COUNT = """
SELECT (COUNT(DISTINCT ?concept) AS ?count) WHERE { ?concept skos:inScheme <THIS> }"""

# Declared top concepts, or the concepts of the scheme that have no broader concept (MINUS: one
# anti-join, four times faster here than a FILTER NOT EXISTS per concept of the ROME's 12,804).
TOP_CONCEPTS = f"""
SELECT ?concept (MIN(STR(?anyNotation)) AS ?notation) (MIN(STR(?anyLabel)) AS ?label) WHERE {{
  {{
    SELECT DISTINCT ?concept WHERE {{
      {{ ?concept skos:topConceptOf <THIS> }}
      UNION {{ <THIS> skos:hasTopConcept ?concept }}
      UNION {{ ?concept skos:inScheme <THIS> MINUS {{ ?concept skos:broader ?broader }} }}
    }}
    ORDER BY ?concept
    LIMIT {PAGE_SIZE * 5 + 1}
  }}
  OPTIONAL {{ ?concept skos:notation ?anyNotation }}
  OPTIONAL {{ ?concept skos:prefLabel ?anyLabel FILTER(LANGMATCHES(LANG(?anyLabel), "fr")) }}
}}
GROUP BY ?concept
ORDER BY ?notation ?concept"""

ORG_FICHE_COUNT = f"""
SELECT (COUNT(DISTINCT ?fiche) AS ?count) WHERE {{ ?fiche cg:certifier <THIS> . {_FICHE_FILTER} }}"""

# Titles, competencies and assessment methods of every block; the fiche is written in each branch
# so that every branch starts from it.
FICHE_BLOCKS = """
SELECT ?block ?kind ?item (MIN(STR(?anyCode)) AS ?code) (MIN(STR(?anyText)) AS ?text) (MIN(?anyPosition) AS ?position)
WHERE {
  {
    ?block dcterms:isPartOf <THIS> .
    BIND("title" AS ?kind) BIND(?block AS ?item)
    OPTIONAL { ?block dcterms:title ?anyText }
  } UNION {
    ?block dcterms:isPartOf <THIS> ; cg:competency ?item .
    BIND("competency" AS ?kind)
    OPTIONAL { ?item rdfs:label ?anyText }
    OPTIONAL { ?item cg:position ?anyPosition }
  } UNION {
    ?block dcterms:isPartOf <THIS> ; cg:assessmentMethod ?anyText .
    BIND("assessment" AS ?kind) BIND(STR(?anyText) AS ?item)
  }
  OPTIONAL { ?block skos:notation ?anyCode }
}
GROUP BY ?block ?kind ?item
ORDER BY ?code ?kind ?position ?text"""

FICHE_CERTIFIERS = """
SELECT ?org (MIN(STR(?anyName)) AS ?name) (MIN(STR(?anySiret)) AS ?siret)
       (GROUP_CONCAT(DISTINCT STR(?anyActive); separator=" ") AS ?active) (MAX(?anyModified) AS ?modified)
WHERE {
  # The reconciled certifiers (graph derived/current), not every source's: an older table's certifier
  # stays in its own graph as history (fiche/summary lists it).
  { GRAPH <https://w3id.org/certgraph/graph/derived/current> { <THIS> cg:certifier ?org } }
  UNION {
    <THIS> cg:certifierRole ?role .
    ?role cg:organisation ?org .
    OPTIONAL { ?role cg:active ?anyActive }
    OPTIONAL { ?role dcterms:modified ?anyModified }
  }
  OPTIONAL { ?org schema:legalName|rdfs:label ?anyName }
  OPTIONAL { ?org cg:siret ?anySiret }
}
GROUP BY ?org
ORDER BY ?name ?org"""

FICHE_PARTNERS = f"""
SELECT ?org (MIN(STR(?anyName)) AS ?name) (MIN(STR(?anySiret)) AS ?siret) (MIN(STR(?anyType)) AS ?type)
       (GROUP_CONCAT(DISTINCT STR(?anyActive); separator=" ") AS ?active)
WHERE {{
  {{ SELECT DISTINCT ?habilitation ?org WHERE {{ <THIS> cg:partner ?habilitation . ?habilitation cg:organisation ?org }}
     ORDER BY ?org LIMIT {PAGE_SIZE + 1} }}
  OPTIONAL {{ ?habilitation cg:habilitationType ?anyType }}
  OPTIONAL {{ ?habilitation cg:active ?anyActive }}
  OPTIONAL {{ ?org schema:legalName|rdfs:label ?anyName }}
  OPTIONAL {{ ?org cg:siret ?anySiret }}
}}
GROUP BY ?org
ORDER BY ?name ?org"""

# Official correspondences (XKOS) stated by the fiche or by another fiche towards it: one row per
# block (or whole fiche) on each side of each association.
FICHE_CORRESPONDENCES = """
SELECT DISTINCT ?correspondence ?other ?otherNumber ?asserter ?association ?from ?fromCode ?to ?toCode WHERE {
  ?correspondence a xkos:Correspondence ; xkos:compares <THIS> , ?other .
  FILTER(?other != <THIS>)
  OPTIONAL { ?other cg:number ?otherNumber }
  OPTIONAL { ?correspondence cg:assertedBy/cg:number ?asserter }
  OPTIONAL {
    ?correspondence xkos:madeOf ?association .
    OPTIONAL { ?association xkos:sourceConcept ?from OPTIONAL { ?from skos:notation|cg:number ?fromCode } }
    OPTIONAL { ?association xkos:targetConcept ?to OPTIONAL { ?to skos:notation|cg:number ?toCode } }
  }
}
ORDER BY ?otherNumber ?association"""

BLOCK_CORRESPONDENCES = """
SELECT DISTINCT ?correspondence ?asserter ?association ?from ?fromCode ?to ?toCode WHERE {
  ?association xkos:sourceConcept|xkos:targetConcept <THIS> .
  ?correspondence xkos:madeOf ?association .
  OPTIONAL { ?correspondence cg:assertedBy/cg:number ?asserter }
  OPTIONAL { ?association xkos:sourceConcept ?from OPTIONAL { ?from skos:notation|cg:number ?fromCode } }
  OPTIONAL { ?association xkos:targetConcept ?to OPTIONAL { ?to skos:notation|cg:number ?toCode } }
}
ORDER BY ?association"""

BLOCK_COMPETENCIES = """
SELECT ?competency (MIN(STR(?anyText)) AS ?text) (MIN(?anyPosition) AS ?position) WHERE {
  <THIS> cg:competency ?competency .
  OPTIONAL { ?competency rdfs:label ?anyText }
  OPTIONAL { ?competency cg:position ?anyPosition }
}
GROUP BY ?competency
ORDER BY ?position ?text"""

BLOCK_SIMILAR = """
SELECT ?other (MIN(STR(?anyCode)) AS ?code) (MIN(STR(?anyTitle)) AS ?title) (MIN(?anyFiche) AS ?fiche)
       (MAX(?anyScore) AS ?score) (MAX(STR(?anyAligned)) AS ?aligned)
WHERE {
  ?assessment cg:left|cg:right <THIS> ; cg:left|cg:right ?other ; cg:score ?anyScore .
  FILTER(?other != <THIS>)
  OPTIONAL { ?assessment cg:aligned ?anyAligned }
  OPTIONAL { ?other skos:notation ?anyCode }
  OPTIONAL { ?other dcterms:title ?anyTitle }
  OPTIONAL { ?other dcterms:isPartOf ?anyFiche }
}
GROUP BY ?other
ORDER BY DESC(?score) ?code
LIMIT 20"""

GRAPH_SIZE = """
SELECT (COUNT(*) AS ?count) WHERE { GRAPH <THIS> { ?s ?p ?o } }"""


def _incoming(this: str, exclude: str = "") -> str:
    """INCOMING without the properties ``exclude`` names (space-separated CURIEs)."""
    curies = ", ".join(exclude.split())
    return _sparql(INCOMING, this, exclude=f"FILTER(?p NOT IN ({curies}))" if curies else "")


async def _run_all(run: RunQuery, texts: dict[str, str]) -> dict[str, list[Row]]:
    """Run independent queries concurrently; their rows by name."""
    answers = await asyncio.gather(*(run(text) for text in texts.values()))
    return {name: _rows(answer) for name, answer in zip(texts, answers)}


# ------------------------------------------------------------------ the entry point


async def resource_page(iri: str, run: RunQuery, queries: dict[str, NamedQuery]) -> str | None:
    """The HTML page of a resource, or None when the store knows nothing about it.

    :param iri: the resource's IRI (``https://w3id.org/certgraph/id/rncp/35080``…).
    :param run: runs one SPARQL SELECT and returns its parsed SPARQL JSON results.
    :param queries: the named queries (the fiche page runs the lineage ones and ``fiche/similar``).
    :returns: a complete HTML5 document, or None for an unknown or malformed IRI.
    """
    if not _SAFE_IRI.fullmatch(iri):
        return None
    this = term_nt(URIRef(iri))
    classify, facts, sources = await asyncio.gather(
        run(_sparql(CLASSIFY, this)), run(_sparql(FACTS, this)), run(_sparql(SOURCES, this))
    )
    rows = _rows(classify)
    if not rows or _v(rows[0], "known") != "true":
        return None
    resource = Resource(
        iri=iri,
        term=this,
        types={_v(row, "type") for row in rows if "type" in row},
        facts=Facts.from_rows(_rows(facts), FACTS_LIMIT),
        sources=_rows(sources),
        is_graph=_v(rows[0], "graph") == "true",
    )
    kinds = [
        (number_from_iri(iri) is not None, _fiche_page),
        (CG_NS + "CompetencyBlock" in resource.types, _block_page),
        (_expand("skos:ConceptScheme") in resource.types, _scheme_page),
        (_expand("skos:Concept") in resource.types, _concept_page),
        (CG_NS + "Organisation" in resource.types, _organisation_page),
    ]
    build = next((page for matches, page in kinds if matches), _generic_page)
    return await build(resource, run, queries)


# ------------------------------------------------------------------ HTML pieces


def _lit(term: Term | None, lang: str | None = None) -> str:
    """A literal's text, with its language (or ``lang`` when the literal has none)."""
    if term is None:
        return ""
    value = term["value"]
    if term.get("datatype") == XSD_NS + "boolean":
        value = {"true": "yes", "false": "no"}.get(value, value)
    tag = term.get("xml:lang") or lang
    css = ' class="text"' if "\n" in value else ""
    return f'<span lang="{esc(tag)}"{css}>{esc(value)}</span>' if tag else f"<span{css}>{esc(value)}</span>"


def _external(url: str) -> str:
    """A link to a page elsewhere, reading as its address; anything but a plain web address stays text."""
    return f'<a class="url" href="{esc(url)}">{esc(url)}</a>' if _SAFE_IRI.fullmatch(url) else esc(url)


def _date(value: str | None) -> str:
    """A date that never wraps at its hyphens."""
    return f'<span class="date">{esc(value)}</span>' if value else ""


def _fr(text: str | None) -> str:
    """French text from the register."""
    return f'<span lang="fr">{esc(text)}</span>' if text else ""


def _named_link(iri: str, notation: str | None, label: Term | None) -> str:
    """A link to a resource reading ``K1403 — Directeur…``: the notation links, the label keeps its language."""
    if notation and label:
        return f'{link(iri, notation)} <span class="muted">—</span> {_lit(label)}'
    if label:
        return link(iri, label["value"], label.get("xml:lang"))
    return link(iri, notation or compact(iri))


def _tagged(value: str | None) -> Term | None:
    """A label a query gave as ``lang|text`` (see INCOMING) as a literal term."""
    if not value:
        return None
    lang, _, text = value.partition("|")
    return {"type": "literal", "value": text, "xml:lang": lang} if lang else {"type": "literal", "value": text}


def _term(term: Term, facts: Facts | None = None, lang: str = "fr") -> str:
    """Any value: an IRI as a link named by its notation and label (in ``lang`` if it has one), a literal as text."""
    if term["type"] == "uri":
        iri = term["value"]
        if facts is None:
            return link(iri)
        return _named_link(iri, facts.notations.get(iri), facts.label(iri, lang))
    if term["type"] == "bnode":
        return f'<span class="code">_:{esc(term["value"])}</span>'
    return _lit(term)


def _table(headers: list[str], rows: list[list[str]], classes: list[str] | None = None) -> str:
    """A table; cells are HTML already escaped."""
    head = "".join(f"<th>{esc(h)}</th>" for h in headers)
    body = []
    for index, cells in enumerate(rows):
        css = classes[index] if classes and classes[index] else ""
        row_class = f' class="{esc(css)}"' if css else ""
        body.append(f"<tr{row_class}>" + "".join(f"<td>{c}</td>" for c in cells) + "</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


def _facts_table(pairs: list[tuple[str, str]]) -> str:
    """A two-column table of label and value (HTML); empty values are left out."""
    rows = [f"<tr><th>{esc(label)}</th><td>{value}</td></tr>" for label, value in pairs if value]
    return f'<table class="facts"><tbody>{"".join(rows)}</tbody></table>' if rows else ""


def _list(items: list[str], ordered: bool = False) -> str:
    tag = "ol" if ordered else "ul"
    return f"<{tag}>" + "".join(f"<li>{item}</li>" for item in items) + f"</{tag}>" if items else ""


def _note(text: str) -> str:
    return f'<p class="note">{text}</p>'


def _joined(values: Iterable[str], sep: str = "<br>") -> str:
    return sep.join(v for v in values if v)


def _plural(count: int, word: str) -> str:
    return f"{count:,} {word}{'' if count == 1 else 's'}"


def _cut_note(rows: list, shown: int, what: str) -> str:
    return _note(f"First {shown} {esc(what)} shown.") if len(rows) > shown else ""


@dataclass
class Section:
    """One part of a page: anchor, heading and HTML body (empty bodies are dropped)."""

    anchor: str
    title: str
    body: str


def _page(resource: Resource, kind: str, heading: str, title: str, sections: list[Section]) -> str:
    """The whole document around the sections."""
    iri = resource.iri
    here = local_href(iri) if iri.startswith(ID_NS) else ""
    turtle, jsonld = f"{here}?format=turtle", f"{here}?format=jsonld"
    sections = [s for s in sections if s.body]
    toc = ""
    if len(sections) >= 4:
        toc = (
            '<nav class="toc" aria-label="Contents">'
            + " · ".join(f'<a href="#{esc(s.anchor)}">{esc(s.title)}</a>' for s in sections)
            + "</nav>"
        )
    body = "".join(f'<section id="{esc(s.anchor)}"><h2>{esc(s.title)}</h2>{s.body}</section>' for s in sections)
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{esc(title)} · certgraph</title>
<link rel="alternate" type="text/turtle" href="{esc(turtle)}">
<link rel="alternate" type="application/ld+json" href="{esc(jsonld)}">
<link rel="icon" href="data:,">
<style>{STYLE}</style>
</head>
<body>
<header>
<nav class="top"><a href="/" class="brand">certgraph</a>
<span><a href="/">Query editor</a> · <a href="{esc(turtle)}">Turtle</a>
· <a href="{esc(jsonld)}">JSON-LD</a></span></nav>
<p class="kind">{esc(kind)}</p>
<h1>{heading}</h1>
<p class="iri">{esc(iri)}</p>
{toc}
</header>
<main>
{body}
</main>
<footer>Read from the certgraph store: each fact as its sources state it (see Sources);
computed similarity scores are derived data, not official.</footer>
</body>
</html>
"""


STYLE = """
:root { color-scheme: light dark; --fg: #1d232b; --muted: #5d6877; --line: #dde2e8; --soft: #f3f5f8;
  --accent: #0b5cad; --bg: #fff; }
@media (prefers-color-scheme: dark) { :root { --fg: #e3e6ea; --muted: #9aa5b2; --line: #363d46;
  --soft: #1e2329; --accent: #80b6ff; --bg: #15181c; } }
* { box-sizing: border-box; }
body { margin: 0; font: 16px/1.55 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", sans-serif;
  color: var(--fg); background: var(--bg); }
header, main, footer { max-width: 66rem; margin: 0 auto; padding: 0 1.25rem; }
a { color: var(--accent); text-decoration: none; }
a:hover { text-decoration: underline; }
nav.top { display: flex; justify-content: space-between; gap: 1rem; padding: .8rem 0;
  border-bottom: 1px solid var(--line); font-size: .92rem; }
nav.top .brand { font-weight: 700; color: var(--fg); }
.kind { margin: 1.4rem 0 0; font-size: .78rem; letter-spacing: .07em; text-transform: uppercase; color: var(--muted); }
h1 { margin: .25rem 0 .3rem; font-size: 1.65rem; line-height: 1.25; }
h1 .number { font-variant-numeric: tabular-nums; color: var(--muted); }
h2 { margin: 0 0 .6rem; font-size: 1.22rem; }
h3 { margin: 1.2rem 0 .35rem; font-size: 1.02rem; }
h4 { margin: .8rem 0 .2rem; font-size: .82rem; text-transform: uppercase; letter-spacing: .05em; color: var(--muted); }
.iri { margin: 0; font: .84rem/1.4 ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; color: var(--muted);
  word-break: break-all; }
nav.toc { margin: 1rem 0 0; font-size: .9rem; line-height: 1.9; }
section { margin-top: 1.8rem; padding-top: .9rem; border-top: 1px solid var(--line); }
table { width: 100%; border-collapse: collapse; margin: .3rem 0 1rem; font-size: .93rem; }
th, td { padding: .36rem .6rem; border-bottom: 1px solid var(--line); text-align: left; vertical-align: top; }
.score { white-space: nowrap; }
thead th { font-weight: 600; color: var(--muted); white-space: nowrap; border-bottom-width: 2px; }
table.facts th { width: 15rem; font-weight: 600; color: var(--muted); }
tr.this td { background: var(--soft); }
td.n, th.n { text-align: right; font-variant-numeric: tabular-nums; }
.code { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: .9em; }
.code, .url { overflow-wrap: anywhere; }
.date { white-space: nowrap; }
.text { white-space: pre-line; }
.muted, .note { color: var(--muted); }
.note { font-size: .9rem; margin: .3rem 0 .8rem; }
.bar { display: inline-block; height: .55rem; margin-right: .5rem; border-radius: 2px; background: var(--accent);
  vertical-align: middle; }
.block { margin: .9rem 0; padding: .1rem 1rem .5rem; border: 1px solid var(--line); border-radius: 6px; }
.block h3 { margin-top: .7rem; }
ul, ol { margin: .2rem 0 .6rem; padding-left: 1.4rem; }
li { margin: .12rem 0; }
details summary { cursor: pointer; color: var(--muted); font-size: .9rem; }
footer { margin-top: 2.5rem; padding: 1rem 1.25rem 2rem; border-top: 1px solid var(--line); color: var(--muted);
  font-size: .85rem; }
"""


# ------------------------------------------------------------------ shared sections


def _other_properties(facts: Facts, shown: set[str]) -> Section:
    """Every statement no other section shows, grouped by property."""
    rows = []
    for predicate in sorted(facts.values, key=compact):
        if predicate in shown:
            continue
        # Class names are the ontology's: English, like the rest of the page's chrome.
        lang = "en" if predicate == RDF_TYPE else "fr"
        values = facts.values[predicate]
        cell = _joined(_term(v, facts, lang) for v in values[:PAGE_SIZE])
        if len(values) > PAGE_SIZE:
            cell += f'<br><span class="muted">and {len(values) - PAGE_SIZE:,} more</span>'
        rows.append([link(predicate), cell])
    body = _table(["Property", "Value"], rows) if rows else ""
    if facts.cut:
        body += _note(f"Only the first {FACTS_LIMIT} statements were read.")
    return Section("properties", "Other properties", body)


def _incoming_section(rows: list[Row]) -> Section:
    cells = [
        [link(_v(row, "p")), _named_link(_v(row, "s"), _v(row, "notation"), _tagged(_v(row, "label")))]
        for row in rows[:PAGE_SIZE]
    ]
    body = _table(["Property", "Resource"], cells) if cells else ""
    return Section("incoming", "Referenced by", body + _cut_note(rows, PAGE_SIZE, "links"))


def _sources_section(resource: Resource) -> Section:
    rows = []
    for row in resource.sources:
        upstream = _v(row, "upstream")
        rows.append(
            [
                f'<span class="code">{esc(compact(_v(row, "graph")))}</span>',
                esc(_v(row, "title") or ""),
                esc(_v(row, "issued") or ""),
                f'<span class="code">{esc(_v(row, "path") or "")}</span>'
                + (f"<br>{_external(upstream)}" if upstream else ""),
                str(_int(row, "count")),
            ]
        )
    body = ""
    if rows:
        body = _note(
            "The named graphs stating facts about this resource: one per source file, and the derived data."
        ) + _table(["Graph", "Source", "Issued", "File", "Statements"], rows)
    return Section("sources", "Sources", body)


def _fiche_rows(rows: list[Row]) -> list[list[str]]:
    """Table rows ``number | title`` for the fiches a query listed."""
    cells = []
    for row in rows:
        iri = _v(row, "fiche")
        cells.append([link(iri, _v(row, "number") or number_from_iri(iri) or compact(iri)), _fr(_v(row, "title"))])
    return cells


def _fiche_list_section(anchor: str, title: str, count: int, rows: list[Row], intro: str) -> Section:
    body = _note(intro)
    if rows:
        body += _table(["Fiche", "Title"], _fiche_rows(rows))
        if count > len(rows):
            body += _note(f"First {len(rows)} in number order; query the endpoint for all.")
    return Section(anchor, title, body)


def _concept_table(rows: list[Row], limit: int) -> str:
    cells = [
        [link(_v(row, "concept"), _v(row, "notation") or compact(_v(row, "concept"))), _fr(_v(row, "label"))]
        for row in rows[:limit]
    ]
    return (_table(["Code", "Label"], cells) if cells else "") + _cut_note(rows, limit, "concepts")


def _heading(notation: str | None, label: Term | None, fallback: str, lang: str | None = None) -> str:
    """The h1: the notation or number, then the label (in ``lang`` when the label has no language)."""
    number = f'<span class="number">{esc(notation)}</span>' if notation else ""
    if label is not None:
        return f"{number} {_lit(label, lang)}" if number else _lit(label, lang)
    return number if notation else esc(fallback)


def _title_text(notation: str | None, label: Term | None, fallback: str) -> str:
    return " — ".join(p for p in (notation, label["value"] if label else None) if p) or fallback


def _kind_of(resource: Resource, default: str) -> str:
    """The resource's class, by its English label when the ontology gives one, else by its compact IRI."""
    types = sorted(resource.types)
    for iri in types:
        label = resource.facts.label(iri, "en")
        if label and label.get("xml:lang") == "en":
            return label["value"]
    return compact(types[0]) if types else default


def _score(value: str | None) -> str:
    if value is None:
        return ""
    score = float(value)
    width = max(0.0, min(score, 1.0)) * 8
    bar = f'<span class="bar" style="width:{width:.2f}rem"></span>'
    return f'<span class="score">{bar}<span class="code">{score:.3f}</span></span>'


def _blocks_cell(iris: list[str], codes: dict[str, str]) -> str:
    items = []
    for iri in sorted(set(iris)):
        number = number_from_iri(iri)
        # A block's IRI ends with its code: a block of a fiche not loaded still reads as its code.
        items.append(link(iri, f"{number} (whole fiche)" if number else codes.get(iri) or iri.rsplit("/", 1)[-1]))
    return ", ".join(items)


def _correspondence_table(rows: list[Row]) -> str:
    """Official correspondences: one row per association, from the blocks held to the blocks given."""
    associations: dict[tuple[str, str], dict] = {}
    for row in rows:
        correspondence, association = _v(row, "correspondence"), _v(row, "association")
        if association is None:
            continue
        sides = associations.setdefault((correspondence, association), {"from": [], "to": [], "codes": {}})
        for side in ("from", "to"):
            iri = _v(row, side)
            if iri:
                sides[side].append(iri)
                if _v(row, side + "Code"):
                    sides["codes"][iri] = _v(row, side + "Code")
    cells = []
    for (correspondence, _), sides in sorted(associations.items()):
        # .../id/correspondence/RNCP36490/RNCP35419: the fiche stating it, then the other one.
        pair = correspondence.rsplit("/correspondence/", 1)[-1].replace("/", " → ")
        cells.append(
            [
                link(correspondence, pair),
                _blocks_cell(sides["from"], sides["codes"]),
                _blocks_cell(sides["to"], sides["codes"]),
            ]
        )
    return _table(["Correspondence", "Holding", "Gives"], cells) if cells else ""


# ------------------------------------------------------------------ fiche


FICHE_FIELDS = [
    # (label, property, French text?)
    ("Type", "cg:abbreviation", True),
    ("Type code", "cg:abbreviationCode", False),
    ("Publication state", "cg:status", True),
    ("Registration type", "cg:registrationType", True),
    ("Decision date", "cg:decisionDate", False),
    ("Registered from (effect date)", "cg:effectDate", False),
    ("Publication date", "cg:publicationDate", False),
    ("Last Journal officiel", "cg:lastJoDate", False),
    ("End of registration", "cg:endDate", False),
    ("Last award date", "cg:awardDeadline", False),
    ("Registration length (years)", "cg:registrationYears", False),
]

DESCRIPTION_FIELDS = [
    ("Objectives and context", "cg:objectives", False),
    ("Targeted activities", "cg:activity", True),
    ("Attested competencies", "cg:capacity", True),
    ("Assessment methods", "cg:assessmentMethod", True),
    ("Accessible jobs", "cg:job", True),
    ("Sectors", "cg:sectors", False),
    ("Entry prerequisites", "cg:prerequisites", False),
    ("Prerequisites for certification", "cg:certificationPrerequisites", False),
    ("Level of mastery", "cg:masteryLevel", False),
    ("Validity of components", "cg:validityOfComponents", False),
    ("Regulations", "cg:regulations", False),
]

CODE_FIELDS = [("ROME", "cg:rome"), ("NSF", "cg:nsf"), ("Formacode", "cg:formacode")]

# Incoming links a fiche page shows in its own sections (or that only repeat them).
FICHE_INCOMING_SHOWN = (
    "dcterms:isPartOf dcterms:replaces dcterms:isReplacedBy cg:left cg:right cg:predecessor cg:successor "
    "cg:assertedBy cg:registrationOf cg:statedPredecessor cg:statedSuccessor "
    "xkos:compares xkos:sourceConcept xkos:targetConcept"
)


def _values_html(facts: Facts, curie: str, french: bool) -> str:
    terms = sorted(facts.get(curie), key=lambda t: t["value"])
    return _joined(_lit(t, "fr" if french else None) for t in terms)


# Overview fields the reconciled view holds (reconcile.py), by property: the page shows the newest
# source's value first, the other sources' values after it as history.
RECONCILED_FIELDS = {
    "cg:abbreviation": "abbreviation", "cg:status": "status", "cg:registrationType": "registrationType",
    "cg:effectDate": "effectDate", "cg:endDate": "endDate",
}


def _reconciled(rows: list[Row]) -> dict[str, list[tuple[str, str | None]]]:
    """The reconciled values of a fiche (``fiche/summary`` rows marked reconciled), with each source's date."""
    values: dict[str, list[tuple[str, str | None]]] = {}
    for row in rows:
        if _v(row, "reconciled") == "true":
            values.setdefault(_v(row, "field"), []).append((_v(row, "value"), _v(row, "issued")))
    return values


def _flag_html(reconciled: dict[str, list[tuple[str, str | None]]]) -> str:
    """The newest source's own active flag, with that source's date: what was true then, not today."""
    if "active" not in reconciled:
        return ""
    value, issued = reconciled["active"][0]
    words = {"true": "active", "false": "inactive"}.get(value, value)
    when = f"per the register of {issued}" if issued else "per an undated source"
    return f'{esc(words)} <span class="muted">({esc(when)})</span>'


def _field_html(facts: Facts, curie: str, french: bool, reconciled: dict) -> str:
    """A field's value: the reconciled one first, the other sources' values after it, muted."""
    name = RECONCILED_FIELDS.get(curie)
    if name is None or name not in reconciled:
        return _values_html(facts, curie, french)
    lang = "fr" if french else None
    current = [value for value, _ in reconciled[name]]
    html_value = _joined((_lit({"type": "literal", "value": v}, lang) for v in current), "; ")
    older = sorted({t["value"] for t in facts.get(curie)} - set(current))
    if older:
        html_value += f' <span class="muted">(older sources: {esc("; ".join(older))})</span>'
    return html_value


def _level_html(facts: Facts, curie: str) -> str:
    cells = []
    for iri in facts.iris(curie):
        fr_label, en_label = facts.label(iri, "fr"), facts.label(iri, "en")
        text = link(iri, fr_label["value"] if fr_label else compact(iri), (fr_label or {}).get("xml:lang"))
        if en_label and en_label.get("xml:lang") == "en" and en_label is not fr_label:
            text += f' <span class="muted">· {_lit(en_label)}</span>'
        cells.append(text)
    return _joined(cells)


async def _fiche_page(resource: Resource, run: RunQuery, queries: dict[str, NamedQuery]) -> str:
    facts, this, iri = resource.facts, resource.term, resource.iri
    number = number_from_iri(iri)
    bound = {"fiche": number}
    found = await _run_all(
        run,
        {
            "blocks": _sparql(FICHE_BLOCKS, this),
            "certifiers": _sparql(FICHE_CERTIFIERS, this),
            "partners": _sparql(FICHE_PARTNERS, this),
            "correspondences": _sparql(FICHE_CORRESPONDENCES, this),
            "ancestors": queries["lineage/ancestors"].bind(bound),
            "descendants": queries["lineage/descendants"].bind(bound),
            "current": queries["lineage/current"].bind(bound),
            "summary": queries["fiche/summary"].bind(bound),
            "links": queries["lineage/links"].bind(bound),
            "registrations": queries["lineage/registrations"].bind(bound),
            "similar": queries["fiche/similar"].bind(bound),
            "incoming": _incoming(this, FICHE_INCOMING_SHOWN),
        },
    )
    shown = _iris(
        "dcterms:title rdfs:label cg:number cg:eqfLevel cg:level1969 cg:formerTitle foaf:page schema:url "
        "cg:certifier cg:certifierRole cg:partner cg:ccn dcterms:hasPart dcterms:replaces dcterms:isReplacedBy"
    )
    shown |= {_expand(c) for _, c, _ in FICHE_FIELDS + DESCRIPTION_FIELDS}
    shown |= {_expand(c) for _, c in CODE_FIELDS}

    reconciled = _reconciled(found["summary"])
    titles = facts.texts("dcterms:title") or facts.texts("rdfs:label")
    current_titles = [value for value, _ in reconciled.get("title", [])]
    title = current_titles[0] if current_titles else (titles[0] if titles else None)
    heading = f'<span class="number">{esc(number)}</span> ' + (
        _fr(title) if title else '<span class="muted">(no title in the loaded sources)</span>'
    )
    status = Status.of(date.today(), {name: values[0] for name, values in reconciled.items()})
    overview = [
        ("Number", f'<span class="code">{esc(number)}</span>'),
        ("Title", _fr(title)),
        ("Status", f'<span class="status {esc(status.state)}">{esc(status.describe())}</span> '
                   f'<span class="muted">(on {esc(status.as_of.isoformat())}, from the newest sources)</span>'),
    ]
    others = [t for t in titles if t != title]
    if others:
        overview.append(("Other titles in the sources", _joined(_fr(t) for t in others)))
    overview.append(("Former titles", _joined(_fr(t) for t in facts.texts("cg:formerTitle"))))
    overview.append(("EQF level", _level_html(facts, "cg:eqfLevel")))
    overview.append(("Level (1969 nomenclature)", _level_html(facts, "cg:level1969")))
    overview += [(label, _field_html(facts, curie, french, reconciled)) for label, curie, french in FICHE_FIELDS]
    overview.insert(3, ("Active flag", _flag_html(reconciled)))
    overview.append(
        (
            "France Compétences",
            _joined(_external(page) for page in facts.iris("foaf:page")),
        )
    )
    overview.append(("Website", _joined(_term(t) for t in facts.get("schema:url"))))

    sections = [
        Section("overview", "Overview", _facts_table(overview)),
        _certifiers_section(found["certifiers"]),
        _codes_section(facts, reconciled),
        _blocks_section(found["blocks"]),
        _lineage_section(iri, found),
        _similar_section(found["similar"]),
        Section("correspondences", "Official correspondences", _correspondence_body(found["correspondences"])),
        _description_section(facts),
        _partners_section(found["partners"]),
        _other_properties(facts, shown),
        _incoming_section(found["incoming"]),
        _sources_section(resource),
    ]
    kind = "RS certification" if number.startswith("RS") else "RNCP certification"
    return _page(resource, kind, heading, " — ".join(p for p in (number, title) if p), sections)


HABILITATIONS = {
    "HABILITATION_FORMER": "trains",
    "HABILITATION_ORGANISER": "organises the assessment",
    "HABILITATION_ORGA_FORM": "trains and organises the assessment",
}


def _state(row: Row) -> str:
    """A certifier's or partner's state for the fiche: active or not, and since when."""
    words = {"true": "active", "false": "inactive"}
    values = [words.get(v, v) for v in (_v(row, "active") or "").split()]
    since = _v(row, "modified")
    return esc(", ".join(values)) + (f' <span class="muted">(since {esc(since)})</span>' if since and values else "")


def _org_cells(row: Row) -> list[str]:
    org = _v(row, "org")
    return [link(org, _v(row, "name") or compact(org)), f'<span class="code">{esc(_v(row, "siret") or "")}</span>']


def _certifiers_section(rows: list[Row]) -> Section:
    # The certifier's state for this fiche comes only from the XML export: no column without it.
    states = [_state(r) for r in rows]
    if any(states):
        body = _table(
            ["Certifier", "SIRET", "State for this fiche"], [_org_cells(r) + [s] for r, s in zip(rows, states)]
        )
    else:
        body = _table(["Certifier", "SIRET"], [_org_cells(r) for r in rows]) if rows else ""
    return Section("certifiers", "Certifiers", body)


def _partners_section(rows: list[Row]) -> Section:
    cells = [
        _org_cells(r) + [esc(HABILITATIONS.get(_v(r, "type") or "", _v(r, "type") or "")), _state(r)]
        for r in rows[:PAGE_SIZE]
    ]
    body = _table(["Partner", "SIRET", "Habilitation", "State"], cells) if cells else ""
    return Section("partners", "Partner organisations", body + _cut_note(rows, PAGE_SIZE, "partners"))


def _codes_section(facts: Facts, reconciled: dict[str, list[tuple[str, str | None]]]) -> Section:
    """The codes of the fiche: the reconciled ones (the newest source's set per scheme), then the
    codes only older sources give, marked as such."""
    cells = []
    for scheme, curie in CODE_FIELDS:
        current = {value for value, _ in reconciled.get(curie.split(":")[1], [])}
        ordered = sorted(facts.iris(curie), key=lambda i: (i not in current, facts.notations.get(i, i)))
        for iri in ordered:
            code = facts.notations.get(iri) or iri.rsplit("/", 1)[-1]
            cells.append(
                [
                    esc(scheme),
                    link(iri, code),
                    _lit(facts.label(iri), "fr") or '<span class="muted">(not in the loaded code list)</span>',
                    "" if iri in current or not current else '<span class="muted">older sources only</span>',
                ]
            )
    for agreement in facts.texts("cg:ccn"):
        cells.append(["Collective agreement", "", _fr(agreement), ""])
    return Section("codes", "Codes", _table(["Scheme", "Code", "Label", ""], cells) if cells else "")


def _blocks_section(rows: list[Row]) -> Section:
    blocks: dict[str, dict] = {}
    for row in rows:
        block = blocks.setdefault(
            _v(row, "block"), {"code": _v(row, "code"), "title": None, "competency": [], "assessment": []}
        )
        kind, text = _v(row, "kind"), _v(row, "text")
        if kind == "title":
            block["title"] = text
        elif text:
            block[kind].append(text)
    parts = []
    for iri, block in sorted(blocks.items(), key=lambda item: item[1]["code"] or item[0]):
        part = f'<article class="block"><h3>{link(iri, block["code"] or compact(iri))} {_fr(block["title"])}</h3>'
        if block["competency"]:
            part += "<h4>Competencies</h4>" + _list([_fr(t) for t in block["competency"]], ordered=True)
        if block["assessment"]:
            part += "<h4>Assessment</h4>" + _list([_fr(t) for t in sorted(set(block["assessment"]))])
        parts.append(part + "</article>")
    title = f"Blocks of competencies ({len(blocks)})" if blocks else "Blocks of competencies"
    return Section("blocks", title, "".join(parts))


def _lineage_section(iri: str, found: dict[str, list[Row]]) -> Section:
    today = date.today()

    def fiche_cells(rows: list[Row], variable: str) -> list[list[str]]:
        return [
            [
                link(_v(r, variable), _v(r, "number") or compact(_v(r, variable))),
                _fr(_v(r, "title")),
                _date(_v(r, "endDate")),
                esc(Status(today, as_date(_v(r, "effectDate")), as_date(_v(r, "endDate")), as_bool(_v(r, "active")),
                           as_date(_v(r, "activeAsOf"))).describe(today)),
            ]
            for r in rows
        ]

    ancestors, descendants, current = found["ancestors"], found["descendants"], found["current"]
    body = ""
    if ancestors:
        body += "<h3>Replaces (oldest first)</h3>" + _table(
            ["Fiche", "Title", "End of registration", f"Status on {today}"], fiche_cells(ancestors, "ancestor")
        )
    if descendants:
        body += "<h3>Replaced by</h3>" + _table(
            ["Fiche", "Title", "End of registration", f"Status on {today}"], fiche_cells(descendants, "descendant")
        )
    others = [r for r in current if _v(r, "current") != iri]
    if others:
        cells = fiche_cells(others, "current")
        body += f"<h3>Current equivalent on {today}</h3>" + _table(
            ["Fiche", "Title", "End of registration", "Status"], cells)
    elif ancestors or descendants:
        body += _note(f"This fiche is the current equivalent of its lineage on {today}: "
                      "no later fiche of the loaded sources is in force.")
    # Links in the lineage's order (oldest first), as the ancestors and descendants are listed.
    order = [_v(r, "ancestor") for r in ancestors] + [iri] + [_v(r, "descendant") for r in descendants]
    links = _lineage_links(found["links"], order)
    if links:
        body += "<h3>Links and who states them</h3>" + links
    registrations = found["registrations"]
    if registrations:
        number = number_from_iri(iri)
        cells, classes = [], []
        for r in registrations:
            act = " ".join(p for p in (_v(r, "actKind"), _v(r, "actNumber")) if p)
            member = _v(r, "number")
            cells.append(
                [
                    link(str(fiche_iri(member)), member) if member else "",
                    _fr(act),
                    _date(_v(r, "actDate")),
                    _date(_v(r, "joDate")),
                    _date(_v(r, "effectDate")),
                    _date(_v(r, "endDate")),
                    _fr(_v(r, "titleAtTime")),
                    esc(_v(r, "levelAtTime") or ""),
                ]
            )
            classes.append("this" if _v(r, "number") == number else "")
        body += "<h3>Registrations across the lineage</h3>" + _table(
            ["Fiche", "Act", "Act date", "Journal officiel", "Effect", "End", "Title at the time", "Level"],
            cells,
            classes,
        )
    if not body:
        body = _note("No lineage is recorded for this fiche: it replaces nothing and nothing replaces it.")
    return Section("lineage", "Lineage", body)


def _lineage_links(rows: list[Row], order: list[str]) -> str:
    links: dict[tuple[str, str], dict] = {}
    for r in rows:
        key = (_v(r, "predecessor"), _v(r, "successor"))
        entry = links.setdefault(
            key, {"numbers": (_v(r, "predecessorNumber"), _v(r, "successorNumber")), "by": set(), "sources": set()}
        )
        if _v(r, "assertedBy"):
            entry["by"].add(_v(r, "assertedBy"))
        entry["sources"].add(_v(r, "source"))
        if _v(r, "supersededBy"):
            entry["superseded"] = _v(r, "supersededBy")
    cells = []

    def rank(pair: tuple[str, str]) -> tuple:
        return tuple(order.index(i) if i in order else len(order) for i in pair) + pair

    for (old, new), entry in sorted(links.items(), key=lambda item: rank(item[0])):
        old_number, new_number = entry["numbers"]
        cells.append(
            [
                link(old, old_number or compact(old)),
                link(new, new_number or compact(new)),
                esc(", ".join(sorted(entry["by"]))),
                _joined((f'<span class="code">{esc(compact(s))}</span>' for s in sorted(entry["sources"])), "<br>"),
                (f'superseded by <span class="code">{esc(compact(entry["superseded"]))}</span> (history, not current)'
                 if entry.get("superseded") else "current"),
            ]
        )
    return _table(["Replaced", "Replacing", "Stated by", "Sources", "Link"], cells) if cells else ""


def _similar_section(rows: list[Row]) -> Section:
    cells = [[link(_v(r, "other"), _v(r, "number") or compact(_v(r, "other"))), _score(_v(r, "score"))] for r in rows]
    body = ""
    if cells:
        body = _note("Computed from the competencies of the blocks (derived data, not an official equivalence).")
        body += _table(["Fiche", "Similarity"], cells)
    return Section("similar", "Most similar fiches", body)


def _correspondence_body(rows: list[Row]) -> str:
    if not rows:
        return ""
    note = (
        "Published by France Compétences with the fiche stating them: "
        "holding the blocks of the first fiche gives those of the second."
    )
    return _note(note) + _correspondence_table(rows)


def _description_section(facts: Facts) -> Section:
    parts = []
    for label, curie, as_list in DESCRIPTION_FIELDS:
        terms = sorted(facts.get(curie), key=lambda t: t["value"])
        if not terms:
            continue
        items = [_lit(t, "fr") for t in terms]
        parts.append(f"<h3>{esc(label)}</h3>" + (_list(items) if as_list or len(items) > 1 else f"<p>{items[0]}</p>"))
    return Section("description", "Description", "".join(parts))


# ------------------------------------------------------------------ block


async def _block_page(resource: Resource, run: RunQuery, queries: dict[str, NamedQuery]) -> str:
    facts, this = resource.facts, resource.term
    found = await _run_all(
        run,
        {
            "competencies": _sparql(BLOCK_COMPETENCIES, this),
            "similar": _sparql(BLOCK_SIMILAR, this),
            "correspondences": _sparql(BLOCK_CORRESPONDENCES, this),
            "incoming": _incoming(this, "dcterms:hasPart cg:left cg:right xkos:sourceConcept xkos:targetConcept"),
        },
    )
    code = (facts.texts("skos:notation") or [None])[0]
    titles = facts.texts("dcterms:title") or facts.texts("rdfs:label")
    fiche_cells = []
    for fiche in facts.iris("dcterms:isPartOf"):
        number = number_from_iri(fiche) or facts.notations.get(fiche)
        label = facts.label(fiche)
        fiche_cells.append(_named_link(fiche, number, label))
    overview = [
        ("Fiche", _joined(fiche_cells)),
        ("Code", f'<span class="code">{esc(code)}</span>' if code else ""),
        ("Title", _fr(titles[0]) if titles else ""),
        ("Other titles in the sources", _joined(_fr(t) for t in titles[1:])),
    ]
    competencies = [_fr(_v(r, "text")) for r in found["competencies"] if _v(r, "text")]
    assessments = [_lit(t, "fr") for t in sorted(facts.get("cg:assessmentMethod"), key=lambda t: t["value"])]
    published = "".join(
        f"<details><summary>{summary}</summary><p>{_lit(t, 'fr')}</p></details>"
        for summary, curie in (
            ("The block as published", "cg:rawText"),
            ("Assessment as published", "cg:assessmentText"),
        )
        for t in facts.get(curie)
    )
    similar = [
        [
            link(_v(r, "other"), _v(r, "code") or compact(_v(r, "other"))),
            _fr(_v(r, "title")),
            link(_v(r, "fiche"), number_from_iri(_v(r, "fiche")) or compact(_v(r, "fiche"))) if _v(r, "fiche") else "",
            _score(_v(r, "score")),
            esc({"true": "yes", "false": ""}.get(_v(r, "aligned") or "", "")),
        ]
        for r in found["similar"]
    ]
    similar_body = ""
    if similar:
        similar_body = _note(
            "Computed from the competencies (derived data, not official); aligned pairs belong to "
            "the best one-to-one matching of the two fiches' blocks."
        )
        similar_body += _table(["Block", "Title", "Fiche", "Similarity", "Aligned"], similar)
    shown = _iris(
        "skos:notation dcterms:title rdfs:label dcterms:isPartOf cg:competency cg:assessmentMethod "
        "cg:rawText cg:assessmentText"
    )
    sections = [
        Section("overview", "Overview", _facts_table(overview)),
        Section(
            "competencies",
            f"Competencies ({len(competencies)})" if competencies else "Competencies",
            _list(competencies, ordered=True),
        ),
        Section("assessment", "Assessment", _list(assessments) + published),
        Section("similar", "Most similar blocks", similar_body),
        Section("correspondences", "Official correspondences", _correspondence_body(found["correspondences"])),
        _other_properties(facts, shown),
        _incoming_section(found["incoming"]),
        _sources_section(resource),
    ]
    title = titles[0] if titles else None
    heading = _heading(code, {"value": title} if title else None, compact(resource.iri), "fr")
    return _page(
        resource,
        _kind_of(resource, "Block of competencies"),
        heading,
        " — ".join(p for p in (code, title) if p) or compact(resource.iri),
        sections,
    )


# ------------------------------------------------------------------ concept and scheme


async def _concept_page(resource: Resource, run: RunQuery, queries: dict[str, NamedQuery]) -> str:
    facts, this = resource.facts, resource.term
    found = await _run_all(
        run,
        {
            "counts": _sparql(CONCEPT_FICHE_COUNTS, this),
            "fiches": _sparql(FICHE_LIST, this, path=CODE_PROPERTIES),
            "narrower": _sparql(NARROWER, this),
            "incoming": _incoming(
                this, "skos:broader skos:inScheme skos:topConceptOf " + CODE_PROPERTIES.replace("|", " ")
            ),
        },
    )
    notation = (facts.texts("skos:notation") or [None])[0]
    labels = facts.get("skos:prefLabel")
    fr_label = _best_label(labels, "fr")
    others = [t for t in labels if t is not fr_label]

    schemes = facts.iris("skos:inScheme")
    overview = [
        ("Notation", f'<span class="code">{esc(notation)}</span>' if notation else ""),
        ("Preferred label", _joined(_lit(t) for t in [fr_label] + others if t)),
        ("Alternative labels", _joined(_lit(t) for t in sorted(facts.get("skos:altLabel"), key=lambda t: t["value"]))),
        ("Scheme", _joined(_term(t, facts) for t in facts.get("skos:inScheme"))),
        ("Broader", _joined(_term(t, facts) for t in facts.get("skos:broader"))),
        ("Type in the code list", _values_html(facts, "dcterms:type", False)),
        ("Scope notes", _joined(_lit(t) for t in facts.get("skos:scopeNote"))),
        ("Definition", _joined(_lit(t) for t in facts.get("skos:definition"))),
    ]
    is_level = resource.iri.startswith(EQF_NS) or any(s.endswith("/level1969") for s in schemes)
    counts = found["counts"][0] if found["counts"] else {}
    direct, everything = _int(counts, "directCount"), _int(counts, "allCount")
    intro = f"{_plural(direct, 'fiche')} {'has' if direct == 1 else 'have'} this {'level' if is_level else 'code'}"
    if everything > direct:
        intro += f"; {_plural(everything, 'fiche')} {'has' if everything == 1 else 'have'} it or a narrower one"
    narrower = found["narrower"]
    shown = _iris(
        "skos:notation skos:prefLabel skos:altLabel skos:inScheme skos:broader dcterms:type skos:scopeNote "
        "skos:definition"
    )
    sections = [
        Section("overview", "Overview", _facts_table(overview)),
        _fiche_list_section("fiches", "Fiches", direct, found["fiches"], intro + "."),
        Section(
            "narrower",
            f"Narrower concepts ({len(narrower)}{'+' if len(narrower) > PAGE_SIZE * 5 else ''})"
            if narrower
            else "Narrower concepts",
            _concept_table(narrower, PAGE_SIZE * 5),
        ),
        _other_properties(facts, shown),
        _incoming_section(found["incoming"]),
        _sources_section(resource),
    ]
    scheme_label = facts.label(schemes[0], "en") if schemes else None
    kind = f"Concept · {scheme_label['value']}" if scheme_label else "Concept"
    if resource.iri.startswith(EQF_NS):
        kind = "EQF level"
    return _page(
        resource,
        kind,
        _heading(notation, fr_label, compact(resource.iri), "fr"),
        _title_text(notation, fr_label, compact(resource.iri)),
        sections,
    )


async def _scheme_page(resource: Resource, run: RunQuery, queries: dict[str, NamedQuery]) -> str:
    facts, this = resource.facts, resource.term
    found = await _run_all(
        run,
        {
            "count": _sparql(SCHEME_COUNT, this),
            "top": _sparql(TOP_CONCEPTS, this),
            "incoming": _incoming(this, "skos:inScheme skos:topConceptOf"),
        },
    )
    labels = facts.get("skos:prefLabel") + facts.get("dcterms:title")
    fr_label = _best_label(labels, "fr")
    count = _int(found["count"][0], "count") if found["count"] else 0
    overview = [
        ("Title", _joined(_lit(t) for t in sorted(labels, key=lambda t: (t is not fr_label, t["value"])))),
        ("Concepts", esc(_plural(count, "concept"))),
    ]
    shown = _iris("skos:prefLabel dcterms:title skos:hasTopConcept")
    sections = [
        Section("overview", "Overview", _facts_table(overview)),
        Section("top", "Top concepts", _concept_table(found["top"], PAGE_SIZE * 5)),
        _other_properties(facts, shown),
        _incoming_section(found["incoming"]),
        _sources_section(resource),
    ]
    return _page(
        resource,
        "Concept scheme",
        _heading(None, fr_label, compact(resource.iri), "fr"),
        _title_text(None, fr_label, compact(resource.iri)),
        sections,
    )


# ------------------------------------------------------------------ organisation


async def _organisation_page(resource: Resource, run: RunQuery, queries: dict[str, NamedQuery]) -> str:
    facts, this = resource.facts, resource.term
    found = await _run_all(
        run,
        {
            "count": _sparql(ORG_FICHE_COUNT, this),
            "fiches": _sparql(FICHE_LIST, this, path="cg:certifier"),
            "incoming": _incoming(this, "cg:certifier"),
        },
    )
    names = facts.texts("schema:legalName") or facts.texts("rdfs:label")
    name = names[0] if names else None
    siret = (facts.texts("cg:siret") or [None])[0]
    overview = [
        ("Name", _fr(name)),
        ("Other names in the sources", _joined(_fr(n) for n in names[1:])),
        ("Trade name", _joined(_fr(n) for n in facts.texts("schema:alternateName"))),
        ("SIRET", f'<span class="code">{esc(siret)}</span>' if siret else ""),
        (
            "Homepage",
            _joined(_external(h) for h in facts.iris("foaf:homepage")),
        ),
    ]
    count = _int(found["count"][0], "count") if found["count"] else 0
    intro = f"Certifier of {_plural(count, 'fiche')}."
    shown = _iris("schema:legalName rdfs:label schema:alternateName cg:siret foaf:homepage")
    sections = [
        Section("overview", "Overview", _facts_table(overview)),
        _fiche_list_section("fiches", "Certifications it awards", count, found["fiches"], intro),
        _other_properties(facts, shown),
        _incoming_section(found["incoming"]),
        _sources_section(resource),
    ]
    heading = _fr(name) if name else esc(compact(resource.iri))
    return _page(resource, "Organisation", heading, name or compact(resource.iri), sections)


# ------------------------------------------------------------------ anything else


async def _generic_page(resource: Resource, run: RunQuery, queries: dict[str, NamedQuery]) -> str:
    facts, this = resource.facts, resource.term
    texts = {"incoming": _incoming(this)}
    if resource.is_graph:
        texts["size"] = _sparql(GRAPH_SIZE, this)
    found = await _run_all(run, texts)
    label = facts.own_label()
    notation = (facts.texts("cg:number") or facts.texts("skos:notation") or [None])[0]
    properties = _other_properties(facts, set())
    sections = [Section("properties", "Properties", properties.body)]
    if resource.is_graph:
        size = _int(found["size"][0], "count") if found["size"] else 0
        download = f"/graph-store?graph={quote(resource.iri, safe='')}"
        sections.append(
            Section(
                "graph",
                "Named graph",
                _note(
                    f"This named graph holds {esc(_plural(size, 'statement'))}: "
                    f'<a href="{esc(download)}">download it</a>.'
                ),
            )
        )
    sections += [_incoming_section(found["incoming"]), _sources_section(resource)]
    kind = "Named graph" if resource.is_graph else _kind_of(resource, "Resource")
    return _page(
        resource,
        kind,
        _heading(notation, label, compact(resource.iri)),
        _title_text(notation, label, compact(resource.iri)),
        sections,
    )
