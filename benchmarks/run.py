"""Benchmark certgraph against a plain rdflib graph on the real tables and on synthetic registers.

Usage: .venv/bin/python benchmarks/run.py [--sizes real,1000,10000,40000] [--runs 20]
                                           [--pyshacl-max 10000] [--no-rdflib] [--work DIR]

For each dataset (``real`` = every input of ``data/``; a number = a synthetic XML register of that
many fiches, seed 1, written by ``certgraph synth``) it prints one table:

- build: certgraph's build (read, map, load into the on-disk store, search index) in a child
  process, with its peak RSS; beside it the rdflib baseline: the same reading and mapping, then the
  quads parsed into an rdflib Dataset (child process, its own peak RSS); and the anchor: the
  engine's own bulk loader (``oxigraph load``, the store's command-line tool) given the build's
  N-Quads dump, nothing else: what loading these quads costs before anything is read or computed;
- validation: the shapes as SPARQL on the store, beside pyshacl on an rdflib graph (child process;
  skipped above ``--pyshacl-max`` fiches), and whether both found identical findings;
- every named query: p50/p95 on the store, beside the same bound query on the rdflib Dataset;
- text search: the full-text index (named query ``search/competencies``) beside a CONTAINS scan
  on rdflib, over words drawn from the register's own competencies.

Timings are wall-clock on this machine; nothing here is a pass/fail test.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from certgraph.queries import load_queries, run_named
from certgraph.store import OxigraphStore, RdflibStore, index_path
from certgraph.validate import validate_store

REPO = Path(__file__).resolve().parent.parent

BUILD = """
import json, sys, time
from benchmarks_peak import peak_mb
from pathlib import Path
from certgraph.ingest.build import build
exports = [Path(p) for p in sys.argv[4:]]
started = time.perf_counter()
report = build(Path(sys.argv[1]), Path(sys.argv[2]), Path(sys.argv[3]), exports=exports)
print(json.dumps({"seconds": time.perf_counter() - started, "quads": report.quads, "fiches": report.fiches,
                  "timings": report.timings, "rss_mb": peak_mb()}))
"""

RDFLIB_PARSE = """
import json, sys, time
from benchmarks_peak import peak_mb
from rdflib import Dataset
started = time.perf_counter()
dataset = Dataset()
dataset.parse(sys.argv[1], format="nquads")
print(json.dumps({"seconds": time.perf_counter() - started, "triples": len(dataset),
                  "rss_mb": peak_mb()}))
"""

PYSHACL = """
import json, sys, time
from benchmarks_peak import peak_mb
from rdflib import Dataset, Graph
from rdflib.plugins.sparql import processor
from certgraph.validate import validate_pyshacl

# pyshacl hands rdflib the same constraint query for every focus node, and rdflib parses it again
# each time (most of pyshacl's time on a register): each text is parsed and translated once here,
# as rdflib's own prepareQuery would, and evaluated as before.
prepared, query = {}, processor.SPARQLProcessor.query
def query_once_parsed(self, text, initBindings=None, initNs=None, base=None, DEBUG=False):
    if isinstance(text, str):
        key = (text, base, tuple(sorted((initNs or {}).items())))
        if key not in prepared:
            prepared[key] = processor.translateQuery(processor.parseQuery(text), base, initNs)
        text = prepared[key]
    return query(self, text, initBindings or {}, initNs, base, DEBUG)
processor.SPARQLProcessor.query = query_once_parsed
started = time.perf_counter()
dataset = Dataset()
dataset.parse(sys.argv[1], format="nquads")
graph = Graph()
for s, p, o, _g in dataset.quads():
    graph.add((s, p, o))
del dataset
parsed = time.perf_counter() - started
report = validate_pyshacl(graph)
print(json.dumps({"parse": parsed, "seconds": report.seconds, "findings": [vars(f) for f in report.findings],
                  "rss_mb": peak_mb()}))
