"""Product flow in the authz world: a hand-built chain of lots, its balances and a quota, and the route table.

Users (password ``PASSWORD`` of :mod:`authz_world`): ``flow.officer.a`` (group-a, security_officer: reads lots)
and ``flow.officer.b`` (group-b, security_officer). ``reg.officer`` (supervising group-a) reads group-a's lots;
``anna`` (group-a viewer) has no flow permission.

Planted by NM-BAOTOU-01 (group-a), in March 2026: two mine concentrates (``FA-CONC-A`` 600 kg, ``FA-CONC-B`` 400 kg,
50 % REO; their shares of the carbonate 0.6 and 0.4) cracked into ``FA-MIX-1`` and separated into ``FA-ND-1``, whose
neodymium yield (about 73 %) lies outside the tolerance; a 2026 mining quota of 0.4 t REO against 0.5 t mined.
By JX-GANZHOU-02 (group-b): ``FB-CONC-1``.
"""

from __future__ import annotations

from typing import Any

from authz_world import ENTERPRISE, World

from reetrace.domains.alerts.service import resolve_alert
from reetrace.domains.flow.quotas import QuotaSet, set_quota
from reetrace.domains.flow.service import EventInput, capture
from reetrace.domains.personnel.models import Caller

USERS = {"flow.officer.a": ("group-a", ["security_officer"]), "flow.officer.b": ("group-b", ["security_officer"])}
T = "2026-03-0{}T08:00:00+08:00"


def _q(name: str, kg: float) -> dict[str, Any]:
    return {"epcClass": "urn:reetrace:lot:" + name, "quantity": kg, "uom": "KGM"}


def _master(name: str, product: str, reo: float, element: str | None = None, **shares: float) -> dict[str, Any]:
    out: dict[str, Any] = {"lot": "urn:reetrace:lot:" + name, "productClass": product, "reoContent": reo,
                           "elementDistribution": shares}
    return out | ({"element": element} if element else {})


def _create(name: str, kg: float, **shares: float) -> dict[str, Any]:
    return {"type": "ObjectEvent", "action": "ADD", "eventTime": T.format(1), "eventTimeZoneOffset": "+08:00",
            "bizStep": "commissioning", "quantityList": [_q(name, kg)], "reetrace:processStep": "mining",
            "ilmd": {"reetrace:lotMasterData": [_master(name, "concentrate", 0.5, **shares)]}}


def _transform(inputs: list[tuple[str, float]], name: str, kg: float, master: dict[str, Any], step: str,
               day: int) -> dict[str, Any]:
    return {"type": "TransformationEvent", "eventTime": T.format(day), "eventTimeZoneOffset": "+08:00",
            "bizStep": "commissioning", "reetrace:processStep": step,
            "inputQuantityList": [_q(n, k) for n, k in inputs], "outputQuantityList": [_q(name, kg)],
            "ilmd": {"reetrace:lotMasterData": [master]}}


def chain() -> list[dict[str, Any]]:
    return [
        _create("FA-CONC-A", 600, Nd=0.8, Dy=0.2),
        _create("FA-CONC-B", 400, Nd=0.9, Dy=0.1),
        _transform([("FA-CONC-A", 600), ("FA-CONC-B", 400)], "FA-MIX-1", 500,
                   _master("FA-MIX-1", "mixed_carbonate", 0.98, Nd=0.84, Dy=0.16), "cracking", 5),
        _transform([("FA-MIX-1", 500)], "FA-ND-1", 300, _master("FA-ND-1", "separated_oxide", 0.995, element="Nd"),
                   "solvent_extraction", 7),
    ]


def record(world: World, tenant: str, events: list[dict[str, Any]]) -> list[str]:
    """Capture the events; the ids of the alerts they raised."""
    caller = Caller.of("flow-test", tenant)
    with world.container.unit_of_work() as (uow, _):
        report = capture(uow, caller, ENTERPRISE[tenant],
                         [EventInput(f"event[{n}]", e) for n, e in enumerate(events)])
    return list(report.alerts)


def populate(world: World) -> None:
    from reetrace.authz import service
    from reetrace.authz.passwords import Passwords

    with world.container.unit_of_work() as (uow, vault):
        for username, (tenant, roles) in USERS.items():
            world.user_ids[username] = service.add_user(uow, vault, Passwords("low"), "test", tenant, username,
                                                        username, roles, "Correct-horse-42")
    raised = record(world, "group-a", chain()) + record(world, "group-b", [_create("FB-CONC-1", 200, Nd=1.0)])
    with world.container.unit_of_work() as (uow, _):
        raised += set_quota(uow, Caller.of("flow-test", "group-a"), QuotaSet(
            enterprise_id=ENTERPRISE["group-a"], year=2026, kind="mining", batch="B1", reo_tonnes=0.4))[1]
    assert raised  # the yield gap and the quota: resolved, so that other domains' pages show no open alerts
    with world.container.unit_of_work() as (uow, _):
        for alert_id in raised:
            resolve_alert(uow, alert_id, "flow-test", "planted by the flow tests")
    world.extra["flow_lot_a"] = "FA-MIX-1"
    world.extra["flow_lot_b"] = "FB-CONC-1"


