"""CSV and XLSX flow records for enterprises without EPCIS: rows become EPCIS events, then the same capture.

One row is one lot line of an event; rows with the same ``event`` id form one event. Columns:

``event, kind, event_time, process_step, role, lot, quantity, unit, product_class, element, reo_content,
distribution, counterparty, end_user``

- ``kind`` ``create`` (an ObjectEvent ADD with lot master data), ``transform`` (a TransformationEvent; rows with
  role ``input`` or ``output``) or ``ship`` (an ObjectEvent OBSERVE, bizStep shipping, to ``counterparty``);
- ``distribution`` as ``Nd:0.6;Pr:0.2``; ``reo_content`` a fraction (0.92) or a percentage (92 %).

Every row is checked before anything is stored; an error names the row and the column.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from reetrace.errors import Detail, Error, invalid
from reetrace.tabular import csv_rows, xlsx_rows

from .epcis import PREFIX
from .lots import lot_uri
from .service import EventInput

COLUMNS = ("event", "kind", "event_time", "process_step", "role", "lot", "quantity", "unit", "product_class",
           "element", "reo_content", "distribution", "counterparty", "end_user")
KINDS = ("create", "transform", "ship")


def _text(value: Any) -> str:
    return "" if value is None else str(value).strip()


class _Row:
    def __init__(self, filename: str, number: int, cells: dict[str, Any]) -> None:
        self.where, self.cells = f"{filename}, row {number}", cells

    def get(self, column: str, required: bool = True) -> str:
        value = _text(self.cells.get(column))
        if required and not value:
            raise self.error(column, "is empty")
        return value

    def error(self, column: str, message: str) -> Error:
        return invalid(f"{self.where}, column {column}: {message}", Detail(message, f"{self.where}, {column}"),
                       code="bad_row")

    def number(self, column: str) -> float:
        text = self.get(column).replace(",", "")
        percent = text.endswith("%")
        try:
            value = float(text.rstrip("% "))
        except ValueError:
            raise self.error(column, f"{text!r} is not a number") from None
        return value / 100 if percent else value


def read_rows(data: bytes, filename: str) -> Iterator[tuple[int, dict[str, Any]]]:
    """Data rows by row number (the header is row 1); unknown columns are refused, blank rows left out."""
    suffix = Path(filename).suffix.lower()
    if suffix not in (".csv", ".xlsx", ".xlsm"):
        raise invalid(f"{filename}: not a CSV or XLSX file", Detail("name the file *.csv or *.xlsx", filename),
                      code="unsupported_format")
    table = csv_rows(data, filename) if suffix == ".csv" else xlsx_rows(data, filename)
    header = [_text(h).lower() for h in next(table, [])]
    unknown = [h for h in header if h and h not in COLUMNS]
    if unknown or not header:
        raise invalid(f"{filename}: unknown column(s) {', '.join(unknown) or '(no header)'}",
                      Detail(f"the columns are {', '.join(COLUMNS)}", f"{filename}, row 1"), code="bad_header")
    for number, values in enumerate(table, start=2):
        if any(_text(v) for v in values):
            yield number, {name: values[i] if i < len(values) else None for i, name in enumerate(header) if name}


def read_flow_rows(data: bytes, filename: str) -> list[EventInput]:
    groups: dict[str, list[_Row]] = {}
    for number, cells in read_rows(data, filename):
        missing = [c for c in ("event", "kind", "event_time", "lot", "quantity") if c not in cells]
        if missing:
            raise invalid(f"{filename}: missing column(s) {', '.join(missing)}",
                          Detail(f"the columns are {', '.join(COLUMNS)}", f"{filename}, row 1"), code="bad_header")
        row = _Row(filename, number, cells)
        groups.setdefault(row.get("event"), []).append(row)
    if not groups:
        raise invalid(f"{filename}: no rows", Detail("one row per lot line", filename), code="empty_file")
    return [_event(rows) for rows in groups.values()]


def _event(rows: Sequence[_Row]) -> EventInput:
    first = rows[0]
    kind = first.get("kind").lower()
    if kind not in KINDS:
        raise first.error("kind", f"{kind!r} is not one of {', '.join(KINDS)}")
    text = first.get("event_time")
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise first.error("event_time", f"{text!r} is not a time (2026-03-01T08:00:00+08:00)") from None
    if moment.tzinfo is None:
        raise first.error("event_time", "give the offset, e.g. +08:00")
    offset = moment.isoformat()[-6:]
    event: dict[str, Any] = {"eventTime": moment.isoformat(), "eventTimeZoneOffset": offset}
    if first.get("process_step", False):
        event[PREFIX + "processStep"] = first.get("process_step")
    if kind == "create":
        event.update(type="ObjectEvent", action="ADD", bizStep="commissioning",
                     quantityList=[_quantity(r) for r in rows], ilmd=_ilmd(rows))
    elif kind == "transform":
        roles = {r: [row for row in rows if row.get("role").lower() == r] for r in ("input", "output")}
        for row in rows:
            if row.get("role").lower() not in roles:
                raise row.error("role", f"{row.get('role')!r} is not input or output")
        event.update(type="TransformationEvent", bizStep="commissioning",
                     inputQuantityList=[_quantity(r) for r in roles["input"]],
                     outputQuantityList=[_quantity(r) for r in roles["output"]], ilmd=_ilmd(roles["output"]))
        if not roles["input"]:
            raise first.error("role", f"event {first.get('event')}: outputs without inputs")
    else:
        event.update(type="ObjectEvent", action="OBSERVE", bizStep="shipping", disposition="in_transit",
                     quantityList=[_quantity(r) for r in rows],
                     destinationList=[{"type": "owning_party", "destination": _party(first.get("counterparty"))}])
        if first.get("end_user", False):
            event[PREFIX + "endUser"] = first.get("end_user")
    return EventInput(f"{first.where} (event {first.get('event')})", event)


def _party(name: str) -> str:
    return name if ":" in name else "urn:reetrace:party:" + name.replace(" ", "_")


def _quantity(row: _Row) -> dict[str, Any]:
    quantity = row.number("quantity")
    if quantity < 0:
        raise row.error("quantity", f"{quantity:g} is negative")
    return {"epcClass": lot_uri(row.get("lot")), "quantity": quantity, "uom": row.get("unit", False) or "KGM"}


def _ilmd(rows: Sequence[_Row]) -> dict[str, Any]:
    return {PREFIX + "lotMasterData": [_master(r) for r in rows]}


def _master(row: _Row) -> dict[str, Any]:
    shares = {}
    for part in filter(None, (p.strip() for p in row.get("distribution", False).split(";"))):
        element, sep, share = part.partition(":")
        try:
            shares[element.strip()] = float(share.strip().rstrip("%")) / (100 if share.strip().endswith("%") else 1)
        except ValueError:
            raise row.error("distribution", f"{part!r} is not element:share (e.g. Nd:0.6)") from None
        if not sep:
            raise row.error("distribution", f"{part!r} is not element:share (e.g. Nd:0.6)")
    out: dict[str, Any] = {"lot": lot_uri(row.get("lot")), "productClass": row.get("product_class"),
                           "reoContent": row.number("reo_content"), "elementDistribution": shares}
    if row.get("element", False):
        out["element"] = row.get("element")
    return out
