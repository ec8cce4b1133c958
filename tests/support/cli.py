"""The `reetrace` command run in process (Typer's CliRunner) on one data folder and database, for CLI tests."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from click.testing import Result
from typer.testing import CliRunner

from reetrace.cli.main import app
from reetrace.container import build_container
from support.backends import make_settings
from support.logdb import log_size, snapshot

runner = CliRunner()


class CommandLine:
    """``reetrace --home H [--db URL] GROUP ARGS...``, asserting the exit code; ``group`` is set by subclasses."""

    group: str | None = None

    def __init__(self, home: Path, db: str | None = None) -> None:
        self.home, self.db = home, db

    def __call__(self, *args: str, code: int = 0) -> Result:
        prefix = ["--home", str(self.home), *(["--db", self.db] if self.db else [])]
        command = [*([self.group] if self.group else []), *args]
        result = runner.invoke(app, [*prefix, *command])
        assert result.exit_code == code, (f"`{' '.join(command)}` exited {result.exit_code}, expected {code}"
                                          f"\nstdout:\n{result.stdout}\nstderr:\n{result.stderr}\n{result.exception}")
        return result

    def json(self, *args: str, code: int = 0) -> Any:
        return json.loads(self(*args, "--json", code=code).stdout)

    def _engine_call(self, read: Any) -> Any:
        container = build_container(make_settings(self.home, self.db))
        try:
            return read(container.engine)
        finally:
            container.close()

    def state(self) -> dict[str, list[tuple[Any, ...]]]:
        """Every table's rows (to show that a refused command stored nothing)."""
        return dict(self._engine_call(snapshot))

    def size(self) -> int:
        return int(self._engine_call(log_size))
