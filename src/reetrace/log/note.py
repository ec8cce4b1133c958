"""C2SP signed-note with Ed25519 (type 0x01) and timestamped Ed25519 cosignatures (type 0x04).

A note is UTF-8 text ending in a newline, a blank line, then one or more signature lines
``— <key name> base64(4-byte key ID || signature)``. The text is split from the signatures at the *last*
blank line. Key ID = ``SHA-256(name || 0x0A || type || public key)[:4]``; verifier keys are
``name+hexid+base64(type||pubkey)`` and signer keys ``PRIVATE+KEY+name+hexid+base64(type||seed)``
(the golang.org/x/mod/sumdb/note format).

Opening a note (specs: C2SP signed-note, tlog-cosignature):

* unknown keys are ignored (but kept in :attr:`OpenedNote.unknown`);
* a signature by a known key that fails rejects the whole note;
* a note with no signature by a known key is rejected;
* at least 16 signatures are accepted (the cap here is :data:`MAX_SIGNATURES`).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import struct
import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import ClassVar, Self

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from reetrace.log.errors import NoteError, bad_argument

ED25519 = 0x01
COSIGNATURE_ED25519 = 0x04
KEY_ID_SIZE = 4
MAX_SIGNATURES = 100
SIGNATURE_PREFIX = "\u2014 "  # em dash, space
COSIGNATURE_HEADER = "cosignature/v1\n"

# ------------------------------------------------------------------------------------------------------------
# Encoding helpers


def b64encode(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def b64decode(text: str, what: str) -> bytes:
    """Strict standard base64 (padding required, no whitespace); raises :class:`NoteError`."""
    try:
        return base64.b64decode(text.encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError) as exc:
        raise NoteError(f"{what} is not valid base64: {text!r}", "note_malformed") from exc


def is_valid_key_name(name: str) -> bool:
    """Non-empty, no whitespace (Unicode), no ``+``."""
    return bool(name) and "+" not in name and not any(ch.isspace() for ch in name)


def key_id(name: str, sig_type: int, public_key: bytes) -> bytes:
    """``SHA-256(name || 0x0A || type || public key)[:4]``."""
    return hashlib.sha256(name.encode() + b"\n" + bytes([sig_type]) + public_key).digest()[:KEY_ID_SIZE]


def check_text(text: str) -> None:
    """Note text rules: ends in a newline, no control characters except newline."""
    if not text.endswith("\n"):
        raise NoteError(f"note text must end with a newline; it ends with {text[-1:]!r}", "note_malformed")
    _check_no_controls(text)


def _check_no_controls(text: str) -> None:
    for pos, ch in enumerate(text):
        if (ch < " " and ch != "\n") or ch == "\x7f":
            raise NoteError(f"note contains control character {ch!r} at offset {pos}", "note_malformed")


def cosignature_message(text: str, timestamp: int) -> bytes:
    """The bytes an Ed25519 (type 0x04) cosigner signs: ``cosignature/v1\\ntime <t>\\n<checkpoint text>``."""
    return f"{COSIGNATURE_HEADER}time {timestamp}\n{text}".encode()


# ------------------------------------------------------------------------------------------------------------
# Keys


class _Key:
    """Name, signature type and Ed25519 public key; the key ID derives from all three."""

    SIG_TYPE: ClassVar[int] = ED25519

    def __init__(self, name: str, public_key: Ed25519PublicKey) -> None:
        if not is_valid_key_name(name):
            raise bad_argument(
                f"key name must be non-empty without spaces or '+', got {name!r}", "key_invalid"
            )
        self.name = name
        self.public_key = public_key
        self.public_bytes = public_key.public_bytes(Encoding.Raw, PublicFormat.Raw)
        self.key_id = key_id(name, self.SIG_TYPE, self.public_bytes)

    @property
    def vkey(self) -> str:
        """``name+hexid+base64(type||pubkey)``."""
        return f"{self.name}+{self.key_id.hex()}+{b64encode(bytes([self.SIG_TYPE]) + self.public_bytes)}"

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.vkey!r})"

    def __eq__(self, other: object) -> bool:
        return type(other) is type(self) and isinstance(other, _Key) and other.vkey == self.vkey

    def __hash__(self) -> int:
        return hash((type(self), self.vkey))


def _parse_key(text: str, sig_type: int, private: bool) -> tuple[str, bytes, bytes]:
    """Split a vkey/skey into (name, key id, key material) and check type and key ID."""
    kind = "signer key" if private else "verifier key"
    parts = text.split("+", 4 if private else 2)
    if private:
        if len(parts) != 5 or parts[:2] != ["PRIVATE", "KEY"]:
            raise bad_argument(
                f"{kind} must be PRIVATE+KEY+name+hexid+base64, got {len(parts)} '+' fields", "key_invalid"
            )
        parts = parts[2:]
    if len(parts) != 3:
        raise bad_argument(f"{kind} must be name+hexid+base64, got {text!r}", "key_invalid")
    name, hex_id, encoded = parts
    try:
        raw = base64.b64decode(encoded.encode("ascii"), validate=True)
        given_id = bytes.fromhex(hex_id)
    except (binascii.Error, ValueError) as exc:
        raise bad_argument(
            f"{kind} for {name!r} has a malformed key ID or base64 key", "key_invalid"
        ) from exc
    if len(hex_id) != 2 * KEY_ID_SIZE or not raw or raw[0] != sig_type or len(raw) != 33:
        got_type = f"0x{raw[0]:02x}" if raw else "none"
        raise bad_argument(
            f"{kind} for {name!r}: expected an 8-hex-digit key ID and type 0x{sig_type:02x} with a "
            f"32-byte key, got ID {hex_id!r}, type {got_type}, {max(len(raw) - 1, 0)} key bytes",
            "key_invalid",
        )
    return name, given_id, raw[1:]


def _check_key_id(kind: str, key: _Key, given_id: bytes) -> None:
    if key.key_id != given_id:
        raise bad_argument(
            f"{kind} for {key.name!r}: key ID expected {key.key_id.hex()} "
            f"(from name, type and key), given {given_id.hex()}",
            "key_invalid",
        )


class NoteVerifier(_Key, ABC):
    """A key that can verify a note signature; returns the cosignature timestamp or ``None``."""

    @classmethod
    def from_vkey(cls, vkey: str) -> Self:
        name, given_id, material = _parse_key(vkey.strip(), cls.SIG_TYPE, private=False)
        key = cls(name, Ed25519PublicKey.from_public_bytes(material))
        _check_key_id("verifier key", key, given_id)
        return key

    @abstractmethod
    def verify_note_signature(self, text: str, signature: bytes) -> int | None:
        """Verify ``signature`` (without key ID) over note ``text``; raise :class:`NoteError`."""


class Verifier(NoteVerifier):
    """An Ed25519 (type 0x01) signed-note verifier, e.g. a log's checkpoint key."""

    SIG_TYPE = ED25519

    def verify(self, message: bytes, signature: bytes) -> None:
        try:
            self.public_key.verify(signature, message)
        except InvalidSignature as exc:
            raise NoteError(
                f"Ed25519 signature by {self.name} (key ID {self.key_id.hex()}) does not verify "
                f"over the {len(message)}-byte message",
                "signature_invalid",
            ) from exc

    def verify_note_signature(self, text: str, signature: bytes) -> None:
        self.verify(text.encode(), signature)


