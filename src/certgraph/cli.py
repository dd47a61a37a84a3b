"""The ``certgraph`` command line: a thin shell over the library (the only module importing click).

It starts fast: this module imports click and the standard library only; each command imports the
library modules it runs when it runs (rdflib, networkx, scipy, the web stack are slow to load, and
most commands need few of them), and option choices taken from the library are read when shown or
checked (:class:`LibraryChoice`). A command living in another module is registered with one line in
LAZY_COMMANDS, imported only when it is run or its help is asked for.
"""

from __future__ import annotations

import csv
import datetime as dt
import difflib
import io
import json
import re
import sys
from collections.abc import Iterable
from contextlib import contextmanager
from functools import wraps
from importlib import import_module
from pathlib import Path

import click

from .config import ENDPOINT_ENV
from .errors import CertgraphError
from .records import normalise_fiche_number
from .status import as_date

# Commands defined in other modules, "name": "module:attribute" (a click.Command), loaded on use.
LAZY_COMMANDS: dict[str, str] = {"fetch-export": ".fetch_export:command"}


def load_attribute(path: str):
    """``package.module:attribute`` (module relative to certgraph when it starts with a dot), imported now."""
    module, attribute = path.split(":")
    return getattr(import_module(module, __package__), attribute)


class LibraryChoice(click.Choice):
    """A choice of values a library module holds (``".export.views:VIEWS"``), imported only when the
    option is checked, completed or shown in --help: the other commands never load that module."""

    def __init__(self, source: str, extra: Iterable[str] = ()):
        self.source, self.extra, self.case_sensitive = source, tuple(extra), True

    @property
    def choices(self) -> tuple[str, ...]:
        return (*load_attribute(self.source), *self.extra)


class LazyGroup(click.Group):
    """The command group: its own commands, and LAZY_COMMANDS loaded on use; a mistyped command gets a suggestion."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *LAZY_COMMANDS})

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        if name not in self.commands and name in LAZY_COMMANDS:
            self.add_command(load_attribute(LAZY_COMMANDS[name]), name)
            _keep_examples_as_written(self.commands[name])
        return super().get_command(ctx, name)

    def resolve_command(self, ctx: click.Context, args: list[str]):
        if args and self.get_command(ctx, args[0]) is None and not args[0].startswith("-"):
            hint = did_you_mean(args[0], self.list_commands(ctx))
            raise click.UsageError(f"No such command {args[0]!r}.{hint}", ctx)
        return super().resolve_command(ctx, args)


def did_you_mean(word: str, known: Iterable[str], cutoff: float = 0.6) -> str:
    """`` Did you mean 'x'?`` (or several, as close as the closest) for the known names closest to ``word``;
    empty when none is close.

    >>> did_you_mean("lineage/ancestor", ["lineage/ancestors", "lineage/descendants", "fiche/summary"])
    " Did you mean 'lineage/ancestors'?"
    >>> did_you_mean("RNCP3508", ["RNCP35080", "RNCP35081", "RNCP41296"])
    " Did you mean 'RNCP35080' or 'RNCP35081'?"
    """
    scored = sorted(((-difflib.SequenceMatcher(None, word, name).ratio(), name) for name in set(known)))
    scored = [(-negative, name) for negative, name in scored]  # closest first, ties by name
    best = scored[0][0] if scored else 1.0
    close = [name for ratio, name in scored[:3] if ratio >= max(cutoff, best - 0.1)]
    return f" Did you mean {' or '.join(repr(c) for c in close)}?" if close else ""


class NoMatch(click.ClickException):
    """A search or query that found nothing: "no match" on stderr, exit 1 (as grep does), for scripts."""

    exit_code = 1

    def __init__(self, what: str):
        super().__init__(f"no match: {what}")

    def show(self, file=None) -> None:
        click.echo(self.message, err=True)


def store_option(command):
    """``--store PATH`` (env CERTGRAPH_STORE, default build/store)."""
    return click.option(
        "--store",
        "store_path",
        type=click.Path(path_type=Path, file_okay=False),
        default=None,
        help="Store folder (default: $CERTGRAPH_STORE, else build/store).",
    )(command)




def endpoint_option(command):
    """``--endpoint URL`` (env CERTGRAPH_ENDPOINT): query another SPARQL endpoint instead of the store."""
    return click.option(
        "--endpoint",
        default=None,
        envvar=ENDPOINT_ENV,  # click reads it
        metavar="URL",
        help=f"Query this SPARQL endpoint instead of the local store (default: ${ENDPOINT_ENV}); "
        "credentials from $CERTGRAPH_SPARQL_USER and _PASSWORD, or $CERTGRAPH_SPARQL_TOKEN.",
    )(command)


UNKNOWN = "(no source gives one)"
NO_TITLE = "(no source gives a title)"

# What each output format is, as the flags' help says it.
FORMAT_HELP = {
    "text": "as text for people",
    "table": "as an aligned table",
    "json": "as JSON",
    "csv": "as CSV",
    "tsv": "as TSV (tab-separated)",
    "turtle": "as RDF (Turtle)",
}


def output_format(*formats: str, default: str):
    """The one output choice of every command that prints rows or records.

    One flag per format (``--json``, ``--table``, ``--csv``…), all setting the command's ``fmt``
    parameter; ``default`` is the format without a flag. The last flag given wins.
    """
    assert default in formats and set(formats) <= set(FORMAT_HELP)

    def decorate(command):
        for flag in reversed(formats):
            helptext = f"Output {FORMAT_HELP[flag]}" + (" (default)." if flag == default else ".")
            # Only the default flag names a default: a flag given default=False would set fmt to "False".
            given = {"default": True} if flag == default else {}
            command = click.option(f"--{flag}", "fmt", flag_value=flag, help=helptext, **given)(command)
        return command

    return decorate


# OSError too: a file that cannot be written, and pyoxigraph's error for a query failing as it runs.
LIBRARY_ERRORS = (CertgraphError, OSError)


def library_errors(command):
    """Turn the library's exceptions, and the system's, into click errors (exit 1)."""

    @wraps(command)
    def wrapper(*args, **kwargs):
        try:
            return command(*args, **kwargs)
        except LIBRARY_ERRORS as exc:
            raise click.ClickException(str(exc)) from exc

    return wrapper


def echo_problems(problems: list, err: bool = False, shown: int = 20) -> None:
    """The input problems: how many per input, then the first ``shown`` of them on stderr."""
    from .ingest.build import problems_by_source

    if not problems:
        return
    click.echo(f"{len(problems)} input problems:", err=err)
    for source, count in problems_by_source(problems).items():
        click.echo(f"  {count:6d}  {source}", err=err)
    for problem in problems[:shown]:
        click.echo(f"  {problem}", err=True)


def make_parent(path: Path) -> None:
    """Create the folder an output file goes into, or fail with a one-line error naming it."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        message = f"cannot create the folder {path.parent} for {path.name}: {exc.strerror or exc}"
        raise click.ClickException(message) from exc


