"""The flow helper process: its digests are the capture's own, and whatever happens to it, a capture is correct.

``digests.digest`` is what the helper computes for an event (CBV 2.0 hash, canonical JSON); the capture computes the
same in-process for the chunks it takes back and for everything when there is no helper. These tests hold the
helper's answers to the in-process functions, and check the hand-over: chunks claimed from both ends, a helper that
dies mid-document, a second capture while the helper is busy, values that marshal cannot send, the switch.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from flow_chain import create, master, ship, transform
from test_capture_batch import chains

from reetrace.domains.flow import digests
from reetrace.domains.flow.digests import CHUNK, HELPER, NOT_PLAIN, Helper, digest, digest_all
from reetrace.domains.flow.eventhash import event_hash
from reetrace.errors import Error
from reetrace.events import canonical_json


def in_process(data: Any, namespaces: dict[str, str]) -> tuple[str | None, bytes | None]:
    """What the capture computes without a helper (None for a hash that raises, b"" for a refused document)."""
    try:
        hashed: str | None = event_hash(data, namespaces)
    except Exception:
        hashed = None
    try:
        document = canonical_json(data, "event.body.event")
    except Error:
        document = NOT_PLAIN
    return hashed, document


ODD_EVENTS: list[tuple[dict[str, Any], dict[str, str]]] = [
    (create("A", 600.0, "concentrate", 0.5, Nd=0.8, Dy=0.2), {}),  # an integral float: JCS writes 600
    (create("B", 1e-5, "concentrate", 0.5, Nd=0.8, Dy=0.2), {}),  # a float JCS writes as 0.00001
    (transform([("A", 600)], [("C", 500, master("C", "mixed_carbonate", 0.98, Nd=1.0))], "cracking"), {}),
    (ship("C", 5, "BUYER-1", end_user="用户 «Ω»"), {}),  # text outside ASCII
    ({**create("D", 5, "ore", 0.1, Nd=1.0), "ex:note": "x"}, {"ex": "https://example.org/ns/"}),
    ({**create("E", 5, "ore", 0.1, Nd=1.0), "ex:t": float("nan")}, {}),  # not JSON: refused
    ({**create("F", 5, "ore", 0.1, Nd=1.0), "ex:big": 2**60}, {}),  # beyond JSON's exact integers: refused
    ({"type": "ObjectEvent"}, {}),  # no time: no hash
]


def test_the_helpers_digest_is_the_in_process_one() -> None:
    for data, namespaces in ODD_EVENTS:
        assert digest(data, namespaces) == in_process(data, namespaces), data
    assert digest(ODD_EVENTS[0][0], {1: "x"})[1] == NOT_PLAIN  # type: ignore[dict-item]  # the model decides


@pytest.fixture
def helper() -> Iterator[Helper]:
    """A helper of the test's own (not the one captures use), ready, closed at the end."""
    mine = Helper()
    mine.enabled = True
    assert mine.start(wait=120.0), "the helper process did not start"
    try:
        yield mine
    finally:
        mine.close()


