"""Lots: identifiers, quantities in kg, and the master data a lot carries once it is created.

A lot is an EPC class URI (``urn:epc:class:lgtin:...``, a GS1 Digital Link, or ``urn:reetrace:lot:<id>`` for
enterprises without GS1 numbers: a bare id is read as that). Quantities convert to kilograms from the UN/ECE
Recommendation 20 mass units; any other unit is refused (material is balanced by mass).
"""

from __future__ import annotations

import json
import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, select

from reetrace.errors import Detail, invalid

from .epcis import LotMasterData, QuantityElement
from .massbalance import LotContent
from .tables import lots

KG_PER_UNIT = {"KGM": 1.0, "TNE": 1000.0, "GRM": 0.001, "MGM": 1e-6, "LBR": 0.45359237, "DTN": 100.0}
LOT_URN = "urn:reetrace:lot:"
BARE_LOT = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._/-]{0,199}$")


def lot_uri(text: str) -> str:
    """A lot id as its URI: a bare id (``L-2026-001``) becomes ``urn:reetrace:lot:L-2026-001``."""
    text = text.strip()
    return LOT_URN + text if BARE_LOT.match(text) else text


def short_lot(uri: str) -> str:
    return uri[len(LOT_URN):] if uri.startswith(LOT_URN) else uri


def kilograms(element: QuantityElement, where: str) -> float:
    """The quantity in kg; a missing quantity or a unit that is not a mass is refused, naming the field."""
    if element.quantity is None:
        raise invalid(f"{where}: no quantity for lot {short_lot(element.epc_class)}",
                      Detail("give quantity and uom (e.g. 1250 KGM)", f"{where}.quantity"), code="no_quantity")
    unit = element.uom or "KGM"
    factor = KG_PER_UNIT.get(unit)
    if factor is None:
        raise invalid(f"{where}: the unit {unit!r} of lot {short_lot(element.epc_class)} does not convert to kg",
                      Detail(f"use a mass unit: {', '.join(KG_PER_UNIT)}", f"{where}.uom"), code="unit_not_mass")
    return element.quantity * factor


@dataclass(frozen=True)
class Lot:
    lot_id: str
    enterprise_id: str
    product_class: str
    element: str | None
    reo_content: float
    shares: Mapping[str, float]

    def content(self, quantity_kg: float) -> LotContent:
        return LotContent(self.lot_id, quantity_kg, self.reo_content, self.shares)

    @classmethod
    def of(cls, data: LotMasterData, enterprise_id: str) -> Lot:
        return cls(data.lot, enterprise_id, data.product_class, data.element, data.reo_content, data.shares())


def known_lots(conn: Connection, lot_ids: Collection[str]) -> dict[str, Lot]:
    ids = sorted(set(lot_ids))
    out: dict[str, Lot] = {}
    if conn.dialect.name == "sqlite":  # one query, the ids as one JSON parameter (no per-value binding)
        columns = ", ".join(c.name for c in lots.c)
        for row in conn.exec_driver_sql(f"SELECT {columns} FROM {lots.name} WHERE lot_id IN "
                                        "(SELECT value FROM json_each(?))", (json.dumps(ids),)):
            out[row.lot_id] = lot_of_row(row)
        return out
    for start in range(0, len(ids), 500):
        for row in conn.execute(select(lots).where(lots.c.lot_id.in_(ids[start:start + 500]))):
            out[row.lot_id] = lot_of_row(row)
    return out


def lot_of_row(row: Any) -> Lot:
    return Lot(row.lot_id, row.enterprise_id, row.product_class, row.element, row.reo_content,
               json.loads(row.distribution))
