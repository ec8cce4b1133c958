"""Capture of large documents in one batch: the same per-event semantics as one event per capture.

The batched path checks every event first, appends one log entry per event, and writes each read table with one
multi-row insert, reusing the models, balances and canonical bytes computed during the checks. These tests hold it to
the one-by-one behaviour: duplicates inside a document, one bad event storing nothing, gap alerts pointing at their
own log entry, projections equal to capturing event by event and to a replay of the log, entries that are exactly
``canonical_entry`` of their event. Each test runs twice: with every hash and canonical document computed in-process,
and with all of them from the flow helper process (the capture waits for its answers instead of taking chunks back).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from flow_chain import NORTH, create, master, record, ship, transform
from personnel_people import add_enterprises, state
from sqlalchemy import select

from reetrace.container import Container, build_container
from reetrace.domains.alerts.tables import alerts
from reetrace.domains.flow.digests import HELPER
from reetrace.domains.flow.queries import document_select, event_of
from reetrace.domains.flow.service import EventInput, capture
from reetrace.domains.flow.tables import balances, lot_links, lots, shipments
from reetrace.domains.flow.tables import events as flow_events
from reetrace.errors import Error
from reetrace.events import canonical_entry, canonical_json, event_from_entry
from reetrace.settings import Settings
from reetrace.storage.engine import read_transaction, write_transaction
from reetrace.storage.replay import replay
from reetrace.storage.tables import log_entries


@pytest.fixture(autouse=True, params=["in-process", "helper"])
def digests(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """Where the documents' hashes and canonical JSON are computed: here, or (all of them) in the helper process."""
    helper = request.param == "helper"
    monkeypatch.setattr(HELPER, "enabled", helper)
    if helper:
        monkeypatch.setattr(HELPER, "steal", False)
        assert HELPER.start(wait=120.0), "the flow helper process did not start"
    yield request.param


def chains(count: int, *, start: int = 0) -> list[dict[str, Any]]:
    """``count`` chains of seven events (two mines to a shipped magnet), lots suffixed with their chain number."""
    out: list[dict[str, Any]] = []
    for i in range(start, start + count):
        a, b, mix, dy, nd, mag = (f"{p}-{i}" for p in ("CA", "CB", "MIX", "DY", "ND", "MAG"))
        out += [create(a, 600, "concentrate", 0.5, Nd=0.8, Dy=0.2),
                create(b, 400, "concentrate", 0.5, Nd=0.9, Dy=0.1),
                transform([(a, 600), (b, 400)], [(mix, 500, master(mix, "mixed_carbonate", 0.98, Nd=0.84, Dy=0.16))],
                          "cracking"),
                transform([(mix, 500)], [(dy, 78, master(dy, "separated_oxide", 0.995, element="Dy")),
                                         (nd, 410, master(nd, "separated_oxide", 0.995, element="Nd"))],
                          "solvent_extraction"),
                transform([(nd, 410)], [(mag, 1300, master(mag, "magnet", 0.31, Nd=1.0))], "magnet_sintering"),
                ship(mag, 800, f"BUYER-{i % 3}", end_user="Wind turbine maker"),
                ship(mag, 500, f"BUYER-{(i + 1) % 3}")]
    return out


def diverted(i: int) -> dict[str, Any]:
    """The separation of chain ``i`` with half of its dysprosium gone (a mass-balance gap)."""
    dy, nd = f"DY-{i}", f"ND-{i}"
    return transform([(f"MIX-{i}", 500)], [(dy, 40, master(dy, "separated_oxide", 0.995, element="Dy")),
                                           (nd, 410, master(nd, "separated_oxide", 0.995, element="Nd"))],
                     "solvent_extraction")


def flow_tables(container: Container) -> dict[str, list[tuple[Any, ...]]]:
    """The rows of the flow read tables filled by capture, without log indices (alerts shift them one by one)."""
    out = {}
    with read_transaction(container.engine) as conn:
        for table in (flow_events, lots, lot_links, balances, shipments):
            columns = [c for c in table.c if c.name != "entry_idx"]
            out[table.name] = sorted((tuple(r) for r in conn.execute(select(*columns))), key=repr)
    return out


