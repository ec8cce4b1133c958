"""A small export-control world for the licence application tests, on any backend.

Tenants: the authority ``mofcom`` supervises ``group-a`` and ``group-b``; the authority ``customs`` supervises
nobody. Enterprises EXP-A1 (group-a) and EXP-B1 (group-b). Users are real, their principals loaded from the
database: exporters (security_officer) of each group, a viewer, a reviewer (supervisor) and a viewer at mofcom,
and a supervisor at customs.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

from reetrace.authz import service as authz
from reetrace.authz.models import TenantCreated
from reetrace.authz.passwords import Passwords
from reetrace.authz.principal import Principal, load_principal
from reetrace.container import Container
from reetrace.domains.licensing.application_models import (
    AnswerInput,
    ApplicationInput,
    LicenceTerms,
    parse_model,
)
from reetrace.domains.licensing.application_queries import ApplicationView, get_application
from reetrace.domains.licensing.applications import answer_rfi, review_application, submit_application
from reetrace.domains.licensing.licences import ShipmentResult, record_shipment
from reetrace.domains.registry.service import register_enterprise
from reetrace.domains.screening import lists as stored
from reetrace.domains.screening.loaders import load_all
from reetrace.storage.engine import read_transaction
from reetrace.workdays import WorkdayCalendar
from support.logdb import enterprise

PASSWORD = "Correct-horse-42"
TODAY = date(2026, 9, 1)
CALENDAR = WorkdayCalendar.load()
END_USER_PDF = b"%PDF-1.4 end-user certificate of Magnet Works GmbH"
END_USE_PDF = b"%PDF-1.4 end-use statement: servo motors for industrial robots"

USERS: dict[str, tuple[str, list[str]]] = {
    "exporter.a": ("group-a", ["security_officer"]),
    "exporter.b": ("group-b", ["security_officer"]),
    "viewer.a": ("group-a", ["viewer"]),
    "mofcom.rev": ("mofcom", ["supervisor"]),
    "mofcom.viewer": ("mofcom", ["viewer"]),
    "customs.rev": ("customs", ["supervisor"]),
}


def application(**changes: Any) -> dict[str, Any]:
    """A valid application (dysprosium oxide to Germany) as a mapping; ``changes`` replace top-level fields."""
    data: dict[str, Any] = {
        "exporter_id": "EXP-A1", "contract_id": "C-2026-0815",
        "item": {"description": "dysprosium oxide 99.5 %", "hs_code": "284690", "form": "oxide",
                 "composition": {"Dy": 87}, "value": "250000", "currency": "USD"},
        "quantity": {"amount": "500", "unit": "kg"}, "value": {"amount": "250000", "currency": "USD"},
        "consignee": {"name": "Magnet Works GmbH", "country": "DE", "address": "Hanau",
                      "owners": [{"name": "Magnet Holding AG", "country": "CH", "share": "100"}]},
        "end_user": {"name": "Magnet Works GmbH", "country": "DE"},
        "intermediaries": [{"name": "Rotterdam Metals B.V.", "country": "NL", "role": "trader"}],
        "end_use": "sintered NdFeB magnets for servo motors of industrial robots",
        "military_end_use": False, "final_destination": "DE", "product": "servo motors for industrial robots",
        "certificates": [{"kind": "end_user", "name": "end-user.pdf", "data": END_USER_PDF},
                         {"kind": "end_use", "name": "end-use.pdf", "data": END_USE_PDF}],
        "no_retransfer_undertaking": True,
    }
    return {**data, **changes}


@dataclass
class World:
    container: Container
    users: dict[str, str] = field(default_factory=dict)

    def principal(self, username: str) -> Principal:
        with read_transaction(self.container.engine) as conn:
            p = load_principal(conn, self.users[username], "session")
        assert p is not None
        return p

    def submit(self, username: str = "exporter.a", today: date = TODAY, **changes: Any) -> str:
        form = parse_model(ApplicationInput, application(**changes), "bad_application", "application")
        with self.container.unit_of_work() as (uow, _):
            return submit_application(uow, self.principal(username), form, today=today, calendar=CALENDAR)

    def review(self, application_id: str, action: str, reason: str = "checked", username: str = "mofcom.rev",
               today: date = TODAY, terms: LicenceTerms | None = None) -> str | None:
        with self.container.unit_of_work() as (uow, _):
            return review_application(uow, self.principal(username), application_id, action, reason, today=today,
                                      terms=terms)

    def answer(self, application_id: str, today: date, username: str = "exporter.a", text: str = "see attached",
               certificates: tuple[dict[str, Any], ...] = ()) -> date:
        form = parse_model(AnswerInput, {"answer": text, "certificates": list(certificates)}, "bad_answer", "answer")
        with self.container.unit_of_work() as (uow, _):
            return answer_rfi(uow, self.principal(username), application_id, form, today=today, calendar=CALENDAR)

    def ship(self, licence_id: str, kg: str, value: str = "0", on: date = TODAY, username: str = "exporter.a",
             unit: str = "kg") -> ShipmentResult:
        with self.container.unit_of_work() as (uow, _):
            return record_shipment(uow, self.principal(username), licence_id, Decimal(kg), Decimal(value),
                                   shipped_on=on, unit=unit)

    def view(self, application_id: str, today: date = TODAY) -> ApplicationView:
        with read_transaction(self.container.engine) as conn:
            view = get_application(conn, application_id, today, CALENDAR)
        assert view is not None
        return view

    def licensed(self, today: date = TODAY, terms: LicenceTerms | None = None, **changes: Any) -> str:
        """A submitted and approved application's licence id."""
        application_id = self.submit(today=today, **changes)
        licence_id = self.review(application_id, "approve", "end user and end use verified", today=today,
                                 terms=terms)
        assert licence_id is not None
        return licence_id


def build_world(container: Container) -> World:
    world = World(container)
    pw = Passwords("low")
    with container.unit_of_work() as (uow, vault):
        for tenant_id, kind in (("mofcom", "authority"), ("customs", "authority"), ("group-a", "group"),
                                ("group-b", "group")):
            authz.create_tenant(uow, "test", TenantCreated(tenant_id=tenant_id, name=tenant_id, kind=kind))
        authz.grant_supervision(uow, "test", "mofcom", "group-a")
        authz.grant_supervision(uow, "test", "mofcom", "group-b")
        register_enterprise(uow, "group-a", "test", enterprise("EXP-A1"))
        register_enterprise(uow, "group-b", "test", enterprise("EXP-B1", province="Jiangxi"))
        for username, (tenant, roles) in USERS.items():
            world.users[username] = authz.add_user(uow, vault, pw, "test", tenant, username, username, roles,
                                                   PASSWORD)
    return world


def load_china_lists(container: Container, shared_dir: Path, tmp_path: Path) -> None:
    """China's MOFCOM/MFA lists (control list, watch list, UEL, countermeasures) stored as list versions."""
    folder = tmp_path / "lists"
    shutil.copytree(shared_dir / "lists" / "cn_mofcom_mfa_sanctions", folder / "cn")
    loaded, _ = load_all(folder)
    with container.unit_of_work() as (uow, _):
        stored.store_lists(uow, loaded, "tester")
