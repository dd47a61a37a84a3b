"""Write the synthetic register as the export does: the XML export v4.1, or the ten CSV tables, and ``defects.json``."""

from __future__ import annotations

import collections
import contextlib
import datetime as dt
import json
import random
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from ..sources.fc_schema import (
    CSV_TABLES,
    DE_DROIT,
    ROUTES,
    SUR_DEMANDE,
    XML_CHILDREN,
    XML_FLUX_VERSION,
    csv_file_name,
    xml_file_name,
)
from .generate import DEFECT_KINDS, SynthFiche, fiche_content, plan_register
from .measure import RegisterStatistics, SynthError, data_path, fiche_serial, real_register

FORMATS = ("xml", "csv")
# Access routes: XML element, and the label the CSV VoixdAccès table gives it (same fiches, 2024-02-22).
_ROUTE_LABEL = {f"SI_JURY_{code}": label for code, label in ROUTES.items()}
_CSV_ROUTE_ORDER = ("SI_JURY_VAE", "SI_JURY_CL", "SI_JURY_FI", "SI_JURY_CA", "SI_JURY_CQ", "SI_JURY_FC")
_XML_CONTROL = re.compile(r"[\x00-\x1f]")

# ---------------------------------------------------------------------------------------------
# Writers.
# ---------------------------------------------------------------------------------------------


def _dmy(day: dt.date | None) -> str:
    return f"{day.day:02d}/{day.month:02d}/{day.year}" if day else ""


def _x(text: str) -> str:
    """Escape character data; line breaks and tabs become spaces, as in the real export.

    >>> _x("R&D <web>\\n\\tEtude\\x0b")
    'R&amp;D &lt;web&gt;  Etude'
    """
    # str.replace scans in C: several times faster than str.translate with a mapping.
    if "&" in text:
        text = text.replace("&", "&amp;")
    if "<" in text:
        text = text.replace("<", "&lt;")
    if ">" in text:
        text = text.replace(">", "&gt;")
    if _XML_CONTROL.search(text):
        text = _XML_CONTROL.sub(lambda m: " " if m.group() in "\t\n\r" else "", text)
    return text


