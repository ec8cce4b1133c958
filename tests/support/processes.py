"""Child processes for the integration tests: appenders, and the `reetrace` command itself."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from dataclasses import dataclass, field
from pathlib import Path

from reetrace.container import Container
from reetrace.storage.audit import AuditReport, audit
from reetrace.storage.engine import read_transaction
from support.logdb import stored_entries

APPENDER = Path(__file__).with_name("appender.py")
REETRACE = Path(sys.executable).with_name("reetrace")


def child_env() -> dict[str, str]:
    """The caller's environment without REETRACE_* (tests pass everything as flags), wide and without colour."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("REETRACE_")}
    env.update({"COLUMNS": "250", "NO_COLOR": "1", "TERM": "dumb", "PYTHONUNBUFFERED": "1"})
    return env


def appender_command(home: Path, db: str | None, writer: str, *extra: str) -> list[str]:
    return [sys.executable, str(APPENDER), "--home", str(home), "--writer", writer,
            *(["--db", db] if db else []), *extra]


@dataclass
class Streamed:
    """A child whose stdout is drained line by line by a thread (so a full pipe never blocks it)."""

    proc: subprocess.Popen[str]
    lines: list[str] = field(default_factory=list)
    first_line: threading.Event = field(default_factory=threading.Event)
    eof: threading.Event = field(default_factory=threading.Event)

    @classmethod
    def start(cls, command: list[str]) -> Streamed:
        proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=child_env())
        streamed = cls(proc)
        threading.Thread(target=streamed._drain, daemon=True).start()
        return streamed

    def _drain(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.append(line)
            self.first_line.set()
        self.first_line.set()
        self.eof.set()

    def output(self, timeout: float = 60) -> str:
        """Everything the child wrote, once it has exited."""
        self.proc.wait(timeout=timeout)
        assert self.eof.wait(timeout), "the child's stdout stayed open"
        return "".join(self.lines)

    def stderr(self) -> str:
        assert self.proc.stderr is not None
        return self.proc.stderr.read()


def check_acknowledged(container: Container, acks: dict[int, str]) -> None:
    """Every acknowledged index is stored, exactly once, with the event id that was acknowledged for it."""
    stored = {index: event_id for index, _, event_id in stored_entries(container.engine)}
    assert sorted(stored) == list(range(len(stored))), "stored indices are not consecutive"
    wrong = {i: (e, stored.get(i)) for i, e in acks.items() if stored.get(i) != e}
    assert not wrong, f"{len(wrong)} acknowledged entries missing or different, e.g. {list(wrong.items())[:3]}"
    assert len(set(stored.values())) == len(stored), "an event id is stored twice"


def clean_audit(container: Container) -> AuditReport:
    with read_transaction(container.engine) as conn:
        report = audit(conn, container.verifier, container.settings.latest_checkpoint_path)
    assert report.ok, report.problems
    return report


def reetrace(home: Path, *args: str, db: str | None = None, code: int | None = 0,
             timeout: float = 60) -> subprocess.CompletedProcess[str]:
    """Run the `reetrace` command on ``home`` (and ``db``); check its exit code unless ``code`` is None."""
    command = [str(REETRACE)] if REETRACE.exists() else [sys.executable, "-c",
                                                         "from reetrace.cli.main import run; run()"]
    command += ["--home", str(home), *(["--db", db] if db else []), *args]
    proc = subprocess.run(command, capture_output=True, text=True, env=child_env(), timeout=timeout, check=False)
    if code is not None:
        assert proc.returncode == code, (f"`reetrace {' '.join(args)}` exited {proc.returncode}, expected {code}\n"
                                         f"stdout:\n{proc.stdout}\nstderr:\n{proc.stderr}")
    return proc
