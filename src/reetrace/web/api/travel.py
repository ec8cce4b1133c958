"""``/api/v1/personnel``: travel requests and their approval steps, debriefs, passport custody and the checks.

Each approval level has its own route, guarded by its own permission: ``/approve`` (enterprise level,
``personnel:travel:approve``), ``/endorse`` (group level, ``personnel:travel:endorse``), ``/authorise`` (authority
level, ``personnel:travel:authorise``). ``POST /checks/run`` needs ``alerts:alert:resolve``: running the checks
raises alerts, and those who may resolve alerts are the officers who work them (the security officer, the group's
security office, the authority's supervisor); its report lists only the findings of the caller's tenants.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request

from reetrace.domains.personnel.travel_models import DebriefInput, DocumentInput, TravelRequestInput
from reetrace.web import travelview as view
from reetrace.web.access import require
from reetrace.web.api.common import ERROR_RESPONSES, ErrorBody
from reetrace.web.deps import Visible

router = APIRouter(prefix="/api/v1/personnel", tags=["personnel"], responses=ERROR_RESPONSES)
RequestId = Annotated[str, Path(pattern=view.REQUEST_ID, description="A travel request id: travel-<32 hex>")]
DocumentId = Annotated[str, Path(pattern=view.DOCUMENT_ID, description="A document id: doc-<32 hex>")]
PersonFilter = Annotated[str | None, Query(pattern=view.PERSON_ID, description="Only this person's")]
CONFLICT: dict[int | str, dict[str, Any]] = {409: {"model": ErrorBody, "description": "Not in a state for this"}}
ERASED: dict[int | str, dict[str, Any]] = {410: {"model": ErrorBody, "description": "Erased"}}
CUSTODY = require("personnel:passport:custody")


@router.get("/travel", **require("personnel:travel:read"))
def list_travel(request: Request, scoped: Visible, status: view.TravelStatus | None = None,
                person: PersonFilter = None, awaiting_me: bool = False,
                limit: Annotated[int, Query(ge=1, le=500)] = 100) -> view.TravelList:
    """Travel requests of the tenants one may see, newest first; ``awaiting_me``: those whose next step is mine."""
    return view.list_travel(request, scoped, status=status, person_id=person, awaiting_me=awaiting_me, limit=limit)


@router.post("/travel", status_code=201, **require("personnel:travel:request"))
def submit(request: Request, scoped: Visible, form: TravelRequestInput) -> view.TravelRequestOut:
    """Submit a request; the travel policy derives its approval chain (or refuses it) at once."""
    return view.submit(request, scoped, form)


@router.get("/travel/{request_id}", **require("personnel:travel:read"))
def travel_request(request: Request, scoped: Visible, request_id: RequestId) -> view.TravelRequestOut:
    """One request: approval steps, chain, the policy rule and version, previous trips, debrief."""
    return view.travel_detail(request, scoped, request_id)


@router.post("/travel/{request_id}/approve", responses=CONFLICT, **require("personnel:travel:approve"))
def approve(request: Request, scoped: Visible, request_id: RequestId, step: view.ActInput) -> view.TravelRequestOut:
    """Act at the enterprise level: approve, or refuse with a reason."""
    return view.act(request, scoped, request_id, "enterprise", step.decision, step.reason)


@router.post("/travel/{request_id}/endorse", responses=CONFLICT, **require("personnel:travel:endorse"))
def endorse(request: Request, scoped: Visible, request_id: RequestId, step: view.ActInput) -> view.TravelRequestOut:
    """Act at the group level: approve, or refuse with a reason."""
    return view.act(request, scoped, request_id, "group", step.decision, step.reason)


@router.post("/travel/{request_id}/authorise", responses=CONFLICT, **require("personnel:travel:authorise"))
def authorise(request: Request, scoped: Visible, request_id: RequestId,
              step: view.ActInput) -> view.TravelRequestOut:
    """Act at the authority level: approve, or refuse with a reason."""
    return view.act(request, scoped, request_id, "authority", step.decision, step.reason)


@router.post("/travel/{request_id}/cancel", responses=CONFLICT, **require("personnel:travel:request"))
def cancel(request: Request, scoped: Visible, request_id: RequestId, body: view.CancelInput) -> view.TravelRequestOut:
    """Withdraw a pending or approved request, with a reason."""
    return view.cancel(request, scoped, request_id, body.reason)


@router.post("/travel/{request_id}/debrief", responses=CONFLICT, **require("personnel:debrief:record"))
def debrief(request: Request, scoped: Visible, request_id: RequestId, form: DebriefInput) -> view.TravelRequestOut:
    """Record the debrief after the return; another destination or a later return is a deviation (an alert)."""
    return view.debrief(request, scoped, request_id, form)


@router.post("/travel/{request_id}/declarations/reveal", responses=ERASED, **require("personal:data:read"))
def reveal_declarations(request: Request, scoped: Visible, request_id: RequestId) -> view.Declarations:
    """The declared foreign contacts and family foreign ties in clear; the read is an audit event, first."""
    return view.reveal_declarations(request, scoped, request_id)


@router.get("/passports", **CUSTODY)
def list_passports(scoped: Visible, status: view.DocumentStatus | None = None, person: PersonFilter = None,
                   limit: Annotated[int, Query(ge=1, le=500)] = 200) -> view.DocumentList:
    """Travel documents in custody: held, out, or overdue."""
    return view.list_documents(scoped, status=status, person_id=person, limit=limit)


@router.post("/passports", status_code=201, responses=CONFLICT, **CUSTODY)
def deposit(request: Request, scoped: Visible, form: DocumentInput) -> view.DocumentOut:
    """Take a passport or permit into custody (its number goes to the vault)."""
    return view.deposit(request, scoped, form)


@router.get("/passports/{document_id}", **CUSTODY)
def passport(scoped: Visible, document_id: DocumentId) -> view.DocumentDetail:
    """One document with its movements."""
    return view.document_detail(scoped, document_id)


@router.get("/passports/{document_id}/movements", **CUSTODY)
def movements(scoped: Visible, document_id: DocumentId) -> list[view.MovementOut]:
    """A document's check-outs and check-ins, oldest first."""
    return view.document_detail(scoped, document_id).movements


@router.post("/passports/{document_id}/check-out", responses=CONFLICT, **CUSTODY)
def check_out(request: Request, scoped: Visible, document_id: DocumentId, body: view.CheckOutInput) -> view.DocumentOut:
    """Hand the document out for an approved trip of its holder."""
    return view.check_out(request, scoped, document_id, body.request_id)


@router.post("/passports/{document_id}/check-in", responses=CONFLICT, **CUSTODY)
def check_in(request: Request, scoped: Visible, document_id: DocumentId) -> view.DocumentOut:
    """Take the document back into custody (a late return is recorded as late)."""
    return view.check_in(request, scoped, document_id)


@router.post("/passports/{document_id}/reveal", responses=ERASED, **require("personal:data:read"))
def reveal_number(request: Request, scoped: Visible, document_id: DocumentId) -> view.DocumentNumber:
    """The document number in clear; the read is an audit event, first."""
    return view.reveal_number(request, scoped, document_id)


@router.post("/checks/run", **require("alerts:alert:resolve"))
def run_checks(request: Request, scoped: Visible) -> view.CheckReportOut:
    """Run the travel and custody checks for today; alerts are raised once per finding."""
    return view.run_travel_checks(request, scoped)
