"""Travel and passport custody in the authz world: users, persons, requests and documents, and the route table.

Users (password ``PASSWORD`` of :mod:`authz_world`): ``trv.officer.a`` (group-a, security_officer),
``trv.officer.a2`` (group-a, security_officer), ``trv.group.a`` (group-a, group_security), ``trv.officer.b``
(group-b, security_officer), ``trv.both.a`` (group-a, both roles: approves and endorses).
``reg.officer`` (the regulator's supervisor) authorises at the authority level.

Planted (ids in ``world.extra``): per group a general person (``trv_person_a``/``trv_person_b``), a pending
Hong Kong request (``trv_travel_a``/``trv_travel_b``, chain enterprise then group) and a passport in custody
(``trv_doc_a``/``trv_doc_b``).
"""

from __future__ import annotations

import itertools
from datetime import date, timedelta
from typing import Any

from authz_world import PASSWORD, World

from reetrace.authz import service
from reetrace.authz.passwords import Passwords
from reetrace.domains.personnel.ids import make_resident_id
from reetrace.domains.personnel.models import Caller, PersonInput
from reetrace.domains.personnel.passports import deposit_document
from reetrace.domains.personnel.policy import TravelPolicy
from reetrace.domains.personnel.service import register_person
from reetrace.domains.personnel.travel import ActingUser, act_on_request, submit_request
from reetrace.domains.personnel.travel_models import DocumentInput, TravelRequestInput
from reetrace.web.travelview import today

USERS = {"trv.officer.a": ("group-a", ["security_officer"]), "trv.officer.a2": ("group-a", ["security_officer"]),
         "trv.group.a": ("group-a", ["group_security"]), "trv.officer.b": ("group-b", ["security_officer"]),
         "trv.both.a": ("group-a", ["security_officer", "group_security"])}
ENTERPRISE = {"group-a": "NM-BAOTOU-01", "group-b": "JX-GANZHOU-02"}
POLICY = TravelPolicy.default()
_serial = itertools.count(1)


def populate(world: World) -> None:
    pw = Passwords("low")
    with world.container.unit_of_work() as (uow, vault):
        for username, (tenant, roles) in USERS.items():
            world.user_ids[username] = service.add_user(uow, vault, pw, "test", tenant, username, username, roles,
                                                        PASSWORD)
    for suffix, tenant in (("a", "group-a"), ("b", "group-b")):
        person = add_person(world, tenant)
        world.extra[f"trv_person_{suffix}"] = person
        world.extra[f"trv_travel_{suffix}"] = plant_request(world, person)
        world.extra[f"trv_doc_{suffix}"] = plant_document(world, person)


def add_person(world: World, tenant: str, secrecy_level: str = "general") -> str:
    form = PersonInput(enterprise_id=ENTERPRISE[tenant], name_zh="李明", name_latin="Li Ming",
                       resident_id=make_resident_id("150203", date(1982, 4, 1), 500 + next(_serial)),
                       secrecy_level=secrecy_level, post="engineer", hired_on=date(2015, 3, 1),
                       expertise=("solvent_extraction",))
    with world.container.unit_of_work() as (uow, vault):
        return register_person(uow, vault, Caller.of("test", tenant), form, today=today()).person_id


def plant_request(world: World, person: str, destinations: tuple[str, ...] = ("HK",), days_ahead: int = 20,
                  length: int = 5, on: date | None = None) -> str:
    """A request submitted through the domain (``on``: the day it was submitted, default today)."""
    submitted = on or today()
    form = TravelRequestInput(person_id=person, destinations=destinations,
                              depart_on=submitted + timedelta(days=days_ahead),
                              return_on=submitted + timedelta(days=days_ahead + length), purpose="business",
                              foreign_contacts=({"name": "Jane Roe", "organisation": "Acme Magnets"},),  # type: ignore[arg-type]
                              family_foreign_ties=({"relation": "sister", "country": "CA"},))  # type: ignore[arg-type]
    with world.container.unit_of_work() as (uow, vault):
        return submit_request(uow, vault, "test", form, policy=POLICY, today=submitted).request_id


