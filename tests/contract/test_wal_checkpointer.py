"""The SQLite WAL checkpointer: write transactions nudge a thread that copies the WAL into the database file, so a
commit no longer pays for SQLite's automatic checkpoint; it stops with the container, and a write never depends on
it."""

from __future__ import annotations

import sqlite3
import threading
import time
from pathlib import Path

from sqlalchemy import text

from reetrace.container import build_container
from reetrace.settings import load_settings
from reetrace.storage import engine as engines
from reetrace.storage.engine import WalCheckpointer, checkpointer_of, write_transaction


def _wait(condition: object, seconds: float = 10.0) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():  # type: ignore[operator]
            return True
        time.sleep(0.01)
    return False


def _checkpoint_threads() -> int:
    return sum(t.name == "reetrace-wal-checkpoint" for t in threading.enumerate())


def test_a_write_is_checkpointed_off_the_writers_thread_and_close_stops_it(tmp_path: Path) -> None:
    before = _checkpoint_threads()
    container = build_container(load_settings({}, home=tmp_path / "home"))
    checkpointer = checkpointer_of(container.engine)
    assert checkpointer is not None and checkpointer.alive
    with write_transaction(container.engine) as conn:
        conn.execute(text("CREATE TABLE t (x TEXT)"))
        conn.execute(text("INSERT INTO t VALUES (:x)"), [{"x": "y" * 2000} for _ in range(500)])
    assert _wait(lambda: checkpointer.frames > 0), (checkpointer.runs, checkpointer.frames)
    # the pages are in the database file itself: a reader that ignores the WAL sees the rows
    db = tmp_path / "home" / "reetrace.db"
    raw = sqlite3.connect(f"file:{db}?immutable=1", uri=True)
    try:
        assert raw.execute("SELECT count(*) FROM t").fetchone() == (500,)
    finally:
        raw.close()
    container.close()
    assert not checkpointer.alive and checkpointer_of(container.engine) is None
    assert _checkpoint_threads() == before


def test_writers_keep_a_threshold_of_their_own(tmp_path: Path) -> None:
    container = build_container(load_settings({}, home=tmp_path / "home"))
    try:
        with container.engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA wal_autocheckpoint").scalar() == engines.SELF_CHECKPOINT_PAGES
            assert conn.exec_driver_sql("PRAGMA cache_size").scalar() == -engines.CACHE_KIB
    finally:
        container.close()


def test_an_in_memory_database_has_no_checkpointer(tmp_path: Path) -> None:
    container = build_container(load_settings({}, home=tmp_path, database_url="sqlite:///:memory:"))
    try:
        assert checkpointer_of(container.engine) is None
    finally:
        container.close()


def test_a_missing_database_file_does_not_stop_the_thread_and_is_not_created(tmp_path: Path) -> None:
    for path in (tmp_path / "gone" / "reetrace.db", tmp_path / "deleted by a rebuild.db"):
        checkpointer = WalCheckpointer(str(path), "FULL", delay=0.0)
        try:
            checkpointer.nudge()
            time.sleep(0.2)
            assert checkpointer.alive and checkpointer.runs == 0
            assert not path.exists()
        finally:
            checkpointer.close()
        assert not checkpointer.alive
