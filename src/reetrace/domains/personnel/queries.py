"""Reads of the personnel registry.

Functions taking a ``reader`` accept a :class:`reetrace.authz.scope.ScopedReader` (a request: only the tenants
the principal may see exist) or a plain ``Connection`` (jobs, other domains, tests). Persons are returned with
commitments only; revealing a personal value goes through the vault and is audited by the caller.
"""

from __future__ import annotations

import json
import math
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any, Protocol

from pydantic import BaseModel, ConfigDict
from sqlalchemy import Connection, CursorResult, Row, Select, and_, func, or_, select

from reetrace.domains.registry.tables import enterprises
from reetrace.storage.tables import log_checkpoints, log_entries

from .models import SECRECY_LEVELS, SecrecyLevel, Status
from .tables import employment, person_access, person_expertise, persons, watchlist

COPY_ISSUED = "documents.copy.issued"
COPY_OPENED = "documents.copy.opened"
ACCESS_KINDS = (COPY_ISSUED, COPY_OPENED)
ACCESS_WINDOW_DAYS = 90


class Reader(Protocol):
    """A ``sqlalchemy.Connection`` or a :class:`reetrace.authz.scope.ScopedReader`."""

    def execute(self, statement: Select[Any], /) -> CursorResult[Any]: ...


# --- facts for other domains -------------------------------------------------------------------------------


@dataclass(frozen=True)
class PersonFacts:
    """What travel, passports and checks need to know about a person (no personal values)."""

    person_id: str
    tenant: str
    enterprise_id: str
    secrecy_level: SecrecyLevel
    status: Status
    departed_on: date | None
    cooling_off_until: date | None
    watch_listed: bool  # the person is watch-listed, or holds a watch-listed post
    subject_id: str

    def in_cooling_off(self, on: date) -> bool:
        return self.departed_on is not None and self.cooling_off_until is not None and \
            self.departed_on <= on <= self.cooling_off_until


def person_facts(conn: Reader, person_id: str) -> PersonFacts | None:
    row = conn.execute(select(persons).where(persons.c.person_id == person_id)).first()
    if row is None:
        return None
    return _facts(row, person_id in watch_listed_ids(conn, [row]))


def _facts(row: Row[Any], listed: bool) -> PersonFacts:
    return PersonFacts(person_id=row.person_id, tenant=row.tenant, enterprise_id=row.enterprise_id,
                       secrecy_level=row.secrecy_level, status=row.status, departed_on=row.departed_on,
                       cooling_off_until=row.cooling_off_until, watch_listed=listed, subject_id=row.subject_id)


def watch_listed_ids(conn: Reader, rows: Sequence[Row[Any]]) -> set[str]:
    """Which of these person rows are watch-listed, in person or by their post (open entries only)."""
    out: set[str] = set()
    ids = [r.person_id for r in rows]
    for chunk in _chunks(ids):
        out |= set(conn.execute(select(watchlist.c.person_id).where(
            watchlist.c.person_id.in_(chunk), watchlist.c.removed_on.is_(None))).scalars())
    posts = {(r.enterprise_id, r.post_key) for r in rows}
    enterprise_ids = sorted({e for e, _ in posts})
    for chunk in _chunks(enterprise_ids):
        listed = {(e, p) for e, p in conn.execute(select(watchlist.c.enterprise_id, watchlist.c.post_key).where(
            watchlist.c.enterprise_id.in_(chunk), watchlist.c.removed_on.is_(None)))}
        out |= {r.person_id for r in rows if (r.enterprise_id, r.post_key) in listed}
    return out


def _chunks(values: Sequence[str], size: int = 500) -> Iterable[Sequence[str]]:
    for start in range(0, len(values), size):
        yield values[start:start + size]


# --- staff list and person detail ----------------------------------------------------------------------------


@dataclass(frozen=True)
class PersonSummary:
    person_id: str
    tenant: str
    enterprise_id: str
    secrecy_level: str
    province: str | None
    post: str
    status: str
    hired_on: date
    departed_on: date | None
    cooling_off_until: date | None
    expertise: tuple[str, ...]


@dataclass(frozen=True)
class StaffPage:
    total: int
    persons: list[PersonSummary]


