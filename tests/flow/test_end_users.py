"""End users of sales: a shipment without one, and a lot sold on to another end user than its maker declared."""

from __future__ import annotations

from flow_chain import NORTH, SOUTH, chain, record, ship

from reetrace.container import Container
from reetrace.domains.flow.endusers import check_end_users
from reetrace.storage.engine import read_transaction


def issues(world: Container, tenants: frozenset[str] | None = None) -> list[tuple[str, str, str, str | None, str]]:
    with read_transaction(world.engine) as conn:
        return [(i.lot_id.rsplit(":", 1)[1], i.enterprise_id, i.party.rsplit(":", 1)[1], i.end_user, i.problem)
                for i in check_end_users(conn, tenants)]


def test_a_shipment_without_an_end_user_is_missing_one(world: Container) -> None:
    record(world, *chain())  # MAG-1: 800 kg to BUYER-X for "Wind turbine maker Y", 500 kg to BUYER-Z naming none
    assert issues(world) == [("MAG-1", "ENT-N1", "BUYER-Z", None, "missing")]


def test_a_lot_sold_on_names_an_end_user_its_maker_declared(world: Container) -> None:
    record(world, *chain()[:-1])
    assert issues(world) == []
    record(world, ship("MAG-1", 300, "BUYER-W", end_user="Wind turbine maker Y", time="2026-04-01T08:00:00+08:00"),
           enterprise="ENT-N2")  # sold on to the declared end user
    assert issues(world) == []
    record(world, ship("MAG-1", 200, "BUYER-V", end_user="Drone maker Q", time="2026-04-02T08:00:00+08:00"),
           enterprise="ENT-S1", caller=SOUTH)
    record(world, ship("MAG-1", 100, "BUYER-U", time="2026-04-03T08:00:00+08:00"), enterprise="ENT-N2")
    found = issues(world)
    assert found == [("MAG-1", "ENT-S1", "BUYER-V", "Drone maker Q", "undeclared"),
                     ("MAG-1", "ENT-N2", "BUYER-U", None, "missing")]
    with read_transaction(world.engine) as conn:
        undeclared = check_end_users(conn)[0]
    assert undeclared.declared == ("Wind turbine maker Y",)
    # the declared end users are read over all tenants; the shipments reported are the visible tenants' only
    assert issues(world, frozenset({"group-south"})) == [found[0]]
    assert issues(world, NORTH.tenants) == [found[1]]


def test_the_maker_may_sell_to_several_end_users(world: Container) -> None:
    record(world, *chain()[:-1], ship("MAG-1", 500, "BUYER-Z", end_user="Robot maker R"))
    record(world, ship("MAG-1", 100, "BUYER-T", end_user="Robot maker R", time="2026-04-01T08:00:00+08:00"),
           enterprise="ENT-N2")
    assert issues(world) == []
