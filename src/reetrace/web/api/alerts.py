"""``/api/v1/alerts``: open alerts of the tenants one may see, one alert with its evidence, resolving one."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Request

from reetrace.web import watchview as watch
from reetrace.web.access import require
from reetrace.web.api.common import ERROR_RESPONSES, ErrorBody
from reetrace.web.deps import Visible

router = APIRouter(prefix="/api/v1/alerts", tags=["alerts"], responses=ERROR_RESPONSES)
AlertId = Annotated[str, Path(pattern=watch.ALERT_ID, description="An alert id, A-...")]


@router.get("", **require("alerts:alert:read"))
def alerts(scoped: Visible, kind: Annotated[str | None, Query(pattern=watch.ALERT_KIND, max_length=100)] = None,
           limit: Annotated[int, Query(ge=1, le=200)] = 50) -> watch.AlertList:
    """Open alerts, newest first; ``kind`` filters, e.g. personnel.watchlist.match."""
    return watch.alert_list(scoped, kind, limit)


@router.get("/{alert_id}", **require("alerts:alert:read"))
def alert(scoped: Visible, alert_id: AlertId) -> watch.Alert:
    """One alert with its evidence and, once resolved, who resolved it and why."""
    return watch.alert(scoped, alert_id)


@router.post("/{alert_id}/resolve", responses={409: {"model": ErrorBody, "description": "Already resolved"}},
             **require("alerts:alert:resolve"))
def resolve(request: Request, scoped: Visible, alert_id: AlertId, form: watch.ResolveInput) -> watch.Resolved:
    """Close an open alert with a reason (on the log)."""
    return watch.resolve(request, scoped, alert_id, form)
