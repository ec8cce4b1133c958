"""Licences issued on approval, and shipments drawn down against them.

A single licence is valid for up to one year, a general licence for up to three (from its first valid day; the
last valid day is the day before the anniversary). Limits default to the applied quantity and value and may not
exceed them. A shipment is drawn down when it fits the remaining quantity and value and falls within the validity;
otherwise it is refused: the attempt is recorded as a ``licensing.shipment.refused`` event with the reason, and an
alert (``licensing.shipment.refused``, high) is raised. Both happen in the caller's unit of work, which commits.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import Row, select

from reetrace.authz.principal import visible_tenants
from reetrace.domains.alerts import raise_alert
from reetrace.domains.personnel.travel import Approver
from reetrace.errors import Detail, Error, invalid, not_found
from reetrace.events import Event
from reetrace.storage.ledger import UnitOfWork

from .application_models import LICENCE_YEARS, UNIT_KG, LicenceIssued, LicenceTerms, ShipmentRecorded
from .application_tables import licences
from .applications import new_id

RECORD = "export:shipment:record"


def anniversary(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


def issue_licence(application: Row[Any], licence_id: str, terms: LicenceTerms, today: date) -> LicenceIssued:
    """The licence an approval issues (checked against the application and the kind's longest validity)."""
    start = terms.valid_from or today
    longest = anniversary(start, LICENCE_YEARS[terms.kind]) - timedelta(days=1)
    until = terms.valid_until or longest
    applied_kg, applied_value = Decimal(application.quantity_kg), Decimal(application.value)
    quantity = terms.quantity_kg if terms.quantity_kg is not None else applied_kg
    value = terms.value if terms.value is not None else applied_value
    problems = []
    if start < today:
        problems.append(Detail(f"the licence cannot start before the decision ({today})", "valid_from"))
    if until < start:
        problems.append(Detail(f"{until} is before the first valid day {start}", "valid_until"))
    elif until > longest:
        problems.append(Detail(f"a {terms.kind} licence is valid for at most {LICENCE_YEARS[terms.kind]} year(s): "
                               f"until {longest} at the latest", "valid_until"))
    if not 0 < quantity <= applied_kg:
        problems.append(Detail(f"{quantity} kg is not more than zero and at most the applied {applied_kg} kg",
                               "quantity_kg"))
    if not 0 <= value <= applied_value:
        problems.append(Detail(f"{value} is not between zero and the applied value {applied_value}", "value"))
    if problems:
        raise invalid(f"the licence terms are not valid: {problems[0].location}: {problems[0].message}", *problems,
                      code="bad_terms")
    return LicenceIssued(licence_id=licence_id, application_id=application.application_id, kind=terms.kind,
                         exporter_id=application.exporter_id, valid_from=start, valid_until=until,
                         quantity_kg=quantity, value=value, currency=application.currency)


@dataclass(frozen=True)
class ShipmentResult:
    shipment_id: str
    licence_id: str
    accepted: bool
    refusal: str
    quantity_kg: Decimal
    value: Decimal
    remaining_kg: Decimal
    remaining_value: Decimal
    alert_id: str | None
    entry_idx: int


def licence_row(uow: UnitOfWork, actor: Approver, licence_id: str) -> Row[Any]:
    if RECORD not in actor.permissions:
        raise Error(f"{actor.username} may not record shipments (needs {RECORD})", code="forbidden",
                    http_status=403)
    row = uow.conn.execute(select(licences).where(licences.c.licence_id == licence_id)).first()
    if row is None or actor.tenant_kind == "authority" or row.tenant not in visible_tenants(uow.conn, actor.tenant):
        raise not_found(f"no licence {licence_id!r}")
    return row


def record_shipment(uow: UnitOfWork, actor: Approver, licence_id: str, quantity: Decimal, value: Decimal, *,
                    shipped_on: date, unit: str = "kg") -> ShipmentResult:
    """Draw a shipment down against a licence, or record its refusal and raise an alert (see the module doc)."""
    problems = []
    if unit not in UNIT_KG:
        problems.append(Detail(f"unknown unit {unit!r}; kg or t", "unit"))
    if not quantity.is_finite() or quantity <= 0:
        problems.append(Detail(f"the quantity {quantity} must be more than zero", "quantity"))
    if not value.is_finite() or value < 0:
        problems.append(Detail(f"the value {value} is negative", "value"))
    if problems:
        raise invalid(f"the shipment is not valid: {problems[0].location}: {problems[0].message}", *problems,
                      code="bad_shipment")
    row = licence_row(uow, actor, licence_id)
    kg = quantity * UNIT_KG[unit]
    left_kg, left_value = Decimal(row.remaining_kg), Decimal(row.remaining_value)
    refusal = _refusal(row, kg, value, shipped_on, left_kg, left_value)
    shipment_id = new_id("SH")
    alert_id = None
    if refusal:
        alert_id = raise_alert(
            uow, tenant=row.tenant, kind="licensing.shipment.refused", subject=licence_id, severity="high",
            message=f"shipment of {kg} kg refused against licence {licence_id}: {refusal}",
            evidence={"licence_id": licence_id, "shipment_id": shipment_id, "quantity_kg": str(kg),
                      "value": str(value), "shipped_on": shipped_on.isoformat(), "remaining_kg": str(left_kg),
                      "remaining_value": str(left_value), "valid_until": row.valid_until.isoformat()},
            dedupe_key=f"licensing.shipment.refused:{shipment_id}", actor=actor.username)
    else:
        left_kg, left_value = left_kg - kg, left_value - value
    body = ShipmentRecorded(licence_id=licence_id, shipment_id=shipment_id, shipped_on=shipped_on, quantity_kg=kg,
                            value=value, accepted=not refusal, refusal=refusal, remaining_kg=left_kg,
                            remaining_value=left_value, alert_id=alert_id)
    kind = "licensing.shipment.refused" if refusal else "licensing.shipment.recorded"
    index = uow.record(Event(kind=kind, tenant=row.tenant, actor=actor.username,
                             subjects=(shipment_id, licence_id), body=body.model_dump(mode="json")))
    return ShipmentResult(shipment_id, licence_id, not refusal, refusal, kg, value, left_kg, left_value, alert_id,
                          index)


def _refusal(row: Row[Any], kg: Decimal, value: Decimal, on: date, left_kg: Decimal, left_value: Decimal) -> str:
    if on < row.valid_from:
        return f"the licence is valid from {row.valid_from}; the shipment is dated {on}"
    if on > row.valid_until:
        return f"the licence expired on {row.valid_until}; the shipment is dated {on}"
    if kg > left_kg:
        return f"{kg} kg is more than the {left_kg} kg remaining on the licence"
    if value > left_value:
        return f"the value {value} {row.currency} is more than the {left_value} {row.currency} remaining"
    return ""
