"""The synthetic register: real schemas, determinism, counts, injected defects, real proportions."""

from __future__ import annotations

import collections
import csv
import datetime as dt
import io
import itertools
import json
import os
import re
import subprocess
import sys
import xml.etree.ElementTree as ET
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from certgraph.sources import fc_csv, fc_xml
from certgraph.sources.fc_csv import read_fc_export
from certgraph.sources.fc_schema import CSV_TABLES, XML_CHILDREN, csv_file_name, xml_file_name
from certgraph.sources.fc_xml import read_fc_xml
from certgraph.synth import (
    CSV_HEADERS,
    DEFECT_KINDS,
    SynthError,
    lineage_shape,
    measure_register,
    write_synthetic_register,
)

REPO = Path(__file__).resolve().parent.parent
DATA = REPO / "data"
XML_FIXTURE = DATA / "rncp" / "xml-fixture"
EXPORT_2026 = DATA / "rncp" / "hackathon-export-2026-02-01"
ISSUED = dt.date(2026, 2, 1)
FICHES = 1000
RATE = 0.05  # 50 defects: every kind shows up in a 1k register
ARGS = {"fiches": FICHES, "seed": 7, "defect_rate": RATE}


@pytest.fixture(scope="module")
def xml_out(tmp_path_factory):
    """The 1k register of seed 7 as the XML export: (folder, report)."""
    out = tmp_path_factory.mktemp("synth-xml")
    return out, write_synthetic_register(out, fmt="xml", **ARGS)


@pytest.fixture(scope="module")
def csv_out(tmp_path_factory):
    """The same register as the ten CSV tables: (folder, report)."""
    out = tmp_path_factory.mktemp("synth-csv")
    return out, write_synthetic_register(out, fmt="csv", **ARGS)


@pytest.fixture(scope="module")
def xml_fiches(xml_out):
    """Every ``<FICHE>`` element of both XML files, RNCP first."""
    out, _ = xml_out
    fiches = []
    for register in ("rncp", "rs"):
        root = ET.parse(out / f"export-fiches-{register}-v4-1-2026-02-01.xml").getroot()
        fiches += root.findall("FICHE")
    return fiches


def _texts(fiche: ET.Element, path: str) -> list[str]:
    return [e.text for e in fiche.findall(path)]


def _dmy(text: str | None) -> dt.date | None:
    return dt.datetime.strptime(text, "%d/%m/%Y").date() if text else None


# ---------------------------------------------------------------------------------------------
# Determinism.
# ---------------------------------------------------------------------------------------------


def _files(folder: Path) -> dict[str, bytes]:
    return {path.name: path.read_bytes() for path in sorted(folder.iterdir())}


@pytest.mark.parametrize("fmt", ["xml", "csv"])
def test_same_seed_same_bytes_other_seed_other_bytes(tmp_path, fmt):
    args = {"fiches": 300, "fmt": fmt, "defect_rate": 0.05}
    write_synthetic_register(tmp_path / "a", seed=3, **args)
    write_synthetic_register(tmp_path / "b", seed=3, **args)
    write_synthetic_register(tmp_path / "c", seed=4, **args)
    first, again, other = _files(tmp_path / "a"), _files(tmp_path / "b"), _files(tmp_path / "c")
    assert first == again
    assert first.keys() == other.keys()
    assert all(first[name] != other[name] for name in first)


def test_bytes_do_not_depend_on_hash_seed(tmp_path):
    """Another interpreter with another PYTHONHASHSEED writes the same bytes: no set or hash order."""
    write_synthetic_register(tmp_path / "here", fiches=200, seed=5, fmt="csv", defect_rate=0.05)
    code = (
        "import sys; from certgraph.synth import write_synthetic_register as w; "
        "w(sys.argv[1], fiches=200, seed=5, fmt='csv', defect_rate=0.05)"
    )
    env = dict(os.environ, PYTHONHASHSEED="12345")
    subprocess.run([sys.executable, "-c", code, str(tmp_path / "there")], check=True, env=env, cwd=REPO)
    assert _files(tmp_path / "here") == _files(tmp_path / "there")


# ---------------------------------------------------------------------------------------------
# The XML export: names, element order, nesting, as the real fixture.
# ---------------------------------------------------------------------------------------------