@contextmanager
def progress_steps(label: str, steps: list[str]):
    """A progress bar on stderr over named steps; yields ``done(step)`` to call as each ends.

    Drawn only when stderr is a terminal: pipes, logs and scripts see nothing of it.
    """
    with click.progressbar(length=len(steps), label=label, file=sys.stderr, show_eta=False, show_percent=False,
                           item_show_func=lambda step: step, hidden=not sys.stderr.isatty()) as bar:
        bar.update(0, steps[0])
        position = iter(steps[1:] + [""])
        yield lambda _step=None: bar.update(1, next(position))


def open_store(store_path: Path | None, endpoint: str | None = None):
    """The endpoint named by --endpoint, else the store named by --store, the environment, or the default."""
    from .store import Credentials, OxigraphStore, RemoteStore, default_store_path

    if endpoint:
        return RemoteStore(endpoint, Credentials.from_env())
    return OxigraphStore.open(store_path or default_store_path())


def local_store_path(store_path: Path | None) -> Path:
    """--store, else $CERTGRAPH_STORE, else build/store."""
    from .store import default_store_path

    return store_path or default_store_path()


def not_in_graph(store, number: str) -> click.ClickException:
    """The error for a fiche the graph does not know, suggesting the closest numbers it knows."""
    from .queries import internal_query

    known = {str(n) for n in store.query(internal_query("export/fiche-number").text).values("value")}
    register = re.match(r"[A-Z]+", number).group()
    hint = did_you_mean(number, sorted(n for n in known if n.startswith(register) and n[len(register):].isdigit()), 0.75)
    return click.ClickException(f"{number} is not in the graph.{hint}")


def fiche_argument(value: str, store=None) -> str:
    """A fiche number from the command line, or a usage error.

    A bare number (``35080``) is read as RNCP35080, said on stderr; when the store holds both
    RNCP35080 and RS35080, the user is asked to say which.
    """
    number = normalise_fiche_number(value)
    if number is not None:
        return number
    digits = value.strip()
    if not re.fullmatch(r"[0-9]+", digits):
        raise click.UsageError(f"{value!r} is not a fiche number like RNCP35080, RS5000 or 35080")
    from .queries import fiche_known

    found = [n for n in (f"RNCP{digits}", f"RS{digits}") if store is not None and fiche_known(store, n)]
    if len(found) == 2:
        raise click.UsageError(f"{digits} is both RNCP{digits} and RS{digits}: say which")
    number = found[0] if found else f"RNCP{digits}"
    click.echo(f"{digits}: read as {number}", err=True)
    return number


def as_of_option(command):
    """--as-of DATE: the date statuses and current equivalents are for (default today)."""
    return click.option(
        "--as-of", "as_of", type=click.DateTime(["%Y-%m-%d"]), default=None,
        help="The date the status (in force or not) and the current equivalents are for (default: today).",
    )(command)


def as_of_date(value) -> dt.date:
    return value.date() if value is not None else dt.date.today()


def plain(value) -> str:
    """A cell as text: empty for None, ``true``/``false`` for booleans, ISO 8601 for dates."""
    from .store import python_value

    value = python_value(value)
    if isinstance(value, bool):
        return str(value).lower()
    return "" if value is None else value.isoformat() if isinstance(value, dt.date) else str(value)


def output_rows(result, fmt: str | None, columns: dict[str, str] | None = None) -> None:
    """Print SELECT rows, an ASK answer or CONSTRUCT triples in the chosen format (JSON lines by default).

    JSON values are typed (numbers, booleans; dates as ISO texts), ``columns`` (a named query's
    ``#+ columns:``) typing those the engine answers as text; CSV and TSV have the query's
    variables as their header, in order, even with no row.
    """
    from .queries import json_row, python_row

    fmt = fmt or "json"
    if result.boolean is not None:
        click.echo(json.dumps({"boolean": result.boolean}) if fmt == "json" else str(result.boolean).lower())
        return
    if result.triples:
        for triple in result.triples:
            click.echo(" ".join(t.n3() for t in triple) + " .")
        return
    variables = result.variables
    if fmt == "json":
        for row in result.rows:
            ordered = {c: row[c] for c in variables if c in row}
            click.echo(json.dumps(json_row(ordered, columns), ensure_ascii=False, default=str))
        return
    typed = [python_row(row, columns) for row in result.rows]
    rows = [[plain(row.get(c)) for c in variables] for row in typed]
    columns = variables
    if fmt in ("csv", "tsv"):
        buffer = io.StringIO()
        writer = csv.writer(buffer, delimiter="," if fmt == "csv" else "\t", lineterminator="\n")
        writer.writerow(columns)
        writer.writerows(rows)
        click.echo(buffer.getvalue(), nl=False)
    else:
        click.echo(format_table(columns, rows))


def format_table(columns: list[str], rows: list[list[str]], width: int = 70) -> str:
    """An aligned text table; long cells are cut with an ellipsis."""
    cut = [[c if len(c) <= width else c[: width - 1] + "…" for c in row] for row in rows]
    sizes = [max([len(col)] + [len(r[i]) for r in cut]) for i, col in enumerate(columns)]
    lines = ["  ".join(c.ljust(s) for c, s in zip(columns, sizes)).rstrip()]
    lines.append("  ".join("-" * s for s in sizes))
    lines += ["  ".join(c.ljust(s) for c, s in zip(row, sizes)).rstrip() for row in cut]
    return "\n".join(lines)


@click.group(cls=LazyGroup)
@click.version_option(package_name="certgraph")
def cli():
    """certgraph: French professional certifications (RNCP, RS) as a validated knowledge graph.

    Example:

        certgraph build && certgraph lineage RNCP35080
    """


@cli.command(name="build")
@click.option("--data", "data_dir", type=click.Path(path_type=Path, file_okay=False, exists=True), default=None, help="Data folder with manifest.yaml (default: the checkout's data/).")
@store_option
@click.option("--dump", "dump_path", type=click.Path(path_type=Path, dir_okay=False), default=None, help="N-Quads (.nq) or TriG (.trig) dump (default: <store>.nq).")
@click.option("--strict", is_flag=True, help="Fail on any problem of this build's inputs (with --export: of the exports, not of the code lists of --data) instead of reporting it.")
@click.option("--export", "exports", multiple=True, type=click.Path(path_type=Path, exists=True), help="Build from this register export (XML file or zip, CSV folder or zip) and the code lists of --data, instead of every input of the manifest. Repeatable, and the files after it count too: --export rncp.zip rs.zip.")
@click.argument("more_exports", nargs=-1, metavar="[EXPORT]...", type=click.Path(path_type=Path, exists=True))
@click.option("--force", is_flag=True, help="Build even when no fiche was read, and replace the store even when it holds more than twice as many fiches as the build.")
@library_errors
def build_command(data_dir, store_path, dump_path, strict, exports, more_exports, force):
    """Rebuild the store from the data folder (idempotent) and write a dump.

    Register exports may follow --export, one or several (--export a.xml b.xml), or each its own
    --export: every path given as an argument is an export, as with --export.

    A build that reads no fiche, or fewer than half the fiches of the store it would replace (an
    input lost or unreadable), fails and keeps that store; --force overrides.

    Example:

        certgraph build --store build/store
        certgraph build --export export-fiches-rncp-v4-1-2026-02-01.zip export-fiches-rs-v4-1-2026-02-01.zip --store build/register
    """
    from .ingest.build import build
    from .resources import default_data_dir
    from .store import dump_path as default_dump_path

    store_path = local_store_path(store_path)
    dump_path = dump_path or default_dump_path(store_path)
    progress = lambda m: click.echo(m, err=True)
    report = build(data_dir or default_data_dir(), store_path, dump_path, strict, progress, (*exports, *more_exports), force)
    total = sum(report.timings.values())
    click.echo(f"built {report.store}: {report.quads} quads, {report.fiches} fiches, {report.sources} sources in {total:.1f} s")
    click.echo(f"snapshots: {', '.join(report.snapshots) or 'none'}")
    click.echo(f"dump: {report.dump}")
    if report.missing:
        click.echo("missing export tables (loaded what is there):")
        for missing in report.missing:
            click.echo(f"  {missing}")
    echo_problems(report.problems)


