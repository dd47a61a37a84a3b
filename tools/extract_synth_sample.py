"""Rebuild ``sample.json``, the real text and schema sample that :mod:`certgraph.synth` recombines.

The synthetic register draws its codes, certifiers, titles, blocks and lineage from the real CSV
tables under ``data/`` at run time. What those tables lack (competency sentences, assessment
methods, free texts, partners, RS titles, the XML element order) comes from this bundled sample,
extracted once from real files that are not shipped with the package:

- the XML export v4.1 fixture (12 RNCP + 8 RS fiches, ``mcp-rncp-xml-fixture/``),
- the seed fiche pages ``data/seeds/001_*.txt`` (RNCP35080) and ``003_*.txt`` (RNCP41296),
- Certif Info (June 2024, ``certifinfo/certif_info.csv``) for RS titles.

Run from a checkout: ``python tools/extract_synth_sample.py /work/shared/data data/seeds``; it writes
``data/synth/sample.json``.
"""

from __future__ import annotations

import collections
import csv
import json
import re
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

from certgraph.sources.competencies import split_competencies
from certgraph.sources.fc_schema import DE_DROIT, LIST_TEXTS, PROSE_TEXTS, ROUTES

_HERE = Path(__file__).resolve().parent.parent / "data" / "synth"
# The XML export flattens line breaks into runs of spaces; bullets may follow just two.
_RUN = re.compile(r"\s{3,}|\s{2,}(?=[-*•]\s)")
# Enumerators the real lists put before a statement: "A1C1.", "2.1.2", "C.12.", "C4.", "1.", "-", "*".
_MARKER = re.compile(r"^(?:[-*•]\s*)*(?:(?:[A-Z]\d+C\d+|C\.?\d+|\d+(?:\.\d+)*)\s*[.):-]?\s*)?(?:[-*•]\s*)*")
# A statement ending on one of these was cut by a line break in the source: not a statement.
_CUT = {
    "le",
    "la",
    "les",
    "de",
    "des",
    "du",
    "d",
    "et",
    "en",
    "à",
    "au",
    "aux",
    "un",
    "une",
    "pour",
    "par",
    "sur",
    "dans",
    "avec",
    "ou",
}
# The free texts sampled whole; the capacities are cut into statements instead.
_TEXTS = (*(tag for tag in LIST_TEXTS if tag != "CAPACITES_ATTESTEES"), *PROSE_TEXTS, "LIEN_URL_DESCRIPTION")
_JURIES = tuple(f"SI_JURY_{code}" for code in ROUTES)


def statement(text: str) -> str | None:
    """One competency statement without its list marker; None when too short to be one.

    >>> statement("A1C2.Apprécier, depuis son périmètre d'activité, les incidences")
    "Apprécier, depuis son périmètre d'activité, les incidences"
    >>> statement("- Animer une équipe de vente") is None
    True
    >>> statement("Développer les fonctionnalités d’un logiciel existant, en prenant en compte le") is None
    True
    """
    text = _MARKER.sub("", text.strip()).strip()
    if len(text) < 30 or len(text) > 700 or not text[0].isupper() or text.split()[-1].lower() in _CUT:
        return None
    return text


def _item(text: str) -> str | None:
    """An assessment method without its list marker; None for a fragment cut mid-sentence."""
    text = re.sub(r"^[-*•]\s*", "", text.strip())
    return text if len(text) >= 12 and text[0].isupper() else None


def merged_order(sequences: list[list[str]]) -> list[str]:
    """One order of element names consistent with every observed sequence (first seen breaks ties).

    >>> merged_order([["A", "C", "D"], ["A", "B", "C"]])
    ['A', 'B', 'C', 'D']
    """
    first_seen: dict[str, int] = {}
    after: dict[str, set[str]] = collections.defaultdict(set)
    for sequence in sequences:
        for i, name in enumerate(sequence):
            first_seen.setdefault(name, len(first_seen))
            after[name].update(sequence[i + 1 :])
    before = {name: {other for other in first_seen if name in after[other]} for name in first_seen}
    order: list[str] = []
    while len(order) < len(first_seen):
        ready = [name for name in first_seen if name not in order and before[name] <= set(order)]
        if not ready:
            raise ValueError("the observed sequences contradict each other")
        order.append(min(ready, key=first_seen.__getitem__))
    return order


def _split(text: str | None) -> list[str]:
    return [part.strip() for part in _RUN.split(text or "") if part.strip()]


def _dedupe(items):
    return list(dict.fromkeys(items))