def approver(world: World, username: str, tenant: str, kind: str, permission: str) -> ActingUser:
    return ActingUser(world.user_ids[username], username, tenant, kind, frozenset({permission}))


def plant_past_trip(world: World, tenant: str, person: str) -> str:
    """An approved Hong Kong trip that ended two days ago (submitted 30 days ago), ready for a debrief."""
    request_id = plant_request(world, person, on=today() - timedelta(days=30), days_ahead=20, length=8)
    officer, group = ("trv.officer.a", "trv.group.a") if tenant == "group-a" else ("trv.officer.b", "trv.officer.b")
    steps = [approver(world, officer, tenant, "group", "personnel:travel:approve"),
             approver(world, group, tenant, "group", "personnel:travel:endorse")]
    if tenant == "group-b":  # group-b has no group security user: a second, ad-hoc approver
        steps[1] = ActingUser("user-" + "e" * 32, "b.group", tenant, "group", frozenset({"personnel:travel:endorse"}))
    for step in steps:
        with world.container.unit_of_work() as (uow, _):
            act_on_request(uow, step, request_id, "approve")
    return request_id


def plant_document(world: World, person: str, doc_type: str = "passport") -> str:
    form = DocumentInput(person_id=person, doc_type=doc_type, number=f"E{next(_serial):08d}",  # type: ignore[arg-type]
                         expires_on=today() + timedelta(days=3000))
    with world.container.unit_of_work() as (uow, vault):
        return deposit_document(uow, vault, "test", form, today=today()).document_id


NO_REQUEST, NO_DOCUMENT = "travel-" + "0" * 32, "doc-" + "0" * 32
T, P = "/api/v1/personnel/travel", "/api/v1/personnel/passports"
# (user, method, url, json body, status, code): bad input on every API route, sent by a user holding its permission
BAD_REQUESTS: list[tuple[str, str, str, Any, int, str]] = [
    ("trv.officer.a", "GET", f"{T}?limit=0", None, 400, "invalid_request"),
    ("trv.officer.a", "GET", f"{T}?status=lost", None, 400, "invalid_request"),
    ("trv.officer.a", "GET", f"{T}?person=%20bad", None, 400, "invalid_request"),
    ("trv.officer.a", "POST", T, {}, 400, "invalid_request"),
    ("trv.officer.a", "POST", T, [1], 400, "invalid_request"),
    ("trv.officer.a", "GET", f"{T}/not-a-request", None, 400, "invalid_request"),
    ("trv.officer.a", "GET", f"{T}/{NO_REQUEST}", None, 404, "not_found"),
    ("trv.officer.a", "POST", f"{T}/{NO_REQUEST}/approve", {"decision": "maybe"}, 400, "invalid_request"),
    ("trv.officer.a", "POST", f"{T}/{NO_REQUEST}/approve", {"decision": "approve"}, 404, "not_found"),
    ("trv.group.a", "POST", f"{T}/{NO_REQUEST}/endorse", {}, 400, "invalid_request"),
    ("reg.officer", "POST", f"{T}/{NO_REQUEST}/authorise", {"decision": "refuse", "reason": "x" * 2001}, 400,
     "invalid_request"),
    ("trv.officer.a", "POST", f"{T}/{NO_REQUEST}/cancel", {"reason": ""}, 400, "invalid_request"),
    ("trv.officer.a", "POST", f"{T}/{NO_REQUEST}/cancel", {"reason": "x"}, 404, "not_found"),
    ("trv.officer.a", "POST", f"{T}/{NO_REQUEST}/debrief", {"actual_destinations": []}, 400, "invalid_request"),
    ("trv.officer.a", "POST", f"{T}/x/declarations/reveal", None, 400, "invalid_request"),
    ("trv.officer.a", "POST", f"{T}/{NO_REQUEST}/declarations/reveal", None, 404, "not_found"),
    ("trv.officer.a", "GET", f"{P}?status=lost", None, 400, "invalid_request"),
    ("trv.officer.a", "POST", P, {"person_id": "x", "doc_type": "visa"}, 400, "invalid_request"),
    ("trv.officer.a", "POST", P, {"person_id": "P-NOBODY", "doc_type": "passport", "number": "E12345678",
                                  "expires_on": "2035-01-01"}, 404, "not_found"),
    ("trv.officer.a", "GET", f"{P}/doc-x", None, 400, "invalid_request"),
    ("trv.officer.a", "GET", f"{P}/{NO_DOCUMENT}", None, 404, "not_found"),
    ("trv.officer.a", "GET", f"{P}/doc-x/movements", None, 400, "invalid_request"),
    ("trv.officer.a", "POST", f"{P}/{NO_DOCUMENT}/check-out", {"request_id": "nope"}, 400, "invalid_request"),
    ("trv.officer.a", "POST", f"{P}/{NO_DOCUMENT}/check-out", {"request_id": NO_REQUEST}, 404, "not_found"),
    ("trv.officer.a", "POST", f"{P}/{NO_DOCUMENT}/check-in", None, 404, "not_found"),
    ("trv.officer.a", "POST", f"{P}/doc-x/reveal", None, 400, "invalid_request"),
    ("trv.officer.a", "GET", "/api/v1/personnel/checks/run", None, 405, "method_not_allowed"),
]


