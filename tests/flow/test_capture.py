"""Capture of flow events: lots, genealogy shares, mass balance, re-submission, and bad input storing nothing."""

from __future__ import annotations

import json
from typing import Any

import pytest
from flow_chain import SOUTH, chain, create, lot, master, record, ship, transform
from personnel_people import state
from sqlalchemy import select

from reetrace.container import Container
from reetrace.domains.alerts.tables import alerts
from reetrace.domains.flow import genealogy, queries
from reetrace.domains.flow.tables import balances, lots
from reetrace.errors import Error
from reetrace.storage.engine import read_transaction


def test_chain_is_stored_with_lots_and_balances(world: Container) -> None:
    report = record(world, *chain())
    assert (report.events, report.stored, report.duplicates, report.alerts) == (7, 7, 0, ())
    with read_transaction(world.engine) as conn:
        rows = {r.lot_id: r for r in conn.execute(select(lots))}
        mix = conn.execute(select(balances).where(balances.c.process_step == "cracking")).all()
    assert set(rows) == {lot(n) for n in ("CONC-A", "CONC-B", "MIX-1", "DY-1", "ND-1", "MAG-1")}
    assert rows[lot("DY-1")].element == "Dy" and rows[lot("MAG-1")].quantity_kg == 1300
    by_element = {b.element: b for b in mix}
    assert by_element["Nd"].in_kg == pytest.approx(420) and by_element["Nd"].out_kg == pytest.approx(411.6)
    assert by_element["Dy"].in_kg == pytest.approx(80) and all(b.within for b in mix)


def test_resubmission_is_recognised_not_stored_twice(world: Container) -> None:
    record(world, *chain())
    before = state(world)
    again = record(world, *chain())
    assert (again.stored, again.duplicates) == (0, 7)
    assert state(world) == before
    within_batch = record(world, create("ORE-9", 10, "ore", 0.05, La=1.0), create("ORE-9", 10, "ore", 0.05, La=1.0))
    assert (within_batch.stored, within_batch.duplicates) == (1, 1)


def test_backward_trace_gives_each_mine_its_share(world: Container) -> None:
    record(world, *chain())
    with read_transaction(world.engine) as conn:
        sources = genealogy.trace_back(conn, lot("MAG-1"))
        mix_sources = genealogy.trace_back(conn, lot("MIX-1"))
    assert [(s.lot_id, round(s.share, 9), s.product_class, s.depth) for s in sources] == [
        (lot("CONC-A"), 0.6, "concentrate", 3), (lot("CONC-B"), 0.4, "concentrate", 3)]
    assert {s.lot_id: s.share for s in mix_sources} == pytest.approx({lot("CONC-A"): 0.6, lot("CONC-B"): 0.4})


def test_backward_trace_adds_shares_over_paths(world: Container) -> None:
    """A diamond: ORE-1 feeds X directly and through Y; the shares of every path add up."""
    record(world, create("ORE-1", 1000, "ore", 0.1, Nd=1.0), create("ORE-2", 1000, "ore", 0.1, Nd=1.0),
           transform([("ORE-1", 500)], [("Y", 50, master("Y", "concentrate", 0.98, Nd=1.0))], "beneficiation"),
           transform([("ORE-1", 300), ("ORE-2", 100), ("Y", 100)],
                     [("X", 49, master("X", "concentrate", 0.98, Nd=1.0))], "beneficiation"))
    with read_transaction(world.engine) as conn:
        shares = {s.lot_id: s.share for s in genealogy.trace_back(conn, lot("X"))}
    assert shares == pytest.approx({lot("ORE-1"): 0.6 + 0.2, lot("ORE-2"): 0.2})


def test_forward_trace_reaches_every_customer(world: Container) -> None:
    record(world, *chain())
    with read_transaction(world.engine) as conn:
        trace = genealogy.trace_forward(conn, lot("CONC-B"))
    assert trace.customers == ("urn:reetrace:party:BUYER-X", "urn:reetrace:party:BUYER-Z")
    assert set(trace.descendants) == {lot(n) for n in ("MIX-1", "DY-1", "ND-1", "MAG-1")}
    assert trace.unshipped == (lot("DY-1"),)
    assert {d.party: d.end_user for d in trace.deliveries}["urn:reetrace:party:BUYER-X"] == "Wind turbine maker Y"


def test_trace_of_an_unknown_lot_is_404(world: Container) -> None:
    with read_transaction(world.engine) as conn, pytest.raises(Error) as err:
        genealogy.trace_back(conn, lot("NOPE"))
    assert err.value.http_status == 404 and "NOPE" in err.value.message


