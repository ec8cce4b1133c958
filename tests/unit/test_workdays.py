"""China's working-day calendar: holidays and adjusted working days as data, counting working days."""

from __future__ import annotations

import random
from datetime import date, timedelta
from pathlib import Path

import pytest

import reetrace
from reetrace.errors import Error
from reetrace.workdays import WorkdayCalendar

CAL = WorkdayCalendar.load()


def test_the_calendar_ships_with_the_package() -> None:
    assert (Path(reetrace.__file__).parent / "data" / "cn-workdays.toml").is_file()
    assert WorkdayCalendar.load() is CAL  # loaded once
    assert CAL.years == {2025, 2026}
    assert all("国务院办公厅" in (CAL.source_of(y) or "") for y in CAL.years)


def test_spring_festival_2026() -> None:
    festival = [date(2026, 2, 15) + timedelta(days=i) for i in range(9)]  # 15 (Sunday) to 23 February (Monday)
    assert all(not CAL.is_workday(d) for d in festival)
    assert all(CAL.holiday(d) == "Spring Festival" for d in festival)
    assert CAL.is_workday(date(2026, 2, 13))  # Friday before
    assert CAL.is_workday(date(2026, 2, 24))  # Tuesday after
    assert CAL.holiday(date(2026, 2, 24)) is None


@pytest.mark.parametrize("day", [date(2026, 2, 14), date(2026, 2, 28), date(2026, 1, 4), date(2026, 5, 9),
                                 date(2026, 9, 20), date(2026, 10, 10), date(2025, 1, 26), date(2025, 2, 8),
                                 date(2025, 4, 27), date(2025, 9, 28), date(2025, 10, 11)])
def test_adjusted_working_weekend_days(day: date) -> None:
    assert day.weekday() >= 5
    assert CAL.is_workday(day)


def test_ordinary_days() -> None:
    assert CAL.is_workday(date(2026, 3, 10))  # a Tuesday
    assert not CAL.is_workday(date(2026, 3, 14))  # a Saturday
    assert not CAL.is_workday(date(2026, 10, 1))  # National Day
    assert not CAL.is_workday(date(2025, 10, 8))  # National Day and Mid-Autumn Festival, together in 2025
    assert CAL.holiday(date(2025, 10, 8)) == "National Day and Mid-Autumn Festival"


def test_each_published_year_removes_thirteen_working_days() -> None:
    """13 public holidays a year since 2025: weekday holidays minus adjusted working days is 13 each year."""
    for year in CAL.years:
        days = [date(year, 1, 1) + timedelta(days=i) for i in range((date(year + 1, 1, 1) - date(year, 1, 1)).days)]
        weekdays = sum(1 for d in days if d.weekday() < 5)
        assert weekdays - sum(1 for d in days if CAL.is_workday(d)) == 13, year


def test_add_workdays_over_spring_festival() -> None:
    # Thursday 12 February 2026 + 5: Fri 13, Sat 14 (worked), [15-23 holiday], Tue 24, Wed 25, Thu 26
    assert CAL.add_workdays(date(2026, 2, 12), 5) == date(2026, 2, 26)
    assert CAL.add_workdays(date(2026, 2, 12), 1) == date(2026, 2, 13)
    assert CAL.add_workdays(date(2026, 2, 12), 2) == date(2026, 2, 14)


def test_add_workdays_over_national_day() -> None:
    # Wednesday 30 September 2026 + 5: Thu 8, Fri 9, Sat 10 (worked), Mon 12, Tue 13 October
    assert CAL.add_workdays(date(2026, 9, 30), 5) == date(2026, 10, 13)
    # a debrief for a return on a holiday counts from the holiday
    assert CAL.add_workdays(date(2026, 10, 3), 1) == date(2026, 10, 8)


def test_add_workdays_edges() -> None:
    assert CAL.add_workdays(date(2026, 2, 15), 0) == date(2026, 2, 15)  # n == 0: the start itself
    assert CAL.add_workdays(date(2026, 2, 24), -1) == date(2026, 2, 14)  # backwards over the festival
    assert CAL.next_workday(date(2026, 2, 15)) == date(2026, 2, 24)
    assert CAL.next_workday(date(2026, 2, 24)) == date(2026, 2, 24)


def test_forty_five_working_days() -> None:
    """The export-control decision period: 45 working days from 1 September 2026 crosses National Day."""
    due = CAL.add_workdays(date(2026, 9, 1), 45)
    assert CAL.workdays_between(date(2026, 9, 1), due) == 45
    naive = date(2026, 9, 1)
    left = 45
    while left:
        naive += timedelta(days=1)
        if naive.weekday() < 5:
            left -= 1
    assert due > naive  # National Day pushes the deadline later than a Monday-Friday count
    # by hand: September 21 (with Sunday 20 worked, Friday 25 Mid-Autumn off), October 8-9 and Saturday 10 -> 24,
    # then 5 full weeks -> 44 on Friday 6 November, 45 on Monday 9 November
    assert due == date(2026, 11, 9)


