"""The SPARQL 1.1 Protocol's requests, read from bytes, and its answers, written as bytes.

What :mod:`certgraph.web.app` (the ASGI application) and the query workers that answer a connection
handed to them (:mod:`certgraph.web.engine`, through :mod:`certgraph.web.front`) must read and write
alike: the form fields of a query string, the protocol's parameters, the screen a client's query
passes before it runs (:func:`certgraph.sparql_text.check`) and the dataset it runs on, and the head
of an answer. Light on purpose: a worker imports it, and not the web framework.
"""

from __future__ import annotations

import binascii
import re
import time
from email.utils import formatdate
from http import HTTPStatus
from urllib.parse import unquote_to_bytes

import pyoxigraph as ox

from ..sparql_text import UPDATE_REFUSED, QueryRefused, check

SINGLE_PARAMS = ("query", "format", "output", "timeout")
CORS = (b"access-control-allow-origin", b"*")
PLAIN_TEXT = "text/plain; charset=utf-8"
# A query calling another endpoint (SERVICE) that fails is answered 502 with this, not with what the other endpoint said.
SERVICE_FAILED = "a SERVICE call failed; the other endpoint's answer is not shown"

Headers = list[tuple[bytes, bytes]]


def timeout_value(value: str | None) -> float | None:
    """The ``timeout`` parameter in seconds, None when not given; raises QueryRefused (400) when not a positive number."""
    if value in (None, ""):
        return None
    try:
        seconds = float(value)
    except ValueError:
        raise QueryRefused(f"timeout={value!r}: expected a number of seconds") from None
    if not seconds > 0:
        raise QueryRefused(f"timeout={value!r}: expected a positive number of seconds")
    return seconds


def decode_text(raw: bytes, where: str) -> str:
    """``raw`` as strict UTF-8; raises QueryRefused (400) naming ``where`` otherwise."""
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise QueryRefused(f"{where} is not valid UTF-8 (byte {exc.start})") from None


# urllib's unquote_to_bytes loops over the escapes in Python, and a query in a URL is mostly escapes:
# decoding it twice took a quarter of the web process's time per query. Quoted-printable decoding (binascii,
# in C) is the same with "=" for "%", for a text of printable ASCII whose escapes are all well formed.
_PRINTABLE = bytes(range(0x21, 0x7F))
_MALFORMED_ESCAPE = re.compile(rb"%(?![0-9A-Fa-f]{2})")


def unquote_plus(raw: bytes) -> bytes:
    """A form field decoded: ``+`` is a space, then percent-escapes, exactly as
    ``urllib.parse.unquote_to_bytes(raw.replace(b"+", b" "))`` and seven times faster on a query in a URL.

    >>> unquote_plus(b"ASK%7B%7d+%2B+x=1"), unquote_plus(b"100%zz%41"), unquote_plus(b"%C3%A9%3D=")
    (b'ASK{} + x=1', b'100%zzA', b'\xc3\xa9==')
    """
    if raw.translate(None, _PRINTABLE) or _MALFORMED_ESCAPE.search(raw):
        # not the quoted-printable subset: spaces, controls, bytes over 127, a bare %
        return unquote_to_bytes(raw.replace(b"+", b" "))
    return binascii.a2b_qp(raw.replace(b"=", b"%3D").replace(b"%", b"=").replace(b"+", b"=20"))


def form_fields(raw: bytes, where: str) -> list[tuple[str, str]]:
    """The ``name=value&…`` fields of a query string or a form body, percent-decoded as strict UTF-8.

    >>> form_fields(b"query=ASK%7B%7D&timeout=2&x", "the query string")
    [('query', 'ASK{}'), ('timeout', '2'), ('x', '')]

    :raises QueryRefused: 400 naming ``where`` (and the parameter) when a field is not UTF-8.
    """
    fields = []
    for part in raw.split(b"&"):
        if part:
            name, _, value = part.partition(b"=")
            name = decode_text(unquote_plus(name), where)
            fields.append((name, decode_text(unquote_plus(value), f"parameter {name!r} in {where}")))
    return fields


def protocol_values(params: list[tuple[str, str]], query: str | None) -> tuple[dict[str, list[str]], str | None]:
    """A protocol request's parameters by name, and its query, from its fields (and body query).

    :raises QueryRefused: 403 for an update, 400 for a parameter given twice or a graph that is not an IRI.
    """
    values: dict[str, list[str]] = {}
    for name, value in params:
        values.setdefault(name, []).append(value)
    if "update" in values:
        raise QueryRefused(UPDATE_REFUSED, 403)
    for name in SINGLE_PARAMS:
        if len(values.get(name, ())) > 1:
            raise QueryRefused(f"give the {name} parameter at most once")
    if query is not None and "query" in values:
        raise QueryRefused("give the query once: in the request body or as the query parameter, not both")
    for name in ("default-graph-uri", "named-graph-uri"):
        for iri in values.get(name, ()):
            if not is_iri(iri):
                raise QueryRefused(f"{name}={iri!r}: expected an absolute IRI")
    return values, query if query is not None else (values.get("query") or [None])[0]


