"""Console pages of the registry: enterprises, one enterprise with permits and contacts, the audited reveal."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import HTMLResponse

from reetrace.web import registryview as registry
from reetrace.web.access import require
from reetrace.web.console.render import render
from reetrace.web.deps import Visible

router = APIRouter(include_in_schema=False)
READ = require("registry:enterprise:read")
PAGE = 100


@router.get("/registry/enterprises", response_class=HTMLResponse, **READ)
def enterprises_page(request: Request, scoped: Visible,
                     offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0) -> HTMLResponse:
    listing = registry.list_enterprises(scoped, PAGE, offset)
    context = {"page": "enterprises", "listing": listing, "offset": offset, "limit": PAGE}
    return render(request, "enterprises.html", context)


@router.get("/registry/enterprises/{enterprise_id}", response_class=HTMLResponse, **READ)
def enterprise_page(request: Request, scoped: Visible,
                    enterprise_id: Annotated[str, Path(pattern=registry.ENTERPRISE_ID)]) -> HTMLResponse:
    detail = registry.enterprise_detail(scoped, enterprise_id)
    return render(request, "enterprise.html", {"page": "enterprises", "detail": detail, "revealed": None})


@router.post("/registry/contacts/{subject_id}/reveal", response_class=HTMLResponse,
             **require("personal:data:read"))
def reveal_page(request: Request, scoped: Visible,
                subject_id: Annotated[str, Path(pattern=registry.SUBJECT_ID)]) -> HTMLResponse:
    """The enterprise page again, with this contact's name and phone shown (after the audit event)."""
    revealed = registry.reveal_contact(request, scoped, subject_id)
    detail = registry.enterprise_detail(scoped, revealed.enterprise_id)
    context = {"page": "enterprises", "detail": detail, "revealed": revealed}
    return render(request, "enterprise.html", context, headers={"Cache-Control": "no-store"})
