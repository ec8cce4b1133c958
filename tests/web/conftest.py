"""Fixtures: ``log_world`` (one per module, read-only, populated and cosigned) and ``empty_world`` (a fresh, empty
log per test, for tests that tamper with rows or need an empty log)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from web_world import World, add_witnesses, client_for, make_container, populate

from reetrace.storage.engine import read_transaction
from reetrace.storage.logread import LogReader


@pytest.fixture(scope="module")
def log_world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    home = tmp_path_factory.mktemp("reetrace-home")
    container = make_container(home)
    ids = populate(container)
    add_witnesses(container, home)
    with client_for(container) as client:
        yield World(container, client, ids)
    container.close()


@pytest.fixture
def empty_world(tmp_path: Path) -> Iterator[World]:
    container = make_container(tmp_path / "home")
    with client_for(container) as client:
        yield World(container, client, [])
    container.close()


@pytest.fixture
def reader(log_world: World) -> Iterator[LogReader]:
    with read_transaction(log_world.container.engine) as conn:
        yield LogReader(conn)
