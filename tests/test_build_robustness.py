"""Malformed inputs: each class costs exactly its bad rows, is reported where it is, and never costs a good store.

The inputs are small slices of real exports under ``data/``: rows of the 2024-01-17 Blocs table
(among them records whose label spans two lines), the Standard table of the official 2024-02-22
zip, and the 12 fiches of the RNCP XML fixture. Each row of ``CASES`` damages one of them one way;
the reader keeps every good record (the clean count minus the bad rows) and reports the file and
the line. Then the build: an unreadable or much smaller input never replaces a good store.
"""

from __future__ import annotations

import csv
import io
import json
import shutil
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from click.testing import CliRunner

from certgraph.ingest.build import BuildError, build, stored_fiches
from certgraph.cli import cli
from certgraph.records import Loaded
from certgraph.ingest.snapshots import read_export, unreadable
from certgraph.store import OxigraphStore

from .conftest import DATA, write_manifest

EXPORT_2024 = DATA / "rncp/rpa-data-collector-export-2024-01-17"
BLOCS = "export_fiches_CSV_Blocs_De_Compétences_2024_01_17.csv"
CERTIFIERS = "export_fiches_CSV_Certificateurs_2024_01_17.csv"
ZIP_2024_02 = DATA / "rncp/api-apprentissage-fixture-2024-02-22/export-fiches-csv-2024-02-22.zip"
STANDARD = "export_fiches_CSV_Standard_2024_02_22.csv"
XML_RNCP = DATA / "rncp/xml-fixture/export_fiches_RNCP_fixture.xml"
# The CNAM lineage, and three fiches whose blocks show a quirk: RNCP32079 and RNCP32477 have block
# labels over two lines, RNCP34992 has accented labels (its BC04 is line 17,180 of the whole table).
SLICE_FICHES = {"RNCP1611", "RNCP5385", "RNCP28720", "RNCP35080", "RNCP32079", "RNCP32477", "RNCP34992"}


def csv_records(text: str) -> list[tuple[list[str], str]]:
    """Every record of a ``;`` CSV text (header first): its cells and its exact text, line breaks kept."""
    lines = io.StringIO(text, newline="").readlines()
    reader = csv.reader(iter(lines), delimiter=";")
    records, start = [], 0
    for cells in reader:
        records.append((cells, "".join(lines[start : reader.line_num])))
        start = reader.line_num
    return records


def write_slice(source: Path, target: Path) -> None:
    """The header and the records of SLICE_FICHES of a real table, byte for byte."""
    records = csv_records(source.read_text(encoding="utf-8"))
    kept = [records[0]] + [r for r in records[1:] if r[0][0] in SLICE_FICHES]
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes("".join(text for _, text in kept).encode("utf-8"))


@pytest.fixture(scope="module")
def clean(tmp_path_factory) -> Path:
    """A folder of clean inputs: ``export/`` (slices of two 2024-01-17 tables), the zip, the XML file."""
    root = tmp_path_factory.mktemp("clean")
    for table in (BLOCS, CERTIFIERS):
        write_slice(EXPORT_2024 / table, root / "export" / table)
    shutil.copy(ZIP_2024_02, root / ZIP_2024_02.name)
    shutil.copy(XML_RNCP, root / "export_fiches_RNCP.xml")
    return root


# ------------------------------------------------------------------ damaging the inputs


def _replace_record(table: bytes, first_cells: tuple[str, ...], encode: Callable[[str], bytes]) -> bytes:
    """A UTF-8 table with the record whose first two cells are ``first_cells`` written by ``encode``."""
    records = csv_records(table.decode("utf-8"))
    assert sum(tuple(cells[:2]) == first_cells for cells, _ in records) == 1, first_cells
    return b"".join(
        encode(text) if tuple(cells[:2]) == first_cells else text.encode("utf-8") for cells, text in records
    )


def blocs_with(change: Callable[[bytes], bytes]) -> Callable[[Path, Path], Path]:
    """A damage to the Blocs slice: the export folder with its Blocs table changed by ``change``."""

    def make(clean: Path, tmp: Path) -> Path:
        shutil.copytree(clean / "export", tmp / "export")
        table = tmp / "export" / BLOCS
        table.write_bytes(change(table.read_bytes()))
        return tmp / "export"

    return make


