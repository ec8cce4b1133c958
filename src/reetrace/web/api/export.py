"""``/api/v1/export``: classification as of a date, licence applications (the reviewer queue by SLA, one
application with its classification explanation and screening evidence), submission, review steps, answers to
requests for information, licences and shipments drawn down against them.

Who may do what is the domain's rule, on top of each route's permission: an exporter's user submits for an
enterprise of their own tenant and answers requests for information; a reviewer must be a user of an authority
that supervises the applicant's tenant. To anyone else an application or a licence of another tenant does not
exist (an audited 404).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request

from reetrace.web import exportview as view
from reetrace.web.access import require
from reetrace.web.api.common import ERROR_RESPONSES, ErrorBody
from reetrace.web.deps import Visible

router = APIRouter(prefix="/api/v1/export", tags=["export"], responses=ERROR_RESPONSES)
ApplicationId = Annotated[str, Path(pattern=view.APPLICATION_ID, description="An application id: LA-<16 hex>")]
LicenceId = Annotated[str, Path(pattern=view.LICENCE_ID, description="A licence id: LIC-<16 hex>")]
CONFLICT: dict[int | str, dict[str, Any]] = {409: {"model": ErrorBody, "description": "Not in a state for this"}}
READ = require("export:application:read")
APPLICATIONS = "/api/v1/export/applications"


@router.post("/classify", **READ)
def classify(request: Request, scoped: Visible, body: view.ClassifyInput) -> dict[str, Any]:
    """Classify an item as of a date: the verdict, the rules that match (with citations), the reasoning steps and
    what a reviewer must confirm."""
    return view.classify_item(request, body).as_json()


@router.get("/applications", **READ)
def applications(request: Request, scoped: Visible, status: view.Status | None = None, flagged: bool | None = None,
                 exporter: Annotated[str | None, Query(min_length=1, max_length=64)] = None,
                 limit: Annotated[int, Query(ge=1, le=1000)] = 200) -> view.ApplicationList:
    """The reviewer queue: open applications by working days left (overdue first, waiting for an answer last),
    then decided ones, newest first."""
    return view.list_summaries(request, scoped, status=status, flagged=flagged, exporter=exporter, limit=limit)


@router.post("/applications", status_code=201, **require("export:application:submit"))
def submit(request: Request, scoped: Visible, body: view.ApplicationBody) -> view.SubmittedOut:
    """Submit an application (certificates base64-encoded): it is checked, classified as of today, its parties
    and their 50 % owners screened; nothing is stored when anything is wrong. The answer says where it is."""
    application_id = view.submit(request, scoped, body)
    return view.SubmittedOut(application_id=application_id, status="submitted", href=f"{APPLICATIONS}/{application_id}")


@router.get("/applications/{application_id}", **READ)
def application(request: Request, scoped: Visible, application_id: ApplicationId) -> dict[str, Any]:
    """One application: item and classification, parties, screening hits with the listed records, flags, the SLA
    clock, the review steps, the licence and its shipments."""
    return view.application_detail(request, scoped, application_id)


@router.post("/applications/{application_id}/review", responses=CONFLICT, **require("export:application:review"))
def review(request: Request, scoped: Visible, application_id: ApplicationId,
           body: view.ReviewInput) -> view.ReviewOut:
    """A reviewer's step: a note, a request for information (the clock stops), an approval (a licence is issued)
    or a denial, each with its reason."""
    return view.review(request, scoped, application_id, body)


@router.post("/applications/{application_id}/respond", responses=CONFLICT, **require("export:application:submit"))
def respond(request: Request, scoped: Visible, application_id: ApplicationId,
            body: view.AnswerBody) -> view.AnswerOut:
    """The exporter answers the open request for information; the clock runs again and the due date moves."""
    return view.respond(request, scoped, application_id, body)


@router.get("/licences/{licence_id}", **READ)
def licence(scoped: Visible, licence_id: LicenceId) -> view.LicenceOut:
    """A licence, what remains of it and its shipments."""
    return view.licence_out(view.visible_licence(scoped, licence_id))


@router.post("/licences/{licence_id}/shipments", status_code=201, **require("export:shipment:record"))
def ship(request: Request, scoped: Visible, licence_id: LicenceId,
         body: view.ShipmentInput) -> view.ShipmentResultOut:
    """A shipment against a licence: drawn down, or refused (recorded, with an alert) when beyond the licence."""
    return view.ship(request, scoped, licence_id, body)
