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
    witness: list[str] = typer.Option([], "--witness", help="A witness URL or folder to ask for cosignatures "
                                      "while serving; repeat for several."),
    cosign_every: float = typer.Option(30.0, help="Seconds between cosigning rounds (when the log grew)."),
) -> None:
    """Serve the console and the API on http://HOST:PORT."""
    import uvicorn

    from reetrace.web.app import create_app
    from reetrace.witnessing import CosignPump, client_for

    c = state(ctx).container()
    if workers == 1:  # the flow helper process, ready for the first large EPCIS document (workers start their own)
        from reetrace.domains.flow.digests import HELPER

        HELPER.start()
    if witness:
        CosignPump(c.engine, [client_for(w) for w in witness], c.settings.latest_checkpoint_path,
                   cosign_every).start()
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
