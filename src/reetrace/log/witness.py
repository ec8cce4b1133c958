"""C2SP tlog-witness ``add-checkpoint`` logic and the witness's persistent state.

The witness keeps only the latest checkpoint (size, root) it cosigned per origin. A request carries the size
the client believes the witness has (``old N``), a consistency proof from that size, and the new signed
checkpoint. Statuses (C2SP tlog-witness): 404 unknown origin, 403 no valid log signature, 400 malformed or
old > new, 409 old differs from the stored size (:attr:`WitnessError.current_size` carries the stored size),
422 bad proof / non-empty proof from old 0 / same size with another root / a size-0 checkpoint whose root is
not the empty root. ``old 0`` with an empty proof is accepted here (the empty tree is a prefix of every tree):
that is the protocol-level special case that :func:`reetrace.log.tree.verify_consistency` refuses to handle.

The state is updated with compare-and-swap before the cosignature is returned, so two concurrent requests
cannot both advance from the same state, and a crash never leaves a cosignature for an unrecorded state.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import re
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple, Protocol

from reetrace.errors import Error
from reetrace.log.checkpoint import Checkpoint
from reetrace.log.errors import CheckpointError, NoteError, ProofError, WitnessError, hx
from reetrace.log.hashing import EMPTY_ROOT, HASH_SIZE
from reetrace.log.note import (
    CosignatureSigner,
    SignatureLine,
    Verifier,
    b64decode,
    b64encode,
    open_note,
    split_note,
)
from reetrace.log.tree import verify_consistency

MAX_PROOF_LINES = 63
_OLD_LINE = re.compile(r"old (0|[1-9][0-9]*)")


class TreeState(NamedTuple):
    size: int
    root: bytes


class WitnessStateStore(Protocol):
    """The latest cosigned (size, root) per origin."""

    def get(self, origin: str) -> TreeState | None: ...

    def compare_and_swap(self, origin: str, expected: TreeState | None, new: TreeState) -> None:
        """Store ``new`` if the stored state is still ``expected``; raise :class:`WitnessError` 409 otherwise.

        Must refuse a rollback (smaller size) or a fork (same size, other root) even if ``expected`` matches.
        """
        ...


def _check_transition(
    origin: str, current: TreeState | None, expected: TreeState | None, new: TreeState
) -> None:
    if current != expected:
        raise WitnessError(
            f"witness state for {origin} changed concurrently: expected size "
            f"{expected.size if expected else 0}, stored {current.size if current else 0}",
            409,
            current_size=current.size if current else 0,
        )
    if current is None:
        return
    if new.size < current.size:
        raise WitnessError(
            f"refusing rollback of {origin}: stored size {current.size}, new size {new.size}",
            409,
            current_size=current.size,
        )
    if new.size == current.size and new.root != current.root:
        raise WitnessError(
            f"refusing fork of {origin} at size {new.size}: "
            f"stored root {hx(current.root)}, new {hx(new.root)}",
            422,
        )


class MemoryWitnessState:
    """Witness state in a dict (tests, ephemeral witnesses)."""

    def __init__(self) -> None:
        self._states: dict[str, TreeState] = {}
        self._lock = threading.Lock()

    def get(self, origin: str) -> TreeState | None:
        return self._states.get(origin)

    def compare_and_swap(self, origin: str, expected: TreeState | None, new: TreeState) -> None:
        with self._lock:
            _check_transition(origin, self._states.get(origin), expected, new)
            self._states[origin] = new


class FileWitnessState:
    """One JSON file per origin under ``directory``; updates under an ``fcntl`` lock, written atomically.

    Each update writes a temporary file in the same directory, fsyncs it, renames it over the old file and
    fsyncs the directory, so a crash leaves either the old or the new state, never a torn one.
    """

    def __init__(self, directory: str | os.PathLike[str]) -> None:
        self.directory = Path(directory)
        self.directory.mkdir(parents=True, exist_ok=True)

    def _path(self, origin: str) -> Path:
        return self.directory / f"{hashlib.sha256(origin.encode()).hexdigest()}.json"

    def get(self, origin: str) -> TreeState | None:
        path = self._path(origin)
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return None
        except (OSError, ValueError) as exc:
            raise _corrupt(path, str(exc)) from exc
        if not isinstance(data, dict) or data.get("origin") != origin:
            raise _corrupt(path, f"expected a JSON object for origin {origin!r}")
        size, root = data.get("size"), data.get("root")
        if not isinstance(size, int) or size < 0 or not isinstance(root, str):
            raise _corrupt(path, f"expected a non-negative size and a base64 root, got {size!r}, {root!r}")
        try:
            return TreeState(size, base64_root(root))
        except (NoteError, WitnessError) as exc:
            raise _corrupt(path, exc.message) from exc

    @contextlib.contextmanager
    def _locked(self, origin: str) -> Iterator[None]:
        lock_path = self._path(origin).with_suffix(".lock")
        with open(lock_path, "a+b") as lock_file:
            fcntl.flock(lock_file.fileno(), fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(lock_file.fileno(), fcntl.LOCK_UN)

    def compare_and_swap(self, origin: str, expected: TreeState | None, new: TreeState) -> None:
        with self._locked(origin):
            _check_transition(origin, self.get(origin), expected, new)
            self._write(origin, new)

    def _write(self, origin: str, state: TreeState) -> None:
        payload = json.dumps({"origin": origin, "size": state.size, "root": b64encode(state.root)}, indent=1)
        fd, tmp = tempfile.mkstemp(dir=self.directory, prefix=".state-", suffix=".tmp")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                handle.write(payload + "\n")
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(tmp, self._path(origin))
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp)
            raise
        dir_fd = os.open(self.directory, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)


def _corrupt(path: Path, why: str) -> Error:
    return Error(
        f"witness state file {path} is corrupt: {why}", code="witness_state_corrupt", http_status=500
    )


def base64_root(text: str) -> bytes:
    root = b64decode(text, "root")
    if len(root) != HASH_SIZE:
        raise WitnessError(f"stored root must be {HASH_SIZE} bytes, got {len(root)}", 422)
    return root


# ------------------------------------------------------------------------------------------------------------
# Request bodies


@dataclass(frozen=True)
class AddCheckpointRequest:
    """``old <size>``, up to 63 base64 proof lines, a blank line, the signed checkpoint note."""

    old_size: int
    proof: tuple[bytes, ...]
    checkpoint: str

    def body(self) -> str:
        lines = [f"old {self.old_size}", *(b64encode(h) for h in self.proof)]
        return "".join(line + "\n" for line in lines) + "\n" + self.checkpoint

    @classmethod
    def parse(cls, body: bytes | str) -> AddCheckpointRequest:
        """Parse a request body; every fault is a 400 :class:`WitnessError`."""
        text = _decode_body(body)
        lines = text.split("\n")
        match = _OLD_LINE.fullmatch(lines[0])
        if match is None:
            raise WitnessError(f"first line must be 'old <size>', got {lines[0][:40]!r}", 400)
        try:
            blank = lines.index("", 1)
        except ValueError:
            raise WitnessError("request has no blank line before the checkpoint", 400) from None
        if blank - 1 > MAX_PROOF_LINES:
            raise WitnessError(f"at most {MAX_PROOF_LINES} proof lines are allowed, got {blank - 1}", 400)
        proof = tuple(_proof_hash(i, line) for i, line in enumerate(lines[1:blank]))
        return cls(int(match.group(1)), proof, "\n".join(lines[blank + 1 :]))


def _decode_body(body: bytes | str) -> str:
    if isinstance(body, str):
        return body
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise WitnessError(f"request body is not UTF-8 (byte {exc.start})", 400) from exc


def _proof_hash(i: int, line: str) -> bytes:
    try:
        value = b64decode(line, f"proof line {i}")
    except NoteError as exc:
        raise WitnessError(exc.message, 400) from exc
    if len(value) != HASH_SIZE:
        raise WitnessError(f"proof line {i} must decode to {HASH_SIZE} bytes, got {len(value)}", 400)
    return value


def build_add_checkpoint_body(old_size: int, proof: Sequence[bytes], signed_checkpoint: str) -> str:
    """The client side of ``add-checkpoint``."""
    return AddCheckpointRequest(old_size, tuple(proof), signed_checkpoint).body()


def parse_size_response(body: bytes | str) -> int:
    """The witness's latest size from a 409 (``text/x.tlog.size``) response body."""
    text = _decode_body(body).strip()
    if not re.fullmatch(r"0|[1-9][0-9]*", text):
        raise WitnessError(f"409 body must be a decimal size, got {text[:40]!r}", 400)
    return int(text)


