"""Today's register: find the newest RNCP and RS XML exports on data.gouv.fr, download them safely, build from them.

Where they are (checked against public code that reads them, e.g. mission-apprentissage's importers):
France Compétences publishes the dataset « Répertoire national des certifications professionnelles et
répertoire spécifique » on data.gouv.fr, id ``5eebbc067a14b6fecc9c9976`` (slug
``repertoire-national-des-certifications-professionnelles-et-repertoire-specifique``), updated daily,
Licence Ouverte / Etalab 2.0. ``GET {api}/datasets/{id}/`` (api: ``https://www.data.gouv.fr/api/1``)
answers JSON whose ``resources`` each carry ``title``, ``url``, ``format``, ``filesize``,
``checksum`` (``{"type": "sha1", "value": …}``; udata's types are sha1, sha2, sha256, md5, crc),
``last_modified``, ``created_at``, ``latest``. The XML exports are titled
``export-fiches-rncp-v4-1-YYYY-MM-DD.zip`` and ``export-fiches-rs-v4-1-YYYY-MM-DD.zip``, each holding
one ``export_fiches_RNCP_V4_1_YYYY-MM-DD.xml`` (``…_RS_…``); beside them are the CSV export
``export-fiches-csv-YYYY-MM-DD.zip`` and, for a while, older flux versions (``-v3-0-``), not taken.

Only the API's host and the hosts of the resource URLs it returns are contacted: a redirect elsewhere
is refused. See docs/fetch-export.md.
"""

from __future__ import annotations

import re
import shlex
import sys
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urljoin, urlsplit

import click

from .config import EXPORT_API_ENV, EXPORT_DATASET_ENV, setting
from .errors import CertgraphError

if TYPE_CHECKING:
    import httpx

DATASET_ID = "5eebbc067a14b6fecc9c9976"
API_URL = "https://www.data.gouv.fr/api/1"
# The flux the XML reader (sources/fc_xml.py) is written for: a new flux version is a new reader first.
FLUX = "v4-1"
# kind -> (the resource title, the XML member the zip must hold)
KINDS = {
    kind: (
        re.compile(rf"export-fiches-{kind}-{FLUX}-(\d{{4}}-\d{{2}}-\d{{2}})\.zip"),
        re.compile(rf"(?:.*/)?export_fiches_{kind.upper()}_[^/]*\.xml", re.IGNORECASE),
    )
    for kind in ("rncp", "rs")
}
HASHES = {"sha1": "sha1", "sha256": "sha256", "md5": "md5"}  # udata's type -> hashlib's name
TIMEOUT = 60.0  # seconds without a byte before a request fails
ATTEMPTS = 3  # a cut download is resumed this many times in one run
MAX_REDIRECTS = 5


class FetchError(CertgraphError):
    """The export could not be found, downloaded or checked; the message names the URL."""


@dataclass(frozen=True)
class Resource:
    """One export file as the data.gouv.fr API describes it."""

    kind: str
    title: str
    url: str
    date: str
    size: int | None = None
    checksum: tuple[str, str] | None = None  # (hashlib name, hex digest), when the API gives a type we check
    last_modified: str = ""


@dataclass(frozen=True)
class Fetched:
    """A verified export file on disk; ``downloaded`` is False when an identical one was already there."""

    resource: Resource
    path: Path
    downloaded: bool


# A meter is told (resource, bytes already there, total or None) and gives the function to call with each chunk's size.
Meter = Callable[[Resource, int, "int | None"], AbstractContextManager[Callable[[int], None]]]


def no_meter(resource: Resource, start: int, total: int | None) -> AbstractContextManager[Callable[[int], None]]:
    return nullcontext(lambda _: None)


def dataset_url(api: str, dataset: str) -> str:
    """The API address of a dataset.

    >>> dataset_url("https://www.data.gouv.fr/api/1/", "5eebbc067a14b6fecc9c9976")
    'https://www.data.gouv.fr/api/1/datasets/5eebbc067a14b6fecc9c9976/'
    """
    return f"{api.rstrip('/')}/datasets/{dataset}/"


