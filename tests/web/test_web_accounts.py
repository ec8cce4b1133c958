"""Users, roles and tokens: tenant admins manage their own tenant; everyone with authz:token:manage their tokens."""

from __future__ import annotations

import re

import pytest
from authz_world import World, csrf_of
from web_checks import assert_error_shape

from reetrace.authz.permissions import permissions_of
from reetrace.authz.principal import Principal
from reetrace.authz.scope import TenantScope
from reetrace.errors import Error
from reetrace.web.accountsview import grantable_roles

NEW_USER = {"username": "carol", "display_name": "Carol Zhang", "password": "Correct-horse-43", "roles": "analyst"}


def test_users_page_lists_the_own_tenant_only(authz_world: World) -> None:
    page = authz_world.session("alice").get("/admin/users").text
    assert "Users of group-a" in page
    for username in ("alice", "anna", "adam", "nora"):
        assert f'id="user-{username}"' in page
    for username in ("bob", "bella", "reg.officer"):
        assert f'id="user-{username}"' not in page
    assert "Carol" not in page and "Alice" not in page  # display names stay in the vault


def test_add_a_user_who_then_signs_in(fresh_authz_world: World) -> None:
    world = fresh_authz_world
    admin = world.session("alice")
    response = admin.post("/admin/users", data=NEW_USER, follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == "/admin/users?notice=user-added"
    page = admin.get(response.headers["location"]).text
    assert "The user was added." in page and 'id="user-carol"' in page
    carol = world.session("carol", NEW_USER["password"])
    me = carol.get("/api/v1/me").json()
    assert me["tenant"] == "group-a" and me["roles"] == ["analyst"]


@pytest.mark.parametrize(("form", "status", "message"), [
    ({**NEW_USER, "password": "short"}, 400, "the password is too short"),
    ({**NEW_USER, "username": "Carol!"}, 400, "body.username"),
    ({**NEW_USER, "username": "alice"}, 400, "is taken"),
    ({k: v for k, v in NEW_USER.items() if k != "roles"}, 400, "choose at least one role"),
    ({**NEW_USER, "roles": "root"}, 400, "unknown role"),
])
def test_bad_new_users_are_refused_with_a_page(authz_world: World, form: dict[str, str], status: int,
                                               message: str) -> None:
    before = authz_world.size()
    response = authz_world.session("alice").post("/admin/users", data=form)
    assert response.status_code == status and message in response.text
    assert authz_world.size() == before


def test_set_roles(fresh_authz_world: World) -> None:
    world = fresh_authz_world
    admin = world.session("alice")
    url = f"/admin/users/{world.user_ids['anna']}/roles"
    response = admin.post(url, data={"roles": ["analyst", "auditor"]}, follow_redirects=False)
    assert response.headers["location"] == "/admin/users?notice=roles-set"
    assert world.session("anna").get("/api/v1/me").json()["roles"] == ["analyst", "auditor"]
    assert admin.post(url, data={}).status_code == 400  # no role at all: refused
    own = admin.post(f"/admin/users/{world.user_ids['alice']}/roles", data={"roles": ["viewer"]})
    assert own.status_code == 400 and "your own right to manage users" in own.text


def test_an_admin_cannot_disable_themselves(authz_world: World) -> None:
    response = authz_world.session("alice").post(f"/admin/users/{authz_world.user_ids['alice']}/disable",
                                                 data={"reason": "oops"})
    assert response.status_code == 400 and "cannot disable your own account" in response.text


def test_roles_beyond_ones_own_permissions_cannot_be_granted() -> None:
    admin = Principal("u", "x", "t", "group", ("analyst",), permissions_of(["analyst"]), TenantScope(frozenset({"t"})),
                      "en", "session")
    assert grantable_roles(admin, ["viewer", "analyst"]) == ["analyst", "viewer"]
    with pytest.raises(Error) as caught:
        grantable_roles(admin, ["tenant_admin"])
    assert caught.value.code == "beyond_own_permissions"


def test_issue_a_token_shown_once_then_revoke_it(fresh_authz_world: World) -> None:
    world = fresh_authz_world
    client = world.session("alice")
    page = client.get("/tokens").text
    assert 'value="personal:data:read"' in page and 'value="authz:user:manage"' in page
    issued = client.post("/tokens", data={"label": "nightly export", "days": "30",
                                          "scopes": ["log:entry:read", "registry:enterprise:read"]})
    assert issued.status_code == 201 and issued.headers["cache-control"] == "no-store"
    token = re.search(r'<pre class="note" id="new-token">(rt_[^<]+)</pre>', issued.text).group(1)  # type: ignore[union-attr]
    token_id = token.split("_")[1]
    assert f'id="token-{token_id}"' in issued.text  # listed in the same answer
    api = world.client()
    api.headers["Authorization"] = f"Bearer {token}"
    assert api.get("/api/v1/me").json()["permissions"] == ["log:entry:read", "registry:enterprise:read"]
    listing = client.get("/tokens").text
    secret = token.split("_", 2)[2]  # the secret is URL-safe base64: it may hold "_" itself
    assert "nightly export" in listing and secret not in listing  # the secret is shown once only
    response = client.post(f"/tokens/{token_id}/revoke", data={"csrf_token": csrf_of(listing)}, follow_redirects=False)
    assert response.headers["location"] == "/tokens?notice=token-revoked"
    assert_error_shape(api.get("/api/v1/me"), 401)
    assert client.post(f"/tokens/{token_id}/revoke").status_code == 400  # revoked already


def test_a_tenant_admin_revokes_a_users_token_but_a_user_not_anothers(fresh_authz_world: World) -> None:
    world = fresh_authz_world
    officer = world.bearer("reg.officer")
    officer_token = officer.get("/api/v1/me").json()["token_id"]
    alice_token = world.bearer("alice").get("/api/v1/me").json()["token_id"]
    assert_error_shape(officer.delete(f"/api/v1/tokens/{alice_token}"), 404)  # not his: "not found"
    admin = world.session("alice")
    adam_client = world.bearer("adam")
    adam_token = adam_client.get("/api/v1/me").json()["token_id"]
    response = admin.post(f"/tokens/{adam_token}/revoke", data={"next": "/admin/users"}, follow_redirects=False)
    assert response.headers["location"] == "/admin/users?notice=token-revoked"
    assert_error_shape(adam_client.get("/api/v1/me"), 401)
    assert officer.get("/api/v1/me").json()["token_id"] == officer_token


def test_tokens_api(fresh_authz_world: World) -> None:
    world = fresh_authz_world
    client = world.bearer("bob")
    created = client.post("/api/v1/tokens", json={"label": "ci", "scopes": ["log:entry:read"], "days": 7})
    assert created.status_code == 201
    body = created.json()
    assert body["token"].startswith(f"rt_{body['token_id']}_") and body["scopes"] == ["log:entry:read"]
    listed = client.get("/api/v1/tokens").json()["tokens"]
    assert body["token_id"] in {t["token_id"] for t in listed}
    assert body["token"] not in created.text.replace(body["token"], "", 1)  # exactly once, in this answer
    assert all("token" not in t for t in listed)
    beyond = world.bearer("reg.officer").post("/api/v1/tokens", json={"label": "x", "scopes": ["log:entry:append"]})
    assert_error_shape(beyond, 400, "beyond_own_permissions")
    assert client.delete(f"/api/v1/tokens/{body['token_id']}").json()["revoked"] is True


def test_viewers_have_no_account_pages(authz_world: World) -> None:
    client = authz_world.session("anna")
    assert client.get("/admin/users").status_code == 403
    assert client.get("/tokens").status_code == 403
    page = client.get("/").text
    assert 'href="/admin/users"' not in page and 'href="/tokens"' not in page and 'href="/audit"' not in page
