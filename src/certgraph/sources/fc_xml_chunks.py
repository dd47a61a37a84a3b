"""Cut the France Compétences XML export into fiches, streaming, and read them in a process pool.

The file is read in binary chunks and cut at ``<FICHE>`` … ``</FICHE>`` while newlines are
counted, so memory does not grow with the file and every fiche knows its first line; a zip is read
member by member. What a fiche means is not known here: :mod:`.fc_xml` maps each cut fiche, in
this process or in worker processes (:func:`map_in_order`), and gets the results back in file order.

Assumes what the export does: the ``<FICHE>`` and ``</FICHE>`` tags are written exactly so (no
attributes, no spaces), and no CDATA section holds a literal ``<FICHE>``.
"""

from __future__ import annotations

import functools
import re
import zipfile
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import IO, TypeVar

from ..records import Problem
from .common import relative_path, zip_member_name

T = TypeVar("T")

CHUNK = 1 << 20
_HEAD_BYTES = 1 << 16  # what is kept of the text before the first fiche, for the checks
_MAX_FICHE_BYTES = 1 << 28  # far above any real fiche (a few MB); only a missing </FICHE> reaches it
_OPEN, _CLOSE = b"<FICHE>", b"</FICHE>"
_NUMBER_IN_BYTES = re.compile(rb"<NUMERO_FICHE>\s*([^<]{1,40}?)\s*</NUMERO_FICHE>")

# ---------------------------------------------------------------------------------------------
# The XML files of a path: the file itself, or every .xml of a zip.
# ---------------------------------------------------------------------------------------------


@dataclass
class XmlInput:
    """One XML file to read: its name (for date and register), the path shown, how to open it."""

    name: str
    shown: str
    open: Callable[[], IO[bytes]]


def xml_inputs(path: Path, data_dir: Path | None, problems: list[Problem]) -> Iterator[XmlInput]:
    """The XML files ``path`` holds: itself, or the ``.xml`` members of a zip in name order.

    :raises FileNotFoundError: when ``path`` does not exist.
    """
    shown = relative_path(path, data_dir)
    if not path.exists():
        raise FileNotFoundError(path)
    if not zipfile.is_zipfile(path):
        yield XmlInput(path.name, shown, functools.partial(path.open, "rb"))
        return
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as error:
        problems.append(Problem(shown, f"unreadable zip: {error}", severity="error"))
        return
    with archive:
        members = sorted(
            ((zip_member_name(info), info) for info in archive.infolist() if not info.is_dir()),
            key=lambda pair: pair[0],
        )
        xml_members = [(name, info) for name, info in members if name.lower().endswith(".xml")]
        if not xml_members:
            problems.append(Problem(shown, "no .xml file in the zip", severity="error"))
        for name, info in xml_members:
            # A member's path is "<zip>!/<member>", as the CSV reader names it.
            yield XmlInput(Path(name).name, f"{shown}!/{name}", functools.partial(archive.open, info))


# ---------------------------------------------------------------------------------------------
# Cutting a file into fiches.
# ---------------------------------------------------------------------------------------------


@dataclass
class Chunk:
    """The bytes of one ``<FICHE>`` … ``</FICHE>`` and the line it starts on; or, with ``broken``
    set, a fiche the splitter could not delimit (``data`` is then its first bytes, for its number)."""

    line: int
    data: bytes
    broken: str | None = None