def _fiche_xml(f: SynthFiche) -> str:
    """One ``<FICHE>``, children in the order of the real export (see ``sample.json`` element_order)."""
    out: list[str] = ["  <FICHE>\n"]
    w = out.append

    def leaf(tag: str, value: object, indent: str = "    ") -> None:
        if value is not None and value != "":
            w(f"{indent}<{tag}>{_x(str(value))}</{tag}>\n")

    def coded(group: str, item: str, codes: list[tuple[str, str | None, str | None]]) -> None:
        if codes:
            w(f"    <{group}>\n")
            for code, label, _ in codes:
                w(f"      <{item}>\n        <CODE>{_x(code)}</CODE>\n")
                leaf("LIBELLE", label, "        ")
                w(f"      </{item}>\n")
            w(f"    </{group}>\n")

    def links(group: str, item: str, child: str, numbers: list[str]) -> None:
        if numbers:
            w(f"    <{group}>\n")
            for n in numbers:
                w(f"      <{item}>\n        <{child}>{n}</{child}>\n      </{item}>\n")
            w(f"    </{group}>\n")

    rncp = f.kind == "RNCP"
    leaf("ID_FICHE", f.id)
    leaf("NUMERO_FICHE", f.number)
    links("NOUVELLES_CERTIFICATIONS", "NOUVELLE_CERTIFICATION", "ID_FICHE_NOUVELLE_CERTIFICATION", f.successors)
    links("ANCIENNES_CERTIFICATIONS", "ANCIENNE_CERTIFICATION", "ID_FICHE_ANCIENNE_CERTIFICATION", f.predecessors)
    leaf("INTITULE", f.title)
    if f.abbreviation:
        w(
            f"    <ABREGE>\n      <CODE>{_x(f.abbreviation[0])}</CODE>\n      <LIBELLE>{_x(f.abbreviation[1])}</LIBELLE>\n    </ABREGE>\n"
        )
    leaf("ETAT_FICHE", f.status)
    coded("FORMACODES", "FORMACODE", f.formacodes)
    if f.level:
        w(
            f"    <NOMENCLATURE_EUROPE>\n      <NIVEAU>NIV{f.level}</NIVEAU>\n      <LIBELLE>Niveau {f.level}</LIBELLE>\n    </NOMENCLATURE_EUROPE>\n"
        )
    coded("CODES_NSF", "NSF", f.nsf)
    if f.certifiers:
        w("    <CERTIFICATEURS>\n")
        for siret, name, state, changed in f.certifiers:
            w("      <CERTIFICATEUR>\n")
            leaf("SIRET_CERTIFICATEUR", siret, "        ")
            leaf("NOM_CERTIFICATEUR", name, "        ")
            leaf("ETAT_CERTIFICATEUR", state, "        ")
            leaf("DATE_DERNIERE_MODIFICATION_ETAT", _dmy(changed), "        ")
            w("      </CERTIFICATEUR>\n")
        w("    </CERTIFICATEURS>\n")
    leaf("EXISTENCE_PARTENAIRES", "Oui" if f.partners else "Non")
    if f.partners:
        w("    <PARTENAIRES>\n")
        for name, siret, habilitation, since, changed in f.partners:
            w(f"      <PARTENAIRE>\n        <NOM_PARTENAIRE>{_x(name)}</NOM_PARTENAIRE>\n")
            w(f"        <SIRET_PARTENAIRE>{siret}</SIRET_PARTENAIRE>\n")
            w(f"        <HABILITATION_PARTENAIRE>{habilitation}</HABILITATION_PARTENAIRE>\n")
            w("        <ETAT_HABILITATION>Actif</ETAT_HABILITATION>\n")
            leaf("DATE_ACTIF", _dmy(since), "        ")
            leaf("DATE_DERNIERE_MODIFICATION_ETAT", _dmy(changed), "        ")
            w("      </PARTENAIRE>\n")
        w("    </PARTENAIRES>\n")
    for tag in ("ACTIVITES_VISEES", "CAPACITES_ATTESTEES", "SECTEURS_ACTIVITE", "TYPE_EMPLOI_ACCESSIBLES"):
        leaf(tag, f.texts.get(tag))
    coded("CODES_ROME", "ROME", f.rome)
    leaf("REGLEMENTATIONS_ACTIVITES", f.texts.get("REGLEMENTATIONS_ACTIVITES"))
    for route, is_open, composition in f.juries:
        w(f"    <{route}>\n      <ACTIF>{'Oui' if is_open else 'Non'}</ACTIF>\n")
        leaf("COMPOSITION", composition, "      ")
        w(f"    </{route}>\n")
    if rncp:
        leaf("ACCESSIBLE_NOUVELLE_CALEDONIE", f.accessible)
        leaf("ACCESSIBLE_POLYNESIE_FRANCAISE", f.accessible)
    for tag, title, day in f.publications:
        w(f"    <{tag}>\n      <PUBLICATION_JO>\n        <TITRE>{_x(title)}</TITRE>\n")
        w(f"        <DATE_PUBLICATION_JO>{_dmy(day)}</DATE_PUBLICATION_JO>\n      </PUBLICATION_JO>\n    </{tag}>\n")
    leaf("DATE_DERNIER_JO", _dmy(f.last_jo))
    leaf("DATE_DECISION", _dmy(f.decision))
    leaf("DUREE_ENREGISTREMENT", f.duration)
    if f.statistics:
        w("    <STATISTIQUES_PROMOTIONS>\n")
        names = XML_CHILDREN["STATISTIQUES_PROMOTION"]
        for row in f.statistics:
            w("      <STATISTIQUES_PROMOTION>\n")
            for name, value in zip(names, row):
                w(f"        <{name}>{value}</{name}>\n")
            w("      </STATISTIQUES_PROMOTION>\n")
        w("    </STATISTIQUES_PROMOTIONS>\n")
    leaf("LIEN_URL_DESCRIPTION", f.texts.get("LIEN_URL_DESCRIPTION"))
    leaf("DATE_FIN_ENREGISTREMENT", _dmy(f.end))
    leaf("DATE_EFFET", _dmy(f.effect))
    leaf("TYPE_ENREGISTREMENT", DE_DROIT if f.droit else SUR_DEMANDE)
    if f.blocks:
        w("    <BLOCS_COMPETENCES>\n")
        separator = "    "
        for code, label, competencies, assessment in f.blocks:
            w(f"      <BLOC_COMPETENCES>\n        <CODE>{code}</CODE>\n")
            leaf("LIBELLE", label.strip(), "        ")
            leaf("LISTE_COMPETENCES", separator.join(competencies), "        ")
            leaf("MODALITES_EVALUATION", assessment, "        ")
            w("      </BLOC_COMPETENCES>\n")
        w("    </BLOCS_COMPETENCES>\n")
    leaf("OBJECTIFS_CONTEXTE", f.texts.get("OBJECTIFS_CONTEXTE"))
    if not rncp:
        leaf("NIVEAU_MAITRISE_COMPETENCES", f.texts.get("NIVEAU_MAITRISE_COMPETENCES"))
        leaf("VALIDATION_PARTIELLE", "Non")
    leaf("ACTIF", "Oui" if f.active else "Non")
    leaf("PREREQUIS_ENTREE_FORMATION", f.texts.get("PREREQUIS_ENTREE_FORMATION"))
    leaf("PREREQUIS_VALIDATION_CERTIFICATION", f.texts.get("PREREQUIS_VALIDATION_CERTIFICATION"))
    leaf("DATE_DE_PUBLICATION", _dmy(f.published))
    leaf("DATE_LIMITE_DELIVRANCE", _dmy(f.deadline))
    if f.correspondences:
        w("    <CORRESPONDANCES>\n")
        for source, other, destination in f.correspondences:
            w(
                f"      <CORRESPONDANCE>\n        <SOURCE>\n          <BLOC_COMPETENCES>\n            <CODE>{source}</CODE>\n"
            )
            w(
                f"          </BLOC_COMPETENCES>\n        </SOURCE>\n        <DESTINATION>\n          <NUMERO_FICHE>{other}</NUMERO_FICHE>\n"
            )
            w(f"          <BLOC_COMPETENCES>\n            <CODE>{destination}</CODE>\n          </BLOC_COMPETENCES>\n")
            w("        </DESTINATION>\n      </CORRESPONDANCE>\n")
        w("    </CORRESPONDANCES>\n")
    w("  </FICHE>\n")
    return "".join(out)