def test_yield_outside_tolerance_raises_an_alert_with_evidence(world: Container) -> None:
    """Dysprosium oxide diverted: 80 kg Dy (as REO) in, 40 kg out of the separation."""
    diverted = transform([("MIX-1", 500)], [("DY-1", 40, master("DY-1", "separated_oxide", 0.995, element="Dy")),
                                            ("ND-1", 410, master("ND-1", "separated_oxide", 0.995, element="Nd"))],
                         "solvent_extraction")
    events = [*chain()[:3], diverted]
    report = record(world, *events)
    assert len(report.alerts) == 1
    with read_transaction(world.engine) as conn:
        alert = conn.execute(select(alerts)).one()
        monthly = queries.monthly_balances(conn, "ENT-N1", "2026-03")
    evidence = json.loads(alert.evidence)
    assert alert.kind == "flow.mass_balance.gap" and "Dy" in alert.message
    assert evidence["event_hash"] == report.hashes[-1] and evidence["process_step"] == "solvent_extraction"
    dy = evidence["elements"][0]
    assert dy["element"] == "Dy" and dy["in_kg"] == pytest.approx(78.4) and dy["out_kg"] == pytest.approx(39.8)
    assert dy["gap_kg"] == pytest.approx(39.8 - 78.4 * 0.95)
    assert {i["lot"] for i in evidence["inputs"]} == {lot("MIX-1")}
    dy_month = next(m for m in monthly if m.element == "Dy")
    assert dy_month.outside == 1 and dy_month.transformations == 2


def test_element_absent_from_inputs_is_refused(world: Container) -> None:
    record(world, create("CONC-A", 600, "concentrate", 0.5, Nd=1.0))
    before = state(world)
    with pytest.raises(Error) as err:
        record(world, transform([("CONC-A", 600)], [("TB-1", 5, master("TB-1", "separated_oxide", 0.99,
                                                                            element="Tb"))], "solvent_extraction"))
    assert err.value.code == "element_from_nowhere" and "Tb" in err.value.message
    assert state(world) == before


BAD: list[tuple[str, list[dict[str, Any]], str, str]] = [
    ("unknown lot", [transform([("GHOST", 10)], [("O", 1, master("O", "concentrate", 0.5, Nd=1.0))], "cracking")],
     "unknown_lot", "event[0].inputQuantityList[0]"),
    ("negative quantity", [create("NEG", -5, "ore", 0.1, Nd=1.0)], "invalid_event", "event[0].quantityList.0"),
    ("outputs without inputs", [{**transform([], [("O", 1, master("O", "ore", 0.1, Nd=1.0))], "mining")}],
     "invalid_event", "event[0]"),
    ("unit that does not convert", [{**create("MTR", 5, "ore", 0.1, Nd=1.0),
                                     "quantityList": [{"epcClass": lot("MTR"), "quantity": 5, "uom": "MTR"}]}],
     "unit_not_mass", "event[0].quantityList[0].uom"),
    ("lot created twice", [create("DUP", 5, "ore", 0.1, Nd=1.0), create("DUP", 6, "ore", 0.1, Nd=1.0)],
     "lot_exists", "event[1].quantityList[0]"),
    ("shipping an unknown lot", [ship("NONE", 5, "B")], "unknown_lot", "event[0].quantityList[0]"),
    ("no master data", [{**create("NM", 5, "ore", 0.1, Nd=1.0), "ilmd": {}}], "no_master_data", "event[0].ilmd"),
    ("unknown element", [create("EL", 5, "ore", 0.1, Xx=1.0)], "invalid_event",
     "event[0].ilmd.reetrace:lotMasterData.0"),
    ("REO content above 1.3", [create("RC", 5, "ore", 1.5, Nd=1.0)], "invalid_event",
     "event[0].ilmd.reetrace:lotMasterData.0.reoContent"),
    ("master data not a list", [{**create("ML", 5, "ore", 0.1, Nd=1.0), "ilmd": {"reetrace:lotMasterData": "ore"}}],
     "invalid_event", "event[0].ilmd.reetrace:lotMasterData"),
]


@pytest.mark.parametrize(("case", "events", "code", "where"), BAD, ids=[b[0] for b in BAD])
def test_bad_input_names_the_place_and_stores_nothing(world: Container, case: str, events: list[dict[str, Any]],
                                                      code: str, where: str) -> None:
    good = create("GOOD", 10, "ore", 0.1, Nd=1.0)
    before = state(world)
    with pytest.raises(Error) as err:
        record(world, good, *[{**e} for e in events]) if case != "lot created twice" else record(world, *events)
    assert err.value.code == code, err.value.diagnostics()
    shifted = where if case == "lot created twice" else where.replace("event[0]", "event[1]")
    assert shifted in err.value.diagnostics()
    assert state(world) == before


def test_enterprise_outside_the_callers_tenants_is_404(world: Container) -> None:
    with pytest.raises(Error) as err:
        record(world, create("S", 5, "ore", 0.1, Nd=1.0), enterprise="ENT-N1", caller=SOUTH)
    assert err.value.http_status == 404


def test_replay_rebuilds_the_flow_tables_exactly(world: Container) -> None:
    from reetrace.storage.engine import write_transaction
    from reetrace.storage.replay import replay

    diverted = transform([("MIX-1", 500)], [("DY-1", 40, master("DY-1", "separated_oxide", 0.995, element="Dy")),
                                            ("ND-1", 410, master("ND-1", "separated_oxide", 0.995, element="Nd"))],
                         "solvent_extraction")
    record(world, *chain()[:3], diverted)
    with write_transaction(world.engine) as conn:
        report = replay(conn, world.kinds)
    assert report.entries > 4 and report.differences == 0
