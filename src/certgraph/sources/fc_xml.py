"""Read the France Compétences XML export (flux v4.1) of the RNCP and RS registers, streaming.

The daily export (data.gouv.fr, dataset ``5eebbc067a14b6fecc9c9976``) is one file per register,
``export-fiches-rncp-v4-1-<YYYY-MM-DD>.xml`` and ``export-fiches-rs-v4-1-<YYYY-MM-DD>.xml``, often
zipped, about 1–2 GB together. Its shape (``data/rncp/xml-fixture/`` holds 20 real fiches)::

    <?xml version="1.0" encoding="UTF-8" standalone="no"?>
    <FICHES>
      <VERSION_FLUX>4.1</VERSION_FLUX>
      <FICHE>
        <ID_FICHE>20172</ID_FICHE>
        <NUMERO_FICHE>RNCP34762</NUMERO_FICHE>
        … one element per field, lists as <CODES_NSF><NSF><CODE/><LIBELLE/></NSF>…</CODES_NSF> …
      </FICHE>
      <FICHE>…</FICHE>
    </FICHES>

Every element of a fiche lands in a :class:`~certgraph.records.Fiche` field (see ``_FICHE_FIELDS``
and the functions it names). Dates are ``DD/MM/YYYY``; yes/no values are ``Oui``/``Non``; certifier
and habilitation states are ``Actif``/``Inactif``; the EQF level is ``NIV3``…``NIV8``. The export
flattens the line breaks of its long texts into runs of spaces: lists (competencies, capacities,
activities, jobs) are cut into items by :mod:`certgraph.sources.competencies`, and prose (objectives,
jury compositions) keeps one line per paragraph. Inside ``<CORRESPONDANCES>`` a nested
``<NUMERO_FICHE>`` and ``<BLOC_COMPETENCES>`` name the *other* fiche and its blocks.

How it is read, and why:

- :mod:`.fc_xml_chunks` reads the file in binary chunks and cuts it at ``<FICHE>`` … ``</FICHE>``
  while newlines are counted, so memory does not grow with the file and every fiche knows its
  first line; a zip is read member by member (every ``.xml`` in it), decompressed as it streams.
  This module maps each fiche: it is parsed on its own with ``xml.etree.ElementTree.fromstring``
  (expat): a broken fiche is one :class:`~certgraph.records.Problem` (file, line, and the number a
  regex finds), and the next fiche is read. The whole tree is never built.
- Partner lists (``<PARTENAIRES>``) are most of the bytes and elements of the big fiches (hundreds
  of habilitations each). When such a section is plain (leaf elements, valid UTF-8, no comments or
  CDATA), it is read with a regex instead of expat, which doubles the speed; anything else in it
  falls back to expat, so a malformed section is still reported as XML.
- Bytes that are not UTF-8 are read as Windows-1252 (only those bytes: the rest of the fiche stays
  UTF-8) and reported once per fiche. A file whose XML declaration names another encoding is read
  in that encoding.
- An unknown element is reported once per file and path, with its first line and fiche, and
  ignored. A fiche whose number is invalid, or that repeats an earlier fiche of the same file, is
  skipped and reported (a repeated copy only as such: it is not read). A malformed date, number or
  yes/no value is reported and left empty.
- Each fiche is read with nothing shared with the others, so that ``workers`` processes can read
  them while the caller maps and loads the previous ones; fiches and problems come out the same,
  in file order, with or without workers.

The element names are those of :mod:`.fc_schema` (``XML_CHILDREN``).
"""

from __future__ import annotations

import codecs
import datetime as dt
import functools
import html
import itertools
import re
import xml.etree.ElementTree as ET
import zipfile
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from xml.parsers.expat import ErrorString

from ..records import (
    FICHE_NUMBER,
    AccessRoute,
    Block,
    BlockCorrespondence,
    Certifier,
    CodeRef,
    CohortStatistic,
    Fiche,
    LegalPublication,
    LineageRef,
    Loaded,
    Partner,
    Problem,
    SourceRef,
    normalise_fiche_number,
)
from ..text import fold
from .common import (
    CP1252,
    FICHE_PREFIXES,
    clean_label,
    clean_siret,
    clean_text,
    parse_date_dmy,
    parse_eqf_level,
    parse_yes_no,
)
from .competencies import (
    split_assessment,
    split_competencies,
    split_statements,
    text_lines,
)
from .fc_schema import LICENCE, PUBLICATIONS, PUBLISHER, ROUTES, XML_CHILDREN, XML_FLUX_VERSION
from .fc_xml_chunks import Chunk, Splitter, XmlInput, map_in_order, number_in, xml_inputs

_VERSION = re.compile(rb"<VERSION_FLUX>\s*([^<]*?)\s*</VERSION_FLUX>")
_DECLARED_ENCODING = re.compile(rb"<\?xml[^>]*\bencoding\s*=\s*[\"']([A-Za-z0-9._-]+)[\"']")
_URL = re.compile(r"https?://[^\s<>\"]+")
_NAME_DATE = re.compile(r"(?<!\d)(\d{4})[-_]?(\d{2})[-_]?(\d{2})(?!\d)")
_NAME_REGISTER = re.compile(rf"(?:^|[^a-z])({FICHE_PREFIXES.lower()})(?:[^a-z]|$)")
EXPECTED_VERSION = XML_FLUX_VERSION
PUBLICATION_ROLES = dict(zip(PUBLICATIONS, ("general", "creation", "other")))


