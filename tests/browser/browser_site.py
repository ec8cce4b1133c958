"""The site the browser tests visit: a temporary log with a few hundred entries, served by uvicorn on loopback.

After the notes come the accounts: ``regulator`` (an authority) supervises ``group-north`` and ``group-south``;
each group has an enterprise with a contact person. Users (password :data:`PASSWORD`): ``officer`` (regulator,
supervisor), ``north.admin`` (group-north, tenant_admin), ``north.viewer`` (group-north, viewer).
"""

from __future__ import annotations

import socket
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from reetrace.authz import service
from reetrace.authz.models import TenantCreated
from reetrace.authz.passwords import Passwords
from reetrace.container import Container
from reetrace.domains.registry import service as registry
from reetrace.domains.registry.models import EnterpriseRegistered, PermitIssued
from reetrace.events import Event
from reetrace.witnessing import LocalWitness, WitnessNode, cosign_latest

ENTRIES = 250
WITNESSES = ("witness.regulator.example", "witness.customs.example")
PASSWORD = "Correct-horse-42"
USERS = {"officer": ("regulator", "supervisor"), "north.admin": ("group-north", "tenant_admin"),
         "north.viewer": ("group-north", "viewer")}
ENTERPRISES = {"group-north": ("NM-BAOTOU-07", "Baotou Northern Rare Earth Separation Co.", "Inner Mongolia"),
               "group-south": ("JX-GANZHOU-11", "Ganzhou Southern Ionic Clay Co.", "Jiangxi")}


@dataclass
class Site:
    url: str
    container: Container
    event_ids: list[str]


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def seed(container: Container) -> list[str]:
    start = datetime(2026, 5, 4, 9, 30, tzinfo=UTC)
    events = [Event(kind="note", body={"text": f"batch inspection {i}", "lot": f"LOT-{i:04d}"},
                    tenant=("group-north", "group-south")[i % 2], actor="officer-1",
                    occurred_at=start + timedelta(minutes=i)) for i in range(ENTRIES)]
    for first in range(0, ENTRIES, 100):
        container.ledger.record(events[first : first + 100])
    return [e.id for e in events]


def add_accounts(container: Container) -> None:
    """Tenants, supervision, users and the enterprises of both groups, in one batch."""
    with container.unit_of_work() as (uow, vault):
        for tenant_id, kind in (("regulator", "authority"), ("group-north", "group"), ("group-south", "group")):
            service.create_tenant(uow, "setup", TenantCreated(tenant_id=tenant_id, name=tenant_id, kind=kind))
        for group in ("group-north", "group-south"):
            service.grant_supervision(uow, "setup", "regulator", group)
        for username, (tenant, role) in USERS.items():
            service.add_user(uow, vault, Passwords("low"), "setup", tenant, username, username.title(), [role],
                             PASSWORD)
        for tenant, (enterprise_id, name, province) in ENTERPRISES.items():
            registry.register_enterprise(uow, tenant, "setup", EnterpriseRegistered(
                enterprise_id=enterprise_id, name=name, role="separation", province=province, country="CN"))
            registry.issue_permit(uow, tenant, "setup", PermitIssued(
                permit_id=f"P-{enterprise_id}", enterprise_id=enterprise_id, permit_type="separation",
                valid_from=date(2026, 1, 1), valid_to=date(2028, 12, 31)))
            registry.register_contact(uow, vault, tenant, "setup", enterprise_id, "compliance officer",
                                      "Li Na" if tenant == "group-north" else "Zhou Min", "+86 472 555 0107")


def cosign(container: Container) -> None:
    """Two witnesses cosign the latest checkpoint; both are in the deployment's witness policy."""
    home = container.settings.home
    nodes = [WitnessNode.init(home / "witnesses" / name.split(".")[1], name) for name in WITNESSES]
    for node in nodes:
        node.trust(container.verifier.vkey)
    cosign_latest(container.engine, [LocalWitness(n) for n in nodes])
    lines = [f"log {container.verifier.vkey}", *(f"witness {n.directory.name} {n.vkey}" for n in nodes), "quorum 2"]
    (home / "witness-policy.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")
