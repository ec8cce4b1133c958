"""The product-flow part of the demo world: a year of monthly flows from mine to export, with planted cases.

Generated from the demo's seed, month by month up to :data:`DEMO_TODAY` (the last ``months`` months of 2026): mines
commission concentrate lots and ship them to separation plants, which crack them into mixed chloride and separate it
into oxides (one lot per element); the Pr, Nd, Dy and Tb oxides go to metal plants (electrolysis, then alloying
into one NdFeB alloy lot per customer), the alloy to magnet makers (sintering), who sell each magnet batch to an
exporter naming its end user abroad; the exporter exports it to that end user. Every enterprise-month is one
capture (one unit of work) through the flow service, with the quota check after it. The flow enterprises are
registered here, in the demo's group tenants; the mining and separation quotas per enterprise sum to the national
total. Monthly reports are handed in by the 8th of the next month.

Planted: a separation plant whose quota is cut below what it separates (over quota); dysprosium oxide diverted
(one solvent-extraction run puts out 40 % of the Dy2O3 it should: a mass-balance gap); a magnet batch an exporter
sells on to another firm than the end user declared for it; a monthly report never handed in (late). What was
planted goes to ``flow-plan.json``; :func:`analyse_flow` compares what the domain's checks find with it.
"""

from __future__ import annotations

import json
import math
import random
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from reetrace.container import Container
from reetrace.domains.alerts.tables import alerts
from reetrace.domains.flow import quotas, reports
from reetrace.domains.flow.endusers import check_end_users
from reetrace.domains.flow.quota_tables import quotas as quota_table
from reetrace.domains.flow.quota_tables import report_submissions
from reetrace.domains.flow.reports import LATE as LATE_KEY
from reetrace.domains.flow.service import GAP, EventInput, capture
from reetrace.domains.flow.tables import events
from reetrace.domains.personnel.models import Caller
from reetrace.domains.registry import service as registry
from reetrace.domains.registry.models import EnterpriseRegistered
from reetrace.storage.engine import read_transaction
from reetrace.workdays import WorkdayCalendar

from . import world
from .export import FIRMS
from .personnel import AUTHORITY, DEMO_TODAY, Comparison

PLAN_FILE = "flow-plan.json"
YEAR = DEMO_TODAY.year
LAST_MONTH = DEMO_TODAY.month
LOT = "urn:reetrace:lot:"
PARTY = "urn:reetrace:party:"
CLERKS = {"group-north": "north.admin", "group-south": "south.admin"}
PREFIXES = {"mine": "MINE", "separation": "SEP", "metal": "MET", "magnet": "MAG", "exporter": "EXP"}
# REO distributions of the two kinds of deposit: light (bastnaesite) and ion-adsorption clay (heavy-rich)
LIGHT = {"La": 0.26, "Ce": 0.50, "Pr": 0.05, "Nd": 0.17, "Dy": 0.01, "Tb": 0.01}
IONIC = {"Y": 0.40, "La": 0.20, "Ce": 0.02, "Pr": 0.05, "Nd": 0.18, "Dy": 0.10, "Tb": 0.05}
MAGNET_ELEMENTS = ("Pr", "Nd", "Dy", "Tb")
METAL_REO = {"Pr": 1.208, "Nd": 1.166, "Dy": 1.148, "Tb": 1.176}  # REO-equivalent per kg of metal
CONCENTRATE_KG = (300_000, 500_000)
CONCENTRATE_REO = (0.50, 0.60)
YIELDS = {"cracking": 0.96, "solvent_extraction": 0.98, "metal_electrolysis": 0.96, "alloying": 0.99,
          "magnet_sintering": 0.92}
MIXED_REO, OXIDE_REO, ALLOY_REO, MAGNET_REO = 0.45, 0.995, 0.36, 0.33
DIVERTED_SHARE = 0.4  # of the Dy2O3 the planted run should have put out
QUOTA_HEADROOM = 0.88  # the most any enterprise can use of its quota (below the 90 % warning) ...
OVER_QUOTA_CUT = 0.75  # ... except the planted separator, whose quota is 75 % of the least it will separate
Step = Callable[[str, int], None]