def _cp1252_fallback(error: UnicodeDecodeError) -> tuple[str, int]:
    """Codec error handler: decode the bytes that are not UTF-8 as Windows-1252."""
    return "".join(CP1252[b] for b in error.object[error.start : error.end]), error.end


codecs.register_error("certgraph-cp1252", _cp1252_fallback)


# ---------------------------------------------------------------------------------------------
# File names and sources.
# ---------------------------------------------------------------------------------------------


def name_register(name: str) -> str | None:
    """``rncp`` or ``rs`` when a file name says which register it holds, else None.

    >>> name_register("export-fiches-rncp-v4-1-2026-02-01.xml"), name_register("export_fiches_RS_fixture.xml")
    ('rncp', 'rs')
    >>> name_register("export.xml") is None
    True
    """
    match = _NAME_REGISTER.search(fold(Path(name).name))
    return match.group(1) if match else None


def name_date(name: str) -> dt.date | None:
    """The date a file name holds (``2026-02-01``, ``2026_02_01`` or ``20260201``), else None.

    >>> name_date("export-fiches-rncp-v4-1-2026-02-01.xml")
    datetime.date(2026, 2, 1)
    >>> name_date("export_fiches_RS_fixture.xml") is None
    True
    """
    for match in _NAME_DATE.finditer(Path(name).name):
        try:
            return dt.date(*(int(group) for group in match.groups()))
        except ValueError:
            continue
    return None


def source_ref(path: str, register: str | None, issued: dt.date | None, version: str | None = None) -> SourceRef:
    """The SourceRef of one XML file: key ``fc-xml-<date>-<register>`` (``fc-xml-<register>`` undated).

    >>> source_ref("rncp/x.xml", "rs", dt.date(2026, 2, 1), "4.1").key
    'fc-xml-2026-02-01-rs'
    >>> source_ref("rncp/x.xml", "rncp", None).key
    'fc-xml-rncp'
    """
    parts = ["fc-xml"] + ([issued.isoformat()] if issued else []) + ([register] if register else [])
    flux = f" (flux {version})" if version else ""
    when = f" of {issued.isoformat()}" if issued else ""
    what = f", {register.upper()} register" if register else ""
    return SourceRef(
        key="-".join(parts),
        path=path,
        title=f"France Compétences XML export{flux}{when}{what}",
        issued=issued,
        publisher=PUBLISHER,
        licence=LICENCE,
    )



# ---------------------------------------------------------------------------------------------
# One file.
# ---------------------------------------------------------------------------------------------


@dataclass
class _Unknown:
    line: int | None
    fiche: str | None
    count: int = 1


@dataclass
class _FileState:
    """What reading one file remembers: where fiches were first seen, the unknown elements met."""

    shown: str
    problems: list[Problem]
    first_line: dict[str, int] = field(default_factory=dict)
    unknown: dict[str, _Unknown] = field(default_factory=dict)
    encoding: str = "utf-8"

    def report(self, message: str, line: int | None = None, fiche: str | None = None, severity: str = "warning"):
        self.problems.append(Problem(self.shown, message, line, fiche, severity))


class _Context:
    """Reading one fiche: its first line and text (to locate a defect), and where to report it."""

    def __init__(self, state: _FileState, line: int, source: bytes | str, number: str | None = None) -> None:
        self.state = state
        self.line = line
        self.source = source
        self.number = number

    def line_of(self, needle: str) -> int | None:
        """The line of the first occurrence of ``needle`` in the fiche's text; None if absent."""
        if isinstance(self.source, bytes):
            index = self.source.find(needle.encode("utf-8"))
            return None if index < 0 else self.line + self.source.count(b"\n", 0, index)
        index = self.source.find(needle)
        return None if index < 0 else self.line + self.source.count("\n", 0, index)

    def report(self, message: str, tag: str | None = None, value: str | None = None, severity: str = "warning"):
        """Report a defect at the line of ``<tag>value`` (else of ``<tag``, else the fiche's first)."""
        line = None
        if tag is not None and value is not None:
            line = self.line_of(f"<{tag}>{value}")
        if tag is not None and line is None:
            line = self.line_of(f"<{tag}")
        self.state.report(message, line or self.line, self.number, severity)

    def unknown(self, tag: str, parent: str) -> None:
        """An element the reader does not know: remembered once per path, reported at the end."""
        path = f"{parent}/{tag}"
        seen = self.state.unknown.get(path)
        if seen is None:
            self.state.unknown[path] = _Unknown(self.line_of(f"<{tag}") or self.line, self.number)
        else:
            seen.count += 1


