"""The personnel registry on every backend: registration, access grants, departures, person facts, privacy."""

from __future__ import annotations

import json
from datetime import date, timedelta
from typing import Any

import pytest
from personnel_people import (
    NORTH,
    SOUTH,
    TODAY,
    form,
    log_text,
    projection_text,
    register,
    resident_id,
    state,
    wrong_check_digit,
)
from sqlalchemy import select

from reetrace.container import Container
from reetrace.domains.personnel.models import Caller
from reetrace.domains.personnel.policy import TravelPolicy
from reetrace.domains.personnel.queries import person_facts
from reetrace.domains.personnel.service import record_departure, register_person, set_access
from reetrace.domains.personnel.tables import name_keys, person_access, person_expertise, persons
from reetrace.errors import Error
from reetrace.storage.engine import read_transaction, write_transaction
from reetrace.storage.replay import replay
from support.logdb import stored_entries


def _row(container: Container, person_id: str) -> Any:
    with read_transaction(container.engine) as conn:
        return conn.execute(select(persons).where(persons.c.person_id == person_id)).one()


def test_a_registered_person_is_on_the_log_as_commitments_and_in_the_tables(world: Container) -> None:
    number = resident_id()
    done = register(world, resident_id=number)
    row = _row(world, done.person_id)
    assert (row.tenant, row.enterprise_id, row.province, row.secrecy_level, row.status) == (
        "group-north", "ENT-N1", "Inner Mongolia", "core", "employed")
    assert row.subject_id == done.subject_id and row.resident_id_commitment.startswith("hmac-sha256:")
    with read_transaction(world.engine) as conn:
        fields = set(conn.execute(select(person_expertise.c.field).where(
            person_expertise.c.person_id == done.person_id)).scalars())
        grants = set(conn.execute(select(person_access.c.kind, person_access.c.ref).where(
            person_access.c.person_id == done.person_id)).tuples())
        keys = list(conn.execute(select(name_keys.c.kinds).where(name_keys.c.person_id == done.person_id)).scalars())
    assert fields == {"solvent_extraction", "analysis"}
    assert grants == {("technology", "RE-TECH-SX-01"), ("document", "DOC-0001"), ("document", "DOC-0002")}
    assert len(keys) >= 5 and "h" in keys
    body = json.loads(stored_entries(world.engine)[done.entry_idx][1])["body"]
    with world.unit_of_work() as (_, vault):
        assert vault.reveal(done.subject_id, "resident_id") == number
        assert vault.reveal(done.subject_id, "name_zh") == "张伟"
        vault.verify(done.subject_id, "name_latin", "Zhang Wei", body["name_latin"])
        vault.verify(done.subject_id, "education", form().education, body["education"])


def test_personal_values_are_neither_on_the_log_nor_in_the_tables(world: Container) -> None:
    number = resident_id()
    register(world, resident_id=number, name_zh="欧阳小平", name_latin="Ouyang Xiaoping",
             education="MSc Baotou 2001", research_history="Sm-Co magnets", publications="CN1099999B")
    secrets = [number, "欧阳小平", "Ouyang", "ouyang", "xiaoping", "MSc Baotou 2001", "Sm-Co magnets", "CN1099999B",
               number[6:14]]
    everything = log_text(world) + projection_text(world)
    assert [s for s in secrets if s in everything] == []


