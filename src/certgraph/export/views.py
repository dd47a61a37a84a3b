"""Graph views of the store as networkx graphs: which nodes, edges and attributes each view holds.

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

The SELECTs are the files of ``queries/internal/export/``, read with ``internal_query`` and bound
with ``NamedQuery.bind``; :func:`export` writes a view in one of the formats of ``formats.py``.

>>> sorted(VIEWS) == sorted(["lineage", "occupations", "occupation-projection", "equivalence",
...                          "neighbourhood", "graph"])
True
"""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from urllib.parse import unquote

import networkx as nx

from ..compare import compare
from ..errors import CertgraphError
from ..queries import QueryError, fiche_known, internal_query, load_queries
from ..records import normalise_fiche_number
from ..status import Status, as_date
from ..store import lexical_rows, plain_value
from ..vocab import ID, block_iri, compact, concept_iri, fiche_iri, number_from_iri
from .formats import FORMATS


class ExportError(CertgraphError):
    """A view or a format could not be produced: unknown name, unknown fiche, too large a result."""


# Default thresholds: a similarity score (cosine in [0, 1]) for the views that draw similarity
# edges; a number of shared ROME codes for the projection. 0.1 keeps the worked example's
# comparable pair (RNCP35080 and RNCP41296 score 0.1317) and drops near-zero scores.
DEFAULT_SIMILARITY = 3.0  # content-mode score (equivalence-v1): a strong match, not a shared word
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
# The datatypes the ontology gives cg:active and cg:score (the store's rows are lexical forms).
_BOOLEAN = "http://www.w3.org/2001/XMLSchema#boolean"
_DECIMAL = "http://www.w3.org/2001/XMLSchema#decimal"


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


def _chunks(items: list[str], size: int = VALUES_CHUNK) -> Iterator[list[str]]:
    for start in range(0, len(items), size):
        yield items[start:start + size]


def _run(store, name: str, values: dict | None = None) -> Iterator[tuple[str | None, ...]]:
    """The rows (lexical forms) of the internal query ``export/<name>`` with ``values`` bound."""
    try:
        text = internal_query(f"export/{name}").bind(values)
    except QueryError as exc:
        raise ExportError(str(exc)) from None
    return lexical_rows(store, text)


def _rows(store, name: str, nodes: Iterable[str] | None = None,
          keep: Callable[[tuple, set[str]], bool] | None = None) -> Iterator[tuple[str | None, ...]]:
    """The rows of ``export/<name>``, a query of one ``many`` parameter: those of ``nodes`` only.

    ``nodes`` are bound VALUES_CHUNK at a time. A longer list is read with the query unbound (its
    text as is, the parameter a free variable: every row, in one scan) and ``keep(row, nodes)``
    picks the rows (by default, those whose first column is one of ``nodes``). ``nodes`` None:
    every row.
    """
    query = internal_query(f"export/{name}")
    if nodes is None:
        yield from lexical_rows(store, query.text)
        return
    wanted = set(nodes)
    if len(wanted) > VALUES_CHUNK:
        rows = lexical_rows(store, query.text)
        if keep is None:
            yield from (row for row in rows if row[0] in wanted)
        else:
            yield from (row for row in rows if keep(row, wanted))
        return
    for chunk in _chunks(sorted(wanted)):
        yield from _run(store, name, {query.params[0].name: chunk})


def _either_end(row: tuple, wanted: set[str]) -> bool:
    """A link (``?kind ?s ?o``) touching one of ``wanted``."""
    return row[1] in wanted or row[2] in wanted


def _least(rows: Iterable[tuple], clean=str) -> dict[str, str]:
    """The least value (after ``clean``) of each subject of ``(subject, value)`` rows: where sources
    state several values, the alphabetically first, as the named queries pick them."""
    least: dict[str, str] = {}
    for iri, value in rows:
        value = clean(value)
        least[iri] = min(value, least.get(iri, value))
    return least


def _fields(rows: Iterable[tuple]) -> dict[str, list[tuple]]:
    """``(subject, field, value, …)`` rows grouped by field, as ``(subject, value, …)``."""
    grouped: dict[str, list[tuple]] = defaultdict(list)
    for subject, name, *rest in rows:
        grouped[name].append((subject, *rest))
    return grouped


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


# What fiche_attributes reads: field -> its query (export/fiche-*: one per field, which the store
# answers faster than their union).
_FICHE_FIELDS = {
    "number": "fiche-number",
    "title": "fiche-title",
    "eqf": "fiche-eqf",
    "eqf1969": "fiche-eqf1969",
    "certifier": "fiche-certifier",
    "active": "fiche-active",
    "activeAsOf": "fiche-active-as-of",
    "effect": "fiche-effect",
    "registrationEffect": "fiche-registration-effect",
    "decision": "fiche-decision",
    "end": "fiche-end",
    "registrationEnd": "fiche-registration-end",
}


