"""Technical documents through the API on SQLite and PostgreSQL: register (multipart), versions, copies issued as
marked downloads, a pasted excerpt traced to its recipient, copy access events read by the personnel insider
signals, tenant isolation (group-b cannot see group-a's documents: an audited 404) and bad input on every route."""

from __future__ import annotations

import io
import json
import zipfile
from typing import Any

import domain_documents as planted
import numpy as np
import pytest
from authz_world import World
from fastapi.testclient import TestClient
from sqlalchemy import select
from web_checks import assert_error_shape

from reetrace.authz.permissions import permissions_of
from reetrace.domains.documents.textmarks import channel
from reetrace.storage.engine import read_transaction
from reetrace.storage.tables import log_entries

D = "/api/v1/documents"
TEXTS = planted.TEXTS
ROLES = {"reg.officer": ["supervisor"], "anna": ["viewer"]}


@pytest.fixture
def world(backend_world: World) -> World:
    """The authz world with the domain modules' objects, on SQLite and on PostgreSQL (tests/web/conftest.py)."""
    return backend_world


def api(world: World, username: str) -> TestClient:
    """A client with an API token holding all of the user's permissions."""
    roles = planted.USERS[username][1] if username in planted.USERS else ROLES[username]
    return world.bearer(username, sorted(permissions_of(roles)))


def register(client: TestClient, text: str, name: str = "spec.md", recipients: str = "anna,adam",
             level: str = "secret") -> Any:
    return client.post(D, files={"file": (name, text.encode(), "text/markdown")},
                       data={"title": "萃取工艺规程 PS-7", "level": level, "recipients": recipients})


def logged(world: World, kind: str, since: int = 0) -> list[dict[str, Any]]:
    with read_transaction(world.container.engine) as conn:
        rows = conn.execute(select(log_entries.c.entry).where(log_entries.c.kind == kind,
                                                              log_entries.c.idx >= since)
                            .order_by(log_entries.c.idx)).all()
    return [json.loads(bytes(r.entry)) for r in rows]


def test_register_issue_to_two_and_trace_a_pasted_excerpt_to_its_recipient(world: World) -> None:
    officer = api(world, "doc.officer.a")
    made = register(officer, planted.BILINGUAL)
    assert made.status_code == 201, made.text
    doc = made.json()
    assert doc["document_id"].startswith("RT-DOC-") and doc["version"] == 1 and doc["sites"] > 100
    assert doc["href"] == f"{D}/{doc['document_id']}"
    copies = {}
    for n, who in enumerate(("anna", "adam")):
        issued = officer.post(f"{doc['href']}/copies", json={"to": who, "device": f"pc-{n}", "ip": f"10.0.0.{n + 1}"})
        assert issued.status_code == 201, issued.text
        assert issued.headers["content-disposition"].startswith(f'attachment; filename="{doc["document_id"]}-v1-')
        copies[who] = (issued.headers["x-copy-id"], issued.content.decode("utf-8"))
    assert copies["anna"][1] != copies["adam"][1]
    detail = officer.get(doc["href"]).json()
    assert detail["document"]["copies"] == 2 and detail["recipients"] == ["anna", "adam"]
    assert [(c["copy_id"], c["recipient"], c["device"], c["ip"]) for c in detail["copies"]] == [
        (copies["anna"][0], "anna", "pc-0", "10.0.0.1"), (copies["adam"][0], "adam", "pc-1", "10.0.0.2")]
    assert detail["versions"][0]["sha256"] == doc["sha256"] and detail["copies"][0]["issued_at"]
    excerpt = "\n\n".join(copies["anna"][1].split("\n\n")[1:3])  # two paragraphs of the Chinese part
    result = officer.post(f"{D}/trace", data={"text": channel(excerpt)}).json()
    assert (result["verdict"], result["document_id"], result["version"]) == ("accused", doc["document_id"], 1)
    assert result["single_leaker"] and "single leaker" in result["note"]
    first = result["suspects"][0]
    assert (first["copy_id"], first["recipient"], first["device"], first["ip"], first["accused"]) == (
        copies["anna"][0], "anna", "pc-0", "10.0.0.1", True)
    assert first["false_accusation_bound"] < 1e-6 and first["issued_at"]
    assert [s["copy_id"] for s in result["suspects"] if s["accused"]] == [copies["anna"][0]]
    assert logged(world, "documents.leak.traced", result["entry_idx"])[0]["body"]["accused"] == [copies["anna"][0]]
    listed = officer.get(D).json()["documents"]
    assert doc["document_id"] in [d["document_id"] for d in listed]


