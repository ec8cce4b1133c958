"""Travel requests: submission decided by the travel policy, approval level by level, cancellation, debrief.

At submission the policy (rules as data, see ``policy.py``) derives the approval chain from the destinations'
tier, the person's secrecy level, watch-list and cooling-off status and the purpose. The policy itself is on the
log (``personnel.policy.published``, once per digest) and every decision names the entry that holds it. Each
approval step is an event; a refusal ends the request, the last approval approves it. After the trip, a debrief
is due within the policy's number of working days; a deviation from the approval raises an alert.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any, Protocol

from pydantic import BaseModel
from sqlalchemy import Connection, CursorResult, Row, Select, insert, select, update

from reetrace.domains.personnel.countries import UnknownCountry, country
from reetrace.domains.personnel.policy import TravelFacts, TravelPolicy
from reetrace.domains.personnel.queries import person_facts
from reetrace.errors import Detail, Error, invalid, not_found
from reetrace.events import Event, EventKind, canonical_json
from reetrace.storage.ledger import UnitOfWork
from reetrace.storage.vault import Vault
from reetrace.workdays import WorkdayCalendar

from .checks import (
    cooling_off_finding,
    debrief_due_on,
    debrief_overdue_key,
    deviation_finding,
    previous_trips,
    resolve_open,
    trip_in_cooling_off,
)
from .travel_models import (
    DebriefInput,
    Level,
    PolicyDecision,
    PolicyPublished,
    TravelActed,
    TravelCancelled,
    TravelDebriefed,
    TravelRequested,
    TravelRequestInput,
    Trip,
)
from .travel_tables import travel_debriefs, travel_policies, travel_requests, travel_steps

HOME_COUNTRY = "CN"
LEVEL_PERMISSION: dict[str, str] = {
    "enterprise": "personnel:travel:approve",
    "group": "personnel:travel:endorse",
    "authority": "personnel:travel:authorise",
}


class Approver(Protocol):
    """Who acts on a request: a :class:`reetrace.authz.principal.Principal` or an :class:`ActingUser`."""

    @property
    def user_id(self) -> str: ...
    @property
    def username(self) -> str: ...
    @property
    def tenant(self) -> str: ...
    @property
    def tenant_kind(self) -> str: ...
    @property
    def permissions(self) -> frozenset[str]: ...


@dataclass(frozen=True)
class ActingUser:
    """An approver outside a web request (CLI, demo, tests)."""

    user_id: str
    username: str
    tenant: str
    tenant_kind: str
    permissions: frozenset[str]


class Reader(Protocol):
    """A ``sqlalchemy.Connection`` or a :class:`reetrace.authz.scope.ScopedReader`."""

    def execute(self, statement: Select[Any], /) -> CursorResult[Any]: ...


@dataclass(frozen=True)
class Step:
    step: int
    level: str
    decision: str
    reason: str
    user_id: str
    username: str
    user_tenant: str
    entry_idx: int


@dataclass(frozen=True)
class TravelRequestView:
    request_id: str
    tenant: str
    person_id: str
    enterprise_id: str | None
    destinations: tuple[str, ...]
    depart_on: date
    return_on: date
    purpose: str
    inviting_organisation: str
    previous_trips: tuple[Trip, ...]
    requested_on: date
    policy_version: str
    policy_digest: str
    policy_entry: int
    tier: str
    rule_id: str
    reasons: tuple[str, ...]
    chain: tuple[str, ...]
    status: str
    next_level: str | None
    steps: tuple[Step, ...]
    entry_idx: int


@dataclass(frozen=True)
class Debriefed:
    request_id: str
    due_on: date
    late: bool
    deviations: tuple[str, ...]
    alert_id: str | None


# --- the policy on the log ------------------------------------------------------------------------------------


def publish_policy(uow: UnitOfWork, policy: TravelPolicy, actor: str = "system") -> int:
    """The index of the log entry holding ``policy``; records it first if this digest is not on the log yet."""
    found = uow.conn.execute(select(travel_policies.c.entry_idx).where(
        travel_policies.c.digest == policy.digest)).scalar_one_or_none()
    if found is not None:
        return int(found)
    text = policy_text(policy)
    body = PolicyPublished(digest=policy.digest, version=policy.version, policy=text)
    return uow.record(Event(kind="personnel.policy.published", actor=actor, subjects=(policy.digest,),
                            body=body.model_dump(mode="json")))


def policy_text(policy: TravelPolicy) -> str:
    """The policy's canonical JSON (RFC 8785) as text."""
    value: Any = policy.as_json()
    if isinstance(value, bytes):
        return value.decode("utf-8")
    if isinstance(value, str):
        return value
    return canonical_json(value, "policy").decode("utf-8")


