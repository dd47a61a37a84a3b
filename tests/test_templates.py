"""Every template of ``web/templates/`` rendered with hostile values: nothing gets out of its text or attribute.

The values are what data or a request could carry: markup, an attribute breaker, a ``javascript:`` link,
a template expression, and the end tags of the ``<style>`` and ``<script>`` elements the pages hold. A
template or macro added to the folder must be given its values here (the first test fails until it is).
"""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path
from types import SimpleNamespace

import pytest
from jinja2.runtime import Macro

from certgraph.web import pages
from certgraph.web.jinja import ENV, href, render, stylesheet

TEMPLATES = Path(pages.__file__).with_name("templates")

SCRIPT = "<script>alert(1)</script>"
BREAKER = "\"'><img src=x onerror=alert(1)>"
JAVASCRIPT = "javascript:alert(1)"
INJECTION = "{{7*7}}"
END_TAGS = "x</style><script>alert(1)</script></script>"
HOSTILE = [SCRIPT, BREAKER, JAVASCRIPT, INJECTION, END_TAGS]


class Parsed(HTMLParser):
    """The elements and attributes of a rendered text, and the text inside each <script> and <style>."""

    def __init__(self, text: str):
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict]] = []
        self.raw_texts: list[tuple[str, str]] = []
        self.feed(text)
        self.close()

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data):
        if self.lasttag in ("script", "style") and self.tags and self.tags[-1][0] == self.lasttag:
            self.raw_texts.append((self.lasttag, data))


def assert_inert(text: str, scripts: int = 0, styles: int = 0) -> None:
    """No hostile value became markup, a script, an event handler, a link to run, or template output."""
    assert "<script>alert" not in text
    assert BREAKER not in text and "<img" not in text
    assert INJECTION in text or "{{" not in text  # shown as written when shown at all...
    assert "49" not in text  # ...never evaluated
    parsed = Parsed(text)
    assert [tag for tag, _ in parsed.tags if tag == "script"] == ["script"] * scripts
    assert [tag for tag, _ in parsed.tags if tag == "style"] == ["style"] * styles
    assert text.count("</script>") == scripts and text.count("</style>") == styles
    for tag, attributes in parsed.tags:
        assert tag != "img"
        assert not [name for name in attributes if name.startswith("on")], (tag, attributes)
        for name in ("href", "src", "action", "formaction"):
            value = re.sub(r"[\t\n\r]", "", attributes.get(name) or "").strip().lower()
            assert not value.startswith(("javascript:", "data:text", "vbscript:")), (tag, attributes)
    for element, data in parsed.raw_texts:
        assert "alert(1)</" not in data, (element, data)


# ------------------------------------------------------------------ the pages


def page_context(value: str) -> dict:
    return {
        "kind": value,
        "heading": value,
        "title": value,
        "iri": value,
        "turtle": JAVASCRIPT,
        "jsonld": value,
        "style": stylesheet("pages.css"),
        "sections": [pages.Section(value, value, value) for _ in range(4)],
    }


def editor_context(value: str) -> dict:
    return {
        "title": value,
        "endpoint": value,
        "static": JAVASCRIPT,
        "yasgui": value,
        "config": {"endpoint": value, "examples": [{"name": value, "query": value}]},
    }


CONTEXTS = {"page.html": page_context, "editor.html": editor_context, "not_found.html": lambda value: {"iri": value}}
ELEMENTS = {"page.html": {"style": 1}, "editor.html": {"scripts": 3}, "not_found.html": {}}


def test_every_template_is_checked_here():
    from tests.test_linked_data import (
        LD_CONTEXTS,  # the linked-data pages' templates, rendered there (it imports this module)
    )

    # _head.html is checked through the two frames that include it (page.html, ld_base.html).
    assert sorted(p.name for p in TEMPLATES.glob("*.html")) == sorted([*CONTEXTS, *LD_CONTEXTS, "_kit.html", "_site.html", "_head.html"])


def site_macros(value: str) -> dict[str, str]:
    """Every macro of _site.html (the site's search, comparison and block pieces) rendered with ``value`` everywhere."""
    module = ENV.get_template("_site.html").module
    facet = SimpleNamespace(name=value, label=value, options=[(value, value)])
    calls = {
        "search_form": lambda m: m(value, value, [facet], {value: value, "date": value}, value, [(JAVASCRIPT, value)]),
        "code_match": lambda m: m(JAVASCRIPT, value, value, value),
        "compare_form": lambda m: m(value, value, value),
        "side_by_side": lambda m: m(value, value, value, value),
        "block_list": lambda m: m([(value, value)]),
    }
    macros = {name for name in dir(module) if isinstance(getattr(module, name), Macro)}
    assert macros == set(calls), "_site.html: give every macro hostile arguments here"
    return {name: str(call(getattr(module, name))) for name, call in calls.items()}


