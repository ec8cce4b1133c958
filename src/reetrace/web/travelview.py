"""Travel requests, approvals, debriefs and passport custody as the API and the console show and change them.

Reads go through the principal's scope (:class:`reetrace.web.deps.Scoped`): a request or a document of another
tenant is "not found" and the attempt audited. Every write first looks its object up in that scope (so a probe of
another tenant's id gets the same audited 404), then calls the personnel domain in its own transaction with the
principal's tenants. The approver is the signed-in principal: each approval level has its own route and
permission (enterprise ``personnel:travel:approve``, group ``personnel:travel:endorse``, authority
``personnel:travel:authorise``); the domain checks that the principal's tenant may act at that level.

Declared foreign contacts, family foreign ties and document numbers are revealed only after an
``audit.access`` ``personal_data.read`` event is committed. "Today" is the date in China (UTC+8), the calendar
the policy's working days count in.
"""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Literal

from fastapi import Request
from pydantic import BaseModel, Field
from sqlalchemy import select

from reetrace.domains.personnel import passports as custody
from reetrace.domains.personnel import travel
from reetrace.domains.personnel.checks import run_checks
from reetrace.domains.personnel.countries import UnknownCountry, country
from reetrace.domains.personnel.policy import TravelPolicy
from reetrace.domains.personnel.queries import person_facts
from reetrace.domains.personnel.travel_models import (
    DebriefInput,
    DocumentInput,
    FamilyTie,
    ForeignContact,
    TravelRequestInput,
    Trip,
)
from reetrace.domains.personnel.travel_tables import travel_debriefs, travel_documents, travel_requests
from reetrace.errors import Error
from reetrace.web.auth import Forbidden
from reetrace.web.deps import Scoped, record_access, reveal_fields, unit_of_work
from reetrace.workdays import WorkdayCalendar

REQUEST_ID = r"^travel-[0-9a-f]{32}$"
DOCUMENT_ID = r"^doc-[0-9a-f]{32}$"
PERSON_ID = r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,99}$"
REVEAL = "personal:data:read"
CHINA = timezone(timedelta(hours=8))
LEVELS: tuple[str, ...] = ("enterprise", "group", "authority")
LEVEL_ROUTE = {"enterprise": "approve", "group": "endorse", "authority": "authorise"}
Level = Literal["enterprise", "group", "authority"]
TravelStatus = Literal["pending", "approved", "refused", "cancelled", "completed"]
DocumentStatus = Literal["held", "out", "overdue"]


def today() -> date:
    return datetime.now(UTC).astimezone(CHINA).date()


def policy_of(request: Request) -> TravelPolicy:
    """The deployment's travel policy (the one shipped with reetrace), parsed once per app."""
    state = request.app.state
    if getattr(state, "travel_policy", None) is None:
        state.travel_policy = TravelPolicy.default()
    policy: TravelPolicy = state.travel_policy
    return policy


def calendar_of(request: Request) -> WorkdayCalendar:
    state = request.app.state
    if getattr(state, "workday_calendar", None) is None:
        state.workday_calendar = WorkdayCalendar.load()
    calendar: WorkdayCalendar = state.workday_calendar
    return calendar


# --- what the API answers -----------------------------------------------------------------------------------


class Destination(BaseModel):
    code: str
    name: str
    tier: int


class StepOut(BaseModel):
    step: int
    level: str
    decision: str
    reason: str
    username: str
    user_tenant: str
    entry_idx: int


class DebriefOut(BaseModel):
    actual_destinations: list[str]
    actual_return_on: date
    notes: str
    debriefed_on: date
    due_on: date
    late: bool
    deviations: list[str]


class TravelRequestOut(BaseModel):
    request_id: str
    tenant: str
    person_id: str
    enterprise_id: str | None
    destinations: list[Destination]
    depart_on: date
    return_on: date
    purpose: str
    inviting_organisation: str
    requested_on: date
    status: str
    next_level: str | None = Field(description="The level that must act next (pending requests only)")
    next_permission: str | None = Field(description="The permission the next approver needs")
    chain: list[str]
    tier: str
    rule_id: str
    reasons: list[str]
    policy_version: str
    policy_digest: str
    policy_entry: int = Field(description="The log entry that holds the policy that decided")
    steps: list[StepOut]
    previous_trips: list[Trip] = Field(description="The person's trips of the 12 months before the request")
    debrief: DebriefOut | None
    may_act: bool = Field(description="Whether the caller may act on the next step now")
    entry_idx: int


class TravelList(BaseModel):
    requests: list[TravelRequestOut]


