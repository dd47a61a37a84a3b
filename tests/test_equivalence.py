"""The register-wide equivalence method: analysis, index, split, suggested links, the nearest command.

The measured figures (recall, MRR, baselines) are the benchmark's (benchmarks/equivalence.py), not
asserted here; these tests pin the facts the method must hold on real fiches of the mini graph.
"""

from __future__ import annotations

import io
import json

import numpy as np
import pytest
from click.testing import CliRunner
from rdflib import Literal

from certgraph.cli import cli
from certgraph.equivalence.analysis import tokens
from certgraph.equivalence.descriptors import Descriptor, read_descriptors, stated_links
from certgraph.equivalence.evaluate import split_links, usable_links
from certgraph.equivalence.index import FILTERS, METHOD, MODES, REVERSED, EquivalenceIndex, load_index
from certgraph.equivalence.suggest import Suggestion, suggest
from certgraph.ingest.equivalence import (
    SCORE_PROPERTY,
    Evidence,
    _decimal,
    nearest_pairs,
    suggestion_quads,
    unsupported_links,
    write_nearest,
)
from certgraph.queries import run_named
from certgraph.store import OxigraphStore, equivalence_path, write_nquads
from certgraph.text import fold
from certgraph.vocab import CG, ID, SIMILARITY_GRAPH, fiche_iri


def test_one_folding_for_ligatures():
    """The similarity code once turned "œuvre" into "uvre": every folder is now text.fold."""
    assert fold("Mise en œuvre") == "mise en oeuvre"
    assert tokens("Mise en Œuvre") == tokens("mise en oeuvre")


def test_manager_and_management_are_one_stem():
    assert tokens("Manager une équipe") == tokens("Management d'équipes")


@pytest.fixture(scope="module")
def descriptors(mini_store):
    return read_descriptors(mini_store)


def test_descriptors_read_the_reconciled_view(descriptors):
    d = descriptors["https://w3id.org/certgraph/id/rncp/35080"]
    assert d.number == "RNCP35080" and d.level == 7
    assert {code.rsplit("/", 1)[-1] for code in d.codes["rome"]} == {"K1206", "K1403", "K1802", "M1301", "M1302"}
    # NSF 330p with its group 330 and domains 33 and 3: broader codes are features too.
    assert {f.rsplit("/", 1)[-1] for f in d.features["nsf"]} >= {"330p", "330", "33"}
    assert sorted(d.blocks) == [f"RNCP35080BC0{i}" for i in range(1, 5)]
    assert d.end.isoformat() == "2025-11-18"


def test_the_split_is_deterministic_and_disjoint(mini_store, descriptors):
    links = usable_links(stated_links(mini_store), descriptors)
    assert ("https://w3id.org/certgraph/id/rncp/28720", "https://w3id.org/certgraph/id/rncp/35080") in links
    train, test = split_links(links)
    assert (train, test) == split_links(list(reversed(links)))
    assert not set(train) & set(test) and sorted(train + test) == links


def test_lineage_mode_finds_the_successor_and_content_mode_the_other_certifier(descriptors):
    index = EquivalenceIndex.build(descriptors)
    lineage = [number for number, _ in index.nearest("RNCP35080", "lineage")]
    assert lineage[0] in {"RNCP41336", "RNCP28720"}
    # The lineage mode looks forward: never an older fiche; the content mode sees every side.
    assert "RNCP28720" not in lineage and "RNCP5385" not in lineage
    content = [number for number, _ in index.nearest("RNCP35080", "content")]
    assert {"RNCP41336", "RNCP41296", "RNCP28720"} <= set(content)


