"""The house rules: which wing may import which, and the one-of-each promises of the Design section.

The wings, from the ground up (README, "Design"): a module imports only modules of its own wing or
of a wing below it. Read from the source with :mod:`ast`, so a new import that breaks the rule
fails here, not in a review.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "src" / "certgraph"

# Each wing's modules (dotted, under certgraph), ground floor first.
WINGS = {
    "model": {"vocab", "records", "text", "resources", "errors", "status", "sparql_text", "config"},
    "sources": {"sources"},
    "reading": {"store", "queries", "search"},
    "synth": {"synth"},
    "analyses": {"lineage", "lineage_stats", "compare", "equivalence", "validate", "publish", "overview"},
    "ingest": {"ingest"},
    "export": {"export"},
    "web": {"web"},
    "shell": {"cli", "__main__", "__init__", "fetch_export"},
}
FLOOR = {
    "model": 0, "sources": 1, "reading": 1, "synth": 2, "analyses": 2,
    "ingest": 3, "export": 3, "web": 3, "shell": 4,
}
# Pairs on one floor that still must not meet (besides the floors' rule).
NEVER = {
    ("sources", "reading"), ("reading", "sources"), ("synth", "reading"), ("synth", "analyses"),
    ("analyses", "synth"), ("export", "web"), ("web", "export"), ("web", "ingest"), ("export", "ingest"),
}


def wing_of(module: str) -> str:
    head = module.split(".")[0]
    for wing, names in WINGS.items():
        if head in names:
            return wing
    raise AssertionError(f"certgraph.{module} is in no wing: add it to WINGS and to the README's Design section")


def modules() -> dict[str, Path]:
    found = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        dotted = path.relative_to(PACKAGE).with_suffix("").as_posix().replace("/", ".")
        found[dotted.removesuffix(".__init__") if dotted != "__init__" else "__init__"] = path
    return found


def imports(module: str, path: Path) -> set[str]:
    """The certgraph modules ``module`` imports (dotted, under certgraph), anywhere in the file."""
    package = module.split(".")[:-1] if not path.name == "__init__.py" else module.split(".")
    if module == "__init__":
        package = []
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[: len(package) - (node.level - 1)]
                target = [*base, *(node.module.split(".") if node.module else [])]
                if not node.module:  # from . import x
                    found.update(".".join([*target, alias.name]) for alias in node.names)
                    continue
            elif node.module and node.module.split(".")[0] == "certgraph":
                target = node.module.split(".")[1:]
            else:
                continue
            if target:
                found.add(".".join(target))
        elif isinstance(node, ast.Import):
            found.update(a.name.split(".", 1)[1] for a in node.names if a.name.startswith("certgraph."))
    return found


def test_every_module_is_in_a_wing():
    for module in modules():
        wing_of(module)


def test_imports_only_point_down():
    broken = []
    for module, path in modules().items():
        mine = wing_of(module)
        for target in imports(module, path):
            theirs = wing_of(target)
            if theirs == mine:
                continue
            if FLOOR[theirs] > FLOOR[mine] or FLOOR[theirs] == FLOOR[mine] or (mine, theirs) in NEVER:
                broken.append(f"certgraph.{module} ({mine}) imports certgraph.{target} ({theirs})")
    assert broken == []


def test_the_rule_is_read_from_real_imports():
    """The reader above sees the imports that exist (else the rule could not fail)."""
    found = imports("web.app", modules()["web.app"])
    assert {"web.engine", "store", "queries", "vocab"} <= found
    assert imports("cli", modules()["cli"]) >= {"ingest.build", "web.app", "export.views"}
    assert wing_of("ingest.build") == "ingest" and FLOOR["web"] > FLOOR["reading"]


@pytest.mark.parametrize("module", ["click"])
def test_click_is_imported_by_the_shell_alone(module):
    users = [m for m, path in modules().items()
             if any(isinstance(n, (ast.Import, ast.ImportFrom)) and module in
                    ([a.name.split(".")[0] for a in n.names] if isinstance(n, ast.Import) else [(n.module or "").split(".")[0]])
                    for n in ast.walk(ast.parse(path.read_text(encoding="utf-8"))))]
    assert users == ["cli", "fetch_export"]


# ------------------------------------------------------------------ every SPARQL text is a file


def test_internal_queries_load_and_stay_out_of_the_named_ones():
    from certgraph.queries import internal_query, load_queries

    internal = load_queries(internal=True)  # each parsed and checked by Oxigraph's parser
    named = load_queries()
    assert {"void/classes", "web/describe", "search/titles", "build/class-counts", "stats/lineage-links"} <= set(internal)
    assert not any(name.startswith("internal/") for name in named)
    assert internal_query("web/describe").bind({"this": "https://w3id.org/certgraph/id/rncp/35080"}).count("VALUES") == 1


def test_no_python_string_holds_a_query():
    """SPARQL lives under queries/; a query form followed by a braced pattern in Python is one left behind."""
    # a query form, then (on its line or the next) a brace opening a SPARQL pattern; f-string
    # fields count as NUL, so SQL's ``IN ({…})`` holds no brace
    form = re.compile(r"\b(SELECT|CONSTRUCT|ASK|DESCRIBE)\b[^\n]*\n?[^\n]*?\{\s*([?$<\x00{]|GRAPH|SELECT|VALUES|BIND|FILTER|OPTIONAL|[A-Za-z]*:)")
    allowed = {
        # the lexer: resolves a prefixed name of the user's own query with that query's prologue
        "sparql_text.py",
    }
    found = []
    for module, path in modules().items():
        if path.name in allowed:
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        docstrings = {
            id(node.body[0].value) for node in ast.walk(tree)
            if isinstance(node, (ast.Module, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) and ast.get_docstring(node)
        }
        for node in ast.walk(tree):
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docstrings:
                text = node.value
            elif isinstance(node, ast.JoinedStr):
                text = "".join(v.value if isinstance(v, ast.Constant) else "\x00" for v in node.values)
            else:
                continue
            if form.search(text):
                found.append(f"certgraph.{module}:{node.lineno}")
    assert found == []


# ------------------------------------------------------------------ one of each


def test_the_environment_is_read_in_one_place():
    """config.setting reads the environment; no other module does (the pool only hands it on)."""
    readers = []
    for module, path in modules().items():
        text = path.read_text(encoding="utf-8")
        for match in re.finditer(r"os\.environ\b(?!\})|os\.getenv|getenv\(", text):
            line = text[: match.start()].count("\n") + 1
            if module == "config" or (module == "web.engine" and "**os.environ" in text.splitlines()[line - 1]):
                continue
            readers.append(f"certgraph.{module}:{line}")
    assert readers == []
    from certgraph.config import ENVIRONMENT
    assert {"CERTGRAPH_STORE", "CERTGRAPH_ENDPOINT", "CERTGRAPH_SPARQL_TOKEN", "CERTGRAPH_DOT"} <= set(ENVIRONMENT)


def test_one_owner_of_the_paths_beside_a_store(tmp_path):
    from certgraph.store import dump_path, index_path

    assert dump_path(tmp_path / "store.v2") == tmp_path / "store.v2.nq"
    assert index_path(tmp_path / "store.v2") == tmp_path / "store.v2.search.sqlite"
    for module, path in modules().items():
        text = path.read_text(encoding="utf-8")
        assert 'with_suffix(".nq")' not in text and '+ ".nq"' not in text.replace("def dump_path", "") or module == "store", module


def test_the_cli_and_the_json_api_give_the_same_types(mini_build, mini_store, mini_server):
    """fiche/nearest's scores are xsd:decimal: a number from the CLI and from the API alike (the CLI gave text)."""
    import json

    import httpx
    from click.testing import CliRunner

    from certgraph.cli import cli

    row = mini_store.query(
        "SELECT ?n WHERE { ?a <https://w3id.org/certgraph/ontology#left> ?f . ?f <https://w3id.org/certgraph/ontology#number> ?n } "
        "ORDER BY ?n LIMIT 1"
    ).rows[0]
    fiche = str(row["n"])
    result = CliRunner().invoke(cli, ["query", "fiche/nearest", "-p", "fiche", fiche, "--json", "--store", str(mini_build.store)])
    assert result.exit_code == 0, result.output
    from_cli = [json.loads(line) for line in result.output.splitlines()]
    from_api = httpx.get(mini_server + "/queries/fiche/nearest", params={"fiche": fiche}).json()["rows"]
    assert from_cli and from_cli == from_api
    assert all(isinstance(r["score"], float) and r["score"] > 0 for r in from_cli)


