"""The export-control part of the demo world: party lists, 200 licence applications over the past months, their
review, licences and shipments, and the planted cases that must be denied.

Everything is generated from the demo's seed as of :data:`DEMO_TODAY`. The party lists are China's lists (control
list 管控名单, watch list, unreliable-entity list, countermeasures) read from ``../shared/lists`` when that folder
is present; otherwise a small built-in sample (synthetic names, marked as such) is stored instead and the demo says
so. Planted among ordinary applications: an end user on China's control list, a declared military end use, an end
user 60 % owned by a listed entity, a listed name written in another script (the Chinese form of a listed entity
whose record is in Latin script), and a shipment beyond its licence. Older applications are reviewed by the
authority's officer (flagged ones denied with the flag as the reason, most others approved, some after a request
for information); a few old ones are left open past their SLA. What was planted goes to ``export-plan.json`` in the
data folder; :func:`analyse_export` compares what the screening flagged and the checks raised with it.
"""

from __future__ import annotations

import json
import random
import shutil
import tempfile
from collections import Counter
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from reetrace.authz.principal import Principal
from reetrace.container import Container
from reetrace.domains.alerts.tables import alerts
from reetrace.domains.licensing.application_models import AnswerInput, ApplicationInput, parse_model
from reetrace.domains.licensing.application_queries import run_sla_checks
from reetrace.domains.licensing.application_tables import applications
from reetrace.domains.licensing.applications import answer_rfi, review_application, submit_application
from reetrace.domains.licensing.controllist import ControlList
from reetrace.domains.licensing.licences import record_shipment
from reetrace.domains.registry.tables import enterprises
from reetrace.domains.screening import lists as stored
from reetrace.domains.screening.loaders import load_all
from reetrace.domains.screening.models import Alias, ListedParty, LoadedList, SourceFile
from reetrace.storage.engine import read_transaction
from reetrace.workdays import WorkdayCalendar

from .personnel import DEMO_TODAY, Comparison, principals

PLAN_FILE = "export-plan.json"
SHARED_LISTS = Path(__file__).resolve().parents[3].parent / "shared" / "lists"
CHINA_LISTS = "cn_mofcom_mfa_sanctions"
REVIEWER = "officer"
EXPORTERS = {"group-north": "north.security", "group-south": "south.security"}
DAYS_BACK = 180
REVIEW_AFTER_DAYS = 20  # applications submitted this long before DEMO_TODAY have been reviewed ...
LEFT_OVERDUE = 3  # ... except this many old ones, left open past their due date
Step = Callable[[str, int], None]

ITEMS: list[dict[str, Any]] = [
    {"description": "dysprosium oxide 99.5 %", "hs_code": "284690", "form": "oxide", "composition": {"Dy": 87}},
    {"description": "terbium metal 99.9 %", "hs_code": "280530", "form": "metal", "composition": {"Tb": 99.9}},
    {"description": "sintered NdFeB magnet blocks with dysprosium", "hs_code": "850511", "form": "magnet",
     "composition": {"Nd": 28, "Dy": 3, "Fe": 67, "B": 1}},
    {"description": "samarium-cobalt magnets", "hs_code": "850511", "form": "magnet",
     "composition": {"Sm": 25, "Co": 50}},
    {"description": "yttrium oxide 99.99 %", "hs_code": "284690", "form": "oxide", "composition": {"Y": 78}},
    {"description": "lanthanum oxide", "hs_code": "284690", "form": "oxide", "composition": {"La": 85}},
    {"description": "cerium carbonate", "hs_code": "284690", "form": "compound", "composition": {"Ce": 40}},
    {"description": "servo motor assemblies with embedded magnets", "hs_code": "850152", "form": "article"},
]
FIRMS = [("Hanau Magnet Works GmbH", "DE"), ("Lyon Moteurs Électriques SA", "FR"), ("Osaka Servo Drives K.K.", "JP"),
         ("Busan Motor Components Co., Ltd.", "KR"), ("Eindhoven Precision Actuators B.V.", "NL"),
         ("Turin Wind Generators S.p.A.", "IT"), ("Gothenburg Traction Systems AB", "SE"),
         ("Pune Electric Mobility Pvt. Ltd.", "IN"), ("Monterrey Motores S.A. de C.V.", "MX"),
         ("Ohio Industrial Magnetics LLC", "US"), ("Penang Sensor Assembly Sdn. Bhd.", "MY"),
         ("Brno Drive Technology s.r.o.", "CZ"), ("Sao Paulo Compressores Ltda.", "BR"),
         ("Istanbul Elevator Motors A.S.", "TR"), ("Melbourne Audio Transducers Pty Ltd", "AU")]
