"""Console pages for export control: the classification form with its explanation, the reviewer queue ordered by
the SLA clock, the application form (certificates uploaded as files), one application with its classification
explanation and the screening hits side by side with the listed party's record, the review forms, the answer to a
request for information, and the licence with its draw-down.

Forms work without JavaScript: each posts back and, when it worked, redirects (303) to the page it changed with a
``notice``. Bad input re-renders the form (status 400) with each problem next to its field.
"""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

from fastapi import APIRouter, File, Form, Path, Query, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError

from reetrace.domains.licensing.application_models import (
    MAX_CERTIFICATE_BYTES,
    AnswerInput,
    ApplicationInput,
    LicenceTerms,
    parse_model,
)
from reetrace.domains.licensing.controllist import FORMS
from reetrace.errors import Detail, Error, invalid
from reetrace.web import exportview as view
from reetrace.web.access import require
from reetrace.web.console.render import render
from reetrace.web.deps import Visible

router = APIRouter(include_in_schema=False)
READ = require("export:application:read")
SUBMIT = require("export:application:submit")
ApplicationId = Annotated[str, Path(pattern=view.APPLICATION_ID)]
LicenceId = Annotated[str, Path(pattern=view.LICENCE_ID)]
Short = Annotated[str, Form(max_length=300)]
Long = Annotated[str, Form(max_length=4000)]
Upload = Annotated[UploadFile | None, File()]
Notice = Annotated[Literal["submitted", "reviewed", "answered", "shipped", "refused"] | None, Query()]
STATUSES = ("submitted", "under_review", "awaiting_information", "approved", "denied")
COMPONENT = re.compile(r"^\s*([A-Za-z]{1,2})\s*[=:]?\s*([0-9]+(?:\.[0-9]+)?)\s*%?\s*$")


def done(url: str, notice: str) -> RedirectResponse:
    return RedirectResponse(f"{url}?notice={notice}", status_code=303)


def field_errors(exc: ValidationError | Error) -> dict[str, str]:
    if isinstance(exc, Error):
        return view.as_details(exc) or {"": exc.message}
    found: dict[str, str] = {}
    for e in exc.errors():
        loc = e.get("loc", ())
        found.setdefault(str(loc[0]) if loc else "", str(e.get("msg", "invalid value")))
    return found


def composition(text: str) -> dict[str, float]:
    """``"Dy=87, Fe 10"`` as element -> mass percent; raises a ``bad_item`` error naming the part."""
    out: dict[str, float] = {}
    for part in filter(None, (p.strip() for p in re.split(r"[,;\n]", text))):
        found = COMPONENT.match(part)
        if found is None:
            raise invalid(f"composition: {part!r} is not 'symbol=percent'",
                          Detail(f"{part!r} is not 'symbol=percent' (e.g. Dy=87)", "item.composition"),
                          code="bad_item")
        out[found.group(1)] = float(found.group(2))
    return out


def item_values(description: str, hs_code: str, form: str, composition_text: str, value: str,
                currency: str) -> dict[str, Any]:
    item: dict[str, Any] = {"description": description.strip(), "hs_code": hs_code.strip() or None, "form": form,
                            "composition": composition(composition_text), "currency": currency.strip() or "USD"}
    if value.strip():
        item["value"] = value.strip()
    return item


# --- classification -----------------------------------------------------------------------------------------------


def classify_context(values: dict[str, str], errors: dict[str, str], result: Any = None) -> dict[str, Any]:
    return {"page": "export", "values": values, "errors": errors, "forms": FORMS, "result": result,
            "today": view.today()}


@router.get("/export/classify", response_class=HTMLResponse, **READ)
def classify_page(request: Request, scoped: Visible) -> HTMLResponse:
    return render(request, "export_classify.html", classify_context({"form": "oxide"}, {}))