@pytest.mark.parametrize("value", HOSTILE)
def test_site_macros_keep_hostile_values_inert(value):
    for html in site_macros(value).values():
        assert_inert(html)


@pytest.mark.parametrize("value", HOSTILE)
@pytest.mark.parametrize("name", sorted(CONTEXTS))
def test_pages_keep_hostile_values_inert(name, value):
    text = render(name, **CONTEXTS[name](value))
    counts = ELEMENTS[name]
    assert_inert(text, scripts=counts.get("scripts", 0), styles=counts.get("style", 0))
    if value != JAVASCRIPT:
        assert str(ENV.filters["escape"](value)) in text  # shown, as text


def test_editor_config_reads_back_as_written():
    import json

    config = {"endpoint": END_TAGS, "examples": [{"name": BREAKER, "query": SCRIPT + INJECTION}]}
    text = render("editor.html", **{**editor_context(SCRIPT), "config": config})
    data = re.search(r'<script type="application/json" id="certgraph-editor-config">(.*?)</script>', text, re.S)
    assert json.loads(data.group(1)) == config


# ------------------------------------------------------------------ the kit of macros


def kit_macros() -> dict[str, Macro]:
    module = ENV.get_template("_kit.html").module
    return {name: getattr(module, name) for name in dir(module) if isinstance(getattr(module, name), Macro)}


def hostile_arguments(macro: Macro, value: str) -> dict:
    """The macro's arguments, each set to ``value`` (in a list where it takes a list)."""
    lists = {"values", "competencies", "assessments", "headers", "classes"}
    arguments = {}
    for name in macro.arguments:
        if name in lists:
            arguments[name] = [value, value]
        elif name == "rows":
            arguments[name] = [[value, value]]
        elif name == "pairs":
            arguments[name] = [(value, value)]
        elif name == "ordered":
            arguments[name] = True
        elif name == "href":
            arguments[name] = JAVASCRIPT
        elif name in {"text", "css", "lang", "summary", "body", "heading", "size", "value", "state", "width"}:
            arguments[name] = value
        else:
            raise AssertionError(f"_kit.html: give the argument {name} of {macro.name} a hostile value here")
    return arguments


def test_every_macro_has_hostile_arguments():
    assert len(kit_macros()) >= 10
    for macro in kit_macros().values():
        hostile_arguments(macro, SCRIPT)


@pytest.mark.parametrize("value", HOSTILE)
@pytest.mark.parametrize("name", sorted(kit_macros()))
def test_macros_keep_hostile_values_inert(name, value):
    macro = kit_macros()[name]
    assert_inert(str(macro(**hostile_arguments(macro, value))))


@pytest.mark.parametrize("value", HOSTILE)
def test_python_helpers_keep_hostile_values_inert(value):
    term = {"type": "literal", "value": value, "xml:lang": value}
    for html in (
        pages.link(value, value, value),
        pages.link("https://w3id.org/certgraph/id/" + value, value),
        pages._external(value),
        pages._lit(term),
        pages._named_link(JAVASCRIPT, value, term),
        pages._joined([value, pages._code(value)], value),
        pages._table([value], [[value, pages._muted(value)]], [value]),
        pages._facts_table([(value, value)]),
    ):
        assert_inert(str(html))


def test_links_only_to_the_web_and_this_site():
    assert [href(v) for v in ("/id/rncp/1", "?format=turtle", "#top", "https://a.example/", "")] == [
        "/id/rncp/1", "?format=turtle", "#top", "https://a.example/", ""]
    for target in (JAVASCRIPT, " JavaScript:alert(1)", "java\tscript:alert(1)", "\x01javascript:x", "data:text/html,x",
                   "vbscript:x"):
        assert href(target) == "#", target


def test_the_inlined_stylesheet_cannot_end_its_element(tmp_path, monkeypatch):
    assert "</" not in stylesheet("pages.css")
    monkeypatch.setattr("certgraph.web.jinja.STATIC", tmp_path)
    (tmp_path / "bad.css").write_text("a { } </style><script>alert(1)</script>", encoding="utf-8")
    with pytest.raises(ValueError, match="cannot be inlined"):
        stylesheet("bad.css")