def staff_list(reader: Reader, *, enterprise_id: str | None = None, status: str | None = None,
               secrecy_level: str | None = None, limit: int = 50, offset: int = 0,
               after: str | None = None) -> StaffPage:
    """The persons the reader may see, by person id, one page at a time: ``after`` (the last person id of the
    previous page) reads a page without counting through the ones before it, as a large ``offset`` does."""
    conditions = []
    if enterprise_id is not None:
        conditions.append(persons.c.enterprise_id == enterprise_id)
    if status is not None:
        conditions.append(persons.c.status == status)
    if secrecy_level is not None:
        conditions.append(persons.c.secrecy_level == secrecy_level)
    total = reader.execute(select(func.count()).select_from(persons).where(*conditions)).scalar_one()
    if after is not None:
        conditions.append(persons.c.person_id > after)
    rows = list(reader.execute(select(persons).where(*conditions).order_by(persons.c.person_id)
                               .limit(limit).offset(offset)))
    fields = _expertise_of(reader, [r.person_id for r in rows])
    return StaffPage(int(total), [_summary(r, fields.get(r.person_id, ())) for r in rows])


def _summary(r: Row[Any], expertise: tuple[str, ...]) -> PersonSummary:
    return PersonSummary(r.person_id, r.tenant, r.enterprise_id, r.secrecy_level, r.province, r.post, r.status,
                         r.hired_on, r.departed_on, r.cooling_off_until, expertise)


def _expertise_of(reader: Reader, ids: Sequence[str]) -> dict[str, tuple[str, ...]]:
    out: dict[str, list[str]] = defaultdict(list)
    for chunk in _chunks(ids):
        for pid, field in reader.execute(select(person_expertise.c.person_id, person_expertise.c.field)
                                         .where(person_expertise.c.person_id.in_(chunk))):
            out[pid].append(field)
    return {k: tuple(sorted(v)) for k, v in out.items()}


@dataclass(frozen=True)
class WatchEntry:
    entry_id: str
    tenant: str
    person_id: str | None
    enterprise_id: str | None
    post: str | None
    reason: str
    added_on: date
    added_by: str
    removed_on: date | None
    removed_reason: str | None


@dataclass(frozen=True)
class EmploymentReport:
    report_id: str
    employer: str
    country: str
    start_on: date
    foreign: bool
    in_cooling_off: bool


@dataclass(frozen=True)
class PersonDetail:
    """A person as the registry holds them: commitments of the personal fields, never the values."""

    summary: PersonSummary
    subject_id: str
    nationality: str
    departure_reason: str | None
    commitments: dict[str, str]  # field -> hmac-sha256 commitment (only fields that were given)
    technologies: tuple[str, ...]
    documents: tuple[str, ...]
    watch_entries: list[WatchEntry]  # entries naming the person or their post, open and removed
    employment: list[EmploymentReport]

    @property
    def watch_listed(self) -> bool:
        return any(e.removed_on is None for e in self.watch_entries)


COMMITMENT_COLUMNS = {"name_zh": "name_zh_commitment", "name_latin": "name_latin_commitment",
                      "resident_id": "resident_id_commitment", "education": "education_commitment",
                      "research_history": "research_commitment", "publications": "publications_commitment"}


def person_detail(reader: Reader, person_id: str) -> PersonDetail | None:
    row = reader.execute(select(persons).where(persons.c.person_id == person_id)).first()
    if row is None:
        return None
    fields = _expertise_of(reader, [person_id]).get(person_id, ())
    access: dict[str, list[str]] = {"technology": [], "document": []}
    for kind, ref in reader.execute(select(person_access.c.kind, person_access.c.ref)
                                    .where(person_access.c.person_id == person_id).order_by(person_access.c.ref)):
        access[kind].append(ref)
    entries = [_watch_entry(r) for r in reader.execute(select(watchlist).where(or_(
        watchlist.c.person_id == person_id,
        and_(watchlist.c.enterprise_id == row.enterprise_id, watchlist.c.post_key == row.post_key)))
        .order_by(watchlist.c.entry_idx))]
    reports = [EmploymentReport(r.report_id, r.employer, r.country, r.start_on, r.is_foreign, r.in_cooling_off)
               for r in reader.execute(select(employment).where(employment.c.person_id == person_id)
                                       .order_by(employment.c.entry_idx))]
    commitments = {name: row._mapping[col] for name, col in COMMITMENT_COLUMNS.items() if row._mapping[col]}
    return PersonDetail(_summary(row, fields), row.subject_id, row.nationality, row.departure_reason, commitments,
                        tuple(access["technology"]), tuple(access["document"]), entries, reports)