def _csv_line(values: Iterable[str | None]) -> str:
    """A record as the export writes it: non-empty values double-quoted, ``;``, CRLF.

    >>> _csv_line(["RNCP1", None, 'I P L "ISEFAC" PARIS'])
    '"RNCP1";;"I P L ""ISEFAC"" PARIS"\\r\\n'
    """
    return ";".join('"' + v.replace('"', '""') + '"' if v else "" for v in values) + "\r\n"


def _lineage_rows(predecessors: list[str], successors: list[str]) -> list[tuple[str, str]]:
    """Rows of Ancienne_Nouvelle for one fiche: one link per row, a lone other side repeated.

    This is the layout of 16,050 of the 16,051 fiches of the real table of 2026-02-01.

    >>> _lineage_rows(["RNCP1"], ["RNCP3", "RNCP4"])
    [('RNCP1', 'RNCP3'), ('RNCP1', 'RNCP4')]
    >>> _lineage_rows([], ["RNCP3", "RNCP4"])
    [('', 'RNCP3'), ('', 'RNCP4')]
    """
    rows = []
    for i in range(max(len(predecessors), len(successors))):
        old = predecessors[i] if i < len(predecessors) else (predecessors[0] if len(predecessors) == 1 else "")
        new = successors[i] if i < len(successors) else (successors[0] if len(successors) == 1 else "")
        rows.append((old, new))
    return rows


