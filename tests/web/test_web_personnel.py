"""The personnel API on SQLite and PostgreSQL: staff lists, a person, the audited reveal, registration, imports,
departures, access grants, the national aggregation; bad input, permissions and tenant isolation."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from authz_world import World
from domain_personnel import BAD_REQUESTS, NAMES, bad_check_digit, bearer, resident_id, world_fixture
from sqlalchemy import select
from web_checks import assert_error_shape

from reetrace.storage.engine import read_transaction
from reetrace.storage.tables import log_entries
from reetrace.web import personnelview

P = "/api/v1/personnel"
world = world_fixture()
HEADER = "enterprise_id,name_zh,name_latin,resident_id,secrecy_level,post,hired_on,expertise\n"


def ids(world: World) -> dict[str, Any]:
    return world.extra


def person_json(**changes: Any) -> dict[str, Any]:
    return {"enterprise_id": "NM-BAOTOU-01", "name_zh": "王芳", "name_latin": "Wang Fang",
            "resident_id": resident_id(), "secrecy_level": "important", "post": "Magnet process engineer",
            "hired_on": "2015-06-01", "expertise": ["magnet_making"], **changes}


def log_bytes(world: World) -> bytes:
    with read_transaction(world.container.engine) as conn:
        return b"".join(bytes(e) for e in conn.execute(select(log_entries.c.entry)).scalars())


def refused_and_audited(world: World, response: Any, username: str, before: int) -> None:
    assert_error_shape(response, 404, "not_found")
    events = world.audit_events(since=before)
    assert [(e["action"], e["username"], e["reason"]) for e in events] == [
        ("access.denied", username, "not found in scope")]


# --- reads -----------------------------------------------------------------------------------------------------


def test_staff_list_filters_and_pages(world: World) -> None:
    sofia = bearer(world, "sofia")
    listing = sofia.get(f"{P}/persons", params={"limit": 500}).json()
    tenants = {p["tenant"] for p in listing["persons"]}
    found = {p["person_id"] for p in listing["persons"]}
    assert tenants == {"group-a"} and {ids(world)["person_a"], ids(world)["person_a2"]} <= found
    assert ids(world)["person_b"] not in found and listing["total"] == len(found)
    mining = sofia.get(f"{P}/persons", params={"expertise": "mining"}).json()
    assert [p["person_id"] for p in mining["persons"]] == [ids(world)["person_a2"]]
    assert mining["persons"][0]["expertise"] == ["mining"] and mining["total"] == 1
    departed = sofia.get(f"{P}/persons", params={"status": "departed", "secrecy_level": "core"}).json()
    assert ids(world)["person_a"] in {p["person_id"] for p in departed["persons"]}
    assert all(p["status"] == "departed" for p in departed["persons"])
    first = sofia.get(f"{P}/persons", params={"limit": 1, "page": 1}).json()
    second = sofia.get(f"{P}/persons", params={"limit": 1, "page": 2}).json()
    assert first["total"] == second["total"] >= 2 and first["persons"] != second["persons"]
    assert sofia.get(f"{P}/persons", params={"enterprise_id": "JX-GANZHOU-02"}).json()["total"] == 0


@pytest.mark.parametrize("query", ["status=gone", "secrecy_level=top", "expertise=cooking", "limit=0", "limit=501",
                                   "page=0", "page=x", "enterprise_id=lower-case"])
def test_staff_list_bad_filters(world: World, query: str) -> None:
    assert_error_shape(bearer(world, "sofia").get(f"{P}/persons?{query}"), 400, "invalid_request")


@pytest.mark.parametrize(("user", "method", "url", "body", "status", "code"), BAD_REQUESTS,
                         ids=[f"{m} {u} {c}" for _, m, u, _, _, c in BAD_REQUESTS])
def test_bad_requests(world: World, user: str, method: str, url: str, body: Any, status: int, code: str) -> None:
    client = bearer(world, user)
    before = world.size()
    assert_error_shape(client.request(method, url, json=body), status, code)
    assert world.size() == before + (1 if status == 404 else 0)  # a miss is audited; bad input writes nothing


def test_person_detail_has_commitments_only(world: World) -> None:
    response = bearer(world, "sofia").get(f"{P}/persons/{ids(world)['person_a']}")
    body = response.json()
    assert body["person"]["secrecy_level"] == "core" and body["person"]["status"] == "departed"
    assert body["watch_listed"] is True and body["in_cooling_off"] is True
    assert body["person"]["cooling_off_until"] > date.today().isoformat()
    assert set(body["commitments"]) >= {"name_zh", "name_latin", "resident_id", "education"}
    assert all(v.startswith("hmac-sha256:") for v in body["commitments"].values())
    assert body["technologies"] == ["RE-TECH-SX-01"] and body["documents"] == ["DOC-0001"]
    assert [a["alert_id"] for a in body["alerts"]] == [ids(world)["alert_a"]]
    assert body["employment"][0]["country"] == "DE" and body["employment"][0]["in_cooling_off"] is True
    for name in NAMES["person_a"]:
        assert name not in response.text


def test_person_detail_bad_and_unknown_ids(world: World) -> None:
    sofia = bearer(world, "sofia")
    assert_error_shape(sofia.get(f"{P}/persons/not-a-person"), 400, "invalid_request")
    before = world.size()
    refused_and_audited(world, sofia.get(f"{P}/persons/P-0000"), "sofia", before)


@pytest.mark.parametrize(("method", "suffix", "body"), [
    ("GET", "", None), ("POST", "/reveal", None), ("POST", "/departure", {"departed_on": "2026-01-02"}),
    ("POST", "/access", {"technologies": []}), ("GET", "/document-access", None)])
def test_person_routes_with_bad_and_unknown_ids(world: World, method: str, suffix: str, body: Any) -> None:
    sofia = bearer(world, "sofia")
    for bad in ("not-a-person", "P-lower", "P-" + "X" * 70):
        assert_error_shape(sofia.request(method, f"{P}/persons/{bad}{suffix}", json=body), 400, "invalid_request")
    before = world.size()
    refused_and_audited(world, sofia.request(method, f"{P}/persons/P-0000{suffix}", json=body), "sofia", before)


def test_tenant_isolation_of_persons(world: World) -> None:
    """group-b's officer cannot see, reveal, depart or re-grant a group-a person: 404, audited, nothing done."""
    stan = bearer(world, "stan")
    person = ids(world)["person_a"]
    for method, url, body in (("GET", f"{P}/persons/{person}", None), ("POST", f"{P}/persons/{person}/reveal", None),
                              ("POST", f"{P}/persons/{person}/departure", {"departed_on": "2026-01-02"}),
                              ("POST", f"{P}/persons/{person}/access", {"technologies": []}),
                              ("GET", f"{P}/persons/{person}/document-access", None)):
        before = world.size()
        refused_and_audited(world, stan.request(method, url, json=body), "stan", before)
        assert world.size() == before + 1