class Splitter:
    """Cut a binary stream at ``<FICHE>`` … ``</FICHE>``, counting lines.

    ``head`` holds the bytes before the first fiche (the XML declaration, ``<FICHES>``,
    ``<VERSION_FLUX>``); ``tail`` the last bytes after the last fiche; ``truncated`` is set when
    the stream ends inside a fiche. A fiche that cannot be delimited is yielded as a broken chunk,
    in its place, so that its problem is reported in file order.
    """

    def __init__(self, stream: IO[bytes]) -> None:
        self.stream = stream
        self.head = b""
        self.tail = b""
        self.truncated = False
        self._in_head = True

    def __iter__(self) -> Iterator[Chunk]:
        buf = b""
        line, counted = 1, 0  # buf[counted] is on this line
        pos = 0  # where the next fiche is looked for
        scanned = 0  # how far the current fiche was already searched for its end
        eof = False

        def line_at(index: int) -> int:
            nonlocal line, counted
            line += buf.count(b"\n", counted, index)
            counted = index
            return line

        while True:
            start = buf.find(_OPEN, pos)
            if start >= 0:
                self._aside(buf[pos:start])
                self._in_head, pos = False, start
                frm = max(start + len(_OPEN), scanned)
                end = buf.find(_CLOSE, frm)
                nested = buf.find(_OPEN, frm, end if end >= 0 else len(buf))
                if nested >= 0:
                    # A fiche without its </FICHE>: skip to the next <FICHE> and carry on from there.
                    yield Chunk(line_at(start), buf[start:nested][:4096], "no </FICHE> before the next <FICHE>")
                    pos, scanned = nested, 0
                    continue
                if end >= 0:
                    self.tail = b""
                    yield Chunk(line_at(start), buf[start : end + len(_CLOSE)])
                    pos, scanned = end + len(_CLOSE), 0
                    continue
                if len(buf) - start > _MAX_FICHE_BYTES:
                    # No end in sight: report the fiche and drop its bytes, so that memory stays flat.
                    message = f"no </FICHE> within {_MAX_FICHE_BYTES >> 20} MB"
                    yield Chunk(line_at(start), buf[start:][:4096], message)
                    pos, scanned = len(buf) - len(_OPEN), 0
                    continue
                scanned = len(buf) - len(_CLOSE)  # the next read only needs its own bytes searched
            if eof:
                break
            # Keep what may still be part of a fiche (or of a tag cut by the chunk boundary).
            keep = start if start >= 0 else max(pos, len(buf) - len(_OPEN))
            self._aside(buf[pos:keep])
            line_at(keep)
            buf, counted, pos, scanned = buf[keep:], 0, 0, max(0, scanned - keep)
            chunk = self.stream.read(CHUNK)
            eof = not chunk
            buf += chunk
        start = buf.find(_OPEN, pos)
        if start >= 0:
            self.truncated = True
            yield Chunk(line_at(start), buf[start:][:4096], "the file ends inside this fiche (truncated file)")
        else:
            self._aside(buf[pos:])

    def _aside(self, data: bytes) -> None:
        """Keep bytes that are outside any fiche: the head before the first, the tail after the last."""
        if self._in_head:
            self.head = (self.head + data)[:_HEAD_BYTES]
        else:
            self.tail = (self.tail + data)[-1024:]


def number_in(data: bytes | str) -> str | None:
    """The fiche number a broken fiche's text shows, for reporting (None when none is found)."""
    raw = data.encode("utf-8", "replace") if isinstance(data, str) else data
    match = _NUMBER_IN_BYTES.search(raw)
    return match.group(1).decode("utf-8", "replace") if match else None


# ---------------------------------------------------------------------------------------------
# The process pool.
# ---------------------------------------------------------------------------------------------


def map_in_order(chunks: Iterator[Chunk], read_batch: Callable[[list[Chunk]], list[T]], workers: int) -> Iterator[T]:
    """``read_batch`` over the chunks, in this process or in ``workers`` processes, in file order either way.

    In this process the chunks are read one by one, as they are cut. With workers, ``read_batch``
    must pickle (a module-level function, or a partial of one) and return one result per chunk.
    """
    if workers <= 0:
        for chunk in chunks:
            yield from read_batch([chunk])
        return
    with ProcessPoolExecutor(max_workers=workers) as pool:
        pending: deque = deque()
        try:
            for batch in _batches(chunks):
                pending.append(pool.submit(read_batch, batch))
                # A bounded window keeps the memory flat: the file is not read ahead of the workers.
                while len(pending) > 2 * workers:
                    yield from pending.popleft().result()
            while pending:
                yield from pending.popleft().result()
        finally:
            for future in pending:
                future.cancel()


def _batches(chunks: Iterator[Chunk], max_bytes: int = 1 << 22, max_fiches: int = 256) -> Iterator[list[Chunk]]:
    batch: list[Chunk] = []
    size = 0
    for chunk in chunks:
        batch.append(chunk)
        size += len(chunk.data)
        if size >= max_bytes or len(batch) >= max_fiches:
            yield batch
            batch, size = [], 0
    if batch:
        yield batch
