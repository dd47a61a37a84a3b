"""Validation with the SHACL shapes of ``ontology/shapes.ttl``: fast on the store, pyshacl as reference.

Every constraint in the shapes is SHACL-SPARQL on a node shape. The fast engine runs each
constraint as one SPARQL query on the store, ``$this`` joined with the shape's target instead of
pre-bound node by node; pyshacl runs the same shapes on an rdflib graph. A test holds the two to
identical findings.
"""

from __future__ import annotations

import re
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from rdflib import BNode, Graph, Literal, URIRef
from rdflib.namespace import RDF, SH

from .errors import CertgraphError
from .queries import fiche_known, internal_query
from .records import FICHE_NUMBER
from .resources import shapes_path
from .sparql_text import inject_values, strip_comments
from .store import QueryResult, to_python
from .vocab import CG, FICHE_IRI, ID, VALIDATION_GRAPH, number_from_iri

SEVERITIES = {SH.Violation: "Violation", SH.Warning: "Warning", SH.Info: "Info"}
_RANK = {"Violation": 0, "Warning": 1, "Info": 2}


class ValidationError(CertgraphError):
    """Validation could not run (bad shapes, store error)."""


@dataclass(frozen=True, order=True)
class Finding:
    """One validation result: the focus node, the shape, severity, message and offending value."""

    focus: str
    shape: str
    severity: str
    message: str
    value: str

    @property
    def fiche(self) -> str | None:
        """The fiche the finding is about, when the focus is a fiche or something under it."""
        match = FICHE_IRI.match(self.focus)
        if match and self.focus[match.end():match.end() + 1] in ("", "/"):
            return number_from_iri(match.group(0))
        # a source's status claim about a fiche: id/status/<source>/<number>
        claim = re.match(re.escape(str(ID)) + r"status/[^/]+/([^/]+)$", self.focus)
        return claim.group(1) if claim and FICHE_NUMBER.match(claim.group(1)) else None


@dataclass
class ValidationReport:
    """All findings of one run, with the engine and the time it took."""

    findings: list[Finding] = field(default_factory=list)
    engine: str = "store"
    seconds: float = 0.0

    @property
    def conforms(self) -> bool:
        """True when no finding is a violation."""
        return not any(f.severity == "Violation" for f in self.findings)

    def about(self, fiche: str) -> ValidationReport:
        """Only the findings about one fiche (and its blocks, registrations...)."""
        return ValidationReport([f for f in self.findings if f.fiche == fiche], self.engine, self.seconds)

    def summary(self) -> list[tuple[str, str, int]]:
        """(shape, severity, count), violations first, then by count."""
        counts = Counter((f.shape, f.severity) for f in self.findings)
        return sorted(((s, sev, n) for (s, sev), n in counts.items()), key=lambda r: (_RANK[r[1]], -r[2], r[0]))

    def to_graph(self) -> Graph:
        """The report as a SHACL ``sh:ValidationReport`` graph."""
        graph = Graph()
        graph.bind("sh", SH)
        report = BNode()
        graph.add((report, RDF.type, SH.ValidationReport))
        graph.add((report, SH.conforms, Literal(self.conforms)))
        severity = {v: k for k, v in SEVERITIES.items()}
        for finding in self.findings:
            result = BNode()
            graph.add((report, SH.result, result))
            graph.add((result, RDF.type, SH.ValidationResult))
            graph.add((result, SH.focusNode, URIRef(finding.focus)))
            graph.add((result, SH.resultSeverity, severity[finding.severity]))
            graph.add((result, SH.resultMessage, Literal(finding.message)))
            graph.add((result, SH.sourceShape, URIRef(SHAPES_NS + finding.shape)))
            graph.add((result, SH.value, URIRef(finding.value) if "://" in finding.value else Literal(finding.value)))
        return graph


SHAPES_NS = "https://w3id.org/certgraph/shapes#"
FICHE_CLASSES = {str(CG.Certification), str(CG.RNCPCertification), str(CG.RSCertification)}


@dataclass
class Constraint:
    """One SHACL-SPARQL constraint of a node shape, ready to run as a query."""

    shape: str
    targets: list[str]
    select: str
    message: str
    severity: str
    prefixes: str