def test_cooling_off_comes_from_the_policy_and_the_facts_follow(world: Container) -> None:
    core = register(world)
    general = register(world, secrecy_level="general", post="Lab technician")
    policy = TravelPolicy.default()
    with world.unit_of_work() as (uow, _):
        record_departure(uow, NORTH, core.person_id, date(2026, 1, 15), "resigned", policy=policy, today=TODAY)
        record_departure(uow, NORTH, general.person_id, date(2026, 1, 15), "retired", policy=policy, today=TODAY)
    with read_transaction(world.engine) as conn:
        facts = person_facts(conn, core.person_id)
        other = person_facts(conn, general.person_id)
        assert person_facts(conn, "P-NOBODY") is None
    assert facts is not None and other is not None
    assert facts.status == "departed" and facts.departed_on == date(2026, 1, 15)
    assert facts.cooling_off_until == date(2026, 1, 15) + timedelta(days=policy.cooling_off_days("core"))
    assert other.cooling_off_until == date(2026, 1, 15) + timedelta(days=policy.cooling_off_days("general"))
    assert facts.in_cooling_off(TODAY) and not facts.watch_listed
    assert (facts.tenant, facts.enterprise_id, facts.secrecy_level, facts.subject_id) == (
        "group-north", "ENT-N1", "core", core.subject_id)
    entry = json.loads(stored_entries(world.engine)[-2][1])
    assert entry["kind"] == "personnel.person.departed"
    assert entry["body"]["policy_digest"] == policy.digest and entry["body"]["cooling_off_days"] == 1095


def test_access_grants_are_replaced_as_a_whole(world: Container) -> None:
    done = register(world)
    with world.unit_of_work() as (uow, _):
        set_access(uow, NORTH, done.person_id, ["RE-TECH-MAG-02"], ["DOC-0009", "DOC-0009"])
    with read_transaction(world.engine) as conn:
        grants = set(conn.execute(select(person_access.c.kind, person_access.c.ref).where(
            person_access.c.person_id == done.person_id)).tuples())
    assert grants == {("technology", "RE-TECH-MAG-02"), ("document", "DOC-0009")}


BAD_FORMS: dict[str, tuple[dict[str, Any], str, str]] = {
    "unknown nationality": ({"nationality": "XQ"}, "nationality", "unknown nationality 'XQ'"),
    "unknown expertise": ({"expertise": ("mining", "alchemy")}, "expertise", "unknown expertise 'alchemy'"),
    "unknown secrecy level": ({"secrecy_level": "top"}, "secrecy_level", "unknown secrecy level 'top'"),
    "hired before 16": ({"hired_on": date(1990, 1, 1)}, "hired_on", "before the person turned 16"),
    "hired in the future": ({"hired_on": date(2027, 1, 1)}, "hired_on", "is in the future"),
    "departed before hired": ({"departed_on": date(2009, 1, 1)}, "departed_on",
                              "departed_on 2009-01-01 is before hired_on 2010-03-01"),
    "no name": ({"name_zh": "", "name_latin": ""}, "name_zh", "a name is needed"),
    "latin in the Han field": ({"name_zh": "Zhang"}, "name_zh", "Chinese characters"),
    "bad technology id": ({"technologies": ("two words",)}, "technologies", "is not an identifier"),
    "short resident id": ({"resident_id": "15020319800517"}, "resident_id", "must be 18 characters, got 14"),
}


@pytest.mark.parametrize("case", sorted(BAD_FORMS))
def test_bad_input_is_refused_naming_the_field_and_nothing_is_written(world: Container, case: str) -> None:
    changes, field, message = BAD_FORMS[case]
    before = state(world)
    with pytest.raises(Error) as caught, world.unit_of_work() as (uow, vault):
        register_person(uow, vault, NORTH, form(**changes), today=TODAY)
    assert caught.value.http_status == 400
    assert [d.location for d in caught.value.details] == [field], caught.value.details
    assert message in caught.value.details[0].message
    assert state(world) == before


def test_a_wrong_check_digit_says_which_and_what_was_expected(world: Container) -> None:
    bad, wrong, expected = wrong_check_digit(resident_id())
    before = state(world)
    with pytest.raises(Error) as caught, world.unit_of_work() as (uow, vault):
        register_person(uow, vault, NORTH, form(resident_id=bad), today=TODAY)
    assert caught.value.details[0].as_dict() == {"location": "resident_id",
                                                 "message": f"check digit is {wrong}, expected {expected}"}
    assert state(world) == before


