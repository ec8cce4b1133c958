"""Export control through the API on SQLite and PostgreSQL: classification as of a date, submission (checked,
classified, screened), the reviewer queue by SLA, the application with its explanation and the listed party's record
next to each hit, review steps, answers to requests for information, licences and shipments, tenant isolation (an
exporter of group-b cannot see group-a's application: an audited 404; the regulator reviews group-a's, not
group-b's) and bad input on every route."""

from __future__ import annotations

import base64
from typing import Any

import domain_export as planted
import pytest
from authz_world import World
from fastapi.testclient import TestClient
from web_checks import assert_error_shape

from reetrace.authz.permissions import permissions_of

X = "/api/v1/export"
APPS = f"{X}/applications"


@pytest.fixture
def world(backend_world: World) -> World:
    """The authz world with the domain modules' objects, on SQLite and on PostgreSQL (tests/web/conftest.py)."""
    return backend_world


ROLES = {"reg.officer": ["supervisor"], "anna": ["viewer"], "bob": ["tenant_admin"]}


def api(world: World, username: str) -> TestClient:
    """A client with an API token holding all of the user's permissions."""
    roles = planted.USERS[username][1] if username in planted.USERS else ROLES[username]
    return world.bearer(username, sorted(permissions_of(roles)))


def submit(world: World, username: str = "exp.officer.a", **changes: Any) -> dict[str, Any]:
    tenant = "group-a" if username.endswith(".a") else "group-b"
    client = api(world, username)
    response = client.post(APPS, json=planted.application(tenant, **changes))
    assert response.status_code == 201, response.text
    assert response.json()["status"] == "submitted"
    made: dict[str, Any] = client.get(response.json()["href"]).json()
    return made


def review(world: World, application_id: str, action: str, reason: str = "checked", **extra: Any) -> Any:
    return api(world, "reg.officer").post(f"{APPS}/{application_id}/review",
                                         json={"action": action, "reason": reason, **extra})


def test_classification_as_of_a_date_explains_itself(world: World) -> None:
    client = api(world, "exp.officer.a")
    body = client.post(f"{X}/classify", json={"item": planted.item(), "as_of": "2026-09-01"}).json()
    assert body["verdict"] == "controlled" and body["as_of"] == "2026-09-01"
    rule = next(m for m in body["matches"] if m["state"] == "in_force")
    assert rule["announcement"] == "No. 18" and rule["citation"] and rule["reason"]
    assert body["steps"] and body["control_list"]["version"]
    holmium = {"form": "oxide", "composition": {"Ho": 80}, "description": "holmium oxide"}
    suspended = client.post(f"{X}/classify", json={"item": holmium, "as_of": "2025-12-01"}).json()
    assert suspended["verdict"] != "controlled"  # No. 57 is suspended by No. 70 on that day
    later = client.post(f"{X}/classify", json={"item": holmium, "as_of": "2026-11-20"}).json()
    assert later["verdict"] == "controlled"
    unsure = client.post(f"{X}/classify", json={"item": {"form": "oxide", "hs_code": "284690"}}).json()
    assert unsure["verdict"] == "uncertain" and unsure["uncertain"]


def test_submission_is_classified_screened_and_on_the_clock(world: World) -> None:
    made = submit(world)
    assert made["status"] == "submitted" and made["verdict"] == "controlled" and not made["flagged"]
    assert made["classification"]["verdict"] == "controlled" and made["rule_ids"]
    assert made["sla"]["state"] == "running" and made["sla"]["days_left"] == 45
    assert [c["kind"] for c in made["certificates"]] == ["end_user", "end_use"]
    assert made["screening"]["lists"] and all(p["hits"] == [] for p in made["screening"]["parties"])
    assert [p["role"] for p in made["screening"]["parties"]] == ["consignee", "end_user", "end_user.owners[0]"]
    assert made["licence"] is None


def test_a_listed_end_user_in_chinese_script_is_flagged_with_the_evidence(world: World) -> None:
    detail = api(world, "reg.officer").get(f"{APPS}/{world.extra['exp_flagged_a']}").json()
    assert detail["flagged"] is True
    [flag] = [f for f in detail["screening"]["flags"] if f["code"] == "listed_party"]
    assert flag["party"] == "end_user" and "presumption of denial" in flag["explanation"].lower()
    end_user = next(p for p in detail["screening"]["parties"] if p["role"] == "end_user")
    hit = end_user["hits"][0]
    assert hit["list_id"] == "cn_mofcom_control" and hit["matched_name"] == planted.LISTED_ZH
    assert hit["score"] >= hit["threshold"] and hit["features"] is not None
    record = hit["listed_record"]
    assert record["name"] == planted.LISTED_LATIN and record["programmes"]
    assert {"name": planted.LISTED_ZH, "script": "han"} in record["aliases"]


