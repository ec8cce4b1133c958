"""Travel requests through the API on SQLite and PostgreSQL: submission decided by the policy, approval level by
level with the signed-in principal as approver, refusal with a reason, cancellation, debrief, audited reveal of the
declarations, tenant isolation (a probe of another tenant's request is an audited 404) and the checks."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import domain_travel as planted
import pytest
from authz_world import World
from fastapi.testclient import TestClient
from web_checks import assert_error_shape

from reetrace.authz.permissions import permissions_of
from reetrace.domains.personnel.passports import check_out
from reetrace.web.travelview import today

TRAVEL = "/api/v1/personnel/travel"


@pytest.fixture
def world(backend_world: World) -> World:
    """The authz world with the domain modules' objects, on SQLite and on PostgreSQL (tests/web/conftest.py)."""
    return backend_world


def api(world: World, username: str) -> TestClient:
    """A client with an API token holding all of the user's permissions."""
    roles = planted.USERS[username][1] if username in planted.USERS else {"reg.officer": ["supervisor"]}[username]
    return world.bearer(username, sorted(permissions_of(roles)))


def submit(world: World, person: str, destinations: list[str] | None = None, **extra: Any) -> dict[str, Any]:
    start = today() + timedelta(days=14)
    body = {"person_id": person, "destinations": destinations or ["HK"], "depart_on": start.isoformat(),
            "return_on": (start + timedelta(days=4)).isoformat(), "purpose": "business", **extra}
    response = api(world, "trv.officer.a").post(TRAVEL, json=body)
    assert response.status_code == 201, response.text
    made: dict[str, Any] = response.json()
    return made


def act(world: World, username: str, request_id: str, route: str, decision: str = "approve",
        reason: str = "") -> Any:
    return api(world, username).post(f"{TRAVEL}/{request_id}/{route}", json={"decision": decision, "reason": reason})


def test_a_tier_2_trip_needs_the_enterprise_then_the_group(world: World) -> None:
    made = submit(world, world.extra["trv_person_a"], inviting_organisation="HK Magnet Forum")
    assert made["status"] == "pending" and made["chain"] == ["enterprise", "group"]
    assert made["next_level"] == "enterprise" and made["next_permission"] == "personnel:travel:approve"
    assert made["rule_id"] == "tier2" and made["policy_version"] == "2026.1"
    assert made["destinations"] == [{"code": "HK", "name": "Hong Kong", "tier": 2}]
    rid = made["request_id"]

    assert_error_shape(act(world, "trv.group.a", rid, "endorse"), 409, "wrong_level")  # the group is not next
    assert_error_shape(act(world, "trv.officer.a", rid, "authorise"), 403, "forbidden")
    first = act(world, "trv.officer.a", rid, "approve", reason="conference invitation checked")
    assert first.status_code == 200 and first.json()["next_level"] == "group"
    assert_error_shape(act(world, "trv.officer.a2", rid, "approve"), 409, "wrong_level")
    done = act(world, "trv.group.a", rid, "endorse").json()
    assert done["status"] == "approved" and done["next_level"] is None
    detail = api(world, "trv.officer.a").get(f"{TRAVEL}/{rid}").json()
    assert [(s["level"], s["decision"], s["username"]) for s in detail["steps"]] == [
        ("enterprise", "approve", "trv.officer.a"), ("group", "approve", "trv.group.a")]
    assert detail["steps"][0]["reason"] == "conference invitation checked"
    assert detail["inviting_organisation"] == "HK Magnet Forum" and detail["policy_entry"] >= 0
    assert_error_shape(act(world, "trv.group.a", rid, "endorse"), 409, "not_pending")


def test_a_refusal_needs_a_reason_and_ends_the_request(world: World) -> None:
    rid = submit(world, world.extra["trv_person_a"])["request_id"]
    officer = api(world, "trv.officer.a")
    before = world.size()
    body = assert_error_shape(officer.post(f"{TRAVEL}/{rid}/approve", json={"decision": "refuse"}), 400,
                              "reason_required")
    assert body["errors"][0]["location"] == "reason" and world.size() == before
    refused = act(world, "trv.officer.a", rid, "approve", decision="refuse", reason="no business need").json()
    assert refused["status"] == "refused" and refused["steps"][0]["reason"] == "no business need"
    assert_error_shape(act(world, "trv.group.a", rid, "endorse"), 409, "not_pending")
    assert_error_shape(act(world, "trv.officer.a", rid, "approve", decision="maybe"), 400, "invalid_request")


