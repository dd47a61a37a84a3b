"""Namespaces, IRI minting and the terms of the certgraph ontology, in one place."""

from __future__ import annotations

import re
from urllib.parse import quote

from rdflib import BNode, Literal, Namespace, URIRef

from .text import fold


class TermCache(Namespace):
    """A Namespace that mints each attribute term once (``CG.number`` is read millions of times
    while mapping a register; rdflib's Namespace builds a new URIRef on every access).

    >>> ns = TermCache("http://example.org/")
    >>> ns.a is ns.a, str(ns.a)
    (True, 'http://example.org/a')
    """

    def __getattr__(self, name: str) -> URIRef:
        if name.startswith("__"):
            raise AttributeError(name)
        term = self.term(name)
        self.__dict__[name] = term
        return term


BASE = "https://w3id.org/certgraph/"
CG = TermCache(BASE + "ontology#")
ID = Namespace(BASE + "id/")
GRAPH = Namespace(BASE + "graph/")
ONTOLOGY_GRAPH = URIRef(BASE + "ontology")

EQF = Namespace("http://data.europa.eu/snb/eqf/")
SCHEMA = TermCache("https://schema.org/")
# XKOS (DDI Alliance) for the official block correspondences: xkos:Correspondence, ConceptAssociation.
XKOS = TermCache("http://rdf-vocabulary.ddialliance.org/xkos#")

# Prefixes for IRIs shown or written compactly (pages, graph exports, RDF answers, SPARQL
# prologues); where namespaces nest, the longest wins (``id:`` before nothing shorter).
CURIES = {
    "cg": str(CG),
    "id": str(ID),
    "graph": str(GRAPH),
    "dcterms": "http://purl.org/dc/terms/",
    "rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
    "rdfs": "http://www.w3.org/2000/01/rdf-schema#",
    "owl": "http://www.w3.org/2002/07/owl#",
    "skos": "http://www.w3.org/2004/02/skos/core#",
    "schema": str(SCHEMA),
    "xsd": "http://www.w3.org/2001/XMLSchema#",
    "prov": "http://www.w3.org/ns/prov#",
    "dcat": "http://www.w3.org/ns/dcat#",
    "void": "http://rdfs.org/ns/void#",
    "xkos": str(XKOS),
    "foaf": "http://xmlns.com/foaf/0.1/",
    "org": "http://www.w3.org/ns/org#",
    "elm": "http://data.europa.eu/snb/model/elm/",
    "eqf": str(EQF),
    "sd": "http://www.w3.org/ns/sparql-service-description#",
}


def compact(iri: str) -> str:
    """An IRI as ``prefix:local`` with the longest namespace of CURIES holding it, else the IRI.

    >>> compact("http://purl.org/dc/terms/replaces"), compact("https://w3id.org/certgraph/id/rome/K1403")
    ('dcterms:replaces', 'id:rome/K1403')
    >>> compact("https://w3id.org/certgraph/ontology#number"), compact("urn:x")
    ('cg:number', 'urn:x')
    """
    best = max((p for p, ns in CURIES.items() if iri.startswith(ns)), key=lambda p: len(CURIES[p]), default=None)
    return f"{best}:{iri[len(CURIES[best]):]}" if best else iri


def sparql_prologue(*prefixes: str) -> str:
    """``PREFIX`` lines for these prefixes of CURIES.

    >>> print(sparql_prologue("cg", "skos"), end="")
    PREFIX cg: <https://w3id.org/certgraph/ontology#>
    PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
    """
    return "".join(f"PREFIX {p}: <{CURIES[p]}>\n" for p in prefixes)


ETALAB_LICENCE = URIRef("https://www.etalab.gouv.fr/licence-ouverte-open-licence/")
FC_PAGE = "https://www.francecompetences.fr/recherche/{repertory}/{digits}/"


