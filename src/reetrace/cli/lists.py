"""`reetrace lists ...`: load the party lists (control, sanctions, watch lists) and screen names against them;
whitelist false positives; screen the parties of open applications and valid licences again (also after an update
that stored a new list version).

Thin adapters over :mod:`reetrace.domains.screening`. Bad input exits 2 with ``error[code]: message`` and where.
"""

from __future__ import annotations

import json
from pathlib import Path

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from reetrace.cli.common import handle_errors, out_console, print_json, state
from reetrace.cli.personnel import parse_date, principal_named
from reetrace.domains.licensing.application_models import PARTY_NAME_MAX
from reetrace.domains.screening import lists as stored
from reetrace.domains.screening.loaders import discover
from reetrace.domains.screening.matcher import PartyIndex
from reetrace.domains.screening.models import LoadedList
from reetrace.domains.screening.rescreen import RescreenReport, rescreen
from reetrace.domains.screening.whitelist import add_whitelist, remove_whitelist, whitelist_entries
from reetrace.errors import Detail, invalid
from reetrace.storage.engine import read_transaction

app = typer.Typer(help="Party lists: load them from files, show the stored versions, screen a name.",
                  no_args_is_help=True)
JSON_OPT = typer.Option(False, "--json", help="Print JSON.")
TODAY_OPT = typer.Option(None, "--today", help="Re-screen as of this day (YYYY-MM-DD; default today).",
                         metavar="DATE")


@app.command("update")
@handle_errors
def update(ctx: typer.Context, folder: Path = typer.Argument(..., help="The folder holding the list files."),
           actor: str = typer.Option("cli", "--actor", help="Who loads (kept on the log)."),
           today: str | None = TODAY_OPT, as_json: bool = JSON_OPT) -> None:
    """Load every list found under FOLDER; a list whose records changed is stored as its next version, and then
    the parties of open applications and valid licences are screened again."""
    day = parse_date(today, "--today")
    sources, notes = discover(folder)
    loaded: list[LoadedList] = []
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns, console=out_console, transient=True, disable=as_json) as bar:
        task = bar.add_task("reading lists", total=len(sources))
        for source in sources:
            bar.update(task, description=f"reading {source.list_id}")
            loaded += source.read()
            bar.advance(task)
    c = state(ctx).container()
    with c.unit_of_work() as (uow, _):
        reports = stored.store_lists(uow, loaded, actor)
        again = rescreen(uow, day, actor=actor) if any(r.status != "unchanged" for r in reports) else None
    if as_json:
        print_json({"lists": [r.__dict__ for r in reports], "notes": notes,
                    "rescreen": None if again is None else _rescreen_json(again)})
        return
    table = Table(title=f"lists under {folder}")
    for column in ("list", "title", "version", "parties", "aliases", "status"):
        table.add_column(column)
    for r in reports:
        table.add_row(r.list_id, r.title, str(r.version), f"{r.parties:,}", f"{r.aliases:,}", r.status)
    out_console.print(table)
    for note in notes:
        out_console.print(f"note: {note}", markup=False, highlight=False)
    if again is not None:
        _print_rescreen(again)


@app.command("show")
@handle_errors
def show(ctx: typer.Context, as_json: bool = JSON_OPT) -> None:
    """The newest stored version of every list."""
    with read_transaction(state(ctx).container().engine) as conn:
        versions = stored.latest_versions(conn)
    rows = [{"list_id": k, "title": v["title"], "version": v["version"], "parties": v["parties"],
             "aliases": v["aliases"], "loaded_at": str(v["loaded_at"]), "parties_digest": v["parties_digest"],
             "files": json.loads(str(v["files"]))} for k, v in versions.items()]
    if as_json:
        print_json({"lists": rows})
        return
    table = Table(title="stored lists")
    for column in ("list", "title", "version", "parties", "aliases", "loaded at"):
        table.add_column(column)
    for r in rows:
        table.add_row(str(r["list_id"]), str(r["title"]), str(r["version"]), f"{r['parties']:,}",
                      f"{r['aliases']:,}", str(r["loaded_at"]))
    out_console.print(table)
    out_console.print(f"{len(rows)} list(s)")


@app.command("screen")
@handle_errors
def screen(ctx: typer.Context, name: str = typer.Argument(..., help="A name in any script."),
           list_ids: list[str] = typer.Option([], "--list", help="Only this list (repeatable)."),
           threshold: float | None = typer.Option(None, "--threshold", help="Override every list's threshold."),
           limit: int = typer.Option(10, "--limit", min=1, max=100, help="At most this many hits."),
           as_json: bool = JSON_OPT) -> None:
    """Screen NAME against the stored lists; every hit says which name matched and why."""
    if not name.strip():
        raise invalid("the name is empty", Detail("give a name to screen", "NAME"), code="bad_name")
    if len(name) > PARTY_NAME_MAX:
        raise invalid(f"the name is {len(name):,} characters long, more than {PARTY_NAME_MAX}",
                      Detail("give one party's name, as an application does", "NAME"), code="bad_name")
    if threshold is not None and not 0 < threshold <= 1:
        raise invalid(f"threshold {threshold} is outside (0, 1]", Detail("e.g. 0.85", "--threshold"),
                      code="bad_threshold")
    with read_transaction(state(ctx).container().engine) as conn:
        known = stored.latest_versions(conn)
        if not known:
            raise invalid("no lists are stored", Detail("run `reetrace lists update DIR` first", "lists"),
                          code="no_lists")
        unknown = [x for x in list_ids if x not in known]
        if unknown:
            raise invalid(f"unknown list(s) {', '.join(unknown)}", Detail(f"known: {', '.join(known)}", "--list"),
                          code="unknown_list")
        parties = stored.current_parties(conn, list_ids or None)
    hits = PartyIndex(parties).screen(name, list_ids or None, threshold, limit)
    if as_json:
        print_json({"query": name, "hits": [h.as_dict() for h in hits]})
        return
    table = Table(title=f"screening {name!r}: {len(hits)} hit(s)")
    for column in ("score", "list", "listed name", "matched name", "transform", "matched", "not matched"):
        table.add_column(column)
    for h in hits:
        e = h.explanation
        matched = ", ".join(f"{m.query}~{m.candidate}" for m in e.matched)
        missing = " ".join([*e.unmatched_query, *(f"[{t}]" for t in e.unmatched_candidate)])
        table.add_row(f"{h.score:.3f}", h.party.list_id, h.party.name, h.matched_name, e.transform, matched, missing)
    out_console.print(table)


