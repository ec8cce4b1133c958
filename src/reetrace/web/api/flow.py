"""``/api/v1/flow``: capture of EPCIS 2.0 documents and CSV/XLSX flow files (``POST /events``, multipart), the
stored events as one EPCIS 2.0 JSON-LD document (``GET /events``), a lot's trace back to its sources or forward to
its last lots (nodes with enterprise, country, product class, quantity and share; edges with the input shares), the
monthly mass balances and the year's quotas. A lot or enterprise of another tenant does not exist (an audited 404).
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal

from fastapi import APIRouter, File, Form, Path, Query, Request, UploadFile
from fastapi.responses import Response

from reetrace.domains.flow.certificates import certificate_json, certificate_pdf
from reetrace.domains.flow.lots import lot_uri, short_lot
from reetrace.domains.flow.reports import report_csv, report_xlsx
from reetrace.web import flowview as view
from reetrace.web.access import require
from reetrace.web.api.common import ERROR_RESPONSES, ErrorBody
from reetrace.web.deps import Visible, monthly_flow_report, provenance_certificate

router = APIRouter(prefix="/api/v1/flow", tags=["flow"], responses=ERROR_RESPONSES)
READ = require("flow:lot:read")
RECORD = require("flow:event:record")
TOO_LARGE: dict[int | str, dict[str, Any]] = {413: {"model": ErrorBody, "description": "The file is too large"}}
Enterprise = Annotated[str | None, Query(pattern=view.ENTERPRISE_ID, description="Only this enterprise's")]
Month = Annotated[str | None, Query(min_length=1, max_length=16, description="YYYY-MM")]
EnterprisePath = Annotated[str, Path(pattern=view.ENTERPRISE_ID, description="An enterprise id")]
MonthPath = Annotated[str, Path(min_length=1, max_length=16, description="YYYY-MM")]
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@router.post("/events", responses=TOO_LARGE, **RECORD)
def capture(request: Request, scoped: Visible,
            file: Annotated[UploadFile, File(description="An EPCIS 2.0 JSON-LD document (.json, .jsonld) or a CSV or "
                                                         "XLSX flow file")],
            enterprise: Annotated[str, Form(pattern=view.ENTERPRISE_ID,
                                            description="The enterprise (of your tenant) that records these flows")],
            ) -> view.Captured:
    """Capture flow events: every event is validated and its lots and mass balance checked first; one bad event
    stores nothing (the error names the event and field, or the file's row and column); an event captured before
    (the same CBV 2.0 event hash) is recognised and not stored twice. Quota alerts are checked after."""
    return view.capture_file(request, scoped, file.file.read(view.MAX_UPLOAD + 1), file.filename or "", enterprise)


@router.get("/events", **READ)
def export(scoped: Visible, enterprise: Enterprise = None, month: Month = None) -> dict[str, Any]:
    """The stored events one may see (optionally one enterprise's, one month's by event time in UTC) as one EPCIS 2.0
    JSON-LD document, in log order, each event as it was captured."""
    return view.export_document(scoped, enterprise, month)
LotId = Annotated[str, Path(pattern=view.LOT_PATH, description="A lot id (CONC-A) or its URN")]


@router.get("/lots/{lot}/trace", **READ)
def trace(scoped: Visible, lot: LotId, direction: view.Direction = "back") -> view.Trace:
    """The lot's genealogy as a graph: backward, each node's share of the lot's material; forward, the share of
    each later lot's material that comes from this one."""
    return view.trace(scoped, lot, direction)


@router.get("/lots/{lot}/certificate", response_class=Response,
            responses={200: {"content": {"application/json": {}, "application/pdf": {}},
                             "description": "The certificate (JSON, checked offline with `reetrace verify-certificate`"
                                            " and the log's public key) or its PDF rendering"}}, **READ)
def certificate(scoped: Visible, lot: LotId, format: Literal["json", "pdf"] = "json") -> Response:
    """The lot's provenance certificate: the enterprise and country of each step (mined, separated, metal, magnet)
    with the log entries they rest on and their inclusion proofs against the latest signed checkpoint. Given when
    every step lies in one's scope (403 otherwise)."""
    found = provenance_certificate(scoped, lot_uri(lot))
    name = f"certificate-{short_lot(found.lot)}"
    if format == "pdf":
        return Response(certificate_pdf(found), media_type="application/pdf",
                        headers={"Content-Disposition": f'attachment; filename="{name}.pdf"'})
    return Response(certificate_json(found), media_type="application/json",
                    headers={"Content-Disposition": f'attachment; filename="{name}.json"'})


@router.get("/reports/due", **READ)
def reports_due(scoped: Visible, on: Annotated[date | None, Query(description="As of this day (default: today in "
                                                                            "China)")] = None) -> view.DueList:
    """The monthly flow reports not handed in yet, each with its due date (the 10th of the next month, or the next
    working day) and how many days late it is."""
    return view.due_list(scoped, on)


@router.get("/reports/{enterprise}/{month}", response_class=Response,
            responses={200: {"content": {"text/csv": {}, XLSX: {}}, "description": "The monthly flow report"}},
            **READ)
def monthly_report(scoped: Visible, enterprise: EnterprisePath, month: MonthPath,
                   format: Literal["csv", "xlsx"] = "csv") -> Response:
    """The enterprise's monthly flow report with the national traceability system's fields (product, quantity, REO
    content, counterparty, end user, invoice and packing ids), one row per lot and role, as CSV or XLSX; the due
    date (the 10th of the next month, or the next working day) in the ``X-Due-On`` header."""
    found = monthly_flow_report(scoped, enterprise, month)
    data, media = ((report_xlsx(found), XLSX) if format == "xlsx" else (report_csv(found), "text/csv; charset=utf-8"))
    return Response(data, media_type=media, headers={
        "Content-Disposition": f'attachment; filename="flow-report-{enterprise}-{month}.{format}"',
        "X-Due-On": found.due_on.isoformat()})


@router.post("/reports/{enterprise}/{month}/submission", status_code=201,
             responses={409: {"model": ErrorBody, "description": "Handed in already"}}, **RECORD)
def submit_report(request: Request, scoped: Visible, enterprise: EnterprisePath,
                  month: MonthPath) -> view.Submitted:
    """Hand in the month's report (as generated now) today: recorded on the log with the SHA-256 of its CSV, late
    after its due date; a month that is not over, or a report handed in already, is refused."""
    return view.submit_report(request, scoped, enterprise, month)


@router.get("/balance", **READ)
def balance(scoped: Visible, enterprise: Annotated[str | None, Query(min_length=1, max_length=64)] = None,
            month: Annotated[str | None, Query(min_length=1, max_length=16, description="YYYY-MM")] = None,
            ) -> view.Balances:
    """REO in and out per enterprise, month and element, with the transformations outside the yield tolerance."""
    return view.monthly(scoped, enterprise, month)


@router.get("/quotas", **READ)
def quotas(scoped: Visible, year: Annotated[int, Query(ge=2000, le=2100)]) -> view.Quotas:
    """Each enterprise's mining and separation quotas of the year and the REO tonnes counted against them."""
    return view.year_quotas(scoped, year)
