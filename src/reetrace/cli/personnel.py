"""`reetrace personnel ...`: the personnel registry, watch list, staff-list checks, travel and passport custody.

Thin adapters over :mod:`reetrace.domains.personnel`: parse the flags and files, call the service in one unit of
work, print a table (or ``--json``). Bad input exits 2 with ``error[code]: message`` and where it is.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, is_dataclass
from datetime import date
from pathlib import Path
from typing import Any, TypeVar

import typer
from pydantic import BaseModel, ValidationError
from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table
from sqlalchemy import Connection, select

from reetrace.authz.principal import Principal, load_principal, visible_tenants
from reetrace.authz.scope import ScopedReader, TenantScope
from reetrace.authz.tables import tenants, users
from reetrace.cli.common import err_console, handle_errors, out_console, parse_json_object, print_json, state
from reetrace.container import Container
from reetrace.domains.alerts import open_alerts
from reetrace.domains.personnel import imports, matching, passports, queries, service, travel
from reetrace.domains.personnel.checks import run_checks
from reetrace.domains.personnel.models import DEPARTURE_REASONS, Caller, StaffName
from reetrace.domains.personnel.names import has_han
from reetrace.domains.personnel.policy import TravelPolicy
from reetrace.domains.personnel.travel_models import DebriefInput, DocumentInput, TravelRequestInput
from reetrace.errors import Detail, invalid, not_found
from reetrace.storage.engine import read_transaction
from reetrace.storage.vault import Vault
from reetrace.workdays import WorkdayCalendar

app = typer.Typer(help="Personnel registry: experts, watch list, staff-list checks, travel, passports.",
                  no_args_is_help=True)
travel_app = typer.Typer(help="Travel requests: submit, list, show, approve or refuse, debrief.",
                         no_args_is_help=True)
passports_app = typer.Typer(help="Passport custody: deposit, check out for an approved trip, check in.",
                            no_args_is_help=True)
app.add_typer(travel_app, name="travel")
app.add_typer(passports_app, name="passports")

ACTOR = "cli"
LARGE_FILE_ROWS = 2000  # show a progress bar from this many rows on
M = TypeVar("M", bound=BaseModel)

TENANT_OPT = typer.Option(..., "--tenant", help="The tenant acting (its supervised tenants are in scope).")
SCOPE_OPT = typer.Option(None, "--tenant", help="Only what this tenant may see (default: every tenant).")
ACTOR_OPT = typer.Option(ACTOR, "--actor", help="Who acts (kept on the log).")
JSON_OPT = typer.Option(False, "--json", help="Print JSON.")
TODAY_OPT = typer.Option(None, "--today", help="Act as of this day (YYYY-MM-DD; default today).", metavar="DATE")


# --- helpers ---------------------------------------------------------------------------------------------------


def parse_date(text: str | None, where: str) -> date:
    if text is None:
        return date.today()
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise invalid(f"{where}: {text!r} is not a date", Detail("write it as YYYY-MM-DD", where),
                      code="bad_date") from None


def read_bytes(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise invalid(f"cannot read {path}: {exc.strerror}", Detail(str(exc), str(path)),
                      code="unreadable_file") from None


def read_model(path: Path, model: type[M]) -> M:
    """A JSON file parsed into ``model``; every field problem named with the file and the field."""
    try:
        text = read_bytes(path).decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise invalid(f"{path.name} is not UTF-8 text", Detail(str(exc), path.name)) from None
    data = parse_json_object(text, path.name)
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        details = [Detail(e["msg"], f"{path.name}: {'.'.join(map(str, e['loc'])) or '(object)'}")
                   for e in exc.errors()]
        raise invalid(f"{path.name} is not a valid {model.__name__}: {details[0].location}: {details[0].message}",
                      *details) from None


def caller_of(conn: Connection, tenant: str, actor: str) -> Caller:
    if conn.execute(select(tenants.c.tenant_id).where(tenants.c.tenant_id == tenant)).first() is None:
        raise invalid(f"no tenant {tenant!r}", Detail("see `reetrace tenants list`", "--tenant"), code="not_found")
    return Caller(actor, tenant, visible_tenants(conn, tenant) | {tenant})


def reader_for(conn: Connection, tenant: str | None) -> Connection | ScopedReader:
    if tenant is None:
        return conn
    return ScopedReader(conn, TenantScope(caller_of(conn, tenant, ACTOR).tenants))


def principal_named(conn: Connection, username: str) -> Principal:
    user_id = conn.execute(select(users.c.user_id).where(users.c.username == username)).scalar_one_or_none()
    principal = None if user_id is None else load_principal(conn, str(user_id), "system")
    if principal is None:
        raise invalid(f"no enabled user {username!r}", Detail("see `reetrace users list`", "--as"), code="not_found")
    return principal


def plain(value: Any) -> Any:
    """Dataclasses, dates and tuples as JSON values."""
    if is_dataclass(value) and not isinstance(value, type):
        return plain(asdict(value))
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple | frozenset | set):
        return [plain(v) for v in value]
    if isinstance(value, date):
        return value.isoformat()
    return value


def table(title: str | None, columns: list[str], rows: list[list[Any]]) -> None:
    out = Table(*columns, title=title)
    for row in rows:
        out.add_row(*["" if v is None else str(v) for v in row])
    out_console.print(out)


@contextmanager
def progress(description: str, rows: int) -> Iterator[None]:
    """A pulsing progress bar with the elapsed time, for files of LARGE_FILE_ROWS rows or more."""
    if rows < LARGE_FILE_ROWS:
        yield
        return
    with Progress(SpinnerColumn(), TextColumn("{task.description}"), BarColumn(), TimeElapsedColumn(),
                  console=err_console, transient=True) as bar:
        bar.add_task(description, total=None)
        yield


def policy_and_calendar() -> tuple[TravelPolicy, WorkdayCalendar]:
    return TravelPolicy.default(), WorkdayCalendar.load()


# --- registry --------------------------------------------------------------------------------------------------


@app.command("import")
@handle_errors
def import_(ctx: typer.Context, file: Path = typer.Argument(..., help="A CSV or XLSX file of persons."),
            tenant: str = TENANT_OPT, actor: str = ACTOR_OPT, as_json: bool = JSON_OPT) -> None:
    """Import persons from CSV or XLSX: every row is checked first; one bad row stores nothing."""
    data = read_bytes(file)
    rows = sum(1 for _ in imports.read_rows(data, file.name))
    c = state(ctx).container()
    with progress(f"checking and storing {rows:,} rows of {file.name}", rows), c.unit_of_work() as (uow, vault):
        report = imports.import_persons(uow, vault, caller_of(uow.conn, tenant, actor), data, file.name)
    if as_json:
        print_json(plain(report))
        return
    table(f"import of {report.source}", ["rows", "persons", "departures", "log entries", "sha256"],
          [[report.rows, report.persons, report.departures, f"{report.first_index}..{report.last_index}",
            report.sha256[:16] + "…"]])


@app.command("list")
@handle_errors
def list_persons(ctx: typer.Context, tenant: str | None = SCOPE_OPT,
                 enterprise: str | None = typer.Option(None, "--enterprise", help="Only this enterprise."),
                 status: str | None = typer.Option(None, "--status", help="employed or departed."),
                 limit: int = typer.Option(100, "--limit", min=1, max=10_000), as_json: bool = JSON_OPT) -> None:
    """Persons in the registry (ids and facts; personal values stay in the vault)."""
    if status not in (None, "employed", "departed"):
        raise invalid(f"unknown status {status!r}", Detail("employed or departed", "--status"))
    with read_transaction(state(ctx).container().engine) as conn:
        page = queries.staff_list(reader_for(conn, tenant), enterprise_id=enterprise, status=status, limit=limit)
    if as_json:
        print_json({"total": page.total, "persons": plain(page.persons)})
        return
    table(f"{page.total} person(s)", ["person id", "enterprise", "secrecy", "post", "status", "expertise"],
          [[p.person_id, p.enterprise_id, p.secrecy_level, p.post, p.status, ", ".join(p.expertise)]
           for p in page.persons])


@app.command("show")
@handle_errors
def show(ctx: typer.Context, person_id: str = typer.Argument(...), tenant: str | None = SCOPE_OPT,
         as_json: bool = JSON_OPT) -> None:
    """One person: facts, access, watch-list entries, employment reports (commitments, never clear values)."""
    with read_transaction(state(ctx).container().engine) as conn:
        detail = queries.person_detail(reader_for(conn, tenant), person_id)
    if detail is None:
        raise not_found(f"no person {person_id!r} in the registry")
    if as_json:
        print_json({**plain(detail), "watch_listed": detail.watch_listed})
        return
    s = detail.summary
    table(f"person {s.person_id}", ["field", "value"], [
        ["tenant / enterprise", f"{s.tenant} / {s.enterprise_id}"], ["secrecy level", s.secrecy_level],
        ["post", s.post], ["status", s.status], ["hired on", s.hired_on], ["departed on", s.departed_on],
        ["cooling off until", s.cooling_off_until], ["expertise", ", ".join(s.expertise)],
        ["watch-listed", "yes" if detail.watch_listed else "no"],
        ["technologies", ", ".join(detail.technologies)], ["documents", ", ".join(detail.documents)],
        *[[f"employment {e.report_id}", f"{e.employer} ({e.country}) from {e.start_on}"] for e in detail.employment],
        *[[f"watch entry {w.entry_id}", f"{w.reason} (added {w.added_on}, removed {w.removed_on or '-'})"]
          for w in detail.watch_entries]])


@app.command("watch")
@handle_errors
def watch(ctx: typer.Context, person_id: str = typer.Argument(...), reason: str = typer.Option(..., "--reason"),
          tenant: str = TENANT_OPT, actor: str = ACTOR_OPT) -> None:
    """Put a person on the watch list; prints the entry id."""
    c = state(ctx).container()
    with c.unit_of_work() as (uow, _):
        entry_id = service.watch_person(uow, caller_of(uow.conn, tenant, actor), person_id, reason)
    typer.echo(entry_id)


@app.command("watch-post")
@handle_errors
def watch_post(ctx: typer.Context, enterprise: str = typer.Argument(...), post: str = typer.Argument(...),
               reason: str = typer.Option(..., "--reason"), tenant: str = TENANT_OPT,
               actor: str = ACTOR_OPT) -> None:
    """Put a post of an enterprise on the watch list (whoever holds it); prints the entry id."""
    c = state(ctx).container()
    with c.unit_of_work() as (uow, _):
        entry_id = service.watch_post(uow, caller_of(uow.conn, tenant, actor), enterprise, post, reason)
    typer.echo(entry_id)


@app.command("unwatch")
@handle_errors
def unwatch(ctx: typer.Context, entry_id: str = typer.Argument(...), reason: str = typer.Option(..., "--reason"),
            tenant: str = TENANT_OPT, actor: str = ACTOR_OPT) -> None:
    """Remove a watch-list entry."""
    c = state(ctx).container()
    with c.unit_of_work() as (uow, _):
        service.unwatch(uow, caller_of(uow.conn, tenant, actor), entry_id, reason)
    out_console.print(f"{entry_id} removed from the watch list")


@app.command("depart")
@handle_errors
def depart(ctx: typer.Context, person_id: str = typer.Argument(...),
           on: str = typer.Option(..., "--on", help="The day the person left (YYYY-MM-DD).", metavar="DATE"),
           reason: str = typer.Option("resigned", "--reason", help=f"One of: {', '.join(DEPARTURE_REASONS)}."),
           tenant: str = TENANT_OPT, actor: str = ACTOR_OPT) -> None:
    """Record a departure: the cooling-off period for the person's secrecy level starts."""
    departed_on = parse_date(on, "--on")
    c = state(ctx).container()
    with c.unit_of_work() as (uow, _):
        service.record_departure(uow, caller_of(uow.conn, tenant, actor), person_id, departed_on, reason)
        facts = queries.person_facts(uow.conn, person_id)
    assert facts is not None
    out_console.print(f"{person_id} departed on {departed_on}; cooling off until {facts.cooling_off_until}")


