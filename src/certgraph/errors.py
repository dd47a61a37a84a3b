"""The one base of the library's errors: what the CLI turns into a one-line message and exit 1.

Every module raises its own subclass (``StoreError``, ``QueryError``, ``BuildError``…) so a caller
can catch one kind; ``certgraph`` commands catch :class:`CertgraphError` alone.
"""

from __future__ import annotations


class CertgraphError(Exception):
    """An error the user can act on: bad input, a missing store, a refused request. Its message is
    one line that names the file, fiche or parameter at fault."""
