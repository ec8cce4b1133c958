"""The log's JSON API (``/api/v1/log``) and ``/health``. Every route is public for now (see web.access)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query
from fastapi.responses import PlainTextResponse

from reetrace.errors import invalid, not_found
from reetrace.events import KIND_PATTERN
from reetrace.web.access import public
from reetrace.web.deps import AppContainer, Reader
from reetrace.web.logview import (
    MAX_INDEX,
    checkpoint_view,
    entry_json,
    inclusion_view,
    witness_policy,
)

router = APIRouter(tags=["log"])

Index = Annotated[int, Path(ge=0, le=MAX_INDEX, description="Entry index, from 0.")]
TreeSize = Annotated[int | None, Query(ge=0, le=MAX_INDEX, description="Tree size; default the current size.")]
OldSize = Annotated[int, Query(ge=0, le=MAX_INDEX, description="The older tree size.")]
Limit = Annotated[int, Query(ge=1, le=200, description="How many entries, newest first.")]
Kind = Annotated[str | None, Query(max_length=100, description="Only entries of this event kind.")]


@router.get("/health", **public())
def health(reader: Reader) -> dict[str, Any]:
    """Liveness and database reachability."""
    return {"ok": True, "status": "ok", "log_size": reader.size()}


@router.get("/api/v1/log", **public())
def log_state(reader: Reader, container: AppContainer) -> dict[str, Any]:
    """The log's size, root and latest signed checkpoint with its cosignatures."""
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


@router.get("/api/v1/log/checkpoint", response_class=PlainTextResponse, **public())
def latest_checkpoint(reader: Reader) -> PlainTextResponse:
    """The latest checkpoint as a C2SP signed note (text/plain), with any witness cosignatures."""
    latest = reader.latest_checkpoint()
    if latest is None:
        raise not_found("the log is empty: no checkpoint has been signed yet", code="empty_log")
    return PlainTextResponse(latest.note)


@router.get("/api/v1/log/entries", **public())
def recent_entries(reader: Reader, container: AppContainer, limit: Limit = 20, kind: Kind = None) -> dict[str, Any]:
    """The most recent entries, newest first, optionally of one kind."""
    if kind is not None:
        if not KIND_PATTERN.match(kind):
            raise invalid(f"{kind!r} is not an event kind (dotted lower-case words)", code="invalid_kind")
        container.kinds.get(kind)
    entries = reader.recent(limit, kind)
    return {"size": reader.size(), "entries": [entry_json(e) for e in entries]}


@router.get("/api/v1/log/entries/{index}", **public())
def entry(index: Index, reader: Reader) -> dict[str, Any]:
    """One entry: its canonical bytes (base64), leaf hash (hex) and the decoded event."""
    return entry_json(reader.entry(index))


@router.get("/api/v1/log/events/{event_id}", **public())
def entry_by_event(event_id: Annotated[str, Path(min_length=1, max_length=64)], reader: Reader) -> dict[str, Any]:
    """The entry that recorded the event with this id."""
    return entry_json(reader.entry_by_event_id(event_id))


@router.get("/api/v1/log/proof/{index}", **public())
def inclusion_proof(index: Index, reader: Reader, size: TreeSize = None) -> dict[str, Any]:
    """RFC 9162 inclusion proof of entry ``index`` in the tree of ``size`` entries."""
    stored = reader.entry(index)
    return inclusion_view(reader, stored, size).as_json()


@router.get("/api/v1/log/consistency", **public())
def consistency_proof(reader: Reader, old: OldSize, new: TreeSize = None) -> dict[str, Any]:
    """RFC 9162 consistency proof between the trees of ``old`` and ``new`` entries."""
    new_size = reader.size() if new is None else new
    hashes = reader.consistency_proof(old, new_size)
    return {"old": old, "new": new_size, "hashes": [h.hex() for h in hashes],
            "old_root": reader.root(old).hex(), "new_root": reader.root(new_size).hex()}