def _read_input(
    item: XmlInput, issued: dt.date | None, problems: list[Problem], sources: list[SourceRef], workers: int
) -> Iterator[Fiche]:
    """Stream the fiches of one XML file; append its SourceRef to ``sources`` once it is known."""
    state = _FileState(item.shown, problems)
    try:
        with item.open() as stream:
            splitter = Splitter(stream)
            chunks = iter(splitter)
            first = next(chunks, None)  # the head is read, and the first fiche's number known
            version = _check_head(splitter.head, state)
            register = name_register(item.name) or _register_of(first)
            ref = _unique(source_ref(item.shown, register, name_date(item.name) or issued, version), sources)
            sources.append(ref)
            if first is None:
                state.report("no <FICHE> in the file", severity="error")
                return
            read_batch = functools.partial(_map_batch, shown=state.shown, encoding=state.encoding)
            for mapped in map_in_order(itertools.chain([first], chunks), read_batch, workers):
                fiche = _accept(mapped, state, ref)
                if fiche is not None:
                    yield fiche
            if not splitter.truncated and b"</FICHES>" not in splitter.tail:
                state.report("no closing </FICHES> after the last fiche (truncated file?)", severity="error")
    except (OSError, EOFError, zipfile.BadZipFile, zlib.error, NotImplementedError, RuntimeError) as error:
        state.report(f"unreadable: {error}; rest of the file ignored", severity="error")
    finally:
        for path, seen in state.unknown.items():
            times = f" ({seen.count} times in the file)" if seen.count > 1 else ""
            state.report(f"unknown element <{path}> ignored{times}", seen.line, seen.fiche)


def _register_of(chunk: Chunk | None) -> str | None:
    number = normalise_fiche_number(number_in(chunk.data) or "") if chunk else None
    return ("rs" if number.startswith("RS") else "rncp") if number else None


@dataclass
class _Mapped:
    """One fiche read on its own: its record (None when skipped), its problems, unknown elements."""

    line: int
    fiche: Fiche | None
    problems: list[Problem]
    unknown: dict[str, _Unknown]


def _map_chunk(chunk: Chunk, shown: str, encoding: str) -> _Mapped:
    """Read one fiche with nothing shared: it may run in a worker process."""
    state = _FileState(shown, [], encoding=encoding)
    if chunk.broken:
        state.report(f"{chunk.broken}; fiche skipped", chunk.line, number_in(chunk.data), "error")
        return _Mapped(chunk.line, None, state.problems, {})
    return _Mapped(chunk.line, _read_fiche(chunk, state), state.problems, state.unknown)


def _map_batch(chunks: list[Chunk], shown: str, encoding: str) -> list[_Mapped]:
    return [_map_chunk(chunk, shown, encoding) for chunk in chunks]


def _accept(mapped: _Mapped, state: _FileState, ref: SourceRef) -> Fiche | None:
    """Take a read fiche into the file's results, in file order; a repeated number is skipped.

    A repeated fiche is reported as such, and its own problems are not: it is not read.
    """
    fiche = mapped.fiche
    if fiche is not None:
        first = state.first_line.get(fiche.number)
        if first is not None:
            message = f"fiche {fiche.number} again (first at line {first}); this copy skipped"
            state.report(message, mapped.line, fiche.number, "error")
            return None
        state.first_line[fiche.number] = mapped.line
        fiche.source = ref
    state.problems.extend(mapped.problems)
    for path, seen in mapped.unknown.items():
        known = state.unknown.get(path)
        if known is None:
            state.unknown[path] = seen
        else:
            known.count += seen.count
    return fiche




def _unique(ref: SourceRef, sources: list[SourceRef]) -> SourceRef:
    """Give the ref a key no earlier file has: two files of one zip may share register and date."""
    keys = {source.key for source in sources}
    key, n = ref.key, 1
    while key in keys:
        n += 1
        key = f"{ref.key}-{n}"
    return ref if key == ref.key else replace(ref, key=key)


def _check_head(head: bytes, state: _FileState) -> str | None:
    """Read the flux version and declared encoding before the first fiche; report surprises."""
    declared = _DECLARED_ENCODING.search(head)
    if declared:
        name = declared.group(1).decode("ascii").lower()
        try:
            state.encoding = codecs.lookup(name).name
        except LookupError:
            state.report(f"unknown declared encoding {name!r}; read as UTF-8", 1)
    if b"<FICHES" not in head:
        state.report("no <FICHES> root element before the first fiche", 1)
    version = _VERSION.search(head)
    if version is None:
        state.report("no <VERSION_FLUX>: read as flux 4.1", 1)
        return None
    text = version.group(1).decode("utf-8", "replace")
    if text != EXPECTED_VERSION:
        line = 1 + head.count(b"\n", 0, version.start())
        state.report(f"VERSION_FLUX is {text!r}, not {EXPECTED_VERSION!r}: read as 4.1", line)
    return text


# ---------------------------------------------------------------------------------------------
# One fiche: bytes -> element tree -> Fiche.
# ---------------------------------------------------------------------------------------------

# The fields of a partner in the export's order; a partner is read as a tuple of their texts.
PARTNER_FIELDS = XML_CHILDREN["PARTENAIRE"]
_PARTNER_IN_ORDER = re.compile(
    r"<PARTENAIRE>\s*" + "".join(rf"(?:<{tag}>([^<]*)</{tag}>\s*)?" for tag in PARTNER_FIELDS) + "</PARTENAIRE>"
)
_LEAF = re.compile(r"<([A-Z0-9_]+)>([^<]*)</\1>")
_BAD_ENTITY = re.compile(r"&(?!(?:amp|lt|gt|quot|apos|#[0-9]+|#x[0-9a-fA-F]+);)")

PartnerRow = tuple  # the texts of PARTNER_FIELDS, None when absent


def _partner_row(values: dict[str, str], unknown: list[str]) -> PartnerRow:
    """A partner read in any order: its row, and its unknown tags added to ``unknown``."""
    unknown.extend(tag for tag in values if tag not in _PARTNER_SET)
    return tuple(values.get(tag) for tag in PARTNER_FIELDS)


