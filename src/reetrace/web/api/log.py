"""The log's JSON API (``/api/v1/log``) and ``/health``.

Every route but ``/health`` requires ``log:entry:read`` and sees only the entries of the principal's tenants:
another tenant's entry is "not found" (and the attempt audited). Sizes, roots, proofs between tree sizes and
checkpoints hold no tenant data. ``POST /api/v1/log/notes`` appends an operator note (``log:entry:append``).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Path, Query, Request
from fastapi.responses import JSONResponse, PlainTextResponse
from pydantic import BaseModel

from reetrace.errors import Detail, invalid, not_found
from reetrace.events import KIND_PATTERN, Event, canonical_json
from reetrace.web.access import public, require
from reetrace.web.api.common import ERROR_RESPONSES, PUBLIC_ERROR_RESPONSES
from reetrace.web.deps import AppContainer, TreeReader, Visible, unit_of_work
from reetrace.web.logview import (
    MAX_INDEX,
    checkpoint_view,
    entry_json,
    inclusion_view,
    witness_policy,
)

router = APIRouter(tags=["log"], responses=ERROR_RESPONSES)
health_router = APIRouter(tags=["health"], responses=PUBLIC_ERROR_RESPONSES)
READ = require("log:entry:read")
MAX_NOTE_BYTES = 64 * 1024

Index = Annotated[int, Path(ge=0, le=MAX_INDEX, description="Entry index, from 0.")]
TreeSize = Annotated[int | None, Query(ge=0, le=MAX_INDEX, description="Tree size; default the current size.")]
OldSize = Annotated[int, Query(ge=0, le=MAX_INDEX, description="The older tree size.")]
Limit = Annotated[int, Query(ge=1, le=200, description="How many entries, newest first.")]
Kind = Annotated[str | None, Query(max_length=100, description="Only entries of this event kind.")]


class NoteRecorded(BaseModel):
    index: int
    event_id: str
    tenant: str


@health_router.get("/health", **public())
def health(reader: TreeReader) -> dict[str, Any]:
    """Liveness and database reachability."""
    return {"ok": True, "status": "ok", "log_size": reader.size()}


@router.get("/api/v1/log", **READ)
def log_state(scoped: Visible, container: AppContainer) -> dict[str, Any]:
    """The log's size, root and latest signed checkpoint with its cosignatures."""
    reader = scoped.log
    size = reader.size()
    latest = reader.latest_checkpoint()
    view = None if latest is None else checkpoint_view(latest, container, witness_policy(container))
    return {
        "origin": container.settings.origin,
        "size": size,
        "root": reader.root(size).hex(),
        "checkpoint": None if view is None else view.as_json(),
        "cosigned_by": [] if view is None else view.cosigned_by,
    }


@router.get("/api/v1/log/checkpoint", response_class=PlainTextResponse, **READ)
def latest_checkpoint(scoped: Visible) -> PlainTextResponse:
    """The latest checkpoint as a C2SP signed note (text/plain), with any witness cosignatures."""
    latest = scoped.log.latest_checkpoint()
    if latest is None:
        raise not_found("the log is empty: no checkpoint has been signed yet", code="empty_log")
    return PlainTextResponse(latest.note)


@router.get("/api/v1/log/entries", **READ)
def recent_entries(scoped: Visible, container: AppContainer, limit: Limit = 20, kind: Kind = None) -> dict[str, Any]:
    """The most recent entries of the tenants one may see, newest first, optionally of one kind."""
    reader = scoped.log
    if kind is not None:
        if not KIND_PATTERN.match(kind):
            raise invalid(f"{kind!r} is not an event kind (dotted lower-case words)", code="invalid_kind")
        container.kinds.get(kind)
    entries = reader.recent(limit, kind)
    return {"size": reader.size(), "entries": [entry_json(e) for e in entries]}


@router.get("/api/v1/log/entries/{index}", response_model=dict[str, Any], **READ)
async def entry(index: Index, scoped: Visible) -> JSONResponse:
    """One entry: its canonical bytes (base64), leaf hash (hex) and the decoded event."""
    # The API's hottest read: one point lookup, answered from the event loop (see Scoped.entry_now).
    return JSONResponse(entry_json(await scoped.entry_now(index)))


@router.get("/api/v1/log/events/{event_id}", **READ)
def entry_by_event(event_id: Annotated[str, Path(min_length=1, max_length=64)], scoped: Visible) -> dict[str, Any]:
    """The entry that recorded the event with this id."""
    return entry_json(scoped.entry_by_event_id(event_id))


@router.get("/api/v1/log/proof/{index}", **READ)
def inclusion_proof(index: Index, scoped: Visible, size: TreeSize = None) -> dict[str, Any]:
    """RFC 9162 inclusion proof of entry ``index`` in the tree of ``size`` entries."""
    stored = scoped.entry(index)
    return inclusion_view(scoped.log, stored, size).as_json()


@router.get("/api/v1/log/consistency", **READ)
def consistency_proof(scoped: Visible, old: OldSize, new: TreeSize = None) -> dict[str, Any]:
    """RFC 9162 consistency proof between the trees of ``old`` and ``new`` entries."""
    reader = scoped.log
    new_size = reader.size() if new is None else new
    hashes = reader.consistency_proof(old, new_size)
    return {"old": old, "new": new_size, "hashes": [h.hex() for h in hashes],
            "old_root": reader.root(old).hex(), "new_root": reader.root(new_size).hex()}


@router.post("/api/v1/log/notes", status_code=201, **require("log:entry:append"))
def append_note(request: Request, scoped: Visible,
                body: Annotated[dict[str, Any], Body(description="Any JSON object, at most 64 KiB")]) -> NoteRecorded:
    """Append an operator's note (a ``note`` event of one's own tenant) and return its index."""
    if len(canonical_json(body, "body")) > MAX_NOTE_BYTES:
        raise invalid(f"a note is at most {MAX_NOTE_BYTES} bytes of canonical JSON", Detail("too large", "body"),
                      code="note_too_large")
    principal = scoped.principal
    event = Event(kind="note", tenant=principal.tenant, actor=principal.username, body=body)
    with unit_of_work(request) as (uow, _):
        index = uow.record(event)
    return NoteRecorded(index=index, event_id=event.id, tenant=principal.tenant)
