"""fetch-export against a loopback data.gouv.fr: a real HTTP server serving a dataset description and
export zips made of the real XML fixture (12 RNCP and 8 RS fiches), byte for byte. Never the internet.

The server can cut a download after some bytes, ignore Range, redirect, or serve a damaged zip; it
records every request, so "nothing fetched twice" and "only what the API named" are facts read from it.
"""

from __future__ import annotations

import hashlib
import io
import json
import re
import shutil
import zipfile
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from pathlib import Path

import pytest
from click.testing import CliRunner

from certgraph.fetch_export import command
from certgraph.ingest.build import stored_fiches
from certgraph.store import OxigraphStore

from .browser import serve_on_loopback
from .conftest import DATA, write_manifest

XML = DATA / "rncp" / "xml-fixture"
# The real fixture files (data/rncp/xml-fixture/SOURCE.md): what must come out of the downloaded zips.
XML_SHA256 = {
    "rncp": "781904cef89846d0fab99cad2933109e087e1207ac16a280b2cb801b351cb45b",
    "rs": "13e1edf1fa4023bb583d0b88ffb5114b2f602ff2c9a1f140b818ff13351dc548",
}
CSV_ZIP = DATA / "rncp/api-apprentissage-fixture-2024-02-22/export-fiches-csv-2024-02-22.zip"
DAY = "2026-08-16"
TITLES = {kind: f"export-fiches-{kind}-v4-1-{DAY}.zip" for kind in ("rncp", "rs")}
DATASET = "5eebbc067a14b6fecc9c9976"


def export_zip(kind: str) -> bytes:
    """A zip like the daily export's, holding the real fixture under the export's member name."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        info = zipfile.ZipInfo(f"export_fiches_{kind.upper()}_V4_1_{DAY}.xml", date_time=(2026, 8, 16, 2, 0, 0))
        archive.writestr(info, (XML / f"export_fiches_{kind.upper()}_fixture.xml").read_bytes(), zipfile.ZIP_DEFLATED)
    return buffer.getvalue()


ZIPS = {kind: export_zip(kind) for kind in ("rncp", "rs")}


@dataclass
class Site:
    """What the loopback data.gouv.fr serves, how it misbehaves, and what it was asked."""

    files: dict[str, bytes] = field(default_factory=dict)
    api: dict[str, dict] = field(default_factory=dict)
    redirects: dict[str, str] = field(default_factory=dict)
    cut_after: dict[str, int] = field(default_factory=dict)  # path -> bytes sent before hanging up, once
    ignore_range: bool = False
    requests: list[tuple[str, str | None]] = field(default_factory=list)

    def file_requests(self) -> list[tuple[str, str | None]]:
        return [(path, span) for path, span in self.requests if not path.startswith("/api/")]


def handler_for(site: Site):
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            site.requests.append((self.path, self.headers.get("Range")))
            if self.path in site.api:
                self.send_body(200, json.dumps(site.api[self.path]).encode(), "application/json")
            elif self.path in site.redirects:
                self.send_response(302)
                self.send_header("Location", site.redirects[self.path])
                self.send_header("Content-Length", "0")
                self.end_headers()
            elif self.path in site.files:
                self.send_file(site.files[self.path])
            else:
                self.send_body(404, b"not found", "text/plain")

        def send_file(self, body: bytes):
            start = re.fullmatch(r"bytes=(\d+)-", self.headers.get("Range") or "")
            status = 200
            if start and not site.ignore_range:
                status, offset = 206, int(start[1])
            self.send_response(status)
            self.send_header("Content-Type", "application/zip")
            if status == 206:
                self.send_header("Content-Range", f"bytes {offset}-{len(body) - 1}/{len(body)}")
                body = body[offset:]
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            cut = site.cut_after.pop(self.path, None)
            self.wfile.write(body[:cut] if cut is not None else body)
            self.close_connection = True

        def send_body(self, status: int, body: bytes, kind: str):
            self.send_response(status)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    return Handler


def resource(title: str, url: str, body: bytes, checksum: str | None = "sha1") -> dict:
    """A resource as the data.gouv.fr API describes it."""
    described = {"title": title, "url": url, "format": "zip", "filesize": len(body),
                 "last_modified": f"{DAY}T02:01:00+00:00", "latest": url, "mime": "application/zip"}
    if checksum:
        described["checksum"] = {"type": checksum, "value": hashlib.new(checksum, body).hexdigest()}
    return described


@pytest.fixture
def site(monkeypatch):
    """A loopback data.gouv.fr listing today's RNCP and RS exports, an older one, another flux and the CSV export."""
    monkeypatch.setenv("no_proxy", "127.0.0.1")
    site = Site()
    with serve_on_loopback(handler_for(site)) as base:
        site.base = base
        site.files = {"/files/rncp.zip": ZIPS["rncp"], "/files/rs.zip": ZIPS["rs"],
                      "/files/old.zip": ZIPS["rncp"], "/files/csv.zip": CSV_ZIP.read_bytes()}
        site.api[f"/api/1/datasets/{DATASET}/"] = {"id": DATASET, "resources": [
            resource("export-fiches-csv-2024-02-22.zip", f"{base}/files/csv.zip", site.files["/files/csv.zip"]),
            resource("export-fiches-rncp-v4-1-2026-08-15.zip", f"{base}/files/old.zip", ZIPS["rncp"]),
            resource("export-fiches-rncp-v3-0-2026-08-17.zip", f"{base}/files/old.zip", ZIPS["rncp"]),
            resource(TITLES["rncp"], f"{base}/files/rncp.zip", ZIPS["rncp"], "sha1"),
            resource(TITLES["rs"], f"{base}/files/rs.zip", ZIPS["rs"], "sha256"),
        ]}
        yield site


