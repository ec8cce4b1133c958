"""The watch list API and the checks against it, on SQLite and PostgreSQL: entries, staff-list and name checks
(exact, pinyin and Latin matches), bad input, permissions and tenant isolation."""

from __future__ import annotations

from typing import Any

import pytest
from authz_world import World
from domain_personnel import bearer, resident_id, world_fixture
from web_checks import assert_error_shape

P = "/api/v1/personnel"
world = world_fixture()


def new_person(world: World, name_zh: str, name_latin: str) -> str:
    form = {"enterprise_id": "NM-BAOTOU-01", "name_zh": name_zh, "name_latin": name_latin,
            "resident_id": resident_id(), "secrecy_level": "general", "post": "Lab technician",
            "hired_on": "2019-02-01", "expertise": ["analysis"]}
    response = bearer(world, "sofia").post(f"{P}/persons", json=form)
    assert response.status_code == 201, response.text
    return str(response.json()["person_id"])


def test_the_watch_list_shows_the_visible_tenants(world: World) -> None:
    entries = bearer(world, "gwen").get(f"{P}/watchlist").json()["entries"]
    found = {e["entry_id"]: e for e in entries}
    assert world.extra["entry_a"] in found and world.extra["entry_b"] not in found
    assert found[world.extra["entry_a"]]["person_id"] == world.extra["person_a"]
    assert found[world.extra["entry_a"]]["reason"] == "core separation know-how"
    regulator = {e["entry_id"] for e in bearer(world, "reg.officer").get(f"{P}/watchlist").json()["entries"]}
    assert world.extra["entry_a"] in regulator and world.extra["entry_b"] not in regulator
    assert_error_shape(bearer(world, "anna").get(f"{P}/watchlist"), 403, "forbidden")
    assert_error_shape(bearer(world, "gwen").get(f"{P}/watchlist?limit=0"), 400, "invalid_request")


def test_add_and_remove_a_person(world: World) -> None:
    gwen = bearer(world, "gwen")
    person = new_person(world, "吴刚", "Wu Gang")
    response = gwen.post(f"{P}/watchlist/persons", json={"person_id": person, "reason": "holds the SX recipe"})
    assert response.status_code == 201, response.text
    entry = response.json()["entry_id"]
    assert bearer(world, "sofia").get(f"{P}/persons/{person}").json()["watch_listed"] is True
    assert_error_shape(gwen.post(f"{P}/watchlist/persons", json={"person_id": person, "reason": "again"}), 409)
    assert_error_shape(gwen.post(f"{P}/watchlist/{entry}/remove", json={"reason": "   "}), 400, "invalid")
    assert_error_shape(gwen.post(f"{P}/watchlist/{entry}/remove", json={}), 400, "invalid_request")
    removed = gwen.post(f"{P}/watchlist/{entry}/remove", json={"reason": "moved to a general post"})
    assert removed.status_code == 200 and removed.json()["entry_id"] == entry
    assert bearer(world, "sofia").get(f"{P}/persons/{person}").json()["watch_listed"] is False
    assert_error_shape(gwen.post(f"{P}/watchlist/{entry}/remove", json={"reason": "again"}), 409, "conflict")
    everything = gwen.get(f"{P}/watchlist?include_removed=true").json()["entries"]
    assert any(e["entry_id"] == entry and e["removed_reason"] == "moved to a general post" for e in everything)


def test_add_a_post(world: World) -> None:
    gwen = bearer(world, "gwen")
    form = {"enterprise_id": "NM-BAOTOU-01", "post": "Head  of   magnet line", "reason": "sintering know-how"}
    response = gwen.post(f"{P}/watchlist/posts", json=form)
    assert response.status_code == 201
    entry = next(e for e in gwen.get(f"{P}/watchlist").json()["entries"] if e["entry_id"] == response.json()[
        "entry_id"])
    assert (entry["post"], entry["person_id"]) == ("Head of magnet line", None)
    assert_error_shape(gwen.post(f"{P}/watchlist/posts", json={**form, "post": "head of magnet line"}), 409)
    assert_error_shape(gwen.post(f"{P}/watchlist/posts", json={**form, "post": ""}), 400, "invalid_request")


@pytest.mark.parametrize(("url", "body", "status"), [
    ("/watchlist/persons", {"person_id": "nobody", "reason": "x"}, 400),
    ("/watchlist/persons", {"person_id": "P-0000", "reason": "x"}, 404),
    ("/watchlist/persons", {"person_id": "P-0000"}, 400),
    ("/watchlist/persons", {"person_id": "P-0000", "reason": "x", "added_on": "2999-01-01"}, 404),
    ("/watchlist/posts", {"enterprise_id": "NO-SUCH", "post": "x", "reason": "x"}, 404),
    ("/watchlist/W-0000000000000000/remove", {"reason": "x"}, 404),
    ("/watchlist/w-bad/remove", {"reason": "x"}, 400),
])
def test_watch_list_bad_input(world: World, url: str, body: dict[str, Any], status: int) -> None:
    assert_error_shape(bearer(world, "gwen").post(f"{P}{url}", json=body), status)