TRADERS = [("Rotterdam Metals B.V.", "NL", "trader"), ("Singapore Rare Metals Pte. Ltd.", "SG", "trader"),
           ("Hamburg Freight Forwarding GmbH", "DE", "freight forwarder")]
END_USES = ["sintered magnets for servo motors of industrial robots", "traction motors of electric buses",
            "permanent-magnet generators of wind turbines", "voice coils of loudspeakers",
            "phosphors for LED lighting", "polishing powder for optical glass", "MRI scanner magnets",
            "catalysts for automotive exhaust treatment"]
PRODUCTS = ["industrial robots", "electric buses", "wind turbines", "loudspeakers", "LED lamps", "optical lenses",
            "MRI scanners", "catalytic converters"]
PLANTED = ("listed_end_user", "military_end_use", "listed_owner", "other_script")
LISTED_FOR = {"listed_end_user": 0, "military_end_use": 0, "listed_owner": 1, "other_script": 2}

# The built-in sample, used when ../shared/lists is absent: synthetic entities, not real listings.
SAMPLE = [("SAMPLE-1", "Aurora Defense Systems Inc.", "奥罗拉防务系统公司", "US"),
          ("SAMPLE-2", "Hexton Aerospace Corporation", "赫克斯顿航空航天公司", "US"),
          ("SAMPLE-3", "Corvane Missile Technologies Ltd.", "科尔瓦内导弹技术有限公司", "GB"),
          ("SAMPLE-4", "Talvik Naval Engineering AB", "塔尔维克海军工程公司", "SE"),
          ("SAMPLE-5", "Meridian Guidance Electronics LLC", "子午线制导电子公司", "US")]


@dataclass(frozen=True)
class ExportPlan:
    applications: int = 200


@dataclass
class ExportPlanted:
    """What the export part planted, kept in the data folder so that a reused demo can still compare."""

    applications: int = 0
    lists: str = ""  # where the party lists came from
    cases: dict[str, str] = field(default_factory=dict)  # planted case -> application id
    names: dict[str, str] = field(default_factory=dict)  # planted case -> what was written in the application
    refused_shipment: str = ""  # licence id
    left_open: list[str] = field(default_factory=list)  # old applications left open past their SLA
    outcomes: dict[str, int] = field(default_factory=dict)

    def save(self, home: Path) -> None:
        (home / PLAN_FILE).write_text(json.dumps(asdict(self), indent=2, ensure_ascii=False) + "\n",
                                      encoding="utf-8")

    @classmethod
    def load(cls, home: Path) -> ExportPlanted | None:
        path = home / PLAN_FILE
        return cls(**json.loads(path.read_text(encoding="utf-8"))) if path.exists() else None


# --- party lists ------------------------------------------------------------------------------------------------


def sample_lists() -> list[LoadedList]:
    """A tiny stand-in for China's export control list (synthetic names in Latin and Chinese script)."""
    listed = tuple(ListedParty("cn_mofcom_control", rid, name, "entity", (Alias(zh, "han"),), (country,),
                               ("List of Export Controls (built-in sample)",)) for rid, name, zh, country in SAMPLE)
    source = SourceFile("built-in sample (reetrace.demo.export)", 0, "0" * 64)
    return [LoadedList("cn_mofcom_control", "China export control list (built-in synthetic sample)", (source,),
                       listed, ("synthetic sample: ../shared/lists was not found",))]