def test_the_same_person_cannot_approve_twice(world: World) -> None:
    rid = submit(world, world.extra["trv_person_a"])["request_id"]
    assert act(world, "trv.both.a", rid, "approve").status_code == 200
    assert_error_shape(act(world, "trv.both.a", rid, "endorse"), 409, "already_acted")
    assert act(world, "trv.group.a", rid, "endorse").json()["status"] == "approved"


def test_the_regulator_sees_group_a_and_authorises_the_authority_step(world: World) -> None:
    core = planted.add_person(world, "group-a", "core")
    made = submit(world, core)
    assert made["chain"] == ["enterprise", "group", "authority"] and made["rule_id"] == "tier2-core"
    rid = made["request_id"]
    assert_error_shape(act(world, "reg.officer", rid, "authorise"), 409, "wrong_level")
    act(world, "trv.officer.a", rid, "approve")
    act(world, "trv.group.a", rid, "endorse")
    regulator = api(world, "reg.officer")
    awaiting = regulator.get(TRAVEL, params={"awaiting_me": True}).json()["requests"]
    assert [r["request_id"] for r in awaiting] == [rid] and awaiting[0]["may_act"] is True
    done = act(world, "reg.officer", rid, "authorise", reason="cleared by the authority").json()
    assert done["status"] == "approved" and done["steps"][2]["user_tenant"] == "regulator"
    assert world.extra["trv_travel_a"] in {r["request_id"] for r in regulator.get(TRAVEL, params={"limit": 500})
                                       .json()["requests"]}


def test_a_group_b_user_gets_an_audited_404_on_group_a(world: World) -> None:
    other = api(world, "trv.officer.b")
    rid, doc = world.extra["trv_travel_a"], world.extra["trv_doc_a"]
    officer = api(world, "trv.officer.a")
    listed = {r["request_id"] for r in other.get(TRAVEL, params={"limit": 500}).json()["requests"]}
    assert rid not in listed and world.extra["trv_travel_b"] in listed
    probes = [("GET", f"{TRAVEL}/{rid}", None), ("POST", f"{TRAVEL}/{rid}/approve", {"decision": "approve"}),
              ("POST", f"{TRAVEL}/{rid}/cancel", {"reason": "x"}),
              ("POST", f"{TRAVEL}/{rid}/declarations/reveal", None),
              ("GET", f"/api/v1/personnel/passports/{doc}", None),
              ("POST", f"/api/v1/personnel/passports/{doc}/check-in", None),
              ("POST", f"/api/v1/personnel/passports/{doc}/reveal", None),
              ("POST", f"/api/v1/personnel/passports/{world.extra['trv_doc_b']}/check-out", {"request_id": rid}),
              ("POST", TRAVEL, {"person_id": world.extra["trv_person_a"], "destinations": ["JP"],
                                "depart_on": str(today() + timedelta(days=9)),
                                "return_on": str(today() + timedelta(days=10)), "purpose": "business"})]
    for method, url, body in probes:
        before = world.size()
        assert_error_shape(other.request(method, url, json=body), 404, "not_found")
        events = world.audit_events(since=before)
        assert [(e["action"], e["username"], e["reason"]) for e in events] == [
            ("access.denied", "trv.officer.b", "not found in scope")], url
    assert officer.get(f"{TRAVEL}/{rid}").json()["status"] == "pending"


