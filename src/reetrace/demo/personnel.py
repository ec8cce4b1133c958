"""The personnel part of the demo world: experts, travel, passport custody, and the planted cases.

Everything is generated from the demo's seed as of :data:`DEMO_TODAY`: experts are imported in one batch per group
tenant (generated CSV through :func:`import_persons`); about a year of travel requests goes through the policy and
the approval chains (most approved, some refused by the policy or an approver, some cancelled, debriefs recorded,
a few deviations); core staff deposit their passports and permits. Planted: a watch-listed core engineer who
resigns and appears, under the Latin form of the name, in a foreign firm's staff list; a passport checked out and
never returned; a debrief never recorded. What was planted is written to ``personnel-plan.json`` in the data
folder; :func:`analyse_personnel` runs the checks and the staff-list check and compares.
"""

from __future__ import annotations

import csv
import io
import json
import random
from collections import Counter
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import date, timedelta
from pathlib import Path

from sqlalchemy import func, select

from reetrace.authz.principal import Principal, load_principal
from reetrace.authz.tables import users
from reetrace.container import Container
from reetrace.domains.personnel import imports, passports, service, travel
from reetrace.domains.personnel.checks import DEBRIEF_OVERDUE, DEVIATION, PASSPORT_OVERDUE, run_checks
from reetrace.domains.personnel.ids import make_resident_id
from reetrace.domains.personnel.matching import check_staff_list
from reetrace.domains.personnel.models import Caller, StaffName
from reetrace.domains.personnel.names import romanise
from reetrace.domains.personnel.policy import TravelPolicy
from reetrace.domains.personnel.tables import persons
from reetrace.domains.personnel.travel_models import DebriefInput, DocumentInput, TravelRequestInput
from reetrace.domains.personnel.travel_tables import travel_requests
from reetrace.domains.registry.tables import enterprises
from reetrace.storage.engine import read_transaction
from reetrace.storage.ledger import UnitOfWork
from reetrace.storage.vault import Vault
from reetrace.workdays import WorkdayCalendar

DEMO_TODAY = date(2026, 11, 30)
PLAN_FILE = "personnel-plan.json"
ACTOR = "demo"
AUTHORITY = Caller.of("officer", "mofcom", "group-north", "group-south")
APPROVERS = {"group-north": {"enterprise": "north.security", "group": "north.group", "authority": "officer"},
             "group-south": {"enterprise": "south.security", "group": "south.group", "authority": "officer"}}
SURNAMES = [("王", "Wang"), ("李", "Li"), ("张", "Zhang"), ("刘", "Liu"), ("陈", "Chen"), ("杨", "Yang"),
            ("赵", "Zhao"), ("黄", "Huang"), ("周", "Zhou"), ("吴", "Wu"), ("徐", "Xu"), ("孙", "Sun"),
            ("胡", "Hu"), ("朱", "Zhu"), ("高", "Gao"), ("林", "Lin"), ("何", "He"), ("郭", "Guo"), ("马", "Ma")]
GIVEN = "伟芳磊敏静浩艳涛强秀军杰娟勇丽明霞平刚桂英华玉兰红波斌宇鹏晨洋晶鑫琳欣"
PLANTED_NAME = "李建国"  # 建 and 国 are not in GIVEN: nobody else in the registry has this name or its pinyin
POSTS = {"core": ["Chief process engineer", "Head of separation technology", "Senior magnet designer"],
         "important": ["Process engineer", "Analytical chemist", "Equipment engineer"],
         "general": ["Technician", "Laboratory assistant", "Shift operator"]}
EXPERTISE = ["mining", "beneficiation", "cracking", "solvent_extraction", "metal_smelting", "alloying",
             "magnet_making", "recycling", "equipment", "analysis"]
EDUCATION = ["BSc, Inner Mongolia University of Science and Technology", "MSc, Jiangxi University of Science and "
             "Technology", "PhD, Central South University", "PhD, Baotou Research Institute of Rare Earths",
             "Diploma, Ganzhou Vocational College"]