@cli.command(name="validate")
@store_option
@click.option("--fiche", default=None, help="Only the findings about this fiche (e.g. RNCP41296).")
@output_format("table", "json", "turtle", default="table")
@click.option("--summary", is_flag=True, help="Only the counts by shape and severity.")
@click.option("--save", is_flag=True, help="Store the report in the named graph graph/derived/validation.")
def validate_command(store_path, fiche, fmt, summary, save):
    """Validate the graph with ontology/shapes.ttl. Exit 0 conforms, 1 violations, 2 could not run (or unknown --fiche).

    Example:

        certgraph validate --fiche RNCP41296
    """
    from .store import StoreError
    from .validate import ValidationError, save_report, validate_store

    number = fiche_argument(fiche) if fiche else None
    if save and number:
        raise click.UsageError("--save stores the report of the whole graph: use it without --fiche")
    try:
        report = validate_store(open_store(store_path), fiche=number)
    except (StoreError, ValidationError) as exc:
        click.echo(f"Error: {exc}", err=True)
        sys.exit(2)
    if save:
        save_report(report, local_store_path(store_path))
    if fmt == "turtle":
        click.echo(report.to_graph().serialize(format="turtle"))
    elif fmt == "json":
        for finding in report.findings:
            click.echo(json.dumps({**vars(finding), "fiche": finding.fiche}, ensure_ascii=False))
    else:
        if not summary:
            rows = [[f.severity, f.shape, f.fiche or f.focus, f.message] for f in report.findings]
            if rows:
                click.echo(format_table(["severity", "shape", "focus", "message"], rows, width=90))
        click.echo(format_table(["shape", "severity", "count"], [[s, sev, str(n)] for s, sev, n in report.summary()]))
        verdict = "conforms" if report.conforms else "does not conform"
        click.echo(f"{len(report.findings)} findings in {report.seconds:.2f} s: {verdict}")
    sys.exit(0 if report.conforms else 1)


@cli.command(name="diff")
@click.argument("old", type=click.Path(path_type=Path, exists=True))
@click.argument("new", type=click.Path(path_type=Path, exists=True))
@click.option("--field", "fields", multiple=True, help="Compare only this field (repeatable), e.g. certifiers.")
@output_format("table", "json", "turtle", default="table")
@library_errors
def diff_command(old, new, fields, fmt):
    """Compare two exports of the register: fiches added, removed, changed, lineage and certifiers.

    OLD and NEW are exports (CSV folder or zip, XML file or zip). Only the fields both exports cover
    are compared; they are listed first. The inputs' problems are listed on stderr; an export that
    cannot be read, or only in part (a damaged zip, a truncated file), is an error: nothing is compared.

    Example:

        certgraph diff data/rncp/rpa-data-collector-export-2024-01-17 data/rncp/hackathon-export-2026-02-01
    """
    from .ingest.snapshots import diff, read_snapshot

    with progress_steps("diff", [f"reading {old.name}", f"reading {new.name}", "comparing"]) as done:
        before = read_snapshot(old)
        done()
        after = read_snapshot(new)
        done()
        changes = diff(before, after, fields or None)
        done()
    echo_problems(before.problems + after.problems, err=True)
    if fmt == "json":
        click.echo(json.dumps(changes.to_json(), ensure_ascii=False, indent=1))
        return
    if fmt == "turtle":
        click.echo(changes.to_graph().serialize(format="turtle"))
        return
    dates = [s.issued.isoformat() if s.issued else s.label for s in (changes.old, changes.new)]
    click.echo(f"{dates[0]} → {dates[1]}, compared fields: {', '.join(sorted(changes.fields)) or 'none'}")
    click.echo(format_table(["change", "count"], [[what, str(n)] for what, n in changes.summary()]))
    rows = [["added", n, ""] for n in changes.added] + [["removed", n, ""] for n in changes.removed]
    rows += [["changed", c.number, ", ".join(c.fields)] for c in changes.changed]
    rows += [[f"lineage {kind}", f"{a} → {b}", ""] for kind, pairs in (("added", changes.lineage_added), ("dropped", changes.lineage_dropped)) for a, b in pairs]
    rows += [[f"certifier {c.kind}", c.number, f"{c.key} {c.name}"] for c in changes.certifiers]
    if rows:
        click.echo()
        click.echo(format_table(["change", "fiche", "detail"], rows, width=90))


@cli.command(name="synth")
@click.option("--fiches", type=click.IntRange(min=1), default=40_000, show_default=True, help="How many fiches (RNCP and RS together).")
@click.option("--seed", type=int, default=1, show_default=True, help="Random seed: the same seed writes the same bytes.")
@click.option("--format", "fmt", type=LibraryChoice(".synth:FORMATS"), default="xml", show_default=True, help="The XML export v4.1 (two files) or the ten CSV tables.")
@click.option("--defect-rate", type=click.FloatRange(0, 1), default=0.01, show_default=True, help="Share of fiches given one realistic defect, listed in defects.json.")
@click.option("--date", "issued", type=click.DateTime(["%Y-%m-%d"]), default="2026-02-01", show_default=True, help="The export date (file names, fiche status).")
@click.option("-o", "--out", "out_dir", type=click.Path(path_type=Path, file_okay=False), required=True, help="Folder to write the export into.")
@click.option("--data", "data_dir", type=click.Path(path_type=Path, file_okay=False, exists=True), default=None, help="Folder with the real tables to draw from (default: the checkout's data/).")
def synth_command(fiches, seed, fmt, defect_rate, issued, out_dir, data_dir):
    """Write a synthetic register in the real export schemas, statistically like the real one.

    Codes, certifiers, blocks, lineage shapes and texts are drawn from the real tables; defects are
    injected at --defect-rate and listed in OUT/defects.json. Deterministic for a given seed.

    Example:

        certgraph synth --fiches 40000 --seed 1 --format xml -o build/synth-40k
    """
    from .synth import SynthError, write_synthetic_register

    try:
        report = write_synthetic_register(out_dir, fiches, seed, fmt, defect_rate, issued.date(), data_dir)
    except SynthError as exc:
        raise click.ClickException(str(exc)) from exc
    for line in report.summary():
        click.echo(line)


