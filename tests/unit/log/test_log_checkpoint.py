"""C2SP tlog-checkpoint parsing, signing and fail-closed opening."""

from __future__ import annotations

import base64

import pytest
from log_helpers import ORIGIN, LogFixture

from reetrace.errors import VerificationError
from reetrace.log.checkpoint import Checkpoint, open_checkpoint, sign_checkpoint
from reetrace.log.errors import CheckpointError, NoteError
from reetrace.log.hashing import EMPTY_ROOT
from reetrace.log.note import CosignatureSigner, SignatureLine, Signer, add_signatures, sign_note

ROOT = bytes(range(32))
ROOT_B64 = base64.b64encode(ROOT).decode()


def test_text_and_parse_round_trip() -> None:
    cp = Checkpoint("example.com/log", 12, ROOT, ("ext one", "ext two"))
    assert cp.text() == f"example.com/log\n12\n{ROOT_B64}\next one\next two\n"
    assert Checkpoint.parse(cp.text()) == cp
    assert Checkpoint.parse(f"o\n0\n{base64.b64encode(EMPTY_ROOT).decode()}\n").size == 0


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (f"example.com/log\n012\n{ROOT_B64}\n", "without leading zeros"),
        (f"example.com/log\n-1\n{ROOT_B64}\n", "decimal"),
        (f"example.com/log\n+1\n{ROOT_B64}\n", "decimal"),
        (f"example.com/log\n１\n{ROOT_B64}\n", "decimal"),  # full-width digit
        (f"example.com/log\n{2**63}\n{ROOT_B64}\n", "below 2"),
        (f"example.com log\n1\n{ROOT_B64}\n", "origin"),
        (f"example.com+log\n1\n{ROOT_B64}\n", "origin"),
        (f"\n1\n{ROOT_B64}\n", "origin"),
        ("example.com/log\n1\n" + base64.b64encode(ROOT[:31]).decode() + "\n", "of 32 bytes, got 31"),
        ("example.com/log\n1\n" + ROOT_B64.rstrip("=") + "\n", "base64"),
        ("example.com/log\n1\n" + ROOT_B64[:-2] + "9=\n", "canonical"),  # non-zero padding bits
        ("example.com/log\n1\n", "got 2 line"),
        (f"example.com/log\n1\n{ROOT_B64}", "end with a newline"),
        (f"example.com/log\n1\n{ROOT_B64}\n\n", "extension lines must be non-empty"),
    ],
)
def test_parse_is_strict(text: str, message: str) -> None:
    with pytest.raises(CheckpointError, match=message):
        Checkpoint.parse(text)


def test_sign_and_open(log: LogFixture) -> None:
    note = log.signed()
    verified = open_checkpoint(note, log.signer.verifier)
    assert verified.checkpoint == log.checkpoint()
    assert verified.cosignatures == {}
    assert verified.note == note


def test_wrong_key_fails_closed(log: LogFixture) -> None:
    other = Signer.generate(ORIGIN)
    with pytest.raises(CheckpointError, match="not signed by log key") as info:
        open_checkpoint(log.signed(), other.verifier)
    assert info.value.http_status == 422


def test_forged_checkpoint_fails(log: LogFixture) -> None:
    note = log.signed(10)
    forged = note.replace("\n10\n", "\n11\n", 1)
    with pytest.raises(NoteError, match="does not verify"):
        open_checkpoint(forged, log.signer.verifier)
    swapped_root = note.replace(
        base64.b64encode(log.tree.root(10)).decode(), base64.b64encode(log.tree.root(11)).decode()
    )
    with pytest.raises(VerificationError):
        open_checkpoint(swapped_root, log.signer.verifier)


def test_truncated_checkpoint_fails(log: LogFixture) -> None:
    note = log.signed()
    text = log.checkpoint().text()
    for cut in (note[:-1], note[: len(text)], note[: len(text) + 1], text[:-20]):
        with pytest.raises(VerificationError):
            open_checkpoint(cut, log.signer.verifier)
    body_only = "\n".join(text.split("\n")[:2]) + "\n"
    with pytest.raises(CheckpointError, match="got 2 line"):
        open_checkpoint(sign_note(body_only, [log.signer]), log.signer.verifier)


def test_origin_must_equal_key_name(log: LogFixture) -> None:
    impostor = Signer.generate("other.example/log")
    with pytest.raises(
        CheckpointError, match=r"expected 'example\.com/reetrace/log1', got 'other\.example/log'"
    ):
        sign_checkpoint(log.checkpoint(), impostor)
    note = sign_note(log.checkpoint().text(), [impostor])
    with pytest.raises(CheckpointError, match="origin must equal the log key name") as info:
        open_checkpoint(note, impostor.verifier)
    assert info.value.code == "origin_mismatch"


def test_witness_signature_alone_is_not_enough(
    log: LogFixture, witness_signers: list[CosignatureSigner]
) -> None:
    witness = witness_signers[0]
    note = sign_note(log.checkpoint().text(), [witness])
    with pytest.raises(CheckpointError, match=r"no signature by log key .*verified only \[witness0"):
        open_checkpoint(note, log.signer.verifier, [witness.verifier])


def test_cosignatures_are_reported_and_forgeries_rejected(
    log: LogFixture, witness_signers: list[CosignatureSigner]
) -> None:
    w0, w1, w2 = witness_signers
    w0.clock = lambda: 1000.0
    w1.clock = lambda: 2000.0
    note = add_signatures(log.signed(), [w0, w1, w2])
    verified = open_checkpoint(note, log.signer.verifier, [w0.verifier, w1.verifier])
    assert verified.cosignatures == {w0.name: 1000, w1.name: 2000}
    forged = note + SignatureLine(w2.name, w2.key_id, bytes(72)).line()
    with pytest.raises(NoteError, match="does not verify"):
        open_checkpoint(forged, log.signer.verifier, [w2.verifier])
    other_text = log.checkpoint(5).text()
    transplanted = log.signed() + SignatureLine(w0.name, w0.key_id, w0.note_signature(other_text)).line()
    with pytest.raises(NoteError, match="does not verify"):
        open_checkpoint(transplanted, log.signer.verifier, [w0.verifier])
