"""What the equivalence method reads of each fiche, from any store, with one query per field.

A fiche's *descriptor*: every title it is known by (the reconciled one and the former ones), its
blocks (label and competency statements), its reconciled ROME, NSF and Formacode codes each with
every broader code (the ``derived/hierarchy`` graph: a ROME fiche with its domain and grand domain,
an NSF specialty with its group and domain, a Formacode term with its broader terms), its EQF level,
its certifiers and its reconciled effect and end dates. Lineage links are never read here: they are
the ground truth the method is measured against.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field

from ..queries import internal_query
from ..store import lexical_rows
from .blocks import BlockText, register_blocks

CODE_FIELDS = ("rome", "nsf", "formacode")


@dataclass
class Descriptor:
    """One fiche's descriptors (see the module docstring)."""

    iri: str
    number: str
    titles: list[str] = field(default_factory=list)
    blocks: dict[str, BlockText] = field(default_factory=dict)
    # field -> features (code IRIs, with their broader codes); ``codes`` keeps the fiche's own codes.
    features: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    codes: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    level: int | None = None
    certifiers: set[str] = field(default_factory=set)
    effect: dt.date | None = None
    end: dt.date | None = None

    def has_content(self) -> bool:
        """Whether the method has anything to compare beyond the title."""
        return bool(self.blocks or any(self.codes.values()))


def _date(text: str | None) -> dt.date | None:
    try:
        return dt.date.fromisoformat(text[:10]) if text else None
    except ValueError:
        return None


def _level(iri: str | None) -> int | None:
    # EQF level concepts end in their number (http://data.europa.eu/snb/eqf/7).
    tail = (iri or "").rstrip("/").rsplit("/", 1)[-1]
    return int(tail) if tail.isdigit() else None


def broader_codes(store) -> dict[str, set[str]]:
    """Each code of the derived hierarchy with itself and every broader code of its list (a code
    missing from it has none: callers use ``broader.get(code) or {code}``)."""
    broader: dict[str, set[str]] = defaultdict(set)
    for code, wider in lexical_rows(store, internal_query("equivalence/hierarchy").bind()):
        broader[code].add(wider)
    return broader


def read_descriptors(store) -> dict[str, Descriptor]:
    """Every fiche of the reconciled view with its descriptors, by fiche IRI."""
    fiches: dict[str, Descriptor] = {}
    for iri, number, level, effect, end in lexical_rows(store, internal_query("equivalence/fiches").bind()):
        fiches[iri] = Descriptor(iri, number, level=_level(level), effect=_date(effect), end=_date(end))
    for iri, text in lexical_rows(store, internal_query("equivalence/titles").bind()):
        if iri in fiches and text not in fiches[iri].titles:
            fiches[iri].titles.append(text)
    broader = broader_codes(store)
    for iri, name, code in lexical_rows(store, internal_query("equivalence/codes").bind()):
        if iri in fiches:
            fiches[iri].codes[name].add(code)
            fiches[iri].features[name].update(broader.get(code) or {code})
    for iri, certifier in lexical_rows(store, internal_query("equivalence/certifiers").bind()):
        if iri in fiches:
            fiches[iri].certifiers.add(certifier)
    for iri, blocks in register_blocks(store).items():
        if iri in fiches:
            fiches[iri].blocks = {block.code: block for block in blocks}
    for descriptor in fiches.values():
        descriptor.titles.sort()
    return fiches


def stated_links(store) -> list[tuple[str, str]]:
    """The current lineage links of the reconciled view as (old IRI, new IRI), sorted."""
    return sorted(set(lexical_rows(store, internal_query("equivalence/links").bind())))


__all__ = ["Descriptor", "broader_codes", "read_descriptors", "stated_links"]
