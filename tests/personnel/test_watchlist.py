"""The watch list on every backend: persons and posts, employment during cooling-off, staff-list and name checks."""

from __future__ import annotations

from datetime import date

import pytest
from personnel_people import NORTH, SOUTH, TODAY, log_text, projection_text, register, state
from sqlalchemy import select

from reetrace.authz.scope import ScopedReader, TenantScope
from reetrace.container import Container
from reetrace.domains.alerts import get_alert, open_alerts
from reetrace.domains.personnel.matching import check_staff_list, match_analyst_name
from reetrace.domains.personnel.models import StaffName
from reetrace.domains.personnel.queries import person_facts, watchlist_entries
from reetrace.domains.personnel.service import record_departure, report_employment, unwatch, watch_person, watch_post
from reetrace.domains.personnel.tables import staff_checks
from reetrace.errors import Error
from reetrace.storage.engine import read_transaction


def _facts_listed(container: Container, person_id: str) -> bool:
    with read_transaction(container.engine) as conn:
        facts = person_facts(conn, person_id)
    assert facts is not None
    return facts.watch_listed


def test_persons_and_posts_go_on_and_off_the_watch_list(world: Container) -> None:
    person = register(world)
    holder = register(world, enterprise_id="ENT-N2", post="Plant  Director", name_zh="王芳", name_latin="Wang Fang")
    assert not _facts_listed(world, person.person_id) and not _facts_listed(world, holder.person_id)
    with world.unit_of_work() as (uow, _):
        entry = watch_person(uow, NORTH, person.person_id, "designed the Pr/Nd cascade", today=TODAY)
        post = watch_post(uow, NORTH, "ENT-N2", "plant director", "sensitive post", today=TODAY)
    assert _facts_listed(world, person.person_id) and _facts_listed(world, holder.person_id)
    with read_transaction(world.engine) as conn:
        assert {e.entry_id for e in watchlist_entries(conn)} == {entry, post}
        assert watchlist_entries(ScopedReader(conn, TenantScope(frozenset({"group-south"})))) == []
    with world.unit_of_work() as (uow, _):
        unwatch(uow, NORTH, post, "post abolished", today=TODAY)
    assert not _facts_listed(world, holder.person_id) and _facts_listed(world, person.person_id)


def test_watch_list_conflicts_and_bad_input_write_nothing(world: Container) -> None:
    person = register(world)
    with world.unit_of_work() as (uow, _):
        entry = watch_person(uow, NORTH, person.person_id, "reason", today=TODAY)
    before = state(world)
    attempts = [
        (lambda uow: watch_person(uow, NORTH, person.person_id, "again", today=TODAY), 409),
        (lambda uow: watch_person(uow, SOUTH, person.person_id, "not mine", today=TODAY), 404),
        (lambda uow: watch_person(uow, NORTH, "P-NOBODY", "nobody", today=TODAY), 404),
        (lambda uow: watch_post(uow, NORTH, "ENT-N1", "  ", "empty post", today=TODAY), 400),
        (lambda uow: watch_post(uow, NORTH, "ENT-S1", "Director", "other tenant", today=TODAY), 404),
        (lambda uow: watch_post(uow, NORTH, "ENT-N1", "Director", " ", today=TODAY), 400),
        (lambda uow: watch_post(uow, NORTH, "ENT-N1", "Director", "x", date(2027, 1, 1), today=TODAY), 400),
        (lambda uow: unwatch(uow, NORTH, entry, "x", date(2020, 1, 1), today=TODAY), 400),
        (lambda uow: unwatch(uow, SOUTH, entry, "not mine", today=TODAY), 404),
    ]
    for attempt, status in attempts:
        with pytest.raises(Error) as caught, world.unit_of_work() as (uow, _):
            attempt(uow)
        assert caught.value.http_status == status, caught.value
    assert state(world) == before


def test_foreign_employment_during_cooling_off_raises_an_alert_with_evidence(world: Container) -> None:
    person = register(world)
    with world.unit_of_work() as (uow, _):
        record_departure(uow, NORTH, person.person_id, date(2025, 6, 30), today=TODAY)
        home = report_employment(uow, NORTH, person.person_id, "Ganzhou Rare Earth", "CN", date(2025, 9, 1))
        abroad = report_employment(uow, NORTH, person.person_id, "Pacific  Magnet Corp", "us", date(2026, 3, 1))
        again = report_employment(uow, NORTH, person.person_id, "Pacific Magnet Corp", "US", date(2026, 3, 1))
    assert home.alert_id is None and again.alert_id is None and abroad.alert_id is not None
    with read_transaction(world.engine) as conn:
        alert = get_alert(conn, abroad.alert_id)
    assert alert is not None
    assert (alert.kind, alert.severity, alert.subject, alert.tenant) == (
        "personnel.cooling_off.employment", "high", person.person_id, "group-north")
    assert alert.evidence["cooling_off_until"] == "2028-06-29" and alert.evidence["country"] == "US"
    assert alert.evidence["report_entry"] == abroad.entry_idx and alert.evidence["employer"] == "Pacific Magnet Corp"


