"""Export control in the authz world: exporters, party lists, applications and a licence, and the route table.

Users (password ``PASSWORD`` of :mod:`authz_world`): ``exp.officer.a`` (group-a, security_officer: submits,
answers, ships) and ``exp.officer.b`` (group-b, security_officer). ``reg.officer`` (the regulator's supervisor,
which supervises group-a only) reviews; ``anna`` (group-a viewer) has no export permission.

Planted (ids in ``world.extra``): the built-in sample of China's control list (unless a list is stored already);
per group a pending application of dysprosium oxide to Germany (``exp_app_a``/``exp_app_b``); in group-a an
application whose end user is a listed entity written in Chinese script (``exp_flagged_a``) and an approved one
with its licence (``exp_licence_a``, 500 kg).
"""

from __future__ import annotations

import base64
from typing import Any

from authz_world import World

from reetrace.demo.export import sample_lists
from reetrace.domains.licensing.application_models import ApplicationInput, parse_model
from reetrace.domains.licensing.applications import review_application, submit_application
from reetrace.domains.personnel.travel import ActingUser
from reetrace.domains.screening import lists as stored
from reetrace.web.exportview import today

USERS = {"exp.officer.a": ("group-a", ["security_officer"]), "exp.officer.b": ("group-b", ["security_officer"])}
ENTERPRISE = {"group-a": "NM-BAOTOU-01", "group-b": "JX-GANZHOU-02"}
LISTED_ZH, LISTED_LATIN = "奥罗拉防务系统公司", "Aurora Defense Systems Inc."
END_USER_PDF, END_USE_PDF = b"%PDF-1.4 end-user certificate", b"%PDF-1.4 end-use statement"
SUBMIT = frozenset({"export:application:submit"})
REVIEW = frozenset({"export:application:review"})


def item(**changes: Any) -> dict[str, Any]:
    return {"description": "dysprosium oxide 99.5 %", "hs_code": "284690", "form": "oxide",
            "composition": {"Dy": 87}, "value": "250000", "currency": "USD", **changes}


def application(tenant: str = "group-a", **changes: Any) -> dict[str, Any]:
    """A valid application as the API takes it (certificates base64-encoded)."""
    return {"exporter_id": ENTERPRISE[tenant], "contract_id": "C-2026-0815", "item": item(),
            "quantity": {"amount": "500", "unit": "kg"}, "value": {"amount": "250000", "currency": "USD"},
            "consignee": {"name": "Hanau Magnet Works GmbH", "country": "DE"},
            "end_user": {"name": "Hanau Magnet Works GmbH", "country": "DE",
                         "owners": [{"name": "Magnet Holding AG", "country": "CH", "share": "100"}]},
            "end_use": "sintered magnets for servo motors of industrial robots", "military_end_use": False,
            "final_destination": "DE", "product": "industrial robots", "no_retransfer_undertaking": True,
            "certificates": [{"kind": "end_user", "name": "euc.pdf",
                              "content_base64": base64.b64encode(END_USER_PDF).decode()},
                             {"kind": "end_use", "name": "end-use.pdf",
                              "content_base64": base64.b64encode(END_USE_PDF).decode()}], **changes}


def _domain_form(data: dict[str, Any]) -> ApplicationInput:
    certificates = [{"kind": c["kind"], "name": c["name"], "data": base64.b64decode(c["content_base64"])}
                    for c in data["certificates"]]
    return parse_model(ApplicationInput, {**data, "certificates": certificates}, "bad_application", "application")


def acting(world: World, username: str, tenant: str, kind: str, permissions: frozenset[str]) -> ActingUser:
    return ActingUser(world.user_ids[username], username, tenant, kind, permissions)


def plant_application(world: World, tenant: str = "group-a", **changes: Any) -> str:
    username = "exp.officer.a" if tenant == "group-a" else "exp.officer.b"
    with world.container.unit_of_work() as (uow, _):
        return submit_application(uow, acting(world, username, tenant, "group", SUBMIT),
                                  _domain_form(application(tenant, **changes)), today=today())


def approve(world: World, application_id: str) -> str:
    with world.container.unit_of_work() as (uow, _):
        licence_id = review_application(uow, acting(world, "reg.officer", "regulator", "authority", REVIEW),
                                        application_id, "approve", "end user and end use verified", today=today())
    assert licence_id is not None
    return licence_id


def populate(world: World) -> None:
    from reetrace.authz import service
    from reetrace.authz.passwords import Passwords
    from reetrace.domains.screening.lists import latest_versions

    with world.container.unit_of_work() as (uow, vault):
        for username, (tenant, roles) in USERS.items():
            world.user_ids[username] = service.add_user(uow, vault, Passwords("low"), "test", tenant, username,
                                                        username, roles, "Correct-horse-42")
        if not latest_versions(uow.conn):
            stored.store_lists(uow, sample_lists(), "test")
    world.extra["exp_app_a"] = plant_application(world, "group-a")
    world.extra["exp_app_b"] = plant_application(world, "group-b")
    world.extra["exp_flagged_a"] = plant_application(
        world, "group-a", end_user={"name": LISTED_ZH, "country": "US"}, contract_id="C-2026-0901")
    world.extra["exp_licence_a"] = approve(world, plant_application(world, "group-a", contract_id="C-2026-0902"))


def placeholders(world: World) -> dict[str, Any]:
    return {key: world.extra[key] for key in ("exp_app_a", "exp_licence_a")}


