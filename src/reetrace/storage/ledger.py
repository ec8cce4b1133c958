"""The ledger: one write path that appends events to the log and updates the read tables in one transaction.

``Ledger.record(events)`` validates and canonicalises every event first (nothing is written if one is bad),
then, holding the sequencer lock, inserts the entries, runs each kind's projector, stores the new tree nodes,
signs a checkpoint for the new size and commits. An index returned to a caller is committed.
"""

from __future__ import annotations

import fcntl
import itertools
import os
from collections import Counter
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import Connection, Engine, insert, select, update
from sqlalchemy.exc import IntegrityError

from reetrace.errors import Detail, Error
from reetrace.events import Event, KindRegistry, canonical_entry
from reetrace.log import tree
from reetrace.log.checkpoint import Checkpoint, sign_checkpoint
from reetrace.log.hashing import leaf_hash
from reetrace.log.note import Signer
from reetrace.storage.engine import write_transaction
from reetrace.storage.nodes import DbNodeSource, write_nodes
from reetrace.storage.tables import log_checkpoints, log_entries, log_state


@dataclass(frozen=True)
class Appended:
    """What a committed append produced."""

    indices: list[int]
    size: int
    root: bytes
    checkpoint: str


@dataclass
class _Pending:
    leaves: list[bytes] = field(default_factory=list)


class UnitOfWork:
    """A write transaction holding the sequencer lock. Use ``Ledger.unit_of_work()``."""

    def __init__(self, ledger: Ledger, conn: Connection, size: int) -> None:
        self.ledger = ledger
        self.conn = conn
        self.base_size = size
        self._pending = _Pending()

    @property
    def next_index(self) -> int:
        return self.base_size + len(self._pending.leaves)

    def record(self, event: Event) -> int:
        """Validate, canonicalise and stage one event; its projection runs now, inside this transaction."""
        return self.record_many([event])[0]

    def record_many(self, events: Sequence[Event]) -> list[int]:
        return self.stage([self.ledger.prepare(e) for e in events])

    def stage(self, prepared: Sequence[tuple[Event, bytes]]) -> list[int]:
        """Stage events already validated and canonicalised by ``Ledger.prepare``; run their projections."""
        indices = self.stage_canonical([(entry, e.kind, e.tenant, e.id) for e, entry in prepared])
        project_runs(self.conn, self.ledger.kinds, [(e, i) for (e, _), i in zip(prepared, indices, strict=True)])
        return indices

    def stage_canonical(self, entries: Sequence[tuple[bytes, str, str | None, str]]) -> list[int]:
        """The sequencer's part: (entry bytes, kind, tenant, event id) rows become log entries.

        Callers other than :meth:`stage` must pass entries that ``Ledger.prepare`` produced (the benchmark
        measures this layer alone); no read table is touched here.
        """
        first = self.next_index
        leaves = [leaf_hash(entry) for entry, _, _, _ in entries]
        rows = [(first + n, leaf, entry, kind, tenant, event_id)
                for n, (leaf, (entry, kind, tenant, event_id)) in enumerate(zip(leaves, entries, strict=True))]
        if rows:
            savepoint = self.conn.begin_nested()
            try:
                insert_entries(self.conn, rows)
            except IntegrityError:
                savepoint.rollback()  # nothing of this batch stays; the unit of work is still usable
                raise duplicate_events(self.conn, [r[5] for r in rows]) from None
            savepoint.commit()
        self._pending.leaves.extend(leaves)
        return list(range(first, first + len(rows)))

    def seal(self) -> Appended | None:
        """Store the tree nodes and sign the checkpoint for everything staged. Called before commit."""
        leaves = self._pending.leaves
        if not leaves:
            return None
        old, new = self.base_size, self.base_size + len(leaves)
        source = DbNodeSource(self.conn)
        nodes = tree.new_nodes(source, old, leaves)
        write_nodes(self.conn, source, old, new, nodes)
        root = tree.root(DbNodeSource(self.conn, overlay=nodes), new)
        note = sign_checkpoint(Checkpoint(self.ledger.origin, new, root), self.ledger.signer)
        self.conn.execute(insert(log_checkpoints).values(size=new, root=root, note=note,
                                                         created_at=datetime.now(UTC)))
        self.conn.execute(update(log_state).where(log_state.c.id == 1).values(size=new, root=root))
        return Appended(list(range(old, new)), new, root, note)


