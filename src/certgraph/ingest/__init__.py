"""Records to store: the build. Maps records to quads (``graph``), adds what the build derives
(``snapshots``, ``reconcile``, ``hierarchy``, ``summaries``) and writes the store (``build``).

Runs at build time only: nothing that reads or serves the store imports this wing.
"""