def _real_fixture(register: str) -> list[ET.Element]:
    return ET.parse(XML_FIXTURE / f"export_fiches_{register}_fixture.xml").getroot().findall("FICHE")


def _paths(element: ET.Element, prefix: str = "") -> Iterator[tuple[str, list[str]]]:
    """``(path below FICHE, child tags)`` for every element under ``element``."""
    for child in element:
        path = f"{prefix}/{child.tag}" if prefix else child.tag
        yield path, [c.tag for c in child]
        yield from _paths(child, path)


def test_xml_files_and_prolog_as_real(xml_out):
    _, report = xml_out
    assert [p.name for p in report.files] == [
        "export-fiches-rncp-v4-1-2026-02-01.xml",
        "export-fiches-rs-v4-1-2026-02-01.xml",
        "defects.json",
    ]
    real_head = (XML_FIXTURE / "export_fiches_RNCP_fixture.xml").read_bytes()[:100]
    for name in report.files[:2]:
        data = name.read_bytes()
        assert data[:100].split(b"<FICHE>")[0] == real_head.split(b"<FICHE>")[0]
        assert data.endswith(b"  </FICHE>\n</FICHES>\n")
        assert b"\r" not in data and b"\t" not in data


@pytest.mark.parametrize("register", ["RNCP", "RS"])
def test_xml_elements_are_the_real_ones_in_the_real_order(xml_fiches, register):
    real = _real_fixture(register)
    names = {child.tag for fiche in real for child in fiche}
    # a before b in some real fiche: then never b before a in ours
    before = {(a.tag, b.tag) for fiche in real for i, a in enumerate(fiche) for b in list(fiche)[i + 1 :]}
    children = collections.defaultdict(set)
    for fiche in real:
        for path, tags in _paths(fiche):
            children[path].update(tags)
    ours = [f for f in xml_fiches if f.findtext("NUMERO_FICHE").startswith(register)]
    assert len(ours) == {"RNCP": 867, "RS": 133}[register]  # seed 7's 1k register
    for fiche in ours:
        tags = [child.tag for child in fiche]
        assert set(tags) <= names, set(tags) - names
        assert len(tags) == len(set(tags))
        inversions = [(a, b) for i, a in enumerate(tags) for b in tags[i + 1 :] if (b, a) in before]
        assert not inversions, (fiche.findtext("NUMERO_FICHE"), inversions)
        for path, tags in _paths(fiche):
            assert set(tags) <= children[path], (path, set(tags) - children[path])


def test_xml_rs_fiches_have_no_blocks_nor_level(xml_fiches):
    rs = [f for f in xml_fiches if f.findtext("NUMERO_FICHE").startswith("RS")]
    assert all(f.find("BLOCS_COMPETENCES") is None and f.find("NOMENCLATURE_EUROPE") is None for f in rs)
    assert all(f.findtext("VALIDATION_PARTIELLE") == "Non" for f in rs)
    rncp = [f for f in xml_fiches if f.findtext("NUMERO_FICHE").startswith("RNCP")]
    assert {f.findtext("NOMENCLATURE_EUROPE/NIVEAU") for f in rncp} <= {f"NIV{n}" for n in range(3, 9)}


# ---------------------------------------------------------------------------------------------
# The CSV export: the real headers, bytes in the real style.
# ---------------------------------------------------------------------------------------------


def _real_header(table: str) -> bytes:
    """The first line of the real table: 2026 export, 2024 Blocs table, or the 2024-02-22 zip."""
    if (EXPORT_2026 / f"export_fiches_CSV_{table}_2026_02_01.csv").exists():
        return (EXPORT_2026 / f"export_fiches_CSV_{table}_2026_02_01.csv").read_bytes().split(b"\n")[0] + b"\n"
    if table == "Blocs_De_Compétences":
        path = DATA / "rncp/rpa-data-collector-export-2024-01-17/export_fiches_CSV_Blocs_De_Compétences_2024_01_17.csv"
        return path.read_bytes().split(b"\n")[0].rstrip(b"\r") + b"\r\n"  # LF in 2024, CRLF in 2026
    with zipfile.ZipFile(DATA / "rncp/api-apprentissage-fixture-2024-02-22/export-fiches-csv-2024-02-22.zip") as z:
        for info in z.infolist():
            if info.filename.encode("cp437").decode("utf-8") == f"export_fiches_CSV_{table}_2024_02_22.csv":
                return z.read(info).split(b"\n")[0] + b"\n"
    raise AssertionError(f"no real {table} table")