def test_the_regulator_sees_supervised_persons_only_with_a_stated_reason(world: World) -> None:
    officer = bearer(world, "reg.officer")
    person_a = ids(world)["person_a"]
    # the authority sees aggregates; a person's details only with a stated reason, which is recorded first
    assert_error_shape(officer.get(f"{P}/persons/{person_a}"), 403, "reason_required")
    assert_error_shape(officer.get(f"{P}/persons/{person_a}", params={"reason": "  x "}), 403, "reason_required")
    before = world.size()
    answer = officer.get(f"{P}/persons/{person_a}", params={"reason": "export licence review LA-17"})
    assert answer.status_code == 200 and answer.json()["person"]["tenant"] == "group-a"
    [event] = world.audit_events(since=before)
    assert (event["action"], event["username"]) == ("personal_data.read", "reg.officer")
    assert event["reason"] == "person detail: export licence review LA-17"
    before = world.size()
    refused_and_audited(world, officer.get(f"{P}/persons/{ids(world)['person_b']}", params={"reason": "curious"}),
                        "reg.officer", before)
    # the plain staff list shows the authority's own staff only (none); supervised staff come by the drill-down
    assert officer.get(f"{P}/persons?limit=500").json()["persons"] == []
    reveal = officer.post(f"{P}/persons/{person_a}/reveal")
    assert_error_shape(reveal, 403, "reason_required")


