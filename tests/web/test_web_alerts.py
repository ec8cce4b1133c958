"""Alerts in the API and the console, on SQLite and PostgreSQL: open alerts of the visible tenants, one alert,
resolving with a reason, the dashboard's box; bad input, permissions and tenant isolation."""

from __future__ import annotations

import re

import pytest
from authz_world import World
from domain_personnel import bearer, world_fixture
from web_checks import assert_error_shape

from reetrace.domains.alerts import raise_alert

world = world_fixture()
MISSING = "A-0000000000000000"


def new_alert(world: World, tenant: str = "group-a", kind: str = "personnel.test.finding") -> str:
    with world.container.unit_of_work() as (uow, _):
        found = raise_alert(uow, tenant=tenant, kind=kind, subject=world.extra["person_a"], severity="warning",
                            message="a finding for the test", evidence={"n": 1}, dedupe_key=f"test:{kind}:{tenant}:"
                            f"{world.size()}")
    assert found is not None
    return found


def test_open_alerts_of_the_visible_tenants(world: World) -> None:
    listed = {a["alert_id"]: a for a in bearer(world, "anna").get("/api/v1/alerts").json()["alerts"]}
    assert world.extra["alert_a"] in listed and world.extra["alert_b"] not in listed
    alert = listed[world.extra["alert_a"]]
    assert alert["kind"] == "personnel.cooling_off.employment" and alert["severity"] == "high"
    assert alert["evidence"]["country"] == "DE" and alert["status"] == "open"
    regulator = {a["alert_id"] for a in bearer(world, "reg.officer").get("/api/v1/alerts").json()["alerts"]}
    assert world.extra["alert_a"] in regulator and world.extra["alert_b"] not in regulator
    kinds = bearer(world, "anna").get("/api/v1/alerts", params={"kind": "personnel.cooling_off.employment"}).json()
    assert {a["kind"] for a in kinds["alerts"]} == {"personnel.cooling_off.employment"}
    assert bearer(world, "anna").get("/api/v1/alerts", params={"kind": "no.such_kind"}).json()["alerts"] == []


@pytest.mark.parametrize("url", ["/api/v1/alerts?kind=Not%20A%20Kind", "/api/v1/alerts?limit=0",
                                 "/api/v1/alerts?limit=201", "/api/v1/alerts/not-an-alert",
                                 "/api/v1/alerts/a-0000000000000000"])
def test_alerts_bad_input(world: World, url: str) -> None:
    assert_error_shape(bearer(world, "anna").get(url), 400, "invalid_request")


def test_another_tenants_alert_is_not_found_and_audited(world: World) -> None:
    for username, alert_id in (("anna", world.extra["alert_b"]), ("reg.officer", world.extra["alert_b"]),
                               ("stan", world.extra["alert_a"]), ("anna", MISSING)):
        for method, url, body in (("GET", f"/api/v1/alerts/{alert_id}", None),
                                  ("POST", f"/api/v1/alerts/{alert_id}/resolve", {"reason": "hostile"})):
            client = bearer(world, username)
            before = world.size()
            response = client.request(method, url, json=body)
            if method == "POST" and username == "anna":
                assert_error_shape(response, 403, "forbidden")  # a viewer may not resolve, whatever the alert
                continue
            assert_error_shape(response, 404, "not_found")
            [event] = world.audit_events(since=before)
            assert (event["action"], event["username"], event["reason"]) == ("access.denied", username,
                                                                             "not found in scope")
    assert bearer(world, "bob").get(f"/api/v1/alerts/{world.extra['alert_b']}").json()["status"] == "open"


def test_resolve_with_a_reason(world: World) -> None:
    alert_id = new_alert(world)
    sofia = bearer(world, "sofia")
    before = world.size()
    assert_error_shape(sofia.post(f"/api/v1/alerts/{alert_id}/resolve", json={}), 400, "invalid_request")
    assert_error_shape(sofia.post(f"/api/v1/alerts/{alert_id}/resolve", json={"reason": ""}), 400)
    assert_error_shape(sofia.post(f"/api/v1/alerts/{alert_id}/resolve", json={"reason": "  "}), 400, "invalid")
    assert world.size() == before
    done = sofia.post(f"/api/v1/alerts/{alert_id}/resolve", json={"reason": "checked with HR: false match"})
    assert done.status_code == 200 and done.json()["alert_id"] == alert_id
    alert = sofia.get(f"/api/v1/alerts/{alert_id}").json()
    assert (alert["status"], alert["resolved_by"], alert["resolution"]) == ("resolved", "sofia",
                                                                            "checked with HR: false match")
    assert alert_id not in {a["alert_id"] for a in sofia.get("/api/v1/alerts").json()["alerts"]}
    assert_error_shape(sofia.post(f"/api/v1/alerts/{alert_id}/resolve", json={"reason": "again"}), 409, "conflict")


def test_the_regulator_resolves_a_supervised_alert(world: World) -> None:
    alert_id = new_alert(world, kind="personnel.test.regulator")
    response = bearer(world, "reg.officer").post(f"/api/v1/alerts/{alert_id}/resolve", json={"reason": "reviewed"})
    assert response.status_code == 200
    assert bearer(world, "sofia").get(f"/api/v1/alerts/{alert_id}").json()["resolved_by"] == "reg.officer"


def test_alert_pages_and_the_resolve_form(world: World) -> None:
    alert_id = new_alert(world, kind="personnel.test.console")
    client = world.session("sofia")
    listing = client.get("/alerts").text
    assert f'href="/alerts/{alert_id}"' in listing and world.extra["alert_b"] not in listing
    filtered = client.get("/alerts?kind=personnel.test.console").text
    assert alert_id in filtered and world.extra["alert_a"] not in filtered
    assert client.get("/alerts?kind=BAD KIND").status_code == 400
    page = client.get(f"/alerts/{alert_id}").text
    assert 'id="resolve-form"' in page and "a finding for the test" in page
    assert f'href="/personnel/persons/{world.extra["person_a"]}"' in page
    response = client.post(f"/alerts/{alert_id}/resolve", data={"reason": "handled"}, follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == f"/alerts/{alert_id}?notice=resolved"
    after = client.get(response.headers["location"]).text
    assert 'id="notice"' in after and "handled" in after and 'id="resolve-form"' not in after
    assert client.post(f"/alerts/{alert_id}/resolve", data={"reason": "again"}).status_code == 409
    assert client.post(f"/alerts/{alert_id}/resolve", data={}).status_code == 400
    assert world.session("anna").get(f"/alerts/{alert_id}").status_code == 200
    assert 'id="resolve-form"' not in world.session("anna").get(f"/alerts/{world.extra['alert_a']}").text
    assert world.session("stan").get(f"/alerts/{alert_id}").status_code == 404


def test_the_dashboard_lists_open_alerts_newest_first(world: World) -> None:
    newest = new_alert(world, kind="personnel.test.dashboard")
    page = world.session("anna").get("/").text
    box = page.split('id="alerts"')[1].split("</section>")[0]
    shown = re.findall(r'href="/alerts/(A-[0-9A-F]{16})"', box)
    assert shown[0] == newest and world.extra["alert_a"] in shown and len(shown) <= 10
    assert world.extra["alert_b"] not in box and 'href="/alerts"' in box
    other = world.session("stan").get("/").text.split('id="alerts"')[1].split("</section>")[0]
    assert world.extra["alert_b"] in other and newest not in other
