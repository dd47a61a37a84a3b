"""Equivalence across the whole register: which certifications are closest, block by block.

- :mod:`.analysis`: French text analysis (the one folding, Snowball's French stemmer).
- :mod:`.descriptors`: what the method reads of each fiche, from the store.
- :mod:`.index`: the register-wide index (TF-IDF fields, two modes), built with the store.
- :mod:`.blocks`: block-to-block similarity and alignment, and block maps along lineage links.
- :mod:`.suggest`: suggested lineage links for fiches with no stated predecessor.
"""