def test_a_large_document_is_stored_event_by_event(world: Container) -> None:
    events = chains(40)
    report = record(world, *events)
    assert (report.events, report.stored, report.duplicates) == (280, 280, 0)
    assert report.last_index is not None and report.first_index is not None
    assert report.last_index - report.first_index == 279  # one log entry per event
    with read_transaction(world.engine) as conn:
        stored = conn.execute(select(flow_events.c.event_hash, flow_events.c.entry_idx)
                              .order_by(flow_events.c.entry_idx)).all()
    assert [h for h, _ in stored] == list(report.hashes)
    assert [i for _, i in stored] == list(range(report.first_index, report.last_index + 1))


def test_duplicates_inside_one_document_are_stored_once(world: Container) -> None:
    events = chains(30)
    doubled = [*events[:70], events[3], *events[70:], events[0], events[209]]
    report = record(world, *doubled)
    assert (report.events, report.stored, report.duplicates) == (213, 210, 3)
    before = state(world)
    again = record(world, *reversed(events))  # the whole document again, in another order
    assert (again.stored, again.duplicates) == (0, 210)
    assert state(world) == before


def test_a_document_that_repeats_stored_events_stores_the_rest(world: Container) -> None:
    """The lots are checked before the hashes are known; the events already stored (whose lots then "exist
    already") are set aside and the rest checked again, so the new chains are stored."""
    first = record(world, *chains(15))
    report = record(world, *chains(45))
    assert (report.events, report.stored, report.duplicates) == (315, 210, 105)
    assert set(report.hashes).isdisjoint(first.hashes)
    bad = transform([("GHOST", 10)], [("OUT", 1, master("OUT", "concentrate", 0.5, Nd=1.0))], "cracking")
    before = state(world)
    with pytest.raises(Error) as err:  # with re-submitted events in it, a bad new event still stores nothing
        record(world, *chains(45), *chains(5, start=45), bad)
    assert err.value.code == "unknown_lot" and "event[350].inputQuantityList[0]" in err.value.diagnostics()
    assert state(world) == before


def test_one_bad_event_at_the_end_of_a_large_document_stores_nothing(world: Container) -> None:
    record(world, *chains(2))
    before = state(world)
    bad = transform([("GHOST", 10)], [("OUT", 1, master("OUT", "concentrate", 0.5, Nd=1.0))], "cracking")
    with pytest.raises(Error) as err:
        record(world, *chains(30, start=2), bad)
    assert err.value.code == "unknown_lot" and "event[210].inputQuantityList[0]" in err.value.diagnostics()
    assert state(world) == before


def test_gap_alerts_in_a_batch_point_at_their_own_log_entries(world: Container) -> None:
    events = chains(30)
    events[7 * 4 + 3] = diverted(4)
    events[7 * 9 + 3] = diverted(9)
    report = record(world, *events)
    assert report.stored == 210 and len(report.alerts) == 2
    assert report.first_index is not None
    with read_transaction(world.engine) as conn:
        raised = conn.execute(select(alerts.c.alert_id, alerts.c.evidence)).all()
    evidence = {a.alert_id: json.loads(a.evidence) for a in raised}
    assert set(evidence) == set(report.alerts)
    for n, chain_no in ((7 * 4 + 3, 4), (7 * 9 + 3, 9)):
        found = [e for e in evidence.values() if e["event_hash"] == report.hashes[n]]
        assert len(found) == 1, chain_no
        assert found[0]["log_index"] == report.first_index + n
        assert found[0]["elements"][0]["element"] == "Dy" and found[0]["elements"][0]["out_kg"] == pytest.approx(39.8)


def test_projections_equal_replay_and_capturing_event_by_event(backend: Settings, world: Container) -> None:
    """One document of 105 events: its read tables equal a replay of the log and (on SQLite, a second database)
    the same events captured one per unit of work."""
    events = chains(15)
    events[7 * 2 + 3] = diverted(2)
    record(world, *events)
    batched = flow_tables(world)
    assert [len(batched[t]) for t in ("flow_events", "flow_lots", "flow_balances", "flow_shipments")] == [
        105, 90, 15 * 2 + 15 * 2 + 15, 30]
    with write_transaction(world.engine) as conn:
        assert replay(conn, world.kinds).differences == 0
    assert flow_tables(world) == batched
    if not backend.is_sqlite:
        return
    other = build_container(replace(backend, home=backend.home.parent / "one-by-one"))
    try:
        add_enterprises(other)
        for event in events:
            record(other, event)
        single = flow_tables(other)
    finally:
        other.close()
    assert batched == single