"""

CONTAINS = """
PREFIX cg: <https://w3id.org/certgraph/ontology#>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
SELECT DISTINCT ?c WHERE { ?c a cg:Competency ; rdfs:label ?label .
  FILTER(CONTAINS(LCASE(STR(?label)), LCASE(%s))) } LIMIT 100
"""


# Peak memory of a child: VmHWM, reset at exec (ru_maxrss is not, so a child of a big parent would
# report the parent's peak).
PEAK = """
def peak_mb():
    with open("/proc/self/status") as status:
        return next(int(line.split()[1]) for line in status if line.startswith("VmHWM")) / 1024
"""


def child(script: str, *args: str) -> dict:
    """Run ``script`` in a fresh interpreter and return the JSON it prints last."""
    script = script.replace("from benchmarks_peak import peak_mb", PEAK)
    done = subprocess.run([sys.executable, "-c", script, *map(str, args)], capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"child failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def engine_load(dump: Path, work: Path) -> dict | None:
    """``oxigraph load --lenient`` of ``dump`` into a fresh store: its seconds and peak RSS; None
    without the ``oxigraph`` command beside this Python (``pip install oxigraph``)."""
    command = Path(sys.executable).parent / "oxigraph"
    if not command.exists():
        return None
    location = work / "engine-load"
    shutil.rmtree(location, ignore_errors=True)
    started = time.perf_counter()
    process = subprocess.Popen([str(command), "load", "--lenient", "--location", str(location), "--file", str(dump)],
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(process.pid, 0)
    seconds = time.perf_counter() - started
    process.returncode = os.waitstatus_to_exitcode(status)
    error = process.stderr.read().decode(errors="replace")
    process.stderr.close()
    shutil.rmtree(location, ignore_errors=True)
    if process.returncode != 0:
        raise SystemExit(f"oxigraph load failed on {dump}:\n{error[-3000:]}")
    return {"seconds": seconds, "rss_mb": usage.ru_maxrss / 1024}


def timed(call, runs: int) -> tuple[float, float]:
    """p50 and p95 of ``runs`` calls, in milliseconds."""
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        call()
        samples.append((time.perf_counter() - started) * 1000)
    samples.sort()
    return statistics.median(samples), samples[min(len(samples) - 1, round(0.95 * (len(samples) - 1)))]


def words_to_search(store: OxigraphStore, count: int = 40) -> list[str]:
    """Real words of the register's competencies (5+ letters), drawn reproducibly."""
    rows = store.select_lexical(
        "PREFIX cg: <https://w3id.org/certgraph/ontology#> PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>"
        " SELECT ?l WHERE { ?c a cg:Competency ; rdfs:label ?l } LIMIT 5000"
    )
    words = sorted({w.lower() for (label,) in rows for w in label.split() if w.isalpha() and len(w) >= 5})
    return random.Random(1).sample(words, min(count, len(words))) or ["gestion"]


PICKS = """
PREFIX cg: <https://w3id.org/certgraph/ontology#>
PREFIX dcterms: <http://purl.org/dc/terms/>
SELECT ?left ?right WHERE { ?f dcterms:replaces ?o ; dcterms:hasPart ?b ; cg:number ?left . ?o cg:number ?right } LIMIT 1
"""
FREQUENT = """
PREFIX cg: <https://w3id.org/certgraph/ontology#>
SELECT ?c (COUNT(DISTINCT ?f) AS ?n) WHERE { ?f cg:%s ?c } GROUP BY ?c ORDER BY DESC(?n) LIMIT 1
"""