# --- staff lists and names -------------------------------------------------------------------------------------


def staff_names(data: bytes, filename: str) -> list[StaffName]:
    """A staff list CSV: a header with ``name_zh`` and/or ``name_latin`` (or one ``name`` column of either)."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = data.decode("gb18030", errors="strict")
    reader = csv.reader(io.StringIO(text, newline=""))
    header = [h.strip().lower() for h in next(reader, [])]
    known = {"name_zh", "name_latin", "name"}
    if not header or not known & set(header) or set(header) - known - {""}:
        raise invalid(f"{filename}: the header must name the columns name_zh and/or name_latin (or name)",
                      Detail(f"got {', '.join(header) or 'nothing'}", f"{filename}, row 1"))
    out, problems = [], []
    for number, cells in enumerate(reader, start=2):
        values = dict(zip(header, (c.strip() for c in cells), strict=False))
        if not any(values.values()):
            continue
        zh, latin = values.get("name_zh", ""), values.get("name_latin", "")
        if values.get("name"):
            zh, latin = (values["name"], latin) if has_han(values["name"]) else (zh, values["name"])
        try:
            out.append(StaffName(name_zh=zh, name_latin=latin, row=number))
        except ValidationError as exc:
            problems.append(Detail(exc.errors()[0]["msg"], f"{filename}, row {number}"))
    if problems:
        raise invalid(f"{filename}: {len(problems)} bad row(s): {problems[0].location}: {problems[0].message}",
                      *problems)
    return out


@app.command("check-staff")
@handle_errors
def check_staff(ctx: typer.Context, file: Path = typer.Argument(..., help="The staff list (CSV)."),
                organisation: str = typer.Option(..., "--organisation", help="Whose staff list it is."),
                country: str = typer.Option(..., "--country", help="The organisation's country (ISO alpha-2)."),
                tenant: str = TENANT_OPT, actor: str = ACTOR_OPT, as_json: bool = JSON_OPT) -> None:
    """Check a foreign organisation's staff list against the watch list; exit 1 when someone matches."""
    rows = staff_names(read_bytes(file), file.name)
    c = state(ctx).container()
    with progress(f"checking {len(rows):,} names", len(rows)), c.unit_of_work() as (uow, vault):
        found = matching.check_staff_list(uow, vault, caller_of(uow.conn, tenant, actor), rows, organisation,
                                          country)
    if as_json:
        print_json({"rows": len(rows), "matches": plain(found)})
    else:
        table(f"{len(found)} match(es) in {len(rows)} row(s)", ["row", "person id", "how", "status",
                                                                "cooling off", "watch-listed", "alert"],
              [[m.row, m.person_id, ", ".join(m.how), m.status, m.in_cooling_off, m.watch_listed,
                m.alert_id or "(open already)"]
               for m in found])
    if found:
        raise typer.Exit(1)


