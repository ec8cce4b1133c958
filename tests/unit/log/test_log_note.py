"""C2SP signed notes and cosignatures (reetrace.log.note)."""

from __future__ import annotations

import base64
import hashlib

import pytest

from reetrace.errors import Error
from reetrace.log.errors import NoteError
from reetrace.log.note import (
    COSIGNATURE_ED25519,
    ED25519,
    CosignatureSigner,
    CosignatureVerifier,
    SignatureLine,
    Signer,
    Verifier,
    add_signatures,
    merge_signature_lines,
    open_note,
    parse_vkey,
    sign_note,
    split_note,
)

TEXT = "reetrace test note\nsecond line\n"


@pytest.fixture
def alice() -> Signer:
    return Signer.generate("alice.example")


@pytest.fixture
def bob() -> Signer:
    return Signer.generate("bob.example")


def test_key_id_and_key_strings_round_trip(alice: Signer) -> None:
    expected_id = hashlib.sha256(b"alice.example\n\x01" + alice.public_bytes).digest()[:4]
    assert alice.key_id == expected_id
    assert alice.vkey.startswith(f"alice.example+{expected_id.hex()}+")
    again = Signer.from_skey(alice.skey)
    assert again.skey == alice.skey and again.vkey == alice.vkey
    assert Verifier.from_vkey(alice.vkey) == alice.verifier
    assert "PRIVATE" not in repr(alice)


def test_sign_and_open(alice: Signer, bob: Signer) -> None:
    note = sign_note(TEXT, [alice, bob])
    assert note.startswith(TEXT + "\n\u2014 alice.example ")
    opened = open_note(note, [bob.verifier])
    assert opened.text == TEXT
    assert opened.verified_by == [bob.verifier]
    assert [line.name for line in opened.unknown] == ["alice.example"]
    both = open_note(note.encode(), [alice.verifier, bob.verifier])
    assert both.verified_by == [alice.verifier, bob.verifier]


def test_known_key_with_bad_signature_rejects_the_note(alice: Signer, bob: Signer) -> None:
    good = sign_note(TEXT, [alice])
    forged_line = SignatureLine(bob.name, bob.key_id, bytes(64)).line()
    with pytest.raises(NoteError, match=r"bob.example \(key ID [0-9a-f]{8}\) does not verify"):
        open_note(good + forged_line, [alice.verifier, bob.verifier])
    assert open_note(good + forged_line, [alice.verifier]).unknown[0].name == "bob.example"


def test_no_known_signature_is_rejected(alice: Signer, bob: Signer) -> None:
    with pytest.raises(NoteError, match=r"expected one of \[bob.example\+[0-9a-f]{8}\], found \[alice"):
        open_note(sign_note(TEXT, [alice]), [bob.verifier])
    impostor = Signer.generate("alice.example")  # same name, other key => other key ID => unknown
    with pytest.raises(NoteError) as info:
        open_note(sign_note(TEXT, [impostor]), [alice.verifier])
    assert info.value.code == "note_unverified"


def test_tampered_text_fails(alice: Signer) -> None:
    note = sign_note(TEXT, [alice]).replace("second", "Second")
    with pytest.raises(NoteError, match="does not verify"):
        open_note(note, [alice.verifier])


def test_split_at_last_blank_line(alice: Signer) -> None:
    text = "para one\n\npara two\n"
    opened = open_note(sign_note(text, [alice]), [alice.verifier])
    assert opened.text == text


def test_sixteen_signatures_accepted_and_too_many_rejected(alice: Signer) -> None:
    others = [Signer.generate(f"s{i}.example") for i in range(15)]
    note = sign_note(TEXT, [*others, alice])
    assert open_note(note, [alice.verifier]).verified_by == [alice.verifier]
    assert len(open_note(note, [alice.verifier]).unknown) == 15
    line = SignatureLine("x.example", b"\0\0\0\0", bytes(64)).line()
    with pytest.raises(NoteError, match="at most 100"):
        open_note(note + line * 90, [alice.verifier])


@pytest.mark.parametrize(
    ("note", "message"),
    [
        ("no blank line\n\u2014 a AAAAAAA=\n", "no blank line"),
        ("text\n\n\u2014 alice.example AAAAAAAAAA==", "end with a newline"),
        ("text\n\n", "end with a newline"),
        ("text\n\n- alice.example AAAAAAAAAA==\n", "must start with an em dash"),
        ("text\n\n\u2014 alice.example\n", "'— <key name> <base64>'"),
        ("text\n\n\u2014 alice.example !!!!\n", "not valid base64"),
        ("text\n\n\u2014 alice.example AAAAAA==\n", "longer than the 4-byte key ID"),
        ("te\txt\n\n\u2014 alice.example AAAAAAAAAA==\n", "control character '\\\\t'"),
        ("text\r\n\n\u2014 alice.example AAAAAAAAAA==\n", "control character"),
        ("text\n\n\u2014 a+b AAAAAAAAAA==\n", "key name"),
    ],
)
def test_malformed_notes(alice: Signer, note: str, message: str) -> None:
    with pytest.raises(NoteError, match=message):
        open_note(note, [alice.verifier])


