"""Monthly flow reports per enterprise (the national traceability system's fields), their due dates and submission.

A report lists every quantity an enterprise's events of the month moved, one row per lot and role: product
(class and element), quantity (kg), REO content and REO kg, the counterparty, the end user, the invoice and the
packing-list ids. Where those come from:

- counterparty: the ``destinationList`` of a shipment or sale (owning party first), the ``sourceList`` of a receipt;
- invoice id: the ``bizTransactionList`` entries of CBV type ``inv`` (``inv``, ``urn:epcglobal:cbv:btt:inv`` or
  ``https://ref.gs1.org/cbv/BTT-inv``);
- packing id: the entries of type ``desadv`` (despatch advice, the EDI packing list), else the event's extension
  field ``reetrace:packingListId``.

Due date (Order No. 71: the previous month's flows by the 10th): the 10th of the following month; when that day is
not a working day in China's calendar (a weekend or a public holiday, :mod:`reetrace.workdays`), the next working
day (the usual 顺延 rule for deadlines that fall on a holiday). A report is late from the day after its due date.
``reports_due`` lists every report not handed in, from each enterprise's first month with flows to the month before
``today``, and raises ``flow.report.late`` once for each late one. Handing a report in is the event
``flow.report.submitted`` (with the SHA-256 of the CSV as generated).
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
from dataclasses import astuple, dataclass, fields
from datetime import date, timedelta
from typing import Any

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import Connection, func, insert, select

from reetrace.domains.personnel.models import Caller
from reetrace.domains.registry.tables import enterprises
from reetrace.errors import Detail, Error, invalid, not_found
from reetrace.events import Event, EventKind
from reetrace.storage.ledger import UnitOfWork
from reetrace.workdays import WorkdayCalendar

from .epcis import EpcisEvent, ObjectEvent, TransactionEvent, TransformationEvent, parse_epcis_event, quantities
from .lots import KG_PER_UNIT, known_lots, short_lot
from .queries import document_select, event_of
from .quota_tables import report_submissions
from .quotas import _alert_once
from .service import enterprise_tenant
from .tables import events

LATE = "flow.report.late"
MONTH = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")
DUE_DAY = 10


@dataclass(frozen=True)
class ReportRow:
    event_time: str
    event_type: str
    process_step: str
    direction: str  # produced | consumed | shipped | received | sold | observed
    lot: str
    product_class: str
    element: str
    quantity_kg: float
    reo_content: float
    reo_kg: float
    counterparty: str
    end_user: str
    invoice_id: str
    packing_id: str
    event_hash: str
    log_index: int


COLUMNS = tuple(f.name for f in fields(ReportRow))


@dataclass(frozen=True)
class MonthlyReport:
    enterprise_id: str
    enterprise_name: str
    month: str
    due_on: date
    rows: tuple[ReportRow, ...]


@dataclass(frozen=True)
class DueReport:
    enterprise_id: str
    tenant: str
    month: str
    due_on: date
    late: bool
    days_late: int


class ReportSubmitted(BaseModel):
    """Body of ``flow.report.submitted``."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    enterprise_id: str = Field(min_length=1, max_length=64)
    month: str = Field(pattern=MONTH.pattern)
    submitted_on: date
    due_on: date
    late: bool
    rows: int = Field(ge=0)
    sha256: str = Field(pattern=r"^[0-9a-f]{64}$")


def parse_month(text: str, where: str = "month") -> tuple[int, int]:
    match = MONTH.match(text.strip())
    if match is None:
        raise invalid(f"{text!r} is not a month", Detail("write it as YYYY-MM", where), code="bad_month")
    return int(match.group(1)), int(match.group(2))


