"""The watch list, staff-list and name checks against it, and alerts, as the API and the console show them.

Reads go through the principal's :class:`Scoped` view; writes check the object through it first (a probe for
another tenant's entry or alert is a 404, audited), then call the domain with a :class:`Caller` of the principal.
A name check is recorded in the audit trail (how many names, how many matches; never the names themselves).
"""

from __future__ import annotations

import csv
import io
from datetime import date, datetime
from pathlib import Path
from typing import Any

from fastapi import Request
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select

from reetrace.domains.alerts import get_alert, open_alerts, resolve_alert
from reetrace.domains.personnel.matching import check_staff_list, match_analyst_name
from reetrace.domains.personnel.models import ENTRY_ID, StaffName, WatchMatch
from reetrace.domains.personnel.queries import watchlist_entries
from reetrace.domains.personnel.service import unwatch, watch_person, watch_post
from reetrace.domains.personnel.tables import watchlist
from reetrace.domains.registry.tables import enterprises
from reetrace.errors import Detail, Error, invalid
from reetrace.web.deps import Scoped, record_access, unit_of_work
from reetrace.web.personnelview import PERSON_ID_PATTERN, WatchEntry, caller_of, person_row

ENTRY_ID_PATTERN = ENTRY_ID
ALERT_ID = r"^A-[0-9A-F]{16}$"
ALERT_KIND = r"^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+$"
STAFF_COLUMNS = ("name_zh", "name_latin")
MAX_STAFF_ROWS = 20_000
MAX_STAFF_FILE = 5 * 1024 * 1024
DASHBOARD_ALERTS = 10


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


class WatchPersonInput(_In):
    person_id: str = Field(pattern=PERSON_ID_PATTERN)
    reason: str = Field(min_length=1, max_length=1000)
    added_on: date | None = None


class WatchPostInput(_In):
    enterprise_id: str = Field(pattern=r"^[A-Z0-9][A-Z0-9-]{1,63}$")
    post: str = Field(min_length=1, max_length=200)
    reason: str = Field(min_length=1, max_length=1000)
    added_on: date | None = None


class RemoveInput(_In):
    reason: str = Field(min_length=1, max_length=1000)
    removed_on: date | None = None


class NameCheckInput(_In):
    query: str = Field(min_length=1, max_length=200)
    watch_listed_only: bool = True


class ResolveInput(_In):
    reason: str = Field(min_length=1, max_length=1000)


class WatchList(BaseModel):
    entries: list[WatchEntry]


class Watched(BaseModel):
    entry_id: str


class Removed(BaseModel):
    entry_id: str
    entry_idx: int


