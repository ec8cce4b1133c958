"""Licences and draw-down on every backend: single and general validity limits, shipments drawn down to exactly
zero, refusals (quantity, value, expiry) recorded on the log with an alert, who may ship, bad input."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date
from decimal import Decimal

import pytest
from export_world import TODAY, World, build_world
from sqlalchemy import select

from reetrace.container import Container
from reetrace.domains.alerts import open_alerts
from reetrace.domains.licensing.application_models import LicenceTerms
from reetrace.domains.licensing.application_queries import get_licence
from reetrace.domains.licensing.application_tables import licences
from reetrace.errors import Error
from reetrace.storage.engine import read_transaction
from support.logdb import log_size, snapshot, stored_entries


@pytest.fixture
def world(container: Container) -> Iterator[World]:
    yield build_world(container)


def _kinds(world: World) -> list[str]:
    return [json.loads(e)["kind"] for _, e, _ in stored_entries(world.container.engine)]


def test_draw_down_to_exactly_zero_then_one_kg_more_is_refused_with_an_alert(world: World) -> None:
    licence_id = world.licensed()  # 500 kg, 250,000 USD
    first = world.ship(licence_id, "0.3", "150000", unit="t")
    assert (first.accepted, first.quantity_kg, first.remaining_kg) == (True, Decimal("300.0"), Decimal("200.0"))
    last = world.ship(licence_id, "200", "100000", on=date(2026, 10, 15))
    assert (last.accepted, last.remaining_kg, last.remaining_value) == (True, Decimal(0), Decimal(0))
    size = log_size(world.container.engine)
    extra = world.ship(licence_id, "1", "0", on=date(2026, 10, 16))
    assert not extra.accepted and extra.alert_id is not None
    assert extra.refusal == "1 kg is more than the 0.0 kg remaining on the licence"
    assert log_size(world.container.engine) == size + 2  # the alert and the refused shipment
    assert _kinds(world)[-2:] == ["alert.raised", "licensing.shipment.refused"]
    with read_transaction(world.container.engine) as conn:
        view = get_licence(conn, licence_id)
        [alert] = open_alerts(conn, kind="licensing.shipment.refused")
    assert view is not None and view.remaining_kg == 0
    assert [(s.accepted, s.quantity_kg) for s in view.shipments] == [
        (True, Decimal("300.0")), (True, Decimal(200)), (False, Decimal(1))]
    assert view.shipments[-1].alert_id == alert.alert_id and view.shipments[-1].refusal == extra.refusal
    assert (alert.tenant, alert.subject, alert.severity) == ("group-a", licence_id, "high")
    assert alert.evidence["shipment_id"] == extra.shipment_id and alert.evidence["remaining_kg"] == "0.0"


def test_shipment_after_expiry_or_before_validity_is_refused(world: World) -> None:
    licence_id = world.licensed(terms=LicenceTerms(kind="single", valid_from=date(2026, 9, 10),
                                                   valid_until=date(2026, 12, 31)))
    early = world.ship(licence_id, "10", "1", on=date(2026, 9, 9))
    assert not early.accepted and "valid from 2026-09-10" in early.refusal
    late = world.ship(licence_id, "10", "1", on=date(2027, 1, 1))
    assert not late.accepted and late.refusal == "the licence expired on 2026-12-31; the shipment is dated 2027-01-01"
    assert late.remaining_kg == Decimal(500)
    with read_transaction(world.container.engine) as conn:
        assert len(open_alerts(conn, kind="licensing.shipment.refused")) == 2


def test_shipment_beyond_the_remaining_value_is_refused(world: World) -> None:
    licence_id = world.licensed()
    result = world.ship(licence_id, "10", "250000.01")
    assert not result.accepted and "remaining" in result.refusal and "USD" in result.refusal


@pytest.mark.parametrize(("kind", "until", "ok"), [
    ("single", date(2027, 8, 31), True), ("single", date(2027, 9, 1), False),
    ("general", date(2029, 8, 31), True), ("general", date(2029, 9, 1), False),
])
def test_licence_validity_limits(world: World, kind: str, until: date, ok: bool) -> None:
    application_id = world.submit()
    terms = LicenceTerms.model_validate({"kind": kind, "valid_until": until})
    if ok:
        licence_id = world.review(application_id, "approve", "verified", terms=terms)
        with read_transaction(world.container.engine) as conn:
            row = conn.execute(select(licences).where(licences.c.licence_id == licence_id)).one()
        assert (row.kind, row.valid_from, row.valid_until) == (kind, TODAY, until)
        return
    before = (log_size(world.container.engine), snapshot(world.container.engine))
    with pytest.raises(Error) as bad:
        world.review(application_id, "approve", "verified", terms=terms)
    assert bad.value.code == "bad_terms" and bad.value.details[0].location == "valid_until"
    assert (log_size(world.container.engine), snapshot(world.container.engine)) == before


def test_general_licence_defaults_to_three_years(world: World) -> None:
    licence_id = world.licensed(terms=LicenceTerms(kind="general", quantity_kg=Decimal(100)))
    with read_transaction(world.container.engine) as conn:
        view = get_licence(conn, licence_id)
    assert view is not None and view.valid_until == date(2029, 8, 31) and view.quantity_kg == 100


def test_licence_limits_may_not_exceed_the_application(world: World) -> None:
    application_id = world.submit()
    with pytest.raises(Error) as bad:
        world.review(application_id, "approve", "verified", terms=LicenceTerms(quantity_kg=Decimal(501)))
    assert bad.value.code == "bad_terms" and bad.value.details[0].location == "quantity_kg"
    assert world.view(application_id).status == "submitted"


@pytest.mark.parametrize(("kg", "value", "unit", "where"), [
    ("-5", "1", "kg", "quantity"), ("0", "1", "kg", "quantity"), ("5", "-1", "kg", "value"), ("5", "1", "lb", "unit"),
])
def test_bad_shipment_input_stores_nothing(world: World, kg: str, value: str, unit: str, where: str) -> None:
    licence_id = world.licensed()
    before = (log_size(world.container.engine), snapshot(world.container.engine))
    with pytest.raises(Error) as bad:
        world.ship(licence_id, kg, value, unit=unit)
    assert bad.value.code == "bad_shipment" and bad.value.details[0].location == where
    assert (log_size(world.container.engine), snapshot(world.container.engine)) == before


@pytest.mark.parametrize(("username", "code"), [("viewer.a", "forbidden"), ("exporter.b", "not_found"),
                                                 ("mofcom.rev", "forbidden")])
def test_who_may_record_shipments(world: World, username: str, code: str) -> None:
    licence_id = world.licensed()
    before = log_size(world.container.engine)
    with pytest.raises(Error) as refused:
        world.ship(licence_id, "1", "1", username=username)
    assert refused.value.code == code
    assert log_size(world.container.engine) == before
    with pytest.raises(Error) as unknown:
        world.ship("LIC-0000000000000000", "1", "1")
    assert unknown.value.code == "not_found"
