"""The audit trail: denied requests and reads of personal data, of the tenants one may see, filtered and paged."""

from __future__ import annotations

import re

import pytest
from authz_world import World
from web_checks import assert_error_shape

from reetrace.web.console import audit_pages


def rows(page: str) -> list[str]:
    body = page.split('id="audit-events"', 1)[1].split("</table>", 1)[0] if 'id="audit-events"' in page else ""
    return re.findall(r"<tr class=\"audit-[^\"]+\">.*?</tr>", body, re.S)


def test_the_trail_shows_denied_requests(fresh_authz_world: World) -> None:
    world = fresh_authz_world
    anna = world.session("anna")
    assert anna.get("/audit").status_code == 403  # a viewer: denied, and that is on the trail
    page = world.session("alice").get("/audit").text
    [denied] = [r for r in rows(page) if "anna" in r]
    assert "access.denied" in denied and "GET /audit" in denied and "audit:trail:read" in denied
    assert "missing permission" in denied and "testclient" in denied


def test_each_sees_the_trail_of_their_visible_tenants(fresh_authz_world: World) -> None:
    world = fresh_authz_world
    world.session("anna").get("/audit")  # group-a
    world.session("bella").get("/audit")  # group-b
    world.session("reg.officer").get("/admin/users")  # regulator
    seen = {}
    for username in ("alice", "bob", "reg.officer"):
        events = world.bearer(username).get("/api/v1/audit").json()["events"]
        seen[username] = {e["username"] for e in events}
    assert seen["alice"] == {"anna"}
    assert seen["bob"] == {"bella"}
    assert seen["reg.officer"] == {"anna", "reg.officer"}  # its own tenant and the supervised group-a


def test_filters_and_pages(fresh_authz_world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    world = fresh_authz_world
    anna, adam = world.session("anna"), world.session("adam")
    for _ in range(26):
        anna.get("/audit")
    for _ in range(12):
        adam.get("/audit")
    world.bearer("alice").post(f"/api/v1/registry/contacts/{world.contacts['group-a']}/reveal")
    client = world.bearer("alice")
    first = client.get("/api/v1/audit", params={"limit": 15}).json()
    assert len(first["events"]) == 15 and first["events"][0]["action"] == "personal_data.read"
    indices = [e["index"] for e in first["events"]]
    assert indices == sorted(indices, reverse=True)
    second = client.get("/api/v1/audit", params={"limit": 15, "before": first["next_before"]}).json()
    third = client.get("/api/v1/audit", params={"limit": 15, "before": second["next_before"]}).json()
    assert len(second["events"]) == 15 and len(third["events"]) == 9 and third["next_before"] is None
    assert max(e["index"] for e in second["events"]) < min(indices)
    only_adam = client.get("/api/v1/audit", params={"user": "adam", "limit": 200}).json()["events"]
    assert len(only_adam) == 12 and {e["username"] for e in only_adam} == {"adam"}
    by_id = client.get("/api/v1/audit", params={"user": world.user_ids["adam"], "limit": 200}).json()["events"]
    assert by_id == only_adam
    reads = client.get("/api/v1/audit", params={"action": "personal_data.read"}).json()["events"]
    assert [e["username"] for e in reads] == ["alice"]

    page = world.session("alice").get("/audit", params={"action": "access.denied", "user": "adam"}).text
    assert len(rows(page)) == 12 and 'id="older"' not in page
    page = world.session("alice").get("/audit").text
    assert len(rows(page)) == 39 and 'id="older"' not in page
    monkeypatch.setattr(audit_pages, "PAGE", 20)
    page = world.session("alice").get("/audit").text
    assert len(rows(page)) == 20 and 'id="older"' in page
    older = re.search(r'id="older" href="([^"]+)"', page).group(1).replace("&amp;", "&")  # type: ignore[union-attr]
    assert len(rows(world.session("alice").get(older).text)) == 19


def test_bad_filters(authz_world: World) -> None:
    client = authz_world.bearer("alice")
    assert_error_shape(client.get("/api/v1/audit", params={"action": "nothing"}), 400, "invalid_request")
    assert authz_world.session("alice").get("/audit", params={"action": "nothing"}).status_code == 400