def party_lists(shared: Path | None) -> tuple[list[LoadedList], str]:
    """China's lists from ``shared`` (a folder like ../shared/lists) when present, else the built-in sample."""
    folder = shared / CHINA_LISTS if shared is not None else None
    if folder is None or not folder.is_dir():
        return sample_lists(), "built-in sample (../shared/lists not found)"
    with tempfile.TemporaryDirectory() as tmp:
        shutil.copytree(folder, Path(tmp) / "cn")
        loaded, _ = load_all(Path(tmp))
    return loaded, f"{folder} ({', '.join(sorted(x.list_id for x in loaded))})"


def planted_parties(loaded: list[LoadedList], rng: random.Random) -> list[ListedParty]:
    """Three entities of China's control list that have a name in Chinese script, chosen with the seed."""
    control = next(x for x in loaded if x.list_id == "cn_mofcom_control")
    usable = sorted((p for p in control.parties if p.kind == "entity" and any(a.script == "han" for a in p.aliases)
                     and p.name.isascii()), key=lambda p: p.record_id)
    return rng.sample(usable, 3)


# --- applications -----------------------------------------------------------------------------------------------


def _party(name: str, country: str, owners: list[dict[str, str]] | None = None) -> dict[str, Any]:
    return {"name": name, "country": country, "owners": owners or []}


def application(rng: random.Random, n: int, exporter_id: str) -> dict[str, Any]:
    """An ordinary application (a transaction of ``exporter_id``), as the exporter would fill it in."""
    item = dict(rng.choice(ITEMS))
    kg = rng.choice([50, 100, 200, 250, 500, 1000, 2000])
    value = kg * rng.choice([120, 250, 400, 900])
    item["value"] = str(value)
    firm, country = rng.choice(FIRMS)
    use = rng.randrange(len(END_USES))
    data: dict[str, Any] = {
        "exporter_id": exporter_id, "contract_id": f"C-2026-{n + 1:04d}", "item": item,
        "quantity": {"amount": str(kg), "unit": "kg"}, "value": {"amount": str(value), "currency": "USD"},
        "consignee": _party(firm, country), "end_user": _party(firm, country),
        "intermediaries": [], "end_use": END_USES[use], "military_end_use": False, "final_destination": country,
        "product": PRODUCTS[use], "no_retransfer_undertaking": True,
        "certificates": [{"kind": "end_user", "name": "end-user.pdf", "data": f"%PDF demo EUC {n}".encode()},
                         {"kind": "end_use", "name": "end-use.pdf", "data": f"%PDF demo end use {n}".encode()}]}
    if rng.random() < 0.3:
        name, where, role = rng.choice(TRADERS)
        data["intermediaries"] = [{"name": name, "country": where, "role": role}]
    return data


def plant(data: dict[str, Any], case: str, listed: ListedParty) -> str:
    """Turn an ordinary application into a planted case; returns what the application names."""
    country = "US" if "US" in listed.countries or not listed.countries else "JP"
    if case == "listed_end_user":
        data["end_user"] = _party(listed.name, country)
        return listed.name
    if case == "military_end_use":
        data["end_use"] = "actuator magnets for the guidance fins of air-to-air missiles"
        data["military_end_use"] = True
        return str(data["end_use"])
    if case == "listed_owner":
        data["end_user"] = _party("Kestrel Precision Motors Ltd.", "GB",
                                  [{"name": listed.name, "country": country, "share": "60"}])
        data["final_destination"] = "GB"
        return f"Kestrel Precision Motors Ltd., 60 % owned by {listed.name}"
    chinese = next(a.name for a in listed.aliases if a.script == "han")
    data["end_user"] = _party(chinese, country)
    return chinese