# --- submission -----------------------------------------------------------------------------------------------


def submit_request(uow: UnitOfWork, vault: Vault, actor: str, request: TravelRequestInput, *, policy: TravelPolicy,
                   today: date, tenants: Collection[str] | None = None) -> TravelRequestView:
    """Check the request, let the policy decide, seal the declarations in the vault and record the request.

    ``tenants`` (the caller's scope), when given, must hold the person's tenant.
    """
    facts = person_facts(uow.conn, request.person_id)
    if facts is None or (tenants is not None and facts.tenant not in tenants):
        raise not_found(f"no person {request.person_id!r} in the registry")
    destinations = _check_request(request, policy, today)
    in_cooling_off = trip_in_cooling_off(facts, request.depart_on, request.return_on)
    decision = policy.decide(TravelFacts(destinations=destinations, secrecy_level=facts.secrecy_level,
                                         watch_listed=facts.watch_listed, in_cooling_off=in_cooling_off,
                                         purpose=request.purpose))
    policy_entry = publish_policy(uow, policy, actor)
    chain: tuple[Level, ...] = tuple(decision.chain)  # type: ignore[arg-type]
    refused = decision.outcome == "refuse" or not chain
    request_id = f"travel-{uuid.uuid4().hex}"
    subject = facts.subject_id
    body = TravelRequested(
        request_id=request_id, person_id=facts.person_id, subject_id=subject, enterprise_id=facts.enterprise_id,
        destinations=destinations, depart_on=request.depart_on, return_on=request.return_on,
        purpose=request.purpose, inviting_organisation=request.inviting_organisation,
        foreign_contacts=vault.commit(subject, f"travel.{request_id}.foreign_contacts",
                                      _sealed(request.foreign_contacts)),
        family_foreign_ties=vault.commit(subject, f"travel.{request_id}.family_foreign_ties",
                                         _sealed(request.family_foreign_ties)),
        previous_trips=tuple(previous_trips(uow.conn, facts.person_id, today)), requested_on=today,
        decision=PolicyDecision(
            policy_version=policy.version, policy_digest=policy.digest, policy_entry=policy_entry,
            outcome="refuse" if refused else "approve_chain", tier=str(decision.tier), rule_id=decision.rule_id,
            reasons=tuple(decision.reasons), chain=() if refused else chain,
            facts={"destinations": list(destinations), "secrecy_level": facts.secrecy_level,
                   "watch_listed": facts.watch_listed, "in_cooling_off": in_cooling_off,
                   "purpose": request.purpose}),
        status="refused" if refused else "pending", next_level=None if refused else chain[0])
    uow.record(Event(kind="personnel.travel.requested", tenant=facts.tenant, actor=actor,
                     subjects=(request_id, facts.person_id), body=body.model_dump(mode="json")))
    if facts.status == "departed" or in_cooling_off:
        cooling_off_finding(uow, facts, request_id, facts.tenant, request.depart_on, request.return_on,
                            list(destinations), body.status)
    view = get_request(uow.conn, request_id)
    assert view is not None
    return view


