"""Reader of the curated facts file (``data/curated/facts.yaml``): reviewed facts only prose states."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import yaml

from ..records import CuratedFact, Loaded, Problem, SourceRef, normalise_fiche_number

STATUSES = {"stated", "inferred"}
PROPERTIES = {"registration"}


def read_curated_facts(path: Path, source: SourceRef) -> Loaded:
    """Read every fact; a fact missing a field, with an unknown status or property is reported.

    :returns: a Loaded with ``facts``, ``problems`` and the file's ``source``.
    """
    loaded = Loaded(sources=[source])
    try:
        document = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as exc:
        loaded.problems.append(Problem(source.path, f"cannot read curated facts: {exc}", severity="error"))
        return loaded
    for index, entry in enumerate(document.get("facts") or [], start=1):
        where = f"fact #{index}"
        if not isinstance(entry, dict):
            loaded.problems.append(Problem(source.path, f"{where}: not a mapping"))
            continue
        missing = {"subject", "property", "value", "status", "source"} - entry.keys()
        subject = normalise_fiche_number(str(entry.get("subject", "")))
        if missing:
            loaded.problems.append(Problem(source.path, f"{where}: missing {', '.join(sorted(missing))}", fiche=subject))
        elif subject is None:
            loaded.problems.append(Problem(source.path, f"{where}: subject {entry['subject']!r} is not a fiche number"))
        elif entry["status"] not in STATUSES or entry["property"] not in PROPERTIES:
            loaded.problems.append(
                Problem(source.path, f"{where}: status must be one of {sorted(STATUSES)}, property one of {sorted(PROPERTIES)}", fiche=subject)
            )
        elif entry["property"] == "registration" and not _registration_value_ok(entry["value"]):
            loaded.problems.append(Problem(source.path, f"{where}: registration value needs page, act_kind and an act_date", fiche=subject))
        else:
            loaded.facts.append(
                CuratedFact(subject, entry["property"], entry["value"], entry["status"], str(entry["source"]), entry.get("note"))
            )
    return loaded


def _registration_value_ok(value: object) -> bool:
    return (
        isinstance(value, dict)
        and normalise_fiche_number(str(value.get("page", ""))) is not None
        and bool(value.get("act_kind"))
        and isinstance(value.get("act_date"), dt.date)
    )