def synthetic_values(store: OxigraphStore) -> dict[str, str]:
    """Parameters that exist in a synthetic register: a fiche with blocks and a predecessor, the most
    frequent ROME, NSF and Formacode codes, the most frequent certifier (the examples are real fiches)."""
    left, right = next(store.select_lexical(PICKS), ("RNCP100000", "RNCP100001"))
    values = {"fiche": left, "left": left, "right": right}
    for param, prop in (("rome", "rome"), ("nsf", "nsf"), ("formacode", "formacode")):
        code = next(store.select_lexical(FREQUENT % prop), (None,))[0]
        if code:
            values[param] = code.rsplit("/", 1)[-1]
    certifier = next(store.select_lexical(FREQUENT % "certifier"), (None,))[0]
    siret = next(store.select_lexical(f"PREFIX cg: <https://w3id.org/certgraph/ontology#> SELECT ?s WHERE {{ <{certifier}> cg:siret ?s }}"), (None,))[0] if certifier else None
    if siret:
        values["certifier"] = siret
    return values


def ratio(ours: float, theirs: float | None) -> str:
    return f"{theirs / ours:.0f}×" if theirs and ours else "–"


def row(what: str, ours: str, theirs: str = "–", times: str = "–") -> None:
    print(f"| {what} | {ours} | {theirs} | {times} |")


def bench(name: str, work: Path, args, queries) -> None:
    data, exports = REPO / "data", []
    if name != "real":
        export = work / f"synth-{name}"
        if not export.exists():
            subprocess.run([str(Path(sys.executable).parent / "certgraph"), "synth", "--fiches", name, "--seed", "1", "-o",
                            str(export)], check=True, capture_output=True)
        exports = sorted(export.glob("*.xml"))
    store_path, dump = work / f"store-{name}", work / f"store-{name}.nq"
    if args.queries_only:
        store = OxigraphStore.open(store_path)
        print(f"\n### {name} ({len(store):,} quads; named queries of {args.queries or 'this checkout'})\n")
        print("| measure | certgraph (pyoxigraph) | rdflib baseline | ratio |")
        print("| --- | --- | --- | --- |")
        time_queries(store, name, args, queries, None, None)
        return
    built = child(BUILD, data, store_path, dump, *exports)
    print(f"\n### {name} ({built['fiches']:,} fiches, {built['quads']:,} quads)\n")
    print("| measure | certgraph (pyoxigraph) | rdflib baseline | ratio |")
    print("| --- | --- | --- | --- |")
    steps = ", ".join(f"{step} {seconds:.1f}" for step, seconds in built["timings"].items())
    print(f"<!-- build steps (s): {steps} -->")
    read_map = built["timings"]["read"] + built["timings"]["map"]
    baseline = child(RDFLIB_PARSE, dump) if args.rdflib else None
    base_build = read_map + baseline["seconds"] if baseline else None
    row("build (s)", f"{built['seconds']:.1f}", f"{base_build:.1f}" if base_build else "–", ratio(built["seconds"], base_build))
    row("build peak RSS (MB)", f"{built['rss_mb']:.0f}", f"{baseline['rss_mb']:.0f}" if baseline else "–")
    anchor = engine_load(dump, work)
    if anchor:
        row("anchor: the engine's own loader, `oxigraph load` of the build's dump alone (s, peak RSS)",
            f"{built['seconds']:.1f} (the whole build), {built['rss_mb']:.0f} MB",
            f"{anchor['seconds']:.1f}, {anchor['rss_mb']:.0f} MB", f"{built['seconds'] / anchor['seconds']:.1f}× its time")

    store = OxigraphStore.open(store_path)
    started = time.perf_counter()
    report = validate_store(store)
    ours_validation = time.perf_counter() - started
    shacl = None
    if built["fiches"] <= args.pyshacl_max:
        shacl = child(PYSHACL, dump)
    identical = "–"
    if shacl is not None:
        ours = sorted(json.dumps(vars(f), sort_keys=True) for f in report.findings)
        theirs = sorted(json.dumps(f, sort_keys=True) for f in shacl["findings"])
        identical = "identical" if ours == theirs else "DIFFERENT"
        for side, only in (("certgraph only", set(ours) - set(theirs)), ("pyshacl only", set(theirs) - set(ours))):
            for finding in sorted(only)[:5]:
                print(f"{side}: {finding}", file=sys.stderr)
    row("validation (s)", f"{ours_validation:.1f}", f"{shacl['seconds']:.1f} (+{shacl['parse']:.0f} parse)" if shacl else "skipped",
        ratio(ours_validation, shacl["seconds"] if shacl else None))
    row(f"validation findings ({identical})", f"{len(report.findings):,}", f"{len(shacl['findings']):,}" if shacl else "–")

    reference = RdflibStore.from_nquads(dump) if args.rdflib else None
    time_queries(store, name, args, queries, reference, index_path(store_path))