# Concept schemes of the code lists: the scheme key used in records -> the IRI path segment.
SCHEMES = {
    "rome": "rome",
    "nsf": "nsf",
    "nsf-lettre": "nsf/lettre",
    "formacode": "formacode",
    "formacode-champ": "formacode/champ",
    "level1969": "level1969",
}

# Schemes published by others: their concepts keep their publisher's IRIs. The scheme key used in
# records -> (the namespace of its concepts, a concept's IRI being namespace + code; the scheme's IRI).
EXTERNAL_SCHEMES = {
    "esco": ("http://data.europa.eu/esco/occupation/", "http://data.europa.eu/esco/concept-scheme/occupations"),
}
ESCO_OCCUPATION = Namespace(EXTERNAL_SCHEMES["esco"][0])

# The French 1969 nomenclature (niveaux I–V) mapped to EQF levels (décret 2019-14, annexe).
LEVEL_1969_TO_EQF = {"I": 7, "II": 6, "III": 5, "IV": 4, "V": 3}

# Terms of the cg: layer used in code; a test checks each is declared in ontology/certgraph.ttl.
TERMS = (
    "Certification RNCPCertification RSCertification CompetencyBlock Competency Organisation "
    "LineageLink HistoricalCertification Registration LegalAct CohortStatistic AccessRoute "
    "TrainingProgramme TrainingModule Habilitation SimilarityAssessment SimilarityMethod "
    "number eqfLevel level1969 rome nsf formacode ccn certifier partner habilitationType "
    "organisation siret abbreviation registrationType active status decisionDate effectDate "
    "endDate lastJoDate objectives activity capacity assessmentMethod sectors job regulations "
    "prerequisites validityOfComponents newCaledonia frenchPolynesia competency rawText "
    "position predecessor successor assertedBy predecessorTitle formerTitle "
    "registration registrationOf legalBasis actKind actNumber joDate titleAtTime levelAtTime "
    "statistic year certifiedCount vaeCertifiedCount insertionRate6Months "
    "jobInsertionRate6Months jobInsertionRate2Years accessRoute isOpen juryComposition "
    "prepares module hours course coversBlock certifying totalHours cost createdYear "
    "left right score method aligned correspondsToEqf sourcePath "
    "CertifierRole certifierRole activeSince fcId publicationDate awardDeadline registrationYears "
    "abbreviationCode hasPartners partialValidation masteryLevel certificationPrerequisites "
    "cohortYear legalText generalAct creationAct otherAct assessmentText "
    "Snapshot FicheState stateOf inSnapshot contentHash statedPredecessor statedSuccessor coveredField "
    "ficheCount ChangeSet FicheChange LineageChange CertifierChange fromSnapshot toSnapshot comparedField "
    "change changeKind changedField replaced replacedBy fiche validFrom validUntil "
    "CurrentValues currentValues field activeAsOf supersededBy SourceConflict claim claimedBy winner citedLabel StatusClaim certifierName successorOrSelf"
).split()


def slug(text: str, limit: int = 60) -> str:
    """A lowercase ASCII slug for IRIs minted from titles.

    >>> slug("Manager d'organismes à vocation sociale")
    'manager-d-organismes-a-vocation-sociale'
    """
    return re.sub(r"[^a-z0-9]+", "-", fold(text)).strip("-")[:limit].rstrip("-")


def fiche_iri(number: str) -> URIRef:
    """``RNCP35080`` -> ``…/id/rncp/35080``; ``RS5000`` -> ``…/id/rs/5000``.

    >>> str(fiche_iri("RNCP35080"))
    'https://w3id.org/certgraph/id/rncp/35080'
    """
    repertory = "rs" if number.startswith("RS") else "rncp"
    return ID[f"{repertory}/{number[len(repertory):]}"]


def block_iri(number: str, code: str) -> URIRef:
    """Blocks hang under their fiche: block codes are not unique nationally."""
    return URIRef(f"{fiche_iri(number)}/bloc/{code}")


