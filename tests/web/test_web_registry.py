"""Enterprises, permits and contacts in the console and the API; revealing personal data is audited first."""

from __future__ import annotations

import pytest
from authz_world import CONTACT_NAME, CONTACT_PHONE, ENTERPRISE, World
from sqlalchemy import select
from web_checks import assert_error_shape

from reetrace.domains.registry.service import erase_subject
from reetrace.storage.engine import read_transaction
from reetrace.storage.tables import log_entries
from reetrace.web import registryview

A = ENTERPRISE["group-a"]


def test_enterprise_list_and_page(authz_world: World) -> None:
    client = authz_world.session("alice")
    listing = client.get("/registry/enterprises").text
    assert f'href="/registry/enterprises/{A}"' in listing and ENTERPRISE["group-b"] not in listing
    page = client.get(f"/registry/enterprises/{A}").text
    assert "Inner Mongolia Rare Earth Separation Co." in page and f"P-{A}" in page and "2028-12-31" in page
    assert "compliance officer" in page and 'class="reveal"' in page
    assert CONTACT_NAME["group-a"] not in page and CONTACT_PHONE["group-a"] not in page


def test_who_sees_contacts_and_the_reveal_button(authz_world: World) -> None:
    viewer = authz_world.session("anna").get(f"/registry/enterprises/{A}").text
    assert "You may not read contact persons." in viewer and "compliance officer" not in viewer
    analyst = authz_world.session("adam").get(f"/registry/enterprises/{A}").text
    assert "compliance officer" in analyst and 'class="reveal"' not in analyst
    api = authz_world.bearer("anna").get(f"/api/v1/registry/enterprises/{A}").json()
    assert api["contacts"] is None and api["permits"][0]["permit_id"] == f"P-{A}"


def test_reveal_in_the_console_is_audited(authz_world: World) -> None:
    client = authz_world.session("alice")
    subject = authz_world.contacts["group-a"]
    before = authz_world.size()
    response = client.post(f"/registry/contacts/{subject}/reveal")
    assert response.status_code == 200 and response.headers["cache-control"] == "no-store"
    assert CONTACT_NAME["group-a"] in response.text and CONTACT_PHONE["group-a"] in response.text
    assert "revealed and audited" in response.text
    [event] = authz_world.audit_events(since=before)
    assert event == {"action": "personal_data.read", "user_id": authz_world.user_ids["alice"], "username": "alice",
                     "target": subject, "permission": "personal:data:read", "reason": "fields: name, phone",
                     "ip": "testclient", "method": "POST", "tenant": "group-a"}


def test_reveal_by_api_and_the_clear_values_never_reach_the_log(authz_world: World) -> None:
    subject = authz_world.contacts["group-a"]
    body = authz_world.bearer("reg.officer").post(f"/api/v1/registry/contacts/{subject}/reveal").json()
    assert body == {"subject_id": subject, "enterprise_id": A,
                    "fields": {"name": CONTACT_NAME["group-a"], "phone": CONTACT_PHONE["group-a"]}}
    with read_transaction(authz_world.container.engine) as conn:
        entries = b"".join(bytes(e) for e in conn.execute(select(log_entries.c.entry)).scalars())
    assert CONTACT_NAME["group-a"].encode() not in entries and CONTACT_PHONE["group-a"].encode() not in entries


def test_the_audit_event_is_committed_before_the_vault_is_opened(authz_world: World,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    subject = authz_world.contacts["group-a"]
    client = authz_world.bearer("alice")
    original = registryview.reveal_fields
    seen: list[str] = []

    def checked(request: object, subject_id: str, fields: list[str]) -> dict[str, str]:
        last = authz_world.audit_events(since=authz_world.size() - 1)  # committed: visible from another connection
        assert last and last[0]["action"] == "personal_data.read" and last[0]["target"] == subject_id
        seen.append(subject_id)
        return original(request, subject_id, fields)  # type: ignore[arg-type]

    monkeypatch.setattr(registryview, "reveal_fields", checked)
    assert client.post(f"/api/v1/registry/contacts/{subject}/reveal").status_code == 200
    assert seen == [subject]


def test_reveal_without_the_permission_is_refused_and_audited(authz_world: World) -> None:
    subject = authz_world.contacts["group-a"]
    client = authz_world.session("adam")  # an analyst: sees contacts, may not reveal them
    before = authz_world.size()
    response = client.post(f"/registry/contacts/{subject}/reveal")
    assert response.status_code == 403 and CONTACT_NAME["group-a"] not in response.text
    [event] = authz_world.audit_events(since=before)
    assert (event["action"], event["permission"], event["username"]) == ("access.denied", "personal:data:read", "adam")


def test_an_erased_subject_cannot_be_revealed(fresh_authz_world: World) -> None:
    world = fresh_authz_world
    subject = world.contacts["group-a"]
    with world.container.unit_of_work() as (uow, vault):
        erase_subject(uow, vault, "test", subject, "erasure request")
    client = world.bearer("alice")
    assert_error_shape(client.post(f"/api/v1/registry/contacts/{subject}/reveal"), 410, "subject_erased")
    assert world.audit_events(since=world.size() - 1)[0]["action"] == "personal_data.read"  # the attempt


def test_enterprise_list_api_pages(authz_world: World) -> None:
    client = authz_world.bearer("alice")
    assert client.get("/api/v1/registry/enterprises").json()["total"] == 1
    assert client.get("/api/v1/registry/enterprises", params={"offset": 1}).json() == {"total": 1, "enterprises": []}
