"""Compare two certifications: level, certifiers, codes (shared / left only / right only), blocks.

Facts come from named queries; the official block correspondences (XKOS, stated by the register)
come first, apart; the block similarity is computed here with the documented method of
:mod:`certgraph.equivalence.blocks` from the competency texts the store holds, weighted by the IDF
of every block of the store (or of the ``idf`` given).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from .equivalence.blocks import Alignment, BlockText, align, register_idf
from .equivalence.index import load_block_idf
from .errors import CertgraphError
from .queries import NamedQuery, internal_query, run_named
from .status import Status
from .store import equivalence_path, lexical_rows, to_python
from .vocab import fiche_iri

SCHEMES = ("rome", "nsf", "formacode")


class CompareError(CertgraphError):
    """A fiche to compare is not in the graph."""


@dataclass
class CodeComparison:
    """Codes of one scheme: shared, only in the left fiche, only in the right one."""

    shared: list[str] = field(default_factory=list)
    left: list[str] = field(default_factory=list)
    right: list[str] = field(default_factory=list)


@dataclass
class OfficialCorrespondence:
    """One association of an official correspondence (XKOS) between the two fiches.

    ``left`` and ``right`` are block codes (or the fiche number, when the association names the
    whole fiche); ``asserter`` is the fiche whose record states it.
    """

    asserter: str
    left: list[str]
    right: list[str]

    def as_dict(self) -> dict:
        return {"asserter": self.asserter, "left": self.left, "right": self.right}


@dataclass
class Comparison:
    """Everything ``certgraph compare`` shows."""

    left: str
    right: str
    summary: dict[str, dict[str, list[str]]]
    codes: dict[str, CodeComparison]
    nsf_groups: CodeComparison
    alignment: Alignment
    as_of: dt.date = field(default_factory=dt.date.today)
    # Each fiche's status on ``as_of`` (from its reconciled dates), by number.
    status: dict[str, Status] = field(default_factory=dict)
    # The correspondences the register states between the two fiches, before any computed score.
    official: list[OfficialCorrespondence] = field(default_factory=list)

    def as_dict(self) -> dict:
        """A JSON-ready view."""
        a = self.alignment
        return {
            "left": self.left,
            "right": self.right,
            "asOf": self.as_of.isoformat(),
            "status": {number: {"in_force": st.in_force, "status": st.describe(self.as_of)} for number, st in self.status.items()},
            "summary": self.summary,
            "codes": {k: vars(v) for k, v in self.codes.items()},
            "nsf_groups": vars(self.nsf_groups),
            "official": [item.as_dict() for item in self.official],
            "blocks": {
                "method": a.method,
                "left": [b.code for b in a.left],
                "right": [b.code for b in a.right],
                "matrix": a.matrix,
                "alignment": [
                    {"left": a.left[i].code, "right": a.right[j].code, "score": a.matrix[i][j],
                     "evidence": a.evidence_words(i, j)}
                    for i, j in a.pairs
                ],
                "fiche_score": a.fiche_score,
            },
        }


def _summary(store, queries: dict[str, NamedQuery], fiche: str, as_of: dt.date) -> tuple[dict[str, list[str]], Status]:
    """The reconciled values of a fiche's fields (older sources' values are history) and its status."""
    fields: dict[str, list[str]] = {}
    reconciled: dict[str, tuple[object, object]] = {}
    for row in run_named(store, queries["fiche/summary"], {"fiche": fiche, "asOf": as_of.isoformat()}).rows:
        if to_python(row.get("reconciled")) is False:
            continue
        reconciled.setdefault(str(row["field"]), (to_python(row["value"]), to_python(row.get("issued"))))
        value = to_python(row.get("label")) or to_python(row["value"])
        values = fields.setdefault(str(row["field"]), [])
        if str(value) not in values:
            values.append(str(value))
    if not fields:
        raise CompareError(f"{fiche} is not in the graph")
    return fields, Status.of(as_of, reconciled)


def _split(rows: list[dict], scheme: str) -> CodeComparison:
    result = CodeComparison()
    for row in rows:
        if str(row["scheme"]) == scheme:
            getattr(result, str(row["side"])).append(str(row["code"]))
    return result


def _nsf_groups(codes: CodeComparison) -> CodeComparison:
    # An NSF code's group is its first three characters: 330p and 330 match at group level.
    left = {c[:3] for c in codes.shared + codes.left}
    right = {c[:3] for c in codes.shared + codes.right}
    return CodeComparison(sorted(left & right), sorted(left - right), sorted(right - left))


def fiche_blocks(store, queries: dict[str, NamedQuery], fiche: str) -> list[BlockText]:
    """The blocks of a fiche with their competencies, as the similarity method reads them."""
    blocks: dict[str, BlockText] = {}
    for row in run_named(store, queries["fiche/blocks"], {"fiche": fiche}).rows:
        code = str(row["code"])
        block = blocks.setdefault(code, BlockText(code, str(to_python(row.get("label")) or "")))
        if "competency" in row:
            block.competencies.append(str(row["competency"]))
    return [BlockText(b.code, b.label, sorted(b.competencies)) for _, b in sorted(blocks.items())]


def official_correspondences(store, left: str, right: str) -> list[OfficialCorrespondence]:
    """The official block correspondences (XKOS) between two fiches, stated by either, left's blocks on the left."""
    associations: dict[str, OfficialCorrespondence] = {}
    other = str(fiche_iri(right))
    for row in lexical_rows(store, internal_query("pages/fiche-correspondences").bind({"this": str(fiche_iri(left))})):
        _corr, found, _number, asserter, association, _from, from_code, _to, to_code = row
        if found != other or association is None:
            continue
        item = associations.setdefault(association, OfficialCorrespondence(asserter or "", [], []))
        # An association goes from the asserter's blocks to the other fiche's.
        mine, theirs = (from_code, to_code) if asserter == left else (to_code, from_code)
        if mine and mine not in item.left:
            item.left.append(mine)
        if theirs and theirs not in item.right:
            item.right.append(theirs)
    return sorted(associations.values(), key=lambda item: (item.asserter, item.left, item.right))