# ------------------------------------------------------------------------------------------------------------
# The witness


class Witness:
    """Cosigns checkpoints of known logs that are consistent with what it cosigned before."""

    def __init__(
        self,
        signer: CosignatureSigner,
        logs: Mapping[str, Verifier],
        state: WitnessStateStore,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.signer = signer
        self.logs = dict(logs)
        self.state = state
        self.clock = clock

    def add_checkpoint(self, request_body: bytes | str) -> str:
        """Handle one ``add-checkpoint`` request; return the cosignature line(s) or raise WitnessError."""
        request = AddCheckpointRequest.parse(request_body)
        checkpoint = self._verified_checkpoint(request.checkpoint)
        if request.old_size > checkpoint.size:
            raise WitnessError(
                f"old size {request.old_size} is larger than checkpoint size {checkpoint.size}", 400
            )
        stored = self.state.get(checkpoint.origin)
        stored_size = stored.size if stored else 0
        if request.old_size != stored_size:
            raise WitnessError(
                f"old size must equal the witness's latest size for {checkpoint.origin}: "
                f"expected {stored_size}, got {request.old_size}",
                409,
                current_size=stored_size,
            )
        _check_extends(stored, checkpoint, request.proof)
        self.state.compare_and_swap(checkpoint.origin, stored, TreeState(checkpoint.size, checkpoint.root))
        text = checkpoint.text()
        cosignature = self.signer.cosign(text, int(self.clock()))
        return SignatureLine(self.signer.name, self.signer.key_id, cosignature).line()

    def _verified_checkpoint(self, note: str) -> Checkpoint:
        try:
            text, _ = split_note(note)
            checkpoint = Checkpoint.parse(text)
        except (NoteError, CheckpointError) as exc:
            raise WitnessError(f"malformed checkpoint: {exc.message}", 400) from exc
        verifier = self.logs.get(checkpoint.origin)
        if verifier is None:
            raise WitnessError(f"unknown log origin {checkpoint.origin!r}", 404)
        try:
            open_note(note, [verifier])
        except NoteError as exc:
            raise WitnessError(
                f"no valid signature by log key {verifier.name}+{verifier.key_id.hex()}: {exc.message}", 403
            ) from exc
        return checkpoint


def _check_extends(stored: TreeState | None, checkpoint: Checkpoint, proof: Sequence[bytes]) -> None:
    """422 unless ``checkpoint`` extends the stored state (``old`` already equals the stored size)."""
    if checkpoint.size == 0 and checkpoint.root != EMPTY_ROOT:
        raise WitnessError(
            f"a size-0 checkpoint must have the empty root: "
            f"expected {hx(EMPTY_ROOT)}, got {hx(checkpoint.root)}",
            422,
        )
    if stored is None or stored.size == 0:
        if proof:
            raise WitnessError(f"the proof from old size 0 must be empty, got {len(proof)} hashes", 422)
        return
    if stored.size == checkpoint.size and stored.root != checkpoint.root:
        raise WitnessError(
            f"checkpoint has the stored size {stored.size} but another root: "
            f"expected {hx(stored.root)}, got {hx(checkpoint.root)}",
            422,
        )
    try:
        verify_consistency(stored.size, checkpoint.size, stored.root, checkpoint.root, proof)
    except ProofError as exc:
        raise WitnessError(f"consistency proof rejected: {exc.message}", 422) from exc
