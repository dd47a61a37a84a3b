"""Equivalence benchmark: the method against the register's stated lineage links, beside two baselines.

Usage: .venv/bin/python benchmarks/equivalence.py [--store build/store] [--tune] [--scale 40000]

On a built store (``make build``) it prints, in one run:

- **Successor retrieval** on the held-out test split of stated links (``evaluate.split_links``,
  seed 2026, 10 %; never used to tune): recall@1, recall@10 and MRR of the stated successor in the
  old fiche's ranking of every other fiche, for the content mode, the lineage mode, the
  rarity-weighted code-and-certifier overlap and the peer method (mcp-rncp's
  ``compare_certifications`` as described: mean Jaccard of NSF, ROME and block skill terms).
- **Block maps**: over the lineage links whose register states official block correspondences
  (the XML export), the share of official block pairs the block alignment recovers.
- **Suggested links**: the test links hidden, the suggester run on the fiches they left without a
  predecessor; precision and recall at ``suggest.MIN_SCORE``. The threshold is chosen on the
  training split the same way (as many of its links hidden, seed 2026): the lowest margin keeping
  precision at 0.9.
- **Cost**: index build time and peak memory, on this register and on a register of ``--scale``
  fiches (the real descriptors repeated under new numbers, each copy's titles and codes as the
  original's: a size test, not a quality one); ``nearest`` p50/p95 over 300 fiches.

``--tune`` re-tunes the field weights of both modes on the training split (seeded random search)
and prints them: they are ``index.WEIGHTS``. Nothing here is a pass/fail test.
"""

from __future__ import annotations

import argparse
import copy
import datetime as dt
import platform
import random
import resource
import statistics
import sys
import time
import tracemalloc
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))


from certgraph.equivalence import evaluate as ev  # noqa: E402
from certgraph.equivalence.analysis import tokens  # noqa: E402
from certgraph.equivalence.blocks import align, block_idf  # noqa: E402
from certgraph.equivalence.descriptors import read_descriptors, stated_links  # noqa: E402
from certgraph.equivalence.index import EquivalenceIndex, StartMap  # noqa: E402
from certgraph.equivalence.suggest import MIN_SCORE, suggest  # noqa: E402
from certgraph.queries import internal_query  # noqa: E402
from certgraph.store import OxigraphStore, lexical_rows  # noqa: E402