def _csv_rows(f: SynthFiche) -> Iterator[tuple[str, list[str | None]]]:
    """``(table, row)`` for every row the fiche gives the ten tables."""
    number = f.number
    yield (
        "Standard",
        [
            str(f.id),
            number,
            f.title,
            f.abbreviation[0] if f.abbreviation else None,
            f.abbreviation[1] if f.abbreviation else None,
            f"NIV{f.level}" if f.level else None,
            f"Niveau {f.level}" if f.level else None,
            f.accessible,
            f.accessible,
            _dmy(f.last_jo),
            _dmy(f.decision),
            _dmy(f.end),
            _dmy(f.effect),
            DE_DROIT if f.droit else SUR_DEMANDE,
            "Non" if f.kind == "RS" else None,
            "ACTIVE" if f.active else "INACTIVE",
        ],
    )
    for code, label, _, _ in f.blocks:
        yield "Blocs_De_Compétences", [number, code, label]
    # The published labels, quirks included (NSF "code : label", ROME doubled apostrophes).
    for code, _, label in f.rome:
        yield "Rome", [number, code, label]
    for code, _, label in f.nsf:
        yield "Nsf", [number, code, label]
    for code, _, label in f.formacodes:
        yield "Formacode", [number, code, label]
    for siret, name, _, _ in f.certifiers:
        yield "Certificateurs", [number, "\t" + siret if siret else None, name]
    for old, new in _lineage_rows(f.predecessors, f.successors):
        yield "Ancienne_Nouvelle_Certification", [number, old, new]
    open_routes = {route for route, is_open, _ in f.juries if is_open}
    for route in _CSV_ROUTE_ORDER:
        if route in open_routes:
            yield "VoixdAccès", [number, _ROUTE_LABEL[route]]
    for name, siret, habilitation, _, _ in f.partners:
        yield "Partenaires", [number, name, "\t" + siret, habilitation]
    if f.ccn:
        yield "CCN", [number, *f.ccn]


# ---------------------------------------------------------------------------------------------
# The library function.
# ---------------------------------------------------------------------------------------------


@dataclass
class SynthReport:
    """What :func:`write_synthetic_register` wrote, and the real statistics it drew from."""

    files: list[Path]
    fiches_rncp: int
    fiches_rs: int
    blocks: int
    competencies: int
    lineage_links: int
    correspondences: int
    defects: dict[str, int]
    statistics: RegisterStatistics

    @property
    def fiches(self) -> int:
        return self.fiches_rncp + self.fiches_rs

    def summary(self) -> list[str]:
        """The counts as short lines, for a report."""
        defects = ", ".join(f"{kind} {n}" for kind, n in self.defects.items() if n) or "none"
        return [
            f"fiches {self.fiches:,}: RNCP {self.fiches_rncp:,}, RS {self.fiches_rs:,}",
            f"blocks {self.blocks:,}, competencies {self.competencies:,}, correspondences {self.correspondences:,}",
            f"lineage links {self.lineage_links:,}",
            f"defects {sum(self.defects.values()):,}: {defects}",
            *(f"wrote {path}" for path in self.files),
        ]


