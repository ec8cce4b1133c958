"""`reetrace export ...`: classify an item against the control list as of a date, the No. 61 de minimis test,
the rules in force on a date; licence applications (apply, applications, show, review, respond), shipments drawn
down against licences (ship) and the SLA clock (sla).

Thin adapters over :mod:`reetrace.domains.licensing`; classify, deminimis and rules do not touch the database.
Bad input exits 2 with ``error[code]: message`` and where it is; a refused shipment exits 1.
"""

from __future__ import annotations

import functools
from datetime import date
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import typer
from rich.table import Table

from reetrace.cli.common import err_console, handle_errors, out_console, parse_json_object, print_json, state
from reetrace.cli.personnel import parse_date, plain, principal_named, read_bytes, reader_for, table
from reetrace.domains.licensing import ControlList, classify, deminimis, parse_item, parse_reexport
from reetrace.domains.licensing.application_models import (
    STATUSES,
    AnswerInput,
    ApplicationInput,
    LicenceTerms,
    parse_model,
)
from reetrace.domains.licensing.application_queries import (
    ApplicationView,
    get_application,
    list_applications,
    run_sla_checks,
    sla_queue,
)
from reetrace.domains.licensing.applications import answer_rfi, review_application, submit_application
from reetrace.domains.licensing.classify import Classification
from reetrace.domains.licensing.controllist import FORMS, short_name
from reetrace.domains.licensing.licences import record_shipment
from reetrace.errors import Detail, invalid, not_found
from reetrace.storage.engine import read_transaction

app = typer.Typer(help="Export control: classify items as of a date, the re-export de minimis test, the rules.",
                  no_args_is_help=True)

AS_OF_OPT = typer.Option(None, "--as-of", help="Answer as of this day (YYYY-MM-DD; default today).", metavar="DATE")
JSON_OPT = typer.Option(False, "--json", help="Print JSON.")
LIST_OPT = typer.Option(None, "--control-list", help="A control list TOML file (default: the one shipped).",
                        metavar="PATH")
CURRENCY_OPT = typer.Option("USD", "--currency", help="ISO 4217 currency of the values.")


def _day(text: str | None) -> date:
    if text is None:
        return date.today()
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise invalid(f"--as-of: {text!r} is not a date", Detail("write it as YYYY-MM-DD", "--as-of"),
                      code="bad_date") from None


def _control_list(path: Path | None) -> ControlList:
    return ControlList.default() if path is None else ControlList.load(path)


def _composition(pairs: list[str]) -> dict[str, str]:
    out: dict[str, str] = {}
    for pair in pairs:
        symbol, sep, percent = pair.partition("=")
        if not sep or not symbol.strip() or not percent.strip():
            raise invalid(f"--element {pair!r}: write it as SYMBOL=PERCENT, e.g. Tb=0.3",
                          Detail("mass fraction in percent", "--element"), code="bad_item")
        if symbol.strip() in out:
            raise invalid(f"--element: {symbol.strip()} is given twice", Detail(pair, "--element"), code="bad_item")
        out[symbol.strip()] = percent.strip()
    return out


@app.command("classify")
@handle_errors
def classify_cmd(
    form: str = typer.Option(..., "--form", help=f"What the item is: {'|'.join(FORMS)}."),
    description: str = typer.Option("", "--description", help="What the item is, in words."),
    hs: str | None = typer.Option(None, "--hs", help="HS code as declared (6-10 digits; a reference only)."),
    element: list[str] = typer.Option([], "--element", help="Element mass fraction in percent, e.g. Tb=0.3 "
                                      "(repeat the option).", metavar="SYMBOL=PERCENT"),
    value: str | None = typer.Option(None, "--value", help="Value of the item."),
    currency: str = CURRENCY_OPT,
    as_of: str | None = AS_OF_OPT,
    control_list: Path | None = LIST_OPT,
    as_json: bool = JSON_OPT,
) -> None:
    """Controlled, not controlled or uncertain as of a date: which rule, why, and what to confirm."""
    item = parse_item({"form": form, "description": description, "hs_code": hs, "composition": _composition(element),
                       "value": value, "currency": currency})
    result = classify(item, _day(as_of), _control_list(control_list))
    if as_json:
        print_json(result.as_json())
        return
    _print_classification(result)


