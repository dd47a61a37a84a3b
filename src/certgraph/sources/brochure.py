"""Reader for a training programme brochure in plain text (the Cnam Cestes brochure behind RNCP35080).

The brochure states what the register does not: the hours of each block, the courses that make it
up, the non-certifying module, the cost and the year the diploma was created. The layout read is::

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
"""

from __future__ import annotations

import re
from pathlib import Path

from certgraph.records import Loaded, Problem, SourceRef, TrainingModule, TrainingProgramme, normalise_fiche_number

__all__ = ["parse_programme_brochure", "read_programme_brochure"]

LABEL_JOINER = " — "

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


def read_programme_brochure(path: Path, source: SourceRef) -> Loaded:
    """Read a brochure file (UTF-8 text) into one TrainingProgramme; see :func:`parse_programme_brochure`."""
    path = Path(path)
    if not path.is_file():
        return Loaded(
            problems=[Problem(source.path, "file not found", severity="error")], missing=[source.path]
        )
    return parse_programme_brochure(path.read_text(encoding="utf-8"), source)


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

    numbers = list(dict.fromkeys(normalise_fiche_number("RNCP" + digits) for digits in _FICHE.findall(text)))
    fiche = numbers[0] if numbers else None
    if len(numbers) > 1:
        loaded.problems.append(
            Problem(source.path, f"several RNCP numbers ({', '.join(numbers)}); the first is used", fiche=fiche)
        )
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
        for following in lines[index + 1 :]:
            if not following:
                continue
            if _looks_like_heading(following):
                break
            paragraphs.append(following)
        return "\n\n".join(paragraphs) or None
    return None


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
