"""The document registry on every backend: register, version, issue fingerprinted copies, trace leaked text."""

from __future__ import annotations

import io
import json
import random
import re
from datetime import date
from typing import Any

import pytest
from spec_texts import EN_TEXT, ZH_PARAGRAPHS, ZH_TEXT, long_spec
from sqlalchemy import func, select

from reetrace.container import Container
from reetrace.domains.documents import registry, trace
from reetrace.domains.documents.tables import copies, fingerprints
from reetrace.domains.documents.textmarks import channel
from reetrace.domains.personnel.models import Caller
from reetrace.domains.personnel.queries import document_access
from reetrace.errors import Error
from reetrace.storage.engine import read_transaction, write_transaction
from reetrace.storage.replay import replay
from support.logdb import log_size, stored_entries
from support.travel_world import World, build_world

NORTH = Caller.of("officer.n", "group-north")
SOUTH = Caller.of("officer.s", "group-south")
BILINGUAL = ZH_TEXT + "\n" + EN_TEXT


@pytest.fixture
def world(container: Container) -> World:
    return build_world(container)


def register(world: World, text: str = BILINGUAL, name: str = "spec.md", recipients: tuple[str, ...] = (),
             caller: Caller = NORTH) -> registry.Registered:
    with world.container.unit_of_work() as (uow, _):
        return registry.register_document(uow, caller, text.encode(), name, title="萃取工艺规程 PS-7",
                                          level="secret", recipients=recipients)


def issue(world: World, document_id: str, to: str, device: str = "laptop-17", ip: str = "10.1.2.3",
          version: int | None = None) -> registry.IssuedCopy:
    with world.container.unit_of_work() as (uow, vault):
        return registry.issue_copy(uow, vault, NORTH, document_id, to, device=device, ip=ip, version=version)


def traced(world: World, text: str, caller: Caller = NORTH, eps1: float | None = None) -> trace.TraceResult:
    with world.container.unit_of_work() as (uow, vault):
        return trace.trace(uow, vault, caller, text, eps1=eps1)


def entries(world: World) -> list[dict[str, Any]]:
    return [json.loads(e) for _, e, _ in stored_entries(world.container.engine)]


def kinds(world: World) -> list[str]:
    return [e["kind"] for e in entries(world)]


def mix_sentences(texts: list[str], rng: random.Random) -> str:
    """Colluders build one text sentence by sentence, each sentence from one of their copies."""
    pieces = [re.split(r"(?<=[。])|(?<=[.!?])(?=\s)", t) for t in texts]
    assert len({len(p) for p in pieces}) == 1
    return "".join(rng.choice(pieces)[k] for k in range(len(pieces[0])))


def test_register_gives_a_readable_id_a_hash_and_a_log_entry_per_version(world: World) -> None:
    first = register(world, recipients=("officer.n2",))
    assert re.fullmatch(r"RT-DOC-\d{4}-000001", first.document_id)
    assert first.sites > 100 and first.fingerprints > 100
    second = register(world, EN_TEXT, "en.md")
    assert second.document_id.endswith("-000002")
    with world.container.unit_of_work() as (uow, _):
        again = registry.add_version(uow, NORTH, first.document_id, (BILINGUAL + "\n附录。\n").encode(), "spec-v2.md")
    assert again.version == 2
    logged = kinds(world)
    assert logged.count("documents.version.recorded") == 3 and logged.count("documents.document.registered") == 2
    with read_transaction(world.container.engine) as conn:
        listed = registry.list_documents(conn, NORTH.tenants)
        assert [(d.document_id, d.versions, d.level) for d in listed] == [
            (first.document_id, 2, "secret"), (second.document_id, 1, "secret")]
        assert registry.list_documents(conn, SOUTH.tenants) == []
        assert conn.execute(select(func.count()).select_from(fingerprints)).scalar_one() > 300


