"""Fixtures: ``log_world`` (one per module, read-only, populated and cosigned) and ``empty_world`` (a fresh, empty
log per test, for tests that tamper with rows or need an empty log); both signed in as an authority's auditor.
``authz_world`` (one per module) and ``fresh_authz_world`` (one per test, for tests that change accounts) hold
several tenants and users (:mod:`authz_world`); ``backend_world`` (one per module and backend) is the authz world on
SQLite and on a fresh PostgreSQL database, for the domain slices' API tests."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from authz_world import USERS, build_world, world_settings
from authz_world import World as AuthzWorld
from web_world import World, add_witnesses, client_for, make_container, populate, seed_accounts_without_log

from reetrace.storage.engine import read_transaction
from reetrace.storage.logread import LogReader
from support.backends import make_settings
from support.pgserver import create_database


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



@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def backend_world(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[AuthzWorld]:
    """The authz world with every domain module's objects, on SQLite and on a fresh PostgreSQL database."""
    url = None
    if request.param == "postgresql":
        url = create_database(request.getfixturevalue("pg_server"), f"t_{uuid.uuid4().hex[:16]}",
                              template="reetrace_template")
    users = dict(USERS)  # a domain module's populate may add its users to the table: keep it as it was
    try:
        built = build_world(make_settings(tmp_path_factory.mktemp("home"), url).with_(password_cost="low"))
    finally:
        USERS.clear()
        USERS.update(users)
    yield built
    built.container.close()
