"""The web pages' Jinja2 environment: templates in ``web/templates/``, every value autoescaped.

Interface strings are written ``{{ _("Search") }}`` and come out in the page's language (``i18n``).
``render`` fills a whole page; ``kit`` gives the macros of ``_kit.html`` to the Python that builds a
page's parts, each returning ``markupsafe.Markup``. ``stylesheet`` reads a file of ``web/static/`` for
a page that inlines it (the linked-data pages load nothing, not even their own stylesheet).
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

from jinja2 import Environment, PackageLoader, StrictUndefined
from markupsafe import Markup

from . import i18n

STATIC = Path(__file__).with_name("static")
_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*:")
_C0_AND_SPACE = "".join(map(chr, range(0x21)))

ENV = Environment(
    loader=PackageLoader("certgraph.web", "templates"),
    autoescape=True,
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
    keep_trailing_newline=True,
)


def href(value: object) -> str:
    r"""A link target as a template writes it: a path, or an http(s) address; any other scheme is ``#``.

    Escaping keeps a value inside its attribute, not a ``javascript:`` or ``data:`` URL out of it. The
    scheme is read as a browser reads it: after leading spaces and controls, without tabs and newlines.

    >>> href("/id/rncp/35080"), href("https://example.org/"), href(" java\tscript:alert(1)")
    ('/id/rncp/35080', 'https://example.org/', '#')
    """
    text = str(value)
    scheme = _SCHEME.match(re.sub(r"[\t\n\r]", "", text).lstrip(_C0_AND_SPACE))
    return text if scheme is None or scheme.group().lower() in ("http:", "https:") else "#"


ENV.filters["href"] = href
# The interface strings in the page's language (i18n.py), and that language for <html lang>.
ENV.globals.update(_=i18n._, ui_lang=i18n.current)
# ``tojson`` keeps the data's own order and characters (its escaping of < > & ' is what makes it
# safe inside a <script> element).
ENV.policies["json.dumps_kwargs"] = {"ensure_ascii": False, "sort_keys": False}


def render(name: str, **context) -> str:
    """The template ``name`` of ``web/templates/`` filled with ``context``."""
    return ENV.get_template(name).render(**context)


@cache
def kit():
    """The macros of ``_kit.html``, callable from Python (each returns Markup)."""
    return ENV.get_template("_kit.html").module


@cache
def stylesheet(name: str) -> Markup:
    """A stylesheet of ``web/static/``, to inline in a ``<style>`` element.

    :raises ValueError: the file could end the ``<style>`` element (it holds ``</``).
    """
    text = (STATIC / name).read_text(encoding="utf-8")
    if "</" in text:
        raise ValueError(f"static/{name} holds '</': it cannot be inlined in a <style> element")
    # Our own file, not data: CSS is not HTML-escaped (an escaped quote would break a font name).
    return Markup(text)