def _print_classification(result: Classification) -> None:
    verdict = {"controlled": "CONTROLLED", "not_controlled": "NOT CONTROLLED", "uncertain": "UNCERTAIN"}
    out_console.print(f"{verdict[result.verdict]} as of {result.as_of.isoformat()}", markup=False, highlight=False)
    if result.matches:
        table = Table("rule", "announcement", "certainty", "on the date", "subject")
        for m in result.matches:
            table.add_row(m.rule_id, m.announcement, m.certainty, m.state.replace("_", " "), m.title.split(":")[0])
        out_console.print(table)
    sources = tuple(dict.fromkeys(f"{m.rule_id}: {m.citation}" for m in result.matches))
    sections = (("Why", result.steps), ("To confirm", result.uncertain), ("Sources", sources))
    for title, lines in sections:
        if lines:
            out_console.print(f"{title}:", markup=False, highlight=False)
            for line in lines:
                out_console.print(f"  - {line}", markup=False, highlight=False)
    if result.caveat:
        out_console.print(f"Note: {result.caveat}", markup=False, highlight=False)


@app.command("deminimis")
@handle_errors
def deminimis_cmd(
    controlled_value: str = typer.Option(..., "--controlled-value", help="Value of the China-origin controlled "
                                         "content."),
    total_value: str = typer.Option(..., "--total-value", help="Value of the whole item."),
    currency: str = CURRENCY_OPT,
    as_of: str | None = AS_OF_OPT,
    control_list: Path | None = LIST_OPT,
    as_json: bool = JSON_OPT,
) -> None:
    """The No. 61 re-export de minimis test (0.1 % of value), and whether the rule applies on the date."""
    values = parse_reexport({"controlled_value": controlled_value, "total_value": total_value, "currency": currency})
    result = deminimis(values, _day(as_of), _control_list(control_list))
    if as_json:
        print_json(result.as_json())
        return
    headline = {"licence_required": "LICENCE REQUIRED", "below_threshold": "BELOW THRESHOLD",
                "rule_not_in_force": "RULE NOT IN FORCE"}[result.outcome]
    out_console.print(f"{headline} as of {result.as_of.isoformat()} ({result.rule_id}: {result.citation})",
                      markup=False, highlight=False)
    for line in result.steps:
        out_console.print(f"  - {line}", markup=False, highlight=False)


@app.command("rules")
@handle_errors
def rules_cmd(
    as_of: str | None = AS_OF_OPT,
    control_list: Path | None = LIST_OPT,
    in_force_only: bool = typer.Option(False, "--in-force", help="Only the rules in force on the date."),
    as_json: bool = JSON_OPT,
) -> None:
    """The rules of the control list and their status on a date."""
    cl = _control_list(control_list)
    day = _day(as_of)
    rows = [(r, s) for r, s in cl.in_force(day) if s.in_force or not in_force_only]
    if as_json:
        print_json({"as_of": day.isoformat(), "version": cl.version, "digest": cl.digest,
                    "rules": [{"rule": r.id, "announcement": short_name(cl.announcement(r.announcement)),
                               "kind": r.kind, "element": r.element, "title": r.title, "state": s.state,
                               "status": s.reason, "citation": r.citation, "verified": r.verified}
                              for r, s in rows]})
        return
    table = Table("rule", "announcement", "kind", "element", "on " + day.isoformat(), "subject")
    for r, s in rows:
        table.add_row(r.id, short_name(cl.announcement(r.announcement)), r.kind, r.element or "",
                      s.state.replace("_", " "), r.title.split(":")[0])
    out_console.print(table)
    out_console.print(f"control list {cl.version} (sha256 {cl.digest[:16]}...), checked {cl.checked.isoformat()}",
                      markup=False, highlight=False)


# --- licence applications, review, licences, shipments ---------------------------------------------------------
# These commands use the database; `--as USERNAME` names the user who acts (their roles decide what they may do).

