"""Export control as the API and the console show and change it: classification as of a date, licence applications
(the reviewer queue ordered by the SLA clock, one application with its explanation and screening evidence),
submission, review steps, answers to requests for information, licences and their shipments.

Reads go through the principal's scope (:class:`reetrace.web.deps.Scoped`): an application or a licence of another
tenant is "not found" and the attempt audited. Every write first looks its object up in that scope (a probe of
another tenant's id gets the same audited 404), then calls the licensing domain in its own transaction with the
principal as the actor; the domain checks who may submit (the exporter's own tenant) and who may review (an
authority supervising the applicant). Listed parties (the screening lists) are public data and carry no tenant.
Certificates travel in JSON as base64. "Today" is the date in China (UTC+8), the calendar of the SLA clock.
"""

from __future__ import annotations

import base64
import binascii
import json
from datetime import date
from decimal import Decimal
from typing import Any, Literal

from fastapi import Request
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import func, select

from reetrace.domains.licensing.application_models import (
    APPLICATION_ID,
    LICENCE_ID,
    AnswerInput,
    ApplicationInput,
    LicenceTerms,
    parse_model,
)
from reetrace.domains.licensing.application_queries import (
    ApplicationView,
    LicenceView,
    get_application,
    get_licence,
    list_applications,
    sla_queue,
)
from reetrace.domains.licensing.applications import answer_rfi, review_application, submit_application
from reetrace.domains.licensing.classify import Classification, classify, parse_item
from reetrace.domains.licensing.controllist import ControlList
from reetrace.domains.licensing.licences import record_shipment
from reetrace.domains.screening.tables import parties
from reetrace.errors import Detail, Error, invalid
from reetrace.web.deps import Scoped, unit_of_work
from reetrace.web.travelview import calendar_of, today

__all__ = ["APPLICATION_ID", "LICENCE_ID", "today"]

Status = Literal["submitted", "under_review", "awaiting_information", "approved", "denied"]
Verdict = Literal["controlled", "not_controlled", "uncertain"]
Action = Literal["note", "rfi", "approve", "deny"]
Unit = Literal["kg", "t"]


def control_list_of(request: Request) -> ControlList:
    state = request.app.state
    if getattr(state, "control_list", None) is None:
        state.control_list = ControlList.default()
    cl: ControlList = state.control_list
    return cl


# --- request bodies ---------------------------------------------------------------------------------------------


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class ClassifyInput(_Body):
    item: dict[str, Any] = Field(description="description, hs_code, form, composition (element -> mass %), value, "
                                             "currency")
    as_of: date | None = Field(default=None, description="Classify as of this date (default: today in China)")


class CertificateUpload(_Body):
    kind: str = Field(min_length=1, max_length=16, description="end_user or end_use")
    name: str = Field(min_length=1, max_length=255)
    content_base64: str = Field(min_length=1, max_length=14_000_000, description="The file, base64-encoded")


class ApplicationBody(ApplicationInput):
    certificates: tuple[CertificateUpload, ...] = Field(default=(), max_length=20)  # type: ignore[assignment]


class ReviewInput(_Body):
    action: Action
    reason: str = Field(min_length=1, max_length=4000, description="The note, the question, or why")
    terms: LicenceTerms | None = Field(default=None, description="On approval: the licence's kind, validity, limits")


class AnswerBody(_Body):
    answer: str = Field(min_length=1, max_length=4000)
    certificates: tuple[CertificateUpload, ...] = Field(default=(), max_length=20)


class ShipmentInput(_Body):
    quantity: Decimal = Field(allow_inf_nan=False)
    unit: Unit = "kg"
    value: Decimal = Field(default=Decimal(0), allow_inf_nan=False)
    shipped_on: date | None = Field(default=None, description="Default: today in China")


# --- answers ----------------------------------------------------------------------------------------------------


class ApplicationSummary(BaseModel):
    application_id: str
    tenant: str
    exporter_id: str
    contract_id: str
    status: str
    verdict: str
    flagged: bool
    quantity_kg: str
    value: str
    currency: str
    final_destination: str
    submitted_on: date
    due_on: date | None
    days_left: int | None
    sla_state: str
    end_user: str


class ApplicationList(BaseModel):
    applications: list[ApplicationSummary]


class ShipmentOut(BaseModel):
    shipment_id: str
    shipped_on: date
    quantity_kg: str
    value: str
    accepted: bool
    refusal: str
    alert_id: str | None


class LicenceOut(BaseModel):
    licence_id: str
    application_id: str
    exporter_id: str
    kind: str
    valid_from: date
    valid_until: date
    quantity_kg: str
    value: str
    currency: str
    remaining_kg: str
    remaining_value: str
    drawn_kg: str
    shipments: list[ShipmentOut]


class SubmittedOut(BaseModel):
    application_id: str
    status: str
    href: str = Field(description="Where the application is: its classification, screening, flags and SLA clock")


