"""The real server in a real browser: headless Chromium on ``certgraph serve`` over the mini store.

Screenshots land in ``build/test-artifacts/``. Skipped (with the reason) only where Playwright or
Chromium cannot be found; ``.ci/run`` installs Chromium.
"""

from __future__ import annotations

import pytest

from .browser import chromium_or_skip, open_browser, screenshot


@pytest.fixture(scope="module")
def browser():
    chromium_or_skip()
    with open_browser() as session:
        yield session
        assert session.outside_requests() == []
        assert session.console_errors == []


def test_the_editor_runs_the_lineage_example(mini_server, browser):
    page = browser.new_page()
    page.goto(mini_server + "/editor")
    page.wait_for_function("window.certgraphEditor && window.certgraphEditor.getTab()")
    page.locator(".yasgui .tabsList a[role=tab]", has_text="lineage/ancestors").click()
    assert "dcterms:replaces+" in page.evaluate("window.certgraphEditor.getTab().getQuery()")
    page.locator(".tabPanel.active .yasqe_queryButton").click()
    page.locator(".tabPanel.active .yasr table").get_by_text("RNCP28720", exact=True).wait_for()
    cells = page.locator(".tabPanel.active .yasr table tbody td").all_inner_texts()
    assert {"RNCP1611", "RNCP5385", "RNCP28720"} <= set(cells)
    screenshot(page, "editor-lineage")


def test_a_fiche_page_shows_its_lineage(mini_server, browser):
    page = browser.new_page()
    response = page.goto(mini_server + "/id/rncp/35080")
    assert response.status == 200
    assert "RNCP35080" in page.locator("h1").inner_text()
    for ancestor in ("28720", "5385", "1611"):
        assert page.locator(f'a[href="/id/rncp/{ancestor}"]').count() >= 1
    page.locator('a[href="/id/rncp/28720"]').first.click()
    page.wait_for_url(mini_server + "/id/rncp/28720")
    assert "RNCP28720" in page.locator("h1").inner_text()
    page.go_back()
    screenshot(page, "fiche-35080")