def cp1252(*first_cells: str) -> Callable[[bytes], bytes]:
    """The record starting with ``first_cells`` written in Windows-1252."""
    return lambda table: _replace_record(table, first_cells, lambda record: record.encode("cp1252"))


def edited(edit: Callable[[str], str], *first_cells: str) -> Callable[[bytes], bytes]:
    """The record starting with ``first_cells`` changed by ``edit``."""
    return lambda table: _replace_record(table, first_cells, lambda record: edit(record).encode("utf-8"))


def standard_second_row_cp1252(clean: Path, tmp: Path) -> Path:
    """The official zip with the second row of its Standard table (RNCP1197) in Windows-1252."""
    target = tmp / ZIP_2024_02.name
    with zipfile.ZipFile(clean / ZIP_2024_02.name) as source, zipfile.ZipFile(target, "w") as out:
        for info in source.infolist():
            # The official member names are UTF-8 without the zip's UTF-8 flag: written here with it.
            name, data = info.filename.encode("cp437").decode("utf-8"), source.read(info)
            out.writestr(name, cp1252("481", "RNCP1197")(data) if name == STANDARD else data)
    return target


def file_with(name: str, content: Callable[[Path], bytes]) -> Callable[[Path, Path], Path]:
    """A damaged input file ``name`` whose bytes ``content`` makes from the clean folder."""

    def make(clean: Path, tmp: Path) -> Path:
        (tmp / name).write_bytes(content(clean))
        return tmp / name

    return make


# ------------------------------------------------------------------ counting what was read


def blocks(loaded: Loaded) -> int:
    """Blocks read (one per row of a Blocs table)."""
    return sum(len(fiche.blocks) for fiche in loaded.fiches)


def standard_titles(loaded: Loaded) -> int:
    """Fiches with a title read from a Standard table (one per row)."""
    return sum(1 for fiche in loaded.fiches if fiche.source.key.endswith("-standard") and fiche.title)


def fiches(loaded: Loaded) -> int:
    """Fiche records: one per fiche per CSV table (56 in the ten tables of the zip), one per XML fiche."""
    return len(loaded.fiches)


@dataclass(frozen=True)
class Case:
    """One class of malformed input: how to make it, what to count, the clean count, the records
    lost, the problems reported (as printed) and whether the input counts as unreadable."""

    make: Callable[[Path, Path], Path]
    count: Callable[[Loaded], int]
    clean: int
    lost: int
    problems: list[str]
    unreadable: bool = False