def newest_exports(description: dict, address: str = "the dataset") -> dict[str, Resource]:
    """The newest RNCP and RS XML export among a dataset's resources (by the date in their title).

    :param address: where the description was read, for the error message.
    :raises FetchError: when the dataset lists no export of a kind.
    """
    found: dict[str, Resource] = {}
    for item in description.get("resources") or []:
        for kind, (title, _) in KINDS.items():
            match = title.fullmatch(str(item.get("title", "")))
            if match and item.get("url") and (kind not in found or match[1] > found[kind].date):
                found[kind] = _resource(kind, match[1], item)
    missing = [kind for kind in KINDS if kind not in found]
    if missing:
        names = ", ".join(f"export-fiches-{kind}-{FLUX}-YYYY-MM-DD.zip" for kind in missing)
        raise FetchError(f"{address}: no {names} among the dataset's resources")
    return {kind: found[kind] for kind in KINDS}  # RNCP first, whatever the listing's order


def _resource(kind: str, date: str, item: dict) -> Resource:
    checksum = item.get("checksum") or {}
    algorithm = HASHES.get(str(checksum.get("type", "")).lower())
    size = item.get("filesize")
    return Resource(
        kind=kind,
        title=str(item["title"]),
        url=str(item["url"]),
        date=date,
        size=int(size) if isinstance(size, int) and size > 0 else None,
        checksum=(algorithm, str(checksum["value"]).lower()) if algorithm and checksum.get("value") else None,
        last_modified=str(item.get("last_modified") or ""),
    )


def fetch_exports(
    folder: Path,
    dataset: str | None = None,
    api: str | None = None,
    meter: Meter = no_meter,
    timeout: float = TIMEOUT,
) -> list[Fetched]:
    """Download the newest RNCP and RS XML exports of the dataset into ``folder``, each checked.

    A file already in ``folder`` that passes every check is kept, not downloaded again. A partial
    download (``<name>.part``) is resumed.

    :param dataset: the data.gouv.fr dataset (default: $CERTGRAPH_EXPORT_DATASET, else France Compétences').
    :param api: the API base URL (default: $CERTGRAPH_EXPORT_API, else data.gouv.fr's).
    :raises FetchError: naming the URL, when the API or a file cannot be read or a file fails a check.
    """
    import httpx

    api = api or setting(EXPORT_API_ENV) or API_URL
    dataset = dataset or setting(EXPORT_DATASET_ENV) or DATASET_ID
    address = dataset_url(api, dataset)
    folder.mkdir(parents=True, exist_ok=True)
    with httpx.Client(timeout=timeout, follow_redirects=False) as client:
        exports = newest_exports(_read_json(client, address, {_host(address)}), address)
        hosts = {_host(address)} | {_host(r.url) for r in exports.values()}
        return [_fetch_one(client, resource, folder, hosts, meter) for resource in exports.values()]


def _host(url: str) -> str:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise FetchError(f"{url}: not an http(s) URL")
    return parts.hostname


def _read_json(client: httpx.Client, url: str, hosts: set[str]) -> dict:
    import httpx

    try:
        with _get(client, url, {}, hosts) as response:
            response.read()
            description = response.json()
    except (httpx.HTTPError, ValueError) as exc:
        raise FetchError(f"{url}: {exc}") from exc
    if not isinstance(description, dict):
        raise FetchError(f"{url}: not a data.gouv.fr dataset description")
    return description


@contextmanager
def _get(client: httpx.Client, url: str, headers: dict, hosts: set[str]) -> Iterator[httpx.Response]:
    """A streamed GET following redirects to the allowed hosts only; any other answer than 2xx (or 416) fails."""
    for _ in range(MAX_REDIRECTS + 1):
        if _host(url) not in hosts:
            raise FetchError(f"{url}: redirected to a host other than the API's and the resource's; refused")
        with client.stream("GET", url, headers=headers) as response:
            if response.is_redirect:
                url = urljoin(url, response.headers["location"])
                continue
            if not response.is_success and response.status_code != 416:
                raise FetchError(f"{url}: HTTP {response.status_code} {response.reason_phrase}")
            yield response
            return
    raise FetchError(f"{url}: more than {MAX_REDIRECTS} redirects")


