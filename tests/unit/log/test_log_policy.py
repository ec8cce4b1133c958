"""Witness policy: N of M cosignatures on a log-signed checkpoint."""

from __future__ import annotations

import pytest
from log_helpers import LogFixture

from reetrace.errors import Error
from reetrace.log.checkpoint import sign_checkpoint
from reetrace.log.errors import CheckpointError, NoteError, PolicyError
from reetrace.log.note import CosignatureSigner, SignatureLine, Signer, add_signatures
from reetrace.log.policy import WitnessPolicy


def policy_text(log: LogFixture, witnesses: list[CosignatureSigner], quorum: str) -> str:
    lines = ["# reetrace production policy", f"log {log.signer.vkey} https://log.example/"]
    lines += [f"witness w{i} {w.vkey}  # operated by org {i}" for i, w in enumerate(witnesses)]
    return "\n".join([*lines, "", f"quorum {quorum}"]) + "\n"


def test_parse_and_text_round_trip(log: LogFixture, witness_signers: list[CosignatureSigner]) -> None:
    policy = WitnessPolicy.parse(policy_text(log, witness_signers, "2"))
    assert policy.log == log.signer.verifier
    assert list(policy.witnesses) == [w.verifier for w in witness_signers]
    assert policy.quorum == 2
    assert policy.labels[witness_signers[1].name] == "w1"
    assert WitnessPolicy.parse(policy.text()) == policy
    assert WitnessPolicy.parse(policy_text(log, [], "none")).quorum == 0


def test_quorum_met(log: LogFixture, witness_signers: list[CosignatureSigner]) -> None:
    policy = WitnessPolicy.parse(policy_text(log, witness_signers, "2"))
    note = add_signatures(log.signed(), witness_signers[:2])
    verified = policy.verify(note)
    assert verified.checkpoint == log.checkpoint()
    assert set(verified.cosignatures) == {w.name for w in witness_signers[:2]}


def test_quorum_not_met_names_counts(log: LogFixture, witness_signers: list[CosignatureSigner]) -> None:
    policy = WitnessPolicy.parse(policy_text(log, witness_signers, "2"))
    outsider = CosignatureSigner.generate("outsider.example")
    note = add_signatures(log.signed(), [witness_signers[0], outsider])
    with pytest.raises(PolicyError, match=r"from 2 of 3 witnesses, got 1 \(witness0.example.org\)"):
        policy.verify(note)
    with pytest.raises(PolicyError, match=r"got 0 \(none\)"):
        policy.verify(log.signed())


def test_duplicate_cosignature_lines_count_once(
    log: LogFixture, witness_signers: list[CosignatureSigner]
) -> None:
    policy = WitnessPolicy.parse(policy_text(log, witness_signers, "2"))
    w0 = witness_signers[0]
    note = add_signatures(log.signed(), [w0])
    w0.clock = lambda: 5.0
    note += SignatureLine(w0.name, w0.key_id, w0.note_signature(log.checkpoint().text())).line()
    with pytest.raises(PolicyError, match="got 1"):
        policy.verify(note)


def test_bad_cosignature_from_listed_witness_rejects(
    log: LogFixture, witness_signers: list[CosignatureSigner]
) -> None:
    policy = WitnessPolicy.parse(policy_text(log, witness_signers, "1"))
    w0, w1 = witness_signers[:2]
    note = add_signatures(log.signed(), [w0]) + SignatureLine(w1.name, w1.key_id, bytes(72)).line()
    with pytest.raises(NoteError, match="does not verify"):
        policy.verify(note)


def test_log_signature_required(log: LogFixture, witness_signers: list[CosignatureSigner]) -> None:
    policy = WitnessPolicy.parse(policy_text(log, witness_signers, "0"))
    impostor = Signer.generate(log.signer.name)
    note = add_signatures(sign_checkpoint(log.checkpoint(), impostor), witness_signers)
    with pytest.raises(CheckpointError):
        policy.verify(note)


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda t: t.replace("quorum 2", "quorum 4"), r"quorum must be in \[0, 3\]"),
        (lambda t: t.replace("quorum 2", "quorum 02"), "decimal count"),
        (lambda t: t.replace("quorum 2", ""), "needs a 'log' line and a 'quorum' line"),
        (lambda t: t + "group g all w0 w1\n", "unknown or malformed directive"),
        (lambda t: t + t.splitlines()[1] + "\n", "exactly one log"),
        (lambda t: t + t.splitlines()[2] + "\n", "must be unique"),
        (lambda t: t.replace("witness w0 ", "witness w0 junk+00+AA== "), "policy line 3"),
    ],
)
def test_invalid_policies(
    log: LogFixture, witness_signers: list[CosignatureSigner], mutate: object, message: str
) -> None:
    assert callable(mutate)
    with pytest.raises(Error, match=message) as info:
        WitnessPolicy.parse(mutate(policy_text(log, witness_signers, "2")))
    assert info.value.http_status == 400


def test_log_key_of_wrong_type_rejected(log: LogFixture, witness_signers: list[CosignatureSigner]) -> None:
    text = policy_text(log, witness_signers, "1").replace(log.signer.vkey, witness_signers[0].vkey)
    with pytest.raises(Error, match="type 0x01"):
        WitnessPolicy.parse(text)