SLICE_BLOCS = "export/" + BLOCS
CASES = {
    # A Windows-1252 row in the middle of the table, after records whose label spans two lines: read
    # as Windows-1252, and reported on its own first line (the strict reading lost the rest of the table).
    "cp1252-row-in-blocs": Case(
        blocs_with(cp1252("RNCP34992", "RNCP34992BC04")), blocks, 25, 0,
        [f"{SLICE_BLOCS}:24 [RNCP34992]: not UTF-8 (byte 0xE9): this row read as Windows-1252"],
    ),
    # The record over two lines itself in Windows-1252: its first line is reported; the next row is read.
    "cp1252-two-line-row": Case(
        blocs_with(cp1252("RNCP32477", "RNCP32477BC04")), blocks, 25, 0,
        [f"{SLICE_BLOCS}:15 [RNCP32477]: not UTF-8 (byte 0xE9): this row read as Windows-1252"],
    ),
    # The second row of a Standard table in Windows-1252: the strict reading lost the whole table.
    "cp1252-second-row-of-standard": Case(
        standard_second_row_cp1252, standard_titles, 9, 0,
        [f"{ZIP_2024_02.name}!/{STANDARD}:3 [RNCP1197]: not UTF-8 (byte 0xE8): this row read as Windows-1252"],
    ),
    "extra-field": Case(
        blocs_with(edited(lambda r: r.rstrip("\n") + ';"x"\n', "RNCP35080", "RNCP35080BC02")), blocks, 25, 1,
        [f"{SLICE_BLOCS}:28: expected 3 fields, found 4; row skipped"],
    ),
    "invalid-fiche-number": Case(
        blocs_with(edited(lambda r: r.replace('"RNCP35080"', '"RNCP35O80"', 1), "RNCP35080", "RNCP35080BC02")),
        blocks, 25, 1, [f"{SLICE_BLOCS}:28: invalid fiche number 'RNCP35O80'; row skipped"],
    ),
    "empty-csv-table": Case(
        blocs_with(lambda text: b""), blocks, 25, 25,
        [f"{SLICE_BLOCS}: empty file: no header; file ignored"], unreadable=True,
    ),
    "header-only-csv-table": Case(blocs_with(lambda text: text[: text.index(b"\n") + 1]), blocks, 25, 25, []),
    "wrong-delimiter": Case(
        blocs_with(lambda text: text.replace(b'";"', b'","')), blocks, 25, 25,
        [f"{SLICE_BLOCS}:1: expected columns Numero_Fiche, Bloc_Competences_Code; found "
         "'Numero_Fiche,\"Bloc_Competences_Code\",\"Bloc_Competences_Libelle\"'; file ignored"],
        unreadable=True,
    ),
    # The official zip, damaged: nothing of it can be read, and the reader says so.
    "zero-byte-zip": Case(
        file_with("export.zip", lambda clean: b""), fiches, 56, 56,
        ["export.zip: unreadable zip: File is not a zip file"], unreadable=True,
    ),
    "truncated-zip": Case(
        file_with("export.zip", lambda clean: (clean / ZIP_2024_02.name).read_bytes()[:2500]), fiches, 56, 56,
        ["export.zip: unreadable zip: File is not a zip file"], unreadable=True,
    ),
    # Its end record kept, what it points to gone: zipfile takes it for a zip, then cannot open it.
    "damaged-zip-directory": Case(
        file_with("export.zip", lambda clean: b"x" * 100 + (clean / ZIP_2024_02.name).read_bytes()[-22:]),
        fiches, 56, 56,
        ["export.zip: unreadable zip: Bad offset for central directory"], unreadable=True,
    ),
    "not-a-zip": Case(
        file_with("export.zip", lambda clean: b"PK\x03\x04 not a zip"), fiches, 56, 56,
        ["export.zip: unreadable zip: File is not a zip file"], unreadable=True,
    ),
    # Cut inside its 8th fiche: the 7 before it are read.
    "truncated-xml": Case(
        file_with("export.xml", lambda clean: (clean / "export_fiches_RNCP.xml").read_bytes()[:400_000]),
        fiches, 12, 5,
        ["export.xml:1659 [RNCP37674]: the file ends inside this fiche (truncated file); fiche skipped"],
        unreadable=True,
    ),
    "zero-byte-xml": Case(
        file_with("export.xml", lambda clean: b""), fiches, 12, 12,
        ["export.xml:1: no <FICHES> root element before the first fiche",
         "export.xml:1: no <VERSION_FLUX>: read as flux 4.1", "export.xml: no <FICHE> in the file"],
        unreadable=True,
    ),
}


@pytest.mark.parametrize("name", CASES)
def test_malformed_input_costs_only_its_bad_rows(name, clean, tmp_path):
    case = CASES[name]
    loaded = read_export(case.make(clean, tmp_path), root=tmp_path)
    assert case.count(loaded) == case.clean - case.lost
    assert [str(problem) for problem in loaded.problems] == case.problems
    assert bool(unreadable(loaded.problems)) is case.unreadable


def test_the_clean_counts(clean):
    """The clean counts the table subtracts from, read from the undamaged inputs."""
    assert blocks(read_export(clean / "export")) == 25
    assert standard_titles(read_export(clean / ZIP_2024_02.name)) == 9
    assert fiches(read_export(clean / ZIP_2024_02.name)) == 56
    assert fiches(read_export(clean / "export_fiches_RNCP.xml")) == 12
    for path in (clean / "export", clean / ZIP_2024_02.name, clean / "export_fiches_RNCP.xml"):
        assert read_export(path).problems == []


# ------------------------------------------------------------------ the build keeps a good store