def _check_request(request: TravelRequestInput, policy: TravelPolicy, today: date) -> tuple[str, ...]:
    """Destinations as known alpha-2 codes (duplicates dropped, order kept); every problem reported at once."""
    problems: list[Detail] = []
    codes: list[str] = []
    for n, code in enumerate(request.destinations):
        try:
            alpha2 = country(code).alpha2
        except UnknownCountry:
            problems.append(Detail(f"unknown destination code {code!r} (ISO 3166-1 alpha-2)",
                                   f"destinations[{n}]"))
            continue
        if alpha2 == HOME_COUNTRY:
            problems.append(Detail(f"{alpha2} is the home country; a request is for travel abroad "
                                   "(Hong Kong, Macau and Taiwan included)", f"destinations[{n}]"))
        elif alpha2 not in codes:
            codes.append(alpha2)
    if request.return_on < request.depart_on:
        problems.append(Detail(f"the return date {request.return_on} is before the departure date "
                               f"{request.depart_on}", "return_on"))
    if request.depart_on < today:
        problems.append(Detail(f"the departure date {request.depart_on} is in the past (today is {today})",
                               "depart_on"))
    purposes = tuple(policy.purposes)
    if request.purpose not in purposes:
        problems.append(Detail(f"unknown purpose {request.purpose!r}; the policy knows {', '.join(purposes)}",
                               "purpose"))
    if problems:
        raise invalid(f"the travel request is not valid: {problems[0].message}", *problems,
                      code=_problem_code(problems[0]))
    return tuple(codes)


def _problem_code(first: Detail) -> str:
    if first.location.startswith("destinations") and first.message.startswith("unknown"):
        return "unknown_country"
    return {"return_on": "dates_out_of_order", "depart_on": "date_in_past",
            "purpose": "unknown_purpose"}.get(first.location, "invalid")


def _sealed(items: Sequence[BaseModel]) -> str:
    return canonical_json([i.model_dump(mode="json") for i in items], "declaration").decode("utf-8")


# --- approval -------------------------------------------------------------------------------------------------


def act_on_request(uow: UnitOfWork, approver: Approver, request_id: str, decision: str,
                   reason: str = "") -> TravelRequestView:
    """One approval step by ``approver`` at the request's next level: ``approve`` or ``refuse`` (with a reason)."""
    row = _request_row(uow.conn, request_id)
    if decision not in ("approve", "refuse"):
        raise invalid(f"decision {decision!r} is neither 'approve' nor 'refuse'", Detail("approve | refuse",
                                                                                          "decision"))
    reason = reason.strip()
    if decision == "refuse" and not reason:
        raise invalid("a refusal needs a reason", Detail("say why the trip is refused", "reason"),
                      code="reason_required")
    if row.status != "pending":
        raise Error(f"travel request {request_id} is {row.status}; only a pending request can be acted on",
                    code="not_pending", http_status=409)
    done = uow.conn.execute(select(travel_steps.c.step, travel_steps.c.level).where(
        travel_steps.c.request_id == request_id, travel_steps.c.user_id == approver.user_id)).first()
    if done is not None:
        raise Error(f"{approver.username} already acted on travel request {request_id} (step {done.step}, "
                    f"{done.level} level); each level needs another person", code="already_acted", http_status=409)
    level = str(row.next_level)
    _may_act(uow.conn, approver, level, row.tenant, request_id)
    chain = row.chain.split()
    step = int(row.steps_done) + 1
    if decision == "refuse":
        status, next_level = "refused", None
    elif step >= len(chain):
        status, next_level = "approved", None
    else:
        status, next_level = "pending", chain[step]
    body = TravelActed.model_validate({
        "request_id": request_id, "step": step, "level": level, "decision": decision, "reason": reason,
        "user_id": approver.user_id, "username": approver.username, "user_tenant": approver.tenant,
        "status": status, "next_level": next_level})
    uow.record(Event(kind="personnel.travel.acted", tenant=row.tenant, actor=approver.username,
                     subjects=(request_id, row.person_id), body=body.model_dump(mode="json")))
    view = get_request(uow.conn, request_id)
    assert view is not None
    return view


def _may_act(conn: Connection, approver: Approver, level: str, tenant: str, request_id: str) -> None:
    """Refuse unless the approver holds the level's permission in a tenant that may act at that level."""
    from reetrace.authz.principal import visible_tenants

    permission = LEVEL_PERMISSION[level]
    if permission not in approver.permissions:
        raise Error(f"travel request {request_id} waits for the {level} level, which needs {permission}; "
                    f"{approver.username} does not hold it", code="wrong_level", http_status=403)
    if level == "enterprise":
        allowed = approver.tenant == tenant
        who = f"a user of {tenant}"
    elif level == "group":
        allowed = approver.tenant == tenant or (
            approver.tenant_kind != "authority" and tenant in visible_tenants(conn, approver.tenant))
        who = f"a user of {tenant} or of a group supervising it"
    else:
        allowed = approver.tenant_kind == "authority" and tenant in visible_tenants(conn, approver.tenant)
        who = f"a user of an authority supervising {tenant}"
    if not allowed:
        raise Error(f"travel request {request_id} waits for the {level} level, which must be {who}; "
                    f"{approver.username} is of {approver.tenant}", code="wrong_level", http_status=403)


