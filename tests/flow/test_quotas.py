"""Quotas: batches summed into an annual quota, consumption from flows, 90 % / 100 % alerts once, beyond flagged."""

from __future__ import annotations

import json
from typing import Any

import pytest
from flow_chain import NORTH, SOUTH, create, lot, master, record, transform
from personnel_people import state
from pydantic import ValidationError
from sqlalchemy import select

from reetrace.container import Container
from reetrace.domains.alerts.service import resolve_alert
from reetrace.domains.alerts.tables import alerts
from reetrace.domains.flow.quotas import QuotaSet, check_quotas, quota_status, set_quota
from reetrace.errors import Error
from reetrace.storage.engine import read_transaction


def _quota(world: Container, tonnes: float, kind: str = "mining", batch: str = "1", year: int = 2026,
           enterprise: str = "ENT-N1") -> list[str]:
    with world.unit_of_work() as (uow, _):
        _, raised = set_quota(uow, NORTH, QuotaSet(enterprise_id=enterprise, year=year, kind=kind,  # type: ignore[arg-type]
                                                   batch=batch, reo_tonnes=tonnes))
    return raised


def _mine(world: Container, name: str, reo_tonnes: float, time: str = "2026-03-01T08:00:00+08:00") -> None:
    record(world, create(name, reo_tonnes * 10_000, "ore", 0.1, time=time, La=0.5, Ce=0.5))  # 10 % REO


def _check(world: Container, year: int = 2026) -> list[str]:
    with world.unit_of_work() as (uow, _):
        return check_quotas(uow, "ENT-N1", year)


def _alerts(world: Container) -> list[Any]:
    with read_transaction(world.engine) as conn:
        return list(conn.execute(select(alerts).order_by(alerts.c.entry_idx)))


def test_batches_add_up_and_a_batch_set_again_is_revised(world: Container) -> None:
    _quota(world, 60, batch="2026-1")
    _quota(world, 40, batch="2026-2")
    _quota(world, 50, batch="2026-2")
    _mine(world, "ORE-1", 30)
    with read_transaction(world.engine) as conn:
        [status] = quota_status(conn, "ENT-N1", 2026)
    assert (status.kind, status.quota_t, status.batches) == ("mining", 110, (("2026-1", 60), ("2026-2", 50)))
    assert status.used_t == pytest.approx(30) and status.beyond == ()


def test_just_below_90_percent_raises_nothing(world: Container) -> None:
    _quota(world, 100)
    _mine(world, "ORE-1", 89.9)
    assert _check(world) == [] and _alerts(world) == []


def test_exactly_90_percent_alerts_once(world: Container) -> None:
    _quota(world, 100)
    _mine(world, "ORE-1", 90)
    assert len(_check(world)) == 1
    assert _check(world) == []
    [alert] = _alerts(world)
    assert alert.kind == "flow.quota.near" and "90% used: 90.000 t of 100.000 t" in alert.message


def test_exactly_100_percent_alerts_reached_but_nothing_beyond(world: Container) -> None:
    _quota(world, 100)
    _mine(world, "ORE-1", 60)
    _mine(world, "ORE-2", 40)
    _check(world)
    assert [a.kind for a in _alerts(world)] == ["flow.quota.near", "flow.quota.reached"]
    with read_transaction(world.engine) as conn:
        [status] = quota_status(conn, "ENT-N1", 2026)
    assert status.share == pytest.approx(1.0) and status.beyond == () and status.over_t == 0


def test_production_beyond_the_quota_is_flagged_with_its_evidence(world: Container) -> None:
    _quota(world, 100)
    _mine(world, "ORE-1", 95, time="2026-03-01T08:00:00+08:00")
    _mine(world, "ORE-2", 10, time="2026-04-01T08:00:00+08:00")
    _mine(world, "ORE-3", 7, time="2026-05-01T08:00:00+08:00")
    raised = _check(world)
    found = {a.kind: a for a in _alerts(world)}
    assert len(raised) == 4 and set(found) == {"flow.quota.near", "flow.quota.reached", "flow.quota.exceeded"}
    beyond = [a for a in _alerts(world) if a.kind == "flow.quota.exceeded"]
    evidence = [json.loads(a.evidence) for a in beyond]
    assert [(e["lot"], e["beyond_t"], e["used_before_t"]) for e in evidence] == [
        (lot("ORE-2"), 5.0, 95.0), (lot("ORE-3"), 7.0, 105.0)]
    assert all(e["quota_t"] == 100 and e["log_index"] > 0 and e["event_hash"].startswith("ni:///") for e in evidence)
    assert _check(world) == []  # each once


