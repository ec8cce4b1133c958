"""The web tests' world: a real container on a temporary SQLite home, its events and witnesses, a TestClient.

A populated world holds 600 ``note`` entries appended in five batches (so five signed checkpoints), then the
accounts that read them: tenants ``tenant-a`` and ``tenant-b``, an ``authority`` supervising both, and its
``auditor`` (role supervisor), in one more batch; the latest checkpoint is cosigned by two witnesses of which only
``regulator`` is in the witness policy. The client is signed in as ``auditor`` (session cookie and CSRF header),
who sees every entry (the authority's scope includes entries of no tenant).

An *empty* world has the same account, seeded into the account tables directly so that its log stays empty.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import insert

from reetrace.authz import service
from reetrace.authz.models import TenantCreated
from reetrace.authz.passwords import Passwords
from reetrace.authz.sessions import login
from reetrace.authz.tables import credentials, supervision, tenants, users
from reetrace.container import Container, build_container
from reetrace.events import Event
from reetrace.settings import load_settings
from reetrace.storage.engine import write_transaction
from reetrace.web.app import create_app
from reetrace.witnessing import LocalWitness, WitnessNode, cosign_latest

BATCHES = (1, 9, 90, 200, 300)
NOTES = sum(BATCHES)
ACCOUNT_EVENTS = 6  # 3 tenants, 2 supervisions, 1 user
SIZE = NOTES + ACCOUNT_EVENTS
USERNAME = "auditor"
PASSWORD = "Correct-horse-42"
TENANTS = ("tenant-a", "tenant-b", None)
START = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)
WITNESS_IN_POLICY = "witness.regulator.example"
WITNESS_NOT_IN_POLICY = "witness.auditor.example"


@dataclass
class World:
    container: Container
    client: TestClient
    event_ids: list[str]


def note(i: int) -> Event:
    return Event(kind="note", body={"text": f"inspection note {i}", "n": i, "site": "Baotou"},
                 tenant=TENANTS[i % 3], actor=f"officer-{i % 4}", occurred_at=START + timedelta(minutes=i))


def make_container(home: Path) -> Container:
    return build_container(load_settings(environ={}, home=home, password_cost="low"))


def client_for(container: Container) -> TestClient:
    """A client signed in as the auditor: session cookie for pages, X-CSRF-Token for the API's POSTs."""
    client = TestClient(create_app(container), raise_server_exceptions=False)
    with write_transaction(container.engine) as conn:
        session = login(conn, Passwords("low"), USERNAME, PASSWORD, "127.0.0.1", 12)
    client.cookies.set("rt_session", session.session_id)
    client.headers["X-CSRF-Token"] = session.csrf_token
    return client


def populate(container: Container) -> list[str]:
    ids: list[str] = []
    start = 0
    for size in BATCHES:
        events = [note(i) for i in range(start, start + size)]
        container.ledger.record(events)
        ids += [e.id for e in events]
        start += size
    add_accounts(container)
    return ids


def add_accounts(container: Container) -> None:
    """The tenants of the notes, an authority supervising them, and its auditor: six events in one batch."""
    with container.unit_of_work() as (uow, vault):
        for tenant_id, kind in (("tenant-a", "group"), ("tenant-b", "group"), ("authority", "authority")):
            service.create_tenant(uow, "test", TenantCreated(tenant_id=tenant_id, name=tenant_id, kind=kind))
        for supervised in ("tenant-a", "tenant-b"):
            service.grant_supervision(uow, "test", "authority", supervised)
        service.add_user(uow, vault, Passwords("low"), "test", "authority", USERNAME, "Auditor", ["supervisor"],
                         PASSWORD)


def seed_accounts_without_log(container: Container) -> None:
    """The same account written straight into the account tables, leaving the log empty (empty-log tests only)."""
    now = START
    with write_transaction(container.engine) as conn:
        for tenant_id, kind in (("tenant-a", "group"), ("tenant-b", "group"), ("authority", "authority")):
            conn.execute(insert(tenants).values(tenant_id=tenant_id, name=tenant_id, kind=kind, created_at=now,
                                                entry_idx=0))
        for supervised in ("tenant-a", "tenant-b"):
            conn.execute(insert(supervision).values(supervisor="authority", supervised=supervised, entry_idx=0))
        user_id = "user-" + "0" * 32
        conn.execute(insert(users).values(user_id=user_id, tenant="authority", username=USERNAME,
                                          display_name="hmac-sha256:" + "0" * 64, roles="supervisor", locale="en",
                                          created_at=now, disabled_at=None, entry_idx=0))
        conn.execute(insert(credentials).values(user_id=user_id, password_hash=Passwords("low").hash(PASSWORD),
                                                updated_at=now))


def add_witnesses(container: Container, home: Path) -> None:
    nodes = [WitnessNode.init(home / "w" / name.split(".")[1], name)
             for name in (WITNESS_IN_POLICY, WITNESS_NOT_IN_POLICY)]
    for node in nodes:
        node.trust(container.verifier.vkey)
    result = cosign_latest(container.engine, [LocalWitness(n) for n in nodes])
    assert sorted(result.cosigned_by) == sorted([WITNESS_IN_POLICY, WITNESS_NOT_IN_POLICY])
    policy = f"log {container.verifier.vkey}\nwitness regulator {nodes[0].vkey}\nquorum 1\n"
    (container.settings.home / "witness-policy.txt").write_text(policy, encoding="utf-8")
