"""Alerts on every backend (raise, deduplicate, resolve, scope), and bulk access to controlled documents."""

from __future__ import annotations

import hashlib
from datetime import UTC, date, datetime, timedelta

import pytest
from personnel_people import NORTH, TODAY, register, state
from sqlalchemy import select

from reetrace.authz.scope import ScopedReader, TenantScope
from reetrace.container import Container
from reetrace.domains.alerts import alerts_about, get_alert, open_alerts, raise_alert, resolve_alert
from reetrace.domains.alerts.tables import alerts
from reetrace.domains.personnel.queries import BulkAccessRule, DocumentAccess, document_access, unusual_access
from reetrace.domains.personnel.service import record_departure, watch_person
from reetrace.errors import Error
from reetrace.events import Event, EventKind
from reetrace.storage.engine import read_transaction, write_transaction
from reetrace.storage.replay import replay


def _raise(container: Container, tenant: str = "group-north", key: str = "k1", severity: str = "warning") -> str | None:
    with container.unit_of_work() as (uow, _):
        return raise_alert(uow, tenant=tenant, kind="personnel.test.finding", subject="P-1", severity=severity,
                           message="something to look at", evidence={"entries": [1, 2], "ratio": 0.5},
                           dedupe_key=key)


def test_an_open_alert_is_not_raised_twice_until_it_is_resolved(world: Container) -> None:
    first = _raise(world)
    assert first is not None and _raise(world) is None
    with world.unit_of_work() as (uow, _):
        resolve_alert(uow, first, "officer", "explained: planned audit", tenants={"group-north"})
    again = _raise(world)
    assert again is not None and again != first
    with read_transaction(world.engine) as conn:
        resolved = get_alert(conn, first)
        assert [a.alert_id for a in open_alerts(conn)] == [again]
        assert [a.alert_id for a in alerts_about(conn, "P-1")] == [again, first]
    assert resolved is not None and resolved.status == "resolved" and resolved.resolved_by == "officer"
    assert resolved.resolution == "explained: planned audit" and resolved.evidence == {"entries": [1, 2],
                                                                                       "ratio": 0.5}


def test_alerts_are_read_within_the_tenant_scope(world: Container) -> None:
    north = _raise(world, "group-north", "n")
    south = _raise(world, "group-south", "s")
    with read_transaction(world.engine) as conn:
        seen = {a.alert_id for a in open_alerts(ScopedReader(conn, TenantScope(frozenset({"group-south"}))))}
        both = {a.alert_id for a in open_alerts(ScopedReader(conn, TenantScope(frozenset({"group-north",
                                                                                         "group-south"}))))}
        hidden = get_alert(ScopedReader(conn, TenantScope(frozenset({"group-south"}))), north or "")
    assert seen == {south} and both == {north, south} and hidden is None


def test_bad_alert_commands_write_nothing(world: Container) -> None:
    alert_id = _raise(world)
    assert alert_id is not None
    before = state(world)
    attempts = [
        (lambda uow: raise_alert(uow, tenant="group-north", kind="x.y", subject="P-1", severity="urgent",
                                 message="m", evidence={}, dedupe_key="k9"), 400),
        (lambda uow: raise_alert(uow, tenant="group-north", kind="Not A Kind", subject="P-1", severity="info",
                                 message="m", evidence={}, dedupe_key="k9"), 400),
        (lambda uow: resolve_alert(uow, alert_id, "officer", "not mine", tenants={"group-south"}), 404),
        (lambda uow: resolve_alert(uow, "A-0000000000000000", "officer", "none"), 404),
        (lambda uow: resolve_alert(uow, alert_id, "officer", ""), 400),
    ]
    for attempt, status in attempts:
        with pytest.raises(Error) as caught, world.unit_of_work() as (uow, _):
            attempt(uow)
        assert caught.value.http_status == status, caught.value
    assert state(world) == before
    with world.unit_of_work() as (uow, _):
        resolve_alert(uow, alert_id, "officer", "done")
    with pytest.raises(Error) as caught, world.unit_of_work() as (uow, _):
        resolve_alert(uow, alert_id, "officer", "again")
    assert caught.value.http_status == 409


# --- access to controlled documents --------------------------------------------------------------------------

COPY_KINDS = ("documents.copy.issued", "documents.copy.opened")


def _copies(container: Container, subject: str, day: date, count: int, kind: str = "documents.copy.issued",
            document: str = "RT-DOC-2026-000001") -> None:
    """Synthetic copy events with bodies the documents domain accepts (kinds it lacks are registered here)."""
    for name in COPY_KINDS:
        if name not in container.kinds.kinds:
            container.kinds.add(EventKind(name, None, None, "test stand-in for the documents domain"))
    at = datetime(day.year, day.month, day.day, 9, tzinfo=UTC)

    def body(n: int) -> dict[str, object]:
        copy_id = "RT-CPY-" + hashlib.sha256(f"{subject}/{day}/{kind}/{n}".encode()).hexdigest()[:16].upper()
        if kind == "documents.copy.opened":  # an open, download or print of a copy (documents/access.py)
            return {"document_id": document, "copy_id": copy_id, "version": 1, "action": "open", "device": "pc-7",
                    "ip": "10.0.0.7"}
        return {"document_id": document, "copy_id": copy_id, "version": 1, "recipient_kind": "user",
                "recipient": "docs-service", "device": "pc-7", "ip": "10.0.0.7", "code_length": 1, "positions": 0,
                "sha256": "0" * 64}

    container.ledger.record([
        Event(kind=kind, tenant="group-north", actor="docs-service", subjects=(subject, document),
              occurred_at=at + timedelta(minutes=n), body=body(n))
        for n in range(count)])