@dataclass(frozen=True)
class FlowPlan:
    mines: int = 6
    separators: int = 10
    metal_plants: int = 8
    magnet_makers: int = 20
    exporters: int = 15
    months: int = 11  # the last months up to DEMO_TODAY's month (all in one quota year)

    def __post_init__(self) -> None:
        if not 2 <= self.months <= LAST_MONTH or min(self.mines, self.metal_plants, self.exporters) < 1:
            raise ValueError(f"a flow plan needs 2..{LAST_MONTH} months and at least one enterprise of each role")
        if self.separators < max(2, self.metal_plants) or self.magnet_makers < 1:
            raise ValueError("a flow plan needs two separators (over quota, diversion), at least as many as metal "
                             "plants (each is supplied), and a magnet maker")

    @property
    def counts(self) -> dict[str, int]:
        return {"mine": self.mines, "separation": self.separators, "metal": self.metal_plants,
                "magnet": self.magnet_makers, "exporter": self.exporters}

    @property
    def month_names(self) -> list[str]:
        return [f"{YEAR}-{m:02d}" for m in range(LAST_MONTH - self.months + 1, LAST_MONTH + 1)]

    @property
    def steps(self) -> int:
        return sum(self.counts.values()) * self.months


@dataclass
class FlowPlanted:
    """What the flow part planted, kept in the data folder so that a reused demo can still compare."""

    enterprises: int = 0
    months: list[str] = field(default_factory=list)
    events: int = 0
    reports: int = 0
    mining_quota_t: float = 0.0
    separation_quota_t: float = 0.0
    over_quota: str = ""  # the separator
    diverted: dict[str, Any] = field(default_factory=dict)  # enterprise, month, lot, expected and put out kg
    resold: dict[str, Any] = field(default_factory=dict)  # lot, exporter, declared end user, sold to
    late_report: dict[str, str] = field(default_factory=dict)  # enterprise, month

    def save(self, home: Path) -> None:
        (home / PLAN_FILE).write_text(json.dumps(asdict(self), indent=2, ensure_ascii=False) + "\n",
                                      encoding="utf-8")

    @classmethod
    def load(cls, home: Path) -> FlowPlanted | None:
        path = home / PLAN_FILE
        return cls(**json.loads(path.read_text(encoding="utf-8"))) if path.exists() else None


@dataclass(frozen=True)
class LotLine:
    """A lot as it moves on: its URI, kg, REO content and each element's share of its REO."""

    lot: str
    kg: float
    reo: float
    shares: dict[str, float]

    def element_reo(self, element: str) -> float:
        return self.kg * self.reo * self.shares.get(element, 0.0)

    def quantity(self) -> dict[str, Any]:
        return {"epcClass": self.lot, "quantity": self.kg, "uom": "KGM"}

    def master(self, product: str, element: str | None = None) -> dict[str, Any]:
        data: dict[str, Any] = {"lot": self.lot, "productClass": product, "reoContent": self.reo}
        if element is None:
            data["elementDistribution"] = self.shares
        else:
            data["element"] = element
        return data


def line(lot: str, reo_kg: float, reo: float, shares: dict[str, float]) -> LotLine:
    """A lot carrying ``reo_kg`` of REO at REO content ``reo`` (its kg rounded to the gram)."""
    return LotLine(lot, round(reo_kg / reo, 3), reo, shares)


# --- EPCIS events ------------------------------------------------------------------------------------------------


def when(month: str, day: int) -> str:
    return f"{month}-{day:02d}T09:00:00+08:00"


def commissioning(lines: list[LotLine], time: str, place: str) -> dict[str, Any]:
    return {"type": "ObjectEvent", "action": "ADD", "eventTime": time, "eventTimeZoneOffset": "+08:00",
            "bizStep": "commissioning", "reetrace:processStep": "mining", "bizLocation": {"id": place},
            "quantityList": [x.quantity() for x in lines],
            "ilmd": {"reetrace:lotMasterData": [x.master("concentrate") for x in lines]}}


