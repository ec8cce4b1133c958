"""`log audit`: an fsck that recomputes the tree from the stored entries and compares it with everything stored.

It streams the entries in index order (memory stays flat), recomputes every leaf hash and every perfect node,
and compares them with the ``leaf_hash`` column, the stored node chunks, every stored checkpoint (signature and
root), the sequencer state and the checkpoint file kept outside the database. The first disagreement is named by
the first log index it affects. Edits, deletions, reorderings and truncations of rows all show up as one of these.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import Connection, func, select

from reetrace.log.checkpoint import open_checkpoint
from reetrace.log.hashing import EMPTY_ROOT, HASH_SIZE, leaf_hash, node_hash
from reetrace.log.note import Verifier
from reetrace.storage.nodes import CHUNK
from reetrace.storage.tables import log_checkpoints, log_entries, log_nodes, log_state

Progress = Callable[[int], None]


@dataclass
class AuditReport:
    size: int = 0
    checked_entries: int = 0
    checked_checkpoints: int = 0
    problems: list[str] = field(default_factory=list)
    _exact: list[int] = field(default_factory=list)
    _ranges: list[int] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def first_bad_index(self) -> int | None:
        """The first index a finding names exactly; else the start of the first range that fails its checkpoint."""
        if self._exact:
            return min(self._exact)
        return min(self._ranges) if self._ranges else None

    def fail(self, index: int | None, message: str, *, exact: bool = True) -> None:
        if index is not None:
            (self._exact if exact else self._ranges).append(index)
        self.problems.append(message)


class _Recomputed:
    """Perfect nodes recomputed level by level, compared chunk by chunk with ``log_nodes``."""

    def __init__(self, conn: Connection, report: AuditReport) -> None:
        self.conn = conn
        self.report = report
        self.buffers: list[list[bytes]] = []
        self.counts: list[int] = []
        self.last: list[bytes] = []

    def add_leaf(self, digest: bytes) -> None:
        level, value = 0, digest
        while True:
            if level == len(self.buffers):
                self.buffers.append([])
                self.counts.append(0)
                self.last.append(b"")
            buf = self.buffers[level]
            buf.append(value)
            self.counts[level] += 1
            self.last[level] = value
            odd = self.counts[level] % 2 == 0
            parent = node_hash(buf[-2], value) if odd else b""
            if len(buf) == CHUNK:
                self._compare(level, self.counts[level] // CHUNK - 1, buf)
                self.buffers[level] = []
            if not odd:
                return
            level, value = level + 1, parent

    def root(self, size: int) -> bytes:
        if size == 0:
            return EMPTY_ROOT
        acc = b""
        for level in range(size.bit_length()):
            if size >> level & 1:
                acc = self.last[level] if not acc else node_hash(self.last[level], acc)
        return acc

    def finish(self) -> None:
        for level, buf in enumerate(self.buffers):
            if buf:
                self._compare(level, self.counts[level] // CHUNK, buf)
        levels = len(self.buffers)
        extra = self.conn.execute(select(func.count()).select_from(log_nodes).where(log_nodes.c.level >= levels))
        if levels and extra.scalar_one():
            self.report.fail(None, f"log_nodes holds rows at level {levels} or above, where the tree has none")

    def _compare(self, level: int, chunk: int, hashes: list[bytes]) -> None:
        stored = self.conn.execute(select(log_nodes.c.hashes).where(
            log_nodes.c.level == level, log_nodes.c.chunk == chunk)).scalar_one_or_none()
        expected = b"".join(hashes)
        if stored is not None and bytes(stored) == expected:
            return
        stored = bytes(stored or b"")
        pos = next((p for p in range(len(hashes)) if stored[p * HASH_SIZE:(p + 1) * HASH_SIZE] != hashes[p]),
                   len(hashes))
        node = chunk * CHUNK + pos
        first = node << level
        if pos < len(hashes):
            # A leaf that differs is named exactly; a parent that differs names the range it covers.
            self.report.fail(first, f"stored node (level {level}, index {node}) covering entries "
                             f"{first}..{((node + 1) << level) - 1} disagrees with the recomputed tree",
                             exact=level == 0)
        else:
            leaves = self.counts[0] if self.counts else 0
            self.report.fail(leaves, f"stored chunk (level {level}, chunk {chunk}) has {len(stored) // HASH_SIZE} "
                             f"hashes, the {leaves} stored entries give {len(hashes)}: hashes of entries that are "
                             "no longer stored")


def audit(conn: Connection, verifier: Verifier, checkpoint_file: Path | None = None,
          progress: Progress | None = None) -> AuditReport:
    report = AuditReport()
    state = conn.execute(select(log_state.c.size, log_state.c.root).where(log_state.c.id == 1)).one_or_none()
    if state is None:
        report.fail(0, "the sequencer state row is missing")
        return report
    report.size = int(state.size)
    checkpoints = list(conn.execute(select(log_checkpoints.c.size, log_checkpoints.c.root, log_checkpoints.c.note)
                                    .order_by(log_checkpoints.c.size)))
    pending = [(int(c.size), bytes(c.root), c.note) for c in checkpoints]
    recomputed = _Recomputed(conn, report)
    last_good = 0
    expected = 0
    rows = conn.execution_options(yield_per=5000, stream_results=True).execute(
        select(log_entries.c.idx, log_entries.c.leaf_hash, log_entries.c.entry).order_by(log_entries.c.idx))
    cp = 0
    for idx, stored_leaf, entry in rows:
        if idx != expected:
            report.fail(expected, f"entry {expected} is missing (the next stored index is {idx})")
            break
        digest = leaf_hash(bytes(entry))
        if bytes(stored_leaf) != digest:
            report.fail(idx, f"entry {idx}: its bytes hash to {digest.hex()}, the stored leaf hash is "
                        f"{bytes(stored_leaf).hex()}")
        recomputed.add_leaf(digest)
        expected += 1
        while cp < len(pending) and pending[cp][0] == expected:
            last_good = _check_checkpoint(report, recomputed, verifier, pending[cp], last_good)
            cp += 1
        if progress and expected % 10000 == 0:
            progress(expected)
    report.checked_entries = expected
    if progress:
        progress(expected)
    recomputed.finish()  # always: a partial last chunk can hold the first exact finding
    if expected != report.size:
        report.fail(min(expected, report.size), f"the log's state says {report.size} entries, "
                    f"{expected} consecutive entries are stored")
    elif bytes(state.root) != recomputed.root(expected):
        report.fail(last_good, f"the state root {bytes(state.root).hex()} differs from the recomputed root "
                    f"{recomputed.root(expected).hex()}", exact=False)
    for size, _, _ in pending[cp:]:
        report.fail(expected, f"a checkpoint is signed at size {size}, but only {expected} entries are stored")
    if checkpoint_file is not None and checkpoint_file.exists():
        _check_file(report, checkpoint_file, verifier, {s: r for s, r, _ in pending}, expected)
    return report


def _check_checkpoint(report: AuditReport, recomputed: _Recomputed, verifier: Verifier,
                      stored: tuple[int, bytes, str], last_good: int) -> int:
    size, root, note = stored
    report.checked_checkpoints += 1
    try:
        verified = open_checkpoint(note, verifier)
    except Exception as exc:
        report.fail(last_good, f"checkpoint at size {size} does not verify: {exc}", exact=False)
        return last_good
    computed = recomputed.root(size)
    signed = verified.checkpoint
    if signed.size != size or signed.root != root:
        report.fail(last_good, f"checkpoint row at size {size} does not match its signed note "
                    f"(note says size {signed.size}, root {signed.root.hex()})", exact=False)
    elif computed != signed.root:
        report.fail(last_good, f"entries {last_good}..{size - 1} do not reproduce the root signed at size {size}: "
                    f"signed {signed.root.hex()}, recomputed {computed.hex()}", exact=False)
    else:
        return size
    return last_good


def _check_file(report: AuditReport, path: Path, verifier: Verifier, stored: dict[int, bytes], size: int) -> None:
    try:
        signed = open_checkpoint(path.read_text(encoding="utf-8"), verifier).checkpoint
    except Exception as exc:
        report.fail(None, f"the checkpoint file {path} does not verify: {exc}")
        return
    if signed.size > size:
        report.fail(size, f"the checkpoint file {path} is signed at size {signed.size}, but the database holds "
                    f"{size} entries: rows were truncated")
    elif signed.size in stored and stored[signed.size] != signed.root:
        report.fail(None, f"the checkpoint file {path} (size {signed.size}) disagrees with the stored checkpoint")
    elif signed.size not in stored:
        report.fail(signed.size, f"the checkpoint file {path} is signed at size {signed.size}, which has no stored "
                    "checkpoint: checkpoint rows were deleted")