def _watch_entry(r: Row[Any]) -> WatchEntry:
    return WatchEntry(r.entry_id, r.tenant, r.person_id, r.enterprise_id, r.post, r.reason, r.added_on,
                      r.added_by, r.removed_on, r.removed_reason)


def watchlist_entries(reader: Reader, *, include_removed: bool = False, limit: int = 200,
                      offset: int = 0) -> list[WatchEntry]:
    query = select(watchlist).order_by(watchlist.c.entry_idx.desc()).limit(limit).offset(offset)
    if not include_removed:
        query = query.where(watchlist.c.removed_on.is_(None))
    return [_watch_entry(r) for r in reader.execute(query)]


# --- the national registry -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class EnterpriseCount:
    enterprise_id: str
    name: str
    province: str | None
    persons: int


@dataclass(frozen=True)
class RegistryAggregate:
    """Counts over every person the reader may see (an authority: its supervised tenants)."""

    total: int
    by_status: dict[str, int]
    by_secrecy_level: dict[str, int]
    by_expertise: dict[str, int]
    by_province: dict[str, int]
    top_enterprises: list[EnterpriseCount]


def national_aggregation(reader: Reader, top: int = 10) -> RegistryAggregate:
    """Counts by expertise field, secrecy level, province and enterprise (top ``top``) over the reader's tenants.

    Each count is one GROUP BY (tenant, column) read from a covering index in index order (grouping by the column
    alone over several tenants would sort every row in a temporary B-tree); the tenants are summed here.
    """
    by_status = _grouped(reader, persons, persons.c.status)
    by_level = _grouped(reader, persons, persons.c.secrecy_level)
    by_province = _grouped(reader, persons, persons.c.province)
    by_field = _grouped(reader, person_expertise, person_expertise.c.field)
    by_enterprise = _grouped(reader, persons, persons.c.enterprise_id)
    top_ids = sorted(by_enterprise, key=lambda e: (-by_enterprise[e], e))[:top]
    names = {r.enterprise_id: r for r in reader.execute(
        select(enterprises.c.enterprise_id, enterprises.c.name, enterprises.c.province)
        .where(enterprises.c.enterprise_id.in_(top_ids)))} if top_ids else {}
    tops = [EnterpriseCount(e, names[e].name if e in names else "", names[e].province if e in names else None,
                            by_enterprise[e]) for e in top_ids]
    ordered_levels: dict[str, int] = {level: by_level.get(level, 0) for level in SECRECY_LEVELS}
    return RegistryAggregate(total=sum(by_status.values()), by_status=by_status, by_secrecy_level=ordered_levels,
                             by_expertise=_by_count(by_field), by_province=_by_count(by_province),
                             top_enterprises=tops)


def _grouped(reader: Reader, table: Any, column: Any) -> dict[str, int]:
    out: dict[str, int] = defaultdict(int)
    for _, key, n in reader.execute(select(table.c.tenant, column, func.count()).group_by(table.c.tenant, column)):
        out[str(key) if key is not None else "unknown"] += int(n)
    return dict(out)


def _by_count(counts: dict[str, int]) -> dict[str, int]:
    return dict(sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))


# --- access to controlled documents (item 5) -------------------------------------------------------------------


