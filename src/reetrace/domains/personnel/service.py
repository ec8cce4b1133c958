"""Commands of the personnel registry: register a person, set their access, record a departure (which starts the
cooling-off period set by policy), keep the watch list, and take reports of employment after departure.

Each command checks its input in the domain's words, then records events; the projections keep the read tables in
step. Personal values go to the vault (:meth:`Vault.commit_new_subjects`); the log and the tables get commitments
and blind indexes only. Staff-list and name checks are in :mod:`.matching`, imports in :mod:`.imports`.
"""

from __future__ import annotations

import uuid
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any, cast

from sqlalchemy import Connection, Row, Table, bindparam, delete, insert, select, update

from reetrace.domains.alerts import raise_alert
from reetrace.domains.registry.tables import enterprises
from reetrace.errors import Detail, Error, invalid, not_found
from reetrace.events import Event, EventKind, new_event_id
from reetrace.storage.ledger import UnitOfWork
from reetrace.storage.vault import Vault

from .countries import UnknownCountry, country
from .matching import name_key_entries
from .models import (
    DEPARTURE_REASONS,
    HOME_COUNTRY,
    AccessSet,
    Caller,
    DepartureReason,
    EmploymentReported,
    ImportCompleted,
    PersonDeparted,
    PersonInput,
    PersonRegistered,
    Registered,
    SecrecyLevel,
    StaffListChecked,
    WatchlistAdded,
    WatchlistRemoved,
)
from .policy import TravelPolicy
from .queries import ACCESS_KINDS, BulkAccessRule, document_access, unusual_access
from .tables import employment, name_keys, person_access, person_expertise, persons, staff_checks, watchlist
from .validation import IDENT_RE, CheckedPerson, check_person, post_key

COOLING_OFF_EMPLOYMENT = "personnel.cooling_off.employment"
EMPLOYMENT_OVERLAP = "personnel.employment.overlap"
BULK_ACCESS = "personnel.access.bulk"


def _today(today: date | None) -> date:
    return today if today is not None else date.today()


def new_person_id() -> str:
    """``P-`` and 24 hex digits, time-ordered (48-bit milliseconds first) so that a bulk import appends."""
    return "P-" + new_event_id()[:24].upper()


def new_subject_id() -> str:
    return "person-" + new_event_id()


# --- registration ----------------------------------------------------------------------------------------------


def register_person(uow: UnitOfWork, vault: Vault, caller: Caller, form: PersonInput, *, today: date | None = None,
                    policy: TravelPolicy | None = None) -> Registered:
    """Register one person employed by an enterprise of the caller's tenants.

    Errors: 400 with a Detail per field (resident id, nationality, expertise, dates, ...); 404 for an employer
    outside the caller's tenants; 409 ``duplicate`` for a resident id already registered.
    """
    checked, problems = check_person(form, _today(today))
    if checked is None:
        details = [Detail(message, field) for field, message in problems]
        raise invalid(f"the person is not valid: {details[0].location}: {details[0].message}", *details)
    employer = employers_of(uow.conn, caller, [checked.form.enterprise_id]).get(checked.form.enterprise_id)
    if employer is None:
        raise Error(f"no enterprise {form.enterprise_id!r} that you may register staff for", code="not_found",
                    http_status=404, details=[Detail("the employer must be an enterprise of your tenant",
                                                     "enterprise_id")])
    index = vault.blind_index("resident_id", checked.resident.number)
    existing = registered_resident_ids(uow.conn, [index])
    if index in existing:
        raise Error(f"duplicate person: resident id already registered as {existing[index]}", code="duplicate",
                    http_status=409, details=[Detail("each person is registered once", "resident_id")])
    if form.person_id is not None and existing_person_ids(uow.conn, [form.person_id]):
        raise Error(f"duplicate person: {form.person_id} is already registered", code="duplicate",
                    http_status=409, details=[Detail("choose another person id or leave it out", "person_id")])
    return stage_persons(uow, vault, caller, [(checked, employer, index)], policy or TravelPolicy.default())[0]