class CosignatureVerifier(NoteVerifier):
    """A witness's timestamped Ed25519 cosignature (type 0x04) verifier."""

    SIG_TYPE = COSIGNATURE_ED25519

    def verify(self, text: str, signature: bytes) -> int:
        """Verify a ``u64be(time) || sig`` blob over checkpoint ``text``; return the timestamp."""
        if len(signature) != 8 + 64:
            raise NoteError(
                f"cosignature by {self.name}: expected 72 bytes (timestamp and signature), "
                f"got {len(signature)}",
                "signature_invalid",
            )
        (timestamp,) = struct.unpack(">Q", signature[:8])
        try:
            self.public_key.verify(signature[8:], cosignature_message(text, timestamp))
        except InvalidSignature as exc:
            raise NoteError(
                f"cosignature by {self.name} (key ID {self.key_id.hex()}) at time {timestamp} "
                "does not verify",
                "signature_invalid",
            ) from exc
        return int(timestamp)

    def verify_note_signature(self, text: str, signature: bytes) -> int:
        return self.verify(text, signature)


def parse_vkey(vkey: str) -> Verifier | CosignatureVerifier:
    """A verifier of the type the vkey's type byte names (0x01 or 0x04)."""
    raw = vkey.strip().split("+", 2)[-1]
    try:
        sig_type = base64.b64decode(raw.encode("ascii"), validate=True)[:1]
    except (binascii.Error, ValueError) as exc:
        raise bad_argument(f"verifier key {vkey!r} has malformed base64", "key_invalid") from exc
    if sig_type == bytes([COSIGNATURE_ED25519]):
        return CosignatureVerifier.from_vkey(vkey)
    return Verifier.from_vkey(vkey)


