"""The web tests' world: a real container on a temporary SQLite home, its events and witnesses, a TestClient.

A populated world holds 600 ``note`` entries appended in five batches (so five signed checkpoints), cosigned by
two witnesses of which only ``regulator`` is in the witness policy.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from fastapi.testclient import TestClient

from reetrace.container import Container, build_container
from reetrace.events import Event
from reetrace.settings import load_settings
from reetrace.web.app import create_app
from reetrace.witnessing import LocalWitness, WitnessNode, cosign_latest

BATCHES = (1, 9, 90, 200, 300)
SIZE = sum(BATCHES)
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
    return build_container(load_settings(environ={}, home=home))


def client_for(container: Container) -> TestClient:
    return TestClient(create_app(container), raise_server_exceptions=False)


def populate(container: Container) -> list[str]:
    ids: list[str] = []
    start = 0
    for size in BATCHES:
        events = [note(i) for i in range(start, start + size)]
        container.ledger.record(events)
        ids += [e.id for e in events]
        start += size
    return ids


def add_witnesses(container: Container, home: Path) -> None:
    nodes = [WitnessNode.init(home / "w" / name.split(".")[1], name)
             for name in (WITNESS_IN_POLICY, WITNESS_NOT_IN_POLICY)]
    for node in nodes:
        node.trust(container.verifier.vkey)
    result = cosign_latest(container.engine, [LocalWitness(n) for n in nodes])
    assert sorted(result.cosigned_by) == sorted([WITNESS_IN_POLICY, WITNESS_NOT_IN_POLICY])
    policy = f"log {container.verifier.vkey}\nwitness regulator {nodes[0].vkey}\nquorum 1\n"
    (container.settings.home / "witness-policy.txt").write_text(policy, encoding="utf-8")
