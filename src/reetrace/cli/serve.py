"""`reetrace serve`: the console and the JSON API."""

from __future__ import annotations

import typer

from reetrace.cli.common import handle_errors, out_console, state


@handle_errors
def serve(
    ctx: typer.Context,
    host: str = typer.Option("127.0.0.1", help="Interface to listen on."),
    port: int = typer.Option(8000, help="TCP port."),
    workers: int = typer.Option(1, help="Worker processes."),
) -> None:
    """Serve the console and the API on http://HOST:PORT."""
    import uvicorn

    from reetrace.web.app import create_app

    c = state(ctx).container()
    out_console.print(f"console on http://{host}:{port}/  (API under /api/v1, data in {c.settings.home})")
    if workers > 1:
        import os

        os.environ["REETRACE_HOME"] = str(c.settings.home)
        if c.settings.database_url:
            os.environ["REETRACE_DATABASE_URL"] = c.settings.database_url
        uvicorn.run("reetrace.web.app:app_from_environment", factory=True, host=host, port=port, workers=workers,
                    log_level="warning")
    else:
        uvicorn.run(create_app(c), host=host, port=port, log_level="warning")
