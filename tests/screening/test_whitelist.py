"""Whitelisting false positives on every backend: a whitelisted (party, list, entry) pair is kept as
"whitelisted: <reason>" and sets no flag; removal restores the flag; the whitelist is tenant-scoped; bad input
stores nothing; replay rebuilds the whitelist."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).parents[1] / "licensing"))
from export_world import TODAY, World, build_world

from reetrace.container import Container
from reetrace.domains.licensing.application_models import Party
from reetrace.domains.licensing.controllist import ControlList
from reetrace.domains.licensing.screen import screen_parties
from reetrace.domains.screening import lists as stored
from reetrace.domains.screening.models import ListedParty, LoadedList
from reetrace.domains.screening.rescreen import rescreen
from reetrace.domains.screening.whitelist import add_whitelist, remove_whitelist, whitelist_entries
from reetrace.errors import Error
from reetrace.storage.engine import read_transaction, write_transaction
from reetrace.storage.replay import replay
from support.logdb import log_size, snapshot

CONTROL = "cn_mofcom_control"
REASON = "different company: Hanau registry HRB 1234, listed one is in Moscow"


def control_list(*names: str) -> LoadedList:
    parties = tuple(ListedParty(CONTROL, f"CN-{n:03d}", name, "entity") for n, name in enumerate(names, 1))
    return LoadedList(CONTROL, "China's export control list", (), parties)


def store(world: World, *names: str) -> None:
    with world.container.unit_of_work() as (uow, _):
        stored.store_lists(uow, [control_list(*names)], "tester")


@pytest.fixture
def world(container: Container) -> Iterator[World]:
    w = build_world(container)
    store(w, "Shadow Metals Ltd", "Magnet Works GmbH")  # CN-002 is a namesake of the consignee
    yield w


def whitelist(world: World, username: str = "mofcom.rev", name: str = "Magnet Works GmbH", list_id: str = CONTROL,
              record_id: str = "CN-002", reason: str = REASON) -> None:
    with world.container.unit_of_work() as (uow, _):
        add_whitelist(uow, world.principal(username), name, list_id, record_id, reason)
        rescreen(uow, TODAY)


def unwhitelist(world: World, username: str = "mofcom.rev", reason: str = "the registry entry was wrong") -> None:
    with world.container.unit_of_work() as (uow, _):
        remove_whitelist(uow, world.principal(username), "Magnet Works GmbH", CONTROL, "CN-002", reason)
        rescreen(uow, TODAY)


def hits(world: World, application_id: str, role: str) -> list[dict[str, Any]]:
    party = next(p for p in world.view(application_id).details["screening"]["parties"] if p["role"] == role)
    return list(party["hits"])


def flag_parties(world: World, application_id: str) -> set[str]:
    return {f["party"] for f in world.view(application_id).details["screening"]["flags"]}


def test_whitelisting_suppresses_the_flag_and_shows_the_reason(world: World) -> None:
    app = world.submit()
    assert world.view(app).flagged and flag_parties(world, app) == {"consignee", "end_user"}
    whitelist(world)
    view = world.view(app)
    assert not view.flagged and flag_parties(world, app) == set()
    [hit] = hits(world, app, "consignee")
    assert (hit["record_id"], hit["whitelisted"]) == ("CN-002", f"whitelisted: {REASON}")
    assert hit["whitelisted_by"] == "mofcom.rev (mofcom)"
    with read_transaction(world.container.engine) as conn:
        [entry] = whitelist_entries(conn)
    assert (entry["tenant"], entry["party_key"], entry["reason"], entry["added_by"]) == (
        "mofcom", "magnet works gmbh", REASON, "mofcom.rev")


def test_removal_restores_the_flag_without_a_new_hit_alert(world: World) -> None:
    from reetrace.domains.alerts import open_alerts

    app = world.submit()
    whitelist(world)
    unwhitelist(world)
    assert world.view(app).flagged and flag_parties(world, app) == {"consignee", "end_user"}
    assert all("whitelisted" not in h for h in hits(world, app, "consignee"))
    with read_transaction(world.container.engine) as conn:
        assert whitelist_entries(conn) == []
        [removed] = whitelist_entries(conn, include_removed=True)
        assert open_alerts(conn, kind="screening.new_hit") == []  # the hit was seen before
    assert (removed["active"], removed["removed_by"], removed["removal_reason"]) == (
        False, "mofcom.rev", "the registry entry was wrong")
    whitelist(world, reason="checked again: a namesake")  # whitelisted again after removal
    assert not world.view(app).flagged


def test_the_whitelist_is_tenant_scoped(world: World) -> None:
    app_a = world.submit()
    app_b = world.submit(username="exporter.b", exporter_id="EXP-B1")
    whitelist(world, username="exporter.b")  # group-b's entry: group-b's applications only
    assert world.view(app_a).flagged and not world.view(app_b).flagged
    whitelist(world, username="exporter.a")
    assert not world.view(app_a).flagged


def test_screening_with_the_tenant_consults_the_whitelist(world: World) -> None:
    whitelist(world, username="exporter.a", name="  MAGNET works, GmbH ")  # folded: same key
    roles = [("end_user", Party(name="Magnet Works GmbH", country="DE"))]
    with read_transaction(world.container.engine) as conn:
        cl = ControlList.default()
        plain = screen_parties(conn, roles, "robots", False, TODAY, cl)
        scoped = screen_parties(conn, roles, "robots", False, TODAY, cl, tenant="group-a")
        other = screen_parties(conn, roles, "robots", False, TODAY, cl, tenant="group-b")
    assert [f.code for f in plain.flags] == ["listed_party"] and [f.code for f in other.flags] == ["listed_party"]
    assert scoped.flags == () and scoped.parties[0].hits[0]["whitelisted"].startswith("whitelisted: ")


@pytest.mark.parametrize(("changes", "code"), [
    ({"list_id": "cn_nowhere"}, "unknown_list"),
    ({"record_id": "CN-999"}, "unknown_entry"),
    ({"reason": "   "}, "reason_required"),
    ({"reason": "ok  "}, "reason_required"),
    ({"name": " ,. "}, "bad_name"),
    ({"username": "viewer.a"}, "forbidden"),
])
def test_bad_input_is_refused_and_nothing_is_stored(world: World, changes: dict[str, str], code: str) -> None:
    before, size = snapshot(world.container.engine), log_size(world.container.engine)
    with pytest.raises(Error) as caught:
        whitelist(world, **changes)
    assert caught.value.code == code, caught.value
    assert str(caught.value)
    assert log_size(world.container.engine) == size and snapshot(world.container.engine) == before


def test_duplicates_and_unknown_removals_are_refused(world: World) -> None:
    whitelist(world)
    size = log_size(world.container.engine)
    with pytest.raises(Error) as caught:
        whitelist(world)
    assert caught.value.code == "conflict" and caught.value.http_status == 409
    with pytest.raises(Error) as caught:
        unwhitelist(world, username="exporter.a")  # group-a has no such entry
    assert caught.value.code == "not_found"
    with pytest.raises(Error) as caught:
        unwhitelist(world, reason="no")
    assert caught.value.code == "reason_required"
    assert log_size(world.container.engine) == size


def test_replay_rebuilds_the_whitelist_and_the_rescreened_application(world: World) -> None:
    app = world.submit()
    whitelist(world)
    unwhitelist(world)
    whitelist(world, reason="a namesake after all")
    before = snapshot(world.container.engine)
    with write_transaction(world.container.engine) as conn:
        report = replay(conn, world.container.kinds)
    assert report.differences == 0, [t for t in report.tables if t.count]
    assert snapshot(world.container.engine) == before
    assert json.dumps(hits(world, app, "consignee")).count("a namesake after all") == 1


def test_cli_whitelist_show_and_rescreen(backend: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    from typer.testing import CliRunner

    from reetrace.cli import common
    from reetrace.cli.main import app
    from reetrace.container import build_container

    monkeypatch.setattr(common.out_console, "_width", 250)
    container = build_container(backend)
    try:
        world = build_world(container)
        store(world, "Shadow Metals Ltd", "Magnet Works GmbH")
        application_id = world.submit()
    finally:
        container.close()
    prefix = ["--home", str(backend.home), *(["--db", backend.database_url] if backend.database_url else [])]

    def cli(*args: str, code: int = 0) -> Any:
        result = CliRunner().invoke(app, [*prefix, "lists", *args])
        assert result.exit_code == code, (result.stdout, result.stderr, result.exception)
        return result

    refused = cli("whitelist", "Magnet Works GmbH", CONTROL, "CN-999", "--reason", REASON, "--as", "mofcom.rev",
                  code=2)
    assert "unknown_entry" in refused.stderr and "CN-999" in refused.stderr
    assert "reason_required" in cli("whitelist", "Magnet Works GmbH", CONTROL, "CN-002", "--reason", "", "--as",
                                    "mofcom.rev", code=2).stderr
    assert json.loads(cli("whitelist-show", "--json").stdout) == {"whitelist": []}
    done = json.loads(cli("whitelist", "Magnet Works GmbH", CONTROL, "CN-002", "--reason", REASON, "--as",
                          "mofcom.rev", "--today", TODAY.isoformat(), "--json").stdout)
    assert done["tenant"] == "mofcom" and done["rescreen"]["changed"] == [application_id]
    [entry] = json.loads(cli("whitelist-show", "--json").stdout)["whitelist"]
    assert (entry["party_name"], entry["record_id"], entry["reason"]) == ("Magnet Works GmbH", "CN-002", REASON)
    assert "Magnet Works GmbH" in cli("whitelist-show").stdout
    again = json.loads(cli("rescreen", "--today", TODAY.isoformat(), "--json").stdout)
    assert (again["screened"], again["changed"], again["alerts"]) == (1, [], [])
    assert "re-screened 1 application(s): 0 changed" in cli("rescreen", "--today", TODAY.isoformat()).stdout
    cli("whitelist", "Magnet Works GmbH", CONTROL, "CN-002", "--remove", "--reason", "registry entry was wrong",
        "--as", "mofcom.rev", "--today", TODAY.isoformat())
    assert json.loads(cli("whitelist-show", "--json").stdout) == {"whitelist": []}
    assert len(json.loads(cli("whitelist-show", "--removed", "--json").stdout)["whitelist"]) == 1
    assert "bad_date" in cli("rescreen", "--today", "tomorrow", code=2).stderr
