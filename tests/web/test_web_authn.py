"""Who is asking: no credentials, bad ones, revoked or expired tokens, disabled users; and what a permission
refusal looks like (403, audited) on every guarded route."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from authz_world import World
from fastapi import FastAPI
from route_table import API, CONSOLE, GUARDED, Call, guarded_routes, send
from sqlalchemy import update
from web_checks import assert_error_shape

from reetrace.authz.tables import tokens
from reetrace.storage.engine import write_transaction

NEEDS_PERMISSION = [c for c in GUARDED if c.permission != "signed-in"]  # the rest is about one's own account


def test_the_tables_cover_every_guarded_route(authz_world: World) -> None:
    assert {c.key: c.permission for c in GUARDED} == guarded_routes(authz_world.app)


@pytest.mark.parametrize("call", API, ids=[f"{c.method} {c.url}" for c in API])
def test_api_without_credentials_is_401(authz_world: World, call: Call) -> None:
    response = send(authz_world.client(), call, authz_world)
    assert_error_shape(response, 401, "sign_in_required")
    assert response.headers["www-authenticate"].startswith("Bearer")


@pytest.mark.parametrize("header", ["Bearer rt_0123456789abcdef_wrong", "Bearer nonsense", "Bearer ", "Basic YTpi",
                                    "Bearer rt_" + "a" * 2000])
def test_api_with_bad_credentials_is_401(authz_world: World, header: str) -> None:
    for call in API:
        response = send(authz_world.client(), call, authz_world, headers={"Authorization": header})
        assert_error_shape(response, 401, "sign_in_required")


def test_a_bad_token_is_not_rescued_by_a_session_cookie(authz_world: World) -> None:
    client = authz_world.session("alice")
    assert client.get("/api/v1/me").status_code == 200
    assert_error_shape(client.get("/api/v1/me", headers={"Authorization": "Bearer rt_x_y"}), 401)


@pytest.mark.parametrize("call", CONSOLE, ids=[f"{c.method} {c.url}" for c in CONSOLE])
def test_console_without_session_goes_to_login(authz_world: World, call: Call) -> None:
    client = authz_world.client()
    client.cookies.set("rt_session", "stale-or-forged-session-id")
    response = send(client, call, authz_world)
    assert response.status_code == 303
    location = urlsplit(response.headers["location"])
    assert location.path == "/login"
    if call.method == "GET":
        assert parse_qs(location.query)["next"] == [call.url_in(authz_world)]


def test_console_ignores_api_tokens(authz_world: World) -> None:
    """Pages take the session cookie only: a token in a browser would be a token outside its client."""
    response = authz_world.bearer("alice").get("/", follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"].startswith("/login")


@pytest.mark.parametrize("call", NEEDS_PERMISSION, ids=[f"{c.method} {c.url}" for c in NEEDS_PERMISSION])
def test_missing_permission_is_403_and_audited(authz_world: World, call: Call) -> None:
    """nora has no role: every guarded route but her own account's refuses her, and the refusal is an event."""
    client = authz_world.bearer("nora") if call in API else authz_world.session("nora")
    before = authz_world.size()
    response = send(client, call, authz_world)
    if call in API:
        body = assert_error_shape(response, 403, "forbidden")
        assert call.permission in body["error"]
    else:
        assert response.status_code == 403 and "Access denied" in response.text
        assert "recorded in the audit trail" in response.text
    [event] = authz_world.audit_events(since=before)
    assert event["action"] == "access.denied" and event["username"] == "nora" and event["tenant"] == "group-a"
    assert event["permission"] == call.permission and event["reason"] == "missing permission"
    assert event["method"] == call.method and event["target"].split("?")[0] == call.url_in(authz_world).split("?")[0]
    assert event["ip"] == "testclient"


def test_a_token_is_refused_outside_its_scopes(authz_world: World) -> None:
    client = authz_world.bearer("alice", ["log:entry:read"])
    me = client.get("/api/v1/me").json()
    assert me["permissions"] == ["log:entry:read"] and me["via"] == "token" and me["csrf_token"] is None
    assert client.get("/api/v1/log/entries").status_code == 200
    for call in API:
        if call.permission not in {"log:entry:read", "signed-in"}:
            body = assert_error_shape(send(client, call, authz_world), 403, "forbidden")
            assert call.permission in body["error"]


def test_revoked_and_expired_tokens_are_401(fresh_authz_world: World) -> None:
    world = fresh_authz_world
    client = world.bearer("alice")
    me = client.get("/api/v1/me").json()
    assert client.delete(f"/api/v1/tokens/{me['token_id']}").json() == {"token_id": me["token_id"], "revoked": True}
    assert_error_shape(client.get("/api/v1/me"), 401, "sign_in_required")

    other = world.bearer("bob")
    assert other.get("/api/v1/me").status_code == 200
    with write_transaction(world.container.engine) as conn:
        conn.execute(update(tokens).where(tokens.c.revoked_at.is_(None))
                     .values(expires_at=datetime.now(UTC) - timedelta(seconds=1)))
    assert_error_shape(other.get("/api/v1/me"), 401, "sign_in_required")


def test_a_disabled_user_is_out_on_the_next_request(fresh_authz_world: World) -> None:
    world = fresh_authz_world
    session, api = world.session("anna"), world.bearer("anna")
    assert session.get("/").status_code == 200 and api.get("/api/v1/me").status_code == 200
    admin = world.session("alice")
    response = admin.post(f"/admin/users/{world.user_ids['anna']}/disable", data={"reason": "left the company"},
                          follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == "/admin/users?notice=user-disabled"
    assert session.get("/", follow_redirects=False).headers["location"] == "/login?next=%2F"
    assert_error_shape(session.get("/api/v1/me"), 401)
    assert_error_shape(api.get("/api/v1/me"), 401)
    page = admin.get("/admin/users").text
    assert 'id="user-anna"' in page and "disabled" in page.split('id="user-anna"')[1].split("</tr>")[0]


def test_own_account_routes_need_no_permission(authz_world: World) -> None:
    client = authz_world.session("nora")
    assert client.get("/api/v1/me").json()["permissions"] == []
    assert client.post("/account/locale", data={"locale": "en"}, follow_redirects=False).status_code == 303
    assert client.post("/logout", follow_redirects=False).headers["location"] == "/login"


def test_public_routes_need_nothing(authz_world: World) -> None:
    client = authz_world.client()
    assert client.get("/health").status_code == 200
    assert client.get("/tlog/checkpoint").status_code == 200
    assert client.get("/tlog/tile/0/000.p/1").status_code == 200
    assert client.get("/login").status_code == 200
    assert client.get("/static/console.css").status_code == 200


def test_app_has_no_route_missing_from_the_tables(authz_world: World) -> None:
    app = authz_world.app
    assert isinstance(app, FastAPI)
    assert set(guarded_routes(app)) == {c.key for c in GUARDED}
