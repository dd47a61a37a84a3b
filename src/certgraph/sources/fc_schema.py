"""The France Compétences export as published: file names, CSV tables and their columns, XML elements.

One table read by everything that reads or writes the export: the readers (``fc_csv``,
``fc_xml``), the synthetic register that writes the same files (:mod:`certgraph.synth`) and the
tool that samples the real XML (``tools/extract_synth_sample.py``). Names are spelled as the
export spells them, accents included; columns and child elements are in the order it writes them.
"""

from __future__ import annotations

import datetime as dt

PUBLISHER = "France Compétences"
LICENCE = "Licence Ouverte / Etalab 2.0"

# The two values of Type_Enregistrement / TYPE_ENREGISTREMENT.
DE_DROIT = "Enregistrement de droit"
SUR_DEMANDE = "Enregistrement sur demande"

# ---------------------------------------------------------------------------------------------
# The CSV export: ten tables, each keyed by Numero_Fiche.
# ---------------------------------------------------------------------------------------------

CSV_TABLES: dict[str, tuple[str, ...]] = {
    "Standard": (
        "Id_Fiche",
        "Numero_Fiche",
        "Intitule",
        "Abrege_Libelle",
        "Abrege_Intitule",
        "Nomenclature_Europe_Niveau",
        "Nomenclature_Europe_Intitule",
        "Accessible_Nouvelle_Caledonie",
        "Accessible_Polynesie_Francaise",
        "Date_dernier_jo",
        "Date_Decision",
        "Date_Fin_Enregistrement",
        "Date_Effet",
        "Type_Enregistrement",
        "Validation_Partielle",
        "Actif",
    ),
    "Blocs_De_Compétences": ("Numero_Fiche", "Bloc_Competences_Code", "Bloc_Competences_Libelle"),
    "Rome": ("Numero_Fiche", "Codes_Rome_Code", "Codes_Rome_Libelle"),
    "Nsf": ("Numero_Fiche", "Nsf_Code", "Nsf_Intitule"),
    "Formacode": ("Numero_Fiche", "Formacode_Code", "Formacode_Libelle"),
    "Certificateurs": ("Numero_Fiche", "Siret_Certificateur", "Nom_Certificateur"),
    "Ancienne_Nouvelle_Certification": ("Numero_Fiche", "Ancienne_Certification", "Nouvelle_Certification"),
    "VoixdAccès": ("Numero_Fiche", "Si_Jury"),
    "Partenaires": ("Numero_Fiche", "Nom_Partenaire", "Siret_Partenaire", "Habilitation_Partenaire"),
    "CCN": (
        "Numero_Fiche",
        "Ccn_1_Numero",
        "Ccn_1_Libelle",
        "Ccn_2_Numero",
        "Ccn_2_Libelle",
        "Ccn_3_Numero",
        "Ccn_3_Libelle",
    ),
}
"""The ten tables by published name, in the order they are read and written, with their published
headers (Standard, VoixdAccès and Partenaires, absent from the 2026 copy, as in the 2024-02-22 zip)."""


def csv_file_name(table: str, issued: dt.date) -> str:
    """The published name of one table file of the export of ``issued``.

    >>> csv_file_name("Blocs_De_Compétences", dt.date(2026, 2, 1))
    'export_fiches_CSV_Blocs_De_Compétences_2026_02_01.csv'
    """
    return f"export_fiches_CSV_{table}_{issued:%Y_%m_%d}.csv"


# ---------------------------------------------------------------------------------------------
# The XML export (flux v4.1): one file per register, <FICHES> of <FICHE>.
# ---------------------------------------------------------------------------------------------

XML_FLUX_VERSION = "4.1"


def xml_file_name(register: str, issued: dt.date) -> str:
    """The published name of the XML export of one register (``rncp`` or ``rs``) of ``issued``.

    >>> xml_file_name("RS", dt.date(2026, 2, 1))
    'export-fiches-rs-v4-1-2026-02-01.xml'
    """
    return f"export-fiches-{register.lower()}-v{XML_FLUX_VERSION.replace('.', '-')}-{issued.isoformat()}.xml"


# SI_JURY_<code> -> the route's label as the CSV export (VoixdAccès) and the fiche pages print it,
# so that the same route of a fiche gets the same IRI whichever source states it.
ROUTES = {
    "FI": "Après un parcours de formation sous statut d’élève ou d’étudiant",
    "CA": "En contrat d’apprentissage",
    "FC": "Après un parcours de formation continue",
    "CQ": "En contrat de professionnalisation",
    "CL": "Par candidature individuelle",
    "VAE": "Par expérience",
}
PUBLICATIONS = ("PUBLICATION_DECRET_GENERAL", "PUBLICATION_DECRET_CREATION", "PUBLICATION_DECRET_AUTRE")
"""The elements listing a fiche's publications in the Journal officiel, by role."""

LIST_TEXTS = ("ACTIVITES_VISEES", "CAPACITES_ATTESTEES", "TYPE_EMPLOI_ACCESSIBLES")
"""Long texts that are lists (one item per flattened line)."""
PROSE_TEXTS = (
    "NIVEAU_MAITRISE_COMPETENCES",
    "OBJECTIFS_CONTEXTE",
    "SECTEURS_ACTIVITE",
    "REGLEMENTATIONS_ACTIVITES",
    "PREREQUIS_ENTREE_FORMATION",
    "PREREQUIS_VALIDATION_CERTIFICATION",
)
"""Long texts that are prose (paragraphs)."""

