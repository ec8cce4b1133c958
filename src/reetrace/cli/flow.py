"""`reetrace flow ...`: product flow records (EPCIS 2.0), lot genealogy, mass balance, quotas, monthly reports and
provenance certificates; `reetrace verify-certificate` checks a certificate offline.

Thin adapters over :mod:`reetrace.domains.flow`. Bad input exits 2 with ``error[code]: message`` and where it is; a
certificate that fails verification exits 1.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import typer
from pydantic import ValidationError
from sqlalchemy import Connection

from reetrace.cli.common import err_console, handle_errors, out_console, print_json, state
from reetrace.cli.personnel import (
    ACTOR_OPT,
    JSON_OPT,
    SCOPE_OPT,
    TENANT_OPT,
    TODAY_OPT,
    caller_of,
    parse_date,
    plain,
    read_bytes,
    table,
)
from reetrace.domains.flow import certificates, genealogy, imports, jsonld, queries, quotas, reports, service
from reetrace.domains.flow.lots import lot_uri, short_lot
from reetrace.errors import Detail, Error, VerificationError, invalid
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
        quota_alerts = quotas.check_after_capture(uow, enterprise, report.hashes)
    if as_json:
        print_json({**plain(report), "quota_alerts": quota_alerts})
        return
    table(f"import of {file.name}", ["events", "stored", "duplicates", "alerts", "log entries"],
          [[report.events, report.stored, report.duplicates, len(report.alerts) + len(quota_alerts),
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


# --- quotas -------------------------------------------------------------------------------------------------------

quota_app = typer.Typer(help="Annual mining and separation quotas (REO tonnes, by batch).", no_args_is_help=True)
app.add_typer(quota_app, name="quota")
YEAR_OPT = typer.Option(..., "--year", help="The quota year.")


@quota_app.command("set")
@handle_errors
def quota_set(ctx: typer.Context, enterprise: str = typer.Argument(..., help="The enterprise the quota is for."),
              year: int = YEAR_OPT, kind: str = typer.Option(..., "--kind", help="mining or separation."),
              tonnes: float = typer.Option(..., "--tonnes", help="REO tonnes of this batch."),
              batch: str = typer.Option("1", "--batch", help="The allocation batch (setting it again revises it)."),
              tenant: str = TENANT_OPT, actor: str = ACTOR_OPT, as_json: bool = JSON_OPT) -> None:
    """Set one batch of an enterprise's annual quota; alerts at 90 % and 100 % are raised at once if crossed."""
    try:
        body = quotas.QuotaSet.model_validate({"enterprise_id": enterprise, "year": year, "kind": kind,
                                               "batch": batch, "reo_tonnes": tonnes})
    except ValidationError as exc:
        first = exc.errors()[0]
        option = {"enterprise_id": "ENTERPRISE", "reo_tonnes": "--tonnes"}.get(str(first["loc"][0]),
                                                                               f"--{first['loc'][0]}")
        raise invalid(f"{option}: {first['msg']}", Detail(first["msg"], option), code="invalid_quota") from None
    with state(ctx).container().unit_of_work() as (uow, _):
        index, raised = quotas.set_quota(uow, caller_of(uow.conn, tenant, actor), body)
    if as_json:
        print_json({"log_index": index, "alerts": raised})
        return
    typer.echo(f"quota {kind} {year} batch {batch} of {enterprise}: {tonnes:,.3f} t REO (log entry {index}); "
               f"{len(raised)} alert(s)")


@quota_app.command("show")
@handle_errors
def quota_show(ctx: typer.Context, enterprise: str = typer.Argument(...), year: int = YEAR_OPT,
               tenant: str | None = SCOPE_OPT, as_json: bool = JSON_OPT) -> None:
    """Each quota of the year with its consumption computed from the flows, and the production beyond it."""
    with read_transaction(state(ctx).container().engine) as conn:
        rows = quotas.quota_status(conn, enterprise, year, _scope(conn, tenant))
    if as_json:
        print_json([{**plain(r), "share": r.share, "over_t": r.over_t} for r in rows])
        return
    table(f"quotas of {enterprise} in {year} (REO t)", ["kind", "quota t", "batches", "used t", "used", "beyond t",
                                                        "lots beyond"],
          [[r.kind, f"{r.quota_t:,.3f}", ", ".join(f"{b}: {t:,.3f}" for b, t in r.batches), f"{r.used_t:,.3f}",
            "" if r.share is None else f"{r.share:.1%}", f"{r.over_t:,.3f}",
            ", ".join(short_lot(b.production.lot_id) for b in r.beyond)] for r in rows])


# --- monthly reports ----------------------------------------------------------------------------------------------