@pytest.mark.parametrize(("change", "code", "location"), [
    ({"destinations": ["XX"]}, "unknown_country", "destinations[0]"),
    ({"destinations": ["CN"]}, "invalid", "destinations[0]"),
    ({"depart_on": "2020-01-01", "return_on": "2020-01-05"}, "date_in_past", "depart_on"),
    ({"return_on": "BEFORE"}, "dates_out_of_order", "return_on"),
    ({"purpose": "spying"}, "unknown_purpose", "purpose"),
    ({"purpose": None}, "invalid_request", "body.purpose"),
    ({"destinations": []}, "invalid_request", "body.destinations"),
    ({"depart_on": "not a date"}, "invalid_request", "body.depart_on"),
])
def test_bad_submissions_name_the_field_and_store_nothing(world: World, change: dict[str, Any], code: str,
                                                        location: str) -> None:
    start = today() + timedelta(days=10)
    body: dict[str, Any] = {"person_id": world.extra["trv_person_a"], "destinations": ["HK"],
                            "depart_on": start.isoformat(), "return_on": (start + timedelta(days=3)).isoformat(),
                            "purpose": "business"}
    if change.get("return_on") == "BEFORE":
        change = {"return_on": (start - timedelta(days=1)).isoformat()}
    body.update(change)
    body = {k: v for k, v in body.items() if v is not None}
    officer = api(world, "trv.officer.a")
    before = world.size()
    found = assert_error_shape(officer.post(TRAVEL, json=body), 400, code)
    assert location in [e["location"] for e in found["errors"]]
    assert world.size() == before


def test_cancel_needs_a_reason(world: World) -> None:
    rid = submit(world, world.extra["trv_person_a"])["request_id"]
    client = api(world, "trv.officer.a")
    assert_error_shape(client.post(f"{TRAVEL}/{rid}/cancel", json={"reason": ""}), 400, "invalid_request")
    assert client.post(f"{TRAVEL}/{rid}/cancel", json={"reason": "trip called off"}).json()["status"] == "cancelled"
    assert_error_shape(client.post(f"{TRAVEL}/{rid}/cancel", json={"reason": "again"}), 409, "not_cancellable")


def test_a_debrief_after_the_return_records_deviations(world: World) -> None:
    rid = planted.plant_past_trip(world, "group-a", world.extra["trv_person_a"])
    client = api(world, "trv.officer.a")
    assert_error_shape(client.post(f"{TRAVEL}/{rid}/debrief", json={"actual_destinations": ["ZZ"],
                                                                     "actual_return_on": str(today())}),
                       400, "unknown_country")
    later = str(today() + timedelta(days=3))
    assert_error_shape(client.post(f"{TRAVEL}/{rid}/debrief", json={"actual_destinations": ["HK"],
                                                                     "actual_return_on": later}),
                       400, "dates_out_of_order")
    done = client.post(f"{TRAVEL}/{rid}/debrief", json={"actual_destinations": ["HK", "MO"],
                                                         "actual_return_on": str(today()), "notes": "met the buyer"})
    assert done.status_code == 200, done.text
    debrief = done.json()["debrief"]
    assert done.json()["status"] == "completed" and debrief["actual_destinations"] == ["HK", "MO"]
    assert any("MO" in d for d in debrief["deviations"]) and any("returned on" in d for d in debrief["deviations"])
    stored = client.get(f"{TRAVEL}/{rid}").json()
    assert stored["status"] == "completed" and stored["debrief"]["deviations"] == debrief["deviations"]
    assert_error_shape(client.post(f"{TRAVEL}/{rid}/debrief", json={"actual_destinations": ["HK"],
                                                                     "actual_return_on": str(today())}),
                       409, "not_debriefable")


def test_revealing_the_declarations_is_audited_first(world: World) -> None:
    rid = world.extra["trv_travel_a"]
    officer = api(world, "trv.officer.a")
    before = world.size()
    revealed = officer.post(f"{TRAVEL}/{rid}/declarations/reveal").json()
    assert revealed["foreign_contacts"][0]["name"] == "Jane Roe"
    assert revealed["family_foreign_ties"][0] == {"relation": "sister", "country": "CA", "kind": "residence",
                                                  "name": ""}
    [event] = world.audit_events(since=before)
    assert (event["action"], event["username"], event["target"]) == ("personal_data.read", "trv.officer.a", rid)
    assert event["permission"] == "personal:data:read"
    alice = world.bearer("alice")  # personal:data:read, but no travel:read: refused, audited
    assert_error_shape(alice.post(f"{TRAVEL}/{rid}/declarations/reveal"), 403, "forbidden")


