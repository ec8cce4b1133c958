"""Reads of alerts, through a scoped reader (a request) or a plain connection (jobs, tests)."""

from __future__ import annotations

import json
from typing import Any, Protocol

from sqlalchemy import CursorResult, Row, Select, select

from .models import Alert
from .tables import alerts


class Reader(Protocol):
    """A ``sqlalchemy.Connection`` or a :class:`reetrace.authz.scope.ScopedReader`."""

    def execute(self, statement: Select[Any], /) -> CursorResult[Any]: ...


def open_alerts(reader: Reader, limit: int = 50, kind: str | None = None, subject: str | None = None) -> list[Alert]:
    """Open alerts, newest first; optionally of one kind or about one subject."""
    query = select(alerts).where(alerts.c.status == "open")
    if kind is not None:
        query = query.where(alerts.c.kind == kind)
    if subject is not None:
        query = query.where(alerts.c.subject == subject)
    return [_alert(r) for r in reader.execute(query.order_by(alerts.c.entry_idx.desc()).limit(limit))]


def alerts_about(reader: Reader, subject: str, limit: int = 100) -> list[Alert]:
    """Every alert (open or resolved) about one subject, newest first."""
    query = select(alerts).where(alerts.c.subject == subject).order_by(alerts.c.entry_idx.desc()).limit(limit)
    return [_alert(r) for r in reader.execute(query)]


def get_alert(reader: Reader, alert_id: str) -> Alert | None:
    row = reader.execute(select(alerts).where(alerts.c.alert_id == alert_id)).first()
    return None if row is None else _alert(row)


def _alert(row: Row[Any]) -> Alert:
    m = row._mapping
    return Alert(alert_id=m["alert_id"], tenant=m["tenant"], kind=m["kind"], severity=m["severity"],
                 subject=m["subject"], message=m["message"], evidence=json.loads(m["evidence"]),
                 raised_at=m["raised_at"], status=m["status"], dedupe_key=m["dedupe_key"],
                 entry_idx=int(m["entry_idx"]), resolved_at=m["resolved_at"], resolved_by=m["resolved_by"],
                 resolution=m["resolution"])