def cancel_request(uow: UnitOfWork, actor: str, request_id: str, reason: str, *,
                   tenants: Collection[str] | None = None) -> TravelRequestView:
    """Withdraw a pending or approved request (the trip will not take place)."""
    row = _request_row(uow.conn, request_id, tenants)
    if not reason.strip():
        raise invalid("a cancellation needs a reason", Detail("say why", "reason"), code="reason_required")
    if row.status not in ("pending", "approved"):
        raise Error(f"travel request {request_id} is {row.status}; only a pending or approved request can be "
                    "cancelled", code="not_cancellable", http_status=409)
    body = TravelCancelled(request_id=request_id, reason=reason.strip(), previous_status=row.status)
    uow.record(Event(kind="personnel.travel.cancelled", tenant=row.tenant, actor=actor,
                     subjects=(request_id, row.person_id), body=body.model_dump(mode="json")))
    view = get_request(uow.conn, request_id)
    assert view is not None
    return view


# --- debrief --------------------------------------------------------------------------------------------------


def record_debrief(uow: UnitOfWork, vault: Vault, actor: str, request_id: str, debrief: DebriefInput, *,
                   today: date, policy: TravelPolicy, calendar: WorkdayCalendar,
                   tenants: Collection[str] | None = None) -> Debriefed:
    """Record what happened on an approved trip; lateness and deviations are computed and kept on the log.

    The debrief is due ``policy.debrief_working_days`` working days after the approved return date (the date the
    overdue check also uses). Another destination or a later return is a deviation and raises an alert.
    """
    row = _request_row(uow.conn, request_id, tenants)
    if row.status != "approved":
        said = "was already debriefed" if row.status == "completed" else f"is {row.status}"
        raise Error(f"travel request {request_id} {said}; only an approved trip can be debriefed",
                    code="not_debriefable", http_status=409)
    actual = _check_debrief(debrief, row.depart_on, today)
    planned = row.destinations.split()
    deviations = [f"visited {code} ({country(code).name}), which the approval does not cover"
                  for code in actual if code not in planned]
    if debrief.actual_return_on > row.return_on:
        longer = (debrief.actual_return_on - row.return_on).days
        deviations.append(f"returned on {debrief.actual_return_on} instead of {row.return_on} "
                          f"({longer} day(s) longer)")
    due = debrief_due_on(row.return_on, policy, calendar)
    body = TravelDebriefed(request_id=request_id, actual_destinations=actual,
                           actual_return_on=debrief.actual_return_on,
                           contacts_met=vault.commit(row.subject_id, f"travel.{request_id}.contacts_met",
                                                     _sealed(debrief.contacts_met)),
                           notes=debrief.notes, debriefed_on=today, due_on=due, late=today > due,
                           deviations=tuple(deviations))
    uow.record(Event(kind="personnel.travel.debriefed", tenant=row.tenant, actor=actor,
                     subjects=(request_id, row.person_id), body=body.model_dump(mode="json")))
    resolve_open(uow, debrief_overdue_key(request_id), actor, f"the debrief was recorded on {today}")
    alert_id = None
    if deviations:
        alert_id = deviation_finding(uow, tenant=row.tenant, request_id=request_id, person_id=row.person_id,
                                     deviations=deviations, planned=planned, actual=list(actual),
                                     return_on=row.return_on, actual_return_on=debrief.actual_return_on).alert_id
    return Debriefed(request_id, due, today > due, tuple(deviations), alert_id)