@app.command("check-name")
@handle_errors
def check_name(ctx: typer.Context, name: str = typer.Argument(..., help="A name in Chinese characters or Latin."),
               tenant: str | None = SCOPE_OPT,
               everyone: bool = typer.Option(False, "--everyone", help="Search every registered person, not only "
                                             "the watch-listed and those cooling off."),
               as_json: bool = JSON_OPT) -> None:
    """Look up a name (exact, pinyin and Latin variants) among watch-listed persons."""
    c = state(ctx).container()
    with read_transaction(c.engine) as conn:
        found = matching.match_analyst_name(reader_for(conn, tenant), Vault(conn, c.master_key), name,
                                            watch_listed_only=not everyone)
    if as_json:
        print_json(plain(found))
        return
    table(f"{len(found)} match(es) for {name!r}", ["person id", "tenant", "how", "status", "cooling off",
                                                   "watch-listed"],
          [[m.person_id, m.tenant, ", ".join(m.how), m.status, m.in_cooling_off, m.watch_listed] for m in found])


# --- travel ----------------------------------------------------------------------------------------------------


def print_request(view: travel.TravelRequestView, as_json: bool) -> None:
    if as_json:
        print_json(plain(view))
        return
    table(f"travel request {view.request_id}", ["field", "value"], [
        ["person", f"{view.person_id} ({view.tenant})"], ["destinations", " ".join(view.destinations)],
        ["dates", f"{view.depart_on} to {view.return_on}"], ["purpose", view.purpose],
        ["decision", f"tier {view.tier}, rule {view.rule_id}: {'; '.join(view.reasons)}"],
        ["chain", " -> ".join(view.chain) or "(refused)"], ["status", view.status],
        ["next level", view.next_level], ["previous trips", len(view.previous_trips)],
        *[[f"step {s.step} ({s.level})", f"{s.decision} by {s.username}: {s.reason}"] for s in view.steps]])


