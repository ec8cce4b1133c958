"""The personnel registry, watch list and alerts in the authz world: users with personnel roles, persons in group-a
and group-b (one watch-listed and departed in each; in this module's own worlds they turn up at a foreign firm,
raising an alert: :func:`plant_alerts`), and the routes of the personnel and alerts API and console for the route
table.

=========  =========  ================
username   tenant     roles
=========  =========  ================
sofia      group-a    security_officer
gwen       group-a    group_security
stan       group-b    security_officer
greg       group-b    group_security
zhou       regulator  supervisor (the console in Simplified Chinese)
=========  =========  ================
"""

from __future__ import annotations

import itertools
import uuid
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest

from reetrace.authz import service
from reetrace.authz.passwords import Passwords
from reetrace.authz.permissions import permissions_of
from reetrace.domains.personnel.ids import make_resident_id
from reetrace.domains.personnel.models import Caller, PersonInput
from reetrace.domains.personnel.service import record_departure, register_person, report_employment, watch_person
from support.backends import BACKENDS, make_settings
from support.pgserver import create_database

PERSONNEL_USERS = {"sofia": ("group-a", ["security_officer"]), "gwen": ("group-a", ["group_security"]),
                   "stan": ("group-b", ["security_officer"]), "greg": ("group-b", ["group_security"]),
                   "zhou": ("regulator", ["supervisor"])}
NAMES = {"person_a": ("张伟", "Zhang Wei"), "person_a2": ("李娜", "Li Na"), "person_b": ("陈静", "Chen Jing")}
ENTERPRISES = {"group-a": "NM-BAOTOU-01", "group-b": "JX-GANZHOU-02"}
_sequence = itertools.count(100)


def resident_id() -> str:
    return make_resident_id("150203", date(1980, 5, 17), next(_sequence) % 999 + 1)


def person_form(tenant: str, names: tuple[str, str], level: str = "core", **changes: Any) -> PersonInput:
    fields: dict[str, Any] = {
        "enterprise_id": ENTERPRISES[tenant], "name_zh": names[0], "name_latin": names[1],
        "resident_id": resident_id(), "secrecy_level": level, "post": "Chief extraction engineer",
        "hired_on": date(2010, 3, 1), "expertise": ("solvent_extraction", "analysis"),
        "education": "PhD, 2009", "research_history": "Cascade extraction of Pr/Nd",
        "technologies": ("RE-TECH-SX-01",), "documents": ("DOC-0001",)}
    return PersonInput.model_validate({**fields, **changes})


def populate(world: Any) -> None:
    from authz_world import PASSWORD

    c = world.container
    today = date.today()
    with c.unit_of_work() as (uow, vault):
        for username, (tenant, roles) in PERSONNEL_USERS.items():
            world.user_ids[username] = service.add_user(uow, vault, Passwords("low"), "test", tenant, username,
                                                        username.title(), roles, PASSWORD,
                                                        locale="zh-Hans" if username == "zhou" else "en")
        a, b = Caller.of("test", "group-a"), Caller.of("test", "group-b")
        world.extra["person_a"] = register_person(uow, vault, a, person_form("group-a", NAMES["person_a"])).person_id
        world.extra["person_a2"] = register_person(uow, vault, a, person_form(
            "group-a", NAMES["person_a2"], "general", expertise=("mining",), post="Mine surveyor")).person_id
        world.extra["person_b"] = register_person(uow, vault, b, person_form("group-b", NAMES["person_b"])).person_id
        world.extra["entry_a"] = watch_person(uow, a, world.extra["person_a"], "core separation know-how")
        world.extra["entry_b"] = watch_person(uow, b, world.extra["person_b"], "core separation know-how")
        record_departure(uow, a, world.extra["person_a"], today - timedelta(days=30))
        record_departure(uow, b, world.extra["person_b"], today - timedelta(days=30))


def plant_alerts(world: Any) -> None:
    """The departed, watch-listed engineers of group-a and group-b turn up at a foreign firm within their
    cooling-off period: one open alert in each tenant. Only in this module's worlds (``world_on``): the shared
    authz world keeps its dashboards free of alerts."""
    since = date.today() - timedelta(days=10)
    with world.container.unit_of_work() as (uow, _):
        for suffix, tenant in (("a", "group-a"), ("b", "group-b")):
            world.extra[f"alert_{suffix}"] = report_employment(
                uow, Caller.of("test", tenant), world.extra[f"person_{suffix}"], "Foreign Magnets GmbH", "DE",
                since).alert_id


def bad_check_digit(number: str) -> str:
    """The resident id with a wrong GB 11643 check digit."""
    return number[:17] + ("3" if number[17] != "3" else "5")


def bearer(world: Any, username: str) -> Any:
    """``world.bearer``, also for this module's users (whom authz_world's table of users does not know)."""
    if username in PERSONNEL_USERS:
        return world.bearer(username, sorted(permissions_of(PERSONNEL_USERS[username][1])))
    return world.bearer(username)


