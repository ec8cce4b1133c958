"""Hand-built flow events: EPCIS event dicts for lots created, transformed and shipped, with known answers."""

from __future__ import annotations

from typing import Any

from reetrace.container import Container
from reetrace.domains.flow.service import CaptureReport, EventInput, capture
from reetrace.domains.personnel.models import Caller

NORTH = Caller.of("officer-north", "group-north")
SOUTH = Caller.of("officer-south", "group-south")


def lot(name: str) -> str:
    return "urn:reetrace:lot:" + name


def q(name: str, kg: float, uom: str = "KGM") -> dict[str, Any]:
    return {"epcClass": lot(name), "quantity": kg, "uom": uom}


def master(name: str, product: str, reo: float, element: str | None = None, **shares: float) -> dict[str, Any]:
    out: dict[str, Any] = {"lot": lot(name), "productClass": product, "reoContent": reo,
                           "elementDistribution": shares}
    if element:
        out["element"] = element
    return out


def create(name: str, kg: float, product: str, reo: float, *, time: str = "2026-03-01T08:00:00+08:00",
           element: str | None = None, **shares: float) -> dict[str, Any]:
    return {"type": "ObjectEvent", "action": "ADD", "eventTime": time, "eventTimeZoneOffset": "+08:00",
            "bizStep": "commissioning", "quantityList": [q(name, kg)], "reetrace:processStep": "mining",
            "ilmd": {"reetrace:lotMasterData": [master(name, product, reo, element, **shares)]}}


def transform(inputs: list[tuple[str, float]], outputs: list[tuple[str, float, dict[str, Any]]], step: str, *,
              time: str = "2026-03-05T08:00:00+08:00") -> dict[str, Any]:
    return {"type": "TransformationEvent", "eventTime": time, "eventTimeZoneOffset": "+08:00",
            "bizStep": "commissioning", "reetrace:processStep": step,
            "inputQuantityList": [q(n, kg) for n, kg in inputs],
            "outputQuantityList": [q(n, kg) for n, kg, _ in outputs],
            "ilmd": {"reetrace:lotMasterData": [m for _, _, m in outputs]}}


def ship(name: str, kg: float, customer: str, *, end_user: str | None = None,
         time: str = "2026-03-20T08:00:00+08:00") -> dict[str, Any]:
    event: dict[str, Any] = {"type": "ObjectEvent", "action": "OBSERVE", "eventTime": time,
                             "eventTimeZoneOffset": "+08:00", "bizStep": "shipping", "disposition": "in_transit",
                             "quantityList": [q(name, kg)],
                             "destinationList": [{"type": "owning_party",
                                                  "destination": "urn:reetrace:party:" + customer}]}
    if end_user:
        event["reetrace:endUser"] = end_user
    return event


def record(container: Container, *events: dict[str, Any], enterprise: str = "ENT-N1",
           caller: Caller = NORTH) -> CaptureReport:
    with container.unit_of_work() as (uow, _):
        return capture(uow, caller, enterprise, [EventInput(f"event[{n}]", e) for n, e in enumerate(events)])


def chain() -> list[dict[str, Any]]:
    """Two mines' concentrates (600 kg and 400 kg, 50 % REO) into a mixed carbonate, separated into Dy and Nd oxides,
    the Nd oxide made into a magnet batch shipped to two customers.

    Mine A's concentrate: Nd 0.8, Dy 0.2 of REO; mine B's: Nd 0.9, Dy 0.1. REO in: A 300 kg, B 200 kg.
    """
    return [
        create("CONC-A", 600, "concentrate", 0.5, Nd=0.8, Dy=0.2),
        create("CONC-B", 400, "concentrate", 0.5, Nd=0.9, Dy=0.1),
        transform([("CONC-A", 600), ("CONC-B", 400)],
                  [("MIX-1", 500, master("MIX-1", "mixed_carbonate", 0.98, Nd=0.84, Dy=0.16))], "cracking"),
        transform([("MIX-1", 500)], [("DY-1", 78, master("DY-1", "separated_oxide", 0.995, element="Dy")),
                                     ("ND-1", 410, master("ND-1", "separated_oxide", 0.995, element="Nd"))],
                  "solvent_extraction"),
        transform([("ND-1", 410)], [("MAG-1", 1300, master("MAG-1", "magnet", 0.31, Nd=1.0))], "magnet_sintering"),
        ship("MAG-1", 800, "BUYER-X", end_user="Wind turbine maker Y"),
        ship("MAG-1", 500, "BUYER-Z"),
    ]
