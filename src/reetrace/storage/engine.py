"""Engines for SQLite (the embedded default, WAL, one writer at a time) and PostgreSQL (psycopg 3)."""

from __future__ import annotations

import sqlite3
import threading
import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from urllib.request import pathname2url

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import make_url

from reetrace.errors import Error
from reetrace.settings import Settings

WRITE_OPTION = "reetrace_write"
SELF_CHECKPOINT_PAGES = 10_000  # a writer checkpoints the WAL itself only past this many pages (~80 MB)
PAGE_BYTES = 8_192  # a new database's page size (an existing one keeps its own; SQLite's default is 4,096)
CACHE_KIB = 16_384  # each SQLite connection's page cache, KiB (SQLite's default, 2 MiB, spilled a 1,000-event document)


def make_engine(settings: Settings) -> Engine:
    url = make_url(settings.effective_database_url)
    if url.drivername == "postgresql" or url.drivername == "postgres":
        url = url.set(drivername="postgresql+psycopg")
    if url.get_backend_name() == "sqlite":
        if url.database and url.database != ":memory:":
            settings.home.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"timeout": 60.0})
        _configure_sqlite(engine, settings.sqlite_synchronous)
        if url.database and url.database != ":memory:" and not url.database.startswith("file:"):
            _CHECKPOINTERS[engine] = checkpointer = WalCheckpointer(url.database, settings.sqlite_synchronous)
            weakref.finalize(engine, checkpointer.close)
        return engine
    if url.get_backend_name() == "postgresql":
        return create_engine(url, pool_pre_ping=True, pool_size=5, max_overflow=10)
    raise Error(f"unsupported database {url.get_backend_name()!r}: use sqlite:/// or postgresql://",
                code="bad_database_url")


def _configure_sqlite(engine: Engine, synchronous: str) -> None:
    if synchronous.upper() not in {"OFF", "NORMAL", "FULL", "EXTRA"}:
        raise Error(f"REETRACE_SQLITE_SYNCHRONOUS must be OFF, NORMAL, FULL or EXTRA, not {synchronous!r}",
                    code="bad_setting")

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Take transaction control from pysqlite so that BEGIN is ours (deferred or IMMEDIATE).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        # Before WAL is set, so that it takes for a new file (a no-op for an existing one). 8 KiB pages: a
        # 1,000-event flow document committed about 3 % faster than with 4 KiB (fewer pages and frames per commit;
        # medians of four alternating runs each).
        cursor.execute(f"PRAGMA page_size={PAGE_BYTES}")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA synchronous={synchronous.upper()}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=60000")
        cursor.execute(f"PRAGMA cache_size=-{CACHE_KIB}")
        cursor.execute(f"PRAGMA wal_autocheckpoint={SELF_CHECKPOINT_PAGES}")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        if conn.get_execution_options().get(WRITE_OPTION):
            conn.exec_driver_sql("BEGIN IMMEDIATE")
        else:
            conn.exec_driver_sql("BEGIN")


@contextmanager
def write_transaction(engine: Engine) -> Iterator[Connection]:
    """A transaction that may write. On SQLite it takes the write lock at BEGIN (one writer at a time)."""
    with engine.connect() as conn:
        conn = conn.execution_options(**{WRITE_OPTION: True})
        with conn.begin():
            yield conn
    checkpointer = _CHECKPOINTERS.get(engine)
    if checkpointer is not None:
        checkpointer.nudge()


@contextmanager
def read_transaction(engine: Engine) -> Iterator[Connection]:
    with engine.connect() as conn, conn.begin():
        yield conn


class WalCheckpointer:
    """Copies the committed pages of a SQLite file's write-ahead log into the database file, on a thread of its own.

    SQLite's automatic checkpoint runs inside the commit that crosses its threshold, so that one writer pays for
    copying and syncing every page the others wrote too (with 1,000-event flow documents ~10 µs per event, some 40 %
    of the time spent sealing and committing). Here each write transaction only nudges this thread, which runs
    ``PRAGMA wal_checkpoint(PASSIVE)`` on its own connection a moment later (at most once per ``pause``): SQLite does
    that without Python's GIL, on another core, and a passive checkpoint never blocks a reader or a writer.
    Durability does not depend on it (a commit is durable once it is in the WAL, synced per ``synchronous``); should
    it fall behind, writers checkpoint past :data:`SELF_CHECKPOINT_PAGES` as before. Stopped by
    :func:`stop_checkpointer` (``Container.close``) or when the engine is garbage-collected.
    """

    def __init__(self, path: str, synchronous: str, *, delay: float = 0.02, pause: float = 0.1) -> None:
        self.path = path
        self.synchronous = synchronous.upper()
        self.delay = delay  # after a nudge: a burst of commits coalesces into one checkpoint
        self.pause = pause  # after a checkpoint: at most one per pause, however often small writes commit
        self.runs = 0  # checkpoints done (tests and diagnostics)
        self.checkpointed = 0  # WAL frames in the database file after the last one
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="reetrace-wal-checkpoint", daemon=True)
        self._thread.start()

    @property
    def alive(self) -> bool:
        return self._thread.is_alive()

    def nudge(self) -> None:
        self._wake.set()

    def close(self) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not threading.current_thread():
            self._thread.join()

    def _run(self) -> None:
        conn: sqlite3.Connection | None = None
        try:
            while True:
                self._wake.wait()
                if self._stop.wait(self.delay):
                    return
                self._wake.clear()
                try:
                    if conn is None:
                        conn = sqlite3.connect(f"file:{pathname2url(self.path)}?mode=rw", uri=True, timeout=60.0,
                                               isolation_level=None, check_same_thread=False)  # never creates it
                        conn.execute(f"PRAGMA synchronous={self.synchronous}")
                    _, _, copied = conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
                    self.runs += 1
                    self.checkpointed = max(int(copied), 0)
                except sqlite3.Error:
                    pass  # e.g. the file is gone (a test's temp dir); the next nudge tries again
                if self._stop.wait(self.pause):
                    return
        finally:
            if conn is not None:
                conn.close()


_CHECKPOINTERS: weakref.WeakKeyDictionary[Engine, WalCheckpointer] = weakref.WeakKeyDictionary()


def checkpointer_of(engine: Engine) -> WalCheckpointer | None:
    return _CHECKPOINTERS.get(engine)


def stop_checkpointer(engine: Engine) -> None:
    """Stop the engine's WAL checkpointer thread (if it has one) and close its connection."""
    checkpointer = _CHECKPOINTERS.pop(engine, None)
    if checkpointer is not None:
        checkpointer.close()
