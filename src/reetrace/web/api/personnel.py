"""``/api/v1/personnel``: the registry of technical experts, the national aggregation, and the watch list.

Persons come with commitments of their personal fields; ``/reveal`` decrypts them (``personal:data:read``) after an
audit event. Imports check every row and store all or nothing: a bad row is a 400 whose ``errors`` name the file,
row and column. Watch-list checks raise alerts for matches (``/api/v1/alerts``).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Path, Query, Request, UploadFile

from reetrace.domains.personnel.models import PersonInput
from reetrace.web import personnelview as view
from reetrace.web import watchview as watch
from reetrace.web.access import require
from reetrace.web.api.common import ERROR_RESPONSES, ErrorBody
from reetrace.web.deps import Visible

router = APIRouter(prefix="/api/v1/personnel", tags=["personnel"], responses=ERROR_RESPONSES)
PersonId = Annotated[str, Path(pattern=view.PERSON_ID_PATTERN, max_length=64, description="A person id, P-...")]
EntryId = Annotated[str, Path(pattern=watch.ENTRY_ID_PATTERN, description="A watch-list entry id, W-...")]
CONFLICT: dict[int | str, dict[str, Any]] = {
    409: {"model": ErrorBody, "description": "Conflicts with the registry's state (duplicate, already done)"}}
TOO_LARGE: dict[int | str, dict[str, Any]] = {413: {"model": ErrorBody, "description": "The file is too large"}}


def upload_bytes(file: UploadFile, limit: int) -> bytes:
    return file.file.read(limit + 1)


@router.get("/persons", **require("personnel:person:read"))
def list_persons(scoped: Visible,
                 enterprise_id: Annotated[str | None, Query(pattern=view.ENTERPRISE_ID)] = None,
                 status: view.Status | None = None, secrecy_level: view.Level | None = None,
                 expertise: view.ExpertiseField | None = None,
                 page: Annotated[int, Query(ge=1, le=100_000)] = 1,
                 limit: Annotated[int, Query(ge=1, le=500)] = 50) -> view.StaffList:
    """The staff of the tenants one may see, by person id, filtered, a page at a time."""
    return view.staff_list(scoped, enterprise_id=enterprise_id, status=status, secrecy_level=secrecy_level,
                           expertise=expertise, page=page, limit=limit)


@router.post("/persons", status_code=201, responses=CONFLICT, **require("personnel:person:write"))
def register(request: Request, scoped: Visible, form: PersonInput) -> view.Registered:
    """Register one person (resident id checked, duplicates refused); personal fields go to the vault."""
    return view.register(request, scoped, form)


@router.get("/persons/{person_id}", **require("personnel:person:read"))
def person(request: Request, scoped: Visible, person_id: PersonId,
           reason: Annotated[str | None, Query(max_length=400)] = None) -> view.PersonDetail:
    """One person: expertise, secrecy level, access, watch-list status, cooling-off, alerts; commitments only.
    An authority's user reading a supervised tenant's person must state a ``reason`` (recorded; else 403
    ``reason_required``)."""
    return view.person_detail(request, scoped, person_id, reason=reason)


@router.post("/persons/{person_id}/reveal", responses={410: {"model": ErrorBody, "description": "Erased"}},
             **require("personal:data:read"))
def reveal(request: Request, scoped: Visible, person_id: PersonId,
           reason: Annotated[str | None, Query(max_length=400)] = None) -> view.RevealedPerson:
    """Decrypt the person's names, resident id, education, research and publications; audited first (an
    authority's user states a ``reason``, as for the details)."""
    return view.reveal_person(request, scoped, person_id, reason)


@router.post("/persons/{person_id}/departure", responses=CONFLICT, **require("personnel:person:write"))
def departure(request: Request, scoped: Visible, person_id: PersonId, form: view.DepartureInput) -> view.Departure:
    """The person leaves their post; the cooling-off period of their secrecy level starts."""
    return view.depart(request, scoped, person_id, form)


@router.post("/persons/{person_id}/access", **require("personnel:person:write"))
def access(request: Request, scoped: Visible, person_id: PersonId, form: view.AccessInput) -> view.AccessGrants:
    """Replace the controlled technologies and documents the person may access."""
    return view.grant_access(request, scoped, person_id, form)


@router.get("/persons/{person_id}/document-access", **require("personnel:person:read"))
def document_access(request: Request, scoped: Visible, person_id: PersonId) -> view.DocumentAccessReport:
    """Copies of controlled documents issued to or opened by the person in the last 90 days, with unusual days."""
    return view.document_access(request, scoped, person_id)


@router.post("/imports", responses=TOO_LARGE, **require("personnel:person:write"))
def import_persons(request: Request, scoped: Visible,
                   file: Annotated[UploadFile, File(description="A CSV or XLSX file of persons")]) -> view.ImportReport:
    """Import persons from CSV or XLSX: every row is checked, then all are stored, or none."""
    return view.import_file(request, scoped, upload_bytes(file, view.MAX_UPLOAD), file.filename or "")


@router.get("/registry/national", **require("personnel:registry:aggregate"))
def national(scoped: Visible, top: Annotated[int, Query(ge=1, le=100)] = 10) -> view.NationalAggregate:
    """Counts by expertise, secrecy level, province and enterprise over the tenants one may see."""
    return view.national(scoped, top)


@router.get("/watchlist", **require("personnel:watchlist:read"))
def watchlist(scoped: Visible, include_removed: bool = False,
              limit: Annotated[int, Query(ge=1, le=500)] = 200,
              offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0) -> watch.WatchList:
    """Watch-list entries (persons and posts), newest first."""
    return watch.watch_list(scoped, include_removed, limit, offset)


@router.post("/watchlist/persons", status_code=201, responses=CONFLICT, **require("personnel:watchlist:manage"))
def watch_person(request: Request, scoped: Visible, form: watch.WatchPersonInput) -> watch.Watched:
    """Put a person on the watch list, with a reason."""
    return watch.add_person(request, scoped, form)


@router.post("/watchlist/posts", status_code=201, responses=CONFLICT, **require("personnel:watchlist:manage"))
def watch_post(request: Request, scoped: Visible, form: watch.WatchPostInput) -> watch.Watched:
    """Put an enterprise's post on the watch list: whoever holds it is watch-listed."""
    return watch.add_post(request, scoped, form)


@router.post("/watchlist/{entry_id}/remove", responses=CONFLICT, **require("personnel:watchlist:manage"))
def unwatch(request: Request, scoped: Visible, entry_id: EntryId, form: watch.RemoveInput) -> watch.Removed:
    """Remove a watch-list entry, with a reason."""
    return watch.remove(request, scoped, entry_id, form)


@router.post("/watchlist/check-staff", responses=TOO_LARGE, **require("personnel:watchlist:check"))
def check_staff(request: Request, scoped: Visible,
                file: Annotated[UploadFile, File(description="CSV with columns name_zh and/or name_latin")],
                organisation: Annotated[str, Form(min_length=1, max_length=300)],
                country: Annotated[str, Form(min_length=2, max_length=2)]) -> watch.StaffCheck:
    """Check a foreign organisation's staff list against the watch list; each match raises an alert."""
    return watch.check_staff(request, scoped, upload_bytes(file, watch.MAX_STAFF_FILE), file.filename or "",
                             organisation, country)


@router.post("/watchlist/check-name", **require("personnel:watchlist:check"))
def check_name(request: Request, scoped: Visible, form: watch.NameCheckInput) -> watch.NameCheck:
    """Persons whose names match an analyst's name (exact, pinyin, Latin variants); the check is audited."""
    return watch.check_name(request, scoped, form)
