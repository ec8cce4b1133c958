"""The personnel registry as the API and the console show it: staff lists, a person, the audited reveal of their
personal fields, registration and imports, departures and access grants, the national aggregation and its audited
drill-down, and the person's access to controlled documents.

Reads go through the principal's :class:`Scoped` view (an authority sees its supervised tenants); an id outside it
is a 404 recorded as ``access.denied``. Writes check the object through the same view first (so that a probe for
another tenant's person is audited), then call the domain service with a :class:`Caller` built from the principal.
Personal values are shown only after the ``personal_data.read`` audit event is committed.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any, Literal

from fastapi import Request
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import Select, and_, func, select

from reetrace.authz.principal import Principal
from reetrace.domains.alerts import alerts_about
from reetrace.domains.personnel import queries
from reetrace.domains.personnel.imports import import_persons
from reetrace.domains.personnel.models import PERSON_ID, Caller, DepartureReason, PersonInput
from reetrace.domains.personnel.policy import TravelPolicy
from reetrace.domains.personnel.service import record_departure, register_person, set_access
from reetrace.domains.personnel.tables import person_expertise, persons
from reetrace.domains.registry.tables import enterprises
from reetrace.errors import Detail, Error, invalid
from reetrace.web.deps import Scoped, record_access, reveal_fields, unit_of_work

PERSON_ID_PATTERN = PERSON_ID
ENTERPRISE_ID = r"^[A-Z0-9][A-Z0-9-]{1,63}$"
REVEAL = "personal:data:read"
PERSON_READ = "personnel:person:read"
MAX_UPLOAD = 20 * 1024 * 1024
Status = Literal["employed", "departed"]
Level = Literal["core", "important", "general"]
ExpertiseField = Literal["mining", "beneficiation", "cracking", "solvent_extraction", "metal_smelting", "alloying",
                         "magnet_making", "recycling", "equipment", "analysis"]


class _Out(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class PersonSummary(_Out):
    person_id: str
    tenant: str
    enterprise_id: str
    secrecy_level: str
    province: str | None
    post: str
    status: str
    hired_on: date
    departed_on: date | None
    cooling_off_until: date | None
    expertise: list[str]


class StaffList(_Out):
    total: int
    page: int
    limit: int
    persons: list[PersonSummary]


class WatchEntry(_Out):
    entry_id: str
    tenant: str
    person_id: str | None
    enterprise_id: str | None
    post: str | None
    reason: str
    added_on: date
    added_by: str
    removed_on: date | None
    removed_reason: str | None


class EmploymentReport(_Out):
    report_id: str
    employer: str
    country: str
    start_on: date
    foreign: bool
    in_cooling_off: bool


class AlertSummary(_Out):
    alert_id: str
    tenant: str
    kind: str
    severity: str
    subject: str
    message: str
    status: str
    raised_at: datetime


class PersonDetail(_Out):
    """A person with commitments of their personal fields, never the values."""

    person: PersonSummary
    subject_id: str
    nationality: str
    departure_reason: str | None
    commitments: dict[str, str]
    technologies: list[str]
    documents: list[str]
    watch_listed: bool
    in_cooling_off: bool
    watch_entries: list[WatchEntry]
    employment: list[EmploymentReport]
    alerts: list[AlertSummary] | None  # None: the principal may not read alerts


class RevealedPerson(BaseModel):
    person_id: str
    subject_id: str
    fields: dict[str, str]


class Registered(BaseModel):
    person_id: str
    subject_id: str
    entry_idx: int


class ImportReport(BaseModel):
    source: str
    sha256: str
    rows: int
    persons: int
    departures: int
    first_index: int
    last_index: int


class DepartureInput(BaseModel):
    model_config = ConfigDict(extra="forbid")
    departed_on: date
    reason: DepartureReason = "resigned"


class Departure(BaseModel):
    person_id: str
    entry_idx: int
    departed_on: date
    cooling_off_until: date


class AccessInput(BaseModel):
    model_config = ConfigDict(extra="forbid")
    technologies: list[str] = Field(default=[], max_length=200)
    documents: list[str] = Field(default=[], max_length=2000)


class AccessGrants(BaseModel):
    person_id: str
    entry_idx: int
    technologies: list[str]
    documents: list[str]


class EnterpriseCount(_Out):
    enterprise_id: str
    name: str
    province: str | None
    persons: int


class NationalAggregate(_Out):
    total: int
    by_status: dict[str, int]
    by_secrecy_level: dict[str, int]
    by_expertise: dict[str, int]
    by_province: dict[str, int]
    top_enterprises: list[EnterpriseCount]


class DocumentAccessReport(BaseModel):
    person_id: str
    since: date
    until: date
    source: str = Field(description="Where the accesses come from, or why there are none yet")
    accesses: list[dict[str, Any]]
    unusual_days: list[dict[str, Any]]


def caller_of(principal: Principal) -> Caller:
    return Caller(principal.username, principal.tenant, frozenset(principal.scope.tenants))


# --- reads ---------------------------------------------------------------------------------------------------


class ReasonRequired(Error):
    """An authority reads the details of another tenant's staff only with a stated reason, which is recorded."""

    def __init__(self) -> None:
        super().__init__("an authority sees a person's details only with a stated reason, which is recorded in the "
                         "audit trail: give a reason of at least 5 characters", code="reason_required",
                         http_status=403, details=[Detail("a reason is required", "reason")])


