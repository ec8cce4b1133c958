"""The travel and passport pages of the console: queue with "awaiting me", the submission form with errors next to
the fields, the request page with the approval chain and its forms, the passports, and both languages."""

from __future__ import annotations

import re
from datetime import timedelta

import domain_travel as planted
import pytest
from authz_world import World, csrf_of
from fastapi.testclient import TestClient

from reetrace.authz.service import set_locale
from reetrace.web.travelview import today

FORM = re.compile(r"<form\b[^>]*>.*?</form>", re.S)


@pytest.fixture(scope="module")
def world(authz_world: World) -> World:
    with authz_world.container.unit_of_work() as (uow, _):
        set_locale(uow, "test", authz_world.user_ids["trv.officer.a2"], "zh-Hans")
    return authz_world


def session(world: World, username: str) -> TestClient:
    client = world.session(username)
    client.headers.pop("X-CSRF-Token")  # forms carry the token from the page, as a browser's would
    return client


def post(client: TestClient, url: str, page_url: str, data: dict[str, str]) -> object:
    token = csrf_of(client.get(page_url).text)
    return client.post(url, data={**data, "csrf_token": token}, follow_redirects=False)


def test_the_queue_and_awaiting_me(world: World) -> None:
    officer, group = session(world, "trv.officer.a"), session(world, "trv.group.a")
    rid = world.extra["trv_travel_a"]
    page = officer.get("/personnel/travel").text
    assert f'id="request-{rid}"' in page and "HK (tier 2)" in page and 'href="/personnel/travel/new"' in page
    row = page.split(f'id="request-{rid}"')[1].split("</tr>")[0]
    assert "enterprise level" in row and "personnel:travel:approve" in row and "you may act" in row
    assert f'id="request-{rid}"' in officer.get("/personnel/travel?awaiting=true").text
    assert f'id="request-{rid}"' not in group.get("/personnel/travel?awaiting=true").text
    assert f'id="request-{world.extra["trv_travel_b"]}"' not in page
    assert 'href="/personnel/travel"' in page and 'href="/personnel/passports"' in page  # the nav links
    viewer = world.session("anna").get("/").text
    assert 'href="/personnel/travel"' not in viewer and 'href="/personnel/passports"' not in viewer


def test_the_submission_form_shows_errors_next_to_the_fields(world: World) -> None:
    client = session(world, "trv.officer.a")
    form = client.get(f"/personnel/travel/new?person={world.extra['trv_person_a']}").text
    assert form.count('name="contact_name"') == 3 and form.count('name="tie_relation"') == 3
    start = today() + timedelta(days=12)
    data = {"person_id": world.extra["trv_person_a"], "destinations": "HK XX", "depart_on": str(start),
            "return_on": str(start - timedelta(days=2)), "purpose": "business",
            "contact_name": "Jane Roe", "contact_organisation": "Acme", "contact_country": "", "contact_relation": "",
            "tie_relation": "", "tie_country": "", "tie_kind": "residence", "tie_name": ""}
    before = world.size()
    bad = post(client, "/personnel/travel/new", "/personnel/travel/new", data)
    assert bad.status_code == 400  # type: ignore[attr-defined]
    text = bad.text  # type: ignore[attr-defined]
    assert 'id="error-destinations"' in text and "XX" in text.split('id="error-destinations"')[1][:200]
    assert 'id="error-return_on"' in text and 'value="Jane Roe"' in text
    assert world.size() == before
    missing = post(client, "/personnel/travel/new", "/personnel/travel/new", {**data, "depart_on": ""})
    assert missing.status_code == 400 and 'id="error-depart_on"' in missing.text  # type: ignore[attr-defined]
    good = post(client, "/personnel/travel/new", "/personnel/travel/new",
                {**data, "destinations": "HK", "return_on": str(start + timedelta(days=3)),
                 "tie_relation": "brother", "tie_country": "AU"})
    assert good.status_code == 303  # type: ignore[attr-defined]
    location = good.headers["location"]  # type: ignore[attr-defined]
    assert re.fullmatch(r"/personnel/travel/travel-[0-9a-f]{32}\?notice=submitted", location)
    page = client.get(location).text
    assert 'id="notice"' in page and "tier2" in page and 'id="act-form"' in page


def test_approve_refuse_and_reveal_on_the_request_page(world: World) -> None:
    rid = planted.plant_request(world, world.extra["trv_person_a"])
    url = f"/personnel/travel/{rid}"
    officer, group = session(world, "trv.officer.a"), session(world, "trv.group.a")
    assert 'id="act-form"' not in group.get(url).text  # the group is not next
    assert post(officer, f"{url}/approve", url, {"decision": "approve"}).status_code == 303  # type: ignore[attr-defined]
    page = group.get(url).text
    assert 'id="step-1"' in page and "trv.officer.a" in page.split('id="step-1"')[1].split("</tr>")[0]
    assert f'action="{url}/endorse"' in page
    no_reason = post(group, f"{url}/endorse", url, {"decision": "refuse", "reason": " "})
    assert no_reason.status_code == 400 and 'id="act-error"' in no_reason.text  # type: ignore[attr-defined]
    refused = post(group, f"{url}/endorse", url, {"decision": "refuse", "reason": "the forum is cancelled"})
    assert refused.status_code == 303  # type: ignore[attr-defined]
    page = group.get(url).text
    assert "the forum is cancelled" in page and 'id="act-form"' not in page
    revealed = post(officer, f"{url}/declarations", url, {})
    assert revealed.status_code == 200 and "Jane Roe" in revealed.text  # type: ignore[attr-defined]
    assert revealed.headers["cache-control"] == "no-store"  # type: ignore[attr-defined]