def fiche_attributes(store, iris: Iterable[str]) -> dict[str, dict]:
    """Node attributes of certifications, read in bulk: one query per field, not one query per fiche.

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
    for field, query in _FICHE_FIELDS.items():
        for subject, value in _rows(store, query, wanted):
            values[subject][field].add(value)
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
        flag = any(plain_value(v, _BOOLEAN) is True for v in active) if active else None
        status = Status(today, as_date(min(found["effect"], default=None)), as_date(end or None), flag,
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
            "active": "" if flag is None else flag,
            "active_as_of": max(found["activeAsOf"], default=""),
            "in_force": "" if status.in_force is None else status.in_force,
            "status": status.describe(today),
        }
    return nodes


def _lineage_members(store, iri: str) -> list[str]:
    rows = _run(store, "lineage-members", {"fiche": iri})
    return sorted({m for (m,) in rows if is_fiche(m)} | {iri})


def _asserters(store, pairs: set[tuple[str, str]]) -> dict[tuple[str, str], set[str]]:
    """The fiche numbers stating each (new, old) replaces link (cg:LineageLink/cg:assertedBy).

    The number is read from the asserting fiche's IRI (minted from it, vocab.fiche_iri) rather than
    joined through cg:number, which the union of graphs repeats once per source.
    """
    found: dict[tuple[str, str], set[str]] = defaultdict(set)
    for new, old, asserter in _rows(store, "asserters", {new for new, _ in pairs}):
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
        pairs = {(new, old) for new, old in _rows(store, "replaces", members) if is_fiche(old)}
    else:
        pairs = {(new, old) for new, old in _rows(store, "replaces") if is_fiche(new) and is_fiche(old)}
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
    found = _fields(_rows(store, "rome-nodes", wanted))
    notation = _least((iri, value) for iri, value, _ in found["notation"])
    labels: dict[str, list[tuple[bool, str]]] = defaultdict(list)
    for iri, label, lang in found["label"]:
        labels[iri].append((lang not in ("fr", ""), _text(label)))
    nodes = {}
    for iri in wanted:
        code = notation.get(iri) or unquote(iri.rsplit("/", 1)[-1])
        title = min(labels[iri])[1] if labels[iri] else ""
        nodes[iri] = {"uri": iri, "label": f"{code} {title}".strip(), "kind": "rome", "code": code, "title": title}
    return nodes


def _rome_links(store, fiches: list[str] | None) -> set[tuple[str, str]]:
    return {(f, c) for f, c in _rows(store, "rome-codes", fiches) if is_fiche(f)}


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
    if centre:  # only the fiches that have one of the fiche's codes
        links = {(f, c) for f, c in _run(store, "shared-rome", {"centre": centre}) if is_fiche(f)}
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
    for left, right, score, method, method_label in _run(store, "similarities"):
        score = plain_value(score, _DECIMAL)
        if is_fiche(left) and is_fiche(right) and score >= least:
            yield left, right, score, _text(method_label) or method.rsplit("/", 1)[-1]


def _correspondences(store) -> Iterator[tuple[str, str, str, str]]:
    """Official correspondences between fiches: (asserting fiche, other fiche, its number, label)."""
    for _, source, target, number, label in _run(store, "correspondences"):
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

    Two edge kinds: ``similarity`` (derived graph: each fiche's 20 nearest in content mode, ``weight`` =
    score ≥ ``threshold``, default :data:`DEFAULT_SIMILARITY`; ``method``) and ``correspondence`` (published by a fiche, ``asserted_by`` its number,
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
    found = _fields(_rows(store, "block-nodes", wanted))
    codes = _least(found["notation"])
    titles = _least(found["title"], _text)
    nodes = {}
    for iri in wanted:
        code, title = codes.get(iri, iri.rsplit("/", 1)[-1]), titles.get(iri, "")
        nodes[iri] = {"uri": iri, "label": f"{code} {short_title(title)}".strip(), "kind": "block",
                      "code": code, "title": title}
    return nodes


def _organisation_nodes(store, iris: Iterable[str]) -> dict[str, dict]:
    wanted = sorted(set(iris))
    found = _fields(_rows(store, "organisation-nodes", wanted))
    names = _least(found["name"], _text)
    sirets: dict[str, str] = {}
    for iri, siret in found["siret"]:
        sirets[iri] = siret
    # The legal name is the ``title``, as for every other kind of node: an attribute called ``name``
    # would break pydot (and so networkx.read_dot) and shadow Cytoscape's own ``name``.
    return {iri: {"uri": iri, "label": names.get(iri, compact(iri)), "kind": "organisation",
                  "title": names.get(iri, ""), "siret": sirets.get(iri, "")} for iri in wanted}


# Edge kind -> the kind of node each end is: the relations the neighbourhood walks (export/neighbours).
_RELATIONS = {
    "replaces": ("fiche", "fiche"),
    "rome": ("fiche", "rome"),
    "block": ("fiche", "block"),
    "certifier": ("fiche", "organisation"),
}


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
        for kind, s, o in _rows(store, "neighbours", frontier, _either_end):
            from_kind, to_kind = _RELATIONS[kind]
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


def _object_in(row: tuple, wanted: set[str]) -> bool:
    return row[2] in wanted


def _ego_triples(store, centre: str, depth: int) -> tuple[list[tuple[str, str, str]], list[str]]:
    """The triples walked from ``centre`` up to ``depth`` hops, either way, and the nodes reached."""
    seen, frontier = {centre}, [centre]
    triples: set[tuple[str, str, str]] = set()
    for _ in range(depth):
        found = [t for t in _rows(store, "triples-from", frontier) if t[1] != _RDF_TYPE]
        found += [t for t in _rows(store, "triples-to", frontier, _object_in) if t[1] != _RDF_TYPE]
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
        typed: Iterable[tuple] = _rows(store, "types", nodes)
        stream: Iterable[tuple[str, str, str]] = triples
        wanted: list[str] | None = nodes
    else:
        typed = _run(store, "graph-types")
        stream = _run(store, "triples")
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
    for s, prop, text, lang in _rows(store, "labels", wanted):
        if s not in graph:
            continue
        if prop in _LABEL_PROPERTIES:
            rank = (_LABEL_PROPERTIES[prop], lang not in ("fr", ""), _text(text))
            labels[s] = min(rank, labels.get(s, rank))
        else:  # cg:number or skos:notation
            codes[s] = min(text, codes.get(s, text))
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
                           label=f"{block.code} {short_title(block.label)}".strip())
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