@dataclass
class ExportRun:
    c: Container
    rng: random.Random
    who: dict[str, Principal]
    planted: ExportPlanted
    calendar: WorkdayCalendar
    control_list: ControlList
    outcomes: Counter[str] = field(default_factory=Counter)

    def submit(self, data: dict[str, Any], username: str, on: date) -> str:
        form = parse_model(ApplicationInput, data, "bad_application", "application")
        with self.c.unit_of_work() as (uow, _):
            return submit_application(uow, self.who[username], form, today=on, calendar=self.calendar,
                                      control_list=self.control_list)

    def review(self, application_id: str, action: str, reason: str, on: date) -> str | None:
        with self.c.unit_of_work() as (uow, _):
            return review_application(uow, self.who[REVIEWER], application_id, action, reason, today=on)

    def decide(self, application_id: str, username: str, on: date, flagged: bool) -> None:
        """The officer's review some working days after the submission."""
        day = self.calendar.add_workdays(on, self.rng.randrange(5, 30))
        if flagged:
            self.review(application_id, "deny", "presumption of denial: a party or the end use is flagged by the "
                        "screening (see the flags)", day)
            self.outcomes["denied (flagged)"] += 1
            return
        roll = self.rng.random()
        if roll < 0.06:
            self.review(application_id, "deny", "the end-use statement does not fit the quantity applied for", day)
            self.outcomes["denied"] += 1
            return
        if roll < 0.18:
            self.review(application_id, "rfi", "send the end user's production plan for the year", day)
            answered = self.calendar.add_workdays(day, self.rng.randrange(2, 8))
            form = AnswerInput(answer="the production plan is attached")
            with self.c.unit_of_work() as (uow, _):
                answer_rfi(uow, self.who[username], application_id, form, today=answered, calendar=self.calendar)
            day = self.calendar.add_workdays(answered, 3)
            self.outcomes["approved after an RFI"] += 1
        else:
            self.outcomes["approved"] += 1
        licence_id = self.review(application_id, "approve", "end user and end use verified", day)
        assert licence_id is not None
        self.ship(licence_id, username, day)

    def ship(self, licence_id: str, username: str, day: date) -> None:
        with read_transaction(self.c.engine) as conn:
            kg = Decimal(conn.execute(select(applications.c.quantity_kg).where(
                applications.c.licence_id == licence_id)).scalar_one())
        on = day + timedelta(days=self.rng.randrange(3, 20))
        if on > DEMO_TODAY:
            return
        over = not self.planted.refused_shipment
        amount = kg + 50 if over else (kg / 2).quantize(Decimal(1))
        with self.c.unit_of_work() as (uow, _):
            result = record_shipment(uow, self.who[username], licence_id, amount, Decimal(0), shipped_on=on)
        if over:
            assert not result.accepted
            self.planted.refused_shipment = licence_id