class ActInput(BaseModel):
    decision: Literal["approve", "refuse"]
    reason: str = Field(default="", max_length=2000, description="Required for a refusal")


class CancelInput(BaseModel):
    reason: str = Field(min_length=1, max_length=2000)


class Declarations(BaseModel):
    request_id: str
    foreign_contacts: list[ForeignContact]
    family_foreign_ties: list[FamilyTie]


class DocumentOut(BaseModel):
    document_id: str
    tenant: str
    person_id: str
    doc_type: str
    number_commitment: str
    expires_on: date
    deposited_on: date
    status: str = Field(description="held or out")
    overdue: bool
    request_id: str | None
    out_on: date | None
    due_on: date | None
    entry_idx: int


class MovementOut(BaseModel):
    action: str
    request_id: str | None
    on_date: date
    due_on: date | None
    late: bool
    entry_idx: int


class DocumentList(BaseModel):
    documents: list[DocumentOut]


class DocumentDetail(BaseModel):
    document: DocumentOut
    movements: list[MovementOut]


class CheckOutInput(BaseModel):
    request_id: str = Field(pattern=REQUEST_ID)


class DocumentNumber(BaseModel):
    document_id: str
    number: str


class FindingOut(BaseModel):
    kind: str
    tenant: str
    subject: str
    message: str
    alert_id: str | None = Field(description="The alert raised now; None when it had been raised before")


class CheckReportOut(BaseModel):
    today: date
    findings: list[FindingOut]
    raised: int


# --- travel requests ----------------------------------------------------------------------------------------


def may_act(scoped: Scoped, view: travel.TravelRequestView) -> bool:
    """Whether the principal may take the request's next step (same rules as the domain's check)."""
    p = scoped.principal
    level = view.next_level
    if view.status != "pending" or level is None or not p.can(travel.LEVEL_PERMISSION[level]):
        return False
    if any(s.user_id == p.user_id for s in view.steps):
        return False
    visible = view.tenant in p.scope.tenants
    if level == "enterprise":
        return p.tenant == view.tenant
    if level == "group":
        return p.tenant == view.tenant or (p.tenant_kind != "authority" and visible)
    return p.tenant_kind == "authority" and visible


def _destination(code: str, policy: TravelPolicy) -> Destination:
    try:
        name = country(code).name
    except UnknownCountry:
        name = code
    return Destination(code=code, name=name, tier=policy.tier_of(code))


def _debrief(scoped: Scoped, request_id: str) -> DebriefOut | None:
    row = scoped.first(select(travel_debriefs).where(travel_debriefs.c.request_id == request_id))
    if row is None:
        return None
    return DebriefOut(actual_destinations=row.actual_destinations.split(), actual_return_on=row.actual_return_on,
                      notes=row.notes, debriefed_on=row.debriefed_on, due_on=row.due_on, late=bool(row.late),
                      deviations=json.loads(row.deviations))


def request_out(scoped: Scoped, view: travel.TravelRequestView, policy: TravelPolicy,
                debrief: DebriefOut | None = None) -> TravelRequestOut:
    return TravelRequestOut(
        request_id=view.request_id, tenant=view.tenant, person_id=view.person_id, enterprise_id=view.enterprise_id,
        destinations=[_destination(c, policy) for c in view.destinations], depart_on=view.depart_on,
        return_on=view.return_on, purpose=view.purpose, inviting_organisation=view.inviting_organisation,
        requested_on=view.requested_on, status=view.status, next_level=view.next_level,
        next_permission=travel.LEVEL_PERMISSION.get(view.next_level or ""), chain=list(view.chain),
        tier=view.tier, rule_id=view.rule_id, reasons=list(view.reasons), policy_version=view.policy_version,
        policy_digest=view.policy_digest, policy_entry=view.policy_entry,
        steps=[StepOut(step=s.step, level=s.level, decision=s.decision, reason=s.reason, username=s.username,
                       user_tenant=s.user_tenant, entry_idx=s.entry_idx) for s in view.steps],
        previous_trips=list(view.previous_trips), debrief=debrief, may_act=may_act(scoped, view),
        entry_idx=view.entry_idx)


def list_travel(request: Request, scoped: Scoped, *, status: str | None = None, person_id: str | None = None,
                awaiting_me: bool = False, limit: int = 100) -> TravelList:
    """Requests newest first; ``awaiting_me``: pending ones whose next step the principal may take."""
    policy = policy_of(request)
    if awaiting_me:
        views = [v for v in travel.list_requests(scoped.reader, status="pending", person_id=person_id, limit=1000)
                 if may_act(scoped, v)][:limit]
    else:
        views = travel.list_requests(scoped.reader, status=status, person_id=person_id, limit=limit)
    return TravelList(requests=[request_out(scoped, v, policy) for v in views])


