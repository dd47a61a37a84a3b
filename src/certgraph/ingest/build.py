"""Build the graph: read every input of ``data/manifest.yaml``, resolve across sources, fill the store.

The flow is one way: sources → records → (resolution) → quads → N-Quads file → store, then the
derived graphs computed from the store itself (hierarchy, equivalence index, block maps, summary). A bad input is a reported problem, never a
lost build; ``strict=True`` turns any problem of this build's inputs into a failure. A build never
replaces a good store with a worse one: one that read no fiche, or fewer than half the fiches of
the store it would replace, fails and leaves that store as it was, unless ``force=True``.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import itertools
import multiprocessing
import os
import re
import shutil
import time
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import yaml
from rdflib import Graph

from ..errors import CertgraphError
from ..queries import internal_query
from ..records import Concept, Loaded, Problem, SourceRef
from ..resources import ontology_path
from ..search import store_fingerprint
from ..sources.brochure import read_programme_brochure, read_programme_web_page
from ..sources.certifinfo import read_certifinfo
from ..sources.codelists import (
    nsf_code_is_valid,
    read_formacode,
    read_nsf,
    read_rome,
    split_nsf,
)
from ..sources.curated import read_curated_facts
from ..sources.fc_csv import read_fc_export
from ..sources.fc_xml import read_fc_xml
from ..sources.fiche_page import read_fiche_page
from ..sources.rncp_2021 import read_rncp_info_2021
from ..sources.rome_esco import read_rome_esco
from ..store import OxigraphStore, StoreError, equivalence_path, index_path, write_nquads
from ..text import fold
from ..vocab import ONTOLOGY_GRAPH, Quad
from . import graph as mapping
from .equivalence import EquivalenceReport, build_equivalence
from .graph import Resolution
from .hierarchy import hierarchy_quads
from .listings import listing_lines
from .reconcile import (
    conflict_quads,
    coverage,
    current_quads,
    reconcile,
    status_claim_quads,
)
from .search_index import BackgroundIndex, build_index, stamp_fingerprint
from .snapshots import (
    Snapshot,
    is_xml_export,
    next_states,
    snapshot_from_loaded,
    snapshot_quads,
)
from .summaries import summary_quads

Progress = Callable[[str], None]


class BuildError(CertgraphError):
    """The build could not run, found problems while ``strict``, or would replace a store with a worse one."""


@dataclass
class BuildReport:
    """What a build did: counts, timings (seconds), problems and missing export tables."""

    store: Path
    dump: Path | None
    quads: int = 0
    fiches: int = 0
    sources: int = 0
    equivalence: EquivalenceReport = field(default_factory=EquivalenceReport)
    problems: list[Problem] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)
    snapshots: list[str] = field(default_factory=list)
    # The reconciled view (reconcile.py): per register, fiches known / with a title / with a level;
    # how many fields the sources disagree on; lineage links superseded by a newer table.
    coverage: dict[str, dict[str, int]] = field(default_factory=dict)
    conflicts: int = 0
    superseded_links: int = 0


def _source(entry: dict, data_dir: Path) -> SourceRef:
    issued = entry.get("issued")
    return SourceRef(
        key=entry["key"],
        path=entry["path"],
        title=entry.get("title", entry["path"]),
        issued=issued if isinstance(issued, dt.date) else None,
        publisher=entry.get("publisher"),
        licence=entry.get("licence"),
        origin=entry.get("origin"),
    )


def _tables_filter(loaded: Loaded, tables: list[str] | None) -> Loaded:
    """Keep only the records of the named export tables (all of them when ``tables`` is empty)."""
    if not tables:
        return loaded
    wanted = {_fold(t) for t in tables}

    def keep(source: SourceRef | None) -> bool:
        return source is not None and any(w in _fold(source.key) for w in wanted)

    kept = Loaded(problems=loaded.problems, missing=[m for m in loaded.missing if _fold(m) in wanted])
    kept.fiches = [f for f in loaded.fiches if keep(f.source)]
    kept.sources = [s for s in loaded.sources if keep(s)]
    return kept


def _read_fc_export(path: Path, entry: dict, data_dir: Path) -> Loaded:
    return _tables_filter(read_fc_export(path, root=data_dir), entry.get("tables"))


def _read_fc_xml(path: Path, entry: dict, data_dir: Path) -> Loaded:
    issued = entry.get("issued")
    return read_fc_xml(path, issued=issued if isinstance(issued, dt.date) else None, data_dir=data_dir)


# reader name in manifest.yaml -> (path, manifest entry, data folder) -> records
READERS: dict[str, Callable[[Path, dict, Path], Loaded]] = {
    "fiche_page": lambda path, entry, data_dir: read_fiche_page(path, _source(entry, data_dir)),
    "programme_brochure": lambda path, entry, data_dir: read_programme_brochure(path, _source(entry, data_dir)),
    "programme_web_page": lambda path, entry, data_dir: read_programme_web_page(path, _source(entry, data_dir)),
    "curated": lambda path, entry, data_dir: read_curated_facts(path, _source(entry, data_dir)),
    "fc_export": _read_fc_export,
    "fc_xml": _read_fc_xml,
    "rncp_info_2021": lambda path, entry, data_dir: read_rncp_info_2021(path, root=data_dir),
    "certifinfo": lambda path, entry, data_dir: read_certifinfo(path, root=data_dir),
    "rome": lambda path, entry, data_dir: read_rome(path, root=data_dir),
    "nsf": lambda path, entry, data_dir: read_nsf(path, root=data_dir),
    "formacode": lambda path, entry, data_dir: read_formacode(path, root=data_dir),
    "rome_esco": lambda path, entry, data_dir: read_rome_esco(path, root=data_dir),
}


def _fold(text: str) -> str:
    """Letters and digits only, folded: table names and titles compare whatever their accents."""
    return re.sub(r"[^a-z0-9]+", "", fold(text))


def read_manifest(data_dir: Path) -> list[dict]:
    """The inputs listed in ``data_dir/manifest.yaml``; raises BuildError when unusable."""
    path = data_dir / "manifest.yaml"
    try:
        entries = (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get("inputs") or []
    except (OSError, yaml.YAMLError) as exc:
        raise BuildError(f"cannot read {path}: {exc}") from exc
    for index, entry in enumerate(entries, start=1):
        if not isinstance(entry, dict) or entry.get("reader") not in READERS or not entry.get("path"):
            raise BuildError(f"{path}: input #{index} needs a path and a reader among {sorted(READERS)}")
    return entries


# Readers whose input is a dated export of the register: each becomes a snapshot.
SNAPSHOT_READERS = {"fc_export", "fc_xml"}
# Readers of the reference code lists, which a build from ``--export`` files keeps.
REFERENCE_READERS = {"rome", "nsf", "formacode", "rome_esco"}


def export_entries(data_dir: Path, exports: Iterable[Path]) -> list[dict]:
    """The manifest's code lists followed by the given exports (XML or CSV, file, folder or zip)."""
    entries = [entry for entry in read_manifest(data_dir) if entry["reader"] in REFERENCE_READERS]
    for export in exports:
        path = Path(export).resolve()
        if not path.exists():
            raise BuildError(f"{export}: no such export file or folder")
        entries.append({"reader": "fc_xml" if is_xml_export(path) else "fc_export", "path": str(path)})
    return entries


