"""SIGKILL in the middle of appending, repeatedly: afterwards the audit is clean and no acknowledged index is lost."""

from __future__ import annotations

import contextlib
import random
import signal
import subprocess

import pytest

from reetrace.container import Container
from reetrace.storage.engine import read_transaction
from reetrace.storage.logread import LogReader
from support.appender import parse_acks
from support.logdb import note
from support.processes import Streamed, appender_command, check_acknowledged, clean_audit

ROUNDS = {"sqlite": 5, "postgresql": 3}


@pytest.mark.slow
def test_sigkill_while_appending(container: Container, request: pytest.FixtureRequest) -> None:
    rounds = ROUNDS["sqlite" if container.settings.is_sqlite else "postgresql"]
    rng = random.Random(request.node.name)
    settings = container.settings
    acks: dict[int, str] = {}
    for round_ in range(rounds):
        child = Streamed.start(appender_command(settings.home, settings.database_url, f"r{round_}", "--forever",
                                                "--max-batch", "400", "--seed", str(round_)))
        assert child.first_line.wait(60), f"the appender acknowledged nothing:\n{child.stderr()}"
        signal_after = rng.uniform(0.05, 0.8)
        with contextlib.suppress(subprocess.TimeoutExpired):  # still running, as it should be
            child.proc.wait(timeout=signal_after)
        child.proc.send_signal(signal.SIGKILL)
        output = child.output()
        assert child.proc.returncode == -signal.SIGKILL, f"the appender stopped by itself:\n{child.stderr()}"
        mine = parse_acks(output)
        assert mine, "no acknowledged index this round"
        assert not set(mine) & set(acks), "an index was acknowledged twice across rounds"
        acks.update(mine)
        # the log is sound after every crash, and takes appends again
        check_acknowledged(container, acks)
        clean_audit(container)
    with read_transaction(container.engine) as conn:
        size = LogReader(conn).size()
    assert size >= max(acks) + 1
    # (a batch committed just before the kill may be stored without having been acknowledged: that is allowed)
    assert container.ledger.record([note(0)]).indices == [size]
    clean_audit(container)