def test_csv_tables_and_headers_are_the_real_ones(csv_out):
    out, report = csv_out
    assert [p.name for p in report.files] == [
        *(f"export_fiches_CSV_{table}_2026_02_01.csv" for table in CSV_HEADERS),
        "defects.json",
    ]
    assert len(CSV_HEADERS) == 10
    for table in CSV_HEADERS:
        path = out / f"export_fiches_CSV_{table}_2026_02_01.csv"
        assert path.read_bytes().split(b"\n")[0] + b"\n" == _real_header(table), table


# ---------------------------------------------------------------------------------------------
# One table of the export (sources/fc_schema.py): what synth writes is exactly what the readers read.
# ---------------------------------------------------------------------------------------------


def test_csv_files_and_headers_are_the_schema_table(csv_out):
    out, report = csv_out
    assert CSV_HEADERS is CSV_TABLES
    assert [p.name for p in report.files[:-1]] == [csv_file_name(table, ISSUED) for table in CSV_TABLES]
    for table, columns in CSV_TABLES.items():
        with open(out / csv_file_name(table, ISSUED), encoding="utf-8", newline="") as f:
            assert tuple(next(csv.reader(f, delimiter=";"))) == columns, table
    # The CSV reader knows the same tables and columns, in the same order.
    assert list(fc_csv.TABLES) == list(CSV_TABLES)
    for name, table in fc_csv.TABLES.items():
        assert set(table.required) | set(table.optional) == set(CSV_TABLES[name]), name


def _is_subsequence(tags: list[str], order: tuple[str, ...]) -> bool:
    """``tags`` (a run of one repeated item counting once) appear in ``order``, in that order."""
    position = iter(order)
    return all(tag in position for tag, _ in itertools.groupby(tags))  # each found after the previous


def test_xml_files_and_elements_are_the_schema_table(xml_out, xml_fiches):
    out, report = xml_out
    assert [p.name for p in report.files[:2]] == [xml_file_name(register, ISSUED) for register in ("rncp", "rs")]
    written: set[str] = set()
    for name in report.files[:2]:
        root = ET.parse(name).getroot()
        for element in root.iter():
            tags = [child.tag for child in element]
            written.add(element.tag)
            if tags:
                assert element.tag in XML_CHILDREN, element.tag
                assert _is_subsequence(tags, XML_CHILDREN[element.tag]), (element.tag, tags)
            else:
                assert element.tag not in XML_CHILDREN, element.tag  # a leaf of the table
    # Every element of the table is written by some fiche of the 1k register, but for three the
    # synthetic register leaves out (cohort years, a jury's date, a certifier's website).
    table = set(XML_CHILDREN) | {tag for tags in XML_CHILDREN.values() for tag in tags}
    assert table - written == {"ANNEES_PROMOTIONS_NIVEAU", "DATE_DERNIERE_MODIFICATION", "SITE_INTERNET"}
    # The XML reader maps every child of <FICHE> the table names, and no other.
    assert set(fc_xml._FICHE_FIELDS) == set(XML_CHILDREN["FICHE"])


def _export_style(rows: list[list[str]]) -> str:
    """How the France Compétences export writes records (an independent re-statement)."""

    def quote(value: str) -> str:
        return '"' + value.replace('"', '""') + '"' if value else ""

    return "".join(";".join(map(quote, row)) + "\r\n" for row in rows)