def employers_of(conn: Connection, caller: Caller, enterprise_ids: Collection[str]) -> dict[str, Row[Any]]:
    """The enterprises among ``enterprise_ids`` that belong to the caller's tenants."""
    ids = sorted(set(enterprise_ids))
    out: dict[str, Row[Any]] = {}
    for start in range(0, len(ids), 500):
        for row in conn.execute(select(enterprises.c.enterprise_id, enterprises.c.tenant, enterprises.c.province)
                                .where(enterprises.c.enterprise_id.in_(ids[start:start + 500]),
                                       enterprises.c.tenant.in_(sorted(caller.tenants)))):
            out[row.enterprise_id] = row
    return out


def registered_resident_ids(conn: Connection, indexes: Sequence[str]) -> dict[str, str]:
    """Blind index -> person id, for the resident ids already registered (in any tenant)."""
    out: dict[str, str] = {}
    for start in range(0, len(indexes), 500):
        out.update((str(i), str(p)) for i, p in conn.execute(select(persons.c.resident_id_index, persons.c.person_id)
                   .where(persons.c.resident_id_index.in_(indexes[start:start + 500]))))
    return out


def existing_person_ids(conn: Connection, ids: Sequence[str]) -> set[str]:
    out: set[str] = set()
    for start in range(0, len(ids), 500):
        out |= set(conn.execute(select(persons.c.person_id).where(persons.c.person_id.in_(ids[start:start + 500])))
                   .scalars())
    return out


def stage_persons(uow: UnitOfWork, vault: Vault, caller: Caller,
                  people: Sequence[tuple[CheckedPerson, Row[Any], str]], policy: TravelPolicy) -> list[Registered]:
    """Seal, record and project people that passed every check: (person, employer row, resident-id index).

    Personal fields go to the vault in two batched inserts; the registrations are recorded as one run of events
    (one batched projection), then the departures of people who arrive already departed.
    """
    subject_ids = [new_subject_id() for _ in people]
    sealed = vault.commit_new_subjects([(sid, _personal_values(p)) for sid, (p, _, _) in zip(subject_ids, people,
                                                                                                strict=True)])
    registered_events, departed_events, out = [], [], []
    keys: dict[tuple[str, str], tuple[str, ...]] = {}  # common names repeat in a bulk import
    for subject_id, commitments, (person, employer, index) in zip(subject_ids, sealed, people, strict=True):
        person_id = person.form.person_id or new_person_id()
        names = (person.name_zh, person.name_latin)
        if names not in keys:
            keys[names] = name_key_entries(vault, *names)
        body = PersonRegistered.model_construct(
            person_id=person_id, subject_id=subject_id, enterprise_id=employer.enterprise_id,
            province=employer.province, nationality=person.nationality, secrecy_level=person.secrecy_level,
            post=person.post, hired_on=person.form.hired_on, expertise=person.expertise,
            technologies=tuple(dict.fromkeys(person.form.technologies)),
            documents=tuple(dict.fromkeys(person.form.documents)),
            name_zh=commitments.get("name_zh"), name_latin=commitments.get("name_latin"),
            resident_id=commitments["resident_id"], education=commitments.get("education"),
            research_history=commitments.get("research_history"), publications=commitments.get("publications"),
            resident_id_index=index,
            name_keys=keys[names])
        registered_events.append(Event(kind="personnel.person.registered", tenant=employer.tenant,
                                       actor=caller.actor, subjects=(person_id, subject_id, employer.enterprise_id),
                                       body=body.model_dump(mode="json")))
        if person.form.departed_on is not None:
            departed_events.append(_departure_event(caller, employer.tenant, person_id, person.secrecy_level,
                                                    person.form.departed_on, "other", policy))
        out.append(Registered(person_id, subject_id, -1))
    indices = uow.record_many(registered_events + departed_events)
    return [Registered(r.person_id, r.subject_id, i) for r, i in zip(out, indices, strict=False)]


def _personal_values(person: CheckedPerson) -> dict[str, str]:
    values = {"name_zh": person.name_zh, "name_latin": person.name_latin, "resident_id": person.resident.number,
              "education": person.form.education.strip(), "research_history": person.form.research_history.strip(),
              "publications": person.form.publications.strip()}
    return {k: v for k, v in values.items() if v}


def record_import(uow: UnitOfWork, caller: Caller, body: ImportCompleted) -> int:
    return uow.record(Event(kind="personnel.import.completed", tenant=caller.tenant, actor=caller.actor,
                            body=body.model_dump(mode="json")))