def concept_iri(scheme: str, code: str) -> URIRef:
    """``concept_iri('rome', 'K1403')`` -> ``…/id/rome/K1403``; odd characters are percent-encoded.

    A concept of a scheme published by others keeps its publisher's IRI:

    >>> str(concept_iri("rome", "K 14/03"))
    'https://w3id.org/certgraph/id/rome/K%2014%2F03'
    >>> str(concept_iri("esco", "4a29eab1-5f02-4723-a863-e2d5a0614dfa"))
    'http://data.europa.eu/esco/occupation/4a29eab1-5f02-4723-a863-e2d5a0614dfa'
    """
    if scheme in EXTERNAL_SCHEMES:
        return URIRef(EXTERNAL_SCHEMES[scheme][0] + quote(code, safe=""))
    return ID[f"{SCHEMES[scheme]}/{quote(code, safe='')}"]


def scheme_iri(scheme: str) -> URIRef:
    """The skos:ConceptScheme of a code list: ``…/id/rome``; ESCO's own for its occupations."""
    if scheme in EXTERNAL_SCHEMES:
        return URIRef(EXTERNAL_SCHEMES[scheme][1])
    return ID[SCHEMES[scheme]]


def org_iri(siret: str | None, name: str) -> URIRef:
    """Organisations are keyed by SIRET; one without SIRET by a slug of its name."""
    return ID[f"org/siret/{siret}"] if siret else ID[f"org/name/{slug(name)}"]


def graph_iri(key: str) -> URIRef:
    """One named graph per source file: ``…/graph/<key>``."""
    return GRAPH[key]


# One quad of the graph: subject, predicate, object, named graph.
Quad = tuple[URIRef | BNode, URIRef, URIRef | BNode | Literal, URIRef]

# The named graphs the build derives from the sources' graphs (``graph/<key>`` per source file).
PROVENANCE_GRAPH = graph_iri("provenance")
SCHEME_GRAPH = graph_iri("schemes")
CURRENT_GRAPH = graph_iri("derived/current")
CONFLICTS_GRAPH = graph_iri("derived/conflicts")
HIERARCHY_GRAPH = graph_iri("derived/hierarchy")
LISTING_GRAPH = graph_iri("derived/listings")
SIMILARITY_GRAPH = graph_iri("derived/similarity")
BLOCK_MAP_GRAPH = graph_iri("derived/block-maps")
SUGGESTION_GRAPH = graph_iri("derived/suggested-links")
SUMMARY_GRAPH = graph_iri("derived/summary")
# What a store built by this code holds, stated in its summary (``cg:storeFormat``): 2 adds the
# listings' sort keys (graph derived/listings), which the listing queries read.
STORE_FORMAT = 2
VALIDATION_GRAPH = graph_iri("derived/validation")


def eqf_iri(level: int) -> URIRef:
    """The EU EQF level concept: ``http://data.europa.eu/snb/eqf/7``."""
    return EQF[str(level)]


def official_page(number: str) -> URIRef:
    """The fiche's page at France Compétences (linked with foaf:page, never owl:sameAs)."""
    repertory = "rs" if number.startswith("RS") else "rncp"
    return URIRef(FC_PAGE.format(repertory=repertory, digits=number[len(repertory):]))


# The one pattern of a fiche's IRI (``records.FICHE_NUMBER`` is the one of its number). The queries
# that must tell a fiche from its blocks by the IRI test the path after ``id/`` with
# ``FICHE_KEY_REGEX``, written as it is here (tests/test_house.py checks every .rq file).
FICHE_KEY_REGEX = "^(rncp|rs)/[0-9]+$"
FICHE_IRI = re.compile(re.escape(str(ID)) + FICHE_KEY_REGEX[1:-1].replace("[0-9]+", "([0-9]+)"))


def number_from_iri(iri: str) -> str | None:
    """The fiche number an IRI names, or None.

    >>> number_from_iri("https://w3id.org/certgraph/id/rs/5000")
    'RS5000'
    """
    match = FICHE_IRI.fullmatch(str(iri))
    return f"{match.group(1).upper()}{match.group(2)}" if match else None