def transformation(step: str, inputs: list[LotLine], outputs: list[tuple[LotLine, str, str | None]],
                   time: str, place: str) -> dict[str, Any]:
    return {"type": "TransformationEvent", "eventTime": time, "eventTimeZoneOffset": "+08:00",
            "bizStep": "commissioning", "reetrace:processStep": step, "bizLocation": {"id": place},
            "inputQuantityList": [x.quantity() for x in inputs],
            "outputQuantityList": [x.quantity() for x, _, _ in outputs],
            "ilmd": {"reetrace:lotMasterData": [x.master(product, element) for x, product, element in outputs]}}


def shipment(lines: list[LotLine], to: str, end_user: str, time: str, ref: str) -> dict[str, Any]:
    return {"type": "ObjectEvent", "action": "OBSERVE", "eventTime": time, "eventTimeZoneOffset": "+08:00",
            "bizStep": "shipping", "disposition": "in_transit", "quantityList": [x.quantity() for x in lines],
            "destinationList": [{"type": "owning_party", "destination": to}],
            "bizTransactionList": [{"type": "inv", "bizTransaction": f"urn:reetrace:inv:{ref}"},
                                   {"type": "desadv", "bizTransaction": f"urn:reetrace:desadv:{ref}"}],
            "reetrace:endUser": end_user}


def firm_party(name: str, country: str) -> tuple[str, str]:
    """A buyer abroad: its party URI (with its ISO country) and the end user as a statement names it."""
    slug = "".join(ch if ch.isalnum() else "-" for ch in name.lower()).strip("-")
    return f"{PARTY}{country}:{slug}", f"{name} ({country})"


# --- the enterprises and their quotas ----------------------------------------------------------------------------


def register_enterprises(c: Container, rng: random.Random, plan: FlowPlan) -> dict[str, list[str]]:
    """The flow enterprises (``FLOW-MINE-01`` ...) in the demo's group tenants, with provinces."""
    ids: dict[str, list[str]] = {}
    with c.unit_of_work() as (uow, _):
        for role, count in plan.counts.items():
            for n in range(count):
                enterprise_id = f"FLOW-{PREFIXES[role]}-{n + 1:02d}"
                province = rng.choice(world.PROVINCES[role])
                body = EnterpriseRegistered(
                    enterprise_id=enterprise_id, role=role, province=province, country="CN",
                    name=f"{rng.choice(world.NAME_PARTS)} {province} {world.ROLE_WORDS[role]} Co., Ltd. F{n + 1}",
                    name_zh=f"{province}{world.ROLE_ZH[role]}有限公司F{n + 1}", credit_code=world.credit_code(rng))
                registry.register_enterprise(uow, world.TENANTS[role], "demo", body)
                ids.setdefault(role, []).append(enterprise_id)
    return ids


def set_quotas(c: Container, ids: dict[str, list[str]], plan: FlowPlan, over_quota: str) -> tuple[float, float]:
    """Mining and separation quotas (two batches each) with headroom, the planted separator's cut; the totals."""
    months = plan.months
    top = months * CONCENTRATE_KG[1] * CONCENTRATE_REO[1] / 1000  # most REO t one concentrate lot a month gives
    least = months * CONCENTRATE_KG[0] * CONCENTRATE_REO[0] / 1000 * YIELDS["cracking"] * YIELDS["solvent_extraction"]
    separated = YIELDS["cracking"] * YIELDS["solvent_extraction"]
    allocation: list[tuple[str, quotas.QuotaKind, int]] = []
    for n, mine in enumerate(ids["mine"]):
        supplied = len(supplied_by(n, len(ids["mine"]), len(ids["separation"])))
        allocation.append((mine, "mining", math.ceil(supplied * top / QUOTA_HEADROOM)))
    for separator in ids["separation"]:
        cut = separator == over_quota
        allocation.append((separator, "separation", math.floor(least * OVER_QUOTA_CUT) if cut
                           else math.ceil(top * separated / QUOTA_HEADROOM)))
    with c.unit_of_work() as (uow, _):
        for enterprise_id, kind, tonnes in allocation:
            first = round(tonnes * 0.6)  # the first batch; the second is the rest
            for batch, amount in ((f"{YEAR}-1", first), (f"{YEAR}-2", tonnes - first)):
                quotas.set_quota(uow, AUTHORITY, quotas.QuotaSet(enterprise_id=enterprise_id, year=YEAR, kind=kind,
                                                                 batch=batch, reo_tonnes=amount))
    return (float(sum(t for _, k, t in allocation if k == "mining")),
            float(sum(t for _, k, t in allocation if k == "separation")))