def test_bad_registrations_write_nothing(world: World) -> None:
    register(world)
    size = log_size(world.container.engine)
    cases = [
        (dict(title=" ", level="secret"), "title"),
        (dict(title="x", level="top"), "level"),
        (dict(title="x", level="secret", recipients=("nobody",)), "recipients[0]"),
        (dict(title="x", level="secret", recipients=("P-UNKNOWN",)), "recipients[0]"),
    ]
    for kwargs, where in cases:
        with pytest.raises(Error) as caught, world.container.unit_of_work() as (uow, _):
            registry.register_document(uow, NORTH, b"some new text with enough words", "n.md", **kwargs)  # type: ignore[arg-type]
        assert caught.value.details[0].location == where
    with pytest.raises(Error) as caught, world.container.unit_of_work() as (uow, _):
        registry.register_document(uow, NORTH, BILINGUAL.encode(), "copy.md", title="t", level="secret")
    assert caught.value.code == "duplicate" and caught.value.http_status == 409
    with pytest.raises(Error, match="unsupported file type"), world.container.unit_of_work() as (uow, _):
        registry.register_document(uow, NORTH, b"MZ", "tool.exe", title="t", level="secret")
    assert log_size(world.container.engine) == size


def test_copies_to_a_person_and_a_user_and_who_may_not_receive(world: World) -> None:
    person = world.person()
    doc = register(world, recipients=(person, "officer.n2"))
    to_person = issue(world, doc.document_id, person)
    to_user = issue(world, doc.document_id, "officer.n2", device="desk-3", ip="2001:db8::7")
    assert to_person.text != to_user.text and channel(to_person.text or "") != channel(BILINGUAL)
    assert to_person.positions == doc.sites and to_person.code_length >= 1000
    issued = [e for e in entries(world) if e["kind"] == "documents.copy.issued"]
    assert issued[1]["body"]["recipient"] == "officer.n2" and issued[1]["body"]["ip"] == "2001:db8::7"
    assert issued[0]["body"]["recipient"] is None and person in issued[0]["subjects"]
    assert issued[0]["body"]["recipient_commitment"].startswith("hmac-sha256:")
    with read_transaction(world.container.engine) as conn:
        access = document_access(conn, person, date(2026, 1, 1))
        assert [(a.kind, a.document_id, a.copy_id) for a in access] == [
            ("documents.copy.issued", doc.document_id, to_person.copy_id)]
        rows = conn.execute(select(copies.c.recipient, copies.c.recipient_kind).order_by(copies.c.entry_idx)).all()
        assert [tuple(r) for r in rows] == [(person, "person"), ("officer.n2", "user")]
    size = log_size(world.container.engine)
    for to, kwargs, code, where in [
            ("officer.s", {}, "bad_recipient", "to"), ("ghost", {}, "bad_recipient", "to"),
            (person, {"ip": "10.1.2"}, "invalid", "ip"), (person, {"device": " "}, "invalid", "device")]:
        with pytest.raises(Error) as caught:
            issue(world, doc.document_id, to, **kwargs)
        assert (caught.value.code, caught.value.details[0].location) == (code, where)
    with pytest.raises(Error, match="no document"):
        issue(world, "RT-DOC-2026-999999", person)
    assert log_size(world.container.engine) == size


def test_a_scanned_pdf_is_registered_by_hash_and_cannot_be_issued_with_marks(world: World) -> None:
    from PIL import Image

    scan = io.BytesIO()
    Image.new("L", (300, 400), 255).save(scan, format="PDF")  # a PDF holding only a picture: no text layer
    with world.container.unit_of_work() as (uow, _):
        doc = registry.register_document(uow, NORTH, scan.getvalue(), "scan.pdf", title="scan", level="secret")
    assert (doc.sites, doc.fingerprints) == (0, 0)
    with pytest.raises(Error) as caught:
        issue(world, doc.document_id, "officer.n")
    assert caught.value.code == "no_text_layer"


