"""Checks over travel and passport custody: overdue passports, overdue debriefs, travel in cooling-off, deviations.

``run_checks`` is a batch job (the CLI, the demo, a timer): it reads every tenant's requests and documents and
raises alerts through :func:`reetrace.domains.alerts.raise_alert`. Each finding has a dedupe key naming the
instance (a document's out-period, a request): an alert is raised for it once, so running the checks twice,
or after an officer resolved the alert, raises nothing new.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from sqlalchemy import Connection, or_, select

from reetrace.domains.alerts import raise_alert, resolve_alert
from reetrace.domains.alerts.tables import alerts
from reetrace.domains.personnel.policy import TravelPolicy
from reetrace.domains.personnel.queries import PersonFacts, person_facts
from reetrace.storage.ledger import UnitOfWork
from reetrace.workdays import WorkdayCalendar

from .travel_models import Trip
from .travel_tables import travel_debriefs, travel_documents, travel_requests

TRIP_STATUSES = ("approved", "completed")
OPEN_STATUSES = ("pending", "approved", "completed")

PASSPORT_OVERDUE = "personnel.passport.overdue"
DEBRIEF_OVERDUE = "personnel.debrief.overdue"
COOLING_OFF_TRAVEL = "personnel.cooling_off.travel"
DEVIATION = "personnel.travel.deviation"
MAX_MESSAGE = 1000  # an alert's message is at most this long


@dataclass(frozen=True)
class Finding:
    """One thing a check found; ``alert_id`` is None when its alert had been raised before."""

    kind: str
    tenant: str
    subject: str
    dedupe_key: str
    message: str
    alert_id: str | None


@dataclass
class CheckReport:
    today: date
    findings: list[Finding] = field(default_factory=list)

    @property
    def raised(self) -> list[Finding]:
        return [f for f in self.findings if f.alert_id is not None]

    def count(self, kind: str) -> int:
        return sum(1 for f in self.findings if f.kind == kind)


def one_year_before(day: date) -> date:
    try:
        return day.replace(year=day.year - 1)
    except ValueError:  # 29 February
        return day - timedelta(days=365)


def previous_trips(conn: Connection, person_id: str, today: date) -> list[Trip]:
    """The person's trips of the 12 months before ``today`` from reetrace's own records.

    A trip is an approved or debriefed request that had started before ``today`` and had not ended before the
    window opened; a debriefed trip shows the destinations and return date of the debrief.
    """
    since = one_year_before(today)
    rows = conn.execute(
        select(travel_requests.c.request_id, travel_requests.c.destinations, travel_requests.c.depart_on,
               travel_requests.c.return_on, travel_requests.c.status, travel_debriefs.c.actual_destinations,
               travel_debriefs.c.actual_return_on)
        .select_from(travel_requests.outerjoin(travel_debriefs,
                                               travel_debriefs.c.request_id == travel_requests.c.request_id))
        .where(travel_requests.c.person_id == person_id, travel_requests.c.status.in_(TRIP_STATUSES),
               travel_requests.c.depart_on < today,
               or_(travel_requests.c.return_on >= since, travel_debriefs.c.actual_return_on >= since))
        .order_by(travel_requests.c.depart_on, travel_requests.c.request_id)
    ).all()
    return [Trip(request_id=r.request_id, destinations=tuple((r.actual_destinations or r.destinations).split()),
                 depart_on=r.depart_on, return_on=r.actual_return_on or r.return_on, status=r.status)
            for r in rows]


def debrief_due_on(return_on: date, policy: TravelPolicy, calendar: WorkdayCalendar) -> date:
    """The last day of the debrief: ``policy.debrief_working_days`` working days after the return date."""
    return calendar.add_workdays(return_on, policy.debrief_working_days)


def trip_in_cooling_off(facts: PersonFacts, depart_on: date, return_on: date) -> bool:
    """Whether a trip on these dates overlaps the person's cooling-off period (from departure to its end)."""
    until = facts.cooling_off_until
    return until is not None and depart_on <= until and (facts.departed_on is None or return_on >= facts.departed_on)