class NoteSigner(_Key, ABC):
    """An Ed25519 private key with a name; subclasses decide what a note signature covers."""

    def __init__(self, name: str, private_key: Ed25519PrivateKey) -> None:
        super().__init__(name, private_key.public_key())
        self.private_key = private_key

    @classmethod
    def generate(cls, name: str) -> Self:
        return cls(name, Ed25519PrivateKey.generate())

    @classmethod
    def from_skey(cls, skey: str) -> Self:
        name, given_id, seed = _parse_key(skey.strip(), cls.SIG_TYPE, private=True)
        signer = cls(name, Ed25519PrivateKey.from_private_bytes(seed))
        _check_key_id("signer key", signer, given_id)
        return signer

    @property
    def skey(self) -> str:
        """``PRIVATE+KEY+name+hexid+base64(type||seed)``. Secret: keep it out of logs."""
        seed = self.private_key.private_bytes_raw()
        return f"PRIVATE+KEY+{self.name}+{self.key_id.hex()}+{b64encode(bytes([self.SIG_TYPE]) + seed)}"

    def __repr__(self) -> str:
        return f"{type(self).__name__}(name={self.name!r}, key_id={self.key_id.hex()})"

    def sign(self, message: bytes) -> bytes:
        return self.private_key.sign(message)

    @abstractmethod
    def note_signature(self, text: str) -> bytes:
        """The signature blob (without key ID) for note ``text``."""

    def signature_line(self, text: str) -> str:
        return SignatureLine(self.name, self.key_id, self.note_signature(text)).line()


class Signer(NoteSigner):
    """An Ed25519 (type 0x01) note signer, e.g. the log's checkpoint key."""

    SIG_TYPE = ED25519

    @property
    def verifier(self) -> Verifier:
        return Verifier(self.name, self.public_key)

    def note_signature(self, text: str) -> bytes:
        return self.sign(text.encode())


class CosignatureSigner(NoteSigner):
    """A witness's timestamped Ed25519 cosigner (type 0x04); the clock gives Unix seconds."""

    SIG_TYPE = COSIGNATURE_ED25519

    def __init__(
        self, name: str, private_key: Ed25519PrivateKey, clock: Callable[[], float] = time.time
    ) -> None:
        super().__init__(name, private_key)
        self.clock = clock

    @property
    def verifier(self) -> CosignatureVerifier:
        return CosignatureVerifier(self.name, self.public_key)

    def cosign(self, text: str, timestamp: int) -> bytes:
        """``u64be(timestamp) || Ed25519(cosignature/v1 message)``."""
        if not 0 <= timestamp < 2**64:
            raise bad_argument(f"cosignature timestamp must be a u64, got {timestamp}")
        return struct.pack(">Q", timestamp) + self.sign(cosignature_message(text, timestamp))

    def note_signature(self, text: str) -> bytes:
        return self.cosign(text, int(self.clock()))


# ------------------------------------------------------------------------------------------------------------
# Notes


@dataclass(frozen=True)
class SignatureLine:
    """One ``— name base64(key_id || signature)`` line."""

    name: str
    key_id: bytes
    signature: bytes

    def line(self) -> str:
        return f"{SIGNATURE_PREFIX}{self.name} {b64encode(self.key_id + self.signature)}\n"

    @classmethod
    def parse(cls, line: str) -> SignatureLine:
        if not line.startswith(SIGNATURE_PREFIX):
            raise NoteError(
                f"signature line must start with an em dash and a space, got {line[:20]!r}", "note_malformed"
            )
        name, sep, encoded = line[len(SIGNATURE_PREFIX) :].partition(" ")
        if not sep or not is_valid_key_name(name):
            raise NoteError(f"signature line must be '— <key name> <base64>', got {line!r}", "note_malformed")
        blob = b64decode(encoded, f"signature of {name}")
        if len(blob) <= KEY_ID_SIZE:
            raise NoteError(
                f"signature of {name} must be longer than the {KEY_ID_SIZE}-byte key ID, "
                f"got {len(blob)} bytes",
                "note_malformed",
            )
        return cls(name, blob[:KEY_ID_SIZE], blob[KEY_ID_SIZE:])


