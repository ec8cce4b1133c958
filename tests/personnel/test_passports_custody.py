"""Passport custody on every backend: deposit, check-out only against an approved trip that needs the document,
check-in, and the overdue alert."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

import pytest
from sqlalchemy import select

from reetrace.container import Container
from reetrace.domains.alerts import alerts_about
from reetrace.domains.personnel.checks import run_checks
from reetrace.domains.personnel.passports import (
    DocumentView,
    check_in,
    check_out,
    deposit_document,
    document_for,
    documents_needed,
    get_document,
    list_documents,
    movements,
    reveal_number,
)
from reetrace.domains.personnel.travel_models import DocumentInput
from reetrace.errors import Error
from reetrace.storage.engine import read_transaction
from reetrace.storage.tables import log_entries
from support.logdb import snapshot
from support.travel_world import CALENDAR, POLICY, TODAY, World, build_world

DEPART, RETURN = date(2026, 9, 10), date(2026, 9, 15)
DUE_BACK = date(2026, 9, 22)  # return + passport_return_days (7)


@pytest.fixture
def world(container: Container) -> Iterator[World]:
    yield build_world(container)


def _deposit(world: World, person: str, doc_type: str = "passport", number: str = "E12345678",
             expires_on: date = date(2030, 1, 1)) -> DocumentView:
    with world.container.unit_of_work() as (uow, vault):
        return deposit_document(uow, vault, "officer.n", DocumentInput(person_id=person, doc_type=doc_type,
                                                                       number=number, expires_on=expires_on),
                                today=TODAY)


def _out(world: World, document_id: str, request_id: str, today: date = TODAY) -> DocumentView:
    with world.container.unit_of_work() as (uow, _):
        return check_out(uow, "officer.n", document_id, request_id, today=today, policy=POLICY)


def _in(world: World, document_id: str, today: date) -> DocumentView:
    with world.container.unit_of_work() as (uow, _):
        return check_in(uow, "officer.n", document_id, today=today)


def test_document_for_destination() -> None:
    assert [document_for(d) for d in ("HK", "MO", "TW", "JP")] == [
        "hk_macau_permit", "hk_macau_permit", "taiwan_permit", "passport"]
    assert documents_needed(["HK", "JP"]) == {"hk_macau_permit", "passport"}


def test_deposit_seals_the_number_and_refuses_a_second_deposit(world: World) -> None:
    person = world.person()
    doc = _deposit(world, person, number="e 1234-5678")
    assert (doc.status, doc.doc_type, doc.person_id) == ("held", "passport", person)
    assert doc.number_commitment.startswith("hmac-sha256:")
    with read_transaction(world.container.engine) as conn:
        raw = b"".join(bytes(e) for e in conn.execute(select(log_entries.c.entry)).scalars())
    assert b"12345678" not in raw
    with world.container.unit_of_work() as (_, vault):
        assert reveal_number(vault, doc) == "E12345678"
    other = world.person()
    with pytest.raises(Error) as info:
        _deposit(world, other, number="E12345678")
    assert (info.value.code, info.value.http_status) == ("duplicate", 409) and doc.document_id in info.value.message
    _deposit(world, person, doc_type="hk_macau_permit", number="C12345678")  # another type: another document
    with pytest.raises(Error) as info:
        _deposit(world, person, number="E1-2")
    assert info.value.details[0].location == "number"


def test_check_out_and_in_against_an_approved_trip(world: World) -> None:
    person = world.person()
    permit = _deposit(world, person, "hk_macau_permit", "C87654321")
    trip = world.approve_all(world.submit(person, ("HK",), depart_on=DEPART, return_on=RETURN))
    out = _out(world, permit.document_id, trip.request_id)
    assert (out.status, out.request_id, out.out_on, out.due_on) == ("out", trip.request_id, TODAY, DUE_BACK)
    with pytest.raises(Error) as info:
        _out(world, permit.document_id, trip.request_id)
    assert info.value.code == "already_out"
    back = _in(world, permit.document_id, date(2026, 9, 16))
    assert (back.status, back.request_id, back.due_on) == ("held", None, None)
    with pytest.raises(Error) as info:
        _in(world, permit.document_id, date(2026, 9, 17))
    assert info.value.code == "not_out"
    with read_transaction(world.container.engine) as conn:
        moves = movements(conn, permit.document_id)
        assert [d.document_id for d in list_documents(conn, person_id=person)] == [permit.document_id]
        assert get_document(conn, "doc-none") is None
    assert [(m.action, m.request_id, m.late) for m in moves] == [("out", trip.request_id, False),
                                                                 ("in", trip.request_id, False)]


def test_check_out_without_approval_is_refused(world: World) -> None:
    person = world.person()
    passport = _deposit(world, person)
    pending = world.submit(person, ("JP",), depart_on=DEPART, return_on=RETURN, purpose="conference")
    refused = world.submit(person, ("SY",), depart_on=DEPART, return_on=RETURN, purpose="tourism")
    before = snapshot(world.container.engine)
    for request in (pending, refused):
        with pytest.raises(Error) as info:
            _out(world, passport.document_id, request.request_id)
        assert (info.value.code, info.value.http_status) == ("not_approved", 409)
        assert request.status in info.value.message and "approved request" in info.value.message
    with pytest.raises(Error) as info:
        _out(world, passport.document_id, "travel-none")
    assert info.value.http_status == 404
    assert snapshot(world.container.engine) == before


def test_wrong_document_is_refused(world: World) -> None:
    person = world.person()
    passport = _deposit(world, person)
    taiwan = _deposit(world, person, "taiwan_permit", "L1234567")
    hk_trip = world.approve_all(world.submit(person, ("HK",), depart_on=DEPART, return_on=RETURN))
    with pytest.raises(Error) as info:
        _out(world, passport.document_id, hk_trip.request_id)
    assert info.value.code == "wrong_document" and "Hong Kong and Macau permit" in info.value.message
    with pytest.raises(Error) as info:
        _out(world, taiwan.document_id, hk_trip.request_id)
    assert info.value.code == "wrong_document"
    someone_else = world.person()
    their_trip = world.approve_all(world.submit(someone_else, ("JP",), depart_on=DEPART, return_on=RETURN,
                                                purpose="conference"))
    with pytest.raises(Error) as info:
        _out(world, passport.document_id, their_trip.request_id)
    assert info.value.code == "wrong_document" and someone_else in info.value.message


def test_an_expiring_document_and_a_finished_trip_are_refused(world: World) -> None:
    person = world.person()
    expiring = _deposit(world, person, expires_on=date(2026, 9, 12))
    trip = world.approve_all(world.submit(person, ("JP",), depart_on=DEPART, return_on=RETURN,
                                          purpose="conference"))
    with pytest.raises(Error) as info:
        _out(world, expiring.document_id, trip.request_id)
    assert info.value.code == "document_expired"
    fresh = _deposit(world, person, number="E99999999")
    with pytest.raises(Error) as info:
        _out(world, fresh.document_id, trip.request_id, today=date(2026, 9, 16))
    assert info.value.code == "trip_over"


def test_overdue_passport_alerts_once_and_check_in_resolves_it(world: World) -> None:
    person = world.person()
    passport = _deposit(world, person)
    trip = world.approve_all(world.submit(person, ("JP",), depart_on=DEPART, return_on=RETURN,
                                          purpose="conference"))
    _out(world, passport.document_id, trip.request_id)
    with world.container.unit_of_work() as (uow, _):
        assert run_checks(uow, DUE_BACK, POLICY, CALENDAR).count("personnel.passport.overdue") == 0
    with world.container.unit_of_work() as (uow, _):
        report = run_checks(uow, date(2026, 9, 25), POLICY, CALENDAR)
    overdue = [f for f in report.raised if f.kind == "personnel.passport.overdue"]
    assert len(overdue) == 1 and "3 day(s) overdue" in overdue[0].message and overdue[0].tenant == "group-north"
    with world.container.unit_of_work() as (uow, _):
        again = run_checks(uow, date(2026, 9, 26), POLICY, CALENDAR)
    assert again.count("personnel.passport.overdue") == 1
    assert [f for f in again.raised if f.kind == "personnel.passport.overdue"] == []
    _in(world, passport.document_id, date(2026, 9, 28))
    with read_transaction(world.container.engine) as conn:
        alerts = [a for a in alerts_about(conn, person) if a.kind == "personnel.passport.overdue"]
        moves = movements(conn, passport.document_id)
    assert [a.status for a in alerts] == ["resolved"]
    assert alerts[0].evidence["document_id"] == passport.document_id and "E12345678" not in alerts[0].message
    assert moves[-1].late is True
