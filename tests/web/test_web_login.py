"""Signing in and out: cookies, session fixation, throttling, where one lands, and the audit of it all."""

from __future__ import annotations

import pytest
from authz_world import PASSWORD, World, csrf_of, login_csrf_of
from fastapi.testclient import TestClient
from web_checks import assert_error_shape


def cookie_header(response: object, name: str) -> str:
    headers = response.headers.get_list("set-cookie")  # type: ignore[attr-defined]
    [found] = [h for h in headers if h.startswith(f"{name}=")]
    return str(found)


def sign_in(client: TestClient, username: str, password: str = PASSWORD, next_url: str = "") -> object:
    form = client.get("/login", params={"next": next_url} if next_url else None)
    data = {"username": username, "password": password, "csrf_token": login_csrf_of(form.text), "next": next_url}
    return client.post("/login", data=data, follow_redirects=False)


def test_login_page_sets_its_double_submit_cookie(authz_world: World) -> None:
    response = authz_world.client().get("/login")
    assert response.status_code == 200 and 'name="password"' in response.text
    header = cookie_header(response, "rt_login_csrf")
    assert "HttpOnly" in header and "SameSite=strict" in header and "Path=/login" in header
    assert login_csrf_of(response.text) == response.cookies["rt_login_csrf"]


def test_login_sets_a_safe_session_cookie_and_is_audited(fresh_authz_world: World) -> None:
    world = fresh_authz_world
    client = world.client()
    before = world.size()
    response = sign_in(client, "alice", next_url="/registry/enterprises")
    assert response.status_code == 303 and response.headers["location"] == "/registry/enterprises"  # type: ignore[attr-defined]
    header = cookie_header(response, "rt_session")
    assert "HttpOnly" in header and "SameSite=lax" in header and "Path=/" in header and "Secure" not in header
    page = client.get("/registry/enterprises")
    assert page.status_code == 200 and "Signed in as alice (group-a)" in page.text
    [event] = world.audit_events(since=before)
    assert (event["action"], event["username"], event["tenant"], event["target"]) == ("session.login", "alice",
                                                                                        "group-a", "/login")


def test_session_cookie_is_secure_over_https(authz_world: World) -> None:
    client = TestClient(authz_world.app, base_url="https://testserver", raise_server_exceptions=False)
    response = sign_in(client, "anna")
    assert "Secure" in cookie_header(response, "rt_session")
    assert client.get("/").status_code == 200


def test_session_fixation_a_cookie_set_before_login_is_not_the_one_after(fresh_authz_world: World) -> None:
    world = fresh_authz_world
    client = world.client()
    client.cookies.set("rt_session", "attacker-chosen-session-id-0123456789", domain="testserver.local")
    sign_in(client, "alice")
    after = client.cookies["rt_session"]
    assert after != "attacker-chosen-session-id-0123456789"
    fixed = world.client()
    fixed.cookies.set("rt_session", "attacker-chosen-session-id-0123456789")
    assert fixed.get("/", follow_redirects=False).status_code == 303

    # a real, earlier session of the same browser is dropped at login, too (a signed-in browser is sent on from
    # GET /login, so the form comes from a tab that had no session; the POST carries the session cookie)
    client.cookies.delete("rt_session")
    form = client.get("/login")
    client.cookies.set("rt_session", after, domain="testserver.local")
    client.post("/login", data={"username": "alice", "password": PASSWORD, "csrf_token": login_csrf_of(form.text)},
                follow_redirects=False)
    assert client.cookies["rt_session"] != after
    stale = world.client()
    stale.cookies.set("rt_session", after)
    assert stale.get("/", follow_redirects=False).status_code == 303


@pytest.mark.parametrize(("next_url", "landing"), [
    ("/audit?action=access.denied", "/audit?action=access.denied"),
    ("//evil.example/x", "/"),
    ("https://evil.example/", "/"),
    ("/\\evil.example", "/"),
    ("javascript:alert(1)", "/"),
    ("/log/entries/1\r\nSet-Cookie: x=y", "/"),
    ("/login", "/"),
])
def test_only_same_site_next(authz_world: World, next_url: str, landing: str) -> None:
    response = sign_in(authz_world.client(), "anna", next_url=next_url)
    assert response.status_code == 303 and response.headers["location"] == landing  # type: ignore[attr-defined]


def test_wrong_password_is_shown_and_audited(fresh_authz_world: World) -> None:
    world = fresh_authz_world
    before = world.size()
    client = world.client()
    response = sign_in(client, "bob", password="Wrong-password-1")
    assert response.status_code == 401 and "Wrong username or password." in response.text  # type: ignore[attr-defined]
    assert "rt_session" not in client.cookies
    sign_in(client, "nobody-here", password="Wrong-password-1")
    events = world.audit_events(since=before)
    assert [(e["action"], e["username"], e["tenant"]) for e in events] == [
        ("login.failed", "bob", "group-b"), ("login.failed", "nobody-here", None)]
    assert all(e["user_id"] is None and e["ip"] == "testclient" for e in events)


def test_login_throttling_is_shown(fresh_authz_world: World) -> None:
    client = fresh_authz_world.client()
    for _ in range(5):
        assert sign_in(client, "bella", password="Wrong-password-1").status_code == 401  # type: ignore[attr-defined]
    response = sign_in(client, "bella")  # the right password, too late
    assert response.status_code == 429  # type: ignore[attr-defined]
    assert "Too many failed sign-ins" in response.text  # type: ignore[attr-defined]
    assert "rt_session" not in client.cookies


def test_a_disabled_user_cannot_sign_in(fresh_authz_world: World) -> None:
    world = fresh_authz_world
    admin = world.session("alice")
    admin.post(f"/admin/users/{world.user_ids['anna']}/disable", data={"reason": "left"})
    assert sign_in(world.client(), "anna").status_code == 401  # type: ignore[attr-defined]


def test_logout_ends_the_session_and_is_audited(fresh_authz_world: World) -> None:
    world = fresh_authz_world
    client = world.client()
    sign_in(client, "alice")
    session_id = client.cookies["rt_session"]
    token = csrf_of(client.get("/").text)
    before = world.size()
    response = client.post("/logout", data={"csrf_token": token}, follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == "/login"
    assert 'rt_session=""' in cookie_header(response, "rt_session")
    again = world.client()
    again.cookies.set("rt_session", session_id)
    assert again.get("/", follow_redirects=False).status_code == 303
    [event] = world.audit_events(since=before)
    assert (event["action"], event["username"]) == ("session.logout", "alice")


def test_api_with_a_session_needs_the_csrf_header_for_writes(authz_world: World) -> None:
    client = authz_world.session("alice")
    token = client.headers.pop("X-CSRF-Token")
    me = client.get("/api/v1/me").json()
    assert me["via"] == "session" and me["csrf_token"] == token
    assert_error_shape(client.post("/api/v1/log/notes", json={"text": "x"}), 403, "csrf_failed")
    assert_error_shape(client.post("/api/v1/log/notes", json={"text": "x"}, headers={"X-CSRF-Token": "nope"}), 403,
                       "csrf_failed")
    created = client.post("/api/v1/log/notes", json={"text": "x"}, headers={"X-CSRF-Token": token})
    assert created.status_code == 201 and created.json()["tenant"] == "group-a"
    bearer = authz_world.bearer("alice")  # a token needs no CSRF token
    assert bearer.post("/api/v1/log/notes", json={"text": "y"}).status_code == 201