def load_constraints(path: Path | None = None) -> list[Constraint]:
    """Every sh:sparql constraint of the shapes file, with its targets and prefixes."""
    shapes = Graph().parse(path or shapes_path())
    constraints = []
    for shape in sorted(set(shapes.subjects(SH.sparql, None)), key=str):
        targets = sorted(str(t) for t in shapes.objects(shape, SH.targetClass))
        if not targets or set(shapes.objects(shape, SH.targetNode)) | set(shapes.objects(shape, SH.targetSubjectsOf)):
            raise ValidationError(f"shape {shape}: the fast engine supports sh:targetClass only")
        for node in shapes.objects(shape, SH.sparql):
            select = shapes.value(node, SH.select)
            if select is None:
                raise ValidationError(f"shape {shape}: sh:sparql without sh:select")
            prefixes = "".join(
                f"PREFIX {shapes.value(decl, SH.prefix)}: <{shapes.value(decl, SH.namespace)}>\n"
                for owner in shapes.objects(node, SH.prefixes)
                for decl in shapes.objects(owner, SH.declare)
            )
            constraints.append(
                Constraint(
                    shape=str(shape).removeprefix(SHAPES_NS),
                    targets=targets,
                    select=str(select),
                    message=str(shapes.value(node, SH.message) or shape),
                    severity=SEVERITIES[shapes.value(shape, SH.severity) or SH.Violation],
                    prefixes=prefixes,
                )
            )
    return constraints


def _message(template: str, row: dict) -> str:
    def fill(match: re.Match) -> str:
        value = row.get(match.group(1))
        return str(to_python(value)) if value is not None else match.group(0)

    return re.sub(r"\{[?$](\w+)\}", fill, template)


def constraint_query(constraint: Constraint, target: str, fiche: str | None = None) -> str:
    """The constraint as a query over every focus node of one target class.

    The focus nodes come from ``queries/internal/validate/`` with the class (and the fiche) bound as
    terms; the shape's SELECT is joined with them as SHACL-SPARQL pre-binds ``$this``. With
    ``fiche`` (a fiche number), only that fiche and the nodes minted under it or about it.
    """
    body = re.sub(r"\$this\b", "?this", constraint.select)
    if fiche is None:
        targets = internal_query("validate/target").bind({"class": target})
    else:
        name = "validate/target-fiche" if target in FICHE_CLASSES else "validate/target-under-fiche"
        targets = internal_query(name).bind({"class": target, "fiche": fiche})
    return constraint.prefixes + inject_values(body, "{ " + strip_comments(targets).strip() + " }")


def validate_store(store, constraints: list[Constraint] | None = None, fiche: str | None = None) -> ValidationReport:
    """Run every constraint as SPARQL on ``store`` (the embedded store or any store with ``query``).

    :param fiche: a fiche number: validate only that fiche and what hangs under it.
    :raises ValidationError: when ``fiche`` is not in the graph (it would otherwise "conform").
    """
    if fiche and not fiche_known(store, fiche):
        raise ValidationError(f"{fiche} is not in the graph: unknown fiche, nothing to validate")
    started = time.perf_counter()
    findings = set()
    for constraint in constraints or load_constraints():
        for target in constraint.targets:
            result: QueryResult = store.query(constraint_query(constraint, target, fiche))
            for row in result.rows:
                focus = str(row["this"])
                value = row.get("value", row["this"])
                findings.add(Finding(focus, constraint.shape, constraint.severity, _message(constraint.message, row), str(value)))
    return ValidationReport(sorted(findings, key=_order), "store", time.perf_counter() - started)


def _order(finding: Finding):
    return (_RANK[finding.severity], finding.shape, finding.focus, finding.value, finding.message)


def validate_pyshacl(data: Graph, path: Path | None = None) -> ValidationReport:
    """The reference: pyshacl on an rdflib graph (a single graph: pyshacl would split a Dataset)."""
    import pyshacl

    started = time.perf_counter()
    shapes = Graph().parse(path or shapes_path())
    _conforms, results, text = pyshacl.validate(data, shacl_graph=shapes, advanced=False, allow_warnings=True)
    if not isinstance(results, Graph):
        raise ValidationError(f"pyshacl could not run the shapes: {text}")
    findings = set()
    for result in results.subjects(RDF.type, SH.ValidationResult):
        focus = results.value(result, SH.focusNode)
        value = results.value(result, SH.value)
        findings.add(
            Finding(
                focus=str(focus),
                shape=str(results.value(result, SH.sourceShape)).removeprefix(SHAPES_NS),
                severity=SEVERITIES[results.value(result, SH.resultSeverity)],
                message=str(results.value(result, SH.resultMessage)),
                value=str(value if value is not None else focus),
            )
        )
    return ValidationReport(sorted(findings, key=_order), "pyshacl", time.perf_counter() - started)




def save_report(report: ValidationReport, store_path: Path) -> None:
    """Replace the named graph ``graph/derived/validation`` of the store with ``report``."""
    from .store import OxigraphStore

    store = OxigraphStore.open(store_path, read_only=False)
    graph = URIRef(VALIDATION_GRAPH)
    store.remove_graph(graph)
    store.add_quads((s, p, o, graph) for s, p, o in report.to_graph())
    store.flush()