def test_a_duplicate_person_is_refused_with_the_registered_id(world: Container) -> None:
    number = resident_id()
    first = register(world, resident_id=number)
    before = state(world)
    for caller, enterprise_id in ((NORTH, "ENT-N2"), (SOUTH, "ENT-S1")):  # also from another tenant
        with pytest.raises(Error) as caught, world.unit_of_work() as (uow, vault):
            register_person(uow, vault, caller, form(resident_id=number.lower(), enterprise_id=enterprise_id),
                            today=TODAY)
        assert caught.value.http_status == 409 and caught.value.code == "duplicate"
        assert caught.value.message == f"duplicate person: resident id already registered as {first.person_id}"
    assert state(world) == before


def test_the_employer_must_be_in_the_callers_tenant(world: Container) -> None:
    before = state(world)
    for caller, enterprise_id in ((SOUTH, "ENT-N1"), (NORTH, "ENT-NONE")):
        with pytest.raises(Error) as caught, world.unit_of_work() as (uow, vault):
            register_person(uow, vault, caller, form(enterprise_id=enterprise_id), today=TODAY)
        assert caught.value.http_status == 404
        assert caught.value.details[0].location == "enterprise_id"
    assert state(world) == before


def test_departures_refuse_bad_dates_twice_and_other_tenants(world: Container) -> None:
    done = register(world)
    before = state(world)
    cases: list[tuple[Caller, date, str, int, str]] = [
        (NORTH, date(2009, 12, 31), "resigned", 400, "departed_on 2009-12-31 is before hired_on 2010-03-01"),
        (NORTH, date(2027, 1, 1), "resigned", 400, "departed_on 2027-01-01 is in the future"),
        (NORTH, date(2026, 1, 1), "eloped", 400, "unknown reason 'eloped'"),
        (SOUTH, date(2026, 1, 1), "resigned", 404, f"no person '{done.person_id}'"),
    ]
    for caller, on, reason, status, message in cases:
        with pytest.raises(Error) as caught, world.unit_of_work() as (uow, _):
            record_departure(uow, caller, done.person_id, on, reason, today=TODAY)
        assert caught.value.http_status == status
        assert message in caught.value.message
    assert state(world) == before
    with world.unit_of_work() as (uow, _):
        record_departure(uow, NORTH, done.person_id, date(2026, 1, 1), today=TODAY)
    with pytest.raises(Error) as caught, world.unit_of_work() as (uow, _):
        record_departure(uow, NORTH, done.person_id, date(2026, 2, 1), today=TODAY)
    assert caught.value.http_status == 409 and "already departed on 2026-01-01" in caught.value.message


def test_replay_rebuilds_the_personnel_tables_exactly(world: Container) -> None:
    from reetrace.domains.personnel.service import report_employment, watch_person, watch_post

    first = register(world)
    register(world, SOUTH, enterprise_id="ENT-S1", name_zh="李娜", name_latin="Li Na")
    with world.unit_of_work() as (uow, _):
        set_access(uow, NORTH, first.person_id, ["RE-TECH-X"], [])
        watch_person(uow, NORTH, first.person_id, "holds the cascade design", today=TODAY)
        watch_post(uow, NORTH, "ENT-N2", "Plant director", "sensitive post", today=TODAY)
        record_departure(uow, NORTH, first.person_id, date(2026, 6, 1), today=TODAY)
        report_employment(uow, NORTH, first.person_id, "Foreign Magnetics Ltd", "JP", date(2026, 9, 1))
    with write_transaction(world.engine) as conn:
        report = replay(conn, world.kinds)
    assert report.differences == 0, [t for t in report.tables if t.count]
    assert {t.table for t in report.tables} >= {"personnel_persons", "personnel_name_keys", "personnel_watchlist",
                                                 "personnel_employment", "alerts"}


def test_bad_access_grants_are_refused_and_nothing_is_written(world: Container) -> None:
    done = register(world)
    before = state(world)
    for caller, technologies, status, location in ((NORTH, ["ok", "not ok"], 400, "technologies"),
                                                   (SOUTH, ["ok"], 404, "")):
        with pytest.raises(Error) as caught, world.unit_of_work() as (uow, _):
            set_access(uow, caller, done.person_id, technologies, [])
        assert caught.value.http_status == status
        assert [d.location for d in caught.value.details] == ([location] if location else [])
    assert state(world) == before