@travel_app.command("submit")
@handle_errors
def travel_submit(ctx: typer.Context, file: Path = typer.Argument(..., help="The request as JSON."),
                  tenant: str | None = SCOPE_OPT, actor: str = ACTOR_OPT, today: str | None = TODAY_OPT,
                  as_json: bool = JSON_OPT) -> None:
    """Submit a travel request; the policy derives its approval chain (or refuses it)."""
    request = read_model(file, TravelRequestInput)
    day = parse_date(today, "--today")
    c = state(ctx).container()
    with c.unit_of_work() as (uow, vault):
        scope = None if tenant is None else caller_of(uow.conn, tenant, actor).tenants
        view = travel.submit_request(uow, vault, actor, request, policy=TravelPolicy.default(), today=day,
                                     tenants=scope)
    print_request(view, as_json)


@travel_app.command("list")
@handle_errors
def travel_list(ctx: typer.Context, status: str | None = typer.Option(None, "--status"),
                person: str | None = typer.Option(None, "--person"), tenant: str | None = SCOPE_OPT,
                limit: int = typer.Option(100, "--limit", min=1, max=10_000), as_json: bool = JSON_OPT) -> None:
    """Travel requests, newest first."""
    if status not in (None, "pending", "approved", "refused", "cancelled", "completed"):
        raise invalid(f"unknown status {status!r}",
                      Detail("pending, approved, refused, cancelled or completed", "--status"))
    with read_transaction(state(ctx).container().engine) as conn:
        views = travel.list_requests(reader_for(conn, tenant), status=status, person_id=person, limit=limit)
    if as_json:
        print_json(plain(views))
        return
    table(f"{len(views)} travel request(s)", ["request id", "person", "destinations", "dates", "chain", "status"],
          [[v.request_id, v.person_id, " ".join(v.destinations), f"{v.depart_on}..{v.return_on}",
            " -> ".join(v.chain), v.status] for v in views])


