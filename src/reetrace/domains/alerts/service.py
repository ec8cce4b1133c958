"""Raising and resolving alerts. Every alert is an ``alert.raised`` event; the ``alerts`` table is its projection."""

from __future__ import annotations

import uuid
from collections.abc import Collection, Sequence
from typing import Any

from sqlalchemy import Connection, insert, select, update

from reetrace.errors import Error, invalid, not_found
from reetrace.events import Event, EventKind, canonical_json
from reetrace.storage.ledger import UnitOfWork

from .models import SEVERITIES, AlertRaised, AlertResolved
from .tables import alerts


def new_alert_id() -> str:
    return "A-" + uuid.uuid4().hex[:16].upper()


def raise_alert(uow: UnitOfWork, *, tenant: str, kind: str, subject: str, severity: str, message: str,
                evidence: dict[str, Any], dedupe_key: str, actor: str = "system") -> str | None:
    """Record an alert unless one with the same ``dedupe_key`` is still open; returns its id, or None if deduped."""
    if severity not in SEVERITIES:
        raise invalid(f"severity {severity!r} is not one of {', '.join(SEVERITIES)}", code="invalid")
    if open_alert_id(uow.conn, dedupe_key) is not None:
        return None
    alert_id = new_alert_id()
    body = {"alert_id": alert_id, "alert_kind": kind, "severity": severity, "subject": subject, "message": message,
            "evidence": evidence, "dedupe_key": dedupe_key}  # validated as AlertRaised by the ledger (400 if bad)
    uow.record(Event(kind="alert.raised", tenant=tenant, actor=actor, subjects=(alert_id, subject), body=body))
    return alert_id


def resolve_alert(uow: UnitOfWork, alert_id: str, actor: str, reason: str,
                  tenants: Collection[str] | None = None) -> int:
    """Close an open alert with a reason; ``tenants`` (the caller's scope), when given, must hold the alert's."""
    row = uow.conn.execute(select(alerts.c.tenant, alerts.c.status, alerts.c.subject)
                           .where(alerts.c.alert_id == alert_id)).one_or_none()
    if row is None or (tenants is not None and row.tenant not in tenants):
        raise not_found(f"no alert {alert_id!r}")
    if row.status != "open":
        raise Error(f"alert {alert_id} is already resolved", code="conflict", http_status=409)
    body = {"alert_id": alert_id, "reason": reason}  # validated as AlertResolved by the ledger
    return uow.record(Event(kind="alert.resolved", tenant=row.tenant, actor=actor, subjects=(alert_id, row.subject),
                            body=body))


def open_alert_id(conn: Connection, dedupe_key: str) -> str | None:
    found = conn.execute(select(alerts.c.alert_id).where(alerts.c.dedupe_key == dedupe_key,
                                                         alerts.c.status == "open").limit(1)).scalar_one_or_none()
    return None if found is None else str(found)


Items = Sequence[tuple[Event, int]]


def _raised(conn: Connection, items: Items) -> None:
    rows = []
    for event, index in items:
        body = AlertRaised.model_validate(event.body)
        rows.append({"alert_id": body.alert_id, "tenant": event.tenant, "kind": body.alert_kind,
                     "severity": body.severity, "subject": body.subject, "message": body.message,
                     "evidence": canonical_json(body.evidence, "evidence").decode("utf-8"),  # as on the log
                     "raised_at": event.occurred_at, "status": "open", "dedupe_key": body.dedupe_key,
                     "entry_idx": index, "resolved_at": None, "resolved_by": None, "resolution": None})
    conn.execute(insert(alerts), rows)


def _resolved(conn: Connection, items: Items) -> None:
    for event, _ in items:
        body = AlertResolved.model_validate(event.body)
        conn.execute(update(alerts).where(alerts.c.alert_id == body.alert_id).values(
            status="resolved", resolved_at=event.occurred_at, resolved_by=event.actor, resolution=body.reason))


KINDS = [
    EventKind("alert.raised", AlertRaised, _raised, "a finding that needs attention (kind, severity, evidence)"),
    EventKind("alert.resolved", AlertResolved, _resolved, "an alert is closed, with the reason"),
]