# --- access grants ---------------------------------------------------------------------------------------------


def set_access(uow: UnitOfWork, caller: Caller, person_id: str, technologies: Iterable[str],
               documents: Iterable[str]) -> int:
    """Replace the controlled technologies and documents a person may access."""
    person = _person(uow.conn, caller, person_id)
    techs, docs = tuple(dict.fromkeys(technologies)), tuple(dict.fromkeys(documents))
    bad = [Detail(f"{v!r} is not an identifier (letters, digits and ._:/-, at most 100 characters)", field)
           for field, values in (("technologies", techs), ("documents", docs)) for v in values if not IDENT_RE.match(v)]
    if bad:
        raise invalid(f"the access grants are not valid: {bad[0].location}: {bad[0].message}", *bad)
    body = AccessSet(person_id=person_id, technologies=techs, documents=docs)
    return uow.record(Event(kind="personnel.person.access_set", tenant=person.tenant, actor=caller.actor,
                            subjects=(person_id,), body=body.model_dump(mode="json")))


def _person(conn: Connection, caller: Caller, person_id: str) -> Row[Any]:
    row = conn.execute(select(persons).where(persons.c.person_id == person_id,
                                             persons.c.tenant.in_(sorted(caller.tenants)))).first()
    if row is None:
        raise not_found(f"no person {person_id!r}")
    return row


# --- departures ------------------------------------------------------------------------------------------------


def record_departure(uow: UnitOfWork, caller: Caller, person_id: str, departed_on: date, reason: str = "resigned",
                     *, policy: TravelPolicy | None = None, today: date | None = None,
                     access_rule: BulkAccessRule | None = None) -> int:
    """A person leaves their post: the cooling-off period for their secrecy level starts (policy data, not code).

    Access to controlled documents in the 90 days before is checked; bulk access raises ``personnel.access.bulk``.
    """
    person = _person(uow.conn, caller, person_id)
    if person.status == "departed":
        raise Error(f"person {person_id} already departed on {person.departed_on}", code="conflict", http_status=409)
    problems = []
    if reason not in DEPARTURE_REASONS:
        problems.append(Detail(f"unknown reason {reason!r}: one of {', '.join(DEPARTURE_REASONS)}", "reason"))
    if departed_on < person.hired_on:
        problems.append(Detail(f"departed_on {departed_on.isoformat()} is before hired_on "
                               f"{person.hired_on.isoformat()}", "departed_on"))
    if departed_on > _today(today):
        problems.append(Detail(f"departed_on {departed_on.isoformat()} is in the future", "departed_on"))
    if problems:
        raise invalid(f"the departure is not valid: {problems[0].location}: {problems[0].message}", *problems)
    event = _departure_event(caller, person.tenant, person_id, person.secrecy_level, departed_on, reason,
                             policy or TravelPolicy.default())
    index = uow.record(event)
    flag_bulk_access(uow, person, departed_on, "departure", access_rule or BulkAccessRule())
    return index


def _departure_event(caller: Caller, tenant: str, person_id: str, level: str, departed_on: date, reason: str,
                     policy: TravelPolicy) -> Event:
    days = policy.cooling_off_days(level)
    body = PersonDeparted.model_construct(  # validated by the ledger, as every event body is
        person_id=person_id, departed_on=departed_on, reason=cast(DepartureReason, reason),
        secrecy_level=cast(SecrecyLevel, level), cooling_off_days=days,
        cooling_off_until=departed_on + timedelta(days=days), policy_version=policy.version,
        policy_digest=policy.digest)
    return Event(kind="personnel.person.departed", tenant=tenant, actor=caller.actor, subjects=(person_id,),
                 body=body.model_dump(mode="json"))