AS_OPT = typer.Option(..., "--as", help="The acting user's username.", metavar="USERNAME")
TODAY_OPT = typer.Option(None, "--today", help="Act as of this day (YYYY-MM-DD; default today).", metavar="DATE")
SCOPE_OPT = typer.Option(None, "--tenant", help="Only what this tenant may see (default: every tenant).")


def _read_json(path: Path) -> dict[str, Any]:
    try:
        text = read_bytes(path).decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise invalid(f"{path.name} is not UTF-8 text", Detail(str(exc), path.name), code="bad_file") from None
    return parse_json_object(text, path.name)


def _with_files(data: dict[str, Any], folder: Path) -> dict[str, Any]:
    """``certificates`` as [{kind, file}] (paths relative to the JSON file) become [{kind, name, data}]."""
    raw = data.get("certificates", [])
    if not isinstance(raw, list):
        raise invalid("certificates must be a list of {kind, file}", Detail("a list", "certificates"),
                      code="bad_certificate")
    out = []
    for n, cert in enumerate(raw):
        if not isinstance(cert, dict) or not isinstance(cert.get("file"), str) or not cert["file"].strip():
            raise invalid(f"certificates[{n}] needs a file", Detail("{kind, file}", f"certificates[{n}].file"),
                          code="bad_certificate")
        path = (folder / cert["file"]).resolve()
        if not path.is_file():
            raise invalid(f"certificates[{n}]: no file {cert['file']!r}", Detail(str(path), f"certificates[{n}].file"),
                          code="missing_certificate")
        out.append({"kind": cert.get("kind", ""), "name": path.name, "data": read_bytes(path)})
    return {**data, "certificates": out}


def _decimal(text: str, where: str) -> Decimal:
    try:
        value = Decimal(text.strip())
    except InvalidOperation:
        raise invalid(f"{where}: {text!r} is not a number", Detail("e.g. 250 or 12.5", where),
                      code="bad_number") from None
    if not value.is_finite():
        raise invalid(f"{where}: {text!r} is not a number", Detail("a finite number", where), code="bad_number")
    return value


@app.command("apply")
@handle_errors
def apply_cmd(ctx: typer.Context, file: Path = typer.Argument(..., help="The application as JSON; certificate "
                                                              "files relative to it."),
              username: str = AS_OPT, today: str | None = TODAY_OPT, as_json: bool = JSON_OPT) -> None:
    """Submit a licence application: checked, classified as of today, its parties screened; the SLA clock starts."""
    data = _with_files(_read_json(file), file.resolve().parent)
    app_input = parse_model(ApplicationInput, data, "bad_application", "application")
    day = parse_date(today, "--today")
    c = state(ctx).container()
    with c.unit_of_work() as (uow, _):
        application_id = submit_application(uow, principal_named(uow.conn, username), app_input, today=day)
    _show(ctx, application_id, None, day, as_json)


@app.command("applications")
@handle_errors
def applications_cmd(ctx: typer.Context, status: str | None = typer.Option(None, "--status", help="Only this status: "
                                                                           "submitted, under_review, "
                                                                           "awaiting_information, approved, denied."),
                     tenant: str | None = SCOPE_OPT, today: str | None = TODAY_OPT, as_json: bool = JSON_OPT) -> None:
    """Licence applications, newest first, with their SLA clock."""
    day = parse_date(today, "--today")
    if status is not None and status not in STATUSES:
        raise invalid(f"--status: unknown status {status!r}", Detail(" | ".join(STATUSES), "--status"),
                      code="bad_status")
    with read_transaction(state(ctx).container().engine) as conn:
        views = list_applications(reader_for(conn, tenant), day, status=status)
    if as_json:
        print_json({"applications": [v.as_json() for v in views]})
        return
    _queue_table(f"{len(views)} application(s)", views)