def resources(site: Site) -> list[dict]:
    return site.api[f"/api/1/datasets/{DATASET}/"]["resources"]


def fetch(site: Site, folder: Path, *args: str):
    return CliRunner().invoke(command, ["--to", str(folder), "--api", f"{site.base}/api/1", "--dataset", DATASET, *args])


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def member_sha256(path: Path) -> str:
    with zipfile.ZipFile(path) as archive:
        (name,) = archive.namelist()
        return hashlib.sha256(archive.read(name)).hexdigest()


@pytest.fixture
def code_lists(tmp_path) -> Path:
    """A data folder with the NSF lists only: the code lists a build from exports takes, small."""
    data = tmp_path / "data"
    shutil.copytree(DATA / "nsf", data / "nsf")
    write_manifest(data, [{"reader": "nsf", "path": "nsf"}])
    return data


def test_fetch_then_build_and_nothing_fetched_twice(site, code_lists, tmp_path):
    folder, store = tmp_path / "exports", tmp_path / "store"
    result = fetch(site, folder, "--store", str(store), "--data", str(code_lists))
    assert result.exit_code == 0, result.output
    paths = {kind: folder / title for kind, title in TITLES.items()}
    for kind, path in paths.items():
        assert sha256(path) == hashlib.sha256(ZIPS[kind]).hexdigest()
        assert member_sha256(path) == XML_SHA256[kind]
    assert sorted(p.name for p in folder.iterdir()) == sorted(TITLES.values())  # no .part left
    # Only the API and today's two files: not the older export, the other flux or the CSV export.
    assert site.file_requests() == [("/files/rncp.zip", None), ("/files/rs.zip", None)]
    assert result.stdout.splitlines()[:2] == [
        f"{paths['rncp']} ({len(ZIPS['rncp'])} bytes, downloaded; sha1 checked; zip tested)",
        f"{paths['rs']} ({len(ZIPS['rs'])} bytes, downloaded; sha256 checked; zip tested)",
    ]
    assert result.stdout.splitlines()[2].startswith(f"built {store}: ")
    assert ", 20 fiches, " in result.stdout.splitlines()[2]  # read: 12 RNCP + 8 RS
    # The store's summary counts them and the 39 other fiches they name (predecessors, successors, correspondences).
    assert stored_fiches(OxigraphStore.open(store, read_only=True)) == 59
    assert TITLES["rncp"] in result.stderr  # the progress bar's label

    site.requests.clear()
    again = fetch(site, folder, "--no-build", "--store", str(store))
    assert again.exit_code == 0, again.output
    assert site.file_requests() == [] and len(site.requests) == 1  # the API only
    assert again.stdout.splitlines() == [
        f"{paths['rncp']} ({len(ZIPS['rncp'])} bytes, already there, identical; sha1 checked; zip tested)",
        f"{paths['rs']} ({len(ZIPS['rs'])} bytes, already there, identical; sha256 checked; zip tested)",
        "build the store from them with:",
        f"  certgraph build --export {paths['rncp']} --export {paths['rs']} --store {store}",
    ]


def test_a_cut_download_is_resumed_with_a_range(site, tmp_path):
    site.cut_after["/files/rncp.zip"] = 3000
    result = fetch(site, tmp_path, "--no-build")
    assert result.exit_code == 0, result.output
    assert site.file_requests() == [("/files/rncp.zip", None), ("/files/rncp.zip", "bytes=3000-"), ("/files/rs.zip", None)]
    assert member_sha256(tmp_path / TITLES["rncp"]) == XML_SHA256["rncp"]


