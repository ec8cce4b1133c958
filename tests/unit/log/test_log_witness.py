"""C2SP tlog-witness add-checkpoint: statuses, state, rollback and fork protection."""

from __future__ import annotations

import base64
import json
import threading
from pathlib import Path

import pytest
from log_helpers import ORIGIN, LogFixture

from reetrace.errors import Error
from reetrace.log.checkpoint import Checkpoint, open_checkpoint, sign_checkpoint
from reetrace.log.errors import WitnessError
from reetrace.log.hashing import EMPTY_ROOT
from reetrace.log.memory import MemoryTree
from reetrace.log.note import CosignatureSigner, Signer, merge_signature_lines, sign_note
from reetrace.log.witness import (
    AddCheckpointRequest,
    FileWitnessState,
    MemoryWitnessState,
    TreeState,
    Witness,
    WitnessStateStore,
    build_add_checkpoint_body,
    parse_size_response,
)

NOW = 1_760_000_000


@pytest.fixture(params=["memory", "file"])
def state(request: pytest.FixtureRequest, tmp_path: Path) -> WitnessStateStore:
    return MemoryWitnessState() if request.param == "memory" else FileWitnessState(tmp_path / "witness")


@pytest.fixture
def witness(log: LogFixture, witness_signers: list[CosignatureSigner], state: WitnessStateStore) -> Witness:
    return Witness(witness_signers[0], {ORIGIN: log.signer.verifier}, state, clock=lambda: NOW + 0.5)


def add(witness: Witness, log: LogFixture, old: int, new: int, proof: list[bytes] | None = None) -> str:
    if proof is None:
        proof = log.tree.consistency_proof(old, new) if old else []
    return witness.add_checkpoint(build_add_checkpoint_body(old, proof, log.signed(new)))


def status(witness: Witness, body: str | bytes) -> WitnessError:
    with pytest.raises(WitnessError) as info:
        witness.add_checkpoint(body)
    return info.value


def test_first_checkpoint_then_consistent_growth(witness: Witness, log: LogFixture) -> None:
    line = add(witness, log, 0, 5)
    cosigned = merge_signature_lines(log.signed(5), line)
    verified = open_checkpoint(cosigned, log.signer.verifier, [witness.signer.verifier])
    assert verified.cosignatures == {witness.signer.name: NOW}
    assert witness.state.get(ORIGIN) == TreeState(5, log.tree.root(5))
    add(witness, log, 5, 13)
    add(witness, log, 13, 13)  # re-cosigning the same checkpoint is fine
    assert witness.state.get(ORIGIN) == TreeState(13, log.tree.root(13))


def test_409_carries_the_stored_size(witness: Witness, log: LogFixture) -> None:
    add(witness, log, 0, 8)
    error = status(witness, build_add_checkpoint_body(3, log.tree.consistency_proof(3, 12), log.signed(12)))
    assert (error.http_status, error.current_size) == (409, 8)
    assert error.response_body() == "8\n"
    assert parse_size_response(error.response_body()) == 8
    error = status(witness, build_add_checkpoint_body(0, [], log.signed(12)))
    assert (error.http_status, error.current_size) == (409, 8)
    add(witness, log, 8, 12)  # the client retries with the size from the 409


def test_404_unknown_origin(witness: Witness) -> None:
    stranger = Signer.generate("unknown.example/log")
    note = sign_checkpoint(Checkpoint(stranger.name, 0, EMPTY_ROOT), stranger)
    assert status(witness, build_add_checkpoint_body(0, [], note)).http_status == 404


def test_403_wrong_key_or_forged_signature(witness: Witness, log: LogFixture) -> None:
    impostor = Signer.generate(ORIGIN)
    note = sign_checkpoint(log.checkpoint(5), impostor)
    assert status(witness, build_add_checkpoint_body(0, [], note)).http_status == 403
    forged = log.signed(5).replace("\n5\n", "\n6\n", 1)
    assert status(witness, build_add_checkpoint_body(0, [], forged)).http_status == 403
    assert witness.state.get(ORIGIN) is None


def test_400_old_larger_than_new_and_rollback(witness: Witness, log: LogFixture) -> None:
    add(witness, log, 0, 10)
    error = status(witness, build_add_checkpoint_body(10, [], log.signed(4)))
    assert error.http_status == 400 and "old size 10 is larger than checkpoint size 4" in error.message
    assert witness.state.get(ORIGIN) == TreeState(10, log.tree.root(10))


@pytest.mark.parametrize(
    "body",
    [
        "old 01\n\n",
        "old -1\n\n",
        "new 1\n\n",
        "old 1\nnot base64!\n\n",
        "old 1\n" + base64.b64encode(bytes(31)).decode() + "\n\n",
        "old 1\n" + (base64.b64encode(bytes(32)).decode() + "\n") * 64 + "\n",
        "old 1\n" + base64.b64encode(bytes(32)).decode() + "\n",
        "old 0\n\nnot a checkpoint\n",
        b"old 0\n\n\xff\n",
    ],
)
def test_400_malformed_requests(witness: Witness, body: str | bytes) -> None:
    assert status(witness, body).http_status == 400


def test_422_bad_proof_and_proof_for_another_tree(witness: Witness, log: LogFixture) -> None:
    add(witness, log, 0, 6)
    proof = log.tree.consistency_proof(6, 15)
    bad = [proof[0], bytes(32), *proof[2:]]
    assert status(witness, build_add_checkpoint_body(6, bad, log.signed(15))).http_status == 422
    other = MemoryTree(f"other {i}".encode() for i in range(20))
    foreign = other.consistency_proof(6, 15)
    error = status(witness, build_add_checkpoint_body(6, foreign, log.signed(15)))
    assert error.http_status == 422 and "consistency proof rejected" in error.message
    assert witness.state.get(ORIGIN) == TreeState(6, log.tree.root(6))


