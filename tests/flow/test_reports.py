"""Monthly flow reports: the national system's fields from the events, CSV and XLSX, due dates, late alerts."""

from __future__ import annotations

import csv
import hashlib
import io
import json
from datetime import date
from typing import Any

import pytest
from flow_chain import NORTH, SOUTH, chain, create, record, ship
from openpyxl import load_workbook
from personnel_people import state
from sqlalchemy import select

from reetrace.container import Container
from reetrace.domains.alerts.tables import alerts
from reetrace.domains.flow.quota_tables import report_submissions
from reetrace.domains.flow.reports import (
    COLUMNS,
    due_date,
    monthly_report,
    report_csv,
    report_xlsx,
    reports_due,
    submit_report,
)
from reetrace.errors import Error
from reetrace.storage.engine import read_transaction
from reetrace.workdays import WorkdayCalendar

CALENDAR = WorkdayCalendar.parse("""
[years.2027]
source = "a test calendar"
holidays = [{ name = "Test holiday", from = 2027-02-08, to = 2027-02-12 }]
adjusted_workdays = [2027-07-10]
""")


def _invoiced(event: dict[str, Any]) -> dict[str, Any]:
    return {**event, "bizTransactionList": [
        {"type": "inv", "bizTransaction": "urn:reetrace:inv:INV-2026-001"},
        {"type": "https://ref.gs1.org/cbv/BTT-desadv", "bizTransaction": "urn:reetrace:desadv:PL-77"},
        {"type": "urn:epcglobal:cbv:btt:po", "bizTransaction": "urn:reetrace:po:PO-5"}]}


def _march(world: Container) -> None:
    events = chain()
    events[5] = _invoiced(events[5])
    events[6] = {**events[6], "reetrace:packingListId": "PL-78"}
    record(world, *events)


def test_report_rows_carry_the_national_fields(world: Container) -> None:
    _march(world)
    with read_transaction(world.engine) as conn:
        report = monthly_report(conn, "ENT-N1", "2026-03")
    assert report.due_on == date(2026, 4, 10) and len(report.rows) == 2 + 3 + 3 + 2 + 2
    shipped = [r for r in report.rows if r.direction == "shipped"]
    assert [(r.lot, r.quantity_kg, r.counterparty, r.invoice_id, r.packing_id, r.end_user) for r in shipped] == [
        ("MAG-1", 800, "urn:reetrace:party:BUYER-X", "urn:reetrace:inv:INV-2026-001", "urn:reetrace:desadv:PL-77",
         "Wind turbine maker Y"),
        ("MAG-1", 500, "urn:reetrace:party:BUYER-Z", "", "PL-78", "")]
    assert shipped[0].reo_kg == pytest.approx(800 * 0.31) and shipped[0].product_class == "magnet"
    dy = next(r for r in report.rows if r.lot == "DY-1")
    assert (dy.direction, dy.product_class, dy.element, dy.reo_content, dy.process_step) == (
        "produced", "separated_oxide", "Dy", 0.995, "solvent_extraction")
    assert {r.direction for r in report.rows} == {"produced", "consumed", "shipped"}


def test_csv_and_xlsx_hold_the_same_rows(world: Container) -> None:
    _march(world)
    with read_transaction(world.engine) as conn:
        report = monthly_report(conn, "ENT-N1", "2026-03")
    rows = list(csv.reader(io.StringIO(report_csv(report).decode("utf-8"))))
    assert tuple(rows[0]) == COLUMNS and len(rows) == len(report.rows) + 1
    assert rows[1][COLUMNS.index("lot")] == report.rows[0].lot
    sheet = load_workbook(io.BytesIO(report_xlsx(report))).active
    values = [list(r) for r in sheet.iter_rows(values_only=True)]
    assert values[0][0].startswith("ENT-N1") and values[0][2] == "due 2026-04-10"
    assert tuple(values[1]) == COLUMNS and len(values) == len(report.rows) + 2
    for column in ("lot", "direction", "counterparty", "invoice_id", "event_hash"):
        assert [v[COLUMNS.index(column)] or "" for v in values[2:]] == [r[COLUMNS.index(column)] for r in rows[1:]]
    assert [v[COLUMNS.index("quantity_kg")] for v in values[2:]] == [float(r[COLUMNS.index("quantity_kg")])
                                                                     for r in rows[1:]]


def test_due_date_is_the_10th_or_the_next_working_day() -> None:
    assert due_date("2026-03") == date(2026, 4, 10)  # a Friday
    assert due_date("2026-04") == date(2026, 5, 11)  # Sunday 10 May 2026 -> Monday
    assert due_date("2025-12") == date(2026, 1, 12)  # Saturday 10 January 2026 -> Monday
    assert due_date("2027-01", CALENDAR) == date(2027, 2, 15)  # Wednesday 10th inside a holiday -> after it
    assert due_date("2027-06", CALENDAR) == date(2027, 7, 10)  # a Saturday worked in exchange stays due


@pytest.mark.parametrize("month", ["2026-13", "2026-3", "March", ""])
def test_a_bad_month_is_refused(month: str) -> None:
    with pytest.raises(Error) as err:
        due_date(month)
    assert err.value.code == "bad_month" and err.value.details[0].location == "month"