def flag_bulk_access(uow: UnitOfWork, person: Row[Any], on: date, trigger: str,
                     rule: BulkAccessRule) -> str | None:
    """Raise ``personnel.access.bulk`` if the person's copies of controlled documents in the window before ``on``
    include bulk days (see :func:`.queries.unusual_access`); the evidence names the days and log entries."""
    if not any(kind in uow.ledger.kinds.kinds for kind in ACCESS_KINDS):
        return None  # no documents domain in this deployment: no copy can be on the log (and no scan is made)
    since = on - timedelta(days=rule.window_days - 1)
    accesses = document_access(uow.conn, person.person_id, since, on, subject_id=person.subject_id)
    days = unusual_access(accesses, (since, on), rule)
    if not days:
        return None
    evidence = {"person_id": person.person_id, "trigger": trigger, "on": on.isoformat(),
                "window": [since.isoformat(), on.isoformat()], "accesses_in_window": len(accesses),
                "days": [{"day": d.day.isoformat(), "copies": d.copies, "documents": d.documents,
                          "threshold": d.threshold, "baseline": d.baseline, "entries": list(d.entries[:50])}
                         for d in days]}
    worst = max(days, key=lambda d: d.copies)
    return raise_alert(uow, tenant=person.tenant, kind=BULK_ACCESS, subject=person.person_id,
                       severity="high" if person.secrecy_level == "core" else "warning",
                       message=f"{person.person_id}: bulk access to controlled documents on {len(days)} day(s) in "
                               f"the {rule.window_days} days before the {trigger} on {on.isoformat()} (up to "
                               f"{worst.copies} copies on {worst.day.isoformat()}; threshold {worst.threshold})",
                       evidence=evidence, dedupe_key=f"{BULK_ACCESS}:{person.person_id}:{trigger}:{on.isoformat()}",
                       actor="system")


# --- watch list ------------------------------------------------------------------------------------------------


def new_entry_id() -> str:
    return "W-" + uuid.uuid4().hex[:16].upper()


def watch_person(uow: UnitOfWork, caller: Caller, person_id: str, reason: str, added_on: date | None = None, *,
                 today: date | None = None, access_rule: BulkAccessRule | None = None) -> str:
    """Put a person on the watch list; their access to controlled documents in the 90 days before is checked."""
    person = _person(uow.conn, caller, person_id)
    added = _check_added(added_on, reason, today)
    if uow.conn.execute(select(watchlist.c.entry_id).where(watchlist.c.person_id == person_id,
                                                           watchlist.c.removed_on.is_(None))).first():
        raise Error(f"person {person_id} is already on the watch list", code="conflict", http_status=409)
    entry_id = new_entry_id()
    body = WatchlistAdded(entry_id=entry_id, person_id=person_id, reason=reason.strip(), added_on=added)
    uow.record(Event(kind="personnel.watchlist.added", tenant=person.tenant, actor=caller.actor,
                     subjects=(entry_id, person_id), body=body.model_dump(mode="json")))
    flag_bulk_access(uow, person, added, "watch-listing", access_rule or BulkAccessRule())
    return entry_id


def watch_post(uow: UnitOfWork, caller: Caller, enterprise_id: str, post: str, reason: str,
               added_on: date | None = None, *, today: date | None = None) -> str:
    """Put a post (an enterprise's post title) on the watch list: whoever holds it is watch-listed."""
    employer = employers_of(uow.conn, caller, [enterprise_id]).get(enterprise_id)
    if employer is None:
        raise not_found(f"no enterprise {enterprise_id!r}")
    title = " ".join(post.split())
    if not title:
        raise invalid("the post title is empty", Detail("name the post as the staff records do", "post"))
    added = _check_added(added_on, reason, today)
    if uow.conn.execute(select(watchlist.c.entry_id).where(
            watchlist.c.enterprise_id == enterprise_id, watchlist.c.post_key == post_key(title),
            watchlist.c.removed_on.is_(None))).first():
        raise Error(f"post {title!r} of {enterprise_id} is already on the watch list", code="conflict",
                    http_status=409)
    entry_id = new_entry_id()
    body = WatchlistAdded(entry_id=entry_id, enterprise_id=enterprise_id, post=title, reason=reason.strip(),
                          added_on=added)
    uow.record(Event(kind="personnel.watchlist.added", tenant=employer.tenant, actor=caller.actor,
                     subjects=(entry_id, enterprise_id), body=body.model_dump(mode="json")))
    return entry_id