def test_suggestions_find_a_hidden_predecessor(descriptors):
    """Hide RNCP28720 -> RNCP35080: the suggester proposes RNCP28720 back, from RNCP35080."""
    index = EquivalenceIndex.build(descriptors)
    found = suggest(index, predecessors={"RNCP41336", "RNCP28720", "RNCP5385"}, successors={"RNCP35080", "RNCP5385", "RNCP1611"},
                    min_score=0.0)
    assert Suggestion("RNCP28720", "RNCP35080", next(s.score for s in found if s.new == "RNCP35080")) in found


def test_a_stated_link_sharing_nothing_is_unsupported(descriptors):
    """Every mini fiche shares something with RNCP35080: a stranger (its own title, code and
    certifier) is added to stand for a register error."""
    stranger = Descriptor("https://w3id.org/certgraph/id/rncp/99999", "RNCP99999", titles=["Pilote de ligne"],
                          certifiers={"https://w3id.org/certgraph/id/org/siret/00000000000000"})
    stranger.codes["rome"].add("https://w3id.org/certgraph/id/rome/N2102")
    index = EquivalenceIndex.build({**descriptors, stranger.iri: stranger})
    iri = {d.number: d.iri for d in descriptors.values()}
    links = [(iri["RNCP28720"], iri["RNCP35080"]), (iri["RNCP35080"], stranger.iri)]
    assert unsupported_links(index, links) == [(iri["RNCP35080"], stranger.iri)]


def test_suggested_links_never_read_as_stated_links(mini_build, descriptors, queries):
    """A suggestion stored beside the facts changes no lineage answer and shows in lineage/suggested."""
    store = OxigraphStore.in_memory()
    store.load_nquads(mini_build.dump)
    store.add_quads(suggestion_quads([Suggestion("RNCP41296", "RNCP41336", 99.0)], Evidence(descriptors)))

    def numbers(name, column, **values):
        return {str(row[column]) for row in run_named(store, queries[name], values).rows if column in row}

    assert "RNCP41296" not in numbers("lineage/ancestors", "number", fiche="RNCP41336")
    assert "RNCP41296" not in numbers("lineage/members", "number", fiche="RNCP41336")
    assert "RNCP41296" not in numbers("lineage/links", "predecessorNumber", fiche="RNCP41336")
    assert "RNCP41336" not in numbers("lineage/descendants", "number", fiche="RNCP41296")
    assert numbers("lineage/suggested", "predecessorNumber", minScore="50") == {"RNCP41296"}


def test_the_build_saves_the_index_beside_the_store(mini_build):
    index = load_index(mini_build.store)
    assert equivalence_path(mini_build.store).exists()
    assert "RNCP35080" in index.numbers and index.meta["method"] == "equivalence-v1"


def test_nearest_command(mini_build):
    result = CliRunner().invoke(cli, ["nearest", "RNCP35080", "--mode", "lineage", "--json", "--store", str(mini_build.store)])
    assert result.exit_code == 0, result.output
    rows = json.loads(result.output)
    assert rows[0]["number"] == "RNCP41336"
    # The evidence: the codes and the certifier they share.
    assert "K1403" in rows[0]["rome"] and rows[0]["certifier"] == ["19753471200017"]
    level = CliRunner().invoke(cli, ["nearest", "RNCP35080", "--level", "6", "--json", "--store", str(mini_build.store)])
    # The only level-6 fiche sharing anything with it: RNCP1611, the first of its lineage.
    assert level.exit_code == 0 and [r["number"] for r in json.loads(level.output)] == ["RNCP1611"]
    missing = CliRunner().invoke(cli, ["nearest", "RNCP99999999", "--store", str(mini_build.store)])
    assert missing.exit_code == 1 and "RNCP99999999 is not in the equivalence index" in missing.output