def cooling_off_conflict(facts: PersonFacts, depart_on: date, return_on: date) -> tuple[str, str] | None:
    """Why a trip of this person on these dates needs attention, and how much (severity); None when it does not.

    A trip in the cooling-off period is ``high``; a trip after the person left, once the period is over, is a
    ``warning`` (the request is made for someone who is no longer staff).
    """
    if trip_in_cooling_off(facts, depart_on, return_on):
        return (f"the trip ({depart_on} to {return_on}) falls in the cooling-off period that ends on "
                f"{facts.cooling_off_until}", "high")
    if facts.status == "departed" and (facts.departed_on is None or return_on >= facts.departed_on):
        return f"the person left the enterprise on {facts.departed_on or 'an unrecorded date'}", "warning"
    return None


def raise_once(uow: UnitOfWork, *, tenant: str, kind: str, subject: str, severity: str, message: str,
               evidence: dict[str, Any], dedupe_key: str) -> str | None:
    """Raise an alert unless one with this dedupe key was ever raised (open or resolved)."""
    if uow.conn.execute(select(alerts.c.alert_id).where(alerts.c.dedupe_key == dedupe_key).limit(1)).first():
        return None
    return raise_alert(uow, tenant=tenant, kind=kind, subject=subject, severity=severity, message=message,
                       evidence=evidence, dedupe_key=dedupe_key)


def resolve_open(uow: UnitOfWork, dedupe_key: str, actor: str, reason: str) -> list[str]:
    """Resolve the open alerts with this dedupe key (a passport came back, a debrief was recorded)."""
    ids = [str(a) for (a,) in uow.conn.execute(select(alerts.c.alert_id).where(
        alerts.c.dedupe_key == dedupe_key, alerts.c.status == "open"))]
    for alert_id in ids:
        resolve_alert(uow, alert_id, actor, reason)
    return ids


def passport_overdue_key(document_id: str, request_id: str | None) -> str:
    return f"{PASSPORT_OVERDUE}:{document_id}:{request_id or '-'}"


def debrief_overdue_key(request_id: str) -> str:
    return f"{DEBRIEF_OVERDUE}:{request_id}"


def deviation_key(request_id: str) -> str:
    return f"{DEVIATION}:{request_id}"


def cooling_off_key(request_id: str) -> str:
    return f"{COOLING_OFF_TRAVEL}:{request_id}"


def run_checks(uow: UnitOfWork, today: date, policy: TravelPolicy, calendar: WorkdayCalendar) -> CheckReport:
    """Run every travel and custody check as of ``today``; idempotent."""
    report = CheckReport(today)
    report.findings += _overdue_passports(uow, today)
    report.findings += _overdue_debriefs(uow, today, policy, calendar)
    report.findings += _cooling_off_travel(uow)
    report.findings += _deviations(uow)
    return report


def _overdue_passports(uow: UnitOfWork, today: date) -> Iterable[Finding]:
    d = travel_documents.c
    rows = uow.conn.execute(select(travel_documents).where(d.status == "out", d.due_on < today)
                            .order_by(d.due_on, d.document_id)).all()
    for row in rows:
        days = (today - row.due_on).days
        message = (f"{_document_name(row.doc_type)} {row.document_id} of {row.person_id} was due back on "
                   f"{row.due_on} and is {days} day(s) overdue")
        yield _finding(uow, tenant=row.tenant, kind=PASSPORT_OVERDUE, subject=row.person_id, severity="high",
                       message=message, dedupe_key=passport_overdue_key(row.document_id, row.request_id),
                       evidence={"document_id": row.document_id, "doc_type": row.doc_type,
                                 "request_id": row.request_id, "out_on": str(row.out_on),
                                 "due_on": str(row.due_on), "days_overdue": days})


def _overdue_debriefs(uow: UnitOfWork, today: date, policy: TravelPolicy,
                      calendar: WorkdayCalendar) -> Iterable[Finding]:
    r = travel_requests.c
    rows = uow.conn.execute(select(travel_requests).where(r.status == "approved", r.return_on < today)
                            .order_by(r.return_on, r.request_id)).all()
    for row in rows:
        due = debrief_due_on(row.return_on, policy, calendar)
        if due >= today:
            continue
        message = (f"the debrief of trip {row.request_id} of {row.person_id} (returned {row.return_on}) was due "
                   f"on {due} ({policy.debrief_working_days} working days) and has not been recorded")
        yield _finding(uow, tenant=row.tenant, kind=DEBRIEF_OVERDUE, subject=row.person_id, severity="warning",
                       message=message, dedupe_key=debrief_overdue_key(row.request_id),
                       evidence={"request_id": row.request_id, "return_on": str(row.return_on),
                                 "due_on": str(due), "working_days": policy.debrief_working_days})


