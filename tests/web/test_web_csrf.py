"""CSRF: every form of the console carries the session's token, and a POST without it or with a wrong one is
refused (403) with nothing changed but the audit event of the refusal."""

from __future__ import annotations

import re

import pytest
from authz_world import ENTERPRISE, PASSWORD, World, csrf_of, domain_modules, login_csrf_of
from route_table import CONSOLE, Call, send
from web_checks import assert_error_shape

POSTS = [c for c in CONSOLE if c.method == "POST"]
DOMAIN_POSTS = {c.url for module in domain_modules() for c in module.CONSOLE if c.method == "POST"}
FORM = re.compile(r"<form\b[^>]*>.*?</form>", re.S)


def refused(response: object) -> None:
    assert response.status_code == 403, response.text[:300]  # type: ignore[attr-defined]
    assert "security token is missing or wrong" in response.text  # type: ignore[attr-defined]


@pytest.mark.parametrize("token", [None, "wrong-token"], ids=["missing", "wrong"])
@pytest.mark.parametrize("call", POSTS, ids=[c.url for c in POSTS])
def test_a_form_without_the_right_token_changes_nothing(authz_world: World, call: Call, token: str | None) -> None:
    client = authz_world.session("alice")
    client.headers.pop("X-CSRF-Token")
    form = dict(call.form or {})
    if token:
        form["csrf_token"] = token
    before = authz_world.size()
    refused(client.post(call.url_in(authz_world), data=form, follow_redirects=False))
    [event] = authz_world.audit_events(since=before)
    assert authz_world.size() == before + 1, "the refused form changed the log"
    assert (event["action"], event["username"], event["reason"]) == ("access.denied", "alice",
                                                                     "CSRF token missing or wrong")
    assert client.get("/", follow_redirects=False).status_code == 200  # still signed in (even after /logout)


def test_a_json_post_with_a_session_needs_the_header(authz_world: World) -> None:
    client = authz_world.session("alice")
    client.headers.pop("X-CSRF-Token")
    url = f"/api/v1/registry/contacts/{authz_world.contacts['group-a']}/reveal"
    before = authz_world.size()
    assert_error_shape(client.post(url), 403, "csrf_failed")
    assert_error_shape(client.post(url, data={"csrf_token": "wrong"}), 403, "csrf_failed")
    assert_error_shape(client.delete("/api/v1/tokens/0123456789abcdef"), 403, "csrf_failed")
    assert [e["action"] for e in authz_world.audit_events(since=before)] == ["access.denied"] * 3


def test_login_needs_its_double_submit_token(authz_world: World) -> None:
    client = authz_world.client()
    form = client.get("/login")
    data = {"username": "alice", "password": PASSWORD}
    before = authz_world.size()
    refused(client.post("/login", data=data, follow_redirects=False))
    refused(client.post("/login", data={**data, "csrf_token": "forged"}, follow_redirects=False))
    other = authz_world.client()  # the field from the page, but not the cookie that goes with it
    refused(other.post("/login", data={**data, "csrf_token": login_csrf_of(form.text)}, follow_redirects=False))
    assert "rt_session" not in client.cookies and "rt_session" not in other.cookies
    assert authz_world.size() == before  # anonymous refusals are not logged: anyone could grow the log


def test_every_post_form_on_every_page_carries_the_token(authz_world: World) -> None:
    client = authz_world.session("alice")
    token = client.headers["X-CSRF-Token"]
    pages = ["/", "/log/checkpoints", "/registry/enterprises", f"/registry/enterprises/{ENTERPRISE['group-a']}",
             "/admin/users", "/tokens", "/audit", f"/log/entries/{authz_world.notes['group-a']}"]
    seen = 0
    for url in pages:
        page = client.get(url).text
        assert csrf_of(page) == token
        for form in FORM.findall(page):
            if 'method="post"' in form:
                assert f'name="csrf_token" value="{token}"' in form, (url, form[:200])
                seen += 1
    assert seen >= 10  # logout and language on each page, reveal, roles, disable, add user, issue, revoke


def test_each_form_works_with_the_token_from_its_page(fresh_authz_world: World) -> None:
    """The positive control: the same POSTs, with the page's token, do what they say."""
    world = fresh_authz_world
    client = world.session("alice")
    client.headers.pop("X-CSRF-Token")
    token = csrf_of(client.get("/").text)
    statuses = {}
    for call in POSTS:
        if call.url == "/tokens/{token}/revoke":
            issued = client.post("/tokens", data={"label": "x", "scopes": "log:entry:read", "csrf_token": token})
            token_id = re.search(r'id="token-([0-9a-f]{16})"', issued.text).group(1)  # type: ignore[union-attr]
            call = Call(call.method, f"/tokens/{token_id}/revoke", call.route, call.permission, form={})
        if call.url != "/logout":
            answer = send(client, Call(call.method, call.url, call.route, call.permission,
                                       form={**(call.form or {}), "csrf_token": token}), world)
            if call.url in DOMAIN_POSTS:  # alice may lack the domain's permission; the token must still pass
                assert "security token is missing or wrong" not in answer.text, call.url
                continue
            statuses[call.url] = answer.status_code
    assert statuses == {"/registry/contacts/{contact_a}/reveal": 200, "/admin/users": 303,
                        "/admin/users/{anna}/roles": 303, "/admin/users/{anna}/disable": 303, "/tokens": 201,
                        **{k: 303 for k in statuses if k.startswith("/tokens/") and k.endswith("/revoke")},
                        "/account/locale": 303}
    logout = client.post("/logout", data={"csrf_token": token}, follow_redirects=False)
    assert logout.status_code == 303 and client.get("/", follow_redirects=False).status_code == 303