def _partners_any_order(text: str) -> tuple[list[PartnerRow], list[str]] | None:
    """Partners whose leaves come in another order or include unknown tags; None if not plain."""
    *chunks, rest = text.split("</PARTENAIRE>")
    rows: list[PartnerRow] = []
    unknown: list[str] = []
    tags = 0
    for chunk in chunks:
        leaves = _LEAF.findall(chunk)
        tags += 2 + 2 * len(leaves)  # <PARTENAIRE>, its leaves, </PARTENAIRE>
        rows.append(_partner_row(dict(leaves), unknown))
    # Every "<" of the section must be a tag of a plain partner.
    if rest.strip() or tags != text.count("<"):
        return None
    return rows, unknown


def _plain_partners(data: bytes) -> tuple[bytes, tuple[list[PartnerRow], list[str]] | None]:
    """Cut a plain ``<PARTENAIRES>`` section out of a fiche and read it with a regex.

    Returns the fiche without the section, and the partners' rows with the unknown tags met; or
    the fiche as given and None when there is no section or it is not plain (expat reads it all).
    """
    start = data.find(b"<PARTENAIRES>")
    if start < 0:
        return data, None
    end = data.find(b"</PARTENAIRES>", start)
    if end < 0:
        return data, None
    raw = data[start + len(b"<PARTENAIRES>") : end]
    if b"<!" in raw or b"<?" in raw:
        return data, None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        return data, None
    entities = "&" in text
    if entities:
        if _BAD_ENTITY.search(text):
            return data, None
        if "&#" not in text and "&lt;" not in text:
            # Names with "&amp;" or "&apos;": decode the section at once ("&amp;" last, so that
            # "&amp;apos;" stays "&apos;"); "<" cannot appear, so the regex below still holds.
            for entity, char in (("&apos;", "'"), ("&quot;", '"'), ("&gt;", ">"), ("&amp;", "&")):
                text = text.replace(entity, char)
            entities = False
    rows: list[PartnerRow] = []
    # One pass reads the partners written in the export's order and leaves whatever is not one.
    rest = _PARTNER_IN_ORDER.sub(lambda match: rows.append(match.groups()) or "", text)
    found: tuple[list[PartnerRow], list[str]] | None = (rows, [])
    if rest.strip():
        found = _partners_any_order(text)
        if found is None:
            return data, None
    if entities:
        found[0][:] = [tuple(html.unescape(v) if v and "&" in v else v for v in row) for row in found[0]]
    return data[:start] + data[end + len(b"</PARTENAIRES>") :], found


def _parse_error(error: ET.ParseError, ctx: _Context) -> None:
    row = error.position[0] if error.position else 1
    what = ErrorString(error.code) if isinstance(error.code, int) else str(error)
    ctx.state.report(f"not well-formed XML ({what}); fiche skipped", ctx.line + row - 1, ctx.number, "error")


def _first_bad_byte(data: bytes) -> int:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as error:
        return error.start
    return -1


_Parsed = tuple[ET.Element, tuple[list[PartnerRow], list[str]] | None, "_Context"]


def _parse(chunk: Chunk, state: _FileState) -> _Parsed | None:
    """Parse one fiche (its partners apart when they are plain); None, reported, when not well-formed."""
    ctx = _Context(state, chunk.line, chunk.data, None)
    if state.encoding != "utf-8":
        text = chunk.data.decode(state.encoding, errors="certgraph-cp1252")
        ctx.source = text
        try:
            return ET.fromstring(text), None, ctx
        except ET.ParseError as error:
            ctx.number = number_in(text)
            _parse_error(error, ctx)
            return None
    data, partners = _plain_partners(chunk.data)
    try:
        return ET.fromstring(data), partners, ctx
    except ET.ParseError:
        pass
    # The slow path, only for broken fiches: why did it fail?
    ctx.number = number_in(chunk.data)
    bad = _first_bad_byte(chunk.data)
    if bad < 0:
        try:
            return ET.fromstring(chunk.data), None, ctx  # only the cut-out partner section differed
        except ET.ParseError as error:
            _parse_error(error, ctx)
            return None
    text = chunk.data.decode("utf-8", errors="certgraph-cp1252")
    state.report(
        f"bytes that are not UTF-8 (first: 0x{chunk.data[bad]:02X}); this fiche read as Windows-1252",
        chunk.line + chunk.data.count(b"\n", 0, bad),
        ctx.number,
    )
    ctx.source = text
    try:
        return ET.fromstring(text), None, ctx
    except ET.ParseError as error:
        _parse_error(error, ctx)
        return None


def _read_fiche(chunk: Chunk, state: _FileState) -> Fiche | None:
    """Parse and map one fiche; None (reported) when it is not well-formed or its number is invalid."""
    parsed = _parse(chunk, state)
    if parsed is None:
        return None
    root, partners, ctx = parsed
    raw_number = (root.findtext("NUMERO_FICHE") or "").strip()
    number = raw_number if FICHE_NUMBER.match(raw_number) else normalise_fiche_number(raw_number)
    if number is None:
        ctx.number = raw_number or None
        ctx.report(f"invalid fiche number {raw_number!r}; fiche skipped", "NUMERO_FICHE", raw_number, "error")
        return None
    ctx.number = number
    fiche = Fiche(number=number)
    for element in root:
        reader = _FICHE_FIELDS.get(element.tag)
        if reader is None:
            ctx.unknown(element.tag, "FICHE")
        else:
            reader(fiche, element, ctx)
    if partners is not None:
        rows, unknown = partners
        for tag in unknown:
            ctx.unknown(tag, "PARTENAIRE")
        fiche.partners = _partners(rows, ctx)
    return fiche