@cli.command(name="search")
@click.argument("text")
@click.option("--kind", "kinds", multiple=True, type=LibraryChoice(".search:KINDS"), help="Only this kind of text (repeatable): fiche titles, block titles, competencies.")
@click.option("--fiche", default=None, help="Only the texts of this fiche (e.g. RNCP35080).")
@click.option("--limit", type=click.IntRange(min=1), default=20, show_default=True, help="How many hits.")
@click.option("--offset", type=click.IntRange(min=0), default=0, show_default=True, help="Skip this many hits (paging).")
@store_option
@output_format("table", "json", default="table")
def search_command(text, kinds, fiche, limit, offset, store_path, fmt):
    """Full-text search of titles, blocks and competencies (accent- and case-insensitive), best first.

    Every word must match; the last one may be a prefix. The index is built with the store. No hit
    is "no match" on stderr and exit 1.

    Example:

        certgraph search "pilotage projet solidaire" --kind block
    """
    import dataclasses

    from .search import SearchIndexError, search
    from .store import index_path

    number = fiche_argument(fiche) if fiche else None
    try:
        hits = search(index_path(local_store_path(store_path)), text, kinds or None, number, limit, offset)
    except (SearchIndexError, ValueError) as exc:
        raise click.ClickException(str(exc)) from exc
    if not hits:
        raise NoMatch(f"no text matches {text!r}" + (" from there" if offset else ""))
    if fmt == "json":
        for hit in hits:
            click.echo(json.dumps(dataclasses.asdict(hit), ensure_ascii=False))
        return
    rows = [[hit.kind, hit.fiche or "", hit.block or "", hit.snippet, f"{hit.score:.2f}"] for hit in hits]
    click.echo(format_table(["kind", "fiche", "block", "text", "score"], rows, width=80))


@cli.command(name="queries")
@output_format("table", "json", default="table")
@library_errors
def queries_command(fmt):
    """List the named queries with their parameters.

    Example:

        certgraph queries
    """
    from .queries import load_queries

    for name, query in load_queries().items():
        params = [{"name": p.name, "type": p.type, "example": p.example} for p in query.params]
        if fmt == "json":
            click.echo(json.dumps({"name": name, "summary": query.summary, "params": params}, ensure_ascii=False))
        else:
            args = " ".join(f"-p {p['name']} {p['example']}" for p in params)
            click.echo(f"{name:28s} {query.summary}" + (f"\n{'':28s}   e.g. {args}" if args else ""))


@cli.command(name="query")
@click.argument("name")
@click.option("-p", "--param", "params", type=(str, str), multiple=True, help="A parameter NAME VALUE (repeatable).")
@click.option("--limit", type=int, default=None, help="Listings: rows per page (default and cap: the query's #+ page header).")
@click.option("--offset", type=int, default=None, help="Listings: rows to skip (paging; default 0).")
@store_option
@endpoint_option
@output_format("json", "table", "csv", "tsv", default="json")
@library_errors
def query_command(name, params, limit, offset, store_path, endpoint, fmt):
    """Run a named query with bound, validated parameters.

    A listing (a query with a #+ page header, e.g. codes/by-rome) gives a page of rows, in number
    order; when there are more, "100 of 400 — use --offset 100" is said on stderr. A SELECT with no
    row is "no match" on stderr and exit 1 (a CSV or TSV still prints its header first).

    Example:

        certgraph query lineage/ancestors -p fiche RNCP35080 --table
        certgraph query codes/by-rome -p rome K14 --offset 100 --table
        certgraph query lineage/ancestors -p fiche RNCP35080 --endpoint http://localhost:8890/sparql
    """
    from .queries import count_named, load_queries, run_named
    from .store import index_path

    queries = load_queries(lazy=True)
    if name not in queries:
        raise click.UsageError(f"no named query {name!r}.{did_you_mean(name, queries) or ' See `certgraph queries`.'}")
    query, values = queries[name], single_values(params)
    values.update({k: str(v) for k, v in (("limit", limit), ("offset", offset)) if v is not None})
    if query.page is None and values.keys() & {"limit", "offset"}:
        raise click.UsageError(f"{name} is not a listing: it takes no --limit or --offset")
    # A search parameter reads the full-text index beside the local store, also with --endpoint.
    store, index = open_store(store_path, endpoint), index_path(local_store_path(store_path))
    result = run_named(store, query, values, index)
    output_rows(result, fmt, query.columns)
    if query.page is not None and (result.rows or values.get("offset")):
        echo_page_footer(len(result.rows), count_named(store, query, values, index), int(values.get("offset", 0)))
    if result.boolean is None and not result.triples and not result.rows:
        raise NoMatch(f"{name} has no row for {' '.join(f'{k}={v}' for k, v in values.items()) or 'these parameters'}")


def echo_page_footer(shown: int, total: int, offset: int) -> None:
    """``100 of 400 — use --offset 100`` on stderr, unless the page holds the whole listing."""
    if offset == 0 and shown >= total:
        return
    where = f"{shown:,}" if offset == 0 else f"rows {offset + 1:,}–{offset + shown:,}" if shown else f"no row from offset {offset:,}"
    more = f" — use --offset {offset + shown}" if offset + shown < total else ""
    click.echo(f"{where} of {total:,}{more}", err=True)


def single_values(params: tuple[tuple[str, str], ...]) -> dict[str, str]:
    """``-p NAME VALUE`` pairs as a dict; a name given twice is a usage error (every parameter takes one value)."""
    values: dict[str, str] = {}
    for name, value in params:
        if name in values:
            raise click.BadParameter(
                f"parameter {name!r} given twice ({values[name]!r}, {value!r}): it takes one value", param_hint="-p"
            )
        values[name] = value
    return values


@cli.command(name="sparql")
@click.argument("source", type=click.File("rb"))
@store_option
@endpoint_option
@output_format("json", "table", "csv", "tsv", default="json")
@library_errors
def sparql_command(source, store_path, endpoint, fmt):
    """Run a SPARQL query from a UTF-8 file, or from standard input with ``-``.

    The project's prefixes (cg:, id:, dcterms:, skos:, schema:, xsd:… as `certgraph serve` shows
    them) may be used without declaring them: those the query uses and does not declare are added.
    A syntax error is one line, with its line and column. A SELECT with no row is "no match" on
    stderr and exit 1, as with `certgraph query`.

    Example:

        echo 'SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }' | certgraph sparql - --table
        echo 'SELECT ?title WHERE { ?f cg:number "RNCP35080" ; dcterms:title ?title }' | certgraph sparql -
    """
    data = source.read()
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise click.BadParameter(
            f"{source.name} is not UTF-8: byte 0x{data[exc.start]:02X} on line {line}", param_hint="SOURCE"
        ) from exc
    from .store import StoreError

    text, added = with_default_prefixes(text)
    try:
        result = open_store(store_path, endpoint).query(text)
    except StoreError as exc:
        raise click.ClickException(concise_sparql_error(str(exc), text, added)) from None
    output_rows(result, fmt)
    if result.boolean is None and not result.triples and not result.rows:
        raise NoMatch("the query has no row")


