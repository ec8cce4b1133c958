"""The audit trail: ``audit.access`` events of the tenants one may see, newest first, filtered and paged.

Audit events are log entries; the page scans them backwards from ``before`` (an entry index) through the scoped
reader and decodes each. A page stops after :data:`MAX_SCAN` entries even when the filters matched fewer than
``limit``; ``next_before`` then continues the scan.
"""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel
from sqlalchemy import select

from reetrace.authz.models import AccessAudited
from reetrace.events import event_from_entry
from reetrace.storage.tables import log_entries
from reetrace.web.deps import Scoped

AUDIT_KIND = "audit.access"
ACTIONS = ("access.denied", "personal_data.read", "session.login", "session.logout", "login.failed")
BATCH = 500
MAX_SCAN = 20_000


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


def _row(index: int, tenant: str | None, entry: bytes) -> AuditRow:
    event = event_from_entry(entry)
    body = AccessAudited.model_validate(event.body)
    return AuditRow(index=index, occurred_at=event.occurred_at, tenant=tenant, **body.model_dump())


def _matches(row: AuditRow, action: str | None, user: str | None) -> bool:
    return (not action or row.action == action) and (not user or user in (row.username, row.user_id))


def audit_page(scoped: Scoped, action: str | None, user: str | None, limit: int, before: int | None) -> AuditPage:
    found: list[AuditRow] = []
    cursor, scanned = before, 0
    while len(found) <= limit and scanned < MAX_SCAN:
        query = select(log_entries.c.idx, log_entries.c.tenant, log_entries.c.entry).where(
            log_entries.c.kind == AUDIT_KIND)
        if cursor is not None:
            query = query.where(log_entries.c.idx < cursor)
        batch = scoped.all(query.order_by(log_entries.c.idx.desc()).limit(BATCH))
        for idx, tenant, entry in batch:
            row = _row(int(idx), tenant, bytes(entry))
            if _matches(row, action, user):
                found.append(row)
        scanned += len(batch)
        if len(batch) < BATCH:
            cursor = None
            break
        cursor = int(batch[-1].idx)
    if len(found) > limit:
        return AuditPage(events=found[:limit], next_before=found[limit - 1].index)
    return AuditPage(events=found, next_before=cursor)
