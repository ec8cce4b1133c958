"""Fixtures: ``log_world`` (one per module, read-only, populated and cosigned) and ``empty_world`` (a fresh, empty
log per test, for tests that tamper with rows or need an empty log); both signed in as an authority's auditor.
``authz_world`` (one per module) and ``fresh_authz_world`` (one per test, for tests that change accounts) hold
several tenants and users (:mod:`authz_world`)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from authz_world import World as AuthzWorld
from authz_world import build_world, world_settings
from web_world import World, add_witnesses, client_for, make_container, populate, seed_accounts_without_log

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
    seed_accounts_without_log(container)
    with client_for(container) as client:
        yield World(container, client, [])
    container.close()


@pytest.fixture
def reader(log_world: World) -> Iterator[LogReader]:
    with read_transaction(log_world.container.engine) as conn:
        yield LogReader(conn)


@pytest.fixture(scope="module")
def authz_world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[AuthzWorld]:
    world = build_world(world_settings(tmp_path_factory.mktemp("authz-home")))
    yield world
    world.container.close()


@pytest.fixture
def fresh_authz_world(tmp_path: Path) -> Iterator[AuthzWorld]:
    world = build_world(world_settings(tmp_path / "home"))
    yield world
    world.container.close()

