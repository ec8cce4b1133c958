"""The export pages of the console: the classification form and its explanation, the reviewer queue ordered by the
SLA clock (overdue in red), the application form with certificate files and errors next to the fields, one
application with the screening hit side by side with the listed record, the review, answer and shipment forms,
another tenant's application as a 404, and the pages in Chinese."""

from __future__ import annotations

import re
from datetime import timedelta

import domain_export as planted
import pytest
from authz_world import World, csrf_of
from fastapi.testclient import TestClient

from reetrace.authz.service import set_locale
from reetrace.domains.licensing.applications import submit_application
from reetrace.web.exportview import today

APPS = "/export/applications"
FORM = re.compile(r"<form\b[^>]*>.*?</form>", re.S)


@pytest.fixture(scope="module")
def world(authz_world: World) -> World:
    with authz_world.container.unit_of_work() as (uow, _):
        set_locale(uow, "test", authz_world.user_ids["exp.officer.b"], "zh-Hans")
    return authz_world


def session(world: World, username: str) -> TestClient:
    client = world.session(username)
    client.headers.pop("X-CSRF-Token")  # forms carry the token from the page, as a browser's would
    return client


def post(client: TestClient, url: str, page_url: str, data: dict[str, str], **extra: object) -> object:
    token = csrf_of(client.get(page_url).text)
    return client.post(url, data={**data, "csrf_token": token}, follow_redirects=False, **extra)  # type: ignore[arg-type]


def overdue_application(world: World) -> str:
    """An application submitted 100 days ago: past its 45 working days."""
    form = planted._domain_form(planted.application("group-a", contract_id="C-OLD"))
    with world.container.unit_of_work() as (uow, _):
        return submit_application(uow, planted.acting(world, "exp.officer.a", "group-a", "group", planted.SUBMIT),
                                  form, today=today() - timedelta(days=100))


def test_the_classification_form_explains_its_verdict(world: World) -> None:
    client = session(world, "exp.officer.a")
    page = client.get("/export/classify").text
    assert 'id="classify-form"' in page and 'name="composition"' in page
    answer = post(client, "/export/classify", "/export/classify",
                  {"description": "terbium metal", "form": "metal", "composition": "Tb=99.9", "hs_code": "280530",
                   "as_of": "2026-09-01"})
    assert answer.status_code == 200  # type: ignore[attr-defined]
    text = answer.text  # type: ignore[attr-defined]
    assert 'id="verdict"' in text and "Controlled as of 2026-09-01" in text
    assert "No. 18" in text and 'id="steps"' in text and 'id="rules"' in text
    bad = post(client, "/export/classify", "/export/classify", {"form": "oxide", "composition": "Dy=80, Tb=40"})
    assert bad.status_code == 400 and 'id="error-composition"' in bad.text and "100 %" in bad.text  # type: ignore[attr-defined]
    worse = post(client, "/export/classify", "/export/classify", {"form": "oxide", "composition": "Dy eighty"})
    assert worse.status_code == 400 and "symbol=percent" in worse.text  # type: ignore[attr-defined]


def test_the_queue_is_ordered_by_sla_with_overdue_in_red(world: World) -> None:
    old = overdue_application(world)
    page = session(world, "reg.officer").get(APPS).text
    ids = re.findall(r'id="application-(LA-[0-9A-F]{16})"', page)
    assert ids[0] == old and world.extra["exp_app_a"] in ids and world.extra["exp_app_b"] not in ids
    row = page.split(f'id="application-{old}"')[1].split("</tr>")[0]
    assert 'class="badge bad"' in row and "overdue by" in row
    flagged = session(world, "reg.officer").get(f"{APPS}?flagged=true").text
    assert world.extra["exp_flagged_a"] in flagged and world.extra["exp_app_a"] not in flagged
    assert 'href="/export/applications"' in page  # the nav link
    assert 'href="/export/applications"' not in world.session("anna").get("/").text


def test_submitting_with_certificate_files_and_errors_next_to_the_fields(world: World) -> None:
    client = session(world, "exp.officer.a")
    fields = {"exporter_id": planted.ENTERPRISE["group-a"], "contract_id": "C-WEB-1", "description": "yttrium oxide",
              "form": "oxide", "composition": "Y=78", "hs_code": "284690", "quantity": "1", "unit": "t",
              "value": "90000", "currency": "USD", "consignee_name": "Turin Wind Generators S.p.A.",
              "consignee_country": "IT", "end_user_name": "Turin Wind Generators S.p.A.", "end_user_country": "IT",
              "end_use": "generators of wind turbines", "product": "wind turbines", "final_destination": "IT",
              "no_retransfer_undertaking": "yes"}
    before = world.size()
    missing = post(client, f"{APPS}/new", f"{APPS}/new", {**fields, "final_destination": "XX"},
                   files={"end_user_certificate": ("euc.pdf", b"%PDF euc", "application/pdf")})
    assert missing.status_code == 400  # type: ignore[attr-defined]
    text = missing.text  # type: ignore[attr-defined]
    assert 'id="error-final_destination"' in text and 'id="error-certificates"' in text and "end-use" in text
    assert 'value="C-WEB-1"' in text and world.size() == before  # kept in the form; nothing stored
    files = {"end_user_certificate": ("euc.pdf", b"%PDF euc", "application/pdf"),
             "end_use_certificate": ("use.pdf", b"%PDF end use", "application/pdf")}
    made = post(client, f"{APPS}/new", f"{APPS}/new", fields, files=files)
    assert made.status_code == 303  # type: ignore[attr-defined]
    location = made.headers["location"]  # type: ignore[attr-defined]
    assert location.startswith(f"{APPS}/LA-") and location.endswith("?notice=submitted")
    page = client.get(location).text
    assert 'id="notice"' in page and "euc.pdf" in page and "use.pdf" in page and "1000 kg" in page