def test_non_utf8_note_rejected(alice: Signer) -> None:
    with pytest.raises(NoteError, match="not valid UTF-8"):
        open_note(b"\xff\xfe\n\n", [alice.verifier])


def test_sign_rejects_bad_text(alice: Signer) -> None:
    with pytest.raises(NoteError, match="must end with a newline"):
        sign_note("no newline", [alice])
    with pytest.raises(NoteError, match="control character"):
        sign_note("bell\a\n", [alice])
    with pytest.raises(Error, match="at least one signer"):
        sign_note(TEXT, [])


@pytest.mark.parametrize(
    "vkey",
    [
        "alice.example+00000000+" + base64.b64encode(b"\x01" + bytes(32)).decode(),  # wrong key ID
        "alice.example+abc+" + base64.b64encode(b"\x01" + bytes(32)).decode(),  # short key ID
        "alice.example+00000000",
        "alice.example+00000000+!!!",
        "al ice+00000000+" + base64.b64encode(b"\x01" + bytes(32)).decode(),
    ],
)
def test_malformed_vkeys(vkey: str) -> None:
    with pytest.raises(Error) as info:
        Verifier.from_vkey(vkey)
    assert info.value.http_status == 400


def test_vkey_type_must_match(alice: Signer) -> None:
    witness = CosignatureSigner.generate("w.example")
    with pytest.raises(Error, match="type 0x01"):
        Verifier.from_vkey(witness.vkey)
    with pytest.raises(Error, match="type 0x04"):
        CosignatureVerifier.from_vkey(alice.vkey)
    assert isinstance(parse_vkey(witness.vkey), CosignatureVerifier)
    assert isinstance(parse_vkey(alice.vkey), Verifier)
    assert witness.vkey.split("+")[1] == witness.key_id.hex()
    assert base64.b64decode(witness.vkey.split("+", 2)[2])[0] == COSIGNATURE_ED25519
    assert base64.b64decode(alice.vkey.split("+", 2)[2])[0] == ED25519


def test_skey_round_trip_and_errors(alice: Signer) -> None:
    witness = CosignatureSigner.generate("w.example")
    assert CosignatureSigner.from_skey(witness.skey).vkey == witness.vkey
    with pytest.raises(Error, match="PRIVATE"):
        Signer.from_skey(alice.vkey)
    tampered = alice.skey.replace(alice.key_id.hex(), "00000000")
    with pytest.raises(Error, match="key ID expected"):
        Signer.from_skey(tampered)


def test_cosignature_verify_returns_timestamp() -> None:
    witness = CosignatureSigner(
        "w.example", CosignatureSigner.generate("x").private_key, clock=lambda: 1700000000.9
    )
    verifier = CosignatureVerifier.from_vkey(witness.vkey)
    blob = witness.note_signature(TEXT)
    assert verifier.verify(TEXT, blob) == 1700000000
    with pytest.raises(NoteError, match="at time 1700000001 does not verify"):
        verifier.verify(TEXT, (1700000001).to_bytes(8, "big") + blob[8:])
    with pytest.raises(NoteError, match="expected 72 bytes"):
        verifier.verify(TEXT, blob[8:])
    with pytest.raises(NoteError, match="does not verify"):
        verifier.verify(TEXT.upper(), blob)


def test_open_note_reports_cosignature_timestamps(alice: Signer) -> None:
    witness = CosignatureSigner.generate("w.example")
    witness.clock = lambda: 42.0
    note = sign_note(TEXT, [alice, witness])
    opened = open_note(note, [alice.verifier, witness.verifier])
    assert [(s.verifier.name, s.timestamp) for s in opened.signatures] == [
        ("alice.example", None),
        ("w.example", 42),
    ]


def test_add_signatures_and_merge_lines(alice: Signer, bob: Signer) -> None:
    note = sign_note(TEXT, [alice])
    both = add_signatures(note, [alice, bob])
    assert [line.name for line in split_note(both)[1]] == ["alice.example", "bob.example"]
    assert open_note(both, [alice.verifier, bob.verifier]).verified_by == [alice.verifier, bob.verifier]
    bob_line = bob.signature_line(TEXT)
    merged = merge_signature_lines(note, bob_line + bob_line)
    assert merged == both
    assert merge_signature_lines(merged, bob_line) == both
