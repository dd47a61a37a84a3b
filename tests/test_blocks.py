"""Block similarity with register-wide weights, the alignment's evidence, block maps along lineage links."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from certgraph.cli import cli
from certgraph.compare import compare
from certgraph.equivalence.analysis import tokens
from certgraph.equivalence.blocks import BlockText, align, block_idf, block_map, register_blocks, register_idf
from certgraph.store import OxigraphStore
from certgraph.vocab import BLOCK_MAP_GRAPH, fiche_iri

BLOCKS_2024 = (Path(__file__).resolve().parent.parent / "data" / "rncp" / "rpa-data-collector-export-2024-01-17"
               / "export_fiches_CSV_Blocs_De_Compétences_2024_01_17.csv")


@pytest.fixture(scope="module")
def labels_2024() -> dict[str, list[BlockText]]:
    """Every block label of the 2024 export's blocks table (34,000 blocks), by fiche: a real register."""
    fiches: dict[str, list[BlockText]] = {}
    with open(BLOCKS_2024, encoding="utf-8", newline="") as f:
        for row in csv.DictReader(f, delimiter=";"):
            fiches.setdefault(row["Numero_Fiche"], []).append(BlockText(row["Bloc_Competences_Code"], row["Bloc_Competences_Libelle"]))
    return {number: sorted(blocks, key=lambda b: b.code) for number, blocks in fiches.items()}


def test_manager_and_management_meet():
    """Method v1's stemmer kept "manager" and "management" apart: these two blocks scored 0."""
    left = [BlockText("A", "Manager une équipe")]
    right = [BlockText("B", "Management des personnels")]
    result = align(left, right)
    assert result.matrix[0][0] > 0 and result.pairs == [(0, 0)]
    assert result.evidence_words(0, 0) == ["manager"]


def test_a_rare_word_weighs_more_than_a_common_one():
    idf = block_idf(tokens(text) for text in ("Organisme, budget", "Organisme", "Organisme", "Organisme, recrutement"))
    assert idf[tokens("organisme")[0]] < idf["budget"]
    left, right = [BlockText("A", "Organisme : budget")], [BlockText("B", "Organisme : budget"), BlockText("C", "Organisme")]
    # "Organisme" alone says less under the register's weights than under the two fiches' own
    assert align(left, right, idf).matrix[0][1] < align(left, right).matrix[0][1] < 0.7


def test_rncp36031_and_rncp30398(labels_2024):
    """Two directors of social establishments: "Manager les ressources humaines" is "le management des
    personnels", and both have a budget block; method v1 scored the first pair 0.00."""
    idf = block_idf(tokens(b.document()) for blocks in labels_2024.values() for b in blocks)
    new, old = labels_2024["RNCP36031"], labels_2024["RNCP30398"]
    result = align(new, old, idf)
    aligned = {(new[i].code, old[j].code): result.matrix[i][j] for i, j in result.pairs}
    assert aligned[("RNCP36031BC04", "RNCP30398BC02")] > 0.1
    assert aligned[("RNCP36031BC03", "RNCP30398BC03")] > 0.3  # gestion budgétaire
    i, j = [b.code for b in new].index("RNCP36031BC04"), [b.code for b in old].index("RNCP30398BC02")
    assert result.evidence_words(i, j)[0] in ("manager", "management")


