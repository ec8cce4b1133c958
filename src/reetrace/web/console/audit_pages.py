"""The audit trail in the console: who read personal data, who was refused, logins; filtered and paged."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse

from reetrace.web.access import require
from reetrace.web.auditview import ACTIONS, audit_page
from reetrace.web.console.render import render
from reetrace.web.deps import Visible
from reetrace.web.logview import MAX_INDEX

router = APIRouter(include_in_schema=False)
PAGE = 50
Action = Literal["", "access.denied", "personal_data.read", "session.login", "session.logout", "login.failed"]


@router.get("/audit", response_class=HTMLResponse, **require("audit:trail:read"))
def audit_trail(request: Request, scoped: Visible, action: Action = "",
                user: Annotated[str, Query(max_length=64)] = "",
                before: Annotated[int | None, Query(ge=0, le=MAX_INDEX)] = None) -> HTMLResponse:
    page = audit_page(scoped, action or None, user.strip() or None, PAGE, before)
    context = {"page": "audit", "events": page.events, "next_before": page.next_before, "action": action,
               "user": user, "actions": ACTIONS, "first_page": before is None}
    return render(request, "audit.html", context)
