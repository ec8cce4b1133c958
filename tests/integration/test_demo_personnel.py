"""The personnel part of the demo on a small world: every planted case is found, and only what was planted."""

from __future__ import annotations

import random
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import func, select

from reetrace.authz.passwords import Passwords
from reetrace.container import Container, build_container
from reetrace.demo import personnel, world
from reetrace.domains.alerts.tables import alerts
from reetrace.domains.personnel.tables import persons, watchlist
from reetrace.domains.personnel.travel_tables import travel_requests
from reetrace.storage.engine import read_transaction
from support.backends import make_settings

SMALL = personnel.PersonnelPlan(experts=150, enterprises=8, requests=60)


@pytest.fixture
def built(tmp_path: Path) -> Iterator[tuple[Container, personnel.Planted, list[tuple[str, int]]]]:
    c = build_container(make_settings(tmp_path / "home"))
    rng = random.Random(world_seed())
    with c.unit_of_work() as (uow, vault):
        world.build_accounts(uow, vault, Passwords("low"))
        ids = world.build_enterprises(uow, vault, rng, 10)
    steps: list[tuple[str, int]] = []
    planted = personnel.build_personnel(c, rng, ids, SMALL, lambda what, n: steps.append((what, n)))
    try:
        yield c, planted, steps
    finally:
        c.close()


def world_seed() -> int:
    from reetrace.demo.run import SEED

    return SEED


def test_every_planted_case_is_found(built: tuple[Container, personnel.Planted, list[tuple[str, int]]]) -> None:
    c, planted, steps = built
    assert steps[0] == ("experts imported", SMALL.experts)
    assert sum(n for what, n in steps if what == "travel requests") == SMALL.requests
    assert planted.engineer and planted.overdue_document and planted.overdue_debrief
    outcomes = planted.outcomes
    assert sum(outcomes.values()) == SMALL.requests and outcomes["approved"] > SMALL.requests // 2
    comparisons = personnel.analyse_personnel(c)
    assert [x.check for x in comparisons if not x.ok] == [], comparisons
    assert len(comparisons) == 6
    staff = next(x for x in comparisons if x.check.startswith("personnel: staff list"))
    assert planted.engineer in staff.found and "pinyin" in staff.found
    with read_transaction(c.engine) as conn:
        engineer = conn.execute(select(persons).where(persons.c.person_id == planted.engineer)).one()
        assert engineer.status == "departed" and engineer.secrecy_level == "core"
        assert conn.execute(select(watchlist.c.person_id)).scalars().all() == [planted.engineer]
        kinds = dict(conn.execute(select(alerts.c.kind, func.count()).group_by(alerts.c.kind)).tuples().all())
        assert kinds["personnel.passport.overdue"] == 1 and kinds["personnel.debrief.overdue"] == 1
        assert kinds["personnel.watchlist.match"] == 1
        assert conn.execute(select(func.count()).select_from(travel_requests)).scalar_one() == SMALL.requests
    # a second analysis (a reused demo) finds the same and raises nothing new
    again = personnel.analyse_personnel(c)
    assert [x.ok for x in again] == [True] * 6
    assert (c.settings.home / "northgate-staff.csv").read_text(encoding="utf-8").count("\n") == 14


def test_the_build_is_deterministic(tmp_path: Path,
                                    built: tuple[Container, personnel.Planted, list[tuple[str, int]]]) -> None:
    _, first, _ = built
    rng = random.Random(world_seed())
    c = build_container(make_settings(tmp_path / "again"))
    try:
        with c.unit_of_work() as (uow, vault):
            world.build_accounts(uow, vault, Passwords("low"))
            ids = world.build_enterprises(uow, vault, rng, 10)
        second = personnel.build_personnel(c, rng, ids, SMALL, lambda what, n: None)
    finally:
        c.close()
    assert (second.engineer, second.outcomes, len(second.deviations)) == \
        (first.engineer, first.outcomes, len(first.deviations))


def test_a_demo_without_a_plan_has_no_personnel_findings(tmp_path: Path) -> None:
    c = build_container(make_settings(tmp_path / "home"))
    try:
        assert personnel.analyse_personnel(c) == []
    finally:
        c.close()
