"""Re-screening existing applications on every backend: a new list version with a newly listed name raises exactly
one ``screening.new_hit`` alert for the affected application and none on a second re-screening; a hit that
disappears is noted; approved applications with a valid licence are re-screened, decided ones without are not."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).parents[1] / "licensing"))
from export_world import TODAY, World, build_world

from reetrace.container import Container
from reetrace.domains.alerts import open_alerts
from reetrace.domains.licensing.application_models import LicenceTerms
from reetrace.domains.screening import lists as stored
from reetrace.domains.screening.models import ListedParty, LoadedList
from reetrace.domains.screening.rescreen import RescreenReport, rescreen
from reetrace.storage.engine import read_transaction, write_transaction
from reetrace.storage.replay import replay
from support.logdb import log_size, snapshot, stored_entries

CONTROL = "cn_mofcom_control"


def store(world: World, *names: str) -> None:
    parties = tuple(ListedParty(CONTROL, f"CN-{n:03d}", name, "entity") for n, name in enumerate(names, 1))
    with world.container.unit_of_work() as (uow, _):
        stored.store_lists(uow, [LoadedList(CONTROL, "China's export control list", (), parties)], "tester")


def run(world: World, today: date = TODAY) -> RescreenReport:
    with world.container.unit_of_work() as (uow, _):
        return rescreen(uow, today)


def alerts(world: World) -> list[Any]:
    with read_transaction(world.container.engine) as conn:
        return open_alerts(conn, kind="screening.new_hit")


def events(world: World) -> list[dict[str, Any]]:
    out = []
    for _, entry, _ in stored_entries(world.container.engine):
        data = json.loads(entry)
        if data["kind"] == "screening.application.rescreened":
            out.append(data["body"])
    return out


@pytest.fixture
def world(container: Container) -> Iterator[World]:
    w = build_world(container)
    store(w, "Shadow Metals Ltd")
    yield w


def test_a_newly_listed_name_raises_one_alert_and_none_on_a_second_rescreen(world: World) -> None:
    app = world.submit()
    clean = world.submit(intermediaries=[])
    assert not world.view(app).flagged
    store(world, "Shadow Metals Ltd", "Rotterdam Metals BV")  # version 2 lists the intermediary
    report = run(world)
    # both are recorded as screened against version 2; only one has a new hit
    assert report.screened == 2 and sorted(report.changed) == sorted([app, clean]) and len(report.alerts) == 1
    assert [a for a, _ in report.new_hits] == [app]
    [alert] = alerts(world)
    assert (alert.tenant, alert.subject, alert.severity) == ("group-a", app, "high")
    ev = alert.evidence
    assert ev["party"] == {"role": "intermediaries[0]", "name": "Rotterdam Metals B.V."}
    assert (ev["list_id"], ev["entry"]) == (CONTROL, {"record_id": "CN-002", "name": "Rotterdam Metals BV"})
    assert ev["score"] >= 0.9 and ev["explanation"]["transform"] and ev["explanation"]["matched_tokens"]
    view = world.view(app)
    assert view.flagged and view.details["screening"]["lists"] == [f"{CONTROL} v2"]
    assert {f["party"] for f in view.details["screening"]["flags"]} == {"intermediaries[0]"}
    assert not world.view(clean).flagged and world.view(clean).details["screening"]["lists"] == [f"{CONTROL} v2"]
    size = log_size(world.container.engine)
    again = run(world)
    assert again.screened == 2 and again.changed == [] and again.alerts == []
    assert len(alerts(world)) == 1 and log_size(world.container.engine) == size


def test_a_hit_that_disappears_is_noted_without_an_alert(world: World) -> None:
    store(world, "Shadow Metals Ltd", "Rotterdam Metals BV")
    app = world.submit()
    assert world.view(app).flagged
    store(world, "Shadow Metals Ltd")  # version 3: delisted
    report = run(world)
    assert report.changed == [app] and report.alerts == [] and report.new_hits == []
    [(gone_app, gone)] = report.gone_hits
    assert (gone_app, gone.role, gone.record_id) == (app, "intermediaries[0]", "CN-002")
    assert not world.view(app).flagged
    [body] = events(world)
    assert body["gone_hits"][0]["listed_name"] == "Rotterdam Metals BV" and body["new_hits"] == []
    assert alerts(world) == []


def test_valid_licences_are_rescreened_and_expired_or_denied_ones_are_not(world: World) -> None:
    licensed = world.licensed(terms=LicenceTerms(kind="single", valid_until=date(2026, 12, 31)))
    denied = world.submit()
    world.review(denied, "deny", "end use not credible")
    store(world, "Shadow Metals Ltd", "Rotterdam Metals BV")
    assert run(world, date(2027, 3, 1)).screened == 0  # the licence has expired
    report = run(world, date(2026, 10, 1))
    assert report.screened == 1 and len(report.alerts) == 1 and licensed
    assert alerts(world)[0].subject != denied


def test_nothing_to_do_without_lists_or_applications(container: Container) -> None:
    world = build_world(container)
    world.submit()
    assert run(world).screened == 0  # no list loaded: nothing screened, nothing recorded
    store(world, "Shadow Metals Ltd")
    report = run(world)  # the list version changes, no hit: the new version is recorded once
    assert (report.screened, report.alerts) == (1, [])
    assert run(world).changed == []


def test_replay_rebuilds_rescreened_applications(world: World) -> None:
    world.submit()
    store(world, "Shadow Metals Ltd", "Rotterdam Metals BV")
    run(world)
    before = snapshot(world.container.engine)
    with write_transaction(world.container.engine) as conn:
        report = replay(conn, world.container.kinds)
    assert report.differences == 0, [t for t in report.tables if t.count]
    assert snapshot(world.container.engine) == before


def test_cli_update_rescreens_when_a_list_changes(backend: Any, shared_dir: Path, tmp_path: Path) -> None:
    import shutil

    from typer.testing import CliRunner

    from reetrace.cli.main import app
    from reetrace.container import build_container

    folder = tmp_path / "lists"
    shutil.copytree(shared_dir / "lists" / "us_bis_mieu", folder / "mieu")
    prefix = ["--home", str(backend.home), *(["--db", backend.database_url] if backend.database_url else [])]

    def update() -> Any:
        result = CliRunner().invoke(app, [*prefix, "lists", "update", str(folder), "--today", TODAY.isoformat(),
                                          "--json"])
        assert result.exit_code == 0, (result.stdout, result.stderr, result.exception)
        return json.loads(result.stdout)

    container = build_container(backend)
    try:
        build_world(container).submit()
    finally:
        container.close()
    first = update()
    assert first["rescreen"]["screened"] == 1 and first["rescreen"]["alerts"] == []
    assert update()["rescreen"] is None  # nothing changed: no re-screening
    shutil.copytree(shared_dir / "lists" / "us_dod_1260h_chinese_military_companies", folder / "dod")
    third = update()
    assert {r["list_id"]: r["status"] for r in third["lists"]} == {"us_bis_mieu": "unchanged", "us_dod_1260h": "new"}
    assert third["rescreen"]["screened"] == 1
