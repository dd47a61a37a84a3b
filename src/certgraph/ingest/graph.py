"""Records → quads: the RDF mapping of every record, and the minting of every IRI.

Each function yields ``(subject, predicate, object, graph)`` quads of rdflib terms; nothing here
reads a file or talks to a store. Which named graph a quad lands in is the record's source, so that
every statement keeps where it came from.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from urllib.parse import quote

from rdflib import Literal, URIRef
from rdflib import namespace as _ns

from ..records import (
    BlockCorrespondence,
    Concept,
    CuratedFact,
    Fiche,
    LegalPublication,
    Registration,
    SourceRef,
    TrainingProgramme,
)
from ..vocab import (
    CG,
    ETALAB_LICENCE,
    EXTERNAL_SCHEMES,
    ID,
    LEVEL_1969_TO_EQF,
    PROVENANCE_GRAPH,
    SCHEMA,
    SCHEME_GRAPH,
    XKOS,
    Quad,
    TermCache,
    block_iri,
    concept_iri,
    eqf_iri,
    fiche_iri,
    graph_iri,
    official_page,
    org_iri,
    scheme_iri,
    slug,
)

# rdflib's namespaces check and build a term on every attribute access; mapping a register reads
# them millions of times, so the mapping uses caching copies (the same IRIs).
DCAT, DCTERMS, FOAF, PROV, RDF, RDFS, SKOS, XSD = (
    TermCache(str(ns)) for ns in (_ns.DCAT, _ns.DCTERMS, _ns.FOAF, _ns.PROV, _ns.RDF, _ns.RDFS, _ns.SKOS, _ns.XSD)
)

CURATED_GRAPH_KEY = "curated-facts"

SCHEME_TITLES = {
    "rome": ("ROME — Répertoire opérationnel des métiers et des emplois", "ROME occupations (France Travail)"),
    "nsf": ("NSF — Nomenclature des spécialités de formation", "French classification of training specialties"),
    "nsf-lettre": ("NSF — lettres de fonction et de champ", "NSF function and field letters"),
    "formacode": ("Formacode", "Formacode training thesaurus (Centre Inffo)"),
    "formacode-champ": ("Formacode — champs sémantiques", "Formacode semantic fields"),
    "level1969": ("Nomenclature des niveaux de formation de 1969", "French 1969 level nomenclature"),
    "esco": ("ESCO — professions", "ESCO occupations"),
}


@dataclass
class Resolution:
    """Decisions the builder took across sources, which the mapping applies.

    ``predecessor_by_title`` maps (fiche, printed title) to the number another source confirms;
    ``registration_owner`` maps (page fiche, act kind, act date) to the curated fact assigning it.
    """

    predecessor_by_title: dict[tuple[str, str], str] = field(default_factory=dict)
    registration_owner: dict[tuple[str, str, dt.date | None], CuratedFact] = field(default_factory=dict)


def fr(text: str) -> Literal:
    """A French literal: the data stays in French as published."""
    return Literal(text, lang="fr")


def date(value: dt.date) -> Literal:
    """An xsd:date literal."""
    return Literal(value.isoformat(), datatype=XSD.date)


def integer(value: int) -> Literal:
    """An xsd:integer literal."""
    return Literal(str(int(value)), datatype=XSD.integer)


def boolean(value: bool) -> Literal:
    """An xsd:boolean literal."""
    return Literal("true" if value else "false", datatype=XSD.boolean)


def _values(node, g: URIRef, term, pairs) -> Iterator[Quad]:
    """One quad per (property, value) pair whose value is given; ``term`` makes the literal.

    False and 0 are values; None and the empty string are not.
    """
    for prop, value in pairs:
        if value is not None and value != "":
            yield node, prop, term(value), g


def text_hash(text: str) -> str:
    """A short stable hash for IRIs minted from texts (competency statements)."""
    return hashlib.sha1(" ".join(text.split()).casefold().encode()).hexdigest()[:12]


def lineage_iri(old: str, new: str) -> URIRef:
    """One node per (predecessor, successor) pair, whoever asserts it."""
    return ID[f"lineage/{old}/{new}"]


def historical_link_iri(title: str, new: str) -> URIRef:
    """The link from a predecessor known only by its title to the fiche that names it."""
    return ID[f"lineage/historical/{slug(title)}/{new}"]


def historical_iri(title: str) -> URIRef:
    """An unnumbered predecessor known only by its title."""
    return ID[f"historical/{slug(title)}"]


def correspondence_iri(source: str, target: str) -> URIRef:
    """The official block correspondences of fiche ``source`` towards fiche ``target``.

    >>> str(correspondence_iri("RNCP36490", "RNCP35419"))
    'https://w3id.org/certgraph/id/correspondence/RNCP36490/RNCP35419'
    """
    return ID[f"correspondence/{source}/{target}"]


def association_iri(source: str, item: BlockCorrespondence) -> URIRef:
    """One association of a correspondence, named by its block codes (``fiche`` when none).

    A code is shortened to what follows its fiche's number, so the IRI reads as the pair it is:

    >>> item = BlockCorrespondence("RNCP35419", ["RNCP36490BC02", "RNCP36490BC03"], ["RNCP35419BC04"])
    >>> str(association_iri("RNCP36490", item))
    'https://w3id.org/certgraph/id/correspondence/RNCP36490/RNCP35419/BC02+BC03/BC04'
    >>> str(association_iri("RNCP36490", BlockCorrespondence("RS6626", ["RNCP36490BC04"])))
    'https://w3id.org/certgraph/id/correspondence/RNCP36490/RS6626/BC04/fiche'
    """

    def part(number: str, codes: list[str]) -> str:
        short = [code[len(number) :] if code.startswith(number + "BC") else code for code in codes]
        return quote("+".join(short), safe="+") or "fiche"

    base = correspondence_iri(source, item.target)
    return URIRef(f"{base}/{part(source, item.source_blocks)}/{part(item.target, item.target_blocks)}")


def publication_iri(fiche: str, publication: LegalPublication, position: int) -> URIRef:
    """A legal text published in the Journal officiel, shared by the fiches that cite it.

    Keyed by its publication date and a hash of its printed title; a publication without a
    title is only known through this fiche, so it hangs under it.
    """
    day = publication.jo_date.isoformat() if publication.jo_date else "undated"
    if publication.title:
        return ID[f"act/jo/{day}/{text_hash(publication.title)}"]
    return URIRef(f"{fiche_iri(fiche)}/act/{publication.role}/{position}")


def act_iri(registration: Registration) -> URIRef:
    """A legal act is shared by every certification it registers."""
    day = registration.act_date.isoformat() if registration.act_date else "undated"
    number = f"-{registration.act_number}" if registration.act_number else ""
    return ID[f"act/{slug(registration.act_kind)}/{day}{number}"]


def source_quads(source: SourceRef) -> Iterator[Quad]:
    """Describe one named graph with DCAT and PROV in the provenance graph."""
    g, node = PROVENANCE_GRAPH, graph_iri(source.key)
    yield node, RDF.type, DCAT.Dataset, g
    yield node, RDF.type, PROV.Entity, g
    yield node, DCTERMS.title, Literal(source.title), g
    yield node, CG.sourcePath, Literal(source.path), g
    if source.issued:
        yield node, DCTERMS.issued, date(source.issued), g
    if source.publisher:
        yield node, DCTERMS.publisher, Literal(source.publisher), g
    if source.licence:
        licence = ETALAB_LICENCE if "etalab" in source.licence.lower() else Literal(source.licence)
        yield node, DCTERMS.license, licence, g
    if source.origin:
        yield node, DCTERMS.source, Literal(source.origin), g


def scheme_quads(schemes: Iterable[str]) -> Iterator[Quad]:
    """The skos:ConceptScheme resources of the code lists, and the 1969 levels mapped to EQF."""
    g = SCHEME_GRAPH
    for scheme in schemes:
        node = scheme_iri(scheme)
        title_fr, title_en = SCHEME_TITLES[scheme]
        yield node, RDF.type, SKOS.ConceptScheme, g
        yield node, SKOS.prefLabel, fr(title_fr), g
        yield node, SKOS.prefLabel, Literal(title_en, lang="en"), g
    yield from _level_quads(g)


def _level_quads(g: URIRef) -> Iterator[Quad]:
    scheme = scheme_iri("level1969")
    yield scheme, RDF.type, SKOS.ConceptScheme, g
    yield scheme, SKOS.prefLabel, fr(SCHEME_TITLES["level1969"][0]), g
    yield scheme, SKOS.prefLabel, Literal(SCHEME_TITLES["level1969"][1], lang="en"), g
    for roman, eqf in LEVEL_1969_TO_EQF.items():
        node = concept_iri("level1969", roman)
        yield node, RDF.type, SKOS.Concept, g
        yield node, SKOS.inScheme, scheme, g
        yield node, SKOS.notation, Literal(roman), g
        yield node, SKOS.prefLabel, fr(f"Niveau {roman} (nomenclature de 1969)"), g
        yield node, CG.correspondsToEqf, eqf_iri(eqf), g
    for eqf in range(1, 9):
        node = eqf_iri(eqf)
        yield node, RDF.type, SKOS.Concept, g
        yield node, SKOS.notation, Literal(str(eqf)), g
        yield node, SKOS.prefLabel, fr(f"Niveau {eqf}"), g
        yield node, SKOS.prefLabel, Literal(f"EQF level {eqf}", lang="en"), g


def concept_quads(concept: Concept) -> Iterator[Quad]:
    """A code list entry as a skos:Concept of its scheme, in the graph of the file that states it."""
    assert concept.source is not None, f"{concept.scheme} {concept.code}: a record needs its source"
    if concept.scheme in EXTERNAL_SCHEMES:
        yield from _external_concept_quads(concept)
        return
    g, node = graph_iri(concept.source.key), concept_iri(concept.scheme, concept.code)
    scheme = concept.scheme
    yield from _concept_head(concept, node, g)
    yield node, SKOS.notation, Literal(concept.code), g
    for alt in concept.alt_labels:
        yield node, SKOS.altLabel, fr(alt), g
    if concept.kind:
        yield node, DCTERMS.type, Literal(concept.kind), g
    if concept.note:
        yield node, SKOS.scopeNote, fr(concept.note), g
    broader_scheme = _broader_scheme(concept)
    for code in concept.broader:
        yield node, SKOS.broader, concept_iri(broader_scheme, code), g
    if not concept.broader:
        yield node, SKOS.topConceptOf, scheme_iri(scheme), g
    for code in concept.related:
        yield node, SKOS.related, concept_iri(scheme, code), g


def _concept_head(concept: Concept, node: URIRef, g: URIRef) -> Iterator[Quad]:
    """What every concept states, of certgraph's code lists or of a scheme published by others:
    its class, its scheme and its labels."""
    yield node, RDF.type, SKOS.Concept, g
    yield node, SKOS.inScheme, scheme_iri(concept.scheme), g
    if concept.label_fr:
        yield node, SKOS.prefLabel, fr(concept.label_fr), g
    if concept.label_en:
        yield node, SKOS.prefLabel, Literal(concept.label_en, lang="en"), g


# The SKOS mapping properties a crosswalk may publish, by their local name.
MAPPING_RELATIONS = ("exactMatch", "closeMatch", "broadMatch", "narrowMatch")


def _external_concept_quads(concept: Concept) -> Iterator[Quad]:
    """A concept of a scheme published by others (an ESCO occupation), as a crosswalk names it.

    Only what the crosswalk states: the concept, its scheme and its label, and the mapping relation
    from each certgraph code it maps to it, kept as published (``<id/rome/11987> skos:exactMatch
    <http://data.europa.eu/esco/occupation/…>``), with the code's label as the crosswalk prints it
    (``cg:citedLabel``). No notation and no place in the publisher's hierarchy: the file gives none.
    """
    g, node = graph_iri(concept.source.key), concept_iri(concept.scheme, concept.code)
    yield from _concept_head(concept, node, g)
    for match in concept.matched_by:
        assert match.relation in MAPPING_RELATIONS, f"{match.relation}: not a SKOS mapping property"
        code = concept_iri(match.scheme, match.code)
        yield code, getattr(SKOS, match.relation), node, g
        if match.label:
            yield code, CG.citedLabel, fr(match.label), g


def _broader_scheme(concept: Concept) -> str:
    # Formacode field heads hang under grand domaines of the same scheme; fields themselves are
    # their own small scheme, and their broader codes are grand domaines (5-digit Formacodes).
    return "formacode" if concept.scheme == "formacode-champ" else concept.scheme


def fiche_quads(fiche: Fiche, resolution: Resolution | None = None) -> Iterator[Quad]:
    """Everything one source says about one fiche, in that source's named graph."""
    resolution = resolution or Resolution()
    assert fiche.source is not None, f"{fiche.number}: a record needs its source"
    g, node = graph_iri(fiche.source.key), fiche_iri(fiche.number)
    yield from _identity_quads(fiche, node, g)
    yield from _code_quads(fiche, node, g)
    yield from _organisation_quads(fiche, node, g)
    yield from _text_quads(fiche, node, g)
    for position, block in enumerate(fiche.blocks, start=1):
        yield from _block_quads(fiche, block, position, node, g)
    yield from _lineage_quads(fiche, resolution, g)
    yield from _registration_quads(fiche, resolution, g)
    yield from _statistic_quads(fiche, node, g)
    yield from _access_quads(fiche, node, g)
    yield from _publication_quads(fiche, node, g)
    yield from _correspondence_quads(fiche, node, g)


def _identity_quads(fiche: Fiche, node: URIRef, g: URIRef) -> Iterator[Quad]:
    kind = CG.RSCertification if fiche.repertory == "rs" else CG.RNCPCertification
    yield node, RDF.type, kind, g
    yield node, RDF.type, CG.Certification, g
    yield node, CG.number, Literal(fiche.number), g
    yield node, FOAF.page, official_page(fiche.number), g
    if fiche.title:
        yield node, DCTERMS.title, fr(fiche.title), g
        yield node, RDFS.label, fr(fiche.title), g
    if fiche.level_eqf is not None:
        # The printed label (level_label, "Niveau 7") adds nothing to the EQF concept's own labels.
        yield node, CG.eqfLevel, eqf_iri(fiche.level_eqf), g
    if fiche.level_1969:
        yield node, CG.level1969, concept_iri("level1969", fiche.level_1969), g
    yield from _values(node, g, Literal, (
        (CG.abbreviation, fiche.abbreviation),
        (CG.registrationType, fiche.registration_type),
        (CG.status, fiche.status),
        (CG.abbreviationCode, fiche.abbreviation_code),
        (CG.fcId, fiche.fc_id),
    ))
    yield from _values(node, g, boolean, (
        (CG.active, fiche.active),
        (CG.newCaledonia, fiche.new_caledonia),
        (CG.frenchPolynesia, fiche.french_polynesia),
        (CG.hasPartners, fiche.has_partners),
        (CG.partialValidation, fiche.partial_validation),
    ))
    yield from _values(node, g, date, (
        (CG.decisionDate, fiche.decision_date),
        (CG.effectDate, fiche.effect_date),
        (CG.endDate, fiche.end_date),
        (CG.lastJoDate, fiche.last_jo_date),
        (CG.publicationDate, fiche.publication_date),
        (CG.awardDeadline, fiche.award_deadline),
    ))
    yield from _values(node, g, integer, ((CG.registrationYears, fiche.registration_years),))
    for year in fiche.cohort_years:
        yield node, CG.cohortYear, Literal(str(year), datatype=XSD.gYear), g
    for title in fiche.former_titles:
        yield node, CG.formerTitle, fr(title), g
    for website in ([fiche.website] if fiche.website else []) + fiche.other_websites:
        yield node, SCHEMA.url, URIRef(website) if _is_iri(website) else Literal(website), g


def _is_iri(value: str) -> bool:
    return value.startswith(("http://", "https://")) and not any(c in value for c in ' <>"{}|\\^`')


def _code_quads(fiche: Fiche, node: URIRef, g: URIRef) -> Iterator[Quad]:
    for prop, scheme, codes in (
        (CG.rome, "rome", fiche.rome),
        (CG.nsf, "nsf", fiche.nsf),
        (CG.formacode, "formacode", fiche.formacodes),
    ):
        for ref in codes:
            # A malformed code still links (percent-encoded): the validator reports it by name.
            concept = concept_iri(scheme, ref.code)
            yield node, prop, concept, g
            if ref.label:
                # The label as this source prints it: the code list's own label may differ.
                yield concept, CG.citedLabel, fr(ref.label), g
    for ref in fiche.ccn:
        label = f"{ref.code} : {ref.label}" if ref.label else ref.code
        yield node, CG.ccn, fr(label), g


def _organisation_quads(fiche: Fiche, node: URIRef, g: URIRef) -> Iterator[Quad]:
    for name in fiche.certifier_names:
        yield node, CG.certifierName, Literal(name), g
    for certifier in fiche.certifiers:
        org = org_iri(certifier.siret, certifier.name)
        yield node, CG.certifier, org, g
        yield from _org_quads(org, certifier.name, certifier.siret, g)
        if certifier.trade_name:
            yield org, SCHEMA.alternateName, Literal(certifier.trade_name), g
        if certifier.website and _is_iri(certifier.website):
            yield org, FOAF.homepage, URIRef(certifier.website), g
        if certifier.active is not None or certifier.state_modified is not None:
            # The state is the certifier's for this fiche, not the organisation's: a role node.
            role = URIRef(f"{node}/certifier/{certifier.siret or slug(certifier.name)}")
            yield node, CG.certifierRole, role, g
            yield role, RDF.type, CG.CertifierRole, g
            yield role, CG.organisation, org, g
            yield from _state_quads(role, certifier.active, certifier.state_modified, g)
    for partner in fiche.partners:
        org = org_iri(partner.siret, partner.name)
        habilitation = URIRef(f"{node}/partner/{partner.siret or slug(partner.name)}")
        yield node, CG.partner, habilitation, g
        yield habilitation, RDF.type, CG.Habilitation, g
        yield habilitation, CG.organisation, org, g
        if partner.habilitation:
            yield habilitation, CG.habilitationType, Literal(partner.habilitation), g
        yield from _state_quads(habilitation, partner.active, partner.state_modified, g)
        if partner.active_since:
            yield habilitation, CG.activeSince, date(partner.active_since), g
        yield from _org_quads(org, partner.name, partner.siret, g)


def _state_quads(node: URIRef, active: bool | None, modified: dt.date | None, g: URIRef) -> Iterator[Quad]:
    if active is not None:
        yield node, CG.active, boolean(active), g
    if modified is not None:
        yield node, DCTERMS.modified, date(modified), g


def _org_quads(org: URIRef, name: str, siret: str | None, g: URIRef) -> Iterator[Quad]:
    yield org, RDF.type, CG.Organisation, g
    yield org, SCHEMA.legalName, Literal(name), g
    yield org, RDFS.label, Literal(name), g
    if siret:
        yield org, CG.siret, Literal(siret), g


def _text_quads(fiche: Fiche, node: URIRef, g: URIRef) -> Iterator[Quad]:
    yield from _values(node, g, fr, (
        (CG.objectives, fiche.objectives),
        (CG.sectors, fiche.sectors),
        (CG.regulations, fiche.regulations),
        (CG.prerequisites, fiche.prerequisites),
        (CG.validityOfComponents, fiche.validity_of_components),
        (CG.masteryLevel, fiche.mastery_level),
        (CG.certificationPrerequisites, fiche.certification_prerequisites),
    ))
    for prop, items in (
        (CG.activity, fiche.activities),
        (CG.capacity, fiche.capacities),
        (CG.assessmentMethod, fiche.assessment),
        (CG.job, fiche.jobs),
    ):
        for item in items:
            yield node, prop, fr(item), g


def _block_quads(fiche: Fiche, block, position: int, node: URIRef, g: URIRef) -> Iterator[Quad]:
    bnode = block_iri(fiche.number, block.code)
    yield bnode, RDF.type, CG.CompetencyBlock, g
    yield bnode, SKOS.notation, Literal(block.code), g
    yield bnode, DCTERMS.isPartOf, node, g
    yield node, DCTERMS.hasPart, bnode, g
    if block.label:
        yield bnode, DCTERMS.title, fr(block.label), g
        yield bnode, RDFS.label, fr(block.label), g
    if block.raw_text:
        yield bnode, CG.rawText, fr(block.raw_text), g
    if block.assessment_raw_text:
        yield bnode, CG.assessmentText, fr(block.assessment_raw_text), g
    for method in block.assessment:
        yield bnode, CG.assessmentMethod, fr(method), g
    for rank, text in enumerate(block.competencies, start=1):
        competency = URIRef(f"{bnode}/competence/{text_hash(text)}")
        yield bnode, CG.competency, competency, g
        yield competency, RDF.type, CG.Competency, g
        yield competency, RDFS.label, fr(text), g
        yield competency, CG.rawText, fr(text), g
        yield competency, CG.position, integer(rank), g


def _lineage_quads(fiche: Fiche, resolution: Resolution, g: URIRef) -> Iterator[Quad]:
    me = fiche.number
    for ref in fiche.predecessors:
        number = ref.number or resolution.predecessor_by_title.get((me, ref.title or ""))
        if number:
            yield from _link_quads(number, me, me, g, printed_title=None if ref.number else ref.title)
        elif ref.title:
            yield from _historical_link_quads(ref.title, me, g)
    for ref in fiche.successors:
        if ref.number:
            yield from _link_quads(me, ref.number, me, g)


def _link_quads(old: str, new: str, asserted_by: str, g: URIRef, printed_title: str | None = None) -> Iterator[Quad]:
    old_node, new_node, link = fiche_iri(old), fiche_iri(new), lineage_iri(old, new)
    yield new_node, DCTERMS.replaces, old_node, g
    yield old_node, DCTERMS.isReplacedBy, new_node, g
    yield link, RDF.type, CG.LineageLink, g
    yield link, CG.predecessor, old_node, g
    yield link, CG.successor, new_node, g
    yield link, CG.assertedBy, fiche_iri(asserted_by), g
    yield link, PROV.wasDerivedFrom, g, g
    if printed_title:
        yield link, CG.predecessorTitle, fr(printed_title), g
    # A number met only as the other end of a link is still a certification of its register.
    for number, node in ((old, old_node), (new, new_node)):
        yield node, RDF.type, CG.Certification, g
        yield node, RDF.type, CG.RSCertification if number.startswith("RS") else CG.RNCPCertification, g
        yield node, CG.number, Literal(number), g


def _historical_link_quads(title: str, new: str, g: URIRef) -> Iterator[Quad]:
    old_node, new_node = historical_iri(title), fiche_iri(new)
    link = historical_link_iri(title, new)
    yield old_node, RDF.type, CG.HistoricalCertification, g
    yield old_node, RDFS.label, fr(title), g
    yield new_node, DCTERMS.replaces, old_node, g
    yield old_node, DCTERMS.isReplacedBy, new_node, g
    yield link, RDF.type, CG.LineageLink, g
    yield link, CG.predecessor, old_node, g
    yield link, CG.successor, new_node, g
    yield link, CG.assertedBy, new_node, g
    yield link, CG.predecessorTitle, fr(title), g


def _registration_quads(fiche: Fiche, resolution: Resolution, g: URIRef) -> Iterator[Quad]:
    for index, reg in enumerate(fiche.registrations, start=1):
        day = reg.act_date.isoformat() if reg.act_date else str(index)
        node = URIRef(f"{fiche_iri(fiche.number)}/registration/{slug(reg.act_kind)}-{day}")
        fact = resolution.registration_owner.get((fiche.number, reg.act_kind, reg.act_date))
        act = act_iri(reg)
        yield node, RDF.type, CG.Registration, g
        if fact is None:
            yield node, CG.registrationOf, fiche_iri(fiche.number), g
            yield fiche_iri(fiche.number), CG.registration, node, g
        else:
            yield from _curated_registration_quads(node, fact)
        yield node, CG.legalBasis, act, g
        yield node, PROV.wasDerivedFrom, g, g
        yield from _values(node, g, date, ((CG.effectDate, reg.effect_date), (CG.endDate, reg.end_date)))
        yield from _values(node, g, fr, ((CG.titleAtTime, reg.title), (CG.rawText, reg.text)))
        yield from _values(node, g, Literal, ((CG.levelAtTime, reg.level),))
        yield act, RDF.type, CG.LegalAct, g
        yield act, CG.actKind, fr(reg.act_kind), g
        label = f"{reg.act_kind.capitalize()}" + (f" n° {reg.act_number}" if reg.act_number else "")
        label += f" du {reg.act_date.isoformat()}" if reg.act_date else ""
        yield act, RDFS.label, fr(label), g
        yield from _values(act, g, date, ((DCTERMS.date, reg.act_date), (CG.joDate, reg.jo_date)))
        yield from _values(act, g, Literal, ((CG.actNumber, reg.act_number),))


def _curated_registration_quads(registration: URIRef, fact: CuratedFact) -> Iterator[Quad]:
    # The page lists the registration; which fiche it belongs to is the curated fact's claim, so it
    # lives in the curated graph, reified with the fact's status and source.
    g, owner = graph_iri(CURATED_GRAPH_KEY), fiche_iri(fact.subject)
    statement = ID[f"fact/registration/{text_hash(str(registration))}"]
    yield registration, CG.registrationOf, owner, g
    yield owner, CG.registration, registration, g
    yield statement, RDF.type, RDF.Statement, g
    yield statement, RDF.subject, registration, g
    yield statement, RDF.predicate, CG.registrationOf, g
    yield statement, RDF.object, owner, g
    yield statement, CG.status, Literal(fact.status), g
    yield statement, DCTERMS.source, Literal(fact.source), g
    if fact.note:
        yield statement, RDFS.comment, Literal(" ".join(fact.note.split()), lang="en"), g


def _statistic_quads(fiche: Fiche, node: URIRef, g: URIRef) -> Iterator[Quad]:
    for stat in fiche.statistics:
        snode = URIRef(f"{node}/statistique/{stat.year}")
        yield node, CG.statistic, snode, g
        yield snode, RDF.type, CG.CohortStatistic, g
        yield snode, CG.year, Literal(str(stat.year), datatype=XSD.gYear), g
        yield from _values(snode, g, integer, (
            (CG.certifiedCount, stat.certified),
            (CG.vaeCertifiedCount, stat.certified_vae),
            (CG.insertionRate6Months, stat.insertion_rate_6m),
            (CG.jobInsertionRate6Months, stat.job_insertion_rate_6m),
            (CG.jobInsertionRate2Years, stat.job_insertion_rate_2y),
        ))


def _access_quads(fiche: Fiche, node: URIRef, g: URIRef) -> Iterator[Quad]:
    for route in fiche.access_routes:
        rnode = URIRef(f"{node}/voie/{slug(route.label)}")
        yield node, CG.accessRoute, rnode, g
        yield rnode, RDF.type, CG.AccessRoute, g
        yield rnode, RDFS.label, fr(route.label), g
        yield rnode, CG.isOpen, boolean(route.open), g
        if route.jury:
            yield rnode, CG.juryComposition, fr(route.jury), g
        if route.modified:
            yield rnode, DCTERMS.modified, date(route.modified), g
        if route.code:
            yield rnode, SKOS.notation, Literal(route.code), g


PUBLICATION_PROPERTIES = {"general": CG.generalAct, "creation": CG.creationAct, "other": CG.otherAct}


def _publication_quads(fiche: Fiche, node: URIRef, g: URIRef) -> Iterator[Quad]:
    for position, publication in enumerate(fiche.publications, start=1):
        act = publication_iri(fiche.number, publication, position)
        yield node, PUBLICATION_PROPERTIES.get(publication.role, CG.legalText), act, g
        yield act, RDF.type, CG.LegalAct, g
        if publication.title:
            yield act, RDFS.label, fr(publication.title), g
            yield act, DCTERMS.title, fr(publication.title), g
        if publication.jo_date:
            yield act, CG.joDate, date(publication.jo_date), g


def _correspondence_quads(fiche: Fiche, node: URIRef, g: URIRef) -> Iterator[Quad]:
    """The official block correspondences (XKOS), apart from the computed similarity.

    One ``xkos:Correspondence`` per (fiche, other fiche); one ``xkos:ConceptAssociation`` per
    published correspondence, from a group of this fiche's blocks to a group of the other's (the
    whole fiche when the group is empty): ``BC02 + BC03 → BC04`` is one association, because
    holding BC02 alone does not give BC04.
    """
    me, done = fiche.number, set()
    for item in fiche.correspondences:
        corr, target = correspondence_iri(me, item.target), fiche_iri(item.target)
        if corr not in done:
            done.add(corr)
            yield corr, RDF.type, XKOS.Correspondence, g
            yield corr, XKOS.compares, node, g
            yield corr, XKOS.compares, target, g
            yield corr, RDFS.label, fr(f"Correspondance {me} → {item.target}"), g
            yield corr, CG.assertedBy, node, g
            yield corr, PROV.wasDerivedFrom, g, g
            # A number met only as the other end of a link is still a certification of its register.
            yield target, RDF.type, CG.Certification, g
            yield target, RDF.type, CG.RSCertification if item.target.startswith("RS") else CG.RNCPCertification, g
            yield target, CG.number, Literal(item.target), g
        association = association_iri(me, item)
        yield corr, XKOS.madeOf, association, g
        yield association, RDF.type, XKOS.ConceptAssociation, g
        for code in item.source_blocks or [None]:
            yield association, XKOS.sourceConcept, block_iri(me, code) if code else node, g
        for code in item.target_blocks or [None]:
            yield association, XKOS.targetConcept, block_iri(item.target, code) if code else target, g


def programme_quads(programme: TrainingProgramme) -> Iterator[Quad]:
    """A training programme, its modules and the blocks they cover."""
    assert programme.source is not None
    g = graph_iri(programme.source.key)
    fiche = fiche_iri(programme.fiche)
    # Two documents of one provider describe two editions of a programme: keyed by source, not provider.
    node = URIRef(f"{fiche}/programme/{programme.source.key}")
    yield node, RDF.type, CG.TrainingProgramme, g
    yield node, CG.prepares, fiche, g
    yield node, RDFS.label, fr(programme.title), g
    if programme.provider:
        yield node, SCHEMA.provider, fr(programme.provider), g
    if programme.total_hours is not None:
        yield node, CG.totalHours, integer(programme.total_hours), g
    if programme.prerequisites:
        yield node, CG.prerequisites, fr(programme.prerequisites), g
    if programme.cost:
        yield node, CG.cost, fr(programme.cost), g
    if programme.created_year:
        yield node, CG.createdYear, Literal(str(programme.created_year), datatype=XSD.gYear), g
    for position, module in enumerate(programme.modules, start=1):
        mnode = URIRef(f"{node}/module/{position}")
        yield node, CG.module, mnode, g
        yield mnode, RDF.type, CG.TrainingModule, g
        yield mnode, RDFS.label, fr(module.label), g
        yield mnode, CG.position, integer(position), g
        yield mnode, CG.certifying, boolean(module.certifying), g
        if module.hours is not None:
            yield mnode, CG.hours, integer(module.hours), g
        if module.block_number is not None:
            code = f"{programme.fiche}BC{module.block_number:02d}"
            yield mnode, CG.coversBlock, block_iri(programme.fiche, code), g
        for course in module.courses:
            yield mnode, CG.course, fr(course), g


__all__ = [
    "Quad",
    "Resolution",
    "PROVENANCE_GRAPH",
    "SCHEME_GRAPH",
    "concept_quads",
    "fiche_quads",
    "programme_quads",
    "scheme_quads",
    "source_quads",
    "lineage_iri",
    "historical_iri",
    "correspondence_iri",
    "association_iri",
    "publication_iri",
]
