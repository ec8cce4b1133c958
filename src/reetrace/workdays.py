"""China's working-day calendar, for deadlines counted in working days (a debrief within 5 working days of return,
an export licence decided within 45 working days).

The holidays and the adjusted working weekend days (调休) are data: ``reetrace/data/cn-workdays.toml``, one table
per year from the State Council's yearly notice. A day is a working day when it is an adjusted working day, or a
Monday to Friday outside every holiday. Outside the published years the calendar falls back to Monday to Friday
and :meth:`WorkdayCalendar.covers` says False, so a caller can warn that a deadline is provisional.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

from reetrace.errors import Detail, Error

DEFAULT_CALENDAR = "data/cn-workdays.toml"
_ONE_DAY = timedelta(days=1)


@dataclass(frozen=True)
class Holiday:
    name: str
    start: date
    end: date  # inclusive


class WorkdayCalendar:
    """Working days of mainland China; immutable."""

    def __init__(self, holidays: Mapping[int, tuple[Holiday, ...]], adjusted_workdays: frozenset[date],
                 sources: Mapping[int, str] | None = None, source: str = "<calendar>") -> None:
        self._years = frozenset(holidays)
        self._holidays = {y: tuple(hs) for y, hs in holidays.items()}
        self._sources = dict(sources or {})
        self._source = source
        self._holiday_of: dict[date, str] = {}
        for spans in self._holidays.values():
            for h in spans:
                d = h.start
                while d <= h.end:
                    self._holiday_of[d] = h.name
                    d += _ONE_DAY
        self._adjusted = adjusted_workdays
        # sorted corrections to the Monday-Friday rule: -1 for a weekday holiday, +1 for an adjusted working day
        self._corrections = sorted([(d, -1) for d in self._holiday_of if d.weekday() < 5]
                                   + [(d, +1) for d in adjusted_workdays])

    # -- loading --------------------------------------------------------------------------------------------

    @classmethod
    def load(cls, path: str | Path | None = None) -> WorkdayCalendar:
        """The calendar in a TOML file; without a path, the one shipped with reetrace (loaded once)."""
        if path is None:
            return _default_calendar()
        p = Path(path)
        try:
            text = p.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise _bad(str(p), [Detail(f"cannot read the calendar: {exc}", str(p))]) from None
        return cls.parse(text, str(p))

    @classmethod
    def parse(cls, text: str, source: str = "<calendar>") -> WorkdayCalendar:
        """Parse and check a calendar; raises ``Error(code="bad_calendar")`` naming the file, year and field."""
        try:
            data = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            raise _bad(source, [Detail(f"not valid TOML: {exc}", source)]) from None
        problems: list[Detail] = []
        holidays: dict[int, tuple[Holiday, ...]] = {}
        sources: dict[int, str] = {}
        adjusted: set[date] = set()
        years = data.get("years")
        if not isinstance(years, Mapping) or set(data) != {"years"}:
            raise _bad(source, [Detail("the calendar must hold only [years.YYYY] tables", source)])
        for key, table in years.items():
            year, spans, worked, origin = _parse_year(key, table, source, problems)
            if year is not None:
                holidays[year] = spans
                sources[year] = origin
                adjusted |= worked
        clashes = sorted(d for d in adjusted if any(h.start <= d <= h.end for hs in holidays.values() for h in hs))
        problems += [Detail(f"{d.isoformat()} is both a holiday and an adjusted working day", source)
                     for d in clashes]
        if problems:
            raise _bad(source, problems)
        return cls(holidays, frozenset(adjusted), sources, source)

    # -- questions ------------------------------------------------------------------------------------------

    @property
    def years(self) -> frozenset[int]:
        """The years whose holiday arrangements are published in this calendar."""
        return self._years

    def source_of(self, year: int) -> str | None:
        return self._sources.get(year)

    def covers(self, d: date) -> bool:
        """True when d's year is published; otherwise answers fall back to Monday to Friday."""
        return d.year in self._years

    def holiday(self, d: date) -> str | None:
        """The name of the holiday that d falls in, if any."""
        return self._holiday_of.get(d)

    def is_workday(self, d: date) -> bool:
        if d in self._adjusted:
            return True
        return d.weekday() < 5 and d not in self._holiday_of

    def add_workdays(self, start: date, n: int) -> date:
        """The n-th working day after start (n < 0: before start; n == 0: start itself)."""
        step = _ONE_DAY if n >= 0 else -_ONE_DAY
        d, left = start, abs(n)
        while left:
            d += step
            if self.is_workday(d):
                left -= 1
        return d

    def workdays_between(self, a: date, b: date) -> int:
        """Working days d with a < d <= b (negative when b is before a); add_workdays(a, n) is the day it reaches n.
        """
        if b < a:
            return -self.workdays_between(b, a)
        count = _weekdays_through(b) - _weekdays_through(a)
        count += sum(delta for d, delta in self._corrections if a < d <= b)
        return count

    def next_workday(self, d: date) -> date:
        """d itself when it is a working day, else the first working day after it."""
        while not self.is_workday(d):
            d += _ONE_DAY
        return d

    def __repr__(self) -> str:
        return f"WorkdayCalendar(years={sorted(self._years)}, source={self._source!r})"