def test_compare_rncp35080_rncp41296(mini_store, queries):
    """CNAM's manager of social organisations (RNCP35080) and IRCOM's solidarity project manager (RNCP41296).

    Read side by side, two pairs truly correspond: 35080BC03 (coordinating a team of employees and
    volunteers) is 41296BC04 (managing multidisciplinary teams, volunteers included), and 35080BC04
    (social innovation and project management) is 41296BC02 (designing a solidarity project). The
    other two are weak: 35080BC01 (strategic steering) would go with 41296BC01 (strategy of a
    solidarity organisation), but its statements are about partners and projects, so the method pairs
    it with 41296BC03 (steering a project); 35080BC02 (administration, accounts, finance) has no
    counterpart. The method must find the two true pairs clearly above the two weak ones.
    """
    idf = register_idf(mini_store)
    result = compare(mini_store, queries, "RNCP35080", "RNCP41296", idf=idf)
    a = result.alignment
    aligned = {(a.left[i].code, a.right[j].code): a.matrix[i][j] for i, j in a.pairs}
    assert set(aligned) == {("RNCP35080BC01", "RNCP41296BC03"), ("RNCP35080BC02", "RNCP41296BC01"),
                            ("RNCP35080BC03", "RNCP41296BC04"), ("RNCP35080BC04", "RNCP41296BC02")}
    strong = min(aligned[("RNCP35080BC03", "RNCP41296BC04")], aligned[("RNCP35080BC04", "RNCP41296BC02")])
    weak = max(aligned[("RNCP35080BC01", "RNCP41296BC03")], aligned[("RNCP35080BC02", "RNCP41296BC01")])
    assert strong > 0.1 > weak
    as_dict = result.as_dict()
    assert as_dict["official"] == []  # the CSV exports state no block correspondence
    team = next(p for p in as_dict["blocks"]["alignment"] if p["left"] == "RNCP35080BC03")
    assert {"equipe", "benevoles"} <= set(team["evidence"])


def test_block_map_along_rncp28720_to_rncp35080(mini_store):
    """The 2020 renewal kept the four blocks: BC02 and BC03 keep their labels, BC04 is reworded (the
    conduct of projects, now with social innovation), BC01 is reworded past the threshold."""
    blocks = register_blocks(mini_store)
    entries = block_map(blocks[str(fiche_iri("RNCP28720"))], blocks[str(fiche_iri("RNCP35080"))], register_idf(mini_store, blocks))
    assert [(e.kind, e.old, e.new) for e in entries] == [
        ("continues", ["RNCP28720BC02"], ["RNCP35080BC02"]),
        ("continues", ["RNCP28720BC03"], ["RNCP35080BC03"]),
        ("renamed", ["RNCP28720BC04"], ["RNCP35080BC04"]),
        ("disappeared", ["RNCP28720BC01"], []),
        ("new", [], ["RNCP35080BC01"]),
    ]
    renamed = entries[2]
    assert 0.3 <= renamed.score < 0.8 and {"conduite", "projet"} <= set(renamed.evidence)


def test_merge_and_split():
    old = [BlockText("O1", "Gérer la paie des salariés"), BlockText("O2", "Gérer la paie : déclarations sociales"),
           BlockText("O3", "Accueillir et orienter le public")]
    new = [BlockText("N1", "Gérer la paie des salariés et les déclarations sociales"),
           BlockText("N2", "Accueillir le public"), BlockText("N3", "Orienter le public")]
    kinds = {(e.kind, tuple(e.old), tuple(e.new)) for e in block_map(old, new)}
    assert ("merged", ("O1", "O2"), ("N1",)) in kinds
    assert ("split", ("O3",), ("N2", "N3")) in kinds


def test_the_build_stores_block_maps_and_the_command_reads_them(mini_build):
    block_mapped_store = mini_build.store
    store = OxigraphStore.open(block_mapped_store)
    graphs = {str(row["g"]) for row in store.query("SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s a ?c } }").rows}
    assert str(BLOCK_MAP_GRAPH) in graphs
    del store
    runner = CliRunner()
    result = runner.invoke(cli, ["block-map", "RNCP35080", "--store", str(block_mapped_store)])
    assert result.exit_code == 0, result.output
    assert "RNCP28720 → RNCP35080" in result.output and "renamed" in result.output
    rows = json.loads(runner.invoke(cli, ["block-map", "RNCP35080", "--json", "--store", str(block_mapped_store)]).output)
    assert {(r["kind"], r.get("oldCode"), r.get("newCode")) for r in rows} >= {("renamed", "RNCP28720BC04", "RNCP35080BC04")}