@travel_app.command("show")
@handle_errors
def travel_show(ctx: typer.Context, request_id: str = typer.Argument(...), tenant: str | None = SCOPE_OPT,
                as_json: bool = JSON_OPT) -> None:
    """One travel request with its decision and approval steps."""
    with read_transaction(state(ctx).container().engine) as conn:
        view = travel.get_request(reader_for(conn, tenant), request_id)
    if view is None:
        raise not_found(f"no travel request {request_id!r}")
    print_request(view, as_json)


@travel_app.command("act")
@handle_errors
def travel_act(ctx: typer.Context, request_id: str = typer.Argument(...),
               decision: str = typer.Argument(..., help="approve or refuse"),
               reason: str = typer.Option("", "--reason", help="Why (required to refuse)."),
               username: str = typer.Option(..., "--as", help="The approving user's username."),
               as_json: bool = JSON_OPT) -> None:
    """One approval step at the request's next level, by a user who may act at that level."""
    c = state(ctx).container()
    with c.unit_of_work() as (uow, _):
        view = travel.act_on_request(uow, principal_named(uow.conn, username), request_id, decision, reason)
    print_request(view, as_json)


@travel_app.command("debrief")
@handle_errors
def travel_debrief(ctx: typer.Context, request_id: str = typer.Argument(...),
                   file: Path = typer.Argument(..., help="The debrief as JSON."), tenant: str | None = SCOPE_OPT,
                   actor: str = ACTOR_OPT, today: str | None = TODAY_OPT, as_json: bool = JSON_OPT) -> None:
    """Record the debrief of an approved trip; deviations raise an alert."""
    debrief = read_model(file, DebriefInput)
    day = parse_date(today, "--today")
    policy, calendar = policy_and_calendar()
    c = state(ctx).container()
    with c.unit_of_work() as (uow, vault):
        scope = None if tenant is None else caller_of(uow.conn, tenant, actor).tenants
        done = travel.record_debrief(uow, vault, actor, request_id, debrief, today=day, policy=policy,
                                     calendar=calendar, tenants=scope)
    if as_json:
        print_json(plain(done))
        return
    out_console.print(f"debrief of {request_id} recorded (due {done.due_on}{', late' if done.late else ''})")
    for deviation in done.deviations:
        out_console.print(f"  deviation: {deviation}")