def is_iri(value: str) -> bool:
    """Whether ``value`` is an absolute IRI (a scheme, and nothing the store would refuse)."""
    if not re.fullmatch(r"[a-zA-Z][a-zA-Z0-9+.-]*:[^\s<>\"{}|\\^`]*", value):
        return False
    try:
        ox.NamedNode(value)
    except ValueError:
        return False
    return True


def get_request(fields: list[tuple[str, str]]) -> tuple[str | None, str | None, float | None, list[str] | None, list[str] | None]:
    """A protocol GET's (query, format, timeout, default graphs, named graphs) from its query string's fields.

    :raises QueryRefused: see :func:`protocol_values` and :func:`timeout_value`.
    """
    values, query = protocol_values(fields, None)
    return query, *query_options(values)


def query_options(values: dict[str, list[str]]) -> tuple[str | None, float | None, list[str] | None, list[str] | None]:
    """A protocol request's (format, timeout, default graphs, named graphs) from its parameters by name.

    :raises QueryRefused: see :func:`timeout_value`.
    """
    fmt = (values.get("format") or values.get("output") or [None])[0]
    return fmt, timeout_value((values.get("timeout") or [None])[0]), values.get("default-graph-uri"), values.get("named-graph-uri")


def screened(query: str, default_graphs: list[str] | None, named_graphs: list[str] | None,
             allow_service: tuple[str, ...], endpoint_url: str) -> dict:
    """Check a client's query (:func:`certgraph.sparql_text.check`) and say what it runs on: the
    fields of an engine request (``default_graphs``, ``named_graphs``, ``union``, ``base_iri``) and
    ``service`` (whether it calls another endpoint).

    The dataset: the protocol's graphs when any is given (they replace the query's own, and the one
    not given is empty); else the query's FROM / FROM NAMED; else the union of all graphs.

    :raises QueryRefused: see :func:`certgraph.sparql_text.check`.
    """
    found = check(query, allow_service, endpoint_url)
    protocol = bool(default_graphs or named_graphs)
    return {
        "default_graphs": (default_graphs or []) if protocol else None,
        "named_graphs": (named_graphs or []) if protocol else None,
        "union": None if protocol else not found.names_dataset,
        "base_iri": endpoint_url,
        "service": bool(found.services),
    }


def head_fields(head: bytes) -> tuple[bytes, bytes, bytes, dict[bytes, bytes]]:
    """A request head's method, target, HTTP version and headers (names in lower case, repeated ones
    joined by ", "); raises ValueError when the request line is not three words.

    >>> head_fields(b"GET /sparql?query=ASK%7B%7D HTTP/1.1\\r\\nAccept: text/csv\\r\\naccept: text/tsv\\r\\n\\r\\n")
    (b'GET', b'/sparql?query=ASK%7B%7D', b'HTTP/1.1', {b'accept': b'text/csv, text/tsv'})
    """
    lines = head.rstrip(b"\r\n").split(b"\r\n")
    method, target, version = lines[0].split(b" ")
    headers: dict[bytes, bytes] = {}
    for line in lines[1:]:
        name, _, value = line.partition(b":")
        name, value = name.strip().lower(), value.strip()
        if name:
            headers[name] = headers[name] + b", " + value if name in headers else value
    return method, target, version, headers


def closes(version: bytes, headers: dict[bytes, bytes]) -> bool:
    """Whether the connection ends after this request's answer (HTTP/1.0, or ``Connection: close``)."""
    return version != b"HTTP/1.1" or b"close" in headers.get(b"connection", b"").lower()


def answer_headers(length: int, media_type: str) -> Headers:
    """The headers of a query's answer (besides CORS): its length, its type, and Vary."""
    media_type += "; charset=utf-8" if media_type.startswith("text/") else ""
    return [(b"content-length", str(length).encode()), (b"content-type", media_type.encode()), (b"vary", b"Accept")]


_DATE = [0.0, b""]  # until when (epoch seconds) the value below holds, and the value


def http_date() -> bytes:
    """Now, as an HTTP Date header's value (to the second, as the header has it)."""
    now = time.time()
    if now >= _DATE[0]:
        _DATE[:] = [float(int(now) + 1), formatdate(now, usegmt=True).encode()]
    return _DATE[1]


def response_head(status: int, headers: Headers, close: bool = False) -> bytes:
    """An HTTP/1.1 response's status line and headers, with Date (and ``connection: close``).

    >>> response_head(404, [(b"content-length", b"0")], close=True).split(b"\\r\\n")[0]
    b'HTTP/1.1 404 Not Found'
    """
    lines = [b"HTTP/1.1 %d %s" % (status, HTTPStatus(status).phrase.encode()), b"date: " + http_date()]
    lines += [name + b": " + value for name, value in headers]
    if close:
        lines.append(b"connection: close")
    return b"\r\n".join(lines) + b"\r\n\r\n"


def error_response(status: int, message: str, extra: Headers = (), close: bool = False) -> bytes:
    """A whole error answer, as every route of the endpoint gives it: the message, one line of plain text."""
    body = (message + "\n").encode()
    headers = [(b"content-length", str(len(body)).encode()), (b"content-type", PLAIN_TEXT.encode()), CORS, *extra]
    return response_head(status, headers, close) + body