def _fetch_one(client: httpx.Client, resource: Resource, folder: Path, hosts: set[str], meter: Meter) -> Fetched:
    target = folder / resource.title  # the title matched KINDS: a plain file name
    if target.exists() and _problem(target, resource) is None:
        return Fetched(resource, target, downloaded=False)
    part = target.with_name(target.name + ".part")
    for attempt in range(1, ATTEMPTS + 1):
        try:
            _download(client, resource, part, hosts, meter)
            break
        except _Cut as cut:
            if attempt == ATTEMPTS:
                raise FetchError(f"{resource.url}: {cut} ({ATTEMPTS} attempts); run again to resume from {part}") from cut
    problem = _problem(part, resource)
    if problem:
        part.unlink()
        raise FetchError(f"{resource.url}: {problem}; the download was deleted")
    part.replace(target)
    return Fetched(resource, target, downloaded=True)


class _Cut(Exception):
    """The connection ended before the whole file came: resumable."""


def _download(client: httpx.Client, resource: Resource, part: Path, hosts: set[str], meter: Meter) -> None:
    """Append the rest of the file to ``part`` (resuming with a Range request), or restart it when the server ignores Range."""
    import httpx

    start = part.stat().st_size if part.exists() else 0
    if resource.size is not None and start > resource.size:
        start = 0
    # identity: a Range counts the bytes of the file, which a compressed transfer would not keep.
    headers = {"Accept-Encoding": "identity"} | ({"Range": f"bytes={start}-"} if start else {})
    try:
        with _get(client, resource.url, headers, hosts) as response:
            if response.status_code == 416:  # nothing after `start`: whole if the size agrees, else start over
                if start and start == resource.size:
                    return
                part.unlink(missing_ok=True)
                raise _Cut("the server refused the range of a partial download")
            if response.status_code == 206 and _range_start(response) != start:
                part.unlink(missing_ok=True)
                raise _Cut("the server answered another range than the one asked")
            start = start if response.status_code == 206 else 0  # a 200: the server ignored Range, start over
            total = _total_size(response, start)
            if resource.size is not None and total is not None and total != resource.size:
                raise FetchError(f"{resource.url}: the server sends {total} bytes, the API says {resource.size}")
            with open(part, "ab" if start else "wb") as out, meter(resource, start, total) as advance:
                for chunk in response.iter_raw():  # as the bytes come: a cut keeps all that arrived
                    out.write(chunk)
                    advance(len(chunk))
    except (httpx.TransportError, httpx.StreamError) as exc:
        raise _Cut(f"connection lost ({type(exc).__name__}: {exc})") from exc
    got = part.stat().st_size
    if total is not None and got < total:
        raise _Cut(f"connection cut after {got} of {total} bytes")


def _range_start(response: httpx.Response) -> int | None:
    match = re.fullmatch(r"bytes (\d+)-\d+/(?:\d+|\*)", response.headers.get("content-range", ""))
    return int(match[1]) if match else None


def _total_size(response: httpx.Response, start: int) -> int | None:
    """The whole file's size, from Content-Range (a 206) or Content-Length (a 200)."""
    match = re.fullmatch(r"bytes \d+-\d+/(\d+)", response.headers.get("content-range", ""))
    if match:
        return int(match[1])
    length = response.headers.get("content-length", "")
    return start + int(length) if length.isdigit() else None


def _problem(path: Path, resource: Resource) -> str | None:
    """What is wrong with a downloaded file (size, checksum, zip, its XML member), or None."""
    size = path.stat().st_size
    if resource.size is not None and size != resource.size:
        return f"{size} bytes where the API says {resource.size}"
    if resource.checksum:
        algorithm, expected = resource.checksum
        digest = file_digest(path, algorithm)
        if digest != expected:
            return f"{algorithm} {digest} where the API says {expected}"
    return _zip_problem(path, KINDS[resource.kind][1], f"export_fiches_{resource.kind.upper()}_*.xml")