class ReviewOut(BaseModel):
    application_id: str
    status: str
    licence_id: str | None


class AnswerOut(BaseModel):
    application_id: str
    due_on: date


class ShipmentResultOut(BaseModel):
    shipment_id: str
    licence_id: str
    accepted: bool
    refusal: str
    quantity_kg: str
    value: str
    remaining_kg: str
    remaining_value: str
    alert_id: str | None
    entry_idx: int


# --- classification ---------------------------------------------------------------------------------------------


def classify_item(request: Request, body: ClassifyInput) -> Classification:
    item = parse_item(body.item)
    return classify(item, body.as_of or today(), control_list_of(request))


# --- applications -----------------------------------------------------------------------------------------------


def summary(v: ApplicationView) -> ApplicationSummary:
    return ApplicationSummary(
        application_id=v.application_id, tenant=v.tenant, exporter_id=v.exporter_id, contract_id=v.contract_id,
        status=v.status, verdict=v.verdict, flagged=v.flagged, quantity_kg=str(v.quantity_kg), value=str(v.value),
        currency=v.currency, final_destination=v.final_destination, submitted_on=v.submitted_on,
        due_on=v.clock.due_on, days_left=v.clock.days_left, sla_state=v.clock.state,
        end_user=str(v.details.get("end_user", {}).get("name", "")))


def list_views(request: Request, scoped: Scoped, *, status: str | None = None, flagged: bool | None = None,
               exporter: str | None = None, limit: int = 200) -> list[ApplicationView]:
    """Open applications by the SLA clock (overdue first, paused last), then decided ones newest first."""
    on, cal = today(), calendar_of(request)
    views: list[ApplicationView] = []
    if status in (None, "submitted", "under_review", "awaiting_information"):
        views += [v for v in sla_queue(scoped.reader, on, cal) if status is None or v.status == status]
    if status in (None, "approved", "denied"):
        for decided in ((status,) if status else ("approved", "denied")):
            views += list_applications(scoped.reader, on, status=decided, limit=limit, calendar=cal)
        if status is None:
            open_count = sum(1 for v in views if v.status not in ("approved", "denied"))
            views = views[:open_count] + sorted(views[open_count:], key=lambda v: -v.entry_idx)
    if flagged is not None:
        views = [v for v in views if v.flagged == flagged]
    if exporter:
        views = [v for v in views if v.exporter_id == exporter]
    return views[:limit]


def list_summaries(request: Request, scoped: Scoped, **filters: Any) -> ApplicationList:
    return ApplicationList(applications=[summary(v) for v in list_views(request, scoped, **filters)])


def visible_application(request: Request, scoped: Scoped, application_id: str) -> ApplicationView:
    found = get_application(scoped.reader, application_id, today(), calendar_of(request))
    if found is None:
        raise scoped.refuse(f"no licence application {application_id!r} that you may see")
    return found


def visible_licence(scoped: Scoped, licence_id: str) -> LicenceView:
    found = get_licence(scoped.reader, licence_id)
    if found is None:
        raise scoped.refuse(f"no licence {licence_id!r} that you may see")
    return found


def licence_out(lic: LicenceView) -> LicenceOut:
    return LicenceOut(
        licence_id=lic.licence_id, application_id=lic.application_id, exporter_id=lic.exporter_id, kind=lic.kind,
        valid_from=lic.valid_from, valid_until=lic.valid_until, quantity_kg=str(lic.quantity_kg),
        value=str(lic.value), currency=lic.currency, remaining_kg=str(lic.remaining_kg),
        remaining_value=str(lic.remaining_value), drawn_kg=str(lic.quantity_kg - lic.remaining_kg),
        shipments=[ShipmentOut(shipment_id=s.shipment_id, shipped_on=s.shipped_on, quantity_kg=str(s.quantity_kg),
                               value=str(s.value), accepted=s.accepted, refusal=s.refusal, alert_id=s.alert_id)
                   for s in lic.shipments])


def listed_record(scoped: Scoped, list_id: str, record_id: str) -> dict[str, Any] | None:
    """The newest stored version of a listed party's record: its names in their scripts, countries, programmes."""
    newest = select(func.max(parties.c.version)).where(parties.c.list_id == list_id).scalar_subquery()
    row = scoped.first(select(parties).where(parties.c.list_id == list_id, parties.c.record_id == record_id,
                                             parties.c.version == newest))
    if row is None:
        return None
    return {"list_id": row.list_id, "version": int(row.version), "record_id": row.record_id, "name": row.name,
            "kind": row.kind, "aliases": [{"name": n, "script": s} for n, s in json.loads(row.aliases)],
            "countries": json.loads(row.countries), "programmes": json.loads(row.programmes),
            "identifiers": [{"scheme": s, "value": v} for s, v in json.loads(row.identifiers)]}


