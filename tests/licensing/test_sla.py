"""The SLA clock on every backend: 45 working days on China's calendar, paused while a request for information is
open (over Spring Festival and National Day), and the daily check that raises overdue alerts once."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

import pytest
from export_world import CALENDAR, World, build_world

from reetrace.container import Container
from reetrace.domains.alerts import open_alerts
from reetrace.domains.licensing.application_queries import run_sla_checks, sla_queue
from reetrace.errors import Error
from reetrace.storage.engine import read_transaction


@pytest.fixture
def world(container: Container) -> Iterator[World]:
    yield build_world(container)


def test_due_date_counts_45_working_days_over_mid_autumn_and_national_day(world: World) -> None:
    # From Tue 2026-09-01: Sun 20 Sep is worked, Fri 25 Sep and 1-7 Oct are holidays, Sat 10 Oct is worked;
    # the 45th working day is Mon 2026-11-09 (plain Monday-Friday counting would give 2026-11-03).
    application_id = world.submit(today=date(2026, 9, 1))
    clock = world.view(application_id, date(2026, 9, 1)).clock
    assert (clock.due_on, clock.days_left, clock.provisional) == (date(2026, 11, 9), 45, False)
    assert world.view(application_id, date(2026, 10, 8)).clock.days_left == 23  # 8 Oct was working day 22
    assert world.view(application_id, date(2026, 11, 3)).clock.state == "due_soon"
    assert world.view(application_id, date(2026, 11, 9)).clock.days_left == 0
    late = world.view(application_id, date(2026, 11, 11)).clock
    assert (late.state, late.days_left) == ("overdue", -2)


@pytest.mark.parametrize(("submitted", "rfi_on", "answered", "paused", "due"), [
    # National Day: RFI Tue 29 Sep, answer Mon 12 Oct: 30 Sep, 8, 9, 10 (Sat, worked) and 12 Oct = 5 working days
    (date(2026, 9, 1), date(2026, 9, 29), date(2026, 10, 12), 5, date(2026, 11, 16)),
    # Spring Festival: RFI Thu 12 Feb, answer Tue 24 Feb: 13 Feb, 14 Feb (Sat, worked) and 24 Feb = 3 working days
    (date(2026, 2, 2), date(2026, 2, 12), date(2026, 2, 24), 3,
     CALENDAR.add_workdays(date(2026, 2, 2), 48)),
], ids=["national-day", "spring-festival"])
def test_rfi_pauses_the_clock_over_a_holiday(world: World, submitted: date, rfi_on: date, answered: date,
                                             paused: int, due: date) -> None:
    application_id = world.submit(today=submitted)
    before = world.view(application_id, rfi_on).clock.days_left
    world.review(application_id, "rfi", "who makes the robots?", today=rfi_on)
    waiting = world.view(application_id, answered).clock
    assert (waiting.paused, waiting.due_on, waiting.state, waiting.days_left) == (True, None, "paused", before)
    assert world.answer(application_id, answered) == due
    clock = world.view(application_id, answered).clock
    assert (clock.due_on, clock.paused_workdays, clock.paused) == (due, paused, False)
    assert clock.days_left == before  # the answer day itself is not counted
    assert due == CALENDAR.add_workdays(submitted, 45 + paused)


def test_national_day_due_date_by_hand(world: World) -> None:
    application_id = world.submit(today=date(2026, 9, 1))
    world.review(application_id, "rfi", "question", today=date(2026, 9, 29))
    assert world.answer(application_id, date(2026, 10, 12)) == date(2026, 11, 16)  # 9 Nov + 10-13, 16 Nov


def test_two_pauses_add_up(world: World) -> None:
    application_id = world.submit(today=date(2026, 9, 1))
    world.review(application_id, "rfi", "first", today=date(2026, 9, 7))
    world.answer(application_id, date(2026, 9, 9))  # 8, 9 Sep
    world.review(application_id, "rfi", "second", today=date(2026, 9, 14))
    assert world.view(application_id, date(2026, 9, 30)).clock.days_left == 45 - (9 - 2)  # 2-4, 7, 10, 11, 14 Sep
    world.answer(application_id, date(2026, 9, 16))  # 15, 16 Sep
    clock = world.view(application_id, date(2026, 9, 16)).clock
    assert clock.paused_workdays == 4 and clock.due_on == CALENDAR.add_workdays(date(2026, 9, 1), 49)


def test_due_date_outside_the_published_years_is_provisional(world: World) -> None:
    application_id = world.submit(today=date(2026, 12, 1))
    clock = world.view(application_id, date(2026, 12, 1)).clock
    assert clock.provisional and clock.due_on is not None and clock.due_on.year == 2027


def test_answer_refused_without_an_open_rfi_or_before_it(world: World) -> None:
    application_id = world.submit()
    with pytest.raises(Error) as none_open:
        world.answer(application_id, date(2026, 9, 2))
    assert none_open.value.code == "no_rfi"
    world.review(application_id, "rfi", "question", today=date(2026, 9, 10))
    with pytest.raises(Error) as early:
        world.answer(application_id, date(2026, 9, 9))
    assert early.value.code == "bad_date" and early.value.details[0].location == "today"
    with pytest.raises(Error) as twice:
        world.review(application_id, "rfi", "another", today=date(2026, 9, 11))
    assert twice.value.code == "rfi_open"


def test_sla_checks_alert_overdue_applications_once(world: World) -> None:
    overdue = world.submit(today=date(2026, 9, 1))  # due 2026-11-09
    paused = world.submit(today=date(2026, 9, 1))
    world.review(paused, "rfi", "question", today=date(2026, 9, 2))
    decided = world.submit(today=date(2026, 9, 1))
    world.review(decided, "deny", "end user unverifiable", today=date(2026, 9, 3))
    soon = world.submit(today=date(2026, 9, 10))  # due 2026-11-18
    other_group = world.submit(today=date(2026, 9, 1), username="exporter.b", exporter_id="EXP-B1")
    day = date(2026, 11, 12)
    with world.container.unit_of_work() as (uow, _):
        raised = run_sla_checks(uow, day, CALENDAR)
    assert len(raised) == 2
    with world.container.unit_of_work() as (uow, _):
        assert run_sla_checks(uow, day, CALENDAR) == []  # deduplicated while open
    with read_transaction(world.container.engine) as conn:
        alerts = open_alerts(conn, kind="licensing.application.overdue")
        queue = sla_queue(conn, day, CALENDAR)
    assert {(a.subject, a.tenant) for a in alerts} == {(overdue, "group-a"), (other_group, "group-b")}
    evidence = next(a.evidence for a in alerts if a.subject == overdue)
    assert evidence["due_on"] == "2026-11-09" and evidence["workdays_overdue"] == 3
    assert [v.application_id for v in queue][:2] in ([overdue, other_group], [other_group, overdue])
    states = {v.application_id: v.clock.state for v in queue}
    assert states[soon] == "due_soon" and states[paused] == "paused" and decided not in states
    assert [v.application_id for v in queue][-1] == paused  # paused last
