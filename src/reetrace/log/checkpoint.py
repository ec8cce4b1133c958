"""C2SP tlog-checkpoint: ``origin``, ``size``, ``base64(root)``, optional extension lines; a signed note.

The log signs with an Ed25519 (type 0x01) key whose name equals the origin; witnesses add timestamped
cosignatures (type 0x04). Opening a checkpoint fails closed: no valid log signature, a forged or failing known
signature, a malformed or truncated body, or an origin that differs from the log key's name all raise
:class:`~reetrace.log.errors.CheckpointError` (or :class:`~reetrace.log.errors.NoteError` for note-level
faults).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from reetrace.log.errors import CheckpointError, NoteError, hx
from reetrace.log.hashing import HASH_SIZE
from reetrace.log.note import (
    CosignatureVerifier,
    NoteVerifier,
    OpenedNote,
    Signer,
    b64decode,
    b64encode,
    check_text,
    open_note,
    sign_note,
)

_SIZE = re.compile(r"0|[1-9][0-9]*")
MAX_SIZE = 2**63 - 1


def check_origin(origin: str) -> None:
    if not origin or any(ch.isspace() for ch in origin) or "+" in origin:
        raise CheckpointError(
            f"checkpoint origin must be non-empty without spaces or '+', got {origin!r}",
            "checkpoint_malformed",
        )


@dataclass(frozen=True)
class Checkpoint:
    """The body of a checkpoint note."""

    origin: str
    size: int
    root: bytes
    extensions: tuple[str, ...] = field(default=())

    def __post_init__(self) -> None:
        check_origin(self.origin)
        if not 0 <= self.size <= MAX_SIZE:
            raise CheckpointError(
                f"checkpoint size must be in [0, 2^63), got {self.size}", "checkpoint_malformed"
            )
        if len(self.root) != HASH_SIZE:
            raise CheckpointError(
                f"checkpoint root must be {HASH_SIZE} bytes, got {len(self.root)} ({hx(self.root)})",
                "checkpoint_malformed",
            )
        for line in self.extensions:
            if not line or "\n" in line:
                raise CheckpointError(
                    f"checkpoint extension lines must be non-empty single lines, got {line!r}",
                    "checkpoint_malformed",
                )

    def text(self) -> str:
        lines = [self.origin, str(self.size), b64encode(self.root), *self.extensions]
        return "".join(line + "\n" for line in lines)

    @classmethod
    def parse(cls, text: str) -> Checkpoint:
        """Strict parse of a checkpoint body (the note text, ending in a newline)."""
        try:
            check_text(text)
        except NoteError as exc:
            raise CheckpointError(
                f"checkpoint text is malformed: {exc.message}", "checkpoint_malformed"
            ) from exc
        lines = text[:-1].split("\n")
        if len(lines) < 3:
            raise CheckpointError(
                f"checkpoint needs origin, size and root lines; got {len(lines)} line(s)",
                "checkpoint_malformed",
            )
        origin, size_text, root_text, *extensions = lines
        if not _SIZE.fullmatch(size_text) or int(size_text) > MAX_SIZE:
            raise CheckpointError(
                f"checkpoint size must be decimal without leading zeros, below 2^63; got {size_text!r}",
                "checkpoint_malformed",
            )
        return cls(origin, int(size_text), _parse_root(root_text), tuple(extensions))


def _parse_root(text: str) -> bytes:
    try:
        root = b64decode(text, "checkpoint root")
    except NoteError as exc:
        raise CheckpointError(exc.message, "checkpoint_malformed") from exc
    if len(root) != HASH_SIZE or b64encode(root) != text:
        raise CheckpointError(
            f"checkpoint root must be canonical base64 of {HASH_SIZE} bytes, "
            f"got {len(root)} bytes from {text!r}",
            "checkpoint_malformed",
        )
    return root


@dataclass(frozen=True)
class VerifiedCheckpoint:
    """A checkpoint signed by its log, with the witnesses that validly cosigned it (name -> timestamp)."""

    checkpoint: Checkpoint
    cosignatures: dict[str, int]
    note: str


def sign_checkpoint(checkpoint: Checkpoint, signer: Signer) -> str:
    """The signed checkpoint note; the signer's key name must equal the origin."""
    if signer.name != checkpoint.origin:
        raise CheckpointError(
            f"log key name must equal the checkpoint origin: expected {checkpoint.origin!r}, "
            f"got {signer.name!r}",
            "origin_mismatch",
        )
    return sign_note(checkpoint.text(), [signer])


def open_checkpoint(
    note: str | bytes, log_verifier: NoteVerifier, witnesses: Sequence[CosignatureVerifier] = ()
) -> VerifiedCheckpoint:
    """Verify the log's signature and any known witness cosignatures; parse the body strictly."""
    opened = _open(note, log_verifier, witnesses)
    if not any(sig.verifier == log_verifier for sig in opened.signatures):
        raise CheckpointError(
            f"checkpoint has no signature by log key {log_verifier.name}+{log_verifier.key_id.hex()}; "
            f"verified only [{', '.join(v.name for v in opened.verified_by)}]",
            "checkpoint_unsigned",
        )
    checkpoint = Checkpoint.parse(opened.text)
    if checkpoint.origin != log_verifier.name:
        raise CheckpointError(
            f"checkpoint origin must equal the log key name: expected {log_verifier.name!r}, "
            f"got {checkpoint.origin!r}",
            "origin_mismatch",
        )
    cosignatures = {
        sig.verifier.name: sig.timestamp
        for sig in opened.signatures
        if isinstance(sig.verifier, CosignatureVerifier) and sig.timestamp is not None
    }
    text = note.decode() if isinstance(note, bytes) else note
    return VerifiedCheckpoint(checkpoint, cosignatures, text)


def _open(
    note: str | bytes, log_verifier: NoteVerifier, witnesses: Sequence[CosignatureVerifier]
) -> OpenedNote:
    try:
        return open_note(note, [log_verifier, *witnesses])
    except NoteError as exc:
        if exc.code == "note_unverified":
            raise CheckpointError(
                f"checkpoint is not signed by log key {log_verifier.name}+{log_verifier.key_id.hex()}: "
                f"{exc.message}",
                "checkpoint_unsigned",
            ) from exc
        raise