def application_detail(request: Request, scoped: Scoped, application_id: str) -> dict[str, Any]:
    """The application as recorded, its SLA clock and steps, each hit with the listed party's record, the licence."""
    found = visible_application(request, scoped, application_id)
    out = found.as_json()
    records: dict[tuple[str, str], dict[str, Any] | None] = {}
    for party in out.get("screening", {}).get("parties", []):
        for hit in party.get("hits", []):
            key = (str(hit["list_id"]), str(hit["record_id"]))
            if key not in records:
                records[key] = listed_record(scoped, *key)
            hit["listed_record"] = records[key]
    lic = visible_licence(scoped, found.licence_id) if found.licence_id else None
    out["licence"] = licence_out(lic).model_dump(mode="json") if lic else None
    return out


def _decode(uploads: tuple[CertificateUpload, ...], where: str = "certificates") -> list[dict[str, Any]]:
    out, problems = [], []
    for n, c in enumerate(uploads):
        try:
            data = base64.b64decode(c.content_base64, validate=True)
        except (binascii.Error, ValueError):
            problems.append(Detail("not valid base64", f"{where}[{n}].content_base64"))
            continue
        out.append({"kind": c.kind, "name": c.name, "data": data})
    if problems:
        raise invalid(f"{problems[0].location}: {problems[0].message}", *problems, code="bad_certificate")
    return out


def submit(request: Request, scoped: Scoped, body: ApplicationBody) -> str:
    """Check, classify, screen and record an application; returns its id."""
    data = body.model_dump(mode="python", exclude={"certificates"})
    data["certificates"] = _decode(body.certificates)
    return submit_parsed(request, scoped, parse_model(ApplicationInput, data, "bad_application", "application"))


def submit_parsed(request: Request, scoped: Scoped, form: ApplicationInput) -> str:
    with unit_of_work(request) as (uow, _):
        return submit_application(uow, scoped.principal, form, today=today(), calendar=calendar_of(request),
                                  control_list=control_list_of(request))


def review(request: Request, scoped: Scoped, application_id: str, body: ReviewInput) -> ReviewOut:
    """One review step; the answer's status is the one the step leads to (the request's own read is older)."""
    before = visible_application(request, scoped, application_id)
    with unit_of_work(request) as (uow, _):
        licence_id = review_application(uow, scoped.principal, application_id, body.action, body.reason,
                                        today=today(), terms=body.terms)
    waiting = before.status == "awaiting_information"
    status = {"note": "awaiting_information" if waiting else "under_review", "rfi": "awaiting_information",
              "approve": "approved", "deny": "denied"}[body.action]
    return ReviewOut(application_id=application_id, status=status, licence_id=licence_id)


def respond(request: Request, scoped: Scoped, application_id: str, body: AnswerBody) -> AnswerOut:
    visible_application(request, scoped, application_id)
    answer_input = parse_model(AnswerInput, {"answer": body.answer, "certificates": _decode(body.certificates)},
                               "bad_answer", "answer")
    return answer(request, scoped, application_id, answer_input)


def answer(request: Request, scoped: Scoped, application_id: str, given: AnswerInput) -> AnswerOut:
    """The exporter's answer to the open request for information; returns the new due date."""
    visible_application(request, scoped, application_id)
    with unit_of_work(request) as (uow, _):
        due = answer_rfi(uow, scoped.principal, application_id, given, today=today(),
                         calendar=calendar_of(request))
    return AnswerOut(application_id=application_id, due_on=due)


def ship(request: Request, scoped: Scoped, licence_id: str, body: ShipmentInput) -> ShipmentResultOut:
    visible_licence(scoped, licence_id)
    with unit_of_work(request) as (uow, _):
        r = record_shipment(uow, scoped.principal, licence_id, body.quantity, body.value,
                            shipped_on=body.shipped_on or today(), unit=body.unit)
    return ShipmentResultOut(shipment_id=r.shipment_id, licence_id=r.licence_id, accepted=r.accepted,
                             refusal=r.refusal, quantity_kg=str(r.quantity_kg), value=str(r.value),
                             remaining_kg=str(r.remaining_kg), remaining_value=str(r.remaining_value),
                             alert_id=r.alert_id, entry_idx=r.entry_idx)


def as_details(error: Error) -> dict[str, str]:
    """An error's details by form field: ``consignee.owners[0].share`` -> ``consignee``, ``item.composition`` ->
    ``composition`` (the item's fields are fields of the form); first message per field."""
    found: dict[str, str] = {}
    for d in error.details:
        parts = d.location.split("[", 1)[0].split(".") if d.location else [""]
        field = parts[1] if parts[0] == "item" and len(parts) > 1 else parts[0]
        found.setdefault(field, f"{d.location}: {d.message}" if d.location else d.message)
    return found