# --- passports -------------------------------------------------------------------------------------------------


def print_document(doc: passports.DocumentView, as_json: bool) -> None:
    if as_json:
        print_json(plain(doc))
        return
    out_console.print(f"{doc.document_id} ({doc.doc_type} of {doc.person_id}): {doc.status}"
                      + (f", due back {doc.due_on}" if doc.status == "out" else ""))


@passports_app.command("list")
@handle_errors
def passports_list(ctx: typer.Context, person: str | None = typer.Option(None, "--person"),
                   status: str | None = typer.Option(None, "--status", help="held or out."),
                   tenant: str | None = SCOPE_OPT, as_json: bool = JSON_OPT) -> None:
    """Documents in custody or out."""
    if status not in (None, "held", "out"):
        raise invalid(f"unknown status {status!r}", Detail("held or out", "--status"))
    with read_transaction(state(ctx).container().engine) as conn:
        docs = passports.list_documents(reader_for(conn, tenant), person_id=person, status=status, limit=10_000)
    if as_json:
        print_json(plain(docs))
        return
    table(f"{len(docs)} document(s)", ["document id", "person", "type", "expires", "status", "request", "due"],
          [[d.document_id, d.person_id, d.doc_type, d.expires_on, d.status, d.request_id, d.due_on] for d in docs])


@passports_app.command("deposit")
@handle_errors
def passports_deposit(ctx: typer.Context, file: Path = typer.Argument(..., help="The document as JSON."),
                      tenant: str | None = SCOPE_OPT, actor: str = ACTOR_OPT, today: str | None = TODAY_OPT,
                      as_json: bool = JSON_OPT) -> None:
    """Take a passport or permit into custody (its number is sealed in the vault)."""
    document = read_model(file, DocumentInput)
    day = parse_date(today, "--today")
    c = state(ctx).container()
    with c.unit_of_work() as (uow, vault):
        scope = None if tenant is None else caller_of(uow.conn, tenant, actor).tenants
        doc = passports.deposit_document(uow, vault, actor, document, today=day, tenants=scope)
    print_document(doc, as_json)