def _from_xml(fixture: Path, sample: dict) -> None:
    competencies: list[list] = []
    assessments: list[str] = []
    counts: collections.Counter = collections.Counter()
    partners: dict[str, list[str]] = {}
    child_orders: dict[str, list[list[str]]] = collections.defaultdict(list)
    for kind, name in (("RNCP", "export_fiches_RNCP_fixture.xml"), ("RS", "export_fiches_RS_fixture.xml")):
        fiches = ET.parse(fixture / name).getroot().findall("FICHE")
        texts: dict[str, list[str]] = collections.defaultdict(list)
        presence: collections.Counter = collections.Counter()
        juries = {route: [0, 0] for route in _JURIES}
        partner_counts = []
        shares = collections.Counter()
        for fiche in fiches:
            shares["fiches"] += 1
            shares["droit"] += fiche.findtext("TYPE_ENREGISTREMENT") == DE_DROIT
            shares["accessible"] += fiche.findtext("ACCESSIBLE_NOUVELLE_CALEDONIE") == "Oui"
            has_predecessor = fiche.find("ANCIENNES_CERTIFICATIONS") is not None
            shares["with_predecessor_and_blocks"] += has_predecessor and fiche.find("BLOCS_COMPETENCES") is not None
            shares["with_correspondences"] += has_predecessor and fiche.find("CORRESPONDANCES") is not None
            for certifier in fiche.iter("CERTIFICATEUR"):
                shares["certifiers"] += 1
                shares["certifiers_active"] += certifier.findtext("ETAT_CERTIFICATEUR") == "Actif"
            if fiche.findtext("DUREE_ENREGISTREMENT"):
                sample["durations"]["demande"].append(int(fiche.findtext("DUREE_ENREGISTREMENT")))
            elif fiche.findtext("DATE_EFFET"):
                start, end = (fiche.findtext(t).split("/") for t in ("DATE_EFFET", "DATE_FIN_ENREGISTREMENT"))
                sample["durations"]["droit"].append(
                    round(int(end[2]) - int(start[2]) + (int(end[1]) - int(start[1])) / 12)
                )
            child_orders[f"{kind}/FICHE"].append([child.tag for child in fiche])
            for element in fiche.iter():
                children = _dedupe(child.tag for child in element)
                if children and element is not fiche:
                    child_orders[f"{kind}/{element.tag}"].append(children)
            presence.update({child.tag for child in fiche})
            for tag in _TEXTS:
                texts[tag].extend(element.text for element in fiche.findall(tag) if element.text)
            for route in _JURIES:
                jury = fiche.find(route)
                if jury is not None:
                    juries[route][1] += 1
                    juries[route][0] += jury.findtext("ACTIF") == "Oui"
                    texts["COMPOSITION"].extend(c.text for c in jury.findall("COMPOSITION") if c.text)
            texts["TITRE"].extend(t.text for t in fiche.iter("TITRE") if t.text)
            partner_counts.append(len(fiche.findall("PARTENAIRES/PARTENAIRE")))
            for partner in fiche.iter("PARTENAIRE"):
                siret = partner.findtext("SIRET_PARTENAIRE")
                if siret and siret not in partners:
                    partners[siret] = [
                        partner.findtext("NOM_PARTENAIRE"),
                        siret,
                        partner.findtext("HABILITATION_PARTENAIRE"),
                    ]
            for block in fiche.findall("BLOCS_COMPETENCES/BLOC_COMPETENCES"):
                cluster = len(counts)
                found = [s for s in map(statement, _split(block.findtext("LISTE_COMPETENCES"))) if s]
                counts[block.findtext("CODE")] = len(_split(block.findtext("LISTE_COMPETENCES")))
                competencies.extend([cluster, s] for s in found)
                assessments.extend(part for part in map(_item, _split(block.findtext("MODALITES_EVALUATION"))) if part)
            capacities = [s for s in map(statement, _split(fiche.findtext("CAPACITES_ATTESTEES"))) if s]
            cluster = 1000 + len(sample.setdefault("_fiches", []))
            sample["_fiches"].append(fiche.findtext("NUMERO_FICHE"))
            competencies.extend([cluster, s] for s in capacities)
        sample["texts"][kind] = {tag: _dedupe(values) for tag, values in sorted(texts.items())}
        sample["presence"][kind] = {tag: round(n / len(fiches), 4) for tag, n in sorted(presence.items())}
        sample["jury_open"][kind] = {route: round(o / t, 4) for route, (o, t) in juries.items() if t}
        sample["partner_counts"][kind] = partner_counts
        sample["shares"][kind] = {
            "droit": round(shares["droit"] / shares["fiches"], 4),
            "accessible": round(shares["accessible"] / shares["fiches"], 4),
            "certifier_active": round(shares["certifiers_active"] / shares["certifiers"], 4),
            "correspondences": round(shares["with_correspondences"] / max(1, shares["with_predecessor_and_blocks"]), 4),
        }
        sample["element_order"][kind] = merged_order(child_orders.pop(f"{kind}/FICHE"))
    sample["child_order"] = {path: merged_order(orders) for path, orders in sorted(child_orders.items())}
    sample["competencies"] = competencies
    sample["assessments"] = _dedupe(assessments)
    sample["competency_counts"] = sorted(collections.Counter(counts.values()).items())
    sample["partners"] = sorted(partners.values(), key=lambda p: p[1])
    del sample["_fiches"]


