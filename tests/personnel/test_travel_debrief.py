"""Debriefs on every backend: due in working days (China's calendar), late or on time, deviations alert."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

import pytest
from sqlalchemy import select

from reetrace.container import Container
from reetrace.domains.alerts import alerts_about, open_alerts
from reetrace.domains.personnel.checks import debrief_due_on, run_checks
from reetrace.domains.personnel.travel import TravelRequestView, get_request, record_debrief
from reetrace.domains.personnel.travel_models import DebriefInput, ForeignContact
from reetrace.domains.personnel.travel_tables import travel_debriefs
from reetrace.errors import Error
from reetrace.storage.engine import read_transaction
from support.logdb import snapshot
from support.travel_world import CALENDAR, POLICY, World, build_world

# Returns on Wednesday 30 September 2026; 1-7 October is the National Day holiday and Saturday 10 October an
# adjusted working day, so the 5th working day after the return is Tuesday 13 October (Monday to Friday alone
# would say Wednesday 7 October).
RETURN = date(2026, 9, 30)
DUE = date(2026, 10, 13)


@pytest.fixture
def world(container: Container) -> Iterator[World]:
    yield build_world(container)


def _approved_trip(world: World, dests: tuple[str, ...] = ("JP",), return_on: date = RETURN) -> TravelRequestView:
    request = world.submit(world.person(), dests, depart_on=date(2026, 9, 20), return_on=return_on,
                           purpose="conference")
    return world.approve_all(request)


def _debrief(world: World, request_id: str, today: date, dests: tuple[str, ...] = ("JP",),
             returned: date = RETURN, contacts: tuple[ForeignContact, ...] = ()) -> object:
    with world.container.unit_of_work() as (uow, vault):
        return record_debrief(uow, vault, "officer.n", request_id,
                              DebriefInput(actual_destinations=dests, actual_return_on=returned,
                                           contacts_met=contacts),
                              today=today, policy=POLICY, calendar=CALENDAR)


def test_due_date_counts_working_days_across_national_day() -> None:
    assert POLICY.debrief_working_days == 5
    assert debrief_due_on(RETURN, POLICY, CALENDAR) == DUE
    assert CALENDAR.holiday(date(2026, 10, 5)) is not None and CALENDAR.is_workday(date(2026, 10, 10))


@pytest.mark.parametrize(("today", "late"), [(date(2026, 10, 9), False), (date(2026, 10, 12), False),
                                             (DUE, False), (date(2026, 10, 14), True)],
                         ids=["within", "after-the-holiday", "last-day", "one-day-late"])
def test_debrief_on_time_or_late(world: World, today: date, late: bool) -> None:
    trip = _approved_trip(world)
    result = _debrief(world, trip.request_id, today)
    assert (result.due_on, result.late, result.deviations) == (DUE, late, ())  # type: ignore[attr-defined]
    with read_transaction(world.container.engine) as conn:
        row = conn.execute(select(travel_debriefs)).one()
        view = get_request(conn, trip.request_id)
        assert open_alerts(conn) == []
    assert (row.due_on, bool(row.late), row.debriefed_on) == (DUE, late, today)
    assert view is not None and view.status == "completed"


def test_deviation_is_flagged_and_alerts_once(world: World) -> None:
    trip = _approved_trip(world)
    result = _debrief(world, trip.request_id, date(2026, 10, 8), dests=("JP", "KR"), returned=date(2026, 10, 3),
                      contacts=(ForeignContact(name="Kim Min-jun", organisation="Korea Magnet"),))
    deviations = result.deviations  # type: ignore[attr-defined]
    assert len(deviations) == 2
    assert "KR" in deviations[0] and "3 day(s) longer" in deviations[1]
    assert result.alert_id is not None  # type: ignore[attr-defined]
    with read_transaction(world.container.engine) as conn:
        [alert] = open_alerts(conn, kind="personnel.travel.deviation")
    assert alert.alert_id == result.alert_id  # type: ignore[attr-defined]
    assert alert.evidence["actual_destinations"] == ["JP", "KR"] and "Kim" not in alert.message
    with world.container.unit_of_work() as (uow, _):
        report = run_checks(uow, date(2026, 10, 9), POLICY, CALENDAR)
    assert report.count("personnel.travel.deviation") == 1 and report.raised == []


def test_an_earlier_return_to_approved_places_is_no_deviation(world: World) -> None:
    trip = _approved_trip(world, ("JP", "KR"))
    result = _debrief(world, trip.request_id, date(2026, 9, 28), dests=("KR",), returned=date(2026, 9, 27))
    assert result.deviations == ()  # type: ignore[attr-defined]


def test_overdue_debrief_alerts_and_the_debrief_resolves_it(world: World) -> None:
    trip = _approved_trip(world)
    with world.container.unit_of_work() as (uow, _):
        assert run_checks(uow, DUE, POLICY, CALENDAR).raised == []  # the last day is not overdue
    with world.container.unit_of_work() as (uow, _):
        report = run_checks(uow, date(2026, 10, 14), POLICY, CALENDAR)
    [finding] = report.raised
    assert finding.kind == "personnel.debrief.overdue" and str(DUE) in finding.message
    _debrief(world, trip.request_id, date(2026, 10, 15))
    with read_transaction(world.container.engine) as conn:
        [alert] = alerts_about(conn, trip.person_id)
    assert alert.status == "resolved" and "2026-10-15" in (alert.resolution or "")


@pytest.mark.parametrize(("dests", "returned", "today", "code", "location"), [
    (("JP", "ZZ"), RETURN, date(2026, 10, 2), "unknown_country", "actual_destinations[1]"),
    (("JP",), date(2026, 9, 19), date(2026, 10, 2), "dates_out_of_order", "actual_return_on"),
    (("JP",), date(2026, 10, 5), date(2026, 10, 2), "dates_out_of_order", "actual_return_on"),
], ids=["unknown-code", "return-before-departure", "return-after-today"])
def test_bad_debrief_stores_nothing(world: World, dests: tuple[str, ...], returned: date, today: date, code: str,
                                    location: str) -> None:
    trip = _approved_trip(world)
    before = snapshot(world.container.engine)
    with pytest.raises(Error) as info:
        _debrief(world, trip.request_id, today, dests=dests, returned=returned)
    assert info.value.code == code and info.value.details[0].location == location
    assert snapshot(world.container.engine) == before


def test_only_an_approved_trip_is_debriefed_once(world: World) -> None:
    pending = world.submit(world.person(), ("HK",), depart_on=date(2026, 9, 20), return_on=RETURN)
    with pytest.raises(Error) as info:
        _debrief(world, pending.request_id, date(2026, 10, 2), dests=("HK",))
    assert info.value.code == "not_debriefable" and "pending" in info.value.message
    trip = _approved_trip(world)
    _debrief(world, trip.request_id, date(2026, 10, 2))
    with pytest.raises(Error) as info:
        _debrief(world, trip.request_id, date(2026, 10, 2))
    assert info.value.code == "not_debriefable" and "already debriefed" in info.value.message