@passports_app.command("check-out")
@handle_errors
def passports_check_out(ctx: typer.Context, document_id: str = typer.Argument(...),
                        request: str = typer.Option(..., "--request", help="The approved travel request."),
                        tenant: str | None = SCOPE_OPT, actor: str = ACTOR_OPT, today: str | None = TODAY_OPT,
                        as_json: bool = JSON_OPT) -> None:
    """Hand a document out for an approved trip."""
    day = parse_date(today, "--today")
    c = state(ctx).container()
    with c.unit_of_work() as (uow, _):
        scope = None if tenant is None else caller_of(uow.conn, tenant, actor).tenants
        doc = passports.check_out(uow, actor, document_id, request, today=day, policy=TravelPolicy.default(),
                                  tenants=scope)
    print_document(doc, as_json)


@passports_app.command("check-in")
@handle_errors
def passports_check_in(ctx: typer.Context, document_id: str = typer.Argument(...), tenant: str | None = SCOPE_OPT,
                       actor: str = ACTOR_OPT, today: str | None = TODAY_OPT, as_json: bool = JSON_OPT) -> None:
    """Take a document back into custody."""
    day = parse_date(today, "--today")
    c = state(ctx).container()
    with c.unit_of_work() as (uow, _):
        scope = None if tenant is None else caller_of(uow.conn, tenant, actor).tenants
        doc = passports.check_in(uow, actor, document_id, today=day, tenants=scope)
    print_document(doc, as_json)


# --- checks, alerts, the national registry ---------------------------------------------------------------------


def checks_as_of(c: Container, day: date) -> list[Any]:
    policy, calendar = policy_and_calendar()
    with c.unit_of_work() as (uow, _):
        return run_checks(uow, day, policy, calendar).findings


@app.command("checks")
@handle_errors
def checks(ctx: typer.Context, today: str | None = TODAY_OPT, as_json: bool = JSON_OPT) -> None:
    """Run the travel and custody checks (overdue passports and debriefs, cooling-off travel, deviations)."""
    findings = checks_as_of(state(ctx).container(), parse_date(today, "--today"))
    if as_json:
        print_json(plain(findings))
        return
    raised = sum(1 for f in findings if f.alert_id)
    table(f"{len(findings)} finding(s), {raised} new alert(s)", ["kind", "tenant", "subject", "alert", "message"],
          [[f.kind, f.tenant, f.subject, f.alert_id or "(raised before)", f.message] for f in findings])


@app.command("alerts")
@handle_errors
def alerts(ctx: typer.Context, tenant: str | None = SCOPE_OPT, as_json: bool = JSON_OPT) -> None:
    """Open personnel alerts."""
    with read_transaction(state(ctx).container().engine) as conn:
        found = [a for a in open_alerts(reader_for(conn, tenant), limit=1000) if a.kind.startswith("personnel.")]
    if as_json:
        print_json(plain(found))
        return
    table(f"{len(found)} open personnel alert(s)", ["alert", "kind", "severity", "subject", "message"],
          [[a.alert_id, a.kind, a.severity, a.subject, a.message] for a in found])


@app.command("national")
@handle_errors
def national(ctx: typer.Context, tenant: str | None = SCOPE_OPT, as_json: bool = JSON_OPT) -> None:
    """The national registry: counts by status, secrecy level, expertise, province and enterprise."""
    with read_transaction(state(ctx).container().engine) as conn:
        agg = queries.national_aggregation(reader_for(conn, tenant))
    if as_json:
        print_json(plain(agg))
        return
    out_console.print(f"[bold]{agg.total} person(s)[/] in the registry")
    for title, counts in (("status", agg.by_status), ("secrecy level", agg.by_secrecy_level),
                          ("expertise", agg.by_expertise), ("province", agg.by_province)):
        table(f"by {title}", [title, "persons"], [[k, v] for k, v in counts.items()])
    table("top enterprises", ["enterprise", "name", "province", "persons"],
          [[e.enterprise_id, e.name, e.province, e.persons] for e in agg.top_enterprises])
