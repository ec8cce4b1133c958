"""Console pages for travel and passport custody: the queue, the submission form, a request with its approval
chain (and the forms to act, cancel, debrief and reveal the declarations), and the passports in custody.

Forms work without JavaScript: each posts back and, when it worked, redirects (303) to the page it changed with a
``notice``. Bad input re-renders the form (status 400) with each problem next to its field.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Form, Path, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError

from reetrace.domains.personnel.travel_models import DOCUMENT_TYPES, DebriefInput, DocumentInput, TravelRequestInput
from reetrace.errors import Error
from reetrace.web import travelview as view
from reetrace.web.access import require
from reetrace.web.console.render import render
from reetrace.web.deps import Visible

router = APIRouter(include_in_schema=False)
READ = require("personnel:travel:read")
REQUEST = require("personnel:travel:request")
CUSTODY = require("personnel:passport:custody")
RequestId = Annotated[str, Path(pattern=view.REQUEST_ID)]
DocumentId = Annotated[str, Path(pattern=view.DOCUMENT_ID)]
Text = Annotated[str, Form(max_length=2000)]
Rows = Annotated[list[str], Form(max_length=20)]
Notice = Annotated[Literal["submitted", "acted", "cancelled", "debriefed", "deposited", "checked-out",
                           "checked-in"] | None, Query()]
ROWS = 3  # empty rows of foreign contacts and family ties on the submission form
NO_STORE = {"Cache-Control": "no-store"}


def done(url: str, notice: str) -> RedirectResponse:
    return RedirectResponse(f"{url}?notice={notice}", status_code=303)


def field_errors(exc: ValidationError | Error) -> dict[str, str]:
    """Problems by form field: ``foreign_contacts.0.name`` -> ``foreign_contacts``; ``destinations[1]`` ->
    ``destinations``."""
    if isinstance(exc, Error):
        return view.as_details(exc) or {"": exc.message}
    found: dict[str, str] = {}
    for e in exc.errors():
        loc = e.get("loc", ())
        found.setdefault(str(loc[0]) if loc else "", str(e.get("msg", "invalid value")))
    return found


def _rows(*columns: list[str], keep: list[str] | None = None) -> list[tuple[str, ...]]:
    """Repeated form rows with something typed in them (rows left empty are dropped); ``keep``: a column that
    goes along (the last value of each row) without making a row count as filled in (a select's default)."""
    width = max((len(c) for c in columns), default=0)
    padded = [c + [""] * (width - len(c)) for c in columns]
    extra = (keep or []) + [""] * (width - len(keep or []))
    return [(*row, extra[n]) if keep is not None else row for n, row in enumerate(zip(*padded, strict=True))
            if any(v.strip() for v in row)]


# --- the queue and one request ------------------------------------------------------------------------------


@router.get("/personnel/travel", response_class=HTMLResponse, **READ)
def queue_page(request: Request, scoped: Visible, status: view.TravelStatus | None = None,
               awaiting: bool = False) -> HTMLResponse:
    listing = view.list_travel(request, scoped, status=status, awaiting_me=awaiting, limit=200)
    context = {"page": "travel", "listing": listing, "status": status, "awaiting": awaiting,
               "statuses": ("pending", "approved", "refused", "cancelled", "completed")}
    return render(request, "travel_queue.html", context)


def new_context(values: dict[str, Any], errors: dict[str, str], request: Request) -> dict[str, Any]:
    return {"page": "travel", "values": values, "errors": errors, "rows": ROWS,
            "purposes": view.policy_of(request).purposes}


@router.get("/personnel/travel/new", response_class=HTMLResponse, **REQUEST)
def new_page(request: Request, scoped: Visible,
             person: Annotated[str, Query(pattern=view.PERSON_ID)] = "") -> HTMLResponse:
    return render(request, "travel_new.html", new_context({"person_id": person}, {}, request))


@router.post("/personnel/travel/new", **REQUEST)
def submit_form(request: Request, scoped: Visible, person_id: Annotated[str, Form(max_length=100)] = "",
                destinations: Annotated[str, Form(max_length=200)] = "", depart_on: Text = "",
                return_on: Text = "", purpose: Annotated[str, Form(max_length=64)] = "",
                inviting_organisation: Annotated[str, Form(max_length=300)] = "",
                contact_name: Rows = [], contact_organisation: Rows = [], contact_country: Rows = [],  # noqa: B006
                contact_relation: Rows = [], tie_relation: Rows = [], tie_country: Rows = [],  # noqa: B006
                tie_kind: Rows = [], tie_name: Rows = []) -> Response:  # noqa: B006
    values: dict[str, Any] = {
        "person_id": person_id.strip(), "destinations": destinations, "depart_on": depart_on or None,
        "return_on": return_on or None, "purpose": purpose, "inviting_organisation": inviting_organisation.strip(),
        "foreign_contacts": [{"name": n, "organisation": o, "country": c, "relation": r}
                             for n, o, c, r in _rows(contact_name, contact_organisation, contact_country,
                                                     contact_relation)],
        "family_foreign_ties": [{"relation": r, "country": c, "kind": k or "residence", "name": n}
                                for r, c, n, k in _rows(tie_relation, tie_country, tie_name, keep=tie_kind)]}
    try:
        form = TravelRequestInput.model_validate(values)
        made = view.submit(request, scoped, form)
    except (ValidationError, Error) as exc:
        if isinstance(exc, Error) and exc.http_status not in (400, 404):
            raise
        errors = field_errors(exc)
        if isinstance(exc, Error) and exc.code == "not_found":
            errors = {"person_id": exc.message}
        return render(request, "travel_new.html", new_context(values, errors, request), status_code=400)
    return done(f"/personnel/travel/{made.request_id}", "submitted")


def detail_context(request: Request, scoped: Visible, request_id: str, notice: str | None = None,
                   **extra: Any) -> dict[str, Any]:
    found = view.travel_detail(request, scoped, request_id)
    today = view.today()
    return {"page": "travel", "r": found, "notice": notice, "today": today, "act_error": None,
            "debrief_errors": {}, "debrief_values": None, "revealed": None,
            "act_route": view.LEVEL_ROUTE.get(found.next_level or ""),
            "may_debrief": found.status == "approved" and found.return_on <= today, **extra}


@router.get("/personnel/travel/{request_id}", response_class=HTMLResponse, **READ)
def request_page(request: Request, scoped: Visible, request_id: RequestId, notice: Notice = None) -> HTMLResponse:
    return render(request, "travel_detail.html", detail_context(request, scoped, request_id, notice))


def _act(request: Request, scoped: Visible, request_id: str, level: str, decision: str, reason: str) -> Response:
    try:
        view.act(request, scoped, request_id, level, decision, reason)
    except Error as exc:
        if exc.http_status != 400:
            raise
        context = detail_context(request, scoped, request_id, act_error=exc.message)
        return render(request, "travel_detail.html", context, status_code=400)
    return done(f"/personnel/travel/{request_id}", "acted")


Decision = Annotated[Literal["approve", "refuse"], Form()]


@router.post("/personnel/travel/{request_id}/approve", **require("personnel:travel:approve"))
def approve_form(request: Request, scoped: Visible, request_id: RequestId, decision: Decision,
                 reason: Text = "") -> Response:
    return _act(request, scoped, request_id, "enterprise", decision, reason)


@router.post("/personnel/travel/{request_id}/endorse", **require("personnel:travel:endorse"))
def endorse_form(request: Request, scoped: Visible, request_id: RequestId, decision: Decision,
                 reason: Text = "") -> Response:
    return _act(request, scoped, request_id, "group", decision, reason)


@router.post("/personnel/travel/{request_id}/authorise", **require("personnel:travel:authorise"))
def authorise_form(request: Request, scoped: Visible, request_id: RequestId, decision: Decision,
                   reason: Text = "") -> Response:
    return _act(request, scoped, request_id, "authority", decision, reason)


@router.post("/personnel/travel/{request_id}/cancel", **REQUEST)
def cancel_form(request: Request, scoped: Visible, request_id: RequestId,
                reason: Annotated[str, Form(min_length=1, max_length=2000)]) -> Response:
    view.cancel(request, scoped, request_id, reason)
    return done(f"/personnel/travel/{request_id}", "cancelled")


@router.post("/personnel/travel/{request_id}/debrief", **require("personnel:debrief:record"))
def debrief_form(request: Request, scoped: Visible, request_id: RequestId,
                 actual_destinations: Annotated[str, Form(max_length=200)] = "", actual_return_on: Text = "",
                 notes: Text = "") -> Response:
    values = {"actual_destinations": actual_destinations, "actual_return_on": actual_return_on or None,
              "notes": notes.strip()}
    try:
        view.debrief(request, scoped, request_id, DebriefInput.model_validate(values))
    except (ValidationError, Error) as exc:
        if isinstance(exc, Error) and exc.http_status != 400:
            raise
        context = detail_context(request, scoped, request_id, debrief_errors=field_errors(exc),
                                 debrief_values=values)
        return render(request, "travel_detail.html", context, status_code=400)
    return done(f"/personnel/travel/{request_id}", "debriefed")


@router.post("/personnel/travel/{request_id}/declarations", response_class=HTMLResponse,
             **require("personal:data:read"))
def declarations_page(request: Request, scoped: Visible, request_id: RequestId) -> HTMLResponse:
    """The request page again, with the declarations shown (after the audit event)."""
    revealed = view.reveal_declarations(request, scoped, request_id)
    context = detail_context(request, scoped, request_id, revealed=revealed)
    return render(request, "travel_detail.html", context, headers=NO_STORE)


# --- passports ----------------------------------------------------------------------------------------------


def passports_context(scoped: Visible, status: str | None, values: dict[str, Any] | None = None,
                      errors: dict[str, str] | None = None) -> dict[str, Any]:
    return {"page": "passports", "listing": view.list_documents(scoped, status=status), "status": status,
            "doc_types": DOCUMENT_TYPES, "values": values or {}, "errors": errors or {}, "notice": None}


@router.get("/personnel/passports", response_class=HTMLResponse, **CUSTODY)
def passports_page(request: Request, scoped: Visible, status: view.DocumentStatus | None = None,
                   notice: Notice = None) -> HTMLResponse:
    return render(request, "passports.html", {**passports_context(scoped, status), "notice": notice})


@router.post("/personnel/passports", **CUSTODY)
def deposit_form(request: Request, scoped: Visible, person_id: Annotated[str, Form(max_length=100)] = "",
                 doc_type: Annotated[str, Form(max_length=32)] = "", number: Annotated[str, Form(max_length=40)] = "",
                 expires_on: Text = "") -> Response:
    values = {"person_id": person_id.strip(), "doc_type": doc_type, "number": number, "expires_on": expires_on or None}
    try:
        made = view.deposit(request, scoped, DocumentInput.model_validate(values))
    except (ValidationError, Error) as exc:
        if isinstance(exc, Error) and exc.http_status not in (400, 404, 409):
            raise
        errors = field_errors(exc)
        if isinstance(exc, Error) and exc.code == "not_found":
            errors = {"person_id": exc.message}
        context = passports_context(scoped, None, values, errors)
        status = 409 if isinstance(exc, Error) and exc.http_status == 409 else 400
        return render(request, "passports.html", context, status_code=status, headers=NO_STORE)
    return done(f"/personnel/passports/{made.document_id}", "deposited")


def passport_context(request: Request, scoped: Visible, document_id: str, notice: str | None = None,
                     **extra: Any) -> dict[str, Any]:
    detail = view.document_detail(scoped, document_id)
    trips = [] if detail.document.status == "out" else [
        r for r in view.list_travel(request, scoped, status="approved", person_id=detail.document.person_id,
                                    limit=50).requests if r.return_on >= view.today()]
    return {"page": "passports", "detail": detail, "trips": trips, "notice": notice, "number": None,
            "custody_error": None, **extra}


@router.get("/personnel/passports/{document_id}", response_class=HTMLResponse, **CUSTODY)
def passport_page(request: Request, scoped: Visible, document_id: DocumentId, notice: Notice = None) -> HTMLResponse:
    return render(request, "passport_detail.html", passport_context(request, scoped, document_id, notice))


@router.post("/personnel/passports/{document_id}/check-out", **CUSTODY)
def check_out_form(request: Request, scoped: Visible, document_id: DocumentId,
                   request_id: Annotated[str, Form(pattern=view.REQUEST_ID)]) -> Response:
    try:
        view.check_out(request, scoped, document_id, request_id)
    except Error as exc:
        if exc.http_status != 409:
            raise
        context = passport_context(request, scoped, document_id, custody_error=exc.message)
        return render(request, "passport_detail.html", context, status_code=409)
    return done(f"/personnel/passports/{document_id}", "checked-out")


@router.post("/personnel/passports/{document_id}/check-in", **CUSTODY)
def check_in_form(request: Request, scoped: Visible, document_id: DocumentId) -> Response:
    view.check_in(request, scoped, document_id)
    return done(f"/personnel/passports/{document_id}", "checked-in")


@router.post("/personnel/passports/{document_id}/reveal", response_class=HTMLResponse,
             **require("personal:data:read"))
def reveal_number_page(request: Request, scoped: Visible, document_id: DocumentId) -> HTMLResponse:
    number = view.reveal_number(request, scoped, document_id)
    context = passport_context(request, scoped, document_id, number=number.number)
    return render(request, "passport_detail.html", context, headers=NO_STORE)