def authority_reason(scoped: Scoped, tenant: str, reason: str | None) -> str | None:
    """The stated reason when an authority's user reads another tenant's person (None: no reason is needed)."""
    principal = scoped.principal
    if principal.tenant_kind != "authority" or tenant == principal.tenant:
        return None
    text = " ".join((reason or "").split())
    if len(text) < 5:
        raise ReasonRequired()
    return text[:400]


def staff_list(scoped: Scoped, *, enterprise_id: str | None = None, status: str | None = None,
               secrecy_level: str | None = None, expertise: str | None = None, page: int = 1,
               limit: int = 50, drilled: bool = False) -> StaffList:
    """The persons the principal may see, by person id, filtered; ``page`` counts from 1.

    An authority's user sees only its own tenant's staff here: the staff of supervised tenants it reads through
    the national registry's drill-down, with a stated reason (``drilled``)."""
    conditions = []
    if scoped.principal.tenant_kind == "authority" and not drilled:
        conditions.append(persons.c.tenant == scoped.principal.tenant)
    if enterprise_id:
        conditions.append(persons.c.enterprise_id == enterprise_id)
    if status:
        conditions.append(persons.c.status == status)
    if secrecy_level:
        conditions.append(persons.c.secrecy_level == secrecy_level)

    def narrowed(query: Select[Any]) -> Select[Any]:
        if expertise:
            query = query.join(person_expertise, and_(person_expertise.c.person_id == persons.c.person_id,
                                                      person_expertise.c.field == expertise))
        return query.where(*conditions)

    total = scoped.first(narrowed(select(func.count()).select_from(persons)))
    rows = scoped.all(narrowed(select(persons)).order_by(persons.c.person_id).limit(limit)
                      .offset((page - 1) * limit))
    fields = queries._expertise_of(scoped.reader, [r.person_id for r in rows])
    found = [PersonSummary.model_validate(queries._summary(r, fields.get(r.person_id, ()))) for r in rows]
    return StaffList(total=int(total[0]) if total else 0, page=page, limit=limit, persons=found)


def person_detail(request: Request, scoped: Scoped, person_id: str, today: date | None = None,
                  reason: str | None = None, audited: bool = False) -> PersonDetail:
    """One person (commitments only). An authority's user reading another tenant's person states a reason, recorded
    before anything is read (``audited``: the caller recorded it already)."""
    found = queries.person_detail(scoped.reader, person_id)
    if found is None:
        raise scoped.refuse(f"no person {person_id!r} that you may see")
    text = authority_reason(scoped, found.summary.tenant, reason)
    if text and not audited:
        record_access(request, scoped.principal, "personal_data.read", target=f"/personnel/persons/{person_id}",
                      permission=PERSON_READ, reason=f"person detail: {text}")
    day = today or date.today()
    summary = found.summary
    cooling = (summary.departed_on is not None and summary.cooling_off_until is not None
               and summary.departed_on <= day <= summary.cooling_off_until)
    about = None
    if scoped.principal.can("alerts:alert:read"):
        about = [AlertSummary.model_validate(a) for a in alerts_about(scoped.reader, person_id)]
    return PersonDetail(
        person=PersonSummary.model_validate(summary), subject_id=found.subject_id, nationality=found.nationality,
        departure_reason=found.departure_reason, commitments=found.commitments,
        technologies=list(found.technologies), documents=list(found.documents), watch_listed=found.watch_listed,
        in_cooling_off=cooling, watch_entries=[WatchEntry.model_validate(e) for e in found.watch_entries],
        employment=[EmploymentReport.model_validate(e) for e in found.employment], alerts=about)


def person_row(scoped: Scoped, person_id: str) -> Any:
    """The person's row if the principal may see it; else a 404, audited."""
    return scoped.one_or_refuse(select(persons).where(persons.c.person_id == person_id),
                                f"no person {person_id!r} that you may see")


def reveal_person(request: Request, scoped: Scoped, person_id: str, reason: str | None = None) -> RevealedPerson:
    """Audit first (committed), then decrypt the person's personal fields from the vault (an authority's user
    reading another tenant's person states a reason, recorded with the fields)."""
    row = person_row(scoped, person_id)
    stated = authority_reason(scoped, row.tenant, reason)
    fields = [name for name, column in queries.COMMITMENT_COLUMNS.items() if row._mapping[column]]
    record_access(request, scoped.principal, "personal_data.read", target=person_id, permission=REVEAL,
                  reason=f"fields: {', '.join(fields)}" + (f"; reason: {stated}" if stated else ""))
    return RevealedPerson(person_id=person_id, subject_id=row.subject_id,
                          fields=reveal_fields(request, row.subject_id, fields))