def unwatch(uow: UnitOfWork, caller: Caller, entry_id: str, reason: str, removed_on: date | None = None, *,
            today: date | None = None) -> int:
    row = uow.conn.execute(select(watchlist).where(watchlist.c.entry_id == entry_id,
                                                   watchlist.c.tenant.in_(sorted(caller.tenants)))).first()
    if row is None:
        raise not_found(f"no watch-list entry {entry_id!r}")
    if row.removed_on is not None:
        raise Error(f"watch-list entry {entry_id} was removed on {row.removed_on}", code="conflict", http_status=409)
    removed = _check_added(removed_on, reason, today, field="removed_on")
    if removed < row.added_on:
        raise invalid(f"removed_on {removed.isoformat()} is before added_on {row.added_on.isoformat()}",
                      Detail("an entry is removed after it was added", "removed_on"))
    body = WatchlistRemoved(entry_id=entry_id, removed_on=removed, reason=reason.strip())
    return uow.record(Event(kind="personnel.watchlist.removed", tenant=row.tenant, actor=caller.actor,
                            subjects=(entry_id, row.person_id or row.enterprise_id), body=body.model_dump(mode="json")))


def _check_added(on: date | None, reason: str, today: date | None, field: str = "added_on") -> date:
    current = _today(today)
    problems = []
    if not reason.strip():
        problems.append(Detail("a reason is required", "reason"))
    if on is not None and on > current:
        problems.append(Detail(f"{field} {on.isoformat()} is in the future", field))
    if problems:
        raise invalid(f"{problems[0].location}: {problems[0].message}", *problems)
    return on or current


# --- employment after departure --------------------------------------------------------------------------------


@dataclass(frozen=True)
class EmploymentResult:
    report_id: str
    entry_idx: int
    alert_id: str | None


def report_employment(uow: UnitOfWork, caller: Caller, person_id: str, employer: str, country_code: str,
                      start_on: date) -> EmploymentResult:
    """A person's new employer. A foreign employer (any country but CN; HK, MO and TW count as foreign here)
    starting before the end of the cooling-off period raises ``personnel.cooling_off.employment`` (high); a
    foreign employer of a person still employed raises ``personnel.employment.overlap``."""
    person = _person(uow.conn, caller, person_id)
    name = " ".join(employer.split())
    problems = []
    if not name:
        problems.append(Detail("the employer's name is empty", "employer"))
    try:
        alpha2 = country(country_code).alpha2
    except UnknownCountry:
        alpha2 = ""
        problems.append(Detail(f"unknown country {country_code!r} (an ISO 3166-1 alpha-2 code)", "country"))
    if person.departed_on is not None and start_on < person.hired_on:
        problems.append(Detail(f"start_on {start_on.isoformat()} is before hired_on {person.hired_on.isoformat()}",
                               "start_on"))
    if problems:
        raise invalid(f"the employment report is not valid: {problems[0].location}: {problems[0].message}",
                      *problems)
    foreign = alpha2 != HOME_COUNTRY
    until = person.cooling_off_until
    in_cooling_off = person.status == "departed" and until is not None and start_on <= until
    report_id = "E-" + uuid.uuid4().hex[:16].upper()
    body = EmploymentReported(report_id=report_id, person_id=person_id, employer=name, country=alpha2,
                              start_on=start_on, foreign=foreign, in_cooling_off=in_cooling_off)
    index = uow.record(Event(kind="personnel.employment.reported", tenant=person.tenant, actor=caller.actor,
                             subjects=(report_id, person_id), body=body.model_dump(mode="json")))
    alert_id = None
    evidence: dict[str, Any] = {"person_id": person_id, "report_id": report_id, "report_entry": index,
                                "employer": name, "country": alpha2, "start_on": start_on.isoformat(),
                                "secrecy_level": person.secrecy_level, "status": person.status,
                                "hired_on": person.hired_on.isoformat(),
                                "departed_on": person.departed_on.isoformat() if person.departed_on else None,
                                "cooling_off_until": until.isoformat() if until else None}
    dedupe = f"{person_id}:{name.casefold()}:{alpha2}"
    if foreign and in_cooling_off:
        assert until is not None and person.departed_on is not None
        evidence["days_before_cooling_off_ends"] = (until - start_on).days
        alert_id = raise_alert(
            uow, tenant=person.tenant, kind=COOLING_OFF_EMPLOYMENT, subject=person_id, severity="high",
            message=f"{person_id} ({person.secrecy_level}) works for {name} ({alpha2}) from {start_on.isoformat()}, "
                    f"within the cooling-off period that runs until {until.isoformat()}",
            evidence=evidence, dedupe_key=f"{COOLING_OFF_EMPLOYMENT}:{dedupe}", actor=caller.actor)
    elif foreign and person.status == "employed":
        alert_id = raise_alert(
            uow, tenant=person.tenant, kind=EMPLOYMENT_OVERLAP, subject=person_id, severity="warning",
            message=f"{person_id} ({person.secrecy_level}) is reported working for {name} ({alpha2}) from "
                    f"{start_on.isoformat()} while still employed at {person.enterprise_id}",
            evidence=evidence, dedupe_key=f"{EMPLOYMENT_OVERLAP}:{dedupe}", actor=caller.actor)
    return EmploymentResult(report_id, index, alert_id)