def test_csv_bytes_follow_the_export_style(csv_out):
    out, _ = csv_out
    for table in CSV_HEADERS:
        data = (out / f"export_fiches_CSV_{table}_2026_02_01.csv").read_bytes()
        assert not data.startswith(b"\xef\xbb\xbf")
        text = data.decode("utf-8")
        rows = list(csv.reader(io.StringIO(text, newline=""), delimiter=";"))
        assert _export_style(rows) == text, table
        assert len({len(row) for row in rows}) == 1, table
    # the quirks of the real columns
    certifiers = (out / "export_fiches_CSV_Certificateurs_2026_02_01.csv").read_text(encoding="utf-8")
    assert re.search(r'^"RNCP\d+";"\t\d{14}";"', certifiers, re.MULTILINE)
    nsf = (out / "export_fiches_CSV_Nsf_2026_02_01.csv").read_text(encoding="utf-8")
    assert all(
        row[2].startswith(row[1] + " : ")
        for row in csv.reader(io.StringIO(nsf), delimiter=";")
        if row[2] and row[1] != "Nsf_Code"
    )
    rome = (out / "export_fiches_CSV_Rome_2026_02_01.csv").read_text(encoding="utf-8")
    assert "d''" in rome


def test_xml_and_csv_state_the_same_register(xml_fiches, csv_out):
    out, _ = csv_out
    with open(out / "export_fiches_CSV_Standard_2026_02_01.csv", encoding="utf-8", newline="") as f:
        standard = {row["Numero_Fiche"]: row for row in csv.DictReader(f, delimiter=";")}
    assert list(standard) == [f.findtext("NUMERO_FICHE") for f in xml_fiches]
    for fiche in xml_fiches:
        row = standard[fiche.findtext("NUMERO_FICHE")]
        assert row["Intitule"] == fiche.findtext("INTITULE")
        assert row["Date_Fin_Enregistrement"] == fiche.findtext("DATE_FIN_ENREGISTREMENT")
        assert row["Actif"] == {"Oui": "ACTIVE", "Non": "INACTIVE"}[fiche.findtext("ACTIF")]
        assert row["Id_Fiche"] == fiche.findtext("ID_FICHE")


# ---------------------------------------------------------------------------------------------
# Counts, numbers, dates.
# ---------------------------------------------------------------------------------------------


def test_counts_match_the_report(xml_out, xml_fiches):
    _, report = xml_out
    numbers = [f.findtext("NUMERO_FICHE") for f in xml_fiches]
    assert report.fiches == len(numbers) == len(set(numbers)) == FICHES
    assert report.fiches_rncp == sum(1 for n in numbers if n.startswith("RNCP"))
    assert report.fiches_rs == sum(1 for n in numbers if n.startswith("RS"))
    assert report.blocks == sum(len(f.findall("BLOCS_COMPETENCES/BLOC_COMPETENCES")) for f in xml_fiches)
    register = set(numbers)
    successors = [
        (f.findtext("NUMERO_FICHE"), n) for f in xml_fiches for n in _texts(f, ".//ID_FICHE_NOUVELLE_CERTIFICATION")
    ]
    predecessors = [
        (n, f.findtext("NUMERO_FICHE")) for f in xml_fiches for n in _texts(f, ".//ID_FICHE_ANCIENNE_CERTIFICATION")
    ]
    inside = sorted(link for link in successors if link[1] in register)
    assert inside == sorted(link for link in predecessors if link[0] in register)  # stated at both ends
    assert report.lineage_links == len(inside)
    assert report.correspondences == sum(len(f.findall("CORRESPONDANCES/CORRESPONDANCE")) for f in xml_fiches)


def test_numbers_ids_and_dates_are_consistent(xml_fiches):
    numbers = [f.findtext("NUMERO_FICHE") for f in xml_fiches]
    assert all(re.fullmatch(r"(RNCP|RS)1\d{5}", n) for n in numbers)
    for register in ("RNCP", "RS"):
        mine = [int(n[len(register) :]) for n in numbers if n.startswith(register)]
        assert mine == list(range(100000, 100000 + len(mine)))  # written in order, no gap
    assert len({f.findtext("ID_FICHE") for f in xml_fiches}) == FICHES
    by_number = {f.findtext("NUMERO_FICHE"): f for f in xml_fiches}
    for fiche in xml_fiches:
        start = _dmy(fiche.findtext("DATE_EFFET")) or _dmy(fiche.findtext("DATE_DECISION"))
        end = _dmy(fiche.findtext("DATE_FIN_ENREGISTREMENT"))
        assert start <= end <= dt.date(2040, 1, 1) and start <= ISSUED
        active = fiche.findtext("ACTIF") == "Oui"
        assert active == (end > ISSUED)
        number = fiche.findtext("NUMERO_FICHE")
        for successor in _texts(fiche, ".//ID_FICHE_NOUVELLE_CERTIFICATION"):
            if successor in by_number:
                assert not active and end < ISSUED  # inactive predecessors
                later = by_number[successor]
                assert (_dmy(later.findtext("DATE_EFFET")) or _dmy(later.findtext("DATE_DECISION"))) <= end
                if successor[:2] == number[:2]:  # numbered in registration order
                    assert int(successor.lstrip("RNCPS")) > int(number.lstrip("RNCPS"))