def items(count: int) -> list[tuple[dict[str, Any], dict[str, str]]]:
    events = [(e, {}) for e in chains((count + 6) // 7)][:count]
    return [*ODD_EVENTS, *events][:count]


def test_chunks_from_the_helper_and_taken_back_make_the_document(helper: Helper) -> None:
    batch = items(430)
    expected = digest_all(batch)
    helper.steal = False  # everything from the helper
    pending = helper.submit(batch)
    assert pending is not None
    assert pending.results() == expected
    assert helper.helped >= len(batch) - CHUNK
    helper.steal = True  # both ends: what the helper has not claimed is computed here
    for _ in range(3):
        pending = helper.submit(batch)
        assert pending is not None
        assert pending.results() == expected


def test_values_marshal_cannot_send_go_by_pickle(helper: Helper) -> None:
    batch = items(250)
    batch[5] = ({**batch[5][0], "ex:when": datetime(2026, 3, 1, tzinfo=UTC)}, {"ex": "https://example.org/ns/"})
    helper.steal = False
    pending = helper.submit(batch)
    assert pending is not None
    got = pending.results()
    assert got == digest_all(batch) and got[5][1] == NOT_PLAIN  # a datetime is not JSON: the model decides


def test_a_helper_that_dies_leaves_the_rest_to_the_capture(helper: Helper) -> None:
    batch = items(600)
    helper.steal = False
    pending = helper.submit(batch)
    assert pending is not None
    helper._process.kill()
    assert pending.results() == digest_all(batch)  # what it had not sent is computed here
    assert helper.broken
    assert helper.start(wait=120.0)  # started again
    pending = helper.submit(batch)
    assert pending is not None and pending.results() == digest_all(batch)


def test_one_capture_at_a_time_the_others_compute_themselves(helper: Helper) -> None:
    batch = items(300)
    first = helper.submit(batch)
    assert first is not None
    assert helper.submit(batch) is None  # busy: the second capture computes in-process
    first.cancel()
    second = helper.submit(batch)
    assert second is not None and second.results() == digest_all(batch)
    assert helper.submit(items(digests.MIN_EVENTS - 1)) is None  # a small document is not sent


def test_an_abandoned_document_does_not_mix_with_the_next(helper: Helper) -> None:
    """A capture that fails after sending leaves the helper's answers for it unread; the next one drops them."""
    helper.steal = False
    old = helper.submit(items(500))
    assert old is not None
    time.sleep(0.05)
    old.cancel()
    batch = [(e, {}) for e in chains(40, start=900)]
    pending = helper.submit(batch)
    assert pending is not None and pending.results() == digest_all(batch)


def test_the_switch(monkeypatch: pytest.MonkeyPatch) -> None:
    mine = Helper()
    monkeypatch.setenv("REETRACE_FLOW_HELPER", "0")
    assert not mine.wanted() and not mine.start() and mine.submit(items(300)) is None
    monkeypatch.setenv("REETRACE_FLOW_HELPER", "1")
    monkeypatch.setattr(os, "cpu_count", lambda: 1)
    assert not mine.wanted()  # one CPU: nothing to run it on
    mine.enabled = True
    assert mine.wanted()
    assert HELPER is digests.HELPER


@pytest.mark.parametrize("steal", [True, False])
def test_a_pipe_that_takes_little_at_a_time_still_delivers_the_document(monkeypatch: pytest.MonkeyPatch,
                                                                        steal: bool) -> None:
    """Messages the pipe has not taken wait in the outbox: the capture sends them while it waits for their digests
    (or takes their chunks back), and a later document follows them in order."""
    monkeypatch.setattr(digests, "PIPE_BYTES", 4096)  # the smallest pipe Linux gives
    mine = Helper()
    mine.enabled, mine.steal = True, steal
    assert mine.start(wait=120.0)
    try:
        for start in (0, 100):
            batch = [(e, {}) for e in chains(60, start=start)]
            pending = mine.submit(batch)
            assert pending is not None
            assert len(mine._outbox) > 50_000  # most of the document did not fit
            assert pending.results() == digest_all(batch)
    finally:
        mine.close()


def test_a_server_worker_starts_the_helper_when_it_starts(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """``reetrace serve --workers N`` builds each worker with ``app_from_environment``, which starts the helper so
    that it is ready for the first large document (the single-process ``serve`` does the same before uvicorn)."""
    from reetrace.web.app import app_from_environment

    started: list[bool] = []
    real = HELPER.start
    monkeypatch.setattr(HELPER, "start", lambda **kw: started.append(real(**kw)) or started[-1])
    monkeypatch.setattr(HELPER, "enabled", True)
    monkeypatch.setenv("REETRACE_HOME", str(tmp_path / "home"))
    app = app_from_environment()
    try:
        assert len(started) == 1
        assert HELPER.start(wait=120.0)  # and it comes up
    finally:
        app.state.container.close()
