"""The environment variables certgraph reads, in one table, and the one function that reads them.

Every other setting is a command-line option. Credentials are read from the environment only,
never from the command line, where they would show in the shell history and the process list.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

STORE_ENV = "CERTGRAPH_STORE"
ENDPOINT_ENV = "CERTGRAPH_ENDPOINT"
USER_ENV, PASSWORD_ENV = "CERTGRAPH_SPARQL_USER", "CERTGRAPH_SPARQL_PASSWORD"
SCHEME_ENV, TOKEN_ENV = "CERTGRAPH_SPARQL_AUTH", "CERTGRAPH_SPARQL_TOKEN"
DOT_ENV = "CERTGRAPH_DOT"
EXPORT_DATASET_ENV, EXPORT_API_ENV = "CERTGRAPH_EXPORT_DATASET", "CERTGRAPH_EXPORT_API"
WORKER_MALLOC_ENV = "CERTGRAPH_WORKER_MALLOC"

# name -> what it sets (the README's table of environment variables is this one)
ENVIRONMENT = {
    STORE_ENV: "the store folder when --store is not given (default build/store)",
    ENDPOINT_ENV: "the SPARQL endpoint to query instead of the store when --endpoint is not given",
    USER_ENV: "the user name for that endpoint or for publish (HTTP basic or digest)",
    PASSWORD_ENV: "the password that goes with CERTGRAPH_SPARQL_USER",
    SCHEME_ENV: "basic (the default) or digest",
    TOKEN_ENV: "a bearer token, instead of a user and password",
    DOT_ENV: "the Graphviz dot executable (default: dot on PATH)",
    EXPORT_DATASET_ENV: "the data.gouv.fr dataset fetch-export reads when --dataset is not given "
    "(default: France Compétences' RNCP and RS dataset, 5eebbc067a14b6fecc9c9976)",
    EXPORT_API_ENV: "the data.gouv.fr API base URL for fetch-export when --api is not given "
    "(default: https://www.data.gouv.fr/api/1)",
    WORKER_MALLOC_ENV: "the allocator of certgraph serve's query workers: unset, jemalloc when the system has it "
    "(Debian libjemalloc2), else glibc's malloc; system, glibc's malloc; a library's path, that library",
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