def due_date(month: str, calendar: WorkdayCalendar | None = None) -> date:
    """The 10th of the next month, or the first working day after it when the 10th is not one."""
    year, number = parse_month(month)
    tenth = date(year + number // 12, number % 12 + 1, DUE_DAY)
    return (calendar or WorkdayCalendar.load()).next_workday(tenth)


def _month_end(month: str) -> date:
    year, number = parse_month(month)
    return date(year + number // 12, number % 12 + 1, 1) - timedelta(days=1)


def monthly_report(conn: Connection, enterprise_id: str, month: str, *, tenants: frozenset[str] | None = None,
                   calendar: WorkdayCalendar | None = None) -> MonthlyReport:
    """Every quantity the enterprise's events of the month (UTC) moved, one row per lot and role."""
    parse_month(month)
    row = conn.execute(select(enterprises.c.name, enterprises.c.tenant)
                       .where(enterprises.c.enterprise_id == enterprise_id)).first()
    if row is None or (tenants is not None and row.tenant not in tenants):
        raise not_found(f"no enterprise {enterprise_id!r} that you may see", code="unknown_enterprise")
    stored = conn.execute(document_select(events.c.event_hash, events.c.entry_idx, events.c.event_time)
                          .where(events.c.enterprise_id == enterprise_id, events.c.month == month)
                          .order_by(events.c.event_time, events.c.entry_idx)).all()
    parsed = [(parse_epcis_event(event_of(r.entry)), r) for r in stored]
    info = known_lots(conn, {q.epc_class for model, _ in parsed for qs in quantities(model).values() for q in qs})
    rows: list[ReportRow] = []
    for model, r in parsed:
        for direction, elements in _directions(model):
            for q in elements:
                kg = (q.quantity or 0.0) * KG_PER_UNIT.get(q.uom or "KGM", 1.0)
                lot = info.get(q.epc_class)
                reo = lot.reo_content if lot else 0.0
                rows.append(ReportRow(r.event_time, model.type, model.process_step or "", direction,
                                      short_lot(q.epc_class), lot.product_class if lot else "",
                                      (lot.element or "") if lot else "", round(kg, 6), reo, round(kg * reo, 6),
                                      _counterparty(model, direction), model.end_user or "",
                                      ";".join(_transactions(model, "inv")), _packing(model), r.event_hash,
                                      int(r.entry_idx)))
    return MonthlyReport(enterprise_id, row.name, month, due_date(month, calendar), tuple(rows))


def _directions(model: EpcisEvent) -> list[tuple[str, Any]]:
    roles = quantities(model)
    if isinstance(model, TransformationEvent):
        return [("consumed", roles["input"]), ("produced", roles["output"])]
    if isinstance(model, ObjectEvent) and model.action == "ADD":
        return [("produced", roles["created"])]
    step = (model.biz_step or "").rsplit("/", 1)[-1].rsplit(":", 1)[-1].removeprefix("BizStep-")
    if isinstance(model, TransactionEvent):
        direction = "sold" if model.destination_list or not model.source_list else "bought"
    elif step in ("shipping", "retail_selling") and model.destination_list:
        direction = "shipped"
    elif step == "receiving":
        direction = "received"
    else:
        direction = "observed"
    return [(direction, elements) for elements in roles.values()]


def _counterparty(model: EpcisEvent, direction: str) -> str:
    if direction in ("shipped", "sold"):
        ends = sorted(model.destination_list, key=lambda d: (not d.type.endswith("owning_party"), d.destination))
        return ";".join(dict.fromkeys(d.destination for d in ends))
    if direction in ("received", "bought"):
        starts = sorted(model.source_list, key=lambda s: (not s.type.endswith("owning_party"), s.source))
        return ";".join(dict.fromkeys(s.source for s in starts))
    return ""


def _transactions(model: EpcisEvent, kind: str) -> list[str]:
    out = []
    for t in model.biz_transaction_list:
        name = (t.type or "").rsplit("/", 1)[-1].rsplit(":", 1)[-1].removeprefix("BTT-")
        if name == kind:
            out.append(t.biz_transaction)
    return out


def _packing(model: EpcisEvent) -> str:
    found = _transactions(model, "desadv")
    if not found:
        extra = (model.model_extra or {}).get("reetrace:packingListId")
        found = [str(extra)] if extra else []
    return ";".join(found)


def report_csv(report: MonthlyReport) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    writer.writerows(astuple(r) for r in report.rows)
    return out.getvalue().encode("utf-8")


def report_xlsx(report: MonthlyReport) -> bytes:
    from openpyxl import Workbook  # type: ignore[import-untyped]  # openpyxl ships no stubs

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = f"flows {report.month}"
    sheet.append([f"{report.enterprise_id} {report.enterprise_name}", f"month {report.month}",
                  f"due {report.due_on.isoformat()}"])
    sheet.append(list(COLUMNS))
    for r in report.rows:
        sheet.append(list(astuple(r)))
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def submit_report(uow: UnitOfWork, caller: Caller, enterprise_id: str, month: str, submitted_on: date, *,
                  calendar: WorkdayCalendar | None = None) -> tuple[int, ReportSubmitted]:
    """Record that the enterprise handed in its report of the month (as generated now) on ``submitted_on``."""
    tenant = enterprise_tenant(uow.conn, caller, enterprise_id)
    report = monthly_report(uow.conn, enterprise_id, month, calendar=calendar)
    if submitted_on <= _month_end(month):
        raise invalid(f"the report of {month} can be submitted once the month is over, not on {submitted_on}",
                      Detail(f"submit from {_month_end(month) + timedelta(days=1)} on", "submitted_on"),
                      code="month_not_over")
    done = uow.conn.execute(select(report_submissions.c.submitted_on).where(
        report_submissions.c.enterprise_id == enterprise_id, report_submissions.c.month == month)).scalar()
    if done is not None:
        raise Error(f"{enterprise_id} submitted its report of {month} on {done} already", code="conflict",
                    http_status=409)
    body = ReportSubmitted(enterprise_id=enterprise_id, month=month, submitted_on=submitted_on,
                           due_on=report.due_on, late=submitted_on > report.due_on, rows=len(report.rows),
                           sha256=hashlib.sha256(report_csv(report)).hexdigest())
    index = uow.record(Event(kind="flow.report.submitted", tenant=tenant, actor=caller.actor,
                             subjects=(enterprise_id, f"report:{month}"), body=body.model_dump(mode="json")))
    return index, body


FIRST_MONTHS = (select(events.c.enterprise_id, events.c.tenant, func.min(events.c.month).label("first"))
                .group_by(events.c.enterprise_id, events.c.tenant))
HANDED_IN = select(report_submissions.c.enterprise_id, report_submissions.c.month)


def due_reports(firsts: list[tuple[str, str, str]], handed: set[tuple[str, str]], today: date,
                calendar: WorkdayCalendar | None = None) -> list[DueReport]:
    """The reports not handed in, given each enterprise's (id, tenant, first month with flows) and the (enterprise,
    month) pairs handed in: every month from the first to last month, by enterprise then month."""
    calendar = calendar or WorkdayCalendar.load()
    last = f"{today.year:04d}-{today.month:02d}"
    due: list[DueReport] = []
    for enterprise_id, tenant, first in sorted(firsts):
        for month in _months(first, last):
            if (enterprise_id, month) in handed:
                continue
            on = due_date(month, calendar)
            due.append(DueReport(enterprise_id, tenant, month, on, today > on, max(0, (today - on).days)))
    return due


def reports_due(uow: UnitOfWork, today: date, *, calendar: WorkdayCalendar | None = None,
                tenants: frozenset[str] | None = None) -> tuple[list[DueReport], list[str]]:
    """Reports not handed in (each enterprise from its first month with flows to last month); late ones alert once."""
    conn = uow.conn
    firsts = [(r.enterprise_id, r.tenant, r.first) for r in conn.execute(FIRST_MONTHS)
              if tenants is None or r.tenant in tenants]
    handed = {(r.enterprise_id, r.month) for r in conn.execute(HANDED_IN)}
    due = due_reports(firsts, handed, today, calendar)
    alerts = []
    for d in due:
        if d.late:
            message = f"{d.enterprise_id}: the flow report of {d.month} was due on {d.due_on}, {d.days_late} day(s) ago"
            evidence = {"enterprise_id": d.enterprise_id, "month": d.month, "due_on": d.due_on.isoformat(),
                        "today": today.isoformat(), "days_late": d.days_late}
            alerts.append(_alert_once(uow, d.tenant, LATE, d.enterprise_id, "warning", message, evidence,
                                      f"{LATE}:{d.enterprise_id}:{d.month}"))
    return due, [a for a in alerts if a is not None]


def _months(first: str, before: str) -> list[str]:
    """Months from ``first`` up to (not including) ``before``."""
    year, month = parse_month(first)
    out = []
    while f"{year:04d}-{month:02d}" < before:
        out.append(f"{year:04d}-{month:02d}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return out


def _submitted(conn: Connection, items: list[tuple[Event, int]]) -> None:
    for event, index in items:
        body = ReportSubmitted.model_validate(event.body)
        conn.execute(insert(report_submissions).values(
            enterprise_id=body.enterprise_id, month=body.month, tenant=event.tenant or "",
            submitted_on=body.submitted_on, due_on=body.due_on, late=body.late, rows=body.rows, sha256=body.sha256,
            entry_idx=index))


KINDS = [
    EventKind("flow.report.submitted", ReportSubmitted, lambda conn, items: _submitted(conn, list(items)),
              "an enterprise handed in its monthly flow report (due date, lateness, SHA-256 of the file)"),
]