def with_default_prefixes(text: str) -> tuple[str, int]:
    r"""``text`` with a PREFIX for each of the project's prefixes (vocab.CURIES) it uses undeclared,
    all on one line before it; and the number of lines added (0 or 1), to report positions as written.

    >>> with_default_prefixes("SELECT * { ?s skos:notation ?n }")
    ('PREFIX skos: <http://www.w3.org/2004/02/skos/core#>\nSELECT * { ?s skos:notation ?n }', 1)
    """
    from .sparql_text import tokenize
    from .vocab import CURIES

    tokens = tokenize(text)
    declared = {b.text[:-1] for a, b in zip(tokens, tokens[1:]) if a.text.upper() == "PREFIX" and b.kind == "pname"}
    used = {t.text.split(":", 1)[0] for t in tokens if t.kind == "pname"}
    missing = sorted((used - declared) & CURIES.keys())
    if not missing:
        return text, 0
    return " ".join(f"PREFIX {p}: <{CURIES[p]}>" for p in missing) + "\n" + text, 1


_SYNTAX_ERROR = re.compile(r"error at (\d+):(\d+): (.*)", re.DOTALL)


def concise_sparql_error(message: str, text: str, added_lines: int = 0) -> str:
    """A store's SPARQL syntax error in one line: where, and what was expected, without the lists of
    Unicode ranges the parser prints; an undeclared prefix is named."""
    found = _SYNTAX_ERROR.search(message)
    if found is None:
        return message.splitlines()[0] if message else message
    line, column, expected = int(found.group(1)), int(found.group(2)), found.group(3)
    where = f"SPARQL syntax error at line {line - added_lines}, column {column}"
    if "Prefix not found" in expected:
        written = text.splitlines()[line - 1][: column - 1] if line <= len(text.splitlines()) else ""
        name = re.findall(r"([A-Za-z_][\w.-]*)?:[\w.-]*$", written)
        prefix = f"{name[-1]}:" if name else "its prefix"
        return f"{where}: prefix {prefix} is not declared (add PREFIX {prefix} <…>)"
    expected = re.sub(r"\s+", " ", re.sub(r"\[[^\]]*\]", "", expected)).strip(" ,")
    expected = re.sub(r"(, )+", ", ", expected)
    return f"{where}: {expected[:120]}{'…' if len(expected) > 120 else ''}"


@cli.command(name="lineage")
@click.argument("fiche")
@as_of_option
@store_option
@endpoint_option
@output_format("text", "json", default="text")
@library_errors
def lineage_command(fiche, as_of, store_path, endpoint, fmt):
    """Show the lineage of a fiche as a DAG, oldest first: when each fiche is in force, who states each link, the current equivalent.

    Statuses are for --as-of (default today), from the newest sources' dates. Links a newer register
    table contradicts are listed at the end as superseded.

    Example:

        certgraph lineage RNCP35080
        certgraph lineage 35080 --as-of 2024-01-01
    """
    from .lineage import lineage
    from .queries import load_queries
    from .vocab import number_from_iri

    store = open_store(store_path, endpoint)
    number = fiche_argument(fiche, store)
    result = lineage(store, load_queries(lazy=True), number, as_of_date(as_of))
    if not result.members:
        raise not_in_graph(store, number)
    members = result.ordered()
    name = lambda iri: result.members[iri].name if iri in result.members else (number_from_iri(iri) or iri)
    if fmt == "json":
        click.echo(json.dumps({
            "fiche": number,
            "asOf": result.as_of.isoformat(),
            "members": [{**member_json(m), "replaced_by": [{"number": s.name, "asserted_by": a} for s, a in result.successors(m)]} for m in members],
            "current": [m.name for m in result.current],
            "superseded": [{"predecessor": name(old), "successor": name(new), "asserted_by": asserted, "superseded_by": by.rsplit("/graph/", 1)[-1]}
                           for old, new, asserted, by in result.superseded],
        }, ensure_ascii=False, indent=2, default=str))
        return
    click.echo(f"Lineage of {number} on {result.as_of}: {len(members)} certifications, {len(result.links)} links\n")
    for member in members:
        marker = "*" if member.number == number else " "
        level = f"level {member.level}" if member.level else "level ?"
        click.echo(f"{marker} {member.name:10s} {describe_member(member)}")
        click.echo(f"  {'':10s} {level}, {member.status.describe(result.as_of)}")
        for reg in member.registrations:
            act = f"{reg.get('actKind', '')} {reg.get('actNumber', '')}".replace("  ", " ").strip()
            span = f"{reg.get('effectDate', '?')} → {reg.get('endDate', '?')}"
            title = f" « {reg['titleAtTime']} »" if reg.get("titleAtTime") else ""
            click.echo(f"  {'':10s} registration: {act} of {reg.get('actDate', '?')} (JO {reg.get('joDate', '?')}), {span}{title}")
        for successor, asserted in result.successors(member):
            click.echo(f"  {'':10s} ↓ replaced by {successor.name} (asserted by {', '.join(asserted) or '?'})")
    click.echo("")
    for member in result.current:
        click.echo(f"Current equivalent on {result.as_of}: {member.name} {describe_member(member)} ({member.status.describe(result.as_of)})")
    if result.superseded:
        click.echo("\nSuperseded links (stated only by older sources, contradicted by a newer register table):")
        for old, new, asserted, by in result.superseded:
            click.echo(f"  {name(old)} → {name(new)} (asserted by {', '.join(asserted) or '?'}; superseded by {by.rsplit('/graph/', 1)[-1]})")


def describe_member(member) -> str:
    """A member's title, or what identifies it when no source gives a title (its certifier)."""
    if member.title:
        return member.title
    return f"{NO_TITLE[:-1]}; certifier {member.certifier})" if member.certifier else NO_TITLE


def member_json(member) -> dict:
    """A member as JSON: typed values (dates as ISO texts), its status on the lineage's date spelt out."""
    from .queries import json_row

    fields = json_row({k: v for k, v in vars(member).items() if k not in ("registrations", "as_of")})
    return {**fields, "in_force": member.status.in_force, "status": member.status.describe(member.as_of),
            "registrations": [json_row(r) for r in member.registrations]}


@cli.command(name="lineage-stats")
@store_option
@endpoint_option
@output_format("table", "json", default="table")
@click.option("--top", type=click.IntRange(min=1), default=10, show_default=True, help="How many of the longest and largest lineages to list.")
@as_of_option
@library_errors
def lineage_stats_command(store_path, endpoint, fmt, top, as_of):
    """Lineage analytics over the whole register: chains, merges, splits, lengths, one-sided links, cycles.

    Example:

        certgraph lineage-stats
        certgraph lineage-stats --json
    """
    from .lineage_stats import STEPS, lineage_stats, render_table

    with progress_steps("lineage-stats", list(STEPS)) as done:
        stats = lineage_stats(open_store(store_path, endpoint), top=top, as_of=as_of_date(as_of), progress=done)
    click.echo(stats.to_json() if fmt == "json" else render_table(stats, rows=top))


