"""Licence applications: submission (checked, classified, screened), review with an SLA clock, answers to requests
for information.

Who may act (each an :class:`Approver`: a Principal, or an ActingUser outside a request):

- an exporter's user with ``export:application:submit`` submits for an enterprise of their own tenant and answers
  requests for information on applications of the tenants they see (not as an authority);
- a reviewer with ``export:application:review`` must be a user of an authority that supervises the applicant's
  tenant; anyone else gets "no application" (the application's existence is not revealed).

The SLA clock (state of the rule): 45 working days on China's working-day calendar (``reetrace.workdays``).
Day 1 is the first working day after the submission date; the due date is the 45th. A request for information
stops the clock at the end of the day it is made; the exporter's answer restarts it: the working days after the
request day up to and including the answer day do not count, and the due date moves by that many working days.
While a request is open the due date is not known; the days left stay as they were on the request day. A due date
in a year the calendar does not publish is provisional (Monday to Friday only).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, Row, insert, select

from reetrace.authz.principal import visible_tenants
from reetrace.domains.personnel.countries import UnknownCountry, country
from reetrace.domains.personnel.travel import Approver
from reetrace.domains.registry.tables import enterprises
from reetrace.errors import Detail, Error, invalid, not_found
from reetrace.events import Event
from reetrace.storage.ledger import UnitOfWork
from reetrace.workdays import WorkdayCalendar

from .application_models import (
    MAX_CERTIFICATE_BYTES,
    OPEN_STATUSES,
    REVIEW_ACTIONS,
    SLA_WORKDAYS,
    UNIT_KG,
    AnswerInput,
    ApplicationAnswered,
    ApplicationInput,
    ApplicationReviewed,
    ApplicationSubmitted,
    Certificate,
    CertificateInput,
    LicenceTerms,
    Owner,
    Party,
    PartyInput,
)
from .application_tables import applications, certificate_files
from .classify import classify, parse_item
from .controllist import ControlList
from .screen import screen_parties

HOME_COUNTRY = "CN"
SUBMIT = "export:application:submit"
REVIEW = "export:application:review"


def new_id(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:16].upper()}"


# --- checking an application ----------------------------------------------------------------------------------


class _Problems:
    def __init__(self) -> None:
        self.details: list[Detail] = []
        self.codes: list[str] = []

    def add(self, message: str, where: str, code: str = "bad_application") -> None:
        self.details.append(Detail(message, where))
        self.codes.append(code)

    def raise_if_any(self, what: str) -> None:
        if self.details:
            first = self.details[0]
            raise invalid(f"the {what} is not valid: {first.location}: {first.message}", *self.details,
                          code=self.codes[0])


def _country(code: str, where: str, problems: _Problems) -> str:
    try:
        return country(code).alpha2
    except UnknownCountry:
        problems.add(f"unknown country {code!r} (ISO 3166-1 alpha-2)", where, "unknown_country")
        return "ZZ"


def _party(p: PartyInput, where: str, problems: _Problems) -> Party:
    owners = []
    for n, o in enumerate(p.owners):
        if not 0 < o.share <= 100:
            problems.add(f"share {o.share} % is not in (0, 100]", f"{where}.owners[{n}].share", "bad_owners")
        owners.append(Owner(name=o.name, country=_country(o.country, f"{where}.owners[{n}].country", problems),
                            share=o.share))
    total = sum((o.share for o in p.owners), Decimal(0))
    if total > 100:
        problems.add(f"the owners' shares sum to {total} %, more than 100 %", f"{where}.owners", "bad_owners")
    return Party(name=p.name, country=_country(p.country, f"{where}.country", problems), address=p.address,
                 role=p.role, owners=tuple(owners))


def check_certificates(items: Sequence[CertificateInput], problems: _Problems, where: str = "certificates",
                       required: bool = True) -> list[tuple[Certificate, bytes]]:
    import hashlib

    out: list[tuple[Certificate, bytes]] = []
    for n, c in enumerate(items):
        loc = f"{where}[{n}]"
        if c.kind not in ("end_user", "end_use"):
            problems.add(f"unknown certificate kind {c.kind!r}; end_user or end_use", f"{loc}.kind",
                         "bad_certificate")
            continue
        if not c.data:
            problems.add(f"the file {c.name!r} is empty", f"{loc}.file", "bad_certificate")
            continue
        if len(c.data) > MAX_CERTIFICATE_BYTES:
            problems.add(f"the file {c.name!r} is {len(c.data):,} bytes; at most {MAX_CERTIFICATE_BYTES:,}",
                         f"{loc}.file", "bad_certificate")
            continue
        out.append((Certificate(kind=c.kind, name=c.name, size=len(c.data),
                                sha256=hashlib.sha256(c.data).hexdigest()), c.data))
    if required:
        kinds = {c.kind for c, _ in out}
        for kind, words in (("end_user", "an end-user certificate"), ("end_use", "an end-use certificate")):
            if kind not in kinds:
                problems.add(f"{words} is missing (kind {kind!r})", where, "missing_certificate")
    return out


def _check(app: ApplicationInput, problems: _Problems) -> tuple[Any, Decimal, list[Party]]:
    """The item, the quantity in kg and the parties (consignee, end user, intermediaries), all checked."""
    item = None
    try:
        item = parse_item(app.item)
    except Error as exc:
        for d in exc.details:
            problems.add(d.message, f"item.{d.location}", "bad_item")
    quantity_kg = Decimal(0)
    if app.quantity.unit not in UNIT_KG:
        problems.add(f"unknown unit {app.quantity.unit!r}; kg or t", "quantity.unit", "bad_quantity")
    elif app.quantity.amount <= 0:
        problems.add(f"the quantity {app.quantity.amount} must be more than zero", "quantity.amount", "bad_quantity")
    else:
        quantity_kg = app.quantity.amount * UNIT_KG[app.quantity.unit]
    if app.value.amount < 0:
        problems.add(f"the value {app.value.amount} is negative", "value.amount", "bad_value")
    parties = [_party(app.consignee, "consignee", problems), _party(app.end_user, "end_user", problems)]
    parties += [_party(p, f"intermediaries[{n}]", problems) for n, p in enumerate(app.intermediaries)]
    destination = _country(app.final_destination, "final_destination", problems)
    if destination == HOME_COUNTRY:
        problems.add("the final destination is CN, the home country; an export licence is for a destination "
                     "abroad", "final_destination", "unknown_country")
    if not app.no_retransfer_undertaking:
        problems.add("the undertaking not to re-transfer the item without consent must be given (true)",
                     "no_retransfer_undertaking", "undertaking_required")
    return item, quantity_kg, parties


def _exporter_tenant(conn: Connection, actor: Approver, exporter_id: str) -> str:
    if SUBMIT not in actor.permissions:
        raise Error(f"{actor.username} may not submit licence applications (needs {SUBMIT})", code="forbidden",
                    http_status=403)
    tenant = conn.execute(select(enterprises.c.tenant).where(
        enterprises.c.enterprise_id == exporter_id)).scalar_one_or_none()
    if tenant is None or tenant != actor.tenant:
        raise invalid(f"exporter_id: no enterprise {exporter_id!r} in {actor.tenant}", Detail(
            "the exporter must be an enterprise of the submitting user's tenant", "exporter_id"),
                      code="unknown_exporter")
    return str(tenant)


# --- submission -----------------------------------------------------------------------------------------------


def submit_application(uow: UnitOfWork, actor: Approver, app: ApplicationInput, *, today: date,
                       calendar: WorkdayCalendar | None = None, control_list: ControlList | None = None) -> str:
    """Check, classify (as of ``today``), screen and record an application; returns its id. Nothing is stored
    when anything is wrong."""
    cal = calendar or WorkdayCalendar.load()
    cl = control_list or ControlList.default()
    tenant = _exporter_tenant(uow.conn, actor, app.exporter_id)
    problems = _Problems()
    item, quantity_kg, parties = _check(app, problems)
    files = check_certificates(app.certificates, problems)
    problems.raise_if_any("application")
    assert item is not None
    classification = classify(item, today, cl)
    consignee, end_user, *intermediaries = parties
    roles = [("consignee", consignee), ("end_user", end_user),
             *((f"intermediaries[{n}]", p) for n, p in enumerate(intermediaries))]
    screening = screen_parties(uow.conn, roles, app.end_use, app.military_end_use, today, cl, tenant=tenant)
    due = cal.add_workdays(today, SLA_WORKDAYS)
    application_id = new_id("LA")
    body = ApplicationSubmitted(
        application_id=application_id, exporter_id=app.exporter_id, contract_id=app.contract_id,
        item=item.model_dump(mode="json"), classification=classification.as_json(),
        rule_ids=tuple(m.rule_id for m in classification.controlling), quantity_kg=quantity_kg,
        unit=app.quantity.unit, value=app.value.amount, currency=app.value.currency,
        consignee=consignee, end_user=end_user, intermediaries=tuple(intermediaries), end_use=app.end_use,
        military_end_use=app.military_end_use, final_destination=country(app.final_destination).alpha2,
        product=app.product, certificates=tuple(c for c, _ in files), no_retransfer_undertaking=True,
        screening=screening, submitted_on=today, due_on=due,
        due_provisional=not (cal.covers(today) and cal.covers(due)))
    store_files(uow.conn, tenant, files)
    uow.record(Event(kind="licensing.application.submitted", tenant=tenant, actor=actor.username,
                     subjects=(application_id, app.exporter_id), body=body.model_dump(mode="json")))
    return application_id


def store_files(conn: Connection, tenant: str, files: Sequence[tuple[Certificate, bytes]]) -> None:
    """Keep the bytes of each certificate once per tenant and digest."""
    for cert, data in files:
        known = conn.execute(select(certificate_files.c.sha256).where(
            certificate_files.c.tenant == tenant, certificate_files.c.sha256 == cert.sha256)).first()
        if known is None:
            conn.execute(insert(certificate_files).values(tenant=tenant, sha256=cert.sha256, size=cert.size,
                                                          content=data))


# --- review ---------------------------------------------------------------------------------------------------


def application_row(conn: Connection, application_id: str) -> Row[Any]:
    row = conn.execute(select(applications).where(applications.c.application_id == application_id)).first()
    if row is None:
        raise not_found(f"no licence application {application_id!r}")
    return row


def _reviewable(conn: Connection, reviewer: Approver, application_id: str) -> Row[Any]:
    if REVIEW not in reviewer.permissions:
        raise Error(f"{reviewer.username} may not review licence applications (needs {REVIEW})", code="forbidden",
                    http_status=403)
    row = application_row(conn, application_id)
    if reviewer.tenant_kind != "authority" or row.tenant not in visible_tenants(conn, reviewer.tenant):
        raise not_found(f"no licence application {application_id!r}")
    return row


def review_application(uow: UnitOfWork, reviewer: Approver, application_id: str, action: str, reason: str, *,
                       today: date, terms: LicenceTerms | None = None) -> str | None:
    """A reviewer's note, request for information, approval (issues a licence, whose id is returned) or denial."""
    from .licences import issue_licence

    if action not in REVIEW_ACTIONS:
        raise invalid(f"unknown review action {action!r}", Detail(" | ".join(REVIEW_ACTIONS), "action"),
                      code="bad_action")
    reason = reason.strip()
    if not reason:
        raise invalid(f"a {action} needs a reason or text", Detail("say why", "reason"), code="reason_required")
    row = _reviewable(uow.conn, reviewer, application_id)
    if row.status not in OPEN_STATUSES:
        raise Error(f"licence application {application_id} is {row.status}; it is decided", code="decided",
                    http_status=409)
    if today < row.submitted_on:
        raise invalid(f"{today} is before the submission date {row.submitted_on}", Detail("", "today"),
                      code="bad_date")
    waiting = row.status == "awaiting_information"
    if action == "rfi" and waiting:
        raise Error(f"licence application {application_id} already waits for an answer", code="rfi_open",
                    http_status=409)
    if action == "approve" and waiting:
        raise Error(f"licence application {application_id} waits for an answer to a request for information; "
                    "decide after the answer (or deny)", code="rfi_open", http_status=409)
    status = {"note": "awaiting_information" if waiting else "under_review", "rfi": "awaiting_information",
              "approve": "approved", "deny": "denied"}[action]
    licence_id = new_id("LIC") if action == "approve" else None
    licence = None
    if licence_id is not None:
        licence = issue_licence(row, licence_id, terms or LicenceTerms(), today)
    body = ApplicationReviewed.model_validate({
        "application_id": application_id, "action": action, "reason": reason, "user_id": reviewer.user_id,
        "username": reviewer.username, "user_tenant": reviewer.tenant, "on": today, "status": status,
        "licence_id": licence_id, "overrides_presumption": action == "approve" and bool(row.flagged)})
    uow.record(Event(kind="licensing.application.reviewed", tenant=row.tenant, actor=reviewer.username,
                     subjects=(application_id,), body=body.model_dump(mode="json")))
    if licence is not None:
        uow.record(Event(kind="licensing.licence.issued", tenant=row.tenant, actor=reviewer.username,
                         subjects=(licence.licence_id, application_id, licence.exporter_id),
                         body=licence.model_dump(mode="json")))
    return licence_id