def load_inputs(
    data_dir: Path, progress: Progress = lambda _: None, entries: list[dict] | None = None
) -> tuple[list[tuple[dict, Loaded]], list[Problem]]:
    """Read every input (of the manifest unless ``entries`` are given), each with its manifest entry.

    An input that fails outright is a problem; the others still load.
    """
    results, problems = [], []
    for entry in read_manifest(data_dir) if entries is None else entries:
        path = data_dir / entry["path"]
        started = time.perf_counter()
        if not path.exists():
            problems.append(Problem(entry["path"], "input listed in manifest.yaml is missing", severity="error"))
            continue
        try:
            loaded = READERS[entry["reader"]](path, entry, data_dir)
        except Exception as exc:  # a reader bug must not lose the other inputs
            problems.append(Problem(entry["path"], f"{entry['reader']} reader failed: {exc!r}", severity="error"))
            continue
        loaded.missing = [f"{entry['path']}: {table}" for table in loaded.missing]
        results.append((entry, loaded))
        progress(
            f"read {entry['path']}: {len(loaded.fiches)} fiche records, {len(loaded.concepts)} concepts, "
            f"{len(loaded.programmes)} programmes, "
            f"{len(loaded.problems)} problems ({time.perf_counter() - started:.1f} s)"
        )
    return results, problems


