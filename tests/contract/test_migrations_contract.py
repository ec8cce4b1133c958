"""Migrations on every backend: the migrated schema is exactly the models' metadata, and migrations round-trip."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine, inspect

from reetrace.container import Container
from reetrace.domains.tables import metadata
from reetrace.storage import migrate
from reetrace.storage.engine import make_engine, write_transaction
from support.backends import BACKENDS, make_settings
from support.pgserver import create_database


def _diffs(engine: Engine) -> list[object]:
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True, "compare_server_default": False})
        return list(compare_metadata(context, metadata))


@pytest.fixture(params=BACKENDS)
def empty_engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    """An engine on a database that has never been migrated (not copied from the template)."""
    url = None
    if request.param == "postgresql":
        url = create_database(request.getfixturevalue("pg_server"), f"empty_{uuid.uuid4().hex[:16]}")
    engine = make_engine(make_settings(tmp_path / "home", url))
    yield engine
    engine.dispose()


def test_migrated_schema_matches_the_models(container: Container) -> None:
    assert migrate.current_revision(container.engine) == migrate.head_revision()
    assert _diffs(container.engine) == []


def test_upgrade_from_empty_and_round_trip(empty_engine: Engine) -> None:
    assert migrate.current_revision(empty_engine) is None
    migrate.upgrade(empty_engine)
    assert migrate.current_revision(empty_engine) == migrate.head_revision()
    assert _diffs(empty_engine) == []
    migrate.upgrade(empty_engine)  # a second upgrade is a no-op
    config = migrate.alembic_config()
    with write_transaction(empty_engine) as conn:
        config.attributes["connection"] = conn
        command.downgrade(config, "base")
    assert set(inspect(empty_engine).get_table_names()) <= {"alembic_version"}
    migrate.upgrade(empty_engine)
    assert _diffs(empty_engine) == []
    assert set(inspect(empty_engine).get_table_names()) == {t.name for t in metadata.sorted_tables} | {
        "alembic_version"}


def test_head_constant_matches_the_migration_scripts() -> None:
    from reetrace.storage import migrate

    assert migrate.head_revision() == migrate.HEAD