def _register_idf(store) -> dict[str, float]:
    """The block IDF saved with the store's equivalence index, else read from its blocks."""
    path = getattr(store, "path", None)
    saved = load_block_idf(equivalence_path(path)) if path else None
    return saved if saved is not None else register_idf(store)


def compare(store, queries: dict[str, NamedQuery], left: str, right: str, as_of: dt.date | None = None,
            idf: dict[str, float] | None = None) -> Comparison:
    """Compare fiches ``left`` and ``right`` (numbers like RNCP35080), their statuses on ``as_of`` (default today).

    :param idf: the register's block IDF (:func:`certgraph.equivalence.blocks.register_idf`); when not
        given, the one saved with the store's equivalence index, else read from the store's blocks.
    :raises CompareError: when the graph does not know one of them.
    """
    as_of = as_of or dt.date.today()
    (left_summary, left_status), (right_summary, right_status) = (
        _summary(store, queries, left, as_of), _summary(store, queries, right, as_of))
    rows = run_named(store, queries["compare/codes"], {"left": left, "right": right}).rows
    codes = {scheme: _split(rows, scheme) for scheme in SCHEMES}
    return Comparison(
        left=left,
        right=right,
        summary={left: left_summary, right: right_summary},
        codes=codes,
        nsf_groups=_nsf_groups(codes["nsf"]),
        alignment=align(fiche_blocks(store, queries, left), fiche_blocks(store, queries, right),
                        _register_idf(store) if idf is None else idf),
        as_of=as_of,
        status={left: left_status, right: right_status},
        official=official_correspondences(store, left, right),
    )


__all__ = ["Comparison", "CodeComparison", "CompareError", "OfficialCorrespondence", "compare", "fiche_blocks",
           "official_correspondences"]