def visible_request(scoped: Scoped, request_id: str) -> travel.TravelRequestView:
    view = travel.get_request(scoped.reader, request_id)
    if view is None:
        raise scoped.refuse(f"no travel request {request_id!r} that you may see")
    return view


def travel_detail(request: Request, scoped: Scoped, request_id: str) -> TravelRequestOut:
    view = visible_request(scoped, request_id)
    return request_out(scoped, view, policy_of(request), _debrief(scoped, request_id))


def submit(request: Request, scoped: Scoped, form: TravelRequestInput) -> TravelRequestOut:
    """Submit a request for a person of the principal's tenants; the policy decides its approval chain."""
    if person_facts(scoped.reader, form.person_id) is None:
        raise scoped.refuse(f"no person {form.person_id!r} in the registry that you may see")
    p = scoped.principal
    with unit_of_work(request) as (uow, vault):
        view = travel.submit_request(uow, vault, p.username, form, policy=policy_of(request), today=today(),
                                     tenants=p.scope.tenants)
    return request_out(scoped, view, policy_of(request))


def act(request: Request, scoped: Scoped, request_id: str, level: str, decision: str,
        reason: str) -> TravelRequestOut:
    """One approval step at ``level`` (the route's level) by the principal."""
    view = visible_request(scoped, request_id)
    if view.status == "pending" and view.next_level != level:
        raise Error(f"travel request {request_id} waits for the {view.next_level} level, not the {level} level",
                    code="wrong_level", http_status=409)
    with unit_of_work(request) as (uow, _):
        acted = travel.act_on_request(uow, scoped.principal, request_id, decision, reason)
    return request_out(scoped, acted, policy_of(request))


def cancel(request: Request, scoped: Scoped, request_id: str, reason: str) -> TravelRequestOut:
    visible_request(scoped, request_id)
    with unit_of_work(request) as (uow, _):
        view = travel.cancel_request(uow, scoped.principal.username, request_id, reason,
                                     tenants=scoped.principal.scope.tenants)
    return request_out(scoped, view, policy_of(request))


def debrief(request: Request, scoped: Scoped, request_id: str, form: DebriefInput) -> TravelRequestOut:
    """Record the debrief of an approved trip after the return; deviations raise an alert."""
    view = visible_request(scoped, request_id)
    with unit_of_work(request) as (uow, vault):
        done = travel.record_debrief(uow, vault, scoped.principal.username, request_id, form, today=today(),
                                     policy=policy_of(request), calendar=calendar_of(request),
                                     tenants=scoped.principal.scope.tenants)
    actual = list(dict.fromkeys(country(c).alpha2 for c in form.actual_destinations))
    recorded = DebriefOut(actual_destinations=actual, actual_return_on=form.actual_return_on, notes=form.notes,
                          debriefed_on=today(), due_on=done.due_on, late=done.late, deviations=list(done.deviations))
    return request_out(scoped, replace(view, status="completed"), policy_of(request), recorded)


def also_needs(request: Request, scoped: Scoped, permission: str) -> None:
    """A reveal needs ``personal:data:read`` and the permission to read the object itself (audited refusal)."""
    if not scoped.principal.can(permission):
        record_access(request, scoped.principal, "access.denied", permission=permission, reason="missing permission")
        raise Forbidden(permission)


def reveal_declarations(request: Request, scoped: Scoped, request_id: str) -> Declarations:
    """Audit first (committed), then decrypt the declared foreign contacts and family foreign ties."""
    also_needs(request, scoped, "personnel:travel:read")
    row = scoped.one_or_refuse(select(travel_requests.c.subject_id).where(
        travel_requests.c.request_id == request_id), f"no travel request {request_id!r} that you may see")
    fields = [f"travel.{request_id}.foreign_contacts", f"travel.{request_id}.family_foreign_ties"]
    record_access(request, scoped.principal, "personal_data.read", target=request_id, permission=REVEAL,
                  reason="fields: foreign contacts, family foreign ties")
    values = reveal_fields(request, row.subject_id, fields)
    return Declarations(request_id=request_id, foreign_contacts=json.loads(values[fields[0]]),
                        family_foreign_ties=json.loads(values[fields[1]]))


# --- passport custody ---------------------------------------------------------------------------------------