def _weekdays_through(d: date) -> int:
    """Mondays to Fridays from 0001-01-01 (a Monday) through d."""
    weeks, rest = divmod(d.toordinal(), 7)
    return weeks * 5 + min(rest, 5)


def _parse_year(key: str, table: Any, source: str, problems: list[Detail]
                ) -> tuple[int | None, tuple[Holiday, ...], set[date], str]:
    where = f"{source}: years.{key}"
    if not key.isdigit() or not 1949 < int(key) < 2200:
        problems.append(Detail("the table name must be a year (e.g. [years.2026])", where))
        return None, (), set(), ""
    year = int(key)
    if not isinstance(table, Mapping):
        problems.append(Detail("must be a table with source, holidays and adjusted_workdays", where))
        return None, (), set(), ""
    before = len(problems)
    for extra in sorted(set(table) - {"source", "holidays", "adjusted_workdays"}):
        problems.append(Detail(f"unknown field {extra!r}; expected source, holidays, adjusted_workdays", where))
    origin = table.get("source")
    if not isinstance(origin, str) or not origin.strip():
        problems.append(Detail("needs a source (the notice the dates come from)", f"{where}.source"))
        origin = ""
    lo, hi = date(year - 1, 12, 1), date(year + 1, 1, 31)  # a New Year holiday may start in late December
    spans: list[Holiday] = []
    raw_holidays = table.get("holidays")
    if not isinstance(raw_holidays, list):
        problems.append(Detail("must be a list of {name, from, to} tables", f"{where}.holidays"))
        raw_holidays = []
    for i, item in enumerate(raw_holidays):
        loc = f"{where}.holidays[{i}]"
        if not isinstance(item, Mapping) or set(item) != {"name", "from", "to"}:
            problems.append(Detail("must be a table with exactly name, from and to", loc))
            continue
        name, start, end = item["name"], _as_date(item["from"]), _as_date(item["to"])
        if not isinstance(name, str) or not name.strip():
            problems.append(Detail("name must be a non-empty string", f"{loc}.name"))
        elif start is None or end is None:
            problems.append(Detail("from and to must be dates (YYYY-MM-DD)", loc))
        elif end < start:
            problems.append(Detail(f"{name}: to {end.isoformat()} is before from {start.isoformat()}", loc))
        elif start < lo or end > hi:
            problems.append(Detail(f"{name}: {start.isoformat()}..{end.isoformat()} is not in {year}", loc))
        else:
            spans.append(Holiday(name, start, end))
    worked: set[date] = set()
    raw_worked = table.get("adjusted_workdays", [])
    if not isinstance(raw_worked, list):
        problems.append(Detail("must be a list of dates", f"{where}.adjusted_workdays"))
        raw_worked = []
    for i, value in enumerate(raw_worked):
        loc = f"{where}.adjusted_workdays[{i}]"
        d = _as_date(value)
        if d is None:
            problems.append(Detail(f"must be a date (YYYY-MM-DD), got {value!r}", loc))
        elif not lo <= d <= hi:
            problems.append(Detail(f"{d.isoformat()} is not in {year}", loc))
        elif d.weekday() < 5:
            problems.append(Detail(f"{d.isoformat()} is a {d:%A}; an adjusted working day is a Saturday or Sunday",
                                   loc))
        else:
            worked.add(d)
    if len(problems) > before:
        return None, (), set(), ""
    return year, tuple(sorted(spans, key=lambda h: h.start)), worked, origin


def _as_date(value: Any) -> date | None:
    if isinstance(value, date) and not hasattr(value, "hour"):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value)
        except ValueError:
            return None
    return None


def _bad(source: str, problems: list[Detail]) -> Error:
    first = problems[0]
    more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
    return Error(f"invalid working-day calendar {source}: {first.location}: {first.message}{more}",
                 code="bad_calendar", details=problems)


@lru_cache(maxsize=1)
def _default_calendar() -> WorkdayCalendar:
    resource = resources.files("reetrace").joinpath(DEFAULT_CALENDAR)
    return WorkdayCalendar.parse(resource.read_text(encoding="utf-8"), f"reetrace/{DEFAULT_CALENDAR}")