class Match(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    person_id: str
    tenant: str
    row: int
    how: list[str] = Field(description="How the name matched: exact (Chinese characters), latin, pinyin")
    status: str
    in_cooling_off: bool
    watch_listed: bool
    alert_id: str | None


class StaffCheck(BaseModel):
    organisation: str
    country: str
    rows: int
    matches: list[Match]


class NameCheck(BaseModel):
    matches: list[Match]


class Alert(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    alert_id: str
    tenant: str
    kind: str
    severity: str
    subject: str
    message: str
    evidence: dict[str, Any]
    raised_at: datetime
    status: str
    entry_idx: int
    resolved_at: datetime | None
    resolved_by: str | None
    resolution: str | None


class AlertList(BaseModel):
    alerts: list[Alert]


class Resolved(BaseModel):
    alert_id: str
    entry_idx: int


# --- the watch list ------------------------------------------------------------------------------------------


def watch_list(scoped: Scoped, include_removed: bool = False, limit: int = 200, offset: int = 0) -> WatchList:
    found = watchlist_entries(scoped.reader, include_removed=include_removed, limit=limit, offset=offset)
    return WatchList(entries=[WatchEntry.model_validate(e) for e in found])


def add_person(request: Request, scoped: Scoped, form: WatchPersonInput) -> Watched:
    person_row(scoped, form.person_id)
    with unit_of_work(request) as (uow, _):
        entry_id = watch_person(uow, caller_of(scoped.principal), form.person_id, form.reason, form.added_on)
    return Watched(entry_id=entry_id)


def add_post(request: Request, scoped: Scoped, form: WatchPostInput) -> Watched:
    scoped.one_or_refuse(select(enterprises.c.enterprise_id).where(enterprises.c.enterprise_id == form.enterprise_id),
                         f"no enterprise {form.enterprise_id!r} that you may see")
    with unit_of_work(request) as (uow, _):
        entry_id = watch_post(uow, caller_of(scoped.principal), form.enterprise_id, form.post, form.reason,
                              form.added_on)
    return Watched(entry_id=entry_id)


def remove(request: Request, scoped: Scoped, entry_id: str, form: RemoveInput) -> Removed:
    scoped.one_or_refuse(select(watchlist.c.entry_id).where(watchlist.c.entry_id == entry_id),
                         f"no watch-list entry {entry_id!r} that you may see")
    with unit_of_work(request) as (uow, _):
        index = unwatch(uow, caller_of(scoped.principal), entry_id, form.reason, form.removed_on)
    return Removed(entry_id=entry_id, entry_idx=index)


# --- checks --------------------------------------------------------------------------------------------------


def staff_rows(data: bytes, filename: str) -> list[StaffName]:
    """A staff list (CSV, UTF-8 or GB 18030, a header row naming ``name_zh`` and/or ``name_latin``) as rows."""
    name = Path(filename or "staff.csv").name
    if Path(name).suffix.lower() != ".csv":
        raise invalid(f"{name}: not a CSV file", Detail("upload the staff list as *.csv", "file"),
                      code="unsupported_format")
    if not data:
        raise invalid(f"{name}: the file is empty", Detail("the first row names the columns", f"{name}, row 1"))
    if len(data) > MAX_STAFF_FILE:
        raise Error(f"{name} is larger than {MAX_STAFF_FILE // (1024 * 1024)} MiB", code="too_large",
                    http_status=413)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        try:
            text = data.decode("gb18030")
        except UnicodeDecodeError as exc:
            raise invalid(f"{name}: not UTF-8 or GB 18030 text", Detail(str(exc), name)) from None
    try:
        table = list(csv.reader(io.StringIO(text, newline=""), strict=True))
    except csv.Error as exc:
        raise invalid(f"{name}: not a valid CSV file", Detail(str(exc), name)) from None
    header = [h.strip().lower() for h in table[0]] if table else []
    unknown = [h for h in header if h and h not in STAFF_COLUMNS]
    if not header or unknown or not set(header) & set(STAFF_COLUMNS):
        raise invalid(f"{name}: the header row must name the columns name_zh and/or name_latin",
                      Detail(f"found: {', '.join(header) or '(nothing)'}", f"{name}, row 1"))
    if len(table) - 1 > MAX_STAFF_ROWS:
        raise invalid(f"{name}: more than {MAX_STAFF_ROWS} rows", Detail("split the list", name))
    rows = []
    for number, cells in enumerate(table[1:], start=2):
        values = {h: (cells[i].strip() if i < len(cells) else "") for i, h in enumerate(header) if h}
        if not any(values.values()):
            continue
        try:
            rows.append(StaffName(name_zh=values.get("name_zh", ""), name_latin=values.get("name_latin", ""),
                                  row=number))
        except ValueError:
            raise invalid(f"{name}: row {number}: a name is too long",
                          Detail("names are at most 100 (Chinese) or 200 (Latin) characters",
                                 f"{name}, row {number}")) from None
    return rows


def check_staff(request: Request, scoped: Scoped, data: bytes, filename: str, organisation: str,
                country: str) -> StaffCheck:
    """Check a foreign organisation's staff list; each match raises an alert (the domain records the check)."""
    rows = staff_rows(data, filename)
    with unit_of_work(request) as (uow, vault):
        found = check_staff_list(uow, vault, caller_of(scoped.principal), rows, organisation, country.upper())
    return StaffCheck(organisation=" ".join(organisation.split()), country=country.upper(), rows=len(rows),
                      matches=[_match(m) for m in found])


def check_name(request: Request, scoped: Scoped, form: NameCheckInput) -> NameCheck:
    """Watch-listed (or, on request, every visible) person whose names match the analyst's name; audited."""
    if not form.query.strip():
        raise invalid("the name to look for is empty",
                      Detail("type a name in Chinese characters or Latin script", "query"))
    with unit_of_work(request) as (_, vault):
        found = match_analyst_name(scoped.reader, vault, form.query, watch_listed_only=form.watch_listed_only)
    record_access(request, scoped.principal, "personal_data.read", target="/personnel/watchlist/check-name",
                  permission="personnel:watchlist:check",
                  reason=f"name check against the {'watch list' if form.watch_listed_only else 'registry'}: "
                         f"{len(found)} match(es): {' '.join(m.person_id for m in found[:20])}")
    return NameCheck(matches=[_match(m) for m in found])


def _match(match: WatchMatch) -> Match:
    return Match(person_id=match.person_id, tenant=match.tenant, row=match.row, how=list(match.how),
                 status=match.status, in_cooling_off=match.in_cooling_off, watch_listed=match.watch_listed,
                 alert_id=match.alert_id)


# --- alerts --------------------------------------------------------------------------------------------------


def alert_list(scoped: Scoped, kind: str | None = None, limit: int = 50) -> AlertList:
    return AlertList(alerts=[Alert.model_validate(a) for a in open_alerts(scoped.reader, limit, kind)])


def dashboard_alerts(scoped: Scoped) -> list[Alert]:
    """The principal's open alerts, newest first, for the dashboard (none without ``alerts:alert:read``)."""
    if not scoped.principal.can("alerts:alert:read"):
        return []
    return alert_list(scoped, limit=DASHBOARD_ALERTS).alerts


def alert(scoped: Scoped, alert_id: str) -> Alert:
    found = get_alert(scoped.reader, alert_id)
    if found is None:
        raise scoped.refuse(f"no alert {alert_id!r} that you may see")
    return Alert.model_validate(found)


def resolve(request: Request, scoped: Scoped, alert_id: str, form: ResolveInput) -> Resolved:
    alert(scoped, alert_id)
    reason = " ".join(form.reason.split())
    if not reason:
        raise invalid("a reason is required to resolve an alert", Detail("say why the alert is closed", "reason"))
    principal = scoped.principal
    with unit_of_work(request) as (uow, _):
        index = resolve_alert(uow, alert_id, principal.username, reason, tenants=principal.scope.tenants)
    return Resolved(alert_id=alert_id, entry_idx=index)