def test_mode_scores_are_the_term_by_term_sums(descriptors):
    """The build adds a mode's field terms as sparse matrices: the floats (and so the ranks and
    ties) must be those of adding every term in order on every candidate pair."""
    index = EquivalenceIndex.build(descriptors)
    rows = np.arange(len(index.numbers))
    weights = {mode: index.weights["lineage" if mode == "predecessor" else mode] for mode in ("content", "lineage", "predecessor")}
    found = index.mode_scores(rows, weights)
    products = index.field_scores(rows)
    pattern = sum(abs(m) for m in products.values()).tocoo()
    r, c = pattern.row[pattern.row != pattern.col], pattern.col[pattern.row != pattern.col]
    values = {name: np.asarray(m[r, c]).ravel().astype(np.float32) for name, m in products.items()}
    values.update(index.pair_scores(r, c))
    for mode, mode_weights in weights.items():
        if mode == "predecessor":
            mode_weights = {REVERSED.get(name, name): w for name, w in mode_weights.items()}
        keep = values[FILTERS[mode]] > 0 if mode in FILTERS else np.ones(len(r), dtype=bool)
        expected = np.zeros(int(keep.sum()), dtype=np.float32)
        for name, weight in mode_weights.items():
            expected += np.float32(weight) * values[name][keep]
        assert found[mode].nnz == len(expected) > 0
        assert np.array_equal(np.asarray(found[mode][r[keep], c[keep]]).ravel(), expected)


def test_parallel_nearest_is_the_serial_one(descriptors):
    index = EquivalenceIndex.build(descriptors)
    serial, forked = index.all_top(5, chunk=4, workers=1), index.all_top(5, chunk=4, workers=2)
    assert all(np.array_equal(serial[mode][i], forked[mode][i]) for mode in MODES for i in range(3))
    assert [(int(row), dict(found)) for row, found in index.all_nearest(5, chunk=4)][0][1]["content"] == list(
        zip(serial["content"][1][serial["content"][0] == 0].tolist(), serial["content"][2][serial["content"][0] == 0].tolist()))


def test_pair_lines_are_the_quads_rdflib_writes(descriptors, tmp_path):
    """The nearest pairs are written as N-Quads text without rdflib terms: the same lines as the
    quads written term by term."""
    index = EquivalenceIndex.build(descriptors)
    pairs = nearest_pairs(index.all_top(20), len(index.numbers))
    evidence = Evidence(descriptors)
    text = io.StringIO()
    count = write_nearest(pairs, index.numbers, evidence, text)
    quads = []
    for a, b, *scores in zip(pairs.left.tolist(), pairs.right.tolist(), *(pairs.scores[mode].tolist() for mode in MODES)):
        left, right = index.numbers[a], index.numbers[b]
        node = ID[f"similarity/{METHOD}/{left}/{right}"]
        quads += [(node, CG.left, fiche_iri(left), SIMILARITY_GRAPH), (node, CG.right, fiche_iri(right), SIMILARITY_GRAPH)]
        quads += [(node, SCORE_PROPERTY[mode], _decimal(score), SIMILARITY_GRAPH) for mode, score in zip(MODES, scores)
                  if not np.isnan(score)]
        if evidence.between(left, right):
            quads.append((node, CG.evidence, Literal(evidence.between(left, right)), SIMILARITY_GRAPH))
    write_nquads(quads, tmp_path / "reference.nq")
    assert count == len(quads) > 10
    assert text.getvalue() == (tmp_path / "reference.nq").read_text(encoding="utf-8")
    assert ' <https://w3id.org/certgraph/ontology#lineageScore> "' in text.getvalue()


def test_nearest_pairs_of_a_register_without_pairs_are_none():
    from certgraph.ingest.equivalence import nearest_pairs

    empty = (np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32))
    assert len(nearest_pairs({mode: empty for mode in MODES}, 1)) == 0
    one = (np.array([0, 1]), np.array([1, 0]), np.array([0.5, 0.25], dtype=np.float32))
    pairs = nearest_pairs({mode: one for mode in MODES}, 2)
    assert (list(pairs.left), list(pairs.right)) == ([0], [1])
    assert all(list(scores) == [0.25] for scores in pairs.scores.values())  # the later row's score
