"""The access rules on every backend (SQLite and PostgreSQL): sign in, tenant isolation, audited reveal, the trail."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from authz_world import CONTACT_NAME, ENTERPRISE, PASSWORD, World, build_world, login_csrf_of
from web_checks import assert_error_shape

from reetrace.settings import Settings


@pytest.fixture
def world(backend: Settings) -> Iterator[World]:
    built = build_world(backend.with_(password_cost="low"))
    yield built
    built.container.close()


def test_sign_in_isolation_reveal_and_audit(world: World) -> None:
    client = world.client()
    form = login_csrf_of(client.get("/login").text)
    response = client.post("/login", data={"username": "bob", "password": PASSWORD, "csrf_token": form},
                           follow_redirects=False)
    assert response.status_code == 303
    assert client.get(f"/registry/enterprises/{ENTERPRISE['group-a']}").status_code == 404
    alice = world.bearer("alice")
    revealed = alice.post(f"/api/v1/registry/contacts/{world.contacts['group-a']}/reveal").json()
    assert revealed["fields"]["name"] == CONTACT_NAME["group-a"]
    assert_error_shape(alice.get(f"/api/v1/log/entries/{world.notes['group-b']}"), 404)
    trail = world.bearer("bob").get("/api/v1/audit").json()["events"]
    assert [(e["action"], e["username"]) for e in trail] == [("access.denied", "bob"), ("session.login", "bob")]
    officer = world.bearer("reg.officer").get("/api/v1/audit", params={"limit": 200}).json()["events"]
    assert {(e["action"], e["username"]) for e in officer} == {("personal_data.read", "alice"),
                                                               ("access.denied", "alice")}


def test_disabled_user_and_revoked_token(world: World) -> None:
    anna = world.session("anna")
    token = world.bearer("anna")
    world.session("alice").post(f"/admin/users/{world.user_ids['anna']}/disable", data={"reason": "left"})
    assert anna.get("/", follow_redirects=False).status_code == 303
    assert_error_shape(token.get("/api/v1/me"), 401)
