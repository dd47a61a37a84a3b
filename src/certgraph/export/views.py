"""Graph views of the store as networkx graphs, and the files they export to (GraphML, GEXF 1.3, Cytoscape.js, node-link, DOT, CSV).

A *view* reads the store with a few bulk SELECTs (never one query per node) and returns a networkx
graph whose node keys are the public IRIs and whose attribute values are plain ``str``, ``int``,
``float`` or ``bool``; a missing value is ``""``, never None. Every view takes the same arguments so
a command line can call ``VIEWS[name](store, fiche=…, depth=…, threshold=…)``:

==========================  ====================  ===============================================
view                        graph                 edges
==========================  ====================  ===============================================
``lineage``                 DiGraph               new fiche → the fiche it replaces
``occupations``             Graph (bipartite)     fiche — ROME code
``occupation-projection``   Graph                 fiches sharing ROME codes (weight = how many)
``equivalence``             MultiGraph            stored similarity scores, official correspondences
``neighbourhood``           MultiDiGraph          all of the above plus blocks and certifiers
``graph``                   MultiDiGraph          every IRI → IRI triple but rdf:type
==========================  ====================  ===============================================

A *format* writes a graph to a path and returns the files written (``csv`` writes two:
``<stem>-nodes.csv`` and ``<stem>-edges.csv``). The writers stream: a register-sized graph is never
held a second time as one XML tree or one JSON document.

>>> sorted(VIEWS) == sorted(["lineage", "occupations", "occupation-projection", "equivalence",
...                          "neighbourhood", "graph"])
True
>>> sorted(FORMATS)
['csv', 'cytoscape', 'dot', 'gexf', 'graphml', 'node-link']
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import re
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from urllib.parse import unquote

import networkx as nx

from ..compare import compare
from ..errors import CertgraphError
from ..queries import load_queries
from ..records import normalise_fiche_number
from ..status import Status, as_date
from ..store import fiche_known, lexical_rows
from ..vocab import (
    ID,
    ONTOLOGY_GRAPH,
    block_iri,
    compact,
    concept_iri,
    fiche_iri,
    number_from_iri,
    sparql_prologue,
)


class ExportError(CertgraphError):
    """A view or a format could not be produced: unknown name, unknown fiche, too large a result."""


PREFIXES = sparql_prologue("cg", "dcterms", "rdf", "rdfs", "skos", "schema", "xkos")


# Default thresholds: a similarity score (cosine in [0, 1]) for the views that draw similarity
# edges; a number of shared ROME codes for the projection. 0.1 keeps the worked example's
# comparable pair (RNCP35080 and RNCP41296 score 0.1317) and drops near-zero scores.
DEFAULT_SIMILARITY = 0.1
DEFAULT_SHARED_CODES = 1

# The whole-register projection at one shared code has about 14 million edges (a ROME code can
# have 2,600 fiches): past this many edges the view stops and asks for a threshold or a fiche.
MAX_PROJECTION_EDGES = 1_000_000

# VALUES blocks are cut into chunks of this many IRIs; a longer list is faster read unrestricted
# and filtered in Python (one scan of the property instead of many joins).
VALUES_CHUNK = 2_000

# What a multi-valued text is joined with: names may hold commas, numbers and codes never do.
NAME_SEPARATOR = "; "
CODE_SEPARATOR = ","

TITLE_LENGTH = 60  # characters of a title kept in a node label

_FICHE_IRI = re.compile(re.escape(str(ID)) + r"(rncp|rs)/[0-9]+")
_HISTORICAL_PREFIX = str(ID) + "historical/"
# Characters XML 1.0 cannot carry (GraphML, GEXF): stripped from every text at the source.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


# ------------------------------------------------------------------ small helpers


def _text(value: str | None) -> str:
    """A text fit for every format: no XML-illegal characters, ends stripped, never None."""
    return _NOT_XML.sub("", value or "").strip()


def short_title(title: str, limit: int = TITLE_LENGTH) -> str:
    """A title cut at a word boundary for a node label.

    >>> short_title("Manager d'organismes à vocation sociale et culturelle en économie sociale", 40)
    "Manager d'organismes à vocation sociale…"
    >>> short_title("Court")
    'Court'
    """
    if len(title) <= limit:
        return title
    cut = title[:limit].rsplit(" ", 1)[0].rstrip(" ,;:-–")
    return cut + "…"


def is_fiche(iri: str) -> bool:
    """A certification's IRI: a numbered fiche or an unnumbered historical certification.

    Snapshot states (``…/id/snapshot/<date>/rncp/35080``) carry copies of fiche properties and are
    left out of every view but ``graph``.

    >>> is_fiche("https://w3id.org/certgraph/id/rncp/35080"), is_fiche("https://w3id.org/certgraph/id/snapshot/2026-02-01/rncp/35080")
    (True, False)
    """
    return bool(_FICHE_IRI.fullmatch(iri)) or iri.startswith(_HISTORICAL_PREFIX)


def _iri(value: str) -> str:
    if any(c in value for c in '<>"{}|\\^` \n'):
        raise ExportError(f"not an IRI: {value!r}")
    return f"<{value}>"


def _chunks(items: list[str], size: int = VALUES_CHUNK) -> Iterator[list[str]]:
    for start in range(0, len(items), size):
        yield items[start:start + size]


def _select(store, body: str) -> Iterator[tuple[str | None, ...]]:
    return lexical_rows(store, PREFIXES + body)


def _pairs(store, pattern: str, subjects: Iterable[str] | None = None, var: str = "s") -> Iterator[tuple]:
    """Distinct rows of ``SELECT DISTINCT * { pattern }`` whose ``?var`` is one of ``subjects``.

    ``pattern`` binds ``?s`` and ``?o`` (and whatever else it selects, in its own order); with
    ``subjects`` None every row comes back.
    """
    head = "SELECT DISTINCT ?s ?o"
    extra = sorted(set(re.findall(r"\?(x[0-9])", pattern)))
    head += "".join(f" ?{name}" for name in extra)
    if subjects is None:
        yield from _select(store, f"{head} WHERE {{ {pattern} }}")
        return
    wanted = set(subjects)
    if len(wanted) > VALUES_CHUNK:
        index = 0 if var == "s" else 1
        yield from (row for row in _select(store, f"{head} WHERE {{ {pattern} }}") if row[index] in wanted)
        return
    for chunk in _chunks(sorted(wanted)):
        values = " ".join(_iri(i) for i in chunk)
        yield from _select(store, f"{head} WHERE {{ VALUES ?{var} {{ {values} }} {pattern} }}")


def _least(store, pattern: str, subjects: list[str], clean=str) -> dict[str, str]:
    """The least ``?o`` (after ``clean``) of each of ``subjects`` in ``pattern``: where sources state
    several values, the alphabetically first, as the named queries pick them."""
    least: dict[str, str] = {}
    for iri, value, *_ in _pairs(store, pattern, subjects):
        value = clean(value)
        least[iri] = min(value, least.get(iri, value))
    return least


def _fiche_iri_of(store, fiche: str) -> str:
    """The IRI of a fiche number, checked against the store."""
    number = normalise_fiche_number(fiche)
    if number is None:
        raise ExportError(f"not a fiche number: {fiche!r} (expected RNCP35080 or RS5000)")
    if not fiche_known(store, number):
        raise ExportError(f"{number} is not in the store")
    return str(fiche_iri(number))


def _graph(kind: type[nx.Graph], view: str, fiche: str | None, **extra) -> nx.Graph:
    graph = kind()
    name = f"certgraph {view}" + (f" {normalise_fiche_number(fiche)}" if fiche else " (whole register)")
    graph.graph.update(name=name, view=view, fiche=normalise_fiche_number(fiche) if fiche else "", **extra)
    return graph


# ------------------------------------------------------------------ fiche attributes


FICHE_ATTRIBUTES = ("uri", "label", "kind", "number", "title", "level", "certifier", "start", "end", "active",
                    "active_as_of", "in_force", "status")


def fiche_attributes(store, iris: Iterable[str]) -> dict[str, dict]:
    """Node attributes of certifications, read in bulk: one scan per property, not one query per fiche.

    ``kind`` is ``fiche`` (numbered) or ``historical`` (a predecessor known by its title only);
    ``level`` the EQF level as an int (the 1969 level mapped through cg:correspondsToEqf when no
    EQF level is stated); ``certifier`` the certifiers' names; ``start`` the effect date (else the
    earliest effect date of its registrations, else its decision date); ``end`` the end of
    registration (else the latest end of its registrations); ``active`` the newest source's own flag,
    true as of ``active_as_of`` (that source's date); ``in_force`` whether it is in force today from
    its dates ("" when its end date is unknown) and ``status`` that in words ("ended on 2025-11-18").
    Title, level, certifiers, dates and flag are the reconciled values (graph derived/current: the
    newest source stating each field); where a tie of dates leaves several, the alphabetically first
    title, the lowest level, the earliest start and the latest end.
    """
    wanted = sorted(set(iris))
    values: dict[str, dict[str, set]] = {iri: defaultdict(set) for iri in wanted}
    today = dt.date.today()

    def collect(field: str, pattern: str) -> None:
        for subject, value, *_ in _pairs(store, pattern, wanted):
            if value is not None:
                values[subject][field].add(value)

    collect("number", "?s cg:number ?o")
    collect("title", "GRAPH <https://w3id.org/certgraph/graph/derived/current> { ?s dcterms:title|rdfs:label ?o }")
    collect("eqf", "GRAPH <https://w3id.org/certgraph/graph/derived/current> { ?s cg:eqfLevel ?o }")
    collect("eqf1969", "?s cg:level1969/cg:correspondsToEqf ?o")
    collect("certifier", "GRAPH <https://w3id.org/certgraph/graph/derived/current> { ?s cg:certifier ?c } ?c schema:legalName ?o")
    collect("active", "GRAPH <https://w3id.org/certgraph/graph/derived/current> { ?s cg:active ?o }")
    collect("activeAsOf", "GRAPH <https://w3id.org/certgraph/graph/derived/current> { ?s cg:activeAsOf ?o }")
    collect("effect", "GRAPH <https://w3id.org/certgraph/graph/derived/current> { ?s cg:effectDate ?o }")
    collect("registrationEffect", "?r cg:registrationOf ?s ; cg:effectDate ?o")
    collect("decision", "?s cg:decisionDate ?o")
    collect("end", "GRAPH <https://w3id.org/certgraph/graph/derived/current> { ?s cg:endDate ?o }")
    collect("registrationEnd", "?r cg:registrationOf ?s ; cg:endDate ?o")
    nodes = {}
    for iri in wanted:
        found = values[iri]
        number = min(found["number"], default="")
        title = _text(min((_text(t) for t in found["title"]), default=""))
        levels = [int(level.rsplit("/", 1)[-1]) for level in found["eqf"] or found["eqf1969"]
                  if level.rsplit("/", 1)[-1].isdigit()]
        active = found["active"]
        start = min(found["effect"] or found["registrationEffect"] or found["decision"], default="")
        end = max(found["end"] or found["registrationEnd"], default="")
        status = Status(today, as_date(min(found["effect"], default=None)), as_date(end or None),
                        any(v in ("true", "1") for v in active) if active else None,
                        as_date(max(found["activeAsOf"], default=None)))
        label = f"{number} {short_title(title)}".strip() if title else number or compact(iri)
        nodes[iri] = {
            "uri": iri,
            "label": label,
            "kind": "historical" if iri.startswith(_HISTORICAL_PREFIX) else "fiche",
            "number": number,
            "title": title,
            "level": min(levels) if levels else "",
            "certifier": NAME_SEPARATOR.join(sorted({_text(n) for n in found["certifier"]})),
            "start": start,
            "end": end,
            "active": any(v in ("true", "1") for v in active) if active else "",
            "active_as_of": max(found["activeAsOf"], default=""),
            "in_force": "" if status.in_force is None else status.in_force,
            "status": status.describe(today),
        }
    return nodes


def _lineage_members(store, iri: str) -> list[str]:
    rows = _select(store, f"SELECT DISTINCT ?m WHERE {{ GRAPH <https://w3id.org/certgraph/graph/derived/current> {{ {_iri(iri)} (dcterms:replaces|dcterms:isReplacedBy)* ?m }} }}")
    return sorted({m for (m,) in rows if is_fiche(m)} | {iri})


def _asserters(store, pairs: set[tuple[str, str]]) -> dict[tuple[str, str], set[str]]:
    """The fiche numbers stating each (new, old) replaces link (cg:LineageLink/cg:assertedBy).

    The number is read from the asserting fiche's IRI (minted from it, vocab.fiche_iri) rather than
    joined through cg:number, which the union of graphs repeats once per source.
    """
    found: dict[tuple[str, str], set[str]] = defaultdict(set)
    pattern = "?link cg:successor ?s ; cg:predecessor ?o ; cg:assertedBy ?x1"
    for new, old, asserter in _pairs(store, pattern, sorted({new for new, _ in pairs})):
        if (new, old) in pairs:
            found[new, old].add(number_from_iri(asserter) or compact(asserter))
    return found


def _replaces_edge(asserted: set[str]) -> dict:
    return {"kind": "replaces", "label": "replaces", "asserted_by": CODE_SEPARATOR.join(sorted(asserted))}


# ------------------------------------------------------------------ views


def lineage_view(store, fiche: str | None = None, depth: int = 2, threshold: float | None = None) -> nx.DiGraph:
    """Fiches linked by ``dcterms:replaces``, each edge from the new fiche to the one it replaces.

    With ``fiche``: its whole connected lineage (ancestors, descendants and their other branches).
    Without: every replaces link of the register, whose fiches are the nodes (a fiche with no
    lineage link is left out; ask for it by ``fiche`` to get it alone). ``depth`` and ``threshold``
    are not used. Edge attributes: ``kind`` (``replaces``), ``label``, ``asserted_by`` (numbers of
    the fiches stating the link, comma-joined). Node attributes: see :func:`fiche_attributes`.
    """
    graph = _graph(nx.DiGraph, "lineage", fiche)
    if fiche:
        members = _lineage_members(store, _fiche_iri_of(store, fiche))
        pairs = {(new, old) for new, old, *_ in _pairs(store, "GRAPH <https://w3id.org/certgraph/graph/derived/current> { ?s dcterms:replaces ?o }", members) if is_fiche(old)}
    else:
        pairs = {(new, old) for new, old in _select(store, "SELECT DISTINCT ?s ?o WHERE { GRAPH <https://w3id.org/certgraph/graph/derived/current> { ?s dcterms:replaces ?o } }")
                 if is_fiche(new) and is_fiche(old)}
        members = sorted({iri for pair in pairs for iri in pair})
    for iri, attributes in fiche_attributes(store, members).items():
        graph.add_node(iri, **attributes)
    asserted = _asserters(store, pairs)
    for new, old in sorted(pairs):
        graph.add_edge(new, old, **_replaces_edge(asserted.get((new, old), set())))
    return graph



def _rome_nodes(store, iris: Iterable[str]) -> dict[str, dict]:
    """Node attributes of ROME codes: ``code`` and ``title`` (the French preferred label)."""
    wanted = sorted(set(iris))
    notation = _least(store, "?s skos:notation ?o", wanted)
    labels: dict[str, list[tuple[bool, str]]] = defaultdict(list)
    for iri, label, lang in _pairs(store, "?s skos:prefLabel ?o BIND(LANG(?o) AS ?x1)", wanted):
        labels[iri].append((lang not in ("fr", ""), _text(label)))
    nodes = {}
    for iri in wanted:
        code = notation.get(iri) or unquote(iri.rsplit("/", 1)[-1])
        title = min(labels[iri])[1] if labels[iri] else ""
        nodes[iri] = {"uri": iri, "label": f"{code} {title}".strip(), "kind": "rome", "code": code, "title": title}
    return nodes


def _rome_links(store, fiches: list[str] | None) -> set[tuple[str, str]]:
    return {(f, c) for f, c, *_ in _pairs(store, "?s cg:rome ?o", fiches) if is_fiche(f)}


def occupations_view(store, fiche: str | None = None, depth: int = 2, threshold: float | None = None) -> nx.Graph:
    """Bipartite graph of certifications and the ROME codes (occupations) they lead to.

    Fiche nodes have ``bipartite=0`` and the attributes of :func:`fiche_attributes`; ROME nodes
    ``bipartite=1``, ``kind="rome"``, ``code``, ``title`` and ``label`` (code and French label).
    Edges: ``kind="rome"``, ``label``. With ``fiche``: the fiches of its lineage and their codes
    (a lineage fiche without a code stays, alone); without: every coded fiche of the register.
    """
    graph = _graph(nx.Graph, "occupations", fiche)
    members = _lineage_members(store, _fiche_iri_of(store, fiche)) if fiche else None
    links = _rome_links(store, members)
    fiches = members if members is not None else sorted({f for f, _ in links})
    for iri, attributes in fiche_attributes(store, fiches).items():
        graph.add_node(iri, **attributes, bipartite=0)
    for iri, attributes in _rome_nodes(store, {c for _, c in links}).items():
        graph.add_node(iri, **attributes, bipartite=1)
    for f, c in sorted(links):
        graph.add_edge(f, c, kind="rome", label="ROME")
    return graph


def occupation_projection_view(store, fiche: str | None = None, depth: int = 2,
                               threshold: float | None = None) -> nx.Graph:
    """Fiches linked when they share ROME codes: ``weight`` = how many, ``shared`` = which (comma-joined).

    ``threshold`` is the least number of shared codes an edge needs (default 1). With ``fiche``:
    the edges of that fiche only, to every fiche sharing a code with it. Without: the whole
    register's projection, which at one shared code has millions of edges: past
    MAX_PROJECTION_EDGES it raises ExportError (ask for a threshold of 3 or more, or a fiche).
    """
    least = DEFAULT_SHARED_CODES if threshold is None else threshold
    graph = _graph(nx.Graph, "occupation-projection", fiche, threshold=least)
    centre = _fiche_iri_of(store, fiche) if fiche else None
    if centre:  # the fiche's codes, then only the fiches that have one of them
        codes = sorted({c for _, c in _rome_links(store, [centre])})
        links = {(f, c) for f, c, *_ in _pairs(store, "?s cg:rome ?o", codes, "o") if is_fiche(f)}
    else:
        links = _rome_links(store, None)
    fiches_of: dict[str, set[str]] = defaultdict(set)
    codes_of: dict[str, set[str]] = defaultdict(set)
    for f, c in links:
        fiches_of[c].add(f)
        codes_of[f].add(c)
    code = {c: unquote(c.rsplit("/", 1)[-1]) for c in fiches_of}
    edges: list[tuple[str, str, list[str]]] = []
    if centre:
        shared: dict[str, list[str]] = defaultdict(list)
        for c in codes_of.get(centre, ()):
            for other in fiches_of[c] - {centre}:
                shared[other].append(code[c])
        edges = [(centre, other, codes) for other, codes in shared.items() if len(codes) >= least]
        nodes = {centre} | {other for _, other, _ in edges}
    else:
        for f in sorted(codes_of):
            counts: Counter[str] = Counter()
            for c in codes_of[f]:
                counts.update(other for other in fiches_of[c] if other > f)
            for other, count in counts.items():
                if count >= least:
                    edges.append((f, other, sorted(code[c] for c in codes_of[f] & codes_of[other])))
            if len(edges) > MAX_PROJECTION_EDGES:
                raise ExportError(
                    f"the whole-register occupation projection has over {MAX_PROJECTION_EDGES:,} edges at "
                    f"threshold {least:g} shared ROME code(s): give a fiche, or a threshold of 3 or more")
        nodes = {f for edge in edges for f in edge[:2]}
    for iri, attributes in fiche_attributes(store, nodes).items():
        graph.add_node(iri, **attributes)
    for a, b, codes in sorted(edges):
        codes = sorted(codes)
        graph.add_edge(a, b, kind="shared-rome", label=CODE_SEPARATOR.join(codes), weight=len(codes),
                       shared=CODE_SEPARATOR.join(codes))
    return graph


def _similarities(store, least: float) -> Iterator[tuple[str, str, float, str]]:
    """Stored fiche-to-fiche similarity scores at least ``least``: (left, right, score, method)."""
    query = ("SELECT DISTINCT ?left ?right ?score ?method ?methodLabel WHERE { ?a a cg:SimilarityAssessment ; "
             "cg:left ?left ; cg:right ?right ; cg:score ?score ; cg:method ?method . "
             "OPTIONAL { ?method rdfs:label ?methodLabel } }")
    for left, right, score, method, method_label in _select(store, query):
        if is_fiche(left) and is_fiche(right) and float(score) >= least:
            yield left, right, float(score), _text(method_label) or method.rsplit("/", 1)[-1]


def _correspondences(store) -> Iterator[tuple[str, str, str, str]]:
    """Official correspondences between fiches: (asserting fiche, other fiche, its number, label)."""
    query = ("SELECT DISTINCT ?corr ?from ?to ?number ?label WHERE { ?corr a xkos:Correspondence ; "
             "cg:assertedBy ?from ; xkos:compares ?to . FILTER(?to != ?from) "
             "OPTIONAL { ?from cg:number ?number } OPTIONAL { ?corr rdfs:label ?label } }")
    for _, source, target, number, label in _select(store, query):
        if is_fiche(source) and is_fiche(target):
            yield source, target, number or "", _text(label)


def _similarity_edge(score: float, method: str) -> dict:
    return {"kind": "similarity", "label": f"similarity {score:g}", "weight": score, "method": method,
            "asserted_by": ""}


def _correspondence_edge(number: str, label: str) -> dict:
    # An official correspondence weighs as a full equivalence (1.0) beside the computed scores.
    return {"kind": "correspondence", "label": label or "correspondence", "weight": 1.0, "method": "",
            "asserted_by": number}


def equivalence_view(store, fiche: str | None = None, depth: int = 2, threshold: float | None = None) -> nx.MultiGraph:
    """Fiches linked by stored similarity scores and by official block correspondences.

    Two edge kinds: ``similarity`` (derived graph, ``weight`` = score ≥ ``threshold``, default
    0.1; ``method``) and ``correspondence`` (published by a fiche, ``asserted_by`` its number,
    ``weight`` 1.0; a pair can carry one per direction). Every edge has ``kind``, ``label``,
    ``weight``, ``method`` and ``asserted_by``. With ``fiche``: its own edges and the fiches they
    reach; without: all of them.
    """
    least = DEFAULT_SIMILARITY if threshold is None else threshold
    graph = _graph(nx.MultiGraph, "equivalence", fiche, threshold=least)
    centre = _fiche_iri_of(store, fiche) if fiche else None
    edges = []
    for left, right, score, method in _similarities(store, least):
        edges.append((left, right, f"similarity:{method}", _similarity_edge(score, method)))
    for source, target, number, label in _correspondences(store):
        edges.append((source, target, f"correspondence:{number}", _correspondence_edge(number, label)))
    if centre is not None:
        edges = [edge for edge in edges if centre in edge[:2]]
    nodes = {iri for edge in edges for iri in edge[:2]} | ({centre} if centre else set())
    for iri, attributes in fiche_attributes(store, nodes).items():
        graph.add_node(iri, **attributes)
    for u, v, key, data in sorted(edges, key=lambda e: e[:3]):
        graph.add_edge(u, v, key=key, **data)
    return graph


def _block_nodes(store, iris: Iterable[str]) -> dict[str, dict]:
    wanted = sorted(set(iris))
    codes = _least(store, "?s skos:notation ?o", wanted)
    titles = _least(store, "?s dcterms:title ?o", wanted, _text)
    nodes = {}
    for iri in wanted:
        code, title = codes.get(iri, iri.rsplit("/", 1)[-1]), titles.get(iri, "")
        nodes[iri] = {"uri": iri, "label": f"{code} {short_title(title)}".strip(), "kind": "block",
                      "code": code, "title": title}
    return nodes


def _organisation_nodes(store, iris: Iterable[str]) -> dict[str, dict]:
    wanted = sorted(set(iris))
    names = _least(store, "?s schema:legalName ?o", wanted, _text)
    sirets: dict[str, str] = {}
    for iri, siret, *_ in _pairs(store, "?s cg:siret ?o", wanted):
        sirets[iri] = siret
    # The legal name is the ``title``, as for every other kind of node: an attribute called ``name``
    # would break pydot (and so networkx.read_dot) and shadow Cytoscape's own ``name``.
    return {iri: {"uri": iri, "label": names.get(iri, compact(iri)), "kind": "organisation",
                  "title": names.get(iri, ""), "siret": sirets.get(iri, "")} for iri in wanted}


# (edge kind, pattern from ?s to ?o, the kind of node each end is): the relations the neighbourhood walks.
_RELATIONS = (
    ("replaces", "GRAPH <https://w3id.org/certgraph/graph/derived/current> { ?s dcterms:replaces ?o }", "fiche", "fiche"),
    ("rome", "?s cg:rome ?o", "fiche", "rome"),
    ("block", "?s dcterms:hasPart ?o", "fiche", "block"),
    ("certifier", "?s cg:certifier ?o", "fiche", "organisation"),
)


def neighbourhood_view(store, fiche: str | None = None, depth: int = 2, threshold: float | None = None) -> nx.MultiDiGraph:
    """Everything within ``depth`` hops of a fiche across lineage, occupations, equivalence, blocks and certifiers.

    Hops follow edges either way: ``replaces`` (new → old fiche), ``rome`` (fiche → ROME code),
    ``block`` (fiche → its blocks), ``certifier`` (fiche → organisation), ``similarity`` (score ≥
    ``threshold``, default 0.1) and ``correspondence`` (asserting fiche → other fiche). The edges
    are those walked from nodes nearer than ``depth``: at depth 2 a ROME code brings every fiche
    that has it, but the codes of those fiches are not drawn. Nodes carry ``kind`` (fiche,
    historical, rome, block, organisation) and ``distance`` (hops from the fiche).
    """
    if not fiche:
        raise ExportError("the neighbourhood view needs a fiche")
    if depth < 0:
        raise ExportError("depth must be 0 or more")
    least = DEFAULT_SIMILARITY if threshold is None else threshold
    graph = _graph(nx.MultiDiGraph, "neighbourhood", fiche, depth=depth, threshold=least)
    centre = _fiche_iri_of(store, fiche)
    distance = {centre: 0}
    kinds = {centre: "fiche"}
    edges: dict[tuple[str, str, str], dict] = {}
    similarity = list(_similarities(store, least))
    correspondence = list(_correspondences(store))
    frontier = [centre]
    for hop in range(1, depth + 1):
        found: list[tuple[str, str, str, dict, str, str]] = []
        for kind, pattern, from_kind, to_kind in _RELATIONS:
            for s, o, *_ in _pairs(store, pattern, frontier, "s"):
                found.append((s, o, kind, {"kind": kind, "label": kind}, from_kind, to_kind))
            for s, o, *_ in _pairs(store, pattern, frontier, "o"):
                if is_fiche(s):
                    found.append((s, o, kind, {"kind": kind, "label": kind}, from_kind, to_kind))
        here = set(frontier)
        for left, right, score, method in similarity:
            if left in here or right in here:
                found.append((left, right, f"similarity:{method}", _similarity_edge(score, method), "fiche", "fiche"))
        for source, target, number, label in correspondence:
            if source in here or target in here:
                found.append((source, target, f"correspondence:{number}", _correspondence_edge(number, label),
                              "fiche", "fiche"))
        frontier = []
        for s, o, key, data, s_kind, o_kind in found:
            if (s_kind == "fiche" and not is_fiche(s)) or (o_kind == "fiche" and not is_fiche(o)):
                continue
            edges.setdefault((s, o, key), data)
            for node, node_kind in ((s, s_kind), (o, o_kind)):
                if node not in distance:
                    distance[node], kinds[node] = hop, node_kind
                    frontier.append(node)
        if not frontier:
            break
    by_kind: dict[str, list[str]] = defaultdict(list)
    for node, kind in kinds.items():
        by_kind[kind].append(node)
    readers = {"fiche": fiche_attributes, "rome": _rome_nodes, "block": _block_nodes, "organisation": _organisation_nodes}
    for kind, reader in readers.items():
        for iri, attributes in reader(store, by_kind[kind]).items():
            graph.add_node(iri, **attributes, distance=distance[iri])
    if "replaces" in {key for _, _, key in edges}:
        asserted = _asserters(store, {(s, o) for s, o, key in edges if key == "replaces"})
        for (s, o, key), data in edges.items():
            if key == "replaces":
                data["asserted_by"] = CODE_SEPARATOR.join(sorted(asserted.get((s, o), set())))
    for (s, o, key), data in sorted(edges.items()):
        graph.add_edge(s, o, key=key, **data)
    return graph


_LABEL_PROPERTIES = {  # the literals that become a node's label, best first
    "http://www.w3.org/2004/02/skos/core#prefLabel": 0,
    "http://www.w3.org/2000/01/rdf-schema#label": 1,
    "http://purl.org/dc/terms/title": 2,
    "https://schema.org/legalName": 3,
}
_RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"


_OUTSIDE_ONTOLOGY = f"FILTER(?g != <{ONTOLOGY_GRAPH}> && isIRI(?s) && isIRI(?o))"


def _triples(store, nodes: list[str], reverse: bool = False) -> Iterator[tuple[str, str, str]]:
    """IRI → IRI triples outside the ontology graph whose subject (object if ``reverse``) is one of ``nodes``."""
    for chunk in _chunks(nodes):
        values = " ".join(_iri(i) for i in chunk)
        yield from _select(store, f"SELECT DISTINCT ?s ?p ?o WHERE {{ VALUES ?{'o' if reverse else 's'} {{ {values} }} "
                                  f"GRAPH ?g {{ ?s ?p ?o }} {_OUTSIDE_ONTOLOGY} }}")


def _ego_triples(store, centre: str, depth: int) -> tuple[list[tuple[str, str, str]], list[str]]:
    """The triples walked from ``centre`` up to ``depth`` hops, either way, and the nodes reached."""
    seen, frontier = {centre}, [centre]
    triples: set[tuple[str, str, str]] = set()
    for _ in range(depth):
        found = [t for t in _triples(store, frontier) if t[1] != _RDF_TYPE]
        found += [t for t in _triples(store, frontier, reverse=True) if t[1] != _RDF_TYPE]
        triples.update(found)
        frontier = sorted({n for s, _, o in found for n in (s, o)} - seen)
        seen.update(frontier)
        if not frontier:
            break
    return sorted(triples), sorted(seen)


def graph_view(store, fiche: str | None = None, depth: int = 2, threshold: float | None = None) -> nx.MultiDiGraph:
    """The knowledge graph itself: every IRI a node, every IRI → IRI triple an edge (``kind`` = compact property).

    ``rdf:type`` becomes the node attribute ``type`` (compact class names, "; "-joined); labels
    (skos:prefLabel, rdfs:label, dcterms:title, schema:legalName, French first) become ``label``,
    prefixed by the fiche number or notation when there is one (else the compact IRI); other
    literals are left out, and so is the ontology's own graph. A triple stated by several sources
    is one edge. With ``fiche``: the nodes within ``depth`` hops of it, either way along any
    property but rdf:type. Node attributes: ``uri``, ``label``, ``type``; edges: ``kind``, ``label``.

    The whole register is read as two streamed SELECT DISTINCTs (triples, then types): about
    410,000 edges and 123,000 nodes from the demo store's 1.26 million quads.
    """
    graph = _graph(nx.MultiDiGraph, "graph", fiche, **({"depth": depth} if fiche else {}))
    if fiche:
        triples, nodes = _ego_triples(store, _fiche_iri_of(store, fiche), depth)
        graph.add_nodes_from(nodes)
        typed: Iterable[tuple] = _pairs(store, "?s a ?o", nodes)
        stream: Iterable[tuple[str, str, str]] = triples
        wanted: list[str] | None = nodes
    else:
        typed = _select(store, f"SELECT DISTINCT ?s ?o WHERE {{ GRAPH ?g {{ ?s a ?o }} {_OUTSIDE_ONTOLOGY} }}")
        stream = _select(store, f"SELECT DISTINCT ?s ?p ?o WHERE {{ GRAPH ?g {{ ?s ?p ?o }} {_OUTSIDE_ONTOLOGY} "
                                f"FILTER(?p != <{_RDF_TYPE}>) }}")
        wanted = None
    names: dict[str, str] = {}  # compact names of properties and classes: a few hundred, met a million times
    types: dict[str, set[str]] = defaultdict(set)
    for s, o, *_ in typed:
        types[s].add(names.get(o) or names.setdefault(o, compact(o)))
    if not fiche:
        graph.add_nodes_from(types)
    add_edge = graph.add_edge
    for s, p, o in stream:
        kind = names.get(p) or names.setdefault(p, compact(p))
        add_edge(s, o, key=kind, kind=kind, label=kind)
    labels: dict[str, tuple] = {}
    codes: dict[str, str] = {}
    label_pattern = ("?s ?x1 ?o BIND(LANG(?o) AS ?x2) FILTER(?x1 IN (skos:prefLabel, rdfs:label, "
                     "dcterms:title, schema:legalName))")
    for s, label, prop, lang in _pairs(store, label_pattern, wanted):
        if s in graph:
            rank = (_LABEL_PROPERTIES[prop], lang not in ("fr", ""), _text(label))
            labels[s] = min(rank, labels.get(s, rank))
    for s, code, *_ in _pairs(store, "?s ?x1 ?o FILTER(?x1 IN (cg:number, skos:notation))", wanted):
        if s in graph:
            codes[s] = min(code, codes.get(s, code))
    for node, data in graph.nodes(data=True):
        title, code = labels[node][2] if node in labels else "", codes.get(node, "")
        label = f"{code} {short_title(title)}" if code and title else code or title or compact(node)
        data.update(uri=node, label=label, type=NAME_SEPARATOR.join(sorted(types.get(node, ()))))
    return graph


def comparison_view(store, left: str, right: str, threshold: float = 0.0) -> nx.MultiGraph:
    """Two fiches side by side: their blocks, the one-to-one block alignment, their shared ROME codes.

    Not a register view (it takes two fiches), so not in VIEWS: ``certgraph draw compare A B``.
    Aligned block pairs scoring at least ``threshold`` are ``similarity`` edges (weight = score).
    """
    comparison = compare(store, load_queries(), normalise_fiche_number(left) or left, normalise_fiche_number(right) or right)
    graph = _graph(nx.MultiGraph, "comparison", None, left=comparison.left, right=comparison.right,
                   fiche_score=comparison.alignment.fiche_score)
    graph.graph["name"] = f"certgraph comparison {comparison.left} / {comparison.right}"
    fiches = [_fiche_iri_of(store, comparison.left), _fiche_iri_of(store, comparison.right)]
    for iri, data in fiche_attributes(store, fiches).items():
        graph.add_node(iri, **data)
    sides = (comparison.alignment.left, comparison.alignment.right)
    for fiche, number, blocks in zip(fiches, (comparison.left, comparison.right), sides):
        for block in blocks:
            node = str(block_iri(number, block.code))
            graph.add_node(node, uri=node, kind="block", code=block.code, title=block.label,
                           label=f"{block.code.removeprefix(number)} {short_title(block.label)}".strip())
            graph.add_edge(fiche, node, kind="block", label="block")
    for i, j in comparison.alignment.pairs:
        score = comparison.alignment.matrix[i][j]
        if score >= threshold:
            graph.add_edge(str(block_iri(comparison.left, sides[0][i].code)), str(block_iri(comparison.right, sides[1][j].code)),
                           **_similarity_edge(round(score, 2), "certgraph block alignment (TF-IDF cosine, one-to-one)"))
    shared = comparison.codes["rome"].shared
    for iri, data in _rome_nodes(store, [str(concept_iri("rome", code)) for code in shared]).items():
        graph.add_node(iri, **data)
        for fiche in fiches:
            graph.add_edge(fiche, iri, kind="rome", label="ROME")
    return graph


View = Callable[..., nx.Graph]

VIEWS: dict[str, View] = {
    "lineage": lineage_view,
    "occupations": occupations_view,
    "occupation-projection": occupation_projection_view,
    "equivalence": equivalence_view,
    "neighbourhood": neighbourhood_view,
    "graph": graph_view,
}


# ------------------------------------------------------------------ formats


def _columns(items: Iterable[dict]) -> dict[str, type]:
    """Each attribute's type across items: bool, int, float (int and float mixed) or str.

    ``""`` is a missing value and does not count: ``level`` holding 7 or ``""`` is an int column
    whose empty cells are left out of typed formats (GraphML, GEXF) rather than turning the whole
    column into text.

    >>> _columns([{"level": 7, "title": "a"}, {"level": "", "title": ""}, {"level": 6, "score": 0.5}])
    {'level': <class 'int'>, 'title': <class 'str'>, 'score': <class 'float'>}
    """
    seen: dict[str, set[type]] = {}
    for data in items:
        for key, value in data.items():
            kinds = seen.setdefault(key, set())
            if value != "" or isinstance(value, bool):
                kinds.add(type(value))
    columns = {}
    for key, kinds in seen.items():
        if kinds == {bool}:
            columns[key] = bool
        elif kinds == {int}:
            columns[key] = int
        elif kinds and kinds <= {int, float}:
            columns[key] = float
        else:
            columns[key] = str
    return columns


def _typed(value, kind: type):
    """A value in its column's type, or None when it is missing there (left out)."""
    if kind is str:
        return value if isinstance(value, str) else _plain(value)
    if value == "" and not isinstance(value, bool):
        return None
    return kind(value)


def _plain(value) -> str:
    """A value as text: booleans in lower case (XML Schema, JSON), numbers as Python writes them."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _edges(graph: nx.Graph) -> Iterator[tuple[str, str, object, dict]]:
    if graph.is_multigraph():
        yield from graph.edges(keys=True, data=True)
    else:
        for u, v, data in graph.edges(data=True):
            yield u, v, None, data


def write_graphml(graph: nx.Graph, path: Path) -> list[Path]:
    """GraphML through networkx, typed keys named after the attributes.

    A column with missing values (``""``) keeps its type and leaves those cells out. Edges of a
    multigraph get ids ``e0``, ``e1``… (unique, as Gephi and yEd need), the edge kinds staying in ``kind``.
    """
    node_types = _columns(data for _, data in graph.nodes(data=True))
    edge_types = _columns(data for *_, data in _edges(graph))
    typed = graph.__class__()
    typed.graph.update({k: _plain(v) if isinstance(v, bool) else v for k, v in graph.graph.items()})
    for node, data in graph.nodes(data=True):
        typed.add_node(node, **{k: t for k, v in data.items() if (t := _typed(v, node_types[k])) is not None})
    for index, (u, v, _, data) in enumerate(_edges(graph)):
        attributes = {k: t for k, v in data.items() if (t := _typed(v, edge_types[k])) is not None}
        if graph.is_multigraph():
            typed.add_edge(u, v, key=f"e{index}", **attributes)
        else:
            typed.add_edge(u, v, **attributes)
    nx.write_graphml(typed, str(path), named_key_ids=True)
    return [path]


GEXF_NAMESPACE = "http://gexf.net/1.3"
_GEXF_TYPES = {bool: "boolean", int: "long", float: "double", str: "string"}


def _xml_attribute(value: str) -> str:
    """A quoted XML attribute value; line breaks and tabs as character references so they survive."""
    escaped = (value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")
               .replace("\n", "&#10;").replace("\r", "&#13;").replace("\t", "&#9;"))
    return f'"{escaped}"'


def write_gexf(graph: nx.Graph, path: Path) -> list[Path]:
    """GEXF 1.3 (namespace ``http://gexf.net/1.3``) with typed attributes, written as a stream.

    networkx 3.6 can label a file "1.3" (``write_gexf(version="1.3")``) but what it writes does not
    validate: a wrong XSI namespace (``http://w3.org/2001/…``), a ``name`` attribute on ``<graph>``,
    and node attributes named ``start``/``end`` turned into dynamics (empty ones invalid); it also
    builds the whole document in memory. This writer avoids all of it and reads back with
    ``networkx.read_gexf``. Node ``label``, edge ``label``, ``weight`` and ``kind``
    are GEXF's own XML attributes (Gephi shows them; ``kind`` tells parallel edges apart); every
    attribute is also an ``attvalue``, but ``label`` and ``weight``. Ints are ``long``, floats
    ``double``; a missing value (``""``) is left out of a typed column.
    """
    node_types = _columns(data for _, data in graph.nodes(data=True))
    edge_types = _columns({k: v for k, v in data.items() if k not in ("label", "weight")} for *_, data in _edges(graph))
    directed = "directed" if graph.is_directed() else "undirected"
    description = graph.graph.get("name", "")
    with open(path, "w", encoding="utf-8") as out:
        out.write('<?xml version="1.0" encoding="UTF-8"?>\n')
        out.write(f'<gexf xmlns="{GEXF_NAMESPACE}" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
                  f'xsi:schemaLocation="{GEXF_NAMESPACE} {GEXF_NAMESPACE}/gexf.xsd" version="1.3">\n')
        out.write(f'  <meta lastmodifieddate="{dt.date.today().isoformat()}">\n'
                  f'    <creator>certgraph</creator>\n'
                  f'    <description>{_xml_attribute(description)[1:-1]}</description>\n  </meta>\n')
        out.write(f'  <graph defaultedgetype="{directed}" mode="static">\n')
        for cls, types, skip in (("node", node_types, ("label",)), ("edge", edge_types, ())):
            out.write(f'    <attributes class="{cls}">\n')
            for key, kind in types.items():
                if key not in skip:
                    out.write(f"      <attribute id={_xml_attribute(key)} title={_xml_attribute(key)} "
                              f'type="{_GEXF_TYPES[kind]}"/>\n')
            out.write("    </attributes>\n")
        out.write(f'    <nodes count="{graph.number_of_nodes()}">\n')
        for node, data in graph.nodes(data=True):
            label = data.get("label", node)
            out.write(f"      <node id={_xml_attribute(str(node))} label={_xml_attribute(_plain(label))}>")
            out.write(_attvalues(data, node_types, ("label",)))
            out.write("</node>\n")
        out.write("    </nodes>\n")
        out.write(f'    <edges count="{graph.number_of_edges()}">\n')
        for index, (u, v, _, data) in enumerate(_edges(graph)):
            head = f'      <edge id="e{index}" source={_xml_attribute(str(u))} target={_xml_attribute(str(v))}'
            if data.get("label", "") != "":
                head += f" label={_xml_attribute(_plain(data['label']))}"
            if isinstance(data.get("weight"), (int, float)) and not isinstance(data.get("weight"), bool):
                head += f' weight="{float(data["weight"])!r}"'
            if data.get("kind", "") != "":
                head += f" kind={_xml_attribute(_plain(data['kind']))}"
            out.write(head + ">" + _attvalues(data, edge_types, ("label", "weight")) + "</edge>\n")
        out.write("    </edges>\n  </graph>\n</gexf>\n")
    return [path]


def _attvalues(data: dict, types: dict[str, type], skip: tuple[str, ...]) -> str:
    cells = []
    for key, value in data.items():
        if key in skip:
            continue
        typed = _typed(value, types[key])
        if typed is not None:
            cells.append(f"<attvalue for={_xml_attribute(key)} value={_xml_attribute(_plain(typed))}/>")
    return f"<attvalues>{''.join(cells)}</attvalues>" if cells else ""


def _json_lines(out, items: Iterable[dict], indent: str) -> None:
    first = True
    for item in items:
        out.write(("\n" if first else ",\n") + indent + json.dumps(item, ensure_ascii=False))
        first = False
    out.write("\n" + indent[:-2] if not first else "")


def write_cytoscape(graph: nx.Graph, path: Path) -> list[Path]:
    """Cytoscape.js JSON, as ``cy.json()`` gives and Cytoscape desktop imports (File › Import › Network).

    ``{"data": {…graph…}, "elements": {"nodes": [{"data": {"id": …, …}}], "edges": [{"data":
    {"id": "e0", "source": …, "target": …, …}}]}}``. Nodes also get ``name`` (= label) and edges
    ``interaction`` (= kind), the columns Cytoscape desktop shows by default.
    """
    graph_data = dict(graph.graph, directed=graph.is_directed(), multigraph=graph.is_multigraph())
    with open(path, "w", encoding="utf-8") as out:
        out.write('{\n  "data": ' + json.dumps(graph_data, ensure_ascii=False) + ',\n  "elements": {\n    "nodes": [')
        _json_lines(out, ({"data": {"id": str(node), "name": data.get("label", str(node)), **data}}
                          for node, data in graph.nodes(data=True)), "      ")
        out.write('],\n    "edges": [')
        _json_lines(out, ({"data": {"id": f"e{index}", "source": str(u), "target": str(v),
                                    "interaction": data.get("kind", ""), **data}}
                          for index, (u, v, _, data) in enumerate(_edges(graph))), "      ")
        out.write("]\n  }\n}\n")
    return [path]


def write_node_link(graph: nx.Graph, path: Path) -> list[Path]:
    """networkx node-link JSON with ``links`` (as d3-force reads it): ``node_link_data(graph, edges="links")``, streamed."""
    multigraph = graph.is_multigraph()
    with open(path, "w", encoding="utf-8") as out:
        out.write(f'{{\n  "directed": {json.dumps(graph.is_directed())},\n  "multigraph": {json.dumps(multigraph)},\n'
                  f'  "graph": {json.dumps(graph.graph, ensure_ascii=False)},\n  "nodes": [')
        _json_lines(out, ({**data, "id": node} for node, data in graph.nodes(data=True)), "    ")
        out.write('],\n  "links": [')
        _json_lines(out, ({**data, "source": u, "target": v, **({"key": key} if multigraph else {})}
                          for u, v, key, data in _edges(graph)), "    ")
        out.write("]\n}\n")
    return [path]


def dot_id(value) -> str:
    """A DOT identifier: plain when it is a safe name, else double-quoted with ``\\`` and ``"`` escaped.

    Inside quotes DOT only unescapes ``\\"``; a backslash is doubled so a text ending in one cannot
    swallow the closing quote, and a line break becomes ``\\n`` (a line break in Graphviz labels).

    >>> dot_id("kind"), dot_id('say "hi"\\\\'), dot_id("two\\nlines"), dot_id(7)
    ('kind', '"say \\\\"hi\\\\"\\\\\\\\"', '"two\\\\nlines"', '"7"')
    """
    text = _plain(value)
    if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", text) and text.lower() not in ("node", "edge", "graph", "digraph", "subgraph", "strict"):
        return text
    return f'"{dot_escape(text)}"'


def dot_escape(text: str) -> str:
    """Text for inside a DOT double-quoted string: ``\\`` and ``"`` escaped, line breaks as ``\\n``."""
    return text.replace("\\", "\\\\").replace('"', '\\"').replace("\r\n", "\\n").replace("\n", "\\n").replace("\r", "\\n")


def _dot_attributes(data: dict) -> str:
    if not data:
        return ""
    return " [" + ", ".join(f"{dot_id(k)}={dot_id(v)}" for k, v in data.items()) + "]"


def write_dot(graph: nx.Graph, path: Path) -> list[Path]:
    """Graphviz DOT, written here (no pygraphviz): every attribute kept, ids and values quoted.

    The lineage runs left to right (``rankdir=LR``), oldest fiche on the right since edges go from
    the new fiche to the one it replaces; nodes are boxes.
    """
    keyword, arrow = ("digraph", "->") if graph.is_directed() else ("graph", "--")
    with open(path, "w", encoding="utf-8") as out:
        out.write(f"{keyword} {dot_id(graph.graph.get('name', 'certgraph'))} {{\n")
        layout = {"rankdir": "LR"} if graph.graph.get("view") == "lineage" else {}
        out.write(f"  graph{_dot_attributes(dict(layout, **{k: v for k, v in graph.graph.items() if k != 'name'}))};\n")
        out.write('  node [shape=box, style=rounded, fontname="Helvetica"];\n')
        out.write('  edge [fontname="Helvetica", fontsize=9];\n')
        out.writelines(f"  {dot_id(node)}{_dot_attributes(data)};\n" for node, data in graph.nodes(data=True))
        out.writelines(f"  {dot_id(u)} {arrow} {dot_id(v)}{_dot_attributes(data)};\n" for u, v, _, data in _edges(graph))
        out.write("}\n")
    return [path]


def _ordered_keys(items: Iterable[dict]) -> list[str]:
    keys: dict[str, None] = {}
    for data in items:
        keys.update(dict.fromkeys(data))
    return list(keys)


def write_csv(graph: nx.Graph, path: Path) -> list[Path]:
    """Two CSV files beside ``path``: ``<stem>-nodes.csv`` (``id`` then the attributes) and
    ``<stem>-edges.csv`` (``source``, ``target`` then the attributes); UTF-8, booleans as true/false.
    """
    nodes_path = path.with_name(f"{path.stem}-nodes.csv")
    edges_path = path.with_name(f"{path.stem}-edges.csv")
    node_keys = _ordered_keys(data for _, data in graph.nodes(data=True))
    edge_keys = _ordered_keys(data for *_, data in _edges(graph))
    with open(nodes_path, "w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(["id", *node_keys])
        for node, data in graph.nodes(data=True):
            writer.writerow([node, *(_plain(data.get(k, "")) for k in node_keys)])
    with open(edges_path, "w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(["source", "target", *edge_keys])
        for u, v, _, data in _edges(graph):
            writer.writerow([u, v, *(_plain(data.get(k, "")) for k in edge_keys)])
    return [nodes_path, edges_path]


Writer = Callable[[nx.Graph, Path], list[Path]]

FORMATS: dict[str, Writer] = {
    "graphml": write_graphml,
    "gexf": write_gexf,
    "cytoscape": write_cytoscape,
    "node-link": write_node_link,
    "dot": write_dot,
    "csv": write_csv,
}


def export(view_name: str, store, fmt: str, path: Path, **options) -> list[Path]:
    """Build a view and write it in a format; returns the files written.

    :param options: ``fiche``, ``depth``, ``threshold``, passed to the view.
    :raises ExportError: an unknown view or format, or a view that cannot be built.
    """
    if view_name not in VIEWS:
        raise ExportError(f"unknown view {view_name!r}; one of: {', '.join(VIEWS)}")
    if fmt not in FORMATS:
        raise ExportError(f"unknown format {fmt!r}; one of: {', '.join(FORMATS)}")
    graph = VIEWS[view_name](store, **options)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    return FORMATS[fmt](graph, path)