def document_out(view: custody.DocumentView, on: date) -> DocumentOut:
    overdue = view.status == "out" and view.due_on is not None and on > view.due_on
    return DocumentOut(document_id=view.document_id, tenant=view.tenant, person_id=view.person_id,
                       doc_type=view.doc_type, number_commitment=view.number_commitment, expires_on=view.expires_on,
                       deposited_on=view.deposited_on, status=view.status, overdue=overdue,
                       request_id=view.request_id, out_on=view.out_on, due_on=view.due_on, entry_idx=view.entry_idx)


def list_documents(scoped: Scoped, *, status: str | None = None, person_id: str | None = None,
                   limit: int = 200) -> DocumentList:
    """Documents in custody; ``status``: held, out, or overdue (out past the due date)."""
    on = today()
    stored = "out" if status == "overdue" else status
    found = [document_out(d, on) for d in custody.list_documents(scoped.reader, person_id=person_id, status=stored,
                                                                 limit=limit)]
    if status == "overdue":
        found = [d for d in found if d.overdue]
    return DocumentList(documents=found)


def visible_document(scoped: Scoped, document_id: str) -> custody.DocumentView:
    view = custody.get_document(scoped.reader, document_id)
    if view is None:
        raise scoped.refuse(f"no travel document {document_id!r} in custody that you may see")
    return view


def document_detail(scoped: Scoped, document_id: str) -> DocumentDetail:
    view = visible_document(scoped, document_id)
    moves = [MovementOut(action=m.action, request_id=m.request_id, on_date=m.on_date, due_on=m.due_on, late=m.late,
                         entry_idx=m.entry_idx) for m in custody.movements(scoped.reader, document_id)]
    return DocumentDetail(document=document_out(view, today()), movements=moves)


def deposit(request: Request, scoped: Scoped, form: DocumentInput) -> DocumentOut:
    if person_facts(scoped.reader, form.person_id) is None:
        raise scoped.refuse(f"no person {form.person_id!r} in the registry that you may see")
    with unit_of_work(request) as (uow, vault):
        view = custody.deposit_document(uow, vault, scoped.principal.username, form, today=today(),
                                        tenants=scoped.principal.scope.tenants)
    return document_out(view, today())


def check_out(request: Request, scoped: Scoped, document_id: str, request_id: str) -> DocumentOut:
    """Hand a document out against an approved request (both must be within the principal's scope)."""
    visible_document(scoped, document_id)
    visible_request(scoped, request_id)
    with unit_of_work(request) as (uow, _):
        view = custody.check_out(uow, scoped.principal.username, document_id, request_id, today=today(),
                                 policy=policy_of(request), tenants=scoped.principal.scope.tenants)
    return document_out(view, today())


def check_in(request: Request, scoped: Scoped, document_id: str) -> DocumentOut:
    visible_document(scoped, document_id)
    with unit_of_work(request) as (uow, _):
        view = custody.check_in(uow, scoped.principal.username, document_id, today=today(),
                                tenants=scoped.principal.scope.tenants)
    return document_out(view, today())


def reveal_number(request: Request, scoped: Scoped, document_id: str) -> DocumentNumber:
    also_needs(request, scoped, "personnel:passport:custody")
    row = scoped.one_or_refuse(select(travel_documents.c.subject_id).where(
        travel_documents.c.document_id == document_id), f"no travel document {document_id!r} that you may see")
    field = f"travel_document.{document_id}.number"
    record_access(request, scoped.principal, "personal_data.read", target=document_id, permission=REVEAL,
                  reason="fields: document number")
    return DocumentNumber(document_id=document_id, number=reveal_fields(request, row.subject_id, [field])[field])


# --- checks -------------------------------------------------------------------------------------------------


def run_travel_checks(request: Request, scoped: Scoped) -> CheckReportOut:
    """Run the overdue-passport, overdue-debrief, cooling-off and deviation checks for today.

    The checks run over every tenant (alerts are raised once per finding, whoever runs them), but the report shows
    only the findings of the principal's tenants.
    """
    on = today()
    with unit_of_work(request) as (uow, _):
        report = run_checks(uow, on, policy_of(request), calendar_of(request))
    mine = [f for f in report.findings if f.tenant in scoped.principal.scope.tenants]
    return CheckReportOut(today=on, raised=sum(1 for f in mine if f.alert_id is not None),
                          findings=[FindingOut(kind=f.kind, tenant=f.tenant, subject=f.subject, message=f.message,
                                               alert_id=f.alert_id) for f in mine])


def as_details(error: Error) -> dict[str, str]:
    """An error's details by form field (``destinations[1]`` -> ``destinations``), first message per field."""
    found: dict[str, str] = {}
    for d in error.details:
        field = d.location.split("[", 1)[0].split(".")[-1] if d.location else ""
        found.setdefault(field, d.message)
    return found
