"""Readers for the Cnam Cestes programme behind RNCP35080: the plain-text brochure and the web page.

The brochure and the web page state what the register does not: the hours of each part of the
training, the courses that make it up, the non-certifying module, the cost and, for the brochure,
the year the diploma was created. The brochure layout read by :func:`parse_programme_brochure` is::

    Programme de formation au Cnam-Paris
    Bloc 1
    Pilotage stratégique d'un organisme à vocation sociale ou culturelle en ESS
    161h
    - L'économie sociale et solidaire : fondement et enjeux actuels
    …
    • Module complémentaire non certifiant
    Initiation à la vie coopérative : gouvernance, management, droit, gestion coopératives
    35h
    - …
    ■ Public concerné :

A block label printed on two lines is kept whole, its lines joined with " — ".

The web page layout read by :func:`parse_programme_web_page` (text with Markdown links, the
statistics table tab-separated) is::

    Manager d'organismes à vocation sociale et culturelle en ESS
    [Code RNCP 35080](#)
    Statistiques
    Année d'obtention de la certification<TAB>Nombre de certifiés<TAB>…
    2018<TAB>26<TAB>0<TAB>83<TAB>17<TAB>63
    Module complémentaire non certifiant
    [Initiation à la vie coopérative: gouvernance, management, droit, gestion coopératives](#)
    La formation représente 490 heures de regroupement, et se compose :
    de séminaires : 420 heures
    - théoriques pour armer la réflexion, …
    d'ateliers mémoires :70 heures
    - …
    Niveau requis
    Coût et modalités d'inscription
    10 005 € dans le cadre d'un financement par un tiers …
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

from ..records import (
    CohortStatistic,
    Fiche,
    Loaded,
    Problem,
    SourceRef,
    TrainingModule,
    TrainingProgramme,
    normalise_fiche_number,
)

__all__ = [
    "CNAM_CESTES",
    "parse_programme_brochure",
    "parse_programme_web_page",
    "read_programme_brochure",
    "read_programme_web_page",
]

LABEL_JOINER = " — "

# The provider as the brochure names it in full (its creation sentence plus the Cnam's full name).
# The web page only says "Cnam" and "Cestes", so it borrows this name; a test checks that the
# brochure reader still derives exactly this value, so the two sources cannot drift apart.
CNAM_CESTES = (
    "Conservatoire national des arts et métiers (Cnam)" + LABEL_JOINER + "Centre de l'Économie Sociale (Cestes)"
)

_FICHE = re.compile(r"\bRNCP\s*-?\s*([0-9]{4,6})\b")
_TITLE = re.compile(r"^Diplôme d[e'’]\s*(.+)$")
_CREATED = re.compile(r"\bcréée? en ([0-9]{4}) par (?:le |la |l['’])(.+?) du (\w+)\b")
_TOTAL_HOURS = (
    re.compile(r"\bformation de ([0-9]+)\s*heures\b"),
    re.compile(r"\(([0-9]+)\s*h(?:eures)? d['’]enseignement\)"),
)
_PROGRAMME_START = re.compile(r"^Programme de (?:la )?formation\b", re.IGNORECASE)
_BLOCK = re.compile(r"^Bloc\s+([0-9]+)\s*[:.–-]?\s*(.*)$")
_EXTRA_MODULE = re.compile(r"^[•■*-]?\s*Module complémentaire non certifiant\s*:?\s*(.*)$")
_HOURS = re.compile(r"^([0-9]+)\s*h(?:eures)?$")
_COURSE = re.compile(r"^[-•*]\s+(.+)$")
_SECTION_END = re.compile(r"^■")
_PREREQUISITES = re.compile(
    r"^(?:Niveau requis|Pré-?requis|Conditions d['’]admission)\s*:\s*(.*)$", re.IGNORECASE
)
_COST = re.compile(r"^Coût\s*:")

# The web page: headings stand alone on their line, without the brochure's colon or marker.
_MARKDOWN_LINK = re.compile(r"\[([^\]]*)\]\([^)]*\)")
_STATISTICS = re.compile(r"^Statistiques\s*:?$")
# Columns are recognised by their header, not their position, so a table that drops or reorders a
# column is read right or reported; "VAE" is tested before "Nombre de certifiés", which it contains.
_STATISTIC_COLUMNS = (
    ("year", re.compile(r"^Année")),
    ("certified_vae", re.compile(r"\bVAE\b")),
    ("certified", re.compile(r"^Nombre de certifiés")),
    ("insertion_rate_6m", re.compile(r"\bglobal à 6 mois")),
    ("job_insertion_rate_6m", re.compile(r"\bmétier visé à 6 mois")),
    ("job_insertion_rate_2y", re.compile(r"\bmétier visé à 2 ans")),
)
_YEAR = re.compile(r"^(?:19|20)[0-9]{2}$")
_WEB_TITLE_SENTENCE = re.compile(r"^Le diplôme d(?:e |['’])(.+?) est un diplôme\b")
_WEB_TOTAL_HOURS = re.compile(r"^La formation (?:représente|compte|comprend) ([0-9]+)\s*heures\b")
_WEB_PART = re.compile(r"^d(?:e |['’])(?:la |l['’])?(.+?)\s*:\s*([0-9]+)\s*h(?:eures)?\s*$")
_WEB_PREREQUISITES = re.compile(r"^(?:Niveau requis|Pré-?requis|Conditions d['’]admission)\s*:?$", re.IGNORECASE)
_WEB_COST = re.compile(r"^Coût et modalités d['’]inscription\s*:?$", re.IGNORECASE)
_PRICE = re.compile(r"^[0-9][0-9\s.,]*\s*(?:€|euros?\b)")

# report(message, line=None, severity="warning"): adds a Problem naming the page and its fiche.
_Report = Callable[..., None]


def read_programme_brochure(path: Path, source: SourceRef) -> Loaded:
    """Read a brochure file (UTF-8 text) into one TrainingProgramme; see :func:`parse_programme_brochure`."""
    return _read_text(path, source, parse_programme_brochure)


def read_programme_web_page(path: Path, source: SourceRef) -> Loaded:
    """Read a programme web page saved as UTF-8 text; see :func:`parse_programme_web_page`."""
    return _read_text(path, source, parse_programme_web_page)


def _read_text(path: Path, source: SourceRef, parse: Callable[[str, SourceRef], Loaded]) -> Loaded:
    path = Path(path)
    if not path.is_file():
        return Loaded(
            problems=[Problem(source.path, "file not found", severity="error")], missing=[source.path]
        )
    return parse(path.read_text(encoding="utf-8"), source)


def parse_programme_brochure(text: str, source: SourceRef) -> Loaded:
    """Parse a brochure's text into one TrainingProgramme with its modules.

    The fiche comes from the "RNCP 35080" mention, the title from the "Diplôme de …" line, the
    provider and creation year from "créé en 1991 par le Centre … (Cestes) du Cnam". Without a fiche
    number or a title there is no programme, only a Problem; without a programme section the
    programme has no modules and a Problem says so. Certifying modules whose hours do not add up to
    the stated total are reported too.

    >>> text = "Diplôme de Gestion\\nRNCP 1234\\nProgramme de formation\\nBloc 1\\nBudget\\n10h\\n- Comptes"
    >>> loaded = parse_programme_brochure(text, SourceRef("b", "b.txt", "B"))
    >>> [(m.block_number, m.label, m.hours, m.courses) for m in loaded.programmes[0].modules]
    [(1, 'Budget', 10, ['Comptes'])]
    """
    loaded = Loaded(sources=[source])
    lines = [line.strip() for line in text.splitlines()]

    fiche = _fiche_number(text, source, loaded.problems)
    title = next((match.group(1).strip() for match in map(_TITLE.match, lines) if match), None)
    if fiche is None or title is None:
        lacking = [what for what, value in (("no RNCP number", fiche), ("no 'Diplôme de' title", title)) if not value]
        message = f"{' and '.join(lacking)}: no programme read"
        loaded.problems.append(Problem(source.path, message, fiche=fiche, severity="error"))
        return loaded

    created = _CREATED.search(" ".join(lines))
    programme = TrainingProgramme(
        fiche=fiche,
        title=title,
        provider=_provider(created, text),
        total_hours=_total_hours(text),
        prerequisites=_prerequisites(lines),
        cost=next((line for line in lines if _COST.match(line)), None),
        created_year=int(created.group(1)) if created else None,
        source=source,
    )
    programme.modules = _modules(lines, source, fiche, loaded.problems)

    certifying = [module.hours for module in programme.modules if module.certifying]
    stated = programme.total_hours
    if stated and certifying and None not in certifying and sum(certifying) != stated:
        message = f"blocks add up to {sum(certifying)} h, the brochure states {stated} h"
        loaded.problems.append(Problem(source.path, message, fiche=fiche))
    loaded.programmes.append(programme)
    return loaded


def _fiche_number(text: str, source: SourceRef, problems: list[Problem]) -> str | None:
    """The first "RNCP 35080" the text mentions, normalised; a Problem when it mentions several."""
    numbers = list(dict.fromkeys(normalise_fiche_number("RNCP" + digits) for digits in _FICHE.findall(text)))
    fiche = numbers[0] if numbers else None
    if len(numbers) > 1:
        problems.append(
            Problem(source.path, f"several RNCP numbers ({', '.join(numbers)}); the first is used", fiche=fiche)
        )
    return fiche


def _provider(created: re.Match | None, text: str) -> str | None:
    """The institution and its department: "Conservatoire … (Cnam) — Centre de l'Économie Sociale (Cestes)".

    The creation sentence names the department and the institution's short name; the full name is
    the one the text prints before that short name in brackets.
    """
    if created is None:
        return None
    department, short = created.group(2).strip(), created.group(3)
    full = re.search(rf"\b([A-ZÉ][\w'’-]*(?: [\w'’-]+){{0,8}}) \({re.escape(short)}\)", text)
    institution = f"{full.group(1)} ({short})" if full else short
    return f"{institution}{LABEL_JOINER}{department}"


def _total_hours(text: str) -> int | None:
    """The hours the brochure states for the whole training ("La formation de 511 heures")."""
    for pattern in _TOTAL_HOURS:
        match = pattern.search(text)
        if match:
            return int(match.group(1))
    return None


def _prerequisites(lines: list[str]) -> str | None:
    """The paragraphs under "Niveau requis :", up to the next heading, joined by blank lines."""
    for index, line in enumerate(lines):
        match = _PREREQUISITES.match(line)
        if not match:
            continue
        paragraphs = [match.group(1)] if match.group(1) else []
        paragraphs += _paragraphs_after(lines, index)
        return "\n\n".join(paragraphs) or None
    return None


def _paragraphs_after(lines: list[str], index: int) -> list[str]:
    """The non-empty lines after ``lines[index]``, up to the next heading."""
    paragraphs = []
    for following in lines[index + 1 :]:
        if not following:
            continue
        if _looks_like_heading(following):
            break
        paragraphs.append(following)
    return paragraphs


def _looks_like_heading(line: str) -> bool:
    """A heading or a teaser ("Le CESTES ..."): marked, short, or ending in a colon or an ellipsis.

    Brochure paragraphs are full sentences ending with a full stop; headings are not.
    """
    return (
        line.startswith(("■", "•"))
        or line.endswith((":", "...", "…"))
        or (len(line) < 40 and not line.endswith("."))
    )


def _modules(lines: list[str], source: SourceRef, fiche: str, problems: list[Problem]) -> list[TrainingModule]:
    """The blocks and extra modules of the programme section, with their hours and courses."""
    start = next((index for index, line in enumerate(lines) if _PROGRAMME_START.match(line)), None)
    if start is None:
        start = next((index for index, line in enumerate(lines) if _BLOCK.match(line)), None)
    if start is None:
        message = "no programme section (no 'Programme de formation' nor 'Bloc' line)"
        problems.append(Problem(source.path, message, fiche=fiche))
        return []

    modules: list[TrainingModule] = []
    label_parts: list[list[str]] = []
    first_lines: list[int] = []
    for index in range(start, len(lines)):
        line, number = lines[index], index + 1
        if modules and _SECTION_END.match(line):
            break
        block, extra = _BLOCK.match(line), _EXTRA_MODULE.match(line)
        if block:
            modules.append(TrainingModule(label="", block_number=int(block.group(1))))
        elif extra:
            modules.append(TrainingModule(label="", certifying=False))
        if block or extra:
            rest = block.group(2) if block else extra.group(1)
            label_parts.append([rest.strip()] if rest.strip() else [])
            first_lines.append(number)
            continue
        if not modules or not line:
            continue
        module = modules[-1]
        hours, course = _HOURS.match(line), _COURSE.match(line)
        if hours and module.hours is None and not module.courses:
            module.hours = int(hours.group(1))
        elif course:
            module.courses.append(course.group(1).strip())
        elif module.hours is None and not module.courses:
            label_parts[-1].append(line)
        else:
            message = f"unexpected line in the programme: {line[:60]!r}"
            problems.append(Problem(source.path, message, line=number, fiche=fiche))

    seen: set[int] = set()
    for module, parts, number in zip(modules, label_parts, first_lines):
        module.label = LABEL_JOINER.join(parts)
        name = f"Bloc {module.block_number}" if module.certifying else "the non-certifying module"
        if not module.label:
            problems.append(Problem(source.path, f"{name} has no label", line=number, fiche=fiche))
        if module.hours is None:
            problems.append(Problem(source.path, f"{name} states no hours", line=number, fiche=fiche))
        if not module.courses:
            problems.append(Problem(source.path, f"{name} lists no course", line=number, fiche=fiche))
        if module.block_number is not None:
            if module.block_number in seen:
                message = f"Bloc {module.block_number} appears twice"
                problems.append(Problem(source.path, message, line=number, fiche=fiche))
            seen.add(module.block_number)
    if not modules:
        problems.append(Problem(source.path, "the programme section holds no block", line=start + 1, fiche=fiche))
    return modules


def parse_programme_web_page(text: str, source: SourceRef) -> Loaded:
    """Parse the programme web page's text into one TrainingProgramme and a partial Fiche.

    The fiche comes from "Code RNCP 35080", the title from the page's first line (or from "Le diplôme
    de … est un diplôme RNCP" when that line is not the diploma's name), the provider is
    :data:`CNAM_CESTES` when the page names the Cnam and the Cestes. The certifying modules are the
    parts of "La formation représente 490 heures …, et se compose :" that state hours ("de
    séminaires : 420 heures"), each with the bullets below it as courses; the parts without hours
    that follow (individual follow-up, defences) are not teaching modules and end the list. The
    "Module complémentaire non certifiant" comes last, without hours: the page gives only its cost.
    Prerequisites are the paragraphs under "Niveau requis"; the cost is the price lines under "Coût et
    modalités d'inscription", joined with "; ".

    The "Statistiques" table becomes the ``statistics`` of a :class:`~certgraph.records.Fiche` that
    holds nothing else, with this page as its source: the page states them, the register does not
    here. Every missing piece is a Problem and the rest is kept; without a fiche number nothing is
    read, without a title only the statistics are.

    >>> text = "Gestion\\nCode RNCP 1234\\nLa formation représente 10 heures :\\nde cours : 10 heures\\n- Comptes"
    >>> loaded = parse_programme_web_page(text, SourceRef("w", "w.txt", "W"))
    >>> [(m.label, m.hours, m.courses) for m in loaded.programmes[0].modules]
    [('Cours', 10, ['Comptes'])]
    """
    loaded = Loaded(sources=[source])
    fiche = _fiche_number(text, source, loaded.problems)
    if fiche is None:
        message = "no RNCP number: no programme nor statistics read"
        loaded.problems.append(Problem(source.path, message, severity="error"))
        return loaded

    def report(message: str, line: int | None = None, severity: str = "warning") -> None:
        loaded.problems.append(Problem(source.path, message, line=line, fiche=fiche, severity=severity))

    # Tabs are kept for the statistics table, whose empty cells would otherwise shift.
    raw_lines = [_unmark(line).strip(" ") for line in text.splitlines()]
    lines = [line.strip() for line in raw_lines]

    statistics = _page_statistics(raw_lines, report)
    if statistics:
        loaded.fiches.append(Fiche(number=fiche, source=source, statistics=statistics))

    title = _page_title(lines, report)
    if title is None:
        report("no title (first line nor 'Le diplôme de … est'): no programme read", severity="error")
        return loaded
    names_provider = re.search(r"\bcnam\b", text, re.IGNORECASE) and re.search(r"\bcestes\b", text, re.IGNORECASE)
    if not names_provider:
        report("the page does not name both the Cnam and its Cestes: no provider")
    programme = TrainingProgramme(
        fiche=fiche, title=title, provider=CNAM_CESTES if names_provider else None, source=source
    )
    programme.total_hours, programme.modules = _page_composition(lines, report)
    extra = _page_extra_module(lines, report)
    if extra is not None:
        programme.modules.append(extra)
    programme.prerequisites = _page_prerequisites(lines, report)
    programme.cost = _page_cost(lines, report)

    certifying = [module.hours for module in programme.modules if module.certifying]
    stated = programme.total_hours
    if stated and certifying and None not in certifying and sum(certifying) != stated:
        report(f"modules add up to {sum(certifying)} h, the page states {stated} h")
    loaded.programmes.append(programme)
    return loaded


def _unmark(line: str) -> str:
    """The line as a reader sees it: a Markdown link becomes its text, bold markers go."""
    return _MARKDOWN_LINK.sub(r"\1", line).replace("**", "")


def _page_title(lines: list[str], report: _Report) -> str | None:
    """The page's first line, checked against the name in "Le diplôme de … est un diplôme RNCP".

    A page that lost its heading starts with a subheading ("Une formation professionnalisée"), which
    only that sentence can tell apart from the diploma's name; when they differ the sentence wins.
    """
    first = next((line.lstrip("#").strip() for line in lines if line), "")
    if first.endswith((".", ":", "…")) or _COURSE.match(first) or _FICHE.search(first):
        first = ""  # a sentence, a list item or the code link, not the diploma's name
    named = next(
        ((index, match.group(1).strip()) for index, match in enumerate(map(_WEB_TITLE_SENTENCE.match, lines)) if match),
        None,
    )
    if named is None or named[1] == first:
        return first or None
    index, title = named
    shown = repr(first) if first else "the first line"
    report(f"{shown} is not the diploma's name; the title comes from 'Le diplôme de … est'", line=index + 1)
    return title


def _page_statistics(lines: list[str], report: _Report) -> list[CohortStatistic]:
    """The rows of the tab-separated table under "Statistiques", oldest year first.

    A row cut short keeps the cells it has (the others are None) and is reported.
    """
    start = next((index for index, line in enumerate(lines) if _STATISTICS.match(line.strip())), None)
    if start is None:
        report("no 'Statistiques' table: no statistics")
        return []
    header = next((index for index in range(start + 1, len(lines)) if "\t" in lines[index]), None)
    if header is None:
        report("no tab-separated table under 'Statistiques': no statistics", line=start + 1)
        return []

    fields: list[str | None] = []
    for cell in lines[header].split("\t"):
        name = next((name for name, pattern in _STATISTIC_COLUMNS if pattern.search(cell.strip())), None)
        if name is None or name in fields:
            report(f"statistics column not understood: {cell.strip()[:60]!r}", line=header + 1)
            name = None
        fields.append(name)
    if "year" not in fields:
        report("the statistics table has no year column: no statistics", line=header + 1)
        return []

    statistics = []
    for index in range(header + 1, len(lines)):
        if not lines[index].strip():
            break
        number = index + 1
        cells = [cell.strip() for cell in lines[index].split("\t")]
        row = dict(zip(fields, cells))
        year = row.pop("year", "")
        if not _YEAR.match(year):
            report(f"statistics row without a year: {lines[index].strip()[:60]!r}", line=number)
            continue
        if len(cells) != len(fields):
            report(f"statistics row for {year} has {len(cells)} cells, the header {len(fields)}", line=number)
        values: dict[str, int | None] = {}
        for name, cell in row.items():
            if name is None or cell in ("", "-", "—"):
                continue
            if cell.isdigit():
                values[name] = int(cell)
            else:
                report(f"statistics for {year}: {cell[:20]!r} is not a number", line=number)
        statistics.append(CohortStatistic(int(year), **values))
    if not statistics:
        report("the statistics table has no row", line=header + 1)
    # Oldest first, as the fiche page reader orders them, so the two sources compare equal.
    return sorted(statistics, key=lambda statistic: statistic.year)


def _page_composition(lines: list[str], report: _Report) -> tuple[int | None, list[TrainingModule]]:
    """The total hours and the certifying modules of "La formation représente … heures … se compose :"."""
    start = next((index for index, line in enumerate(lines) if _WEB_TOTAL_HOURS.match(line)), None)
    if start is None:
        report("no 'La formation représente … heures' line: no total hours nor modules")
        return None, []
    total = int(_WEB_TOTAL_HOURS.match(lines[start]).group(1))

    modules: list[TrainingModule] = []
    first_lines: list[int] = []
    for index in range(start + 1, len(lines)):
        line = lines[index]
        if not line:
            continue
        part, course = _WEB_PART.match(line), _COURSE.match(line)
        if part:
            label = part.group(1).strip()
            modules.append(TrainingModule(label=label[:1].upper() + label[1:], hours=int(part.group(2))))
            first_lines.append(index + 1)
        elif course and modules:
            # The bullets form one sentence: its commas and final full stop are not the course's.
            modules[-1].courses.append(re.sub(r"(?<!\.)[,;.]$", "", course.group(1).strip()).rstrip())
        else:
            break
    if not modules:
        report("the training's composition states no part with hours", line=start + 1)
    for module, number in zip(modules, first_lines):
        if not module.courses:
            report(f"'{module.label}' lists no course", line=number)
    return total, modules


def _page_extra_module(lines: list[str], report: _Report) -> TrainingModule | None:
    """The "Module complémentaire non certifiant", its label on the line after the heading.

    A page without one is not defective: the module is optional.
    """
    index = next((index for index, line in enumerate(lines) if _EXTRA_MODULE.match(line)), None)
    if index is None:
        return None
    label = _EXTRA_MODULE.match(lines[index]).group(1).strip()
    if not label:
        label = next((line for line in lines[index + 1 :] if line), "")
        if label.endswith((".", ":")) or len(label) > 200:
            label = ""  # a paragraph or a heading, not the module's name
    if not label:
        report("the non-certifying module has no label", line=index + 1)
        return None
    return TrainingModule(label=label, certifying=False)


def _page_prerequisites(lines: list[str], report: _Report) -> str | None:
    """The paragraphs under "Niveau requis", joined by blank lines."""
    index = next((index for index, line in enumerate(lines) if _WEB_PREREQUISITES.match(line)), None)
    if index is None:
        report("no 'Niveau requis' section: no prerequisites")
        return None
    paragraphs = _paragraphs_after(lines, index)
    if not paragraphs:
        report("the 'Niveau requis' section is empty", line=index + 1)
    return "\n\n".join(paragraphs) or None


def _page_cost(lines: list[str], report: _Report) -> str | None:
    """The price lines under "Coût et modalités d'inscription", joined with "; "."""
    index = next((index for index, line in enumerate(lines) if _WEB_COST.match(line)), None)
    if index is None:
        report("no 'Coût et modalités d'inscription' section: no cost")
        return None
    prices = []
    for line in lines[index + 1 :]:
        if not line:
            continue
        if not _PRICE.match(line):
            break
        prices.append(line)
    if not prices:
        report("the 'Coût et modalités d'inscription' section states no price", line=index + 1)
    return "; ".join(prices) or None