@cli.command(name="compare")
@click.argument("left")
@click.argument("right")
@as_of_option
@store_option
@endpoint_option
@output_format("text", "json", default="text")
@library_errors
def compare_command(left, right, as_of, store_path, endpoint, fmt):
    """Compare two fiches: status on a date, level, certifiers, ROME/NSF/Formacode, blocks side by side.

    Example:

        certgraph compare RNCP35080 RNCP41296
    """
    from .compare import compare
    from .queries import fiche_known, load_queries

    store = open_store(store_path, endpoint)
    numbers = [fiche_argument(value, store) for value in (left, right)]
    for number, hint in zip(numbers, ("LEFT", "RIGHT")):
        if not fiche_known(store, number):
            raise click.BadParameter(not_in_graph(store, number).message, param_hint=hint)
    result = compare(store, load_queries(lazy=True), *numbers, as_of_date(as_of))
    if fmt == "json":
        click.echo(json.dumps(result.as_dict(), ensure_ascii=False, indent=2))
        return
    click.echo(render_comparison(result))


def render_comparison(result) -> str:
    """The comparison as text (kept apart so the README transcript and the command agree)."""
    a, b = result.left, result.right
    out = [f"{a} vs {b} on {result.as_of}", ""]
    out.append(f"{'status':10s} {a}: {result.status[a].describe(result.as_of)}")
    out.append(f"{'':10s} {b}: {result.status[b].describe(result.as_of)}")
    for field_name in ("title", "level", "endDate", "certifier"):
        out.append(f"{field_name:10s} {a}: {'; '.join(result.summary[a].get(field_name, [UNKNOWN]))}")
        out.append(f"{'':10s} {b}: {'; '.join(result.summary[b].get(field_name, [UNKNOWN]))}")
    out.append("")
    for scheme, codes in [*result.codes.items(), ("nsf group", result.nsf_groups)]:
        out.append(f"{scheme:10s} shared: {' '.join(codes.shared) or '-'} | only {a}: {' '.join(codes.left) or '-'} | only {b}: {' '.join(codes.right) or '-'}")
    if result.official:
        out += ["", "Official block correspondences (stated by the register):"]
        for item in result.official:
            out.append(f"  {' + '.join(item.left)} ↔ {' + '.join(item.right)}  (stated by {item.asserter})")
    alignment = result.alignment
    out += ["", f"Blocks ({len(alignment.left)} × {len(alignment.right)}), similarity of competency texts (method {alignment.method}):"]
    header = ["", *[block.code[-4:] for block in alignment.right]]
    rows = [[block.code, *[f"{s:.2f}" for s in row]] for block, row in zip(alignment.left, alignment.matrix)]
    out.append(format_table(header, rows))
    out += ["", "Best one-to-one alignment:"]
    for i, j in alignment.pairs:
        left_block, right_block = alignment.left[i], alignment.right[j]
        out.append(f"  {left_block.code} {left_block.label[:45]:45s} ↔ {right_block.code} {right_block.label[:45]:45s} {alignment.matrix[i][j]:.2f}")
        out.append(f"  {'':13s} shared: {', '.join(alignment.evidence_words(i, j)) or '-'}")
    out.append(f"Fiche similarity: {alignment.fiche_score:.2f}")
    return "\n".join(out)


def describe_value(row: dict) -> str:
    """A summary value as text: a fiche by its number, a code as ``code label``.

    A code's label is the one its source prints (``citedLabel``), with the code list's label beside
    it when they differ: ``K1206 Intervention socioculturelle [list: Animation socioculturelle]``.
    """
    from .store import to_python
    from .vocab import ID, number_from_iri

    if isinstance(to_python(row["value"]), bool):  # the active flag, dated by its source
        return "active" if to_python(row["value"]) else "inactive"
    value, label, cited = plain(row["value"]), plain(row.get("label")), plain(row.get("citedLabel"))
    number = number_from_iri(value)
    if number:
        return number
    if value.startswith(str(ID)) and "/org/" not in value:
        code = value.rsplit("/", 1)[-1]
        if cited and label and cited != label:
            return f"{code} {cited} [list: {label}]"
        return f"{code} {cited or label}".strip()
    return label or value


@cli.command(name="show")
@click.argument("fiche")
@as_of_option
@store_option
@endpoint_option
@output_format("text", "json", default="text")
@library_errors
def show_command(fiche, as_of, store_path, endpoint, fmt):
    """Show what the graph knows about a fiche: its status on a date, then every source's value of every field.

    The value marked * is the reconciled one: what the newest source stating that field says.
    Older sources' values stay listed, with their dates, as history.

    Example:

        certgraph show RNCP41296
        certgraph show 35080 --as-of 2024-01-01
    """
    from .overview import fiche_overview
    from .queries import load_queries
    from .store import to_python

    store = open_store(store_path, endpoint)
    number, day = fiche_argument(fiche, store), as_of_date(as_of)
    # the JSON has no blocks
    found = fiche_overview(store, number, day, queries=load_queries(lazy=True), blocks=fmt != "json")
    if found is None:
        raise not_in_graph(store, number)
    if fmt == "json":
        click.echo(json.dumps(found.to_json(), ensure_ascii=False, indent=2, default=str))
        return
    click.echo(f"{number} on {day}: {found.status.describe(day)}")
    click.echo("")
    table = [
        ["*" if to_python(r.get("reconciled")) is True else "", plain(r["field"]), describe_value(r),
         plain(r["source"]).rsplit("/graph/", 1)[-1], plain(r.get("issued")) or "undated"]
        for r in found.values
    ]
    click.echo(format_table(["", "field", "value", "source", "of"], table))
    if found.blocks:
        click.echo("")
        current = None
        for row in found.blocks:
            if row["code"] != current:
                current = row["code"]
                click.echo(f"{plain(row['code'])}  {plain(row.get('label'))}")
            if "competency" in row:
                click.echo(f"    {plain(row.get('position')):>2}. {plain(row['competency'])}")


@cli.command(name="stats")
@as_of_option
@store_option
@output_format("table", "json", default="table")
@library_errors
def stats_command(as_of, store_path, fmt):
    """Count what the graph holds: quads, graphs, certifications, links, titles and levels, conflicts, statuses.

    Titles, levels and statuses are the reconciled ones (the newest source stating each field);
    statuses are from the fiches' dates on --as-of (default today).

    Example:

        certgraph stats
    """
    from .overview import register_counts

    day = as_of_date(as_of)
    counts = register_counts(open_store(store_path), day)
    if fmt == "json":
        click.echo(json.dumps({"as_of": day.isoformat(), **{snake_key(k, day): v for k, v in counts.items()}}, indent=2))
    else:
        click.echo(format_table(["what", "count"], [[k, f"{v:,}"] for k, v in counts.items()]))


def snake_key(label: str, day: dt.date) -> str:
    """A count's label as a stable snake_case JSON key: the date and the parenthesised notes left out.

    >>> snake_key("certifications in force on 2026-02-01 (by their dates)", dt.date(2026, 2, 1))
    'certifications_in_force'
    >>> snake_key("RNCP certifications with a level", dt.date(2026, 2, 1))
    'rncp_certifications_with_a_level'
    """
    label = re.sub(r"\(.*?\)", "", label.replace(f"on {day.isoformat()}", ""))
    return "_".join(re.findall(r"[a-z0-9]+", label.lower()))


def view_options(command):
    """--depth and --threshold, shared by export and draw."""
    command = click.option("--threshold", type=float, default=None, help="Least similarity score (equivalence, compare) or shared ROME codes (occupation-projection) for an edge.")(command)
    return click.option("--depth", type=click.IntRange(min=0), default=2, show_default=True, help="Hops around the fiche (neighbourhood, graph).")(command)