_CODE_AND_LABEL = ("CODE", "LIBELLE")
_JURY = ("DATE_DERNIERE_MODIFICATION", "ACTIF", "COMPOSITION")

XML_CHILDREN: dict[str, tuple[str, ...]] = {
    "FICHES": ("VERSION_FLUX", "FICHE"),
    "FICHE": (
        "ID_FICHE",
        "NUMERO_FICHE",
        "NOUVELLES_CERTIFICATIONS",
        "ANCIENNES_CERTIFICATIONS",
        "INTITULE",
        "ABREGE",
        "ETAT_FICHE",
        "FORMACODES",
        "NOMENCLATURE_EUROPE",
        "CODES_NSF",
        "CERTIFICATEURS",
        "EXISTENCE_PARTENAIRES",
        "PARTENAIRES",
        "ACTIVITES_VISEES",
        "CAPACITES_ATTESTEES",
        "SECTEURS_ACTIVITE",
        "TYPE_EMPLOI_ACCESSIBLES",
        "CODES_ROME",
        "REGLEMENTATIONS_ACTIVITES",
        *(f"SI_JURY_{code}" for code in ROUTES),
        "ACCESSIBLE_NOUVELLE_CALEDONIE",
        "ACCESSIBLE_POLYNESIE_FRANCAISE",
        *PUBLICATIONS,
        "DATE_DERNIER_JO",
        "DATE_DECISION",
        "DUREE_ENREGISTREMENT",
        "STATISTIQUES_PROMOTIONS",
        "LIEN_URL_DESCRIPTION",
        "DATE_FIN_ENREGISTREMENT",
        "DATE_EFFET",
        "ANNEES_PROMOTIONS_NIVEAU",
        "TYPE_ENREGISTREMENT",
        "BLOCS_COMPETENCES",
        "OBJECTIFS_CONTEXTE",
        "NIVEAU_MAITRISE_COMPETENCES",
        "VALIDATION_PARTIELLE",
        "ACTIF",
        "PREREQUIS_ENTREE_FORMATION",
        "PREREQUIS_VALIDATION_CERTIFICATION",
        "DATE_DE_PUBLICATION",
        "DATE_LIMITE_DELIVRANCE",
        "CORRESPONDANCES",
    ),
    # Lists: one repeated item each.
    "NOUVELLES_CERTIFICATIONS": ("NOUVELLE_CERTIFICATION",),
    "ANCIENNES_CERTIFICATIONS": ("ANCIENNE_CERTIFICATION",),
    "FORMACODES": ("FORMACODE",),
    "CODES_NSF": ("NSF",),
    "CODES_ROME": ("ROME",),
    "CERTIFICATEURS": ("CERTIFICATEUR",),
    "PARTENAIRES": ("PARTENAIRE",),
    "STATISTIQUES_PROMOTIONS": ("STATISTIQUES_PROMOTION",),
    "ANNEES_PROMOTIONS_NIVEAU": ("ANNEE",),
    "BLOCS_COMPETENCES": ("BLOC_COMPETENCES",),
    "CORRESPONDANCES": ("CORRESPONDANCE",),
    **{tag: ("PUBLICATION_JO",) for tag in PUBLICATIONS},
    # Records: their leaves (a fiche number, not an ID_FICHE, despite the name of the first two).
    "NOUVELLE_CERTIFICATION": ("ID_FICHE_NOUVELLE_CERTIFICATION",),
    "ANCIENNE_CERTIFICATION": ("ID_FICHE_ANCIENNE_CERTIFICATION",),
    "ABREGE": _CODE_AND_LABEL,
    "FORMACODE": _CODE_AND_LABEL,
    "NSF": _CODE_AND_LABEL,
    "ROME": _CODE_AND_LABEL,
    "NOMENCLATURE_EUROPE": ("NIVEAU", "LIBELLE"),
    "CERTIFICATEUR": (
        "SIRET_CERTIFICATEUR",
        "NOM_CERTIFICATEUR",
        "ETAT_CERTIFICATEUR",
        "DATE_DERNIERE_MODIFICATION_ETAT",
        "SITE_INTERNET",
    ),
    "PARTENAIRE": (
        "NOM_PARTENAIRE",
        "SIRET_PARTENAIRE",
        "HABILITATION_PARTENAIRE",
        "ETAT_HABILITATION",
        "DATE_ACTIF",
        "DATE_DERNIERE_MODIFICATION_ETAT",
    ),
    **{f"SI_JURY_{code}": _JURY for code in ROUTES},
    "PUBLICATION_JO": ("TITRE", "DATE_PUBLICATION_JO"),
    "STATISTIQUES_PROMOTION": (
        "ANNEE",
        "NOMBRE_CERTIFIES",
        "NOMBRE_CERTIFIES_VAE",
        "TAUX_INSERTION_GLOBAL_6MOIS",
        "TAUX_INSERTION_METIER_2ANS",
    ),
    # In a correspondence, a block names only its CODE.
    "BLOC_COMPETENCES": ("CODE", "LIBELLE", "LISTE_COMPETENCES", "MODALITES_EVALUATION"),
    # The other fiche's number and blocks, nested in <CORRESPONDANCES>.
    "CORRESPONDANCE": ("SOURCE", "DESTINATION"),
    "SOURCE": ("BLOC_COMPETENCES",),
    "DESTINATION": ("NUMERO_FICHE", "BLOC_COMPETENCES"),
}
"""The child elements of every element of the export that has children, in the order it writes them.

An element absent from the keys is a leaf. An element holds a subsequence of its children: a
fiche states only what it has (an RS fiche has no blocks, a jury may have no date).
"""