def supplied_by(n: int, suppliers: int, customers: int) -> list[int]:
    """The customers (by number) that supplier ``n`` of ``suppliers`` serves: customer k buys from k % suppliers."""
    return [k for k in range(customers) if k % suppliers == n]


# --- a month of flows ----------------------------------------------------------------------------------------------


@dataclass
class FlowRun:
    c: Container
    rng: random.Random
    plan: FlowPlan
    ids: dict[str, list[str]]
    planted: FlowPlanted
    step: Step
    inbox: dict[str, list[LotLine]] = field(default_factory=dict)
    declared: dict[str, str] = field(default_factory=dict)  # magnet lot -> end user declared by its maker

    def record(self, role: str, enterprise_id: str, month: str, items: list[dict[str, Any]]) -> None:
        caller = Caller.of(CLERKS[world.TENANTS[role]], world.TENANTS[role])
        with self.c.unit_of_work() as (uow, _):
            report = capture(uow, caller, enterprise_id,
                             [EventInput(f"{enterprise_id}/{month}/event[{n}]", e) for n, e in enumerate(items)])
            if role in ("mine", "separation"):
                quotas.check_after_capture(uow, enterprise_id, report.hashes)
        self.planted.events += report.stored
        self.step(f"flow: {month} {role}", 1)

    def deliver(self, enterprise_id: str, lines: list[LotLine]) -> None:
        self.inbox.setdefault(enterprise_id, []).extend(lines)

    def take(self, enterprise_id: str) -> list[LotLine]:
        return self.inbox.pop(enterprise_id, [])

    def month(self, month: str) -> None:
        for n, mine in enumerate(self.ids["mine"]):
            self.mine(n, mine, month)
        for n, separator in enumerate(self.ids["separation"]):
            self.separate(n, separator, month)
        for n, plant in enumerate(self.ids["metal"]):
            self.smelt(n, plant, month)
        for n, maker in enumerate(self.ids["magnet"]):
            self.sinter(n, maker, month)
        for exporter in self.ids["exporter"]:
            self.export(exporter, month)

    def mine(self, n: int, mine: str, month: str) -> None:
        separators = [self.ids["separation"][k] for k in supplied_by(n, len(self.ids["mine"]),
                                                                       len(self.ids["separation"]))]
        shares = LIGHT if n % 3 != 2 else IONIC
        lots = [LotLine(f"{LOT}{mine}-{month}-C{k + 1}", float(self.rng.randrange(*CONCENTRATE_KG)),
                        round(self.rng.uniform(*CONCENTRATE_REO), 3), shares) for k in range(len(separators))]
        if not lots:
            self.step(f"flow: {month} mine", 1)
            return
        items = [commissioning(lots, when(month, 3), f"{PARTY}{mine}")]
        for k, (lot, separator) in enumerate(zip(lots, separators, strict=True)):
            items.append(shipment([lot], PARTY + separator, separator, when(month, 5), f"{mine}-{month}-{k + 1}"))
            self.deliver(separator, [lot])
        self.record("mine", mine, month, items)

    def separate(self, n: int, separator: str, month: str) -> None:
        received = self.take(separator)
        if not received:
            self.step(f"flow: {month} separation", 1)
            return
        reo = sum(x.kg * x.reo for x in received)
        shares = {e: sum(x.element_reo(e) for x in received) / reo for e in sorted({e for x in received
                                                                                     for e in x.shares})}
        mixed = line(f"{LOT}{separator}-{month}-MIX", reo * YIELDS["cracking"], MIXED_REO, shares)
        oxides = []
        for element, share in shares.items():
            out = mixed.kg * mixed.reo * share * YIELDS["solvent_extraction"]
            lot = f"{LOT}{separator}-{month}-{element}2O3"
            if element == "Dy" and self.planted.diverted.get("enterprise") == separator \
                    and self.planted.diverted.get("month") == month:
                self.planted.diverted.update(lot=lot, expected_kg=round(out / OXIDE_REO, 3),
                                             put_out_kg=round(out * DIVERTED_SHARE / OXIDE_REO, 3))
                out *= DIVERTED_SHARE
            oxides.append(line(lot, out, OXIDE_REO, {element: 1.0}))
        place = f"{PARTY}{separator}"
        plant = self.ids["metal"][n % len(self.ids["metal"])]
        to_metal = [x for x in oxides if next(iter(x.shares)) in MAGNET_ELEMENTS]
        self.deliver(plant, to_metal)
        self.record("separation", separator, month, [
            transformation("cracking", received, [(mixed, "mixed_chloride", None)], when(month, 8), place),
            transformation("solvent_extraction", [mixed], [(x, "separated_oxide", next(iter(x.shares)))
                                                           for x in oxides], when(month, 12), place),
            shipment(to_metal, PARTY + plant, plant, when(month, 14), f"{separator}-{month}")])

    def smelt(self, n: int, plant: str, month: str) -> None:
        received = self.take(plant)
        makers = [self.ids["magnet"][k] for k in supplied_by(n, len(self.ids["metal"]), len(self.ids["magnet"]))]
        if not received or not makers:
            self.step(f"flow: {month} metal", 1)
            return
        place = f"{PARTY}{plant}"
        metals = []
        for element in MAGNET_ELEMENTS:
            reo = sum(x.element_reo(element) for x in received)
            if reo > 0:
                metals.append(line(f"{LOT}{plant}-{month}-{element}", reo * YIELDS["metal_electrolysis"],
                                   METAL_REO[element], {element: 1.0}))
        total = sum(x.kg * x.reo for x in metals)
        shares = {next(iter(x.shares)): x.kg * x.reo / total for x in metals}
        weights = [self.rng.uniform(0.8, 1.2) for _ in makers]
        alloys = [line(f"{LOT}{plant}-{month}-ALLOY{k + 1}", total * YIELDS["alloying"] * w / sum(weights),
                       ALLOY_REO, shares) for k, w in enumerate(weights)]
        items = [transformation("metal_electrolysis", received, [(x, "metal", next(iter(x.shares)))
                                                                 for x in metals], when(month, 16), place),
                 transformation("alloying", metals, [(x, "alloy", None) for x in alloys], when(month, 18), place)]
        for k, (alloy, maker) in enumerate(zip(alloys, makers, strict=True)):
            items.append(shipment([alloy], PARTY + maker, maker, when(month, 19), f"{plant}-{month}-{k + 1}"))
            self.deliver(maker, [alloy])
        self.record("metal", plant, month, items)

    def sinter(self, n: int, maker: str, month: str) -> None:
        received = self.take(maker)
        if not received:
            self.step(f"flow: {month} magnet", 1)
            return
        reo = sum(x.kg * x.reo for x in received)
        shares = {e: sum(x.element_reo(e) for x in received) / reo for e in MAGNET_ELEMENTS
                  if any(e in x.shares for x in received)}
        magnet = line(f"{LOT}{maker}-{month}-NDFEB", reo * YIELDS["magnet_sintering"], MAGNET_REO, shares)
        exporter = self.ids["exporter"][n % len(self.ids["exporter"])]
        firm = self.rng.choice(FIRMS)
        self.declared[magnet.lot] = firm_party(*firm)[1]
        self.deliver(exporter, [magnet])
        place = f"{PARTY}{maker}"
        self.record("magnet", maker, month, [
            transformation("magnet_sintering", received, [(magnet, "magnet", None)], when(month, 22), place),
            shipment([magnet], PARTY + exporter, self.declared[magnet.lot], when(month, 24), f"{maker}-{month}")])

    def export(self, exporter: str, month: str) -> None:
        batches = self.take(exporter)
        if not batches:
            self.step(f"flow: {month} exporter", 1)
            return
        items = []
        for k, batch in enumerate(batches):
            declared = self.declared[batch.lot]
            name, country = next(f for f in FIRMS if firm_party(*f)[1] == declared)
            resell = (self.planted.resold.get("exporter") == exporter and self.planted.resold.get("month") == month
                      and k == 0)
            if resell:
                name, country = self.rng.choice([f for f in FIRMS if f[0] != name])
                self.planted.resold.update(lot=batch.lot, declared=declared, sold_to=firm_party(name, country)[1])
            party, end_user = firm_party(name, country)
            items.append(shipment([batch], party, end_user, when(month, 27), f"{exporter}-{month}-{k + 1}"))
        self.record("exporter", exporter, month, items)