def test_a_single_leaker_is_identified_from_two_pasted_paragraphs(world: World) -> None:
    people = [world.person() for _ in range(12)]
    doc = register(world, recipients=tuple(people))
    issued = [issue(world, doc.document_id, p, device=f"pc-{n}", ip=f"10.0.0.{n + 1}") for n, p in enumerate(people)]
    leaker = issued[5]
    text = leaker.text or ""
    excerpt = "\n\n".join(text.split("\n\n")[1:3])  # two paragraphs of the Chinese part
    pasted = channel(excerpt.replace("，", "，\u200b"))
    result = traced(world, pasted)
    assert (result.verdict, result.document_id, result.version) == ("accused", doc.document_id, 1)
    assert result.single_leaker and "single leaker" in result.note
    accused = [s for s in result.suspects if s.accused]
    assert [(s.copy_id, s.recipient, s.device, s.ip) for s in accused] == [
        (leaker.copy_id, people[5], "pc-5", "10.0.0.6")]
    assert accused[0].false_accusation_bound < 1e-6
    # English prose carries fewer marks (about 11 sites a paragraph against 28 in Chinese): two paragraphs give
    # ~20 bits, too few to name anyone reliably even at 1e-3, so the English excerpt is the whole English part
    english_part = "\n\n".join(text.split("\n\n")[4:9])
    english = traced(world, channel(english_part), eps1=1e-3)
    assert [s.copy_id for s in english.suspects if s.accused] == [leaker.copy_id]
    assert kinds(world).count("documents.leak.traced") == 2


def test_three_colluders_mixing_sentences_are_caught_and_no_innocent_among_fifty(world: World) -> None:
    people = [world.person() for _ in range(50)]
    doc = register(world, long_spec(4), recipients=tuple(people))
    assert doc.sites > 600
    issued = [issue(world, doc.document_id, p) for p in people]
    rng = random.Random(11)
    for trial in range(3):
        gang = rng.sample(range(50), 3)
        pirate = mix_sentences([issued[g].text or "" for g in gang], rng)
        result = traced(world, channel(pirate))
        accused = {s.copy_id for s in result.suspects if s.accused}
        assert result.verdict == "accused", (trial, result.note)
        assert accused and accused <= {issued[g].copy_id for g in gang}, (trial, gang, result.suspects[:4])
        assert not result.single_leaker and result.sites_read >= doc.sites - 4  # the head before an anchor


def test_not_ours_no_mark_and_other_tenants(world: World) -> None:
    doc = register(world, recipients=("officer.n2",))
    issue(world, doc.document_id, "officer.n2")
    foreign = traced(world, "An unrelated memo about the canteen menu for the week of the autumn festival.")
    assert (foreign.verdict, foreign.document_id) == ("not_ours", None)
    assert traced(world, ZH_PARAGRAPHS[1], caller=SOUTH).verdict == "not_ours"  # another tenant's document
    plain = traced(world, "工艺规程适用于混合氯化稀土溶液中钕和镨的萃取分离。操作人员")
    assert plain.document_id == doc.document_id and plain.verdict in ("no_mark", "no_accusation")
    with pytest.raises(Error) as caught:
        traced(world, "四个字")
    assert caught.value.code == "excerpt_too_short"
    with pytest.raises(Error, match="empty"):
        traced(world, "   ")


def test_replay_rebuilds_the_registry_and_the_content_index(world: World) -> None:
    doc = register(world, recipients=("officer.n2",))
    issue(world, doc.document_id, "officer.n2")
    traced(world, ZH_PARAGRAPHS[2])
    with write_transaction(world.container.engine) as conn:
        report = replay(conn, world.container.kinds)
    assert report.differences == 0
    assert {t.table for t in report.tables} >= {"documents_documents", "documents_versions", "documents_copies",
                                                "documents_fingerprints", "documents_traces"}
    assert traced(world, ZH_PARAGRAPHS[2]).document_id == doc.document_id
