"""The documentation keeps up: every command in the README, every vocab term in the ontology."""

from __future__ import annotations

from pathlib import Path

from rdflib import Graph

from certgraph.cli import cli
from certgraph.resources import ontology_path
from certgraph.vocab import CG, TERMS

README = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")


def test_readme_starts_with_the_two_commands():
    head = README.split("\n## ", 1)[0]
    assert "make demo" in head and "make test" in head


def test_every_command_is_in_the_readme():
    for name in cli.commands:
        assert f"certgraph {name}" in README, name


def test_every_vocab_term_is_declared_with_labels_in_both_languages():
    ontology = Graph().parse(ontology_path())
    for term in TERMS:
        labels = {label.language for label in ontology.objects(CG[term], __import__("rdflib").RDFS.label)}
        assert {"fr", "en"} <= labels, term
        comments = {c.language for c in ontology.objects(CG[term], __import__("rdflib").RDFS.comment)}
        assert {"fr", "en"} <= comments, term