@cli.command(name="export")
@click.argument("view", type=LibraryChoice(".export.views:VIEWS"))
@click.option("--fiche", default=None, help="Only around this fiche (e.g. RNCP35080); without it, the whole register.")
@view_options
@click.option("--format", "fmt", type=LibraryChoice(".export.formats:FORMATS"), default="graphml", show_default=True, help="GraphML (Gephi, yEd, Cytoscape), GEXF 1.3 (Gephi), Cytoscape.js JSON, node-link JSON (d3), DOT (Graphviz), CSV node and edge lists.")
@click.option("-o", "--out", "out_path", type=click.Path(path_type=Path, dir_okay=False), required=True, help="File to write (csv writes <stem>-nodes.csv and <stem>-edges.csv).")
@store_option
@endpoint_option
@library_errors
def export_command(view, fiche, depth, threshold, fmt, out_path, store_path, endpoint):
    """Export a view of the graph for Gephi, Cytoscape, d3 or Graphviz.

    Example:

        certgraph export lineage --fiche RNCP35080 --format graphml -o lineage.graphml
        certgraph export occupations --format gexf -o occupations.gexf
    """
    from .export.formats import FORMATS
    from .export.views import VIEWS

    make_parent(out_path)
    with progress_steps(f"export {view}", [f"reading the {view} view", f"writing {fmt}"]) as done:
        graph = VIEWS[view](open_store(store_path, endpoint), fiche=fiche, depth=depth, threshold=threshold)
        done()
        written = FORMATS[fmt](graph, out_path)
        done()
    for path in written:
        click.echo(f"{path}: {graph.number_of_nodes()} nodes, {graph.number_of_edges()} edges")


@cli.command(name="draw")
@click.argument("view", type=LibraryChoice(".export.views:VIEWS", extra=["compare"]))
@click.argument("fiches", nargs=-1)
@view_options
@click.option("-o", "--out", "out_path", type=click.Path(path_type=Path, dir_okay=False), required=True, help="Picture to write: .svg or .png (Graphviz), .html (interactive, self-contained), .dot.")
@store_option
@endpoint_option
@library_errors
def draw_command(view, fiches, depth, threshold, out_path, store_path, endpoint):
    """Draw a view around a fiche (compare: two fiches) as a picture or an interactive page.

    Example:

        certgraph draw lineage RNCP35080 -o lineage.svg
        certgraph draw lineage RNCP35080 -o lineage.html
        certgraph draw compare RNCP35080 RNCP41296 -o compare.svg
    """
    from .export.draw import draw
    from .export.views import VIEWS, comparison_view

    store = open_store(store_path, endpoint)
    if view == "compare":
        if len(fiches) != 2:
            raise click.UsageError("compare takes two fiches, e.g. RNCP35080 RNCP41296")
        graph = comparison_view(store, *fiches, threshold=threshold or 0.0)
    else:
        if len(fiches) > 1:
            raise click.UsageError(f"{view} takes at most one fiche")
        graph = VIEWS[view](store, fiche=fiches[0] if fiches else None, depth=depth, threshold=threshold)
    make_parent(out_path)
    draw(graph, out_path)
    click.echo(f"{out_path}: {graph.number_of_nodes()} nodes, {graph.number_of_edges()} edges")


@cli.command(name="publish")
@click.option("--to", "target", required=True, metavar="URL", help="The target's SPARQL 1.1 Graph Store Protocol URL, e.g. http://localhost:7878/store (Oxigraph) or http://localhost:8890/sparql-graph-crud-auth (Virtuoso).")
@click.option("--graph", "graphs", multiple=True, metavar="IRI", help="Publish only this named graph of the store (repeatable); default: every one.")
@click.option("--replace", is_flag=True, help="Replace the graphs the target already holds; without it, nothing is sent if one exists.")
@click.option("--batch", type=click.IntRange(min=1), default=None, help="Triples per request (default: certgraph.publish.DEFAULT_BATCH).")
@click.option("--parallel", type=click.IntRange(min=1, max=16), default=2, show_default=True, help="Requests in flight at once.")
@click.option("--no-verify", is_flag=True, help="Do not read the graphs back to check their triple counts.")
@store_option
@library_errors
def publish_command(target, graphs, replace, batch, parallel, no_verify, store_path):
    """Send the built graph, every named graph with its provenance, to another SPARQL store.

    Batches of N-Triples go through the Graph Store HTTP Protocol; transient failures are retried,
    and each graph is read back afterwards to check that the target holds as many triples as the
    store. Credentials come from the environment only: $CERTGRAPH_SPARQL_USER and
    $CERTGRAPH_SPARQL_PASSWORD (HTTP basic, or digest with $CERTGRAPH_SPARQL_AUTH=digest), or
    $CERTGRAPH_SPARQL_TOKEN (bearer).

    Example:

        certgraph publish --to http://localhost:7878/store
        certgraph publish --to http://localhost:8890/sparql-graph-crud-auth --replace
    """
    from .publish import DEFAULT_BATCH, publish
    from .store import Credentials

    store = open_store(store_path)
    progress = lambda message: click.echo(message, err=True)
    report = publish(store, target, list(graphs) or None, replace, batch or DEFAULT_BATCH, Credentials.from_env(),
                     verify=not no_verify, progress=progress, parallel=parallel)
    click.echo(report.summary())