def snapshots_and_facts(results: list[tuple[dict, Loaded]]) -> tuple[list[Snapshot], Loaded]:
    """Every export input as a dated snapshot (exports of one date make one), and the facts.

    An export entry's ``facts`` list restricts which of its tables become facts of the graph; the
    other tables still feed its snapshot (what the register said that day).
    """
    loaded, by_date = Loaded(), {}
    for entry, result in results:
        if entry["reader"] in SNAPSHOT_READERS:
            dates = sorted({source.issued for source in result.sources if source.issued})
            key = dates[-1] if dates else entry["path"]
            by_date.setdefault(key, []).append((entry, result))
            facts = _tables_filter(result, entry.get("facts"))
            # The sources stay described (the snapshot names them); only their records are left out.
            result = dataclasses.replace(result, fiches=facts.fiches)
        loaded.extend(result)
    snapshots = []
    for key, parts in by_date.items():
        merged = Loaded()
        for _entry, result in parts:
            merged.fiches += result.fiches
            merged.sources += result.sources
        snapshots.append(snapshot_from_loaded(merged, " + ".join(e["path"] for e, _ in parts)))
    return snapshots, loaded


# ------------------------------------------------------------------ resolution across sources


def _title_key(title: str) -> str:
    return _fold(title.replace("’", "'"))


def resolve(loaded: Loaded) -> tuple[Resolution, list[Problem]]:
    """Decisions that need several sources: title-only predecessors and curated registrations.

    A predecessor a page names only by title is linked to a numbered fiche when another source links
    the same fiche to that number and the number's title matches; otherwise it stays historical.
    """
    resolution, problems = Resolution(), []
    titles: dict[str, set[str]] = defaultdict(set)
    numbered_predecessors: dict[str, set[str]] = defaultdict(set)
    for fiche in loaded.fiches:
        for title in [fiche.title, *fiche.former_titles]:
            if title:
                titles[fiche.number].add(_title_key(title))
        for ref in fiche.predecessors:
            if ref.number:
                numbered_predecessors[fiche.number].add(ref.number)
        for ref in fiche.successors:
            if ref.number:
                numbered_predecessors[ref.number].add(fiche.number)
    for fiche in loaded.fiches:
        for ref in fiche.predecessors:
            if ref.number or not ref.title:
                continue
            matches = sorted(n for n in numbered_predecessors[fiche.number] if _title_key(ref.title) in titles[n])
            if len(matches) == 1:
                resolution.predecessor_by_title[(fiche.number, ref.title)] = matches[0]
            else:
                problems.append(
                    Problem(
                        fiche.source.path if fiche.source else "?",
                        f"predecessor named only by title {ref.title!r} "
                        + ("matches several fiches " + ", ".join(matches) if matches else "is confirmed by no other source")
                        + ": kept as an unnumbered historical certification",
                        fiche=fiche.number,
                    )
                )
    for fact in loaded.facts:
        if fact.property == "registration":
            value = fact.value
            key = (str(value["page"]).upper(), str(value["act_kind"]), value["act_date"])
            resolution.registration_owner[key] = fact
    return resolution, problems


def _nsf_extension(loaded: Loaded) -> list[Concept]:
    """Lettered NSF codes seen in the register but not in the 2021 list, when the code is valid."""
    known = {c.code for c in loaded.concepts if c.scheme == "nsf"}
    extra: dict[str, Concept] = {}
    for fiche in loaded.fiches:
        for ref in fiche.nsf:
            if ref.code in known or ref.code in extra or not nsf_code_is_valid(ref.code):
                continue
            group, _letter = split_nsf(ref.code)
            extra[ref.code] = Concept("nsf", ref.code, ref.label, kind="specialite", broader=[group], source=fiche.source)
    return list(extra.values())


# ------------------------------------------------------------------ quads


def graph_quads(loaded: Loaded, resolution: Resolution) -> Iterator[Quad]:
    """Every quad of the facts: provenance, schemes, concepts, fiches, programmes."""
    for source in loaded.sources:
        yield from mapping.source_quads(source)
    schemes = {c.scheme for c in loaded.concepts}
    yield from mapping.scheme_quads(sorted(schemes))
    for concept in loaded.concepts:
        yield from mapping.concept_quads(concept)
    for fiche in loaded.fiches:
        yield from mapping.fiche_quads(fiche, resolution)
    for programme in loaded.programmes:
        yield from mapping.programme_quads(programme)