# ---------------------------------------------------------------------------------------------
# Values.
# ---------------------------------------------------------------------------------------------


def _raw(element: ET.Element) -> str | None:
    """The element's text, stripped; None when empty."""
    text = (element.text or "").strip()
    return text or None


def _checked(ctx: _Context, tag: str, value: str | None, parse: Callable[[str], object], what: str):
    if value is None:
        return None
    try:
        return parse(value)
    except ValueError:
        ctx.report(f"{tag} {value!r} is not {what}; left empty", tag, value)
        return None


def _integer(text: str) -> int:
    if not text.isdigit():
        raise ValueError(text)
    return int(text)


def _state(text: str) -> bool:
    folded = text.casefold()
    if folded not in ("actif", "inactif", "active", "inactive"):
        raise ValueError(text)
    return folded in ("actif", "active")


_STATES = {"Actif": True, "Inactif": False}
_UNKNOWN = object()
_DATES: dict[str, dt.date] = {}


def _date(ctx: _Context, tag: str, value: str | None) -> dt.date | None:
    """A ``DD/MM/YYYY`` date; a malformed one is reported and read as None."""
    if value is None:
        return None
    known = _DATES.get(value)
    if known is not None:
        return known
    text = value.strip()
    if not text:
        return None
    parsed = _checked(ctx, tag, text, parse_date_dmy, "a date (DD/MM/YYYY)")
    # A few thousand distinct dates in a whole export; the bound only guards against odd files.
    if parsed is not None and len(_DATES) < 100_000:
        _DATES[value] = parsed
    return parsed


def _children(element: ET.Element, known: frozenset[str], ctx: _Context) -> dict[str, str | None]:
    """The leaf children of a record element, ``{tag: stripped text}``; unknown tags are reported."""
    values: dict[str, str | None] = {}
    for child in element:
        if child.tag in known and not len(child):
            values[child.tag] = _raw(child)
        else:
            ctx.unknown(child.tag, element.tag)
    return values


def _items(element: ET.Element, item: str, ctx: _Context) -> Iterator[ET.Element]:
    """The repeated ``item`` children of a list element; other children are reported."""
    for child in element:
        if child.tag == item:
            yield child
        else:
            ctx.unknown(child.tag, element.tag)


def _prose(text: str | None) -> str | None:
    """A long text with one line per paragraph (the export flattened its line breaks)."""
    return "\n".join(text_lines(text)) or None


# ---------------------------------------------------------------------------------------------
# Fields: one reader per child element of <FICHE>.
# ---------------------------------------------------------------------------------------------


def _setter(attribute: str, convert: Callable[[_Context, str, str | None], object]):
    def read(fiche: Fiche, element: ET.Element, ctx: _Context) -> None:
        if len(element):
            for child in element:
                ctx.unknown(child.tag, element.tag)
        setattr(fiche, attribute, convert(ctx, element.tag, _raw(element)))

    return read


def _as_text(ctx, tag, value):
    return value


def _as_label(ctx, tag, value):
    return clean_text(value)


def _as_prose(ctx, tag, value):
    return _prose(value)


def _as_list(ctx, tag, value):
    return split_statements(value)


def _as_date(ctx, tag, value):
    return _date(ctx, tag, value)


def _as_integer(ctx, tag, value):
    return _checked(ctx, tag, value, _integer, "a whole number")


def _as_yes_no(ctx, tag, value):
    return _checked(ctx, tag, value, parse_yes_no, "Oui/Non")


def _read_lineage(attribute: str, item: str):
    (leaf,) = XML_CHILDREN[item]  # ID_FICHE_NOUVELLE_CERTIFICATION, which holds a number, not an ID_FICHE

    def read(fiche: Fiche, element: ET.Element, ctx: _Context) -> None:
        links = getattr(fiche, attribute)
        for entry in _items(element, item, ctx):
            raw = _children(entry, frozenset({leaf}), ctx).get(leaf)
            number = normalise_fiche_number(raw or "")
            if number is None:
                ctx.report(f"{leaf} {raw!r} is not a fiche number; link ignored", leaf, raw)
            elif LineageRef(number=number) not in links:
                links.append(LineageRef(number=number))

    return read


def _read_codes(attribute: str, item: str):
    known = frozenset(XML_CHILDREN[item])

    def read(fiche: Fiche, element: ET.Element, ctx: _Context) -> None:
        codes = getattr(fiche, attribute)
        for entry in _items(element, item, ctx):
            values = _children(entry, known, ctx)
            code = values.get("CODE")
            if code is None:
                ctx.report(f"{item} without CODE; ignored", item)
                continue
            ref = CodeRef(code, clean_label(values.get("LIBELLE"), code))
            if ref not in codes:
                codes.append(ref)

    return read