REGIONS = ["150203", "360702", "510100", "440300", "320500", "370200", "330200"]
TIER1 = ["SG", "TH", "IT", "ES", "BR", "ZA", "AE", "NL", "RU", "KZ"]
TIER2 = ["HK", "US", "JP", "DE", "KR", "FR", "GB", "MO", "AU"]
TIER3 = ["SY", "AF"]
PURPOSES = ["conference", "business", "academic_exchange", "training", "tourism", "family"]
FOREIGN_FIRM = ("Northgate Magnetics GmbH", "DE")
STAFF_DECOYS = ["Anna Schmidt", "Lukas Weber", "Maria Fischer", "Jonas Becker", "Sofia Wagner", "Paul Hoffmann",
                "Emma Schulz", "Felix Koch", "Mia Richter", "Leon Klein", "Hannah Wolf", "Noah Neumann"]


@dataclass(frozen=True)
class PersonnelPlan:
    experts: int = 2000
    enterprises: int = 40
    requests: int = 300


@dataclass
class Planted:
    """What the demo planted, kept in the data folder so that a reused demo can still compare."""

    experts: int = 0
    engineer: str = ""
    engineer_latin: str = ""
    departed_on: str = ""
    overdue_document: str = ""
    overdue_debrief: str = ""
    deviations: list[str] = field(default_factory=list)
    outcomes: dict[str, int] = field(default_factory=dict)

    def save(self, home: Path) -> None:
        (home / PLAN_FILE).write_text(json.dumps(asdict(self), indent=2) + "\n", encoding="utf-8")

    @classmethod
    def load(cls, home: Path) -> Planted | None:
        path = home / PLAN_FILE
        return cls(**json.loads(path.read_text(encoding="utf-8"))) if path.exists() else None


Step = Callable[[str, int], None]  # (what was done, how many units) -> progress


# --- experts ---------------------------------------------------------------------------------------------------


def _name(rng: random.Random) -> str:
    while True:
        surname = rng.choice(SURNAMES)[0]
        name = surname + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2, 2))))
        if name != PLANTED_NAME:
            return name


def expert_rows(rng: random.Random, enterprise_ids: list[str], count: int) -> list[dict[str, str]]:
    """The experts as import rows; row 0 is the planted core engineer (a separation expert)."""
    rows, seen = [], set()
    for n in range(count):
        level = "core" if n == 0 else rng.choices(["core", "important", "general"], [10, 30, 60])[0]
        name = PLANTED_NAME if n == 0 else _name(rng)
        while True:
            born = date(1960, 1, 1) + timedelta(days=rng.randrange(0, 365 * 38))
            resident = make_resident_id(rng.choice(REGIONS), born, rng.randrange(1, 999))
            if resident not in seen:
                seen.add(resident)
                break
        hired = max(born + timedelta(days=22 * 366), date(1990, 1, 1)) + timedelta(days=rng.randrange(0, 3000))
        fields = ["solvent_extraction", "analysis"] if n == 0 else rng.sample(EXPERTISE, rng.choice((1, 1, 2, 3)))
        departed = ""
        if n > 0 and rng.random() < 0.04:
            departed = (DEMO_TODAY - timedelta(days=rng.randrange(30, 380))).isoformat()
        rows.append({
            "person_id": f"P-{n + 1:06d}", "enterprise_id": enterprise_ids[n % len(enterprise_ids)],
            "name_zh": name, "name_latin": romanise(name), "resident_id": resident, "secrecy_level": level,
            "post": rng.choice(POSTS[level]), "hired_on": min(hired, DEMO_TODAY - timedelta(days=400)).isoformat(),
            "expertise": ";".join(fields), "education": rng.choice(EDUCATION),
            "technologies": "RE-TECH-SX-01" if level == "core" else "", "departed_on": departed})
    return rows


def to_csv(rows: list[dict[str, str]]) -> bytes:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(rows[0]), lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue().encode("utf-8")


def import_experts(c: Container, rows: list[dict[str, str]]) -> None:
    by_tenant: dict[str, list[dict[str, str]]] = {}
    with read_transaction(c.engine) as conn:
        tenant_of = dict(conn.execute(select(enterprises.c.enterprise_id, enterprises.c.tenant)).tuples().all())
    for row in rows:
        by_tenant.setdefault(tenant_of[row["enterprise_id"]], []).append(row)
    for tenant, batch in sorted(by_tenant.items()):
        with c.unit_of_work() as (uow, vault):
            imports.import_persons(uow, vault, Caller.of(ACTOR, tenant), to_csv(batch), f"experts-{tenant}.csv",
                                   today=DEMO_TODAY)


