"""Named-query parameters are rejected or bound as one RDF term, never run as SPARQL text.

Property-based: hypothesis throws quotes, braces, ``} UNION {``, newlines, comments, IRIs and
arbitrary Unicode at every parameter of every named query. A value is either refused with a
QueryError, or bound: the query still parses, and the VALUES block it got holds exactly one row
whose term is the one the parameter's type makes of the value (a text round-trips exactly).

Only one parameter in twenty-odd is free text, so random values seldom reach the escaping: explicit
examples, one per way out of a string literal, check each text value round-trips exactly and leaves
the query text around it exactly as a plain value does.
"""

from __future__ import annotations

import pyoxigraph as ox
from rdflib import Literal
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from certgraph.queries import QueryError, load_queries
from certgraph.sparql_text import strip_comments
from certgraph.store import RdflibStore, term_nt

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
@example(case=next(c for c in CASES if c[0].name == "fiche/summary" and c[1].name == "asOf"), value="2025-01-01")  # a VALUES of its own
@example(case=next(c for c in CASES if c[0].name == "fiche/nearest" and c[1].name == "mode"), value="SELECT SELECT")  # a value saying SELECT
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
    # One VALUES block, or one more per subquery the query binds too, each the same. Binding's
    # block comes first; a query may have VALUES of its own (fiche/summary's fields), not counted.
    first = text.index("VALUES (")
    header = text[first:text.index(")", first) + 1]
    # SELECT counted in the query as written, without its comments: a bound string may say the word.
    assert text.count(header) == (strip_comments(query.text).count("SELECT") if query.bind_subqueries else 1)
    assert len({text[i:text.index("}", i)] for i in _starts(text, header)}) == 1


def _starts(text: str, needle: str) -> list[int]:
    found, i = [], text.find(needle)
    while i != -1:
        found.append(i)
        i = text.find(needle, i + 1)
    return found


TEXT_CASES = [(q, p) for q, p in CASES if p.type in ("string", "search")]
HIT = "https://w3id.org/certgraph/id/rncp/35080"
PLAIN = "plain"
# Each text gets out of a SPARQL string literal, or changes its value, if one escape is lost.
TRICKY_TEXTS = {
    "double quote": 'le "projet" de fin',
    "single quote": "l'atelier d'écriture",
    "both quotes": """d'un "bloc" à l'autre""",
    "backslash": "C:\\dossier\\fichier",
    "trailing backslash": "fin\\",  # unescaped, it escapes the closing quote
    "escaped quote": 'a\\" } UNION { ?s ?p ?o } #',
    "backslash n": "\\n is not a newline",
    "newline": "ligne 1\nligne 2",
    "carriage return": "ligne 1\r\nligne 2",
    "tab": "colonne 1\tcolonne 2",
    "control characters": "a\x0bb\x0cc\x00d\x7fe",
    "Unicode line separators": "a\u2028b\u2029c\x85d",
    "\\u escape of a quote": "\\u0022 } UNION { ?s ?p ?o } #",
    "\\U escape": "\\U0001F600 = 😀",
    "closing brace and triple pattern": 'x" } UNION { ?s ?p ?o } #',
    "breakout into a second VALUES row": f'x" <{HIT}> 1) ("y',
    "breakout with a closing parenthesis": f'x") }} ?s ?p ?o . VALUES (?text) {{ ("y',
    "comment": "# WHERE { ?s ?p ?o }",
    "quote then comment": 'x" #',
    "long string": '"""',
    "long single-quoted string": "'''",
    "long-string breakout": '""" } UNION { ?s ?p ?o } """',
    "language tag and datatype": '"@fr "^^<urn:x>',
    "IRI and variables": "<http://evil.example/x> ?text $hit",
    "keywords": "SELECT * WHERE { ?s ?p ?o } ; DROP ALL",
}


def term_text(query, param, value: str) -> str:
    """The SPARQL text ``value`` becomes in the bound query, checking the text around it is the
    text around a plain value: same query, same VALUES blocks (one, or one per subquery the query
    binds too), one row each."""
    plain = query.bind({**query.example_values(), param.name: PLAIN}, hits=[HIT])
    parts = plain.split(f'"{PLAIN}"')
    assert len(parts) - 1 == (1 + plain.count("SELECT") - 1 if query.bind_subqueries else 1)
    text = query.bind({**query.example_values(), param.name: value}, hits=[HIT])
    before, after = parts[0], parts[-1]
    assert text.startswith(before) and text.endswith(after)
    term = text[len(before):].split(parts[1], 1)[0] if len(parts) > 2 else text[len(before):len(text) - len(after)]
    assert text == term.join(parts), "every VALUES block holds the same term, the text around them unchanged"
    return term


@pytest.mark.parametrize("value", TRICKY_TEXTS.values(), ids=TRICKY_TEXTS.keys())
@pytest.mark.parametrize("case", TEXT_CASES, ids=lambda case: f"{case[0].name}:{case[1].name}")
def test_a_text_round_trips_exactly_and_leaves_the_query_shape_alone(case, value):
    query, param = case
    term = term_text(query, param, value)
    # The term alone is one string literal whose value is the text, character for character.
    rows = ox.Store().query(f"SELECT ?x WHERE {{ VALUES ?x {{ {term} }} }}")
    assert [row["x"] for row in rows] == [ox.Literal(value)]
    ox.Store().query(query.bind({**query.example_values(), param.name: value}, hits=[HIT]))


# The rdflib reference reads them the same too, although SPARQL 1.1 (section 19.2) lets it expand
# \u and \U codepoint escapes anywhere in the query text before parsing (the text ``\\u0022``, an
# escaped backslash then u0022, would read as an escaped quote), and pyparsing turns a tab into
# spaces: the escaping writes such a ``u`` and a tab as escapes of their own.
@pytest.mark.parametrize("value", TRICKY_TEXTS.values(), ids=TRICKY_TEXTS.keys())
@pytest.mark.parametrize("case", TEXT_CASES, ids=lambda case: f"{case[0].name}:{case[1].name}")
def test_the_rdflib_reference_reads_the_same_text(case, value):
    query, param = case
    result = RdflibStore().query(f"SELECT ?x WHERE {{ VALUES ?x {{ {term_text(query, param, value)} }} }}")
    assert [row["x"] for row in result.rows] == [Literal(value)]
