"""Plain records that every source produces: no RDF here, only the facts a file states.

Every source module turns one input format into these dataclasses; ``graph.py`` maps them to
triples. A record always says where it came from (:class:`SourceRef`), so each source file becomes
its own named graph, and a defect found while reading is a :class:`Problem` naming the file, the
line and the fiche, never an exception that loses the other records.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field

FICHE_NUMBER = re.compile(r"^(RNCP|RS)([0-9]+)$")


def normalise_fiche_number(value: str) -> str | None:
    """Return ``RNCP35080`` for ``RNCP35080``, ``rncp 35080`` or ``RNCP-35080``; None if not a number.

    >>> normalise_fiche_number(" rncp 35080 ")
    'RNCP35080'
    >>> normalise_fiche_number("RS5000")
    'RS5000'
    >>> normalise_fiche_number("35080") is None
    True
    """
    compact = re.sub(r"[\s\-_]", "", value or "").upper()
    return compact if FICHE_NUMBER.match(compact) else None


@dataclass(frozen=True)
class SourceRef:
    """One input file: it becomes one named graph with its provenance.

    ``key`` is a stable slug used in the named graph IRI (``graph/<key>``); ``path`` is relative to
    the data folder; ``issued`` is the date of the data (not of the download).
    """

    key: str
    path: str
    title: str
    issued: dt.date | None = None
    publisher: str | None = None
    licence: str | None = None
    origin: str | None = None


@dataclass
class Problem:
    """A defect of the input: reported, never fatal (unless ``build --strict``)."""

    source: str
    message: str
    line: int | None = None
    fiche: str | None = None
    severity: str = "warning"

    def __str__(self) -> str:
        where = self.source + (f":{self.line}" if self.line else "")
        about = f" [{self.fiche}]" if self.fiche else ""
        return f"{where}{about}: {self.message}"


@dataclass
class CodeRef:
    """A code used by a fiche (ROME, NSF, Formacode), with the label the source printed beside it."""

    code: str
    label: str | None = None


@dataclass
class Certifier:
    """An organisation that certifies: keyed by SIRET when the source gives one.

    ``active`` and ``state_modified`` are the certifier's state *for this fiche* (the XML export's
    ``ETAT_CERTIFICATEUR`` Actif/Inactif and ``DATE_DERNIERE_MODIFICATION_ETAT``).
    """

    name: str
    siret: str | None = None
    trade_name: str | None = None
    website: str | None = None
    active: bool | None = None
    state_modified: dt.date | None = None


@dataclass
class Partner:
    """An organisation a certifier habilitates to train for or organise the certification.

    ``active`` is the habilitation's state (``ETAT_HABILITATION``), ``active_since`` its
    ``DATE_ACTIF`` and ``state_modified`` the last change of that state.
    """

    name: str
    siret: str | None = None
    habilitation: str | None = None
    active: bool | None = None
    active_since: dt.date | None = None
    state_modified: dt.date | None = None


@dataclass
class Block:
    """A bloc de compétences: code (``RNCP35080BC01``), label, competencies and assessment methods.

    ``competencies`` are the individual statements, cleaned; ``raw_text`` keeps the text as published.
    ``assessment_raw_text`` likewise keeps the assessment text (``MODALITES_EVALUATION``) as published.
    """

    code: str
    label: str | None = None
    competencies: list[str] = field(default_factory=list)
    assessment: list[str] = field(default_factory=list)
    raw_text: str | None = None
    assessment_raw_text: str | None = None


@dataclass
class Registration:
    """One registration (enregistrement, homologation, prorogation) of a certification.

    ``act`` is the legal basis as printed (``Arrêté du 17 mars 2003``); the dates are the act's own
    date, its publication in the Journal officiel, and the period it gives effect to.
    """

    act_kind: str
    act_date: dt.date | None = None
    act_number: str | None = None
    jo_date: dt.date | None = None
    effect_date: dt.date | None = None
    end_date: dt.date | None = None
    title: str | None = None
    level: str | None = None
    text: str | None = None


@dataclass
class CohortStatistic:
    """Certification statistics for one year (the fiche page's "Statistiques" table)."""

    year: int
    certified: int | None = None
    certified_vae: int | None = None
    insertion_rate_6m: int | None = None
    job_insertion_rate_6m: int | None = None
    job_insertion_rate_2y: int | None = None


@dataclass
class AccessRoute:
    """A route to the certification (voie d'accès) and, when open, the jury composition.

    ``code`` is the XML export's route code (``FI``, ``CA``, ``FC``, ``CQ``, ``CL``, ``VAE``, from
    ``SI_JURY_<code>``) when the source gives one.
    """

    label: str
    open: bool
    jury: str | None = None
    modified: dt.date | None = None
    code: str | None = None


@dataclass
class LegalPublication:
    """A legal text a fiche cites, with its publication in the Journal officiel (or a Bulletin).

    ``role`` says why the fiche cites it: ``general`` (the general rules of its kind of diploma,
    ``PUBLICATION_DECRET_GENERAL``), ``creation`` (the act creating it, ``…_CREATION``) or
    ``other`` (``…_AUTRE``). ``title`` is the text as printed (``Arrêté du 4 novembre 1985 …``).
    These are not :class:`Registration` records: the export gives no act date, kind or effect
    period, only the printed title and the publication date.
    """

    role: str
    title: str | None = None
    jo_date: dt.date | None = None


@dataclass
class BlockCorrespondence:
    """An official correspondence from blocks of this fiche to blocks of another fiche.

    Holding ``source_blocks`` (codes of this fiche) gives ``target_blocks`` (codes of fiche
    ``target``): one group to one group, so ``BC02 + BC03 → BC04`` is one correspondence. Either
    list may be empty: the export then means the whole fiche (a block may lead to a whole RS fiche,
    and a whole fiche to another).
    """

    target: str
    source_blocks: list[str] = field(default_factory=list)
    target_blocks: list[str] = field(default_factory=list)


@dataclass
class LineageRef:
    """A predecessor or successor named by a fiche: by number, or only by title (old pages)."""

    number: str | None = None
    title: str | None = None


@dataclass
class TrainingModule:
    """A part of a training programme: usually one block, with its hours and courses."""

    label: str
    hours: int | None = None
    block_number: int | None = None
    courses: list[str] = field(default_factory=list)
    certifying: bool = True


@dataclass
class TrainingProgramme:
    """A training programme that prepares a certification (e.g. the CNAM brochure)."""

    fiche: str
    title: str
    provider: str | None = None
    total_hours: int | None = None
    modules: list[TrainingModule] = field(default_factory=list)
    prerequisites: str | None = None
    cost: str | None = None
    created_year: int | None = None
    source: SourceRef | None = None


@dataclass
class Fiche:
    """What one source says about one fiche. Most fields are optional: a table states a few.

    The XML export's fields: ``fc_id`` is France Compétences' internal id (``ID_FICHE``);
    ``publication_date`` the fiche's publication (``DATE_DE_PUBLICATION``); ``award_deadline`` the
    last date the certification may be awarded (``DATE_LIMITE_DELIVRANCE``); ``registration_years``
    the length of the registration (``DUREE_ENREGISTREMENT``); ``level_label`` the printed EQF level
    (``Niveau 7``); ``abbreviation_code`` the short type code (``BTS``, ``DipViGrM``) beside
    ``abbreviation`` (its label); ``has_partners`` (``EXISTENCE_PARTENAIRES``); RS-only
    ``partial_validation`` (``VALIDATION_PARTIELLE``), ``mastery_level``
    (``NIVEAU_MAITRISE_COMPETENCES``) and ``certification_prerequisites``
    (``PREREQUIS_VALIDATION_CERTIFICATION``); ``cohort_years`` the years of the cohorts that gave
    the fiche its level (``ANNEES_PROMOTIONS_NIVEAU``); ``other_websites`` the links after the first
    when ``LIEN_URL_DESCRIPTION`` holds several (the first is ``website``).
    """

    number: str
    source: SourceRef | None = None
    title: str | None = None
    level_eqf: int | None = None
    level_1969: str | None = None
    abbreviation: str | None = None
    registration_type: str | None = None
    active: bool | None = None
    status: str | None = None
    decision_date: dt.date | None = None
    effect_date: dt.date | None = None
    end_date: dt.date | None = None
    last_jo_date: dt.date | None = None
    nsf: list[CodeRef] = field(default_factory=list)
    formacodes: list[CodeRef] = field(default_factory=list)
    rome: list[CodeRef] = field(default_factory=list)
    certifiers: list[Certifier] = field(default_factory=list)
    # Certifier names a source gives without identifying the organisation (Certif Info's
    # "certificateur", often the supervising ministry): kept as names, not as organisations.
    certifier_names: list[str] = field(default_factory=list)
    partners: list[Partner] = field(default_factory=list)
    ccn: list[CodeRef] = field(default_factory=list)
    blocks: list[Block] = field(default_factory=list)
    predecessors: list[LineageRef] = field(default_factory=list)
    successors: list[LineageRef] = field(default_factory=list)
    former_titles: list[str] = field(default_factory=list)
    registrations: list[Registration] = field(default_factory=list)
    statistics: list[CohortStatistic] = field(default_factory=list)
    access_routes: list[AccessRoute] = field(default_factory=list)
    objectives: str | None = None
    activities: list[str] = field(default_factory=list)
    capacities: list[str] = field(default_factory=list)
    assessment: list[str] = field(default_factory=list)
    sectors: str | None = None
    jobs: list[str] = field(default_factory=list)
    regulations: str | None = None
    prerequisites: str | None = None
    validity_of_components: str | None = None
    new_caledonia: bool | None = None
    french_polynesia: bool | None = None
    website: str | None = None
    # Fields of the France Compétences XML export (``sources/fc_xml.py``); other sources leave them empty.
    fc_id: str | None = None
    publication_date: dt.date | None = None
    award_deadline: dt.date | None = None
    registration_years: int | None = None
    level_label: str | None = None
    abbreviation_code: str | None = None
    has_partners: bool | None = None
    partial_validation: bool | None = None
    mastery_level: str | None = None
    certification_prerequisites: str | None = None
    cohort_years: list[int] = field(default_factory=list)
    publications: list[LegalPublication] = field(default_factory=list)
    correspondences: list[BlockCorrespondence] = field(default_factory=list)
    other_websites: list[str] = field(default_factory=list)

    @property
    def repertory(self) -> str:
        """``rncp`` or ``rs``, the register the number belongs to."""
        return "rs" if self.number.startswith("RS") else "rncp"

    @property
    def digits(self) -> str:
        """The number without its prefix: ``35080``."""
        return self.number[len(self.repertory) :]


@dataclass
class ConceptMatch:
    """A code of a certgraph code list that a crosswalk maps to a concept of another scheme.

    ``relation`` is the SKOS mapping property as published (``exactMatch``, ``closeMatch``,
    ``broadMatch``, ``narrowMatch``), read from this code to the other concept: ``broadMatch`` says
    the other concept is the broader. ``label`` is the code's label as the crosswalk prints it.
    """

    scheme: str
    code: str
    relation: str
    label: str | None = None


@dataclass
class Concept:
    """An entry of a code list (ROME, NSF, Formacode): code, labels, broader codes.

    ``matched_by`` lists the codes of certgraph's code lists that a crosswalk maps to this concept
    (a concept of a scheme published by others, such as an ESCO occupation).
    """

    scheme: str
    code: str
    label_fr: str | None = None
    label_en: str | None = None
    kind: str | None = None
    broader: list[str] = field(default_factory=list)
    alt_labels: list[str] = field(default_factory=list)
    related: list[str] = field(default_factory=list)
    note: str | None = None
    source: SourceRef | None = None
    matched_by: list[ConceptMatch] = field(default_factory=list)


@dataclass
class CuratedFact:
    """A reviewed fact that only prose states, with its source and whether stated or inferred."""

    subject: str
    property: str
    value: object
    status: str
    source: str
    note: str | None = None


@dataclass
class Loaded:
    """What reading one input gives: records, problems, and the sources read."""

    fiches: list[Fiche] = field(default_factory=list)
    concepts: list[Concept] = field(default_factory=list)
    programmes: list[TrainingProgramme] = field(default_factory=list)
    facts: list[CuratedFact] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    sources: list[SourceRef] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)

    def extend(self, other: Loaded) -> Loaded:
        """Append everything ``other`` holds; returns self so calls chain."""
        self.fiches += other.fiches
        self.concepts += other.concepts
        self.programmes += other.programmes
        self.facts += other.facts
        self.problems += other.problems
        self.sources += other.sources
        self.missing += other.missing
        return self
