"""Eight processes appending at once, on SQLite and PostgreSQL: every acknowledged entry present exactly once."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest

from reetrace.container import Container, build_container
from reetrace.storage import migrate
from support.appender import parse_acks
from support.backends import BACKENDS, make_settings
from support.pgserver import create_database
from support.processes import Streamed, appender_command, check_acknowledged, clean_audit

WRITERS = 8
EVENTS_EACH = 200
COLD_WRITERS = 4


@pytest.mark.slow
def test_eight_writers_at_once(container: Container) -> None:
    settings = container.settings
    children = [Streamed.start(appender_command(settings.home, settings.database_url, str(w), "--count",
                                                str(EVENTS_EACH), "--max-batch", "25", "--seed", str(w)))
                for w in range(WRITERS)]
    acks: dict[int, str] = {}
    for w, child in enumerate(children):
        output = child.output(timeout=180)
        assert child.proc.returncode == 0, f"writer {w} failed:\n{child.stderr()}"
        mine = parse_acks(output)
        assert len(mine) == EVENTS_EACH
        assert list(mine) == sorted(mine), f"writer {w} saw its indices go backwards"
        clash = set(mine) & set(acks)
        assert not clash, f"indices acknowledged to two writers: {sorted(clash)[:5]}"
        acks.update(mine)
    assert sorted(acks) == list(range(WRITERS * EVENTS_EACH))
    check_acknowledged(container, acks)
    report = clean_audit(container)
    assert report.size == WRITERS * EVENTS_EACH
    # batches interleaved: more than one checkpoint per writer on average, every one of them verified
    assert report.checked_checkpoints > WRITERS


@pytest.fixture(params=BACKENDS)
def cold(request: pytest.FixtureRequest, tmp_path: Path) -> tuple[Path, str | None]:
    """A data folder with nothing in it (no keys) and a database never migrated."""
    url = None
    if request.param == "postgresql":
        url = create_database(request.getfixturevalue("pg_server"), f"cold_{uuid.uuid4().hex[:16]}")
    return tmp_path / "home", url


@pytest.mark.slow
def test_writers_on_a_cold_start(cold: tuple[Path, str | None]) -> None:
    """First starts at once: they must agree on one log key and one vault key, and migrate once."""
    home, url = cold
    children = [Streamed.start(appender_command(home, url, str(w), "--count", "25", "--max-batch", "5"))
                for w in range(COLD_WRITERS)]
    acks: dict[int, str] = {}
    for w, child in enumerate(children):
        output = child.output(timeout=180)
        assert child.proc.returncode == 0, f"writer {w} failed:\n{child.stderr()}"
        acks.update(parse_acks(output))
    assert sorted(acks) == list(range(COLD_WRITERS * 25))
    container = build_container(make_settings(home, url))
    try:
        check_acknowledged(container, acks)
        clean_audit(container)  # every checkpoint verifies under the one key on disk
        assert migrate.current_revision(container.engine) == migrate.head_revision()
    finally:
        container.close()