def time_queries(store, name: str, args, queries, reference, index) -> None:
    """Rows of every named query (p50/p95), beside rdflib's when ``reference``, and of text search."""
    ours_total = theirs_total = 0.0
    picked = synthetic_values(store) if name != "real" else {}
    for query_name, query in queries.items():
        values = {k: picked.get(k, v) for k, v in query.example_values().items()}
        p50, p95 = timed(lambda: run_named(store, query, values), args.runs)
        theirs = None
        if reference is not None:
            theirs, _ = timed(lambda: run_named(reference, query, values, index=index), max(1, args.runs // 10))
            ours_total, theirs_total = ours_total + p50, theirs_total + theirs
        row(f"`{query_name}` p50 / p95 (ms)", f"{p50:.1f} / {p95:.1f}", f"{theirs:.1f}" if theirs else "–", ratio(p50, theirs))
    # The broadest listings: a one-digit NSF domain, a ROME domain, the EQF level with most fiches.
    for query_name, param, value in (("codes/by-nsf", "nsf", picked.get("nsf", "332")[:1]),
                                     ("codes/by-rome", "rome", picked.get("rome", "K1403")[:3]), ("fiche/by-level", "level", "6")):
        values = {**{k: picked.get(k, v) for k, v in queries[query_name].example_values().items()}, param: value}
        p50, p95 = timed(lambda: run_named(store, queries[query_name], values), args.runs)
        row(f"`{query_name}` {param} {value} p50 / p95 (ms)", f"{p50:.1f} / {p95:.1f}")
    if reference is not None:
        row("whole query suite, sum of p50 (ms)", f"{ours_total:.0f}", f"{theirs_total:.0f}", ratio(ours_total, theirs_total))

    search = queries["search/competencies"]
    words = words_to_search(store)
    samples = []
    for word in words:
        samples.append(timed(lambda: run_named(store, search, {"text": word}), 3)[0])
    samples.sort()
    p50, p95 = statistics.median(samples), samples[round(0.95 * (len(samples) - 1))]
    theirs = None
    if reference is not None:
        theirs = statistics.median(timed(lambda: reference.query(CONTAINS % json.dumps(w)), 1)[0] for w in words[:5])
    row(f"text search p50 / p95 (ms), {len(words)} words", f"{p50:.1f} / {p95:.1f}", f"{theirs:.1f} (CONTAINS)" if theirs else "–", ratio(p50, theirs))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="real,1000,10000,40000", help="comma-separated: real and/or fiche counts")
    parser.add_argument("--runs", type=int, default=20, help="runs per named query on the store")
    parser.add_argument("--pyshacl-max", type=int, default=10_000, help="skip pyshacl above this many fiches")
    parser.add_argument("--no-rdflib", dest="rdflib", action="store_false",
                        help="skip the rdflib baseline of the build and the queries (pyshacl still runs up to --pyshacl-max)")
    parser.add_argument("--work", type=Path, default=None, help="folder for exports and stores (default: a temp dir)")
    parser.add_argument("--queries-only", action="store_true",
                        help="time the named queries on the stores already in --work, without building them")
    parser.add_argument("--queries", type=Path, default=None,
                        help="read the named queries from this folder (say, an older checkout's queries/) instead")
    args = parser.parse_args()
    work = args.work or Path(tempfile.mkdtemp(prefix="certgraph-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    queries = load_queries(args.queries)
    for name in args.sizes.split(","):
        bench(name.strip(), work, args, queries)


if __name__ == "__main__":
    main()