def test_422_fork_same_size_other_root(witness: Witness, log: LogFixture) -> None:
    add(witness, log, 0, 7)
    fork = MemoryTree(f"fork {i}".encode() for i in range(7))
    note = sign_checkpoint(Checkpoint(ORIGIN, 7, fork.root()), log.signer)
    error = status(witness, build_add_checkpoint_body(7, [], note))
    assert error.http_status == 422 and log.tree.root(7).hex() in error.message
    forked_growth = MemoryTree([*(f"entry {i}".encode() for i in range(6)), b"evil", b"more"])
    note = sign_checkpoint(Checkpoint(ORIGIN, 8, forked_growth.root()), log.signer)
    error = status(witness, build_add_checkpoint_body(7, forked_growth.consistency_proof(7, 8), note))
    assert error.http_status == 422


def test_422_non_empty_proof_from_zero_and_bad_empty_root(witness: Witness, log: LogFixture) -> None:
    error = status(witness, build_add_checkpoint_body(0, [bytes(32)], log.signed(3)))
    assert error.http_status == 422 and "old size 0 must be empty" in error.message
    note = sign_checkpoint(Checkpoint(ORIGIN, 0, bytes(32)), log.signer)
    assert status(witness, build_add_checkpoint_body(0, [], note)).http_status == 422
    empty = sign_checkpoint(Checkpoint(ORIGIN, 0, EMPTY_ROOT), log.signer)
    witness.add_checkpoint(build_add_checkpoint_body(0, [], empty))
    assert witness.state.get(ORIGIN) == TreeState(0, EMPTY_ROOT)
    add(witness, log, 0, 4)


def test_state_refuses_rollback_fork_and_stale_writes(state: WitnessStateStore) -> None:
    a, b = TreeState(5, bytes([1]) * 32), TreeState(9, bytes([2]) * 32)
    state.compare_and_swap("o", None, a)
    state.compare_and_swap("o", a, b)
    with pytest.raises(WitnessError) as info:
        state.compare_and_swap("o", b, a)
    assert (info.value.http_status, info.value.current_size) == (409, 9)
    with pytest.raises(WitnessError) as info:
        state.compare_and_swap("o", a, TreeState(12, bytes(32)))  # stale expectation
    assert (info.value.http_status, info.value.current_size) == (409, 9)
    with pytest.raises(WitnessError) as info:
        state.compare_and_swap("o", b, TreeState(9, bytes(32)))
    assert info.value.http_status == 422
    assert state.get("o") == b and state.get("other") is None


def test_file_state_persists_atomically(
    tmp_path: Path, log: LogFixture, witness_signers: list[CosignatureSigner]
) -> None:
    directory = tmp_path / "w"
    first = Witness(witness_signers[0], {ORIGIN: log.signer.verifier}, FileWitnessState(directory))
    add(first, log, 0, 9)
    files = sorted(p.name for p in directory.iterdir())
    assert [n for n in files if n.endswith(".json")] and not [n for n in files if n.endswith(".tmp")]
    data = json.loads(next(directory.glob("*.json")).read_text())
    assert data == {"origin": ORIGIN, "size": 9, "root": base64.b64encode(log.tree.root(9)).decode()}
    second = Witness(witness_signers[0], {ORIGIN: log.signer.verifier}, FileWitnessState(directory))
    error = status(second, build_add_checkpoint_body(0, [], log.signed(3)))
    assert (error.http_status, error.current_size) == (409, 9)


def test_corrupt_state_file_fails_closed(tmp_path: Path) -> None:
    store = FileWitnessState(tmp_path)
    store.compare_and_swap("o", None, TreeState(3, bytes(32)))
    path = next(tmp_path.glob("*.json"))
    contents = (
        "{not json",
        '{"origin": "o", "size": -1, "root": ""}',
        '{"origin": "x"}',
        '{"origin": "o", "size": 1, "root": "AA=="}',
    )
    for content in contents:
        path.write_text(content)
        with pytest.raises(Error, match=r"witness state file .* is corrupt") as info:
            store.get("o")
        assert info.value.http_status == 500


def test_concurrent_updates_from_one_state_let_exactly_one_win(tmp_path: Path) -> None:
    stores = [FileWitnessState(tmp_path) for _ in range(8)]
    start = TreeState(1, bytes(32))
    stores[0].compare_and_swap("o", None, start)
    outcomes: list[str] = []
    barrier = threading.Barrier(len(stores))

    def race(i: int, store: FileWitnessState) -> None:
        barrier.wait()
        try:
            store.compare_and_swap("o", start, TreeState(2 + i, bytes([i]) * 32))
            outcomes.append("won")
        except WitnessError:
            outcomes.append("lost")

    threads = [threading.Thread(target=race, args=(i, s)) for i, s in enumerate(stores)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["lost"] * 7 + ["won"]


def test_request_body_round_trip(log: LogFixture) -> None:
    proof = log.tree.consistency_proof(3, 9)
    body = build_add_checkpoint_body(3, proof, log.signed(9))
    request = AddCheckpointRequest.parse(body.encode())
    assert request == AddCheckpointRequest(3, tuple(proof), log.signed(9))
    assert body.startswith("old 3\n") and body.count("\n\n") == 2


def test_witness_ignores_unknown_cosignatures_on_input(witness: Witness, log: LogFixture) -> None:
    other_witness = CosignatureSigner.generate("someone.else")
    note = sign_note(log.checkpoint(4).text(), [log.signer, other_witness])
    line = witness.add_checkpoint(build_add_checkpoint_body(0, [], note))
    assert line.startswith("\u2014 " + witness.signer.name + " ")
