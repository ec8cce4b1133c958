"""`reetrace demo`: build the demo world, run every analysis, report found vs planted, serve the console."""

from __future__ import annotations

import typer

from reetrace.cli.common import handle_errors, state


@handle_errors
def demo(
    ctx: typer.Context,
    rebuild: bool = typer.Option(False, "--rebuild", help="Delete the demo data folder first."),
    serve: bool = typer.Option(True, "--serve/--no-serve", help="Serve the console afterwards."),
    port: int = typer.Option(8000, help="Console port."),
    events: int = typer.Option(3000, help="About how many events the demo history has."),
) -> None:
    """Build (or reuse) the demo world and serve the console."""
    from reetrace.demo.run import run_demo

    run_demo(state(ctx), rebuild=rebuild, serve=serve, port=port, events=events)
