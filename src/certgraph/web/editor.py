r"""The SPARQL query editor page: YASGUI with one tab per named query, served at ``/``.

The page (``templates/editor.html``) loads the vendored YASGUI bundle (``static/yasgui/``, see its
``SOURCE.md``) and ``static/editor.js`` from the server itself: it fetches nothing from anywhere
else. Queries go to the endpoint by POST (form-encoded ``query=``, as the SPARQL 1.1 Protocol
allows), so long queries work; results are asked for as ``application/sparql-results+json``
(SELECT, ASK) and ``application/n-triples`` (CONSTRUCT, DESCRIBE).

Tabs persist in the browser's localStorage under an id that hashes the examples and the
endpoint: a new set of examples always shows, and within one set the user's edits survive a
reload. An example tab that was closed comes back on the next load; the first one is active.

Share links. YASGUI's share button (in the editor's corner) gives a link that reopens the query in
a tab of its own and runs it::

    /#query=<urlencoded SPARQL>&endpoint=<urlencoded endpoint URL>&requestMethod=POST
      &tabTitle=<tab name>&contentTypeConstruct=...&contentTypeSelect=...&outputFormat=table

Only ``query`` is required, and YASGUI reads the same parameters from the query string when the
URL has no fragment, so ``/?query=SELECT%20*%20WHERE%20%7B%3Fs%20%3Fp%20%3Fo%7D%20LIMIT%2010``
works too. Other parameters it does not know are sent to the endpoint with the query.
"""

from __future__ import annotations

import hashlib
import json
import textwrap

from .jinja import render

__all__ = ["editor_html"]

TITLE = "certgraph SPARQL query editor"
YASGUI_DIR = "yasgui"
# Comments wider than this are wrapped when a description is put above a query.
COMMENT_WIDTH = 96


def editor_html(examples: list[dict], endpoint: str = "/sparql", static: str = "/static") -> str:
    """The HTML of the query editor page.

    :param examples: one dict per tab, in order, with keys ``name`` (the tab's title, e.g.
        ``lineage/ancestors``), ``summary``, ``description`` and ``query`` (runnable SPARQL,
        parameters bound).
    :param endpoint: the SPARQL endpoint, resolved by the browser against the page's URL.
    :param static: where ``certgraph/web/static/`` is served, without a trailing slash.
    :returns: a complete HTML document; the examples are embedded as JSON (Jinja2's ``tojson``,
        which escapes ``<``, ``>``, ``&`` and ``'``: no text of a query can end its ``<script>``).

    >>> page = editor_html([{"name": "a/b", "summary": "S", "description": "", "query": "ASK {}"}])
    >>> '"name": "a/b"' in page and '/static/yasgui/yasgui.min.js' in page
    True
    """
    tabs = [{"name": str(example["name"]), "query": tab_query(example)} for example in examples]
    config = {"endpoint": endpoint, "persistenceId": persistence_id(tabs, endpoint), "examples": tabs}
    return render("editor.html", title=TITLE, static=static.rstrip("/"), yasgui=YASGUI_DIR, endpoint=endpoint,
                  config=config)


def tab_query(example: dict) -> str:
    """The example's query, headed by its summary and description as comments unless it has them.

    Named queries keep their ``#+ summary:`` header, which already tells the reader what they do.

    >>> print(tab_query({"summary": "Count fiches", "description": "All of them.", "query": "ASK {}"}))
    # Count fiches
    #
    # All of them.
    <BLANKLINE>
    ASK {}
    """
    query = str(example["query"])
    summary = str(example.get("summary") or "").strip()
    if not summary or summary in _leading_comments(query):
        return query
    lines = [f"# {summary}"]
    description = " ".join(str(example.get("description") or "").split())
    if description:
        lines.append("#")
        lines += [f"# {line}" for line in textwrap.wrap(description, COMMENT_WIDTH - 2)]
    return "\n".join(lines) + "\n\n" + query


def _leading_comments(query: str) -> str:
    """The comment lines before the first line of SPARQL."""
    comments = []
    for line in query.splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            break
        comments.append(line)
    return "\n".join(comments)


def persistence_id(tabs: list[dict], endpoint: str) -> str:
    """The localStorage id of the editor's tabs: changes whenever the examples or endpoint do.

    >>> persistence_id([], "/sparql").startswith("certgraph-editor-")
    True
    """
    payload = json.dumps({"endpoint": endpoint, "tabs": tabs}, sort_keys=True)
    return "certgraph-editor-" + hashlib.sha256(payload.encode("utf-8")).hexdigest()[:16]