def _canonical(sample: dict) -> None:
    """Keep each statement as certgraph's own splitter reads it, so that what is written is read back.

    A lead-in (``… face à une personne :``) or two statements glued in the source are dropped.
    """
    kept: dict[str, int] = {}
    for cluster, text in sample["competencies"]:
        parts = split_competencies(text)
        if len(parts) == 1 and parts[0] not in kept and statement(parts[0]):
            kept[parts[0]] = cluster
    sample["competencies"] = [[cluster, text] for text, cluster in kept.items()]


def _from_seeds(seeds: Path, sample: dict) -> None:
    """Competency statements of RNCP35080 (numbered list) and RNCP41296 (bulleted block lists)."""
    seen = {text for _, text in sample["competencies"]}
    page = next(seeds.glob("001_*.txt")).read_text(encoding="utf-8")
    section = page.split("Compétences attestées :", 1)[1].split("Modalités d'évaluation :", 1)[0]
    found = [statement(line) for line in section.splitlines() if re.match(r"\s*\d+\.\s", line)]
    clusters = [2000] * len(found)
    block = None  # RNCP41296's bullets before its first block are assessment methods, not competencies
    for line in next(seeds.glob("003_*.txt")).read_text(encoding="utf-8").splitlines():
        if line.startswith("RNCP41296BC"):
            block = int(line[11:13])
        elif block and line.strip().startswith("•"):
            found.append(statement(line))
            clusters.append(2000 + block)
    for cluster, text in zip(clusters, found):
        if text and text not in seen:
            seen.add(text)
            sample["competencies"].append([cluster, text])


def _rs_titles(certifinfo: Path) -> list[list[str]]:
    titles: dict[str, list[str]] = {}
    with open(certifinfo, encoding="utf-8", newline="") as f:
        for row in csv.DictReader(f, delimiter=";"):
            number = row["Code_RS"].strip()
            title = " ".join(row["Libelle_Diplome"].split())
            if number.isdigit() and title and f"RS{number}" not in titles:
                titles[f"RS{number}"] = [f"RS{number}", title, row["Code_Nsf"].strip()]
    return sorted(titles.values(), key=lambda t: int(t[0][2:]))


def extract(shared_data: Path, seeds: Path) -> dict:
    """The sample, from ``<shared_data>/rncp/mcp-rncp-xml-fixture``, the seeds and Certif Info."""
    sample: dict = {
        "about": (
            "Real text and schema sample for certgraph.synth, extracted by certgraph/_synth/extract.py from: "
            "the France Compétences XML export v4.1 fixture (12 RNCP + 8 RS fiches, ALDEBERTArnaud/mcp-rncp "
            "8ab1dbf8, Licence Ouverte / Etalab 2.0); the seed fiche pages of RNCP35080 and RNCP41296; "
            "Certif Info June 2024 RS titles (mission-apprentissage/tjp-pilotage 282273ad; Carif-Oref open data)."
        ),
        "texts": {},
        "presence": {},
        "jury_open": {},
        "partner_counts": {},
        "element_order": {},
        "shares": {},
        "durations": {"demande": [], "droit": []},
    }
    _from_xml(shared_data / "rncp" / "mcp-rncp-xml-fixture", sample)
    _from_seeds(seeds, sample)
    _canonical(sample)
    sample["rs_titles"] = _rs_titles(shared_data / "certifinfo" / "certif_info.csv")
    return sample


def main(argv: list[str]) -> None:
    sample = extract(Path(argv[0]), Path(argv[1]))
    text = json.dumps(sample, ensure_ascii=False, indent=0, sort_keys=True)
    (_HERE / "sample.json").write_text(text + "\n", encoding="utf-8")


if __name__ == "__main__":  # pragma: no cover
    main(sys.argv[1:])