def national(scoped: Scoped, top: int = 10) -> NationalAggregate:
    return NationalAggregate.model_validate(queries.national_aggregation(scoped.reader, top))


def drill_down(request: Request, scoped: Scoped, enterprise_id: str, reason: str, page: int = 1) -> StaffList:
    """An authority's look at one enterprise's staff list: only a visible enterprise, only with a stated reason,
    which is recorded (``personal_data.read``, the reason) before the list is read."""
    text = " ".join(reason.split())
    if len(text) < 5:
        raise invalid("state why you need this enterprise's staff list (at least 5 characters)",
                      Detail("a reason is required; it is recorded in the audit trail", "reason"))
    scoped.one_or_refuse(select(enterprises.c.enterprise_id).where(enterprises.c.enterprise_id == enterprise_id),
                         f"no enterprise {enterprise_id!r} that you may see")
    record_access(request, scoped.principal, "personal_data.read", target=f"/personnel?enterprise_id={enterprise_id}",
                  permission=PERSON_READ, reason=f"national registry drill-down: {text}")
    return staff_list(scoped, enterprise_id=enterprise_id, page=page, drilled=True)


def document_access(request: Request, scoped: Scoped, person_id: str, today: date | None = None
                    ) -> DocumentAccessReport:
    """The person's copies of controlled documents in the last 90 days, and the days of unusual (bulk) access.

    The query (:func:`reetrace.domains.personnel.queries.document_access`) reads the ``documents.copy.*``
    events of the log within the principal's tenants.
    """
    until = today or date.today()
    since = until - timedelta(days=queries.ACCESS_WINDOW_DAYS - 1)
    source = "documents.copy.issued and documents.copy.opened events of the log"
    row = person_row(scoped, person_id)
    accesses = queries.document_access(scoped.reader, person_id, since, until, subject_id=row.subject_id)
    days = queries.unusual_access(accesses, (since, until))
    return DocumentAccessReport(
        person_id=person_id, since=since, until=until, source=source,
        accesses=[{"entry_idx": a.entry_idx, "occurred_at": a.occurred_at.isoformat(), "kind": a.kind,
                   "document_id": a.document_id, "copy_id": a.copy_id} for a in accesses],
        unusual_days=[{"day": d.day.isoformat(), "copies": d.copies, "documents": d.documents,
                       "threshold": d.threshold, "entries": list(d.entries)} for d in days])


# --- writes --------------------------------------------------------------------------------------------------


def register(request: Request, scoped: Scoped, form: PersonInput) -> Registered:
    scoped.one_or_refuse(select(enterprises.c.enterprise_id).where(enterprises.c.enterprise_id == form.enterprise_id),
                         f"no enterprise {form.enterprise_id!r} that you may register staff for")
    with unit_of_work(request) as (uow, vault):
        done = register_person(uow, vault, caller_of(scoped.principal), form)
    return Registered(person_id=done.person_id, subject_id=done.subject_id, entry_idx=done.entry_idx)


def import_file(request: Request, scoped: Scoped, data: bytes, filename: str) -> ImportReport:
    """Every row checked, then all stored or nothing (a 400 whose ``errors`` name each row and column)."""
    if not data:
        raise invalid("the uploaded file is empty", Detail("choose a CSV or XLSX file with a header row", "file"))
    if len(data) > MAX_UPLOAD:
        raise Error(f"the file is larger than {MAX_UPLOAD // (1024 * 1024)} MiB", code="too_large", http_status=413)
    with unit_of_work(request) as (uow, vault):
        report = import_persons(uow, vault, caller_of(scoped.principal), data, filename or "upload.csv")
    return ImportReport(source=report.source, sha256=report.sha256, rows=report.rows, persons=report.persons,
                        departures=report.departures, first_index=report.first_index, last_index=report.last_index)


def depart(request: Request, scoped: Scoped, person_id: str, form: DepartureInput) -> Departure:
    row = person_row(scoped, person_id)
    policy = TravelPolicy.default()
    with unit_of_work(request) as (uow, _):
        index = record_departure(uow, caller_of(scoped.principal), person_id, form.departed_on, form.reason,
                                 policy=policy)
    until = form.departed_on + timedelta(days=policy.cooling_off_days(row.secrecy_level))
    return Departure(person_id=person_id, entry_idx=index, departed_on=form.departed_on, cooling_off_until=until)


def grant_access(request: Request, scoped: Scoped, person_id: str, form: AccessInput) -> AccessGrants:
    person_row(scoped, person_id)
    with unit_of_work(request) as (uow, _):
        index = set_access(uow, caller_of(scoped.principal), person_id, form.technologies, form.documents)
    return AccessGrants(person_id=person_id, entry_idx=index, technologies=list(dict.fromkeys(form.technologies)),
                        documents=list(dict.fromkeys(form.documents)))