def _cooling_off_travel(uow: UnitOfWork) -> Iterable[Finding]:
    r = travel_requests.c
    rows = uow.conn.execute(select(travel_requests).where(r.status.in_(OPEN_STATUSES))
                            .order_by(r.person_id, r.depart_on, r.request_id)).all()
    facts: dict[str, PersonFacts | None] = {}
    for row in rows:
        if row.person_id not in facts:
            facts[row.person_id] = person_facts(uow.conn, row.person_id)
        person = facts[row.person_id]
        if person is None:
            continue
        finding = cooling_off_finding(uow, person, row.request_id, row.tenant, row.depart_on, row.return_on,
                                      row.destinations.split(), row.status)
        if finding is not None:
            yield finding


def cooling_off_finding(uow: UnitOfWork, person: PersonFacts, request_id: str, tenant: str, depart_on: date,
                        return_on: date, destinations: list[str], status: str) -> Finding | None:
    """The cooling-off alert for one request (also raised at submission), or None when there is no conflict."""
    conflict = cooling_off_conflict(person, depart_on, return_on)
    if conflict is None:
        return None
    why, severity = conflict
    message = f"travel request {request_id} of {person.person_id} to {', '.join(destinations)}: {why}"
    return _finding(uow, tenant=tenant, kind=COOLING_OFF_TRAVEL, subject=person.person_id, severity=severity,
                    message=message, dedupe_key=cooling_off_key(request_id),
                    evidence={"request_id": request_id, "depart_on": str(depart_on), "return_on": str(return_on),
                              "destinations": destinations, "status": status, "person_status": person.status,
                              "departed_on": str(person.departed_on) if person.departed_on else None,
                              "cooling_off_until": str(person.cooling_off_until)
                              if person.cooling_off_until else None})


def _deviations(uow: UnitOfWork) -> Iterable[Finding]:
    b = travel_debriefs.c
    rows = uow.conn.execute(
        select(travel_debriefs, travel_requests.c.person_id, travel_requests.c.destinations,
               travel_requests.c.return_on)
        .join(travel_requests, travel_requests.c.request_id == b.request_id)
        .where(b.deviations != "[]").order_by(b.request_id)).all()
    for row in rows:
        yield deviation_finding(uow, tenant=row.tenant, request_id=row.request_id, person_id=row.person_id,
                                deviations=json.loads(row.deviations), planned=row.destinations.split(),
                                actual=row.actual_destinations.split(), return_on=row.return_on,
                                actual_return_on=row.actual_return_on)


def deviation_finding(uow: UnitOfWork, *, tenant: str, request_id: str, person_id: str, deviations: list[str],
                      planned: list[str], actual: list[str], return_on: date, actual_return_on: date) -> Finding:
    message = f"trip {request_id} of {person_id} deviated from its approval: {'; '.join(deviations)}"
    return _finding(uow, tenant=tenant, kind=DEVIATION, subject=person_id, severity="warning", message=message,
                    dedupe_key=deviation_key(request_id),
                    evidence={"request_id": request_id, "deviations": deviations, "approved_destinations": planned,
                              "actual_destinations": actual, "approved_return_on": str(return_on),
                              "actual_return_on": str(actual_return_on)})


def _finding(uow: UnitOfWork, *, tenant: str, kind: str, subject: str, severity: str, message: str,
             dedupe_key: str, evidence: dict[str, Any]) -> Finding:
    message = message if len(message) <= MAX_MESSAGE else message[:MAX_MESSAGE - 1] + "…"
    alert_id = raise_once(uow, tenant=tenant, kind=kind, subject=subject, severity=severity, message=message,
                          evidence=evidence, dedupe_key=dedupe_key)
    return Finding(kind, tenant, subject, dedupe_key, message, alert_id)


def _document_name(doc_type: str) -> str:
    return {"passport": "passport", "hk_macau_permit": "Hong Kong and Macau permit",
            "taiwan_permit": "Taiwan permit"}.get(doc_type, doc_type)