def test_reveal_is_audited_before_the_values_are_read(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    person = ids(world)["person_a"]
    before = world.size()
    seen: list[list[dict[str, Any]]] = []
    original = personnelview.reveal_fields

    def spy(request: Any, subject_id: str, fields: list[str]) -> dict[str, str]:
        seen.append(world.audit_events(since=before))  # what the log holds when the vault is opened
        return original(request, subject_id, fields)

    monkeypatch.setattr(personnelview, "reveal_fields", spy)
    body = bearer(world, "sofia").post(f"{P}/persons/{person}/reveal").json()
    assert body["fields"]["name_zh"] == NAMES["person_a"][0] and body["fields"]["name_latin"] == "Zhang Wei"
    assert len(body["fields"]["resident_id"]) == 18 and body["fields"]["education"] == "PhD, 2009"
    [[event]] = seen
    assert (event["action"], event["username"], event["target"], event["permission"]) == (
        "personal_data.read", "sofia", person, "personal:data:read")
    assert event["reason"].startswith("fields: name_zh, name_latin, resident_id")
    assert NAMES["person_a"][0].encode() not in log_bytes(world)


def test_reveal_needs_its_permission(world: World) -> None:
    assert_error_shape(bearer(world, "gwen").post(f"{P}/persons/{ids(world)['person_a']}/reveal"), 403, "forbidden")


def test_document_access_of_a_person_without_copies_is_empty(world: World) -> None:
    body = bearer(world, "sofia").get(f"{P}/persons/{ids(world)['person_a']}/document-access").json()
    assert body["accesses"] == [] and body["unusual_days"] == []
    assert "documents.copy.issued" in body["source"]
    assert date.fromisoformat(body["until"]) - date.fromisoformat(body["since"]) == timedelta(days=89)


# --- writes ----------------------------------------------------------------------------------------------------


def test_register_a_person_and_refuse_a_duplicate(world: World) -> None:
    sofia = bearer(world, "sofia")
    form = person_json()
    response = sofia.post(f"{P}/persons", json=form)
    assert response.status_code == 201, response.text
    person = response.json()["person_id"]
    detail = sofia.get(f"{P}/persons/{person}").json()
    assert detail["person"]["expertise"] == ["magnet_making"] and detail["person"]["province"] == "Inner Mongolia"
    before = world.size()
    assert_error_shape(sofia.post(f"{P}/persons", json={**form, "name_latin": "Wang F."}), 409, "duplicate")
    assert world.size() == before


@pytest.mark.parametrize(("changes", "where"), [
    ({"resident_id": "150203198005170000"}, "resident_id"),
    ({"hired_on": "2999-01-01"}, "hired_on"),
    ({"expertise": ["cooking"]}, "expertise"),
    ({"nationality": "XX"}, "nationality"),
])
def test_register_bad_input_names_the_field(world: World, changes: dict[str, Any], where: str) -> None:
    sofia = bearer(world, "sofia")
    before = world.size()
    body = assert_error_shape(sofia.post(f"{P}/persons", json=person_json(**changes)), 400)
    assert where in {e["location"] for e in body["errors"]}, body
    assert world.size() == before


@pytest.mark.parametrize("body", [{}, {"enterprise_id": "NM-BAOTOU-01"}, [1], person_json(extra="x")])
def test_register_malformed_body(world: World, body: Any) -> None:
    assert_error_shape(bearer(world, "sofia").post(f"{P}/persons", json=body), 400, "invalid_request")


def test_register_for_another_tenant_is_not_found(world: World) -> None:
    sofia = bearer(world, "sofia")
    before = world.size()
    response = sofia.post(f"{P}/persons", json=person_json(enterprise_id="JX-GANZHOU-02"))
    refused_and_audited(world, response, "sofia", before)


def test_import_stores_every_row_or_none(world: World) -> None:
    sofia = bearer(world, "sofia")
    good = [f"NM-BAOTOU-01,赵强,Zhao Qiang,{resident_id()},general,Assayer,2018-04-01,analysis",
            f"NM-BAOTOU-01,孙丽,Sun Li,{resident_id()},important,Smelter,2016-09-01,metal_smelting;alloying"]
    bad = [good[0], f"NM-BAOTOU-01,周明,Zhou Ming,{bad_check_digit(resident_id())},core,Chemist,2012-01-01,cracking"]
    before = world.size()
    refused = sofia.post(f"{P}/imports", files={"file": ("people.csv", HEADER + "\n".join(bad), "text/csv")})
    body = assert_error_shape(refused, 400, "invalid_import")
    assert [e["location"] for e in body["errors"]] == ["people.csv, row 3, resident_id"]
    assert "nothing was stored" in body["error"] and world.size() == before
    done = sofia.post(f"{P}/imports", files={"file": ("people.csv", HEADER + "\n".join(good), "text/csv")})
    assert done.status_code == 200, done.text
    assert (done.json()["rows"], done.json()["persons"]) == (2, 2)
    again = sofia.post(f"{P}/imports", files={"file": ("people.csv", HEADER + "\n".join(good), "text/csv")})
    assert {e["location"] for e in assert_error_shape(again, 400)["errors"]} == {
        "people.csv, row 2, resident_id", "people.csv, row 3, resident_id"}


@pytest.mark.parametrize(("files", "code"), [
    ({"file": ("people.txt", "a,b\n", "text/plain")}, "unsupported_format"),
    ({"file": ("people.csv", "", "text/csv")}, "invalid"),
    ({"file": ("people.xlsx", b"not a zip", "application/octet-stream")}, "invalid"),
    ({"file": ("people.csv", "nonsense,columns\n1,2\n", "text/csv")}, "invalid"),
    ({"other": ("people.csv", HEADER, "text/csv")}, "invalid_request"),
])
def test_import_bad_files(world: World, files: dict[str, Any], code: str) -> None:
    sofia = bearer(world, "sofia")
    before = world.size()
    assert_error_shape(sofia.post(f"{P}/imports", files=files), 400, code)
    assert world.size() == before


def register_one(world: World, **changes: Any) -> str:
    response = bearer(world, "sofia").post(f"{P}/persons", json=person_json(**changes))
    assert response.status_code == 201, response.text
    return str(response.json()["person_id"])


def test_departure_starts_the_cooling_off_period(world: World) -> None:
    sofia = bearer(world, "sofia")
    person = register_one(world, secrecy_level="core")
    on = (date.today() - timedelta(days=3)).isoformat()
    assert_error_shape(sofia.post(f"{P}/persons/{person}/departure", json={"departed_on": "2999-01-01"}), 400)
    assert_error_shape(sofia.post(f"{P}/persons/{person}/departure", json={"departed_on": on, "reason": "bored"}),
                       400, "invalid_request")
    assert_error_shape(sofia.post(f"{P}/persons/{person}/departure", json={"departed_on": "2001-01-01"}), 400)
    body = sofia.post(f"{P}/persons/{person}/departure", json={"departed_on": on}).json()
    assert body["cooling_off_until"] > on
    detail = sofia.get(f"{P}/persons/{person}").json()
    assert detail["person"]["status"] == "departed" and detail["person"]["cooling_off_until"] == body[
        "cooling_off_until"]
    assert_error_shape(sofia.post(f"{P}/persons/{person}/departure", json={"departed_on": on}), 409, "conflict")
    assert_error_shape(bearer(world, "gwen").post(f"{P}/persons/{person}/departure", json={"departed_on": on}), 403)


def test_access_grants_replace_the_previous(world: World) -> None:
    sofia = bearer(world, "sofia")
    person = register_one(world)
    body = sofia.post(f"{P}/persons/{person}/access",
                      json={"technologies": ["RE-TECH-MAG-02"], "documents": ["DOC-9", "DOC-9"]}).json()
    assert body["documents"] == ["DOC-9"]
    detail = sofia.get(f"{P}/persons/{person}").json()
    assert (detail["technologies"], detail["documents"]) == (["RE-TECH-MAG-02"], ["DOC-9"])
    bad = assert_error_shape(sofia.post(f"{P}/persons/{person}/access", json={"documents": ["no spaces"]}), 400)
    assert bad["errors"][0]["location"] == "documents"
    assert_error_shape(sofia.post(f"{P}/persons/{person}/access", json={"documents": "DOC-1"}), 400)
    assert_error_shape(sofia.post(f"{P}/persons/P-0000/access", json={}), 404)


def test_national_aggregation_counts_the_visible_tenants(world: World) -> None:
    body = bearer(world, "reg.officer").get(f"{P}/registry/national").json()
    assert body["total"] >= 2 and body["by_province"].get("Inner Mongolia") == body["total"]
    assert "Jiangxi" not in body["by_province"]
    assert list(body["by_secrecy_level"]) == ["core", "important", "general"]
    assert body["by_expertise"]["mining"] >= 1
    assert [e["enterprise_id"] for e in body["top_enterprises"]] == ["NM-BAOTOU-01"]
    group_b = bearer(world, "greg").get(f"{P}/persons").json()["total"]
    assert group_b >= 1  # group-b has staff, which the regulator's counts leave out
    assert_error_shape(bearer(world, "sofia").get(f"{P}/registry/national"), 403, "forbidden")
    assert_error_shape(bearer(world, "reg.officer").get(f"{P}/registry/national?top=0"), 400)

