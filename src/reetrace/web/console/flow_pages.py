"""Console pages of product flow: a lot's trace as an inline SVG graph (layered left to right by step) and as a
table, the monthly mass balances (rows outside the tolerance highlighted), the quotas with a usage bar each, the
monthly reports not handed in (late ones highlighted, each with its downloads and a hand-in button), and the
import form (an EPCIS 2.0 document or a CSV/XLSX flow file; a refused file is shown with what is wrong and where)."""

from __future__ import annotations

import re
from datetime import date
from typing import Annotated, Literal

from fastapi import APIRouter, File, Form, Path, Query, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse

from reetrace.errors import Detail, Error, invalid
from reetrace.web import flowview as view
from reetrace.web.access import require
from reetrace.web.console.render import render
from reetrace.web.deps import Visible

router = APIRouter(include_in_schema=False)
READ = require("flow:lot:read")
RECORD = require("flow:event:record")
COLUMN, ROW, NODE_W, NODE_H = 230, 78, 190, 62


@router.get("/flow/lots/{lot}", response_class=HTMLResponse, **READ)
def lot_page(request: Request, scoped: Visible, lot: Annotated[str, Path(pattern=view.LOT_PATH)],
             direction: view.Direction = "back") -> HTMLResponse:
    found = view.trace(scoped, lot, direction)
    return render(request, "flow_lot.html", {"page": "flow", "trace": found, "graph": layout(found)})


def layout(found: view.Trace) -> dict[str, object]:
    """Where each node goes: one column per step, nodes stacked in each; edges as lines between node sides."""
    where: dict[str, tuple[int, int]] = {}
    rows: dict[int, int] = {}
    for node in found.nodes:
        row = rows.get(node.step, 0)
        rows[node.step] = row + 1
        where[node.lot_id] = (10 + node.step * COLUMN, 10 + row * ROW)
    lines = [(where[e.parent][0] + NODE_W, where[e.parent][1] + NODE_H // 2, where[e.child][0],
              where[e.child][1] + NODE_H // 2, e) for e in found.edges if e.parent in where and e.child in where]
    width = 20 + (max(rows) + 1) * COLUMN if rows else 20
    height = 20 + max(rows.values(), default=1) * ROW
    return {"where": where, "lines": lines, "width": width, "height": height, "node_w": NODE_W, "node_h": NODE_H}


@router.get("/flow/balance", response_class=HTMLResponse, **READ)
def balance_page(request: Request, scoped: Visible,
                 enterprise: Annotated[str | None, Query(max_length=64)] = None,
                 month: Annotated[str | None, Query(max_length=16)] = None) -> HTMLResponse:
    found = view.monthly(scoped, enterprise or None, month or None)
    return render(request, "flow_balance.html", {"page": "flow", "balances": found})


@router.get("/flow/quotas", response_class=HTMLResponse, **READ)
def quotas_page(request: Request, scoped: Visible,
                year: Annotated[int | None, Query(ge=2000, le=2100)] = None) -> HTMLResponse:
    found = view.year_quotas(scoped, year or date.today().year)
    return render(request, "flow_quotas.html", {"page": "flow", "quotas": found})


@router.get("/flow/import", response_class=HTMLResponse, **RECORD)
def import_form(request: Request, scoped: Visible) -> HTMLResponse:
    return render(request, "flow_import.html", _import_context(scoped, None, None, ""))


@router.post("/flow/import", response_class=HTMLResponse, **RECORD)
def import_upload(request: Request, scoped: Visible, file: Annotated[UploadFile, File()],
                  enterprise: Annotated[str, Form(max_length=64)]) -> HTMLResponse:
    """Store every event or none; a refused file is shown with its problems (event and field, or row and column)."""
    try:
        if not re.match(view.ENTERPRISE_ID, enterprise):
            raise invalid("choose an enterprise", Detail("an enterprise id such as NM-BAOTOU-01", "enterprise"))
        report = view.capture_file(request, scoped, file.file.read(view.MAX_UPLOAD + 1), file.filename or "",
                                   enterprise)
    except Error as exc:
        if exc.http_status not in (400, 404, 413):
            raise
        return render(request, "flow_import.html", _import_context(scoped, None, exc, enterprise),
                      status_code=exc.http_status)
    return render(request, "flow_import.html", _import_context(scoped, report, None, enterprise))


def _import_context(scoped: Visible, report: view.Captured | None, error: Error | None,
                    chosen: str) -> dict[str, object]:
    return {"page": "flow", "report": report, "error": error, "chosen": chosen,
            "enterprises": view.recordable_enterprises(scoped)}


ReportNotice = Annotated[Literal["submitted"] | None, Query()]


@router.get("/flow/reports", response_class=HTMLResponse, **READ)
def reports_page(request: Request, scoped: Visible, notice: ReportNotice = None) -> HTMLResponse:
    return render(request, "flow_reports.html", {"page": "flow", "due": view.due_list(scoped), "notice": notice})


@router.post("/flow/reports/{enterprise}/{month}/submission", **RECORD)
def submit_page(request: Request, scoped: Visible,
                enterprise: Annotated[str, Path(pattern=view.ENTERPRISE_ID)],
                month: Annotated[str, Path(max_length=16)]) -> RedirectResponse:
    """Hand in a month's report (recorded on the log) and go back to the list."""
    view.submit_report(request, scoped, enterprise, month)
    return RedirectResponse("/flow/reports?notice=submitted", status_code=303)
