"""The SQLite WAL checkpointer: write transactions nudge a thread that copies the WAL into the database file, so a
commit no longer pays for SQLite's automatic checkpoint; it stops with the container, and a write never depends on
it."""

from __future__ import annotations

import sqlite3
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


def _rows_in_file(db: Path) -> int | None:
    raw = sqlite3.connect(f"file:{db}?immutable=1", uri=True)
    try:
        return int(raw.execute("SELECT count(*) FROM t").fetchone()[0])
    except sqlite3.Error:
        return None
    finally:
        raw.close()


def test_a_write_is_checkpointed_off_the_writers_thread_and_close_stops_it(tmp_path: Path) -> None:
    container = build_container(load_settings({}, home=tmp_path / "home"))
    checkpointer = checkpointer_of(container.engine)
    assert checkpointer is not None and checkpointer.alive
    runs = checkpointer.runs
    with write_transaction(container.engine) as conn:
        conn.execute(text("CREATE TABLE t (x TEXT)"))
        conn.execute(text("INSERT INTO t VALUES (:x)"), [{"x": "y" * 2000} for _ in range(500)])
    # the write nudges the thread, which checkpoints; the pages reach the database file itself (a reader that
    # ignores the WAL comes to see the rows). Both are waited for: in full suites under load the rows were once in
    # the file before the thread had run at all (some other checkpoint; not found which), so neither implies the other
    assert _wait(lambda: checkpointer.runs > runs), checkpointer.runs
    assert _wait(lambda: _rows_in_file(tmp_path / "home" / "reetrace.db") == 500), checkpointer.runs
    container.close()
    assert not checkpointer.alive and checkpointer_of(container.engine) is None


def test_writers_keep_a_threshold_of_their_own(tmp_path: Path) -> None:
    container = build_container(load_settings({}, home=tmp_path / "home"))
    try:
        with container.engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA wal_autocheckpoint").scalar() == engines.SELF_CHECKPOINT_PAGES
            assert conn.exec_driver_sql("PRAGMA cache_size").scalar() == -engines.CACHE_KIB
    finally:
        container.close()


def test_a_new_database_has_8_kib_pages_and_an_existing_one_keeps_its_own(tmp_path: Path) -> None:
    container = build_container(load_settings({}, home=tmp_path / "new"))
    try:
        with container.engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA page_size").scalar() == engines.PAGE_BYTES == 8192
    finally:
        container.close()
    old = tmp_path / "old"
    old.mkdir()
    with sqlite3.connect(old / "reetrace.db") as made:  # a database made before (SQLite's 4 KiB default)
        made.execute("PRAGMA page_size=4096")
        made.execute("PRAGMA journal_mode=WAL")
        made.execute("CREATE TABLE before (x TEXT)")
    container = build_container(load_settings({}, home=old))
    try:
        with container.engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA page_size").scalar() == 4096
            assert conn.exec_driver_sql("SELECT count(*) FROM before").scalar() == 0
    finally:
        container.close()


def test_small_writes_in_a_burst_share_checkpoints_and_close_does_not_wait_out_a_pause(tmp_path: Path) -> None:
    container = build_container(load_settings({}, home=tmp_path / "home"))
    checkpointer = checkpointer_of(container.engine)
    assert checkpointer is not None
    checkpointer.pause = 30.0
    with write_transaction(container.engine) as conn:
        conn.execute(text("CREATE TABLE t (x INTEGER)"))
    assert _wait(lambda: checkpointer.runs >= 1)
    time.sleep(0.5)  # any checkpoint nudged before the pause was set is done by now
    runs = checkpointer.runs
    for n in range(50):
        with write_transaction(container.engine) as conn:
            conn.execute(text("INSERT INTO t VALUES (:n)"), {"n": n})
    time.sleep(0.3)
    assert checkpointer.runs == runs  # inside the pause: the 50 commits wait for one later checkpoint
    started = time.monotonic()
    container.close()
    assert time.monotonic() - started < 5 and not checkpointer.alive


def test_an_in_memory_database_has_no_checkpointer(tmp_path: Path) -> None:
    container = build_container(load_settings({}, home=tmp_path, database_url="sqlite:///:memory:"))
    try:
        assert checkpointer_of(container.engine) is None
    finally:
        container.close()


def test_a_missing_database_file_does_not_stop_the_thread_and_is_not_created(tmp_path: Path) -> None:
    for path in (tmp_path / "gone" / "reetrace.db", tmp_path / "deleted by a rebuild.db"):
        checkpointer = WalCheckpointer(str(path), "FULL", delay=0.0, pause=0.0)
        try:
            checkpointer.nudge()
            time.sleep(0.2)
            assert checkpointer.alive and checkpointer.runs == 0
            assert not path.exists()
        finally:
            checkpointer.close()
        assert not checkpointer.alive
