"""Access events of issued copies on every backend: open, download and print are log entries that the personnel
domain's insider signals read; bad input and other tenants' copies write nothing."""

from __future__ import annotations

import json
from datetime import date

import pytest
from spec_texts import EN_TEXT, ZH_TEXT

from reetrace.container import Container
from reetrace.domains.documents import access, registry
from reetrace.domains.personnel.models import Caller
from reetrace.domains.personnel.queries import document_access
from reetrace.errors import Error
from reetrace.storage.engine import read_transaction, write_transaction
from reetrace.storage.replay import replay
from support.logdb import log_size, stored_entries
from support.travel_world import World, build_world

NORTH = Caller.of("officer.n", "group-north")
SOUTH = Caller.of("officer.s", "group-south")


@pytest.fixture
def world(container: Container) -> World:
    return build_world(container)


def issued(world: World) -> tuple[str, registry.IssuedCopy, registry.IssuedCopy]:
    person = world.person()
    with world.container.unit_of_work() as (uow, vault):
        doc = registry.register_document(uow, NORTH, (ZH_TEXT + "\n" + EN_TEXT).encode(), "spec.md", title="PS-7",
                                         level="secret", recipients=(person, "officer.n2"))
        to_person = registry.issue_copy(uow, vault, NORTH, doc.document_id, person, device="laptop-17",
                                        ip="10.1.2.3")
        to_user = registry.issue_copy(uow, vault, NORTH, doc.document_id, "officer.n2", device="desk-3",
                                      ip="10.1.2.4")
    return person, to_person, to_user


def test_open_download_and_print_are_logged_and_read_by_the_insider_signals(world: World) -> None:
    person, to_person, to_user = issued(world)
    with world.container.unit_of_work() as (uow, _):
        opened = access.record_copy_access(uow, NORTH, to_person.copy_id, "open", device="laptop-17",
                                           ip="10.1.2.3")
        printed = access.record_copy_access(uow, NORTH, to_person.copy_id, "print")
        downloaded = access.record_copy_access(uow, NORTH, to_user.copy_id, "download", ip="2001:db8::1")
    assert (opened.recipient, downloaded.recipient) == (person, "officer.n2")
    assert opened.entry_idx < printed.entry_idx < downloaded.entry_idx
    logged = [json.loads(e) for _, e, _ in stored_entries(world.container.engine)]
    events = [e for e in logged if e["kind"] == access.OPENED]
    assert [e["body"]["action"] for e in events] == ["open", "print", "download"]
    assert events[0]["subjects"] == [to_person.copy_id, to_person.document_id, person]
    assert events[0]["body"]["device"] == "laptop-17" and events[1]["body"]["device"] is None
    assert events[2]["body"]["ip"] == "2001:db8::1" and events[0]["tenant"] == "group-north"
    with read_transaction(world.container.engine) as conn:
        seen = document_access(conn, person, date(2026, 1, 1))
    assert [(a.kind, a.copy_id) for a in seen] == [("documents.copy.issued", to_person.copy_id),
                                                   (access.OPENED, to_person.copy_id),
                                                   (access.OPENED, to_person.copy_id)]
    with write_transaction(world.container.engine) as conn:
        assert replay(conn, world.container.kinds).differences == 0  # the kind replays (it projects no table)


def test_bad_access_and_other_tenants_copies_write_nothing(world: World) -> None:
    _, to_person, _ = issued(world)
    size = log_size(world.container.engine)
    for caller, copy_id, action, extra, code, where in [
            (NORTH, to_person.copy_id, "copy", {}, "invalid", "action"),
            (NORTH, to_person.copy_id, "open", {"ip": "10.1"}, "invalid", "ip"),
            (NORTH, to_person.copy_id, "open", {"device": "x" * 201}, "invalid", "device"),
            (NORTH, "RT-CPY-0000000000000000", "open", {}, "not_found", None),
            (SOUTH, to_person.copy_id, "open", {}, "not_found", None)]:
        with pytest.raises(Error) as caught, world.container.unit_of_work() as (uow, _):
            access.record_copy_access(uow, caller, copy_id, action, **extra)
        assert caught.value.code == code
        if where:
            assert caught.value.details[0].location == where
    assert log_size(world.container.engine) == size
