"""Witnesses end to end through the command: init, trust, cosign, a 2-of-3 policy, and refused rollbacks and forks."""

from __future__ import annotations

import shutil
from pathlib import Path

from reetrace.container import build_container
from reetrace.events import Event
from reetrace.log.note import CosignatureVerifier
from reetrace.log.policy import WitnessPolicy
from reetrace.witnessing import LocalWitness, WitnessNode, cosign_latest
from support.backends import make_settings
from support.logdb import note, notes
from support.processes import reetrace

NAMES = ["witness.customs.example", "witness.mofcom.example", "witness.buyer.example"]


def _record(home: Path, *events_batches: list[Event]) -> None:
    container = build_container(make_settings(home))
    try:
        for batch in events_batches:
            container.ledger.record(batch)
    finally:
        container.close()


def _policy(tmp_path: Path, log_vkey: str, vkeys: list[str], quorum: int = 2) -> Path:
    policy = tmp_path / "policy.txt"
    policy.write_text(f"log {log_vkey}\n" + "".join(f"witness w{n} {v}\n" for n, v in enumerate(vkeys))
                      + f"quorum {quorum}\n", encoding="utf-8")
    return policy


def test_two_of_three_witnesses(tmp_path: Path) -> None:
    home = tmp_path / "home"
    _record(home, notes(0, 20))
    witnesses = [tmp_path / f"w{n}" for n in range(3)]
    vkeys = [reetrace(home, "witness", "init", str(w), "--name", name).stdout.strip()
             for w, name in zip(witnesses[:2], NAMES, strict=False)]
    vkeys.append(WitnessNode.init(witnesses[2], NAMES[2]).vkey)  # the third one never cosigns here
    assert [CosignatureVerifier.from_vkey(v).name for v in vkeys] == NAMES
    assert reetrace(home, "witness", "vkey", str(witnesses[1])).stdout.strip() == vkeys[1]
    log_vkey = reetrace(home, "log", "key").stdout.strip()
    for w in witnesses[:2]:
        assert "trusting reetrace.local/log" in reetrace(home, "witness", "trust", str(w), log_vkey).stdout
    policy = _policy(tmp_path, log_vkey, vkeys)

    assert "cosigned size 20 by" in reetrace(home, "log", "cosign", "--witness", str(witnesses[0])).stdout
    refused = reetrace(home, "log", "verify", "--policy", str(policy), code=2)
    assert "policy_unsatisfied" in refused.stderr and "from 2 of 3 witnesses, got 1" in refused.stderr
    reetrace(home, "log", "cosign", "--witness", str(witnesses[1]))
    ok = reetrace(home, "log", "verify", "--policy", str(policy)).stdout
    assert "ok" in ok and NAMES[0] in ok and NAMES[1] in ok and NAMES[2] not in ok


def test_witnesses_follow_a_growing_log(tmp_path: Path) -> None:
    """Witnesses that cosigned size 20 need, and get, a consistency proof from 20; a new one starts from 0."""
    home = tmp_path / "home"
    _record(home, notes(0, 20))
    container = build_container(make_settings(home))
    try:
        log_vkey = container.verifier.vkey
        nodes = [WitnessNode.init(tmp_path / f"w{n}", name) for n, name in enumerate(NAMES)]
        for node in nodes:
            node.trust(log_vkey)
        first = cosign_latest(container.engine, [LocalWitness(n) for n in nodes[:2]])
        assert first.size == 20 and len(first.cosigned_by) == 2
        container.ledger.record(notes(20, 15))
    finally:
        container.close()
    out = reetrace(home, "log", "cosign", *[arg for n in nodes for arg in ("--witness", str(n.directory))]).stdout
    assert out.count("cosigned size 35") == 3
    # the cosigned checkpoint is published to the checkpoint file too, and that file verifies by itself
    published = home / "checkpoint"
    policy = _policy(tmp_path, log_vkey, [n.vkey for n in nodes], 3)
    verified = WitnessPolicy.parse(policy.read_text(encoding="utf-8")).verify(published.read_text(encoding="utf-8"))
    assert verified.checkpoint.size == 35 and set(verified.cosignatures) == set(NAMES)
    ok = reetrace(home, "log", "verify", "--checkpoint", str(published), "--policy", str(policy)).stdout
    assert "size 35" in ok and all(name in ok for name in NAMES)
    # cosignature lines on the stored checkpoints do not disturb the audit
    assert "ok: 35 entries" in reetrace(home, "log", "audit").stdout


def test_witness_refuses_rollback_and_fork(tmp_path: Path) -> None:
    home = tmp_path / "log"
    _record(home, notes(0, 5))
    backup = tmp_path / "backup-at-5"  # the same log (same key), as it was at size 5
    shutil.copytree(home, backup)
    fork_same_size, fork_longer = tmp_path / "fork-8", tmp_path / "fork-10"
    shutil.copytree(home, fork_same_size)
    shutil.copytree(home, fork_longer)
    _record(home, notes(5, 3))
    _record(fork_same_size, [note(500), note(501), note(502)])
    _record(fork_longer, [note(600 + n) for n in range(5)])

    witness = WitnessNode.init(tmp_path / "witness", "witness.customs.example")
    container = build_container(make_settings(home))
    witness.trust(container.verifier.vkey)
    container.close()
    origin = "reetrace.local/log"

    assert "cosigned size 8" in reetrace(home, "log", "cosign", "--witness", str(witness.directory)).stdout
    state = witness.witness().state.get(origin)
    assert state is not None and state.size == 8

    for other, why in ((backup, "rollback to size 5"), (fork_same_size, "fork at size 8"),
                       (fork_longer, "fork grown to size 10")):
        result = reetrace(other, "log", "cosign", "--witness", str(witness.directory), code=1)
        assert "refused" in result.stdout, f"{why}: {result.stdout}"
        assert witness.witness().state.get(origin) == state, f"{why} moved the witness's state"
    # the honest log still gets cosigned as it grows
    _record(home, notes(8, 2))
    assert "cosigned size 10" in reetrace(home, "log", "cosign", "--witness", str(witness.directory)).stdout
