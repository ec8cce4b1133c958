"""Object references across tenants: every page and API route that takes an id answers 404 for another tenant's
object — exactly as for an object that does not exist — and records the attempt as access.denied. An authority's
users see the objects of the tenants it supervises, and no others."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from authz_world import ENTERPRISE, World
from fastapi.testclient import TestClient
from sqlalchemy import select
from web_checks import assert_error_shape

from reetrace.authz.tables import tokens, users
from reetrace.storage.engine import read_transaction
from reetrace.storage.logread import LogReader


@dataclass(frozen=True)
class ObjectCall:
    name: str
    method: str
    url: str  # {placeholders} of objects of group-a
    api: bool


def refs(world: World, tenant: str = "group-a") -> dict[str, object]:
    with read_transaction(world.container.engine) as conn:
        note = LogReader(conn).entry(world.notes[tenant])
        token_id = conn.execute(select(tokens.c.token_id).where(tokens.c.tenant == tenant)).scalars().first()
    return {"enterprise": ENTERPRISE[tenant], "contact": world.contacts[tenant], "index": note.index,
            "event_id": note.event_id, "user": world.user_ids["anna" if tenant == "group-a" else "bella"],
            "token": token_id, "bundle": f"{note.index // 256:03d}.p/{note.index % 256 + 1}"}


CALLS = [
    ObjectCall("entry", "GET", "/api/v1/log/entries/{index}", True),
    ObjectCall("event", "GET", "/api/v1/log/events/{event_id}", True),
    ObjectCall("proof", "GET", "/api/v1/log/proof/{index}", True),
    ObjectCall("bundle", "GET", "/tlog/tile/entries/{bundle}", True),
    ObjectCall("enterprise", "GET", "/api/v1/registry/enterprises/{enterprise}", True),
    ObjectCall("reveal", "POST", "/api/v1/registry/contacts/{contact}/reveal", True),
    ObjectCall("revoke", "DELETE", "/api/v1/tokens/{token}", True),
    ObjectCall("entry page", "GET", "/log/entries/{index}", False),
    ObjectCall("lookup index", "GET", "/log/lookup?q={index}", False),
    ObjectCall("lookup event", "GET", "/log/lookup?q={event_id}", False),
    ObjectCall("enterprise page", "GET", "/registry/enterprises/{enterprise}", False),
    ObjectCall("reveal form", "POST", "/registry/contacts/{contact}/reveal", False),
    ObjectCall("roles form", "POST", "/admin/users/{user}/roles", False),
    ObjectCall("disable form", "POST", "/admin/users/{user}/disable", False),
    ObjectCall("revoke form", "POST", "/tokens/{token}/revoke", False),
]
FORMS = {"roles form": {"roles": "tenant_admin"}, "disable form": {"reason": "hostile"}}


@pytest.fixture(scope="module")
def a_token(authz_world: World) -> str:
    """A token of group-a (alice's), so that revoking it by id is an object reference too."""
    return authz_world.token("alice")


def client_of(world: World, username: str, call: ObjectCall) -> TestClient:
    return world.bearer(username) if call.api else world.session(username)


def request(client: TestClient, call: ObjectCall, values: dict[str, object]) -> object:
    url = call.url.format(**values)
    return client.request(call.method, url, data=FORMS.get(call.name), follow_redirects=False)


def assert_not_found(response: object, api: bool) -> None:
    if api:
        assert_error_shape(response, 404)  # type: ignore[arg-type]
    else:
        assert response.status_code == 404 and "Not found" in response.text  # type: ignore[attr-defined]


@pytest.mark.parametrize("call", CALLS, ids=[c.name for c in CALLS])
def test_another_tenants_object_is_not_found_and_audited(authz_world: World, a_token: str, call: ObjectCall) -> None:
    world = authz_world
    values = refs(world)
    client = client_of(world, "bob", call)  # bob: group-b's admin, with every permission
    before = world.size()
    with read_transaction(world.container.engine) as conn:
        roles_before = conn.execute(select(users.c.roles, users.c.disabled_at)).all()
    response = request(client, call, values)
    assert_not_found(response, call.api)
    events = world.audit_events(since=before)
    assert [(e["action"], e["username"], e["tenant"], e["reason"]) for e in events] == [
        ("access.denied", "bob", "group-b", "not found in scope")]
    assert events[0]["target"] == call.url.format(**values)
    assert world.size() == before + 1  # nothing else happened: no reveal, no role change, no revocation
    with read_transaction(world.container.engine) as conn:
        assert conn.execute(select(users.c.roles, users.c.disabled_at)).all() == roles_before
        assert conn.execute(select(tokens.c.revoked_at).where(tokens.c.token_id == values["token"])).scalar() is None


@pytest.mark.parametrize("call", [c for c in CALLS if c.method == "GET" and c.name != "bundle"], ids=lambda c: c.name)
def test_the_owner_and_the_supervising_authority_see_it(authz_world: World, call: ObjectCall) -> None:
    values = refs(authz_world)
    for username in ("alice", "reg.officer"):
        response = request(client_of(authz_world, username, call), call, values)
        assert response.status_code in (200, 303), (username, response.text[:300])  # type: ignore[attr-defined]


@pytest.mark.parametrize("call", [c for c in CALLS if c.method == "GET"], ids=lambda c: c.name)
def test_the_authority_does_not_see_an_unsupervised_tenant(authz_world: World, call: ObjectCall) -> None:
    client = client_of(authz_world, "reg.officer", call)
    before = authz_world.size()
    assert_not_found(request(client, call, refs(authz_world, "group-b")), call.api)
    [event] = authz_world.audit_events(since=before)
    assert (event["username"], event["tenant"], event["reason"]) == ("reg.officer", "regulator", "not found in scope")


def test_an_entry_bundle_is_served_only_to_who_sees_all_its_entries(authz_world: World) -> None:
    """A bundle mixes tenants: alice sees her own entries one by one, never a bundle holding others' entries."""
    last = authz_world.size() - 1
    bundle = f"/tlog/tile/entries/000.p/{min(last + 1, 255)}"
    assert_error_shape(authz_world.bearer("alice").get(bundle), 404)


def test_no_oracle_a_foreign_object_and_a_missing_one_get_the_same_answer(authz_world: World) -> None:
    client = authz_world.bearer("bob")
    foreign = client.get(f"/api/v1/registry/enterprises/{ENTERPRISE['group-a']}").json()
    missing = client.get("/api/v1/registry/enterprises/NO-SUCH-ENTERPRISE").json()
    assert foreign["error"].replace(ENTERPRISE["group-a"], "X") == missing["error"].replace("NO-SUCH-ENTERPRISE", "X")
    assert {**foreign, "error": ""} == {**missing, "error": ""}


def test_lists_show_only_the_visible_tenants(authz_world: World) -> None:
    def tenants_of(username: str) -> tuple[set[str], set[str | None]]:
        client = authz_world.bearer(username)
        enterprises = {e["tenant"] for e in client.get("/api/v1/registry/enterprises").json()["enterprises"]}
        entries = {e["tenant"] for e in client.get("/api/v1/log/entries?limit=200").json()["entries"]}
        return enterprises, entries

    assert tenants_of("bob") == ({"group-b"}, {"group-b"})
    assert tenants_of("alice") == ({"group-a"}, {"group-a"})
    enterprises, entries = tenants_of("reg.officer")
    # an authority also reads the deployment's tenant-less entries (e.g. the published travel policy)
    assert enterprises == {"group-a"} and entries - {None} == {"group-a", "regulator"}
    page = authz_world.session("bob").get("/").text
    assert "<td>group-a</td>" not in page and "<td>group-b</td>" in page
    assert '<span id="visible-tenants">group-b</span>' in page