def test_employment_outside_cooling_off_or_while_employed(world: Container) -> None:
    general = register(world, secrecy_level="general")
    employed = register(world, name_zh="李娜", name_latin="Li Na")
    with world.unit_of_work() as (uow, _):
        record_departure(uow, NORTH, general.person_id, date(2020, 1, 1), today=TODAY)
        late = report_employment(uow, NORTH, general.person_id, "Foreign Co", "DE", date(2021, 6, 1))
        overlap = report_employment(uow, NORTH, employed.person_id, "Foreign Co", "DE", date(2026, 1, 1))
    assert late.alert_id is None  # a general post cools off in 365 days
    assert overlap.alert_id is not None
    with read_transaction(world.engine) as conn:
        assert [a.kind for a in open_alerts(conn)] == ["personnel.employment.overlap"]
    before = state(world)
    with pytest.raises(Error) as caught, world.unit_of_work() as (uow, _):
        report_employment(uow, NORTH, employed.person_id, " ", "XX", date(2026, 1, 1))
    assert [d.location for d in caught.value.details] == ["employer", "country"]
    assert state(world) == before


def _departed_watch_listed_engineer(world: Container) -> str:
    person = register(world)
    with world.unit_of_work() as (uow, _):
        watch_person(uow, NORTH, person.person_id, "cascade know-how", today=TODAY)
        record_departure(uow, NORTH, person.person_id, date(2026, 5, 1), today=TODAY)
    return person.person_id


STAFF = [StaffName(name_latin="Emily Carter"), StaffName(name_latin="WEI ZHANG"), StaffName(name_zh="李娜"),
         StaffName(name_latin="Hiroshi Sato")]


def test_a_departed_watch_listed_engineer_is_found_in_a_foreign_staff_list(world: Container) -> None:
    engineer = _departed_watch_listed_engineer(world)
    register(world, name_zh="张伟", name_latin="Zhang Wei", post="Driver", secrecy_level="general")  # not listed
    register(world, SOUTH, enterprise_id="ENT-S1", name_zh="李娜", name_latin="Li Na")  # another tenant
    with world.unit_of_work() as (uow, vault):
        matches = check_staff_list(uow, vault, NORTH, STAFF, "Pacific Magnet Corp", "US", today=TODAY)
    assert [(m.person_id, m.row, m.how, m.in_cooling_off, m.watch_listed) for m in matches] == [
        (engineer, 2, ("latin", "pinyin"), True, True)]
    with read_transaction(world.engine) as conn:
        alert = get_alert(conn, matches[0].alert_id or "")
        check = conn.execute(select(staff_checks)).one()
    assert alert is not None and alert.kind == "personnel.watchlist.match" and alert.severity == "high"
    assert alert.evidence["row"] == 2 and alert.evidence["organisation"] == "Pacific Magnet Corp"
    assert (check.rows, check.matches, check.country) == (4, engineer, "US")
    everything = log_text(world) + projection_text(world)
    assert "Emily" not in everything and "Hiroshi" not in everything and "WEI ZHANG" not in everything
    with world.unit_of_work() as (uow, vault):  # the same list again: the open alert is not raised twice
        again = check_staff_list(uow, vault, NORTH, STAFF, "Pacific Magnet Corp", "US", today=TODAY)
    assert [m.alert_id for m in again] == [None]


def test_the_south_group_sees_only_its_own_people(world: Container) -> None:
    _departed_watch_listed_engineer(world)
    li_na = register(world, SOUTH, enterprise_id="ENT-S1", name_zh="李娜", name_latin="Li Na")
    with world.unit_of_work() as (uow, _):
        watch_person(uow, SOUTH, li_na.person_id, "magnet line", today=TODAY)
    with world.unit_of_work() as (uow, vault):
        matches = check_staff_list(uow, vault, SOUTH, STAFF, "Pacific Magnet Corp", "US", today=TODAY)
    assert [(m.person_id, m.row, m.how, m.watch_listed) for m in matches] == [
        (li_na.person_id, 3, ("exact", "pinyin"), True)]
    assert matches[0].alert_id is not None  # an employed person in a foreign list: a warning
    with read_transaction(world.engine) as conn:
        alert = get_alert(conn, matches[0].alert_id)
    assert alert is not None and alert.severity == "warning"


def test_an_analyst_matches_names_in_either_script_within_their_scope(world: Container) -> None:
    engineer = _departed_watch_listed_engineer(world)
    with world.unit_of_work() as (_, vault), read_transaction(world.engine) as conn:
        north = ScopedReader(conn, TenantScope(frozenset({"group-north"})))
        south = ScopedReader(conn, TenantScope(frozenset({"group-south"})))
        assert [(m.person_id, m.how) for m in match_analyst_name(north, vault, "张 伟", today=TODAY)] == [
            (engineer, ("exact", "pinyin"))]
        assert [m.how for m in match_analyst_name(north, vault, "zhang-wei", today=TODAY)] == [("latin", "pinyin")]
        assert [m.how for m in match_analyst_name(north, vault, "Zhāng Wěi", today=TODAY)] == [("latin", "pinyin")]
        assert match_analyst_name(north, vault, "Zhang Min", today=TODAY) == []
        assert match_analyst_name(south, vault, "张伟", today=TODAY) == []
        with pytest.raises(Error) as caught:
            match_analyst_name(north, vault, "  ")
        assert caught.value.details[0].location == "query"


def test_a_bad_staff_list_is_refused_and_nothing_is_written(world: Container) -> None:
    _departed_watch_listed_engineer(world)
    before = state(world)
    cases = [([StaffName()], "Acme", "US", "row 1"), (STAFF, "Acme", "ZZ", "country"), ([], "Acme", "US", "rows"),
             (STAFF, " ", "US", "organisation")]
    for rows, organisation, country, location in cases:
        with pytest.raises(Error) as caught, world.unit_of_work() as (uow, vault):
            check_staff_list(uow, vault, NORTH, rows, organisation, country, today=TODAY)
        assert [d.location for d in caught.value.details] == [location]
    assert state(world) == before