# --- projections -----------------------------------------------------------------------------------------------

Items = Sequence[tuple[Event, int]]


def _registered(conn: Connection, items: Items) -> None:
    rows: list[dict[str, Any]] = []
    fields: list[dict[str, Any]] = []
    grants: list[dict[str, Any]] = []
    keys: list[dict[str, Any]] = []
    for event, index in items:
        b = PersonRegistered.model_validate(event.body)
        rows.append({"person_id": b.person_id, "tenant": event.tenant, "enterprise_id": b.enterprise_id,
                     "subject_id": b.subject_id, "secrecy_level": b.secrecy_level, "nationality": b.nationality,
                     "province": b.province, "post": b.post, "post_key": post_key(b.post), "hired_on": b.hired_on,
                     "status": "employed", "departed_on": None, "departure_reason": None, "cooling_off_until": None,
                     "resident_id_index": b.resident_id_index, "name_zh_commitment": b.name_zh,
                     "name_latin_commitment": b.name_latin, "resident_id_commitment": b.resident_id,
                     "education_commitment": b.education, "research_commitment": b.research_history,
                     "publications_commitment": b.publications, "entry_idx": index, "updated_idx": index})
        fields += [{"person_id": b.person_id, "field": f, "tenant": event.tenant} for f in dict.fromkeys(b.expertise)]
        grants += _grant_rows(event.tenant, b.person_id, b.technologies, b.documents)
        keys += [{"person_id": b.person_id, "key_index": k[:32], "kinds": k[33:], "tenant": event.tenant}
                 for k in dict.fromkeys(b.name_keys)]
    # in key order: B-tree inserts then touch each page once (generated person ids are time-ordered already)
    rows.sort(key=lambda r: r["person_id"])
    fields.sort(key=lambda r: (r["person_id"], r["field"]))
    grants.sort(key=lambda r: (r["person_id"], r["kind"], r["ref"]))
    keys.sort(key=lambda r: (r["key_index"], r["person_id"]))
    for table, batch in ((persons, rows), (person_expertise, fields), (person_access, grants), (name_keys, keys)):
        bulk_insert(conn, table, batch)


def bulk_insert(conn: Connection, table: Table, rows: Sequence[dict[str, Any]]) -> None:
    """Insert rows (dicts with the same keys) through the driver's executemany.

    SQLAlchemy's per-row parameter processing is most of the cost of a bulk import's projection; the values here
    are plain (str, int, bool, date, None), which both drivers take as they are (dates as ISO text on SQLite, the
    form SQLAlchemy's Date type stores there).
    """
    if not rows:
        return
    columns = list(rows[0])
    if conn.dialect.name not in ("sqlite", "postgresql"):
        conn.execute(insert(table), list(rows))
        return
    mark = "?" if conn.dialect.name == "sqlite" else "%s"
    sql = f"INSERT INTO {table.name} ({', '.join(columns)}) VALUES ({', '.join([mark] * len(columns))})"
    if conn.dialect.name == "sqlite":
        conn.exec_driver_sql(sql, [tuple(_sqlite_value(r[c]) for c in columns) for r in rows])
    else:
        conn.exec_driver_sql(sql, [tuple(r[c] for c in columns) for r in rows])


def _sqlite_value(value: Any) -> Any:
    return value.isoformat() if isinstance(value, date) else value