def _read_abbreviation(fiche: Fiche, element: ET.Element, ctx: _Context) -> None:
    values = _children(element, frozenset(XML_CHILDREN["ABREGE"]), ctx)
    # The label ("Brevet de technicien supérieur") is what the CSV reader calls the abbreviation.
    fiche.abbreviation_code = values.get("CODE")
    fiche.abbreviation = clean_label(values.get("LIBELLE"))


def _read_level(fiche: Fiche, element: ET.Element, ctx: _Context) -> None:
    values = _children(element, frozenset(XML_CHILDREN["NOMENCLATURE_EUROPE"]), ctx)
    level = values.get("NIVEAU")
    fiche.level_label = clean_text(values.get("LIBELLE"))
    # REPRISE = "Sans niveau": fiches taken over from the old register without a level.
    if level and level.upper() != "REPRISE":
        fiche.level_eqf = _checked(ctx, "NIVEAU", level, parse_eqf_level, "a level NIV1..NIV8")


_CERTIFIER = frozenset(XML_CHILDREN["CERTIFICATEUR"])


def _siret(ctx: _Context, tag: str, value: str | None) -> str | None:
    try:
        return clean_siret(value)
    except ValueError as error:
        ctx.report(f"{tag}: {error}; left empty", tag, value)
        return None


def _read_certifiers(fiche: Fiche, element: ET.Element, ctx: _Context) -> None:
    for entry in _items(element, "CERTIFICATEUR", ctx):
        get = _children(entry, _CERTIFIER, ctx).get
        name = clean_label(get("NOM_CERTIFICATEUR"))
        if name is None:
            ctx.report("CERTIFICATEUR without NOM_CERTIFICATEUR; ignored", "CERTIFICATEUR", severity="error")
            continue
        fiche.certifiers.append(
            Certifier(
                name=name,
                siret=_siret(ctx, "SIRET_CERTIFICATEUR", get("SIRET_CERTIFICATEUR")),
                website=get("SITE_INTERNET"),
                active=_checked(ctx, "ETAT_CERTIFICATEUR", get("ETAT_CERTIFICATEUR"), _state, "Actif/Inactif"),
                state_modified=_date(ctx, "DATE_DERNIERE_MODIFICATION_ETAT", get("DATE_DERNIERE_MODIFICATION_ETAT")),
            )
        )


_PARTNER_SET = frozenset(PARTNER_FIELDS)


def _partners(rows: list[PartnerRow], ctx: _Context) -> list[Partner]:
    """The partners of a fiche from their rows, whichever way the section was read.

    Hundreds per fiche: the common values (a 14-digit SIRET, a known state, a date already seen)
    take the short way.
    """
    partners = []
    for name, siret, habilitation, state, since, modified in rows:
        label = clean_label(name)
        if label is None:
            ctx.report("PARTENAIRE without NOM_PARTENAIRE; ignored", "PARTENAIRE", severity="error")
            continue
        if siret is not None and not (len(siret) == 14 and siret.isdigit()):
            siret = _siret(ctx, "SIRET_PARTENAIRE", siret.strip() or None)
        active = _STATES.get(state, _UNKNOWN) if state is not None else None
        if active is _UNKNOWN:
            active = _checked(ctx, "ETAT_HABILITATION", state.strip() or None, _state, "Actif/Inactif")
        partners.append(
            Partner(
                name=label,
                siret=siret or None,
                habilitation=(habilitation.strip() or None) if habilitation is not None else None,
                active=active,
                active_since=_DATES.get(since) or _date(ctx, "DATE_ACTIF", since),
                state_modified=_DATES.get(modified) or _date(ctx, "DATE_DERNIERE_MODIFICATION_ETAT", modified),
            )
        )
    return partners


def _read_partners(fiche: Fiche, element: ET.Element, ctx: _Context) -> None:
    # Reached only when the section was not plain enough for the fast path (_plain_partners).
    rows, unknown = [], []
    for entry in _items(element, "PARTENAIRE", ctx):
        values = {}
        for child in entry:
            if len(child):
                unknown.append(child.tag)
            else:
                values[child.tag] = child.text or ""
        rows.append(_partner_row(values, unknown))
    for tag in unknown:
        ctx.unknown(tag, "PARTENAIRE")
    fiche.partners.extend(_partners(rows, ctx))


def _read_route(code: str):
    known = frozenset(XML_CHILDREN[f"SI_JURY_{code}"])

    def read(fiche: Fiche, element: ET.Element, ctx: _Context) -> None:
        values = _children(element, known, ctx)
        is_open = _checked(ctx, "ACTIF", values.get("ACTIF"), parse_yes_no, "Oui/Non")
        if is_open is None:
            ctx.report(f"{element.tag} without a valid ACTIF; route ignored", element.tag)
            return
        fiche.access_routes.append(
            AccessRoute(
                label=ROUTES[code],
                open=is_open,
                jury=_prose(values.get("COMPOSITION")),
                modified=_date(ctx, "DATE_DERNIERE_MODIFICATION", values.get("DATE_DERNIERE_MODIFICATION")),
                code=code,
            )
        )

    return read


_STATISTIC = {
    "NOMBRE_CERTIFIES": "certified",
    "NOMBRE_CERTIFIES_VAE": "certified_vae",
    "TAUX_INSERTION_GLOBAL_6MOIS": "insertion_rate_6m",
    "TAUX_INSERTION_METIER_2ANS": "job_insertion_rate_2y",
}
_STATISTIC_FIELDS = frozenset(XML_CHILDREN["STATISTIQUES_PROMOTION"])  # ANNEE and the above