def test_another_tenants_entries_are_not_found_and_audited(world: World) -> None:
    gwen = bearer(world, "gwen")
    for url, body in ((f"/watchlist/{world.extra['entry_b']}/remove", {"reason": "hostile"}),
                      ("/watchlist/persons", {"person_id": world.extra["person_b"], "reason": "hostile"}),
                      ("/watchlist/posts", {"enterprise_id": "JX-GANZHOU-02", "post": "x", "reason": "hostile"})):
        before = world.size()
        assert_error_shape(gwen.post(f"{P}{url}", json=body), 404, "not_found")
        [event] = world.audit_events(since=before)
        assert (event["action"], event["username"], event["reason"]) == ("access.denied", "gwen",
                                                                         "not found in scope")
        assert world.size() == before + 1


def staff_csv(*rows: tuple[str, str]) -> bytes:
    return ("name_zh,name_latin\n" + "\n".join(f"{zh},{latin}" for zh, latin in rows)).encode()


def test_check_a_staff_list_raises_alerts(world: World) -> None:
    greg_before = {a["alert_id"] for a in bearer(world, "greg").get("/api/v1/alerts").json()["alerts"]}
    response = bearer(world, "gwen").post(
        f"{P}/watchlist/check-staff", data={"organisation": "Nordic Magnet AB", "country": "se"},
        files={"file": ("staff.csv", staff_csv(("张伟", ""), ("", "Erik Larsson")), "text/csv")})
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["organisation"], body["country"], body["rows"]) == ("Nordic Magnet AB", "SE", 2)
    [match] = [m for m in body["matches"] if m["person_id"] == world.extra["person_a"]]
    assert match["row"] == 2 and "exact" in match["how"] and match["in_cooling_off"] is True
    assert match["alert_id"] is not None
    alert = bearer(world, "sofia").get(f"/api/v1/alerts/{match['alert_id']}").json()
    assert alert["kind"] == "personnel.watchlist.match" and alert["severity"] == "high"
    assert "张伟" not in str(alert)  # the evidence names the person by id, never by name
    assert {a["alert_id"] for a in bearer(world, "greg").get("/api/v1/alerts").json()["alerts"]} == greg_before


@pytest.mark.parametrize(("data", "files", "status", "code"), [
    ({"organisation": "X", "country": "ZZ"}, {"file": ("s.csv", staff_csv(("张伟", "")), "text/csv")}, 400, "invalid"),
    ({"organisation": "X", "country": "DE"}, {"file": ("s.txt", b"name_zh\n", "text/plain")}, 400,
     "unsupported_format"),
    ({"organisation": "X", "country": "DE"}, {"file": ("s.csv", b"", "text/csv")}, 400, "invalid"),
    ({"organisation": "X", "country": "DE"}, {"file": ("s.csv", b"who,what\n1,2\n", "text/csv")}, 400, "invalid"),
    ({"organisation": "X", "country": "DE"}, {"file": ("s.csv", b"name_zh\n", "text/csv")}, 400, "invalid"),
    ({"organisation": "X", "country": "DE"}, {"file": ("s.csv", b"\xff\xfe\xfa\xfb", "text/csv")}, 400, "invalid"),
    ({"country": "DE"}, {"file": ("s.csv", staff_csv(("张伟", "")), "text/csv")}, 400, "invalid_request"),
    ({"organisation": "X", "country": "DE"}, None, 400, "invalid_request"),
])
def test_check_staff_bad_input(world: World, data: dict[str, str], files: Any, status: int, code: str) -> None:
    gwen = bearer(world, "gwen")
    before = world.size()
    response = gwen.post(f"{P}/watchlist/check-staff", data=data, files=files)
    assert_error_shape(response, status, code)
    assert world.size() == before


def test_check_a_name_exact_pinyin_and_latin(world: World) -> None:
    gwen = bearer(world, "gwen")
    person = world.extra["person_a"]
    before = world.size()
    exact = gwen.post(f"{P}/watchlist/check-name", json={"query": "张伟"}).json()["matches"]
    assert [m["how"][0] for m in exact if m["person_id"] == person] == ["exact"]
    latin = gwen.post(f"{P}/watchlist/check-name", json={"query": "Wei Zhang"}).json()["matches"]
    assert {"latin", "pinyin"} & set(next(m["how"] for m in latin if m["person_id"] == person))
    events = world.audit_events(since=before)
    assert [(e["action"], e["username"]) for e in events] == [("personal_data.read", "gwen")] * 2
    assert person in events[0]["reason"] and "张伟" not in events[0]["reason"]
    none = gwen.post(f"{P}/watchlist/check-name", json={"query": "李娜"}).json()["matches"]
    assert none == []  # registered, but neither watch-listed nor in a cooling-off period
    everyone = gwen.post(f"{P}/watchlist/check-name", json={"query": "李娜", "watch_listed_only": False}).json()
    assert [m["person_id"] for m in everyone["matches"]] == [world.extra["person_a2"]]
    other = bearer(world, "greg").post(f"{P}/watchlist/check-name", json={"query": "张伟"}).json()["matches"]
    assert person not in {m["person_id"] for m in other}


@pytest.mark.parametrize("body", [{"query": ""}, {"query": "   "}, {}, {"query": "x" * 201}, {"query": 3}])
def test_check_name_bad_input(world: World, body: dict[str, Any]) -> None:
    assert_error_shape(bearer(world, "gwen").post(f"{P}/watchlist/check-name", json=body), 400)


def test_checks_need_their_permission(world: World) -> None:
    assert_error_shape(bearer(world, "sofia").post(f"{P}/watchlist/check-name", json={"query": "x"}), 403)
    assert_error_shape(bearer(world, "sofia").post(f"{P}/watchlist/persons", json={}), 403)