def write_synthetic_register(
    out_dir: Path | str,
    fiches: int = 40_000,
    seed: int = 1,
    fmt: str = "xml",
    defect_rate: float = 0.01,
    issued: dt.date = dt.date(2026, 2, 1),
    data_dir: Path | None = None,
) -> SynthReport:
    """Write a synthetic RNCP + RS register of ``fiches`` fiches to ``out_dir``, and ``defects.json``.

    :param fmt: ``xml`` (the two files of the XML export v4.1) or ``csv`` (the ten tables).
    :param defect_rate: share of fiches given exactly one injected defect (see :data:`DEFECT_KINDS`);
        ``defects.json`` lists them as ``{fiche, kind, value, detail}`` in file order, ``value``
        being the offending code, number, or certifier name.
    :param issued: the export date: in the file names, and the "today" of the fiches' status.
    :param data_dir: the folder holding the real tables (default: the repository's ``data/``).
    :raises SynthError: on a bad argument or a missing real table.
    """
    if fmt not in FORMATS:
        raise SynthError(f"format {fmt!r} is not one of {', '.join(FORMATS)}")
    if not isinstance(fiches, int) or fiches < 1:
        raise SynthError(f"fiches must be a positive integer, not {fiches!r}")
    if not 0 <= defect_rate <= 1:
        raise SynthError(f"defect rate {defect_rate!r} is not between 0 and 1")
    real = real_register(data_path(data_dir))
    nodes = plan_register(real, fiches, random.Random(seed), issued, defect_rate)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    counts = collections.Counter()
    defects: list[dict[str, str]] = []

    def contents(kind: str) -> Iterator[SynthFiche]:
        for node in sorted((n for n in nodes if n.kind == kind), key=lambda n: fiche_serial(n.number)):
            fiche = fiche_content(real, node, nodes, seed, issued)
            counts["blocks"] += len(fiche.blocks)
            counts["competencies"] += sum(len(block[2]) for block in fiche.blocks)
            counts["correspondences"] += len(fiche.correspondences)
            defects.extend(fiche.defects)
            yield fiche

    files = _write_xml(out, issued, contents) if fmt == "xml" else _write_csv(out, issued, contents)
    defects_path = out / "defects.json"
    defects_path.write_text(json.dumps(defects, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    by_kind = collections.Counter(d["kind"] for d in defects)
    return SynthReport(
        files=[*files, defects_path],
        fiches_rncp=sum(1 for n in nodes if n.kind == "RNCP"),
        fiches_rs=sum(1 for n in nodes if n.kind == "RS"),
        blocks=counts["blocks"],
        competencies=counts["competencies"],
        lineage_links=sum(len(n.succs) for n in nodes),
        correspondences=counts["correspondences"],
        defects={kind: by_kind[kind] for kind in DEFECT_KINDS},
        statistics=real.statistics,
    )


def _write_xml(out: Path, issued: dt.date, contents) -> list[Path]:
    files = []
    for kind in ("RNCP", "RS"):
        path = out / xml_file_name(kind, issued)
        with open(path, "w", encoding="utf-8", newline="\n") as f:
            f.write(
                '<?xml version="1.0" encoding="UTF-8" standalone="no"?>\n'
                f"<FICHES>\n  <VERSION_FLUX>{XML_FLUX_VERSION}</VERSION_FLUX>\n"
            )
            f.writelines(_fiche_xml(fiche) for fiche in contents(kind))
            f.write("</FICHES>\n")
        files.append(path)
    return files


def _write_csv(out: Path, issued: dt.date, contents) -> list[Path]:
    paths = {table: out / csv_file_name(table, issued) for table in CSV_TABLES}
    with contextlib.ExitStack() as stack:  # the ten tables fill in one pass over the fiches
        handles = {
            table: stack.enter_context(open(path, "w", encoding="utf-8", newline="")) for table, path in paths.items()
        }
        for table, handle in handles.items():
            handle.write(_csv_line(CSV_TABLES[table]))
        for kind in ("RNCP", "RS"):
            for fiche in contents(kind):
                for table, row in _csv_rows(fiche):
                    handles[table].write(_csv_line(row))
    return list(paths.values())
