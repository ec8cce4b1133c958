"""Technical documents in the console on SQLite and PostgreSQL: the list, registering through the upload form,
issuing a copy as a download, the trace page's ranked table with its honest messages, refusals shown on the form
with nothing written, another tenant's document as a 404, and the pages in Simplified Chinese."""

from __future__ import annotations

import re

import domain_documents as planted
from authz_world import World, csrf_of
from fastapi.testclient import TestClient
from test_web_documents import world  # noqa: F401  (the module's world, on both backends)

from reetrace.authz.service import set_locale
from reetrace.domains.documents.textmarks import channel

C = "/documents"
FORM = re.compile(r"<form\b[^>]*>.*?</form>", re.S)


def session(world: World, username: str) -> TestClient:  # noqa: F811
    client = world.session(username)
    client.headers.pop("X-CSRF-Token")  # forms carry the token from the page, as a browser's would
    return client


def post(client: TestClient, url: str, page_url: str, data: dict[str, str], **extra: object) -> object:
    token = csrf_of(client.get(page_url).text)
    return client.post(url, data={**data, "csrf_token": token}, follow_redirects=False, **extra)  # type: ignore[arg-type]


def test_the_list_and_the_nav_link_follow_the_permission(world: World) -> None:  # noqa: F811
    page = session(world, "doc.officer.a").get(C)
    assert page.status_code == 200 and f'id="document-{world.extra["doc_a"]}"' in page.text
    assert world.extra["doc_b"] not in page.text and 'href="/documents"' in page.text
    assert 'id="new-document"' in page.text and 'id="trace-link"' in page.text
    regulator = session(world, "reg.officer").get(C).text
    assert world.extra["doc_a"] in regulator and 'id="new-document"' not in regulator
    assert 'href="/documents"' not in session(world, "anna").get("/").text


def test_register_issue_and_trace_through_the_forms(world: World) -> None:  # noqa: F811
    client = session(world, "doc.officer.a")
    text = planted.TEXTS.long_spec(2)
    made = post(client, f"{C}/new", f"{C}/new", {"title": "PS-9 规程", "level": "core", "recipients": "anna, adam"},
                files={"file": ("ps9.md", text.encode(), "text/markdown")})
    assert made.status_code == 303, made.text  # type: ignore[attr-defined]
    location = made.headers["location"]  # type: ignore[attr-defined]
    document_id = location.split("/")[2].split("?")[0]
    detail = client.get(location).text
    assert 'id="notice"' in detail and 'id="version-1"' in detail and 'id="no-copies"' in detail
    issued = post(client, f"{C}/{document_id}/copies", location, {"to": "adam", "device": "pc-7", "ip": "10.7.7.7"})
    assert issued.status_code == 200 and "attachment" in issued.headers["content-disposition"]  # type: ignore[attr-defined]
    copy_id = issued.headers["x-copy-id"]  # type: ignore[attr-defined]
    marked = issued.content.decode()  # type: ignore[attr-defined]
    assert f'id="copy-{copy_id}"' in client.get(location).text
    excerpt = channel("\n\n".join(marked.split("\n\n")[1:3]))
    result = post(client, f"{C}/trace", f"{C}/trace", {"text": excerpt}).text  # type: ignore[attr-defined]
    assert 'id="verdict-accused"' in result and 'id="single-leaker"' in result
    first = re.search(r'<tr id="suspect-([^"]+)" class="overdue">', result)
    assert first and first.group(1) == copy_id and "accused" in result
    stranger = post(client, f"{C}/trace", f"{C}/trace",
                    {"text": "今天天气很好，我们去公园散步。The ducks in the pond are hungry again today."})
    assert 'id="verdict-not-ours"' in stranger.text and 'id="suspects"' not in stranger.text  # type: ignore[attr-defined]


def test_refusals_are_shown_on_the_form_and_write_nothing(world: World) -> None:  # noqa: F811
    client = session(world, "doc.officer.a")
    doc_a = world.extra["doc_a"]
    token = csrf_of(client.get(f"{C}/new").text)
    before = world.size()
    bad = client.post(f"{C}/new", data={"title": "x", "level": "secret", "csrf_token": token},
                      files={"file": ("tool.exe", b"MZ", "application/octet-stream")})
    assert bad.status_code == 400 and 'id="form-error"' in bad.text and "unsupported file type" in bad.text
    empty = client.post(f"{C}/new", data={"title": "x", "level": "secret", "csrf_token": token})
    assert empty.status_code == 400 and "choose a file" in empty.text
    refused = client.post(f"{C}/{doc_a}/copies", data={"to": "nora", "device": "pc", "ip": "10.0.0.1",
                                                        "csrf_token": token})
    assert refused.status_code == 403 and "may not receive copies" in refused.text and 'value="nora"' in refused.text
    bad_ip = client.post(f"{C}/{doc_a}/copies", data={"to": "anna", "device": "pc", "ip": "nope", "csrf_token": token})
    assert bad_ip.status_code == 400 and "not an IPv4 or IPv6 address" in bad_ip.text
    nothing = client.post(f"{C}/trace", data={"text": " ", "csrf_token": token})
    assert nothing.status_code == 400 and "nothing to trace" in nothing.text
    assert world.size() == before


def test_another_tenants_document_is_a_404(world: World) -> None:  # noqa: F811
    client = session(world, "doc.officer.b")
    before = world.size()
    assert client.get(f"{C}/{world.extra['doc_a']}").status_code == 404
    assert [a["action"] for a in world.audit_events(before)] == ["access.denied"]
    assert client.get(f"{C}/RT-DOC-x").status_code == 400


def test_pages_in_simplified_chinese(world: World) -> None:  # noqa: F811
    with world.container.unit_of_work() as (uow, _):
        set_locale(uow, "test", world.user_ids["doc.officer.b"], "zh-Hans")
    client = session(world, "doc.officer.b")
    listing = client.get(C).text
    assert "技术文件" in listing and "登记文件" in listing
    detail = client.get(f"{C}/{world.extra['doc_b']}").text
    assert "已发放副本" in detail and "机密" in detail and "签发副本" in detail
    trace = post(client, f"{C}/trace", f"{C}/trace", {"text": "今天天气很好，我们去公园散步，看看湖里的鸭子。"})
    assert "不是本单位的文件" in trace.text  # type: ignore[attr-defined]
    assert "追查泄露" in client.get(f"{C}/trace").text


def test_every_post_form_carries_the_csrf_token(world: World) -> None:  # noqa: F811
    client = session(world, "doc.officer.a")
    page = client.get(f"{C}/{world.extra['doc_a']}").text
    token = csrf_of(page)
    forms = FORM.findall(page) + FORM.findall(client.get(f"{C}/new").text) + FORM.findall(client.get(f"{C}/trace").text)
    posts = [f for f in forms if 'method="post"' in f]
    assert len(posts) >= 4 and all(f'name="csrf_token" value="{token}"' in f for f in posts)
