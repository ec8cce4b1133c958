"""What the API and the console show about the log, computed once for both (plain data, no HTTP)."""

from __future__ import annotations

import json
import logging
import struct
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol

from reetrace.container import Container
from reetrace.errors import Error
from reetrace.events import event_from_entry
from reetrace.log import tree
from reetrace.log.checkpoint import open_checkpoint
from reetrace.log.note import CosignatureVerifier, SignatureLine, split_note
from reetrace.log.policy import WitnessPolicy
from reetrace.storage.logread import LogReader, StoredCheckpoint, StoredEntry

MAX_INDEX = 2**63 - 1
log = logging.getLogger("reetrace.web")


@dataclass(frozen=True)
class Cosignature:
    witness: str
    timestamp: int
    verified: bool  # True when checked against a key from the witness policy

    @property
    def time(self) -> datetime:
        return datetime.fromtimestamp(self.timestamp, UTC)

    def as_json(self) -> dict[str, Any]:
        return {"witness": self.witness, "timestamp": self.timestamp, "time": iso(self.time),
                "verified": self.verified}


@dataclass(frozen=True)
class CheckpointView:
    size: int
    root: bytes
    note: str
    created_at: datetime
    cosignatures: list[Cosignature]
    problem: str | None  # why the signatures did not verify, None when they did

    @property
    def cosigned_by(self) -> list[str]:
        return [c.witness for c in self.cosignatures if c.verified]

    def as_json(self) -> dict[str, Any]:
        return {"size": self.size, "root": self.root.hex(), "created_at": iso(self.created_at), "note": self.note,
                "signature_ok": self.problem is None, "problem": self.problem,
                "cosignatures": [c.as_json() for c in self.cosignatures]}


@dataclass(frozen=True)
class InclusionView:
    index: int
    size: int
    leaf_hash: bytes
    hashes: list[bytes]
    root: bytes
    problem: str | None  # the verifier's message when the proof does not verify

    @property
    def verified(self) -> bool:
        return self.problem is None

    def as_json(self) -> dict[str, Any]:
        return {"index": self.index, "size": self.size, "leaf_hash": self.leaf_hash.hex(),
                "hashes": [h.hex() for h in self.hashes], "root": self.root.hex()}


def iso(moment: datetime) -> str:
    return aware(moment).isoformat().replace("+00:00", "Z")


def aware(moment: datetime) -> datetime:
    """SQLite hands back naive datetimes for UTC columns; make every time explicit UTC."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def decoded_event(stored: StoredEntry) -> dict[str, Any]:
    return event_from_entry(stored.entry).envelope()


def entry_json(stored: StoredEntry) -> dict[str, Any]:
    return {**stored.as_json(), "size_bytes": len(stored.entry), "event": decoded_event(stored)}


def pretty_json(value: Any) -> str:
    return json.dumps(value, indent=2, ensure_ascii=False, sort_keys=False)


def witness_policy(container: Container) -> WitnessPolicy | None:
    """The deployment's witness policy (``witness-policy.txt`` in the data folder), if there is one."""
    path = container.settings.witness_policy_path
    if not path.is_file():
        return None
    try:
        return WitnessPolicy.parse(path.read_text(encoding="utf-8"))
    except Error as exc:
        log.warning("ignoring the witness policy %s: %s", path, exc.message)
        return None


def checkpoint_view(stored: StoredCheckpoint, container: Container, policy: WitnessPolicy | None) -> CheckpointView:
    """The checkpoint with its cosignatures; verified against the log key and the policy's witness keys."""
    witnesses: list[CosignatureVerifier] = list(policy.witnesses) if policy else []
    problem: str | None = None
    verified: dict[str, int] = {}
    try:
        verified = open_checkpoint(stored.note, container.verifier, witnesses).cosignatures
    except Error as exc:
        problem = exc.message
    cosignatures = [Cosignature(name, ts, True) for name, ts in sorted(verified.items())]
    cosignatures += [Cosignature(line.name, ts, False) for line, ts in _unverified_cosignatures(stored.note, verified,
                                                                                               container)]
    return CheckpointView(stored.size, stored.root, stored.note, aware(stored.created_at), cosignatures, problem)


def _unverified_cosignatures(note: str, verified: dict[str, int], container: Container) -> list[
        tuple[SignatureLine, int]]:
    """Cosignature-shaped lines (8-byte time + 64-byte signature) by keys this server cannot check."""
    try:
        _, lines = split_note(note)
    except Error:
        return []
    own = container.verifier.name
    return [(line, struct.unpack(">Q", line.signature[:8])[0]) for line in lines
            if line.name != own and line.name not in verified and len(line.signature) == 72]


def inclusion_view(reader: LogReader, stored: StoredEntry, size: int | None = None) -> InclusionView:
    """The entry's inclusion proof at ``size`` (default: the current size), verified here, failing closed."""
    size = reader.size() if size is None else size
    hashes = reader.inclusion_proof(stored.index, size)
    root = reader.root(size)
    problem: str | None = None
    try:
        tree.verify_inclusion(stored.leaf_hash, stored.index, size, hashes, root)
    except Error as exc:
        problem = exc.message
    return InclusionView(stored.index, size, stored.leaf_hash, hashes, root, problem)


class EntrySource(Protocol):
    """A :class:`LogReader`, or a request's scoped view that audits misses (``reetrace.web.deps.Scoped``)."""

    def size(self) -> int: ...

    def entry(self, index: int) -> StoredEntry: ...

    def entry_by_event_id(self, event_id: str) -> StoredEntry: ...


def lookup_entry(reader: EntrySource, query: str) -> StoredEntry:
    """An entry by its index (digits) or by its event id."""
    text = query.strip()
    if not text:
        raise Error("type an entry index or an event id", code="empty_query", http_status=400)
    if text.isascii() and text.isdigit():
        if len(text) > 19 or int(text) > MAX_INDEX:
            raise Error(f"no entry at index {text} (the log has {reader.size()} entries)", code="not_found",
                        http_status=404)
        return reader.entry(int(text))
    return reader.entry_by_event_id(text)