# --- travel ----------------------------------------------------------------------------------------------------


@dataclass
class Trip:
    person_id: str
    tenant: str
    core: bool
    destinations: tuple[str, ...]
    requested_on: date
    depart_on: date
    return_on: date
    purpose: str


def plan_trips(rng: random.Random, rows: list[dict[str, str]], tenants: dict[str, str], count: int) -> list[Trip]:
    travellers = [r for r in rows[1:] if not r["departed_on"]]
    trips = []
    for _ in range(count):
        r = rng.choice(travellers)
        tier = rng.choices([TIER1, TIER2, TIER3], [45, 50, 5])[0]
        destinations = tuple(dict.fromkeys(rng.choice(tier) for _ in range(rng.choice((1, 1, 2)))))
        requested = DEMO_TODAY - timedelta(days=rng.randrange(20, 365))
        depart = requested + timedelta(days=rng.randrange(7, 30))
        trips.append(Trip(r["person_id"], tenants[r["enterprise_id"]], r["secrecy_level"] == "core", destinations,
                          requested, depart, depart + timedelta(days=rng.randrange(3, 12)), rng.choice(PURPOSES)))
    return sorted(trips, key=lambda t: (t.depart_on, t.person_id))


def principals(c: Container) -> dict[str, Principal]:
    out = {}
    with read_transaction(c.engine) as conn:
        for user_id, username in conn.execute(select(users.c.user_id, users.c.username)):
            principal = load_principal(conn, user_id, "system")
            if principal is not None:
                out[str(username)] = principal
    return out


@dataclass
class TravelRun:
    rng: random.Random
    c: Container
    approvers: dict[str, Principal]
    documents: dict[tuple[str, str], str]  # (person id, doc type) -> document id
    planted: Planted
    policy: TravelPolicy = field(default_factory=TravelPolicy.default)
    calendar: WorkdayCalendar = field(default_factory=WorkdayCalendar.load)
    outcomes: Counter[str] = field(default_factory=Counter)

    def trip(self, t: Trip, plant: str | None) -> None:
        form = TravelRequestInput(person_id=t.person_id, destinations=t.destinations, depart_on=t.depart_on,
                                  return_on=t.return_on, purpose=t.purpose,
                                  inviting_organisation="Rare Earth Industry Association" if t.purpose in (
                                      "conference", "business") else "")
        with self.c.unit_of_work() as (uow, vault):
            view = travel.submit_request(uow, vault, ACTOR, form, policy=self.policy, today=t.requested_on)
            if view.status == "refused":
                self.outcomes["refused by policy"] += 1
                return
            roll = self.rng.random() if plant is None else 1.0
            if roll < 0.06:
                travel.cancel_request(uow, ACTOR, view.request_id, "the conference moved online")
                self.outcomes["cancelled"] += 1
                return
            for level in view.chain:
                refuse = roll < 0.14 and level == view.chain[-1]
                view = travel.act_on_request(uow, self.approvers[APPROVERS[t.tenant][level]], view.request_id,
                                             "refuse" if refuse else "approve",
                                             "the purpose does not justify the trip" if refuse else "in order")
            if view.status == "refused":
                self.outcomes["refused by an approver"] += 1
                return
            self.outcomes["approved"] += 1
            self.custody_and_debrief(uow, vault, t, view.request_id, plant)

    def custody_and_debrief(self, uow: UnitOfWork, vault: Vault, t: Trip, request_id: str, plant: str | None) -> None:
        doc_type = passports.document_for(t.destinations[0])
        document = self.documents.get((t.person_id, doc_type)) if t.core and len(
            passports.documents_needed(t.destinations)) == 1 else None
        held = passports.get_document(uow.conn, document) if document is not None else None
        if document is not None and held is not None and held.status == "held":
            passports.check_out(uow, ACTOR, document, request_id, today=t.depart_on - timedelta(days=1),
                                policy=self.policy)
            if plant == "passport":
                self.planted.overdue_document = document
            elif t.return_on + timedelta(days=2) <= DEMO_TODAY:
                passports.check_in(uow, ACTOR, document, today=t.return_on + timedelta(days=self.rng.randrange(1, 3)))
        elif plant == "passport":
            raise AssertionError("the planted passport trip needs a core traveller with one document")
        if t.return_on >= DEMO_TODAY or plant == "debrief":
            if plant == "debrief":
                self.planted.overdue_debrief = request_id
            return
        actual_return, actual = t.return_on, t.destinations
        deviate = self.rng.random() < 0.04 and plant is None
        if deviate:
            actual_return = min(t.return_on + timedelta(days=2), DEMO_TODAY)
            actual = (*t.destinations, "TH") if "TH" not in t.destinations else (*t.destinations, "VN")
        day = min(actual_return + timedelta(days=self.rng.randrange(1, 4)), DEMO_TODAY)
        done = travel.record_debrief(uow, vault, ACTOR, request_id, DebriefInput(
            actual_destinations=actual, actual_return_on=actual_return, notes="met the organisers as declared"),
            today=day, policy=self.policy, calendar=self.calendar)
        if done.deviations:
            self.planted.deviations.append(request_id)