def test_the_dump_is_served_beside_a_store_of_any_name(mini_build, tmp_path):
    """A store named store.v2 is dumped to store.v2.nq by build, and serve reads that file (it read store.nq)."""
    import shutil

    import httpx

    from .conftest import serving

    store = tmp_path / "store.v2"
    shutil.copytree(mini_build.store, store)
    shutil.copy(mini_build.dump, tmp_path / "store.v2.nq")
    (tmp_path / "store.nq").write_text("# the wrong file\n")
    with serving(store, tmp_path) as (base, _process):
        response = httpx.get(base + "/dump.nq")
    assert response.status_code == 200
    assert response.content == mini_build.dump.read_bytes()


def test_one_fiche_pattern():
    """Every query that tells a fiche's IRI by its path writes vocab's one regex; Python uses FICHE_IRI."""
    from certgraph.records import FICHE_NUMBER
    from certgraph.vocab import FICHE_IRI, FICHE_KEY_REGEX, fiche_iri

    queries = Path(__file__).resolve().parent.parent / "queries"
    regexes = {(path.relative_to(queries).as_posix(), found)
               for path in queries.rglob("*.rq")
               for found in re.findall(r'REGEX\([^,]+,\s*"([^"]*(?:rncp|RNCP)[^"]*)"', path.read_text(encoding="utf-8"))}
    # The listings read stored sort keys (derived/listings) and no query tests a fiche IRI today;
    # one that does must write this regex.
    assert {found for _, found in regexes} <= {FICHE_KEY_REGEX}
    for number in ("RNCP35080", "RS5000"):
        assert FICHE_NUMBER.match(number) and FICHE_IRI.fullmatch(str(fiche_iri(number)))
        assert re.search(FICHE_KEY_REGEX, str(fiche_iri(number)).split("/id/")[1])
    assert not FICHE_IRI.fullmatch(str(fiche_iri("RNCP35080")) + "/bc01")
    for module, path in modules().items():
        assert not re.search(r"\(\?:?rncp\|rs\)|\(\?:?RNCP\|RS\)", path.read_text(encoding="utf-8")) or module in ("records", "vocab"), module
