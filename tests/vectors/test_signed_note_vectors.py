"""C2SP signed-note, checkpoint, witness request and cosignature vectors (shared/vectors/signed-note)."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import pytest

from reetrace.log.checkpoint import Checkpoint
from reetrace.log.errors import NoteError
from reetrace.log.note import (
    CosignatureSigner,
    CosignatureVerifier,
    Signer,
    Verifier,
    cosignature_message,
    open_note,
    sign_note,
    split_note,
)
from reetrace.log.witness import AddCheckpointRequest


@pytest.fixture(scope="module")
def vectors(shared_dir: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(
        (shared_dir / "vectors/signed-note/signed-note-vectors.json").read_text(encoding="utf-8")
    )
    return data


def _by_id(vectors: dict[str, Any], section: str, vector_id: str) -> dict[str, Any]:
    matches: list[dict[str, Any]] = [v for v in vectors[section] if v["id"] == vector_id]
    assert len(matches) == 1, f"vector {vector_id} not found exactly once in {section}"
    return matches[0]


NOTE_IDS = ["c2sp-signed-note-spec-example", "go-sumdb-note-peterneumann"]


@pytest.mark.parametrize("vector_id", NOTE_IDS)
def test_ed25519_note_verifies(vectors: dict[str, Any], vector_id: str) -> None:
    vector = _by_id(vectors, "ed25519_notes", vector_id)
    verifier = Verifier.from_vkey(vector["vkey"])
    assert verifier.key_id.hex() == vector["expected_key_id_hex"]
    assert verifier.vkey == vector["vkey"]
    opened = open_note(vector["signed_note"], [verifier])
    assert vector["want_valid"] is True
    assert opened.text == vector["text"]
    assert opened.verified_by == [verifier]
    assert opened.unknown == ()


@pytest.mark.parametrize("vector_id", NOTE_IDS)
def test_ed25519_note_rejects_tampering(vectors: dict[str, Any], vector_id: str) -> None:
    vector = _by_id(vectors, "ed25519_notes", vector_id)
    verifier = Verifier.from_vkey(vector["vkey"])
    tampered = vector["signed_note"].replace(vector["text"], vector["text"].replace("a", "A", 1), 1)
    with pytest.raises(NoteError, match="does not verify"):
        open_note(tampered, [verifier])
    other = Signer.generate(verifier.name).verifier  # same name, other key: unknown, so nothing verifies
    with pytest.raises(NoteError, match="no signature by a known key"):
        open_note(vector["signed_note"], [other])


def test_peterneumann_signature_is_reproduced_byte_for_byte(vectors: dict[str, Any]) -> None:
    vector = _by_id(vectors, "ed25519_notes", "go-sumdb-note-peterneumann")
    signer = Signer.from_skey(vector["skey"])
    assert signer.skey == vector["skey"]
    assert signer.vkey == vector["vkey"]
    assert signer.key_id.hex() == vector["expected_key_id_hex"]
    assert sign_note(vector["text"], [signer]) == vector["signed_note"]


def test_checkpoint_example_parses(vectors: dict[str, Any]) -> None:
    vector = _by_id(vectors, "parse_only", "c2sp-tlog-checkpoint-example")
    expected = vector["expected"]
    text, lines = split_note(vector["signed_note"])
    checkpoint = Checkpoint.parse(text)
    assert checkpoint.origin == expected["origin"]
    assert checkpoint.size == expected["tree_size"]
    assert checkpoint.root == base64.b64decode(expected["root_hash_b64"])
    assert list(checkpoint.extensions) == expected["extension_lines"]
    assert len(lines) == expected["signature_lines"]
    assert checkpoint.text() == text
    assert lines[0].name == expected["origin"]


def test_witness_request_example_parses(vectors: dict[str, Any]) -> None:
    vector = _by_id(vectors, "parse_only", "c2sp-tlog-witness-add-checkpoint-request")
    expected = vector["expected"]
    request = AddCheckpointRequest.parse(vector["body"])
    assert request.old_size == expected["old_size"]
    assert len(request.proof) == expected["consistency_proof_lines"]
    assert all(len(h) == 32 for h in request.proof)
    text, lines = split_note(request.checkpoint)
    assert Checkpoint.parse(text).size == expected["checkpoint_tree_size"]
    assert len(lines) == expected["checkpoint_signature_lines"]
    assert request.body() == vector["body"]


def test_cosignature_message_bytes(vectors: dict[str, Any]) -> None:
    vector = _by_id(vectors, "parse_only", "c2sp-cosignature-v1-signed-message")
    message: str = vector["signed_message"]
    header, time_line, body = message.split("\n", 2)
    timestamp = int(time_line.removeprefix("time "))
    assert cosignature_message(body, timestamp) == message.encode()
    # A cosigner over that checkpoint signs exactly those bytes, behind key ID and u64 timestamp.
    cosigner = CosignatureSigner.generate("witness.example/w1")
    blob = cosigner.cosign(body, timestamp)
    assert blob[:8] == timestamp.to_bytes(8, "big")
    cosigner.public_key.verify(blob[8:], message.encode())
    assert CosignatureVerifier.from_vkey(cosigner.vkey).verify(body, blob) == timestamp
    assert header == "cosignature/v1"
