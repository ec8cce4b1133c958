"""Console pages of the personnel registry: the staff list, a person (with the audited reveal), the import form,
the national registry with its charts and audited drill-down, the watch list and the checks against it.

Forms post back; a change redirects (303) to its page with a ``notice``; a check or an import shows its result (or
its row errors) on the page it was posted from.
"""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, File, Form, Path, Query, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from reetrace.domains.personnel.models import EXPERTISE
from reetrace.errors import Error
from reetrace.web import personnelview as view
from reetrace.web import watchview as watch
from reetrace.web.access import require
from reetrace.web.auth import Forbidden
from reetrace.web.console.render import render
from reetrace.web.deps import Visible

router = APIRouter(include_in_schema=False)
READ = require("personnel:person:read")
WATCH_READ = require("personnel:watchlist:read")
WATCH_MANAGE = require("personnel:watchlist:manage")
WATCH_CHECK = require("personnel:watchlist:check")
PAGE = 50
PersonId = Annotated[str, Path(pattern=view.PERSON_ID_PATTERN, max_length=64)]
Notice = Literal["person-watched", "post-watched", "entry-removed"] | None
NO_STORE = {"Cache-Control": "no-store"}


def staff_context(listing: view.StaffList, filters: dict[str, str], drilled: str | None = None,
                  reason: str = "") -> dict[str, object]:
    return {"page": "personnel", "listing": listing, "filters": filters, "drilled": drilled, "drill_reason": reason,
            "levels": ("core", "important", "general"), "fields": EXPERTISE, "pages": -(-listing.total // PAGE)}


@router.get("/personnel", response_class=HTMLResponse, **READ)
def staff_page(request: Request, scoped: Visible,
               enterprise_id: Annotated[str, Query(pattern=r"^([A-Z0-9][A-Z0-9-]{1,63})?$")] = "",
               status: Literal["", "employed", "departed"] = "", secrecy_level: Literal["", "core", "important",
                                                                                       "general"] = "",
               expertise: Annotated[str, Query(max_length=32)] = "",
               page: Annotated[int, Query(ge=1, le=100_000)] = 1) -> HTMLResponse:
    field = expertise if expertise in EXPERTISE else ""
    listing = view.staff_list(scoped, enterprise_id=enterprise_id or None, status=status or None,
                              secrecy_level=secrecy_level or None, expertise=field or None, page=page, limit=PAGE)
    filters = {"enterprise_id": enterprise_id, "status": status, "secrecy_level": secrecy_level, "expertise": field}
    return render(request, "personnel_list.html", staff_context(listing, filters))


@router.get("/personnel/persons/{person_id}", response_class=HTMLResponse, **READ)
def person_page(request: Request, scoped: Visible, person_id: PersonId,
                reason: Annotated[str, Query(max_length=400)] = "") -> HTMLResponse:
    try:
        detail = view.person_detail(request, scoped, person_id, reason=reason or None)
    except view.ReasonRequired:
        asked: dict[str, object] = {"page": "personnel", "person_id": person_id, "given": reason}
        return render(request, "personnel_reason.html", asked, status_code=403)
    context: dict[str, object] = {"page": "personnel", "detail": detail, "revealed": None, "reason": reason}
    return render(request, "personnel_person.html", context)


@router.post("/personnel/persons/{person_id}/reveal", response_class=HTMLResponse, **require("personal:data:read"))
def reveal_page(request: Request, scoped: Visible, person_id: PersonId,
                reason: Annotated[str, Form(max_length=400)] = "") -> HTMLResponse:
    """The person's page again, with their personal fields shown (after the audit event)."""
    revealed = view.reveal_person(request, scoped, person_id, reason or None)
    detail = view.person_detail(request, scoped, person_id, reason=reason or None, audited=True)
    context = {"page": "personnel", "detail": detail, "revealed": revealed.fields, "reason": reason}
    return render(request, "personnel_person.html", context, headers=NO_STORE)


@router.get("/personnel/import", response_class=HTMLResponse, **require("personnel:person:write"))
def import_form(request: Request, scoped: Visible) -> HTMLResponse:
    return render(request, "personnel_import.html", {"page": "personnel", "report": None, "error": None})


@router.post("/personnel/import", response_class=HTMLResponse, **require("personnel:person:write"))
def import_upload(request: Request, scoped: Visible, file: Annotated[UploadFile, File()]) -> HTMLResponse:
    """Store every row or none; a refused file is shown with a table of its problems (row and column)."""
    try:
        report = view.import_file(request, scoped, file.file.read(view.MAX_UPLOAD + 1), file.filename or "")
    except Error as exc:
        if exc.http_status not in (400, 413):
            raise
        context = {"page": "personnel", "report": None, "error": exc}
        return render(request, "personnel_import.html", context, status_code=exc.http_status)
    return render(request, "personnel_import.html", {"page": "personnel", "report": report, "error": None})


@router.get("/personnel/national", response_class=HTMLResponse, **require("personnel:registry:aggregate"))
def national_page(request: Request, scoped: Visible) -> HTMLResponse:
    return render(request, "personnel_national.html", {"page": "national", "aggregate": view.national(scoped)})


@router.post("/personnel/national/drill-down", response_class=HTMLResponse,
             **require("personnel:registry:aggregate"))
def drill_down(request: Request, scoped: Visible,
               enterprise_id: Annotated[str, Form(pattern=view.ENTERPRISE_ID)],
               reason: Annotated[str, Form(max_length=500)] = "",
               page: Annotated[int, Form(ge=1, le=100_000)] = 1) -> HTMLResponse:
    """One enterprise's staff list, for a stated reason that is recorded in the audit trail first."""
    if not scoped.principal.can(view.PERSON_READ):
        raise Forbidden(view.PERSON_READ)
    listing = view.drill_down(request, scoped, enterprise_id, reason, page)
    context = staff_context(listing, {"enterprise_id": enterprise_id, "status": "", "secrecy_level": "",
                                      "expertise": ""}, drilled=enterprise_id, reason=reason)
    return render(request, "personnel_list.html", context, headers=NO_STORE)


# --- the watch list ------------------------------------------------------------------------------------------


def done(notice: str) -> RedirectResponse:
    return RedirectResponse(f"/personnel/watchlist?notice={notice}", status_code=303)


@router.get("/personnel/watchlist", response_class=HTMLResponse, **WATCH_READ)
def watchlist_page(request: Request, scoped: Visible, notice: Notice = None,
                   include_removed: bool = False) -> HTMLResponse:
    listing = watch.watch_list(scoped, include_removed)
    context = {"page": "watchlist", "entries": listing.entries, "notice": notice, "include_removed": include_removed}
    return render(request, "personnel_watchlist.html", context)


@router.post("/personnel/watchlist/persons", **WATCH_MANAGE)
def watch_person(request: Request, scoped: Visible,
                 person_id: Annotated[str, Form(pattern=view.PERSON_ID_PATTERN, max_length=64)],
                 reason: Annotated[str, Form(min_length=1, max_length=1000)]) -> Response:
    watch.add_person(request, scoped, watch.WatchPersonInput(person_id=person_id, reason=reason))
    return done("person-watched")


@router.post("/personnel/watchlist/posts", **WATCH_MANAGE)
def watch_post(request: Request, scoped: Visible,
               enterprise_id: Annotated[str, Form(pattern=view.ENTERPRISE_ID)],
               post: Annotated[str, Form(min_length=1, max_length=200)],
               reason: Annotated[str, Form(min_length=1, max_length=1000)]) -> Response:
    watch.add_post(request, scoped, watch.WatchPostInput(enterprise_id=enterprise_id, post=post, reason=reason))
    return done("post-watched")


@router.post("/personnel/watchlist/{entry_id}/remove", **WATCH_MANAGE)
def unwatch(request: Request, scoped: Visible, entry_id: Annotated[str, Path(pattern=watch.ENTRY_ID_PATTERN)],
            reason: Annotated[str, Form(min_length=1, max_length=1000)]) -> Response:
    watch.remove(request, scoped, entry_id, watch.RemoveInput(reason=reason))
    return done("entry-removed")


def check_context(**values: object) -> dict[str, object]:
    return {"page": "watchlist", "staff": None, "names": None, "query": "", "organisation": "", "country": "",
            **values}


@router.get("/personnel/watchlist/check", response_class=HTMLResponse, **WATCH_CHECK)
def check_page(request: Request, scoped: Visible) -> HTMLResponse:
    return render(request, "personnel_check.html", check_context())


@router.post("/personnel/watchlist/check/staff", response_class=HTMLResponse, **WATCH_CHECK)
def check_staff(request: Request, scoped: Visible, file: Annotated[UploadFile, File()],
                organisation: Annotated[str, Form(min_length=1, max_length=300)],
                country: Annotated[str, Form(min_length=2, max_length=2)]) -> HTMLResponse:
    result = watch.check_staff(request, scoped, file.file.read(watch.MAX_STAFF_FILE + 1), file.filename or "",
                               organisation, country)
    context = check_context(staff=result, organisation=organisation, country=country)
    return render(request, "personnel_check.html", context, headers=NO_STORE)


@router.post("/personnel/watchlist/check/name", response_class=HTMLResponse, **WATCH_CHECK)
def check_name(request: Request, scoped: Visible, query: Annotated[str, Form(min_length=1, max_length=200)],
               everyone: Annotated[bool, Form()] = False) -> HTMLResponse:
    result = watch.check_name(request, scoped, watch.NameCheckInput(query=query, watch_listed_only=not everyone))
    context = check_context(names=result, query=query)
    return render(request, "personnel_check.html", context, headers=NO_STORE)
