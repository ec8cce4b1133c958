"""A multi-tenant world for the web's access tests: an authority, two groups, their users, enterprises and notes.

``regulator`` (an authority) supervises ``group-a`` but not ``group-b``. Each group has an enterprise with a
permit and a contact person (name and phone in the vault). Users (password :data:`PASSWORD`):

=============  =========  ============
username       tenant     roles
=============  =========  ============
reg.officer    regulator  supervisor
alice          group-a    tenant_admin
anna           group-a    viewer
adam           group-a    analyst
bob            group-b    tenant_admin
bella          group-b    viewer
nora           group-a    (no role: no permission at all)
=============  =========  ============
"""

from __future__ import annotations

import importlib
import re
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select

from reetrace.authz import service
from reetrace.authz.models import TenantCreated
from reetrace.authz.passwords import Passwords
from reetrace.authz.sessions import login
from reetrace.container import Container, build_container
from reetrace.domains.registry import service as registry
from reetrace.domains.registry.models import EnterpriseRegistered, PermitIssued
from reetrace.events import Event, event_from_entry
from reetrace.settings import Settings, load_settings
from reetrace.storage.engine import read_transaction, write_transaction
from reetrace.storage.logread import LogReader
from reetrace.storage.tables import log_entries
from reetrace.web.app import create_app

PASSWORD = "Correct-horse-42"
USERS = {
    "reg.officer": ("regulator", ["supervisor"]),
    "alice": ("group-a", ["tenant_admin"]),
    "anna": ("group-a", ["viewer"]),
    "adam": ("group-a", ["analyst"]),
    "bob": ("group-b", ["tenant_admin"]),
    "bella": ("group-b", ["viewer"]),
    "nora": ("group-a", []),
}
ENTERPRISE = {"group-a": "NM-BAOTOU-01", "group-b": "JX-GANZHOU-02"}
CONTACT_NAME = {"group-a": "Wang Lei", "group-b": "Chen Jing"}
CONTACT_PHONE = {"group-a": "+86 472 555 0101", "group-b": "+86 797 555 0202"}
CSRF_META = re.compile(r'<meta name="csrf-token" content="([^"]+)">')
LOGIN_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


@dataclass
class World:
    container: Container
    app: FastAPI
    user_ids: dict[str, str] = field(default_factory=dict)
    contacts: dict[str, str] = field(default_factory=dict)  # tenant -> subject id
    notes: dict[str, int] = field(default_factory=dict)  # tenant -> index of one of its notes
    extra: dict[str, Any] = field(default_factory=dict)  # ids the domain modules (domain_*.py) planted

    def client(self) -> TestClient:
        return TestClient(self.app, raise_server_exceptions=False)

    def session(self, username: str, password: str = PASSWORD) -> TestClient:
        """A client signed in as ``username`` (a session made directly: no login audit event)."""
        with write_transaction(self.container.engine) as conn:
            made = login(conn, Passwords("low"), username, password, "127.0.0.1", 12)
        client = self.client()
        client.cookies.set("rt_session", made.session_id)
        client.headers["X-CSRF-Token"] = made.csrf_token
        return client

    def token(self, username: str, scopes: list[str] | None = None) -> str:
        principal_scopes = scopes or sorted(_permissions(username)) or ["log:entry:read"]
        with self.container.unit_of_work() as (uow, _):
            _, token = service.issue_token(uow, "test", self.user_ids[username], "test", principal_scopes)
        return token

    def bearer(self, username: str, scopes: list[str] | None = None) -> TestClient:
        client = self.client()
        client.headers["Authorization"] = f"Bearer {self.token(username, scopes)}"
        return client

    def size(self) -> int:
        with read_transaction(self.container.engine) as conn:
            return LogReader(conn).size()

    def audit_events(self, since: int = 0) -> list[dict[str, Any]]:
        """Bodies of the ``audit.access`` events at or after index ``since`` (with their tenant)."""
        with read_transaction(self.container.engine) as conn:
            rows = conn.execute(select(log_entries.c.entry, log_entries.c.tenant)
                                .where(log_entries.c.kind == "audit.access", log_entries.c.idx >= since)
                                .order_by(log_entries.c.idx)).all()
        return [{**event_from_entry(bytes(e)).body, "tenant": t} for e, t in rows]


def _permissions(username: str) -> set[str]:
    from reetrace.authz.permissions import permissions_of

    return set(permissions_of(USERS[username][1]))


def world_settings(home: Path) -> Settings:
    return load_settings({}, home=home, password_cost="low", sqlite_synchronous="NORMAL")


def build_world(settings: Settings) -> World:
    container = build_container(settings)
    world = World(container, create_app(container))
    populate(world)
    for module in domain_modules():
        module.populate(world)
    return world


def domain_modules() -> list[Any]:
    """The ``tests/web/domain_*.py`` modules: each adds its domain's objects to the world (``populate``), the
    placeholders its routes need, and its routes to the route table (``API``, ``CONSOLE``, ``EXPECTED``)."""
    return [importlib.import_module(path.stem) for path in sorted(Path(__file__).parent.glob("domain_*.py"))]


def populate(world: World) -> None:
    c = world.container
    pw = Passwords("low")
    with c.unit_of_work() as (uow, vault):
        for tenant_id, kind in (("regulator", "authority"), ("group-a", "group"), ("group-b", "group")):
            service.create_tenant(uow, "test", TenantCreated(tenant_id=tenant_id, name=f"{tenant_id} org", kind=kind))
        service.grant_supervision(uow, "test", "regulator", "group-a")
        for username, (tenant, roles) in USERS.items():
            world.user_ids[username] = service.add_user(uow, vault, pw, "test", tenant, username, username.title(),
                                                        roles, PASSWORD)
        for tenant, enterprise_id in ENTERPRISE.items():
            add_enterprise(world, uow, vault, tenant, enterprise_id)
    for tenant in ("regulator", "group-a", "group-b"):
        note = Event(kind="note", tenant=tenant, actor="test", body={"text": f"note of {tenant}"})
        appended = c.ledger.record([note])
        world.notes[tenant] = appended.indices[0]


def add_enterprise(world: World, uow: Any, vault: Any, tenant: str, enterprise_id: str) -> None:
    province = "Inner Mongolia" if tenant == "group-a" else "Jiangxi"
    registry.register_enterprise(uow, tenant, "test", EnterpriseRegistered(
        enterprise_id=enterprise_id, name=f"{province} Rare Earth Separation Co.", role="separation",
        province=province, country="CN"))
    registry.issue_permit(uow, tenant, "test", PermitIssued(
        permit_id=f"P-{enterprise_id}", enterprise_id=enterprise_id, permit_type="separation",
        valid_from=date(2026, 1, 1), valid_to=date(2028, 12, 31)))
    subject_id, _ = registry.register_contact(uow, vault, tenant, "test", enterprise_id, "compliance officer",
                                              CONTACT_NAME[tenant], CONTACT_PHONE[tenant])
    world.contacts[tenant] = subject_id


def csrf_of(page: str) -> str:
    found = CSRF_META.search(page)
    assert found, "the page carries no CSRF token"
    return found.group(1)


def login_csrf_of(page: str) -> str:
    found = LOGIN_CSRF.search(page)
    assert found, "the login page carries no CSRF token"
    return found.group(1)
