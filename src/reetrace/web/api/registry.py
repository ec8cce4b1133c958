"""``/api/v1/registry``: enterprises with their permits and contacts, and the audited reveal of a contact."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import JSONResponse

from reetrace.web import registryview as registry
from reetrace.web.access import require
from reetrace.web.api.common import ERROR_RESPONSES, ErrorBody
from reetrace.web.deps import Visible

router = APIRouter(prefix="/api/v1/registry", tags=["registry"], responses=ERROR_RESPONSES)
EnterpriseId = Annotated[str, Path(pattern=registry.ENTERPRISE_ID, description="An enterprise id, e.g. NM-BAOTOU-01")]
SubjectId = Annotated[str, Path(pattern=registry.SUBJECT_ID, description="A contact's subject id")]


@router.get("/enterprises", response_model=registry.EnterpriseList, **require("registry:enterprise:read"))
async def list_enterprises(scoped: Visible, limit: Annotated[int, Query(ge=1, le=500)] = 100,
                           offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0) -> JSONResponse:
    """The enterprises of the tenants one may see, by id."""
    # Two indexed reads of a few hundred rows at most, answered from the event loop like the log's entries: a trip
    # to a worker thread for the handler and another for the response's validation cost more than the queries.
    return JSONResponse(registry.list_enterprises(scoped, limit, offset).model_dump(mode="json"))


@router.get("/enterprises/{enterprise_id}", **require("registry:enterprise:read"))
def enterprise(scoped: Visible, enterprise_id: EnterpriseId) -> registry.EnterpriseDetail:
    """One enterprise with its permits and (with ``registry:contact:read``) its contacts as commitments."""
    return registry.enterprise_detail(scoped, enterprise_id)


@router.post("/contacts/{subject_id}/reveal", responses={410: {"model": ErrorBody, "description": "Erased"}},
             **require("personal:data:read"))
def reveal(request: Request, scoped: Visible, subject_id: SubjectId) -> registry.Revealed:
    """Decrypt a contact's name and phone from the vault. Every reveal is an audit event on the log, first."""
    return registry.reveal_contact(request, scoped, subject_id)