def placeholders(world: World) -> dict[str, Any]:
    return {key: world.extra[key] for key in ("trv_travel_a", "trv_doc_a", "trv_person_a")}


def _calls() -> tuple[list[Any], list[Any]]:
    from route_table import Call

    t, d = "{trv_travel_a}", "{trv_doc_a}"
    future = (today() + timedelta(days=30)).isoformat()
    api = [
        Call("GET", "/api/v1/personnel/travel", "/api/v1/personnel/travel", "personnel:travel:read"),
        Call("POST", "/api/v1/personnel/travel", "/api/v1/personnel/travel", "personnel:travel:request",
             json={"person_id": "{trv_person_a}", "destinations": ["JP"], "depart_on": future, "return_on": future,
                   "purpose": "conference"}),
        Call("GET", f"/api/v1/personnel/travel/{t}", "/api/v1/personnel/travel/{request_id}",
             "personnel:travel:read"),
        Call("POST", f"/api/v1/personnel/travel/{t}/approve", "/api/v1/personnel/travel/{request_id}/approve",
             "personnel:travel:approve", json={"decision": "approve"}),
        Call("POST", f"/api/v1/personnel/travel/{t}/endorse", "/api/v1/personnel/travel/{request_id}/endorse",
             "personnel:travel:endorse", json={"decision": "approve"}),
        Call("POST", f"/api/v1/personnel/travel/{t}/authorise", "/api/v1/personnel/travel/{request_id}/authorise",
             "personnel:travel:authorise", json={"decision": "approve"}),
        Call("POST", f"/api/v1/personnel/travel/{t}/cancel", "/api/v1/personnel/travel/{request_id}/cancel",
             "personnel:travel:request", json={"reason": "x"}),
        Call("POST", f"/api/v1/personnel/travel/{t}/debrief", "/api/v1/personnel/travel/{request_id}/debrief",
             "personnel:debrief:record", json={"actual_destinations": ["HK"], "actual_return_on": future}),
        Call("POST", f"/api/v1/personnel/travel/{t}/declarations/reveal",
             "/api/v1/personnel/travel/{request_id}/declarations/reveal", "personal:data:read"),
        Call("GET", "/api/v1/personnel/passports", "/api/v1/personnel/passports", "personnel:passport:custody"),
        Call("POST", "/api/v1/personnel/passports", "/api/v1/personnel/passports", "personnel:passport:custody",
             json={"person_id": "{trv_person_a}", "doc_type": "passport", "number": "E99999999",
                   "expires_on": "2035-01-01"}),
        Call("GET", f"/api/v1/personnel/passports/{d}", "/api/v1/personnel/passports/{document_id}",
             "personnel:passport:custody"),
        Call("GET", f"/api/v1/personnel/passports/{d}/movements",
             "/api/v1/personnel/passports/{document_id}/movements", "personnel:passport:custody"),
        Call("POST", f"/api/v1/personnel/passports/{d}/check-out",
             "/api/v1/personnel/passports/{document_id}/check-out", "personnel:passport:custody",
             json={"request_id": "{trv_travel_a}"}),
        Call("POST", f"/api/v1/personnel/passports/{d}/check-in",
             "/api/v1/personnel/passports/{document_id}/check-in", "personnel:passport:custody", json={}),
        Call("POST", f"/api/v1/personnel/passports/{d}/reveal", "/api/v1/personnel/passports/{document_id}/reveal",
             "personal:data:read"),
        Call("POST", "/api/v1/personnel/checks/run", "/api/v1/personnel/checks/run", "alerts:alert:resolve",
             json={}),
    ]
    console = [
        Call("GET", "/personnel/travel", "/personnel/travel", "personnel:travel:read"),
        Call("GET", "/personnel/travel/new", "/personnel/travel/new", "personnel:travel:request"),
        Call("POST", "/personnel/travel/new", "/personnel/travel/new", "personnel:travel:request",
             form={"person_id": "{trv_person_a}", "destinations": "JP", "depart_on": future, "return_on": future,
                   "purpose": "conference"}),
        Call("GET", f"/personnel/travel/{t}", "/personnel/travel/{request_id}", "personnel:travel:read"),
        Call("POST", f"/personnel/travel/{t}/approve", "/personnel/travel/{request_id}/approve",
             "personnel:travel:approve", form={"decision": "approve"}),
        Call("POST", f"/personnel/travel/{t}/endorse", "/personnel/travel/{request_id}/endorse",
             "personnel:travel:endorse", form={"decision": "approve"}),
        Call("POST", f"/personnel/travel/{t}/authorise", "/personnel/travel/{request_id}/authorise",
             "personnel:travel:authorise", form={"decision": "approve"}),
        Call("POST", f"/personnel/travel/{t}/cancel", "/personnel/travel/{request_id}/cancel",
             "personnel:travel:request", form={"reason": "x"}),
        Call("POST", f"/personnel/travel/{t}/debrief", "/personnel/travel/{request_id}/debrief",
             "personnel:debrief:record", form={"actual_destinations": "HK", "actual_return_on": future}),
        Call("POST", f"/personnel/travel/{t}/declarations", "/personnel/travel/{request_id}/declarations",
             "personal:data:read", form={}),
        Call("GET", "/personnel/passports", "/personnel/passports", "personnel:passport:custody"),
        Call("POST", "/personnel/passports", "/personnel/passports", "personnel:passport:custody",
             form={"person_id": "{trv_person_a}", "doc_type": "passport", "number": "E88888888",
                   "expires_on": "2035-01-01"}),
        Call("GET", f"/personnel/passports/{d}", "/personnel/passports/{document_id}", "personnel:passport:custody"),
        Call("POST", f"/personnel/passports/{d}/check-out", "/personnel/passports/{document_id}/check-out",
             "personnel:passport:custody", form={"request_id": "{trv_travel_a}"}),
        Call("POST", f"/personnel/passports/{d}/check-in", "/personnel/passports/{document_id}/check-in",
             "personnel:passport:custody", form={}),
        Call("POST", f"/personnel/passports/{d}/reveal", "/personnel/passports/{document_id}/reveal",
             "personal:data:read", form={}),
    ]
    return api, console


def __getattr__(name: str) -> Any:
    """``API``, ``CONSOLE`` and ``EXPECTED`` are built on first use: ``route_table`` imports this module."""
    if name in ("API", "CONSOLE", "EXPECTED"):
        api, console = _calls()
        values = {"API": api, "CONSOLE": console, "EXPECTED": {c.key: c.permission for c in api + console}}
        globals().update(values)
        return values[name]
    raise AttributeError(name)