def _grant_rows(tenant: str | None, person_id: str, technologies: Iterable[str],
                documents: Iterable[str]) -> list[dict[str, Any]]:
    return [{"person_id": person_id, "kind": kind, "ref": ref, "tenant": tenant}
            for kind, refs in (("technology", technologies), ("document", documents)) for ref in dict.fromkeys(refs)]


def _access_set(conn: Connection, items: Items) -> None:
    for event, index in items:
        b = AccessSet.model_validate(event.body)
        conn.execute(delete(person_access).where(person_access.c.person_id == b.person_id))
        rows = _grant_rows(event.tenant, b.person_id, b.technologies, b.documents)
        if rows:
            conn.execute(insert(person_access), rows)
        conn.execute(update(persons).where(persons.c.person_id == b.person_id).values(updated_idx=index))


def _departed(conn: Connection, items: Items) -> None:
    rows = []
    for event, index in items:
        b = PersonDeparted.model_validate(event.body)
        rows.append({"pid": b.person_id, "status": "departed", "departed_on": b.departed_on,
                     "departure_reason": b.reason, "cooling_off_until": b.cooling_off_until, "updated_idx": index})
    conn.execute(update(persons).where(persons.c.person_id == bindparam("pid")).values(
        status=bindparam("status"), departed_on=bindparam("departed_on"),
        departure_reason=bindparam("departure_reason"), cooling_off_until=bindparam("cooling_off_until"),
        updated_idx=bindparam("updated_idx")), rows)


def _watch_added(conn: Connection, items: Items) -> None:
    rows = []
    for event, index in items:
        b = WatchlistAdded.model_validate(event.body)
        rows.append({"entry_id": b.entry_id, "tenant": event.tenant, "person_id": b.person_id,
                     "enterprise_id": b.enterprise_id, "post": b.post,
                     "post_key": post_key(b.post) if b.post else None, "reason": b.reason, "added_on": b.added_on,
                     "added_by": event.actor, "removed_on": None, "removed_reason": None, "entry_idx": index})
    conn.execute(insert(watchlist), rows)


def _watch_removed(conn: Connection, items: Items) -> None:
    for event, _ in items:
        b = WatchlistRemoved.model_validate(event.body)
        conn.execute(update(watchlist).where(watchlist.c.entry_id == b.entry_id).values(
            removed_on=b.removed_on, removed_reason=b.reason))


def _employment(conn: Connection, items: Items) -> None:
    rows = []
    for event, index in items:
        b = EmploymentReported.model_validate(event.body)
        rows.append({"report_id": b.report_id, "tenant": event.tenant, "person_id": b.person_id,
                     "employer": b.employer, "country": b.country, "start_on": b.start_on, "is_foreign": b.foreign,
                     "in_cooling_off": b.in_cooling_off, "entry_idx": index})
    conn.execute(insert(employment), rows)


def _staff_checked(conn: Connection, items: Items) -> None:
    rows = []
    for event, index in items:
        b = StaffListChecked.model_validate(event.body)
        rows.append({"check_id": b.check_id, "tenant": event.tenant, "organisation": b.organisation,
                     "country": b.country, "rows": b.rows, "matches": " ".join(b.matches),
                     "list_digest": b.list_digest, "checked_by": event.actor, "entry_idx": index})
    conn.execute(insert(staff_checks), rows)


KINDS = [
    EventKind("personnel.person.registered", PersonRegistered, _registered,
              "a technical expert enters the registry; personal fields as vault commitments and blind indexes"),
    EventKind("personnel.person.access_set", AccessSet, _access_set,
              "the controlled technologies and documents a person may access"),
    EventKind("personnel.person.departed", PersonDeparted, _departed,
              "a person leaves their post; the cooling-off period set by policy starts"),
    EventKind("personnel.watchlist.added", WatchlistAdded, _watch_added, "a person or a post goes on the watch list"),
    EventKind("personnel.watchlist.removed", WatchlistRemoved, _watch_removed, "a watch-list entry is removed"),
    EventKind("personnel.employment.reported", EmploymentReported, _employment,
              "a person's employment after (or alongside) their post"),
    EventKind("personnel.staff_list.checked", StaffListChecked, _staff_checked,
              "a foreign organisation's staff list was checked against the watch list"),
    EventKind("personnel.import.completed", ImportCompleted, None, "a CSV or XLSX import of persons was stored"),
]