# ---------------------------------------------------------------------------------------------
# Defects: the rate, and each one really in the files, and no other.
# ---------------------------------------------------------------------------------------------


def test_defects_file_matches_the_rate(xml_out, csv_out):
    for out, report in (xml_out, csv_out):
        defects = json.loads((out / "defects.json").read_text(encoding="utf-8"))
        assert len(defects) == round(RATE * FICHES) == sum(report.defects.values())
        assert {d["kind"] for d in defects} == set(DEFECT_KINDS)  # every kind shows up at 5% of 1k
        assert len({d["fiche"] for d in defects}) == len(defects)  # one defect per chosen fiche
        assert collections.Counter(d["kind"] for d in defects) == {k: n for k, n in report.defects.items() if n}
    assert json.loads((xml_out[0] / "defects.json").read_text()) == json.loads(
        (csv_out[0] / "defects.json").read_text()
    )


def _real_codes() -> dict[str, set[str]]:
    codes = {}
    for family, table in (("rome", "Rome"), ("nsf", "Nsf"), ("formacode", "Formacode")):
        with open(EXPORT_2026 / f"export_fiches_CSV_{table}_2026_02_01.csv", encoding="utf-8", newline="") as f:
            codes[family] = {row[1] for row in csv.reader(f, delimiter=";")}
    return codes


def _found_defects(fiches) -> list[tuple[str, str, str]]:
    """``(fiche, kind, value)`` for every defect the read fiches show, found independently of the report."""
    real = _real_codes()
    register = {fiche.number for fiche in fiches}
    found = []
    for fiche in fiches:
        for certifier in fiche.certifiers:
            if not certifier.siret:
                found.append((fiche.number, "missing_siret", certifier.name))
        for family, attribute in (("rome", "rome"), ("nsf", "nsf"), ("formacode", "formacodes")):
            found += [
                (fiche.number, f"unknown_{family}", c.code)
                for c in getattr(fiche, attribute)
                if c.code not in real[family]
            ]
        codes = collections.Counter(block.code for block in fiche.blocks)
        found += [(fiche.number, "duplicate_block_code", code) for code, n in codes.items() if n > 1]
        found += [
            (fiche.number, "dangling_predecessor", r.number) for r in fiche.predecessors if r.number not in register
        ]
        found += [(fiche.number, "dangling_successor", r.number) for r in fiche.successors if r.number not in register]
    return sorted(found)


def _recorded(out: Path) -> list[tuple[str, str, str]]:
    defects = json.loads((out / "defects.json").read_text(encoding="utf-8"))
    assert all(d["value"] in d["detail"] for d in defects)
    return sorted((d["fiche"], d["kind"], d["value"]) for d in defects)


def test_each_defect_is_in_the_xml_and_no_other(xml_out):
    out, _ = xml_out
    fiches = []
    for path in sorted(out.glob("*.xml")):
        loaded = read_fc_xml(path)
        # Of the injected kinds, the reader reports only duplicated block codes (the validator the rest).
        duplicates = sorted((d["fiche"], d["value"]) for d in json.loads((out / "defects.json").read_text(encoding="utf-8"))
                            if d["kind"] == "duplicate_block_code")
        reported = [(p.fiche, p.message.split()[3].rstrip(":")) for p in loaded.problems]
        assert all((fiche, code) in duplicates for fiche, code in reported), loaded.problems
        fiches += loaded.fiches
    assert len(fiches) == FICHES
    assert _found_defects(fiches) == _recorded(out)