def test_a_file_upload_is_traced_and_a_stranger_text_is_not_ours(world: World) -> None:
    officer = api(world, "doc.officer.a")
    copy = officer.post(f"{D}/{world.extra['doc_a']}/copies", json={"to": "adam", "device": "pc", "ip": "10.1.1.1"})
    leaked = "\n\n".join(copy.content.decode().split("\n\n")[:3])
    result = officer.post(f"{D}/trace", files={"file": ("leak.txt", leaked.encode(), "text/plain")}).json()
    assert (result["document_id"], result["suspects"][0]["copy_id"]) == (world.extra["doc_a"],
                                                                         copy.headers["x-copy-id"])
    stranger = officer.post(f"{D}/trace", data={"text": "天气晴朗，我们去公园散步吧。The weather is fine today, "
                                                        "so we walk to the park and feed the ducks there."}).json()
    assert stranger["verdict"] == "not_ours" and stranger["document_id"] is None and stranger["suspects"] == []


def test_a_new_version_and_a_copy_of_an_older_one(world: World) -> None:
    officer = api(world, "doc.officer.a")
    made = register(officer, TEXTS.long_spec(1), "v1.md").json()
    again = officer.post(f"{made['href']}/versions",
                         files={"file": ("v2.md", (TEXTS.long_spec(1) + "\n附录A。\n").encode(), "text/markdown")})
    assert again.status_code == 201 and again.json()["version"] == 2
    old = officer.post(f"{made['href']}/copies", json={"to": "anna", "device": "pc", "ip": "10.0.0.9", "version": 1})
    assert old.status_code == 201 and f"-v1-{old.headers['x-copy-id']}.md" in old.headers["content-disposition"]
    detail = officer.get(made["href"]).json()
    assert [v["version"] for v in detail["versions"]] == [1, 2] and detail["document"]["versions"] == 2
    assert detail["copies"][0]["version"] == 1


def test_copy_access_events_reach_the_personnel_signals_log(world: World) -> None:
    copy_id = world.extra["copy_a"]
    before = world.size()
    for action in ("open", "download", "print"):
        done = api(world, "doc.officer.a").post(f"{D}/copies/{copy_id}/access",
                                                json={"action": action, "device": "desk-1", "ip": "10.9.8.7"})
        assert done.status_code == 201, done.text
        assert done.json()["recipient"] == "doc.officer.a" and done.json()["action"] == action
    events = logged(world, "documents.copy.opened", before)
    assert [e["body"]["action"] for e in events] == ["open", "download", "print"]
    assert events[0]["subjects"] == [copy_id, world.extra["doc_a"], "doc.officer.a"]
    no_ip = api(world, "reg.officer").post(f"{D}/copies/{copy_id}/access", json={"action": "open"})
    assert no_ip.status_code == 201  # the regulator supervises group-a
    assert logged(world, "documents.copy.opened", before)[-1]["actor"] == "reg.officer"


