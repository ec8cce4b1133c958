"""A small personnel world for the travel, passport and check tests, on any backend.

Tenants: the authority ``mofcom`` supervises ``group-north`` and ``group-south``; ``holding-north`` (a group)
also supervises ``group-north``. Enterprises ENT-N1 (group-north) and ENT-S1 (group-south). Persons are
registered through the personnel service; approvers are real users whose principals come from ``load_principal``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from reetrace.authz import service as authz
from reetrace.authz.models import TenantCreated
from reetrace.authz.passwords import Passwords
from reetrace.authz.principal import Principal, load_principal
from reetrace.container import Container
from reetrace.domains.personnel.ids import make_resident_id
from reetrace.domains.personnel.models import Caller, PersonInput
from reetrace.domains.personnel.policy import TravelPolicy
from reetrace.domains.personnel.service import record_departure, register_person, watch_person
from reetrace.domains.personnel.travel import ActingUser, TravelRequestView, act_on_request, submit_request
from reetrace.domains.personnel.travel_models import TravelRequestInput
from reetrace.domains.registry.service import register_enterprise
from reetrace.storage.engine import read_transaction
from reetrace.workdays import WorkdayCalendar
from support.logdb import enterprise

PASSWORD = "Correct-horse-42"
TODAY = date(2026, 9, 1)
POLICY = TravelPolicy.default()
CALENDAR = WorkdayCalendar.load()

# username -> (tenant, roles)
USERS: dict[str, tuple[str, list[str]]] = {
    "officer.n": ("group-north", ["security_officer"]),
    "officer.n2": ("group-north", ["security_officer"]),
    "group.n": ("group-north", ["group_security"]),
    "holding.sec": ("holding-north", ["group_security"]),
    "officer.s": ("group-south", ["security_officer"]),
    "group.s": ("group-south", ["group_security"]),
    "mofcom.li": ("mofcom", ["supervisor"]),
    "mofcom.wang": ("mofcom", ["supervisor"]),
    "viewer.n": ("group-north", ["viewer"]),
}


@dataclass
class World:
    container: Container
    users: dict[str, str] = field(default_factory=dict)  # username -> user_id
    sequence: int = 0

    def principal(self, username: str) -> Principal:
        with read_transaction(self.container.engine) as conn:
            p = load_principal(conn, self.users[username], "session")
        assert p is not None
        return p

    def person(self, secrecy_level: str = "general", enterprise_id: str = "ENT-N1", post: str = "engineer",
               hired_on: date = date(2015, 3, 1)) -> str:
        self.sequence += 1
        tenant = "group-north" if enterprise_id.startswith("ENT-N") else "group-south"
        form = PersonInput(enterprise_id=enterprise_id, name_zh="张伟", name_latin="Zhang Wei",
                           resident_id=make_resident_id("150203", date(1980, 1, 1), self.sequence),
                           secrecy_level=secrecy_level, post=post, hired_on=hired_on,
                           expertise=("solvent_extraction",))
        with self.container.unit_of_work() as (uow, vault):
            return register_person(uow, vault, Caller.of("officer", tenant), form, today=TODAY).person_id

    def depart(self, person_id: str, on: date, tenant: str = "group-north") -> None:
        with self.container.unit_of_work() as (uow, _):
            record_departure(uow, Caller.of("officer", tenant), person_id, on, "resigned", today=TODAY)

    def watch(self, person_id: str, tenant: str = "group-north") -> None:
        with self.container.unit_of_work() as (uow, _):
            watch_person(uow, Caller.of("officer", tenant), person_id, "holds the separation process recipe",
                         added_on=date(2026, 1, 5), today=TODAY)

    def submit(self, person_id: str, destinations: tuple[str, ...] = ("HK",), depart_on: date = date(2026, 9, 10),
               return_on: date = date(2026, 9, 15), purpose: str = "business", today: date = TODAY,
               **extra: Any) -> TravelRequestView:
        form = TravelRequestInput(person_id=person_id, destinations=destinations, depart_on=depart_on,
                                  return_on=return_on, purpose=purpose, **extra)
        with self.container.unit_of_work() as (uow, vault):
            return submit_request(uow, vault, "officer.n", form, policy=POLICY, today=today)

    def act(self, username: str, request_id: str, decision: str = "approve", reason: str = "") -> TravelRequestView:
        with self.container.unit_of_work() as (uow, _):
            return act_on_request(uow, self.principal(username), request_id, decision, reason)

    def approve_all(self, request: TravelRequestView) -> TravelRequestView:
        """Walk the chain with one suitable user per level."""
        by_level = {"enterprise": "officer.n", "group": "group.n", "authority": "mofcom.li"}
        if request.tenant == "group-south":
            by_level = {"enterprise": "officer.s", "group": "group.s", "authority": "mofcom.li"}
        for level in request.chain:
            request = self.act(by_level[level], request.request_id)
        assert request.status == "approved", request
        return request


def build_world(container: Container) -> World:
    world = World(container)
    pw = Passwords("low")
    with container.unit_of_work() as (uow, vault):
        for tenant_id, kind in (("mofcom", "authority"), ("group-north", "group"), ("group-south", "group"),
                                ("holding-north", "group")):
            authz.create_tenant(uow, "test", TenantCreated(tenant_id=tenant_id, name=tenant_id, kind=kind))
        authz.grant_supervision(uow, "test", "mofcom", "group-north")
        authz.grant_supervision(uow, "test", "mofcom", "group-south")
        authz.grant_supervision(uow, "test", "holding-north", "group-north")
        register_enterprise(uow, "group-north", "test", enterprise("ENT-N1"))
        register_enterprise(uow, "group-south", "test", enterprise("ENT-S1", province="Jiangxi"))
        for username, (tenant, roles) in USERS.items():
            world.users[username] = authz.add_user(uow, vault, pw, "test", tenant, username, username, roles,
                                                   PASSWORD)
    return world


def acting(username: str, tenant: str, kind: str, *permissions: str) -> ActingUser:
    return ActingUser(f"user-{username}", username, tenant, kind, frozenset(permissions))
