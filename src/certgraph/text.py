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


_LIGATURES = {"œ": "oe", "Œ": "oe", "æ": "ae", "Æ": "ae"}


def _is_word_char(char: str) -> bool:
    """Whether FTS5's unicode61 tokenizer keeps ``char`` in a token (letters, digits, private use)."""
    category = unicodedata.category(char)
    return category[0] in "LN" or category == "Co"


class _Folding(dict):
    """``str.translate`` table folding each word character on first sight, then from the cache."""

    def __missing__(self, code: int) -> str:
        char = chr(code)
        folded = char
        if _is_word_char(char):
            decomposed = unicodedata.normalize("NFKD", char)
            candidate = "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()
            candidate = "".join(_LIGATURES.get(c, c) for c in candidate)
            # A letter becomes letters, never a separator ("½" is not "1⁄2"): words stay words.
            if candidate and all(_is_word_char(c) for c in candidate):
                folded = candidate
        self[code] = folded
        return folded


_FOLDING = _Folding()


def fold(text: str) -> str:
    """The project's one folding: case, accents, ligatures and compatibility forms folded, letter by
    letter; punctuation and spaces kept (NFC or NFD input alike). Search, matching and similarity
    all read text through it.

    >>> fold("Évaluer l’Économie")
    'evaluer l’economie'
    >>> fold("Blocs_De_Compe\\u0301tences") == fold("BLOCS_DE_COMPÉTENCES")
    True
    >>> fold("Mise en Œuvre d’un cœur"), fold("ﬁnancières, E=mc², ½, Straße, ex æquo")
    ('mise en oeuvre d’un coeur', 'financieres, e=mc2, ½, strasse, ex aequo')
    """
    return unicodedata.normalize("NFC", text).translate(_FOLDING)
