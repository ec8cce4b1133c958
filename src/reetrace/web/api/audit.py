"""``/api/v1/audit``: the audit trail (reads of personal data, denied requests, logins) of the visible tenants."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query

from reetrace.web.access import require
from reetrace.web.api.common import ERROR_RESPONSES
from reetrace.web.auditview import AuditPage, audit_page
from reetrace.web.deps import Visible
from reetrace.web.logview import MAX_INDEX

router = APIRouter(prefix="/api/v1", tags=["audit"], responses=ERROR_RESPONSES)
Action = Literal["access.denied", "personal_data.read", "session.login", "session.logout", "login.failed"]


@router.get("/audit", **require("audit:trail:read"))
def audit(scoped: Visible, action: Action | None = None,
          user: Annotated[str | None, Query(max_length=64, description="A username or user id")] = None,
          limit: Annotated[int, Query(ge=1, le=200)] = 50,
          before: Annotated[int | None, Query(ge=0, le=MAX_INDEX, description="Older than this entry")] = None,
          ) -> AuditPage:
    """Audit events newest first; ``next_before`` pages back."""
    return audit_page(scoped, action, user, limit, before)