def _check_debrief(debrief: DebriefInput, depart_on: date, today: date) -> tuple[str, ...]:
    problems: list[Detail] = []
    codes: list[str] = []
    for n, code in enumerate(debrief.actual_destinations):
        try:
            alpha2 = country(code).alpha2
        except UnknownCountry:
            problems.append(Detail(f"unknown destination code {code!r} (ISO 3166-1 alpha-2)",
                                   f"actual_destinations[{n}]"))
            continue
        if alpha2 not in codes:
            codes.append(alpha2)
    if debrief.actual_return_on < depart_on:
        problems.append(Detail(f"the return date {debrief.actual_return_on} is before the departure date "
                               f"{depart_on}", "actual_return_on"))
    elif debrief.actual_return_on > today:
        problems.append(Detail(f"the return date {debrief.actual_return_on} is after today ({today}); debrief "
                               "after the return", "actual_return_on"))
    if problems:
        code = "unknown_country" if problems[0].location.startswith("actual_destinations") else \
            "dates_out_of_order"
        raise invalid(f"the debrief is not valid: {problems[0].message}", *problems, code=code)
    return tuple(codes)


# --- reads ----------------------------------------------------------------------------------------------------


def get_request(reader: Reader, request_id: str) -> TravelRequestView | None:
    """One request with its approval steps (through a scoped reader, a request of another tenant is None)."""
    row = reader.execute(select(travel_requests).where(travel_requests.c.request_id == request_id)).first()
    if row is None:
        return None
    steps = reader.execute(select(travel_steps).where(travel_steps.c.request_id == request_id)
                           .order_by(travel_steps.c.step)).all()
    return _view(row, steps)


def list_requests(reader: Reader, *, status: str | None = None, person_id: str | None = None,
                  next_level: str | None = None, limit: int = 100) -> list[TravelRequestView]:
    """Requests, newest first, optionally filtered (e.g. ``status="pending", next_level="group"`` for a queue)."""
    query = select(travel_requests)
    if status is not None:
        query = query.where(travel_requests.c.status == status)
    if person_id is not None:
        query = query.where(travel_requests.c.person_id == person_id)
    if next_level is not None:
        query = query.where(travel_requests.c.next_level == next_level)
    rows = reader.execute(query.order_by(travel_requests.c.entry_idx.desc()).limit(limit)).all()
    if not rows:
        return []
    steps: dict[str, list[Row[Any]]] = {}
    for s in reader.execute(select(travel_steps).where(travel_steps.c.request_id.in_([r.request_id for r in rows]))
                            .order_by(travel_steps.c.request_id, travel_steps.c.step)):
        steps.setdefault(s.request_id, []).append(s)
    return [_view(r, steps.get(r.request_id, [])) for r in rows]


def reveal_declarations(vault: Vault, view: TravelRequestView) -> dict[str, list[dict[str, Any]]]:
    """The declared foreign contacts and family foreign ties in clear (the caller audits the read)."""
    subject = _subject_of(vault.conn, view.request_id)
    return {field: json.loads(vault.reveal(subject, f"travel.{view.request_id}.{field}"))
            for field in ("foreign_contacts", "family_foreign_ties")}


def _subject_of(conn: Connection, request_id: str) -> str:
    return str(_request_row(conn, request_id).subject_id)


def _request_row(conn: Connection, request_id: str, tenants: Collection[str] | None = None) -> Row[Any]:
    row = conn.execute(select(travel_requests).where(travel_requests.c.request_id == request_id)).first()
    if row is None or (tenants is not None and row.tenant not in tenants):
        raise not_found(f"no travel request {request_id!r}")
    return row


def _view(row: Row[Any], steps: Sequence[Row[Any]]) -> TravelRequestView:
    return TravelRequestView(
        request_id=row.request_id, tenant=row.tenant, person_id=row.person_id, enterprise_id=row.enterprise_id,
        destinations=tuple(row.destinations.split()), depart_on=row.depart_on, return_on=row.return_on,
        purpose=row.purpose, inviting_organisation=row.inviting_organisation,
        previous_trips=tuple(Trip.model_validate(t) for t in json.loads(row.previous_trips)),
        requested_on=row.requested_on, policy_version=row.policy_version, policy_digest=row.policy_digest,
        policy_entry=int(row.policy_entry), tier=row.tier, rule_id=row.rule_id,
        reasons=tuple(json.loads(row.reasons)), chain=tuple(row.chain.split()), status=row.status,
        next_level=row.next_level,
        steps=tuple(Step(int(s.step), s.level, s.decision, s.reason, s.user_id, s.username, s.user_tenant,
                         int(s.entry_idx)) for s in steps),
        entry_idx=int(row.entry_idx))


