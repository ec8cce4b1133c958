"""Product flow through the API on SQLite and PostgreSQL: a lot's trace back (the mines' enterprise, country and
shares) and forward, the monthly mass balance with the out-of-tolerance element, the year's quota usage, tenant
isolation (group-b's officer gets an audited 404 for group-a's lot and sees none of its balances or quotas) and bad
input on every route."""

from __future__ import annotations

from typing import Any

import domain_flow as planted
import pytest
from authz_world import ENTERPRISE, World
from web_checks import assert_error_shape

from reetrace.authz.permissions import permissions_of

F = "/api/v1/flow"


@pytest.fixture
def world(backend_world: World) -> World:
    """The authz world with the domain modules' objects, on SQLite and on PostgreSQL (tests/web/conftest.py)."""
    return backend_world


api = planted.api  # a bearer-token client of a flow user, reg.officer or anna


def nodes_of(trace: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {n["lot_id"]: n for n in trace["nodes"]}


def test_the_trace_back_reaches_the_mines_with_their_shares(world: World) -> None:
    response = api(world, "flow.officer.a").get(f"{F}/lots/FA-ND-1/trace?direction=back")
    assert response.status_code == 200, response.text
    trace = response.json()
    nodes = nodes_of(trace)
    assert set(nodes) == {"FA-ND-1", "FA-MIX-1", "FA-CONC-A", "FA-CONC-B"}
    mine = nodes["FA-CONC-A"]
    assert mine["enterprise_id"] == ENTERPRISE["group-a"] and mine["country"] == "CN"
    assert mine["product_class"] == "concentrate" and mine["quantity_kg"] == 600
    assert mine["share"] == pytest.approx(0.6) and nodes["FA-CONC-B"]["share"] == pytest.approx(0.4)
    assert nodes["FA-ND-1"]["share"] == 1 and nodes["FA-MIX-1"]["share"] == pytest.approx(1.0)
    assert (mine["step"], nodes["FA-MIX-1"]["step"], nodes["FA-ND-1"]["step"]) == (0, 1, 2)  # sources on the left
    edges = {(e["parent"], e["child"]): e["share"] for e in trace["edges"]}
    assert edges == {("FA-CONC-A", "FA-MIX-1"): pytest.approx(0.6), ("FA-CONC-B", "FA-MIX-1"): pytest.approx(0.4),
                     ("FA-MIX-1", "FA-ND-1"): pytest.approx(1.0)}
    by_urn = api(world, "flow.officer.a").get(f"{F}/lots/urn:reetrace:lot:FA-ND-1/trace").json()
    assert by_urn["nodes"] == trace["nodes"]  # the URN and the bare id name the same lot; back is the default


def test_the_trace_forward_gives_the_mines_share_of_each_later_lot(world: World) -> None:
    trace = api(world, "reg.officer").get(f"{F}/lots/FA-CONC-A/trace?direction=forward").json()
    nodes = nodes_of(trace)
    assert trace["direction"] == "forward" and set(nodes) == {"FA-CONC-A", "FA-MIX-1", "FA-ND-1"}
    assert nodes["FA-CONC-A"]["step"] == 0 and nodes["FA-ND-1"]["step"] == 2
    assert nodes["FA-ND-1"]["share"] == pytest.approx(0.6)


def test_the_balance_shows_the_element_outside_the_tolerance(world: World) -> None:
    answer = api(world, "flow.officer.a").get(f"{F}/balance?enterprise={ENTERPRISE['group-a']}&month=2026-03").json()
    rows = {r["element"]: r for r in answer["rows"]}
    assert answer["month"] == "2026-03" and set(rows) == {"Dy", "Nd"}
    assert rows["Nd"]["transformations"] == 2 and rows["Nd"]["outside"] == 1
    assert rows["Dy"]["outside"] == 1  # the neodymium oxide carries no dysprosium: all of it lost
    assert rows["Nd"]["in_kg"] == pytest.approx(420 + 411.6)
    assert api(world, "flow.officer.a").get(f"{F}/balance?month=2026-04").json()["rows"] == []


def test_the_quota_usage(world: World) -> None:
    [row] = api(world, "flow.officer.a").get(f"{F}/quotas?year=2026").json()["quotas"]
    assert row["enterprise_id"] == ENTERPRISE["group-a"] and row["kind"] == "mining"
    assert row["quota_t"] == pytest.approx(0.4) and row["used_t"] == pytest.approx(0.5)
    assert row["share"] == pytest.approx(1.25)
    assert api(world, "flow.officer.a").get(f"{F}/quotas?year=2025").json()["quotas"] == []


def test_another_tenants_lot_is_an_audited_404(world: World) -> None:
    b = api(world, "flow.officer.b")
    before = world.size()
    assert_error_shape(b.get(f"{F}/lots/FA-MIX-1/trace"), 404, "not_found")
    [event] = world.audit_events(since=before)
    assert event["action"] == "access.denied" and event["reason"] == "not found in scope"
    assert event["username"] == "flow.officer.b"
    assert b.get(f"{F}/balance").json()["rows"] == []
    assert b.get(f"{F}/quotas?year=2026").json()["quotas"] == []
    assert nodes_of(b.get(f"{F}/lots/FB-CONC-1/trace").json())["FB-CONC-1"]["enterprise_id"] == ENTERPRISE["group-b"]
    assert_error_shape(api(world, "reg.officer").get(f"{F}/lots/FB-CONC-1/trace"), 404, "not_found")


def test_a_user_without_flow_permission_is_refused(world: World) -> None:
    assert_error_shape(api(world, "anna").get(f"{F}/balance"), 403, "forbidden")


@pytest.mark.parametrize(("username", "method", "url", "body", "status", "code"), planted.BAD_REQUESTS,
                         ids=[f"{m} {u} {c}" for _, m, u, _, _, c in planted.BAD_REQUESTS])
def test_bad_input_on_every_flow_route(world: World, username: str, method: str, url: str, body: Any,
                                       status: int, code: str) -> None:
    client = api(world, username)  # issuing the token is an event; the request after it writes nothing
    before = world.size()
    payload = assert_error_shape(client.request(method, url), status, code)
    assert payload["error"]
    if status == 400:
        assert world.size() == before  # bad input writes nothing


def test_fuzzed_flow_requests_get_no_server_error(world: World) -> None:
    """Schemathesis over the flow operations with a security officer's token (the shared fuzz test signs in as a
    tenant admin, who has no flow permission)."""
    import schemathesis
    from hypothesis import HealthCheck, given, settings
    from schemathesis.checks import not_a_server_error
    from schemathesis.specs.openapi.checks import response_schema_conformance

    from reetrace.web.app import OPENAPI_URL

    schema = schemathesis.openapi.from_asgi(OPENAPI_URL, world.app)
    operations = [r.ok() for r in schema.get_all_operations() if r.ok().path.startswith(F)]
    assert len(operations) == 9
    token = world.token("flow.officer.a", sorted(permissions_of(planted.USERS["flow.officer.a"][1])))
    headers = {"Authorization": f"Bearer {token}"}
    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(max_examples=15, deadline=None, database=None, derandomize=True,
                  suppress_health_check=list(HealthCheck))
        def run(case: Any) -> None:
            case.call_and_validate(headers=headers, checks=[not_a_server_error, response_schema_conformance])

        run()
