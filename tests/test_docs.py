"""The documentation keeps up: every command in the README, its figures from a real build, the pages it
links to, every vocab term in the ontology."""

from __future__ import annotations

import re
from pathlib import Path

from rdflib import Graph

from certgraph.cli import cli
from certgraph.resources import ontology_path
from certgraph.vocab import CG, TERMS

README = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")


def test_readme_starts_with_the_two_commands():
    head = README.split("\n## ", 1)[0]
    assert "make demo" in head and "make test" in head


def test_the_readmes_figures_are_those_of_a_build_of_data(demo_build):
    from click.testing import CliRunner

    result = CliRunner().invoke(cli, ["stats", "--as-of", "2026-12-03", "--store", str(demo_build.store)])
    assert result.exit_code == 0, result.output
    assert f"$ certgraph stats --as-of 2026-12-03\n{result.output.rstrip()}\n```" in README


def test_every_page_the_readme_links_to_exists():
    root = Path(__file__).resolve().parent.parent
    linked = re.findall(r"\]\(((?:docs/)?[\w./-]+\.md)(?:#[\w-]+)?\)", README)
    assert {"docs/guide.md", "docs/design.md", "docs/data.md", "docs/benchmarks.md", "docs/limits.md"} <= set(linked)
    assert [page for page in linked if not (root / page).exists()] == []


def test_every_command_is_in_the_readme():
    import click

    names = cli.list_commands(click.Context(cli))
    assert "fetch-export" in names and "lineage" in names
    for name in names:
        assert f"certgraph {name}" in README, name


def test_every_vocab_term_is_declared_with_labels_in_both_languages():
    ontology = Graph().parse(ontology_path())
    for term in TERMS:
        labels = {label.language for label in ontology.objects(CG[term], __import__("rdflib").RDFS.label)}
        assert {"fr", "en"} <= labels, term
        comments = {c.language for c in ontology.objects(CG[term], __import__("rdflib").RDFS.comment)}
        assert {"fr", "en"} <= comments, term