@app.command("report")
@handle_errors
def report(ctx: typer.Context, enterprise: str = typer.Argument(...),
           month: str = typer.Option(..., "--month", help="YYYY-MM."),
           xlsx: bool = typer.Option(False, "--xlsx", help="Write XLSX (default: from the file's suffix)."),
           csv_: bool = typer.Option(False, "--csv", help="Write CSV."),
           output: Path = typer.Option(..., "--output", "-o", help="The file to write."),
           submit: bool = typer.Option(False, "--submit", help="Record that this report was handed in (--today)."),
           tenant: str | None = typer.Option(None, "--tenant", help="The tenant acting (needed with --submit)."),
           today: str | None = TODAY_OPT, actor: str = ACTOR_OPT) -> None:
    """The monthly flow report of an enterprise (the national system's fields), as CSV or XLSX."""
    reports.parse_month(month, "--month")
    if xlsx and csv_:
        raise invalid("give one of --xlsx and --csv", Detail("the file format", "--xlsx"), code="two_formats")
    as_xlsx = xlsx or (not csv_ and output.suffix.lower() == ".xlsx")
    if submit and tenant is None:
        raise invalid("--submit needs --tenant", Detail("the tenant handing the report in", "--tenant"))
    container = state(ctx).container()
    with read_transaction(container.engine) as conn:
        result = reports.monthly_report(conn, enterprise, month, tenants=_scope(conn, tenant))
    data = reports.report_xlsx(result) if as_xlsx else reports.report_csv(result)
    if submit:
        assert tenant is not None
        with container.unit_of_work() as (uow, _):
            index, body = reports.submit_report(uow, caller_of(uow.conn, tenant, actor), enterprise, month,
                                                parse_date(today, "--today"))
        typer.echo(f"submitted on {body.submitted_on} (due {body.due_on}{', late' if body.late else ''}): "
                   f"log entry {index}")
    output.write_bytes(data)
    typer.echo(f"{len(result.rows)} row(s) of {enterprise} {month} (due {result.due_on}) written to {output}")


@app.command("reports-due")
@handle_errors
def reports_due(ctx: typer.Context, today: str | None = TODAY_OPT, tenant: str | None = SCOPE_OPT,
                as_json: bool = JSON_OPT) -> None:
    """Monthly reports not handed in yet; a late one raises an alert (once)."""
    day = parse_date(today, "--today")
    with state(ctx).container().unit_of_work() as (uow, _):
        due, raised = reports.reports_due(uow, day, tenants=_scope(uow.conn, tenant))
    if as_json:
        print_json({"reports": plain(due), "alerts": raised})
        return
    table(f"reports due as of {day}", ["enterprise", "month", "due on", "status", "days late"],
          [[d.enterprise_id, d.month, d.due_on, "late" if d.late else "due", d.days_late or ""] for d in due])
    if raised:
        typer.echo(f"{len(raised)} new late-report alert(s)")


# --- provenance certificates --------------------------------------------------------------------------------------


@app.command("certificate")
@handle_errors
def certificate(ctx: typer.Context, lot: str = typer.Argument(..., help="The lot or magnet batch."),
                output: Path = typer.Option(..., "--output", "-o", help="The certificate (JSON)."),
                pdf: Path | None = typer.Option(None, "--pdf", help="Also render it as a PDF here."),
                tenant: str | None = SCOPE_OPT) -> None:
    """A provenance certificate: each step's enterprise and country, with log entries and inclusion proofs."""
    with read_transaction(state(ctx).container().engine) as conn:
        cert = certificates.build_certificate(conn, lot_uri(lot), _scope(conn, tenant))
    output.write_text(certificates.certificate_json(cert), encoding="utf-8")
    if pdf is not None:
        pdf.write_bytes(certificates.certificate_pdf(cert))
    countries = "; ".join(f"{k}: {', '.join(v)}" for k, v in cert.countries().items())
    typer.echo(f"{len(cert.steps)} step(s), {len(cert.entries)} log entries; {countries}; written to {output}")


def _vkey(key: str) -> str:
    """A vkey given as a string, or the file holding it."""
    path = Path(key)
    if path.is_file():
        return read_bytes(path).decode("utf-8", errors="replace").strip()
    return key.strip()


def verify_certificate(file: Path = typer.Argument(..., help="The certificate (JSON)."),
                       key: str = typer.Option(..., "--key", help="The log's public key (vkey), or a file with it."),
                       witness: list[str] = typer.Option([], "--witness", help="A witness vkey (repeatable)."),
                       as_json: bool = JSON_OPT) -> None:
    """Check a provenance certificate offline with the log's public key. Exits 0 if valid, 1 if not."""
    try:
        data = read_bytes(file)
        verified = certificates.verify_certificate(data, _vkey(key), [_vkey(w) for w in witness])
    except VerificationError as exc:
        if as_json:
            print_json({**exc.body(), "valid": False})
        else:
            err_console.print(f"INVALID: {exc.diagnostics()}", markup=False, highlight=False)
        raise typer.Exit(1) from None
    except Error as exc:
        err_console.print(exc.diagnostics(), markup=False, highlight=False)
        raise typer.Exit(2) from None
    cert = verified.certificate
    if as_json:
        print_json({"valid": True, "lot": cert.lot, "checkpoint_size": verified.size,
                    "cosigned_by": list(verified.cosigned_by), "countries": cert.countries(),
                    "steps": [s.model_dump(mode="json") for s in cert.steps]})
        return
    out_console.print(f"[green]valid[/]: {short_lot(cert.lot)}, {len(cert.steps)} step(s), {len(cert.entries)} "
                      f"log entries proved against checkpoint size {verified.size}"
                      + (f", cosigned by {', '.join(verified.cosigned_by)}" if verified.cosigned_by else ""))
    table(None, ["step", "lot", "product", "enterprise", "country", "share"],
          [[s.step, short_lot(s.lot), s.product_class, f"{s.enterprise_id} {s.enterprise_name}", s.country,
            "" if s.share is None else f"{s.share:.2%}"] for s in cert.steps])
