"""Named-query parameters are rejected or bound as one RDF term, never run as SPARQL text.

Property-based: hypothesis throws quotes, braces, ``} UNION {``, newlines, comments, IRIs and
arbitrary Unicode at every parameter of every named query. A value is either refused with a
QueryError, or bound: the query still parses, and the VALUES block it got holds exactly one row
whose term is the one the parameter's type makes of the value (a text round-trips exactly).
"""

from __future__ import annotations

import pyoxigraph as ox
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from certgraph.queries import QueryError, load_queries
from certgraph.store import term_nt

QUERIES = load_queries()
NASTY = ['"', "'", "{", "}", "<", ">", "\\", "\n", "\r", "#", " UNION ", "} UNION { ?s ?p ?o }", "SELECT", "DROP ALL",
         '""" ', "^^<urn:x>", "@fr", "?fiche", "$x", ")", "(", ".", ";", "http://evil.example/x>", "RNCP35080", "K1403", "2025-01-01"]
values = st.one_of(
    st.lists(st.sampled_from(NASTY) | st.text(st.characters(blacklist_categories=("Cs",)), max_size=8), max_size=6).map("".join),
    st.text(st.characters(blacklist_categories=("Cs",))),
)
CASES = [(q, p) for q in QUERIES.values() for p in q.params]


def values_block(query_text: str) -> str:
    """The VALUES block binding put in ``query_text``: from ``VALUES (`` to its closing brace,
    read the way SPARQL reads it (braces inside strings and IRIs do not count)."""
    start = query_text.index("VALUES (")
    depth, position = 0, query_text.index("{", start)
    while True:
        char = query_text[position]
        if char in "\"'":  # a string: skip to its unescaped closing quote
            position += 1
            while query_text[position] != char:
                position += 2 if query_text[position] == "\\" else 1
        elif char == "<":
            position = query_text.index(">", position)
        elif char in "{}":
            depth += 1 if char == "{" else -1
            if depth == 0:
                return query_text[start:position + 1]
        position += 1


def bound_terms(query_text: str, param_names: list[str]) -> list[tuple]:
    """The rows of the VALUES block that binding put in ``query_text``, read back by the store."""
    variables = " ".join(f"?{name}" for name in param_names)
    rows = ox.Store().query(f"SELECT {variables} WHERE {{ {values_block(query_text)} }}")
    return [tuple(row[name] for name in param_names) for row in rows]


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(case=st.sampled_from(CASES), value=values)
@example(case=next(c for c in CASES if c[1].type == "search"), value='recherche" } UNION { ?s ?p ?o } #')
@example(case=next(c for c in CASES if c[1].type == "fiche"), value="RNCP35080> } UNION { ?s ?p ?o")
def test_a_parameter_value_is_rejected_or_bound_as_one_term(case, value):
    query, param = case
    given_values = {**query.example_values(), param.name: value}
    try:
        text = query.bind(given_values, hits=["https://w3id.org/certgraph/id/rncp/35080"])
    except QueryError as exc:
        assert param.name in str(exc)
        return
    ox.Store().query(text)  # still one well-formed query
    names = [p.name for p in query.params]
    rows = bound_terms(text, names)
    assert len(rows) == 1
    term, expected = rows[0][names.index(param.name)], param.term(value)
    assert term.value == str(expected)
    assert type(term).__name__ == ("NamedNode" if term_nt(expected).startswith("<") else "Literal")
    if isinstance(term, ox.Literal):
        assert term.datatype.value == str(expected.datatype or "http://www.w3.org/2001/XMLSchema#string")
    if param.type in ("string", "search"):
        assert term.value == value
    assert text.count("VALUES (") == 1