@dataclass(frozen=True)
class VerifiedSignature:
    verifier: NoteVerifier
    line: SignatureLine
    timestamp: int | None  # cosignatures only


@dataclass(frozen=True)
class OpenedNote:
    """A note whose text was verified by at least one known key."""

    text: str
    signatures: tuple[VerifiedSignature, ...]
    unknown: tuple[SignatureLine, ...]

    @property
    def verified_by(self) -> list[NoteVerifier]:
        return [sig.verifier for sig in self.signatures]


def _as_text(note: str | bytes) -> str:
    if isinstance(note, bytes):
        try:
            return note.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise NoteError(f"note is not valid UTF-8 at byte {exc.start}", "note_malformed") from exc
    return note


def split_note(note: str | bytes) -> tuple[str, list[SignatureLine]]:
    """Split at the last blank line into text and parsed signature lines; no signature is checked."""
    msg = _as_text(note)
    _check_no_controls(msg)
    split = msg.rfind("\n\n")
    if split < 0:
        raise NoteError("note has no blank line separating the text from the signatures", "note_malformed")
    text, block = msg[: split + 1], msg[split + 2 :]
    if not block.endswith("\n"):
        raise NoteError("note signature block must be non-empty and end with a newline", "note_malformed")
    lines = block[:-1].split("\n")
    if len(lines) > MAX_SIGNATURES:
        raise NoteError(
            f"note has {len(lines)} signatures, at most {MAX_SIGNATURES} are accepted", "note_malformed"
        )
    return text, [SignatureLine.parse(line) for line in lines]


def sign_note(text: str, signers: Sequence[NoteSigner]) -> str:
    """Sign ``text`` with every signer; at least one is required."""
    check_text(text)
    if not signers:
        raise bad_argument("signing a note needs at least one signer")
    return text + "\n" + "".join(signer.signature_line(text) for signer in signers)


def add_signatures(note: str, signers: Sequence[NoteSigner]) -> str:
    """Add signature lines to a note, skipping keys that already signed it (existing lines are unchecked)."""
    text, lines = split_note(note)
    present = {(line.name, line.key_id) for line in lines}
    new = [
        SignatureLine(s.name, s.key_id, s.note_signature(text))
        for s in signers
        if (s.name, s.key_id) not in present
    ]
    return _join(text, [*lines, *new])


def merge_signature_lines(note: str, signature_lines: str) -> str:
    """Add signature lines received from elsewhere (e.g. a witness's cosignature response) to ``note``."""
    text, lines = split_note(note)
    present = {(line.name, line.key_id) for line in lines}
    extra = [SignatureLine.parse(raw) for raw in signature_lines.splitlines() if raw]
    added = [line for line in extra if (line.name, line.key_id) not in present]
    return _join(text, [*lines, *dict.fromkeys(added)])


def _join(text: str, lines: Iterable[SignatureLine]) -> str:
    return text + "\n" + "".join(line.line() for line in lines)


def open_note(note: str | bytes, verifiers: Sequence[NoteVerifier]) -> OpenedNote:
    """Verify a signed note against known keys (see the module docstring for the rules)."""
    text, lines = split_note(note)
    known: dict[tuple[str, bytes], NoteVerifier] = {}
    for verifier in verifiers:
        known.setdefault((verifier.name, verifier.key_id), verifier)
    verified: dict[tuple[str, bytes], VerifiedSignature] = {}
    unknown: list[SignatureLine] = []
    for line in lines:
        match = known.get((line.name, line.key_id))
        if match is None:
            unknown.append(line)
            continue
        timestamp = match.verify_note_signature(text, line.signature)
        verified.setdefault((line.name, line.key_id), VerifiedSignature(match, line, timestamp))
    if not verified:
        expected = ", ".join(f"{v.name}+{v.key_id.hex()}" for v in verifiers) or "none"
        found = ", ".join(f"{line.name}+{line.key_id.hex()}" for line in lines)
        raise NoteError(
            f"no signature by a known key: expected one of [{expected}], found [{found}]", "note_unverified"
        )
    return OpenedNote(text, tuple(verified.values()), tuple(unknown))