def test_a_partial_download_of_an_earlier_run_is_resumed(site, tmp_path):
    half = len(ZIPS["rs"]) // 2
    (tmp_path / f"{TITLES['rs']}.part").write_bytes(ZIPS["rs"][:half])
    assert fetch(site, tmp_path, "--no-build").exit_code == 0
    assert site.file_requests() == [("/files/rncp.zip", None), ("/files/rs.zip", f"bytes={half}-")]
    assert sha256(tmp_path / TITLES["rs"]) == hashlib.sha256(ZIPS["rs"]).hexdigest()


def test_a_server_ignoring_range_restarts_the_file_cleanly(site, tmp_path):
    site.ignore_range = True
    (tmp_path / f"{TITLES['rncp']}.part").write_bytes(b"not the start of the export" * 20)
    result = fetch(site, tmp_path, "--no-build")
    assert result.exit_code == 0, result.output
    assert site.file_requests()[0] == ("/files/rncp.zip", "bytes=540-")
    assert sha256(tmp_path / TITLES["rncp"]) == hashlib.sha256(ZIPS["rncp"]).hexdigest()


def damage(body: bytes) -> bytes:
    """The zip with one byte of its compressed XML changed: a CRC or inflate error, same size."""
    middle = len(body) // 2
    return body[:middle] + bytes([body[middle] ^ 0xFF]) + body[middle + 1:]


@pytest.mark.parametrize(
    ("case", "error"),
    [
        ("damaged zip", r"the zip's member export_fiches_RNCP_V4_1_2026-08-16\.xml is damaged|not a readable zip"),
        ("checksum", r"sha1 [0-9a-f]{40} where the API says 0{40}"),
        ("not the export", r"the zip holds no export_fiches_RNCP_\*\.xml \(it holds export_fiches_CSV_"),
        ("size", r"the server sends \d+ bytes, the API says 12"),
    ],
)
def test_a_bad_file_is_a_clear_error_and_never_left_as_complete(case, error, site, tmp_path):
    rncp = resources(site)[3]
    if case == "damaged zip":
        site.files["/files/rncp.zip"] = damage(ZIPS["rncp"])
        del rncp["checksum"]
    elif case == "checksum":
        rncp["checksum"]["value"] = "0" * 40
    elif case == "not the export":
        rncp.update(resource(TITLES["rncp"], f"{site.base}/files/csv.zip", site.files["/files/csv.zip"]))
    else:
        rncp["filesize"] = 12
    result = fetch(site, tmp_path, "--no-build")
    assert result.exit_code == 1, result.output
    line = result.stderr.splitlines()[-1]
    assert line.startswith(f"Error: {rncp['url']}: "), line
    assert re.search(error, line), line
    assert list(tmp_path.iterdir()) == []


def test_redirects_are_followed_to_the_allowed_hosts_only(site, tmp_path):
    rs, rncp = resources(site)[4], resources(site)[3]
    rs["url"] = f"{site.base}/latest/rs"
    site.redirects["/latest/rs"] = "/files/rs.zip"  # like data.gouv.fr's stable "latest" links
    rncp["url"] = f"{site.base}/latest/rncp"
    site.redirects["/latest/rncp"] = "http://127.0.0.2:9/files/rncp.zip"
    result = fetch(site, tmp_path, "--no-build")
    assert result.exit_code == 1, result.output
    assert result.stderr.splitlines() == [
        "Error: http://127.0.0.2:9/files/rncp.zip: redirected to a host other than the API's and the resource's; refused"
    ]
    rncp["url"] = f"{site.base}/files/rncp.zip"
    assert fetch(site, tmp_path, "--no-build").exit_code == 0
    assert ("/latest/rs", None) in site.file_requests() and ("/files/rs.zip", None) in site.file_requests()
    assert sha256(tmp_path / TITLES["rs"]) == hashlib.sha256(ZIPS["rs"]).hexdigest()


def test_a_dataset_without_an_export_or_an_api_error_names_the_url(site, tmp_path):
    address = f"{site.base}/api/1/datasets/{DATASET}/"
    del resources(site)[4]
    result = fetch(site, tmp_path)
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        f"Error: {address}: no export-fiches-rs-v4-1-YYYY-MM-DD.zip among the dataset's resources"
    ]
    missing = CliRunner().invoke(command, ["--to", str(tmp_path), "--api", f"{site.base}/api/1", "--dataset", "nope"])
    assert missing.exit_code == 1
    assert missing.stderr.splitlines() == [f"Error: {site.base}/api/1/datasets/nope/: HTTP 404 Not Found"]
