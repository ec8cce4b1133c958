"""What every CLI command shares: settings from flags and environment, the container, error printing."""

from __future__ import annotations

import functools
import json
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, ParamSpec, TypeVar

import typer
from rich.console import Console

from reetrace.container import Container, build_container
from reetrace.errors import Error
from reetrace.settings import Settings, load_settings

P = ParamSpec("P")
R = TypeVar("R")

err_console = Console(stderr=True, emoji=False)
out_console = Console(emoji=False)


@dataclass
class State:
    settings: Settings
    _container: Container | None = field(default=None, repr=False)

    def container(self) -> Container:
        if self._container is None:
            self._container = build_container(self.settings)
        return self._container


def init_state(ctx: typer.Context, db: str | None, home: str | None) -> None:
    ctx.obj = State(load_settings(database_url=db, home=home))


def state(ctx: typer.Context) -> State:
    obj = ctx.find_root().obj
    assert isinstance(obj, State), "the root callback sets the state"
    return obj


def handle_errors(func: Callable[P, R]) -> Callable[P, R]:
    """Print a reetrace Error as diagnostics on stderr and exit 2 (1 is kept for 'checked and found bad')."""

    @functools.wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return func(*args, **kwargs)
        except Error as exc:
            err_console.print(exc.diagnostics(), markup=False, highlight=False)
            raise typer.Exit(2) from None

    return wrapper


def print_json(data: Any) -> None:
    sys.stdout.write(json.dumps(data, indent=2, ensure_ascii=False) + "\n")


def parse_json_object(text: str, where: str) -> dict[str, Any]:
    from reetrace.errors import Detail, invalid

    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        raise invalid(f"{where} is not valid JSON", Detail(f"{exc.msg} at line {exc.lineno} column {exc.colno}",
                                                            where)) from None
    if not isinstance(value, dict):
        raise invalid(f"{where} must be a JSON object", Detail(f"got {type(value).__name__}", where))
    return value