def _queue_table(title: str, views: list[ApplicationView]) -> None:
    rows = []
    for v in views:
        c = v.clock
        due = "paused (RFI)" if c.paused else str(c.due_on) + (" (provisional)" if c.provisional else "")
        rows.append([v.application_id, v.tenant, v.exporter_id, v.status, v.verdict, f"{v.quantity_kg} kg",
                     f"{v.value:,} {v.currency}", v.final_destination, "PRESUMPTION OF DENIAL" if v.flagged else "",
                     due, "" if c.days_left is None else c.days_left, c.state])
    table(title, ["application", "tenant", "exporter", "status", "item", "quantity", "value", "to", "flags",
                  "due", "working days left", "sla"], rows)


def _show(ctx: typer.Context, application_id: str, tenant: str | None, day: date, as_json: bool) -> None:
    with read_transaction(state(ctx).container().engine) as conn:
        view = get_application(reader_for(conn, tenant), application_id, day)
    if view is None:
        raise not_found(f"no licence application {application_id!r}")
    if as_json:
        print_json(view.as_json())
        return
    c = view.clock
    say = functools.partial(out_console.print, markup=False, highlight=False)
    say(f"{view.application_id} ({view.tenant}, exporter {view.exporter_id}, contract {view.contract_id}): "
        f"{view.status}")
    say(f"  item: {view.verdict} as of {view.submitted_on} (rules: {', '.join(view.rule_ids) or 'none'}); "
        f"{view.quantity_kg} kg ({view.unit}), {view.value:,} {view.currency}, to {view.final_destination}")
    say(f"  end use: {view.end_use}; goes into: {view.product}")
    say(f"  SLA: {c.state}; due {c.due_on or 'when the RFI is answered'}; working days left "
        f"{'-' if c.days_left is None else c.days_left}; paused {c.paused_workdays} working day(s)")
    screening = view.details["screening"]
    if screening.get("note"):
        say(f"  screening: {screening['note']}")
    for party in screening.get("parties", []):
        for hit in party["hits"]:
            say(f"  hit: {party['role']} {party['name']!r} ~ {hit['name']!r} ({hit['list_id']}, score {hit['score']}, "
                f"{hit['transform']})")
    for flag in screening.get("flags", []):
        say(f"  FLAG {flag['code']}: {flag['explanation']}")
    for s in view.steps:
        say(f"  {s.on} {s.action} by {s.username} ({s.user_tenant}): {s.text}")
    if view.licence_id:
        say(f"  licence: {view.licence_id}")


@app.command("show")
@handle_errors
def show_cmd(ctx: typer.Context, application_id: str = typer.Argument(..., metavar="ID"),
             tenant: str | None = SCOPE_OPT, today: str | None = TODAY_OPT, as_json: bool = JSON_OPT) -> None:
    """One application: item, parties, screening hits and flags, SLA clock, review steps, licence."""
    _show(ctx, application_id, tenant, parse_date(today, "--today"), as_json)


@app.command("review")
@handle_errors
def review_cmd(ctx: typer.Context, application_id: str = typer.Argument(..., metavar="ID"),
               action: str = typer.Argument(..., help="note | rfi | approve | deny"),
               reason: str = typer.Option(..., "--reason", help="The note, the question, or why approved/denied."),
               username: str = AS_OPT, today: str | None = TODAY_OPT,
               licence: str = typer.Option("single", "--licence", help="On approval: single (up to 1 year) or "
                                           "general (up to 3 years)."),
               valid_until: str | None = typer.Option(None, "--valid-until", help="On approval: the last valid day "
                                                      "(default: the longest the kind allows).", metavar="DATE"),
               quantity: str | None = typer.Option(None, "--quantity", help="On approval: the licence's limit in kg "
                                                   "(default: the applied quantity)."),
               value: str | None = typer.Option(None, "--value", help="On approval: the value limit (default: the "
                                                "applied value)."),
               as_json: bool = JSON_OPT) -> None:
    """A reviewer's step: note, request for information (stops the SLA clock), approve (issues a licence), deny."""
    day = parse_date(today, "--today")
    terms = None
    if action == "approve":
        limit = None if quantity is None else _decimal(quantity, "--quantity")
        terms = parse_model(LicenceTerms, {"kind": licence, "valid_until": valid_until, "quantity_kg": limit,
                                           "value": None if value is None else _decimal(value, "--value")},
                            "bad_terms", "licence terms")
    c = state(ctx).container()
    with c.unit_of_work() as (uow, _):
        licence_id = review_application(uow, principal_named(uow.conn, username), application_id, action, reason,
                                        today=day, terms=terms)
    if licence_id and not as_json:
        out_console.print(f"licence {licence_id} issued", markup=False, highlight=False)
    _show(ctx, application_id, None, day, as_json)