def file_digest(path: Path, algorithm: str = "sha256") -> str:
    """The hex digest of a file, read in chunks."""
    import hashlib  # OpenSSL's load is a tenth of the CLI's start: only when a file is checked

    digest = hashlib.new(algorithm)
    with open(path, "rb") as f:
        while chunk := f.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def _zip_problem(path: Path, member: re.Pattern, label: str) -> str | None:
    import zipfile
    import zlib

    try:
        with zipfile.ZipFile(path) as archive:
            names = archive.namelist()
            if not any(member.fullmatch(name) for name in names):
                return f"the zip holds no {label} (it holds {', '.join(names) or 'nothing'})"
            bad = archive.testzip()
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError) as exc:
        return f"not a readable zip ({exc})"
    return f"the zip's member {bad} is damaged (CRC mismatch)" if bad else None


def build_command_line(paths: list[Path], store: Path | None = None, data: Path | None = None) -> str:
    """The ``certgraph build`` command that builds a store from these exports.

    >>> build_command_line([Path("x/a b.zip"), Path("x/c.zip")], Path("build/today"))
    "certgraph build --export 'x/a b.zip' --export x/c.zip --store build/today"
    """
    words = ["certgraph", "build"]
    for path in paths:
        words += ["--export", str(path)]
    if data:
        words += ["--data", str(data)]
    if store:
        words += ["--store", str(store)]
    return shlex.join(words)


# ------------------------------------------------------------------ the command (registered by cli.py)


@contextmanager
def _progress_bar(resource: Resource, start: int, total: int | None) -> Iterator[Callable[[int], None]]:
    if total is None:
        click.echo(f"{resource.title}: size unknown, downloading", err=True)
        yield lambda _: None
        return
    with click.progressbar(length=total, label=resource.title, file=sys.stderr) as bar:
        bar.update(start)
        yield bar.update


def _echo_fetched(fetched: Fetched) -> None:
    resource = fetched.resource
    how = "downloaded" if fetched.downloaded else "already there, identical"
    checked = f"{resource.checksum[0]} checked" if resource.checksum else "no checksum given"
    click.echo(f"{fetched.path} ({fetched.path.stat().st_size} bytes, {how}; {checked}; zip tested)")


@click.command(name="fetch-export")
@click.option("--to", "folder", type=click.Path(path_type=Path, file_okay=False), default=Path("build/exports"), show_default=True, help="Folder the export zips are downloaded into.")
@click.option("--build/--no-build", "then_build", default=True, help="Build the store from them (default), or print the build command to run.")
@click.option("--store", "store_path", type=click.Path(path_type=Path, file_okay=False), default=None, help="Store folder to build (default: $CERTGRAPH_STORE, else build/store).")
@click.option("--data", "data_dir", type=click.Path(path_type=Path, file_okay=False, exists=True), default=None, help="Data folder whose code lists go with the exports (default: the checkout's data/).")
@click.option("--dataset", default=None, metavar="ID", help=f"data.gouv.fr dataset id or slug (default: ${EXPORT_DATASET_ENV}, else {DATASET_ID}).")
@click.option("--api", default=None, metavar="URL", help=f"data.gouv.fr API base URL (default: ${EXPORT_API_ENV}, else {API_URL}).")
def command(folder, then_build, store_path, data_dir, dataset, api):
    """Download today's RNCP and RS XML exports from data.gouv.fr, checked, then build the store from them.

    A partial download is resumed; a file already downloaded and intact is not fetched again.

    Example:

        certgraph fetch-export --to build/exports --store build/today
    """
    try:
        fetched = fetch_exports(folder, dataset, api, meter=_progress_bar)
    except CertgraphError as exc:
        raise click.ClickException(str(exc)) from exc
    for one in fetched:
        _echo_fetched(one)
    paths = [one.path for one in fetched]
    if not then_build:
        click.echo("build the store from them with:")
        click.echo(f"  {build_command_line(paths, store_path, data_dir)}")
        return
    _build(paths, store_path, data_dir)


def _build(paths: list[Path], store_path: Path | None, data_dir: Path | None) -> None:
    """``certgraph build --export …``: the build command itself, so that both print the same report."""
    from .cli import build_command

    click.get_current_context().invoke(build_command, data_dir=data_dir, store_path=store_path, exports=tuple(paths))
