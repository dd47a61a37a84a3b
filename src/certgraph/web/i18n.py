"""The web pages' interface strings in French (the default) and English, and the language of a request.

Every string of the interface is written in English in the code and the templates, as ``_("…")``
(gettext's convention); :data:`FRENCH` is the one catalogue, English text to French text. The data
stays as the register writes it (French). The language of a page is a context variable set by the
handler for the time it renders (``with language("en"): …``), read by ``_`` wherever the page is
built, so that no function needs a ``lang`` argument to be translated.

>>> with language("en"):
...     _("Search")
'Search'
>>> _("Search")
'Rechercher'
>>> _("{count} of {total}", count=20, total=400)
'20 sur 400'
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from ..status import Status

LANGUAGES = ("fr", "en")
DEFAULT = "fr"

_CURRENT: ContextVar[str] = ContextVar("certgraph_language", default=DEFAULT)
# The language the request named (?lang=): links within the site keep it; None when negotiated.
_CHOSEN: ContextVar[str | None] = ContextVar("certgraph_chosen_language", default=None)


def current() -> str:
    """The language of the page being built (``fr`` or ``en``)."""
    return _CURRENT.get()


def chosen() -> str | None:
    """The language the request asked for by ``?lang=``, which the page's links carry on; else None."""
    return _CHOSEN.get()


@contextmanager
def language(lang: str, explicit: bool = False) -> Iterator[None]:
    """Build pages in ``lang`` inside the block (``explicit``: the request named it, links keep it)."""
    token, chosen_token = _CURRENT.set(lang if lang in LANGUAGES else DEFAULT), _CHOSEN.set(lang if explicit else None)
    try:
        yield
    finally:
        _CURRENT.reset(token)
        _CHOSEN.reset(chosen_token)


def negotiate(asked: str | None, accept_language: str | None) -> tuple[str, bool]:
    """The page language: ``?lang=`` when it names one we have, else the first of Accept-Language we
    have (by quality), else French; and whether the request named it.

    >>> negotiate("en", "fr"), negotiate(None, "de-DE,en-GB;q=0.8,fr;q=0.5"), negotiate("xx", None)
    (('en', True), ('en', False), ('fr', False))
    """
    if asked in LANGUAGES:
        return asked, True
    ranked = []
    for position, part in enumerate((accept_language or "").split(",")):
        tag, _, params = part.strip().partition(";")
        match = re.search(r"q=([0-9.]+)", params)
        try:
            quality = float(match.group(1)) if match else 1.0
        except ValueError:
            quality = 0.0
        primary = tag.strip().lower().split("-")[0]
        if primary in LANGUAGES and quality > 0:
            ranked.append((-quality, position, primary))
    return (min(ranked)[2] if ranked else DEFAULT), False


def _(text: str, **values) -> str:
    """``text`` in the page's language, its ``{name}`` fields filled from ``values``."""
    if current() == "fr":
        text = FRENCH.get(text, text)
    return text.format(**values) if values else text


def status_text(status: Status) -> str:
    """A fiche's status on its date in words, in the page's language (:meth:`Status.describe`)."""
    return status.describe(translate=_)


