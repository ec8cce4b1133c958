"""The ledger's contract, on every backend: consecutive durable indices, verifiable checkpoints, proofs."""

from __future__ import annotations

import random

import pytest

from reetrace.container import Container, build_container
from reetrace.events import canonical_entry
from reetrace.log import tree
from reetrace.log.checkpoint import open_checkpoint
from reetrace.log.hashing import EMPTY_ROOT, leaf_hash
from reetrace.log.memory import MemoryTree
from reetrace.log.note import Signer
from reetrace.storage.engine import read_transaction
from reetrace.storage.logread import LogReader
from support.logdb import log_size, memory_tree, note, notes, stored_entries

BATCHES = [1, 3, 250, 2, 17, 256, 1, 40]  # crosses chunk boundaries (256) at several levels


def test_empty_log(container: Container) -> None:
    with read_transaction(container.engine) as conn:
        reader = LogReader(conn)
        assert reader.size() == 0
        assert reader.root() == EMPTY_ROOT
        assert reader.latest_checkpoint() is None


def test_indices_are_consecutive_and_roots_match_the_reference(container: Container) -> None:
    reference = MemoryTree()
    expected_index = 0
    recorded = []
    for n, batch in enumerate(BATCHES):
        events = notes(expected_index, batch)
        recorded += events
        appended = container.ledger.record(events)
        assert appended.indices == list(range(expected_index, expected_index + batch))
        for event in events:
            reference.append(canonical_entry(event))
        expected_index += batch
        assert appended.size == expected_index == reference.size
        assert appended.root == reference.root(), f"root differs after batch {n}"
        verified = open_checkpoint(appended.checkpoint, container.verifier)
        assert (verified.checkpoint.size, verified.checkpoint.root) == (appended.size, appended.root)
        assert verified.checkpoint.origin == container.settings.origin
    assert [(e, ev) for _, e, ev in stored_entries(container.engine)] == [(canonical_entry(e), e.id) for e in recorded]
    assert memory_tree(container.engine).root() == reference.root()


def test_entries_are_the_canonical_events(container: Container) -> None:
    events = [note(i) for i in range(5)]
    container.ledger.record(events)
    stored = stored_entries(container.engine)
    assert [(i, e, ev) for i, e, ev in stored] == [(i, canonical_entry(ev), ev.id) for i, ev in enumerate(events)]
    with read_transaction(container.engine) as conn:
        got = LogReader(conn).entry(3)
    assert got.leaf_hash == leaf_hash(got.entry)
    assert got.kind == "note" and got.tenant == "tenant-a" and got.event_id == events[3].id


def test_every_stored_checkpoint_verifies(container: Container) -> None:
    sizes = []
    for batch in BATCHES[:5]:
        sizes.append(container.ledger.record(notes(0, batch)).size)
    reference = memory_tree(container.engine)
    with read_transaction(container.engine) as conn:
        reader = LogReader(conn)
        for size in sizes:
            stored = reader.checkpoint(size)
            verified = open_checkpoint(stored.note, container.verifier)
            assert verified.checkpoint.size == size
            assert verified.checkpoint.root == stored.root == reference.root(size) == reader.root(size)
        assert reader.latest_checkpoint().size == sizes[-1]  # type: ignore[union-attr]
    # the checkpoint file outside the database holds the newest one
    published = container.settings.latest_checkpoint_path.read_text(encoding="utf-8")
    assert open_checkpoint(published, container.verifier).checkpoint.size == sizes[-1]


def test_checkpoints_do_not_verify_under_another_key(container: Container) -> None:
    appended = container.ledger.record(notes(0, 3))
    stranger = Signer.generate(container.settings.origin).verifier
    with pytest.raises(Exception) as caught:
        open_checkpoint(appended.checkpoint, stranger)
    assert getattr(caught.value, "code", None) == "checkpoint_unsigned"


def test_appends_are_durable_across_engines(container: Container) -> None:
    first = container.ledger.record(notes(0, 10))
    container.close()
    again = build_container(container.settings)
    try:
        assert log_size(again.engine) == 10
        second = again.ledger.record(notes(10, 5))
        assert second.indices == list(range(10, 15))
        assert stored_entries(again.engine)[9][2] == stored_entries(container.engine)[9][2]
        with read_transaction(again.engine) as conn:
            tree.verify_consistency(10, 15, first.root, second.root, LogReader(conn).consistency_proof(10, 15))
    finally:
        again.close()


def test_unit_of_work_commits_everything_together(container: Container) -> None:
    with container.unit_of_work() as (uow, _vault):
        assert uow.record(note(0)) == 0
        assert uow.record_many([note(1), note(2)]) == [1, 2]
    assert log_size(container.engine) == 3
    with container.unit_of_work():
        pass  # an empty unit of work signs nothing
    with read_transaction(container.engine) as conn:
        assert [c.size for c in [LogReader(conn).latest_checkpoint()] if c] == [3]


def _proof_pairs(size: int, rng: random.Random) -> list[tuple[int, int]]:
    pairs = {(0, 1), (0, size), (size - 1, size), (255, 256), (256, 257), (511, size)}
    for _ in range(150):
        s = rng.randint(1, size)
        pairs.add((rng.randrange(s), s))
    return sorted(p for p in pairs if p[0] < p[1] <= size)


def test_inclusion_and_consistency_proofs_at_many_sizes(container: Container) -> None:
    rng = random.Random(7)
    for batch in [300, 1, 211, 37, 256]:
        container.ledger.record(notes(0, batch))
    reference = memory_tree(container.engine)
    size = reference.size
    with read_transaction(container.engine) as conn:
        reader = LogReader(conn)
        assert reader.size() == size == 805
        for index, at in _proof_pairs(size, rng):
            proof = reader.inclusion_proof(index, at)
            assert proof == reference.inclusion_proof(index, at)
            tree.verify_inclusion(reference.leaf_hash(index), index, at, proof, reader.root(at))
        for _ in range(150):
            new = rng.randint(1, size)
            old = rng.randint(1, new)
            proof = reader.consistency_proof(old, new)
            assert proof == reference.consistency_proof(old, new)
            tree.verify_consistency(old, new, reader.root(old), reader.root(new), proof)
        # a proof for another tree fails
        proof = reader.inclusion_proof(5, 100)
        with pytest.raises(Exception) as caught:
            tree.verify_inclusion(reference.leaf_hash(6), 5, 100, proof, reader.root(100))
        assert getattr(caught.value, "code", None)


@pytest.mark.parametrize(("index", "size"), [(-1, None), (5, 5), (0, 0), (0, 6)])
def test_inclusion_proof_out_of_range(container: Container, index: int, size: int | None) -> None:
    container.ledger.record(notes(0, 5))
    with read_transaction(container.engine) as conn, pytest.raises(Exception) as caught:
        LogReader(conn).inclusion_proof(index, size)
    assert getattr(caught.value, "code", None) == "out_of_range"


@pytest.mark.parametrize(("old", "new"), [(3, 2), (-1, 4), (2, 6)])
def test_consistency_proof_out_of_range(container: Container, old: int, new: int) -> None:
    container.ledger.record(notes(0, 5))
    with read_transaction(container.engine) as conn, pytest.raises(Exception) as caught:
        LogReader(conn).consistency_proof(old, new)
    assert getattr(caught.value, "code", None) == "out_of_range"