def deposit_documents(c: Container, rng: random.Random, rows: list[dict[str, str]]) -> dict[tuple[str, str], str]:
    out = {}
    with c.unit_of_work() as (uow, vault):
        for r in rows:
            if r["secrecy_level"] != "core" or r["departed_on"]:
                continue
            for doc_type, prefix in (("passport", "E"), ("hk_macau_permit", "C")):
                number = prefix + "".join(rng.choice("0123456789") for _ in range(8))
                view = passports.deposit_document(uow, vault, ACTOR, DocumentInput(
                    person_id=r["person_id"], doc_type=doc_type, number=number,
                    expires_on=DEMO_TODAY + timedelta(days=rng.randrange(400, 3000))),
                    today=DEMO_TODAY - timedelta(days=400))
                out[(r["person_id"], doc_type)] = view.document_id
    return out


def planted_trips(rows: list[dict[str, str]], tenants: dict[str, str]) -> list[tuple[Trip, str]]:
    """The trip whose passport never comes back and the trip never debriefed (both in the past)."""
    core = next(r for r in rows[1:] if r["secrecy_level"] == "core" and not r["departed_on"])
    other = next(r for r in rows[1:] if r["secrecy_level"] == "general" and not r["departed_on"])
    passport_trip = Trip(core["person_id"], tenants[core["enterprise_id"]], True, ("JP",), date(2026, 9, 1),
                         date(2026, 10, 5), date(2026, 10, 12), "conference")
    debrief_trip = Trip(other["person_id"], tenants[other["enterprise_id"]], False, ("SG",), date(2026, 10, 1),
                        date(2026, 10, 20), date(2026, 10, 26), "business")
    return [(passport_trip, "passport"), (debrief_trip, "debrief")]


# --- the build -------------------------------------------------------------------------------------------------


def build_personnel(c: Container, rng: random.Random, enterprise_ids: list[str], plan: PersonnelPlan,
                    step: Step) -> Planted:
    """Experts, the planted engineer, custody and a year of travel; returns (and saves) what was planted."""
    ids = enterprise_ids[:plan.enterprises]
    rows = expert_rows(rng, ids, plan.experts)
    import_experts(c, rows)
    step("experts imported", plan.experts)
    with read_transaction(c.engine) as conn:
        tenants = dict(conn.execute(select(enterprises.c.enterprise_id, enterprises.c.tenant)).tuples().all())
    planted = Planted(experts=plan.experts, engineer=rows[0]["person_id"], engineer_latin=" ".join(
        reversed(rows[0]["name_latin"].split())), departed_on="2026-06-15")
    engineer_tenant = tenants[rows[0]["enterprise_id"]]
    with c.unit_of_work() as (uow, _):
        caller = Caller.of(ACTOR, engineer_tenant)
        service.watch_person(uow, caller, planted.engineer, "holds the cascade extraction recipe for Pr/Nd",
                             added_on=date(2026, 3, 2), today=DEMO_TODAY)
        service.record_departure(uow, caller, planted.engineer, date(2026, 6, 15), "resigned", today=DEMO_TODAY)
    documents = deposit_documents(c, rng, rows)
    step("passports deposited", 0)
    run = TravelRun(rng, c, principals(c), documents, planted)
    special = planted_trips(rows, tenants)
    trips = [(t, None) for t in plan_trips(rng, rows, tenants, max(0, plan.requests - len(special)))]
    for trip, plant in sorted([*trips, *special], key=lambda tp: (tp[0].depart_on, tp[0].person_id)):
        run.trip(trip, plant)
        step("travel requests", 1)
    planted.outcomes = dict(sorted(run.outcomes.items()))
    planted.save(c.settings.home)
    write_staff_list(c.settings.home, planted)
    return planted