@router.post("/export/classify", response_class=HTMLResponse, **READ)
def classify_form(request: Request, scoped: Visible, description: Long = "", hs_code: Short = "",
                  form: Short = "", composition: Short = "", value: Short = "", currency: Short = "USD",
                  as_of: Short = "") -> HTMLResponse:
    values = {"description": description, "hs_code": hs_code, "form": form, "composition": composition,
              "value": value, "currency": currency, "as_of": as_of}
    try:
        body = view.ClassifyInput.model_validate({"item": item_values(description, hs_code, form, composition,
                                                                      value, currency), "as_of": as_of or None})
        result = view.classify_item(request, body)
    except (ValidationError, Error) as exc:
        if isinstance(exc, Error) and exc.http_status != 400:
            raise
        return render(request, "export_classify.html", classify_context(values, field_errors(exc)),
                      status_code=400)
    return render(request, "export_classify.html", classify_context(values, {}, result.as_json()))


# --- the queue, the form, one application -------------------------------------------------------------------------


@router.get("/export/applications", response_class=HTMLResponse, **READ)
def queue_page(request: Request, scoped: Visible, status: view.Status | None = None,
               flagged: bool | None = None) -> HTMLResponse:
    listing = view.list_summaries(request, scoped, status=status, flagged=flagged, limit=500)
    return render(request, "export_queue.html", {"page": "export", "listing": listing, "status": status,
                                                 "flagged": flagged, "statuses": STATUSES})


def new_context(values: dict[str, Any], errors: dict[str, str]) -> dict[str, Any]:
    return {"page": "export", "values": values, "errors": errors, "forms": FORMS}


@router.get("/export/applications/new", response_class=HTMLResponse, **SUBMIT)
def new_page(request: Request, scoped: Visible) -> HTMLResponse:
    return render(request, "export_new.html", new_context({"form": "oxide", "unit": "kg", "currency": "USD"}, {}))


async def certificate(upload: UploadFile | None, kind: str) -> list[dict[str, Any]]:
    if upload is None or not upload.filename:
        return []
    data = await upload.read(MAX_CERTIFICATE_BYTES + 1)
    return [{"kind": kind, "name": upload.filename, "data": data}]


def _party(name: str, country: str, owners: list[dict[str, str]] | None = None,
           role: str = "") -> dict[str, Any]:
    return {"name": name.strip(), "country": country.strip().upper(), "owners": owners or [], "role": role}


@router.post("/export/applications/new", **SUBMIT)
async def submit_form(request: Request, scoped: Visible, exporter_id: Short = "", contract_id: Short = "",
                      description: Long = "", hs_code: Short = "", form: Short = "", composition: Short = "",
                      quantity: Short = "", unit: Short = "kg", value: Short = "", currency: Short = "USD",
                      consignee_name: Short = "", consignee_country: Short = "", end_user_name: Short = "",
                      end_user_country: Short = "", owner_name: Short = "", owner_country: Short = "",
                      owner_share: Short = "", intermediary_name: Short = "", intermediary_country: Short = "",
                      intermediary_role: Short = "", end_use: Long = "", military_end_use: Short = "",
                      final_destination: Short = "", product: Short = "", no_retransfer_undertaking: Short = "",
                      end_user_certificate: Upload = None, end_use_certificate: Upload = None) -> Response:
    values = {k: v for k, v in locals().items() if isinstance(v, str)}
    try:
        owners = [{"name": owner_name, "country": owner_country, "share": owner_share}] if owner_name.strip() else []
        intermediaries = ([_party(intermediary_name, intermediary_country, role=intermediary_role)]
                          if intermediary_name.strip() else [])
        data = {"exporter_id": exporter_id.strip(), "contract_id": contract_id.strip(),
                "item": item_values(description, hs_code, form, composition, value, currency),
                "quantity": {"amount": quantity.strip(), "unit": unit}, "value": {"amount": value.strip() or "0",
                                                                                 "currency": currency.strip()},
                "consignee": _party(consignee_name, consignee_country),
                "end_user": _party(end_user_name, end_user_country, owners), "intermediaries": intermediaries,
                "end_use": end_use.strip(), "military_end_use": bool(military_end_use),
                "final_destination": final_destination.strip().upper(), "product": product.strip(),
                "no_retransfer_undertaking": bool(no_retransfer_undertaking),
                "certificates": [*await certificate(end_user_certificate, "end_user"),
                                 *await certificate(end_use_certificate, "end_use")]}
        application_id = view.submit_parsed(request, scoped, parse_model(ApplicationInput, data, "bad_application",
                                                                         "application"))
    except Error as exc:
        if exc.http_status != 400:
            raise
        return render(request, "export_new.html", new_context(values, field_errors(exc)), status_code=400)
    return done(f"/export/applications/{application_id}", "submitted")


