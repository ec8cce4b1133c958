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


def test_audit_trail_migration_projects_audit_events_already_on_the_log(empty_engine: Engine) -> None:
    """0003 adds the audit_trail projection and fills it from the audit events logged before it existed."""
    import hashlib
    import json

    from sqlalchemy import insert, select

    from reetrace.authz.tables import audit_trail
    from reetrace.storage.tables import log_entries

    migrate.upgrade(empty_engine, "0002")
    event = {"v": 1, "id": "e" * 32, "kind": "audit.access", "tenant": "group-a", "actor": "web",
             "occurred_at": "2026-11-01T08:00:00.000000Z", "subjects": [],
             "body": {"action": "access.denied", "user_id": None, "username": "bob", "target": "/audit",
                      "permission": "audit:trail:read", "reason": "missing permission", "ip": "127.0.0.1",
                      "method": "GET"}}
    entry = json.dumps(event).encode()
    with write_transaction(empty_engine) as conn:
        conn.execute(insert(log_entries).values(idx=0, leaf_hash=hashlib.sha256(b"\0" + entry).digest(), entry=entry,
                                                kind="audit.access", tenant="group-a", event_id="e" * 32))
    migrate.upgrade(empty_engine)
    with empty_engine.connect() as conn:
        rows = conn.execute(select(audit_trail)).all()
    assert [(r.entry_idx, r.tenant, r.action, r.username, r.target) for r in rows] == [
        (0, "group-a", "access.denied", "bob", "/audit")]


def test_flow_keys_migration_carries_balances_and_shipments_over_with_their_log_index(empty_engine: Engine) -> None:
    """0014 keys flow_balances and flow_shipments by their event's log index; rows written before keep their values
    and gain the index of their event (from flow_events); a downgrade gives them back as they were."""
    from sqlalchemy import text

    migrate.upgrade(empty_engine, "0013")
    event = {"tenant": "t", "enterprise_id": "E", "event_type": "TransformationEvent", "event_time": "2026-03-01",
             "month": "2026-03", "process_step": "cracking", "biz_step": None, "document": "{}", "namespaces": "{}"}
    balance = ("'ni:///h{n}', 'Nd', 't', 'E', '2026-03', 'cracking', 10.0, 9.5, 0.9, 1.0, {within}")
    with write_transaction(empty_engine) as conn:
        for n, idx in ((1, 7), (2, 11)):
            conn.execute(text("INSERT INTO flow_events (event_hash, tenant, enterprise_id, event_type, event_time, "
                              "month, process_step, biz_step, document, namespaces, entry_idx) VALUES (:h, :tenant, "
                              ":enterprise_id, :event_type, :event_time, :month, :process_step, :biz_step, :document, "
                              ":namespaces, :idx)"), {**event, "h": f"ni:///h{n}", "idx": idx})
            conn.execute(text(f"INSERT INTO flow_balances VALUES ({balance.format(n=n, within=n == 1)})"))
        conn.execute(text("INSERT INTO flow_shipments VALUES ('ni:///h2', 'urn:reetrace:lot:M', 'urn:p:B', 't', 'E', "
                          "5.0, 'Maker', '2026-03-20T00:00:00.000Z')"))
    migrate.upgrade(empty_engine)
    assert _diffs(empty_engine) == []
    with empty_engine.connect() as conn:
        balances = conn.execute(text("SELECT event_hash, entry_idx, in_kg, within FROM flow_balances "
                                     "ORDER BY entry_idx")).all()
        shipped = conn.execute(text("SELECT event_hash, entry_idx, lot_id, end_user FROM flow_shipments")).all()
    assert [tuple(r) for r in balances] == [("ni:///h1", 7, 10.0, True), ("ni:///h2", 11, 10.0, False)]
    assert [tuple(r) for r in shipped] == [("ni:///h2", 11, "urn:reetrace:lot:M", "Maker")]
    assert inspect(empty_engine).get_pk_constraint("flow_balances")["constrained_columns"] == ["entry_idx", "element"]
    config = migrate.alembic_config()
    with write_transaction(empty_engine) as conn:
        config.attributes["connection"] = conn
        command.downgrade(config, "0013")
    assert inspect(empty_engine).get_pk_constraint("flow_shipments")["constrained_columns"] == [
        "event_hash", "lot_id", "party"]
    with empty_engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM flow_balances")).scalar() == 2
        assert conn.execute(text("SELECT end_user FROM flow_shipments")).scalar() == "Maker"


def test_flow_events_document_migration_reads_the_event_from_its_log_entry(empty_engine: Engine) -> None:
    """0015 drops flow_events.document (the event is its log entry's body.event); a downgrade writes it back from
    the log, in canonical form."""
    import hashlib
    import json

    from sqlalchemy import insert, text

    from reetrace.domains.flow.queries import stored_events
    from reetrace.events import canonical_json
    from reetrace.storage.tables import log_entries

    migrate.upgrade(empty_engine, "0014")
    event = {"type": "ObjectEvent", "action": "OBSERVE", "eventTime": "2026-03-20T08:00:00+08:00",
             "eventTimeZoneOffset": "+08:00", "quantityList": [{"epcClass": "urn:reetrace:lot:M", "quantity": 5}],
             "reetrace:endUser": "风电整机厂"}
    body = {"event_hash": "ni:///h", "enterprise_id": "E", "event": event, "namespaces": {}, "min_yield": None,
            "max_yield": None}
    entry = json.dumps({"v": 1, "id": "f" * 32, "kind": "flow.event.captured", "tenant": "t", "actor": "cli",
                        "occurred_at": "2026-03-20T00:00:00.000000Z", "subjects": [], "body": body},
                       ensure_ascii=False).encode()
    with write_transaction(empty_engine) as conn:
        conn.execute(insert(log_entries).values(idx=3, leaf_hash=hashlib.sha256(b"\0" + entry).digest(), entry=entry,
                                                kind="flow.event.captured", tenant="t", event_id="f" * 32))
        conn.execute(text("INSERT INTO flow_events (event_hash, tenant, enterprise_id, event_type, event_time, month, "
                          "process_step, biz_step, document, namespaces, entry_idx) VALUES ('ni:///h', 't', 'E', "
                          "'ObjectEvent', '2026-03-20T00:00:00.000Z', '2026-03', NULL, NULL, :d, '{}', 3)"),
                     {"d": canonical_json(event).decode()})
    migrate.upgrade(empty_engine)
    assert _diffs(empty_engine) == []
    assert "document" not in {c["name"] for c in inspect(empty_engine).get_columns("flow_events")}
    with empty_engine.connect() as conn:
        assert stored_events(conn) == [(event, {})]
    config = migrate.alembic_config()
    with write_transaction(empty_engine) as conn:
        config.attributes["connection"] = conn
        command.downgrade(config, "0014")
    with empty_engine.connect() as conn:
        assert conn.execute(text("SELECT document FROM flow_events")).scalar() == canonical_json(event).decode()
