"""Projections of the ``licensing.*`` events onto the read tables, and the event kinds (registered in
``domains/catalog.py``). Everything the tables hold comes from the event bodies, so ``log replay`` rebuilds them."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, insert, update

from reetrace.events import Event, EventKind, canonical_json

from .application_models import (
    ApplicationAnswered,
    ApplicationReviewed,
    ApplicationSubmitted,
    LicenceIssued,
    ShipmentRecorded,
)
from .application_tables import applications, licences, review_steps, shipments

Items = Sequence[tuple[Event, int]]


def _json(value: Any) -> str:
    """RFC 8785 text, as on the log (a float 87.0 and the 87 read back from the log give the same text)."""
    return canonical_json(value, "body").decode("utf-8")


def _submitted(conn: Connection, items: Items) -> None:
    rows = []
    for event, index in items:
        b = ApplicationSubmitted.model_validate(event.body)
        data = b.model_dump(mode="json")
        rows.append({
            "application_id": b.application_id, "tenant": event.tenant, "exporter_id": b.exporter_id,
            "contract_id": b.contract_id, "item": _json(data["item"]), "classification": _json(data["classification"]),
            "verdict": str(b.classification.get("verdict", "")), "rule_ids": " ".join(b.rule_ids),
            "quantity_kg": str(b.quantity_kg), "unit": b.unit, "value": str(b.value), "currency": b.currency,
            "consignee": _json(data["consignee"]), "end_user": _json(data["end_user"]),
            "intermediaries": _json(data["intermediaries"]), "end_use": b.end_use,
            "military_end_use": b.military_end_use, "final_destination": b.final_destination, "product": b.product,
            "certificates": _json(data["certificates"]), "screening": _json(data["screening"]),
            "flagged": any(f.code in ("listed_party", "military_end_use") for f in b.screening.flags),
            "submitted_on": b.submitted_on, "due_on": b.due_on, "due_provisional": b.due_provisional,
            "paused_workdays": 0, "paused_since": None, "status": "submitted", "decided_on": None,
            "licence_id": None, "entry_idx": index, "updated_idx": index})
    conn.execute(insert(applications), rows)


def _reviewed(conn: Connection, items: Items) -> None:
    for event, index in items:
        b = ApplicationReviewed.model_validate(event.body)
        conn.execute(insert(review_steps).values(
            entry_idx=index, application_id=b.application_id, tenant=event.tenant, action=b.action, text=b.reason,
            username=b.username, user_tenant=b.user_tenant, on_date=b.on))
        values: dict[str, Any] = {"status": b.status, "updated_idx": index}
        if b.action == "rfi":
            values["paused_since"] = b.on
        if b.action in ("approve", "deny"):
            values.update(decided_on=b.on, licence_id=b.licence_id)
        conn.execute(update(applications).where(applications.c.application_id == b.application_id).values(**values))


def _answered(conn: Connection, items: Items) -> None:
    for event, index in items:
        b = ApplicationAnswered.model_validate(event.body)
        conn.execute(insert(review_steps).values(
            entry_idx=index, application_id=b.application_id, tenant=event.tenant, action="answer", text=b.answer,
            username=event.actor, user_tenant=event.tenant, on_date=b.on))
        conn.execute(update(applications).where(applications.c.application_id == b.application_id).values(
            status="under_review", paused_since=None, paused_workdays=applications.c.paused_workdays
            + b.paused_workdays, due_on=b.due_on, due_provisional=b.due_provisional, updated_idx=index))
        if b.certificates:
            _add_certificates(conn, b)


def _add_certificates(conn: Connection, b: ApplicationAnswered) -> None:
    from sqlalchemy import select

    current = conn.execute(select(applications.c.certificates).where(
        applications.c.application_id == b.application_id)).scalar_one()
    merged = json.loads(current) + [c.model_dump(mode="json") for c in b.certificates]
    conn.execute(update(applications).where(applications.c.application_id == b.application_id).values(
        certificates=_json(merged)))


def _licence(conn: Connection, items: Items) -> None:
    conn.execute(insert(licences), [
        {**(b := LicenceIssued.model_validate(e.body)).model_dump(), "tenant": e.tenant,
         "quantity_kg": str(b.quantity_kg), "value": str(b.value), "remaining_kg": str(b.quantity_kg),
         "remaining_value": str(b.value), "entry_idx": i, "updated_idx": i} for e, i in items])


def _shipment(conn: Connection, items: Items) -> None:
    for event, index in items:
        b = ShipmentRecorded.model_validate(event.body)
        conn.execute(insert(shipments).values(
            shipment_id=b.shipment_id, licence_id=b.licence_id, tenant=event.tenant, shipped_on=b.shipped_on,
            quantity_kg=str(b.quantity_kg), value=str(b.value), accepted=b.accepted, refusal=b.refusal,
            alert_id=b.alert_id, entry_idx=index))
        if b.accepted:
            conn.execute(update(licences).where(licences.c.licence_id == b.licence_id).values(
                remaining_kg=str(b.remaining_kg), remaining_value=str(b.remaining_value), updated_idx=index))


KINDS = [
    EventKind("licensing.application.submitted", ApplicationSubmitted, _submitted,
              "a licence application: item and its classification, parties, end use, certificates (digests), "
              "screening hits and flags, SLA due date"),
    EventKind("licensing.application.reviewed", ApplicationReviewed, _reviewed,
              "a reviewer's note, request for information, approval or denial, with the reason"),
    EventKind("licensing.application.answered", ApplicationAnswered, _answered,
              "the exporter's answer to a request for information; the SLA clock restarts, the due date moves"),
    EventKind("licensing.licence.issued", LicenceIssued, _licence,
              "a single or general licence with its validity and quantity and value limits"),
    EventKind("licensing.shipment.recorded", ShipmentRecorded, _shipment,
              "a shipment drawn down against a licence"),
    EventKind("licensing.shipment.refused", ShipmentRecorded, _shipment,
              "a shipment refused against a licence (beyond the remaining quantity or value, or outside validity)"),
]
