"""The README documents every CLI command (and names no command that does not exist)."""

from __future__ import annotations

import re
from pathlib import Path

import typer.main

from reetrace.cli.main import app

README = Path(__file__).resolve().parents[2] / "README.md"


def cli_commands() -> set[str]:
    root = typer.main.get_command(app)
    names = set()
    for name, command in root.commands.items():  # type: ignore[attr-defined]
        sub = getattr(command, "commands", None)
        if sub:
            names |= {f"reetrace {name} {s}" for s in sub}
        else:
            names.add(f"reetrace {name}")
    return names


def test_every_cli_command_is_in_the_readme() -> None:
    text = README.read_text(encoding="utf-8")
    missing = sorted(c for c in cli_commands() if f"`{c}" not in text)
    assert not missing, f"README.md does not document: {missing}"


def test_readme_names_only_real_commands() -> None:
    text = README.read_text(encoding="utf-8")
    documented = {m.group(1) for m in re.finditer(r"`(reetrace(?: [a-z-]+){1,2})", text)}
    known = cli_commands()
    groups = {" ".join(c.split()[:2]) for c in known}
    unknown = sorted(d for d in documented if d not in known and d not in groups)
    assert not unknown, f"README.md names commands that do not exist: {unknown}"


def test_readme_starts_with_the_two_commands() -> None:
    text = README.read_text(encoding="utf-8")
    block = re.search(r"```\n(.*?)```", text, re.S)
    assert block is not None and block.group(1).split("\n")[:2] == ["make demo", "make test"]