# --- the monthly reports -----------------------------------------------------------------------------------------


def submit_reports(run: FlowRun, month: str, calendar: WorkdayCalendar) -> None:
    """Every enterprise with flows hands in its report between the 1st and the 8th (except the planted one)."""
    with read_transaction(run.c.engine) as conn:
        active = conn.execute(select(events.c.enterprise_id).where(events.c.month == month).distinct()
                              .order_by(events.c.enterprise_id)).scalars().all()
    year, number = reports.parse_month(month)
    first = date(year + number // 12, number % 12 + 1, 1)
    with run.c.unit_of_work() as (uow, _):
        for enterprise_id in active:
            if run.planted.late_report == {"enterprise": enterprise_id, "month": month}:
                continue
            tenant = world.TENANTS[_role_of(enterprise_id)]
            reports.submit_report(uow, Caller.of(CLERKS[tenant], tenant), enterprise_id, month,
                                  first + timedelta(days=run.rng.randrange(0, 8)), calendar=calendar)
            run.planted.reports += 1


def _role_of(enterprise_id: str) -> str:
    prefix = enterprise_id.split("-")[1]
    return next(role for role, p in PREFIXES.items() if p == prefix)


def choose_plants(rng: random.Random, plan: FlowPlan, ids: dict[str, list[str]], planted: FlowPlanted) -> None:
    """Which separator goes over quota, which diverts Dy2O3 and when, which exporter sells on, which report is late."""
    months = plan.month_names
    over, diverting = rng.sample(ids["separation"], 2)
    planted.over_quota = over
    planted.diverted = {"enterprise": diverting, "month": rng.choice(months[1:])}
    busy = ids["exporter"][:min(plan.magnet_makers, plan.exporters)]
    planted.resold = {"exporter": rng.choice(busy), "month": rng.choice(months)}
    planted.late_report = {"enterprise": rng.choice(ids["metal"]), "month": rng.choice(months[:-1])}


def build_flow(c: Container, rng: random.Random, plan: FlowPlan, step: Step) -> FlowPlanted:
    """Register the flow enterprises, set the quotas, capture the months of flows and hand in the reports; returns
    (and saves) what was planted."""
    ids = register_enterprises(c, rng, plan)
    planted = FlowPlanted(enterprises=sum(len(v) for v in ids.values()), months=plan.month_names)
    choose_plants(rng, plan, ids, planted)
    planted.mining_quota_t, planted.separation_quota_t = set_quotas(c, ids, plan, planted.over_quota)
    step("flow: enterprises and quotas", 0)
    run = FlowRun(c, rng, plan, ids, planted, step)
    calendar = WorkdayCalendar.load()
    for month in plan.month_names:
        run.month(month)
        if month < f"{DEMO_TODAY:%Y-%m}":
            submit_reports(run, month, calendar)
    planted.save(c.settings.home)
    return planted


# --- found against planted ---------------------------------------------------------------------------------------


def _flow_alerts(c: Container) -> list[tuple[str, str, dict[str, Any]]]:
    with read_transaction(c.engine) as conn:
        rows = conn.execute(select(alerts.c.kind, alerts.c.subject, alerts.c.evidence)
                            .where(alerts.c.kind.like("flow.%")).order_by(alerts.c.entry_idx)).all()
    return [(str(r.kind), str(r.subject), dict(json.loads(r.evidence))) for r in rows]


def analyse_flow(c: Container) -> list[Comparison]:
    """Run the reports-due and end-user checks as of DEMO_TODAY; compare them and the quota and mass-balance alerts
    raised while capturing with what was planted."""
    planted = FlowPlanted.load(c.settings.home)
    if planted is None:
        return []
    with c.unit_of_work() as (uow, _):
        due, _raised = reports.reports_due(uow, DEMO_TODAY)
    with read_transaction(c.engine) as conn:
        stored = conn.execute(select(func.count()).select_from(events)).scalar_one()
        handed = conn.execute(select(func.count()).select_from(report_submissions)).scalar_one()
        late_handed = conn.execute(select(func.count()).select_from(report_submissions)
                                   .where(report_submissions.c.late.is_(True))).scalar_one()
        totals = dict(conn.execute(select(quota_table.c.kind, func.sum(quota_table.c.reo_tonnes))
                                   .where(quota_table.c.year == YEAR).group_by(quota_table.c.kind)).tuples().all())
        issues = check_end_users(conn)
    flagged = _flow_alerts(c)
    quota_hits = sorted({(kind.rsplit(".", 1)[1], subject) for kind, subject, _ in flagged
                         if kind.startswith("flow.quota.")})
    gaps = [(subject, ev["process_step"], [e["element"] for e in ev["elements"]], ev["event_time"][:7])
            for kind, subject, ev in flagged if kind == GAP]
    late = [(d.enterprise_id, d.month) for d in due if d.late]
    d, r, lr = planted.diverted, planted.resold, planted.late_report
    want_quota = [(level, planted.over_quota) for level in ("exceeded", "near", "reached")]
    want_gap = [(d["enterprise"], "solvent_extraction", ["Dy"], d["month"])]
    want_issue = [(r["lot"], r["exporter"], "undeclared", r["sold_to"])]
    got_issue = [(i.lot_id, i.enterprise_id, i.problem, i.end_user) for i in issues]
    expected = {(f"flow.quota.{level}", subject) for level, subject in want_quota}
    expected |= {(GAP, d["enterprise"]), (LATE_KEY, lr["enterprise"])}
    others = [f"{kind} {subject}" for kind, subject, _ in flagged if (kind, subject) not in expected]
    others += [f"end user {i.problem} {i.lot_id.removeprefix(LOT)}" for i in issues if i.lot_id != r["lot"]]
    beyond = sum(1 for kind, _, _ in flagged if kind == "flow.quota.exceeded")
    return [
        Comparison("flow: a year of monthly flows", f"{planted.enterprises} enterprises, {planted.events} EPCIS "
                   f"events, {planted.months[0]}..{planted.months[-1]}, {planted.reports} reports handed in",
                   f"{stored} events, {handed} reports ({late_handed} late)",
                   stored == planted.events and handed == planted.reports and late_handed == 0),
        Comparison("flow: national quota", f"mining {planted.mining_quota_t:,.0f} t + separation "
                   f"{planted.separation_quota_t:,.0f} t REO", f"mining {totals.get('mining', 0):,.0f} t + "
                   f"separation {totals.get('separation', 0):,.0f} t REO in the quota table",
                   (totals.get("mining"), totals.get("separation")) == (planted.mining_quota_t,
                                                                        planted.separation_quota_t)),
        Comparison("flow: over-quota separator", f"{planted.over_quota} separates beyond its quota",
                   _list(f"{level} {subject}" for level, subject in quota_hits) + f" ({beyond} lots beyond)",
                   quota_hits == want_quota),
        Comparison("flow: dysprosium oxide diverted", f"{d['enterprise']} {d['month']}: {d['put_out_kg']:,.0f} "
                   f"of {d['expected_kg']:,.0f} kg Dy2O3 put out",
                   _list(f"gap {s} {step} {'+'.join(els)} {m}" for s, step, els, m in gaps), gaps == want_gap),
        Comparison("flow: magnet batch sold on to an undeclared end user",
                   f"{r['exporter']} sells {r['lot'].removeprefix(LOT)} to {r['sold_to']}, declared "
                   f"{r['declared']}", _list(f"{e} {p} {lot.removeprefix(LOT)} to {u}" for lot, e, p, u in got_issue),
                   got_issue == want_issue),
        Comparison("flow: late monthly report", f"{lr['enterprise']} never hands in {lr['month']}",
                   _list(f"late {e} {m}" for e, m in late), late == [(lr["enterprise"], lr["month"])]),
        Comparison("flow: nothing else flagged", "no other flow alert or end-user issue", f"{len(others)} others"
                   + (f": {', '.join(others[:3])}" if others else ""), not others),
    ]


def _list(items: Any) -> str:
    found = list(items)
    return "; ".join(found) if found else "nothing"