def world_fixture() -> Any:
    """A module-scoped fixture: the authz world with the personnel objects, on each backend. In a test module:
    ``world = world_fixture()``."""

    @pytest.fixture(scope="module", params=BACKENDS)
    def world(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
        server = request.getfixturevalue("pg_server") if request.param == "postgresql" else None
        built = world_on(request.param, tmp_path_factory.mktemp("personnel-home"), server)
        yield built
        built.container.close()

    return world


def world_on(backend: str, home: Path, pg_server: str | None) -> Any:
    """The authz world (with this module's objects) on SQLite or on a fresh PostgreSQL database."""
    from authz_world import build_world

    url = None
    if backend == "postgresql":
        assert pg_server is not None
        url = create_database(pg_server, f"t_{uuid.uuid4().hex[:16]}", template="reetrace_template")
    built = build_world(make_settings(home, url).with_(password_cost="low", sqlite_synchronous="NORMAL"))
    plant_alerts(built)
    return built


def placeholders(world: Any) -> dict[str, Any]:
    """Ids for the route table; an alert id that need not exist where no alert was planted (the shared world)."""
    found = {key: world.extra[key] for key in ("person_a", "person_a2", "person_b", "entry_a", "entry_b")}
    return found | {key: world.extra.get(key, "A-0000000000000001") for key in ("alert_a", "alert_b")}


Route = tuple[str, str, str, str, Any, "dict[str, Any] | None"]


def R(method: str, url: str, route: str, permission: str, json: Any = None,
      form: dict[str, Any] | None = None) -> Route:
    """A route-table call as a plain tuple (route_table.Call needs this module imported first)."""
    return method, url, route, permission, json, form


p = "/api/v1/personnel"
person = "/persons/{person_id}"
api: list[Route] = [
    R("GET", f"{p}/persons", f"{p}/persons", "personnel:person:read"),
    R("POST", f"{p}/persons", f"{p}/persons", "personnel:person:write",
         json={"enterprise_id": "NM-BAOTOU-01", "resident_id": "x", "secrecy_level": "core", "post": "x",
               "hired_on": "2010-01-01", "expertise": ["mining"]}),
    R("GET", f"{p}/persons/{{person_a}}", f"{p}{person}", "personnel:person:read"),
    R("POST", f"{p}/persons/{{person_a}}/reveal", f"{p}{person}/reveal", "personal:data:read"),
    R("POST", f"{p}/persons/{{person_a2}}/departure", f"{p}{person}/departure", "personnel:person:write",
         json={"departed_on": "2026-01-05"}),
    R("POST", f"{p}/persons/{{person_a2}}/access", f"{p}{person}/access", "personnel:person:write",
         json={"technologies": ["RE-TECH-SX-02"]}),
    R("GET", f"{p}/persons/{{person_a}}/document-access", f"{p}{person}/document-access",
         "personnel:person:read"),
    R("POST", f"{p}/imports", f"{p}/imports", "personnel:person:write", form={}),
    R("GET", f"{p}/registry/national", f"{p}/registry/national", "personnel:registry:aggregate"),
    R("GET", f"{p}/watchlist", f"{p}/watchlist", "personnel:watchlist:read"),
    R("POST", f"{p}/watchlist/persons", f"{p}/watchlist/persons", "personnel:watchlist:manage",
         json={"person_id": "P-UNKNOWN", "reason": "x"}),
    R("POST", f"{p}/watchlist/posts", f"{p}/watchlist/posts", "personnel:watchlist:manage",
         json={"enterprise_id": "NM-BAOTOU-01", "post": "Head of separation", "reason": "x"}),
    R("POST", f"{p}/watchlist/{{entry_a}}/remove", f"{p}/watchlist/{{entry_id}}/remove",
         "personnel:watchlist:manage", json={"reason": "x"}),
    R("POST", f"{p}/watchlist/check-staff", f"{p}/watchlist/check-staff", "personnel:watchlist:check",
         form={"organisation": "Foreign Magnets GmbH", "country": "DE"}),
    R("POST", f"{p}/watchlist/check-name", f"{p}/watchlist/check-name", "personnel:watchlist:check",
         json={"query": "Zhang Wei"}),
    R("GET", "/api/v1/alerts", "/api/v1/alerts", "alerts:alert:read"),
    R("GET", "/api/v1/alerts/{alert_a}", "/api/v1/alerts/{alert_id}", "alerts:alert:read"),
    R("POST", "/api/v1/alerts/{alert_a}/resolve", "/api/v1/alerts/{alert_id}/resolve", "alerts:alert:resolve",
         json={"reason": "x"}),
]
console: list[Route] = [
    R("GET", "/personnel", "/personnel", "personnel:person:read"),
    R("GET", "/personnel/persons/{person_a}", "/personnel/persons/{person_id}", "personnel:person:read"),
    R("POST", "/personnel/persons/{person_a}/reveal", "/personnel/persons/{person_id}/reveal",
         "personal:data:read", form={}),
    R("GET", "/personnel/import", "/personnel/import", "personnel:person:write"),
    R("POST", "/personnel/import", "/personnel/import", "personnel:person:write", form={}),
    R("GET", "/personnel/national", "/personnel/national", "personnel:registry:aggregate"),
    R("POST", "/personnel/national/drill-down", "/personnel/national/drill-down",
         "personnel:registry:aggregate", form={"enterprise_id": "NM-BAOTOU-01", "reason": "annual review"}),
    R("GET", "/personnel/watchlist", "/personnel/watchlist", "personnel:watchlist:read"),
    R("POST", "/personnel/watchlist/persons", "/personnel/watchlist/persons", "personnel:watchlist:manage",
         form={"person_id": "P-NOBODY", "reason": "x"}),
    R("POST", "/personnel/watchlist/posts", "/personnel/watchlist/posts", "personnel:watchlist:manage",
         form={"enterprise_id": "NM-BAOTOU-01", "post": "Head of magnets", "reason": "x"}),
    R("POST", "/personnel/watchlist/{entry_a}/remove", "/personnel/watchlist/{entry_id}/remove",
         "personnel:watchlist:manage", form={"reason": "x"}),
    R("GET", "/personnel/watchlist/check", "/personnel/watchlist/check", "personnel:watchlist:check"),
    R("POST", "/personnel/watchlist/check/staff", "/personnel/watchlist/check/staff",
         "personnel:watchlist:check", form={"organisation": "x", "country": "DE"}),
    R("POST", "/personnel/watchlist/check/name", "/personnel/watchlist/check/name",
         "personnel:watchlist:check", form={"query": "Zhang Wei"}),
    R("GET", "/alerts", "/alerts", "alerts:alert:read"),
    R("GET", "/alerts/{alert_a}", "/alerts/{alert_id}", "alerts:alert:read"),
    R("POST", "/alerts/{alert_a}/resolve", "/alerts/{alert_id}/resolve", "alerts:alert:resolve",
         form={"reason": "x"}),
]


EXPECTED = {(r[0], r[2]): r[3] for r in api + console}
# (user, method, url, JSON body, status, code): bad input to every API route of this module, sent by
# test_web_personnel.py::test_bad_requests (and counted by test_web_api_errors).
BAD_REQUESTS: list[tuple[str, str, str, Any, int, str]] = [
    ("sofia", "GET", f"{p}/persons?limit=0", None, 400, "invalid_request"),
    ("sofia", "POST", f"{p}/persons", {}, 400, "invalid_request"),
    ("sofia", "GET", f"{p}/persons/not-a-person", None, 400, "invalid_request"),
    ("sofia", "GET", f"{p}/persons/P-0000", None, 404, "not_found"),
    ("sofia", "POST", f"{p}/persons/P-0000/reveal", None, 404, "not_found"),
    ("sofia", "POST", f"{p}/persons/P-0000/departure", {"departed_on": "yesterday"}, 400, "invalid_request"),
    ("sofia", "POST", f"{p}/persons/P-0000/access", {"documents": "DOC-1"}, 400, "invalid_request"),
    ("sofia", "GET", f"{p}/persons/p-0000/document-access", None, 400, "invalid_request"),
    ("sofia", "POST", f"{p}/imports", None, 400, "invalid_request"),
    ("reg.officer", "GET", f"{p}/registry/national?top=0", None, 400, "invalid_request"),
    ("gwen", "GET", f"{p}/watchlist?limit=0", None, 400, "invalid_request"),
    ("gwen", "POST", f"{p}/watchlist/persons", {"person_id": "nobody", "reason": "x"}, 400, "invalid_request"),
    ("gwen", "POST", f"{p}/watchlist/posts", {"enterprise_id": "NO-SUCH", "post": "x", "reason": "x"}, 404,
     "not_found"),
    ("gwen", "POST", f"{p}/watchlist/W-0000000000000000/remove", {"reason": "x"}, 404, "not_found"),
    ("gwen", "POST", f"{p}/watchlist/check-staff", None, 400, "invalid_request"),
    ("gwen", "POST", f"{p}/watchlist/check-name", {"query": ""}, 400, "invalid_request"),
    ("anna", "GET", "/api/v1/alerts?limit=0", None, 400, "invalid_request"),
    ("anna", "GET", "/api/v1/alerts/A-0000000000000000", None, 404, "not_found"),
    ("sofia", "POST", "/api/v1/alerts/A-0000000000000000/resolve", {"reason": "x"}, 404, "not_found"),
]
_built: dict[str, list[Any]] = {}


def __getattr__(name: str) -> list[Any]:
    """``API`` and ``CONSOLE`` as route_table Calls, built on first use (route_table imports this module)."""
    if name not in ("API", "CONSOLE"):
        raise AttributeError(name)
    if name not in _built:
        from route_table import Call

        _built["API"] = [Call(*r[:4], json=r[4], form=r[5]) for r in api]
        _built["CONSOLE"] = [Call(*r[:4], json=r[4], form=r[5]) for r in console]
    return _built[name]
