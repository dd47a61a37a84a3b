"""Plan the synthetic register (each fiche's place: kind, profile, lineage, dates, number, defect) and draw its fiches."""

from __future__ import annotations

import collections
import datetime as dt
import random
from dataclasses import dataclass, field

from ..sources.fc_schema import PUBLICATIONS, ROUTES
from .measure import RealRegister, fiche_register, fiche_serial

DEFECT_KINDS = (
    "missing_siret",
    "unknown_rome",
    "unknown_nsf",
    "unknown_formacode",
    "duplicate_block_code",
    "dangling_predecessor",
    "dangling_successor",
)
"""What an injected defect can be; ``defects.json`` names one of these per entry."""

FIRST_NUMBER = 100_000
DANGLING_FIRST_NUMBER = 90_000
FIRST_ID = 100_000

# The blocks reform (loi du 5 septembre 2018) is when fiches started to carry full texts and blocks.
_MODERN = dt.date(2019, 1, 1)
_CODES_PERTURBED = 0.10
_CERTIFIERS_SWAPPED = 0.05
_ROUTES = tuple(f"SI_JURY_{code}" for code in ROUTES)
# Injected unknown codes: family, name, and a shape no nomenclature uses (Z9999, 999, 99999).
_UNKNOWN_CODES = {
    "unknown_rome": ("rome", "ROME", "Z9", 3),
    "unknown_nsf": ("nsf", "NSF", "99", 1),
    "unknown_formacode": ("formacode", "Formacode", "99", 3),
}

# ---------------------------------------------------------------------------------------------
# The plan: every fiche's place in the register (kind, profile, lineage, dates, number, defect).
# ---------------------------------------------------------------------------------------------


@dataclass(eq=False)
class _Node:
    index: int
    kind: str
    profile: str
    preds: list[int] = field(default_factory=list)
    succs: list[int] = field(default_factory=list)
    info: str | None = None  # the 2021 row giving title, level, registration type
    block_source: str | None = None  # the real fiche whose block labels it carries
    n_blocks: int = 0
    droit: bool = False
    duration: int = 5
    start: dt.date = dt.date.min  # decision date ("sur demande") or effect date ("de droit")
    end: dt.date = dt.date.min
    active: bool = False
    number: str = ""
    id: int = 0
    defect: str | None = None
    dangling: str | None = None