def test_group_b_cannot_see_group_a_documents_and_misses_are_audited(world: World) -> None:
    bob_side = api(world, "doc.officer.b")
    listed = [d["document_id"] for d in bob_side.get(D).json()["documents"]]
    assert world.extra["doc_b"] in listed and world.extra["doc_a"] not in listed
    doc_a, copy_a = world.extra["doc_a"], world.extra["copy_a"]
    for method, url, body in [("GET", f"{D}/{doc_a}", None),
                              ("POST", f"{D}/{doc_a}/copies", {"to": "bella", "device": "pc", "ip": "10.0.0.1"}),
                              ("POST", f"{D}/copies/{copy_a}/access", {"action": "open"})]:
        before = world.size()
        assert_error_shape(bob_side.request(method, url, json=body), 404, "not_found")
        audit = world.audit_events(before)
        assert [(a["action"], a["reason"], a["username"]) for a in audit] == [
            ("access.denied", "not found in scope", "doc.officer.b")]
        assert world.size() == before + 1
    versions = bob_side.post(f"{D}/{doc_a}/versions", files={"file": ("x.md", b"new text here", "text/markdown")})
    assert_error_shape(versions, 404, "not_found")
    excerpt = "\n\n".join(TEXTS.EN_TEXT.split("\n\n")[:2])
    assert api(world, "doc.officer.a").post(f"{D}/trace", data={"text": excerpt}).json()["document_id"] == doc_a
    regulator = api(world, "reg.officer")
    assert regulator.get(f"{D}/{doc_a}").status_code == 200
    assert_error_shape(regulator.get(f"{D}/{world.extra['doc_b']}"), 404, "not_found")
    assert_error_shape(api(world, "anna").get(D), 403, "forbidden")


def _docx(body: bytes) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("word/other.xml", body)
    return out.getvalue()


def _encrypted_pdf() -> bytes:
    from pypdf import PdfWriter

    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    writer.encrypt(user_password="", owner_password="owner")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


@pytest.mark.parametrize(("name", "data", "code"), [
    ("tool.exe", b"MZ\x90\x00", "unsupported_document"),
    ("spec.docx", b"not a zip at all", "bad_document"),
    ("spec.docx", _docx(b"<x/>"), "bad_document"),
    ("scan.pdf", b"GIF89a", "bad_document"),
    ("locked.pdf", "ENCRYPTED", "encrypted_document"),
    ("empty.md", b"", "bad_document"),
    ("latin1.txt", "Temperatur 35 °C".encode("latin-1"), "bad_document"),
], ids=["unsupported", "corrupt-docx", "docx-without-body", "mislabelled-pdf", "encrypted-pdf", "empty", "not-utf8"])
def test_unsupported_or_corrupt_files_are_refused_and_nothing_is_written(world: World, name: str,
                                                                         data: bytes | str, code: str) -> None:
    if data == "ENCRYPTED":
        data = _encrypted_pdf()
    officer = api(world, "doc.officer.a")
    before = world.size()
    refused = officer.post(D, files={"file": (name, data, "application/octet-stream")},
                                               data={"title": "x", "level": "secret"})
    body = assert_error_shape(refused, 400, code)
    assert body["errors"] and world.size() == before


def test_bad_registrations_copies_and_traces_are_clear_and_write_nothing(world: World) -> None:
    officer = api(world, "doc.officer.a")
    doc_a = world.extra["doc_a"]
    before = world.size()
    duplicate = register(officer, TEXTS.EN_TEXT + "\nGroup A.\n")
    assert assert_error_shape(duplicate, 409, "duplicate")["error"].endswith(f"{doc_a} version 1")
    body = assert_error_shape(register(officer, "Some fresh text for a document.", recipients="ghost"), 400,
                              "bad_recipient")
    assert body["errors"][0]["location"] == "recipients[0]"
    assert_error_shape(register(officer, "Another fresh text.", level="top"), 400, "invalid_request")
    copies = f"{D}/{doc_a}/copies"
    refused = officer.post(copies, json={"to": "nora", "device": "pc", "ip": "10.0.0.1"})  # group-a, not listed
    assert "may not receive copies" in assert_error_shape(refused, 403, "not_a_recipient")["error"]
    other = officer.post(copies, json={"to": "bob", "device": "pc", "ip": "10.0.0.1"})  # another organisation's user
    assert_error_shape(other, 400, "bad_recipient")
    assert_error_shape(officer.post(copies, json={"to": "ghost", "device": "pc", "ip": "10.0.0.1"}), 400,
                       "bad_recipient")
    bad_ip = assert_error_shape(officer.post(copies, json={"to": "anna", "device": "pc", "ip": "10.0.0"}), 400)
    assert bad_ip["errors"][0]["location"] == "ip"
    assert_error_shape(officer.post(copies, json={"to": "anna", "device": "pc", "ip": "10.0.0.1", "version": 7}),
                       404, "not_found")
    png = officer.post(f"{D}/trace", files={"file": ("leak.png", b"\x89PNG\r\n\x1a\n" + bytes(32), "image/png")})
    assert_error_shape(png, 400, "bad_picture")
    both = officer.post(f"{D}/trace", files={"file": ("a.txt", b"some text", "text/plain")}, data={"text": "x y"})
    assert_error_shape(both, 400, "invalid")
    assert_error_shape(officer.post(f"{D}/trace", data={"text": "短"}), 400, "excerpt_too_short")
    assert_error_shape(officer.post(f"{D}/trace", files={"file": ("e.txt", b"", "text/plain")}), 400,
                       "empty_trace")
    assert world.size() == before