# --- projections ----------------------------------------------------------------------------------------------

Items = Sequence[tuple[Event, int]]


def _project_policy(conn: Connection, items: Items) -> None:
    for event, index in items:
        body = PolicyPublished.model_validate(event.body)
        conn.execute(insert(travel_policies).values(digest=body.digest, version=body.version, policy=body.policy,
                                                    entry_idx=index))


def _project_requested(conn: Connection, items: Items) -> None:
    rows = []
    for event, index in items:
        b = TravelRequested.model_validate(event.body)
        d = b.decision
        rows.append({
            "request_id": b.request_id, "tenant": event.tenant, "person_id": b.person_id,
            "subject_id": b.subject_id, "enterprise_id": b.enterprise_id, "destinations": " ".join(b.destinations),
            "depart_on": b.depart_on, "return_on": b.return_on, "purpose": b.purpose,
            "inviting_organisation": b.inviting_organisation, "contacts_commitment": b.foreign_contacts,
            "family_ties_commitment": b.family_foreign_ties,
            "previous_trips": json.dumps([t.model_dump(mode="json") for t in b.previous_trips]),
            "requested_on": b.requested_on, "policy_digest": d.policy_digest, "policy_version": d.policy_version,
            "policy_entry": d.policy_entry, "tier": str(d.tier), "rule_id": d.rule_id,
            "reasons": json.dumps(list(d.reasons), ensure_ascii=False), "chain": " ".join(d.chain),
            "steps_done": 0, "next_level": b.next_level, "status": b.status, "entry_idx": index,
            "updated_idx": index})
    conn.execute(insert(travel_requests), rows)


def _project_acted(conn: Connection, items: Items) -> None:
    for event, index in items:
        b = TravelActed.model_validate(event.body)
        conn.execute(insert(travel_steps).values(
            request_id=b.request_id, step=b.step, tenant=event.tenant, level=b.level, decision=b.decision,
            reason=b.reason, user_id=b.user_id, username=b.username, user_tenant=b.user_tenant, entry_idx=index))
        conn.execute(update(travel_requests).where(travel_requests.c.request_id == b.request_id).values(
            status=b.status, next_level=b.next_level, steps_done=b.step, updated_idx=index))


def _project_cancelled(conn: Connection, items: Items) -> None:
    for event, index in items:
        b = TravelCancelled.model_validate(event.body)
        conn.execute(update(travel_requests).where(travel_requests.c.request_id == b.request_id).values(
            status="cancelled", next_level=None, updated_idx=index))


def _project_debriefed(conn: Connection, items: Items) -> None:
    for event, index in items:
        b = TravelDebriefed.model_validate(event.body)
        conn.execute(insert(travel_debriefs).values(
            request_id=b.request_id, tenant=event.tenant, actual_destinations=" ".join(b.actual_destinations),
            actual_return_on=b.actual_return_on, contacts_commitment=b.contacts_met, notes=b.notes,
            debriefed_on=b.debriefed_on, due_on=b.due_on, late=b.late,
            deviations=json.dumps(list(b.deviations), ensure_ascii=False), entry_idx=index))
        conn.execute(update(travel_requests).where(travel_requests.c.request_id == b.request_id).values(
            status="completed", updated_idx=index))


KINDS = [
    EventKind("personnel.policy.published", PolicyPublished, _project_policy,
              "a travel policy (canonical JSON and digest) that decisions point at"),
    EventKind("personnel.travel.requested", TravelRequested, _project_requested,
              "a travel request with the policy's decision; declarations as vault commitments"),
    EventKind("personnel.travel.acted", TravelActed, _project_acted,
              "one approval step on a travel request: approved or refused, by whom, at which level"),
    EventKind("personnel.travel.cancelled", TravelCancelled, _project_cancelled, "a travel request withdrawn"),
    EventKind("personnel.travel.debriefed", TravelDebriefed, _project_debriefed,
              "what happened on a trip: actual destinations and return, contacts met (commitment), deviations"),
]