def test_workdays_between_agrees_with_counting_day_by_day() -> None:
    rng = random.Random(11643)
    for _ in range(500):
        a = date(2024, 11, 1) + timedelta(days=rng.randrange(900))
        b = a + timedelta(days=rng.randrange(-120, 121))
        lo, hi = min(a, b), max(a, b)
        count = sum(1 for i in range(1, (hi - lo).days + 1) if CAL.is_workday(lo + timedelta(days=i)))
        assert CAL.workdays_between(a, b) == (count if b >= a else -count), (a, b)
        n = rng.randrange(0, 60)
        assert CAL.workdays_between(a, CAL.add_workdays(a, n)) == n


def test_outside_published_years_falls_back_to_monday_to_friday() -> None:
    assert not CAL.covers(date(2024, 10, 1))
    assert not CAL.covers(date(2027, 1, 1))
    assert CAL.covers(date(2026, 7, 1)) and CAL.covers(date(2025, 1, 1))
    assert CAL.is_workday(date(2024, 10, 1))  # a Tuesday; the 2024 notice is not in the data
    assert not CAL.is_workday(date(2027, 1, 2))  # a Saturday
    assert CAL.add_workdays(date(2027, 1, 1), 1) == date(2027, 1, 4)


GOOD_YEAR = """
[years.2026]
source = "test"
holidays = [ { name = "Spring Festival", from = 2026-02-15, to = 2026-02-23 } ]
adjusted_workdays = [2026-02-14]
"""


def test_parse_a_small_calendar() -> None:
    cal = WorkdayCalendar.parse(GOOD_YEAR, "mini.toml")
    assert cal.years == {2026}
    assert cal.is_workday(date(2026, 2, 14)) and not cal.is_workday(date(2026, 2, 16))
    assert cal.is_workday(date(2026, 10, 1))  # not listed in this file


@pytest.mark.parametrize(("text", "location", "fragment"), [
    (GOOD_YEAR.replace("2026-02-14]", "2026-02-13]"), "cal.toml: years.2026.adjusted_workdays[0]",
     "2026-02-13 is a Friday; an adjusted working day is a Saturday or Sunday"),
    (GOOD_YEAR.replace("to = 2026-02-23", "to = 2026-02-10"), "cal.toml: years.2026.holidays[0]",
     "to 2026-02-10 is before from 2026-02-15"),
    (GOOD_YEAR.replace("2026-02-14]", "2026-02-21]"), "cal.toml", "2026-02-21 is both a holiday and an adjusted"),
    (GOOD_YEAR.replace('source = "test"', ""), "cal.toml: years.2026.source", "needs a source"),
    (GOOD_YEAR.replace('source = "test"', 'source = "test"\nregion = "CN"'), "cal.toml: years.2026",
     "unknown field 'region'"),
    (GOOD_YEAR.replace("[years.2026]", "[years.next]"), "cal.toml: years.next", "must be a year"),
    (GOOD_YEAR.replace("from = 2026-02-15, to = 2026-02-23", "from = 2027-02-15, to = 2027-02-23"),
     "cal.toml: years.2026.holidays[0]", "is not in 2026"),
    (GOOD_YEAR.replace('name = "Spring Festival", ', ""), "cal.toml: years.2026.holidays[0]",
     "exactly name, from and to"),
    (GOOD_YEAR.replace("2026-02-14]", '"soon"]'), "cal.toml: years.2026.adjusted_workdays[0]", "must be a date"),
    (GOOD_YEAR.replace("[years.2026]", "[2026]"), "cal.toml", "only [years.YYYY] tables"),
    ("years = [", "cal.toml", "not valid TOML"),
])
def test_bad_calendar_names_file_and_field(text: str, location: str, fragment: str) -> None:
    with pytest.raises(Error) as exc:
        WorkdayCalendar.parse(text, "cal.toml")
    assert exc.value.code == "bad_calendar"
    assert any(d.location == location and fragment in d.message for d in exc.value.details), \
        exc.value.diagnostics()
    assert str(exc.value).startswith("invalid working-day calendar cal.toml: ")


def test_load_a_file(tmp_path: Path) -> None:
    path = tmp_path / "workdays.toml"
    path.write_text(GOOD_YEAR, encoding="utf-8")
    assert WorkdayCalendar.load(path).years == {2026}
    with pytest.raises(Error, match="cannot read the calendar"):
        WorkdayCalendar.load(tmp_path / "missing.toml")