def exporter_row(conn: Connection, actor: Approver, application_id: str, permission: str = SUBMIT) -> Row[Any]:
    """The application if ``actor`` (an exporter's user holding ``permission``) may act on it."""
    if permission not in actor.permissions:
        raise Error(f"{actor.username} may not do this (needs {permission})", code="forbidden", http_status=403)
    row = application_row(conn, application_id)
    if actor.tenant_kind == "authority" or row.tenant not in visible_tenants(conn, actor.tenant):
        raise not_found(f"no licence application {application_id!r}")
    return row


def answer_rfi(uow: UnitOfWork, actor: Approver, application_id: str, answer: AnswerInput, *, today: date,
               calendar: WorkdayCalendar | None = None) -> date:
    """Answer the open request for information; the clock restarts. Returns the new due date."""
    cal = calendar or WorkdayCalendar.load()
    row = exporter_row(uow.conn, actor, application_id)
    if row.status != "awaiting_information":
        raise Error(f"licence application {application_id} is {row.status}; no request for information is open",
                    code="no_rfi", http_status=409)
    if today < row.paused_since:
        raise invalid(f"{today} is before the request for information of {row.paused_since}",
                      Detail("answer on or after the request day", "today"), code="bad_date")
    problems = _Problems()
    files = check_certificates(answer.certificates, problems, required=False)
    problems.raise_if_any("answer")
    paused = cal.workdays_between(row.paused_since, today)
    due = cal.add_workdays(row.submitted_on, SLA_WORKDAYS + int(row.paused_workdays) + paused)
    body = ApplicationAnswered(application_id=application_id, answer=answer.answer,
                               certificates=tuple(c for c, _ in files), on=today, paused_workdays=paused,
                               due_on=due, due_provisional=not cal.covers(due))
    store_files(uow.conn, row.tenant, files)
    uow.record(Event(kind="licensing.application.answered", tenant=row.tenant, actor=actor.username,
                     subjects=(application_id,), body=body.model_dump(mode="json")))
    return due
