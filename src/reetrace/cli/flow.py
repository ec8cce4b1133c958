"""`reetrace flow ...`: product flow records (EPCIS 2.0), lot genealogy and mass balance.

Thin adapters over :mod:`reetrace.domains.flow`. Bad input exits 2 with ``error[code]: message`` and where it is.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import typer
from sqlalchemy import Connection

from reetrace.cli.common import handle_errors, print_json, state
from reetrace.cli.personnel import ACTOR_OPT, JSON_OPT, SCOPE_OPT, TENANT_OPT, caller_of, plain, read_bytes, table
from reetrace.domains.flow import genealogy, imports, jsonld, queries, service
from reetrace.domains.flow.lots import lot_uri, short_lot
from reetrace.errors import Detail, invalid
from reetrace.storage.engine import read_transaction

app = typer.Typer(help="Product flow: EPCIS 2.0 events, lot genealogy, mass balance.", no_args_is_help=True)


def _scope(conn: Connection, tenant: str | None) -> frozenset[str] | None:
    return None if tenant is None else caller_of(conn, tenant, "cli").tenants


@app.command("import")
@handle_errors
def import_(ctx: typer.Context, file: Path = typer.Argument(..., help="An EPCIS 2.0 JSON-LD document, or CSV/XLSX."),
            tenant: str = TENANT_OPT,
            enterprise: str = typer.Option(..., "--enterprise", help="The enterprise that records these flows."),
            actor: str = ACTOR_OPT, as_json: bool = JSON_OPT) -> None:
    """Import flow events: every event is checked first, one bad event stores nothing, re-submissions are skipped."""
    data = read_bytes(file)
    suffix = file.suffix.lower()
    items = (jsonld.read_document(data, file.name) if suffix in (".json", ".jsonld")
             else imports.read_flow_rows(data, file.name))
    with state(ctx).container().unit_of_work() as (uow, _):
        report = service.capture(uow, caller_of(uow.conn, tenant, actor), enterprise, items)
    if as_json:
        print_json(plain(report))
        return
    table(f"import of {file.name}", ["events", "stored", "duplicates", "alerts", "log entries"],
          [[report.events, report.stored, report.duplicates, len(report.alerts),
            f"{report.first_index}..{report.last_index}" if report.first_index is not None else "-"]])


@app.command("export")
@handle_errors
def export(ctx: typer.Context, lot: str | None = typer.Option(None, "--lot", help="Only this lot's genealogy."),
           tenant: str | None = SCOPE_OPT,
           output: Path | None = typer.Option(None, "--output", "-o", help="Write here (default: stdout).")) -> None:
    """Stored events as one EPCIS 2.0 JSON-LD document."""
    with read_transaction(state(ctx).container().engine) as conn:
        stored = queries.stored_events(conn, None if lot is None else lot_uri(lot), _scope(conn, tenant))
    text = json.dumps(jsonld.write_document(stored), indent=2, ensure_ascii=False) + "\n"
    if output is None:
        typer.echo(text, nl=False)
    else:
        output.write_text(text, encoding="utf-8")


@app.command("trace")
@handle_errors
def trace(ctx: typer.Context, lot: str = typer.Argument(..., help="The lot (a URI, or a bare id)."),
          back: bool = typer.Option(False, "--back", help="Back to the sources, with each one's share."),
          forward: bool = typer.Option(False, "--forward", help="Forward to every customer."),
          as_json: bool = JSON_OPT) -> None:
    """Trace a lot back to its sources or forward to its customers."""
    if back == forward:
        raise invalid("give exactly one of --back and --forward", Detail("the direction of the trace", "--back"))
    with read_transaction(state(ctx).container().engine) as conn:
        result = genealogy.trace_back(conn, lot_uri(lot)) if back else genealogy.trace_forward(conn, lot_uri(lot))
    if as_json:
        print_json(plain(result))
        return
    if isinstance(result, list):
        table(f"sources of {lot}", ["source lot", "share", "enterprise", "product", "depth"],
              [[short_lot(s.lot_id), f"{s.share:.2%}", s.enterprise_id, s.product_class, s.depth] for s in result])
        return
    table(f"{lot} reached {len(result.customers)} customer(s)", ["customer", "lot", "kg", "end user", "time"],
          [[short_lot(d.party), short_lot(d.lot_id), f"{d.quantity_kg:,.1f}", d.end_user or "", d.event_time]
           for d in result.deliveries])
    if result.unshipped:
        typer.echo("not shipped yet: " + ", ".join(short_lot(x) for x in result.unshipped))


@app.command("balance")
@handle_errors
def balance(ctx: typer.Context, enterprise: str | None = typer.Option(None, "--enterprise"),
            month: str | None = typer.Option(None, "--month", help="YYYY-MM."), tenant: str | None = SCOPE_OPT,
            as_json: bool = JSON_OPT) -> None:
    """Mass balance per enterprise and month, element by element (REO kg in and out of transformations)."""
    if month is not None and not re.fullmatch(r"\d{4}-(0[1-9]|1[0-2])", month):
        raise invalid(f"{month!r} is not a month", Detail("write it as YYYY-MM", "--month"), code="bad_month")
    with read_transaction(state(ctx).container().engine) as conn:
        rows = queries.monthly_balances(conn, enterprise, month, _scope(conn, tenant))
    if as_json:
        print_json([{**plain(r), "yield": r.yield_ratio} for r in rows])
        return
    table("mass balance (REO kg)", ["enterprise", "month", "element", "transformations", "in kg", "out kg", "yield",
                                    "outside tolerance"],
          [[r.enterprise_id, r.month, r.element, r.transformations, f"{r.in_kg:,.2f}", f"{r.out_kg:,.2f}",
            "" if r.yield_ratio is None else f"{r.yield_ratio:.1%}", r.outside] for r in rows])
