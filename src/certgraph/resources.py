"""Find the ontology, shapes and named queries in a checkout or inside an installed wheel."""

from __future__ import annotations

from functools import cache
from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent
_CHECKOUT = _PACKAGE.parent.parent


def _resource_dir(name: str) -> Path:
    """The wheel carries them under ``certgraph/_resources``; a checkout at its top level."""
    for candidate in (_PACKAGE / "_resources" / name, _CHECKOUT / name):
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError(f"certgraph resource folder {name!r} not found beside {_PACKAGE}")


def ontology_path() -> Path:
    """``ontology/certgraph.ttl``."""
    return _resource_dir("ontology") / "certgraph.ttl"


def shapes_path() -> Path:
    """``ontology/shapes.ttl``."""
    return _resource_dir("ontology") / "shapes.ttl"


def queries_dir() -> Path:
    """The ``queries/`` folder of named queries."""
    return _resource_dir("queries")


def default_data_dir() -> Path:
    """``data/`` beside the package in a checkout, else ``./data``."""
    checkout_data = _CHECKOUT / "data"
    return checkout_data if checkout_data.is_dir() else Path("data")


@cache
def package_version() -> str:
    """The installed certgraph's version (``dev`` when run from a checkout that is not installed)."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("certgraph")
    except PackageNotFoundError:
        return "dev"