# Fiches are mapped in parallel worker processes (forked: they share the records, nothing is
# pickled) once there are enough of them to repay the start-up; each writes its own N-Quads part.
PARALLEL_FROM = 2_000
_SHARED: tuple[Loaded, Resolution, int] | None = None


def _map_part(index: int, path: str) -> int:
    loaded, resolution, parts = _SHARED
    fiches = loaded.fiches[index::parts]
    return write_nquads((quad for fiche in fiches for quad in mapping.fiche_quads(fiche, resolution)), Path(path))


def map_to_files(
    loaded: Loaded, resolution: Resolution, snapshots: list[Snapshot], work: Path
) -> tuple[list[Path], int]:
    """Write every quad of the facts and the snapshots as N-Quads files in ``work``; returns them and the count."""
    global _SHARED
    first = work / "facts-0.nq"
    following = next_states(snapshots)
    workers = min(os.cpu_count() or 1, 4) if len(loaded.fiches) >= PARALLEL_FROM else 0
    if not workers:
        quads = itertools.chain(graph_quads(loaded, resolution), *(snapshot_quads(s, following) for s in snapshots))
        return [first], write_nquads(quads, first)
    parts = [work / f"facts-{i + 1}.nq" for i in range(workers)]
    _SHARED = (loaded, resolution, workers)
    try:
        with multiprocessing.get_context("fork").Pool(workers) as pool:
            pending = pool.starmap_async(_map_part, [(i, str(path)) for i, path in enumerate(parts)])
            rest = graph_quads(dataclasses.replace(loaded, fiches=[]), resolution)
            count = write_nquads(itertools.chain(rest, *(snapshot_quads(s, following) for s in snapshots)), first)
            count += sum(pending.get())
    finally:
        _SHARED = None
    return [first, *parts], count


# ------------------------------------------------------------------ the build


def stored_fiches(store: OxigraphStore) -> int:
    """How many fiches (RNCP and RS) a built store holds, as its summary counts them (``stats``)."""
    rows = store.query(internal_query("build/fiche-count").bind()).rows
    return int(rows[0]["fiches"].toPython()) if rows and "fiches" in rows[0] else 0


def _bundled_problems(results: list[tuple[dict, Loaded]], problems: list[Problem]) -> set[int]:
    """The ids of the problems of the code lists a build from exports takes from the data folder."""
    paths = {entry["path"] for entry, _ in results if entry["reader"] in REFERENCE_READERS}
    found = {id(p) for entry, result in results if entry["reader"] in REFERENCE_READERS for p in result.problems}
    return found | {id(p) for p in problems if p.source in paths}


def _first_error(problems: list[Problem]) -> str:
    """`` (first error: <problem>)`` for a refusal message, or nothing when no problem is an error."""
    error = next((p for p in problems if p.severity == "error"), None)
    return f" (first error: {error})" if error else ""


def _replacement_refusal(new_fiches: int, store_path: Path, problems: list[Problem]) -> str | None:
    """Why a build of ``new_fiches`` fiches may not replace the store at ``store_path``, or None when it may."""
    if not (store_path / "CURRENT").exists():
        return None
    try:
        old_fiches = stored_fiches(OxigraphStore.open(store_path, check_format=False))
    except StoreError:
        return None  # not a readable store: _swap_in decides whether it may be replaced
    if new_fiches * 2 >= old_fiches:
        return None
    return (
        f"the build has {new_fiches:,} fiches, fewer than half the {old_fiches:,} of the store it would replace"
        f"{_first_error(problems)}; {store_path} is kept as it was (--force replaces it anyway)"
    )