@pytest.fixture
def good_store(clean, tmp_path) -> tuple[Path, Path]:
    """A data folder holding the clean 2024 slice as its only input, built into ``store``; returns both."""
    data = tmp_path / "data"
    shutil.copytree(clean / "export", data / "export")
    write_manifest(data, [{"reader": "fc_export", "path": "export"}])
    build(data, tmp_path / "store", tmp_path / "store.nq")
    return data, tmp_path / "store"


def store_fiches(path: Path) -> int:
    return stored_fiches(OxigraphStore.open(path))


@pytest.mark.parametrize(
    ("name", "error"),
    [
        ("zero-byte-zip", "unreadable zip: File is not a zip file"),
        ("not-a-zip", "unreadable zip: File is not a zip file"),
        ("truncated-zip", "unreadable zip: File is not a zip file"),
        ("damaged-zip-directory", "unreadable zip: Bad offset for central directory"),
        ("zero-byte-xml", "no <FICHE> in the file"),
    ],
)
def test_an_unreadable_export_never_replaces_a_good_store(name, error, clean, good_store, tmp_path):
    data, store = good_store
    dump = (tmp_path / "store.nq").read_bytes()
    assert store_fiches(store) == 5
    bad = CASES[name].make(clean, tmp_path).resolve()
    with pytest.raises(BuildError) as refused:
        build(data, store, tmp_path / "store.nq", exports=[bad])
    assert str(refused.value) == (
        f"the build read no fiche (first error: {bad}: {error}); {store} is left as it was (--force builds it anyway)"
    )
    assert store_fiches(store) == 5 and (tmp_path / "store.nq").read_bytes() == dump
    build(data, store, tmp_path / "store.nq", exports=[bad], force=True)
    assert store_fiches(store) == 0


def test_an_unreadable_export_of_the_manifest_is_named_and_the_store_kept(good_store):
    data, store = good_store
    (data / "export.zip").write_bytes(b"")
    write_manifest(data, [{"reader": "fc_export", "path": "export.zip"}])
    result = CliRunner().invoke(cli, ["build", "--data", str(data), "--store", str(store)])
    assert result.exit_code == 1, result.output
    assert result.stderr.splitlines()[-1] == (
        "Error: the build read no fiche (first error: export.zip: unreadable zip: File is not a zip file); "
        f"{store} is left as it was (--force builds it anyway)"
    )
    assert store_fiches(store) == 5


def test_a_build_with_under_half_the_fiches_is_refused_and_force_overrides(good_store):
    data, store = good_store
    table = data / "export" / BLOCS
    records = csv_records(table.read_text(encoding="utf-8"))
    # Only the certifiers of RNCP35080 and the blocks of RNCP35080 are left: 1 fiche of 5.
    (data / "export" / CERTIFIERS).unlink()
    table.write_text("".join(text for cells, text in records if cells[0] in ("Numero_Fiche", "RNCP35080")), "utf-8")
    runner = CliRunner()
    args = ["build", "--data", str(data), "--store", str(store)]
    refused = runner.invoke(cli, args)
    assert refused.exit_code == 1, refused.output
    assert refused.stderr.splitlines()[-1] == (
        f"Error: the build has 1 fiches, fewer than half the 5 of the store it would replace; {store} is kept as "
        "it was (--force replaces it anyway)"
    )
    assert store_fiches(store) == 5
    forced = runner.invoke(cli, [*args, "--force"])
    assert forced.exit_code == 0, forced.output
    assert store_fiches(store) == 1


