"""Console pages of product flow: a lot's trace as an inline SVG graph (layered left to right by step) and as a
table, the monthly mass balances (rows outside the tolerance highlighted) and the quotas with a usage bar each."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import HTMLResponse

from reetrace.web import flowview as view
from reetrace.web.access import require
from reetrace.web.console.render import render
from reetrace.web.deps import Visible

router = APIRouter(include_in_schema=False)
READ = require("flow:lot:read")
COLUMN, ROW, NODE_W, NODE_H = 230, 78, 190, 62


@router.get("/flow/lots/{lot}", response_class=HTMLResponse, **READ)
def lot_page(request: Request, scoped: Visible, lot: Annotated[str, Path(pattern=view.LOT_PATH)],
             direction: view.Direction = "back") -> HTMLResponse:
    found = view.trace(scoped, lot, direction)
    return render(request, "flow_lot.html", {"page": "flow", "trace": found, "graph": layout(found)})


def layout(found: view.Trace) -> dict[str, object]:
    """Where each node goes: one column per step, nodes stacked in each; edges as lines between node sides."""
    where: dict[str, tuple[int, int]] = {}
    rows: dict[int, int] = {}
    for node in found.nodes:
        row = rows.get(node.step, 0)
        rows[node.step] = row + 1
        where[node.lot_id] = (10 + node.step * COLUMN, 10 + row * ROW)
    lines = [(where[e.parent][0] + NODE_W, where[e.parent][1] + NODE_H // 2, where[e.child][0],
              where[e.child][1] + NODE_H // 2, e) for e in found.edges if e.parent in where and e.child in where]
    width = 20 + (max(rows) + 1) * COLUMN if rows else 20
    height = 20 + max(rows.values(), default=1) * ROW
    return {"where": where, "lines": lines, "width": width, "height": height, "node_w": NODE_W, "node_h": NODE_H}


@router.get("/flow/balance", response_class=HTMLResponse, **READ)
def balance_page(request: Request, scoped: Visible,
                 enterprise: Annotated[str | None, Query(max_length=64)] = None,
                 month: Annotated[str | None, Query(max_length=16)] = None) -> HTMLResponse:
    found = view.monthly(scoped, enterprise or None, month or None)
    return render(request, "flow_balance.html", {"page": "flow", "balances": found})


@router.get("/flow/quotas", response_class=HTMLResponse, **READ)
def quotas_page(request: Request, scoped: Visible,
                year: Annotated[int | None, Query(ge=2000, le=2100)] = None) -> HTMLResponse:
    found = view.year_quotas(scoped, year or date.today().year)
    return render(request, "flow_quotas.html", {"page": "flow", "quotas": found})