def api(world: World, username: str) -> Any:
    """A bearer-token client of a flow user or of ``reg.officer`` (supervisor) or ``anna`` (viewer)."""
    from reetrace.authz.permissions import permissions_of

    roles = USERS[username][1] if username in USERS else {"reg.officer": ["supervisor"], "anna": ["viewer"]}[username]
    return world.bearer(username, sorted(permissions_of(roles)))


def placeholders(world: World) -> dict[str, Any]:
    return {"flow_lot_a": world.extra["flow_lot_a"]}


F = "/api/v1/flow"
# (user, method, url, json body, status, code): bad input on every API route, sent by a user holding its permission
BAD_REQUESTS: list[tuple[str, str, str, Any, int, str]] = [
    ("flow.officer.a", "GET", f"{F}/lots/NO-SUCH-LOT/trace", None, 404, "not_found"),
    ("flow.officer.a", "GET", f"{F}/lots/FA-MIX-1/trace?direction=sideways", None, 400, "invalid_request"),
    ("flow.officer.a", "GET", f"{F}/lots/-bad/trace", None, 400, "invalid_request"),
    ("flow.officer.a", "GET", f"{F}/balance?month=2026-13", None, 400, "bad_month"),
    ("flow.officer.a", "GET", f"{F}/balance?month=March", None, 400, "bad_month"),
    ("flow.officer.a", "GET", f"{F}/balance?enterprise=", None, 400, "invalid_request"),
    ("flow.officer.a", "GET", f"{F}/quotas", None, 400, "invalid_request"),
    ("flow.officer.a", "GET", f"{F}/quotas?year=1999", None, 400, "invalid_request"),
    ("flow.officer.a", "GET", f"{F}/quotas?year=next", None, 400, "invalid_request"),
    ("flow.officer.a", "POST", f"{F}/events", None, 400, "invalid_request"),
    ("flow.officer.a", "GET", f"{F}/events?month=2026-13", None, 400, "bad_month"),
    ("flow.officer.a", "GET", f"{F}/events?enterprise=-x", None, 400, "invalid_request"),
    ("flow.officer.a", "GET", f"{F}/lots/NO-SUCH-LOT/certificate", None, 404, "not_found"),
    ("flow.officer.a", "GET", f"{F}/lots/FA-MIX-1/certificate?format=xml", None, 400, "invalid_request"),
    ("flow.officer.a", "GET", f"{F}/reports/NM-BAOTOU-01/2026-00", None, 400, "bad_month"),
    ("flow.officer.a", "GET", f"{F}/reports/NM-BAOTOU-01/2026-03?format=pdf", None, 400, "invalid_request"),
    ("flow.officer.a", "GET", f"{F}/reports/NO-SUCH-ENT/2026-03", None, 404, "not_found"),
    ("flow.officer.a", "POST", f"{F}/reports/NM-BAOTOU-01/2999-01/submission", None, 400, "month_not_over"),
    ("flow.officer.a", "GET", f"{F}/reports/due?on=2026-13-01", None, 400, "invalid_request"),
]


def _calls() -> tuple[list[Any], list[Any]]:
    from route_table import Call

    read, record, lot = "flow:lot:read", "flow:event:record", "{flow_lot_a}"
    api = [
        Call("POST", f"{F}/events", f"{F}/events", record, form={}),
        Call("GET", f"{F}/events", f"{F}/events", read),
        Call("GET", f"{F}/lots/{lot}/certificate", f"{F}/lots/{{lot}}/certificate", read),
        Call("GET", f"{F}/reports/{{enterprise_a}}/2026-03", f"{F}/reports/{{enterprise}}/{{month}}", read),
        Call("GET", f"{F}/reports/due", f"{F}/reports/due", read),
        Call("POST", f"{F}/reports/{{enterprise_a}}/2026-01/submission",
             f"{F}/reports/{{enterprise}}/{{month}}/submission", record),
        Call("GET", f"{F}/lots/{lot}/trace", f"{F}/lots/{{lot}}/trace", read),
        Call("GET", f"{F}/balance", f"{F}/balance", read),
        Call("GET", f"{F}/quotas?year=2026", f"{F}/quotas", read),
    ]
    console = [
        Call("GET", f"/flow/lots/{lot}", "/flow/lots/{lot}", read),
        Call("GET", "/flow/balance", "/flow/balance", read),
        Call("GET", "/flow/quotas", "/flow/quotas", read),
        Call("GET", "/flow/import", "/flow/import", record),
        Call("POST", "/flow/import", "/flow/import", record, form={}),
        Call("GET", "/flow/reports", "/flow/reports", read),
        Call("POST", "/flow/reports/{enterprise_a}/2026-02/submission", "/flow/reports/{enterprise}/{month}/submission",
             record, form={}),
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