@cli.command(name="serve")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on (loopback by default).")
@click.option("--port", type=click.IntRange(min=0, max=65535), default=8000, show_default=True, help="Port to listen on.")
@store_option
@click.option("--workers", type=click.IntRange(min=1), default=None, help="Query worker processes (default: one per core and one more, at least 3).")
@click.option("--timeout", type=click.FloatRange(min=0.1), default=30.0, show_default=True, help="The longest a query may run, in seconds; a request may ask for less with ?timeout=.")
@click.option("--max-result-mb", type=click.IntRange(min=1), default=64, show_default=True, help="The largest answer sent, in MB; a larger one is an error asking for a LIMIT.")
@click.option("--cache-mb", type=click.IntRange(min=0), default=256, show_default=True, help="Memory for answers to repeated GET queries (0: no cache).")
@click.option("--worker-memory-mb", type=click.IntRange(min=0), default=2048, show_default=True, help="Address-space limit of each query worker, in MB; a query that needs more is refused (503) and its worker replaced (0: no limit).")
@click.option("--client-concurrency", type=click.IntRange(min=1), default=None, help="Queries one client (IP address) may run at once (default: all workers but one, at least 1).")
@click.option("--client-queue", type=click.IntRange(min=0), default=8, show_default=True, help="Queries one client may have waiting; more are refused with 503.")
@click.option("--allow-service", "allow_service", multiple=True, metavar="URL-PREFIX", help="Allow SPARQL SERVICE calls to endpoints whose IRI starts with this prefix (repeatable). By default SERVICE is refused: the server makes no outbound request.")
@click.option("--public-url", default=None, help="The endpoint's public base URL, as clients reach it (e.g. https://certgraph.example.org); default: the bound address. Never taken from the Host header.")
@click.option("--handoff/--no-handoff", default=True, show_default=True, help="Let a query worker answer a protocol GET on the client's connection, rather than through the web process (same answers and limits, less work per query).")
@click.option("--get", "get_path", default=None, help="Answer one GET request for this path in-process, print the body and exit (1 on a non-200).")
@click.option("--accept", default=None, help="With --get: the Accept header to send.")
@library_errors
def serve_command(host, port, store_path, workers, timeout, max_result_mb, cache_mb, worker_memory_mb, client_concurrency,
                  client_queue, allow_service, public_url, handoff, get_path, accept):
    """Serve the SPARQL endpoint, the named queries, the linked-data pages and the query editor.

    Queries run in worker processes that open the store read-only; a query that passes its time
    limit is stopped and its worker replaced, while the others keep serving.

    Example:

        certgraph serve --port 8000
        certgraph serve --get '/queries/lineage/ancestors?fiche=RNCP35080'
    """
    import asyncio

    from .queries import load_queries
    from .web.app import create_app, request_once
    from .web.engine import EngineError, probe

    app = create_app(local_store_path(store_path), load_queries(), workers=workers, timeout=timeout,
                     max_bytes=max_result_mb << 20, cache_bytes=cache_mb << 20, worker_memory_mb=worker_memory_mb or None,
                     client_concurrency=client_concurrency, client_queue=client_queue, allow_service=tuple(allow_service),
                     public_url=public_url or f"http://{_url_host(host)}:{port}")
    try:
        asyncio.run(probe(app.store_path, worker_memory_mb or None))
    except EngineError as exc:
        raise click.ClickException(f"cannot serve {app.store_path}: {exc.message}") from None
    if get_path is not None:
        status, media_type, body = asyncio.run(request_once(app, get_path, accept))
        sys.stdout.buffer.write(body)
        if status != 200:
            raise click.ClickException(f"GET {get_path}: HTTP {status} ({media_type})")
        return
    from .web.front import listen, serve

    try:
        listener = listen(host, port)
    except OSError as exc:
        raise click.ClickException(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None
    url = app.public_url
    click.echo(f"certgraph: serving {app.store_path} at {url}/ (SPARQL endpoint {url}/sparql); Ctrl-C stops")
    serve(app, host, port, listener, handoff=handoff)


def _url_host(host: str) -> str:
    """``host`` as a URL writes it: an IPv6 address in brackets."""
    return f"[{host}]" if ":" in host else host


@cli.command(name="block-map")
@click.argument("fiche")
@store_option
@endpoint_option
@output_format("text", "json", default="text")
@library_errors
def block_map_command(fiche, store_path, endpoint, fmt):
    """What became of a fiche's blocks along each of its lineage links (continues, renamed, merged, split, disappeared, new).

    Reads the named query lineage/block-map (graph derived/block-maps, computed at build time).

    Example:

        certgraph block-map RNCP35080
    """
    from .queries import json_row, load_queries, run_named

    store = open_store(store_path, endpoint)
    number = fiche_argument(fiche, store)
    rows = [json_row(row) for row in run_named(store, load_queries(lazy=True)["lineage/block-map"], {"fiche": number}).rows]
    if fmt == "json":
        click.echo(json.dumps(rows, ensure_ascii=False, indent=2, default=str))
        return
    if not rows:
        click.echo(f"{number}: no block map (no lineage link with blocks on both sides)")
        return
    table = [[f"{r.get('predecessorNumber', '')} → {r.get('successorNumber', '')}", r["kind"], r.get("oldCode") or "-",
              r.get("newCode") or "-", "" if r.get("score") is None else f"{float(r['score']):.2f}", r.get("evidence") or ""]
             for r in rows]
    click.echo(format_table(["link", "kind", "old block", "new block", "score", "shared words"], table))


@cli.command(name="nearest")
@click.argument("fiche")
@click.option("--mode", type=LibraryChoice(".equivalence.index:MODES"), default="content", show_default=True,
              help="content: what the certifications cover; lineage: content plus certifier, register and dates.")
@click.option("--level", type=click.IntRange(1, 8), default=None, help="Only fiches of this EQF level.")
@click.option("--in-force-on", "in_force_on", default=None, help="Only fiches in force on this date (YYYY-MM-DD).")
@click.option("--limit", type=click.IntRange(1, 100), default=20, show_default=True)
@store_option
@output_format("text", "json", default="text")
@library_errors
def nearest_command(fiche, mode, level, in_force_on, limit, store_path, fmt):
    """The certifications closest to a fiche in the whole register (method equivalence-v1), with the evidence.

    Reads the equivalence index the build saves beside the store.

    Example:

        certgraph nearest RNCP35080 --mode lineage
    """
    from .equivalence.index import load_index

    number = normalise_fiche_number(fiche) or fiche
    rows = load_index(store_path).filtered_nearest(number, mode, limit, level, as_date(in_force_on) if in_force_on else None)
    if fmt == "json":
        click.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    table = [[r["number"], f"{r['score']:.2f}", "; ".join(f"{k} {' '.join(v)}" for k, v in r.items() if k not in {"number", "score"})]
             for r in rows]
    click.echo(format_table(["fiche", "score", "shared"], table) if table else f"{number}: no fiche shares anything with it")


@cli.command(name="suggest-links")
@click.option("--min-score", type=float, default=None, help="The lowest lineage-mode score to list (default: the threshold the build uses, equivalence.suggest.MIN_SCORE).")
@store_option
@endpoint_option
@output_format("text", "json", default="text")
@library_errors
def suggest_links_command(min_score, store_path, endpoint, fmt):
    """Suggested predecessors of fiches with no stated predecessor (computed leads, never stated links).

    Reads the named query lineage/suggested (graph derived/suggested-links, computed at build time).

    Example:

        certgraph suggest-links --min-score 8
    """
    from .equivalence.suggest import MIN_SCORE
    from .queries import json_row, load_queries, run_named

    store = open_store(store_path, endpoint)
    minimum = MIN_SCORE if min_score is None else min_score
    query, rows = load_queries(lazy=True)["lineage/suggested"], []
    while True:  # every page, each as long as the listing allows
        values = {"minScore": f"{minimum:.4f}", "limit": query.page.max, "offset": len(rows)}
        page = run_named(store, query, values).rows
        rows += [json_row(row) for row in page]
        if len(page) < query.page.max:
            break
    if fmt == "json":
        click.echo(json.dumps(rows, ensure_ascii=False, indent=2, default=str))
        return
    table = [[r["predecessorNumber"], r["successorNumber"], f"{float(r['score']):.2f}", r.get("evidence") or ""] for r in rows]
    click.echo(format_table(["suggested predecessor", "fiche", "score", "shared"], table))


def _keep_examples_as_written(*commands: click.Command) -> None:
    """Click rewraps help paragraphs, joining example lines; ``\\b`` keeps each Example block as written."""
    for command in commands:
        if command.help:
            command.help = re.sub(r"^([ \t]*)Example:\n\n", "\\g<0>\\1\b\n", command.help, flags=re.MULTILINE)


_keep_examples_as_written(*cli.commands.values())

if __name__ == "__main__":
    cli()
