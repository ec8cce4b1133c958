"""Accounts in a real browser: sign in and out, the language choice, a denied page, tenant isolation and its
trace in the audit trail, the audited reveal of a contact, and the admin pages (screenshots in /tmp/rt-*.png)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from browser_site import ENTERPRISES, PASSWORD, Site

pytestmark = pytest.mark.browser
SHOTS = Path("/tmp")
NORTH, SOUTH = ENTERPRISES["group-north"][0], ENTERPRISES["group-south"][0]


def test_sign_in_language_and_sign_out(site: Site, page: Any) -> None:
    page.goto(site.url + "/registry/enterprises")
    page.wait_for_url(re.compile(r"/login\?next=%2Fregistry%2Fenterprises$"))
    page.fill("#username", "north.viewer")
    page.fill("#password", "Wrong-password-9")
    page.click("#sign-in")
    assert page.locator("#login-problem").inner_text() == "Wrong username or password."
    page.screenshot(path=str(SHOTS / "rt-login.png"), full_page=True)
    page.fill("#username", "north.viewer")
    page.fill("#password", PASSWORD)
    page.click("#sign-in")
    page.wait_for_url(re.compile(r"/registry/enterprises$"))
    assert page.locator("#signed-in-as").inner_text() == "Signed in as north.viewer (group-north)"
    assert page.locator("#enterprises tbody tr").count() == 1
    cookie = next(c for c in page.context.cookies() if c["name"] == "rt_session")
    assert cookie["httpOnly"] and cookie["sameSite"] == "Lax"

    page.select_option("#locale", "zh-Hans")
    page.click("#change-language")
    page.wait_for_url(re.compile(r"/registry/enterprises$"))
    assert page.locator("html").get_attribute("lang") == "zh-Hans"
    page.select_option("#locale", "en")
    page.click("#change-language")
    page.wait_for_load_state()
    assert page.locator("html").get_attribute("lang") == "en"

    page.click("#logout")
    page.wait_for_url(re.compile(r"/login$"))
    assert not [c for c in page.context.cookies() if c["name"] == "rt_session"]
    page.goto(site.url + "/")
    page.wait_for_url(re.compile(r"/login\?next=%2F$"))


def test_a_viewer_opening_the_audit_trail_sees_the_denied_page(site: Site, page: Any, sign_in: Any) -> None:
    sign_in("north.viewer")
    assert page.locator("nav.nav >> text=Audit trail").count() == 0
    response = page.goto(site.url + "/audit")
    assert response is not None and response.status == 403
    assert page.locator("h1").inner_text() == "Access denied"
    assert "audit:trail:read" in page.locator("#error-message").inner_text()
    page.screenshot(path=str(SHOTS / "rt-denied.png"), full_page=True)


def test_tenant_isolation_and_its_trace_in_the_audit_trail(site: Site, browser: Any, page: Any,
                                                           sign_in: Any) -> None:
    sign_in("north.admin")
    page.goto(site.url + f"/registry/enterprises/{NORTH}")
    assert page.locator("#enterprise-id").inner_text() == NORTH
    response = page.goto(site.url + f"/registry/enterprises/{SOUTH}")  # typed by hand: another tenant's object
    assert response is not None and response.status == 404
    assert page.locator("h1").inner_text() == "Not found"
    assert ENTERPRISES["group-south"][1] not in page.content()
    page.screenshot(path=str(SHOTS / "rt-not-found.png"), full_page=True)

    authority = browser.new_context(viewport={"width": 1366, "height": 900}, locale="en-GB", timezone_id="UTC")
    try:
        officer = authority.new_page()
        officer.goto(site.url + "/login?next=/audit")
        officer.fill("#username", "officer")
        officer.fill("#password", PASSWORD)
        officer.click("#sign-in")
        officer.wait_for_url(re.compile(r"/audit$"))
        officer.select_option("#action", "access.denied")
        officer.fill("#user", "north.admin")
        officer.click("#audit-filters button")
        officer.wait_for_load_state()
        row = officer.locator("#audit-events tbody tr").first
        assert f"GET /registry/enterprises/{SOUTH}" in row.inner_text()
        assert "not found in scope" in row.inner_text() and "group-north" in row.inner_text()
        officer.screenshot(path=str(SHOTS / "rt-audit.png"), full_page=True)
    finally:
        authority.close()


def test_reveal_a_contact_and_the_admin_pages(site: Site, page: Any, sign_in: Any) -> None:
    sign_in("north.admin")
    page.goto(site.url + f"/registry/enterprises/{NORTH}")
    page.click("button.reveal")
    page.wait_for_load_state()
    assert page.locator("#revealed-name").inner_text() == "Li Na"
    page.screenshot(path=str(SHOTS / "rt-enterprise.png"), full_page=True)

    page.click("nav.nav >> text=Users")
    page.wait_for_url(re.compile(r"/admin/users$"))
    assert page.locator("#users tbody tr").count() == 2
    page.screenshot(path=str(SHOTS / "rt-users.png"), full_page=True)

    page.click("nav.nav >> text=API tokens")
    page.fill("#token-label", "monthly report")
    page.check("input[name=scopes][value='log:entry:read']")
    page.click("#issue-token button[type=submit]")
    page.wait_for_load_state()
    assert page.locator("#new-token").inner_text().startswith("rt_")
    page.screenshot(path=str(SHOTS / "rt-tokens.png"), full_page=True)