def table(header: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    return "\n".join(lines + ["| " + " | ".join(row) + " |" for row in rows])


def retrieval(index, descriptors, test, usable) -> list[ev.Retrieval]:
    position = {iri: i for i, iri in enumerate(index.iris)}
    methods = {
        "certgraph content mode": lambda rows: index.scores(rows, "content"),
        "certgraph lineage mode": lambda rows: index.scores(rows, "lineage"),
        "baseline: code + certifier overlap (IDF)": ev.code_overlap_baseline(index, descriptors),
        "baseline: peer (mcp-rncp Jaccard)": ev.peer_baseline(index, descriptors),
    }
    return [ev.retrieval(name, ev.successor_ranks(score, position, test, usable)) for name, score in methods.items()]


def hidden_run(index, descriptors, links, hidden):
    """Suggestions for the fiches that hiding ``hidden`` leaves without a predecessor, all scores
    kept (threshold 0): [(score, correct)] per suggestion, and the number of hidden links."""
    number = {iri: d.number for iri, d in descriptors.items()}
    kept = set(links) - set(hidden)
    predecessors = {number[new] for _, new in kept}
    successors = {number[old] for old, _ in kept}
    orphans = sorted({number[new] for _, new in hidden} - predecessors)
    truth = defaultdict(set)
    for old, new in hidden:
        truth[number[new]].add(number[old])
    found = suggest(index, predecessors, successors, min_score=0.0, fiches=orphans)
    return [(s.score, s.old in truth[s.new]) for s in found], sum(len(truth[n]) for n in orphans)


def at_threshold(scored, total, threshold):
    chosen = [ok for score, ok in scored if score >= threshold]
    precision = sum(chosen) / len(chosen) if chosen else 1.0
    return precision, sum(chosen) / (total or 1), len(chosen)


def choose_threshold(scored, precision=0.9) -> float:
    """The lowest score at or above which the suggestions keep ``precision``."""
    best, correct = None, 0
    for i, (score, ok) in enumerate(sorted(scored, key=lambda pair: -pair[0]), 1):
        correct += ok
        if correct / i >= precision:
            best = score
    return best if best is not None else float("inf")


def block_recovery(store, descriptors) -> tuple[int, int, int]:
    """(official block pairs, recovered by the alignment, lineage links with official pairs)."""
    idf = block_idf(tokens(b.document()) for d in descriptors.values() for b in d.blocks.values())
    blocks = {iri: [b for _, b in sorted(d.blocks.items())] for iri, d in descriptors.items()}
    links = set(stated_links(store))
    official = defaultdict(set)
    for asserter, other, source, target in lexical_rows(store, internal_query("equivalence/official-block-pairs").bind()):
        pair = (asserter, other) if (asserter, other) in links or (other, asserter) in links else None
        if pair and source and target:
            official[pair].add((source.rsplit("/", 1)[-1], target.rsplit("/", 1)[-1]))
    total = found = 0
    for (a, b), pairs in official.items():
        left, right = blocks.get(a, []), blocks.get(b, [])
        if not left or not right:
            continue
        result = align(left, right, idf)
        aligned = {(result.left[i].code, result.right[j].code) for i, j in result.pairs}
        aligned |= {(y, x) for x, y in aligned}
        total += len(pairs)
        found += sum(1 for pair in pairs if pair in aligned)
    return total, found, len(official)


def scaled(descriptors, size: int):
    """``size`` descriptors: the real ones, then copies under new numbers (RNCP9xxxxx)."""
    real = list(descriptors.values())
    result = {d.iri: d for d in real}
    i = 0
    while len(result) < size:
        copy_ = copy.copy(real[i % len(real)])
        copy_.number = f"RNCP{900000 + i}"
        copy_.iri = f"https://w3id.org/certgraph/id/rncp/{900000 + i}"
        result[copy_.iri] = copy_
        i += 1
    return result


def cost(descriptors, start_map, label: str) -> list[str]:
    tracemalloc.start()
    clock = time.perf_counter()
    index = EquivalenceIndex.build(descriptors, start_map)
    build_seconds = time.perf_counter() - clock
    peak = tracemalloc.get_traced_memory()[1] / 2**20
    tracemalloc.stop()
    clock = time.perf_counter()
    for _ in index.all_nearest(20):
        pass
    top_seconds = time.perf_counter() - clock
    rng = random.Random(ev.SEED)
    times = []
    for number in rng.sample(index.numbers, 300):
        clock = time.perf_counter()
        index.filtered_nearest(number, "lineage", 20)
        times.append((time.perf_counter() - clock) * 1000)
    p95 = statistics.quantiles(times, n=20)[-1]
    return [label, str(len(index.numbers)), f"{build_seconds:.1f}", f"{top_seconds:.1f}", f"{peak:.0f}",
            f"{statistics.median(times):.1f}", f"{p95:.1f}"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--store", type=Path, default=ROOT / "build" / "store")
    parser.add_argument("--tune", action="store_true")
    parser.add_argument("--scale", type=int, default=40_000)
    args = parser.parse_args()
    store = OxigraphStore.open(args.store)
    clock = time.perf_counter()
    descriptors = read_descriptors(store)
    links = stated_links(store)
    read_seconds = time.perf_counter() - clock
    usable = ev.usable_links(links, descriptors)
    train, test = ev.split_links(usable)
    start_map = StartMap.fit((descriptors[new].number, descriptors[old].end) for old, new in train if descriptors[old].end)
    index = EquivalenceIndex.build(descriptors, start_map)
    print(f"# Equivalence benchmark, {dt.date.today()}, {platform.machine()} {platform.processor() or ''} "
          f"Python {platform.python_version()}, {len(descriptors)} fiches read in {read_seconds:.1f} s")
    print(f"\nStated links: {len(links)}; with content on both sides: {len(usable)}; "
          f"train {len(train)}, test {len(test)} (seed {ev.SEED})")
    if args.tune:
        tuning = ev.tuning_set(index, train, usable, limit=1500)
        allowed = {"content": ["title", "blocks", "rome", "nsf", "formacode", "hierarchy", "level"]}
        for mode in ("content", "lineage"):
            names = allowed.get(mode, tuning.fields)
            fixed = ev.LINEAGE_FILTER if mode == "lineage" else {}
            names = [name for name in names if name not in fixed and name != "register"]
            weights = ev.tune(tuning, {name: 1.0 for name in names}, iterations=1000, fixed=fixed)
            print(f"\ntuned {mode} (training MRR {tuning.mrr({**weights, **fixed}):.3f}): {weights}")
            index.weights[mode] = weights
    print("\n## Successor retrieval (test split)\n")
    print(table(["method", "links", "recall@1", "recall@10", "MRR"], [r.row() for r in retrieval(index, descriptors, test, usable)]))

    print("\n## Suggested links (hidden links)\n")
    # 10 % of the training links hidden (as many as the test split), the rest kept as stated.
    hidden_train = sorted(random.Random(ev.SEED).sample(train, len(test)))
    scored_train, total_train = hidden_run(index, descriptors, usable, hidden_train)
    threshold = choose_threshold(scored_train)
    scored, total = hidden_run(index, descriptors, usable, test)
    rows = []
    for label, value in (("chosen on train", threshold), ("suggest.MIN_SCORE", MIN_SCORE)):
        precision, recall, count = at_threshold(scored, total, value)
        rows.append([label, f"{value:.2f}", str(count), f"{precision:.3f}", f"{recall:.3f}"])
    print(table(["threshold", "score", "suggestions", "precision", "recall"], rows))
    print(f"\n({total} hidden test links; threshold chosen on {total_train} hidden training links)")

    print("\n## Block maps (official correspondences)\n")
    official, recovered, pairs = block_recovery(store, descriptors)
    print(f"{pairs} lineage links with official block pairs: {recovered} of {official} official pairs aligned "
          f"({recovered / (official or 1):.1%})")

    print("\n## Cost\n")
    rows = [cost(descriptors, start_map, "this register")]
    if args.scale > len(descriptors):
        rows.append(cost(scaled(descriptors, args.scale), start_map, "scaled register"))
    print(table(["register", "fiches", "index build s", "all top-20 (both modes) s", "peak MB (index)",
                 "nearest p50 ms", "nearest p95 ms"], rows))
    print(f"\nmax RSS of this run: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")


if __name__ == "__main__":
    main()