def test_log_entries_are_the_canonical_entries_of_their_events(world: Container) -> None:
    """The entry written with the event's canonical bytes spliced in equals ``canonical_entry`` of the event."""
    odd = create("ODD", 600.0, "ore", 0.05, La=0.00001, Ce=1e-7, Nd=0.5)  # floats json.dumps writes differently
    odd["reetrace:note"] = {"\U0001f600 key": [1.0, 2.5, 4503599627370495.5, "\u2028 \x7f"], "b": None, "a": True}
    odd_ns = {**create("NS", 5, "ore", 0.1, Nd=1.0), "ex:field": "x"}
    with world.unit_of_work() as (uow, _):
        report = capture(uow, NORTH, "ENT-N1", [EventInput("event[0]", odd), EventInput("event[1]", odd_ns,
                                                                                       {"ex": "https://ex.org/"}),
                                                *[EventInput(f"event[{n + 2}]", e) for n, e in enumerate(chains(2))]])
    assert report.stored == 16
    with read_transaction(world.engine) as conn:
        entries = conn.execute(select(log_entries.c.entry).where(log_entries.c.kind == "flow.event.captured")
                               .order_by(log_entries.c.idx)).scalars().all()
        documents = {r.event_hash: event_of(r.entry) for r in conn.execute(document_select(flow_events.c.event_hash))}
    assert len(entries) == 16
    for entry in entries:
        event = event_from_entry(entry)
        assert canonical_entry(event) == entry
        assert canonical_json(documents[event.body["event_hash"]]) == canonical_json(event.body["event"])
    first = event_from_entry(entries[0]).body
    assert first["event"]["reetrace:note"]["\U0001f600 key"][0] == 1.0 and first["namespaces"] == {}
    assert event_from_entry(entries[1]).body["namespaces"] == {"ex": "https://ex.org/"}


def test_an_event_with_python_values_is_logged_in_its_json_form(world: Container) -> None:
    """A time given as a ``datetime`` (as a spreadsheet reader gives it) is logged as ISO 8601 text."""
    from datetime import datetime, timedelta, timezone

    event = create("XL-1", 5, "ore", 0.1, Nd=1.0)
    event["eventTime"] = datetime(2026, 3, 1, 8, 0, tzinfo=timezone(timedelta(hours=8)))
    report = record(world, event)
    assert report.stored == 1
    again = record(world, create("XL-1", 5, "ore", 0.1, Nd=1.0))  # the same event written as text
    assert (again.stored, again.duplicates) == (0, 1)
    with read_transaction(world.engine) as conn:
        entry = conn.execute(select(log_entries.c.entry)
                             .where(log_entries.c.kind == "flow.event.captured")).scalar_one()
        document = event_of(conn.execute(document_select()).scalar_one())
    logged = event_from_entry(entry)
    assert logged.body["event"]["eventTime"] == "2026-03-01T08:00:00+08:00"
    assert canonical_entry(logged) == entry and document == logged.body["event"]


def test_yield_rules_are_read_again_when_the_file_changes(tmp_path: Path) -> None:
    from reetrace.domains.flow.massbalance import YieldRules

    rules = tmp_path / "yields.toml"
    rules.write_text('version = "1"\n[default]\nmin_yield = 0.9\nmax_yield = 1.02\n', encoding="utf-8")
    first = YieldRules.current(rules)
    assert YieldRules.current(rules) is first  # cached while the file is unchanged
    rules.write_text('version = "2"\n[default]\nmin_yield = 0.85\nmax_yield = 1.05\n', encoding="utf-8")
    second = YieldRules.current(rules)
    assert (second.version, second.default.min_yield) == ("2", 0.85)
    rules.write_text('version = "3"\n[default]\nmin_yield = 1.5\nmax_yield = 1.0\n', encoding="utf-8")
    with pytest.raises(Error) as err:
        YieldRules.current(rules)
    assert err.value.code == "bad_rules"


