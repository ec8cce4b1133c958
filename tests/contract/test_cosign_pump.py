"""While serving, the cosign pump has the witnesses follow the log as it grows."""

from __future__ import annotations

from pathlib import Path

from reetrace.container import Container
from reetrace.events import Event
from reetrace.log.checkpoint import open_checkpoint
from reetrace.storage.engine import read_transaction
from reetrace.storage.logread import LogReader
from reetrace.witnessing import CosignPump, LocalWitness, WitnessNode


def test_pump_cosigns_only_when_the_log_grew(container: Container, tmp_path: Path) -> None:
    nodes = [WitnessNode.init(tmp_path / name, f"witness.{name}.example") for name in ("a", "b")]
    for node in nodes:
        node.trust(container.verifier.vkey)
    pump = CosignPump(container.engine, [LocalWitness(n) for n in nodes], container.settings.latest_checkpoint_path)
    assert pump.tick() is None  # empty log: nothing to cosign
    container.ledger.record([Event(kind="note", body={"n": n}) for n in range(5)])
    first = pump.tick()
    assert first is not None and first.size == 5 and len(first.cosigned_by) == 2 and not first.refused
    assert pump.tick() is None  # nothing new
    container.ledger.record([Event(kind="note", body={"n": n}) for n in range(3)])
    second = pump.tick()
    assert second is not None and second.size == 8 and len(second.cosigned_by) == 2
    with read_transaction(container.engine) as conn:
        note = LogReader(conn).latest_checkpoint().note  # type: ignore[union-attr]
    verified = open_checkpoint(note, container.verifier, [n.signer.verifier for n in nodes])
    assert set(verified.cosignatures) == {"witness.a.example", "witness.b.example"}
    assert all(n.witness().state.get(container.settings.origin).size == 8 for n in nodes)  # type: ignore[union-attr]