class _CopyBody(BaseModel):
    """What this module reads of a documents.copy.* body; the documents domain owns the full model."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    document_id: str | None = None
    copy_id: str | None = None
    version: str | int | None = None


@dataclass(frozen=True)
class DocumentAccess:
    entry_idx: int
    occurred_at: datetime
    kind: str  # documents.copy.issued | documents.copy.opened
    document_id: str | None
    copy_id: str | None
    actor: str
    tenant: str | None

    @property
    def day(self) -> date:
        return self.occurred_at.date()


def document_access(conn: Reader, person_id: str, since: date, until: date | None = None,
                    subject_id: str | None = None) -> list[DocumentAccess]:
    """Copies of controlled documents issued to or opened by a person from ``since`` to ``until`` (inclusive).

    Reads the log itself: entries of kinds ``documents.copy.issued`` and ``documents.copy.opened`` whose subjects
    name the person (their person id, or their vault subject id). ``log_entries`` keeps the kind and the tenant
    in columns but the subjects and the time only inside the entry, so the scan is narrowed three ways before any
    JSON is parsed: entries appended before the last checkpoint signed before ``since`` (less a day of slack) are
    skipped, only the two kinds are read, and the entry bytes must contain the id. When the documents domain lands
    with its own projection of copies (person, document, day), this function should read that table instead.
    """
    if subject_id is None:
        subject_id = conn.execute(select(persons.c.subject_id).where(persons.c.person_id == person_id)
                                  ).scalar_one_or_none()
    ids = {person_id} | ({subject_id} if subject_id else set())
    start = datetime(since.year, since.month, since.day, tzinfo=UTC)
    end = None if until is None else datetime(until.year, until.month, until.day, tzinfo=UTC) + timedelta(days=1)
    first = conn.execute(select(func.max(log_checkpoints.c.size)).where(
        log_checkpoints.c.created_at < start - timedelta(days=1))).scalar_one_or_none() or 0
    contains = [_contains(conn, log_entries.c.entry, f'"{i}"'.encode()) for i in sorted(ids)]
    query = (select(log_entries.c.idx, log_entries.c.entry)
             .where(log_entries.c.idx >= first, log_entries.c.kind.in_(ACCESS_KINDS), or_(*contains))
             .order_by(log_entries.c.idx))
    out = []
    for idx, entry in conn.execute(query):
        data = json.loads(bytes(entry))
        when = datetime.fromisoformat(data["occurred_at"].replace("Z", "+00:00"))
        if not ids & set(data.get("subjects", ())) or when < start or (end is not None and when >= end):
            continue
        body = _CopyBody.model_validate(data.get("body") or {})
        out.append(DocumentAccess(int(idx), when, data["kind"], body.document_id, body.copy_id, data["actor"],
                                  data.get("tenant")))
    return out


def _contains(conn: Reader, column: Any, needle: bytes) -> Any:
    """``column`` (bytes) contains ``needle`` (ids hold no LIKE wildcards)."""
    dialect = conn.dialect.name if isinstance(conn, Connection) else getattr(conn, "dialect_name", "")
    if dialect == "sqlite":
        return func.instr(column, needle) > 0
    return column.like(b"%" + needle + b"%")


@dataclass(frozen=True)
class BulkAccessRule:
    """When a day's access counts as bulk: more copies than ``max(min_copies_per_day, factor x the person's own
    75th-percentile daily count over the window)``. The person's history sets the bar; the floor keeps quiet
    people from being flagged for a handful of copies."""

    min_copies_per_day: int = 20
    factor: float = 3.0
    window_days: int = ACCESS_WINDOW_DAYS


@dataclass(frozen=True)
class BulkAccessDay:
    day: date
    copies: int
    documents: int
    threshold: int
    baseline: float  # the person's 75th-percentile daily count over the window
    entries: tuple[int, ...]  # log indices, the evidence


def unusual_access(accesses: Sequence[DocumentAccess], window: tuple[date, date],
                   rule: BulkAccessRule = BulkAccessRule()) -> list[BulkAccessDay]:
    """Days in ``window`` (first, last) with bulk access, by :class:`BulkAccessRule`."""
    first, last = window
    per_day: dict[date, list[DocumentAccess]] = defaultdict(list)
    for access in accesses:
        if first <= access.day <= last:
            per_day[access.day].append(access)
    days = max(1, (last - first).days + 1)
    counts = sorted([_copies(a) for a in per_day.values()] + [0] * max(0, days - len(per_day)))
    baseline = float(counts[min(len(counts) - 1, math.ceil(0.75 * len(counts)) - 1)])
    threshold = max(rule.min_copies_per_day, math.ceil(rule.factor * baseline))
    out = []
    for day in sorted(per_day):
        items = per_day[day]
        copies = _copies(items)
        if copies > threshold:
            documents = len({a.document_id for a in items if a.document_id})
            out.append(BulkAccessDay(day, copies, documents, threshold, baseline,
                                     tuple(a.entry_idx for a in items)))
    return out


def _copies(items: Sequence[DocumentAccess]) -> int:
    """Distinct copies touched: by copy id where the event names one, else one per entry."""
    keyed = Counter(a.copy_id or f"#{a.entry_idx}" for a in items)
    return len(keyed)
