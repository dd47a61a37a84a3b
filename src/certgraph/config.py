"""The environment variables certgraph reads, in one table, and the one function that reads them.

Every other setting is a command-line option. Credentials are read from the environment only,
never from the command line, where they would show in the shell history and the process list.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

# name -> what it sets (the README's table of environment variables is this one)
ENVIRONMENT = {
    "CERTGRAPH_STORE": "the store folder when --store is not given (default build/store)",
    "CERTGRAPH_ENDPOINT": "the SPARQL endpoint to query instead of the store when --endpoint is not given",
    "CERTGRAPH_SPARQL_USER": "the user name for that endpoint or for publish (HTTP basic or digest)",
    "CERTGRAPH_SPARQL_PASSWORD": "the password that goes with CERTGRAPH_SPARQL_USER",
    "CERTGRAPH_SPARQL_AUTH": "basic (the default) or digest",
    "CERTGRAPH_SPARQL_TOKEN": "a bearer token, instead of a user and password",
    "CERTGRAPH_DOT": "the Graphviz dot executable (default: dot on PATH)",
}


def setting(name: str, environ: Mapping[str, str] | None = None) -> str | None:
    """The value of environment variable ``name`` (one of :data:`ENVIRONMENT`), None when unset.

    ``environ`` replaces the process's environment (tests, a caller that holds its own).

    >>> setting("CERTGRAPH_STORE", {"CERTGRAPH_STORE": "/data/store"})
    '/data/store'
    >>> setting("CERTGRAPH_STORE", {}) is None
    True
    """
    if name not in ENVIRONMENT:
        raise KeyError(f"{name} is not a certgraph setting")
    return (os.environ if environ is None else environ).get(name)