def _read_statistics(fiche: Fiche, element: ET.Element, ctx: _Context) -> None:
    for entry in _items(element, "STATISTIQUES_PROMOTION", ctx):
        values = _children(entry, _STATISTIC_FIELDS, ctx)
        year = _checked(ctx, "ANNEE", values.get("ANNEE"), _integer, "a year")
        if year is None:
            ctx.report("STATISTIQUES_PROMOTION without a valid ANNEE; ignored", "STATISTIQUES_PROMOTION")
            continue
        stat = CohortStatistic(year=year)
        for tag, attribute in _STATISTIC.items():
            setattr(stat, attribute, _checked(ctx, tag, values.get(tag), _integer, "a whole number"))
        fiche.statistics.append(stat)


def _read_cohort_years(fiche: Fiche, element: ET.Element, ctx: _Context) -> None:
    for entry in _items(element, "ANNEE", ctx):
        year = _checked(ctx, "ANNEE", _raw(entry), _integer, "a year")
        if year is not None and year not in fiche.cohort_years:
            fiche.cohort_years.append(year)


def _read_publications(fiche: Fiche, element: ET.Element, ctx: _Context) -> None:
    role = PUBLICATION_ROLES[element.tag]
    for entry in _items(element, "PUBLICATION_JO", ctx):
        values = _children(entry, frozenset(XML_CHILDREN["PUBLICATION_JO"]), ctx)
        publication = LegalPublication(
            role=role,
            title=clean_text(values.get("TITRE")),
            jo_date=_date(ctx, "DATE_PUBLICATION_JO", values.get("DATE_PUBLICATION_JO")),
        )
        if publication.title or publication.jo_date:
            fiche.publications.append(publication)


_BLOCK = frozenset(XML_CHILDREN["BLOC_COMPETENCES"])


def _read_blocks(fiche: Fiche, element: ET.Element, ctx: _Context) -> None:
    for entry in _items(element, "BLOC_COMPETENCES", ctx):
        values = _children(entry, _BLOCK, ctx)
        code = values.get("CODE")
        if code is None:
            ctx.report("BLOC_COMPETENCES without CODE; block ignored", "BLOC_COMPETENCES", severity="error")
            continue
        if any(block.code == code for block in fiche.blocks):
            # Kept: both blocks land on the one IRI the code names, which the validator then flags.
            ctx.report(f"duplicate block code {code}: two blocks share it", "BLOC_COMPETENCES")
        competencies, assessment = values.get("LISTE_COMPETENCES"), values.get("MODALITES_EVALUATION")
        fiche.blocks.append(
            Block(
                code=code,
                label=clean_label(values.get("LIBELLE")),
                competencies=split_competencies(competencies),
                assessment=split_assessment(assessment),
                raw_text=competencies,
                assessment_raw_text=assessment,
            )
        )


def _block_codes(element: ET.Element | None, ctx: _Context) -> list[str]:
    codes: list[str] = []
    if element is None:
        return codes
    for block in element:
        if block.tag != "BLOC_COMPETENCES":
            continue
        code = _children(block, frozenset({"CODE"}), ctx).get("CODE")
        if code and code not in codes:
            codes.append(code)
    return codes


def _read_correspondences(fiche: Fiche, element: ET.Element, ctx: _Context) -> None:
    for entry in _items(element, "CORRESPONDANCE", ctx):
        source = destination = None
        for child in entry:
            if child.tag == "SOURCE":
                source = child
            elif child.tag == "DESTINATION":
                destination = child
            else:
                ctx.unknown(child.tag, "CORRESPONDANCE")
        for part in (source, destination):
            for child in part if part is not None else ():
                if child.tag not in XML_CHILDREN[part.tag]:
                    ctx.unknown(child.tag, part.tag)
        raw = (destination.findtext("NUMERO_FICHE") if destination is not None else None) or ""
        target = normalise_fiche_number(raw)
        if target is None:
            ctx.report(f"CORRESPONDANCE towards {raw.strip()!r}, not a fiche number; ignored", "CORRESPONDANCE")
            continue
        correspondence = BlockCorrespondence(target, _block_codes(source, ctx), _block_codes(destination, ctx))
        if correspondence not in fiche.correspondences:
            fiche.correspondences.append(correspondence)


def _read_links(fiche: Fiche, element: ET.Element, ctx: _Context) -> None:
    text = clean_text(element.text)
    urls = _URL.findall(text or "")
    if urls:
        fiche.website, fiche.other_websites = urls[0], urls[1:]
    elif text and any(c.isalnum() for c in text):
        fiche.website = text  # a link text without its address ("… (adx-formation.com)")
    # else a placeholder such as "*       *": no link


