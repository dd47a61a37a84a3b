"""Reading a SPARQL text before it runs: what it asks of the server, found without parsing it.

A small lexer (strings in their four quote forms with escapes, IRIs, comments, variables, prefixed
names) tells the endpoint and ``certgraph sparql`` what they must refuse or adapt to before a query
reaches the store:

- ``SERVICE``: the store would send an HTTP request to any endpoint the query names;
- a dataset named by ``FROM`` / ``FROM NAMED``: then the union default graph must not replace it;
- the nesting depth of ``{``, ``(``, ``[`` and ``<<``, and the number of operators Oxigraph's parser
  and evaluator chain recursively: both grow its stack, and a stack overflow kills the process;
- an update, on a read-only store.

Oxigraph reads keywords case-insensitively and with no word boundary: ``SERVICEex:e{…}`` is
``SERVICE ex:e {…}``, ``1SERVICE<…>`` and ``trueSERVICE<…>`` end an object then call SERVICE. So
"SERVICE" anywhere outside a string, an IRI, a comment, a variable name or the local part of a
prefixed name (those Oxigraph reads whole) counts as the keyword; a prefix named ``service:`` is
refused with it.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import NamedTuple

import pyoxigraph as ox

# Measured with pyoxigraph 0.5 in a process with the usual 8 MB stack (a query worker's): 780
# nested ``{ FILTER EXISTS { … } }`` overflow it (10 KB a level, the dearest construct; plain groups
# die at 2,200, parentheses at 4,500), and so do 2,700 BINDs or MINUS in a row (3 KB each; UNION
# 6,600, ``&&`` 9,000). Real queries stay far below: the named queries nest at most 7 deep and hold
# at most 56 operators. The dearest query we found within both limits needs 3.2 MB.
MAX_DEPTH = 128
MAX_OPERATORS = 1000

_BASE = (
    "A-Za-z\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u02ff\u0370-\u037d\u037f-\u1fff\u200c-\u200d"
    "\u2070-\u218f\u2c00-\u2fef\u3001-\ud7ff\uf900-\ufdcf\ufdf0-\ufffd\U00010000-\U000effff"
)
_CHARS_U = _BASE + "_"
_CHARS = _CHARS_U + "\\-0-9\u00b7\u0300-\u036f\u203f-\u2040"
_PLX = r"%[0-9A-Fa-f]{2}|\\[_~.\-!$&'()*+,;=/?#@%]"
_PREFIX = f"[{_BASE}](?:[{_CHARS}.]*[{_CHARS}])?"
_LOCAL = f"(?:[{_CHARS_U}:0-9]|{_PLX})(?:(?:[{_CHARS}.:]|{_PLX})*(?:[{_CHARS}:]|{_PLX}))?"
_UCHAR = r"\\u[0-9A-Fa-f]{4}|\\U[0-9A-Fa-f]{8}"
_IRI_CHARS = "[^<>\"{}|^`\\\\\x00-\x20]*"
_IRI = f"<{_IRI_CHARS}(?:(?:{_UCHAR}){_IRI_CHARS})*>"  # unrolled: four times faster than (?:char|uchar)*
_PNAME = f"(?:{_PREFIX})?:(?:{_LOCAL})?"

# One alternative per token kind, tried in order; the last takes any other character alone, so the
# lexer never fails (a text Oxigraph cannot parse is refused by Oxigraph).
_TOKEN = re.compile(
    rf"""
    (?P<space>[ \t\r\n]+)
  | (?P<comment>\#[^\r\n]*)
  | (?P<string>'''(?:(?:'|'')?(?:[^'\\]|\\[\s\S]))*'''
             |\"\"\"(?:(?:"|"")?(?:[^"\\]|\\[\s\S]))*\"\"\"
             |'(?:[^'\\\r\n]|\\[^\r\n])*'
             |"(?:[^"\\\r\n]|\\[^\r\n])*")
  | (?P<iri>{_IRI})
  | (?P<var>[?$][{_CHARS_U}0-9][{_CHARS_U}0-9\u00b7\u0300-\u036f\u203f-\u2040]*)
  | (?P<bnode>_:[{_CHARS_U}0-9](?:[{_CHARS}.]*[{_CHARS}])?)
  | (?P<pname>{_PNAME})
  | (?P<number>[0-9]+\.[0-9]*[eE][+-]?[0-9]+|\.?[0-9]+[eE][+-]?[0-9]+|[0-9]*\.[0-9]+|[0-9]+)
  | (?P<lang>@[A-Za-z0-9-]+)
  | (?P<word>[{_CHARS_U}][{_CHARS_U}0-9]*)
  | (?P<op>&&|\|\||!=|<=|>=|\^\^|<<|>>|[\s\S])
    """,
    re.VERBOSE,
)
_TERM = re.compile(f"{_IRI}|{_PNAME}")
_DOT_SEGMENT = re.compile(r"/(?:\.|%2[eE]){1,2}(?:[/?#]|$)")

FORMS = ("SELECT", "CONSTRUCT", "DESCRIBE", "ASK")
UPDATES = ("INSERT", "DELETE", "LOAD", "CLEAR", "CREATE", "DROP", "COPY", "MOVE", "ADD", "WITH")
OPENING, CLOSING = {"{", "(", "[", "<<"}, {"}", ")", "]", ">>"}
# What Oxigraph turns into one more level of its algebra (or of an expression) each time.
OPERATOR_WORDS = ("UNION", "MINUS", "OPTIONAL", "FILTER", "BIND", "GRAPH", "SERVICE", "EXISTS", "NOT", "VALUES")
OPERATOR_SIGNS = {"&&", "||", "!", "!=", "=", "<", ">", "<=", ">=", "+", "-", "*", "/", "|", "^"}
# Keywords as Oxigraph reads them: case-insensitive, at the start of a word, with no boundary after.
_FORM = re.compile("|".join(FORMS + UPDATES), re.IGNORECASE)
_OPERATOR = re.compile("|".join(OPERATOR_WORDS), re.IGNORECASE)
UPDATE_REFUSED = "SPARQL Update is refused: the store is read-only"


class QueryRefused(ValueError):
    """A query refused before it runs; ``status`` is the HTTP status the endpoint answers with."""

    def __init__(self, message: str, status: int = 400):
        super().__init__(message)
        self.message = message
        self.status = status


class Token(NamedTuple):
    """A lexeme of a SPARQL text: its kind (a group name of ``_TOKEN``), its text, where it starts."""

    kind: str
    text: str
    start: int


@dataclass(frozen=True)
class Service:
    """One place where Oxigraph may read SERVICE: its line, and the endpoint as written.

    ``endpoints`` holds every reading of the endpoint (``SERVICE SILENTex:e`` is SILENT then
    ``ex:e``, or the prefixed name ``SILENTex:e``); empty when no endpoint follows.
    """

    line: int
    endpoints: tuple[str, ...]


@dataclass(frozen=True)
class Outline:
    """What the lexer tells about a query: its form, SERVICE calls, dataset, depth, operators.

    From :func:`check`, ``depth`` and ``operators`` may be bounds above the exact figures (a text
    far from every limit is not lexed whole), and ``prologue`` None.
    """

    form: str | None
    services: tuple[Service, ...]
    names_dataset: bool
    depth: int
    operators: int
    prologue: tuple[tuple[str, ...], ...] | None

    @property
    def is_update(self) -> bool:
        return self.form == "UPDATE"


def tokenize(text: str) -> list[Token]:
    """The tokens of ``text``, without whitespace and comments.

    >>> [t.text for t in tokenize('SELECT * { ?s <p> "}" } # {')]
    ['SELECT', '*', '{', '?s', '<p>', '"}"', '}']
    """
    return [
        Token(match.lastgroup, match.group(), match.start())
        for match in _TOKEN.finditer(text)
        if match.lastgroup not in ("space", "comment")
    ]


def strip_comments(text: str) -> str:
    """The query without its comments (strings and IRIs holding a ``#`` are kept).

    >>> strip_comments('SELECT ?x WHERE { ?x ?p "#1" } # describe')
    'SELECT ?x WHERE { ?x ?p "#1" } '
    """
    return "".join(m.group() for m in _TOKEN.finditer(text) if m.lastgroup != "comment")


def where_braces(text: str, everywhere: bool = False) -> list[int]:
    """Where the query's WHERE pattern opens: the offset just after its brace (``[]`` if none).

    The brace after the first ``WHERE`` (or the first brace, for ``SELECT * { … }`` and ``ASK {
    … }``); with ``everywhere``, also the brace of each sub-SELECT's WHERE. Braces in strings, IRIs
    and comments do not count.

    >>> text = 'SELECT ?x WHERE { ?x ?p "{" { SELECT ?x WHERE { ?x ?q ?y } } }'
    >>> [text[:at][-10:] for at in where_braces(text, everywhere=True)]
    ['?x WHERE {', '?x WHERE {']
    """
    found: list[int] = []
    first_brace = None
    seen_where = False
    for token in tokenize(text):
        if token.kind == "word" and token.text.upper() == "WHERE":
            seen_where = True
        elif token.text == "{":
            if seen_where:
                found.append(token.start + 1)
                seen_where = False
                if not everywhere:
                    break
            elif first_brace is None and not found:
                first_brace = token.start + 1
    if not found and first_brace is not None:
        found.append(first_brace)
    return found


def inject_values(text: str, values_block: str, everywhere: bool = False) -> str:
    """``values_block`` inserted right after the opening brace of the query's WHERE pattern.

    With ``everywhere``, also at the start of each sub-SELECT's WHERE, so that a subquery (which
    SPARQL evaluates before the values outside it are joined) is bound too.

    :raises ValueError: the text has no WHERE pattern.

    >>> inject_values('SELECT ?x WHERE { ?x ?p "{" }', 'VALUES ?x { <urn:a> }')
    'SELECT ?x WHERE { VALUES ?x { <urn:a> } ?x ?p "{" }'
    """
    places = where_braces(text, everywhere)
    if not places:
        raise ValueError("no WHERE pattern to bind parameters in")
    for at in reversed(places):
        text = f"{text[:at]} {values_block}{text[at:]}"
    return text


def _keyword_text(token: Token) -> str:
    """The part of a token where Oxigraph may read a keyword (not a prefixed name's local part)."""
    if token.kind == "pname":
        return token.text.split(":", 1)[0]
    if token.kind in ("string", "iri", "var"):
        return ""
    return token.text


def _starts(token: Token, keywords: re.Pattern) -> str | None:
    """The keyword a word token starts with, in capitals; None for any other token."""
    match = keywords.match(token.text) if token.kind == "word" else None
    return match.group().upper() if match else None


def _readings(text: str) -> tuple[str, ...]:
    """An endpoint as written, and without a SILENT glued before it."""
    if text.upper().startswith("SILENT") and len(text) > len("SILENT"):
        return text, text[len("SILENT"):]
    return (text,)


def _services(text: str, tokens: list[Token]) -> tuple[Service, ...]:
    services = []
    for index, token in enumerate(tokens):
        where = _keyword_text(token).upper().find("SERVICE")
        if where < 0:
            continue
        rest, following = token.text[where + len("SERVICE"):], tokens[index + 1:index + 3]
        if rest.upper() == "SILENT":  # SERVICESILENT <e>
            rest = ""
        elif not rest and following and following[0].text.upper() == "SILENT":  # SERVICE SILENT <e>
            following = following[1:]
        if rest:  # SERVICEex:e, SERVICE:e
            endpoints = _readings(rest)
        elif following and following[0].kind in ("iri", "pname", "var", "word"):
            endpoints = _readings(following[0].text)
        else:
            endpoints = ()
        services.append(Service(text.count("\n", 0, token.start) + 1, endpoints))
    return tuple(services)


def _prologue(tokens: list[Token]) -> tuple[tuple[str, ...], ...] | None:
    """The BASE and PREFIX declarations before the query form, each as its tokens' texts; None when
    what comes before the form is not plainly that (then no endpoint can be resolved)."""
    declarations, index = [], 0
    while index < len(tokens) and not _starts(tokens[index], _FORM):
        token, rest = tokens[index], tokens[index + 1:index + 3]
        if token.text.upper() == "BASE" and rest[:1] and rest[0].kind == "iri":
            declarations.append((token.text, rest[0].text))
            index += 2
        elif token.text.upper() == "PREFIX" and len(rest) == 2 and rest[0].kind == "pname" \
                and rest[0].text.endswith(":") and rest[1].kind == "iri":
            declarations.append((token.text, rest[0].text, rest[1].text))
            index += 3
        else:
            return None
    return tuple(declarations)


def _names_dataset(tokens: list[Token], form_at: int, form: str) -> bool:
    """Whether a FROM stands between the query form and its WHERE group (the only place it may)."""
    depth, index = 0, form_at + 1
    if form == "CONSTRUCT" and index < len(tokens) and tokens[index].text == "{":
        while index < len(tokens):  # the template, not the WHERE group
            depth += (tokens[index].text in OPENING) - (tokens[index].text in CLOSING)
            index += 1
            if depth == 0:
                break
    for token in tokens[index:]:
        if depth == 0 and token.text == "{":
            return False
        depth += (token.text in OPENING) - (token.text in CLOSING)
        if depth == 0 and _keyword_text(token).upper().startswith("FROM"):
            return True
    return False


def outline(text: str) -> Outline:
    """Read ``text`` with the lexer (see the module docstring); never raises.

    >>> o = outline('PREFIX ex: <http://example.org/> SELECT * FROM ex:g { SERVICE ex:e { ?s ?p ?o } }')
    >>> o.form, o.names_dataset, o.depth, [s.endpoints for s in o.services]
    ('SELECT', True, 2, [('ex:e',)])
    """
    tokens = tokenize(text)
    form_at = next((i for i, t in enumerate(tokens) if _starts(t, _FORM)), None)
    form = None if form_at is None else _starts(tokens[form_at], _FORM)
    depth = deepest = operators = 0
    for token in tokens:
        if token.text in OPENING:
            depth += 1
            deepest = max(deepest, depth)
        elif token.text in CLOSING:
            depth -= 1
        if token.text in OPERATOR_SIGNS or _starts(token, _OPERATOR):
            operators += 1
    return Outline(
        form="UPDATE" if form in UPDATES else form,
        services=_services(text, tokens),
        names_dataset=form in FORMS and _names_dataset(tokens, form_at, form),
        depth=deepest,
        operators=operators,
        prologue=_prologue(tokens),
    )


def resolve(prologue: tuple[tuple[str, ...], ...], term: str, base_iri: str | None = None) -> str | None:
    """The IRI ``term`` (``<…>`` or a prefixed name) stands for under ``prologue``, resolved by
    Oxigraph itself; None when it is not an IRI there.

    >>> resolve((("PREFIX", "ex:", "<http://example.org/>"),), "ex:a")
    'http://example.org/a'
    """
    if not _TERM.fullmatch(term):
        return None
    declarations = " ".join(" ".join(declaration) for declaration in prologue)
    try:
        solutions = ox.Store().query(f"{declarations}\nSELECT ?x WHERE {{ BIND({term} AS ?x) }}", base_iri=base_iri)
        value = next(iter(solutions))["x"]
    except (SyntaxError, StopIteration, ValueError):
        return None
    return value.value if isinstance(value, ox.NamedNode) else None


def check(
    text: str,
    allow_service: Sequence[str] | None = (),
    base_iri: str | None = None,
) -> Outline:
    """Refuse what must not run, else return the query's outline.

    :param allow_service: IRI prefixes of the endpoints SERVICE may call (the endpoint's
        ``--allow-service``); empty refuses every SERVICE, None refuses it where no option can
        allow it (``certgraph sparql``).
    :param base_iri: the IRI relative IRIs resolve against (the endpoint's URL).
    :raises QueryRefused: 403 for an update; 400 for SERVICE to an endpoint not allowed, nesting
        deeper than MAX_DEPTH, more operators than MAX_OPERATORS.
    """
    found = _screened(text) or outline(text)
    if found.is_update:
        raise QueryRefused(UPDATE_REFUSED, 403)
    if found.depth > MAX_DEPTH:
        raise QueryRefused(f"the query nests groups, parentheses or brackets {found.depth} deep; at most {MAX_DEPTH} are accepted")
    if found.operators > MAX_OPERATORS:
        raise QueryRefused(f"the query holds {found.operators:,} operators (UNION, OPTIONAL, FILTER, BIND, &&, +, …); "
                           f"at most {MAX_OPERATORS:,} are accepted")
    for service in found.services:
        _check_service(service, found.prologue, allow_service, base_iri)
    return found


# What the lexer's verdict can depend on, read from the raw text in capitals (the keywords and
# operators in any case). İ is the one letter of these words that Python's IGNORECASE matches to an
# ASCII one and upper() leaves alone (the Kelvin sign matches k, which none of them holds).
_SCREEN_WORDS = ("SERVICE", "FROM") + UPDATES
_OPERATOR_CHARS = "&|!=<>+-*/^"
# What Oxigraph reads whole wherever it stands, so that no keyword hides in it: a variable's name
# (``?from``) and a prefixed name's local part (``prov:wasDerivedFrom``). Not a blank node's label
# (``_:from``), which the lexer counts: a colon right after ``_`` is left in place.
_READ_WHOLE = re.compile(rf"[?$][{_CHARS_U}0-9][{_CHARS_U}0-9\u00b7\u0300-\u036f\u203f-\u2040]*|(?<!_):(?:{_LOCAL})?")


def _screened(text: str) -> Outline | None:
    """The outline of a text the lexer plainly lets through, without lexing it all; None when in doubt.

    The whole text counts but for whole-line comments (strings, IRIs and comments after code
    included), so every figure is at least the lexer's: no SERVICE, FROM or update keyword anywhere
    but in a variable's name or a prefixed name's local part, which Oxigraph reads whole (then none
    as a keyword either, and a dataset cannot be named), at most MAX_DEPTH openings, at
    most MAX_OPERATORS operator signs and words. ``depth`` and ``operators`` are those bounds; the
    form is read by lexing up to it. A text that passes is refused for nothing by :func:`outline`
    either; one that does not is lexed.

    >>> _screened('SELECT * WHERE { ?s ?p "x" }').form, _screened('SELECT * FROM <g> { ?s ?p ?o }')
    ('SELECT', None)
    >>> _screened('SELECT ?from { ?s prov:wasDerivedFrom ?from }').form, _screened('SELECT * { _:from ?p ?o }')
    ('SELECT', None)
    """
    if "'''" not in text and '"""' not in text:
        # Only a long string spans lines: without one, a line opening with # is a comment.
        # A line ends at \r or \n, as a comment does (not at the other ends str.splitlines knows).
        text = "\n".join(line for line in text.replace("\r", "\n").split("\n") if not line.lstrip(" \t").startswith("#"))
    upper = text.upper().replace("\u0130", "I")
    if any(word in upper for word in _SCREEN_WORDS):
        # Again, with what no keyword can hide in cut out (a space for each).
        words = _READ_WHOLE.sub(" ", text).upper().replace("\u0130", "I")
        if any(word in words for word in _SCREEN_WORDS):
            return None
    depth = sum(text.count(sign) for sign in ("{", "(", "[", "<<"))
    operators = sum(text.count(sign) for sign in _OPERATOR_CHARS) + sum(upper.count(word) for word in OPERATOR_WORDS)
    if depth > MAX_DEPTH or operators > MAX_OPERATORS:
        return None
    form = None
    for match in _TOKEN.finditer(text):
        if match.lastgroup == "word" and (found := _FORM.match(match.group())):
            form = found.group().upper()
            break
    return Outline(form=form, services=(), names_dataset=False, depth=depth, operators=operators, prologue=None)


def _check_service(
    service: Service,
    prologue: tuple[tuple[str, ...], ...] | None,
    allow_service: Sequence[str] | None,
    base_iri: str | None,
) -> None:
    where = f"line {service.line}: SERVICE"
    if allow_service is None:
        raise QueryRefused(f"{where} is refused: certgraph queries its own store only and never calls another "
                           "endpoint (run the query on a SPARQL server that allows SERVICE)")
    if not allow_service:
        raise QueryRefused(f"{where} is refused: this server makes no request to other endpoints "
                           "(its operator can allow some with --allow-service URL-PREFIX)")
    if not service.endpoints:
        raise QueryRefused(f"{where} is refused: no endpoint IRI follows it")
    for endpoint in service.endpoints:
        if endpoint.startswith(("?", "$")):
            raise QueryRefused(f"{where} {endpoint} is refused: the endpoint must be an IRI, not a variable")
        iri = resolve(prologue, endpoint, base_iri) if prologue is not None else None
        if iri is None:
            raise QueryRefused(f"{where} {endpoint} is refused: it does not name an IRI this server can check")
        if not iri.startswith(tuple(allow_service)):
            raise QueryRefused(f"{where} <{iri}> is refused: it is not under a prefix this server allows "
                               "(--allow-service URL-PREFIX)")
        if _DOT_SEGMENT.search(iri):  # the other server would climb out of the allowed prefix
            raise QueryRefused(f"{where} <{iri}> is refused: its path has . or .. segments")


__all__ = ["MAX_DEPTH", "MAX_OPERATORS", "UPDATE_REFUSED", "Outline", "QueryRefused", "Service", "Token", "check", "outline",
           "resolve", "tokenize"]