def detail_context(request: Request, scoped: Visible, application_id: str, notice: str | None = None,
                   **extra: Any) -> dict[str, Any]:
    found = view.application_detail(request, scoped, application_id)
    p = scoped.principal
    return {"page": "export", "a": found, "notice": notice, "review_error": None, "answer_error": None,
            "ship_error": None, "may_review": p.tenant_kind == "authority" and p.can("export:application:review"),
            "may_answer": p.tenant_kind != "authority" and p.can("export:application:submit"),
            "may_ship": p.tenant_kind != "authority" and p.can("export:shipment:record"), **extra}


@router.get("/export/applications/{application_id}", response_class=HTMLResponse, **READ)
def application_page(request: Request, scoped: Visible, application_id: ApplicationId,
                     notice: Notice = None) -> HTMLResponse:
    return render(request, "export_detail.html", detail_context(request, scoped, application_id, notice))


def _again(request: Request, scoped: Visible, application_id: str, exc: Error | ValidationError,
           which: str) -> HTMLResponse:
    if isinstance(exc, Error) and exc.http_status not in (400, 409):
        raise exc
    message = exc.message if isinstance(exc, Error) else "; ".join(f"{k}: {v}" for k, v in field_errors(exc).items())
    status = exc.http_status if isinstance(exc, Error) else 400
    context = detail_context(request, scoped, application_id, **{f"{which}_error": message})
    return render(request, "export_detail.html", context, status_code=status)


@router.post("/export/applications/{application_id}/review", **require("export:application:review"))
def review_form(request: Request, scoped: Visible, application_id: ApplicationId,
                action: Annotated[Literal["note", "rfi", "approve", "deny"], Form()], reason: Long = "",
                licence_kind: Annotated[Literal["single", "general"], Form()] = "single") -> Response:
    try:
        terms = LicenceTerms(kind=licence_kind) if action == "approve" else None
        body = view.ReviewInput.model_validate({"action": action, "reason": reason, "terms": terms})
        view.review(request, scoped, application_id, body)
    except (Error, ValidationError) as exc:
        return _again(request, scoped, application_id, exc, "review")
    return done(f"/export/applications/{application_id}", "reviewed")


@router.post("/export/applications/{application_id}/respond", **require("export:application:submit"))
async def respond_form(request: Request, scoped: Visible, application_id: ApplicationId, answer: Long = "",
                       end_use_certificate: Upload = None) -> Response:
    try:
        form = parse_model(AnswerInput, {"answer": answer.strip(), "certificates": await certificate(
            end_use_certificate, "end_use")}, "bad_answer", "answer")
        view.answer(request, scoped, application_id, form)
    except Error as exc:
        return _again(request, scoped, application_id, exc, "answer")
    return done(f"/export/applications/{application_id}", "answered")


@router.post("/export/licences/{licence_id}/shipments", **require("export:shipment:record"))
def ship_form(request: Request, scoped: Visible, licence_id: LicenceId, quantity: Short = "",
              unit: Annotated[Literal["kg", "t"], Form()] = "kg", value: Short = "0") -> Response:
    lic = view.visible_licence(scoped, licence_id)
    try:
        body = view.ShipmentInput.model_validate({"quantity": quantity.strip(), "unit": unit,
                                                  "value": value.strip() or "0"})
        result = view.ship(request, scoped, licence_id, body)
    except (Error, ValidationError) as exc:
        return _again(request, scoped, lic.application_id, exc, "ship")
    return done(f"/export/applications/{lic.application_id}", "shipped" if result.accepted else "refused")