def test_an_alert_is_not_raised_again_after_it_was_resolved(world: Container) -> None:
    _quota(world, 100)
    _mine(world, "ORE-1", 92)
    _check(world)
    [alert] = _alerts(world)
    with world.unit_of_work() as (uow, _):
        resolve_alert(uow, alert.alert_id, "officer", "quota batch 2 requested")
    _mine(world, "ORE-2", 1)
    assert _check(world) == []


def test_lowering_the_quota_raises_the_alerts_at_once(world: Container) -> None:
    _quota(world, 200)
    _mine(world, "ORE-1", 150)
    assert _check(world) == []
    raised = _quota(world, 140)
    assert [a.kind for a in _alerts(world)] == ["flow.quota.near", "flow.quota.reached", "flow.quota.exceeded"]
    assert len(raised) == 3


def test_mining_counts_chain_starts_once_and_separation_counts_oxides(world: Container) -> None:
    _quota(world, 1000, kind="mining")
    _quota(world, 1000, kind="separation")
    record(world, create("ORE-1", 100_000, "ore", 0.1, Nd=0.8, Dy=0.2),  # 10 t REO mined
           transform([("ORE-1", 100_000)], [("CONC-1", 19_000, master("CONC-1", "concentrate", 0.5, Nd=0.8, Dy=0.2))],
                     "beneficiation"),
           transform([("CONC-1", 19_000)], [("ND-1", 7_500, master("ND-1", "separated_oxide", 0.99, element="Nd")),
                                            ("DY-1", 1_900, master("DY-1", "separated_oxide", 0.99, element="Dy"))],
                     "solvent_extraction"))
    with read_transaction(world.engine) as conn:
        by_kind = {s.kind: s for s in quota_status(conn, "ENT-N1", 2026)}
    assert by_kind["mining"].used_t == pytest.approx(10.0)  # the concentrate made from ORE-1 is not mined again
    assert by_kind["separation"].used_t == pytest.approx((7_500 + 1_900) * 0.99 / 1000)
    assert [p.lot_id for p in by_kind["separation"].production] == [lot("DY-1"), lot("ND-1")]


def test_the_year_is_the_utc_year_of_the_event(world: Container) -> None:
    _quota(world, 100, year=2025)
    _quota(world, 100, year=2026)
    _mine(world, "ORE-1", 5, time="2026-01-01T07:00:00+08:00")  # 2025-12-31T23:00Z
    _mine(world, "ORE-2", 7, time="2026-01-01T08:00:00+08:00")  # 2026-01-01T00:00Z
    with read_transaction(world.engine) as conn:
        used = {y: quota_status(conn, "ENT-N1", y)[0].used_t for y in (2025, 2026)}
    assert used == pytest.approx({2025: 5, 2026: 7})


@pytest.mark.parametrize(("field", "value"), [("reo_tonnes", -1.0), ("reo_tonnes", float("nan")), ("kind", "metal"),
                                              ("year", 1999), ("batch", "")])
def test_bad_quota_fields_are_refused_by_name(field: str, value: Any) -> None:
    fields: dict[str, Any] = {"enterprise_id": "ENT-N1", "year": 2026, "kind": "mining", "batch": "1",
                              "reo_tonnes": 10.0}
    with pytest.raises(ValidationError) as err:
        QuotaSet.model_validate({**fields, field: value})
    assert err.value.errors()[0]["loc"] == (field,)


def test_quota_for_an_unknown_or_foreign_enterprise_stores_nothing(world: Container) -> None:
    before = state(world)
    for enterprise, caller in (("ENT-NOPE", NORTH), ("ENT-N1", SOUTH)):
        with pytest.raises(Error) as err, world.unit_of_work() as (uow, _):
            set_quota(uow, caller, QuotaSet(enterprise_id=enterprise, year=2026, kind="mining", batch="1",
                                            reo_tonnes=5))
        assert err.value.http_status == 404 and enterprise in err.value.message
    assert state(world) == before
    with read_transaction(world.engine) as conn, pytest.raises(Error) as err:
        quota_status(conn, "ENT-N1", 2026, tenants=frozenset({"group-south"}))
    assert err.value.http_status == 404
