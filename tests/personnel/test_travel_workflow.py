"""Travel requests end to end on every backend: the policy's decision at submission, approvals level by level,
refusals, and bad input that stores nothing."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date

import pytest
from sqlalchemy import func, select

from reetrace.container import Container
from reetrace.domains.alerts import open_alerts
from reetrace.domains.personnel.travel import (
    act_on_request,
    cancel_request,
    get_request,
    list_requests,
    policy_text,
    reveal_declarations,
)
from reetrace.domains.personnel.travel_models import FamilyTie, ForeignContact
from reetrace.domains.personnel.travel_tables import travel_policies
from reetrace.errors import Error
from reetrace.storage.engine import read_transaction
from reetrace.storage.tables import log_entries
from support.logdb import snapshot
from support.travel_world import POLICY, TODAY, World, acting, build_world

E, G, A = "enterprise", "group", "authority"


@pytest.fixture
def world(container: Container) -> Iterator[World]:
    yield build_world(container)


def _entries(world: World, kind: str) -> list[dict[str, object]]:
    with read_transaction(world.container.engine) as conn:
        rows = conn.execute(select(log_entries.c.entry).where(log_entries.c.kind == kind)
                            .order_by(log_entries.c.idx)).scalars().all()
    return [json.loads(bytes(r)) for r in rows]


# (secrecy level, watch-listed, destinations, purpose) -> (chain, tier, rule); then who acts, level by level
WORKFLOWS: list[tuple[str, str, bool, tuple[str, ...], str, tuple[str, ...], str, str, list[str]]] = [
    ("one level", "general", False, ("ES",), "tourism", (E,), "1", "default", ["officer.n"]),
    ("two levels, Hong Kong", "general", False, ("HK",), "business", (E, G), "2", "tier2",
     ["officer.n", "group.n"]),
    ("two levels, group endorsed by the holding", "general", False, ("HK",), "business", (E, G), "2", "tier2",
     ["officer.n", "holding.sec"]),
    ("three levels, core personnel", "core", False, ("JP",), "conference", (E, G, A), "2", "tier2-core",
     ["officer.n", "group.n", "mofcom.li"]),
    ("three levels, watch-listed", "general", True, ("ES",), "family", (E, G, A), "1", "watch-listed",
     ["officer.n2", "holding.sec", "mofcom.wang"]),
    ("three levels, tier 3", "general", False, ("SY",), "conference", (E, G, A), "3", "tier3-authority",
     ["officer.n", "group.n", "mofcom.li"]),
]


@pytest.mark.parametrize(("level", "watch", "dests", "purpose", "chain", "tier", "rule", "actors"),
                         [w[1:] for w in WORKFLOWS], ids=[w[0] for w in WORKFLOWS])
def test_approval_chain_walked_level_by_level(world: World, level: str, watch: bool, dests: tuple[str, ...],
                                              purpose: str, chain: tuple[str, ...], tier: str, rule: str,
                                              actors: list[str]) -> None:
    person = world.person(level)
    if watch:
        world.watch(person)
    request = world.submit(person, dests, purpose=purpose)
    assert (request.status, request.chain, request.tier, request.rule_id) == ("pending", chain, tier, rule)
    assert request.next_level == chain[0]
    for n, username in enumerate(actors):
        request = world.act(username, request.request_id, "approve", "fine")
        if n + 1 < len(chain):
            assert (request.status, request.next_level) == ("pending", chain[n + 1])
        else:
            assert (request.status, request.next_level) == ("approved", None)
    assert [(s.step, s.level, s.username, s.decision) for s in request.steps] == [
        (n + 1, lvl, who, "approve") for n, (lvl, who) in enumerate(zip(chain, actors, strict=True))]
    acted = _entries(world, "personnel.travel.acted")
    assert [e["body"]["level"] for e in acted] == list(chain)  # type: ignore[index]
    assert acted[-1]["body"]["status"] == "approved"  # type: ignore[index]


# at the given level, who may not act and why (the error code is always wrong_level)
WRONG_LEVEL: list[tuple[str, tuple[str, ...], int, str]] = [
    ("group officer at the enterprise level (no approve permission)", ("HK",), 0, "group.n"),
    ("authority at the enterprise level", ("HK",), 0, "mofcom.li"),
    ("enterprise officer of another tenant", ("HK",), 0, "officer.s"),
    ("enterprise officer at the group level (no endorse permission)", ("HK",), 1, "officer.n2"),
    ("group officer of an unrelated group", ("HK",), 1, "group.s"),
    ("group officer at the authority level", ("JP",), 2, "holding.sec"),
    ("viewer", ("HK",), 0, "viewer.n"),
]


@pytest.mark.parametrize(("dests", "position", "who"), [w[1:] for w in WRONG_LEVEL],
                         ids=[w[0] for w in WRONG_LEVEL])
def test_wrong_level_approver_is_refused(world: World, dests: tuple[str, ...], position: int, who: str) -> None:
    request = world.submit(world.person("core"), dests, purpose="conference")
    walkers = ["officer.n", "group.n", "mofcom.li"]
    for username in walkers[:position]:
        request = world.act(username, request.request_id)
    before = snapshot(world.container.engine)
    with pytest.raises(Error) as info:
        world.act(who, request.request_id)
    assert (info.value.code, info.value.http_status) == ("wrong_level", 403)
    assert request.next_level is not None and request.next_level in info.value.message
    assert snapshot(world.container.engine) == before


def test_authority_of_another_jurisdiction_is_refused(world: World) -> None:
    request = world.submit(world.person("core"), ("JP",), purpose="conference")
    for username in ("officer.n", "group.n"):
        request = world.act(username, request.request_id)
    stranger = acting("other.authority", "samr", "authority", "personnel:travel:authorise")
    with world.container.unit_of_work() as (uow, _), pytest.raises(Error) as info:
        act_on_request(uow, stranger, request.request_id, "approve")
    assert info.value.code == "wrong_level"
    assert "authority supervising group-north" in info.value.message


def test_same_user_cannot_act_twice(world: World) -> None:
    request = world.submit(world.person(), ("HK",))
    both = acting("officer.both", "group-north", "group", "personnel:travel:approve", "personnel:travel:endorse")
    with world.container.unit_of_work() as (uow, _):
        request = act_on_request(uow, both, request.request_id, "approve")
    assert request.next_level == G
    with world.container.unit_of_work() as (uow, _), pytest.raises(Error) as info:
        act_on_request(uow, both, request.request_id, "approve")
    assert (info.value.code, info.value.http_status) == ("already_acted", 409)
    assert "step 1, enterprise level" in info.value.message
    request = world.act("group.n", request.request_id)
    assert request.status == "approved"


def test_a_refusal_ends_the_request(world: World) -> None:
    request = world.submit(world.person(), ("HK",))
    request = world.act("officer.n", request.request_id)
    with pytest.raises(Error) as info:
        world.act("group.n", request.request_id, "refuse", "  ")
    assert info.value.code == "reason_required"
    request = world.act("group.n", request.request_id, "refuse", "the inviting firm is on the party list")
    assert (request.status, request.next_level) == ("refused", None)
    assert request.steps[-1].reason == "the inviting firm is on the party list"
    with pytest.raises(Error) as info:
        world.act("holding.sec", request.request_id)
    assert (info.value.code, info.value.http_status) == ("not_pending", 409)


def test_unknown_decision_is_refused(world: World) -> None:
    request = world.submit(world.person(), ("ES",), purpose="tourism")
    with pytest.raises(Error) as info:
        world.act("officer.n", request.request_id, "maybe")
    assert info.value.details[0].location == "decision"


def test_policy_refusal_is_recorded_at_submission(world: World) -> None:
    request = world.submit(world.person(), ("SY",), purpose="tourism")
    assert (request.status, request.chain, request.next_level) == ("refused", (), None)
    assert (request.tier, request.rule_id) == ("3", "refuse-tier3")
    assert any("tier 3 destinations are open only" in r for r in request.reasons)
    with pytest.raises(Error) as info:
        world.act("officer.n", request.request_id)
    assert info.value.code == "not_pending"
    [entry] = _entries(world, "personnel.travel.requested")
    body = entry["body"]
    assert isinstance(body, dict)
    assert body["status"] == "refused"
    assert body["decision"]["outcome"] == "refuse"


def test_decision_points_at_the_published_policy(world: World) -> None:
    first = world.submit(world.person(), ("HK",))
    second = world.submit(world.person("core"), ("ES",), purpose="tourism")
    [published] = _entries(world, "personnel.policy.published")  # once per digest
    body = published["body"]
    assert isinstance(body, dict)
    assert (body["digest"], body["version"]) == (POLICY.digest, POLICY.version)
    assert body["policy"] == policy_text(POLICY)
    requested = _entries(world, "personnel.travel.requested")
    for view, entry in zip((first, second), requested, strict=True):
        decision = entry["body"]["decision"]  # type: ignore[index]
        assert (decision["policy_digest"], decision["policy_version"]) == (POLICY.digest, POLICY.version)
        assert decision["policy_entry"] == view.policy_entry
        assert decision["chain"] == list(view.chain) and decision["rule_id"] == view.rule_id
        assert decision["reasons"] and decision["facts"]["secrecy_level"] in ("general", "core")
    with read_transaction(world.container.engine) as conn:
        row = conn.execute(select(travel_policies)).one()
        idx = conn.execute(select(log_entries.c.idx).where(
            log_entries.c.kind == "personnel.policy.published")).scalar_one()
    assert row.digest == POLICY.digest and int(row.entry_idx) == idx == first.policy_entry


def test_declarations_are_sealed_in_the_vault(world: World) -> None:
    person = world.person()
    request = world.submit(person, ("JP",), purpose="conference", inviting_organisation="Tokyo Magnet Society",
                           foreign_contacts=(ForeignContact(name="Tanaka Hiroshi", organisation="Magnetics KK",
                                                            country="JP"),),
                           family_foreign_ties=(FamilyTie(relation="daughter", country="CA", kind="residence"),))
    raw = b"".join(bytes(e) for e in _raw_log(world))
    assert b"Tanaka" not in raw and b"daughter" not in raw
    with world.container.unit_of_work() as (_, vault):
        revealed = reveal_declarations(vault, request)
    assert revealed["foreign_contacts"][0]["name"] == "Tanaka Hiroshi"
    assert revealed["family_foreign_ties"] == [{"relation": "daughter", "country": "CA", "kind": "residence",
                                                "name": ""}]
    assert request.inviting_organisation == "Tokyo Magnet Society"


def _raw_log(world: World) -> list[bytes]:
    with read_transaction(world.container.engine) as conn:
        return [bytes(e) for e in conn.execute(select(log_entries.c.entry)).scalars()]


def _log_size(world: World) -> int:
    with read_transaction(world.container.engine) as conn:
        return int(conn.execute(select(func.count()).select_from(log_entries)).scalar_one())


BAD: list[tuple[str, dict[str, object], str, str]] = [
    ("dates out of order", {"depart_on": date(2026, 9, 20), "return_on": date(2026, 9, 12)}, "dates_out_of_order",
     "return_on"),
    ("departure in the past", {"depart_on": date(2026, 8, 20), "return_on": date(2026, 9, 12)}, "date_in_past",
     "depart_on"),
    ("unknown destination code", {"destinations": ("JP", "XX")}, "unknown_country", "destinations[1]"),
    ("not a code at all", {"destinations": ("Japan",)}, "unknown_country", "destinations[0]"),
    ("home country", {"destinations": ("CN",)}, "invalid", "destinations[0]"),
    ("unknown purpose", {"purpose": "shopping"}, "unknown_purpose", "purpose"),
]


@pytest.mark.parametrize(("changes", "code", "location"), [b[1:] for b in BAD], ids=[b[0] for b in BAD])
def test_bad_request_names_the_field_and_stores_nothing(world: World, changes: dict[str, object], code: str,
                                                       location: str) -> None:
    person = world.person()
    before = snapshot(world.container.engine)
    with pytest.raises(Error) as info:
        world.submit(person, **changes)  # type: ignore[arg-type]
    assert info.value.code == code
    assert location in [d.location for d in info.value.details]
    assert snapshot(world.container.engine) == before


def test_unknown_person_and_foreign_tenant(world: World) -> None:
    with pytest.raises(Error) as info:
        world.submit("P-NOBODY")
    assert info.value.http_status == 404
    person = world.person(enterprise_id="ENT-S1")
    from reetrace.domains.personnel.travel import submit_request
    from reetrace.domains.personnel.travel_models import TravelRequestInput

    form = TravelRequestInput(person_id=person, destinations=("HK",), depart_on=date(2026, 9, 10),
                              return_on=date(2026, 9, 12), purpose="business")
    with world.container.unit_of_work() as (uow, vault), pytest.raises(Error) as info:
        submit_request(uow, vault, "officer.n", form, policy=POLICY, today=TODAY, tenants={"group-north"})
    assert info.value.http_status == 404


def test_previous_trips_come_from_reetraces_own_records(world: World) -> None:
    person = world.person()
    spring = world.submit(person, ("ES",), depart_on=date(2026, 3, 2), return_on=date(2026, 3, 8),
                          purpose="tourism", today=date(2026, 2, 1))
    world.approve_all(spring)
    refused = world.submit(person, ("SY",), depart_on=date(2026, 4, 2), return_on=date(2026, 4, 8),
                           purpose="tourism", today=date(2026, 2, 1))
    assert refused.status == "refused"
    old = world.submit(person, ("JP",), depart_on=date(2025, 6, 2), return_on=date(2025, 6, 8),
                       purpose="conference", today=date(2025, 5, 1))
    world.approve_all(old)
    request = world.submit(person, ("HK",))
    assert [(t.request_id, t.destinations, t.depart_on) for t in request.previous_trips] == [
        (spring.request_id, ("ES",), date(2026, 3, 2))]


def test_cooling_off_travel_needs_the_authority_and_alerts(world: World) -> None:
    person = world.person("important")
    world.depart(person, date(2026, 6, 30))
    request = world.submit(person, ("ES",), purpose="family")
    assert (request.rule_id, request.chain) == ("cooling-off", (E, G, A))
    with read_transaction(world.container.engine) as conn:
        [alert] = open_alerts(conn, kind="personnel.cooling_off.travel")
    assert alert.subject == person and alert.evidence["request_id"] == request.request_id
    assert alert.tenant == "group-north" and alert.severity == "high"


def test_cancel_and_list(world: World) -> None:
    person = world.person()
    a = world.submit(person, ("HK",))
    b = world.submit(person, ("ES",), purpose="tourism", depart_on=date(2026, 10, 20), return_on=date(2026, 10, 25))
    with world.container.unit_of_work() as (uow, _), pytest.raises(Error) as info:
        cancel_request(uow, "officer.n", a.request_id, "")
    assert info.value.code == "reason_required"
    with world.container.unit_of_work() as (uow, _):
        cancelled = cancel_request(uow, "officer.n", a.request_id, "conference postponed")
    assert cancelled.status == "cancelled"
    with world.container.unit_of_work() as (uow, _), pytest.raises(Error) as info:
        cancel_request(uow, "officer.n", a.request_id, "again")
    assert info.value.code == "not_cancellable"
    with read_transaction(world.container.engine) as conn:
        assert [r.request_id for r in list_requests(conn, status="pending")] == [b.request_id]
        assert {r.request_id for r in list_requests(conn, person_id=person)} == {a.request_id, b.request_id}
        assert [r.request_id for r in list_requests(conn, status="pending", next_level=E)] == [b.request_id]
        assert get_request(conn, "travel-none") is None
    assert _log_size(world) > 0


def test_a_departed_person_after_cooling_off_is_a_warning_not_a_cooling_off_rule(world: World) -> None:
    person = world.person("general")  # 365 days of cooling-off
    world.depart(person, date(2025, 6, 1))
    request = world.submit(person, ("ES",), purpose="tourism")
    assert request.rule_id == "default"  # the policy does not see a cooling-off period
    with read_transaction(world.container.engine) as conn:
        [alert] = open_alerts(conn, kind="personnel.cooling_off.travel")
    assert alert.severity == "warning" and "left the enterprise on 2025-06-01" in alert.message


def test_tenant_scope_hides_other_tenants_requests(world: World) -> None:
    from reetrace.authz.scope import ScopedReader

    north = world.submit(world.person(), ("HK",))
    south = world.submit(world.person(enterprise_id="ENT-S1"), ("HK",))
    world.act("officer.s", south.request_id)
    with read_transaction(world.container.engine) as conn:
        for username, visible in (("officer.n", {north.request_id}), ("officer.s", {south.request_id}),
                                  ("mofcom.li", {north.request_id, south.request_id})):
            reader = ScopedReader(conn, world.principal(username).scope)
            assert {r.request_id for r in list_requests(reader)} == visible, username
        reader = ScopedReader(conn, world.principal("officer.n").scope)
        assert get_request(reader, south.request_id) is None
        mine = get_request(reader, north.request_id)
    assert mine is not None and mine.policy_digest == POLICY.digest
