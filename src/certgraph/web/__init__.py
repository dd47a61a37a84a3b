"""``certgraph serve``: the SPARQL endpoint's ASGI app (``app``), its query workers (``engine``),
content negotiation (``conneg``), the linked-data pages (``pages``) and the query editor
(``editor``), with their templates and static files. Reads the store; never imports ``sources``
or ``ingest``.
"""