@pytest.mark.parametrize(("user", "method", "url", "body", "status", "code"), planted.BAD_REQUESTS,
                         ids=[f"{m} {u} {c}" for _, m, u, _, _, c in planted.BAD_REQUESTS])
def test_bad_requests(world: World, user: str, method: str, url: str, body: Any, status: int, code: str) -> None:
    client = api(world, user)
    before = world.size()
    assert_error_shape(client.request(method, url, json=body), status, code)
    assert world.size() == before + (1 if status == 404 else 0)  # a miss is audited; bad input writes nothing


def test_pdf_and_png_copies_are_downloaded_and_a_photo_of_them_is_traced(world: World) -> None:
    from PIL import Image

    from reetrace.demo.doctexts import diagram_png
    from reetrace.domains.documents import channels

    officer = api(world, "doc.officer.a")
    pdf = officer.get(f"{D}/copies/{world.extra['copy_a']}/file", params={"format": "pdf"})
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF-") and pdf.headers["x-copy-id"] == world.extra["copy_a"]
    assert logged(world, "documents.copy.opened")[-1]["body"]["action"] == "download"  # the download is recorded
    _, data = diagram_png(__import__("random").Random(5), 3)
    made = officer.post(D, files={"file": ("flow.png", data, "image/png")},
                        data={"title": "flow", "level": "secret", "recipients": "anna,adam"}).json()
    issued = {who: officer.post(f"{made['href']}/copies", json={"to": who, "device": "pc", "ip": "10.0.0.9"})
              for who in ("anna", "adam")}
    assert all(r.status_code == 201 and r.headers["content-type"] == "image/png" for r in issued.values())
    text = officer.post(f"{made['href']}/copies", json={"to": "anna", "device": "pc", "ip": "10.0.0.9",
                                                        "format": "text"})
    assert_error_shape(text, 400, "bad_format")
    picture = np.asarray(Image.open(io.BytesIO(issued["adam"].content)))
    photo = io.BytesIO()
    Image.fromarray(channels.phone_photo(picture, np.random.default_rng(4))).save(photo, format="JPEG")
    result = officer.post(f"{D}/trace", files={"file": ("photo.jpg", photo.getvalue(), "image/jpeg")}).json()
    assert result["verdict"] == "accused" and result["document_id"] == made["document_id"]
    assert result["pages"] == [1]  # a picture trace says which page it showed (text traces: containment instead)
    assert [s["copy_id"] for s in result["suspects"] if s["accused"]] == [issued["adam"].headers["x-copy-id"]]
    # the other group neither downloads this copy nor finds the picture among its own
    other = api(world, "doc.officer.b")
    assert_error_shape(other.get(f"{D}/copies/{issued['adam'].headers['x-copy-id']}/file",
                                 params={"format": "png"}), 404, "not_found")
    assert other.post(f"{D}/trace", files={"file": ("photo.jpg", photo.getvalue(), "image/jpeg")}).json()[
        "verdict"] == "not_ours"
