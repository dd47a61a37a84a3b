"""French text analysis for equivalence: the project's folding, stop words, Snowball's French stemmer.

A word is a run of letters of the folded text (:func:`certgraph.text.fold`: case, accents and
ligatures folded, so "Œuvre" and "oeuvre" agree). Stop words and words under three letters are
dropped; a plural ``-s`` is taken off (Snowball keeps it after ``-er``), then Snowball's French stemmer (PyStemmer, the C
build of the Snowball algorithms) reduces the word, so "manager", "managers" and "management" are
one stem. PyStemmer was chosen over a hand-made stemmer and over ``simplemma`` (a lemmatiser that
keeps "manager" and "management" apart) by the equivalence benchmark; it stems a word in about a
microsecond.
"""

from __future__ import annotations

import functools
import re

import Stemmer

from ..text import fold

# French stop words (folded), plus words that every block or competency statement carries.
STOP_WORDS = frozenset(
    """
    a afin ai aie aient ainsi alors au aucun aupres aussi autre autres aux avec avoir bien c ca car ce ceci
    cela celle celles celui cependant certain certaines certains ces cet cette ceux chacun chaque chez ci comme
    comment d dans de des deja depuis dont du donc elle elles en encore entre est et etaient etait etant ete etre
    eux fait faire font hors ici il ils je jusqu l la le les leur leurs lors lorsque lui m ma mais me meme memes
    mes moins mon n ne ni non nos notre nous on ont or ou par parmi pas peu peut plus pour pourquoi pres puis qu
    quand que quel quelle quelles quels qui quoi s sa sans se selon ses si sien soi soit son sont sous sur ta
    te tel telle telles tels tes toi ton tous tout toute toutes tres tu un une unes uns vers via vos votre vous
    y etc notamment niveau cadre ensemble egalement partir compte tenant bloc blocs competence competences
    option options
    """.split()
)

_LETTERS = re.compile(r"[a-z]+")
_STEMMER = Stemmer.Stemmer("french")


@functools.lru_cache(maxsize=200_000)
def stem(word: str) -> str:
    """The stem of one folded word.

    >>> [stem(w) for w in ("manager", "managers", "management", "evaluation", "evaluer", "sociaux")]
    ['manag', 'manag', 'manag', 'evalu', 'evalu', 'social']
    """
    if len(word) > 4 and word[-1] == "s" and word[-2] != "s":
        word = word[:-1]
    return _STEMMER.stemWord(word)


def words(text: str) -> list[str]:
    """The folded words of a text that carry meaning (stop words and short words dropped).

    >>> words("Mise en œuvre d’un projet")
    ['mise', 'oeuvre', 'projet']
    """
    return [w for w in _LETTERS.findall(fold(text)) if len(w) >= 3 and w not in STOP_WORDS]


def tokens(text: str) -> list[str]:
    """The stems of a text's meaningful words, in order.

    >>> tokens("Construire et suivre le budget de l’organisme")
    ['construir', 'suivr', 'budget', 'organ']
    >>> tokens("Manager une équipe") == tokens("Management des équipes")
    True
    """
    return [stem(w) for w in words(text)]


__all__ = ["STOP_WORDS", "stem", "tokens", "words"]