# English -> French: every interface string of the site (tests/test_site.py checks none is missing).
FRENCH = {
    # header, navigation, footer
    "Search": "Rechercher",
    "Search the register": "Rechercher dans le répertoire",
    "Query editor": "Éditeur de requêtes",
    "Compare": "Comparer",
    "Language": "Langue",
    "Main navigation": "Navigation principale",
    "Contents": "Sommaire",
    "Read from the certgraph store: each fact as its sources state it (see Sources); computed similarity "
    "scores are derived data, not official.":
        "Lu dans la base certgraph : chaque fait tel que ses sources l'énoncent (voir Sources) ; les scores "
        "de similarité calculés sont des données dérivées, non officielles.",
    "Not found": "Introuvable",
    "Nothing is known about {iri} in this graph.": "Ce graphe ne connaît rien de {iri}.",
    # home and search
    "French professional certifications": "Les certifications professionnelles françaises",
    "Search the RNCP and RS registers by title, former title, block, competency, certifier or code "
    "(ROME, NSF, Formacode, or a fiche number).":
        "Cherchez dans le RNCP et le Répertoire spécifique par intitulé, ancien intitulé, bloc, compétence, "
        "certificateur ou code (ROME, NSF, Formacode, ou numéro de fiche).",
    "Words, a code or a fiche number": "Des mots, un code ou un numéro de fiche",
    "for example": "par exemple",
    "Filters": "Filtres",
    "Register": "Répertoire",
    "Any": "Tous",
    "Level": "Niveau",
    "In force on": "En vigueur le",
    "Certifier": "Certificateur",
    "Apply": "Appliquer",
    "Sort by:": "Trier par :",
    "relevance": "pertinence",
    "number": "numéro",
    "title": "intitulé",
    "level": "niveau",
    "status": "statut",
    "Results": "Résultats",
    "No fiche matches {query}.": "Aucune fiche ne correspond à {query}.",
    "{total} fiches match.": "{total} fiches correspondent.",
    "1 fiche matches.": "1 fiche correspond.",
    "{count} of {total}": "{count} sur {total}",
    "Fiches {first}–{last} of {total}.": "Fiches {first} à {last} sur {total}.",
    "Pages": "Pages",
    "Previous": "Précédente",
    "Next": "Suivante",
    "Page {page}": "Page {page}",
    "Found in": "Trouvé dans",
    "the title": "l'intitulé",
    "a block": "un bloc",
    "a competency": "une compétence",
    "Codes": "Codes",
    "Certifiers named so": "Certificateurs de ce nom",
    "{count} fiches": "{count} fiches",
    "The search index is not available: {reason}": "L'index de recherche est indisponible : {reason}",
    "Try": "Essayez",
    # listings
    "Fiche": "Fiche",
    "Title": "Intitulé",
    "Status": "Statut",
    "Status on {date}": "Statut au {date}",
    "sorted by {key}": "triées par {key}",
    "ascending": "croissant",
    "descending": "décroissant",
    # status words
    "in force until {end}": "en vigueur jusqu'au {end}",
    "in force on {on} (until {end})": "en vigueur le {on} (jusqu'au {end})",
    "ended on {end}": "fin d'enregistrement le {end}",
    "ended on {end} (not in force on {on})": "fin d'enregistrement le {end} (pas en vigueur le {on})",
    "not yet in force on {on} (from {start} until {end})":
        "pas encore en vigueur le {on} (du {start} au {end})",
    "end date unknown; status unknown": "date de fin inconnue ; statut inconnu",
    "end date unknown; {flag} per the register of {date}": "date de fin inconnue ; {flag} selon le répertoire du {date}",
    "end date unknown; {flag} per the register (undated)": "date de fin inconnue ; {flag} selon un répertoire non daté",
    "active": "active",
    "inactive": "inactive",
    "in force": "en vigueur",
    "not yet in force": "pas encore en vigueur",
    "ended": "terminée",
    "end date unknown": "date de fin inconnue",
    # compare
    "Compare two certifications": "Comparer deux certifications",
    "First fiche": "Première fiche",
    "Second fiche": "Seconde fiche",
    "Give two fiche numbers, e.g. RNCP35080 and RNCP41296.": "Donnez deux numéros de fiche, par ex. RNCP35080 et RNCP41296.",
    "{number} is not in the graph.": "{number} n'est pas dans le graphe.",
    "{a} compared with {b}": "{a} comparée à {b}",
    "Comparison": "Comparaison",
    "Summary": "Résumé",
    "Shared": "Communs",
    "Only in {number}": "Seulement dans {number}",
    "NSF groups": "Groupes NSF",
    "Blocks side by side": "Les blocs côte à côte",
    "Block alignment": "Alignement des blocs",
    "Official correspondences": "Correspondances officielles",
    "Stated by": "Énoncée par",
    "Score": "Score",
    "Shared words": "Mots partagés",
    "Similarity of the two fiches' blocks: {score} (method {method}; computed, not official).":
        "Similarité des blocs des deux fiches : {score} (méthode {method} ; calculée, non officielle).",
    "No block of one fiche matches a block of the other.": "Aucun bloc d'une fiche ne correspond à un bloc de l'autre.",
    "Print": "Imprimer",
    "Compare with another fiche": "Comparer avec une autre fiche",
    "Compare with {number}": "Comparer avec {number}",
    "Blocks": "Blocs",
    "(no block)": "(aucun bloc)",
    # fiche and other linked-data pages
    "Overview": "Aperçu",
    "Number": "Numéro",
    "Other titles in the sources": "Autres intitulés dans les sources",
    "Former titles": "Anciens intitulés",
    "EQF level": "Niveau CEC",
    "Level (1969 nomenclature)": "Niveau (nomenclature de 1969)",
    "Active flag": "Indicateur d'activité",
    "(on {date}, from the newest sources)": "(au {date}, d'après les sources les plus récentes)",
    "(per the register of {date})": "(selon le répertoire du {date})",
    "(per an undated source)": "(selon une source non datée)",
    "(no title in the loaded sources)": "(aucun intitulé dans les sources chargées)",
    "Current equivalent": "Équivalent actuel",
    "Type": "Type",
    "Type code": "Code du type",
    "Publication state": "État de publication",
    "Registration type": "Type d'enregistrement",
    "Decision date": "Date de décision",
    "Registered from (effect date)": "Enregistrée à partir du (date d'effet)",
    "Publication date": "Date de publication",
    "Last Journal officiel": "Dernier Journal officiel",
    "End of registration": "Fin d'enregistrement",
    "Last award date": "Date limite de délivrance",
    "Registration length (years)": "Durée d'enregistrement (ans)",
    "Website": "Site web",
    "RNCP certification": "Certification RNCP",
    "RS certification": "Certification RS",
    "Certifiers": "Certificateurs",
    "SIRET": "SIRET",
    "State for this fiche": "État pour cette fiche",
    "Scheme": "Nomenclature",
    "Code": "Code",
    "Label": "Libellé",
    "older sources only": "sources anciennes seulement",
    "(not in the loaded code list)": "(absent de la nomenclature chargée)",
    "Collective agreement": "Convention collective",
    "ESCO occupations": "Métiers ESCO",
    "ESCO occupation": "Métier ESCO",
    "Relation": "Relation",
    "Appellations": "Appellations",
    "From the official ROME → ESCO crosswalk (Pôle emploi): the ESCO occupation of each ROME appellation "
    "under the fiche's ROME codes. « Plus large »: the ESCO occupation is broader than the appellation; "
    "« plus étroite »: narrower.":
        "D'après la table officielle ROME → ESCO (Pôle emploi) : le métier ESCO de chaque appellation ROME "
        "des codes ROME de la fiche. « Plus large » : le métier ESCO est plus large que l'appellation ; "
        "« plus étroite » : plus précis.",
    "Blocks of competencies": "Blocs de compétences",
    "Blocks of competencies ({count})": "Blocs de compétences ({count})",
    "Competencies": "Compétences",
    "Competencies ({count})": "Compétences ({count})",
    "Assessment": "Évaluation",
    "Lineage": "Filiation",
    "The lineage, oldest left; colour is the status on {date}.":
        "La filiation, la plus ancienne à gauche ; la couleur dit le statut au {date}.",
    "Replaces (oldest first)": "Remplace (la plus ancienne d'abord)",
    "Replaced by": "Remplacée par",
    "Current equivalent on {date}": "Équivalent actuel au {date}",
    "This fiche is the current equivalent of its lineage on {date}: no later fiche of the loaded sources is "
    "in force.":
        "Cette fiche est l'équivalent actuel de sa filiation au {date} : aucune fiche plus récente des sources "
        "chargées n'est en vigueur.",
    "Links and who states them": "Les liens et qui les énonce",
    "Replaced": "Remplacée",
    "Replacing": "Remplaçante",
    "Sources": "Sources",
    "Link": "Lien",
    "current": "actuel",
    "superseded by": "remplacé par",
    "(history, not current)": "(historique, pas actuel)",
    "Registrations across the lineage": "Les enregistrements de la filiation",
    "Act": "Acte",
    "Act date": "Date de l'acte",
    "Journal officiel": "Journal officiel",
    "Effect": "Effet",
    "End": "Fin",
    "Title at the time": "Intitulé d'alors",
    "No lineage is recorded for this fiche: it replaces nothing and nothing replaces it.":
        "Aucune filiation n'est connue pour cette fiche : elle ne remplace rien et rien ne la remplace.",
    "Closest certifications": "Certifications les plus proches",
    "The closest certifications of the whole register by what they cover: titles, blocks, ROME, NSF and "
    "Formacode codes, level (method equivalence-v1, content mode; derived data, not an official "
    "equivalence). Scores rank; they are not percentages.":
        "Les certifications les plus proches de tout le répertoire par ce qu'elles couvrent : intitulés, "
        "blocs, codes ROME, NSF et Formacode, niveau (méthode equivalence-v1, mode contenu ; données "
        "dérivées, pas une équivalence officielle). Les scores classent ; ce ne sont pas des pourcentages.",
    "What they share": "Ce qu'elles partagent",
    "Published by France Compétences with the fiche stating them: holding the blocks of the first fiche "
    "gives those of the second.":
        "Publiées par France Compétences avec la fiche qui les énonce : détenir les blocs de la première "
        "fiche donne ceux de la seconde.",
    "Correspondence": "Correspondance",
    "Holding": "Détenir",
    "Gives": "Donne",
    "{number} (whole fiche)": "{number} (toute la fiche)",
    "Description": "Description",
    "Objectives and context": "Objectifs et contexte",
    "Targeted activities": "Activités visées",
    "Attested competencies": "Compétences attestées",
    "Assessment methods": "Modalités d'évaluation",
    "Accessible jobs": "Métiers accessibles",
    "Sectors": "Secteurs",
    "Entry prerequisites": "Prérequis à l'entrée",
    "Prerequisites for certification": "Prérequis à la certification",
    "Level of mastery": "Niveau de maîtrise",
    "Validity of components": "Validité des composantes",
    "Regulations": "Réglementation",
    "Partner organisations": "Organismes partenaires",
    "Partner": "Partenaire",
    "Habilitation": "Habilitation",
    "State": "État",
    "trains": "forme",
    "organises the assessment": "organise l'évaluation",
    "trains and organises the assessment": "forme et organise l'évaluation",
    "(since {date})": "(depuis le {date})",
    "Other properties": "Autres propriétés",
    "Property": "Propriété",
    "Value": "Valeur",
    "and {count} more": "et {count} de plus",
    "Only the first {count} statements were read.": "Seuls les {count} premiers énoncés ont été lus.",
    "Referenced by": "Cité par",
    "Resource": "Ressource",
    "First {shown} {what} shown.": "Les {shown} premiers sont affichés.",
    "The named graphs stating facts about this resource: one per source file, and the derived data.":
        "Les graphes nommés qui énoncent des faits sur cette ressource : un par fichier source, et les données "
        "dérivées.",
    "Graph": "Graphe",
    "Source": "Source",
    "Issued": "Publié",
    "File": "Fichier",
    "Statements": "Énoncés",
    "Fiches": "Fiches",
    "{count} fiches have this code": "{count} fiches ont ce code",
    "1 fiche has this code": "1 fiche a ce code",
    "{count} fiches have this level": "{count} fiches ont ce niveau",
    "1 fiche has this level": "1 fiche a ce niveau",
    "; {count} fiches have it or a narrower one": " ; {count} fiches l'ont, ou un code plus précis",
    "Certifier of {count} fiches.": "Certificateur de {count} fiches.",
    "Certifier of 1 fiche.": "Certificateur d'1 fiche.",
    "Certifications it awards": "Certifications qu'il délivre",
    "Narrower concepts": "Concepts plus précis",
    "Narrower concepts ({count})": "Concepts plus précis ({count})",
    "Notation": "Notation",
    "Preferred label": "Libellé préféré",
    "Alternative labels": "Libellés alternatifs",
    "Broader": "Plus large",
    "Type in the code list": "Type dans la nomenclature",
    "Scope notes": "Notes d'application",
    "Definition": "Définition",
    "Concept": "Concept",
    "Concept scheme": "Nomenclature",
    "Concepts": "Concepts",
    "{count} concepts": "{count} concepts",
    "Top concepts": "Concepts de tête",
    "Name": "Nom",
    "Other names in the sources": "Autres noms dans les sources",
    "Trade name": "Nom commercial",
    "Homepage": "Site web",
    "Organisation": "Organisme",
    "Properties": "Propriétés",
    "Named graph": "Graphe nommé",
    "Block of competencies": "Bloc de compétences",
    "Fiche of the block": "Fiche du bloc",
    "Similarity": "Similarité",
    "Along the lineage": "Le long de la filiation",
    "Same block along the lineage": "Le même bloc le long de la filiation",
    "The block as published": "Le bloc tel que publié",
    "Assessment as published": "L'évaluation telle que publiée",
    "Along the lineage links: the block this one continues as, or comes from (block maps, computed from the "
    "competencies; derived data, not official).":
        "Le long des liens de filiation : le bloc que celui-ci devient, ou dont il vient (correspondances de "
        "blocs calculées d'après les compétences ; données dérivées, non officielles).",
    "Block": "Bloc",
    "Resource of this graph": "Ressource de ce graphe",
    "yes": "oui",
    "no": "non",
}

__all__ = ["DEFAULT", "FRENCH", "LANGUAGES", "_", "chosen", "current", "language", "negotiate", "status_text"]