NO_APP, NO_LICENCE = "LA-" + "0" * 16, "LIC-" + "0" * 16
A, L = "/api/v1/export/applications", "/api/v1/export/licences"
# (user, method, url, json body, status, code): bad input on every API route, sent by a user holding its permission
BAD_REQUESTS: list[tuple[str, str, str, Any, int, str]] = [
    ("exp.officer.a", "POST", "/api/v1/export/classify", {}, 400, "invalid_request"),
    ("exp.officer.a", "POST", "/api/v1/export/classify", {"item": {"form": "powder"}}, 400, "bad_item"),
    ("exp.officer.a", "POST", "/api/v1/export/classify", {"item": {"form": "oxide", "hs_code": "99"}}, 400,
     "bad_item"),
    ("exp.officer.a", "POST", "/api/v1/export/classify",
     {"item": {"form": "oxide", "composition": {"Dy": 80, "Tb": 40}}}, 400, "bad_item"),
    ("exp.officer.a", "POST", "/api/v1/export/classify", {"item": {"form": "oxide"}, "as_of": "2026-13-01"}, 400,
     "invalid_request"),
    ("exp.officer.a", "GET", f"{A}?status=lost", None, 400, "invalid_request"),
    ("exp.officer.a", "GET", f"{A}?limit=0", None, 400, "invalid_request"),
    ("exp.officer.a", "POST", A, {}, 400, "invalid_request"),
    ("exp.officer.a", "POST", A, [1], 400, "invalid_request"),
    ("exp.officer.a", "POST", A, application(final_destination="XX"), 400, "unknown_country"),
    ("exp.officer.a", "POST", A, application(item=item(composition={"Dy": 90, "Tb": 20})), 400, "bad_item"),
    ("exp.officer.a", "POST", A, application(certificates=[]), 400, "missing_certificate"),
    ("exp.officer.a", "POST", A, application(certificates=[{"kind": "end_user", "name": "x.pdf",
                                                            "content_base64": "***"}]), 400, "bad_certificate"),
    ("exp.officer.a", "POST", A, application(no_retransfer_undertaking=False), 400, "undertaking_required"),
    ("exp.officer.a", "POST", A, application(exporter_id="JX-GANZHOU-02"), 400, "unknown_exporter"),
    ("exp.officer.a", "GET", f"{A}/LA-nothex", None, 400, "invalid_request"),
    ("exp.officer.a", "GET", f"{A}/{NO_APP}", None, 404, "not_found"),
    ("reg.officer", "POST", f"{A}/{NO_APP}/review", {"action": "maybe", "reason": "x"}, 400, "invalid_request"),
    ("reg.officer", "POST", f"{A}/{NO_APP}/review", {"action": "deny", "reason": ""}, 400, "invalid_request"),
    ("reg.officer", "POST", f"{A}/{NO_APP}/review", {"action": "deny", "reason": "x"}, 404, "not_found"),
    ("reg.officer", "POST", f"{A}/x/review", {"action": "deny", "reason": "x"}, 400, "invalid_request"),
    ("exp.officer.a", "POST", f"{A}/{NO_APP}/respond", {"answer": ""}, 400, "invalid_request"),
    ("exp.officer.a", "POST", f"{A}/{NO_APP}/respond", {"answer": "x"}, 404, "not_found"),
    ("exp.officer.a", "GET", f"{L}/LIC-x", None, 400, "invalid_request"),
    ("exp.officer.a", "GET", f"{L}/{NO_LICENCE}", None, 404, "not_found"),
    ("exp.officer.a", "POST", f"{L}/{NO_LICENCE}/shipments", {"quantity": "x"}, 400, "invalid_request"),
    ("exp.officer.a", "POST", f"{L}/{NO_LICENCE}/shipments", {"quantity": "1", "unit": "lb"}, 400,
     "invalid_request"),
    ("exp.officer.a", "POST", f"{L}/{NO_LICENCE}/shipments", {"quantity": "1"}, 404, "not_found"),
]


def _calls() -> tuple[list[Any], list[Any]]:
    from route_table import Call

    a, lic = "{exp_app_a}", "{exp_licence_a}"
    read, submit, review, ship = ("export:application:read", "export:application:submit",
                                  "export:application:review", "export:shipment:record")
    api = [
        Call("POST", "/api/v1/export/classify", "/api/v1/export/classify", read, json={"item": item()}),
        Call("GET", A, A, read),
        Call("POST", A, A, submit, json=application()),
        Call("GET", f"{A}/{a}", f"{A}/{{application_id}}", read),
        Call("POST", f"{A}/{a}/review", f"{A}/{{application_id}}/review", review,
             json={"action": "note", "reason": "x"}),
        Call("POST", f"{A}/{a}/respond", f"{A}/{{application_id}}/respond", submit, json={"answer": "x"}),
        Call("GET", f"{L}/{lic}", f"{L}/{{licence_id}}", read),
        Call("POST", f"{L}/{lic}/shipments", f"{L}/{{licence_id}}/shipments", ship, json={"quantity": "1"}),
    ]
    c = "/export/applications"
    console = [
        Call("GET", "/export/classify", "/export/classify", read),
        Call("POST", "/export/classify", "/export/classify", read, form={"form": "oxide", "composition": "Dy=87"}),
        Call("GET", c, c, read),
        Call("GET", f"{c}/new", f"{c}/new", submit),
        Call("POST", f"{c}/new", f"{c}/new", submit, form={"exporter_id": ENTERPRISE["group-a"]}),
        Call("GET", f"{c}/{a}", f"{c}/{{application_id}}", read),
        Call("POST", f"{c}/{a}/review", f"{c}/{{application_id}}/review", review,
             form={"action": "note", "reason": "x"}),
        Call("POST", f"{c}/{a}/respond", f"{c}/{{application_id}}/respond", submit, form={"answer": "x"}),
        Call("POST", f"/export/licences/{lic}/shipments", "/export/licences/{licence_id}/shipments", ship,
             form={"quantity": "1"}),
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