_FICHE_FIELDS: dict[str, Callable[[Fiche, ET.Element, _Context], None]] = {
    "ID_FICHE": _setter("fc_id", _as_text),
    "NUMERO_FICHE": lambda fiche, element, ctx: None,  # read first, by _read_fiche
    "INTITULE": _setter("title", _as_label),
    "ABREGE": _read_abbreviation,
    "ETAT_FICHE": _setter("status", _as_label),
    "ACTIF": _setter("active", _as_yes_no),
    "TYPE_ENREGISTREMENT": _setter("registration_type", _as_label),
    "NOMENCLATURE_EUROPE": _read_level,
    "DATE_DECISION": _setter("decision_date", _as_date),
    "DATE_DERNIER_JO": _setter("last_jo_date", _as_date),
    "DATE_DE_PUBLICATION": _setter("publication_date", _as_date),
    "DATE_EFFET": _setter("effect_date", _as_date),
    "DATE_FIN_ENREGISTREMENT": _setter("end_date", _as_date),
    "DATE_LIMITE_DELIVRANCE": _setter("award_deadline", _as_date),
    "DUREE_ENREGISTREMENT": _setter("registration_years", _as_integer),
    "ACCESSIBLE_NOUVELLE_CALEDONIE": _setter("new_caledonia", _as_yes_no),
    "ACCESSIBLE_POLYNESIE_FRANCAISE": _setter("french_polynesia", _as_yes_no),
    "EXISTENCE_PARTENAIRES": _setter("has_partners", _as_yes_no),
    "VALIDATION_PARTIELLE": _setter("partial_validation", _as_yes_no),
    "NIVEAU_MAITRISE_COMPETENCES": _setter("mastery_level", _as_prose),
    "OBJECTIFS_CONTEXTE": _setter("objectives", _as_prose),
    "SECTEURS_ACTIVITE": _setter("sectors", _as_prose),
    "REGLEMENTATIONS_ACTIVITES": _setter("regulations", _as_prose),
    "PREREQUIS_ENTREE_FORMATION": _setter("prerequisites", _as_prose),
    "PREREQUIS_VALIDATION_CERTIFICATION": _setter("certification_prerequisites", _as_prose),
    "ACTIVITES_VISEES": _setter("activities", _as_list),
    "CAPACITES_ATTESTEES": _setter("capacities", _as_list),
    "TYPE_EMPLOI_ACCESSIBLES": _setter("jobs", _as_list),
    "LIEN_URL_DESCRIPTION": _read_links,
    "NOUVELLES_CERTIFICATIONS": _read_lineage("successors", "NOUVELLE_CERTIFICATION"),
    "ANCIENNES_CERTIFICATIONS": _read_lineage("predecessors", "ANCIENNE_CERTIFICATION"),
    "FORMACODES": _read_codes("formacodes", "FORMACODE"),
    "CODES_NSF": _read_codes("nsf", "NSF"),
    "CODES_ROME": _read_codes("rome", "ROME"),
    "CERTIFICATEURS": _read_certifiers,
    "PARTENAIRES": _read_partners,
    "STATISTIQUES_PROMOTIONS": _read_statistics,
    "ANNEES_PROMOTIONS_NIVEAU": _read_cohort_years,
    "BLOCS_COMPETENCES": _read_blocks,
    "CORRESPONDANCES": _read_correspondences,
    **{f"SI_JURY_{code}": _read_route(code) for code in ROUTES},
    **{tag: _read_publications for tag in PUBLICATION_ROLES},
}
"""The child elements of ``<FICHE>`` and how each adds to the record."""


# ---------------------------------------------------------------------------------------------
# Public API.
# ---------------------------------------------------------------------------------------------


def _iter(path, issued, problems, data_dir, sources: list[SourceRef], workers: int = 0) -> Iterator[Fiche]:
    for item in xml_inputs(Path(path), Path(data_dir) if data_dir else None, problems):
        yield from _read_input(item, issued, problems, sources, workers)


def iter_fc_xml(
    path: Path | str,
    issued: dt.date | None = None,
    problems: list[Problem] | None = None,
    data_dir: Path | str | None = None,
    workers: int = 0,
) -> Iterator[Fiche]:
    """Stream the fiches of a France Compétences XML export: a ``.xml`` file or a zip of them.

    Memory does not depend on the file's size. Each fiche's ``source`` is the SourceRef of its file
    (see :func:`source_ref`).

    :param issued: the date of the data when the file name holds none.
    :param problems: a list the defects are appended to as they are met (a fresh one if None).
    :param data_dir: the data folder; source paths are given relative to it when under it.
    :param workers: read the fiches in that many worker processes (0: in this one). Fiches and
        problems come out the same, in file order; on a 2-core machine, ``workers=1`` lets the
        caller map and load the fiches while the next ones are read.
    :raises FileNotFoundError: when ``path`` does not exist.
    """
    yield from _iter(path, issued, [] if problems is None else problems, data_dir, [], workers)


def read_fc_xml(
    path: Path | str, issued: dt.date | None = None, data_dir: Path | str | None = None, workers: int = 0
) -> Loaded:
    """Read a France Compétences XML export into fiches, problems and one SourceRef per XML file.

    >>> loaded = read_fc_xml("data/rncp/xml-fixture/export_fiches_RS_fixture.xml", data_dir="data")
    >>> len(loaded.fiches), loaded.problems, loaded.sources[0].key
    (8, [], 'fc-xml-rs')
    >>> loaded.sources[0].path
    'rncp/xml-fixture/export_fiches_RS_fixture.xml'

    :raises FileNotFoundError: when ``path`` does not exist.
    """
    loaded = Loaded()
    loaded.fiches = list(_iter(path, issued, loaded.problems, data_dir, loaded.sources, workers))
    return loaded


__all__ = ["ROUTES", "iter_fc_xml", "name_date", "name_register", "read_fc_xml", "source_ref"]
