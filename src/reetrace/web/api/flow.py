"""``/api/v1/flow``: a lot's trace back to its sources or forward to its last lots (nodes with enterprise, country,
product class, quantity and share; edges with the input shares), the monthly mass balances and the year's quotas.
A lot of another tenant does not exist (an audited 404)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query

from reetrace.web import flowview as view
from reetrace.web.access import require
from reetrace.web.api.common import ERROR_RESPONSES
from reetrace.web.deps import Visible

router = APIRouter(prefix="/api/v1/flow", tags=["flow"], responses=ERROR_RESPONSES)
READ = require("flow:lot:read")
LotId = Annotated[str, Path(pattern=view.LOT_PATH, description="A lot id (CONC-A) or its URN")]


@router.get("/lots/{lot}/trace", **READ)
def trace(scoped: Visible, lot: LotId, direction: view.Direction = "back") -> view.Trace:
    """The lot's genealogy as a graph: backward, each node's share of the lot's material; forward, the share of
    each later lot's material that comes from this one."""
    return view.trace(scoped, lot, direction)


@router.get("/balance", **READ)
def balance(scoped: Visible, enterprise: Annotated[str | None, Query(min_length=1, max_length=64)] = None,
            month: Annotated[str | None, Query(min_length=1, max_length=16, description="YYYY-MM")] = None,
            ) -> view.Balances:
    """REO in and out per enterprise, month and element, with the transformations outside the yield tolerance."""
    return view.monthly(scoped, enterprise, month)


@router.get("/quotas", **READ)
def quotas(scoped: Visible, year: Annotated[int, Query(ge=2000, le=2100)]) -> view.Quotas:
    """Each enterprise's mining and separation quotas of the year and the REO tonnes counted against them."""
    return view.year_quotas(scoped, year)