@pytest.mark.parametrize(("tenant", "actor", "subjects", "namespaces", "tolerance", "direct"), [
    ("bench", "bench", ("h", "ENT", "urn:reetrace:lot:A"), {}, None, True),
    ("t\"q\\uote", "ac\ntor \u00e9\u2028\x7f\x01", ("\U0001f600", "\ud7ff\ue000", ""), {"ex": "https://ex.org/"},
     (0.9, 1.0), True),
    ("\u00fcber", "a", (), {"\u00e9": "x", "a": "\U0001f600", "Z": "\""}, (0.0, 1.05), True),
    ("t", "a", ("x",), {"\U0001f600k": "v", "\uff5ek": "w"}, (0.5, 1.5), False),  # JCS orders keys by UTF-16 units
    ("t", "a", ("x",), {}, (0.5, 2.0**60), False),
    ("t", "a", ("x",), {}, (1e-7, 1.0000001), False),
])
def test_the_entry_written_directly_is_the_canonical_entry(tenant: str, actor: str, subjects: tuple[str, ...],
                                                           namespaces: dict[str, str],
                                                           tolerance: tuple[float, float] | None,
                                                           direct: bool) -> None:
    """``_event``'s entry (the envelope written around the event's canonical bytes) equals ``canonical_entry``."""
    from datetime import UTC, datetime

    from reetrace.domains.flow.massbalance import Tolerance
    from reetrace.domains.flow.service import _entry, _logged_event, _Shared, _Unusual
    from reetrace.domains.personnel.models import Caller
    from reetrace.events import new_event_id

    event_id, moment = new_event_id(), datetime.now(UTC)
    shared = _Shared.of(Caller.of(actor, tenant), tenant, "ENT-\u00e9", moment)
    event = create("X-1", 600.0, "ore", 0.5, Nd=1.0)
    document = canonical_json(event)
    limits = None if tolerance is None else Tolerance(*tolerance)
    expected = canonical_entry(_logged_event(shared, "ni:///h", event, namespaces, limits, event_id, moment, subjects))
    if not direct:  # left to canonical_entry
        with pytest.raises(_Unusual):
            _entry(shared, "ni:///h", limits, namespaces, event_id, subjects, document)
        return
    assert _entry(shared, "ni:///h", limits, namespaces, event_id, subjects, document) == expected


def test_of_several_bad_events_the_first_is_reported(world: Container) -> None:
    """The document is validated in one call; the error names the first bad event's fields, and only its."""
    before = state(world)
    events = [create("OK-1", 10, "ore", 0.1, Nd=1.0), create("NEG-1", -5, "ore", 0.1, Nd=1.0),
              {**create("LATE-1", 5, "ore", 0.1, Nd=1.0), "eventTime": "not a time"}, {"type": "Nothing"}]
    with pytest.raises(Error) as err:
        record(world, *events)
    assert err.value.code == "invalid_event"
    assert err.value.message.startswith("event[1].quantityList.0.quantity: ")
    assert {d.location for d in err.value.details} == {"event[1].quantityList.0.quantity"}
    with pytest.raises(Error) as err:
        record(world, events[0], events[3])
    assert err.value.details[0].location == "event[1]" and "tag" in err.value.message
    with pytest.raises(Error) as err:  # in a large document (whose hashes the helper may be computing) too
        record(world, *chains(30), events[2])
    assert err.value.details[0].location == "event[210].eventTime"
    assert state(world) == before
    assert len(record(world, *chains(30)).hashes) == 210  # and the next document is captured as usual


def test_ids_made_in_one_call_are_distinct_time_ordered_uuid7s() -> None:
    import uuid

    from reetrace.events import new_event_ids

    ids = new_event_ids(5000)
    assert len(set(ids)) == 5000 and new_event_ids(0) == []
    parsed = [uuid.UUID(i) for i in ids]
    assert all(u.version == 7 and u.variant == uuid.RFC_4122 and len(i) == 32 for u, i in zip(parsed, ids, strict=True))
    assert len({i[:12] for i in ids}) == 1  # one clock reading: the same millisecond prefix


def test_an_unusual_time_of_recording_is_left_to_canonical_entry() -> None:
    """A time ``_stamp`` does not write (not UTC, or before the year 1000) takes the ``canonical_entry`` path."""
    from datetime import UTC, datetime, timedelta, timezone

    from reetrace.domains.flow.service import _entry, _logged_event, _Shared, _Unusual
    from reetrace.domains.personnel.models import Caller

    for moment in (datetime(2026, 3, 1, tzinfo=timezone(timedelta(hours=8))), datetime(999, 1, 1, tzinfo=UTC)):
        shared = _Shared.of(Caller.of("a", "t"), "t", "ENT", moment)
        event = create("X-1", 600, "ore", 0.5, Nd=1.0)
        with pytest.raises(_Unusual):
            _entry(shared, "ni:///h", None, {}, "id", ("x",), canonical_json(event))
        canonical_entry(_logged_event(shared, "ni:///h", event, {}, None, "id", moment, ("x",)))  # writes it