def test_military_end_use_and_a_listed_owner_are_flagged(world: World) -> None:
    military = submit(world, military_end_use=True, end_use="magnets for missile guidance fins")
    assert military["flagged"] and military["screening"]["flags"][0]["code"] == "military_end_use"
    owned = submit(world, end_user={"name": "Kestrel Precision Motors Ltd.", "country": "GB", "owners": [
        {"name": planted.LISTED_LATIN, "country": "US", "share": "60"}]})
    [flag] = owned["screening"]["flags"]
    assert flag["code"] == "listed_party" and flag["party"] == "end_user.owners[0]"


def test_the_queue_is_ordered_by_the_sla_clock_and_filtered(world: World) -> None:
    client = api(world, "reg.officer")
    queue = client.get(APPS).json()["applications"]
    open_ = [a for a in queue if a["status"] not in ("approved", "denied")]
    assert open_ and [a["days_left"] for a in open_] == sorted(a["days_left"] for a in open_)
    assert {a["tenant"] for a in queue} == {"group-a"}  # the regulator supervises group-a only
    flagged = client.get(APPS, params={"flagged": "true"}).json()["applications"]
    assert flagged and all(a["flagged"] for a in flagged)
    approved = client.get(APPS, params={"status": "approved"}).json()["applications"]
    assert approved and all(a["status"] == "approved" for a in approved)
    assert all(a["tenant"] == "group-b" for a in api(world, "exp.officer.b").get(APPS).json()["applications"])


def test_review_rfi_answer_approve_and_ship(world: World) -> None:
    made = submit(world)
    rid = made["application_id"]
    assert review(world, rid, "note", "certificates look genuine").json()["status"] == "under_review"
    assert review(world, rid, "rfi", "send the production plan").json()["status"] == "awaiting_information"
    assert_error_shape(review(world, rid, "approve"), 409, "rfi_open")
    paused = api(world, "reg.officer").get(f"{APPS}/{rid}").json()
    assert paused["sla"]["paused"] is True and paused["sla"]["due_on"] is None
    pdf = base64.b64encode(b"%PDF production plan").decode()
    answered = api(world, "exp.officer.a").post(f"{APPS}/{rid}/respond", json={
        "answer": "attached", "certificates": [{"kind": "end_use", "name": "plan.pdf", "content_base64": pdf}]})
    assert answered.status_code == 200 and answered.json()["due_on"]
    assert_error_shape(api(world, "exp.officer.a").post(f"{APPS}/{rid}/respond", json={"answer": "again"}), 409,
                       "no_rfi")
    approved = review(world, rid, "approve", "verified", terms={"kind": "single", "quantity_kg": "400"}).json()
    assert approved["status"] == "approved" and approved["licence_id"].startswith("LIC-")
    assert_error_shape(review(world, rid, "deny", "too late"), 409, "decided")
    lic = approved["licence_id"]
    shipper = api(world, "exp.officer.a")
    first = shipper.post(f"{X}/licences/{lic}/shipments", json={"quantity": "0.3", "unit": "t", "value": "1000"})
    assert first.status_code == 201 and first.json()["accepted"] and first.json()["remaining_kg"] == "100.0"
    beyond = shipper.post(f"{X}/licences/{lic}/shipments", json={"quantity": "150"}).json()
    assert beyond["accepted"] is False and "remaining" in beyond["refusal"] and beyond["alert_id"]
    licence = shipper.get(f"{X}/licences/{lic}").json()
    assert licence["drawn_kg"] == "300.0" and [s["accepted"] for s in licence["shipments"]] == [True, False]
    detail = api(world, "reg.officer").get(f"{APPS}/{rid}").json()
    assert [s["action"] for s in detail["steps"]] == ["note", "rfi", "answer", "approve"]
    assert detail["licence"]["licence_id"] == lic and detail["licence"]["remaining_kg"] == "100.0"