def test_late_reports_are_listed_and_alert_once(world: Container) -> None:
    record(world, create("ORE-1", 1000, "ore", 0.05, time="2026-01-15T08:00:00+08:00", La=1.0))
    record(world, create("ORE-9", 1000, "ore", 0.05, time="2026-02-15T08:00:00+08:00", La=1.0),
           enterprise="ENT-S1", caller=SOUTH)
    with world.unit_of_work() as (uow, _):
        due, raised = reports_due(uow, date(2026, 3, 10))
    assert [(d.enterprise_id, d.month, d.due_on, d.late, d.days_late) for d in due] == [
        ("ENT-N1", "2026-01", date(2026, 2, 10), True, 28), ("ENT-N1", "2026-02", date(2026, 3, 10), False, 0),
        ("ENT-S1", "2026-02", date(2026, 3, 10), False, 0)]
    assert len(raised) == 1
    with world.unit_of_work() as (uow, _):
        due, raised = reports_due(uow, date(2026, 3, 11))
    assert [d.month for d in due if d.late] == ["2026-01", "2026-02", "2026-02"] and len(raised) == 2
    with world.unit_of_work() as (uow, _):
        assert reports_due(uow, date(2026, 3, 12))[1] == []
    with read_transaction(world.engine) as conn:
        late = list(conn.execute(select(alerts).where(alerts.c.kind == "flow.report.late")))
    assert {json.loads(a.evidence)["month"] for a in late} == {"2026-01", "2026-02"} and len(late) == 3
    with world.unit_of_work() as (uow, _):
        scoped, _ = reports_due(uow, date(2026, 3, 12), tenants=frozenset({"group-south"}))
    assert {d.enterprise_id for d in scoped} == {"ENT-S1"}


def test_submission_is_an_event_and_clears_the_due_report(world: Container) -> None:
    _march(world)
    with world.unit_of_work() as (uow, _):
        index, body = submit_report(uow, NORTH, "ENT-N1", "2026-03", date(2026, 4, 13))
    assert body.late and body.due_on == date(2026, 4, 10) and body.rows == 12 and len(body.sha256) == 64
    with read_transaction(world.engine) as conn:
        row = conn.execute(select(report_submissions)).one()
        assert (row.month, row.late, row.entry_idx) == ("2026-03", True, index)
        report = monthly_report(conn, "ENT-N1", "2026-03")
    assert body.sha256 == hashlib.sha256(report_csv(report)).hexdigest()
    with world.unit_of_work() as (uow, _):
        due, _ = reports_due(uow, date(2026, 5, 1))
    assert [d.month for d in due] == ["2026-04"]


def test_bad_submissions_store_nothing(world: Container) -> None:
    _march(world)
    with world.unit_of_work() as (uow, _):
        submit_report(uow, NORTH, "ENT-N1", "2026-03", date(2026, 4, 2))
    before = state(world)
    cases = [(NORTH, "ENT-N1", "2026-03", date(2026, 4, 3), "conflict"),
             (NORTH, "ENT-N1", "2026-04", date(2026, 4, 30), "month_not_over"),
             (SOUTH, "ENT-N1", "2026-02", date(2026, 3, 3), "not_found"),
             (NORTH, "ENT-N1", "2026-3", date(2026, 4, 3), "bad_month")]
    for caller, enterprise, month, on, code in cases:
        with pytest.raises(Error) as err, world.unit_of_work() as (uow, _):
            submit_report(uow, caller, enterprise, month, on)
        assert err.value.code == code, (month, err.value)
    assert state(world) == before


def test_report_of_an_unknown_or_invisible_enterprise_is_404(world: Container) -> None:
    record(world, ship_free_event())
    with read_transaction(world.engine) as conn:
        for enterprise, tenants in (("ENT-NOPE", None), ("ENT-N1", frozenset({"group-south"}))):
            with pytest.raises(Error) as err:
                monthly_report(conn, enterprise, "2026-03", tenants=tenants)
            assert err.value.http_status == 404
        assert monthly_report(conn, "ENT-N2", "2026-03").rows == ()


def ship_free_event() -> dict[str, Any]:
    return create("ORE-1", 10, "ore", 0.05, La=1.0)


def test_a_shipment_without_invoice_has_empty_ids(world: Container) -> None:
    record(world, create("ORE-1", 10, "ore", 0.05, La=1.0), ship("ORE-1", 10, "TRADER-1"))
    with read_transaction(world.engine) as conn:
        rows = monthly_report(conn, "ENT-N1", "2026-03").rows
    assert [(r.direction, r.counterparty, r.invoice_id, r.packing_id) for r in rows] == [
        ("produced", "", "", ""), ("shipped", "urn:reetrace:party:TRADER-1", "", "")]


def test_quota_and_submission_tables_are_rebuilt_by_replay(world: Container) -> None:
    from reetrace.domains.flow.quotas import QuotaSet, set_quota
    from reetrace.storage.engine import write_transaction
    from reetrace.storage.replay import replay

    _march(world)
    with world.unit_of_work() as (uow, _):
        set_quota(uow, NORTH, QuotaSet(enterprise_id="ENT-N1", year=2026, kind="mining", batch="1", reo_tonnes=0.4))
        set_quota(uow, NORTH, QuotaSet(enterprise_id="ENT-N1", year=2026, kind="mining", batch="1", reo_tonnes=0.5))
        submit_report(uow, NORTH, "ENT-N1", "2026-03", date(2026, 4, 9))
    with write_transaction(world.engine) as conn:
        report = replay(conn, world.kinds)
        conn.rollback()
    assert [t for t in report.tables if t.count] == [] and report.entries > 10
