"""certgraph: French professional certifications (RNCP, RS) as a validated knowledge graph.

The library's entry points are importable from here; each module is imported on first use, so a
process that needs one module (a query worker, ``certgraph --help``) does not pay for the others.
"""

from __future__ import annotations

from importlib import import_module

_EXPORTS = {
    "BuildError": "ingest.build", "BuildReport": "ingest.build", "build": "ingest.build",
    "Comparison": "compare", "compare": "compare",
    "Lineage": "lineage", "lineage": "lineage",
    "PublishError": "publish", "PublishReport": "publish", "publish": "publish",
    "NamedQuery": "queries", "QueryError": "queries", "load_queries": "queries", "run_named": "queries",
    "count_named": "queries", "python_row": "queries", "to_dataframe": "queries",
    "Credentials": "store", "OxigraphStore": "store", "QueryResult": "store", "RdflibStore": "store",
    "RemoteStore": "store", "StoreError": "store",
    "ValidationReport": "validate", "validate_pyshacl": "validate", "validate_store": "validate",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str):
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'certgraph' has no attribute {name!r}")
    value = getattr(import_module(f".{module}", __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *_EXPORTS])
