"""Events: validation at the boundary and RFC 8785 canonical bytes."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone

import pytest
import rfc8785
from hypothesis import given, settings
from hypothesis import strategies as st

from reetrace.errors import Error
from reetrace.events import Event, canonical_entry, canonical_json, event_from_entry, new_event_id, parse_event

json_scalars = st.none() | st.booleans() | st.integers(-(2**53) + 1, 2**53 - 1) | st.text()
json_values = st.recursive(
    json_scalars | st.floats(allow_nan=False, allow_infinity=False),
    lambda inner: st.lists(inner, max_size=5) | st.dictionaries(st.text(max_size=8), inner, max_size=5),
    max_leaves=30,
)


@settings(max_examples=400, deadline=None)
@given(json_values)
def test_canonical_json_equals_the_reference_implementation(value: object) -> None:
    try:
        expected = rfc8785.dumps(value)
    except (rfc8785.CanonicalizationError, UnicodeEncodeError, ValueError):
        with pytest.raises(Error):
            canonical_json(value)
        return
    assert canonical_json(value) == expected


@pytest.mark.parametrize("value", [
    {"b": 1, "a": "é\n\u2028\x7f\x1f"},
    {"\U0001f600": 1, "\ufb33": 2},  # keys beyond the BMP sort by UTF-16 code units
    [1.0, 100.0, 1e21, 1e-7, -0.0, 2**53 - 1],
    {"q": [0.98, 0.0001, 0.00009999, 1e-05, -0.5, 4503599627370495.5, 600.0, 1 / 3]},  # the repr fast path's edges
])
def test_canonical_json_edge_cases(value: object) -> None:
    assert canonical_json(value) == rfc8785.dumps(value)


@pytest.mark.parametrize(("body", "where"), [
    ({"a": float("nan")}, "event.body.a"),
    ({"a": [1, {"b": float("inf")}]}, "event.body.a[1].b"),
    ({1: "x"}, "event.body"),
    ({"a": object()}, "event.body.a"),
    ({"a": 2**80}, "event.body"),
])
def test_bodies_that_cannot_be_canonicalised_name_where(body: dict[str, object], where: str) -> None:
    event = Event.model_construct(kind="note", body=body, actor="t", tenant=None, subjects=(),
                                  occurred_at=datetime.now(UTC), id=new_event_id())
    with pytest.raises(Error) as info:
        canonical_entry(event)
    assert info.value.code == "not_canonicalisable"
    assert info.value.details[0].location.startswith(where)


def test_oversized_entry_is_refused() -> None:
    with pytest.raises(Error) as info:
        canonical_entry(Event(kind="note", body={"blob": "x" * (1 << 20)}))
    assert info.value.code == "entry_too_large"


def test_entry_round_trip_and_utc_normalisation() -> None:
    when = datetime(2026, 3, 1, 9, 30, tzinfo=timezone(timedelta(hours=8)))
    event = Event(kind="note", body={"text": "稀土"}, occurred_at=when, tenant="group-north", subjects=("ENT-1",))
    entry = canonical_entry(event)
    assert json.loads(entry)["occurred_at"] == "2026-03-01T01:30:00.000000Z"
    assert event_from_entry(entry) == event


@pytest.mark.parametrize(("data", "location"), [
    ({"kind": "Bad Kind", "body": {}}, "event.kind"),
    ({"kind": "note", "body": []}, "event.body"),
    ({"kind": "note", "body": {}, "occurred_at": "2026-01-01T00:00:00"}, "event.occurred_at"),
    ({"kind": "note", "body": {}, "surprise": 1}, "event.surprise"),
])
def test_parse_event_reports_the_field(data: dict[str, object], location: str) -> None:
    with pytest.raises(Error) as info:
        parse_event(data)
    assert any(d.location == location for d in info.value.details), info.value.diagnostics()


def test_event_ids_are_time_ordered_and_unique() -> None:
    ids = [new_event_id() for _ in range(2000)]
    assert len(set(ids)) == len(ids)
    assert all(len(i) == 32 for i in ids)
    assert ids[0][:12] <= ids[-1][:12]
