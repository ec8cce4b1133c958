"""run_checks on every backend: every kind of finding, idempotence, and the travel tables rebuilt by log replay."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

import pytest
from sqlalchemy import func, select

from reetrace.container import Container
from reetrace.domains.alerts import open_alerts, resolve_alert
from reetrace.domains.alerts.tables import alerts
from reetrace.domains.personnel.checks import previous_trips, run_checks
from reetrace.domains.personnel.passports import check_out, deposit_document
from reetrace.domains.personnel.travel import record_debrief
from reetrace.domains.personnel.travel_models import DebriefInput, DocumentInput
from reetrace.storage.engine import read_transaction, write_transaction
from reetrace.storage.replay import replay
from support.travel_world import CALENDAR, POLICY, TODAY, World, build_world

CHECK_DAY = date(2026, 10, 20)
KINDS = ("personnel.passport.overdue", "personnel.debrief.overdue", "personnel.cooling_off.travel",
         "personnel.travel.deviation")


@pytest.fixture
def world(container: Container) -> Iterator[World]:
    yield build_world(container)


def _plant(world: World) -> dict[str, str]:
    """One of each finding, plus a clean trip that must not be reported."""
    # an overdue passport (the trip is debriefed, so only the passport is late)
    late_passport = world.person()
    trip = world.approve_all(world.submit(late_passport, ("JP",), depart_on=date(2026, 9, 10),
                                          return_on=date(2026, 9, 15), purpose="conference"))
    with world.container.unit_of_work() as (uow, vault):
        doc = deposit_document(uow, vault, "officer.n", DocumentInput(person_id=late_passport, doc_type="passport",
                                                                      number="E11112222",
                                                                      expires_on=date(2031, 1, 1)), today=TODAY)
        check_out(uow, "officer.n", doc.document_id, trip.request_id, today=TODAY, policy=POLICY)
        record_debrief(uow, vault, "officer.n", trip.request_id,
                       DebriefInput(actual_destinations=("JP",), actual_return_on=date(2026, 9, 15)),
                       today=date(2026, 9, 17), policy=POLICY, calendar=CALENDAR)
    # an overdue debrief
    no_debrief = world.person(enterprise_id="ENT-S1")
    world.approve_all(world.submit(no_debrief, ("ES",), depart_on=date(2026, 9, 20), return_on=date(2026, 9, 25),
                                   purpose="tourism"))
    # a deviation
    deviated = world.person()
    trip = world.approve_all(world.submit(deviated, ("DE",), depart_on=date(2026, 9, 3),
                                          return_on=date(2026, 9, 9), purpose="business"))
    with world.container.unit_of_work() as (uow, vault):
        record_debrief(uow, vault, "officer.n", trip.request_id,
                       DebriefInput(actual_destinations=("DE", "NL"), actual_return_on=date(2026, 9, 9)),
                       today=date(2026, 9, 10), policy=POLICY, calendar=CALENDAR)
    # travel in cooling-off: requested while employed, then the person left before the trip
    leaver = world.person("core")
    world.submit(leaver, ("US",), depart_on=date(2026, 11, 2), return_on=date(2026, 11, 9), purpose="conference")
    world.depart(leaver, TODAY)
    # a clean, future trip
    world.approve_all(world.submit(world.person(), ("HK",), depart_on=date(2026, 12, 1),
                                   return_on=date(2026, 12, 5)))
    return {"personnel.passport.overdue": late_passport, "personnel.debrief.overdue": no_debrief,
            "personnel.travel.deviation": deviated, "personnel.cooling_off.travel": leaver}


def test_run_checks_finds_each_kind_and_is_idempotent(world: World) -> None:
    planted = _plant(world)
    with world.container.unit_of_work() as (uow, _):
        first = run_checks(uow, CHECK_DAY, POLICY, CALENDAR)
    by_kind = {f.kind: f.subject for f in first.findings}
    assert by_kind == planted
    # the deviation alert was raised by the debrief itself; the others by this run
    assert sorted(f.kind for f in first.raised) == sorted(k for k in KINDS if k != "personnel.travel.deviation")
    assert {f.tenant for f in first.findings if f.kind == "personnel.debrief.overdue"} == {"group-south"}
    with world.container.unit_of_work() as (uow, _):
        second = run_checks(uow, CHECK_DAY, POLICY, CALENDAR)
    assert [f.dedupe_key for f in second.findings] == [f.dedupe_key for f in first.findings]
    assert second.raised == []
    with read_transaction(world.container.engine) as conn:
        assert conn.execute(select(func.count()).select_from(alerts)).scalar_one() == 4
        assert {a.kind for a in open_alerts(conn)} == set(KINDS)


def test_a_resolved_alert_is_not_raised_again(world: World) -> None:
    _plant(world)
    with world.container.unit_of_work() as (uow, _):
        run_checks(uow, CHECK_DAY, POLICY, CALENDAR)
    with read_transaction(world.container.engine) as conn:
        ids = [a.alert_id for a in open_alerts(conn)]
    with world.container.unit_of_work() as (uow, _):
        for alert_id in ids:
            resolve_alert(uow, alert_id, "mofcom.li", "reviewed with the enterprise")
    with world.container.unit_of_work() as (uow, _):
        assert run_checks(uow, date(2026, 10, 21), POLICY, CALENDAR).raised == []


def test_previous_trips_window(world: World) -> None:
    person = world.person()
    trips = [world.approve_all(world.submit(person, ("ES",), depart_on=d, return_on=r, purpose="tourism",
                                            today=date(2025, 8, 1)))
             for d, r in ((date(2025, 8, 20), date(2025, 8, 31)), (date(2025, 9, 5), date(2025, 9, 9)),
                          (date(2026, 8, 28), date(2026, 9, 3)))]
    with read_transaction(world.container.engine) as conn:
        seen = previous_trips(conn, person, TODAY)
        assert previous_trips(conn, person, date(2025, 8, 1)) == []
    # the first trip ended before 1 September 2025; the third is under way today and counts
    assert [t.request_id for t in seen] == [trips[1].request_id, trips[2].request_id]


def test_replay_rebuilds_the_travel_tables(world: World) -> None:
    _plant(world)
    with world.container.unit_of_work() as (uow, _):
        run_checks(uow, CHECK_DAY, POLICY, CALENDAR)
    with write_transaction(world.container.engine) as conn:
        report = replay(conn, world.container.kinds)
    assert report.differences == 0, [t for t in report.tables if t.count]
