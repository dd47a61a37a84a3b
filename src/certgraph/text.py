"""Text normalisation shared by the readers, the builder and the similarity method."""

from __future__ import annotations

import re
import unicodedata

_WHITESPACE = re.compile(r"\s+")


def collapse_spaces(text: str) -> str:
    """Runs of white space (line breaks included) become one space; ends are stripped.

    >>> collapse_spaces("  Bloc 1 : Organiser \\n    au regard ")
    'Bloc 1 : Organiser au regard'
    """
    return _WHITESPACE.sub(" ", text).strip()


def fold(text: str) -> str:
    """Case- and accent-insensitive form, for matching (NFC or NFD input alike).

    >>> fold("Évaluer l’Économie")
    'evaluer l’economie'
    >>> fold("Blocs_De_Compe\\u0301tences") == fold("BLOCS_DE_COMPÉTENCES")
    True
    """
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()
