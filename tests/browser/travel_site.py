"""Travel on the browser tests' site: a security officer and a group security officer of ``group-north``, two
persons of its enterprise, and an approved trip that ended two days ago (ready for its debrief)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from browser_site import ENTERPRISES, PASSWORD

from reetrace.authz import service
from reetrace.authz.passwords import Passwords
from reetrace.container import Container
from reetrace.domains.personnel.ids import make_resident_id
from reetrace.domains.personnel.models import Caller, PersonInput
from reetrace.domains.personnel.policy import TravelPolicy
from reetrace.domains.personnel.service import register_person
from reetrace.domains.personnel.travel import ActingUser, act_on_request, submit_request
from reetrace.domains.personnel.travel_models import TravelRequestInput
from reetrace.web.travelview import today

TENANT = "group-north"
USERS = {"north.security": "security_officer", "north.group": "group_security"}
POLICY = TravelPolicy.default()


@dataclass
class TravelSite:
    persons: list[str]
    past_trip: str
    user_ids: dict[str, str]


def plant(container: Container) -> TravelSite:
    user_ids: dict[str, str] = {}
    persons: list[str] = []
    with container.unit_of_work() as (uow, vault):
        for username, role in USERS.items():
            user_ids[username] = service.add_user(uow, vault, Passwords("low"), "setup", TENANT, username,
                                                  username.title(), [role], PASSWORD)
        for n in (1, 2):
            form = PersonInput(enterprise_id=ENTERPRISES[TENANT][0], name_zh="王芳", name_latin="Wang Fang",
                               resident_id=make_resident_id("150203", date(1985, 6, 1), 700 + n),
                               secrecy_level="general", post="engineer", hired_on=date(2016, 1, 4),
                               expertise=("magnet_making",))
            persons.append(register_person(uow, vault, Caller.of("setup", TENANT), form, today=today()).person_id)
    return TravelSite(persons, past_trip(container, persons[1], user_ids), user_ids)


def submit(container: Container, person: str, on: date, days_ahead: int = 14, length: int = 4) -> str:
    form = TravelRequestInput(person_id=person, destinations=("HK",), depart_on=on + timedelta(days=days_ahead),
                              return_on=on + timedelta(days=days_ahead + length), purpose="business")
    with container.unit_of_work() as (uow, vault):
        return submit_request(uow, vault, "setup", form, policy=POLICY, today=on).request_id


def past_trip(container: Container, person: str, user_ids: dict[str, str]) -> str:
    request_id = submit(container, person, today() - timedelta(days=30), days_ahead=20, length=8)
    for username, permission in (("north.security", "personnel:travel:approve"),
                                 ("north.group", "personnel:travel:endorse")):
        approver = ActingUser(user_ids[username], username, TENANT, "group", frozenset({permission}))
        with container.unit_of_work() as (uow, _):
            act_on_request(uow, approver, request_id, "approve")
    return request_id