def test_passport_custody_through_the_api(world: World) -> None:
    person = planted.add_person(world, "group-a")
    client = api(world, "trv.officer.a")
    base = "/api/v1/personnel/passports"
    expires = str(today() + timedelta(days=2000))
    made = client.post(base, json={"person_id": person, "doc_type": "hk_macau_permit", "number": "C1234 5678",
                                   "expires_on": expires})
    assert made.status_code == 201, made.text
    doc = made.json()["document_id"]
    assert made.json()["status"] == "held" and made.json()["number_commitment"].startswith("hmac-sha256:")
    assert_error_shape(client.post(base, json={"person_id": person, "doc_type": "hk_macau_permit",
                                               "number": "C12345678", "expires_on": expires}), 409, "duplicate")
    assert_error_shape(client.post(base, json={"person_id": person, "doc_type": "hk_macau_permit", "number": "!!!!!",
                                               "expires_on": expires}), 400, "invalid")
    assert_error_shape(client.post(base, json={"person_id": person, "doc_type": "visa", "number": "C9",
                                               "expires_on": expires}), 400, "invalid_request")
    rid = submit(world, person)["request_id"]
    assert_error_shape(client.post(f"{base}/{doc}/check-out", json={"request_id": rid}), 409, "not_approved")
    act(world, "trv.officer.a", rid, "approve")
    act(world, "trv.group.a", rid, "endorse")
    out = client.post(f"{base}/{doc}/check-out", json={"request_id": rid}).json()
    assert out["status"] == "out" and out["request_id"] == rid and out["overdue"] is False
    assert_error_shape(client.post(f"{base}/{doc}/check-out", json={"request_id": rid}), 409, "already_out")
    assert doc in {d["document_id"] for d in client.get(base, params={"status": "out"}).json()["documents"]}
    back = client.post(f"{base}/{doc}/check-in").json()
    assert back["status"] == "held"
    assert_error_shape(client.post(f"{base}/{doc}/check-in"), 409, "not_out")
    moves = client.get(f"{base}/{doc}/movements").json()
    assert [(m["action"], m["request_id"]) for m in moves] == [("out", rid), ("in", rid)]
    assert client.get(f"{base}/{doc}").json()["movements"] == moves
    before = world.size()
    assert client.post(f"{base}/{doc}/reveal").json() == {"document_id": doc, "number": "C12345678"}
    [event] = world.audit_events(since=before)
    assert (event["action"], event["target"]) == ("personal_data.read", doc)


def test_the_checks_report_an_overdue_passport_to_its_tenant_only(world: World) -> None:
    person = planted.add_person(world, "group-a")
    doc = planted.plant_document(world, person, "hk_macau_permit")
    rid = planted.plant_request(world, person, on=today() - timedelta(days=60), days_ahead=20, length=10)
    for username, route in (("trv.officer.a", "approve"), ("trv.group.a", "endorse")):
        assert act(world, username, rid, route).status_code == 200
    with world.container.unit_of_work() as (uow, _):
        check_out(uow, "test", doc, rid, today=today() - timedelta(days=45), policy=planted.POLICY)
    overdue = api(world, "trv.officer.a").get("/api/v1/personnel/passports", params={"status": "overdue"}).json()
    assert [d["document_id"] for d in overdue["documents"]] == [doc] and overdue["documents"][0]["overdue"]
    report = api(world, "trv.officer.a").post("/api/v1/personnel/checks/run").json()
    mine = [f for f in report["findings"] if f["kind"] == "personnel.passport.overdue"]
    assert [f["subject"] for f in mine] == [person] and doc in mine[0]["message"] and mine[0]["alert_id"]
    assert report["today"] == str(today())
    assert {f["tenant"] for f in report["findings"]} <= {"group-a"}
    other = api(world, "trv.officer.b").post("/api/v1/personnel/checks/run").json()
    assert all(f["tenant"] == "group-b" for f in other["findings"])
    again = api(world, "trv.officer.a").post("/api/v1/personnel/checks/run").json()
    assert [f["alert_id"] for f in again["findings"] if doc in f["message"]] == [None]  # raised once


@pytest.mark.parametrize(("username", "method", "url", "body", "status", "code"), planted.BAD_REQUESTS,
                         ids=[f"{m} {u[:70]} {c}" for _, m, u, _, _, c in planted.BAD_REQUESTS])
def test_bad_input_on_every_travel_route(world: World, username: str, method: str, url: str, body: Any,
                                         status: int, code: str) -> None:
    client = api(world, username)
    before = world.size()
    response = client.request(method, url, json=body) if body is not None else client.request(method, url)
    assert_error_shape(response, status, code)
    if status == 400:
        assert world.size() == before  # bad input writes nothing
