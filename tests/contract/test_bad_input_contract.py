"""Bad input never half-writes, on every backend: the right error code, and not one row or byte changed."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from reetrace.container import Container
from reetrace.domains.registry.service import issue_permit, register_enterprise
from reetrace.errors import Error
from reetrace.events import MAX_ENTRY_BYTES, Event
from support.logdb import enterprise, enterprise_event, log_size, note, notes, permit, snapshot


def _bad_enterprise() -> Event:
    return Event(kind="registry.enterprise.registered", body={"enterprise_id": "lower case", "name": "x"})


def _nested_int_key() -> Event:
    return note(0, nested={1: "one"})


BAD: dict[str, tuple[Callable[[], list[Event]], str]] = {
    "invalid registry body": (lambda: [_bad_enterprise()], "invalid"),
    "invalid permit dates": (lambda: [Event(kind="registry.permit.issued", body={
        "permit_id": "P-1", "enterprise_id": "ENT-001", "permit_type": "export",
        "valid_from": "2026-01-01", "valid_to": "2025-01-01"})], "invalid"),
    "unknown kind": (lambda: [Event(kind="no.such.kind", body={})], "unknown_kind"),
    "NaN": (lambda: [note(0, value=float("nan"))], "not_canonicalisable"),
    "infinity": (lambda: [note(0, value=float("-inf"))], "not_canonicalisable"),
    "non-string key": (lambda: [_nested_int_key()], "not_canonicalisable"),
    "integer beyond 2**53": (lambda: [note(0, value=2**64)], "not_canonicalisable"),
    "not a JSON value": (lambda: [note(0, value={1, 2})], "not_canonicalisable"),
    "entry over 1 MiB": (lambda: [note(0, blob="x" * MAX_ENTRY_BYTES)], "entry_too_large"),
    "one NaN in a batch of good": (lambda: [*notes(0, 50), note(50, value=float("nan")), *notes(51, 50)],
                                   "not_canonicalisable"),
    "one unknown kind in a batch of good": (lambda: [*notes(0, 10), Event(kind="nope", body={}), note(10)],
                                            "unknown_kind"),
    "one invalid body last in a batch of good": (lambda: [*notes(0, 10), enterprise_event(), _bad_enterprise()],
                                                 "invalid"),
    "one too large in a batch of good": (lambda: [note(0), note(1, blob="y" * (MAX_ENTRY_BYTES + 1))],
                                         "entry_too_large"),
    "empty batch": (lambda: [], "empty_batch"),
}


def _seed(container: Container) -> None:
    """Some history first, so that 'unchanged' is about a log with entries, checkpoints and projections."""
    container.ledger.record(notes(0, 7))
    with container.unit_of_work() as (uow, _):
        register_enterprise(uow, "tenant-a", "tester", enterprise("ENT-001"))
        issue_permit(uow, "tenant-a", "tester", permit("P-1"))


def _unchanged(container: Container, attempt: Callable[[], object], code: str) -> Error:
    before = snapshot(container.engine)
    checkpoint_file = container.settings.latest_checkpoint_path
    file_before = checkpoint_file.read_bytes()
    with pytest.raises(Error) as caught:
        attempt()
    assert caught.value.code == code, caught.value.diagnostics()
    assert snapshot(container.engine) == before
    assert checkpoint_file.read_bytes() == file_before
    return caught.value


@pytest.mark.parametrize("case", list(BAD))
def test_bad_events_are_refused_whole(container: Container, case: str) -> None:
    _seed(container)
    make, code = BAD[case]
    size = log_size(container.engine)
    error = _unchanged(container, lambda: container.ledger.record(make()), code)
    assert error.message
    assert log_size(container.engine) == size
    # the log still takes good events, at the next index
    assert container.ledger.record([note(99)]).indices == [size]


def test_invalid_body_names_the_field(container: Container) -> None:
    with pytest.raises(Error) as caught:
        container.ledger.record([_bad_enterprise()])
    locations = {d.location for d in caught.value.details}
    assert "body.enterprise_id" in locations and "body.role" in locations


@pytest.mark.parametrize("case", ["one NaN in a batch of good", "one unknown kind in a batch of good"])
def test_bad_event_inside_a_unit_of_work_rolls_back_everything(container: Container, case: str) -> None:
    _seed(container)
    make, code = BAD[case]

    def attempt() -> None:
        with container.unit_of_work() as (uow, vault):
            register_enterprise(uow, "tenant-a", "tester", enterprise("ENT-002"))
            vault.commit("person-x", "name", "Li Wei")
            for event in make():
                uow.record(event)

    _unchanged(container, attempt, code)


def test_exception_in_a_unit_of_work_leaves_nothing(container: Container) -> None:
    _seed(container)
    before = snapshot(container.engine)

    class Boom(Exception):
        pass

    with pytest.raises(Boom), container.unit_of_work() as (uow, vault):
        register_enterprise(uow, "tenant-a", "tester", enterprise("ENT-003"))
        issue_permit(uow, "tenant-a", "tester", permit("P-3", "ENT-003"))
        uow.record_many(notes(0, 300))
        vault.commit("person-y", "phone", "+86 10 0000 0000")
        raise Boom
    assert snapshot(container.engine) == before


def test_domain_errors_write_nothing(container: Container) -> None:
    _seed(container)

    def duplicate() -> None:
        with container.unit_of_work() as (uow, _):
            register_enterprise(uow, "tenant-a", "tester", enterprise("ENT-004"))
            register_enterprise(uow, "tenant-a", "tester", enterprise("ENT-001"))

    def no_enterprise() -> None:
        with container.unit_of_work() as (uow, _):
            issue_permit(uow, "tenant-a", "tester", permit("P-9", "ENT-404"))

    _unchanged(container, duplicate, "duplicate")
    _unchanged(container, no_enterprise, "not_found")


@pytest.mark.parametrize("where", ["in one batch", "in a later batch", "in a unit of work"])
def test_an_event_id_recorded_twice_is_refused_with_an_error(container: Container, where: str) -> None:
    """A client that retries an append (same event id) must get the one error shape, and nothing is written."""
    _seed(container)
    event = note(1000)
    if where != "in one batch":
        container.ledger.record([event])

    def attempt() -> None:
        if where == "in one batch":
            container.ledger.record([event, note(1001), event])
        elif where == "in a later batch":
            container.ledger.record([note(1002), event])
        else:
            with container.unit_of_work() as (uow, _):
                uow.record(note(1003))
                uow.record(event)

    _unchanged(container, attempt, "duplicate_event")
