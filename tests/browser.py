"""Headless-browser harness: Playwright driving the system's Chromium, for tests of web pages.

Playwright comes from PyPI (the ``test`` extra); the browser is Debian's ``chromium`` package, never
one downloaded by ``playwright install``. Without either, ``chromium_or_skip()`` skips the test.

    with open_browser() as session:
        page = session.new_page()
        page.goto(url)
        screenshot(page, "editor")
        assert not session.console_errors

Every page records its console errors and uncaught exceptions (``session.console_errors``) and the
URL of every request it makes (``session.requests``). Requests to anything but the loopback
interface are recorded and aborted, so a page under test never reaches the network.
"""

from __future__ import annotations

import os
import shutil
import threading
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit

REPO = Path(__file__).resolve().parent.parent
ARTIFACTS = REPO / "build" / "test-artifacts"

# Set CERTGRAPH_CHROMIUM to use another binary.
CHROMIUM_CANDIDATES = ("/usr/bin/chromium", "chromium", "chromium-browser")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
LOOPBACK_HOSTS = {"localhost", "127.0.0.1", "::1", "[::1]"}
# Milliseconds Playwright waits for a selector or a navigation before failing.
TIMEOUT_MS = 10_000


def chromium_path() -> str | None:
    """The Chromium executable to drive, or None when there is none."""
    candidates = [os.environ.get("CERTGRAPH_CHROMIUM", ""), *CHROMIUM_CANDIDATES]
    for candidate in filter(None, candidates):
        found = shutil.which(candidate)
        if found:
            return found
    return None


def chromium_or_skip() -> str:
    """The Chromium executable; skips the calling test when Playwright or Chromium is missing."""
    import pytest

    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        pytest.skip("browser test skipped: the playwright package is not installed (pip install -e '.[test]')")
    path = chromium_path()
    if path is None:
        pytest.skip("browser test skipped: no chromium binary (apt-get install chromium)")
    return path


def is_loopback(url: str) -> bool:
    """Whether a request URL stays on this machine (or is not a network request at all).

    >>> is_loopback("http://127.0.0.1:8000/static/editor.js"), is_loopback("data:,")
    (True, True)
    >>> is_loopback("https://lov.linkeddata.es/dataset/lov/api/v2/autocomplete/terms")
    False
    """
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https", "ws", "wss"):
        return True
    host = parts.hostname or ""
    return host in LOOPBACK_HOSTS or host.startswith("127.")


@dataclass
class BrowserSession:
    """One running Chromium, and what its pages logged and requested."""

    browser: object
    console_errors: list[str] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)
    blocked: list[str] = field(default_factory=list)

    def new_page(self, locale: str | None = None):
        """A page in a fresh context (its own cookies and localStorage), recorded like the others;
        ``locale`` (e.g. ``fr-FR``) sets the browser's language, and so its Accept-Language."""
        context = self.browser.new_context(viewport={"width": 1280, "height": 900}, locale=locale)
        context.set_default_timeout(TIMEOUT_MS)
        context.route("**/*", self._route)
        page = context.new_page()
        page.on("console", self._console)
        page.on("pageerror", lambda error: self.console_errors.append(f"uncaught: {error}"))
        page.on("request", lambda request: self.requests.append(request.url))
        return page

    def _console(self, message) -> None:
        if message.type == "error":
            self.console_errors.append(f"console: {message.text} ({message.location.get('url', '')})")

    def _route(self, route) -> None:
        if is_loopback(route.request.url):
            route.continue_()
        else:
            self.blocked.append(route.request.url)
            route.abort()

    def outside_requests(self) -> list[str]:
        """Every request that would have left the machine."""
        return [url for url in self.requests if not is_loopback(url)]


@contextmanager
def open_browser(executable: str | None = None):
    """Launch headless Chromium and yield a BrowserSession; closes the browser on exit.

    :param executable: the Chromium binary; defaults to ``chromium_or_skip()``'s.
    """
    from playwright.sync_api import sync_playwright

    executable = executable or chromium_or_skip()
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        try:
            yield BrowserSession(browser)
        finally:
            browser.close()


def screenshot(page, name: str) -> Path:
    """Save a PNG of the page as ``build/test-artifacts/<name>.png`` and return its path."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


@contextmanager
def serve_on_loopback(handler):
    """Serve ``handler`` (an ``http.server`` request handler factory) on a free loopback port;
    yields the base URL, stops the server on exit."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


@contextmanager
def checked(session: BrowserSession):
    """The session with its logs emptied; on exit, asserts no console error and nothing left the machine."""
    for log in (session.console_errors, session.requests, session.blocked):
        log.clear()
    yield session
    assert session.outside_requests() == []
    assert session.console_errors == []


AXE = Path(__file__).resolve().parent / "vendor" / "axe-core" / "axe.min.js"


def accessibility_violations(page, impacts: tuple[str, ...] = ("serious", "critical")) -> list[str]:
    """axe-core's violations of ``impacts`` on the page as it is now, one line each (rule, impact, where).

    The vendored ``tests/vendor/axe-core/axe.min.js`` is injected as inline text: nothing is fetched.
    """
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.add_script_tag(content=AXE.read_text(encoding="utf-8"))
    found = page.evaluate("async () => (await axe.run(document)).violations.map(v => "
                          "({id: v.id, impact: v.impact, nodes: v.nodes.map(n => n.target.join(' ')).slice(0, 3)}))")
    return [f"{v['id']} ({v['impact']}): {', '.join(v['nodes'])}" for v in found if v["impact"] in impacts]