def _rescreen_json(report: RescreenReport) -> dict[str, object]:
    return {"screened": report.screened, "changed": report.changed, "alerts": report.alerts,
            "new_hits": [{"application_id": a, **h.model_dump()} for a, h in report.new_hits],
            "gone_hits": [{"application_id": a, **h.model_dump()} for a, h in report.gone_hits]}


def _print_rescreen(report: RescreenReport) -> None:
    out_console.print(f"re-screened {report.screened} application(s): {len(report.changed)} changed, "
                      f"{len(report.new_hits)} new hit(s), {len(report.gone_hits)} gone, {len(report.alerts)} "
                      "alert(s) raised", markup=False, highlight=False)
    for word, items in (("new", report.new_hits), ("gone", report.gone_hits)):
        for application_id, h in items:
            out_console.print(f"  {word}: {application_id} {h.role} {h.name!r} ~ {h.listed_name!r} ({h.list_id} "
                              f"{h.record_id}, score {h.score:.2f})", markup=False, highlight=False)


@app.command("whitelist")
@handle_errors
def whitelist_cmd(ctx: typer.Context, party_name: str = typer.Argument(..., help="The screened party's name."),
                  list_id: str = typer.Argument(..., help="The list of the listed entry."),
                  entry_id: str = typer.Argument(..., help="The listed entry's record id (see `lists screen`)."),
                  reason: str = typer.Option(..., "--reason", help="Why this hit is a false positive (5+ chars)."),
                  username: str = typer.Option(..., "--as", help="The acting user's username.", metavar="USERNAME"),
                  remove: bool = typer.Option(False, "--remove", help="Take the pair off the whitelist instead."),
                  today: str | None = TODAY_OPT, as_json: bool = JSON_OPT) -> None:
    """Whitelist a false positive (PARTY_NAME against LIST_ID ENTRY_ID) for the user's tenant, or remove it; then
    screen open applications again so that their flags follow."""
    day = parse_date(today, "--today")
    with state(ctx).container().unit_of_work() as (uow, _):
        actor = principal_named(uow.conn, username)
        if remove:
            remove_whitelist(uow, actor, party_name, list_id, entry_id, reason)
        else:
            add_whitelist(uow, actor, party_name, list_id, entry_id, reason)
        report = rescreen(uow, day, actor=username)
    if as_json:
        print_json({"whitelisted": not remove, "tenant": actor.tenant, "party_name": party_name, "list_id": list_id,
                    "entry_id": entry_id, "rescreen": _rescreen_json(report)})
        return
    done = "removed from" if remove else "added to"
    out_console.print(f"{party_name!r} against {list_id} {entry_id} {done} the whitelist of {actor.tenant}",
                      markup=False, highlight=False)
    _print_rescreen(report)


@app.command("whitelist-show")
@handle_errors
def whitelist_show(ctx: typer.Context, tenant: str | None = typer.Option(None, "--tenant", help="Only this tenant's."),
                   removed: bool = typer.Option(False, "--removed", help="Also the removed entries."),
                   as_json: bool = JSON_OPT) -> None:
    """The whitelisted false positives, newest first."""
    with read_transaction(state(ctx).container().engine) as conn:
        rows = whitelist_entries(conn, tenant, include_removed=removed)
    items = [{k: (str(v) if k in ("added_at", "removed_at") and v is not None else v) for k, v in r.items()}
             for r in rows]
    if as_json:
        print_json({"whitelist": items})
        return
    table = Table(title="screening whitelist")
    for column in ("tenant", "party", "list", "entry", "reason", "by", "at", "state"):
        table.add_column(column)
    for r in items:
        state_text = "active" if r["active"] else f"removed by {r['removed_by']}: {r['removal_reason']}"
        table.add_row(str(r["tenant"]), str(r["party_name"]), str(r["list_id"]), str(r["record_id"]),
                      str(r["reason"]), str(r["added_by"]), str(r["added_at"]), state_text)
    out_console.print(table)
    out_console.print(f"{len(items)} entr{'y' if len(items) == 1 else 'ies'}")


@app.command("rescreen")
@handle_errors
def rescreen_cmd(ctx: typer.Context, today: str | None = TODAY_OPT,
                 actor: str = typer.Option("cli", "--actor", help="Who re-screens (kept on the log)."),
                 as_json: bool = JSON_OPT) -> None:
    """Screen the parties of open applications and valid licences again; new hits raise alerts."""
    day = parse_date(today, "--today")
    with state(ctx).container().unit_of_work() as (uow, _):
        report = rescreen(uow, day, actor=actor)
    if as_json:
        print_json(_rescreen_json(report))
        return
    _print_rescreen(report)
