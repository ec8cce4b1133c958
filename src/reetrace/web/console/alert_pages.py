"""Console pages of alerts: the open alerts one may see, one alert with its evidence, and the resolve form."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Form, Path, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from reetrace.web import watchview as watch
from reetrace.web.access import require
from reetrace.web.console.render import render
from reetrace.web.deps import Visible

router = APIRouter(include_in_schema=False)
READ = require("alerts:alert:read")
AlertId = Annotated[str, Path(pattern=watch.ALERT_ID)]


@router.get("/alerts", response_class=HTMLResponse, **READ)
def alerts_page(request: Request, scoped: Visible,
                kind: Annotated[str, Query(pattern=r"^([a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+)?$", max_length=100)] = ""
                ) -> HTMLResponse:
    listing = watch.alert_list(scoped, kind or None, limit=200)
    return render(request, "alerts.html", {"page": "alerts", "alerts": listing.alerts, "kind": kind, "alert": None})


@router.get("/alerts/{alert_id}", response_class=HTMLResponse, **READ)
def alert_page(request: Request, scoped: Visible, alert_id: AlertId,
               notice: Literal["resolved"] | None = None) -> HTMLResponse:
    context = {"page": "alerts", "alert": watch.alert(scoped, alert_id), "notice": notice}
    return render(request, "alerts.html", context)


@router.post("/alerts/{alert_id}/resolve", **require("alerts:alert:resolve"))
def resolve(request: Request, scoped: Visible, alert_id: AlertId,
            reason: Annotated[str, Form(min_length=1, max_length=1000)]) -> Response:
    watch.resolve(request, scoped, alert_id, watch.ResolveInput(reason=reason))
    return RedirectResponse(f"/alerts/{alert_id}?notice=resolved", status_code=303)