def build_export(c: Container, rng: random.Random, enterprise_ids: list[str], plan: ExportPlan, step: Step,
                 shared: Path | None = SHARED_LISTS) -> ExportPlanted:
    """Party lists, ``plan.applications`` applications over the past months, their review; returns (and saves)
    what was planted."""
    loaded, source = party_lists(shared)
    with c.unit_of_work() as (uow, _):
        stored.store_lists(uow, loaded, "demo")
    step("party lists stored", 0)
    with read_transaction(c.engine) as conn:
        tenants = dict(conn.execute(select(enterprises.c.enterprise_id, enterprises.c.tenant).where(
            enterprises.c.enterprise_id.in_(enterprise_ids))).tuples().all())
    exporters = [e for e in enterprise_ids if tenants.get(e) in EXPORTERS]
    planted = ExportPlanted(applications=plan.applications, lists=source)
    listed = planted_parties(loaded, rng)
    days = sorted(DEMO_TODAY - timedelta(days=rng.randrange(0, DAYS_BACK)) for _ in range(plan.applications))
    special = dict(zip(rng.sample(range(plan.applications // 3), len(PLANTED)), PLANTED, strict=True))
    run = ExportRun(c, rng, principals(c), planted, WorkdayCalendar.load(), ControlList.default())
    for n, on in enumerate(days):
        exporter = rng.choice(exporters)
        username = EXPORTERS[tenants[exporter]]
        data = application(rng, n, exporter)
        case = special.get(n)
        if case is not None:
            planted.names[case] = plant(data, case, listed[LISTED_FOR[case]])
        application_id = run.submit(data, username, on)
        if case is not None:
            planted.cases[case] = application_id
        old = (DEMO_TODAY - on).days >= REVIEW_AFTER_DAYS
        if old and case is None and len(planted.left_open) < LEFT_OVERDUE and (DEMO_TODAY - on).days > 90:
            planted.left_open.append(application_id)
            run.outcomes["left open"] += 1
        elif old:
            run.decide(application_id, username, on, flagged=case is not None or _flagged(c, application_id))
        else:
            run.outcomes["open"] += 1
        step("licence applications", 1)
    planted.outcomes = dict(sorted(run.outcomes.items()))
    planted.save(c.settings.home)
    return planted


def _flagged(c: Container, application_id: str) -> bool:
    with read_transaction(c.engine) as conn:
        return bool(conn.execute(select(applications.c.flagged).where(
            applications.c.application_id == application_id)).scalar_one())


# --- found against planted --------------------------------------------------------------------------------------


def _flags(c: Container) -> dict[str, list[dict[str, Any]]]:
    with read_transaction(c.engine) as conn:
        rows = conn.execute(select(applications.c.application_id, applications.c.screening).where(
            applications.c.flagged.is_(True))).all()
    return {str(r.application_id): list(json.loads(r.screening)["flags"]) for r in rows}


def _found(flags: list[dict[str, Any]] | None, code: str, party: str = "") -> str:
    for f in flags or []:
        if f["code"] == code and f.get("party", "").startswith(party):
            return f"{code} on {f['party'] or 'the end use'}"
    return "not flagged"


def analyse_export(c: Container) -> list[Comparison]:
    """Compare the screening's flags, the overdue check and the refused shipment with what was planted."""
    planted = ExportPlanted.load(c.settings.home)
    if planted is None:
        return []
    with c.unit_of_work() as (uow, _):
        run_sla_checks(uow, DEMO_TODAY)
    flags = _flags(c)
    with read_transaction(c.engine) as conn:
        total = conn.execute(select(func.count()).select_from(applications)).scalar_one()
        overdue = sorted(str(s) for s in conn.execute(select(alerts.c.subject).where(
            alerts.c.kind == "licensing.application.overdue")).scalars())
        refused = sorted(str(s) for s in conn.execute(select(alerts.c.subject).where(
            alerts.c.kind == "licensing.shipment.refused")).scalars())
    cases = planted.cases
    expected = {"listed_end_user": ("listed_party", "end_user"), "military_end_use": ("military_end_use", ""),
                "listed_owner": ("listed_party", "end_user.owners[0]"), "other_script": ("listed_party", "end_user")}
    out = [Comparison("export: licence applications", f"{planted.applications} submitted (lists: {planted.lists})",
                      f"{total} stored", total == planted.applications)]
    for case, (code, party) in expected.items():
        found = _found(flags.get(cases[case]), code, party)
        out.append(Comparison(f"export: {case.replace('_', ' ')}", f"{cases[case]}: {planted.names[case][:60]}",
                              found, found != "not flagged"))
    others = sorted(set(flags) - set(cases.values()))
    out.append(Comparison("export: nothing else flagged", "no other application", f"{len(others)} others flagged"
                          + (f": {', '.join(others[:3])}" if others else ""), not others))
    out.append(Comparison("export: SLA overdue", f"{len(planted.left_open)} left open past 45 working days",
                          f"{len(set(overdue))} overdue alerts", sorted(set(overdue)) == sorted(planted.left_open)))
    out.append(Comparison("export: shipment beyond its licence", f"{planted.refused_shipment or 'none'}",
                          f"refused: {', '.join(refused) or 'none'}", refused == [planted.refused_shipment]))
    return out
