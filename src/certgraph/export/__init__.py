"""The store as files for analysts: graph views (``views``), their formats (``formats``) and
drawings (``draw``). Reads the store; never imports ``sources`` or ``ingest``.
"""