def test_the_debrief_form_after_the_return(world: World) -> None:
    rid = planted.plant_past_trip(world, "group-a", world.extra["trv_person_a"])
    url = f"/personnel/travel/{rid}"
    client = session(world, "trv.officer.a")
    assert 'id="debrief-form"' in client.get(url).text
    bad = post(client, f"{url}/debrief", url, {"actual_destinations": "HK", "actual_return_on": "2001-01-01"})
    assert bad.status_code == 400 and 'id="error-actual_return_on"' in bad.text  # type: ignore[attr-defined]
    done = post(client, f"{url}/debrief", url, {"actual_destinations": "HK", "actual_return_on": str(today()),
                                                "notes": "all as planned"})
    assert done.status_code == 303  # type: ignore[attr-defined]
    page = client.get(url).text
    assert 'id="actual-destinations"' in page and "all as planned" in page and 'id="debrief-form"' not in page


def test_passport_pages(world: World) -> None:
    client = session(world, "trv.officer.a")
    person = planted.add_person(world, "group-a")
    listing = client.get("/personnel/passports").text
    assert f'id="document-{world.extra["trv_doc_a"]}"' in listing
    assert f'id="document-{world.extra["trv_doc_b"]}"' not in listing
    bad = post(client, "/personnel/passports", "/personnel/passports",
               {"person_id": person, "doc_type": "passport", "number": "E1", "expires_on": "2033-01-01"})
    assert bad.status_code == 400 and 'id="error-number"' in bad.text  # type: ignore[attr-defined]
    made = post(client, "/personnel/passports", "/personnel/passports",
                {"person_id": person, "doc_type": "passport", "number": "G77776666", "expires_on": "2033-01-01"})
    assert made.status_code == 303  # type: ignore[attr-defined]
    url = made.headers["location"].split("?")[0]  # type: ignore[attr-defined]
    rid = planted.plant_request(world, person, destinations=("JP",))
    for username, route in (("trv.officer.a", "approve"), ("trv.group.a", "endorse")):
        assert post(session(world, username), f"/personnel/travel/{rid}/{route}", f"/personnel/travel/{rid}",
                    {"decision": "approve"}).status_code == 303  # type: ignore[attr-defined]
    page = client.get(url).text
    assert f'<option value="{rid}">' in page
    assert post(client, f"{url}/check-out", url, {"request_id": rid}).status_code == 303  # type: ignore[attr-defined]
    page = client.get(url).text
    assert 'id="check-in-form"' in page and "handed out" in page
    assert post(client, f"{url}/check-in", url, {}).status_code == 303  # type: ignore[attr-defined]
    assert "returned" in client.get(url).text
    shown = post(client, f"{url}/reveal", url, {})
    assert 'id="revealed-number">G77776666<' in shown.text  # type: ignore[attr-defined]
    forms = FORM.findall(client.get(url).text) + FORM.findall(listing)
    token = csrf_of(listing)
    assert all(f'name="csrf_token" value="{token}"' in f for f in forms if 'method="post"' in f)


def test_the_travel_pages_in_chinese(world: World) -> None:
    client = session(world, "trv.officer.a2")
    queue = client.get("/personnel/travel")
    assert queue.headers["content-language"] == "zh-Hans"
    assert "出行申请" in queue.text and "待我审批" in queue.text and "企业级" in queue.text
    detail = client.get(f"/personnel/travel/{world.extra['trv_travel_a']}").text
    assert "审批链" in detail and "政策" in detail and "批准" in detail and "拒绝" in detail
    assert "Approval chain" not in detail and "Travel requests" not in queue.text
    passports = client.get("/personnel/passports").text
    assert "保管中的护照" in passports and "存放证件" in passports


@pytest.mark.parametrize("url", ["/personnel/travel/{trv_travel_a}", "/personnel/passports/{trv_doc_a}"])
def test_group_b_gets_an_audited_404_page_and_the_regulator_sees_group_a(world: World, url: str) -> None:
    target = url.format(**world.extra)
    other = world.session("trv.officer.b")
    before = world.size()
    response = other.get(target)
    assert response.status_code == 404 and "Not found" in response.text
    [event] = world.audit_events(since=before)
    assert (event["action"], event["username"], event["reason"]) == ("access.denied", "trv.officer.b",
                                                                     "not found in scope")
    if "travel" in url:
        page = world.session("reg.officer").get(target)
        assert page.status_code == 200 and 'id="act-form"' not in page.text  # the enterprise level is next