def build(
    data_dir: Path,
    store_path: Path,
    dump_path: Path | None = None,
    strict: bool = False,
    progress: Progress = lambda _: None,
    exports: Iterable[Path] = (),
    force: bool = False,
) -> BuildReport:
    """Rebuild the store at ``store_path`` from ``data_dir``, idempotently; write an N-Quads dump.

    With ``exports`` (XML or CSV exports of the register), the graph is those exports plus the code
    lists of ``data_dir``'s manifest, instead of every manifest input.

    The new store is built beside the old one and swapped in at the end, so a failed build leaves
    the previous store (and dump) untouched.

    :param strict: fail on any problem of this build's inputs: every input of the manifest, or with
        ``exports`` the exports (the code lists then come from the data folder and do not count).
    :param force: build even when no fiche was read, and replace a store with more than twice as
        many fiches as the build.
    :raises BuildError: when the manifest is unusable, when ``strict`` and a problem was found, and
        (unless ``force``) when no fiche was read or the store would lose more than half its fiches.
    """
    report = BuildReport(store=store_path, dump=dump_path)
    clock = time.perf_counter()
    entries = export_entries(data_dir, exports) if exports else None
    results, problems = load_inputs(data_dir, progress, entries)
    bundled = _bundled_problems(results, problems) if exports else set()
    snapshots, loaded = snapshots_and_facts(results)
    loaded.problems = problems + loaded.problems
    loaded.concepts += _nsf_extension(loaded)
    resolution, resolve_problems = resolve(loaded)
    loaded.problems += resolve_problems
    reconciled = reconcile(loaded.fiches, resolution)
    loaded.problems += reconciled.problems()
    report.coverage, report.conflicts = coverage(reconciled), len(reconciled.conflicts)
    report.superseded_links = len(reconciled.superseded_links)
    report.problems, report.missing = loaded.problems, loaded.missing
    report.snapshots = sorted(s.issued.isoformat() if s.issued else s.label for s in snapshots)
    report.fiches = len({f.number for f in loaded.fiches})
    report.sources = len(loaded.sources)
    report.timings["read"] = time.perf_counter() - clock
    named = [p for p in report.problems if id(p) not in bundled]
    if strict and named:
        raise BuildError(f"{len(named)} problem(s) in the inputs of this build (strict build); first: {named[0]}")
    if not report.fiches and not force:
        raise BuildError(
            f"the build read no fiche{_first_error(report.problems)}; "
            f"{store_path} is left as it was (--force builds it anyway)"
        )

    clock = time.perf_counter()
    work = store_path.with_name(store_path.name + ".building")
    if work.exists():
        shutil.rmtree(work)
    work.mkdir(parents=True)
    files, count = map_to_files(loaded, resolution, snapshots, work)
    files.append(work / "current.nq")
    derived_facts = (current_quads(reconciled), conflict_quads(reconciled), status_claim_quads(reconciled))
    count += write_nquads(itertools.chain(*derived_facts), files[-1])
    parallel = len(loaded.fiches) >= PARALLEL_FROM
    # Every record is in the N-Quads files now. Let go of them before the store and the equivalence
    # index fill the memory: on 40,000 fiches they hold 1.5 GB, and the build's peak came after.
    del results, loaded, snapshots, reconciled, resolution, derived_facts
    progress(f"mapped {count} quads, duplicates included, in {len(files)} part(s) ({time.perf_counter() - clock:.1f} s)")
    report.timings["map"] = time.perf_counter() - clock

    clock = time.perf_counter()
    store = OxigraphStore.create(work / "store")
    for part in files:
        store.load_nquads(part)
    store.load_file(ontology_path(), ONTOLOGY_GRAPH)
    report.timings["load"], clock = time.perf_counter() - clock, time.perf_counter()
    derived = hierarchy_quads(store)  # "this code or a narrower one" as one triple pattern
    store.add_quads(derived)
    # The listings' sort keys read the reconciled view and the hierarchy; a million lines on a
    # register, written as text and bulk-loaded like the equivalence graphs below.
    files.append(work / "listings.nq")
    with open(files[-1], "w", encoding="utf-8") as out:
        out.writelines(listing_lines(store, report.problems))
    store.load_nquads(files[-1], lenient=True)
    report.timings["derived"], clock = time.perf_counter() - clock, time.perf_counter()
    # The full-text index reads the facts and the reconciled view, all in the store by now: on a
    # register it is built by a second process, from a checkpoint of the store (hard links), while
    # this one computes the equivalence index (which the index does not read) and loads it; a small
    # build indexes at the end. Not from the store's own directory: the loads below compact it, and
    # a compaction deleted files the reader had yet to open (a failed build, seen once in the tests).
    background = None
    if parallel:
        store.checkpoint(work / "store-for-index")
        background = BackgroundIndex(work / "store-for-index", work / "search.sqlite")
    # The equivalence index reads the reconciled view and the hierarchy: built once both are in.
    # Millions of quads: written as N-Quads text and bulk-loaded (adding them term by term takes
    # minutes); the file is a part of the dump like the mapped ones.
    files.append(work / "equivalence.nq")
    report.equivalence = build_equivalence(store, work / "equivalence.zip", files[-1])
    store.load_nquads(files[-1], lenient=True)  # written here, not read from a source
    progress(f"equivalence: {report.equivalence.fiches} fiches indexed, {report.equivalence.pairs} nearest pairs, "
             f"{report.equivalence.suggestions} suggested links ({sum(report.equivalence.timings.values()):.1f} s)")
    report.timings["equivalence"], clock = time.perf_counter() - clock, time.perf_counter()
    summary = summary_quads(store)  # counts of everything loaded, read by stats/overview
    store.add_quads(summary)
    derived += summary  # the dump appends the derived quads, so the rdflib reference has them too
    store.flush()
    report.quads = len(store)
    refusal = None if force else _replacement_refusal(stored_fiches(store), store_path, report.problems)
    if refusal:
        if background:
            background.cancel()
        del store
        shutil.rmtree(work, ignore_errors=True)
        raise BuildError(refusal)
    report.timings["summary"] = time.perf_counter() - clock
    progress(f"loaded {report.quads} quads (load {report.timings['load']:.1f} s, hierarchy and listings "
             f"{report.timings['derived']:.1f} s, equivalence {report.timings['equivalence']:.1f} s, "
             f"summary {report.timings['summary']:.1f} s)")

    if dump_path is not None:
        clock = time.perf_counter()
        dump_path.parent.mkdir(parents=True, exist_ok=True)
        if dump_path.suffix == ".trig":
            store.dump(dump_path)
        else:
            # The mapped file already holds the facts (a line may repeat: any loader keeps one);
            # adding the ontology and the derived quads makes it the dump, without re-serialising.
            ontology = Graph().parse(ontology_path(), format="turtle")
            extra = itertools.chain(((s, p, o, ONTOLOGY_GRAPH) for s, p, o in ontology), derived)
            write_nquads(extra, files[0], append=True)
            with open(files[0], "ab") as out:
                for part in files[1:]:
                    with open(part, "rb") as f:
                        shutil.copyfileobj(f, out, 1 << 20)
            shutil.move(files[0], dump_path)
        report.timings["dump"] = time.perf_counter() - clock
    clock = time.perf_counter()
    if background:
        stats = background.result()
        stamp_fingerprint(work / "search.sqlite", store_fingerprint(store))  # of the finished store
    else:
        stats = build_index(store, work / "search.sqlite")
    report.timings["index"] = time.perf_counter() - clock  # with a second process, the wait for it
    progress(f"search index: {stats.fiches} titles, {stats.blocks} blocks, {stats.competencies} competencies "
             f"({stats.seconds:.1f} s{', beside the equivalence index' if background else ''})")
    del store
    _swap_in(work / "store", store_path)
    os.replace(work / "search.sqlite", index_path(store_path))
    os.replace(work / "equivalence.zip", equivalence_path(store_path))
    shutil.rmtree(work, ignore_errors=True)
    return report


def _swap_in(new: Path, target: Path) -> None:
    if target.exists():
        if any(target.iterdir()) and not (target / "CURRENT").exists():
            raise BuildError(f"{target} exists and is not a certgraph store; not replacing it")
        old = target.with_name(target.name + ".old")
        shutil.rmtree(old, ignore_errors=True)
        os.replace(target, old)
        os.replace(new, target)
        shutil.rmtree(old, ignore_errors=True)
    else:
        target.parent.mkdir(parents=True, exist_ok=True)
        os.replace(new, target)


def problems_by_source(problems: Iterable[Problem]) -> dict[str, int]:
    """How many problems each input had (for the build summary)."""
    counts: dict[str, int] = defaultdict(int)
    for problem in problems:
        counts[problem.source] += 1
    return dict(sorted(counts.items()))


__all__ = ["BuildError", "BuildReport", "build", "load_inputs", "resolve", "stored_fiches", "READERS"]