def staff_list(planted: Planted) -> list[StaffName]:
    names = [*STAFF_DECOYS[:6], planted.engineer_latin, *STAFF_DECOYS[6:]]
    return [StaffName(name_latin=name, row=n) for n, name in enumerate(names, start=2)]


def write_staff_list(home: Path, planted: Planted) -> None:
    """The foreign firm's staff list as a CSV, to try `reetrace personnel check-staff` with."""
    lines = ["name_latin", *[s.name_latin for s in staff_list(planted)]]
    (home / "northgate-staff.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")


# --- found against planted -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Comparison:
    check: str
    planted: str
    found: str
    ok: bool


def analyse_personnel(c: Container) -> list[Comparison]:
    """Run the travel and custody checks and the staff-list check as of DEMO_TODAY; compare with the plan."""
    planted = Planted.load(c.settings.home)
    if planted is None:
        return []
    policy, calendar = TravelPolicy.default(), WorkdayCalendar.load()
    with c.unit_of_work() as (uow, vault):
        report = run_checks(uow, DEMO_TODAY, policy, calendar)
        matches = check_staff_list(uow, vault, AUTHORITY, staff_list(planted), *FOREIGN_FIRM, today=DEMO_TODAY)
    with read_transaction(c.engine) as conn:
        experts = conn.execute(select(func.count()).select_from(persons)).scalar_one()
        statuses = dict(conn.execute(select(travel_requests.c.status, func.count())
                                     .group_by(travel_requests.c.status)).tuples().all())
    passports_out = sorted({f.dedupe_key.split(":")[1] for f in report.findings if f.kind == PASSPORT_OVERDUE})
    debriefs = sorted({f.dedupe_key.split(":")[1] for f in report.findings if f.kind == DEBRIEF_OVERDUE})
    deviations = sorted({f.dedupe_key.split(":")[1] for f in report.findings if f.kind == DEVIATION})
    matched = sorted({m.person_id for m in matches})
    how = ", ".join(sorted({h for m in matches for h in m.how})) or "-"
    o = planted.outcomes
    want_status = {"approved+completed": o.get("approved", 0),
                   "refused": o.get("refused by policy", 0) + o.get("refused by an approver", 0),
                   "cancelled": o.get("cancelled", 0)}
    got_status = {"approved+completed": statuses.get("approved", 0) + statuses.get("completed", 0),
                  "refused": statuses.get("refused", 0), "cancelled": statuses.get("cancelled", 0)}
    return [
        Comparison("personnel: experts registered", f"{planted.experts} experts", f"{experts} in the registry",
                   experts == planted.experts),
        Comparison("personnel: travel requests by outcome", _counts(want_status), _counts(got_status),
                   want_status == got_status),
        Comparison("personnel: staff list of " + FOREIGN_FIRM[0],
                   f"watch-listed core engineer {planted.engineer} resigned {planted.departed_on}, listed as "
                   f"{planted.engineer_latin!r}", f"matched {', '.join(matched) or 'nobody'} by {how} name",
                   matched == [planted.engineer]),
        Comparison("personnel: overdue passport", f"{planted.overdue_document} never returned",
                   f"overdue: {', '.join(passports_out) or 'none'}", passports_out == [planted.overdue_document]),
        Comparison("personnel: overdue debrief", f"{planted.overdue_debrief} never debriefed",
                   f"overdue: {', '.join(debriefs) or 'none'}", debriefs == [planted.overdue_debrief]),
        Comparison("personnel: travel deviations", f"{len(planted.deviations)} debriefs with a deviation",
                   f"{len(deviations)} deviation alerts", deviations == sorted(planted.deviations)),
    ]


def _counts(counts: dict[str, int]) -> str:
    return ", ".join(f"{k} {v}" for k, v in counts.items())