@app.command("respond")
@handle_errors
def respond_cmd(ctx: typer.Context, application_id: str = typer.Argument(..., metavar="ID"),
                file: Path = typer.Argument(..., help="The answer as JSON: {answer, certificates: [{kind, file}]}."),
                username: str = AS_OPT, today: str | None = TODAY_OPT, as_json: bool = JSON_OPT) -> None:
    """Answer the open request for information; the SLA clock restarts and the due date moves."""
    data = _with_files(_read_json(file), file.resolve().parent)
    answer = parse_model(AnswerInput, data, "bad_answer", "answer")
    day = parse_date(today, "--today")
    c = state(ctx).container()
    with c.unit_of_work() as (uow, _):
        answer_rfi(uow, principal_named(uow.conn, username), application_id, answer, today=day)
    _show(ctx, application_id, None, day, as_json)


@app.command("ship")
@handle_errors
def ship_cmd(ctx: typer.Context, licence_id: str = typer.Argument(..., metavar="LICENCE_ID"),
             quantity: str = typer.Option(..., "--quantity", help="The quantity shipped."),
             unit: str = typer.Option("kg", "--unit", help="kg or t."),
             value: str = typer.Option(..., "--value", help="The value shipped (the licence's currency)."),
             on: str | None = typer.Option(None, "--date", help="The shipping day (default today).", metavar="DATE"),
             username: str = AS_OPT, as_json: bool = JSON_OPT) -> None:
    """Draw a shipment down against a licence; beyond it (quantity, value, validity) it is refused with an alert
    (exit 1)."""
    day = parse_date(on, "--date")
    c = state(ctx).container()
    with c.unit_of_work() as (uow, _):
        result = record_shipment(uow, principal_named(uow.conn, username), licence_id,
                                 _decimal(quantity, "--quantity"), _decimal(value, "--value"), shipped_on=day,
                                 unit=unit)
    if as_json:
        print_json(plain(result))
    elif result.accepted:
        out_console.print(f"shipment {result.shipment_id}: {result.quantity_kg} kg drawn down against {licence_id}; "
                          f"{result.remaining_kg} kg and {result.remaining_value:,} remaining", markup=False,
                          highlight=False)
    else:
        err_console.print(f"shipment {result.shipment_id} REFUSED: {result.refusal} (alert {result.alert_id})",
                          markup=False, highlight=False)
    if not result.accepted:
        raise typer.Exit(1)


@app.command("sla")
@handle_errors
def sla_cmd(ctx: typer.Context, today: str | None = TODAY_OPT, tenant: str | None = SCOPE_OPT,
            alerts: bool = typer.Option(False, "--alert", help="Also raise an alert for every overdue application "
                                        "(recorded on the log)."),
            as_json: bool = JSON_OPT) -> None:
    """Open applications that are overdue or due within 5 working days (paused ones shown apart)."""
    day = parse_date(today, "--today")
    c = state(ctx).container()
    raised: list[str] = []
    if alerts:
        with c.unit_of_work() as (uow, _):
            raised = run_sla_checks(uow, day)
    with read_transaction(c.engine) as conn:
        queue = sla_queue(reader_for(conn, tenant), day)
    wanted = [v for v in queue if v.clock.state in ("overdue", "due_soon", "paused")]
    if as_json:
        print_json({"today": day.isoformat(), "applications": [v.as_json() for v in wanted], "alerts": raised})
        return
    _queue_table(f"SLA on {day}: {sum(v.clock.state == 'overdue' for v in wanted)} overdue, "
                 f"{sum(v.clock.state == 'due_soon' for v in wanted)} due soon", wanted)
    if raised:
        out_console.print(f"{len(raised)} alert(s) raised", markup=False, highlight=False)
