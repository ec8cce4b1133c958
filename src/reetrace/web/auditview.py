"""The audit trail: ``audit.access`` events of the tenants one may see, newest first, filtered and paged.

Rows come from the ``audit_trail`` projection (indexed by tenant and entry index) through the scoped reader; the
log entries themselves remain the record, and each row links to its entry.
"""

from __future__ import annotations

from datetime import UTC, datetime

from pydantic import BaseModel
from sqlalchemy import or_, select

from reetrace.authz.tables import audit_trail
from reetrace.web.deps import Scoped

ACTIONS = ("access.denied", "personal_data.read", "session.login", "session.logout", "login.failed")


class AuditRow(BaseModel):
    index: int
    occurred_at: datetime
    tenant: str | None
    action: str
    user_id: str | None
    username: str | None
    target: str
    permission: str | None
    reason: str
    ip: str
    method: str


class AuditPage(BaseModel):
    events: list[AuditRow]
    next_before: int | None  # pass as ``before`` for the next (older) page; None at the start of the log


def audit_page(scoped: Scoped, action: str | None, user: str | None, limit: int, before: int | None) -> AuditPage:
    t = audit_trail.c
    query = select(audit_trail).order_by(t.entry_idx.desc()).limit(limit + 1)
    if action:
        query = query.where(t.action == action)
    if user:
        query = query.where(or_(t.username == user, t.user_id == user))
    if before is not None:
        query = query.where(t.entry_idx < before)
    rows = [AuditRow(index=r.entry_idx, **{k: _aware(v) for k, v in r._mapping.items() if k != "entry_idx"})
            for r in scoped.all(query)]
    if len(rows) > limit:
        return AuditPage(events=rows[:limit], next_before=rows[limit - 1].index)
    return AuditPage(events=rows, next_before=None)


def _aware(value: object) -> object:
    """SQLite hands back naive datetimes; every time reetrace stores is UTC."""
    if isinstance(value, datetime) and value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value