class Ledger:
    """The log plus the read tables it feeds, on one engine."""

    def __init__(self, engine: Engine, signer: Signer, origin: str, kinds: KindRegistry,
                 checkpoint_file: Path | None = None) -> None:
        self.engine = engine
        self.signer = signer
        self.origin = origin
        self.kinds = kinds
        self.checkpoint_file = checkpoint_file

    def prepare(self, event: Event) -> tuple[Event, bytes]:
        event = self.kinds.validate(event)
        return event, canonical_entry(event)

    @contextmanager
    def unit_of_work(self) -> Iterator[UnitOfWork]:
        """Everything recorded inside commits together, or not at all."""
        with write_transaction(self.engine) as conn:
            uow = UnitOfWork(self, conn, lock_state(conn))
            yield uow
            appended = uow.seal()
        if appended is not None:
            self._publish(appended)

    def record(self, events: Sequence[Event]) -> Appended:
        """Append a batch of events durably; returns their indices once committed."""
        if not events:
            raise Error("nothing to record", code="empty_batch")
        prepared = [self.prepare(e) for e in events]  # fail before taking the lock
        with write_transaction(self.engine) as conn:
            uow = UnitOfWork(self, conn, lock_state(conn))
            uow.stage(prepared)
            appended = uow.seal()
        assert appended is not None
        self._publish(appended)
        return appended

    def _publish(self, appended: Appended) -> None:
        if self.checkpoint_file is not None:
            publish_checkpoint_file(self.checkpoint_file, appended.size, appended.checkpoint)


ENTRY_COLUMNS = ("idx", "leaf_hash", "entry", "kind", "tenant", "event_id")


def insert_entries(conn: Connection, tuples: Sequence[tuple[object, ...]]) -> None:
    """Insert log entries by the fastest path each database offers (plain executemany, or COPY on PostgreSQL)."""
    if conn.dialect.name == "sqlite":
        conn.exec_driver_sql(f"INSERT INTO log_entries ({', '.join(ENTRY_COLUMNS)}) VALUES (?, ?, ?, ?, ?, ?)",
                             tuples)
    elif conn.dialect.name == "postgresql":
        import psycopg

        raw = conn.connection.dbapi_connection
        assert raw is not None
        try:
            with raw.cursor() as cursor, cursor.copy(  # type: ignore[attr-defined]
                    f"COPY log_entries ({', '.join(ENTRY_COLUMNS)}) FROM STDIN") as copy:
                for row in tuples:
                    copy.write_row(row)
        except psycopg.IntegrityError as exc:  # the raw cursor bypasses SQLAlchemy's exception wrapping
            raise IntegrityError("COPY log_entries", None, exc) from exc
    else:
        conn.execute(insert(log_entries), [dict(zip(ENTRY_COLUMNS, row, strict=True)) for row in tuples])


def duplicate_events(conn: Connection, event_ids: Sequence[str]) -> Error:
    """The error for a batch whose event ids repeat one another or ids already on the log."""
    counts = Counter(event_ids)
    repeated = sorted(e for e, n in counts.items() if n > 1)
    where = "is repeated within the batch"
    if not repeated:
        unique = sorted(counts)
        for start in range(0, len(unique), 500):
            chunk = unique[start:start + 500]
            repeated += conn.execute(select(log_entries.c.event_id).where(log_entries.c.event_id.in_(chunk))).scalars()
        where = "is already on the log"
    shown = ", ".join(repeated[:5]) + (f" and {len(repeated) - 5} more" if len(repeated) > 5 else "")
    return Error(f"event id {shown} {where}: an event is recorded once", code="duplicate_event", http_status=409,
                 details=[Detail("give each event a new id, or leave `id` out", "event.id")])


def project_runs(conn: Connection, kinds: KindRegistry, items: Sequence[tuple[Event, int]]) -> None:
    """Run each kind's projector over consecutive runs of events of that kind, in log order."""
    for kind, run in itertools.groupby(items, key=lambda item: item[0].kind):
        project = kinds.get(kind).project
        if project is not None:
            project(conn, list(run))


def lock_state(conn: Connection) -> int:
    """Take the sequencer lock and return the current size (the state row is created by the migrations)."""
    query = select(log_state.c.size).where(log_state.c.id == 1)
    if conn.dialect.name == "postgresql":
        query = query.with_for_update()
    size = conn.execute(query).scalar_one_or_none()
    if size is None:
        raise Error("the log's state row is missing: run `reetrace db upgrade` on a new database, or "
                    "`reetrace log audit` if rows were deleted", code="no_log_state", http_status=500)
    return int(size)


def publish_checkpoint_file(path: Path, size: int, note: str, replace_same_size: bool = False) -> None:
    """Keep the newest checkpoint outside the database too, so truncating the tables is noticed.

    Writers race: the file only ever moves forward (lock, compare sizes, write a temp file, fsync, rename).
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path.with_suffix(".lock"), "a+") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if path.exists():
            try:
                current = int(path.read_text(encoding="utf-8").split("\n")[1])
            except (IndexError, ValueError):
                current = -1
            if current > size or (current == size and not replace_same_size):
                return
        tmp = path.with_suffix(".tmp")
        with open(tmp, "w", encoding="utf-8") as out:
            out.write(note)
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, path)
