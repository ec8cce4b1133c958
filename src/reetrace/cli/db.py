"""`reetrace db ...`: schema migrations."""

from __future__ import annotations

import typer

from reetrace.cli.common import handle_errors, out_console, state
from reetrace.storage import migrate
from reetrace.storage.engine import make_engine

app = typer.Typer(help="Database schema (Alembic migrations).", no_args_is_help=True)


@app.command()
@handle_errors
def upgrade(ctx: typer.Context, revision: str = typer.Argument("head")) -> None:
    """Migrate the database to REVISION (default: the newest)."""
    engine = make_engine(state(ctx).settings)
    migrate.upgrade(engine, revision)
    out_console.print(f"database at revision {migrate.current_revision(engine)}")


@app.command()
@handle_errors
def current(ctx: typer.Context) -> None:
    """Print the database's revision and the newest one."""
    engine = make_engine(state(ctx).settings)
    out_console.print(f"current {migrate.current_revision(engine)}, newest {migrate.head_revision()}")
