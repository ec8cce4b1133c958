"""Queries of the registry on every backend: staff lists, person detail, the national aggregation, tenant scope."""

from __future__ import annotations

from datetime import date

from personnel_people import NORTH, SOUTH, TODAY, register
from sqlalchemy import Connection

from reetrace.authz.scope import ScopedReader, TenantScope
from reetrace.container import Container
from reetrace.domains.personnel.queries import national_aggregation, person_detail, person_facts, staff_list
from reetrace.domains.personnel.service import record_departure, report_employment, watch_person, watch_post
from reetrace.storage.engine import read_transaction


def _scoped(conn: Connection, *tenants: str) -> ScopedReader:
    return ScopedReader(conn, TenantScope(frozenset(tenants)))


def _population(world: Container) -> dict[str, str]:
    ids = {
        "a": register(world, secrecy_level="core", expertise=("solvent_extraction", "analysis")).person_id,
        "b": register(world, enterprise_id="ENT-N2", secrecy_level="important", expertise=("mining",),
                      name_zh="王芳", name_latin="Wang Fang", post="Mine manager").person_id,
        "c": register(world, enterprise_id="ENT-N2", secrecy_level="general", expertise=("mining", "equipment"),
                      name_zh="李娜", name_latin="Li Na").person_id,
        "d": register(world, SOUTH, enterprise_id="ENT-S1", secrecy_level="core", expertise=("magnet_making",),
                      name_zh="陈静", name_latin="Chen Jing").person_id,
    }
    with world.unit_of_work() as (uow, _):
        record_departure(uow, NORTH, ids["c"], date(2026, 2, 1), today=TODAY)
    return ids


def test_an_enterprise_sees_its_own_staff_page_by_page(world: Container) -> None:
    ids = _population(world)
    with read_transaction(world.engine) as conn:
        north, south = _scoped(conn, "group-north"), _scoped(conn, "group-south")
        first = staff_list(north, limit=2)
        second = staff_list(north, limit=2, offset=2)
        assert first.total == 3 and len(first.persons) == 2 and len(second.persons) == 1
        assert {p.person_id for p in first.persons + second.persons} == {ids["a"], ids["b"], ids["c"]}
        assert [p.person_id for p in staff_list(south).persons] == [ids["d"]]
        assert staff_list(north, enterprise_id="ENT-S1").total == 0
        departed = staff_list(north, status="departed").persons
        assert [(p.person_id, p.departed_on, p.expertise) for p in departed] == [
            (ids["c"], date(2026, 2, 1), ("equipment", "mining"))]
        assert person_detail(south, ids["a"]) is None and person_facts(south, ids["a"]) is None


def test_person_detail_holds_commitments_grants_watch_entries_and_employment(world: Container) -> None:
    ids = _population(world)
    with world.unit_of_work() as (uow, _):
        watch_post(uow, NORTH, "ENT-N2", "mine MANAGER", "sensitive post", today=TODAY)
        watch_person(uow, NORTH, ids["a"], "cascade design", today=TODAY)
        report_employment(uow, NORTH, ids["c"], "Outback Minerals", "AU", date(2026, 4, 1))
    with read_transaction(world.engine) as conn:
        a = person_detail(_scoped(conn, "group-north"), ids["a"])
        b = person_detail(_scoped(conn, "group-north"), ids["b"])
        c = person_detail(conn, ids["c"])
    assert a is not None and b is not None and c is not None
    assert set(a.commitments) == {"name_zh", "name_latin", "resident_id", "education", "research_history",
                                  "publications"}
    assert all(v.startswith("hmac-sha256:") for v in a.commitments.values())
    assert a.technologies == ("RE-TECH-SX-01",) and a.documents == ("DOC-0001", "DOC-0002")
    assert a.watch_listed and [e.reason for e in a.watch_entries] == ["cascade design"]
    assert b.watch_listed and b.watch_entries[0].post == "mine MANAGER"  # the post, whoever holds it
    assert not c.watch_listed and [(r.employer, r.country, r.foreign, r.in_cooling_off) for r in c.employment] == [
        ("Outback Minerals", "AU", True, True)]


def test_the_national_aggregation_counts_over_the_callers_scope(world: Container) -> None:
    ids = _population(world)
    with read_transaction(world.engine) as conn:
        everyone = national_aggregation(_scoped(conn, "group-north", "group-south"), top=2)
        north = national_aggregation(_scoped(conn, "group-north"))
        nobody = national_aggregation(_scoped(conn, "customs"))
    assert everyone.total == 4 and everyone.by_status == {"employed": 3, "departed": 1}
    assert everyone.by_secrecy_level == {"core": 2, "important": 1, "general": 1}
    assert everyone.by_expertise == {"mining": 2, "analysis": 1, "equipment": 1, "magnet_making": 1,
                                     "solvent_extraction": 1}
    assert everyone.by_province == {"Jiangxi": 2, "Guangdong": 1, "Inner Mongolia": 1}
    assert [(e.enterprise_id, e.persons, e.province) for e in everyone.top_enterprises] == [
        ("ENT-N2", 2, "Jiangxi"), ("ENT-N1", 1, "Inner Mongolia")]
    assert north.total == 3 and "magnet_making" not in north.by_expertise
    assert nobody.total == 0 and nobody.top_enterprises == [] and nobody.by_secrecy_level == {
        "core": 0, "important": 0, "general": 0}
    assert ids