def test_the_hit_is_shown_side_by_side_with_the_listed_record(world: World) -> None:
    page = session(world, "reg.officer").get(f"{APPS}/{world.extra['exp_flagged_a']}").text
    assert 'id="flags"' in page and "Listed party" in page
    hit = page.split('id="hit-end_user-1"')[1].split('id="review"')[0]
    application, record = hit.split("listed-record", 1)
    assert planted.LISTED_ZH in application and "han" in application
    assert planted.LISTED_LATIN in record and planted.LISTED_ZH in record and "cn_mofcom_control" in record
    assert "List of Export Controls" in record
    assert 'id="classification"' in page and 'id="review-form"' in page  # the regulator may review


def test_review_answer_approve_and_ship_through_the_forms(world: World) -> None:
    rid = planted.plant_application(world, "group-a", contract_id="C-WEB-2")
    url = f"{APPS}/{rid}"
    reviewer, exporter = session(world, "reg.officer"), session(world, "exp.officer.a")
    empty = post(reviewer, f"{url}/review", url, {"action": "deny", "reason": ""})
    assert empty.status_code == 400 and 'id="review-error"' in empty.text  # type: ignore[attr-defined]
    asked = post(reviewer, f"{url}/review", url, {"action": "rfi", "reason": "send the production plan"})
    assert asked.status_code == 303  # type: ignore[attr-defined]
    page = exporter.get(url).text
    assert 'id="answer-form"' in page and "review-form" not in page and "paused" in page
    early = post(reviewer, f"{url}/review", url, {"action": "approve", "reason": "ok"})
    assert early.status_code == 409 and "waits for an answer" in early.text  # type: ignore[attr-defined]
    answered = post(exporter, f"{url}/respond", url, {"answer": "attached"},
                    files={"end_use_certificate": ("plan.pdf", b"%PDF plan", "application/pdf")})
    assert answered.headers["location"].endswith("notice=answered")  # type: ignore[attr-defined]
    approved = post(reviewer, f"{url}/review", url, {"action": "approve", "reason": "verified",
                                                     "licence_kind": "general"})
    assert approved.status_code == 303  # type: ignore[attr-defined]
    page = exporter.get(url).text
    assert 'id="licence"' in page and 'id="ship-form"' in page and "general" in page
    licence_id = re.search(r'id="licence">\s*<h2>[^<]*<code>(LIC-[0-9A-F]{16})', page).group(1)  # type: ignore[union-attr]
    shipped = post(exporter, f"/export/licences/{licence_id}/shipments", url, {"quantity": "0.2", "unit": "t"})
    assert shipped.headers["location"].endswith("notice=shipped")  # type: ignore[attr-defined]
    refused = post(exporter, f"/export/licences/{licence_id}/shipments", url, {"quantity": "400"})
    assert refused.headers["location"].endswith("notice=refused")  # type: ignore[attr-defined]
    page = exporter.get(url).text
    assert 'id="drawn">200' in page and 'id="remaining">300' in page and "refused" in page
    bad = post(exporter, f"/export/licences/{licence_id}/shipments", url, {"quantity": "lots"})
    assert bad.status_code == 400 and 'id="ship-error"' in bad.text  # type: ignore[attr-defined]


def test_another_tenants_application_is_a_404_page(world: World) -> None:
    response = session(world, "exp.officer.b").get(f"{APPS}/{world.extra['exp_app_a']}")
    assert response.status_code == 404 and planted.LISTED_LATIN not in response.text


def test_every_post_form_carries_the_csrf_token(world: World) -> None:
    client = session(world, "reg.officer")
    page = client.get(f"{APPS}/{world.extra['exp_app_a']}").text
    token = csrf_of(page)
    forms = [f for f in FORM.findall(page) if 'method="post"' in f]
    assert forms and all(f'name="csrf_token" value="{token}"' in f for f in forms)


def test_the_pages_in_chinese(world: World) -> None:
    client = session(world, "exp.officer.b")
    queue = client.get(APPS).text
    assert "出口许可申请" in queue and world.extra["exp_app_b"] in queue
    detail = client.get(f"{APPS}/{world.extra['exp_app_b']}").text
    assert "管制物项分类" in detail or "提交日的分类" in detail
    assert "当事方筛查" in detail and "受管制" in detail
    classify = client.get("/export/classify").text
    assert "物项分类" in classify and "成分" in classify
    new = client.get(f"{APPS}/new").text
    assert "最终用户证明" in new and "不转让" in new