def test_document_access_reads_the_copy_events_that_name_the_person(world: Container) -> None:
    person = register(world)
    other = register(world, name_zh="李娜", name_latin="Li Na")
    _copies(world, person.person_id, date(2026, 3, 1), 2)
    _copies(world, person.subject_id, date(2026, 3, 2), 1, kind="documents.copy.opened")  # by vault subject id
    _copies(world, person.person_id, date(2025, 11, 1), 3)  # before the window
    _copies(world, other.person_id, date(2026, 3, 1), 4)
    with read_transaction(world.engine) as conn:
        found = document_access(conn, person.person_id, date(2026, 1, 1), date(2026, 3, 31))
        nothing = document_access(conn, person.person_id, date(2026, 3, 3))
    assert [(a.day, a.kind, a.document_id) for a in found] == [
        (date(2026, 3, 1), "documents.copy.issued", "RT-DOC-2026-000001"),
        (date(2026, 3, 1), "documents.copy.issued", "RT-DOC-2026-000001"),
        (date(2026, 3, 2), "documents.copy.opened", "RT-DOC-2026-000001")]
    assert nothing == []


def _access(day: date, n: int, copy: str | None = None) -> DocumentAccess:
    return DocumentAccess(n, datetime(day.year, day.month, day.day, tzinfo=UTC), "documents.copy.issued", "D",
                          copy if copy is not None else f"c{n}", "docs", "t")


def test_unusual_access_is_measured_against_the_persons_own_history() -> None:
    window = (date(2026, 1, 1), date(2026, 3, 31))
    quiet = [_access(date(2026, 2, 1), n) for n in range(15)]  # below the floor of 20
    assert unusual_access(quiet, window) == []
    burst = [_access(date(2026, 3, 10), n) for n in range(25)]
    flagged = unusual_access(burst, window)
    assert [(d.day, d.copies, d.threshold, d.baseline) for d in flagged] == [(date(2026, 3, 10), 25, 20, 0.0)]
    busy = [_access(window[0] + timedelta(days=d), d * 100 + n) for d in range(90) for n in range(30)]
    assert unusual_access(busy, window) == []  # 30 a day, every day: that person's normal
    spike = busy + [_access(date(2026, 3, 20), 10_000 + n) for n in range(70)]
    assert [(d.day, d.copies, d.threshold) for d in unusual_access(spike, window)] == [(date(2026, 3, 20), 100, 90)]
    reopened = [_access(date(2026, 3, 10), n, copy="same") for n in range(40)]  # one copy opened 40 times
    assert unusual_access(reopened, window) == []
    assert unusual_access(burst, window, BulkAccessRule(min_copies_per_day=30)) == []


def test_bulk_access_before_a_departure_or_a_watch_listing_raises_an_alert(world: Container) -> None:
    leaver = register(world)
    listed = register(world, name_zh="李娜", name_latin="Li Na", secrecy_level="important")
    quiet = register(world, name_zh="王芳", name_latin="Wang Fang")
    _copies(world, leaver.person_id, date(2026, 5, 20), 30)
    _copies(world, listed.person_id, date(2026, 10, 1), 12)
    _copies(world, listed.person_id, date(2026, 10, 2), 12, kind="documents.copy.opened")
    _copies(world, quiet.person_id, date(2026, 5, 20), 5)
    with world.unit_of_work() as (uow, _):
        record_departure(uow, NORTH, leaver.person_id, date(2026, 6, 1), today=TODAY)
        record_departure(uow, NORTH, quiet.person_id, date(2026, 6, 1), today=TODAY)
        watch_person(uow, NORTH, listed.person_id, "magnet line", today=TODAY)
    with read_transaction(world.engine) as conn:
        raised = {a.subject: a for a in open_alerts(conn, kind="personnel.access.bulk")}
    assert set(raised) == {leaver.person_id}  # 12 + 12 on two days stays under the floor
    alert = raised[leaver.person_id]
    assert alert.severity == "high" and alert.evidence["trigger"] == "departure"
    assert alert.evidence["days"][0]["day"] == "2026-05-20" and alert.evidence["days"][0]["copies"] == 30
    assert len(alert.evidence["days"][0]["entries"]) == 30
    with write_transaction(world.engine) as conn:
        assert replay(conn, world.kinds).differences == 0
        assert conn.execute(select(alerts.c.kind)).scalars().all() == ["personnel.access.bulk"]
