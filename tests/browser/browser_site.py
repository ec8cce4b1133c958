"""The site the browser tests visit: a temporary log with a few hundred entries, served by uvicorn on loopback."""

from __future__ import annotations

import socket
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from reetrace.container import Container
from reetrace.events import Event
from reetrace.witnessing import LocalWitness, WitnessNode, cosign_latest

ENTRIES = 250
WITNESSES = ("witness.regulator.example", "witness.customs.example")


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


def cosign(container: Container) -> None:
    """Two witnesses cosign the latest checkpoint; both are in the deployment's witness policy."""
    home = container.settings.home
    nodes = [WitnessNode.init(home / "witnesses" / name.split(".")[1], name) for name in WITNESSES]
    for node in nodes:
        node.trust(container.verifier.vkey)
    cosign_latest(container.engine, [LocalWitness(n) for n in nodes])
    lines = [f"log {container.verifier.vkey}", *(f"witness {n.directory.name} {n.vkey}" for n in nodes), "quorum 2"]
    (home / "witness-policy.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")
