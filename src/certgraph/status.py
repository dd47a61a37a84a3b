"""Whether a certification is in force on a date, said with the date: never a bare "active".

A fiche is *in force* on date D when its reconciled effect date (if known) is on or before D and
its reconciled end date on or after D. Without an end date nothing is known; the newest source's
own flag is then shown with that source's date ("active per the register of 2021-01-06"), since a
flag says what was true when its source was published, not today.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass


def as_date(value) -> dt.date | None:
    """A date from a ``datetime.date`` or its ISO text; None for None or an empty text.

    >>> as_date("2025-11-18"), as_date(None)
    (datetime.date(2025, 11, 18), None)
    """
    if value is None or value == "":
        return None
    if isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value)[:10])


def as_bool(value) -> bool | None:
    """A boolean from a bool or the text ``true``/``false`` (as SPARQL answers print it).

    >>> as_bool("true"), as_bool(False), as_bool(None)
    (True, False, None)
    """
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        return value
    return {"true": True, "1": True, "false": False, "0": False}.get(str(value).lower())


@dataclass(frozen=True)
class Status:
    """A fiche's status on ``as_of``, from its reconciled dates and the newest source's flag."""

    as_of: dt.date
    effect_date: dt.date | None = None
    end_date: dt.date | None = None
    active: bool | None = None
    active_as_of: dt.date | None = None

    @classmethod
    def of(cls, as_of: dt.date, reconciled: dict[str, tuple[object, object]]) -> Status:
        """The status from a fiche's reconciled fields, each as (value, date of its source).

        ``reconciled`` holds ``effectDate``, ``endDate`` and ``active`` when known (the reconciled
        rows of ``fiche/summary``), values as Python values or their text.

        >>> Status.of(dt.date(2026, 12, 3), {"endDate": ("2025-11-18", "2021-01-06"), "active": ("true", "2021-01-06")})
        Status(as_of=datetime.date(2026, 12, 3), effect_date=None, end_date=datetime.date(2025, 11, 18), active=True, active_as_of=datetime.date(2021, 1, 6))
        """
        value = lambda name: reconciled.get(name, (None, None))[0]
        return cls(as_of, as_date(value("effectDate")), as_date(value("endDate")), as_bool(value("active")),
                   as_date(reconciled.get("active", (None, None))[1]))

    @property
    def in_force(self) -> bool | None:
        """True or False from the dates; None when the end date is unknown.

        >>> Status(dt.date(2026, 12, 3), end_date=dt.date(2025, 11, 18)).in_force
        False
        >>> Status(dt.date(2024, 1, 1), end_date=dt.date(2025, 11, 18)).in_force
        True
        """
        if self.end_date is None:
            return None
        started = self.effect_date is None or self.effect_date <= self.as_of
        return started and self.as_of <= self.end_date

    @property
    def state(self) -> str:
        """``in-force``, ``ended``, ``not-yet`` or ``unknown`` (for colours and CSS classes)."""
        if self.end_date is None:
            return "unknown"
        if self.as_of > self.end_date:
            return "ended"
        if self.effect_date is not None and self.as_of < self.effect_date:
            return "not-yet"
        return "in-force"

    def describe(self, today: dt.date | None = None, translate: Callable[..., str] | None = None) -> str:
        """The status in words, always with its date.

        ``today`` (default: the real today) decides whether the date must be spelt out: on today,
        "in force until …"; on another date, "in force on D (until …)". ``translate(text, **values)``
        puts each English phrase in another language (the site's ``i18n._``); by default the phrase's
        ``{fields}`` are only filled.

        >>> Status(dt.date(2026, 12, 3), end_date=dt.date(2025, 11, 18)).describe(dt.date(2026, 12, 3))
        'ended on 2025-11-18'
        >>> Status(dt.date(2024, 1, 1), end_date=dt.date(2025, 11, 18)).describe(dt.date(2026, 12, 3))
        'in force on 2024-01-01 (until 2025-11-18)'
        >>> Status(dt.date(2026, 12, 3), active=True, active_as_of=dt.date(2021, 1, 6)).describe()
        'end date unknown; active per the register of 2021-01-06'
        """
        say = translate or (lambda text, **values: text.format(**values))
        on_today = self.as_of == (today or dt.date.today())
        end, start, on = self.end_date, self.effect_date, self.as_of
        state = self.state
        if state == "in-force":
            return say("in force until {end}", end=end) if on_today else say("in force on {on} (until {end})", on=on, end=end)
        if state == "ended":
            return say("ended on {end}", end=end) if on_today else say("ended on {end} (not in force on {on})", end=end, on=on)
        if state == "not-yet":
            return say("not yet in force on {on} (from {start} until {end})", on=on, start=start, end=end)
        if self.active is None:
            return say("end date unknown; status unknown")
        flag = say("active") if self.active else say("inactive")
        if self.active_as_of:
            return say("end date unknown; {flag} per the register of {date}", flag=flag, date=self.active_as_of)
        return say("end date unknown; {flag} per the register (undated)", flag=flag)


__all__ = ["Status", "as_bool", "as_date"]