def test_strict_counts_only_the_inputs_of_the_build(clean, tmp_path):
    # The NSF and Formacode lists of data/ (each once reported a known quirk of its own, which
    # failed every strict build), with one bad NSF row added; the export slice.
    data = tmp_path / "data"
    for folder in ("nsf", "formacode"):
        shutil.copytree(DATA / folder, data / folder)
    with open(data / "nsf/nsf_codes_observes_rncp_2021.csv", "a", encoding="utf-8") as f:
        f.write("999z;groupe_3_lettre;999;Groupe inconnu;1\n")
    shutil.copytree(clean / "export", data / "export")
    inputs = [{"reader": reader, "path": reader} for reader in ("nsf", "formacode")]
    write_manifest(data, [*inputs, {"reader": "fc_export", "path": "export"}])
    bad_row = "nsf/nsf_codes_observes_rncp_2021.csv:451: 999z: group 999 is not in the decree"
    # Built from the manifest, the code lists are inputs of the build: the bad row fails it.
    with pytest.raises(BuildError) as failed:
        build(data, tmp_path / "store", strict=True)
    assert str(failed.value) == f"1 problem(s) in the inputs of this build (strict build); first: {bad_row}"
    # Built from an export, they are the data folder's: reported, but only the export counts, and it is clean.
    report = build(data, tmp_path / "store", strict=True, exports=[data / "export"])
    assert report.fiches == 5 and [str(p) for p in report.problems] == [bad_row]
    # A damaged export is named, however many problems the code lists have.
    damaged = blocs_with(cp1252("RNCP34992", "RNCP34992BC04"))(clean, tmp_path)
    with pytest.raises(BuildError) as failed:
        build(data, tmp_path / "store", strict=True, exports=[damaged])
    assert str(failed.value) == (
        "1 problem(s) in the inputs of this build (strict build); "
        f"first: {damaged / BLOCS}:24 [RNCP34992]: not UTF-8 (byte 0xE9): this row read as Windows-1252"
    )


# ------------------------------------------------------------------ diff reports its inputs


@pytest.mark.parametrize("name", ["zero-byte-zip", "truncated-xml"])
def test_diff_refuses_an_unreadable_export(name, clean, tmp_path):
    bad = CASES[name].make(clean, tmp_path)
    old = clean / ("export" if name.endswith("zip") else "export_fiches_RNCP.xml")
    result = CliRunner().invoke(cli, ["diff", str(old), str(bad)])
    assert result.exit_code == 1, result.output
    problem = CASES[name].problems[0].replace(bad.name, str(bad), 1)
    assert result.output == f"Error: export not read in full: {problem}\n"


def test_diff_lists_the_problems_of_its_inputs(clean, tmp_path):
    damaged = blocs_with(cp1252("RNCP34992", "RNCP34992BC04"))(clean, tmp_path)
    result = CliRunner().invoke(cli, ["diff", str(clean / "export"), str(damaged), "--json"])
    assert result.exit_code == 0, result.output
    assert result.stderr == (
        f"1 input problems:\n       1  {damaged / BLOCS}\n"
        f"  {damaged / BLOCS}:24 [RNCP34992]: not UTF-8 (byte 0xE9): this row read as Windows-1252\n"
    )
    # Read as Windows-1252, the row says what the clean one says: nothing changed.
    summary = json.loads(result.stdout)["summary"]
    assert (summary["fiches changed"], summary["fiches unchanged"]) == (0, 5)


def test_a_store_built_by_an_older_certgraph_is_refused_with_a_way_out(tmp_path):
    """Its listings would answer nothing (no listing keys): the store says which format it holds."""
    from rdflib import Literal, URIRef
    from rdflib.namespace import RDF, XSD

    from certgraph.store import StoreError
    from certgraph.vocab import CG, ID, STORE_FORMAT, SUMMARY_GRAPH

    def store_with(quads, name):
        store = OxigraphStore.create(tmp_path / name)
        store.add_quads(quads)
        store.flush()
        del store
        return tmp_path / name

    summary = (ID["summary"], RDF.type, URIRef("http://rdfs.org/ns/void#Dataset"), SUMMARY_GRAPH)
    older = store_with([summary], "older")
    with pytest.raises(StoreError, match=r"older certgraph \(no store format; this version reads format 2\).*certgraph build"):
        OxigraphStore.open(older)
    assert OxigraphStore.open(older, check_format=False).store_format() == 0
    result = CliRunner().invoke(cli, ["stats", "--store", str(older)])
    assert result.exit_code != 0 and "rebuild it" in result.output
    current = store_with([summary, (ID["summary"], CG.storeFormat, Literal(STORE_FORMAT, datatype=XSD.integer), SUMMARY_GRAPH)], "current")
    assert OxigraphStore.open(current).store_format() == STORE_FORMAT
    assert OxigraphStore.open(store_with([], "handmade")).store_format() is None  # no summary: opened as it is
