"""certgraph: French professional certifications (RNCP, RS) as a validated knowledge graph."""

from .build import BuildError, BuildReport, build
from .compare import Comparison, compare
from .lineage import Lineage, lineage
from .queries import NamedQuery, QueryError, load_queries, run_named
from .store import OxigraphStore, QueryResult, RdflibStore, StoreError
from .validate import ValidationReport, validate_pyshacl, validate_store

__all__ = [
    "BuildError",
    "BuildReport",
    "Comparison",
    "Lineage",
    "NamedQuery",
    "OxigraphStore",
    "QueryError",
    "QueryResult",
    "RdflibStore",
    "StoreError",
    "ValidationReport",
    "build",
    "compare",
    "lineage",
    "load_queries",
    "run_named",
    "validate_pyshacl",
    "validate_store",
]
