"""certgraph: French professional certifications (RNCP, RS) as a validated knowledge graph."""

from .build import BuildError, BuildReport, build
from .compare import Comparison, compare
from .lineage import Lineage, lineage
from .publish import PublishError, PublishReport, publish
from .queries import NamedQuery, QueryError, load_queries, run_named
from .store import Credentials, OxigraphStore, QueryResult, RdflibStore, RemoteStore, StoreError
from .validate import ValidationReport, validate_pyshacl, validate_store

__all__ = [
    "BuildError",
    "BuildReport",
    "Comparison",
    "Credentials",
    "Lineage",
    "NamedQuery",
    "OxigraphStore",
    "PublishError",
    "PublishReport",
    "QueryError",
    "QueryResult",
    "RdflibStore",
    "RemoteStore",
    "StoreError",
    "ValidationReport",
    "build",
    "compare",
    "lineage",
    "load_queries",
    "publish",
    "run_named",
    "validate_pyshacl",
    "validate_store",
]
