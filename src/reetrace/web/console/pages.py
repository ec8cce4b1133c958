"""Console pages of the log: the home dashboard, an entry with its verified inclusion proof, lookup, checkpoints.

Pages are thin: they gather values through :mod:`reetrace.web.logview` in one read transaction, within the
principal's tenants, and render a template. Every page requires ``log:entry:read``.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from reetrace.events import event_from_entry
from reetrace.storage.logread import LogReader
from reetrace.web.access import require
from reetrace.web.console.render import render
from reetrace.web.deps import AppContainer, Visible
from reetrace.web.logview import (
    MAX_INDEX,
    CheckpointView,
    checkpoint_view,
    decoded_event,
    inclusion_view,
    lookup_entry,
    pretty_json,
    witness_policy,
)
from reetrace.web.watchview import dashboard_alerts

router = APIRouter(include_in_schema=False)

RECENT_ENTRIES = 20
RECENT_CHECKPOINTS = 50
READ = require("log:entry:read")


@router.get("/", response_class=HTMLResponse, **READ)
def overview(request: Request, scoped: Visible, container: AppContainer) -> HTMLResponse:
    """The home dashboard: the log, its latest checkpoint, recent events one may see, alerts."""
    reader = scoped.log
    size = reader.size()
    latest = reader.latest_checkpoint()
    checkpoint = None if latest is None else checkpoint_view(latest, container, witness_policy(container))
    context = {
        "page": "overview",
        "origin": container.settings.origin,
        "size": size,
        "root": reader.root(size),
        "checkpoint": checkpoint,
        "kind_counts": sorted(reader.kind_counts().items(), key=lambda kv: (-kv[1], kv[0])),
        "recent": recent_rows(reader, RECENT_ENTRIES),
        "tenants": sorted(scoped.principal.scope.tenants),
        "alerts": dashboard_alerts(scoped),  # open alerts, newest first (none without alerts:alert:read)
    }
    return render(request, "overview.html", context)


@router.get("/log/entries/{index}", response_class=HTMLResponse, **READ)
def entry_page(request: Request, index: Annotated[int, Path(ge=0, le=MAX_INDEX)], scoped: Visible) -> HTMLResponse:
    reader = scoped.log
    stored = scoped.entry(index)
    event = decoded_event(stored)
    occurred_at = event_from_entry(stored.entry).occurred_at
    latest = reader.latest_checkpoint()
    proof = inclusion_view(reader, stored)
    context = {
        "page": "entry",
        "entry": stored,
        "event": event,
        "event_json": pretty_json(event),
        "occurred_at": occurred_at,
        "proof": proof,
        "checkpoint_size": None if latest is None else latest.size,
        "checkpoint_matches": latest is not None and latest.size == proof.size and latest.root == proof.root,
    }
    return render(request, "entry.html", context)


@router.get("/log/lookup", response_class=HTMLResponse, **READ)
def lookup(scoped: Visible, q: Annotated[str, Query(max_length=100)] = "") -> RedirectResponse:
    stored = lookup_entry(scoped, q)
    return RedirectResponse(f"/log/entries/{stored.index}", status_code=303)


@router.get("/log/checkpoints", response_class=HTMLResponse, **READ)
def checkpoints_page(request: Request, scoped: Visible, container: AppContainer) -> HTMLResponse:
    reader = scoped.log
    policy = witness_policy(container)
    views: list[CheckpointView] = [checkpoint_view(c, container, policy)
                                   for c in reader.recent_checkpoints(RECENT_CHECKPOINTS)]
    context = {"page": "checkpoints", "checkpoints": views, "size": reader.size(), "limit": RECENT_CHECKPOINTS}
    return render(request, "checkpoints.html", context)


def recent_rows(reader: LogReader, limit: int) -> list[dict[str, Any]]:
    """Index, kind, tenant and time of the newest entries (the time comes from the decoded event)."""
    rows = []
    for stored in reader.recent(limit):
        event = event_from_entry(stored.entry)
        rows.append({"index": stored.index, "kind": stored.kind, "tenant": stored.tenant,
                     "occurred_at": event.occurred_at, "actor": event.actor})
    return rows
