"""The export part of the demo on a small world: every planted must-deny case is flagged by the screening, nothing
else is, the overdue applications and the shipment beyond its licence are found; with ../shared/lists and with the
built-in sample; and the build is deterministic."""

from __future__ import annotations

import json
import random
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import func, select

from reetrace.authz.passwords import Passwords
from reetrace.container import Container, build_container
from reetrace.demo import export, world
from reetrace.demo.run import SEED
from reetrace.domains.licensing.application_tables import applications, licences
from reetrace.domains.screening.tables import list_versions
from reetrace.storage.engine import read_transaction
from support.backends import make_settings

SMALL = export.ExportPlan(applications=60)


def build(home: Path, shared: Path | None) -> tuple[Container, export.ExportPlanted, list[tuple[str, int]]]:
    c = build_container(make_settings(home))
    rng = random.Random(SEED)
    with c.unit_of_work() as (uow, vault):
        world.build_accounts(uow, vault, Passwords("low"))
        ids = world.build_enterprises(uow, vault, rng, 12)
    steps: list[tuple[str, int]] = []
    planted = export.build_export(c, rng, ids, SMALL, lambda what, n: steps.append((what, n)), shared=shared)
    return c, planted, steps


@pytest.fixture
def sample_world(tmp_path: Path) -> Iterator[tuple[Container, export.ExportPlanted, list[tuple[str, int]]]]:
    built = build(tmp_path / "home", tmp_path / "no-shared-here")
    try:
        yield built
    finally:
        built[0].close()


def test_every_planted_case_is_found_with_the_built_in_sample(
        sample_world: tuple[Container, export.ExportPlanted, list[tuple[str, int]]]) -> None:
    c, planted, steps = sample_world
    assert planted.lists.startswith("built-in sample")
    assert sum(n for what, n in steps if what == "licence applications") == SMALL.applications
    assert set(planted.cases) == set(export.PLANTED)
    assert planted.names["other_script"] in {zh for *_, zh, _ in export.SAMPLE}  # the Chinese form was written
    comparisons = export.analyse_export(c)
    assert [x.check for x in comparisons if not x.ok] == [], comparisons
    assert len(comparisons) == 8
    with read_transaction(c.engine) as conn:
        assert conn.execute(select(func.count()).select_from(applications)).scalar_one() == SMALL.applications
        statuses = dict(conn.execute(select(applications.c.status, func.count())
                                     .group_by(applications.c.status)).tuples().all())
        denied = set(conn.execute(select(applications.c.application_id).where(
            applications.c.status == "denied")).scalars())
        assert set(planted.cases.values()) <= denied  # the planted cases are among the oldest: all reviewed
        assert conn.execute(select(func.count()).select_from(licences)).scalar_one() == statuses["approved"]
        assert conn.execute(select(list_versions.c.list_id)).scalars().all() == ["cn_mofcom_control"]
    saved = json.loads((c.settings.home / export.PLAN_FILE).read_text(encoding="utf-8"))
    assert saved["cases"] == planted.cases
    again = export.analyse_export(c)  # a reused demo compares the same, raising nothing new
    assert [x.ok for x in again] == [True] * 8


def test_every_planted_case_is_found_against_chinas_lists(tmp_path: Path, shared_dir: Path) -> None:
    c, planted, _ = build(tmp_path / "home", shared_dir / "lists")
    try:
        assert "cn_mofcom_control" in planted.lists
        comparisons = export.analyse_export(c)
        assert [x.check for x in comparisons if not x.ok] == [], comparisons
        other = next(x for x in comparisons if x.check == "export: other script")
        assert not planted.names["other_script"].isascii() and "listed_party" in other.found
    finally:
        c.close()


def test_the_build_is_deterministic(tmp_path: Path,
                                    sample_world: tuple[Container, export.ExportPlanted, list[tuple[str, int]]]
                                    ) -> None:
    _, first, _ = sample_world
    c, second, _ = build(tmp_path / "again", tmp_path / "no-shared-here")
    try:
        assert second.names == first.names and second.outcomes == first.outcomes
        assert len(second.left_open) == len(first.left_open)
    finally:
        c.close()


def test_no_plan_no_comparison(tmp_path: Path) -> None:
    c = build_container(make_settings(tmp_path / "empty"))
    try:
        assert export.analyse_export(c) == []
    finally:
        c.close()
