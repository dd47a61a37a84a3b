"""Readers, one module per input format; each returns plain records (see ``records.py``)."""