def _add_years(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


def plan_register(real: RealRegister, fiches: int, rng: random.Random, issued: dt.date, defect_rate: float) -> list[_Node]:
    nodes: list[_Node] = []
    components: list[list[_Node]] = []
    target = round(fiches * real.lineage_share)
    while target - len(nodes) >= 2:
        template = rng.choice(real.templates)
        if len(template.nodes) > target - len(nodes):
            template = next(
                (t for t in (rng.choice(real.templates) for _ in range(50)) if len(t.nodes) <= target - len(nodes)),
                None,
            )
            if template is None:
                break
        members = [_Node(len(nodes) + i, fiche_register(n), n) for i, n in enumerate(template.nodes)]
        for a, b in template.links:
            members[a].succs.append(members[b].index)
            members[b].preds.append(members[a].index)
        nodes += members
        components.append(members)
    while len(nodes) < fiches:
        number = rng.choice(real.singletons)
        node = _Node(len(nodes), fiche_register(number), number)
        nodes.append(node)
        components.append([node])
    for node in nodes:
        if node.profile not in real.profiles:  # a lineage-only number of the real table
            node.profile = rng.choice(real.profile_numbers[node.kind])
        _describe(real, node, rng)
    for members in components:
        _date(real, members, nodes, rng, issued)
    for kind in ("RNCP", "RS"):
        ordered = sorted((n for n in nodes if n.kind == kind), key=lambda n: (n.start, n.index))
        for k, node in enumerate(ordered):
            node.number = f"{kind}{FIRST_NUMBER + k}"
    for k, node in enumerate(sorted(nodes, key=lambda n: (n.start, n.index))):
        node.id = FIRST_ID + k
    _choose_defects(real, nodes, rng, defect_rate)
    return nodes


def _describe(real: RealRegister, node: _Node, rng: random.Random) -> None:
    """Choose the 2021 row (title, level, type) and the real blocks a fiche carries."""
    profile = real.profiles[node.profile]
    nsf = profile.nsf[0] if profile.nsf else None
    if node.kind == "RS":
        node.droit = rng.random() < real.sample["shares"]["RS"]["droit"]
        return
    if node.profile in real.info:
        node.info = node.profile
    else:
        node.info = rng.choice(real.info_by_nsf.get(nsf) or real.info_numbers)
    node.droit = real.info[node.info].droit
    if node.profile in real.blocks:
        node.block_source = node.profile
    elif fiche_serial(node.profile) > real.blocks_up_to and rng.random() < real.statistics.block_share_recent:
        node.block_source = rng.choice(real.blocked_by_nsf.get(nsf) or real.blocked)
    node.n_blocks = len(real.blocks[node.block_source]) if node.block_source else 0


def _date(real: RealRegister, members: list[_Node], nodes: list[_Node], rng: random.Random, issued: dt.date) -> None:
    """Registration periods, newest first: a predecessor ends when its successors have started.

    The successors of one split start within months of each other (a fiche without successors
    follows the first dated sibling); a predecessor ends up to four months after its last successor
    starts, and starts before the first one (its registration lasts longer when needed).
    """
    durations = real.sample["durations"]
    yesterday = issued - dt.timedelta(days=1)
    for node in reversed(members):
        node.duration = rng.choice(durations["droit"] if node.droit else durations["demande"])
        sibling = next((nodes[s] for p in node.preds for s in nodes[p].succs if nodes[s].start != dt.date.min), None)
        if node.succs:
            starts = [nodes[s].start for s in node.succs]
            node.end = min(max(starts) + dt.timedelta(days=rng.randint(0, 120)), yesterday)
            node.start = _add_years(node.end, -node.duration)
            while node.start >= min(starts):
                node.duration += 1
                node.start = _add_years(node.end, -node.duration)
        elif sibling is not None:
            node.start = min(sibling.start + dt.timedelta(days=rng.randint(-180, 180)), yesterday)
            node.end = _add_years(node.start, node.duration)
            node.active = node.end > issued
        elif rng.random() < real.active_share:
            node.active = True
            node.start = issued - dt.timedelta(days=rng.randint(1, 365 * node.duration - 1))
            node.end = _add_years(node.start, node.duration)
        else:
            node.end = issued - dt.timedelta(days=rng.randint(1, 15 * 365))
            node.start = _add_years(node.end, -node.duration)


def _choose_defects(real: RealRegister, nodes: list[_Node], rng: random.Random, defect_rate: float) -> None:
    dangling = collections.Counter()
    for index in sorted(rng.sample(range(len(nodes)), round(defect_rate * len(nodes)))):
        node = nodes[index]
        eligible = [
            kind
            for kind in DEFECT_KINDS
            if not (kind == "missing_siret" and not real.profiles[node.profile].certifiers)
            and not (kind == "unknown_rome" and node.kind == "RS")
            and not (kind == "duplicate_block_code" and not node.n_blocks)
        ]
        node.defect = rng.choice(eligible)
        if node.defect.startswith("dangling"):
            node.dangling = f"{node.kind}{DANGLING_FIRST_NUMBER + dangling[node.kind]}"
            dangling[node.kind] += 1


# ---------------------------------------------------------------------------------------------
# One fiche's content, drawn with its own generator so both formats state the same register.
# ---------------------------------------------------------------------------------------------


@dataclass
class SynthFiche:
    kind: str
    number: str
    id: int
    title: str
    abbreviation: tuple[str, str] | None
    level: int | None
    status: str
    formacodes: list[tuple[str, str | None, str | None]]  # code, label in the XML, label in the CSV
    nsf: list[tuple[str, str | None, str | None]]
    rome: list[tuple[str, str | None, str | None]]
    certifiers: list[tuple[str | None, str, str, dt.date | None]]
    partners: list[tuple[str, str, str, dt.date | None, dt.date]]
    texts: dict[str, str]
    juries: list[tuple[str, bool, str | None]]
    accessible: str
    publications: list[tuple[str, str, dt.date]]
    last_jo: dt.date | None
    decision: dt.date | None
    duration: int | None
    effect: dt.date | None
    end: dt.date
    published: dt.date | None
    deadline: dt.date | None
    statistics: list[tuple[int, ...]]
    droit: bool
    active: bool
    blocks: list[tuple[str, str, list[str], str]]
    correspondences: list[tuple[str, str, str]]
    predecessors: list[str]
    successors: list[str]
    ccn: tuple[str, ...] | None
    defects: list[dict[str, str]]


def _statements(real: RealRegister, rng: random.Random, count: int, home: list[int]) -> list[str]:
    """``count`` real statements, mostly from the fiche's home source so that a list reads as one trade."""
    picked = rng.sample(home, min(len(home), count - count // 4))
    while len(picked) < count:
        i = rng.randrange(len(real.competencies))
        if i not in picked:
            picked.append(i)
    return [real.competencies[i] for i in picked]


def _codes(real: RealRegister, family: str, codes: list[str]) -> list[tuple[str, str | None, str | None]]:
    labels = real.labels[family]
    return [(code, *labels[code]) for code in codes]


def fiche_content(real: RealRegister, node: _Node, nodes: list[_Node], seed: int, issued: dt.date) -> SynthFiche:
    rng = random.Random(f"{seed}/{node.index}")
    sample = real.sample
    kind, number = node.kind, node.number
    profile = real.profiles[node.profile]
    texts_pool = sample["texts"][kind]
    presence = sample["presence"][kind]
    defects: list[dict[str, str]] = []

    def defect(value: str, detail: str) -> None:
        defects.append({"fiche": number, "kind": node.defect or "", "value": value, "detail": detail})

    families = {
        "rome": list(profile.rome) if kind == "RNCP" else [],
        "nsf": list(profile.nsf),
        "formacode": list(profile.formacode),
    }
    if rng.random() < _CODES_PERTURBED:
        family = rng.choice(("rome", "nsf", "formacode") if kind == "RNCP" else ("nsf", "formacode"))
        code = rng.choice(real.code_rows[family])
        if code not in families[family]:
            if families[family]:
                families[family][rng.randrange(len(families[family]))] = code
            else:
                families[family].append(code)
    coded = {family: _codes(real, family, codes) for family, codes in families.items()}
    if node.defect in _UNKNOWN_CODES:
        family, name, prefix, digits = _UNKNOWN_CODES[node.defect]
        code = prefix + str(rng.randrange(10**digits)).zfill(digits)
        coded[family].insert(rng.randint(0, len(coded[family])), (code, None, None))
        defect(code, f"{name} code {code} is in no nomenclature")

    certifiers_of = profile.certifiers
    if node.defect != "missing_siret" and rng.random() < _CERTIFIERS_SWAPPED:
        certifiers_of = real.profiles[rng.choice(real.profile_numbers[kind])].certifiers
    active_share = sample["shares"][kind]["certifier_active"]
    certifiers = [
        (siret, name, "Actif" if rng.random() < active_share else "Inactif", node.start if rng.random() < 0.9 else None)
        for siret, name in certifiers_of
    ]
    if node.defect == "missing_siret":
        k = rng.randrange(len(certifiers))
        certifiers[k] = (None,) + certifiers[k][1:]
        defect(certifiers[k][1], f"certifier {certifiers[k][1]} has no SIRET")

    home = real.clusters[rng.choice(real.cluster_ids)]
    blocks: list[tuple[str, str, list[str], str]] = []
    for k, label in enumerate(real.blocks[node.block_source] if node.block_source else (), start=1):
        count = rng.choices(real.competency_counts, real.competency_weights)[0]
        assessment = "    ".join(rng.sample(sample["assessments"], rng.randint(1, 3)))
        blocks.append((f"{number}BC{k:02d}", label, _statements(real, rng, count, home), assessment))
    if node.defect == "duplicate_block_code":
        code = rng.choice(blocks)[0]
        count = rng.choices(real.competency_counts, real.competency_weights)[0]
        blocks.append(
            (
                code,
                rng.choice(real.block_labels),
                _statements(real, rng, count, home),
                rng.choice(sample["assessments"]),
            )
        )
        defect(code, f"block code {code} is used twice")

    modern = node.start >= _MODERN
    separator = rng.choice(("    ", "       "))
    texts: dict[str, str] = {}
    if kind == "RNCP":
        texts["ACTIVITES_VISEES"] = (
            rng.choice(texts_pool["ACTIVITES_VISEES"])
            if modern
            else separator.join(_statements(real, rng, rng.randint(2, 4), home))
        )
    if blocks:
        capacities = [s for block in blocks for s in block[2]][:10]
    else:
        capacities = _statements(real, rng, rng.choices(real.competency_counts, real.competency_weights)[0], home)
    texts["CAPACITES_ATTESTEES"] = separator.join(capacities)
    if kind == "RNCP" and modern:
        texts["SECTEURS_ACTIVITE"] = rng.choice(texts_pool["SECTEURS_ACTIVITE"])
        texts["TYPE_EMPLOI_ACCESSIBLES"] = rng.choice(texts_pool["TYPE_EMPLOI_ACCESSIBLES"])
    for tag in (
        "REGLEMENTATIONS_ACTIVITES",
        "OBJECTIFS_CONTEXTE",
        "PREREQUIS_ENTREE_FORMATION",
        "PREREQUIS_VALIDATION_CERTIFICATION",
        "LIEN_URL_DESCRIPTION",
        "NIVEAU_MAITRISE_COMPETENCES",
    ):
        if texts_pool.get(tag) and (modern or kind == "RS") and rng.random() < presence.get(tag, 0):
            texts[tag] = rng.choice(texts_pool[tag])

    composition = rng.choice(texts_pool["COMPOSITION"])
    open_share = sample["jury_open"][kind]
    juries = []
    for route in _ROUTES:
        if route in open_share:
            is_open = rng.random() < open_share[route]
            juries.append((route, is_open, composition if is_open and modern else None))

    partners = []
    if node.active and rng.random() < presence.get("PARTENAIRES", 0):
        for name, siret, habilitation in rng.sample(sample["partners"], min(60, 1 + int(rng.expovariate(1 / 6)))):
            since = min(node.start + dt.timedelta(days=rng.randint(0, 400)), issued)
            partners.append((name, siret, habilitation, since if rng.random() < 0.7 else None, since))

    publications = []
    if node.droit:
        for tag in PUBLICATIONS:
            if rng.random() < presence.get(tag, 0):
                titles = texts_pool["TITRE"]
                publications.append((tag, rng.choice(titles), node.start - dt.timedelta(days=rng.randint(30, 400))))

    statistics = []
    if node.start.year <= issued.year - 2 and rng.random() < presence.get("STATISTIQUES_PROMOTIONS", 0):
        last = min(node.end.year, issued.year - 1)
        for year in range(max(node.start.year + 1, last - 2), last + 1):
            certified = int(rng.lognormvariate(3.3, 1.2)) + 1
            if kind == "RS":
                statistics.append((year, certified))
            else:
                row = [year, certified, rng.randint(0, certified // 4)]
                if rng.random() < 0.7:
                    row.append(rng.randint(50, 100))
                    if rng.random() < 0.6:
                        row.append(rng.randint(40, 100))
                statistics.append(tuple(row))

    correspondences = []
    if blocks and rng.random() < sample["shares"][kind]["correspondences"]:
        for p in node.preds:
            pred = nodes[p]
            for k in range(1, min(node.n_blocks, pred.n_blocks) + 1):
                correspondences.append((f"{number}BC{k:02d}", pred.number, f"{pred.number}BC{k:02d}"))
        rng.shuffle(correspondences)

    predecessors = [nodes[p].number for p in node.preds]
    successors = [nodes[s].number for s in node.succs]
    if node.defect == "dangling_predecessor":
        predecessors.append(node.dangling or "")
        defect(node.dangling or "", f"predecessor {node.dangling} is not in the register")
    elif node.defect == "dangling_successor":
        successors.append(node.dangling or "")
        defect(node.dangling or "", f"successor {node.dangling} is not in the register")

    if kind == "RNCP":
        info = real.info[node.info or ""]
        title, level, abbreviation = info.title, info.level, info.abbreviation if node.droit else None
    else:
        nsf3 = profile.nsf[0][:3] if profile.nsf else ""
        title = real.rs_titles.get(node.profile) or rng.choice(real.rs_titles_by_nsf.get(nsf3) or real.rs_title_list)
        level, abbreviation = None, None
    demande = not node.droit
    deadline = None
    if node.start.year >= 2023 and (demande or kind == "RNCP"):
        deadline = node.end + dt.timedelta(days=182) if kind == "RS" else _add_years(node.end, 4 if demande else 5)
    return SynthFiche(
        kind=kind,
        number=number,
        id=node.id,
        title=title,
        abbreviation=abbreviation,
        level=level,
        status="Publiée" if rng.random() < 0.9995 else "Modifications à valider par le ministère",
        formacodes=coded["formacode"],
        nsf=coded["nsf"],
        rome=coded["rome"],
        certifiers=certifiers,
        partners=partners,
        texts=texts,
        juries=juries,
        accessible="Oui" if rng.random() < sample["shares"][kind]["accessible"] else "Non",
        publications=publications,
        last_jo=node.start - dt.timedelta(days=rng.randint(365, 3000)) if demande and rng.random() < 0.2 else None,
        decision=node.start if demande else None,
        duration=node.duration if demande else None,
        effect=node.start if node.droit else None,
        end=node.end,
        published=node.start - dt.timedelta(days=rng.randint(20, 150)) if node.droit else None,
        deadline=deadline,
        statistics=statistics,
        droit=node.droit,
        active=node.active,
        blocks=blocks,
        correspondences=correspondences,
        predecessors=predecessors,
        successors=successors,
        ccn=profile.ccn,
        defects=defects,
    )


