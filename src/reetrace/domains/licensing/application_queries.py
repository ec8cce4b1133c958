"""Reads of licence applications, review steps, licences and shipments (through a scoped reader, another tenant's
rows are invisible), the SLA clock of each open application, and the daily SLA check that raises overdue alerts.

The clock's rule is stated in ``applications.py``. ``days_left`` counts working days from ``today`` to the due date
(0: due today; negative: overdue by that many working days); while a request for information is open, the days
left are those of the request day and there is no due date.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any, Protocol

from sqlalchemy import CursorResult, Row, Select, select

from reetrace.domains.alerts import raise_alert
from reetrace.storage.ledger import UnitOfWork
from reetrace.workdays import WorkdayCalendar

from .application_models import OPEN_STATUSES, SLA_WORKDAYS
from .application_tables import applications, licences, review_steps, shipments

DUE_SOON_WORKDAYS = 5


class Reader(Protocol):
    """A ``sqlalchemy.Connection`` or a :class:`reetrace.authz.scope.ScopedReader`."""

    def execute(self, statement: Select[Any], /) -> CursorResult[Any]: ...


@dataclass(frozen=True)
class Clock:
    """The SLA clock of an application on a day."""

    due_on: date | None  # None while a request for information is open
    days_left: int | None  # None once decided
    paused: bool
    paused_workdays: int
    provisional: bool
    state: str  # running | paused | due_soon | overdue | decided

    def as_json(self) -> dict[str, Any]:
        return {"due_on": None if self.due_on is None else self.due_on.isoformat(), "days_left": self.days_left,
                "paused": self.paused, "paused_workdays": self.paused_workdays, "provisional": self.provisional,
                "state": self.state}


@dataclass(frozen=True)
class Step:
    action: str
    text: str
    username: str
    user_tenant: str
    on: date
    entry_idx: int


@dataclass(frozen=True)
class ApplicationView:
    application_id: str
    tenant: str
    exporter_id: str
    contract_id: str
    status: str
    verdict: str
    rule_ids: tuple[str, ...]
    quantity_kg: Decimal
    unit: str
    value: Decimal
    currency: str
    final_destination: str
    end_use: str
    military_end_use: bool
    product: str
    flagged: bool
    submitted_on: date
    decided_on: date | None
    licence_id: str | None
    clock: Clock
    details: dict[str, Any]  # item, classification, parties, certificates, screening (as recorded)
    steps: tuple[Step, ...]
    entry_idx: int

    def as_json(self) -> dict[str, Any]:
        return {"application_id": self.application_id, "tenant": self.tenant, "exporter_id": self.exporter_id,
                "contract_id": self.contract_id, "status": self.status, "verdict": self.verdict,
                "rule_ids": list(self.rule_ids), "quantity_kg": str(self.quantity_kg), "unit": self.unit,
                "value": str(self.value), "currency": self.currency, "final_destination": self.final_destination,
                "end_use": self.end_use, "military_end_use": self.military_end_use, "product": self.product,
                "flagged": self.flagged, "submitted_on": self.submitted_on.isoformat(),
                "decided_on": None if self.decided_on is None else self.decided_on.isoformat(),
                "licence_id": self.licence_id, "sla": self.clock.as_json(), **self.details,
                "steps": [{"action": s.action, "text": s.text, "username": s.username, "user_tenant": s.user_tenant,
                           "on": s.on.isoformat(), "entry_idx": s.entry_idx} for s in self.steps],
                "entry_idx": self.entry_idx}


def clock(row: Row[Any], today: date, cal: WorkdayCalendar) -> Clock:
    paused_days = int(row.paused_workdays)
    if row.status not in OPEN_STATUSES:
        return Clock(row.due_on, None, False, paused_days, bool(row.due_provisional), "decided")
    if row.paused_since is not None:
        used = cal.workdays_between(row.submitted_on, row.paused_since) - paused_days
        return Clock(None, SLA_WORKDAYS - used, True, paused_days, bool(row.due_provisional), "paused")
    left = cal.workdays_between(today, row.due_on)
    state = "overdue" if today > row.due_on else "due_soon" if left <= DUE_SOON_WORKDAYS else "running"
    return Clock(row.due_on, left, False, paused_days, bool(row.due_provisional), state)


def _view(row: Row[Any], steps: list[Row[Any]], today: date, cal: WorkdayCalendar) -> ApplicationView:
    details = {k: json.loads(getattr(row, k)) for k in ("item", "classification", "consignee", "end_user",
                                                         "intermediaries", "certificates", "screening")}
    return ApplicationView(
        application_id=row.application_id, tenant=row.tenant, exporter_id=row.exporter_id,
        contract_id=row.contract_id, status=row.status, verdict=row.verdict, rule_ids=tuple(row.rule_ids.split()),
        quantity_kg=Decimal(row.quantity_kg), unit=row.unit, value=Decimal(row.value), currency=row.currency,
        final_destination=row.final_destination, end_use=row.end_use, military_end_use=bool(row.military_end_use),
        product=row.product, flagged=bool(row.flagged), submitted_on=row.submitted_on, decided_on=row.decided_on,
        licence_id=row.licence_id, clock=clock(row, today, cal), details=details,
        steps=tuple(Step(s.action, s.text, s.username, s.user_tenant, s.on_date, int(s.entry_idx)) for s in steps),
        entry_idx=int(row.entry_idx))


def get_application(reader: Reader, application_id: str, today: date,
                    calendar: WorkdayCalendar | None = None) -> ApplicationView | None:
    row = reader.execute(select(applications).where(applications.c.application_id == application_id)).first()
    if row is None:
        return None
    steps = list(reader.execute(select(review_steps).where(review_steps.c.application_id == application_id)
                                .order_by(review_steps.c.entry_idx)))
    return _view(row, steps, today, calendar or WorkdayCalendar.load())


def list_applications(reader: Reader, today: date, *, status: str | None = None, limit: int = 200,
                      calendar: WorkdayCalendar | None = None) -> list[ApplicationView]:
    """Applications, newest first (no review steps), optionally of one status."""
    query = select(applications)
    if status is not None:
        query = query.where(applications.c.status == status)
    cal = calendar or WorkdayCalendar.load()
    rows = reader.execute(query.order_by(applications.c.entry_idx.desc()).limit(limit)).all()
    return [_view(r, [], today, cal) for r in rows]


def sla_queue(reader: Reader, today: date, calendar: WorkdayCalendar | None = None) -> list[ApplicationView]:
    """Open applications ordered by days left (overdue first; paused ones last)."""
    cal = calendar or WorkdayCalendar.load()
    rows = reader.execute(select(applications).where(applications.c.status.in_(OPEN_STATUSES))
                          .order_by(applications.c.entry_idx)).all()
    views = [_view(r, [], today, cal) for r in rows]
    return sorted(views, key=lambda v: (v.clock.paused, v.clock.days_left or 0, v.entry_idx))


def run_sla_checks(uow: UnitOfWork, today: date, calendar: WorkdayCalendar | None = None) -> list[str]:
    """Raise an alert for every open application past its due date (once while the alert is open); returns the ids
    of the alerts raised."""
    raised = []
    for view in sla_queue(uow.conn, today, calendar):
        c = view.clock
        if c.state != "overdue" or c.due_on is None:
            continue
        over = -(c.days_left or 0)
        alert_id = raise_alert(
            uow, tenant=view.tenant, kind="licensing.application.overdue", subject=view.application_id,
            severity="high", message=f"licence application {view.application_id} was due on {c.due_on} "
                                     f"({SLA_WORKDAYS} working days); {over} working day(s) overdue",
            evidence={"application_id": view.application_id, "submitted_on": view.submitted_on.isoformat(),
                      "due_on": c.due_on.isoformat(), "workdays_overdue": over, "status": view.status,
                      "paused_workdays": c.paused_workdays, "provisional": c.provisional},
            dedupe_key=f"licensing.application.overdue:{view.application_id}")
        if alert_id is not None:
            raised.append(alert_id)
    return raised


@dataclass(frozen=True)
class ShipmentView:
    shipment_id: str
    shipped_on: date
    quantity_kg: Decimal
    value: Decimal
    accepted: bool
    refusal: str
    alert_id: str | None


@dataclass(frozen=True)
class LicenceView:
    licence_id: str
    tenant: str
    application_id: str
    exporter_id: str
    kind: str
    valid_from: date
    valid_until: date
    quantity_kg: Decimal
    value: Decimal
    currency: str
    remaining_kg: Decimal
    remaining_value: Decimal
    shipments: tuple[ShipmentView, ...]


def get_licence(reader: Reader, licence_id: str) -> LicenceView | None:
    row = reader.execute(select(licences).where(licences.c.licence_id == licence_id)).first()
    if row is None:
        return None
    ships = reader.execute(select(shipments).where(shipments.c.licence_id == licence_id)
                           .order_by(shipments.c.entry_idx)).all()
    return LicenceView(
        row.licence_id, row.tenant, row.application_id, row.exporter_id, row.kind, row.valid_from, row.valid_until,
        Decimal(row.quantity_kg), Decimal(row.value), row.currency, Decimal(row.remaining_kg),
        Decimal(row.remaining_value),
        tuple(ShipmentView(s.shipment_id, s.shipped_on, Decimal(s.quantity_kg), Decimal(s.value), bool(s.accepted),
                           s.refusal, s.alert_id) for s in ships))
