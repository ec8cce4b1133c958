"""The flow part of the demo on a small world: every planted case (over-quota separator, diverted Dy2O3, a magnet
batch sold on to an undeclared end user, a late report) is found by the domain's checks and nothing else is; the
build is deterministic; a flaw added afterwards is not hidden; bad plans are refused."""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import asdict
from pathlib import Path

import pytest
from sqlalchemy import func, select

from reetrace.authz.passwords import Passwords
from reetrace.container import Container, build_container
from reetrace.demo import flow, world
from reetrace.demo.run import SEED
from reetrace.domains.alerts.tables import alerts
from reetrace.domains.flow.service import EventInput, capture
from reetrace.domains.flow.tables import events, lots, shipments
from reetrace.domains.personnel.models import Caller
from reetrace.settings import Settings
from reetrace.storage.engine import read_transaction
from support.backends import make_settings

SMALL = flow.FlowPlan(mines=2, separators=3, metal_plants=2, magnet_makers=4, exporters=3, months=3)
Built = tuple[Container, flow.FlowPlanted, list[tuple[str, int]]]


def build(settings: Settings, plan: flow.FlowPlan = SMALL) -> Built:
    c = build_container(settings)
    rng = random.Random(SEED)
    with c.unit_of_work() as (uow, vault):
        world.build_accounts(uow, vault, Passwords("low"))
    steps: list[tuple[str, int]] = []
    planted = flow.build_flow(c, rng, plan, lambda what, n: steps.append((what, n)))
    return c, planted, steps


@pytest.fixture
def small_world(backend: Settings) -> Iterator[Built]:
    built = build(backend)
    try:
        yield built
    finally:
        built[0].close()


def test_every_planted_case_is_found_and_nothing_else(small_world: Built) -> None:
    c, planted, steps = small_world
    assert sum(n for _, n in steps) == SMALL.steps == 14 * 3
    assert planted.enterprises == 14 and planted.months == ["2026-09", "2026-10", "2026-11"]
    comparisons = flow.analyse_flow(c)
    assert [x.check for x in comparisons if not x.ok] == [], comparisons
    assert len(comparisons) == 7
    found = {x.check: x.found for x in comparisons}
    assert found["flow: dysprosium oxide diverted"] == (f"gap {planted.diverted['enterprise']} solvent_extraction "
                                                        f"Dy {planted.diverted['month']}")
    assert planted.diverted["put_out_kg"] == pytest.approx(planted.diverted["expected_kg"] * flow.DIVERTED_SHARE,
                                                           abs=0.01)
    assert planted.over_quota != planted.diverted["enterprise"]
    assert planted.resold["sold_to"] != planted.resold["declared"]
    assert found["flow: late monthly report"] == (f"late {planted.late_report['enterprise']} "
                                                  f"{planted.late_report['month']}")
    # 14 enterprises x the 2 months that are over and due, less the planted late one
    assert planted.reports == 14 * 2 - 1
    with read_transaction(c.engine) as conn:
        assert conn.execute(select(func.count()).select_from(events)).scalar_one() == planted.events > 0
        steps_seen = set(conn.execute(select(events.c.process_step).distinct()).scalars())
        ends = conn.execute(select(shipments.c.party, shipments.c.end_user).where(
            shipments.c.enterprise_id.like("FLOW-EXP-%"))).all()
        raised = conn.execute(select(func.count()).select_from(alerts)).scalar_one()
    assert steps_seen == {"mining", "cracking", "solvent_extraction", "metal_electrolysis", "alloying",
                          "magnet_sintering", None}  # None: the shipments
    assert ends and all(end_user.endswith(f"({party.split(':')[3]})") for party, end_user in ends)  # ISO country
    again = flow.analyse_flow(c)  # a reused demo compares the same and raises nothing new
    assert [x.ok for x in again] == [True] * 7
    with read_transaction(c.engine) as conn:
        assert conn.execute(select(func.count()).select_from(alerts)).scalar_one() == raised


def test_a_flaw_added_afterwards_is_not_hidden(small_world: Built) -> None:
    c, planted, _ = small_world
    with read_transaction(c.engine) as conn:
        magnet = conn.execute(select(lots.c.lot_id, lots.c.enterprise_id).where(
            lots.c.product_class == "magnet", lots.c.lot_id != planted.resold["lot"]).order_by(lots.c.lot_id)).first()
    assert magnet is not None
    sale = flow.shipment([flow.LotLine(magnet.lot_id, 10.0, 0.33, {})], "urn:reetrace:party:XX:nobody", "",
                         "2026-11-28T09:00:00+08:00", "extra")
    del sale["reetrace:endUser"]
    with c.unit_of_work() as (uow, _):
        capture(uow, Caller.of("south.admin", "group-south"), magnet.enterprise_id, [EventInput("extra", sale)])
    comparisons = {x.check: x for x in flow.analyse_flow(c)}
    assert not comparisons["flow: nothing else flagged"].ok
    assert "end user missing" in comparisons["flow: nothing else flagged"].found
    assert comparisons["flow: over-quota separator"].ok and comparisons["flow: late monthly report"].ok


def test_the_build_is_deterministic(tmp_path: Path) -> None:
    first, second = build(make_settings(tmp_path / "one")), build(make_settings(tmp_path / "two"))
    try:
        assert asdict(first[1]) == asdict(second[1])
        hashes = []
        for c, _, _ in (first, second):
            with read_transaction(c.engine) as conn:
                hashes.append(conn.execute(select(events.c.event_hash).order_by(events.c.event_hash)).scalars().all())
        assert hashes[0] == hashes[1] and len(hashes[0]) == first[1].events
    finally:
        first[0].close()
        second[0].close()


def test_no_plan_no_comparison(tmp_path: Path) -> None:
    c = build_container(make_settings(tmp_path / "empty"))
    try:
        assert flow.analyse_flow(c) == []
    finally:
        c.close()


@pytest.mark.parametrize(("changes", "message"), [
    ({"months": 1}, "2..11 months"), ({"months": 12}, "2..11 months"), ({"exporters": 0}, "one enterprise"),
    ({"separators": 1}, "two separators"), ({"separators": 3, "metal_plants": 4}, "as many as metal plants"),
    ({"magnet_makers": 0}, "a magnet maker"),
])
def test_bad_plans_are_refused(changes: dict[str, int], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        flow.FlowPlan(**{**asdict(SMALL), **changes})


def test_the_full_plan_has_the_issues_counts() -> None:
    plan = flow.FlowPlan()
    assert plan.counts == {"mine": 6, "separation": 10, "metal": 8, "magnet": 20, "exporter": 15}
    assert plan.month_names[0] == "2026-01" and plan.month_names[-1] == "2026-11" and plan.steps == 59 * 11