def test_deny_needs_a_reason_and_is_recorded(world: World) -> None:
    rid = submit(world)["application_id"]
    assert_error_shape(review(world, rid, "deny", "   "), 400, "invalid_request")  # blank is empty
    denied = review(world, rid, "deny", "end user unverifiable").json()
    assert denied["status"] == "denied" and denied["licence_id"] is None
    steps = api(world, "exp.officer.a").get(f"{APPS}/{rid}").json()["steps"]
    assert steps[-1]["action"] == "deny" and steps[-1]["text"] == "end user unverifiable"


def test_another_tenants_application_is_an_audited_404(world: World) -> None:
    a_app, b_app = world.extra["exp_app_a"], world.extra["exp_app_b"]
    before = world.size()
    assert_error_shape(api(world, "exp.officer.b").get(f"{APPS}/{a_app}"), 404, "not_found")
    [event] = world.audit_events(since=before)
    assert event["action"] == "access.denied" and event["reason"] == "not found in scope"
    assert event["username"] == "exp.officer.b" and a_app in event["target"]
    assert_error_shape(api(world, "exp.officer.b").get(f"{X}/licences/{world.extra['exp_licence_a']}"), 404,
                       "not_found")
    assert_error_shape(api(world, "exp.officer.b").post(f"{X}/licences/{world.extra['exp_licence_a']}/shipments",
                                                        json={"quantity": "1"}), 404, "not_found")
    # the regulator supervises group-a: it sees and reviews group-a's application, not group-b's
    assert api(world, "reg.officer").get(f"{APPS}/{a_app}").status_code == 200
    assert_error_shape(review(world, b_app, "note", "x"), 404, "not_found")
    # an exporter may not review its own application, nor submit for another tenant's enterprise
    assert_error_shape(api(world, "exp.officer.a").post(f"{APPS}/{a_app}/review",
                                                        json={"action": "approve", "reason": "x"}), 403, "forbidden")


def test_a_user_without_export_permissions_is_refused(world: World) -> None:
    assert_error_shape(api(world, "anna").get(APPS), 403, "forbidden")


@pytest.mark.parametrize(("username", "method", "url", "body", "status", "code"), planted.BAD_REQUESTS,
                         ids=[f"{m} {u[:60]} {c}" for _, m, u, _, _, c in planted.BAD_REQUESTS])
def test_bad_input_on_every_export_route(world: World, username: str, method: str, url: str, body: Any,
                                         status: int, code: str) -> None:
    client = api(world, username)
    before = world.size()
    response = client.request(method, url, json=body) if body is not None else client.request(method, url)
    payload = assert_error_shape(response, status, code)
    if status == 400:
        assert world.size() == before  # bad input writes nothing
        assert payload["error"]


def test_fuzzed_export_requests_get_no_server_error(world: World) -> None:
    """Schemathesis over the export operations with the tokens of an exporter and of the reviewer (the shared fuzz
    test signs in as a tenant admin, who has no export permission)."""
    import schemathesis
    from hypothesis import HealthCheck, given, settings
    from schemathesis.checks import not_a_server_error
    from schemathesis.specs.openapi.checks import response_schema_conformance

    from reetrace.web.app import OPENAPI_URL

    schema = schemathesis.openapi.from_asgi(OPENAPI_URL, world.app)
    operations = [r.ok() for r in schema.get_all_operations() if r.ok().path.startswith("/api/v1/export")]
    assert len(operations) == 8
    failures = []
    for username in ("exp.officer.a", "reg.officer"):
        token = world.token(username, sorted(permissions_of(api_roles(username))))
        headers = {"Authorization": f"Bearer {token}"}
        for operation in operations:

            def fuzzed(operation: Any = operation, headers: dict[str, str] = headers) -> Any:
                @given(case=operation.as_strategy())
                @settings(max_examples=10, deadline=None, database=None, derandomize=True,
                          suppress_health_check=list(HealthCheck))
                def run(case: Any) -> None:
                    case.call_and_validate(headers=headers, checks=[not_a_server_error, response_schema_conformance])

                return run

            try:
                fuzzed()()
            except Exception as exc:  # collect every operation's failure, then report them all
                failures.append(f"{username} {operation.label}: {exc}")
    assert failures == []


def api_roles(username: str) -> list[str]:
    return planted.USERS[username][1] if username in planted.USERS else ROLES[username]
