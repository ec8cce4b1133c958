"""`log replay` on every backend: a tampered projection row is reported and repaired from the log."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import pytest
from sqlalchemy import Connection, delete, insert, select, update

from reetrace.container import Container
from reetrace.domains.registry.service import issue_permit, register_enterprise
from reetrace.domains.registry.tables import enterprises, permits
from reetrace.storage.engine import write_transaction
from reetrace.storage.replay import ReplayReport, replay
from support.logdb import enterprise, notes, permit, snapshot


def _history(container: Container) -> None:
    container.ledger.record(notes(0, 5))
    with container.unit_of_work() as (uow, _):
        for n in range(1, 4):
            register_enterprise(uow, "tenant-a", "tester", enterprise(f"ENT-00{n}"))
        issue_permit(uow, "tenant-a", "tester", permit("P-1", "ENT-001"))
        issue_permit(uow, "tenant-a", "tester", permit("P-2", "ENT-002"))
    container.ledger.record(notes(5, 3))


def _replay(container: Container) -> ReplayReport:
    with write_transaction(container.engine) as conn:
        return replay(conn, container.kinds)


def _changed_name(conn: Connection) -> None:
    conn.execute(update(enterprises).where(enterprises.c.enterprise_id == "ENT-002").values(name="Shell Co"))


def _deleted_permit(conn: Connection) -> None:
    conn.execute(delete(permits).where(permits.c.permit_id == "P-2"))


def _inserted_permit(conn: Connection) -> None:
    row = conn.execute(select(permits).where(permits.c.permit_id == "P-1")).one()._asdict()
    conn.execute(insert(permits).values({**row, "permit_id": "P-FORGED", "permit_type": "export"}))


def _moved_permit(conn: Connection) -> None:
    conn.execute(update(permits).where(permits.c.permit_id == "P-1").values(valid_to=date(2099, 12, 31)))


def _deleted_permits(conn: Connection) -> None:
    conn.execute(delete(permits))


TAMPER: dict[str, tuple[Callable[[Connection], None], str, str, list[str]]] = {
    "updated enterprise": (_changed_name, "registry_enterprises", "changed", ["ENT-002"]),
    "deleted permit": (_deleted_permit, "registry_permits", "missing", ["P-2"]),
    "inserted permit": (_inserted_permit, "registry_permits", "extra", ["P-FORGED"]),
    "extended permit": (_moved_permit, "registry_permits", "changed", ["P-1"]),
    "deleted permits": (_deleted_permits, "registry_permits", "missing", ["P-1", "P-2"]),
}


def test_a_clean_replay_changes_nothing(container: Container) -> None:
    _history(container)
    before = snapshot(container.engine)
    report = _replay(container)
    assert report.entries == 13
    assert report.differences == 0
    assert {t.table for t in report.tables} >= {"registry_enterprises", "registry_permits", "registry_contacts"}
    assert snapshot(container.engine) == before


@pytest.mark.parametrize("case", list(TAMPER))
def test_replay_reports_and_repairs_tampering(container: Container, case: str) -> None:
    _history(container)
    clean = snapshot(container.engine)
    edit, table, kind, keys = TAMPER[case]
    with write_transaction(container.engine) as conn:
        edit(conn)
    assert snapshot(container.engine) != clean
    report = _replay(container)
    diffs = {t.table: t for t in report.tables}
    found = getattr(diffs[table], kind)
    assert found == keys
    assert report.differences == len(found), [t for t in report.tables if t.count]
    assert snapshot(container.engine) == clean
    assert _replay(container).differences == 0