def test_csv_read_by_fc_csv_same_fiches_same_defects(csv_out):
    out, _ = csv_out
    loaded = read_fc_export(out)
    assert loaded.missing == [] and loaded.problems == []
    merged: dict[str, object] = {}
    for partial in loaded.fiches:  # one partial fiche per table: merge what the defects need
        fiche = merged.setdefault(partial.number, partial)
        if fiche is not partial:
            for attribute in ("certifiers", "rome", "nsf", "formacodes", "blocks", "predecessors", "successors"):
                getattr(fiche, attribute).extend(getattr(partial, attribute))
    assert len(merged) == FICHES
    assert _found_defects(list(merged.values())) == _recorded(out)


def test_competencies_are_read_back_one_by_one(xml_out):
    out, report = xml_out
    fiches = read_fc_xml(out / "export-fiches-rncp-v4-1-2026-02-01.xml").fiches
    assert sum(len(block.competencies) for fiche in fiches for block in fiche.blocks) == report.competencies
    counts = [len(block.competencies) for fiche in fiches for block in fiche.blocks]
    assert (min(counts), max(counts)) == (3, 12)  # the range drawn from, both ends reached


# ---------------------------------------------------------------------------------------------
# Statistically like the real register.
# ---------------------------------------------------------------------------------------------


def test_lineage_and_register_proportions_near_the_real_ones(xml_fiches):
    real = measure_register()
    assert real.lineage.links == 10313 and real.lineage.merges == 284 and real.lineage.splits == 213
    numbers = {f.findtext("NUMERO_FICHE") for f in xml_fiches}
    links = [
        (f.findtext("NUMERO_FICHE"), n)
        for f in xml_fiches
        for n in _texts(f, ".//ID_FICHE_NOUVELLE_CERTIFICATION")
        if n in numbers
    ]
    shape = lineage_shape(links)
    # Tolerances are about 2.5 standard deviations of a 1k register (30 seeds); 40k is within 0.01.
    assert abs(shape.one_to_one - real.lineage.one_to_one) < 0.07
    assert abs(shape.merges_links - real.lineage.merges_links) < 0.05
    assert abs(shape.splits_links - real.lineage.splits_links) < 0.05
    assert (shape.merges, shape.splits) == (7, 7)  # seed 7's 1k register
    assert abs(shape.fiches / len(numbers) - real.lineage_share) < 0.01
    rs = sum(1 for n in numbers if n.startswith("RS")) / len(numbers)
    assert abs(rs - real.rs_share) < 0.06
    with_certifiers = [f for f in xml_fiches if f.find("CERTIFICATEURS") is not None]
    assert abs(len(with_certifiers) / len(xml_fiches) - real.certifier_share) < 0.05
    nsf = [len(f.findall("CODES_NSF/NSF")) for f in xml_fiches if f.find("CODES_NSF") is not None]
    assert abs(sum(nsf) / len(nsf) - real.nsf_per_fiche) < 0.15


def test_certifiers_are_real_ones(xml_fiches):
    with open(EXPORT_2026 / "export_fiches_CSV_Certificateurs_2026_02_01.csv", encoding="utf-8", newline="") as f:
        real = {(row[1].strip(), row[2]) for row in csv.reader(f, delimiter=";")}
    ours = {
        (c.findtext("SIRET_CERTIFICATEUR"), c.findtext("NOM_CERTIFICATEUR"))
        for f in xml_fiches
        for c in f.findall("CERTIFICATEURS/CERTIFICATEUR")
        if c.findtext("SIRET_CERTIFICATEUR")
    }
    assert ours <= real and len(ours) == 355  # seed 7's 1k register


# ---------------------------------------------------------------------------------------------
# Arguments.
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ({"fmt": "json"}, "format 'json' is not one of xml, csv"),
        ({"fiches": 0}, "fiches must be a positive integer, not 0"),
        ({"defect_rate": 1.5}, "defect rate 1.5 is not between 0 and 1"),
    ],
)
def test_bad_arguments(tmp_path, args, message):
    with pytest.raises(SynthError, match=re.escape(message)):
        write_synthetic_register(tmp_path, **args)
    assert list(tmp_path.iterdir()) == []
